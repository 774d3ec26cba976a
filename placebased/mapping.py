"""Interactive maps (folium / Leaflet) that work with no internet.

Leaflet's JavaScript and CSS come from the installed Python package ``django-js-lib-leaflet``
(Leaflet 1.9.4), copied by :func:`install_static_assets` into the app's ``static/`` folder and
served by Streamlit itself (``enableStaticServing``). :class:`OfflineMap` drops folium's CDN links
(jQuery, Bootstrap, Font Awesome, awesome-markers) and no plugin that needs them is used: markers
are circle markers, legends are inline HTML, point clusters are computed here on a grid. There is
no basemap unless the caller asks for one (:data:`BASEMAPS`), which is the only outside request.

Everything is drawn from frames in EPSG:27700 converted to WGS84 here, at the map's edge.
"""

from __future__ import annotations

import html
import shutil
from collections.abc import Iterable
from pathlib import Path

import folium
import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
import shapely

from . import style
from .areas import WGS84

STATIC_PREFIX = "app/static/leaflet"
BASEMAPS = {
    "none": None,
    "OpenStreetMap (online)": "OpenStreetMap",
    "CartoDB Positron (online)": "CartoDB positron",
}

#: the choropleth layers the app can colour areas by
LAYERS = {
    "priority": "Priority score",
    "imd": "IMD decile",
    "gi": "Gi* hot and cold spots",
    "lisa": "LISA clusters",
    "density": "Incident density",
    "emerging": "Emerging hot spots",
    "gaps": "Provision gaps",
}

IMD_COLOURS = {d: style.DECILE_COLOURS[d] for d in range(1, 11)}
PRIORITY_COLOURS = ["#fff7ec", "#fdd49e", "#fc8d59", "#d7301f", "#7f0000"]
DENSITY_COLOURS = ["#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b"]
NO_DATA = "#ffffff"


def leaflet_source_dir() -> Path:
    """Folder of Leaflet 1.9.4's files inside the installed ``django-js-lib-leaflet`` package."""
    import js_lib_leaflet

    return Path(js_lib_leaflet.__file__).parent / "static" / "js_lib_leaflet"


def install_static_assets(static_dir: str | Path) -> Path:
    """Copy Leaflet's JS, CSS and images into ``static_dir/leaflet`` (only when missing or changed)."""
    src = leaflet_source_dir()
    dest = Path(static_dir) / "leaflet"
    for rel in ("leaflet.js", "leaflet.css", "images/layers.png", "images/layers-2x.png", "images/marker-icon.png",
                "images/marker-icon-2x.png", "images/marker-shadow.png"):
        s, d = src / rel, dest / rel
        if not d.exists() or d.stat().st_size != s.stat().st_size:
            d.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(s, d)
    return dest


class OfflineMap(folium.Map):
    """A folium map whose only JS/CSS is Leaflet, served by the app itself."""

    default_js = [("leaflet", f"/{STATIC_PREFIX}/leaflet.js")]
    default_css = [("leaflet_css", f"/{STATIC_PREFIX}/leaflet.css")]


def web_geometry(areas: gpd.GeoDataFrame, tolerance_m: float = 15.0) -> gpd.GeoDataFrame:
    """Areas simplified for the browser (shared edges kept) and converted to WGS84.

    Returns a GeoDataFrame indexed by area code with ``area_name`` and geometry only.
    """
    geoms = areas.geometry.to_numpy()
    if tolerance_m:
        try:
            geoms = shapely.coverage_simplify(geoms, tolerance_m)
        except Exception:  # not a clean coverage: simplify each polygon on its own
            geoms = shapely.simplify(geoms, tolerance_m, preserve_topology=True)
    out = gpd.GeoDataFrame({"area_name": areas["area_name"].to_numpy()}, geometry=geoms, index=areas.index,
                           crs=areas.crs)
    if out.crs is not None:
        out = out.to_crs(WGS84)
    out.geometry = shapely.set_precision(out.geometry.to_numpy(), 1e-6)
    return out


# --------------------------------------------------------------------------------------------
# classification


def classify_layer(layer: str, data: pd.DataFrame, k: int = 5) -> tuple[pd.Series, list[tuple[str, str]], str]:
    """Colour per area for ``layer`` and its legend.

    Returns ``(colours, legend, title)``; ``legend`` is a list of ``(colour, label)``; the title
    names the classification so a reader knows how classes were drawn.
    """
    idx = data.index
    if layer == "priority":
        v = data["score"].astype(float)
        bins = mapclassify.Quantiles(v.dropna().to_numpy(), k=k)
        cls = pd.Series(np.searchsorted(bins.bins, v.to_numpy(), side="left"), index=idx).clip(0, k - 1)
        colours = cls.map(dict(enumerate(PRIORITY_COLOURS))).where(v.notna(), NO_DATA)
        lows = [v.min()] + list(bins.bins[:-1])
        legend = [(PRIORITY_COLOURS[i], f"{lows[i]:.1f} – {bins.bins[i]:.1f}") for i in range(k)][::-1]
        return colours, legend, f"Priority score (0–100), quintiles (mapclassify Quantiles, k={k})"
    if layer == "imd":
        d = data["imd_decile"]
        colours = d.map(IMD_COLOURS).fillna(NO_DATA)
        legend = [(IMD_COLOURS[i], f"Decile {i}" + (" (most deprived 10% in England)" if i == 1 else
                                                    " (least deprived)" if i == 10 else "")) for i in range(1, 11)]
        return colours, legend, "IMD 2025 decile (England), unique values"
    if layer == "gi":
        b = data["gi_bin"].fillna(0).astype(int)
        colours = b.map(style.gi_bin_colour)
        legend = [(style.GI_BIN_COLOURS[i], style.GI_BIN_LABELS[i]) for i in (3, 2, 1, 0, -1, -2, -3)]
        return colours, legend, "Getis-Ord Gi* confidence bins (ArcGIS Gi_Bin)"
    if layer == "lisa":
        c = data["lisa_cluster"].map(style.lisa_code)
        colours = c.map(style.LISA_COLOURS)
        legend = [(style.LISA_COLOURS[k_], style.LISA_LABELS[k_]) for k_ in ("HH", "LL", "HL", "LH", "ns")]
        return colours, legend, "Local Moran (LISA) clusters"
    if layer == "density":
        v = data["density"].astype(float)
        bins = mapclassify.NaturalBreaks(v.fillna(0).to_numpy(), k=k)
        cls = pd.Series(bins.yb, index=idx)
        colours = cls.map(dict(enumerate(DENSITY_COLOURS)))
        lows = [v.min()] + list(bins.bins[:-1])
        legend = [(DENSITY_COLOURS[i], f"{lows[i]:.0f} – {bins.bins[i]:.0f} per km²") for i in range(k)][::-1]
        return colours, legend, f"Incidents per km², natural breaks (Jenks, k={k})"
    if layer == "emerging":
        from .timeseries import EMERGING_COLOURS

        c = data["emerging_class"].fillna("No pattern detected")
        colours = c.map(lambda x: EMERGING_COLOURS.get(x, "#f2f2ee"))
        present = [x for x in EMERGING_COLOURS if x in set(c)]
        return colours, [(EMERGING_COLOURS[x], x) for x in present], "Emerging hot spot analysis (space-time Gi*)"
    if layer == "gaps":
        g = data["gap"].fillna(False).astype(bool)
        tiered = data.get("in_tier", pd.Series(False, index=idx)).fillna(False).astype(bool)
        colours = pd.Series("#f2f2ee", index=idx).where(~tiered, "#fdd49e").where(~g, "#b2182b")
        legend = [("#b2182b", "Priority area with no provision within the radius (gap)"),
                  ("#fdd49e", "Priority area with provision within reach"), ("#f2f2ee", "Not a priority area")]
        return colours, legend, "Provision gaps in priority areas"
    raise KeyError(f"unknown layer {layer!r}; choose one of {', '.join(LAYERS)}")


# --------------------------------------------------------------------------------------------
# the map


def _fmt(v, fmt: str = "{:,.0f}") -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return "–"
    try:
        return fmt.format(v)
    except (ValueError, TypeError):
        return html.escape(str(v))


def tooltip_html(row: pd.Series, count_label: str = "Incidents") -> str:
    """Tooltip of one area: name and code, score, rank and interval, IMD decile, counts (all escaped)."""
    name = html.escape(str(row.get("area_name", "")))
    code = html.escape(str(row.name))
    lines = [f"<b>{name}</b> <span style='color:#5f6b76'>{code}</span>"]
    if "score" in row and pd.notna(row.get("score")):
        interval = ""
        if pd.notna(row.get("rank_p05")) and pd.notna(row.get("rank_p95")):
            interval = f" (90% interval {_fmt(row['rank_p05'])}–{_fmt(row['rank_p95'])})"
        lines.append(f"Score {_fmt(row['score'], '{:.1f}')}, rank {_fmt(row.get('rank'))}{interval}")
    if "imd_decile" in row:
        lines.append(f"IMD decile {_fmt(row.get('imd_decile'))}")
    if "count" in row:
        lines.append(f"{html.escape(count_label)}: {_fmt(row.get('count'))}")
    if "gi_bin" in row and pd.notna(row.get("gi_bin")):
        lines.append(style.GI_BIN_LABELS.get(int(row["gi_bin"]), ""))
    if "lisa_cluster" in row and pd.notna(row.get("lisa_cluster")):
        lines.append("LISA: " + style.LISA_LABELS.get(style.lisa_code(row["lisa_cluster"]), ""))
    return "<br>".join(lines)


def legend_html(title: str, legend: list[tuple[str, str]], note: str = "") -> str:
    """A small legend box (inline HTML, no outside assets); ``title`` and ``note`` are escaped."""
    items = "".join(
        f"<div style='display:flex;align-items:center;gap:6px;margin:1px 0'>"
        f"<span style='display:inline-block;width:14px;height:14px;background:{c};border:1px solid #888'></span>"
        f"<span>{html.escape(label)}</span></div>"
        for c, label in legend
    )
    note_html = f"<div style='margin-top:4px;color:#5f6b76;max-width:260px'>{html.escape(note)}</div>" if note else ""
    return (
        "<div class='pb-legend' style='position:absolute;bottom:18px;right:10px;z-index:1000;background:white;"
        "padding:8px 10px;border:1px solid #c5ced8;border-radius:4px;font:12px/1.35 sans-serif;color:#222'>"
        f"<div style='font-weight:bold;margin-bottom:4px;max-width:260px'>{html.escape(title)}</div>{items}"
        f"{note_html}</div>"
    )


def build_map(
    web_areas: gpd.GeoDataFrame,
    data: pd.DataFrame,
    layer: str = "priority",
    selected: Iterable[str] = (),
    note: str = "",
    basemap: str | None = None,
    provision: gpd.GeoDataFrame | None = None,
    provision_radius_m: float | None = None,
    point_clusters: pd.DataFrame | None = None,
    sites: gpd.GeoDataFrame | None = None,
    outlines: gpd.GeoDataFrame | None = None,
    count_label: str = "Incidents",
) -> folium.Map:
    """Draw the areas coloured by ``layer`` with the selection outlined, overlays and a legend.

    Parameters
    ----------
    web_areas
        Output of :func:`web_geometry` (WGS84).
    data
        Per-area attributes indexed by area code: whatever the layer needs (``score``, ``imd_decile``,
        ``gi_bin``, ``lisa_cluster``, ``density``, ``emerging_class``, ``gap``) plus tooltip fields.
    selected
        Area codes outlined as the current target selection.
    note
        Text under the legend: the inference settings (permutations, seed, alpha, correction).
    basemap
        A key of :data:`BASEMAPS`; ``None``/"none" draws no tiles (no outside request).
    provision, provision_radius_m
        Provision points (EPSG:27700, ``name``, ``type``) and, optionally, their coverage radius.
    point_clusters
        Grid clusters of incident points (:func:`cluster_points`): analyst view only.
    """
    colours, legend, title = classify_layer(layer, data)
    sel = set(selected)
    tiles = BASEMAPS.get(basemap or "none")
    bounds = web_areas.total_bounds
    m = OfflineMap(location=[(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2], zoom_start=10,
                   tiles=tiles, control_scale=True, prefer_canvas=False, attribution_control=bool(tiles))
    if not tiles:
        m.get_root().header.add_child(folium.Element(
            "<style>.leaflet-container{background:#f7f9fb}</style>"))
    m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    joined = web_areas.join(data.drop(columns=[c for c in ("area_name", "geometry") if c in data.columns]),
                            how="left")
    tips = [tooltip_html(r, count_label) for _, r in joined.drop(columns="geometry").iterrows()]
    gj = gpd.GeoDataFrame({
        "area_code": joined.index.to_numpy(),
        "fill": colours.reindex(joined.index).fillna(NO_DATA).to_numpy(),
        "sel": [c in sel for c in joined.index],
        "tip": tips,
    }, geometry=joined.geometry.to_numpy(), crs=WGS84)

    def style_fn(feature):
        p = feature["properties"]
        return {"fillColor": p["fill"], "fillOpacity": 0.78, "color": "#111111" if p["sel"] else "#6b7785",
                "weight": 3 if p["sel"] else 0.5}

    folium.GeoJson(
        gj.to_json(drop_id=True), name=LAYERS.get(layer, layer), style_function=style_fn,
        highlight_function=lambda _f: {"weight": 2.5, "color": style.BRAND["accent"]},
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False, sticky=True),
        control=False,
    ).add_to(m)
    if outlines is not None and len(outlines):
        fg = folium.FeatureGroup(name="Local authority outlines", show=True)
        folium.GeoJson(outlines.to_crs(WGS84).to_json(drop_id=True),
                       style_function=lambda _f: {"fill": False, "color": "#1b3a5c", "weight": 2.2},
                       interactive=False).add_to(fg)
        fg.add_to(m)
    if provision is not None and len(provision):
        _add_provision(m, provision, provision_radius_m)
    if point_clusters is not None and len(point_clusters):
        fg = folium.FeatureGroup(name="Incident points (clustered, analyst view)", show=True)
        mx = float(point_clusters["count"].max())
        for r in point_clusters.itertuples():
            folium.CircleMarker([r.lat, r.lon], radius=float(3 + 12 * np.sqrt(r.count / mx)), weight=1,
                                color="#3b3b3b", fill=True, fill_color="#ffd33d", fill_opacity=0.8,
                                tooltip=f"{int(r.count):,} incidents near here (police.uk points are anonymised "
                                        "map points, not exact locations)").add_to(fg)
        fg.add_to(m)
    if sites is not None and len(sites):
        fg = folium.FeatureGroup(name="Suggested new sites", show=True)
        for r in sites.to_crs(WGS84).itertuples():
            folium.RegularPolygonMarker([r.geometry.y, r.geometry.x], number_of_sides=4, radius=9, rotation=45,
                                        color="#111", weight=1.5, fill=True, fill_color="#6a3d9a", fill_opacity=0.95,
                                        tooltip=html.escape(f"Suggested site: {getattr(r, 'name', '')}")).add_to(fg)
        fg.add_to(m)
    m.get_root().html.add_child(folium.Element(legend_html(title, legend, note)))
    if (outlines is not None and len(outlines)) or (provision is not None and len(provision)) or \
            point_clusters is not None or sites is not None or tiles:
        folium.LayerControl(collapsed=False).add_to(m)
    return m


PROVISION_COLOURS = ["#1a7f37", "#6a3d9a", "#b15928", "#1f78b4", "#e31a1c", "#ff7f00", "#33a02c", "#cab2d6"]


def provision_colours(types: Iterable[str]) -> dict[str, str]:
    """A stable colour per provision type."""
    return {t: PROVISION_COLOURS[i % len(PROVISION_COLOURS)] for i, t in enumerate(sorted(set(map(str, types))))}


def _add_provision(m: folium.Map, provision: gpd.GeoDataFrame, radius_m: float | None) -> None:
    pts = provision.to_crs(WGS84)
    pts = pts[pts.geometry.geom_type == "Point"]
    cmap = provision_colours(pts["type"])
    fg = folium.FeatureGroup(name="Current provision", show=True)
    cover = folium.FeatureGroup(name=f"Provision reach ({radius_m:,.0f} m)" if radius_m else "Reach", show=False)
    for r in pts.itertuples():
        colour = cmap[str(r.type)]
        label = html.escape(f"{r.name} — {r.type}")
        if radius_m:
            folium.Circle([r.geometry.y, r.geometry.x], radius=float(radius_m), color=colour, weight=1,
                          fill=True, fill_opacity=0.06, interactive=False).add_to(cover)
        folium.CircleMarker([r.geometry.y, r.geometry.x], radius=6, color="#ffffff", weight=1.5, fill=True,
                            fill_color=colour, fill_opacity=1.0, tooltip=label).add_to(fg)
    if radius_m:
        cover.add_to(m)
    fg.add_to(m)
    items = "".join(f"<div><span style='color:{c}'>&#9679;</span> {html.escape(t)}</div>" for t, c in cmap.items())
    m.get_root().html.add_child(folium.Element(
        "<div style='position:absolute;top:10px;left:54px;z-index:1000;background:white;padding:6px 8px;"
        f"border:1px solid #c5ced8;border-radius:4px;font:12px sans-serif'><b>Provision</b>{items}</div>"))


def cluster_points(points: gpd.GeoDataFrame, cell_m: float = 400.0) -> pd.DataFrame:
    """Aggregate points (EPSG:27700) on a square grid: ``lat, lon, count`` per occupied cell.

    The cluster sits at the mean of its points; counts use the ``weight`` column when present.
    """
    if points is None or len(points) == 0:
        return pd.DataFrame(columns=["lat", "lon", "count"])
    x, y = points.geometry.x.to_numpy(), points.geometry.y.to_numpy()
    w = points["weight"].to_numpy(float) if "weight" in points else np.ones(len(x))
    df = pd.DataFrame({"gx": np.floor(x / cell_m), "gy": np.floor(y / cell_m), "x": x * w, "y": y * w, "w": w})
    g = df.groupby(["gx", "gy"]).sum()
    g = g[g["w"] > 0]
    centres = gpd.GeoSeries(gpd.points_from_xy(g["x"] / g["w"], g["y"] / g["w"]), crs=points.crs).to_crs(WGS84)
    return pd.DataFrame({"lat": centres.y.to_numpy(), "lon": centres.x.to_numpy(), "count": g["w"].to_numpy()})


def area_at(web_areas: gpd.GeoDataFrame, lat: float, lon: float) -> str | None:
    """The area code under a clicked point (WGS84), or None."""
    hits = web_areas.sindex.query(shapely.Point(lon, lat), predicate="intersects")
    return str(web_areas.index[hits[0]]) if len(hits) else None


def density(counts: pd.Series, areas: gpd.GeoDataFrame) -> pd.Series:
    """Incidents per km² of each area (areas in a metric CRS)."""
    km2 = areas.geometry.area / 1e6
    return (counts.reindex(areas.index).astype(float) / km2.replace(0, np.nan)).rename("density")

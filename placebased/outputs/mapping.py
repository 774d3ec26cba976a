"""Interactive maps (folium / Leaflet) that work with no internet.

Leaflet's JavaScript and CSS come from the installed Python package ``django-js-lib-leaflet``
(Leaflet 1.9.4), copied by :func:`install_static_assets` into the app's ``static/`` folder and
served by Streamlit itself (``enableStaticServing``). :class:`OfflineMap` drops folium's CDN links
(jQuery, Bootstrap, Font Awesome, awesome-markers) and no plugin that needs them is used: markers
are circle markers, legends are inline HTML, point clusters are computed here on a grid. There is
no basemap unless the caller asks for one (:data:`BASEMAPS`), which is the only outside request.
:class:`StandaloneMap` inlines Leaflet instead, for one self-contained HTML file (``placebased map``).

Text from files is data: area, provision, site and legend text travel as JSON read by Leaflet or as
escaped inline HTML, and are added to the page without passing through Jinja (:class:`DataElement`);
branca is not patched.

Everything is drawn from frames in EPSG:27700 converted to WGS84 here, at the map's edge.
"""

from __future__ import annotations

import base64
import functools
import json
import re
import shutil
from collections.abc import Iterable
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from placebased.categories import sensitive_rules
from placebased.io.areas import WGS84
from placebased.io.places import label_payload
from placebased.names import EMERGING_CLASSES, EMERGING_COLOURS, MAP_LAYERS, NO_PATTERN, emerging_colour
from placebased.outputs import glossary, style
from placebased.safety import escape_text

STATIC_PREFIX = "app/static/leaflet"
BASEMAPS = {
    "none": None,
    "OpenStreetMap (online)": "OpenStreetMap",
    "CartoDB Positron (online)": "CartoDB positron",
}

#: the choropleth layers the app can colour areas by (names: placebased.names; words: the glossary)
LAYERS = {k: glossary.LAYER_NAMES[k] for k in MAP_LAYERS}

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


class StandaloneMap(OfflineMap):
    """A folium map for one self-contained HTML file: Leaflet's JS and CSS are inlined in the page
    (:func:`leaflet_inline`), so opening it requests nothing from anywhere."""

    default_js: list = []
    default_css: list = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.get_root().header.add_child(RawHtml(leaflet_inline()), name="leaflet_inline", index=0)


@functools.lru_cache(maxsize=1)
def leaflet_inline() -> str:
    """``<style>`` and ``<script>`` holding Leaflet 1.9.4 from the installed package, its images as
    ``data:`` URIs (no file beside the page is needed)."""
    src = leaflet_source_dir()

    def data_uri(m: re.Match) -> str:
        png = (src / m.group(1)).read_bytes()
        return "url(data:image/png;base64," + base64.b64encode(png).decode("ascii") + ")"

    css = re.sub(r"url\((images/[\w.-]+\.png)\)", data_uri, (src / "leaflet.css").read_text(encoding="utf-8"))
    js = (src / "leaflet.js").read_text(encoding="utf-8")
    close = re.compile(r"</(?=(script|style))", re.IGNORECASE)
    return "<style>" + close.sub("<\\/", css) + "</style>\n<script>" + close.sub("<\\/", js) + "</script>"


# --------------------------------------------------------------------------------------------
# text from files is data: it never reaches a template engine
#
# folium/branca compile the text each element renders as a Jinja template once more (branca's
# ``Element(rendered)``), and folium's tooltips put their text inside JavaScript backtick strings.
# So no text from a file is handed to a folium element: area, provision, site and legend text
# travel as JSON data (:func:`script_json`) read by Leaflet, or as inline HTML (:class:`RawHtml`),
# and both are added to the page as they are (:class:`DataElement`), never compiled. As a second
# wall, that text has its Jinja braces, backticks and ``$`` neutralised too (:func:`map_text`,
# :func:`script_json`), so even a renderer that compiled it (or streamlit-folium, which rewrites
# ``{{'name'}}`` in scripts) would find nothing to evaluate. folium's own elements that remain (the
# map, fit bounds, feature groups, layer control) carry only this module's fixed text and numbers.

_MAP_TEXT = str.maketrans({"{": "&#123;", "}": "&#125;", "`": "&#96;", "$": "&#36;", "\\": "&#92;"})
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_JSON_BRACES = str.maketrans({"{": "\\u007b", "}": "\\u007d"})
_COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}|[a-z]{3,20}")


def map_text(value: object) -> str:
    """Any value as inert HTML text for a map: HTML-escaped (both quotes) and with Jinja braces,
    backticks, ``$`` and backslashes as character references. None / NA give ``""``."""
    return escape_text(value).translate(_MAP_TEXT)


def _colour(value: object, default: str = "#cccccc") -> str:
    """A CSS colour from this module's palettes (``#rrggbb`` or a name); anything else -> ``default``."""
    return value if isinstance(value, str) and _COLOUR.fullmatch(value) else default


def script_json(obj) -> str:
    """JSON safe to embed inside a ``<script>`` element and inert to template engines: ``<``, ``>``
    and ``&`` (so no ``</script>`` can close it) and the braces inside strings are ``\\u`` escapes."""
    text = json.dumps(obj, ensure_ascii=True, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return _JSON_STRING.sub(lambda m: m.group(0).translate(_JSON_BRACES), text)


class RawHtml(Element):
    """A piece of HTML added to the page as it is (never compiled as a template)."""

    def __init__(self, markup: str):
        super().__init__()
        self._name = "RawHtml"
        self.markup = markup

    def render(self, **kwargs) -> str:  # noqa: ARG002
        return self.markup


class DataElement(MacroElement):
    """A folium element whose rendered header, html and script are added to the page as text.

    branca's ``MacroElement.render`` wraps each rendered macro in ``Element(text)``, which compiles
    the text as a Jinja template again; here it is wrapped in :class:`RawHtml`, so the data in it are
    never parsed as a template (and the large area layer is not lexed twice: ~50 ms per map).
    Subclasses define a ``_template`` with ``script`` (and optionally ``header``/``html``) macros
    whose only data come from :func:`script_json` or :func:`map_text`.
    """

    def render(self, **kwargs):
        figure = self.get_root()
        if not isinstance(figure, Figure):
            raise TypeError("a map element renders only inside a folium map")
        module = self._template.module.__dict__
        for part in ("header", "html", "script"):
            macro = module.get(part)
            if macro is not None:
                getattr(figure, part).add_child(RawHtml(str(macro(self, kwargs))), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


class AreaLayer(DataElement):
    """The areas as one Leaflet GeoJSON layer whose style and tooltip travel in each feature.

    folium's ``GeoJson`` re-serialises a ``case`` per feature id for every style on each render;
    with a few hundred areas and two renders per rerun that is most of a map's server time. Here
    the data are serialised once, and Leaflet reads ``feature.properties.style`` and ``.tip``
    (HTML made by :func:`tooltips` or the caller, every value from a file escaped).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJson({{ this.data_json }}, {
            style: function (f) { return f.properties.style; },
            onEachFeature: function (f, layer) {
                layer.bindTooltip(f.properties.tip, {sticky: true});
                layer.on({
                    mouseover: function (e) { e.target.setStyle({weight: 2.5, color: "{{ this.highlight }}"}); },
                    mouseout: function (e) { {{ this.get_name() }}.resetStyle(e.target); }
                });
            }
        }).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, collection: dict, highlight: str = "#0f7c80"):
        super().__init__()
        self._name = "AreaLayer"
        self.data_json = script_json(collection)
        self.highlight = _colour(highlight)


class OutlineLayer(DataElement):
    """Lines drawn on top of the areas (e.g. local authority outlines): geometry only, not interactive."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.geoJson({{ this.data_json }}, {style: {{ this.style_json }}, interactive: false})
            .addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, shapes: gpd.GeoDataFrame, colour: str, weight: float):
        super().__init__()
        self._name = "OutlineLayer"
        geoms = shapes.to_crs(WGS84).geometry if shapes.crs is not None else shapes.geometry
        self.data_json = script_json({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {}, "geometry": _round_geom(shapely.geometry.mapping(g))}
            for g in geoms if g is not None and not g.is_empty]})
        self.style_json = script_json({"fill": False, "color": _colour(colour), "weight": float(weight)})


class PointLayer(DataElement):
    """Points as data read by Leaflet: badges (a round HTML icon), dots (circle markers) and reach
    circles (metres), each with an optional tooltip (inert HTML). Added to its parent layer."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (parent) {
            /*pb-data*/{{ this.data_json }}.forEach(function (p) {
                var m;
                if (p.k === "badge") {
                    m = L.marker([p.lat, p.lon], {icon: L.divIcon({html: p.html, className: "pb-badge",
                        iconSize: [p.s, p.s], iconAnchor: [p.s / 2, p.s / 2]})});
                } else if (p.k === "dot") {
                    m = L.circleMarker([p.lat, p.lon], {radius: p.r, weight: 1, color: "#3b3b3b", fill: true,
                        fillColor: "#ffd33d", fillOpacity: 0.8});
                } else {
                    m = L.circle([p.lat, p.lon], {radius: p.r, color: p.c, weight: 1, fill: true,
                        fillOpacity: 0.06, interactive: false});
                }
                if (p.tip) { m.bindTooltip(p.tip, {sticky: true}); }
                m.addTo(parent);
            });
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, points: list[dict]):
        super().__init__()
        self._name = "PointLayer"
        self.data_json = script_json(points)


class PlaceLabelLayer(DataElement):
    """Town and ward names on the map, offline (no tiles): :func:`placebased.io.places.label_payload`.

    As on the app's canvas map and the workshop/PDF maps: towns at the county view, yielding to ward
    names once zoomed in; each ward from its own ``min_zoom`` (larger wards earlier); the letters grow
    with the zoom. Every name travels as JSON data and is set as ``textContent`` (never HTML), so a
    hostile ward or town name is shown as the text it is.
    """

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>.pb-place{background:none;border:none;white-space:nowrap;pointer-events:none}
        .pb-place span{position:absolute;transform:translate(-50%,-50%);font-family:sans-serif;color:#1b2733;
        text-shadow:0 0 2px #fff,0 0 3px #fff,0 0 4px #fff}
        .pb-place.pb-town span{font-weight:700}</style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function (map) {
            var group = L.layerGroup().addTo(map), marks = [];
            /*pb-data*/{{ this.data_json }}.forEach(function (p) {
                var el = document.createElement("span");
                el.textContent = String(p.text);
                var town = p.kind === "town";
                var m = L.marker([p.lat, p.lon], {icon: L.divIcon({html: el, iconSize: [0, 0],
                    className: town ? "pb-place pb-town" : "pb-place pb-ward"}), interactive: false,
                    keyboard: false});
                marks.push({m: m, el: el, town: town, z: Number(p.min_zoom) || 12});
            });
            function show() {
                var z = map.getZoom();
                marks.forEach(function (q) {
                    var on = q.town ? (z >= {{ this.town_from }} && z < {{ this.towns_until }}) : z >= q.z;
                    if (on && !group.hasLayer(q.m)) { group.addLayer(q.m); }
                    if (!on && group.hasLayer(q.m)) { group.removeLayer(q.m); }
                    q.el.style.fontSize = Math.max(10, Math.min(18, (q.town ? 4 : 1) + z)) + "px";
                });
            }
            map.on("zoomend", show);
            show();
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, labels: list[dict], town_from: int = 8, towns_until: int = 13):
        super().__init__()
        self._name = "PlaceLabelLayer"
        self.data_json = script_json([{"text": str(lb.get("text", "")), "lat": float(lb["lat"]),
                                       "lon": float(lb["lon"]), "kind": "town" if lb.get("kind") == "town" else "ward",
                                       "min_zoom": int(lb.get("min_zoom", 12))} for lb in labels])
        self.town_from, self.towns_until = int(town_from), int(towns_until)


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


def _class_bins(v: pd.Series, scheme: str, k: int) -> np.ndarray:
    """Upper bounds of up to ``k`` classes (fewer when the data have fewer distinct values)."""
    vals = v.dropna().to_numpy(float)
    distinct = np.unique(vals)
    if len(distinct) <= k:
        return distinct if len(distinct) else np.array([0.0])
    if scheme == "quantiles":
        return quantile_bins(vals, k)
    import mapclassify  # only here: importing it compiles a numba function (seconds at app start)

    return np.asarray(mapclassify.NaturalBreaks(vals, k=k).bins, float)


def quantile_bins(vals: np.ndarray, k: int) -> np.ndarray:
    """``mapclassify.Quantiles(vals, k).bins`` to the last bit, without importing mapclassify: the
    ``100 / k`` percentiles by scipy's ``scoreatpercentile`` formula (linear, weights summed), unique.

    >>> quantile_bins(np.arange(1000.0), 4).tolist()
    [249.75, 499.5, 749.25, 999.0]
    """
    y = np.sort(np.asarray(vals, float))
    w = 100.0 / k
    p = np.arange(w, 100 + w, w)
    if p[-1] > 100.0:
        p[-1] = 100.0
    out = []
    for per in p:
        idx = per / 100.0 * (len(y) - 1)
        i = int(idx)
        if i == idx:
            out.append(float(y[i]))
        else:
            wts = np.array([(i + 1 - idx), (idx - i)], float)
            out.append(float(np.add.reduce(y[i:i + 2] * wts) / wts.sum()))
    return np.unique(np.array(out, float))


def _palette(colours: list[str], n: int) -> list[str]:
    """``n`` colours spread over a sequential palette (keeping its ends)."""
    if n >= len(colours):
        return list(colours)
    pick = np.linspace(0, len(colours) - 1, n).round().astype(int)
    return [colours[i] for i in pick]


def classify_layer(layer: str, data: pd.DataFrame, k: int = 5) -> tuple[pd.Series, list[tuple[str, str]], str]:
    """Colour per area for ``layer`` and its legend.

    Returns ``(colours, legend, title)``; ``legend`` is a list of ``(colour, label)``; the title
    names the classification so a reader knows how classes were drawn.
    """
    idx = data.index
    if layer == "priority":
        v = data["score"].astype(float)
        bins = _class_bins(v, "quantiles", k)
        cls = pd.Series(np.searchsorted(bins, v.to_numpy(), side="left"), index=idx).clip(0, len(bins) - 1)
        pal = _palette(PRIORITY_COLOURS, len(bins))
        colours = cls.map(dict(enumerate(pal))).where(v.notna(), NO_DATA)
        lows = [float(v.min())] + list(bins[:-1])
        legend = [(pal[i], f"{lows[i]:.1f} – {bins[i]:.1f}") for i in range(len(bins))][::-1]
        return colours, legend, glossary.layer_title("priority")
    if layer == "imd":
        d = data["imd_decile"]
        colours = d.map(IMD_COLOURS).fillna(NO_DATA)
        legend = [(IMD_COLOURS[i], f"Decile {i}" + (" (most deprived 10% in England)" if i == 1 else
                                                    " (least deprived)" if i == 10 else "")) for i in range(1, 11)]
        return colours, legend, glossary.layer_title("imd")
    if layer == "gi":
        b = data["gi_bin"].fillna(0).astype(int)
        colours = b.map(style.gi_bin_colour)
        legend = [(style.GI_BIN_COLOURS[i], style.GI_BIN_LABELS[i]) for i in (3, 2, 1, 0, -1, -2, -3)]
        return colours, legend, glossary.layer_title("gi")
    if layer == "lisa":
        c = data["lisa_cluster"].map(style.lisa_code)
        colours = c.map(style.LISA_COLOURS)
        legend = [(style.LISA_COLOURS[k_], style.LISA_LABELS[k_]) for k_ in ("HH", "LL", "HL", "LH", "ns")]
        return colours, legend, glossary.layer_title("lisa")
    if layer == "density":
        v = data["density"].astype(float).fillna(0)
        bins = _class_bins(v, "naturalbreaks", k)
        cls = pd.Series(np.searchsorted(bins, v.to_numpy(), side="left"), index=idx).clip(0, len(bins) - 1)
        pal = _palette(DENSITY_COLOURS, len(bins))
        colours = cls.map(dict(enumerate(pal)))
        lows = [float(v.min())] + list(bins[:-1])
        legend = [(pal[i], f"{lows[i]:.0f} – {bins[i]:.0f} per km²") for i in range(len(bins))][::-1]
        return colours, legend, glossary.layer_title("density")
    if layer == "emerging":
        c = data["emerging_class"].fillna(NO_PATTERN).map(lambda x: str(x).strip().lower())
        colours = c.map(emerging_colour)
        present = [x for x in EMERGING_CLASSES if x in set(c)]
        return (colours, [(EMERGING_COLOURS[x], glossary.emerging_label(x)) for x in present],
                glossary.layer_title("emerging"))
    if layer == "gaps":
        g = data["gap"].fillna(False).astype(bool)
        tiered = data.get("in_tier", pd.Series(False, index=idx)).fillna(False).astype(bool)
        colours = pd.Series("#f2f2ee", index=idx).where(~tiered, "#fdd49e").where(~g, "#b2182b")
        legend = [("#b2182b", "Priority area with no provision within the radius (gap)"),
                  ("#fdd49e", "Priority area with provision within reach"), ("#f2f2ee", "Not a priority area")]
        return colours, legend, glossary.layer_title("gaps")
    raise KeyError(f"unknown layer {layer!r}; choose one of {', '.join(LAYERS)}")


# --------------------------------------------------------------------------------------------
# the map


def _col_text(data: pd.DataFrame, col: str, fmt: str) -> pd.Series:
    if col not in data:
        return pd.Series("–", index=data.index, dtype=object)
    vals = data[col].to_numpy(dtype=object)
    return pd.Series([fmt.format(x) if x is not None and x is not pd.NA and x == x else "–" for x in vals],
                     index=data.index, dtype=object)


def tooltips(data: pd.DataFrame, count_label: str = "Incidents") -> pd.Series:
    """Tooltip HTML per area: name and code, score, rank and 90% rank interval, IMD decile, count,
    hot-spot and LISA status. Every value from the data is made inert (:func:`map_text`)."""
    name = data["area_name"].map(map_text) if "area_name" in data else pd.Series("", data.index)
    code = pd.Series(data.index.astype(str), index=data.index).map(map_text)
    tip = "<b>" + name + "</b> <span style='color:#5f6b76'>" + code + "</span>"
    if "ward_name" in data:  # the place people know (placebased.io.places)
        ward = data["ward_name"].map(lambda w: f"<br>in {map_text(w)} ward" if isinstance(w, str) and w else "")
        tip = tip + ward
    if "score" in data:
        line = "<br>Score " + _col_text(data, "score", "{:.1f}") + ", rank " + _col_text(data, "rank", "{:,.0f}")
        if "rank_p05" in data and "rank_p95" in data:
            has = data["rank_p05"].notna() & data["rank_p95"].notna()
            interval = (" (90% interval " + _col_text(data, "rank_p05", "{:,.0f}") + "–"
                        + _col_text(data, "rank_p95", "{:,.0f}") + ")")
            line = line + interval.where(has, "")
        tip = tip + line.where(data["score"].notna(), "<br>Not scored")
    if "imd_decile" in data:
        tip = tip + "<br>Deprivation decile " + _col_text(data, "imd_decile", "{:,.0f}") + " (1 = most deprived)"
    if "count" in data:
        tip = tip + f"<br>{map_text(count_label)}: " + _col_text(data, "count", "{:,.0f}")
    if "gi_bin" in data:
        tip = tip + "<br>" + data["gi_bin"].map(glossary.gi_bin_label)
    if "lisa_cluster" in data:
        tip = tip + "<br>Cluster: " + data["lisa_cluster"].map(glossary.lisa_label)
    return tip


def web_features(web_areas: gpd.GeoDataFrame) -> dict[str, dict]:
    """GeoJSON geometry dicts per area code, coordinates rounded to 5 decimals (about 1 m).

    Compute once per area set and pass to :func:`build_map`: serialising the polygons is the
    slowest part of drawing a map.
    """
    return {str(code): _round_geom(shapely.geometry.mapping(g)) for code, g in
            zip(web_areas.index, web_areas.geometry.to_numpy())}


def _round_geom(geom: dict) -> dict:
    def rnd(c):
        if isinstance(c[0], (int, float)):
            return [round(c[0], 5), round(c[1], 5)]
        return [rnd(x) for x in c]

    return {"type": geom["type"], "coordinates": rnd(geom["coordinates"])}


def legend_html(title: str, legend: list[tuple[str, str]], note: str = "") -> str:
    """A small legend box (inline HTML, no outside assets); ``title``, labels and ``note`` are made
    inert (:func:`map_text`), colours must be CSS colours."""
    items = "".join(
        f"<div style='display:flex;align-items:center;gap:6px;margin:1px 0'>"
        f"<span style='display:inline-block;width:14px;height:14px;background:{_colour(c)};"
        f"border:1px solid #888'></span><span>{map_text(label)}</span></div>"
        for c, label in legend
    )
    note_html = f"<div style='margin-top:4px;color:#5f6b76;max-width:260px'>{map_text(note)}</div>" if note else ""
    return (
        "<div class='pb-legend' style='position:absolute;bottom:18px;right:10px;z-index:1000;background:white;"
        "padding:8px 10px;border:1px solid #c5ced8;border-radius:4px;font:12px/1.35 sans-serif;color:#222'>"
        f"<div style='font-weight:bold;margin-bottom:4px;max-width:260px'>{map_text(title)}</div>{items}"
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
    features: dict[str, dict] | None = None,
    standalone: bool = False,
    places: list[dict] | None = None,
) -> folium.Map:
    """Draw the areas coloured by ``layer`` with the selection outlined, overlays and a legend.

    Every text from the data (area ids and names, provision names and types, site names, legend
    labels, ``note``, ``count_label``) reaches the page as data, never as a template or markup.

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
    features
        Output of :func:`web_features` for ``web_areas`` (computed here when None).
    standalone
        Inline Leaflet in the page (:class:`StandaloneMap`, for one offline HTML file) instead of
        linking the app's static copy.
    places
        Town and ward labels (:func:`placebased.io.places.label_payload`, drawn by
        :class:`PlaceLabelLayer`); None works them out from ``web_areas``, ``[]`` draws none.
    """
    colours, legend, title = classify_layer(layer, data)
    sel = set(selected)
    tiles = BASEMAPS.get(basemap or "none")
    m = _new_map(web_areas, tiles, standalone)
    features = web_features(web_areas) if features is None else features
    attrs = data.reindex(web_areas.index).copy()
    if "area_name" not in attrs or attrs["area_name"].isna().all():
        attrs["area_name"] = web_areas["area_name"]
    tips = tooltips(attrs, count_label)
    fills = colours.reindex(web_areas.index).fillna(NO_DATA)
    gj = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": code, "geometry": features[code],
         "properties": {"area_code": code, "tip": tip, "style": {
             "fillColor": _colour(fill, NO_DATA), "fillOpacity": 0.78, "color": "#111111" if code in sel else "#6b7785",
             "weight": 3 if code in sel else 0.5}}}
        for code, fill, tip in zip(web_areas.index.astype(str), fills.to_numpy(), tips.to_numpy())
    ]}
    AreaLayer(gj, highlight=style.BRAND["accent"]).add_to(m)
    if outlines is not None and len(outlines):
        fg = folium.FeatureGroup(name="Local authority outlines", show=True)
        OutlineLayer(outlines, "#1b3a5c", 2.2).add_to(fg)
        fg.add_to(m)
    if provision is not None and len(provision):
        _add_provision(m, provision, provision_radius_m)
    if point_clusters is not None and len(point_clusters):
        fg = folium.FeatureGroup(name="Incident points (clustered, analyst view)", show=True)
        mx = float(point_clusters["count"].max())
        PointLayer([{"k": "dot", "lat": float(r.lat), "lon": float(r.lon),
                     "r": float(3 + 12 * np.sqrt(r.count / mx)),
                     "tip": f"{int(r.count):,} incidents near here (police.uk points are anonymised map points, "
                            "not exact locations)"} for r in point_clusters.itertuples()]).add_to(fg)
        fg.add_to(m)
    if sites is not None and len(sites):
        fg = folium.FeatureGroup(name="Suggested new sites", show=True)
        pts = sites.to_crs(WGS84)
        names = pts["name"] if "name" in pts else pd.Series("", index=pts.index)
        PointLayer([{"k": "badge", "lat": float(g.y), "lon": float(g.x), "s": 22,
                     "html": _badge_html("★", "#6a3d9a", size=22), "tip": map_text(f"Suggested new site: {n}")}
                    for g, n in zip(pts.geometry, names.fillna("").astype(str))]).add_to(fg)
        fg.add_to(m)
    if places is None:
        places = label_payload(web_areas)
    if places:
        PlaceLabelLayer(places).add_to(m)
    m.get_root().html.add_child(RawHtml(legend_html(title, legend, note)))
    if (outlines is not None and len(outlines)) or (provision is not None and len(provision)) or \
            point_clusters is not None or sites is not None or tiles:
        folium.LayerControl(collapsed=False).add_to(m)
    return m


def _new_map(web_areas: gpd.GeoDataFrame, tiles: str | None, standalone: bool = False, extra_css: str = "",
             **kwargs) -> folium.Map:
    """An offline map fitted to ``web_areas``, with no basemap unless ``tiles``."""
    b = web_areas.total_bounds
    cls = StandaloneMap if standalone else OfflineMap
    m = cls(location=[(b[1] + b[3]) / 2, (b[0] + b[2]) / 2], zoom_start=10, tiles=tiles, control_scale=True,
            attribution_control=bool(tiles), zoom_snap=0.25, zoom_delta=0.5, **kwargs)
    m.get_root().header.add_child(RawHtml(f"<style>.leaflet-container{{background:#f7f9fb}}{extra_css}</style>"))
    m.fit_bounds([[b[1], b[0]], [b[3], b[2]]], padding=(4, 4))
    return m


def render_html(m: folium.Map) -> str:
    """The whole page of a map as HTML text (for :class:`StandaloneMap`: one offline file)."""
    return m.get_root().render()


PROVISION_COLOURS = ["#1a7f37", "#6a3d9a", "#b15928", "#1f78b4", "#e31a1c", "#ff7f00", "#33a02c", "#cab2d6"]


def provision_colours(types: Iterable[str]) -> dict[str, str]:
    """A colour per provision type (one per family, colour-blind safe: :func:`style.provision_style`)."""
    return {t: v["colour"] for t, v in style.provision_style(sorted(set(map(str, types)))).items()}


def _add_provision(m: folium.Map, provision: gpd.GeoDataFrame, radius_m: float | None) -> None:
    pts = provision.to_crs(WGS84)
    pts = pts[pts.geometry.geom_type == "Point"]
    cmap = provision_colours(pts["type"])
    fg = folium.FeatureGroup(name="Current provision", show=True)
    cover = folium.FeatureGroup(name=f"Provision reach ({radius_m:,.0f} m)" if radius_m else "Reach", show=False)
    badges, rings = [], []
    for g, name, kind in zip(pts.geometry, pts["name"], pts["type"].astype(str)):
        colour = cmap[kind]
        if radius_m:
            rings.append({"k": "reach", "lat": float(g.y), "lon": float(g.x), "r": float(radius_m), "c": colour})
        badges.append({"k": "badge", "lat": float(g.y), "lon": float(g.x), "s": 20,
                       "html": _badge_html(_initials(kind), colour), "tip": map_text(f"{name} — {kind}")})
    if radius_m:
        PointLayer(rings).add_to(cover)
        cover.add_to(m)
    PointLayer(badges).add_to(fg)
    fg.add_to(m)
    items = "".join(f"<div style='margin:1px 0'>{_badge_html(_initials(t), c, 15)} "
                    f"{map_text(glossary.provision_label(t))}</div>" for t, c in cmap.items())
    m.get_root().html.add_child(RawHtml(
        "<div style='position:absolute;top:10px;left:54px;z-index:1000;background:white;padding:6px 8px;"
        f"border:1px solid #c5ced8;border-radius:4px;font:12px sans-serif'><b>Provision</b>{items}</div>"))


def _initials(kind: str) -> str:
    """The badge of a provision type ("GP practice" -> "GP", "Care home or nursing home" -> "CR",
    "Youth club" -> "YC"; :func:`style.provision_style`)."""
    return style.provision_style([str(kind)])[str(kind)]["badge"]


def _badge_html(text: str, colour: str, size: int = 20) -> str:
    """A round badge in plain HTML (shown by Leaflet's own divIcon: no icon font, no outside request)."""
    return (f"<span style='display:inline-flex;align-items:center;justify-content:center;width:{size}px;"
            f"height:{size}px;border-radius:50%;background:{_colour(colour)};color:{style.text_on(_colour(colour))};"
            "border:1.5px solid #fff;"
            f"box-shadow:0 0 2px #333;font:bold {max(8, size // 2 - 1)}px sans-serif'>{map_text(text)}</span>")


def cluster_points(points: gpd.GeoDataFrame, cell_m: float = 400.0, *, rules=None) -> pd.DataFrame:
    """Aggregate points (EPSG:27700) on a square grid: ``lat, lon, count`` per occupied cell.

    The cluster sits at the mean of its points; counts use the ``weight`` column when present.
    Points of sensitive categories (``category`` column; :class:`placebased.categories.SensitiveRules`
    ``rules``, None: the shipped list) are never drawn, whatever the caller passed.
    """
    if points is not None and len(points) and "category" in points:
        r = rules if rules is not None else sensitive_rules()
        cats = points["category"].astype(str)
        points = points[~cats.isin([c for c in cats.unique() if r(c)])]
    if points is None or len(points) == 0:
        return pd.DataFrame(columns=["lat", "lon", "count"])
    x, y = points.geometry.x.to_numpy(), points.geometry.y.to_numpy()
    w = points["weight"].to_numpy(float) if "weight" in points else np.ones(len(x))
    df = pd.DataFrame({"gx": np.floor(x / cell_m), "gy": np.floor(y / cell_m), "x": x * w, "y": y * w, "w": w})
    g = df.groupby(["gx", "gy"]).sum()
    g = g[g["w"] > 0]
    centres = gpd.GeoSeries(gpd.points_from_xy(g["x"] / g["w"], g["y"] / g["w"]), crs=points.crs).to_crs(WGS84)
    return pd.DataFrame({"lat": centres.y.to_numpy(), "lon": centres.x.to_numpy(), "count": g["w"].to_numpy()})


def authority_outlines(areas: gpd.GeoDataFrame, column: str = "lad_name") -> gpd.GeoDataFrame | None:
    """Outlines of the local authorities (areas dissolved by ``column``), or None without one."""
    if column not in areas or areas[column].isna().all():
        return None
    out = areas[[column, "geometry"]].dissolve(by=column).reset_index()
    if out.crs is not None and out.crs.is_projected:
        out.geometry = out.geometry.simplify(20.0)
    return out.to_crs(WGS84) if out.crs is not None else out


def area_at(web_areas: gpd.GeoDataFrame, lat: float, lon: float) -> str | None:
    """The area code under a clicked point (WGS84), or None."""
    hits = web_areas.sindex.query(shapely.Point(lon, lat), predicate="intersects")
    return str(web_areas.index[hits[0]]) if len(hits) else None


def density(counts: pd.Series, areas: gpd.GeoDataFrame) -> pd.Series:
    """Incidents per km² of each area (areas in a metric CRS)."""
    km2 = areas.geometry.area / 1e6
    return (counts.reindex(areas.index).astype(float) / km2.replace(0, np.nan)).rename("density")


def workshop_map(web, features: dict, colours: pd.Series, tips: pd.Series, title: str, legend, note: str,
                 basemap: str | None, outlines=None):
    """The areas only (no point layer of any kind), coloured, with plain tooltips and a legend;
    local authority ``outlines`` (WGS84 or with a CRS) drawn on top, not interactive.

    ``tips`` are HTML made by the caller with every value escaped; they travel as data (JSON)."""
    tiles = BASEMAPS.get(basemap or "none")
    m = _new_map(web, tiles, extra_css=".pb-legend{font:16px/1.45 sans-serif !important;padding:12px 14px !important}"
                 ".pb-legend span[style*='width:14px']{width:20px !important;height:20px !important}"
                 ".pb-legend div{max-width:340px !important}")
    codes = web.index.astype(str)
    fills = colours.reindex(web.index).fillna("#f2f2ee").to_numpy()
    tip = tips.reindex(web.index).fillna("").to_numpy()
    gj = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": c, "geometry": features[c],
         "properties": {"area_code": c, "tip": t,
                        "style": {"fillColor": _colour(f, "#f2f2ee"), "fillOpacity": 0.8, "color": "#8a94a0",
                                  "weight": 0.5}}}
        for c, f, t in zip(codes, fills, tip)]}
    AreaLayer(gj, highlight=style.BRAND["accent"]).add_to(m)
    if outlines is not None and len(outlines):
        OutlineLayer(outlines, style.BRAND["primary"], 2).add_to(m)
    m.get_root().html.add_child(RawHtml(legend_html(title, legend, note)))
    return m

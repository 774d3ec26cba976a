"""Static maps for printed profiles, drawn with matplotlib without any internet tiles.

:class:`MapData` holds the areas' outlines as matplotlib paths (built once, reused for every
profile) and draws one map: the neighbouring areas coloured by their Gi* bin, the profiled
areas outlined, local authority boundaries, provision points, a scale bar and a north arrow.
Incident points are never drawn (disclosure control). Output is SVG (vector) or PNG.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrow, Rectangle
from matplotlib.path import Path as MplPath

from placebased.io.places import towns
from placebased.outputs import style

MM_PER_INCH = 25.4
_SCALE_STEPS = (50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 25000, 50000)


def _geom_path(geom) -> MplPath:
    """One compound matplotlib path (holes included) for a (multi)polygon."""
    verts: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    polys = getattr(geom, "geoms", [geom])
    for poly in polys:
        if poly.is_empty or poly.geom_type != "Polygon":
            continue
        for ring in [poly.exterior, *poly.interiors]:
            xy = np.asarray(ring.coords)[:, :2]
            if len(xy) < 3:
                continue
            c = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
            c[0] = MplPath.MOVETO
            c[-1] = MplPath.CLOSEPOLY
            verts.append(xy)
            codes.append(c)
    if not verts:
        return MplPath(np.zeros((1, 2)))
    return MplPath(np.concatenate(verts), np.concatenate(codes))


def _nice_length(span_m: float) -> float:
    target = span_m / 4.0
    best = _SCALE_STEPS[0]
    for s in _SCALE_STEPS:
        if s <= target:
            best = s
    return float(best)


@dataclass
class MapData:
    """Outlines prepared once for many maps."""

    codes: np.ndarray
    paths: list[MplPath]
    geoms: np.ndarray
    tree: shapely.STRtree
    lad_geoms: np.ndarray
    provision_xy: np.ndarray  # (n, 2) eastings/northings, may be empty
    bounds: np.ndarray
    ward_labels: gpd.GeoDataFrame | None = None  # ward polygons (ward_name, geometry; placebased.io.places)
    town_labels: pd.DataFrame | None = None  # name, x, y (placebased.io.places.towns)
    provision_types: np.ndarray | None = None  # type of each provision point

    @classmethod
    def build(cls, areas: gpd.GeoDataFrame, provision: gpd.GeoDataFrame | None = None,
              simplify_m: float = 8.0) -> MapData:
        """Prepare outlines of ``areas`` (EPSG:27700) and the provision points (if any)."""
        geoms = areas.geometry.to_numpy()
        if simplify_m:
            geoms = shapely.simplify(geoms, simplify_m, preserve_topology=True)
        paths = [_geom_path(g) for g in geoms]
        lad_geoms = np.array([], dtype=object)
        if "lad_code" in areas.columns and areas["lad_code"].notna().any() and areas["lad_code"].nunique() > 1:
            lads = gpd.GeoDataFrame({"lad": areas["lad_code"].to_numpy()}, geometry=list(geoms), crs=areas.crs)
            lad_geoms = shapely.simplify(lads.dissolve("lad").geometry.boundary.to_numpy(), 20.0)
        xy = np.zeros((0, 2))
        if provision is not None and len(provision):
            pts = provision
            if pts.crs is not None and areas.crs is not None and pts.crs != areas.crs:
                pts = pts.to_crs(areas.crs)
            g = pts.geometry[pts.geometry.notna() & ~pts.geometry.is_empty]
            xy = np.column_stack([g.x.to_numpy(), g.y.to_numpy()]) if len(g) else xy
            kinds = pts.loc[g.index, "type"].astype(str).to_numpy() if "type" in pts else None
        else:
            kinds = None
        try:
            town = towns(areas)
            wards = None
            if "ward_name" in areas and areas["ward_name"].notna().any():
                w = gpd.GeoDataFrame({"ward_name": areas["ward_name"].to_numpy()}, geometry=list(geoms), crs=areas.crs)
                wards = w.dropna(subset=["ward_name"]).dissolve("ward_name").reset_index()
        except Exception:  # noqa: BLE001 - labels are a help, never a reason to fail a map
            wards, town = None, None
        return cls(
            codes=areas.index.to_numpy(),
            paths=paths,
            geoms=np.asarray(geoms),
            tree=shapely.STRtree(geoms),
            lad_geoms=lad_geoms,
            provision_xy=xy,
            bounds=shapely.bounds(np.asarray(geoms)),
            ward_labels=wards,
            town_labels=town,
            provision_types=kinds,
        )

    def neighbours(self, codes: list[str]) -> list[str]:
        """Codes of the areas touching the given ones (not including them)."""
        pos = np.flatnonzero(np.isin(self.codes, codes))
        if not len(pos):
            return []
        hits = self.tree.query(self.geoms[pos], predicate="intersects")[1]
        return [c for c in self.codes[np.unique(hits)] if c not in set(codes)]

    def extent(self, codes: list[str], aspect: float, pad: float = 0.35, min_span_m: float = 1500.0):
        """(xmin, xmax, ymin, ymax) around ``codes`` with the width/height ``aspect``."""
        pos = np.flatnonzero(np.isin(self.codes, codes))
        b = self.bounds[pos]
        x0, y0 = b[:, 0].min(), b[:, 1].min()
        x1, y1 = b[:, 2].max(), b[:, 3].max()
        w = max(x1 - x0, min_span_m / 2) * (1 + 2 * pad)
        h = max(y1 - y0, min_span_m / 2) * (1 + 2 * pad)
        w, h = max(w, min_span_m), max(h, min_span_m)
        if w / h < aspect:
            w = h * aspect
        else:
            h = w / aspect
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        return cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2

    def render(self, codes: list[str], width_mm: float, height_mm: float, gi_bins: pd.Series | None = None,
               fmt: str = "svg", dpi: int = 200) -> bytes:
        """Draw the map of ``codes`` and return SVG (or PNG) bytes.

        Parameters
        ----------
        codes
            The profiled areas (outlined in black).
        width_mm, height_mm
            Size of the map on the page.
        gi_bins
            Gi* bin (-3..3) per area code; areas are filled with :data:`style.GI_BIN_COLOURS`.
            When None every area is filled with a neutral pale grey.
        fmt
            ``"svg"`` (vector) or ``"png"`` (``dpi``).
        """
        aspect = width_mm / height_mm
        xmin, xmax, ymin, ymax = self.extent(codes, aspect)
        fig = Figure(figsize=(width_mm / MM_PER_INCH, height_mm / MM_PER_INCH))
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_axis_off()
        ax.set_xlim(xmin, xmax)
        ax.set_ylim(ymin, ymax)
        ax.set_aspect("equal", adjustable="box")
        ax.add_artist(Rectangle((xmin, ymin), xmax - xmin, ymax - ymin, facecolor="#fbfbf8", edgecolor="none",
                               zorder=0))
        box = shapely.box(xmin, ymin, xmax, ymax)
        vis = self.tree.query(box)
        sel = set(codes)
        vis_codes = self.codes[vis]
        if gi_bins is not None:
            b = pd.Series(gi_bins).reindex(vis_codes)
            faces = [style.gi_bin_colour(v) if pd.notna(v) else "#f4f4f4" for v in b.to_numpy()]
        else:
            faces = ["#eef0f2"] * len(vis)
        fill = PathCollection([self.paths[i] for i in vis], facecolors=faces, edgecolors="#ffffff",
                              linewidths=0.5, zorder=1)
        ax.add_collection(fill, autolim=False)
        nb = set(self.neighbours(list(codes)))
        nb_idx = [i for i in vis if self.codes[i] in nb]
        if nb_idx:
            ax.add_collection(PathCollection([self.paths[i] for i in nb_idx], facecolors="none",
                                             edgecolors=style.BRAND["neighbour"], linewidths=0.6, zorder=2),
                              autolim=False)
        for g in self.lad_geoms:  # local authority boundaries, clipped to the map
            part = shapely.intersection(g, box)
            for line in getattr(part, "geoms", [part]):
                if line.geom_type == "LineString" and not line.is_empty:
                    xy = np.asarray(line.coords)
                    ax.plot(xy[:, 0], xy[:, 1], color="#555555", lw=0.9, ls=(0, (4, 2)), zorder=3, scalex=False,
                            scaley=False)
        sel_paths = [self.paths[i] for i in np.flatnonzero(np.isin(self.codes, list(sel)))]
        # the selection: a hatch fill, a white halo and a strong dark outline (readable on any fill)
        with matplotlib.rc_context({"hatch.color": style.BRAND["selected"], "hatch.linewidth": 0.6}):
            ax.add_collection(PathCollection(sel_paths, facecolors="none", edgecolors="none", hatch="////",
                                             linewidths=0, zorder=4), autolim=False)
        ax.add_collection(PathCollection(sel_paths, facecolors="none", edgecolors="#ffffff", linewidths=4.2,
                                         zorder=4), autolim=False)
        ax.add_collection(PathCollection(sel_paths, facecolors="none", edgecolors=style.BRAND["selected"],
                                         linewidths=2.4, zorder=5), autolim=False)
        if len(self.provision_xy):
            xy = self.provision_xy
            inside = (xy[:, 0] >= xmin) & (xy[:, 0] <= xmax) & (xy[:, 1] >= ymin) & (xy[:, 1] <= ymax)
            if inside.any():
                ax.scatter(xy[inside, 0], xy[inside, 1], marker="^", s=26, c=style.BRAND["provision"],
                           edgecolors="white", linewidths=0.6, zorder=6)
        self._labels(ax, xmin, xmax, ymin, ymax)
        self._furniture(ax, xmin, xmax, ymin, ymax)
        ax.add_artist(Rectangle((xmin, ymin), xmax - xmin, ymax - ymin, facecolor="none",
                               edgecolor=style.BRAND["rule"], linewidth=1.0, zorder=9))
        buf = io.BytesIO()
        with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": "placebased"}):
            fig.savefig(buf, format=fmt, dpi=dpi, metadata={"Date": None} if fmt == "svg" else None)
        return buf.getvalue()

    def _labels(self, ax, xmin, xmax, ymin, ymax, max_labels: int = 9) -> None:
        """Place names: towns on a county-wide view (wider than 25 km), else the wards in view,
        largest first, skipping any that would overlap one already drawn; white halo for contrast."""
        from matplotlib import patheffects

        w, h = xmax - xmin, ymax - ymin
        county = w > 25_000
        frame = self.town_labels if county else self._ward_points(xmin, xmax, ymin, ymax)
        if frame is None or not len(frame):
            return
        col = "name" if county else "ward_name"
        inside = frame[(frame["x"] > xmin + 0.04 * w) & (frame["x"] < xmax - 0.04 * w) & (frame["y"] > ymin + 0.14 * h)
                       & (frame["y"] < ymax - 0.04 * h)]
        placed: list[tuple[float, float, float, float]] = []
        size = 7.0 if county else 6.2
        fig_w_mm = ax.figure.get_size_inches()[0] * MM_PER_INCH
        m_per_pt = w / fig_w_mm * 0.3528  # metres per typographic point on this map
        halo = [patheffects.withStroke(linewidth=2.2, foreground="white")]
        for row in inside.itertuples(index=False):
            text = str(getattr(row, col))
            half_w = 0.3 * size * len(text) * m_per_pt
            half_h = 0.7 * size * m_per_pt
            box = (row.x - half_w, row.y - half_h, row.x + half_w, row.y + half_h)
            if box[0] < xmin or box[2] > xmax or any(not (box[2] < b[0] or box[0] > b[2] or box[3] < b[1]
                                                         or box[1] > b[3]) for b in placed):
                continue
            placed.append(box)
            ax.text(row.x, row.y, text, ha="center", va="center", fontsize=size, family="DejaVu Sans",
                    weight="bold" if county else "normal", style="normal" if county else "italic",
                    color="#1b1b1b" if county else "#33414e", zorder=7, path_effects=halo)
            if len(placed) >= max_labels:
                break

    def _ward_points(self, xmin, xmax, ymin, ymax) -> pd.DataFrame | None:
        """A label point per ward in view: inside the part of the ward that is on the map, largest part first."""
        if self.ward_labels is None or not len(self.ward_labels):
            return None
        w, h = xmax - xmin, ymax - ymin
        inner = shapely.box(xmin + 0.08 * w, ymin + 0.2 * h, xmax - 0.08 * w, ymax - 0.08 * h)
        parts = shapely.intersection(self.ward_labels.geometry.to_numpy(), inner)
        keep = ~shapely.is_empty(parts)
        if not keep.any():
            return None
        pts = shapely.point_on_surface(parts[keep])
        out = pd.DataFrame({"ward_name": self.ward_labels["ward_name"].to_numpy()[keep],
                            "x": shapely.get_x(pts), "y": shapely.get_y(pts), "a": shapely.area(parts[keep])})
        return out[out["a"] > 0.02 * w * h].sort_values("a", ascending=False)

    @staticmethod
    def _furniture(ax, xmin, xmax, ymin, ymax) -> None:
        """Scale bar (bottom left) and north arrow (top right)."""
        w, h = xmax - xmin, ymax - ymin
        length = _nice_length(w)
        x0, y0 = xmin + 0.05 * w, ymin + 0.06 * h
        bar_h = 0.018 * h
        ax.add_artist(Rectangle((x0 - 0.03 * w, y0 - 0.025 * h), length + 0.1 * w, 0.11 * h, facecolor="white",
                               edgecolor="none", alpha=0.85, zorder=7))
        half = length / 2
        ax.add_artist(Rectangle((x0, y0), half, bar_h, facecolor="#222222", edgecolor="#222222", lw=0.6, zorder=8))
        ax.add_artist(Rectangle((x0 + half, y0), half, bar_h, facecolor="white", edgecolor="#222222", lw=0.6,
                               zorder=8))
        label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
        ax.text(x0 + length, y0 + bar_h + 0.012 * h, label, ha="center", va="bottom", fontsize=6.5,
                family="DejaVu Sans", color="#222222", zorder=8)
        ax.text(x0, y0 + bar_h + 0.012 * h, "0", ha="center", va="bottom", fontsize=6.5, family="DejaVu Sans",
                color="#222222", zorder=8)
        ax_x, ax_y = xmax - 0.06 * w, ymax - 0.2 * h
        ax.add_artist(FancyArrow(ax_x, ax_y, 0, 0.1 * h, width=0.012 * w, head_width=0.045 * w,
                                head_length=0.055 * h, length_includes_head=True, color="#222222", zorder=8))
        ax.text(ax_x, ax_y + 0.115 * h, "N", ha="center", va="bottom", fontsize=8, weight="bold",
                family="DejaVu Sans", color="#222222", zorder=8)

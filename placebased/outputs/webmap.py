"""The app's map as data for a browser component that keeps the geometry and restyles it.

The folium map (:func:`placebased.outputs.mapping.build_map`) is one whole Leaflet document, re-sent on
every rerun (2.4 MB for 5,000 areas). Here the work is split in two:

- :func:`geometry_document` / :func:`write_geometry`: the areas' simplified WGS84 geometry (from
  :func:`placebased.outputs.mapping.web_geometry`), their codes and names and, optionally, local authority
  outlines, as one compact JSON file named by the SHA-256 of its bytes (``geo/<sha>.json`` under the
  app's ``static/`` folder). Public boundary data only: nothing else ever goes in that file.
  Coordinates are integers of 1e-5 degree (about 1 m), each ring delta-encoded and flattened.
- :func:`style_payload`: what changes per rerun, small and in the file's area order: a palette and
  one palette index per area, the selected codes, tooltip lines (plain text), the legend and the
  overlays (provision, reach, incident clusters, suggested sites), built from the same layer frames,
  colours and legends as ``build_map`` (:func:`placebased.outputs.mapping.classify_layer`, ``tooltips``).

All text is plain text (never HTML): the browser side adds it with ``textContent`` only.
No streamlit here; the component lives in ``components/areamap``.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from placebased._atomic import write_bytes
from placebased.outputs import style
from placebased.outputs.mapping import NO_DATA, _colour, _initials, classify_layer, provision_colours, tooltips

SCALE = 100_000  # integer coordinate units per degree (1e-5 degree, about 1 m)
GEO_FOLDER = "geo"
#: the only keys of a geometry document (a test checks nothing else is ever written)
GEO_KEYS = ("v", "scale", "bbox", "codes", "names", "areas", "outlines")
WGS84 = "EPSG:4326"


# --------------------------------------------------------------------------------------------
# geometry, once per area set


def _ring(coords: np.ndarray) -> list[int]:
    """A ring as flat delta-encoded integers ``[x0, y0, dx1, dy1, ...]`` (closing point dropped)."""
    q = np.round(np.asarray(coords)[:, :2] * SCALE).astype(np.int64)
    if len(q) > 1 and (q[0] == q[-1]).all():
        q = q[:-1]
    d = np.vstack([q[:1], np.diff(q, axis=0)])
    keep = np.ones(len(d), bool)
    keep[1:] = (d[1:] != 0).any(axis=1)  # repeated points after rounding
    return d[keep].ravel().tolist() if keep.all() else _ring_from(q[keep])


def _ring_from(q: np.ndarray) -> list[int]:
    return np.vstack([q[:1], np.diff(q, axis=0)]).ravel().tolist()


def _polygons(geom) -> list[list[list[int]]]:
    """A (multi)polygon as a list of polygons, each a list of rings (exterior first)."""
    if geom is None or geom.is_empty:
        return []
    parts = geom.geoms if hasattr(geom, "geoms") else [geom]
    out = []
    for p in parts:
        if p.geom_type != "Polygon" or p.is_empty:
            continue
        rings = [_ring(p.exterior.coords)] + [_ring(r.coords) for r in p.interiors]
        out.append([r for r in rings if len(r) >= 6])
    return [p for p in out if p]


def _lines(geom) -> list[list[int]]:
    """Boundary lines of a (multi)polygon or (multi)line, each delta-encoded."""
    if geom is None or geom.is_empty:
        return []
    b = geom.boundary if geom.geom_type in ("Polygon", "MultiPolygon") else geom
    parts = b.geoms if hasattr(b, "geoms") else [b]
    return [_ring_from(np.round(np.asarray(ln.coords)[:, :2] * SCALE).astype(np.int64)) for ln in parts
            if len(ln.coords) >= 2]


def geometry_document(web_areas: gpd.GeoDataFrame, outlines: gpd.GeoDataFrame | None = None) -> dict:
    """The geometry file's content for ``web_areas`` (output of :func:`placebased.outputs.mapping.web_geometry`,
    WGS84, indexed by area code, with ``area_name``) and optional outlines (any CRS with one set).

    Keys are exactly :data:`GEO_KEYS`; areas keep ``web_areas``' order (the order of every per-area
    array of :func:`style_payload`)."""
    if web_areas.crs is not None and not web_areas.crs.equals(WGS84):
        web_areas = web_areas.to_crs(WGS84)
    b = web_areas.total_bounds
    names = web_areas["area_name"] if "area_name" in web_areas else pd.Series("", index=web_areas.index)
    doc = {
        "v": 1,
        "scale": SCALE,
        "bbox": [round(float(x), 5) for x in b],
        "codes": [str(c) for c in web_areas.index],
        "names": ["" if pd.isna(n) else str(n) for n in names],
        "areas": [_polygons(g) for g in web_areas.geometry.to_numpy()],
        "outlines": [],
    }
    if outlines is not None and len(outlines):
        o = outlines.to_crs(WGS84) if outlines.crs is not None else outlines
        doc["outlines"] = [ln for g in o.geometry.to_numpy() for ln in _lines(g)]
    return doc


def geometry_bytes(doc: dict) -> bytes:
    return json.dumps(doc, ensure_ascii=True, separators=(",", ":")).encode("ascii")


#: files this module names by content (``<32 hex>.json``, ``<32 hex>.<kind>.json``): the only ones pruned
_STATIC_NAME = re.compile(r"^[0-9a-f]{32}(\.[a-z]+)?\.json$")
#: a file of ``geo/`` not written by this process is kept while younger than this (another server may use it)
PRUNE_AFTER_S = 3600.0
_in_use: set[Path] = set()  # files this process wrote or reused: never pruned while it runs
_lock = threading.Lock()
_STARTED = time.time()  # files written since this process started are kept, whoever wrote them


def write_static(static_dir: str | Path, data: bytes, kind: str = "") -> Path:
    """Write ``data`` as ``static_dir/geo/<sha256[:32]>[.kind].json`` (once: the name is its content's
    hash), mark it in use by this process, and prune the folder (:func:`prune_static`)."""
    name = hashlib.sha256(data).hexdigest()[:32] + (f".{kind}" if kind else "") + ".json"
    folder = Path(static_dir) / GEO_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    with _lock:
        _in_use.add(path.resolve())
    if not path.exists() or path.stat().st_size != len(data):
        write_bytes(path, data)
    else:
        os.utime(path)  # last used now: another process sharing the folder keeps it
    prune_static(static_dir)
    return path


def prune_static(static_dir: str | Path, max_age_s: float | None = None) -> list[Path]:
    """Delete files of ``static_dir/geo/`` left by earlier runs (older area sets, earlier versions of
    the encoding): every content-named file not in use by this process, not written since it started
    and not used for ``max_age_s`` (default :data:`PRUNE_AFTER_S`). Returns the files deleted; other
    names are left alone."""
    folder = Path(static_dir) / GEO_FOLDER
    limit = min(time.time() - (PRUNE_AFTER_S if max_age_s is None else max_age_s), _STARTED)
    gone = []
    with _lock:
        keep = set(_in_use)
    for f in folder.glob("*.json") if folder.is_dir() else ():
        try:
            if _STATIC_NAME.match(f.name) and f.resolve() not in keep and f.stat().st_mtime < limit:
                f.unlink()
                gone.append(f)
        except OSError:  # deleted meanwhile by another process, or not ours to delete
            continue
    return gone


def write_geometry(web_areas: gpd.GeoDataFrame, static_dir: str | Path, outlines=None, *,
                   url_prefix: str = "app/static") -> dict:
    """Write the geometry file under ``static_dir/geo/`` (:func:`write_static`: once, named by its
    content's hash; stale files of earlier runs are pruned).

    Returns ``{"url", "path", "codes", "bytes"}``; ``url`` is relative to the app's base URL."""
    data = geometry_bytes(geometry_document(web_areas, outlines))
    path = write_static(static_dir, data)
    return {"url": f"{url_prefix}/{GEO_FOLDER}/{path.name}", "path": path,
            "codes": [str(c) for c in web_areas.index], "bytes": len(data)}


# --------------------------------------------------------------------------------------------
# per-rerun style


_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")


def html_to_lines(markup: str) -> list[str]:
    """The text lines of a tooltip made of escaped inline HTML (``<b>``, ``<span>``, ``<br>``): tags
    dropped, character references decoded, so the browser shows the original text as text."""
    return [html.unescape(_TAG.sub("", part)).strip() for part in _BR.split(markup or "")]


def _encode_strings(values: list[str]) -> dict:
    """Dictionary-encode a column of strings when it repeats (``levels`` + ``idx``), else ``values``."""
    levels: dict[str, int] = {}
    idx = [levels.setdefault(v, len(levels)) for v in values]
    if len(levels) * 2 <= len(values):
        return {"levels": list(levels), "idx": idx}
    return {"values": values}


def tip_lines(tips: pd.Series, codes: list[str], skip_first: bool = True) -> dict:
    """Per-area tooltip text (lines joined by newlines) in ``codes`` order, from HTML tooltips
    (:func:`placebased.outputs.mapping.tooltips` or the workshop's). The first line (name and code) is
    dropped when ``skip_first``: the browser has both from the geometry file."""
    t = tips.reindex(codes).fillna("")
    out = []
    for markup in t.to_numpy():
        lines = html_to_lines(str(markup))
        out.append("\n".join(ln for ln in (lines[1:] if skip_first else lines) if ln))
    return _encode_strings(out)


def fills(colours: pd.Series, codes: list[str], default: str = NO_DATA) -> tuple[list[str], list[int]]:
    """``(palette, index per area)`` in ``codes`` order; anything not a CSS colour -> ``default``."""
    c = colours.reindex(codes).to_numpy(dtype=object)
    palette: dict[str, int] = {}
    idx = [palette.setdefault(_colour(v, default) if isinstance(v, str) else default, len(palette)) for v in c]
    return list(palette), idx


def legend_payload(title: str, legend: Iterable[tuple[str, str]], note: str = "") -> dict:
    return {"title": str(title or ""), "items": [[_colour(c), str(label)] for c, label in legend],
            "note": str(note or "")}


def provision_payload(provision: gpd.GeoDataFrame | None, radius_m: float | None = None) -> dict | None:
    """Provision points: ``types`` as ``[type, colour, initials]`` and ``points`` as
    ``[lat, lon, type index, name]``; ``radius`` of the reach circles in metres (or None)."""
    if provision is None or not len(provision):
        return None
    pts = provision.to_crs(WGS84) if provision.crs is not None else provision
    pts = pts[pts.geometry.geom_type == "Point"]
    kinds = pts["type"].astype(str)
    cmap = provision_colours(kinds)
    order = {t: i for i, t in enumerate(cmap)}
    names = pts["name"] if "name" in pts else pd.Series("", index=pts.index)
    return {
        "types": [[t, c, _initials(t)] for t, c in cmap.items()],
        "points": [[round(float(g.y), 6), round(float(g.x), 6), order[k], "" if pd.isna(n) else str(n)]
                   for g, k, n in zip(pts.geometry, kinds, names)],
        "radius": float(radius_m) if radius_m else None,
    }


def clusters_payload(point_clusters: pd.DataFrame | None) -> list | None:
    """Incident clusters (:func:`placebased.outputs.mapping.cluster_points`) as ``[lat, lon, radius px, count]``."""
    if point_clusters is None or not len(point_clusters):
        return None
    mx = float(point_clusters["count"].max()) or 1.0
    return [[round(float(r.lat), 6), round(float(r.lon), 6), round(float(3 + 12 * np.sqrt(r.count / mx)), 1),
             int(r.count)] for r in point_clusters.itertuples()]


def sites_payload(sites: gpd.GeoDataFrame | None) -> list | None:
    if sites is None or not len(sites):
        return None
    pts = sites.to_crs(WGS84) if sites.crs is not None else sites
    names = pts["name"] if "name" in pts else pd.Series("", index=pts.index)
    return [[round(float(g.y), 6), round(float(g.x), 6), "" if pd.isna(n) else str(n)]
            for g, n in zip(pts.geometry, names)]


def style_payload(
    codes: list[str],
    data: pd.DataFrame,
    layer: str = "priority",
    selected: Iterable[str] = (),
    note: str = "",
    provision: gpd.GeoDataFrame | None = None,
    provision_radius_m: float | None = None,
    point_clusters: pd.DataFrame | None = None,
    sites: gpd.GeoDataFrame | None = None,
    outlines: bool = False,
    count_label: str = "Incidents",
) -> dict:
    """The per-rerun arguments of the analyst map, as :func:`placebased.outputs.mapping.build_map` draws it.

    ``codes`` is the geometry file's area order (``write_geometry(...)["codes"]``); ``data`` the map
    frame (:func:`placebased.pipeline.map_frame`) with whatever ``layer`` needs."""
    colours, legend, title = classify_layer(layer, data)
    palette, idx = fills(colours, codes)
    attrs = data.reindex(codes)
    out = {
        "palette": palette,
        "fill": idx,
        "selected": [str(c) for c in selected],
        "tips": tip_lines(tooltips(attrs, count_label), codes),
        "legend": legend_payload(title, legend, note),
        "style": {"fillOpacity": 0.78, "line": "#6b7785", "weight": 0.5, "selectedLine": style.BRAND["selected"],
                  "hover": style.BRAND["accent"]},
        "outlines": {"colour": style.BRAND["primary"], "weight": 2.2} if outlines else None,
        "provision": provision_payload(provision, provision_radius_m),
        "clusters": clusters_payload(point_clusters),
        "sites": sites_payload(sites),
    }
    return out


def workshop_payload(codes: list[str], colours: pd.Series, tips: pd.Series, title: str, legend, note: str,
                     outlines: bool = True, selected: Iterable[str] = ()) -> dict:
    """The per-rerun arguments of the workshop map (areas only, no point layer of any kind, larger
    type): as :func:`placebased.outputs.mapping.workshop_map` draws it, from the workshop's colours and
    tooltips (:func:`placebased.outputs.workshop.plain_tooltips`)."""
    palette, idx = fills(colours, codes, "#f2f2ee")
    return {
        "palette": palette,
        "fill": idx,
        "selected": [str(c) for c in selected if c],
        "tips": tip_lines(tips, codes),
        "legend": legend_payload(title, legend, note),
        "style": {"fillOpacity": 0.8, "line": "#8a94a0", "weight": 0.5, "selectedLine": style.BRAND["selected"],
                  "hover": style.BRAND["accent"], "large": True},
        "outlines": {"colour": style.BRAND["primary"], "weight": 2} if outlines else None,
        "provision": None,
        "clusters": None,
        "sites": None,
    }


def payload_bytes(payload: dict) -> int:
    """Size of the per-rerun arguments as JSON (what a rerun sends to the browser)."""
    return len(json.dumps(payload, separators=(",", ":")))


def decode_ring(flat: list[int]) -> np.ndarray:
    """Inverse of the ring encoding (for tests): ``(n, 2)`` lon/lat degrees."""
    a = np.cumsum(np.asarray(flat, np.int64).reshape(-1, 2), axis=0)
    return a / SCALE


__all__ = ["GEO_KEYS", "geometry_document", "write_geometry", "write_static", "prune_static", "style_payload",
           "workshop_payload", "tip_lines", "html_to_lines", "fills", "decode_ring", "payload_bytes"]

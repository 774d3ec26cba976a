"""Spatial weights: which areas are neighbours.

:func:`build_weights` returns a row-standardised :class:`libpysal.graph.Graph` indexed by area
code, built from the polygons by name (a registry, like mapclassify's schemes):

``queen`` (default)
    Areas sharing a boundary point. Needs no CRS.
``rook``
    Areas sharing a boundary edge. Needs no CRS.
``knn:K``
    The K nearest area centroids. Works on planar coordinates, so a file without a CRS is used
    in its own units; a geographic CRS (degrees) is projected to British National Grid first.
``distance:METRES``
    Every area whose centroid lies within METRES of this one's. Metres need a known CRS: a file
    without one raises :class:`~placebased.errors.ConfigError`.

Islands (areas left without a neighbour, e.g. an offshore LSOA or a too-short distance band)
are joined to their nearest area by polygon distance, symmetrically, with a
:class:`~placebased.io.areas.DataWarning` naming them; local statistics are undefined for islands
(esda #167, #193, #204; GeoDa #1654).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from placebased.errors import ConfigError, DataError
from placebased.io.areas import BNG, DataWarning

if TYPE_CHECKING:  # libpysal is imported where a Graph is built (seconds to import)
    from libpysal.graph import Graph

#: weight kinds by name; ``knn`` and ``distance`` take a parameter after a colon
WEIGHT_KINDS: dict[str, str] = {
    "queen": "queen contiguity (shared boundary point)",
    "rook": "rook contiguity (shared boundary edge)",
    "knn": "k nearest neighbours by centroid, e.g. knn:6",
    "distance": "centroids within a distance band in metres, e.g. distance:2000",
}


@dataclass(frozen=True)
class WeightSpec:
    """A parsed weights name: ``kind`` and its parameter (K or metres)."""

    kind: str
    param: float | None = None

    @property
    def label(self) -> str:
        """The canonical name, e.g. ``"knn:6"``."""
        if self.param is None:
            return self.kind
        p = int(self.param) if float(self.param).is_integer() else self.param
        return f"{self.kind}:{p}"


def parse_weights(kind: str) -> WeightSpec:
    """Parse ``"queen"``, ``"rook"``, ``"knn:K"`` or ``"distance:METRES"``.

    Raises
    ------
    ConfigError
        For an unknown name or a bad parameter, listing the valid names.
    """
    text = str(kind).strip().lower()
    name, _, param = text.partition(":")
    valid = "queen, rook, knn:K (e.g. knn:6), distance:METRES (e.g. distance:2000)"
    if name not in WEIGHT_KINDS:
        raise ConfigError(f"unknown weights {kind!r}; choose one of {valid}.")
    if name in ("queen", "rook"):
        if param:
            raise ConfigError(f"weights {name!r} takes no parameter (got {kind!r}); use plain {name!r}.")
        return WeightSpec(name)
    if not param:
        raise ConfigError(f"weights {name!r} needs a parameter, e.g. {name}:{6 if name == 'knn' else 2000}.")
    if name == "knn":
        if not re.fullmatch(r"\d+", param) or int(param) < 1:
            raise ConfigError(f"knn needs a whole number of neighbours >= 1 (got {param!r}); e.g. knn:6.")
        return WeightSpec("knn", int(param))
    try:
        metres = float(param)
    except ValueError:
        metres = -1.0
    if not np.isfinite(metres) or metres <= 0:
        raise ConfigError(f"distance needs a positive number of metres (got {param!r}); e.g. distance:2000.")
    return WeightSpec("distance", metres)


def build_weights(areas: gpd.GeoDataFrame | gpd.GeoSeries, kind: str = "queen") -> Graph:
    """Build row-standardised spatial weights between areas.

    Parameters
    ----------
    areas
        Polygons indexed by area code (e.g. from :func:`placebased.io.areas.load_areas`).
    kind
        ``"queen"``, ``"rook"``, ``"knn:K"`` or ``"distance:METRES"`` (see the module notes).

    Returns
    -------
    libpysal.graph.Graph
        Row-standardised (``transformation == "R"``), ``unique_ids`` equal to ``areas.index``, no
        isolates (islands are joined to their nearest area with a :class:`DataWarning`).

    Examples
    --------
    >>> import geopandas as gpd, libpysal.examples as ex
    >>> cols = gpd.read_file(ex.get_path("columbus.shp")).set_index("POLYID")
    >>> g = build_weights(cols, "queen")
    >>> g.n, g.transformation, round(float(g.cardinalities.mean()), 3)
    (49, 'R', 4.816)
    """
    spec = parse_weights(kind)
    geoms = areas.geometry if isinstance(areas, gpd.GeoDataFrame) else areas
    if len(geoms) < 2:
        raise DataError(f"spatial weights need at least 2 areas (got {len(geoms)}); use a larger area set.")
    if not geoms.index.is_unique:
        dup = geoms.index[geoms.index.duplicated()].unique()[:5]
        raise DataError(f"area codes must be unique to build weights; duplicated: {', '.join(map(str, dup))}.")
    if geoms.isna().any() or geoms.is_empty.any():
        bad = geoms.index[(geoms.isna() | geoms.is_empty).to_numpy()][:5]
        names = ", ".join(map(str, bad))
        raise DataError(f"areas without a geometry cannot have neighbours: {names}; fix or drop them.")
    ids = pd.Index(geoms.index, name="area_code")
    arr = geoms.to_numpy()
    if spec.kind in ("queen", "rook"):
        f, n = _contiguity_pairs(arr, rook=spec.kind == "rook")
    else:
        planar = _planar(gpd.GeoSeries(arr, index=ids, crs=geoms.crs), spec)
        if spec.kind == "knn":
            k = int(spec.param)
            if k >= len(planar):
                raise ConfigError(f"knn:{k} needs more than {k} areas (there are {len(planar)}); choose a smaller K.")
            from libpysal.graph import Graph

            graph = Graph.build_knn(_centroids(planar), k=k, coplanar="jitter")
        else:
            from libpysal.graph import Graph

            graph = Graph.build_distance_band(_centroids(planar), float(spec.param), binary=True)
        coo = graph.sparse.tocoo()  # in graph.unique_ids order, which is ids
        keep = (coo.row != coo.col) & (coo.data != 0)
        f, n = _sorted_pairs(coo.row[keep].astype(np.int64) * len(ids) + coo.col[keep], len(ids))
    f, n = _join_islands(ids, arr, f, n, spec)
    return _graph(ids, f, n, 1.0 / np.bincount(f, minlength=len(ids))[f], "R")


def _planar(geoms: gpd.GeoSeries, spec: WeightSpec) -> gpd.GeoSeries:
    if geoms.crs is None:
        if spec.kind == "distance":
            raise ConfigError(
                f"weights {spec.label!r} measure metres but the boundaries have no coordinate system; "
                "add a .prj / CRS to the file or use queen, rook or knn:K weights."
            )
        return geoms  # knn on the file's own planar units
    if geoms.crs.is_geographic:
        return geoms.to_crs(BNG)
    return geoms


def _centroids(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    # representative points lie inside the polygon; centroids are the convention for knn/bands
    return geoms.centroid


def _sorted_pairs(keys: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Unique ``focal * n + neighbour`` keys, sorted, split into focal and neighbour positions.

    A sort and a comparison (numpy's hash-based ``np.unique`` is several times slower here)."""
    keys = np.sort(np.asarray(keys, dtype=np.int64))
    keys = keys[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else keys
    return keys // n, keys % n


def _join_islands(ids: pd.Index, arr: np.ndarray, f: np.ndarray, n: np.ndarray,
                  spec: WeightSpec) -> tuple[np.ndarray, np.ndarray]:
    """Join every area without a neighbour to its nearest area by polygon distance, both ways."""
    size = len(ids)
    isolates = np.flatnonzero(np.bincount(f, minlength=size) == 0)
    if not len(isolates):
        return f, n
    # nearest other area by polygon distance (an STRtree, not a distance to every area)
    _, nearest = shapely.STRtree(arr).query_nearest(arr[isolates], exclusive=True, all_matches=False)
    extra = np.concatenate([isolates * size + nearest, nearest * size + isolates])
    f, n = _sorted_pairs(np.concatenate([f * size + n, extra]), size)
    shown = ", ".join(f"{ids[a]} -> {ids[b]}" for a, b in list(zip(isolates, nearest, strict=True))[:10])
    more = f" and {len(isolates) - 10} more" if len(isolates) > 10 else ""
    warnings.warn(
        f"{len(isolates)} area(s) had no neighbour under {spec.label} weights and were joined to their nearest "
        f"area: {shown}{more}",
        DataWarning,
        stacklevel=3,
    )
    return f, n


def _graph(ids: pd.Index, f: np.ndarray, n: np.ndarray, w: np.ndarray, transformation: str) -> Graph:
    """A :class:`Graph` from sorted positions into ``ids``, built on integer codes (no string sorting).

    Areas without a neighbour get the zero self-weight libpysal uses to mark isolates. The CSR
    matrix and the cardinalities are filled in from the arrays (libpysal would derive them from the
    adjacency table through pandas' sparse accessor, the slowest step on 34,753 areas); they equal
    what libpysal computes (tests/test_weights.py).
    """
    size = len(ids)
    card = np.bincount(f, minlength=size)
    indptr = np.r_[0, np.cumsum(card)].astype(np.int64)
    matrix = sparse.csr_array((np.asarray(w, dtype=np.float64), n, indptr), shape=(size, size))
    isolates = np.flatnonzero(card == 0)
    if len(isolates):
        f, n = np.concatenate([f, isolates]), np.concatenate([n, isolates])
        w = np.concatenate([w, np.zeros(len(isolates))])
        order = np.lexsort((n, f))
        f, n, w = f[order], n[order], w[order]
    from libpysal.graph import Graph

    index = pd.MultiIndex(levels=[ids, ids], codes=[f, n], names=["focal", "neighbor"], verify_integrity=False)
    graph = Graph(pd.Series(np.asarray(w, dtype=np.float64), index=index, name="weight"), transformation,
                  is_sorted=True)
    graph.__dict__["sparse"] = matrix  # functools.cached_property values live in the instance dict
    graph.__dict__["cardinalities"] = pd.Series(card, index=pd.Index(ids, name="focal"), name="cardinalities")
    return graph


def contiguity(geoms: gpd.GeoSeries, rook: bool = False) -> Graph:
    """Binary contiguity from shared polygon vertices (queen) or shared edges (rook), vectorised.

    The same neighbours as libpysal's ``Graph.build_contiguity(geoms, rook=..., strict=False)``
    (tested on the shipped LSOAs, Columbus and all 34,753 England & Wales LSOAs), several times
    faster (see :func:`_contiguity_pairs`). Areas without a neighbour keep a zero self-weight,
    as libpysal does.
    """
    ids = pd.Index(geoms.index)
    f, n = _contiguity_pairs(geoms.to_numpy(), rook=rook)
    return _graph(ids, f, n, np.ones(len(f)), "O")


def _contiguity_pairs(arr: np.ndarray, rook: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Positions ``(focal, neighbour)`` of the polygons sharing a vertex (queen) or an edge (rook).

    Every vertex (or edge, as a pair of vertices) is keyed by its exact coordinates; one sort by key
    lists the polygons sharing each key, and each such set of k polygons gives its k(k-1) ordered
    pairs. Sorted by focal, then neighbour; no self-pairs.
    """
    size = len(arr)
    if rook:  # an edge joins consecutive vertices of one ring (rings are closed, so every edge is listed)
        parts, part_of = shapely.get_parts(arr, return_index=True)
        rings, ring_of = shapely.get_rings(parts, return_index=True)
        coords, vert_ring = shapely.get_coordinates(rings, return_index=True)
        owner = part_of[ring_of[vert_ring]]
    else:
        coords, owner = shapely.get_coordinates(arr, return_index=True)
    order, new_key = _same_points(coords)
    if rook:
        vid = np.empty(len(order), dtype=np.int64)
        vid[order] = np.cumsum(new_key) - 1
        same = vert_ring[1:] == vert_ring[:-1]
        a, b = vid[:-1][same], vid[1:][same]
        key = np.minimum(a, b) * (int(vid.max(initial=0)) + 1) + np.maximum(a, b)
        order = np.argsort(key)
        key, owner = key[order], owner[:-1][same][order]
        new_key = np.r_[True, key[1:] != key[:-1]]
    else:
        owner = owner[order]
    owner = owner.astype(np.int64)
    starts = np.flatnonzero(new_key)
    sizes = np.diff(np.r_[starts, len(owner)])
    keys = [np.zeros(0, np.int64)]
    # keys held k times give k(k-1) ordered pairs; a polygon holding a key twice (a ring's closing
    # vertex) gives self-pairs, dropped here, and repeated pairs, dropped by _sorted_pairs
    for k in np.unique(sizes[sizes > 1]):
        members = owner[starts[sizes == k][:, None] + np.arange(k)[None, :]]
        f, g = np.repeat(members, k, axis=1).ravel(), np.tile(members, (1, k)).ravel()
        keys.append(f[f != g] * size + g[f != g])
    return _sorted_pairs(np.concatenate(keys), size)


def _point_hash(xy: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each point's coordinate bits (multiply-xor; equal points, equal hashes)."""
    bits = xy.view(np.uint64)
    return (bits[:, 0] * np.uint64(0x9E3779B97F4A7C15)) ^ (bits[:, 1] * np.uint64(0xBF58476D1CE4E5B9))


def _same_points(coords: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An order of ``coords`` that puts equal points together, and where each new point starts.

    Sorts a 64-bit hash of the coordinates' bits (one integer sort, several times faster than a
    lexicographic sort of x and y); equal hashes of different points (practically never) are
    detected and then the exact lexicographic sort is used.
    """
    xy = np.ascontiguousarray(coords[:, :2], dtype=np.float64) + 0.0  # -0.0 and 0.0 are one point
    h = _point_hash(xy)
    order = np.argsort(h)
    hs, xs, ys = h[order], xy[order, 0], xy[order, 1]
    differ = (xs[1:] != xs[:-1]) | (ys[1:] != ys[:-1])
    if np.any((hs[1:] == hs[:-1]) & differ):
        order = np.lexsort((xy[:, 1], xy[:, 0]))
        xs, ys = xy[order, 0], xy[order, 1]
        differ = (xs[1:] != xs[:-1]) | (ys[1:] != ys[:-1])
    return order, np.r_[True, differ]


def _reorder(graph: Graph, order: pd.Index) -> Graph:
    """Return ``graph`` with its focal ids in ``order`` (Graph keeps the order it was built in)."""
    if graph.unique_ids.equals(order):
        return graph
    adj = graph.adjacency
    f = pd.Categorical(adj.index.get_level_values("focal"), categories=order)
    n = pd.Categorical(adj.index.get_level_values("neighbor"), categories=order)
    frame = pd.DataFrame({"f": f, "n": n, "w": adj.to_numpy()}).sort_values(["f", "n"], kind="stable")
    from libpysal.graph import Graph

    return Graph.from_arrays(frame["f"].astype(object).to_numpy(), frame["n"].astype(object).to_numpy(),
                             frame["w"].to_numpy())


def graph_state(graph: Graph) -> dict:
    """``graph`` as plain pandas and scipy objects (its adjacency table, transformation and cached CSR
    matrix), which load without importing libpysal; :func:`graph_from_state` makes the Graph again."""
    return dict(graph.__dict__)


def graph_from_state(state: dict) -> Graph:
    """The :class:`libpysal.graph.Graph` saved by :func:`graph_state` (the same object, attribute for attribute)."""
    from libpysal.graph import Graph

    graph = Graph.__new__(Graph)
    graph.__dict__.update(state)
    return graph


def graph_arrays(graph: Graph) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """CSR arrays of ``graph`` in ``graph.unique_ids`` order, self-loops removed.

    Returns
    -------
    indptr, indices (int64), data (float64), self_weight (float64 per area)
    """
    sp = graph.sparse.tocsr()
    self_weight = np.asarray(sp.diagonal(), dtype=np.float64)
    if np.any(self_weight != 0):
        sp = sp.tolil()
        sp.setdiag(0)
        sp = sp.tocsr()
    sp.eliminate_zeros()
    sp.sort_indices()
    return (
        sp.indptr.astype(np.int64),
        sp.indices.astype(np.int64),
        sp.data.astype(np.float64),
        self_weight,
    )

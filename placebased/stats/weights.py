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

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from libpysal.graph import Graph

from placebased.errors import ConfigError, DataError
from placebased.io.areas import BNG, DataWarning

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
    geoms = gpd.GeoSeries(geoms.to_numpy(), index=pd.Index(geoms.index, name="area_code"), crs=geoms.crs)
    if spec.kind in ("knn", "distance"):
        geoms = _planar(geoms, spec)
    if spec.kind in ("queen", "rook"):
        graph = contiguity(geoms, rook=spec.kind == "rook")
    elif spec.kind == "knn":
        k = int(spec.param)
        if k >= len(geoms):
            raise ConfigError(f"knn:{k} needs more than {k} areas (there are {len(geoms)}); choose a smaller K.")
        graph = Graph.build_knn(_centroids(geoms), k=k, coplanar="jitter")
    else:
        graph = Graph.build_distance_band(_centroids(geoms), float(spec.param), binary=True)
    graph = _fix_islands(graph, geoms, spec)
    return graph.transform("R")


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


def _fix_islands(graph: Graph, geoms: gpd.GeoSeries, spec: WeightSpec) -> Graph:
    isolates = list(graph.isolates)
    if not isolates:
        return graph
    from scipy import sparse

    ids = pd.Index(graph.unique_ids)
    pos = ids.get_indexer(isolates)
    geom_arr = geoms.reindex(ids).to_numpy()
    # nearest other area by polygon distance (an STRtree, not a distance to every area)
    _, nearest = shapely.STRtree(geom_arr).query_nearest(geom_arr[pos], exclusive=True, all_matches=False)
    focal = list(isolates)
    neighbour = [ids[j] for j in nearest]
    coo = graph.sparse.tocoo()
    keep = coo.row != coo.col  # drop the zero self-weights that mark isolates
    n = len(ids)
    extra = np.unique(np.concatenate([pos * n + nearest, nearest * n + pos]))  # both ways, once each
    rows = np.concatenate([coo.row[keep], extra // n])
    cols = np.concatenate([coo.col[keep], extra % n])
    data = np.concatenate([coo.data[keep], np.ones(len(extra))])
    matrix = sparse.coo_array((data, (rows, cols)), shape=(n, n)).tocsr()
    fixed = Graph.from_sparse(matrix, ids=ids)
    shown = ", ".join(f"{a} -> {b}" for a, b in list(zip(focal, neighbour, strict=True))[:10])
    more = f" and {len(focal) - 10} more" if len(focal) > 10 else ""
    warnings.warn(
        f"{len(focal)} area(s) had no neighbour under {spec.label} weights and were joined to their nearest area: "
        f"{shown}{more}",
        DataWarning,
        stacklevel=3,
    )
    return fixed


def contiguity(geoms: gpd.GeoSeries, rook: bool = False) -> Graph:
    """Binary contiguity from shared polygon vertices (queen) or shared edges (rook), vectorised.

    The same neighbours as libpysal's ``Graph.build_contiguity(geoms, rook=..., strict=False)``
    (tested on the shipped LSOAs, Columbus and all 34,753 England & Wales LSOAs), two to three times
    faster: every vertex (or edge, as a pair of vertices) gets an id from its exact coordinates, and
    the polygons sharing an id are neighbours. Areas without a neighbour keep a zero self-weight,
    as libpysal does, so :func:`_fix_islands` can find them.
    """
    ids = pd.Index(geoms.index)
    n = len(ids)
    parts, part_of = shapely.get_parts(geoms.to_numpy(), return_index=True)
    rings, ring_of = shapely.get_rings(parts, return_index=True)
    coords, vert_ring = shapely.get_coordinates(rings, return_index=True)
    owner = part_of[ring_of[vert_ring]]
    vid = pd.factorize(np.ascontiguousarray(coords, dtype=np.float64).view(np.complex128).ravel())[0]
    vid = vid.astype(np.int64)
    if rook:  # an edge joins consecutive vertices of one ring (rings are closed, so every edge is listed)
        same = vert_ring[1:] == vert_ring[:-1]
        a, b = vid[:-1][same], vid[1:][same]
        key = np.minimum(a, b) * (int(vid.max()) + 1) + np.maximum(a, b)
        owner = owner[:-1][same]
    else:
        key = vid
    order = np.lexsort((owner, key))
    key, owner = key[order], owner[order]
    first = np.r_[True, (key[1:] != key[:-1]) | (owner[1:] != owner[:-1])]
    key, owner = key[first], owner[first]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    sizes = np.diff(np.r_[starts, len(key)])
    focal, neighbour = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for k in np.unique(sizes[sizes > 1]):  # ids shared by k polygons give k(k-1) ordered pairs
        members = owner[starts[sizes == k][:, None] + np.arange(k)[None, :]]
        f, g = np.repeat(members, k, axis=1).ravel(), np.tile(members, (1, k)).ravel()
        focal.append(f[f != g])
        neighbour.append(g[f != g])
    pairs = np.unique(np.concatenate(focal) * n + np.concatenate(neighbour))
    f_idx, n_idx = pairs // n, pairs % n
    isolated = np.setdiff1d(np.arange(n), f_idx)
    f_idx = np.concatenate([f_idx, isolated])
    n_idx = np.concatenate([n_idx, isolated])
    weight = np.concatenate([np.ones(len(pairs)), np.zeros(len(isolated))])
    order = np.lexsort((n_idx, f_idx))
    values = ids.to_numpy()
    return Graph.from_arrays(values[f_idx[order]], values[n_idx[order]], weight[order])


def _reorder(graph: Graph, order: pd.Index) -> Graph:
    """Return ``graph`` with its focal ids in ``order`` (Graph keeps the order it was built in)."""
    if graph.unique_ids.equals(order):
        return graph
    adj = graph.adjacency
    f = pd.Categorical(adj.index.get_level_values("focal"), categories=order)
    n = pd.Categorical(adj.index.get_level_values("neighbor"), categories=order)
    frame = pd.DataFrame({"f": f, "n": n, "w": adj.to_numpy()}).sort_values(["f", "n"], kind="stable")
    return Graph.from_arrays(frame["f"].astype(object).to_numpy(), frame["n"].astype(object).to_numpy(),
                             frame["w"].to_numpy())


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

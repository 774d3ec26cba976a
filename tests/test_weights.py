"""Spatial weights (placebased.stats.weights).

Edge cases covered: shuffled rows, string and integer ids, islands (joined with a warning naming
them), files without a CRS (contiguity and knn work, distance bands refuse), geographic CRS,
bad names, too few areas, row standardisation.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import libpysal.examples as ex
import numpy as np
import pytest
from libpysal.graph import Graph
from shapely.geometry import box

from placebased.errors import ConfigError, DataError
from placebased.io.areas import DataWarning
from placebased.stats.weights import build_weights, graph_arrays, parse_weights


@pytest.fixture(scope="module")
def columbus():
    return gpd.read_file(ex.get_path("columbus.shp")).set_index("POLYID")


def _neighbours(g):
    return {f: set(g[f].index) for f in g.unique_ids}


@pytest.mark.parametrize("kind, mean_card", [("queen", 4.816327), ("rook", 4.081633)])
def test_contiguity_on_columbus_without_crs(columbus, kind, mean_card):
    assert columbus.crs is None
    g = build_weights(columbus, kind)
    assert g.transformation == "R"
    assert list(g.unique_ids) == list(columbus.index)
    assert float(g.cardinalities.mean()) == pytest.approx(mean_card, abs=1e-6)
    np.testing.assert_allclose(np.asarray(g.sparse.sum(axis=1)).ravel(), 1.0)
    assert len(g.isolates) == 0


def test_queen_is_default_and_differs_from_rook(columbus):
    assert _neighbours(build_weights(columbus)) == _neighbours(build_weights(columbus, "queen"))
    assert _neighbours(build_weights(columbus, "queen")) != _neighbours(build_weights(columbus, "rook"))


def test_shuffled_rows_and_string_ids_give_same_neighbours(columbus):
    named = columbus.set_axis([f"A{i:02d}" for i in columbus.index])
    shuffled = named.sample(frac=1, random_state=3)
    g1, g2 = build_weights(named), build_weights(shuffled)
    assert list(g2.unique_ids) == list(shuffled.index)
    assert _neighbours(g1) == _neighbours(g2)


def test_knn_works_without_crs_and_has_k_neighbours(columbus):
    g = build_weights(columbus, "knn:4")
    assert (g.cardinalities == 4).all()


def test_distance_band_needs_a_crs(columbus):
    with pytest.raises(ConfigError, match="no coordinate system"):
        build_weights(columbus, "distance:3")


def test_distance_band_in_metres(grid_areas):
    g = build_weights(grid_areas, "distance:1000")  # centroids 1 km apart: rook-like
    assert g.cardinalities["B2"] == 4 and g.cardinalities["A1"] == 2
    g = build_weights(grid_areas, "distance:1500")  # diagonals are 1414 m apart
    assert g.cardinalities["B2"] == 8


def test_geographic_crs_is_projected_for_knn(grid_areas):
    wgs = grid_areas.to_crs("EPSG:4326")
    assert _neighbours(build_weights(wgs, "knn:8")) == _neighbours(build_weights(grid_areas, "knn:8"))
    assert build_weights(wgs, "distance:1001").cardinalities["B2"] == 4


def test_islands_are_joined_to_nearest_with_named_warning():
    geo = gpd.GeoDataFrame(
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(5, 5, 6, 6), box(2, 0, 3, 1), box(9, 0, 10, 1)],
        index=["c", "a", "z", "b", "y"],
    )
    with pytest.warns(DataWarning, match=r"2 area\(s\) had no neighbour.*z -> b.*y -> z"):
        g = build_weights(geo)
    assert len(g.isolates) == 0
    assert list(g.unique_ids) == ["c", "a", "z", "b", "y"]
    nb = _neighbours(g)
    assert nb["z"] == {"b", "y"} and nb["b"] == {"a", "z"} and nb["y"] == {"z"}
    np.testing.assert_allclose(np.asarray(g.sparse.sum(axis=1)).ravel(), 1.0)


def test_short_distance_band_islands_warn(grid_areas):
    with pytest.warns(DataWarning, match="distance:500"):
        g = build_weights(grid_areas, "distance:500")
    assert len(g.isolates) == 0


def test_shipped_areas_queen(areas):
    g = build_weights(areas)
    assert g.n == 443 and list(g.unique_ids) == list(areas.index)
    indptr, indices, data, diag = graph_arrays(g)
    assert (diag == 0).all() and len(indptr) == 444
    np.testing.assert_allclose(np.add.reduceat(data, indptr[:-1]), 1.0)


@pytest.mark.parametrize("bad", ["queenx", "knn", "knn:0", "knn:2.5", "distance:-5", "distance:abc", "rook:3", ""])
def test_bad_names_raise_config_error(bad):
    with pytest.raises(ConfigError, match="queen|knn|distance|rook"):
        parse_weights(bad)


def test_labels():
    assert parse_weights(" KNN:6 ").label == "knn:6"
    assert parse_weights("distance:2000").label == "distance:2000"
    assert parse_weights("distance:2500.5").label == "distance:2500.5"


def test_too_few_areas_and_duplicates():
    one = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], index=["a"])
    with pytest.raises(DataError, match="at least 2"):
        build_weights(one)
    dup = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], index=["a", "a"])
    with pytest.raises(DataError, match="unique"):
        build_weights(dup)


def test_knn_larger_than_area_count(grid_areas):
    with pytest.raises(ConfigError, match="smaller K"):
        build_weights(grid_areas, "knn:9")


@pytest.mark.parametrize("rook", [False, True])
def test_vectorised_contiguity_equals_libpysal(rook, columbus, areas):
    from placebased.stats.weights import contiguity

    for geoms in (columbus.geometry, areas.geometry):
        ours = contiguity(geoms, rook=rook)
        ref = Graph.build_contiguity(geoms, rook=rook)
        assert list(ours.unique_ids) == list(geoms.index)
        e_ours = set(ours.adjacency[ours.adjacency > 0].index)
        e_ref = set(ref.adjacency[ref.adjacency > 0].index)
        assert e_ours == e_ref


def test_vectorised_contiguity_keeps_islands_for_repair():

    from placebased.stats.weights import contiguity

    g = gpd.GeoSeries([box(0, 0, 1, 1), box(1, 0, 2, 1), box(5, 5, 6, 6)], index=["a", "b", "island"])
    graph = contiguity(g)
    assert list(graph.isolates) == ["island"]
    with pytest.warns(UserWarning, match="island -> b"):
        fixed = build_weights(g, "queen")
    assert fixed.cardinalities["island"] == 1


def _same_as_libpysal(graph):
    """The CSR matrix and cardinalities build_weights fills in equal what libpysal derives itself."""
    fresh = Graph(graph.adjacency, graph.transformation, is_sorted=True)
    assert fresh.sparse.shape == graph.sparse.shape
    assert abs(fresh.sparse - graph.sparse).sum() < 1e-12
    assert fresh.cardinalities.equals(graph.cardinalities)
    assert list(fresh.isolates) == list(graph.isolates)
    assert list(fresh.unique_ids) == list(graph.unique_ids)


@pytest.mark.parametrize("kind", ["queen", "rook", "knn:4"])
def test_filled_in_matrix_equals_libpysal(columbus, kind):
    _same_as_libpysal(build_weights(columbus.set_axis([f"A{i:02d}" for i in columbus.index]).sample(
        frac=1, random_state=1), kind))


def test_islands_graph_matrix_equals_libpysal():
    from placebased.stats.weights import contiguity

    g = gpd.GeoSeries([box(0, 0, 1, 1), box(1, 0, 2, 1), box(5, 5, 6, 6)], index=["a", "b", "island"])
    _same_as_libpysal(contiguity(g))


def test_hash_collisions_fall_back_to_the_exact_sort(columbus, monkeypatch):
    """Equal hashes of different points would merge them: the exact sort takes over."""
    from placebased.stats import weights

    expected = _neighbours(build_weights(columbus, "queen"))
    monkeypatch.setattr(weights, "_point_hash", lambda xy: (xy[:, 0] > xy[:, 0].mean()).astype(np.uint64))
    assert _neighbours(build_weights(columbus, "queen")) == expected
    assert _neighbours(build_weights(columbus, "rook")) == _neighbours(Graph.build_contiguity(columbus, rook=True))


NATIONAL = Path("/work/shared/data/boundaries/LSOA_Dec2011_BSC_EW_V3.geojson.gz")


@pytest.mark.skipif(not NATIONAL.exists(), reason="national LSOA 2011 layer not present")
def test_national_queen_equals_libpysal():
    """All 34,753 England & Wales LSOAs (super-generalised 2011): the same queen neighbours as libpysal."""
    import shapely

    from placebased.stats.weights import contiguity

    gdf = gpd.read_file("/vsigzip/" + str(NATIONAL), columns=["LSOA11CD"]).set_index("LSOA11CD")
    gdf["geometry"] = shapely.make_valid(gdf.geometry.to_numpy())
    ours, ref = contiguity(gdf.geometry), Graph.build_contiguity(gdf.geometry, rook=False)
    assert ours.adjacency.equals(ref.adjacency.astype(float))
    assert list(ours.isolates) == list(ref.isolates) == ["E01019077"]  # Isles of Scilly
    _same_as_libpysal(ours)

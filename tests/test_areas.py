"""Areas: the shipped boundaries + IoD, and bring-your-own polygon files.

Edge cases: duplicate ids, missing id column, invalid geometries (repaired with a warning), files
without a CRS, ids that are not LSOA codes, non-polygon files, empty and missing files.
"""

from __future__ import annotations

import json
import warnings

import geopandas as gpd
import pytest
from shapely.geometry import Point, Polygon

from placebased.errors import DataError, SchemaError
from placebased.io.areas import AREA_SCHEMA, DataWarning, load_areas, read_polygons


def test_default_areas_are_the_443_northamptonshire_lsoas(areas):
    assert len(areas) == 443
    assert areas.crs.to_epsg() == 27700
    assert areas.index.name == "area_code"
    assert areas.index.is_unique
    assert set(areas["lad_name"]) == {"North Northamptonshire", "West Northamptonshire"}
    assert (areas["lad_code"] == "E06000061").sum() == 205
    # decile counts published in the IoD2025 provenance
    assert areas["imd_decile"].value_counts().sort_index().tolist() == [14, 38, 51, 33, 32, 55, 46, 72, 65, 37]
    assert int(areas["population"].sum()) == 785_238
    assert areas["idaci_decile"].notna().all()
    for col in areas.columns:
        assert col in AREA_SCHEMA or col.endswith(("_score", "_rank", "_decile")), col


def test_known_area_values(areas):
    row = areas.loc["E01026949"]
    assert row["area_name"] == "North Northamptonshire 005A"
    assert row["imd_score"] == pytest.approx(37.223)
    assert row["imd_decile"] == 2
    assert row["crime_decile"] == 1


def test_vintage_2019():
    a = load_areas(2019)
    assert len(a) == 422
    assert a["imd_decile"].value_counts().sort_index().tolist() == [24, 38, 50, 28, 30, 42, 47, 64, 52, 47]
    assert int(a["population"].sum()) == 720_913
    assert a.crs.to_epsg() == 27700


def test_unknown_vintage():
    with pytest.raises(SchemaError, match="2025, 2019"):
        load_areas(2015)


def _write_geojson(path, features, crs=True):
    doc = {"type": "FeatureCollection", "features": features}
    if not crs:
        pass
    path.write_text(json.dumps(doc))
    return path


def _square(code, x, y, name=None, size=0.01):
    return {"type": "Feature", "properties": {"code": code, "name": name or code},
            "geometry": {"type": "Polygon", "coordinates": [[[x, y], [x + size, y], [x + size, y + size],
                                                             [x, y + size], [x, y]]]}}


def test_bring_your_own_lsoa_file_joins_iod_and_reports_unjoined(tmp_path, areas):
    sub = areas.loc[["E01026949", "E01026950"], ["geometry"]].copy()
    sub["LSOA21CD"] = sub.index
    extra = gpd.GeoDataFrame({"LSOA21CD": ["X999"]}, geometry=[sub.geometry.iloc[0].buffer(-50)], crs=27700)
    f = tmp_path / "mine.gpkg"
    gpd.GeoDataFrame(
        gpd.pd.concat([sub.reset_index(drop=True), extra], ignore_index=True), crs=27700
    ).to_file(f)
    with pytest.warns(DataWarning, match="1 of 3 area ids have no IoD2025 row"):
        a = load_areas(boundaries=f, id_column="LSOA21CD")
    assert a.attrs["unjoined"] == ["X999"]
    assert a.loc["E01026949", "imd_decile"] == 2


def test_formats_zip_shapefile_and_parquet(tmp_path, areas):
    sub = areas.iloc[:5][["area_name", "geometry"]].reset_index()
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    sub.to_file(shp_dir / "areas.shp")
    import zipfile

    z = tmp_path / "areas.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for f in shp_dir.iterdir():
            zf.write(f, f.name)
    assert len(read_polygons(z, "area_code")) == 5
    pq = tmp_path / "areas.parquet"
    sub.to_parquet(pq)
    got = read_polygons(pq, "area_code")
    assert list(got.index) == list(sub["area_code"])


def test_duplicate_ids_are_refused(tmp_path):
    f = _write_geojson(tmp_path / "dup.geojson", [_square("A", -0.9, 52.2), _square("A", -0.8, 52.2)])
    with pytest.raises(SchemaError, match=r"dup.geojson: duplicate area ids in column 'code': A"):
        read_polygons(f, "code")


def test_missing_id_column(tmp_path):
    f = _write_geojson(tmp_path / "a.geojson", [_square("A", -0.9, 52.2)])
    with pytest.raises(SchemaError, match="no id column 'LSOA'.*--id-column"):
        read_polygons(f, "LSOA")


def test_invalid_geometry_is_repaired_with_warning(tmp_path):
    bow = {"type": "Feature", "properties": {"code": "B"},
           "geometry": {"type": "Polygon", "coordinates": [[[-0.9, 52.2], [-0.8, 52.3], [-0.8, 52.2],
                                                            [-0.9, 52.3], [-0.9, 52.2]]]}}
    f = _write_geojson(tmp_path / "bow.geojson", [bow, _square("A", -0.7, 52.2)])
    with pytest.warns(DataWarning, match="repaired 1 invalid geometries"):
        got = read_polygons(f, "code")
    assert got.geometry.is_valid.all()


def test_file_without_crs_keeps_none(tmp_path):
    g = gpd.GeoDataFrame({"code": ["A", "B"]}, geometry=[Polygon([(0, 0), (1, 0), (1, 1)]),
                                                         Polygon([(1, 0), (2, 0), (1, 1)])])
    f = tmp_path / "nocrs.shp"
    g.to_file(f)
    got = read_polygons(f, "code")
    assert got.crs is None and len(got) == 2


def test_point_file_is_not_areas(tmp_path):
    g = gpd.GeoDataFrame({"code": ["A"]}, geometry=[Point(0, 0)], crs=27700)
    f = tmp_path / "pts.gpkg"
    g.to_file(f)
    with pytest.raises(DataError, match="Point features, not polygons"):
        read_polygons(f, "code")


@pytest.mark.parametrize("content, match", [(None, "not found"), (b"", "empty"), (b"hello world", "not a readable")])
def test_missing_empty_and_garbage_files(tmp_path, content, match):
    f = tmp_path / "x.geojson"
    if content is not None:
        f.write_bytes(content)
    with pytest.raises(DataError, match=match):
        read_polygons(f, "code")


def test_non_lsoa_ids_warn_that_nothing_joined(tmp_path):
    # in Norfolk, away from the shipped LSOAs, so nothing can be interpolated either
    f = _write_geojson(tmp_path / "wards.geojson", [_square("W1", 1.2, 52.6), _square("W2", 1.3, 52.6)])
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        a = load_areas(boundaries=f, id_column="code")
    assert any("none of the 2 area ids are LSOA" in str(w.message) for w in rec)
    assert a["imd_decile"].isna().all()


def test_zones_that_are_not_lsoas_get_interpolated_population_and_scores(tmp_path, areas):
    groups = areas.assign(zone=areas["area_name"].str.slice(0, -1))
    zones = groups[["zone", "geometry"]].dissolve("zone").reset_index()
    f = tmp_path / "zones.gpkg"
    zones.to_file(f)
    with pytest.warns(DataWarning, match="interpolated from the shipped LSOAs"):
        got = load_areas(boundaries=f, id_column="zone")
    # zones made of whole LSOAs: residents add up exactly, scores are population-weighted means
    expected_pop = groups.groupby("zone")["population"].sum()
    assert (got["population"] - expected_pop.reindex(got.index)).abs().max() <= 1
    one = got.index[0]
    members = groups[groups["zone"] == one]
    expected = (members["imd_score"] * members["population"]).sum() / members["population"].sum()
    assert got.loc[one, "imd_score"] == pytest.approx(expected, rel=1e-6)
    assert got["imd_decile"].isna().all()  # deciles are defined for LSOAs only
    assert set(got["lad_name"]) <= {"North Northamptonshire", "West Northamptonshire"}


def test_zones_elsewhere_are_not_interpolated(tmp_path, areas):
    far = areas.iloc[:20][["geometry"]].copy()
    far["geometry"] = far.geometry.translate(200_000, 0)  # off the county, in East Anglia's sea
    far["zone"] = [f"Z{i}" for i in range(len(far))]
    f = tmp_path / "far.gpkg"
    far.reset_index(drop=True).to_file(f)
    with pytest.warns(DataWarning, match="no IoD indicators were joined"):
        got = load_areas(boundaries=f, id_column="zone")
    assert got["population"].isna().all()


def test_the_shipped_file_named_by_its_path_is_the_shipped_areas():
    """A config file (or --boundaries) pointing at the shipped boundary file gets exactly the default areas."""
    from placebased import _paths

    named = load_areas(2025, str(_paths.LSOA21_BOUNDARIES), "LSOA21CD", "LSOA21NM")
    default = load_areas()
    assert named.attrs["source"] == default.attrs["source"]
    assert list(named.columns) == list(default.columns) and named.index.equals(default.index)
    other = load_areas(2025, str(_paths.LSOA21_BOUNDARIES), "LSOA21NM")  # another id column: a file like any
    assert other.attrs["source"] != default.attrs["source"]

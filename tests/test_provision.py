"""Provision: postcodes, loading, reach, gaps and the maximal covering location problem.

Edge cases covered: postcodes in odd case and spacing, unknown and malformed postcodes, rows without a
location, per-site catchment radius, service-area polygons, areas without postcodes (fallback centre),
no provision of a type, a gap that appears and disappears, MCLP against brute force, existing
provision counted as covering, inputs not mutated; and the shipped NHS example on the real 443 LSOAs.
"""

from __future__ import annotations

import itertools
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from placebased.errors import ConfigError, DataError, SchemaError
from placebased.io import postcodes
from placebased.io.areas import DataWarning
from placebased.io.provision import example_provision, load_provision, select_types
from placebased.score.reach import area_centres, gaps, radius_label, reach
from placebased.score.siting import SITE_COLUMNS, priority_weights, suggest_sites

X0, Y0 = 470_000, 260_000  # grid_areas: 3 x 3 squares of 1 km, centres at X0 + 500 + 1000 i


def centre(col: str, row: int) -> tuple[float, float]:
    return X0 + 500 + 1000 * "ABC".index(col), Y0 + 500 + 1000 * (row - 1)


def sites(*specs) -> gpd.GeoDataFrame:
    """Provision frame from (name, type, (x, y)[, radius_m]) tuples."""
    rows = [{"name": s[0], "type": s[1], "age_group": pd.NA, "radius_m": s[3] if len(s) > 3 else np.nan,
             "located_by": "coordinates", "geometry": Point(*s[2])} for s in specs]
    return gpd.GeoDataFrame(rows, crs="EPSG:27700")


@pytest.fixture
def rep_centres(grid_areas):
    return area_centres(grid_areas, "representative_point")


# ------------------------------------------------------------------------------------------ postcodes


@pytest.mark.parametrize("typed", ["nn17 1tr", "NN171TR", " NN17  1TR ", "Nn17\t1Tr"])
def test_postcodes_odd_spacing_and_case_match(typed):
    found = postcodes.locate([typed])
    assert found["status"].iloc[0] == "found"
    assert found["postcode"].iloc[0] == "NN17 1TR"
    assert (found["x"].iloc[0], found["y"].iloc[0]) == (488492, 288994)  # Code-Point Open, Lakeside Healthcare


def test_postcodes_unknown_malformed_blank():
    found = postcodes.locate(["ZZ99 9ZZ", "not a postcode", "", None, "nn1 5dg"])
    assert found["status"].tolist() == ["unknown", "malformed", "blank", "blank", "found"]
    assert found["x"].isna().tolist() == [True, True, True, True, False]


def test_postcode_table_is_the_shipped_extract():
    tab = postcodes.postcode_table()
    assert len(tab) == 18_316
    assert tab.index.is_unique


# ------------------------------------------------------------------------------------------ loading


def test_load_csv_by_postcode_reports_unknown(tmp_path):
    f = tmp_path / "youth.csv"
    f.write_text("Name,Category,Age group,Postcode\nClub A,Youth club,10-18,nn17 1tr\n"
                 "Club B,Youth club,11-16, NN2  6LS \nClub C,Sport,10-24,ZZ99 9ZZ\nClub D,Sport,,\n")
    with pytest.warns(DataWarning, match="1 postcodes not found.*row 3 'ZZ99 9ZZ'"):
        prov = load_provision(f)
    assert prov["name"].tolist() == ["Club A", "Club B"]
    assert prov["located_by"].tolist() == ["postcode", "postcode"]
    assert prov["postcode"].tolist() == ["NN17 1TR", "NN2 6LS"]
    assert prov["age_group"].tolist() == ["10-18", "11-16"]
    assert prov.crs.to_epsg() == 27700
    rep = prov.attrs["report"]
    assert rep.rows_read == 4 and rep.by_postcode == 2 and rep.without_location == 1
    assert rep.unknown_postcodes == [(3, "ZZ99 9ZZ", "unknown")]
    assert "postcodes not found 1" in rep.summary()


def test_load_csv_coordinates_then_postcode_fallback(tmp_path):
    f = tmp_path / "sites.csv"
    f.write_text("site,type,easting,northing,postcode,radius_m\nA,Hub,470500,260500,,800\nB,Hub,,,NN17 1TR,\n")
    prov = load_provision(f)
    assert prov["located_by"].tolist() == ["coordinates", "postcode"]
    assert prov.geometry.x.tolist() == [470500, 488492]
    assert prov["radius_m"].iloc[0] == 800 and np.isnan(prov["radius_m"].iloc[1])


def test_load_csv_latlon(tmp_path):
    f = tmp_path / "ll.csv"
    f.write_text("name,latitude,longitude\nLakeside,52.491691,-0.69809\n")
    prov = load_provision(f, default_type="Youth provision")
    assert prov["type"].iloc[0] == "Youth provision"
    assert abs(prov.geometry.x.iloc[0] - 488492) < 5 and abs(prov.geometry.y.iloc[0] - 288994) < 5


def test_load_errors(tmp_path):
    with pytest.raises(DataError, match="not found"):
        load_provision(tmp_path / "missing.csv")
    f = tmp_path / "noloc.csv"
    f.write_text("name,type\nA,Hub\n")
    with pytest.raises(SchemaError, match="no coordinate or postcode column"):
        load_provision(f)
    g = tmp_path / "bad_radius.csv"
    g.write_text("name,postcode,radius\nA,NN17 1TR,far\n")
    with pytest.raises(DataError, match="row 2.*not a distance"):
        load_provision(g)
    h = tmp_path / "all_unknown.csv"
    h.write_text("name,postcode\nA,ZZ99 9ZZ\n")
    with pytest.raises(DataError, match="none of the 1 rows"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        load_provision(h)
    with pytest.raises(SchemaError, match="no column 'Kind'"):
        load_provision(f, type_column="Kind")


def test_load_geojson_points_and_polygons(tmp_path):
    gdf = gpd.GeoDataFrame({"name": ["P", "Area"], "category": ["Club", "Outreach"]},
                           geometry=[Point(470500, 260500), box(471000, 260000, 472000, 261000)], crs="EPSG:27700")
    f = tmp_path / "p.geojson"
    gdf.to_crs("EPSG:4326").to_file(f)
    prov = load_provision(f)
    assert prov["type"].tolist() == ["Club", "Outreach"]
    assert prov["located_by"].tolist() == ["geometry", "geometry"]
    assert prov.geometry.geom_type.tolist() == ["Point", "Polygon"]
    assert abs(prov.geometry.iloc[0].x - 470500) < 0.01
    g = tmp_path / "p.gpkg"
    gdf.to_file(g, driver="GPKG")
    assert load_provision(g)["name"].tolist() == ["P", "Area"]


def test_load_excel(tmp_path):
    f = tmp_path / "sites.xlsx"
    pd.DataFrame({"Name": ["A"], "Type": ["Hub"], "Postcode": ["nn171tr"]}).to_excel(f, index=False)
    prov = load_provision(f)
    assert prov["postcode"].tolist() == ["NN17 1TR"]


def test_example_provision_is_labelled_and_matches_codepoint():
    prov = example_provision()
    assert len(prov) == 96 and prov.attrs["example"] and "EXAMPLE" in prov.attrs["label"]
    counts = prov["type"].value_counts()
    assert counts["GP practice"] == 68 and counts["Prison health service"] == 3
    assert counts["Primary care network hub"] == 4
    raw = pd.read_csv(prov.attrs["source"])
    assert np.array_equal(prov.geometry.x.to_numpy(), raw["cpo_Eastings"].to_numpy(float))
    assert set(prov.loc[prov["type"] == "Prison health service", "name"]) == {"HMP ONLEY", "HMP RYE HILL (C)",
                                                                              "HMP FIVE WELLS"}
    gp = example_provision("gp")
    assert len(gp) == 68 and set(gp["type"]) == {"GP practice"}
    with pytest.raises(ConfigError, match="nhs, gp"):
        example_provision("schools")


def test_select_types_case_insensitive_and_errors():
    prov = example_provision()
    assert len(select_types(prov, ["gp PRACTICE"])) == 68
    assert len(select_types(prov, None)) == 96
    with pytest.raises(ConfigError, match="valid types: .*GP practice"):
        select_types(prov, ["Youth club"])


# ------------------------------------------------------------------------------------------ reach


def test_reach_hand_layout(grid_areas, rep_centres):
    prov = sites(("Y", "Youth club", centre("A", 1)), ("S", "Sport", centre("C", 3)))
    before = grid_areas.copy()
    r = reach(grid_areas, prov, radius_m=1000, centres=rep_centres)
    pd.testing.assert_frame_equal(grid_areas, before)
    assert r.loc["A1", "nearest_m"] == 0 and r.loc["B1", "nearest_m"] == 1000
    assert r.loc["B2", "nearest_m"] == pytest.approx(1414.2, abs=0.1)
    assert r.loc["C3", "nearest_m"] == 0 and r.loc["C3", "nearest_name"] == "S"
    assert r.loc["C3", "nearest_m_youth_club"] == pytest.approx(2828.4, abs=0.1)
    assert r.loc["B1", "within_radius"] == 1  # 1000 m exactly counts; Sport is 2236 m away
    assert r.loc["B2", "within_radius"] == 0
    assert r.loc["A1", "in_area"] == 1 and r.loc["A1", "per_1000"] == 1.0
    assert (r["centre_method"] == "representative_point").all()
    y = reach(grid_areas, prov, radius_m=1500, types=["youth club"], centres=rep_centres)
    assert y.loc["C3", "nearest_m"] == pytest.approx(2828.4, abs=0.1) and y.loc["B2", "within_radius"] == 1
    assert y.attrs["settings"]["types"] == ["Youth club"]


def test_reach_own_radius_and_service_area_polygon(grid_areas, rep_centres):
    prov = sites(("Y", "Club", centre("A", 1), 2100))
    r = reach(grid_areas, prov, radius_m=500, centres=rep_centres)
    assert r.loc["C1", "within_radius"] == 1 and r.loc["C2", "within_radius"] == 0  # 2000 m vs 2236 m
    poly = gpd.GeoDataFrame({"name": ["Outreach"], "type": ["Outreach"], "radius_m": [np.nan]},
                            geometry=[box(X0, Y0, X0 + 1000, Y0 + 2000)], crs="EPSG:27700")
    p = reach(grid_areas, poly, radius_m=1000, centres=rep_centres)
    assert p.loc[["A1", "A2"], "within_radius"].tolist() == [1, 1]
    assert p.loc[["A3", "B1"], "within_radius"].tolist() == [0, 0]  # polygon = its own catchment
    assert p.loc["A3", "nearest_m"] == 500


def test_reach_bad_radius(grid_areas, rep_centres):
    with pytest.raises(ConfigError, match="radius"):
        reach(grid_areas, sites(("Y", "Club", centre("A", 1))), radius_m=-1, centres=rep_centres)


def test_area_centres_fall_back_without_postcodes(areas):
    far = gpd.GeoDataFrame({"population": [1]}, geometry=[box(100_000, 800_000, 101_000, 801_000)],
                           index=pd.Index(["FAR"], name="area_code"), crs="EPSG:27700")
    mixed = pd.concat([areas.iloc[:3][["population", "geometry"]], far])
    c = area_centres(mixed)
    assert c.method.tolist() == ["postcode_mean"] * 3 + ["representative_point"]
    assert "3 of 4 areas" in c.label
    assert c.points.loc["FAR"].within(far.geometry.iloc[0])


def test_real_centres_and_reach(areas):
    c = area_centres(areas)
    assert (c.method == "postcode_mean").all() and "population-weighted" in c.label
    # the mean of an area's postcodes lies in or very near the area
    assert (c.points.distance(areas.geometry) < 500).mean() > 0.97
    r = reach(areas, example_provision(), types=["GP practice"], centres=c)
    assert len(r) == 443 and r.index.name == "area_code"
    assert r["within_radius"].ge(0).all() and r["nearest_m"].max() < 15_000
    assert r.loc["E01026949", "nearest_name"] == "LAKESIDE HEALTHCARE"
    assert "per_1000_aged_10_24" in r and int(r["in_area"].sum()) == 68


# ------------------------------------------------------------------------------------------ gaps


def test_gap_appears_and_disappears(grid_areas, rep_centres):
    tier = pd.Series([3, 3, 3, 2, 2, 2, 1, 1, 1], index=grid_areas.index)  # column C is the top tier
    prov = sites(("Y", "Club", centre("A", 2)))
    g = gaps(reach(grid_areas, prov, centres=rep_centres), tier, areas=grid_areas)
    assert list(g.table.columns[:4]) == ["nearest_m", "within_radius", "tier", "gap"]
    assert g.table.index[g.table["gap"]].tolist() == ["C1", "C2", "C3"]
    assert g.summary_line.startswith("100% of residents of top-tier areas (3,000 of 3,000; 3 of 3 areas)")
    assert "within 1 km" in g.summary_line and g.n_gaps == 3
    assert g.layer.crs.to_epsg() == 27700 and g.layer.index.tolist() == ["C1", "C2", "C3"]
    prov2 = pd.concat([prov, sites(("New", "Club", centre("C", 2)))], ignore_index=True)
    g2 = gaps(reach(grid_areas, prov2, centres=rep_centres), tier, areas=grid_areas)
    assert g2.n_gaps == 0 and g2.summary_line.startswith("0% of residents")
    g3 = gaps(reach(grid_areas, prov, centres=rep_centres), tier, priority_tiers=[1, 2])
    assert "priority-tier" in g3.summary_line  # B2 is 1,000 m from the club at A2, so covered
    assert g3.table.index[g3.table["gap"]].tolist() == ["B1", "B3", "C1", "C2", "C3"]


def test_gaps_string_tiers_and_errors(grid_areas, rep_centres):
    r = reach(grid_areas, sites(("Y", "Club", centre("A", 1))), centres=rep_centres)
    tier = pd.Series(["1 High"] * 3 + ["2 Medium"] * 6, index=grid_areas.index)
    assert gaps(r, tier).table.loc[["A1", "A2", "A3"], "gap"].tolist() == [False, False, True]
    with pytest.raises(ConfigError, match="tiers present"):
        gaps(r, tier, priority_tiers=["Top"])


def test_radius_label():
    assert [radius_label(x) for x in (1000, 800, 1500)] == ["1 km", "800 m", "1.5 km"]


# ------------------------------------------------------------------------------------------ siting


def test_mclp_single_site_known_optimum(grid_areas, rep_centres):
    w = pd.Series(1.0, index=grid_areas.index)
    res = suggest_sites(grid_areas, w, 1, radius_m=1000, centres=rep_centres, population=grid_areas["population"])
    assert res.status == "Optimal" and "CBC" in res.solver
    assert res.sites["site_id"].tolist() == ["B2"]
    assert res.coverage_before == 0 and res.coverage_after == pytest.approx(5 / 9)
    assert res.sites["areas_newly_covered"].iloc[0] == 5 and res.objective == pytest.approx(5)
    assert res.residents_after == 5000
    assert list(res.sites.columns[:-1]) == list(SITE_COLUMNS)


def brute_force(cost, w, k, radius):
    cover = cost <= radius
    return max(w[cover[:, list(c)].any(axis=1)].sum() for c in itertools.combinations(range(cost.shape[1]), k))


@pytest.mark.parametrize("k", [1, 2, 3])
def test_mclp_matches_brute_force(grid_areas, rep_centres, k):
    w = pd.Series([10, 1, 3, 1, 2, 1, 7, 1, 10], index=grid_areas.index, dtype=float)
    cand = gpd.GeoDataFrame({"name": [f"c{i}" for i in range(6)]},
                            geometry=[Point(470_000, 260_000), Point(471_500, 261_000), Point(472_500, 260_200),
                                      Point(470_400, 262_900), Point(472_000, 262_500), Point(473_000, 263_000)],
                            crs="EPSG:27700")
    res = suggest_sites(grid_areas, w, k, candidates=cand, radius_m=1100, centres=rep_centres)
    cost = np.array([[p.distance(c) for c in cand.geometry] for p in rep_centres.points])
    best = brute_force(cost, w.to_numpy(), k, 1100)
    assert res.objective == pytest.approx(best)
    assert res.sites["weighted_coverage_gained"].sum() == pytest.approx(best)
    assert res.coverage_after == pytest.approx(best / w.sum())


def test_mclp_existing_provision_counts_as_covering(grid_areas, rep_centres):
    w = pd.Series(1.0, index=grid_areas.index)
    existing = sites(("Old", "Club", centre("B", 2)))
    res = suggest_sites(grid_areas, w, 1, radius_m=1000, existing=existing, centres=rep_centres)
    assert res.coverage_before == pytest.approx(5 / 9) and res.coverage_after == pytest.approx(7 / 9)
    assert res.sites["site_id"].iloc[0] in {"A2", "B1", "B3", "C2"}
    assert res.sites["areas_newly_covered"].iloc[0] == 2
    assert res.newly_covered.notna().sum() == 2


def test_mclp_errors(grid_areas, rep_centres):
    w = pd.Series(1.0, index=grid_areas.index)
    with pytest.raises(ConfigError, match="more than the 9 candidate"):
        suggest_sites(grid_areas, w, 10, centres=rep_centres)
    with pytest.raises(ConfigError, match="k = 0"):
        suggest_sites(grid_areas, w, 0, centres=rep_centres)
    with pytest.raises(DataError, match="A1"):
        suggest_sites(grid_areas, w.replace({1.0: -1.0}), 1, centres=rep_centres)


def test_priority_weights_shift_negative_scores():
    score = pd.Series([-1.0, 0.0, 1.0], index=list("abc"))
    w = priority_weights(score, pd.Series([100, 100, 50], index=list("abc")))
    assert w.tolist() == [0.0, 100.0, 100.0]


def test_mclp_real_example(areas):
    gp = select_types(example_provision(), ["GP practice"])
    w = priority_weights(areas["imd_score"], areas["population"])
    res = suggest_sites(areas, w, 3, existing=gp, population=areas["population"])
    assert res.status == "Optimal" and len(res.sites) == 3
    assert res.coverage_after > res.coverage_before
    gained = res.sites["weighted_coverage_gained"].sum() / w.sum()
    assert res.coverage_after - res.coverage_before == pytest.approx(gained, abs=1e-6)
    assert res.sites["lat"].between(51.9, 52.7).all() and res.sites["lon"].between(-1.4, -0.3).all()

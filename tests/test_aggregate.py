"""Aggregation: point-in-polygon counts, months, rates, and agreement with police.uk's own LSOA codes.

Edge cases: an area with zero incidents, a category absent from a month, points outside every area,
points on a shared edge, wrong coordinate system (nearly all points outside).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from placebased.errors import DataError
from placebased.stats.aggregate import assign_areas, count_incidents, rates


def _points(xy, cats, months=None, weights=None):
    n = len(xy)
    return gpd.GeoDataFrame({
        "category": cats,
        "month": pd.array(months or [None] * n, dtype="string"),
        "weight": weights or [1.0] * n,
    }, geometry=[Point(x, y) for x, y in xy], crs=27700)


def test_counts_on_grid(grid_areas):
    x0, y0 = 470_000, 260_000
    pts = _points([(x0 + 500, y0 + 500), (x0 + 600, y0 + 400), (x0 + 1500, y0 + 500), (x0 + 9999, y0)],
                  ["Robbery", "Burglary", "Robbery", "Robbery"], months=["2025-01", "2025-01", "2025-02", "2025-02"])
    r = count_incidents(pts, grid_areas)
    assert r.counts.loc["A1", "Robbery"] == 1 and r.counts.loc["A1", "Burglary"] == 1
    assert r.counts.loc["B1", "Robbery"] == 1
    assert r.counts.loc["C3"].sum() == 0  # zero incidents: present with zeros
    assert len(r.counts) == 9 and list(r.counts.columns) == ["Burglary", "Robbery", "total"]
    assert r.report.outside == 1 and r.report.in_area == 3
    m = r.monthly
    # Burglary is absent from February: no row, and the February robbery is B1's
    assert not ((m["month"] == "2025-02") & (m["category"] == "Burglary")).any()
    assert m.loc[m["month"] == "2025-02", "area_code"].tolist() == ["B1"]


def test_category_filter_keeps_absent_categories_as_zero(grid_areas):
    pts = _points([(470_500, 260_500)], ["Robbery"])
    r = count_incidents(pts, grid_areas, categories=["Robbery", "Drugs"])
    assert r.counts["Drugs"].sum() == 0 and r.counts["Robbery"].sum() == 1


def test_weights_and_rates(grid_areas):
    pts = _points([(470_500, 260_500)] * 2, ["Robbery"] * 2, weights=[0.5, 2.0])
    r = count_incidents(pts, grid_areas)
    assert r.counts.loc["A1", "total"] == pytest.approx(2.5)
    rt = rates(r.counts["total"], grid_areas["population"])
    assert rt["A1"] == pytest.approx(2.5)


def test_point_on_shared_edge_counted_once(grid_areas):
    pts = _points([(471_000, 260_500)], ["Robbery"])
    r = count_incidents(pts, grid_areas)
    assert r.counts["total"].sum() == 1


def test_wrong_crs_is_an_error(grid_areas):
    pts = _points([(-0.89, 52.23)] * 5, ["Robbery"] * 5)  # degrees read as metres
    with pytest.raises(DataError, match="fall outside the areas; check the coordinate system"):
        assign_areas(pts, grid_areas)


def test_police_uk_agreement_at_least_97_percent(areas, police):
    assigned, rep = assign_areas(police.points, areas)
    in_county = assigned[assigned["lsoa_code_source"].isin(areas.index)]
    agree = (in_county["area_code"] == in_county["lsoa_code_source"]).mean()
    assert agree >= 0.97
    # geometry alone (without keeping the publisher's code near edges) is reported honestly
    geo_only, _ = assign_areas(police.points, areas, publisher_tolerance_m=0)
    g = geo_only[geo_only["lsoa_code_source"].isin(areas.index)]
    assert 0.93 < (g["area_code"] == g["lsoa_code_source"]).mean() < 0.99
    assert rep.publisher_kept > 0


def test_shuffled_points_same_counts(areas, police):
    a = count_incidents(police.points, areas).counts
    b = count_incidents(police.points.sample(frac=1, random_state=3), areas).counts
    pd.testing.assert_frame_equal(a, b)
    assert a["total"].sum() == police.report.located - count_incidents(police.points, areas).report.outside
    assert (a["total"] >= 0).all() and np.issubdtype(a["total"].dtype, np.integer)


# ---------------------------------------------------------------------------------------------
# the table join on the records' own area codes, checked on a sample by location


def _coded(xy_codes, months=None):
    """Points with the publisher's area code: [(x, y, code), ...] in the grid's metres."""
    pts = _points([(x, y) for x, y, _ in xy_codes], ["Robbery"] * len(xy_codes), months=months)
    pts["lsoa_code_source"] = pd.array([c for _, _, c in xy_codes], dtype="string")
    pts["source"] = "records.csv"
    pts["source_row"] = np.arange(1, len(xy_codes) + 1)
    return pts


def _centre(code, dx=0.0):
    """The centre of grid square ``code`` (A1 = 470,500 260,500)."""
    col, row = "ABC".index(code[0]), int(code[1]) - 1
    return 470_500 + col * 1000 + dx, 260_500 + row * 1000


def test_codes_that_agree_are_joined_with_the_same_counts(grid_areas):
    cells = ["A1"] * 3 + ["B2"] * 5 + ["C3"] * 2 + ["A2"]
    pts = _coded([(*_centre(c, dx=i), c) for i, c in enumerate(cells)], months=["2025-01"] * 10 + ["2025-02"])
    r = count_incidents(pts, grid_areas)
    assert r.report.by_code == 11 and r.report.checked == 11 and r.report.disagreed == 0
    assert r.counts["total"].to_dict() == {"A1": 3, "A2": 1, "A3": 0, "B1": 0, "B2": 5, "B3": 0, "C1": 0,
                                           "C2": 0, "C3": 2}
    by_location = count_incidents(pts, grid_areas, code_join=False)
    assert by_location.report.by_code == 0
    pd.testing.assert_frame_equal(r.counts, by_location.counts)
    pd.testing.assert_frame_equal(r.monthly, by_location.monthly)
    assert "11 records counted by their own area code" in r.report.summary()


def test_a_code_that_disagrees_is_counted_by_code_and_reported(grid_areas):
    # 19 records whose code agrees with their location, and record 20: code A1, located in C3
    pts = _coded([(*_centre("B2", dx=i), "B2") for i in range(19)] + [(*_centre("C3"), "A1")])
    r = count_incidents(pts, grid_areas)
    assert r.counts.loc["A1", "total"] == 1 and r.counts.loc["C3", "total"] == 0 and r.counts.loc["B2", "total"] == 19
    assert (r.report.by_code, r.report.checked, r.report.disagreed) == (20, 20, 1)
    d = r.report.disagreements
    assert d.to_dict("records") == [{"source": "records.csv", "source_row": 20, "code": "A1", "location": "C3"}]
    assert "1 (5.00%) disagree (e.g. records.csv row 20: code A1, location C3)" in r.report.check_line()


def test_a_code_near_its_area_agrees_as_the_location_rule_says(grid_areas):
    # 10 m over the edge into B2 but coded A2: within the 20 m the publisher's code is kept either way
    pts = _coded([(471_010, 261_500, "A2"), (*_centre("A2"), "A2")])
    r = count_incidents(pts, grid_areas)
    assert r.report.disagreed == 0 and r.counts.loc["A2", "total"] == 2
    pd.testing.assert_frame_equal(r.counts, count_incidents(pts, grid_areas, code_join=False).counts)


def test_records_coded_outside_the_areas_are_placed_by_location(grid_areas):
    # codes of the neighbouring county: one record lies inside the areas anyway, one 5 m out (snapped), one far
    pts = _coded([(*_centre("A1"), "A1"), (*_centre("B3"), "E01099999"), (469_995, 260_500, "E01099998"),
                  (480_000, 280_000, "E01099997")])
    r = count_incidents(pts, grid_areas)
    assert r.report.by_code == 1 and r.report.snapped == 1 and r.report.outside == 1
    assert r.counts.loc["B3", "total"] == 1 and r.counts.loc["A1", "total"] == 2
    assert r.points["area_code"].tolist()[:3] == ["A1", "B3", "A1"] and pd.isna(r.points["area_code"].iloc[3])
    pd.testing.assert_frame_equal(r.counts, count_incidents(pts, grid_areas, code_join=False).counts)


def test_codes_of_another_geography_fall_back_to_location(grid_areas):
    # ward-style codes that are not the areas': nothing joins, every record is placed by location
    pts = _coded([(*_centre(c), f"E05{i:06d}") for i, c in enumerate(["A1", "B2", "B2"])])
    r = count_incidents(pts, grid_areas)
    assert r.report.by_code == 0 and r.counts.loc["B2", "total"] == 2 and r.report.check_line() == ""
    # the same strings but another geography (every code names the square to the east): the sample
    # disagrees far beyond MAX_DISAGREEMENT, so the codes are not used at all
    east = {"A": "B", "B": "C", "C": "A"}
    cells = ["A1", "A2", "B1", "B3", "C2", "C3"] * 3
    pts = _coded([(*_centre(c, dx=i), east[c[0]] + c[1]) for i, c in enumerate(cells)])
    r = count_incidents(pts, grid_areas)
    assert r.report.by_code == 0 and "another geography" in r.report.code_note
    assert "18 of a random sample of 18 (100%) disagree" in r.report.summary()
    pd.testing.assert_frame_equal(r.counts, count_incidents(pts, grid_areas, code_join=False).counts)


def test_blank_codes_and_sampling(grid_areas):
    pts = _coded([(*_centre("A1", dx=i % 400), "A1") for i in range(300)] + [(*_centre("C1"), None)])
    r = count_incidents(pts, grid_areas, check_sample=50)
    assert r.report.by_code == 300 and r.report.checked == 50 and r.counts.loc["C1", "total"] == 1
    again = count_incidents(pts, grid_areas, check_sample=50)  # the sample is seeded: same report
    assert again.report.checked == 50 and again.report.disagreed == r.report.disagreed == 0


def test_shipped_police_uk_join_equals_location(areas, police):
    """On the shipped records (LSOA 2021 codes, LSOA 2021 areas) the join gives the location counts."""
    joined = count_incidents(police.points, areas)
    located = count_incidents(police.points, areas, code_join=False)
    assert joined.report.by_code > 0.95 * len(police.points) and joined.report.disagreed == 0
    pd.testing.assert_frame_equal(joined.counts, located.counts)
    pd.testing.assert_frame_equal(joined.monthly, located.monthly)
    assert (joined.points["area_code"].fillna("-") == located.points["area_code"].fillna("-")).all()
    from placebased.stats.aggregate import monthly_counts

    pd.testing.assert_frame_equal(joined.monthly, monthly_counts(located.points))


def test_counts_command_joins_codes_and_writes_disagreements(tmp_path, capsys, grid_areas):
    """``placebased counts`` on hand-made areas and police.uk-format records: known counts by code, the
    disagreement written, and ``--by-location`` giving the counts by location."""
    from placebased.cli import main

    areas = grid_areas.reset_index()[["area_code", "area_name", "geometry"]].to_crs("EPSG:4326")
    areas.to_file(tmp_path / "grid.geojson", driver="GeoJSON")
    cells = ["A1"] * 5 + ["B2"] * 10 + ["C3"] * 4
    xy = [_centre(c, dx=20 * i) for i, c in enumerate(cells)] + [_centre("C3", dx=-100)]
    codes = cells + ["A1"]  # the last record (row 20) lies in C3 but is coded A1
    pts = gpd.GeoSeries([Point(x, y) for x, y in xy], crs=27700).to_crs(4326)
    rows = ["Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
            "Last outcome category,Context"]
    rows += [f"id{i},2025-01,Force,Force,{p.x:.6f},{p.y:.6f},On or near X,{c},Square {c},Robbery,,"
             for i, (p, c) in enumerate(zip(pts, codes, strict=True))]
    (tmp_path / "2025-01-force-street.csv").write_text("\n".join(rows) + "\n")
    out, check = tmp_path / "counts.csv", tmp_path / "check.csv"
    args = ["counts", "--incidents", str(tmp_path / "2025-01-force-street.csv"), "--boundaries",
            str(tmp_path / "grid.geojson"), "--id-column", "area_code", "--out", str(out)]
    assert main([*args, "--disagreements", str(check)]) == 0
    err = capsys.readouterr().err
    assert "20 records counted by their own area code (table join)" in err and "1 (5.00%) disagree" in err
    got = pd.read_csv(out, index_col="area_code")["total"]
    assert got[["A1", "B2", "C3"]].tolist() == [6, 10, 4] and got.sum() == 20
    d = pd.read_csv(check)
    assert d[["source_row", "code", "location"]].values.tolist() == [[20, "A1", "C3"]]
    assert main([*args, "--by-location"]) == 0
    assert "table join" not in capsys.readouterr().err
    assert pd.read_csv(out, index_col="area_code")["total"][["A1", "B2", "C3"]].tolist() == [5, 10, 5]

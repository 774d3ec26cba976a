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

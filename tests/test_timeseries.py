"""Time series, Mann-Kendall / Sen's slope, emerging hot spots and time-of-week.

Edge cases: month boundaries (2025-01-31 23:59 vs 2025-02-01 00:00), months missing from the data
(zero-filled and reported as gaps), ranges cutting a step, tied values, constant and short
series, series with NaN, points outside the areas, records without times (police.uk), fewer than
10 steps (ArcGIS's minimum), every emerging class from a crafted Gi* sequence.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from matplotlib.figure import Figure
from numpy.testing import assert_allclose
from scipy import stats
from shapely.geometry import Point

from placebased.errors import ConfigError, DataError
from placebased.io.areas import DataWarning
from placebased.stats.aggregate import count_incidents
from placebased.stats.emerging import (
    EMERGING_CLASSES,
    EMERGING_COLOURS,
    EMERGING_DESCRIPTIONS,
    classify_emerging,
    describe_trend,
    emerging_colour,
    emerging_hotspots,
    emerging_legend_items,
    space_time_gi,
    trends,
)
from placebased.stats.timeseries import (
    DAYS,
    mann_kendall,
    mann_kendall_frame,
    time_of_week,
    time_of_week_figure,
    time_series,
    trend_figure,
)

# ---------------------------------------------------------------------------------------------
# helpers


def _points(grid_areas, rows):
    """rows: (area_code, date text, category[, time]) -> incident GeoDataFrame at the area's centre."""
    centres = grid_areas.geometry.centroid
    recs = []
    for r in rows:
        code, when, cat = r[:3]
        recs.append({"date": pd.Timestamp(when), "category": cat, "weight": 1.0,
                     "time": r[3] if len(r) > 3 else pd.NA, "geometry": Point(centres[code].x, centres[code].y)})
    out = gpd.GeoDataFrame(recs, geometry="geometry", crs="EPSG:27700")
    out["time"] = out["time"].astype("string")
    return out


def _grid_adjacency(side):
    """Queen adjacency of a side x side grid, row-major ids."""
    n = side * side
    a = np.zeros((n, n))
    for i in range(n):
        r, c = divmod(i, side)
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                rr, cc = r + dr, c + dc
                if (dr or dc) and 0 <= rr < side and 0 <= cc < side:
                    a[i, rr * side + cc] = 1
    return sp.csr_matrix(a)


# ---------------------------------------------------------------------------------------------
# Mann-Kendall and Sen's slope


def test_mann_kendall_reference_values():
    mk = mann_kendall([1, 2, 3, 4, 5])
    assert mk.s == 10
    assert_allclose(mk.var_s, 16.667, atol=1e-3)
    assert_allclose(mk.z, 2.2045, atol=1e-4)
    assert_allclose(mk.p, 0.0275, atol=1e-4)
    assert mk.tau == 1.0 and mk.sen_slope == 1.0
    mk = mann_kendall([3, 1, 4, 1, 5, 9, 2, 6, 5, 3])
    assert mk.s == 12
    assert_allclose(mk.var_s, 122.0)  # 2250 minus 3 pairs of ties x 18, over 18
    assert_allclose(mk.z, 0.9959, atol=1e-4)
    assert_allclose(mk.p, 0.3193, atol=1e-4)


def test_mann_kendall_vectorised_matches_scipy():
    rng = np.random.default_rng(7)
    y = rng.poisson(3, size=(40, 12)).astype(float)  # many ties
    mk = mann_kendall(y, chunk=7)
    t = np.arange(12)
    for row, s, tau, slope in zip(y, mk.s, mk.tau, mk.sen_slope):
        ref_s = sum(np.sign(row[j] - row[i]) for i in range(12) for j in range(i + 1, 12))
        assert s == ref_s
        assert_allclose(tau, stats.kendalltau(t, row).statistic, atol=1e-12)  # tau-b
        assert_allclose(slope, stats.theilslopes(row, t).slope, atol=1e-12)
    one = mann_kendall(y[3])
    assert_allclose([one.s, one.var_s, one.p], [mk.s[3], mk.var_s[3], mk.p[3]])


def test_mann_kendall_edge_cases():
    flat = mann_kendall([2, 2, 2, 2])
    assert (flat.s, flat.z, flat.p, flat.sen_slope) == (0, 0, 1, 0)
    short = mann_kendall([1, 2])
    assert np.isnan(short.p) and np.isnan(short.s)
    down = mann_kendall([5, 4, 3, 2, 1])
    assert down.z < 0 and down.sen_slope == -1 and down.sen_intercept == 5
    with pytest.raises(DataError, match="missing"):
        mann_kendall([1, np.nan, 3])
    frame = mann_kendall_frame(pd.DataFrame([[1, 2, 3], [3, 2, 1]], index=["a", "b"]))
    assert list(frame.columns[:3]) == ["mk_tau", "mk_p", "sen_slope"] and list(frame.index) == ["a", "b"]


# ---------------------------------------------------------------------------------------------
# series


def test_month_boundary(grid_areas):
    pts = _points(grid_areas, [("A1", "2025-01-31 23:59", "x"), ("A1", "2025-02-01 00:00", "x"),
                               ("B2", "2025-02-28 23:59:59", "x"), ("B2", "2025-03-01 00:00", "x")])
    r = time_series(pts, grid_areas)
    w = r.wide()
    assert r.steps == ["2025-01", "2025-02", "2025-03"]
    assert w.loc["A1"].tolist() == [1, 1, 0]
    assert w.loc["B2"].tolist() == [0, 1, 1]
    assert r.gaps == []
    jan = time_series(pts, grid_areas, end="2025-01-31")
    assert jan.steps == ["2025-01"] and jan.wide().to_numpy().sum() == 1


def test_complete_grid_and_missing_months(grid_areas):
    pts = _points(grid_areas, [("A1", "2025-01-10", "x"), ("C3", "2025-04-02", "y"), ("C3", "2025-04-03", "y")])
    with pytest.warns(DataWarning, match="gap in supply"):
        r = time_series(pts, grid_areas)
    assert r.gaps == ["2025-02", "2025-03"]
    assert len(r.counts) == 9 * 4 * 2  # every area x month x category
    assert set(r.counts.columns) == {"area_code", "step", "category", "count"}
    assert r.counts["count"].sum() == 3
    assert r.wide("y").loc["C3"].tolist() == [0, 0, 0, 2]
    assert r.county().tolist() == [1, 0, 0, 2]
    # a month with data in one area only is not a gap; a filtered-out category does not make one either
    pts2 = _points(grid_areas, [("A1", "2025-01-10", "x"), ("A1", "2025-02-10", "y"), ("B1", "2025-03-10", "x")])
    r2 = time_series(pts2, grid_areas, categories=["x"])
    assert r2.gaps == [] and r2.wide().loc["A1"].tolist() == [1, 0, 0]
    # a category absent from the data gets zero series
    r3 = time_series(pts2, grid_areas, categories=["x", "absent"])
    assert r3.wide("absent").to_numpy().sum() == 0


def test_range_steps_and_errors(grid_areas):
    pts = _points(grid_areas, [("A1", f"2024-{m:02d}-15", "x") for m in range(1, 13)]
                  + [("A1", "2025-01-15", "x")])
    q = time_series(pts, grid_areas, step="quarter")
    assert q.steps == ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4", "2025-Q1"]
    assert q.wide().loc["A1"].tolist() == [3, 3, 3, 3, 1]
    y = time_series(pts, grid_areas, step="year")
    assert y.steps == ["2024", "2025"]
    part = time_series(pts, grid_areas, start="2024-03-20", end="2024-06")
    assert part.steps == ["2024-03", "2024-04", "2024-05", "2024-06"]
    assert any("falls inside 2024-03" in n for n in part.notes)
    with pytest.warns(DataWarning, match="2023-11, 2023-12"):
        wide = time_series(pts, grid_areas, start="2023-11", end="2024-02", categories=["x"])
    assert wide.steps[0] == "2023-11" and wide.gaps == ["2023-11", "2023-12"]
    with pytest.raises(ConfigError, match="month, quarter, year"):
        time_series(pts, grid_areas, step="week")
    with pytest.raises(ConfigError, match="after end"):
        time_series(pts, grid_areas, start="2024-06", end="2024-01")
    with pytest.raises(ConfigError, match="not a date"):
        time_series(pts, grid_areas, start="soon")
    with pytest.raises(DataError, match="widen"):
        time_series(pts, grid_areas, start="2030-01")
    undated = pts.assign(date=pd.NaT)
    with pytest.raises(DataError, match="no incident has a date"):
        time_series(undated, grid_areas)


def test_points_outside_and_given_area_codes(grid_areas):
    pts = _points(grid_areas, [("A1", "2025-01-10", "x"), ("A1", "2025-02-10", "x")])
    far = pts.iloc[[0]].copy()
    far["geometry"] = [Point(300_000, 100_000)]
    r = time_series(pd.concat([pts, far, pts, pts]), grid_areas)
    assert r.outside == 1 and r.wide().loc["A1"].tolist() == [3, 3]
    coded = pts.assign(area_code=["B3", "C1"])  # an area_code column is trusted
    w = time_series(coded, grid_areas).wide()
    assert w.loc["B3"].tolist() == [1, 0] and w.loc["A1"].sum() == 0


def test_real_series_match_counts(areas, police):
    r = time_series(police.points, areas)
    assert r.steps == [f"2025-{m:02d}" for m in range(1, 10)] and r.gaps == []
    assert len(r.wide()) == len(areas) == 443
    counts = count_incidents(police.points, areas).counts
    assert_allclose(r.wide().sum(axis=1).reindex(counts.index), counts["total"])


# ---------------------------------------------------------------------------------------------
# space-time Gi*


def test_gi_matches_esda_reference():
    """One step, no time window: the ordinary Gi* z (esda's test case, binary DistanceBand 15)."""
    pts = np.array([(10, 10), (20, 10), (40, 10), (15, 20), (30, 20), (30, 30)], float)
    d = np.sqrt(((pts[:, None] - pts[None]) ** 2).sum(-1))
    adj = sp.csr_matrix(((d <= 15) & (d > 0)).astype(float))
    z, p = space_time_gi(np.array([[2, 3, 3.2, 5, 8, 7]], float).T, adj, time_window=0)
    assert_allclose(z.ravel(), [-1.39727626, -0.28917762, 0.65064964, -0.28917762, 1.23452088, 2.02424331])
    assert_allclose(p.ravel(), 2 * stats.norm.sf(np.abs(z.ravel())))


@pytest.mark.parametrize("k", [0, 1, 2])
def test_space_time_gi_matches_brute_force(k):
    rng = np.random.default_rng(k)
    side, T = 3, 6
    adj = _grid_adjacency(side)
    x = rng.poisson(4, size=(side * side, T)).astype(float)
    z, _ = space_time_gi(x, adj, time_window=k)
    n = side * side
    flat = x.ravel()
    N = flat.size
    xbar, s = flat.mean(), flat.std()
    ref = np.zeros_like(x)
    for i in range(n):
        nb = [i, *np.flatnonzero(adj[i].toarray().ravel())]
        for t in range(T):
            vals = [x[j, u] for j in nb for u in range(max(0, t - k), t + 1)]
            w = len(vals)
            ref[i, t] = (sum(vals) - xbar * w) / (s * np.sqrt((N * w - w * w) / (N - 1)))
    assert_allclose(z, ref, atol=1e-10)


def test_space_time_gi_graph_alignment(grid_areas):
    from libpysal.graph import Graph

    g = Graph.build_contiguity(grid_areas, rook=False)
    wide = pd.DataFrame(np.arange(9 * 4, dtype=float).reshape(9, 4), index=grid_areas.index)
    z1, _ = space_time_gi(wide, g)
    z2, _ = space_time_gi(wide.iloc[::-1], g)  # shuffled rows follow their area codes
    assert_allclose(z1, z2[::-1])
    with pytest.raises(DataError, match="different areas"):
        space_time_gi(wide.rename(index={"A1": "Z9"}), g)
    z0, p0 = space_time_gi(np.zeros((9, 4)), g)
    assert (z0 == 0).all() and (p0 == 1).all()


# ---------------------------------------------------------------------------------------------
# classification rules on crafted Gi* sequences (n = 10 steps)


def _seq(pattern, base=3.0):
    """'H' hot (z = +base), 'C' cold (z = -base), '.' not significant (z = 0.1)."""
    z = np.array([base if c == "H" else -base if c == "C" else 0.1 for c in pattern])
    return z, np.array([c in "HC" for c in pattern])


TREND_UP = np.linspace(2.5, 6.0, 10)
FLAT = np.tile([3.0, 4.0], 5)

CASES = [
    ("new hot spot", *_seq(".........H")),
    ("consecutive hot spot", *_seq("......HHHH")),
    ("consecutive hot spot", *_seq("........HH")),
    ("intensifying hot spot", TREND_UP, np.ones(10, bool)),
    ("persistent hot spot", FLAT, np.ones(10, bool)),
    ("persistent hot spot", *_seq("HHH.HHHHHH")),
    ("diminishing hot spot", TREND_UP[::-1], np.ones(10, bool)),
    ("sporadic hot spot", *_seq("H..H.....H")),
    ("sporadic hot spot", *_seq("HH......HH")),
    ("oscillating hot spot", *_seq("C....H...H")),
    ("historical hot spot", *_seq("HHHHHHHHH.")),
    ("new cold spot", *_seq(".........C")),
    ("consecutive cold spot", *_seq(".......CCC")),
    ("intensifying cold spot", -TREND_UP, np.ones(10, bool)),
    ("persistent cold spot", -FLAT, np.ones(10, bool)),
    ("diminishing cold spot", -TREND_UP[::-1], np.ones(10, bool)),
    ("sporadic cold spot", *_seq("C...C....C")),
    ("oscillating cold spot", *_seq("..H......C")),
    ("historical cold spot", *_seq("CCCCCCCCC.")),
    ("no pattern detected", *_seq("..........")),
    ("no pattern detected", *_seq("HH........")),
]


@pytest.mark.parametrize(("expected", "z", "sig"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_emerging_class(expected, z, sig):
    assert classify_emerging(z, sig).tolist() == [expected]


def test_classify_vectorised_and_all_classes_covered():
    z = np.vstack([c[1] for c in CASES])
    sig = np.vstack([c[2] for c in CASES])
    assert classify_emerging(z, sig).tolist() == [c[0] for c in CASES]
    assert {c[0] for c in CASES} == set(EMERGING_CLASSES)
    assert set(EMERGING_COLOURS) == set(EMERGING_CLASSES) == set(EMERGING_DESCRIPTIONS)
    assert emerging_colour("Persistent Hot Spot ") == EMERGING_COLOURS["persistent hot spot"]
    assert emerging_colour(None) == EMERGING_COLOURS["no pattern detected"]


def test_legend_and_description():
    items = emerging_legend_items(["persistent hot spot", "no pattern detected"])
    assert items == [("box", EMERGING_COLOURS["persistent hot spot"], "Persistent hot spot"),
                     ("box", EMERGING_COLOURS["no pattern detected"], "No pattern detected")]
    assert len(emerging_legend_items()) == len(EMERGING_CLASSES)
    row = {"mk_p": 0.2, "sen_slope": 1.0, "emerging_class": "new hot spot", "n_steps": 9}
    assert describe_trend(row).startswith("No clear trend over 9 months")
    assert describe_trend({**row, "mk_p": 0.01, "sen_slope": -2}, step="quarter").startswith("Falling by about 2")


def test_short_series_cannot_be_historical():
    # 9 steps: 90 % means all 9, so a location not hot at the end is never "historical"
    z, sig = _seq("HHHHHHHH.")
    assert classify_emerging(z, sig).tolist() == ["no pattern detected"]


# ---------------------------------------------------------------------------------------------
# emerging hot spots end to end


def test_emerging_on_crafted_cube():
    side, T = 5, 12
    adj = _grid_adjacency(side)
    rng = np.random.default_rng(1)
    x = rng.poisson(2, size=(side * side, T)).astype(float)
    x[[0, 1, 5, 6]] += 25  # a cluster in corner 0 hot all along (Gi* needs neighbours high too)
    x[np.ix_([18, 19, 23, 24], [T - 3, T - 2, T - 1])] += 30  # the opposite corner erupts in the last 3 steps
    wide = pd.DataFrame(x, index=[f"a{i:02d}" for i in range(side * side)], columns=[f"s{t}" for t in range(T)])
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)  # 12 steps: no short-series warning
        res = emerging_hotspots(wide, adj, time_window=1, alpha=0.05, correction="fdr")
    f = res.frame
    assert f.loc["a00", "emerging_class"] in {"persistent hot spot", "intensifying hot spot", "diminishing hot spot"}
    assert f.loc["a24", "emerging_class"] == "consecutive hot spot"
    assert f.loc["a24", "n_hot"] >= 2
    assert set(f["emerging_class"]) <= set(EMERGING_CLASSES)
    assert len(res.cube) == side * side * T and set(res.cube["gi_state"]) <= {-1, 0, 1}
    assert res.settings["correction"] == "fdr" and 0 < res.settings["p_cutoff"] <= 0.05
    assert int(res.summary().sum()) == side * side
    with pytest.raises(ConfigError, match="correction"):
        emerging_hotspots(wide, adj, correction="holm")
    with pytest.raises(DataError, match="at least 3 time steps"):
        emerging_hotspots(wide.iloc[:, :2], adj)
    with pytest.warns(DataWarning, match="at least 10"):
        emerging_hotspots(wide.iloc[:, :9], adj)


def test_trends_real_data(areas, police):
    with pytest.warns(DataWarning, match="ArcGIS requires at least 10"):
        r = trends(police.points, areas, categories=["Violence and sexual offences"], start="2025-02")
    t = r.table
    assert list(t.columns[:4]) == ["mk_tau", "mk_p", "sen_slope", "emerging_class"]
    assert len(t) == 443 and t.index.name == "area_code"
    assert (t["n_steps"] == 8).all() and (t["first_step"] == "2025-02").all()
    assert set(t["emerging_class"]) <= set(EMERGING_CLASSES)
    assert t["mk_p"].between(0, 1).all() and np.isfinite(t["sen_slope"]).all()
    assert (t["emerging_class"] != "no pattern detected").sum() > 0
    assert r.settings["step"] == "month" and r.settings["time_window"] == 1


# ---------------------------------------------------------------------------------------------
# time of week and figures


def test_time_of_week(grid_areas):
    # 2025-03-01 is a Saturday, 2025-03-02 a Sunday, 2025-03-03 a Monday
    pts = _points(grid_areas, [("A1", "2025-03-01", "assault", "01:30"), ("A1", "2025-03-01", "assault", "01:05"),
                               ("B2", "2025-03-02", "assault", "04:59"), ("B2", "2025-03-03", "robbery", "23:00"),
                               ("C3", "2025-03-03", "assault")])
    tab = time_of_week(pts)
    assert tab.shape == (7, 24) and list(tab.index) == list(DAYS) and list(tab.columns) == list(range(24))
    assert tab.loc["Sat", 1] == 2 and tab.loc["Sun", 4] == 1 and tab.loc["Mon", 23] == 1
    assert tab.to_numpy().sum() == 4 and tab.attrs == {"with_time": 4, "without_time": 1}
    assert time_of_week(pts, categories=["assault"]).to_numpy().sum() == 3
    only_b2 = time_of_week(pts, areas=grid_areas.loc[["B2"]])
    assert only_b2.to_numpy().sum() == 2
    assert time_of_week(pts.assign(area_code=["A1", "A1", "B2", "B2", "C3"]), areas=["A1"]).to_numpy().sum() == 2
    assert time_of_week(pts, start="2025-03-02", end="2025-03-02").to_numpy().sum() == 1
    fig = time_of_week_figure(tab, title="A&E assaults")
    assert isinstance(fig, Figure) and len(fig.axes) == 2


def test_time_of_week_refuses_police_uk(police):
    with pytest.raises(DataError, match="month only"):
        time_of_week(police.points)


def test_trend_figure():
    s = pd.Series([3, 5, 4, 6, 8, 7, 9, 10, 12], index=[f"2025-{m:02d}" for m in range(1, 10)], name="E01026949")
    fig = trend_figure(s, step="month")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert len(ax.patches) == 9 and len(ax.lines) == 1
    assert "Mann-Kendall" in ax.texts[0].get_text() and ax.get_title(loc="left") == "E01026949"
    short = trend_figure(s.iloc[:2], title="two months")
    assert "too few" in short.axes[0].texts[0].get_text()

"""Evaluation of a place-based intervention: known answers on simulated panels, and the real data.

Edge cases: a planted effect (the interval covers it), no effect (coverage of 1 near 95% over 100
panels), a planted pre-trend (flagged), neighbours excluded, the caliper respected, comparisons
without replacement, the fast path equal to statsmodels, bad inputs (unknown codes, start outside the
data, too few months), targets as CSV with different code columns and as a saved-work export.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from placebased.cli import main
from placebased.errors import PlaceBasedError
from placebased.stats.evaluate import (
    CONTRACT,
    Estimate,
    MatchSettings,
    did_estimate,
    evaluate,
    match_comparisons,
    match_covariates,
    neighbours_of,
    plain_words,
    plot,
    profile_section,
    read_targets,
)
from placebased.stats.evaluate_power import fast_did, minimum_detectable_effect

MONTHS = [f"2024-{m:02d}" for m in range(1, 13)]
REAL_TARGETS = ["E01027224", "E01027153", "E01035414", "E01026992", "E01026949"]


def lattice(n: int = 14, seed: int = 0) -> gpd.GeoDataFrame:
    """n x n grid of 1 km squares (BNG) with populations and IMD scores."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        for j in range(n):
            rows.append({"area_code": f"L{i:02d}{j:02d}", "population": float(rng.integers(1200, 2000)),
                         "imd_score": float(rng.uniform(5, 50)),
                         "geometry": box(i * 1000, j * 1000, (i + 1) * 1000, (j + 1) * 1000)})
    return gpd.GeoDataFrame(rows, crs="EPSG:27700").set_index("area_code")


def simulate(areas, targets, start="2024-07", rr=1.0, pre_slope=0.0, seed=1, base=15.0, shape=20.0):
    """Gamma-Poisson counts: area level x common month effect x effect on targets from ``start``;
    ``pre_slope`` a log-trend of the targets before the start (a planted pre-trend)."""
    rng = np.random.default_rng(seed)
    n, T = len(areas), len(MONTHS)
    level = base * areas["population"].to_numpy() / 1500 * rng.lognormal(0, 0.3, n)
    month = np.exp(rng.normal(0, 0.1, T))
    mu = level[:, None] * month[None, :]
    tmask = areas.index.isin(targets)[:, None]
    post = np.array([m >= start for m in MONTHS])[None, :]
    mu = mu * np.where(tmask & post, rr, 1.0)
    k = np.arange(T)[None, :] - post.argmax()
    mu = mu * np.where(tmask & ~post, np.exp(pre_slope * k), 1.0)
    y = rng.poisson(mu * rng.gamma(shape, 1 / shape, size=mu.shape))
    return pd.DataFrame(y, index=areas.index, columns=MONTHS)


@pytest.fixture(scope="module")
def grid():
    return lattice()


@pytest.fixture(scope="module")
def grid_targets():
    # spread out, so their neighbours do not exhaust the pool
    return [f"L{i:02d}{j:02d}" for i in (2, 6, 10) for j in (2, 6, 10)]


def test_planted_effect_is_covered(grid, grid_targets):
    counts = simulate(grid, grid_targets, rr=0.7, seed=3)
    r = evaluate(counts, grid, grid_targets, "2024-07", MatchSettings(k=3, caliper=2.0))
    e = r.estimate
    assert e.ci_low < 0.7 < e.ci_high
    assert e.ci_high < 1 and e.p_value < 0.05
    assert r.pre_months == 6 and r.post_months == 6
    assert e.n_targets == 9 and e.n_comparisons == 27
    row = r.summary_row()
    assert list(row.columns[: len(CONTRACT)]) == CONTRACT
    assert "fell by about" in r.plain_words() and "more than in similar areas" in r.plain_words()
    assert any("regression to the mean" in c for c in r.caveats())
    assert r.displacement is not None and r.displacement.n_targets > 0
    frame = r.to_frame()
    assert set(frame["role"]) == {"target", "comparison"}
    assert plot(r)[:8] == b"\x89PNG\r\n\x1a\n"
    heading, paras, table = profile_section(r)
    assert heading == "Evaluation from 2024-07" and paras[0] == r.plain_words() and len(table) == 6


def test_no_effect_coverage_near_95(grid):
    areas = grid.iloc[:30]
    treated = list(areas.index[:10])
    cover = 0
    for s in range(100):
        counts = simulate(areas, treated, rr=1.0, seed=100 + s)
        est = did_estimate(counts, areas["population"], treated, "2024-07")
        cover += est["ci_low"] <= 1 <= est["ci_high"]
    assert 0.88 <= cover / 100 <= 0.99


def test_pretrend_is_flagged(grid, grid_targets):
    counts = simulate(grid, grid_targets, pre_slope=0.15, seed=5, shape=200.0)
    r = evaluate(counts, grid, grid_targets, "2024-07", MatchSettings(caliper=3.0), displacement=False)
    assert r.pretrend_p < 0.05
    assert "moved differently" in r.text()
    flat = evaluate(simulate(grid, grid_targets, seed=5), grid, grid_targets, "2024-07",
                    MatchSettings(caliper=3.0), displacement=False)
    assert flat.pretrend_p > 0.05
    assert list(flat.event_study["relative_month"]) == [-6, -5, -4, -3, -2, 0, 1, 2, 3, 4, 5]


def test_fast_path_equals_statsmodels(grid):
    areas = grid.iloc[:40]
    treated = list(areas.index[:8])
    counts = simulate(areas, treated, rr=0.8, seed=11)
    est = did_estimate(counts, areas["population"], treated, "2024-07")
    b, se = fast_did(counts.to_numpy(), areas.index.isin(treated), np.array([m >= "2024-07" for m in MONTHS]))
    assert b == pytest.approx(est["beta"], rel=1e-9)
    assert se == pytest.approx(est["se"], rel=1e-6)


def test_matching_excludes_neighbours_and_respects_caliper(grid, grid_targets):
    counts = simulate(grid, grid_targets, seed=2)
    cov = match_covariates(counts, grid["population"], MONTHS[:6], imd=grid["imd_score"])
    ring = neighbours_of(grid, grid_targets)
    assert {"L0101", "L0303", "L0103"} <= ring and not {"L0000", "L0404"} & ring and len(ring) == 9 * 8
    m = match_comparisons(grid_targets, cov, ring, k=3, caliper=1.0)
    assert not set(m.comparisons) & ring and not set(m.comparisons) & set(grid_targets)
    assert (m.pairs["distance"] <= 1.0).all()
    assert m.pairs["comparison"].is_unique  # without replacement
    assert {"smd_before", "smd_after"} <= set(m.balance.columns)
    assert m.balance["smd_after"].abs().mean() < m.balance["smd_before"].abs().mean() + 0.05
    tight = match_comparisons(grid_targets, cov, ring, k=3, caliper=1e-6)
    assert tight.targets == () and set(tight.unmatched) == set(grid_targets)
    with pytest.raises(PlaceBasedError, match="caliper"):
        evaluate(counts, grid, grid_targets, "2024-07", MatchSettings(caliper=1e-6))


def test_bad_windows_and_codes(grid, grid_targets):
    counts = simulate(grid, grid_targets, seed=2)
    with pytest.raises(PlaceBasedError, match="outside the data"):
        evaluate(counts, grid, grid_targets, "2025-03")
    with pytest.raises(PlaceBasedError, match="at least 3"):
        evaluate(counts, grid, grid_targets, "2024-02")
    with pytest.raises(PlaceBasedError, match="not among the areas"):
        evaluate(counts, grid, ["NOPE"], "2024-07")


def test_plain_words_known_text():
    e = Estimate(0.82, 0.71, 0.95, 0.01, 5, 15)
    assert plain_words(e, "violence") == ("Violence in the target areas fell by about 18% (95% interval 5% to 29%) "
                                          "more than in similar areas.")
    up = plain_words(Estimate(1.1, 0.9, 1.3, 0.3, 5, 15), "violence")
    assert "rose by about 10% (95% interval from a 10% fall to a 30% rise)" in up and "could be chance" in up


def test_mde_plan_on_simulated_history(grid, grid_targets):
    counts = simulate(grid, grid_targets, seed=7)
    few = minimum_detectable_effect(counts, grid, grid_targets[:2], 12, settings=MatchSettings(caliper=3.0),
                                    n_sims=100, seed=1)
    many = minimum_detectable_effect(counts, grid, grid_targets, 12, settings=MatchSettings(caliper=3.0),
                                     n_sims=100, seed=1)
    assert 0.3 < few.mde_rate_ratio < many.mde_rate_ratio < 1  # more targets: a smaller effect is detectable
    assert np.all(np.diff(many.curve["power"].to_numpy()) >= 0)  # power rises as the effect grows
    assert 0 <= many.false_alarm_rate <= 0.25 and many.critical_z >= 2.03  # t(35) quantile or more
    assert many.curve["power"].iloc[0] <= 0.05  # rate ratio 1: false alarms of a fall stay within alpha
    assert many.months_before == 12 and many.n_sims == 100 and many.seed == 1
    again = minimum_detectable_effect(counts, grid, grid_targets, 12, settings=MatchSettings(caliper=3.0),
                                      n_sims=100, seed=1)
    assert again.mde_rate_ratio == many.mde_rate_ratio  # seeded
    assert "could detect a fall" in many.plain_words() and "100 simulations, seed 1" in many.plain_words()


def test_read_targets_csv_and_json(tmp_path):
    known = ["E01000001", "E01000002", "E01000003"]
    a = tmp_path / "a.csv"
    a.write_text("name,LSOA21CD\nx,E01000001\ny,E01000002\n")
    assert read_targets(a, known) == ["E01000001", "E01000002"]
    b = tmp_path / "b.csv"
    b.write_text("code_list\nE01000003\n")
    assert read_targets(b, known) == ["E01000003"]
    c = tmp_path / "c.csv"
    c.write_text("area_code\nE01000001\nE09999999\n")
    with pytest.raises(PlaceBasedError, match=r"c\.csv: 1 target code.*E09999999"):
        read_targets(c, known)
    doc = {"format": "placebased-saved-work", "versions": [
        {"kind": "selection", "name": "North", "version": 1, "areas": {"E01000001": "high"}},
        {"kind": "selection", "name": "North", "version": 2, "areas": {"E01000001": "", "E01000002": "x"}},
        {"kind": "selection", "name": "South", "version": 1, "areas": {"E01000003": ""}}]}
    j = tmp_path / "s.json"
    j.write_text(json.dumps(doc))
    with pytest.raises(PlaceBasedError, match="--selection"):
        read_targets(j, known)
    assert read_targets(j, known, "North") == ["E01000001", "E01000002"]


# -- the real shipped data, end to end through the CLI


@pytest.fixture(scope="module")
def real_targets(tmp_path_factory):
    path = tmp_path_factory.mktemp("eval") / "targets.csv"
    pd.DataFrame({"LSOA21CD": REAL_TARGETS, "reason": "high violence"}).to_csv(path, index=False)
    return path


def test_cli_evaluate_real_data(real_targets, tmp_path, capsys):
    out, png = tmp_path / "eval.csv", tmp_path / "eval.png"
    assert main(["evaluate", "--targets", str(real_targets), "--start", "2025-06", "--category", "serious_violence",
                 "--out", str(out), "--plot", str(png)]) == 0
    row = pd.read_csv(out)
    assert len(row) == 1 and list(row.columns[: len(CONTRACT)]) == CONTRACT
    r = row.iloc[0]
    assert r.pre_months == 5 and r.post_months == 4 and r.n_targets >= 4 and r.n_comparisons >= r.n_targets
    assert r.ci_low < r.rate_ratio < r.ci_high and 0 <= r.p_value <= 1 and 0 <= r.pretrend_p <= 1
    assert np.isfinite(r.displacement_rate_ratio)
    assert png.read_bytes()[:4] == b"\x89PNG"
    text = capsys.readouterr().out
    assert "in the target areas" in text and "police.uk" in text


def test_cli_plan_real_data(real_targets, tmp_path, capsys):
    out = tmp_path / "plan.csv"
    assert main(["evaluate", "--plan", "--targets", str(real_targets), "--months-after", "12", "--category",
                 "serious_violence", "--sims", "60", "--out", str(out)]) == 0
    row = pd.read_csv(out).iloc[0]
    assert 0 < row.mde_rate_ratio < 1 and row.months_after == 12 and row.months_before == 9
    assert row.n_sims == 60 and row.seed == 12345 and row.power == 0.8
    assert "could detect a fall" in capsys.readouterr().out


def test_cli_errors(real_targets, tmp_path, capsys):
    out = tmp_path / "e.csv"
    bad = tmp_path / "bad.csv"
    bad.write_text("area_code\nE01027224\nE0XXXXXXX\n")
    assert main(["evaluate", "--targets", str(bad), "--start", "2025-06", "--out", str(out)]) == 2
    assert "E0XXXXXXX" in capsys.readouterr().err
    assert main(["evaluate", "--targets", str(real_targets), "--start", "2026-01", "--out", str(out)]) == 2
    assert "outside the data" in capsys.readouterr().err
    assert main(["evaluate", "--targets", str(real_targets), "--start", "2025-02", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "at least 3" in err and err.count("\n") == 1
    assert main(["evaluate", "--plan", "--targets", str(real_targets), "--out", str(out)]) == 2
    assert "--months-after" in capsys.readouterr().err
    assert not out.exists()


def test_evaluate_page():
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "views" / "evaluate.py"), default_timeout=300)
    at.session_state["selection"] = dict.fromkeys(REAL_TARGETS, "")
    at.run()
    assert not at.exception and not at.error
    assert any("in the target areas" in m.value for m in at.markdown)
    assert "Matched on" in at.dataframe[0].value.columns  # the balance table, headed in plain words
    next(b for b in at.button if b.label.startswith("Estimate the minimum")).click().run()
    assert not at.exception and any("could detect" in m.value for m in at.markdown)


def test_evaluate_page_profile_pdf_with_the_evaluation():
    """Users who may export get the targets' profile with its "Did it work?" page from the evaluate page (as
    ``placebased profile --evaluate-start``); a selection whose name says 'start YYYY-MM' sets the start month."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "views" / "evaluate.py"), default_timeout=300)
    at.session_state["selection"] = dict.fromkeys(REAL_TARGETS, "")
    at.session_state["sel_name"] = "Youth outreach, started 2025-05"
    at.run()
    assert not at.exception and not at.error
    assert any(s.value == "2025-05" for s in at.selectbox)
    button = next(b for b in at.button if b.label == "Profile PDF with this evaluation")
    assert not button.disabled
    button.click().run()
    assert not at.exception and not at.error
    labels = [b.label for b in at.get("download_button")]
    assert "Download the profile with this evaluation (PDF)" in labels


def test_priority_page_mde_line():
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=300)
    at.session_state["selection"] = dict.fromkeys(REAL_TARGETS[:3], "")
    at.run()
    assert not at.exception
    next(b for b in at.button if b.label == "What could an evaluation detect?").click().run()
    assert not at.exception
    assert any("could detect a fall" in c.value or "would not reliably detect" in c.value for c in at.caption)


def test_sparse_months_use_the_linear_pretrend_and_empty_periods_are_errors(grid, grid_targets):
    counts = simulate(grid, grid_targets, seed=4)
    counts.loc[grid_targets, "2024-02"] = 0  # a month without any incident in the targets
    r = evaluate(counts, grid, grid_targets, "2024-07", MatchSettings(caliper=3.0), displacement=False)
    assert r.pretrend_test == "linear trend (sparse months)" and 0 <= r.pretrend_p <= 1
    assert "linear trend" in r.text() and r.summary_row()["pretrend_test"].iloc[0] == r.pretrend_test
    counts.loc[grid_targets, MONTHS[6:]] = 0
    with pytest.raises(PlaceBasedError, match="no incidents in the targets from 2024-07"):
        evaluate(counts, grid, grid_targets, "2024-07", MatchSettings(caliper=3.0), displacement=False)

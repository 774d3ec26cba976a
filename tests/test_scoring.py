"""Scoring, scenarios, the catalogue and users' tables.

Edge cases covered: hand-computed scores for each normalisation, direction 'lower', each missing
policy, all-missing indicator, constant indicator, absent weighted indicator, weight change that
reorders, robustness intervals containing the point rank (Pareto-ordered case: exact), shuffled
rows, TOML round trip with awkward strings, users' tables with duplicates, non-numeric values,
unknown and missing codes, suppression markers and Excel.
"""

from __future__ import annotations

import tomllib
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from placebased import _paths
from placebased.errors import ConfigError, DataError, PlaceBasedError
from placebased.io.areas import DataWarning
from placebased.score.indicators import build_indicator_table, default_weights, load_catalogue, read_user_table
from placebased.score.scenario import Scenario, default_scenario, preset, preset_names
from placebased.score.scoring import OUTPUT_COLUMNS, normalise, score_areas


@pytest.fixture
def tiny():
    # a: higher = more need; b: lower = more need (declared in the scenario)
    return pd.DataFrame({"a": [10.0, 20.0, 30.0, 40.0], "b": [4.0, 1.0, 3.0, 2.0]},
                        index=pd.Index(["P", "Q", "R", "S"], name="area_code"))


def sc(**kw):
    base = {"weights": {"a": 1.0, "b": 1.0}, "directions": {"b": "lower"}, "draws": 0, "created": "2025-01-01"}
    base.update(kw)
    return Scenario(**base)


def test_hand_computed_percentile(tiny):
    r = score_areas(tiny, sc())
    # a -> percentile 0, 33.3, 66.7, 100; b (lower = need) -> P 0, Q 100, R 33.3, S 66.7
    expected = np.array([0 + 0, 33.333 + 100, 66.667 + 33.333, 100 + 66.667]) / 2
    assert_allclose(r.table["score"].to_numpy(), expected, atol=1e-3)
    assert r.table["rank"].tolist() == [4.0, 2.0, 3.0, 1.0]
    assert_allclose(r.contributions.sum(axis=1), r.table["score"])
    assert r.weights == {"a": 0.5, "b": 0.5}


def test_hand_computed_zscore_and_minmax(tiny):
    z = score_areas(tiny, sc(normalisation="zscore"))
    a = (tiny["a"] - 25) / tiny["a"].std(ddof=0)
    b = -(tiny["b"] - 2.5) / tiny["b"].std(ddof=0)
    assert_allclose(z.table["score"], (a + b) / 2)
    m = score_areas(tiny, sc(normalisation="minmax", weights={"a": 3, "b": 1}))
    a = (tiny["a"] - 10) / 30 * 100
    b = (4 - tiny["b"]) / 3 * 100
    assert_allclose(m.table["score"], 0.75 * a + 0.25 * b)


def test_direction_flips_ranking(tiny):
    up = score_areas(tiny, Scenario(weights={"a": 1}, draws=0))
    down = score_areas(tiny, Scenario(weights={"a": 1}, draws=0, directions={"a": "lower"}))
    assert up.table["rank"].tolist() == [4.0, 3.0, 2.0, 1.0]
    assert down.table["rank"].tolist() == [1.0, 2.0, 3.0, 4.0]
    # catalogue direction: imd_rank is 'lower' (rank 1 = most deprived)
    t = pd.DataFrame({"imd_rank": [100.0, 30000.0, 5000.0]}, index=["X", "Y", "Z"])
    assert score_areas(t, Scenario(weights={"imd_rank": 1}, draws=0)).table["rank"].tolist() == [1.0, 3.0, 2.0]


def test_missing_policies(tiny):
    t = tiny.copy()
    t.loc["Q", "a"] = np.nan
    with pytest.raises(ValueError):
        Scenario(weights={"a": 1}, missing="guess")
    ex = score_areas(t, sc(missing="exclude"))
    assert np.isnan(ex.table.loc["Q", "score"]) and ex.table.loc["Q", "tier"] == "excluded"
    assert ex.n_ranked == 3 and ex.table["rank"].dropna().tolist() == [3.0, 2.0, 1.0]
    assert "exclude" in ex.summary() and "1 area(s) excluded" in ex.summary()
    med = score_areas(t, sc(missing="median", weights={"a": 1}))
    assert_allclose(med.table.loc["Q", "score"], 50.0)  # median 30 ties with R: average percentile
    assert med.table.loc["Q", "score"] == med.table.loc["R", "score"]
    zero = score_areas(t, sc(missing="zero", weights={"a": 1}))
    assert zero.table.loc["Q", "rank"] == 4.0
    assert "policy 'zero'" in zero.summary()
    t["a"] = np.nan
    with pytest.raises(DataError, match="no values"):
        score_areas(t, sc())


def test_weight_change_changes_ranking(tiny):
    r1 = score_areas(tiny, sc(weights={"a": 0.9, "b": 0.1}))
    r2 = score_areas(tiny, sc(weights={"a": 0.1, "b": 0.9}))
    assert r1.table["rank"].idxmin() == "S"
    assert r2.table["rank"].idxmin() == "Q"


def test_absent_indicator_warns_and_renormalises(tiny):
    with pytest.warns(DataWarning, match="not available"):
        r = score_areas(tiny, sc(weights={"a": 1, "nope": 3}))
    assert r.weights == {"a": 1.0}
    with pytest.raises(ConfigError, match="available: a, b"):
        score_areas(tiny, sc(weights={"nope": 1}))


def test_normalise_registry_and_constant():
    with pytest.raises(ConfigError, match="percentile, zscore, minmax"):
        normalise(np.ones((3, 1)), "rank")
    const = np.full((4, 1), 7.0)
    assert normalise(const, "percentile").ravel().tolist() == [50.0] * 4
    assert normalise(const, "zscore").ravel().tolist() == [0.0] * 4
    assert normalise(const, "minmax").ravel().tolist() == [50.0] * 4


def test_tiers_and_output_columns(tiny):
    r = score_areas(tiny, sc(tiers=(25, 50), draws=50, top_n=2), names={"P": "Pea", "Q": "Queue"})
    f = r.to_frame()
    assert list(f.columns[: len(OUTPUT_COLUMNS)]) == list(OUTPUT_COLUMNS)
    assert list(f.columns[len(OUTPUT_COLUMNS): len(OUTPUT_COLUMNS) + 2]) == ["contrib_a", "contrib_b"]
    assert f.loc["S", "tier"] == "top 25%" and f.loc["Q", "tier"] == "top 50%" and f.loc["P", "tier"] == "other"
    assert f.loc["P", "area_name"] == "Pea" and f.loc["R", "area_name"] == ""
    assert "a (" in f.loc["S", "drivers"] or "top" in f.loc["S", "drivers"]


def test_robustness_exact_for_dominated_order():
    # every indicator orders the areas the same way: ranks cannot change under any weights
    t = pd.DataFrame({"x": [1.0, 2, 3, 4, 5], "y": [10.0, 20, 30, 40, 50], "z": [0.1, 0.2, 0.3, 0.4, 0.5]},
                     index=list("ABCDE"))
    r = score_areas(t, Scenario(weights={"x": 1, "y": 2, "z": 3}, draws=500, concentration=2, top_n=2))
    assert_allclose(r.table["rank_p05"], r.table["rank"])
    assert_allclose(r.table["rank_p95"], r.table["rank"])
    assert r.table["p_top_n"].tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]


def test_robustness_contains_point_rank_real(areas):
    t = build_indicator_table(areas)
    s = Scenario(weights={"imd_score": 2, "idaci_score": 1, "under25_share": 1}, draws=1000,
                 robust_normalisations=("percentile",), concentration=200)
    r = score_areas(t, s).table
    inside = (r["rank_p05"] <= r["rank"]) & (r["rank"] <= r["rank_p95"])
    assert inside.mean() >= 0.97
    assert ((r["p_top_n"] >= 0) & (r["p_top_n"] <= 1)).all()
    assert r["p_top_n"].sum() == pytest.approx(20, abs=1e-9)  # each draw has exactly 20 in its top 20
    # same seed, same answer; rows shuffled, same answer per area
    r2 = score_areas(t.sample(frac=1, random_state=1), s).table.reindex(r.index)
    assert_allclose(r2["score"], r["score"])
    assert_allclose(score_areas(t, s).table["rank_p95"], r["rank_p95"])


def test_fast_path_skips_robustness(areas):
    """The weight-change path runs no draws (its speed is measured in benchmarks/bench_scoring.py)."""
    t = build_indicator_table(areas)
    s = default_scenario().replace(weights={"imd_score": 20, "idaci_score": 15, "under25_share": 15,
                                            "education_score": 10, "crime_score": 10})
    frame = score_areas(t, s, robustness_draws=0).to_frame(drivers=False)
    assert frame["rank_p05"].isna().all() and frame["p_top_n"].isna().all()
    assert frame["rank"].notna().all()


# ---------------------------------------------------------------------------------------------
# scenarios


def test_scenario_roundtrip_and_errors(tmp_path):
    s = Scenario(name='Board "Nov" \\ test', description="line one\nline two\ttab é", created="2025-11-20",
                 weights={"imd_score": 2, "my table.col": 1.5}, normalisation="z-score", missing="exclude",
                 tiers=(20, 5), top_n=15, draws=10, seed=7, concentration=50, directions={"my table.col": "lower"})
    p = s.save(tmp_path / "s.toml")
    tomllib.loads(p.read_text())
    back = Scenario.load(p)
    assert back == s and hash(back) == hash(s)
    assert back.normalisation == "zscore" and back.tiers == (5.0, 20.0)
    assert s.weights_percent == pytest.approx({"imd_score": 57.142857, "my table.col": 42.857143})
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nnormalisation = "rank"\n[weights]\nimd_score = 1\n')
    with pytest.raises(ConfigError, match=r"bad\.toml.*percentile, zscore, minmax"):
        Scenario.load(bad)
    bad.write_text('name = "x"\ncolour = "red"\n[weights]\nimd_score = 1\n')
    with pytest.raises(ConfigError, match="unknown setting"):
        Scenario.load(bad)
    bad.write_text('[weights]\nimd_score = -1\n')
    with pytest.raises(ConfigError, match=">= 0"):
        Scenario.load(bad)
    with pytest.raises(ConfigError, match="all weights are zero"):
        Scenario(weights={"a": 0})


def test_presets_match_shipped_files():
    for name in preset_names():
        assert Scenario.load(_paths.ROOT / "scenarios" / f"{name}.toml") == preset(name)
    assert default_scenario().weights == default_weights()
    with pytest.raises(ConfigError, match="balanced"):
        preset("nope")


def test_catalogue_complete():
    cat = load_catalogue()
    for ind in cat.values():
        assert ind.label and ind.source and ind.vintage and ind.unit and ind.licence and ind.description
        assert ind.direction in ("higher", "lower") and ind.group
        assert bool(ind.column) != bool(ind.incidents)
    for need in ("imd_score", "idaci_score", "cyp_score", "outdoors_score", "under25_share", "population",
                 "serious_violence_eb_rate", "serious_violence_gi_z", "robbery_rate", "weapons_count", "asb_eb_rate",
                 "violence_sexual_rate"):
        assert need in cat


def test_build_indicator_table(areas, grid_areas):
    t = build_indicator_table(areas)
    assert t.index.name == "area_code" and len(t) == 443 and "imd_score" in t and "under25_share" in t
    counts = pd.DataFrame({"Robbery": [0, 1, 2, 0, 0, 0, 0, 0, 9], "Anti-social behaviour": [1] * 9},
                          index=grid_areas.index)
    g = build_indicator_table(grid_areas, counts=counts)
    assert g.loc["C3", "robbery_count"] == 9 and g.loc["C3", "robbery_rate"] == 9.0
    assert "serious_violence_count" in g and "drugs_count" not in g
    assert g["asb_eb_rate"].nunique() == 1  # homogeneous: EB clamps, no inversion


# ---------------------------------------------------------------------------------------------
# users' tables


def test_user_table_validation(tmp_path, areas):
    codes = list(areas.index[:4])
    ok = tmp_path / "ae.csv"
    ok.write_text("LSOA21CD,LSOA name,A&E assaults,Exclusions\n"
                  f"{codes[0]},a,5,1\n{codes[1]},b,*,2\n{codes[2]},c,7,\nE01999999,z,1,1\n")
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        ut = read_user_table(ok, areas.index)
    msgs = [str(w.message) for w in rec]
    assert any("suppressed" in m and "row 3" in m for m in msgs)
    assert any("not among" in m and "E01999999" in m and "row 5" in m for m in msgs)
    assert any("have no row" in m for m in msgs)
    assert list(ut.values.columns) == ["a_e_assaults", "exclusions"]
    assert ut.values.loc[codes[0], "a_e_assaults"] == 5 and np.isnan(ut.values.loc[codes[1], "a_e_assaults"])
    assert len(ut.values) == 443
    t = build_indicator_table(areas, extra_tables=[ut])
    r = score_areas(t, Scenario(weights={"a_e_assaults": 1}, missing="exclude", draws=0))
    assert r.n_ranked == 2
    dup = tmp_path / "dup.csv"
    dup.write_text(f"area_code,v\n{codes[0]},1\n{codes[1]},2\n{codes[0]},3\n")
    with pytest.raises(DataError, match=r"dup\.csv: rows 2, 4: area code .* more than once"):
        read_user_table(dup, areas.index)
    txt = tmp_path / "txt.csv"
    txt.write_text(f"area_code,v\n{codes[0]},1\n{codes[1]},lots\n")
    with pytest.raises(DataError, match=r"txt\.csv: row 3, column 'v': value 'lots' is not a number"):
        read_user_table(txt, areas.index)
    nocode = tmp_path / "nocode.csv"
    nocode.write_text("x,v\n1,2\n")
    with pytest.raises(PlaceBasedError, match="no area code column"):
        read_user_table(nocode, areas.index)
    xlsx = tmp_path / "t.xlsx"
    pd.DataFrame({"area_code": codes, "youth_offending": [1, 2, 3, 4]}).to_excel(xlsx, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ux = read_user_table(xlsx, areas.index)
    assert ux.values.loc[codes[3], "youth_offending"] == 4
    with pytest.raises(ConfigError, match="same id"):
        build_indicator_table(areas, extra_tables=[ux, ux])


def test_iod2019_indicators_are_labelled_2019():
    from placebased.score.indicators import catalogue_for_vintage

    cat19 = catalogue_for_vintage(2019)
    assert cat19["imd_score"].label == "IMD 2019 score"
    assert "2019" in cat19["imd_score"].source and "LSOA 2011" in cat19["imd_score"].vintage
    assert catalogue_for_vintage(2025)["imd_score"].label == "IMD 2025 score"
    assert cat19["serious_violence_eb_rate"] == catalogue_for_vintage(2025)["serious_violence_eb_rate"]

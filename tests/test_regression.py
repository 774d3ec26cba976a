"""Count regression and evidence-informed weights: simulated data with known coefficients, and the
shipped data (residual Moran's I, spatial models, suggested scenario)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from placebased.errors import ConfigError
from placebased.score.indicators import build_indicator_table
from placebased.score.regression import CAVEAT, default_predictors, fit_count_model
from placebased.score.scenario import Scenario, default_scenario
from placebased.score.scoring import score_areas

BETA = {"x1": 0.5, "x2": -0.3, "x3": 0.0}


def simulate(n=3000, seed=1, nb_alpha=None):
    rng = np.random.default_rng(seed)
    idx = pd.Index([f"A{i:05d}" for i in range(n)], name="area_code")
    x = pd.DataFrame(rng.normal(size=(n, 3)) * [1.0, 2.0, 0.5] + [0, 5, 1], columns=list(BETA), index=idx)
    pop = pd.Series(rng.integers(800, 3000, n).astype(float), index=idx)
    eta = np.log(20.0) + sum(b * x[c] for c, b in BETA.items())  # rate 20 per 1,000 at x = 0
    mu = pop / 1000 * np.exp(eta)
    if nb_alpha:
        mu = mu * rng.gamma(1 / nb_alpha, nb_alpha, n)
    return x, pd.Series(rng.poisson(mu), index=idx), pop


@pytest.mark.parametrize("family,alpha", [("poisson", None), ("negbin", 0.3)])
def test_recovers_known_coefficients(family, alpha):
    x, y, pop = simulate(nb_alpha=alpha)
    r = fit_count_model(y, x, pop, list(BETA), family=family, directions={"x2": "lower"})
    c = r.coefficients
    for term, beta in BETA.items():
        assert abs(c.at[term, "coef_raw"] - beta) < 4 * c.at[term, "se"] / x[term].std(ddof=0)
    assert abs(c.at["const", "coef"] - (np.log(20) + sum(b * x[t].mean() for t, b in BETA.items()))) < 0.05
    if family == "negbin":
        assert r.alpha == pytest.approx(0.3, abs=0.08)
    prop = r.proposed_weights()
    # x1 (higher = need, positive effect) and x2 (lower = need, negative effect) get weight; x3 (no effect) not
    assert prop.at["x1", "share_pct"] > 0 and prop.at["x2", "share_pct"] > 0 and prop.at["x3", "share_pct"] == 0
    assert prop["share_pct"].sum() == pytest.approx(100)
    assert prop.at["x1", "share_pct"] / prop.at["x2", "share_pct"] == pytest.approx(
        abs(c.at["x1", "coef"] / c.at["x2", "coef"]))


def test_suggested_scenario_is_usable(tmp_path):
    x, y, pop = simulate(n=500)
    r = fit_count_model(y, x, pop, list(BETA), family="poisson", directions={"x2": "lower"})
    s = r.suggest_scenario(outcome_weight=0, base=Scenario(weights={"x1": 1}, directions={"x2": "lower"}))
    assert set(s.weights) == {"x1", "x2"} and "Association, not cause" in s.description
    back = Scenario.load(s.save(tmp_path / "ev.toml"))
    assert back == s
    res = score_areas(x, back, robustness_draws=0)
    assert res.n_ranked == 500
    with pytest.raises(ConfigError):
        r.suggest_scenario(outcome_weight=100)
    with pytest.raises(ConfigError, match="negbin, poisson"):
        fit_count_model(y, x, pop, ["x1"], family="ols")
    assert "Association is not cause" in r.table()


def test_real_data_moran_and_spatial(areas, police):
    from placebased.stats.aggregate import count_incidents
    from placebased.stats.weights import build_weights

    counts = count_incidents(police.points, areas).counts
    t = build_indicator_table(areas, counts=counts)
    preds = default_predictors(default_scenario().weights, "serious_violence", t.columns)
    assert "asb_eb_rate" in preds and not any(p.startswith(("serious_violence", "robbery", "weapons")) for p in preds)
    r = fit_count_model(t["serious_violence_count"], t, areas["population"], preds,
                        graph=build_weights(areas, "queen"), spatial="auto", permutations=199)
    assert r.n == 443 and -1 < r.moran_i < 1 and 0 < r.moran_p <= 1
    assert r.coefficients.at["imd_score", "coef"] > 0  # more deprivation, more serious violence
    if r.moran_p < 0.05:
        assert {m.kind for m in r.spatial} == {"lag", "error"}
    text = r.table()
    assert "Moran's I of Pearson residuals" in text and CAVEAT in text

"""Composite priority score: normalisation, weighted sum, rank, tiers, explanation and robustness.

:func:`score_areas` scores any table of indicator columns indexed by ``area_code`` (e.g. from
:func:`placebased.score.indicators.build_indicator_table`) with a :class:`~placebased.score.scenario.Scenario`:

1. the weighted indicators are taken from the table (weights normalised to sum to 1; indicators
   the table lacks are left out with a warning and the rest renormalised);
2. missing values follow the scenario's policy, stated in every output: ``exclude`` (the area is
   not ranked), ``median`` (the other areas' median) or ``zero`` (taken as 0), before normalisation;
3. direction is applied (an indicator where *lower* means more need is negated), then each column
   is normalised by name: ``percentile`` (default; percentile rank 0-100, ties share the average
   rank), ``zscore`` (mean 0, SD 1) or ``minmax`` (0-100);
4. score = sum of weight x normalised value (0-100 for percentile and minmax); rank 1 = most need;
   tier = the smallest configured "top x%" that holds the rank (``rank <= ceil(x% of ranked areas)``);
5. each indicator's contribution (``contrib_<id>``, summing to the score) and the top drivers in
   words explain every area's score;
6. robustness: ``draws`` Monte Carlo draws of the weights from a Dirichlet centred on the chosen
   weights (``alpha = concentration x weights``: larger concentration, weights vary less; about
   +/- 1/sqrt(concentration) relative) and of the normalisation (uniform over the scenario's
   ``robust_normalisations``) give each area's median rank, 90% rank interval (5th and 95th
   percentiles of its ranks) and the probability of being in the top N. Vectorised: one
   (draws x areas) score matrix, ranks by argsort.

The score is additive, so a high value on one indicator can offset a low one on another (OECD/JRC
Handbook on Constructing Composite Indicators, 2008); weighting is a value judgement, which the
robustness columns make visible.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from placebased.errors import ConfigError, DataError
from placebased.io.areas import DataWarning
from placebased.names import TIER_EXCLUDED, TIER_OTHER
from placebased.score.indicators import Indicator, indicator_info, load_catalogue
from placebased.score.scenario import MISSING_POLICIES, NORMALISATIONS, Scenario, default_scenario

OUTPUT_COLUMNS = ("area_name", "score", "rank", "tier", "rank_p05", "rank_p95", "p_top_n")
EXCLUDED, OTHER = TIER_EXCLUDED, TIER_OTHER  # placebased.names: the outputs read them too


# ---------------------------------------------------------------------------------------------
# normalisation (registry by name)


def rankdata(x: np.ndarray, axis: int | None = None, method: str = "average") -> np.ndarray:
    """``scipy.stats.rankdata`` for arrays without NaN ("average" or "min" ties), along ``axis`` (the flattened
    array when None), without importing scipy.stats (seconds on a fresh server, for two lines of ranking).

    >>> rankdata(np.array([3.0, 1.0, 3.0, 2.0]), method="min")
    array([3., 1., 3., 2.])
    >>> rankdata(np.array([[3.0, 1.0], [3.0, 2.0]]), axis=0)
    array([[1.5, 1. ],
           [1.5, 2. ]])
    """
    a = np.asarray(x, dtype=float)
    if axis is None:
        a = a.ravel()
    frame = pd.DataFrame(a if a.ndim == 2 else a[:, None])
    ranked = frame.rank(axis=axis or 0, method=method).to_numpy(dtype=float)
    return ranked if a.ndim == 2 else ranked[:, 0]


def _percentile(x: np.ndarray) -> np.ndarray:
    n = x.shape[0]
    if n == 1:
        return np.full_like(x, 50.0, dtype=float)
    return (rankdata(x, axis=0, method="average") - 1.0) / (n - 1.0) * 100.0


def _zscore(x: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=0)
    sd = x.std(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (x - mean) / sd
    return np.where(sd > 0, out, 0.0)


def _minmax(x: np.ndarray) -> np.ndarray:
    lo, hi = x.min(axis=0), x.max(axis=0)
    rng = hi - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (x - lo) / rng * 100.0
    return np.where(rng > 0, out, 50.0)


_NORMALISERS = {"percentile": _percentile, "zscore": _zscore, "minmax": _minmax}
assert set(_NORMALISERS) == set(NORMALISATIONS)


def normalise(values: pd.DataFrame | np.ndarray, method: str = "percentile") -> pd.DataFrame | np.ndarray:
    """Normalise each column of ``values`` (no missing values; higher = more need) by name.

    ``percentile``: percentile rank 0-100 (average rank for ties, 50 for a constant column);
    ``zscore``: (x - mean) / SD (population SD; 0 for a constant column); ``minmax``: 0-100
    (50 for a constant column). Unknown names raise ConfigError listing the valid ones.

    Examples
    --------
    >>> normalise(np.array([[1.0], [2.0], [4.0]]), "minmax").ravel().round(1).tolist()
    [0.0, 33.3, 100.0]
    """
    name = str(method).strip().lower().replace("-", "").replace("_", "")
    if name not in _NORMALISERS:
        raise ConfigError(f"unknown normalisation {method!r}; choose one of {', '.join(_NORMALISERS)}.")
    if isinstance(values, pd.DataFrame):
        return pd.DataFrame(_NORMALISERS[name](values.to_numpy(dtype=float)), index=values.index,
                            columns=values.columns)
    arr = np.asarray(values, dtype=float)
    return _NORMALISERS[name](arr.reshape(len(arr), -1)).reshape(arr.shape)


# ---------------------------------------------------------------------------------------------
# result


@dataclass(frozen=True, eq=False)
class ScoreResult:
    """Scores of one scenario. ``table`` is indexed by ``area_code`` (every input area)."""

    scenario: Scenario
    table: pd.DataFrame
    contributions: pd.DataFrame
    normalised: pd.DataFrame
    raw: pd.DataFrame
    weights: dict[str, float]
    draws: int
    seed: int
    notes: tuple[str, ...] = ()
    missing_counts: dict[str, int] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    directions: dict[str, str] = field(default_factory=dict)

    @property
    def n_ranked(self) -> int:
        return int(self.table["rank"].notna().sum())

    @property
    def n_excluded(self) -> int:
        return len(self.table) - self.n_ranked

    def to_frame(self, drivers: bool = True) -> pd.DataFrame:
        """``area_name, score, rank, tier, rank_p05, rank_p95, p_top_n, contrib_<id>...`` then
        ``rank_median`` and (with ``drivers``) ``drivers``, indexed by ``area_code``."""
        out = self.table[list(OUTPUT_COLUMNS)].copy()
        for col in ("rank", "rank_p05", "rank_p95"):
            out[col] = out[col].round().astype("Int64")
        contrib = self.contributions.add_prefix("contrib_")
        out = pd.concat([out, contrib], axis=1)
        out["rank_median"] = self.table["rank_median"]
        if drivers:
            out["drivers"] = self.drivers()
        return out

    def settings_columns(self) -> dict:
        """Constant columns stating the settings (scenario and its date, normalisation, missing policy,
        draws, seed), so an exported table cites its own scenario."""
        s = self.settings()
        return {"scenario": s["scenario"], "scenario_date": s["created"], "normalisation": s["normalisation"],
                "missing": s["missing"], "draws": s["draws"], "seed": s["seed"]}

    def to_table(self) -> pd.DataFrame:
        """:meth:`to_frame` followed by :meth:`settings_columns`."""
        return self.to_frame().assign(**self.settings_columns())

    def drivers(self, top: int = 3) -> pd.Series:
        """Per area, the ``top`` indicators adding most to its score, in words."""
        c = self.contributions.to_numpy()
        ranked = self.table["rank"].notna().to_numpy()
        pct = np.full(c.shape, np.nan)
        if ranked.any():
            pct[ranked] = _percentile(self.normalised.to_numpy()[ranked])
        ids = list(self.contributions.columns)
        scores = self.table["score"].to_numpy()
        share_ok = self.scenario.normalisation in ("percentile", "minmax")
        order = np.argsort(-c, axis=1, kind="stable")[:, :top]
        texts = []
        for i in range(len(c)):
            if not np.isfinite(scores[i]):
                texts.append("not scored (missing values; policy 'exclude')")
                continue
            parts = []
            for j in order[i]:
                if not c[i, j] > 0:
                    continue
                top_pct = max(1, math.ceil(100.0 - pct[i, j])) if pct[i, j] < 100 else 1
                place = f"top {top_pct}% of areas" if top_pct <= 50 else f"bottom {100 - top_pct + 1}% of areas"
                weight = (f"{100 * c[i, j] / scores[i]:.0f}% of score" if share_ok and scores[i] > 0
                          else f"+{c[i, j]:.2f}")
                parts.append(f"{self.labels.get(ids[j], ids[j])} ({place}; {weight})")
            texts.append("; ".join(parts) if parts else "no indicator above the areas' average")
        return pd.Series(texts, index=self.table.index, name="drivers")

    def explain(self, area_code: str) -> pd.DataFrame:
        """One area: each indicator's raw value, normalised value, weight (%) and contribution."""
        if area_code not in self.table.index:
            raise DataError(f"area {area_code!r} is not among the scored areas.")
        ids = list(self.contributions.columns)
        frame = pd.DataFrame({
            "label": [self.labels.get(i, i) for i in ids],
            "direction": [self.directions.get(i, "higher") for i in ids],
            "raw": self.raw.loc[area_code, ids].to_numpy(),
            "normalised": self.normalised.loc[area_code, ids].to_numpy(),
            "weight_pct": [100 * self.weights[i] for i in ids],
            "contribution": self.contributions.loc[area_code, ids].to_numpy(),
        }, index=pd.Index(ids, name="indicator"))
        return frame.sort_values("contribution", ascending=False)

    def weights_frame(self) -> pd.DataFrame:
        """The weights used (%, summing to 100) with each indicator's effective weight: its share of
        the variance of the score (``cov(contribution, score) / var(score)``, summing to 100; an
        indicator correlated with the others counts for more than its weight) and its correlation
        with the score. Chosen or regression-derived weights are not the same as importance
        (OECD/JRC Handbook on Constructing Composite Indicators, 2008)."""
        ids = list(self.contributions.columns)
        ranked = self.table["rank"].notna().to_numpy()
        c = self.contributions.to_numpy()[ranked]
        s = self.table["score"].to_numpy()[ranked]
        n = self.normalised.to_numpy()[ranked]
        var_s = s.var() if len(s) > 1 else 0.0
        share = (100 * ((c - c.mean(axis=0)) * (s - s.mean())[:, None]).mean(axis=0) / var_s if var_s > 0
                 else np.full(len(ids), np.nan))
        corr = []
        for j in range(len(ids)):
            if len(s) > 2 and n[:, j].std() > 0 and s.std() > 0:
                corr.append(float(np.corrcoef(n[:, j], s)[0, 1]))
            else:
                corr.append(np.nan)
        return pd.DataFrame({
            "label": [self.labels.get(i, i) for i in ids],
            "direction": [self.directions.get(i, "higher") for i in ids],
            "weight_pct": [100 * self.weights[i] for i in ids],
            "variance_share_pct": share,
            "corr_with_score": corr,
            "missing": [self.missing_counts.get(i, 0) for i in ids],
        }, index=pd.Index(ids, name="indicator"))

    def settings(self) -> dict:
        """What every output should state: scenario, normalisation, missing policy, draws, seed."""
        s = self.scenario
        return {
            "scenario": s.name, "created": s.created, "normalisation": s.normalisation,
            "missing": s.missing, "tiers": list(s.tiers), "top_n": s.top_n, "draws": self.draws,
            "seed": self.seed, "concentration": s.concentration,
            "robust_normalisations": list(s.robust_normalisations),
        }

    def summary(self) -> str:
        """Lines for stdout/stderr stating the scenario, settings, weights and notes."""
        s = self.scenario
        lines = [
            f"scenario: {s.name} (created {s.created})" + (f": {s.description}" if s.description else ""),
            f"normalisation: {s.normalisation} ({NORMALISATIONS[s.normalisation]})",
            f"missing values: {s.missing} ({MISSING_POLICIES[s.missing]}); "
            f"{sum(self.missing_counts.values())} missing value(s); {self.n_excluded} area(s) excluded",
            "weights: " + ", ".join(f"{k} {100 * v:.1f}%" for k, v in self.weights.items()),
            f"ranked {self.n_ranked} areas; tiers top {', '.join(f'{t:g}%' for t in s.tiers)}",
        ]
        if self.draws:
            lines.append(
                f"robustness: {self.draws} draws, seed {self.seed}, Dirichlet concentration {s.concentration:g}, "
                f"normalisations {', '.join(s.robust_normalisations)}; rank_p05-rank_p95 = 90% rank interval; "
                f"p_top_n = share of draws ranked in the top {s.top_n}"
            )
        else:
            lines.append("robustness: not run (draws = 0)")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# scoring


def _directions(ids: list[str], scenario: Scenario, catalogue: Mapping[str, Indicator]) -> dict[str, str]:
    return {i: scenario.directions.get(i, indicator_info(i, catalogue).direction) for i in ids}


def _tiers(rank: np.ndarray, n: int, tiers: tuple[float, ...]) -> np.ndarray:
    out = np.full(rank.shape, OTHER, dtype=object)
    for t in sorted(tiers, reverse=True):
        cut = math.ceil(n * t / 100.0)
        out[rank <= cut] = f"top {t:g}%"
    out[~np.isfinite(rank)] = EXCLUDED
    return out


def rank_draws(
    normalised: Mapping[str, np.ndarray],
    weights: np.ndarray,
    draws: int,
    concentration: float,
    seed: int,
) -> np.ndarray:
    """Ranks (1 = most need) of every area in each Monte Carlo draw, shape ``(draws, areas)``.

    ``normalised`` maps each normalisation name to its (areas x indicators) matrix; each draw
    picks one of them uniformly and a weight vector from Dirichlet(``concentration * weights``).
    """
    rng = np.random.default_rng(seed)
    methods = list(normalised)
    k = len(weights)
    if k == 1:
        w = np.ones((draws, 1))
    else:
        g = rng.standard_gamma(concentration * weights, size=(draws, k))
        w = g / g.sum(axis=1, keepdims=True)
    pick = rng.integers(0, len(methods), size=draws)
    n = next(iter(normalised.values())).shape[0]
    scores = np.empty((draws, n))
    for m, name in enumerate(methods):
        sel = pick == m
        if sel.any():  # a sum of k outer products: no BLAS threads for so small a product
            mat, ws = normalised[name], w[sel]
            acc = ws[:, :1] * mat[:, 0]
            for j in range(1, k):
                acc += ws[:, j : j + 1] * mat[:, j]
            scores[sel] = acc
    order = np.argsort(-scores, axis=1)  # ties (measure zero for continuous weights) in any order
    ranks = np.empty(draws * n, dtype=np.int32)
    ranks[(order + (np.arange(draws) * n)[:, None]).ravel()] = np.tile(np.arange(1, n + 1, dtype=np.int32), draws)
    return ranks.reshape(draws, n)


def score_areas(
    indicators: pd.DataFrame,
    scenario: Scenario | None = None,
    robustness_draws: int | None = None,
    seed: int | None = None,
    names: pd.Series | Mapping[str, str] | None = None,
    catalogue: Mapping[str, Indicator] | None = None,
) -> ScoreResult:
    """Score, rank and tier areas from a table of indicator columns.

    Parameters
    ----------
    indicators
        One numeric column per indicator id, indexed by ``area_code`` (not modified).
    scenario
        Weights and settings; :func:`~placebased.score.scenario.default_scenario` when None.
    robustness_draws, seed
        Monte Carlo draws (0 = skip; fast path for interactive weight changes) and their seed;
        the scenario's ``draws`` and ``seed`` when None.
    names
        Area names by code for the ``area_name`` column (else ``indicators["area_name"]`` if
        present, else empty).

    Returns
    -------
    ScoreResult
        ``.to_frame()``: ``area_name, score, rank, tier, rank_p05, rank_p95, p_top_n,
        contrib_<id>..., rank_median, drivers``; ``.summary()`` states the settings.

    Examples
    --------
    >>> t = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 1.0, 2.0]}, index=["X", "Y", "Z"])
    >>> r = score_areas(t, Scenario(weights={"a": 3, "b": 1}), robustness_draws=0)
    >>> r.table["score"].tolist(), r.table["rank"].tolist()
    ([25.0, 37.5, 87.5], [3.0, 2.0, 1.0])
    """
    scenario = default_scenario() if scenario is None else scenario
    cat = load_catalogue() if catalogue is None else catalogue
    draws = scenario.draws if robustness_draws is None else int(robustness_draws)
    seed = scenario.seed if seed is None else int(seed)
    if draws < 0:
        raise ConfigError(f"robustness draws must be >= 0 (got {draws}).")
    notes: list[str] = []
    wanted = {k: v for k, v in scenario.weights.items() if v > 0}
    ids = [k for k in wanted if k in indicators.columns]
    absent = [k for k in wanted if k not in indicators.columns]
    if not ids:
        raise ConfigError(
            f"none of the weighted indicators ({', '.join(wanted) or 'none'}) is in the indicator table; "
            f"available: {', '.join(map(str, indicators.columns))}."
        )
    if absent:
        msg = (f"indicator(s) {', '.join(absent)} not available (weights "
               f"{', '.join(f'{100 * wanted[a] / sum(wanted.values()):.1f}%' for a in absent)}); "
               "left out and the other weights renormalised")
        notes.append(msg)
        warnings.warn(msg, DataWarning, stacklevel=2)
    w = np.array([wanted[i] for i in ids], dtype=float)
    w = w / w.sum()
    index = pd.Index(indicators.index, name="area_code")
    raw = indicators[ids].apply(pd.to_numeric, errors="coerce").astype(float)
    x = raw.to_numpy(copy=True)
    x[~np.isfinite(x)] = np.nan
    nan = np.isnan(x)
    missing_counts = {i: int(nan[:, j].sum()) for j, i in enumerate(ids)}
    keep = np.ones(len(x), dtype=bool)
    if nan.any():
        all_nan = [i for j, i in enumerate(ids) if nan[:, j].all()]
        if all_nan:
            raise DataError(f"indicator(s) {', '.join(all_nan)} have no values for any area; remove their weight.")
        if scenario.missing == "exclude":
            keep = ~nan.any(axis=1)
        elif scenario.missing == "median":
            x = np.where(nan, np.nanmedian(x, axis=0), x)
        else:
            x = np.where(nan, 0.0, x)
        notes.append(f"{int(nan.sum())} missing value(s) in {int(nan.any(axis=1).sum())} area(s): policy "
                     f"'{scenario.missing}' ({MISSING_POLICIES[scenario.missing]})")
    if keep.sum() == 0:
        raise DataError("every area misses a weighted indicator, so none can be ranked; choose missing policy "
                        "'median' or 'zero', or remove the incomplete indicator.")
    dirs = _directions(ids, scenario, cat)
    sign = np.array([-1.0 if dirs[i] == "lower" else 1.0 for i in ids])
    xs = x[keep] * sign
    norm = normalise(xs, scenario.normalisation)
    contrib = norm * w
    score_k = contrib.sum(axis=1)
    n = int(keep.sum())
    rank_k = rankdata(-score_k, method="min").astype(float)

    def full(values: np.ndarray, fill=np.nan) -> np.ndarray:
        out = np.full((len(x),) + values.shape[1:], fill, dtype=float)
        out[keep] = values
        return out

    score = full(score_k)
    rank = full(rank_k)
    p05 = p95 = med = ptop = np.full(len(x), np.nan)
    if draws > 0:
        mats = {m: normalise(xs, m) for m in scenario.robust_normalisations}
        ranks = rank_draws(mats, w, draws, scenario.concentration, seed)
        ranks.sort(axis=0)
        lo, hi = math.floor(0.05 * (draws - 1)), math.ceil(0.95 * (draws - 1))
        p05 = full(ranks[lo].astype(float))
        p95 = full(ranks[hi].astype(float))
        med = full(np.median(ranks, axis=0))
        ptop = full((ranks <= scenario.top_n).mean(axis=0))
    if names is None and "area_name" in indicators.columns:
        names = indicators["area_name"]
    name_col = (pd.Series(names).reindex(index).fillna("").astype(str).to_numpy() if names is not None
                else np.full(len(x), "", dtype=object))
    table = pd.DataFrame({
        "area_name": name_col, "score": score, "rank": rank, "tier": _tiers(rank, n, scenario.tiers),
        "rank_p05": p05, "rank_p95": p95, "p_top_n": ptop, "rank_median": med,
    }, index=index)
    labels = {i: indicator_info(i, cat).label for i in ids}
    return ScoreResult(
        scenario=scenario,
        table=table,
        contributions=pd.DataFrame(full(contrib), index=index, columns=ids),
        normalised=pd.DataFrame(full(norm), index=index, columns=ids),
        raw=raw.copy(),
        weights=dict(zip(ids, w.tolist())),
        draws=draws,
        seed=seed,
        notes=tuple(notes),
        missing_counts=missing_counts,
        labels=labels,
        directions=dirs,
    )


__all__ = ["OUTPUT_COLUMNS", "ScoreResult", "normalise", "rank_draws", "score_areas"]

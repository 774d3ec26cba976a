"""Before starting: what could an evaluation detect? The minimum detectable effect by simulation.

The fast path. With one treated x post term, the two-way fixed-effects Poisson estimate has a
closed form: the area and month effects make the fitted totals of targets/comparisons before/after
equal the observed ones, so ``beta = log(T_post C_pre / (T_pre C_post))`` (the difference in
differences of log totals), and the fitted counts are each area's total spread over its group's
fitted month profile. The cluster-robust (CR1) variance of beta then needs only the month effects
and beta (the area effects' scores vanish at the optimum), a T x T problem. :func:`fast_did` gives
the same beta and standard error as :func:`placebased.stats.evaluate.did_estimate` (tested) in a fraction
of the time, so a few hundred simulations take seconds.

The simulation (:func:`minimum_detectable_effect`): the comparisons are matched to the targets on
the whole history (as the evaluation will); each simulated evaluation draws ``months_before +
months_after`` months of the observed history with replacement, whole months at a time (every area's
count of that month together, so common shocks and each area's own month-to-month variation stay as
observed), applies the rate ratio to the targets' post-period counts by binomial thinning (common
random numbers across the grid, so power rises smoothly as the effect grows), and tests beta = 0 two
sided: |z| beyond the t(G - 1) quantile of the evaluation, or beyond the (1 - alpha) quantile of
|z| in the no-effect simulations when that is larger (with few targets the clustered test can
over-reject; the calibration keeps false alarms at alpha, and the uncalibrated false-alarm rate is
reported). Power at each rate ratio is the share of simulations that detect a fall; the minimum
detectable effect is the rate ratio where power reaches the target (linear interpolation on the
grid). Slow area-specific drifts longer than the history
are not represented, so the answer is optimistic when the history is short: said in the text.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from placebased.errors import ConfigError, DataError
from placebased.stats.evaluate import _indicator_frame, monthly_panel, outcome_label
from placebased.stats.evaluate_match import MatchSettings, match_comparisons, match_covariates, neighbours_of

GRID = tuple(np.round(np.arange(0.98, 0.29, -0.02), 2))


def fast_did(y: np.ndarray, treated: np.ndarray, post: np.ndarray) -> tuple[float, float]:
    """Beta and its CR1 cluster-robust SE (G/(G-1), as the evaluation) of the two-way FE Poisson.

    ``y`` areas x months counts (areas with a zero total are dropped, as in the GLM); ``treated``
    bool per area; ``post`` bool per month. Returns ``(nan, nan)`` when a group-period total is 0.
    """
    y = np.asarray(y, float)
    keep = y.sum(axis=1) > 0
    y, treated = y[keep], np.asarray(treated, bool)[keep]
    post = np.asarray(post, bool)
    n, T = y.shape
    tp, tq = y[treated][:, ~post].sum(), y[treated][:, post].sum()
    cp, cq = y[~treated][:, ~post].sum(), y[~treated][:, post].sum()
    if min(tp, tq, cp, cq) <= 0:
        return float("nan"), float("nan")
    beta = float(np.log(tq * cp / (tp * cq)))
    col = y.sum(axis=0)
    share = np.where(post, col / col[post].sum(), col / col[~post].sum())
    prof_t = share * np.where(post, tq, tp) / (tp + tq)
    prof_c = share * np.where(post, cq, cp) / (cp + cq)
    tot = y.sum(axis=1)
    mu = tot[:, None] * np.where(treated[:, None], prof_t[None, :], prof_c[None, :])
    d = treated[:, None] & post[None, :]
    # parameters: month effects 1..T-1 and beta; scores per area (cluster)
    resid = y - mu
    scores = np.column_stack([resid[:, 1:], (resid * d).sum(axis=1)])
    v = np.column_stack([mu[:, 1:], (mu * d).sum(axis=1)])
    H = np.zeros((T, T))
    H[np.arange(T - 1), np.arange(T - 1)] = mu[:, 1:].sum(axis=0)
    H[:T - 1, T - 1] = H[T - 1, :T - 1] = (mu * d)[:, 1:].sum(axis=0)
    H[T - 1, T - 1] = (mu * d).sum()
    H -= v.T @ (v / tot[:, None])
    B = scores.T @ scores
    try:
        Hi = np.linalg.inv(H)
    except np.linalg.LinAlgError:
        return beta, float("nan")
    V = Hi @ B @ Hi
    V *= n / (n - 1)
    return beta, float(np.sqrt(max(V[T - 1, T - 1], 0.0)))


@dataclass(frozen=True)
class PlanResult:
    """The minimum detectable effect of a planned evaluation, with its power curve."""

    mde_rate_ratio: float  # nan when not reached on the grid
    power: float
    alpha: float
    n_targets: int
    n_comparisons: int
    months_before: int
    months_after: int
    n_sims: int
    seed: int
    history_months: int
    false_alarm_rate: float  # share of no-effect simulations where the t(G-1) test finds an effect
    curve: pd.DataFrame  # rate_ratio, power
    settings: MatchSettings
    outcome: str = "incidents"
    unmatched: tuple[str, ...] = ()
    critical_z: float = float("nan")  # the |z| a fall must exceed (calibrated, see the module notes)
    notes: tuple[str, ...] = ()

    def summary_row(self) -> pd.DataFrame:
        return pd.DataFrame([{
            "mde_rate_ratio": self.mde_rate_ratio,
            "mde_reduction_pct": (1 - self.mde_rate_ratio) * 100 if np.isfinite(self.mde_rate_ratio) else np.nan,
            "power": self.power, "alpha": self.alpha, "n_targets": self.n_targets,
            "n_comparisons": self.n_comparisons, "months_before": self.months_before,
            "months_after": self.months_after, "n_sims": self.n_sims, "seed": self.seed,
            "history_months": self.history_months, "false_alarm_rate": self.false_alarm_rate,
            "critical_z": self.critical_z,
            "method": "simulation: whole months of the history resampled, effect by binomial thinning, "
                      "two-way FE Poisson, CR1 SE clustered by area, t with G-1 df or the "
                      "no-effect simulations' quantile of |z| if larger",
            "outcome": self.outcome, "k": self.settings.k, "caliper": self.settings.caliper}])

    def to_frame(self) -> pd.DataFrame:
        return self.curve.copy()

    def plain_words(self) -> str:
        head = (f"With {self.n_targets} target area{'s' if self.n_targets != 1 else ''} and "
                f"{self.n_comparisons} comparisons, {self.months_before} months before and {self.months_after} "
                f"after, an evaluation ")
        if self.unmatched:
            head = (f"{len(self.unmatched)} of the {self.n_targets + len(self.unmatched)} targets have no comparison "
                    f"within the caliper and are left out. ") + head
        pw = f"({self.power:.0%} power, {self.alpha:g} two-sided; {self.n_sims} simulations, seed {self.seed})"
        if not np.isfinite(self.mde_rate_ratio):
            return head + (f"would not reliably detect even a {100 * (1 - min(self.curve['rate_ratio'])):.0f}% fall "
                           f"in {self.outcome} {pw}: add areas or months.")
        text = (head + f"could detect a fall in {self.outcome} of about {100 * (1 - self.mde_rate_ratio):.0f}% "
                f"or more (rate ratio {self.mde_rate_ratio:.2f}) {pw}. Smaller effects may be real but would "
                f"often be missed. Based on {self.history_months} months of history; longer-term drifts in single "
                f"areas are not represented, so this is if anything optimistic.")
        if self.false_alarm_rate > 1.5 * self.alpha:
            text += (f" With no effect at all, {self.false_alarm_rate:.0%} of the simulated evaluations still found "
                     f"one (nominal {self.alpha:.0%}): with these few areas read a single interval with care; the "
                     "detectable effect above allows for it.")
        return text


def minimum_detectable_effect(counts: pd.DataFrame, areas, targets: list[str], months_after: int,
                              months_before: int | None = None, settings: MatchSettings | None = None,
                              power: float = 0.8, alpha: float = 0.05, n_sims: int = 200, seed: int = 12345,
                              grid: tuple[float, ...] = GRID, outcome: str = "incidents",
                              indicators: pd.DataFrame | None = None) -> PlanResult:
    """Minimum detectable rate ratio for ``targets`` with ``months_before`` (default: the history's
    length) and ``months_after`` months, by simulation on the observed history ``counts`` (area x month)."""
    from scipy import stats

    settings = settings or MatchSettings()
    if months_after < 1:
        raise ConfigError(f"--months-after must be at least 1 (got {months_after}).")
    history = list(counts.columns)
    if len(history) < 3:
        raise DataError(f"only {len(history)} month(s) of incidents; the simulation needs at least 3 of history.")
    months_before = len(history) if months_before is None else months_before
    if months_before < 3:
        raise ConfigError(f"--months-before must be at least 3 (got {months_before}).")
    if not 0 < power < 1 or not 0 < alpha < 1:
        raise ConfigError("power and alpha must lie between 0 and 1; e.g. 0.8 and 0.05.")
    if n_sims < 20:
        raise ConfigError(f"at least 20 simulations are needed (got {n_sims}); e.g. 200.")
    unknown = [t for t in targets if t not in counts.index]
    if unknown:
        raise DataError(f"target code(s) not among the areas: {', '.join(unknown[:5])}; use codes of these areas.")
    population = areas["population"].reindex(counts.index).astype(float)
    bad = set(population.index[(population.isna() | (population <= 0)).to_numpy()])
    cov = match_covariates(counts, population, history, _indicator_frame(areas, settings.indicators, indicators),
                           areas.get("imd_score"))
    excluded = (neighbours_of(areas, targets) if settings.exclude_neighbours else set()) | bad
    match = match_comparisons(list(targets), cov, excluded, settings.k, settings.caliper)
    if not match.targets:
        raise DataError(f"no target has a comparison within the caliper {settings.caliper:g}; widen it.")
    t, c = list(match.targets), list(match.comparisons)
    y_hist = counts.loc[t + c].to_numpy(float)
    treated = np.array([True] * len(t) + [False] * len(c))
    L = months_before + months_after
    post = np.arange(L) >= months_before
    rng = np.random.default_rng(seed)
    grid = tuple(sorted({float(g) for g in grid if 0 < g < 1} | {1.0}, reverse=True))
    G = len(t) + len(c)
    q = stats.t.ppf(1 - alpha / 2, G - 1)
    z = np.full((n_sims, len(grid)), np.nan)
    cells = treated[:, None] & post[None, :]
    for i in range(n_sims):
        y = y_hist[:, rng.integers(0, len(history), size=L)]
        u = rng.random(int(cells.sum()))
        for gi, rr in enumerate(grid):
            ys = y
            if rr < 1:
                ys = y.copy()
                ys[cells] = stats.binom.ppf(u, y[cells], rr)
            b, se = fast_did(ys, treated, post)
            if np.isfinite(b) and se > 0:
                z[i, gi] = b / se
    null = np.abs(z[:, 0])  # grid[0] is 1.0: no effect
    false_alarm = float(np.mean(np.nan_to_num(null) > q))
    # calibrated: false alarms in the simulations stay at alpha even where the t(G-1) test over-rejects
    crit = max(q, float(np.nanquantile(null, 1 - alpha))) if np.isfinite(null).any() else q
    pw = np.mean(np.nan_to_num(z, nan=0.0) < -crit, axis=0)
    curve = pd.DataFrame({"rate_ratio": grid, "power": pw})
    mde = _crossing(np.array(grid), pw, power)
    return PlanResult(mde, power, alpha, len(t), len(c), months_before, months_after, n_sims, seed, len(history),
                      false_alarm, curve, settings, outcome, match.unmatched, crit)


def _crossing(grid: np.ndarray, pw: np.ndarray, target: float) -> float:
    """Largest rate ratio (closest to 1) at which power reaches ``target`` (linear interpolation)."""
    for i in range(len(grid)):
        if pw[i] >= target:
            if i == 0:
                return float(grid[0])
            x0, x1, p0, p1 = grid[i - 1], grid[i], pw[i - 1], pw[i]
            return float(x0 + (target - p0) * (x1 - x0) / (p1 - p0)) if p1 > p0 else float(x1)
    return float("nan")


def plan_incidents(points, areas, targets: list[str], months_after: int, categories=None,
                   months_before: int | None = None, settings: MatchSettings | None = None, end: str | None = None,
                   outcome: str | None = None, **kwargs) -> PlanResult:
    """The minimum detectable effect from incident points (the history up to ``end``); ``kwargs`` as
    :func:`minimum_detectable_effect` (power, alpha, n_sims, seed)."""
    cats = list(categories) if categories else None
    panel = monthly_panel(points, areas, cats)
    counts = panel.counts if end is None else panel.counts[[m for m in panel.months if m <= end]]
    plan = minimum_detectable_effect(counts, areas, list(targets), months_after, months_before, settings,
                                     outcome=outcome or outcome_label(cats), **kwargs)
    return replace(plan, notes=panel.notes)

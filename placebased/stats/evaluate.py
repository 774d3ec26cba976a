"""Did it work? A place-based intervention against matched comparison areas.

Steps, each a function the CLI, the app and the tests call:

1. :func:`monthly_panel` counts incidents per area and month (every month of the range, zeros kept).
2. :func:`match_comparisons` (in :mod:`placebased.stats.evaluate_match`, where the rule is stated) picks
   for each target ``k`` comparison areas that looked like it before the start, areas bordering a
   target excluded by default.
3. :func:`evaluate` fits a Poisson GLM with area and month fixed effects, a log-population offset
   and a treated x post term (statsmodels), standard errors clustered by area (CR1: G/(G-1), the
   area effects being nested in the clusters); the interval and p use a t distribution with G - 1
   degrees of freedom (G clusters), more honest than the normal with few areas. Rate ratio =
   exp(beta). An event study (treated x relative-month dummies, the month before the start as
   reference) gives the pre-trend test: a joint Wald test (F with G - 1 denominator degrees of
   freedom) that every pre-period coefficient is zero. The same estimate for the ring of areas
   bordering the targets (against comparisons matched from areas that are neither) is the
   displacement check.

Regression to the mean: areas picked because their counts were high tend to fall anyway. Matching on
the pre-period rates (level and trajectory) means the comparisons were just as high, so they regress
too and the difference between the two is the estimate.

Edge cases tested: a target code not among the areas, a start month outside the data, too few pre or
post months, a target without any comparison within the caliper, areas with no incidents at all.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from placebased.categories import GROUPS
from placebased.errors import ConfigError, DataError
from placebased.stats.evaluate_match import (  # noqa: F401  (re-exported: the public names of an evaluation)
    Match,
    MatchSettings,
    Panel,
    balance_table,
    match_comparisons,
    match_covariates,
    month_range,
    monthly_panel,
    neighbours_of,
    read_targets,
    shift_month,
)

#: first contract columns of ``placebased evaluate --out`` (more follow)
CONTRACT = ["rate_ratio", "ci_low", "ci_high", "p_value", "n_targets", "n_comparisons", "pre_months",
            "post_months", "pretrend_p", "method"]
MIN_PRE, MIN_POST = 3, 1
METHOD = ("Poisson GLM, area + month fixed effects, log-population offset, treated x post; "
          "SE clustered by area (CR1, G/(G-1)), t with G-1 df; comparisons matched on the pre-period")


# ---------------------------------------------------------------------------------------------
# the model


def _long(counts: pd.DataFrame, population: pd.Series, treated: set[str], start: str) -> pd.DataFrame:
    df = counts.stack().rename("y").reset_index()
    df.columns = ["area", "month", "y"]
    df["pop"] = population.reindex(df["area"]).astype(float).to_numpy()
    df["treated"] = df["area"].isin(treated).astype(float)
    df["post"] = (df["month"] >= start).astype(float)
    return df


def _design(df: pd.DataFrame, extra: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    areas = pd.get_dummies(df["area"], dtype=float)
    months = pd.get_dummies(df["month"], dtype=float).iloc[:, 1:]
    X = pd.concat([extra.reset_index(drop=True), areas.reset_index(drop=True), months.reset_index(drop=True)], axis=1)
    return X.to_numpy(), list(X.columns)


def _fit(df: pd.DataFrame, extra: pd.DataFrame):
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    X, _ = _design(df, extra)
    groups = pd.factorize(df["area"])[0]
    offset = np.log(df["pop"].clip(lower=1.0).to_numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (ConvergenceWarning, PerfectSeparationWarning, RuntimeWarning))
        model = sm.GLM(df["y"].to_numpy(float), X, family=sm.families.Poisson(), offset=offset)
        res = model.fit(cov_type="cluster", cov_kwds={"groups": groups, "use_correction": False})
    g = int(groups.max() + 1)
    # CR1 with the area effects nested in the clusters: G/(G-1) only (as Stata and ppmlhdfe), not also
    # (N-1)/(N-K) over the dummies, which would inflate the variance for nothing
    return res.params, np.asarray(res.cov_params()) * g / (g - 1), g


def did_estimate(counts: pd.DataFrame, population: pd.Series, treated: list[str], start: str,
                 alpha: float = 0.05) -> dict:
    """Treated x post rate ratio from the two-way fixed-effects Poisson GLM (statsmodels)."""
    from scipy import stats

    df = _long(counts, population, set(treated), start)
    df = df[df.groupby("area")["y"].transform("sum") > 0]  # areas with no incident add nothing
    for grp, name in ((1, "targets"), (0, "comparisons")):
        for per, when in ((0, "before"), (1, "from")):
            if df.loc[(df["treated"] == grp) & (df["post"] == per), "y"].sum() == 0:
                raise DataError(f"no incidents in the {name} {when} {start}, so no rate ratio can be estimated; "
                                "choose more categories, more areas or another start month.")
    params, cov, g = _fit(df, pd.DataFrame({"did": df["treated"] * df["post"]}))
    b, se = float(params[0]), float(np.sqrt(cov[0, 0]))
    q = stats.t.ppf(1 - alpha / 2, g - 1)
    p = float(2 * stats.t.sf(abs(b / se), g - 1)) if se > 0 else float("nan")
    return {"beta": b, "se": se, "rate_ratio": float(np.exp(b)), "ci_low": float(np.exp(b - q * se)),
            "ci_high": float(np.exp(b + q * se)), "p_value": p, "clusters": g}


def event_study(counts: pd.DataFrame, population: pd.Series, treated: list[str],
                start: str) -> tuple[pd.DataFrame, float, str]:
    """Treated x relative-month coefficients (reference: the month before ``start``) and the pre-trend
    p: the joint F test (G - 1 denominator df, cluster-robust covariance) that every pre-period
    coefficient is zero. When a pre-period month has no incident in the targets at all, those
    coefficients run off to minus infinity and the joint test means nothing; the p then comes from
    a linear differential trend (treated x month, pre-period only), and the third value says which."""
    from scipy import stats

    df = _long(counts, population, set(treated), start)
    df = df[df.groupby("area")["y"].transform("sum") > 0]
    rel = np.asarray((pd.PeriodIndex(df["month"], freq="M") - pd.Period(start, freq="M")).map(lambda x: x.n))
    ks = [k for k in sorted(set(rel)) if k != -1]
    is_t = df["treated"].to_numpy() == 1
    extra = pd.DataFrame({f"rel_{k}": ((rel == k) & is_t).astype(float) for k in ks})
    params, cov, g = _fit(df, extra)
    b, cov = np.asarray(params[: len(ks)]), cov[: len(ks), : len(ks)]
    se = np.sqrt(np.diag(cov))
    table = pd.DataFrame({"relative_month": ks, "month": [shift_month(start, k) for k in ks], "coef": b, "se": se,
                          "rate_ratio": np.exp(b)})
    pre = [i for i, k in enumerate(ks) if k < -1]
    if not pre:
        return table, float("nan"), "none"
    monthly_t = df.loc[is_t].groupby(rel[is_t])["y"].sum()
    if (monthly_t.reindex([k for k in set(rel) if k < 0], fill_value=0) == 0).any():
        pre_df = df[rel < 0]
        trend = pd.DataFrame({"trend": pre_df["treated"].to_numpy() * rel[rel < 0]})
        p_lin, c_lin, g_lin = _fit(pre_df.reset_index(drop=True), trend)
        t_stat = float(p_lin[0]) / float(np.sqrt(c_lin[0, 0]))
        return table, float(2 * stats.t.sf(abs(t_stat), max(g_lin - 1, 1))), "linear trend (sparse months)"
    bp, vp = b[pre], cov[np.ix_(pre, pre)]
    wald = float(bp @ np.linalg.pinv(vp) @ bp)
    q = len(pre)
    return table, float(stats.f.sf(wald / q, q, max(g - 1, 1))), "event study, joint F"


# ---------------------------------------------------------------------------------------------
# result


@dataclass(frozen=True)
class Estimate:
    rate_ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    n_targets: int
    n_comparisons: int


@dataclass(frozen=True)
class EvaluationResult:
    """An evaluation: the estimate, its matching, the pre-trend test and the displacement check."""

    estimate: Estimate
    start: str
    pre_months: int
    post_months: int
    pretrend_p: float
    pretrend_test: str  # "event study, joint F", "linear trend (sparse months)" or "none"
    match: Match
    event_study: pd.DataFrame
    series: pd.DataFrame  # month, group, count, population, rate (per 1,000 residents)
    displacement: Estimate | None
    settings: MatchSettings
    outcome: str = "incidents"
    alpha: float = 0.05
    notes: tuple[str, ...] = field(default_factory=tuple)

    def summary_row(self) -> pd.DataFrame:
        """One row: the contract columns, then the settings and the displacement check."""
        e, d = self.estimate, self.displacement
        row = {"rate_ratio": e.rate_ratio, "ci_low": e.ci_low, "ci_high": e.ci_high, "p_value": e.p_value,
               "n_targets": e.n_targets, "n_comparisons": e.n_comparisons, "pre_months": self.pre_months,
               "post_months": self.post_months, "pretrend_p": self.pretrend_p, "method": METHOD,
               "pretrend_test": self.pretrend_test,
               "start": self.start, "outcome": self.outcome, "k": self.settings.k,
               "caliper": self.settings.caliper, "neighbours_excluded": self.settings.exclude_neighbours,
               "unmatched_targets": ";".join(self.match.unmatched),
               "max_abs_smd_after": float(self.match.balance["smd_after"].abs().max()),
               "displacement_rate_ratio": d.rate_ratio if d else np.nan,
               "displacement_ci_low": d.ci_low if d else np.nan, "displacement_ci_high": d.ci_high if d else np.nan,
               "displacement_p": d.p_value if d else np.nan, "n_ring": d.n_targets if d else 0}
        return pd.DataFrame([row])

    def to_frame(self) -> pd.DataFrame:
        """One row per area in the evaluation, indexed by area code: role, matched target, distance."""
        p = self.match.pairs
        rows = [(t, "target", "", 0.0) for t in self.match.targets]
        rows += [(r.comparison, "comparison", r.target, r.distance) for r in p.itertuples()]
        rows += [(t, "unmatched target", "", np.nan) for t in self.match.unmatched]
        out = pd.DataFrame(rows, columns=["area_code", "role", "matched_to", "distance"])
        out = out.groupby("area_code", sort=False).agg(
            role=("role", "first"), matched_to=("matched_to", lambda s: ";".join(x for x in s if x)),
            distance=("distance", "min"))
        return out

    def plain_words(self) -> str:
        return plain_words(self.estimate, self.outcome, self.alpha)

    def caveats(self) -> list[str]:
        return caveats(self)

    def text(self) -> str:
        lines = [self.plain_words()]
        if np.isfinite(self.pretrend_p):
            how = "; a linear trend, as some months had no incident in the targets" if "linear" in \
                self.pretrend_test else ""
            lines.append("Before the start the targets and comparisons moved together (pre-trend test p = "
                         f"{self.pretrend_p:.2f}{how})." if self.pretrend_p >= 0.05 else
                         f"Warning: before the start the targets already moved differently from the comparisons "
                         f"(pre-trend test p = {self.pretrend_p:.3f}{how}), so the estimate may be biased.")
        if self.displacement is not None:
            d = self.displacement
            lines.append(f"Displacement check, areas bordering the targets: rate ratio {d.rate_ratio:.2f} "
                         f"(95% interval {d.ci_low:.2f} to {d.ci_high:.2f}).")
        return "\n".join(lines + [f"- {c}" for c in self.caveats()])


def plain_words(e: Estimate, outcome: str = "incidents", alpha: float = 0.05) -> str:
    """"Violence in the target areas fell by about 18% (95% interval 5% to 29%) more than in similar areas"."""
    level = round(100 * (1 - alpha))
    rr, lo, hi = e.rate_ratio, e.ci_low, e.ci_high
    if not np.isfinite(rr):
        return f"No estimate could be made for {outcome}."
    fell = rr < 1
    word, other = ("fell", "rise") if fell else ("rose", "fall")
    size = abs(1 - rr) * 100
    a, b = ((1 - hi) * 100, (1 - lo) * 100) if fell else ((lo - 1) * 100, (hi - 1) * 100)
    if a >= 0:
        interval = f"{level}% interval {a:.0f}% to {b:.0f}%"
    else:
        interval = f"{level}% interval from a {abs(a):.0f}% {other} to a {b:.0f}% {'fall' if fell else 'rise'}"
    text = f"{outcome[:1].upper()}{outcome[1:]} in the target areas {word} by about {size:.0f}% ({interval}) " \
           "more than in similar areas"
    if lo <= 1 <= hi:
        p = "p < 0.01" if e.p_value < 0.01 else f"p = {e.p_value:.2f}"
        text += f"; the interval includes no difference, so this could be chance ({p})"
    return text + "."


def caveats(r: EvaluationResult) -> list[str]:
    out = []
    n = r.estimate.n_targets
    if n < 3:
        out.append(f"Only {n} target area{'s' if n != 1 else ''}: with so few, an interval clustered by area is "
                   "not meaningful; treat the numbers as a description, not a test.")
    elif n < 10:
        out.append(f"Only {n} target area{'s' if n != 1 else ''}: intervals clustered by area are unreliable "
                   "(usually too narrow) with fewer than about 10; read the result as indicative.")
    if r.pre_months < 12 or r.post_months < 12:
        out.append(f"Short periods ({r.pre_months} months before, {r.post_months} after): seasonal swings and "
                   "one-off events weigh heavily.")
    out.append("police.uk gives months only and snaps each location to an anonymous map point (at least 8 "
               "addresses), so incidents near a boundary can fall in the neighbouring area.")
    out.append("Areas picked for high counts tend to fall anyway (regression to the mean); the comparisons were "
               "matched on the pre-period rates (level and trajectory), so they were just as high and regress "
               "too: that matching is what addresses it.")
    if r.match.unmatched:
        out.append(f"{len(r.match.unmatched)} target(s) had no comparison within the caliper and are left out: "
                   f"{', '.join(r.match.unmatched)}.")
    bal = r.match.balance["smd_after"].abs()
    if (bal > 0.25).any():
        out.append("Balance after matching is imperfect (|SMD| > 0.25) for: "
                   f"{', '.join(bal.index[bal > 0.25])}.")
    if r.match.pairs["reused"].any():
        out.append("Some comparisons serve more than one target (not enough distinct areas within the caliper).")
    return out


# ---------------------------------------------------------------------------------------------
# orchestration


def _check_window(months: list[str], start: str, pre: int, post: int) -> None:
    if start not in months:
        raise ConfigError(f"--start {start} is outside the data ({months[0]} to {months[-1]}); "
                          "choose a month within it.")
    if pre < MIN_PRE:
        raise ConfigError(f"only {pre} month(s) before {start} (the data start {months[0]}); at least {MIN_PRE} "
                          "are needed: choose a later start or bring earlier incidents.")
    if post < MIN_POST:
        raise ConfigError(f"no month from {start} on in the data; choose an earlier start.")


def evaluate(panel: Panel | pd.DataFrame, areas, targets: list[str], start: str, settings: MatchSettings | None = None,
             end: str | None = None, outcome: str = "incidents", displacement: bool = True,
             indicators: pd.DataFrame | None = None, alpha: float = 0.05) -> EvaluationResult:
    """Evaluate targets from ``start`` ("YYYY-MM") against matched comparisons (see the module notes).

    ``panel`` is a :class:`Panel` (or its counts frame); ``areas`` holds ``population`` and optionally
    ``imd_score`` and the indicator columns named in ``settings.indicators``; ``indicators`` an extra
    table indexed by area code whose columns are matched on too.
    """
    settings = settings or MatchSettings()
    counts = panel.counts if isinstance(panel, Panel) else panel
    notes = list(panel.notes) if isinstance(panel, Panel) else []
    months = [m for m in counts.columns if end is None or m <= end]
    counts = counts[months]
    unknown = [t for t in targets if t not in counts.index]
    if unknown:
        raise DataError(f"target code(s) not among the areas: {', '.join(unknown[:5])}; use codes of these areas.")
    pre = [m for m in months if m < start]
    post = [m for m in months if m >= start]
    _check_window(months, start, len(pre), len(post))
    population = areas["population"].reindex(counts.index).astype(float)
    if population.isna().all():
        raise DataError("these areas have no population; an evaluation of rates needs one.")
    missing_pop = population.isna() | (population <= 0)
    if missing_pop.any():
        notes.append(f"{int(missing_pop.sum())} area(s) without a population left out of matching")
    extra = _indicator_frame(areas, settings.indicators, indicators)
    cov = match_covariates(counts, population, pre, extra, areas.get("imd_score"))
    ring = neighbours_of(areas, targets)
    excluded = set(cov.index[missing_pop.to_numpy()])
    match = match_comparisons(targets, cov, (ring if settings.exclude_neighbours else set()) | excluded,
                              settings.k, settings.caliper)
    if not match.targets:
        raise DataError(f"no target has a comparison within the caliper {settings.caliper:g}; widen it "
                        "(e.g. --caliper 2) or match on fewer indicators.")
    t, c = list(match.targets), list(match.comparisons)
    est = did_estimate(counts.loc[t + c], population, t, start, alpha)
    es, pretrend_p, pretrend_test = event_study(counts.loc[t + c], population, t, start)
    disp = None
    if displacement and ring:
        ring_l = sorted(ring - set(targets) - excluded)
        m2 = match_comparisons(ring_l, cov, set(targets) | ring | excluded, settings.k, settings.caliper)
        if m2.targets:
            d = did_estimate(counts.loc[list(m2.targets) + list(m2.comparisons)], population, list(m2.targets),
                             start, alpha)
            disp = Estimate(d["rate_ratio"], d["ci_low"], d["ci_high"], d["p_value"], len(m2.targets),
                            len(m2.comparisons))
    series = group_series(counts, population, {"targets": t, "comparisons": c})
    return EvaluationResult(
        estimate=Estimate(est["rate_ratio"], est["ci_low"], est["ci_high"], est["p_value"], len(t), len(c)),
        start=start, pre_months=len(pre), post_months=len(post), pretrend_p=pretrend_p, pretrend_test=pretrend_test,
        match=match,
        event_study=es, series=series, displacement=disp, settings=settings, outcome=outcome, alpha=alpha,
        notes=tuple(notes))


def outcome_label(categories) -> str:
    """What was counted, in words: "serious violence", "robbery", or the categories' names."""
    if not categories:
        return "incidents"
    for g in GROUPS.values():
        if g["police_uk"] and set(g["police_uk"]) == set(categories):
            return g["label"].split(" (")[0].lower()
    return ", ".join(str(c).lower() for c in categories)


def evaluate_incidents(points, areas, targets: list[str], start: str, categories=None,
                       settings: MatchSettings | None = None, end: str | None = None,
                       outcome: str | None = None, alpha: float = 0.05) -> EvaluationResult:
    """The whole evaluation from incident points: the monthly panel of ``categories``, then :func:`evaluate`."""
    cats = list(categories) if categories else None
    panel = monthly_panel(points, areas, cats)
    return evaluate(panel, areas, targets, start, settings, end=end, outcome=outcome or outcome_label(cats),
                    alpha=alpha)


def _indicator_frame(areas, names: tuple[str, ...], table: pd.DataFrame | None) -> pd.DataFrame | None:
    parts = []
    missing = [n for n in names if n not in areas.columns]
    if missing:
        raise ConfigError(f"unknown indicator(s) to match on: {', '.join(missing)}; choose columns of the areas "
                          f"table such as income_score, health_score.")
    if names:
        parts.append(pd.DataFrame(areas[list(names)]))
    if table is not None:
        parts.append(table)
    return pd.concat(parts, axis=1) if parts else None


def group_series(counts: pd.DataFrame, population: pd.Series, groups: dict[str, list[str]]) -> pd.DataFrame:
    """Monthly counts and rates per 1,000 residents for each group of areas (long)."""
    rows = []
    for name, codes in groups.items():
        pop = float(population.reindex(codes).sum())
        tot = counts.loc[codes].sum(axis=0)
        rows += [(m, name, float(v), pop, float(v) / pop * 1000 if pop else np.nan) for m, v in tot.items()]
    return pd.DataFrame(rows, columns=["month", "group", "count", "population", "rate"])


def plot(result: EvaluationResult, title: str | None = None) -> bytes:
    """PNG bytes: monthly rate per 1,000 residents, targets vs matched comparisons, start marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4), dpi=110)
    s = result.series
    months = list(dict.fromkeys(s["month"]))
    x = np.arange(len(months))
    for name, colour in (("targets", "#b2182b"), ("comparisons", "#2166ac")):
        g = s[s["group"] == name].set_index("month").reindex(months)
        n = result.estimate.n_targets if name == "targets" else result.estimate.n_comparisons
        ax.plot(x, g["rate"], marker="o", color=colour, label=f"{name} ({n} areas)")
    ax.axvline(months.index(result.start) - 0.5, color="black", linestyle="--", linewidth=1)
    ax.annotate(f"start {result.start}", (months.index(result.start) - 0.45, ax.get_ylim()[1]), va="top", fontsize=8)
    ax.set_xticks(x, months, rotation=45, ha="right", fontsize=8)
    ax.set_ylabel(f"{result.outcome} per 1,000 residents per month")
    ax.set_title(title or f"{result.outcome.capitalize()}: targets vs matched comparisons", fontsize=10)
    ax.legend(frameon=False, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def profile_section(result: EvaluationResult) -> tuple[str, list[str], pd.DataFrame]:
    """For an area/group profile: a heading, paragraphs (plain words, then caveats) and a small table."""
    paras = result.text().split("\n")
    e = result.estimate
    table = pd.DataFrame({
        "": ["Rate ratio", "95% interval", "p", "Targets / comparisons", "Months before / after", "Pre-trend p"],
        "value": [f"{e.rate_ratio:.2f}", f"{e.ci_low:.2f} to {e.ci_high:.2f}", f"{e.p_value:.3f}",
                  f"{e.n_targets} / {e.n_comparisons}", f"{result.pre_months} / {result.post_months}",
                  f"{result.pretrend_p:.3f}" if np.isfinite(result.pretrend_p) else "n/a"]})
    return f"Evaluation from {result.start}", paras, table

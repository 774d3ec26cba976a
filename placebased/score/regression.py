"""Evidence-informed weights: a count regression of incidents on indicators.

:func:`fit_count_model` fits serious-violence (or any group's) incident counts per area on
standardised indicators with a log-population offset: negative binomial (NB2, dispersion
estimated; default) or Poisson, with :mod:`statsmodels`. It reports each indicator's coefficient per
standard deviation with a 95% confidence interval, its incidence-rate ratio, p-value and VIF, and
the Moran's I of the Pearson residuals (with permutation p). Residual spatial autocorrelation means
the model misses spatial structure; then (``spatial="auto"``) a spatial lag and a spatial error
model of the log rate are fitted with PySAL ``spreg`` (maximum likelihood) for comparison.

:meth:`RegressionResult.suggest_scenario` proposes weights: the outcome's own EB rate keeps a
chosen share (default 50%), and the rest is shared among the predictors in proportion to their
standardised effect in the direction of need (an effect against the catalogue direction, or whose
95% CI includes zero, gets weight 0).

Association is not cause: the coefficients describe how counts co-vary with the indicators across
these areas and months; they do not show that changing an indicator would change violence, and
correlated indicators share their effect unpredictably (see the VIF column).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from placebased.categories import GROUPS
from placebased.errors import ConfigError, DataError
from placebased.score.indicators import Indicator, indicator_info, load_catalogue
from placebased.score.scenario import Scenario

FAMILIES = {"negbin": "negative binomial (NB2), dispersion estimated", "poisson": "Poisson"}
SPATIAL = {"auto": "fit lag and error models when residual Moran's I is significant (p < 0.05)",
           "lag": "always fit a spatial lag model", "error": "always fit a spatial error model",
           "none": "no spatial model"}
CAVEAT = ("Association is not cause: these coefficients describe how incident counts co-vary with the "
          "indicators across these areas in this period, adjusting for population. They do not show that "
          "changing an indicator would change violence; correlated indicators (high VIF) share their effect "
          "unpredictably, and weights are a value judgement the partnership owns.")


@dataclass(frozen=True, eq=False)
class SpatialModel:
    """A spreg model of the log rate: ``kind`` (lag/error), ``parameter`` (rho or lambda) and its p."""

    kind: str
    parameter: float
    p_value: float
    coefficients: pd.DataFrame
    aic: float

    def summary(self) -> str:
        name = "rho (spatial lag)" if self.kind == "lag" else "lambda (spatial error)"
        coefs = ", ".join(f"{k} {v:+.3f}" for k, v in self.coefficients["coef"].items() if k != "const")
        return (f"spatial {self.kind} model of log rate (spreg ML): {name} = {self.parameter:.3f} "
                f"(p = {self.p_value:.3g}), AIC {self.aic:.1f}; coefficients per SD: {coefs}")


@dataclass(frozen=True, eq=False)
class RegressionResult:
    """A fitted count model; ``coefficients`` indexed by term (``const`` first)."""

    outcome: str
    family: str
    coefficients: pd.DataFrame
    n: int
    alpha: float | None
    aic: float
    dispersion: float
    moran_i: float | None
    moran_p: float | None
    residuals: pd.Series
    spatial: tuple[SpatialModel, ...] = ()
    notes: tuple[str, ...] = ()
    directions: dict[str, str] = field(default_factory=dict)
    settings: dict = field(default_factory=dict)

    @property
    def predictors(self) -> list[str]:
        return [t for t in self.coefficients.index if t != "const"]

    def proposed_weights(self, require_significance: bool = True) -> pd.DataFrame:
        """Per predictor: aligned effect (coefficient per SD in the direction of need) and the
        proposed share (%, summing to 100 over predictors; all 0 when no effect qualifies)."""
        c = self.coefficients.loc[self.predictors]
        sign = np.array([-1.0 if self.directions.get(t) == "lower" else 1.0 for t in c.index])
        aligned = c["coef"].to_numpy() * sign
        ok = aligned > 0
        reason = np.where(ok, "", "effect against the direction of need")
        if require_significance:
            spans = (c["ci_low"].to_numpy() <= 0) & (c["ci_high"].to_numpy() >= 0)
            reason = np.where(ok & spans, "95% CI includes 0", reason)
            ok &= ~spans
        eff = np.where(ok, aligned, 0.0)
        share = 100 * eff / eff.sum() if eff.sum() > 0 else np.zeros_like(eff)
        return pd.DataFrame({"aligned_effect": aligned, "share_pct": share, "excluded_because": reason},
                            index=c.index)

    def suggest_scenario(
        self,
        outcome_weight: float = 50.0,
        outcome_indicator: str | None = None,
        base: Scenario | None = None,
        name: str = "Evidence-informed",
        require_significance: bool = True,
    ) -> Scenario:
        """A scenario with the proposed weights (the outcome's EB rate keeps ``outcome_weight`` %).

        Settings other than weights come from ``base`` (default: a new scenario's defaults).
        """
        if not 0 <= outcome_weight < 100:
            raise ConfigError(f"outcome weight must be >= 0 and < 100 (got {outcome_weight}).")
        prop = self.proposed_weights(require_significance)
        rest = 100.0 - outcome_weight
        weights = {}
        if outcome_weight > 0 or not (prop["share_pct"] > 0).any():
            weights[outcome_indicator or f"{self.outcome}_eb_rate"] = outcome_weight or 100.0
        for t, row in prop.iterrows():
            if row["share_pct"] > 0:
                weights[t] = round(rest * row["share_pct"] / 100.0, 2)
        desc = (f"Weights proposed from a {FAMILIES[self.family]} regression of {self.outcome} counts "
                f"on {', '.join(self.predictors)} (population offset, n = {self.n}); the outcome's EB rate "
                f"keeps {outcome_weight:g}%, the rest follows the standardised effects. Association, not cause.")
        kwargs = {"name": name, "description": desc, "created": dt.date.today().isoformat(), "weights": weights}
        if base is not None:
            return base.replace(**kwargs)
        return Scenario(**kwargs)

    def table(self) -> str:
        """The regression table as text (coefficients per SD of each indicator)."""
        lines = [
            f"{FAMILIES[self.family]} regression of {self.outcome} counts, log(population) offset, n = {self.n}",
            f"{'term':<28} {'coef/SD':>8} {'95% CI':>19} {'IRR/SD':>7} {'p':>9} {'VIF':>6}",
        ]
        for term, r in self.coefficients.iterrows():
            ci = f"[{r['ci_low']:+.3f}, {r['ci_high']:+.3f}]"
            vif = "" if not np.isfinite(r["vif"]) else f"{r['vif']:.1f}"
            lines.append(f"{term:<28} {r['coef']:>+8.3f} {ci:>19} {r['irr']:>7.3f} {r['p']:>9.3g} {vif:>6}")
        extra = f"AIC {self.aic:.1f}; Pearson dispersion {self.dispersion:.2f}"
        if self.alpha is not None:
            extra += f"; NB alpha {self.alpha:.3f}"
        lines.append(extra)
        if self.moran_i is not None:
            verdict = ("the model misses spatial structure" if self.moran_p is not None and self.moran_p < 0.05
                       else "no clear spatial structure left")
            lines.append(f"Moran's I of Pearson residuals = {self.moran_i:.3f} (pseudo p = {self.moran_p:.3g}, "
                         f"{self.settings.get('permutations')} permutations, seed {self.settings.get('seed')}, "
                         f"{self.settings.get('graph', 'queen')} weights): {verdict}")
        lines += [m.summary() for m in self.spatial]
        lines += [f"note: {n}" for n in self.notes]
        lines.append(CAVEAT)
        return "\n".join(lines)


def default_predictors(
    weights: Mapping[str, float], outcome: str, available, catalogue: Mapping[str, Indicator] | None = None
) -> list[str]:
    """The positively weighted indicators of a scenario that are not derived from the outcome's
    incidents (any incident group sharing a police.uk category with ``outcome``)."""
    cat = load_catalogue() if catalogue is None else catalogue
    outcome_cats = set(GROUPS.get(outcome, {}).get("police_uk", []))
    out = []
    for k, w in weights.items():
        if w <= 0 or k not in available:
            continue
        info = cat.get(k)
        if info is not None and info.incidents and (
            info.incidents == outcome or outcome_cats & set(GROUPS.get(info.incidents, {}).get("police_uk", []))
        ):
            continue
        out.append(k)
    return out


def _vif(z: np.ndarray) -> np.ndarray:
    from statsmodels.stats.outliers_influence import variance_inflation_factor

    design = np.column_stack([np.ones(len(z)), z])
    return np.array([np.nan] + [variance_inflation_factor(design, j) for j in range(1, design.shape[1])])


def _spatial_models(y_log: np.ndarray, z: np.ndarray, names: list[str], graph, kinds: list[str]) -> list:
    import spreg

    w = graph.to_W() if hasattr(graph, "to_W") else graph
    w.transform = "r"
    out = []
    for kind in kinds:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):  # spreg prints its name
            warnings.simplefilter("ignore")
            if kind == "lag":
                model = spreg.ML_Lag(y_log.reshape(-1, 1), z, w, name_x=names, spat_diag=False)
            else:
                model = spreg.ML_Error(y_log.reshape(-1, 1), z, w, name_x=names)
        betas = np.asarray(model.betas).ravel()
        se = np.asarray(model.std_err).ravel()
        k = len(names) + 1
        coefs = pd.DataFrame({"coef": betas[:k], "se": se[:k]}, index=["const", *names])
        if kind == "lag":
            param, p = float(model.rho), float(model.z_stat[-1][1])
        else:
            param, p = float(model.lam), float(model.z_stat[-1][1])
        out.append(SpatialModel(kind=kind, parameter=param, p_value=p, coefficients=coefs, aic=float(model.aic)))
    return out


def fit_count_model(
    counts: pd.Series,
    indicators: pd.DataFrame,
    population: pd.Series,
    predictors: list[str],
    family: str = "negbin",
    graph=None,
    spatial: str = "auto",
    permutations: int = 9999,
    seed: int = 12345,
    outcome: str = "serious_violence",
    directions: Mapping[str, str] | None = None,
    catalogue: Mapping[str, Indicator] | None = None,
) -> RegressionResult:
    """Regress incident counts on standardised indicators with a log-population offset.

    Parameters
    ----------
    counts
        Incidents per area (the outcome), indexed by area code.
    indicators
        Indicator table (e.g. :func:`placebased.score.indicators.build_indicator_table`).
    population
        Residents per area (offset ``log(population / 1000)``, so exp(const) is a rate per 1,000).
    predictors
        Indicator ids to use (each standardised to mean 0, SD 1 over the areas used).
    family
        ``negbin`` (default) or ``poisson``.
    graph
        Spatial weights (``placebased.stats.weights.build_weights``) for the residual Moran's I and the
        spatial models; skipped when None.
    spatial
        ``auto``, ``lag``, ``error`` or ``none`` (see :data:`SPATIAL`).

    Returns
    -------
    RegressionResult
        ``coefficients``: ``coef, se, ci_low, ci_high, p, irr, coef_raw, vif`` per term (coef per SD;
        ``coef_raw`` per unit of the indicator).
    """
    import statsmodels.api as sm

    fam = str(family).strip().lower().replace("_", "").replace("-", "")
    fam = {"nb": "negbin", "negativebinomial": "negbin"}.get(fam, fam)
    if fam not in FAMILIES:
        raise ConfigError(f"unknown family {family!r}; choose one of {', '.join(FAMILIES)}.")
    sp = str(spatial).strip().lower()
    if sp not in SPATIAL:
        raise ConfigError(f"unknown spatial option {spatial!r}; choose one of {', '.join(SPATIAL)}.")
    if not predictors:
        raise ConfigError("no predictors; name at least one indicator (e.g. imd_score idaci_score).")
    missing = [p for p in predictors if p not in indicators.columns]
    if missing:
        raise ConfigError(f"predictor(s) {', '.join(missing)} not in the indicator table; available: "
                          f"{', '.join(map(str, indicators.columns))}.")
    cat = load_catalogue() if catalogue is None else catalogue
    dirs = {p: (directions or {}).get(p, indicator_info(p, cat).direction) for p in predictors}
    frame = indicators[predictors].astype(float).copy()
    frame["__y"] = pd.Series(counts, dtype=float).reindex(frame.index)
    frame["__pop"] = pd.Series(population, dtype=float).reindex(frame.index)
    notes = []
    ok = frame.notna().all(axis=1) & (frame["__pop"] > 0)
    if (~ok).any():
        notes.append(f"{int((~ok).sum())} area(s) with a missing value or no population left out of the model")
    frame = frame[ok]
    if len(frame) < len(predictors) + 10:
        raise DataError(f"only {len(frame)} complete areas for {len(predictors)} predictors; too few to fit.")
    y = frame["__y"].to_numpy()
    if (y < 0).any():
        raise DataError("incident counts must not be negative.")
    x = frame[predictors].to_numpy()
    mean, sd = x.mean(axis=0), x.std(axis=0)
    flat = [p for p, s in zip(predictors, sd) if not s > 0]
    if flat:
        raise DataError(f"predictor(s) {', '.join(flat)} have the same value in every area; remove them.")
    z = (x - mean) / sd
    design = sm.add_constant(z, has_constant="add")
    offset = np.log(frame["__pop"].to_numpy() / 1000.0)
    alpha = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if fam == "poisson":
            res = sm.GLM(y, design, family=sm.families.Poisson(), offset=offset).fit()
            params, bse, pvals = res.params, res.bse, res.pvalues
            ci = res.conf_int()
            mu = res.mu
            var = mu
            aic = float(res.aic)
        else:
            model = sm.NegativeBinomial(y, design, offset=offset, loglike_method="nb2")
            res = model.fit(disp=0, maxiter=200)
            if not res.mle_retvals.get("converged", True):
                res = model.fit(method="bfgs", disp=0, maxiter=2000)
                if not res.mle_retvals.get("converged", True):
                    notes.append("negative binomial fit did not fully converge; compare with --family poisson")
            k = design.shape[1]
            params, bse, pvals = res.params[:k], res.bse[:k], res.pvalues[:k]
            ci = np.asarray(res.conf_int())[:k]
            alpha = float(res.params[-1])
            mu = np.exp(design @ params + offset)
            var = mu + alpha * mu**2
            aic = float(res.aic)
    ci = np.asarray(ci)
    resid = (y - mu) / np.sqrt(var)
    dispersion = float((resid**2).sum() / (len(y) - design.shape[1]))
    if fam == "poisson" and dispersion > 1.5:
        notes.append(f"Pearson dispersion {dispersion:.1f} > 1.5: counts are overdispersed, so Poisson standard "
                     "errors are too small; prefer --family negbin")
    terms = ["const", *predictors]
    coefs = pd.DataFrame({
        "coef": np.asarray(params), "se": np.asarray(bse), "ci_low": ci[:, 0], "ci_high": ci[:, 1],
        "p": np.asarray(pvals), "irr": np.exp(np.asarray(params)),
        "coef_raw": np.r_[np.nan, np.asarray(params)[1:] / sd], "vif": _vif(z),
    }, index=pd.Index(terms, name="term"))
    high_vif = [t for t in predictors if coefs.at[t, "vif"] > 5]
    if high_vif:
        notes.append(f"VIF > 5 for {', '.join(high_vif)}: these overlap strongly, so their separate effects "
                     "(and the weights proposed from them) are unstable")
    residuals = pd.Series(resid, index=frame.index, name="pearson_residual")
    moran_i = moran_p = None
    spatial_models: list[SpatialModel] = []
    settings = {"permutations": permutations, "seed": seed, "graph": getattr(graph, "_placebased_kind", "queen")}
    if graph is not None:
        from placebased.stats.hotspots import moran

        sub = graph.subgraph(frame.index) if len(frame) < len(indicators) else graph
        m = moran(residuals, sub, permutations=permutations, seed=seed)
        moran_i, moran_p = float(m.I), float(m.p_sim)
        kinds = {"auto": ["lag", "error"] if moran_p < 0.05 else [], "lag": ["lag"], "error": ["error"],
                 "none": []}[sp]
        if kinds:
            y_log = np.log((y + 0.5) / frame["__pop"].to_numpy() * 1000.0)
            spatial_models = _spatial_models(y_log, z, predictors, sub, kinds)
    elif sp in ("lag", "error"):
        raise ConfigError(f"a spatial {sp} model needs spatial weights (graph=...).")
    return RegressionResult(
        outcome=outcome, family=fam, coefficients=coefs, n=len(y), alpha=alpha, aic=aic, dispersion=dispersion,
        moran_i=moran_i, moran_p=moran_p, residuals=residuals, spatial=tuple(spatial_models), notes=tuple(notes),
        directions=dirs, settings=settings,
    )


__all__ = ["CAVEAT", "FAMILIES", "RegressionResult", "SpatialModel", "default_predictors", "fit_count_model"]

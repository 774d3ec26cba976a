"""Rates and Empirical Bayes smoothing of counts per resident.

Small populations make raw rates noisy; Empirical Bayes (EB) shrinks each area's rate toward the
overall rate (``eb_rate``) or toward its neighbourhood's rate (``seb_rate``) in proportion to how
little its population tells us (Marshall 1991; esda's ``Empirical_Bayes`` and
``Spatial_Empirical_Bayes``).

One difference from esda 2.9.0, on purpose: the between-area variance of the global EB estimator is
clamped at zero, as GeoDa does (``RateSmoothing.cpp``). Without the clamp a near-homogeneous set of
rates gives a *negative* shrinkage weight, and the smoothed rates rank the areas in reverse order
of the raw ones. With it, homogeneous rates all shrink to the overall rate. esda's spatial EB
already clamps.

Rates are per 1,000 residents (:data:`PER`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from placebased.errors import ConfigError, DataError

#: rates are expressed per this many residents
PER = 1000.0

#: variable names accepted by :func:`variable_values`
VARIABLES: dict[str, str] = {
    "count": "incident count",
    "rate": "incidents per 1,000 residents",
    "eb_rate": "Empirical Bayes smoothed rate per 1,000 residents (shrunk toward the overall rate)",
    "seb_rate": "spatial Empirical Bayes smoothed rate per 1,000 residents (shrunk toward the neighbourhood rate)",
}


def _check_rate_inputs(events: pd.Series, population: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    missing = population.index[population.isna().to_numpy()]
    if len(missing):
        raise DataError(
            f"no population for {len(missing)} area(s) ({', '.join(map(str, missing[:5]))}); "
            "rates need a population for every area: use --variable count or supply populations."
        )
    pop = population.to_numpy(dtype=np.float64)
    bad = population.index[pop <= 0]
    if len(bad):
        raise DataError(
            f"population is zero or negative for {', '.join(map(str, bad[:5]))}; "
            "rates need a positive population: fix the population or use --variable count."
        )
    ev = events.to_numpy(dtype=np.float64)
    if np.isnan(ev).any():
        nan = events.index[np.isnan(ev)]
        raise DataError(f"no count for {', '.join(map(str, nan[:5]))}; fill missing counts with 0 first.")
    if (ev < 0).any():
        raise DataError("counts must not be negative; check the weight column of the incidents.")
    return ev, pop


def _align(events: pd.Series, population: pd.Series) -> tuple[pd.Series, pd.Series]:
    population = pd.Series(population)
    missing = events.index.difference(population.index)
    if len(missing):
        raise DataError(
            f"{len(missing)} area(s) have counts but no population row ({', '.join(map(str, missing[:5]))}); "
            "give a population for every area."
        )
    return events, population.reindex(events.index)


def crude_rate(events: pd.Series, population: pd.Series) -> pd.Series:
    """Events per 1,000 residents."""
    events, population = _align(events, population)
    ev, pop = _check_rate_inputs(events, population)
    return pd.Series(ev / pop * PER, index=events.index, name="rate")


def eb_rate(events: pd.Series, population: pd.Series) -> pd.Series:
    """Global Empirical Bayes smoothed rate per 1,000 residents (between-area variance clamped at 0).

    Examples
    --------
    >>> import pandas as pd
    >>> e = pd.Series([30, 25, 25, 15, 33, 21, 30, 20])
    >>> b = pd.Series([100, 100, 110, 90, 100, 90, 110, 90])
    >>> eb_rate(e, b).round(1).tolist()[:3]  # near-homogeneous: all shrink to the overall rate
    [251.9, 251.9, 251.9]
    """
    events, population = _align(events, population)
    ev, pop = _check_rate_inputs(events, population)
    r = ev / pop
    r_mean = ev.sum() / pop.sum()
    s2 = (pop * (r - r_mean) ** 2).sum() / pop.sum()
    a = max(s2 - r_mean / pop.mean(), 0.0)  # GeoDa's clamp; esda lets this go negative
    if a == 0.0:
        smoothed = np.full_like(r, r_mean)
    else:
        shrink = a / (a + r_mean / pop)
        smoothed = shrink * r + (1.0 - shrink) * r_mean
    return pd.Series(smoothed * PER, index=events.index, name="eb_rate")


def spatial_eb_rate(events: pd.Series, population: pd.Series, graph) -> pd.Series:
    """Spatial Empirical Bayes rate per 1,000 residents: shrunk toward each area's neighbourhood.

    The neighbourhood is the area and its neighbours in ``graph`` (weights are used as 0/1), as in
    esda's ``Spatial_Empirical_Bayes``; the local between-area variance is clamped at 0.
    """
    events, population = _align(events, population)
    ids = pd.Index(graph.unique_ids)
    if not ids.sort_values().equals(events.index.sort_values()):
        raise DataError("the weights and the counts cover different areas; build the weights from the same areas.")
    events = events.reindex(ids)
    population = population.reindex(ids)
    ev, pop = _check_rate_inputs(events, population)
    adj = graph.sparse.tocsr().copy()
    adj.data[:] = 1.0
    adj.setdiag(1.0)  # the area itself belongs to its neighbourhood
    adj = adj.tocsr()
    adj.eliminate_zeros()
    r = ev / pop
    e_local = adj @ ev
    b_local = adj @ pop
    n_local = np.asarray(adj.sum(axis=1)).ravel()
    r_local = e_local / b_local
    # sum_j in N(i) b_j (r_j - r_i_local)^2, expanded so it is one sparse product each
    sq = adj @ (pop * r * r) - 2.0 * r_local * (adj @ (pop * r)) + r_local**2 * b_local
    a = sq / b_local - r_local / (b_local / n_local)
    a = np.maximum(a, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        shrink = np.where(a > 0, a / (a + r_local / pop), 0.0)
    smoothed = r_local + (r - r_local) * shrink
    return pd.Series(smoothed * PER, index=ids, name="seb_rate").reindex(events.index)


def assuncao_rate(events: pd.Series | np.ndarray, population: pd.Series | np.ndarray) -> np.ndarray:
    """Assuncao-Reis (1999) EB-standardised rates, used by the rate-adjusted Moran's I.

    Same as ``esda.smoothing.assuncao_rate`` (where the variance ``a + b/p_i`` is negative the
    binomial part ``b/p_i`` alone is used).
    """
    e = np.asarray(events, dtype=np.float64)
    b = np.asarray(population, dtype=np.float64)
    y = e / b
    b_mean = e.sum() / b.sum()
    s2 = (b * (y - b_mean) ** 2).sum() / b.sum()
    a = s2 - b_mean / (b.sum() / len(e))
    v = a + b_mean / b
    v = np.where(v < 0, b_mean / b, v)
    return (y - b_mean) / np.sqrt(v)


def variable_values(
    counts_series: pd.Series,
    population: pd.Series | None = None,
    variable: str = "count",
    graph=None,
) -> pd.Series:
    """The value analysed for each area: a count, a rate or an EB-smoothed rate.

    Parameters
    ----------
    counts_series
        Incident counts (or weighted counts) indexed by area code.
    population
        Residents per area (needed for every variable except ``count``).
    variable
        ``"count"``, ``"rate"`` (per 1,000 residents), ``"eb_rate"`` or ``"seb_rate"``.
    graph
        Spatial weights (needed for ``seb_rate``).

    Returns
    -------
    pd.Series named after ``variable``, indexed like ``counts_series``.
    """
    name = str(variable).strip().lower()
    if name not in VARIABLES:
        raise ConfigError(f"unknown variable {variable!r}; choose one of {', '.join(VARIABLES)}.")
    counts_series = pd.Series(counts_series, dtype=np.float64)
    if name == "count":
        if counts_series.isna().any():
            nan = counts_series.index[counts_series.isna().to_numpy()]
            raise DataError(f"no count for {', '.join(map(str, nan[:5]))}; fill missing counts with 0 first.")
        return counts_series.rename("count")
    if population is None:
        raise ConfigError(f"variable {name!r} needs a population per area; use --variable count or give populations.")
    if name == "rate":
        return crude_rate(counts_series, population)
    if name == "eb_rate":
        return eb_rate(counts_series, population)
    if graph is None:
        raise ConfigError("variable 'seb_rate' needs spatial weights (graph=...) to define neighbourhoods.")
    return spatial_eb_rate(counts_series, population, graph)

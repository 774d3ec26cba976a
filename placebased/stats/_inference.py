"""Inference settings shared by the global and local statistics: permutations, seeds, corrections,
p cut-offs and the checks on the values and weights (see :mod:`placebased.stats.hotspots` for the conventions)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from placebased.errors import ConfigError, DataError
from placebased.names import CORRECTIONS  # multiple-testing corrections by name (the one list)

DEFAULT_SEED = 12345
DEFAULT_PERMUTATIONS = 9999
#: Gi_Bin confidence levels (two-sided p cut-offs before correction) for bins 1, 2, 3: 90, 95, 99 %
GI_LEVELS = (0.10, 0.05, 0.01)
CLUSTER_LABELS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
NOT_SIGNIFICANT = "not significant"
P_METHOD = ("two-sided pseudo p = min(1, 2 x directed pseudo p of esda 2.9 / GeoDa), "
            "significant when p <= p_cutoff")
_LOCAL_KEY, _GLOBAL_KEY = 1, 2


def norm_sf(x):
    """The standard normal survival function (``scipy.stats.norm.sf``, which is ``scipy.special.ndtr(-x)``),
    with scipy imported only when a p-value is computed: loading saved results need not import scipy.stats.

    >>> float(round(norm_sf(1.959963984540054), 6))
    0.025
    """
    from scipy.special import ndtr

    return ndtr(-np.asarray(x, dtype=float))


# settings and multiple testing


def _check_settings(permutations, seed, alpha, correction, local: bool) -> tuple[int, int, float, str]:
    try:
        perms = int(permutations)
    except (TypeError, ValueError):
        perms = -1
    if perms != permutations or perms < (1 if local else 0):
        least = 1 if local else 0
        raise ConfigError(f"permutations must be a whole number >= {least} (got {permutations!r}); e.g. 9999.")
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2**63))
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"seed must be a whole number >= 0 (got {seed!r}); e.g. 12345.")
    try:
        a = float(alpha)
    except (TypeError, ValueError):
        a = -1.0
    if not 0 < a < 1:
        raise ConfigError(f"alpha must be between 0 and 1 (got {alpha!r}); e.g. 0.05.")
    corr = str(correction).strip().lower()
    if corr not in CORRECTIONS:
        raise ConfigError(f"unknown correction {correction!r}; choose one of {', '.join(CORRECTIONS)}.")
    return perms, int(seed), a, corr


def p_cutoff(p: np.ndarray, alpha: float = 0.05, correction: str = "fdr") -> float:
    """The p-value at or below which an area counts as significant.

    Parameters
    ----------
    p
        The areas' p-values.
    alpha
        The family-wise (``bonferroni``), false-discovery (``fdr``) or per-area (``none``) level.
    correction
        ``"none"``, ``"fdr"`` (Benjamini-Hochberg) or ``"bonferroni"``.

    Examples
    --------
    >>> p_cutoff([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205], 0.05, "fdr")
    0.0125
    >>> p_cutoff([0.001, 0.2], 0.05, "bonferroni")
    0.025
    """
    p = np.asarray(p, dtype=np.float64)
    corr = str(correction).lower()
    n = int(np.isfinite(p).sum())
    if corr == "none" or n == 0:
        return float(alpha)
    if corr == "bonferroni":
        return float(alpha) / n
    if corr != "fdr":
        raise ConfigError(f"unknown correction {correction!r}; choose one of {', '.join(CORRECTIONS)}.")
    ranked = np.sort(p[np.isfinite(p)])
    steps = np.arange(1, n + 1) * float(alpha) / n
    passing = np.flatnonzero(ranked <= steps)
    if len(passing) == 0:
        return float(alpha) / n
    return float(steps[passing[-1]])


def _cutoff_note(p_cut: float, permutations: int, correction: str, n_significant: int, what: str,
                 n: int = 0, alpha: float = 0.05) -> str:
    smallest = min(1.0, 2.0 / (permutations + 1))  # two-sided
    if smallest <= p_cut or n_significant:
        return ""
    need = math.ceil(2.0 / p_cut)
    more = f"use at least {need - 1} permutations (e.g. {10 ** math.ceil(math.log10(need)) - 1})"
    if correction == "fdr":
        k = math.ceil(smallest * n / alpha)
        return (f"{what}: no area passed the fdr cut-off; with {permutations} permutations the smallest "
                f"two-sided pseudo p is {smallest:.2g}, so fdr needs at least {k} areas at that p; more permutations "
                "(e.g. 99999) may help")
    return (
        f"{what}: with {permutations} permutations the smallest two-sided pseudo p is {smallest:.2g}, above the "
        f"{correction} cut-off {p_cut:.2g}, so no area can be significant; {more}"
    )


def two_sided(p_directed) -> np.ndarray:
    """Two-sided pseudo p from esda's / GeoDa's directed (one-tailed) one: ``min(1, 2 p)``.

    Confidence levels (90/95/99 %) and corrections over both tails are stated on this p, as
    ArcGIS's Gi_Bin is on ``|z|`` (STATS-NOTES: applying 0.05 to the directed p doubles the false
    positives).

    >>> two_sided([0.0001, 0.03, 0.6]).tolist()
    [0.0002, 0.06, 1.0]
    """
    return np.minimum(1.0, 2.0 * np.asarray(p_directed, dtype=np.float64))


def _directed_p(larger: np.ndarray, permutations: int) -> np.ndarray:
    larger = np.asarray(larger, dtype=np.float64)
    low = (permutations - larger) < larger
    larger = np.where(low, permutations - larger, larger)
    return (larger + 1.0) / (permutations + 1.0)


# ---------------------------------------------------------------------------------------------
# inputs


def _prepare(y, graph, what: str = "values") -> tuple[pd.Index, np.ndarray, object]:
    """Align ``y`` to ``graph.unique_ids``; check it is complete and varies; row-standardise."""
    ids = pd.Index(graph.unique_ids, name="area_code")
    if isinstance(y, pd.Series):
        missing = ids.difference(y.index)
        extra = y.index.difference(ids)
        if len(missing) or len(extra):
            bad = list(missing[:3]) + list(extra[:3])
            raise DataError(
                f"{what} and weights cover different areas ({len(missing)} without a value, {len(extra)} "
                f"without weights, e.g. {', '.join(map(str, bad))}); build the weights from the same areas."
            )
        if not y.index.is_unique:
            raise DataError(f"{what} has duplicate area codes; give one value per area.")
        y = y.reindex(ids)
        arr = pd.to_numeric(y, errors="coerce").to_numpy(dtype=np.float64)
        bad_idx = ids[~np.isfinite(arr)]
    else:
        arr = np.asarray(y, dtype=np.float64).ravel()
        if len(arr) != len(ids):
            raise DataError(f"{what} has {len(arr)} values but the weights have {len(ids)} areas; align them.")
        bad_idx = ids[~np.isfinite(arr)]
    if len(bad_idx):
        raise DataError(
            f"{what} missing or not a number for {len(bad_idx)} area(s) ({', '.join(map(str, bad_idx[:5]))}); "
            "fill them or drop those areas before the statistics."
        )
    if len(arr) < 3:
        raise DataError(f"spatial statistics need at least 3 areas (got {len(arr)}).")
    if np.ptp(arr) == 0:
        raise DataError(
            f"all {len(arr)} {what} are equal ({arr[0]:g}); spatial autocorrelation is undefined without variation."
        )
    if graph.transformation != "R":
        graph = graph.transform("R")
    if len(graph.isolates):
        raise DataError(
            f"{len(graph.isolates)} area(s) have no neighbour ({', '.join(map(str, graph.isolates[:5]))}); "
            "build the weights with placebased.stats.weights.build_weights, which joins islands to their nearest area."
        )
    return ids, arr, graph


# ---------------------------------------------------------------------------------------------
# global Moran

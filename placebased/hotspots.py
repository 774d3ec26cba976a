"""Hotspots and spatial autocorrelation: global Moran's I, local Moran (LISA) and Getis-Ord Gi*.

The statistics are esda's (and GeoDa's) with their attribute names; results are frozen dataclasses
whose ``.to_frame()`` is indexed by area code and whose ``settings`` state the inference.

Conventions (pinned; outputs say so)
------------------------------------
* Weights are row-standardised (the graph is transformed to ``"R"`` if it is not).
* Pseudo p-values are esda 2.9.0's / GeoDa's *directed* ones: ``(M + 1) / (R + 1)`` where M counts
  the draws at least as extreme as the observed value in its own tail. The two-sided p that newer
  esda releases will default to is about twice this.
* Local draws are conditional permutations: for each area, its neighbours' values are replaced by
  values drawn without replacement from the other areas (the area itself is fixed). LISA and Gi*
  share the draws (see :mod:`placebased._permute`).
* Gi* uses row-standardised weights with the area itself included (GeoDa's G*, self weight equal
  to the row's largest weight, so ``1/(k+1)`` on contiguity). Its z-score is Ord & Getis (1995)'s
  general-weights formula, which equals the binary-weights z of esda, ArcGIS and the literature.
  (esda's ``G_Local(transform="R").Zs`` plugs row sums into the binary formula and is *not* the
  same; it shrinks z by about ``sqrt(k + 1)``.) ``gi_p`` is the permutation pseudo p, as GeoDa.
* An area is significant when ``p <= p_cutoff`` (GeoDa's rule), where ``p_cutoff`` is ``alpha``
  (correction ``none``), ``alpha / n`` (``bonferroni``) or the Benjamini-Hochberg step-up cut-off
  (``fdr``; when nothing passes it is reported as ``alpha / n``, as ``esda.fdr`` does).
* ``gi_bin`` is ArcGIS's Gi_Bin: +/-3, 2, 1 for hot/cold spots at 99, 95 and 90 % confidence (each
  level with the same correction), 0 otherwise; the sign is the sign of ``gi_z``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from . import _permute
from .areas import DataWarning
from .errors import ConfigError, DataError
from .smoothing import assuncao_rate, variable_values
from .weights import graph_arrays

__all__ = [
    "CORRECTIONS",
    "DEFAULT_SEED",
    "GetisOrdResult",
    "HotspotResult",
    "LocalMoranResult",
    "MoranResult",
    "format_moran",
    "getis_ord",
    "hotspots",
    "local_moran",
    "moran",
    "moran_rate",
    "p_cutoff",
    "variable_values",
]

DEFAULT_SEED = 12345
DEFAULT_PERMUTATIONS = 999
#: multiple-testing corrections by name
CORRECTIONS: dict[str, str] = {
    "none": "each area tested at alpha",
    "fdr": "Benjamini-Hochberg false discovery rate (ArcGIS's default for hot spot maps)",
    "bonferroni": "alpha divided by the number of areas",
}
#: Gi_Bin confidence levels (p cut-offs before correction) for bins 1, 2, 3
GI_LEVELS = (0.10, 0.05, 0.01)
CLUSTER_LABELS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
NOT_SIGNIFICANT = "not significant"
P_METHOD = "directed pseudo p (esda 2.9 / GeoDa), significant when p <= p_cutoff"
_LOCAL_KEY, _GLOBAL_KEY = 1, 2


# ---------------------------------------------------------------------------------------------
# settings and multiple testing


def _check_settings(permutations, seed, alpha, correction, local: bool) -> tuple[int, int, float, str]:
    try:
        perms = int(permutations)
    except (TypeError, ValueError):
        perms = -1
    if perms != permutations or perms < (1 if local else 0):
        least = 1 if local else 0
        raise ConfigError(f"permutations must be a whole number >= {least} (got {permutations!r}); e.g. 999.")
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
    smallest = 1.0 / (permutations + 1)
    if smallest <= p_cut or n_significant:
        return ""
    need = math.ceil(1.0 / p_cut)
    more = f"use at least {need - 1} permutations (e.g. {10 ** math.ceil(math.log10(need)) - 1})"
    if correction == "fdr":
        k = math.ceil(smallest * n / alpha)
        return (f"{what}: no area passed the fdr cut-off; with {permutations} permutations the smallest pseudo p is "
                f"{smallest:.2g}, so fdr needs at least {k} areas at that p; more permutations (e.g. 9999) may help")
    return (
        f"{what}: with {permutations} permutations the smallest pseudo p is {smallest:.2g}, above the "
        f"{correction} cut-off {p_cut:.2g}, so no area can be significant; {more}"
    )


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
            "build the weights with placebased.weights.build_weights, which joins islands to their nearest area."
        )
    return ids, arr, graph


# ---------------------------------------------------------------------------------------------
# global Moran


@dataclass(frozen=True, eq=False)
class MoranResult:
    """Global Moran's I with esda's attribute names (``z_norm``/``p_norm`` under normality,
    ``z_rand``/``p_rand`` under randomisation, two-sided; ``p_sim`` directed pseudo p)."""

    I: float  # noqa: E741 - esda's name
    EI: float
    VI_norm: float
    z_norm: float
    p_norm: float
    VI_rand: float
    z_rand: float
    p_rand: float
    p_sim: float
    EI_sim: float
    seI_sim: float
    z_sim: float
    p_z_sim: float
    n: int
    permutations: int
    seed: int
    variable: str = "values"
    adjusted: bool = False
    sim: np.ndarray | None = field(default=None, repr=False)

    @property
    def seI_norm(self) -> float:  # noqa: N802 - esda's name
        return math.sqrt(self.VI_norm)

    @property
    def seI_rand(self) -> float:  # noqa: N802 - esda's name
        return math.sqrt(self.VI_rand)

    @property
    def z(self) -> float:
        """The z-score reported by default: under randomisation (spdep's ``moran.test`` default)."""
        return self.z_rand

    def to_dict(self) -> dict:
        """The statistics and settings as a plain dict (``I, EI, z, p_sim`` first)."""
        out = {"I": self.I, "EI": self.EI, "z": self.z, "p_sim": self.p_sim}
        for name in ("z_norm", "p_norm", "z_rand", "p_rand", "EI_sim", "seI_sim", "z_sim", "p_z_sim"):
            out[name] = getattr(self, name)
        out.update(n=self.n, permutations=self.permutations, seed=self.seed, variable=self.variable,
                   adjusted=self.adjusted)
        return out

    def to_frame(self) -> pd.DataFrame:
        """One-row frame of :meth:`to_dict`."""
        return pd.DataFrame([self.to_dict()])


def _moran_core(arr, graph, permutations, seed, variable, adjusted) -> MoranResult:
    n = len(arr)
    z = arr - arr.mean()
    z2ss = float(z @ z)
    sp = graph.sparse.tocsr()
    s0 = float(sp.sum())
    sym = sp + sp.T
    s1 = float(sym.multiply(sym).sum()) / 2.0
    rs = np.asarray(sp.sum(axis=1)).ravel() + np.asarray(sp.sum(axis=0)).ravel()
    s2 = float(rs @ rs)
    lag = sp @ z
    I = n / s0 * float(z @ lag) / z2ss  # noqa: N806, E741
    EI = -1.0 / (n - 1)  # noqa: N806
    s02 = s0 * s0
    VI_norm = (n * n * s1 - n * s2 + 3 * s02) / ((n - 1) * (n + 1) * s02) - EI**2  # noqa: N806
    k = ((z**4).sum() / n) / ((z2ss / n) ** 2)
    A = n * ((n * n - 3 * n + 3) * s1 - n * s2 + 3 * s02)  # noqa: N806
    B = k * ((n * n - n) * s1 - 2 * n * s2 + 6 * s02)  # noqa: N806
    VI_rand = (A - B) / ((n - 1) * (n - 2) * (n - 3) * s02) - EI**2  # noqa: N806
    z_norm = (I - EI) / math.sqrt(VI_norm)
    z_rand = (I - EI) / math.sqrt(VI_rand) if VI_rand > 0 else float("nan")
    p_norm = 2 * stats.norm.sf(abs(z_norm))
    p_rand = 2 * stats.norm.sf(abs(z_rand))
    p_sim = EI_sim = seI_sim = z_sim = p_z_sim = float("nan")  # noqa: N806
    sim = None
    if permutations:
        indptr, indices, data, _ = graph_arrays(graph)
        seeds = _permute.stream_seeds(seed, permutations, _GLOBAL_KEY)
        sim = _permute.moran_crand(z, indptr, indices, data, seeds) * (n / s0 / z2ss)
        larger = int((sim >= I).sum())
        p_sim = float(_directed_p(np.array([larger]), permutations)[0])
        EI_sim, seI_sim = float(sim.mean()), float(sim.std())  # noqa: N806
        z_sim = (I - EI_sim) / seI_sim if seI_sim > 0 else float("nan")
        p_z_sim = float(stats.norm.sf(abs(z_sim)))
    return MoranResult(
        I=float(I), EI=EI, VI_norm=float(VI_norm), z_norm=float(z_norm), p_norm=float(p_norm),
        VI_rand=float(VI_rand), z_rand=float(z_rand), p_rand=float(p_rand), p_sim=p_sim, EI_sim=EI_sim,
        seI_sim=seI_sim, z_sim=float(z_sim), p_z_sim=p_z_sim, n=n, permutations=permutations, seed=seed,
        variable=variable, adjusted=adjusted, sim=sim,
    )


def moran(
    y: pd.Series | np.ndarray, graph, permutations: int = DEFAULT_PERMUTATIONS, seed: int | None = DEFAULT_SEED
) -> MoranResult:
    """Global Moran's I of ``y`` on row-standardised ``graph`` with permutation inference.

    Examples
    --------
    >>> import geopandas as gpd, libpysal.examples as ex
    >>> from placebased.weights import build_weights
    >>> df = gpd.read_file(ex.get_path("columbus.shp"))
    >>> r = moran(df["CRIME"], build_weights(df, "queen"), permutations=99)
    >>> round(r.I, 6), round(r.EI, 6)
    (0.500189, -0.020833)
    """
    permutations, seed, _, _ = _check_settings(permutations, seed, 0.05, "none", local=False)
    name = str(getattr(y, "name", None) or "values")
    _, arr, graph = _prepare(y, graph)
    return _moran_core(arr, graph, permutations, seed, name, adjusted=False)


def moran_rate(
    events: pd.Series | np.ndarray,
    population: pd.Series | np.ndarray,
    graph,
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int | None = DEFAULT_SEED,
) -> MoranResult:
    """Moran's I for rates, adjusted for unequal populations (Assuncao & Reis 1999; esda ``Moran_Rate``).

    The statistic is Moran's I of the EB-standardised rates :func:`placebased.smoothing.assuncao_rate`.
    """
    permutations, seed, _, _ = _check_settings(permutations, seed, 0.05, "none", local=False)
    ids = pd.Index(graph.unique_ids)
    if isinstance(events, pd.Series):
        events = events.reindex(ids)
    if isinstance(population, pd.Series):
        population = population.reindex(ids)
    e = np.asarray(events, dtype=np.float64)
    b = np.asarray(population, dtype=np.float64)
    if not (np.isfinite(e).all() and np.isfinite(b).all()) or (b <= 0).any():
        raise DataError("the rate-adjusted Moran's I needs a count and a positive population for every area.")
    _, arr, graph = _prepare(pd.Series(assuncao_rate(e, b), index=ids), graph, "EB-standardised rates")
    return _moran_core(arr, graph, permutations, seed, "eb_standardised_rate", adjusted=True)


def format_moran(result: MoranResult) -> str:
    """One line for stdout, e.g. ``Global Moran's I = 0.5002 (E[I] = -0.0208, z = 5.59, ...)``."""
    kind = "EB-adjusted Moran's I (Assuncao-Reis)" if result.adjusted else "Global Moran's I"
    p = f"pseudo p = {result.p_sim:.4g} ({result.permutations} permutations, seed {result.seed})"
    if not result.permutations:
        p = "no permutations"
    return (
        f"{kind} = {result.I:.4f} (E[I] = {result.EI:.4f}, z = {result.z:.2f} under randomisation, "
        f"{p}; {result.n} areas)"
    )


# ---------------------------------------------------------------------------------------------
# local statistics: LISA and Gi* from one pass of conditional draws


@dataclass(frozen=True, eq=False)
class _LocalDraws:
    ids: pd.Index
    y: np.ndarray
    Is: np.ndarray
    q: np.ndarray
    lisa_larger: np.ndarray
    lisa_moments: np.ndarray
    Gs: np.ndarray
    EGs: np.ndarray
    VGs: np.ndarray
    Zs: np.ndarray
    gi_larger: np.ndarray
    gi_moments: np.ndarray
    EI: np.ndarray
    VI: np.ndarray
    kept: np.ndarray | None


def _local_pass(arr: np.ndarray, ids: pd.Index, graph, permutations: int, seed: int, keep=None) -> _LocalDraws:
    n = len(arr)
    indptr, indices, w, diag = graph_arrays(graph)
    counts = np.diff(indptr)
    rowsum = np.add.reduceat(w, indptr[:-1]) if len(w) else np.zeros(n)
    rowmax = np.maximum.reduceat(w, indptr[:-1]) if len(w) else np.zeros(n)
    rowsum[counts == 0] = 0.0
    # LISA (esda Moran_Local): z standardised with ddof=0, Is = (n-1) z_i lag_i / sum z^2
    sd = arr.std()
    z = (arr - arr.mean()) / sd
    den = float(z @ z)
    lisa_scale = (n - 1) / den
    rows = np.repeat(np.arange(n), counts)
    lag = np.bincount(rows, weights=w * z[indices], minlength=n)
    Is = lisa_scale * z * lag  # noqa: N806
    q = np.where(z > 0, np.where(lag > 0, 1, 4), np.where(lag > 0, 2, 3))
    m2 = den / n
    wi = rowsum
    wi2 = np.bincount(rows, weights=w * w, minlength=n)
    b2 = ((z**4).sum() / n) / m2**2
    EI = -wi / (n - 1)  # noqa: N806
    VI = wi2 * (n - b2) / (n - 1) + (wi**2 - wi2) * (2 * b2 - n) / ((n - 1) * (n - 2)) - EI**2  # noqa: N806
    # Gi*: row-standardised with the area itself (self weight = row max unless the graph has one)
    self_w = np.where(diag > 0, diag, rowmax)
    total = rowsum + self_w
    w_gi = w / np.repeat(total, counts)
    gi_self = self_w / total
    ysum = float(arr.sum())
    gnum = gi_self * arr + np.bincount(rows, weights=w_gi * arr[indices], minlength=n)
    Gs = gnum / ysum  # noqa: N806
    Wi = gi_self + np.bincount(rows, weights=w_gi, minlength=n)  # noqa: N806
    S1i = gi_self**2 + np.bincount(rows, weights=w_gi**2, minlength=n)  # noqa: N806
    ybar = arr.mean()
    s = math.sqrt(max((arr**2).mean() - ybar**2, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        Zs = (gnum - Wi * ybar) / (s * np.sqrt((n * S1i - Wi**2) / (n - 1)))  # noqa: N806
    EGs = Wi / n  # noqa: N806
    VGs = (Zs * 0 + 1) * ((n * S1i - Wi**2) / (n - 1)) * (s / (n * ybar)) ** 2  # noqa: N806
    keep_rows = np.full(n, -1, dtype=np.int64)
    n_keep = 0
    if keep is not None:
        pos = ids.get_indexer(list(keep))
        keep_rows[pos] = np.arange(len(pos))
        n_keep = len(pos)
    seeds = _permute.stream_seeds(seed, n, _LOCAL_KEY)
    zy = np.ascontiguousarray(np.column_stack([z, arr]))
    larger, moments, kept = _permute.local_crand(
        zy, indptr, w, w_gi, gi_self, Is, Gs, seeds, int(permutations), lisa_scale, 1.0 / ysum,
        keep_rows, n_keep,
    )
    return _LocalDraws(ids, arr, Is, q, larger[:, 0], moments[:, :2], Gs, EGs, VGs, Zs, larger[:, 1],
                       moments[:, 2:], EI, VI, kept[:n_keep] if n_keep else None)


def _sim_summary(observed, larger, moments, permutations):
    p_sim = _directed_p(larger, permutations)
    mean_d = moments[:, 0] / permutations
    var = np.maximum(moments[:, 1] / permutations - mean_d**2, 0.0)
    e_sim = observed + mean_d
    se_sim = np.sqrt(var)
    with np.errstate(divide="ignore", invalid="ignore"):
        z_sim = (observed - e_sim) / se_sim
    return p_sim, e_sim, se_sim, z_sim, stats.norm.sf(np.abs(z_sim))


@dataclass(frozen=True, eq=False)
class LocalMoranResult:
    """Local Moran (LISA) with esda's attribute names; ``labels`` are HH/LL/HL/LH/not significant.

    ``q`` is esda's quadrant: 1 HH, 2 LH, 3 LL, 4 HL (high/low value, then high/low neighbours).
    """

    ids: pd.Index
    y: np.ndarray
    Is: np.ndarray
    q: np.ndarray
    p_sim: np.ndarray
    EI_sim: np.ndarray
    seI_sim: np.ndarray
    z_sim: np.ndarray
    p_z_sim: np.ndarray
    EI: np.ndarray
    VI: np.ndarray
    permutations: int
    seed: int
    alpha: float
    correction: str
    p_cutoff: float
    sim: np.ndarray | None = field(default=None, repr=False)

    @property
    def significant(self) -> np.ndarray:
        return self.p_sim <= self.p_cutoff

    @property
    def labels(self) -> np.ndarray:
        lab = np.array([CLUSTER_LABELS[int(k)] for k in self.q], dtype=object)
        lab[~self.significant] = NOT_SIGNIFICANT
        return lab

    def to_frame(self) -> pd.DataFrame:
        """Columns ``Is, q, p_sim, EI_sim, seI_sim, z_sim, p_z_sim, cluster``, indexed by area code."""
        return pd.DataFrame(
            {"Is": self.Is, "q": self.q, "p_sim": self.p_sim, "EI_sim": self.EI_sim, "seI_sim": self.seI_sim,
             "z_sim": self.z_sim, "p_z_sim": self.p_z_sim, "cluster": self.labels},
            index=self.ids,
        )


@dataclass(frozen=True, eq=False)
class GetisOrdResult:
    """Getis-Ord Gi* (GeoDa's G* values; Ord-Getis z) with esda's attribute names and ArcGIS's ``Bin``."""

    ids: pd.Index
    y: np.ndarray
    Gs: np.ndarray
    EGs: np.ndarray
    VGs: np.ndarray
    Zs: np.ndarray
    p_norm: np.ndarray
    p_sim: np.ndarray
    EG_sim: np.ndarray
    seG_sim: np.ndarray
    z_sim: np.ndarray
    p_z_sim: np.ndarray
    permutations: int
    seed: int
    alpha: float
    correction: str
    p_cutoff: float
    bin_cutoffs: tuple[float, float, float]
    sim: np.ndarray | None = field(default=None, repr=False)

    @property
    def Bin(self) -> np.ndarray:  # noqa: N802 - ArcGIS's Gi_Bin
        """-3..3: cold/hot spot at 99 % (3), 95 % (2), 90 % (1) confidence after correction; 0 otherwise."""
        level = np.zeros(len(self.p_sim), dtype=np.int64)
        for b, cut in enumerate(self.bin_cutoffs, start=1):
            level[self.p_sim <= cut] = b
        return (np.sign(self.Zs).astype(np.int64) * level).astype(np.int64)

    @property
    def significant(self) -> np.ndarray:
        return self.p_sim <= self.p_cutoff

    def to_frame(self) -> pd.DataFrame:
        """Columns ``Gs, EGs, Zs, p_norm, p_sim, z_sim, Bin``, indexed by area code."""
        return pd.DataFrame(
            {"Gs": self.Gs, "EGs": self.EGs, "Zs": self.Zs, "p_norm": self.p_norm, "p_sim": self.p_sim,
             "z_sim": self.z_sim, "Bin": self.Bin},
            index=self.ids,
        )


def _lisa_result(d: _LocalDraws, permutations, seed, alpha, correction) -> LocalMoranResult:
    p_sim, e_sim, se_sim, z_sim, p_z = _sim_summary(d.Is, d.lisa_larger, d.lisa_moments, permutations)
    cut = p_cutoff(p_sim, alpha, correction)
    return LocalMoranResult(d.ids, d.y, d.Is, d.q, p_sim, e_sim, se_sim, z_sim, p_z, d.EI, d.VI, permutations,
                            seed, alpha, correction, cut, None if d.kept is None else d.kept[:, 0, :])


def _gi_result(d: _LocalDraws, permutations, seed, alpha, correction) -> GetisOrdResult:
    p_sim, e_sim, se_sim, z_sim, p_z = _sim_summary(d.Gs, d.gi_larger, d.gi_moments, permutations)
    cuts = tuple(p_cutoff(p_sim, level, correction) for level in GI_LEVELS)
    if (d.y < 0).any():
        warnings.warn("Gi* assumes values >= 0 (counts, rates); some values are negative, so read G* with care",
                      DataWarning, stacklevel=3)
    return GetisOrdResult(d.ids, d.y, d.Gs, d.EGs, d.VGs, d.Zs, stats.norm.sf(np.abs(d.Zs)), p_sim, e_sim, se_sim,
                          z_sim, p_z, permutations, seed, alpha, correction, p_cutoff(p_sim, alpha, correction),
                          cuts, None if d.kept is None else d.kept[:, 1, :])


def local_moran(
    y: pd.Series | np.ndarray,
    graph,
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int | None = DEFAULT_SEED,
    alpha: float = 0.05,
    correction: str = "fdr",
    keep: list | None = None,
) -> LocalMoranResult:
    """Local Moran's I (LISA) with conditional-permutation pseudo p-values and cluster labels.

    ``keep`` lists area codes whose reference distributions are returned in ``sim`` (for checks).
    The draws are the same as :func:`hotspots` and :func:`getis_ord` make for the same seed.
    """
    permutations, seed, alpha, correction = _check_settings(permutations, seed, alpha, correction, local=True)
    ids, arr, graph = _prepare(y, graph)
    return _lisa_result(_local_pass(arr, ids, graph, permutations, seed, keep), permutations, seed, alpha, correction)


def getis_ord(
    y: pd.Series | np.ndarray,
    graph,
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int | None = DEFAULT_SEED,
    alpha: float = 0.05,
    correction: str = "fdr",
    keep: list | None = None,
) -> GetisOrdResult:
    """Getis-Ord Gi* with its z-score, conditional-permutation pseudo p and ArcGIS-style bins."""
    permutations, seed, alpha, correction = _check_settings(permutations, seed, alpha, correction, local=True)
    ids, arr, graph = _prepare(y, graph)
    return _gi_result(_local_pass(arr, ids, graph, permutations, seed, keep), permutations, seed, alpha, correction)


@dataclass(frozen=True, eq=False)
class HotspotResult:
    """Gi*, LISA and global Moran of one variable, with the inference ``settings``."""

    values: pd.Series
    gi: GetisOrdResult
    lisa: LocalMoranResult
    moran: MoranResult
    settings: dict

    COLUMNS = ("value", "gi_z", "gi_p", "gi_bin", "lisa_i", "lisa_p", "lisa_cluster")
    SETTING_COLUMNS = ("permutations", "seed", "alpha", "correction", "p_cutoff", "gi_p_cutoff")

    def to_frame(self, settings_columns: bool = False) -> pd.DataFrame:
        """``value, gi_z, gi_p, gi_bin, lisa_i, lisa_p, lisa_cluster`` indexed by area code.

        With ``settings_columns=True`` the constant columns ``permutations, seed, alpha, correction,
        p_cutoff, gi_p_cutoff`` follow, so a CSV states its own inference settings.
        """
        frame = pd.DataFrame(
            {"value": self.values.to_numpy(), "gi_z": self.gi.Zs, "gi_p": self.gi.p_sim, "gi_bin": self.gi.Bin,
             "lisa_i": self.lisa.Is, "lisa_p": self.lisa.p_sim, "lisa_cluster": self.lisa.labels},
            index=self.gi.ids,
        )
        if settings_columns:
            for name in self.SETTING_COLUMNS:
                frame[name] = self.settings[name]
        return frame

    def summary(self) -> str:
        """Lines for stdout: the settings, cut-offs and counts of clusters and hot/cold spots."""
        s = self.settings
        labels = pd.Series(self.lisa.labels).value_counts()
        lisa = ", ".join(f"{k} {int(labels.get(k, 0))}" for k in ("HH", "LL", "HL", "LH", NOT_SIGNIFICANT))
        bins = pd.Series(self.gi.Bin).value_counts()
        hot = int(sum(bins.get(b, 0) for b in (1, 2, 3)))
        cold = int(sum(bins.get(b, 0) for b in (-1, -2, -3)))
        lines = [
            f"inference: {s['permutations']} permutations, seed {s['seed']}, alpha {s['alpha']}, "
            f"correction {s['correction']}; {P_METHOD}",
            f"LISA p cut-off {s['p_cutoff']:.4g}: {lisa}",
            f"Gi* p cut-off {s['gi_p_cutoff']:.4g} (bins at 90/95/99 %: "
            + ", ".join(f"{c:.4g}" for c in self.gi.bin_cutoffs) + f"): {hot} hot, {cold} cold (any bin)",
        ]
        if s.get("note"):
            lines.append(f"note: {s['note']}")
        return "\n".join(lines)


def hotspots(
    values: pd.Series,
    graph,
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int | None = DEFAULT_SEED,
    alpha: float = 0.05,
    correction: str = "fdr",
) -> HotspotResult:
    """Gi* hot/cold spots, LISA clusters and global Moran's I of ``values`` in one call.

    Parameters
    ----------
    values
        One value per area, indexed by area code (a count, rate, EB rate or indicator).
    graph
        Spatial weights from :func:`placebased.weights.build_weights`.
    permutations, seed
        Conditional permutations per area (LISA and Gi* share them) and the seed that makes them
        reproducible (global Moran uses its own stream from the same seed).
    alpha, correction
        Significance level and multiple-testing correction (``fdr``, ``bonferroni`` or ``none``).

    Returns
    -------
    HotspotResult
        ``.to_frame()`` holds ``value, gi_z, gi_p, gi_bin, lisa_i, lisa_p, lisa_cluster``;
        ``.settings`` holds ``permutations, seed, alpha, correction, p_cutoff`` (and ``gi_p_cutoff``,
        ``p_method``, ``note``).
    """
    permutations, seed, alpha, correction = _check_settings(permutations, seed, alpha, correction, local=True)
    name = str(getattr(values, "name", None) or "values")
    ids, arr, graph = _prepare(values, graph)
    draws = _local_pass(arr, ids, graph, permutations, seed)
    lisa = _lisa_result(draws, permutations, seed, alpha, correction)
    gi = _gi_result(draws, permutations, seed, alpha, correction)
    glob = _moran_core(arr, graph, permutations, seed, name, adjusted=False)
    n = len(arr)
    lisa_note = _cutoff_note(lisa.p_cutoff, permutations, correction, int(lisa.significant.sum()), "LISA", n, alpha)
    gi_note = _cutoff_note(gi.p_cutoff, permutations, correction, int(gi.significant.sum()), "Gi*", n, alpha)
    if lisa_note and gi_note and lisa_note[4:] == gi_note[3:]:
        note = "LISA and Gi*" + lisa_note[4:]
    else:
        note = "; ".join(x for x in (lisa_note, gi_note) if x)
    if note:
        warnings.warn(note, DataWarning, stacklevel=2)
    settings = {
        "permutations": permutations,
        "seed": seed,
        "alpha": alpha,
        "correction": correction,
        "p_cutoff": lisa.p_cutoff,
        "gi_p_cutoff": gi.p_cutoff,
        "p_method": P_METHOD,
        "note": note,
    }
    return HotspotResult(pd.Series(arr, index=ids, name=name), gi, lisa, glob, settings)

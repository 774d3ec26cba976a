"""Hotspots and spatial autocorrelation: global Moran's I, local Moran (LISA) and Getis-Ord Gi*.

The statistics are esda's (and GeoDa's) with their attribute names; results are frozen dataclasses
whose ``.to_frame()`` is indexed by area code and whose ``settings`` state the inference.

Conventions (pinned; outputs say so)
------------------------------------
* Weights are row-standardised (the graph is transformed to ``"R"`` if it is not).
* ``p_sim`` is esda 2.9.0's / GeoDa's *directed* pseudo p: ``(M + 1) / (R + 1)`` where M counts
  the draws at least as extreme as the observed value in its own tail. Every confidence level,
  correction and exported ``gi_p`` / ``lisa_p`` uses the **two-sided** ``p_two_sided = min(1, 2 p_sim)``
  (what newer esda releases call ``alternative="two-sided"``), so "95 %" means what ArcGIS's Gi_Bin
  means (two-sided); on pure noise about 5 % of areas reach ``|gi_bin| >= 2``.
* Local draws are conditional permutations: for each area, its neighbours' values are replaced by
  values drawn without replacement from the other areas (the area itself is fixed). LISA and Gi*
  share the draws (see :mod:`placebased.stats._permute`).
* Gi* uses row-standardised weights with the area itself included (GeoDa's G*, self weight equal
  to the row's largest weight, so ``1/(k+1)`` on contiguity). Its z-score is Ord & Getis (1995)'s
  general-weights formula, which equals the binary-weights z of esda, ArcGIS and the literature.
  (esda's ``G_Local(transform="R").Zs`` plugs row sums into the binary formula and is *not* the
  same; it shrinks z by about ``sqrt(k + 1)``.) ``gi_p`` is the two-sided permutation pseudo p.
* An area is significant when ``p <= p_cutoff`` (GeoDa's rule), where ``p_cutoff`` is ``alpha``
  (correction ``none``), ``alpha / n`` (``bonferroni``) or the Benjamini-Hochberg step-up cut-off
  (``fdr``; when nothing passes it is reported as ``alpha / n``, as ``esda.fdr`` does), all on the
  two-sided p.
* ``gi_bin`` is ArcGIS's Gi_Bin: +/-3, 2, 1 for hot/cold spots at 99, 95 and 90 % two-sided confidence
  (each level with the same correction), 0 otherwise; the sign is the sign of ``gi_z``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from placebased.io.areas import DataWarning
from placebased.stats._inference import (
    _LOCAL_KEY,
    CLUSTER_LABELS,
    CORRECTIONS,
    DEFAULT_PERMUTATIONS,
    DEFAULT_SEED,
    GI_LEVELS,
    NOT_SIGNIFICANT,
    P_METHOD,
    _check_settings,
    _cutoff_note,
    _directed_p,
    _prepare,
    norm_sf,
    p_cutoff,
    two_sided,
)
from placebased.stats.moran import MoranResult, _moran_core, format_moran, moran, moran_rate
from placebased.stats.smoothing import variable_values
from placebased.stats.weights import graph_arrays

__all__ = [
    "CORRECTIONS",
    "DEFAULT_SEED",
    "GetisOrdResult",
    "Adaptive",
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
    draws: np.ndarray | None = None
    looks: tuple = ()  # adaptive rounds: (draws per area reached, areas drawing)


def _local_pass(arr: np.ndarray, ids: pd.Index, graph, permutations: int, seed: int, keep=None,
                adaptive: Adaptive | None = None) -> _LocalDraws:
    from placebased.stats import _permute  # numba, only when drawing

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
    zy = np.ascontiguousarray(np.column_stack([z, arr]))
    seeds = _permute.stream_seeds(seed, n, _LOCAL_KEY)
    if adaptive is not None:
        larger, moments, draws, looks = _sequential(adaptive, seeds, zy, indptr, w, w_gi, gi_self, Is, Gs,
                                                    lisa_scale, 1.0 / ysum)
        return _LocalDraws(ids, arr, Is, q, larger[:, 0], moments[:, :2], Gs, EGs, VGs, Zs, larger[:, 1],
                           moments[:, 2:], EI, VI, None, draws, looks)
    keep_rows = np.full(n, -1, dtype=np.int64)
    n_keep = 0
    if keep is not None:
        pos = ids.get_indexer(list(keep))
        keep_rows[pos] = np.arange(len(pos))
        n_keep = len(pos)
    larger, moments, kept = _permute.local_crand(
        zy, indptr, w, w_gi, gi_self, Is, Gs, seeds, int(permutations), lisa_scale, 1.0 / ysum,
        keep_rows, n_keep,
    )
    draws = np.full(n, int(permutations), dtype=np.int64)
    return _LocalDraws(ids, arr, Is, q, larger[:, 0], moments[:, :2], Gs, EGs, VGs, Zs, larger[:, 1],
                       moments[:, 2:], EI, VI, kept[:n_keep] if n_keep else None, draws)


@dataclass(frozen=True)
class Adaptive:
    """Sequential Monte Carlo p-values (after Besag & Clifford 1991, "Sequential Monte Carlo p-values").

    Every area starts with ``first`` draws. After each round, an area draws more only while its
    p-value's ``confidence`` interval (Clopper-Pearson, on the two-sided p of LISA or of Gi*) still
    contains a cut-off in use: the correction's cut-off at ``alpha`` and at Gi*'s 90/95/99 % levels,
    recomputed each round over the pooled LISA and Gi* p-values as they stand. So areas that are
    clearly *not* significant (most areas, on most data) stop after ``first`` draws, areas that are
    clearly significant at every level stop as soon as that is clear, and only the candidates near a
    cut-off go on, the running total growing ``growth`` times a round, up to ``max_permutations``
    draws (resolution ``2 / (max_permutations + 1)`` two-sided), which a Benjamini-Hochberg
    correction over tens of thousands of areas needs. An area stopped earlier draws again if a
    later cut-off falls inside its interval.

    Each area's p is ``(e + 1) / (N + 1)`` over its own ``N`` draws with ``e`` tail exceedances,
    and its draws continue one random stream, so they are the first ``N`` draws a fixed run with
    the same seed makes for it. :func:`hotspots` sets ``alpha`` and ``correction`` to its own.
    """

    first: int = 99
    max_permutations: int = 999_999
    growth: int = 4
    confidence: float = 0.999
    alpha: float = 0.05
    correction: str = "fdr"

    def describe(self) -> str:
        return (f"adaptive (sequential, after Besag-Clifford: {self.first} draws per area, then more, x{self.growth} "
                f"a round, only while the {self.confidence:.1%} interval of p contains a cut-off in use; "
                f"up to {self.max_permutations:,} draws)")

    def cutoffs(self, larger: np.ndarray, draws: np.ndarray) -> np.ndarray:
        """The cut-offs in use, over the pooled two-sided p-values as they stand."""
        tail = np.minimum(larger, draws[:, None] - larger)
        p = two_sided((tail + 1.0) / (draws[:, None] + 1.0)).ravel()
        levels = sorted({float(self.alpha), *GI_LEVELS})
        return np.array([p_cutoff(p, level, self.correction) for level in levels])

    def undecided(self, larger: np.ndarray, draws: np.ndarray) -> np.ndarray:
        """Areas for which the interval of LISA's or Gi*'s two-sided p still contains a cut-off."""
        from scipy.special import betaincinv

        cuts = self.cutoffs(larger, draws)
        tail = np.minimum(larger, draws[:, None] - larger).astype(np.float64)
        big_n = np.broadcast_to(draws[:, None].astype(np.float64), tail.shape)
        delta = (1.0 - self.confidence) / 2
        with np.errstate(all="ignore"):
            lo = np.where(tail > 0, betaincinv(tail, big_n - tail + 1, delta), 0.0)
            hi = np.where(tail < big_n, betaincinv(tail + 1, big_n - tail, 1 - delta), 1.0)
        lo, hi = np.minimum(1.0, 2 * lo), np.minimum(1.0, 2 * hi)
        inside = ((lo[..., None] <= cuts) & (cuts < hi[..., None])).any(axis=-1)
        return inside.any(axis=1)


def _sequential(ad: Adaptive, seeds, zy, indptr, w, w_gi, gi_self, Is, Gs, lisa_scale, gi_scale):
    """Draws in rounds: everyone ``ad.first``, then only the undecided areas (see :class:`Adaptive`)."""
    from placebased.stats import _permute  # numba, only when drawing

    n = len(seeds)
    counts = np.diff(indptr)
    state = _permute.local_state(seeds)
    larger = np.zeros((n, 2), dtype=np.int64)
    moments = np.zeros((n, 4), dtype=np.float64)
    draws = np.zeros(n, dtype=np.int64)
    no_keep, kept = np.full(n, -1, dtype=np.int64), np.zeros((1, 2, 0))
    target = min(int(ad.first), int(ad.max_permutations))
    rows = np.flatnonzero(counts > 0).astype(np.int64)
    looks = []
    while len(rows):
        more = (target - draws[rows]).astype(np.int64)
        _permute.local_crand_rows(zy, indptr, w, w_gi, gi_self, Is, Gs, state, rows, more, lisa_scale, gi_scale,
                                  larger, moments, no_keep, kept)
        draws[rows] = target
        looks.append((target, len(rows)))
        if target >= ad.max_permutations:
            break
        target = int(min((target + 1) * ad.growth - 1, ad.max_permutations))
        rows = np.flatnonzero(ad.undecided(larger, draws) & (counts > 0)).astype(np.int64)
    return larger, moments, draws, tuple(looks)


def _sim_summary(observed, larger, moments, permutations):
    p_sim = _directed_p(larger, permutations)
    mean_d = moments[:, 0] / permutations
    var = np.maximum(moments[:, 1] / permutations - mean_d**2, 0.0)
    e_sim = observed + mean_d
    se_sim = np.sqrt(var)
    with np.errstate(divide="ignore", invalid="ignore"):
        z_sim = (observed - e_sim) / se_sim
    return p_sim, e_sim, se_sim, z_sim, norm_sf(np.abs(z_sim))


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
    draws: np.ndarray | None = field(default=None, repr=False)  # per area (adaptive draws differ)

    @property
    def p_two_sided(self) -> np.ndarray:
        """``min(1, 2 p_sim)``: the p that significance and corrections use."""
        return two_sided(self.p_sim)

    @property
    def significant(self) -> np.ndarray:
        return self.p_two_sided <= self.p_cutoff

    @property
    def labels(self) -> np.ndarray:
        lab = np.array([CLUSTER_LABELS[int(k)] for k in self.q], dtype=object)
        lab[~self.significant] = NOT_SIGNIFICANT
        return lab

    def to_frame(self) -> pd.DataFrame:
        """Columns ``Is, q, p_sim, p_two_sided, EI_sim, seI_sim, z_sim, p_z_sim, cluster``, by area code."""
        return pd.DataFrame(
            {"Is": self.Is, "q": self.q, "p_sim": self.p_sim, "p_two_sided": self.p_two_sided, "EI_sim": self.EI_sim,
             "seI_sim": self.seI_sim, "z_sim": self.z_sim, "p_z_sim": self.p_z_sim, "cluster": self.labels},
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
    draws: np.ndarray | None = field(default=None, repr=False)  # per area (adaptive draws differ)

    @property
    def Bin(self) -> np.ndarray:  # noqa: N802 - ArcGIS's Gi_Bin
        """-3..3: cold/hot spot at 99 % (3), 95 % (2), 90 % (1) two-sided confidence after correction; else 0."""
        level = np.zeros(len(self.p_sim), dtype=np.int64)
        p = self.p_two_sided
        for b, cut in enumerate(self.bin_cutoffs, start=1):
            level[p <= cut] = b
        return (np.sign(self.Zs).astype(np.int64) * level).astype(np.int64)

    @property
    def p_two_sided(self) -> np.ndarray:
        """``min(1, 2 p_sim)``: the p that the bins, significance and corrections use."""
        return two_sided(self.p_sim)

    @property
    def significant(self) -> np.ndarray:
        return self.p_two_sided <= self.p_cutoff

    def to_frame(self) -> pd.DataFrame:
        """Columns ``Gs, EGs, Zs, p_norm, p_sim, p_two_sided, z_sim, Bin``, indexed by area code."""
        return pd.DataFrame(
            {"Gs": self.Gs, "EGs": self.EGs, "Zs": self.Zs, "p_norm": self.p_norm, "p_sim": self.p_sim,
             "p_two_sided": self.p_two_sided,
             "z_sim": self.z_sim, "Bin": self.Bin},
            index=self.ids,
        )


def _lisa_result(d: _LocalDraws, permutations, seed, alpha, correction) -> LocalMoranResult:
    p_sim, e_sim, se_sim, z_sim, p_z = _sim_summary(d.Is, d.lisa_larger, d.lisa_moments, d.draws)
    cut = p_cutoff(two_sided(p_sim), alpha, correction)
    return LocalMoranResult(d.ids, d.y, d.Is, d.q, p_sim, e_sim, se_sim, z_sim, p_z, d.EI, d.VI, permutations,
                            seed, alpha, correction, cut, None if d.kept is None else d.kept[:, 0, :], d.draws)


def _gi_result(d: _LocalDraws, permutations, seed, alpha, correction) -> GetisOrdResult:
    p_sim, e_sim, se_sim, z_sim, p_z = _sim_summary(d.Gs, d.gi_larger, d.gi_moments, d.draws)
    p_two = two_sided(p_sim)
    cuts = tuple(p_cutoff(p_two, level, correction) for level in GI_LEVELS)
    if (d.y < 0).any():
        warnings.warn("Gi* assumes values >= 0 (counts, rates); some values are negative, so read G* with care",
                      DataWarning, stacklevel=3)
    return GetisOrdResult(d.ids, d.y, d.Gs, d.EGs, d.VGs, d.Zs, norm_sf(np.abs(d.Zs)), p_sim, e_sim, se_sim,
                          z_sim, p_z, permutations, seed, alpha, correction, p_cutoff(p_two, alpha, correction),
                          cuts, None if d.kept is None else d.kept[:, 1, :], d.draws)


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
    SETTING_COLUMNS = ("permutations", "seed", "alpha", "correction", "p_cutoff", "gi_p_cutoff", "p_method",
                       "max_draws")

    def to_frame(self, settings_columns: bool = False) -> pd.DataFrame:
        """``value, gi_z, gi_p, gi_bin, lisa_i, lisa_p, lisa_cluster`` indexed by area code.

        ``gi_p`` and ``lisa_p`` are two-sided pseudo p-values (``min(1, 2 p_sim)``).

        With ``settings_columns=True`` the constant columns ``permutations, seed, alpha, correction,
        p_cutoff, gi_p_cutoff, p_method, max_draws`` follow, so a CSV states its own inference
        settings; an adaptive run adds ``smallest_p`` (the two-sided resolution reached,
        ``2 / (max_draws + 1)``) and each area's ``draws``.
        """
        frame = pd.DataFrame(
            {"value": self.values.to_numpy(), "gi_z": self.gi.Zs, "gi_p": self.gi.p_two_sided, "gi_bin": self.gi.Bin,
             "lisa_i": self.lisa.Is, "lisa_p": self.lisa.p_two_sided, "lisa_cluster": self.lisa.labels},
            index=self.gi.ids,
        )
        if settings_columns:
            for name in self.SETTING_COLUMNS:
                frame[name] = self.settings[name]
            if self.settings.get("adaptive"):
                frame["smallest_p"] = self.settings["smallest_p"]
                frame["draws"] = self.gi.draws
        return frame

    def summary(self) -> str:
        """Lines for stdout: the settings, cut-offs and counts of clusters and hot/cold spots."""
        s = self.settings
        labels = pd.Series(self.lisa.labels).value_counts()
        lisa = ", ".join(f"{k} {int(labels.get(k, 0))}" for k in ("HH", "LL", "HL", "LH", NOT_SIGNIFICANT))
        bins = pd.Series(self.gi.Bin).value_counts()
        hot = int(sum(bins.get(b, 0) for b in (1, 2, 3)))
        cold = int(sum(bins.get(b, 0) for b in (-1, -2, -3)))
        draws = (f"adaptive draws for LISA and Gi*, {s['permutations']} permutations for global Moran"
                 if s.get("adaptive") else f"{s['permutations']} permutations")
        lines = [
            f"inference: {draws}, seed {s['seed']}, alpha {s['alpha']}, "
            f"correction {s['correction']}; {s.get('p_method', P_METHOD)}",
            f"LISA p cut-off {s['p_cutoff']:.4g}: {lisa}",
            f"Gi* p cut-off {s['gi_p_cutoff']:.4g} (bins at 90/95/99 % two-sided: "
            + ", ".join(f"{c:.4g}" for c in self.gi.bin_cutoffs) + f"): {hot} hot, {cold} cold (any bin)",
        ]
        if s.get("adaptive"):
            lines.append(f"resolution: {s['min_draws']:,} to {s['max_draws']:,} draws per area (median "
                         f"{s['median_draws']:,.0f}; {s['total_draws']:,} in all), smallest two-sided p "
                         f"{s['smallest_p']:.2g}; areas with p near a cut-off drew most")
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
    adaptive: bool | Adaptive = False,
) -> HotspotResult:
    """Gi* hot/cold spots, LISA clusters and global Moran's I of ``values`` in one call.

    Parameters
    ----------
    values
        One value per area, indexed by area code (a count, rate, EB rate or indicator).
    graph
        Spatial weights from :func:`placebased.stats.weights.build_weights`.
    permutations, seed
        Conditional permutations per area (LISA and Gi* share them) and the seed that makes them
        reproducible (global Moran uses its own stream from the same seed).
    alpha, correction
        Significance level and multiple-testing correction (``fdr``, ``bonferroni`` or ``none``).
        The correction runs once over the two-sided p-values of both statistics (2n tests), so
        LISA and Gi* share one cut-off (``settings["p_cutoff"] == settings["gi_p_cutoff"]``) and
        the Gi* bins their cut-offs at 90/95/99 %.
    adaptive
        ``True`` (or an :class:`Adaptive`) for sequential Monte Carlo p-values for LISA and Gi*:
        every area starts with 99 draws and only areas whose p may still lie on either side of a
        cut-off keep drawing, up to 999,999 draws, so a correction over tens of thousands of areas
        can be passed at a fraction of the cost of fixed draws (``permutations`` then applies to
        global Moran only). The resolution reached is stated in ``settings`` (``max_draws``,
        ``smallest_p``, ``min_draws``, ``median_draws``, ``total_draws``) and in the
        ``draws`` column of ``to_frame(settings_columns=True)``.

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
    ad = Adaptive() if adaptive is True else (adaptive or None)
    if ad is not None:
        ad = replace(ad, alpha=alpha, correction=correction)
    draws = _local_pass(arr, ids, graph, permutations, seed, adaptive=ad)
    lisa = _lisa_result(draws, permutations, seed, alpha, correction)
    gi = _gi_result(draws, permutations, seed, alpha, correction)
    # one output, one rule: LISA and Gi* share the cut-off, from the correction over both statistics'
    # 2n two-sided p-values, so the same p gets the same verdict in every statement of an output
    pooled = np.concatenate([lisa.p_two_sided, gi.p_two_sided])
    cut = p_cutoff(pooled, alpha, correction)
    lisa = replace(lisa, p_cutoff=cut)
    gi = replace(gi, p_cutoff=cut, bin_cutoffs=tuple(p_cutoff(pooled, level, correction) for level in GI_LEVELS))
    glob = _moran_core(arr, graph, permutations, seed, name, adjusted=False)
    n = len(arr)
    reach = int(draws.draws.max())
    lisa_note = _cutoff_note(lisa.p_cutoff, reach, correction, int(lisa.significant.sum()), "LISA", n, alpha)
    gi_note = _cutoff_note(gi.p_cutoff, reach, correction, int(gi.significant.sum()), "Gi*", n, alpha)
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
        "p_method": P_METHOD if ad is None else f"{P_METHOD}; {ad.describe()}",
        "note": note,
        "max_draws": int(draws.draws.max()),
        "smallest_p": float(min(1.0, 2.0 / (draws.draws.max() + 1))),
        "adaptive": ad is not None,
    }
    if ad is not None:
        settings.update({
            "min_draws": int(draws.draws.min()),
            "median_draws": float(np.median(draws.draws)),
            "total_draws": int(draws.draws.sum()),
            "looks": draws.looks,
        })
    return HotspotResult(pd.Series(arr, index=ids, name=name), gi, lisa, glob, settings)


"""Global Moran's I with permutation inference, and the EB-adjusted Moran for rates (Assuncao-Reis).

Conventions as in :mod:`placebased.stats.hotspots` (row-standardised weights, directed pseudo p)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from placebased.errors import DataError
from placebased.stats._inference import (
    _GLOBAL_KEY,
    DEFAULT_PERMUTATIONS,
    DEFAULT_SEED,
    _check_settings,
    _directed_p,
    _prepare,
    norm_sf,
)
from placebased.stats.smoothing import assuncao_rate
from placebased.stats.weights import graph_arrays


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
    p_norm = 2 * norm_sf(abs(z_norm))
    p_rand = 2 * norm_sf(abs(z_rand))
    p_sim = EI_sim = seI_sim = z_sim = p_z_sim = float("nan")  # noqa: N806
    sim = None
    if permutations:
        from placebased.stats import _permute  # numba, only when drawing

        indptr, indices, data, _ = graph_arrays(graph)
        seeds = _permute.stream_seeds(seed, permutations, _GLOBAL_KEY)
        sim = _permute.moran_crand(z, indptr, indices, data, seeds) * (n / s0 / z2ss)
        larger = int((sim >= I).sum())
        p_sim = float(_directed_p(np.array([larger]), permutations)[0])
        EI_sim, seI_sim = float(sim.mean()), float(sim.std())  # noqa: N806
        z_sim = (I - EI_sim) / seI_sim if seI_sim > 0 else float("nan")
        p_z_sim = float(norm_sf(abs(z_sim)))
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
    >>> from placebased.stats.weights import build_weights
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

    The statistic is Moran's I of the EB-standardised rates :func:`placebased.stats.smoothing.assuncao_rate`.
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

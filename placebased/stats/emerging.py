"""Emerging hot spots: space-time Getis-Ord Gi* per step, Mann-Kendall on it, ArcGIS's pattern classes.

Method (after ArcGIS Pro's *Emerging Hot Spot Analysis*; the rules are in ``docs/emerging_hotspots.md``)

1. **Space-time cube.** One bin per area and time step holding its count (a complete grid).
2. **Space-time neighbours.** The neighbours of bin (area *i*, step *t*) are *i* itself and its
   spatial neighbours (binary weights from the graph, e.g. queen contiguity) at step *t* **and**
   at each of the ``time_window`` (*k*) steps before it, *t-1 .. t-k* (fewer at the start of the
   series). Weights are binary (1 for every space-time neighbour, the bin itself included).
3. **Gi\\* per bin**, analytic z of Getis & Ord (Ord & Getis 1995) over all ``n x T`` bins of the
   cube (the global mean and standard deviation are those of the whole cube, as ArcGIS does)::

       z_it = (sum_j w_j x_j - xbar W_it) / (s sqrt((N W_it - W_it^2) / (N - 1)))

   with ``W_it`` the number of space-time neighbours, ``N = n T`` and ``s`` the population
   standard deviation of all bins. ``p`` is two-sided from the normal distribution; a bin is
   significant when ``p <= p_cutoff`` where the cut-off comes from ``alpha`` and the correction
   over all bins of the cube (``"fdr"``: Benjamini-Hochberg, ArcGIS's choice; ``"none"``;
   ``"bonferroni"``). A significant bin is *hot* when ``z > 0`` and *cold* when ``z < 0``.
4. **Trend of the Gi\\* z-series** per area: Mann-Kendall (:func:`placebased.stats.timeseries.mann_kendall`),
   significant when ``p <= alpha``.
5. **Classes** (:func:`classify_emerging`), with ``n`` steps, ``H`` hot bins and ``C`` cold bins,
   tested in this order (the first that matches wins):

   ============================ =================================================================
   intensifying hot spot        final step hot, ``H >= 0.9 n``, z trend up (significant)
   diminishing hot spot         final step hot, ``H >= 0.9 n``, z trend down (significant)
   persistent hot spot          final step hot, ``H >= 0.9 n``, no significant trend
   oscillating hot spot         final step hot, ``H < 0.9 n``, at least one earlier cold bin
   new hot spot                 final step hot, no other significant bin
   consecutive hot spot         final run of >= 2 hot bins, no significant bin before the run,
                                ``H < 0.9 n``
   sporadic hot spot            final step hot, ``H < 0.9 n``, no cold bin, hot before the final
                                run too (on again, off again)
   (the same seven for cold spots, final step cold, with trend directions swapped: an
   *intensifying* cold spot gets colder, i.e. its z falls)
   historical hot / cold spot   final step not hot (cold), but ``H >= 0.9 n`` (``C >= 0.9 n``)
   no pattern detected          none of the above
   ============================ =================================================================

   With fewer than 10 steps "90 % of steps" means every step, so a historical hot spot cannot
   occur; ArcGIS requires 10 steps. :func:`emerging_hotspots` warns below 10.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from placebased.errors import ConfigError, DataError
from placebased.io.areas import DataWarning
from placebased.names import EMERGING_CLASSES, EMERGING_COLOURS, NO_PATTERN, emerging_colour
from placebased.stats.timeseries import MIN_STEPS, SeriesResult, mann_kendall, time_series

__all__ = [
    "EMERGING_CLASSES",
    "EMERGING_COLOURS",
    "EMERGING_DESCRIPTIONS",
    "EmergingResult",
    "TrendResult",
    "classify_emerging",
    "describe_trend",
    "emerging_colour",
    "emerging_legend_items",
    "emerging_hotspots",
    "space_time_gi",
    "trends",
    "trends_from_series",
]

#: ArcGIS's recommended minimum number of time steps for Emerging Hot Spot Analysis
ARCGIS_MIN_STEPS = 10
#: share of steps that makes a location "hot (cold) for 90 % of the time-step intervals"
SHARE = 0.9
# class names and colours (EMERGING_CLASSES, EMERGING_COLOURS, emerging_colour): placebased.names, shared with the maps
#: class -> one-line description for legends and tooltips
EMERGING_DESCRIPTIONS: dict[str, str] = {
    "new hot spot": "hot in the final step only",
    "consecutive hot spot": "hot in an unbroken run of final steps, never before",
    "intensifying hot spot": "hot in 90% of steps incl. the last, getting hotter",
    "persistent hot spot": "hot in 90% of steps incl. the last, hot-spot strength steady",
    "diminishing hot spot": "hot in 90% of steps incl. the last, cooling",
    "sporadic hot spot": "hot in the final step, on and off before, never cold",
    "oscillating hot spot": "hot in the final step, cold at some earlier step",
    "historical hot spot": "hot in 90% of steps but not the last",
    "new cold spot": "cold in the final step only",
    "consecutive cold spot": "cold in an unbroken run of final steps, never before",
    "intensifying cold spot": "cold in 90% of steps incl. the last, getting colder",
    "persistent cold spot": "cold in 90% of steps incl. the last, cold-spot strength steady",
    "diminishing cold spot": "cold in 90% of steps incl. the last, warming",
    "sporadic cold spot": "cold in the final step, on and off before, never hot",
    "oscillating cold spot": "cold in the final step, hot at some earlier step",
    "historical cold spot": "cold in 90% of steps but not the last",
    NO_PATTERN: "none of the hot or cold spot patterns",
}


def emerging_legend_items(present=None, kind: str = "box") -> list[tuple[str, str, str]]:
    """Legend entries ``(kind, colour, label)`` in :data:`EMERGING_CLASSES` order.

    ``present``: only these classes (e.g. ``frame["emerging_class"].unique()``); all when None.
    The tuples suit :func:`placebased.outputs.report_charts.legend`.
    """
    keep = None if present is None else {str(c).strip().lower() for c in present}
    return [(kind, EMERGING_COLOURS[c], c[:1].upper() + c[1:]) for c in EMERGING_CLASSES if keep is None or c in keep]


def describe_trend(row, step: str = "month", alpha: float = 0.05) -> str:
    """One plain sentence about an area's row of :attr:`TrendResult.table` (for profiles and tooltips).

    The first half follows the Mann-Kendall test of the counts (two-sided p against ``alpha``); the
    second names the emerging hot spot class, whose "getting hotter / steady / cooling" is about the
    strength of the hot spot over time (the Gi* z-scores), not the counts, and says so.

    Examples
    --------
    >>> describe_trend({"mk_p": 0.01, "sen_slope": 0.5, "emerging_class": "persistent hot spot", "n_steps": 12})
    'Rising by about 0.5 incidents per month over 12 months (Mann-Kendall p = 0.010, two-sided, cut-off 0.05); \
emerging hot spot class (Gi* z over time): persistent hot spot, hot in 90% of steps incl. the last, hot-spot \
strength steady.'
    """
    p, slope = float(row["mk_p"]), float(row["sen_slope"])
    n = int(row.get("n_steps", 0)) if hasattr(row, "get") else 0
    span = f" over {n} {step}s" if n else ""
    test = f"Mann-Kendall p = {p:.3f}, two-sided, cut-off {alpha:g}"
    if np.isnan(p):
        trend = "Too few steps for a trend test"
    elif p <= alpha and slope != 0:
        trend = f"{'Rising' if slope > 0 else 'Falling'} by about {abs(slope):.2g} incidents per {step}{span} ({test})"
    else:
        trend = f"No clear trend{span} ({test})"
    cls = str(row["emerging_class"])
    desc = EMERGING_DESCRIPTIONS.get(cls, "")
    return f"{trend}; emerging hot spot class (Gi* z over time): {cls}{', ' + desc if desc else ''}."


# ---------------------------------------------------------------------------------------------
# space-time Gi*


def _binary_adjacency(graph, ids: pd.Index) -> sp.csr_matrix:
    """Binary spatial adjacency (no self) from a libpysal Graph (or a sparse matrix), ordered as ``ids``."""
    if sp.issparse(graph):
        mat = sp.csr_matrix(graph)
        if mat.shape != (len(ids), len(ids)):
            raise DataError(f"weights matrix is {mat.shape}, but there are {len(ids)} areas; align them.")
    else:
        gids = pd.Index(graph.unique_ids).astype(str)
        pos = gids.get_indexer(ids.astype(str))
        if (pos < 0).any() or len(gids) != len(ids):
            missing = ids[pos < 0][:5]
            raise DataError(
                f"the series and the weights cover different areas ({len(ids)} vs {len(gids)}; e.g. "
                f"{', '.join(map(str, missing))}); build the weights from the same areas."
            )
        mat = graph.sparse.tocsr()[pos][:, pos]
    mat = sp.csr_matrix((mat != 0).astype(np.float64))
    mat.setdiag(0)
    mat.eliminate_zeros()
    return mat


def space_time_gi(values, graph, time_window: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Analytic Gi* z and two-sided p for every bin of a space-time cube.

    Parameters
    ----------
    values
        Area x step table (DataFrame indexed by area code, steps in time order as columns) or a
        2-d array in the graph's area order.
    graph
        Spatial neighbours: a :class:`libpysal.graph.Graph` (any transformation; only who
        neighbours whom is used) or a square sparse matrix.
    time_window
        Number of earlier steps whose bins (same area and its neighbours) join the neighbourhood.

    Returns
    -------
    z, p
        Arrays shaped like ``values``.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> line = sp.csr_matrix(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]]))  # areas 0-1-2 in a row
    >>> z, p = space_time_gi(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 9.0]]), line, time_window=1)
    >>> z.shape, bool(z[2, 1] > z[0, 1])
    ((3, 2), True)
    """
    if isinstance(values, pd.DataFrame):
        ids = pd.Index(values.index.astype(str), name="area_code")
        x = values.to_numpy(dtype=np.float64)
    else:
        x = np.asarray(values, dtype=np.float64)
        ids = pd.Index([str(i) for i in range(x.shape[0])]) if sp.issparse(graph) else pd.Index(
            pd.Index(graph.unique_ids).astype(str), name="area_code")
    if x.ndim != 2:
        raise DataError("space-time Gi* needs an area x step table.")
    if not np.all(np.isfinite(x)):
        raise DataError("the space-time cube holds missing values; fill quiet steps with zeros first.")
    k = int(time_window)
    if k != time_window or k < 0:
        raise ConfigError(f"time_window must be a whole number >= 0 (got {time_window!r}); e.g. 1.")
    n, T = x.shape
    adj = _binary_adjacency(graph, ids)
    spatial = adj @ x + x  # each step: the area itself plus its neighbours
    csum = np.concatenate([np.zeros((n, 1)), np.cumsum(spatial, axis=1)], axis=1)
    t = np.arange(T)
    lo = np.maximum(0, t - k)
    lag = csum[:, t + 1] - csum[:, lo]
    deg = np.asarray(adj.sum(axis=1)).ravel() + 1.0
    w = deg[:, None] * (t - lo + 1.0)[None, :]
    N = float(n * T)
    xbar = x.mean()
    s = np.sqrt(max((x**2).mean() - xbar**2, 0.0))
    if s == 0 or N < 2:
        return np.zeros_like(x), np.ones_like(x)
    denom = s * np.sqrt(np.maximum(N * w - w**2, 0.0) / (N - 1.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(denom > 0, (lag - xbar * w) / denom, 0.0)
    return z, 2.0 * stats.norm.sf(np.abs(z))


# ---------------------------------------------------------------------------------------------
# classification


def classify_emerging(z, significant, alpha: float = 0.05, trend_p=None, trend_s=None) -> np.ndarray:
    """Emerging hot spot class per row of a Gi* z-score table (rules in the module docstring).

    Parameters
    ----------
    z
        Gi* z-scores, one row per area, steps in time order (1-d: one area).
    significant
        Booleans of the same shape: the bin is significant after correction.
    alpha
        Level of the Mann-Kendall test on each row of ``z``.
    trend_p, trend_s
        Mann-Kendall p and S per row when already computed (else computed from ``z``).

    Returns
    -------
    numpy array of class names (see :data:`EMERGING_CLASSES`).

    Examples
    --------
    >>> z = [0, 0, 0, 0, 0, 0, 0, 0, 0, 3.0]
    >>> classify_emerging(z, [False] * 9 + [True]).tolist()
    ['new hot spot']
    """
    z = np.atleast_2d(np.asarray(z, dtype=np.float64))
    sig = np.atleast_2d(np.asarray(significant, dtype=bool))
    if z.shape != sig.shape:
        raise DataError(f"z-scores {z.shape} and significance {sig.shape} differ in shape.")
    m, n = z.shape
    if n == 0:
        return np.full(m, NO_PATTERN, dtype=object)
    if trend_p is None or trend_s is None:
        mk = mann_kendall(z) if n >= MIN_STEPS else None
        trend_p = mk.p if mk is not None else np.ones(m)
        trend_s = mk.s if mk is not None else np.zeros(m)
    trend_p = np.nan_to_num(np.atleast_1d(np.asarray(trend_p, dtype=np.float64)), nan=1.0)
    trend_s = np.nan_to_num(np.atleast_1d(np.asarray(trend_s, dtype=np.float64)), nan=0.0)
    up = (trend_p <= alpha) & (trend_s > 0)
    down = (trend_p <= alpha) & (trend_s < 0)
    hot = sig & (z > 0)
    cold = sig & (z < 0)
    H, C = hot.sum(axis=1), cold.sum(axis=1)
    n_sig = H + C
    run_h = np.cumprod(hot[:, ::-1], axis=1).sum(axis=1)
    run_c = np.cumprod(cold[:, ::-1], axis=1).sum(axis=1)
    last_h, last_c = hot[:, -1], cold[:, -1]
    need = SHARE * n
    most_h, most_c = need <= H, need <= C
    rules = [
        (last_h & most_h & up, "intensifying hot spot"),
        (last_h & most_h & down, "diminishing hot spot"),
        (last_h & most_h, "persistent hot spot"),
        (last_h & (C > 0), "oscillating hot spot"),
        (last_h & (n_sig == 1), "new hot spot"),
        (last_h & (run_h >= 2) & (n_sig == run_h), "consecutive hot spot"),
        (last_h, "sporadic hot spot"),
        (last_c & most_c & down, "intensifying cold spot"),
        (last_c & most_c & up, "diminishing cold spot"),
        (last_c & most_c, "persistent cold spot"),
        (last_c & (H > 0), "oscillating cold spot"),
        (last_c & (n_sig == 1), "new cold spot"),
        (last_c & (run_c >= 2) & (n_sig == run_c), "consecutive cold spot"),
        (last_c, "sporadic cold spot"),
        (most_h, "historical hot spot"),
        (most_c, "historical cold spot"),
    ]
    return np.select([r[0] for r in rules], [r[1] for r in rules], default=NO_PATTERN).astype(object)


@dataclass(frozen=True, eq=False)
class EmergingResult:
    """Emerging hot spot classes per area and the space-time cube they came from.

    ``frame`` (index ``area_code``): ``emerging_class, gi_mk_tau, gi_mk_p, n_hot, n_cold,
    final_gi_z, final_gi_p``. ``cube`` (long): ``area_code, step, value, gi_z, gi_p, gi_state``
    (``gi_state`` +1 hot, -1 cold, 0 not significant). ``settings``: time_window, alpha,
    correction, p_cutoff, n_steps, weights, notes.
    """

    frame: pd.DataFrame
    cube: pd.DataFrame
    settings: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()

    def summary(self) -> pd.Series:
        """Number of areas per class, in :data:`EMERGING_CLASSES` order (zeros included)."""
        return self.frame["emerging_class"].value_counts().reindex(list(EMERGING_CLASSES), fill_value=0)


def emerging_hotspots(
    values: pd.DataFrame,
    graph,
    time_window: int = 1,
    alpha: float = 0.05,
    correction: str = "fdr",
    weights_label: str = "",
) -> EmergingResult:
    """Emerging Hot Spot Analysis of an area x step table (see the module docstring for the rules).

    Parameters
    ----------
    values
        Counts (or rates) indexed by area code, one column per step in time order, no gaps
        (e.g. :meth:`placebased.stats.timeseries.SeriesResult.wide`).
    graph
        Spatial neighbours (:func:`placebased.stats.weights.build_weights`), over the same areas.
    time_window
        Earlier steps in each bin's neighbourhood (default 1).
    alpha
        Significance level of the bins (after ``correction``) and of the Mann-Kendall trend.
    correction
        ``"fdr"`` (default, Benjamini-Hochberg over all bins), ``"none"`` or ``"bonferroni"``.

    Returns
    -------
    EmergingResult
    """
    from placebased.stats.hotspots import CORRECTIONS, p_cutoff

    corr = str(correction).strip().lower()
    if corr not in CORRECTIONS:
        raise ConfigError(f"unknown correction {correction!r}; choose one of {', '.join(CORRECTIONS)}.")
    if not 0 < float(alpha) < 1:
        raise ConfigError(f"alpha must be between 0 and 1 (got {alpha!r}); e.g. 0.05.")
    n_steps = values.shape[1]
    if n_steps < MIN_STEPS:
        raise DataError(
            f"emerging hot spots need at least {MIN_STEPS} time steps (got {n_steps}); "
            "use a shorter step (e.g. month) or a longer date range."
        )
    notes = []
    if n_steps < ARCGIS_MIN_STEPS:
        msg = (
            f"only {n_steps} time steps: ArcGIS requires at least {ARCGIS_MIN_STEPS} for Emerging Hot Spot Analysis; "
            f"with fewer, '90% of steps' means every step and historical hot/cold spots cannot occur - read the "
            "classes with caution"
        )
        notes.append(msg)
        warnings.warn(msg, DataWarning, stacklevel=2)
    z, p = space_time_gi(values, graph, time_window=time_window)
    cut = p_cutoff(p.ravel(), float(alpha), corr)
    sig = p <= cut
    if not np.any(values.to_numpy() != values.to_numpy().ravel()[0]):
        notes.append("every bin holds the same value; Gi* is undefined and no bin is significant")
    mk = mann_kendall(z)
    classes = classify_emerging(z, sig, alpha=float(alpha), trend_p=mk.p, trend_s=mk.s)
    ids = pd.Index(values.index.astype(str), name="area_code")
    state = np.where(sig & (z > 0), 1, np.where(sig & (z < 0), -1, 0))
    frame = pd.DataFrame(
        {
            "emerging_class": pd.array(classes, dtype="str"),
            "gi_mk_tau": mk.tau,
            "gi_mk_p": mk.p,
            "n_hot": (state == 1).sum(axis=1),
            "n_cold": (state == -1).sum(axis=1),
            "final_gi_z": z[:, -1],
            "final_gi_p": p[:, -1],
        },
        index=ids,
    )
    steps = [str(c) for c in values.columns]
    cube = pd.DataFrame(
        {
            "area_code": np.repeat(ids.to_numpy(), n_steps),
            "step": np.tile(steps, len(ids)),
            "value": values.to_numpy(dtype=np.float64).ravel(),
            "gi_z": z.ravel(),
            "gi_p": p.ravel(),
            "gi_state": state.ravel(),
        }
    )
    settings = {
        "time_window": int(time_window),
        "alpha": float(alpha),
        "correction": corr,
        "p_cutoff": float(cut),
        "n_steps": int(n_steps),
        "weights": weights_label
        or f"binary spatial neighbours + self, at step t and the {int(time_window)} step(s) before",
        "gi": "analytic z (Ord & Getis 1995) over all bins of the cube; p two-sided normal",
        "notes": notes,
    }
    return EmergingResult(frame=frame, cube=cube, settings=settings)


# ---------------------------------------------------------------------------------------------
# trends: series + Mann-Kendall on counts + emerging classes


@dataclass(frozen=True, eq=False)
class TrendResult:
    """Trend per area: Mann-Kendall and Sen's slope on the counts, and the emerging hot spot class.

    ``table`` (index ``area_code``) starts with ``mk_tau, mk_p, sen_slope, emerging_class`` and
    continues with ``n_steps, first_step, last_step, total, mk_s, mk_z, gi_mk_tau, gi_mk_p,
    n_hot, n_cold, final_gi_z``. ``series`` and ``emerging`` are the inputs behind it.
    """

    table: pd.DataFrame
    series: SeriesResult
    emerging: EmergingResult
    notes: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    @property
    def settings(self) -> dict:
        return {"step": self.series.step, "categories": self.series.categories, **self.emerging.settings}


def trends_from_series(
    series: SeriesResult,
    graph,
    category: str | list[str] | None = None,
    time_window: int = 1,
    alpha: float = 0.05,
    correction: str = "fdr",
    weights_label: str = "",
) -> TrendResult:
    """Trends and emerging classes from a ``SeriesResult`` (summed over ``category``)."""
    wide = series.wide(category)
    emerging = emerging_hotspots(wide, graph, time_window=time_window, alpha=alpha, correction=correction,
                                 weights_label=weights_label)
    mk = mann_kendall(wide.to_numpy(dtype=np.float64))
    e = emerging.frame
    table = pd.DataFrame(
        {
            "mk_tau": mk.tau,
            "mk_p": mk.p,
            "sen_slope": mk.sen_slope,
            "emerging_class": e["emerging_class"].to_numpy(),
            "n_steps": len(series.steps),
            "first_step": series.steps[0],
            "last_step": series.steps[-1],
            "total": wide.sum(axis=1).to_numpy(),
            "mk_s": mk.s.astype(np.int64),
            "mk_z": mk.z,
            "gi_mk_tau": e["gi_mk_tau"].to_numpy(),
            "gi_mk_p": e["gi_mk_p"].to_numpy(),
            "n_hot": e["n_hot"].to_numpy(),
            "n_cold": e["n_cold"].to_numpy(),
            "final_gi_z": e["final_gi_z"].to_numpy(),
        },
        index=pd.Index(wide.index.astype(str), name="area_code"),
    )
    return TrendResult(table=table, series=series, emerging=emerging,
                       notes=list(series.notes) + list(emerging.settings["notes"]))


def trends(
    points: pd.DataFrame,
    areas,
    step: str = "month",
    categories: list[str] | None = None,
    start=None,
    end=None,
    graph=None,
    weights: str = "queen",
    time_window: int = 1,
    alpha: float = 0.05,
    correction: str = "fdr",
) -> TrendResult:
    """Series, Mann-Kendall trend with Sen's slope, and emerging hot spot class for every area.

    Parameters
    ----------
    points, areas, step, categories, start, end
        As :func:`placebased.stats.timeseries.time_series` (the date range feeds every statistic).
    graph
        Spatial neighbours; built with :func:`placebased.stats.weights.build_weights` (``weights``) if None.
    time_window, alpha, correction
        As :func:`emerging_hotspots`.

    Returns
    -------
    TrendResult
    """
    series = time_series(points, areas, step=step, categories=categories, start=start, end=end)
    label = ""
    if graph is None:
        from placebased.stats.weights import build_weights

        graph = build_weights(areas, weights)
        label = f"{weights} (binary) + self, at step t and the {int(time_window)} step(s) before"
    return trends_from_series(series, graph, time_window=time_window, alpha=alpha, correction=correction,
                              weights_label=label)

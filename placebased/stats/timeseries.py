"""Time: counts per time step, Mann-Kendall trends with Sen's slope, and time-of-week patterns.

* :func:`time_series` turns dated incidents into a complete grid of counts, every area x every
  step (``"month"``, ``"quarter"`` or ``"year"``) x every category, zeros filled. A step inside the
  range in which *no* record at all was supplied (any area, any category) is reported as a probable
  gap in supply (``SeriesResult.gaps`` and a :class:`~placebased.io.areas.DataWarning`): zero-filled
  like any quiet step, but worth checking with whoever sent the data.
* ``start`` / ``end`` choose the range of steps. Statistics run on whole steps: the step containing
  ``start`` is the first and the step containing ``end`` the last, so a range that starts or ends
  inside a step counts that whole step (a partial last month would look like a fall).
* :func:`mann_kendall` is the Mann-Kendall trend test with Sen's slope, vectorised over many
  series (rows) at once, with the tie correction of the variance and the usual continuity
  correction of z. ``tau`` is Kendall's tau-b of the series against time (ties in the values
  adjusted; the R ``Kendall`` package's convention).
* :func:`time_of_week` is a day x hour table (Mon..Sun x 0..23) of records whose time is known.
  police.uk publishes months only, so its records carry no time; a clear
  :class:`~placebased.errors.DataError` says so instead of inventing times.

Figures are matplotlib :class:`~matplotlib.figure.Figure` objects built without pyplot (safe in
threads and in the Streamlit app); the caller saves or shows them.

Edge cases covered by the tests: a record at 2025-01-31 23:59 is January and one at 2025-02-01
00:00 is February; months missing from the data are zero-filled and reported as gaps; tied values
in Mann-Kendall; constant series (S = 0, p = 1); series shorter than 3 steps (NaN statistics).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from placebased.errors import ConfigError, DataError
from placebased.io.areas import DataWarning
from placebased.stats.aggregate import assign_areas

__all__ = [
    "DAYS",
    "STEPS",
    "MannKendall",
    "SeriesResult",
    "mann_kendall",
    "mann_kendall_frame",
    "step_labels",
    "time_of_week",
    "time_of_week_figure",
    "time_series",
    "trend_figure",
]

#: time steps by name -> pandas period frequency
STEPS: dict[str, str] = {"month": "M", "quarter": "Q", "year": "Y"}
#: day labels of :func:`time_of_week` rows (Monday first, as ISO 8601)
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: fewest steps with which the statistics are computed at all
MIN_STEPS = 3


# ---------------------------------------------------------------------------------------------
# steps and date ranges


def _freq(step: str) -> str:
    key = str(step).strip().lower()
    if key not in STEPS:
        raise ConfigError(f"unknown time step {step!r}; choose one of {', '.join(STEPS)}.")
    return STEPS[key]


def _label(period: pd.Period) -> str:
    if period.freqstr.startswith("Q"):
        return f"{period.year}-Q{period.quarter}"
    if period.freqstr.startswith("Y") or period.freqstr.startswith("A"):
        return f"{period.year}"
    return period.strftime("%Y-%m")


def step_labels(first: pd.Period, last: pd.Period) -> list[str]:
    """Labels of every step from ``first`` to ``last`` inclusive: ``2025-01``, ``2025-Q1`` or ``2025``."""
    return [_label(p) for p in pd.period_range(first, last, freq=first.freq)]


def _bound(value, freq: str, is_end: bool, what: str) -> tuple[pd.Period | None, str | None]:
    """Parse a range bound into the step containing it, and a note if it cuts a step."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    text = str(value).strip()
    try:
        if isinstance(value, str) and re.fullmatch(r"\d{4}", text):
            ts = pd.Timestamp(int(text), 12, 31) if is_end else pd.Timestamp(int(text), 1, 1)
        elif isinstance(value, str) and re.fullmatch(r"\d{4}-\d{1,2}", text):
            ts = pd.Timestamp(text + "-01")
            if is_end:
                ts = ts + pd.offsets.MonthEnd(0)
        elif isinstance(value, str) and re.fullmatch(r"\d{4}-?[Qq][1-4]", text):
            p = pd.Period(text.replace("-", "").upper(), freq="Q")
            ts = p.end_time.normalize() if is_end else p.start_time
        else:
            ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        ts = pd.NaT
    if ts is pd.NaT or pd.isna(ts):
        raise ConfigError(f"{what} {value!r} is not a date; use e.g. 2025-01, 2025-01-15 or 2025.")
    period = ts.to_period(freq)
    edge = period.end_time.normalize() if is_end else period.start_time.normalize()
    note = None
    if ts.normalize() != edge:
        note = (
            f"{what} {text} falls inside {_label(period)}; statistics use whole steps, so all of "
            f"{_label(period)} is counted"
        )
    return period, note


# ---------------------------------------------------------------------------------------------
# series


@dataclass(frozen=True, eq=False)
class SeriesResult:
    """Counts per area, time step and category on a complete grid.

    Attributes
    ----------
    counts
        Long frame ``area_code, step, category, count``: every area x step x category, zeros filled.
    steps
        Step labels in order (``"2025-01"``, ``"2025-Q1"`` or ``"2025"``).
    step
        ``"month"``, ``"quarter"`` or ``"year"``.
    categories
        Categories counted.
    gaps
        Steps in the range with no record at all in the supplied data (probable gaps in supply).
    undated
        Records without a date (left out of every series).
    notes
        Plain-language notes (gaps, partial steps at the range ends).
    """

    counts: pd.DataFrame
    steps: list[str]
    step: str
    categories: list[str]
    gaps: list[str] = field(default_factory=list)
    undated: int = 0
    outside: int = 0
    notes: list[str] = field(default_factory=list)
    inside: int = 0  # incidents of the chosen categories and steps inside the areas (beside ``outside``)

    def wide(self, category: str | list[str] | None = None) -> pd.DataFrame:
        """Area x step table (index ``area_code``, one column per step) of one, several or all categories."""
        data = self.counts
        if category is not None:
            cats = [category] if isinstance(category, str) else list(category)
            unknown = sorted(set(cats) - set(self.categories))
            if unknown:
                raise ConfigError(f"no series for {', '.join(unknown)}; choose from {', '.join(self.categories)}.")
            data = data[data["category"].isin(cats)]
        out = data.pivot_table(index="area_code", columns="step", values="count", aggfunc="sum", sort=False)
        out = out.reindex(index=pd.Index(self.counts["area_code"].unique(), name="area_code"),
                          columns=self.steps).fillna(0)
        out.columns.name = "step"
        return out

    def county(self, category: str | list[str] | None = None) -> pd.Series:
        """The series summed over all areas (index: step)."""
        return self.wide(category).sum(axis=0).rename("count")


def time_series(
    points: pd.DataFrame,
    areas: pd.DataFrame,
    step: str = "month",
    categories: list[str] | None = None,
    start=None,
    end=None,
) -> SeriesResult:
    """Count dated incidents per area, time step and category on a complete grid.

    Parameters
    ----------
    points
        Incidents with ``date`` (datetime), ``category`` and ``weight`` columns, as from
        :func:`placebased.io.incidents.load_incidents`. If they carry an ``area_code`` column it is
        used; otherwise they are assigned to ``areas`` with :func:`placebased.stats.aggregate.assign_areas`.
    areas
        Areas indexed by area code; every one appears in the result.
    step
        ``"month"`` (default), ``"quarter"`` or ``"year"``.
    categories
        Keep only these categories (all present when None). Categories absent from the data
        still get zero series.
    start, end
        First and last date of the range (``"2025-01"``, ``"2025-01-15"``, ``"2025"`` or a
        timestamp); each is widened to the whole step that contains it. Default: the first and last
        step with data.

    Returns
    -------
    SeriesResult

    Raises
    ------
    DataError
        When no record has a date, or none falls in the range.
    ConfigError
        For an unknown step or an unreadable date, or ``start`` after ``end``.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import Point, box
    >>> areas = gpd.GeoDataFrame({"geometry": [box(0, 0, 10, 10)]}, index=pd.Index(["A"], name="area_code"))
    >>> pts = gpd.GeoDataFrame({"date": pd.to_datetime(["2025-01-31 23:59", "2025-03-01 00:00"]),
    ...     "category": "x", "weight": 1.0}, geometry=[Point(5, 5), Point(5, 5)])
    >>> r = time_series(pts, areas)
    >>> r.wide().iloc[0].tolist(), r.gaps
    ([1, 0, 1], ['2025-02'])
    """
    freq = _freq(step)
    step = str(step).strip().lower()
    if "date" not in points.columns:
        raise DataError("incidents have no 'date' column; load them with placebased.io.incidents.load_incidents.")
    first, note_a = _bound(start, freq, False, "start")
    last, note_b = _bound(end, freq, True, "end")
    if first is not None and last is not None and first > last:
        raise ConfigError(f"start {start} is after end {end}; swap them.")
    dates = pd.to_datetime(points["date"], errors="coerce")
    dated_mask = dates.notna().to_numpy()
    undated = int((~dated_mask).sum())
    if not dated_mask.any():
        raise DataError(
            "no incident has a date, so no time series can be built; name the date column "
            "(--date-column) or supply dated records."
        )
    pts = points.loc[dated_mask]
    period = dates[dated_mask].dt.to_period(freq)
    supplied = set(period.unique())  # every step with any record, before any filter
    lo = first if first is not None else period.min()
    hi = last if last is not None else period.max()
    in_range = ((period >= lo) & (period <= hi)).to_numpy()
    if not in_range.any():
        raise DataError(
            f"no dated incident falls between {_label(lo)} and {_label(hi)} (the data run from "
            f"{_label(period.min())} to {_label(period.max())}); widen --start/--end."
        )
    pts = pts.loc[in_range]
    period = period[in_range]
    steps = step_labels(lo, hi)
    gaps = [_label(p) for p in pd.period_range(lo, hi, freq=freq) if p not in supplied]
    notes = [n for n in (note_a, note_b) if n]
    if gaps:
        shown = ", ".join(gaps[:12]) + (f" and {len(gaps) - 12} more" if len(gaps) > 12 else "")
        msg = (
            f"{len(gaps)} of {len(steps)} {step}s have no records at all in the data supplied ({shown}); "
            "they are counted as zero but are probably a gap in supply - check with the data provider"
        )
        notes.append(msg)
        warnings.warn(msg, DataWarning, stacklevel=2)
    all_cats = sorted(points["category"].dropna().astype(str).unique().tolist())
    cats = sorted(set(categories)) if categories is not None else all_cats
    keep = pts["category"].astype(str).isin(cats).to_numpy()
    pts, period = pts.loc[keep], period[keep]
    if "area_code" in pts.columns:
        codes = pts["area_code"]
    else:
        codes = assign_areas(pts, areas)[0]["area_code"] if len(pts) else pd.Series([], dtype="string")
    codes = pd.Series(np.asarray(codes, dtype=object), index=pts.index)
    inside = codes.notna() & codes.isin(areas.index)
    outside = int((~inside).sum())
    frame = pd.DataFrame(
        {
            "area_code": codes[inside].astype(str).to_numpy(),
            "step": [_label(p) for p in period[inside.to_numpy()]],
            "category": pts.loc[inside, "category"].astype(str).to_numpy(),
            "count": pd.to_numeric(pts.loc[inside, "weight"], errors="coerce").fillna(0.0).to_numpy(),
        }
    )
    grid = pd.MultiIndex.from_product(
        [pd.Index(areas.index.astype(str), name="area_code"), pd.Index(steps, name="step"),
         pd.Index(cats, name="category")]
    )
    summed = frame.groupby(["area_code", "step", "category"])["count"].sum()
    counts = summed.reindex(grid, fill_value=0.0).reset_index()
    if np.all(np.mod(counts["count"].to_numpy(), 1) == 0):
        counts["count"] = counts["count"].astype("int64")
    return SeriesResult(counts=counts, steps=steps, step=step, categories=cats, gaps=gaps, undated=undated,
                        outside=outside, notes=notes, inside=int(inside.sum()))


# ---------------------------------------------------------------------------------------------
# Mann-Kendall and Sen's slope


@dataclass(frozen=True, eq=False)
class MannKendall:
    """Mann-Kendall test and Sen's slope for one series (floats) or many (arrays, one per row).

    ``s`` is Kendall's S; ``var_s`` its variance with the tie correction; ``z`` the standard
    normal score with continuity correction (``(S - sign(S)) / sqrt(var_s)``); ``p`` two-sided;
    ``tau`` Kendall's tau-b; ``sen_slope`` the median of pairwise slopes per step and
    ``sen_intercept`` Conover's intercept ``median(y) - slope * median(t)`` with t = 0, 1, ...
    """

    s: np.ndarray | float
    var_s: np.ndarray | float
    z: np.ndarray | float
    p: np.ndarray | float
    tau: np.ndarray | float
    sen_slope: np.ndarray | float
    sen_intercept: np.ndarray | float
    n: int

    def to_frame(self, index=None) -> pd.DataFrame:
        """One row per series: ``mk_tau, mk_p, sen_slope, mk_s, mk_var_s, mk_z, sen_intercept``."""
        data = {
            "mk_tau": np.atleast_1d(self.tau),
            "mk_p": np.atleast_1d(self.p),
            "sen_slope": np.atleast_1d(self.sen_slope),
            "mk_s": np.atleast_1d(self.s),
            "mk_var_s": np.atleast_1d(self.var_s),
            "mk_z": np.atleast_1d(self.z),
            "sen_intercept": np.atleast_1d(self.sen_intercept),
        }
        return pd.DataFrame(data, index=index)


def mann_kendall(y, chunk: int = 20_000) -> MannKendall:
    """Mann-Kendall trend test with Sen's slope, vectorised over rows.

    Parameters
    ----------
    y
        One series (1-d) or many (2-d, one series per row, time along columns), evenly spaced,
        without missing values.
    chunk
        Rows processed at once (bounds memory: about ``chunk * n * n`` booleans).

    Returns
    -------
    MannKendall
        Floats for a 1-d input, arrays of length ``rows`` for a 2-d input. Series shorter than
        3 steps get NaN statistics; constant series get S = 0, z = 0, p = 1, slope 0.

    Examples
    --------
    >>> mk = mann_kendall([1, 2, 3, 4, 5])
    >>> int(mk.s), round(float(mk.var_s), 3), round(float(mk.z), 4), round(float(mk.p), 4)
    (10, 16.667, 2.2045, 0.0275)
    >>> mk = mann_kendall([3, 1, 4, 1, 5, 9, 2, 6, 5, 3])
    >>> int(mk.s), float(mk.var_s), round(float(mk.z), 4), round(float(mk.p), 4)
    (12, 122.0, 0.9959, 0.3193)
    """
    arr = np.asarray(y, dtype=np.float64)
    one = arr.ndim == 1
    if one:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise DataError(f"Mann-Kendall needs one series or a table of series (got {arr.ndim} dimensions).")
    if not np.all(np.isfinite(arr)):
        raise DataError("Mann-Kendall series hold missing or infinite values; fill gaps (zeros) first.")
    m, n = arr.shape
    out = {k: np.full(m, np.nan) for k in ("s", "var_s", "z", "p", "tau", "sen_slope", "sen_intercept")}
    if n >= MIN_STEPS and m:
        i, j = np.triu_indices(n, 1)
        gap = (j - i).astype(np.float64)
        n0 = n * (n - 1) / 2.0
        t_mid = np.median(np.arange(n, dtype=np.float64))
        for a in range(0, m, chunk):
            block = arr[a : a + chunk]
            diff = block[:, j] - block[:, i]
            s = np.sign(diff).sum(axis=1)
            # tie groups: each value's count of equal values c; sum over groups of t(t-1)(2t+5)
            # equals the sum over values of (c-1)(2c+5), and sum t(t-1)/2 = sum (c-1)/2
            c = (block[:, :, None] == block[:, None, :]).sum(axis=2).astype(np.float64)
            ties = ((c - 1.0) * (2.0 * c + 5.0)).sum(axis=1)
            n1 = ((c - 1.0) / 2.0).sum(axis=1)
            var_s = (n * (n - 1) * (2 * n + 5) - ties) / 18.0
            with np.errstate(divide="ignore", invalid="ignore"):
                z = np.where(var_s > 0, (s - np.sign(s)) / np.sqrt(var_s), 0.0)
                tau = np.where(n0 - n1 > 0, s / np.sqrt((n0 - n1) * n0), 0.0)
            slope = np.median(diff / gap, axis=1)
            sl = slice(a, a + len(block))
            out["s"][sl], out["var_s"][sl], out["z"][sl] = s, var_s, z
            out["p"][sl] = 2.0 * stats.norm.sf(np.abs(z))
            out["tau"][sl] = tau
            out["sen_slope"][sl] = slope
            out["sen_intercept"][sl] = np.median(block, axis=1) - slope * t_mid
    if one:
        return MannKendall(**{k: float(v[0]) for k, v in out.items()}, n=n)
    return MannKendall(**out, n=n)


def mann_kendall_frame(wide: pd.DataFrame) -> pd.DataFrame:
    """Mann-Kendall per row of an area x step table -> frame indexed like ``wide`` (see :class:`MannKendall`)."""
    return mann_kendall(wide.to_numpy(dtype=np.float64)).to_frame(index=wide.index)


# ---------------------------------------------------------------------------------------------
# figures


def trend_figure(
    series_for_area: pd.Series,
    title: str | None = None,
    step: str = "month",
    ylabel: str = "incidents",
    colour: str = "#1b3a5c",
    trend_colour: str = "#d62f27",
    figsize: tuple[float, float] = (6.4, 2.6),
):
    """Bar chart of one area's counts per step with its Sen's slope line and Mann-Kendall result.

    Parameters
    ----------
    series_for_area
        Counts indexed by step label (e.g. ``SeriesResult.wide().loc[code]``), in time order.
    title
        Figure title (default: the series name).
    step
        The step's name, used in the slope's wording ("per month").

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    values = pd.to_numeric(series_for_area, errors="coerce").fillna(0).to_numpy(dtype=np.float64)
    labels = [str(s) for s in series_for_area.index]
    fig = Figure(figsize=figsize, dpi=150, layout="constrained")
    ax = fig.add_subplot()
    x = np.arange(len(values))
    ax.bar(x, values, color=colour, width=0.75, label=ylabel)
    if len(values) >= MIN_STEPS:
        mk = mann_kendall(values)
        ax.plot(x, mk.sen_intercept + mk.sen_slope * x, color=trend_colour, lw=1.6,
                label=f"Sen's slope {mk.sen_slope:+.2f} per {step}")
        verdict = "significant" if mk.p <= 0.05 else "not significant"
        note = f"Mann-Kendall tau {mk.tau:+.2f}, p = {mk.p:.3f} ({verdict} at 5%)"
    else:
        note = f"too few {step}s for a trend test (need {MIN_STEPS})"
    every = max(1, int(np.ceil(len(labels) / 12)))
    ax.set_xticks(x[::every], labels[::every], rotation=45 if len(labels) > 6 else 0, ha="right", fontsize=7)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_ylabel(ylabel, fontsize=8)
    top = float(values.max()) if len(values) and values.max() > 0 else 1.0
    ax.set_ylim(0, top * 1.3)  # room for the legend above the bars
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(title if title is not None else str(series_for_area.name or ""), fontsize=9, loc="left", pad=13)
    ax.text(0.0, 1.02, note, transform=ax.transAxes, fontsize=7, va="bottom", ha="left", color="#5f6b76")
    if len(values) >= MIN_STEPS:
        ax.legend(fontsize=7, frameon=False, loc="upper right", ncol=2)
    return fig


# ---------------------------------------------------------------------------------------------
# time of week


def time_of_week(
    points: pd.DataFrame,
    areas=None,
    categories: list[str] | None = None,
    start=None,
    end=None,
) -> pd.DataFrame:
    """Weighted counts by day of week (rows Mon..Sun) and hour (columns 0..23) where times are known.

    Parameters
    ----------
    points
        Incidents with ``date`` (the day), ``time`` (``"HH:MM"`` or missing), ``category`` and
        ``weight`` columns.
    areas
        Keep only incidents in these areas: a list of area codes (needs an ``area_code`` column
        in ``points``) or a GeoDataFrame of areas (points are assigned to them). None: all.
    categories
        Keep only these categories (all when None).
    start, end
        Date range (inclusive, whole days; ``"2025-01"`` ends on the month's last day).

    Returns
    -------
    DataFrame 7 x 24
        Index ``day`` (Mon..Sun), columns hours 0..23. ``attrs`` holds ``with_time`` and
        ``without_time`` (records kept and left out for lack of a time).

    Raises
    ------
    DataError
        When no selected record has a time (police.uk records carry the month only).
    """
    pts = points
    if categories is not None:
        pts = pts[pts["category"].astype(str).isin(list(categories))]
    if areas is not None:
        if hasattr(areas, "geometry"):
            if "area_code" in pts.columns:
                pts = pts[pts["area_code"].isin(areas.index)]
            else:
                assigned = assign_areas(pts, areas, max_outside_share=1.0)[0] if len(pts) else pts
                pts = assigned[assigned["area_code"].notna()] if len(pts) else pts
        else:
            if "area_code" not in pts.columns:
                raise DataError("time_of_week: the incidents have no area_code; pass the areas' GeoDataFrame instead.")
            pts = pts[pts["area_code"].isin(list(areas))]
    if "date" in pts.columns:
        dates = pd.to_datetime(pts["date"], errors="coerce")
    else:
        dates = pd.Series(pd.NaT, index=pts.index, dtype="datetime64[ns]")
    lo = _bound(start, "D", False, "start")[0] if start is not None else None
    hi = _bound(end, "D", True, "end")[0] if end is not None else None
    keep = dates.notna()
    if lo is not None:
        keep &= dates >= lo.start_time
    if hi is not None:
        keep &= dates <= hi.end_time
    pts, dates = pts[keep.to_numpy()], dates[keep]
    times = pts["time"].astype("string") if "time" in pts.columns else pd.Series(pd.NA, index=pts.index, dtype="string")
    hour = pd.to_numeric(times.str.extract(r"^\s*(\d{1,2})", expand=False), errors="coerce")
    known = (hour.notna() & (hour >= 0) & (hour <= 23)).to_numpy()
    if not known.any():
        raise DataError(
            f"no time of day is known for the {len(pts):,} selected records: police.uk publishes the month only, "
            "so a day x hour pattern cannot be drawn from it; load partner data with times (e.g. A&E attendances "
            "with arrival date and time)."
        )
    weight = pd.to_numeric(pts["weight"], errors="coerce").fillna(0.0) if "weight" in pts.columns else 1.0
    frame = pd.DataFrame(
        {
            "day": dates.dt.dayofweek.to_numpy()[known],
            "hour": hour.to_numpy()[known].astype(int),
            "w": np.broadcast_to(np.asarray(weight, dtype=np.float64), (len(pts),))[known],
        }
    )
    table = frame.groupby(["day", "hour"])["w"].sum().unstack("hour")
    table = table.reindex(index=range(7), columns=range(24)).fillna(0.0)
    table.index = pd.Index(DAYS, name="day")
    table.columns = pd.Index(range(24), name="hour")
    table.attrs["with_time"] = int(known.sum())
    table.attrs["without_time"] = int((~known).sum())
    return table


def time_of_week_figure(table: pd.DataFrame, title: str | None = None, cmap: str = "YlOrRd",
                        figsize: tuple[float, float] = (7.0, 2.6)):
    """Heat map of a :func:`time_of_week` table (days down, hours across) with a colour bar.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    data = table.to_numpy(dtype=np.float64)
    fig = Figure(figsize=figsize, dpi=150, layout="constrained")
    ax = fig.add_subplot()
    im = ax.imshow(data, aspect="auto", cmap=cmap, vmin=0, interpolation="nearest")
    ax.set_yticks(range(len(table.index)), [str(d) for d in table.index], fontsize=7)
    ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)], fontsize=7)
    ax.set_xlabel("hour of day (start of hour)", fontsize=8)
    with_time = table.attrs.get("with_time")
    without = table.attrs.get("without_time")
    sub = f"{with_time:,} records with a time" if with_time is not None else ""
    if without:
        sub += f"; {without:,} without a time left out"
    ax.set_title(((title + "\n") if title else "") + sub, fontsize=8, loc="left")
    bar = fig.colorbar(im, ax=ax, shrink=0.9, pad=0.01)
    bar.ax.tick_params(labelsize=7)
    bar.set_label("incidents", fontsize=7)
    return fig

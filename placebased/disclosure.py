"""Disclosure control for counts shown to the public: small-number and secondary suppression.

Shared by the PDF profiles and the workshop view, so both hide the same cells the same way.

Rules (:func:`suppression_flags`, :func:`suppress`)
---------------------------------------------------
* **small numbers**: a count from 1 to ``threshold - 1`` is hidden and shown as ``"<5"`` (for
  ``threshold=5``). Zeros are shown: "none recorded" discloses nothing about a person.
* **sensitive categories** (:func:`placebased.categories.is_sensitive`: rape, other sexual
  offences, domestic abuse) use the larger ``sensitive_threshold`` (default 10): any count below
  it, zero included, is hidden and shown as ``"<10"``, so a reader cannot even tell a zero.
* **secondary suppression**: when a row carries a ``total`` column, the hidden cells of that row
  must not be recoverable as total minus the shown cells. Each hidden cell's possible range
  is worked out from what a reader sees (``"<5"`` means 1..4, ``"<10"`` means 0..9, ``"*"`` means
  at least the threshold, shown cells are exact). While some hidden cell can be pinned to a
  single value, the next smallest shown non-zero count of the row is hidden too (``"*"``); when
  there is none left, the total is hidden (``"*"``). With exactly one small cell in a row this
  is the familiar rule "suppress the next smallest too, or the total"; it also catches two small
  cells whose sum the total gives away (4 + 4 with a shown total of 8).

Only rows are protected. Do not publish column totals of a suppressed table next to it (or
publish them suppressed the same way, as a row of their own): a column with one hidden cell and
a shown column total would give that cell away.

Examples
--------
>>> import pandas as pd
>>> t = pd.DataFrame({"Robbery": [3, 12], "Drugs": [7, 0], "total": [10, 12]}, index=["A", "B"])
>>> suppress(t).to_dict("index")
{'A': {'Robbery': '<5', 'Drugs': '*', 'total': '10'}, 'B': {'Robbery': '12', 'Drugs': '0', 'total': '12'}}
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from .categories import is_sensitive
from .errors import ConfigError, DataError

TOTAL = "total"
#: flag values of :func:`suppression_flags`
SHOWN, SMALL, SENSITIVE, SECONDARY = "", "small", "sensitive", "secondary"
#: marker of a cell hidden to protect another one
SECONDARY_MARK = "*"

__all__ = [
    "SECONDARY_MARK",
    "format_count",
    "suppress",
    "suppression_flags",
    "suppression_note",
]


def _check_thresholds(threshold: int, sensitive_threshold: int | None) -> None:
    if not isinstance(threshold, int | np.integer) or threshold < 1:
        raise ConfigError(f"disclosure threshold must be a whole number of at least 1, not {threshold!r}.")
    if sensitive_threshold is not None and (
        not isinstance(sensitive_threshold, int | np.integer) or sensitive_threshold < threshold
    ):
        raise ConfigError(
            f"sensitive threshold must be a whole number at least the disclosure threshold ({threshold}), "
            f"not {sensitive_threshold!r}."
        )


def _as_frame(counts: pd.DataFrame | pd.Series) -> tuple[pd.DataFrame, bool]:
    if isinstance(counts, pd.Series):
        return counts.to_frame(name=counts.name if counts.name is not None else "count"), True
    if not isinstance(counts, pd.DataFrame):
        raise DataError(f"counts must be a pandas DataFrame or Series, not {type(counts).__name__}.")
    return counts, False


def _numeric(frame: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for col in frame.columns:
        v = pd.to_numeric(frame[col], errors="coerce").astype(float)
        bad = v.isna() | ~np.isfinite(v.to_numpy()) | (v < 0)
        if bad.any():
            where = v.index[bad.to_numpy()][0]
            raise DataError(
                f"counts: column {col!r}, row {where!r} holds {frame[col][where]!r}, not a count; "
                "counts must be numbers >= 0 (fill missing counts with 0)."
            )
        out[col] = v.to_numpy()
    return pd.DataFrame(out, index=frame.index)


def _row_flags(
    values: np.ndarray,
    flags: list[str],
    bounds: tuple[list[float], list[float], list[float]],
    total_value: float | None,
    total_flag: str,
) -> tuple[list[str], str]:
    """Secondary suppression for one row (see module docstring); returns new flags.

    ``bounds`` holds, per category cell, the range a reader infers when the cell shows a primary
    marker (low, high) and the lowest value a ``"*"`` cell can hold.
    """
    lows, highs, sec_lows = bounds
    if total_value is None or total_flag != SHOWN or all(f == SHOWN for f in flags):
        return flags, total_flag
    flags = list(flags)
    while True:
        hidden = [i for i, f in enumerate(flags) if f != SHOWN]
        shown_sum = sum(values[i] for i, f in enumerate(flags) if f == SHOWN)
        s = total_value - shown_sum
        lo = {i: lows[i] if flags[i] != SECONDARY else sec_lows[i] for i in hidden}
        hi = {i: highs[i] if flags[i] != SECONDARY else math.inf for i in hidden}
        sum_lo, sum_hi = sum(lo.values()), sum(hi.values())
        exposed = False
        for i in hidden:
            if flags[i] == SECONDARY:
                continue
            a = max(lo[i], s - (sum_hi - hi[i]))
            b = min(hi[i], s - (sum_lo - lo[i]))
            if b - a < 1:  # pinned to one value
                exposed = True
                break
        if not exposed:
            return flags, total_flag
        candidates = [i for i, f in enumerate(flags) if f == SHOWN and values[i] > 0]
        if not candidates:
            return flags, SECONDARY
        nxt = min(candidates, key=lambda i: (values[i], i))
        flags[nxt] = SECONDARY


def suppression_flags(
    counts: pd.DataFrame | pd.Series,
    threshold: int = 5,
    *,
    sensitive: Callable[[str], bool] | None = is_sensitive,
    sensitive_threshold: int | None = 10,
    total: str | None = TOTAL,
) -> pd.DataFrame | pd.Series:
    """Why each cell is hidden: ``""`` (shown), ``"small"``, ``"sensitive"`` or ``"secondary"``.

    Parameters
    ----------
    counts
        Counts, one row per area (index kept) and one column per category, optionally with a
        ``total`` column; or one Series of counts (no total, so no secondary suppression).
    threshold
        Counts from 1 to ``threshold - 1`` are hidden.
    sensitive
        Predicate on a column name marking sensitive categories; None treats none as sensitive.
    sensitive_threshold
        Counts below this in a sensitive column are hidden (zero included).
    total
        Name of the row-total column (secondary suppression protects against it); None for none.

    Returns
    -------
    A new frame (or Series) of the same shape, holding the flag strings.
    """
    _check_thresholds(threshold, sensitive_threshold)
    frame, was_series = _as_frame(counts)
    values = _numeric(frame)
    cols = list(values.columns)
    total_col = total if total is not None and total in cols else None
    cats = [c for c in cols if c != total_col]
    sens = {c: bool(sensitive is not None and sensitive_threshold is not None and sensitive(str(c))) for c in cats}
    st = sensitive_threshold if sensitive_threshold is not None else threshold

    flags = pd.DataFrame(SHOWN, index=frame.index, columns=cols, dtype=object)
    v = values[cats].to_numpy() if cats else np.zeros((len(frame), 0))
    for j, c in enumerate(cats):
        col = v[:, j]
        hide = (col < st) if sens[c] else ((col > 0) & (col < threshold))
        flags[c] = np.where(hide, SENSITIVE if sens[c] else SMALL, SHOWN)
    if total_col is not None:
        tv = values[total_col].to_numpy()
        flags[total_col] = np.where((tv > 0) & (tv < threshold), SMALL, SHOWN)

        # bounds a reader can infer for each kind of hidden cell
        bounds = (
            [0.0 if sens[c] else 1.0 for c in cats],
            [float(st - 1 if sens[c] else threshold - 1) for c in cats],
            [float(st if sens[c] else threshold) for c in cats],
        )
        cat_flags = flags[cats].to_numpy(copy=True)
        tot_flags = flags[total_col].to_numpy().copy()
        for r in range(len(frame)):
            row_flags = list(cat_flags[r])
            if all(f == SHOWN for f in row_flags):
                continue
            new, tf = _row_flags(v[r], row_flags, bounds, float(tv[r]), tot_flags[r])
            cat_flags[r] = new
            tot_flags[r] = tf
        for j, c in enumerate(cats):
            flags[c] = cat_flags[:, j]
        flags[total_col] = tot_flags
    flags = flags.astype(object)
    if was_series:
        out = flags.iloc[:, 0]
        out.name = counts.name
        return out
    return flags


def format_count(value: float) -> str:
    """A shown count as text: ``"1,234"``, or one decimal for weighted (non-whole) counts."""
    v = float(value)
    return f"{v:,.0f}" if v.is_integer() else f"{v:,.1f}"


def suppress(
    counts: pd.DataFrame | pd.Series,
    threshold: int = 5,
    *,
    sensitive: Callable[[str], bool] | None = is_sensitive,
    sensitive_threshold: int | None = 10,
    total: str | None = TOTAL,
) -> pd.DataFrame | pd.Series:
    """Counts as text under disclosure control: ``"12"``, ``"<5"``, ``"<10"`` or ``"*"``.

    Same parameters as :func:`suppression_flags` (see the module docstring for the rules).
    Returns a new frame (or Series) of strings with the same index and columns; the input is
    not changed.

    Examples
    --------
    >>> import pandas as pd
    >>> suppress(pd.Series([0, 3, 5, 1234], index=list("abcd"))).tolist()
    ['0', '<5', '5', '1,234']
    >>> t = pd.DataFrame({"Robbery": [3], "total": [3]})
    >>> suppress(t).iloc[0].tolist()
    ['<5', '<5']
    """
    flags = suppression_flags(
        counts, threshold, sensitive=sensitive, sensitive_threshold=sensitive_threshold, total=total
    )
    frame, was_series = _as_frame(counts)
    values = _numeric(frame)
    fl = flags.to_frame() if was_series else flags
    st = sensitive_threshold if sensitive_threshold is not None else threshold
    marks = {SMALL: f"<{threshold}", SENSITIVE: f"<{st}", SECONDARY: SECONDARY_MARK}
    out = pd.DataFrame(index=frame.index, columns=frame.columns, dtype=object)
    for j, c in enumerate(frame.columns):
        f = fl.iloc[:, j].to_numpy()
        vals = values.iloc[:, j].to_numpy()
        out[c] = [marks[x] if x else format_count(y) for x, y in zip(f, vals)]
    if was_series:
        s = out.iloc[:, 0].astype(object)
        s.name = counts.name
        return s
    return out


def suppression_note(threshold: int = 5, sensitive_threshold: int | None = 10) -> str:
    """One plain-English legend for suppressed tables (for footers and captions)."""
    _check_thresholds(threshold, sensitive_threshold)
    text = (
        f"Counts from 1 to {threshold - 1} are shown as <{threshold}; {SECONDARY_MARK} marks a number "
        "hidden so that a small count cannot be worked out from a total"
    )
    if sensitive_threshold is not None:
        text += (
            f"; sexual offences and domestic abuse are shown only where there are at least "
            f"{sensitive_threshold} (otherwise <{sensitive_threshold} or left out)"
        )
    return text + "."

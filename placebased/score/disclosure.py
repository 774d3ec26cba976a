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
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from placebased.categories import is_sensitive
from placebased.errors import ConfigError, DataError
from placebased.names import SECONDARY_MARK

TOTAL = "total"
#: flag values of :func:`suppression_flags`
SHOWN, SMALL, SENSITIVE, SECONDARY = "", "small", "sensitive", "secondary"
# SECONDARY_MARK ("*", a cell hidden to protect another one): placebased.names, so the workshop text reads it

__all__ = [
    "BASE",
    "SECONDARY_MARK",
    "PublicGroup",
    "PublicRow",
    "Published",
    "attack_ranges",
    "group_facts",
    "hidden_targets",
    "public_group",
    "public_months",
    "public_note",
    "public_row",
    "public_table",
    "round_count",
    "row_facts",
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


# =============================================================================================
# public outputs: consistent rounding to base 5, small counts "<5", sensitive categories hidden
# below their threshold and left out of totals, audited against differencing across outputs
# =============================================================================================
#
# Every public output (public profiles of one area or of a group, the workshop table and cards,
# public CSVs) is built from :func:`public_row`, :func:`public_months` and :func:`public_group`,
# so the same true count is always published as the same text:
#
# * counts of 5 or more are rounded to the nearest multiple of 5 (halves up: 7 -> "5", 8 -> "10"),
#   the same way in every output (consistent rounding, as in ONS and NHS England outputs), so
#   a difference of two published numbers is uncertain by up to +-4;
# * counts from 1 to 4 are shown as "<5"; zeros as "0";
# * sensitive categories (:mod:`placebased.categories`) below ``sensitive_threshold`` (10) are
#   hidden ("not shown", a reader cannot tell a zero) and every shown total leaves the sensitive
#   categories out, so no total minus shown cells gives one away;
# * within a row, a hidden cell that the row total and the shown (rounded) cells would pin to one
#   value makes the next smallest shown cell hidden too ("*"), as in :func:`suppress`;
# * a group output (A+B) is checked against the published outputs of its member areas by an
#   integer-programming attacker (:func:`attack_ranges`): while it can work out any hidden value
#   exactly, a group cell is withheld ("*"), then the group's monthly figures, then its total.
#
# Limits: outputs of different, overlapping groups (A+B, B+C, A+B+C ...) are not audited jointly;
# rates are computed from the rounded counts.

BASE = 5
#: flag of a cell withheld because of another output (any value, zero included)
WITHHELD = "withheld"
_HIDDEN = (SMALL, SENSITIVE, SECONDARY, WITHHELD)


def round_count(value: float, base: int = BASE) -> float:
    """``value`` rounded to the nearest multiple of ``base`` (halves up): 7 -> 5, 7.5 -> 10, 8 -> 10.

    >>> [round_count(v) for v in (5, 7, 8, 12, 13, 1234)]
    [5.0, 5.0, 10.0, 10.0, 15.0, 1235.0]
    """
    return float(math.floor(float(value) / base + 0.5) * base)


@dataclass(frozen=True)
class PublicRow:
    """One published row: ``text`` (what is printed), ``flags`` (``""`` shown, ``small``,
    ``sensitive``, ``secondary``, ``withheld``), ``value`` (the rounded number shown, NaN when
    hidden) and ``low``/``high`` (the range a reader can infer for each cell from its text).
    Index: the categories (or months) and, when totalled, ``total``."""

    text: pd.Series
    flags: pd.Series
    value: pd.Series
    low: pd.Series
    high: pd.Series
    sensitive: frozenset = frozenset()

    def shown(self, key) -> bool:
        return self.flags.get(key, WITHHELD) == SHOWN

    def cells(self) -> list:
        return [k for k in self.flags.index if k != TOTAL]


def _reader_range(flag: str, shown_value: float, sens: bool, threshold: int, st: int, base: int) -> tuple[float, float]:
    """What a reader can infer from a cell's text (integers; conservative: as much as possible)."""
    if flag == SMALL:
        return 1.0, float(threshold - 1)
    if flag == SENSITIVE:
        return 0.0, float(st - 1)
    if flag == SECONDARY:
        return float(st if sens else threshold), math.inf
    if flag == WITHHELD:
        return 0.0, math.inf
    lo = float(math.ceil(shown_value - base / 2))
    hi = float(math.ceil(shown_value + base / 2) - 1)
    floor_ = st if sens else threshold
    if shown_value == 0:
        return 0.0, 0.0 if floor_ > hi else hi
    return max(lo, float(floor_), 0.0), hi


def _secondary_row(values: np.ndarray, flags: list[str], lows: list[float], highs: list[float], in_total: list[bool],
                   total_range: tuple[float, float] | None, sec_low: list[float]) -> tuple[list[str], bool]:
    """Interval version of the row rule: while a hidden cell of the total can be pinned from the
    total's range and the other cells' ranges, hide the next smallest shown cell (``secondary``).
    Returns the flags and whether the total itself must go (no shown cell left to hide)."""
    flags = list(flags)
    lows, highs = list(lows), list(highs)
    if total_range is None:
        return flags, False
    tlo, thi = total_range
    idx = [i for i in range(len(flags)) if in_total[i]]
    while True:
        sum_lo = sum(lows[i] for i in idx)
        sum_hi = sum(highs[i] for i in idx)
        pinned = False
        for i in idx:
            if flags[i] not in (SMALL, SENSITIVE, SECONDARY):
                continue
            a = max(lows[i], tlo - (sum_hi - highs[i]))
            b = min(highs[i], thi - (sum_lo - lows[i]))
            if b - a < 1:
                pinned = True
                break
        if not pinned:
            return flags, False
        cand = [i for i in idx if flags[i] == SHOWN and values[i] > 0]
        if not cand:
            return flags, True
        j = min(cand, key=lambda i: (values[i], i))
        flags[j] = SECONDARY
        lows[j], highs[j] = sec_low[j], math.inf


def _materialise(values: pd.Series, flags: list[str], sens: list[bool], threshold: int, st: int, base: int,
                 sensitive_text: str) -> PublicRow:
    keys = list(values.index)
    text, shown_v, lo, hi = [], [], [], []
    for k, f, s in zip(keys, flags, sens):
        r = round_count(values[k], base) if f == SHOWN else math.nan
        if f == SHOWN:
            text.append(format_count(r))
        elif f == SMALL:
            text.append(f"<{threshold}")
        elif f == SENSITIVE:
            text.append(sensitive_text)
        else:
            text.append(SECONDARY_MARK)
        a, b = _reader_range(f, r, s, threshold, st, base)
        shown_v.append(r), lo.append(a), hi.append(b)
    idx = pd.Index(keys, dtype=object)
    return PublicRow(pd.Series(text, index=idx, dtype=object), pd.Series(flags, index=idx, dtype=object),
                     pd.Series(shown_v, index=idx, dtype=float), pd.Series(lo, index=idx, dtype=float),
                     pd.Series(hi, index=idx, dtype=float),
                     frozenset(k for k, s in zip(keys, sens) if s))


def _primary(v: float, sens: bool, threshold: int, st: int) -> str:
    if sens:
        return SENSITIVE if v < st else SHOWN
    return SMALL if 0 < v < threshold else SHOWN


def public_row(counts: pd.Series, threshold: int = 5, *, sensitive: Callable[[str], bool] | None = is_sensitive,
               sensitive_threshold: int = 10, base: int = BASE, sensitive_text: str = "not shown") -> PublicRow:
    """The published counts of one area (or one group) by category, with the public ``total``.

    ``counts``: counts per category (a ``total`` entry is ignored: the public total is the sum of
    the categories that are not sensitive, so it never includes a hidden sensitive count).
    Returns a :class:`PublicRow` (see the section comment above for the rules).

    >>> r = public_row(pd.Series({"Robbery": 13, "Drugs": 3, "Burglary": 22, "Rape": 1}))
    >>> r.text.to_dict()
    {'Robbery': '15', 'Drugs': '<5', 'Burglary': '20', 'Rape': 'not shown', 'total': '40'}
    """
    _check_thresholds(threshold, sensitive_threshold)
    c = counts.drop(labels=[TOTAL], errors="ignore")
    v = _numeric(c.to_frame("v").T).iloc[0]
    cats = list(v.index)
    sens = [bool(sensitive is not None and sensitive(str(k))) for k in cats]
    st = sensitive_threshold
    flags = [_primary(float(v[k]), s, threshold, st) for k, s in zip(cats, sens)]
    total = float(sum(float(v[k]) for k, s in zip(cats, sens) if not s))
    tflag = SMALL if 0 < total < threshold else SHOWN
    lows, highs = [], []
    for k, f, s in zip(cats, flags, sens):
        a, b = _reader_range(f, round_count(v[k], base), s, threshold, st, base)
        lows.append(a), highs.append(b)
    t_lo, t_hi = _reader_range(tflag, round_count(total, base), False, threshold, st, base)
    sec_low = [float(st if s else threshold) for s in sens]
    flags, drop_total = _secondary_row(v.to_numpy(float), flags, lows, highs, [not s for s in sens], (t_lo, t_hi),
                                       sec_low)
    if drop_total:
        tflag = SECONDARY
    full = pd.concat([v, pd.Series({TOTAL: total})])
    return _materialise(full, flags + [tflag], sens + [False], threshold, st, base, sensitive_text)


def public_months(per_month: pd.Series, total: PublicRow | None = None, threshold: int = 5, *, base: int = BASE,
                  sensitive_threshold: int = 10) -> PublicRow:
    """Published monthly counts (no sensitive category among them) beside a total already published.

    ``total``: the :class:`PublicRow` whose ``total`` the months add up to (the same incidents), or
    None when they do not add up to a published total. When the months would pin a hidden month
    from that total, the next smallest month is hidden too; when none is left, every month is
    withheld (the total is never changed here: it is published elsewhere as it is).
    """
    v = _numeric(per_month.to_frame("v").T).iloc[0]
    keys = list(v.index)
    flags = [_primary(float(v[k]), False, threshold, sensitive_threshold) for k in keys]
    lows, highs = [], []
    for k, f in zip(keys, flags):
        a, b = _reader_range(f, round_count(v[k], base), False, threshold, sensitive_threshold, base)
        lows.append(a), highs.append(b)
    trange = None
    if total is not None and total.flags.get(TOTAL) in (SHOWN, SMALL):
        trange = (float(total.low[TOTAL]), float(total.high[TOTAL]))
    flags, give_up = _secondary_row(v.to_numpy(float), flags, lows, highs, [True] * len(keys), trange,
                                    [float(threshold)] * len(keys))
    if give_up:
        flags = [WITHHELD] * len(keys)
    return _materialise(v, flags, [False] * len(keys), threshold, sensitive_threshold, base, "not shown")


# ---------------------------------------------------------------------------------------------
# the attacker: integer bounds of hidden values given everything published


@dataclass(frozen=True)
class Published:
    """One published fact: the sum of the true counts ``terms`` lies in ``[low, high]``."""

    terms: tuple
    low: float
    high: float


def row_facts(row: PublicRow, member, family: str = "cat") -> list[Published]:
    """The facts a reader learns from one published row of ``member`` (cells, and the total as
    the sum of the row's non-sensitive cells)."""
    out = []
    for k in row.cells():
        out.append(Published(((member, family, k),), float(row.low[k]), float(row.high[k])))
    if TOTAL in row.flags.index:
        terms = tuple((member, family, k) for k in row.cells() if k not in row.sensitive)
        out.append(Published(terms, float(row.low[TOTAL]), float(row.high[TOTAL])))
    return out


def group_facts(row: PublicRow, members: Sequence, family: str = "cat") -> list[Published]:
    """The facts of a group's published row: each cell is the sum of its members' cells."""
    out = []
    for k in row.cells():
        out.append(Published(tuple((m, family, k) for m in members), float(row.low[k]), float(row.high[k])))
    if TOTAL in row.flags.index:
        terms = tuple((m, family, k) for m in members for k in row.cells() if k not in row.sensitive)
        out.append(Published(terms, float(row.low[TOTAL]), float(row.high[TOTAL])))
    return out


def attack_ranges(facts: Sequence[Published], targets: Sequence[tuple], links: Sequence[tuple] = ()
                  ) -> dict[tuple, tuple[float, float]]:
    """The smallest and largest whole value of each target a reader can work out from ``facts``.

    ``facts``: published ranges of sums of true counts (:class:`Published`); ``targets``: tuples of
    variables whose sum is asked for; ``links``: pairs of tuples of variables with equal sums (for
    instance an area's months and its categories count the same incidents). Counts are whole
    numbers >= 0. Exact integer programming (scipy ``milp``), the strongest linear attacker.
    """
    var, cons = _system(facts, targets, links)
    return dict(_solve_each(var, cons, targets))


def _system(facts, targets, links) -> tuple[dict, list]:
    """Variables and linear constraints of the attacker's integer programme."""
    from scipy.optimize import LinearConstraint

    var: dict = {}
    for f in facts:
        for t in f.terms:
            var.setdefault(t, len(var))
    for a, b in links:
        for t in (*a, *b):
            var.setdefault(t, len(var))
    for tg in targets:
        for t in tg:
            var.setdefault(t, len(var))
    n = len(var)
    rows, lb, ub = [], [], []
    for f in facts:
        if not f.terms or (f.low <= 0 and math.isinf(f.high)):
            continue
        r = np.zeros(n)
        for t in f.terms:
            r[var[t]] += 1.0
        rows.append(r), lb.append(f.low), ub.append(f.high)
    for a, b in links:
        r = np.zeros(n)
        for t in a:
            r[var[t]] += 1.0
        for t in b:
            r[var[t]] -= 1.0
        rows.append(r), lb.append(0.0), ub.append(0.0)
    cons = [LinearConstraint(np.array(rows), np.array(lb), np.array(ub))] if rows else []
    return var, cons


def _solve_each(var: dict, cons: list, targets):
    """(target, (lowest, highest)) for each target in turn (a generator, so callers can stop early)."""
    from scipy.optimize import milp

    n = len(var)
    for tg in targets:
        c = np.zeros(n)
        for t in tg:
            c[var[t]] += 1.0
        ends = []
        for sign in (1.0, -1.0):
            res = milp(sign * c, constraints=cons, integrality=np.ones(n), bounds=(0, np.inf))
            if res.status == 3:  # unbounded above
                ends.append(math.inf if sign < 0 else 0.0)
            elif res.status != 0:
                raise DataError(f"disclosure audit: the published figures are inconsistent ({res.message}).")
            else:
                ends.append(sign * res.fun)
        yield tuple(tg), (round(ends[0], 6), round(ends[1], 6) if not math.isinf(ends[1]) else math.inf)


def hidden_targets(row: PublicRow, member, family: str = "cat", include_total: bool = True) -> list[tuple]:
    """The hidden values of a published row that must stay unknown (small and sensitive cells)."""
    out = [((member, family, k),) for k in row.cells() if row.flags[k] in (SMALL, SENSITIVE)]
    if include_total and TOTAL in row.flags.index and row.flags[TOTAL] == SMALL:
        out.append(tuple((member, family, k) for k in row.cells() if k not in row.sensitive))
    return out


def _pinned(facts, targets, links) -> tuple | None:
    """The first target the attacker can pin to one value, or None (stops at the first)."""
    if not targets:
        return None
    var, cons = _system(facts, targets, links)
    for tg, (lo, hi) in _solve_each(var, cons, targets):
        if hi - lo < 1:
            return tg
    return None


def _restar(row: PublicRow, keys: Sequence, flag: str = SECONDARY) -> PublicRow:
    flags = row.flags.copy()
    text, value, low, high = row.text.copy(), row.value.copy(), row.low.copy(), row.high.copy()
    for k in keys:
        flags[k] = flag
        text[k] = SECONDARY_MARK
        value[k] = math.nan
        low[k], high[k] = 0.0, math.inf
    return PublicRow(text, flags, value, low, high, row.sensitive)


@dataclass(frozen=True)
class PublicGroup:
    """A group's published rows (``row`` by category with total, ``months`` or None) and the
    published rows of its members (``members``: code -> (row, months)), all audited together."""

    row: PublicRow
    months: PublicRow | None
    members: dict


def _links(m, row: PublicRow, months: PublicRow) -> tuple:
    return (tuple((m, "cat", k) for k in row.cells() if k not in row.sensitive),
            tuple((m, "month", k) for k in months.cells()))


def public_area(counts: pd.Series, months: pd.Series | None = None, threshold: int = 5, *,
                sensitive: Callable[[str], bool] | None = is_sensitive, sensitive_threshold: int = 10,
                base: int = BASE) -> tuple[PublicRow, PublicRow | None]:
    """The published rows of one area: by category (:func:`public_row`) and, when ``months`` (counts
    of the non-sensitive categories per month) are given, by month (:func:`public_months`). When the
    two together would let a reader pin a hidden value, the months are withheld; the category row is
    never changed by the months, so it is the same in every output (workshop table included).
    """
    row = public_row(counts, threshold, sensitive=sensitive, sensitive_threshold=sensitive_threshold, base=base)
    if months is None:
        return row, None
    linked = _adds_up(months, counts, row)
    mo = public_months(months, row if linked else None, threshold, base=base, sensitive_threshold=sensitive_threshold)
    facts = row_facts(row, "a") + row_facts(mo, "a", "month")
    targets = hidden_targets(row, "a") + hidden_targets(mo, "a", "month")
    if _pinned(facts, targets, [_links("a", row, mo)] if linked else []) is not None:
        mo = _restar(mo, list(mo.flags.index), WITHHELD)
    return row, mo


def _adds_up(months: pd.Series, counts: pd.Series, row: PublicRow) -> bool:
    """True when the months count the same incidents as the row's public total."""
    tot = sum(float(counts[k]) for k in row.cells() if k not in row.sensitive)
    return abs(float(months.sum()) - tot) < 1e-9


def public_group(counts: pd.DataFrame, monthly: pd.DataFrame | None = None, threshold: int = 5, *,
                 sensitive: Callable[[str], bool] | None = is_sensitive, sensitive_threshold: int = 10,
                 base: int = BASE) -> PublicGroup:
    """Published counts of a group of areas that withstand subtraction of the members' outputs.

    ``counts``: members x categories (a ``total`` column is ignored); ``monthly``: members x months
    counts of the non-sensitive categories (or None). Each member is published exactly as in its
    own public outputs (:func:`public_row`, :func:`public_months`); the group is published the same
    way, then the attacker (:func:`attack_ranges`) is run on all of them together: while any hidden
    value (a member's or the group's) can be worked out exactly, the group's cell in that column is
    withheld ("*"), else the group's months, else its total, else every group cell.
    """
    kw = {"sensitive": sensitive, "sensitive_threshold": sensitive_threshold, "base": base}
    members = [str(m) for m in counts.index]
    mrows = {str(code): public_area(counts.loc[code], None if monthly is None else monthly.loc[code], threshold, **kw)
             for code in counts.index}
    if len(members) == 1:
        return PublicGroup(*mrows[members[0]], mrows)
    grow = public_row(counts.sum(axis=0), threshold, **kw)
    gmon = None
    if monthly is not None:
        gm = monthly.sum(axis=0)
        gmon = public_months(gm, grow if _adds_up(gm, counts.sum(axis=0), grow) else None, threshold, base=base,
                             sensitive_threshold=sensitive_threshold)

    def facts_links():
        facts, links, targets = [], [], []
        for m, (r, mo) in mrows.items():
            facts += row_facts(r, m)
            targets += hidden_targets(r, m)
            if mo is not None:
                facts += row_facts(mo, m, "month")
                targets += hidden_targets(mo, m, "month")
                links.append(_links(m, r, mo))
        facts += group_facts(grow, members)
        targets += [tuple((m, "cat", k) for m in members) for k in grow.cells() if grow.flags[k] in (SMALL, SENSITIVE)]
        if gmon is not None:
            facts += group_facts(gmon, members, "month")
            targets += [tuple((m, "month", k) for m in members) for k in gmon.cells() if gmon.flags[k] == SMALL]
        return facts, links, targets

    for _ in range(len(grow.flags) + 3):
        facts, links, targets = facts_links()
        pin = _pinned(facts, targets, links)
        if pin is None:
            break
        fam, col = pin[0][1], pin[0][2]
        if fam == "cat" and grow.flags.get(col) in (SHOWN, SMALL, SENSITIVE) and col != TOTAL:
            grow = _restar(grow, [col], WITHHELD)
        elif fam == "month" and gmon is not None and gmon.flags.get(col) in (SHOWN, SMALL):
            gmon = _restar(gmon, [col], WITHHELD)
        elif gmon is not None and any(f != WITHHELD for f in gmon.flags):
            gmon = _restar(gmon, list(gmon.flags.index), WITHHELD)
        elif grow.flags[TOTAL] != WITHHELD:
            grow = _restar(grow, [TOTAL], WITHHELD)
        else:
            grow = _restar(grow, list(grow.flags.index), WITHHELD)
    return PublicGroup(grow, gmon, mrows)


def public_table(counts: pd.DataFrame, threshold: int = 5, *, sensitive: Callable[[str], bool] | None = is_sensitive,
                 sensitive_threshold: int = 10, base: int = BASE, sensitive_text: str = "not shown"
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Published text and flags for a table of areas (one :func:`public_row` per row, so each area
    shows exactly what its own public profile shows): two frames with the categories and ``total``."""
    texts, flags = {}, {}
    for code in counts.index:
        r = public_row(counts.loc[code], threshold, sensitive=sensitive, sensitive_threshold=sensitive_threshold,
                       base=base, sensitive_text=sensitive_text)
        texts[code], flags[code] = r.text, r.flags
    cols = [c for c in counts.columns if c != TOTAL] + [TOTAL]
    t = pd.DataFrame.from_dict(texts, orient="index").reindex(columns=cols)
    f = pd.DataFrame.from_dict(flags, orient="index").reindex(columns=cols)
    t.index.name = f.index.name = counts.index.name
    return t.astype(object), f.astype(object)


def public_note(threshold: int = 5, sensitive_threshold: int = 10, base: int = BASE) -> str:
    """The method of the public outputs, in one plain-English sentence or two (profiles, workshop)."""
    return (f"Public figures: every count is rounded to the nearest {base} (the same way in every output, so "
            f"differences between outputs stay uncertain); counts from 1 to {threshold - 1} are shown as "
            f"<{threshold}; {SECONDARY_MARK} marks a figure withheld so that no hidden count can be worked out "
            f"by subtracting published figures (totals, other areas, groups); sexual offences, domestic abuse "
            f"and other sensitive categories are shown only where there are at least {sensitive_threshold} "
            f"and are never included in a total. Rates are worked out from the rounded counts.")

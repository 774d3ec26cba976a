"""Workshop view: a table safe to show a community room, and one plain sentence per area.

The numbers come from the orchestration: :func:`placebased.pipeline.workshop_table` publishes the counts
under the public rule of ``placebased.score.disclosure`` (the same as the public profiles: counts rounded
to the nearest 5, small counts as ``"<5"``, secondary suppression against the total (``"*"``), sensitive
categories (:mod:`placebased.categories`) shown only where they reach ``sensitive_threshold``, never in
the total, and left out entirely when no chosen area reaches it) and works out each published count as a
ratio to the average area ("3.1 times the average"). This module lays them out (:func:`lay_out`): it
picks the category each sentence is about, adds ranks, hot spots and deprivation, and orders the rows.
It never returns incident points, raw small numbers, rates built on hidden counts, or geometry.

:func:`area_sentence` turns one row into a sentence for an area card, e.g. "Kettering 012B stands
out for violence and sexual offences: 48 incidents in Jan–Sep 2025 (3.1 times the average for an
area), a hot spot at 95% confidence (two-sided), and it is among the 10% most deprived areas in England."

Text here (area names, category names) is plain, not HTML: escape it with
:func:`placebased.safety.escape_text` when putting it into a tooltip, popup or HTML card.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from placebased.categories import POLICE_UK_CATEGORIES
from placebased.errors import DataError
from placebased.names import SECONDARY_MARK, TIER_EXCLUDED, TIER_OTHER
from placebased.outputs import glossary, style
from placebased.safety import escape_text

TOTAL = "total"
#: Gi_Bin -> confidence (ArcGIS convention, as in placebased.stats.hotspots)
BIN_CONFIDENCE = {1: 90, 2: 95, 3: 99}
#: a focus category "stands out" when the area has at least this many times the average area's count
STANDS_OUT_RATIO = 1.5
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

__all__ = ["area_sentence", "category_label", "chosen_rows", "lay_out", "period_label"]
EXCLUDED, OTHER = TIER_EXCLUDED, TIER_OTHER


def category_label(category: str) -> str:
    """A category name for running text: police.uk names in lower case, partner names as given."""
    c = str(category)
    if c == TOTAL:
        return "all incidents"
    return c.lower() if c in POLICE_UK_CATEGORIES else c


def period_label(months: Iterable[str]) -> str:
    """``"Jan–Sep 2025"`` from months ``"YYYY-MM"`` (``"Nov 2024–Feb 2025"`` across years).

    >>> period_label(["2025-01", "2025-09", "2025-03"])
    'Jan–Sep 2025'
    >>> period_label(["2024-11", "2025-02"]), period_label(["2025-03"])
    ('Nov 2024–Feb 2025', 'Mar 2025')
    """
    ms = sorted({str(m)[:7] for m in months if isinstance(m, str) and len(m) >= 7 and m[4] == "-"})
    if not ms:
        raise DataError("period: no months in the form YYYY-MM; pass months such as '2025-01'.")

    def parts(m: str) -> tuple[str, str]:
        y, mo = m.split("-")[:2]
        try:
            return _MONTHS[int(mo) - 1], y
        except (ValueError, IndexError):
            raise DataError(f"period: {m!r} is not a month; use the form YYYY-MM.") from None

    (a_m, a_y), (b_m, b_y) = parts(ms[0]), parts(ms[-1])
    if ms[0] == ms[-1]:
        return f"{a_m} {a_y}"
    if a_y == b_y:
        return f"{a_m}–{b_m} {a_y}"
    return f"{a_m} {a_y}–{b_m} {b_y}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _get(row, key, default=None):
    try:
        v = row[key] if isinstance(row, Mapping) else row.get(key, default)
    except (KeyError, IndexError):
        return default
    if v is None:
        return default
    try:
        if pd.isna(v):
            return default
    except (TypeError, ValueError):
        pass
    return v


def _count_phrase(text: str) -> str:
    t = str(text).strip()
    if t.startswith("<"):
        return f"fewer than {t[1:]} incidents"
    if t == SECONDARY_MARK:
        return "a number of incidents withheld to protect privacy"
    return "1 incident" if t == "1" else f"{t} incidents"


def area_sentence(
    row: Mapping | pd.Series,
    period: str | None = None,
    n_ranked: int | None = None,
    hotspot_label: str | None = None,
) -> str:
    """One plain-English sentence saying why an area stands out, from a :func:`lay_out` row.

    Uses the row's ``area_name`` (or its index name), ``focus``, ``focus_count``, ``focus_ratio``,
    ``total``, ``hotspot_confidence`` and ``hotspot``, ``priority_rank`` and ``imd_decile`` when
    present; ``period``, ``n_ranked`` and ``hotspot_label`` (what the hot spot analysis counted,
    e.g. "violence and sexual offences") may also come from the row. Counts are used as the
    suppressed text, so the sentence never discloses more than the table.

    >>> area_sentence({"area_name": "Kettering 012B", "focus": "Violence and sexual offences",
    ...                "focus_count": "48", "focus_ratio": 3.1, "hotspot": "hot spot",
    ...                "hotspot_confidence": 95, "imd_decile": 1}, period="Jan–Sep 2025")
    'Kettering 012B stands out for violence and sexual offences: 48 incidents in Jan–Sep 2025 \
(3.1 times the average for an area), a hot spot at 95% confidence (two-sided), and it is among the \
10% most deprived areas in England.'
    """
    name = str(_get(row, "area_name") or getattr(row, "name", None) or "This area")
    period = period or _get(row, "period")
    n_ranked = n_ranked or _get(row, "n_ranked")
    hotspot_label = hotspot_label or _get(row, "hotspot_label")
    when = f" in {period}" if period else ""

    focus, count, ratio = _get(row, "focus"), _get(row, "focus_count"), _get(row, "focus_ratio")
    stands_out = focus is not None and count is not None and ratio is not None and float(ratio) >= STANDS_OUT_RATIO
    parts: list[str] = []
    if stands_out:
        head = f"{name} stands out for {category_label(focus)}"
        r = float(ratio)
        times = f"{r:.0f}" if r >= 10 else f"{r:.1f}"
        parts.append(f"{_count_phrase(count)}{when} ({times} times the average for an area)")
    else:
        head = name
        total = _get(row, TOTAL)
        if total is not None:
            parts.append(f"{_count_phrase(total)}{when}")
    conf, spot = _get(row, "hotspot_confidence"), _get(row, "hotspot")
    if conf is not None and spot == "hot spot":
        what = f" for {hotspot_label}" if hotspot_label else ""
        parts.append(f"a hot spot{what} at {int(conf)}% confidence (two-sided)")
    rank = _get(row, "priority_rank")
    if rank is not None:
        of = f" of {int(n_ranked)}" if n_ranked else ""
        parts.append(f"ranked {_ordinal(int(rank))}{of} on the priority score")
    decile = _get(row, "imd_decile")
    if decile is not None and 1 <= int(decile) <= 3:
        parts.append(f"it is among the {int(decile) * 10}% most deprived areas in England")
    if not parts:
        return f"{name}: no recorded incidents to report."
    if len(parts) == 1:
        body = parts[0]
    else:
        body = ", ".join(parts[:-1]) + ", and " + parts[-1]
    return f"{head}: {body}."


def _hotspot_columns(frame: pd.DataFrame | None, index: pd.Index) -> pd.DataFrame:
    out = pd.DataFrame(index=index)
    out["hotspot"] = pd.Series(pd.NA, index=index, dtype=object)
    out["hotspot_confidence"] = pd.array([pd.NA] * len(index), dtype="Int64")
    if frame is None:
        return out
    f = frame.reindex(index)
    if "gi_bin" in f.columns:
        b = pd.to_numeric(f["gi_bin"], errors="coerce")
    elif {"gi_z", "gi_p"} <= set(f.columns):
        p = pd.to_numeric(f["gi_p"], errors="coerce")
        level = np.select([p <= 0.01, p <= 0.05, p <= 0.10], [3, 2, 1], 0)
        b = pd.Series(np.sign(pd.to_numeric(f["gi_z"], errors="coerce")) * level, index=index)
    else:
        raise DataError("hotspot_frame: needs a gi_bin column (or gi_z and gi_p); pass hotspots(...).to_frame().")
    label = np.where(b > 0, "hot spot", np.where(b < 0, "cold spot", "not significant"))
    out["hotspot"] = pd.Series(label, index=index, dtype=object).where(b.notna(), pd.NA)
    conf = [BIN_CONFIDENCE.get(abs(int(x))) if pd.notna(x) else None for x in b]
    out["hotspot_confidence"] = pd.array(conf, dtype="Int64")
    return out


def chosen_rows(counts: pd.DataFrame, select: Sequence[str] | None = None,
                focus: str | Sequence[str] | None = None) -> pd.Index:
    """The rows of ``counts`` to show (``select``; every area when None), checked with the focus:
    one-line errors for counts without a ``total`` column, an unknown focus or a chosen code not in
    the counts."""
    if not isinstance(counts, pd.DataFrame) or TOTAL not in counts.columns:
        raise DataError("workshop: counts need a 'total' column; pass count_incidents(...).counts.")
    cats = [c for c in counts.columns if c != TOTAL]
    for f in [focus] if isinstance(focus, str) else list(focus or ()):
        if f not in counts.columns:
            raise DataError(f"workshop: focus {f!r} is not a counted category; choose from: {', '.join(cats)}.")
    if select is None:
        return counts.index
    codes = pd.Index([str(c) for c in select])
    missing = codes.difference(counts.index)
    if len(missing):
        shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
        raise DataError(f"workshop: {len(missing)} chosen area(s) not in the counts ({shown}); "
                        "choose areas from the loaded boundaries.")
    return codes.drop_duplicates()


def _pick_focus(ratio: np.ndarray, counts: np.ndarray) -> int | None:
    """Column with the largest ratio, then the largest count, then the first; None when none has one."""
    cand = np.flatnonzero(~np.isnan(ratio))
    if not len(cand):
        return None
    return int(cand[np.lexsort((-counts[cand], -ratio[cand]))[0]])


def lay_out(
    shown: pd.DataFrame,
    published: pd.DataFrame,
    ratio: pd.DataFrame,
    hotspot_frame: pd.DataFrame | None = None,
    score_frame: pd.DataFrame | None = None,
    areas: pd.DataFrame | None = None,
    *,
    columns: Sequence[str] | None = None,
    sensitive: Callable[[str], bool] | None = None,
    focus: str | Sequence[str] | None = None,
    period: str | None = None,
    hotspot_label: str | None = None,
) -> pd.DataFrame:
    """The workshop table of the chosen areas, from counts the orchestration published
    (:func:`placebased.pipeline.workshop_table`).

    Parameters
    ----------
    shown
        Area x category counts as published (text: ``"50"``, ``"<5"``, ``"*"``), with ``total``.
    published, ratio
        The published counts as numbers (NaN where hidden) and each as a ratio to the average area
        (NaN where hidden or zero); same rows and columns as ``shown``.
    hotspot_frame, score_frame, areas
        ``hotspots(...).to_frame()`` (``gi_bin``), ``score_areas(...).to_frame()`` (``rank``, ``tier``)
        and the areas (``area_name``, ``lad_name``, ``imd_decile``), each or None.
    columns
        The categories to show (default all of ``shown``); sensitive categories no chosen area reaches
        are left out by the orchestration.
    sensitive
        The sensitive rule: a sensitive category is never picked as the focus.
    focus
        The category every sentence is about; or a list to pick from; None picks from all. Picking
        takes, per area, the category with the largest ratio (then the largest count).
    period, hotspot_label
        Text for the period counted and what the hot spot analysis counted (for the sentence).

    Returns
    -------
    DataFrame indexed by ``area_code``: ``area_name``, ``lad_name``, ``imd_decile``,
    ``priority_rank``, ``tier`` (those available), ``hotspot``, ``hotspot_confidence``, ``focus``,
    ``focus_count``, ``focus_ratio``, one text column per shown category, ``total`` (text) and
    ``sentence``; ordered by priority rank (or by published total, hidden totals last).
    """
    rows = shown.index
    cats = [c for c in shown.columns if c != TOTAL]
    out = pd.DataFrame(index=pd.Index(rows, name="area_code"))
    if areas is not None:
        for col in ("area_name", "lad_name"):
            if col in areas.columns:
                out[col] = areas[col].reindex(rows).astype(object).to_numpy()
        if "imd_decile" in areas.columns:
            out["imd_decile"] = pd.array(pd.to_numeric(areas["imd_decile"].reindex(rows), errors="coerce")
                                         .round().astype("Int64"), dtype="Int64")
    n_ranked = None
    if score_frame is not None:
        if "rank" not in score_frame.columns:
            raise DataError("score_frame: needs a 'rank' column; pass score_areas(...).to_frame().")
        r = pd.to_numeric(score_frame["rank"], errors="coerce")
        n_ranked = int(r.notna().sum())
        out["priority_rank"] = r.reindex(rows).round().astype("Int64").to_numpy()
        if "tier" in score_frame.columns:
            out["tier"] = score_frame["tier"].reindex(rows).astype(object).to_numpy()
    hs = _hotspot_columns(hotspot_frame, out.index)
    out["hotspot"], out["hotspot_confidence"] = hs["hotspot"], hs["hotspot_confidence"]

    fixed = focus if isinstance(focus, str) else None
    pool = [fixed] if fixed is not None else (cats if focus is None else list(focus))
    if fixed is None and sensitive is not None:
        pool = [c for c in pool if not sensitive(str(c))]
    v = published.reindex(columns=pool).to_numpy(dtype=float)
    q = ratio.reindex(columns=pool).to_numpy(dtype=float)
    foc: list = []
    foc_count: list = []
    foc_ratio: list = []
    for i in range(len(rows)):
        j = 0 if fixed is not None else _pick_focus(q[i], v[i])
        if j is None:
            foc.append(pd.NA), foc_count.append(pd.NA), foc_ratio.append(math.nan)
            continue
        foc.append(pool[j])
        foc_count.append(shown[pool[j]].iat[i])
        foc_ratio.append(round(float(q[i, j]), 1) if not np.isnan(q[i, j]) else math.nan)
    out["focus"] = pd.Series(foc, index=out.index, dtype=object)
    out["focus_count"] = pd.Series(foc_count, index=out.index, dtype=object)
    out["focus_ratio"] = pd.Series(foc_ratio, index=out.index, dtype=float)

    for c in [*(cats if columns is None else [c for c in columns if c != TOTAL]), TOTAL]:
        out[c] = shown[c].astype(object).to_numpy()

    out["sentence"] = [area_sentence(r, period=period, n_ranked=n_ranked, hotspot_label=hotspot_label)
                       for _, r in out.iterrows()]
    if "priority_rank" in out.columns:
        order = out["priority_rank"].astype("Float64").fillna(np.inf).to_numpy()
        return out.iloc[np.lexsort((out.index.to_numpy(), order))]
    # published totals, largest first; hidden totals last (their order would hint at their values)
    tot = published[TOTAL].fillna(-1.0).to_numpy(dtype=float)  # rounded: ties keep code order
    return out.iloc[np.lexsort((out.index.to_numpy(), -tot))]


# ---------------------------------------------------------------------------------------------
# the workshop map in plain words

LAYER_CHOICES = glossary.WORKSHOP_LAYERS  # words: placebased.outputs.glossary
#: Gi* bins in plain words (99 / 95 / 90 % confidence = very likely / likely / possible)
GI_PLAIN = glossary.GI_PLAIN
TIER_COLOURS = ["#7f0000", "#d7301f", "#fc8d59", "#fdd49e", "#fee8c8"]
CALM = "#f2f2ee"
tier_labels = glossary.workshop_tier_labels


def map_layer(layer: str, gi_bin: pd.Series, tier: pd.Series, tiers: tuple[float, ...]):
    """Colours per area, legend items and title for the chosen plain-English layer."""
    if layer == "hotspots":
        b = gi_bin.fillna(0).astype(int)
        colours = b.map(style.gi_bin_colour)
        present = set(b)
        legend = [(style.GI_BIN_COLOURS[i], GI_PLAIN[i]) for i in (3, 2, 1, 0, -1, -2, -3) if i in present or i >= 0]
        return colours, legend, glossary.WORKSHOP_TITLES["hotspots"]
    labels = tier_labels(tiers)
    order = [f"top {t:g}%" for t in sorted(tiers)]
    cmap = {k: TIER_COLOURS[min(i, len(TIER_COLOURS) - 1)] for i, k in enumerate(order)}
    cmap[OTHER], cmap[EXCLUDED] = CALM, "#ffffff"
    colours = tier.map(lambda t: cmap.get(t, CALM))
    legend = [(cmap[k], labels[k]) for k in order] + [(CALM, labels[OTHER])]
    if (tier == EXCLUDED).any():
        legend.append(("#ffffff", labels[EXCLUDED]))
    return colours, legend, glossary.WORKSHOP_TITLES["priority"]


def plain_tooltips(table: pd.DataFrame, gi_bin: pd.Series, tier: pd.Series, tiers, period: str | None) -> pd.Series:
    """Tooltip HTML per area: name, code, plain hot-spot and priority labels, the suppressed total.
    Every value is escaped; no rate, score or raw count appears."""
    labels = tier_labels(tiers)
    when = f", {period}" if period else ""
    out = {}
    for code, row in table.iterrows():
        b = gi_bin.get(code)
        spot = GI_PLAIN.get(int(b) if pd.notna(b) else 0, GI_PLAIN[0])
        out[code] = (
            f"<div style='font-size:15px;line-height:1.4'><b>{escape_text(row.get('area_name'))}</b> "
            f"<span style='color:#5f6b76'>{escape_text(code)}</span><br>{escape_text(spot)}<br>"
            f"{escape_text(labels.get(tier.get(code), labels[OTHER]))}<br>"
            f"All incidents{escape_text(when)}: {escape_text(row.get('total'))}</div>"
        )
    return pd.Series(out, dtype=object)

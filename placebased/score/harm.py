"""Harm weighting: incidents weighted by how much harm their offence type does.

A crime-harm table gives each offence category a weight, for example the ONS Crime Severity
Score weight (the mean sentence, in days, that offence type received) or the Cambridge Crime Harm
Index (days in prison under the sentencing starting point). Counting a homicide the same as a
shoplifting hides where harm concentrates; which table is chosen changes which areas come out as
priorities (Ashby 2017), so it is worth comparing both with the raw counts.

**No table is shipped.** The weights of the ONS Crime Severity Score and of the Cambridge Crime
Harm Index are published by ONS and by the Cambridge Centre for Evidence-Based Policing; we could
not confirm here that the exact tables may be redistributed inside this package, and both are
keyed by Home Office offence codes that police.uk's broad crime types do not carry. Bring your own
table, matched to the categories of your incidents.

Format (:func:`read_harm_table`): a CSV file with a header and the two columns ``category`` and
``weight``::

    category,weight
    Robbery,365
    Violence and sexual offences,150
    Possession of weapons,60

* categories are matched to the incidents' ``category`` case-insensitively, ignoring spaces at
  either end; a category listed twice is an error;
* weights are numbers of 0 or more (days, points: any unit, as long as the table uses one);
* incidents whose category is not in the table get weight 0 (``unmatched_weight``) and are
  counted per category in :attr:`HarmResult.unmatched`, never silently dropped.

The tiny table above is an **illustration only** (the numbers are invented), not a real harm
index.

A harm-weighted incident's weight is its own weight (1 unless the file gave one) times the table's
weight, so the counts of :func:`placebased.stats.aggregate.count_incidents`, the hot spots and the
scores (which all sum the ``weight`` column) become harm totals.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from placebased.errors import SchemaError, file_error
from placebased.io.incidents import IncidentSet
from placebased.io.tables import read_table

__all__ = ["HarmResult", "HarmTable", "apply_harm_weights", "harm_weighted", "harm_weighting", "read_harm_table"]


def _key(values) -> pd.Series:
    return pd.Series(values, dtype="string").str.strip().str.casefold()


@dataclass(frozen=True)
class HarmTable:
    """A crime-harm table: ``weights`` maps a case-folded category to its weight."""

    weights: dict[str, float]
    labels: dict[str, str] = field(default_factory=dict)  # case-folded -> as written
    source: str = "table"

    @classmethod
    def from_mapping(cls, mapping: dict[str, float], source: str = "table") -> HarmTable:
        """A table from ``{category: weight}`` (checked as a file would be)."""
        frame = pd.DataFrame({"category": list(mapping), "weight": list(mapping.values())})
        return _table_from_frame(frame, source)

    def to_frame(self) -> pd.DataFrame:
        """``category, weight`` as written in the table."""
        return pd.DataFrame({"category": [self.labels.get(k, k) for k in self.weights],
                             "weight": list(self.weights.values())})


def read_harm_table(path: str | os.PathLike) -> HarmTable:
    """Read a ``category,weight`` CSV (see the module docstring); one-line errors for bad rows."""
    p = Path(path)
    if not p.exists():
        raise file_error(p, "harm table not found", "check the path; the file needs columns category,weight")
    return _table_from_frame(read_table(p, "harm table"), str(p))  # encodings, separators, size limits


def _table_from_frame(frame: pd.DataFrame, source: str) -> HarmTable:
    cols = {str(c).strip().casefold(): c for c in frame.columns}
    missing = [c for c in ("category", "weight") if c not in cols]
    if missing:
        raise file_error(source, f"no column {' or '.join(missing)} (columns: {', '.join(map(str, frame.columns))})",
                         "give a header row category,weight", SchemaError)
    if frame.empty:
        raise file_error(source, "harm table has no rows", "add one row per category: category,weight")
    cats = frame[cols["category"]].astype("string").str.strip()
    weights = pd.to_numeric(frame[cols["weight"]], errors="coerce")
    for i in range(len(frame)):
        row = i + 2  # header is row 1
        if pd.isna(cats.iloc[i]) or cats.iloc[i] == "":
            raise file_error(source, f"row {row}: the category is blank", "name a category or delete the row",
                             SchemaError)
        w = weights.iloc[i]
        if pd.isna(w) or not np.isfinite(w) or w < 0:
            raise file_error(source, f"row {row} ({cats.iloc[i]!r}): weight {frame[cols['weight']].iloc[i]!r} is "
                             "not a number of 0 or more", "give each category a weight such as 365", SchemaError)
    keys = _key(cats)
    dup = keys[keys.duplicated()]
    if len(dup):
        i = int(dup.index[0])
        raise file_error(source, f"row {i + 2}: category {cats.iloc[i]!r} is listed twice",
                         "keep one row per category (matching ignores case)", SchemaError)
    return HarmTable(weights=dict(zip(keys, weights.astype(float))), labels=dict(zip(keys, cats)), source=source)


@dataclass(frozen=True)
class HarmResult:
    """Harm-weighted points and how the categories met the table."""

    points: pd.DataFrame
    by_category: pd.DataFrame  # category, incidents, harm_weight, harm
    unmatched: dict[str, int]
    table_source: str

    def to_frame(self) -> pd.DataFrame:
        """Per category: ``category, incidents, harm_weight, harm, matched``."""
        return self.by_category.copy()

    def summary_text(self) -> str:
        n = int(self.by_category["incidents"].sum()) if len(self.by_category) else 0
        left = sum(self.unmatched.values())
        text = (f"Harm weights from {Path(self.table_source).name}: {n - left:,} of {n:,} incidents matched a "
                f"category; total harm {self.by_category['harm'].sum():,.1f}.")
        if left:
            shown = ", ".join(f"{c} ({k:,})" for c, k in sorted(self.unmatched.items(), key=lambda t: -t[1])[:6])
            text += f" Not in the table, weighted 0: {shown}" + (" and more" if len(self.unmatched) > 6 else "") + "."
        return text


def harm_weighting(points: pd.DataFrame, table: HarmTable | str | os.PathLike,
                   unmatched_weight: float = 0.0) -> HarmResult:
    """Weight each incident by its category's harm (new frame; ``points`` is not changed).

    Parameters
    ----------
    points
        Incidents with ``category`` and optionally ``weight`` (default 1).
    table
        A :class:`HarmTable` or the path of a ``category,weight`` CSV.
    unmatched_weight
        Weight for categories not in the table (default 0: they add no harm; they are reported).

    Examples
    --------
    >>> pts = pd.DataFrame({"category": ["Robbery", "robbery ", "Drugs"], "weight": [1.0, 2.0, 1.0]})
    >>> r = harm_weighting(pts, HarmTable.from_mapping({"Robbery": 365}))
    >>> r.points["weight"].tolist(), r.unmatched
    ([365.0, 730.0, 0.0], {'Drugs': 1})
    """
    tab = table if isinstance(table, HarmTable) else read_harm_table(table)
    if "category" not in points.columns:
        raise SchemaError("incidents have no category column, so a harm table cannot be applied; "
                          "name it with --category-column.")
    out = points.copy()
    keys = _key(out["category"].to_numpy())
    w = keys.map(tab.weights).astype(float)
    matched = w.notna().to_numpy()
    base = pd.to_numeric(out["weight"], errors="coerce").fillna(1.0).to_numpy(float) if "weight" in out else 1.0
    out["weight"] = base * np.where(matched, w.fillna(0.0).to_numpy(float), float(unmatched_weight))
    cats = out["category"].astype("string").fillna("(blank)").to_numpy()
    per = pd.DataFrame({"category": cats, "matched": matched, "harm": out["weight"].to_numpy(float),
                        "harm_weight": np.where(matched, w.fillna(np.nan).to_numpy(float), float(unmatched_weight))})
    by = (per.groupby("category", sort=True)
          .agg(incidents=("harm", "size"), harm_weight=("harm_weight", "first"), harm=("harm", "sum"),
               matched=("matched", "first"))
          .reset_index())
    unmatched = {str(c): int(k) for c, k, m in zip(by["category"], by["incidents"], by["matched"]) if not m}
    return HarmResult(points=out, by_category=by, unmatched=unmatched, table_source=tab.source)


def apply_harm_weights(points: pd.DataFrame, table: HarmTable | str | os.PathLike,
                       unmatched_weight: float = 0.0) -> pd.DataFrame:
    """A new points frame whose ``weight`` is the incident's weight times its category's harm weight.

    See :func:`harm_weighting` for the report of unmatched categories.
    """
    return harm_weighting(points, table, unmatched_weight).points


def harm_weighted(incidents, table: HarmTable | str | os.PathLike):
    """An :class:`~placebased.io.incidents.IncidentSet` with harm-weighted points, and the one-line summary."""
    result = harm_weighting(incidents.points, table)
    return IncidentSet(result.points, incidents.report), result.summary_text()

"""Area profiles as PDF: one A4 page a commissioner can read, safe to hand to the public.

This module only lays out what it receives: :func:`draw_profile` draws a finished
:class:`ProfileRecord` (every number, verdict and sentence already computed and disclosure-controlled by
the orchestration, :func:`placebased.profile_record.profile_record`). Build and render profiles with
:mod:`placebased.profile_record` (``ProfileContext.build``, ``render_profile``, ``write_profiles_each``).

What the page shows and how hidden values are drawn
---------------------------------------------------
* counts from 1 to ``threshold - 1`` arrive as ``"<5"`` (for threshold 5) and secondary suppressions
  as ``"*"``; charts never draw a bar whose height would reveal a hidden count (hatched marker instead);
* incident locations are never drawn or listed;
* a *public* profile receives counts already rounded by :mod:`placebased.score.disclosure`'s public rules.
"""

from __future__ import annotations

import datetime as _dt
import io
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from placebased.outputs import report_sections as sections
from placebased.outputs.report_sections import number, radius_text  # noqa: F401  (re-exported for the orchestration)

#: IoD domains drawn in the decile chart, in order, with short labels
DECILE_ROWS: tuple[tuple[str, str], ...] = (
    ("imd", "IMD (overall)"),
    ("income", "Income"),
    ("employment", "Employment"),
    ("education", "Education & skills"),
    ("health", "Health & disability"),
    ("crime", "Crime"),
    ("barriers", "Housing & services"),
    ("living_env", "Living environment"),
    ("idaci", "Children in poverty"),
)

logging.getLogger("fpdf.svg").setLevel(logging.ERROR)


@dataclass(frozen=True)
class TextSection:
    """A titled block of text lines, each ``(kind, label, text)``: kind ``"label"`` (bold label, then text),
    ``"text"``, ``"muted"`` (grey), ``"note"`` / ``"small"`` / ``"fine"`` (smaller grey notes)."""

    title: str
    lines: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class ProfileRecord:
    """Everything one profile shows, finished (computed and disclosure-controlled by the orchestration).

    ``months``: dicts ``month, value, status, text`` (``value`` None or hidden when ``status`` is not
    ``"show"``); ``categories``: ``(category, value or None, text, hatched, note)`` or None when no incidents
    were loaded; ``total_line``: ``(text, is zero)``; ``deciles``: ``(label, area, county, England)``;
    ``members``: the rows of the group's table (None for one area) under ``member_heads``; ``decile_counts``:
    a group's deciles as a distribution (how many of its areas in each decile), never averaged.
    """

    codes: tuple[str, ...]
    title: str
    public: bool
    threshold: int
    date: _dt.date
    header_sub: str
    map_data: object
    map_bins: object  # gi_bin per area (a Series) or None
    key_heads: tuple[str, ...]
    key_rows: tuple[tuple[str, str, str, str], ...]
    key_note: str
    hotspots: TextSection
    priority: TextSection
    iod: int
    deciles: tuple
    month_title: str
    months: tuple[dict, ...]
    trend: str
    categories_title: str
    categories: tuple | None
    total_line: tuple[str, bool] | None
    provision: TextSection
    notes: TextSection
    disclosure: str
    sources: tuple[str, ...]
    members: tuple[tuple[str, ...], ...] | None = None
    member_heads: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()  # how this was worked out (analyst detail), at the foot of the page
    decile_counts: tuple | None = None  # a group: (label, areas in deciles 1..10, county median decile)
    meaning: str = ""  # "what this means", in plain words, at the top
    evaluation: TextSection | None = None  # "Did it work?" (on a page of its own)
    evaluation_table: tuple[tuple[str, str], ...] = ()
    evaluation_png: bytes | None = None  # targets vs comparisons over time


def fmt_count(value: float, status: str = "show", threshold: int = 5) -> str:
    """Text of a count under disclosure control."""
    if status == "primary":
        return f"<{threshold}"
    if status == "secondary":
        return "*"
    if status == "withheld":
        return "not shown"
    v = float(value)
    return f"{v:,.0f}" if v.is_integer() else f"{v:,.1f}"


def period_text(months: Sequence[str]) -> str:
    """``"Jan–Sep 2025"`` for a list of ``YYYY-MM`` months."""
    if not months:
        return "no dated incidents"
    f = _dt.datetime.strptime
    try:
        a, b = f(months[0], "%Y-%m"), f(months[-1], "%Y-%m")
        if a == b:
            return f"{a:%b %Y}"
        return f"{a:%b}\u2013{b:%b %Y}" if a.year == b.year else f"{a:%b %Y}\u2013{b:%b %Y}"
    except ValueError:
        return f"{months[0]} to {months[-1]}"


def draw_profile(record: ProfileRecord) -> bytes:
    """The PDF of one finished profile record, as bytes."""
    return sections.draw_pdf(record)


def safe_filename(code: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(code)) or "area"


def pdf_text(data: bytes) -> str:
    """All text of a PDF (pypdf), for tests and checks."""
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)

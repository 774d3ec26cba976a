"""Layout of the PDF profile (used by :mod:`placebased.outputs.report`): nothing here computes.

``draw_pdf`` lays out a finished :class:`placebased.outputs.report.ProfileRecord` on one A4 page:
header, the "what this means" sentence, map with legend, key figures beside the county and England,
hot spot and priority status, deprivation deciles, incidents by category and month, provision, notes,
an evaluation ("Did it work?") when there is one, sources and the disclosure footnote. Group profiles
get a table of their areas. All text is real text in an embedded Unicode font (DejaVu Sans); the map is SVG.
"""

from __future__ import annotations

import io
import re

import numpy as np
from fpdf import FPDF

from placebased import __version__
from placebased.io.places import ward_names
from placebased.outputs import style
from placebased.outputs.report_charts import (
    Cell,
    category_bars,
    decile_chart,
    decile_counts_chart,
    font,
    legend,
    monthly_bars,
    section_title,
    set_colour,
    text_at,
)

PAGE_W, PAGE_H = 210.0, 297.0
MARGIN = 11.0
BODY_W = PAGE_W - 2 * MARGIN
COL_GAP = 6.0
COL_W = (BODY_W - COL_GAP) / 2


# ---------------------------------------------------------------------------------------------
# page furniture


class ProfilePDF(FPDF):
    """A4 portrait with the brand fonts and a footer carrying the page number."""

    def __init__(self, footer_text: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        for s in ("", "B"):  # two faces only: each embedded font costs time per document
            self.add_font(style.FONT_NAME, s, str(style.font_path(s)))
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=14)
        self.footer_text = footer_text
        self.set_lang("en-GB")
        self.set_creator(f"placebased {__version__}")

    def footer(self):
        self.set_y(-10)
        font(self, 6.2, colour=style.BRAND["muted"])
        self.cell(BODY_W * 0.8, 4, self.footer_text)
        self.cell(BODY_W * 0.2, 4, f"Page {self.page_no()} of {{nb}}", align="R")


def para(pdf: FPDF, x: float, y: float, w: float, text: str, size: float = 7.2, bold: bool = False,
         colour: str | None = None, lh: float | None = None) -> float:
    """A wrapped paragraph; returns the y below it."""
    font(pdf, size, bold=bold, colour=colour)
    pdf.set_xy(x, y)
    pdf.multi_cell(w, lh or size * 0.46, text, align="L", new_x="LMARGIN", new_y="NEXT")
    return pdf.get_y()


def labelled(pdf: FPDF, x: float, y: float, w: float, label: str, text: str, size: float = 7.2) -> float:
    """``label: text`` with the label in bold, wrapped."""
    font(pdf, size)
    pdf.set_xy(x, y)
    pdf.multi_cell(w, size * 0.46, f"**{label}** {text}", markdown=True, align="L", new_x="LMARGIN",
                   new_y="NEXT")
    return pdf.get_y()


def number(v, digits: int = 0) -> str:
    """A number with thousands separators, or a dash when missing.

    >>> number(1234.5, 1), number(None), number(float("nan"))
    ('1,234.5', '—', '—')
    """
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "\u2014"
    return f"{v:,.{digits}f}"




_n = number


def radius_text(radius_m: float) -> str:
    return f"{radius_m / 1000:g} km" if radius_m >= 1000 else f"{radius_m:g} m"


# ---------------------------------------------------------------------------------------------
# the page


def draw_pdf(rec) -> bytes:
    """The PDF of a :class:`placebased.outputs.report.ProfileRecord`."""
    codes = rec.codes
    single = len(codes) == 1
    pdf = ProfilePDF(f"placebased {__version__} \u00b7 area profile \u00b7 {rec.title} \u00b7 {rec.date:%d %B %Y}")
    pdf.set_title(f"Area profile: {rec.title}")
    pdf.set_subject("Area profile for Serious Violence Duty partnership")
    pdf.set_author("placebased")
    pdf.set_keywords(" ".join(codes[:50]))
    pdf.add_page()
    _header(pdf, rec)
    y = 33.0
    x_l, x_r = MARGIN, MARGIN + COL_W + COL_GAP
    if rec.meaning:
        y = _meaning(pdf, rec.meaning, y)
    # map + legend (left), key figures + hot spots + priority (right)
    y_left = _map(pdf, rec, x_l, y, COL_W, 74.0 if single else 66.0)
    y_right = _key_figures(pdf, rec, x_r, y, COL_W)
    y_right = text_section(pdf, rec.hotspots, x_r, y_right + 2, COL_W)
    y_right = text_section(pdf, rec.priority, x_r, y_right + 2, COL_W)
    y = max(y_left, y_right) + 3
    y_left = section_title(pdf, x_l, y, COL_W, f"Deprivation: IoD {rec.iod} deciles in England")
    if rec.decile_counts:
        y_left = decile_counts_chart(pdf, x_l, y_left + 3, COL_W, rec.decile_counts, row_h=3.7)
    elif rec.deciles:
        y_left = decile_chart(pdf, x_l, y_left + 3, COL_W, rec.deciles)
    else:
        y_left = para(pdf, x_l, y_left, COL_W, "Deprivation indices not available for these areas.")
    y_left = _monthly(pdf, rec, x_l, y_left + 3, COL_W)
    y_left = text_section(pdf, rec.notes, x_l, y_left + 3, COL_W)
    y_right = _categories(pdf, rec, x_r, y, COL_W)
    y_right = text_section(pdf, rec.provision, x_r, y_right + 3, COL_W)
    y = max(y_left, y_right) + 3
    foot = _footer_height(pdf, rec, *FOOT_SIZES[-1])  # the notes at the foot in their smallest type
    members_here = not single and y + 9.8 + 3.7 * len(rec.members) + 1 + foot <= PAGE_H - 11
    if members_here:  # a small group: its areas on the first page
        y = _members_table(pdf, rec, y, new_page=False, row_h=3.7) + 1
    _footer_block(pdf, rec, y)
    y = MARGIN
    if rec.evaluation is not None:  # "Did it work?" on a page of its own (then the group's table, if not above)
        pdf.add_page()
        y = _evaluation(pdf, rec, MARGIN) + 4
    if not single and not members_here:
        _members_table(pdf, rec, y, new_page=rec.evaluation is None)
    return bytes(pdf.output())


def _evaluation(pdf, rec, y: float) -> float:
    """The evaluation: its text, the small table beside the chart of targets vs comparisons."""
    y = text_section(pdf, rec.evaluation, MARGIN, y, BODY_W) + 2
    top = y
    for i, (label, value) in enumerate(rec.evaluation_table):
        if i % 2 == 0:
            set_colour(pdf, style.BRAND["light"], "fill")
            pdf.rect(MARGIN, y, 60, 4.3, style="F")
        font(pdf, 7.0)
        text_at(pdf, MARGIN + 0.8, y, 36, 4.3, label)
        font(pdf, 7.0, bold=True)
        text_at(pdf, MARGIN + 36, y, 23.2, 4.3, value, align="R")
        y += 4.3
    if rec.evaluation_png:
        w = BODY_W - 66
        h = w / 2
        pdf.image(io.BytesIO(rec.evaluation_png), x=MARGIN + 66, y=top, w=w, h=h,
                  alt_text="Rate per 1,000 residents by month: target areas and matched comparison areas")
        y = max(y, top + h)
    return y


def _header(pdf, rec) -> None:
    set_colour(pdf, style.BRAND["primary"], "fill")
    pdf.rect(0, 0, PAGE_W, 28, style="F")
    font(pdf, 6.8, bold=True, colour="#cfe3f0")
    text_at(pdf, MARGIN, 4.5, BODY_W, 3.5, "AREA PROFILE" + (" \u00b7 PUBLIC VERSION" if rec.public
                                                            else " \u00b7 FOR PARTNERSHIP USE"))
    text_at(pdf, MARGIN, 4.5, BODY_W, 3.5, f"{rec.date:%d %B %Y}", align="R")
    font(pdf, 15, bold=True, colour="#ffffff")
    pdf.set_xy(MARGIN, 9)
    pdf.cell(BODY_W, 7, rec.title)
    font(pdf, 7.6, colour="#ffffff")
    pdf.set_xy(MARGIN, 17)
    pdf.multi_cell(BODY_W, 3.6, rec.header_sub, align="L", max_line_height=3.6)
    pdf.set_text_color(0, 0, 0)


def _meaning(pdf, text: str, y: float) -> float:
    """The "what this means" sentence in a light box across the page."""
    font(pdf, 7.6, bold=True)
    lines = pdf.multi_cell(BODY_W - 4, 3.6, text, dry_run=True, output="LINES")
    h = 3.6 * len(lines) + 2.2
    set_colour(pdf, style.BRAND["light"], "fill")
    pdf.rect(MARGIN, y, BODY_W, h, style="F")
    para(pdf, MARGIN + 2, y + 1.1, BODY_W - 4, text, size=7.6, bold=True, lh=3.6)
    return y + h + 2.5


def _legend_rows(pdf, x, y, w, items, size: float = 6.3) -> float:
    """:func:`legend` wrapped onto as many lines as it needs to stay within ``w`` (mm): no label runs
    past the map into the next column."""
    font(pdf, size)
    rows, row, used = [], [], 0.0
    for item in items:
        iw = 3.2 + pdf.get_string_width(item[2]) + 3.0  # as legend() advances
        if row and used + iw - 3.0 > w:
            rows.append(row)
            row, used = [], 0.0
        row.append(item)
        used += iw
    rows.append(row)
    for row in rows:
        y = legend(pdf, x, y, row, size=size)
    return y


def _map(pdf, rec, x, y, w, h) -> float:
    y = section_title(pdf, x, y, w, "Map: the area, its neighbours and hot spots")
    bins = rec.map_bins
    try:
        svg = rec.map_data.render(list(rec.codes), w, h, bins, fmt="svg")
        svg = re.sub(rb"<metadata>.*?</metadata>", b"", svg, flags=re.S)
        pdf.image(io.BytesIO(svg), x=x, y=y, w=w, h=h, alt_text="Map of the area and its neighbours")
    except Exception:  # noqa: BLE001 - fpdf2's SVG support is partial: fall back to PNG
        png = rec.map_data.render(list(rec.codes), w, h, bins, fmt="png", dpi=200)
        pdf.image(io.BytesIO(png), x=x, y=y, w=w, h=h, alt_text="Map of the area and its neighbours")
    y += h + 1.2
    items = [("box", "#ffffff", "profiled area (bold outline)")]
    if len(rec.map_data.provision_xy):
        items.append(("triangle", style.BRAND["provision"], "GP / NHS site"))
    if len(rec.map_data.lad_geoms):
        items.append(("tick", "#555555", "LA boundary"))
    y = _legend_rows(pdf, x, y, w, items)
    if bins is not None:
        gi = [("box", style.GI_BIN_COLOURS[b], lab) for b, lab in
              ((-3, "cold 99%"), (-2, "95%"), (-1, "90%"), (0, "not sig."), (1, "hot 90%"), (2, "95%"),
               (3, "99%"))]
        y = para(pdf, x, y, w, "Hot and cold spots, by confidence (two-sided):", size=6.0,
                 colour=style.BRAND["muted"])
        y = _legend_rows(pdf, x, y, w, gi, size=6.0)
    else:
        y = para(pdf, x, y, w, "Hot spot colours not available (no incident statistics).", size=6.2,
                 colour=style.BRAND["muted"])
    return y


def _key_figures(pdf, rec, x, y, w) -> float:
    y = section_title(pdf, x, y, w, "Key figures")
    font(pdf, 6.4, bold=True, colour=style.BRAND["muted"])
    cw = [w - 49, 17, 17, 15]
    cx = x
    for head, c in zip(rec.key_heads, cw):
        text_at(pdf, cx, y, c, 3.6, head, align="L" if cx == x else "R")
        cx += c
    y += 3.8
    for i, row in enumerate(rec.key_rows):
        if i % 2 == 0:
            set_colour(pdf, style.BRAND["light"], "fill")
            pdf.rect(x, y, w, 4.3, style="F")
        cx = x
        for j, (val, c) in enumerate(zip(row, cw)):
            font(pdf, 7.0, bold=(j == 1))
            text_at(pdf, cx + (0.8 if j == 0 else 0), y, c - (0.8 if j == 0 else 0.8), 4.3, val,
                    align="L" if j == 0 else "R")
            cx += c
        y += 4.3
    if not rec.key_note:
        return y
    return para(pdf, x, y + 0.4, w, rec.key_note, size=6.0, colour=style.BRAND["muted"], lh=2.6)


def text_section(pdf, section, x, y, w) -> float:
    """A :class:`placebased.outputs.report.TextSection`: its title, then each line in its kind's type."""
    y = section_title(pdf, x, y, w, section.title)
    muted = style.BRAND["muted"]
    for kind, label, text in section.lines:
        if kind == "label":
            y = labelled(pdf, x, y, w, label, text)
        elif kind == "text":
            y = para(pdf, x, y, w, text)
        elif kind == "muted":
            y = para(pdf, x, y, w, text, colour=muted)
        elif kind == "note":
            y = para(pdf, x, y + 0.3, w, text, size=6.3, colour=muted)
        elif kind == "small":
            y = para(pdf, x, y, w, text, size=6.6, colour=muted)
        else:  # "fine"
            y = para(pdf, x, y + 0.3, w, text, size=6.0, colour=muted, lh=2.6)
    return y


def _monthly(pdf, rec, x, y, w) -> float:
    y = section_title(pdf, x, y, w, rec.month_title)
    if not rec.months:
        return para(pdf, x, y, w, "No dated incidents loaded.", colour=style.BRAND["muted"])
    cells = [Cell(None if m["status"] != "show" else m["value"], m["text"], m["status"] != "show") for m in rec.months]
    y = monthly_bars(pdf, x, y + 0.5, w, 19.0 if rec.trend or len(rec.codes) > 1 else 24.0,
                     [m["month"] for m in rec.months], cells)
    if rec.trend:
        y = para(pdf, x, y + 0.5, w, rec.trend, size=6.3, colour=style.BRAND["muted"])
    return y


def _categories(pdf, rec, x, y, w) -> float:
    y = section_title(pdf, x, y, w, rec.categories_title)
    if rec.categories is None:
        return para(pdf, x, y, w, "No incident data loaded.", colour=style.BRAND["muted"])
    rows = [(cat, Cell(value, text, hatched), note) for cat, value, text, hatched, note in rec.categories]
    y = category_bars(pdf, x, y, w, rows)
    text, zero = rec.total_line
    font(pdf, 7.0, bold=True)
    text_at(pdf, x, y + 0.3, w, 3.8, text)
    if zero:
        return para(pdf, x, y + 4.5, w, "No incidents recorded in this area in the period.",
                    colour=style.BRAND["muted"])
    return y + 4.5


def _footer_texts(rec) -> list[str]:
    texts = [rec.disclosure]
    if rec.methods:
        texts.append("How this was worked out. " + " ".join(rec.methods))
    return texts + ["Sources: " + " ".join(rec.sources)]


FOOT_SIZES = ((6.2, 2.7), (5.6, 2.4), (5.0, 2.1))  # type size and line height of the notes at the foot


def _footer_height(pdf, rec, size: float = 6.2, lh: float = 2.7) -> float:
    """Height (mm) of the notes at the foot of the page at ``size``."""
    font(pdf, size)
    return sum(len(pdf.multi_cell(BODY_W, lh, t, dry_run=True, output="LINES")) * lh + 0.6
               for t in _footer_texts(rec)) + 1.5


def _footer_block(pdf, rec, y) -> None:
    """Disclosure, how it was worked out and sources, at the foot of the page (smaller type on a long page,
    a page of their own only when even that does not fit)."""
    bottom = PAGE_H - 11  # above the page footer line
    for size, lh in FOOT_SIZES:
        h = _footer_height(pdf, rec, size, lh)
        if y + h <= bottom:
            break
    else:
        pdf.add_page()
        y, (size, lh) = MARGIN, FOOT_SIZES[0]
        h = _footer_height(pdf, rec, size, lh)
    y = max(y, bottom - h)
    set_colour(pdf, style.BRAND["rule"], "draw")
    pdf.line(MARGIN, y, MARGIN + BODY_W, y)
    pdf.set_auto_page_break(True, margin=8)  # the notes may run to just above the page footer
    y += 1
    for t in _footer_texts(rec):
        y = para(pdf, MARGIN, y, BODY_W, t, size=size, colour=style.BRAND["muted"], lh=lh) + 0.6
    pdf.set_auto_page_break(True, margin=14)


#: width (mm) and alignment of each column the group's table may have
MEMBER_COLUMNS = {"Code": (19, "L"), "Name": (38, "L"), "Ward": (36, "L"), "Residents": (15, "R"),
                  "IMD decile": (15, "R"), "Incidents": (15, "R"), "per 1,000": (14, "R"), "Gi*": (10, "R"),
                  "LISA": (10, "R"), "Hot spot": (24, "R"), "Rank": (12, "R")}


def _fit(pdf, text: str, w: float) -> str:
    """``text`` shortened with an ellipsis to fit ``w`` mm in the current font (a cell never runs into the next)."""
    if pdf.get_string_width(text) <= w:
        return text
    while text and pdf.get_string_width(text + "\u2026") > w:
        text = text[:-1]
    return text.rstrip() + "\u2026"


def _with_wards(heads, rows):
    """The members' table with a "Ward" column after "Name" (each LSOA's electoral ward, from the shipped
    lookups: the ward people know); unchanged when the rows already carry one or no ward is known."""
    heads = list(heads)
    if "Ward" in heads or "Name" not in heads or not rows:
        return heads, [list(r) for r in rows]
    wards = ward_names([r[0] for r in rows])
    if wards.isna().all():
        return heads, [list(r) for r in rows]
    at = heads.index("Name") + 1
    heads.insert(at, "Ward")
    out = []
    for r in rows:
        w = wards.get(str(r[0]))
        out.append([*r[:at], w if isinstance(w, str) and w.strip() else "\u2014", *r[at:]])
    return heads, out


def _members_table(pdf, rec, y: float, new_page: bool, row_h: float = 4.1) -> float:
    """The group's table: one row per area (rows as received, already disclosure-controlled), on the first
    page below the sections or on a page of its own; returns the y below it."""
    if new_page:
        pdf.add_page()
    y = section_title(pdf, MARGIN, y, BODY_W, f"The {len(rec.codes)} areas of this profile")
    heads, members = _with_wards(rec.member_heads, rec.members)
    cols = [(head, *MEMBER_COLUMNS[head]) for head in heads]
    font(pdf, 6.6, bold=True, colour=style.BRAND["muted"])
    cx = MARGIN
    for head, cw, al in cols:
        text_at(pdf, cx, y, cw, 4, head, align=al)
        cx += cw
    y += 4.4
    for i, vals in enumerate(members):
        if y > PAGE_H - 18:
            pdf.add_page()
            y = MARGIN
        if i % 2 == 0:
            set_colour(pdf, style.BRAND["light"], "fill")
            pdf.rect(MARGIN, y, BODY_W, row_h, style="F")
        cx = MARGIN
        for (_, cw, al), v in zip(cols, vals):
            font(pdf, 6.8)
            text_at(pdf, cx + 0.6, y, cw - 1.2, row_h, _fit(pdf, str(v), cw - 1.4), align=al)
            cx += cw
        y += row_h
    return y

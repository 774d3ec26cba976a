"""Charts for the PDF profiles, drawn directly with fpdf2 primitives.

Drawing bars and labels with the PDF's own vector operators keeps every label real, selectable
text (screen readers and text extraction see it), keeps the charts sharp at any zoom and costs
almost nothing per profile. Suppressed values never get a bar of their own height: they are drawn
as a fixed-size hatched box labelled ``<5`` (or ``*`` for secondary suppression).

Values are passed as :class:`Cell` objects: ``value`` is the number (None when suppressed or not
available) and ``text`` the label to print.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fpdf import FPDF

from placebased.outputs import style


@dataclass(frozen=True)
class Cell:
    """A value to chart: ``value`` None means suppressed/not shown; ``text`` is what is printed."""

    value: float | None
    text: str
    suppressed: bool = False


def set_colour(pdf: FPDF, colour: str, what: str = "fill") -> None:
    r, g, b = style.rgb(colour)
    if what == "fill":
        pdf.set_fill_color(r, g, b)
    elif what == "draw":
        pdf.set_draw_color(r, g, b)
    else:
        pdf.set_text_color(r, g, b)


def font(pdf: FPDF, size: float, bold: bool = False, italic: bool = False, colour: str | None = None) -> None:  # noqa: ARG001
    pdf.set_font(style.FONT_NAME, "B" if bold else "", size)  # italic is drawn as muted regular text
    set_colour(pdf, colour or style.BRAND["text"], "text")


def text_at(pdf: FPDF, x: float, y: float, w: float, h: float, text: str, align: str = "L") -> None:
    """One line of text in the box (x, y, w, h), vertically centred."""
    pdf.set_xy(x, y)
    pdf.cell(w, h, text, align=align)


def hatched_box(pdf: FPDF, x: float, y: float, w: float, h: float) -> None:
    """A box with diagonal hatching: the marker of a suppressed value."""
    set_colour(pdf, style.BRAND["suppressed"], "draw")
    pdf.set_line_width(0.15)
    with pdf.rect_clip(x, y, w, h):
        step = 0.9
        k = -h
        while k < w:
            pdf.line(x + k, y + h, x + k + h, y)
            k += step
    pdf.set_line_width(0.2)
    pdf.rect(x, y, w, h, style="D")


def section_title(pdf: FPDF, x: float, y: float, w: float, text: str) -> float:
    """A section heading with a rule under it; returns the y below it."""
    font(pdf, 8.6, bold=True, colour=style.BRAND["primary"])
    text_at(pdf, x, y, w, 4.2, text)
    set_colour(pdf, style.BRAND["accent"], "draw")
    pdf.set_line_width(0.35)
    pdf.line(x, y + 4.4, x + w, y + 4.4)
    pdf.set_line_width(0.2)
    return y + 5.4


def _decile_scale(pdf: FPDF, x: float, y: float, w: float, label_w: float) -> tuple[float, float, float, float]:
    """The 1..10 scale above a decile chart; returns (scale x, scale width, cell width, y below it)."""
    scale_x = x + label_w
    scale_w = w - label_w - 8
    cell_w = scale_w / 10
    font(pdf, 6.2, colour=style.BRAND["muted"])
    for d in range(1, 11):
        text_at(pdf, scale_x + (d - 1) * cell_w, y, cell_w, 3, str(d), align="C")
    text_at(pdf, scale_x, y - 2.6, scale_w / 2, 3, "\u2190 more deprived", align="L")
    text_at(pdf, scale_x + scale_w / 2, y - 2.6, scale_w / 2, 3, "less deprived \u2192", align="R")
    return scale_x, scale_w, cell_w, y + 3.2


def decile_chart(pdf: FPDF, x: float, y: float, w: float, rows: Sequence[tuple[str, float | None, float | None,
                                                                              float | None]],
                 row_h: float = 4.1, label_w: float = 33.0) -> float:
    """Dot chart of deciles 1..10: one row per domain.

    ``rows``: (label, area decile, county mean decile, England mean decile); None = not available.
    The area's decile is a filled circle (its cell shaded), the county mean a purple diamond and
    England a dark tick. Returns the y below the chart (legend included).
    """
    scale_x, scale_w, cell_w, y = _decile_scale(pdf, x, y, w, label_w)
    for label, area, county, england in rows:
        font(pdf, 7.0)
        text_at(pdf, x, y, label_w - 1, row_h, label)
        for d in range(1, 11):
            shade = style.DECILE_COLOURS[d] if area is not None and round(area) == d else "#f1f3f5"
            set_colour(pdf, shade, "fill")
            set_colour(pdf, "#ffffff", "draw")
            pdf.rect(scale_x + (d - 1) * cell_w, y + 0.5, cell_w, row_h - 1, style="DF")
        cy = y + row_h / 2

        def pos(v: float) -> float:
            return scale_x + (min(max(v, 1.0), 10.0) - 0.5) * cell_w

        if england is not None:
            set_colour(pdf, style.BRAND["england"], "draw")
            pdf.set_line_width(0.5)
            pdf.line(pos(england), y + 0.2, pos(england), y + row_h - 0.2)
            pdf.set_line_width(0.2)
        if county is not None:
            cx = pos(county)
            set_colour(pdf, style.BRAND["county"], "fill")
            set_colour(pdf, "#ffffff", "draw")
            pdf.polygon([(cx, cy - 1.3), (cx + 1.3, cy), (cx, cy + 1.3), (cx - 1.3, cy)], style="DF")
        if area is not None:
            ax = pos(area)
            set_colour(pdf, style.BRAND["text"], "fill")
            set_colour(pdf, "#ffffff", "draw")
            pdf.circle(ax, cy, 1.15, style="DF")
            font(pdf, 6.6, bold=True)
            txt = f"{area:.0f}" if float(area).is_integer() else f"{area:.1f}"
            text_at(pdf, scale_x + scale_w + 0.8, y, 8, row_h, txt)
        else:
            font(pdf, 6.2, colour=style.BRAND["muted"])
            text_at(pdf, scale_x + scale_w + 0.8, y, 8, row_h, "n/a")
        y += row_h
    return legend(pdf, x, y + 0.8, [("dot", style.BRAND["text"], "this area"),
                                    ("diamond", style.BRAND["county"], "county median"),
                                    ("tick", style.BRAND["england"], "England middle (5.5)")])


def decile_counts_chart(pdf: FPDF, x: float, y: float, w: float, rows: Sequence[tuple[str, Sequence[int],
                                                                                      float | None]],
                        row_h: float = 4.1, label_w: float = 33.0) -> float:
    """A group's deciles as a distribution: one row per domain, each decile cell shaded (decile colour) when
    some of the group's areas are in it and labelled with how many; the county median a purple diamond.

    ``rows``: (label, counts of areas in deciles 1..10, county median decile or None).
    """
    scale_x, scale_w, cell_w, y = _decile_scale(pdf, x, y, w, label_w)
    for label, counts, county in rows:
        font(pdf, 7.0)
        text_at(pdf, x, y, label_w - 1, row_h, label)
        for d in range(1, 11):
            n = counts[d - 1]
            set_colour(pdf, style.DECILE_COLOURS[d] if n else "#f1f3f5", "fill")
            set_colour(pdf, "#ffffff", "draw")
            pdf.rect(scale_x + (d - 1) * cell_w, y + 0.5, cell_w, row_h - 1, style="DF")
            if n:
                font(pdf, 6.4, bold=True, colour="#ffffff" if d in (1, 2, 9, 10) else style.BRAND["text"])
                text_at(pdf, scale_x + (d - 1) * cell_w, y + 0.5, cell_w, row_h - 1, str(n), align="C")
        if county is not None:
            cx = scale_x + (min(max(county, 1.0), 10.0) - 0.5) * cell_w
            cy = y + row_h - 0.9
            set_colour(pdf, style.BRAND["county"], "fill")
            set_colour(pdf, "#ffffff", "draw")
            pdf.polygon([(cx, cy - 0.9), (cx + 0.9, cy), (cx, cy + 0.9), (cx - 0.9, cy)], style="DF")
        font(pdf, 6.2, colour=style.BRAND["muted"])
        text_at(pdf, scale_x + scale_w + 0.8, y, 8, row_h, str(sum(counts)))
        y += row_h
    font(pdf, 6.2, colour=style.BRAND["muted"])
    return legend(pdf, x, y + 0.8, [("box", style.DECILE_COLOURS[3], "number of the group's areas in the decile"),
                                    ("diamond", style.BRAND["county"], "county median")])


def legend(pdf: FPDF, x: float, y: float, items: Sequence[tuple[str, str, str]], size: float = 6.3) -> float:
    """A one-line legend: items are (kind, colour, label) with kind dot/diamond/tick/box/hatch."""
    font(pdf, size, colour=style.BRAND["muted"])
    cx = x
    for kind, colour, label in items:
        my = y + 1.6
        if kind == "dot":
            set_colour(pdf, colour, "fill")
            pdf.circle(cx + 1.2, my, 1.0, style="F")
        elif kind == "diamond":
            set_colour(pdf, colour, "fill")
            pdf.polygon([(cx + 1.2, my - 1.1), (cx + 2.3, my), (cx + 1.2, my + 1.1), (cx + 0.1, my)], style="F")
        elif kind == "tick":
            set_colour(pdf, colour, "draw")
            pdf.set_line_width(0.5)
            pdf.line(cx + 1.2, my - 1.3, cx + 1.2, my + 1.3)
            pdf.set_line_width(0.2)
        elif kind == "hatch":
            hatched_box(pdf, cx, my - 1.2, 2.6, 2.4)
        elif kind == "triangle":
            set_colour(pdf, colour, "fill")
            pdf.polygon([(cx + 1.2, my - 1.2), (cx + 2.4, my + 1.0), (cx, my + 1.0)], style="F")
        else:
            set_colour(pdf, colour, "fill")
            set_colour(pdf, "#9a9a9a", "draw")
            pdf.rect(cx, my - 1.2, 2.6, 2.4, style="DF")
        font(pdf, size, colour=style.BRAND["muted"])
        tw = pdf.get_string_width(label)
        text_at(pdf, cx + 3.2, y, tw + 1, 3.2, label)
        cx += 3.2 + tw + 3.0
    return y + 3.6


def category_bars(pdf: FPDF, x: float, y: float, w: float, rows: Sequence[tuple[str, Cell, str]],
                  row_h: float = 3.7, label_w: float = 42.0, note_w: float = 17.0, colour: str | None = None) -> float:
    """Horizontal bars: (label, cell, note) per row; the note (e.g. "1.8x county") is printed right.

    Bar lengths are scaled to the largest shown value; suppressed cells get a hatched marker of a
    fixed width whatever their value. Returns the y below the chart.
    """
    colour = colour or style.BRAND["accent"]
    bar_x = x + label_w
    bar_w = w - label_w - note_w - 9
    shown = [c.value for _, c, _ in rows if c.value is not None and not c.suppressed]
    vmax = max(shown) if shown and max(shown) > 0 else 1.0
    for label, cell, note in rows:
        font(pdf, 6.8)
        text_at(pdf, x, y, label_w - 1, row_h, _fit(pdf, label, label_w - 1.5))
        if cell.suppressed:
            hatched_box(pdf, bar_x, y + 0.6, 4.0, row_h - 1.2)
            font(pdf, 6.6, bold=True, colour=style.BRAND["muted"])
            text_at(pdf, bar_x + 4.8, y, 10, row_h, cell.text)
        elif cell.value is None:
            font(pdf, 6.4, italic=True, colour=style.BRAND["muted"])
            text_at(pdf, bar_x, y, bar_w, row_h, cell.text)
        else:
            bw = bar_w * float(cell.value) / vmax
            if bw > 0:
                set_colour(pdf, colour, "fill")
                pdf.rect(bar_x, y + 0.6, max(bw, 0.3), row_h - 1.2, style="F")
            font(pdf, 6.6, bold=True)
            text_at(pdf, bar_x + bw + 0.8, y, 12, row_h, cell.text)
        if note:
            font(pdf, 6.2, colour=style.BRAND["muted"])
            text_at(pdf, x + w - note_w, y, note_w, row_h, note, align="R")
        y += row_h
    return y


def monthly_bars(pdf: FPDF, x: float, y: float, w: float, h: float, months: Sequence[str],
                 cells: Sequence[Cell], colour: str | None = None) -> float:
    """Vertical bars per month; suppressed months get a short hatched marker labelled ``<5``."""
    colour = colour or style.BRAND["primary"]
    n = max(len(months), 1)
    shown = [c.value for c in cells if c.value is not None and not c.suppressed]
    vmax = max(shown) if shown and max(shown) > 0 else 1.0
    label_h, value_h = 3.2, 3.0
    plot_h = h - label_h - value_h
    base = y + value_h + plot_h
    slot = w / n
    bw = slot * 0.68
    set_colour(pdf, style.BRAND["rule"], "draw")
    pdf.line(x, base, x + w, base)
    for i, (m, c) in enumerate(zip(months, cells)):
        bx = x + i * slot + (slot - bw) / 2
        if c.suppressed:
            hatched_box(pdf, bx, base - 3.0, bw, 3.0)
            font(pdf, 6.0, bold=True, colour=style.BRAND["muted"])
            text_at(pdf, x + i * slot, base - 3.0 - value_h, slot, value_h, c.text, align="C")
        elif c.value is not None:
            bh = plot_h * float(c.value) / vmax
            if bh > 0:
                set_colour(pdf, colour, "fill")
                pdf.rect(bx, base - bh, bw, bh, style="F")
            font(pdf, 6.0, bold=True)
            text_at(pdf, x + i * slot, base - bh - value_h, slot, value_h, c.text, align="C")
        font(pdf, 6.0, colour=style.BRAND["muted"])
        text_at(pdf, x + i * slot, base + 0.3, slot, label_h, _month_label(m), align="C")
    return base + label_h + 0.5


def _month_label(month: str) -> str:
    names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    try:
        yr, mo = month.split("-")
        return f"{names[int(mo) - 1]} {yr[2:]}"
    except (ValueError, IndexError):
        return str(month)


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """Shorten ``text`` with an ellipsis so it fits ``width`` at the current font."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "\u2026") > width:
        text = text[:-1]
    return text.rstrip() + "\u2026"

"""The needs-assessment PDF: a multi-page county report a partnership could publish as its annual refresh.

:func:`placebased.profile_record.needs_context` gathers what the report shows (the
:class:`placebased.score.sna.SNAResult`, the priority score from the pipeline, provision reach and gaps, county
maps, the published counts of its tables); :func:`render_report` only lays it out
with the profiles' page furniture, fonts and chart helpers (:mod:`placebased.outputs.report_sections`,
:mod:`placebased.outputs.report_charts`, :mod:`placebased.outputs.staticmap`). Sections from partner-data modules
(monitoring, community-voice coverage, A&E times, harm weighting) are included when those modules and
their inputs exist, and otherwise listed as not included.

Disclosure: every count printed arrives published by the one public rule
(:func:`placebased.score.disclosure.public_row`, applied by the orchestration:
rounded to base 5, small counts hidden, secondary suppression against the row total, so a hidden count
cannot be worked out from it); shares and rates are worked out from the rounded counts, and one built
on a hidden count is not printed. No incident location and no per-area count is shown.
"""

from __future__ import annotations

import datetime as _dt
import io
import zipfile
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from placebased import __version__
from placebased.categories import GROUPS
from placebased.errors import ConfigError
from placebased.io.areas import DOMAIN_LABELS
from placebased.io.export import table_bytes
from placebased.outputs import style
from placebased.outputs.report import period_text
from placebased.outputs.report_charts import font, hatched_box, legend, section_title, set_colour, text_at
from placebased.outputs.report_sections import BODY_W, MARGIN, PAGE_H, ProfilePDF, para, radius_text

#: sections drawn from partner-data modules: (module, title, what it needs)
PARTNER_SECTIONS = (
    ("monitoring", "Monitoring the Home Office measures", "police (and hospital) records mapped to the Serious "
                                                          "Violence Duty measures"),
    ("survey", "Community voice: who the survey reached", "survey responses with postcodes (--survey FILE)"),
    ("partner_times", "A&E and partner data: when violence happens", "A&E (ISTV) or partner records with "
                                                                     "arrival times (--ae FILE)"),
    ("harm", "Harm-weighted counts", "a crime-harm table of category and weight (--harm FILE)"),
)
TIER_ORDER = ("top 5%", "top 10%", "top 20%")


@dataclass
class SNAContext:
    """Everything the report draws (any optional part may be None; the report then says so)."""

    areas: gpd.GeoDataFrame
    result: object  # SNAResult
    score_frame: pd.DataFrame | None = None
    score_settings: dict | None = None
    score_note: str | None = None
    provision: gpd.GeoDataFrame | None = None
    provision_label: str = "Provision sites"
    reach: pd.DataFrame | None = None
    gap_summary: str | None = None
    gaps: pd.Series | None = None
    map_data: object = None
    county_name: str = "All areas loaded"
    sources: list[str] = field(default_factory=list)
    partner: dict[str, dict] = field(default_factory=dict)  # module -> {"title", "lines", "table"}
    notes: list[str] = field(default_factory=list)
    threshold: int = 5  # the disclosure threshold the tables were published for
    published: dict = field(default_factory=dict)  # domain -> DecileTexts of its decile table
    lad_texts: list[str] = field(default_factory=list)  # published incidents of each row of by_lad_frame()
    disclosure_note: str = ""


@dataclass(frozen=True)
class DecileTexts:
    """A decile table as published: the table with shares and rates worked out from the rounded counts,
    the count texts, the total text and which counts are hidden."""

    table: pd.DataFrame
    counts: pd.Series
    total: str
    hidden: pd.Series


def sentence(text: str) -> str:
    """``text`` with its first letter upper case (the rest unchanged, unlike ``str.capitalize``).

    >>> sentence("rate ratio of decile 1")
    'Rate ratio of decile 1'
    """
    return text[:1].upper() + text[1:]


# ---------------------------------------------------------------------------------------------
# the tables (CLI --tables and the app's download)


def table_frames(result) -> dict[str, pd.DataFrame]:
    """File name -> table of an :class:`placebased.score.sna.SNAResult` (``by_decile.csv`` and
    ``concentration.csv`` are the contract of ``placebased sna --tables``)."""
    frames = {
        "by_decile.csv": result.to_frame(),
        "concentration.csv": result.concentration_frame(),
        "by_lad.csv": result.by_lad_frame(),
        "rate_ratio.csv": result.rate_ratio_frame(),
        "lorenz.csv": result.overall.lorenz,
    }
    if result.domains:
        frames["by_domain.csv"] = result.domain_frame()
    return frames


def tables_zip(result) -> bytes:
    """The tables as one ZIP of CSV files (formulas defused by :func:`placebased.io.export.table_bytes`)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, frame in table_frames(result).items():
            zf.writestr(name, table_bytes(frame, index=False))
    return buf.getvalue()


def is_hidden(text: str) -> bool:
    return "<" in text or "*" in text


# ---------------------------------------------------------------------------------------------
# rendering


def pct(v, digits: int = 1) -> str:
    return "\u2014" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{v * 100:.{digits}f}%"


def num(v, digits: int = 0) -> str:
    if v is None or (isinstance(v, float) and (np.isnan(v) or np.isinf(v))):
        return "\u2014"
    return f"{v:,.{digits}f}"


def _period(result) -> str:
    return period_text(list(result.months)) if result.months else "all dates"


def what(result) -> str:
    cats = set(result.categories)
    for gid, g in GROUPS.items():
        if gid != "all" and cats and cats == set(g["police_uk"]):
            return g["label"].split(" (")[0]
    return ", ".join(result.categories) if result.categories else "All recorded incidents"


def render_report(ctx: SNAContext, threshold: int | None = None, date: _dt.date | None = None) -> bytes:
    """The needs-assessment PDF as bytes (see the module docstring); ``threshold`` is the one the context's
    tables were published for (:func:`placebased.profile_record.needs_context`)."""
    if threshold is not None and threshold != ctx.threshold:
        raise ConfigError(f"the report's tables were published for threshold {ctx.threshold}, not {threshold}; "
                          "build the context with that threshold.")
    threshold = ctx.threshold
    date = date or _dt.date.today()
    r = ctx.result
    pdf = ProfilePDF(f"placebased {__version__} \u00b7 needs assessment \u00b7 {ctx.county_name} \u00b7 "
                     f"{_period(r)} \u00b7 {date:%d %B %Y}")
    pdf.set_title(f"Needs assessment: {ctx.county_name}, {_period(r)}")
    pdf.set_subject("Strategic needs assessment: deprivation and concentration of serious violence")
    pdf.set_author("placebased")
    pdf.add_page()
    _cover(pdf, ctx, date, threshold)
    pdf.add_page()
    pdf.insert_toc_placeholder(lambda p, outline: _contents(p, outline, ctx), pages=1)
    _deprivation(pdf, ctx)
    _concentration(pdf, ctx)
    _maps(pdf, ctx)
    _partner(pdf, ctx)
    _methods(pdf, ctx)
    return bytes(pdf.output())


def _heading(pdf, text: str, level: int = 0, y: float | None = None) -> float:
    """A section heading that also enters the contents and the PDF outline; returns the y below it."""
    if y is None:
        y = pdf.get_y()
    pdf.set_xy(MARGIN, y)
    pdf.start_section(text, level=level)
    if level == 0:
        return _big_title(pdf, text, y) - 1
    return section_title(pdf, MARGIN, y, BODY_W, text) + 1


def _cover(pdf, ctx, date, threshold) -> None:
    r = ctx.result
    set_colour(pdf, style.BRAND["primary"], "fill")
    pdf.rect(0, 0, 210, 92, style="F")
    font(pdf, 8, bold=True, colour="#cfe3f0")
    text_at(pdf, MARGIN, 12, BODY_W, 4, "SERIOUS VIOLENCE DUTY \u00b7 STRATEGIC NEEDS ASSESSMENT \u00b7 ANNUAL REFRESH")
    font(pdf, 24, bold=True, colour="#ffffff")
    pdf.set_xy(MARGIN, 24)
    pdf.multi_cell(BODY_W, 10, "Where violence concentrates: deprivation and place", align="L")
    font(pdf, 14, colour="#ffffff")
    text_at(pdf, MARGIN, 50, BODY_W, 7, ctx.county_name)
    font(pdf, 10, colour="#cfe3f0")
    text_at(pdf, MARGIN, 60, BODY_W, 5, f"{what(r)} \u00b7 {_period(r)}")
    text_at(pdf, MARGIN, 67, BODY_W, 5, f"{len(r.counts):,} areas \u00b7 published {date:%d %B %Y}")
    y = 102
    font(pdf, 11, bold=True, colour=style.BRAND["primary"])
    text_at(pdf, MARGIN, y, BODY_W, 6, "Headline figures")
    y += 9
    h = r.headline()
    rr = r.deciles.rate_ratio
    rr_text = num(rr.rr, 1) + ("\u00d7" if not np.isnan(rr.rr) else "")
    rr_sub = (f"the rate per 1,000 residents in decile {rr.most}, compared with decile {rr.least}" +
              (f" (95% CI {rr.lower:.1f}\u2013{rr.upper:.1f})" if not np.isnan(rr.lower) else " (no interval)"))
    tiles = [
        (pct(h["share_deciles_1_2"]), "of incidents were in the most deprived 20% of neighbourhoods in England "
                                       f"(IMD deciles 1\u20132), home to {pct(h['residents_deciles_1_2'])} of "
                                       "residents"),
        (rr_text, rr_sub),
        (pct(h["share_top_10pct"], 0), "of incidents were in the 10% of neighbourhoods with most incidents"),
        (num(h["gini"], 2), "Gini coefficient of incidents across neighbourhoods (0 = even, 1 = all in one); "
                             f"{pct(h['share_areas_with_incidents'], 0)} of neighbourhoods recorded at least one"),
    ]
    tw = (BODY_W - 6) / 2
    for i, (big, small) in enumerate(tiles):
        x = MARGIN + (i % 2) * (tw + 6)
        ty = y + (i // 2) * 33
        set_colour(pdf, style.BRAND["light"], "fill")
        pdf.rect(x, ty, tw, 29, style="F")
        set_colour(pdf, style.BRAND["accent"], "fill")
        pdf.rect(x, ty, 1.6, 29, style="F")
        font(pdf, 20, bold=True, colour=style.BRAND["primary"])
        text_at(pdf, x + 5, ty + 3, tw - 8, 9, big)
        para(pdf, x + 5, ty + 14, tw - 9, small, size=8, lh=3.7)
    y += 2 * 33 + 4
    text = (f"This report counts {what(r).lower()} recorded in {ctx.county_name} ({_period(r)}; "
            f"{num(r.incidents)} incidents) by the deprivation of the neighbourhood (LSOA) where they happened, "
            "and shows how far incidents concentrate in a few neighbourhoods. It is produced by placebased from "
            "open data and can be refreshed every year with the same method. Small counts are suppressed "
            f"(below {threshold}); no incident location is shown.")
    para(pdf, MARGIN, y, BODY_W, text, size=8.6, lh=4.2)


def _contents(pdf, outline, ctx) -> None:
    y = _big_title(pdf, "Contents", MARGIN)
    for sec in outline:
        if sec.level > 1:
            continue
        size = 10 if sec.level == 0 else 8.6
        font(pdf, size, bold=sec.level == 0)
        x = MARGIN + (0 if sec.level == 0 else 6)
        text_at(pdf, x, y, BODY_W - 20 - (x - MARGIN), 5.5, sec.name)
        text_at(pdf, MARGIN + BODY_W - 20, y, 20, 5.5, str(sec.page_number), align="R")
        set_colour(pdf, style.BRAND["rule"], "draw")
        pdf.line(x, y + 5.6, MARGIN + BODY_W, y + 5.6)
        y += 6.6 if sec.level == 0 else 5.8
    y += 6
    font(pdf, 10, bold=True, colour=style.BRAND["primary"])
    text_at(pdf, MARGIN, y, BODY_W, 5, "Key findings")
    y += 7
    for line in key_findings(ctx):
        y = para(pdf, MARGIN + 3, y, BODY_W - 3, "\u2022 " + line, size=8.6, lh=4.2) + 1.5


def _big_title(pdf, text: str, y: float) -> float:
    """A page title with a thick rule under it; returns the y below it."""
    font(pdf, 13, bold=True, colour=style.BRAND["primary"])
    text_at(pdf, MARGIN, y, BODY_W, 7, text)
    set_colour(pdf, style.BRAND["accent"], "draw")
    pdf.set_line_width(0.6)
    pdf.line(MARGIN, y + 7.6, MARGIN + BODY_W, y + 7.6)
    pdf.set_line_width(0.2)
    return y + 11


def key_findings(ctx) -> list[str]:
    """The summary sentences of the report (plain English, figures rounded)."""
    r = ctx.result
    h = r.headline()
    d = r.deciles
    rr = d.rate_ratio
    out = [f"{pct(h['share_deciles_1_2'])} of {what(r).lower()} happened in the most deprived 20% of "
           f"neighbourhoods in England (IMD deciles 1\u20132), where {pct(h['residents_deciles_1_2'])} of "
           f"{ctx.county_name}'s residents live."]
    if not np.isnan(rr.rr):
        ci = f" (95% interval {rr.lower:.1f} to {rr.upper:.1f})" if not np.isnan(rr.lower) else ""
        out.append(f"The rate per 1,000 residents in decile {rr.most} was {rr.rr:.1f} times the rate in decile "
                   f"{rr.least}{ci}.")
    out.append(f"The 10% of neighbourhoods with most incidents recorded {pct(h['share_top_10pct'], 0)} of them; "
               f"the Gini coefficient is {h['gini']:.2f}. {pct(h['share_areas_with_incidents'], 0)} of "
               "neighbourhoods recorded at least one incident.")
    for code, conc in r.by_lad.items():
        top10 = pct(conc.share_top(0.10), 0) if 0.10 in r.settings.shares else "\u2014"
        out.append(f"{r.lad_names.get(code, code)}: top 10% of its neighbourhoods recorded {top10} of its incidents, "
                   f"Gini {num(conc.gini, 2)}.")
    if ctx.score_frame is not None:
        n_top = int((ctx.score_frame["tier"].astype(str) == "top 10%").sum() +
                    (ctx.score_frame["tier"].astype(str) == "top 5%").sum())
        if n_top:
            out.append(f"{n_top} neighbourhoods are in the top 10% of the priority score (map in section 3).")
    if ctx.gap_summary:
        out.append(sentence(ctx.gap_summary) + ".")
    return out


# -- section 1 -----------------------------------------------------------------------------------


def _deprivation(pdf, ctx) -> None:
    r = ctx.result
    if pdf.page_no() < 3:  # the contents placeholder already moved to a fresh page
        pdf.add_page()
    y = _heading(pdf, "1. Deprivation: incidents by IMD decile", y=MARGIN)
    iod, _n_lsoa, residents = _vintage_words(ctx.areas)
    y = para(pdf, MARGIN, y, BODY_W, f"{what(r)}, {_period(r)}, by the Index of Multiple Deprivation {iod} decile "
             "of the neighbourhood where each was recorded (decile 1 = the most deprived 10% of neighbourhoods in "
             f"England). Rates are per 1,000 residents ({residents}).", size=8.2, lh=3.9) + 2
    y = _heading(pdf, "Rate per 1,000 residents by decile", level=1, y=y)
    y = decile_rate_chart(pdf, MARGIN, y, BODY_W, 58, ctx.published["imd"]) + 4
    y = _heading(pdf, "Incidents and residents by decile", level=1, y=y)
    y = decile_table(pdf, MARGIN, y, BODY_W, ctx.published["imd"]) + 2
    rr = r.deciles.rate_ratio
    text = sentence(rr.describe()) + f". Method: {rr.method}." + "".join(f" {n}" for n in rr.notes)
    y = para(pdf, MARGIN, y, BODY_W, text, size=7.6, lh=3.6)
    for n in r.deciles.notes:
        y = para(pdf, MARGIN, y + 0.5, BODY_W, n, size=7.2, colour=style.BRAND["muted"], lh=3.3)
    for dom, table in r.domains.items():
        if y > PAGE_H - 95:
            pdf.add_page()
            y = MARGIN
        y = _heading(pdf, f"By {DOMAIN_LABELS.get(dom, dom)} domain decile", level=1, y=y + 3)
        y = decile_table(pdf, MARGIN, y, BODY_W, ctx.published[dom]) + 1
        y = para(pdf, MARGIN, y, BODY_W, sentence(table.rate_ratio.describe()) + "." +
                 "".join(f" {n}" for n in table.rate_ratio.notes), size=7.4, lh=3.5)


def decile_rate_chart(pdf, x, y, w, h, pub: DecileTexts) -> float:
    """Vertical bars of the rate per 1,000 by decile (decile colours); hidden counts get a hatched marker."""
    t, counts, hidden = pub.table, pub.counts, pub.hidden
    col = t.columns[0]
    rates = [None if hidden[i] or np.isnan(v) else float(v) for i, v in t["rate_per_1000"].items()]
    vmax = max([v for v in rates if v is not None] or [1.0]) or 1.0
    label_h, value_h, axis_w = 8.0, 4.0, 10.0
    plot_h = h - label_h - value_h
    base = y + value_h + plot_h
    x0 = x + axis_w
    slot = (w - axis_w) / 10
    bw = slot * 0.62
    set_colour(pdf, style.BRAND["rule"], "draw")
    step = _nice_step(vmax)
    for tick in np.arange(step, vmax * 1.0001, step):
        frac = tick / vmax
        gy = base - plot_h * frac
        pdf.set_dash_pattern(dash=0.6, gap=0.8)
        pdf.line(x0, gy, x + w, gy)
        pdf.set_dash_pattern()
        font(pdf, 6.4, colour=style.BRAND["muted"])
        text_at(pdf, x, gy - 1.6, axis_w - 1, 3.2, num(tick, 0), align="R")
    pdf.line(x0, base, x + w, base)
    county_rate = float(t["incidents"].sum()) / float(t["residents"].sum()) * 1000 if t["residents"].sum() else None
    if county_rate:
        cy = base - plot_h * min(county_rate / vmax, 1.0)
        set_colour(pdf, style.BRAND["county"], "draw")
        pdf.set_line_width(0.5)
        pdf.line(x0, cy, x + w, cy)
        pdf.set_line_width(0.2)
        font(pdf, 6.4, bold=True, colour=style.BRAND["county"])
        text_at(pdf, x + w - 40, cy - 3.6, 40, 3.2, f"all areas: {county_rate:.1f}", align="R")
    present = {int(d): i for i, d in enumerate(t[col])}
    for d in range(1, 11):
        bx = x0 + (d - 1) * slot + (slot - bw) / 2
        font(pdf, 7.4, bold=True)
        text_at(pdf, x0 + (d - 1) * slot, base + 0.5, slot, 3.6, str(d), align="C")
        if d not in present:
            font(pdf, 6.2, colour=style.BRAND["muted"])
            text_at(pdf, x0 + (d - 1) * slot, base - 4, slot, 3.2, "no areas", align="C")
            continue
        i = present[d]
        v = rates[i]
        if v is None:
            hatched_box(pdf, bx, base - 3.5, bw, 3.5)
            font(pdf, 6.6, bold=True, colour=style.BRAND["muted"])
            text_at(pdf, x0 + (d - 1) * slot, base - 3.5 - value_h, slot, value_h, counts.iloc[i], align="C")
            continue
        bh = plot_h * v / vmax
        set_colour(pdf, style.DECILE_COLOURS[d], "fill")
        pdf.rect(bx, base - bh, bw, bh, style="F")
        font(pdf, 7.0, bold=True)
        label = num(v, 1)
        lw = pdf.get_string_width(label) + 1.2
        set_colour(pdf, "#ffffff", "fill")
        pdf.rect(x0 + (d - 0.5) * slot - lw / 2, base - bh - value_h + 0.4, lw, value_h - 0.8, style="F")
        text_at(pdf, x0 + (d - 1) * slot, base - bh - value_h, slot, value_h, label, align="C")
    font(pdf, 6.6, colour=style.BRAND["muted"])
    text_at(pdf, x0, base + 4.2, (w - axis_w) / 2, 3.2, "\u2190 decile 1: most deprived 10% in England")
    text_at(pdf, x0 + (w - axis_w) / 2, base + 4.2, (w - axis_w) / 2, 3.2, "decile 10: least deprived \u2192",
            align="R")
    return base + label_h


def _nice_step(vmax: float) -> float:
    """A round gridline step giving 2-5 lines up to ``vmax``."""
    for power in range(-2, 7):
        for mult in (1, 2, 2.5, 5):
            step = mult * 10.0 ** power
            if vmax / step <= 5:
                return step
    return vmax


def decile_table(pdf, x, y, w, pub: DecileTexts) -> float:
    """The decile table with suppressed counts (shares and rates of hidden counts not shown)."""
    t, counts, total, hidden = pub.table, pub.counts, pub.total, pub.hidden
    cols = [("Decile", 0.12, "L"), ("Incidents", 0.16, "R"), ("Share of incidents", 0.19, "R"),
            ("Residents", 0.17, "R"), ("Share of residents", 0.19, "R"), ("Rate per 1,000", 0.17, "R")]
    rows = []
    for i, row in t.reset_index(drop=True).iterrows():
        hid = bool(hidden.iloc[i])
        rows.append([str(int(row.iloc[0])), counts.iloc[i], "\u2014" if hid else pct(row["share_incidents"]),
                     num(row["residents"]), pct(row["share_residents"]),
                     "\u2014" if hid else num(row["rate_per_1000"], 1)])
    tot_r = float(t["residents"].sum())
    rate = t.attrs["total_value"] / tot_r * 1000 if tot_r else np.nan  # the rounded total
    rows.append(["All", total, "100%", num(tot_r), "100%", "\u2014" if is_hidden(total) else num(rate, 1)])
    return grid_table(pdf, x, y, w, cols, rows, total_row=True)


def grid_table(pdf, x, y, w, cols, rows, total_row: bool = False, size: float = 7.6, row_h: float = 4.4) -> float:
    """A table of text: ``cols`` are (heading, width fraction, align); banded rows; the last row bold
    above a rule when ``total_row``. Returns the y below it."""
    font(pdf, size - 0.6, bold=True, colour=style.BRAND["muted"])
    cx = x
    for head, f, al in cols:
        text_at(pdf, cx + 0.8, y, w * f - 1.6, 4.2, head, align=al)
        cx += w * f
    y += 4.6
    for i, vals in enumerate(rows):
        last = total_row and i == len(rows) - 1
        if last:
            set_colour(pdf, style.BRAND["rule"], "draw")
            pdf.line(x, y, x + w, y)
        elif i % 2 == 0:
            set_colour(pdf, style.BRAND["light"], "fill")
            pdf.rect(x, y, w, row_h, style="F")
        cx = x
        for (_, f, al), v in zip(cols, vals):
            font(pdf, size, bold=last)
            text_at(pdf, cx + 0.8, y, w * f - 1.6, row_h, str(v), align=al)
            cx += w * f
        y += row_h
    return y


# -- section 2 -----------------------------------------------------------------------------------


def _concentration(pdf, ctx) -> None:
    r = ctx.result
    pdf.add_page()
    y = _heading(pdf, "2. Concentration: how few neighbourhoods hold most incidents", y=MARGIN)
    y = para(pdf, MARGIN, y, BODY_W, "Neighbourhoods are ranked by their number of incidents (not their rate). "
             "The share held by the top 5%, 10% and 20% of neighbourhoods, and the Lorenz curve, show how unevenly "
             "incidents are spread: if every neighbourhood had the same count the curve would follow the diagonal "
             "and the Gini coefficient would be 0.", size=8.2, lh=3.9) + 2
    y = _heading(pdf, "Lorenz curve", level=1, y=y)
    y = lorenz_chart(pdf, MARGIN + 20, y + 1, BODY_W - 40, 78, r) + 4
    y = _heading(pdf, "Share of incidents in the top neighbourhoods, by local authority", level=1, y=y)
    y = lad_table(pdf, MARGIN, y, BODY_W, r, ctx.lad_texts) + 2
    para(pdf, MARGIN, y, BODY_W, "Method: " + r.overall.method + "; the top p of n neighbourhoods are the "
         "ceil(p\u00b7n) with most incidents (ties do not change the share). Within a local authority the "
         "ranking is over its own neighbourhoods." + "".join(f" {n}" for n in r.overall.notes), size=7.2,
         colour=style.BRAND["muted"], lh=3.4)


LAD_COLOURS = ("#0f7c80", "#d95f02", "#7570b3", "#e7298a", "#66a61e")


def lorenz_chart(pdf, x, y, w, h, result) -> float:
    """Lorenz curves (all areas bold, each local authority thinner) with the line of equality."""
    axis = 10.0
    px, pw, ph = x + axis, w - axis, h - 10
    base = y + ph
    set_colour(pdf, style.BRAND["rule"], "draw")
    pdf.rect(px, y, pw, ph, style="D")
    for f in (0.25, 0.5, 0.75):
        pdf.set_dash_pattern(dash=0.5, gap=0.8)
        pdf.line(px + pw * f, y, px + pw * f, base)
        pdf.line(px, base - ph * f, px + pw, base - ph * f)
        pdf.set_dash_pattern()
    font(pdf, 6.4, colour=style.BRAND["muted"])
    for f in (0, 0.25, 0.5, 0.75, 1.0):
        text_at(pdf, px + pw * f - 5, base + 0.4, 10, 3.2, f"{f:.0%}", align="C")
        text_at(pdf, x, base - ph * f - 1.6, axis - 1, 3.2, f"{f:.0%}", align="R")
    set_colour(pdf, style.BRAND["england"], "draw")
    pdf.set_dash_pattern(dash=1.2, gap=1.0)
    pdf.line(px, base, px + pw, y)
    pdf.set_dash_pattern()

    def curve(lz, colour, lw):
        pts = [(px + pw * a, base - ph * b) for a, b in zip(lz["share_of_areas"], lz["share_of_incidents"])
               if not np.isnan(b)]
        if len(pts) > 1:
            set_colour(pdf, colour, "draw")
            pdf.set_line_width(lw)
            pdf.polyline(pts)
            pdf.set_line_width(0.2)

    items = []
    for i, (code, conc) in enumerate(result.by_lad.items()):
        colour = LAD_COLOURS[i % len(LAD_COLOURS)]
        curve(conc.lorenz, colour, 0.45)
        items.append(("tick", colour, f"{result.lad_names.get(code, code)} (Gini {num(conc.gini, 2)})"))
    curve(result.overall.lorenz, style.BRAND["primary"], 0.9)
    items.insert(0, ("tick", style.BRAND["primary"], f"all areas (Gini {num(result.overall.gini, 2)})"))
    items.append(("tick", style.BRAND["england"], "equal spread"))
    # the top 10% marker: share of incidents outside the top 10% of areas
    font(pdf, 6.8, colour=style.BRAND["muted"])
    text_at(pdf, px, base + 3.6, pw, 3.2, "share of neighbourhoods, fewest incidents first", align="C")
    with pdf.rotation(90, x + 1.5, y + ph / 2):
        text_at(pdf, x + 1.5 - ph / 2, y + ph / 2 - 3.5, ph, 3.2, "share of incidents", align="C")
    return legend(pdf, px, base + 7.5, items, size=6.8)


def lad_table(pdf, x, y, w, result, texts: list[str]) -> float:
    frame = result.by_lad_frame()
    share_cols = [c for c in frame.columns if c.startswith("share_top_")]
    cols = [("Local authority", 0.30, "L"), ("Areas", 0.09, "R"), ("Incidents", 0.12, "R")]
    cols += [(f"Top {c[10:-3]}%", 0.11, "R") for c in share_cols]
    cols += [("Gini", 0.09, "R"), ("With any", 0.0, "R")]
    rest = 1 - sum(f for _, f, _ in cols)
    cols[-1] = ("With any", rest, "R")
    rows = []
    for i, row in frame.iterrows():
        hid = is_hidden(texts[i])
        vals = [str(row["lad_name"]), num(row["areas"]), texts[i]]
        vals += ["\u2014" if hid else pct(row[c], 0) for c in share_cols]
        rows.append(vals + ["\u2014" if hid else num(row["gini"], 2), pct(row["share_areas_with_incidents"], 0)])
    y = grid_table(pdf, x, y, w, cols, rows, total_row=True)
    return para(pdf, x, y + 0.8, w, "Top p%: share of the authority's incidents in its p% of neighbourhoods with most "
                "incidents. With any: share of neighbourhoods that recorded at least one incident.", size=6.8,
                colour=style.BRAND["muted"], lh=3.1)


# -- section 3 -----------------------------------------------------------------------------------


def authority_lines(areas: gpd.GeoDataFrame, close_m: float = 5.0, min_area_m2: float = 1e6) -> list[np.ndarray]:
    """Outlines of the local authorities as coordinate arrays: each authority's areas merged with a
    ``close_m`` buffer (so slivers between generalised polygons do not leave stray lines), holes smaller
    than ``min_area_m2`` dropped."""
    if "lad_code" not in areas.columns or areas["lad_code"].nunique() < 2:
        return []
    out = []
    for _code, part in areas.groupby("lad_code"):
        merged = shapely.union_all(shapely.buffer(part.geometry.to_numpy(), close_m)).buffer(-close_m)
        for poly in getattr(merged, "geoms", [merged]):
            if poly.geom_type != "Polygon" or poly.area < min_area_m2:
                continue
            out.append(np.asarray(shapely.simplify(poly.exterior, 20.0).coords))
    return out


def county_map(map_data, faces: dict[str, str], width_mm: float, height_mm: float, outline: list[str] | None = None,
               provision: bool = False, dpi: int = 170, lad_lines: list[np.ndarray] | None = None) -> bytes:
    """PNG of every area filled with ``faces`` (code -> colour), ``lad_lines`` (:func:`authority_lines`),
    provision triangles and bold outlines of ``outline`` codes; scale bar and north arrow from
    :class:`placebased.outputs.staticmap.MapData`."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import PathCollection
    from matplotlib.figure import Figure

    from placebased.outputs.staticmap import MM_PER_INCH

    b = map_data.bounds
    x0, y0, x1, y1 = b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()
    aspect = width_mm / height_mm
    pad = 0.03 * max(x1 - x0, y1 - y0)
    w, h = x1 - x0 + 2 * pad, y1 - y0 + 2 * pad
    if w / h < aspect:
        w = h * aspect
    else:
        h = w / aspect
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    xmin, xmax, ymin, ymax = cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2
    fig = Figure(figsize=(width_mm / MM_PER_INCH, height_mm / MM_PER_INCH))
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_aspect("equal", adjustable="box")
    cols = [faces.get(str(c), "#eef0f2") for c in map_data.codes]
    ax.add_collection(PathCollection(map_data.paths, facecolors=cols, edgecolors="#ffffff", linewidths=0.25,
                                     zorder=1), autolim=False)
    for xy in lad_lines or []:
        ax.plot(xy[:, 0], xy[:, 1], color="#333333", lw=0.9, zorder=3)
    if outline:
        sel = [map_data.paths[i] for i in np.flatnonzero(np.isin(map_data.codes, outline))]
        ax.add_collection(PathCollection(sel, facecolors="none", edgecolors="#111111", linewidths=0.9, zorder=4),
                          autolim=False)
    if provision and len(map_data.provision_xy):
        xy = map_data.provision_xy
        ax.scatter(xy[:, 0], xy[:, 1], marker="^", s=9, c=style.BRAND["provision"], edgecolors="white",
                   linewidths=0.35, zorder=6)
    map_data._furniture(ax, xmin, xmax, ymin, ymax)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _tier_faces(score_frame: pd.DataFrame) -> tuple[dict[str, str], list[tuple[str, str]]]:
    tiers = score_frame["tier"].astype(str)
    palette = {"top 5%": style.TIER_COLOURS["very high"], "top 10%": style.TIER_COLOURS["high"],
               "top 20%": style.TIER_COLOURS["medium"]}
    faces = {str(c): palette.get(t, "#e3e7eb") for c, t in tiers.items()}
    present = [t for t in palette if (tiers == t).any()]
    items = [(palette[t], t) for t in present] + [("#e3e7eb", "other areas")]
    return faces, items


def _maps(pdf, ctx) -> None:
    pdf.add_page()
    y = _heading(pdf, "3. Priority neighbourhoods and provision", y=MARGIN)
    sf = ctx.score_frame
    if sf is None or ctx.map_data is None:
        para(pdf, MARGIN, y, BODY_W, "Priority score not available for these areas.", colour=style.BRAND["muted"])
        return
    s = ctx.score_settings or {}
    y = para(pdf, MARGIN, y, BODY_W, f"The priority score combines deprivation, incidents and their hot spots with "
             f"the weights of the scenario {s.get('scenario', '?')!r} ({s.get('normalisation', '?')} normalisation; "
             f"rank intervals from {s.get('draws', 0):,} weight draws, seed {s.get('seed', '?')}); it is the same "
             "score as the app and 'placebased score'." + (f" Note: {ctx.score_note}." if ctx.score_note else ""),
             size=7.8, lh=3.7) + 2
    faces, items = _tier_faces(sf)
    mw, mh = BODY_W * 0.58, 100.0
    y = _heading(pdf, "Priority neighbourhoods (score classes)", level=1, y=y)
    lines = authority_lines(ctx.areas)
    png = county_map(ctx.map_data, faces, mw, mh, lad_lines=lines)
    pdf.image(io.BytesIO(png), x=MARGIN, y=y, w=mw, h=mh, alt_text="Map of priority neighbourhoods")
    legend(pdf, MARGIN, y + mh + 1, [("box", c, lab) for c, lab in items] + [("tick", "#333333", "LA boundary")],
           size=6.8)
    lx = MARGIN + mw + 4
    top = sf[sf["rank"].notna()].sort_values("rank").head(15)
    font(pdf, 7.4, bold=True, colour=style.BRAND["primary"])
    text_at(pdf, lx, y, BODY_W - mw - 4, 4, "Highest priority neighbourhoods")
    ty = y + 5
    for code, row in top.iterrows():
        name = str(ctx.areas.at[code, "area_name"]) if "area_name" in ctx.areas else str(code)
        dec = ctx.areas.at[code, "imd_decile"] if "imd_decile" in ctx.areas else None
        font(pdf, 6.9, bold=True)
        text_at(pdf, lx, ty, 7, 4.6, f"{int(row['rank'])}")
        font(pdf, 6.9)
        text_at(pdf, lx + 7, ty, BODY_W - mw - 11, 4.6, f"{name}" + (f" (decile {int(dec)})" if pd.notna(dec) else ""))
        ty += 4.6
    y += mh + 8
    y = _heading(pdf, "Provision and gaps", level=1, y=y)
    faces2 = {c: ("#f4a582" if ctx.gaps is not None and bool(ctx.gaps.get(c, False)) else col)
              for c, col in ((c, "#eef0f2") for c in faces)}
    top_codes = [str(c) for c, t in sf["tier"].astype(str).items() if t in TIER_ORDER[:1]]
    mh2 = min(100.0, PAGE_H - 28 - y)
    png2 = county_map(ctx.map_data, faces2, mw, mh2, outline=top_codes, provision=True, lad_lines=lines)
    pdf.image(io.BytesIO(png2), x=MARGIN, y=y, w=mw, h=mh2, alt_text="Map of provision and gaps")
    legend(pdf, MARGIN, y + mh2 + 1, [("triangle", style.BRAND["provision"], "provision site"),
                                      ("box", "#f4a582", "gap: top priority, none within reach"),
                                      ("box", "#ffffff", "top 5% outlined")], size=6.8)
    radius = radius_text(float((ctx.reach.attrs.get("settings", {}) if ctx.reach is not None else {}).get(
        "radius_m", 1000)))
    text = (f"{ctx.provision_label}: {len(ctx.provision) if ctx.provision is not None else 0:,} sites. "
            + (sentence(ctx.gap_summary) + "." if ctx.gap_summary else
               "Gaps not computed.")
            + f" A gap is a top-priority neighbourhood with no site within {radius} of its centre. Replace the "
              "example sites with the partnership's own provision (youth services, outreach) for a real picture.")
    para(pdf, lx, y, BODY_W - mw - 4, text, size=7.2, lh=3.5)


# -- section 4 and methods ----------------------------------------------------------------------


def _partner(pdf, ctx) -> None:
    pdf.add_page()
    y = _heading(pdf, "4. Partner data: monitoring, community voice, A&E and harm", y=MARGIN)
    y = para(pdf, MARGIN, y, BODY_W, "These sections use data the partners bring (police extracts with knife flags, "
             "hospital and A&E records, survey responses, a crime-harm table). Each appears when its data was "
             "given to this report.", size=8.0, lh=3.8) + 2
    for name, _title, _needs in PARTNER_SECTIONS:
        sec = ctx.partner.get(name, {"title": _title, "lines": ["Not included."]})
        if y > PAGE_H - 40:
            pdf.add_page()
            y = MARGIN
        y = _heading(pdf, sec["title"], level=1, y=y + 1)
        for line in sec.get("lines", []):
            y = para(pdf, MARGIN, y, BODY_W, str(line), size=7.6, lh=3.6) + 0.6
        table = sec.get("table")
        if isinstance(table, pd.DataFrame) and len(table):
            if y > PAGE_H - 30 - 4.1 * min(len(table), 20):
                pdf.add_page()
                y = MARGIN
            y = _plain_table(pdf, MARGIN, y + 1, BODY_W, table.head(20)) + 2
        if sec.get("png"):
            y = _figure(pdf, sec["png"], y, sec.get("caption", ""))


def _figure(pdf, png: bytes, y: float, caption: str, max_w: float = BODY_W, max_h: float = 95.0) -> float:
    """A PNG at its aspect ratio (at most ``max_w`` x ``max_h`` mm; a new page when it does not fit)."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        ratio = im.height / im.width
    w = min(max_w, max_h / ratio)
    h = w * ratio
    if y + h + 8 > PAGE_H - 16:
        pdf.add_page()
        y = MARGIN
    pdf.image(io.BytesIO(png), x=MARGIN, y=y + 1, w=w, h=h, alt_text=caption or "chart")
    y += h + 2
    if caption:
        y = para(pdf, MARGIN, y, BODY_W, caption, size=6.8, colour=style.BRAND["muted"], lh=3.1)
    return y + 2


def _plain_table(pdf, x, y, w, frame: pd.DataFrame) -> float:
    """A small table of already-disclosure-controlled text (partner sections)."""
    f = 1 / max(len(frame.columns), 1)
    cols = [(str(c)[:30], f, "L" if j == 0 else "R") for j, c in enumerate(frame.columns)]
    rows = [[_cell_text(v)[:40] for v in row] for row in frame.itertuples(index=False)]
    return grid_table(pdf, x, y, w, cols, rows, size=6.9, row_h=4.1)


def _cell_text(v) -> str:
    if isinstance(v, float) and not float(v).is_integer():
        return f"{v:,.2f}"
    return f"{v:,.0f}" if isinstance(v, int | float) else str(v)


def _methods(pdf, ctx) -> None:
    r = ctx.result
    pdf.add_page()
    y = _heading(pdf, "5. Methods, disclosure and sources", y=MARGIN)
    iod, n_lsoa, residents = _vintage_words(ctx.areas)
    items = [
        ("What was counted.", f"{what(r)} ({', '.join(r.categories) or 'all categories'}), {_period(r)}: "
                              f"{num(r.incidents)} incidents located in the {len(r.counts):,} neighbourhoods. "
                              "On police.uk data, serious violence is the proxy Violence and sexual offences + "
                              "Robbery + Possession of weapons; police.uk publishes no finer offence types."),
        ("Deprivation.", f"English Indices of Deprivation {iod} (MHCLG): the decile of each neighbourhood among all "
                         f"{n_lsoa} LSOAs in England (1 = most deprived 10%). Residents: {residents}."),
        ("Rate ratio.", f"{r.deciles.rate_ratio.method}. The ratio compares the most and least deprived deciles "
                        "present in these areas. It describes an association, not a cause."),
        ("Concentration.", sentence(r.overall.method) + "; Gini = 2\u00b7\u03a3 i\u00b7x(i) / "
                           "(n\u00b7\u03a3 x) \u2212 (n + 1)/n over counts sorted ascending (0: every "
                           "neighbourhood the same; (n\u22121)/n: all incidents in one)."),
        ("Priority score.", "The existing placebased scoring (see 'placebased score --help'); hot spot statistics "
                            f"behind it: {ctx.score_settings.get('draws', '?') if ctx.score_settings else '?'} "
                            "weight draws; Gi* with permutation inference as stated in the app and CLI outputs."),
        ("Disclosure control.", ctx.disclosure_note + " Shares and rates built on a hidden count are not "
                                "shown. No incident location and no count for a single neighbourhood appears in "
                                "this report; police.uk locations are anonymised map points in any case."),
        ("Data not counted.", " ".join(r.notes) or "None."),
        ("Reproduce.", "placebased sna --tables DIR --out sna.pdf writes these tables (by_decile.csv, "
                       "concentration.csv, by_lad.csv, rate_ratio.csv, lorenz.csv) and this report."),
    ]
    for label, text in items:
        y = _labelled(pdf, MARGIN, y, BODY_W, label, text) + 1.2
    y += 2
    y = _heading(pdf, "Sources", level=1, y=y)
    for s in ctx.sources:
        y = para(pdf, MARGIN, y, BODY_W, "\u2022 " + s, size=7.4, lh=3.5)
    para(pdf, MARGIN, y + 2, BODY_W, "Contains public sector information licensed under the Open Government Licence "
         "v3.0. Source: Office for National Statistics; Ministry of Housing, Communities and Local Government; "
         "data.police.uk; NHS England. Contains OS data \u00a9 Crown copyright and database right 2025. Contains "
         "Royal Mail data \u00a9 Royal Mail copyright and database right 2025.", size=7.0,
         colour=style.BRAND["muted"], lh=3.3)


def _vintage_words(areas) -> tuple[str, str, str]:
    """(IoD year, LSOAs in England, residents' source) for the areas' vintage."""
    if areas.attrs.get("vintage", 2025) == 2019:
        return "2019", "32,844", "mid-2015 population, the IoD2019 denominator"
    return "2025", "33,755", "Census 2021 usual residents"


def _labelled(pdf, x, y, w, label, text) -> float:
    font(pdf, 7.8)
    pdf.set_xy(x, y)
    pdf.multi_cell(w, 3.7, f"**{_md(label)}** {_md(text)}", markdown=True, align="L", new_x="LMARGIN", new_y="NEXT")
    return pdf.get_y()


def _md(text: str) -> str:
    """Text for fpdf2's markdown mode: its markers (``**``, ``__``, ``--``, ``~~``) are broken up."""
    for m in ("**", "__", "--", "~~"):
        text = text.replace(m, m[0] + "\u200b" + m[1])
    return text

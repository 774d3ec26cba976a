"""Layout of the PDF profile (used by :mod:`placebased.outputs.report`), and adapters to optional modules.

``draw_pdf`` lays out one A4 page: header, map with legend, key figures beside the county and
England, hot spot and priority status, deprivation deciles, incidents by category and month,
provision, notes, sources and the disclosure footnote. Group profiles get a table of their areas
on page 2. All text is real text in an embedded Unicode font (DejaVu Sans); the map is SVG.
"""

from __future__ import annotations

import datetime as _dt
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from fpdf import FPDF

from placebased import __version__
from placebased.categories import group_of, is_sensitive
from placebased.outputs import style
from placebased.outputs.report_charts import (
    Cell,
    category_bars,
    decile_chart,
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
FOOTER_Y = 262.0
ELLIPSIS = " \u2026"
CORRECTIONS = {"fdr": "FDR (Benjamini-Hochberg)", "bonferroni": "Bonferroni", "none": "none"}


# ---------------------------------------------------------------------------------------------
# adapters to modules written elsewhere (each returns None when the module or data is missing)


def run_scoring(scoring, ctx, scenario):  # noqa: ARG001 - kept for callers; the pipeline scores
    """Scores of every area: (frame, settings, indicator labels), as the score command computes them
    (:func:`placebased.pipeline.score_areas_with`: catalogue of the areas' vintage, Gi* z on queen)."""
    from placebased.pipeline import score_areas_with
    from placebased.score.scenario import Scenario, default_scenario

    if scenario is None:
        scenario = default_scenario()
    elif not isinstance(scenario, Scenario):
        scenario = Scenario.load(scenario)
    res, _table, _note = score_areas_with(ctx.areas, ctx.counts, scenario)
    return res.to_frame(), res.settings(), dict(res.labels)


def default_provision(areas=None) -> gpd.GeoDataFrame | None:
    """The shipped example provision (NHS prescribing cost centres) via :mod:`placebased.io.provision`;
    None for ``areas`` other than the shipped Northamptonshire ones (the example lists no site there)."""
    from placebased.io.geography import defaults_apply

    if not defaults_apply(areas):
        return None
    try:
        from placebased.io.provision import example_provision
    except ImportError:
        return None
    return example_provision("nhs")


def provision_reach(areas: gpd.GeoDataFrame, points: gpd.GeoDataFrame, near_m: float) -> pd.DataFrame:
    """Per area: ``in_area``, ``within_radius`` (sites within ``near_m`` of the area centre), ``nearest_m``.

    Uses :func:`placebased.score.reach.reach` when present (area centres as it defines them), else
    distances from the area polygon.
    """
    try:
        from placebased.score.reach import reach
    except ImportError:
        reach = None
    if reach is not None:
        return reach(areas, points, radius_m=near_m)
    geoms = areas.geometry.to_numpy()
    pts = points.geometry[points.geometry.notna()].to_numpy()
    tree = shapely.STRtree(pts)
    a_in, _ = tree.query(geoms, predicate="contains")
    a_near, _ = tree.query(geoms, predicate="dwithin", distance=near_m)
    idx = tree.query_nearest(geoms, all_matches=False)
    dist = np.full(len(geoms), np.nan)
    dist[idx[0]] = shapely.distance(geoms[idx[0]], pts[idx[1]])
    out = pd.DataFrame({"in_area": np.bincount(a_in, minlength=len(geoms)),
                        "within_radius": np.bincount(a_near, minlength=len(geoms)), "nearest_m": dist},
                       index=areas.index)
    out.attrs["settings"] = {"radius_m": float(near_m), "centres": "area edge"}
    return out


def provision_gaps(reach_frame: pd.DataFrame, score_frame: pd.DataFrame | None) -> pd.Series | None:
    """Gap flag per area (priority tier and no provision within the radius), or None."""
    if score_frame is None or "tier" not in score_frame:
        return None
    try:
        from placebased.score.reach import gaps
    except ImportError:
        return None
    try:
        return gaps(reach_frame, score_frame["tier"]).table["gap"]
    except (ValueError, KeyError):
        return None


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


def _n(v, digits: int = 0) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "\u2014"
    return f"{v:,.{digits}f}"


# ---------------------------------------------------------------------------------------------
# the page


def draw_pdf(ctx, figs: dict, group_name: str | None, date: _dt.date) -> bytes:
    codes = figs["codes"]
    single = len(codes) == 1
    a = ctx.areas.loc[codes]
    title = figs["names"][0] if single else (group_name or f"Group of {len(codes)} areas")
    pdf = ProfilePDF(f"placebased {__version__} \u00b7 area profile \u00b7 {title} \u00b7 {date:%d %B %Y}")
    pdf.set_title(f"Area profile: {title}")
    pdf.set_subject("Area profile for Serious Violence Duty partnership")
    pdf.set_author("placebased")
    pdf.set_keywords(" ".join(codes[:50]))
    pdf.add_page()
    _header(pdf, figs, a, title, single, date)
    y = 33.0
    x_l, x_r = MARGIN, MARGIN + COL_W + COL_GAP
    # map + legend (left), key figures + hot spots + priority (right)
    y_left = _map(pdf, ctx, codes, x_l, y, COL_W, 74.0)
    y_right = _key_figures(pdf, ctx, figs, a, x_r, y, COL_W)
    y_right = _hotspots(pdf, ctx, codes, x_r, y_right + 2, COL_W)
    y_right = _priority(pdf, ctx, codes, x_r, y_right + 2, COL_W)
    y = max(y_left, y_right) + 3
    iod = ctx.areas.attrs.get("vintage", 2025)
    y_left = section_title(pdf, x_l, y, COL_W, f"Deprivation: IoD {iod} deciles in England")
    y_left = decile_chart(pdf, x_l, y_left + 3, COL_W, figs["deciles"]) if figs["deciles"] else para(
        pdf, x_l, y_left, COL_W, "Deprivation indices not available for these areas.")
    y_left = _monthly(pdf, figs, x_l, y_left + 3, COL_W, ctx)
    y_right = _categories(pdf, ctx, figs, x_r, y, COL_W)
    y = max(y_left, y_right) + 3
    y_left = _provision(pdf, ctx, codes, x_l, y, COL_W)
    y_right = _notes(pdf, ctx, codes, x_r, y, COL_W)
    _footer_block(pdf, ctx, figs, max(y_left, y_right) + 3)
    if not single:
        _members_table(pdf, ctx, figs)
    return bytes(pdf.output())


def _header(pdf, figs, a, title, single, date) -> None:
    set_colour(pdf, style.BRAND["primary"], "fill")
    pdf.rect(0, 0, PAGE_W, 28, style="F")
    font(pdf, 6.8, bold=True, colour="#cfe3f0")
    text_at(pdf, MARGIN, 4.5, BODY_W, 3.5, "AREA PROFILE" + (" \u00b7 PUBLIC VERSION" if figs["public"]
                                                            else " \u00b7 FOR PARTNERSHIP USE"))
    text_at(pdf, MARGIN, 4.5, BODY_W, 3.5, f"{date:%d %B %Y}", align="R")
    font(pdf, 15, bold=True, colour="#ffffff")
    pdf.set_xy(MARGIN, 9)
    pdf.cell(BODY_W, 7, title)
    lads = a[["lad_name", "lad_code"]].drop_duplicates() if {"lad_name", "lad_code"} <= set(a.columns) else None
    la_text = "; ".join(f"{n} ({c})" for n, c in lads.itertuples(index=False)) if lads is not None else ""
    if single:
        kind = "LSOA 2021" if str(codes_first := figs["codes"][0]).startswith(("E01", "W01")) else "Area"
        sub = f"{kind} {codes_first} \u00b7 {la_text}" if la_text else f"{kind} {codes_first}"
    else:
        shown = figs["codes"][:8]
        more = len(figs["codes"]) - len(shown)
        sub = f"{len(figs['codes'])} areas: {', '.join(shown)}" + (f" and {more} more (page 2)" if more else "")
        sub += f" \u00b7 {la_text}" if la_text else ""
    font(pdf, 7.6, colour="#ffffff")
    pdf.set_xy(MARGIN, 17)
    pdf.multi_cell(BODY_W, 3.6, sub, align="L", max_line_height=3.6)
    pdf.set_text_color(0, 0, 0)


def _map(pdf, ctx, codes, x, y, w, h) -> float:
    y = section_title(pdf, x, y, w, "Map: the area, its neighbours and hot spots")
    bins = ctx.hotspot_frame["gi_bin"] if ctx.hotspot_frame is not None and "gi_bin" in ctx.hotspot_frame else None
    try:
        svg = ctx.map_data.render(codes, w, h, bins, fmt="svg")
        svg = re.sub(rb"<metadata>.*?</metadata>", b"", svg, flags=re.S)
        import io

        pdf.image(io.BytesIO(svg), x=x, y=y, w=w, h=h, alt_text="Map of the area and its neighbours")
    except Exception:  # noqa: BLE001 - fpdf2's SVG support is partial: fall back to PNG
        import io

        png = ctx.map_data.render(codes, w, h, bins, fmt="png", dpi=200)
        pdf.image(io.BytesIO(png), x=x, y=y, w=w, h=h, alt_text="Map of the area and its neighbours")
    y += h + 1.2
    items = [("box", "#ffffff", "profiled area (bold outline)")]
    if len(ctx.map_data.provision_xy):
        items.append(("triangle", style.BRAND["provision"], "GP / NHS site"))
    if len(ctx.map_data.lad_geoms):
        items.append(("tick", "#555555", "LA boundary"))
    y = legend(pdf, x, y, items)
    if bins is not None:
        gi = [("box", style.GI_BIN_COLOURS[b], lab) for b, lab in
              ((-3, "cold 99%"), (-2, "95%"), (-1, "90%"), (0, "not sig."), (1, "hot 90%"), (2, "95%"),
               (3, "99% (two-sided)"))]
        y = legend(pdf, x, y, gi, size=6.0)
    else:
        y = para(pdf, x, y, w, "Hot spot colours not available (no incident statistics).", size=6.2,
                 colour=style.BRAND["muted"])
    return y


def _key_figures(pdf, ctx, figs, a, x, y, w) -> float:
    y = section_title(pdf, x, y, w, "Key figures")
    pop = figs["population"]
    county_pop = pd.to_numeric(ctx.areas.get("population"), errors="coerce").sum() if "population" in ctx.areas \
        else np.nan
    eng = ctx.england
    rows: list[tuple[str, str, str, str]] = []
    rows.append(("Residents (Census 2021)", _n(pop), _n(county_pop), "\u2014"))
    if "aged_10_24" in a:
        share = a["aged_10_24"].sum() / pop * 100 if pop else np.nan
        cshare = ctx.areas["aged_10_24"].sum() / county_pop * 100 if county_pop else np.nan
        rows.append(("Aged 10\u201324 (mid-2020 est.)", f"{_n(share, 1)}%", f"{_n(cshare, 1)}%", "\u2014"))
    if "imd_score" in a:
        w_pop = pd.to_numeric(a["population"], errors="coerce")
        score = float((a["imd_score"] * w_pop).sum() / w_pop.sum()) if len(a) > 1 else float(a["imd_score"].iloc[0])
        rows.append(("IMD score" + (" (pop.-weighted)" if len(a) > 1 else ""), _n(score, 1),
                     _n(ctx.areas["imd_score"].mean(), 1), _n(eng.get("imd_score"), 1)))
    if "imd_decile" in a:
        dec = figs["deciles"][0][1] if figs["deciles"] else None
        rows.append(("IMD decile (1 = most deprived)", _n(dec, 0 if len(a) == 1 else 1),
                     _n(ctx.areas["imd_decile"].mean(), 1), _n(eng.get("imd_decile", 5.5), 1)))
    if "imd_rank" in a and len(a) == 1:
        rows.append((f"IMD rank in England (of {_n(eng.get('n_lsoa'))})", _n(a['imd_rank'].iloc[0]), "", ""))
    t = figs["total"]
    if t is not None:
        period = _period(ctx)
        rows.append((f"Incidents, {period}", t["text"], _n(t["county"]), "n/a"))
        rows.append(("Incidents per 1,000 residents", _n(t["rate"], 1) if t["rate"] is not None else t["text"]
                     if t["status"] != "show" else "\u2014", _n(t["county_rate"], 1), "n/a"))
        sv = _serious_violence(figs, ctx, pop, county_pop)
        if sv:
            rows.append(sv)
    else:
        rows.append(("Incidents", "not loaded", "", ""))
    font(pdf, 6.4, bold=True, colour=style.BRAND["muted"])
    cw = [w - 49, 17, 17, 15]
    place = ctx.county_name  # the areas loaded, named when they make up a whole authority or force area
    heads = ["", "Area" if len(a) == 1 else "Group",
             "County" if place == "Northamptonshire" else (place if len(place) <= 14 else "All loaded"), "England"]
    cx = x
    for head, c in zip(heads, cw):
        text_at(pdf, cx, y, c, 3.6, head, align="L" if cx == x else "R")
        cx += c
    y += 3.8
    for i, row in enumerate(rows):
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
    n_areas = len(ctx.areas)
    iod = ctx.areas.attrs.get("vintage", 2025)
    from placebased.io.geography import comparison_sentence

    compare = comparison_sentence(a.index, iod)  # the area's own authority, force area and England
    column = "County" if ctx.county_name == "Northamptonshire" else f"Column '{heads[2]}'"
    return para(pdf, x, y + 0.4, w, (f"{compare} " if compare else "") + f"{column}: {ctx.county_name} "
                f"({n_areas:,} areas; deciles are means over its "
                f"areas). England: all {_n(eng.get('n_lsoa'))} LSOAs (IoD {iod}). n/a: no England incident data "
                "loaded.", size=6.0, colour=style.BRAND["muted"], lh=2.6)


def _serious_violence(figs, ctx, pop, county_pop):
    """Serious violence (police.uk proxy) per 1,000: hidden when any component count is hidden."""
    comps = [c for c in figs["categories"]
             if "serious_violence" in group_of(c["category"]) and c["status"] != "withheld"]
    if not comps or ctx.counts is None:
        return None
    county = sum(float(ctx.counts[c["category"]].sum()) for c in comps if c["category"] in ctx.counts)
    crate = county / county_pop * 1000 if county_pop else None
    if any(c["status"] != "show" for c in comps):
        area = "*"
    else:
        v = sum(c["value"] for c in comps)
        area = _n(v / pop * 1000, 1) if pop else "\u2014"
        if 0 < v < figs["threshold"]:
            area = f"<{figs['threshold']}"
    return ("Serious violence\u2020 per 1,000", area, _n(crate, 1), "n/a")


def _period(ctx) -> str:
    from placebased.outputs.report import period_text

    return period_text(ctx.months) if ctx.months else "all dates"


def _hotspots(pdf, ctx, codes, x, y, w) -> float:
    y = section_title(pdf, x, y, w, "Hot spot status")
    hf = ctx.hotspot_frame
    cut = (ctx.hotspot_settings or {}).get("p_cutoff")
    if hf is None:
        return para(pdf, x, y, w, "Hot spot statistics not available (no incidents loaded or the hot spot module "
                                  "is missing).", colour=style.BRAND["muted"])
    sub = hf.reindex(codes)
    if len(codes) == 1:
        r = sub.iloc[0]
        y = labelled(pdf, x, y, w, "Getis-Ord Gi*:", gi_statement(r, cut))
        y = labelled(pdf, x, y, w, "Local Moran (LISA):", lisa_statement(r, cut))
    else:
        bins = pd.to_numeric(sub.get("gi_bin"), errors="coerce").fillna(0).astype(int)
        hot, cold = int((bins > 0).sum()), int((bins < 0).sum())
        y = labelled(pdf, x, y, w, "Getis-Ord Gi*:", f"{hot} of {len(codes)} areas hot spots "
                     f"(two-sided 99%: {int((bins == 3).sum())}, 95%: {int((bins == 2).sum())}, "
                     f"90%: {int((bins == 1).sum())})"
                     f"; {cold} cold spots")
        lisa = sub.get("lisa_cluster", pd.Series(dtype=object)).map(style.lisa_code).value_counts()
        parts = [f"{k} {int(lisa.get(k, 0))}" for k in ("HH", "LL", "HL", "LH", "ns")]
        y = labelled(pdf, x, y, w, "Local Moran (LISA):", ", ".join(parts))
    s = ctx.hotspot_settings or {}
    settings = (f"{ctx.hotspot_label}; {s.get('weights', 'queen')} weights; {s.get('permutations', '?'):,} "
                f"permutations, seed {s.get('seed', '?')}, alpha {s.get('alpha', '?')}, correction "
                f"{CORRECTIONS.get(str(s.get('correction')), s.get('correction', '?'))}")
    if cut:
        settings += f"; Gi* and LISA significant when the two-sided p \u2264 {cut:.2g}"
    settings += "."
    return para(pdf, x, y + 0.3, w, settings, size=6.3, colour=style.BRAND["muted"])


def verdict(p, cut) -> str:
    """``"significant"`` / ``"not significant"`` at the cut-off, the same words for Gi* and LISA.

    >>> verdict(0.002, 0.0015), verdict(0.001, 0.0015), verdict(float("nan"), 0.05)
    ('not significant', 'significant', 'not tested')
    """
    if p is None or cut is None or pd.isna(p) or pd.isna(cut):
        return "not tested"
    return "significant" if float(p) <= float(cut) else "not significant"


def gi_statement(row, cut) -> str:
    """The profile's Gi* line: bin label (two-sided confidence), z, two-sided p and the verdict at ``cut``."""
    b = int(row.get("gi_bin", 0)) if pd.notna(row.get("gi_bin")) else 0
    level = {1: "90%", 2: "95%", 3: "99%"}.get(abs(b))
    label = style.GI_BIN_LABELS.get(b) + (f", {level} two-sided" if level else "")
    p = row.get("gi_p")
    return (f"{label} (z = {_n(row.get('gi_z'), 2)}; two-sided p = {_fmt_p(p)}: {verdict(p, cut)}"
            + (f" at p \u2264 {cut:.2g})" if cut else ")"))


def lisa_statement(row, cut) -> str:
    """The profile's LISA line: cluster label, two-sided p and the verdict at ``cut`` (as :func:`gi_statement`)."""
    code = style.lisa_code(row.get("lisa_cluster"))
    p = row.get("lisa_p")
    return (f"{style.LISA_LABELS[code]} (two-sided p = {_fmt_p(p)}: {verdict(p, cut)}"
            + (f" at p \u2264 {cut:.2g})" if cut else ")"))


def _fmt_p(p) -> str:
    if p is None or (isinstance(p, float) and np.isnan(p)):
        return "\u2014"
    p = float(p)
    return f"{p:.3f}" if p >= 0.001 else f"{p:.1e}"


def _priority(pdf, ctx, codes, x, y, w) -> float:
    y = section_title(pdf, x, y, w, "Priority score")
    sf = ctx.score_frame
    if sf is None or "rank" not in sf:
        return para(pdf, x, y, w, "Priority score not available (scoring not run for this profile).",
                    colour=style.BRAND["muted"])
    n = len(sf)
    sub = sf.reindex(codes)
    if len(codes) == 1:
        r = sub.iloc[0]
        txt = f"{_n(r.get('score'), 2)}; rank {_n(r.get('rank'))} of {n:,}"
        if pd.notna(r.get("rank_p05")) and pd.notna(r.get("rank_p95")):
            txt += f" (90% interval {_n(r.get('rank_p05'))}\u2013{_n(r.get('rank_p95'))})"
        if pd.notna(r.get("tier")):
            txt += f"; class: {r.get('tier')}"
        y = labelled(pdf, x, y, w, "Score:", txt)
        contrib = {c[8:]: float(r[c]) for c in sf.columns if c.startswith("contrib_") and pd.notna(r[c])}
    else:
        ranks = sub["rank"].dropna().astype(int).sort_values()
        y = labelled(pdf, x, y, w, "Ranks of the areas:", f"{', '.join(map(str, ranks.head(10)))}"
                     f"{ELLIPSIS if len(ranks) > 10 else ''} of {n:,} (best {_n(ranks.min())})")
        contrib = {c[8:]: float(sub[c].mean()) for c in sf.columns if c.startswith("contrib_")}
    top = sorted(contrib.items(), key=lambda kv: -abs(kv[1]))[:3]
    if top:
        total = sum(abs(v) for v in contrib.values()) or 1.0
        drv = ", ".join(f"{ctx.score_labels.get(k, k.replace('_', ' '))} ({abs(v) / total:.0%})" for k, v in top)
        y = labelled(pdf, x, y, w, "Top drivers:", drv)
    s = ctx.score_settings or {}
    if s:
        desc = (f"Scenario {s.get('scenario', '?')!r} ({s.get('created', '')}); {s.get('normalisation', '?')} "
                f"normalisation; missing values: {s.get('missing', '?')}; rank interval from {s.get('draws', 0):,} "
                f"weight draws, seed {s.get('seed', '?')}.")
        y = para(pdf, x, y + 0.3, w, desc, size=6.3, colour=style.BRAND["muted"])
    return y


def _monthly(pdf, figs, x, y, w, ctx=None) -> float:
    label = figs.get("month_label")
    y = section_title(pdf, x, y, w, f"Incidents by month: {label}" if label else "Incidents by month")
    months = figs["months"]
    if not months:
        return para(pdf, x, y, w, "No dated incidents loaded.", colour=style.BRAND["muted"])
    cells = [Cell(None if m["status"] != "show" else m["value"], m["text"], m["status"] != "show") for m in months]
    trend = _trend_sentence(ctx, figs)
    y = monthly_bars(pdf, x, y + 0.5, w, 19.0 if trend else 26.0, [m["month"] for m in months], cells)
    if trend:
        y = para(pdf, x, y + 0.5, w, trend, size=6.3, colour=style.BRAND["muted"])
    return y


def _trend_sentence(ctx, figs) -> str:
    """Mann-Kendall trend and emerging hot spot class of a single area (serious violence), unless the
    area's incidents are few enough to be suppressed in a public profile."""
    tt = getattr(ctx, "trend_table", None) if ctx is not None else None
    codes = figs["codes"]
    if tt is None or len(codes) != 1 or codes[0] not in tt.index:
        return ""
    row = tt.loc[codes[0]]
    if figs.get("public") and float(row.get("total", 0) or 0) < 2 * figs.get("threshold", 5):
        return ""
    if figs.get("month_label") != getattr(ctx, "trend_label", None):  # chart and sentence: same categories
        return ""
    from placebased.stats.emerging import describe_trend

    alpha = float((getattr(ctx, "hotspot_settings", None) or {}).get("alpha", 0.05))
    return f"Trend ({figs['month_label'] or 'all incidents'}): " + describe_trend(row, alpha=alpha)


def _categories(pdf, ctx, figs, x, y, w) -> float:
    y = section_title(pdf, x, y, w, f"Incidents by category, {_period(ctx)}")
    if figs["total"] is None:
        return para(pdf, x, y, w, "No incident data loaded.", colour=style.BRAND["muted"])
    rows = []
    for c in figs["categories"]:
        st = c["status"]
        cell = Cell(c["value"] if st == "show" else None, c["text"], st in ("primary", "secondary"))
        note = f"{c['ratio']:.1f}\u00d7 county" if c["ratio"] is not None else ""
        rows.append((c["category"], cell, note))
    y = category_bars(pdf, x, y, w, rows)
    t = figs["total"]
    font(pdf, 7.0, bold=True)
    label = "Total" if not figs["withheld"] else "Total of the categories shown"
    if figs["public"] and any(c["status"] == "withheld" or is_sensitive(c["category"], figs.get("rules"))
                              for c in figs["categories"]):
        label = "Total (sensitive categories not included)"
    text_at(pdf, x, y + 0.3, w, 3.8, f"{label}: {t['text']}")
    if t["value"] == 0:
        return para(pdf, x, y + 4.5, w, "No incidents recorded in this area in the period.",
                    colour=style.BRAND["muted"])
    return y + 4.5


def _provision(pdf, ctx, codes, x, y, w) -> float:
    y = section_title(pdf, x, y, w, "Provision in and near the area")
    pr = ctx.provision_reach
    if pr is None:
        return para(pdf, x, y, w, "Provision data not available.", colour=style.BRAND["muted"])
    sub = pr.reindex(codes)
    settings = pr.attrs.get("settings", {})
    radius = radius_text(settings.get("radius_m", ctx.near_m))
    inside = int(sub["in_area"].sum())
    txt = f"{ctx.provision_label}: {inside} inside the area"
    if len(codes) == 1:
        txt += f"; {int(sub['within_radius'].iloc[0])} within {radius} of its centre"
        near = sub.iloc[0]
        if pd.notna(near.get("nearest_m")):
            name = str(near.get("nearest_name", "") or "").title()
            txt += f"; nearest {_n(near['nearest_m'])} m" + (f" ({name})" if name else "")
    else:
        none = int((sub["within_radius"] == 0).sum())
        txt += f"; {none} of {len(codes)} areas have none within {radius} of their centre"
    y = para(pdf, x, y, w, txt + ".")
    gap = ctx.provision_gap
    if gap is not None:
        g = gap.reindex(codes).fillna(False).astype(bool)
        if len(codes) == 1:
            status = ("GAP: a top-priority area with no provision within " + radius) if g.iloc[0] else \
                "no gap (not top priority, or provision within " + radius + ")"
        else:
            status = f"{int(g.sum())} of {len(codes)} areas are gaps (top priority, no provision within {radius})"
        y = labelled(pdf, x, y, w, "Gap status:", status)
    else:
        y = para(pdf, x, y, w, "Gap status not available (needs the priority score).", size=6.6,
                 colour=style.BRAND["muted"])
    centres = settings.get("centres")
    if centres:
        y = para(pdf, x, y + 0.3, w, f"Distances from the area centre ({centres}); sites located by postcode "
                 "centroid.", size=6.0, colour=style.BRAND["muted"], lh=2.6)
    return y


def radius_text(radius_m: float) -> str:
    return f"{radius_m / 1000:g} km" if radius_m >= 1000 else f"{radius_m:g} m"


def _notes(pdf, ctx, codes, x, y, w) -> float:
    y = section_title(pdf, x, y, w, "Reasons and notes recorded")
    notes = [(c, n) for c in codes for n in ctx.notes.get(c, [])]
    if not notes:
        return para(pdf, x, y, w, "No reasons or notes recorded for this area.", colour=style.BRAND["muted"])
    for code, note in notes[:8]:
        prefix = "" if len(codes) == 1 else f"{code}: "
        y = para(pdf, x, y, w, f"\u2022 {prefix}{note}")
    if len(notes) > 8:
        y = para(pdf, x, y, w, f"\u2026 and {len(notes) - 8} more notes.", colour=style.BRAND["muted"])
    return y


def _footer_block(pdf, ctx, figs, y) -> None:
    y = max(y, FOOTER_Y - 2)
    # a long page: the notes in smaller type before spilling onto a page of their own
    size, lh = (6.2, 2.7) if y <= PAGE_H - 32 else (5.3, 2.25) if y <= PAGE_H - 28 else (4.9, 2.05)
    if y > PAGE_H - 24:
        pdf.add_page()
        y, size, lh = MARGIN, 6.2, 2.7
    set_colour(pdf, style.BRAND["rule"], "draw")
    pdf.line(MARGIN, y, MARGIN + BODY_W, y)
    thr = figs["threshold"]
    disc = (f"Disclosure control: counts from 1 to {thr - 1} are shown as \u201c<{thr}\u201d; rates and ratios "
            "built on them are not shown, and where a hidden count could be worked out from a total another "
            "count is hidden too (\u201c*\u201d). Charts draw hidden values as hatched markers, never bars. "
            "Incident locations are never shown (police.uk locations are anonymised map points).")
    if figs["public"]:
        from placebased.score.disclosure import public_note

        disc = public_note(thr, figs["sensitive_min"]) + (
            " Charts draw hidden values as hatched markers, never bars. Incident locations are never shown.")
    disc += (" \u2020Serious violence here is the police.uk proxy (violence and sexual offences, robbery, "
             "possession of weapons).")
    pdf.set_auto_page_break(True, margin=8)
    y = para(pdf, MARGIN, y + 1, BODY_W, disc, size=size, colour=style.BRAND["muted"], lh=lh)
    from placebased.outputs.report import default_sources

    sources = ctx.sources or default_sources(ctx.areas, ctx.monthly)
    pdf.set_auto_page_break(True, margin=8)  # the notes may run to just above the page footer
    para(pdf, MARGIN, y + 0.5, BODY_W, "Sources: " + " ".join(sources), size=size - 0.2,
         colour=style.BRAND["muted"], lh=lh - 0.1)
    pdf.set_auto_page_break(True, margin=14)


def _members_table(pdf, ctx, figs) -> None:
    """Page 2 of a group profile: one row per area (counts under the same disclosure control)."""
    from placebased.outputs.report import disclose, fmt_count

    pdf.add_page()
    y = section_title(pdf, MARGIN, MARGIN, BODY_W, f"The {len(figs['codes'])} areas of this profile")
    codes = figs["codes"]
    a = ctx.areas.loc[codes]
    keep = [c["category"] for c in figs["categories"] if c["status"] != "withheld"]
    tot = ctx.counts.loc[codes, keep].sum(axis=1) if ctx.counts is not None and keep else None
    status = None
    member_totals = figs.get("member_totals")  # public: each area's total as in its own public profile
    if member_totals is not None:
        tot = None
    elif tot is not None:  # the group total is shown on page 1: protect the members against it
        status, _ = disclose(tot, figs["threshold"], total=float(tot.sum()))
    hf = ctx.hotspot_frame.reindex(codes) if ctx.hotspot_frame is not None else None
    sf = ctx.score_frame.reindex(codes) if ctx.score_frame is not None else None
    cols = [("Code", 22, "L"), ("Name", 52, "L"), ("Residents", 18, "R"), ("IMD decile", 16, "R"),
            ("Incidents", 17, "R"), ("per 1,000", 16, "R"), ("Gi*", 16, "R"), ("LISA", 12, "R"),
            ("Rank", 19, "R")]
    font(pdf, 6.6, bold=True, colour=style.BRAND["muted"])
    cx = MARGIN
    for head, cw, al in cols:
        text_at(pdf, cx, y, cw, 4, head, align=al)
        cx += cw
    y += 4.4
    for i, code in enumerate(codes):
        if y > PAGE_H - 18:
            pdf.add_page()
            y = MARGIN
        r = a.loc[code]
        inc = "\u2014" if tot is None else fmt_count(tot[code], status[code], figs["threshold"])
        rate = "\u2014"
        if tot is not None and status[code] == "show" and r.get("population"):
            rate = _n(tot[code] / r["population"] * 1000, 1)
        if member_totals is not None:
            inc, shown_total = member_totals[code]
            if shown_total is not None and r.get("population"):
                rate = _n(shown_total / r["population"] * 1000, 1)
        gi = "\u2014"
        if hf is not None and pd.notna(hf.loc[code, "gi_bin"]):
            gi = f"{int(hf.loc[code, 'gi_bin']):+d}".replace("+0", "0")
        lisa = "\u2014" if hf is None else style.lisa_code(hf.loc[code].get("lisa_cluster"))
        rank = "\u2014" if sf is None or pd.isna(sf.loc[code].get("rank")) else _n(sf.loc[code, "rank"])
        vals = [code, str(r.get("area_name", "")), _n(r.get("population")), _n(r.get("imd_decile")), inc, rate, gi,
                lisa, rank]
        if i % 2 == 0:
            set_colour(pdf, style.BRAND["light"], "fill")
            pdf.rect(MARGIN, y, BODY_W, 4.1, style="F")
        cx = MARGIN
        for (_, cw, al), v in zip(cols, vals):
            font(pdf, 6.8)
            text_at(pdf, cx + 0.6, y, cw - 1.2, 4.1, v, align=al)
            cx += cw
        y += 4.1

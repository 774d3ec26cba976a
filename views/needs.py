"""Needs assessment: incidents by deprivation decile and their concentration across neighbourhoods.

Thin: the widgets fill a :class:`placebased.pipeline.SNASettings`, one call to :func:`placebased.pipeline.sna_analysis`
gives the tables; the PDF (:mod:`placebased.outputs.sna_report`) is built only when asked for. Data come from the
main page's sources (``current_settings()``), or the shipped data when opened directly.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # opened on its own (e.g. AppTest): appcache lives next to app.py
    sys.path.insert(0, str(ROOT))

from appauth import can, export_button, gate, settings_of  # noqa: E402
from appcache import c_areas, c_incidents, current_settings  # noqa: E402
from placebased import pipeline as P  # noqa: N812, E402
from placebased.errors import PlaceBasedError  # noqa: E402
from placebased.names import MONITOR_LEVELS, PUBLIC_THRESHOLDS  # noqa: E402
from placebased.outputs import glossary  # noqa: E402
from placebased.outputs.sna_report import sentence  # noqa: E402
from placebased.safety import escape_markdown  # noqa: E402

user = gate("needs")  # roles (docs/deploy.md); checked here too for direct URL access


@st.cache_resource(show_spinner="Counting incidents by deprivation decile…", max_entries=16)
def c_sna(src: P.Sources, settings: P.SNASettings):
    inc = c_incidents(src)
    return P.sna_analysis(c_areas(src)[0], inc.points, settings, without_location=inc.report.skipped)


@st.cache_resource(show_spinner="Building the needs-assessment PDF (priority score, maps)…", max_entries=4)
def c_sna_pdf(src: P.Sources, settings: P.SNASettings, threshold: int) -> bytes:
    from placebased.outputs.sna_report import render_report
    from placebased.profile_record import needs_context

    ctx = needs_context(c_areas(src)[0], c_incidents(src), c_sna(src, settings), threshold=threshold)
    return render_report(ctx, threshold=threshold)


@st.cache_resource(show_spinner="Building the monitoring series…", max_entries=4)
def c_monitor(src: P.Sources, level: str):
    return P.monitor_for(src, c_areas(src)[0], level)


src = current_settings()[0]
try:
    areas = c_areas(src)[0]
    incidents = c_incidents(src)
except PlaceBasedError as exc:
    st.error(escape_markdown(str(exc)))
    st.stop()

st.title("Needs assessment")
st.caption("Where incidents happen by deprivation, and how far they concentrate in a few neighbourhoods — the "
           "figures of the strategic needs assessment, refreshed from the data loaded.")

choices = P.category_choices(incidents.categories)
months = P.months_available(incidents.points)
domains = P.sna_domains(areas)
with st.sidebar:
    st.markdown("### Needs assessment")
    group = st.selectbox("Incidents", [*choices, "Choose categories…"], key="sna_group")
    cats = (st.multiselect("Categories", incidents.categories, default=incidents.categories[:1], key="sna_cats")
            if group == "Choose categories…" else choices[group])
    start, end = (st.select_slider("Months", months, value=(months[0], months[-1]), key="sna_months")
                  if len(months) > 1 else (None, None))
    extra = st.multiselect("Also by IoD domain", [d for d in domains if d != "imd"], format_func=domains.get,
                           key="sna_domains")
    threshold = st.radio("PDF: hide counts below", list(PUBLIC_THRESHOLDS), horizontal=True, key="sna_threshold")

if not cats:
    st.info("Choose at least one category.")
    st.stop()
settings = P.SNASettings(categories=tuple(sorted(cats)), start=start, end=end, domains=tuple(extra))
try:
    result = c_sna(src, settings)
except PlaceBasedError as exc:
    st.error(escape_markdown(str(exc)))
    st.stop()

h = result.headline()
rr = result.deciles.rate_ratio
c1, c2, c3, c4 = st.columns(4)
c1.metric("In IMD deciles 1–2", f"{h['share_deciles_1_2']:.1%}",
          help=f"Share of incidents in the most deprived 20% of neighbourhoods in England; "
               f"{h['residents_deciles_1_2']:.1%} of residents live there.")
c2.metric(f"Rate ratio, decile {rr.most} vs {rr.least}", "—" if pd.isna(rr.rr) else f"{rr.rr:.1f}×",
          help=rr.describe() + ". " + rr.method + ".")
c3.metric("Top 10% of neighbourhoods", f"{h['share_top_10pct']:.0%}", help="Share of incidents in the 10% of "
          "neighbourhoods with most incidents (ranked by count).")
c4.metric("Gini coefficient", f"{h['gini']:.2f}", help="0 = the same count everywhere; 1 = all in one.")
st.caption(escape_markdown(result.describe()))

left, right = st.columns(2)
dec = result.to_frame()
with left:
    st.subheader("Rate per 1,000 residents by IMD decile")
    st.bar_chart(dec.assign(decile=dec["imd_decile"].astype(str).str.zfill(2)), x="decile", y="rate_per_1000",
                 x_label="IMD decile (01 = most deprived)", y_label="per 1,000 residents")
with right:
    st.subheader("Lorenz curve")
    lz = result.overall.lorenz.rename(columns={"share_of_incidents": "All areas"})
    lz["Equal spread"] = lz["share_of_areas"]
    st.line_chart(lz, x="share_of_areas", y=["All areas", "Equal spread"],
                  x_label="share of neighbourhoods (fewest incidents first)", y_label="share of incidents")

def plain(frame):
    """A table for the page: headings in words (the glossary; brief IMD-decile names, as on this page)."""
    return glossary.display_frame(frame, glossary.NEEDS_TABLE, index=False)


def heading(column: str) -> str:
    return glossary.column_label(column, glossary.NEEDS_TABLE)


pct = st.column_config.NumberColumn(format="percent")
shares_of = {heading(c): pct for c in ("share_incidents", "share_residents")}
st.subheader("Incidents and residents by IMD decile")
st.dataframe(plain(dec), hide_index=True, column_config={
    **shares_of, heading("rate_per_1000"): st.column_config.NumberColumn(format="%.1f")})
st.caption(escape_markdown(sentence(rr.describe()) + ". Method: " + rr.method + ". " + " ".join(rr.notes)))
st.subheader("Concentration by local authority")
lad = plain(result.by_lad_frame().drop(columns=["lad_code"]))
shares = [heading(c) for c in ("share_top_5pct", "share_top_10pct", "share_top_20pct", "share_areas_with_incidents")]
st.dataframe(lad, hide_index=True, column_config=dict.fromkeys(shares, pct))
st.caption(escape_markdown(sentence(result.overall.method) + "."))
if result.domains:
    st.subheader("By IoD domain decile")
    by_domain = result.domain_frame()
    by_domain["domain"] = by_domain["domain"].map(lambda d: domains.get(d, d))  # "income" -> its IoD name
    st.dataframe(plain(by_domain), hide_index=True, column_config=shares_of)
for note in result.notes:
    st.caption(escape_markdown(note))

st.subheader("Monitoring: the Serious Violence Duty measures")
mon_level = st.radio("Series for", ["county", "lad"], horizontal=True, key="mon_level", format_func=MONITOR_LEVELS.get)
try:
    mon = c_monitor(src, mon_level)
except PlaceBasedError as exc:
    st.error(escape_markdown(str(exc)))
else:
    st.image(mon.png(), caption="Monthly counts with Laney u' control limits (placebased.stats.monitoring)")
    st.caption(escape_markdown(mon.summary_text()))

st.subheader("Downloads")
from placebased.outputs.sna_report import tables_zip  # noqa: E402

d1, d2 = st.columns(2)
export_button(d1, "Tables (ZIP of CSV)", lambda: tables_zip(result), "needs_assessment_tables.zip", "application/zip",
              user=user, settings=settings_of(src, settings, threshold=threshold), key="sna_zip")
if not can(user, "exports"):
    st.caption("Downloads are for analysts (your role shows the tables on screen).")
elif d2.button("Prepare the PDF report", key="sna_make_pdf"):
    st.session_state["sna_pdf_for"] = (src, settings, threshold)
if st.session_state.get("sna_pdf_for") == (src, settings, threshold):
    try:
        pdf = c_sna_pdf(src, settings, threshold)
    except PlaceBasedError as exc:
        st.error(escape_markdown(str(exc)))
    else:
        export_button(d2, "Download the PDF", pdf, "needs_assessment.pdf", "application/pdf", user=user,
                      settings=settings_of(src, settings, threshold=threshold), key="sna_pdf")

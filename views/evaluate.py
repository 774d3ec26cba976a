"""Evaluate: did violence fall in the target areas more than in matched comparison areas? And, before
starting, what could an evaluation detect?

Thin: widgets -> one cached call to :func:`placebased.stats.evaluate.evaluate_incidents` (or
:func:`placebased.stats.evaluate_power.plan_incidents`) through ``appcache``; the results are drawn. The
targets are the main page's target selection, or codes pasted here. Users who may export also get the
group/area profile of the targets with its "Did it work?" page (:func:`placebased.profile_record.render_profile`
of the priority page's profile context carrying this evaluation, as ``placebased profile --evaluate-start``).
"""

from __future__ import annotations

import re
import sys
from dataclasses import replace
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # opened on its own (e.g. AppTest): appcache lives next to app.py
    sys.path.insert(0, str(ROOT))

from appauth import can, export_button, gate, settings_of  # noqa: E402
from appcache import (  # noqa: E402
    c_areas,
    c_evaluation,
    c_incidents,
    c_plan,
    c_profile_context,
    current_settings,
)
from placebased import pipeline as P  # noqa: N812, E402
from placebased.errors import PlaceBasedError  # noqa: E402
from placebased.io.export import table_bytes  # noqa: E402
from placebased.outputs import glossary  # noqa: E402
from placebased.pipeline import MatchSettings, outcome_label  # noqa: E402
from placebased.safety import escape_markdown  # noqa: E402

#: "start 2025-06" (or "started 2025-06", "start: 2025-06") in a target selection's name or reasons: the
#: intervention's first month, prefilled below (a saved selection carries it in its text, no new field)
START_IN_TEXT = re.compile(r"\bstart(?:s|ed)?\b\W{0,3}(?:in\W{1,3})?(\d{4}-\d{2})\b", re.IGNORECASE)


@st.cache_data(show_spinner="Drawing the profile with its evaluation…", max_entries=8)
def _profile_pdf(src, filters, stats, scenario, categories, targets: tuple[str, ...], start: str, settings,
                 reasons: tuple[tuple[str, str], ...], public: bool) -> bytes:
    """The group/area profile of ``targets`` with its "Did it work?" page: the priority page's profile context
    (``appcache.c_profile_context``) carrying this page's evaluation, drawn by ``render_profile``."""
    from placebased.profile_record import render_profile  # the PDF stack, only when asked for

    ctx = replace(c_profile_context(src, filters, stats, scenario),
                  notes=P.profile_notes(list(targets), dict(reasons)),
                  evaluation=c_evaluation(src, categories, targets, start, settings))
    return render_profile(ctx, list(targets), public=public)


user = gate("evaluate")  # roles (docs/deploy.md); checked here too for direct URL access
ss = st.session_state
src, filters, stats, scenario = current_settings()
st.title("Did it work?")
st.caption("Compare the target areas with similar areas (matched on the months before the start) in a count "
           "model with area and month effects; standard errors clustered by area. All months of the incidents "
           "are used (the main page's month filter does not apply); its categories do.")

try:
    areas = c_areas(src)[0]
    months = P.months_available(c_incidents(src).points)
except PlaceBasedError as exc:
    st.error(escape_markdown(str(exc)))
    st.stop()
if len(months) < 4:
    st.error("The incidents cover fewer than 4 months; an evaluation needs at least 3 before the start and 1 after.")
    st.stop()

selection = [c for c in ss.get("selection", {}) if c in areas.index]
named = (START_IN_TEXT.search(t) for t in (ss.get("sel_name") or "", *ss.get("selection", {}).values()) if t)
named_start = next((m.group(1) for m in named if m and m.group(1) in months[3:]), None)
with st.sidebar:
    st.markdown("### Evaluation")
    pasted = st.text_area("Target area codes", value="\n".join(selection), height=120,
                          help="One code per line; the main page's target selection by default.")
    targets = tuple(dict.fromkeys(c.strip() for c in pasted.replace(",", "\n").splitlines() if c.strip()))
    start = st.selectbox("Intervention started in", months[3:],
                         index=months[3:].index(named_start) if named_start else
                         max(0, min(len(months) - 4, len(months) // 2 - 3)),
                         help="The first month of the intervention; at least 3 months of data before it. A "
                              "target selection whose name or a reason says 'start YYYY-MM' sets it.")
    k = st.slider("Comparisons per target", 1, 6, 3)
    caliper = st.slider("Caliper (standardised difference)", 0.25, 3.0, 1.0, 0.25,
                        help="The largest average difference (in standard deviations) a comparison may have.")
    allow = st.toggle("Allow areas bordering a target as comparisons", value=False,
                      help="Off by default: neighbours may gain (displacement) or benefit (diffusion).")
    match_on = st.multiselect("Also match on", [c for c in areas.columns if c.endswith("_score") and c != "imd_score"],
                              format_func=glossary.column_label)
    months_after = st.number_input("Plan: months after the start", 1, 60, 12)

cats = filters.categories
outcome = outcome_label(cats)
settings = MatchSettings(k=int(k), caliper=float(caliper), exclude_neighbours=not allow, indicators=tuple(match_on))
if not targets:
    st.info("Pick target areas on the main page (or paste codes in the sidebar) to evaluate them.")
    st.stop()
unknown = [t for t in targets if t not in areas.index]
if unknown:
    st.error(f"Not among the areas: {escape_markdown(', '.join(unknown[:5]))}; use codes of the areas in use.")
    st.stop()

st.markdown(f"**{len(targets)} target areas** · {escape_markdown(outcome)} · start **{start}** · "
            f"{escape_markdown(settings.describe())}")
tab_eval, tab_plan = st.tabs(["Evaluation", "Before starting: what could it detect?"])
with tab_eval:
    try:
        result = c_evaluation(src, cats, targets, start, settings)
    except PlaceBasedError as exc:
        st.error(escape_markdown(str(exc)))
    else:
        e = result.estimate
        c1, c2, c3, c4 = st.columns(4)
        c1.metric("Rate ratio", f"{e.rate_ratio:.2f}", help="Below 1: a fall relative to the comparisons")
        c2.metric("95% interval", f"{e.ci_low:.2f} – {e.ci_high:.2f}")
        c3.metric("p", f"{e.p_value:.3f}")
        c4.metric("Pre-trend p", f"{result.pretrend_p:.2f}", help="Below 0.05: the groups already diverged before")
        st.markdown(f"##### {escape_markdown(result.plain_words())}")
        for line in result.text().split("\n")[1:]:
            st.markdown(escape_markdown(line.removeprefix("- ")) if line.startswith("- ") else escape_markdown(line))
        st.image(P.evaluation_plot(result), width="stretch")
        st.markdown("###### Balance before and after matching (standardised mean differences)")
        balance = glossary.display_frame(result.match.balance.round(3))
        balance[glossary.column_label("covariate")] = balance[glossary.column_label("covariate")].map(
            glossary.column_label)  # "log_rate_early" -> "Incident rate, first half before the start (log)"
        st.dataframe(balance, width="stretch", hide_index=True)
        with st.expander("Areas in the evaluation", expanded=False):
            st.dataframe(glossary.display_frame(result.to_frame(), glossary.EVALUATION_TABLE), width="stretch",
                         hide_index=True)
        with st.expander(f"{glossary.HOW_WORKED_OUT}: event study (target areas × month, against the month "
                         "before the start)", expanded=False):
            st.dataframe(glossary.display_frame(result.event_study.round(3), index=False), width="stretch",
                         hide_index=True)
        export_button(st, "Download the result (CSV)", lambda: table_bytes(result.summary_row(), "csv", index=False),
                      "evaluation.csv", "text/csv", user=user, settings=settings_of(src, filters))
        if can(user, "exports"):
            p1, p2 = st.columns([1, 3])
            public = p1.toggle("Public", value=False, key="eval_public", help="Counts rounded to the nearest 5, "
                               "1-4 as <5; sensitive categories hidden below 10; no p values")
            # the profile's method line states the default matching (placebased profile --evaluate-start)
            described = settings.exclude_neighbours and not settings.indicators
            reasons = tuple((c, str(ss.get("selection", {}).get(c) or "")) for c in targets)
            pdf_for = (src, filters, stats, scenario, cats, targets, start, settings, reasons, bool(public))
            if p2.button("Profile PDF with this evaluation", disabled=not described,
                         help="The targets' group profile (an area profile for one) with a 'Did it work?' page, as "
                              "'placebased profile --area ... --evaluate-start'" + (
                                  "" if described else "; its method line describes the default matching: turn "
                                  "off 'Allow areas bordering a target' and clear 'Also match on'")):
                ss["eval_pdf_for"] = pdf_for
            if described and ss.get("eval_pdf_for") == pdf_for:
                try:
                    pdf = _profile_pdf(*pdf_for)
                except PlaceBasedError as exc:
                    st.error(escape_markdown(str(exc)))
                else:
                    export_button(st, "Download the profile with this evaluation (PDF)", pdf,
                                  f"did_it_work_{start}.pdf", "application/pdf", user=user,
                                  settings=settings_of(src, filters, stats, scenario, settings, areas=list(targets),
                                                       start=start, public=bool(public)))

with tab_plan:
    if st.button("Estimate the minimum detectable effect", help="200 simulations on the areas' own history"):
        ss["eval_plan_for"] = (targets, int(months_after), settings, cats)
    if ss.get("eval_plan_for") == (targets, int(months_after), settings, cats):
        try:
            plan = c_plan(src, cats, targets, int(months_after), settings)
        except PlaceBasedError as exc:
            st.error(escape_markdown(str(exc)))
        else:
            st.markdown(escape_markdown(plan.plain_words()))
            st.line_chart(plan.curve.set_index("rate_ratio"), x_label="rate ratio", y_label="power")

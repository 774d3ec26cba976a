"""Evaluate: did violence fall in the target areas more than in matched comparison areas? And, before
starting, what could an evaluation detect?

Thin: widgets -> one cached call to :func:`placebased.stats.evaluate.evaluate_incidents` (or
:func:`placebased.stats.evaluate_power.plan_incidents`) through ``appcache``; the results are drawn. The
targets are the main page's target selection, or codes pasted here.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # opened on its own (e.g. AppTest): appcache lives next to app.py
    sys.path.insert(0, str(ROOT))

from appauth import export_button, gate, settings_of  # noqa: E402
from appcache import c_areas, c_evaluation, c_incidents, c_plan, current_settings  # noqa: E402
from placebased import pipeline as P  # noqa: N812, E402
from placebased.errors import PlaceBasedError  # noqa: E402
from placebased.io.export import table_bytes  # noqa: E402
from placebased.outputs import glossary  # noqa: E402
from placebased.pipeline import MatchSettings, outcome_label  # noqa: E402
from placebased.safety import escape_markdown  # noqa: E402

user = gate("evaluate")  # roles (docs/deploy.md); checked here too for direct URL access
ss = st.session_state
src, filters, _stats, _scenario = current_settings()
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
with st.sidebar:
    st.markdown("### Evaluation")
    pasted = st.text_area("Target area codes", value="\n".join(selection), height=120,
                          help="One code per line; the main page's target selection by default.")
    targets = tuple(dict.fromkeys(c.strip() for c in pasted.replace(",", "\n").splitlines() if c.strip()))
    start = st.selectbox("Intervention started in", months[3:],
                         index=max(0, min(len(months) - 4, len(months) // 2 - 3)),
                         help="The first month of the intervention; at least 3 months of data before it.")
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

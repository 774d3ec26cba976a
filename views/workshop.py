"""Workshop mode: a large, calm map and area cards for a community room.

Only aggregated, suppressed counts are shown (:func:`placebased.pipeline.workshop_table`, the same
disclosure rules as the public profiles); there is no incident-point layer at all. Participants'
comments are saved in the :class:`placebased.io.store.Store` against an area, with their name and the
time, and shown back as text. Everything that came from a file or a person (area names and codes,
comments, author names) is escaped for HTML *and* for Markdown before it is shown, so neither
markup nor Markdown links or images in it do anything. No outside request is made unless the
analyst chooses a basemap.

The page reads the main page's settings (``current_settings()``), or defaults when opened directly.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import sys
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # opened on its own (e.g. AppTest): appcache lives next to app.py
    sys.path.insert(0, str(ROOT))

from appauth import gate  # noqa: E402
from appcache import c_analysis, c_areas, c_score, c_web_geometry, current_settings, store_or_warning  # noqa: E402
from components.areamap import area_map, places_url, take_clicks, use_folium_map  # noqa: E402
from placebased import pipeline as P  # noqa: N812, E402
from placebased.categories import GROUPS, classify_labels, sensitive_rules  # noqa: E402
from placebased.errors import DataError, PlaceBasedError  # noqa: E402
from placebased.io.places import hotspot_bounds, place_label, place_labels  # noqa: E402
from placebased.names import PUBLIC_THRESHOLDS, TIER_EXCLUDED  # noqa: E402
from placebased.outputs import glossary  # noqa: E402
from placebased.outputs.mapping import BASEMAPS, area_at, install_static_assets, workshop_map  # noqa: E402
from placebased.outputs.webmap import workshop_payload  # noqa: E402
from placebased.outputs.workshop import (  # noqa: E402
    GI_PLAIN,
    LAYER_CHOICES,
    category_label,
    map_layer,
    period_label,
    plain_tooltips,
    tier_labels,
)
from placebased.pipeline import public_note  # noqa: E402
from placebased.safety import escape_markdown  # noqa: E402

install_static_assets(ROOT / "static")
user = gate("workshop")  # roles (docs/deploy.md); checked here too for direct URL access

# constant CSS only (no data in it): larger type for a projector or big screen
st.markdown(
    """<style>
    [data-testid="stMain"] [data-testid="stMarkdownContainer"] p,
    [data-testid="stMain"] [data-testid="stMarkdownContainer"] li { font-size: 1.2rem; line-height: 1.5; }
    [data-testid="stMain"] [data-testid="stCaptionContainer"] p { font-size: 1.0rem; }
    [data-testid="stMain"] label p { font-size: 1.05rem !important; }
    [data-testid="stMain"] h1 { font-size: 2.4rem; }
    [data-testid="stMain"] h3 { font-size: 1.6rem; margin-bottom: 0.2rem; }
    </style>""",
    unsafe_allow_html=True,
)

def hotspot_label(selected: tuple[str, ...], filtered: bool) -> str:
    """What the hot-spot analysis counted, in words ("serious violence", "robbery", "all incidents")."""
    if not filtered or not selected:
        return "all incidents"
    for g in GROUPS.values():
        if g["police_uk"] and set(g["police_uk"]) == set(selected):
            return g["label"].split(" (")[0].lower()
    return ", ".join(category_label(c) for c in selected)


def when_text(created_at: str) -> str:
    try:
        ts = pd.Timestamp(created_at)
        with contextlib.suppress(Exception):  # no time-zone data: show UTC
            ts = ts.tz_convert("Europe/London")
        return ts.strftime("%d %b %Y, %H:%M")
    except (ValueError, TypeError):
        return str(created_at)


# ------------------------------------------------------------------------------------------ data


@st.cache_resource(show_spinner="Preparing the workshop view…", max_entries=16)
def c_workshop(src, filters, stats, scenario, threshold: int, select: tuple[str, ...] | None = None,
               sensitive: tuple[str, ...] = ()):
    """The suppressed workshop table (all areas, or ``select``); read-only. ``sensitive``: this
    session's extra sensitive labels (added to the shipped list)."""
    areas = c_areas(src)[0]
    an = c_analysis(src, filters, stats)
    scores = c_score(src, filters, stats, scenario)[0].to_frame(drivers=False)
    try:
        period = period_label(an.counts.monthly["month"])
    except DataError:
        period = None
    label = hotspot_label(an.selected, bool(filters.categories))
    focus = list(an.selected) if filters.categories else None
    table = P.workshop_table(an.counts.counts, an.frame, scores, areas, threshold, sensitive_rules(sensitive),
                           sensitive_threshold=max(10, threshold),
                           select=list(select) if select is not None else None, focus=focus, period=period,
                           hotspot_label=label)
    return table, period, label


ss = st.session_state
src, filters, stats, scenario = current_settings()
from_main = "settings" in ss and ss["settings"] is not None

with st.sidebar:
    st.markdown("### Workshop settings")
    session_name = st.text_input("Workshop session", value=f"Workshop {_dt.date.today():%d %b %Y}",
                                 key="ws_session", help="Comments are saved under this name.")
    n_cards = st.slider("Area cards to show", 3, 24, 8, key="ws_cards")
    threshold = st.radio("Hide counts below", list(PUBLIC_THRESHOLDS), index=0, key="ws_threshold",
                         horizontal=True, help="Small counts are shown as '<5' (or '<10'), as in the public profiles.")
    earlier = st.checkbox("Show comments from earlier sessions", value=False, key="ws_earlier")
    basemap = st.selectbox("Basemap", list(BASEMAPS), key="ws_basemap",
                           help="'none' needs no internet; the others fetch map tiles from the internet.")
    st.caption("Using the analysis settings from the main page." if from_main else
               "Using the default settings (open the main page to choose categories, months and weights).")
    with st.expander("Sensitive categories", expanded=False):
        more = st.text_area("More labels to treat as sensitive (one per line)", key="ws_sensitive_extra",
                            value="\n".join(ss.get("sensitive_labels", ())),
                            help="Added to the shipped list for this session (as on the main page).")
        extra_sensitive = tuple(ln.strip() for ln in more.splitlines() if ln.strip())

try:
    areas, web, features, outlines, _notes = c_areas(src)
    analysis = c_analysis(src, filters, stats)
    result = c_score(src, filters, stats, scenario)[0]
    table, period, what = c_workshop(src, filters, stats, scenario, threshold, sensitive=extra_sensitive)
    decided = classify_labels([c for c in analysis.counts.counts.columns if c != "total"],
                              sensitive_rules(extra_sensitive))
except PlaceBasedError as exc:
    st.error(escape_markdown(str(exc)))
    st.stop()

gi_bin = analysis.frame["gi_bin"]
tier = result.table["tier"].reindex(areas.index).fillna(TIER_EXCLUDED)
tiers = scenario.tiers

st.title("Community workshop")
st.markdown(f"Recorded **{escape_markdown(what)}**" + (f", **{escape_markdown(period)}**" if period else "") +
            ", counted by neighbourhood. Hover over an area to see its name; click it to comment on it.")
layer = st.radio("Show", list(LAYER_CHOICES), format_func=LAYER_CHOICES.get, horizontal=True, key="ws_layer",
                 label_visibility="collapsed")

colours, legend, title = map_layer(layer, gi_bin, tier, tiers)
note = ("A hot spot is an area that, with its neighbours, has more incidents than chance would give."
        if layer == "hotspots" else "Areas ranked by the partnership's priority score.")
tips = plain_tooltips(table, gi_bin, tier, tiers, period)
# the map and, beside it, the area cards (a 1920x1080 screen shows both without scrolling)
map_col, card_col = st.columns([3, 2], gap="medium")
with map_col:
    if not use_folium_map(basemap):  # the geometry once, restyled in the browser (components/areamap)
        for code in take_clicks("ws_areamap"):
            ss["ws_pick"] = code
        geo = c_web_geometry(src)
        area_map(geo["url"], workshop_payload(geo["codes"], colours, tips, title, legend, note, outlines is not None,
                                              selected=[ss.get("ws_pick")]), height=760, key="ws_areamap", toggle=False,
                 places=places_url(geo, areas),  # town and ward names, scaled to the zoom
                 focus=hotspot_bounds(areas, gi_bin, min_bin=2 if (gi_bin >= 2).any() else 1)  # open on the
                 if layer == "hotspots" else None)  # hot spots (the likely ones when there are any)
        click = None
    else:
        fmap = workshop_map(web, features, colours, tips, title, legend, note, basemap, outlines)
        out = st_folium(fmap, height=760, use_container_width=True, returned_objects=["last_object_clicked"],
                        key="ws_map")
        click = (out or {}).get("last_object_clicked")
if click and click != ss.get("ws_last_click"):
    ss["ws_last_click"] = click
    code = area_at(web, click["lat"], click["lng"])
    if code:
        ss["ws_pick"] = code
with st.sidebar.expander("Categories treated as sensitive", expanded=False):
    st.dataframe(glossary.display_frame(decided[decided["sensitive"]][["label", "rule"]], glossary.SENSITIVE_TABLE,
                                        index=False), hide_index=True, width="stretch")
st.caption(public_note(threshold, max(10, threshold)) + " No individual incidents are shown. " +
           ("No basemap: nothing is fetched from the internet." if basemap == "none" else
            "Basemap tiles are fetched from the internet."))

# ------------------------------------------------------------------------------------------ cards


def card_codes(layer: str) -> tuple[list[str], str]:
    if layer == "hotspots":
        hf = analysis.frame
        hot = hf[hf["gi_bin"] > 0].sort_values(["gi_bin", "gi_z"], ascending=False)
        if len(hot):
            return list(hot.index[:n_cards]), "Hot spots"
        st.info("No hot spots stand out with these settings; showing the priority areas instead.")
    t = result.table
    ranked = t[t["tier"].isin([f"top {x:g}%" for x in tiers])].sort_values("rank")
    if not len(ranked):
        ranked = t.sort_values("rank")
    return list(ranked.index[:n_cards]), "Priority areas"


def save_comment(code: str) -> None:
    author = user.author or (ss.get(f"ws_author_{code}") or "").strip()  # signed in: the account, no name field
    text = (ss.get(f"ws_text_{code}") or "").strip()
    flash = ss.setdefault("ws_flash", {})
    if not author or not text:
        flash[code] = ("error", "Please write your name and a comment.")
        return
    if store is None:
        flash[code] = ("error", "Comments cannot be saved now: saved work is unavailable (see the note above).")
        return
    try:
        store.add_comment(code, text, author, session=session_name.strip() or None)
    except PlaceBasedError as exc:
        flash[code] = ("error", str(exc))
        return
    ss["ws_last_author"] = author
    ss[f"ws_text_{code}"] = ""
    flash[code] = ("ok", "Thank you: your comment is saved.")


def show_comments(code: str) -> None:
    if store is None:
        st.caption("Comments are unavailable: saved work cannot be reached.")
        return
    try:
        frame = store.comments(code, session=None if earlier else (session_name.strip() or None))
    except PlaceBasedError as exc:
        st.error(escape_markdown(str(exc)))
        return
    if not len(frame):
        st.caption("No comments yet.")
        return
    st.markdown(f"**Comments ({len(frame)})**")
    for r in frame.itertuples():
        md = escape_markdown
        st.markdown(f"**{md(r.author)}** · {md(when_text(r.created_at))}  \n{md(r.text)}")


def area_card(code: str, row: pd.Series, counts_cols: list[str]) -> None:
    with st.container(border=True):
        ward = areas["ward_name"].get(code) if "ward_name" in areas else None
        st.markdown(f"#### {escape_markdown(place_label(code, row.get('area_name') or code, ward))}")
        b = gi_bin.get(code)
        spot = GI_PLAIN.get(int(b) if pd.notna(b) else 0, GI_PLAIN[0])
        plain_tier = tier_labels(tiers).get(tier.get(code), '')
        st.caption(f"{escape_markdown(code)} · {escape_markdown(spot)} · {escape_markdown(plain_tier)}")
        st.markdown(escape_markdown(row.get("sentence", "")))
        parts = [f"All incidents{', ' + period if period else ''}: {row.get('total')}"]
        parts += [f"{c}: {row.get(c)}" for c in counts_cols if c in row.index and pd.notna(row.get(c))]
        st.markdown(" · ".join(escape_markdown(p) for p in parts))
        listing = st.container()
        flash = ss.get("ws_flash", {}).pop(code, None)
        ss.setdefault(f"ws_author_{code}", ss.get("ws_last_author", ""))
        with st.form(f"ws_form_{code}", border=False):
            c1, c2 = st.columns([1, 2])
            if user.author is None:
                c1.text_input("Your name", key=f"ws_author_{code}", max_chars=100)
            else:
                c1.caption(f"Comments are saved as {escape_markdown(user.author)}.")
            c2.text_area("Your comment on this area", key=f"ws_text_{code}", max_chars=5000, height=90)
            st.form_submit_button("Save comment", on_click=save_comment, args=(code,), disabled=store is None)
        if flash:
            (st.success if flash[0] == "ok" else st.error)(flash[1])
        with listing:
            show_comments(code)


codes, heading = card_codes(layer)
pick = ss.get("ws_pick")
picked_first = bool(pick and pick in areas.index and pick not in codes)
if picked_first:
    codes = [pick] + codes
try:
    cards, _, _ = c_workshop(src, filters, stats, scenario, threshold, tuple(codes), extra_sensitive)
except PlaceBasedError as exc:
    st.error(escape_markdown(str(exc)))
    st.stop()
shown_cats = [c for c in (analysis.selected if filters.categories else ()) if c in cards.columns]

with card_col:  # beside the map, scrolling on their own
    st.markdown(f"### {heading}: why these areas stand out")
    store = store_or_warning("Saving and showing comments")
    with st.container(height=690, border=False):
        for i, code in enumerate(codes):
            if picked_first and i == 0:
                st.caption("Chosen on the map")
            area_card(code, cards.loc[code], shown_cats)

st.markdown("## Comment on another area")
names = place_labels(areas)  # "West Northamptonshire 032B, in Kingsley ward": searchable by ward
other = st.selectbox("Area", [None] + list(areas.index), key="ws_other",
                     format_func=lambda c: "Choose an area…" if c is None else f"{names.get(c, '')} ({c})")
if other is not None and other not in codes:
    try:
        one, _, _ = c_workshop(src, filters, stats, scenario, threshold, (other,), extra_sensitive)
        area_card(other, one.loc[other], [c for c in shown_cats if c in one.columns])
    except PlaceBasedError as exc:
        st.error(escape_markdown(str(exc)))

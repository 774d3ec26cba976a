"""Workshop mode: a large, calm map and area cards for a community room.

Only aggregated, suppressed counts are shown (:func:`placebased.workshop.workshop_table`, the same
disclosure rules as the public profiles); there is no incident-point layer at all. Participants'
comments are saved in the :class:`placebased.store.Store` against an area, with their name and the
time, and shown back as text. Everything that came from a file or a person (area names and codes,
comments, author names) is escaped for HTML *and* for Markdown before it is shown, so neither
markup nor Markdown links or images in it do anything. No outside request is made unless the
analyst chooses a basemap.

The page reads the main page's settings (``current_settings()``), or defaults when opened directly.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import re
import sys
from pathlib import Path

import folium
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # opened on its own (e.g. AppTest): appcache lives next to app.py
    sys.path.insert(0, str(ROOT))

from appcache import c_analysis, c_areas, c_score, c_store, current_settings  # noqa: E402
from placebased import style  # noqa: E402
from placebased.categories import GROUPS  # noqa: E402
from placebased.disclosure import suppression_note  # noqa: E402
from placebased.errors import DataError, PlaceBasedError  # noqa: E402
from placebased.mapping import (  # noqa: E402
    BASEMAPS,
    AreaLayer,
    OfflineMap,
    RawHtml,
    area_at,
    install_static_assets,
    legend_html,
)
from placebased.safety import escape_text  # noqa: E402
from placebased.scoring import EXCLUDED, OTHER  # noqa: E402
from placebased.workshop import category_label, period_label, workshop_table  # noqa: E402

st.set_page_config(page_title="placebased — workshop", page_icon="📍", layout="wide")
install_static_assets(ROOT / "static")

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

LAYER_CHOICES = {
    "hotspots": "Where incidents cluster (hot spots)",
    "priority": "Priority areas",
}
#: Gi* bins in plain words (99 / 95 / 90 % confidence = very likely / likely / possible)
GI_PLAIN = {
    3: "Hot spot (very likely)",
    2: "Hot spot (likely)",
    1: "Hot spot (possible)",
    0: "No clear pattern",
    -1: "Fewer incidents than nearby areas (possible)",
    -2: "Fewer incidents than nearby areas (likely)",
    -3: "Fewer incidents than nearby areas (very likely)",
}
TIER_COLOURS = ["#7f0000", "#d7301f", "#fc8d59", "#fdd49e", "#fee8c8"]
CALM = "#f2f2ee"
#: characters that Markdown (and Streamlit's extensions: $ maths, :emoji:, :colour[...]) would act on
_MD_CHARS = "\\`*_{}[]()#+-.!|~$:=^<>&\"'"
_MD_ENTITIES = {ord(c): f"&#{ord(c)};" for c in _MD_CHARS}
_WWW = re.compile(r"(?i)(www)(\.)")


def safe_md(value: object) -> str:
    """Text from a file or a person, made inert for ``st.markdown``: HTML-escaped (``escape_text``),
    every Markdown punctuation character written as a numeric entity, and an invisible word joiner
    after ``:`` and ``@`` and inside ``www.`` so no bare URL or e-mail address becomes a link; new
    lines kept."""
    text = escape_text(value)
    text = _WWW.sub("\\1\u2060\\2", text.replace(":", ":\u2060").replace("@", "@\u2060"))
    # escape_text already turned & < > " ' into entities; encode the rest of the punctuation
    text = text.replace("&amp;", "\0a").replace("&lt;", "\0l").replace("&gt;", "\0g").replace("&quot;", "\0q")
    text = text.replace("&#x27;", "\0s").translate(_MD_ENTITIES)
    text = (text.replace("\0a", "&amp;").replace("\0l", "&lt;").replace("\0g", "&gt;").replace("\0q", "&quot;")
            .replace("\0s", "&#x27;"))
    lines = [ln.strip() for ln in text.splitlines()]
    return "  \n".join(ln for ln in lines if ln) or "&#8203;"


def hotspot_label(selected: tuple[str, ...], filtered: bool) -> str:
    """What the hot-spot analysis counted, in words ("serious violence", "robbery", "all incidents")."""
    if not filtered or not selected:
        return "all incidents"
    for g in GROUPS.values():
        if g["police_uk"] and set(g["police_uk"]) == set(selected):
            return g["label"].split(" (")[0].lower()
    return ", ".join(category_label(c) for c in selected)


def tier_labels(tiers: tuple[float, ...]) -> dict[str, str]:
    """Score tier -> plain label, most urgent first (tiers are "top x%" of ranked areas)."""
    words = ["Highest priority", "High priority", "Priority"]
    out, prev = {}, None
    for i, t in enumerate(sorted(tiers)):
        word = words[i] if i < len(words) else "Priority"
        span = f"top {t:g}% of areas" if prev is None else f"top {prev:g}–{t:g}%"
        out[f"top {t:g}%"] = f"{word}: {span}"
        prev = t
    out[OTHER] = "Not a priority area"
    out[EXCLUDED] = "Not scored (data missing)"
    return out


def map_layer(layer: str, gi_bin: pd.Series, tier: pd.Series, tiers: tuple[float, ...]):
    """Colours per area, legend items and title for the chosen plain-English layer."""
    if layer == "hotspots":
        b = gi_bin.fillna(0).astype(int)
        colours = b.map(style.gi_bin_colour)
        present = set(b)
        legend = [(style.GI_BIN_COLOURS[i], GI_PLAIN[i]) for i in (3, 2, 1, 0, -1, -2, -3) if i in present or i >= 0]
        return colours, legend, "Where incidents cluster"
    labels = tier_labels(tiers)
    order = [f"top {t:g}%" for t in sorted(tiers)]
    cmap = {k: TIER_COLOURS[min(i, len(TIER_COLOURS) - 1)] for i, k in enumerate(order)}
    cmap[OTHER], cmap[EXCLUDED] = CALM, "#ffffff"
    colours = tier.map(lambda t: cmap.get(t, CALM))
    legend = [(cmap[k], labels[k]) for k in order] + [(CALM, labels[OTHER])]
    if (tier == EXCLUDED).any():
        legend.append(("#ffffff", labels[EXCLUDED]))
    return colours, legend, "Priority areas"


def plain_tooltips(table: pd.DataFrame, gi_bin: pd.Series, tier: pd.Series, tiers, period: str | None) -> pd.Series:
    """Tooltip HTML per area: name, code, plain hot-spot and priority labels, the suppressed total.
    Every value is escaped; no rate, score or raw count appears."""
    labels = tier_labels(tiers)
    when = f", {period}" if period else ""
    out = {}
    for code, row in table.iterrows():
        b = gi_bin.get(code)
        spot = GI_PLAIN.get(int(b) if pd.notna(b) else 0, GI_PLAIN[0])
        out[code] = (
            f"<div style='font-size:15px;line-height:1.4'><b>{escape_text(row.get('area_name'))}</b> "
            f"<span style='color:#5f6b76'>{escape_text(code)}</span><br>{escape_text(spot)}<br>"
            f"{escape_text(labels.get(tier.get(code), labels[OTHER]))}<br>"
            f"All incidents{escape_text(when)}: {escape_text(row.get('total'))}</div>"
        )
    return pd.Series(out, dtype=object)


def workshop_map(web, features: dict, colours: pd.Series, tips: pd.Series, title: str, legend, note: str,
                 basemap: str | None, outlines=None):
    """The areas only (no point layer of any kind), coloured, with plain tooltips and a legend;
    local authority ``outlines`` (WGS84 or with a CRS) drawn on top, not interactive."""
    tiles = BASEMAPS.get(basemap or "none")
    b = web.total_bounds
    m = OfflineMap(location=[(b[1] + b[3]) / 2, (b[0] + b[2]) / 2], zoom_start=10, tiles=tiles,
                   control_scale=True, attribution_control=bool(tiles), zoom_snap=0.25, zoom_delta=0.5)
    m.get_root().header.add_child(RawHtml(
        "<style>.leaflet-container{background:#f7f9fb}"
        ".pb-legend{font:16px/1.45 sans-serif !important;padding:12px 14px !important}"
        ".pb-legend span[style*='width:14px']{width:20px !important;height:20px !important}"
        ".pb-legend div{max-width:340px !important}</style>"))
    m.fit_bounds([[b[1], b[0]], [b[3], b[2]]], padding=(4, 4))
    codes = web.index.astype(str)
    fills = colours.reindex(web.index).fillna(CALM).to_numpy()
    tip = tips.reindex(web.index).fillna("").to_numpy()
    gj = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": c, "geometry": features[c],
         "properties": {"area_code": c, "tip": t,
                        "style": {"fillColor": f, "fillOpacity": 0.8, "color": "#8a94a0", "weight": 0.5}}}
        for c, f, t in zip(codes, fills, tip)]}
    AreaLayer(gj, highlight=style.BRAND["accent"]).add_to(m)
    if outlines is not None and len(outlines):
        folium.GeoJson(outlines.to_crs(4326).geometry.to_json(), interactive=False,
                       style_function=lambda _f: {"fill": False, "color": style.BRAND["primary"], "weight": 2}
                       ).add_to(m)
    m.get_root().html.add_child(RawHtml(legend_html(title, legend, note)))
    return m


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
def c_workshop(src, filters, stats, scenario, threshold: int, select: tuple[str, ...] | None = None):
    """The suppressed workshop table (all areas, or ``select``); read-only."""
    areas = c_areas(src)[0]
    an = c_analysis(src, filters, stats)
    scores = c_score(src, filters, stats, scenario).to_frame(drivers=False)
    try:
        period = period_label(an.counts.monthly["month"])
    except DataError:
        period = None
    label = hotspot_label(an.selected, bool(filters.categories))
    focus = list(an.selected) if filters.categories else None
    table = workshop_table(an.counts.counts, an.frame, scores, areas, threshold, sensitive_threshold=max(10, threshold),
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
    threshold = st.radio("Hide counts below", [5, 10], index=0, key="ws_threshold", horizontal=True,
                                 help="Small counts are shown as '<5' (or '<10'), as in the public profiles.")
    earlier = st.checkbox("Show comments from earlier sessions", value=False, key="ws_earlier")
    basemap = st.selectbox("Basemap", list(BASEMAPS), key="ws_basemap",
                           help="'none' needs no internet; the others fetch map tiles from the internet.")
    st.caption("Using the analysis settings from the main page." if from_main else
               "Using the default settings (open the main page to choose categories, months and weights).")

try:
    cached = c_areas(src)  # (areas, web geometry, web features[, authority outlines])
    areas, web, features = cached[0], cached[1], cached[2]
    outlines = cached[3] if len(cached) > 3 else None
    analysis = c_analysis(src, filters, stats)
    result = c_score(src, filters, stats, scenario)
    table, period, what = c_workshop(src, filters, stats, scenario, threshold)
except PlaceBasedError as exc:
    st.error(str(exc))
    st.stop()

gi_bin = analysis.frame["gi_bin"]
tier = result.table["tier"].reindex(areas.index).fillna(EXCLUDED)
tiers = scenario.tiers

st.title("Community workshop")
st.markdown(f"Recorded **{safe_md(what)}**" + (f", **{safe_md(period)}**" if period else "") +
            ", counted by neighbourhood. Hover over an area to see its name; click it to comment on it.")
layer = st.radio("Show", list(LAYER_CHOICES), format_func=LAYER_CHOICES.get, horizontal=True, key="ws_layer",
                 label_visibility="collapsed")

colours, legend, title = map_layer(layer, gi_bin, tier, tiers)
note = ("A hot spot is an area that, with its neighbours, has more incidents than chance would give."
        if layer == "hotspots" else "Areas ranked by the partnership's priority score.")
tips = plain_tooltips(table, gi_bin, tier, tiers, period)
fmap = workshop_map(web, features, colours, tips, title, legend, note, basemap, outlines)
out = st_folium(fmap, height=760, use_container_width=True, returned_objects=["last_object_clicked"], key="ws_map")
click = (out or {}).get("last_object_clicked")
if click and click != ss.get("ws_last_click"):
    ss["ws_last_click"] = click
    code = area_at(web, click["lat"], click["lng"])
    if code:
        ss["ws_pick"] = code
st.caption(suppression_note(threshold, max(10, threshold)) + " No individual incidents are shown. " +
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
    author = (ss.get(f"ws_author_{code}") or "").strip()
    text = (ss.get(f"ws_text_{code}") or "").strip()
    flash = ss.setdefault("ws_flash", {})
    if not author or not text:
        flash[code] = ("error", "Please write your name and a comment.")
        return
    try:
        c_store().add_comment(code, text, author, session=session_name.strip() or None)
    except PlaceBasedError as exc:
        flash[code] = ("error", str(exc))
        return
    ss["ws_last_author"] = author
    ss[f"ws_text_{code}"] = ""
    flash[code] = ("ok", "Thank you: your comment is saved.")


def show_comments(code: str) -> None:
    try:
        frame = c_store().comments(code, session=None if earlier else (session_name.strip() or None))
    except PlaceBasedError as exc:
        st.error(str(exc))
        return
    if not len(frame):
        st.caption("No comments yet.")
        return
    st.markdown(f"**Comments ({len(frame)})**")
    for r in frame.itertuples():
        st.markdown(f"**{safe_md(r.author)}** · {safe_md(when_text(r.created_at))}  \n{safe_md(r.text)}")


def area_card(code: str, row: pd.Series, counts_cols: list[str]) -> None:
    with st.container(border=True):
        st.markdown(f"### {safe_md(row.get('area_name') or code)}")
        b = gi_bin.get(code)
        spot = GI_PLAIN.get(int(b) if pd.notna(b) else 0, GI_PLAIN[0])
        st.caption(f"{safe_md(code)} · {safe_md(spot)} · {safe_md(tier_labels(tiers).get(tier.get(code), ''))}")
        st.markdown(safe_md(row.get("sentence", "")))
        parts = [f"All incidents{', ' + period if period else ''}: {row.get('total')}"]
        parts += [f"{c}: {row.get(c)}" for c in counts_cols if c in row.index and pd.notna(row.get(c))]
        st.markdown(" · ".join(safe_md(p) for p in parts))
        listing = st.container()
        flash = ss.get("ws_flash", {}).pop(code, None)
        ss.setdefault(f"ws_author_{code}", ss.get("ws_last_author", ""))
        with st.form(f"ws_form_{code}", border=False):
            c1, c2 = st.columns([1, 2])
            c1.text_input("Your name", key=f"ws_author_{code}", max_chars=100)
            c2.text_area("Your comment on this area", key=f"ws_text_{code}", max_chars=5000, height=90)
            st.form_submit_button("Save comment", on_click=save_comment, args=(code,))
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
    cards, _, _ = c_workshop(src, filters, stats, scenario, threshold, tuple(codes))
except PlaceBasedError as exc:
    st.error(str(exc))
    st.stop()
shown_cats = [c for c in (analysis.selected if filters.categories else ()) if c in cards.columns]

st.markdown(f"## {heading}: why these areas stand out")
cols = st.columns(2, gap="large")
for i, code in enumerate(codes):
    with cols[i % 2]:
        if picked_first and i == 0:
            st.caption("Chosen on the map")
        area_card(code, cards.loc[code], shown_cats)

st.markdown("## Comment on another area")
names = areas["area_name"].astype(str)
other = st.selectbox("Area", [None] + list(areas.index), key="ws_other",
                     format_func=lambda c: "Choose an area…" if c is None else f"{names.get(c, '')} ({c})")
if other is not None and other not in codes:
    try:
        one, _, _ = c_workshop(src, filters, stats, scenario, threshold, (other,))
        area_card(other, one.loc[other], [c for c in shown_cats if c in one.columns])
    except PlaceBasedError as exc:
        st.error(str(exc))

"""placebased — pick priority neighbourhoods on an offline map.

Thin UI: widgets fill frozen settings (Sources, Filters, StatsSettings, Scenario); cached wrappers
call ``placebased``; the results are drawn. Session state holds UI state only (the target
selection and its reasons, the last map click, the last good uploads).
"""

from __future__ import annotations

import contextvars
from dataclasses import replace
from pathlib import Path

import streamlit as st

from appauth import can, export_button, gate, settings_of
from appcache import (
    c_analysis,
    c_area_charts,
    c_areas,
    c_catalogue_labels,
    c_gaps,
    c_incidents,
    c_profile_context,
    c_provision,
    c_score,
    c_sites,
    c_trends,
    c_web_geometry,
    save_upload,
    store_or_warning,
)
from components.areamap import area_map, places_url, take_clicks, use_folium_map
from placebased import access
from placebased import pipeline as P  # noqa: N812
from placebased.categories import classify_labels, sensitive_rules
from placebased.config import AreaConfig
from placebased.errors import PlaceBasedError
from placebased.io.export import table_bytes
from placebased.io.places import place_labels
from placebased.names import (
    ALPHA_CHOICES,
    CORRECTIONS,
    DRAW_CHOICES,
    MISSING_POLICIES,
    NORMALISATIONS,
    PERMUTATION_CHOICES,
    REACH_CHOICES_M,
    UPLOAD_TYPES,
    VINTAGES,
    WEEKDAYS,
    WEIGHT_CHOICES,
)
from placebased.outputs import glossary
from placebased.outputs.mapping import BASEMAPS, LAYERS, area_at, build_map, cluster_points, install_static_assets
from placebased.outputs.webmap import style_payload
from placebased.pipeline import (
    Scenario,
    default_scenario,
    preset,
    preset_names,
    selection_csv,
    selection_geojson,
    selection_table,
)
from placebased.safety import escape_markdown

COL = glossary.column_label  # every heading the page shows: plain words from the glossary
DEFAULT_STATS = P.StatsSettings()

ROOT = Path(__file__).resolve().parent.parent
install_static_assets(ROOT / "static")
user = gate("priority")  # roles (docs/deploy.md); checked here too for direct URL access


def _comments_or_none(code: str | None = None):
    """Workshop comments for a profile, or None (with a warning) when saved work is unavailable."""
    store = store_or_warning("Adding workshop comments to profiles")
    try:
        return None if store is None else store.comments(code)
    except PlaceBasedError as exc:
        st.warning(f"Workshop comments are left out of the profile: {escape_markdown(exc)}", icon="⚠️")
        return None

# ------------------------------------------------------------------------------------------ state

ss = st.session_state
ss.setdefault("selection", {})  # area code -> reason
ss.setdefault("last_click", None)
ss.setdefault("good", {})  # kind -> last good upload paths
ss.setdefault("weights", dict(default_scenario().weights))
ss.setdefault("scenario_meta", {"name": default_scenario().name, "description": default_scenario().description})
area_cfg = ss.get("area_config") or AreaConfig()  # app.py's --config area.toml; empty: the shipped data
ss.setdefault("vintage", area_cfg.vintage)

# ------------------------------------------------------------------------------------------ sidebar: data

sb = st.sidebar
sb.title("placebased")
sb.caption("Priority neighbourhoods for the Serious Violence Duty · open data · works offline")
if area_cfg.path is not None:
    sb.caption(escape_markdown(f"Data: {area_cfg.label} (--config {area_cfg.path.name}); an upload replaces "
                               "its data of that kind."))


def upload_widget(kind: str, label: str, help_text: str, types: list[str], multiple: bool = False,
                  validate=None):
    """An uploader whose file is validated before use; on failure the error shows here and the
    previous good file stays in use."""
    files = st.file_uploader(label, type=types, accept_multiple_files=multiple, help=help_text, key=f"up_{kind}")
    files = files if multiple else ([files] if files else [])
    if not files:
        ss["good"].pop(kind, None)
        return ()
    try:
        paths = tuple(save_upload(f) for f in files)
        if validate:
            validate(paths)
        ss["good"][kind] = paths
    except PlaceBasedError as exc:
        st.error(escape_markdown(str(exc)), icon="⚠️")
        st.caption("Still using the previous data.")
    return ss["good"].get(kind, ())


with sb.expander("Data: areas, incidents, indicators, provision", expanded=False):
    vintage = st.radio("Area set", list(VINTAGES), horizontal=True, key="vintage", format_func=VINTAGES.get)
    sb_bound_id = st.text_input("Id column of uploaded boundaries", value="", placeholder="e.g. LSOA21CD")
    boundary_paths = upload_widget(
        "boundaries", "Boundaries (optional)", "GeoJSON, GeoPackage, zipped Shapefile or GeoParquet with an id column",
        list(UPLOAD_TYPES["boundaries"]),
        validate=lambda p: c_areas(P.Sources(vintage, p[0], sb_bound_id or None)))
    date_format = st.text_input("Date format of uploaded incidents (optional)", value="", placeholder="e.g. %m/%d/%Y",
                                help="Leave blank to detect: ISO, or day-first unless the values show month-first "
                                     "(US style); %m/%d/%Y reads 03/14/2025 as 14 March.").strip()
    inc_opts = (("date_format", date_format),) if date_format else ()

    def _check_incidents(paths):  # the options stay with the last good upload
        bar = st.progress(0.0, text="Reading incidents…")
        outside = contextvars.copy_context()  # the bar lives outside the cached reader: update it from there

        def show(done, total, _what):
            outside.run(bar.progress, done / max(total, 1), f"Reading the police.uk download: {done}/{total} files")

        try:  # a police.uk download is kept to the current areas, so check it against them
            c_incidents(area_cfg.sources(vintage, boundary_paths[0] if boundary_paths else None, sb_bound_id or None,
                                         incidents=paths, incident_options=inc_opts), progress=show)
        finally:
            bar.empty()
        ss["good_incident_options"] = inc_opts

    incident_paths = upload_widget(
        "incidents", "Incidents (optional; default police.uk)",
        "the police.uk download zip as it comes, police.uk CSVs, or CSV/Excel with latitude/longitude or "
        "easting/northing, or GeoJSON points",
        list(UPLOAD_TYPES["incidents"]), multiple=True, validate=_check_incidents)
    src0 = area_cfg.sources(vintage=vintage, boundaries=boundary_paths[0] if boundary_paths else None,
                            id_column=sb_bound_id or None, incidents=incident_paths,
                            incident_options=ss.get("good_incident_options", ()) if incident_paths else ())
    table_paths = upload_widget(
        "tables", "Indicator tables (optional)", "CSV/Excel: an area-code column and value columns",
        list(UPLOAD_TYPES["tables"]), multiple=True,
        validate=lambda p: P.check_tables_for(P.Sources(tables=p), c_areas(src0)[0].index))
    provision_paths = upload_widget(
        "provision", "Provision (optional; default NHS example)",
        "CSV/Excel with coordinates or postcodes, or GeoJSON/GeoPackage points or service areas",
        list(UPLOAD_TYPES["provision"]), validate=lambda p: P.load_provision_for(P.Sources(provision=p[0])))
    src = area_cfg.sources(vintage=vintage, boundaries=src0.boundaries, id_column=src0.id_column,
                           incidents=incident_paths, incident_options=src0.incident_options, tables=table_paths,
                           provision=provision_paths[0] if provision_paths else None)

try:
    areas, web, features, outlines, area_notes = c_areas(src)
    incidents = c_incidents(src)
except PlaceBasedError as exc:
    st.error(escape_markdown(str(exc)))
    st.stop()

# ------------------------------------------------------------------------------------------ sidebar: filters

with sb.expander("Filters", expanded=True):
    cats = incidents.categories
    groups = P.category_choices(cats)
    options = list(groups) + cats
    default_group = next((g for g in groups if g.startswith("Serious violence")), None)
    picked = st.multiselect("Categories", options, default=[default_group] if default_group else [],
                            help="Groups follow the partnership's serious-violence definition "
                                 "(police.uk proxy: violence and sexual offences, robbery, weapons).")
    chosen = sorted({c for p in picked for c in groups.get(p, [p])})
    months = P.months_available(incidents.points)
    if len(months) > 1:
        start, end = st.select_slider("Months", options=months, value=(months[0], months[-1]))
    else:
        start, end = (months[0], months[0]) if months else (None, None)
    has_times = bool(incidents.points["time"].notna().any())
    hours = st.slider("Time of day (hours)", 0, 24, (0, 24), disabled=not has_times,
                      help=None if has_times else "police.uk records carry months only: no times to filter.")
    days = st.multiselect("Days of the week", list(range(7)), default=[], disabled=not has_times,
                          format_func=WEEKDAYS.__getitem__,
                          help="e.g. Sat and Sun with 01:00-05:00 for night-time-economy violence")
    if not has_times:
        st.caption("No times in these records (police.uk has months only).")
filters = P.Filters(categories=tuple(chosen) or None, start=start, end=end,
                    hours=None if hours == (0, 24) or not has_times else tuple(hours),
                    weekdays=tuple(sorted(days)) or None if has_times else None)

# ------------------------------------------------------------------------------------------ sidebar: statistics

with sb.expander("Statistics", expanded=False):
    wkind = st.selectbox("Spatial weights", list(WEIGHT_CHOICES), format_func=glossary.weights_label,
                         index=list(WEIGHT_CHOICES).index(DEFAULT_STATS.weights))
    variables = P.hotspot_variables(areas, incidents)  # area indicators when there are no incidents
    variable = st.selectbox("Variable", list(variables), format_func=variables.get)
    perms = st.select_slider("Permutations", list(PERMUTATION_CHOICES), value=DEFAULT_STATS.permutations,
                             help="9,999 by default (as the library and CLI): with a correction (FDR) over hundreds "
                                  "of areas, 999 permutations (smallest two-sided p = 0.002) leave too little "
                                  "room to pass.")
    alpha = st.select_slider("Alpha", list(ALPHA_CHOICES), value=DEFAULT_STATS.alpha)
    correction = st.selectbox("Multiple-testing correction", list(CORRECTIONS), format_func=glossary.correction_label,
                              index=list(CORRECTIONS).index(DEFAULT_STATS.correction),
                              help="False Discovery Rate by default (as ArcGIS).")
    seed = int(st.number_input("Seed", min_value=0, value=DEFAULT_STATS.seed, step=1))
stats = P.StatsSettings(weights=wkind, variable=variable, permutations=perms, alpha=alpha, correction=correction,
                        seed=seed)

try:
    analysis = c_analysis(src, filters, stats)
except PlaceBasedError as exc:
    st.error(escape_markdown(str(exc)))
    st.stop()

# ------------------------------------------------------------------------------------------ sidebar: weights

labels = c_catalogue_labels(src.vintage)
available = list(analysis.indicators.columns)
with sb.expander("Priority weights", expanded=True):
    names = preset_names()
    pick = st.selectbox("Start from a preset", ["(keep current)"] + names)
    if pick != "(keep current)" and st.button("Load preset"):
        ps = preset(pick)
        ss["weights"] = dict(ps.weights)
        ss["scenario_meta"] = {"name": ps.name, "description": ps.description}
        st.rerun()
    up = st.file_uploader("Load a scenario (TOML)", type=list(UPLOAD_TYPES["scenario"]), key="up_scenario")
    if up is not None and st.button("Use this scenario"):
        try:
            path = save_upload(up)
            sc = Scenario.load(path)
            ss["weights"] = dict(sc.weights)
            ss["scenario_meta"] = {"name": sc.name, "description": sc.description}
            st.rerun()
        except PlaceBasedError as exc:
            st.error(escape_markdown(str(exc)))
    with st.form("weights_form"):
        chosen_ids = st.multiselect("Indicators", available, default=[k for k in ss["weights"] if k in available],
                                    format_func=lambda k: labels.get(k, COL(k)))
        new_weights = {}
        for k in chosen_ids:
            new_weights[k] = st.slider(labels.get(k, COL(k)), 0, 100, int(round(ss["weights"].get(k, 10))),
                                       key=f"w_{k}")
        base = default_scenario()
        norm = st.selectbox("Normalisation", list(NORMALISATIONS), index=list(NORMALISATIONS).index(base.normalisation),
                            format_func=lambda k: glossary.choice_label(k, glossary.NORMALISATION_NAMES))
        missing = st.selectbox("Missing values", list(MISSING_POLICIES),
                               index=list(MISSING_POLICIES).index(base.missing),
                               format_func=lambda k: glossary.choice_label(k, glossary.MISSING_NAMES))
        draws = st.select_slider("Robustness draws", list(DRAW_CHOICES), value=base.draws)
        if st.form_submit_button("Apply weights", type="primary"):
            ss["weights"] = {k: float(v) for k, v in new_weights.items() if v > 0} or ss["weights"]
    total = sum(ss["weights"].values()) or 1
    st.caption("Weights now: " + ", ".join(f"{labels.get(k, COL(k))} {100 * v / total:.0f}%"
                                           for k, v in ss["weights"].items()))
    if st.button("Suggest weights from regression evidence"):
        with st.spinner("Fitting the count regression (negative binomial, population offset)…"):
            try:
                base = Scenario(weights=ss["weights"])
                ss["suggestion"] = P.suggest_weights(areas, analysis, base)
            except PlaceBasedError as exc:
                st.error(escape_markdown(str(exc)))

scenario = Scenario(name=ss["scenario_meta"]["name"], description=ss["scenario_meta"]["description"],
                    weights=ss["weights"], normalisation=norm, missing=missing, draws=draws)

with sb.expander("Map", expanded=False):
    basemap = st.selectbox("Basemap", list(BASEMAPS), help="'none' needs no internet; the others fetch tiles.")
    show_points = can(user, "points") and st.checkbox("Incident points (analyst view, clustered)", value=False)
    show_provision = st.checkbox("Current provision (NHS example unless uploaded)", value=False)
    show_outlines = st.checkbox("Local authority outlines", value=True)
    radius = st.select_slider("Provision reach (m)", list(REACH_CHOICES_M), value=1000)

with sb.expander("Sensitive categories", expanded=False):
    extra_sensitive = tuple(ln.strip() for ln in st.text_area(
        "More labels to treat as sensitive (one per line)", key="sensitive_extra",
        help="Words or labels of your data, e.g. an operation name; matched like the shipped list "
             "(case, punctuation and plurals ignored). Kept for this session only.").splitlines() if ln.strip())
    try:
        rules = sensitive_rules(extra_sensitive)
    except PlaceBasedError as exc:
        st.error(escape_markdown(str(exc)))
        rules = sensitive_rules(extra_sensitive, env=False)
    decided = classify_labels(sorted(incidents.points["category"].dropna().astype(str).unique()), rules)
    st.caption(f"{int(decided['sensitive'].sum())} of {len(decided)} categories in the data are treated as "
               "sensitive: never drawn as points; in public outputs hidden below 10 and left out of totals.")
    st.dataframe(glossary.display_frame(decided[decided["sensitive"]][["label", "rule"]], glossary.SENSITIVE_TABLE,
                                        index=False), hide_index=True, use_container_width=True)
ss["sensitive_labels"] = extra_sensitive  # read by the workshop page (this session only)

# ------------------------------------------------------------------------------------------ compute

try:
    result, score_note = c_score(src, filters, stats, scenario)
except PlaceBasedError as exc:
    st.error(escape_markdown(str(exc)))
    st.stop()
scores = result.to_frame()
mf = P.map_frame(areas, analysis, scores)
for n in area_notes + ([score_note] if score_note else []):
    st.warning(n)
ss["settings"] = (src, filters, stats, scenario)  # read by the workshop page

# ------------------------------------------------------------------------------------------ main

st.markdown("### Priority neighbourhoods")
top = st.columns([3, 2])
layer = top[0].radio("Colour areas by", list(LAYERS), horizontal=True, format_func=LAYERS.get, key="layer")
top[1].caption(f"{len(areas):,} areas · {analysis.filter_report.kept:,} incidents in the filters · "
               f"{escape_markdown(filters.describe())}")
_rep, _counted = incidents.report, analysis.counts.report  # in plain words: read, counted, left out
top[1].caption(glossary.incident_summary(_rep.rows_read, _counted.in_area, _counted.outside, _rep.skipped,
                                         filters.start, filters.end))
if incidents.report.notes:
    with top[1].expander(f"Notes on reading the incidents ({len(incidents.report.notes)})"):
        for n in incidents.report.notes:
            st.caption(escape_markdown(n))

provision = c_provision(src) if (show_provision or layer == "gaps") else None
if provision is None and (show_provision or layer == "gaps"):
    st.info(P.NO_PROVISION_NOTE)
sites = None
if layer == "gaps" and provision is not None:
    from placebased.io.provision import provision_types, select_types
    from placebased.outputs.style import youth_and_community

    g1, g2 = st.columns([3, 1])
    offered = provision_types(provision)
    types = tuple(g1.multiselect(  # starts with youth and community provision (the partnership's question)
        "Provision types for gaps", offered, default=youth_and_community(offered) or None, key="gap_types",
        help="Starts with youth and community provision (partners' own services, community and public health). "
             "Add types (GP practices, care homes, ...) to widen it; clear the box to count provision of any type."))
    if types:  # the map shows the provision the gaps are counted against
        provision = select_types(provision, list(types))
    upto = g2.selectbox("Priority areas", [f"top {t:g}%" for t in scenario.tiers], key="gap_tier",
                        format_func=glossary.tier_label)
    try:
        gap = c_gaps(src, filters, stats, scenario, types, float(radius), upto)
        mf["gap"] = gap.table["gap"]
        mf["in_tier"] = gap.table["priority"]
        st.info(gap.summary_line)
    except PlaceBasedError as exc:
        st.error(escape_markdown(str(exc)))
        mf["gap"], mf["in_tier"] = False, False
    k_sites = st.slider("Suggest new sites (k)", 0, 10, 0, help="Maximal covering location problem (spopt MCLP, "
                        "CBC solver), weighted by priority score × population; existing provision of the chosen "
                        "types counts as covering.")
    if k_sites:
        try:
            site_result = c_sites(src, filters, stats, scenario, types, float(radius), int(k_sites))
            sites = site_result.sites
            st.success(site_result.summary_line())
            table = sites.drop(columns="geometry")[["name", "areas_newly_covered", "share_gained",
                                                     "residents_newly_covered"]]
            table = table.assign(share_gained=100 * table["share_gained"])
            st.dataframe(glossary.display_frame(table, {"name": "Suggested site (area centre)"}, index=False),
                         width="stretch", hide_index=True, column_config={
                             COL("share_gained"): st.column_config.NumberColumn(format="%.1f%%"),
                             COL("residents_newly_covered"): st.column_config.NumberColumn(format="%d")})
        except PlaceBasedError as exc:
            st.error(escape_markdown(str(exc)))

if layer == "emerging":
    try:
        trend = c_trends(src, filters, stats)
        mf["emerging_class"] = trend.table["emerging_class"]
        for n in trend.notes:
            st.caption(escape_markdown(f"Note: {n}"))
    except PlaceBasedError as exc:
        st.error(escape_markdown(str(exc)))
        mf["emerging_class"] = None
scenario_name = P.scenario_label(scenario, labels)  # "Balanced (edited: ...)" once the weights differ
note = f"Scenario: {scenario_name}" if layer == "priority" else glossary.LAYER_HINTS.get(layer, "")
hot_settings = {**analysis.hotspots.settings, "variable": stats.variable, "weights": stats.weights}
how_worked_out = {  # analyst detail: the "How this was worked out" expander
    "gi": glossary.method_note("gi", hot_settings), "lisa": glossary.method_note("lisa", hot_settings),
    "priority": glossary.method_note("priority") + f" Normalisation: {scenario.normalisation}; "
                f"{draws:,} robustness draws.",
}.get(layer, glossary.method_note(layer))
if show_points:
    access.require(user, "points")
clusters = cluster_points(P.point_layer(incidents.points, analysis.selected, rules), rules=rules) if show_points \
    else None
left, right = st.columns([7, 4], gap="medium")
with left:
    if not use_folium_map(basemap):  # the geometry once, restyled in the browser (components/areamap)
        for hit in take_clicks("areamap"):
            if hit in ss["selection"]:
                ss["selection"].pop(hit)
            else:
                ss["selection"][hit] = ""
            ss["detail_pick"] = hit
        geo = c_web_geometry(src)
        area_map(geo["url"], style_payload(
            geo["codes"], mf, layer=layer, selected=list(ss["selection"]), note=note,
            provision=provision if (show_provision or layer == "gaps") else None, provision_radius_m=float(radius),
            point_clusters=clusters, sites=sites, outlines=bool(show_outlines and outlines is not None),
            count_label="Incidents (selected categories)"), height=660, key="areamap",
            places=places_url(geo, areas),  # town and ward names; the gaps outlined above the provision badges
            emphasis=list(mf.index[mf["gap"].fillna(False).astype(bool)]) if "gap" in mf else None)
        click = None
    else:  # a basemap (or PLACEBASED_MAP=folium): the whole Leaflet document per rerun
        fmap = build_map(web, mf, layer=layer, selected=list(ss["selection"]), note=note, basemap=basemap,
                         provision=provision if (show_provision or layer == "gaps") else None,
                         provision_radius_m=float(radius), sites=sites, outlines=outlines if show_outlines else None,
                         point_clusters=clusters, count_label="Incidents (selected categories)", features=features)
        from streamlit_folium import st_folium  # only with a basemap: not imported at the app's start

        out = st_folium(fmap, height=660, use_container_width=True, returned_objects=["last_object_clicked"],
                        key="map")
        click = (out or {}).get("last_object_clicked")
    if click and click != ss["last_click"]:
        ss["last_click"] = click
        hit = area_at(web, click["lat"], click["lng"])
        if hit:
            if hit in ss["selection"]:
                ss["selection"].pop(hit)
            else:
                ss["selection"][hit] = ""
            ss["detail_pick"] = hit
            st.rerun()
    st.caption("Click an area to add it to the target selection (click again to remove). " +
               ("No basemap: nothing is fetched from the internet." if basemap == "none" else
                "Basemap tiles are fetched from the internet."))

with right:
    st.markdown(f"#### Target selection ({len(ss['selection'])})")
    if not ss["selection"]:
        st.caption("No areas picked yet. Click areas on the map, or add them from the ranked table below.")
    else:
        table = selection_table(ss["selection"], areas, scores)
        elsewhere = len(ss["selection"]) - len(table)
        if elsewhere:
            st.caption(f"{elsewhere} selected area(s) are not in the current area set; they are kept in the "
                       "selection and shown again when that area set is loaded.")
        places = place_labels(areas)  # "West Northamptonshire 032B, in Kingsley ward"
        st.markdown(" · ".join(f"**{escape_markdown(r.area_code)}** "
                               f"{escape_markdown(places.get(r.area_code, r.area_name))}" for r in table.itertuples()))
        shown = glossary.display_frame(table, labels, index=False)  # plain headings and priority groups
        editable = (COL("reason"), COL("remove"))
        edited = st.data_editor(
            shown, key="sel_editor", hide_index=True, width="stretch",
            column_config={COL("reason"): st.column_config.TextColumn(width="large", pinned=True),
                           COL("remove"): st.column_config.CheckboxColumn(pinned=True),
                           COL("drivers"): st.column_config.TextColumn(width="medium")},
            column_order=[*editable, *(c for c in shown.columns if c not in editable)],
            disabled=[c for c in shown.columns if c not in editable])
        codes_shown = table["area_code"].tolist()
        for code_, reason in zip(codes_shown, edited[COL("reason")]):
            if code_ in ss["selection"]:
                ss["selection"][code_] = reason if isinstance(reason, str) else ""
        drop = [c for c, rm in zip(codes_shown, edited[COL("remove")]) if rm is True]
        if drop:
            for c in drop:
                ss["selection"].pop(c, None)
            st.rerun()
        c1, c2, c3 = st.columns(3)
        exp_settings = settings_of(src, filters, stats, scenario, selection=list(ss["selection"]))
        export_button(c1, "CSV", lambda: selection_csv(ss["selection"], areas, scores), "target_selection.csv",
                      "text/csv", user=user, settings=exp_settings)
        export_button(c2, "GeoJSON", lambda: selection_geojson(ss["selection"], areas, scores),
                      "target_selection.geojson", "application/geo+json", user=user, settings=exp_settings)
        public = c3.toggle("Public", value=False, help="Counts rounded to the nearest 5, 1-4 as <5; sensitive "
                           "categories hidden below 10 and left out of totals")
        if can(user, "exports") and c3.button("Profile PDF"):
            from placebased.profile_record import render_profile

            with st.spinner("Drawing the profile…"):
                ctx = replace(c_profile_context(src, filters, stats, scenario),
                              notes=P.profile_notes(list(ss["selection"]), ss["selection"],
                                                    _comments_or_none()))
                ss["pdf"] = render_profile(ctx, list(ss["selection"]), group_name="Target selection",
                                           public=public, rules=rules)
        if ss.get("pdf"):
            export_button(c3, "Download PDF", ss["pdf"], "target_selection_profile.pdf", "application/pdf",
                          user=user, settings={**exp_settings, "public": public})
        mde_for = tuple(c for c in ss["selection"] if c in areas.index)
        if st.button("What could an evaluation detect?", key="mde_button", help="Minimum detectable effect, "
                     "12 months after a start: 200 simulations on these areas' own history (Evaluate page)"):
            ss["mde_for"] = mde_for
        if mde_for and ss.get("mde_for") == mde_for:
            from appcache import c_plan

            try:
                st.caption(escape_markdown(c_plan(src, filters.categories, mde_for, 12).plain_words()))
            except PlaceBasedError as exc:
                st.caption(escape_markdown(str(exc)))
    with st.expander(glossary.HOW_WORKED_OUT, expanded=False):
        st.caption(escape_markdown(f"{glossary.layer_title(layer)}: {how_worked_out}"))
        g = analysis.hotspots.moran
        st.caption(escape_markdown(f"Clustering over the whole county (global Moran's I): I = {g.I:.3f} "
                                   f"(E[I] = {g.EI:.4f}), pseudo p = {g.p_sim:.4f} · {analysis.settings_line()}"))
    for n in analysis.notes:
        st.caption(escape_markdown(f"Note: {n}"))

st.markdown("#### Ranked areas")
_places = place_labels(areas)  # "West Northamptonshire 032B, in Kingsley ward": the ward people know
show = scores[["rank", "score", "tier", "rank_p05", "rank_p95", "p_top_n", "drivers"]].copy()
show.insert(1, "place", _places.reindex(show.index).fillna(scores["area_name"]))
show.insert(3, "count", mf["count"])
show.insert(4, "imd_decile", areas.get("imd_decile"))
show["area_code"] = show.index
show = show.sort_values("rank")
show.insert(1, "pick", [c in ss["selection"] for c in show.index])
_heads = {**labels, **glossary.RANKED_TABLE, "p_top_n": f"Chance of being in the top {scenario.top_n}"}
ranked = glossary.display_frame(show.head(60), _heads, index=False)  # plain headings; the codes stay the index
ranked.index.name = COL("area_code")  # hidden, but read back by the tick boxes


def _head(c: str) -> str:
    return ranked.columns[list(show.columns).index(c)]


_help = {c: glossary.RANKED_HELP.get(c) for c in show.columns}
# Rank, Target and the area first and pinned: they stay in view at 1366 px while the rest scrolls
picked_rows = st.data_editor(
    ranked, key="rank_editor", width="stretch", height=360, hide_index=True,
    column_config={_head("rank"): st.column_config.NumberColumn(width="small", pinned=True, help=_help["rank"]),
                   _head("pick"): st.column_config.CheckboxColumn(width="small", pinned=True, help=_help["pick"]),
                   _head("place"): st.column_config.TextColumn(width="large", pinned=True, help=_help["place"]),
                   _head("score"): st.column_config.NumberColumn(format="%.1f", help=_help["score"]),
                   _head("p_top_n"): st.column_config.NumberColumn(format="%.2f"),
                   _head("drivers"): st.column_config.TextColumn(width="large")},
    disabled=[c for c in ranked.columns if c != _head("pick")])
_pick = _head("pick")
changed = False
for code, row in picked_rows.iterrows():
    if row[_pick] and code not in ss["selection"]:
        ss["selection"][code] = ""
        changed = True
    elif not row[_pick] and code in ss["selection"]:
        ss["selection"].pop(code)
        changed = True
if changed:
    st.rerun()
st.caption(escape_markdown(f"Scenario: {scenario_name}. Weights now: " + ", ".join(
    f"{labels.get(k, COL(k))} {100 * v:.0f}%" for k, v in result.weights.items()) + "."))
with st.expander(glossary.HOW_WORKED_OUT, expanded=False):
    for line in result.summary().splitlines():
        st.caption(escape_markdown(line))

# ------------------------------------------------------------------------------------------ area detail

st.markdown("#### Area detail")
# options in a fixed order with fixed labels, so the choice survives weight changes (and its charts stay cached)
if ss.get("detail_pick") not in areas.index:
    ss["detail_pick"] = next((c for c in ss["selection"] if c in areas.index), scores["rank"].idxmin())
code = st.selectbox("Area", list(areas.index), format_func=lambda c: f"{c} · {_places.get(c, '')}",
                    key="detail_pick")  # the ward people know, in the label (and searchable by it)
st.caption(f"Rank {scores.at[code, 'rank']} of {len(scores):,} · {glossary.tier_label(scores.at[code, 'tier'])}")
from appcache import c_comparison_sentence  # noqa: E402 - cached per area: a look-up among every LSOA in England

_compare = c_comparison_sentence(code, areas.attrs.get("vintage", 2025))  # its authority, force area, England
if _compare:
    st.caption(escape_markdown(_compare))
d1, d2 = st.columns([1, 1])
with d1:
    st.markdown(f"**Why it scores {scores.at[code, 'score']:.1f}** · "
                f"{escape_markdown(scores.at[code, 'drivers'])}")
    why = result.explain(code)[["label", "raw", "normalised", "weight_pct", "contribution"]]
    st.dataframe(glossary.display_frame(why, index=False), hide_index=True, width="stretch", height=250,
                 column_config={
                     COL("label"): st.column_config.TextColumn(width="large"),  # names in full
                     COL("raw"): st.column_config.NumberColumn(format="%.3g"),
                     COL("normalised"): st.column_config.NumberColumn(format="%.1f"),
                     COL("weight_pct"): st.column_config.NumberColumn(format="%.0f"),
                     COL("contribution"): st.column_config.NumberColumn(format="%.1f")})
    if can(user, "exports") and st.button("Profile PDF of this area"):
        from placebased.profile_record import render_profile  # the PDF stack, only when asked for

        ctx = replace(c_profile_context(src, filters, stats, scenario),
                      notes=P.profile_notes([code], ss["selection"], _comments_or_none(code)))
        ss["area_pdf"] = (code, render_profile(ctx, [code]))
    if ss.get("area_pdf") and ss["area_pdf"][0] == code:
        export_button(st, "Download area profile (PDF)", ss["area_pdf"][1], f"profile_{code}.pdf", "application/pdf",
                      user=user, settings=settings_of(src, filters, stats, scenario, area=code))
with d2:
    for kind in ("trend", "week") if has_times else ("trend",):
        try:
            st.image(c_area_charts(src, filters, stats, code, kind), width="stretch")
        except PlaceBasedError as exc:
            st.caption(str(exc))
    if not has_times:  # only then: a for-else without break always ran, even with times
        st.caption("Day-of-week × hour pattern: not available — police.uk records carry months only. Partner "
                   "data with times (e.g. A&E assault attendances) give it.")

# ------------------------------------------------------------------------------------------ saved work

with st.expander("Saved work: scenarios and target selections", expanded=False):
    store = store_or_warning()
    if store is not None:
        try:
            author = user.author or st.text_input("Your name (recorded with each save)", key="author")
            w1, w2 = st.columns(2)
            with w1:
                sel_name = st.text_input("Selection name", value=ss.get("sel_name", "Target areas"), key="sel_name_in")
                if st.button("Save selection", disabled=not (author and ss["selection"])):
                    try:
                        v = store.save_selection(sel_name, ss["selection"], author, based_on=ss.get("sel_version"))
                        ss["sel_version"], ss["sel_name"] = v, sel_name
                        st.success(f"Saved '{sel_name}' version {v}.")
                    except PlaceBasedError as exc:
                        st.error(escape_markdown(str(exc)))
                saved = store.list("selection")
                if len(saved):
                    pick_sel = st.selectbox("Load a saved selection", saved["name"].tolist(), key="load_sel")
                    if st.button("Load selection"):
                        loaded = store.load_selection(pick_sel)
                        ss["selection"] = {c: r for c, r in loaded.areas.items() if c in areas.index}
                        ss["sel_version"], ss["sel_name"] = loaded.version, loaded.name
                        st.rerun()
            with w2:
                if st.button("Save scenario", disabled=not author):
                    try:
                        v = store.save_scenario(scenario.name, scenario.to_toml(), author,
                                                based_on=ss.get("sc_version"))
                        ss["sc_version"] = v
                        st.success(f"Saved scenario '{scenario.name}' version {v}.")
                    except PlaceBasedError as exc:
                        st.error(escape_markdown(str(exc)))
                scs = store.list("scenario")
                if len(scs):
                    pick_sc = st.selectbox("Load a saved scenario", scs["name"].tolist(), key="load_sc")
                    if st.button("Load scenario"):
                        loaded = store.load_scenario(pick_sc)
                        sc = Scenario.from_dict(loaded.parsed())
                        ss["weights"] = dict(sc.weights)
                        ss["scenario_meta"] = {"name": sc.name, "description": sc.description}
                        ss["sc_version"] = loaded.version
                        st.rerun()
            e1, e2 = st.columns(2)
            # built on request, not on every rerun
            if can(user, "exports") and e1.button("Prepare an export of all saved work"):
                ss["export_json"] = store.export_json()
            if ss.get("export_json"):
                export_button(e1, "Download the export (JSON)", ss["export_json"], "placebased_saved_work.json",
                              "application/json", user=user, settings={"what": "all saved work"})
            backup = e2.file_uploader("Import saved work (JSON)", type=list(UPLOAD_TYPES["saved_work"]),
                                      key="up_backup")
            if backup is not None and e2.button("Import"):
                try:
                    done = store.import_json(backup.getvalue())
                    e2.success(f"Imported {done['versions']} versions and {done['comments']} comments "
                               f"({done['skipped']} already present).")
                except PlaceBasedError as exc:
                    e2.error(escape_markdown(str(exc)))
        except PlaceBasedError as exc:  # the database went away after the page started
            st.warning(f"Saved work is unavailable: {escape_markdown(exc)}", icon="⚠️")


if ss.get("suggestion") is not None:
    reg, suggested = ss["suggestion"]
    with st.expander("Evidence-informed weights (regression)", expanded=True):
        st.warning("Association is not cause: these weights describe which indicators go with more serious "
                   "violence here, not what causes it.")
        st.code(reg.table(), language=None)
        st.write("Suggested weights: " + ", ".join(f"{labels.get(k, COL(k))} {v:.0f}%"
                                                  for k, v in suggested.weights_percent.items()))
        if st.button("Adopt the suggested weights"):
            ss["weights"] = dict(suggested.weights)
            ss["scenario_meta"] = {"name": suggested.name, "description": suggested.description}
            ss["suggestion"] = None
            st.rerun()

export_button(st, "Download scenario (TOML)", scenario.to_toml(), "scenario.toml", "application/toml", user=user,
              settings=settings_of(scenario))
export_button(st, "Download ranked table (CSV)", lambda: table_bytes(scores.assign(**result.settings_columns()), "csv"),
              "priority_scores.csv", "text/csv", user=user, settings=settings_of(src, filters, stats, scenario))
st.caption("Data: police.uk (OGL v3.0); ONS boundaries and Census 2021 (OGL v3.0, contains OS data © Crown "
           "copyright 2025); MHCLG English Indices of Deprivation. "
           + escape_markdown(glossary.settings_text({"scenario": scenario_name})))

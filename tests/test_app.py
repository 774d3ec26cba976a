"""The Streamlit app's widget logic with AppTest (no browser): it starts, weights re-rank, bad uploads
are reported next to the upload while the app keeps working, and the selection survives weight changes."""

from __future__ import annotations

import geopandas as gpd
from conftest import shown


def _ranking(at) -> list[str]:
    table = at.dataframe[0].value
    return list(table.index[:20])


def _submit(at):
    btn = next(b for b in at.button if b.label == "Apply weights")
    btn.click().run()


def test_app_starts_without_exception(app):
    assert not app.exception
    assert not app.error
    assert any("Priority neighbourhoods" in m.value for m in app.markdown)
    assert len(app.dataframe[0].value) > 0


def test_weight_change_changes_ranking(app):
    before = _ranking(app)
    app.slider(key="w_serious_violence_eb_rate").set_value(0)
    app.slider(key="w_serious_violence_gi_z").set_value(0)
    app.slider(key="w_imd_score").set_value(100)
    _submit(app)
    assert not app.exception
    after = _ranking(app)
    assert after != before
    assert app.session_state["weights"]["imd_score"] == 100


def test_selection_survives_weight_change(app):
    app.session_state["selection"] = {"E01027153": "highest violence rate", "E01026949": ""}
    app.run()
    app.slider(key="w_imd_score").set_value(40)
    _submit(app)
    assert not app.exception
    assert app.session_state["selection"] == {"E01027153": "highest violence rate", "E01026949": ""}
    assert any("Target selection (2)" in m.value for m in app.markdown)


def test_bad_upload_shows_error_and_keeps_working(app):
    up = next(u for u in app.file_uploader if u.label.startswith("Incidents"))
    up.set_value(("bad.csv", b"a,b\n1,2\n", "text/csv"))
    app.run()
    assert not app.exception
    errors = [shown(e.value) for e in app.error]
    assert any("bad.csv" in e and "no coordinate columns" in e for e in errors), errors
    assert len(app.dataframe[0].value) > 0  # still working on the previous (default) data


def test_good_upload_is_used(app):
    csv = "Latitude,Longitude,Offence\n" + "\n".join(["52.2369,-0.8938,Knife crime"] * 30) + "\n"
    up = next(u for u in app.file_uploader if u.label.startswith("Incidents"))
    up.set_value(("partner.csv", csv.encode(), "text/csv"))
    app.run()
    assert not app.exception
    assert not [e for e in app.error if "partner.csv" in e.value]


def test_suggested_weights_can_be_adopted(app):
    btn = next(b for b in app.button if b.label.startswith("Suggest weights"))
    btn.click().run()
    assert not app.exception
    assert any("Association is not cause" in w.value for w in app.warning)
    adopt = next(b for b in app.button if b.label == "Adopt the suggested weights")
    adopt.click().run()
    assert not app.exception
    assert app.session_state["scenario_meta"]["name"] != "Balanced"


def test_layers_render(app):
    for layer in ("imd", "gi", "lisa", "density", "emerging", "priority"):
        app.radio(key="layer").set_value(layer).run()
        assert not app.exception, layer
        errors = [shown(e.value) for e in app.error]
        assert not errors or (layer == "emerging" and "no incident has a date" in errors[0]), (layer, errors)
    next(u for u in app.file_uploader if u.label.startswith("Incidents")).set_value(None)
    app.run()
    app.radio(key="layer").set_value("emerging").run()
    assert not app.exception and not app.error
    app.radio(key="layer").set_value("priority").run()


def test_area_profile_pdf(app):
    next(b for b in app.button if b.label == "Profile PDF of this area").click().run()
    assert not app.exception
    assert any(b.label == "Download area profile (PDF)" for b in app.get("download_button"))


def test_save_and_load_selection(app):
    app.session_state["selection"] = {"E01026949": "youth violence near the station"}
    app.run()
    app.text_input(key="author").set_value("Test Lead").run()
    next(b for b in app.button if b.label == "Save selection").click().run()
    assert not app.exception
    assert any("Saved 'Target areas' version" in s.value for s in app.success)
    app.session_state["selection"] = {}
    app.run()
    next(b for b in app.button if b.label == "Load selection").click().run()
    assert app.session_state["selection"] == {"E01026949": "youth violence near the station"}


def test_gaps_layer_and_site_suggestions(app):
    app.radio(key="layer").set_value("gaps").run()
    assert not app.exception
    assert any("have no" in i.value for i in app.info), [i.value for i in app.info]
    next(s for s in app.slider if s.label == "Suggest new sites (k)").set_value(2).run()
    assert not app.exception
    assert any("solver" in s.value and "status" in s.value for s in app.success)
    app.radio(key="layer").set_value("priority").run()


def test_incident_rows_are_accounted_for(app):
    """Every record is accounted for, in plain words: read, counted inside the areas, left out."""
    captions = " ".join(c.value for c in app.caption)
    assert "57,565 incident records read" in captions and "657 have no usable location" in captions, captions
    assert "inside these areas and are counted" in captions
    for word in ("located", "in the areas", "read 57"):  # the old analyst's line
        assert word not in captions


def test_ranked_table_shows_rank_first_and_each_area_with_its_ward(app):
    """Issue 17, places: the ranked table starts with Rank, the Target tick and "<LSOA>, in <ward> ward"
    (pinned, so they stay in view at 1366 px); ticking a row adds the area to the selection."""
    table = next(t for t in app.dataframe if "Area and ward" in t.value.columns)
    frame = table.value
    assert list(frame.columns[:3]) == ["Rank", "Target", "Area and ward"], list(frame.columns)
    assert list(frame["Rank"][:5]) == sorted(frame["Rank"][:5])
    assert frame.index[0].startswith("E01") and "Area code" in frame.columns
    wards = frame["Area and ward"]
    assert wards.str.contains(r", in .+ ward$").mean() > 0.9, wards.head()
    assert wards.loc["E01027153"] == "West Northamptonshire 032B, in Castle ward"
    assert table.proto.column_order == [] or table.proto.column_order[0] == "Rank"


def _upload_boundaries(app, gdf, name):
    import io

    buf = io.BytesIO()
    gdf.to_crs(4326).to_file(buf, driver="GeoJSON")
    app.text_input[0].set_value("ZONE_ID")
    next(u for u in app.file_uploader if u.label.startswith("Boundaries")).set_value(
        (name, buf.getvalue(), "application/geo+json"))
    app.run()


def _reset_boundaries(app):
    next(u for u in app.file_uploader if u.label.startswith("Boundaries")).set_value(None)
    app.text_input[0].set_value("")
    app.run()
    assert any("443 areas" in c.value for c in app.caption)


def test_own_zones_within_the_county_get_interpolated_indicators(app, areas):
    """Wards or MSOA-like zones in Northamptonshire: population and IoD scores come from the LSOAs."""
    groups = areas.assign(ZONE_ID=areas["area_name"].str.slice(0, -1))[["ZONE_ID", "geometry"]]
    zones = groups.dissolve("ZONE_ID").reset_index()
    try:
        _upload_boundaries(app, zones, "zones.geojson")
        assert not app.exception and not app.error, [e.value for e in app.error]
        assert "interpolated from the shipped LSOAs" in " ".join(w.value for w in app.warning)
        assert any(f"{len(zones)} areas" in c.value for c in app.caption)
    finally:
        _reset_boundaries(app)


def test_own_zones_beyond_the_shipped_data_without_lsoa_codes(app, areas):
    """A 5 km grid over the county's bounding box, mostly beyond the shipped LSOAs: no IoD or population
    can be joined or interpolated, so the app says so, analyses counts and scores on what exists."""
    from shapely.geometry import box

    x0, y0, x1, y1 = areas.total_bounds
    cells = [box(x, y, x + 5000, y + 5000)
             for x in range(int(x0), int(x1), 5000) for y in range(int(y0), int(y1), 5000)]
    zones = gpd.GeoDataFrame({"ZONE_ID": [f"G{i}" for i in range(len(cells))]}, geometry=cells, crs=27700)
    try:
        _upload_boundaries(app, zones, "grid.geojson")
        assert not app.exception and not app.error, [e.value for e in app.error]
        warnings = " ".join(w.value for w in app.warning)
        assert "are LSOA 2021 codes" in warnings and "scored on" in warnings
    finally:
        _reset_boundaries(app)


def test_vintage_2019_and_own_indicator_table(app, areas):
    app.radio(key="vintage").set_value(2019).run()  # LSOA 2011 + IoD2019
    assert not app.exception and not app.error, [e.value for e in app.error]
    assert any("422 areas" in c.value for c in app.caption)
    app.radio(key="vintage").set_value(2025).run()
    csv = "LSOA code,A&E assault attendances\n" + "\n".join(f"{c},{i % 7}" for i, c in enumerate(areas.index))
    next(u for u in app.file_uploader if u.label.startswith("Indicator tables")).set_value(
        ("ae.csv", csv.encode(), "text/csv"))
    app.run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    options = next(m for m in app.multiselect if m.label == "Indicators").options
    assert any("assault" in o.lower() for o in options), options


def test_partner_data_with_times_filters_by_day_and_hour(app):
    """A&E-style partner records carry times: the Sat/Sun 01:00-05:00 filter keeps only those."""
    rows = ["52.2369,-0.8938,Assault,2025-03-15 02:30"] * 10 + ["52.2369,-0.8938,Assault,2025-03-18 14:00"] * 20
    csv = "Latitude,Longitude,Offence,Date\n" + "\n".join(rows) + "\n"
    up = next(u for u in app.file_uploader if u.label.startswith("Incidents"))
    up.set_value(("ae.csv", csv.encode(), "text/csv"))
    app.run()
    try:
        assert not app.exception and not app.error, [e.value for e in app.error]
        next(m for m in app.multiselect if m.label == "Categories").set_value([]).run()
        assert any("30 incidents in the filters" in c.value for c in app.caption)
        next(m for m in app.multiselect if m.label == "Days of the week").set_value([5, 6])
        next(s for s in app.slider if s.label == "Time of day (hours)").set_value((1, 5)).run()
        assert not app.exception, app.exception
        assert any("10 incidents in the filters" in c.value for c in app.caption), [c.value for c in app.caption]
    finally:
        up = next(u for u in app.file_uploader if u.label.startswith("Incidents"))
        up.set_value(None)
        app.run()


def test_export_of_saved_work_on_request(app):
    assert not any(b.label == "Download the export (JSON)" for b in app.get("download_button"))
    next(b for b in app.button if b.label == "Prepare an export of all saved work").click().run()
    assert not app.exception
    assert any(b.label == "Download the export (JSON)" for b in app.get("download_button"))


RAW_NAME = __import__("re").compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")  # snake_case: an analyst's column name
JARGON = ("area_code", "imd_decile", "rank_p05", "rank_p95", "lad_name", "p_top_n", "tier other", "mapclassify",
          "Gi_Bin", "eb_rate", '{"scenario"', "docs/")


def _outside_how(app) -> str:
    """The text of the page's captions and markdown, without the "How this was worked out" expanders."""
    from placebased.outputs.glossary import HOW_WORKED_OUT

    inside = {id(c) for e in app.expander if e.label == HOW_WORKED_OUT for c in [*e.caption, *e.markdown]}
    return " ".join(shown(c.value) for c in [*app.caption, *app.markdown] if id(c) not in inside)


def test_priority_tables_and_labels_speak_plain_words(app):
    """Issue 17, words: no raw column name in any table the priority page shows (ranked areas, target
    selection, area detail, sensitive categories), no "tier other", no raw JSON; the analyst detail is in
    the "How this was worked out" expanders; an edited preset says so."""
    from placebased.outputs.glossary import HOW_WORKED_OUT

    app.session_state["selection"] = {"E01027153": "highest violence rate"}
    app.run()
    assert not app.exception
    headings = []
    for table in app.dataframe:
        frame = table.value
        names = [*map(str, frame.columns), *(str(n) for n in frame.index.names if n is not None)]
        headings += names
        for name in names:
            assert not RAW_NAME.match(name) and name not in JARGON, f"raw column name {name!r} shown"
        cells = " ".join(map(str, frame.astype(str).to_numpy().ravel()))
        assert "tier other" not in cells
    assert {"Area code", "Deprivation decile (1 = most deprived 10%)", "Priority group", "Reason for choosing",
            "Indicator"} <= set(headings), headings
    text = _outside_how(app)
    for word in JARGON:
        assert word not in text, word
    assert "Scenario: Balanced" in text and "(edited" not in text
    how = [e for e in app.expander if e.label == HOW_WORKED_OUT]
    assert how and any("permutations" in shown(c.value) for e in how for c in e.caption)
    app.slider(key="w_imd_score").set_value(60)
    _submit(app)
    assert not app.exception
    text = _outside_how(app)
    assert "Scenario: Balanced (edited: " in text and "\u2192" in text, text[:400]
    for word in JARGON:
        assert word not in text, word


def test_needs_page_tables_speak_plain_words():
    """The needs-assessment page's tables (by decile, by local authority, by IoD domain) are headed in words."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "views" / "needs.py"), default_timeout=300)
    at.run()
    at.multiselect(key="sna_domains").set_value(["income"]).run()
    assert not at.exception and len(at.dataframe) == 3
    for table in at.dataframe:
        for name in map(str, table.value.columns):
            assert not RAW_NAME.match(name) and name not in JARGON, f"raw column name {name!r} shown"
    assert "income" not in set(at.dataframe[2].value.iloc[:, 0])  # the domain by its IoD name

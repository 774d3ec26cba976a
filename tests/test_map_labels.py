"""Places people know on the app's canvas map, and maps that explain themselves (issue 17, items 2-3).

- the places file of the area map (``components/areamap/places.py``): towns of the shipped county, ward
  labels from their zoom, every area's title "<LSOA name>, in <ward> ward" in the geometry's order,
  content-addressed and written once; hostile names stay data (JSON strings, drawn as canvas text);
  areas outside the lookups (uploaded zones) keep their own names; shuffled rows keep each title
  with its own code;
- the default provision filter of the gaps layer (youth and community provision, never care homes
  or prison health);
- in Chromium (the real app): towns named at the county view and ward names when zoomed in, fewer
  and larger at the county view, the tooltip naming the ward, the gaps outlined above the provision
  badges, the workshop map opening on the hot spots with the area cards beside it at 1920x1080, and
  a legend that folds to its title.
"""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
from shapely.geometry import box

from components.areamap.places import PLACES_KEYS, places_document, write_places
from placebased import pipeline as P  # noqa: N812
from placebased.outputs.style import youth_and_community

EVIL = ["{{7*7}}", "<img src=x onerror=\"window.__xss=1\">", "=HYPERLINK(\"http://x\")"]


@pytest.fixture(scope="module")
def areas():
    return P.load_areas_for(P.Sources())


def test_places_document_names_towns_wards_and_every_area(areas):
    codes = list(areas.index[::-1])  # the geometry file's order, whatever it is
    doc = places_document(areas, codes)
    assert tuple(doc) == PLACES_KEYS
    towns = [lb["text"] for lb in doc["labels"] if lb["kind"] == "town"]
    wards = [lb for lb in doc["labels"] if lb["kind"] == "ward"]
    assert {"Northampton", "Kettering", "Corby", "Wellingborough"} <= set(towns)
    assert len(wards) >= 50 and all(lb["min_zoom"] >= 10 for lb in wards)
    assert all(lb["min_zoom"] == 8 for lb in doc["labels"] if lb["kind"] == "town")
    kinds = [lb["kind"] for lb in doc["labels"]]
    assert kinds == sorted(kinds, key=lambda k: k != "town"), "towns first (drawn before wards)"
    assert all(51.9 < lb["lat"] < 52.7 and -1.4 < lb["lon"] < -0.3 for lb in doc["labels"])
    assert len(doc["titles"]) == len(codes)
    i = codes.index("E01027153")
    assert doc["titles"][i] == "West Northamptonshire 032B, in Castle ward"
    assert all(", in " in t and t.endswith(" ward") for t in doc["titles"])


def test_places_file_is_content_addressed_and_written_once(areas, tmp_path):
    codes = list(areas.index)
    a = write_places(areas, codes, tmp_path)
    assert a["url"].startswith("app/static/geo/") and a["url"].endswith(".places.json")
    first = a["path"].stat().st_mtime_ns
    b = write_places(areas, codes, tmp_path)
    assert b["url"] == a["url"] and b["path"].stat().st_mtime_ns == first
    doc = json.loads(a["path"].read_text(encoding="ascii"))
    assert doc["labels"] and len(doc["titles"]) == len(codes)
    assert a["bytes"] < 40_000, "small: fetched once per area set"


def test_shuffled_rows_keep_each_title_with_its_code(areas):
    shuffled = areas.sample(frac=1, random_state=3)
    codes = list(areas.index[:20])
    assert places_document(shuffled, codes)["titles"] == places_document(areas, codes)["titles"]


def test_hostile_names_are_data_and_zones_keep_their_names(tmp_path):
    zones = gpd.GeoDataFrame({"area_name": EVIL + [None]},
                             index=["Z1", "Z2", "Z3", "Z4"],
                             geometry=[box(450000 + i * 1000, 260000, 451000 + i * 1000, 261000) for i in range(4)],
                             crs="EPSG:27700")
    doc = places_document(zones, ["Z4", "Z3", "Z2", "Z1"])
    assert doc["titles"][1:] == EVIL[::-1], "not LSOAs: no ward, the name as given"
    assert doc["titles"][0] == "Z4"
    out = write_places(zones, list(zones.index), tmp_path)
    raw = out["path"].read_bytes()  # ASCII JSON strings: the browser draws them with fillText, never as HTML
    assert json.loads(raw)["titles"] == [*EVIL, "Z4"]
    for lb in doc["labels"]:
        assert set(lb) == {"text", "lon", "lat", "kind", "min_zoom"} and lb["kind"] in ("town", "ward")


def test_default_gap_filter_is_youth_and_community_provision():
    shipped = P.load_provision_for(P.Sources())["type"].unique().tolist()
    picked = youth_and_community(shipped)
    assert "Community health service" in picked and "Public health service" in picked
    for t in ("Care home or nursing home", "Prison health service", "GP practice", "Hospital service"):
        assert t not in picked
    assert youth_and_community(["Youth club", "Detached youth work", "GP practice"]) == ["Youth club",
                                                                                      "Detached youth work"]
    assert youth_and_community([]) == []


def test_app_gap_filter_starts_with_youth_and_community_and_can_widen(app):
    app.radio(key="layer").set_value("gaps").run()
    assert not app.exception
    box = app.multiselect(key="gap_types")
    assert list(box.value) == youth_and_community(box.options) and box.value, box.value
    assert "Care home or nursing home" not in box.value and "GP practice" in box.options
    assert any("have no" in i.value and "any type" not in i.value for i in app.info)
    box.set_value([]).run()  # cleared: provision of any type counts
    assert not app.exception
    assert any("any type" in i.value for i in app.info), [i.value for i in app.info]


# ---------------------------------------------------------------------------------------------- in Chromium


@pytest.mark.browser
@pytest.mark.slow
def test_labels_scale_with_zoom_tooltip_names_the_ward_and_workshop_opens_on_hot_spots():
    from browser_util import TOOLTIP, browser_page, hover_area, map_frame, require_browser, running_app

    require_browser()
    ready = "window.__areamap.places > 0 && window.__areamap.labels !== undefined"
    with running_app() as url, browser_page((1920, 1080)) as page:
        page.goto(url)
        frame = map_frame(page, timeout_ms=180_000)
        frame.wait_for_function(ready, timeout=60_000)
        county = frame.evaluate("window.__areamap.labels.slice()")
        assert "Northampton" in county and "Kettering" in county
        assert len(county) <= 20, "few names at the county view"
        code = hover_area(page, frame, "E01027153")
        tip = frame.locator(TOOLTIP)
        tip.wait_for(state="visible", timeout=10_000)
        assert tip.inner_text().startswith("West Northamptonshire 032B, in Castle ward")
        assert code == "E01027153"
        # zoom in: ward names appear, towns give way
        frame.locator(".pb-home a").click()  # back to all areas (the hover may have zoomed to the area)
        page.wait_for_timeout(500)
        z0 = frame.evaluate("window.__areamap.zoom")
        for _ in range(5):
            frame.locator(".leaflet-control-zoom-in").click()
            page.wait_for_timeout(400)
        frame.wait_for_function(f"window.__areamap.zoom >= {z0 + 2.5}", timeout=20_000)
        frame.wait_for_function("window.__areamap.labels.some(t => !['Northampton','Kettering','Corby',"
                                "'Wellingborough','Rushden','Brackley','Daventry','Thrapston','Towcester']"
                                ".includes(t))", timeout=20_000)
        assert frame.locator("text=<img").count() == 0

        # the provision gaps: outlined above the provision badges
        from placebased.outputs.mapping import LAYERS

        page.get_by_text(LAYERS["gaps"], exact=True).click()
        page.wait_for_timeout(3000)
        frame = map_frame(page, timeout_ms=180_000)
        frame.wait_for_function("window.__areamap.emphasis > 0", timeout=120_000)

        page.goto(url + "/workshop")
        frame = map_frame(page, timeout_ms=180_000)
        frame.wait_for_function(ready, timeout=60_000)
        page.wait_for_timeout(1000)
        zoom = frame.evaluate("window.__areamap.focus && window.__areamap.focus.length")
        assert zoom == 4, "the workshop map opens on the hot spots"
        page.wait_for_timeout(1500)
        state = frame.evaluate("[window.__areamap.zoom, window.__areamap.focus, window.__areamap.renders]")
        assert state[0] >= 11.5, f"zoomed in on them, not the county: {state}"
        legend = frame.locator(".pb-legend")
        legend.locator(".pb-title").click()  # folds to its title (a small screen), and back
        assert not legend.locator(".pb-item").first.is_visible()
        legend.locator(".pb-title").click()
        assert legend.locator(".pb-item").first.is_visible()
        mbox = frame.frame_element().bounding_box()
        heading = page.get_by_text("why these areas stand out").first
        heading.wait_for(timeout=60_000)
        hbox = heading.bounding_box()
        assert hbox["x"] > mbox["x"] + mbox["width"] - 5, "the cards are beside the map"
        assert hbox["y"] < 1080, "the cards are above the fold at 1920x1080"



def test_folium_map_names_towns_and_wards_offline_as_text(areas):
    """The folium map (app with a basemap, ``placebased map`` HTML) carries the same town and ward labels
    as the canvas map, shown by zoom, with no tile server; hostile names stay JSON text (textContent)."""
    from placebased.outputs.mapping import build_map, render_html, web_geometry

    web = web_geometry(areas)
    data = areas[["area_name", "imd_decile"]]
    html = render_html(build_map(web, data, layer="imd", standalone=True))
    assert "textContent" in html and "zoomend" in html and "tile.openstreetmap" not in html
    assert '"text":"Northampton"' in html and '"kind":"town"' in html
    assert '"text":"Castle"' in html and '"kind":"ward"' in html
    evil = [{"text": t, "lat": 52.24, "lon": -0.9, "kind": "ward", "min_zoom": 9} for t in EVIL]
    html = render_html(build_map(web, data, layer="imd", places=evil, standalone=True))
    assert "<img src=x" not in html and "{{7*7}}" not in html
    assert "\\u003cimg src=x onerror" in html
    none = render_html(build_map(web, data, layer="imd", places=[], standalone=True))
    assert "pb-place" not in none

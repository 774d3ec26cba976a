"""Text from files is data on every map: injection strings in every text field that reaches a map show
literally and nothing is evaluated (issue 12, item 1).

Fields attacked: area ids and names, category names (in the legend note and count label), provision
names and types, suggested-site labels, legend titles and labels, notes, workshop tooltips, and the
layers of the emerging class legend. Paths attacked: ``build_map`` and ``workshop_map`` rendered whole
(as ``placebased map`` writes them) and through streamlit-folium's own rendering (as the app shows them).

Payloads: Jinja expressions that would print ``49`` or the server's folder, a Jinja loop, HTML/JS tags,
a JavaScript template-literal expression (folium's tooltips are backtick strings) and a backtick.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from placebased.outputs import mapping
from placebased.outputs.mapping import build_map, web_features, web_geometry, workshop_map

PAYLOADS = [
    "{{ 7*7 }}",
    "{{ cycler.__init__.__globals__.os.getcwd() }}",
    "{% for x in range(3) %}x{% endfor %}",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "${alert(1)}`",
    "{# comment #}{{ 111*1111 }}",
]


@pytest.fixture
def cwd(tmp_path, monkeypatch):
    """A working folder whose path appears nowhere unless a template printed it."""
    here = tmp_path / "cwd-sentinel-8d41"
    here.mkdir()
    monkeypatch.chdir(here)
    return str(here)


def evil_areas() -> gpd.GeoDataFrame:
    """One 1 km square per payload; each payload is the area id (with a prefix) and the area name."""
    rows = [{"area_code": f"E{i}{p}", "area_name": p, "lad_name": p,
             "geometry": box(470_000 + 1000 * i, 260_000, 471_000 + 1000 * i, 261_000)}
            for i, p in enumerate(PAYLOADS)]
    return gpd.GeoDataFrame(rows, crs="EPSG:27700").set_index("area_code")


def evil_frame(areas: gpd.GeoDataFrame) -> pd.DataFrame:
    n = len(areas)
    return pd.DataFrame({"area_name": areas["area_name"], "score": [float(i) for i in range(n)],
                         "rank": list(range(1, n + 1)), "rank_p05": 1, "rank_p95": n, "imd_decile": 1,
                         "count": 3, "density": [float(i) for i in range(n)], "gi_bin": [3, -3] * (n // 2),
                         "lisa_cluster": ["HH", "LL"] * (n // 2), "emerging_class": PAYLOADS[:n],
                         "gap": True, "in_tier": True}, index=areas.index)


def evil_points(kind: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": PAYLOADS, "type": PAYLOADS if kind == "provision" else "x"},
                            geometry=[Point(470_500 + 1000 * i, 260_500) for i in range(len(PAYLOADS))],
                            crs="EPSG:27700")


def render_all(areas, layer: str) -> str:
    web = web_geometry(areas)
    note = "Selected categories: " + ", ".join(PAYLOADS)
    m = build_map(web, evil_frame(areas), layer=layer, selected=[areas.index[0]], note=note,
                  provision=evil_points("provision"), provision_radius_m=500, sites=evil_points("sites"),
                  outlines=mapping.authority_outlines(areas), count_label=PAYLOADS[0] + PAYLOADS[3],
                  point_clusters=pd.DataFrame({"lat": [52.2], "lon": [-0.9], "count": [4]}))
    return m.get_root().render()


def json_blobs(page: str) -> list:
    """Every JSON value the map's own layers embed (after ``L.geoJson(`` and ``= JSON_DATA(``)."""
    dec, out = json.JSONDecoder(), []
    for m in re.finditer(r"L\.geoJson\(|/\*pb-data\*/", page):
        out.append(dec.raw_decode(page, m.end())[0])
    return out


def strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from strings(k)
            yield from strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from strings(v)


def visible(markup: str) -> str:
    """The text a browser shows for an HTML fragment (tags removed, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]*>", "", markup))


def assert_inert(page: str, cwd: str) -> None:
    assert cwd not in page, "a template printed the working folder"
    assert "123321" not in page and ">49<" not in page and " 49<" not in page, "a template evaluated"
    for live in ("<script>alert", "<img src=x", "<svg onload", "${alert"):
        assert live not in page, f"live markup {live!r} in the page"
    for delim in ("{{", "{%", "{#"):
        assert delim not in page, f"Jinja delimiter {delim!r} reached the page"


@pytest.mark.parametrize("layer", list(mapping.LAYERS))
def test_build_map_shows_every_payload_literally_and_evaluates_nothing(cwd, layer):
    areas = evil_areas()
    page = render_all(areas, layer)
    assert_inert(page, cwd)
    blobs = json_blobs(page)
    assert blobs, "the areas travel as JSON data"
    shown = " ".join(visible(s) for s in strings(blobs))
    codes = {f["properties"].get("area_code") for b in blobs if isinstance(b, dict) for f in b.get("features", [])}
    codes.discard(None)  # the outline layer's features carry geometry only
    assert codes == set(areas.index), "area ids arrive intact (as data)"
    for p in PAYLOADS:
        assert p in shown, f"{p!r} is not shown literally in tooltips or labels"
    legend = visible(page.split("class='pb-legend'", 1)[1].split("</body>", 1)[0])
    assert "Selected categories: " + ", ".join(PAYLOADS) in legend, "the note shows every payload literally"


def test_provision_and_site_labels_are_data(cwd):
    page = render_all(evil_areas(), "gaps")
    assert_inert(page, cwd)
    shown = " ".join(visible(s) for s in strings(json_blobs(page)))
    for p in PAYLOADS:
        assert f"{p} — {p}" in shown, "provision name — type shown literally"
        assert f"Suggested new site: {p}" in shown
    key = visible(page.split("<b>Provision</b>", 1)[1].split("</div></div>", 1)[0])
    for p in PAYLOADS:
        assert p in key, "the provision key names each type literally"


def test_workshop_map_text_is_inert(cwd):
    areas = evil_areas()
    web = web_geometry(areas)
    tips = pd.Series([f"<b>{html.escape(p)}</b>" for p in PAYLOADS], index=areas.index)
    colours = pd.Series("#ffffff", index=areas.index)
    legend = [("#ffffff", p) for p in PAYLOADS]
    m = workshop_map(web, web_features(web), colours, tips, PAYLOADS[1], legend, PAYLOADS[2], None,
                     outlines=mapping.authority_outlines(areas))
    page = m.get_root().render()
    assert_inert(page, cwd)
    shown = visible(page)
    for p in PAYLOADS:
        assert p in " ".join(visible(s) for s in strings(json_blobs(page))) and p in shown


def test_the_apps_rendering_path_is_inert_too(cwd):
    """streamlit-folium renders the figure, then each element's script macro, and rewrites ``{{'x'}}``."""
    from streamlit_folium import _get_header, _get_html, _get_map_string

    areas = evil_areas()
    m = build_map(web_geometry(areas), evil_frame(areas), layer="priority", note=PAYLOADS[1],
                  provision=evil_points("provision"), provision_radius_m=500, sites=evil_points("sites"))
    m.get_root().render()
    m.render()
    parts = _get_html(m) + _get_header(m) + _get_map_string(m)
    assert_inert(parts, cwd)
    shown = " ".join(visible(s) for s in strings(json_blobs(parts)))
    for p in PAYLOADS:
        assert p in shown


def test_no_process_wide_patch_of_branca():
    import branca.element
    from jinja2 import Template

    assert branca.element.Template is Template, "branca.element.Template must be jinja2's own class"
    assert not hasattr(branca.element.Template, "_placebased_cached")


def test_map_text_helper_neutralises_html_and_jinja():
    for p in PAYLOADS:
        out = mapping.map_text(p)
        assert html.unescape(out) == p
        assert not any(c in out for c in "<>{}`$\"'")
    assert "\\u007b" in mapping.script_json({"a": "{{x}}"}) and "{{" not in mapping.script_json({"a": "{{x}}"})
    assert json.loads(mapping.script_json({"a": "{{x}}</script>"})) == {"a": "{{x}}</script>"}


def test_pins_match_what_is_installed():
    """The escaping relies on folium/branca/jinja2 internals: requirements.txt pins the tested versions."""
    from importlib.metadata import version

    pins = dict(line.strip().lower().split("==") for line in
                (Path(__file__).resolve().parent.parent / "requirements.txt").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    for name in ("folium", "branca", "jinja2"):
        assert pins.get(name) == version(name), name

"""Text from files is data, end to end (issue 12, "Tests"): injection strings in every text field of every
input kind, through the CLI, the app (AppTest) and one browser test, show literally and nothing executes.

Payloads (``PAYLOADS``): Jinja that would print ``49`` or the working folder, HTML/JS tags, a Markdown image
(would fetch from an outside host) and a ``javascript:`` link, and three spreadsheet formulas.

Input kinds and their text fields:
- boundaries: area names (``names.geojson``: nine real LSOA 2021 polygons from the shipped file, LSOA codes
  kept, names replaced) and area ids (``ids.geojson``: the same polygons, the payloads as ids);
- incidents: category names (``incidents.csv``, easting/northing, a count per area that varies);
- provision: site names and types (``provision.csv``, easting/northing);
- indicator tables: column headers and a name column (``table.csv``);
- scenarios: name and description (``scenario.toml``);
- selection reasons and notes (``notes.csv`` for the CLI, the session's selection in the app).
Workshop comments are attacked on the workshop page in tests/test_workshop_page.py.

What "inert" means per output: CSV cells that start like a formula are prefixed with ``'`` (OWASP) and all
other payloads are written as they are; HTML holds no live tag or Jinja delimiter and, decoded, shows the
payload; Markdown shown by the app holds no raw payload (no image fetch, no link, no tag) and, decoded,
shows it; PDF text holds the payload literally. The working folder is a sentinel folder whose path appears
nowhere unless a template printed it.
"""

from __future__ import annotations

import contextlib
import csv
import html
import importlib.util
import io
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from placebased import cli

ROOT = Path(__file__).resolve().parent.parent
PAYLOADS = [
    "{{ 7*7 }}",
    "{{ cycler.__init__.__globals__.os.getcwd() }}",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "![x](http://evil.example/x.png)",
    "[click](javascript:alert(1))",
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
]
FORMULAS = [p for p in PAYLOADS if p[0] in "=+-@"]
#: substrings that must never reach a page raw: live tags, a Markdown image or link, Jinja delimiters
LIVE_MARKUP = ("<script", "<img", "![x](", "[click](")
SENTINEL = "cwd-sentinel-e2e-3f7b"
PERMUTATIONS = "99"
LSOA_IDS = ["E01027153", "E01027154", "E01027155", "E01032978", "E01027152", "E01027227", "E01027241",
            "E01027225", "E01027187"]  # nine neighbouring LSOAs in Northampton


# ---------------------------------------------------------------------------------------------- input files

def _write_inputs(folder: Path) -> dict[str, Path]:
    shipped = gpd.read_file(ROOT / "boundaries" / "northants_lsoa21_bgc.geojson")
    sel = shipped.set_index("LSOA21CD").loc[LSOA_IDS].reset_index()[["LSOA21CD", "geometry"]]
    sel = sel.to_crs(27700)
    f = {k: folder / v for k, v in {
        "names": "names.geojson", "ids": "ids.geojson", "incidents": "incidents.csv", "provision": "provision.csv",
        "table": "table.csv", "notes": "notes.csv", "scenario": "scenario.toml"}.items()}
    sel.assign(NAME=PAYLOADS).to_crs(4326).to_file(f["names"], driver="GeoJSON")
    sel[["geometry"]].assign(ZONE=PAYLOADS, NAME=[f"Zone {i}" for i in range(9)]).to_crs(4326).to_file(
        f["ids"], driver="GeoJSON")
    pts = sel.geometry.representative_point()
    rows = []
    for k, p in enumerate(pts):  # counts vary by area and category (no zero-variance refusal)
        for j, cat in enumerate(PAYLOADS):
            rows += [{"Easting": round(p.x + 5 * r, 1), "Northing": round(p.y, 1), "Category": cat,
                      "Month": f"2025-0{1 + r % 6}"} for r in range(1 + (7 * k + 3 * j) % 5 + k % 3)]
    pd.DataFrame(rows).to_csv(f["incidents"], index=False)
    pd.DataFrame({"Name": PAYLOADS, "Type": PAYLOADS, "Easting": pts.x.round(1), "Northing": pts.y.round(1)}
                 ).to_csv(f["provision"], index=False)
    table = pd.DataFrame({"area_code": LSOA_IDS, "area_name": PAYLOADS})
    for j, p in enumerate(PAYLOADS):
        table[p] = np.arange(9) * (j + 1) + 1.5
    table.to_csv(f["table"], index=False)
    pd.DataFrame({"area_code": LSOA_IDS, "note": PAYLOADS}).to_csv(f["notes"], index=False)
    f["scenario"].write_text(
        'name = "=HYPERLINK(\\"http://x\\",\\"y\\") {{ 7*7 }} <script>alert(1)</script>"\n'
        'description = "![x](http://evil.example/x.png) [click](javascript:alert(1)) '
        '{{ cycler.__init__.__globals__.os.getcwd() }}"\n'
        'normalisation = "percentile"\nmissing = "median"\n\n[robustness]\ndraws = 20\nseed = 1\n\n'
        '[weights]\nimd_score = 60\nunder25_share = 40\n')
    return f


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return _write_inputs(tmp_path_factory.mktemp("evil-inputs"))


@pytest.fixture
def sentinel_cwd(tmp_path, monkeypatch):
    here = tmp_path / SENTINEL
    here.mkdir()
    monkeypatch.chdir(here)
    return here


# ---------------------------------------------------------------------------------------------- checks

def csv_cells(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return [cell for row in csv.reader(fh) for cell in row]


def _is_number(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return False


def assert_csv_inert(path: Path, expected: list[str]) -> None:
    """No cell can run as a formula; each expected payload is there, formulas defused with a leading ``'``."""
    text = path.read_text(encoding="utf-8-sig")
    assert SENTINEL not in text, f"{path.name}: a template printed the working folder"
    cells = csv_cells(path)
    live = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(c)]
    assert not live, f"{path.name}: cells that would run as formulas: {live[:5]}"
    for p in expected:
        want = "'" + p if p in FORMULAS else p
        assert any(want in c for c in cells), f"{path.name}: {want!r} not written literally"


def decoded(text: str) -> str:
    """What a reader sees: JSON/JS ``\\uXXXX`` escapes and HTML entities decoded, word joiners removed."""
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    text = html.unescape(html.unescape(text))
    return text.replace("\u2060", "").replace("\\/", "/")


def assert_page_inert(page: str, expected: list[str], where: str) -> None:
    assert SENTINEL not in page, f"{where}: a template printed the working folder"
    for live in ("<script>alert", "<img src=x", "{{", "{%"):
        assert live not in page, f"{where}: {live!r} reached the page raw"
    shown = decoded(page)
    for p in expected:
        assert p in shown, f"{where}: {p!r} not shown literally"


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def run_cli(argv: list[str], capsys) -> str:
    rc = cli.main([str(a) for a in argv])
    out = capsys.readouterr()
    assert rc == 0, f"placebased {argv[0]} failed ({rc}): {out.err}"
    assert "Traceback" not in out.err
    return out.out + out.err


def _names(f):
    return ["--boundaries", f["names"], "--id-column", "LSOA21CD", "--name-column", "NAME"]


def _ids(f):
    return ["--boundaries", f["ids"], "--id-column", "ZONE", "--name-column", "NAME"]


def _incidents(f):
    return ["--incidents", f["incidents"], "--category-column", "Category", "--x-column", "Easting",
            "--y-column", "Northing", "--crs", "bng"]


# ---------------------------------------------------------------------------------------------- CLI

def test_cli_areas_names_and_ids(inputs, sentinel_cwd, capsys):
    run_cli(["areas", *_names(inputs), "--out", sentinel_cwd / "areas.csv"], capsys)
    assert_csv_inert(sentinel_cwd / "areas.csv", PAYLOADS)
    run_cli(["areas", *_ids(inputs), "--out", sentinel_cwd / "areas_ids.csv"], capsys)
    assert_csv_inert(sentinel_cwd / "areas_ids.csv", PAYLOADS)


def test_cli_counts_categories_and_ids(inputs, sentinel_cwd, capsys):
    out, monthly = sentinel_cwd / "counts.csv", sentinel_cwd / "monthly.csv"
    run_cli(["counts", *_incidents(inputs), *_ids(inputs), "--monthly", monthly, "--out", out], capsys)
    assert_csv_inert(out, PAYLOADS)  # category names as headers, payload ids as rows
    assert_csv_inert(monthly, PAYLOADS)


def test_cli_score_scenario_table_and_names(inputs, sentinel_cwd, capsys):
    out = sentinel_cwd / "score.csv"
    saved = sentinel_cwd / "saved.toml"
    run_cli(["score", *_incidents(inputs), *_names(inputs), "--table", inputs["table"],
             "--scenario", inputs["scenario"], "--draws", "20", "--save-scenario", saved, "--out", out], capsys)
    assert_csv_inert(out, PAYLOADS)
    scenario_name = '=HYPERLINK("http://x","y") {{ 7*7 }} <script>alert(1)</script>'
    assert "'" + scenario_name in csv_cells(out), "the scenario name is stated, defused"
    from placebased.score.scenario import Scenario

    back = Scenario.load(saved)  # a saved scenario keeps its text as data, exactly
    assert back.name == scenario_name
    assert "{{ cycler.__init__.__globals__.os.getcwd() }}" in back.description


def test_cli_gaps_provision_names_and_types(inputs, sentinel_cwd, capsys):
    out = sentinel_cwd / "gaps.csv"
    run_cli(["gaps", "--provision", inputs["provision"], "--site-name-column", "Name", "--type-column", "Type",
             "--site-x-column", "Easting", "--site-y-column", "Northing", "--site-crs", "bng",
             *_incidents(inputs), *_names(inputs), "--out", out], capsys)
    assert_csv_inert(out, PAYLOADS)  # nearest_name and nearest_type


def test_cli_hotspots_payload_ids(inputs, sentinel_cwd, capsys):
    out = sentinel_cwd / "hotspots.csv"
    run_cli(["hotspots", *_incidents(inputs), *_ids(inputs), "--permutations", PERMUTATIONS, "--out", out],
            capsys)
    assert_csv_inert(out, PAYLOADS)


def test_cli_profile_pdf_shows_text_literally(inputs, sentinel_cwd, capsys):
    out = sentinel_cwd / "group.pdf"
    group = "{{ 7*7 }} <script>alert(1)</script> @SUM(1+1)"
    areas = [a for code in LSOA_IDS for a in ("--area", code)]
    run_cli(["profile", *areas, "--group-name", group, "--notes", inputs["notes"], "--permutations",
             PERMUTATIONS, *_incidents(inputs), *_names(inputs), "--out", out], capsys)
    text = pdf_text(out.read_bytes())
    flat = " ".join(text.split())
    assert SENTINEL not in flat
    assert group in flat, "the group name shows literally"
    for code, p in list(zip(LSOA_IDS, PAYLOADS))[:8]:  # a profile lists up to 8 notes ("... and 1 more")
        assert f"{code}: {p}" in flat, f"the note {p!r} shows literally"


@pytest.mark.skipif(importlib.util.find_spec("placebased.commands.map") is None,
                    reason="placebased map is not written yet (placebased/commands/map.py, issue 12)")
@pytest.mark.parametrize("layer", ["priority", "gaps"])
def test_cli_map_html_is_inert(inputs, sentinel_cwd, capsys, layer):
    out = sentinel_cwd / f"map_{layer}.html"
    argv = ["map", *_incidents(inputs), *_names(inputs), "--layer", layer, "--permutations", PERMUTATIONS,
            "--out", out]
    if layer == "gaps":
        argv[1:1] = ["--provision", inputs["provision"], "--site-name-column", "Name", "--type-column", "Type"]
    with contextlib.suppress(SystemExit):
        run_cli(argv, capsys)
    page = out.read_text(encoding="utf-8")
    expected = PAYLOADS  # area names in tooltips (and provision names/types on the gaps layer)
    assert_page_inert(page, expected, out.name)
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=[\"']?(https?:)?//", page), "nothing from a CDN"


# ---------------------------------------------------------------------------------------------- app (AppTest)

def _markdown_texts(at) -> list[tuple[str, str, bool]]:
    """(kind, text, allows HTML) for everything the app renders as Markdown: bodies, labels and help."""
    out = []
    stack = [at._tree]
    while stack:
        node = stack.pop()
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            stack.extend(children.values())
        proto = getattr(node, "proto", None)
        if proto is None:
            continue
        kind = str(getattr(node, "type", type(node).__name__))
        if kind in ("dataframe", "arrow_data_frame", "table", "code", "text", "json", "component_instance",
                    "selectbox", "multiselect", "radio", "select_slider"):
            # not Markdown (dataframes, code and plain text show text as text; option lists are plain text)
            for attr in ("label", "help"):
                val = getattr(proto, attr, "")
                if isinstance(val, str) and val:
                    out.append((kind + "." + attr, val, False))
            continue
        for attr in ("body", "label", "help", "placeholder"):
            val = getattr(proto, attr, None) if hasattr(proto, attr) else None
            if isinstance(val, str) and val:
                out.append((kind + "." + attr, val, bool(getattr(proto, "allow_html", False))))
    return out


def _map_scripts(at) -> str:
    import json

    parts = []
    for el in at.get("component_instance"):
        args = json.loads(el.proto.json_args or "{}")
        parts += [v for v in args.values() if isinstance(v, str)]
    return "\n".join(parts)


class _Downloads:
    """Records every file the app offers for download (AppTest keeps them in a throwaway media store)."""

    def __init__(self):
        self.files: dict[str, bytes] = {}

    def install(self, mp):
        from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

        original = MemoryMediaFileStorage.load_and_get_id
        files = self.files

        def load_and_get_id(storage, path_or_data, mimetype, kind, filename=None):
            data = path_or_data if isinstance(path_or_data, bytes) else (
                path_or_data.encode() if isinstance(path_or_data, str) and filename else b"")
            if filename:
                files[filename] = data
            return original(storage, path_or_data, mimetype, kind, filename)

        mp.setattr(MemoryMediaFileStorage, "load_and_get_id", load_and_get_id)


@pytest.fixture(scope="module")
def evil_app(inputs, tmp_path_factory):
    """The app with every upload replaced by the payload files; the working folder is a sentinel."""
    from streamlit.testing.v1 import AppTest

    here = tmp_path_factory.mktemp("app") / SENTINEL
    here.mkdir()
    downloads = _Downloads()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(here)
        # away from the repo Streamlit does not read .streamlit/config.toml, whose 127.0.0.1 tells the app it
        # is local (else it refuses to show data as if served to the network): set the same address here
        from streamlit import config as st_config

        st_config.set_option("server.address", "127.0.0.1")
        # the folium map (whole document as text, here checked for inertness); the canvas map's geometry
        # file and payload are checked in tests/test_webmap.py and tests/test_browser.py
        mp.setenv("PLACEBASED_MAP", "folium")
        downloads.install(mp)
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        at.run()
        next(t for t in at.text_input if t.label.startswith("Id column")).set_value("LSOA21CD")
        for label, key, mime in (("Boundaries", "names", "application/geo+json"), ("Incidents", "incidents",
                                 "text/csv"), ("Provision", "provision", "text/csv"),
                                 ("Indicator tables", "table", "text/csv")):
            up = next(u for u in at.file_uploader if u.label.startswith(label))
            up.set_value((inputs[key].name, inputs[key].read_bytes(), mime))
        at.run()
        at.session_state["selection"] = dict(zip(LSOA_IDS, PAYLOADS))
        at.run()
        at.downloads = downloads.files
        yield at


def test_app_runs_on_payload_uploads(evil_app):
    assert not evil_app.exception, evil_app.exception
    errors = [e.value for e in evil_app.error]
    assert not errors, errors
    assert any("9 areas" in c.value for c in evil_app.caption), "the uploaded boundaries are in use"


def test_app_markdown_shows_payloads_escaped(evil_app):
    texts = _markdown_texts(evil_app)
    raw = [(kind, t[:120]) for kind, t, _ in texts for live in LIVE_MARKUP if live in t]
    assert not raw, f"raw payloads in Markdown the app renders: {raw[:6]}"
    shown = decoded(" ".join(t for _, t, _ in texts)).replace("\\", "")
    assert SENTINEL not in shown
    # the selection panel names each area, the categories note lists each category
    for p in PAYLOADS:
        assert p in shown, f"{p!r} is not shown literally anywhere in the app's text"


def test_app_map_is_inert(evil_app):
    page = _map_scripts(evil_app)
    assert page, "the map component is there"
    assert_page_inert(page, PAYLOADS, "app map")


def test_app_downloads_are_defused(evil_app):
    files = evil_app.downloads
    assert "priority_scores.csv" in files and "target_selection.csv" in files, sorted(files)
    for name in ("priority_scores.csv", "target_selection.csv"):
        data = files[name].decode("utf-8-sig")
        assert SENTINEL not in data
        cells = [c for row in csv.reader(io.StringIO(data)) for c in row]
        live = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(c)]
        assert not live, f"{name}: cells that would run as formulas: {live[:5]}"
        for p in PAYLOADS:  # area names (and, in the selection, the reasons)
            want = "'" + p if p in FORMULAS else p
            assert any(want in c for c in cells), f"{name}: {want!r} not written literally"


def test_app_selection_profile_pdf_shows_reasons_literally(evil_app):
    btn = next(b for b in evil_app.button if b.label == "Profile PDF")
    btn.click().run()
    assert not evil_app.exception
    pdf = evil_app.session_state["pdf"]
    flat = " ".join(pdf_text(bytes(pdf)).split())
    assert SENTINEL not in flat
    for code, p in zip(LSOA_IDS, PAYLOADS):
        assert f"{code}: {p}" in flat or p in flat, f"the reason {p!r} shows literally in the PDF"


def test_app_scenario_text_is_data(evil_app, inputs):
    up = next(u for u in evil_app.file_uploader if u.label.startswith("Load a scenario"))
    up.set_value((inputs["scenario"].name, inputs["scenario"].read_bytes(), "application/toml"))
    evil_app.run()
    next(b for b in evil_app.button if b.label == "Use this scenario").click().run()
    assert not evil_app.exception
    meta = evil_app.session_state["scenario_meta"]
    assert meta["name"].startswith('=HYPERLINK("http://x","y") {{ 7*7 }}')
    texts = _markdown_texts(evil_app)
    raw = [(kind, t[:120]) for kind, t, _ in texts for live in LIVE_MARKUP if live in t]
    assert not raw, f"raw payloads in Markdown the app renders: {raw[:6]}"
    assert SENTINEL not in " ".join(t for _, t, _ in texts)


# ---------------------------------------------------------------------------------------------- browser

@pytest.mark.browser
@pytest.mark.slow
def test_browser_payload_boundaries_show_literally_and_nothing_runs(inputs):
    from browser_util import ARTIFACTS, browser_page, require_browser, running_app

    require_browser()
    dialogs: list[str] = []
    # the folium path (kept for basemaps); tests/test_browser.py drives the canvas map with hostile names
    with running_app(env={"PLACEBASED_MAP": "folium"}) as url, browser_page((1500, 1100)) as page:
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.add_init_script("window.__xss = 0; window.alert = (m) => { window.__xss += 1; };")
        page.goto(url)
        page.get_by_text("Data: areas, incidents, indicators, provision").click(timeout=180_000)
        box = page.get_by_label("Id column of uploaded boundaries")
        box.fill("LSOA21CD")
        box.press("Enter")
        inputs_ = page.locator("section[data-testid='stFileUploaderDropzone'] input[type='file'], "
                               "[data-testid='stFileUploader'] input[type='file']")
        inputs_.nth(0).set_input_files(str(inputs["names"]))
        page.wait_for_timeout(1500)
        inputs_.nth(1).set_input_files(str(inputs["incidents"]))
        page.get_by_text("9 areas", exact=False).first.wait_for(timeout=180_000)
        page.wait_for_selector("iframe[title*='streamlit_folium']", timeout=180_000)
        # the Moran note lists the category names
        # (in the "How this was worked out" expander, with the method of the map's layer)
        page.locator("[data-testid='stExpander'] summary", has_text="How this was worked out").first.click(
            timeout=120_000)
        page.get_by_text("global Moran's I", exact=False).first.wait_for(state="visible", timeout=60_000)
        frame = page.frame_locator("iframe[title*='streamlit_folium']").first
        polys = frame.locator("path.leaflet-interactive")
        polys.first.wait_for(timeout=60_000)
        tips: list[str] = []
        for i in range(min(polys.count(), 9)):
            polys.nth(i).hover(force=True)
            page.wait_for_timeout(300)
            tips += frame.locator(".leaflet-tooltip").all_inner_texts()
        page.wait_for_timeout(1000)
        body = page.locator("body").inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "injection_e2e.png"), full_page=True)
        assert not dialogs, f"a dialog fired: {dialogs}"
        assert page.evaluate("window.__xss") == 0, "a payload ran"
        shown = body.replace("\u2060", "")
        for p in PAYLOADS:  # every category name, literally, in the Moran note
            assert p in shown, f"{p!r} is not shown literally on the page"
        tip_text = " ".join(tips)
        assert tips, "the map's tooltips appear on hover"
        assert sum(p in tip_text for p in PAYLOADS) >= 3, f"area names shown literally in tooltips: {tips}"
        assert "49" not in [t.strip() for t in tip_text.split("\n")]
        assert page.locator("img[src='x']").count() == 0 and page.locator("img[src*='evil.example']").count() == 0


def test_app_workshop_page_on_payload_data(evil_app):
    """The workshop page, opened from the main page's payload settings: cards name the areas literally and a
    comment made of payloads is saved and shown back as inert text."""
    at = evil_app
    at.switch_page("views/workshop.py").run()
    assert not at.exception, at.exception
    assert not [e.value for e in at.error]
    box = next((t for t in at.text_area if (t.key or "").startswith("ws_text_")), None)
    assert box is not None, "the workshop page shows area cards with a comment box"
    code = box.key[len("ws_text_"):]
    at.text_input(key=f"ws_author_{code}").set_value("{{ 7*7 }} <img src=x onerror=alert(1)>")
    at.text_area(key=f"ws_text_{code}").set_value(" ".join(PAYLOADS))
    next(b for b in at.button if b.label == "Save comment").click().run()
    assert not at.exception
    texts = _markdown_texts(at)
    raw = [(kind, t[:120]) for kind, t, _ in texts for live in LIVE_MARKUP if live in t]
    assert not raw, f"raw payloads in Markdown the workshop renders: {raw[:6]}"
    shown = decoded(" ".join(t for _, t, _ in texts)).replace("\\", "")
    assert SENTINEL not in shown
    assert " ".join(PAYLOADS) in " ".join(shown.split()), "the comment shows literally"
    names = [p for p in PAYLOADS if p in shown]
    assert len(names) == len(PAYLOADS)
    page = _map_scripts(at)
    if page:
        assert_page_inert(page, [], "workshop map")

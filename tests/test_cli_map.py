"""CLI contract of ``placebased map``: one self-contained offline HTML file per layer, Leaflet inlined,
nothing fetched; one-line errors; and, in Chromium, a map with malicious area names that runs nothing,
requests nothing and shows the names literally."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box
from test_map_injection import PAYLOADS, json_blobs, strings, visible

from placebased.cli import main
from placebased.commands import map as map_command
from placebased.outputs.mapping import leaflet_inline

LAYERS = ["priority", "imd", "hotspots", "lisa", "density", "emerging", "gaps"]


def assert_offline_page(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert leaflet_inline() in page and "Leaflet 1.9.4" in page, "Leaflet is inlined from the installed package"
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.IGNORECASE), "no script is loaded from anywhere"
    assert not re.search(r"<link\b", page, re.IGNORECASE), "no stylesheet or other link is loaded"
    rest = page.replace(leaflet_inline(), "")
    assert "http://" not in rest and "https://" not in rest, "no URL outside Leaflet's own (inert) source"
    assert not re.search(r"url\((?!data:)", rest), "no CSS asset from a URL"


def test_every_layer_writes_one_offline_file(tmp_path, monkeypatch, areas, police, capsys):
    """Each layer through the command (the shipped data, loaded once for speed; 99 permutations)."""
    monkeypatch.setattr(map_command, "load_areas_from_args", lambda _args: areas)
    monkeypatch.setattr(map_command, "load_incidents_from_args", lambda _args, **_kw: police)
    for layer in LAYERS:
        out = tmp_path / layer / "map.html"
        out.parent.mkdir()
        extra = ["--sites", "1", "--types", "GP practice", "--provision", "example"] if layer == "gaps" else []
        assert main(["map", "--layer", layer, "--permutations", "99", "--seed", "7", *extra, "--out", str(out)]) == 0
        assert [p.name for p in out.parent.iterdir()] == ["map.html"], "one file, no temporary left behind"
        page = out.read_text(encoding="utf-8")
        assert_offline_page(page)
        blobs = json_blobs(page)
        codes = {f["properties"].get("area_code") for b in blobs if isinstance(b, dict) for f in b["features"]}
        assert set(areas.index) <= codes, layer
        if layer in ("hotspots", "lisa"):
            assert "99 permutations, seed 7" in page, "the legend states the inference settings"
        if layer == "gaps":
            shown = " ".join(visible(s) for s in strings(blobs))
            assert "Suggested new site" in shown and "GP practice" in shown
        err = capsys.readouterr().err
        assert f"map ({layer}) written to" in err and "Traceback" not in err


def test_default_data_end_to_end(tmp_path, capsys):
    out = tmp_path / "priority.html"
    assert main(["map", "--permutations", "99", "--out", str(out)]) == 0
    assert_offline_page(out.read_text(encoding="utf-8"))
    err = capsys.readouterr().err
    assert "443 areas" in err


@pytest.mark.parametrize("argv, needle", [
    (["--layer", "heatmap"], "--layer 'heatmap' is not a map layer; choose one of priority, imd, hotspots"),
    (["--layer", "lisa", "--sites", "2"], "--sites needs --layer gaps"),
])
def test_bad_options_are_one_line_errors(tmp_path, capsys, argv, needle):
    assert main(["map", *argv, "--out", str(tmp_path / "m.html")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and needle in err
    assert not any(tmp_path.iterdir())


def test_a_folder_as_out_is_a_one_line_error(tmp_path, capsys):
    assert main(["map", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is a folder, not a file" in err and str(tmp_path) in err
    assert main(["map", "--out", str(tmp_path / "missing" / "m.html")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_help_has_examples(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["map", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert "examples:" in text and "placebased map --layer hotspots" in text and "--out FILE.html" in text


def evil_boundaries(folder: Path) -> Path:
    """Zones near Northampton whose ids and names are the injection payloads."""
    g = gpd.GeoDataFrame({"code": [f"Z{i}{p}" for i, p in enumerate(PAYLOADS)], "name": PAYLOADS},
                         geometry=[box(472_000 + 1000 * i, 259_000, 473_000 + 1000 * i, 261_000)
                                   for i in range(len(PAYLOADS))], crs="EPSG:27700")
    path = folder / "evil.geojson"
    g.to_file(path)
    return path


@pytest.fixture(scope="module")
def evil_map(tmp_path_factory):
    folder = tmp_path_factory.mktemp("evil-map")
    out = folder / "evil.html"
    argv = ["map", "--boundaries", str(evil_boundaries(folder)), "--id-column", "code", "--name-column", "name",
            "--layer", "priority", "--permutations", "99", "--provision", "example", "--out", str(out)]
    assert main(argv) == 0
    return out


def test_cli_map_with_malicious_names_is_inert(evil_map):
    page = evil_map.read_text(encoding="utf-8")
    rest = page.replace(leaflet_inline(), "")
    assert "{{" not in rest and "{%" not in rest and "<script>alert" not in rest and "<svg onload" not in rest
    assert "/cwd-" not in rest and str(Path.cwd()) not in rest
    shown = " ".join(visible(s) for s in strings(json_blobs(page)))
    for p in PAYLOADS:
        assert p in shown


@pytest.mark.browser
def test_browser_opens_malicious_map_offline_and_runs_nothing(evil_map):
    from browser_util import browser_page, require_browser

    require_browser()
    with browser_page() as page:
        dialogs, outside = [], []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("request", lambda r: None if r.url.startswith(("file://", "data:", "about:"))
                or re.match(r"https?://(127\.0\.0\.1|localhost)[:/]", r.url) else outside.append(r.url))
        page.goto(evil_map.as_uri())
        page.wait_for_selector("path.leaflet-interactive")
        areas = page.locator("path.leaflet-interactive")
        assert areas.count() == len(PAYLOADS)
        tips = []
        for i in range(areas.count()):
            box = areas.nth(i).bounding_box()
            # an event on the area's own path (a hover at its box centre may land on a neighbour)
            areas.nth(i).dispatch_event("mouseover", {"clientX": box["x"] + box["width"] / 2,
                                                      "clientY": box["y"] + box["height"] / 2})
            tip = page.locator(".leaflet-tooltip").last
            tip.wait_for()
            text = tip.inner_text()
            for _ in range(20):  # the tooltip follows the pointer: wait for this area's, not the last one's
                if text not in tips:
                    break
                page.wait_for_timeout(100)
                text = tip.inner_text()
            tips.append(text)
        page.mouse.move(1, 1)
        page.wait_for_timeout(300)
        live = page.evaluate("document.querySelectorAll('img[src=\"x\"], svg[onload], .leaflet-tooltip script')"
                             ".length")
        body = page.inner_text("body")
    assert dialogs == [], f"a dialog fired: {dialogs}"
    assert outside == [], f"requests left the machine: {outside}"
    assert live == 0
    joined = "\n".join(tips)
    for p in PAYLOADS:
        assert p in joined, f"{p!r} not shown literally in a tooltip"
    assert "49" not in joined.replace("E01", "")
    assert "Provision" in body

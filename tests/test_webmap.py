"""The browser map's data (placebased.outputs.webmap) and the priority page drawing it (AppTest).

Hand-made 3 x 3 grid with known colours; the real shipped areas for the file's content; injection
strings stay literal text; the static geometry file holds public boundary data only."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from placebased.outputs import webmap
from placebased.outputs.mapping import IMD_COLOURS, classify_layer, web_geometry

INJECT = ["{{7*7}}", "<img src=x onerror=alert(1)>", "=HYPERLINK(\"x\")", "`${1+1}`"]


@pytest.fixture
def grid_web(grid_areas):
    a = grid_areas.copy()
    a.loc["A1", "area_name"] = INJECT[0]
    a.loc["B2", "area_name"] = INJECT[1]
    return web_geometry(a, tolerance_m=0)


def test_geometry_document_order_keys_and_coordinates(grid_web):
    doc = webmap.geometry_document(grid_web)
    assert tuple(doc) == webmap.GEO_KEYS
    assert doc["codes"] == list(grid_web.index)
    assert doc["names"][0] == "{{7*7}}" and doc["names"][4] == "<img src=x onerror=alert(1)>"
    for code, g, polys in zip(doc["codes"], grid_web.geometry, doc["areas"]):
        assert len(polys) == 1 and len(polys[0]) == 1, code
        ring = webmap.decode_ring(polys[0][0])
        assert len(ring) == 4  # a square, closing point dropped
        np.testing.assert_allclose(ring, np.asarray(g.exterior.coords)[:4], atol=1e-5)


def test_style_payload_follows_geometry_order(grid_web):
    codes = list(grid_web.index)
    deciles = dict(zip(codes, [1, 2, 3, 4, 5, 6, 7, 8, 10]))
    # the map frame in another order than the file, one area missing
    data = pd.DataFrame({"area_name": "x", "imd_decile": pd.Series(deciles)}).iloc[::-1].drop(index="C3")
    p = webmap.style_payload(codes, data, layer="imd", selected=["B2"])
    assert len(p["fill"]) == len(codes)
    got = [p["palette"][i] for i in p["fill"]]
    want = [IMD_COLOURS[deciles[c]] for c in codes[:-1]] + ["#ffffff"]
    assert got == want
    colours, legend, title = classify_layer("imd", data)
    assert p["legend"]["title"] == title and [tuple(x) for x in p["legend"]["items"]] == legend
    assert p["selected"] == ["B2"]
    tips = p["tips"]
    text = tips["levels"][tips["idx"][0]] if "levels" in tips else tips["values"][0]
    from placebased.outputs.mapping import tooltips

    want_tip = webmap.html_to_lines(tooltips(data.reindex(codes), "Incidents").loc["A1"])[1:]
    assert text == "\n".join(want_tip) and "decile 1" in text  # name/code line left to the geometry file


def test_tooltip_text_is_literal_not_markup():
    tip = "<b>&lt;img src=x onerror=alert(1)&gt;</b> <span>E1</span><br>&#123;&#123;7*7&#125;&#125; &amp; `x`"
    assert webmap.html_to_lines(tip) == ["<img src=x onerror=alert(1)> E1", "{{7*7}} & `x`"]
    enc = webmap.tip_lines(pd.Series({"E1": tip, "E2": tip}), ["E2", "E1", "E3"])
    assert enc == {"levels": ["{{7*7}} & `x`", ""], "idx": [0, 0, 1]} or enc["values"][0] == "{{7*7}} & `x`"


def test_overlays_and_colours_are_checked(grid_web):
    import geopandas as gpd
    from shapely.geometry import Point

    prov = gpd.GeoDataFrame({"name": [INJECT[1]], "type": ["GP practice"]}, geometry=[Point(470_500, 260_500)],
                            crs="EPSG:27700")
    pv = webmap.provision_payload(prov, 1000)
    assert pv["types"] == [["GP practice", pv["types"][0][1], "GP"]]
    assert pv["points"][0][3] == INJECT[1] and pv["radius"] == 1000.0
    centre = grid_web.loc["A1"].geometry.centroid  # the point is A1's centre
    assert pv["points"][0][:2] == pytest.approx([centre.y, centre.x], abs=1e-5)
    palette, idx = webmap.fills(pd.Series({"A1": "red;background:url(x)", "A2": "#abcdef"}), ["A1", "A2"])
    assert [palette[i] for i in idx] == ["#ffffff", "#abcdef"]
    assert webmap.clusters_payload(pd.DataFrame({"lat": [52.0], "lon": [-0.9], "count": [7]})) == [
        [52.0, -0.9, 15.0, 7]]


def test_static_file_holds_public_boundaries_only(tmp_path, areas):
    """The shipped areas: the file is named by its content, written once, and carries codes, names and
    geometry only (no counts, scores, categories or points)."""
    from placebased.outputs.mapping import authority_outlines

    web = web_geometry(areas)
    g1 = webmap.write_geometry(web, tmp_path, authority_outlines(areas))
    g2 = webmap.write_geometry(web, tmp_path, authority_outlines(areas))
    assert g1["url"] == g2["url"] and g1["url"].startswith("app/static/geo/")
    files = list((tmp_path / "geo").iterdir())
    assert files == [g1["path"]]
    import hashlib

    raw = g1["path"].read_bytes()
    assert Path(g1["url"]).stem == hashlib.sha256(raw).hexdigest()[:32]
    doc = json.loads(raw)
    assert tuple(doc) == webmap.GEO_KEYS and doc["v"] == 1
    assert doc["codes"] == list(web.index) == g1["codes"] and len(doc["codes"]) == 443
    assert doc["names"] == list(areas.loc[web.index, "area_name"])
    assert doc["outlines"]
    # only numbers inside the geometry arrays
    flat = json.dumps(doc["areas"]) + json.dumps(doc["outlines"])
    assert set(flat) <= set("[]0123456789-, ")
    assert len(raw) < 400_000



def test_stale_geometry_files_are_pruned(tmp_path, grid_web):
    """Writing geometry prunes static/geo/: content-named files of earlier runs go once unused for an
    hour; the current file, files this process wrote, recent files and other names stay."""
    import os
    import time

    geo = tmp_path / "geo"
    geo.mkdir()
    old = time.time() - 2 * webmap.PRUNE_AFTER_S - (time.time() - webmap._STARTED)
    stale = [geo / ("a" * 32 + ".json"), geo / ("b" * 32 + ".places.json")]
    recent, other = geo / ("c" * 32 + ".json"), geo / "notes.json"
    for f in [*stale, recent, other]:
        f.write_text("{}", encoding="ascii")
    for f in [*stale, other]:
        os.utime(f, (old, old))
    g = webmap.write_geometry(grid_web, tmp_path)
    assert sorted(p.name for p in geo.iterdir()) == sorted([g["path"].name, recent.name, other.name])
    # reused: named by content, so the same file (touched, kept); another area set's file kept beside it
    os.utime(g["path"], (old, old))
    g2 = webmap.write_geometry(grid_web.iloc[:4], tmp_path)
    assert g["path"].exists() and g2["path"].exists() and g2["path"] != g["path"]
    assert webmap.write_geometry(grid_web, tmp_path)["path"] == g["path"]
    assert webmap.prune_static(tmp_path, max_age_s=0) == []  # nothing older than this process remains


@pytest.mark.filterwarnings("ignore:Not enough unique values")
def test_quantile_bins_equal_mapclassify():
    """The priority layer's classes without importing mapclassify (its import compiles numba code:
    seconds at app start), equal to mapclassify.Quantiles to the last bit, ties included."""
    import mapclassify

    from placebased.outputs.mapping import quantile_bins

    rng = np.random.default_rng(7)
    for n, k in [(443, 5), (7, 5), (50, 3), (1000, 7), (33755, 5)]:
        for v in (rng.random(n) * 100, np.round(rng.normal(size=n) ** 3, 2), rng.integers(0, 4, n).astype(float)):
            assert np.array_equal(quantile_bins(v, k), np.asarray(mapclassify.Quantiles(v, k=k).bins, float))

def test_workshop_payload_has_no_points(grid_web):
    codes = list(grid_web.index)
    p = webmap.workshop_payload(codes, pd.Series("#d62f27", index=codes), pd.Series("<b>x</b><br>Hot spot",
                                index=codes), "T", [("#d62f27", "Hot")], "note", selected=["A1", None])
    assert p["provision"] is None and p["clusters"] is None and p["sites"] is None
    assert p["selected"] == ["A1"] and p["style"]["large"] is True


@pytest.mark.slow
def test_priority_page_draws_the_component_and_takes_a_click():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=600).run()
    assert not at.exception
    maps = [e for e in at.get("component_instance") if e.proto.component_name.endswith("areamap")]
    assert len(maps) == 1
    args = json.loads(maps[0].proto.json_args)
    assert args["geo"].startswith("app/static/geo/") and len(args["fill"]) == 443
    assert args["selected"] == [] and args["ack"] == 0
    code = "E01027153"
    at.session_state["areamap"] = {"code": code, "n": 5, "clicks": [{"code": code, "n": 5}]}
    at.run()
    assert not at.exception
    assert code in at.session_state["selection"]
    args = json.loads(list(at.get("component_instance"))[0].proto.json_args)
    assert args["selected"] == [code] and args["ack"] == 5
    at.run()  # the same click value again is not a new click
    assert code in at.session_state["selection"]

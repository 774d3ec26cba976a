"""The offline map: only the app's own Leaflet assets, escaped text, legends naming their classification,
layers drawn on the real data and on tiny cases."""

from __future__ import annotations

import branca
import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from placebased import pipeline as P  # noqa: N812
from placebased.io.provision import example_provision
from placebased.outputs.mapping import (
    LAYERS,
    area_at,
    authority_outlines,
    build_map,
    classify_layer,
    cluster_points,
    install_static_assets,
    script_json,
    tooltips,
    web_features,
    web_geometry,
)


def _links(m) -> set[str]:
    """Every JS/CSS link streamlit-folium would load for the map (it reads default_js/default_css)."""
    out = set()

    def walk(e):
        yield e
        for c in getattr(e, "_children", {}).values():
            yield from walk(c)

    for e in walk(m):
        out |= {u for _, u in getattr(e, "default_js", [])} | {u for _, u in getattr(e, "default_css", [])}
        if isinstance(e, branca.colormap.ColorMap):
            out.add("d3 from a CDN (streamlit-folium adds it for colormaps)")
    return out


@pytest.fixture(scope="module")
def analysis(areas, police):
    return P.analyse(areas, police, [], P.Filters(), P.StatsSettings(permutations=99))


@pytest.fixture(scope="module")
def web(areas):
    return web_geometry(areas)


def test_every_layer_uses_only_local_assets(areas, analysis, web):
    mf = P.map_frame(areas, analysis)
    mf["score"] = areas["imd_score"]
    mf["emerging_class"] = "persistent hot spot"
    mf["gap"] = mf["imd_decile"] == 1
    mf["in_tier"] = mf["imd_decile"] <= 2
    sites = gpd.GeoDataFrame({"name": ["New hub"]}, geometry=[Point(475_000, 260_000)], crs=27700)
    feats = web_features(web)
    for layer in LAYERS:
        m = build_map(web, mf, layer=layer, selected=["E01026949"], provision=example_provision(),
                      provision_radius_m=1000, sites=sites, outlines=authority_outlines(areas),
                      point_clusters=cluster_points(analysis.counts.points.head(500)), features=feats)
        html = m.get_root().render()
        assert _links(m) == {"/app/static/leaflet/leaflet.js", "/app/static/leaflet/leaflet.css"}, layer
        assert "cdn" not in html.lower() and "https://" not in html, layer
        assert html.count('"area_code":') == len(areas)


def test_basemap_only_when_chosen(areas, web):
    data = areas.drop(columns="geometry")
    assert "tile.openstreetmap" not in build_map(web, data, layer="imd").get_root().render()
    assert "tile.openstreetmap" in build_map(web, data, layer="imd",
                                             basemap="OpenStreetMap (online)").get_root().render()


def test_text_from_files_is_escaped_in_tooltips_and_script():
    data = pd.DataFrame({"area_name": ['<img src=x onerror="alert(1)">'], "score": [50.0], "rank": [1],
                         "imd_decile": [1], "count": [3]}, index=["</script><b>X"])
    tip = tooltips(data).iloc[0]
    assert "<img" not in tip and "&lt;img" in tip and "&lt;/script&gt;" in tip
    assert "</script>" not in script_json({"tip": "</script>"})


def test_legend_names_classification_and_few_values(areas):
    data = pd.DataFrame({"score": [1.0, 1.0, 2.0], "density": [0.0, 0.0, 0.0]}, index=["a", "b", "c"])
    colours, legend, title = classify_layer("priority", data)
    # plain title on the legend; the classification in "How this was worked out" (placebased.outputs.glossary)
    from placebased.outputs.glossary import method_note

    assert title.startswith("Priority score") and "mapclassify" not in title
    assert "quantiles" in method_note("priority").lower() and len(legend) == 2 and colours.notna().all()
    colours, legend, title = classify_layer("density", data)
    assert "natural breaks" in method_note("density").lower() and len(legend) == 1
    _, legend, title = classify_layer("imd", areas)
    assert title.startswith("Deprivation") and len(legend) == 10
    with pytest.raises(KeyError, match="unknown layer"):
        classify_layer("nope", data)


def test_click_finds_area_and_clusters_sum(web, police):
    pt = web.loc["E01026949"].geometry.representative_point()
    assert area_at(web, pt.y, pt.x) == "E01026949"
    assert area_at(web, 0.0, 0.0) is None
    cl = cluster_points(police.points)
    assert cl["count"].sum() == len(police.points)


def test_static_assets_come_from_the_installed_package(tmp_path):
    dest = install_static_assets(tmp_path)
    js = (dest / "leaflet.js").read_text(encoding="utf-8")
    assert "Leaflet 1.9.4" in js[:400] or "1.9.4" in js[:2000]
    assert (dest / "leaflet.css").exists()


def test_area_month_series_fills_missing_months(analysis, police):
    months = P.months_available(police.points)
    code = analysis.counts.counts["total"].idxmax()
    s = P.area_month_series(analysis, code, months)
    assert list(s.index) == months and (s >= 0).all()
    assert s.sum() == analysis.counts.counts.loc[code, list(analysis.selected)].sum()
    quiet = analysis.counts.counts["total"].idxmin()
    assert len(P.area_month_series(analysis, quiet, months)) == len(months)


def test_points_of_sensitive_categories_are_never_drawn():
    pts = gpd.GeoDataFrame({"category": ["Robbery", "Rape", "Domestic abuse - ABH", "Violence and sexual offences"]},
                           geometry=[Point(475_000 + i, 260_000) for i in range(4)], crs=27700)
    kept = P.point_layer(pts, ["Robbery", "Rape", "Domestic abuse - ABH", "Violence and sexual offences"])
    assert sorted(kept["category"]) == ["Robbery", "Violence and sexual offences"]


def test_load_summary_counts_every_row(analysis, police):
    line = P.load_summary(police, analysis)
    assert "read 57,565" in line and "outside the areas" in line and "without a usable location 657" in line


def test_profile_notes_hold_reasons_and_workshop_comments_without_names():
    comments = pd.DataFrame({"area_code": ["A", "A", "B"], "text": ["older", "newer", "b"],
                             "author": ["Ann", "Bob", "Cy"],
                             "created_at": ["2025-01-01T10:00", "2025-02-01T10:00", "2025-01-05T10:00"]})
    notes = P.profile_notes(["A", "C"], {"A": "youth violence near the station", "C": ""}, comments)
    assert notes == {"A": ["Reason for selection: youth violence near the station",
                           "Workshop comment (2025-02-01): newer", "Workshop comment (2025-01-01): older"]}
    assert "Bob" not in str(notes)

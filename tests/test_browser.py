"""The real app in headless Chromium (Debian's /usr/bin/chromium via Playwright).

Starts ``streamlit run app.py`` on a free local port, waits for the map (the areamap component:
geometry fetched once, drawn on a canvas), checks that the areas are drawn, that hovering shows a
tooltip, that a click shows the selection at once in the map and then in the selection panel, that
area names from a file show literally, and that no request went to any host but the app's own.
Saves screenshots in ``artifacts/``.
"""

from __future__ import annotations

import re
import time
from urllib.parse import urlparse

import pytest
from browser_util import (
    ARTIFACTS,
    TOOLTIP,
    area_count,
    browser_page,
    click_area,
    hover_area,
    map_frame,
    require_browser,
    running_app,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EVIL = ["{{7*7}}", "<img src=x onerror=\"window.__xss=1\">"]


def _outside(hosts: set[str], url: str) -> set[str]:
    own = urlparse(url).netloc
    return {h for h in hosts if h not in (own, "", "data", "blob", "about")}


def test_map_click_selection_and_no_outside_requests():
    require_browser()
    ARTIFACTS.mkdir(exist_ok=True)
    with running_app() as url, browser_page((1600, 1100)) as page:
        hosts: set[str] = set()
        page.on("request", lambda r: hosts.add(urlparse(r.url).netloc or r.url.split(":", 1)[0]))
        page.goto(url)
        frame = map_frame(page, timeout_ms=180_000)
        assert area_count(frame) == 443
        assert frame.locator("canvas").count() >= 1 and frame.locator("path.leaflet-interactive").count() == 0
        assert "Priority score" in frame.locator(".pb-legend").inner_text()
        page.get_by_text("Target selection (0)").wait_for(timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "app_map.png"), full_page=True)

        code = hover_area(page, frame, 150)
        tip = frame.locator(TOOLTIP)
        tip.wait_for(state="visible", timeout=10_000)
        assert code in tip.inner_text() and "Score" in tip.inner_text()

        assert click_area(page, frame, 150) == code
        frame.wait_for_function(f"window.__areamap.selected.indexOf({code!r}) >= 0", timeout=2_000)  # at once
        page.get_by_text("Target selection (1)").wait_for(timeout=60_000)
        frame.wait_for_function("window.__areamap.renders >= 2 && window.__areamap.selected.length == 1",
                                timeout=30_000)
        time.sleep(0.5)
        page.screenshot(path=str(ARTIFACTS / "app_selected.png"), full_page=True)
        body = page.locator("body").inner_text()
        assert code in body and re.search(r"E0\d{7}", body)

        click_area(page, frame, code)  # a second click removes it
        page.get_by_text("Target selection (0)").wait_for(timeout=60_000)
        assert not _outside(hosts, url), f"requests to other hosts: {_outside(hosts, url)}"


def test_names_from_a_file_are_text_in_tooltip_and_legend(tmp_path):
    """Uploaded boundaries whose names are injection strings: the tooltip shows them literally."""
    require_browser()
    from placebased.io.areas import load_areas

    areas = load_areas()[["area_name", "geometry"]].copy()
    areas["area_name"] = [EVIL[i % 2] + f" {i}" for i in range(len(areas))]
    path = tmp_path / "evil_boundaries.geojson"
    out = areas.rename(columns={"area_name": "LSOA21NM"}).reset_index().rename(columns={"area_code": "LSOA21CD"})
    out.to_crs(4326).to_file(path, driver="GeoJSON")
    with running_app() as url, browser_page((1600, 1100)) as page:
        hosts: set[str] = set()
        dialogs: list[str] = []
        page.on("request", lambda r: hosts.add(urlparse(r.url).netloc or r.url.split(":", 1)[0]))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(url)
        map_frame(page, timeout_ms=180_000)
        sidebar = page.locator("[data-testid='stSidebar']")
        sidebar.get_by_text("Data: areas, incidents").click()
        sidebar.locator("input[type='file']").first.set_input_files(str(path))
        frame = map_frame(page, timeout_ms=180_000)
        seen: list[str] = []
        deadline = time.time() + 150
        while time.time() < deadline and not ({"0", "1"} <= {s[-1:] for s in seen if "{{7*7}}" in s or "<img" in s}):
            try:
                frame.wait_for_function("window.__areamap.ready", timeout=5_000)
                for i in (10, 11):
                    hover_area(page, frame, i)
                    tip = frame.locator(TOOLTIP)
                    tip.wait_for(state="visible", timeout=3_000)
                    seen.append(tip.inner_text().split("\n")[0])
            except Exception:  # the map is being redrawn with the uploaded areas
                pass
            time.sleep(1)
        text = " ".join(seen)
        assert "{{7*7}}" in text and '<img src=x onerror="window.__xss=1">' in text, seen
        assert "49" not in text.split()
        assert frame.locator(f"{TOOLTIP} img").count() == 0 and frame.evaluate("typeof window.__xss") == "undefined"
        assert not dialogs
        assert not _outside(hosts, url), f"requests to other hosts: {_outside(hosts, url)}"

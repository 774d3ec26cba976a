"""The real app in headless Chromium (Debian's /usr/bin/chromium via Playwright).

Starts ``streamlit run app.py`` on a free local port, waits for the map, checks that the areas
are drawn, that a click adds an area to the selection panel, and that no request went to any host
but the app's own. Saves a screenshot in ``artifacts/``.
"""

from __future__ import annotations

import re
import time
from urllib.parse import urlparse

import pytest
from browser_util import ARTIFACTS, browser_page, map_frame, require_browser, running_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_map_click_selection_and_no_outside_requests():
    require_browser()
    ARTIFACTS.mkdir(exist_ok=True)
    with running_app() as url, browser_page((1600, 1100)) as page:
        own = urlparse(url).netloc
        hosts: set[str] = set()
        page.on("request", lambda r: hosts.add(urlparse(r.url).netloc or r.url.split(":", 1)[0]))
        page.goto(url)
        frame = map_frame(page, timeout_ms=180_000)
        polygons = frame.locator("path.leaflet-interactive")
        deadline = time.time() + 30
        while polygons.count() < 400 and time.time() < deadline:
            time.sleep(0.5)
        assert polygons.count() >= 400
        page.get_by_text("Target selection (0)").wait_for(timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "app_map.png"), full_page=True)
        polygons.nth(150).click(force=True)
        page.get_by_text("Target selection (1)").wait_for(timeout=60_000)
        time.sleep(1)
        page.screenshot(path=str(ARTIFACTS / "app_selected.png"), full_page=True)
        body = page.locator("body").inner_text()
        assert re.search(r"E0\d{7}", body)
        outside = {h for h in hosts if h not in (own, "", "data", "blob", "about")}
        assert not outside, f"requests to other hosts: {outside}"

"""The workshop page in headless Chromium (Debian's /usr/bin/chromium via Playwright).

One app server for the module. Checks, on the page opened directly at ``/workshop``: the map
holds exactly one shape per area and no marker of any kind (no incident points); a click on an
area puts its card first; no count from 1 to 4 appears in the cards or tooltips (shown as "<5");
a comment holding HTML, a script and Markdown is saved and shown back as plain text with
``window.__xss`` left undefined; no request goes to any host but the app's own. Then boundaries
whose area names hold HTML are uploaded on the main page and the workshop page (same browser
session) shows those names as text in the cards and the map tooltips. Saves
``artifacts/workshop.png`` (map and first cards) and ``artifacts/workshop_comment.png``.
"""

from __future__ import annotations

import re
import time
from urllib.parse import urlparse

import pytest
from browser_util import ARTIFACTS, browser_page, folium_frame, require_browser, running_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]

COMMENT = ('<img src=x onerror="window.__xss=1"> <script>window.__xss=2</script> '
           "![x](http://example.invalid/x.png) **not bold**")
EVIL_NAME = '<img src=x onerror="window.__xss=3"><b>Evil</b> {i}'
WJ = "\u2060"  # the page puts an invisible word joiner after ':' so no bare URL becomes a link


def _text(locator) -> str:
    return locator.inner_text().replace(WJ, "")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    require_browser()
    db = tmp_path_factory.mktemp("wsb") / "saved.db"
    with running_app(env={"PLACEBASED_DB": str(db), "PLACEBASED_MAP": "folium"}) as url:  # see test_browser
        yield url


def _watch_hosts(page) -> set[str]:
    hosts: set[str] = set()
    page.on("request", lambda r: hosts.add(urlparse(r.url).netloc or r.url.split(":", 1)[0]))
    return hosts


def _polygons(frame, n_min: int, wait_s: float = 30):
    polygons = frame.locator("path.leaflet-interactive")
    deadline = time.time() + wait_s
    while polygons.count() < n_min and time.time() < deadline:
        time.sleep(0.3)
    return polygons


def _small_counts(text: str) -> list[str]:
    """Counts 1-4 shown after a label ("All incidents, Jan–Sep 2025: 3", "Robbery: 2")."""
    return re.findall(r":\s([1-4])(?![\d,.])", text)


def test_workshop_page_points_counts_escaping_and_hosts(app_url):
    ARTIFACTS.mkdir(exist_ok=True)
    with browser_page((1600, 1500)) as page:
        hosts = _watch_hosts(page)
        page.goto(app_url + "/workshop")
        frame = folium_frame(page, timeout_ms=120_000)
        polygons = _polygons(frame, 443)
        assert polygons.count() == 443  # one shape per area and nothing else
        assert frame.locator(".leaflet-marker-icon, .leaflet-marker-pane > *, circle").count() == 0
        assert "Where incidents cluster" in frame.locator(".pb-legend").inner_text()
        page.get_by_text("why these areas stand out").wait_for(timeout=60_000)

        main = page.locator("[data-testid='stMain']")
        time.sleep(1)
        page.screenshot(path=str(ARTIFACTS / "workshop.png"))
        cards = _text(main)
        assert "All incidents" in cards
        assert not _small_counts(cards), _small_counts(cards)
        for i in (0, 50, 120, 300):  # tooltips: plain text, suppressed counts only
            polygons.nth(i).hover(force=True)
            tip = frame.locator(".leaflet-tooltip").last
            tip.wait_for(timeout=10_000)
            text = _text(tip)
            assert "All incidents" in text and not _small_counts(text), text
            assert "Score" not in text and "confidence" not in text

        lg = frame.locator(".pb-legend").bounding_box()  # the map sits beside the cards: click clear of its legend

        def clear_of_legend(i: int) -> bool:
            b = polygons.nth(i).bounding_box()
            cx, cy = b["x"] + b["width"] / 2, b["y"] + b["height"] / 2
            inside_x = lg["x"] - 5 <= cx <= lg["x"] + lg["width"] + 5
            return not (inside_x and lg["y"] - 5 <= cy <= lg["y"] + lg["height"] + 5)

        pick = next(i for i in range(200, 443) if clear_of_legend(i))
        polygons.nth(pick).click(force=True)  # a click opens that area's card first
        page.get_by_text("Chosen on the map").wait_for(timeout=60_000)
        time.sleep(1)

        page.get_by_label("Your name").first.fill("Sam <b>Lee</b>")
        page.get_by_label("Your comment on this area").first.fill(COMMENT)
        page.get_by_role("button", name="Save comment").first.click()
        page.get_by_text("your comment is saved").wait_for(timeout=60_000)
        page.get_by_text('<img src=x onerror="window.__xss=1">', exact=False).first.wait_for(timeout=30_000)
        time.sleep(1)
        body = _text(main)
        assert main.locator("a[href*='example.invalid']").count() == 0
        assert "<script>window.__xss=2</script>" in body
        assert "![x](http://example.invalid/x.png) **not bold**" in body
        assert "Sam <b>Lee</b>" in body
        assert page.evaluate("typeof window.__xss") == "undefined"
        assert main.locator("img[src='x'], strong:has-text('not bold')").count() == 0
        page.screenshot(path=str(ARTIFACTS / "workshop_comment.png"))

        own = urlparse(app_url).netloc
        outside = {h for h in hosts if h not in (own, "", "data", "blob", "about")}
        assert not outside, f"requests to other hosts: {outside}"


def test_html_area_names_from_uploaded_boundaries_are_text(app_url, tmp_path):
    from placebased.io.areas import load_areas

    areas = load_areas()[["area_name", "geometry"]].copy()
    areas["area_name"] = [EVIL_NAME.format(i=i) for i in range(len(areas))]
    areas["geometry"] = areas.geometry.simplify(10)
    path = tmp_path / "evil_boundaries.geojson"
    out = areas.rename(columns={"area_name": "LSOA21NM"}).reset_index().rename(columns={"area_code": "LSOA21CD"})
    out.to_crs(4326).to_file(path, driver="GeoJSON")

    with browser_page((1600, 1100)) as page:
        hosts = _watch_hosts(page)
        page.goto(app_url)
        folium_frame(page, timeout_ms=120_000)
        sidebar = page.locator("[data-testid='stSidebar']")
        sidebar.get_by_text("Data: areas, incidents").click()
        sidebar.locator("input[type='file']").first.set_input_files(str(path))
        main_map = folium_frame(page, timeout_ms=120_000)
        deadline = time.time() + 150
        while time.time() < deadline:  # wait for the main map to show the uploaded names
            try:
                main_map.locator("path.leaflet-interactive").nth(10).hover(force=True, timeout=5_000)
                if "Evil" in main_map.locator(".leaflet-tooltip").last.inner_text(timeout=5_000):
                    break
            except Exception:  # the map is being redrawn
                pass
            time.sleep(1)
        else:
            raise AssertionError("the main page never used the uploaded boundaries")
        page.get_by_role("link", name="Workshop").click()
        frame = folium_frame(page, timeout_ms=120_000)
        page.get_by_text("why these areas stand out").wait_for(timeout=60_000)
        body = _text(page.locator("[data-testid='stMain']"))
        assert '<img src=x onerror="window.__xss=3"><b>Evil</b>' in body  # card headings, as text
        polygons = _polygons(frame, 443)
        polygons.nth(10).hover(force=True)
        tip = frame.locator(".leaflet-tooltip").last
        tip.wait_for(timeout=10_000)
        assert "<b>Evil</b>" in _text(tip)
        time.sleep(0.5)
        assert page.evaluate("typeof window.__xss") == "undefined"
        assert frame.locator("body").evaluate("() => typeof window.__xss") == "undefined"
        assert page.locator("[data-testid='stMain'] img[src='x']").count() == 0
        own = urlparse(app_url).netloc
        outside = {h for h in hosts if h not in (own, "", "data", "blob", "about")}
        assert not outside, f"requests to other hosts: {outside}"

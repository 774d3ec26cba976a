"""Start the app on a free local port and drive it in Debian's Chromium (never a downloaded browser)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = ROOT / "artifacts"


def require_browser():
    """Skip without Chromium/Playwright on a laptop; under CI=true a missing browser is a failure."""
    missing = not Path(CHROMIUM).exists()
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing = True
    if missing:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {CHROMIUM} or playwright is missing: .ci/run must install them")
        pytest.skip(f"{CHROMIUM} or playwright not available")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_app(app: str = "app.py", env: dict | None = None, timeout: float = 90):
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", app, "--server.port", str(port), "--server.address",
           "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError("the app did not start: " + proc.stdout.read1(20000).decode(errors="replace"))
        yield url
    finally:
        stop_process(proc)


def stop_process(proc: subprocess.Popen) -> None:
    """Terminate a server started by a test (kill it after 10 s)."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@contextlib.contextmanager
def browser_page(viewport=(1400, 1000)):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
            yield page
        finally:
            browser.close()


MAP_IFRAME = "iframe[title*='areamap']"
TOOLTIP = ".pb-tip"


def folium_frame(page, timeout_ms: int = 60000):
    """The streamlit-folium iframe once Leaflet has drawn its polygons (the map with a basemap, or
    PLACEBASED_MAP=folium)."""
    page.wait_for_selector("iframe[title*='streamlit_folium']", timeout=timeout_ms)
    frame = page.frame_locator("iframe[title*='streamlit_folium']").first
    frame.locator("path.leaflet-interactive").first.wait_for(timeout=timeout_ms)
    return frame


def map_frame(page, timeout_ms: int = 60000, renders: int = 1):
    """The area map component's frame (components/areamap) once it has drawn its areas at least
    ``renders`` times. The areas are on one canvas: use :func:`area_point`, :func:`hover_area` and
    :func:`click_area`; the tooltip is ``frame.locator(TOOLTIP)``, the legend ``.pb-legend``."""
    handle = page.wait_for_selector(MAP_IFRAME, timeout=timeout_ms)
    frame = handle.content_frame()
    frame.wait_for_function(f"window.__areamap && window.__areamap.ready && window.__areamap.renders >= {renders}",
                            timeout=timeout_ms)
    return frame


def area_count(frame) -> int:
    return frame.evaluate("window.__areamap.areas || 0")


def area_point(frame, which) -> tuple[float, float, str]:
    """Page coordinates of a point inside area ``which`` (index in the map's order, or a code)."""
    p = frame.evaluate("w => window.__areamap.pointOf(w)", which)
    if p is None:
        raise AssertionError(f"area {which!r} is not on the map (or not in view)")
    box = frame.frame_element().bounding_box()
    return box["x"] + p["x"], box["y"] + p["y"], p["code"]


def hover_area(page, frame, which) -> str:
    x, y, code = area_point(frame, which)
    page.mouse.move(x, y)
    return code


def click_area(page, frame, which) -> str:
    x, y, code = area_point(frame, which)
    page.mouse.click(x, y)
    return code

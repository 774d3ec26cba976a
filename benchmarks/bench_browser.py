"""What a user feels, in Debian's Chromium (Playwright): the app's map from server start to clicks.

County (the real app, 443 LSOAs, default data): fresh server to first map (twice, on an empty results
cache of its own: the first server computes and saves its results; the next one reads them and the
compiled kernels from disk, the issue's "fresh server (cached kernels)"), new visitor to drawn map,
click -> selection shown (in the map at once, and after the server's rerun in the selection panel),
weight change -> map recoloured, layer switch. With each section the machine's load (1-minute load average) and the
server's CPU seconds are printed: on shared cores the wall-clock figures follow the load.
Region / England (``--scale``): the map component alone on a small page with 5,000 and 33,755 LSOA
2011 polygons (super-generalised, from ``../shared/data/boundaries/``): first draw and click.
Prints one table with the issue's targets.

    python benchmarks/bench_browser.py                 # county
    python benchmarks/bench_browser.py --scale         # county + 5,000 + 33,755 areas
    python benchmarks/bench_browser.py --scale --no-county

A benchmark, never a test: timings depend on the machine (2 cores shared here).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from browser_util import CHROMIUM, CHROMIUM_ARGS, free_port  # noqa: E402

NATIONAL = ROOT.parent / "shared" / "data" / "boundaries" / "LSOA_Dec2011_BSC_EW_V3.geojson.gz"
ROWS: list[tuple[str, str, float | None, str]] = []


def row(scale: str, what: str, seconds: float | None, target: str) -> None:
    ROWS.append((scale, what, seconds, target))
    shown = "–" if seconds is None else f"{seconds:.2f} s"
    print(f"  {scale:<22} {what:<44} {shown:>9}   target {target}", flush=True)


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start(app: Path, cwd: Path, extra: list[str] = (), env: dict | None = None):
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port), "--server.address",
           "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false", *extra]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                            env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc, url, t0
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the app did not start")


def stop(proc) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def frame_of(page, timeout_ms=180_000):
    handle = page.wait_for_selector("iframe[title*='areamap']", timeout=timeout_ms)
    frame = handle.content_frame()
    frame.wait_for_function("window.__areamap && window.__areamap.ready", timeout=timeout_ms, polling=50)
    return frame


def renders(frame) -> int:
    return frame.evaluate("window.__areamap.renders")


def wait_render(frame, before: int, timeout_ms=120_000) -> None:
    frame.wait_for_function(f"window.__areamap.renders > {before}", timeout=timeout_ms, polling=20)


def click_times(page, frame, n: int, server_check) -> tuple[float, float]:
    """Median seconds from a click to the selection shown in the map, and to the server's rerun done."""
    local, server, lags = [], [], []
    codes = frame.evaluate("window.__areamap.codes()")
    step = max(1, len(codes) // (n + 1))
    for k in range(n):
        p = frame.evaluate("w => window.__areamap.pointOf(w)", (k + 1) * step)
        if p is None:
            continue
        box = frame.frame_element().bounding_box()
        before = renders(frame)
        t0 = time.perf_counter()
        page.mouse.click(box["x"] + p["x"], box["y"] + p["y"])
        frame.wait_for_function(f"window.__areamap.selected.indexOf({p['code']!r}) >= 0", timeout=10_000, polling=10)
        local.append(time.perf_counter() - t0)
        lags.append(frame.evaluate("window.__areamap.lastClick.lag") / 1000)
        wait_render(frame, before)
        server_check(p["code"], k + 1)
        server.append(time.perf_counter() - t0)
        time.sleep(0.3)
    print(f"    (in the browser, input event to selection drawn: median {1000 * statistics.median(lags):.0f} ms)")
    return statistics.median(local), statistics.median(server)


# ------------------------------------------------------------------------------------------ county


def first_map(pw, what: str, target: str, env: dict):
    """A new server process, one browser page: seconds from the process start to the map drawn.
    Returns the running ``(process, url, browser)`` once that page's first run is done."""
    print(f"    ({load()} before)")
    proc, url, t0 = start(ROOT / "app.py", ROOT, env=env)
    try:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1600, "height": 1100})
        page.goto(url)
        frame_of(page)
        row("county (443)", what, time.perf_counter() - t0, target)
        print(f"    (server CPU {cpu_seconds(proc.pid):.1f} s to the first map; {load()})")
        page.get_by_text("Target selection (0)").wait_for(timeout=120_000)  # the first run done: results saved
        page.close()
    except BaseException:
        stop(proc)
        raise
    return proc, url, browser


def bench_county(pw, visitors: int = 3, clicks: int = 5) -> None:
    scale = "county (443)"
    # the app's results cache starts empty here (the kernels' numba cache is kept): the first server
    # computes and saves, the second reads
    cache = tempfile.TemporaryDirectory(prefix="pb-bench-cache-")
    env = {"PLACEBASED_APP_CACHE": cache.name}
    proc, _url, browser = first_map(pw, "fresh server, results not cached, to map", "", env)
    browser.close()
    stop(proc)
    proc, url, browser = first_map(pw, "fresh server (cached kernels, results) to map", "<= 6 s", env)
    try:
        print(f"    ({load()}, visitors next)")
        times = []
        for _ in range(visitors):
            ctx = browser.new_context(viewport={"width": 1600, "height": 1100})  # no cache, new session
            page = ctx.new_page()
            t1 = time.perf_counter()
            page.goto(url)
            frame = frame_of(page)
            times.append(time.perf_counter() - t1)
            if _ < visitors - 1:
                ctx.close()
        row(scale, f"new visitor to drawn map (median of {visitors})", statistics.median(times), "<= 2 s")
        print(f"    (each: {', '.join(f'{t:.2f}' for t in times)} s; {load()})")
        page.get_by_text("Target selection (0)").wait_for(timeout=60_000)

        def panel(_code, n):
            page.get_by_text(f"Target selection ({n})").wait_for(timeout=60_000)

        local, server = click_times(page, frame, clicks, panel)
        row(scale, "click -> selection shown on the map", local, "<= 0.5 s")
        row(scale, "click -> selection panel updated (rerun)", server, "(same)")

        # weight change: move the first weight slider, apply
        slider = page.locator("[data-testid='stForm']").get_by_role("slider").first
        slider.scroll_into_view_if_needed()
        slider.focus()
        for _ in range(5):
            slider.press("ArrowRight")
        before = renders(frame)
        t1 = time.perf_counter()
        page.get_by_role("button", name="Apply weights").click()
        wait_render(frame, before)
        row(scale, "weight change -> map recoloured", time.perf_counter() - t1, "<= 1 s")

        times = []
        from placebased.outputs.mapping import LAYERS

        legend = "document.querySelector('.pb-legend .pb-title').textContent"
        for layer in ("imd", "priority"):
            before, title = renders(frame), frame.evaluate(legend)
            t1 = time.perf_counter()
            page.get_by_text(LAYERS[layer], exact=True).first.click()
            wait_render(frame, before)
            frame.wait_for_function(f"{legend} !== {title!r}", timeout=60_000, polling=20)
            times.append(time.perf_counter() - t1)
        row(scale, "layer switch -> map recoloured (median of 2)", statistics.median(times), "<= 1 s")
        print(f"    (server CPU {cpu_seconds(proc.pid):.1f} s in all; {load()})")
        browser.close()
    finally:
        stop(proc)
        cache.cleanup()


# ------------------------------------------------------------------------------------------ region / England

MAP_ONLY_APP = textwrap.dedent('''
    """The area map component alone, on N LSOA 2011 polygons (benchmark page)."""
    import os, sys
    from pathlib import Path
    sys.path.insert(0, os.environ["PB_ROOT"])
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import streamlit as st
    from components.areamap import area_map, take_clicks
    from placebased.outputs import webmap
    from placebased.outputs.mapping import install_static_assets

    HERE = Path(__file__).resolve().parent
    st.set_page_config(layout="wide")

    @st.cache_resource
    def geometry(n: int):
        install_static_assets(HERE / "static")
        g = gpd.read_file("/vsigzip/" + os.environ["PB_NATIONAL"])  # gzipped GeoJSON
        code = [c for c in g.columns if c.upper().startswith("LSOA11CD")][0]
        name = [c for c in g.columns if c.upper().startswith("LSOA11NM")][0]
        g = g[g[code].str.startswith("E")].sort_values(code).head(n)
        web = gpd.GeoDataFrame({"area_name": g[name].to_numpy()}, geometry=g.geometry.to_numpy(),
                               index=pd.Index(g[code].to_numpy(), name="area_code"), crs=g.crs).to_crs(4326)
        return webmap.write_geometry(web, HERE / "static")

    n = int(os.environ["PB_N"])
    geo = geometry(n)
    ss = st.session_state
    ss.setdefault("sel", set())
    for c in take_clicks("m"):
        ss["sel"] ^= {c}
    shift = st.number_input("shift", value=0)
    rng = np.random.default_rng(int(shift))
    k = rng.integers(0, 5, n)
    payload = {"palette": ["#fff7ec", "#fdd49e", "#fc8d59", "#d7301f", "#7f0000"], "fill": k.tolist(),
               "selected": sorted(ss["sel"]),
               "tips": {"values": [f"Score {v:.1f}" for v in rng.random(n) * 100]},
               "legend": {"title": "Benchmark classes", "items": [["#7f0000", "5"], ["#fff7ec", "1"]], "note": ""},
               "style": {}, "outlines": None, "provision": None, "clusters": None, "sites": None}
    area_map(geo["url"], payload, height=700, key="m")
    st.write(f"Selected: {len(ss['sel'])}")
''')


def bench_scale(pw, n: int, clicks: int = 3) -> None:
    scale = f"{'region' if n < 20000 else 'England'} ({n:,})"
    with tempfile.TemporaryDirectory(prefix="pb-bench-map-") as tmp:
        app = Path(tmp) / "map_only.py"
        app.write_text(MAP_ONLY_APP, encoding="utf-8")
        env = {"PB_ROOT": str(ROOT), "PB_NATIONAL": str(NATIONAL), "PB_N": str(n)}
        proc, url, _t0 = start(app, Path(tmp), ["--server.enableStaticServing", "true"], env)
        try:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.goto(url)  # warms the server (reads and writes the geometry once)
            frame_of(page, timeout_ms=600_000)
            size = (Path(tmp) / "static" / "geo").iterdir().__next__().stat().st_size
            page.close()
            ctx = browser.new_context(viewport={"width": 1600, "height": 1000})
            page = ctx.new_page()
            t1 = time.perf_counter()
            page.goto(url)
            frame = frame_of(page, timeout_ms=600_000)
            first = time.perf_counter() - t1
            row(scale, f"new visitor to drawn map (geometry {size / 1e6:.1f} MB once)", first, "<= 8 s")
            ms = frame.evaluate("window.__areamap.loadMs") / 1000

            def text(_code, k):
                page.get_by_text(f"Selected: {k}").wait_for(timeout=60_000)

            local, server = click_times(page, frame, clicks, text)
            row(scale, "  of which fetch + build in the browser", ms, "")
            row(scale, "click -> selection shown on the map", local, "<= 1 s")
            row(scale, "click -> rerun done, map restyled", server, "")
            before = renders(frame)
            box = page.get_by_label("shift")
            box.fill("7")
            t1 = time.perf_counter()
            box.press("Enter")
            wait_render(frame, before)
            row(scale, "new colours for every area (rerun)", time.perf_counter() - t1, "")
            row(scale, "  of which restyle in the browser", frame.evaluate("window.__areamap.lastStyleMs") / 1000, "")
            browser.close()
        finally:
            stop(proc)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", action="store_true", help="also 5,000 and 33,755 areas (the component alone)")
    ap.add_argument("--no-county", action="store_true", help="skip the county app")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    print(f"machine: {platform.node()} · {os.cpu_count()} cores · {platform.platform()} · Chromium {CHROMIUM} · "
          f"{load()} at the start")
    with sync_playwright() as pw:
        if not args.no_county:
            bench_county(pw)
        if args.scale:
            for n in (5000, 33755):
                bench_scale(pw, n)
    print(f"\n{load()} at the end\n")
    print(f"| {'scale':<22} | {'measure':<50} | {'seconds':>7} | target |")
    print(f"|{'-' * 24}|{'-' * 52}|{'-' * 9}|--------|")
    for scale, what, s, target in ROWS:
        print(f"| {scale:<22} | {what:<50} | {'–' if s is None else f'{s:.2f}':>7} | {target} |")


if __name__ == "__main__":
    main()

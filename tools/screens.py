"""Screenshots of every app page and map layer, and PNGs of every profile type, under ``docs/screens/``.

Issue 17, item 5: what a commissioner or a resident sees, refreshed whenever the pages or the profiles
change. The app is started on a free local port with a throw-away store (``PLACEBASED_DB``) and driven
in Debian's Chromium (Playwright; ``tests/browser_util.py``) at 1366x768 and 1920x1080: the priority
page on each map layer, the workshop page on each of its layers, the needs-assessment, evaluation and
export-log pages. The profiles are written by the CLI (``placebased profile``, ``placebased sna``) and
turned into PNGs with ``pdftoppm -r 70``. Every PNG is reduced to at most 256 colours (Pillow), so the
folder stays small (a few MB); ``docs/screens/README.md`` lists what each file shows.

    python tools/screens.py                 # everything (about 10 minutes on 2 cores)
    python tools/screens.py --app           # the app only
    python tools/screens.py --profiles      # the profiles only
    python tools/screens.py --app --sizes 1920x1080 --only workshop

Nothing is fetched from the internet (no basemap). Not a test: it writes files and judges nothing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

OUT = ROOT / "docs" / "screens"
SIZES = ((1366, 768), (1920, 1080))
#: a hot spot in Northampton (Castle ward) and its neighbours: the single and group profiles
AREA = "E01035417"
GROUP = ["E01035417", "E01035418", "E01027153", "E01027155"]
BIG_GROUP_SIZE = 14  # a group large enough for the members' table to need a second page
COLOURS = 256


def log(msg: str) -> None:
    print(msg, flush=True)


def shrink(path: Path, colours: int = COLOURS) -> int:
    """Reduce a PNG to ``colours`` colours (median cut, no dithering: crisp text), optimised; bytes written."""
    from PIL import Image

    with Image.open(path) as im:
        q = im.convert("RGB").quantize(colors=colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    tmp = path.with_suffix(".tmp.png")
    q.save(tmp, optimize=True)
    os.replace(tmp, path)
    return path.stat().st_size


# ---------------------------------------------------------------------------------------------- the app


def _wait_idle(page, quiet_ms: int = 1500, timeout_s: float = 240) -> None:
    """Until Streamlit has stopped running the script (no status widget for ``quiet_ms``)."""
    deadline = time.time() + timeout_s
    quiet_since = None
    while time.time() < deadline:
        busy = page.locator("[data-testid='stStatusWidget']").count() > 0 or \
            page.locator("[data-testid='stSpinner']").count() > 0
        now = time.time()
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif (now - quiet_since) * 1000 >= quiet_ms:
            return
        page.wait_for_timeout(250)


def _map(page, cond: str = "true", timeout_ms: int = 240_000):
    """The area map's frame once drawn, its place names loaded and ``cond`` true (a new frame after a rerun)."""
    deadline = time.time() + timeout_ms / 1000
    last = None
    while time.time() < deadline:
        try:
            handle = page.wait_for_selector("iframe[title*='areamap']", timeout=timeout_ms)
            frame = handle.content_frame()
            frame.wait_for_function(f"window.__areamap && window.__areamap.ready && ({cond})",
                                    timeout=max(1000, int((deadline - time.time()) * 1000)))
            return frame
        except Exception as exc:  # noqa: BLE001 - the frame is replaced when the page reruns: look again
            last = exc
            page.wait_for_timeout(500)
    raise RuntimeError(f"the map was not drawn: {last}")


def _legend(frame) -> str:
    try:
        return frame.locator(".pb-legend .pb-title").inner_text(timeout=5000)
    except Exception:  # noqa: BLE001
        return ""


def _to_map(page) -> None:
    """Scroll the page so the map fills the screen (its legend and controls in view)."""
    page.evaluate("() => { const f = document.querySelector(\"iframe[title*='areamap']\");"
                  " if (f) { f.scrollIntoView({block: 'start'}); } }")
    page.wait_for_timeout(600)


def _to_top(page) -> None:
    page.evaluate("() => { const m = document.querySelector(\"[data-testid='stMain']\");"
                  " (m || document.scrollingElement).scrollTo(0, 0); window.scrollTo(0, 0); }")
    page.wait_for_timeout(400)


def _shot(page, name: str, w: int, h: int, written: list[Path], full: bool = False) -> None:
    path = OUT / f"{name}-{w}x{h}.png"
    if full:  # Streamlit scrolls inside its main block: make the window as tall as the page, then shoot
        tall = page.evaluate("() => { const m = document.querySelector(\"[data-testid='stMain']\");"
                             " return Math.max(m ? m.scrollHeight : 0, document.body.scrollHeight); }")
        page.set_viewport_size({"width": w, "height": min(int(tall) + 40, 6000)})
        page.wait_for_timeout(2500)
        page.screenshot(path=str(path))
        page.set_viewport_size({"width": w, "height": h})
        page.wait_for_timeout(800)
    else:
        page.screenshot(path=str(path))
    size = shrink(path)
    written.append(path)
    log(f"  {path.relative_to(ROOT)}  {size / 1024:.0f} KB")


def app_screens(sizes, only: set[str] | None) -> list[Path]:
    from browser_util import CHROMIUM, CHROMIUM_ARGS, running_app
    from playwright.sync_api import sync_playwright

    from placebased.outputs.mapping import LAYERS
    from placebased.outputs.workshop import LAYER_CHOICES

    written: list[Path] = []
    store = Path(tempfile.mkdtemp(prefix="placebased-screens-")) / "screens.db"

    def want(page: str) -> bool:
        return only is None or page in only

    with running_app(env={"PLACEBASED_DB": str(store)}, timeout=180) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for w, h in sizes:
                ctx = browser.new_context(viewport={"width": w, "height": h})
                page = ctx.new_page()
                if want("priority"):
                    log(f"priority page {w}x{h}")
                    page.goto(url)
                    frame = _map(page, "window.__areamap.places > 0")
                    _wait_idle(page)
                    page.wait_for_timeout(800)
                    _shot(page, "app-priority-arrival", w, h, written)  # what a visitor first sees
                    for key, label in LAYERS.items():
                        _to_top(page)
                        before = _legend(frame)
                        if key != "priority":
                            page.get_by_text(label, exact=True).first.click()
                            _wait_idle(page)
                            cond = "window.__areamap.emphasis > 0" if key == "gaps" else "true"
                            frame = _map(page, cond)
                            t0 = time.time()
                            while _legend(frame) == before and time.time() - t0 < 60:
                                page.wait_for_timeout(300)
                        _to_map(page)
                        page.wait_for_timeout(800)
                        _shot(page, f"app-priority-{key}", w, h, written)
                    _to_top(page)
                    page.get_by_text(LAYERS["priority"], exact=True).first.click()
                    _wait_idle(page)
                    _map(page)
                    _shot(page, "app-priority-fullpage", w, h, written, full=True)  # tables and area detail
                if want("workshop"):
                    log(f"workshop page {w}x{h}")
                    page.goto(url + "/workshop")
                    frame = _map(page, "window.__areamap.places > 0")
                    _wait_idle(page)
                    log(f"  workshop map opens on {frame.evaluate('window.__areamap.focus || null')}")
                    for key, label in LAYER_CHOICES.items():
                        if key != next(iter(LAYER_CHOICES)):
                            _to_top(page)
                            page.get_by_text(label, exact=True).first.click()
                            _wait_idle(page)
                            _map(page)
                        page.wait_for_timeout(1200)
                        if h < 900:  # a small screen: the map (and the cards beside it) scrolled into view
                            _to_map(page)
                        _shot(page, f"app-workshop-{key}", w, h, written)
                for slug, path in (("needs", "/needs"), ("evaluate", "/evaluate"), ("exports", "/exports")):
                    if not want(slug):
                        continue
                    log(f"{slug} page {w}x{h}")
                    page.goto(url + path)
                    page.wait_for_selector("[data-testid='stMain']", timeout=120_000)
                    page.wait_for_timeout(1500)
                    _wait_idle(page, quiet_ms=2500)
                    if slug == "evaluate":  # with target areas, as after picking them on the main page
                        box = page.locator("[data-testid='stSidebar'] textarea").first
                        box.fill("\n".join(GROUP))
                        box.press("Control+Enter")
                        page.wait_for_timeout(1500)
                        _wait_idle(page, quiet_ms=2500)
                    _shot(page, f"app-{slug}", w, h, written)
                ctx.close()
        finally:
            browser.close()
    return written


# ---------------------------------------------------------------------------------------------- profiles


def _run(cmd: list[str]) -> None:
    log("  $ " + " ".join(cmd))
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed ({r.returncode}): {r.stderr.strip()[-2000:]}")


def _big_group() -> list[str]:
    """The highest-ranked areas (Balanced scenario) for the large group profile."""
    from placebased import pipeline as P  # noqa: N812

    src = P.Sources()
    areas = P.load_areas_for(src)
    ranked = areas.sort_values("imd_score", ascending=False) if "imd_score" in areas else areas
    return [str(c) for c in ranked.index[:BIG_GROUP_SIZE]]


def profile_screens() -> list[Path]:
    written: list[Path] = []
    tmp = Path(tempfile.mkdtemp(prefix="placebased-profiles-"))
    exe = [sys.executable, "-m", "placebased.cli"]
    group = [a for c in GROUP for a in ("--area", c)]
    big = [a for c in _big_group() for a in ("--area", c)]
    jobs = {
        "profile-area": ["profile", "--area", AREA],
        "profile-area-public": ["profile", "--area", AREA, "--public"],
        "profile-group": ["profile", *group, "--group-name", "Northampton town centre hot spots"],
        "profile-group-public": ["profile", *group, "--group-name", "Northampton town centre hot spots", "--public"],
        "profile-group-large": ["profile", *big, "--group-name", "Most deprived areas"],
        "needs-assessment": ["sna", "--tables", str(tmp / "sna")],
    }
    for name, args in jobs.items():
        log(name)
        pdf = tmp / f"{name}.pdf"
        _run([*exe, *args, "--out", str(pdf)])
        for old in OUT.glob(f"{name}-p*.png"):
            old.unlink()
        _run(["pdftoppm", "-r", "70", "-png", str(pdf), str(OUT / f"{name}-p")])
        for png in sorted(OUT.glob(f"{name}-p*.png")):
            n = int(png.stem.rsplit("-", 1)[1])  # pdftoppm numbers pages p-1 or p-01
            final = OUT / f"{name}-p{n}.png"
            if png != final:
                os.replace(png, final)
            size = shrink(final)
            written.append(final)
            log(f"  {final.relative_to(ROOT)}  {size / 1024:.0f} KB")
    return written


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--app", action="store_true", help="the app's pages only")
    ap.add_argument("--profiles", action="store_true", help="the profiles only")
    ap.add_argument("--sizes", nargs="*", default=None, help="viewports, e.g. 1366x768 1920x1080")
    ap.add_argument("--only", nargs="*", default=None,
                    help="app pages: priority workshop needs evaluate exports (default all)")
    a = ap.parse_args(argv)
    both = not a.app and not a.profiles
    OUT.mkdir(parents=True, exist_ok=True)
    sizes = [tuple(int(v) for v in s.lower().split("x")) for s in a.sizes] if a.sizes else SIZES
    written: list[Path] = []
    if a.app or both:
        written += app_screens(sizes, set(a.only) if a.only else None)
    if a.profiles or both:
        written += profile_screens()
    total = sum(p.stat().st_size for p in OUT.glob("*.png"))
    log(f"{len(written)} PNGs written; docs/screens holds {total / 1e6:.1f} MB of PNGs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Server-side time of a weight change in the app, on the default Northamptonshire data.

A weight change re-scores (with 1,000 robustness draws) and redraws the map; counts, weights and
permutation statistics come from the cache. Measured two ways, both on this machine:

1. the library path the app runs on a weight change (score + table + map frame + folium map
   rendered to the HTML/JS that streamlit-folium sends), timed directly;
2. the whole app script re-run by Streamlit's AppTest after a slider change and "Apply weights"
   (everything the server does for that click, excluding the browser).

Run: python benchmarks/bench_app.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def timed(fn, repeat=7):
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return min(out) * 1000, statistics.median(out) * 1000


def main() -> None:
    from streamlit_folium import _get_map_string

    from placebased import pipeline as P  # noqa: N812
    from placebased.outputs.mapping import build_map, web_geometry
    from placebased.score.scenario import default_scenario
    from placebased.score.scoring import score_areas

    src = P.Sources()
    areas = P.load_areas_for(src)
    web = web_geometry(areas)
    inc = P.load_incidents_for(src)
    filters = P.Filters(categories=("Possession of weapons", "Robbery", "Violence and sexual offences"))
    t = time.perf_counter()
    an = P.analyse(areas, inc, [], filters, P.StatsSettings())
    cold = time.perf_counter() - t
    sc = default_scenario()
    weights = dict(sc.weights)
    from placebased.outputs.mapping import web_features

    feats = web_features(web)

    def weight_change(draws=1000):
        weights["imd_score"] = weights["imd_score"] % 50 + 1  # a new weight each time: no cache hit
        s = sc.replace(weights=dict(weights), draws=draws)
        res = score_areas(an.indicators, s, names=areas["area_name"])
        frame = res.to_frame()
        mf = P.map_frame(areas, an, frame)
        m = build_map(web, mf, layer="priority", selected=["E01027153"], note="bench", features=feats)
        m.get_root().render()
        _get_map_string(m)

    rows = [
        ("statistics (counts, weights, Gi*/LISA/Moran 999 perms, indicators), first call", cold * 1000, cold * 1000),
        ("weight change: score + 1,000 draws + map render", *timed(weight_change)),
        ("weight change: score without draws + map render", *timed(lambda: weight_change(0))),
    ]

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    vals = [30, 35]
    runs = []
    for i in range(6):
        at.slider(key="w_imd_score").set_value(vals[i % 2] + i)
        btn = next(b for b in at.button if b.label == "Apply weights")
        t = time.perf_counter()
        btn.click().run()
        runs.append(time.perf_counter() - t)
    assert not at.exception
    rows.append(("weight change: whole app script re-run (AppTest)", min(runs) * 1000,
                 statistics.median(runs) * 1000))

    print(f"{'step (443 LSOAs, default data)':<82} {'best ms':>9} {'median ms':>10}")
    for name, best, med in rows:
        print(f"{name:<82} {best:9.0f} {med:10.0f}")
    print("target: weight change under 300 ms server-side")


if __name__ == "__main__":
    main()

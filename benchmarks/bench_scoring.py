"""Benchmark: scoring 443 areas (fast path) and robustness draws. Run: python benchmarks/bench_scoring.py

Prints a table of the best and median of repeated runs. Target: 443 areas x 1,000 draws < 0.2 s;
the per-weight-change path (no draws) < 50 ms.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import pandas as pd

from placebased.io.areas import load_areas
from placebased.score.indicators import build_indicator_table
from placebased.score.scenario import Scenario
from placebased.score.scoring import score_areas


def timeit(fn, repeat: int = 9) -> tuple[float, float]:
    fn()  # warm up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def main() -> None:
    areas = load_areas()
    table = build_indicator_table(areas)
    rng = np.random.default_rng(0)
    # six indicators as in the Balanced preset (two stand-ins for incident measures)
    table = table.assign(sv_eb=rng.gamma(2, 5, len(table)), asb_eb=rng.gamma(2, 5, len(table)))
    weights = {"sv_eb": 30, "imd_score": 20, "idaci_score": 15, "under25_share": 15, "asb_eb": 10, "cyp_score": 10}
    base = Scenario(weights=weights, created="2025-11-20")
    rows = []
    cases = [
        ("score only (weight change)", base, 0, False),
        ("score + to_frame with drivers", base, 0, True),
        ("1,000 draws, 3 normalisations", base, 1000, False),
        ("1,000 draws, percentile only", base.replace(robust_normalisations=("percentile",)), 1000, False),
        ("1,000 draws + to_frame", base, 1000, True),
        ("5,000 draws, 3 normalisations", base, 5000, False),
    ]
    for label, sc, draws, frame in cases:
        def run(sc=sc, draws=draws, frame=frame):
            r = score_areas(table, sc, robustness_draws=draws)
            if frame:
                r.to_frame()
        best, med = timeit(run)
        rows.append({"case": label, "areas": len(table), "indicators": len(weights), "draws": draws,
                     "best_ms": round(best * 1000, 1), "median_ms": round(med * 1000, 1)})
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()

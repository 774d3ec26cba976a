"""Speed of weights, global Moran, LISA and Gi* at 999 permutations, beside pygeoda (GeoDa's C++ core).

Run from the repository root::

    python benchmarks/bench_hotspots.py [--repeat 3] [--skip-national]

County scale: the shipped 443 Northamptonshire LSOAs and police.uk incidents, end to end
(counts -> queen weights -> Gi*, LISA and global Moran), warm (data loaded, kernels compiled).
National scale: all 34,753 LSOA 2011 polygons of England and Wales (3 invalid polygons repaired)
with a synthetic, seeded, spatially structured count, on the *same* queen weights for both
libraries (GeoDa's own queen weights are timed too). Times are the best of ``--repeat`` runs.
The numba JIT compile time is measured separately, in a subprocess with an empty cache.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NATIONAL = Path("/work/shared/data/boundaries/LSOA_Dec2011_BSC_EW_V3.geojson.gz")
PERMS = 999
THREADS = os.cpu_count() or 2


def best(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def jit_compile_seconds() -> float:
    """Compile the kernels from scratch in a subprocess with an empty numba cache."""
    with tempfile.TemporaryDirectory() as cache:
        code = ("import time; t = time.perf_counter(); from placebased import _permute; _permute.warm_up(); "
                "print(time.perf_counter() - t)")
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=str(ROOT))
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        return float(out.stdout.strip().splitlines()[-1])


def write_gal(graph, path: Path) -> list[str]:
    ids = list(graph.unique_ids)
    pos = {a: i + 1 for i, a in enumerate(ids)}
    indptr = graph.sparse.tocsr().indptr
    indices = graph.sparse.tocsr().indices
    lines = [f"0 {len(ids)} area_code area_code"]
    for i in range(len(ids)):
        nb = indices[indptr[i] : indptr[i + 1]]
        lines += [f"{i + 1} {len(nb)}", " ".join(str(j + 1) for j in nb)]
    path.write_text("\n".join(lines) + "\n")
    return [str(pos[a]) for a in ids]


def bench_county(repeat, rows):
    from placebased import _paths
    from placebased.io.areas import load_areas
    from placebased.io.incidents import load_incidents
    from placebased.stats.aggregate import count_incidents
    from placebased.stats.hotspots import hotspots
    from placebased.stats.weights import build_weights

    areas = load_areas()
    points = load_incidents(_paths.default_incident_files()).points

    def end_to_end():
        counts = count_incidents(points, areas).counts
        graph = build_weights(areas, "queen")
        return hotspots(counts["total"], graph, permutations=PERMS, seed=12345)

    end_to_end()  # warm caches and kernels
    t_counts, counts = best(lambda: count_incidents(points, areas).counts, repeat)
    t_w, graph = best(lambda: build_weights(areas, "queen"), repeat)
    t_stats, _ = best(lambda: hotspots(counts["total"], graph, permutations=PERMS, seed=12345), repeat)
    t_all, _ = best(end_to_end, repeat)
    n = len(areas)
    rows += [
        ("county", n, "counts (points in polygons)", t_counts, None),
        ("county", n, "queen weights", t_w, None),
        ("county", n, "Gi* + LISA + Moran (999 perms)", t_stats, None),
        ("county", n, f"END TO END ({len(points):,} points; target < 0.25 s)", t_all, None),
    ]


def bench_national(repeat, rows):
    import geopandas as gpd
    import pygeoda
    import shapely

    from placebased.stats.hotspots import getis_ord, hotspots, local_moran, moran
    from placebased.stats.weights import build_weights

    gdf = gpd.read_file("/vsigzip/" + str(NATIONAL))
    gdf = gdf.set_index(gdf.columns[gdf.columns.str.upper().str.startswith("LSOA11CD")][0])
    bad = ~gdf.geometry.is_valid
    gdf.loc[bad, "geometry"] = shapely.make_valid(gdf.geometry[bad].to_numpy())
    gdf.loc[bad, "geometry"] = gdf.geometry[bad].buffer(0)
    n = len(gdf)
    c = gdf.geometry.to_crs(27700).centroid if gdf.crs is not None else gdf.geometry.centroid
    rng = np.random.default_rng(2024)
    field = np.exp(np.sin(c.x.to_numpy() / 40_000) + np.cos(c.y.to_numpy() / 30_000))
    y = pd.Series(rng.poisson(4 * field).astype(float), index=gdf.index, name="count")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_w, graph = best(lambda: build_weights(gdf, "queen"), repeat)
    gd = pygeoda.open(gdf[["geometry"]].reset_index(drop=True))
    t_gw, _ = best(lambda: pygeoda.queen_weights(gd), repeat)
    with tempfile.TemporaryDirectory() as tmp:
        gal = Path(tmp) / "queen.gal"
        w = pygeoda.read_gal(str(gal), write_gal(graph, gal))
    yl = list(y.to_numpy())

    local_moran(y, graph, permutations=9)  # kernels already compiled; warm the arrays' code paths
    t_moran, _ = best(lambda: moran(y, graph, permutations=PERMS, seed=1), repeat)
    t_lisa, _ = best(lambda: local_moran(y, graph, permutations=PERMS, seed=1), repeat)
    t_gi, _ = best(lambda: getis_ord(y, graph, permutations=PERMS, seed=1), repeat)
    t_hot, _ = best(lambda: hotspots(y, graph, permutations=PERMS, seed=1), repeat)
    t_glisa, _ = best(lambda: pygeoda.local_moran(w, yl, permutations=PERMS, cpu_threads=THREADS, seed=1), repeat)
    t_ggi, _ = best(lambda: pygeoda.local_gstar(w, yl, permutations=PERMS, cpu_threads=THREADS, seed=1), repeat)
    # ours computes LISA and Gi* on one set of draws: its time for "both" is one local_moran call
    t_both = t_lisa
    rows += [
        ("national", n, "queen weights", t_w, t_gw),
        ("national", n, "global Moran (999 perms)", t_moran, None),
        ("national", n, "LISA (999 perms)", t_lisa, t_glisa),
        ("national", n, "Gi* (999 perms)", t_gi, t_ggi),
        ("national", n, "LISA AND Gi* (one shared pass; target <= 0.15x)", t_both, t_glisa + t_ggi),
        ("national", n, "hotspots(): Gi* + LISA + Moran", t_hot, None),
    ]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-national", action="store_true")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")  # repaired geometries, fdr notes: not what is measured
    import numba

    from placebased.stats import _permute

    t = time.perf_counter()
    _permute.warm_up()
    t_load = time.perf_counter() - t
    t_jit = jit_compile_seconds()
    rows: list = []
    bench_county(args.repeat, rows)
    if not args.skip_national and NATIONAL.exists():
        bench_national(args.repeat, rows)
    print(f"threads: numba {numba.get_num_threads()}, pygeoda cpu_threads={THREADS}; permutations {PERMS}; "
          f"best of {args.repeat}")
    print(f"numba JIT: compile from empty cache {t_jit:.2f} s (once, cached to disk); load from cache in this run "
          f"{t_load:.2f} s")
    print(f"{'scale':<9} {'areas':>6}  {'step':<58} {'placebased s':>12} {'pygeoda s':>10} {'ratio':>7}")
    for scale, n, step, ours, geoda in rows:
        g = f"{geoda:10.3f}" if geoda is not None else f"{'':>10}"
        r = f"{ours / geoda:7.3f}" if geoda else f"{'':>7}"
        print(f"{scale:<9} {n:>6}  {step:<58} {ours:12.3f} {g} {r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

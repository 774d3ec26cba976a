"""Speed and memory of weights, global Moran, LISA, Gi* and the hotspots command, beside pygeoda (GeoDa's C++ core).

Run from the repository root::

    python benchmarks/bench_hotspots.py [--repeat 2] [--skip-national] [--records DIR]

County scale: the shipped 443 Northamptonshire LSOAs and police.uk incidents, end to end
(counts -> queen weights -> Gi*, LISA and global Moran), warm (data loaded, kernels compiled).
National scale: all 34,753 LSOA 2011 polygons of England and Wales (3 invalid polygons repaired)
with a synthetic, seeded, spatially structured count:

* queen weights, ours and GeoDa's (``pygeoda.queen_weights``), alternating, best of at least 3;
* LISA and Gi* at 999 permutations on the *same* queen weights for both libraries;
* the whole ``placebased hotspots`` command at 9,999 permutations, file (GeoPackage) to CSV, in a
  fresh process (imports, reading, weights, statistics, global Moran, CSV) beside pygeoda's queen
  weights + LISA + Gi* at 999 on the statistics alone (already loaded);
* peak resident memory (getrusage) of the command and of an app-like
  analysis (``pipeline.analyse`` at 9,999 permutations + score + map frame) on the national layer,
  deprivation only (IMD score) and,
  when ``--records`` exists (``bench_counts.py`` makes it), with one year of national records;
* a planted 40-area cluster in noise on the national graph: fixed 9,999 draws vs adaptive
  (Besag-Clifford) draws under FDR, the areas found, the share of others flagged, the resolution.

Times are the best of ``--repeat`` runs. The numba JIT compile time is measured separately, in a
subprocess with an empty cache.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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
        code = ("import time; t = time.perf_counter(); from placebased.stats import _permute; _permute.warm_up(); "
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
    # adaptive p-values against fixed 99,999 draws (the decisions should be the same)
    y = areas["imd_score"].reindex(graph.unique_ids)
    t_fixed, fixed = best(lambda: hotspots(y, graph, permutations=99_999, seed=3), 1)
    t_ad, ad = best(lambda: hotspots(y, graph, permutations=9_999, seed=3, adaptive=True), 1)
    f1, f2 = fixed.to_frame(), ad.to_frame()
    same_lisa = int((f1["lisa_cluster"] == f2["lisa_cluster"]).sum())
    same_gi = int((f1["gi_bin"] == f2["gi_bin"]).sum())
    rows += [
        ("county", n, "imd_score hot spots, fixed 99,999 draws", t_fixed, None),
        ("county", n, f"  adaptive from 9,999 (same LISA class {same_lisa}/{n}, same Gi* bin {same_gi}/{n})", t_ad,
         None),
    ]


def national_areas():
    """The 34,753 LSOA 2011 polygons (3 invalid ones repaired) and a seeded, spatially structured count."""
    import geopandas as gpd
    import shapely

    gdf = gpd.read_file("/vsigzip/" + str(NATIONAL), columns=["LSOA11CD", "LSOA11NM"]).set_index("LSOA11CD")
    bad = ~gdf.geometry.is_valid
    gdf.loc[bad, "geometry"] = shapely.make_valid(gdf.geometry[bad].to_numpy())
    gdf.loc[bad, "geometry"] = gdf.geometry[bad].buffer(0)
    c = gdf.geometry.to_crs(27700).centroid
    rng = np.random.default_rng(2024)
    field = np.exp(np.sin(c.x.to_numpy() / 40_000) + np.cos(c.y.to_numpy() / 30_000))
    y = pd.Series(rng.poisson(4 * field).astype(float), index=gdf.index, name="count")
    return gdf, y


def interleaved(fns: dict, repeat: int) -> dict:
    """Best time of each function over ``repeat`` rounds, the functions alternating within a round
    (so a busy spell on the shared machine hits both sides)."""
    times = {k: [] for k in fns}
    out = {}
    for _ in range(repeat):
        for k, fn in fns.items():
            t = time.perf_counter()
            out[k] = fn()
            times[k].append(time.perf_counter() - t)
    return {k: (min(v), out[k]) for k, v in times.items()}


def peak_run(args: list[str]) -> tuple[float, float, str]:
    """Wall seconds and peak resident memory (GB) of ``ARGS`` in a fresh process (getrusage of a wrapper)."""
    code = ("import resource, subprocess, sys, time, json; t = time.perf_counter(); "
            "r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
            "print(json.dumps({'s': time.perf_counter() - t, 'rc': r.returncode, 'out': r.stdout[-4000:], "
            "'err': r.stderr[-4000:], 'kb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))")
    res = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True, cwd=ROOT)
    got = json.loads(res.stdout.strip().splitlines()[-1])
    if got["rc"]:
        raise SystemExit(f"{' '.join(args)} failed:\n{got['err']}")
    return got["s"], got["kb"] / 1024**2, got["out"]


APP_LIKE = """
import resource, sys, time, warnings
warnings.simplefilter("ignore")
from placebased import pipeline
from placebased.io.areas import load_areas
from placebased.io.incidents import load_incidents, no_incidents
from placebased.score.scenario import default_scenario
t = time.perf_counter()
areas = load_areas(2019, sys.argv[1], "LSOA11CD")
inc = load_incidents(sys.argv[2]) if len(sys.argv) > 2 else no_incidents("benchmark: deprivation only")
stats = pipeline.StatsSettings(variable="count" if len(sys.argv) > 2 else "imd_score")
analysis = pipeline.analyse(areas, inc, [], pipeline.Filters(), stats)
scores, _ = pipeline.score(analysis, default_scenario(), names=areas["area_name"], vintage=2019)
frame = pipeline.map_frame(areas, analysis, scores.to_frame())
print(len(frame), "areas", round(time.perf_counter() - t, 1), "s")
"""


def bench_national(repeat, rows, tmp: Path, records: Path | None):
    import pygeoda

    from placebased.stats.hotspots import getis_ord, hotspots, local_moran, moran
    from placebased.stats.weights import build_weights

    gdf, y = national_areas()
    n = len(gdf)
    gd = pygeoda.open(gdf[["geometry"]].reset_index(drop=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = interleaved({"ours": lambda: build_weights(gdf, "queen"), "geoda": lambda: pygeoda.queen_weights(gd)},
                          max(repeat, 3))
    (t_w, graph), (t_gw, gw) = res["ours"], res["geoda"]
    rows.append(("national", n, f"queen weights ({int(graph.cardinalities.sum()):,} links; pygeoda "
                 f"{int(sum(gw.num_neighbors)) if hasattr(gw, 'num_neighbors') else '?'})", t_w, t_gw))
    gal = tmp / "queen.gal"
    w = pygeoda.read_gal(str(gal), write_gal(graph, gal))
    yl = list(y.to_numpy())

    local_moran(y, graph, permutations=9)  # kernels already compiled; warm the arrays' code paths
    res = interleaved({
        "lisa": lambda: local_moran(y, graph, permutations=PERMS, seed=1),
        "glisa": lambda: pygeoda.local_moran(w, yl, permutations=PERMS, cpu_threads=THREADS, seed=1),
        "gi": lambda: getis_ord(y, graph, permutations=PERMS, seed=1),
        "ggi": lambda: pygeoda.local_gstar(w, yl, permutations=PERMS, cpu_threads=THREADS, seed=1),
        "moran": lambda: moran(y, graph, permutations=PERMS, seed=1),
        "hot": lambda: hotspots(y, graph, permutations=PERMS, seed=1),
    }, repeat)
    t = {k: v[0] for k, v in res.items()}
    print(f"  national 999 perms: ours LISA+Gi* {t['lisa']:.1f} s, pygeoda LISA {t['glisa']:.1f} s + Gi* "
          f"{t['ggi']:.1f} s; queen ours {t_w:.2f} s, pygeoda {t_gw:.2f} s", flush=True)
    geoda_stats = t_gw + t["glisa"] + t["ggi"]
    rows += [
        ("national", n, "global Moran (999 perms)", t["moran"], None),
        ("national", n, "LISA (999 perms)", t["lisa"], t["glisa"]),
        ("national", n, "Gi* (999 perms)", t["gi"], t["ggi"]),
        ("national", n, "LISA AND Gi* (one shared pass; target <= 0.15x)", t["lisa"], t["glisa"] + t["ggi"]),
        ("national", n, "hotspots(): Gi* + LISA + Moran (999 perms)", t["hot"], None),
    ]
    # the whole command, file to CSV, 9,999 permutations, beside pygeoda's statistics alone at 999
    gpkg = tmp / "national.gpkg"
    gdf.assign(value=y.to_numpy()).reset_index().to_file(gpkg, driver="GPKG")
    cli = [sys.executable, "-m", "placebased.cli", "hotspots", "--boundaries", str(gpkg), "--id-column", "LSOA11CD",
           "--vintage", "2019", "--variable", "value", "--permutations", "9999", "--out", str(tmp / "hot.csv")]
    runs = [peak_run(cli) for _ in range(repeat)]
    wall, peak, _ = min(runs)
    rows.append(("national", n, "hotspots COMMAND, file -> CSV, 9,999 perms vs pygeoda queen+LISA+Gi* 999 "
                 "(statistics only)", wall, geoda_stats))
    mem = [("hotspots command, national, 9,999 permutations", peak)]
    print(f"  hotspots command, file -> CSV, 9,999 permutations: {wall:.1f} s, peak {peak:.2f} GB", flush=True)
    script = tmp / "app_like.py"
    script.write_text(APP_LIKE)
    _, peak_app, out = peak_run([sys.executable, str(script), str(gpkg)])
    mem.append(("app-like analysis, national, deprivation only (analyse + score + map frame)", peak_app))
    if records is not None and records.exists():
        _, peak_inc, out = peak_run([sys.executable, str(script), str(gpkg), str(records)])
        mem.append((f"app-like analysis, national, with the records in {records.name}/", peak_inc))
    return graph, mem


def planted_cluster(graph, rows_out: list, seed: int = 5):
    """A compact 40-area cluster planted in noise on the national graph: fixed 9,999 draws with FDR vs adaptive."""
    from placebased.stats.hotspots import hotspots

    ids = pd.Index(graph.unique_ids)
    indptr, indices, _, _ = _csr(graph)
    rng = np.random.default_rng(seed)
    start = int(rng.integers(len(ids)))
    members, frontier = [start], [start]
    while len(members) < 40:  # breadth first from one area: 40 contiguous LSOAs
        nxt = []
        for i in frontier:
            for j in indices[indptr[i]:indptr[i + 1]]:
                if j not in members and len(members) < 40:
                    members.append(int(j))
                    nxt.append(int(j))
        frontier = nxt
    values = pd.Series(rng.normal(size=len(ids)) + 10.0, index=ids, name="planted")
    values.iloc[members] += 2.5
    for label, kw in (("fixed 9,999 draws", {}), ("adaptive (Besag-Clifford)", {"adaptive": True})):
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = hotspots(values, graph, permutations=9999, seed=1, correction="fdr", **kw)
        secs = time.perf_counter() - t
        frame = res.to_frame()
        hot = (frame["gi_bin"] >= 2).to_numpy()
        inside = np.zeros(len(ids), bool)
        inside[members] = True
        s = res.settings
        rows_out.append((label, int(hot[inside].sum()), float(hot[~inside].mean()), s["max_draws"], s["smallest_p"],
                         s["gi_p_cutoff"], secs))


def _csr(graph):
    from placebased.stats.weights import graph_arrays

    return graph_arrays(graph)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--skip-national", action="store_true")
    ap.add_argument("--records", type=Path, default=None,
                    help="national records for an app-like memory run with incidents (bench_counts.py makes them "
                         "in /tmp/placebased-bench-counts/records); left out by default (it takes minutes)")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")  # repaired geometries, fdr notes: not what is measured
    import numba

    from placebased.stats import _permute

    t = time.perf_counter()
    _permute.warm_up()
    t_load = time.perf_counter() - t
    t_jit = jit_compile_seconds()
    rows: list = []
    mem: list = []
    planted: list = []
    bench_county(args.repeat, rows)
    if not args.skip_national and NATIONAL.exists():
        with tempfile.TemporaryDirectory() as tmp:
            graph, mem = bench_national(args.repeat, rows, Path(tmp), args.records)
        planted_cluster(graph, planted)
    print(f"machine: {platform.node()} ({os.cpu_count()} cores, {platform.processor() or platform.machine()}), "
          f"shared and busy: load average {os.getloadavg()[0]:.1f} at the end")
    print(f"threads: numba {numba.get_num_threads()}, pygeoda cpu_threads={THREADS}; permutations {PERMS} unless "
          f"stated; best of {args.repeat} (the two sides alternating)")
    print(f"numba JIT: compile from empty cache {t_jit:.2f} s (once, cached to disk); load from cache in this run "
          f"{t_load:.2f} s")
    print(f"{'scale':<9} {'areas':>6}  {'step':<58} {'placebased s':>12} {'pygeoda s':>10} {'ratio':>7}")
    for scale, n, step, ours, geoda in rows:
        g = f"{geoda:10.3f}" if geoda is not None else f"{'':>10}"
        r = f"{ours / geoda:7.3f}" if geoda else f"{'':>7}"
        print(f"{scale:<9} {n:>6}  {step:<58} {ours:12.3f} {g} {r}")
    if mem:
        print(f"\n{'peak resident memory (getrusage of a fresh process; target <= 2 GB)':<96} {'GB':>6}")
        for label, gb in mem:
            print(f"{label:<96} {gb:6.2f}")
    if planted:
        print("\nplanted cluster: 40 contiguous LSOAs +2.5 sd in N(0, 1) noise, 34,753 areas, FDR 0.05 over the "
              "pooled LISA and Gi* p-values (69,506 tests); hot = gi_bin >= 2")
        print(f"{'draws':<28} {'cluster hot':>11} {'others hot':>10} {'max draws':>10} {'smallest p':>10} "
              f"{'Gi* cut-off':>11} {'seconds':>8}")
        for label, found, others, draws, smallest, cut, secs in planted:
            print(f"{label:<28} {found:>8}/40 {others:>10.3%} {draws:>10,} {smallest:>10.2g} {cut:>11.2g} "
                  f"{secs:>8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

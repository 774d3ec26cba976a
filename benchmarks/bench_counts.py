"""``placebased counts`` on one year of national police.uk-format records, beside geopandas' spatial join.

Run from the repository root::

    python benchmarks/bench_counts.py [--rows 6500000] [--data DIR] [--skip-peer]

Data (generated once into ``--data``, default ``/tmp/placebased-bench-counts``, and reused): the
34,753 LSOA 2011 areas of England and Wales (super-generalised, ``shared/data/boundaries``; 3
invalid polygons repaired) as a GeoPackage, and one year of street-level records in police.uk's
format (12 monthly CSVs, the 12 police.uk columns): 20 anonymised map points per LSOA drawn inside
its polygon, records spread over them with a spatially structured intensity, police.uk's category
shares, 1 % without a location (blank coordinates and LSOA) and 0.3 % carrying a wrong LSOA code
(another area's), so the sample check has disagreements to report.

Measured:

* the CLI end to end (``placebased counts --incidents DIR --boundaries areas.gpkg --vintage 2019``,
  a fresh process: imports, reading, counting, CSV): wall seconds and peak resident memory
  (``getrusage(RUSAGE_CHILDREN).ru_maxrss`` of a wrapper that runs only that command). Targets:
  <= 10 s, <= 4 GB.
* in one process, the counting alone on the loaded records: the table join on the LSOA code with
  its sample check (the default), every point placed by location (``code_join=False``), and the
  peer, geopandas ``sjoin(points, areas, predicate="within")`` + ``groupby`` (no snapping, no
  publisher rule: less work than ours).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NATIONAL = Path("/work/shared/data/boundaries/LSOA_Dec2011_BSC_EW_V3.geojson.gz")
CATEGORIES = {  # police.uk shares (Northamptonshire, Jan-Sep 2025)
    "Violence and sexual offences": 20241, "Anti-social behaviour": 12178, "Shoplifting": 5425,
    "Criminal damage and arson": 3495, "Public order": 3177, "Other theft": 3119, "Vehicle crime": 2453,
    "Drugs": 2235, "Burglary": 2087, "Other crime": 1069, "Possession of weapons": 855, "Robbery": 766,
    "Bicycle theft": 304, "Theft from the person": 161,
}
OUTCOMES = ["Under investigation", "Investigation complete; no suspect identified", "Unable to prosecute suspect",
            "Status update unavailable", "Awaiting court outcome", "Local resolution"]
STREETS = ["High Street", "Station Road", "Church Lane", "Park Road", "London Road", "Mill Lane", "Victoria Road",
           "Green Lane", "Manor Road", "Church Street", "Kings Road", "The Crescent", "Shopping Area",
           "Supermarket", "Petrol Station", "Parking Area", "Sports/Recreation Area", "Nightclub"]
POINTS_PER_AREA = 20
HEADER = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location", "LSOA code",
          "LSOA name", "Crime type", "Last outcome category", "Context"]


def national_areas():
    import geopandas as gpd
    import shapely

    gdf = gpd.read_file("/vsigzip/" + str(NATIONAL), columns=["LSOA11CD", "LSOA11NM"])
    bad = ~gdf.geometry.is_valid
    gdf.loc[bad, "geometry"] = shapely.make_valid(gdf.geometry[bad].to_numpy())
    return gdf


def map_points(gdf, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``POINTS_PER_AREA`` random points inside each polygon (rejection sampling in its bounds)."""
    import shapely

    geoms = gdf.geometry.to_numpy()
    bounds = shapely.bounds(geoms)
    n = len(geoms)
    need = np.full(n, POINTS_PER_AREA)
    xs, ys, owner = [], [], []
    while need.sum():
        area = np.repeat(np.flatnonzero(need), need[need > 0] * 3)
        b = bounds[area]
        x = b[:, 0] + rng.random(len(area)) * (b[:, 2] - b[:, 0])
        y = b[:, 1] + rng.random(len(area)) * (b[:, 3] - b[:, 1])
        inside = shapely.contains_xy(geoms[area], x, y)
        area, x, y = area[inside], x[inside], y[inside]
        order = np.argsort(area, kind="stable")
        area, x, y = area[order], x[order], y[order]
        rank = np.arange(len(area)) - np.searchsorted(area, area)
        take = rank < need[area]
        xs.append(x[take])
        ys.append(y[take])
        owner.append(area[take])
        need -= np.bincount(area[take], minlength=n)
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(owner)


def _hex_ids(rng, n: int) -> np.ndarray:
    table = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    nibbles = rng.integers(0, 16, size=(n, 64), dtype=np.uint8)
    return table[nibbles].view("S64").ravel()


def generate(data: Path, rows: int, seed: int = 2025) -> None:
    """Write ``areas.gpkg`` and ``records/2025-MM-national-street.csv`` (police.uk's columns)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    data.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    gdf = national_areas()
    gdf.to_file(data / "areas.gpkg", driver="GPKG")
    px, py, owner = map_points(gdf, rng)
    centre = gdf.geometry.to_crs(27700).centroid
    field = np.exp(np.sin(centre.x.to_numpy() / 40_000) + np.cos(centre.y.to_numpy() / 30_000))
    weight = field[owner] * rng.gamma(0.7, 1.0, len(owner))
    pick = rng.choice(len(owner), size=rows, p=weight / weight.sum())
    codes = gdf["LSOA11CD"].to_numpy().astype(str)
    names = gdf["LSOA11NM"].to_numpy().astype(str)
    area = owner[pick]
    code, name = codes[area], names[area]
    wrong = rng.random(rows) < 0.003
    other = rng.integers(0, len(codes), size=int(wrong.sum()))
    code[wrong], name[wrong] = codes[other], names[other]
    lon = np.char.mod("%.6f", px[pick])
    lat = np.char.mod("%.6f", py[pick])
    blank = rng.random(rows) < 0.01
    lon[blank] = lat[blank] = code[blank] = name[blank] = ""
    cats = np.array(list(CATEGORIES))
    p = np.array(list(CATEGORIES.values()), dtype=float)
    category = cats[rng.choice(len(cats), size=rows, p=p / p.sum())]
    ids = _hex_ids(rng, rows).astype(str)
    ids[category == "Anti-social behaviour"] = ""
    outcome = np.array(OUTCOMES)[rng.integers(0, len(OUTCOMES), rows)]
    outcome[category == "Anti-social behaviour"] = ""
    location = np.char.add("On or near ", np.array(STREETS)[rng.integers(0, len(STREETS), rows)])
    month = rng.integers(1, 13, rows)
    folder = data / "records"
    folder.mkdir(exist_ok=True)
    opts = pacsv.WriteOptions(quoting_style="needed")  # text quoted (police.uk itself quotes nothing)
    for m in range(1, 13):
        sel = month == m
        k = int(sel.sum())
        table = pa.table({
            "Crime ID": ids[sel], "Month": np.full(k, f"2025-{m:02d}"),
            "Reported by": np.full(k, "Example Police"), "Falls within": np.full(k, "Example Police"),
            "Longitude": lon[sel], "Latitude": lat[sel], "Location": location[sel], "LSOA code": code[sel],
            "LSOA name": name[sel], "Crime type": category[sel], "Last outcome category": outcome[sel],
            "Context": np.full(k, ""),
        })
        pacsv.write_csv(table, folder / f"2025-{m:02d}-national-street.csv", write_options=opts)
    (data / "generated.json").write_text(json.dumps({"rows": rows, "seed": seed, "wrong_code": int(wrong.sum()),
                                                     "without_location": int(blank.sum())}))


def run_cli(args: list[str]) -> tuple[float, float, str]:
    """Wall seconds and peak RSS (GB) of ``placebased ARGS`` in a fresh process."""
    code = ("import resource, subprocess, sys, time, json; t = time.perf_counter(); "
            "r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
            "print(json.dumps({'s': time.perf_counter() - t, 'rc': r.returncode, 'err': r.stderr[-3000:], "
            "'kb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))")
    out = subprocess.run([sys.executable, "-c", code, sys.executable, "-m", "placebased.cli", *args],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    if res["rc"]:
        raise SystemExit(f"placebased {' '.join(args)} failed:\n{res['err']}")
    return res["s"], res["kb"] / 1024**2, res["err"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=6_500_000)
    ap.add_argument("--data", type=Path, default=Path("/tmp/placebased-bench-counts"))
    ap.add_argument("--skip-peer", action="store_true", help="leave out the in-process stages and geopandas")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    made = args.data / "generated.json"
    if not made.exists() or json.loads(made.read_text())["rows"] != args.rows:
        t = time.perf_counter()
        generate(args.data, args.rows)
        print(f"generated {args.rows:,} records in {time.perf_counter() - t:.1f} s into {args.data}")
    info = json.loads(made.read_text())
    size = sum(f.stat().st_size for f in (args.data / "records").glob("*.csv")) / 1024**3
    out = args.data / "counts.csv"
    cli = ["counts", "--incidents", str(args.data / "records"), "--boundaries", str(args.data / "areas.gpkg"),
           "--id-column", "LSOA11CD", "--vintage", "2019", "--out", str(out),
           "--disagreements", str(args.data / "disagreements.csv")]
    print(f"machine: {platform.node()} ({os.cpu_count()} cores, {platform.processor() or platform.machine()}), "
          f"shared and busy: load average {os.getloadavg()[0]:.1f} at the start")
    print(f"records: {info['rows']:,} in 12 monthly police.uk-format CSVs ({size:.2f} GB), "
          f"{info['without_location']:,} without location, {info['wrong_code']:,} with a wrong LSOA code; "
          "34,753 LSOA 2011 areas", flush=True)
    wall, gb, err = run_cli(cli)
    for line in err.splitlines():
        if "table join" in line or "located" in line or "written to" in line:
            print(f"  {line.strip()}")
    print(f"{'step':<78} {'placebased s':>12} {'peak GB':>8} {'geopandas s':>12} {'ratio':>6}")
    show("CLI end to end: counts, table join + sample check (target <= 10 s, <= 4 GB)", wall, gb, None)
    if not args.skip_peer:
        in_process(args.data)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    return 0


def show(step: str, ours: float, peak: float | None, peer: float | None) -> None:
    pk = f"{peak:8.2f}" if peak is not None else f"{'':>8}"
    pr = f"{peer:12.2f}" if peer is not None else f"{'':>12}"
    ra = f"{ours / peer:6.2f}" if peer else f"{'':>6}"
    print(f"{step:<78} {ours:12.2f} {pk} {pr} {ra}", flush=True)


def in_process(data: Path) -> list:
    import geopandas as gpd

    from placebased.io.areas import load_areas
    from placebased.io.incidents import load_incidents
    from placebased.stats.aggregate import count_incidents

    t = time.perf_counter()
    areas = load_areas(2019, str(data / "areas.gpkg"), "LSOA11CD")
    show("in process: load_areas (GeoPackage, IoD2019 joined)", time.perf_counter() - t, None, None)
    t = time.perf_counter()
    points = load_incidents(data / "records").points
    show(f"in process: load_incidents ({len(points):,} located records)", time.perf_counter() - t, None, None)
    t = time.perf_counter()
    joined = count_incidents(points, areas)
    t_join = time.perf_counter() - t
    t = time.perf_counter()
    located = count_incidents(points, areas, code_join=False)
    t_loc = time.perf_counter() - t
    t = time.perf_counter()
    hit = gpd.sjoin(points[["category", "geometry"]], areas[["geometry"]].reset_index(), how="inner",
                    predicate="within")
    peer = hit.groupby(["area_code", "category"]).size().unstack(fill_value=0)
    t_peer = time.perf_counter() - t
    differ = int((joined.counts["total"] != located.counts["total"]).sum())
    show("in process: count_incidents, table join + sample check (default)", t_join, None, t_peer)
    show(f"in process: count_incidents, every point by location ({differ:,} area totals differ)", t_loc, None,
         t_peer)
    show(f"peer: geopandas sjoin within + groupby ({int(peer.to_numpy().sum()):,} matched)", t_peer, None, t_peer)
    print(f"  join: {joined.report.check_line()}")


if __name__ == "__main__":
    sys.exit(main())

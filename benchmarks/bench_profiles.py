"""Benchmark the PDF area profiles: context, one profile, a group, and one PDF per area.

Run by hand from the repository root: ``python benchmarks/bench_profiles.py [--workers 2] [--limit N] [--cli]``.
Targets (issue 14): ``placebased profile --area CODE`` end to end (a fresh process: imports, data, statistics,
PDF) in at most 3 s, and ``profile --each`` for the 443 Northamptonshire LSOAs in at most 45 s on 2 cores
(``--cli`` times both as a user runs them).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--limit", type=int, default=None, help="profile only the first N areas with --each")
    ap.add_argument("--cli", action="store_true", help="also time the CLI end to end (fresh processes)")
    args = ap.parse_args()

    from placebased import _paths
    from placebased.io.areas import load_areas
    from placebased.io.incidents import load_incidents
    from placebased.profile_record import ProfileContext, render_profile, write_profiles_each

    rows = []
    t = time.perf_counter()
    areas = load_areas()
    inc = load_incidents(_paths.default_incident_files())
    rows.append(("load areas + incidents", time.perf_counter() - t, ""))
    t = time.perf_counter()
    ctx = ProfileContext.build(areas, inc.points)
    rows.append(("ProfileContext.build (counts, Gi*/LISA 999, scores, provision, map data)",
                 time.perf_counter() - t, ""))
    codes = list(areas.index)
    times = []
    for c in codes[:20]:
        t = time.perf_counter()
        render_profile(ctx, [c])
        times.append(time.perf_counter() - t)
    rows.append(("render_profile, one LSOA (median of 20)", statistics.median(times), f"max {max(times):.3f} s"))
    t = time.perf_counter()
    render_profile(ctx, codes[:40], group_name="Group of 40")
    rows.append(("render_profile, group of 40 LSOAs", time.perf_counter() - t, ""))
    sel = codes[: args.limit] if args.limit else codes
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        paths = write_profiles_each(ctx, sel, d, workers=args.workers)
        el = time.perf_counter() - t
        size = sum(Path(p).stat().st_size for p in paths) / len(paths) / 1024
    rows.append((f"write_profiles_each, {len(sel)} LSOAs, {args.workers} workers", el,
                 f"{el / len(sel):.3f} s/profile, mean {size:.0f} KB"))
    if args.cli:
        rows += cli_rows(args.workers)
    print(f"{'step':<80} {'seconds':>8}  note")
    for name, sec, note in rows:
        print(f"{name:<80} {sec:8.2f}  {note}")


def cli_rows(workers: int) -> list[tuple[str, float, str]]:
    """``placebased profile`` as a user runs it: a fresh process each time (imports, data, statistics, PDFs)."""
    import subprocess
    import sys

    rows = []
    with tempfile.TemporaryDirectory() as d:
        for argv, name in ((["--area", "E01026949", "--out", f"{d}/one.pdf"], "placebased profile --area CODE"),
                           (["--area", "E01026949", "--area", "E01026950", "--out", f"{d}/g.pdf", "--public"],
                            "placebased profile --area A --area B --public"),
                           (["--each", f"{d}/each", "--workers", str(workers)],
                            f"placebased profile --each DIR (443 LSOAs, {workers} workers)")):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "placebased.cli", "profile", *argv], check=True,
                           capture_output=True)
            rows.append((name + " (end to end)", time.perf_counter() - t, ""))
    return rows


if __name__ == "__main__":
    main()

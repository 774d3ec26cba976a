"""``placebased trends``: Mann-Kendall trend, Sen's slope and emerging hot spot class per area."""

from __future__ import annotations

import warnings

from placebased.categories import resolve
from placebased.commands._common import (
    add_boundaries_args,
    add_incidents_args,
    add_parser,
    eprint,
    load_areas_from_args,
    load_incidents_from_args,
)
from placebased.errors import ConfigError
from placebased.io import export
from placebased.io.areas import DataWarning
from placebased.names import CORRECTIONS
from placebased.pipeline import incident_line, scope_label, trends

EXAMPLES = """
  placebased trends --out trends.csv                          # shipped police.uk data (9 months), queen
  placebased trends --incidents incidents/ --category serious_violence --start 2021-01 --end 2025-12 \\
      --out sv_trends.csv --series sv_monthly.csv
  placebased trends --incidents ae.xlsx --x-column Easting --y-column Northing --crs bng --step quarter \\
      --time-window 2 --out ae_trends.csv

The CSV has columns area_code, mk_tau, mk_p, sen_slope, emerging_class, then n_steps, first_step,
last_step, total, mk_s, mk_z, gi_mk_tau, gi_mk_p, n_hot, n_cold, final_gi_z and the constant
columns step, time_window, alpha, correction, p_cutoff, weights.
mk_*: Mann-Kendall test (tie-corrected, two-sided p) of each area's counts; sen_slope: incidents
per step. emerging_class: ArcGIS's Emerging Hot Spot classes from space-time Gi* (analytic z,
neighbours at t and t-1..t-k) and Mann-Kendall on the Gi* z-series (docs/emerging_hotspots.md).
ArcGIS requires at least 10 time steps; fewer give a warning.
"""

HEAD = ["mk_tau", "mk_p", "sen_slope", "emerging_class"]


def register(sub) -> None:
    p = add_parser(sub, "trends", "Trend (Mann-Kendall, Sen's slope) and emerging hot spot class per area.",
                   EXAMPLES)
    add_incidents_args(p, date_range=False)  # its own --start/--end widen to whole steps
    p.add_argument("--category", nargs="+", metavar="NAME",
                   help="count only these categories or groups (e.g. serious_violence); default all")
    p.add_argument("--step", default="month", choices=["month", "quarter", "year"], help="time step (default month)")
    p.add_argument("--start", metavar="DATE", help="first date, e.g. 2021-01 (widened to the whole step)")
    p.add_argument("--end", metavar="DATE", help="last date, e.g. 2025-12 (widened to the whole step)")
    add_boundaries_args(p)
    p.add_argument("--weights", default="queen", metavar="KIND",
                   help="spatial neighbours: queen (default), rook, knn:K or distance:METRES (used as binary)")
    p.add_argument("--time-window", type=int, default=1, metavar="K",
                   help="earlier steps in each bin's neighbourhood (default 1)")
    p.add_argument("--alpha", type=float, default=0.05, metavar="A", help="significance level (default 0.05)")
    p.add_argument("--correction", default="fdr", choices=list(CORRECTIONS),
                   help="multiple-testing correction over all bins of the cube (default fdr, as ArcGIS)")
    p.add_argument("--series", metavar="FILE.csv", help="also write the series: area_code, step, category, count")
    p.add_argument("--cube", metavar="FILE.csv",
                   help="also write the cube: area_code, step, value, gi_z, gi_p, gi_state")
    p.add_argument("--out", required=True, metavar="FILE.csv", help="CSV file to write")
    p.set_defaults(func=run)


def run(args) -> int:
    if args.time_window < 0:
        raise ConfigError(f"--time-window must be 0 or more (got {args.time_window}); e.g. 1.")
    areas = load_areas_from_args(args)
    inc = load_incidents_from_args(args)
    cats = resolve(args.category, inc.categories)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        result = trends(inc.points, areas, step=args.step, categories=cats, start=args.start, end=args.end,
                        weights=args.weights, time_window=args.time_window, alpha=args.alpha,
                        correction=args.correction)
    for w in caught:
        warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    table = result.table.copy()
    s = result.settings
    for name in ("step", "time_window", "alpha", "correction", "p_cutoff", "weights"):
        table[name] = s[name]
    table = table[HEAD + [c for c in table.columns if c not in HEAD]]
    export.write_table(table, args.out, index=True)
    if args.series:
        export.write_table(result.series.counts, args.series, index=False)
    if args.cube:
        export.write_table(result.emerging.cube, args.cube, index=False)
    series = result.series
    eprint(incident_line(inc.report, series.inside, series.outside, scope=scope_label(cats, args.start, args.end),
                         undated=series.undated))
    for note in inc.report.notes:
        eprint(f"note: {note}")
    for note in series.notes:
        if not any(note == str(w.message) for w in caught):
            eprint(f"note: {note}")
    summary = result.emerging.summary()
    shown = ", ".join(f"{name} {n}" for name, n in summary.items() if n)
    eprint(f"{len(series.steps)} {args.step}s ({series.steps[0]} to {series.steps[-1]}); Gi* cut-off "
           f"p <= {s['p_cutoff']:.3g} ({s['correction']}); {shown}")
    eprint(f"{len(table):,} areas written to {args.out}")
    return 0

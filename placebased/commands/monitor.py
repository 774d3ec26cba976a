"""``placebased monitor``: the Serious Violence Duty's core measures month by month, with control limits."""

from __future__ import annotations

from pathlib import Path

from placebased.commands._common import (
    add_boundaries_args,
    add_incidents_args,
    add_parser,
    eprint,
    load_areas_from_args,
)
from placebased.errors import ConfigError
from placebased.io import export
from placebased.io.export import write_table
from placebased.pipeline import monitor, partner_times

EXAMPLES = """
  placebased monitor --out monitor.csv                     # shipped police.uk data: PROXY measures only
  placebased monitor --level lad --plot monitor.png --out monitor.csv
  placebased monitor --incidents force_extract.csv --hospital admissions.csv --level county lad \\
      --baseline-year 2023 --out monitor.csv
  placebased monitor --measures my_measures.toml --incidents force.xlsx --x-column Easting \\
      --y-column Northing --crs bng --out monitor.csv
  placebased monitor --ae istv.csv --ae-out ae/            # A&E arrival times: day x hour, weekend window

The CSV has columns measure, measure_label, proxy, level, area_code, area_name, month, count,
rolling_12m, baseline, change_vs_baseline, centre, lcl, ucl, signal, sigma_z, baseline_period.
police.uk data have no knife flag: the measures counted from them are PROXIES (all violence and
sexual offences; possession of weapons with robbery), never knife crime. The measures and their
rules are in placebased/data/measures.toml (copy it, edit it, pass it with --measures).
Limits: Laney u' chart on the baseline months (events per day of the month; sigma_z from the
moving ranges of the z-scores; 3 sigma); signal = above/below the limits.
"""


def register(sub) -> None:
    p = add_parser(sub, "monitor", "Monitor the Serious Violence Duty core measures: monthly series, rolling "
                                   "12-month totals, change against a baseline and control limits.", EXAMPLES)
    add_incidents_args(p, date_range=False)
    p.add_argument("--hospital", nargs="+", metavar="FILE",
                   help="hospital / A&E extracts (coordinates, an LSOA code or a postcode per row)")
    p.add_argument("--measures", metavar="FILE.toml", help="measures and their rules (default: the shipped "
                   "placebased/data/measures.toml)")
    p.add_argument("--level", nargs="+", choices=["county", "lad", "lsoa"], default=["county"],
                   help="area levels of the series (default county; several allowed)")
    p.add_argument("--baseline-year", type=int, metavar="YEAR",
                   help="calendar year used as the baseline (default: the first 12 months when 24 or more exist, "
                        "else the first half of the months)")
    add_boundaries_args(p)
    p.add_argument("--out", metavar="FILE.csv", help="CSV (or .xlsx) file to write the series to")
    p.add_argument("--plot", metavar="FILE.png", help="also draw small multiples (first --level) as PNG")
    p.add_argument("--ae", nargs="+", metavar="FILE",
                   help="A&E (ISTV) or other partner records with arrival date-times: day x hour pattern and the "
                        "Sat/Sun 01:00-05:00 window (written to --ae-out)")
    p.add_argument("--ae-out", metavar="DIR", help="folder for the --ae outputs (created if missing)")
    p.add_argument("--threshold", type=int, default=5, metavar="N",
                   help="--ae tables: counts below N are suppressed (default 5)")
    p.set_defaults(func=run)


def write_frame(frame, path, index: bool = False) -> None:
    """One table written whole (formulas defused), through the package's single table writer."""
    write_table(frame, path, index=index)


def _load_opts(args) -> dict:
    opts = {k: getattr(args, k, None) for k in ("x_column", "y_column", "crs", "category_column", "date_column",
                                                 "weight_column", "date_format")}
    return {k: v for k, v in opts.items() if v is not None}


def run(args) -> int:
    if not args.out and not args.ae:
        raise ConfigError("give --out FILE.csv for the monitoring series (or --ae FILE with --ae-out DIR).")
    if args.ae and not args.ae_out:
        raise ConfigError("--ae needs --ae-out DIR, the folder for its tables and heat map.")
    if getattr(args, "harm_table", None):
        raise ConfigError("monitor counts records, as the Home Office measures do; drop --harm-table here.")
    if args.ae:
        _run_ae(args)
    if not args.out:
        return 0
    areas = load_areas_from_args(args)
    result = monitor(args.incidents, args.hospital, areas=areas, measures=args.measures, levels=args.level,
                     baseline_year=args.baseline_year, **_load_opts(args))
    write_frame(result.rounded(), args.out)
    if args.plot:
        export.write_document(result.png(), args.plot)
    for note in result.notes:
        eprint(f"note: {note}")
    for mid, why in result.unavailable.items():
        eprint(f"not available: {mid}: {why}")
    for m in result.measures:
        if m.proxy and m.id in result.computed:
            eprint(f"proxy: {m.id}: {m.note}")
    sig = result.signals()
    eprint(f"{len(result.computed)} series ({', '.join(result.computed) or 'none'}) x levels {', '.join(args.level)}: "
           f"{len(result.table):,} rows written to {args.out}; {len(sig):,} outside the control limits")
    return 0


def _run_ae(args) -> None:
    folder = Path(args.ae_out)
    folder.mkdir(parents=True, exist_ok=True)
    result = partner_times(args.ae, threshold=args.threshold)
    write_frame(result.to_frame(), folder / "window_by_age.csv")
    write_frame(result.day_hour_public(), folder / "day_hour.csv", index=True)
    write_frame(result.location_summary(), folder / "located.csv")
    export.write_document(result.png(), folder / "day_hour.png")
    eprint(result.summary_text())
    eprint(f"A&E outputs written to {folder}: window_by_age.csv, day_hour.csv, located.csv, day_hour.png")

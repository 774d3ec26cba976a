"""``placebased counts``: incidents per area and category."""

from __future__ import annotations

from placebased.categories import resolve
from placebased.commands._common import (
    add_boundaries_args,
    add_incidents_args,
    add_parser,
    eprint,
    load_areas_from_args,
    load_incidents_from_args,
)
from placebased.io import export
from placebased.stats.aggregate import count_incidents

EXAMPLES = """
  placebased counts --out counts.csv                      # shipped police.uk data, Northamptonshire LSOAs
  placebased counts --incidents data/2025-0*.csv.gz --out counts.csv
  placebased counts --incidents ae_assaults.xlsx --x-column Easting --y-column Northing --crs bng --out ae.csv
  placebased counts --incidents incidents/ --category serious_violence --monthly monthly.csv --out sv.csv
"""


def register(sub) -> None:
    p = add_parser(sub, "counts", "Count incidents per area and category (a summary goes to stderr).", EXAMPLES)
    add_incidents_args(p)
    p.add_argument(
        "--category",
        nargs="+",
        metavar="NAME",
        help="keep these categories or groups (e.g. serious_violence, 'Robbery')",
    )
    add_boundaries_args(p)
    p.add_argument("--monthly", metavar="FILE.csv", help="also write area_code, month, category, count")
    p.add_argument("--out", required=True, metavar="FILE.csv", help="CSV file to write")
    p.set_defaults(func=run)


def run(args) -> int:
    areas = load_areas_from_args(args)
    inc = load_incidents_from_args(args)
    cats = resolve(args.category, inc.categories)
    result = count_incidents(inc.points, areas, categories=cats, without_location=inc.report.skipped)
    export.write_table(result.counts, args.out, index=True)
    if args.monthly:
        export.write_table(result.monthly, args.monthly, index=False)
    from placebased.pipeline import incident_line, scope_label

    r, a = inc.report, result.report
    eprint(incident_line(r, a.in_area, a.outside, scope=scope_label(cats, args.start, args.end)))
    for note in r.notes:
        eprint(f"note: {note}")
    if a.publisher_kept:
        eprint(f"note: {a.publisher_kept:,} points within 20 m of an edge kept the publisher's area code")
    eprint(f"{len(result.counts):,} areas x {len(result.categories)} categories written to {args.out}")
    return 0

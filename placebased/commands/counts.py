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
  placebased counts --incidents national/ --boundaries lsoa11.gpkg --vintage 2019 --disagreements check.csv --out n.csv
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
    p.add_argument("--by-location", action="store_true",
                   help="place every record by its coordinates; by default records carrying one of the areas' "
                        "codes (police.uk's LSOA code) are counted by that code and a random sample of them is "
                        "checked by location")
    p.add_argument("--disagreements", metavar="FILE.csv",
                   help="write the sample records whose code disagrees with their location "
                        "(source, source_row, code, location)")
    p.add_argument("--out", required=True, metavar="FILE.csv", help="CSV file to write")
    p.set_defaults(func=run)


def run(args) -> int:
    areas = load_areas_from_args(args)
    inc = load_incidents_from_args(args)
    cats = resolve(args.category, inc.categories)
    result = count_incidents(inc.points, areas, categories=cats, without_location=inc.report.skipped,
                             code_join=False if args.by_location else None)
    export.write_table(result.counts, args.out, index=True)
    if args.monthly:
        export.write_table(result.monthly, args.monthly, index=False)
    if args.disagreements:
        import pandas as pd

        found = result.report.disagreements
        columns = ["source", "source_row", "code", "location"]
        export.write_table(found if found is not None else pd.DataFrame(columns=columns), args.disagreements,
                           index=False)
    from placebased.pipeline import incident_line, scope_label

    r, a = inc.report, result.report
    eprint(incident_line(r, a.in_area, a.outside, scope=scope_label(cats, args.start, args.end)))
    for note in r.notes:
        eprint(f"note: {note}")
    if a.check_line():
        eprint(f"note: {a.check_line()}")
    if a.publisher_kept:
        eprint(f"note: {a.publisher_kept:,} points within 20 m of an edge kept the publisher's area code")
    eprint(f"{len(result.counts):,} areas x {len(result.categories)} categories written to {args.out}")
    return 0

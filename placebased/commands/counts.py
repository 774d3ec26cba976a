"""``placebased counts``: incidents per area and category."""

from __future__ import annotations

import pandas as pd

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
from placebased.io.incidents import load_police_columns
from placebased.pipeline import count_incidents, incident_line, scope_label

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
    inc = _police_columns(args)
    if inc is None:
        inc = load_incidents_from_args(args)
        cats = resolve(args.category, inc.categories)
        result = count_incidents(inc.points, areas, categories=cats, without_location=inc.report.skipped,
                                 code_join=False if args.by_location else None)
    else:  # the records as columns: count_incidents counts them without a GeoDataFrame of them all
        cats = resolve(args.category, inc.categories)
        result = count_incidents(inc, areas, categories=cats, without_location=inc.report.skipped,
                                 code_join=False if args.by_location else None)
    export.write_table(result.counts, args.out, index=True)
    if args.monthly:
        export.write_table(result.monthly, args.monthly, index=False)
    if args.disagreements:
        found = result.report.disagreements
        columns = ["source", "source_row", "code", "location"]
        export.write_table(found if found is not None else pd.DataFrame(columns=columns), args.disagreements,
                           index=False)
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


#: options that change how incident files are read: with any of them the full reader reads the files
_READING_OPTIONS = ("x_column", "y_column", "crs", "category_column", "date_column", "weight_column", "date_format",
                    "harm_table")


def _police_columns(args):
    """``--incidents`` read as columns (:func:`placebased.io.incidents.load_police_columns`, several times
    faster, no geometry) when they are police.uk street-level CSVs read as they are; None otherwise
    (the shipped records, a download zip, other files, reading options, --start/--end)."""
    if not args.incidents or any(getattr(args, a, None) for a in _READING_OPTIONS):
        return None
    if getattr(args, "_filter_dates", False) and (args.start or args.end):
        return None
    return load_police_columns(args.incidents)

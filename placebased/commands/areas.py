"""``placebased areas``: one row per area with its indicators."""

from __future__ import annotations

from placebased.commands._common import add_boundaries_args, add_parser, eprint, load_areas_from_args
from placebased.io import export
from placebased.io.areas import areas_table

EXAMPLES = """
  placebased areas --out areas.csv
  placebased areas --vintage 2019 --out areas_2011.csv
  placebased areas --boundaries my_lsoas.gpkg --id-column LSOA21CD --out my_areas.csv
"""


def register(sub) -> None:
    p = add_parser(
        sub, "areas", "Write one row per area with its indicators (IMD decile, domains, population).", EXAMPLES
    )
    add_boundaries_args(p)
    p.add_argument("--out", required=True, metavar="FILE.csv", help="CSV file to write")
    p.set_defaults(func=run)


def run(args) -> int:
    areas = load_areas_from_args(args)
    table = areas_table(areas)
    export.write_table(table, args.out, index=True)
    eprint(f"{len(table):,} areas ({areas.attrs.get('source', '')}) written to {args.out}")
    return 0

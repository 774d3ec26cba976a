"""``placebased survey``: community-voice coverage by deprivation and age, and where to do outreach."""

from __future__ import annotations

from pathlib import Path

from placebased.commands._common import add_boundaries_args, add_parser, eprint, load_areas_from_args
from placebased.commands.monitor import write_frame
from placebased.io import export
from placebased.pipeline import survey_coverage

EXAMPLES = """
  placebased survey --responses survey.csv --out coverage/
  placebased survey --responses survey.xlsx --postcode-column "Home postcode" --age-column "Age group" \\
      --out coverage/
  placebased survey --responses survey.csv --postcodes ONSPD_extract.csv --boundaries my_lsoas.gpkg \\
      --id-column LSOA21CD --out coverage/

Writes DIR/coverage_by_decile.csv (imd_decile, responses, share_responses, residents,
share_residents), DIR/coverage_by_age.csv (age_band, ...), DIR/representativeness.csv
(1 - dissimilarity index by decile and by age band), DIR/outreach_areas.csv and
DIR/outreach_map.png (IMD deciles 1-2 with fewer than --min-responses responses) and
DIR/unlocated.csv (row number and reason only; row 2 is the first response). Residents: Census
2021 (deciles) and ONS mid-2020 estimates (age bands 0-9, 10-17, 18-24, 25 and over).
Response counts from 1 to --threshold - 1 are shown as <5, with secondary suppression.
"""

FILES = ("coverage_by_decile.csv", "coverage_by_age.csv", "representativeness.csv", "outreach_areas.csv",
         "outreach_map.png", "unlocated.csv")


def register(sub) -> None:
    p = add_parser(sub, "survey", "Community-voice coverage: survey responses by IMD decile and age band against "
                                  "residents, and deprived areas with few responses.", EXAMPLES)
    p.add_argument("--responses", required=True, metavar="FILE", help="survey responses (CSV or Excel) with a "
                   "postcode column and optionally an age or age band")
    p.add_argument("--postcodes", metavar="FILE", help="ONS postcode directory extract (pcds + oseast1m/osnrth1m "
                   "and/or lsoa21cd) for areas beyond the shipped Northamptonshire postcodes")
    p.add_argument("--postcode-column", metavar="COL", help="column holding the postcode (else detected)")
    p.add_argument("--age-column", metavar="COL", help="column holding the age or age band (else detected)")
    p.add_argument("--min-responses", type=int, default=5, metavar="N",
                   help="deprived areas with fewer responses are outreach areas (default 5)")
    p.add_argument("--threshold", type=int, default=5, metavar="N",
                   help="published counts below N are suppressed (default 5)")
    add_boundaries_args(p)
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write the tables and map (created)")
    p.set_defaults(func=run)


def run(args) -> int:
    from placebased.outputs.survey_map import outreach_png
    areas = load_areas_from_args(args)
    result = survey_coverage(args.responses, areas=areas, postcodes=args.postcodes,
                             postcode_column=args.postcode_column, age_column=args.age_column,
                             min_responses=args.min_responses, threshold=args.threshold)
    folder = Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    write_frame(result.to_frame(), folder / FILES[0])
    write_frame(result.age_frame(), folder / FILES[1])
    write_frame(result.representativeness_frame(), folder / FILES[2])
    write_frame(result.outreach(), folder / FILES[3])
    export.write_document(outreach_png(result.outreach_map_data(), areas), folder / FILES[4])
    write_frame(result.unlocated, folder / FILES[5])
    for note in result.notes:
        eprint(f"note: {note}")
    eprint(result.summary_text())
    eprint(f"written to {folder}: {', '.join(FILES)}")
    return 0

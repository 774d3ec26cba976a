"""``placebased moran``: global Moran's I of any numeric column of any polygon file."""

from __future__ import annotations

import json
import math

from placebased.commands._common import add_parser
from placebased.commands.hotspots import add_inference_args
from placebased.errors import DataError, SchemaError
from placebased.io.areas import load_areas, read_polygons
from placebased.pipeline import build_weights, format_moran, moran, parse_weights

EXAMPLES = """
  placebased moran --column imd_score --json                         # shipped Northamptonshire LSOAs
  placebased moran --boundaries columbus.shp --column CRIME --id-column POLYID --json
  placebased moran --boundaries wards.gpkg --column rate --weights knn:6 --permutations 9999 --seed 7

Contiguity (queen, rook) and knn weights work on files without a coordinate system; distance:METRES
needs one. --json prints {"I", "EI", "z", "p_sim", ...}: z is under randomisation (as spdep's
moran.test), p_sim the directed pseudo p from the permutations; the settings follow.
"""


def register(sub) -> None:
    p = add_parser(sub, "moran", "Global Moran's I of a column, for any polygon file.", EXAMPLES)
    p.add_argument("--boundaries", metavar="FILE",
                   help="polygon file (default: the shipped Northamptonshire LSOAs with their indicators)")
    p.add_argument("--id-column", metavar="COL", help="column of --boundaries holding the area ids (else guessed)")
    p.add_argument("--column", required=True, metavar="COL", help="numeric column to test")
    add_inference_args(p, local=False)
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(func=run)


def _clean(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def run(args) -> int:
    spec = parse_weights(args.weights)
    if args.boundaries:
        frame = read_polygons(args.boundaries, args.id_column)
        source = args.boundaries
    else:
        frame = load_areas()
        source = "shipped areas"
    if args.column not in frame.columns or args.column == "geometry":
        cols = [str(c) for c in frame.columns if c != "geometry"]
        raise SchemaError(f"{source}: no column {args.column!r} (columns: {', '.join(cols[:15])}"
                          f"{' ...' if len(cols) > 15 else ''}); name a numeric column with --column.")
    col = frame[args.column]
    if col.dtype.kind not in "ifu":
        raise DataError(f"{source}: column {args.column!r} is not numeric; name a numeric column with --column.")
    graph = build_weights(frame, spec.label)
    result = moran(col.astype(float), graph, permutations=args.permutations, seed=args.seed)
    if args.json:
        out = {k: _clean(v) for k, v in result.to_dict().items()}
        out["weights"] = spec.label
        out["z_kind"] = "randomisation"
        out["p_method"] = "directed pseudo p (esda 2.9 / GeoDa)"
        print(json.dumps(out))
    else:
        print(f"{args.column} on {source}; weights {spec.label} (row-standardised)")
        print(format_moran(result))
    return 0

"""``placebased hotspots``: Gi* hot/cold spots and LISA clusters of incidents per area."""

from __future__ import annotations

import argparse

from placebased.categories import resolve
from placebased.commands._common import (
    add_boundaries_args,
    add_incidents_args,
    add_parser,
    eprint,
    load_areas_from_args,
    load_incidents_from_args,
)
from placebased.errors import ConfigError, DataError
from placebased.io import export
from placebased.names import CORRECTIONS
from placebased.pipeline import (
    VARIABLES,
    build_weights,
    count_incidents,
    format_moran,
    hotspots,
    moran_rate,
    parse_weights,
    variable_values,
)

EXAMPLES = """
  placebased hotspots --out hotspots.csv                               # shipped police.uk data, counts, queen
  placebased hotspots --category serious_violence --variable eb_rate --out sv_hotspots.csv
  placebased hotspots --incidents ae.xlsx --x-column Easting --y-column Northing --crs bng \\
      --weights knn:6 --permutations 9999 --correction bonferroni --out ae_hotspots.csv
  placebased hotspots --variable imd_score --correction none --seed 1 --out imd.csv   # any area column

The CSV has columns area_code, value, gi_z, gi_p, gi_bin, lisa_i, lisa_p, lisa_cluster, then the
constant columns permutations, seed, alpha, correction, p_cutoff, gi_p_cutoff, weights, variable.
p-values are esda 2.9 / GeoDa directed pseudo p-values; an area is significant when p <= p_cutoff.
gi_bin is ArcGIS's Gi_Bin: +/-3, 2, 1 = hot/cold spot at 99/95/90 % confidence (after correction).
"""


def add_inference_args(p: argparse.ArgumentParser, local: bool = True) -> None:
    """``--weights --permutations --seed`` (and ``--alpha --correction`` for local statistics)."""
    p.add_argument("--weights", default="queen", metavar="KIND",
                   help="queen (default), rook, knn:K or distance:METRES; row-standardised")
    p.add_argument("--permutations", type=int, default=9999, metavar="N", help="permutations (default 9999)")
    p.add_argument("--seed", type=int, default=12345, metavar="S", help="random seed (default 12345)")
    if local:
        p.add_argument("--alpha", type=float, default=0.05, metavar="A", help="significance level (default 0.05)")
        p.add_argument("--correction", default="fdr", choices=list(CORRECTIONS),
                       help="multiple-testing correction (default fdr, as ArcGIS)")
        p.add_argument("--adaptive", action="store_true",
                       help="sequential Monte Carlo p-values (Besag-Clifford): areas that may be significant "
                            "keep drawing up to 999,999 permutations, so FDR over thousands of areas can pass "
                            "(use it for regional or national runs); the resolution reached is stated")


def register(sub) -> None:
    p = add_parser(sub, "hotspots", "Find hot and cold spots (Getis-Ord Gi*) and clusters (local Moran).", EXAMPLES)
    add_incidents_args(p)
    p.add_argument("--category", nargs="+", metavar="NAME",
                   help="count only these categories or groups (e.g. serious_violence); default all")
    p.add_argument("--variable", default="count", metavar="VAR",
                   help="count (default), rate (per 1,000 residents), eb_rate, seb_rate, or an area column "
                        "such as imd_score")
    add_boundaries_args(p)
    add_inference_args(p)
    p.add_argument("--out", required=True, metavar="FILE.csv", help="CSV file to write")
    p.set_defaults(func=run)


def _values(args, areas, graph):
    variable = args.variable.strip()
    if variable.lower() in VARIABLES:
        inc = load_incidents_from_args(args)
        cats = resolve(args.category, inc.categories)
        counts = count_incidents(inc.points, areas, categories=cats, without_location=inc.report.skipped).counts
        population = areas["population"] if "population" in areas.columns else None
        values = variable_values(counts["total"], population, variable.lower(), graph=graph)
        what = f"{variable.lower()} of " + (", ".join(cats) if cats else "all incidents")
        return values, counts["total"], population, what
    if args.category or args.incidents:
        raise ConfigError(f"--variable {variable!r} is an area column, so --incidents/--category do not apply; "
                          "drop them or use --variable count|rate|eb_rate|seb_rate.")
    if variable not in areas.columns or variable == "geometry":
        cols = [c for c in areas.columns if c != "geometry" and areas[c].dtype.kind in "if"]
        raise ConfigError(f"unknown --variable {variable!r}; use count, rate, eb_rate, seb_rate or a numeric "
                          f"area column ({', '.join(cols[:12])}{' ...' if len(cols) > 12 else ''}).")
    if areas[variable].dtype.kind not in "ifu":
        raise DataError(f"area column {variable!r} is not numeric; choose a numeric column.")
    return areas[variable].astype(float).rename(variable), None, None, f"area column {variable}"


def run(args) -> int:
    spec = parse_weights(args.weights)  # fail fast on a bad name, before reading anything
    areas = load_areas_from_args(args)
    graph = build_weights(areas, spec.label)
    values, counts, population, what = _values(args, areas, graph)
    result = hotspots(values, graph, permutations=args.permutations, seed=args.seed, alpha=args.alpha,
                      correction=args.correction, adaptive=args.adaptive)
    frame = result.to_frame(settings_columns=True)
    frame["weights"] = spec.label
    frame["variable"] = values.name
    export.write_table(frame, args.out, index=True)
    print(f"{what}; {len(frame)} areas; weights {spec.label} (row-standardised)")
    print(format_moran(result.moran))
    if args.variable.lower() in ("rate", "eb_rate", "seb_rate") and counts is not None:
        print(format_moran(moran_rate(counts, population, graph, permutations=args.permutations, seed=args.seed)))
    print(result.summary())
    eprint(f"wrote {args.out}")
    return 0

"""``placebased site``: where k new sites would reach the most priority residents (MCLP)."""

from __future__ import annotations

from placebased.commands._common import add_boundaries_args, add_parser, eprint, load_areas_from_args
from placebased.commands.gaps import (
    add_population_arg,
    add_provision_args,
    load_provision_from_args,
    priority_from_args,
)
from placebased.errors import ConfigError
from placebased.io import export
from placebased.io.provision import load_provision, select_types
from placebased.pipeline import area_centres, priority_weights, suggest_sites

EXAMPLES = """
  placebased site --provision example --types "GP practice" --k 5 --out sites.csv
  placebased site --provision youth_clubs.csv --k 3 --candidates schools.csv --radius 800 --out sites.csv
  placebased site --provision clubs.gpkg --k 4 --scenario my_scenario.toml --population aged_10_24 --out s.csv

Demand: each area centre, weighted by priority score x residents (scores below zero are shifted so
the lowest area scores 0). Areas already within --radius of existing provision of the chosen types
count as covered (weight 0), so k is the number of NEW sites. Candidates: the area centres, or the
points of --candidates (CSV/Excel with coordinates or postcodes, GeoJSON, GeoPackage). Solved as a
maximal covering location problem with PySAL spopt MCLP and pulp's bundled CBC solver.

The CSV has columns site_id, name, easting, northing, lat, lon, areas_newly_covered,
weighted_coverage_gained, share_gained, residents_newly_covered, newly_covered (area codes; each
newly covered area is credited to its nearest new site), then the constant columns solver, status,
radius_m, k.
"""


def register(sub) -> None:
    p = add_parser(sub, "site", "Suggest k new sites that would reach the most priority residents (MCLP).", EXAMPLES)
    add_provision_args(p)
    p.add_argument("--k", type=int, required=True, metavar="K", help="number of new sites")
    p.add_argument("--candidates", metavar="FILE", help="candidate locations (default: the area centres)")
    p.add_argument("--candidate-name-column", metavar="COL", help="column of --candidates holding names")
    p.add_argument("--time-limit", type=int, default=60, metavar="S", help="solver time limit, seconds (default 60)")
    add_population_arg(p)
    add_boundaries_args(p)
    p.add_argument("--out", required=True, metavar="FILE.csv", help="CSV file to write")
    p.set_defaults(func=run)


def run(args) -> int:
    if args.k < 1:
        raise ConfigError(f"--k {args.k}: give the number of new sites (1 or more).")
    areas = load_areas_from_args(args)
    prov = load_provision_from_args(args, areas)
    existing = select_types(prov, args.types)
    if args.population not in areas or areas[args.population].isna().all():
        raise ConfigError(f"--population {args.population}: these areas have no {args.population!r} column.")
    _tier, score, label = priority_from_args(args, areas)
    population = areas[args.population]
    candidates = None
    if args.candidates:
        candidates = load_provision(args.candidates, args.candidate_name_column, default_type="Candidate")
        eprint(f"candidates: {candidates.attrs['report'].summary()}")
    centres = area_centres(areas, args.centres)
    result = suggest_sites(areas, priority_weights(score, population), args.k, candidates=candidates,
                           radius_m=args.radius, existing=existing, population=population, centres=centres,
                           time_limit=args.time_limit)
    table = result.sites.drop(columns="geometry").assign(solver=result.solver, status=result.status,
                                                          radius_m=args.radius, k=args.k)
    export.write_table(table, args.out, index=False)
    eprint(f"weights: priority score ({label}) x {args.population}; existing provision: {len(existing):,} sites "
           f"({', '.join(args.types) if args.types else 'all types'}) count as covering")
    eprint(f"solver: {result.solver}; status: {result.status}")
    eprint(result.summary_line())
    eprint(f"{len(table)} suggested sites written to {args.out}")
    return 0

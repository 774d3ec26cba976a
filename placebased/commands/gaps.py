"""``placebased gaps``: priority areas with no provision of the chosen types within a radius."""

from __future__ import annotations

import argparse

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
from placebased.io.geography import defaults_apply
from placebased.io.provision import example_provision, load_provision
from placebased.pipeline import (
    Scenario,
    area_centres,
    areas_vintage,
    catalogue_for_vintage,
    count_incidents,
    default_scenario,
    default_weights,
    gaps,
    reach,
    score_areas_with,
    tiers_up_to,
)

EXAMPLES = """
  placebased gaps --provision example --types "GP practice" --out gp_gaps.csv     # shipped NHS example data
  placebased gaps --provision youth_clubs.csv --radius 800 --out gaps.csv        # postcodes or coordinates
  placebased gaps --provision services.xlsx --type-column Category --types "Youth club" "Sports" \\
      --scenario my_scenario.toml --tiers 10 --layer gaps.geojson --out gaps.csv   # top 10% of areas
  placebased gaps --provision example-gp --imd-tiers --tiers 2 --out gp_gaps.csv  # IMD deciles 1-2

Priority tiers come from the scoring scenario (default: Balanced, scored with the shipped police.uk
incidents or --incidents; the top tier is "top 5%"), or with --imd-tiers from IMD deciles.
The CSV has columns area_code, nearest_m, within_radius, tier, gap, then priority, population,
residents_without, nearest_name, nearest_type, per_1000, per_1000_aged_10_24, centre_method,
centre_x, centre_y and nearest_m_<type> per type. Distances are straight lines in metres from the
area centre (mean of its Code-Point Open postcodes, approximating a population-weighted centre).
A site covers an area when it lies within --radius (or the site's own radius_m) of the area centre.
--provision example / example-gp use the shipped NHS ODS list (EXAMPLE data, not youth provision).
"""


def add_provision_args(p: argparse.ArgumentParser) -> None:
    """``--provision``, its column options, ``--types --radius --centres`` and the priority options."""
    p.add_argument("--provision", required=True, metavar="FILE",
                   help="provision points or service areas (CSV/Excel with coordinates or postcodes, GeoJSON, "
                        "GeoPackage); 'example' = shipped NHS services, 'example-gp' = GP practices only")
    p.add_argument("--types", nargs="+", metavar="TYPE", help="provision types to count (default: all types)")
    p.add_argument("--radius", type=float, default=1000.0, metavar="M", help="coverage radius in metres (default 1000)")
    p.add_argument("--site-name-column", metavar="COL", help="column of --provision with site names")
    p.add_argument("--type-column", metavar="COL", help="column of --provision with the provision type or category")
    p.add_argument("--postcode-column", metavar="COL", help="column of --provision with postcodes")
    p.add_argument("--site-x-column", metavar="COL", help="column of --provision with easting or longitude")
    p.add_argument("--site-y-column", metavar="COL", help="column of --provision with northing or latitude")
    p.add_argument("--site-crs", choices=["wgs84", "bng"], help="coordinate system of the site x/y columns")
    p.add_argument("--centres", default="postcode_mean", choices=["postcode_mean", "representative_point"],
                   help="area centre: mean of its postcodes (default) or a point inside the polygon")
    p.add_argument("--scenario", metavar="FILE.toml",
                   help="scoring scenario for the priority tiers and scores (default: the Balanced scenario)")
    p.add_argument("--imd-tiers", action="store_true",
                   help="use IMD deciles as tiers (decile 1 = top) and the IMD score instead of a scenario")
    add_incidents_args(p)


def add_population_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--population", default="population", choices=["population", "aged_10_24"],
                   help="residents to count: all (default) or aged 10-24")


def load_provision_from_args(args, areas=None):
    key = args.provision.strip().lower()
    if key in ("example", "example-nhs", "example-gp"):
        if not defaults_apply(areas):
            raise ConfigError(f"--provision {args.provision}: the shipped example lists NHS sites in Northamptonshire "
                              "only, not in these areas; give your own provision file with --provision FILE.")
        prov = example_provision("gp" if key == "example-gp" else "nhs")
        eprint(f"note: {prov.attrs['label']}")
        return prov
    return load_provision(args.provision, args.site_name_column, args.type_column,
                          postcode_column=args.postcode_column, x_column=args.site_x_column,
                          y_column=args.site_y_column, crs=args.site_crs)


def priority_from_args(args, areas):
    """Tier and score per area: the scoring scenario (``--scenario`` or the default) or IMD deciles.

    Returns ``(tier, score, label)``; with ``--imd-tiers`` the IMD deciles (tier = decile, 1 = top) and
    the IMD score.
    """
    if args.imd_tiers:
        if args.scenario:
            raise ConfigError("--scenario and --imd-tiers exclude each other.")
        if "imd_decile" not in areas or areas["imd_decile"].isna().all():
            raise ConfigError("no IMD deciles for these areas; give --scenario with your own indicators.")
        iod = f"IMD {areas.attrs.get('vintage', 2025)}"
        label = f"{iod}: tier = decile (1 = most deprived = top), score = {iod} score"
        return areas["imd_decile"], areas["imd_score"], label
    return scoring_priority(args, areas)


def scoring_priority(args, areas):
    """Score the areas with the scenario (no robustness draws: only score and tier are needed), through
    the same sequence as ``placebased score`` (:func:`placebased.pipeline.score_areas_with`)."""
    scenario = Scenario.load(args.scenario) if args.scenario else default_scenario()
    catalogue = catalogue_for_vintage(areas_vintage(areas))
    weights = scenario.weights or default_weights(catalogue)
    uses_incidents = any(w > 0 and k in catalogue and catalogue[k].incidents for k, w in weights.items())
    counts = None
    if uses_incidents:
        inc = load_incidents_from_args(args)
        counts = count_incidents(inc.points, areas, without_location=inc.report.skipped).counts
    result, _table, note = score_areas_with(areas, counts, scenario, robustness_draws=0)
    if note:
        eprint(f"note: {note}")
    frame = result.table
    return frame["tier"], frame["score"], f"scoring scenario {scenario.name!r} ({scenario.normalisation})"


def register(sub) -> None:
    p = add_parser(sub, "gaps", "Find priority areas with no provision of the chosen types within a radius.", EXAMPLES)
    add_provision_args(p)
    p.add_argument("--tiers", nargs="+", metavar="TIER",
                   help="tiers that count as priority (default: the top tier); 10 or 'top 10%%' = every area in "
                        "the top 10%%; with --imd-tiers, 2 = deciles 1-2")
    add_population_arg(p)
    add_boundaries_args(p)
    p.add_argument("--layer", metavar="FILE.geojson", help="also write the gap areas as GeoJSON (WGS84)")
    p.add_argument("--out", required=True, metavar="FILE.csv", help="CSV file to write")
    p.set_defaults(func=run)


def _parse_tiers(values, tier):
    """``--tiers`` words -> tier values; ``10`` / ``10%`` / ``"top 10%"`` mean every tier up to the top 10%."""
    if not values:
        return None
    if tier.dtype.kind in "iuf":
        try:
            return sorted({t for v in values for t in tiers_up_to(tier, float(v))})
        except ValueError:
            raise ConfigError(f"--tiers {' '.join(values)}: tiers here are numbers "
                              f"({', '.join(map(str, sorted(tier.dropna().unique())))}).") from None
    out = []
    for v in values:
        out += [t for t in tiers_up_to(tier, v) if t not in out]
    return out


def run(args) -> int:
    areas = load_areas_from_args(args)
    prov = load_provision_from_args(args, areas)
    rep = prov.attrs.get("report")
    if rep is not None:
        eprint(f"provision: {rep.summary()}")
    if args.population not in areas or areas[args.population].isna().all():
        raise ConfigError(f"--population {args.population}: these areas have no {args.population!r} column.")
    tier, _score, tier_label = priority_from_args(args, areas)
    centres = area_centres(areas, args.centres)
    r = reach(areas, prov, radius_m=args.radius, types=args.types, centres=centres)
    who = "residents" if args.population == "population" else "residents aged 10-24"
    result = gaps(r, tier, areas[args.population], priority_tiers=_parse_tiers(args.tiers, tier), areas=areas,
                  population_label=who)
    export.write_table(result.table, args.out, index=True)
    if args.layer:
        export.write_document(export.geojson_bytes(result.layer), args.layer)
    eprint(f"tiers: {tier_label}; centres: {centres.label}")
    eprint(result.summary_line)
    eprint(f"{len(result.table):,} areas ({result.n_gaps} gaps) written to {args.out}")
    return 0

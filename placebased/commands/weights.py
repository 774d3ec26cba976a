"""``placebased weights``: evidence-informed weights from a count regression (``--suggest``)."""

from __future__ import annotations

from placebased.categories import GROUPS
from placebased.commands._common import (
    add_boundaries_args,
    add_incidents_args,
    add_parser,
    eprint,
    load_areas_from_args,
)
from placebased.commands.score import indicator_table_from_args, scenario_from_args
from placebased.errors import ConfigError
from placebased.pipeline import build_weights, catalogue_frame, default_predictors, fit_count_model

EXAMPLES = """
  placebased weights --suggest                                      # shipped police.uk data, Balanced predictors
  placebased weights --suggest --incidents data/ --out evidence.toml
  placebased weights --suggest --predictors imd_score idaci_score under25_share --family poisson
  placebased weights --suggest --outcome-weight 40 --spatial none --out evidence.toml
  placebased weights --list                                         # the indicator catalogue
"""


def register(sub) -> None:
    p = add_parser(sub, "weights", "Show the indicator catalogue, or suggest weights from a regression of "
                   "serious-violence counts on the indicators (association, not cause).", EXAMPLES)
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--suggest", action="store_true", help="fit the regression and print a suggested scenario")
    mode.add_argument("--list", action="store_true", help="print the indicator catalogue")
    add_incidents_args(p)
    add_boundaries_args(p)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--scenario", metavar="FILE.toml", help="base scenario (predictors and settings)")
    g.add_argument("--preset", metavar="NAME", help="base preset: balanced (default), deprivation-led, violence-led")
    p.add_argument("--table", nargs="+", metavar="FILE", default=[], help="your own LSOA tables as indicators")
    p.add_argument("--code-column", metavar="COL", help="area code column of --table files (else detected)")
    p.add_argument("--outcome", default="serious_violence", metavar="GROUP",
                   help="category group whose counts are the outcome (default serious_violence)")
    p.add_argument("--predictors", nargs="+", metavar="ID",
                   help="indicator ids (default: the base scenario's, less those derived from the outcome)")
    p.add_argument("--family", default="negbin", help="negbin (default) or poisson")
    p.add_argument("--spatial", default="auto", help="auto (default), lag, error or none")
    p.add_argument("--outcome-weight", type=float, default=50.0, metavar="PCT",
                   help="share of the outcome's own EB rate in the suggested weights (default 50)")
    p.add_argument("--keep-uncertain", action="store_true",
                   help="also weight predictors whose 95%% CI includes 0 (default: weight 0)")
    p.add_argument("--permutations", type=int, default=9999, help="permutations for residual Moran's I (default 9999)")
    p.add_argument("--seed", type=int, default=12345, help="seed for residual Moran's I")
    p.add_argument("--out", metavar="FILE.toml", help="save the suggested scenario here")
    p.set_defaults(func=run)


def run(args) -> int:
    if args.list:
        cat = catalogue_frame()
        for ind_id, row in cat.iterrows():
            w = f"{row['default_weight']:g}" if row["default_weight"] else "-"
            print(f"{ind_id:<28} {row['direction']:<6} {w:>4}  {row['label']} [{row['unit']}]")
        return 0
    if args.outcome not in GROUPS:
        raise ConfigError(f"unknown outcome group {args.outcome!r}; choose one of {', '.join(GROUPS)}.")
    base = scenario_from_args(args)
    areas = load_areas_from_args(args)
    table, counts = indicator_table_from_args(args, areas, base.weights)
    predictors = args.predictors or default_predictors(base.weights, args.outcome, table.columns)
    outcome_col = f"{args.outcome}_count"
    if outcome_col not in table.columns:
        raise ConfigError(f"the incidents hold no {args.outcome} categories; choose another --outcome.")
    result = fit_count_model(
        table[outcome_col], table, areas["population"], predictors, family=args.family,
        graph=build_weights(areas, "queen"), spatial=args.spatial, permutations=args.permutations,
        seed=args.seed, outcome=args.outcome, directions=base.directions,
    )
    print(result.table())
    print()
    prop = result.proposed_weights(require_significance=not args.keep_uncertain)
    print("proposed weights among predictors (standardised effect in the direction of need):")
    for term, row in prop.iterrows():
        why = f" ({row['excluded_because']})" if row["excluded_because"] else ""
        print(f"  {term:<28} effect {row['aligned_effect']:+.3f}  share {row['share_pct']:5.1f}%{why}")
    scenario = result.suggest_scenario(args.outcome_weight, base=base,
                                       require_significance=not args.keep_uncertain)
    print()
    print("# suggested scenario (adopt with: placebased score --scenario FILE.toml)")
    print(scenario.to_toml(), end="")
    if args.out:
        scenario.save(args.out)
        eprint(f"scenario written to {args.out}")
    return 0

"""``placebased evaluate``: did it work? And, with ``--plan``, what could an evaluation detect?"""

from __future__ import annotations

from placebased.categories import resolve
from placebased.commands._common import (
    _month,
    add_boundaries_args,
    add_incidents_args,
    add_parser,
    eprint,
    load_areas_from_args,
    load_incidents_from_args,
)
from placebased.errors import ConfigError
from placebased.io import export
from placebased.io.export import write_table
from placebased.pipeline import MatchSettings, evaluate_incidents, evaluation_plot, plan_incidents, read_targets

EXAMPLES = """
  placebased evaluate --targets targets.csv --start 2025-06 --category serious_violence --out eval.csv \\
      --plot eval.png
  placebased evaluate --targets backup.json --selection "Kings Heath" --start 2025-06 --out eval.csv
  placebased evaluate --plan --targets targets.csv --months-after 12 --category serious_violence --out plan.csv

--targets: a CSV with a column area_code (or LSOA21CD, lsoa_code; else the first column), or a saved
target selection JSON ('placebased saved --export'). The evaluation CSV has one row with columns
rate_ratio, ci_low, ci_high, p_value, n_targets, n_comparisons, pre_months, post_months, pretrend_p,
method, then the settings and the displacement check (the ring of areas bordering the targets).
Comparisons: --k nearest areas per target (without replacement) on the pre-period rates (first and
second half), IMD score, population and --match-on indicators, within --caliper (RMS difference in
standard deviations); areas bordering a target excluded unless --allow-neighbours. The rate ratio is
exp(beta) of a Poisson GLM with area and month effects, SE clustered by area, t(G-1) interval.
--plan: the minimum detectable rate ratio (80% power, alpha 0.05 by default) by --sims simulations
(seed --seed) on the areas' own history; --months-before defaults to the months of history.
"""


def register(sub) -> None:
    p = add_parser(sub, "evaluate", "Evaluate targets against matched comparison areas, or plan (--plan) "
                   "what an evaluation could detect.", EXAMPLES)
    p.add_argument("--targets", required=True, metavar="FILE",
                   help="target areas: CSV of codes or saved selection JSON")
    p.add_argument("--selection", metavar="NAME", help="which selection of a saved-work JSON holding several")
    p.add_argument("--start", metavar="YYYY-MM", help="first month of the intervention (needed unless --plan)")
    p.add_argument("--end", metavar="YYYY-MM", help="last month to use (default: the last in the data)")
    add_incidents_args(p, date_range=False)
    p.add_argument("--category", nargs="+", metavar="NAME",
                   help="count only these categories or groups (e.g. serious_violence); default all")
    add_boundaries_args(p)
    p.add_argument("--k", type=int, default=3, help="comparison areas per target (default 3)")
    p.add_argument("--caliper", type=float, default=1.0,
                   help="largest RMS standardised difference of a match (default 1.0)")
    p.add_argument("--match-on", nargs="+", default=[], metavar="COL",
                   help="more area columns to match on, e.g. income_score health_score")
    p.add_argument("--allow-neighbours", action="store_true", help="let areas bordering a target be comparisons")
    p.add_argument("--plot", metavar="FILE.png", help="also write the targets-vs-comparisons chart")
    p.add_argument("--plan", action="store_true", help="plan: the minimum detectable effect, before starting")
    p.add_argument("--months-after", type=int, metavar="N", help="--plan: months after the start")
    p.add_argument("--months-before", type=int, metavar="N", help="--plan: months before (default: the history)")
    p.add_argument("--power", type=float, default=0.8, help="--plan: power (default 0.8)")
    p.add_argument("--alpha", type=float, default=0.05, help="significance level, two-sided (default 0.05)")
    p.add_argument("--sims", type=int, default=200, help="--plan: number of simulations (default 200)")
    p.add_argument("--seed", type=int, default=12345, help="--plan: random seed (default 12345)")
    p.add_argument("--out", metavar="FILE.csv", help="CSV to write (required unless --plan)")
    p.set_defaults(func=run)


def _write(frame, path) -> None:
    write_table(frame, path, index=False)


def run(args) -> int:
    if args.plan and not args.months_after:
        raise ConfigError("--plan needs --months-after N (months the intervention will run), e.g. 12.")
    if not args.plan and not args.start:
        raise ConfigError("--start YYYY-MM is needed (the intervention's first month), or use --plan.")
    if not args.plan and not args.out:
        raise ConfigError("--out FILE.csv is needed for an evaluation.")
    if not 0 < args.alpha < 1:
        raise ConfigError(f"--alpha must lie between 0 and 1 (got {args.alpha}); e.g. 0.05.")
    start, end = _month(args.start, "start"), _month(args.end, "end")
    areas = load_areas_from_args(args)
    targets = read_targets(args.targets, areas.index, args.selection)
    inc = load_incidents_from_args(args)
    cats = resolve(args.category, inc.categories)
    settings = MatchSettings(k=args.k, caliper=args.caliper, exclude_neighbours=not args.allow_neighbours,
                             indicators=tuple(args.match_on))
    if args.plan:
        plan = plan_incidents(inc.points, areas, targets, args.months_after, cats, args.months_before, settings,
                              end=end, power=args.power, alpha=args.alpha, n_sims=args.sims, seed=args.seed)
        print(plan.plain_words())
        for note in plan.notes:
            eprint(f"note: {note}")
        if plan.unmatched:
            eprint(f"note: no comparison within the caliper for {', '.join(plan.unmatched)} (left out)")
        if args.out:
            _write(plan.summary_row(), args.out)
            eprint(f"plan written to {args.out}")
        return 0
    result = evaluate_incidents(inc.points, areas, targets, start, cats, settings, end=end, alpha=args.alpha)
    _write(result.summary_row(), args.out)
    if args.plot:
        export.write_document(evaluation_plot(result), args.plot)
    print(result.text())
    for note in result.notes:
        eprint(f"note: {note}")
    eprint(f"{result.estimate.n_targets} targets, {result.estimate.n_comparisons} comparisons "
           f"({settings.describe()}); written to {args.out}" + (f" and {args.plot}" if args.plot else ""))
    return 0

"""``placebased score``: composite priority score, rank, tiers, explanation and robustness."""

from __future__ import annotations

import pandas as pd

from placebased.commands._common import (
    add_boundaries_args,
    add_incidents_args,
    add_parser,
    eprint,
    load_areas_from_args,
    load_incidents_from_args,
)
from placebased.io import export
from placebased.pipeline import (
    GI_WEIGHTS,
    Scenario,
    count_incidents,
    default_scenario,
    incident_line,
    indicator_table,
    needed_gi_groups,
    preset,
    read_user_table,
    scope_label,
    score_areas_with,
)

EXAMPLES = """
  placebased score --out score.csv                                   # Balanced preset, shipped police.uk data
  placebased score --preset violence-led --top 30 --out score.csv
  placebased score --scenario scenarios/deprivation-led.toml --out score.csv
  placebased score --table ae_assaults.csv exclusions.xlsx --scenario my.toml --out score.csv
  placebased score --draws 0 --out score.csv                         # skip the robustness draws
  placebased score --preset balanced --top 25 --save-scenario board_nov.toml --out score.csv
"""


def register(sub) -> None:
    p = add_parser(sub, "score", "Score, rank and tier areas by a weighted composite of indicators "
                   "(settings and weights go to stdout).", EXAMPLES)
    add_incidents_args(p)
    add_boundaries_args(p)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--scenario", metavar="FILE.toml", help="scenario file (weights, normalisation, settings)")
    g.add_argument("--preset", metavar="NAME",
                   help="shipped scenario: balanced (default), deprivation-led, violence-led")
    p.add_argument("--table", nargs="+", metavar="FILE", default=[],
                   help="your own LSOA tables (CSV/Excel: area code + value columns) added as indicators")
    p.add_argument("--code-column", metavar="COL", help="area code column of --table files (else detected)")
    p.add_argument("--top", type=int, metavar="N", help="top N for p_top_n (overrides the scenario)")
    p.add_argument("--draws", type=int, metavar="N", help="robustness draws (overrides the scenario; 0 = none)")
    p.add_argument("--seed", type=int, metavar="N", help="seed of the draws (overrides the scenario)")
    p.add_argument("--normalisation", metavar="NAME", help="percentile, zscore or minmax (overrides the scenario)")
    p.add_argument("--missing", metavar="POLICY", help="exclude, median or zero (overrides the scenario)")
    p.add_argument("--save-scenario", metavar="FILE.toml",
                   help="also save the scenario as used (with the overrides above) so a paper can cite it")
    p.add_argument("--out", required=True, metavar="FILE.csv", help="CSV file to write")
    p.set_defaults(func=run)


def scenario_from_args(args):
    """The scenario named by --scenario/--preset with the command-line overrides applied."""
    if getattr(args, "scenario", None):
        sc = Scenario.load(args.scenario)
    elif getattr(args, "preset", None):
        sc = preset(args.preset)
    else:
        sc = default_scenario()
    changes = {}
    for arg, fieldname in (("top", "top_n"), ("draws", "draws"), ("seed", "seed"),
                           ("normalisation", "normalisation"), ("missing", "missing")):
        value = getattr(args, arg, None)
        if value is not None:
            changes[fieldname] = value
    return sc.replace(**changes) if changes else sc


def counts_from_args(args, areas):
    """Incident counts per area and category (``CountResult``), with the one-line load summary on stderr."""
    inc = load_incidents_from_args(args, optional=True)
    counts = count_incidents(inc.points, areas, without_location=inc.report.skipped)
    if inc.empty:  # deprivation-only mode: no incident indicators at all (not zeros)
        counts.counts = None
        return counts
    eprint("incidents: " + incident_line(inc.report, counts.report.in_area, counts.report.outside,
                                         scope=scope_label(None, getattr(args, "start", None),
                                                           getattr(args, "end", None))))
    return counts


def tables_from_args(args, areas) -> list:
    return [read_user_table(path, areas.index, code_column=getattr(args, "code_column", None))
            for path in getattr(args, "table", []) or []]


def indicator_table_from_args(args, areas, weights):
    """Indicator table (:func:`placebased.pipeline.indicator_table`) and the counts, from the arguments."""
    counts = counts_from_args(args, areas)
    return indicator_table(areas, counts.counts, weights=weights, tables=tables_from_args(args, areas)), counts


def needed_groups(sc) -> list[str]:
    return needed_gi_groups(sc.weights)


def run(args) -> int:
    sc = scenario_from_args(args)
    areas = load_areas_from_args(args)
    result, _table, note = score_areas_with(areas, counts_from_args(args, areas).counts, sc,
                                            tables=tables_from_args(args, areas))
    if note:
        eprint(f"note: {note}")
    frame = result.to_frame()
    export.write_table(result.to_table(), args.out, index=True)  # the CSV states its own settings
    print(result.summary())
    if any(f"{g}_gi_z" in result.weights for g in needed_groups(sc)):
        print(f"note: Gi* z-scores computed on {GI_WEIGHTS} contiguity (row-standardised, area itself included)")
    eff = result.weights_frame()
    print("effective weights (chosen % -> share of score variance %, correlation with score):")
    for ind_id, row in eff.iterrows():
        print(f"  {ind_id:<28} {row['weight_pct']:5.1f}% -> {row['variance_share_pct']:5.1f}%, r = "
              f"{row['corr_with_score']:.2f}")
    top = frame.sort_values("rank").head(min(10, sc.top_n))
    print(f"top {len(top)} areas (rank, 90% rank interval, P(top {sc.top_n})):")
    for code, row in top.iterrows():
        interval = "" if pd.isna(row["rank_p05"]) else f" [{row['rank_p05']}-{row['rank_p95']}]"
        p = "" if pd.isna(row["p_top_n"]) else f" p={row['p_top_n']:.2f}"
        print(f"  {row['rank']:>4}{interval}{p}  {code} {row['area_name']}: score {row['score']:.1f}")
    if args.save_scenario:
        sc.save(args.save_scenario)
        eprint(f"scenario written to {args.save_scenario}")
    eprint(f"{len(frame):,} areas written to {args.out}")
    return 0

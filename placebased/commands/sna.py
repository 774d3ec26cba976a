"""``placebased sna``: deprivation and concentration tables, and the needs-assessment PDF."""

from __future__ import annotations

from pathlib import Path

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
from placebased.outputs.sna_report import render_report, table_frames
from placebased.pipeline import sna, sna_analysis

EXAMPLES = """
  placebased sna --tables sna/                             # serious violence, shipped police.uk data
  placebased sna --category Robbery --start 2025-04 --end 2025-09 --tables robbery/
  placebased sna --domain income --domain crime --tables sna/ --out sna.pdf
  placebased sna --incidents partner.csv --x-column Easting --y-column Northing --crs bng --out sna.pdf
"""

#: files written by --tables (the first two are the contract of issue 16)
TABLE_FILES = ("by_decile.csv", "concentration.csv", "by_lad.csv", "rate_ratio.csv", "lorenz.csv", "by_domain.csv")


def register(sub) -> None:
    p = add_parser(sub, "sna", "Needs assessment: incidents by deprivation decile and their concentration across "
                              "areas (tables and a PDF report).", EXAMPLES)
    add_incidents_args(p)
    p.add_argument("--category", nargs="+", metavar="NAME",
                   help="categories or groups to count (default: serious_violence; 'all' for every category)")
    p.add_argument("--domain", action="append", metavar="NAME", default=[],
                   help="also tabulate by this IoD domain's decile (income, employment, education, health, "
                        "crime, barriers, living_env, idaci, ...; repeat for more)")
    add_boundaries_args(p)
    p.add_argument("--tables", metavar="DIR",
                   help="folder to write by_decile.csv, concentration.csv, by_lad.csv, rate_ratio.csv, lorenz.csv "
                        "and by_domain.csv (created if missing)")
    p.add_argument("--out", metavar="FILE.pdf", help="write the needs-assessment PDF report")
    p.add_argument("--threshold", type=int, default=5, metavar="N",
                   help="PDF: counts below N are suppressed (default 5)")
    p.add_argument("--permutations", type=int, default=9999, metavar="R",
                   help="PDF: permutations of the hot spot statistics behind the priority score (default 9999)")
    p.add_argument("--seed", type=int, default=12345, help="PDF: seed of the permutations (default 12345)")
    p.add_argument("--scenario", metavar="FILE.toml", help="PDF: scoring scenario (default: Balanced)")
    p.add_argument("--hospital", nargs="+", metavar="FILE",
                   help="PDF: hospital/A&E extracts for the monitoring section (knife-assault admissions)")
    p.add_argument("--no-monitoring", action="store_true",
                   help="PDF: leave out the monitoring section (it re-reads the incident files)")
    p.add_argument("--survey", metavar="FILE", help="PDF: survey responses with postcodes (community-voice section)")
    p.add_argument("--ae", metavar="FILE", nargs="+",
                   help="PDF: A&E (ISTV) or partner records with arrival times (day x hour section)")
    p.add_argument("--harm", metavar="FILE.csv", help="PDF: crime-harm table (category,weight) for harm weighting")
    p.set_defaults(func=run)


def write_tables(result, folder) -> list[Path]:
    """Write the tables of a :class:`placebased.score.sna.SNAResult` into ``folder`` (each file whole or not at all)."""
    folder = Path(folder)
    frames = table_frames(result)
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"--tables {folder}: this is a file; give a folder.")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in frames.items():
        _write(frame, folder / name)
        written.append(folder / name)
    return written


def _partner_inputs(args) -> dict:
    """Inputs of the PDF's partner-data sections (see :func:`placebased.profile_record.partner_sections`)."""
    out: dict[str, dict] = {}
    if not args.no_monitoring:
        opts = {k: getattr(args, k) for k in ("x_column", "y_column", "crs", "category_column", "date_column")
                if getattr(args, k, None)}
        out["monitoring"] = {"incidents": args.incidents, "hospital": args.hospital, **opts}
    if args.survey:
        out["survey"] = {"responses": args.survey}
    if args.ae:
        out["partner_times"] = {"data": args.ae if len(args.ae) > 1 else args.ae[0]}
    if args.harm:
        out["harm"] = {"table": args.harm}
    return out


def _write(frame, path: Path) -> None:
    write_table(frame, path, index=False)


def run(args) -> int:
    if not args.tables and not args.out:
        raise ConfigError("say what to write: --tables DIR (CSV tables) and/or --out FILE.pdf (the report).")
    if args.out and not str(args.out).lower().endswith(".pdf"):
        raise ConfigError(f"--out {args.out}: give a file name ending in .pdf.")
    if args.threshold < 1:
        raise ConfigError(f"--threshold {args.threshold}: must be 1 or more (5 is usual; 10 for ONS outputs).")
    areas = load_areas_from_args(args)
    choices = sna.domain_choices(areas)
    bad = [d for d in args.domain if d not in choices]
    if bad:
        raise ConfigError(f"--domain {bad[0]!r} is not available for these areas; choose one of: "
                          f"{', '.join(choices) or 'none (deciles exist for LSOAs only)'}.")
    inc = load_incidents_from_args(args)
    settings = sna.SNASettings(categories=tuple(args.category or ("serious_violence",)),
                               start=_month(args.start, "start"), end=_month(args.end, "end"),
                               domains=tuple(dict.fromkeys(args.domain)))
    result = sna_analysis(areas, inc.points, settings, without_location=inc.report.skipped)
    h = result.headline()
    eprint(f"{result.describe()}; deciles 1-2: {h['share_deciles_1_2']:.1%} of incidents, "
           f"{h['residents_deciles_1_2']:.1%} of residents; {result.deciles.rate_ratio.describe()}; "
           f"top 10% of areas: {h['share_top_10pct']:.1%}; Gini {h['gini']:.3f}")
    for note in result.notes:
        eprint(f"note: {note}")
    pdf = None
    if args.out:  # build the report before writing anything, so a failure leaves no files behind
        from placebased.profile_record import needs_context

        ctx = needs_context(areas, inc, result, scenario=args.scenario, permutations=args.permutations,
                            seed=args.seed, partner_inputs=_partner_inputs(args), threshold=args.threshold)
        pdf = render_report(ctx, threshold=args.threshold)
    if args.tables:
        written = write_tables(result, args.tables)
        eprint(f"wrote {len(written)} tables to {args.tables}")
    if pdf is not None:
        export.write_document(pdf, args.out)
        eprint(f"wrote {args.out} ({len(pdf) / 1024:.0f} KB)")
    return 0

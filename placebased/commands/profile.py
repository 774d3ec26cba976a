"""``placebased profile``: PDF area profiles (one area, a group of areas, or one PDF per area)."""

from __future__ import annotations

import time

from placebased.categories import resolve, sensitive_rules, sensitive_summary
from placebased.commands._common import (
    _month,
    add_boundaries_args,
    add_incidents_args,
    add_parser,
    eprint,
    load_areas_from_args,
    load_incidents_from_args,
)
from placebased.errors import ConfigError, file_error
from placebased.io import export, resultcache
from placebased.io.tables import read_table
from placebased.pipeline import Sources

EXAMPLES = """
  placebased profile --area E01026949 --out profile.pdf
  placebased profile --area E01026949 --area E01026950 --group-name "Kingswood" --public --out kingswood.pdf
  placebased profile --each profiles/                       # one PDF per area (all areas)
  placebased profile --area E01026949 --incidents partner.csv --threshold 10 --public --out public.pdf
  placebased profile --area E01026949 --scenario scenario.toml --notes notes.csv --out profile.pdf
  placebased profile --area E01026949 --area E01026950 --evaluate-start 2025-06 --out did_it_work.pdf
"""


def register(sub) -> None:
    p = add_parser(sub, "profile", "Write PDF area profiles (A4, disclosure-controlled).", EXAMPLES)
    p.add_argument("--area", action="append", metavar="CODE",
                   help="area code to profile (repeat for a group; with --each: only these areas)")
    p.add_argument("--group-name", metavar="NAME", help="title of a group profile (several --area)")
    p.add_argument("--out", metavar="FILE.pdf", help="PDF file to write (one profile of the --area codes)")
    p.add_argument("--each", metavar="DIR", help="write one PDF per area (<code>.pdf) into this folder")
    p.add_argument("--public", action="store_true",
                   help="public version: counts rounded to the nearest 5 (1-4 as <5), sensitive categories "
                        "(sexual offences, domestic abuse, stalking...) hidden below 10 and left out of totals")
    p.add_argument("--sensitive-labels", metavar="FILE",
                   help="more category labels to treat as sensitive: text, one per line, or TOML like "
                        "placebased/data/sensitive_categories.toml (added to the shipped list and to "
                        "PLACEBASED_SENSITIVE_FILE)")
    p.add_argument("--threshold", type=int, default=5, metavar="N",
                   help="show counts from 1 to N-1 as '<N' (default 5)")
    p.add_argument("--scenario", metavar="FILE.toml",
                   help="scoring scenario for the priority score (default: Balanced)")
    p.add_argument("--notes", metavar="FILE.csv", help="CSV with area_code and note (or reason) columns")
    p.add_argument("--permutations", type=int, default=9999, metavar="R", help="hot spot permutations (default 9999)")
    p.add_argument("--seed", type=int, default=12345, help="seed of the permutations (default 12345)")
    p.add_argument("--alpha", type=float, default=0.05, help="significance level (default 0.05)")
    p.add_argument("--correction", default="fdr", help="multiple-testing correction: fdr, bonferroni or none")
    p.add_argument("--workers", type=int, default=2, help="processes for --each (default 2)")
    p.add_argument("--evaluate-start", metavar="YYYY-MM",
                   help="add a 'Did it work?' section to the --out profile: the --area codes evaluated as the "
                        "targets of an intervention that started this month, against matched comparison areas "
                        "(as 'placebased evaluate')")
    p.add_argument("--evaluate-category", nargs="+", metavar="NAME",
                   help="with --evaluate-start: count these categories or groups (default serious_violence)")
    add_incidents_args(p)
    add_boundaries_args(p)
    p.set_defaults(func=run)


def _read_notes(path):
    frame = read_table(path, "notes")  # encodings, separators, binary files, size limits, one-line errors
    if "area_code" not in frame.columns:
        raise file_error(path, f"no area_code column (columns: {', '.join(frame.columns)})",
                         "add area_code and note columns")
    return frame


#: the files whose code builds what :func:`_context` saves (besides the package's computing modules)
_BUILT_BY = ("profile_record.py", "outputs/staticmap.py", "commands/_common.py", "commands/profile.py")


def _context_key(args) -> tuple:
    """The sources and settings of the profiles' shared context (what :func:`_context` is keyed on)."""
    src = Sources(vintage=args.vintage, boundaries=args.boundaries, id_column=args.id_column,
                  incidents=tuple(args.incidents or ()))
    files = {f: resultcache.file_state(getattr(args, f)) for f in ("scenario", "notes", "harm_table")
             if getattr(args, f, None)}
    settings = tuple((k, getattr(args, k, None)) for k in (
        "name_column", "la", "force", "x_column", "y_column", "crs", "category_column", "date_column",
        "weight_column", "date_format", "harm_table", "start", "end", "scenario", "notes", "permutations", "seed",
        "alpha", "correction"))
    return src, settings, tuple(sorted(files.items()))


def _context(args):
    """``(context, number of incidents, incidents or None)``: computed (areas, incidents, then
    :meth:`ProfileContext.build`), or read from the result cache (:mod:`placebased.io.resultcache`) when an
    earlier run had the same inputs, settings and code; the incidents are loaded only when computed."""
    from placebased.profile_record import ProfileContext  # matplotlib and fpdf: not for --help

    loaded = {}

    def compute():
        areas = load_areas_from_args(args)
        if args.area:
            ProfileContext(areas=areas).check_codes(args.area)  # fail fast, before the statistics
        inc = loaded["inc"] = load_incidents_from_args(args, optional=True)
        notes = _read_notes(args.notes) if args.notes else None
        ctx = ProfileContext.build(areas, inc.points, scenario=args.scenario, notes=notes,
                                   permutations=args.permutations, seed=args.seed, alpha=args.alpha,
                                   correction=args.correction)
        return ctx, len(inc.points)

    src, settings, files = _context_key(args)
    version = resultcache.code_version(computing=_BUILT_BY)
    ctx, n_incidents = resultcache.disk_cached("profile", compute, src, settings, files, version=version)
    return ctx, n_incidents, loaded.get("inc")


def run(args) -> int:
    from placebased.profile_record import evaluate_profile, render_profile, write_profiles_each

    if not args.out and not args.each:
        raise ConfigError("say where to write: --out FILE.pdf (one profile) or --each DIR (one PDF per area).")
    if args.out and not args.area:
        raise ConfigError("--out needs at least one --area CODE (or use --each DIR for every area).")
    if args.threshold < 1:
        raise ConfigError(f"--threshold {args.threshold}: must be 1 or more (5 is usual; 10 for ONS outputs).")
    if args.out and not str(args.out).lower().endswith(".pdf"):
        raise ConfigError(f"--out {args.out}: give a file name ending in .pdf.")
    if (args.evaluate_start or args.evaluate_category) and not (args.out and args.area):
        raise ConfigError("--evaluate-start evaluates the --area codes of the --out profile: give --area CODE "
                          "and --out FILE.pdf.")
    if args.evaluate_category and not args.evaluate_start:
        raise ConfigError("--evaluate-category needs --evaluate-start YYYY-MM (the intervention's first month).")
    evaluate_start = _month(args.evaluate_start, "evaluate-start")
    rules = sensitive_rules(extra_file=args.sensitive_labels)  # a bad file stops here, before the statistics
    t0 = time.perf_counter()
    ctx, n_incidents, inc = _context(args)
    codes = ctx.check_codes(args.area) if args.area else None
    saved = inc is None
    if evaluate_start:
        inc = inc or load_incidents_from_args(args, optional=True)
        cats = resolve(args.evaluate_category, inc.categories) if args.evaluate_category else None
        evaluate_profile(ctx, inc.points, codes, evaluate_start, cats)
        e = ctx.evaluation.estimate
        eprint(f"evaluated {e.n_targets} target areas from {evaluate_start} against {e.n_comparisons} comparisons: "
               f"rate ratio {e.rate_ratio:.2f} ({e.ci_low:.2f} to {e.ci_high:.2f})")
    eprint(f"prepared {len(ctx.areas):,} areas and {n_incidents:,} incidents in {time.perf_counter() - t0:.1f} s"
           + (" (saved results of an earlier run with the same inputs; PLACEBASED_APP_CACHE=off recomputes)"
              if saved else ""))
    eprint(sensitive_summary([c for c in ctx.counts.columns if c != "total"] if ctx.counts is not None else [],
                             rules))
    if args.out:
        pdf = render_profile(ctx, codes, group_name=args.group_name, public=args.public, threshold=args.threshold,
                             rules=rules)
        export.write_document(pdf, args.out)
        eprint(f"wrote {args.out} ({len(pdf) / 1024:.0f} KB)")
    if args.each:
        t1 = time.perf_counter()
        paths = write_profiles_each(ctx, codes, args.each, public=args.public, threshold=args.threshold, rules=rules,
                                    workers=args.workers)
        eprint(f"wrote {len(paths):,} profiles to {args.each} in {time.perf_counter() - t1:.1f} s")
    return 0

"""Arguments and helpers shared by several sub-commands."""

from __future__ import annotations

import argparse
import re
import sys

from placebased import _paths
from placebased.config import SCHEMA, SECTION_SOURCES
from placebased.errors import ConfigError, file_error
from placebased.io import geography
from placebased.io.areas import load_areas
from placebased.io.incidents import IncidentSet, load_incidents, no_incidents
from placebased.io.ons import boundaries_file
from placebased.io.policeuk import cli_progress, filter_to_areas
from placebased.names import VINTAGES
from placebased.pipeline import Filters, filter_incidents, harm_weighted

HELP_FORMATTER = argparse.RawDescriptionHelpFormatter


def add_parser(sub, name: str, help: str, examples: str) -> argparse.ArgumentParser:  # noqa: A002
    """Add a sub-command parser whose ``--help`` ends with ``examples``."""
    return sub.add_parser(
        name,
        help=help,
        description=help,
        epilog="examples:\n" + examples.strip("\n"),
        formatter_class=HELP_FORMATTER,
    )


def add_boundaries_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--boundaries", metavar="FILE", help="polygon file to use instead of the shipped Northamptonshire LSOAs"
    )
    p.add_argument("--id-column", metavar="COL", help="column of --boundaries holding the area ids")
    p.add_argument("--name-column", metavar="COL", help="column of --boundaries holding the area names")
    p.add_argument(
        "--vintage",
        type=int,
        choices=list(VINTAGES),
        default=2025,
        help="2025: LSOA 2021 + IoD2025 (default); 2019: LSOA 2011 + IoD2019",
    )
    p.add_argument("--la", nargs="+", metavar="NAME", help="your local authorities by name or code (e.g. "
                   "Leicester or E06000016): their LSOAs, boundaries fetched from the ONS (cached) unless "
                   "--boundaries gives a file to select them from")
    p.add_argument("--force", nargs="+", metavar="NAME", help="a police force area by name (e.g. Leicestershire): "
                   "the LSOAs of its local authorities, like --la")


def add_incidents_args(p: argparse.ArgumentParser, required: bool = False, date_range: bool = True) -> None:
    p.add_argument(
        "--incidents",
        metavar="FILE",
        nargs="+",
        required=required,
        help="incident files or folders (police.uk CSV, CSV/Excel with coordinates, GeoJSON/GeoPackage); "
        "default: the shipped police.uk records for Northamptonshire",
    )
    p.add_argument("--x-column", metavar="COL", help="column holding longitude or easting (else detected)")
    p.add_argument("--y-column", metavar="COL", help="column holding latitude or northing (else detected)")
    p.add_argument("--crs", choices=["wgs84", "bng"], help="coordinate system of --x/--y columns (else detected)")
    p.add_argument("--category-column", metavar="COL", help="column holding the category (else detected)")
    p.add_argument("--date-column", metavar="COL", help="column holding the date or month (else detected)")
    p.add_argument(
        "--date-format",
        metavar="FMT",
        help="how the dates are written, e.g. %%m/%%d/%%Y for US-style dates (default: ISO, or day-first "
        "unless the values show month-first; ambiguous dates give a note)",
    )
    p.add_argument("--weight-column", metavar="COL", help="column holding a weight per incident (default 1)")
    p.add_argument("--harm-table", metavar="FILE", help="weight each incident by its category's harm: a CSV with "
                   "columns category,weight (e.g. Crime Severity Score weights; see placebased.score.harm)")
    if date_range:
        p.add_argument("--start", metavar="MONTH", help="first month to count, e.g. 2025-03 (default: all)")
        p.add_argument("--end", metavar="MONTH", help="last month to count, e.g. 2025-06 (default: all)")
        p.set_defaults(_filter_dates=True)


_UNSET = object()  # "not on the command line" (a flag's default could be a value the user typed)


def parse_with_config(parser: argparse.ArgumentParser, command: str, argv: list[str], config):
    """Parse ``argv`` for ``command``; the data flags it does not give take the values of ``config`` (a
    :class:`placebased.config.AreaConfig`). A section's data flag on the command line (``--boundaries``,
    ``--la``/``--force``, ``--incidents``, ``--table``, ``--provision``) replaces the whole section of the
    file; any other flag replaces its own key. Says on stderr which flags came from the file."""
    sub = next(a for a in parser._actions if a.dest == "command").choices[command]
    actions = {a.dest: a for a in sub._actions}
    dests = {dest for keys in SCHEMA.values() for _kind, dest in keys.values()} & actions.keys()
    given = {dest for keys in config.values.values() for dest in keys}
    saved = {d: (actions[d].default, actions[d].required) for d in dests}
    for d in dests:
        actions[d].default = _UNSET
        actions[d].required = actions[d].required and d not in given  # e.g. gaps --provision from the file
    try:
        args = parser.parse_args(argv)
    finally:
        for d, (default, required) in saved.items():
            actions[d].default, actions[d].required = default, required
    from_file = []
    for section, values in config.values.items():
        if any(getattr(args, d, _UNSET) is not _UNSET for d in SECTION_SOURCES[section] if d in actions):
            continue  # the command line names this section's data: the file's section does not apply
        for dest, value in values.items():
            if dest in actions and getattr(args, dest) is _UNSET:
                setattr(args, dest, list(value) if isinstance(value, tuple) else value)
                from_file.append(actions[dest].option_strings[0])
    missing = [actions[d].option_strings[0] for d, (_, required) in saved.items()
               if required and getattr(args, d) is _UNSET]
    if missing:
        sub.error(f"the following arguments are required: {', '.join(missing)} (not in {config.path} either)")
    for d, (default, _required) in saved.items():
        if getattr(args, d) is _UNSET:
            setattr(args, d, default)
    if from_file:
        eprint(f"config {config.path}: {' '.join(from_file)}")
    return args


def load_areas_from_args(args):
    la, force = getattr(args, "la", None), getattr(args, "force", None)
    if not (la or force):
        return load_areas(args.vintage, args.boundaries, args.id_column, getattr(args, "name_column", None))
    selected = geography.select_lsoas(la=la or (), force=force or ())
    if args.boundaries:  # offline: select the named areas from the user's LSOA file
        areas = load_areas(args.vintage, args.boundaries, args.id_column, getattr(args, "name_column", None))
        keep = geography.lsoa21_codes(areas.index).isin(selected.index).to_numpy()
        if not keep.any():
            raise file_error(args.boundaries, f"holds none of the {len(selected):,} LSOAs of {' '.join(la or force)}",
                             "give the national LSOA boundary file or drop --la/--force")
        return areas[keep]
    if args.vintage != 2025:
        raise ConfigError("--la/--force fetch LSOA 2021 boundaries; use --vintage 2025, or give LSOA 2011 "
                          "boundaries with --boundaries FILE.")
    if not getattr(args, "_announced", False):
        eprint(f"areas: {geography.describe_selection(selected)}")
        args._announced = True
    path = boundaries_file(selected.index, progress=cli_progress(label="fetching LSOA boundaries from the ONS"))
    return load_areas(2025, str(path), "LSOA21CD", "LSOA21NM")


def load_incidents_from_args(args, optional: bool = False):
    """The incidents of ``--incidents``; without it the shipped police.uk records when the areas are the
    shipped Northamptonshire ones. For other areas: an empty set with a note (``optional``: the command
    works on the indicators alone) or a one-line error."""
    files = args.incidents
    if not files:
        own = any(getattr(args, a, None) for a in ("boundaries", "la", "force"))  # else: the shipped areas
        areas = load_areas_from_args(args) if own and hasattr(args, "vintage") else None
        files = geography.default_incident_files_for(areas)
        if not files:
            if not optional:
                raise ConfigError("these areas are not the shipped Northamptonshire ones, so the shipped police.uk "
                                  "records do not describe them; give your incidents with --incidents FILE (e.g. "
                                  "the police.uk download zip), or hot spots of an area indicator with --variable "
                                  "imd_score.")
            eprint(f"note: {_paths.NO_INCIDENTS_NOTE}")
            return no_incidents(_paths.NO_INCIDENTS_NOTE)
    inc = load_incidents(
        files,
        progress=cli_progress(),
        x_column=args.x_column,
        y_column=args.y_column,
        crs=args.crs,
        category_column=args.category_column,
        date_column=args.date_column,
        weight_column=args.weight_column,
        date_format=getattr(args, "date_format", None),
    )
    if inc.report.download and hasattr(args, "vintage"):  # a police.uk download: keep the records in the areas
        inc = filter_to_areas(inc, load_areas_from_args(args))
        eprint(inc.report.notes[-1])
    if getattr(args, "harm_table", None):
        inc, summary = harm_weighted(inc, args.harm_table)
        eprint(summary)
    return _date_filtered(inc, args)


def _month(value: str | None, what: str) -> str | None:
    """``2025-03`` or a date such as ``2025-03-14`` -> ``"2025-03"``; a clear error otherwise."""
    if not value:
        return None
    m = re.fullmatch(r"(\d{4})-(\d{1,2})(?:-\d{1,2})?", value.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ConfigError(f"--{what} {value!r} is not a month; write it like 2025-03.")
    return f"{m.group(1)}-{int(m.group(2)):02d}"


def _date_filtered(inc, args):
    """Keep the incidents of ``--start``..``--end`` (inclusive months); say what was left out."""
    if not getattr(args, "_filter_dates", False) or not (args.start or args.end):
        return inc
    start, end = _month(args.start, "start"), _month(args.end, "end")
    points, rep = filter_incidents(inc.points, Filters(start=start, end=end))
    eprint(f"date filter {start or 'start'} to {end or 'end'}: kept {rep.kept:,} of {len(inc.points):,} located "
           f"incidents" + (f" ({rep.dropped_undated:,} undated left out)" if rep.dropped_undated else ""))
    return IncidentSet(points, inc.report)


def eprint(*parts) -> None:
    print(*parts, file=sys.stderr)

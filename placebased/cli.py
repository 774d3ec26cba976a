"""The ``placebased`` command line.

Each sub-command lives in ``placebased/commands/<name>.py`` and exposes
``register(subparsers)``, which adds its parser and sets ``func`` (called with the parsed
arguments; returns an exit code). Errors that are the user's (``PlaceBasedError``) print one
line on stderr and exit 2; warnings about the data print one line each on stderr.

Only the chosen command's module is imported, so ``placebased --help`` and ``--version`` start
without the scientific stack (pandas, geopandas, numba); ``COMMANDS`` holds the one-line help
that the top-level ``--help`` lists (a test checks it against each command's own).

``--config FILE`` (anywhere on the line) reads an area configuration (:mod:`placebased.config`): the
command's data flags not given on the command line take the file's values.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings

from placebased.config import config_path
from placebased.errors import PlaceBasedError

#: sub-commands, in the order ``--help`` lists them, with their one-line help
COMMANDS: dict[str, str] = {
    "areas": "Write one row per area with its indicators (IMD decile, domains, population).",
    "counts": "Count incidents per area and category (a summary goes to stderr).",
    "hotspots": "Find hot and cold spots (Getis-Ord Gi*) and clusters (local Moran).",
    "moran": "Global Moran's I of a column, for any polygon file.",
    "score": "Score, rank and tier areas by a weighted composite of indicators.",
    "weights": "Show the indicator catalogue, or suggest weights from a regression.",
    "gaps": "Find priority areas with no provision of the chosen types within a radius.",
    "site": "Suggest k new sites that would reach the most priority residents (MCLP).",
    "profile": "Write PDF area profiles (A4, disclosure-controlled).",
    "trends": "Trend (Mann-Kendall, Sen's slope) and emerging hot spot class per area.",
    "map": "Write the app's map as one self-contained offline HTML file (for briefings).",
    "sna": "Needs assessment: incidents by deprivation decile and their concentration (tables, PDF).",
    "monitor": "Monitor the Serious Violence Duty core measures over time, with control limits.",
    "survey": "Community-voice coverage: survey responses by IMD decile and age band.",
    "evaluate": "Evaluate targets against matched comparison areas, or plan what it could detect.",
    "saved": "List, export or import saved scenarios, target selections and workshop comments.",
    "fetch-areas": "Download LSOA 2021 boundaries of named local authorities or a force area (ONS).",
}


def _top_parser() -> argparse.ArgumentParser:
    from placebased import __version__

    parser = argparse.ArgumentParser(
        prog="placebased",
        description="Place-based priority neighbourhoods for Serious Violence Duty partnerships.",
        epilog="Run 'placebased COMMAND --help' for a command's options and examples.",
    )
    parser.add_argument("--version", action="version", version=f"placebased {__version__}")
    parser.add_argument("--config", metavar="FILE", help="an area configuration (TOML: boundaries, id column, "
                        "vintage, incidents, indicator tables, provision; see docs/example-area.toml); flags "
                        "given on the command line win over the file")
    return parser


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``only`` the full options of that command alone (the others listed by name)."""
    parser = _top_parser()
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        if only is not None and name != only:
            sub.add_parser(name, help=help_text, add_help=False)
            continue
        module = importlib.import_module(f".commands.{name.replace('-', '_')}", __package__)
        module.register(sub)
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None):  # noqa: ARG001
    print(f"warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        argv, config_file = config_path(argv)
    except PlaceBasedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    command = next((a for a in argv if not a.startswith("-")), None)
    if command not in COMMANDS:
        # --help, --version, no command or an unknown one: no command module is imported
        parser = build_parser(only="")
        if command is None:
            parser.parse_args(argv)  # exits for --help / --version / a bad option
            parser.print_help()
            return 1
        parser.parse_args(argv)  # argparse names the valid commands and exits 2
        return 2  # pragma: no cover
    parser = build_parser(only=command)
    try:
        if config_file is None:
            args = parser.parse_args(argv)
        else:
            from placebased.commands._common import parse_with_config
            from placebased.config import load

            args = parse_with_config(parser, command, argv, load(config_file))
    except PlaceBasedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    warnings.showwarning = _show_warning
    # text from files (area and provision names, categories) reaches the terminal only through
    # safety.terminal_text: every print of a command goes through it
    from placebased.safety import TerminalSafe

    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = TerminalSafe(out), TerminalSafe(err)
    try:
        return int(args.func(args) or 0)
    except PlaceBasedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    finally:
        sys.stdout, sys.stderr = out, err


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

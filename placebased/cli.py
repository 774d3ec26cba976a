"""The ``placebased`` command line.

Each sub-command lives in ``placebased/commands/<name>.py`` and exposes
``register(subparsers)``, which adds its parser and sets ``func`` (called with the parsed
arguments; returns an exit code). Errors that are the user's (``PlaceBasedError``) print one
line on stderr and exit 2; warnings about the data print one line each on stderr.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings

from .errors import PlaceBasedError

#: sub-command modules, in the order ``--help`` lists them
COMMANDS = [
    "areas", "counts", "hotspots", "moran", "score", "weights", "gaps", "site", "profile", "trends", "map",
    "sna", "monitor", "survey", "evaluate", "saved",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="placebased",
        description="Place-based priority neighbourhoods for Serious Violence Duty partnerships.",
        epilog="Run 'placebased COMMAND --help' for a command's options and examples.",
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"placebased {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f".commands.{name}", __package__)
        except ModuleNotFoundError as exc:  # a command not written yet
            if exc.name and exc.name.endswith(f"commands.{name}"):
                continue
            raise
        module.register(sub)
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None):  # noqa: ARG001
    print(f"warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    warnings.showwarning = _show_warning
    try:
        return int(args.func(args) or 0)
    except PlaceBasedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""``placebased saved``: list, export and import the saved work (scenarios, selections, comments)."""

from __future__ import annotations

from pathlib import Path

from placebased.commands._common import add_parser, eprint
from placebased.errors import file_error
from placebased.io import export

EXAMPLES = """
  placebased saved --list                                  # what is saved, newest version of each
  placebased saved --export backup.json                    # everything, every version, as JSON
  placebased saved --import backup.json                    # add what is missing (all or nothing)
  placebased saved --db postgresql+psycopg://user@host/placebased --export backup.json
"""


def register(sub) -> None:
    p = add_parser(sub, "saved", "List, export or import saved scenarios, target selections and workshop comments.",
                   EXAMPLES)
    p.add_argument("--db", metavar="PATH|URL", help="database file or SQLAlchemy URL (default: PLACEBASED_DB or "
                                                    "~/.placebased/placebased.db)")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--list", action="store_true", help="list saved scenarios and selections")
    what.add_argument("--export", metavar="FILE.json", help="write everything to a JSON file")
    what.add_argument("--import", dest="import_", metavar="FILE.json", help="import a JSON export")
    p.set_defaults(func=run)


def run(args) -> int:
    from placebased.io.store import Store

    with Store(args.db) as store:
        if args.list:
            for kind in ("scenario", "selection"):
                frame = store.list(kind)
                print(f"{kind}s: {len(frame)}")
                for r in frame.itertuples():
                    print(f"  {r.name}  (version {r.version} of {r.versions}, {r.author}, {r.updated_at})")
            print(f"comments: {len(store.comments())}")
        elif args.export:
            export.write_document(store.export_json(), args.export)
            eprint(f"saved work written to {args.export}")
        else:
            path = Path(args.import_)
            done = store.import_json(_read_export(path), source=path)
            eprint(f"imported {done['versions']} versions and {done['comments']} comments "
                   f"({done['skipped']} already present)")
    return 0


def _read_export(path) -> bytes:
    """The bytes of a saved-work export, or a one-line error saying why it cannot be read."""
    fix = "give the JSON file made by 'placebased saved --export'"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise file_error(path, "file not found", "check the path of the JSON export") from None
    except IsADirectoryError:
        raise file_error(path, "is a folder, not a file", fix) from None
    except PermissionError as e:
        raise file_error(path, f"cannot read the file ({e.strerror})",
                         "check its permissions, or copy it somewhere you can read it") from None
    except OSError as e:
        raise file_error(path, f"cannot read the file ({e.strerror or type(e).__name__})", fix) from None

"""Error classes.

Every problem with a user's input raises a subclass of :class:`PlaceBasedError`
whose message is one line: the file, the row or column, what is wrong and what
to do. The CLI and the app catch only these and show the message; anything else
is a bug.
"""

from __future__ import annotations


class PlaceBasedError(Exception):
    """Base class of every error placebased raises on purpose."""


class DataError(PlaceBasedError, ValueError):
    """Input data is missing, unreadable or holds impossible values."""


class SchemaError(DataError):
    """A file lacks a required column, or a column has the wrong kind of values."""


class ConfigError(PlaceBasedError, ValueError):
    """A setting (method name, weight, scenario field) is not valid."""


def file_error(path, problem: str, fix: str, cls: type[PlaceBasedError] = DataError):
    """Build a one-line error naming ``path``: ``"<path>: <problem>; <fix>"``."""
    name = str(path) if path is not None else "input"
    msg = f"{name}: {problem.rstrip('.')}; {fix.rstrip('.')}."
    return cls(msg.replace("\n", " "))


class ConflictError(PlaceBasedError):
    """Saved work changed since it was loaded (someone else saved a newer version); nothing was written."""

"""Saved work: scenarios, target selections and workshop comments, with every earlier version kept.

One :class:`Store` wraps a database: an embedded SQLite file by default
(``PLACEBASED_DB`` or ``~/.placebased/placebased.db``) or any SQLAlchemy URL, e.g.
``postgresql+psycopg://user@host/db`` for a shared server. Anything holding ``://`` is a URL and is
used as one (never as a local file name); a server that cannot be reached is a one-line
:class:`~placebased.errors.DataError` naming the URL with its password hidden, and nothing is
created locally.

Nothing lost
------------
* **Append-only versions.** Saving never overwrites: each save adds version ``n + 1`` of the
  named scenario or selection; :meth:`Store.history` lists them all and
  :meth:`Store.load_scenario` / :meth:`Store.load_selection` load any of them.
* **Transactions.** Each save (and a whole :meth:`Store.import_json`) is one transaction. SQLite
  runs in WAL mode with ``synchronous=FULL``: a process killed half-way through a save leaves the
  database as it was before that save (the uncommitted pages in the WAL are ignored on the next
  open); a committed save survives a power cut.
* **No silent overwrites.** Each save passes ``based_on``, the version the user started from
  (None for a new name). If someone else saved a newer version in between, the save raises
  :class:`ConflictError` and writes nothing; the user reloads, merges and saves again. On SQLite
  the check and the insert run under one write lock (``BEGIN IMMEDIATE``); on other databases a
  unique constraint on (kind, name, version) turns a race into the same ConflictError.

A :class:`Store` is safe to share between threads (each call takes its own pooled connection); in
Streamlit keep one per database in ``st.cache_resource``.

Examples
--------
>>> s = Store(":memory:")
>>> v1 = s.save_scenario("youth focus", 'name = "youth focus"\\n', author="Sam")
>>> v2 = s.save_scenario("youth focus", 'name = "youth focus v2"\\n', author="Ali", based_on=v1)
>>> s.load_scenario("youth focus").version, s.load_scenario("youth focus", version=1).author
(2, 'Sam')
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, quote_plus

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import DatabaseError as SADatabaseError
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.pool import StaticPool

from placebased.errors import ConfigError, ConflictError, DataError, PlaceBasedError

DB_ENV = "PLACEBASED_DB"
DEFAULT_DB = Path("~/.placebased/placebased.db")
SCHEMA_VERSION = 1
EXPORT_FORMAT = "placebased-saved-work"
#: kinds of versioned work
KINDS = {"scenario": "scenario (TOML text)", "selection": "target selection (areas with reasons)"}
MAX_NAME, MAX_AUTHOR, MAX_CODE, MAX_SESSION = 200, 100, 50, 200
MAX_TOML_CHARS, MAX_COMMENT_CHARS, MAX_REASON_CHARS, MAX_SELECTION_AREAS = 1_000_000, 5_000, 2_000, 50_000
BUSY_TIMEOUT_S = 30
#: seconds to wait for a database server to answer before saying it cannot be reached
CONNECT_TIMEOUT_S = 10
MAX_VERSION = 2**31 - 1

__all__ = ["ConflictError", "SavedScenario", "SavedSelection", "Store", "default_db", "is_url"]

_metadata = sa.MetaData()
versions_table = sa.Table(
    "placebased_versions",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("name", sa.String(MAX_NAME), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("based_on", sa.Integer, nullable=True),
    sa.Column("author", sa.String(MAX_AUTHOR), nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.UniqueConstraint("kind", "name", "version", name="uq_placebased_versions_kind_name_version"),
)
comments_table = sa.Table(
    "placebased_comments",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("area_code", sa.String(MAX_CODE), nullable=False, index=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("author", sa.String(MAX_AUTHOR), nullable=False),
    sa.Column("session", sa.String(MAX_SESSION), nullable=True),
    sa.Column("created_at", sa.String(40), nullable=False),
)
exports_table = sa.Table(  # the export log (issue 18): who downloaded what, when, with which settings
    "placebased_exports",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("who", sa.String(MAX_AUTHOR * 3), nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("file_name", sa.String(MAX_NAME), nullable=False),
    sa.Column("settings", sa.Text, nullable=False),
)
meta_table = sa.Table(
    "placebased_meta",
    _metadata,
    sa.Column("key", sa.String(50), primary_key=True),
    sa.Column("value", sa.String(200), nullable=False),
)


@dataclass(frozen=True)
class SavedScenario:
    """One saved version of a scenario: its TOML text and who saved it when."""

    name: str
    version: int
    author: str
    created_at: str
    toml_text: str
    based_on: int | None = None

    def parsed(self) -> dict:
        """The TOML text as a dictionary."""
        return tomllib.loads(self.toml_text)


@dataclass(frozen=True)
class SavedSelection:
    """One saved version of a target selection: area code -> reason, in the order saved."""

    name: str
    version: int
    author: str
    created_at: str
    areas: dict[str, str] = field(default_factory=dict)
    based_on: int | None = None

    @property
    def codes(self) -> list[str]:
        return list(self.areas)


def is_url(target: str | os.PathLike) -> bool:
    """Whether ``target`` is a database URL (it holds ``://``) rather than a SQLite file path."""
    return isinstance(target, str) and "://" in target


def default_db() -> str | Path:
    """``PLACEBASED_DB`` if set (a URL stays the text of the URL, a path becomes a Path), else
    ``~/.placebased/placebased.db``.

    A URL is never turned into a file name (``Path`` would fold its ``//`` into a local path):

    >>> is_url("postgresql+psycopg://user@host/db"), is_url("~/work/saved.db")
    (True, False)
    """
    env = os.environ.get(DB_ENV, "").strip()
    if not env:
        return DEFAULT_DB.expanduser()
    return env if is_url(env) else Path(env).expanduser()


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="microseconds")


def _text(value, what: str, max_chars: int, *, allow_empty: bool = False, strip: bool = True) -> str:
    if not isinstance(value, str):
        raise DataError(f"{what} must be text, not {type(value).__name__}; give it as a string.")
    v = value.strip() if strip else value
    if not v.strip() and not allow_empty:
        raise DataError(f"{what} is empty; fill it in.")
    if len(v) > max_chars:
        raise DataError(f"{what} is {len(v):,} characters long, more than the {max_chars:,} allowed; shorten it.")
    if "\x00" in v:
        raise DataError(f"{what} holds a NUL character; remove it.")
    return v


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ConfigError(f"unknown kind of saved work {kind!r}; choose one of: {', '.join(KINDS)}.")
    return kind


def _check_version(v, what: str = "based_on") -> int | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= MAX_VERSION:
        shown = repr(v) if len(repr(v)) <= 40 else repr(v)[:40] + "..."
        raise DataError(f"{what} must be a version number (1, 2, ...) or None, not {shown}.")
    return int(v)


def _check_toml(name: str, toml_text) -> str:
    text = _text(toml_text, f"scenario {name!r}: TOML text", MAX_TOML_CHARS, strip=False)
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"scenario {name!r}: not valid TOML ({e}); fix that line and save again.") from None
    return text


def _check_areas(name: str, areas) -> dict[str, str]:
    if isinstance(areas, Mapping):
        items = list(areas.items())
    elif isinstance(areas, list | tuple | pd.Index | pd.Series):
        items = [(a, "") for a in areas]
    else:
        raise DataError(f"selection {name!r}: areas must be a mapping of area code to reason, not "
                        f"{type(areas).__name__}.")
    if len(items) > MAX_SELECTION_AREAS:
        raise DataError(f"selection {name!r}: {len(items):,} areas, more than {MAX_SELECTION_AREAS:,}; select fewer.")
    out: dict[str, str] = {}
    for code, reason in items:
        c = _text(code, f"selection {name!r}: area code", MAX_CODE)
        missing = reason is None or (not isinstance(reason, str) and pd.api.types.is_scalar(reason)
                                     and pd.isna(reason))
        r = "" if missing else reason
        out[c] = _text(r, f"selection {name!r}: reason for {c}", MAX_REASON_CHARS, allow_empty=True)
    return out


def _first_line(e: Exception) -> str:
    """The first line of a database error's own message (the driver's, without SQLAlchemy's notes)."""
    text = str(getattr(e, "orig", None) or e).strip()
    return text.splitlines()[0].strip() if text else type(e).__name__


def _hide_password(text: str) -> str:
    """A URL-like text with anything between ``user:`` and ``@`` replaced by ``***``."""
    return re.sub(r"(://[^/:@]*:)[^@/]*@", r"\1***@", text)


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


class Store:
    """Saved work in a database (see the module docstring).

    Parameters
    ----------
    url_or_path
        A file path for SQLite (folders are created), ``":memory:"``, or a SQLAlchemy URL
        (anything containing ``"://"``). Default: ``PLACEBASED_DB`` or ``~/.placebased/placebased.db``.
    busy_timeout
        Seconds a save waits for another session's save to finish before giving up (SQLite).
    """

    def __init__(self, url_or_path: str | os.PathLike | None = None, *, busy_timeout: float = BUSY_TIMEOUT_S):
        self._before_commit: Callable[[], None] | None = None  # test seam: runs inside each write
        target = default_db() if url_or_path is None else url_or_path
        self._from_env = url_or_path is None and bool(os.environ.get(DB_ENV, "").strip())
        text = str(target).strip()
        memory = text in (":memory:", "sqlite://", "sqlite:///:memory:")
        self._password: str | None = None
        if memory:
            url = "sqlite://"
            self.location = ":memory:"
        elif is_url(text):
            url = text
            try:
                parsed_url = sa.engine.make_url(text)
            except (sa.exc.ArgumentError, ValueError):
                raise ConfigError(f"{_hide_password(text)} is not a database URL; {self._fix()}, e.g. "
                                  "postgresql+psycopg://user@host/db or a file path.") from None
            self._password = parsed_url.password or None
            self.location = parsed_url.render_as_string(hide_password=True)
        else:
            path = Path(text).expanduser().resolve()
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise DataError(f"{path.parent}: cannot create the folder for saved work ({e.strerror}); "
                                f"choose another path or set {DB_ENV}.") from None
            if path.is_dir():
                raise DataError(f"{path}: is a folder; give a file path for the saved-work database.")
            url = _sqlite_url(path)
            self.location = str(path)
        try:
            parsed = sa.engine.make_url(url)
        except sa.exc.ArgumentError:
            raise ConfigError(f"{_hide_password(text)!r} is not a database URL or path; use a file path or e.g. "
                              "postgresql+psycopg://user@host/db.") from None
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        kwargs: dict = {}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": busy_timeout, "check_same_thread": False}
            if memory:
                kwargs["poolclass"] = StaticPool
        elif parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
            kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_S}
        try:
            self.engine = sa.create_engine(url, **kwargs)
        except (ImportError, sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as e:
            driver = ' (pip install "psycopg[binary]")' if parsed.get_backend_name() == "postgresql" else ""
            raise ConfigError(self._scrub(f"{self._described()}: cannot use this database ({_first_line(e)}); "
                                          f"install its driver{driver}, or {self._fix()}.")) from None
        if self.is_sqlite:
            self._sqlite_events(memory, busy_timeout)
        else:
            self._check_server()
        self._create_schema()

    # -- messages ------------------------------------------------------------------------------

    def _fix(self) -> str:
        return f"check {DB_ENV}" if self._from_env else f"check --db (or {DB_ENV})"

    def _described(self) -> str:
        """The database for messages: a file path, or ``database URL (password hidden)``."""
        if not is_url(self.location):
            return self.location
        return f"database {self.location}" + (" (password hidden)" if self._password else "")

    def _scrub(self, text: str) -> str:
        """``text`` with the URL's password (plain or URL-encoded) replaced by ``***``."""
        if self._password:
            for form in {self._password, quote(self._password, safe=""), quote_plus(self._password)}:
                if form:
                    text = text.replace(form, "***")
        return text

    def _check_server(self) -> None:
        """Connect once to a database server, so that an unreachable one is a one-line error now."""
        try:
            with self.engine.connect():
                pass
        except (sa.exc.DBAPIError, OSError) as e:
            self.engine.dispose()
            raise DataError(self._scrub(
                f"{self._described()}: cannot connect ({_first_line(e)}); {self._fix()} and that the server "
                "is running, reachable from this machine and accepts this user.")) from None

    # -- connection plumbing -------------------------------------------------------------------

    def _sqlite_events(self, memory: bool, busy_timeout: float) -> None:
        @event.listens_for(self.engine, "connect")
        def _on_connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            if not memory:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
            cur.close()

        @event.listens_for(self.engine, "begin")
        def _on_begin(conn):
            write = conn.get_execution_options().get("placebased_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    @contextlib.contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        """One write transaction: committed on success, rolled back on any error or kill."""
        try:
            with self.engine.connect() as conn:
                conn.execution_options(placebased_write=True)
                with conn.begin():
                    yield conn
                    if self._before_commit is not None:
                        self._before_commit()
        except OperationalError as e:
            raise self._db_error(e) from None
        except IntegrityError:
            raise
        except SADatabaseError as e:
            raise self._db_error(e) from None

    @contextlib.contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        try:
            with self.engine.connect() as conn, conn.begin():
                yield conn
        except SADatabaseError as e:
            raise self._db_error(e) from None

    def _db_error(self, e: Exception) -> PlaceBasedError:
        msg = _first_line(e)
        if "locked" in msg or "busy" in msg:
            return ConflictError(f"{self._described()}: the database is busy with another save; try again in a "
                                 "moment.")
        if self.is_sqlite:
            return DataError(f"{self._described()}: cannot use the saved-work database ({msg}); check the path, "
                             f"or move the file away to start a new one.")
        return DataError(self._scrub(f"{self._described()}: cannot use the saved-work database ({msg}); "
                                     f"{self._fix()} and that the server is running."))

    def _create_schema(self) -> None:
        try:
            with self._write() as conn:
                _metadata.create_all(conn)
                row = conn.execute(sa.select(meta_table.c.value).where(meta_table.c.key == "schema_version")).first()
                if row is None:
                    conn.execute(sa.insert(meta_table).values(key="schema_version", value=str(SCHEMA_VERSION)))
                elif int(row[0]) > SCHEMA_VERSION:
                    raise ConfigError(f"{self.location}: saved by a newer placebased (schema {row[0]}, this one reads "
                                      f"{SCHEMA_VERSION}); upgrade placebased.")
        except IntegrityError:  # another process created it at the same moment
            pass

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.location!r})"

    # -- versioned work ------------------------------------------------------------------------

    def _latest_row(self, conn, kind: str, name: str):
        t = versions_table
        return conn.execute(
            sa.select(t).where(t.c.kind == kind, t.c.name == name).order_by(t.c.version.desc()).limit(1)
        ).first()

    def _save(self, kind: str, name, body: str, author, based_on, force: bool) -> int:
        based_on = _check_version(based_on)
        t = versions_table
        try:
            with self._write() as conn:
                latest = self._latest_row(conn, kind, name)
                if latest is not None and not force:
                    if based_on is None:
                        raise ConflictError(
                            f"{kind} {name!r} already exists (version {latest.version}, saved by {latest.author!r} "
                            f"at {latest.created_at[:19]}); load it and save again based on version "
                            f"{latest.version}, or choose another name (nothing was saved)."
                        )
                    if based_on != latest.version:
                        raise ConflictError(
                            f"{kind} {name!r} was changed by {latest.author!r} at {latest.created_at[:19]} "
                            f"(version {latest.version}) after you loaded version {based_on}; reload it, "
                            "reapply your changes and save again (nothing was saved)."
                        )
                if latest is None and based_on is not None and not force:
                    raise DataError(f"{kind} {name!r} has no saved versions to base version {based_on} on; "
                                    "save it with based_on=None.")
                if latest is not None and latest.body == body:
                    return int(latest.version)  # unchanged: no new version
                new = 1 if latest is None else int(latest.version) + 1
                conn.execute(sa.insert(t).values(kind=kind, name=name, version=new, based_on=based_on,
                                                 author=author, created_at=_now(), body=body))
                return new
        except IntegrityError:
            raise ConflictError(f"{kind} {name!r} was saved by someone else at the same moment; reload it, "
                                "reapply your changes and save again (nothing was saved).") from None

    def _load(self, kind: str, name, version):
        name = _text(name, f"{kind} name", MAX_NAME)
        version = _check_version(version, "version")
        t = versions_table
        with self._read() as conn:
            if version is None:
                row = self._latest_row(conn, kind, name)
            else:
                row = conn.execute(
                    sa.select(t).where(t.c.kind == kind, t.c.name == name, t.c.version == version)
                ).first()
            if row is None:
                names = conn.execute(
                    sa.select(t.c.name).where(t.c.kind == kind).distinct().order_by(t.c.name).limit(11)
                ).scalars().all()
        if row is None:
            what = f"{kind} {name!r}" + (f" version {version}" if version is not None else "")
            listed = ", ".join(repr(n) for n in names[:10]) + (", ..." if len(names) > 10 else "")
            raise DataError(f"no saved {what}; saved {kind}s: {listed or 'none'}.")
        return row

    def save_scenario(self, name: str, toml_text: str, author: str, based_on: int | None = None,
                      *, force: bool = False) -> int:
        """Save a scenario's TOML text as a new version; return its version number.

        Parameters
        ----------
        name
            The scenario's name (up to 200 characters).
        toml_text
            The scenario file's text; it must be valid TOML.
        author
            Who saves it.
        based_on
            The version this edit started from; None when saving a new name.
        force
            Save even if someone else saved in between (still appends; nothing is overwritten).

        Raises
        ------
        ConflictError
            The name already exists (``based_on=None``) or the latest version is not ``based_on``.

        Saving text identical to the latest version adds no version and returns the latest number.
        """
        name = _text(name, "scenario name", MAX_NAME)
        author = _text(author, "author name", MAX_AUTHOR)
        return self._save("scenario", name, _check_toml(name, toml_text), author, based_on, force)

    def load_scenario(self, name: str, version: int | None = None) -> SavedScenario:
        """A saved scenario: the latest version, or ``version``. Raises DataError if there is none."""
        r = self._load("scenario", name, version)
        return SavedScenario(r.name, int(r.version), r.author, r.created_at, r.body, r.based_on)

    def save_selection(self, name: str, areas: Mapping[str, str], author: str, based_on: int | None = None,
                       *, force: bool = False) -> int:
        """Save a target selection (area code -> reason; a list of codes gives empty reasons).

        Same versioning and conflict rules as :meth:`save_scenario`.
        """
        name = _text(name, "selection name", MAX_NAME)
        author = _text(author, "author name", MAX_AUTHOR)
        body = json.dumps(_check_areas(name, areas), ensure_ascii=False)
        return self._save("selection", name, body, author, based_on, force)

    def load_selection(self, name: str, version: int | None = None) -> SavedSelection:
        """A saved selection: the latest version, or ``version``. Raises DataError if there is none."""
        r = self._load("selection", name, version)
        return SavedSelection(r.name, int(r.version), r.author, r.created_at, json.loads(r.body), r.based_on)

    def history(self, kind: str, name: str) -> pd.DataFrame:
        """Every version of one scenario or selection, oldest first.

        Columns ``version, based_on, author, created_at, size`` (characters of TOML, or number of
        areas). Raises DataError when nothing is saved under ``name``.
        """
        _check_kind(kind)
        name = _text(name, f"{kind} name", MAX_NAME)
        t = versions_table
        with self._read() as conn:
            rows = conn.execute(
                sa.select(t.c.version, t.c.based_on, t.c.author, t.c.created_at, t.c.body)
                .where(t.c.kind == kind, t.c.name == name).order_by(t.c.version)
            ).all()
        if not rows:
            self._load(kind, name, None)  # raises the DataError listing saved names
        sizes = [len(json.loads(r.body)) if kind == "selection" else len(r.body) for r in rows]
        return pd.DataFrame({
            "version": pd.array([r.version for r in rows], dtype="Int64"),
            "based_on": pd.array([r.based_on for r in rows], dtype="Int64"),
            "author": [r.author for r in rows],
            "created_at": [r.created_at for r in rows],
            "size": sizes,
        })

    def list(self, kind: str) -> pd.DataFrame:  # noqa: A003 - the brief's name
        """Saved names of one kind: columns ``name, version`` (latest), ``versions, author, updated_at``."""
        _check_kind(kind)
        t = versions_table
        with self._read() as conn:
            agg = sa.select(t.c.name, sa.func.max(t.c.version).label("version"),
                            sa.func.count().label("versions")).where(t.c.kind == kind).group_by(t.c.name).subquery()
            rows = conn.execute(
                sa.select(agg.c.name, agg.c.version, agg.c.versions, t.c.author, t.c.created_at)
                .join(t, sa.and_(t.c.kind == kind, t.c.name == agg.c.name, t.c.version == agg.c.version))
                .order_by(agg.c.name)
            ).all()
        return pd.DataFrame({
            "name": [r.name for r in rows],
            "version": pd.array([r.version for r in rows], dtype="Int64"),
            "versions": pd.array([r.versions for r in rows], dtype="Int64"),
            "author": [r.author for r in rows],
            "updated_at": [r.created_at for r in rows],
        })

    # -- comments ------------------------------------------------------------------------------

    def add_comment(self, area_code: str, text: str, author: str, session: str | None = None) -> int:
        """Record a participant's comment against an area; return its id.

        The text is stored as typed; escape it (:func:`placebased.safety.escape_text`) when showing it.
        """
        code = _text(area_code, "area code", MAX_CODE)
        body = _text(text, f"comment on {code}", MAX_COMMENT_CHARS)
        who = _text(author, "author name", MAX_AUTHOR)
        sess = None if session is None else _text(session, "session name", MAX_SESSION)
        with self._write() as conn:
            res = conn.execute(sa.insert(comments_table).values(area_code=code, text=body, author=who,
                                                               session=sess, created_at=_now()))
            return int(res.inserted_primary_key[0])

    def comments(self, area_code: str | None = None, session: str | None = None) -> pd.DataFrame:
        """Comments, oldest first: columns ``id, area_code, text, author, session, created_at``."""
        t = comments_table
        q = sa.select(t).order_by(t.c.id)
        if area_code is not None:
            q = q.where(t.c.area_code == str(area_code).strip())
        if session is not None:
            q = q.where(t.c.session == str(session).strip())
        with self._read() as conn:
            rows = conn.execute(q).all()
        cols = ["id", "area_code", "text", "author", "session", "created_at"]
        frame = pd.DataFrame([tuple(r) for r in rows], columns=cols)
        frame["id"] = frame["id"].astype("int64")
        return frame

    # -- export log ----------------------------------------------------------------------------

    def record_export(self, who: str, kind: str, file_name: str, settings: Mapping | None = None) -> int:
        """Record one download in the export log (``kind`` e.g. ``csv``, ``pdf``, ``geojson``, ``html``,
        ``zip``; ``settings`` as JSON); return its id. Text is stored as given; escape it when showing it."""
        who_ = _text(who, "export user", MAX_AUTHOR * 3)
        kind_ = _text(kind, "export kind", 20).lower()
        name_ = _text(file_name, "export file name", MAX_NAME)
        try:
            body = json.dumps(dict(settings or {}), ensure_ascii=False, sort_keys=True, default=str)
        except (TypeError, ValueError) as e:
            raise ConfigError(f"export settings of {name_}: not JSON-serialisable ({e})") from None
        if len(body) > MAX_TOML_CHARS:
            raise DataError(f"export settings of {name_}: longer than {MAX_TOML_CHARS:,} characters")
        with self._write() as conn:
            res = conn.execute(sa.insert(exports_table).values(who=who_, created_at=_now(), kind=kind_,
                                                              file_name=name_, settings=body))
            return int(res.inserted_primary_key[0])

    def exports(self, limit: int | None = None) -> pd.DataFrame:
        """The export log, newest first: columns ``id, who, created_at, kind, file_name, settings`` (JSON text)."""
        t = exports_table
        q = sa.select(t).order_by(t.c.id.desc())
        if limit is not None:
            q = q.limit(int(limit))
        with self._read() as conn:
            rows = conn.execute(q).all()
        frame = pd.DataFrame([tuple(r) for r in rows], columns=["id", "who", "created_at", "kind", "file_name",
                                                                "settings"])
        frame["id"] = frame["id"].astype("int64")
        return frame

    # -- export / import -----------------------------------------------------------------------

    def export_json(self) -> str:
        """Everything saved (all versions and comments) as JSON text, for backup or moving machines."""
        t, c = versions_table, comments_table
        with self._read() as conn:
            vrows = conn.execute(sa.select(t).order_by(t.c.kind, t.c.name, t.c.version)).all()
            crows = conn.execute(sa.select(c).order_by(c.c.id)).all()
        items = []
        for r in vrows:
            item = {"kind": r.kind, "name": r.name, "version": r.version, "based_on": r.based_on,
                    "author": r.author, "created_at": r.created_at}
            if r.kind == "selection":
                item["areas"] = json.loads(r.body)
            else:
                item["toml"] = r.body
            items.append(item)
        comments = [{"area_code": r.area_code, "text": r.text, "author": r.author, "session": r.session,
                     "created_at": r.created_at} for r in crows]
        doc = {"format": EXPORT_FORMAT, "schema_version": SCHEMA_VERSION, "exported_at": _now(),
               "versions": items, "comments": comments}
        return json.dumps(doc, ensure_ascii=False, indent=1)

    def import_json(self, text: str | bytes, *, source: str | os.PathLike | None = None) -> dict[str, int]:
        """Add the versions and comments of an :meth:`export_json` text; all or nothing.

        Versions and comments already present (same content) are skipped. A version number that
        exists here with different content raises ConflictError and nothing is imported.
        ``source`` (the file's name) starts every error message. Returns counts
        ``{"versions": added, "comments": added, "skipped": n}``.
        """
        versions, comments = _parse_export(text, "import" if source is None else str(source))
        t, c = versions_table, comments_table
        added_v = added_c = skipped = 0
        try:
            with self._write() as conn:
                for v in versions:
                    row = conn.execute(sa.select(t.c.body).where(
                        t.c.kind == v["kind"], t.c.name == v["name"], t.c.version == v["version"])).first()
                    if row is not None:
                        if row.body != v["body"]:
                            raise ConflictError(
                                f"import: {v['kind']} {v['name']!r} version {v['version']} already exists here "
                                "with different content; import into an empty database or rename it "
                                "(nothing was imported)."
                            )
                        skipped += 1
                        continue
                    conn.execute(sa.insert(t).values(**v))
                    added_v += 1
                for m in comments:
                    cond = [c.c.area_code == m["area_code"], c.c.text == m["text"], c.c.author == m["author"],
                            c.c.created_at == m["created_at"],
                            c.c.session.is_(None) if m["session"] is None else c.c.session == m["session"]]
                    if conn.execute(sa.select(c.c.id).where(*cond).limit(1)).first() is not None:
                        skipped += 1
                        continue
                    conn.execute(sa.insert(c).values(**m))
                    added_c += 1
        except IntegrityError:
            raise ConflictError("import: someone saved the same versions at the same moment; "
                                "try the import again (nothing was imported).") from None
        return {"versions": added_v, "comments": added_c, "skipped": skipped}


def _parse_export(text: str | bytes, where: str = "import") -> tuple[list[dict], list[dict]]:
    """Validate an export document; return insertable version rows and comment rows.

    Every problem is a one-line DataError starting with ``where`` (the file name, or "import").
    """
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DataError(f"{where}: not a JSON file ({e}); choose a file made by 'export'.") from None
    except RecursionError:
        raise DataError(f"{where}: JSON nested too deeply to be a saved-work export; choose a file made by "
                        "'export'.") from None
    if not isinstance(doc, dict) or doc.get("format") != EXPORT_FORMAT:
        what = "an object" if isinstance(doc, dict) else f"a JSON {type(doc).__name__}"
        raise DataError(f"{where}: not a placebased saved-work export ({what} without \"format\": "
                        f"{EXPORT_FORMAT!r}); choose a file made by 'export'.")
    schema = doc.get("schema_version", 0) or 0
    if isinstance(schema, bool) or not isinstance(schema, int):
        raise DataError(f"{where}: schema_version must be a whole number, not {str(schema)[:40]!r}; choose a file "
                        "made by 'export'.")
    if schema > SCHEMA_VERSION:
        raise DataError(f"{where}: made by a newer placebased (schema {schema}); upgrade placebased.")
    raw_v, raw_c = doc.get("versions", []), doc.get("comments", [])
    if not isinstance(raw_v, list) or not isinstance(raw_c, list):
        raise DataError(f"{where}: 'versions' and 'comments' must be lists; choose a file made by 'export'.")
    versions: list[dict] = []
    seen: set = set()
    for i, item in enumerate(raw_v, start=1):
        at = f"{where}: version item {i}"
        if not isinstance(item, dict):
            raise DataError(f"{at} is not an object; choose a file made by 'export'.")
        kind = item.get("kind")
        if kind not in KINDS:
            raise DataError(f"{at}: kind {kind!r} is not one of {', '.join(KINDS)}; fix or remove the item.")
        name = _text(item.get("name"), f"{at}: name", MAX_NAME)
        version = _check_version(item.get("version"), f"{at}: version")
        if version is None:
            raise DataError(f"{at}: version is missing; fix or remove the item.")
        key = (kind, name, version)
        if key in seen:
            raise DataError(f"{at}: {kind} {name!r} version {version} appears twice; remove one.")
        seen.add(key)
        try:
            body = (_check_toml(name, item.get("toml")) if kind == "scenario"
                    else json.dumps(_check_areas(name, item.get("areas")), ensure_ascii=False))
        except PlaceBasedError as e:
            raise DataError(f"{at}: {e}") from None
        versions.append({
            "kind": kind, "name": name, "version": version,
            "based_on": _check_version(item.get("based_on"), f"{at}: based_on"),
            "author": _text(item.get("author"), f"{at}: author", MAX_AUTHOR),
            "created_at": _text(item.get("created_at"), f"{at}: created_at", 40),
            "body": body,
        })
    comments: list[dict] = []
    for i, item in enumerate(raw_c, start=1):
        at = f"{where}: comment item {i}"
        if not isinstance(item, dict):
            raise DataError(f"{at} is not an object; choose a file made by 'export'.")
        sess = item.get("session")
        comments.append({
            "area_code": _text(item.get("area_code"), f"{at}: area_code", MAX_CODE),
            "text": _text(item.get("text"), f"{at}: text", MAX_COMMENT_CHARS),
            "author": _text(item.get("author"), f"{at}: author", MAX_AUTHOR),
            "session": None if sess is None else _text(sess, f"{at}: session", MAX_SESSION),
            "created_at": _text(item.get("created_at"), f"{at}: created_at", 40),
        })
    return versions, comments

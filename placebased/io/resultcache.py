"""Computed inputs and results saved on disk, so a fresh process reads what an earlier one computed for the
same inputs, settings and code (the app's server start and the CLI's ``placebased profile`` use it).

:func:`disk_cached` is keyed as the app's cache (``appcache._disk_cached``): the SHA-256 of the kind, the
:class:`placebased.pipeline.Sources`, the frozen settings (by ``repr``), the state (path, size, modification
time) of every file the sources read (their own files, or the shipped data folders), and the code version
(:func:`code_version`: the package's computing source and data files, the Python and the computing
libraries). Any change recomputes; errors are never saved; an unreadable or unwritable file is recomputed,
never a reason to fail. Files live in ``$PLACEBASED_APP_CACHE`` (a folder) or ``app/`` in placebased's user
cache folder (mode 0700), written by this user's own processes only; ``PLACEBASED_APP_CACHE=off`` turns it
off.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import os
import pickle
import sys
from pathlib import Path

import placebased
from placebased import _paths
from placebased._atomic import write_bytes
from placebased.io.ons import cache_dir

DISK_CACHE_ENV = "PLACEBASED_APP_CACHE"
_OFF = ("off", "0", "false", "no")
KEEP = {"chart": 256}  # files kept per kind, the newest (8 of other kinds: inputs of 10-20 MB)

#: package files that never compute what is saved (entry points, PDF and other outputs): editing them does
#: not invalidate it (the app's list; a kind whose value is built by one of them names it in ``code_files``)
NOT_COMPUTING = ("commands/", "cli.py", "config.py", "access.py", "profile_record.py", "outputs/glossary.py",
                 "outputs/report", "outputs/sna_report.py", "outputs/staticmap.py", "outputs/survey_map.py",
                 "outputs/webmap.py", "outputs/workshop.py")
LIBRARIES = ("numpy", "pandas", "geopandas", "shapely", "pyproj", "pyogrio", "scipy", "libpysal", "numba",
             "matplotlib")


def enabled() -> bool:
    return os.environ.get(DISK_CACHE_ENV, "").strip().lower() not in _OFF


def disk_dir() -> Path:
    """``$PLACEBASED_APP_CACHE`` if a folder, else ``app/`` in placebased's user cache folder."""
    env = os.environ.get(DISK_CACHE_ENV, "").strip()
    if env and env.lower() not in ("on", "1", "true"):
        return Path(env)
    return cache_dir() / "app"


@functools.lru_cache(maxsize=8)
def code_version(extra_files: tuple[str, ...] = (), computing: tuple[str, ...] = ()) -> str:
    """What a saved result depends on besides its inputs: the package's source and data files that load and
    compute (all but :data:`NOT_COMPUTING`, save those named in ``computing``), ``extra_files`` (e.g. the
    app's cache module), the Python and the versions of :data:`LIBRARIES` (read, never imported)."""
    h = hashlib.sha256(sys.version.encode())
    root = Path(placebased.__file__).resolve().parent
    skip = tuple(p for p in NOT_COMPUTING if p not in computing)
    files = [p for p in root.rglob("*") if p.suffix in (".py", ".toml", ".csv") and p.is_file()
             and (not p.relative_to(root).as_posix().startswith(skip)
                  or p.relative_to(root).as_posix() in computing)]
    for f in sorted(files):
        h.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes())
    for f in extra_files:
        h.update(Path(f).read_bytes())
    for lib in LIBRARIES:
        try:
            h.update(f"{lib}={importlib.metadata.version(lib)}".encode())
        except importlib.metadata.PackageNotFoundError:
            h.update(lib.encode())
    return h.hexdigest()


def file_state(path) -> tuple:
    """``(path, size, mtime_ns)`` of one file (``(path, None)`` when it cannot be read)."""
    try:
        st = Path(path).stat()
    except OSError:
        return (str(path), None)
    return (str(Path(path).resolve()), st.st_size, st.st_mtime_ns)


def files_state(src) -> list:
    """Path, size and modification time of every file ``src`` (a :class:`placebased.pipeline.Sources`) reads
    (its own files, or the shipped data folders it falls back to), folders walked."""
    roots = [p for p in (src.boundaries, *src.incidents, *src.tables, src.provision) if p]
    roots += [_paths.data_folder(n) for n in _paths.DATA_FOLDERS]
    out = []
    for r in roots:
        r = Path(r)
        for f in sorted(r.rglob("*")) if r.is_dir() else [r]:
            try:
                st = f.stat()
            except OSError:
                out.append((str(f), None))
                continue
            if f.is_file():
                out.append((str(f.resolve()), st.st_size, st.st_mtime_ns))
    return out


def cache_key(kind: str, src, *settings, version: str | None = None) -> str:
    return hashlib.sha256(repr((kind, src, settings, files_state(src),
                                version or code_version())).encode()).hexdigest()


def disk_cached(kind: str, compute, src, *settings, version: str | None = None):
    """``compute()``, or its result saved on disk by an earlier process for the same inputs (the same objects,
    pickled); see the module docstring for the key. ``version``: the code version to key on (default
    :func:`code_version`)."""
    if not enabled():
        return compute()
    path = None
    try:
        path = disk_dir() / f"{kind}-{cache_key(kind, src, *settings, version=version)[:40]}.pickle"
        with open(path, "rb") as f:
            return pickle.load(f)  # noqa: S301 - written by this user's processes into their own cache folder
    except Exception:  # noqa: BLE001 - not cached yet, unreadable or stale: compute
        pass
    value = compute()
    if path is not None:
        save(path, kind, value)
    return value


def save(path: Path, kind: str, value) -> None:
    """Write ``value`` pickled at ``path`` (atomically), keeping the newest files of ``kind``; never fails."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_bytes(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        old = sorted(path.parent.glob(f"{kind}-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
        for f in old[KEEP.get(kind, 8):]:
            f.unlink(missing_ok=True)
    except Exception:  # noqa: BLE001 - a read-only or full disk: everything works without this cache
        pass

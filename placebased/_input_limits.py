"""Cheap checks on the size and shape of an input file, made before pandas or GDAL parse it all.

A 40 MB CSV on one line, a CSV with a million columns, or a small ``.gz``/``.zip`` that unpacks
to many gigabytes would otherwise run for minutes and take gigabytes of memory. The limits:

=============================== ================================================ ============
environment variable            limit                                            default
=============================== ================================================ ============
``PLACEBASED_MAX_LINE_KB``      longest line of a CSV/TSV (kilobytes)            1024 (1 MB)
``PLACEBASED_MAX_COLUMNS``      columns of a table                               500
``PLACEBASED_MAX_UNPACKED_MB``  size of a file once unpacked (``.gz``, ``.zip``,  20 x the upload
                                ``.xlsx``), in MB                                limit (1,000)
=============================== ================================================ ============

Each breach is a one-line :class:`~placebased.errors.DataError` naming the file, the limit and
the variable that changes it.
"""

from __future__ import annotations

import gzip
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np

from placebased.errors import ConfigError, file_error
from placebased.safety import upload_limit_mb

LINE_KB_ENV = "PLACEBASED_MAX_LINE_KB"
COLUMNS_ENV = "PLACEBASED_MAX_COLUMNS"
UNPACKED_MB_ENV = "PLACEBASED_MAX_UNPACKED_MB"
DEFAULT_LINE_KB = 1024.0
DEFAULT_COLUMNS = 500
#: unpacked files may be this many times the upload limit (50 MB -> 1,000 MB)
UNPACKED_FACTOR = 20.0


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return float(default)
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number; set it to a positive number.") from None
    if not value > 0:
        raise ConfigError(f"{name}={raw!r} must be a positive number.")
    return value


def max_line_bytes() -> int:
    return int(_env_number(LINE_KB_ENV, DEFAULT_LINE_KB) * 1024)


def max_columns() -> int:
    return int(_env_number(COLUMNS_ENV, DEFAULT_COLUMNS))


def max_unpacked_bytes() -> int:
    return int(_env_number(UNPACKED_MB_ENV, UNPACKED_FACTOR * upload_limit_mb()) * 1_000_000)


def _mb(n: int) -> str:
    return f"{n / 1_000_000:,.0f} MB" if n >= 10_000_000 else f"{n / 1_000_000:,.2g} MB"


def _too_big(path, limit: int):
    return file_error(path, f"unpacks to more than {_mb(limit)}, the limit for unpacked files",
                      f"split the file, or raise the limit with {UNPACKED_MB_ENV} (in MB)")


def read_bytes(path: Path) -> bytes:
    """The file's bytes (a ``.gz`` file decompressed), refusing more than :func:`max_unpacked_bytes`.

    A ``.gz`` is decompressed in pieces, so a small file that unpacks to gigabytes stops at the limit.
    """
    limit = max_unpacked_bytes()
    if path.suffix.lower() != ".gz":
        if path.stat().st_size > limit:
            raise _too_big(path, limit)
        return path.read_bytes()
    parts, total = [], 0
    with gzip.open(path) as fh:
        while chunk := fh.read(1 << 20):
            total += len(chunk)
            if total > limit:
                raise _too_big(path, limit)
            parts.append(chunk)
    return b"".join(parts)


def check_gzip(path: Path) -> None:
    """Refuse a ``.gz`` (e.g. ``.geojson.gz``) that unpacks to more than the limit, reading it in pieces."""
    limit, total = max_unpacked_bytes(), 0
    try:
        with gzip.open(path) as fh:
            while chunk := fh.read(1 << 20):
                total += len(chunk)
                if total > limit:
                    raise _too_big(path, limit)
    except (OSError, EOFError, zlib.error) as exc:
        raise file_error(path, f"is not a complete .gz file ({exc})", "compress it again with gzip") from None


def check_zip(path: Path, what: str = "file") -> list[zipfile.ZipInfo]:
    """The members of a zip (also ``.xlsx``) after checking it opens, holds files and unpacks within the limit."""
    try:
        with zipfile.ZipFile(path) as zf:
            members = [m for m in zf.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        if "workbook" in what:
            raise file_error(path, f"is not a readable Excel workbook ({exc})",
                             "save it again as .xlsx or as CSV") from None
        raise file_error(path, f"is not a readable zip file ({exc})", f"zip the {what} again") from None
    if not members:
        raise file_error(path, "zip file holds no files", f"zip the {what} again with its files inside")
    limit = max_unpacked_bytes()
    if sum(m.file_size for m in members) > limit:
        raise _too_big(path, limit)
    return members


def check_table_shape(raw: bytes, path: Path, sep: str | None = None) -> None:
    """Refuse text whose longest line or whose header's column count is over the limits.

    Works on the raw bytes with numpy (no Python loop over lines), so a 40 MB one-line file is
    refused in well under a second.
    """
    limit = max_line_bytes()
    if len(raw) > limit:
        arr = np.frombuffer(raw, dtype=np.uint8)
        breaks = np.flatnonzero((arr == 10) | (arr == 13))
        edges = np.concatenate(([-1], breaks, [len(arr)]))
        lengths = np.diff(edges) - 1
        worst = int(np.argmax(lengths))
        if lengths[worst] > limit:
            line = int(np.count_nonzero(arr[: edges[worst] + 1] == 10)) + 1
            raise file_error(
                path,
                f"line {line:,} is {lengths[worst] / 1024:,.0f} KB long, over the {limit / 1024:,.0f} KB limit "
                "for one line (is it one row with no line breaks?)",
                f"export it again as one record per line, or raise the limit with {LINE_KB_ENV} (in KB)",
            )
    head = raw[: max_line_bytes() + 1].split(b"\n", 1)[0]
    if sep is None:
        sep = "\t" if head.count(b"\t") > head.count(b",") else ","
    n = head.count(sep.encode()) + 1
    cap = max_columns()
    if n > cap:
        raise file_error(path, f"the header has {n:,} columns, over the limit of {cap:,}",
                         f"keep the columns you need, or raise the limit with {COLUMNS_ENV}")


def check_columns(n: int, path: Path) -> None:
    """Refuse a table (e.g. an Excel sheet) with more columns than the limit."""
    cap = max_columns()
    if n > cap:
        raise file_error(path, f"the table has {n:,} columns, over the limit of {cap:,}",
                         f"keep the columns you need, or raise the limit with {COLUMNS_ENV}")


def check_spatial(path: Path) -> None:
    """Size checks for a spatial file before GDAL opens it (``.gz`` and ``.zip`` unpacked sizes)."""
    suffix = path.suffix.lower()
    if suffix == ".gz":
        check_gzip(path)
    elif suffix == ".zip":
        check_zip(path, "spatial file")
    elif path.is_file() and path.stat().st_size > max_unpacked_bytes():
        raise _too_big(path, max_unpacked_bytes())


SPATIAL_MEMBERS = (".shp", ".geojson", ".json", ".gpkg", ".parquet", ".geoparquet")


def spatial_zip_member(path: Path) -> str:
    """The spatial file inside a zip (the first ``.shp``, else GeoJSON/GeoPackage/GeoParquet), or a one-line error."""
    names = [m.filename for m in check_zip(path, "spatial file")]
    for ending in SPATIAL_MEMBERS:
        found = [n for n in names if n.lower().endswith(ending) and not n.startswith(("__MACOSX", "."))]
        if found:
            return found[0]
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    raise file_error(path, f"zip file holds no readable spatial file (found {shown})",
                     "zip a Shapefile (.shp with its .shx, .dbf and .prj), GeoJSON or GeoPackage")


def reader_problem(exc: BaseException, path: Path) -> str:
    """A short, plain reason from a GDAL/pyogrio/pyarrow error (without GDAL's driver advice)."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "not recognized as" in text or "not recognised as" in text:
        geojson = "GeoJSON file (not valid JSON, or JSON that is not GeoJSON)"
        kind = {".geojson": geojson, ".json": geojson, ".gpkg": "GeoPackage"}.get(path.suffix.lower(), "spatial file")
        return f"is not a readable {kind}"
    text = text.replace(str(path), path.name)
    return f"is not a readable spatial file ({text[:200]})"

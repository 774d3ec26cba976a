"""The one reader of tables from users: CSV (plain or ``.gz``), TSV, semicolon CSV and Excel, as text columns.

Incidents, provision, users' indicator tables, survey responses and partner (A&E) records are all opened
by :func:`read_table`, so they share one set of rules:

* **checks before parsing** (:mod:`placebased._input_limits`): unpacked size of a ``.gz``/``.xlsx``,
  the longest line, the number of columns;
* **encodings**: UTF-8 (with or without the byte-order mark Excel writes), UTF-16 recognised by its
  mark ("Unicode text" from Excel), else Windows-1252 (cp1252, what Excel on Windows saves as "CSV");
* **separators**: comma, tab (``.tsv``, or a header with more tabs) or semicolon (Excel in a European
  locale; then ``1,5`` is read as ``1.5``), chosen from the header row;
* **binary files** (a PDF or a workbook renamed ``.csv``) refused before pandas sees them;
* every cell is **text** (``str``; blank cells missing), column names stripped of spaces; the caller
  converts the columns it needs and names rows by their file row (header = row 1);
* every failure is a one-line :class:`~placebased.errors.DataError` naming the file and what to do,
  worded for the kind of file (``what``: "incident file is empty", "provision file not found").

:func:`find_column` is the one column matcher: a header matches a known name whatever its case,
surrounding spaces, or spaces versus underscores.

Examples
--------
>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> f = folder / "t.csv"
>>> _ = f.write_bytes("\\ufeffArea code;Value\\nE01;1,5\\n".encode("utf-8"))
>>> frame = read_table(f, "indicator")
>>> list(frame.columns), frame.iloc[0].tolist(), frame.attrs["separator"]
(['Area code', 'Value'], ['E01', '1.5'], ';')
>>> find_column(frame.columns, ("area_code", "lsoa21cd"))
'Area code'
"""

from __future__ import annotations

import io
import os
import re
import zlib
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from placebased import _input_limits
from placebased.errors import file_error

__all__ = ["ENCODINGS", "EXCEL_SUFFIXES", "TABLE_SUFFIXES", "base_suffix", "check_file", "decode", "find_column",
           "parse_csv", "read_excel", "read_table", "read_text", "separator"]

#: file endings read as tables (``.gz`` of a text table is unpacked first)
TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xls", ".xlsm")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
#: text encodings tried in turn (UTF-16 is recognised by its byte-order mark first)
ENCODINGS = ("utf-8-sig", "cp1252")
_SEPARATORS = (",", "\t", ";")
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
_SAVE_CSV = "save it as CSV (UTF-8) or .xlsx"


def base_suffix(path: str | os.PathLike) -> str:
    """The file's ending in lower case, looking through ``.gz``: ``a.CSV.gz`` -> ``".csv"``."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def find_column(columns: Iterable, names: Iterable[str]) -> str | None:
    """The first of ``columns`` matching the earliest of ``names``, ignoring case, surrounding spaces and
    spaces versus underscores (``" Crime_Type "`` matches ``"crime type"``); ``None`` when none does.

    >>> find_column(["ID", "Crime_Type", "crime type"], ("offence", "crime type"))
    'Crime_Type'
    """
    seen: dict[str, object] = {}
    for c in columns:
        seen.setdefault(_key(c), c)
    return next((seen[k] for k in map(_key, names) if k in seen), None)


def _key(name) -> str:
    return re.sub(r"[\s_]+", " ", str(name).strip().casefold())


def separator(header: str, path: str | os.PathLike | None = None) -> str:
    """The separator of a table from its header row: tab for ``.tsv``, else the most frequent of comma,
    tab and semicolon outside quotes (comma when there is none)."""
    if path is not None and base_suffix(path) == ".tsv":
        return "\t"
    bare = re.sub(r'"[^"]*"', "", header)
    counts = {s: bare.count(s) for s in _SEPARATORS}
    best = max(_SEPARATORS, key=lambda s: counts[s])  # ties go to the first: comma
    return best if counts[best] else ","


def _looks_binary(raw: bytes) -> bool:
    head = raw[:4096]
    if b"\x00" in head:
        return True
    control = sum(head.count(bytes([b])) for b in (*range(0, 8), 11, *range(14, 27), *range(28, 32)))
    return control > 0.1 * max(len(head), 1)


def decode(raw: bytes, path: str | os.PathLike) -> str:
    """Table bytes as text: UTF-16 by its mark, binary content refused, line length and column count
    checked (:func:`placebased._input_limits.check_table_shape`), then UTF-8 or cp1252."""
    path = Path(path)
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 ("Unicode text" from Excel): re-encode as UTF-8
        try:
            raw = raw.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            raise file_error(path, "starts like UTF-16 text but does not decode", "save it as CSV (UTF-8)") from None
    if _looks_binary(raw):
        raise file_error(path, "is a binary file, not a CSV", "save it as CSV (UTF-8) or give an Excel/GeoJSON file")
    head = raw[: _input_limits.max_line_bytes() + 1].split(b"\n", 1)[0].decode("latin-1")
    _input_limits.check_table_shape(raw, path, separator(head, path))
    for enc in ENCODINGS:
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")  # every byte decodes; cp1252 failures are rare control bytes


def read_text(path: str | os.PathLike) -> str:
    """The text of a CSV/TSV (plain or ``.gz``) after the size, binary and shape checks of :func:`decode`."""
    path = Path(path)
    if path.is_dir():
        raise file_error(path, "is a folder, not a file", "name the file itself")
    try:
        raw = _input_limits.read_bytes(path)
    except (OSError, EOFError, zlib.error) as exc:
        raise file_error(path, f"cannot be read ({exc})", "check it is a complete CSV or .csv.gz file") from None
    return decode(raw, path)


def parse_csv(text: str, path: str | os.PathLike, what: str = "table", *, min_columns: int = 1,
              fix_columns: str = "give a comma-separated file with a header row") -> pd.DataFrame:
    """Parse decoded CSV text into text columns (see the module notes); ``path`` names the file in errors.

    Raises a one-line DataError when the text is blank, does not parse, has no header, has fewer than
    ``min_columns`` columns (``fix_columns`` says what to give instead) or has a header but no rows.
    """
    path = Path(path)
    if not text.strip():
        raise file_error(path, f"{what} file is empty", "export it again with its rows")
    sep = separator(text.split("\n", 1)[0], path)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_values=[""],
                            skipinitialspace=True)
    except pd.errors.ParserError as exc:
        msg = str(exc).splitlines()[0]
        m = re.search(r"line (\d+)", msg)
        where = f"row {m.group(1)}" if m else "a row"
        raise file_error(path, f"{where} does not parse as CSV ({msg})",
                         "check quoting and the number of fields") from None
    except pd.errors.EmptyDataError:
        raise file_error(path, f"{what} file has no header row", "export it again with column names") from None
    if len(frame.columns) < min_columns:
        found = "one column found" if len(frame.columns) == 1 else f"{len(frame.columns)} columns found"
        raise file_error(path, f"does not look like a CSV table ({found})", fix_columns)
    if sep == ";":  # a European-locale export: decimal commas
        frame = frame.apply(lambda s: s.mask(s.str.fullmatch(_DECIMAL_COMMA, na=False),
                                             s.str.replace(",", ".", regex=False)))
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.attrs["separator"] = sep
    return _with_rows(frame, path, what)


def _with_rows(frame: pd.DataFrame, path: Path, what: str) -> pd.DataFrame:
    if len(frame) == 0:
        raise file_error(path, f"{what} file has a header but no rows", "export it again with its rows")
    return frame.reset_index(drop=True)


def read_excel(path: str | os.PathLike, what: str = "table") -> pd.DataFrame:
    """The first sheet of an Excel file as text columns, with its unpacked size and column count checked
    first; a workbook whose first sheet is blank is refused ("holds no table")."""
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        _input_limits.check_zip(path, f"{what} workbook")
    try:
        frame = pd.read_excel(path, dtype=str)
    except Exception as exc:  # noqa: BLE001 - openpyxl/xlrd raise many kinds; the file is the problem
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise file_error(path, f"not a readable Excel file ({first})", "save it again as .xlsx or as CSV") from None
    _input_limits.check_columns(len(frame.columns), path)
    if len(frame.columns) == 0:
        raise file_error(path, "the first sheet of the workbook holds no table",
                         "put the table (header row, then one row per record) on the first sheet")
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.attrs["separator"] = None
    return frame


def check_file(path: str | os.PathLike, what: str = "table", fix_empty: str = "export it again with its rows") -> Path:
    """``path`` as a Path once it is known to be a file with something in it (else a one-line DataError:
    "<what> file not found", "is a folder, not a file", "<what> file is empty")."""
    path = Path(path)
    if not path.exists():
        raise file_error(path, f"{what} file not found", "check the path and the file name")
    if path.is_dir():
        raise file_error(path, "is a folder, not a file", "name the file itself")
    if path.stat().st_size == 0:
        raise file_error(path, f"{what} file is empty", fix_empty)
    return path


def read_table(path: str | os.PathLike, what: str = "table", *, min_columns: int = 1,
               fix_columns: str = "give a comma-separated file with a header row") -> pd.DataFrame:
    """Open a CSV/TSV (plain or ``.gz``) or Excel file as a frame of text columns, indexed 0..n-1.

    Parameters
    ----------
    path
        The file. Excel by its ending (``.xlsx``, ``.xlsm``, ``.xls``); anything else is read as text.
    what
        The kind of file, for the messages ("incident" -> "incident file is empty").
    min_columns, fix_columns
        A text file with fewer columns is refused ("does not look like a CSV table"), with ``fix_columns``
        as the advice.

    Raises
    ------
    DataError
        Missing, a folder, empty, binary, over the size limits, not parseable, header only, too few columns.
    """
    path = check_file(path, what)
    if base_suffix(path) in EXCEL_SUFFIXES and path.suffix.lower() != ".gz":
        return _with_rows(read_excel(path, what), path, what)
    return parse_csv(read_text(path), path, what, min_columns=min_columns, fix_columns=fix_columns)

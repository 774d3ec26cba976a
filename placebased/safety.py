"""Safety of uploads and of text shown back to people.

* :func:`check_upload` refuses files that are too large (default 50 MB, or ``PLACEBASED_MAX_UPLOAD_MB``),
  empty, or of a type placebased does not read, before anything parses them.
* :func:`escape_text` / :func:`escape_frame` escape text that came from uploaded files or from
  participants (area names, provision names, comments) before it goes into HTML: map tooltips
  and popups, ``st.markdown(..., unsafe_allow_html=True)``, PDF-free HTML exports.
* :func:`defuse_formulas` stops text cells in CSV downloads from running as spreadsheet formulas.
* :func:`terminal_text` / :class:`TerminalSafe` keep text from files from driving the terminal when the CLI
  prints it (escape sequences, carriage-return overwrites, bidirectional overrides become visible ``\\xNN``).

Examples
--------
>>> escape_text('<img src=x onerror="alert(1)">')
'&lt;img src=x onerror=&quot;alert(1)&quot;&gt;'
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterable

import pandas as pd

from placebased.errors import ConfigError, DataError

#: default upload limit in megabytes (override with ``PLACEBASED_MAX_UPLOAD_MB`` or ``limit_mb=``)
DEFAULT_UPLOAD_LIMIT_MB = 50.0
UPLOAD_LIMIT_ENV = "PLACEBASED_MAX_UPLOAD_MB"
#: file types the readers accept (incidents, boundaries, provision, scenarios, saved work)
UPLOAD_TYPES = (
    ".csv", ".csv.gz", ".txt", ".tsv", ".xlsx", ".xls", ".zip", ".geojson", ".json", ".gpkg",
    ".shp", ".dbf", ".shx", ".prj", ".cpg", ".toml", ".parquet",
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# what the CLI never sends to a terminal raw: C0 controls except tab and newline (carriage return too: it can
# overwrite a line), DEL, C1 controls (0x9b is a one-byte CSI) and the bidirectional embeddings and overrides
_TERMINAL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")

__all__ = [
    "DEFAULT_UPLOAD_LIMIT_MB",
    "UPLOAD_TYPES",
    "check_upload",
    "defuse_formula",
    "defuse_formulas",
    "escape_frame",
    "escape_text",
    "terminal_text",
    "TerminalSafe",
    "upload_limit_mb",
]


def escape_text(value: object) -> str:
    """HTML-escape any value for display (``&``, ``<``, ``>``, both quotes); None / NA give ``""``.

    Control characters other than tab and newline are removed.
    """
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):  # lists and other non-scalars
        pass
    return html.escape(_CONTROL.sub("", str(value)), quote=True)


def terminal_text(value: object) -> str:
    """Text for a terminal: control characters (except tab and newline) and bidirectional overrides are
    shown as visible escapes, so text from a file cannot move the cursor, recolour or rewrite the screen.

    >>> terminal_text("Kingsley\\x1b[2J ward\\r")
    'Kingsley\\\\x1b[2J ward\\\\x0d'
    """
    return _TERMINAL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                         else f"\\u{ord(m.group()):04x}", str(value))


class TerminalSafe:
    """A text stream that passes everything written through :func:`terminal_text` (the CLI wraps stdout
    and stderr in it while a command runs, so every print is covered)."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(terminal_text(text))
        return len(text)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _is_text_column(series: pd.Series) -> bool:
    if isinstance(series.dtype, pd.StringDtype) or series.dtype == object:
        return True
    return pd.api.types.is_string_dtype(series.dtype)


def escape_frame(frame: pd.DataFrame, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """A copy of ``frame`` with every text column (or the given ``columns``) HTML-escaped.

    Numbers, dates and the geometry column are left alone; missing text becomes ``""``. The
    index is kept (and escaped too when it holds text). The input is not changed.

    >>> escape_frame(pd.DataFrame({"name": ["A & B", None], "n": [1, 2]})).to_dict("list")
    {'name': ['A &amp; B', ''], 'n': [1, 2]}
    """
    out = frame.copy()
    geom = getattr(frame, "_geometry_column_name", None)
    if columns is None:
        chosen = [c for c in out.columns if c != geom and _is_text_column(out[c])]
    else:
        chosen = list(columns)
        missing = [c for c in chosen if c not in out.columns]
        if missing:
            raise ConfigError(f"escape_frame: no column(s) {', '.join(map(str, missing))}; "
                              f"columns are: {', '.join(map(str, out.columns))}.")
    for c in chosen:
        out[c] = pd.Series([escape_text(v) for v in out[c]], index=out.index, dtype=object)
    if _is_text_column(out.index.to_series()):
        out.index = pd.Index([escape_text(v) for v in out.index], name=out.index.name)
    return out


def upload_limit_mb(limit_mb: float | None = None) -> float:
    """The upload limit in MB: ``limit_mb`` if given, else ``PLACEBASED_MAX_UPLOAD_MB``, else 50."""
    if limit_mb is None:
        raw = os.environ.get(UPLOAD_LIMIT_ENV, "").strip()
        if not raw:
            return DEFAULT_UPLOAD_LIMIT_MB
        try:
            limit_mb = float(raw)
        except ValueError:
            raise ConfigError(f"{UPLOAD_LIMIT_ENV}={raw!r} is not a number; set it to a size in MB, e.g. 50.") from None
    if not limit_mb > 0:
        raise ConfigError(f"upload limit must be a positive number of MB, not {limit_mb!r}.")
    return float(limit_mb)


def _display_name(name: str) -> str:
    base = re.split(r"[\\/]", str(name))[-1]
    return _CONTROL.sub("", base).strip()[:200]


def check_upload(
    name: str,
    size_bytes: int,
    limit_mb: float | None = None,
    allowed: Iterable[str] | None = UPLOAD_TYPES,
) -> str:
    """Check an uploaded file before reading it; return its bare file name (no folders).

    Parameters
    ----------
    name
        The file name as the browser sent it.
    size_bytes
        Its size (``len(uploaded.getvalue())`` or ``uploaded.size``).
    limit_mb
        Largest size accepted, in MB (10**6 bytes); default ``PLACEBASED_MAX_UPLOAD_MB`` or 50.
    allowed
        Accepted endings (case-insensitive), or None to accept any.

    Raises
    ------
    DataError
        Too large, empty, or of a type that is not accepted; the message says what to do.

    >>> check_upload("crimes.csv", 1_000)
    'crimes.csv'
    """
    limit = upload_limit_mb(limit_mb)
    shown = _display_name(name)
    if not shown:
        raise DataError("upload: the file has no name; upload a file with a name such as incidents.csv.")
    try:
        size = int(size_bytes)
    except (TypeError, ValueError):
        raise DataError(f"{shown}: size {size_bytes!r} is not a number of bytes; upload the file again.") from None
    if size <= 0:
        raise DataError(f"{shown}: the file is empty; check you exported the data and upload it again.")
    if size > limit * 1_000_000:
        raise DataError(
            f"{shown}: the file is {size / 1_000_000:,.1f} MB, larger than the {limit:g} MB limit; "
            "upload fewer months or columns, or compress it (.csv.gz or .zip)."
        )
    if allowed is not None:
        endings = tuple(a.lower() for a in allowed)
        if not shown.lower().endswith(endings):
            raise DataError(
                f"{shown}: this type of file cannot be read; upload one of: {', '.join(endings)}."
            )
    return shown


def defuse_formula(value: object) -> object:
    """One cell made safe for a spreadsheet: text starting with ``=``, ``+``, ``-``, ``@``, tab or
    carriage return gets a leading ``'`` (OWASP's advice for CSV injection); anything else, and text
    that is just a number such as ``"-3"``, is returned unchanged.

    >>> defuse_formula("@SUM(1+1)"), defuse_formula("-3"), defuse_formula(-3)
    ("'@SUM(1+1)", '-3', -3)
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.match(value):
        return "'" + value
    return value


def _defuse_labels(index: pd.Index) -> pd.Index:
    """Index or column labels with text labels defused (MultiIndex levels too); names kept, defused."""
    if isinstance(index, pd.MultiIndex):
        levels = [_defuse_labels(lv) for lv in index.levels]
        out = index.set_levels(levels, verify_integrity=False) if levels else index
        return out.set_names([defuse_formula(n) for n in index.names])
    if index.dtype == object or isinstance(index.dtype, pd.StringDtype | pd.CategoricalDtype):
        values = [defuse_formula(v) for v in index]
        if values != list(index):
            return pd.Index(values, name=defuse_formula(index.name), dtype=object)
    return index.rename(defuse_formula(index.name)) if isinstance(index.name, str) else index


def defuse_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cannot run as spreadsheet formulas when opened in Excel.

    Every text cell (object, string and categorical columns), the index and the column headers go
    through :func:`defuse_formula`; numbers, dates and the geometry column are left alone. The input
    is not changed.

    >>> defuse_formulas(pd.DataFrame({"c": ["=HYPERLINK(1)", "-3", "ok"]}))["c"].tolist()
    ["'=HYPERLINK(1)", '-3', 'ok']
    """
    out = frame.copy()
    geom = getattr(frame, "_geometry_column_name", None)
    for i, c in enumerate(out.columns):
        col = out.iloc[:, i]
        if c == geom or not (_is_text_column(col) or isinstance(col.dtype, pd.CategoricalDtype)):
            continue
        values = [defuse_formula(v) for v in col]
        if isinstance(col.dtype, pd.StringDtype):
            fixed = pd.Series(values, index=out.index, dtype=col.dtype)
        else:
            fixed = pd.Series(values, index=out.index, dtype=object)
        out.isetitem(i, fixed)
    out.index = _defuse_labels(out.index)
    out.columns = _defuse_labels(out.columns)
    return out


#: characters that Markdown (and Streamlit's extensions: $ maths, :emoji:, :colour[...]) would act on
_MD_CHARS = "\\`*_{}[]()#+-.!|~$:=^<>&\"'"
_MD_ENTITIES = {ord(c): f"&#{ord(c)};" for c in _MD_CHARS}
_WWW = re.compile(r"(?i)(www)(\.)")




def escape_markdown(value: object) -> str:
    """Text from a file or a person, made inert for ``st.markdown``: HTML-escaped (``escape_text``),
    every Markdown punctuation character written as a numeric entity, and an invisible word joiner
    after ``:`` and ``@`` and inside ``www.`` so no bare URL or e-mail address becomes a link; new
    lines kept."""
    text = escape_text(value)
    text = _WWW.sub("\\1\u2060\\2", text.replace(":", ":\u2060").replace("@", "@\u2060"))
    # escape_text already turned & < > " ' into entities; encode the rest of the punctuation
    text = text.replace("&amp;", "\0a").replace("&lt;", "\0l").replace("&gt;", "\0g").replace("&quot;", "\0q")
    text = text.replace("&#x27;", "\0s").translate(_MD_ENTITIES)
    text = (text.replace("\0a", "&amp;").replace("\0l", "&lt;").replace("\0g", "&gt;").replace("\0q", "&quot;")
            .replace("\0s", "&#x27;"))
    lines = [ln.strip() for ln in text.splitlines()]
    return "  \n".join(ln for ln in lines if ln) or "&#8203;"

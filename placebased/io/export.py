"""The one writer of exports: tables (CSV, Excel), map layers (GeoJSON, GeoPackage) and documents (PDF, HTML,
PNG, JSON), to files for the CLI or as bytes for the app's downloads.

Every export goes through here, so that

* no text from a file (an area, category or provision name) ever reaches a spreadsheet as a live
  formula: text cells, the index and the column headers of a table are defused by
  :func:`placebased.safety.defuse_formulas` (OWASP: text starting with ``= + - @``, tab or carriage
  return gets a leading ``'``; numbers, and text that is just a number such as ``"-3"``, stay as they are);
* files are written whole or not at all (:mod:`placebased._atomic`: a temporary file beside the
  target, renamed onto it), with one-line errors for a folder, a missing or read-only folder, a full disk.

The format follows the file name. Tables (:func:`write_table`, :func:`table_bytes`): ``.xlsx`` writes an
Excel workbook (one sheet), ``.csv.gz`` a compressed CSV, anything else CSV. Layers (:func:`write_layer`,
:func:`geojson_bytes`): ``.geojson``/``.json`` GeoJSON, ``.gpkg`` a GeoPackage. Documents
(:func:`write_document`): the bytes or text as given (PDF profiles, HTML maps, PNG charts, JSON).
No other module calls ``to_csv``, ``to_excel`` or ``to_file``, or writes an output file itself
(``tests/test_export.py`` checks).

Examples
--------
>>> frame = pd.DataFrame({"name": ["=1+1", "Kingsthorpe"], "n": [-3, 4]})
>>> table_bytes(frame, index=False, encoding="utf-8").decode()
"name,n\\n'=1+1,-3\\nKingsthorpe,4\\n"
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pandas as pd

from placebased import _atomic
from placebased.errors import ConfigError, file_error
from placebased.safety import defuse_formulas

__all__ = ["FORMATS", "LAYER_FORMATS", "geojson_bytes", "layer_format", "table_bytes", "table_format", "write_document",
           "write_layer", "write_table"]

#: table formats and the file endings that choose them
FORMATS = {"csv": (".csv", ".csv.gz"), "xlsx": (".xlsx",)}
EXCEL_MAX_ROWS, EXCEL_MAX_COLUMNS = 1_048_576, 16_384
MIME = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
#: map layer formats (GDAL driver names) and the file endings that choose them
LAYER_FORMATS = {"GeoJSON": (".geojson", ".json"), "GPKG": (".gpkg",)}


def table_format(path: str | os.PathLike) -> str:
    """``"xlsx"`` for an ``.xlsx`` name, ``"csv"`` otherwise; an old ``.xls`` name is refused."""
    name = str(path).lower()
    if name.endswith(".xls"):
        raise file_error(path, "placebased writes Excel as .xlsx, not the old .xls format",
                         "name the file .xlsx (or .csv)", ConfigError)
    return "xlsx" if name.endswith(".xlsx") else "csv"


def _check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ConfigError(f"unknown table format {fmt!r}; choose one of: {', '.join(FORMATS)}.")
    return fmt


def _for_excel(frame: pd.DataFrame, where) -> pd.DataFrame:
    """Excel's limits checked; time-zone-aware dates written as UTC (Excel has no time zones)."""
    rows = len(frame) + frame.columns.nlevels
    cols = len(frame.columns) + frame.index.nlevels
    if rows > EXCEL_MAX_ROWS or cols > EXCEL_MAX_COLUMNS:
        raise file_error(where, f"{len(frame):,} rows x {len(frame.columns):,} columns do not fit in an Excel sheet "
                                f"({EXCEL_MAX_ROWS:,} x {EXCEL_MAX_COLUMNS:,})", "write a .csv file instead")
    out = frame
    for i in range(len(frame.columns)):
        col = frame.iloc[:, i]
        if isinstance(col.dtype, pd.DatetimeTZDtype):
            out = out.copy() if out is frame else out
            out.isetitem(i, col.dt.tz_convert("UTC").dt.tz_localize(None))
    if isinstance(out.index, pd.DatetimeIndex) and out.index.tz is not None:
        out = out.copy() if out is frame else out
        out.index = out.index.tz_convert("UTC").tz_localize(None)
    return out


def _has_cr(frame: pd.DataFrame) -> bool:
    """Whether any text cell, index label or header holds a carriage return."""
    def any_cr(values) -> bool:
        return any(isinstance(v, str) and "\r" in v for v in values)

    if any_cr(frame.columns.to_flat_index()) or any_cr(frame.index.to_flat_index()):
        return True
    return any(any_cr(frame.iloc[:, i]) for i in range(frame.shape[1])
               if frame.iloc[:, i].dtype == object or isinstance(frame.iloc[:, i].dtype, pd.StringDtype
                                                                  | pd.CategoricalDtype))


def _csv_options(frame: pd.DataFrame) -> dict:
    """pandas quotes a cell with a line feed but not one with a bare carriage return, which a spreadsheet
    reads as a new row (whose first cell could then be a live formula): with CR line ends such cells are
    quoted too. Tables without carriage returns keep plain line feeds."""
    return {"lineterminator": "\r\n"} if _has_cr(frame) else {}


def _safe(frame: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):  # a Series: one column
        frame = frame.to_frame()
    return defuse_formulas(frame)


def write_table(frame: pd.DataFrame, path: str | os.PathLike, *, index: bool = True, fmt: str | None = None,
                encoding: str = "utf-8", sheet_name: str = "table") -> Path:
    """Write ``frame`` to ``path`` whole or not at all, with spreadsheet formulas defused.

    Parameters
    ----------
    frame
        The table (a Series is written as one column). It is not changed.
    path
        Where to write; ``.xlsx`` gives an Excel workbook, anything else CSV (``.gz`` compressed).
    index
        Write the index as the first column(s).
    fmt
        ``"csv"`` or ``"xlsx"`` to override the choice by file name.
    encoding
        Text encoding of a CSV (``"utf-8-sig"`` adds the mark Excel needs to show non-ASCII names).
    sheet_name
        The Excel sheet's name.

    Raises
    ------
    DataError
        The path is a folder, its folder is missing or read-only, or the table is too big for Excel.
    """
    fmt = _check_format(fmt) if fmt is not None else table_format(path)
    safe = _safe(frame)
    if fmt == "xlsx":
        safe = _for_excel(safe, path)
    with _atomic.atomic_path(path) as tmp:
        if fmt == "xlsx":
            safe.to_excel(tmp, index=index, sheet_name=sheet_name[:31], engine="openpyxl")
        else:
            safe.to_csv(tmp, index=index, encoding=encoding, **_csv_options(safe))
    return Path(path)


def table_bytes(frame: pd.DataFrame, fmt: str = "csv", *, index: bool = True, encoding: str = "utf-8-sig",
                sheet_name: str = "table") -> bytes:
    """The bytes of ``frame`` as a whole CSV (UTF-8 with BOM by default, so Excel shows names correctly)
    or ``.xlsx`` file, formulas defused: for ``st.download_button`` and other in-memory uses."""
    fmt = _check_format(fmt)
    safe = _safe(frame)
    if fmt == "xlsx":
        buf = io.BytesIO()
        _for_excel(safe, "download").to_excel(buf, index=index, sheet_name=sheet_name[:31], engine="openpyxl")
        return buf.getvalue()
    return safe.to_csv(index=index, **_csv_options(safe)).encode(encoding)


# ---------------------------------------------------------------------------------------------- layers


def layer_format(path: str | os.PathLike) -> str:
    """``"GPKG"`` for a ``.gpkg`` name, ``"GeoJSON"`` for ``.geojson``/``.json``; other names are refused."""
    name = str(path).lower()
    for fmt, endings in LAYER_FORMATS.items():
        if name.endswith(endings):
            return fmt
    raise file_error(path, "is not a map layer file name", "name it .geojson or .gpkg", ConfigError)


def geojson_bytes(gdf) -> bytes:
    """A GeoDataFrame as GeoJSON bytes in WGS84 (RFC 7946; missing values ``null``; no feature ids)."""
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs("EPSG:4326")
    return gdf.to_json(drop_id=True, na="null").encode("utf-8")


def write_layer(gdf, path: str | os.PathLike, *, layer: str = "layer") -> Path:
    """Write a GeoDataFrame to ``path`` whole or not at all, in the format its name says.

    GeoJSON of a WGS84 (or CRS-less) frame is written as :func:`geojson_bytes`; GeoJSON in another CRS
    (e.g. EPSG:27700 boundaries) and GeoPackages (table ``layer``) are written by GDAL, keeping the CRS.
    """
    fmt = layer_format(path)
    with _atomic.atomic_path(path) as tmp:
        if fmt == "GeoJSON" and (gdf.crs is None or gdf.crs.to_epsg() == 4326):
            tmp.write_bytes(geojson_bytes(gdf))
        else:
            tmp.unlink()  # the drivers create the file themselves
            gdf.to_file(tmp, driver=fmt, **({"layer": layer} if fmt == "GPKG" else {}))
    return Path(path)


# ---------------------------------------------------------------------------------------------- documents


def write_document(data: bytes | str, path: str | os.PathLike) -> Path:
    """Write a finished document (PDF, HTML, PNG, JSON ...; text as UTF-8) to ``path`` whole or not at all."""
    return _atomic.write_bytes(path, data.encode("utf-8") if isinstance(data, str) else bytes(data))

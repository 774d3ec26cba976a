"""Reading incident points from police.uk, partner spreadsheets and spatial files.

:func:`load_incidents` returns an :class:`IncidentSet`: ``points``, a GeoDataFrame in EPSG:27700
with the normalised columns

========== ==================================================================================
category   offence or incident type as text ("All incidents" when the file has none)
date       ``datetime64``: the day, or the first day of the month for monthly data (NaT if unknown)
month      ``"YYYY-MM"`` text (``<NA>`` if undated)
time       ``"HH:MM"`` text where a time is known, else ``<NA>`` (police.uk has months only)
weight     float, 1.0 unless a weight column is named or detected
source     file name the row came from; ``source_row`` its 1-based data row
lsoa_code_source  the area code the publisher gave (police.uk ``LSOA code``), if any
========== ==================================================================================

and ``report``, a :class:`LoadReport` counting rows read, located and skipped per reason. Rows
that cannot be located are counted and reported, never silently dropped; if most rows of a
file are bad the file is refused with a one-line :class:`~placebased.errors.DataError`.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .areas import BNG, DataWarning
from .errors import DataError, SchemaError, file_error

POLICE_UK_COLUMNS = ("Crime ID", "Month", "Longitude", "Latitude", "Crime type")
ENCODINGS = ("utf-8-sig", "cp1252")

# England's plausible ranges (with a margin), used to tell WGS84 from British National Grid
LON_RANGE = (-7.0, 2.5)
LAT_RANGE = (49.5, 56.5)
EAST_RANGE = (0.0, 700_000.0)
NORTH_RANGE = (0.0, 1_300_000.0)

_X_NAMES = ("longitude", "lon", "long", "lng", "x", "easting", "eastings", "east", "bng_e", "grid_e", "x_coord")
_Y_NAMES = ("latitude", "lat", "y", "northing", "northings", "north", "bng_n", "grid_n", "y_coord")
_CATEGORY_NAMES = (
    "crime type",
    "category",
    "offence",
    "offence type",
    "offence_type",
    "crime_type",
    "type",
    "incident type",
    "incident_type",
    "offence group",
    "crime category",
)
_DATE_NAMES = (
    "date",
    "datetime",
    "date_time",
    "incident date",
    "incident_date",
    "occurred",
    "month",
    "arrival date",
    "attendance date",
    "date of incident",
    "reported date",
)
_TIME_NAMES = ("time", "incident time", "incident_time", "arrival time", "hour")
_WEIGHT_NAMES = ("weight", "count", "n", "harm", "harm_weight")

SPATIAL_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".parquet", ".geoparquet", ".zip")
TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xls", ".xlsm")


@dataclass
class LoadReport:
    """What happened to the rows of the incident files."""

    files: list[str] = field(default_factory=list)
    rows_read: int = 0
    located: int = 0
    without_location: int = 0
    bad_coordinates: int = 0
    out_of_range: int = 0
    swapped_fixed: int = 0
    bad_dates: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return self.without_location + self.bad_coordinates + self.out_of_range

    def merge(self, other: LoadReport) -> None:
        self.files += other.files
        for name in (
            "rows_read",
            "located",
            "without_location",
            "bad_coordinates",
            "out_of_range",
            "swapped_fixed",
            "bad_dates",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.notes += other.notes

    def summary(self) -> str:
        """One line for people: read, located and skipped rows by reason."""
        parts = [f"read {self.rows_read:,}", f"located {self.located:,}"]
        if self.without_location:
            parts.append(f"without location {self.without_location:,}")
        if self.bad_coordinates:
            parts.append(f"non-numeric coordinates {self.bad_coordinates:,}")
        if self.out_of_range:
            parts.append(f"coordinates out of range {self.out_of_range:,}")
        if self.swapped_fixed:
            parts.append(f"latitude/longitude swapped and fixed {self.swapped_fixed:,}")
        if self.bad_dates:
            parts.append(f"unreadable dates {self.bad_dates:,}")
        return ", ".join(parts)


@dataclass
class IncidentSet:
    """Incident points (EPSG:27700) and the report of how they were read."""

    points: gpd.GeoDataFrame
    report: LoadReport

    @property
    def categories(self) -> list[str]:
        return sorted(self.points["category"].dropna().unique().tolist())


def expand_paths(paths: str | os.PathLike | Iterable[str | os.PathLike]) -> list[Path]:
    """Expand files and folders into a sorted list of files (folders: their CSV/spatial files)."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found = sorted(
                f
                for f in p.iterdir()
                if f.is_file() and _base_suffix(f) in TABLE_SUFFIXES + SPATIAL_SUFFIXES and not f.name.startswith(".")
            )
            if not found:
                raise file_error(p, "folder holds no CSV, Excel or spatial files", "point to the incident files")
            out += found
        else:
            out.append(p)
    if not out:
        raise DataError("no incident files given; name one or more files or a folder.")
    return out


def _base_suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def load_incidents(
    paths: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    x_column: str | None = None,
    y_column: str | None = None,
    crs: str | None = None,
    category_column: str | None = None,
    date_column: str | None = None,
    time_column: str | None = None,
    weight_column: str | None = None,
    max_bad_share: float = 0.5,
) -> IncidentSet:
    """Read one or more incident files (or folders) into EPSG:27700 points.

    Parameters
    ----------
    paths
        Files or folders: police.uk street-level CSV (plain or ``.gz``), any CSV/Excel with
        latitude/longitude (WGS84) or easting/northing (British National Grid), or
        GeoJSON/GeoPackage/GeoParquet points.
    x_column, y_column, crs
        Name the coordinate columns and their system (``"wgs84"`` or ``"bng"``) when detection
        by name and value range is not enough.
    category_column, date_column, time_column, weight_column
        Name the optional columns; otherwise they are detected by name.
    max_bad_share
        A file in which more than this share of rows cannot be located is refused.

    Examples
    --------
    >>> from placebased import _paths
    >>> inc = load_incidents(_paths.default_incident_files()[:1])
    >>> inc.points.crs.to_epsg(), inc.report.rows_read
    (27700, 5773)
    """
    files = expand_paths(paths)
    frames, report = [], LoadReport()
    opts = {
        "x_column": x_column,
        "y_column": y_column,
        "crs": crs,
        "category_column": category_column,
        "date_column": date_column,
        "time_column": time_column,
        "weight_column": weight_column,
        "max_bad_share": max_bad_share,
    }
    for f in files:
        gdf, rep = _load_one(f, **opts)
        frames.append(gdf)
        report.merge(rep)
    points = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    points = gpd.GeoDataFrame(points, geometry="geometry", crs=BNG)
    return IncidentSet(points, report)


# ---------------------------------------------------------------------------------------------


def _read_text(path: Path) -> str:
    try:
        if path.suffix.lower() == ".gz":
            with gzip.open(path) as fh:
                raw = fh.read()
        else:
            raw = path.read_bytes()
    except (OSError, EOFError) as exc:
        raise file_error(path, f"cannot be read ({exc})", "check it is a complete CSV or .csv.gz file") from None
    if b"\x00" in raw[:4096]:
        raise file_error(path, "is a binary file, not a CSV", "save it as CSV (UTF-8) or give an Excel/GeoJSON file")
    for enc in ENCODINGS:
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")  # every byte decodes; cp1252 failures are rare control bytes


def _read_table(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise file_error(path, "incident file not found", "check the path and the file name")
    if path.stat().st_size == 0:
        raise file_error(path, "incident file is empty", "export it again with its rows")
    suffix = _base_suffix(path)
    if suffix in (".xlsx", ".xlsm", ".xls"):
        try:
            return pd.read_excel(path, dtype=str)
        except Exception as exc:
            raise file_error(
                path, f"not a readable Excel file ({str(exc).splitlines()[0]})", "save it again as .xlsx or as CSV"
            ) from None
    text = _read_text(path)
    if not text.strip():
        raise file_error(path, "incident file is empty", "export it again with its rows")
    sep = "\t" if suffix == ".tsv" or (text.split("\n", 1)[0].count("\t") > text.split("\n", 1)[0].count(",")) else ","
    try:
        df = pd.read_csv(
            io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_values=[""], skipinitialspace=True
        )
    except pd.errors.ParserError as exc:
        msg = str(exc).splitlines()[0]
        m = re.search(r"line (\d+)", msg)
        where = f"row {m.group(1)}" if m else "a row"
        raise file_error(
            path, f"{where} does not parse as CSV ({msg})", "check quoting and the number of fields"
        ) from None
    except pd.errors.EmptyDataError:
        raise file_error(path, "incident file has no header row", "export it again with column names") from None
    if len(df.columns) < 2:
        raise file_error(
            path,
            "does not look like a CSV table (one column found)",
            "give a comma-separated file with coordinate columns",
        )
    df.columns = [str(c).strip() for c in df.columns]
    if len(df) == 0:
        raise file_error(path, "incident file has a header but no rows", "export it again with its rows")
    return df


def _find_column(columns: Sequence[str], names: Sequence[str]) -> str | None:
    lower = {c.lower().strip(): c for c in columns}
    for n in names:
        if n in lower:
            return lower[n]
    return None


def _load_one(path: Path, **opts) -> tuple[gpd.GeoDataFrame, LoadReport]:
    suffix = _base_suffix(path)
    if suffix in SPATIAL_SUFFIXES:
        return _load_spatial(path, **opts)
    if suffix not in TABLE_SUFFIXES:
        if not path.exists():
            raise file_error(path, "incident file not found", "check the path and the file name")
        raise file_error(
            path, f"unsupported file type {suffix or '(none)'}", "give a CSV, Excel, GeoJSON or GeoPackage file"
        )
    df = _read_table(path)
    return _from_table(df, path, **opts)


def _load_spatial(path: Path, **opts) -> tuple[gpd.GeoDataFrame, LoadReport]:
    if not path.exists():
        raise file_error(path, "incident file not found", "check the path and the file name")
    try:
        gdf = gpd.read_parquet(path) if suffix_is_parquet(path) else gpd.read_file(path)
    except Exception as exc:
        raise file_error(
            path,
            f"not a readable spatial file ({str(exc).splitlines()[0]})",
            "give GeoJSON, GeoPackage or GeoParquet points",
        ) from None
    report = LoadReport(files=[str(path)], rows_read=len(gdf))
    if len(gdf) == 0:
        raise file_error(path, "file has no features", "export it again with its points")
    geom = gdf.geometry
    missing = geom.isna() | geom.is_empty
    kinds = set(geom[~missing].geom_type.unique())
    if kinds - {"Point"}:
        raise file_error(
            path,
            f"holds {', '.join(sorted(kinds - {'Point'}))} features, not points",
            "give incident points (one point per incident)",
        )
    if gdf.crs is None:
        raise file_error(path, "has no coordinate reference system", "save it with a CRS (EPSG:4326 or EPSG:27700)")
    report.without_location = int(missing.sum())
    gdf = gdf[~missing.to_numpy()]
    gdf = gdf.to_crs(BNG)
    table = pd.DataFrame(gdf.drop(columns="geometry"))
    attrs = table.astype(str).where(table.notna())
    out = _normalise(attrs, path, report, opts, rows=np.flatnonzero(~missing.to_numpy()) + 1)
    report.located = len(out)
    return gpd.GeoDataFrame(out, geometry=gdf.geometry.to_numpy(), crs=BNG), report


def suffix_is_parquet(path: Path) -> bool:
    return _base_suffix(path) in (".parquet", ".geoparquet")


def _detect_xy(df: pd.DataFrame, path: Path, x_column, y_column, crs) -> tuple[str, str, str]:
    cols = list(df.columns)
    for c in (x_column, y_column):
        if c is not None and c not in cols:
            raise file_error(
                path, f"no column {c!r} (columns: {', '.join(cols[:12])})", "check the column name given", SchemaError
            )
    x = x_column or _find_column(cols, _X_NAMES)
    y = y_column or _find_column(cols, _Y_NAMES)
    if x is None or y is None:
        raise file_error(
            path,
            f"no coordinate columns found (columns: {', '.join(cols[:12])})",
            "add latitude/longitude or easting/northing columns, or name them with --x-column and --y-column",
            SchemaError,
        )
    if crs is None:
        name = f"{x} {y}".lower()
        crs = "bng" if re.search(r"east|north|bng|grid", name) else "wgs84"
    crs = crs.lower()
    if crs not in ("wgs84", "bng"):
        raise SchemaError(f"{path}: coordinate system {crs!r} is not known; use wgs84 or bng.")
    return x, y, crs


def _from_table(
    df: pd.DataFrame, path: Path, *, x_column=None, y_column=None, crs=None, max_bad_share=0.5, **opts
) -> tuple[gpd.GeoDataFrame, LoadReport]:
    report = LoadReport(files=[str(path)], rows_read=len(df))
    police = all(c in df.columns for c in POLICE_UK_COLUMNS)
    xcol, ycol, crs = _detect_xy(df, path, x_column, y_column, crs)
    xs_raw, ys_raw = df[xcol], df[ycol]
    blank = xs_raw.isna() | ys_raw.isna() | (xs_raw.str.strip() == "") | (ys_raw.str.strip() == "")
    xs = pd.to_numeric(xs_raw.str.replace(",", "", regex=False).str.strip(), errors="coerce")
    ys = pd.to_numeric(ys_raw.str.replace(",", "", regex=False).str.strip(), errors="coerce")
    nonnum = ~blank & (xs.isna() | ys.isna())
    report.without_location = int(blank.sum())
    report.bad_coordinates = int(nonnum.sum())
    ok = ~(blank | nonnum)
    x, y = xs[ok].to_numpy(float), ys[ok].to_numpy(float)
    x, y, crs, in_range = _check_ranges(x, y, crs, path, xcol, ycol, report)
    idx = np.flatnonzero(ok.to_numpy())[in_range]
    report.out_of_range = int((~in_range).sum())
    bad = report.skipped
    if report.rows_read and bad / report.rows_read > max_bad_share:
        first = int(np.flatnonzero(~np.isin(np.arange(len(df)), idx))[0]) + 2  # +1 header, +1 one-based
        raise file_error(
            path,
            f"{bad:,} of {report.rows_read:,} rows have no usable coordinates in columns {xcol!r}/{ycol!r} "
            f"(first at row {first})",
            "fill in the coordinates or name the right columns with --x-column/--y-column",
        )
    if bad:
        first = int(np.flatnonzero(~np.isin(np.arange(len(df)), idx))[0]) + 2
        report.notes.append(f"{path.name}: {bad:,} rows skipped without a usable location (first at row {first})")
    x, y = x[in_range], y[in_range]
    if crs == "wgs84":
        pts = gpd.GeoSeries(gpd.points_from_xy(x, y), crs="EPSG:4326").to_crs(BNG)
    else:
        pts = gpd.GeoSeries(gpd.points_from_xy(x, y), crs=BNG)
    sub = df.iloc[idx].reset_index(drop=True)
    if police:
        out = _normalise_police(sub, path, report, rows=idx + 1)
    else:
        out = _normalise(sub, path, report, opts, rows=idx + 1)
    report.located = len(out)
    return gpd.GeoDataFrame(out, geometry=pts.to_numpy(), crs=BNG), report


def _in(a: np.ndarray, rng: tuple[float, float]) -> np.ndarray:
    return (a >= rng[0]) & (a <= rng[1])


def _check_ranges(x, y, crs, path, xcol, ycol, report):
    """Decide WGS84 vs BNG from the values, fix swapped lat/lon, and flag out-of-range rows."""
    n = len(x)
    if n == 0:
        return x, y, crs, np.zeros(0, bool)
    wgs_ok = _in(x, LON_RANGE) & _in(y, LAT_RANGE)
    swapped = _in(y, LON_RANGE) & _in(x, LAT_RANGE) & ~wgs_ok
    bng_ok = _in(x, EAST_RANGE) & _in(y, NORTH_RANGE) & ((x > 1000) | (y > 1000))
    if crs == "wgs84" and wgs_ok.mean() < 0.5 and bng_ok.mean() > 0.5:
        raise file_error(
            path,
            f"columns {xcol!r}/{ycol!r} look like latitude/longitude by name but hold "
            "British National Grid eastings/northings",
            "pass --crs bng",
        )
    if crs == "bng" and bng_ok.mean() < 0.5 and (wgs_ok | swapped).mean() > 0.5:
        raise file_error(
            path,
            f"columns {xcol!r}/{ycol!r} look like eastings/northings by name but hold longitude/latitude degrees",
            "pass --crs wgs84",
        )
    if crs == "wgs84":
        if swapped.mean() > 0.5:
            warnings.warn(
                f"{path}: columns {xcol!r} and {ycol!r} hold latitude and longitude the other way round; swapped them",
                DataWarning,
                stacklevel=4,
            )
            report.notes.append(f"{path.name}: latitude and longitude columns swapped")
            x, y = y, x
            wgs_ok = _in(x, LON_RANGE) & _in(y, LAT_RANGE)
            report.swapped_fixed = int(wgs_ok.sum())
        return x, y, crs, wgs_ok
    return x, y, crs, bng_ok


def _normalise_police(df: pd.DataFrame, path: Path, report: LoadReport, rows: np.ndarray) -> pd.DataFrame:
    month = df["Month"].str.strip()
    date = pd.to_datetime(month, format="%Y-%m", errors="coerce")
    report.bad_dates += int(date.isna().sum() - month.isna().sum())
    out = pd.DataFrame(
        {
            "category": df["Crime type"].fillna("Unknown").str.strip(),
            "date": date,
            "month": date.dt.strftime("%Y-%m").astype("string"),
            "time": pd.Series(pd.NA, index=df.index, dtype="string"),
            "weight": 1.0,
            "source": path.name,
            "source_row": rows,
            "lsoa_code_source": df.get("LSOA code", pd.Series(pd.NA, index=df.index)).astype("string"),
            "location": df.get("Location", pd.Series(pd.NA, index=df.index)).astype("string"),
        }
    )
    return out


def _normalise(df: pd.DataFrame, path: Path, report: LoadReport, opts: dict, rows: np.ndarray) -> pd.DataFrame:
    cols = list(df.columns)

    def pick(given, names, what):
        if given is not None:
            if given not in cols:
                raise file_error(
                    path,
                    f"no {what} column {given!r} (columns: {', '.join(cols[:12])})",
                    "check the column name given",
                    SchemaError,
                )
            return given
        return _find_column(cols, names)

    ccol = pick(opts.get("category_column"), _CATEGORY_NAMES, "category")
    dcol = pick(opts.get("date_column"), _DATE_NAMES, "date")
    tcol = pick(opts.get("time_column"), _TIME_NAMES, "time")
    wcol = pick(opts.get("weight_column"), _WEIGHT_NAMES, "weight")
    n = len(df)
    category = (
        df[ccol].fillna("Unknown").astype(str).str.strip() if ccol else pd.Series("All incidents", index=df.index)
    )
    date = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    time = pd.Series(pd.NA, index=df.index, dtype="string")
    if dcol:
        raw = df[dcol].astype("string").str.strip()
        date, has_time = _parse_dates(raw)
        report.bad_dates += int((date.isna() & raw.notna()).sum())
        if has_time:
            time = date.dt.strftime("%H:%M").astype("string").where(date.notna())
        if report.bad_dates and report.bad_dates > 0.5 * max(1, raw.notna().sum()):
            raise file_error(
                path,
                f"column {dcol!r}: {report.bad_dates:,} of {n:,} dates cannot be read",
                "use dates like 2025-03-14, 14/03/2025 or 2025-03",
                SchemaError,
            )
    if tcol:
        t = df[tcol].astype("string").str.strip()
        parsed = pd.to_datetime(t, format="mixed", errors="coerce")
        hh = t.str.fullmatch(r"\d{1,2}")
        parsed = parsed.where(
            ~hh.fillna(False), pd.to_datetime(t.where(hh.fillna(False)) + ":00", format="%H:%M", errors="coerce")
        )
        time = parsed.dt.strftime("%H:%M").astype("string").where(parsed.notna(), time)
    weight = pd.Series(1.0, index=df.index)
    if wcol:
        weight = pd.to_numeric(df[wcol], errors="coerce")
        badw = weight.isna() | (weight < 0)
        if badw.any():
            first = int(rows[np.flatnonzero(badw.to_numpy())[0]]) + 1
            raise file_error(
                path,
                f"column {wcol!r}: {int(badw.sum())} weights are blank, negative or not numbers (first at row {first})",
                "give every row a weight of 0 or more",
                SchemaError,
            )
    code_col = _find_column(cols, ("lsoa code", "lsoa21cd", "lsoa_code", "area_code"))
    return pd.DataFrame(
        {
            "category": category.to_numpy(),
            "date": date.to_numpy(),
            "month": date.dt.strftime("%Y-%m").astype("string").to_numpy(),
            "time": time.to_numpy(),
            "weight": weight.astype(float).to_numpy(),
            "source": path.name,
            "source_row": rows,
            "lsoa_code_source": (
                df[code_col].astype("string").to_numpy() if code_col else pd.array([pd.NA] * n, dtype="string")
            ),
        }
    )


def _parse_dates(raw: pd.Series) -> tuple[pd.Series, bool]:
    """Parse dates written in the usual British ways; return (datetimes, whether times are present)."""
    sample = raw.dropna()
    if sample.empty:
        return pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]"), False
    if sample.str.fullmatch(r"\d{4}-\d{2}").all():
        return pd.to_datetime(raw, format="%Y-%m", errors="coerce"), False
    iso = sample.str.match(r"\d{4}-\d{2}-\d{2}").mean() > 0.5
    parsed = pd.to_datetime(raw, format="mixed", dayfirst=not iso, errors="coerce")
    has_time = bool(sample.str.contains(r"\d{1,2}:\d{2}").any())
    return parsed.astype("datetime64[ns]"), has_time

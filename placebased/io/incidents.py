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

import io
import os
import re
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from placebased import _input_limits
from placebased.errors import ConfigError, DataError, SchemaError, file_error
from placebased.io import policeuk, tables
from placebased.io.areas import BNG, DataWarning, declared_crs_checked
from placebased.io.policeuk import last_outcomes
from placebased.io.tables import TABLE_SUFFIXES, base_suffix, find_column

#: files of a police.uk download that are not street-level crimes (left out of a zip, with a note)
POLICE_UK_OTHER = ("-outcomes.csv", "-stop-and-search.csv")
POLICE_UK_COLUMNS = ("Crime ID", "Month", "Longitude", "Latitude", "Crime type")

# England's plausible ranges (with a margin), used to tell WGS84 from British National Grid
LON_RANGE = (-7.0, 2.5)
LAT_RANGE = (49.5, 56.5)
EAST_RANGE = (0.0, 700_000.0)
NORTH_RANGE = (0.0, 1_300_000.0)
# England in British National Grid: x/y columns holding values in these ranges (and no plausible
# longitude/latitude) leave no doubt and are read as eastings/northings
ENGLAND_EAST = (80_000.0, 660_000.0)
ENGLAND_NORTH = (5_000.0, 660_000.0)
#: largest weight accepted per incident: sums of many such weights stay exact and finite
MAX_WEIGHT = 1e9

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
    bad_weights: int = 0
    notes: list[str] = field(default_factory=list)
    #: police.uk downloads read: ``{"months": set, "forces": set}`` (empty for other files)
    download: dict = field(default_factory=dict)

    @property
    def skipped(self) -> int:
        """Rows read but left out: no usable location, or (``bad_weights``) no usable weight."""
        return self.without_location + self.bad_coordinates + self.out_of_range + self.bad_weights

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
            "bad_weights",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.notes += other.notes
        for key, values in other.download.items():
            self.download.setdefault(key, set()).update(values)

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
        if self.bad_weights:
            parts.append(f"unusable weights {self.bad_weights:,}")
        return ", ".join(parts)


@dataclass
class IncidentSet:
    """Incident points (EPSG:27700) and the report of how they were read."""

    points: gpd.GeoDataFrame
    report: LoadReport

    @property
    def categories(self) -> list[str]:
        return sorted(self.points["category"].dropna().unique().tolist())

    @property
    def empty(self) -> bool:
        """True when no incidents were given (deprivation-only mode: see :func:`no_incidents`)."""
        return bool(self.report.notes and self.report.notes[0] == NO_INCIDENTS) and len(self.points) == 0


#: first note of the empty :class:`IncidentSet` used when no incidents apply to the areas
NO_INCIDENTS = "no incidents"


def no_incidents(note: str) -> IncidentSet:
    """An empty incident set (deprivation-only mode) whose report carries ``note``."""
    points = gpd.GeoDataFrame(
        {"category": pd.Series(dtype="str"), "date": pd.Series(dtype="datetime64[us]"),
         "month": pd.Series(dtype="string"), "time": pd.Series(dtype="string"),
         "weight": pd.Series(dtype="float64"), "source": pd.Series(dtype="str"),
         "source_row": pd.Series(dtype="int64"), "lsoa_code_source": pd.Series(dtype="string"),
         "location": pd.Series(dtype="string")},
        geometry=gpd.GeoSeries([], crs=BNG), crs=BNG)
    return IncidentSet(points, LoadReport(notes=[NO_INCIDENTS, note]))


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
                if f.is_file() and base_suffix(f) in TABLE_SUFFIXES + SPATIAL_SUFFIXES and not f.name.startswith(".")
            )
            if not found:
                raise file_error(p, "folder holds no CSV, Excel or spatial files", "point to the incident files")
            out += found
        else:
            out.append(p)
    if not out:
        raise DataError("no incident files given; name one or more files or a folder.")
    return out


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
    date_format: str | None = None,
    progress=None,
) -> IncidentSet:
    """Read one or more incident files (or folders) into EPSG:27700 points.

    Parameters
    ----------
    paths
        Files or folders: police.uk street-level CSV (plain or ``.gz``), any CSV/Excel with
        latitude/longitude (WGS84) or easting/northing (British National Grid), a zip of such
        CSVs (a police.uk download: its outcomes and stop-and-search files are left out), or
        GeoJSON/GeoPackage/GeoParquet points. Sizes are checked before parsing
        (:mod:`placebased._input_limits`: line length, columns, unpacked size).
    x_column, y_column, crs
        Name the coordinate columns and their system (``"wgs84"`` or ``"bng"``) when detection
        by name and value range is not enough.
    category_column, date_column, time_column, weight_column
        Name the optional columns; otherwise they are detected by name. Weights must be finite
        numbers from 0 to :data:`MAX_WEIGHT`; rows with other weights are left out and counted
        (``report.bad_weights``).
    max_bad_share
        A file in which more than this share of rows cannot be located (or has no usable
        weight) is refused.
    date_format
        A ``strptime`` format such as ``"%m/%d/%Y"`` for the date column. Without it dates are
        read day-first (British) unless the values show they are month-first (a second field
        above 12); where they cannot tell, a note says so.
    progress
        Called as ``progress(done, total, member)`` while a police.uk download zip is read (one call per
        monthly file; see :mod:`placebased.io.policeuk`).

    Examples
    --------
    >>> from placebased import _paths
    >>> inc = load_incidents(_paths.default_incident_files()[:1])
    >>> inc.points.crs.to_epsg(), inc.report.rows_read
    (27700, 5773)
    """
    _check_date_format(date_format)
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
        "date_format": date_format,
    }
    for f in files:
        gdf, rep = _load_one(f, progress=progress, **opts)
        frames.append(gdf)
        report.merge(rep)
    points = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    points = gpd.GeoDataFrame(points, geometry="geometry", crs=BNG)
    return IncidentSet(points, report)


# ---------------------------------------------------------------------------------------------


def _read_table(path: Path) -> pd.DataFrame:
    """An incident CSV/Excel file as text columns (:func:`placebased.io.tables.read_table`)."""
    return tables.read_table(path, "incident", min_columns=2,
                             fix_columns="give a comma-separated file with coordinate columns")


def _parse_csv(text: str, path: Path) -> pd.DataFrame:
    return tables.parse_csv(text, path, "incident", min_columns=2,
                            fix_columns="give a comma-separated file with coordinate columns")


def _load_one(path: Path, progress=None, **opts) -> tuple[gpd.GeoDataFrame, LoadReport]:
    suffix = base_suffix(path)
    if suffix == ".zip" and path.is_file():
        tables = _zipped_tables(path)
        if tables:
            info = policeuk.classify(m.filename for m in _input_limits.check_zip(path)
                                     if not m.filename.startswith("__MACOSX"))
            if info is not None:
                return _load_police_download(path, info, progress, **opts)
            return _load_zipped_tables(path, tables, **opts)
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


def _zipped_tables(path: Path) -> list[str]:
    """The CSV files inside a zip that holds no spatial file (e.g. a police.uk download), in name order."""
    names = [m.filename for m in _input_limits.check_zip(path, "incident files")]
    visible = [n for n in names if not n.startswith("__MACOSX") and not Path(n).name.startswith(".")]
    if any(n.lower().endswith(_input_limits.SPATIAL_MEMBERS) for n in visible):
        return []
    tables = sorted(n for n in visible if n.lower().endswith((".csv", ".tsv")))
    if tables and not all(n.lower().endswith(POLICE_UK_OTHER) for n in tables):
        tables = [n for n in tables if not n.lower().endswith(POLICE_UK_OTHER)]
    if not tables:
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        raise file_error(path, f"zip file holds no readable incident file (found {shown})",
                         "zip CSV files (e.g. a police.uk download), GeoJSON or GeoPackage points")
    return tables


def _load_zipped_tables(path: Path, names: list[str], **opts) -> tuple[gpd.GeoDataFrame, LoadReport]:
    """Each CSV inside the zip read as its own file (named ``zip!member`` in messages), then joined."""
    frames, report = [], LoadReport()
    others = [n for n in _input_limits.check_zip(path) if n.filename.lower().endswith(POLICE_UK_OTHER)]
    if others:
        report.notes.append(f"{path.name}: {len(others)} police.uk outcomes / stop-and-search files left out "
                            "(they are not street-level crimes)")
    with zipfile.ZipFile(path) as zf:  # check_zip has capped the unpacked size of every member
        for name in names:
            member = Path(f"{path}!{name}")
            try:
                raw = zf.read(name)
            except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
                raise file_error(member, f"cannot be unpacked ({exc})", "zip the files again") from None
            gdf, rep = _from_table(_parse_csv(tables.decode(raw, member), member), member, **opts)
            frames.append(gdf)
            report.merge(rep)
    points = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return gpd.GeoDataFrame(points, geometry="geometry", crs=BNG), report


def _zip_member_text(zf, path: Path, name: str) -> tuple[Path, str]:
    member = Path(f"{path}!{name}")
    try:
        raw = zf.read(name)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
        raise file_error(member, f"cannot be unpacked ({exc})", "zip the files again") from None
    return member, tables.decode(raw, member)


def _load_police_download(path: Path, info, progress=None, **opts) -> tuple[gpd.GeoDataFrame, LoadReport]:
    """A data.police.uk download: its street files month by month (one in memory at a time), then the
    last outcome per ``Crime ID`` from its outcomes files (see :mod:`placebased.io.policeuk`)."""
    if not info.street:
        raise file_error(path, "police.uk download holds outcomes or stop-and-search files but no street-level "
                         "crime file (YYYY-MM-<force>-street.csv)",
                         "download again from data.police.uk with 'Include crime data' ticked")
    frames, report = [], LoadReport()
    total = len(info.street) + len(info.outcomes)
    outcome_frames = []
    with zipfile.ZipFile(path) as zf:  # check_zip has capped the unpacked size of every member
        for i, m in enumerate(info.street):
            member, text = _zip_member_text(zf, path, m.name)
            df = _parse_csv(text, member)
            if not all(c in df.columns for c in POLICE_UK_COLUMNS):
                raise file_error(member, "is named like a police.uk street file but lacks its columns "
                                 f"({', '.join(c for c in POLICE_UK_COLUMNS if c not in df.columns)})",
                                 "download it again from data.police.uk")
            gdf, rep = _from_table(df, member, **opts)
            gdf["force"] = m.force
            gdf["_file"] = i
            frames.append(gdf)
            report.merge(rep)
            if progress:
                progress(i + 1, total, m.name)
        for j, m in enumerate(info.outcomes):
            member, text = _zip_member_text(zf, path, m.name)
            try:  # an outcomes file only adds to the crimes: a short or odd one is a note, not an error
                outcome_frames.append(pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False))
            except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
                report.notes.append(f"{member}: outcomes file not read ({str(exc).splitlines()[0][:80]})")
            if progress:
                progress(len(info.street) + j + 1, total, m.name)
    points = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    # the same force and month twice (two downloads zipped together): its repeated crimes counted once
    # (only there: police.uk itself lists some Crime IDs more than once within a month)
    pairs = [(m.force, m.month) for m in info.street]
    twice = {p for p in pairs if pairs.count(p) > 1}
    in_twice = pd.Series(list(zip(points["force"], points["month"])), index=points.index).isin(twice)
    within = points.duplicated(["crime_id", "force", "month", "_file"], keep=False)  # police.uk's own repeats
    dup = in_twice & points["crime_id"].notna() & ~within & points.duplicated(["crime_id", "force", "month"])
    if dup.any():
        report.notes.append(f"{path.name}: {int(dup.sum()):,} records repeated (same Crime ID, force and month) "
                            "counted once")
        report.located -= int(dup.sum())
        points = points[~dup.to_numpy()].reset_index(drop=True)
    points = points.drop(columns="_file")
    if outcome_frames:
        last = last_outcomes(outcome_frames)
        points = points.join(last, on="crime_id")
        report.notes.append(f"{path.name}: {len(info.outcomes)} outcomes file(s): last outcome added to "
                            f"{int(points['last_outcome'].notna().sum()):,} of {len(points):,} crimes")
    report.notes += [f"{path.name}: {n}" for n in info.notes()]
    report.download = {"months": set(info.months), "forces": set(info.forces)}
    return gpd.GeoDataFrame(points, geometry="geometry", crs=BNG), report


def _load_spatial(path: Path, **opts) -> tuple[gpd.GeoDataFrame, LoadReport]:
    gdf = read_spatial(path, "give GeoJSON, GeoPackage or GeoParquet points")
    report = LoadReport(files=[str(path)], rows_read=len(gdf))
    if len(gdf) == 0:
        raise file_error(path, "file has no features", "export it again with its points")
    geom = gdf.geometry
    missing = geom.isna() | geom.is_empty
    if missing.all():
        raise file_error(path, f"none of its {len(gdf):,} features has a geometry (all are empty or null)",
                         "export the points again with their locations")
    if missing.any():
        first = int(np.flatnonzero(missing.to_numpy())[0]) + 1
        report.notes.append(f"{path.name}: {int(missing.sum()):,} features skipped without a geometry "
                            f"(first is feature {first})")
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
    gdf, note = declared_crs_checked(gdf, path)
    if note:
        report.notes.append(note)
    gdf = gdf.to_crs(BNG)
    table = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    attrs = table.astype(str).where(table.notna())
    out = _normalise(attrs, path, report, opts, rows=np.flatnonzero(~missing.to_numpy()) + 1)
    out, geoms = _drop_bad_weights(out, gdf.geometry.to_numpy(), path, report, opts.get("max_bad_share", 0.5),
                                   "feature")
    report.located = len(out)
    return gpd.GeoDataFrame(out, geometry=geoms, crs=BNG), report


def _drop_bad_weights(out: pd.DataFrame, geoms: np.ndarray, path: Path, report: LoadReport,
                      max_bad_share: float, row_word: str = "row") -> tuple[pd.DataFrame, np.ndarray]:
    """Leave out the rows whose weight :func:`_normalise` marked unusable; count them, or refuse the
    file when more than ``max_bad_share`` of its rows are affected."""
    ok = out.pop("_weight_ok").to_numpy(bool) if "_weight_ok" in out else np.ones(len(out), bool)
    col, raw = out.attrs.pop("weight_column", "weight"), out.attrs.pop("weight_raw", None)
    bad = int((~ok).sum())
    if not bad:
        return out, geoms
    k = int(np.flatnonzero(~ok)[0])
    first = int(out["source_row"].iloc[k]) + (1 if row_word == "row" else 0)
    example = f", e.g. {raw[k]!r}" if raw is not None else ""
    what = (f"column {col!r}: {bad:,} of {report.rows_read:,} weights are blank, negative, not finite numbers "
            f"or over {MAX_WEIGHT:,.0f}{example} (first at {row_word} {first})")
    if report.rows_read and bad / report.rows_read > max_bad_share:
        raise file_error(path, what, f"give every row a weight from 0 to {MAX_WEIGHT:,.0f}, or name another "
                         "column with --weight-column", SchemaError)
    report.bad_weights += bad
    report.notes.append(f"{path.name}: {what}; those rows are left out")
    return out[ok].reset_index(drop=True), geoms[ok]


def read_spatial(path: Path, fix: str, what: str = "incident") -> gpd.GeoDataFrame:
    """Read a GeoJSON/GeoPackage/GeoParquet/zipped file after the size checks; every failure is one line."""
    path = tables.check_file(path, what, "export it again with its features")
    _input_limits.check_spatial(path)
    try:
        if suffix_is_parquet(path):
            gdf = gpd.read_parquet(path)
        if path.suffix.lower() == ".zip":
            gdf = gpd.read_file(f"zip://{path}!{_input_limits.spatial_zip_member(path)}")
        else:
            gdf = gpd.read_file(path)
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - pyogrio/pyarrow raise many kinds; the file is the problem
        raise file_error(path, _input_limits.reader_problem(exc, path), fix) from None
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        raise file_error(path, "holds a table without geometries", fix)
    return gdf


def suffix_is_parquet(path: Path) -> bool:
    return base_suffix(path) in (".parquet", ".geoparquet")


def _detect_xy(df: pd.DataFrame, path: Path, x_column, y_column, crs) -> tuple[str, str, str, bool]:
    """The x and y columns, their coordinate system, and whether that system was only guessed from
    names that do not say degrees (``X``/``Y``, ``x_coord`` ...): then the values may decide."""
    cols = list(df.columns)
    for c in (x_column, y_column):
        if c is not None and c not in cols:
            raise file_error(
                path, f"no column {c!r} (columns: {', '.join(cols[:12])})", "check the column name given", SchemaError
            )
    x = x_column or find_column(cols, _X_NAMES)
    y = y_column or find_column(cols, _Y_NAMES)
    if x is None or y is None:
        raise file_error(
            path,
            f"no coordinate columns found (columns: {', '.join(cols[:12])})",
            "add latitude/longitude or easting/northing columns, or name them with --x-column and --y-column",
            SchemaError,
        )
    crs, guessed = guess_crs(x, y, crs)
    if crs not in ("wgs84", "bng"):
        raise SchemaError(f"{path}: coordinate system {crs!r} is not known; use wgs84 or bng.")
    return x, y, crs, guessed


def guess_crs(xcol: str, ycol: str, crs: str | None) -> tuple[str, bool]:
    """``(crs, guessed)``: the system given, or one guessed from the column names; ``guessed`` is
    True when the names say neither degrees nor grid (then :func:`_check_ranges` lets the values decide)."""
    if crs is not None:
        return crs.lower(), False
    name = f"{xcol} {ycol}".lower()
    if re.search(r"east|north|bng|grid", name):
        return "bng", False
    return "wgs84", not re.search(r"lon|lat|lng|deg|wgs", name)


def _from_table(
    df: pd.DataFrame, path: Path, *, x_column=None, y_column=None, crs=None, max_bad_share=0.5, **opts
) -> tuple[gpd.GeoDataFrame, LoadReport]:
    report = LoadReport(files=[str(path)], rows_read=len(df))
    police = all(c in df.columns for c in POLICE_UK_COLUMNS)
    xcol, ycol, crs, guessed = _detect_xy(df, path, x_column, y_column, crs)
    xs_raw, ys_raw = df[xcol], df[ycol]
    blank = xs_raw.isna() | ys_raw.isna() | (xs_raw.str.strip() == "") | (ys_raw.str.strip() == "")
    xs = pd.to_numeric(xs_raw.str.replace(",", "", regex=False).str.strip(), errors="coerce")
    ys = pd.to_numeric(ys_raw.str.replace(",", "", regex=False).str.strip(), errors="coerce")
    nonnum = ~blank & (xs.isna() | ys.isna())
    report.without_location = int(blank.sum())
    report.bad_coordinates = int(nonnum.sum())
    ok = ~(blank | nonnum)
    x, y = xs[ok].to_numpy(float), ys[ok].to_numpy(float)
    x, y, crs, in_range = _check_ranges(x, y, crs, path, xcol, ycol, report, values_decide=guessed)
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
    out, geoms = _drop_bad_weights(out, pts.to_numpy(), path, report, max_bad_share)
    report.located = len(out)
    return gpd.GeoDataFrame(out, geometry=geoms, crs=BNG), report


def _in(a: np.ndarray, rng: tuple[float, float]) -> np.ndarray:
    return (a >= rng[0]) & (a <= rng[1])


def _check_ranges(x, y, crs, path, xcol, ycol, report, values_decide: bool = False):
    """Decide WGS84 vs BNG from the values, fix swapped lat/lon, and flag out-of-range rows.

    ``values_decide``: the system was guessed from names such as ``X``/``Y``; if most values lie in
    England's grid ranges and none is a plausible longitude/latitude, read them as BNG (with a note).
    """
    n = len(x)
    if n == 0:
        return x, y, crs, np.zeros(0, bool)
    x, y = np.asarray(x, float), np.asarray(y, float)
    wgs_ok = _in(x, LON_RANGE) & _in(y, LAT_RANGE)
    swapped = _in(y, LON_RANGE) & _in(x, LAT_RANGE) & ~wgs_ok
    bng_ok = _in(x, EAST_RANGE) & _in(y, NORTH_RANGE) & ((x > 1000) | (y > 1000))
    if crs == "wgs84" and values_decide and not (wgs_ok | swapped).any():
        england = _in(x, ENGLAND_EAST) & _in(y, ENGLAND_NORTH)
        if england.mean() > 0.5:
            crs = "bng"
            note = (f"{path.name}: columns {xcol!r}/{ycol!r} hold British National Grid eastings/northings "
                    f"({int(england.sum()):,} of {n:,} values in England's grid ranges, none a longitude/latitude); "
                    "read them as BNG (pass --crs wgs84 if that is wrong)")
            report.notes.append(note)
            warnings.warn(note, DataWarning, stacklevel=4)
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
            "crime_id": df["Crime ID"].where(df["Crime ID"].str.strip() != "").astype("string"),
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
        return find_column(cols, names)

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
    date_format = opts.get("date_format")
    if dcol:
        raw = df[dcol].astype("string").str.strip()
        date, has_time, note = _parse_dates(raw, date_format, path, dcol)
        if note:
            report.notes.append(note)
            warnings.warn(note, DataWarning, stacklevel=5)
        report.bad_dates += int((date.isna() & raw.notna()).sum())
        if has_time:
            time = date.dt.strftime("%H:%M").astype("string").where(date.notna())
        if report.bad_dates and report.bad_dates > 0.5 * max(1, raw.notna().sum()):
            first = raw[date.isna() & raw.notna()].iloc[0]
            raise file_error(
                path,
                f"column {dcol!r}: {report.bad_dates:,} of {n:,} dates cannot be read"
                + (f" with --date-format {date_format!r}" if date_format else "") + f" (e.g. {first!r})",
                "use dates like 2025-03-14, 14/03/2025 or 2025-03, or pass --date-format (e.g. %m/%d/%Y)",
                SchemaError,
            )
    if tcol:
        t = df[tcol].astype("string").str.strip()
        parsed = _to_datetime(t, format="mixed")
        hh = t.str.fullmatch(r"\d{1,2}")
        parsed = parsed.where(
            ~hh.fillna(False), pd.to_datetime(t.where(hh.fillna(False)) + ":00", format="%H:%M", errors="coerce")
        )
        time = parsed.dt.strftime("%H:%M").astype("string").where(parsed.notna(), time)
    weight = pd.Series(1.0, index=df.index)
    weight_ok = None
    if wcol:
        raw_w = df[wcol].astype("string").str.strip()
        weight = pd.to_numeric(raw_w.str.replace(",", "", regex=False), errors="coerce").astype(float)
        weight_ok = (np.isfinite(weight) & (weight >= 0) & (weight <= MAX_WEIGHT)).to_numpy(bool)
        weight = weight.where(weight_ok, 0.0)
    code_col = find_column(cols, ("lsoa code", "lsoa21cd", "lsoa_code", "area_code"))
    out = pd.DataFrame(
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
    if weight_ok is not None:
        out["_weight_ok"] = weight_ok
        out.attrs["weight_column"] = wcol
        out.attrs["weight_raw"] = raw_w.to_numpy(dtype=object)
    return out


def _check_date_format(date_format: str | None) -> None:
    if date_format is None:
        return
    bad = ConfigError(f"date format {date_format!r} is not a strptime format; write it like %d/%m/%Y, "
                      "%m/%d/%Y or %Y-%m-%d %H:%M.")
    if "%" not in str(date_format):
        raise bad
    try:
        pd.to_datetime(pd.Series(["2000-01-01"]), format=date_format, errors="coerce")
    except (ValueError, TypeError):
        raise bad from None


_EARLIEST, _LATEST = pd.Timestamp("1900-01-01"), pd.Timestamp("2200-01-01")


def _naive(parsed: pd.Series) -> pd.Series:
    """``datetime64[ns]`` without a zone (zoned values as UK local time); dates outside 1900-2199 are
    unreadable (NaT), which also keeps them inside the nanosecond range."""
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_convert("Europe/London").dt.tz_localize(None)
    parsed = parsed.where((parsed >= _EARLIEST) & (parsed < _LATEST))
    return parsed.astype("datetime64[ns]")


def _to_datetime(values: pd.Series, **kwargs) -> pd.Series:
    """``pd.to_datetime(..., errors="coerce")`` that also copes with a mix of zoned and plain values."""
    try:
        return _naive(pd.to_datetime(values, errors="coerce", **kwargs))
    except (ValueError, TypeError, OverflowError):  # pandas refuses mixed time zones even when coercing
        pass
    out = []
    for v in values:
        try:
            t = pd.Timestamp(pd.to_datetime(v, **kwargs))
        except (ValueError, TypeError, OverflowError):
            t = pd.NaT
        if t is not pd.NaT and t.tzinfo is not None:
            t = t.tz_convert("Europe/London").tz_localize(None)
        out.append(t if t is pd.NaT or _EARLIEST <= t < _LATEST else pd.NaT)
    return pd.Series(pd.to_datetime(pd.Series(out, dtype=object)).to_numpy(), index=values.index).astype(
        "datetime64[ns]")


_NUMERIC_DATE = r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})\b"


def _parse_dates(raw: pd.Series, date_format: str | None = None, path: Path | None = None,
                 column: str = "date") -> tuple[pd.Series, bool, str | None]:
    """Parse dates; return (datetimes, whether times are present, a note for people or None).

    With ``date_format`` every value is read with it. Otherwise ISO dates are read as such and
    numeric dates such as ``03/04/2025`` by their values: any first field above 12 means day-first
    (British), any second field above 12 month-first (US style); both at once is an error; neither
    is read day-first with a note saying how to choose (``--date-format``).
    """
    sample = raw.dropna()
    if sample.empty:
        return pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]"), False, None
    if date_format:
        parsed = _to_datetime(raw, format=date_format)
        return parsed, bool(re.search(r"%[HIMX]", date_format)), None
    if sample.str.fullmatch(r"\d{4}-\d{2}").all():
        return pd.to_datetime(raw, format="%Y-%m", errors="coerce"), False, None
    # ISO dates (year first) are read as ISO whatever the others: dayfirst would turn 2025-03-04 into 4 March
    iso_rows = raw.str.match(r"\d{4}-\d{1,2}-\d{1,2}").fillna(False).astype(bool)
    dayfirst, note = True, None
    others = sample[~iso_rows.reindex(sample.index)]
    if len(others):
        fields = others.str.extract(_NUMERIC_DATE).dropna()
        if len(fields):
            first, second = fields[0].astype(int), fields[1].astype(int)
            day_evidence, month_evidence = first > 12, second > 12
            name = path.name if path is not None else "input"
            if day_evidence.any() and month_evidence.any():
                a = others[day_evidence[day_evidence].index[0]]
                b = others[month_evidence[month_evidence].index[0]]
                raise file_error(path, f"column {column!r} mixes day-first dates ({a!r}) and month-first dates "
                                 f"({b!r})", "pass --date-format, e.g. %d/%m/%Y or %m/%d/%Y", SchemaError)
            if month_evidence.any():
                dayfirst = False
                example = others[month_evidence[month_evidence].index[0]]
                note = (f"{name}: dates in column {column!r} read as month-first (US style, MM/DD/YYYY) because "
                        f"of values such as {example!r}; pass --date-format if that is wrong")
            elif not day_evidence.any() and (first != second).any():
                example = others[(first != second)[first != second].index[0]]
                note = (f"{name}: dates in column {column!r} such as {example!r} could be day-first or month-first "
                        "(no day above 12); read as day-first (British, DD/MM/YYYY); pass --date-format "
                        "%m/%d/%Y if they are US-style")
    parsed = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    if iso_rows.any():
        got = _to_datetime(raw[iso_rows], format="ISO8601")
        retry = got.isna()
        if retry.any():  # ISO dates with other times ("2025-03-04 1:30pm")
            got[retry] = _to_datetime(raw[iso_rows][retry], format="mixed")
        parsed[iso_rows] = got
    rest = ~iso_rows & raw.notna()
    if rest.any():
        parsed[rest] = _to_datetime(raw[rest], format="mixed", dayfirst=dayfirst)
    has_time = bool(sample.str.contains(r"\d{1,2}:\d{2}").any())
    return parsed.astype("datetime64[ns]"), has_time, note


# ---------------------------------------------------------------------------------------------
# the columnar reader of police.uk street-level CSVs (``placebased counts`` on a year of national records)


@dataclass
class IncidentColumns:
    """Located police.uk records as columns, without geometry: what :func:`load_police_columns` returns.

    The rows are those :func:`load_incidents` would give, in the same order, with the same values:
    ``category`` and ``month`` are int32 codes into the sorted ``categories`` and ``months`` (``-1``:
    undated), ``code`` into ``codes`` (the publisher's ``LSOA code``; ``-1``: blank), ``file`` into
    ``sources`` (file names), ``source_row`` the 1-based data row, ``lon``/``lat`` WGS84 degrees.
    :meth:`points` builds the GeoDataFrame of :func:`load_incidents` for the rows asked for, so
    geometry is made only where it is needed (the sample checked by location, records without a
    usable code). ``report`` is the same :class:`LoadReport`.
    """

    category: np.ndarray
    categories: list[str]
    month: np.ndarray
    months: list[str]
    code: np.ndarray
    codes: list[str]
    file: np.ndarray
    sources: list[str]
    source_row: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    report: LoadReport

    def __len__(self) -> int:
        return len(self.category)

    def points(self, rows: np.ndarray | None = None) -> gpd.GeoDataFrame:
        """The records ``rows`` (all when None) as :func:`load_incidents` gives them (EPSG:27700), with the
        columns category, date, month, time, weight, source, source_row and lsoa_code_source."""
        rows = np.arange(len(self)) if rows is None else np.asarray(rows, dtype=np.int64)

        def text(levels, codes, dtype):
            values = np.append(np.asarray(levels, dtype=object), [None])[codes]
            return pd.array(values, dtype=dtype)

        month = text(self.months, self.month[rows], "string")
        pts = gpd.GeoSeries(gpd.points_from_xy(self.lon[rows], self.lat[rows]), crs="EPSG:4326").to_crs(BNG)
        out = pd.DataFrame({
            "category": text(self.categories, self.category[rows], "str"),
            "date": pd.to_datetime(pd.Series(month, dtype="str"), format="%Y-%m", errors="coerce").to_numpy(),
            "month": month,
            "time": pd.array([pd.NA] * len(rows), dtype="string"),
            "weight": np.ones(len(rows)),
            "source": text(self.sources, self.file[rows], "str"),
            "source_row": self.source_row[rows].astype(np.int64),
            "lsoa_code_source": text(self.codes, self.code[rows], "string"),
        })
        return gpd.GeoDataFrame(out, geometry=pts.to_numpy(), crs=BNG)


def load_police_columns(paths: str | os.PathLike | Sequence[str | os.PathLike],
                        max_bad_share: float = 0.5) -> IncidentColumns | None:
    """police.uk street-level CSVs (plain or ``.gz``) read as columns with pyarrow: the records and report of
    :func:`load_incidents` (same rows, counts of rows lost per reason, notes and warnings), several times
    faster and without a GeoDataFrame.

    Returns None when any file is not a plain police.uk CSV this reader takes as it is: another kind of
    file, another separator, UTF-16 or cp1252 text, a row that does not parse or has too few fields, a line
    over the length limit, text starting with a space (which the full reader strips), a file refused for
    its bad rows. Then call :func:`load_incidents`, which reads those files (or refuses them with its
    one-line error) exactly as before.
    """
    try:
        files = expand_paths(paths)
    except DataError:
        return None
    parts, caught = [], []
    for f in files:
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            part = _police_part(f, max_bad_share)
        if part is None:
            return None
        parts.append(part)
        caught += seen
    for w in caught:
        warnings.warn(w.message, w.category, stacklevel=2)
    report = LoadReport()
    for p in parts:
        report.merge(p["report"])

    def joined(key):
        levels = sorted({v for p in parts for v in p[key + "_levels"]})
        where = {v: i for i, v in enumerate(levels)}
        out = [np.append(np.array([where[v] for v in p[key + "_levels"]], dtype=np.int32), np.int32(-1))[p[key]]
               for p in parts]
        return np.concatenate(out).astype(np.int32), levels

    category, categories = joined("category")
    present = np.flatnonzero(np.bincount(category, minlength=len(categories)))  # those of the rows kept
    lut = np.full(len(categories) + 1, -1, dtype=np.int32)
    lut[present] = np.arange(len(present), dtype=np.int32)
    category, categories = lut[category], [categories[i] for i in present]
    month, months = joined("month")
    code, codes = joined("code")
    return IncidentColumns(
        category=category, categories=categories, month=month, months=months, code=code, codes=codes,
        file=np.concatenate([np.full(len(p["lon"]), i, dtype=np.int32) for i, p in enumerate(parts)]),
        sources=[p["name"] for p in parts],
        source_row=np.concatenate([p["source_row"] for p in parts]),
        lon=np.concatenate([p["lon"] for p in parts]), lat=np.concatenate([p["lat"] for p in parts]),
        report=report)


def _dictionary_codes(column) -> tuple[np.ndarray, list]:
    """A dictionary-encoded Arrow column as int32 codes (-1 where null) and the values they index (Arrow)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    col = pa.chunked_array(column.chunks if isinstance(column, pa.ChunkedArray) else [column]).unify_dictionaries()
    if col.num_chunks == 0:
        return np.zeros(0, dtype=np.int32), pa.array([], type=pa.string())
    indices = pa.chunked_array([c.indices for c in col.chunks], type=col.type.index_type)
    codes = pc.fill_null(indices, -1).to_numpy(zero_copy_only=False).astype(np.int32)
    return codes, col.chunk(0).dictionary


def _unique_text(values: list, fn) -> tuple[np.ndarray, list]:
    """``fn`` (a pandas text transformation giving text or missing) applied to distinct values: for each
    value its position in the sorted distinct results (-1 where missing), and those results."""
    out = fn(pd.Series(values, dtype="str"))
    keep = out.notna().to_numpy()
    levels = sorted(set(out[keep].tolist()))
    where = {v: i for i, v in enumerate(levels)}
    return np.array([where[v] if k else -1 for v, k in zip(out.tolist(), keep)], dtype=np.int32), levels


def _police_part(path: Path, max_bad_share: float) -> dict | None:
    """One police.uk CSV for :func:`load_police_columns` (None: leave it to the full reader)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    if base_suffix(path) != ".csv" or not path.is_file():
        return None
    try:
        raw = _input_limits.read_bytes(path)  # the unpacked-size limit (a .gz in pieces)
    except (DataError, OSError, EOFError, zlib.error):
        return None
    if (raw[:2] in (b"\xff\xfe", b"\xfe\xff") or tables._looks_binary(raw)
            or b"\n" not in raw[:_input_limits.max_line_bytes()]):
        return None
    if not raw.isascii():  # the full reader decodes a file that is not UTF-8 throughout as cp1252
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return None
    try:
        header = raw[:raw.find(b"\n")].decode("utf-8-sig").rstrip("\r")  # (split would copy the whole file)
    except UnicodeDecodeError:
        return None
    names = []
    for name in header.split(","):
        name = name.strip(" ")
        if len(name) >= 2 and name[0] == name[-1] == '"':
            name = name[1:-1]
        if '"' in name:
            return None  # quotes within a name, or a comma in a quoted name
        names.append(name.strip())
    if (tables.separator(header, path) != "," or len(names) > _input_limits.max_columns()
            or len(set(names)) != len(names) or not all(c in names for c in POLICE_UK_COLUMNS)):
        return None
    try:
        xcol, ycol, crs, guessed = _detect_xy(pd.DataFrame(columns=names), path, None, None, None)
    except DataError:
        return None
    if crs != "wgs84":
        return None
    want = {"month": "Month", "x": xcol, "y": ycol, "category": "Crime type", "code": "LSOA code"}
    fields = {k: f"c{names.index(v)}" for k, v in want.items() if v in names}
    dictionary = pa.dictionary(pa.int32(), pa.string())
    # one row a line unless a quoted value holds a line break (police.uk quotes nothing): otherwise (or with
    # blank lines, which are skipped) read again allowing line breaks in values (slower)
    lines = raw.count(b"\n") + (not raw.endswith(b"\n")) - 1
    table = None
    for coords, newlines in ((pa.float64(), False), (pa.float64(), True), (dictionary, True)):
        # coordinates as numbers straight away; as text (then parsed as the full reader does) if some are not
        types = {fields[k]: (coords if k in ("x", "y") else dictionary) for k in fields}
        try:
            table = pacsv.read_csv(
                pa.BufferReader(raw),
                # a line longer than the limit does not fit in a block: refused, left to the full reader
                read_options=pacsv.ReadOptions(column_names=[f"c{i}" for i in range(len(names))], skip_rows=1,
                                               block_size=max(_input_limits.max_line_bytes(), 1 << 16)),
                parse_options=pacsv.ParseOptions(newlines_in_values=newlines),
                convert_options=pacsv.ConvertOptions(include_columns=list(types), column_types=types,
                                                     null_values=[""], strings_can_be_null=True,
                                                     quoted_strings_can_be_null=True))
        except pa.ArrowInvalid:
            table = None
            continue
        if newlines or table.num_rows == lines:
            break
        table = None
    del raw
    if table is None or table.num_rows == 0:
        return None
    n = table.num_rows
    report = LoadReport(files=[str(path)], rows_read=n)
    coded = {}
    for k, col in fields.items():
        if pa.types.is_dictionary(table.schema.field(col).type):
            codes, values = _dictionary_codes(table.column(col))
            if pc.any(pc.starts_with(values, " ")).as_py():
                return None  # the full reader strips leading spaces (and reads ' "x"' as x)
            coded[k] = codes, values.to_pylist()
    xy = {}
    for k in ("x", "y"):
        if k in coded:  # as load_incidents: blank, else the number after dropping thousands commas
            codes, values = coded[k]
            s = pd.Series(values, dtype="str")
            blank_u = np.append((s.str.strip() == "").to_numpy(bool), True)
            num_u = np.append(pd.to_numeric(s.str.replace(",", "", regex=False).str.strip(),
                                            errors="coerce").to_numpy(float), np.nan)
            xy[k] = (blank_u[codes], num_u[codes])
        else:
            col = table.column(fields[k])
            xy[k] = (col.is_null().to_numpy(zero_copy_only=False),
                     col.to_numpy(zero_copy_only=False).astype(float))
    del table
    (xblank, xs), (yblank, ys) = xy["x"], xy["y"]
    blank = xblank | yblank
    nonnum = ~blank & (np.isnan(xs) | np.isnan(ys))
    report.without_location = int(blank.sum())
    report.bad_coordinates = int(nonnum.sum())
    ok = ~(blank | nonnum)
    try:
        x, y, crs, in_range = _check_ranges(xs[ok], ys[ok], crs, path, xcol, ycol, report, values_decide=guessed)
    except DataError:
        return None
    if crs != "wgs84":
        return None
    idx = np.flatnonzero(ok)[in_range]
    report.out_of_range = int((~in_range).sum())
    bad = report.skipped
    if n and bad / n > max_bad_share:
        return None  # refused by the full reader, with its message
    if bad:
        lost = np.ones(n, dtype=bool)
        lost[idx] = False
        first = int(np.flatnonzero(lost)[0]) + 2  # +1 header, +1 one-based
        report.notes.append(f"{path.name}: {bad:,} rows skipped without a usable location (first at row {first})")
    part = {"name": path.name, "report": report, "source_row": idx + 1, "lon": x[in_range], "lat": y[in_range]}
    # the columns of _normalise_police, worked out once per distinct value
    codes, values = coded["month"]
    date = pd.to_datetime(pd.Series(values, dtype="str").str.strip(), format="%Y-%m", errors="coerce")
    bad_u = np.append(date.isna().to_numpy(bool), False)
    report.bad_dates += int(bad_u[codes[idx]].sum())
    to_level, part["month_levels"] = _unique_text(values, lambda s: pd.to_datetime(
        s.str.strip(), format="%Y-%m", errors="coerce").dt.strftime("%Y-%m"))
    part["month"] = np.append(to_level, np.int32(-1))[codes[idx]]
    codes, values = coded["category"]
    to_level, part["category_levels"] = _unique_text(values + [None], lambda s: s.fillna("Unknown").str.strip())
    codes = np.where(codes < 0, len(values), codes)
    part["category"] = to_level[codes[idx]]
    if "code" in coded:
        codes, values = coded["code"]
        part["code_levels"] = values
        part["code"] = codes[idx]
    else:
        part["code_levels"], part["code"] = [], np.full(len(idx), -1, dtype=np.int32)
    report.located = len(idx)
    return part

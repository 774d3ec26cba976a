"""Current provision: read it (points or service-area polygons) and the shipped example.

* :func:`load_provision` reads points (CSV/Excel with coordinates or postcodes, GeoJSON, GeoPackage)
  or service-area polygons into a GeoDataFrame (EPSG:27700) with ``name, type, age_group, radius_m,
  located_by, postcode, source_row``. Tables are opened by :func:`placebased.io.tables.read_table`
  (encodings, separators, binary files, size limits). Postcodes are located offline with OS
  Code-Point Open (:mod:`placebased.io.postcodes`); unknown postcodes are reported, never silently
  dropped.
* :func:`example_provision` is the shipped **example**: NHS GP practices and other prescribing cost
  centres (NHS ODS epraccur, 2025). It is not youth provision.
* :func:`provision_types`, :func:`select_types`: the types present, and the rows of chosen types.

What provision reaches (area centres, distances, gaps among priority areas) is computed in
:mod:`placebased.score.reach`; new sites are suggested by :mod:`placebased.score.siting`.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from placebased import _paths
from placebased.errors import ConfigError, SchemaError, file_error
from placebased.io import postcodes, tables
from placebased.io.areas import BNG, WGS84, DataWarning, declared_crs_checked
from placebased.io.incidents import SPATIAL_SUFFIXES, _check_ranges, guess_crs, read_spatial
from placebased.io.tables import TABLE_SUFFIXES, base_suffix, find_column

#: ODS epraccur "Prescribing Setting" codes -> readable provision types
PRESCRIBING_SETTINGS: dict[int, str] = {
    0: "Other NHS service", 1: "Walk-in centre", 2: "Out-of-hours service", 3: "Walk-in and out-of-hours service",
    4: "GP practice", 8: "Public health service", 9: "Community health service", 10: "Hospital service",
    11: "Optometry service", 12: "Urgent and emergency care", 13: "Hospice", 14: "Care home or nursing home",
    15: "Border Force", 16: "Young offender institution", 17: "Secure training centre", 18: "Secure children's home",
    19: "Immigration removal centre", 20: "Court", 21: "Police custody", 22: "Sexual assault referral centre",
    24: "Other justice estate", 25: "Prison health service", 26: "Primary care network hub",
    27: "Pharmacy prescriber pathfinder",
}
EXAMPLE_LABEL = (
    "EXAMPLE DATA: NHS GP practices and other NHS prescribing cost centres in Northamptonshire "
    "(NHS ODS epraccur, 2025; located by postcode with OS Code-Point Open); not youth provision"
)
#: largest catchment radius accepted (metres): beyond it a site would "reach" all of England
MAX_RADIUS_M = 200_000.0
PROVISION_COLUMNS = ("name", "type", "age_group", "radius_m", "located_by", "postcode", "source_row")

_NAME_NAMES = ("name", "site", "site name", "site_name", "provider", "organisation", "organisation name",
               "service", "service name", "venue", "title")
_TYPE_NAMES = ("type", "category", "service type", "service_type", "provision type", "provision_type", "kind")
_AGE_NAMES = ("age_group", "age group", "target age group", "target_age_group", "target age", "target_age",
              "ages", "age range", "age")
_RADIUS_NAMES = ("radius_m", "radius", "radius (m)", "catchment_m", "catchment radius", "catchment", "catchment_radius")
_PC_NAMES = ("postcode", "post code", "post_code", "postal code", "postal_code", "pcd", "pcds", "zip")
_X_NAMES = ("easting", "eastings", "x", "longitude", "lon", "long", "lng", "bng_e", "grid_e", "x_coord")
_Y_NAMES = ("northing", "northings", "y", "latitude", "lat", "bng_n", "grid_n", "y_coord")


@dataclass
class ProvisionReport:
    """How the rows of a provision file were located."""

    source: str = ""
    rows_read: int = 0
    by_coordinates: int = 0
    by_postcode: int = 0
    by_geometry: int = 0
    without_location: int = 0
    out_of_range: int = 0
    swapped_fixed: int = 0
    #: (1-based data row, postcode as given, "unknown" or "malformed")
    unknown_postcodes: list[tuple[int, str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def located(self) -> int:
        return self.by_coordinates + self.by_postcode + self.by_geometry

    def summary(self) -> str:
        """One line: rows read, how they were located, what was left out."""
        parts = [f"read {self.rows_read:,}", f"located {self.located:,}"]
        for label, n in (("by coordinates", self.by_coordinates), ("by postcode", self.by_postcode),
                         ("by geometry", self.by_geometry)):
            if n:
                parts.append(f"{label} {n:,}")
        if self.unknown_postcodes:
            first = ", ".join(f"row {r} {pc!r}" for r, pc, _ in self.unknown_postcodes[:3])
            parts.append(f"postcodes not found {len(self.unknown_postcodes):,} ({first})")
        if self.without_location:
            parts.append(f"without location {self.without_location:,}")
        if self.out_of_range:
            parts.append(f"coordinates out of range {self.out_of_range:,}")
        return ", ".join(parts)


# ---------------------------------------------------------------------------------------------- loading


def load_provision(
    path: str | os.PathLike,
    name_column: str | None = None,
    type_column: str | None = None,
    *,
    age_column: str | None = None,
    radius_column: str | None = None,
    postcode_column: str | None = None,
    x_column: str | None = None,
    y_column: str | None = None,
    crs: str | None = None,
    default_type: str = "Provision",
    postcode_table: str | os.PathLike | None = None,
) -> gpd.GeoDataFrame:
    """Read provision points or service-area polygons.

    Parameters
    ----------
    path
        CSV (``.csv``, ``.csv.gz``, ``.tsv``), Excel, GeoJSON, GeoPackage, shapefile (zip) or GeoParquet.
    name_column, type_column, age_column, radius_column, postcode_column, x_column, y_column
        Columns to use (each guessed from common names when omitted). ``radius_column`` holds an
        optional catchment radius in metres per site. NHS ODS epraccur files are recognised: the
        type is the readable ``Prescribing Setting`` (:data:`PRESCRIBING_SETTINGS`).
    crs
        ``"wgs84"`` or ``"bng"`` for the x/y columns (else detected from names and values).
    default_type
        Type given to every row when the file has no type column.
    postcode_table
        Another Code-Point Open extract to locate postcodes with (default: the shipped one).

    Returns
    -------
    GeoDataFrame
        EPSG:27700, index ``provision_id`` (0..n-1), columns :data:`PROVISION_COLUMNS` + geometry.
        ``located_by`` is ``"coordinates"``, ``"postcode"`` or ``"geometry"``. Rows whose postcode is
        not in the table, or that have no location, are left out and listed in
        ``attrs["report"]`` (a :class:`ProvisionReport`); a :class:`~placebased.io.areas.DataWarning`
        names them.
    """
    path = Path(path)
    if not path.exists():
        raise file_error(path, "provision file not found", "check the path and the file name")
    suffix = base_suffix(path)
    report = ProvisionReport(source=path.name)
    if suffix in SPATIAL_SUFFIXES:
        df, geoms = _read_spatial(path, report)
    elif suffix in TABLE_SUFFIXES:
        df, geoms = _read_table(path), None
        report.rows_read = len(df)
    else:
        raise file_error(path, f"unsupported file type {suffix or '(none)'}",
                         "give a CSV, Excel, GeoJSON or GeoPackage file")
    cols = list(df.columns)
    for given in (name_column, type_column, age_column, radius_column, postcode_column, x_column, y_column):
        if given is not None and given not in cols:
            raise file_error(path, f"no column {given!r} (columns: {', '.join(cols[:15])})",
                             "check the column name given", SchemaError)
    epraccur = {"Prescribing Setting", "Organisation Code", "Postcode", "Name"} <= set(cols)
    name_col = name_column or ("Name" if epraccur else find_column(cols, _NAME_NAMES))
    pc_col = postcode_column or find_column(cols, _PC_NAMES)
    if epraccur and type_column is None:
        code = pd.to_numeric(df["Prescribing Setting"], errors="coerce")
        types = code.map(lambda c: PRESCRIBING_SETTINGS.get(int(c), f"Prescribing setting {int(c)}")
                         if pd.notna(c) else "Unspecified")
    else:
        type_col = type_column or find_column(cols, _TYPE_NAMES)
        types = _text(df[type_col]).fillna("Unspecified") if type_col else pd.Series(default_type, index=df.index)
    if geoms is None:
        geoms = _locate_rows(df, path, report, pc_col, x_column, y_column, crs, postcode_table, epraccur)
    age_col = age_column or find_column(cols, _AGE_NAMES)
    rad_col = radius_column or find_column(cols, _RADIUS_NAMES)
    radius = pd.Series(np.nan, index=df.index)
    if rad_col:
        radius = pd.to_numeric(df[rad_col].astype("str").str.replace(",", "").str.strip(), errors="coerce")
        bad = (radius < 0) | (radius > MAX_RADIUS_M) | (df[rad_col].notna() & radius.isna())
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
            raise file_error(path, f"row {row}: catchment radius {df[rad_col].iloc[row - 2]!r} in column "
                             f"{rad_col!r} is not a distance in metres from 0 to {MAX_RADIUS_M:,.0f}",
                             "give a number of metres or leave it blank")
    names = _text(df[name_col]) if name_col else pd.Series(pd.NA, index=df.index, dtype="str")
    rows = pd.Series(np.arange(1, len(df) + 1), index=df.index)
    names = names.fillna(types + " (row " + rows.astype("str") + ")")
    out = pd.DataFrame({
        "name": names.astype("str"),
        "type": types.astype("str"),
        "age_group": _text(df[age_col]) if age_col else pd.Series(pd.NA, index=df.index, dtype="str"),
        "radius_m": radius.astype(float),
        "located_by": df.get("_located_by", "geometry"),
        "postcode": (postcodes.normalise(df[pc_col]).map(postcodes.pretty, na_action="ignore").astype("str")
                     if pc_col else pd.Series(pd.NA, index=df.index, dtype="str")),
        "source_row": rows.astype(int),
    }, index=df.index)
    keep = geoms.notna().to_numpy() & ~geoms.is_empty.to_numpy()
    gdf = gpd.GeoDataFrame(out[keep].reset_index(drop=True), geometry=geoms[keep].to_numpy(), crs=BNG)
    gdf.index.name = "provision_id"
    if gdf.empty:
        raise file_error(path, f"none of the {report.rows_read:,} rows could be located ({report.summary()})",
                         "give coordinates, or postcodes in North or West Northamptonshire")
    if report.unknown_postcodes:
        first = ", ".join(f"row {r} {pc!r}" for r, pc, _ in report.unknown_postcodes[:3])
        warnings.warn(f"{path.name}: {len(report.unknown_postcodes)} postcodes not found in the Code-Point Open "
                      f"table ({first}); those rows are left out", DataWarning, stacklevel=2)
    gdf.attrs["report"] = report
    gdf.attrs["source"] = str(path)
    return gdf


def _text(s: pd.Series) -> pd.Series:
    t = s.astype("str").str.strip()
    return t.where(s.notna() & (t != "") & (t.str.lower() != "nan"))


def _read_table(path: Path) -> pd.DataFrame:
    """A provision CSV/Excel file as text columns (:func:`placebased.io.tables.read_table`)."""
    return tables.read_table(path, "provision")


def _read_spatial(path: Path, report: ProvisionReport) -> tuple[pd.DataFrame, gpd.GeoSeries]:
    gdf = read_spatial(path, "give GeoJSON, GeoPackage or GeoParquet points or polygons", "provision")
    if len(gdf) == 0:
        raise file_error(path, "file has no features", "export it again with its features")
    blank = gdf.geometry.isna() | gdf.geometry.is_empty
    if blank.all():
        raise file_error(path, f"none of its {len(gdf):,} features has a geometry (all are empty or null)",
                         "export the provision again with its locations")
    if gdf.crs is None:
        raise file_error(path, "has no coordinate reference system", "save it with a CRS (EPSG:4326 or EPSG:27700)")
    gdf = gdf.reset_index(drop=True)
    gdf, note = declared_crs_checked(gdf, path)
    if note:
        report.notes.append(note)
    geom = gdf.geometry.to_crs(BNG)
    kinds = set(geom.dropna().geom_type.unique()) - {"Point", "Polygon", "MultiPolygon"}
    if kinds:
        raise file_error(path, f"holds {', '.join(sorted(kinds))} features",
                         "give provision points or service-area polygons")
    missing = geom.isna() | geom.is_empty
    report.rows_read = len(gdf)
    report.by_geometry = int((~missing).sum())
    report.without_location = int(missing.sum())
    if report.without_location:
        first = int(np.flatnonzero(missing.to_numpy())[0]) + 1
        note = (f"{path.name}: {report.without_location:,} of {len(gdf):,} features have no geometry and are "
                f"left out (first is feature {first})")
        report.notes.append(note)
        warnings.warn(note, DataWarning, stacklevel=3)
    table = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    table = table.astype("str").where(table.notna())
    table["_located_by"] = "geometry"
    return table, geom


def _locate_rows(df, path, report, pc_col, x_column, y_column, crs, table, epraccur) -> gpd.GeoSeries:
    """Locate each row by its coordinates where it has them, else by its postcode."""
    cols = list(df.columns)
    xcol = x_column or (None if epraccur else find_column(cols, _X_NAMES))
    ycol = y_column or (None if epraccur else find_column(cols, _Y_NAMES))
    if (xcol is None) != (ycol is None):
        raise file_error(path, f"only one coordinate column found ({xcol or ycol!r})",
                         "name both with --x-column and --y-column, or give postcodes", SchemaError)
    if xcol is None and pc_col is None:
        raise file_error(path, f"no coordinate or postcode column found (columns: {', '.join(cols[:15])})",
                         "add easting/northing, latitude/longitude or postcode columns", SchemaError)
    x = np.full(len(df), np.nan)
    y = np.full(len(df), np.nan)
    how = np.full(len(df), None, dtype=object)
    if xcol is not None:
        xs = pd.to_numeric(df[xcol].astype("str").str.replace(",", "").str.strip(), errors="coerce").to_numpy(float)
        ys = pd.to_numeric(df[ycol].astype("str").str.replace(",", "").str.strip(), errors="coerce").to_numpy(float)
        ok = ~(np.isnan(xs) | np.isnan(ys))
        crs, guessed = guess_crs(xcol, ycol, crs)
        if crs not in ("wgs84", "bng"):
            raise ConfigError(f"coordinate system {crs!r} is not known; use wgs84 or bng.")
        if ok.any():
            cx, cy, crs, in_range = _check_ranges(xs[ok], ys[ok], crs, path, xcol, ycol, report,
                                                  values_decide=guessed)
            idx = np.flatnonzero(ok)
            report.out_of_range = int((~in_range).sum())
            idx, cx, cy = idx[in_range], cx[in_range], cy[in_range]
            if crs == "wgs84" and len(idx):
                pts = gpd.GeoSeries(gpd.points_from_xy(cx, cy), crs=WGS84).to_crs(BNG)
                cx, cy = pts.x.to_numpy(), pts.y.to_numpy()
            x[idx], y[idx], how[idx] = cx, cy, "coordinates"
    report.by_coordinates = int((how == "coordinates").sum())
    todo = np.flatnonzero(how == None)  # noqa: E711 (object array)
    if pc_col is not None and len(todo):
        found = postcodes.locate(df[pc_col].iloc[todo].reset_index(drop=True), table)
        hit = (found["status"] == "found").to_numpy()
        x[todo[hit]], y[todo[hit]] = found["x"].to_numpy()[hit], found["y"].to_numpy()[hit]
        how[todo[hit]] = "postcode"
        report.by_postcode = int(hit.sum())
        bad = found["status"].isin(["unknown", "malformed"]).to_numpy()
        report.unknown_postcodes = [(int(todo[i]) + 1, str(df[pc_col].iloc[todo[i]]), str(found["status"].iloc[i]))
                                    for i in np.flatnonzero(bad)]
        if report.unknown_postcodes:
            report.notes.append(f"{path.name}: {len(report.unknown_postcodes)} postcodes not found in Code-Point Open")
    report.without_location = int((how == None).sum()) - len(report.unknown_postcodes)  # noqa: E711
    df["_located_by"] = how
    geoms = [shapely.Point(a, b) if h is not None else None for a, b, h in zip(x, y, how)]
    return gpd.GeoSeries(geoms, index=df.index, crs=BNG)


def example_provision(kind: str = "nhs") -> gpd.GeoDataFrame:
    """The shipped example provision (NHS ODS epraccur, Northamptonshire, 2025).

    Parameters
    ----------
    kind
        ``"nhs"``: all 96 active prescribing cost centres (GP practices, PCN hubs, urgent care, prison
        health services, ...); ``"gp"``: the 68 GP practices only.

    Returns
    -------
    GeoDataFrame as :func:`load_provision`, with ``attrs["example"] = True`` and ``attrs["label"]``
    saying it is example data. Locations are postcode centroids, not buildings.
    """
    files = {"nhs": _paths.NHS_PROVISION, "gp": _paths.GP_PROVISION}
    if kind not in files:
        raise ConfigError(f"example provision {kind!r} is not known; choose one of {', '.join(files)}.")
    out = _example_cached(kind).copy()
    out.attrs = {**out.attrs, "example": True, "label": EXAMPLE_LABEL}
    return out


@lru_cache(maxsize=2)
def _example_cached(kind: str) -> gpd.GeoDataFrame:
    return load_provision({"nhs": _paths.NHS_PROVISION, "gp": _paths.GP_PROVISION}[kind])


def provision_types(provision: gpd.GeoDataFrame) -> list[str]:
    """The provision types present, most frequent first."""
    return provision["type"].value_counts().index.tolist()


def select_types(provision: gpd.GeoDataFrame, types: list[str] | None) -> gpd.GeoDataFrame:
    """Rows of the chosen types (case-insensitive); ``None`` keeps all. Unknown names raise ConfigError."""
    if not types:
        return provision
    avail = {t.lower(): t for t in provision["type"].unique()}
    wanted = [t.strip().lower() for t in types]
    unknown = [t for t, w in zip(types, wanted) if w not in avail]
    if unknown:
        raise ConfigError(f"provision type {', '.join(map(repr, unknown))} is not in the data; "
                          f"valid types: {', '.join(sorted(avail.values()))}.")
    return provision[provision["type"].str.lower().isin(wanted)]

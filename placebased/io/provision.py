"""Current provision: load it, measure its reach per area, find gaps, suggest new sites.

* :func:`load_provision` reads points (CSV/Excel with coordinates or postcodes, GeoJSON, GeoPackage)
  or service-area polygons into a GeoDataFrame (EPSG:27700) with ``name, type, age_group, radius_m,
  located_by, postcode, source_row``. Postcodes are located offline with OS Code-Point Open
  (:mod:`placebased.io.postcodes`); unknown postcodes are reported, never silently dropped.
* :func:`example_provision` is the shipped **example**: NHS GP practices and other prescribing cost
  centres (NHS ODS epraccur, 2025). It is not youth provision.
* :func:`area_centres`: the mean of the Code-Point Open postcode centroids inside each area (an
  approximation of a population-weighted centre: postcode units hold ~15 addresses each), or a point
  inside the polygon (``representative_point``) where an area holds no postcode.
* :func:`reach`: per area, distance to the nearest provision (overall and per type), count within the
  radius, provision inside the area per 1,000 residents (and per 1,000 aged 10-24).
* :func:`gaps`: priority-tier areas with no provision within the radius; table, map layer, summary line.
* :func:`~placebased.score.siting.suggest_sites`: maximal covering location problem
  (PySAL spopt ``MCLP`` with pulp's CBC), in :mod:`placebased.score.siting`.

Coverage rule (used by ``within_radius``, gaps and siting): a provision point covers an area when the
straight-line distance from the area centre is at most the point's own ``radius_m`` if it has one,
else the radius asked for. A service-area polygon covers the areas whose centre lies inside it
(distance 0), or within its ``radius_m`` if given. Straight-line distances understate travel,
especially across rivers, railways and major roads.
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from placebased import _paths
from placebased.errors import ConfigError, DataError, SchemaError, file_error
from placebased.io import postcodes
from placebased.io.areas import BNG, WGS84, DataWarning, declared_crs_checked
from placebased.io.incidents import (
    SPATIAL_SUFFIXES,
    TABLE_SUFFIXES,
    _base_suffix,
    _check_ranges,
    _find_column,
    _read_text,
    guess_crs,
    read_excel,
    read_spatial,
)

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
    suffix = _base_suffix(path)
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
    name_col = name_column or ("Name" if epraccur else _find_column(cols, _NAME_NAMES))
    pc_col = postcode_column or _find_column(cols, _PC_NAMES)
    if epraccur and type_column is None:
        code = pd.to_numeric(df["Prescribing Setting"], errors="coerce")
        types = code.map(lambda c: PRESCRIBING_SETTINGS.get(int(c), f"Prescribing setting {int(c)}")
                         if pd.notna(c) else "Unspecified")
    else:
        type_col = type_column or _find_column(cols, _TYPE_NAMES)
        types = _text(df[type_col]).fillna("Unspecified") if type_col else pd.Series(default_type, index=df.index)
    if geoms is None:
        geoms = _locate_rows(df, path, report, pc_col, x_column, y_column, crs, postcode_table, epraccur)
    age_col = age_column or _find_column(cols, _AGE_NAMES)
    rad_col = radius_column or _find_column(cols, _RADIUS_NAMES)
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
    if path.stat().st_size == 0:
        raise file_error(path, "provision file is empty", "export it again with its rows")
    if _base_suffix(path) in (".xlsx", ".xlsm", ".xls"):
        df = read_excel(path, "provision")
    else:
        import io

        text = _read_text(path)
        head = text.split("\n", 1)[0]
        sep = "\t" if head.count("\t") > head.count(",") else ","
        try:
            df = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_values=[""])
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise file_error(path, f"does not parse as CSV ({str(exc).splitlines()[0]})",
                             "check quoting, the header row and the number of fields") from None
    df.columns = [str(c).strip() for c in df.columns]
    if len(df) == 0:
        raise file_error(path, "provision file has a header but no rows", "export it again with its rows")
    return df.reset_index(drop=True)


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
    xcol = x_column or (None if epraccur else _find_column(cols, _X_NAMES))
    ycol = y_column or (None if epraccur else _find_column(cols, _Y_NAMES))
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


# ---------------------------------------------------------------------------------------------- reach


class AreaCentres(NamedTuple):
    """Area centres (EPSG:27700, indexed by area_code), how each was made, and a one-line label."""

    points: gpd.GeoSeries
    method: pd.Series
    label: str


def area_centres(areas: gpd.GeoDataFrame, method: str = "postcode_mean",
                 postcode_table: str | os.PathLike | None = None) -> AreaCentres:
    """A centre per area from which distances are measured.

    Parameters
    ----------
    areas
        Polygons indexed by ``area_code`` (EPSG:27700).
    method
        ``"postcode_mean"`` (default): the mean of the Code-Point Open postcode centroids inside
        the area, which approximates a population-weighted centre; areas without a postcode fall
        back to ``"representative_point"`` (a point guaranteed inside the polygon).
    postcode_table
        Another Code-Point Open extract (default: the shipped Northamptonshire one).
    """
    valid = ("postcode_mean", "representative_point")
    if method not in valid:
        raise ConfigError(f"centre method {method!r} is not known; choose one of {', '.join(valid)}.")
    geoms = areas.geometry.to_crs(BNG) if areas.crs is not None else areas.geometry
    rep = geoms.representative_point()
    used = pd.Series("representative_point", index=areas.index, dtype="str")
    x, y = rep.x.to_numpy().copy(), rep.y.to_numpy().copy()
    if method == "postcode_mean":
        px, py = postcodes.postcode_points(postcode_table)
        pts = shapely.points(px, py)
        p_idx, a_idx = geoms.sindex.query(pts, predicate="intersects")
        first = pd.Series(a_idx).groupby(p_idx).first()  # a postcode on a shared edge goes to one area
        means = pd.DataFrame({"a": first.to_numpy(), "x": px[first.index], "y": py[first.index]}).groupby("a").mean()
        a = means.index.to_numpy()
        x[a], y[a] = means["x"].to_numpy(), means["y"].to_numpy()
        used.iloc[a] = "postcode_mean"
    points = gpd.GeoSeries(gpd.points_from_xy(x, y), index=areas.index, crs=BNG)
    n_pc = int((used == "postcode_mean").sum())
    if method == "representative_point":
        label = "a point inside each area's polygon (representative_point)"
    elif n_pc == len(areas):
        label = ("mean of the OS Code-Point Open postcode centroids in each area "
                 "(approximate population-weighted centre)")
    else:
        label = (f"mean of the OS Code-Point Open postcode centroids in each area for {n_pc} of {len(areas)} areas; "
                 f"a point inside the polygon (representative_point) for {len(areas) - n_pc} without postcodes")
    return AreaCentres(points, used, label)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")


def _effective_radius(provision: gpd.GeoDataFrame, radius_m: float) -> np.ndarray:
    own = provision["radius_m"].to_numpy(float) if "radius_m" in provision else np.full(len(provision), np.nan)
    polygon = ~provision.geometry.geom_type.eq("Point").to_numpy()
    return np.where(np.isnan(own), np.where(polygon, 0.0, radius_m), own)


def _distances(centres: gpd.GeoSeries, geoms) -> np.ndarray:
    """Straight-line metres, rows = centres, columns = geometries (0 inside a polygon)."""
    c = np.asarray(centres.to_numpy())
    g = np.asarray(gpd.GeoSeries(geoms).to_numpy())
    if len(g) == 0:
        return np.zeros((len(c), 0))
    return shapely.distance(c[:, None], g[None, :])


def reach(areas: gpd.GeoDataFrame, provision: gpd.GeoDataFrame, radius_m: float = 1000.0,
          types: list[str] | None = None, centres: AreaCentres | None = None) -> pd.DataFrame:
    """How well each area is reached by provision of the chosen types.

    Parameters
    ----------
    areas
        Polygons indexed by ``area_code`` with ``population`` (and ``aged_10_24`` where known).
    provision
        From :func:`load_provision` / :func:`example_provision`.
    radius_m
        Coverage radius in metres (sites with their own ``radius_m`` use that instead).
    types
        Provision types to count (case-insensitive); ``None`` = all.
    centres
        Precomputed :func:`area_centres` (computed when omitted).

    Returns
    -------
    DataFrame indexed by ``area_code``: ``nearest_m`` (metres from the area centre to the nearest
    provision of the chosen types; NaN when there is none), ``nearest_name``, ``nearest_type``,
    ``within_radius`` (count of provision covering the centre), ``in_area`` (count inside the area),
    ``population``, ``per_1000`` (``in_area`` per 1,000 residents), ``per_1000_aged_10_24`` (if known),
    ``centre_method``, ``centre_x``, ``centre_y``, then ``nearest_m_<type>`` per type.
    ``attrs["settings"]`` holds radius, types and the centre label.
    """
    if radius_m is None or not np.isfinite(radius_m) or radius_m < 0:
        raise ConfigError(f"radius {radius_m!r} is not a distance; give a number of metres >= 0.")
    chosen = select_types(provision, types)
    centres = centres or area_centres(areas)
    pts = centres.points.reindex(areas.index)
    d = _distances(pts, chosen.geometry)
    eff = _effective_radius(chosen, radius_m)
    out = pd.DataFrame(index=areas.index.copy())
    out.index.name = "area_code"
    has = d.shape[1] > 0
    j = d.argmin(axis=1) if has else np.zeros(len(out), int)
    out["nearest_m"] = d.min(axis=1).round(1) if has else np.nan
    out["nearest_name"] = chosen["name"].to_numpy()[j] if has else pd.NA
    out["nearest_type"] = chosen["type"].to_numpy()[j] if has else pd.NA
    out["within_radius"] = (d <= eff[None, :]).sum(axis=1).astype(int)
    inside = areas.geometry.sindex.query(chosen.geometry.representative_point(), predicate="intersects")
    out["in_area"] = np.bincount(inside[1], minlength=len(out)).astype(int) if len(chosen) else 0
    pop = pd.to_numeric(areas["population"], errors="coerce") if "population" in areas else pd.Series(np.nan,
                                                                                                      index=out.index)
    out["population"] = pop
    out["per_1000"] = (out["in_area"] / pop.where(pop > 0) * 1000).round(3)
    if "aged_10_24" in areas and areas["aged_10_24"].notna().any():
        young = pd.to_numeric(areas["aged_10_24"], errors="coerce")
        out["per_1000_aged_10_24"] = (out["in_area"] / young.where(young > 0) * 1000).round(3)
    out["centre_method"] = centres.method.reindex(out.index)
    out["centre_x"] = pts.x.round(1).to_numpy()
    out["centre_y"] = pts.y.round(1).to_numpy()
    for t in sorted(chosen["type"].unique()):
        cols = (chosen["type"] == t).to_numpy()
        out[f"nearest_m_{_slug(t)}"] = d[:, cols].min(axis=1).round(1)
    out.attrs["settings"] = {"radius_m": float(radius_m), "types": sorted(chosen["type"].unique().tolist()),
                             "types_asked": list(types) if types else None, "centres": centres.label,
                             "n_provision": len(chosen)}
    return out


# ---------------------------------------------------------------------------------------------- gaps


@dataclass(frozen=True)
class GapResult:
    """Gaps in provision among priority areas.

    ``table``: every area (index ``area_code``) with ``nearest_m, within_radius, tier, gap`` first,
    then ``priority, population, residents_without, nearest_name, nearest_type, centre_method``;
    ``layer``: the gap areas as a GeoDataFrame (EPSG:27700) for a map (``None`` without ``areas``);
    ``summary_line``: one sentence; ``settings``: radius, types, priority tiers, centre label.
    """

    table: pd.DataFrame
    layer: gpd.GeoDataFrame | None
    summary_line: str
    settings: dict

    @property
    def n_gaps(self) -> int:
        return int(self.table["gap"].sum())


def radius_label(radius_m: float) -> str:
    """``1000`` -> ``"1 km"``, ``800`` -> ``"800 m"``, ``1500`` -> ``"1.5 km"``."""
    return f"{radius_m / 1000:g} km" if radius_m >= 1000 else f"{radius_m:g} m"


_TOP_PCT = re.compile(r"^\s*top\s*([0-9.]+)\s*%\s*$", re.IGNORECASE)


def top_tier(tier: pd.Series):
    """The top tier's value.

    Numeric tiers: the smallest number (e.g. IMD decile 1). Scoring's labels (``"top 5%"``,
    ``"top 10%"``, ``"other"``, ``"excluded"``): the smallest percentage. Other labels: the first in
    sort order.
    """
    vals = [v for v in tier.dropna().unique() if str(v).lower() not in ("excluded", "other")]
    if len(vals) == 0:
        raise DataError("no area has a tier; compute tiers (scoring) before looking for gaps.")
    if pd.api.types.is_numeric_dtype(tier):
        return min(vals)
    pct = {v: float(m.group(1)) for v in vals if (m := _TOP_PCT.match(str(v)))}
    return min(pct, key=pct.get) if pct else sorted(vals, key=str)[0]


def tiers_up_to(tier: pd.Series, value) -> list:
    """Tier values at or above ``value``: ``"top 10%"`` -> ``["top 5%", "top 10%"]``; decile 2 -> ``[1, 2]``."""
    vals = [v for v in tier.dropna().unique() if str(v).lower() not in ("excluded", "other")]
    if pd.api.types.is_numeric_dtype(tier):
        return sorted(v for v in vals if v <= float(value))
    m = _TOP_PCT.match(str(value)) or _TOP_PCT.match(f"top {str(value).rstrip('%')}%")
    if not m:
        return [value]
    pct = {v: float(mm.group(1)) for v in vals if (mm := _TOP_PCT.match(str(v)))}
    return sorted((v for v, p in pct.items() if p <= float(m.group(1))), key=pct.get)


def gaps(reach_frame: pd.DataFrame, tier: pd.Series, population: pd.Series | None = None, *,
         priority_tiers: list | None = None, areas: gpd.GeoDataFrame | None = None,
         types_label: str | None = None, population_label: str = "residents") -> GapResult:
    """Priority-tier areas with no provision of the chosen types within the radius.

    Parameters
    ----------
    reach_frame
        From :func:`reach`.
    tier
        Priority tier per area (index ``area_code``), e.g. scoring's ``tier`` column.
    population
        Residents per area (default: ``reach_frame["population"]``); used for the summary line.
    priority_tiers
        Tier values that count as priority (default: the top tier, :func:`top_tier`).
    areas
        Polygons for the map layer.
    types_label
        Words for the provision in the summary line (default: the types, or "provision of any type").
    population_label
        Words for the people counted (e.g. "residents aged 10-24" when ``population`` is that count).

    Returns
    -------
    GapResult
    """
    settings = dict(reach_frame.attrs.get("settings", {}))
    radius_m = settings.get("radius_m", np.nan)
    tier = tier.reindex(reach_frame.index)
    if priority_tiers is None:
        priority_tiers = [top_tier(tier)]
    priority = tier.isin(priority_tiers)
    if not priority.any():
        raise ConfigError(f"no area has tier {', '.join(map(str, priority_tiers))}; "
                          f"tiers present: {', '.join(map(str, sorted(tier.dropna().unique())))}.")
    pop = (population if population is not None else reach_frame["population"]).reindex(reach_frame.index)
    pop = pd.to_numeric(pop, errors="coerce").fillna(0)
    none = reach_frame["within_radius"] == 0
    table = pd.DataFrame({"nearest_m": reach_frame["nearest_m"], "within_radius": reach_frame["within_radius"],
                          "tier": tier, "gap": priority & none, "priority": priority, "population": pop,
                          "residents_without": pop.where(none, 0)}, index=reach_frame.index)
    extra = [c for c in reach_frame.columns if c not in table.columns and c != "in_area"]
    table = table.join(reach_frame[extra])
    if types_label is None:
        asked = settings.get("types_asked")
        types_label = " / ".join(asked) if asked else "provision of any type"
    p_pop, g_pop = pop[priority].sum(), pop[table["gap"]].sum()
    share = g_pop / p_pop if p_pop > 0 else np.nan
    which = "top-tier" if len(priority_tiers) == 1 else "priority-tier"
    if all(isinstance(t, str) for t in priority_tiers):
        which += f" ({', '.join(priority_tiers)})"
    summary = (f"{share:.0%} of {population_label} of {which} areas ({int(g_pop):,} of {int(p_pop):,}; "
               f"{int(table['gap'].sum())} of {int(priority.sum())} areas) have no {types_label} within "
               f"{radius_label(radius_m)} of the area centre")
    layer = None
    if areas is not None:
        layer = gpd.GeoDataFrame(table[table["gap"]].join(areas[["area_name"]] if "area_name" in areas else None),
                                 geometry=areas.geometry.reindex(table.index[table["gap"]]).to_numpy(), crs=areas.crs)
    settings.update({"priority_tiers": list(priority_tiers), "residents_share_without": share})
    return GapResult(table, layer, summary, settings)


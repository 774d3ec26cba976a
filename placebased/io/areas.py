"""Areas: boundaries joined to their indicators.

:func:`load_areas` is the one entry point. It returns a GeoDataFrame in EPSG:27700 indexed
by ``area_code`` with the columns described in :data:`AREA_SCHEMA` (those that exist for the
chosen vintage and area set).

Default: Northamptonshire's 443 LSOA 2021 areas with the English Indices of Deprivation 2025.
``vintage=2019``: the 422 LSOA 2011 areas with IoD2019. ``boundaries=FILE``: any polygon file
with an id column; where the ids are LSOA codes the England-wide IoD table of the vintage is
joined and the ids that do not join are reported (``frame.attrs["unjoined"]`` and a warning).
"""

from __future__ import annotations

import os
import re
import warnings
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from placebased import _input_limits, _paths
from placebased.errors import DataError, SchemaError, file_error
from placebased.io.places import ward_names

BNG = "EPSG:27700"
WGS84 = "EPSG:4326"
VINTAGES = (2025, 2019)
LSOA_RE = re.compile(r"^[EW]01\d{6}$")

#: Column schema of :func:`load_areas` (index ``area_code``). Domains: ``income``, ``employment``,
#: ``education``, ``health``, ``crime``, ``barriers``, ``living_env``; sub-domains ``cyp``,
#: ``adult_skills``, ``geo_barriers``, ``wider_barriers``, ``indoors``, ``outdoors``; supplementary
#: ``idaci``, ``idaopi``. Each has ``_score``, ``_rank`` and ``_decile`` (rank 1 and decile 1 = most
#: deprived in England). IoD2019 lacks domain scores (only a re-derived ``imd_score``).
AREA_SCHEMA: dict[str, str] = {
    "area_name": "name of the area (LSOA name for LSOAs)",
    "lad_code": "local authority district code (2022/2024; North E06000061, West E06000062)",
    "lad_name": "local authority district name",
    "ward_name": "electoral ward the LSOA lies in (most of its area; placebased.io.places), blank if unknown",
    "population": "usual residents, Census 2021 (LSOA 2021) or mid-2015 IoD2019 denominator (LSOA 2011)",
    "aged_10_24": "residents aged 10-24, ONS mid-2020 estimate (LSOA 2011; shared out over 2021 splits)",
    "under25_share": "share of residents aged under 25 (mid-2020 estimate), 0-1",
    "imd_score": "IMD score (higher = more deprived)",
    "imd_rank": "IMD rank in England (1 = most deprived)",
    "imd_decile": "IMD decile in England (1 = most deprived 10%)",
    "pop_mid2022": "IoD2025 denominator: total population mid-2022 (Northamptonshire file only)",
    "children_0_15": "IoD2025 denominator: dependent children aged 0-15, mid-2022",
    "older_60plus": "IoD2025 denominator: older population aged 60+, mid-2022",
    "working_age": "IoD2025 denominator: working-age population, mid-2022",
    "geometry": "polygon in EPSG:27700 (British National Grid)",
}

_DOMAINS = {
    "Index of Multiple Deprivation (IMD)": "imd",
    "Income": "income",
    "Employment": "employment",
    "Education, Skills and Training": "education",
    "Health Deprivation and Disability": "health",
    "Crime": "crime",
    "Barriers to Housing and Services": "barriers",
    "Living Environment": "living_env",
    "Income Deprivation Affecting Children Index (IDACI)": "idaci",
    "Income Deprivation Affecting Older People (IDAOPI)": "idaopi",
    "Children and Young People Sub-domain": "cyp",
    "Adult Skills Sub-domain": "adult_skills",
    "Geographical Barriers Sub-domain": "geo_barriers",
    "Wider Barriers Sub-domain": "wider_barriers",
    "Indoors Sub-domain": "indoors",
    "Outdoors Sub-domain": "outdoors",
}
DOMAIN_LABELS = {v: k for k, v in _DOMAINS.items()}

_OTHER_COLUMNS = {
    "Total population: mid 2022": "pop_mid2022",
    "Dependent Children aged 0-15: mid 2022": "children_0_15",
    "Older population aged 60 and over: mid 2022": "older_60plus",
    "Working age population 18-66 (for use with Employment Deprivation Domain): mid 2022": "working_age",
    "Total population: mid 2015 (excluding prisoners)": "population",
    "IMD Score (DERIVED, not published in this table: weighted sum of File 9 transformed domain scores)": "imd_score",
}

for _long, _short in _DOMAINS.items():
    AREA_SCHEMA.setdefault(f"{_short}_score", f"{_long} score")
    AREA_SCHEMA.setdefault(f"{_short}_rank", f"{_long} rank in England (1 = most deprived)")
    AREA_SCHEMA.setdefault(f"{_short}_decile", f"{_long} decile in England (1 = most deprived 10%)")


class DataWarning(UserWarning):
    """Input was usable but something was repaired, dropped or not joined."""


def _iod_column_name(header: str) -> str | None:
    """Map an official IoD File 7 header to a short column name (or None to drop it)."""
    if header in _OTHER_COLUMNS:
        return _OTHER_COLUMNS[header]
    for long, short in _DOMAINS.items():
        if header.startswith(long + " "):
            rest = header[len(long) + 1 :]
            if rest.startswith("Score"):
                return f"{short}_score"
            if rest.startswith("Rank"):
                return f"{short}_rank"
            if rest.startswith("Decile"):
                return f"{short}_decile"
    return None


def _tidy_iod(raw: pd.DataFrame, code_col: str) -> pd.DataFrame:
    rename = {c: _iod_column_name(c) for c in raw.columns}
    keep = {c: n for c, n in rename.items() if n}
    out = raw[list(keep)].rename(columns=keep)
    out.index = pd.Index(raw[code_col].astype(str).str.strip(), name="area_code")
    return out


@lru_cache(maxsize=4)
def iod_table(vintage: int = 2025, england: bool = False) -> pd.DataFrame:
    """The IoD table of ``vintage`` indexed by LSOA code, with short column names.

    ``vintage=2025`` and ``england=False`` gives the complete 56-column File 7 rows for
    Northamptonshire (with IDACI, IDAOPI and the mid-2022 denominators); ``england=True`` the
    England-wide table (IMD, domains and sub-domains). ``vintage=2019`` is always England-wide.
    A copy is returned; callers may modify it.
    """
    return _iod_table(int(vintage), bool(england)).copy()


@lru_cache(maxsize=4)
def _iod_table(vintage: int, england: bool) -> pd.DataFrame:
    if vintage == 2025:
        if england:
            raw = pd.read_csv(_paths.IOD2025_ENGLAND)
        else:
            raw = pd.read_csv(_paths.IOD2025_NORTHANTS)
        return _tidy_iod(raw, "LSOA code (2021)")
    if vintage == 2019:
        raw = pd.read_csv(_paths.IOD2019_ENGLAND, encoding="utf-8-sig")
        return _tidy_iod(raw, "LSOA code (2011)")
    raise SchemaError(f"vintage {vintage!r} is not available; choose one of {', '.join(map(str, VINTAGES))}.")


@lru_cache(maxsize=1)
def _lsoa_lookup() -> pd.DataFrame:
    return pd.read_csv(_paths.LSOA_LOOKUP, dtype=str)


@lru_cache(maxsize=1)
def _census_population() -> pd.Series:
    raw = pd.read_csv(_paths.CENSUS2021_POP)
    return pd.Series(
        raw["Ethnic group: Total: All usual residents"].to_numpy(),
        index=pd.Index(raw["geography code"].astype(str), name="area_code"),
        name="population",
    )


@lru_cache(maxsize=2)
def _age_bands(vintage: int) -> pd.DataFrame:
    """Mid-2020 age bands by LSOA of the vintage's geography (2021 splits share out the 2011 counts)."""
    bands = pd.read_csv(_paths.AGE_BANDS_2020).set_index("LSOA11CD")
    if vintage == 2019:
        out = bands
    else:
        lu = _lsoa_lookup()[["LSOA11CD", "LSOA21CD"]].drop_duplicates()
        # one LSOA11 split into k LSOA21: share its counts equally; k LSOA11 merged into one: sum
        k = lu.groupby("LSOA11CD")["LSOA21CD"].transform("size")
        joined = lu.join(bands, on="LSOA11CD")
        for col in bands.columns:
            joined[col] = joined[col] / k
        out = joined.groupby("LSOA21CD")[list(bands.columns)].sum()
    out = out.copy()
    out["under25_share"] = (out["aged_0_9"] + out["aged_10_24"]) / out["all_ages"]
    out.index.name = "area_code"
    return out[["aged_10_24", "under25_share"]]


def _lad_names(vintage: int) -> pd.DataFrame:
    lu = _lsoa_lookup()
    code = "LSOA21CD" if vintage == 2025 else "LSOA11CD"
    if vintage == 2025:
        t = lu.drop_duplicates(code).set_index(code)[["LAD22CD", "LAD22NM"]]
    else:
        # 2011 LSOAs never cross the 2021 unitary boundary in Northamptonshire; take the first match
        t = lu.drop_duplicates(code).set_index(code)[["LAD22CD", "LAD22NM"]]
    t.columns = ["lad_code", "lad_name"]
    t.index.name = "area_code"
    return t


# ---------------------------------------------------------------------------------------------
# reading polygon files


def _check_exists(path: Path, what: str) -> None:
    if not path.exists():
        raise file_error(path, f"{what} file not found", "check the path and the file name")
    if path.is_file() and path.stat().st_size == 0:
        raise file_error(path, f"{what} file is empty", "export the file again with its features")


def read_polygons(
    path: str | os.PathLike, id_column: str | None = None, name_column: str | None = None
) -> gpd.GeoDataFrame:
    """Read any polygon file (GeoJSON, GeoPackage, zipped or plain Shapefile, GeoParquet).

    Returns a GeoDataFrame indexed by ``area_code`` (the id column, as text) with an
    ``area_name`` column and the file's other columns, in EPSG:27700 when the file has a CRS
    (a file without a CRS keeps none: contiguity weights do not need one). Invalid geometries
    are repaired with a :class:`DataWarning`; duplicate ids, missing ids and non-polygon
    geometries raise :class:`DataError`.
    """
    path = Path(path)
    _check_exists(path, "boundary")
    if path.is_dir():
        raise file_error(path, "is a folder, not a boundary file", "name the file itself")
    try:
        suffix = "".join(path.suffixes[-2:]).lower()
        _input_limits.check_spatial(path)
        if suffix.endswith((".parquet", ".geoparquet")):
            gdf = gpd.read_parquet(path)
        elif suffix.endswith(".zip"):
            gdf = gpd.read_file(f"zip://{path}!{_input_limits.spatial_zip_member(path)}")
        elif suffix.endswith(".gz"):
            gdf = gpd.read_file(f"/vsigzip/{path}")
        else:
            gdf = gpd.read_file(path)
    except DataError:
        raise
    except Exception as exc:  # pyogrio/fiona raise many kinds; turn them into one line
        raise file_error(
            path,
            _input_limits.reader_problem(exc, path).replace("spatial file", "polygon file"),
            "use GeoJSON, GeoPackage, a zipped Shapefile or GeoParquet",
        ) from None
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        raise file_error(path, "holds a table without geometries", "give a polygon file (GeoJSON, GeoPackage, "
                         "a zipped Shapefile or GeoParquet)")
    if len(gdf) == 0:
        raise file_error(path, "file has no features", "export the file again with its polygons")
    blank = gdf.geometry.isna() | gdf.geometry.is_empty
    if blank.all():
        raise file_error(path, f"none of its {len(gdf):,} features has a geometry (all are empty or null)",
                         "export the boundaries again with their polygons")
    if id_column is None:
        id_column = _guess_id_column(gdf, path)
    if id_column not in gdf.columns:
        raise file_error(
            path,
            f"no id column {id_column!r} (columns: {', '.join(map(str, gdf.columns.drop('geometry')))})",
            "name the id column with --id-column",
            SchemaError,
        )
    ids = gdf[id_column]
    if ids.isna().any():
        row = int(np.flatnonzero(ids.isna().to_numpy())[0]) + 1
        raise file_error(
            path, f"feature {row} has no value in id column {id_column!r}", "give every area an id", SchemaError
        )
    ids = ids.astype(str).str.strip()
    dup = ids[ids.duplicated()]
    if len(dup):
        raise file_error(
            path,
            f"duplicate area ids in column {id_column!r}: {', '.join(dup.unique()[:5])}"
            + (f" and {dup.nunique() - 5} more" if dup.nunique() > 5 else ""),
            "give each area a unique id (dissolve duplicates first)",
            SchemaError,
        )
    gdf = gdf.copy()
    gdf.index = pd.Index(ids.to_numpy(), name="area_code")
    if name_column is None:
        name_column = next(
            (c for c in gdf.columns if re.search(r"(^|_)(NM|name)$|NM$", str(c), re.I) and c != id_column), None
        )
    gdf["area_name"] = gdf[name_column].astype(str) if name_column else gdf.index.to_numpy()
    gdf = gdf.drop(columns=[id_column])
    gdf = _repair_geometries(gdf, path)
    gdf, _ = declared_crs_checked(gdf, path)
    if gdf.crs is not None and gdf.crs.to_epsg() != 27700:
        gdf = gdf.to_crs(BNG)
    return gdf


def declared_crs_checked(gdf: gpd.GeoDataFrame, path) -> tuple[gpd.GeoDataFrame, str | None]:
    """``(gdf, note)``: a file that says longitude/latitude (as every GeoJSON does) but holds British
    National Grid metres is read as EPSG:27700, with a note; other coordinates that cannot be degrees
    are a one-line error. Files whose coordinates fit their CRS come back unchanged (note None)."""
    if gdf.crs is None or not gdf.crs.is_geographic or len(gdf) == 0:
        return gdf, None
    b = gdf.geometry.total_bounds
    if not np.isfinite(b).all() or (b[0] >= -180 and b[2] <= 180 and b[1] >= -90 and b[3] <= 90):
        return gdf, None
    name = Path(str(path)).name
    if b[0] >= 0 and b[2] <= 700_000 and b[1] >= 0 and b[3] <= 1_300_000:
        note = (f"{name}: says longitude/latitude ({gdf.crs.name}) but its coordinates ({b[0]:,.0f}, {b[1]:,.0f}) "
                f"to ({b[2]:,.0f}, {b[3]:,.0f}) are British National Grid metres; read them as EPSG:27700")
        warnings.warn(note, DataWarning, stacklevel=3)
        return gdf.set_crs(BNG, allow_override=True), note
    raise file_error(path, f"coordinates ({b[0]:,.0f}, {b[1]:,.0f}) to ({b[2]:,.0f}, {b[3]:,.0f}) are not "
                     f"longitude/latitude although the file says {gdf.crs.name}",
                     "save the file with its real coordinate system (e.g. EPSG:27700)")


def _guess_id_column(gdf: gpd.GeoDataFrame, path: Path) -> str:
    cols = [c for c in gdf.columns if c != "geometry"]
    for pattern in (r"^LSOA\d\dCD$", r"CD$", r"code", r"^id$", r"id$"):
        for c in cols:
            if re.search(pattern, str(c), re.I) and gdf[c].is_unique:
                return c
    raise file_error(path, "cannot tell which column holds the area ids", "name it with --id-column", SchemaError)


def _repair_geometries(gdf: gpd.GeoDataFrame, path: Path) -> gpd.GeoDataFrame:
    geom = gdf.geometry
    blank = (geom.isna() | geom.is_empty).to_numpy()
    if blank.any():
        bad = list(gdf.index[blank])
        warnings.warn(
            f"{path}: {len(bad)} of {len(gdf)} areas have no geometry and are left out "
            f"({', '.join(bad[:5])}{' ...' if len(bad) > 5 else ''}); fix or remove these features",
            DataWarning,
            stacklevel=3,
        )
        gdf = gdf[~blank].copy()
        geom = gdf.geometry
    kinds = set(geom.geom_type.unique())
    if not kinds <= {"Polygon", "MultiPolygon"}:
        other = sorted(kinds - {"Polygon", "MultiPolygon"})
        raise file_error(path, f"holds {', '.join(other)} features, not polygons", "give a file of area polygons")
    invalid = ~geom.is_valid
    if invalid.any():
        fixed = shapely.make_valid(geom[invalid].to_numpy())
        # make_valid can return collections holding lines; keep the polygonal part
        fixed = [_polygonal(g) for g in fixed]
        gdf.loc[invalid, "geometry"] = fixed
        names = ", ".join(gdf.index[invalid.to_numpy()][:5])
        warnings.warn(
            f"{path}: repaired {int(invalid.sum())} invalid geometries ({names}); check their outlines",
            DataWarning,
            stacklevel=3,
        )
    return gdf


def _polygonal(g):
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    parts = [p for p in getattr(g, "geoms", []) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else g


# ---------------------------------------------------------------------------------------------
# the public loader


#: the shipped boundary file of each vintage, with its code and name columns
_SHIPPED = {2025: (_paths.LSOA21_BOUNDARIES, "LSOA21CD", "LSOA21NM"),
            2019: (_paths.LSOA11_BOUNDARIES, "LSOA11CD", "LSOA11NM")}


def load_areas(
    vintage: int = 2025,
    boundaries: str | os.PathLike | None = None,
    id_column: str | None = None,
    name_column: str | None = None,
) -> gpd.GeoDataFrame:
    """Load the areas with their indicators.

    Parameters
    ----------
    vintage
        2025 (LSOA 2021 + IoD2025, default) or 2019 (LSOA 2011 + IoD2019).
    boundaries
        A polygon file to use instead of the shipped Northamptonshire LSOAs.
    id_column, name_column
        Columns of ``boundaries`` holding the area ids and names (guessed when omitted).

    Returns
    -------
    GeoDataFrame in EPSG:27700 indexed by ``area_code``; columns per :data:`AREA_SCHEMA`.
    ``attrs["unjoined"]`` lists ids without an IoD row; ``attrs["source"]`` names the data.

    Examples
    --------
    >>> areas = load_areas()
    >>> len(areas), areas.crs.to_epsg(), int(areas["imd_decile"].min())
    (443, 27700, 1)
    """
    if vintage not in VINTAGES:
        raise SchemaError(f"vintage {vintage!r} is not available; choose one of {', '.join(map(str, VINTAGES))}.")
    if boundaries and _is_shipped_file(boundaries, int(vintage), id_column, name_column):
        boundaries = id_column = name_column = None  # the shipped file named by its path: the shipped areas
    return _load_areas_cached(int(vintage), str(boundaries) if boundaries else None, id_column, name_column).copy()


def _is_shipped_file(boundaries, vintage: int, id_column: str | None, name_column: str | None) -> bool:
    """True when ``boundaries`` is the vintage's shipped boundary file read by its own code and name
    columns (e.g. a config file pointing at ``boundaries/northants_lsoa21_bgc.geojson``)."""
    path, code, name = _SHIPPED[vintage]
    try:
        same = Path(boundaries).resolve() == path.resolve()
    except (OSError, TypeError, ValueError):
        return False
    return same and id_column in (None, code) and name_column in (None, name)


@lru_cache(maxsize=8)
def _load_areas_cached(
    vintage: int, boundaries: str | None, id_column: str | None, name_column: str | None
) -> gpd.GeoDataFrame:
    if boundaries is None:
        path, code, name = _SHIPPED[vintage]
        geo = read_polygons(path, code, name)
        geo = geo[["area_name", "geometry"]]
        iod = iod_table(vintage, england=False) if vintage == 2025 else iod_table(2019)
        source = f"Northamptonshire LSOA {'2021' if vintage == 2025 else '2011'} (ONS BGC) + IoD{vintage}"
    else:
        geo = read_polygons(boundaries, id_column, name_column)
        iod = iod_table(vintage, england=True)
        source = f"{Path(boundaries).name} + IoD{vintage} (England) where ids are LSOA codes"
    out = _join_indicators(geo, iod, vintage)
    out.attrs["source"] = source
    out.attrs["vintage"] = vintage
    _add_ward_names(out)
    if boundaries is not None and out.attrs.get("own_columns"):
        warnings.warn(
            f"{boundaries}: kept the file's own {', '.join(out.attrs['own_columns'])} column(s); the shipped "
            "values only fill their blanks (rename the columns to keep both)",
            DataWarning,
            stacklevel=2,
        )
    unjoined = out.attrs.get("unjoined", [])
    if boundaries is not None and unjoined and len(unjoined) < len(out):
        warnings.warn(
            f"{boundaries}: {len(unjoined)} of {len(out)} area ids have no IoD{vintage} row "
            f"({', '.join(unjoined[:5])}{' ...' if len(unjoined) > 5 else ''}); their indicators are blank",
            DataWarning,
            stacklevel=2,
        )
    elif boundaries is not None and unjoined:
        lsoas = _load_areas_cached(vintage, None, None, None)
        interpolated = interpolate_from_lsoas(out, lsoas) if out.crs is not None else None
        if interpolated is not None:
            out = interpolated
            out.attrs["source"] = (f"{Path(boundaries).name} + population and IoD{vintage} scores interpolated "
                                   "from Northamptonshire's LSOAs")
            warnings.warn(
                f"{boundaries}: the area ids are not LSOA codes; population and IoD{vintage} scores were "
                "interpolated from the shipped LSOAs (residents shared by area, scores population-weighted; "
                "deciles and ranks are left blank as they are defined for LSOAs only)",
                DataWarning,
                stacklevel=2,
            )
        else:
            warnings.warn(
                f"{boundaries}: none of the {len(out)} area ids are LSOA {'2021' if vintage == 2025 else '2011'} "
                "codes, so no IoD indicators were joined; bring your own indicator tables",
                DataWarning,
                stacklevel=2,
            )
    return out


def _add_ward_names(out: gpd.GeoDataFrame) -> None:
    """``ward_name`` after ``lad_name``: the ward people know (:mod:`placebased.io.places`; blank for non-LSOAs)."""
    if "ward_name" in out.columns:  # the boundary file's own: keep it, fill its blanks
        out["ward_name"] = out["ward_name"].where(out["ward_name"].notna(), ward_names(out.index).to_numpy())
        return
    pos = list(out.columns).index("lad_name") + 1 if "lad_name" in out.columns else len(out.columns) - 1
    out.insert(pos, "ward_name", ward_names(out.index).to_numpy())


def interpolate_from_lsoas(zones: gpd.GeoDataFrame, lsoas: gpd.GeoDataFrame,
                          min_cover: float = 0.9) -> gpd.GeoDataFrame | None:
    """Population and IoD scores for other zones (e.g. wards) from the LSOAs they overlap.

    Residents (``population``, ``aged_10_24``) are shared out by area (areal weighting, as tobler's
    extensive variables); scores and shares are population-weighted means of the overlapping LSOAs
    (intensive). Ranks and deciles stay blank: they are defined for LSOAs in England only. Returns
    None when the LSOAs cover less than ``min_cover`` of the zones (they lie elsewhere in England).
    """
    zones = zones.to_crs(lsoas.crs) if zones.crs != lsoas.crs else zones
    zone_area = zones.geometry.area.to_numpy()
    if zone_area.sum() <= 0:
        return None
    zi, li = lsoas.sindex.query(zones.geometry, predicate="intersects")
    if not len(zi):
        return None
    inter = shapely.area(shapely.intersection(zones.geometry.to_numpy()[zi], lsoas.geometry.to_numpy()[li]))
    if inter.sum() / zone_area.sum() < min_cover:
        return None
    share = inter / lsoas.geometry.area.to_numpy()[li]  # share of each LSOA inside the zone
    out = zones.copy()
    n = len(zones)
    pop = lsoas["population"].to_numpy(dtype=float)[li] * share
    out["population"] = np.bincount(zi, weights=pop, minlength=n).round()
    if "aged_10_24" in lsoas:
        out["aged_10_24"] = np.bincount(zi, weights=lsoas["aged_10_24"].to_numpy(dtype=float)[li] * share,
                                        minlength=n)
    intensive = [c for c in lsoas.columns if c.endswith("_score") or c == "under25_share"]
    for col in intensive:
        v = lsoas[col].to_numpy(dtype=float)[li]
        ok = np.isfinite(v)
        num = np.bincount(zi[ok], weights=(v * pop)[ok], minlength=n)
        den = np.bincount(zi[ok], weights=pop[ok], minlength=n)
        out[col] = np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
    lad = pd.DataFrame({"z": zi, "lad": lsoas["lad_code"].to_numpy()[li], "name": lsoas["lad_name"].to_numpy()[li],
                        "w": pop}).sort_values("w", ascending=False).drop_duplicates("z").set_index("z")
    out["lad_code"] = lad["lad"].reindex(range(n)).to_numpy()
    out["lad_name"] = lad["name"].reindex(range(n)).to_numpy()
    out.attrs = dict(zones.attrs)
    out.attrs["unjoined"] = []
    return out


def _join_filling(out: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    """``out`` left-joined to ``right``; where both have a column, ``out``'s values are kept and only its
    blanks are filled from ``right`` (a boundary file's own ``population`` or ``lad_name`` wins)."""
    both = [c for c in right.columns if c in out.columns]
    out = out.join(right.drop(columns=both), how="left")
    for c in both:
        out[c] = out[c].fillna(right[c].reindex(out.index))
    return out


def _join_indicators(geo: gpd.GeoDataFrame, iod: pd.DataFrame, vintage: int) -> gpd.GeoDataFrame:
    out = geo.copy()
    own = [c for c in out.columns if c not in ("area_name", "geometry")]
    lad = _lad_names(vintage)
    out = _join_filling(out, lad)
    if vintage == 2025:
        out = _join_filling(out, _census_population().to_frame())
    iod = iod.drop(columns=[c for c in iod.columns if c in out.columns and c != "population"], errors="ignore")
    out = _join_filling(out, iod)
    out = _join_filling(out, _age_bands(vintage))
    kept = sorted(set(own) & (set(lad.columns) | set(iod.columns) | {"population"} | set(_age_bands(vintage).columns)))
    if kept:
        out.attrs["own_columns"] = kept
    unjoined = [c for c in out.index if c not in iod.index]
    out.attrs["unjoined"] = unjoined
    cols = [c for c in AREA_SCHEMA if c in out.columns and c != "geometry"]
    rest = [c for c in out.columns if c not in cols and c != "geometry"]
    out = out[cols + rest + ["geometry"]]
    return gpd.GeoDataFrame(out, geometry="geometry", crs=geo.crs)


def areas_table(areas: gpd.GeoDataFrame) -> pd.DataFrame:
    """The areas without geometry, for CSV output (index ``area_code``)."""
    return pd.DataFrame(areas.drop(columns="geometry"))


def is_lsoa_code(values) -> np.ndarray:
    """Boolean array: which values look like LSOA codes (E01/W01 + 6 digits)."""
    return np.array([bool(LSOA_RE.match(str(v))) for v in values])

"""Places people know, offline: the ward of every LSOA, ward and town labels for maps.

"West Northamptonshire 032B" means nothing to a resident; "West Northamptonshire 032B, in
Kingsley & Semilong ward" does. Everything here reads shipped files (no tile server, no network):

- **wards of LSOAs** (:func:`ward_names`, :func:`place_label`): for the shipped Northamptonshire
  LSOAs (2021 and 2011) the current electoral wards (May 2025, ``boundaries/
  northants_wards_may2025_bgc.geojson``), each LSOA given the ward holding most of its area
  (``boundaries/northants_lsoa_wd25_bestfit.csv``, rebuilt by :func:`build_best_fit`); any other
  LSOA in England and Wales from the ONS best-fit lookups (LSOA 2021 -> ward 2024,
  ``indicators/LSOA21_WD24_LAD24_EW_LU.csv.gz``; LSOA 2011 -> ward 2019,
  ``indicators/LSOA11_WD19_LAD19_EW_LU.csv.gz``). :func:`ward_vintage` says which one was used.
- **ward labels** (:func:`ward_label_points`, :func:`label_payload`): one point inside each ward
  (its polygon's representative point, or that of the LSOAs assigned to it) with the zoom from
  which it is shown, larger wards first, in EPSG:27700 and WGS84.
- **towns** (:func:`towns`) for the county view: the post towns of the shipped provision
  addresses (NHS ODS epraccur: the address line before the county name), placed at the median of
  their sites' postcode centroids and ranked by the number of sites; where no shipped site lies in
  the areas loaded, the largest wards by residents stand in.
- **bounds** (:func:`hotspot_bounds`): the box around the hot spots (a workshop map's start view).

No streamlit; all functions copy their inputs.

>>> place_label("E01027153")
'West Northamptonshire 032B, in Castle ward'
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd

from placebased import _paths
from placebased.io import export

WGS84 = "EPSG:4326"
BNG = "EPSG:27700"
WARDS = _paths.BOUNDARIES / "northants_wards_may2025_bgc.geojson"
BEST_FIT = _paths.BOUNDARIES / "northants_lsoa_wd25_bestfit.csv"
LSOA21_WARD_LOOKUP = _paths.INDICATORS / "LSOA21_WD24_LAD24_EW_LU.csv.gz"
LSOA11_WARD_LOOKUP = _paths.INDICATORS / "LSOA11_WD19_LAD19_EW_LU.csv.gz"
#: how each ward source is described in a footnote
VINTAGES = {"wd25": "electoral wards May 2025 (largest share of the LSOA's area)",
            "wd24": "electoral wards 2024 (ONS best-fit lookup)",
            "wd19": "wards 2019 (ONS lookup, LSOA 2011)"}
#: county names that post towns are written beside in NHS addresses (the line before is the town)
_COUNTIES = {"NORTHAMPTONSHIRE", "NORTHANTS", "LEICESTERSHIRE", "BEDFORDSHIRE", "BUCKINGHAMSHIRE",
             "OXFORDSHIRE", "WARWICKSHIRE", "CAMBRIDGESHIRE", "RUTLAND", "LINCOLNSHIRE"}


# ---------------------------------------------------------------------------------------------
# wards of LSOAs


_COLS = ["ward_code", "ward_name", "lsoa_name", "source"]


@functools.lru_cache(maxsize=1)
def _best_fit() -> pd.DataFrame:
    """The shipped county's LSOAs -> May 2025 wards (small; read first)."""
    if not BEST_FIT.exists():
        return pd.DataFrame(columns=_COLS, index=pd.Index([], name="code"))
    b = pd.read_csv(BEST_FIT, dtype=str)
    return pd.DataFrame({"ward_code": b["ward_code"].to_numpy(), "ward_name": b["ward_name"].str.strip().to_numpy(),
                         "lsoa_name": b["area_name"].to_numpy(), "source": "wd25"},
                        index=pd.Index(b["area_code"], name="code"))


def _lookup_for(codes: pd.Index) -> pd.DataFrame:
    """Rows of the lookups for ``codes``; the England-wide files are read only when a code needs them."""
    b = _best_fit()
    if codes.isin(b.index).all():
        return b.reindex(codes)
    return _lookup().reindex(codes)


@functools.lru_cache(maxsize=1)
def _lookup() -> pd.DataFrame:
    """code -> ward_code, ward_name, lsoa_name, source (WD25 best fit first, then WD24, then WD19)."""
    frames = [_best_fit().reset_index()]
    if LSOA21_WARD_LOOKUP.exists():
        t = pd.read_csv(LSOA21_WARD_LOOKUP, dtype=str, usecols=["LSOA21CD", "LSOA21NM", "WD24CD", "WD24NM"])
        frames.append(pd.DataFrame({"code": t["LSOA21CD"], "ward_code": t["WD24CD"], "ward_name": t["WD24NM"],
                                    "lsoa_name": t["LSOA21NM"], "source": "wd24"}))
    if LSOA11_WARD_LOOKUP.exists():
        t = pd.read_csv(LSOA11_WARD_LOOKUP, dtype=str, encoding="utf-8-sig",
                        usecols=["LSOA11CD", "LSOA11NM", "WD19CD", "WD19NM"])
        frames.append(pd.DataFrame({"code": t["LSOA11CD"], "ward_code": t["WD19CD"], "ward_name": t["WD19NM"],
                                    "lsoa_name": t["LSOA11NM"], "source": "wd19"}))
    if not frames:
        return pd.DataFrame(columns=["ward_code", "ward_name", "lsoa_name", "source"],
                            index=pd.Index([], name="code"))
    out = pd.concat(frames, ignore_index=True).dropna(subset=["code"])
    out["ward_name"] = out["ward_name"].str.strip()
    return out.drop_duplicates("code", keep="first").set_index("code")


def ward_names(codes: Iterable[str]) -> pd.Series:
    """Ward name of each area code (NaN where the code is not an LSOA in the lookups)."""
    codes = pd.Index([str(c) for c in codes])
    return pd.Series(_lookup_for(codes)["ward_name"].to_numpy(), index=codes, name="ward_name", dtype=object)


def ward_vintage(codes: Iterable[str]) -> str:
    """Which ward source covers ``codes`` (for footnotes), e.g. "electoral wards May 2025 (...)"."""
    src = _lookup_for(pd.Index([str(c) for c in codes]))["source"].dropna()
    if src.empty:
        return "no ward lookup for these areas"
    return "; ".join(VINTAGES[s] for s in src.value_counts().index)


def place_label(code: str, name: str | None = None, ward: str | None = None) -> str:
    """"West Northamptonshire 032B, in Kingsley & Semilong ward": an area with the ward people know.

    ``name`` and ``ward`` default to the lookups' (the LSOA's ONS name and its ward); an area
    with no ward is its name alone; a ward whose name already ends in "ward" is not doubled.
    """
    code = str(code)
    have_name = name is not None and bool(str(name).strip())
    row = None if have_name and ward is not None else _lookup_for(pd.Index([code])).iloc[0]  # lookups when needed
    name = str(name) if have_name else (str(row["lsoa_name"]) if isinstance(row["lsoa_name"], str) else code)
    ward = ward if ward is not None else row["ward_name"]
    if not isinstance(ward, str) or not ward.strip() or ward.strip().lower() == name.strip().lower():
        return name
    ward = ward.strip()
    return f"{name}, in {ward}" + ("" if ward.lower().endswith(" ward") else " ward")


def place_labels(areas: pd.DataFrame) -> pd.Series:
    """:func:`place_label` of every area (index = area code), using ``area_name`` and ``ward_name``
    columns when present."""
    names = areas["area_name"] if "area_name" in areas else pd.Series(None, index=areas.index)
    wards = areas["ward_name"] if "ward_name" in areas else ward_names(areas.index).to_numpy()
    wards = pd.Series(np.asarray(wards, dtype=object), index=areas.index)
    return pd.Series([place_label(c, n, w if isinstance(w, str) else "") for c, n, w in
                      zip(areas.index.astype(str), names, wards)], index=areas.index, name="place")


def build_best_fit(out_path=BEST_FIT) -> pd.DataFrame:
    """Rebuild ``boundaries/northants_lsoa_wd25_bestfit.csv``: each shipped LSOA (2021 and 2011)
    with the May 2025 ward holding the largest share of its area (EPSG:27700 overlay)."""

    wards = gpd.read_file(WARDS).to_crs(BNG)[["WD25CD", "WD25NM", "geometry"]]
    rows = []
    for path, code, name in ((_paths.LSOA21_BOUNDARIES, "LSOA21CD", "LSOA21NM"),
                             (_paths.LSOA11_BOUNDARIES, "LSOA11CD", "LSOA11NM")):
        lsoa = gpd.read_file(path).to_crs(BNG)[[code, name, "geometry"]]
        inter = gpd.overlay(lsoa, wards, how="intersection", keep_geom_type=True)
        inter["a"] = inter.area
        best = inter.sort_values("a", ascending=False).drop_duplicates(code)
        share = best.set_index(code)["a"] / lsoa.set_index(code).area
        rows.append(pd.DataFrame({"area_code": best[code], "area_name": best[name], "ward_code": best["WD25CD"],
                                  "ward_name": best["WD25NM"],
                                  "share_of_area": share.reindex(best[code]).round(3).to_numpy()}))
    out = pd.concat(rows).drop_duplicates("area_code").sort_values("area_code").reset_index(drop=True)
    export.write_table(out, out_path, index=False)
    _best_fit.cache_clear()
    _lookup.cache_clear()
    return out


# ---------------------------------------------------------------------------------------------
# label points


@functools.lru_cache(maxsize=1)
def _ward_polygons() -> gpd.GeoDataFrame | None:
    if not WARDS.exists():
        return None
    w = gpd.read_file(WARDS).to_crs(BNG)
    return gpd.GeoDataFrame({"ward_name": w["WD25NM"].str.strip()}, geometry=w.geometry, crs=BNG)


def _min_zoom(area_m2: float) -> int:
    """Web-map zoom from which a label of a polygon of this size fits (about 9 for a 60 km2 ward)."""
    if not area_m2 or area_m2 <= 0:
        return 13
    side_km = math.sqrt(area_m2) / 1000
    return int(min(14, max(8, round(12.5 - math.log2(max(side_km, 0.1))))))


def ward_label_points(areas: gpd.GeoDataFrame) -> pd.DataFrame:
    """One label point per ward of ``areas`` (EPSG:27700 input).

    Columns ``ward_name, x, y`` (EPSG:27700), ``lon, lat`` (WGS84), ``area_km2``, ``min_zoom``
    (show from this web-map zoom; larger wards earlier), ``residents``; largest wards first. The
    point is the representative point of the shipped ward polygon (clipped to the areas) when the
    ward is in the shipped boundaries, else of the union of the areas assigned to the ward.
    """
    if areas.crs is not None and areas.crs.to_epsg() != 27700:
        areas = areas.to_crs(BNG)
    wards = areas["ward_name"] if "ward_name" in areas else ward_names(areas.index)
    wards = pd.Series(np.asarray(wards, dtype=object), index=areas.index)
    have = wards.notna()
    if not have.any():
        return pd.DataFrame(columns=["ward_name", "x", "y", "lon", "lat", "area_km2", "min_zoom", "residents"])
    g = gpd.GeoDataFrame({"ward_name": wards[have].to_numpy(),
                          "residents": pd.to_numeric(areas.loc[have].get("population", pd.Series(0, index=areas.index)
                                                                         [have]), errors="coerce").fillna(0)
                          .to_numpy()}, geometry=areas.geometry[have].to_numpy(), crs=BNG)
    by = g.dissolve("ward_name", aggfunc={"residents": "sum"})
    polys = _ward_polygons()
    geoms = by.geometry.copy()
    if polys is not None:
        shipped = polys.set_index("ward_name").geometry
        shipped = shipped[~shipped.index.duplicated()]
        extent = by.union_all() if hasattr(by, "union_all") else by.unary_union
        for w in geoms.index.intersection(shipped.index):
            clipped = shipped[w].intersection(extent)
            if not clipped.is_empty and clipped.area > 0.5 * geoms[w].area:
                geoms[w] = clipped
    pts = geoms.representative_point()
    ll = gpd.GeoSeries(pts.to_numpy(), crs=BNG).to_crs(WGS84)
    area = geoms.area.to_numpy()
    out = pd.DataFrame({"ward_name": geoms.index.astype(str), "x": pts.x.to_numpy(), "y": pts.y.to_numpy(),
                        "lon": ll.x.to_numpy().round(5), "lat": ll.y.to_numpy().round(5),
                        "area_km2": (area / 1e6).round(2), "min_zoom": [_min_zoom(a) for a in area],
                        "residents": by["residents"].to_numpy()})
    return out.sort_values(["area_km2", "ward_name"], ascending=[False, True]).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# towns


def _post_town(row: Mapping) -> str | None:
    lines = [str(row.get(f"Address Line {i}", "") or "").strip() for i in range(1, 6)]
    lines = [ln for ln in lines if ln and ln.lower() != "nan"]
    for i, ln in enumerate(lines):
        if ln.upper() in _COUNTIES and i > 0:
            return lines[i - 1]
    return lines[-1] if len(lines) >= 2 and lines[-1].upper() not in _COUNTIES else None


@functools.lru_cache(maxsize=1)
def _shipped_towns() -> pd.DataFrame:
    rows = []
    for path in (_paths.NHS_PROVISION, _paths.GP_PROVISION):
        if not path.exists():
            continue
        t = pd.read_csv(path, dtype=str)
        for _, r in t.iterrows():
            town = _post_town(r)
            try:
                x, y = float(r["cpo_Eastings"]), float(r["cpo_Northings"])
            except (KeyError, TypeError, ValueError):
                continue
            if town and math.isfinite(x) and math.isfinite(y):
                rows.append((r.get("Organisation Code"), town.title(), x, y))
    if not rows:
        return pd.DataFrame(columns=["name", "sites", "x", "y"])
    f = pd.DataFrame(rows, columns=["org", "name", "x", "y"]).drop_duplicates("org")
    g = f.groupby("name").agg(sites=("org", "size"), x=("x", "median"), y=("y", "median")).reset_index()
    return g


def _other_authorities(areas) -> set[str]:
    """Names of local authorities in England and Wales other than the areas' own (lower case): a post
    town such as "Peterborough" inside the county names a place outside it, so it is not shown."""
    if not LSOA21_WARD_LOOKUP.exists():
        return set()
    names = set(pd.read_csv(LSOA21_WARD_LOOKUP, usecols=["LAD24NM"], dtype=str)["LAD24NM"].str.lower())
    own = set(areas["lad_name"].dropna().str.lower()) if areas is not None and "lad_name" in areas else set()
    return names - own


def towns(areas: gpd.GeoDataFrame | None = None, min_sites: int = 2, limit: int = 14) -> pd.DataFrame:
    """Towns to name on the county view: ``name, sites, x, y, lon, lat, method``, most sites first.

    Post towns of the shipped NHS provision addresses with at least ``min_sites`` sites whose
    median site lies inside ``areas`` (all shipped towns when None); when none does (areas
    elsewhere in England), the ``limit`` largest wards by residents stand in (``method`` says which).
    """
    t = _shipped_towns().copy()
    t["method"] = "post town of NHS sites"
    if areas is not None and len(t):
        a = areas.to_crs(BNG) if areas.crs is not None and areas.crs.to_epsg() != 27700 else areas
        pts = gpd.GeoSeries(gpd.points_from_xy(t["x"], t["y"]), crs=BNG)
        inside = pts.within(a.union_all() if hasattr(a, "union_all") else a.unary_union)
        t = t[inside.to_numpy()]
    t = t[(t["sites"] >= min_sites) & ~t["name"].str.lower().isin(_other_authorities(areas))]
    if t.empty and areas is not None:
        w = ward_label_points(areas).sort_values("residents", ascending=False).head(limit)
        t = pd.DataFrame({"name": w["ward_name"], "sites": 0, "x": w["x"], "y": w["y"],
                          "method": "largest wards by residents"})
    t = t.sort_values(["sites", "name"], ascending=[False, True]).head(limit).reset_index(drop=True)
    ll = gpd.GeoSeries(gpd.points_from_xy(t["x"], t["y"]), crs=BNG).to_crs(WGS84)
    t["lon"], t["lat"] = ll.x.round(5).to_numpy(), ll.y.round(5).to_numpy()
    return t[["name", "sites", "x", "y", "lon", "lat", "method"]]


def label_payload(areas: gpd.GeoDataFrame) -> list[dict]:
    """Labels for a web map, as plain data (text is data: draw it as text, never as HTML):
    ``{"text", "lon", "lat", "kind": "town" | "ward", "min_zoom"}``; towns from zoom 8, wards from
    their own :func:`ward_label_points` zoom (never before 11 for small ones), towns first."""
    out = [{"text": str(r.name), "lon": float(r.lon), "lat": float(r.lat), "kind": "town", "min_zoom": 8}
           for r in towns(areas).itertuples()]
    out += [{"text": str(r.ward_name), "lon": float(r.lon), "lat": float(r.lat), "kind": "ward",
             "min_zoom": int(max(10, r.min_zoom))} for r in ward_label_points(areas).itertuples()]
    return out


# ---------------------------------------------------------------------------------------------
# bounds


def hotspot_bounds(areas: gpd.GeoDataFrame, gi_bin: pd.Series | None, min_bin: int = 1, pad: float = 0.15,
                   min_span_m: float = 3000.0) -> tuple[float, float, float, float]:
    """``(west, south, east, north)`` in WGS84 around the areas whose Gi* bin is at least
    ``min_bin`` (hot spots), padded by ``pad`` of the span and at least ``min_span_m`` wide; all
    areas when there is no hot spot. For a workshop map's start view (fit bounds)."""
    a = areas.to_crs(BNG) if areas.crs is not None and areas.crs.to_epsg() != 27700 else areas
    sel = a
    if gi_bin is not None:
        b = pd.to_numeric(pd.Series(gi_bin).reindex(a.index), errors="coerce")
        hot = b >= min_bin
        if hot.any():
            sel = a[hot.to_numpy()]
    x0, y0, x1, y1 = sel.total_bounds
    w, h = max(x1 - x0, min_span_m), max(y1 - y0, min_span_m)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    w, h = w * (1 + 2 * pad), h * (1 + 2 * pad)
    box = gpd.GeoSeries(gpd.points_from_xy([cx - w / 2, cx + w / 2], [cy - h / 2, cy + h / 2]), crs=BNG).to_crs(WGS84)
    return (round(float(box.x.iloc[0]), 5), round(float(box.y.iloc[0]), 5), round(float(box.x.iloc[1]), 5),
            round(float(box.y.iloc[1]), 5))


__all__ = ["build_best_fit", "hotspot_bounds", "label_payload", "place_label", "place_labels", "towns",
           "ward_label_points", "ward_names", "ward_vintage"]

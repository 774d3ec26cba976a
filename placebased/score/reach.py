"""What current provision reaches: area centres, distances and counts per area, and gaps among priority areas.

* :func:`area_centres`: the mean of the Code-Point Open postcode centroids inside each area (an
  approximation of a population-weighted centre: postcode units hold ~15 addresses each), or a point
  inside the polygon (``representative_point``) where an area holds no postcode.
* :func:`reach`: per area, distance to the nearest provision (overall and per type), count within the
  radius, provision inside the area per 1,000 residents (and per 1,000 aged 10-24).
* :func:`gaps`: priority-tier areas with no provision within the radius; table, map layer, summary line.
* :func:`~placebased.score.siting.suggest_sites`: where new sites would reach most, in
  :mod:`placebased.score.siting`.

The provision itself is read by :mod:`placebased.io.provision`.

Coverage rule (used by ``within_radius``, gaps and siting): a provision point covers an area when the
straight-line distance from the area centre is at most the point's own ``radius_m`` if it has one,
else the radius asked for. A service-area polygon covers the areas whose centre lies inside it
(distance 0), or within its ``radius_m`` if given. Straight-line distances understate travel,
especially across rivers, railways and major roads.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from placebased.errors import ConfigError, DataError
from placebased.io import postcodes
from placebased.io.areas import BNG
from placebased.io.provision import select_types

__all__ = ["AreaCentres", "GapResult", "area_centres", "gaps", "radius_label", "reach", "tiers_up_to", "top_tier"]


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
        From :func:`~placebased.io.provision.load_provision` / :func:`~placebased.io.provision.example_provision`.
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


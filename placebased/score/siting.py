"""Where new provision would reach most: the maximal covering location problem (MCLP).

:func:`suggest_sites` picks ``k`` new sites among candidate locations so that the most demand
(priority score x population, :func:`priority_weights`) lies within a radius of a site, counting
demand already within reach of existing provision as covered (weight 0). It is solved with PySAL
spopt's ``MCLP.from_cost_matrix`` and pulp's bundled CBC solver. spopt's ``perc_cov`` counts demand
points, not people, so coverage here is computed from the weights.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from placebased.errors import ConfigError, DataError
from placebased.io.areas import BNG, WGS84
from placebased.score.reach import AreaCentres, _distances, _effective_radius, area_centres

#: columns of :attr:`SiteResult.sites` (before ``geometry``)
SITE_COLUMNS = ("site_id", "name", "easting", "northing", "lat", "lon", "areas_newly_covered",
                "weighted_coverage_gained", "share_gained", "residents_newly_covered", "newly_covered")


@dataclass(frozen=True)
class SiteResult:
    """Suggested new sites from the maximal covering location problem.

    ``sites``: GeoDataFrame (EPSG:27700) with :data:`SITE_COLUMNS`, most weighted coverage first
    (``newly_covered`` lists area codes, ``;``-separated; each newly covered area is credited to its
    nearest chosen site, so the gains add up to the total). ``coverage_before`` /
    ``coverage_after``: share of the total demand weight within reach of provision (0-1);
    ``residents_before`` / ``residents_after``: the same in residents when a population was given.
    ``solver``: solver name and version; ``status``: pulp's status ("Optimal" when proven optimal).
    """

    sites: gpd.GeoDataFrame
    coverage_before: float
    coverage_after: float
    solver: str
    status: str
    objective: float
    newly_covered: pd.Series
    residents_before: float | None = None
    residents_after: float | None = None
    settings: dict = field(default_factory=dict)

    def summary_line(self) -> str:
        n = len(self.sites)
        line = (f"{n} new site{'s' if n != 1 else ''} raise{'s' if n == 1 else ''} weighted coverage from "
                f"{self.coverage_before:.1%} to {self.coverage_after:.1%} "
                f"({int(self.newly_covered.notna().sum())} areas newly covered)")
        idle = int((self.sites["areas_newly_covered"] == 0).sum())
        if idle:
            line += f"; {idle} of the {n} sites add no coverage (nothing left within reach of any candidate)"
        if self.residents_before is not None:
            line += f"; residents within reach {int(self.residents_before):,} -> {int(self.residents_after):,}"
        return line + f"; solver {self.solver}, status {self.status}"


def priority_weights(score: pd.Series, population: pd.Series) -> pd.Series:
    """Demand weight per area = priority score x population.

    Scores below zero (e.g. z-score composites) are shifted so the lowest area scores 0; NaN scores
    and populations count as 0.
    """
    s = pd.to_numeric(score, errors="coerce")
    if (s < 0).any():
        s = s - s.min()
    pop = pd.to_numeric(population, errors="coerce").reindex(s.index)
    return (s.fillna(0) * pop.fillna(0)).rename("weight")


def suggest_sites(areas: gpd.GeoDataFrame, weights: pd.Series, k: int, candidates: gpd.GeoDataFrame | None = None,
                  radius_m: float = 1000.0, existing: gpd.GeoDataFrame | None = None, *,
                  population: pd.Series | None = None, centres: AreaCentres | None = None,
                  time_limit: int = 60) -> SiteResult:
    """Choose ``k`` new sites among candidates to cover the most weighted demand.

    Demand points are the area centres (:func:`area_centres`) weighted by ``weights`` (for example
    :func:`priority_weights`). Demand already within reach of ``existing`` provision gets weight 0,
    so new sites go where there is none (this gives the same optimum as fixing existing sites as
    predefined facilities, and keeps ``k`` the number of *new* sites). Solved as spopt's
    ``MCLP.from_cost_matrix`` with pulp's bundled CBC (``PULP_CBC_CMD(msg=False)``).

    Parameters
    ----------
    areas
        Polygons indexed by ``area_code`` (``area_name`` used to name default candidates).
    weights
        Non-negative demand weight per area.
    k
        Number of new sites (1 <= k <= number of candidates).
    candidates
        Candidate points (e.g. schools, community centres from :func:`load_provision`); default: the
        area centres, named after their areas.
    radius_m
        Coverage radius of a new site, metres.
    existing
        Current provision of the chosen types (its own ``radius_m`` applies where given).
    population
        Residents per area, to also report residents within reach.
    time_limit
        Seconds CBC may use; if reached, the status says the solution is not proven optimal.
    """
    import pulp
    import spopt
    from spopt.locate import MCLP

    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ConfigError(f"k = {k!r}: give the number of new sites as a whole number >= 1.")
    if not np.isfinite(radius_m) or radius_m <= 0:
        raise ConfigError(f"radius {radius_m!r} is not a distance; give a number of metres > 0.")
    w = pd.to_numeric(weights.reindex(areas.index), errors="coerce")
    if w.isna().any() or (w < 0).any():
        bad = w.index[w.isna() | (w < 0)][0]
        raise DataError(f"demand weight of area {bad} is missing or negative; give a weight >= 0 for every area.")
    centres = centres or area_centres(areas)
    pts = centres.points.reindex(areas.index)
    if candidates is None:
        names = areas["area_name"] if "area_name" in areas else pd.Series(areas.index, index=areas.index)
        cand = gpd.GeoDataFrame({"site_id": areas.index.astype("str"), "name": names.astype("str").to_numpy()},
                                geometry=pts.to_numpy(), crs=BNG)
    else:
        cand = gpd.GeoDataFrame({"site_id": [str(i) for i in candidates.index],
                                 "name": candidates["name"].astype("str").to_numpy() if "name" in candidates
                                 else [str(i) for i in candidates.index]},
                                geometry=candidates.geometry.to_crs(BNG).representative_point().to_numpy(), crs=BNG)
    if k > len(cand):
        raise ConfigError(f"k = {k} is more than the {len(cand)} candidate locations; choose k <= {len(cand)}.")
    covered = np.zeros(len(areas), bool)
    if existing is not None and len(existing):
        covered = (_distances(pts, existing.geometry) <= _effective_radius(existing, radius_m)[None, :]).any(axis=1)
    demand = np.where(covered, 0.0, w.to_numpy(float))
    cost = _distances(pts, cand.geometry)
    solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit)
    model = MCLP.from_cost_matrix(cost, demand, service_radius=radius_m, p_facilities=int(k), name="placebased_mclp")
    try:
        model.solve(solver, results=False)
    except RuntimeError:
        raise DataError(f"the siting model was not solved (status {pulp.LpStatus[model.problem.status]}); "
                        "try fewer sites or another radius.") from None
    status = pulp.LpStatus[model.problem.status]
    if getattr(model.problem, "sol_status", 1) != pulp.LpSolutionOptimal:
        status += f" ({pulp.LpSolution.get(model.problem.sol_status, 'unknown')}: not proven optimal)"
    chosen = np.array([j for j, v in enumerate(model.fac_vars) if (v.value() or 0) > 0.5], dtype=int)
    reach_new = cost[:, chosen] <= radius_m
    newly = reach_new.any(axis=1) & ~covered
    credit = np.where(newly, chosen[np.argmin(np.where(reach_new, cost[:, chosen], np.inf), axis=1)], -1)
    total = float(w.sum())
    pop = None if population is None else pd.to_numeric(population.reindex(areas.index), errors="coerce").fillna(0)
    sel = cand.iloc[chosen].reset_index(drop=True)
    ll = sel.geometry.to_crs(WGS84)
    rows = []
    for j in chosen:
        mine = credit == j
        rows.append({"areas_newly_covered": int(mine.sum()),
                     "newly_covered": ";".join(areas.index[mine].astype("str")),
                     "weighted_coverage_gained": round(float(w.to_numpy()[mine].sum()), 3),
                     "share_gained": round(float(w.to_numpy()[mine].sum()) / total, 5) if total > 0 else np.nan,
                     "residents_newly_covered": float(pop.to_numpy()[mine].sum()) if pop is not None else np.nan})
    coords = pd.DataFrame({"easting": sel.geometry.x.round(0).to_numpy(),
                           "northing": sel.geometry.y.round(0).to_numpy(),
                           "lat": ll.y.round(6).to_numpy(), "lon": ll.x.round(6).to_numpy()})
    sites = pd.concat([sel[["site_id", "name"]], coords, pd.DataFrame(rows, columns=SITE_COLUMNS[6:])], axis=1)
    sites = sites.sort_values("weighted_coverage_gained", ascending=False, kind="stable").reset_index(drop=True)
    sites = gpd.GeoDataFrame(sites, geometry=gpd.points_from_xy(sites["easting"], sites["northing"]), crs=BNG)
    after = covered | newly
    credit_id = pd.Series(np.where(credit >= 0, cand["site_id"].to_numpy()[np.maximum(credit, 0)], None),
                          index=areas.index, name="new_site").where(newly)
    return SiteResult(
        sites=sites,
        coverage_before=float(w[covered].sum()) / total if total > 0 else np.nan,
        coverage_after=float(w[after].sum()) / total if total > 0 else np.nan,
        solver=f"CBC via pulp {pulp.__version__} (PULP_CBC_CMD), spopt {spopt.__version__} MCLP",
        status=status,
        objective=float(pulp.value(model.problem.objective) or 0.0),
        newly_covered=credit_id,
        residents_before=float(pop[covered].sum()) if pop is not None else None,
        residents_after=float(pop[after].sum()) if pop is not None else None,
        settings={"k": int(k), "radius_m": float(radius_m), "candidates": "area centres" if candidates is None
                  else f"{len(cand)} uploaded candidates", "existing": 0 if existing is None else len(existing),
                  "centres": centres.label, "existing_rule": "demand already covered by existing provision has "
                  "weight 0", "time_limit_s": time_limit},
    )

"""From points to areas: which area each incident falls in, and counts and rates per area.

Point-in-polygon is vectorised with a shapely STRtree (no Python loop over points). Points that
fall outside every area are counted (``AssignReport.outside``), never silently dropped. Boundaries
shipped are generalised (20 m), so a point a few metres outside the county edge is matched to the
nearest area when it lies within ``snap_m`` metres (default 25 m); those are counted too.

Where the publisher gives each point's area code (police.uk's ``LSOA code``, assigned on the
full-resolution boundaries) and the point lies within ``publisher_tolerance_m`` (default 20 m,
the generalisation tolerance of the shipped boundaries) of that area, the publisher's code is
kept: on the shipped data every disagreement between the generalised polygons and police.uk lies
within 20 m of police.uk's area. Geometry alone agrees for about 95% of in-county records; with
this rule for all of them. Both counts are in the report.

Table join on the publisher's codes (:func:`count_incidents`, ``code_join``): where records carry
area codes of the same geography as the areas (police.uk's LSOA codes and LSOA areas), the records
whose code is one of the areas' are counted by that code (a join on the code, no geometry), and a
random sample of them (:data:`CHECK_SAMPLE`) is checked by location with the rule above; the
disagreements are reported (number, share, examples). Records whose code is not one of the areas'
(or blank) are placed by location, so records near the edge of a county, and records whose codes
are of another vintage where the areas changed, are counted as before. When more than
:data:`MAX_DISAGREEMENT` of the sample disagree, the codes are taken to be of another geography and
every record is placed by location, with a note. On the shipped data both ways give the same counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from placebased.errors import DataError

TOTAL = "total"
#: records counted by their code that are checked by location (a seeded random sample)
CHECK_SAMPLE = 5_000
#: above this share of disagreeing sample records the codes are taken to be of another geography
MAX_DISAGREEMENT = 0.10


@dataclass
class AssignReport:
    """How the points met the areas."""

    points: int
    in_area: int
    snapped: int
    outside: int
    without_location: int = 0
    publisher_kept: int = 0
    #: records counted by their own area code (table join); the rest were placed by location
    by_code: int = 0
    #: of those, how many a random sample checked by location, and how many of them disagreed
    checked: int = 0
    disagreed: int = 0
    #: the disagreeing sample records: source, source_row, code, location (the area by location, or <NA>)
    disagreements: pd.DataFrame | None = None
    #: why the codes were not used although the records carry them (else empty)
    code_note: str = ""

    def summary(self) -> str:
        placed = (f"matched to the nearest area within the snapping distance {self.snapped:,}; "
                  f"publisher's area kept near an edge {self.publisher_kept:,}")
        if self.by_code:
            placed = f"{self.in_area - self.by_code:,} placed by location, of them {placed}"
        line = (f"in area {self.in_area:,} ({placed}), outside area {self.outside:,}, "
                f"without location {self.without_location:,}")
        check = self.check_line()
        return f"{line}; {check}" if check else line

    def check_line(self) -> str:
        """One line on the table join and its check by location (empty when every record was placed by location)."""
        if self.code_note:
            return self.code_note
        if not self.by_code:
            return ""
        share = self.disagreed / self.checked if self.checked else 0.0
        line = (f"{self.by_code:,} records counted by their own area code (table join); a random sample of "
                f"{self.checked:,} checked by location: {self.disagreed:,} ({share:.2%}) disagree")
        if self.disagreed and self.disagreements is not None and len(self.disagreements):
            ex = self.disagreements.iloc[0]
            where = ex["location"] if pd.notna(ex["location"]) else "outside every area"
            line += f" (e.g. {ex['source']} row {ex['source_row']}: code {ex['code']}, location {where})"
        return line


@dataclass
class CountResult:
    """Counts per area: ``counts`` (area x category + ``total``), ``monthly`` (long), ``points``."""

    counts: pd.DataFrame
    monthly: pd.DataFrame
    points: gpd.GeoDataFrame
    report: AssignReport

    @property
    def categories(self) -> list[str]:
        return [c for c in self.counts.columns if c != TOTAL]


def assign_areas(
    points: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    snap_m: float = 25.0,
    max_outside_share: float = 0.9,
    publisher_tolerance_m: float = 20.0,
) -> tuple[gpd.GeoDataFrame, AssignReport]:
    """Add ``area_code`` to a copy of ``points`` (``<NA>`` outside every area).

    Raises :class:`DataError` when nearly all points fall outside the areas, which means the
    coordinates are in the wrong system or belong to another place.
    """
    if areas.crs is not None and points.crs is not None and areas.crs != points.crs:
        points = points.to_crs(areas.crs)
    out = points.copy()
    n = len(out)
    geoms = out.geometry.to_numpy()
    area_geoms = areas.geometry.to_numpy()
    # the tree holds the points and each polygon queries it once (prepared once): about 2.5x
    # faster than querying a tree of polygons with every point
    point_tree = shapely.STRtree(geoms)
    hit_area, hit_pt = point_tree.query(area_geoms, predicate="intersects")
    first = np.full(n, -1, dtype=np.int64)
    # keep the first area per point (a point exactly on a shared edge touches two)
    order = np.argsort(hit_pt, kind="stable")
    hit_pt, hit_area = hit_pt[order], hit_area[order]
    uniq, pos = np.unique(hit_pt, return_index=True)
    first[uniq] = hit_area[pos]
    snapped = 0
    miss = np.flatnonzero(first < 0)
    if snap_m and len(miss):
        tree = shapely.STRtree(area_geoms)
        near_pt, near_area = tree.query_nearest(geoms[miss], max_distance=snap_m, all_matches=False)
        first[miss[near_pt]] = near_area
        snapped = len(near_pt)
    kept = 0
    if publisher_tolerance_m and "lsoa_code_source" in out.columns:
        pos_of = pd.Series(np.arange(len(areas)), index=areas.index)
        src = pd.Series(out["lsoa_code_source"].to_numpy(), dtype="string")
        src_pos = src.map(pos_of).fillna(-1).astype(np.int64).to_numpy()
        cand = np.flatnonzero((src_pos >= 0) & (src_pos != first))
        if len(cand):
            dist = shapely.distance(geoms[cand], area_geoms[src_pos[cand]])
            ok = cand[dist <= publisher_tolerance_m]
            first[ok] = src_pos[ok]
            kept = len(ok)
    codes = np.where(first >= 0, areas.index.to_numpy()[np.maximum(first, 0)], None)
    out["area_code"] = pd.array(codes, dtype="string")
    outside = int((first < 0).sum())
    _check_outside(outside, n, max_outside_share)
    return out, AssignReport(points=n, in_area=n - outside, snapped=snapped, outside=outside, publisher_kept=kept)


def _check_outside(outside: int, n: int, max_outside_share: float = 0.9) -> None:
    if n and outside / n > max_outside_share:
        raise DataError(
            f"{outside:,} of {n:,} incident points fall outside the areas; check the coordinate system "
            "(WGS84 vs British National Grid) and that the incidents belong to these areas."
        )


def count_incidents(
    points: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    categories: list[str] | None = None,
    snap_m: float = 25.0,
    without_location: int = 0,
    publisher_tolerance_m: float = 20.0,
    code_join: bool | None = None,
    check_sample: int = CHECK_SAMPLE,
) -> CountResult:
    """Weighted counts per area and category (and per month where dated).

    Parameters
    ----------
    points
        Incident points with ``category``, ``weight`` and optionally ``month`` and
        ``lsoa_code_source`` columns.
    areas
        Areas indexed by area code (same CRS as the points).
    categories
        Keep only these categories (all when None). Categories absent from the data still get a
        column of zeros, so tables have the same shape whatever the filter.
    without_location
        Rows the loader could not locate, carried into the report.
    code_join
        Count records by their own area code where it is one of the areas' (see the module notes):
        None (default) does so when the records carry codes, False places every record by location.
    check_sample
        How many of the records counted by code are checked by location.

    Returns
    -------
    CountResult with ``counts`` indexed by ``area_code`` (every area, zeros where none), one column
    per category and ``total``; ``monthly`` with columns ``area_code, month, category, count``.
    ``points`` may also be records held as columns (``placebased.io.incidents.load_police_columns``):
    see :func:`count_records`.
    """
    if not isinstance(points, pd.DataFrame):
        return count_records(points, areas, categories=categories, snap_m=snap_m, without_location=without_location,
                             publisher_tolerance_m=publisher_tolerance_m, code_join=code_join,
                             check_sample=check_sample)
    pts = points
    if categories is not None:
        pts = pts[pts["category"].isin(categories)]
    w = pd.to_numeric(pts["weight"], errors="coerce").to_numpy(float) if len(pts) else np.zeros(0)
    if not (np.isfinite(w) & (w >= 0)).all():
        bad = int((~(np.isfinite(w) & (w >= 0))).sum())
        raise DataError(f"{bad:,} incident weights are missing, negative or not finite; give every incident a "
                        "weight of 0 or more (load_incidents checks this for files).")
    found = None
    if code_join is not False and len(pts) and "lsoa_code_source" in pts.columns:
        found = _assign_by_code(pts, areas, snap_m, publisher_tolerance_m, check_sample)
    if found is None or isinstance(found, str):
        assigned, report = assign_areas(pts, areas, snap_m=snap_m, publisher_tolerance_m=publisher_tolerance_m)
        report.code_note = found or ""
        pos = areas.index.get_indexer(assigned["area_code"])
    else:
        assigned, report, pos = found
    report.without_location = without_location
    cats = sorted(set(categories) if categories is not None else set(points["category"].dropna().unique()))
    counts = _tabulate(pos, pts["category"], w, areas.index, cats)
    whole = bool(np.all(w == np.floor(w)))
    if whole and np.isfinite(counts.to_numpy(float)).all() and float(counts.to_numpy(float).max(initial=0)) < 2**53:
        counts = counts.astype("int64")
    monthly = _monthly(pos, assigned, w, areas.index)
    return CountResult(counts=counts, monthly=monthly, points=assigned, report=report)


def _check_codes(joined, pos, points_of, areas, check_sample, snap_m, publisher_tolerance_m):
    """A seeded random sample of the records joined by code (positions ``joined``), placed by location with the
    usual rule: ``(sample, by_location, differ, refusal)``; ``refusal`` the message when too many
    disagree, else None."""
    rng = np.random.default_rng(0)
    sample = np.sort(rng.choice(joined, size=min(int(check_sample), len(joined)), replace=False))
    by_location, _ = assign_areas(points_of(sample), areas, snap_m=snap_m, max_outside_share=1.0,
                                  publisher_tolerance_m=publisher_tolerance_m)
    differ = areas.index.get_indexer(by_location["area_code"]) != pos[sample]
    if len(sample) and differ.mean() > MAX_DISAGREEMENT:
        return sample, by_location, differ, (
            f"the records' area codes were not used: {int(differ.sum()):,} of a random sample of {len(sample):,} "
            f"({differ.mean():.0%}) disagree with their location, so the codes are of another geography; "
            "every record was placed by location")
    return sample, by_location, differ, None


def _assign_by_code(pts: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, snap_m: float, publisher_tolerance_m: float,
                    check_sample: int):
    """The table join of :func:`count_incidents`: ``(assigned, report, positions)``, or None when no record's
    code is one of the areas', or a note when a sample shows the codes are of another geography."""
    n = len(pts)
    if areas.index.dtype.kind not in "OUT":  # ids that are not text cannot equal a publisher's codes
        return None
    codes = _arrow(pts["lsoa_code_source"])
    pos = _positions(codes, areas.index)
    joined = np.flatnonzero(pos >= 0)
    if not len(joined):
        return None
    sample, by_location, differ, refused = _check_codes(joined, pos, lambda rows: pts.iloc[rows], areas,
                                                        check_sample, snap_m, publisher_tolerance_m)
    if refused:
        return refused
    # records without one of the areas' codes: by location, only those near the areas (the rest are outside)
    rest = np.flatnonzero(pos < 0)
    snapped = kept = 0
    if len(rest):
        x0, y0, x1, y1 = areas.total_bounds
        margin = max(float(snap_m or 0.0), float(publisher_tolerance_m or 0.0))
        rx, ry = shapely.get_x(pts.geometry.to_numpy()[rest]), shapely.get_y(pts.geometry.to_numpy()[rest])
        near = rest[(rx >= x0 - margin) & (rx <= x1 + margin) & (ry >= y0 - margin) & (ry <= y1 + margin)]
        if len(near):
            placed, rep = assign_areas(pts.iloc[near], areas, snap_m=snap_m, max_outside_share=1.0,
                                       publisher_tolerance_m=publisher_tolerance_m)
            pos[near] = areas.index.get_indexer(placed["area_code"])
            snapped, kept = rep.snapped, rep.publisher_kept
    outside = int((pos < 0).sum())
    _check_outside(outside, n)
    import pyarrow as pa
    import pyarrow.compute as pc

    # the area code is the record's own where it joined; the few placed by location get their area's
    area_code = pc.if_else(pa.array(pos >= 0), codes, pa.scalar(None, codes.type))
    moved = rest[pos[rest] >= 0] if len(rest) else rest
    if len(moved):
        mask = np.zeros(n, dtype=bool)
        mask[moved] = True
        area_code = pc.replace_with_mask(area_code, pa.array(mask),
                                         pa.array(areas.index.to_numpy()[pos[moved]].astype(str), type=codes.type))
    assigned = pts.assign(area_code=pd.arrays.ArrowStringArray(pa.chunked_array([area_code])))
    src = pts.iloc[sample[differ]]
    disagreements = pd.DataFrame({
        "source": src["source"].to_numpy() if "source" in src else pd.NA,
        "source_row": src["source_row"].to_numpy() if "source_row" in src else pd.NA,
        "code": src["lsoa_code_source"].to_numpy(),
        "location": by_location["area_code"].to_numpy()[differ],
    })
    report = AssignReport(points=n, in_area=n - outside, snapped=snapped, outside=outside, publisher_kept=kept,
                          by_code=len(joined), checked=len(sample), disagreed=int(differ.sum()),
                          disagreements=disagreements)
    return assigned, report, pos


def count_records(
    records,
    areas: gpd.GeoDataFrame,
    categories: list[str] | None = None,
    snap_m: float = 25.0,
    without_location: int = 0,
    publisher_tolerance_m: float = 20.0,
    code_join: bool | None = None,
    check_sample: int = CHECK_SAMPLE,
) -> CountResult:
    """:func:`count_incidents` on records held as columns (:class:`placebased.io.incidents.IncidentColumns`,
    police.uk's records read by ``load_police_columns``): the same counts, monthly table and report.

    The table join works on the integer codes; geometry is built only for the sample checked by location
    and for the records without one of the areas' codes, and ``points`` of the result is None. When
    every record is placed by location (``code_join=False``, codes of another geography) the records are
    made points and counted by :func:`count_incidents`.
    """
    rows = np.arange(len(records))
    if categories is not None:
        keep = [i for i, c in enumerate(records.categories) if c in set(categories)]
        rows = np.flatnonzero(np.isin(records.category, keep))
    found = None
    if code_join is not False and len(rows):
        found = _records_by_code(records, rows, areas, snap_m, publisher_tolerance_m, check_sample)
    if found is None or isinstance(found, str):
        result = count_incidents(records.points(), areas, categories=categories, snap_m=snap_m,
                                 without_location=without_location, publisher_tolerance_m=publisher_tolerance_m,
                                 code_join=False)
        result.report.code_note = found or ""
        return result
    pos, report = found
    report.without_location = without_location
    cats = sorted(set(categories) if categories is not None else set(records.categories))
    category = records.category[rows]
    w = np.ones(len(rows))
    level_in_cats = _positions(_arrow(pd.Series(records.categories, dtype="string")), cats) if cats else None
    cat = level_in_cats[category] if cats else np.full(len(rows), -1, dtype=np.int64)
    counts = _tabulate_codes(pos, cat, w, areas.index, cats).astype("int64")  # weights are all 1
    month = records.month[rows]
    if (month < 0).all():
        monthly = pd.DataFrame(columns=["area_code", "month", "category", "count"])
    else:
        monthly = _monthly_codes(pos, month, records.months, category, records.categories, w, areas.index,
                                 "string", "str")
    return CountResult(counts=counts, monthly=monthly, points=None, report=report)


def _records_by_code(records, rows: np.ndarray, areas: gpd.GeoDataFrame, snap_m: float,
                     publisher_tolerance_m: float, check_sample: int):
    """:func:`_assign_by_code` on columns: ``(positions, report)``, None or a note, as it does."""
    n = len(rows)
    if areas.index.dtype.kind not in "OUT":
        return None
    level_pos = np.append(_positions(_arrow(pd.Series(records.codes, dtype="string")), areas.index), -1)
    pos = level_pos[records.code[rows]]  # code -1 (blank) -> the -1 appended
    joined = np.flatnonzero(pos >= 0)
    if not len(joined):
        return None
    sample, by_location, differ, refused = _check_codes(joined, pos, lambda sub: records.points(rows[sub]), areas,
                                                        check_sample, snap_m, publisher_tolerance_m)
    if refused:
        return refused
    rest = np.flatnonzero(pos < 0)
    snapped = kept = 0
    if len(rest):
        x0, y0, x1, y1 = areas.total_bounds
        margin = max(float(snap_m or 0.0), float(publisher_tolerance_m or 0.0))
        loose = records.points(rows[rest])
        rx, ry = shapely.get_x(loose.geometry.to_numpy()), shapely.get_y(loose.geometry.to_numpy())
        near = (rx >= x0 - margin) & (rx <= x1 + margin) & (ry >= y0 - margin) & (ry <= y1 + margin)
        if near.any():
            placed, rep = assign_areas(loose[near], areas, snap_m=snap_m, max_outside_share=1.0,
                                       publisher_tolerance_m=publisher_tolerance_m)
            pos[rest[near]] = areas.index.get_indexer(placed["area_code"])
            snapped, kept = rep.snapped, rep.publisher_kept
    outside = int((pos < 0).sum())
    _check_outside(outside, n)
    src = by_location[differ]
    disagreements = pd.DataFrame({
        "source": src["source"].to_numpy(),
        "source_row": src["source_row"].to_numpy(),
        "code": src["lsoa_code_source"].to_numpy(),
        "location": by_location["area_code"].to_numpy()[differ],
    })
    report = AssignReport(points=n, in_area=n - outside, snapped=snapped, outside=outside, publisher_kept=kept,
                          by_code=len(joined), checked=len(sample), disagreed=int(differ.sum()),
                          disagreements=disagreements)
    return pos, report


def _arrow(values: pd.Series):
    """``values`` as one Arrow large-string array (zero-copy for pandas' Arrow-backed text)."""
    import pyarrow as pa

    arr = pa.array(values.astype("string").array)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.cast(pa.large_string())


def _positions(arr, levels) -> np.ndarray:
    """Position of each value of the Arrow array ``arr`` in ``levels`` (-1 when missing or absent).

    Arrow's hash lookup: several times faster than pandas' factorize on millions of text values."""
    import pyarrow as pa
    import pyarrow.compute as pc

    value_set = pa.array([str(v) for v in levels], type=pa.large_string())
    return pc.index_in(arr, value_set=value_set).fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _levels(arr) -> list[str]:
    """The sorted distinct values of an Arrow array (missing values left out)."""
    import pyarrow.compute as pc

    return sorted(pc.unique(arr).drop_null().to_pylist())


def _tabulate(pos: np.ndarray, category: pd.Series, w: np.ndarray, ids: pd.Index, cats: list[str]) -> pd.DataFrame:
    """Area x category sums of ``w`` (``pos`` the area positions, -1 outside) with a ``total`` column."""
    cat = _positions(_arrow(category), cats) if len(cats) else np.full(len(pos), -1, dtype=np.int64)
    return _tabulate_codes(pos, cat, w, ids, cats)


def _tabulate_codes(pos: np.ndarray, cat: np.ndarray, w: np.ndarray, ids: pd.Index, cats: list[str]) -> pd.DataFrame:
    """:func:`_tabulate` from category positions in ``cats`` (-1: left out)."""
    ok = (pos >= 0) & (cat >= 0)
    sums = np.bincount(pos[ok] * max(len(cats), 1) + cat[ok], weights=w[ok], minlength=len(ids) * max(len(cats), 1))
    counts = pd.DataFrame(sums.reshape(len(ids), max(len(cats), 1))[:, : len(cats)], index=ids, columns=cats)
    counts.index.name = "area_code"
    counts.columns.name = None
    counts[TOTAL] = counts[cats].sum(axis=1) if cats else 0.0
    return counts


def _monthly(pos: np.ndarray, assigned: pd.DataFrame, w: np.ndarray, ids: pd.Index) -> pd.DataFrame:
    """:func:`monthly_counts` from area positions and integer codes (no grouping on text)."""
    empty = pd.DataFrame(columns=["area_code", "month", "category", "count"])
    if "month" not in assigned or assigned["month"].isna().all():
        return empty
    month, category = _arrow(assigned["month"]), _arrow(assigned["category"])
    months, cats = _levels(month), _levels(category)
    m_code, c_code = _positions(month, months), _positions(category, cats)
    return _monthly_codes(pos, m_code, months, c_code, cats, w, ids, assigned["month"].dtype,
                          assigned["category"].dtype)


def _monthly_codes(pos: np.ndarray, m_code: np.ndarray, months: list[str], c_code: np.ndarray, cats: list[str],
                   w: np.ndarray, ids: pd.Index, month_dtype, category_dtype) -> pd.DataFrame:
    """:func:`_monthly` from positions in the sorted ``months`` and ``cats`` (-1: undated / left out)."""
    empty = pd.DataFrame(columns=["area_code", "month", "category", "count"])
    ok = (pos >= 0) & (m_code >= 0) & (c_code >= 0)
    if not ok.any():
        return empty
    nm, nc = len(months), len(cats)
    key = (pos[ok].astype(np.int64) * nm + m_code[ok]) * nc + c_code[ok]
    if len(ids) * nm * nc <= 50_000_000:
        present = np.bincount(key, minlength=len(ids) * nm * nc) > 0
        sums = np.bincount(key, weights=w[ok], minlength=len(ids) * nm * nc)
        key = np.flatnonzero(present)
        total = sums[key]
    else:
        frame = pd.DataFrame({"k": key, "w": w[ok]}).groupby("k", sort=True)["w"].sum()
        key, total = frame.index.to_numpy(), frame.to_numpy()
    out = pd.DataFrame({
        "area_code": pd.array(ids.to_numpy()[key // (nm * nc)], dtype="string"),
        "month": pd.array(np.asarray(months)[(key // nc) % nm], dtype=month_dtype),
        "category": pd.array(np.asarray(cats)[key % nc], dtype=category_dtype),
        "count": total.astype(float),
    })
    if ids.is_unique and ids.is_monotonic_increasing:  # the keys are in that order already (months, cats sorted)
        return out
    return out.sort_values(["area_code", "month", "category"], kind="stable", ignore_index=True)


def monthly_counts(assigned: pd.DataFrame) -> pd.DataFrame:
    """Long table ``area_code, month, category, count`` of dated points (months with none omitted)."""
    if "month" not in assigned or assigned["month"].isna().all():
        return pd.DataFrame(columns=["area_code", "month", "category", "count"])
    dated = assigned[assigned["month"].notna() & assigned["area_code"].notna()]
    out = dated.groupby(["area_code", "month", "category"], observed=True)["weight"].sum().rename("count")
    return out.reset_index()


def rates(counts: pd.DataFrame | pd.Series, population: pd.Series, per: float = 1000.0) -> pd.DataFrame | pd.Series:
    """Counts per ``per`` residents (NaN where population is missing or zero)."""
    pop = population.reindex(counts.index).astype(float).replace(0, np.nan)
    if isinstance(counts, pd.Series):
        return counts.astype(float) / pop * per
    return counts.astype(float).div(pop, axis=0) * per

"""Community-voice coverage: who answered a survey, by deprivation and by age, against who lives there.

Responses carry a postcode (and optionally an age in years or an age band). They are located
offline: by the shipped OS Code-Point Open table for Northamptonshire, or by a postcode directory
extract the user gives for other areas (ONS Postcode Directory / NSPL columns ``pcds`` or ``pcd``
with ``oseast1m``/``osnrth1m`` and/or ``lsoa21cd``; or Code-Point columns ``Postcode, Eastings,
Northings``). A postcode's LSOA is the directory's ``lsoa21cd`` where given, else the LSOA its
centroid falls in.

Coverage tables (:class:`SurveyResult`):

* by IMD decile: responses and their share against **Census 2021 usual residents** and their share;
* by age band: responses against the **ONS mid-2020 estimates** of the shipped age bands
  (``0-9``, ``10-17``, ``18-24``, ``25 and over``; LSOA 2011 counts shared equally over their 2021
  splits, as :mod:`placebased.io.areas` does). An age in years is put in its band; a band given as
  text must be one of these (``"18 to 24"`` and ``"25+"`` are understood), else it is counted as
  an unknown age.

**Representativeness index** = 1 - D, where D = 1/2 sum_g |share_responses_g - share_residents_g|
is the dissimilarity index over the groups (deciles or age bands): 1 when responses are spread
exactly like residents, 0 when they come from groups in which nobody lives. D is the share of
responses that would have to move between groups to match the residents. The per-group ratio
share_responses / share_residents (1 = fair share, below 1 = under-heard) is given too.

**Outreach areas**: LSOAs in IMD deciles 1-2 with fewer than ``min_responses`` responses (default
5), for targeting outreach; listed, and mapped by :mod:`placebased.outputs.survey_map`.

**Privacy**: responses are never shown one by one. Published tables follow the one public rule
(:func:`placebased.score.disclosure.public_row`): counts rounded to base 5, 1 to ``threshold - 1`` shown
as ``<threshold``, secondary suppression against the total; a share is worked out from the rounded
counts and hidden where its count is. Postcodes that cannot be located are counted by
reason and listed by row number only (never the postcode or any other answer).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd

from placebased import _paths
from placebased.errors import DataError, SchemaError, file_error
from placebased.io import tables
from placebased.io.areas import BNG, _lsoa_lookup, load_areas
from placebased.io.postcodes import POSTCODE_RE, locate, normalise
from placebased.io.tables import find_column
from placebased.score.disclosure import public_row
from placebased.stats.aggregate import assign_areas

__all__ = ["AGE_BANDS", "SurveyResult", "coverage_table", "representativeness", "survey_coverage"]

#: the shipped mid-2020 age bands: label -> (youngest, oldest) age in years
AGE_BANDS: dict[str, tuple[int, int]] = {"0-9": (0, 9), "10-17": (10, 17), "18-24": (18, 24),
                                         "25 and over": (25, 200)}
DECILE_COLUMNS = ["imd_decile", "responses", "share_responses", "residents", "share_residents"]
AGE_COLUMNS = ["age_band", "responses", "share_responses", "residents", "share_residents"]
_POSTCODE_NAMES = ("postcode", "post code", "your postcode", "home postcode", "postcode_of_residence", "pcds", "pcd")
_AGE_NAMES = ("age", "age_years", "age in years", "your age")
_BAND_NAMES = ("age_band", "age band", "ageband", "age group", "age_group")
REASONS = {"blank": "no postcode given", "malformed": "partial or malformed postcode",
           "unknown": "postcode not in the postcode table", "outside": "postcode outside the areas"}


def _read(path: str | os.PathLike, what: str) -> pd.DataFrame:
    """A CSV/Excel file as text columns (:func:`placebased.io.tables.read_table`: encodings, separators,
    binary files, size limits, one-line errors)."""
    return tables.read_table(path, what)


# ---------------------------------------------------------------------------------------------
# locating postcodes


def _directory(path: str | os.PathLike) -> pd.DataFrame:
    """A postcode directory extract -> table indexed by postcode key with ``x, y`` and/or ``lsoa``."""
    raw = _read(path, "postcode directory")
    cols = list(raw.columns)
    pc = find_column(cols, ("pcds", "pcd", "pcd2", "postcode"))
    east = find_column(cols, ("oseast1m", "eastings", "easting", "x"))
    north = find_column(cols, ("osnrth1m", "northings", "northing", "y"))
    lsoa = find_column(cols, ("lsoa21cd", "lsoa21", "lsoa11cd", "lsoa11", "lsoa_code"))
    if pc is None or (lsoa is None and (east is None or north is None)):
        raise file_error(path, f"needs a postcode column (pcds or pcd) and oseast1m/osnrth1m or lsoa21cd "
                         f"(columns: {', '.join(cols[:12])})", "export those columns from the ONS Postcode Directory",
                         SchemaError)
    out = pd.DataFrame({"key": normalise(raw[pc]).to_numpy()})
    out["x"] = pd.to_numeric(raw[east], errors="coerce").to_numpy() if east else np.nan
    out["y"] = pd.to_numeric(raw[north], errors="coerce").to_numpy() if north else np.nan
    out["lsoa"] = raw[lsoa].astype("string").str.strip().to_numpy() if lsoa else pd.NA
    return out.dropna(subset=["key"]).drop_duplicates("key").set_index("key")


def _locate(postcodes: pd.Series, areas: gpd.GeoDataFrame, directory) -> pd.DataFrame:
    """Per response: ``area_code`` (or NA) and ``reason`` (blank, malformed, unknown, outside, or "")."""
    keys = normalise(postcodes).reset_index(drop=True)
    n = len(keys)
    if directory is None:
        loc = locate(keys)
        x, y, status = loc["x"].to_numpy(float), loc["y"].to_numpy(float), loc["status"].to_numpy(object)
        lsoa = pd.array([pd.NA] * n, dtype="string")
    else:
        d = _directory(directory).reindex(keys.fillna("").to_numpy())
        x, y = d["x"].to_numpy(float), d["y"].to_numpy(float)
        lsoa = pd.array(d["lsoa"].to_numpy(), dtype="string")
        found = np.isfinite(x) | pd.notna(lsoa)
        formed = keys.fillna("").str.match(POSTCODE_RE).to_numpy()
        status = np.where(keys.isna(), "blank", np.where(found, "found", np.where(formed, "unknown", "malformed")))
    code = pd.Series(lsoa, dtype="string").where(pd.Series(lsoa, dtype="string").isin(areas.index))
    need = (status == "found") & code.isna().to_numpy() & np.isfinite(x)
    if need.any():
        pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x[need], y[need]), crs=BNG)
        assigned, _ = assign_areas(pts, areas, max_outside_share=1.0)
        code[need] = assigned["area_code"].to_numpy()
    reason = np.where(status != "found", status, np.where(code.isna(), "outside", ""))
    return pd.DataFrame({"area_code": code.to_numpy(), "reason": reason})


# ---------------------------------------------------------------------------------------------
# ages


def age_band(ages: pd.Series | None, bands: pd.Series | None) -> pd.Series:
    """The shipped age band of each response from an age in years or a band label (``<NA>`` if unknown).

    >>> age_band(pd.Series(["9", "16", "24", "40", "x"]), None).tolist()
    ['0-9', '10-17', '18-24', '25 and over', <NA>]
    >>> age_band(None, pd.Series(["18 to 24", "25+", "10-17", "16-24"])).tolist()
    ['18-24', '25 and over', '10-17', <NA>]
    """
    n = len(ages) if ages is not None else len(bands)
    out = pd.Series(pd.NA, index=range(n), dtype="string")
    if bands is not None:
        b = bands.reset_index(drop=True).astype("string").str.strip().str.lower()
        b = b.str.replace(r"\s*(?:to|–|—)\s*", "-", regex=True).str.replace(r"\s*-\s*", "-", regex=True)
        b = b.str.replace(r"^(\d+)\s*(?:\+|plus|or over|and above|and older)$", r"\1 and over", regex=True)
        for label in AGE_BANDS:
            out[b == label] = label
    if ages is not None:
        years = pd.to_numeric(ages.reset_index(drop=True), errors="coerce")
        for label, (lo, hi) in AGE_BANDS.items():
            out[((years >= lo) & (years <= hi)).fillna(False).to_numpy() & out.isna().to_numpy()] = label
    return out


@lru_cache(maxsize=1)
def _residents_by_age() -> pd.DataFrame:
    """Mid-2020 residents per LSOA 2021 in :data:`AGE_BANDS` (2011 counts shared over 2021 splits)."""
    raw = pd.read_csv(_paths.AGE_BANDS_2020).set_index("LSOA11CD")
    bands = pd.DataFrame({"0-9": raw["aged_0_9"], "10-17": raw["aged_10_17"], "18-24": raw["aged_18_24"],
                          "25 and over": raw["all_ages"] - raw["aged_0_9"] - raw["aged_10_24"]})
    pairs = _lsoa_lookup()[["LSOA11CD", "LSOA21CD"]].drop_duplicates()
    split = pairs.groupby("LSOA11CD")["LSOA21CD"].transform("size").to_numpy()
    shared = bands.reindex(pairs["LSOA11CD"].to_numpy()).div(split, axis=0)
    shared.index = pd.Index(pairs["LSOA21CD"].to_numpy(), name="area_code")
    return shared.groupby(level=0).sum()


# ---------------------------------------------------------------------------------------------
# statistics


def coverage_table(responses: pd.Series, residents: pd.Series, key: str) -> pd.DataFrame:
    """``key, responses, share_responses, residents, share_residents`` for the groups of ``residents``.

    >>> coverage_table(pd.Series({1: 3, 2: 1}), pd.Series({1: 100, 2: 300}), "g").to_dict("list")
    {'g': [1, 2], 'responses': [3, 1], 'share_responses': [0.75, 0.25], 'residents': [100, 300], \
'share_residents': [0.25, 0.75]}
    """
    r = responses.reindex(residents.index).fillna(0).astype("int64")
    pop = residents.astype(float)
    out = pd.DataFrame({key: residents.index, "responses": r.to_numpy(),
                        "share_responses": r.to_numpy() / r.sum() if r.sum() else np.nan,
                        "residents": np.round(pop.to_numpy()).astype("int64"),
                        "share_residents": pop.to_numpy() / pop.sum()})
    return out.reset_index(drop=True)


def representativeness(table: pd.DataFrame) -> tuple[float, float, pd.Series]:
    """(1 - D, D, ratio per group) of a coverage table; see the module docstring.

    >>> index, d, ratio = representativeness(coverage_table(pd.Series({1: 3, 2: 1}), pd.Series({1: 100, 2: 300}), "g"))
    >>> round(index, 4), round(d, 4), ratio.round(4).tolist()
    (0.5, 0.5, [3.0, 0.3333])
    """
    d = 0.5 * float(np.abs(table["share_responses"] - table["share_residents"]).sum())
    ratio = table["share_responses"] / table["share_residents"].replace(0, np.nan)
    return 1.0 - d, d, ratio.set_axis(table.iloc[:, 0].to_numpy())


# ---------------------------------------------------------------------------------------------
# the result


@dataclass(frozen=True)
class SurveyResult:
    """Coverage of a survey by IMD decile and age band, outreach areas and unlocated responses."""

    by_decile: pd.DataFrame  # DECILE_COLUMNS (raw counts: analysts only)
    by_age: pd.DataFrame  # AGE_COLUMNS (raw counts)
    per_area: pd.DataFrame  # area_code index: area_name, lad_name, imd_decile, residents, responses
    unlocated: pd.DataFrame  # row, reason
    responses_read: int
    unknown_age: int
    min_responses: int = 5
    threshold: int = 5
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def located(self) -> int:
        return int(self.by_decile["responses"].sum())

    def index(self, by: str = "decile") -> float:
        """Representativeness index 1 - D by ``"decile"`` or ``"age"``."""
        return representativeness(self.by_decile if by == "decile" else self.by_age)[0]

    def _public(self, table: pd.DataFrame) -> pd.DataFrame:
        """The published table: responses by :func:`placebased.score.disclosure.public_row` (rounded to base 5,
        1..threshold-1 as ``<threshold``, secondary suppression against the total), the share of
        responses worked out from the rounded counts and left blank where a count or the total is hidden."""
        counts = pd.Series(table["responses"].to_numpy(), index=[str(v) for v in table.iloc[:, 0]])
        r = public_row(counts, self.threshold, sensitive=None)
        keys = list(counts.index)
        out = table.astype(object).copy()
        out["responses"] = [r.text[k] for k in keys]
        total = float(r.value["total"]) if r.shown("total") else float("nan")
        out["share_responses"] = [f"{r.value[k] / total:.4f}" if r.shown(k) and total > 0 else "" for k in keys]
        out["share_residents"] = [f"{v:.4f}" for v in table["share_residents"].to_numpy(float)]
        return out

    def to_frame(self, public: bool = True) -> pd.DataFrame:
        """Coverage by IMD decile (columns :data:`DECILE_COLUMNS`); suppressed text when ``public``."""
        return self._public(self.by_decile) if public else self.by_decile.copy()

    def age_frame(self, public: bool = True) -> pd.DataFrame:
        """Coverage by age band (columns :data:`AGE_COLUMNS`); suppressed text when ``public``."""
        return self._public(self.by_age) if public else self.by_age.copy()

    def representativeness_frame(self) -> pd.DataFrame:
        """``breakdown, representativeness_index, dissimilarity_index, responses`` for deciles and age bands."""
        rows = []
        for name, table in (("imd_decile", self.by_decile), ("age_band", self.by_age)):
            n = int(table["responses"].sum())
            idx, d, _ = representativeness(table) if n else (np.nan, np.nan, None)
            rows.append({"breakdown": name, "representativeness_index": idx, "dissimilarity_index": d,
                         "responses": n})
        return pd.DataFrame(rows)

    def outreach(self) -> pd.DataFrame:
        """Deciles 1-2 areas with fewer than ``min_responses`` responses (responses shown ``0`` or ``<5``)."""
        a = self.per_area
        pick = a[a["imd_decile"].isin([1, 2]) & (a["responses"] < self.min_responses)].copy()
        pick = pick.sort_values(["imd_decile", "residents"], ascending=[True, False])
        pick["responses"] = _public_counts(pick["responses"], self.threshold)
        pick["residents"] = pick["residents"].round().astype("int64")
        pick = pick.reset_index()
        cols = ("area_code", "area_name", "lad_name", "imd_decile", "residents", "responses")
        return pick[[c for c in cols if c in pick.columns]]

    def summary_text(self) -> str:
        n_out = len(self.outreach())
        lost = len(self.unlocated)
        text = (f"{self.responses_read:,} responses; {self.located:,} located in the areas"
                + (f", {lost:,} not located (listed by row only)" if lost else "") + ". ")
        if self.located:
            text += (f"Representativeness by deprivation {self.index('decile'):.2f} and by age "
                     f"{self.index('age'):.2f} (1 = responses spread like residents, 0 = not at all). ")
            top = self.by_decile[self.by_decile["imd_decile"].isin([1, 2])]
            text += (f"Areas in IMD deciles 1-2 (the most deprived fifth in England) hold "
                     f"{top['share_residents'].sum():.0%} of residents and gave {top['share_responses'].sum():.0%} "
                     "of responses. ")
        text += f"{n_out} deprived areas (deciles 1-2) have fewer than {self.min_responses} responses."
        return text

    def outreach_map_data(self) -> OutreachMapData:
        """What the outreach map shows (drawn by :func:`placebased.outputs.survey_map.outreach_png`): deciles
        1-2 areas with few or no responses, the other deciles 1-2 areas, and the map's title."""
        return OutreachMapData(
            outreach=frozenset(self.outreach()["area_code"]),
            deprived=frozenset(self.per_area.index[self.per_area["imd_decile"].isin([1, 2])]),
            title=f"Deprived areas (IMD deciles 1-2) with fewer than {self.min_responses} survey responses")


class OutreachMapData(NamedTuple):
    """Area codes to colour on the outreach map, and its title (see :meth:`SurveyResult.outreach_map_data`)."""

    outreach: frozenset
    deprived: frozenset
    title: str


def _public_counts(values: pd.Series, threshold: int) -> list[str]:
    """Each count as published on its own (:func:`placebased.score.disclosure.public_row` of one cell)."""
    return [public_row(pd.Series({"n": v}), threshold, sensitive=None).text["n"] for v in values]

def survey_coverage(
    responses: pd.DataFrame | str | os.PathLike,
    areas: gpd.GeoDataFrame | None = None,
    postcodes: str | os.PathLike | None = None,
    postcode_column: str | None = None,
    age_column: str | None = None,
    min_responses: int = 5,
    threshold: int = 5,
) -> SurveyResult:
    """Coverage of survey responses by IMD decile and age band against residents.

    Parameters
    ----------
    responses
        A table (or CSV/Excel file) with a postcode column and optionally an age or age band column.
    areas
        LSOAs with ``imd_decile`` and ``population`` (default the shipped Northamptonshire LSOA 2021).
    postcodes
        A postcode directory extract (ONSPD/NSPL or Code-Point columns) for areas beyond the
        shipped table.
    postcode_column, age_column
        Name the columns when they are not detected (``postcode``; ``age`` or ``age_band``).
    min_responses
        Deprived areas with fewer responses are outreach areas.
    threshold
        Published counts from 1 to ``threshold - 1`` are suppressed.
    """
    source = "responses" if isinstance(responses, pd.DataFrame) else str(responses)
    frame = responses.reset_index(drop=True) if isinstance(responses, pd.DataFrame) else _read(responses,
                                                                                              "survey responses")
    if frame.empty:
        raise file_error(source, "has no responses", "export it again with its rows")
    cols = list(frame.columns)
    pc = postcode_column or find_column(cols, _POSTCODE_NAMES)
    if pc is None or pc not in cols:
        raise file_error(source, f"no postcode column {'named ' + repr(pc) if pc else 'found'} (columns: "
                         f"{', '.join(cols[:12])})", "name it 'postcode' or pass --postcode-column", SchemaError)
    if age_column is not None and age_column not in cols:
        raise file_error(source, f"no age column {age_column!r}", "check the column name given", SchemaError)
    areas = load_areas() if areas is None else areas
    for need in ("imd_decile", "population"):
        if need not in areas.columns:
            raise DataError(f"the areas have no {need}: survey coverage needs LSOAs with IMD deciles and residents.")
    loc = _locate(frame[pc], areas, postcodes)
    ages = bands = None
    if age_column is not None:
        is_band = bool(frame[age_column].astype("string").str.contains(r"[-+]|to|over", regex=True).any())
        ages, bands = (None, frame[age_column]) if is_band else (frame[age_column], None)
    else:
        a, b = find_column(cols, _AGE_NAMES), find_column(cols, _BAND_NAMES)
        ages, bands = (frame[a] if a else None), (frame[b] if b else None)
    band = age_band(ages, bands) if (ages is not None or bands is not None) else pd.Series(
        pd.NA, index=range(len(frame)), dtype="string")
    inside = loc["area_code"].notna().to_numpy()
    per = loc.loc[inside, "area_code"].value_counts()
    per_area = areas[[c for c in ("area_name", "lad_name", "imd_decile") if c in areas.columns]].copy()
    per_area["residents"] = areas["population"].astype(float)
    per_area["responses"] = per.reindex(per_area.index).fillna(0).astype("int64")
    deciles = per_area.dropna(subset=["imd_decile"])
    by_decile = coverage_table(
        deciles.groupby("imd_decile")["responses"].sum(),
        deciles.groupby("imd_decile")["residents"].sum().reindex(range(1, 11), fill_value=0.0),
        "imd_decile")
    residents_age = _residents_by_age().reindex(areas.index).sum()
    known = band[inside].dropna()
    by_age = coverage_table(known.value_counts(), residents_age.reindex(list(AGE_BANDS)), "age_band")
    rows = np.flatnonzero(~inside)
    unlocated = pd.DataFrame({"row": rows + 2, "reason": [REASONS[r] for r in loc["reason"].to_numpy()[rows]]})
    notes = []
    if len(unlocated):
        counts = unlocated["reason"].value_counts()
        notes.append("not located: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    unknown_age = int(inside.sum() - len(known))
    if unknown_age and (ages is not None or bands is not None):
        notes.append(f"{unknown_age:,} located responses have no usable age or a band other than "
                     f"{', '.join(AGE_BANDS)}; left out of the age table")
    if len(areas) != len(deciles):
        notes.append(f"{len(areas) - len(deciles):,} areas have no IMD decile and are left out of the decile table")
    return SurveyResult(by_decile=by_decile, by_age=by_age, per_area=per_area, unlocated=unlocated,
                        responses_read=len(frame), unknown_age=unknown_age, min_responses=int(min_responses),
                        threshold=int(threshold), notes=tuple(notes))


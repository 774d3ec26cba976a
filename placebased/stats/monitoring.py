"""Monitoring the Serious Violence Duty's core measures over time, with control limits.

The Home Office's core measures are police-recorded knife or sharp-object serious violence,
homicides and hospital admissions for assault with a knife or sharp object (with the under-25
split). Partner extracts are mapped to measures by an editable table shipped as data
(``placebased/data/measures.toml``; read its header for the format, pass your own with
``measures=`` or ``placebased monitor --measures FILE``).

**police.uk has no knife flag and no homicide category.** On police.uk data only the proxy
measures can be computed (all violence and sexual offences; possession of weapons with robbery);
they are labelled PROXY everywhere and are not knife crime.

For every measure, area level (``lsoa``, ``lad``, ``county``) and area, :func:`monitor` builds a
complete monthly series (zeros filled from the measure's first to its last month) and adds:

* ``rolling_12m``: the sum of the last 12 months including this one (blank until 12 exist).
* ``baseline``: the baseline count per 12 months. The baseline is the chosen calendar year, or
  else the first 12 months when at least 24 months exist, or else (a baseline *period*) the first
  half of the months (rounded down, at least one). Its total is scaled to 12 months
  (``total x 12 / B`` for B baseline months).
* ``change_vs_baseline``: the trailing B-month total up to this month scaled the same way, over
  the baseline, minus 1 (a fraction; 0.25 = 25% above). With a 12-month baseline that is
  ``rolling_12m / baseline - 1``. Blank where the baseline is 0 or fewer than B months precede.
* ``centre``, ``lcl``, ``ucl``, ``signal``: a **Laney u' chart** (Laney 2002, "Improved control
  charts for attributes", Quality Engineering 14(4)), in counts per month. The area of
  opportunity of month i is its length in days, n_i, so u_i = c_i / n_i (events per day) and
  months of 28 and 31 days are compared fairly. From the baseline months only (phase I):

  - u-bar = sum(c_i) / sum(n_i) over the baseline months;
  - sigma_i = sqrt(u-bar / n_i) (the Poisson u-chart's standard error);
  - z_i = (u_i - u-bar) / sigma_i; moving ranges MR_i = |z_i - z_(i-1)| of consecutive
    baseline months; sigma_z = mean(MR) / 1.128 (d2 for ranges of two);
  - limits u-bar +- 3 sigma_i sigma_z (the lower one floored at 0), then times n_i to give
    counts: ``centre = u-bar n_i``, ``lcl``, ``ucl``.

  sigma_z > 1 widens the Poisson limits for over-dispersion (crime counts vary more than
  Poisson between months); sigma_z = 1 gives the classic u-chart. With fewer than two baseline
  months sigma_z is taken as 1 (said in ``notes``); when the baseline has no events the limits
  are blank. ``signal`` is ``"above"`` (count > ucl) or ``"below"`` (count < lcl), else blank.

Counts are not suppressed here: the CSV is an analysts' table. Publish only after disclosure
control (:mod:`placebased.score.disclosure`) where counts are small (e.g. LSOA-level series).
"""

from __future__ import annotations

import io
import os
import re
import textwrap
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from placebased import _paths
from placebased.errors import ConfigError, DataError, SchemaError, file_error
from placebased.io import postcodes
from placebased.io.areas import BNG, load_areas
from placebased.io.incidents import (
    _CATEGORY_NAMES,
    _DATE_NAMES,
    POLICE_UK_COLUMNS,
    _parse_dates,
    _read_table,
    expand_paths,
    load_incidents,
)
from placebased.io.tables import find_column as _find_column
from placebased.stats.aggregate import assign_areas

__all__ = [
    "LEVELS",
    "Measure",
    "MonitorResult",
    "baseline_change",
    "laney_u_chart",
    "load_measures",
    "monitor",
    "monitor_figure",
    "monitor_records",
    "read_records",
    "rolling_total",
    "under_25",
]

LEVELS = ("county", "lad", "lsoa")
SOURCES = ("police_uk", "police", "hospital")
D2 = 1.128  # mean range of two standard normals: sigma = mean moving range / d2
COLUMNS = ["measure", "measure_label", "proxy", "level", "area_code", "area_name", "month", "count", "rolling_12m",
           "baseline", "change_vs_baseline", "centre", "lcl", "ucl", "signal", "sigma_z", "baseline_period"]
COUNTY_CODE = "all"
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


# ---------------------------------------------------------------------------------------------
# the measures table


@dataclass(frozen=True)
class Measure:
    """One monitored measure and the rules that pick its records (see ``data/measures.toml``)."""

    id: str
    label: str
    source: str
    proxy: bool = False
    note: str = ""
    categories: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    flag: tuple[str, tuple[str, ...]] | None = None
    codes: tuple[str, tuple[str, ...]] | None = None
    code_prefixes: tuple[str, tuple[str, ...]] | None = None
    age_column: str | None = None


def _column_rule(spec, where: str, path) -> tuple[str, tuple[str, ...]] | None:
    if spec is None:
        return None
    if not isinstance(spec, dict) or not isinstance(spec.get("column"), str) or not isinstance(
            spec.get("values"), list) or not spec["values"]:
        raise file_error(path, f"{where} must look like {{ column = \"name\", values = [\"a\", \"b\"] }}",
                         "fix that line of the measures file", ConfigError)
    return spec["column"].strip(), tuple(str(v).strip().upper() for v in spec["values"])


def load_measures(path: str | os.PathLike | None = None) -> tuple[Measure, ...]:
    """The measures of ``path`` (a TOML file like ``placebased/data/measures.toml``; default the shipped one)."""
    if path is None:
        where = "placebased/data/measures.toml"
        text = resources.files("placebased").joinpath("data/measures.toml").read_text(encoding="utf-8")
    else:
        where = str(path)
        p = Path(path)
        if not p.exists():
            raise file_error(p, "measures file not found", "check the path (start from placebased/data/measures.toml)")
        text = p.read_text(encoding="utf-8-sig")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise file_error(where, f"not valid TOML ({exc})", "fix the line named", ConfigError) from None
    items = raw.get("measure")
    if not isinstance(items, list) or not items:
        raise file_error(where, "holds no [[measure]] entries", "add at least one [[measure]] with id, label, source",
                         ConfigError)
    out, seen = [], set()
    for k, m in enumerate(items, start=1):
        name = f"measure {k}"
        for key in ("id", "label", "source"):
            if not isinstance(m.get(key), str) or not m[key].strip():
                raise file_error(where, f"{name} has no {key}", f"give it {key} = \"...\"", ConfigError)
        mid = m["id"].strip()
        if not _ID.match(mid) or mid in seen:
            raise file_error(where, f"{name}: id {mid!r} is {'repeated' if mid in seen else 'not a simple name'}",
                             "use a unique id of letters, digits and _", ConfigError)
        seen.add(mid)
        if m["source"] not in SOURCES:
            raise file_error(where, f"measure {mid!r}: source {m['source']!r} is not known",
                             f"use one of {', '.join(SOURCES)}", ConfigError)
        for kw in m.get("keywords", []):
            try:
                re.compile(kw)
            except re.error as exc:
                raise file_error(where, f"measure {mid!r}: keyword {kw!r} is not a regular expression ({exc})",
                                 "escape special characters with \\\\", ConfigError) from None
        measure = Measure(
            id=mid, label=m["label"].strip(), source=m["source"], proxy=bool(m.get("proxy", False)),
            note=str(m.get("note", "")).strip(),
            categories=tuple(str(c) for c in m.get("categories", [])),
            keywords=tuple(str(c) for c in m.get("keywords", [])),
            flag=_column_rule(m.get("flag"), f"measure {mid!r}: flag", where),
            codes=_column_rule(m.get("codes"), f"measure {mid!r}: codes", where),
            code_prefixes=_column_rule(m.get("code_prefixes"), f"measure {mid!r}: code_prefixes", where),
            age_column=(str(m["age_column"]).strip() or None) if m.get("age_column") else None,
        )
        if not (measure.categories or measure.keywords or measure.flag or measure.codes or measure.code_prefixes):
            raise file_error(where, f"measure {mid!r} has no rule", "add categories, keywords, flag, codes or "
                             "code_prefixes", ConfigError)
        out.append(measure)
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# reading partner extracts


_CODE_COLUMNS = ("lsoa code", "lsoa21cd", "lsoa_code", "lsoa", "lsoa11cd", "area_code")
_EXTRA_DATE_NAMES = ("admission_date", "admission date", "admidate", "arrival_date", "arrival date",
                     "arrival_datetime", "arrival date time", "attendance_date", "attendance date", "episode date")
_POSTCODE_COLUMNS = ("postcode", "post code", "postcode_of_residence", "patient_postcode", "pcd", "pcds")


def _raw_column(records: pd.DataFrame, name: str) -> str | None:
    """The records' column holding raw column ``name`` (matched case-insensitively)."""
    key = "raw:" + name.strip().casefold()
    return key if key in records.columns else None


def read_records(files: Sequence[str | os.PathLike], kind: str, **load_opts) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Read incident or hospital extracts for monitoring.

    Files with coordinates are read by :func:`placebased.io.incidents.load_incidents` (options
    ``load_opts``); a table without coordinates may instead give an LSOA code column (used as
    the area) or a postcode column (located by the shipped postcode table). Every raw column is
    kept as ``raw:<name in lower case>`` for the measures' rules.

    Returns the records (EPSG:27700; ``kind`` is ``"police"`` or ``"hospital"``; police.uk files
    get kind ``"police_uk"``) and notes on rows that could not be used.
    """
    frames, notes = [], []
    for f in expand_paths(files):
        f = Path(f)
        raw = _read_table(f) if f.suffix.lower() not in (".geojson", ".gpkg", ".json", ".parquet") else None
        police_uk = raw is not None and all(c in raw.columns for c in POLICE_UK_COLUMNS)
        try:
            inc = load_incidents([f], **load_opts)
            pts = inc.points.copy()
            pts["given_area_code"] = pd.array([pd.NA] * len(pts), dtype="string")
            if inc.report.skipped:
                notes.append(f"{f.name}: {inc.report.skipped:,} rows without a usable location left out")
        except SchemaError:
            if raw is None:
                raise
            pts = _records_without_coordinates(raw, f, notes)
        if raw is not None and not police_uk:
            rows = pts["source_row"].to_numpy(int) - 1
            attrs = raw.iloc[rows].reset_index(drop=True)
            attrs.columns = ["raw:" + str(c).strip().casefold() for c in attrs.columns]
            attrs = attrs.loc[:, ~attrs.columns.duplicated()]
            pts = pd.concat([pts.reset_index(drop=True), attrs.drop(columns=[c for c in attrs if c in pts])], axis=1)
        pts["kind"] = "police_uk" if police_uk else kind
        frames.append(gpd.GeoDataFrame(pts, geometry="geometry", crs=BNG))
    out = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return gpd.GeoDataFrame(out, geometry="geometry", crs=BNG), notes


def _records_without_coordinates(raw: pd.DataFrame, path: Path, notes: list[str]) -> gpd.GeoDataFrame:
    cols = list(raw.columns)
    code_col = _find_column(cols, _CODE_COLUMNS)
    pc_col = _find_column(cols, _POSTCODE_COLUMNS)
    if code_col is None and pc_col is None:
        raise file_error(path, f"no coordinates, LSOA code or postcode column (columns: {', '.join(cols[:12])})",
                         "add easting/northing, an LSOA code or a postcode column", SchemaError)
    n = len(raw)
    geom = gpd.GeoSeries([None] * n, crs=BNG)
    given = pd.array([pd.NA] * n, dtype="string")
    if code_col is not None:
        given = raw[code_col].astype("string").str.strip().str.upper().array
    else:
        loc = postcodes.locate(raw[pc_col].reset_index(drop=True))
        ok = loc["status"].eq("found").to_numpy()
        geom = gpd.GeoSeries(gpd.points_from_xy(loc["x"], loc["y"]), crs=BNG).where(ok, None)
        if (~ok).any():
            notes.append(f"{path.name}: {int((~ok).sum()):,} postcodes not found in the postcode table, left out")
    ccol, dcol = _find_column(cols, _CATEGORY_NAMES), _find_column(cols, _DATE_NAMES + _EXTRA_DATE_NAMES)
    date = _parse_dates(raw[dcol].astype("string").str.strip())[0] if dcol else pd.Series(pd.NaT, index=raw.index)
    frame = pd.DataFrame({
        "category": raw[ccol].fillna("Unknown").astype(str).str.strip().to_numpy() if ccol else "All incidents",
        "date": date.to_numpy(), "month": pd.Series(date).dt.strftime("%Y-%m").astype("string").to_numpy(),
        "weight": 1.0, "source": path.name, "source_row": np.arange(1, n + 1), "given_area_code": given,
    })
    keep = np.asarray(pd.notna(given)) | ~geom.isna().to_numpy()
    return gpd.GeoDataFrame(frame[keep].reset_index(drop=True), geometry=geom[keep].reset_index(drop=True), crs=BNG)


# ---------------------------------------------------------------------------------------------
# matching records to measures


def under_25(values: pd.Series) -> pd.Series:
    """Whether an age (years) or age band lies wholly under 25: True, False or ``<NA>`` (unknown).

    >>> under_25(pd.Series(["17", "24", "25", "18-24", "20-29", "under 18", "65+", "x", None])).tolist()
    [True, True, False, True, <NA>, True, False, <NA>, <NA>]
    """
    s = values.astype("string").str.strip().str.lower()
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    num = pd.to_numeric(s, errors="coerce")
    out[num.notna()] = num[num.notna()] < 25
    band = s.str.extract(r"^(\d+)\s*(?:-|–|to)\s*(\d+)$")
    lo, hi = pd.to_numeric(band[0], errors="coerce"), pd.to_numeric(band[1], errors="coerce")
    out[hi.notna() & (hi < 25)] = True
    out[lo.notna() & (lo >= 25)] = False
    under = pd.to_numeric(s.str.extract(r"^(?:under|<)\s*(\d+)$")[0], errors="coerce")
    out[under.notna() & (under <= 25)] = True
    over = pd.to_numeric(s.str.extract(r"^(\d+)\s*(?:\+|and over|or over|and above)$")[0], errors="coerce")
    out[over.notna() & (over >= 25)] = False
    return out


def _match(records: pd.DataFrame, m: Measure) -> tuple[np.ndarray, list[str]]:
    """Mask of the records counted by ``m`` and the names of the rules that could be checked."""
    mask = np.zeros(len(records), dtype=bool)
    used: list[str] = []
    has_category = bool(len(records)) and not records["category"].eq("All incidents").all()
    cats = records["category"].astype("string").fillna("")
    if m.categories and has_category:
        mask |= cats.str.casefold().isin([c.casefold() for c in m.categories]).to_numpy()
        used.append("categories")
    if m.keywords and has_category:
        for k in m.keywords:
            mask |= cats.map(lambda v, k=k: re.search(k, v, re.IGNORECASE) is not None).to_numpy(bool)
        used.append("keywords")
    for name, rule, prefix in (("flag", m.flag, False), ("codes", m.codes, False),
                               ("code_prefixes", m.code_prefixes, True)):
        if rule is None:
            continue
        col = _raw_column(records, rule[0])
        if col is None:
            continue
        v = records[col].astype("string").str.strip().str.upper()
        hit = v.str.startswith(rule[1]) if prefix else v.isin(rule[1])
        mask |= hit.fillna(False).to_numpy(bool)
        used.append(f"{name} ({rule[0]})")
    return mask, used


# ---------------------------------------------------------------------------------------------
# statistics on one series


def rolling_total(counts, window: int = 12) -> np.ndarray:
    """Sum of the last ``window`` values including this one; NaN until ``window`` values exist.

    >>> rolling_total([1, 2, 3, 4], window=3).tolist()
    [nan, nan, 6.0, 9.0]
    """
    c = np.asarray(counts, dtype=float)
    out = np.full(len(c), np.nan)
    if len(c) >= window:
        cs = np.concatenate([[0.0], np.cumsum(c)])
        out[window - 1:] = cs[window:] - cs[:-window]
    return out


def baseline_change(counts, baseline: np.ndarray) -> tuple[float, np.ndarray]:
    """The baseline per 12 months and each month's trailing change against it (see module docstring).

    ``baseline`` is a boolean mask of the B baseline months. Returns ``(baseline_12m, change)``,
    change = (trailing B-month total x 12 / B) / baseline_12m - 1.

    >>> b, ch = baseline_change([2, 4, 6, 6], np.array([True, True, False, False]))
    >>> b, ch.tolist()
    (36.0, [nan, 0.0, 0.6666666666666667, 1.0])
    """
    c = np.asarray(counts, dtype=float)
    mask = np.asarray(baseline, dtype=bool)
    B = int(mask.sum())
    if B == 0:
        return np.nan, np.full(len(c), np.nan)
    base = c[mask].sum() * 12.0 / B
    trailing = rolling_total(c, B) * 12.0 / B
    change = trailing / base - 1.0 if base > 0 else np.full(len(c), np.nan)
    return float(base), change


def laney_u_chart(counts, exposure, baseline: np.ndarray) -> dict:
    """Laney u' chart limits in count units (formulas in the module docstring).

    Parameters
    ----------
    counts
        Events per period, c_i.
    exposure
        Area of opportunity per period, n_i (days in the month).
    baseline
        Boolean mask of the periods from which u-bar and sigma_z are estimated.

    Returns
    -------
    dict with arrays ``centre``, ``lcl``, ``ucl``, ``z`` and floats ``u_bar``, ``sigma_z``
    (``sigma_z_estimated`` False when fewer than two baseline periods forced sigma_z = 1).

    Examples
    --------
    >>> r = laney_u_chart([10, 20, 15, 30], [10, 10, 10, 10], np.array([True, True, True, False]))
    >>> round(r["u_bar"], 6), round(r["sigma_z"], 6)
    (1.5, 1.716748)
    """
    c = np.asarray(counts, dtype=float)
    n = np.asarray(exposure, dtype=float)
    mask = np.asarray(baseline, dtype=bool)
    u_bar = c[mask].sum() / n[mask].sum() if mask.any() and n[mask].sum() > 0 else np.nan
    nan = np.full(len(c), np.nan)
    if not np.isfinite(u_bar) or u_bar <= 0:
        return {"centre": n * (u_bar if np.isfinite(u_bar) else np.nan), "lcl": nan.copy(), "ucl": nan.copy(),
                "z": nan.copy(), "u_bar": float(u_bar), "sigma_z": np.nan, "sigma_z_estimated": False}
    sigma = np.sqrt(u_bar / n)
    z = (c / n - u_bar) / sigma
    zb = z[mask]
    estimated = len(zb) >= 2
    sigma_z = float(np.mean(np.abs(np.diff(zb))) / D2) if estimated else 1.0
    half = 3.0 * sigma * sigma_z
    return {"centre": u_bar * n, "lcl": np.maximum(0.0, u_bar - half) * n, "ucl": (u_bar + half) * n, "z": z,
            "u_bar": float(u_bar), "sigma_z": sigma_z, "sigma_z_estimated": estimated}


def _baseline_mask(months: pd.PeriodIndex, baseline_year: int | None) -> np.ndarray:
    n = len(months)
    if baseline_year is not None:
        mask = np.asarray(months.year == int(baseline_year))
        if not mask.any():
            raise ConfigError(f"baseline year {baseline_year} is not in the data ({months[0]} to {months[-1]}); "
                              "choose a year the data cover.")
        return mask
    mask = np.zeros(n, dtype=bool)
    mask[: 12 if n >= 24 else max(1, n // 2)] = True
    return mask


# ---------------------------------------------------------------------------------------------
# the whole framework


@dataclass(frozen=True)
class MonitorResult:
    """Monthly series with rolling totals, baseline change and Laney u' limits (long table)."""

    table: pd.DataFrame
    measures: tuple[Measure, ...]
    computed: tuple[str, ...]
    unavailable: dict[str, str]
    levels: tuple[str, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_frame(self) -> pd.DataFrame:
        """The long table: one row per measure, level, area and month (columns :data:`COLUMNS`)."""
        return self.table.copy()

    def rounded(self) -> pd.DataFrame:
        """:meth:`to_frame` rounded for people, as the CSV and Excel exports write it: centre, limits and
        rolling totals to 2 decimals, the control width and the change against the baseline to 3."""
        out = self.table.copy()
        for col, places in (("centre", 2), ("lcl", 2), ("ucl", 2), ("sigma_z", 3), ("change_vs_baseline", 3),
                            ("rolling_12m", 2), ("baseline", 2)):
            if col in out.columns and pd.api.types.is_float_dtype(out[col]):
                out[col] = out[col].round(places)
        return out

    def signals(self) -> pd.DataFrame:
        """The rows outside the control limits."""
        return self.table[self.table["signal"] != ""].copy()

    def summary_text(self) -> str:
        """A few plain sentences for reports."""
        t = self.table
        if t.empty:
            return "No measure could be computed from the data given. " + " ".join(
                f"{k}: {v}." for k, v in self.unavailable.items())
        labels = {m.id: m for m in self.measures}
        months = sorted(t["month"].unique())
        parts = [f"Monthly series {months[0]} to {months[-1]} for {len(self.computed)} measure(s)."]
        top = t[t["level"] == self.levels[0]]
        for mid in self.computed:
            sub = top[top["measure"] == mid]
            if sub.empty:
                continue
            base = mid.removesuffix("_under25")
            m = labels.get(base)
            flagged = m is not None and m.proxy and "proxy" not in m.label.lower()
            proxy = " (a proxy, not the Home Office measure)" if flagged else ""
            n_sig = int((sub["signal"] != "").sum())
            total = float(sub["count"].sum())
            parts.append(f"{sub['measure_label'].iloc[0]}{proxy}: {total:,.0f} in total; "
                         + (f"{n_sig} month-area value(s) outside the control limits."
                            if n_sig else "no month outside the control limits, so no change beyond normal "
                            "variation."))
        parts.append(f"Baseline: {t['baseline_period'].iloc[0]}; limits are Laney u' (3 sigma, over-dispersion "
                     "adjusted).")
        for k, v in self.unavailable.items():
            parts.append(f"Not available: {k} ({v}).")
        return " ".join(parts)

    def figure(self, level: str | None = None, max_panels: int = 12):
        """Small-multiples chart (see :func:`monitor_figure`)."""
        return monitor_figure(self, level=level, max_panels=max_panels)

    def png(self, level: str | None = None, max_panels: int = 12, dpi: int = 150) -> bytes:
        buf = io.BytesIO()
        self.figure(level, max_panels).savefig(buf, format="png", dpi=dpi)
        return buf.getvalue()


def _level_keys(areas: gpd.GeoDataFrame, level: str) -> tuple[pd.Series, pd.Series]:
    """For each LSOA (areas' index): the code and name of the area at ``level``."""
    if level == "lsoa":
        names = areas["area_name"] if "area_name" in areas else pd.Series(areas.index, index=areas.index)
        return pd.Series(areas.index, index=areas.index), names.astype(str)
    if level == "lad":
        if "lad_code" not in areas or areas["lad_code"].isna().all():
            raise ConfigError("level 'lad' needs areas with a local authority (lad_code); these areas have none. "
                              "Use --level county or lsoa.")
        return areas["lad_code"].astype(str), areas.get("lad_name", areas["lad_code"]).astype(str)
    if level == "county":
        return (pd.Series(COUNTY_CODE, index=areas.index), pd.Series("All areas", index=areas.index))
    raise ConfigError(f"unknown level {level!r}; choose one of {', '.join(LEVELS)}.")


def monitor_records(
    records: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    measures: Sequence[Measure] | None = None,
    levels: Sequence[str] = ("county",),
    baseline_year: int | None = None,
    notes: Sequence[str] = (),
) -> MonitorResult:
    """The framework on records already read (:func:`read_records`); see :func:`monitor`."""
    measures = tuple(measures) if measures is not None else load_measures()
    levels = tuple(levels)
    for lv in levels:
        if lv not in LEVELS:
            raise ConfigError(f"unknown level {lv!r}; choose one of {', '.join(LEVELS)}.")
    notes = list(notes)
    recs = records.copy()
    if "kind" not in recs:
        recs["kind"] = "police"
    given = recs["given_area_code"] if "given_area_code" in recs else pd.Series(pd.NA, index=recs.index)
    has_geom = ~(recs.geometry.isna() | recs.geometry.is_empty).to_numpy()
    code = pd.Series(pd.NA, index=recs.index, dtype="string")
    if has_geom.any():
        assigned, rep = assign_areas(recs[has_geom], areas)
        code[has_geom] = assigned["area_code"].to_numpy()
    gv = pd.Series(given, index=recs.index).astype("string")
    code[~has_geom] = gv[~has_geom].where(gv[~has_geom].isin(areas.index))
    outside = int(code.isna().sum())
    if outside:
        notes.append(f"{outside:,} records fall outside the areas (or name an unknown area code) and are not counted")
    recs["area_code"] = code
    undated = int((recs["month"].isna() & code.notna()).sum())
    if undated:
        notes.append(f"{undated:,} records in the areas have no date and are not in the monthly series")
    recs = recs[code.notna().to_numpy() & recs["month"].notna().to_numpy()]

    rows, computed, unavailable = [], [], {}
    level_keys = {lv: _level_keys(areas, lv) for lv in levels}
    for m in measures:
        sub = recs[recs["kind"] == m.source]
        if sub.empty:
            what = {"police_uk": "no police.uk files given", "police": "no force crime extract given "
                    "(--incidents FILE with a knife flag or offence codes)",
                    "hospital": "no hospital extract given (--hospital FILE)"}[m.source]
            unavailable[m.id] = what
            continue
        mask, used = _match(sub, m)
        if not used:
            unavailable[m.id] = ("the extract has none of the columns its rules need"
                                 f" ({', '.join(r[0] for r in (m.flag, m.codes, m.code_prefixes) if r)}) "
                                 "and no category text")
            continue
        months = pd.period_range(pd.Period(sub["month"].min(), "M"), pd.Period(sub["month"].max(), "M"), freq="M")
        base = _baseline_mask(months, baseline_year)
        period = (f"{months[base][0]} to {months[base][-1]} ({int(base.sum())} months"
                  + (", a baseline period: fewer than 24 months of data)" if int(base.sum()) < 12 else ")"))
        series = [(m.id, m.label, mask)]
        if m.age_column:
            col = _raw_column(sub, m.age_column)
            if col is not None:
                young = under_25(sub[col])
                unknown = int((young.isna() & mask).sum())
                if unknown:
                    notes.append(f"{m.id}: {unknown:,} records with no usable age ({m.age_column}) are left out of "
                                 "the under-25 series")
                series.append((f"{m.id}_under25", f"{m.label}, under 25",
                               mask & young.fillna(False).to_numpy(bool)))
        for sid, label, sel in series:
            computed.append(sid)
            picked = sub[sel]
            for lv in levels:
                keys, names = level_keys[lv]
                lv_code = keys.reindex(picked["area_code"].to_numpy()).to_numpy()
                grid = pd.crosstab(pd.Series(lv_code, name="code"), pd.Series(picked["month"].to_numpy(),
                                                                              name="month"))
                all_codes = pd.unique(keys.to_numpy())
                grid = grid.reindex(index=all_codes, columns=[str(p) for p in months]).fillna(0)
                name_of = dict(zip(keys.to_numpy(), names.to_numpy()))
                rows.append(_series_rows(grid, months, base, sid, label, m.proxy, lv, name_of, period))
            rows_notes = _sigma_notes(rows[-1], sid)
            notes += rows_notes
    table = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=COLUMNS)
    return MonitorResult(table=table, measures=measures, computed=tuple(computed), unavailable=unavailable,
                         levels=levels, notes=tuple(dict.fromkeys(notes)))


def _sigma_notes(frame: pd.DataFrame, sid: str) -> list[str]:
    if frame.empty:
        return []
    if frame["baseline_period"].iloc[0].split("(")[1].startswith("1 month"):
        return [f"{sid}: one baseline month only, so sigma_z is taken as 1 (plain Poisson u-chart limits)"]
    return []


def _series_rows(grid: pd.DataFrame, months: pd.PeriodIndex, base: np.ndarray, sid: str, label: str, proxy: bool,
                 level: str, name_of: dict, period: str) -> pd.DataFrame:
    days = np.asarray(months.days_in_month, dtype=float)
    parts = []
    labels = [str(p) for p in months]
    for code, row in grid.iterrows():
        c = row.to_numpy(float)
        chart = laney_u_chart(c, days, base)
        base12, change = baseline_change(c, base)
        signal = np.where(np.isfinite(chart["ucl"]) & (c > chart["ucl"] + 1e-9), "above",
                          np.where(np.isfinite(chart["lcl"]) & (c < chart["lcl"] - 1e-9), "below", ""))
        parts.append(pd.DataFrame({
            "measure": sid, "measure_label": label, "proxy": proxy, "level": level, "area_code": code,
            "area_name": name_of.get(code, code), "month": labels, "count": c, "rolling_12m": rolling_total(c),
            "baseline": base12, "change_vs_baseline": change, "centre": chart["centre"], "lcl": chart["lcl"],
            "ucl": chart["ucl"], "signal": signal, "sigma_z": chart["sigma_z"], "baseline_period": period,
        }))
    out = pd.concat(parts, ignore_index=True)
    if np.all(out["count"].to_numpy() == np.round(out["count"].to_numpy())):
        out["count"] = out["count"].astype("int64")
    return out[COLUMNS]


def monitor(
    incidents: Sequence[str | os.PathLike] | None = None,
    hospital: Sequence[str | os.PathLike] | None = None,
    areas: gpd.GeoDataFrame | None = None,
    measures: Sequence[Measure] | str | os.PathLike | None = None,
    levels: Sequence[str] = ("county",),
    baseline_year: int | None = None,
    **load_opts,
) -> MonitorResult:
    """The monitoring framework: monthly series of the core measures with control limits.

    Parameters
    ----------
    incidents
        Police crime files: police.uk street-level CSVs (proxy measures only) or a force's own
        extract with a knife flag / offence codes. Default: the shipped police.uk data.
    hospital
        Hospital or A&E extracts (coordinates, an LSOA code or a postcode per row).
    areas
        LSOAs (default the shipped Northamptonshire LSOA 2021 with local authorities).
    measures
        Measures or the path of a measures TOML file (default ``placebased/data/measures.toml``).
    levels
        Any of ``"county"`` (all areas together), ``"lad"``, ``"lsoa"``.
    baseline_year
        Calendar year used as the baseline (default: see the module docstring).
    load_opts
        Passed to :func:`placebased.io.incidents.load_incidents` (``x_column``, ``crs``, ...).

    Returns
    -------
    MonitorResult
    """
    if areas is None:
        areas = load_areas()
    if measures is None or isinstance(measures, str | os.PathLike):
        measures = load_measures(measures)
    frames, notes = [], []
    if incidents is None:
        incidents = _paths.default_incident_files()
    for files, kind in ((incidents, "police"), (hospital, "hospital")):
        if files:
            recs, n = read_records(files, kind, **load_opts)
            frames.append(recs)
            notes += n
    if not frames:
        raise DataError("no records to monitor; give --incidents or --hospital files.")
    records = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=frames[0].crs)
    return monitor_records(records, areas, measures, levels, baseline_year, notes)


# ---------------------------------------------------------------------------------------------
# chart


def monitor_figure(result: MonitorResult, level: str | None = None, max_panels: int = 12):
    """Small multiples: one panel per measure and area (the largest totals first, at most ``max_panels``).

    Each panel shows the monthly count (line), the centre line and the Laney u' limits (grey band)
    and marks months outside the limits (red above, blue below). Returns a matplotlib Figure.
    """
    from matplotlib.figure import Figure

    level = level or result.levels[0]
    t = result.table[result.table["level"] == level]
    if t.empty:
        fig = Figure(figsize=(6, 2), dpi=150)
        fig.text(0.5, 0.5, "No measure could be computed from these data.", ha="center", va="center")
        return fig
    totals = t.groupby(["measure", "area_code"], sort=False)["count"].sum()
    order = {m: i for i, m in enumerate(result.computed)}
    keys = sorted(totals.index, key=lambda k: (order.get(k[0], 99), -totals[k]))
    shown = keys[:max_panels]
    ncol = min(3, len(shown))
    nrow = -(-len(shown) // ncol)
    fig = Figure(figsize=(3.3 * ncol, 2.3 * nrow + 0.5), dpi=150, layout="constrained")
    axes = fig.subplots(nrow, ncol, squeeze=False)
    for ax, (mid, code) in zip(axes.flat, shown):
        s = t[(t["measure"] == mid) & (t["area_code"] == code)]
        x = np.arange(len(s))
        ax.fill_between(x, s["lcl"].to_numpy(float), s["ucl"].to_numpy(float), step="mid", color="#dfe3e8",
                        label="control limits")
        ax.step(x, s["centre"].to_numpy(float), where="mid", color="#7a8591", lw=0.8, ls="--", label="centre")
        ax.plot(x, s["count"].to_numpy(float), color="#1f3a5f", lw=1.4, marker="o", ms=2.5, label="count")
        for sig, colour in (("above", "#c0392b"), ("below", "#2471a3")):
            hit = (s["signal"] == sig).to_numpy()
            if hit.any():
                ax.plot(x[hit], s["count"].to_numpy(float)[hit], "o", color=colour, ms=5)
        lab = s["measure_label"].iloc[0]
        where = "" if level == "county" else f"\n{s['area_name'].iloc[0]}"
        ax.set_title(_wrap(lab, 42) + where, fontsize=7, loc="left")
        ticks = x[:: max(1, len(x) // 4)]
        ax.set_xticks(ticks, [s["month"].iloc[i] for i in ticks], fontsize=6)
        ax.tick_params(axis="y", labelsize=6)
        ax.set_ylim(bottom=0)
    for ax in list(axes.flat)[len(shown):]:
        ax.set_axis_off()
    more = f" (the {len(shown)} largest of {len(keys)} series)" if len(keys) > len(shown) else ""
    fig.suptitle(f"Monthly counts with Laney u' control limits, {level}{more}; red = above, blue = below the limits",
                 fontsize=8)
    return fig


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(str(text), width)[:2])

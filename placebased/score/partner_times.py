"""A&E (ISTV) and other partner records with times: where they happened, when, and the weekend window.

Records carry an arrival date-time, an age band and a location given in one of three ways:

=================== =========================================================== ============
how it is given     how it is located                                            confidence
=================== =========================================================== ============
full postcode       the postcode's centroid in the postcode table                "high"
                    (a partial one, "NN1" or "NN1 4": its district, as below)   "low"
grid reference      easting/northing columns, or an OS reference ("SP 7512     "high" (100 m
                    6034": the centre of the square it names)                   or finer), else "low"
free text           a grid reference or a full postcode written in the text       "high"
                    a postcode district ("NN1", "NN17") in the text: the mean     "low"
                    of that district's postcode centroids
                    a post town of the shipped NHS address list ("Corby",        "low"
                    "Kettering", "Northampton"...): the mean of those sites
nothing usable      not located                                                 "unlocated"
=================== =========================================================== ============

Free text is only searched: it is never kept in any output (it may name people or places).

**The weekend window** is the partnership's Saturday and Sunday 01:00-05:00: arrivals on a
Saturday or a Sunday from 01:00 to 04:59 (the small hours after Friday and Saturday nights), that
is hours 1-4 of days Sat and Sun in the day x hour table. The share of records in the window is
in_window / records with a known time, per age band and overall.

Published tables follow the one public rule (:func:`placebased.score.disclosure.public_row`): counts
rounded to base 5, 1 to ``threshold - 1`` shown as ``<threshold``, secondary suppression against each
row's total; a share is shown only where both its counts are, and is worked out from the rounded
counts. The heat map greys out the small cells.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from placebased import _paths
from placebased.errors import DataError, SchemaError, file_error
from placebased.io import tables
from placebased.io.incidents import _parse_dates
from placebased.io.postcodes import locate, postcode_table
from placebased.io.tables import find_column
from placebased.score.disclosure import public_row

__all__ = ["WINDOW_DAYS", "WINDOW_HOURS", "PartnerTimesResult", "grid_ref_to_xy", "locate_text", "partner_times",
           "read_partner_table"]

#: the weekend window: Saturday and Sunday, hours 1, 2, 3, 4 (01:00-04:59)
WINDOW_DAYS = ("Sat", "Sun")
WINDOW_HOURS = (1, 2, 3, 4)
WINDOW_LABEL = "Sat/Sun 01:00-05:00"
AGE_BANDS_FROM_YEARS = ((0, 17, "0-17"), (18, 24, "18-24"), (25, 34, "25-34"), (35, 49, "35-49"),
                        (50, 64, "50-64"), (65, 200, "65+"))

_DATETIME_NAMES = ("arrival_datetime", "arrival date time", "arrival date/time", "arrival_date_time", "arrival",
                   "datetime", "date_time", "date time", "attendance datetime", "arrival time stamp")
_DATE_NAMES = ("arrival_date", "arrival date", "attendance_date", "attendance date", "date", "incident date")
_TIME_NAMES = ("arrival_time", "arrival time", "attendance time", "time", "incident time")
_AGE_NAMES = ("age_band", "age band", "ageband", "age group", "age_group", "age")
_POSTCODE_NAMES = ("postcode", "post code", "incident_postcode", "incident postcode", "location_postcode")
_GRID_NAMES = ("grid_ref", "grid reference", "grid_reference", "gridref", "os grid reference")
_EAST_NAMES = ("easting", "eastings", "x", "bng_e")
_NORTH_NAMES = ("northing", "northings", "y", "bng_n")
_TEXT_NAMES = ("location", "incident location", "incident_location", "location_text", "free text location",
               "where", "place")

_POSTCODE_IN_TEXT = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})\b")
_GRID_IN_TEXT = re.compile(r"\b[HJNOST][A-HJ-Z](?:\s*\d){4,10}\b")
_DISTRICT_IN_TEXT = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?)\b")


# ---------------------------------------------------------------------------------------------
# locating


def grid_ref_to_xy(ref: str) -> tuple[float, float, int] | None:
    """An OS grid reference (``"SP 7512 6034"``) -> (easting, northing, resolution in m) of the square's centre.

    >>> grid_ref_to_xy("SP 7512 6034")
    (475125.0, 260345.0, 10)
    >>> grid_ref_to_xy("TL 1 2") is None, grid_ref_to_xy("nonsense") is None
    (False, True)
    """
    s = re.sub(r"\s+", "", str(ref).upper())
    m = re.fullmatch(r"([HJNOST])([A-HJ-Z])(\d*)", s)
    if not m or len(m.group(3)) % 2 or len(m.group(3)) > 10:
        return None
    l1, l2 = ord(m.group(1)) - 65, ord(m.group(2)) - 65
    l1, l2 = l1 - (l1 > 7), l2 - (l2 > 7)  # the letter I is not used
    e100 = ((l1 - 2) % 5) * 5 + (l2 % 5)
    n100 = (19 - (l1 // 5) * 5) - (l2 // 5)
    digits = m.group(3)
    k = len(digits) // 2
    res = 10 ** (5 - k)
    e = int(digits[:k] or 0) * res
    n = int(digits[k:] or 0) * res
    return float(e100 * 100_000 + e + res / 2), float(n100 * 100_000 + n + res / 2), int(res)


@lru_cache(maxsize=2)
def _districts(table: str | None) -> pd.DataFrame:
    t = postcode_table(table)
    t["district"] = t.index.str[:-3]
    return t.groupby("district")[["x", "y"]].mean()


@lru_cache(maxsize=2)
def _extent(table: str | None) -> tuple[float, float, float, float]:
    d = _districts(table)
    return d["x"].min() - 20_000, d["y"].min() - 20_000, d["x"].max() + 20_000, d["y"].max() + 20_000


@lru_cache(maxsize=1)
def _post_towns() -> pd.DataFrame:
    """Post towns of the shipped NHS address list with the mean grid reference of their sites."""
    d = pd.read_csv(_paths.NHS_PROVISION, dtype=str)
    lines = d[[f"Address Line {i}" for i in range(1, 6)]]
    towns = []
    for row in lines.itertuples(index=False):
        vals = [str(v).strip() for v in row if isinstance(v, str) and v.strip()]
        vals = [v for v in vals if v.upper() != "NORTHAMPTONSHIRE"]
        towns.append(vals[-1].upper() if vals else None)
    frame = pd.DataFrame({"town": towns, "x": pd.to_numeric(d["cpo_Eastings"], errors="coerce"),
                          "y": pd.to_numeric(d["cpo_Northings"], errors="coerce")}).dropna()
    not_town = r"SHIRE|HIRE$|NORTHANTS|\b(?:ROAD|STREET|LANE|AVENUE|WAY|CLOSE|DRIVE)\b|\d"
    frame = frame[frame["town"].str.fullmatch(r"[A-Z][A-Z' -]{2,}") & ~frame["town"].str.contains(not_town)]
    return frame.groupby("town")[["x", "y"]].mean()


def locate_text(text: str | None, table: str | os.PathLike | None = None) -> tuple[float, float, str, str]:
    """(x, y, confidence, method) for a free-text location (see the module docstring).

    >>> locate_text("outside 12 High St, NN17 1TR")[2:]
    ('high', 'postcode in text')
    >>> locate_text("town centre, Kettering")[2:]
    ('low', 'post town')
    >>> locate_text("somewhere")[2:]
    ('unlocated', 'none')
    """
    if text is None or (isinstance(text, float) and np.isnan(text)) or not str(text).strip():
        return np.nan, np.nan, "unlocated", "none"
    up = str(text).upper()
    box = _extent(str(table) if table else None)
    for m in _GRID_IN_TEXT.finditer(up):
        g = grid_ref_to_xy(m.group(0))
        # within 20 km of the postcode table's area, so "NN12 34" is not read as a Highland square
        if g is not None and box[0] <= g[0] <= box[2] and box[1] <= g[1] <= box[3]:
            return g[0], g[1], "high" if g[2] <= 100 else "low", "grid reference in text"
    for m in _POSTCODE_IN_TEXT.finditer(up):
        hit = locate([m.group(1) + m.group(2)], table).iloc[0]
        if hit["status"] == "found":
            return float(hit["x"]), float(hit["y"]), "high", "postcode in text"
    districts = _districts(str(table) if table else None)
    for m in _DISTRICT_IN_TEXT.finditer(up):
        if m.group(1) in districts.index:
            x, y = districts.loc[m.group(1)]
            return float(x), float(y), "low", "postcode district"
    towns = _post_towns()
    for town in sorted(towns.index, key=len, reverse=True):
        if re.search(rf"\b{re.escape(town)}\b", up):
            x, y = towns.loc[town]
            return float(x), float(y), "low", "post town"
    return np.nan, np.nan, "unlocated", "none"


def _locate(raw: pd.DataFrame, table) -> pd.DataFrame:
    n = len(raw)
    out = pd.DataFrame({"x": np.full(n, np.nan), "y": np.full(n, np.nan), "confidence": "unlocated",
                        "method": "none"}, index=raw.index)
    cols = list(raw.columns)
    pc, grid, tx = find_column(cols, _POSTCODE_NAMES), find_column(cols, _GRID_NAMES), find_column(cols, _TEXT_NAMES)
    ecol, ncol = find_column(cols, _EAST_NAMES), find_column(cols, _NORTH_NAMES)
    todo = np.ones(n, dtype=bool)
    if pc is not None:
        loc = locate(raw[pc], table)
        ok = (loc["status"] == "found").to_numpy()
        out.loc[ok, ["x", "y"]] = loc.loc[ok, ["x", "y"]].to_numpy()
        out.loc[ok, "confidence"], out.loc[ok, "method"] = "high", "postcode"
        todo &= ~ok
        for i in np.flatnonzero(todo & raw[pc].notna().to_numpy()):  # partial: "NN1", "NN1 4"
            x, y, conf, how = locate_text(raw[pc].iloc[i], table)
            if conf != "unlocated":
                out.iloc[i, :4] = [x, y, conf, how]
                todo[i] = False
    if ecol is not None and ncol is not None:
        e = pd.to_numeric(raw[ecol], errors="coerce").to_numpy(float)
        nn = pd.to_numeric(raw[ncol], errors="coerce").to_numpy(float)
        ok = todo & np.isfinite(e) & np.isfinite(nn) & (e > 0) & (e < 700_000) & (nn > 0) & (nn < 1_300_000)
        out.loc[ok, "x"], out.loc[ok, "y"] = e[ok], nn[ok]
        out.loc[ok, "confidence"], out.loc[ok, "method"] = "high", "easting/northing"
        todo &= ~ok
    if grid is not None:
        for i in np.flatnonzero(todo & raw[grid].notna().to_numpy()):
            g = grid_ref_to_xy(raw[grid].iloc[i])
            if g is not None:
                out.iloc[i, :4] = [g[0], g[1], "high" if g[2] <= 100 else "low", "grid reference"]
                todo[i] = False
    if tx is not None:
        for i in np.flatnonzero(todo):
            out.iloc[i, :4] = list(locate_text(raw[tx].iloc[i], table))
    return out


# ---------------------------------------------------------------------------------------------
# times and age bands


def _band(values: pd.Series) -> pd.Series:
    s = values.astype("string").str.strip()
    years = pd.to_numeric(s, errors="coerce")
    out = s.where(s.notna() & (s != ""), "unknown")
    for lo, hi, label in AGE_BANDS_FROM_YEARS:
        out = out.where(~((years >= lo) & (years <= hi)).fillna(False), label)
    return out.astype(str)


def _times(raw: pd.DataFrame, path) -> tuple[pd.Series, pd.Series]:
    """(dates as datetime64, hour 0-23 or NaN) from a date-time column or a date and a time column."""
    cols = list(raw.columns)
    dt = find_column(cols, _DATETIME_NAMES)
    dcol = dt or find_column(cols, _DATE_NAMES)
    if dcol is None:
        raise file_error(path, f"no arrival date column (columns: {', '.join(map(str, cols[:12]))})",
                         "add arrival_datetime (e.g. 2025-03-15 02:40) or arrival_date and arrival_time", SchemaError)
    text = raw[dcol].astype("string").str.strip()
    date = pd.Series(_parse_dates(text)[0], index=raw.index)
    hour = pd.Series(np.where(text.str.contains(r"\d{1,2}:\d{2}").fillna(False), date.dt.hour, np.nan),
                     index=raw.index, dtype=float)
    tcol = find_column(cols, _TIME_NAMES)
    if tcol is not None and tcol != dcol:
        t = raw[tcol].astype("string").str.strip()
        h = pd.to_numeric(t.str.extract(r"^(\d{1,2})(?::?\d{2})?(?::\d{2})?$")[0], errors="coerce")
        h = h.where((h >= 0) & (h <= 23))
        hour = h.where(h.notna(), hour)
    return date.dt.normalize(), hour


def _public(counts: pd.DataFrame, threshold: int):
    """Published text, rounded values (NaN when hidden) and flags of a table of counts (rows with a
    ``total``), by :func:`placebased.score.disclosure.public_row` per row; no category here is sensitive."""
    rows = {k: public_row(counts.loc[k], threshold, sensitive=None) for k in counts.index}
    cols = [c for c in counts.columns if c != "total"] + ["total"]

    def frame(attr):
        return pd.DataFrame({k: getattr(r, attr) for k, r in rows.items()}).T.reindex(index=counts.index, columns=cols)

    return frame("text"), frame("value").astype(float), frame("flags")


# ---------------------------------------------------------------------------------------------
# the result


@dataclass(frozen=True)
class PartnerTimesResult:
    """Located partner records, the day x hour table and the weekend-window shares."""

    records: pd.DataFrame  # source_row, date, day, hour, age_band, in_window, x, y, confidence, method
    day_hour: pd.DataFrame  # 7 x 24 counts (raw; analysts only)
    window_by_age: pd.DataFrame  # age_band, records, in_window, share_in_window (raw)
    threshold: int = 5
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_frame(self, public: bool = True) -> pd.DataFrame:
        """The window share by age band (rows per band, then ``all``); suppressed text when ``public``."""
        raw = self.window_by_age
        if not public:
            return raw.copy()
        counts = pd.DataFrame({"in_window": raw["in_window"], "outside_window": raw["records"] - raw["in_window"]}
                              ).set_axis(raw["age_band"])
        text, value, flags = _public(counts, self.threshold)
        ok = (flags["in_window"] == "") & (flags["total"] == "") & (value["total"] > 0)
        share = [f"{v / t:.1%}" if k else ("" if n == 0 else "*")
                 for v, t, k, n in zip(value["in_window"], value["total"], ok, raw["records"])]
        return pd.DataFrame({"age_band": raw["age_band"].to_numpy(), "records": text["total"].to_numpy(),
                             "in_window": text["in_window"].to_numpy(), "share_in_window": share})

    def day_hour_public(self) -> pd.DataFrame:
        """The day x hour table as published (``disclosure.public_row`` per day, as ``public_table``:
        counts rounded to base 5, 1..threshold-1 as ``<threshold``, secondary suppression against the
        day's total, which is left out here)."""
        text, _value, _flags = _public(self.day_hour, self.threshold)
        out = text.drop(columns="total")
        out.columns = [f"{h:02d}" for h in self.day_hour.columns]
        return out

    def location_summary(self) -> pd.DataFrame:
        """How many records were located by each method and confidence."""
        g = self.records.groupby(["confidence", "method"]).size().rename("records").reset_index()
        order = {"high": 0, "low": 1, "unlocated": 2}
        return g.sort_values(["confidence", "method"], key=lambda s: s.map(order) if s.name == "confidence" else s,
                             ignore_index=True)

    def window_share(self) -> float:
        """Share of all records with a known time that fall in the weekend window."""
        row = self.window_by_age[self.window_by_age["age_band"] == "all"]
        return float(row["share_in_window"].iloc[0]) if len(row) else np.nan

    def summary_text(self) -> str:
        timed = int(self.records["hour"].notna().sum())
        loc = self.records["confidence"].value_counts()
        text = (f"{len(self.records):,} records, {timed:,} with an arrival time; {self.window_share():.0%} of those "
                f"arrived in the {WINDOW_LABEL} window. Located: {int(loc.get('high', 0)):,} with high confidence "
                f"(postcode or grid reference), {int(loc.get('low', 0)):,} low (postcode district or town only), "
                f"{int(loc.get('unlocated', 0)):,} not located.")
        return text

    def figure(self, title: str | None = None):
        """Heat map (days x hours) with the weekend window outlined and small cells greyed out."""
        from matplotlib.patches import Rectangle

        from placebased.stats.timeseries import time_of_week_figure

        table = self.day_hour.astype(float)
        masked = table.where(~((table > 0) & (table < self.threshold)))
        masked.attrs.update(table.attrs)
        fig = time_of_week_figure(masked, title=title or f"Arrivals by day and hour; {WINDOW_LABEL} outlined")
        ax = fig.axes[0]
        ax.set_facecolor("#c8c8c8")
        days = list(table.index)
        for d in WINDOW_DAYS:
            r = days.index(d)
            ax.add_patch(Rectangle((WINDOW_HOURS[0] - 0.5, r - 0.5), len(WINDOW_HOURS), 1, fill=False, lw=1.8,
                                   edgecolor="#1f3a5f"))
        ax.text(1.0, 1.02, f"grey: 1-{self.threshold - 1} records (not shown)", transform=ax.transAxes,
                ha="right", va="bottom", fontsize=6)
        return fig

    def png(self, dpi: int = 150) -> bytes:
        buf = io.BytesIO()
        self.figure().savefig(buf, format="png", dpi=dpi)
        return buf.getvalue()


def read_partner_table(path: str | os.PathLike) -> pd.DataFrame:
    """A CSV or Excel file as text columns (:func:`placebased.io.tables.read_table`: encodings, separators,
    binary files, size limits, one-line errors)."""
    return tables.read_table(path, "partner")


def partner_times(
    data: pd.DataFrame | str | os.PathLike | Sequence[str | os.PathLike],
    threshold: int = 5,
    postcodes: str | os.PathLike | None = None,
) -> PartnerTimesResult:
    """Locate partner records, tabulate them by day and hour, and measure the weekend window by age band.

    Parameters
    ----------
    data
        A table (text columns) or one or more CSV/Excel files with an arrival date-time (or a date
        and a time column), an age or age band, and a postcode, grid reference or free-text location.
    threshold
        Published counts from 1 to ``threshold - 1`` are suppressed.
    postcodes
        A Code-Point Open style postcode table (default the shipped Northamptonshire one).
    """
    from placebased.stats.timeseries import DAYS, time_of_week

    if isinstance(data, pd.DataFrame):
        frames = [(data.reset_index(drop=True), "table")]
    else:
        files = [data] if isinstance(data, str | os.PathLike) else list(data)
        frames = [(read_partner_table(f), Path(f).name) for f in files]
    parts, notes = [], []
    for raw, name in frames:
        if raw.empty:
            raise file_error(name, "has no rows", "export it again with its records")
        date, hour = _times(raw, name)
        age_col = find_column(list(raw.columns), _AGE_NAMES)
        loc = _locate(raw, postcodes)
        bad_dates = int(date.isna().sum())
        if bad_dates:
            notes.append(f"{name}: {bad_dates:,} records without a readable date")
        parts.append(pd.DataFrame({
            "source": name, "source_row": np.arange(2, len(raw) + 2), "date": date.to_numpy(),
            "hour": hour.to_numpy(), "age_band": _band(raw[age_col]).to_numpy() if age_col else "unknown",
            **{c: loc[c].to_numpy() for c in ("x", "y", "confidence", "method")},
        }))
    rec = pd.concat(parts, ignore_index=True)
    rec["day"] = pd.Series([DAYS[int(d)] if d == d else pd.NA for d in pd.to_datetime(rec["date"]).dt.dayofweek],
                           dtype="string")
    timed = rec["hour"].notna() & rec["day"].notna()
    if not timed.any():
        raise DataError("none of the records has a readable arrival date and time; give arrival_datetime "
                        "(e.g. 2025-03-15 02:40) or arrival_date and arrival_time columns.")
    if (~timed).sum():
        notes.append(f"{int((~timed).sum()):,} records without a time are left out of the day x hour table and "
                     "the window shares")
    rec["in_window"] = timed & rec["day"].isin(WINDOW_DAYS).fillna(False) & rec["hour"].isin(WINDOW_HOURS)
    tw = pd.DataFrame({"date": pd.to_datetime(rec["date"]), "time": rec["hour"].map(
        lambda h: f"{int(h):02d}:00" if h == h else pd.NA).astype("string"), "weight": 1.0,
        "category": "records"})
    day_hour = time_of_week(tw).astype("int64")
    day_hour.attrs.update(with_time=int(timed.sum()), without_time=int((~timed).sum()))
    t = rec[timed]
    by = t.groupby("age_band").agg(records=("in_window", "size"), in_window=("in_window", "sum"))
    by.loc["all"] = [len(t), int(t["in_window"].sum())]
    by["share_in_window"] = by["in_window"] / by["records"]
    by = by.reset_index()
    by[["records", "in_window"]] = by[["records", "in_window"]].astype("int64")
    return PartnerTimesResult(records=rec, day_hour=day_hour, window_by_age=by, threshold=int(threshold),
                              notes=tuple(notes))

"""The data.police.uk custom download as it comes: a zip with one folder per month.

``2025-01/2025-01-leicestershire-street.csv`` (street-level crime), optionally
``…-outcomes.csv`` and ``…-stop-and-search.csv``, for one or several forces. The reader in
:mod:`placebased.io.incidents` reads the street files member by member (streaming, with a progress
callback); this module names the members, adds the last outcome per crime (police.uk ``Crime ID``)
and keeps the records in the user's areas (by the records' own LSOA codes when their vintage
matches the areas', by location otherwise), and says what it did in one line.

Edge cases (tests/test_incidents_download.py): a zip that is not a police.uk download, only outcomes
files, a download for another force than the areas (zero kept: an error naming the forces found),
months missing between the first and the last, the same month twice, LSOA 2011 codes in the records
with LSOA 2021 areas (filtered by location).
"""

from __future__ import annotations

import dataclasses
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from placebased.errors import DataError
from placebased.io.geography import _lsoa11_to_21, area_authorities, lsoa_table, place_label

#: ``YYYY-MM/YYYY-MM-<force>-<kind>.csv`` (the folder may sit inside another folder)
MEMBER_RE = re.compile(r"(?:^|/)(\d{4}-\d{2})/(\d{4}-\d{2})-([a-z0-9-]+?)-(street|outcomes|stop-and-search)\.csv$",
                       re.IGNORECASE)

#: a progress callback: ``(done, total, what)``; the CLI prints a line, the app moves ``st.progress``
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Member:
    name: str
    month: str
    force: str
    kind: str  # street | outcomes | stop-and-search


def parse_member(name: str) -> Member | None:
    """The month, force and kind of a police.uk download member, or None.

    >>> parse_member("2025-01/2025-01-leicestershire-street.csv")
    Member(name='2025-01/2025-01-leicestershire-street.csv', month='2025-01', force='leicestershire', kind='street')
    >>> parse_member("notes.csv") is None
    True
    """
    m = MEMBER_RE.search(name.replace("\\", "/"))
    if not m or m.group(1) != m.group(2):
        return None
    return Member(name, m.group(2), m.group(3).lower(), m.group(4).lower())


@dataclass
class DownloadInfo:
    """What a police.uk download holds (filled by the reader)."""

    street: list[Member] = field(default_factory=list)
    outcomes: list[Member] = field(default_factory=list)
    stop_and_search: list[Member] = field(default_factory=list)

    @property
    def months(self) -> list[str]:
        return sorted({m.month for m in self.street})

    @property
    def forces(self) -> list[str]:
        return sorted({m.force for m in self.street})

    def notes(self) -> list[str]:
        """Mixed months: gaps between the first and last month, a month twice for one force."""
        out = []
        months = self.months
        if months:
            first, last = pd.Period(months[0], "M"), pd.Period(months[-1], "M")
            missing = [str(p) for p in pd.period_range(first, last, freq="M") if str(p) not in months]
            if missing:
                out.append(f"police.uk download: no street file for {len(missing)} month(s) between {months[0]} "
                           f"and {months[-1]} ({', '.join(missing[:6])}{' ...' if len(missing) > 6 else ''}); "
                           "counts per month there are not zeros but missing")
            for force in self.forces:
                ms = [m.month for m in self.street if m.force == force]
                if len(ms) != len(set(ms)):
                    twice = sorted({m for m in ms if ms.count(m) > 1})
                    out.append(f"police.uk download: {force} has more than one street file for "
                               f"{', '.join(twice)} (two downloads zipped together?); records with the same "
                               "Crime ID are counted once")
        if self.stop_and_search:
            out.append(f"police.uk download: {len(self.stop_and_search)} stop-and-search file(s) left out (they "
                       "are searches, not crimes)")
        return out


def classify(names: Iterable[str]) -> DownloadInfo | None:
    """Sort a zip's member names into a :class:`DownloadInfo`; None when no member is a police.uk file."""
    info = DownloadInfo()
    for n in names:
        m = parse_member(n)
        if m is None:
            continue
        {"street": info.street, "outcomes": info.outcomes, "stop-and-search": info.stop_and_search}[m.kind].append(m)
    if not (info.street or info.outcomes or info.stop_and_search):
        return None
    info.street.sort(key=lambda m: (m.month, m.force, m.name))
    info.outcomes.sort(key=lambda m: (m.month, m.force, m.name))
    return info


def last_outcomes(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """The last outcome per ``Crime ID`` over outcomes files (latest ``Month``; the later file wins a tie).

    >>> a = pd.DataFrame({"Crime ID": ["x", "y"], "Month": ["2025-01", "2025-01"], "Outcome type": ["A", "B"]})
    >>> b = pd.DataFrame({"Crime ID": ["x"], "Month": ["2025-02"], "Outcome type": ["C"]})
    >>> last_outcomes([a, b])["last_outcome"].to_dict()
    {'x': 'C', 'y': 'B'}
    """
    parts = []
    for i, f in enumerate(frames):
        if not {"Crime ID", "Month", "Outcome type"} <= set(f.columns):
            continue
        part = f[["Crime ID", "Month", "Outcome type"]].dropna(subset=["Crime ID"])
        part = part[part["Crime ID"].astype(str).str.strip() != ""].copy()
        part["_order"] = i
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=["last_outcome", "last_outcome_month"], index=pd.Index([], name="crime_id"))
    allp = pd.concat(parts, ignore_index=True)
    allp["_row"] = np.arange(len(allp))
    allp = allp.sort_values(["Month", "_order", "_row"]).drop_duplicates("Crime ID", keep="last")
    out = allp.set_index("Crime ID")[["Outcome type", "Month"]]
    out.columns = ["last_outcome", "last_outcome_month"]
    out.index.name = "crime_id"
    return out.sort_index()


# ---------------------------------------------------------------------------------------------
# keep the records in the user's areas


@dataclass(frozen=True)
class AreaFilter:
    """What :func:`keep_in_areas` did."""

    read: int
    kept: int
    outside: int
    by: str  # "LSOA code" | "location"
    months: tuple[str, ...]
    forces: tuple[str, ...]

    def line(self) -> str:
        months = (f"{len(self.months)} month{'s' if len(self.months) != 1 else ''} "
                  f"({self.months[0]} to {self.months[-1]})") if self.months else "no months"
        return (f"police.uk download: {months}; force{'s' if len(self.forces) != 1 else ''} "
                f"{', '.join(self.forces) or 'none'}; street records read {self.read:,}, kept {self.kept:,} in "
                f"the areas, outside {self.outside:,} (matched by {self.by})")


def _codes_match(record_codes: pd.Series, area_codes: pd.Index) -> bool:
    """True when the records' LSOA codes are of the areas' vintage: the areas are LSOAs 2021 (or 2011)
    and at least 99% of the records' codes are LSOA 2021 (or 2011) codes."""
    codes = record_codes.dropna().astype(str)
    if not len(codes) or not len(area_codes):
        return False
    for known in (lsoa_table().index, _lsoa11_to_21().index):
        if pd.Index(area_codes).isin(known).mean() > 0.99:
            return bool(codes.isin(known).mean() > 0.99)
    return False


def keep_in_areas(points, areas, forces: Iterable[str] = (), months: Iterable[str] = ()):
    """The records of a police.uk download that lie in ``areas``, and an :class:`AreaFilter`.

    By the records' ``LSOA code`` when it is of the areas' vintage (the areas are LSOAs of that year),
    else by location (point in polygon, EPSG:27700). Zero records kept is an error naming the forces
    found and the areas' force area.
    """
    forces, months = tuple(forces), tuple(months)
    codes = points.get("lsoa_code_source")
    if codes is not None and areas.index.astype(str).str.match(r"^[EW]01\d{6}$").all() and _codes_match(
            codes, areas.index):
        keep = codes.astype("string").isin(areas.index.astype(str)).fillna(False).to_numpy(dtype=bool)
        by = "LSOA code"
    else:
        outline = gpd.GeoSeries(areas.geometry, crs=areas.crs).to_crs(points.crs)
        idx = outline.sindex.query(points.geometry, predicate="intersects")
        keep = np.zeros(len(points), dtype=bool)
        keep[np.unique(idx[0])] = True
        by = "location"
    kept = points[keep]
    result = AreaFilter(read=len(points), kept=int(keep.sum()), outside=int((~keep).sum()), by=by,
                        months=months, forces=forces)
    if len(points) and not len(kept):
        try:
            place = place_label(areas)
        except Exception:  # noqa: BLE001 - the error message must not fail
            place = "these areas"
        fa = sorted(set(area_authorities(areas)["force"].dropna()))
        raise DataError(f"police.uk download: none of its {len(points):,} street records lies in the areas "
                        f"({place}); it holds force(s) {', '.join(forces) or 'unknown'}"
                        + (f", but the areas are in the {', '.join(fa)} force area" if fa else "")
                        + "; download that force's data from data.police.uk (custom download).")
    return kept, result


def filter_to_areas(incidents, areas):
    """An :class:`~placebased.io.incidents.IncidentSet` whose police.uk download records are those in
    ``areas`` (:func:`keep_in_areas`), with the one-line account added to its notes. Incidents that did
    not come from a download are returned unchanged."""
    info = incidents.report.download
    if not info or "force" not in incidents.points.columns:
        return incidents
    pts = incidents.points
    from_dl = pts["force"].notna().to_numpy()
    kept, result = keep_in_areas(pts[from_dl], areas, forces=sorted(info.get("forces", ())),
                                 months=sorted(info.get("months", ())))
    points = pd.concat([kept, pts[~from_dl]]) if (~from_dl).any() else kept
    # copies made with dataclasses.replace: this module is below io.incidents (which reads the downloads)
    report = dataclasses.replace(incidents.report, notes=list(incidents.report.notes) + [result.line()],
                                 download=dict(info, filtered=result))
    return dataclasses.replace(incidents, points=points.reset_index(drop=True), report=report)


def cli_progress(stream=None, label: str = "reading police.uk download") -> Progress:
    """A progress callback that keeps one line on stderr up to date (a line per tenth when not a terminal)."""
    out = stream or sys.stderr
    tty = getattr(out, "isatty", lambda: False)()
    shown = {"step": -1}

    def show(done: int, total: int, what: str) -> None:
        step = int(10 * done / max(total, 1))
        if tty:
            out.write(f"\r{label}: {done}/{total} ({what.rsplit('/', 1)[-1]})\x1b[K")
            if done == total:
                out.write("\n")
        elif step != shown["step"] or done == total:
            out.write(f"{label}: {done}/{total} files\n" if "police.uk" in label else f"{label}: {done}/{total}\n")
        shown["step"] = step
        out.flush()

    return show


__all__ = ["AreaFilter", "DownloadInfo", "Member", "classify", "cli_progress", "filter_to_areas", "keep_in_areas",
           "last_outcomes", "parse_member"]

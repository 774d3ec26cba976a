"""Where an area is in England: LSOA 2021 -> local authority (2024) -> police force area.

The lookups ship with placebased (``indicators/LSOA21_LAD24_EN.csv.gz`` and
``indicators/LAD24_PFA_EN.csv``; see ``indicators/README.md`` for their sources). They let a user
name their area (``--la "Leicester"``, ``--la E06000016``, ``--force "Leicestershire"``), tell
whether the areas are the shipped Northamptonshire ones (the only areas the shipped incidents and
example provision describe), and compare an area with its own local authority, force area and
England.

Self-contained: reads only its own data files (pandas), never the rest of placebased except errors.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd

from placebased._paths import INDICATORS, LSOA21_BOUNDARIES, default_incident_files
from placebased.errors import ConfigError
from placebased.io.areas import iod_table

_DATA = INDICATORS
LSOA_LAD_FILE = _DATA / "LSOA21_LAD24_EN.csv.gz"
LAD_PFA_FILE = _DATA / "LAD24_PFA_EN.csv"
LSOA11_LOOKUP_FILE = _DATA / "LSOA11_LSOA21_LAD22_EW_LU.csv.gz"

#: the local authorities of the shipped data (North and West Northamptonshire)
SHIPPED_LADS = frozenset({"E06000061", "E06000062"})
SHIPPED_FORCE = "Northamptonshire"

#: forces outside England (a clear error rather than "unknown")
FORCES_OUTSIDE_ENGLAND = ("Dyfed-Powys", "Gwent", "North Wales", "South Wales", "Police Scotland",
                          "Police Service of Northern Ireland", "British Transport Police")
_COUNTRY_PREFIX = {"W": "Wales", "S": "Scotland", "N": "Northern Ireland"}


@lru_cache(maxsize=1)
def authorities() -> pd.DataFrame:
    """Every English local authority district (April 2024): ``LAD24CD`` (index), ``LAD24NM``,
    ``UTLA_NM`` (county or unitary), ``RGN_NM``, ``PFA_NM`` (police force area) and
    ``police_uk_force`` (the force's name in police.uk file names)."""
    return pd.read_csv(LAD_PFA_FILE, dtype=str).set_index("LAD24CD")


@lru_cache(maxsize=1)
def lsoa_table() -> pd.DataFrame:
    """Every LSOA 2021 in England with its authority and force: index ``LSOA21CD``; columns
    ``LSOA21NM``, ``LAD24CD``, ``LAD24NM``, ``PFA_NM``."""
    lsoa = pd.read_csv(LSOA_LAD_FILE, dtype=str).set_index("LSOA21CD")
    lad = authorities()
    return lsoa.join(lad[["LAD24NM", "PFA_NM"]], on="LAD24CD")


@lru_cache(maxsize=1)
def _lsoa11_to_21() -> pd.Series:
    lu = pd.read_csv(LSOA11_LOOKUP_FILE, dtype=str, usecols=["LSOA11CD", "LSOA21CD"])
    return lu.drop_duplicates("LSOA11CD").set_index("LSOA11CD")["LSOA21CD"]


def forces() -> list[str]:
    """The police force areas of England, by name (39: 37 territorial forces, the Metropolitan
    Police and the City of London Police)."""
    return sorted(authorities()["PFA_NM"].unique())


def _norm(text: str) -> str:
    t = re.sub(r"[^a-z0-9]+", " ", str(text).lower()).strip()
    t = re.sub(r"\b(city of|county of|council|borough|district|constabulary|police|service|force)\b", " ", t)
    return " ".join(t.split())


def _closest(name: str, choices: Iterable[str], what: str) -> str:
    choices = list(choices)
    close = difflib.get_close_matches(str(name), choices, n=3, cutoff=0.5)
    if not close:
        by_norm = {_norm(c): c for c in choices}
        close = [by_norm[c] for c in difflib.get_close_matches(_norm(name), list(by_norm), n=3, cutoff=0.5)]
    hint = f"closest: {', '.join(close)}" if close else f"the {what} are listed in indicators/LAD24_PFA_EN.csv"
    return hint


def _outside_england_authority(text: str) -> str | None:
    """The country of a non-English LAD code or name (from the LSOA 2011 -> LAD lookup), else None."""
    code = text.strip().upper()
    if re.fullmatch(r"[WSN]\d{8}", code):
        return _COUNTRY_PREFIX[code[0]]
    return None


def resolve_authorities(names: Iterable[str]) -> list[str]:
    """LAD 2024 codes of local authorities given by name or code (case and punctuation ignored).

    >>> resolve_authorities(["Leicester", "e06000017"])
    ['E06000016', 'E06000017']
    """
    lad = authorities()
    by_code = {c.upper(): c for c in lad.index}
    by_name = {}
    for code, nm in lad["LAD24NM"].items():
        by_name.setdefault(str(nm).lower(), code)
        by_name.setdefault(_norm(nm), code)
    out: list[str] = []
    for raw in names:
        text = str(raw).strip()
        code = by_code.get(text.upper()) or by_name.get(text.lower()) or by_name.get(_norm(text))
        if code is None:
            country = _outside_england_authority(text) or _welsh_name(text)
            if country:
                raise ConfigError(f"--la {text!r}: that authority is in {country}, not England; placebased "
                                  "covers English local authorities (IoD and police force areas of England).")
            raise ConfigError(f"--la {text!r}: no English local authority of that name or code; "
                              f"{_closest(text, lad['LAD24NM'], 'authorities')}.")
        if code not in out:
            out.append(code)
    return out


@lru_cache(maxsize=1)
def _welsh_names() -> frozenset[str]:
    lu = pd.read_csv(LSOA11_LOOKUP_FILE, dtype=str, usecols=["LAD22CD", "LAD22NM"]).drop_duplicates()
    return frozenset(_norm(n) for c, n in lu.itertuples(index=False) if str(c).startswith("W"))


def _welsh_name(text: str) -> str | None:
    return "Wales" if _norm(text) in _welsh_names() else None


def resolve_forces(names: Iterable[str]) -> list[str]:
    """Police force area names (as in :func:`forces`) from names given loosely
    ("Leicestershire Police", "leicestershire", "Met").

    >>> resolve_forces(["leicestershire police"])
    ['Leicestershire']
    """
    known = forces()
    lookup = {_norm(f): f for f in known}
    lookup.update({_norm(s): f for s, f in authorities()[["police_uk_force", "PFA_NM"]].itertuples(index=False)})
    lookup.update({"met": "Metropolitan Police", "metropolitan": "Metropolitan Police",
                   "london": "Metropolitan Police", "hampshire and isle of wight": "Hampshire"})
    out: list[str] = []
    for raw in names:
        text = str(raw).strip()
        force = lookup.get(_norm(text))
        if force is None:
            outside = [f for f in FORCES_OUTSIDE_ENGLAND if _norm(f) == _norm(text)]
            if outside:
                raise ConfigError(f"--force {text!r}: that force is not an English police force area; placebased "
                                  "covers England's force areas.")
            raise ConfigError(f"--force {text!r}: no English police force area of that name; "
                              f"{_closest(text, known, 'forces')}.")
        if force not in out:
            out.append(force)
    return out


def select_lsoas(la: Iterable[str] = (), force: Iterable[str] = ()) -> pd.DataFrame:
    """The LSOAs 2021 of the named local authorities and/or force areas (rows of :func:`lsoa_table`).

    >>> len(select_lsoas(la=["Rutland"])) > 0
    True
    """
    la, force = list(la or ()), list(force or ())
    if not la and not force:
        raise ConfigError("name at least one local authority (--la) or police force area (--force).")
    table = lsoa_table()
    keep = pd.Series(False, index=table.index)
    if la:
        keep |= table["LAD24CD"].isin(resolve_authorities(la))
    if force:
        keep |= table["PFA_NM"].isin(resolve_forces(force))
    return table[keep]


def describe_selection(selected: pd.DataFrame) -> str:
    """One line: how many LSOAs, of which authorities and forces."""
    las = sorted(selected["LAD24NM"].unique())
    fs = sorted(selected["PFA_NM"].unique())
    shown = ", ".join(las[:6]) + (f" and {len(las) - 6} more" if len(las) > 6 else "")
    return f"{len(selected):,} LSOAs 2021 of {shown} ({'; '.join(fs)} police force area{'s' if len(fs) > 1 else ''})"


# ---------------------------------------------------------------------------------------------
# which areas are these?


def _known(codes: pd.Index, index: pd.Index) -> np.ndarray:
    """``codes.isin(index)`` through object hash tables (pandas' string ``isin`` turns all of ``index``, e.g.
    every LSOA in England, into Python strings on each call: 0.6 s)."""
    return pd.Index(codes.to_numpy(dtype=object), dtype=object).isin(index.to_numpy(dtype=object))


def lsoa21_codes(codes: Iterable[str]) -> pd.Series:
    """LSOA 2021 code per given code (LSOA 2021 codes kept, 2011 codes mapped; others ``<NA>``)."""
    codes = pd.Index([str(c) for c in codes])
    table = lsoa_table()
    out = pd.Series(pd.NA, index=codes, dtype="object")
    is21 = _known(codes, table.index)
    out[is21] = codes[is21]
    rest = codes[~is21]
    if len(rest):
        mapped = _lsoa11_to_21().reindex(rest)
        out[rest] = mapped.where(_known(pd.Index(mapped.to_numpy()), table.index)).to_numpy()
    return out


def area_authorities(areas: pd.DataFrame) -> pd.DataFrame:
    """Authority and force of each area: index as ``areas``; ``lad_code``, ``lad_name``, ``force``.

    LSOA codes (2021, or 2011 via the ONS lookup) are looked up; other areas use their
    ``lad_code`` column when they have one; the rest stay blank.
    """
    table = lsoa_table()
    lad_info = authorities()
    l21 = lsoa21_codes(areas.index)
    lad = pd.Series(table["LAD24CD"].reindex(l21.fillna("").to_numpy()).to_numpy(), index=areas.index,
                    dtype="object")
    if "lad_code" in areas.columns:
        own = areas["lad_code"].astype("object")
        lad = lad.where(lad.notna(), own.where(own.isin(lad_info.index)))
    out = pd.DataFrame({"lad_code": lad}, index=areas.index)
    out["lad_name"] = lad_info["LAD24NM"].reindex(lad.fillna("").to_numpy()).to_numpy()
    out["force"] = lad_info["PFA_NM"].reindex(lad.fillna("").to_numpy()).to_numpy()
    return out


def is_shipped_area(areas: pd.DataFrame) -> bool:
    """True when every area lies in Northamptonshire (the shipped LSOAs, a subset of them, or zones
    whose indicators were interpolated from them): the only areas the shipped incidents and example
    provision describe."""
    if len(areas) == 0:
        return False
    source = str(getattr(areas, "attrs", {}).get("source", ""))
    if source.startswith("Northamptonshire LSOA") or "interpolated from Northamptonshire" in source:
        return True
    info = area_authorities(areas)
    if info["lad_code"].notna().any():
        return bool(info["lad_code"].notna().all() and info["lad_code"].isin(SHIPPED_LADS).all())
    return _shipped_overlap(areas) >= 0.25  # zones without LSOA codes: where are they?


@lru_cache(maxsize=1)
def _shipped_outline():
    shipped = gpd.read_file(LSOA21_BOUNDARIES).to_crs(27700)
    return shipped.geometry.union_all()


def defaults_apply(areas) -> bool:
    """True when the shipped incidents and example provision may be used for ``areas``: they are the
    shipped Northamptonshire LSOAs (or lie inside them). ``areas`` None = the shipped areas."""
    return True if areas is None else is_shipped_area(areas)


def default_incident_files_for(areas) -> list:
    """The shipped police.uk files (paths) when they describe ``areas``, else an empty list."""
    return default_incident_files() if defaults_apply(areas) else []


def _shipped_overlap(areas) -> float:
    """Share of the areas' surface inside the shipped Northamptonshire LSOAs (0 without geometry)."""
    geom = getattr(areas, "geometry", None)
    if geom is None or getattr(areas, "crs", None) is None or len(areas) == 0:
        return 0.0
    g = areas.geometry.to_crs(27700)
    total = float(g.area.sum())
    return float(g.intersection(_shipped_outline()).area.sum()) / total if total > 0 else 0.0


@dataclass(frozen=True)
class Comparison:
    """A comparison group for an area: its label (e.g. "Leicester (local authority)"), kind and the
    LSOA 2021 codes of England in it."""

    label: str
    kind: str  # "local authority" | "force area" | "England"
    name: str
    codes: tuple[str, ...]


def comparisons(areas: pd.DataFrame, code: str | None = None) -> list[Comparison]:
    """The groups an area (or, with ``code=None``, the whole set of areas) is compared with: its own
    local authority, its police force area and England, with names from the shipped lookups.

    The authority and force of a set are those holding most of its areas.
    """
    info = area_authorities(areas)
    rows = info.loc[[code]] if code is not None else info
    table = lsoa_table()
    out: list[Comparison] = []
    lad = rows["lad_code"].dropna()
    if len(lad):
        lad_code = lad.mode().iloc[0]
        name = authorities().at[lad_code, "LAD24NM"]
        out.append(Comparison(f"{name} (local authority)", "local authority", name,
                              tuple(table.index[table["LAD24CD"] == lad_code])))
        force = authorities().at[lad_code, "PFA_NM"]
        out.append(Comparison(f"{force} (police force area)", "force area", force,
                              tuple(table.index[table["PFA_NM"] == force])))
    out.append(Comparison("England", "England", "England", tuple(table.index)))
    return out


def place_label(areas: pd.DataFrame) -> str:
    """The name of the place the areas are in: its force area when they span several authorities of
    one force, else the authority; "England" when unknown.

    >>> import pandas as pd
    >>> place_label(pd.DataFrame(index=["E01013648"]))
    'Leicester'
    """
    info = area_authorities(areas)
    lads = info["lad_name"].dropna().unique()
    if len(lads) == 1:
        return str(lads[0])
    fs = info["force"].dropna().unique()
    if len(fs) == 1:
        return str(fs[0])
    return "England" if not len(lads) else ", ".join(sorted(map(str, lads))[:3])


def coverage_label(areas: pd.DataFrame) -> str | None:
    """The name of the place the areas make up whole: a police force area when they hold all its LSOAs,
    else the local authorities whose LSOAs they hold all of (every area in one of them); None otherwise
    (e.g. 30 LSOAs of a city)."""
    l21 = lsoa21_codes(areas.index).dropna()
    if not len(l21) or len(l21) < len(areas):
        return None
    have = set(l21)
    table = lsoa_table()
    mine = table.loc[sorted(have)]
    for force in mine["PFA_NM"].unique():
        if set(table.index[table["PFA_NM"] == force]) == have:
            return str(force)
    lads = mine["LAD24CD"].unique()
    if set(table.index[table["LAD24CD"].isin(lads)]) == have:
        return " and ".join(sorted(authorities().loc[lads, "LAD24NM"]))
    return None


def deprivation_comparisons(codes: Iterable[str]) -> list[tuple[str, float, float]]:
    """IoD 2025 for the comparison groups of the LSOAs ``codes`` (their local authority, force area and
    England): ``(label, % of LSOAs in England's most deprived 10%, mean IMD score)``."""
    iod = iod_table(2025, england=True)
    out = []
    for comp in comparisons(pd.DataFrame(index=pd.Index(list(codes)))):
        t = iod.reindex(list(comp.codes)).dropna(subset=["imd_decile"])
        if len(t):
            out.append((comp.label, float((t["imd_decile"] == 1).mean() * 100), float(t["imd_score"].mean())))
    return out


def comparison_sentence(codes: Iterable[str], vintage: int = 2025) -> str:
    """One sentence comparing the areas' own local authority, force area and England on IoD 2025
    (empty for other vintages or areas that are not LSOAs in England).

    >>> comparison_sentence(["E01013648"]).split(":")[0]
    'Compared with its local authority, force area and England (IoD 2025'
    """
    if int(vintage) != 2025:
        return ""
    rows = deprivation_comparisons(codes)
    if len(rows) < 2:
        return ""
    parts = "; ".join(f"{label} {share:.0f}% / {score:.1f}" for label, share, score in rows)
    return ("Compared with its local authority, force area and England (IoD 2025: LSOAs in England's most "
            f"deprived 10% / mean IMD score): {parts}.")


__all__ = ["Comparison", "SHIPPED_LADS", "area_authorities", "authorities", "comparison_sentence", "comparisons",
           "coverage_label", "default_incident_files_for", "defaults_apply", "deprivation_comparisons",
           "describe_selection",
           "forces", "is_shipped_area", "lsoa21_codes", "lsoa_table", "place_label", "resolve_authorities",
           "resolve_forces", "select_lsoas"]

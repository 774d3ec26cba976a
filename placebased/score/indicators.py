"""Indicators: the catalogue, the indicator table of an area set, and users' own LSOA tables.

The catalogue (``indicators/catalogue.toml``) lists every indicator placebased knows: id, label,
source and vintage, unit, direction (``higher``: more means more need; ``lower``: less means more
need), group, default weight, description and licence. :func:`build_indicator_table` turns an
areas frame (and optionally incident counts, Gi* z-scores and users' tables) into one numeric
column per indicator id, indexed by ``area_code``; :mod:`placebased.score.scoring` scores any such table
without recomputing statistics.

Users' tables (:func:`read_user_table`) are CSV or Excel files with an area code column and value
columns (A&E assault attendances, school exclusions, youth offending cohort ...). They are checked
on load: duplicate codes, blank codes and non-numeric values are errors naming the file, row and
column; codes not among the areas, areas without a row, and suppression markers (``*``, ``c``,
``x``, ``..``, ``-``, ``<5``) are warnings, and the values become missing (scored per the
scenario's missing policy).
"""

from __future__ import annotations

import re
import tomllib
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from placebased import _paths
from placebased.categories import GROUPS, group_of
from placebased.errors import ConfigError, SchemaError, file_error
from placebased.io import tables
from placebased.io.areas import AREA_SCHEMA, DataWarning
from placebased.stats.smoothing import variable_values

DIRECTIONS = ("higher", "lower")
MEASURES = ("count", "rate", "eb_rate", "gi_z")
#: cell values read as "suppressed / not available" in users' tables (a warning, value missing)
SUPPRESSION_MARKERS = {"*", "c", "x", "..", ".", "-", "n/a", "na", "s", "suppressed", "[c]", "[x]", "[z]"}
#: largest absolute value accepted in a user's table (beyond it sums and z-scores lose meaning)
MAX_VALUE = 1e12
_CODE_HEADERS = ("area_code", "lsoa21cd", "lsoa11cd", "lsoa_code", "lsoa code", "lsoa code (2021)", "lsoa", "code")
_ID_RE = re.compile(r"[^0-9a-z]+")


@dataclass(frozen=True)
class Indicator:
    """One catalogue entry (see ``indicators/catalogue.toml`` for the meaning of each field)."""

    id: str  # noqa: A003 - the catalogue's field name
    label: str
    source: str = ""
    vintage: str = ""
    unit: str = ""
    direction: str = "higher"
    group: str = "user"
    default_weight: float = 0.0
    description: str = ""
    licence: str = ""
    column: str | None = None
    incidents: str | None = None
    measure: str | None = None


@lru_cache(maxsize=4)
def _load_catalogue(path: str) -> tuple[Indicator, ...]:
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise file_error(path, "catalogue file not found", "reinstall placebased or pass a catalogue path") from exc
    except tomllib.TOMLDecodeError as exc:
        raise file_error(path, f"not valid TOML ({exc})", "fix the syntax", ConfigError) from exc
    known = set(Indicator.__dataclass_fields__)
    out, seen = [], set()
    for i, entry in enumerate(data.get("indicator", []), start=1):
        unknown = set(entry) - known
        if unknown:
            raise file_error(path, f"indicator {i} has unknown field(s) {', '.join(sorted(unknown))}",
                             f"use only {', '.join(sorted(known))}", ConfigError)
        if "id" not in entry or "label" not in entry:
            raise file_error(path, f"indicator {i} lacks an id or label", "give both", ConfigError)
        if entry["id"] in seen:
            raise file_error(path, f"indicator id {entry['id']!r} appears twice", "keep one", ConfigError)
        if entry.get("direction", "higher") not in DIRECTIONS:
            raise file_error(path, f"indicator {entry['id']!r} has direction {entry.get('direction')!r}",
                             "use 'higher' or 'lower'", ConfigError)
        seen.add(entry["id"])
        out.append(Indicator(**{**entry, "default_weight": float(entry.get("default_weight", 0.0))}))
    return tuple(out)


def load_catalogue(path: str | Path | None = None) -> dict[str, Indicator]:
    """The indicator catalogue as ``{id: Indicator}``, in file order.

    Examples
    --------
    >>> cat = load_catalogue()
    >>> cat["imd_score"].direction, cat["imd_rank"].direction
    ('higher', 'lower')
    """
    entries = _load_catalogue(str(path or _paths.CATALOGUE))
    return {e.id: e for e in entries}


def catalogue_for_vintage(vintage: int = 2025) -> dict[str, Indicator]:
    """The catalogue with the IoD indicators labelled for ``vintage`` (2019 relabels the IoD2025 entries:
    same columns, IoD2019 values on LSOA 2011)."""
    cat = load_catalogue()
    if int(vintage) != 2019:
        return cat
    out = {}
    for key, ind in cat.items():
        if "Indices of Deprivation 2025" in ind.source:
            ind = replace(ind, label=ind.label.replace("2025", "2019"),
                          source="MHCLG, English Indices of Deprivation 2019 (ranks and deciles; IMD score "
                                 "re-derived from File 9), published 26 Sep 2019",
                          vintage="IoD2019 (indicators mostly 2015-2017; LSOA 2011)")
        out[key] = ind
    return out


def indicator_info(ind_id: str, catalogue: Mapping[str, Indicator] | None = None) -> Indicator:
    """The catalogue entry of ``ind_id``, or a plain user entry (direction ``higher``) if unknown."""
    cat = load_catalogue() if catalogue is None else catalogue
    if ind_id in cat:
        return cat[ind_id]
    return Indicator(id=ind_id, label=ind_id.replace("_", " "), source="user table", group="user")


def catalogue_frame(catalogue: Mapping[str, Indicator] | None = None) -> pd.DataFrame:
    """The catalogue as a table indexed by ``id`` (for display and documentation)."""
    cat = load_catalogue() if catalogue is None else catalogue
    frame = pd.DataFrame([e.__dict__ for e in cat.values()]).set_index("id")
    return frame


def default_weights(catalogue: Mapping[str, Indicator] | None = None) -> dict[str, float]:
    """``{id: default_weight}`` for the catalogue entries whose default weight is positive."""
    cat = load_catalogue() if catalogue is None else catalogue
    return {k: e.default_weight for k, e in cat.items() if e.default_weight > 0}


# ---------------------------------------------------------------------------------------------
# users' tables


@dataclass(frozen=True)
class UserTable:
    """A user's LSOA-level table after validation: ``values`` indexed by area code (float columns)."""

    path: str
    values: pd.DataFrame
    warnings: tuple[str, ...] = field(default_factory=tuple)


def indicator_id(name: str) -> str:
    """A column header as an indicator id: lower case, runs of other characters as ``_``."""
    out = _ID_RE.sub("_", str(name).strip().lower()).strip("_")
    return out or "value"


def _read_any(path: Path) -> tuple[pd.DataFrame, int]:
    """Read CSV/Excel as text (:func:`placebased.io.tables.read_table`: encodings, separators, binary files,
    size limits); return the frame and the file row number of its first data row."""
    return tables.read_table(path, "indicator"), 2


def reserved_ids(catalogue: Mapping[str, Indicator] | None = None) -> dict[str, str]:
    """Ids a column of a user's table may not take, with what each already means: the catalogue's
    indicators, every ``<group>_<measure>`` incident indicator, and the area columns of
    :data:`~placebased.io.areas.AREA_SCHEMA` (``population``, ``imd_decile`` ...)."""
    cat = load_catalogue() if catalogue is None else catalogue
    out = {k: f"area column ({v})" for k, v in AREA_SCHEMA.items()}
    out.update({"area_code": "the area code", "area_name": "the area name"})
    out.update({f"{g}_{m}": f"incident indicator {g} {m.replace('_', ' ')}" for g in GROUPS for m in MEASURES})
    out.update({k: f"built-in indicator '{e.label}'" for k, e in cat.items()})
    return out


def check_user_tables(tables: Iterable[UserTable]) -> None:
    """Raise ConfigError when two users' tables give the same indicator id (as
    :func:`build_indicator_table` would later): call it where the tables are uploaded."""
    seen: dict[str, str] = {}
    for t in tables:
        for c in t.values.columns:
            if c in seen:
                raise file_error(t.path, f"column {c!r} has the same id as a column of {Path(seen[c]).name}",
                                 "rename one of them, or upload one of the tables only", ConfigError)
            seen[c] = t.path


def _find_code_column(frame: pd.DataFrame, path: Path, code_column: str | None, known: pd.Index) -> str:
    if code_column is not None:
        if code_column not in frame.columns:
            raise file_error(path, f"no column {code_column!r} (columns: {', '.join(map(str, frame.columns))})",
                             "name the area code column with --code-column", SchemaError)
        return code_column
    found = tables.find_column(frame.columns, _CODE_HEADERS)
    if found is not None:
        return found
    for c in frame.columns:  # the first column holding mostly known codes
        vals = frame[c].astype(str).str.strip()
        if len(vals) and vals.isin(known).mean() > 0.5:
            return c
    raise file_error(path, f"no area code column found (columns: {', '.join(map(str, frame.columns))})",
                     "add a column 'area_code' holding LSOA 2021 codes (E01...)", SchemaError)


def _to_number(cell: str) -> float | None:
    s = str(cell).strip().replace(",", "")
    if s.endswith("%"):
        s = s[:-1]
    try:
        return float(s)
    except ValueError:
        return None


def read_user_table(
    path: str | Path,
    area_codes: Iterable[str],
    code_column: str | None = None,
    value_columns: list[str] | None = None,
) -> UserTable:
    """Read and validate a user's LSOA-level table.

    Parameters
    ----------
    path
        CSV or Excel (.xlsx) file: one row per area, an area code column and value columns.
    area_codes
        The codes of the areas being scored (e.g. ``areas.index``).
    code_column
        The column holding area codes (else ``area_code``, ``LSOA21CD``, ``LSOA code`` ... or the
        first column holding mostly known codes).
    value_columns
        Columns to use (else every column except the code column and columns whose header
        contains "name").

    Returns
    -------
    UserTable
        ``values``: one float column per value column (named :func:`indicator_id` of its header),
        indexed by every area code (NaN where the table has no row or the cell is suppressed);
        ``warnings``: the one-line warnings also issued as :class:`DataWarning`.

    Raises
    ------
    DataError / SchemaError
        Blank or duplicate codes, non-numeric values, no code column, no value column.
    """
    path = Path(path)
    known = pd.Index([str(c) for c in area_codes], name="area_code")
    frame, first_row = _read_any(path)
    if frame.empty:
        raise file_error(path, "has no data rows", "add one row per area", SchemaError)
    code_col = _find_code_column(frame, path, code_column, known)
    if value_columns is None:
        value_columns = [c for c in frame.columns if c != code_col and "name" not in str(c).lower()]
    else:
        missing = [c for c in value_columns if c not in frame.columns]
        if missing:
            raise file_error(path, f"no column(s) {', '.join(map(repr, missing))}", "check the column names",
                             SchemaError)
    if not value_columns:
        raise file_error(path, "has no value columns", "add at least one numeric column beside the area code",
                         SchemaError)
    ids = [indicator_id(c) for c in value_columns]
    taken = reserved_ids()
    clash = [(c, i) for c, i in zip(value_columns, ids) if i in taken]
    if clash:
        col, ind = clash[0]
        raise file_error(path, f"column {col!r} has the same id {ind!r} as the {taken[ind]}"
                         + (f" ({len(clash)} such columns: {', '.join(repr(c) for c, _ in clash[:5])})"
                            if len(clash) > 1 else ""),
                         f"rename the column (e.g. 'my_{ind}'), or leave it out of the table", SchemaError)
    dup_ids = sorted({i for i in ids if ids.count(i) > 1})
    if dup_ids:
        raise file_error(path, f"columns give the same indicator id {dup_ids[0]!r}", "rename one of them",
                         SchemaError)
    codes = frame[code_col].fillna("").astype(str).str.strip()
    rows = np.arange(len(frame)) + first_row
    blank = np.flatnonzero(codes.eq("").to_numpy())
    if len(blank):
        raise file_error(path, f"row {rows[blank[0]]}, column {code_col!r}: area code is blank "
                         f"({len(blank)} row(s) in all)", "fill in the code or delete the row")
    dup = codes.duplicated(keep=False).to_numpy()
    if dup.any():
        first = codes[dup].iloc[0]
        where = rows[codes.eq(first).to_numpy()]
        raise file_error(path, f"rows {', '.join(map(str, where))}: area code {first} appears more than once "
                         f"({int(codes[dup].nunique())} duplicated code(s) in all)", "keep one row per area")
    notes: list[str] = []
    values: dict[str, np.ndarray] = {}
    for col, ind in zip(value_columns, ids):
        cells = frame[col].fillna("").astype(str).str.strip()
        out = np.full(len(cells), np.nan)
        suppressed = []
        for k, cell in enumerate(cells):
            if cell == "":
                continue
            num = _to_number(cell)
            if num is not None and not (np.isfinite(num) and abs(num) <= MAX_VALUE) and cell.lower() != "nan":
                raise file_error(path, f"row {rows[k]}, column {col!r}: value {cell!r} is not a finite number "
                                 f"of at most {MAX_VALUE:,.0f} in size", "give an ordinary number, or leave it blank")
            if num is not None:
                out[k] = num
            elif cell.lower() in SUPPRESSION_MARKERS or re.fullmatch(r"<\s*\d+", cell):
                suppressed.append(k)
            else:
                raise file_error(path, f"row {rows[k]}, column {col!r}: value {cell!r} is not a number",
                                 "use numbers only (blank or * for suppressed values)")
        if suppressed:
            notes.append(f"{path}: column {col!r}: {len(suppressed)} suppressed value(s) (first at row "
                         f"{rows[suppressed[0]]}) read as missing")
        values[ind] = out
    table = pd.DataFrame(values, index=pd.Index(codes.to_numpy(), name="area_code"))
    unknown = ~table.index.isin(known)
    if unknown.any():
        first = np.flatnonzero(unknown)[0]
        notes.append(f"{path}: {int(unknown.sum())} area code(s) not among the {len(known)} areas (first "
                     f"{table.index[first]!r} at row {rows[first]}); those rows are ignored")
    table = table.reindex(known)
    absent = int((~known.isin(codes)).sum())
    if absent:
        first_absent = known[~known.isin(codes)][0]
        notes.append(f"{path}: {absent} of {len(known)} areas have no row (first {first_absent}); their values "
                     "are missing and scored per the missing policy")
    for note in notes:
        warnings.warn(note, DataWarning, stacklevel=2)
    return UserTable(path=str(path), values=table, warnings=tuple(notes))


# ---------------------------------------------------------------------------------------------
# the indicator table


def group_columns(counts: pd.DataFrame, group: str) -> list[str]:
    """The category columns of ``counts`` that belong to category group ``group``."""
    return [c for c in counts.columns if c != "total" and group in group_of(str(c))]


def incident_indicators(
    counts: pd.DataFrame,
    population: pd.Series,
    groups: Iterable[str] | None = None,
    measures: Iterable[str] = ("count", "rate", "eb_rate"),
) -> pd.DataFrame:
    """``<group>_<measure>`` columns from per-category counts (groups with no category are skipped)."""
    out: dict[str, pd.Series] = {}
    pop = population.reindex(counts.index).astype(float)
    for g in groups or GROUPS:
        cols = group_columns(counts, g)
        if not cols:
            continue
        n = counts[cols].sum(axis=1).astype(float)
        for m in measures:
            if m == "count":
                out[f"{g}_count"] = n
            elif m in ("rate", "eb_rate"):
                out[f"{g}_{m}"] = variable_values(n, pop, variable=m).astype(float)
    return pd.DataFrame(out, index=counts.index)


def compute_hotspot_z(
    indicators: pd.DataFrame,
    graph,
    groups: Iterable[str],
    seed: int = 12345,
) -> pd.DataFrame:
    """Gi* z-scores (``<group>_gi_z``) of the ``<group>_eb_rate`` columns of ``indicators``.

    The z-score is analytic (it does not depend on permutations); 99 permutations are run only
    because :func:`placebased.stats.hotspots.getis_ord` needs some.
    """
    from placebased.stats.hotspots import getis_ord

    out = {}
    for g in groups:
        col = f"{g}_eb_rate"
        if col in indicators:
            res = getis_ord(indicators[col], graph, permutations=99, seed=seed)
            out[f"{g}_gi_z"] = pd.Series(np.asarray(res.Zs, dtype=float), index=res.ids)
    return pd.DataFrame(out).reindex(indicators.index)


def build_indicator_table(
    areas: pd.DataFrame,
    counts: pd.DataFrame | None = None,
    hotspot_z: pd.DataFrame | Mapping[str, pd.Series] | None = None,
    extra_tables: Iterable[UserTable | pd.DataFrame] = (),
    catalogue: Mapping[str, Indicator] | None = None,
) -> pd.DataFrame:
    """One numeric column per indicator available for these areas, indexed by ``area_code``.

    Parameters
    ----------
    areas
        From :func:`placebased.io.areas.load_areas` (area columns named in the catalogue are used).
    counts
        Per-category incident counts (``CountResult.counts``): gives ``<group>_count``,
        ``<group>_rate`` and ``<group>_eb_rate`` for each category group with data.
    hotspot_z
        Gi* z-scores per group, columns ``<group>_gi_z`` (or a mapping of that name to a Series),
        e.g. from :func:`compute_hotspot_z`.
    extra_tables
        :class:`UserTable` objects or frames indexed by area code; their columns are added as
        they are named. A name that clashes with another indicator raises ConfigError.

    Returns
    -------
    pd.DataFrame
        A new frame (the inputs are not modified); columns in catalogue order, then users'.
    """
    cat = load_catalogue() if catalogue is None else catalogue
    index = pd.Index(areas.index, name="area_code")
    cols: dict[str, pd.Series] = {}
    for ind in cat.values():
        if ind.column and ind.column in areas.columns:
            cols[ind.id] = pd.to_numeric(areas[ind.column], errors="coerce").astype(float)
    if counts is not None:
        if "population" not in areas.columns:
            raise SchemaError("areas have no 'population' column; rates need residents per area.")
        pop = pd.to_numeric(areas["population"], errors="coerce")
        if pop.notna().all() and (pop > 0).all():
            derived = incident_indicators(counts.reindex(index).fillna(0), pop)
        else:  # rates need residents in every area: offer counts only, and say so
            derived = incident_indicators(counts.reindex(index).fillna(0), pop, measures=("count",))
            warnings.warn(f"{int(pop.isna().sum() + (pop <= 0).sum())} of {len(pop)} areas have no population, "
                          "so incident indicators are counts only (no rates)", DataWarning, stacklevel=2)
        for c in derived.columns:
            cols[c] = derived[c]
    if hotspot_z is not None:
        hz = pd.DataFrame(dict(hotspot_z)) if isinstance(hotspot_z, Mapping) else hotspot_z
        for c in hz.columns:
            cols[str(c)] = pd.to_numeric(hz[c], errors="coerce").astype(float).reindex(index)
    table = pd.DataFrame(cols, index=index)
    order = [i for i in cat if i in table.columns] + [c for c in table.columns if c not in cat]
    table = table[order]
    for extra in extra_tables:
        src = extra.path if isinstance(extra, UserTable) else "table"
        frame = extra.values if isinstance(extra, UserTable) else extra
        for c in frame.columns:
            if c in table.columns:
                raise file_error(src, f"column {c!r} has the same id as another indicator",
                                 "rename the column", ConfigError)
            table[c] = pd.to_numeric(frame[c], errors="coerce").astype(float).reindex(index)
    return table


def needed_gi_groups(weights: Mapping[str, float], catalogue: Mapping[str, Indicator] | None = None) -> list[str]:
    """The category groups whose Gi* z a set of weights uses (positive weight)."""
    cat = load_catalogue() if catalogue is None else catalogue
    return [cat[k].incidents for k, w in weights.items()
            if w > 0 and k in cat and cat[k].measure == "gi_z" and cat[k].incidents]


def validate_ids(ids: Iterable[str], available: Iterable[str], what: str = "weights") -> None:
    """Raise ConfigError when none of ``ids`` is available; callers warn about the rest."""
    ids, available = list(ids), list(available)
    if ids and not set(ids) & set(available):
        raise ConfigError(f"none of the indicators in the {what} ({', '.join(ids)}) is available; "
                          f"available: {', '.join(available)}.")


__all__ = [
    "DIRECTIONS",
    "Indicator",
    "UserTable",
    "build_indicator_table",
    "catalogue_frame",
    "check_user_tables",
    "default_weights",
    "compute_hotspot_z",
    "incident_indicators",
    "indicator_id",
    "indicator_info",
    "load_catalogue",
    "needed_gi_groups",
    "read_user_table",
    "reserved_ids",
]

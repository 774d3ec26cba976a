"""Inputs and matching of an evaluation: target codes, the monthly panel, comparison areas.

The matching rule (stated in every output): nearest neighbours on standardised covariates (the log
pre-period rate in its first and second half, i.e. level and trajectory, the IMD score, log
population and any chosen indicators), distance = root mean square of the differences in pooled
standard deviations, within a caliper. ``k`` rounds; in each round every target that still needs a
comparison takes its nearest unused area within the caliper (targets with the closest candidate go
first), so comparisons are drawn without replacement; a target left with none takes its nearest
area within the caliper even if already used (``reused``). Targets with no area within the caliper
are left out of the estimate and listed. Areas bordering a target (queen contiguity) are not
eligible by default, to limit displacement and diffusion of benefit.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from placebased.errors import ConfigError, DataError, file_error
from placebased.io.areas import DataWarning
from placebased.io.tables import find_column, read_table
from placebased.stats.aggregate import count_incidents

CODE_COLUMNS = ("area_code", "lsoa21cd", "lsoa_code", "lsoa11cd", "code")


# ---------------------------------------------------------------------------------------------
# inputs


def read_targets(path: str | Path, known=None, selection: str | None = None) -> list[str]:
    """Target area codes from a CSV (column ``area_code``, ``LSOA21CD``, ``lsoa_code`` or the first)
    or a saved target selection JSON (``placebased saved --export``: the latest version of the one
    selection, or of ``selection`` when several; or a plain ``{"areas": {...}}`` / list of codes).

    Codes not in ``known`` raise a one-line :class:`DataError` naming them.
    """
    path = Path(path)
    if not path.exists():
        raise file_error(path, "file not found", "check the path of --targets")
    if path.suffix.lower() == ".json":
        codes = _targets_from_json(path, selection)
    else:
        frame = read_table(path, "targets")  # encodings, separators, binary files, size limits
        col = find_column(frame.columns, CODE_COLUMNS) or frame.columns[0]
        codes = frame[col].dropna().astype(str).str.strip().tolist()
    codes = list(dict.fromkeys(c for c in codes if c))
    if not codes:
        raise file_error(path, "no area codes found", "list one target area code per row")
    if known is not None:
        unknown = [c for c in codes if c not in set(known)]
        if unknown:
            shown = ", ".join(unknown[:5]) + (" ..." if len(unknown) > 5 else "")
            raise file_error(path, f"{len(unknown)} target code(s) not among the areas: {shown}",
                             "use codes of the boundaries in use (e.g. LSOA 2021 codes E01...)")
    return codes


def _targets_from_json(path: Path, selection: str | None) -> list[str]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise file_error(path, f"not a JSON file ({e})", "give a CSV of codes or a saved-work export") from None
    if isinstance(doc, list):
        return [str(c) for c in doc]
    if isinstance(doc, dict) and "versions" in doc:
        sels = [v for v in doc["versions"] if isinstance(v, dict) and v.get("kind") == "selection"]
        names = sorted({str(v.get("name")) for v in sels})
        if selection is not None:
            sels = [v for v in sels if str(v.get("name")) == selection]
        elif len(names) > 1:
            raise file_error(path, f"holds {len(names)} target selections ({', '.join(names[:6])})",
                             "choose one with --selection NAME")
        if not sels:
            raise file_error(path, "holds no target selection" + (f" named {selection!r}" if selection else ""),
                             "save a target selection in the app first")
        latest = max(sels, key=lambda v: int(v.get("version") or 0))
        areas = latest.get("areas", {})
        return [str(c) for c in (areas if isinstance(areas, dict | list) else [])]
    if isinstance(doc, dict) and "areas" in doc:
        return [str(c) for c in doc["areas"]]
    raise file_error(path, "not a target selection", "give a CSV of codes or a 'placebased saved --export' file")


def month_range(first: str, last: str) -> list[str]:
    return [str(p) for p in pd.period_range(first, last, freq="M")]


def shift_month(month: str, k: int) -> str:
    return str(pd.Period(month, freq="M") + k)


@dataclass(frozen=True)
class Panel:
    """Counts per area (rows, every area) and month (columns, every month of the range)."""

    counts: pd.DataFrame
    categories: tuple[str, ...] | None
    notes: tuple[str, ...] = ()

    @property
    def months(self) -> list[str]:
        return list(self.counts.columns)


def monthly_panel(points, areas, categories: list[str] | None = None) -> Panel:
    """Area x month counts of ``points`` (already filtered) in ``areas``; undated and outside counted."""
    pts = points if categories is None else points[points["category"].isin(categories)]
    undated = int(pts["month"].isna().sum()) if "month" in pts else len(pts)
    if undated == len(pts):
        raise DataError("the incidents carry no dates; an evaluation needs a month for each incident.")
    res = count_incidents(pts, areas, categories=categories)
    monthly = res.monthly
    months = month_range(min(monthly["month"]), max(monthly["month"]))
    wide = monthly.groupby(["area_code", "month"])["count"].sum().unstack("month", fill_value=0)
    wide = wide.reindex(index=areas.index, columns=months, fill_value=0).fillna(0)
    wide.index.name, wide.columns.name = "area_code", None
    notes = []
    if undated:
        notes.append(f"{undated:,} undated incidents left out of the monthly series")
    if res.report.outside:
        notes.append(f"{res.report.outside:,} incidents outside the areas left out")
    return Panel(wide, tuple(categories) if categories else None, tuple(notes))


# ---------------------------------------------------------------------------------------------
# matching


@dataclass(frozen=True)
class MatchSettings:
    """How comparisons are chosen (stated in every output)."""

    k: int = 3
    caliper: float = 1.0  # root-mean-square standardised difference (pooled SDs)
    exclude_neighbours: bool = True
    indicators: tuple[str, ...] = ()

    def describe(self) -> str:
        return (f"{self.k} nearest per target without replacement, caliper {self.caliper:g} (RMS standardised "
                f"difference), bordering areas {'excluded' if self.exclude_neighbours else 'allowed'}")


@dataclass(frozen=True)
class Match:
    targets: tuple[str, ...]  # matched targets (in the estimate)
    unmatched: tuple[str, ...]  # targets without a comparison within the caliper
    pairs: pd.DataFrame  # target, comparison, distance, round, reused
    balance: pd.DataFrame  # covariate x (mean_targets, mean_pool, mean_matched, smd_before, smd_after)
    covariates: pd.DataFrame
    excluded_neighbours: int

    @property
    def comparisons(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.pairs["comparison"]))


def neighbours_of(areas, codes) -> set[str]:
    """Areas bordering any of ``codes`` (queen contiguity), not including the codes themselves."""
    from placebased.stats.weights import build_weights

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        graph = build_weights(areas, "queen")
    adj = graph.adjacency.reset_index()
    focal, nbr = adj.columns[0], adj.columns[1]
    codes = set(codes)
    return set(adj.loc[adj[focal].isin(codes), nbr].astype(str)) - codes


def match_covariates(counts: pd.DataFrame, population: pd.Series, pre: list[str], extra: pd.DataFrame | None = None,
                     imd: pd.Series | None = None) -> pd.DataFrame:
    """Covariates per area: the log of the rate per 1,000 residents per month (+0.5 incident) in the
    first and second half of the pre-period (level and trajectory), IMD score, log population, extra
    indicators."""
    pop = population.reindex(counts.index).astype(float)
    half = len(pre) // 2
    early, late = pre[:half] or pre, pre[half:]
    out = pd.DataFrame(index=counts.index)
    # logs: rates and populations are skewed, and the areas picked are usually the extremes
    out["log_rate_early"] = np.log((counts[early].mean(axis=1) + 0.5) / pop * 1000)
    out["log_rate_late"] = np.log((counts[late].mean(axis=1) + 0.5) / pop * 1000)
    if imd is not None and imd.notna().any():
        out["imd_score"] = imd.reindex(counts.index).astype(float)
    out["log_population"] = np.log(pop)
    if extra is not None:
        for c in extra.columns:
            out[c] = pd.to_numeric(extra[c], errors="coerce").reindex(counts.index)
    return out


def match_comparisons(targets: list[str], covariates: pd.DataFrame, excluded: set[str] = frozenset(),
                      k: int = 3, caliper: float = 1.0) -> Match:
    """Nearest-neighbour matching of ``targets`` to areas not in ``targets`` or ``excluded`` (see the
    module notes for the rule). Covariates with missing values in a target are left out; pool areas
    with a missing value are not eligible."""
    if k < 1:
        raise ConfigError(f"k must be at least 1 (got {k}).")
    if not caliper > 0:
        raise ConfigError(f"the caliper must be positive (got {caliper}); e.g. 1.0.")
    cov = covariates.loc[:, covariates.loc[targets].notna().all() & (covariates.std() > 0)]
    if cov.shape[1] == 0:
        raise DataError("no matching covariate varies between areas; bring population or rates.")
    pool = [c for c in cov.index if c not in set(targets) and c not in excluded and cov.loc[c].notna().all()]
    if not pool:
        raise DataError("no area is left to compare with (all are targets or border a target); "
                        "allow bordering areas or use a larger area set.")
    sd = cov.std(ddof=1).to_numpy()
    z_t = cov.loc[targets].to_numpy() / sd
    z_p = cov.loc[pool].to_numpy() / sd
    dist = np.sqrt(((z_t[:, None, :] - z_p[None, :, :]) ** 2).mean(axis=2))
    used = np.zeros(len(pool), bool)
    got: dict[int, list] = {i: [] for i in range(len(targets))}
    for rnd in range(1, k + 1):
        free = np.where(used[None, :], np.inf, dist)
        best = free.min(axis=1)
        for i in np.argsort(best, kind="stable"):
            d = np.where(used, np.inf, dist[i])
            j = int(np.argmin(d))
            if np.isfinite(d[j]) and d[j] <= caliper:
                used[j] = True
                got[i].append((pool[j], float(d[j]), rnd, False))
    for i, lst in got.items():
        if not lst and dist[i].min() <= caliper:
            j = int(np.argmin(dist[i]))
            lst.append((pool[j], float(dist[i, j]), 1, True))
    rows = [(targets[i], c, d, r, reused) for i, lst in got.items() for c, d, r, reused in lst]
    pairs = pd.DataFrame(rows, columns=["target", "comparison", "distance", "round", "reused"])
    matched = tuple(t for i, t in enumerate(targets) if got[i])
    unmatched = tuple(t for i, t in enumerate(targets) if not got[i])
    balance = balance_table(covariates.loc[:, cov.columns], list(matched) or targets, pool,
                            list(dict.fromkeys(pairs["comparison"])))
    return Match(matched, unmatched, pairs, balance, covariates, len(excluded - set(targets)))


def balance_table(cov: pd.DataFrame, targets: list[str], pool: list[str], matched: list[str]) -> pd.DataFrame:
    """Standardised mean differences before (targets vs every eligible area) and after matching;
    the denominator is the before-matching pooled SD (the pool's alone when there is one target), so
    the two columns are comparable. |SMD| below 0.25 is usually read as balanced."""
    t, p = cov.loc[targets], cov.loc[pool]
    m = cov.loc[matched] if matched else cov.iloc[:0]
    var_t = t.var(ddof=1).fillna(0.0) if len(t) > 1 else 0.0 * p.var(ddof=1)
    denom = np.sqrt((var_t + p.var(ddof=1)) / (2 if len(t) > 1 else 1)).replace(0, np.nan)
    out = pd.DataFrame({"mean_targets": t.mean(), "mean_pool": p.mean(), "mean_matched": m.mean()})
    out["smd_before"] = (out["mean_targets"] - out["mean_pool"]) / denom
    out["smd_after"] = (out["mean_targets"] - out["mean_matched"]) / denom
    out.index.name = "covariate"
    return out

"""Deprivation and concentration analysis for the strategic needs assessment (SNA).

For the chosen categories and months (filtered by :func:`placebased.pipeline.sna_analysis`, which calls
:func:`summarise` here):

* **by deprivation decile** (:func:`by_decile`): incidents, share of incidents, residents, share of
  residents and rate per 1,000 residents in each IMD decile present (or any IoD domain's decile), with
  the rate ratio of the most to the least deprived decile present (:func:`rate_ratio`);
* **concentration across areas** (:func:`concentration`): the share of incidents in the top 5%, 10%
  and 20% of areas, the Lorenz curve and the Gini coefficient, by local authority and overall.

Methods (stated in every output through ``.method``)
----------------------------------------------------
* Rate ratio: (a / P_a) / (b / P_b) for incidents a, b and residents P_a, P_b of the two deciles.
  95% interval on the log scale, treating the counts as Poisson and the residents as fixed:
  log RR +- 1.96 * sqrt(1/a + 1/b) (Rothman & Greenland). When either count is zero the interval is
  not defined and is left blank (NaN) with a note; when both are zero the ratio itself is blank.
  Weighted counts (a partner's weight column) make the interval approximate.
* When the county has no areas in decile 1 or 10, the most / least deprived decile present is used
  and the note says so.
* Top shares rank areas **by count** (not rate), largest first; the top p of n areas are the
  k = ceil(p * n) largest (at least one). The share does not depend on how ties are broken (the sum of
  the k largest counts is unique); the areas listed are ordered by count, then area code.
* Lorenz curve: areas sorted by count ascending; points (i / n, cumulative share of incidents), from
  (0, 0) to (1, 1). Gini = 2 * sum(i * x_(i)) / (n * sum(x)) - (n + 1) / n (x sorted ascending,
  i = 1..n): 0 when every area has the same count, (n - 1) / n when one area has them all. Undefined
  (NaN, with a note) when there are no incidents.

Results are frozen dataclasses with ``.to_frame()``. Nothing here draws or writes files.

Edge cases tested (tests/test_sna.py): shuffled rows, missing deciles, zero counts in a decile,
areas without a decile or population, no incidents at all, ties in the top shares.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from placebased.categories import resolve
from placebased.errors import ConfigError, DataError
from placebased.io.areas import DOMAIN_LABELS
from placebased.stats.aggregate import count_incidents

TOP_SHARES: tuple[float, ...] = (0.05, 0.10, 0.20)
Z95 = 1.959963984540054
BY_DECILE_COLUMNS = ("imd_decile", "incidents", "share_incidents", "residents", "share_residents", "rate_per_1000")
CONCENTRATION_COLUMNS = ("top_share_of_areas", "share_of_incidents")
RATE_RATIO_METHOD = ("Poisson: log RR \u00b1 1.96\u00b7\u221a(1/a + 1/b) for the two deciles' incident counts a, b "
                     "(residents treated as fixed)")
CONCENTRATION_METHOD = ("areas ranked by incident count (not rate); top p of n areas = the ceil(p\u00b7n) largest; "
                        "Gini from the Lorenz curve of counts")


def domain_choices(areas: pd.DataFrame) -> dict[str, str]:
    """IoD domains with a decile column in ``areas``: short name -> label (IMD first)."""
    out = {}
    for short, label in [("imd", DOMAIN_LABELS.get("imd", "IMD")), *DOMAIN_LABELS.items()]:
        col = f"{short}_decile"
        if col in areas.columns and pd.to_numeric(areas[col], errors="coerce").notna().any():
            out.setdefault(short, label)
    return out


# ---------------------------------------------------------------------------------------------
# rate ratio


@dataclass(frozen=True)
class RateRatio:
    """Rate ratio of decile ``most`` to decile ``least`` with its 95% interval (see the module docstring)."""

    most: int
    least: int
    incidents_most: float
    residents_most: float
    incidents_least: float
    residents_least: float
    rr: float
    lower: float
    upper: float
    notes: tuple[str, ...] = ()
    method: str = RATE_RATIO_METHOD

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{
            "most_deprived_decile": self.most, "least_deprived_decile": self.least,
            "incidents_most": self.incidents_most, "residents_most": self.residents_most,
            "incidents_least": self.incidents_least, "residents_least": self.residents_least,
            "rate_ratio": self.rr, "ci95_lower": self.lower, "ci95_upper": self.upper,
            "method": self.method, "notes": " ".join(self.notes),
        }])

    def describe(self) -> str:
        if math.isnan(self.rr):
            return f"rate ratio of decile {self.most} to decile {self.least} not defined"
        if math.isinf(self.rr) or math.isnan(self.lower):
            return f"rate ratio of decile {self.most} to decile {self.least}: {self.rr:.2f} (no interval)"
        return (f"rate ratio of decile {self.most} to decile {self.least}: {self.rr:.2f} "
                f"(95% CI {self.lower:.2f}\u2013{self.upper:.2f})")


def rate_ratio(a: float, pop_a: float, b: float, pop_b: float, most: int = 1, least: int = 10,
               notes: Sequence[str] = ()) -> RateRatio:
    """Rate ratio (a / pop_a) / (b / pop_b) with its Poisson 95% interval on the log scale.

    >>> r = rate_ratio(100, 1000, 50, 1000)
    >>> round(r.rr, 3), round(r.lower, 3), round(r.upper, 3)
    (2.0, 1.424, 2.808)
    """
    notes = list(notes)
    if not (pop_a > 0 and pop_b > 0):
        notes.append("a decile has no residents recorded, so its rate (and the ratio) is not defined.")
        return RateRatio(most, least, a, pop_a, b, pop_b, math.nan, math.nan, math.nan, tuple(notes))
    if a == 0 and b == 0:
        notes.append(f"no incidents in decile {most} or decile {least}: the rate ratio is not defined.")
        return RateRatio(most, least, a, pop_a, b, pop_b, math.nan, math.nan, math.nan, tuple(notes))
    rr = (a / pop_a) / (b / pop_b) if b > 0 else math.inf
    if a == 0 or b == 0:
        which = most if a == 0 else least
        notes.append(f"no incidents in decile {which}: the ratio is {'0' if a == 0 else 'infinite'} and its "
                     "Poisson interval (which needs both counts above zero) is not given.")
        return RateRatio(most, least, a, pop_a, b, pop_b, rr, math.nan, math.nan, tuple(notes))
    se = math.sqrt(1.0 / a + 1.0 / b)
    lo, hi = math.exp(math.log(rr) - Z95 * se), math.exp(math.log(rr) + Z95 * se)
    return RateRatio(most, least, a, pop_a, b, pop_b, rr, lo, hi, tuple(notes))


# ---------------------------------------------------------------------------------------------
# by decile


@dataclass(frozen=True, eq=False)
class DecileTable:
    """Incidents and residents by decile of one IoD domain (``domain="imd"`` for the IMD).

    ``table`` has one row per decile present, columns :data:`BY_DECILE_COLUMNS` (the first named
    ``<domain>_decile``). ``unassigned_incidents`` / ``unassigned_areas`` count incidents and areas
    without a decile (left out of the shares, never dropped silently: see ``notes``).
    """

    domain: str
    table: pd.DataFrame
    rate_ratio: RateRatio
    unassigned_areas: int = 0
    unassigned_incidents: float = 0.0
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def share_in(self, deciles: Sequence[int]) -> float:
        """Share of incidents (0-1) in the given deciles (e.g. ``(1, 2)``)."""
        t = self.table
        col = t.columns[0]
        return float(t.loc[t[col].isin(list(deciles)), "share_incidents"].sum())

    def residents_share_in(self, deciles: Sequence[int]) -> float:
        t = self.table
        col = t.columns[0]
        return float(t.loc[t[col].isin(list(deciles)), "share_residents"].sum())


def by_decile(counts: pd.Series, areas: pd.DataFrame, domain: str = "imd") -> DecileTable:
    """Incidents, residents, shares and rates per 1,000 by decile of ``domain`` (see the module docstring).

    Parameters
    ----------
    counts
        Incidents per area (index area code); areas missing from it count 0.
    areas
        Areas indexed by area code with ``population`` and ``<domain>_decile``.
    domain
        ``"imd"`` or an IoD domain short name (``income``, ``crime``, ...; see :func:`domain_choices`).
    """
    col = f"{domain}_decile"
    if col not in areas.columns:
        raise ConfigError(f"no {col} column for these areas; choose one of: "
                          f"{', '.join(domain_choices(areas)) or 'none (bring LSOA boundaries)'}.")
    if "population" not in areas.columns:
        raise ConfigError("these areas have no population column; rates by decile need residents per area.")
    c = pd.to_numeric(counts.reindex(areas.index), errors="coerce").fillna(0.0).astype(float)
    dec = pd.to_numeric(areas[col], errors="coerce")
    pop = pd.to_numeric(areas["population"], errors="coerce")
    notes: list[str] = []
    has = dec.notna()
    un_areas, un_inc = int((~has).sum()), float(c[~has].sum())
    if un_areas:
        notes.append(f"{un_areas:,} areas without a {col.replace('_', ' ')} ({_fmt(un_inc)} incidents) are left out "
                     "of the shares.")
    if not has.any():
        raise DataError(f"no area has a {col.replace('_', ' ')}; deciles exist for LSOAs only.")
    no_pop = has & pop.isna()
    if no_pop.any():
        notes.append(f"{int(no_pop.sum()):,} areas have no population recorded (counted as 0 residents).")
    frame = pd.DataFrame({"d": dec[has].astype(int), "incidents": c[has], "residents": pop[has].fillna(0.0)})
    g = frame.groupby("d").sum().sort_index()
    tot_i, tot_r = float(g["incidents"].sum()), float(g["residents"].sum())
    table = pd.DataFrame({
        col: g.index.astype(int),
        "incidents": g["incidents"].to_numpy(),
        "share_incidents": g["incidents"].to_numpy() / tot_i if tot_i > 0 else np.nan,
        "residents": g["residents"].to_numpy(),
        "share_residents": g["residents"].to_numpy() / tot_r if tot_r > 0 else np.nan,
        "rate_per_1000": np.where(g["residents"].to_numpy() > 0,
                                  g["incidents"].to_numpy() / np.where(g["residents"] > 0, g["residents"], 1) * 1000,
                                  np.nan),
    })
    if float(table["incidents"].sum()).is_integer() and (table["incidents"] % 1 == 0).all():
        table["incidents"] = table["incidents"].astype("int64")
    table["residents"] = table["residents"].round().astype("int64")
    if tot_i == 0:
        notes.append("no incidents in these areas: shares and the rate ratio are not defined.")
    present = list(table[col])
    most, least = min(present), max(present)
    rr_notes = []
    if most != 1:
        rr_notes.append(f"no areas in decile 1 here: the most deprived decile present ({most}) is used.")
    if least != 10:
        rr_notes.append(f"no areas in decile 10 here: the least deprived decile present ({least}) is used.")
    if most == least:
        rr_notes.append("only one decile is present, so the rate ratio compares it with itself.")
    row = table.set_index(col)
    rr = rate_ratio(float(row.at[most, "incidents"]), float(row.at[most, "residents"]),
                    float(row.at[least, "incidents"]), float(row.at[least, "residents"]), most, least, rr_notes)
    return DecileTable(domain, table, rr, un_areas, un_inc, tuple(notes))


# ---------------------------------------------------------------------------------------------
# concentration


def gini(values) -> float:
    """Gini coefficient of non-negative values (0 = equal; (n-1)/n = all in one); NaN when the sum is 0.

    >>> gini([1, 1, 1, 1]), gini([0, 0, 0, 4])
    (0.0, 0.75)
    """
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    if n == 0 or x.sum() <= 0:
        return math.nan
    if (x < 0).any():
        raise DataError("Gini needs counts of zero or more; a negative count was given.")
    i = np.arange(1, n + 1)
    return float(2.0 * np.sum(i * x) / (n * x.sum()) - (n + 1.0) / n)


def lorenz(values) -> pd.DataFrame:
    """Lorenz curve points ``share_of_areas, share_of_incidents`` from (0, 0) to (1, 1), counts ascending."""
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    tot = x.sum()
    areas_share = np.arange(n + 1) / n if n else np.array([0.0])
    cum = np.concatenate([[0.0], np.cumsum(x)]) / tot if tot > 0 else np.full(n + 1, np.nan)
    return pd.DataFrame({"share_of_areas": areas_share, "share_of_incidents": cum})


def top_k(n: int, p: float) -> int:
    """Number of areas in the top ``p`` of ``n`` areas: ceil(p * n), at least 1 (tolerant of float error)."""
    return max(1, math.ceil(p * n - 1e-9)) if n else 0


@dataclass(frozen=True, eq=False)
class Concentration:
    """How concentrated incidents are across areas (see the module docstring).

    ``top``: one row per share p with ``top_share_of_areas, areas, incidents, share_of_incidents``;
    ``lorenz``: the curve's points; ``top_areas``: the areas of the largest share, in rank order.
    """

    label: str
    n_areas: int
    total: float
    gini: float
    top: pd.DataFrame
    lorenz: pd.DataFrame
    top_areas: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    method: str = CONCENTRATION_METHOD

    def to_frame(self) -> pd.DataFrame:
        """The contract table: ``top_share_of_areas, share_of_incidents`` with rows 0.05, 0.10, 0.20 and ``gini``."""
        rows = [(f"{p:.2f}", s) for p, s in zip(self.top["top_share_of_areas"], self.top["share_of_incidents"])]
        rows.append(("gini", self.gini))
        return pd.DataFrame(rows, columns=list(CONCENTRATION_COLUMNS))

    def share_top(self, p: float) -> float:
        t = self.top
        hit = t[np.isclose(t["top_share_of_areas"], p)]
        if not len(hit):
            done = ", ".join(map(str, t["top_share_of_areas"]))
            raise ConfigError(f"top share {p} was not computed; computed: {done}.")
        return float(hit["share_of_incidents"].iloc[0])

    def share_of_areas_with_incidents(self) -> float:
        """Share of areas with at least one incident (the SNA's "violence touched every LSOA")."""
        lz = self.lorenz["share_of_incidents"].to_numpy()
        if self.n_areas == 0 or np.isnan(lz).all():
            return math.nan
        return float(np.sum(np.diff(lz) > 0) / self.n_areas)


def concentration(counts: pd.Series, shares: Sequence[float] = TOP_SHARES, label: str = "all areas") -> Concentration:
    """Top shares, Lorenz curve and Gini of incidents per area (``counts`` indexed by area code)."""
    for p in shares:
        if not 0 < p <= 1:
            raise ConfigError(f"top share {p} must be a fraction between 0 and 1 (e.g. 0.05 for the top 5%).")
    c = pd.to_numeric(counts, errors="coerce").fillna(0.0).astype(float)
    n, tot = len(c), float(c.sum())
    notes = []
    order = pd.DataFrame({"code": c.index.astype(str), "v": c.to_numpy()}).sort_values(
        ["v", "code"], ascending=[False, True], kind="mergesort")
    rows = []
    for p in shares:
        k = top_k(n, p)
        s = float(order["v"].iloc[:k].sum())
        rows.append({"top_share_of_areas": float(p), "areas": k, "incidents": s,
                     "share_of_incidents": s / tot if tot > 0 else math.nan})
    if tot <= 0:
        notes.append(f"no incidents in {label}: top shares and the Gini coefficient are not defined.")
    kmax = top_k(n, max(shares)) if shares else 0
    return Concentration(label=label, n_areas=n, total=tot, gini=gini(c.to_numpy()), top=pd.DataFrame(rows),
                         lorenz=lorenz(c.to_numpy()), top_areas=tuple(order["code"].iloc[:kmax]), notes=tuple(notes))


# ---------------------------------------------------------------------------------------------
# the whole analysis


@dataclass(frozen=True)
class SNASettings:
    """What the analysis counts: categories (names or group ids), months, IoD domains, top shares."""

    categories: tuple[str, ...] = ("serious_violence",)
    start: str | None = None
    end: str | None = None
    domains: tuple[str, ...] = ()
    shares: tuple[float, ...] = TOP_SHARES


@dataclass(frozen=True, eq=False)
class SNAResult:
    """Deprivation and concentration of the chosen incidents (see :func:`analyse`)."""

    settings: SNASettings
    categories: tuple[str, ...]
    months: tuple[str, ...]
    incidents: float
    outside: int
    counts: pd.Series
    deciles: DecileTable
    domains: dict[str, DecileTable] = field(default_factory=dict)
    overall: Concentration | None = None
    by_lad: dict[str, Concentration] = field(default_factory=dict)
    lad_names: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The by-decile table (contract columns of ``by_decile.csv``)."""
        return self.deciles.to_frame()

    def concentration_frame(self) -> pd.DataFrame:
        return self.overall.to_frame()

    def by_lad_frame(self) -> pd.DataFrame:
        """One row per local authority and one for all areas: areas, incidents, top shares, Gini."""
        rows = []
        items = [*self.by_lad.items(), ("all", self.overall)]
        for code, conc in items:
            row = {"lad_code": code if code != "all" else "",
                   "lad_name": self.lad_names.get(code, conc.label), "areas": conc.n_areas,
                   "incidents": conc.total}
            for p, s in zip(conc.top["top_share_of_areas"], conc.top["share_of_incidents"]):
                row[f"share_top_{round(p * 100):d}pct"] = s
            row["gini"] = conc.gini
            row["share_areas_with_incidents"] = conc.share_of_areas_with_incidents()
            rows.append(row)
        out = pd.DataFrame(rows)
        if (out["incidents"] % 1 == 0).all():
            out["incidents"] = out["incidents"].astype("int64")
        return out

    def rate_ratio_frame(self) -> pd.DataFrame:
        frames = [self.deciles.rate_ratio.to_frame().assign(domain="imd")]
        frames += [t.rate_ratio.to_frame().assign(domain=d) for d, t in self.domains.items()]
        out = pd.concat(frames, ignore_index=True)
        return out[["domain", *[c for c in out.columns if c != "domain"]]]

    def domain_frame(self) -> pd.DataFrame:
        """All chosen domains' decile tables in one long table (``domain, decile, ...``)."""
        frames = []
        for d, t in self.domains.items():
            f = t.to_frame()
            f = f.rename(columns={f.columns[0]: "decile"})
            frames.append(f.assign(domain=d)[["domain", *f.columns]])
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
            columns=["domain", "decile", *BY_DECILE_COLUMNS[1:]])

    def headline(self) -> dict[str, float]:
        """The figures a summary quotes: share of incidents and residents in deciles 1-2, the rate ratio,
        top-10% share and Gini."""
        rr = self.deciles.rate_ratio
        return {"share_deciles_1_2": self.deciles.share_in((1, 2)),
                "residents_deciles_1_2": self.deciles.residents_share_in((1, 2)),
                "rate_ratio": rr.rr, "rate_ratio_lower": rr.lower, "rate_ratio_upper": rr.upper,
                "share_top_10pct": self.overall.share_top(0.10) if 0.10 in self.settings.shares else math.nan,
                "gini": self.overall.gini,
                "share_areas_with_incidents": self.overall.share_of_areas_with_incidents()}

    def describe(self) -> str:
        """What was counted, in one line (categories and period)."""
        cats = ", ".join(self.categories) if self.categories else "all categories"
        period = f"{self.months[0]} to {self.months[-1]}" if self.months else "all dates"
        return f"{cats}; {period}; {_fmt(self.incidents)} incidents in {len(self.counts):,} areas"


def resolve_categories(names: Sequence[str] | None, available: Sequence[str]) -> tuple[str, ...]:
    """``--category`` values (group ids or names) -> category names present (all when empty)."""
    got = resolve(list(names) if names else None, sorted(available))
    return tuple(got) if got is not None else ()


def summarise(areas: gpd.GeoDataFrame, pts: gpd.GeoDataFrame, cats: tuple[str, ...], settings: SNASettings,
              filter_notes: Sequence[str] = (), without_location: int = 0) -> SNAResult:
    """The deprivation and concentration analysis of incident points ``pts`` (already filtered to the
    categories ``cats`` and the months of ``settings``: :func:`placebased.pipeline.sna_analysis`) within
    ``areas``; counted per area with :func:`placebased.stats.aggregate.count_incidents` (points outside the
    areas are counted in ``outside`` and in the notes).
    """
    res = count_incidents(pts, areas, categories=list(cats) if cats else None, without_location=without_location)
    counts = res.counts["total"].astype(float)
    notes = list(filter_notes)
    if res.report.outside:
        notes.append(f"{res.report.outside:,} incidents fall outside the areas and are not counted.")
    if without_location:
        notes.append(f"{without_location:,} records of the files read (any category) had no usable location and "
                     "are not counted.")
    deciles = by_decile(counts, areas, "imd")
    domains = {d: by_decile(counts, areas, d) for d in settings.domains if d != "imd"}
    overall = concentration(counts, settings.shares, label="All areas")
    by_lad: dict[str, Concentration] = {}
    names: dict[str, str] = {}
    if "lad_code" in areas.columns and areas["lad_code"].notna().any():
        lad = areas["lad_code"].astype("string")
        lad_name = areas["lad_name"] if "lad_name" in areas.columns else lad
        for code in sorted(lad.dropna().unique()):
            members = lad.index[lad == code]
            names[str(code)] = str(lad_name[members].dropna().iloc[0]) if lad_name[members].notna().any() else code
            by_lad[str(code)] = concentration(counts.reindex(members), settings.shares, label=names[str(code)])
        if lad.isna().any():
            notes.append(f"{int(lad.isna().sum()):,} areas have no local authority and appear only in the overall "
                         "figures.")
    months = sorted(pts["month"].dropna().astype(str).unique()) if "month" in pts else []
    total = float(counts.sum())
    return SNAResult(settings=settings, categories=cats, months=tuple(months), incidents=total,
                     outside=int(res.report.outside), counts=counts, deciles=deciles, domains=domains,
                     overall=overall, by_lad=by_lad, lad_names=names,
                     notes=tuple(notes) + deciles.notes + deciles.rate_ratio.notes + overall.notes)


def _fmt(v: float) -> str:
    v = float(v)
    return f"{v:,.0f}" if v.is_integer() else f"{v:,.1f}"

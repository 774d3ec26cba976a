"""Area profiles as PDF: one A4 page a commissioner can read, safe to hand to the public.

Build a :class:`ProfileContext` once (areas, counts, hot spots, scores, provision, notes, England
comparisons), then call :func:`render_profile` for one area or a group of areas; it returns the
PDF bytes. :func:`write_profiles_each` writes one PDF per area (two worker processes).

Figures come from :func:`profile_figures` (no drawing), so tests and the app can reuse them.

Disclosure control (every profile)
----------------------------------
* counts from 1 to ``threshold - 1`` are shown as ``"<5"`` (for threshold 5); rates and ratios
  built on them are not shown; where one hidden count could be worked out from a shown total,
  the next smallest count is hidden too (``"*"``, secondary suppression);
* charts never draw a bar whose height would reveal a hidden count (hatched marker instead);
* incident locations are never drawn or listed;
* a *public* profile publishes every count through :mod:`placebased.score.disclosure`'s public rules:
  counts rounded to the nearest 5 (the same in every output), 1-4 as ``"<5"``, sensitive
  categories (:mod:`placebased.categories`) hidden unless they reach ``sensitive_min`` and never
  in a total or the monthly chart, rates from the rounded counts, and a group profile audited
  against its members' own public profiles so that no subtraction recovers a hidden count.
"""

from __future__ import annotations

import datetime as _dt
import io
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from placebased.categories import GROUPS, is_sensitive
from placebased.errors import ConfigError, DataError
from placebased.outputs import report_sections as sections
from placebased.outputs.staticmap import MapData
from placebased.stats.aggregate import TOTAL

#: IoD domains drawn in the decile chart, in order, with short labels
DECILE_ROWS: tuple[tuple[str, str], ...] = (
    ("imd", "IMD (overall)"),
    ("income", "Income"),
    ("employment", "Employment"),
    ("education", "Education & skills"),
    ("health", "Health & disability"),
    ("crime", "Crime"),
    ("barriers", "Housing & services"),
    ("living_env", "Living environment"),
    ("idaci", "Children in poverty"),
)
NORTHANTS_LADS = {"E06000061", "E06000062"}

logging.getLogger("fpdf.svg").setLevel(logging.ERROR)


# ---------------------------------------------------------------------------------------------
# disclosure control


def disclose(values: pd.Series, threshold: int = 5, total: float | None = None) -> tuple[pd.Series, str]:
    """Status of each value and of their ``total``: ``"show"``, ``"primary"`` or ``"secondary"``.

    Counts from 1 to ``threshold - 1`` are ``"primary"``. When ``total`` is shown beside the values,
    cells that would let a reader work out a hidden count from it are ``"secondary"`` (and the total
    itself when nothing else can be hidden). Uses :func:`placebased.score.disclosure.suppression_flags`
    when that module is present, else the rule "one hidden cell: hide the next smallest too".
    """
    if threshold < 1:
        raise ConfigError(f"disclosure threshold must be at least 1, not {threshold}.")
    v = pd.to_numeric(values, errors="coerce").astype(float).fillna(0.0)
    try:
        from placebased.score.disclosure import suppression_flags
    except ImportError:
        suppression_flags = None
    kinds = {"": "show", "small": "primary", "sensitive": "primary", "secondary": "secondary"}
    if suppression_flags is not None:
        row = pd.DataFrame([v.to_numpy()], columns=[f"c{i}" for i in range(len(v))])
        if total is not None:
            row["total"] = float(total)
        flags = suppression_flags(row, threshold, sensitive=None, sensitive_threshold=None,
                                  total="total" if total is not None else None).iloc[0]
        status = pd.Series([kinds.get(flags[f"c{i}"], "primary") for i in range(len(v))], index=v.index,
                           dtype=object)
        tstatus = kinds.get(flags["total"], "primary") if total is not None else "show"
        return status, tstatus
    status = pd.Series("show", index=v.index, dtype=object)
    prim = (v > 0) & (v < threshold)
    status[prim] = "primary"
    tstatus = "primary" if total is not None and 0 < total < threshold else "show"
    if total is not None and int(prim.sum()) == 1:
        cand = v[(status == "show") & (v > 0)]
        if len(cand):
            status[cand.sort_values(kind="stable").index[0]] = "secondary"
        elif tstatus == "show":
            tstatus = "secondary"
    return status, tstatus


def fmt_count(value: float, status: str = "show", threshold: int = 5) -> str:
    """Text of a count under disclosure control."""
    if status == "primary":
        return f"<{threshold}"
    if status == "secondary":
        return "*"
    if status == "withheld":
        return "not shown"
    v = float(value)
    return f"{v:,.0f}" if v.is_integer() else f"{v:,.1f}"


# ---------------------------------------------------------------------------------------------
# the shared context


@dataclass
class ProfileContext:
    """Everything the profiles share, computed once (see :meth:`build`).

    Any of the optional parts may be None: the profile then says "not available" for it.
    """

    areas: gpd.GeoDataFrame
    counts: pd.DataFrame | None = None
    monthly: pd.DataFrame | None = None
    hotspot_frame: pd.DataFrame | None = None
    hotspot_settings: dict | None = None
    hotspot_label: str = ""
    score_frame: pd.DataFrame | None = None
    score_settings: dict | None = None
    score_labels: dict[str, str] = field(default_factory=dict)
    provision_points: gpd.GeoDataFrame | None = None
    provision_reach: pd.DataFrame | None = None
    provision_gap: pd.Series | None = None
    provision_label: str = "GP practices and NHS services"
    notes: dict[str, list[str]] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    england: dict[str, float] = field(default_factory=dict)
    county_name: str = "All areas loaded"
    near_m: float = 1000.0
    map_data: MapData | None = None
    trend_table: pd.DataFrame | None = None
    trend_categories: list[str] | None = None  # categories of trend_table (None: all)
    trend_label: str | None = None  # what they are called in the profile (None: all incidents)

    @classmethod
    def build(
        cls,
        areas: gpd.GeoDataFrame,
        incidents_points: gpd.GeoDataFrame | None = None,
        counts=None,
        scenario=None,
        provision: gpd.GeoDataFrame | None = None,
        notes: Mapping[str, str | Sequence[str]] | pd.DataFrame | None = None,
        permutations: int = 9999,
        seed: int = 12345,
        alpha: float = 0.05,
        correction: str = "fdr",
        weights: str = "queen",
        hotspot_group: str = "serious_violence",
        hotspot_variable: str = "eb_rate",
        sources: Sequence[str] | None = None,
        county_name: str | None = None,
        near_m: float = 1000.0,
    ) -> ProfileContext:
        """Compute the shared parts of the profiles once.

        Parameters
        ----------
        areas
            Areas from :func:`placebased.io.areas.load_areas` (EPSG:27700, indexed by area code).
        incidents_points
            Incident points (``IncidentSet.points``) to count per area; or pass ``counts``.
        counts
            A :class:`placebased.stats.aggregate.CountResult` already computed (takes precedence).
        scenario
            Scenario for :mod:`placebased.score.scoring` (a TOML path or the scenario object); the default
            scenario when None. Scores are left out when the scoring module is not available.
        provision
            Provision points (GeoDataFrame); the shipped GP practices when None and the provision
            module is available.
        notes
            Reasons and notes per area: a mapping code -> text(s) or a frame with ``area_code`` and
            ``note`` (or ``reason``) columns.
        permutations, seed, alpha, correction, weights
            Inference settings of the hot spot statistics (Gi* and local Moran).
        hotspot_group, hotspot_variable
            Categories (a :data:`placebased.categories.GROUPS` id) and variable analysed for hot spots.
        """
        ctx = cls(areas=areas, near_m=near_m)
        ctx.county_name = county_name or county_label(areas)
        if counts is None and incidents_points is not None:
            from placebased.stats.aggregate import count_incidents

            pts = getattr(incidents_points, "points", incidents_points)
            counts = count_incidents(pts, areas)
        if counts is not None:
            ctx.counts = getattr(counts, "counts", counts)
            ctx.monthly = getattr(counts, "monthly", None)
        ctx.england = england_means(int(areas.attrs.get("vintage", 2025) or 2025))
        ctx.sources = list(sources) if sources else default_sources(areas, ctx.monthly)
        ctx.notes = _notes_dict(notes)
        if ctx.counts is not None:
            ctx._hotspots(weights, hotspot_group, hotspot_variable, permutations, seed, alpha, correction)
            ctx._scores(scenario)
        if incidents_points is not None:
            ctx._trends(getattr(incidents_points, "points", incidents_points), hotspot_group, weights, alpha,
                        correction)
        ctx._provision(provision)
        ctx.map_data = MapData.build(areas, ctx.provision_points)
        return ctx

    # -- optional parts: each one degrades to None when its module is missing ------------------
    def _hotspots(self, weights, group, variable, permutations, seed, alpha, correction) -> None:
        try:
            from placebased.pipeline import StatsSettings, statistics
        except ImportError:
            return
        cats = [c for c in self.counts.columns if c != TOTAL]
        if group in GROUPS and group != "all":
            from placebased.categories import group_of

            cats = [c for c in cats if group in group_of(c)]
        if not cats:
            return
        series = self.counts[cats].sum(axis=1)
        settings = StatsSettings(weights=weights, variable=variable, permutations=permutations, alpha=alpha,
                                 correction=correction, seed=seed)
        res, _graph, _warnings = statistics(self.areas, series, settings)
        self.hotspot_frame = res.to_frame()
        self.hotspot_settings = dict(getattr(res, "settings", {}) or {})
        self.hotspot_settings.setdefault("weights", weights)
        label = GROUPS.get(group, {}).get("label", group)
        self.hotspot_label = f"{label}, {variable.replace('_', ' ')}"

    def _trends(self, points, group, weights, alpha, correction) -> None:
        """Mann-Kendall trend and emerging hot spot class per area (for the monthly section)."""
        import warnings

        from placebased.categories import group_of
        from placebased.errors import PlaceBasedError
        from placebased.stats.emerging import trends

        cats = sorted({c for c in points["category"].dropna().unique() if group == "all" or group in group_of(c)})
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.trend_table = trends(points, self.areas, categories=cats or None, weights=weights,
                                          alpha=alpha, correction=correction).table
            self.trend_categories = cats if group != "all" and cats else None
            label = str(GROUPS.get(group, {}).get("label", group)).split(" (")[0]
            self.trend_label = label if self.trend_categories else None
        except PlaceBasedError:  # undated incidents or too few steps: the profile says so
            self.trend_table = None

    def _scores(self, scenario) -> None:
        try:
            from placebased.score import scoring
        except ImportError:
            return
        try:
            frame, settings, labels = sections.run_scoring(scoring, self, scenario)
        except (ImportError, AttributeError, NotImplementedError):  # scoring not complete in this version
            return
        self.score_frame, self.score_settings, self.score_labels = frame, settings, labels

    def _provision(self, provision) -> None:
        if provision is None:
            provision = sections.default_provision(self.areas)
        if provision is None or len(provision) == 0:
            return
        pts = provision
        if pts.crs is not None and self.areas.crs is not None and pts.crs != self.areas.crs:
            pts = pts.to_crs(self.areas.crs)
        self.provision_points = pts
        self.provision_reach = sections.provision_reach(self.areas, pts, self.near_m)
        self.provision_gap = sections.provision_gaps(self.provision_reach, self.score_frame)
        if pts.attrs.get("example"):
            self.provision_label = "NHS GP practices and other NHS sites (example data, not youth provision)"
        elif pts.attrs.get("label"):
            self.provision_label = str(pts.attrs["label"])[:80]
        else:
            self.provision_label = "Provision sites"

    # -- helpers ----------------------------------------------------------------------------
    def check_codes(self, codes: Sequence[str]) -> list[str]:
        """The codes as a list; raises DataError naming unknown codes."""
        codes = [str(c).strip() for c in codes]
        if not codes:
            raise DataError("no area given; name at least one area code (--area CODE).")
        unknown = [c for c in codes if c not in self.areas.index]
        if unknown:
            raise DataError(
                f"unknown area code(s) {', '.join(unknown[:5])}; use codes of the loaded areas "
                f"(e.g. {', '.join(self.areas.index[:2])}; 'placebased areas' lists them)."
            )
        return list(dict.fromkeys(codes))

    @property
    def months(self) -> list[str]:
        """All months of the incident data, in order (gaps filled)."""
        if self.monthly is None or not len(self.monthly):
            return []
        ms = sorted(self.monthly["month"].dropna().astype(str).unique())
        try:
            rng = pd.period_range(ms[0], ms[-1], freq="M")
            return [str(p) for p in rng]
        except ValueError:
            return ms


def county_label(areas: gpd.GeoDataFrame) -> str:
    """"Northamptonshire" for the shipped county (both unitary authorities, all LSOAs), else a neutral label."""
    lads = set(areas["lad_code"].dropna()) if "lad_code" in areas else set()
    if lads and lads <= NORTHANTS_LADS and len(areas) > 400:
        return "Northamptonshire"
    from placebased.io.geography import coverage_label  # a whole authority or force area by its name (shipped lookups)

    return coverage_label(areas) or "All areas loaded"


def england_means(vintage: int = 2025) -> dict[str, float]:
    """England means of the IoD deciles and the IMD score (deciles average 5.5 by definition)."""
    from placebased.io.areas import iod_table

    try:
        t = iod_table(vintage, england=True)
    except (OSError, DataError):
        return {f"{d}_decile": 5.5 for d, _ in DECILE_ROWS}
    out = {c: float(t[c].mean()) for c in t.columns if c.endswith("_decile")}
    for d, _ in DECILE_ROWS:
        out.setdefault(f"{d}_decile", 5.5)
    if "imd_score" in t:
        out["imd_score"] = float(t["imd_score"].mean())
    out["n_lsoa"] = float(len(t))
    return out


def default_sources(areas: gpd.GeoDataFrame, monthly: pd.DataFrame | None) -> list[str]:
    """Data sources and vintages, one line each."""
    vintage = areas.attrs.get("vintage", 2025)
    src = [
        f"Areas: {areas.attrs.get('source', 'areas loaded')}; boundaries \u00a9 ONS (OGL), generalised.",
        f"Deprivation: English Indices of Deprivation {vintage} (MHCLG); deciles 1 = most deprived 10% in England.",
        "Population: Census 2021 usual residents (ONS TS021); ages: ONS mid-2020 estimates.",
    ]
    if monthly is not None and len(monthly):
        ms = sorted(monthly["month"].dropna().astype(str).unique())
        src.append(f"Incidents: police.uk street-level crime (or partner data loaded), {period_text(ms)}.")
    from placebased.io.geography import defaults_apply  # the example provision describes the shipped areas only

    if defaults_apply(areas):
        src.append("Provision: NHS ODS epraccur 2025 with Code-Point Open 2025-04 postcodes.")
    return src


def period_text(months: Sequence[str]) -> str:
    if not months:
        return "no dated incidents"
    f = _dt.datetime.strptime
    try:
        a, b = f(months[0], "%Y-%m"), f(months[-1], "%Y-%m")
        if a == b:
            return f"{a:%b %Y}"
        return f"{a:%b}\u2013{b:%b %Y}" if a.year == b.year else f"{a:%b %Y}\u2013{b:%b %Y}"
    except ValueError:
        return f"{months[0]} to {months[-1]}"


def _notes_dict(notes) -> dict[str, list[str]]:
    if notes is None:
        return {}
    if isinstance(notes, pd.DataFrame):
        col = next((c for c in ("note", "notes", "reason", "text") if c in notes.columns), None)
        if col is None:
            raise DataError("notes table needs a 'note' (or 'reason') column beside 'area_code'.")
        frame = notes.reset_index() if "area_code" not in notes.columns else notes
        out: dict[str, list[str]] = {}
        for code, text in zip(frame["area_code"].astype(str), frame[col]):
            if pd.notna(text) and str(text).strip():
                out.setdefault(code, []).append(str(text).strip())
        return out
    return {str(k): ([v] if isinstance(v, str) else [str(x) for x in v]) for k, v in notes.items()}


# ---------------------------------------------------------------------------------------------
# figures of one profile


def profile_figures(ctx: ProfileContext, codes: Sequence[str], public: bool = False, threshold: int = 5,
                    sensitive_min: int | None = None, rules=None) -> dict:
    """The numbers of one profile, disclosure control applied (no drawing).

    A *public* profile publishes every count through :func:`placebased.score.disclosure.public_group`
    (rounded to base 5, "<5", sensitive categories under ``sensitive_min`` hidden and left out of
    totals, audited against the members' own public profiles); ``rules`` are the sensitive
    categories (:class:`placebased.categories.SensitiveRules`; None: the shipped list).

    Returns a dict with ``codes``, ``names``, ``population``, ``categories`` (list of dicts with
    ``category, value, status, text, ratio``), ``total``, ``months`` (list of dicts), ``deciles``
    and ``key`` (list of (label, area text, county text, England text)).
    """
    codes = ctx.check_codes(codes)
    if sensitive_min is None:
        sensitive_min = max(10, 2 * threshold)
    a = ctx.areas.loc[codes]
    pop = float(pd.to_numeric(a["population"], errors="coerce").sum()) if "population" in a else float("nan")
    county_pop = float(pd.to_numeric(ctx.areas["population"], errors="coerce").sum()) if "population" in a else np.nan
    fig: dict = {"codes": codes, "names": a["area_name"].astype(str).tolist() if "area_name" in a else codes,
                 "population": pop, "public": public, "threshold": threshold, "sensitive_min": sensitive_min,
                 "rules": rules}
    cats: list[dict] = []
    total_shown = None
    withheld: list[str] = []
    if public and ctx.counts is not None:
        fig.update(_public_figures(ctx, codes, threshold, sensitive_min, rules, pop, county_pop))
        fig["month_label"] = None  # the public chart: every category that may be shown
        fig["deciles"] = _deciles(ctx, a)
        return fig
    if ctx.counts is not None:
        row = ctx.counts.loc[codes].drop(columns=[TOTAL], errors="ignore").sum(axis=0)
        county = ctx.counts.drop(columns=[TOTAL], errors="ignore").sum(axis=0)
        keep = []
        for cat, v in row.items():
            if public and is_sensitive(str(cat)) and float(v) < sensitive_min:
                withheld.append(str(cat))
            else:
                keep.append(cat)
        shown = row[keep]
        total_val = float(shown.sum())
        status, tstatus = disclose(shown, threshold, total=total_val)
        # a single area's chart shows the categories its trend sentence is about (the hot spot categories)
        month_cats, fig["month_label"] = keep, None
        if len(codes) == 1 and ctx.trend_table is not None and ctx.trend_categories:
            month_cats = [c for c in keep if c in set(ctx.trend_categories)]
            fig["month_label"] = ctx.trend_label
        months, mstatus = _months(ctx, codes, month_cats, threshold)
        if mstatus != "show" and tstatus == "show":
            tstatus = "secondary"
        fig["months"] = months
        for cat in keep:
            v, s = float(shown[cat]), status[cat]
            crate = float(county[cat]) / county_pop * 1000 if county_pop else np.nan
            arate = v / pop * 1000 if pop else np.nan
            ratio = arate / crate if s == "show" and crate and crate > 0 and v > 0 else None
            cats.append({"category": str(cat), "value": v, "status": s, "text": fmt_count(v, s, threshold),
                         "rate": arate if s == "show" else None, "ratio": ratio})
        for cat in withheld:
            cats.append({"category": cat, "value": None, "status": "withheld", "text": "not shown", "rate": None,
                         "ratio": None})
        total_shown = {"value": total_val, "status": tstatus, "text": fmt_count(total_val, tstatus, threshold),
                       "rate": total_val / pop * 1000 if pop and tstatus == "show" else None,
                       "county": float(county[[c for c in county.index if not (public and str(c) in withheld)]].sum()),
                       "county_rate": float(county.sum()) / county_pop * 1000 if county_pop else None}
    else:
        fig["months"] = []
    fig["categories"] = _order_categories(cats)
    fig["withheld"] = withheld
    fig["total"] = total_shown
    fig["deciles"] = _deciles(ctx, a)
    return fig


_PUBLIC_STATUS = {"": "show", "small": "primary", "secondary": "secondary", "withheld": "secondary",
                  "sensitive": "withheld"}


def public_counts(ctx: ProfileContext, codes: Sequence[str], threshold: int = 5, sensitive_min: int = 10, rules=None):
    """The published rows of a public profile of ``codes`` (:class:`placebased.score.disclosure.PublicGroup`):
    categories with the public total, months of the non-sensitive categories, and each member's
    own published rows. The same function serves single and group profiles (and the tests)."""
    from placebased.categories import sensitive_rules
    from placebased.score.disclosure import public_group

    rules = rules if rules is not None else sensitive_rules()
    counts = ctx.counts.loc[list(codes)].drop(columns=[TOTAL], errors="ignore")
    monthly = None
    if ctx.months and ctx.monthly is not None and len(ctx.monthly):
        m = ctx.monthly
        plain = [c for c in counts.columns if not rules(str(c))]
        sel = m[m["area_code"].isin(list(codes)) & m["category"].isin(plain)]
        monthly = (sel.assign(month=sel["month"].astype(str)).pivot_table(index="area_code", columns="month",
                                                                          values="count", aggfunc="sum")
                   .reindex(index=list(codes), columns=ctx.months).fillna(0.0).astype(float))
    return public_group(counts, monthly, threshold, sensitive=rules, sensitive_threshold=sensitive_min)


def _public_figures(ctx, codes, threshold, sensitive_min, rules, pop, county_pop) -> dict:
    """Categories, total and months of a public profile (see :func:`public_counts`)."""
    from placebased.score.disclosure import round_count

    g = public_counts(ctx, codes, threshold, sensitive_min, rules)
    row = g.row
    county = ctx.counts.drop(columns=[TOTAL], errors="ignore").sum(axis=0)
    cats, withheld = [], []
    for cat in row.cells():
        status = _PUBLIC_STATUS[row.flags[cat]]
        v = float(row.value[cat]) if status == "show" else None
        crate = round_count(float(county[cat])) / county_pop * 1000 if county_pop else np.nan
        arate = v / pop * 1000 if v is not None and pop else None
        ratio = arate / crate if arate is not None and crate and crate > 0 and v > 0 else None
        if status == "withheld":
            withheld.append(str(cat))
        cats.append({"category": str(cat), "value": v, "status": status, "text": str(row.text[cat]),
                     "rate": arate, "ratio": ratio})
    tstatus = _PUBLIC_STATUS[row.flags[TOTAL]]
    tval = float(row.value[TOTAL]) if tstatus == "show" else None
    county_total = round_count(float(sum(float(county[c]) for c in row.cells() if c not in row.sensitive)))
    total = {"value": tval if tval is not None else float("nan"), "status": tstatus, "text": str(row.text[TOTAL]),
             "rate": tval / pop * 1000 if tval is not None and pop else None, "county": county_total,
             "county_rate": county_total / county_pop * 1000 if county_pop else None}
    months = []
    if g.months is not None:
        for mo in g.months.cells():
            st = _PUBLIC_STATUS[g.months.flags[mo]]
            months.append({"month": mo, "value": float(g.months.value[mo]) if st == "show" else None,
                           "status": st, "text": str(g.months.text[mo])})
    members = {code: (str(r.text[TOTAL]), float(r.value[TOTAL]) if r.flags[TOTAL] == "" else None)
               for code, (r, _mo) in g.members.items()}
    return {"categories": _order_categories(cats), "withheld": withheld, "total": total, "months": months,
            "member_totals": members, "public_rows": g}


def _order_categories(cats: list[dict]) -> list[dict]:
    """Shown values largest first, then hidden ones and zeros by name (order must not leak values)."""
    rank = {"show": 0, "primary": 1, "secondary": 1, "withheld": 3}

    def key(c):
        r = rank[c["status"]]
        if r == 0 and c["value"] == 0:
            r = 2
        return (r, -(c["value"] or 0) if r == 0 else 0, c["category"])

    return sorted(cats, key=key)


def _months(ctx: ProfileContext, codes, cats, threshold) -> tuple[list[dict], str]:
    """Monthly totals of the shown categories, protected against the total shown beside them."""
    months = ctx.months
    if not months or ctx.monthly is None:
        return [], "show"
    m = ctx.monthly
    sel = m[m["area_code"].isin(codes) & m["category"].isin(cats)]
    per = sel.groupby(sel["month"].astype(str))["count"].sum().reindex(months, fill_value=0.0).astype(float)
    status, tstatus = disclose(per, threshold, total=float(per.sum()))
    return [{"month": mo, "value": float(per[mo]), "status": status[mo],
             "text": fmt_count(per[mo], status[mo], threshold)} for mo in months], tstatus


def _deciles(ctx: ProfileContext, a: pd.DataFrame) -> list[tuple[str, float | None, float | None, float | None]]:
    rows = []
    for dom, label in DECILE_ROWS:
        col = f"{dom}_decile"
        if col not in ctx.areas.columns:
            continue
        vals = pd.to_numeric(a[col], errors="coerce")
        if len(a) > 1 and "population" in a:
            w = pd.to_numeric(a["population"], errors="coerce").where(vals.notna())
            area = float((vals * w).sum() / w.sum()) if w.sum() > 0 else None
        else:
            area = float(vals.mean()) if vals.notna().any() else None
        county = pd.to_numeric(ctx.areas[col], errors="coerce").mean()
        rows.append((label, None if area is None or np.isnan(area) else round(area, 1),
                     None if np.isnan(county) else float(county), ctx.england.get(col)))
    return rows


# ---------------------------------------------------------------------------------------------
# rendering


def render_profile(ctx: ProfileContext, codes: Sequence[str], group_name: str | None = None, public: bool = False,
                   threshold: int = 5, sensitive_min: int | None = None, date: _dt.date | None = None,
                   rules=None) -> bytes:
    """The PDF profile of one area or a group of areas, as bytes.

    Parameters
    ----------
    ctx
        The shared context (:meth:`ProfileContext.build`).
    codes
        Area codes; several codes make a group profile (with a table of its areas on page 2).
    group_name
        Title of a group profile (e.g. "Target selection", a ward name).
    public
        Withhold sensitive categories below ``sensitive_min`` (default ``max(10, 2 * threshold)``).
    threshold
        Counts from 1 to ``threshold - 1`` are shown as ``"<threshold"``.
    rules
        Sensitive categories (:func:`placebased.categories.sensitive_rules`); None: the shipped list.
    """
    figs = profile_figures(ctx, codes, public=public, threshold=threshold, sensitive_min=sensitive_min, rules=rules)
    return sections.draw_pdf(ctx, figs, group_name=group_name, date=date or _dt.date.today())


def safe_filename(code: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(code)) or "area"


_WORKER_CTX: ProfileContext | None = None


def _render_one(job: tuple) -> str:
    from placebased.io import export

    code, out_path, public, threshold, rules = job
    assert _WORKER_CTX is not None
    export.write_document(render_profile(_WORKER_CTX, [code], public=public, threshold=threshold, rules=rules),
                          out_path)
    return out_path


def write_profiles_each(ctx: ProfileContext, codes: Sequence[str] | None, out_dir, public: bool = False,
                        threshold: int = 5, workers: int = 2, rules=None) -> list[str]:
    """Write one PDF per area (``<code>.pdf``) into ``out_dir``; returns the paths written.

    ``codes`` None means every area. With ``workers > 1`` the PDFs are drawn by that many forked
    processes sharing ``ctx`` (nothing is pickled but the file names).
    """
    import multiprocessing as mp
    from pathlib import Path

    global _WORKER_CTX
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    codes = ctx.check_codes(list(ctx.areas.index) if codes is None else codes)
    jobs = [(c, str(out / f"{safe_filename(c)}.pdf"), public, threshold, rules) for c in codes]
    _WORKER_CTX = ctx
    try:
        if workers > 1 and len(jobs) > 4 and "fork" in mp.get_all_start_methods():
            with mp.get_context("fork").Pool(workers) as pool:
                return list(pool.imap(_render_one, jobs, chunksize=8))
        return [_render_one(j) for j in jobs]
    finally:
        _WORKER_CTX = None


def pdf_text(data: bytes) -> str:
    """All text of a PDF (pypdf), for tests and checks."""
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)

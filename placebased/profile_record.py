"""The area profiles' orchestration: everything a PDF profile shows is computed here, then drawn by
:mod:`placebased.outputs.report` (which only lays out what it receives).

Build a :class:`ProfileContext` once (areas, counts, hot spots, scores, provision, notes, England
comparisons: :meth:`ProfileContext.build`, or :func:`profile_context` from results the app already has),
then :func:`profile_record` turns it into the finished, frozen :class:`~placebased.outputs.report.ProfileRecord`
of one area or a group (every number, verdict and sentence, disclosure control applied), and
:func:`render_profile` draws it as PDF bytes. :func:`write_profiles_each` writes one PDF per area
(forked worker processes).

Disclosure control (every profile)
----------------------------------
* counts from 1 to ``threshold - 1`` are shown as ``"<5"`` (for threshold 5); rates and ratios
  built on them are not shown; where one hidden count could be worked out from a shown total,
  the next smallest count is hidden too (``"*"``, secondary suppression) -- decided by
  :func:`placebased.score.disclosure.suppression_flags`;
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
import importlib
import multiprocessing as mp
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from placebased import pipeline as P  # noqa: N812
from placebased.categories import GROUPS, group_of, is_sensitive, sensitive_rules
from placebased.errors import ConfigError, DataError, PlaceBasedError
from placebased.io import export
from placebased.io.areas import iod_table
from placebased.io.geography import comparison_sentence, coverage_label, defaults_apply
from placebased.io.provision import example_provision
from placebased.outputs import sna_report as sr
from placebased.outputs import style
from placebased.outputs.report import (
    DECILE_ROWS,
    ProfileRecord,
    TextSection,
    draw_profile,
    fmt_count,
    number,
    period_text,
    radius_text,
    safe_filename,
)
from placebased.outputs.staticmap import MapData
from placebased.score.disclosure import public_group, public_note, public_row, round_count, suppression_flags
from placebased.score.reach import gaps, reach
from placebased.score.scenario import Scenario, default_scenario
from placebased.stats.aggregate import TOTAL, count_incidents
from placebased.stats.evaluate import evaluate_incidents, profile_section
from placebased.stats.evaluate import plot as evaluation_plot

NORTHANTS_LADS = {"E06000061", "E06000062"}
CORRECTIONS = {"fdr": "FDR (Benjamini-Hochberg)", "bonferroni": "Bonferroni", "none": "none"}
ELLIPSIS = " \u2026"
_n = number


# ---------------------------------------------------------------------------------------------
# disclosure control (the decisions are score.disclosure's; applied here)


def disclose(values: pd.Series, threshold: int = 5, total: float | None = None) -> tuple[pd.Series, str]:
    """Status of each value and of their ``total``: ``"show"``, ``"primary"`` or ``"secondary"``.

    Counts from 1 to ``threshold - 1`` are ``"primary"``. When ``total`` is shown beside the values,
    cells that would let a reader work out a hidden count from it are ``"secondary"`` (and the total
    itself when nothing else can be hidden), by :func:`placebased.score.disclosure.suppression_flags`.
    """
    if threshold < 1:
        raise ConfigError(f"disclosure threshold must be at least 1, not {threshold}.")
    v = pd.to_numeric(values, errors="coerce").astype(float).fillna(0.0)
    kinds = {"": "show", "small": "primary", "sensitive": "primary", "secondary": "secondary"}
    row = pd.DataFrame([v.to_numpy()], columns=[f"c{i}" for i in range(len(v))])
    if total is not None:
        row["total"] = float(total)
    flags = suppression_flags(row, threshold, sensitive=None, sensitive_threshold=None,
                              total="total" if total is not None else None).iloc[0]
    status = pd.Series([kinds.get(flags[f"c{i}"], "primary") for i in range(len(v))], index=v.index, dtype=object)
    tstatus = kinds.get(flags["total"], "primary") if total is not None else "show"
    return status, tstatus


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
    evaluation: object = None  # stats.evaluate.EvaluationResult of the profiled targets ("Did it work?")
    #: the trend sentences of trend_table's areas at the hot spots' alpha, and the emerging classes' words
    #: (stats.emerging, worked out with the trends: drawing a profile then needs no scipy)
    trend_words: dict[str, str] = field(default_factory=dict)
    emerging_words: dict[str, str] = field(default_factory=dict)

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
            scenario when None.
        provision
            Provision points (GeoDataFrame); the shipped example provision for the shipped areas when None.
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

    def _hotspots(self, weights, group, variable, permutations, seed, alpha, correction) -> None:
        cats = [c for c in self.counts.columns if c != TOTAL]
        if group in GROUPS and group != "all":
            cats = [c for c in cats if group in group_of(c)]
        if not cats:
            return
        series = self.counts[cats].sum(axis=1)
        settings = P.StatsSettings(weights=weights, variable=variable, permutations=permutations, alpha=alpha,
                                 correction=correction, seed=seed)
        res, _graph, _warnings = P.statistics(self.areas, series, settings)
        self.hotspot_frame = res.to_frame()
        self.hotspot_settings = dict(getattr(res, "settings", {}) or {})
        self.hotspot_settings.setdefault("weights", weights)
        label = GROUPS.get(group, {}).get("label", group)
        self.hotspot_label = f"{label}, {variable.replace('_', ' ')}"

    def _trends(self, points, group, weights, alpha, correction) -> None:
        """Mann-Kendall trend and emerging hot spot class per area (for the monthly section)."""
        from placebased.stats.emerging import trends

        cats = sorted({c for c in points["category"].dropna().unique() if group == "all" or group in group_of(c)})
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.trend_table = trends(points, self.areas, categories=cats or None, weights=weights,
                                          alpha=alpha, correction=correction).table
            self._trend_words(alpha)
            self.trend_categories = cats if group != "all" and cats else None
            label = str(GROUPS.get(group, {}).get("label", group)).split(" (")[0]
            self.trend_label = label if self.trend_categories else None
        except PlaceBasedError:  # undated incidents or too few steps: the profile says so
            self.trend_table = None

    def _scores(self, scenario) -> None:
        """Scores of every area as the score command computes them (:func:`placebased.pipeline.score_areas_with`:
        catalogue of the areas' vintage, Gi* z on queen)."""
        if scenario is None:
            scenario = default_scenario()
        elif not isinstance(scenario, Scenario):
            scenario = Scenario.load(scenario)
        res, _table, _note = P.score_areas_with(self.areas, self.counts, scenario)
        self.score_frame, self.score_settings, self.score_labels = res.to_frame(), res.settings(), dict(res.labels)

    def _provision(self, provision) -> None:
        if provision is None:
            provision = default_provision(self.areas)
        if provision is None or len(provision) == 0:
            return
        pts = provision
        if pts.crs is not None and self.areas.crs is not None and pts.crs != self.areas.crs:
            pts = pts.to_crs(self.areas.crs)
        self.provision_points = pts
        self.provision_reach = reach(self.areas, pts, radius_m=self.near_m)
        self.provision_gap = provision_gaps(self.provision_reach, self.score_frame)
        if pts.attrs.get("example"):
            self.provision_label = "NHS GP practices and other NHS sites (example data, not youth provision)"
        elif pts.attrs.get("label"):
            self.provision_label = str(pts.attrs["label"])[:80]
        else:
            self.provision_label = "Provision sites"

    def _trend_words(self, alpha: float) -> None:
        from placebased.stats.emerging import EMERGING_DESCRIPTIONS, describe_trend

        self.emerging_words = dict(EMERGING_DESCRIPTIONS)
        tt = self.trend_table
        self.trend_words = {} if tt is None else {str(c): describe_trend(r, alpha=alpha) for c, r in tt.iterrows()}
        self.trend_words["_alpha"] = repr(float(alpha))

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


def profile_context(areas: gpd.GeoDataFrame, analysis, score_result=None, provision=None,
                    notes: dict[str, list[str]] | None = None, trend_table: pd.DataFrame | None = None
                    ) -> ProfileContext:
    """A :class:`ProfileContext` from results already computed (a :class:`placebased.pipeline.Analysis`;
    no recomputation of counts, statistics or scores), so profiles match what the app shows."""
    ctx = ProfileContext(areas=areas, counts=analysis.counts.counts, monthly=analysis.counts.monthly,
                         hotspot_frame=analysis.frame, hotspot_settings=dict(analysis.hotspots.settings),
                         notes=notes or {})
    ctx.hotspot_settings.setdefault("weights", analysis.stats.weights)
    ctx.hotspot_label = (f"{', '.join(analysis.selected) if analysis.selected else 'all incidents'}, "
                         f"{analysis.stats.variable.replace('_', ' ')}")
    ctx.england = england_means(P.areas_vintage(areas))
    ctx.sources = default_sources(areas, ctx.monthly)
    ctx.county_name = county_label(areas)
    if score_result is not None:
        ctx.score_frame = score_result.to_frame()
        ctx.score_settings = score_result.settings()
        ctx.score_labels = dict(score_result.labels)
    if provision is not None and len(provision):
        ctx._provision(provision)
    ctx.map_data = MapData.build(areas, ctx.provision_points)
    ctx.trend_table = trend_table
    ctx._trend_words(float(ctx.hotspot_settings.get("alpha", 0.05)))
    chosen = list(analysis.selected)
    if trend_table is not None and chosen and set(chosen) != set(analysis.counts.categories):
        ctx.trend_categories, ctx.trend_label = chosen, P.scope_label(chosen)
    return ctx


def county_label(areas: gpd.GeoDataFrame) -> str:
    """"Northamptonshire" for the shipped county (both unitary authorities, all LSOAs), else a neutral label."""
    lads = set(areas["lad_code"].dropna()) if "lad_code" in areas else set()
    if lads and lads <= NORTHANTS_LADS and len(areas) > 400:
        return "Northamptonshire"
    return coverage_label(areas) or "All areas loaded"


def england_means(vintage: int = 2025) -> dict[str, float]:
    """England means of the IoD deciles and the IMD score (deciles average 5.5 by definition)."""
    try:
        t = iod_table(vintage, england=True)
    except (OSError, DataError):
        return {f"{d}_decile": 5.5 for d, _ in DECILE_ROWS}
    out = {c: float(t[c].mean()) for c in t.columns if c.endswith("_decile")}
    for d, _ in DECILE_ROWS:
        out.setdefault(f"{d}_decile", 5.5)
    if "imd_score" in t:
        out["imd_score"] = float(t["imd_score"].mean())
        if "imd_decile" in t:  # the lowest score of each decile: a score's decile in England
            for d, low in t.groupby("imd_decile")["imd_score"].min().items():
                out[f"imd_score_min_{int(d)}"] = float(low)
    out["n_lsoa"] = float(len(t))
    return out


def imd_decile_of(score: float, england: Mapping[str, float]) -> int | None:
    """The IMD decile in England that an IMD ``score`` falls in (1 = most deprived), from the lowest score
    of each decile (:func:`england_means`); None when the cut points or the score are missing.

    >>> imd_decile_of(40.0, {"imd_score_min_1": 45.0, "imd_score_min_2": 34.0, "imd_score_min_3": 27.0})
    2
    """
    if score is None or not np.isfinite(score):
        return None
    cuts = [(d, england.get(f"imd_score_min_{d}")) for d in range(1, 11)]
    cuts = [(d, c) for d, c in cuts if c is not None]
    if not cuts:
        return None
    return next((d for d, c in cuts if score >= c), cuts[-1][0])


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
    if defaults_apply(areas):
        src.append("Provision: NHS ODS epraccur 2025 with Code-Point Open 2025-04 postcodes.")
    return src


def default_provision(areas=None) -> gpd.GeoDataFrame | None:
    """The shipped example provision (NHS sites) for the shipped Northamptonshire areas; None elsewhere
    (the example lists no site there)."""
    if not defaults_apply(areas):
        return None
    return example_provision("nhs")


def provision_gaps(reach_frame: pd.DataFrame, score_frame: pd.DataFrame | None) -> pd.Series | None:
    """Gap flag per area (priority tier and no provision within the radius), or None."""
    if score_frame is None or "tier" not in score_frame:
        return None
    try:
        return gaps(reach_frame, score_frame["tier"]).table["gap"]
    except (ValueError, KeyError):
        return None


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
    """The counts of one profile, disclosure control applied (no drawing).

    A *public* profile publishes every count through :func:`placebased.score.disclosure.public_group`
    (rounded to base 5, "<5", sensitive categories under ``sensitive_min`` hidden and left out of
    totals, audited against the members' own public profiles); ``rules`` are the sensitive
    categories (:class:`placebased.categories.SensitiveRules`; None: the shipped list).

    Returns a dict with ``codes``, ``names``, ``population``, ``categories`` (list of dicts with
    ``category, value, status, text, ratio``), ``total``, ``months`` (list of dicts) and ``deciles``.
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
        keep = list(row.index)
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
        total_shown = {"value": total_val, "status": tstatus, "text": fmt_count(total_val, tstatus, threshold),
                       "rate": total_val / pop * 1000 if pop and tstatus == "show" else None,
                       "county": float(county.sum()),
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
        county = pd.to_numeric(ctx.areas[col], errors="coerce").dropna()
        county = float(county.quantile(0.5, interpolation="lower")) if len(county) else np.nan
        rows.append((label, None if area is None or np.isnan(area) else round(area, 1),
                     None if np.isnan(county) else float(county), ctx.england.get(col)))
    return rows


def _decile_counts(ctx: ProfileContext, a: pd.DataFrame) -> tuple:
    """A group's deciles as a distribution: per IoD domain, how many of its areas are in each decile 1-10,
    and the county's median decile."""
    rows = []
    for dom, label in DECILE_ROWS:
        col = f"{dom}_decile"
        if col not in ctx.areas.columns:
            continue
        vals = pd.to_numeric(a[col], errors="coerce").dropna().round().astype(int)
        counts = tuple(int((vals == d).sum()) for d in range(1, 11))
        county = pd.to_numeric(ctx.areas[col], errors="coerce").dropna()
        rows.append((label, counts, float(county.quantile(0.5, interpolation="lower")) if len(county) else None))
    return tuple(rows)


# ---------------------------------------------------------------------------------------------
# the finished record of one profile


def profile_record(ctx: ProfileContext, codes: Sequence[str], group_name: str | None = None, public: bool = False,
                   threshold: int = 5, sensitive_min: int | None = None, date: _dt.date | None = None,
                   rules=None) -> ProfileRecord:
    """Everything the profile of ``codes`` shows, computed and disclosure-controlled: a frozen
    :class:`~placebased.outputs.report.ProfileRecord` for :func:`placebased.outputs.report.draw_profile`."""
    figs = profile_figures(ctx, codes, public=public, threshold=threshold, sensitive_min=sensitive_min, rules=rules)
    codes = figs["codes"]
    single = len(codes) == 1
    a = ctx.areas.loc[codes]
    date = date or _dt.date.today()
    title = figs["names"][0] if single else (group_name or f"Group of {len(codes)} areas")
    period = period_text(ctx.months) if ctx.months else "all dates"
    bins = ctx.hotspot_frame["gi_bin"] if ctx.hotspot_frame is not None and "gi_bin" in ctx.hotspot_frame else None
    key_heads, key_rows, key_note = _key_figures(ctx, figs, a, period)
    months = tuple(figs["months"])
    label = figs.get("month_label")
    # the analyst detail of each section ("how this was worked out") goes to the foot of the page
    hotspots, m1 = _split_methods(_hotspot_section(ctx, codes, public), "Hot spots")
    priority, m2 = _split_methods(_priority_section(ctx, codes), "Priority score")
    provision, m3 = _split_methods(_provision_section(ctx, codes), "Provision")
    m4 = [] if single else [f"Key figures: {key_note}"]  # a group: room on the page for its areas' table
    key_note = key_note if single else ""
    return ProfileRecord(
        codes=tuple(codes), title=title, public=public, threshold=threshold, date=date,
        header_sub=_header_sub(figs, a, single), map_data=ctx.map_data, map_bins=bins,
        key_heads=key_heads, key_rows=key_rows, key_note=key_note,
        hotspots=hotspots, priority=priority, methods=tuple(m1 + m2 + m3 + m4),
        iod=ctx.areas.attrs.get("vintage", 2025), deciles=tuple(figs["deciles"]) if single else (),
        decile_counts=None if single else _decile_counts(ctx, a),
        month_title=f"Incidents by month: {label}" if label else "Incidents by month", months=months,
        trend=_trend_sentence(ctx, figs), categories_title=f"Incidents by category, {period}",
        categories=_category_rows(figs), total_line=_total_line(figs),
        provision=provision, notes=_notes_section(ctx, codes),
        disclosure=_disclosure_text(figs), sources=tuple(ctx.sources or default_sources(ctx.areas, ctx.monthly)),
        members=None if single else _member_rows(ctx, figs),
        member_heads=PUBLIC_MEMBER_HEADS if public else MEMBER_HEADS,
        meaning=meaning_sentence(ctx, figs, a, title), **_evaluation(ctx, codes, public),
    )


def _split_methods(section: TextSection, name: str) -> tuple[TextSection, list[str]]:
    """The section without its smaller notes, and those notes as ``"name: note"`` for the foot of the page."""
    keep = tuple(ln for ln in section.lines if ln[0] not in ("note", "fine"))
    notes = [f"{name}: {ln[2]}" for ln in section.lines if ln[0] in ("note", "fine")]
    return TextSection(section.title, keep), notes


def _ward_text(a: pd.DataFrame) -> str:
    wards = [str(w) for w in a["ward_name"].dropna().unique()] if "ward_name" in a else []
    return f"in {wards[0]} ward" if len(wards) == 1 else ""


def _count_word(n: int) -> str:
    return "none" if n == 0 else str(n)


def _deprivation_words(decile) -> str:
    """``1`` -> "among England's most deprived 10% of neighbourhoods"."""
    d = int(decile)
    return (f"among England's most deprived {10 * d}% of neighbourhoods" if d <= 5 else
            f"among England's least deprived {10 * (11 - d)}% of neighbourhoods")


def meaning_sentence(ctx, figs, a: pd.DataFrame, title: str) -> str:
    """What this means, in plain words, for the top of the profile: deprivation, incidents against the
    county, hot spot and priority (only what the profile itself shows; public counts as published)."""
    codes = figs["codes"]
    place = ctx.county_name if ctx.county_name != "All areas loaded" else "all the areas loaded"
    t = figs["total"]
    ratio = None
    if t is not None and t.get("rate") is not None and t.get("county_rate"):
        ratio = t["rate"] / t["county_rate"]
    of = f"{place}'s" if place != "all the areas loaded" else "the areas loaded's"
    if ratio is None:
        inc = ""
    elif ratio >= 1.15:
        inc = f"about {ratio:.1f} times {of} rate of incidents per resident"
    elif ratio <= 0.87:
        inc = f"fewer incidents per resident than {place} (about {ratio:.1f} times its rate)"
    else:
        inc = f"about {of} rate of incidents per resident"
    what = _what_clusters(ctx)
    bins = (pd.to_numeric(ctx.hotspot_frame.reindex(codes).get("gi_bin"), errors="coerce").fillna(0).astype(int)
            if ctx.hotspot_frame is not None else None)
    tiers = (ctx.score_frame.reindex(codes)["tier"].astype(str) if ctx.score_frame is not None
             and "tier" in ctx.score_frame else None)
    if len(codes) == 1:
        ward = _ward_text(a)
        head = f"{title}{', ' + ward + ',' if ward else ''}"
        dec = a["imd_decile"].iloc[0] if "imd_decile" in a else np.nan
        parts = [f"is {_deprivation_words(dec)}"] if pd.notna(dec) else []
        if inc:
            parts.append(f"has {inc}")
        first = f"{head} {' and '.join(parts)}." if parts else ""
        second = []
        if bins is not None:
            b = int(bins.iloc[0])
            second.append(f"It is part of a hot spot, a cluster of areas with high rates of {what}" if b > 0 else
                          f"It is part of a cluster of areas with low rates of {what}" if b < 0 else
                          f"It is not part of a hot spot of {what}")
        if tiers is not None and tiers.iloc[0] in ("top 5%", "top 10%", "top 20%"):
            second.append(f"it is in the {tiers.iloc[0]} of areas for priority")
        return " ".join(x for x in (first, ", and ".join(second) + "." if second else "") if x)
    n = len(codes)
    parts = []
    if "imd_decile" in a:
        k = int((pd.to_numeric(a["imd_decile"], errors="coerce") <= 2).sum())
        parts.append(f"{_count_word(k)} of these {n} areas {'is' if k == 1 else 'are'} among England's most "
                     "deprived 20% of neighbourhoods")
    if inc:
        parts.append(f"together they have {inc}")
    first = (parts[0][:1].upper() + parts[0][1:] + ("; " + "; ".join(parts[1:]) if parts[1:] else "") + ".") \
        if parts else ""
    second = []
    if bins is not None:
        h = int((bins > 0).sum())
        second.append(f"{_count_word(h)} {'is' if h in (0, 1) else 'are'} part of a hot spot of {what}")
    if tiers is not None:
        top = int(tiers.isin(["top 5%", "top 10%"]).sum())
        second.append(f"{_count_word(top)} {'is' if top in (0, 1) else 'are'} in the top 10% for priority")
    second_text = ", and ".join(second) + "." if second else ""
    return " ".join(x for x in (first, second_text[:1].upper() + second_text[1:]) if x)


def evaluate_profile(ctx: ProfileContext, points, codes: Sequence[str], start: str, categories=None) -> None:
    """Evaluate the profiled areas as targets of an intervention from ``start`` ("YYYY-MM") against matched
    comparison areas (:func:`placebased.stats.evaluate.evaluate_incidents`; ``categories`` None: the hot-spot
    group's, serious violence); the profile of exactly these areas then carries a "Did it work?" section."""
    pts = getattr(points, "points", points)
    if categories is None:
        categories = sorted(c for c in pts["category"].dropna().unique() if "serious_violence" in group_of(c))
    ctx.evaluation = evaluate_incidents(pts, ctx.areas, ctx.check_codes(codes), start, list(categories) or None)


def _evaluation(ctx, codes, public: bool) -> dict:
    """"Did it work?" (:func:`placebased.stats.evaluate.profile_section`): the plain-words result, its checks and
    caveats, a small table and the targets-vs-comparisons chart, when the profiled areas are the evaluation's
    targets; public: without p values."""
    ev = ctx.evaluation
    if ev is None or set(codes) != set(ev.match.targets) | set(ev.match.unmatched):
        return {}
    heading, paras, table = profile_section(ev)
    paras = [x for x in paras if x.strip()]
    rows = list(zip(table.iloc[:, 0].astype(str), table["value"].astype(str)))
    if public:
        paras = [re.sub(r" \((?:pre-trend test )?p [=<][^)]*\)|;? ?\(p [=<] [^)]*\)", "", x) for x in paras]
        rows = [r for r in rows if r[0] not in ("p", "Pre-trend p")]
    e = ev.estimate
    lines = [("label", "Did it work?", paras[0])]
    lines += [("text", "", x) for x in paras[1:] if not x.startswith("- ")]
    lines.append(("muted", "", f"How: the {e.n_targets} target area{'s' if e.n_targets != 1 else ''} against "
                  f"{e.n_comparisons} similar areas matched on the {ev.pre_months} months before (rates and their "
                  "trend, IMD score, population; areas bordering a target left out) and followed for "
                  f"{ev.post_months} month{'s' if ev.post_months != 1 else ''} after; a count model with area and "
                  "month effects, intervals clustered by area."))
    lines += [("text", "", "\u2022 " + x[2:]) for x in paras[1:] if x.startswith("- ")]
    title = f"Did it work? {heading} ({ev.outcome})"
    return {"evaluation": TextSection(title, tuple(lines)), "evaluation_table": tuple(rows),
            "evaluation_png": evaluation_plot(ev)}


def _header_sub(figs, a, single) -> str:
    lads = a[["lad_name", "lad_code"]].drop_duplicates() if {"lad_name", "lad_code"} <= set(a.columns) else None
    la_text = "; ".join(f"{n} ({c})" for n, c in lads.itertuples(index=False)) if lads is not None else ""
    if single:
        first = str(figs["codes"][0])
        kind = "LSOA 2021" if first.startswith(("E01", "W01")) else "Area"
        ward = _ward_text(a)[3:]
        return " \u00b7 ".join(x for x in (f"{kind} {first}", ward, la_text) if x)
    shown = figs["codes"][:8]
    more = len(figs["codes"]) - len(shown)
    sub = f"{len(figs['codes'])} areas: {', '.join(shown)}" + (f" and {more} more (page 2)" if more else "")
    return sub + (f" \u00b7 {la_text}" if la_text else "")


def _key_figures(ctx, figs, a, period):
    pop = figs["population"]
    county_pop = pd.to_numeric(ctx.areas.get("population"), errors="coerce").sum() if "population" in ctx.areas \
        else np.nan
    eng = ctx.england
    rows: list[tuple[str, str, str, str]] = [("Residents (Census 2021)", _n(pop), _n(county_pop), "\u2014")]
    if "aged_10_24" in a:
        share = a["aged_10_24"].sum() / pop * 100 if pop else np.nan
        cshare = ctx.areas["aged_10_24"].sum() / county_pop * 100 if county_pop else np.nan
        rows.append(("Aged 10\u201324 (mid-2020 est.)", f"{_n(share, 1)}%", f"{_n(cshare, 1)}%", "\u2014"))
    if "imd_score" in a:
        w_pop = pd.to_numeric(a["population"], errors="coerce")
        score = float((a["imd_score"] * w_pop).sum() / w_pop.sum()) if len(a) > 1 else float(a["imd_score"].iloc[0])
        rows.append(("IMD score" + (" (pop.-weighted)" if len(a) > 1 else ""), _n(score, 1),
                     _n(ctx.areas["imd_score"].mean(), 1), _n(eng.get("imd_score"), 1)))
    if "imd_decile" in a:  # a group's, the county's and England's: the decile their IMD score falls in
        dec = figs["deciles"][0][1] if figs["deciles"] and len(a) == 1 else (
            imd_decile_of(score, eng) if "imd_score" in a else None)
        county_dec = imd_decile_of(float(ctx.areas["imd_score"].mean()), eng) if "imd_score" in a else None
        rows.append(("IMD decile (1 = most deprived)" if len(a) == 1 else "IMD decile of that score", _n(dec),
                     _n(county_dec), _n(imd_decile_of(eng.get("imd_score", np.nan), eng))))
    if "imd_rank" in a and len(a) == 1:
        rows.append((f"IMD rank in England (of {_n(eng.get('n_lsoa'))})", _n(a['imd_rank'].iloc[0]), "", ""))
    t = figs["total"]
    if t is not None:
        rows.append((f"Incidents, {period}", t["text"], _n(t["county"]), "n/a"))
        rows.append(("Incidents per 1,000 residents", _n(t["rate"], 1) if t["rate"] is not None else t["text"]
                     if t["status"] != "show" else "\u2014", _n(t["county_rate"], 1), "n/a"))
        sv = _serious_violence(figs, ctx, pop, county_pop)
        if sv:
            rows.append(sv)
    else:
        rows.append(("Incidents", "not loaded", "", ""))
    place = ctx.county_name  # the areas loaded, named when they make up a whole authority or force area
    heads = ("", "Area" if len(a) == 1 else "Group",
             "County" if place == "Northamptonshire" else (place if len(place) <= 14 else "All loaded"), "England")
    iod = ctx.areas.attrs.get("vintage", 2025)
    compare = comparison_sentence(a.index, iod)  # the area's own authority, force area and England
    column = "County" if place == "Northamptonshire" else f"Column '{heads[2]}'"
    note = ((f"{compare} " if compare else "") + f"{column}: {place} ({len(ctx.areas):,} areas). England: all "
            f"{_n(eng.get('n_lsoa'))} LSOAs (IoD {iod}); deciles: of the IMD score (never averaged). n/a: no "
            "England incident data.")
    return heads, tuple(rows), note


def _serious_violence(figs, ctx, pop, county_pop):
    """Serious violence (police.uk proxy) per 1,000: hidden when any component count is hidden."""
    comps = [c for c in figs["categories"]
             if "serious_violence" in group_of(c["category"]) and c["status"] != "withheld"]
    if not comps or ctx.counts is None:
        return None
    county = sum(float(ctx.counts[c["category"]].sum()) for c in comps if c["category"] in ctx.counts)
    crate = county / county_pop * 1000 if county_pop else None
    if any(c["status"] != "show" for c in comps):
        area = "*"
    else:
        v = sum(c["value"] for c in comps)
        area = _n(v / pop * 1000, 1) if pop else "\u2014"
        if 0 < v < figs["threshold"]:
            area = f"<{figs['threshold']}"
    return ("Serious violence\u2020 per 1,000", area, _n(crate, 1), "n/a")


def verdict(p, cut) -> str:
    """``"significant"`` / ``"not significant"`` at the cut-off, the same words for Gi* and LISA.

    >>> verdict(0.002, 0.0015), verdict(0.001, 0.0015), verdict(float("nan"), 0.05)
    ('not significant', 'significant', 'not tested')
    """
    if p is None or cut is None or pd.isna(p) or pd.isna(cut):
        return "not tested"
    return "significant" if float(p) <= float(cut) else "not significant"


def gi_statement(row, cut) -> str:
    """The profile's Gi* line: bin label (two-sided confidence), z, two-sided p and the verdict at ``cut``."""
    b = int(row.get("gi_bin", 0)) if pd.notna(row.get("gi_bin")) else 0
    level = {1: "90%", 2: "95%", 3: "99%"}.get(abs(b))
    label = style.GI_BIN_LABELS.get(b) + (f", {level} two-sided" if level else "")
    p = row.get("gi_p")
    return (f"{label} (z = {_n(row.get('gi_z'), 2)}; two-sided p = {_fmt_p(p)}: {verdict(p, cut)}"
            + (f" at p \u2264 {cut:.2g})" if cut else ")"))


def lisa_statement(row, cut) -> str:
    """The profile's LISA line: cluster label, two-sided p and the verdict at ``cut`` (as :func:`gi_statement`)."""
    code = style.lisa_code(row.get("lisa_cluster"))
    p = row.get("lisa_p")
    return (f"{style.LISA_LABELS[code]} (two-sided p = {_fmt_p(p)}: {verdict(p, cut)}"
            + (f" at p \u2264 {cut:.2g})" if cut else ")"))


def _fmt_p(p) -> str:
    if p is None or (isinstance(p, float) and np.isnan(p)):
        return "\u2014"
    p = float(p)
    return f"{p:.3f}" if p >= 0.001 else f"{p:.1e}"


_LEVELS = {1: "90%", 2: "95%", 3: "99%"}


def hotspot_words(b) -> str:
    """A hot-spot bin in words, for public outputs and tables: ``"hot spot (95%)"``, ``"cold spot (90%)"``, ``"no"``.

    >>> hotspot_words(2), hotspot_words(-1), hotspot_words(0)
    ('hot spot (95%)', 'cold spot (90%)', 'no')
    """
    b = int(b) if b is not None and pd.notna(b) else 0
    if b == 0:
        return "no"
    return f"{'hot' if b > 0 else 'cold'} spot ({_LEVELS[min(abs(b), 3)]})"


def _what_clusters(ctx) -> str:
    """What the hot spots are of, in words ("serious violence")."""
    label = str(ctx.hotspot_label or "incidents").split(", ")[0].split(" (")[0]
    return label[:1].lower() + label[1:] if not label[1:2].isupper() else label


def _public_hotspot_section(ctx, codes, title) -> TextSection:
    """The hot-spot status in plain words (no statistic names): clusters of high or low rates."""
    what = _what_clusters(ctx)
    bins = pd.to_numeric(ctx.hotspot_frame.reindex(codes).get("gi_bin"), errors="coerce").fillna(0).astype(int)
    if len(codes) == 1:
        b = int(bins.iloc[0])
        text = (f"yes: part of a cluster of areas with high rates of {what} ({_LEVELS[min(b, 3)]} confidence)"
                if b > 0 else f"no: part of a cluster of areas with low rates of {what} "
                f"({_LEVELS[min(-b, 3)]} confidence)" if b < 0 else
                f"no: not part of a cluster of areas with high or low rates of {what}")
        lines = [("label", "Hot spot:", text)]
    else:
        lines = [("label", "Hot spots:", f"{int((bins > 0).sum())} of {len(codes)} areas are part of a cluster of "
                  f"areas with high rates of {what}; {int((bins < 0).sum())} of a cluster with low rates")]
    s = ctx.hotspot_settings or {}
    lines.append(("note", "", f"Each area's rate of {what} per resident (steadied for small populations) compared "
                  f"with its neighbours', checked against {s.get('permutations', 0):,} random rearrangements of the "
                  "areas; confidence levels two-sided, allowing for testing many areas at once."))
    return TextSection(title, tuple(lines))


def _hotspot_section(ctx, codes, public: bool = False) -> TextSection:
    title = "Hot spot status"
    hf = ctx.hotspot_frame
    cut = (ctx.hotspot_settings or {}).get("p_cutoff")
    if hf is None:
        return TextSection(title, (("muted", "", "Hot spot statistics not available (no incidents loaded or the hot "
                                                 "spot module is missing)."),))
    if public:
        return _public_hotspot_section(ctx, codes, title)
    sub = hf.reindex(codes)
    if len(codes) == 1:
        r = sub.iloc[0]
        lines = [("label", "Getis-Ord Gi*:", gi_statement(r, cut)),
                 ("label", "Local Moran (LISA):", lisa_statement(r, cut))]
    else:
        bins = pd.to_numeric(sub.get("gi_bin"), errors="coerce").fillna(0).astype(int)
        hot, cold = int((bins > 0).sum()), int((bins < 0).sum())
        lines = [("label", "Getis-Ord Gi*:", f"{hot} of {len(codes)} areas hot spots (two-sided 99%: "
                  f"{int((bins == 3).sum())}, 95%: {int((bins == 2).sum())}, 90%: {int((bins == 1).sum())})"
                  f"; {cold} cold spots")]
        lisa = sub.get("lisa_cluster", pd.Series(dtype=object)).map(style.lisa_code).value_counts()
        lines.append(("label", "Local Moran (LISA):",
                      ", ".join(f"{k} {int(lisa.get(k, 0))}" for k in ("HH", "LL", "HL", "LH", "ns"))))
    s = ctx.hotspot_settings or {}
    settings = (f"{ctx.hotspot_label}; {s.get('weights', 'queen')} weights; {s.get('permutations', '?'):,} "
                f"permutations, seed {s.get('seed', '?')}, alpha {s.get('alpha', '?')}, correction "
                f"{CORRECTIONS.get(str(s.get('correction')), s.get('correction', '?'))}")
    if cut:
        settings += f"; Gi* and LISA significant when the two-sided p \u2264 {cut:.2g}"
    lines.append(("note", "", settings + "."))
    return TextSection(title, tuple(lines))


def _priority_section(ctx, codes) -> TextSection:
    title = "Priority score"
    sf = ctx.score_frame
    if sf is None or "rank" not in sf:
        return TextSection(title, (("muted", "", "Priority score not available (scoring not run for this "
                                                 "profile)."),))
    n = len(sf)
    sub = sf.reindex(codes)
    lines = []
    if len(codes) == 1:
        r = sub.iloc[0]
        txt = f"{_n(r.get('score'), 2)}; rank {_n(r.get('rank'))} of {n:,}"
        if pd.notna(r.get("rank_p05")) and pd.notna(r.get("rank_p95")):
            txt += f" (90% interval {_n(r.get('rank_p05'))}\u2013{_n(r.get('rank_p95'))})"
        if pd.notna(r.get("tier")):
            txt += f"; class: {r.get('tier')}"
        lines.append(("label", "Score:", txt))
        contrib = {c[8:]: float(r[c]) for c in sf.columns if c.startswith("contrib_") and pd.notna(r[c])}
    else:
        ranks = sub["rank"].dropna().astype(int).sort_values()
        lines.append(("label", "Ranks of the areas:", f"{', '.join(map(str, ranks.head(10)))}"
                      f"{ELLIPSIS if len(ranks) > 10 else ''} of {n:,} (best {_n(ranks.min())})"))
        contrib = {c[8:]: float(sub[c].mean()) for c in sf.columns if c.startswith("contrib_")}
    top = sorted(contrib.items(), key=lambda kv: -abs(kv[1]))[:3]
    if top:
        total = sum(abs(v) for v in contrib.values()) or 1.0
        drv = ", ".join(f"{ctx.score_labels.get(k, k.replace('_', ' '))} ({abs(v) / total:.0%})" for k, v in top)
        lines.append(("label", "Top drivers:", drv))
    s = ctx.score_settings or {}
    if s:
        lines.append(("note", "", f"Scenario {s.get('scenario', '?')!r} ({s.get('created', '')}); "
                      f"{s.get('normalisation', '?')} normalisation; missing values: {s.get('missing', '?')}; rank "
                      f"interval from {s.get('draws', 0):,} weight draws, seed {s.get('seed', '?')}."))
    return TextSection(title, tuple(lines))


def _trend_sentence(ctx, figs) -> str:
    """Mann-Kendall trend and emerging hot spot class of a single area (serious violence), unless the
    area's incidents are few enough to be suppressed in a public profile."""
    tt = ctx.trend_table
    codes = figs["codes"]
    if tt is None or len(codes) != 1 or codes[0] not in tt.index or not figs["months"]:
        return ""
    row = tt.loc[codes[0]]
    if figs.get("public") and float(row.get("total", 0) or 0) < 2 * figs.get("threshold", 5):
        return ""
    if figs.get("month_label") != ctx.trend_label:  # chart and sentence: same categories
        return ""
    alpha = float((ctx.hotspot_settings or {}).get("alpha", 0.05))
    if figs.get("public"):
        return f"Trend ({figs['month_label'] or 'all incidents'}): " + _public_trend(row, alpha, ctx.emerging_words)
    said = ctx.trend_words.get(codes[0]) if ctx.trend_words.get("_alpha") == repr(alpha) else None
    if said is None:
        from placebased.stats.emerging import describe_trend

        said = describe_trend(row, alpha=alpha)
    return f"Trend ({figs['month_label'] or 'all incidents'}): " + said


def _public_trend(row, alpha: float, words: Mapping[str, str] | None = None) -> str:
    """The trend sentence without statistic names (the same verdict as :func:`describe_trend`); ``words``:
    the emerging classes' descriptions (:data:`placebased.stats.emerging.EMERGING_DESCRIPTIONS`)."""
    if not words:
        from placebased.stats.emerging import EMERGING_DESCRIPTIONS as words  # noqa: N811
    p, slope = float(row["mk_p"]), float(row["sen_slope"])
    n = int(row.get("n_steps", 0) or 0)
    span = f" over {n} months" if n else ""
    if np.isnan(p):
        trend = "too few months to tell whether it is rising or falling"
    elif p <= alpha and slope != 0:
        trend = (f"{'rising' if slope > 0 else 'falling'} by about {abs(slope):.2g} incidents a month{span} "
                 f"(a clear trend at {100 * (1 - alpha):.0f}% confidence)")
    else:
        trend = f"no clear rise or fall{span}"
    cls = str(row["emerging_class"])
    desc = words.get(cls, "")
    return f"{trend[:1].upper()}{trend[1:]}; as a hot spot over time: {cls}{' (' + desc + ')' if desc else ''}."


def _category_rows(figs) -> tuple | None:
    """(category, value or None, text, hatched, note) per category; None when no incidents are loaded."""
    if figs["total"] is None:
        return None
    rows = []
    for c in figs["categories"]:
        st = c["status"]
        note = f"{c['ratio']:.1f}\u00d7 county" if c["ratio"] is not None else ""
        rows.append((c["category"], c["value"] if st == "show" else None, c["text"], st in ("primary", "secondary"),
                     note))
    return tuple(rows)


def _total_line(figs) -> tuple[str, bool] | None:
    """The total under the category chart and whether it is zero (None without incidents)."""
    t = figs["total"]
    if t is None:
        return None
    label = "Total" if not figs["withheld"] else "Total of the categories shown"
    if figs["public"] and any(c["status"] == "withheld" or is_sensitive(c["category"], figs.get("rules"))
                              for c in figs["categories"]):
        label = "Total (sensitive categories not included)"
    return f"{label}: {t['text']}", t["value"] == 0


def _provision_section(ctx, codes) -> TextSection:
    title = "Provision in and near the area"
    pr = ctx.provision_reach
    if pr is None:
        return TextSection(title, (("muted", "", "Provision data not available."),))
    sub = pr.reindex(codes)
    settings = pr.attrs.get("settings", {})
    radius = radius_text(settings.get("radius_m", ctx.near_m))
    txt = f"{ctx.provision_label}: {int(sub['in_area'].sum())} inside the area"
    if len(codes) == 1:
        txt += f"; {int(sub['within_radius'].iloc[0])} within {radius} of its centre"
        near = sub.iloc[0]
        if pd.notna(near.get("nearest_m")):
            name = str(near.get("nearest_name", "") or "").title()
            txt += f"; nearest {_n(near['nearest_m'])} m" + (f" ({name})" if name else "")
    else:
        none = int((sub["within_radius"] == 0).sum())
        txt += f"; {none} of {len(codes)} areas have none within {radius} of their centre"
    lines = [("text", "", txt + ".")]
    gap = ctx.provision_gap
    if gap is not None:
        g = gap.reindex(codes).fillna(False).astype(bool)
        if len(codes) == 1:
            status = ("GAP: a top-priority area with no provision within " + radius) if g.iloc[0] else \
                "no gap (not top priority, or provision within " + radius + ")"
        else:
            status = f"{int(g.sum())} of {len(codes)} areas are gaps (top priority, no provision within {radius})"
        lines.append(("label", "Gap status:", status))
    else:
        lines.append(("small", "", "Gap status not available (needs the priority score)."))
    centres = settings.get("centres")
    if centres:
        lines.append(("fine", "", f"Distances from the area centre ({centres}); sites located by postcode "
                                  "centroid."))
    return TextSection(title, tuple(lines))


def _notes_section(ctx, codes) -> TextSection:
    title = "Reasons and notes recorded"
    notes = [(c, n) for c in codes for n in ctx.notes.get(c, [])]
    if not notes:
        return TextSection(title, (("muted", "", "No reasons or notes recorded for this area."),))
    lines = [("text", "", f"\u2022 {'' if len(codes) == 1 else f'{code}: '}{note}") for code, note in notes[:8]]
    if len(notes) > 8:
        lines.append(("muted", "", f"\u2026 and {len(notes) - 8} more notes."))
    return TextSection(title, tuple(lines))


def _disclosure_text(figs) -> str:
    thr = figs["threshold"]
    disc = (f"Disclosure control: counts from 1 to {thr - 1} are shown as \u201c<{thr}\u201d; rates and ratios "
            "built on them are not shown, and where a hidden count could be worked out from a total another "
            "count is hidden too (\u201c*\u201d). Charts draw hidden values as hatched markers, never bars. "
            "Incident locations are never shown (police.uk locations are anonymised map points).")
    if figs["public"]:
        disc = public_note(thr, figs["sensitive_min"]) + (
            " Charts draw hidden values as hatched markers, never bars. Incident locations are never shown.")
    return disc + (" \u2020Serious violence here is the police.uk proxy (violence and sexual offences, robbery, "
                   "possession of weapons).")


MEMBER_HEADS = ("Code", "Name", "Residents", "IMD decile", "Incidents", "per 1,000", "Gi*", "LISA", "Rank")
PUBLIC_MEMBER_HEADS = ("Code", "Name", "Residents", "IMD decile", "Incidents", "per 1,000", "Hot spot", "Rank")


def _member_rows(ctx, figs) -> tuple[tuple[str, ...], ...]:
    """The group's table: one row per area (counts under the same disclosure control); in public, the hot
    spot in words and no cluster codes."""
    codes = figs["codes"]
    a = ctx.areas.loc[codes]
    keep = [c["category"] for c in figs["categories"] if c["status"] != "withheld"]
    tot = ctx.counts.loc[codes, keep].sum(axis=1) if ctx.counts is not None and keep else None
    status = None
    member_totals = figs.get("member_totals")  # public: each area's total as in its own public profile
    if member_totals is not None:
        tot = None
    elif tot is not None:  # the group total is shown on page 1: protect the members against it
        status, _ = disclose(tot, figs["threshold"], total=float(tot.sum()))
    hf = ctx.hotspot_frame.reindex(codes) if ctx.hotspot_frame is not None else None
    sf = ctx.score_frame.reindex(codes) if ctx.score_frame is not None else None
    rows = []
    for code in codes:
        r = a.loc[code]
        inc = "\u2014" if tot is None else fmt_count(tot[code], status[code], figs["threshold"])
        rate = "\u2014"
        if tot is not None and status[code] == "show" and r.get("population"):
            rate = _n(tot[code] / r["population"] * 1000, 1)
        if member_totals is not None:
            inc, shown_total = member_totals[code]
            if shown_total is not None and r.get("population"):
                rate = _n(shown_total / r["population"] * 1000, 1)
        gi = "\u2014"
        if hf is not None and pd.notna(hf.loc[code, "gi_bin"]):
            gi = f"{int(hf.loc[code, 'gi_bin']):+d}".replace("+0", "0")
        lisa = "\u2014" if hf is None else style.lisa_code(hf.loc[code].get("lisa_cluster"))
        rank = "\u2014" if sf is None or pd.isna(sf.loc[code].get("rank")) else _n(sf.loc[code, "rank"])
        if figs["public"]:
            words = hotspot_words(hf.loc[code, "gi_bin"]) if hf is not None else "\u2014"
            rows.append((code, str(r.get("area_name", "")), _n(r.get("population")), _n(r.get("imd_decile")), inc,
                         rate, words, rank))
        else:
            rows.append((code, str(r.get("area_name", "")), _n(r.get("population")), _n(r.get("imd_decile")), inc,
                         rate, gi, lisa, rank))
    return tuple(rows)


# ---------------------------------------------------------------------------------------------
# drawing


def render_profile(ctx: ProfileContext, codes: Sequence[str], group_name: str | None = None, public: bool = False,
                   threshold: int = 5, sensitive_min: int | None = None, date: _dt.date | None = None,
                   rules=None) -> bytes:
    """The PDF profile of one area or a group of areas, as bytes (:func:`profile_record` drawn by
    :func:`placebased.outputs.report.draw_profile`).

    Parameters
    ----------
    ctx
        The shared context (:meth:`ProfileContext.build`).
    codes
        Area codes; several codes make a group profile (with a table of its areas).
    group_name
        Title of a group profile (e.g. "Target selection", a ward name).
    public
        The public version (see the module docstring); sensitive categories below ``sensitive_min``
        (default ``max(10, 2 * threshold)``) withheld.
    threshold
        Counts from 1 to ``threshold - 1`` are shown as ``"<threshold"``.
    rules
        Sensitive categories (:func:`placebased.categories.sensitive_rules`); None: the shipped list.
    """
    return draw_profile(profile_record(ctx, codes, group_name=group_name, public=public, threshold=threshold,
                                       sensitive_min=sensitive_min, date=date, rules=rules))


_WORKER_CTX: ProfileContext | None = None


def _render_one(job: tuple) -> str:
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


# ---------------------------------------------------------------------------------------------
# the needs-assessment report (placebased sna --out, the app's needs page): its parts computed here,
# laid out by placebased.outputs.sna_report


def needs_context(areas: gpd.GeoDataFrame, incidents, result, scenario=None, provision=None,
                  permutations: int = 999, seed: int = 12345, radius_m: float = 1000.0,
                  partner_inputs: dict | None = None, threshold: int = 5):
    """Compute the report's parts once: priority score (the pipeline's :func:`analyse` and :func:`score`),
    provision reach and gaps, county map outlines, partner sections.

    ``incidents`` is an :class:`placebased.io.incidents.IncidentSet` (or its points). ``partner_inputs``
    maps a partner module name (``monitoring``, ``survey``, ``partner_times``, ``harm``) to the keyword
    inputs of its section (see :func:`partner_sections`); ``threshold`` is the disclosure threshold of the
    report's tables (published here) and of the partner sections. Returns a
    :class:`placebased.outputs.sna_report.SNAContext` for :func:`placebased.outputs.sna_report.render_report`.
    """
    ctx = sr.SNAContext(areas=areas, result=result, county_name=county_label(areas))
    inc = incidents if hasattr(incidents, "points") else _IncidentsView(incidents)
    s = result.settings
    filters = P.Filters(categories=result.categories or None, start=s.start, end=s.end)
    stats = P.StatsSettings(permutations=permutations, seed=seed)
    sc = default_scenario() if scenario is None else scenario if isinstance(scenario, Scenario) else \
        Scenario.load(scenario)
    an = P.analyse(areas, inc, [], filters, stats)
    res, note = P.score(an, sc, names=areas.get("area_name"), vintage=areas.attrs.get("vintage", 2025))
    ctx.score_frame = res.to_frame(drivers=False)
    ctx.score_settings = res.settings()
    ctx.score_note = note
    if provision is None:
        provision = default_provision(areas)
    if provision is not None and len(provision):
        if provision.crs is not None and areas.crs is not None and provision.crs != areas.crs:
            provision = provision.to_crs(areas.crs)
        ctx.provision = provision
        ctx.provision_label = ("NHS GP practices and other NHS sites (example data, not youth provision)"
                               if provision.attrs.get("example") else str(provision.attrs.get("label", "Provision")))
        ctx.reach = reach(areas, provision, radius_m=radius_m)
        try:
            g = gaps(ctx.reach, res.table["tier"], areas=None)
            ctx.gaps, ctx.gap_summary = g.table["gap"], g.summary_line
        except Exception as exc:  # noqa: BLE001 - a missing tier leaves the map without gaps, said in the text
            ctx.notes.append(f"gaps in provision not computed ({exc})")
    ctx.map_data = MapData.build(areas, provision)
    ctx.sources = default_sources(areas, result_months_frame(result))
    ctx.partner = partner_sections(areas, inc, result, partner_inputs or {}, threshold)
    sens = _is_sensitive(result)
    thr = max(threshold, 10) if sens else threshold
    ctx.threshold = threshold
    ctx.published = {"imd": _decile_texts(result.deciles, threshold, sens),
                     **{d: _decile_texts(t, threshold, sens) for d, t in result.domains.items()}}
    incidents_by_lad = result.by_lad_frame()["incidents"]
    counts, _ = suppressed_counts(incidents_by_lad.iloc[:-1], threshold, sens)
    ctx.lad_texts = list(counts) + [suppressed_counts(incidents_by_lad.iloc[-1:], threshold, sens)[0].iloc[0]]
    ctx.disclosure_note = public_note(thr, max(thr, 10))
    return ctx


class _IncidentsView:
    """Points without a load report (for callers passing points)."""

    def __init__(self, points):
        self.points = points

        class _R:
            skipped = 0

        self.report = _R()


def result_months_frame(result) -> pd.DataFrame:
    return pd.DataFrame({"month": list(result.months)})


def partner_sections(areas, incidents, result, inputs: dict, threshold: int = 5) -> dict[str, dict]:
    """Sections from the partner-data modules, each imported lazily: included when the module exists and
    its inputs were given (``inputs[name]``: keyword arguments of its adapter below), else listed as not
    included with the reason. A section is a dict ``title, lines, table, png``; its tables are already
    under disclosure control (the modules' public frames)."""
    _PARTNER_MODULES = {"monitoring": "placebased.stats.monitoring", "survey": "placebased.score.survey",
                        "partner_times": "placebased.score.partner_times", "harm": "placebased.score.harm"}
    adapters = {"monitoring": _monitoring_section, "survey": _survey_section,
                "partner_times": _partner_times_section, "harm": _harm_section}
    out: dict[str, dict] = {}
    for name, title, needs in sr.PARTNER_SECTIONS:
        module = importlib.import_module(_PARTNER_MODULES[name])
        if name not in inputs:
            out[name] = {"title": title, "lines": [f"Not included: needs {needs}."]}
            continue
        try:
            got = adapters[name](module, areas, incidents, result, threshold, **dict(inputs[name]))
        except PlaceBasedError as exc:  # bad partner data must not stop the report: say why it is missing
            got = {"lines": [f"Not included: {exc}"]}
        out[name] = {"title": title, **got}
    return out


def _monitoring_section(module, areas, _incidents, _result, _threshold, incidents=None, hospital=None,
                        baseline_year=None, **load_opts) -> dict:
    res = module.monitor(incidents=incidents, hospital=hospital, areas=areas, levels=("county", "lad"),
                         baseline_year=baseline_year, **load_opts)
    png = res.png(level="county", max_panels=6, dpi=130) if len(res.table) else None
    return {"lines": [res.summary_text()], "png": png,
            "caption": "County monthly counts with Laney u' control limits (shaded); points outside them are "
                       "changes beyond normal variation."}


def _survey_section(module, areas, _incidents, _result, threshold, responses=None, **opts) -> dict:
    from placebased.outputs.survey_map import outreach_png

    res = module.survey_coverage(responses, areas=areas, threshold=threshold, **opts)
    table = res.to_frame(public=True)[["imd_decile", "responses", "share_responses", "share_residents"]].copy()
    for col in ("share_responses", "share_residents"):  # fractions as text (blank where hidden) -> percentages
        table[col] = [sr.pct(float(v)) if str(v).strip() else "" for v in table[col]]
    return {"lines": [res.summary_text()], "table": table.rename(columns={
                "imd_decile": "IMD decile", "responses": "Responses", "share_responses": "Share of responses",
                "share_residents": "Share of residents"}),
            "png": outreach_png(res.outreach_map_data(), areas, dpi=130),
            "caption": "Deprived areas (IMD deciles 1-2) with few or no responses: where to reach out."}


def _partner_times_section(module, _areas, _incidents, _result, threshold, data=None, **opts) -> dict:
    res = module.partner_times(data, threshold=threshold, **opts)
    table = res.to_frame(public=True).rename(columns={"age_band": "Age band", "records": "Records",
                                                      "in_window": "In the weekend window",
                                                      "share_in_window": "Share in the window"})
    return {"lines": [res.summary_text()], "table": table, "png": res.png(dpi=130),
            "caption": "Arrivals by day of week and hour; the partnership's Saturday and Sunday 01:00-05:00 window "
                       "is outlined."}


def _harm_section(module, areas, incidents, result, _threshold, table=None) -> dict:
    pts = result_points(result, incidents)
    res = module.harm_weighting(pts, table)
    weighted = P.sna_analysis(areas, res.points, result.settings)
    h, base = weighted.headline(), result.headline()
    line = (f"Weighted by harm, {sr.pct(h['share_deciles_1_2'])} of the harm of {sr.what(result).lower()} was in IMD "
            f"deciles 1–2 (counts: {sr.pct(base['share_deciles_1_2'])}); the 10% of neighbourhoods with most harm "
            f"held {sr.pct(h['share_top_10pct'], 0)} of it (counts: {sr.pct(base['share_top_10pct'], 0)}); Gini "
            f"{sr.num(h['gini'], 2)} (counts: {sr.num(base['gini'], 2)}).")
    by = res.to_frame()
    by = by[by["category"].isin(result.categories)] if result.categories else by
    return {"lines": [res.summary_text(), line],
            "table": by[["category", "harm_weight", "harm"]].rename(columns={
                "category": "Category", "harm_weight": "Harm weight", "harm": "Total harm"})}


def result_points(result, incidents):
    """The incident points of the analysed categories (for re-weighting)."""
    pts = incidents.points
    return pts[pts["category"].isin(result.categories)] if result.categories else pts


def suppressed_counts(values: pd.Series, threshold: int, sensitive: bool = False) -> tuple[pd.Series, str]:
    """Text of each count and of their total as published (one row with a total; see :func:`public_counts`)."""
    text, _value = published_counts(values, threshold, sensitive)
    return text.drop("total"), str(text["total"])


def published_counts(values: pd.Series, threshold: int, sensitive: bool = False) -> tuple[pd.Series, pd.Series]:
    """``(text, value)`` of each count and of their ``total`` by the one public rule
    (:func:`placebased.score.disclosure.public_row`: rounded to base 5, small counts ``<threshold``, secondary
    suppression against the total); counts of sensitive categories use the threshold 10. ``value`` is the
    rounded number published (NaN when hidden), from which shares and rates are worked out."""
    thr = max(threshold, 10) if sensitive else threshold
    counts = pd.Series(pd.to_numeric(values, errors="coerce").fillna(0).to_numpy(float),
                       index=[f"c{i}" for i in range(len(values))])
    r = public_row(counts, thr, sensitive=None, sensitive_threshold=max(thr, 10))
    index = list(values.index) + ["total"]
    text = pd.Series(list(r.text[list(counts.index)]) + [r.text["total"]], index=index)
    value = pd.Series(list(r.value[list(counts.index)]) + [r.value["total"]], index=index, dtype=float)
    return text, value


def _decile_texts(table, threshold, sens):
    """The decile table as published (:class:`placebased.outputs.sna_report.DecileTexts`): count texts, and
    shares and rates worked out from the rounded counts."""
    t = table.table.copy()
    text, value = published_counts(t["incidents"], threshold, sens)
    counts, total = text.drop("total"), str(text["total"])
    hidden = counts.map(sr.is_hidden)
    shown = value.drop("total")
    t["share_incidents"] = (shown / value["total"]).to_numpy() if value["total"] > 0 else np.nan
    res = pd.to_numeric(t["residents"], errors="coerce").to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        t["rate_per_1000"] = np.where(res > 0, shown.to_numpy() / res * 1000, np.nan)
    t.attrs["total_value"] = float(value["total"])
    return sr.DecileTexts(t, counts, total, hidden)


def _is_sensitive(result) -> bool:
    return any(is_sensitive(c) for c in result.categories)

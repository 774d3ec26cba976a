"""The one pipeline: load -> validate -> aggregate -> statistics -> score, as small steps with frozen settings.

The app caches each step on its settings (all hashable), so a change of indicator weights
re-scores without recomputing counts, weights or permutation statistics. The CLI and tests call
the same functions.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from functools import partial

import geopandas as gpd
import numpy as np
import pandas as pd

from placebased._paths import NO_INCIDENTS_NOTE, NO_PROVISION_NOTE  # noqa: F401  (the app's notes)
from placebased.categories import GROUPS, group_of, is_sensitive
from placebased.errors import ConfigError, DataError
from placebased.io.areas import load_areas
from placebased.io.geography import default_incident_files_for, defaults_apply
from placebased.io.incidents import load_incidents, no_incidents
from placebased.io.policeuk import filter_to_areas
from placebased.io.provision import example_provision, load_provision
from placebased.outputs import glossary, workshop

# what the entry points (the app's views, the CLI commands) take of score/ and stats/ besides the analysis:
# settings, choices and tables, through the orchestration (tests/test_architecture.py: entry points do not
# import stats/ or score/; the heavy ones, scipy, libpysal or numba behind them, are the functions at the end)
from placebased.score import sna
from placebased.score.disclosure import SENSITIVE, SHOWN, public_note, public_table, round_count  # noqa: F401
from placebased.score.harm import harm_weighted  # noqa: F401
from placebased.score.indicators import (  # noqa: F401
    build_indicator_table,
    catalogue_for_vintage,
    catalogue_frame,
    check_user_tables,
    compute_hotspot_z,
    default_weights,
    load_catalogue,
    needed_gi_groups,
    read_user_table,
)
from placebased.score.partner_times import partner_times  # noqa: F401
from placebased.score.reach import area_centres, gaps, reach, tiers_up_to  # noqa: F401
from placebased.score.regression import default_predictors, fit_count_model
from placebased.score.scenario import Scenario, default_scenario, preset, preset_names  # noqa: F401
from placebased.score.scoring import score_areas as _score_areas
from placebased.score.selection import selection_csv, selection_geojson, selection_table  # noqa: F401
from placebased.score.siting import priority_weights, suggest_sites  # noqa: F401
from placebased.score.survey import survey_coverage  # noqa: F401
from placebased.stats.aggregate import CountResult, count_incidents
from placebased.stats.evaluate import MatchSettings, evaluate_incidents, outcome_label, read_targets  # noqa: F401
from placebased.stats.evaluate import plot as evaluation_plot  # noqa: F401  (PNG of an evaluation)
from placebased.stats.evaluate_power import plan_incidents  # noqa: F401
from placebased.stats.monitoring import monitor
from placebased.stats.smoothing import VARIABLES, variable_values  # noqa: F401
from placebased.stats.weights import graph_from_state, graph_state

SNASettings = sna.SNASettings  # the needs assessment's settings (the needs page fills them)


@dataclass(frozen=True)
class Filters:
    """Which incidents count: categories (names), months (``"YYYY-MM"`` inclusive), hours and days."""

    categories: tuple[str, ...] | None = None
    start: str | None = None
    end: str | None = None
    hours: tuple[int, int] | None = None  # inclusive start hour, exclusive end hour; wraps past midnight
    weekdays: tuple[int, ...] | None = None  # 0 = Monday

    def describe(self) -> str:
        parts = []
        parts.append("all categories" if not self.categories else ", ".join(self.categories))
        if self.start or self.end:
            parts.append(f"{self.start or 'start'} to {self.end or 'end'}")
        if self.hours:
            parts.append(f"{self.hours[0]:02d}:00–{self.hours[1]:02d}:00")
        if self.weekdays:
            names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
            parts.append("/".join(names[d] for d in self.weekdays))
        return "; ".join(parts)


@dataclass(frozen=True)
class StatsSettings:
    """Settings of the hot-spot statistics (stated in every output)."""

    weights: str = "queen"
    variable: str = "eb_rate"
    permutations: int = 9999
    alpha: float = 0.05
    correction: str = "fdr"
    seed: int = 12345
    adaptive: bool = False  # sequential Monte Carlo p-values (hotspots.Adaptive), for large areas

    def describe(self) -> str:
        return (f"{self.variable} on {self.weights} weights (row-standardised); {self.permutations:,} permutations, "
                f"seed {self.seed}, alpha {self.alpha}, correction {self.correction} (two-sided)"
                + (", adaptive draws up to 999,999" if self.adaptive else ""))


@dataclass
class FilterReport:
    kept: int
    dropped_undated: int = 0
    dropped_untimed: int = 0
    notes: list[str] = field(default_factory=list)


def category_choices(categories: list[str]) -> dict[str, list[str]]:
    """Groups (label -> member categories present) followed by single categories, for pickers."""
    out: dict[str, list[str]] = {}
    for gid, g in GROUPS.items():
        members = [c for c in categories if gid in group_of(c)]
        if members and gid != "all":
            out[g["label"]] = members
    return out


def filter_incidents(points: gpd.GeoDataFrame, filters: Filters) -> tuple[gpd.GeoDataFrame, FilterReport]:
    """Apply ``filters`` to incident points; undated / untimed rows dropped by a filter are counted."""
    pts = points
    rep = FilterReport(kept=0)
    if filters.categories:
        pts = pts[pts["category"].isin(filters.categories)]
    if filters.start or filters.end:
        month = pts["month"]
        undated = month.isna()
        keep = ~undated
        if filters.start:
            keep &= month.fillna("") >= filters.start
        if filters.end:
            keep &= month.fillna("") <= filters.end
        rep.dropped_undated = int(undated.sum())
        pts = pts[keep.to_numpy()]
    if filters.hours or filters.weekdays:
        t = pts["time"]
        untimed = t.isna()
        if untimed.all():
            rep.notes.append("no incident has a time of day (police.uk records have months only); "
                             "the time-of-day filter was not applied")
        else:
            keep = ~untimed.to_numpy()
            if filters.hours:
                h = pd.to_numeric(t.str.slice(0, 2), errors="coerce").to_numpy()
                a, b = filters.hours
                keep &= ((h >= a) & (h < b)) if a < b else ((h >= a) | (h < b))
            if filters.weekdays:
                keep &= pts["date"].dt.weekday.isin(filters.weekdays).to_numpy()
            rep.dropped_untimed = int(untimed.sum())
            pts = pts[keep]
    rep.kept = len(pts)
    if rep.dropped_undated:
        rep.notes.append(f"{rep.dropped_undated:,} undated incidents left out by the date filter")
    if rep.dropped_untimed:
        rep.notes.append(f"{rep.dropped_untimed:,} incidents without a time left out by the time filter")
    return pts, rep


def months_available(points: gpd.GeoDataFrame) -> list[str]:
    """Sorted ``"YYYY-MM"`` months present in the points."""
    return sorted(points["month"].dropna().unique().tolist())


def aggregate(points: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, filters: Filters,
              without_location: int = 0) -> tuple[CountResult, FilterReport]:
    """Filter then count incidents per area (``counts['total']`` = the filtered incidents)."""
    pts, rep = filter_incidents(points, filters)
    cats = list(filters.categories) if filters.categories else None
    return count_incidents(pts, areas, categories=cats, without_location=without_location), rep


def statistics(areas: gpd.GeoDataFrame, counts: pd.Series, stats: StatsSettings, graph=None):
    """Weights + the analysed variable + Gi*, LISA and global Moran (a :class:`HotspotResult`)."""
    if graph is None:
        graph = build_weights(areas, stats.weights)
    population = areas.get("population")
    if stats.variable != "count" and (population is None or population.isna().all()):
        raise ConfigError(f"variable {stats.variable!r} needs a population per area; choose 'count' or bring "
                          "a population column.")
    values = variable_values(counts, population, stats.variable, graph=graph)
    values = values.fillna(0.0) if stats.variable == "count" else values.fillna(float(np.nanmedian(values)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = hotspots(values, graph, permutations=stats.permutations, seed=stats.seed, alpha=stats.alpha,
                          correction=stats.correction, adaptive=stats.adaptive)
    return result, graph, [str(w.message) for w in caught]


# ---------------------------------------------------------------------------------------------
# whole-pipeline steps used by the app (each keyed by small frozen settings, so callers can cache)


@dataclass(frozen=True)
class Sources:
    """Where the inputs come from. Empty ``incidents`` = the shipped police.uk data; ``provision``
    None = the shipped NHS example; ``boundaries`` None = the shipped Northamptonshire LSOAs."""

    vintage: int = 2025
    boundaries: str | None = None
    id_column: str | None = None
    incidents: tuple[str, ...] = ()
    incident_options: tuple[tuple[str, str], ...] = ()
    tables: tuple[str, ...] = ()
    provision: str | None = None


@dataclass
class Inputs:
    areas: gpd.GeoDataFrame
    incidents: object  # IncidentSet
    tables: list
    provision: gpd.GeoDataFrame | None
    sources: Sources


def load_areas_for(src: Sources) -> gpd.GeoDataFrame:
    return load_areas(src.vintage, src.boundaries, src.id_column)


def load_incidents_for(src: Sources, progress=None):
    """The incidents of ``src``; none given: the shipped police.uk records when the areas are the shipped
    Northamptonshire ones, else an empty set with a note (deprivation-only mode)."""
    files = list(src.incidents)
    if not files:
        files = default_incident_files_for(load_areas_for(src) if src.boundaries else None)
        if not files:
            return no_incidents(NO_INCIDENTS_NOTE)
    inc = load_incidents(files, progress=progress, **dict(src.incident_options))
    if inc.report.download:  # a police.uk download: keep the records in the areas
        inc = filter_to_areas(inc, load_areas_for(src))
    return inc


def load_tables_for(src: Sources, area_codes) -> list:
    return [read_user_table(p, area_codes) for p in src.tables]


def check_tables_for(src: Sources, area_codes) -> list:
    """The user's indicator tables of ``src`` read and checked together (two tables giving one indicator id
    is an error naming both files): the upload widget's check."""
    tables = load_tables_for(src, area_codes)
    check_user_tables(tables)
    return tables


def monitor_for(src: Sources, areas: gpd.GeoDataFrame, level: str):
    """The monitoring series (:func:`placebased.stats.monitoring.monitor`) of the incidents of ``src``
    (none: the shipped records) in ``areas`` at one ``level`` (``county``, ``lad`` or ``lsoa``)."""
    return monitor(list(src.incidents) or None, areas=areas, levels=(level,), **dict(src.incident_options))


def sna_domains(areas: pd.DataFrame) -> dict[str, str]:
    """The IoD domains the needs assessment can break the areas down by (short name -> label; none for
    areas without decile columns)."""
    return sna.domain_choices(areas)


def load_provision_for(src: Sources) -> gpd.GeoDataFrame | None:
    """The provision of ``src``; none given: the shipped NHS example for the shipped areas, else None."""
    if src.provision is not None:
        return load_provision(src.provision)
    if src.boundaries and not defaults_apply(load_areas_for(src)):
        return None
    return example_provision()


@dataclass
class Analysis:
    """Counts, statistics and the indicator table for one set of filters and statistic settings."""

    counts: CountResult
    filter_report: FilterReport
    selected: tuple[str, ...]
    values: pd.Series
    hotspots: object  # HotspotResult
    graph: object
    stats: StatsSettings
    filters: Filters
    notes: list[str]
    indicators: pd.DataFrame

    @property
    def frame(self) -> pd.DataFrame:
        return self.hotspots.to_frame()

    # Saved (pickled, the app's disk cache) with the weights as plain arrays, made a Graph again on first use:
    # loading saved results then imports neither libpysal nor scipy.stats (seconds on a fresh server).
    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        graph = state.pop("graph", None)
        state["_graph_state"] = None if graph is None else graph_state(graph)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        if self.__dict__.get("_graph_state") is None:
            self.__dict__.pop("_graph_state", None)
            self.__dict__["graph"] = None

    def __getattr__(self, name: str):
        state = self.__dict__.get("_graph_state")
        if name == "graph" and state is not None:
            self.__dict__["graph"] = graph = graph_from_state(state)
            del self.__dict__["_graph_state"]
            return graph
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def settings_line(self) -> str:
        s = self.hotspots.settings
        return (f"{self.stats.variable} of {', '.join(self.selected) if self.selected else 'all incidents'}; "
                f"{self.stats.weights} weights; {s['permutations']:,} permutations, seed {s['seed']}, "
                f"alpha {s['alpha']}, correction {s['correction']} (p cut-off {s['p_cutoff']:.3g})")


def analyse(areas: gpd.GeoDataFrame, incidents, tables: list, filters: Filters, stats: StatsSettings,
            gi_groups: tuple[str, ...] = ("serious_violence",)) -> Analysis:
    """Count (date/time filters), then statistics on the selected categories, then the indicator table.

    Indicators of every category group use all categories (within the date and time filters);
    the hot-spot statistics use the selected categories (``filters.categories``) on ``stats.weights``;
    the indicators' Gi* z follows the catalogue (queen contiguity, see :func:`indicator_table`), so a
    scenario scores the same whatever weights the hot-spot map uses.
    """
    if getattr(incidents, "empty", False):
        return _analyse_without_incidents(areas, incidents, tables, filters, stats)
    fallback = []
    if stats.variable != "count" and ("population" not in areas or areas["population"].isna().all()):
        fallback.append(f"these areas have no population, so hot spots use incident counts instead of "
                        f"'{stats.variable}' (bring a population column or LSOA boundaries for rates)")
        stats = replace(stats, variable="count")
    time_only = Filters(None, filters.start, filters.end, filters.hours, filters.weekdays)
    counts, frep = aggregate(incidents.points, areas, time_only, without_location=incidents.report.skipped)
    selected = tuple(c for c in (filters.categories or counts.categories) if c in counts.counts.columns)
    series = counts.counts[list(selected)].sum(axis=1) if selected else counts.counts["total"]
    result, graph, notes = statistics(areas, series, stats)
    table = indicator_table(areas, counts.counts, gi_groups=gi_groups, tables=tables,
                            graph=graph if stats.weights == GI_WEIGHTS else None)
    return Analysis(counts=counts, filter_report=frep, selected=selected, values=result.values, hotspots=result,
                    graph=graph, stats=stats, filters=filters, notes=fallback + notes + frep.notes, indicators=table)


def hotspot_indicator(areas: pd.DataFrame, wanted: str | None = None) -> str | None:
    """The area indicator hot spots run on without incidents: ``wanted`` when the areas hold it, else the
    IMD score (or the first IoD score they hold); None when they hold none."""
    def usable(c):
        return c in areas.columns and pd.to_numeric(areas[c], errors="coerce").notna().any()

    if wanted and usable(wanted):
        return wanted
    return next((c for c in ["imd_score"] + [c for c in areas.columns if str(c).endswith("_score")] if usable(c)),
                None)


def hotspot_variables(areas: pd.DataFrame, incidents) -> dict[str, str]:
    """The hot-spot variables a picker offers (id -> label): the incident rates and count, or, without
    incidents (deprivation-only mode), the area indicators the areas hold (IMD score first)."""
    if not getattr(incidents, "empty", False):
        return {"eb_rate": "Rate per 1,000, Empirical Bayes smoothed", "rate": "Rate per 1,000 residents",
                "count": "Count", "seb_rate": "Rate per 1,000, spatial EB smoothed"}
    cat = load_catalogue()
    first = hotspot_indicator(areas)
    cols = [c for c in areas.columns if str(c).endswith("_score") and hotspot_indicator(areas, c) == c]
    cols = ([first] if first else []) + [c for c in cols if c != first]
    return {c: (cat[c].label if c in cat else c.replace("_", " ")) for c in cols}


def _analyse_without_incidents(areas, incidents, tables, filters: Filters, stats: StatsSettings) -> Analysis:
    """Deprivation-only mode: no incident indicators; hot spots run on an area indicator (the one named by
    ``stats.variable`` when the areas hold it, else the IMD score), and the notes say so."""
    notes = [str(n) for n in incidents.report.notes[1:]]
    var = hotspot_indicator(areas, stats.variable)
    if var is None:
        raise ConfigError("no incidents and no deprivation indicator for these areas: bring incidents "
                          "(--incidents FILE) or LSOA boundaries / indicator tables.")
    if var != stats.variable:
        notes.append(f"no incidents: hot spots show clusters of {var} (choose another area indicator as the "
                     "hot-spot variable, e.g. --variable income_score)")
    stats = replace(stats, variable=var)
    time_only = Filters(None, filters.start, filters.end, filters.hours, filters.weekdays)
    counts, frep = aggregate(incidents.points, areas, time_only, without_location=0)
    graph = build_weights(areas, stats.weights)
    values = pd.to_numeric(areas[var], errors="coerce").astype(float)
    values = values.fillna(float(np.nanmedian(values)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = hotspots(values, graph, permutations=stats.permutations, seed=stats.seed, alpha=stats.alpha,
                          correction=stats.correction, adaptive=stats.adaptive)
    table = indicator_table(areas, None, tables=tables)
    return Analysis(counts=counts, filter_report=frep, selected=(), values=result.values, hotspots=result,
                    graph=graph, stats=stats, filters=filters,
                    notes=notes + [str(w.message) for w in caught], indicators=table)


# ---------------------------------------------------------------------------------------------
# the one "indicator table -> Gi* z -> score" sequence (app, CLI score/gaps, profiles all call it)

GI_WEIGHTS = "queen"
"""Weights of the indicators' Gi* z (``<group>_gi_z``): the catalogue defines them on queen contiguity
(row-standardised, area itself included), whatever weights a hot-spot map uses."""


def areas_vintage(areas: pd.DataFrame) -> int:
    """The IoD vintage of an area set (``areas.attrs['vintage']``, 2025 when unstated)."""
    return int(areas.attrs.get("vintage", 2025) or 2025)


def indicator_table(areas: gpd.GeoDataFrame, counts: pd.DataFrame | None, *, weights=None,
                    gi_groups=None, tables=(), graph=None, catalogue=None) -> pd.DataFrame:
    """Indicator table of ``areas``: area columns, incident indicators of ``counts``, Gi* z, users' tables.

    The Gi* z columns are computed for ``gi_groups`` (default: the groups ``weights`` use with a positive
    weight) on :data:`GI_WEIGHTS` contiguity as the catalogue defines them; ``graph`` may pass those
    weights when already built. ``catalogue`` defaults to the areas' vintage
    (:func:`placebased.score.indicators.catalogue_for_vintage`).
    """
    cat = catalogue_for_vintage(areas_vintage(areas)) if catalogue is None else catalogue
    tables = list(tables or ())
    groups = list(gi_groups) if gi_groups is not None else needed_gi_groups(weights or {}, cat)
    base = build_indicator_table(areas, counts, catalogue=cat)
    groups = [g for g in groups if f"{g}_eb_rate" in base]
    if not groups:
        return build_indicator_table(areas, counts, extra_tables=tables, catalogue=cat) if tables else base
    if graph is None:
        graph = build_weights(areas, GI_WEIGHTS)
    hz = compute_hotspot_z(base, graph, groups)
    return build_indicator_table(areas, counts, hotspot_z=hz, extra_tables=tables, catalogue=cat)


def score_table(table: pd.DataFrame, scenario, names: pd.Series | None = None, vintage: int = 2025,
                robustness_draws: int | None = None):
    """Score an indicator table with ``scenario``; when none of its indicators exists for these areas
    (e.g. a boundary file without LSOA codes), score on the incident indicators that do, and say so.

    Returns ``(ScoreResult, note or None)``.
    """
    score_areas = partial(_score_areas, catalogue=catalogue_for_vintage(vintage), robustness_draws=robustness_draws,
                          names=names)
    weighted = {k: w for k, w in scenario.weights.items() if w > 0}
    usable = {k: w for k, w in weighted.items() if k in table.columns and table[k].notna().any()}
    dropped = [k for k in weighted if k not in usable]
    if usable:
        if not dropped:
            return score_areas(table, scenario), None
        note = (f"left out for lack of data in these areas: {', '.join(dropped)}; the other weights were "
                "renormalised")
        return score_areas(table, scenario.replace(weights=usable)), note
    prefer = ["serious_violence_eb_rate", "serious_violence_rate", "serious_violence_count", "all_count"]
    usable = [c for c in prefer if c in table.columns and table[c].notna().any()]
    usable = usable[:1] or [c for c in table.columns if table[c].notna().any()][:1]
    if not usable:
        raise ConfigError("no indicator has values for these areas; bring incidents or indicator tables.")
    fallback = scenario.replace(name=f"{scenario.name} (fallback)", weights={usable[0]: 100.0})
    note = (f"none of the scenario's indicators ({', '.join(scenario.weights)}) exists for these areas; "
            f"scored on {usable[0]} alone")
    return score_areas(table, fallback), note


def score_areas_with(areas: gpd.GeoDataFrame, counts: pd.DataFrame | None, scenario, tables=(),
                     robustness_draws: int | None = None):
    """The whole sequence in one call: :func:`indicator_table` (Gi* z only where ``scenario`` weights it)
    then :func:`score_table`, with the catalogue of the areas' vintage.

    Returns ``(ScoreResult, indicator table, note or None)``.
    """
    table = indicator_table(areas, counts, weights=scenario.weights, tables=tables)
    result, note = score_table(table, scenario, names=areas.get("area_name"), vintage=areas_vintage(areas),
                               robustness_draws=robustness_draws)
    return result, table, note


def score(analysis: Analysis, scenario, names: pd.Series | None = None, vintage: int = 2025):
    """Score an :class:`Analysis` with ``scenario`` (:func:`score_table` on its indicator table).

    Returns ``(ScoreResult, note or None)``.
    """
    return score_table(analysis.indicators, scenario, names=names, vintage=vintage)


def area_month_series(analysis: Analysis, code: str, months: list[str]) -> pd.Series:
    """Monthly counts of the selected categories in one area, every month of the filter range (zeros kept)."""
    monthly = analysis.counts.monthly
    rows = monthly[(monthly["area_code"] == code) & monthly["category"].isin(analysis.selected)]
    series = rows.groupby("month")["count"].sum().reindex(months, fill_value=0)
    f = analysis.filters
    keep = (series.index >= (f.start or "")) & (series.index <= (f.end or "9999-99"))
    return series.loc[keep].rename(code)


def point_layer(points: gpd.GeoDataFrame, categories, rules=None) -> gpd.GeoDataFrame:
    """Points that may be drawn (analyst view): the chosen categories, never a sensitive one
    (sexual offences, domestic abuse, stalking...: victims' homes; ``rules`` as in
    :func:`placebased.categories.is_sensitive`)."""
    cats = [c for c in categories if not is_sensitive(c, rules)]
    return points[points["category"].isin(cats)]


def incident_line(report, in_area: int, outside: int, scope: str | None = None, undated: int | None = None) -> str:
    """What happened to the incident rows, in one line (``counts``, ``trends``, ``score`` and the app print it).

    ``report`` is the reader's :class:`~placebased.io.incidents.LoadReport` (rows read, located, without a
    usable location); ``in_area`` and ``outside`` are counted on the incidents in ``scope`` (the
    categories and months the output uses, e.g. ``"serious violence, 2025-03 to end"``), so two outputs
    with the same scope state the same numbers.

    >>> from types import SimpleNamespace as NS
    >>> incident_line(NS(rows_read=10, located=9, skipped=1), 7, 2, scope="Robbery")
    'read 10; located 9; Robbery: in the areas 7, outside the areas 2; without a usable location 1'
    """
    head = f"read {report.rows_read:,}; located {report.located:,}"
    if undated:
        head += f"; undated {undated:,}"
    where = f"in the areas {in_area:,}, outside the areas {outside:,}"
    return f"{head}; {scope + ': ' if scope else ''}{where}; without a usable location {report.skipped:,}"


def scope_label(categories=None, start: str | None = None, end: str | None = None) -> str:
    """``"all categories"`` / the category names (first three, then how many more), and the months."""
    cats = list(categories or [])
    words = "all categories" if not cats else ", ".join(cats[:3]) + (f" and {len(cats) - 3} more" if len(cats) > 3
                                                                      else "")
    if start or end:
        words += f", {start or 'start'} to {end or 'end'}"
    return words


def load_summary(incidents, analysis: Analysis) -> str:
    """What happened to the incident rows, in one line (:func:`incident_line` on the analysis' counts:
    all categories within the date and time filters)."""
    a, f = analysis.counts.report, analysis.filters
    return incident_line(incidents.report, a.in_area, a.outside, scope=scope_label(None, f.start, f.end))


def map_frame(areas: gpd.GeoDataFrame, analysis: Analysis, scores: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per-area attributes for the map's layers and tooltips (index ``area_code``)."""
    from placebased.outputs.mapping import density

    out = pd.DataFrame(index=areas.index)
    out["area_name"] = areas["area_name"]
    if "imd_decile" in areas:
        out["imd_decile"] = areas["imd_decile"]
    sel = list(analysis.selected)
    count = analysis.counts.counts[sel].sum(axis=1) if sel else analysis.counts.counts["total"]
    out["count"] = count
    out["density"] = density(count, areas)
    hf = analysis.frame
    out["gi_bin"] = hf["gi_bin"]
    out["gi_z"] = hf["gi_z"]
    out["lisa_cluster"] = hf["lisa_cluster"]
    if scores is not None:
        for c in ("score", "rank", "tier", "rank_p05", "rank_p95", "p_top_n", "drivers"):
            if c in scores:
                out[c] = scores[c]
    return out


def suggest_weights(areas: gpd.GeoDataFrame, analysis: Analysis, base, outcome: str = "serious_violence",
                    outcome_weight: float = 50.0):
    """Fit the count regression of ``outcome`` incidents on the scenario's indicators.

    Returns ``(RegressionResult, Scenario)``: the table to show (association, not cause) and a
    scenario with the proposed weights that the user can adopt in one step.
    """
    table = analysis.indicators
    col = f"{outcome}_count"
    if col not in table.columns:
        raise ConfigError(f"the incidents hold no {outcome} categories; the regression needs them.")
    predictors = default_predictors(base.weights, outcome, table.columns)
    result = fit_count_model(table[col], table, areas["population"], predictors, graph=analysis.graph,
                             seed=analysis.stats.seed, outcome=outcome, directions=base.directions)
    return result, result.suggest_scenario(outcome_weight, base=base)


def profile_notes(codes, selection: dict[str, str], comments: pd.DataFrame | None = None,
                  max_comments: int = 5) -> dict[str, list[str]]:
    """Notes per area for a profile: the reason recorded with the target selection, then the latest
    workshop comments (their text only: participants' names stay in the store)."""
    out: dict[str, list[str]] = {}
    for code in codes:
        notes = [f"Reason for selection: {selection[code]}"] if selection.get(code) else []
        if comments is not None and len(comments):
            mine = comments[comments["area_code"] == code].sort_values("created_at", ascending=False)
            notes += [f"Workshop comment ({str(r.created_at)[:10]}): {r.text}"
                      for r in mine.head(max_comments).itertuples()]
        if notes:
            out[code] = notes
    return out



def sna_analysis(areas: gpd.GeoDataFrame, points: gpd.GeoDataFrame, settings=None, without_location: int = 0):
    """The needs assessment's deprivation and concentration analysis (:class:`placebased.score.sna.SNAResult`):
    ``points`` filtered to the categories (names or group ids) and months of ``settings``
    (:class:`placebased.score.sna.SNASettings`) by :func:`filter_incidents`, then
    :func:`placebased.score.sna.summarise`."""
    settings = sna.SNASettings() if settings is None else settings
    cats = sna.resolve_categories(settings.categories, points["category"].dropna().unique())
    if settings.categories and not cats:
        raise DataError(f"no incidents of {', '.join(settings.categories)} in the data; choose other categories.")
    pts, frep = filter_incidents(points, Filters(categories=cats or None, start=settings.start, end=settings.end))
    return sna.summarise(areas, pts, cats, settings, filter_notes=frep.notes, without_location=without_location)

def scenario_label(scenario, labels=None) -> str:
    """The scenario's label for legends and captions: "Balanced" while its weights are the preset's,
    "Balanced (edited: IMD score 20% → 40%, ...)" once they differ (words: outputs.glossary).
    ``labels``: indicator id -> label; default the catalogue's."""
    name = str(getattr(scenario, "name", "") or "").strip().lower()
    base = next((p for p in map(preset, preset_names()) if p.name.lower() == name), None)
    if labels is None:
        labels = {k: v.label for k, v in load_catalogue().items()}
    return glossary.scenario_label(scenario, labels, base)


def workshop_table(counts: pd.DataFrame, hotspot_frame=None, score_frame=None, areas=None, threshold: int = 5,
                   sensitive=None, *, sensitive_threshold: int = 10, select=None, focus=None,
                   period: str | None = None, hotspot_label: str | None = None) -> pd.DataFrame:
    """The workshop's table of the chosen areas (``select``; all when None): the counts published under
    the public rule (score.disclosure.public_table, exactly as each area's public profile shows them),
    each as a ratio to the average area of ``counts`` from the published counts; sensitive categories no
    chosen area reaches are left out. ``sensitive``: the rule (default the shipped list). Laid out with
    ranks, hot spots and one sentence per area by outputs.workshop.lay_out (see there for the columns)."""
    sensitive = is_sensitive if sensitive is None else sensitive
    rows = workshop.chosen_rows(counts, select, focus)
    sub = counts.loc[rows]
    shown, flags = public_table(sub, threshold, sensitive=sensitive, sensitive_threshold=sensitive_threshold,
                                sensitive_text=f"<{sensitive_threshold}")
    published = sub.apply(pd.to_numeric, errors="coerce").astype(float).apply(
        lambda col: col.map(round_count)).where(flags == SHOWN)
    mean = counts.apply(pd.to_numeric, errors="coerce").astype(float).mean()
    ratio = published.div(mean.where(mean > 0)).where(published > 0)
    keep = [c for c in shown.columns if not (flags[c] == SENSITIVE).all()]
    return workshop.lay_out(shown, published, ratio, hotspot_frame, score_frame, areas, columns=keep,
                            sensitive=sensitive, focus=focus, period=period, hotspot_label=hotspot_label)


# ---------------------------------------------------------------------------------------------
# the statistics the entry points call whose modules import scipy, libpysal or numba (seconds): imported
# on the first call, so importing the pipeline (the app's start, every CLI command) stays without them


def parse_weights(kind: str):
    """The :class:`~placebased.stats.weights.WeightSpec` of a weights name (``queen``, ``knn:6``...): a bad
    name fails here, before anything is read (:func:`placebased.stats.weights.parse_weights`)."""
    from placebased.stats import weights

    return weights.parse_weights(kind)


def build_weights(areas, kind: str = "queen"):
    """Row-standardised spatial weights of ``areas`` (:func:`placebased.stats.weights.build_weights`)."""
    from placebased.stats import weights

    return weights.build_weights(areas, kind)


def hotspots(values, graph, *args, **kwargs):
    """Gi* and local Moran of ``values`` on ``graph`` (:func:`placebased.stats.hotspots.hotspots`)."""
    from placebased.stats import hotspots as _hotspots

    return _hotspots.hotspots(values, graph, *args, **kwargs)


def moran(values, graph, *args, **kwargs):
    """Global Moran's I (:func:`placebased.stats.moran.moran`)."""
    from placebased.stats import moran as _moran

    return _moran.moran(values, graph, *args, **kwargs)


def moran_rate(counts, population, graph, *args, **kwargs):
    """Global Moran's I of a rate, Assunção-Reis adjusted (:func:`placebased.stats.moran.moran_rate`)."""
    from placebased.stats import moran as _moran

    return _moran.moran_rate(counts, population, graph, *args, **kwargs)


def format_moran(result) -> str:
    """A global Moran result in one line (:func:`placebased.stats.moran.format_moran`)."""
    from placebased.stats import moran as _moran

    return _moran.format_moran(result)


def trends(points, areas, *args, **kwargs):
    """Trend and emerging hot spot class per area (:func:`placebased.stats.emerging.trends`)."""
    from placebased.stats import emerging

    return emerging.trends(points, areas, *args, **kwargs)


def time_of_week(points, *args, **kwargs):
    """Counts by day of week and hour (:func:`placebased.stats.timeseries.time_of_week`)."""
    from placebased.stats import timeseries

    return timeseries.time_of_week(points, *args, **kwargs)


def time_of_week_figure(table, *args, **kwargs):
    """Heat map of a :func:`time_of_week` table (:func:`placebased.stats.timeseries.time_of_week_figure`)."""
    from placebased.stats import timeseries

    return timeseries.time_of_week_figure(table, *args, **kwargs)


def trend_figure(series_for_area, *args, **kwargs):
    """One area's counts per step with its trend line (:func:`placebased.stats.timeseries.trend_figure`)."""
    from placebased.stats import timeseries

    return timeseries.trend_figure(series_for_area, *args, **kwargs)

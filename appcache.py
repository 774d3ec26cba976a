"""Cached wrappers around placebased for the app's pages (the only module besides the pages that imports
streamlit). Each wrapper is keyed by small frozen settings; heavy objects are shared read-only
(``st.cache_resource``): placebased functions never modify their inputs."""

from __future__ import annotations

import hashlib
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path

import streamlit as st

from placebased import pipeline as P  # noqa: N812
from placebased.io import resultcache
from placebased.outputs.mapping import authority_outlines, web_features, web_geometry
from placebased.pipeline import Scenario

UPLOADS = Path(tempfile.gettempdir()) / "placebased-uploads"
#: ``off`` turns the on-disk cache of loaded inputs and area charts off (see :func:`_disk_cached`)
DISK_CACHE_ENV = resultcache.DISK_CACHE_ENV


def _disk_cached(kind: str, compute, src: P.Sources, *settings):
    """``compute()``, or its result saved on disk by an earlier server for the same inputs
    (:func:`placebased.io.resultcache.disk_cached`, the cache the CLI's profiles use too): keyed on ``kind``,
    ``src``, ``settings``, the state of every file ``src`` reads and the code version, which here includes
    this module. ``PLACEBASED_APP_CACHE=off`` turns it off; a folder moves it."""
    return resultcache.disk_cached(kind, compute, src, *settings, version=resultcache.code_version((__file__,)))


class _LazyFeatures(Mapping):
    """:func:`placebased.outputs.mapping.web_features` of ``web``, built on first use: only the folium map
    (a basemap, or ``PLACEBASED_MAP=folium``) reads them, so the canvas map's start does not pay for them."""

    def __init__(self, web):
        self._web, self._features, self._lock = web, None, threading.Lock()

    def _get(self) -> dict:
        with self._lock:
            if self._features is None:
                self._features = web_features(self._web)
            return self._features

    def __getitem__(self, code):
        return self._get()[code]

    def __iter__(self):
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())


def _load_areas(src: P.Sources):
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        areas = P.load_areas_for(src)
    web = web_geometry(areas)
    notes = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    return areas, web, authority_outlines(areas), notes


@st.cache_resource(show_spinner="Loading areas and indicators…")
def _c_areas(src: P.Sources):
    areas, web, outlines, notes = _disk_cached("areas", lambda: _load_areas(src), src)
    return areas, web, _LazyFeatures(web), outlines, notes


def c_areas(src: P.Sources):
    return _c_areas(P.Sources(vintage=src.vintage, boundaries=src.boundaries, id_column=src.id_column))


@st.cache_resource(show_spinner=False)
def _c_web_geometry(src: P.Sources) -> dict:
    from placebased.outputs.webmap import write_geometry

    _areas, web, _features, outlines, _notes = _c_areas(src)
    return write_geometry(web, Path(__file__).resolve().parent / "static", outlines)


def c_web_geometry(src: P.Sources) -> dict:
    """The areas' browser geometry, written once under ``static/geo/`` (``url``, ``codes``; see
    :func:`placebased.outputs.webmap.write_geometry`)."""
    return _c_web_geometry(P.Sources(vintage=src.vintage, boundaries=src.boundaries, id_column=src.id_column))


@st.cache_resource(show_spinner="Reading incidents…")
def _c_incidents(src: P.Sources, _progress=None):
    return _disk_cached("incidents", lambda: P.load_incidents_for(src, progress=_progress), src)


def c_incidents(src: P.Sources, progress=None):
    """Incidents of ``src``; the areas are part of the key: they decide whether the shipped records apply
    and which records of a police.uk download are kept. ``progress(done, total, what)`` while reading a
    download (not part of the key)."""
    where = {"vintage": src.vintage, "boundaries": src.boundaries, "id_column": src.id_column}
    return _c_incidents(P.Sources(incidents=src.incidents, incident_options=src.incident_options, **where), progress)


@st.cache_resource(show_spinner="Reading indicator tables…")
def c_tables(src: P.Sources):
    return P.load_tables_for(src, c_areas(src)[0].index)


@st.cache_resource(show_spinner="Reading provision…")
def c_provision(src: P.Sources):
    return P.load_provision_for(src)


@st.cache_resource(show_spinner="Counting incidents and computing hot spots (permutations)…")
def c_analysis(src: P.Sources, filters: P.Filters, stats: P.StatsSettings):
    """Counts, weights, hot spots (9,999 permutations by default) and indicators; saved on disk
    (:func:`_disk_cached`), so a fresh server with the same inputs and settings reads them."""
    return _disk_cached("analysis", lambda: P.analyse(c_areas(src)[0], c_incidents(src), c_tables(src), filters,
                                                      stats), src, filters, stats)


@st.cache_resource(show_spinner="Scoring…", max_entries=32)
def c_score(src: P.Sources, filters: P.Filters, stats: P.StatsSettings, scenario: Scenario):
    return P.score(c_analysis(src, filters, stats), scenario, names=c_areas(src)[0]["area_name"],
                   vintage=src.vintage)


@st.cache_resource(show_spinner="Finding gaps in provision…", max_entries=16)
def c_gaps(src: P.Sources, filters, stats, scenario: Scenario, types: tuple[str, ...], radius: float, upto: str):
    areas = c_areas(src)[0]
    r = P.reach(areas, c_provision(src), radius_m=radius, types=list(types) or None)
    tier = c_score(src, filters, stats, scenario)[0].table["tier"]
    return P.gaps(r, tier, areas=areas, priority_tiers=P.tiers_up_to(tier, upto),
                  types_label=", ".join(types) if types else "provision of any type")


@st.cache_data(show_spinner=False, max_entries=4096)
def c_comparison_sentence(code: str, vintage: int = 2025) -> str:
    """:func:`placebased.io.geography.comparison_sentence` for one area (the area detail's line), once per area:
    it looks the area up among every LSOA in England."""
    from placebased.io.geography import comparison_sentence

    return comparison_sentence([code], vintage)


@st.cache_data(show_spinner=False)
def c_catalogue_labels(vintage: int = 2025):
    return {k: v.label for k, v in P.catalogue_for_vintage(vintage).items()}


def save_upload(upload) -> str:
    """Write an uploaded file under a content-addressed temp path (its bytes never leave the machine)."""
    data = upload.getvalue()
    from placebased.safety import check_upload

    check_upload(upload.name, len(data))
    digest = hashlib.sha256(data).hexdigest()[:16]
    folder = UPLOADS / digest
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / Path(upload.name).name
    if not path.exists():
        path.write_bytes(data)
    return str(path)




@st.cache_resource(show_spinner=False)
def c_store():
    """The saved-work store (SQLite by default; PLACEBASED_DB for a path or database URL).

    Raises PlaceBasedError when the database cannot be used (e.g. its server is unreachable); a failure is
    not cached, so the next call tries again. Pages use :func:`store_or_warning`."""
    from placebased.io.store import Store

    return Store()


_STORE_RETRY_S = 30.0
_store_failure: dict[str, tuple[float, str]] = {}  # database setting -> (when it failed, why)


def store_or_warning(what: str = "Saving and loading work") -> object | None:
    """The saved-work store, or None after a ``st.warning`` saying why it is unavailable and that ``what`` is
    disabled: the rest of the page keeps working. After a failure the database is tried again at most every
    30 seconds (an unreachable server would otherwise slow every rerun)."""
    import os
    import time

    from placebased.errors import PlaceBasedError
    from placebased.io.store import DB_ENV

    key = os.environ.get(DB_ENV, "")
    failed = _store_failure.get(key)
    if failed is None or time.monotonic() - failed[0] > _STORE_RETRY_S:
        try:
            store = c_store()
        except PlaceBasedError as exc:
            failed = _store_failure[key] = (time.monotonic(), str(exc))
        else:
            _store_failure.pop(key, None)
            return store
    from placebased.safety import escape_markdown

    st.warning(escape_markdown(f"Saved work is unavailable: {failed[1]} {what} is disabled until this is fixed; "
                               "everything else on this page works."), icon="⚠️")
    return None


def current_settings():
    """The data, filter, statistics and scenario settings last used on the main page (or defaults)."""
    from placebased.categories import GROUPS
    from placebased.config import AreaConfig

    default_filters = P.Filters(categories=tuple(sorted(GROUPS["serious_violence"]["police_uk"])))
    stats = P.StatsSettings(permutations=9999)  # as the main page: FDR needs room below p = 0.001
    area = st.session_state.get("area_config") or AreaConfig()  # app.py's --config area.toml
    return st.session_state.get("settings") or (area.sources(), default_filters, stats, P.default_scenario())


@st.cache_resource(show_spinner="Computing trends and emerging hot spots (space-time Gi*)…", max_entries=8)
def c_trends(src: P.Sources, filters: P.Filters, stats: P.StatsSettings):
    import warnings

    an = c_analysis(src, filters, stats)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return P.trends(c_incidents(src).points, c_areas(src)[0], categories=list(an.selected) or None,
                        start=filters.start, end=filters.end, graph=an.graph, alpha=stats.alpha,
                        correction=stats.correction)


@st.cache_resource(show_spinner="Preparing the profile…", max_entries=4)
def c_profile_context(src: P.Sources, filters: P.Filters, stats: P.StatsSettings, scenario: Scenario):
    from placebased.errors import PlaceBasedError

    try:
        trend_table = c_trends(src, filters, stats).table
    except PlaceBasedError:
        trend_table = None
    areas, result = c_areas(src)[0], c_score(src, filters, stats, scenario)[0]
    from placebased.profile_record import profile_context

    return profile_context(areas, c_analysis(src, filters, stats), result, c_provision(src), trend_table=trend_table)


@st.cache_resource(show_spinner="Solving the maximal covering location problem (CBC)…", max_entries=8)
def c_sites(src: P.Sources, filters, stats, scenario: Scenario, types: tuple[str, ...], radius: float, k: int):
    from placebased.io.provision import select_types

    areas = c_areas(src)[0]
    score = c_score(src, filters, stats, scenario)[0].table["score"]
    existing = select_types(c_provision(src), list(types) or None)
    return P.suggest_sites(areas, P.priority_weights(score, areas["population"]), k, radius_m=radius,
                           existing=existing, population=areas["population"])


@st.cache_data(show_spinner=False, max_entries=64)
def c_area_charts(src: P.Sources, filters: P.Filters, stats: P.StatsSettings, code: str, kind: str) -> bytes:
    """PNG of one area's monthly trend (``kind="trend"``) or day x hour pattern (``"week"``); these do
    not depend on the weights, so a weight change does not redraw them. Saved on disk too
    (:func:`_disk_cached`): a fresh server need not start matplotlib for the first page."""
    return _disk_cached("chart", lambda: _area_chart(src, filters, stats, code, kind), src, filters, stats, code,
                        kind)


def _area_chart(src: P.Sources, filters: P.Filters, stats: P.StatsSettings, code: str, kind: str) -> bytes:
    import io

    an = c_analysis(src, filters, stats)
    points = c_incidents(src).points
    name = c_areas(src)[0].at[code, "area_name"]
    if kind == "trend":
        fig = P.trend_figure(P.area_month_series(an, code, P.months_available(points)),
                             title=f"{name}: selected categories per month")
    else:
        area = c_areas(src)[0].loc[[code]]
        fig = P.time_of_week_figure(P.time_of_week(points, area, list(an.selected) or None, start=filters.start,
                                                   end=filters.end), title=f"{name}: day of week × hour")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return buf.getvalue()


@st.cache_resource(show_spinner="Matching comparison areas and fitting the count model…", max_entries=16)
def c_evaluation(src: P.Sources, categories, targets: tuple[str, ...], start: str, settings):
    """The evaluation of ``targets`` from ``start`` (:func:`placebased.stats.evaluate.evaluate_incidents`)."""
    return P.evaluate_incidents(c_incidents(src).points, c_areas(src)[0], list(targets), start, categories, settings)


@st.cache_resource(show_spinner="Simulating evaluations on the areas' own history…", max_entries=16)
def c_plan(src: P.Sources, categories, targets: tuple[str, ...], months_after: int, settings=None):
    """The minimum detectable effect for ``targets`` (:func:`placebased.stats.evaluate_power.plan_incidents`)."""
    return P.plan_incidents(c_incidents(src).points, c_areas(src)[0], list(targets), months_after, categories,
                            settings=settings)

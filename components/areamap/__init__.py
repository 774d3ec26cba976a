"""``area_map``: the app's map as a Streamlit component that keeps the geometry in the browser.

The geometry travels once, as a content-addressed file under the app's ``static/`` folder
(:func:`placebased.outputs.webmap.write_geometry`, served by Streamlit's static serving); each rerun sends
only the style arguments (:func:`placebased.outputs.webmap.style_payload`). The frontend
(``frontend/index.html`` + ``areamap.js``) speaks the component protocol by hand and draws with the
app's own copy of Leaflet on a canvas: nothing is requested from any other host.

A click returns ``{"code", "n", "clicks"}``; :func:`take_clicks` turns the clicks not yet handled into
area codes (each click toggles), so the page updates its selection *before* drawing the map, in the
same rerun, and passes ``ack`` back so the browser's instant selection agrees with the server's.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st
import streamlit.components.v1 as components

FRONTEND = Path(__file__).resolve().parent / "frontend"
_component = components.declare_component("areamap", path=str(FRONTEND))


def use_folium_map(basemap: str | None = None) -> bool:
    """The old folium map (a whole Leaflet document per rerun) is used with a basemap (tiles), or when
    the environment variable ``PLACEBASED_MAP=folium`` asks for it; otherwise this component."""
    return os.environ.get("PLACEBASED_MAP", "").strip().lower() == "folium" or (basemap or "none") != "none"


def take_clicks(key: str) -> list[str]:
    """Area codes clicked since the last call for the component ``key`` (oldest first)."""
    value = st.session_state.get(key)
    seen_key = f"{key}__ack"
    ack = st.session_state.get(seen_key, 0)
    if not isinstance(value, dict):
        return []
    clicks = value.get("clicks") or [{"code": value.get("code"), "n": value.get("n")}]
    new = [c for c in clicks if isinstance(c, dict) and isinstance(c.get("n"), (int, float)) and c["n"] > ack
           and isinstance(c.get("code"), str)]
    if new:
        st.session_state[seen_key] = max(c["n"] for c in new)
    return [c["code"] for c in new]


@st.cache_resource(show_spinner=False, max_entries=16)
def _places(geo_url: str, geo_path: str, _areas, codes: tuple[str, ...]) -> str:
    from components.areamap.places import write_places

    prefix = geo_url.rsplit("/geo/", 1)[0]
    return write_places(_areas, list(codes), Path(geo_path).parent.parent, url_prefix=prefix)["url"]


def places_url(geo: dict, areas) -> str | None:
    """URL of the place names of ``geo`` (``write_geometry``'s dict) for ``areas``: town and ward labels
    and each area's "in ... ward" title (:mod:`components.areamap.places`), written once per area set."""
    try:
        return _places(str(geo["url"]), str(geo["path"]), areas, tuple(geo["codes"]))
    except Exception:  # noqa: BLE001 - place names are a help, never a reason to lose the map
        return None


def area_map(geo_url: str, payload: dict, *, height: int = 660, key: str = "areamap", toggle: bool = True,
             view_key: str | None = None, places: str | None = None, focus=None, emphasis=None):
    """Draw the map (geometry at ``geo_url``, style ``payload``); returns the last click value.

    ``places``: :func:`places_url` (town and ward labels, scaled to the zoom; tooltip titles with the
    ward). ``focus``: ``(west, south, east, north)`` in WGS84 to open on (e.g.
    :func:`placebased.io.places.hotspot_bounds`) instead of all areas, unless the user has moved the map.
    ``emphasis``: area codes outlined strongly above the provision badges (e.g. the provision gaps)."""
    extra = {"places": places or None,
             "focus": [float(v) for v in focus] if focus is not None else None,
             "emphasis": [str(c) for c in emphasis] if emphasis is not None else None}
    return _component(geo=geo_url, height=int(height), toggle=bool(toggle), ack=st.session_state.get(f"{key}__ack", 0),
                      view_key=view_key or key, key=key, default=None, **payload, **extra)

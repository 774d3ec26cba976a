"""placebased — first app: the default Northamptonshire areas on an offline map."""

from pathlib import Path

import streamlit as st
from streamlit_folium import st_folium

from placebased.areas import load_areas
from placebased.mapping import build_map, install_static_assets, web_geometry

st.set_page_config(page_title="placebased", layout="wide")
install_static_assets(Path(__file__).parent / "static")


@st.cache_data(show_spinner="Loading areas…")
def _areas():
    a = load_areas()
    return a, web_geometry(a)


areas, web = _areas()
st.title("placebased — Northamptonshire")
m = build_map(web, areas.drop(columns="geometry"), layer="imd")
st_folium(m, height=640, use_container_width=True, returned_objects=[], key="map")

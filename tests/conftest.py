"""Shared fixtures: the real shipped data (loaded once per session) and tiny hand-made cases."""

from __future__ import annotations

import os
import tempfile

import geopandas as gpd
import pytest
from shapely.geometry import box

from placebased import _paths
from placebased.io.areas import load_areas
from placebased.io.incidents import load_incidents

# saved work from tests (AppTest, browser) goes to a throwaway database, never the user's
os.environ.setdefault("PLACEBASED_DB", os.path.join(tempfile.mkdtemp(prefix="placebased-test-"), "test.db"))


@pytest.fixture(scope="session")
def areas():
    return load_areas()


@pytest.fixture(scope="session")
def police():
    return load_incidents(_paths.default_incident_files())


@pytest.fixture
def grid_areas():
    """A 3 x 3 grid of 1 km squares in British National Grid near Northampton, ids A1..C3."""
    x0, y0 = 470_000, 260_000
    rows = []
    for i, col in enumerate("ABC"):
        for j in range(3):
            rows.append({"area_code": f"{col}{j + 1}", "area_name": f"Square {col}{j + 1}", "population": 1000,
                         "geometry": box(x0 + i * 1000, y0 + j * 1000, x0 + (i + 1) * 1000, y0 + (j + 1) * 1000)})
    return gpd.GeoDataFrame(rows, crs="EPSG:27700").set_index("area_code")


@pytest.fixture
def app():
    """The Streamlit app (``app.py``) in AppTest, freshly started and run once: its own session state, so no
    test depends on what another test clicked or uploaded (the cached pipeline steps are keyed on their
    settings, so sharing them across tests changes no result)."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=300)
    at.run()
    return at


def shown(markdown: str) -> str:
    """What a person reads from text the app escaped for Markdown (``safety.escape_markdown``)."""
    import html

    return html.unescape(markdown).replace("\u2060", "").replace("  \n", "\n")

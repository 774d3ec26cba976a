"""Places people know (placebased.io.places): wards of LSOAs, place labels, ward and town labels, bounds.

Edge cases: a code in no lookup (label is the name alone), a ward named like the area, a ward name
ending in "ward", areas outside the shipped county (towns fall back to the largest wards), the
2011 LSOAs (IoD2019 vintage), no hot spot (bounds of all areas).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from placebased.io import places
from placebased.io.areas import load_areas


@pytest.fixture(scope="module")
def areas():
    return load_areas()


def test_every_shipped_lsoa_has_a_ward(areas):
    assert areas["ward_name"].notna().all()
    assert areas["ward_name"].nunique() == 66  # all May 2025 wards of the two authorities
    assert load_areas(2019)["ward_name"].notna().all()
    assert "May 2025" in places.ward_vintage(areas.index)


def test_place_label_names_the_ward():
    assert places.place_label("E01027153") == "West Northamptonshire 032B, in Castle ward"
    assert places.place_label("E01000001").startswith("City of London 001A, in ")  # England-wide lookup
    assert places.place_label("X123", "My zone") == "My zone"
    assert places.place_label("X123", "Kingsley", ward="Kingsley") == "Kingsley"
    assert places.place_label("X123", "Zone 1", ward="Abbey Ward") == "Zone 1, in Abbey Ward"
    labels = places.place_labels(pd.DataFrame({"area_name": ["A"], "ward_name": ["Castle"]}, index=["Z1"]))
    assert labels.tolist() == ["A, in Castle ward"]


def test_best_fit_file_matches_the_overlay(areas):
    b = pd.read_csv(places.BEST_FIT, dtype=str)
    assert set(areas.index) <= set(b["area_code"])
    assert b["area_code"].is_unique
    assert (b["share_of_area"].astype(float) > 0.4).all()


def test_ward_label_points_lie_in_their_wards_and_carry_zoom(areas):
    pts = places.ward_label_points(areas)
    assert len(pts) == 66 and pts["ward_name"].is_unique
    assert pts["lon"].between(-1.4, -0.3).all() and pts["lat"].between(51.9, 52.7).all()
    assert pts["min_zoom"].between(8, 14).all()
    assert pts["area_km2"].is_monotonic_decreasing
    big, small = pts.iloc[0], pts.iloc[-1]
    assert big["min_zoom"] <= small["min_zoom"]  # larger wards are labelled earlier
    w = areas[areas["ward_name"] == "Castle"].union_all()
    row = pts.set_index("ward_name").loc["Castle"]
    assert w.buffer(50).contains(gpd.points_from_xy([row.x], [row.y])[0])


def test_towns_are_the_county_towns(areas):
    t = places.towns(areas)
    names = t["name"].tolist()
    assert names[:3] == ["Northampton", "Kettering", "Corby"]
    assert {"Wellingborough", "Daventry", "Towcester"} <= set(names)
    assert "Peterborough" not in names  # a post town of another authority
    assert (t["method"] == "post town of NHS sites").all()


def test_towns_elsewhere_fall_back_to_largest_wards():
    far = gpd.GeoDataFrame({"area_name": ["a", "b"], "ward_name": ["North ward", "South ward"],
                            "population": [100, 300]},
                           geometry=[box(530000, 180000, 531000, 181000), box(530000, 179000, 531000, 180000)],
                           index=["Z1", "Z2"], crs="EPSG:27700")
    t = places.towns(far)
    assert t["name"].tolist() == ["South ward", "North ward"][:len(t)] or set(t["name"]) == {"North ward", "South ward"}
    assert (t["method"] == "largest wards by residents").all()


def test_label_payload_is_plain_data(areas):
    p = places.label_payload(areas)
    kinds = {d["kind"] for d in p}
    assert kinds == {"town", "ward"}
    assert all(set(d) == {"text", "lon", "lat", "kind", "min_zoom"} for d in p)
    assert all(isinstance(d["text"], str) and "<" not in d["text"] for d in p)
    assert min(d["min_zoom"] for d in p if d["kind"] == "ward") >= 10


def test_hotspot_bounds(areas):
    bins = pd.Series(0, index=areas.index)
    west, south, east, north = places.hotspot_bounds(areas, bins)  # no hot spot: the whole county
    assert west < -1.2 and east > -0.5
    bins.iloc[:3] = 3
    w2, s2, e2, n2 = places.hotspot_bounds(areas, bins)
    assert w2 > west and e2 < east and s2 > south and n2 < north
    assert e2 > w2 and n2 > s2

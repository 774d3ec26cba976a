"""Incident loading: police.uk and generic files, and every bad input the foundation issue lists.

Edge cases: missing/empty/binary files, no coordinate columns, blank and non-numeric coordinates
(skipped and counted; refused when most rows are bad), latitude/longitude swapped, BNG in lat/lon
columns and the reverse, utf-8 / utf-8-BOM / cp1252 text, gzip, folders, Excel, GeoJSON points.
"""

from __future__ import annotations

import gzip

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from placebased import _paths
from placebased.errors import DataError, SchemaError
from placebased.io.incidents import load_incidents

# Northampton town centre, in both systems
LON, LAT = -0.8938, 52.2369
EAST, NORTH = 475_500, 260_600


def test_police_uk_real_files(police):
    pts, rep = police.points, police.report
    assert rep.rows_read == 57_565
    assert rep.located + rep.skipped == rep.rows_read
    assert rep.without_location == 657
    assert pts.crs.to_epsg() == 27700
    assert {"category", "date", "month", "time", "weight"} <= set(pts.columns)
    assert set(pts["month"].dropna()) == {f"2025-{m:02d}" for m in range(1, 10)}
    assert pts["time"].isna().all()  # police.uk has months only
    assert (pts["weight"] == 1).all()
    assert "Violence and sexual offences" in police.categories
    # in-county points lie inside the county's grid extent
    inside = pts[pts["lsoa_code_source"].str.startswith("E0102", na=False)]
    assert inside.geometry.x.between(440_000, 515_000).mean() > 0.99


def test_folder_and_single_gz_file():
    one = load_incidents(_paths.default_incident_files()[0])
    assert one.report.rows_read == 5_773
    folder = load_incidents(_paths.POLICE_UK_DEFAULT)
    assert folder.report.rows_read == 57_565


def _csv(tmp_path, text, name="inc.csv", encoding="utf-8"):
    f = tmp_path / name
    f.write_bytes(text.encode(encoding))
    return f


def test_generic_latlon_with_dates_times_categories(tmp_path):
    f = _csv(tmp_path, "Latitude,Longitude,Offence,Date,Weight\n"
                       f"{LAT},{LON},Knife crime,14/03/2025 01:30,2\n"
                       f"{LAT},{LON},GBH s18,2025-03-15,1\n")
    inc = load_incidents(f)
    p = inc.points
    assert p["category"].tolist() == ["Knife crime", "GBH s18"]
    assert p["date"].iloc[0] == pd.Timestamp("2025-03-14 01:30")
    assert p["time"].iloc[0] == "01:30"
    assert p["weight"].tolist() == [2.0, 1.0]
    assert abs(p.geometry.x.iloc[0] - EAST) < 300 and abs(p.geometry.y.iloc[0] - NORTH) < 300


def test_easting_northing(tmp_path):
    f = _csv(tmp_path, f"Easting,Northing,type\n{EAST},{NORTH},Robbery\n")
    p = load_incidents(f).points
    assert p.geometry.x.iloc[0] == EAST and p.geometry.y.iloc[0] == NORTH


def test_named_columns(tmp_path):
    f = _csv(tmp_path, f"a,b,c\n{EAST},{NORTH},x\n")
    p = load_incidents(f, x_column="a", y_column="b", crs="bng", category_column="c").points
    assert p["category"].iloc[0] == "x"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_encodings(tmp_path, encoding):
    f = _csv(tmp_path, f"Longitude,Latitude,Location\n{LON},{LAT},Café – Street\n", encoding=encoding)
    assert len(load_incidents(f).points) == 1


def test_gzipped_generic_csv(tmp_path):
    f = tmp_path / "inc.csv.gz"
    f.write_bytes(gzip.compress(f"Longitude,Latitude\n{LON},{LAT}\n".encode()))
    assert len(load_incidents(f).points) == 1


def test_excel(tmp_path):
    f = tmp_path / "inc.xlsx"
    pd.DataFrame({"Easting": [EAST], "Northing": [NORTH], "Category": ["Robbery"]}).to_excel(f, index=False)
    assert load_incidents(f).points["category"].iloc[0] == "Robbery"


def test_geojson_points(tmp_path):
    f = tmp_path / "pts.geojson"
    gpd.GeoDataFrame({"category": ["Robbery"]}, geometry=[Point(LON, LAT)], crs=4326).to_file(f)
    p = load_incidents(f).points
    assert p.crs.to_epsg() == 27700 and p["category"].iloc[0] == "Robbery"


def test_missing_file():
    with pytest.raises(DataError, match=r"nope.csv: incident file not found"):
        load_incidents("nope.csv")


def test_empty_file(tmp_path):
    with pytest.raises(DataError, match="empty"):
        load_incidents(_csv(tmp_path, ""))


def test_header_only(tmp_path):
    with pytest.raises(DataError, match="header but no rows"):
        load_incidents(_csv(tmp_path, "Longitude,Latitude\n"))


def test_binary_file(tmp_path):
    f = tmp_path / "inc.csv"
    f.write_bytes(b"\x89PNG\x00\x00\x01\x02" * 10)
    with pytest.raises(DataError, match="binary file"):
        load_incidents(f)


def test_unsupported_type(tmp_path):
    f = tmp_path / "inc.docx"
    f.write_bytes(b"PK")
    with pytest.raises(DataError, match="unsupported file type .docx"):
        load_incidents(f)


def test_no_coordinate_columns(tmp_path):
    with pytest.raises(SchemaError, match="no coordinate columns found.*--x-column"):
        load_incidents(_csv(tmp_path, "a,b\n1,2\n"))


def test_blank_and_non_numeric_rows_are_counted(tmp_path):
    rows = [f"{LON},{LAT}"] * 8 + [",", "abc,52.2"]
    inc = load_incidents(_csv(tmp_path, "Longitude,Latitude\n" + "\n".join(rows) + "\n"))
    assert inc.report.rows_read == 10
    assert inc.report.located == 8
    assert inc.report.without_location == 1
    assert inc.report.bad_coordinates == 1
    assert "row 10" in inc.report.notes[0]  # first bad data row is file line 10


def test_mostly_bad_rows_are_refused(tmp_path):
    rows = [f"{LON},{LAT}"] + ["x,y"] * 5
    with pytest.raises(DataError, match=r"5 of 6 rows have no usable coordinates.*first at row 3"):
        load_incidents(_csv(tmp_path, "Longitude,Latitude\n" + "\n".join(rows) + "\n"))


def test_swapped_lat_lon_is_fixed_with_warning(tmp_path):
    f = _csv(tmp_path, f"Longitude,Latitude\n{LAT},{LON}\n{LAT},{LON}\n")
    with pytest.warns(UserWarning, match="other way round"):
        inc = load_incidents(f)
    assert abs(inc.points.geometry.x.iloc[0] - EAST) < 300
    assert inc.report.swapped_fixed == 2


def test_bng_in_latlon_columns(tmp_path):
    with pytest.raises(DataError, match="hold British National Grid.*--crs bng"):
        load_incidents(_csv(tmp_path, f"Longitude,Latitude\n{EAST},{NORTH}\n"))


def test_degrees_in_easting_columns(tmp_path):
    with pytest.raises(DataError, match="hold longitude/latitude.*--crs wgs84"):
        load_incidents(_csv(tmp_path, f"Easting,Northing\n{LON},{LAT}\n"))


def test_bad_weight(tmp_path):
    # one bad weight of three: the row is left out, counted and named; most bad: the file is refused
    inc = load_incidents(_csv(tmp_path, f"Longitude,Latitude,weight\n{LON},{LAT},1\n{LON},{LAT},-2\n"
                                        f"{LON},{LAT},3\n"))
    assert inc.report.bad_weights == 1 and inc.report.located == 2
    assert inc.report.located + inc.report.skipped == inc.report.rows_read
    assert "column 'weight'" in inc.report.notes[0] and "row 3" in inc.report.notes[0]
    with pytest.raises(SchemaError, match="column 'weight'.*first at row 3"):
        load_incidents(_csv(tmp_path, f"Longitude,Latitude,weight\n{LON},{LAT},1\n{LON},{LAT},-2\n"
                                      f"{LON},{LAT},x\n"))


def test_shuffled_rows_give_same_points(tmp_path):
    df = pd.read_csv(_paths.default_incident_files()[0])
    f = tmp_path / "shuffled.csv"
    df.sample(frac=1, random_state=1).to_csv(f, index=False)
    a = load_incidents(_paths.default_incident_files()[0]).points
    b = load_incidents(f).points
    assert len(a) == len(b)
    key = lambda p: sorted(zip(p.geometry.x.round(1), p.geometry.y.round(1), p["category"]))  # noqa: E731
    assert key(a) == key(b)

"""Bad input that used to crash or mislead (issue 12, item 7), through the loaders and the CLI.

Each case gives a one-line PlaceBasedError (CLI: ``error: ...``, exit 2) or loads with a counted note:

* weights: ``inf``, ``1e308``, negative, blank, text -> rows left out and counted; mostly bad -> refused;
* spatial files whose features have no geometry (incidents, provision, boundaries): all -> error,
  some -> counted;
* size and shape limits (line length, columns, unpacked ``.gz``/``.zip``/``.xlsx``), tested with tiny
  caps set through the environment, so no big files are written;
* US-style dates: month-first when the values show it, a note when they cannot tell, ``--date-format``;
* indicator tables with a column clashing with a built-in indicator or area column;
* ``X``/``Y`` columns holding British National Grid values;
* hostile files: empty, header only, binary renamed .csv, an empty workbook, GeoJSON that is not JSON,
  a zip with nothing readable, NaN/inf/text coordinates, boundary ids that are NaN, a folder for a file.
"""

from __future__ import annotations

import gzip
import json
import warnings
import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import shown
from shapely.geometry import Point, box

from placebased.cli import main
from placebased.errors import ConfigError, DataError, PlaceBasedError, SchemaError
from placebased.io.areas import DataWarning, read_polygons
from placebased.io.incidents import MAX_WEIGHT, load_incidents
from placebased.io.provision import load_provision
from placebased.score.indicators import check_user_tables, read_user_table
from placebased.stats.aggregate import count_incidents

LON, LAT = -0.8938, 52.2369  # Northampton town centre
EAST, NORTH = 475_500, 260_600


def _write(tmp_path, name, data):
    f = tmp_path / name
    f.write_bytes(data if isinstance(data, bytes) else data.encode())
    return f


def _rows(header, row, n):
    return header + "\n" + "\n".join([row] * n) + "\n"


def _cli(capsys, *argv):
    """Run the CLI; return (exit code, stderr). Never a traceback."""
    rc = main(list(argv))
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return rc, err


def _cli_error(capsys, *argv) -> str:
    rc, err = _cli(capsys, *argv)
    assert rc == 2, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: ")
    return last


def _geojson(tmp_path, name, features):
    return _write(tmp_path, name, json.dumps({"type": "FeatureCollection", "features": features}))


def _feature(geometry, **props):
    return {"type": "Feature", "geometry": geometry, "properties": props}


POINT = {"type": "Point", "coordinates": [LON, LAT]}


def _square(x, y, size=0.01):
    return {"type": "Polygon", "coordinates": [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]]}


# --------------------------------------------------------------------------------------------- weights


def test_inf_weight_row_is_left_out_and_counted(tmp_path, capsys):
    f = _write(tmp_path, "inf.csv", f"Latitude,Longitude,Weight\n{LAT},{LON},inf\n{LAT},{LON},1\n{LAT},{LON},2\n")
    inc = load_incidents(f, weight_column="Weight")
    assert inc.report.bad_weights == 1 and inc.report.located == 2
    assert np.isfinite(inc.points["weight"]).all() and inc.points["weight"].sum() == 3
    assert "'inf'" in inc.report.notes[0] and "row 2" in inc.report.notes[0]
    out = tmp_path / "out.csv"
    rc, err = _cli(capsys, "counts", "--incidents", str(f), "--weight-column", "Weight", "--out", str(out))
    assert rc == 0
    counts = pd.read_csv(out)
    assert np.isfinite(counts["total"]).all() and counts["total"].sum() == 3
    assert "weights are blank, negative, not finite" in err


def test_huge_weights_are_refused_in_one_line(tmp_path, capsys):
    f = _write(tmp_path, "big.csv", f"Latitude,Longitude,Weight\n{LAT},{LON},1e308\n{LAT},{LON},1e308\n")
    with pytest.raises(SchemaError, match=r"big\.csv: column 'Weight': 2 of 2 weights .*over 1,000,000,000"):
        load_incidents(f, weight_column="Weight")
    out = tmp_path / "out.csv"
    msg = _cli_error(capsys, "counts", "--incidents", str(f), "--weight-column", "Weight", "--out", str(out))
    assert "--weight-column" in msg
    assert not out.exists()


@pytest.mark.parametrize("bad", ["-1", "", "lots", "nan", "-inf", "1e10"])
def test_each_kind_of_bad_weight_is_counted(tmp_path, bad):
    f = _write(tmp_path, "w.csv", f"Longitude,Latitude,weight\n{LON},{LAT},{bad}\n"
                                  + f"{LON},{LAT},1.5\n" * 3)
    inc = load_incidents(f)
    assert inc.report.bad_weights == 1
    assert inc.report.located + inc.report.skipped == inc.report.rows_read == 4
    assert inc.points["weight"].tolist() == [1.5] * 3


def test_largest_allowed_weight_sums_exactly(tmp_path, grid_areas):
    f = _write(tmp_path, "w.csv", _rows("Easting,Northing,weight", f"470500,260500,{MAX_WEIGHT:.0f}", 1000))
    inc = load_incidents(f)
    res = count_incidents(inc.points, grid_areas)
    assert res.counts.loc["A1", "total"] == 1000 * int(MAX_WEIGHT)


def test_count_incidents_refuses_non_finite_weights(grid_areas):
    pts = gpd.GeoDataFrame({"category": ["a", "a"], "weight": [1.0, np.inf]},
                           geometry=[Point(470_500, 260_500)] * 2, crs=27700)
    with pytest.raises(DataError, match="not finite"):
        count_incidents(pts, grid_areas)


def test_weight_in_spatial_file(tmp_path):
    f = _geojson(tmp_path, "w.geojson", [_feature(POINT, weight=w) for w in ("inf", 2, 3)])
    inc = load_incidents(f)
    assert inc.report.bad_weights == 1 and inc.points["weight"].tolist() == [2.0, 3.0]
    assert "feature 1" in inc.report.notes[-1]


# --------------------------------------------------------------------------------------------- geometry


def test_incidents_with_no_geometry_at_all(tmp_path, capsys):
    f = _geojson(tmp_path, "nogeom.geojson", [_feature(None, category="Robbery")] * 3)
    with pytest.raises(DataError, match=r"nogeom\.geojson: none of its 3 features has a geometry"):
        load_incidents(f)
    _cli_error(capsys, "counts", "--incidents", str(f), "--out", str(tmp_path / "o.csv"))


def test_incidents_with_some_null_geometries(tmp_path):
    f = _geojson(tmp_path, "some.geojson", [_feature(None), _feature(POINT), _feature(POINT)])
    inc = load_incidents(f)
    assert inc.report.located == 2 and inc.report.without_location == 1
    assert any("1 features skipped without a geometry (first is feature 1)" in n for n in inc.report.notes)


def test_provision_with_no_geometry(tmp_path):
    f = _geojson(tmp_path, "prov.geojson", [_feature(None, name="Club")] * 2)
    with pytest.raises(DataError, match=r"prov\.geojson: none of its 2 features has a geometry"):
        load_provision(f)
    some = _geojson(tmp_path, "some.geojson", [_feature(None, name="A"), _feature(POINT, name="B")])
    with pytest.warns(DataWarning, match="1 of 2 features have no geometry"):
        prov = load_provision(some)
    assert prov["name"].tolist() == ["B"] and prov.attrs["report"].without_location == 1


def test_boundaries_with_no_geometry(tmp_path, capsys):
    f = _geojson(tmp_path, "b.geojson", [_feature(None, code=c) for c in "AB"])
    with pytest.raises(DataError, match=r"b\.geojson: none of its 2 features has a geometry"):
        read_polygons(f, "code")
    _cli_error(capsys, "areas", "--boundaries", str(f), "--id-column", "code", "--out", str(tmp_path / "a.csv"))
    some = _geojson(tmp_path, "some.geojson", [_feature(None, code="A"), _feature(_square(-0.9, 52.2), code="B")])
    with pytest.warns(DataWarning, match=r"1 of 2 areas have no geometry and are left out \(A\)"):
        got = read_polygons(some, "code")
    assert list(got.index) == ["B"]


# --------------------------------------------------------------------------------------------- size limits


def test_long_line_is_refused_before_parsing(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PLACEBASED_MAX_LINE_KB", "1")
    f = _write(tmp_path, "oneline.csv", "Longitude,Latitude\n" + f"{LON},{LAT}," * 400)
    with pytest.raises(DataError, match=r"oneline\.csv: line 2 is \d+ KB long, over the 1 KB limit.*"
                                        r"PLACEBASED_MAX_LINE_KB"):
        load_incidents(f)
    msg = _cli_error(capsys, "counts", "--incidents", str(f), "--out", str(tmp_path / "o.csv"))
    assert "PLACEBASED_MAX_LINE_KB" in msg
    # carriage returns count as line breaks too (old Mac files are not one long line)
    ok = _write(tmp_path, "cr.csv", "Longitude,Latitude\r" + f"{LON},{LAT}\r" * 100)
    assert load_incidents(ok).report.rows_read == 100


def test_too_many_columns(tmp_path, monkeypatch):
    monkeypatch.setenv("PLACEBASED_MAX_COLUMNS", "5")
    header = "Longitude,Latitude," + ",".join(f"c{i}" for i in range(8))
    f = _write(tmp_path, "wide.csv", header + "\n" + f"{LON},{LAT}" + ",1" * 8 + "\n")
    with pytest.raises(DataError, match=r"wide\.csv: the header has 10 columns, over the limit of 5.*"
                                        "PLACEBASED_MAX_COLUMNS"):
        load_incidents(f)
    x = tmp_path / "wide.xlsx"
    pd.DataFrame({f"c{i}": [1] for i in range(8)}).to_excel(x, index=False)
    with pytest.raises(DataError, match=r"wide\.xlsx: the table has 8 columns, over the limit of 5"):
        load_incidents(x)


def test_gz_that_unpacks_too_far(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PLACEBASED_MAX_UNPACKED_MB", "0.01")  # 10 kB
    f = tmp_path / "bomb.csv.gz"
    f.write_bytes(gzip.compress(_rows("Longitude,Latitude", f"{LON},{LAT}", 2000).encode()))
    assert f.stat().st_size < 10_000
    with pytest.raises(DataError, match=r"bomb\.csv\.gz: unpacks to more than .* PLACEBASED_MAX_UNPACKED_MB"):
        load_incidents(f)
    _cli_error(capsys, "counts", "--incidents", str(f), "--out", str(tmp_path / "o.csv"))


def test_default_unpacked_limit_follows_the_upload_limit(monkeypatch):
    from placebased import _input_limits

    monkeypatch.delenv("PLACEBASED_MAX_UNPACKED_MB", raising=False)
    monkeypatch.setenv("PLACEBASED_MAX_UPLOAD_MB", "2")
    assert _input_limits.max_unpacked_bytes() == 40_000_000
    monkeypatch.setenv("PLACEBASED_MAX_UNPACKED_MB", "lots")
    with pytest.raises(ConfigError, match="PLACEBASED_MAX_UNPACKED_MB='lots' is not a number"):
        _input_limits.max_unpacked_bytes()


def test_zip_and_workbook_that_unpack_too_far(tmp_path, monkeypatch):
    monkeypatch.setenv("PLACEBASED_MAX_UNPACKED_MB", "0.01")
    z = tmp_path / "b.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("b.geojson", " " * 50_000)
    with pytest.raises(DataError, match=r"b\.zip: unpacks to more than"):
        read_polygons(z)
    with pytest.raises(DataError, match=r"b\.zip: unpacks to more than"):
        load_incidents(z)
    x = tmp_path / "t.xlsx"
    pd.DataFrame({"area_code": ["E01000001"] * 2000, "v": range(2000)}).to_excel(x, index=False)
    with pytest.raises(DataError, match=r"t\.xlsx: unpacks to more than"):
        read_user_table(x, ["E01000001"])


def test_limits_apply_to_indicator_tables_and_provision(tmp_path, monkeypatch):
    monkeypatch.setenv("PLACEBASED_MAX_COLUMNS", "3")
    t = _write(tmp_path, "t.csv", "area_code,a,b,c\nE01000001,1,2,3\n")
    with pytest.raises(DataError, match=r"t\.csv: the header has 4 columns"):
        read_user_table(t, ["E01000001"])
    p = _write(tmp_path, "p.csv", f"name,type,Easting,Northing\nA,Club,{EAST},{NORTH}\n")
    with pytest.raises(DataError, match=r"p\.csv: the header has 4 columns"):
        load_provision(p)


# --------------------------------------------------------------------------------------------- dates


def _dated(tmp_path, dates, name="d.csv"):
    return _write(tmp_path, name, "Longitude,Latitude,Date\n" + "".join(f"{LON},{LAT},{d}\n" for d in dates))


def test_us_dates_are_read_month_first_with_a_note(tmp_path):
    with pytest.warns(DataWarning, match="month-first"):
        inc = load_incidents(_dated(tmp_path, ["03/14/2025", "04/02/2025"]))
    assert inc.points["date"].tolist() == [pd.Timestamp("2025-03-14"), pd.Timestamp("2025-04-02")]
    assert any("month-first" in n and "'03/14/2025'" in n for n in inc.report.notes)


def test_british_dates_stay_day_first_without_a_note(tmp_path):
    inc = load_incidents(_dated(tmp_path, ["14/03/2025", "04/02/2025 13:05"]))
    assert inc.points["date"].tolist() == [pd.Timestamp("2025-03-14"), pd.Timestamp("2025-02-04 13:05")]
    assert not any("first" in n for n in inc.report.notes)


def test_ambiguous_dates_warn_and_name_the_flag(tmp_path):
    with pytest.warns(DataWarning, match="could be day-first or month-first.*--date-format %m/%d/%Y"):
        inc = load_incidents(_dated(tmp_path, ["03/04/2025", "05/05/2025"]))
    assert inc.points["date"].iloc[0] == pd.Timestamp("2025-04-03")  # British reading by default
    same = load_incidents(_dated(tmp_path, ["05/05/2025"], "same.csv"))  # day = month: nothing to doubt
    assert not same.report.notes


def test_mixed_day_and_month_first_is_refused(tmp_path):
    with pytest.raises(SchemaError, match="mixes day-first dates \\('14/03/2025'\\) and month-first.*--date-format"):
        load_incidents(_dated(tmp_path, ["14/03/2025", "03/14/2025"]))


def test_date_format_through_loader_and_cli(tmp_path, capsys):
    f = _dated(tmp_path, ["03/04/2025", "03/05/2025"])
    inc = load_incidents(f, date_format="%m/%d/%Y")
    assert inc.points["month"].tolist() == ["2025-03", "2025-03"] and not inc.report.notes
    monthly, out = tmp_path / "m.csv", tmp_path / "o.csv"
    rc, err = _cli(capsys, "counts", "--incidents", str(f), "--date-format", "%m/%d/%Y",
                   "--monthly", str(monthly), "--out", str(out))
    assert rc == 0 and "could be" not in err
    assert pd.read_csv(monthly)["month"].tolist() == ["2025-03"]
    msg = _cli_error(capsys, "counts", "--incidents", str(f), "--date-format", "%Q", "--out", str(out))
    assert "not a strptime format" in msg
    msg = _cli_error(capsys, "counts", "--incidents", str(f), "--date-format", "%Y-%m-%d", "--out", str(out))
    assert "dates cannot be read with --date-format '%Y-%m-%d'" in msg


# --------------------------------------------------------------------------------------------- indicator tables


@pytest.mark.parametrize("column", ["population", "IMD score", "serious_violence_rate", "imd_decile", "asb_gi_z"])
def test_indicator_table_clashing_with_built_in_ids_is_refused_at_read(tmp_path, areas, column):
    f = _write(tmp_path, "t.csv", f"area_code,{column}\n{areas.index[0]},5\n")
    with pytest.raises(SchemaError, match=r"t\.csv: column .* has the same id .* rename the column"):
        read_user_table(f, areas.index)


def test_two_tables_with_the_same_column(tmp_path, areas):
    a = _write(tmp_path, "a.csv", f"area_code,ae_assaults\n{areas.index[0]},5\n")
    b = _write(tmp_path, "b.csv", f"area_code,AE assaults\n{areas.index[0]},6\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tables = [read_user_table(a, areas.index), read_user_table(b, areas.index)]
    check_user_tables(tables[:1])
    with pytest.raises(ConfigError, match=r"b\.csv: column 'ae_assaults' has the same id as a column of a\.csv"):
        check_user_tables(tables)


def test_indicator_upload_validation_in_the_app_checks_clashes():
    # the app validates uploads with read_user_table + check_user_tables: the same rules the pipeline applies
    import inspect
    from pathlib import Path

    from placebased import pipeline

    src = (Path(__file__).resolve().parent.parent / "views" / "priority.py").read_text()
    assert "P.check_tables_for(" in src
    assert "check_user_tables(tables)" in inspect.getsource(pipeline.check_tables_for)


@pytest.mark.parametrize("data", [b"", b"area_code,v\n", b"\x89PNG\x00\x00\x01" * 50])
def test_hostile_indicator_tables(tmp_path, data, areas):
    f = _write(tmp_path, "t.csv", data)
    with pytest.raises(PlaceBasedError, match=r"t\.csv: "):
        read_user_table(f, areas.index)


# --------------------------------------------------------------------------------------------- BNG in X/Y


@pytest.mark.parametrize("names", [("X", "Y"), ("x", "y"), ("x_coord", "y_coord"), ("POINT_X", "POINT_Y")])
def test_bng_values_in_x_y_columns_load_with_a_note(tmp_path, names, capsys):
    f = _write(tmp_path, "xy.csv", f"{names[0]},{names[1]}\n{EAST},{NORTH}\n{EAST + 100},{NORTH + 100}\n")
    with pytest.warns(DataWarning, match="British National Grid"):
        inc = load_incidents(f, x_column=names[0] if names[0] == "POINT_X" else None,
                             y_column=names[1] if names[1] == "POINT_Y" else None)
    assert inc.points.geometry.x.iloc[0] == EAST and inc.points.geometry.y.iloc[0] == NORTH
    assert any("read them as BNG" in n for n in inc.report.notes)
    if names == ("X", "Y"):
        out = tmp_path / "o.csv"
        rc, err = _cli(capsys, "counts", "--incidents", str(f), "--out", str(out))
        assert rc == 0 and "read them as BNG" in err and pd.read_csv(out)["total"].sum() == 2


def test_x_y_degrees_stay_degrees_and_an_explicit_crs_is_obeyed(tmp_path):
    f = _write(tmp_path, "xy.csv", f"X,Y\n{LON},{LAT}\n")
    assert abs(load_incidents(f).points.geometry.x.iloc[0] - EAST) < 300
    g = _write(tmp_path, "g.csv", f"X,Y\n{EAST},{NORTH}\n")
    with pytest.raises(DataError, match="hold British National Grid.*--crs bng"):
        load_incidents(g, crs="wgs84")


def test_bng_in_x_y_for_provision(tmp_path):
    f = _write(tmp_path, "p.csv", f"name,X,Y\nClub,{EAST},{NORTH}\n")
    with pytest.warns(DataWarning, match="British National Grid"):
        prov = load_provision(f)
    assert prov.geometry.x.iloc[0] == EAST


# --------------------------------------------------------------------------------------------- hostile files


def _empty_workbook(tmp_path):
    import openpyxl

    f = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(f)
    return f


def _zip_without_data(tmp_path):
    f = tmp_path / "inc.zip"
    with zipfile.ZipFile(f, "w") as zf:
        zf.writestr("readme.txt", "hello")
    return f


HOSTILE = {
    "empty CSV": (lambda t: _write(t, "e.csv", ""), "empty"),
    "header only": (lambda t: _write(t, "h.csv", "Latitude,Longitude\n"), "header but no rows"),
    "binary renamed .csv": (lambda t: _write(t, "b.csv", bytes(range(256)) * 20), "binary file"),
    "workbook with no data": (_empty_workbook, "holds no table"),
    "GeoJSON that is not JSON": (lambda t: _write(t, "bad.geojson", "this is not json {"), "not valid JSON"),
    "zip with no readable file": (_zip_without_data, "holds no readable incident file"),
    "empty zip": (lambda t: _write(t, "z.zip", b"PK\x05\x06" + b"\x00" * 18), "holds no files"),
    "broken zip": (lambda t: _write(t, "z.zip", b"PK\x03\x04 not really"), "not a readable zip file"),
    "JSON that is not GeoJSON": (lambda t: _write(t, "list.geojson", "[1, 2, 3]"), "not GeoJSON"),
    "garbage workbook": (lambda t: _write(t, "x.xlsx", "hello"), "not a readable Excel workbook"),
    "broken gz": (lambda t: _write(t, "g.csv.gz", b"\x1f\x8b\x08 broken"), "cannot be read"),
    "all coordinates NaN/inf/text": (
        lambda t: _write(t, "n.csv", "Latitude,Longitude\nnan,nan\ninf,-inf\nabc,def\n"), "no usable coordinates"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_incident_files(tmp_path, capsys, case):
    make, expected = HOSTILE[case]
    f = make(tmp_path)
    with pytest.raises(PlaceBasedError, match=expected):
        load_incidents(f)
    msg = _cli_error(capsys, "counts", "--incidents", str(f), "--out", str(tmp_path / "o.csv"))
    assert f.name in msg and expected in msg
    assert not (tmp_path / "o.csv").exists()


def test_some_nan_inf_and_text_coordinates_are_counted(tmp_path):
    f = _write(tmp_path, "n.csv", "Latitude,Longitude\nnan,1\ninf,-inf\nabc,def\n" + f"{LAT},{LON}\n" * 4)
    inc = load_incidents(f)
    assert inc.report.located == 4 and inc.report.skipped == 3
    assert "3 rows skipped without a usable location (first at row 2)" in inc.report.notes[0]


def test_boundaries_with_nan_ids_and_folders(tmp_path, capsys):
    g = gpd.GeoDataFrame({"code": ["A", None]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=27700)
    f = tmp_path / "b.gpkg"
    g.to_file(f)
    with pytest.raises(SchemaError, match=r"b\.gpkg: feature 2 has no value in id column 'code'"):
        read_polygons(f, "code")
    _cli_error(capsys, "areas", "--boundaries", str(f), "--id-column", "code", "--out", str(tmp_path / "a.csv"))
    g["code"] = [1.0, np.nan]
    g.to_file(tmp_path / "n.gpkg")
    with pytest.raises(SchemaError, match="feature 2 has no value"):
        read_polygons(tmp_path / "n.gpkg", "code")
    folder = tmp_path / "dir.geojson"
    folder.mkdir()
    with pytest.raises(DataError, match="is a folder"):
        read_polygons(folder)
    with pytest.raises(DataError, match="is a folder"):
        read_user_table(folder, ["A"])
    with pytest.raises(DataError, match="is a folder"):
        load_provision(folder)


def test_hostile_provision_and_boundary_files(tmp_path):
    bad = _write(tmp_path, "bad.geojson", "not json")
    with pytest.raises(DataError, match="not valid JSON"):
        load_provision(bad)
    with pytest.raises(DataError, match="not valid JSON"):
        read_polygons(bad)
    z = _zip_without_data(tmp_path)
    with pytest.raises(DataError, match="holds no readable spatial file"):
        read_polygons(z)
    with pytest.raises(DataError, match="holds no table"):
        load_provision(_empty_workbook(tmp_path))


# --------------------------------------------------------------------------------------------- the app


def test_app_refuses_a_clashing_indicator_table_beside_the_upload(app, areas):
    csv = "area_code,population,ae\n" + "".join(f"{c},{i},{i % 3}\n" for i, c in enumerate(areas.index))
    next(u for u in app.file_uploader if u.label.startswith("Indicator tables")).set_value(
        ("pop.csv", csv.encode(), "text/csv"))
    app.run()
    assert not app.exception
    errors = [shown(e.value) for e in app.error]
    assert any("pop.csv" in e and "'population'" in e and "rename" in e for e in errors), errors
    assert len(app.dataframe[0].value) > 0  # the page still works, on the previous data
    next(u for u in app.file_uploader if u.label.startswith("Indicator tables")).set_value(None)
    app.run()


def _date_format_box(at):
    return next(t for t in at.text_input if t.label.startswith("Date format"))


def test_app_date_format_choice(app):
    csv = "Latitude,Longitude,Date\n" + f"{LAT},{LON},03/04/2025\n" * 30
    up = next(u for u in app.file_uploader if u.label.startswith("Incidents"))
    up.set_value(("us.csv", csv.encode(), "text/csv"))
    app.run()
    assert not app.exception
    assert app.session_state["good_incident_options"] == ()
    _date_format_box(app).set_value("%m/%d/%Y")
    app.run()
    assert not app.exception and not [e for e in app.error if "us.csv" in e.value]
    assert app.session_state["good_incident_options"] == (("date_format", "%m/%d/%Y"),)
    _date_format_box(app).set_value("%Q")
    app.run()
    assert not app.exception
    assert any("not a strptime format" in e.value for e in app.error)
    assert app.session_state["good_incident_options"] == (("date_format", "%m/%d/%Y"),)  # previous kept
    _date_format_box(app).set_value("")
    up.set_value(None)
    app.run()


def test_utf16_csv_from_excel_is_read(tmp_path):
    f = _write(tmp_path, "u16.csv", f"Latitude,Longitude\n{LAT},{LON}\n".encode("utf-16"))
    assert load_incidents(f).report.located == 1


def test_non_finite_or_huge_values_in_indicator_tables_and_provision(tmp_path, areas):
    for bad in ("inf", "-inf", "1e308"):
        t = _write(tmp_path, "t.csv", f"area_code,ae\n{areas.index[0]},1\n{areas.index[1]},{bad}\n")
        with pytest.raises(DataError, match=rf"t\.csv: row 3, column 'ae': value '{bad}' is not a finite number"):
            read_user_table(t, areas.index)
        p = _write(tmp_path, "p.csv", f"name,Easting,Northing,radius_m\nA,{EAST},{NORTH},{bad}\n")
        with pytest.raises(DataError, match=rf"p\.csv: row 2: catchment radius '{bad}'"):
            load_provision(p)


def test_a_table_given_as_boundaries(tmp_path, capsys):
    f = _write(tmp_path, "b.csv", "a,b\n1,2\n")
    with pytest.raises(DataError, match=r"b\.csv: holds a table without geometries"):
        read_polygons(f)
    _cli_error(capsys, "areas", "--boundaries", str(f), "--out", str(tmp_path / "a.csv"))


def test_iso_dates_stay_iso_beside_day_first_ones(tmp_path):
    # dayfirst used to turn 2025-03-04 into 3 April when the file also held 14/03/2025
    inc = load_incidents(_dated(tmp_path, ["2025-03-04", "14/03/2025", "2025-03-05"]))
    assert inc.points["date"].tolist() == [pd.Timestamp(d) for d in ("2025-03-04", "2025-03-14", "2025-03-05")]


def test_zoned_and_impossible_dates(tmp_path):
    inc = load_incidents(_dated(tmp_path, ["2025-07-04T13:05:00Z", "2025-03-05 10:00", "2025-03-06 10:00"]))
    assert inc.points["time"].tolist() == ["14:05", "10:00", "10:00"]  # UTC shown as UK local time
    inc = load_incidents(_dated(tmp_path, ["9999-12-31", "01/01/20250", "2025-03-01", "2025-03-02"], "y.csv"))
    assert inc.report.bad_dates == 2 and inc.points["date"].notna().sum() == 2


def test_zip_of_police_uk_csvs_is_read_member_by_member(tmp_path, capsys):
    from placebased import _paths

    files = _paths.default_incident_files()[:2]
    z = tmp_path / "police.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in files:
            zf.writestr(f"{f.name[:7]}/{f.name.removesuffix('.gz')}", gzip.decompress(f.read_bytes()))
        zf.writestr("__MACOSX/._junk.csv", b"\x00\x01")
        zf.writestr("2025-01/2025-01-northamptonshire-outcomes.csv", "Crime ID,Month,Longitude,Latitude\n")
    inc = load_incidents(z)
    assert inc.report.rows_read == sum(load_incidents(f).report.rows_read for f in files)
    # a police.uk download: its outcomes file adds the last outcome per crime (none match here)
    assert any("1 outcomes file(s): last outcome added to 0 of" in n for n in inc.report.notes)
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("a.csv", f"Longitude,Latitude\n{LON},{LAT}\n")
        zf.writestr("b.csv", "a,b\n1,2\n")
    msg = _cli_error(capsys, "counts", "--incidents", str(bad), "--out", str(tmp_path / "o.csv"))
    assert "bad.zip!b.csv: no coordinate columns found" in msg


def test_geojson_saying_degrees_but_holding_grid_metres(tmp_path):
    # GeoJSON is longitude/latitude by definition; files exported in BNG without saying so used to
    # "succeed" with infinite coordinates
    sq = {"type": "Polygon", "coordinates": [[[470_000, 260_000], [471_000, 260_000], [471_000, 261_000],
                                              [470_000, 261_000], [470_000, 260_000]]]}
    b = _geojson(tmp_path, "b.geojson", [_feature(sq, code="Z1")])
    with pytest.warns(DataWarning, match="British National Grid metres; read them as EPSG:27700"):
        got = read_polygons(b, "code")
    assert got.crs.to_epsg() == 27700 and np.isfinite(got.total_bounds).all()
    assert got.total_bounds[0] == 470_000
    pts = _geojson(tmp_path, "p.geojson", [_feature({"type": "Point", "coordinates": [EAST, NORTH]})])
    with pytest.warns(DataWarning):
        inc = load_incidents(pts)
    assert inc.points.geometry.x.iloc[0] == EAST and "EPSG:27700" in inc.report.notes[-1]
    with pytest.warns(DataWarning):
        prov = load_provision(_geojson(tmp_path, "s.geojson", [_feature({"type": "Point",
                                                                         "coordinates": [EAST, NORTH]}, name="A")]))
    assert prov.geometry.x.iloc[0] == EAST
    far = _geojson(tmp_path, "far.geojson", [_feature({"type": "Point", "coordinates": [5e6, 5e6]})])
    with pytest.raises(DataError, match="are not longitude/latitude although the file says"):
        load_incidents(far)

"""The one table writer (``placebased.io.export``): no text from a file reaches a spreadsheet as a formula.

Edge cases: every OWASP formula start (``= + - @``, tab, CR) in cells, the index, column headers and
categorical columns; text that is just a number ("-3", "+1.5e3") and real numbers stay as they are;
missing values; Excel workbooks read back cell by cell (no formula cells); the CLI's ``counts`` and
``areas`` and the app's selection download; and a static check that nothing else calls ``to_csv`` /
``to_excel``.
"""

from __future__ import annotations

import ast
import io
import json
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from placebased.cli import main
from placebased.io.export import (
    geojson_bytes,
    layer_format,
    table_bytes,
    table_format,
    write_document,
    write_layer,
    write_table,
)
from placebased.safety import defuse_formula, defuse_formulas

REPO = Path(__file__).resolve().parents[1]
INJECTIONS = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3", "\t=1+1", "\r=1+1",
              "=1+1", "-", "+", "@"]
NUMBERS_AS_TEXT = ["-3", "+1.5e3", "-0.25", "12"]
HARMLESS = ["Kingsthorpe", "St. James' End", "", "a=b", "1-2"]


@pytest.mark.parametrize("text", INJECTIONS)
def test_each_formula_start_is_defused(text):
    assert defuse_formula(text) == "'" + text


@pytest.mark.parametrize("text", NUMBERS_AS_TEXT + HARMLESS)
def test_numbers_as_text_and_plain_text_stay(text):
    assert defuse_formula(text) == text


def _nasty_frame() -> pd.DataFrame:
    frame = pd.DataFrame({
        "name": INJECTIONS[:4] + ["Kingsthorpe", None],
        "n": [-3, 4, -1, 0, 7, 8],
        "x": [-1.5, 2.0, np.nan, 0.0, 1.0, -2.0],
        "code_text": pd.array(["-3", "=A1", "ok", "@x", None, "+1"], dtype="string"),
        "cat": pd.Categorical(["=A1", "ok", "=A1", "-x", "ok", "ok"]),
        "=HYPERLINK(\"h\")": ["a", "b", "c", "d", "e", "f"],
    }, index=pd.Index(["=E1", "E01027153", "-E", "@E", "E2", "+E"], name="area_code"))
    return frame


def test_defuse_formulas_cells_index_headers_and_categoricals():
    frame = _nasty_frame()
    before = frame.copy()
    out = defuse_formulas(frame)
    pd.testing.assert_frame_equal(frame, before)  # the input is not changed
    assert out["name"].tolist()[:5] == ["'" + t for t in INJECTIONS[:4]] + ["Kingsthorpe"]
    assert out["name"].isna().tolist()[-1]
    assert out["n"].tolist() == [-3, 4, -1, 0, 7, 8] and out["n"].dtype == np.int64  # numbers stay numbers
    assert out["x"].dtype == float
    assert out["code_text"].tolist()[:4] == ["-3", "'=A1", "ok", "'@x"] and isinstance(out["code_text"].dtype,
                                                                                       pd.StringDtype)
    assert out["cat"].tolist()[:4] == ["'=A1", "ok", "'=A1", "'-x"]
    assert "'=HYPERLINK(\"h\")" in out.columns
    assert out.index.tolist() == ["'=E1", "E01027153", "'-E", "'@E", "E2", "'+E"]
    assert out.index.name == "area_code"


def test_csv_file_round_trip(tmp_path):
    path = write_table(_nasty_frame(), tmp_path / "t.csv")
    _assert_inert(_cells(path))
    back = pd.read_csv(path, index_col=0)
    assert back["n"].tolist() == [-3, 4, -1, 0, 7, 8]
    assert back.loc["E01027153", "name"] == "'+cmd|' /C calc'!A0"
    assert back["code_text"].iloc[0] == "-3"  # text that is just a number is left as it is


def test_carriage_return_inside_a_cell_cannot_start_a_row(tmp_path):
    """A bare CR is a row break to a spreadsheet (and to Python's csv reader): such cells must be quoted."""
    frame = pd.DataFrame({"name": ["abc\r=1+1", "\r=2+2", "plain"], "n": [1, 2, 3]})
    for data in (write_table(frame, tmp_path / "t.csv", index=False).read_bytes(), table_bytes(frame, index=False)):
        import csv

        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
        assert rows == [["name", "n"], ["abc\r=1+1", "1"], ["'\r=2+2", "2"], ["plain", "3"]]
    plain = write_table(pd.DataFrame({"name": ["a"]}), tmp_path / "p.csv", index=False).read_bytes()
    assert plain == b"name\na\n"  # tables without a CR keep plain line feeds


def test_xlsx_has_no_formula_cells(tmp_path):
    frame = _nasty_frame().assign(when=pd.date_range("2025-01-01", periods=6, freq="D", tz="Europe/London"))
    path = write_table(frame, tmp_path / "t.xlsx")
    for data in (path.read_bytes(), table_bytes(frame, "xlsx")):
        ws = openpyxl.load_workbook(io.BytesIO(data)).active
        cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
        assert cells and not [c.coordinate for c in cells if c.data_type == "f"]
        values = [c.value for c in cells]
        assert "'=HYPERLINK(\"http://x\",\"y\")" in values and -3 in values and "'=E1" in values


def test_table_bytes_csv_has_bom_and_is_defused():
    data = table_bytes(pd.DataFrame({"name": ["=1+1"], "n": [-3]}), index=False)
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").splitlines() == ["name,n", "'=1+1,-3"]


def test_format_by_name_and_errors(tmp_path):
    assert table_format("a.xlsx") == "xlsx" and table_format("a.csv.gz") == "csv" and table_format("a") == "csv"
    from placebased.errors import PlaceBasedError

    with pytest.raises(PlaceBasedError, match=r"\.xlsx"):
        write_table(pd.DataFrame({"a": [1]}), tmp_path / "a.xls")
    with pytest.raises(PlaceBasedError, match="unknown table format"):
        table_bytes(pd.DataFrame({"a": [1]}), "ods")
    assert not list(tmp_path.iterdir())


def test_gz_csv(tmp_path):
    path = write_table(pd.DataFrame({"name": ["@x"]}), tmp_path / "t.csv.gz", index=False)
    assert pd.read_csv(path)["name"].tolist() == ["'@x"]


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    def half_then_fail(_self, path, **_k):
        Path(path).write_text("area_code,na")
        raise OSError(5, "Input/output error")

    target = tmp_path / "t.csv"
    target.write_text("old")
    monkeypatch.setattr(pd.DataFrame, "to_csv", half_then_fail)
    from placebased.errors import DataError

    with pytest.raises(DataError, match="cannot write the file .*nothing was written"):
        write_table(pd.DataFrame({"a": [1]}), target)
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["t.csv"]


# --------------------------------------------------------------------------------------------- layers, documents


def test_layers_geojson_in_wgs84_and_geopackage_in_bng(tmp_path, grid_areas):
    import geopandas as gpd

    layer = grid_areas[["area_name", "geometry"]].head(3)
    g = write_layer(layer.to_crs("EPSG:4326"), tmp_path / "a.geojson")
    doc = json.loads(g.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == 3 and "id" not in doc["features"][0]
    assert json.loads(geojson_bytes(layer)) == doc  # reprojected to WGS84 by the writer
    bng = write_layer(layer, tmp_path / "a_bng.geojson")  # another CRS: GDAL keeps it and says so
    assert gpd.read_file(bng).crs.to_epsg() == 27700
    pkg = write_layer(layer, tmp_path / "a.gpkg", layer="lsoa21")
    back = gpd.read_file(pkg, layer="lsoa21")
    assert back.crs.to_epsg() == 27700 and back["area_name"].tolist() == layer["area_name"].tolist()
    from placebased.errors import ConfigError

    with pytest.raises(ConfigError, match=r"a\.shp: is not a map layer file name"):
        write_layer(layer, tmp_path / "a.shp")
    assert layer_format("X.GPKG") == "GPKG" and layer_format("x.json") == "GeoJSON"


def test_failed_layer_write_leaves_the_old_file(tmp_path, grid_areas, monkeypatch):
    import geopandas as gpd

    target = tmp_path / "a.gpkg"
    target.write_text("old")

    def fail(_self, path, **_k):
        Path(path).write_text("half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", fail)
    from placebased.errors import DataError

    with pytest.raises(DataError, match="disk is full"):
        write_layer(grid_areas.head(1), target)
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["a.gpkg"]


def test_documents(tmp_path):
    assert write_document("<p>é</p>", tmp_path / "m.html").read_bytes() == "<p>é</p>".encode()
    assert write_document(b"%PDF-1.7", tmp_path / "p.pdf").read_bytes() == b"%PDF-1.7"
    from placebased.errors import DataError

    with pytest.raises(DataError, match="is a folder"):
        write_document(b"x", tmp_path)


# --------------------------------------------------------------------------------------------- the CLI


@pytest.fixture
def nasty_files(tmp_path, grid_areas):
    """Grid boundaries whose names are formulas, and partner incidents whose categories are formulas."""
    bounds = tmp_path / "grid.geojson"
    g = grid_areas.reset_index()[["area_code", "area_name", "geometry"]].copy()
    g.loc[0, "area_name"], g.loc[1, "area_name"], g.loc[2, "area_name"] = INJECTIONS[0], INJECTIONS[1], "@SUM(1+1)"
    g.to_file(bounds)
    centres = grid_areas.geometry.centroid
    cats = ("=HYPERLINK(\"http://x\",\"y\")", "-2+3", "Robbery")
    rows = [{"Easting": centres[c].x, "Northing": centres[c].y, "Month": "2025-01", "Category": cat}
            for c in grid_areas.index for cat in cats]
    data = tmp_path / "partner.csv"
    pd.DataFrame(rows).to_csv(data, index=False)
    return bounds, data


def _cells(path: Path) -> list[str]:
    import csv

    with open(path, newline="", encoding="utf-8-sig") as f:
        return [cell for row in csv.reader(f) for cell in row]


def _assert_inert(cells: list[str]) -> None:
    live = [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r")) and not _is_number(c)]
    assert not live, live


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_cli_counts_and_areas_outputs_are_inert(nasty_files, tmp_path):
    bounds, data = nasty_files
    base = ["--boundaries", str(bounds), "--id-column", "area_code", "--name-column", "area_name"]
    counts = tmp_path / "counts.csv"
    assert main(["counts", "--incidents", str(data), "--x-column", "Easting", "--y-column", "Northing", "--crs", "bng",
                 "--category-column", "Category", *base, "--out", str(counts)]) == 0
    cells = _cells(counts)
    assert "'=HYPERLINK(\"http://x\",\"y\")" in cells and "'-2+3" in cells  # the category headers
    _assert_inert(cells)
    areas = tmp_path / "areas.xlsx"
    assert main(["areas", *base, "--out", str(areas)]) == 0
    ws = openpyxl.load_workbook(areas).active
    values = [c.value for row in ws.iter_rows() for c in row]
    assert "'@SUM(1+1)" in values and not [c for row in ws.iter_rows() for c in row if c.data_type == "f"]
    areas_csv = tmp_path / "areas.csv"
    assert main(["areas", *base, "--out", str(areas_csv)]) == 0
    assert "'+cmd|' /C calc'!A0" in _cells(areas_csv)
    _assert_inert(_cells(areas_csv))


def test_selection_download_is_inert(grid_areas):
    from placebased.score.selection import selection_csv

    areas = grid_areas.assign(area_name=INJECTIONS[:9], lad_name="=LAD()")
    data = selection_csv({"A1": "=HYPERLINK(\"http://evil\")", "A2": "-3", "B1": "fine"}, areas, None)
    cells = [c for line in data.decode("utf-8-sig").splitlines() for c in line.split(",")]
    assert "'=LAD()" in cells
    text = data.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and ",-3\r" not in text


# ------------------------------------------------------------------------- one writer, checked statically

WRITERS = {"to_csv", "to_excel", "ExcelWriter"}


def _sources() -> list[Path]:
    files = sorted((REPO / "placebased").rglob("*.py")) + sorted((REPO / "views").glob("*.py"))
    return files + [p for p in (REPO / "app.py", REPO / "appcache.py") if p.exists()]


def test_only_the_export_module_writes_tables():
    """Every CSV/Excel table goes through placebased.io.export (formulas defused), so nothing else may call
    ``.to_csv(``, ``.to_excel(`` or ``ExcelWriter``: not on a path, not into a string or buffer."""
    offenders = []
    for path in _sources():
        if path == REPO / "placebased" / "io" / "export.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
                if name in WRITERS:
                    offenders.append(f"{path.relative_to(REPO)}:{node.lineno} {name}")
    assert not offenders, "write tables with placebased.io.export.write_table / table_bytes: " + ", ".join(offenders)


#: modules that may write files themselves: the writer, and files that are not exports (the cache of
#: downloaded ONS boundaries, the browser's geometry file, a scenario saved by ``Scenario.save``)
OWN_WRITERS = {"placebased/io/export.py", "placebased/_atomic.py", "placebased/io/ons.py",
               "placebased/outputs/webmap.py", "placebased/score/scenario.py"}


def test_only_the_export_module_writes_files():
    """Layers, PDFs, HTML maps and charts go through placebased.io.export too: nothing else calls ``.to_file(``
    or the atomic writers (``_atomic.write_bytes`` / ``write_text`` / ``atomic_path``) itself."""
    offenders = []
    for path in _sources():
        rel = path.relative_to(REPO).as_posix()
        if rel in OWN_WRITERS:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                f = node.func
                owner = f.value.id if isinstance(f.value, ast.Name) else ""
                if f.attr == "to_file" or (owner == "_atomic" and f.attr in ("write_bytes", "write_text",
                                                                               "atomic_path")):
                    offenders.append(f"{rel}:{node.lineno} {owner + '.' if owner else ''}{f.attr}")
            elif isinstance(node, ast.ImportFrom) and node.module == "placebased._atomic" and rel.startswith(
                    ("placebased/commands/", "placebased/outputs/", "views/")):
                offenders.append(f"{rel}:{node.lineno} from placebased._atomic import")
    assert not offenders, "write exports with placebased.io.export (write_layer / write_document): " + ", ".join(
        offenders)

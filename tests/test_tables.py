"""The one table reader (``placebased.io.tables``) on tiny hand-made files, and its callers agreeing on them.

Edge cases: UTF-8 with a byte-order mark, cp1252 (Excel's Windows "CSV"), UTF-16, semicolon and tab
separators (decimal commas in a semicolon file), an .xlsx, a binary file posing as .csv, an empty file, a
header-only file, a missing file, a folder; the column matcher (case, spaces, underscores, first match);
and every reader (incidents, provision, indicator tables, survey responses, partner records) giving the
same text for the same file and one-line errors naming it.
"""

from __future__ import annotations

import gzip

import openpyxl
import pandas as pd
import pytest

from placebased.errors import DataError
from placebased.io import tables
from placebased.io.incidents import load_incidents
from placebased.io.provision import load_provision
from placebased.io.tables import find_column, read_table
from placebased.score.indicators import read_user_table
from placebased.score.partner_times import read_partner_table
from placebased.score.survey import _read as read_survey

LON, LAT = -0.8938, 52.2369  # Northampton town centre
EAST, NORTH = 475_500, 260_600
NAME = "Café – St Giles’"  # é, en dash and a curly quote: all three are in cp1252


def _write(tmp_path, name, data):
    f = tmp_path / name
    f.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return f


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_encodings(tmp_path, encoding):
    f = _write(tmp_path, "t.csv", f"Name,Value\n{NAME},3\n".encode(encoding))
    frame = read_table(f)
    assert list(frame.columns) == ["Name", "Value"]  # no BOM left on the first header
    assert frame.iloc[0].tolist() == [NAME, "3"]


@pytest.mark.parametrize("sep, name", [(";", "t.csv"), ("\t", "t.csv"), ("\t", "t.tsv"), (",", "t.txt")])
def test_separators(tmp_path, sep, name):
    f = _write(tmp_path, name, sep.join(["code", "name", "value"]) + "\n" + sep.join(["E01", "A, B", "7"]) + "\n"
               if sep != "," else 'code,name,value\nE01,"A, B",7\n')
    frame = read_table(f)
    assert frame.attrs["separator"] == sep
    assert frame.iloc[0].tolist() == ["E01", "A, B", "7"]


def test_semicolon_file_has_decimal_commas(tmp_path):
    f = _write(tmp_path, "eu.csv", "area_code;rate;note\nE01;1,5;a,b\nE02;-0,25;\n")
    frame = read_table(f)
    assert frame["rate"].tolist() == ["1.5", "-0.25"]
    assert frame["note"].tolist()[0] == "a,b" and pd.isna(frame["note"].iloc[1])  # text and blanks stay


def test_separator_choice():
    assert tables.separator("a,b,c") == ","
    assert tables.separator("a;b;c") == ";"
    assert tables.separator("a\tb\tc") == "\t"
    assert tables.separator('"x;y;z",b') == ","  # separators inside quotes do not count
    assert tables.separator("single") == ","
    assert tables.separator("a,b", "t.tsv") == "\t"


def test_xlsx(tmp_path):
    f = tmp_path / "t.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([" Name ", "Value"])
    ws.append([NAME, 3])
    ws.append(["blank value", None])
    wb.save(f)
    frame = read_table(f)
    assert list(frame.columns) == ["Name", "Value"]
    assert frame.iloc[0].tolist() == [NAME, "3"] and pd.isna(frame.iloc[1, 1])


def test_gz_csv(tmp_path):
    f = _write(tmp_path, "t.csv.gz", gzip.compress(f"a,b\n{NAME},2\n".encode("cp1252")))
    assert read_table(f).iloc[0].tolist() == [NAME, "2"]


@pytest.mark.parametrize("data, expected", [
    (bytes(range(256)) * 20, "t.csv: is a binary file, not a CSV"),
    (b"%PDF-1.7\n" + bytes(range(1, 9)) * 600, "t.csv: is a binary file, not a CSV"),  # control bytes, no NUL
    (b"", "t.csv: indicator file is empty"),
    (b"\n \n", "t.csv: indicator file is empty"),
    (b"area_code,value\n", "t.csv: indicator file has a header but no rows"),
    (b'a,b\n"1,2\n', "does not parse as CSV"),
])
def test_bad_files_are_one_line_errors(tmp_path, data, expected):
    f = _write(tmp_path, "t.csv", data)
    with pytest.raises(DataError) as e:
        read_table(f, "indicator")
    msg = str(e.value)
    assert expected in msg and "\n" not in msg


def test_missing_file_folder_and_too_few_columns(tmp_path):
    with pytest.raises(DataError, match=r"nope\.csv: provision file not found"):
        read_table(tmp_path / "nope.csv", "provision")
    with pytest.raises(DataError, match="is a folder, not a file"):
        read_table(tmp_path, "provision")
    f = _write(tmp_path, "one.csv", "postcode\nNN1 1AA\n")
    assert read_table(f)["postcode"].tolist() == ["NN1 1AA"]  # one column is a table
    with pytest.raises(DataError, match=r"one\.csv: does not look like a CSV table \(one column found\).*coord"):
        read_table(f, "incident", min_columns=2, fix_columns="give coordinate columns")


def test_header_only_and_empty_workbook(tmp_path):
    f = tmp_path / "h.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["a", "b"])
    wb.save(f)
    with pytest.raises(DataError, match=r"h\.xlsx: partner file has a header but no rows"):
        read_table(f, "partner")
    g = tmp_path / "e.xlsx"
    openpyxl.Workbook().save(g)
    with pytest.raises(DataError, match="holds no table"):
        read_table(g)


def test_find_column():
    cols = ["ID", " Crime_Type ", "crime type", "LSOA code"]
    assert find_column(cols, ("offence", "crime type")) == " Crime_Type "  # the first column that matches
    assert find_column(cols, ("lsoa_code",)) == "LSOA code"
    assert find_column(cols, ("id", "crime type")) == "ID"  # the earliest name wins
    assert find_column(cols, ("date",)) is None
    assert find_column([1, 2], ("1",)) == 1


def test_every_reader_reads_the_same_file_alike(tmp_path):
    """One semicolon cp1252 file with a BOM-less header, read by each caller: same columns, same text."""
    text = (f"Area code;Name;Postcode;Easting;Northing;arrival_datetime;Value\n"
            f"E01027153;{NAME};NN1 1AA;{EAST};{NORTH};2025-03-15 02:40;1,5\n")
    f = _write(tmp_path, "eu.csv", text.encode("cp1252"))
    raw = read_table(f)
    for frame in (read_survey(f, "survey responses"), read_partner_table(f)):
        pd.testing.assert_frame_equal(frame, raw)
    assert raw["Value"].tolist() == ["1.5"]
    inc = load_incidents(f)
    assert inc.report.located == 1
    prov = load_provision(f)
    assert prov["name"].tolist() == [NAME] and prov["located_by"].tolist() == ["coordinates"]
    table = read_user_table(f, ["E01027153"], value_columns=["Value"])
    assert table.values.loc["E01027153", "value"] == 1.5


@pytest.mark.parametrize("reader, what", [
    (lambda f: load_incidents(f), "incident"),
    (lambda f: load_provision(f), "provision"),
    (lambda f: read_user_table(f, ["E01027153"]), "indicator"),
    (lambda f: read_survey(f, "survey responses"), "survey responses"),
    (lambda f: read_partner_table(f), "partner"),
])
def test_every_reader_refuses_bad_files_alike(tmp_path, reader, what):
    for name, data, expected in (("b.csv", bytes(range(256)) * 20, "is a binary file, not a CSV"),
                                 ("e.csv", b"", f"{what} file is empty"),
                                 ("h.csv", b"a,b\n", f"{what} file has a header but no rows")):
        f = _write(tmp_path, name, data)
        with pytest.raises(DataError, match=f"{name}: {expected}"):
            reader(f)

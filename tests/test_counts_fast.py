"""The columnar police.uk reader and count (``load_police_columns`` + ``count_records``, what ``placebased
counts`` uses on police.uk CSVs) give exactly what the full reader and ``count_incidents`` give.

Hand-made police.uk files: a byte-order mark and CRLF lines, quoted text, blank and non-numeric
coordinates, blank months and categories, an unreadable month, a code that is not one of the areas'
(placed by location), another area's code (a disagreement in the sample), a record outside every area;
codes of another geography (the sample check turns the join off); latitude and longitude swapped. Files
the columnar reader leaves to the full reader (it returns None, the full reader refuses or reads them
as before): a row with too many fields, cp1252 text, leading spaces, mostly bad rows, a zip.
"""

from __future__ import annotations

import argparse
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer
from shapely.geometry import box

from placebased.errors import DataError
from placebased.io.incidents import load_incidents, load_police_columns
from placebased.stats.aggregate import count_incidents, count_records

HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
          "Last outcome category,Context")
CODES = ["E01000001", "E01000002", "E01000003", "E01000004"]
X0, Y0 = 475_000, 260_000  # Northampton, British National Grid
TO_WGS84 = Transformer.from_crs(27700, 4326, always_xy=True)


@pytest.fixture()
def areas():
    polys = [box(X0 + 1000 * i, Y0, X0 + 1000 * (i + 1), Y0 + 1000) for i in range(4)]
    return gpd.GeoDataFrame({"name": CODES}, geometry=polys, crs=27700, index=pd.Index(CODES, name="area_code"))


def _lonlat(area: int, k: int) -> tuple[str, str]:
    """A point inside area ``area`` (0-3), the ``k``-th of a small grid, as police.uk writes it (6 decimals)."""
    lon, lat = TO_WGS84.transform(X0 + 1000 * area + 100 + 37 * (k % 20), Y0 + 100 + 41 * (k // 20 % 20))
    return f"{lon:.6f}", f"{lat:.6f}"


def _row(i, month, lon, lat, code, category, quote=False):
    name = f"Northampton {code[-3:]}A" if code else ""
    cells = [f"{i:064x}", month, "Northamptonshire Police", "Northamptonshire Police", lon, lat,
             "On or near High Street", code, name, category, "Under investigation", ""]
    if quote:
        cells = [f'"{c}"' if c and c not in (lon, lat) else c for c in cells]
    return ",".join(cells)


def _records(n, seed, month="2025-01", wrong=(), outside=(), quote=False):
    rng = np.random.default_rng(seed)
    cats = ["Burglary", "Shoplifting", "Violence and sexual offences", "Anti-social behaviour"]
    rows = []
    for i in range(n):
        a = int(rng.integers(0, 4))
        lon, lat = _lonlat(a, i)
        code = CODES[a]
        if i in wrong:  # another area's code
            code = CODES[(a + 1) % 4]
        if i in outside:  # far from every area, no code
            lon, lat, code = "-1.500000", "53.000000", ""
        rows.append(_row(i, month, lon, lat, code, cats[int(rng.integers(0, 4))], quote))
    return rows


@pytest.fixture()
def police_files(tmp_path):
    folder = tmp_path / "records"
    folder.mkdir()
    a = _records(60, 1, "2025-01", wrong={5}, outside={7}, quote=True)
    lon, lat = _lonlat(2, 3)
    a[10] = _row(10, "2025-01", "", "", "", "Burglary")  # no location
    a[11] = _row(11, "2025-01", "abc", lat, CODES[2], "Robbery")  # non-numeric
    a[12] = _row(12, "2025-01", lon, lat, "E01999999", "Robbery")  # not one of the areas' codes
    a[13] = _row(13, "", lon, lat, CODES[2], "")  # undated, no category
    (folder / "2025-01-northamptonshire-street.csv").write_bytes(
        ("\ufeff" + "\r\n".join([HEADER, *a]) + "\r\n").encode("utf-8"))
    b = _records(50, 2, "2025-02", wrong={3, 9})
    b[4] = _row(4, "2025-13", *_lonlat(1, 4), CODES[1], "Drugs")  # unreadable month
    b[6] = _row(6, "2025-02", "-0.9", "", CODES[1], "Drugs")  # half a location
    b[8] = _row(8, "2025-02", '"1,500"', "52.2", CODES[1], "Drugs")  # a thousands comma, out of range
    (folder / "2025-02-northamptonshire-street.csv").write_text("\n".join([HEADER, *b, ""]), encoding="utf-8")
    return folder


def _same_points(rec, inc):
    assert rec.report == inc.report
    assert rec.categories == inc.categories
    new, old = rec.points(), inc.points
    for c in ("category", "date", "month", "time", "weight", "source", "source_row", "lsoa_code_source"):
        pd.testing.assert_series_equal(new[c], old[c], check_names=True)
    assert np.array_equal(new.geometry.x, old.geometry.x) and np.array_equal(new.geometry.y, old.geometry.y)


def _same_counts(new, old):
    pd.testing.assert_frame_equal(new.counts, old.counts)
    pd.testing.assert_frame_equal(new.monthly, old.monthly)
    a, b = new.report, old.report
    assert a.summary() == b.summary() and a.check_line() == b.check_line()
    for name in ("points", "in_area", "snapped", "outside", "without_location", "publisher_kept", "by_code",
                 "checked", "disagreed", "code_note"):
        assert getattr(a, name) == getattr(b, name), name
    if b.disagreements is None:
        assert a.disagreements is None
    else:
        assert a.disagreements.astype(str).equals(b.disagreements.astype(str))


def test_columns_are_the_full_readers_records(police_files):
    rec, inc = load_police_columns(police_files), load_incidents(police_files)
    assert rec is not None
    _same_points(rec, inc)
    r = rec.report
    assert (r.rows_read, r.without_location, r.bad_coordinates, r.out_of_range, r.bad_dates) == (110, 2, 1, 1, 1)
    assert any("rows skipped without a usable location (first at row 12)" in n for n in r.notes)


@pytest.mark.parametrize("categories", [None, ["Burglary", "Robbery"], ["Not a category"]])
@pytest.mark.parametrize("code_join", [None, False])
def test_counts_are_the_same(police_files, areas, categories, code_join):
    rec, inc = load_police_columns(police_files), load_incidents(police_files)
    kw = {"categories": categories, "without_location": inc.report.skipped, "code_join": code_join}
    new, old = count_records(rec, areas, **kw), count_incidents(inc.points, areas, **kw)
    _same_counts(new, old)
    if code_join is None and categories is None:
        assert new.report.by_code and new.report.disagreed == 3  # the three other areas' codes
        assert new.points is None  # no GeoDataFrame of every record


def test_sample_size_and_codes_of_another_geography(police_files, areas):
    rec, inc = load_police_columns(police_files), load_incidents(police_files)
    _same_counts(count_records(rec, areas, check_sample=7), count_incidents(inc.points, areas, check_sample=7))
    # the records' codes are the areas' but shuffled: the sample check turns the join off
    shuffled = areas.rename(index=dict(zip(CODES, CODES[1:] + CODES[:1])))
    new, old = count_records(rec, shuffled), count_incidents(inc.points, shuffled)
    assert "codes are of another geography" in new.report.code_note
    _same_counts(new, old)


def test_swapped_columns_warn_and_fix_the_same(tmp_path):
    rows = [r.split(",") for r in _records(30, 3)]
    for r in rows:
        r[4], r[5] = r[5], r[4]
    f = tmp_path / "2025-03-northamptonshire-street.csv"
    f.write_text("\n".join([HEADER, *(",".join(r) for r in rows)]) + "\n", encoding="utf-8")
    with pytest.warns(Warning, match="other way round") as new_w:
        rec = load_police_columns(f)
    with pytest.warns(Warning, match="other way round") as old_w:
        inc = load_incidents(f)
    assert [str(w.message) for w in new_w] == [str(w.message) for w in old_w]
    _same_points(rec, inc)
    assert rec.report.swapped_fixed == 30


def _bad(tmp_path, name, text, encoding="utf-8"):
    f = tmp_path / name
    f.write_bytes(text.encode(encoding))
    return f


@pytest.mark.parametrize("case", ["too_many_fields", "cp1252", "leading_space", "mostly_bad", "header_only",
                                  "semicolons"])
def test_files_left_to_the_full_reader(tmp_path, case):
    rows = _records(10, 4)
    if case == "too_many_fields":
        rows[3] += ",extra"
    elif case == "cp1252":
        rows[2] = rows[2].replace("High Street", "Caf\u00e9 Street")
    elif case == "leading_space":
        rows[2] = _row(2, "2025-01", *_lonlat(0, 2), CODES[0], " Burglary")
    elif case == "mostly_bad":
        rows = [_row(i, "2025-01", "", "", "", "Burglary") for i in range(8)] + rows[:2]
    elif case == "header_only":
        rows = []
    text = "\n".join([HEADER, *rows]) + "\n"
    if case == "semicolons":
        text = text.replace(",", ";")
    f = _bad(tmp_path, "2025-01-x-street.csv", text, "cp1252" if case == "cp1252" else "utf-8")
    assert load_police_columns(f) is None
    if case in ("too_many_fields", "mostly_bad", "header_only"):
        with pytest.raises(DataError) as err:
            load_incidents(f)
        assert "\n" not in str(err.value) and f.name in str(err.value)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            load_incidents(f)  # read as before


def test_counts_command_takes_the_columns_only_for_plain_police_files(police_files):
    from placebased.commands.counts import _police_columns

    args = argparse.Namespace(incidents=[str(police_files)], x_column=None, y_column=None, crs=None,
                              category_column=None, date_column=None, weight_column=None, date_format=None,
                              harm_table=None, start=None, end=None, _filter_dates=True)
    assert _police_columns(args) is not None
    assert _police_columns(argparse.Namespace(**{**vars(args), "start": "2025-02"})) is None
    assert _police_columns(argparse.Namespace(**{**vars(args), "crs": "wgs84"})) is None
    assert _police_columns(argparse.Namespace(**{**vars(args), "incidents": None})) is None

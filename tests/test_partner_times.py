"""A&E / partner records with times: locating with a confidence, day x hour, the weekend window by age band.

Edge cases: the window's edges (Sat 00:59 out, 01:00 in, 04:59 in, 05:00 out; Friday 02:00 out),
a date and a separate time column, ages in years banded, records without a time (left out of the
shares and counted), partial postcodes, grid references in columns and in text, unknown text,
suppression of small published counts with secondary suppression against the row total.
"""

from __future__ import annotations

import pandas as pd
import pytest

from placebased.cli import main
from placebased.errors import DataError, SchemaError
from placebased.score.partner_times import grid_ref_to_xy, locate_text, partner_times


def _records() -> pd.DataFrame:
    rows = [
        # arrival, age band, postcode, free text
        ("2025-03-15 00:59", "18-24", "NN17 1TR", None),            # Sat, before the window
        ("2025-03-15 01:00", "18-24", "NN17 1TR", None),            # Sat, in
        ("2025-03-15 04:59", "18-24", "", "Corby town centre"),     # Sat, in (post town, low)
        ("2025-03-15 05:00", "18-24", "NN1", None),                 # Sat, out (district, low)
        ("2025-03-16 03:30", "25-34", None, "SP 7512 6034"),        # Sun, in (grid ref in text, high)
        ("2025-03-14 02:00", "25-34", None, "somewhere"),           # Fri, out (unlocated)
        ("2025-03-16 02:10", "25-34", None, None),                  # Sun, in
        ("2025-03-17", "18-24", None, None),                        # no time: left out of the shares
    ]
    return pd.DataFrame(rows, columns=["arrival_datetime", "age_band", "postcode", "location"])


def test_window_shares_by_hand():
    r = partner_times(_records())
    w = r.to_frame(public=False).set_index("age_band")
    # 18-24: 4 timed records, 2 in the window; 25-34: 3 timed, 2 in; all: 7 timed, 4 in
    assert w.loc["18-24", ["records", "in_window"]].tolist() == [4, 2]
    assert w.loc["25-34", ["records", "in_window"]].tolist() == [3, 2]
    assert w.loc["all", ["records", "in_window"]].tolist() == [7, 4]
    assert w.loc["18-24", "share_in_window"] == pytest.approx(0.5)
    assert w.loc["25-34", "share_in_window"] == pytest.approx(2 / 3)
    assert r.window_share() == pytest.approx(4 / 7)
    assert any("1 records without a time" in n for n in r.notes)
    dh = r.day_hour
    assert dh.shape == (7, 24) and dh.to_numpy().sum() == 7
    assert dh.loc["Sat", 0] == 1 and dh.loc["Sat", 1] == 1 and dh.loc["Sat", 4] == 1 and dh.loc["Sat", 5] == 1
    assert dh.loc["Fri", 2] == 1 and dh.loc["Sun", 3] == 1 and dh.loc["Sun", 2] == 1


def test_locating_confidence():
    r = partner_times(_records())
    rec = r.records
    assert rec["confidence"].tolist() == ["high", "high", "low", "low", "high", "unlocated", "unlocated",
                                          "unlocated"]
    assert rec["method"].tolist()[:5] == ["postcode", "postcode", "post town", "postcode district",
                                          "grid reference in text"]
    assert rec.loc[0, ["x", "y"]].tolist() == [488492.0, 288994.0]  # NN17 1TR in Code-Point Open
    assert "location" not in rec.columns  # free text is never kept
    summary = r.location_summary().set_index(["confidence", "method"])["records"]
    assert summary.sum() == 8 and summary[("unlocated", "none")] == 3


def test_grid_references():
    assert grid_ref_to_xy("SP 7512 6034") == (475125.0, 260345.0, 10)
    assert grid_ref_to_xy("SP75126034") == (475125.0, 260345.0, 10)
    assert grid_ref_to_xy("TL 1 2") == (515000.0, 225000.0, 10000)
    assert grid_ref_to_xy("SP 751 60") is None and grid_ref_to_xy("XX 12 34") is None
    assert locate_text("SP 75 60")[2:] == ("low", "grid reference in text")  # 1 km square: low
    assert locate_text("NN12 3456")[3] == "postcode district"  # not read as a Highland grid square
    frame = pd.DataFrame({"date": ["2025-03-15"], "time": ["02:15"], "age": ["19"], "easting": ["475000"],
                          "northing": ["260000"]})
    r = partner_times(frame)
    assert r.records.loc[0, ["confidence", "method", "age_band", "hour"]].tolist() == [
        "high", "easting/northing", "18-24", 2.0]
    assert bool(r.records.loc[0, "in_window"])


def test_public_tables_are_suppressed():
    r = partner_times(_records())
    pub = r.to_frame().set_index("age_band")
    # every cell is 1-4 apart from the total of 7 timed records, published rounded to base 5
    assert pub.loc["all", "records"] == "5" and pub.loc["all", "in_window"] == "<5"
    assert pub.loc["18-24", "records"] == "<5" and pub.loc["18-24", "share_in_window"] == "*"
    dh = r.day_hour_public()
    assert dh.loc["Sat", "01"] == "<5" and dh.loc["Mon", "12"] == "0"
    big = pd.DataFrame({"arrival_datetime": ["2025-03-15 02:00"] * 12 + ["2025-03-12 14:00"] * 8,
                        "age_band": ["18-24"] * 20})
    w = partner_times(big).to_frame().set_index("age_band")
    assert w.loc["18-24"].tolist() == ["20", "10", "50.0%"]  # 12 of 20, rounded; share of the rounded counts


def test_errors():
    with pytest.raises(SchemaError, match="no arrival date column"):
        partner_times(pd.DataFrame({"age": ["1"], "postcode": ["NN17 1TR"]}))
    with pytest.raises(DataError, match="none of the records has a readable arrival date and time"):
        partner_times(pd.DataFrame({"arrival_date": ["2025-03-15"], "age": ["1"]}))


def test_cli_ae(tmp_path, capsys):
    f = tmp_path / "istv.csv"
    _records().to_csv(f, index=False)
    out = tmp_path / "ae"
    assert main(["monitor", "--ae", str(f), "--ae-out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["day_hour.csv", "day_hour.png", "located.csv",
                                                     "window_by_age.csv"]
    t = pd.read_csv(out / "window_by_age.csv", dtype=str)
    assert list(t.columns) == ["age_band", "records", "in_window", "share_in_window"]
    assert (out / "day_hour.png").read_bytes()[:4] == b"\x89PNG"
    assert "arrived in the Sat/Sun 01:00-05:00 window" in capsys.readouterr().err
    assert main(["monitor", "--ae", str(f)]) == 2

"""Harm weighting: the table format, case-insensitive matching, unmatched categories, the CLI flag.

The tables here are invented illustrations, not a real harm index (none is shipped: see
placebased/score/harm.py for why).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from placebased._paths import default_incident_files
from placebased.cli import main
from placebased.errors import SchemaError
from placebased.score.harm import HarmTable, apply_harm_weights, harm_weighting, read_harm_table
from placebased.stats.aggregate import count_incidents

EXAMPLE = "category,weight\nRobbery,365\nViolence and sexual offences,150\nPossession of weapons,60\n"


def _points():
    return gpd.GeoDataFrame(
        {"category": ["Robbery", "ROBBERY ", "Drugs", "Violence and sexual offences", "Drugs"],
         "weight": [1.0, 2.0, 1.0, 1.0, 1.0]},
        geometry=[Point(0, 0)] * 5, crs="EPSG:27700",
    )


def test_weights_by_hand(tmp_path):
    f = tmp_path / "harm.csv"
    f.write_text(EXAMPLE)
    pts = _points()
    r = harm_weighting(pts, f)
    assert r.points["weight"].tolist() == [365.0, 730.0, 0.0, 150.0, 0.0]
    assert pts["weight"].tolist() == [1.0, 2.0, 1.0, 1.0, 1.0]  # the caller's frame is not changed
    assert r.unmatched == {"Drugs": 2}
    by = r.to_frame().set_index("category")
    assert by.loc["Drugs", "incidents"] == 2 and not by.loc["Drugs", "matched"]
    assert r.by_category["harm"].sum() == 1245.0
    assert "3 of 5 incidents matched" in r.summary_text() and "Drugs (2)" in r.summary_text()
    assert apply_harm_weights(pts, f)["weight"].sum() == 1245.0


def test_unmatched_weight_option():
    r = harm_weighting(_points(), HarmTable.from_mapping({"robbery": 10}), unmatched_weight=1.0)
    assert r.points["weight"].tolist() == [10.0, 20.0, 1.0, 1.0, 1.0]


def test_harm_weighted_counts_per_area():
    from shapely.geometry import box

    areas = gpd.GeoDataFrame(geometry=[box(-1, -1, 1, 1)], index=pd.Index(["A"], name="area_code"),
                             crs="EPSG:27700")
    pts = apply_harm_weights(_points(), HarmTable.from_mapping({"Robbery": 365, "Drugs": 5}))
    counts = count_incidents(pts, areas).counts
    assert counts.loc["A", "total"] == 365 + 730 + 5 + 5


@pytest.mark.parametrize("text, message", [
    ("name,weight\nRobbery,1\n", "no column category"),
    ("category,weight\nRobbery,-1\n", "row 2 .*not a number of 0 or more"),
    ("category,weight\nRobbery,lots\n", "row 2 .*'lots'"),
    ("category,weight\nRobbery,1\n robbery,2\n", "row 3: category ' ?robbery' is listed twice"),
    ("category,weight\n,1\n", "row 2: the category is blank"),
    ("category,weight\n", "no rows"),
])
def test_bad_tables(tmp_path, text, message):
    f = tmp_path / "harm.csv"
    f.write_text(text)
    with pytest.raises(SchemaError if "rows" not in message else Exception, match=message):
        read_harm_table(f)


def test_missing_table(tmp_path):
    with pytest.raises(Exception, match="harm table not found"):
        read_harm_table(tmp_path / "none.csv")


def test_cli_harm_table(tmp_path, capsys):
    f = tmp_path / "harm.csv"
    f.write_text(EXAMPLE)
    raw, weighted = tmp_path / "raw.csv", tmp_path / "harm_counts.csv"
    files = [str(default_incident_files()[0])]
    assert main(["counts", "--incidents", *files, "--out", str(raw)]) == 0
    assert main(["counts", "--incidents", *files, "--harm-table", str(f), "--out", str(weighted)]) == 0
    err = capsys.readouterr().err
    assert "Harm weights from harm.csv" in err and "Not in the table, weighted 0" in err
    a = pd.read_csv(raw, index_col=0)
    b = pd.read_csv(weighted, index_col=0)
    assert (b["Robbery"] == a["Robbery"] * 365).all()
    assert (b["Violence and sexual offences"] == a["Violence and sexual offences"] * 150).all()
    assert (b["Drugs"] == 0).all()
    expected = 365 * a["Robbery"] + 150 * a["Violence and sexual offences"] + 60 * a["Possession of weapons"]
    assert (b["total"] == expected).all()

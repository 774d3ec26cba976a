"""``placebased gaps`` and ``placebased site``: exit codes, output files and messages."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from placebased.cli import main

GAP_COLUMNS = ["area_code", "nearest_m", "within_radius", "tier", "gap"]


def test_gaps_example_with_scoring_tiers(tmp_path, capsys):
    out, layer = tmp_path / "gaps.csv", tmp_path / "gaps.geojson"
    code = main(["gaps", "--provision", "example", "--types", "GP practice", "--out", str(out),
                 "--layer", str(layer)])
    err = capsys.readouterr().err
    assert code == 0, err
    table = pd.read_csv(out)
    assert list(table.columns[:5]) == GAP_COLUMNS and len(table) == 443
    assert "EXAMPLE DATA" in err and "scoring scenario 'Balanced'" in err
    assert "% of residents of top-tier (top 5%) areas" in err and "within 1 km" in err
    assert set(table.loc[table["gap"], "tier"]) == {"top 5%"}
    assert (table.loc[table["gap"], "within_radius"] == 0).all()
    geo = json.loads(layer.read_text())
    assert len(geo["features"]) == int(table["gap"].sum())


def test_gaps_imd_tiers_radius_and_aged_10_24(tmp_path, capsys):
    out = tmp_path / "g.csv"
    code = main(["gaps", "--provision", "example-gp", "--imd-tiers", "--tiers", "2", "--radius", "800",
                 "--population", "aged_10_24", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    table = pd.read_csv(out)
    assert set(table.loc[table["priority"], "tier"]) == {1, 2}
    assert "of residents aged 10-24 of priority-tier areas" in err and "within 800 m" in err
    wider = tmp_path / "w.csv"
    assert main(["gaps", "--provision", "example-gp", "--imd-tiers", "--tiers", "2", "--radius", "3000",
                 "--out", str(wider)]) == 0
    assert pd.read_csv(wider)["gap"].sum() <= table["gap"].sum()


def test_gaps_user_csv_postcodes(tmp_path, capsys):
    f = tmp_path / "youth.csv"
    f.write_text("Name,Category,Postcode\nClub A,Youth club,nn17 1tr\nClub B,Youth club,NN171TR\n"
                 "Club C,Youth club, NN2  6LS \nClub D,Youth club,ZZ99 9ZZ\n")
    out = tmp_path / "g.csv"
    code = main(["gaps", "--provision", str(f), "--imd-tiers", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "read 4, located 3" in err and "postcodes not found 1 (row 4 'ZZ99 9ZZ')" in err
    assert "warning:" in err
    table = pd.read_csv(out)
    assert table["within_radius"].sum() >= 3  # NN17 1TR twice, NN2 6LS once
    assert "no Youth club" not in err and "provision of any type" in err


def test_gaps_errors(tmp_path, capsys):
    out = tmp_path / "g.csv"
    assert main(["gaps", "--provision", "example", "--types", "Youth club", "--imd-tiers", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "valid types:" in err and "GP practice" in err and "Traceback" not in err
    assert main(["gaps", "--provision", str(tmp_path / "none.csv"), "--imd-tiers", "--out", str(out)]) == 2
    assert "provision file not found" in capsys.readouterr().err
    assert main(["gaps", "--provision", "example", "--imd-tiers", "--tiers", "x", "--out", str(out)]) == 2
    assert "tiers here are numbers" in capsys.readouterr().err
    assert not out.exists()


def test_site_example(tmp_path, capsys):
    out = tmp_path / "sites.csv"
    code = main(["site", "--provision", "example", "--types", "GP practice", "--k", "2", "--imd-tiers",
                 "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    table = pd.read_csv(out)
    assert list(table.columns[:8]) == ["site_id", "name", "easting", "northing", "lat", "lon",
                                       "areas_newly_covered", "weighted_coverage_gained"]
    assert len(table) == 2 and (table["areas_newly_covered"] > 0).all()
    assert "solver: CBC" in err and "status: Optimal" in err and "2 new sites raise weighted coverage" in err
    assert set(table["status"]) == {"Optimal"}


def test_site_with_candidates(tmp_path, capsys):
    cand = tmp_path / "schools.csv"
    cand.write_text("School,Easting,Northing\nNorth,488000,289000\nMiddle,475000,262000\nSouth,458600,237900\n")
    out = tmp_path / "s.csv"
    code = main(["site", "--provision", "example-gp", "--k", "1", "--candidates", str(cand),
                 "--candidate-name-column", "School", "--imd-tiers", "--radius", "1500", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    table = pd.read_csv(out)
    assert len(table) == 1 and table["name"].iloc[0] in {"North", "Middle", "South"}
    assert "candidates: read 3, located 3" in err


@pytest.mark.parametrize("k", ["0", "500"])
def test_site_bad_k(tmp_path, capsys, k):
    out = tmp_path / "s.csv"
    assert main(["site", "--provision", "example", "--k", k, "--imd-tiers", "--out", str(out)]) == 2
    assert "error:" in capsys.readouterr().err and not out.exists()

"""``placebased hotspots`` and ``placebased moran`` on the command line.

Edge cases: shipped data by default, area columns as the variable, a polygon file without a CRS
(contiguity works, distance bands give a one-line error), bad names, nothing written on error.
"""

from __future__ import annotations

import json

import libpysal.examples as ex
import pandas as pd
import pytest

from placebased.cli import main

CONTRACT = ["area_code", "value", "gi_z", "gi_p", "gi_bin", "lisa_i", "lisa_p", "lisa_cluster"]
COLUMBUS = ex.get_path("columbus.shp")


def test_hotspots_default_data(tmp_path, capsys):
    out = tmp_path / "hotspots.csv"
    assert main(["hotspots", "--out", str(out), "--permutations", "199"]) == 0
    frame = pd.read_csv(out)
    assert list(frame.columns[:8]) == CONTRACT
    assert list(frame.columns[8:]) == ["permutations", "seed", "alpha", "correction", "p_cutoff", "gi_p_cutoff",
                                       "p_method", "max_draws", "weights", "variable"]
    assert len(frame) == 443
    assert (frame["permutations"] == 199).all() and (frame["seed"] == 12345).all()
    assert (frame["correction"] == "fdr").all() and (frame["weights"] == "queen").all()
    stdout = capsys.readouterr().out
    assert "Global Moran's I = " in stdout
    assert "199 permutations, seed 12345, alpha 0.05, correction fdr" in stdout
    assert "LISA p cut-off" in stdout


def test_hotspots_area_column_rate_and_options(tmp_path, capsys):
    out = tmp_path / "imd.csv"
    code = main(["hotspots", "--variable", "imd_score", "--weights", "knn:6", "--correction", "none",
                 "--seed", "3", "--permutations", "99", "--alpha", "0.1", "--out", str(out)])
    assert code == 0
    frame = pd.read_csv(out)
    assert (frame["variable"] == "imd_score").all() and (frame["weights"] == "knn:6").all()
    assert (frame["p_cutoff"] == 0.1).all()
    assert "area column imd_score" in capsys.readouterr().out


def test_hotspots_eb_rate_prints_adjusted_moran(tmp_path, capsys):
    out = tmp_path / "sv.csv"
    assert main(["hotspots", "--category", "serious_violence", "--variable", "eb_rate", "--permutations", "99",
                 "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "EB-adjusted Moran's I (Assuncao-Reis)" in stdout
    assert pd.read_csv(out)["variable"].eq("eb_rate").all()


def test_bonferroni_with_999_says_nothing_can_pass(tmp_path, capsys):
    out = tmp_path / "b.csv"
    assert main(["hotspots", "--variable", "imd_score", "--correction", "bonferroni", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "no area can be significant" in captured.out
    assert "warning:" in captured.err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--weights", "hexagon"], "unknown weights"),
        (["--variable", "nonsense"], "unknown --variable"),
        (["--variable", "imd_score", "--permutations", "0"], "permutations"),
        (["--category", "no-such-crime"], "no-such-crime"),
    ],
)
def test_hotspots_errors_are_one_line(tmp_path, capsys, argv, message):
    out = tmp_path / "x.csv"
    assert main(["hotspots", *argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: ") and message in err[-1]
    assert "Traceback" not in "\n".join(err)
    assert not out.exists()


def test_moran_json_on_file_without_crs(capsys):
    assert main(["moran", "--boundaries", COLUMBUS, "--column", "CRIME", "--id-column", "POLYID", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out)[:4] == ["I", "EI", "z", "p_sim"]
    assert out["I"] == pytest.approx(0.500188557, abs=1e-9)
    assert out["EI"] == pytest.approx(-0.020833333, abs=1e-9)
    assert out["z"] == pytest.approx(5.5894, abs=1e-4)
    assert out["p_sim"] == pytest.approx(1 / 10_000)  # 9,999 permutations by default
    assert out["permutations"] == 9999 and out["seed"] == 12345 and out["weights"] == "queen"


def test_moran_rook_and_knn_without_crs(capsys):
    assert main(["moran", "--boundaries", COLUMBUS, "--column", "CRIME", "--id-column", "POLYID",
                 "--weights", "rook", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["I"] == pytest.approx(0.523670, abs=1e-6)
    assert main(["moran", "--boundaries", COLUMBUS, "--column", "CRIME", "--id-column", "POLYID",
                 "--weights", "knn:4", "--permutations", "99"]) == 0
    assert "Global Moran's I" in capsys.readouterr().out


def test_moran_distance_without_crs_is_a_clear_error(capsys):
    code = main(["moran", "--boundaries", COLUMBUS, "--column", "CRIME", "--id-column", "POLYID",
                 "--weights", "distance:2000"])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "no coordinate system" in err and "\n" not in err


def test_moran_bad_column(capsys):
    assert main(["moran", "--boundaries", COLUMBUS, "--column", "NOPE", "--id-column", "POLYID"]) == 2
    assert "no column 'NOPE'" in capsys.readouterr().err


def test_moran_shipped_default(capsys):
    assert main(["moran", "--column", "imd_score", "--permutations", "99", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["I"] > 0.2

"""``placebased score`` and ``placebased weights`` end to end on the shipped data."""

from __future__ import annotations

import pandas as pd

from placebased.cli import main
from placebased.score.scenario import Scenario

FIRST = ["area_code", "area_name", "score", "rank", "tier", "rank_p05", "rank_p95", "p_top_n"]


def test_score_cli(tmp_path, capsys, areas):
    table = tmp_path / "ae.csv"
    pd.DataFrame({"area_code": areas.index[:300], "ae_assaults": range(300)}).to_csv(table, index=False)
    scen = tmp_path / "s.toml"
    Scenario(name="Test", weights={"imd_score": 1, "serious_violence_eb_rate": 1, "ae_assaults": 1},
             missing="zero", draws=200).save(scen)
    out = tmp_path / "score.csv"
    used = tmp_path / "used.toml"
    rc = main(["score", "--scenario", str(scen), "--table", str(table), "--top", "25", "--out", str(out),
               "--save-scenario", str(used)])
    cap = capsys.readouterr()
    assert rc == 0, cap.err
    f = pd.read_csv(out)
    assert list(f.columns[:8]) == FIRST
    assert list(f.columns[8:11]) == ["contrib_imd_score", "contrib_serious_violence_eb_rate", "contrib_ae_assaults"]
    assert len(f) == 443 and f["rank"].min() == 1 and f["rank"].max() <= 443  # ties share the best rank
    assert abs(f["p_top_n"].sum() - 25) < 1e-6
    assert list(f.columns[-6:]) == ["scenario", "scenario_date", "normalisation", "missing", "draws", "seed"]
    assert (f["normalisation"] == "percentile").all() and (f["draws"] == 200).all() and (f["seed"] == 12345).all()
    for word in ("normalisation: percentile", "missing values: zero", "200 draws", "seed 12345", "Test"):
        assert word in cap.out
    assert "have no row" in cap.err  # 143 areas missing from the user table
    assert Scenario.load(used) == Scenario.load(scen).replace(top_n=25)


def test_score_cli_errors(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[weights]\nimd_score = 1\n[robustness]\ncolour = 1\n')
    assert main(["score", "--scenario", str(bad), "--out", str(tmp_path / "x.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "bad.toml" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.csv").exists()


def test_weights_suggest_cli(tmp_path, capsys):
    out = tmp_path / "ev.toml"
    rc = main(["weights", "--suggest", "--spatial", "none", "--permutations", "99", "--out", str(out)])
    cap = capsys.readouterr()
    assert rc == 0, cap.err
    assert "coef/SD" in cap.out and "Moran's I of Pearson residuals" in cap.out and "not cause" in cap.out
    assert "[weights]" in cap.out
    s = Scenario.load(out)
    assert s.weights["serious_violence_eb_rate"] == 50.0 and len(s.weights) >= 2
    assert main(["weights", "--list"]) == 0
    assert "serious_violence_gi_z" in capsys.readouterr().out

"""CLI contract of the foundation: ``placebased areas`` and ``placebased counts``, and error handling."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from placebased.cli import main


def test_areas_default(tmp_path, capsys):
    out = tmp_path / "areas.csv"
    assert main(["areas", "--out", str(out)]) == 0
    df = pd.read_csv(out)
    assert len(df) == 443 and df.columns[0] == "area_code" and "imd_decile" in df.columns
    assert "443 areas" in capsys.readouterr().err


def test_areas_2019(tmp_path):
    out = tmp_path / "areas.csv"
    assert main(["areas", "--vintage", "2019", "--out", str(out)]) == 0
    assert len(pd.read_csv(out)) == 422


def test_counts_default_and_summary(tmp_path, capsys):
    out = tmp_path / "counts.csv"
    assert main(["counts", "--out", str(out)]) == 0
    df = pd.read_csv(out)
    assert df.columns[0] == "area_code" and df.columns[-1] == "total" and len(df) == 443
    err = capsys.readouterr().err
    for word in ("read 57,565", "located", "in the areas", "outside the areas", "without a usable location"):
        assert word in err


def test_counts_category_group(tmp_path):
    out = tmp_path / "sv.csv"
    assert main(["counts", "--category", "serious_violence", "--out", str(out)]) == 0
    df = pd.read_csv(out)
    assert list(df.columns) == ["area_code", "Possession of weapons", "Robbery", "Violence and sexual offences",
                                "total"]


def test_error_is_one_line_without_traceback(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    res = subprocess.run([sys.executable, "-m", "placebased.cli", "counts", "--incidents", str(bad), "--out",
                          str(tmp_path / "o.csv")], capture_output=True, text=True)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "bad.csv" in lines[0]
    assert not (tmp_path / "o.csv").exists()


def test_unknown_category(tmp_path, capsys):
    assert main(["counts", "--category", "Pickpocketing", "--out", str(tmp_path / "o.csv")]) == 2
    assert "unknown category 'Pickpocketing'" in capsys.readouterr().err


@pytest.mark.parametrize("cmd", ["areas", "counts"])
def test_help_has_examples(cmd, capsys):
    with pytest.raises(SystemExit):
        main([cmd, "--help"])
    assert "examples:" in capsys.readouterr().out


def test_out_folder_missing(tmp_path, capsys):
    assert main(["areas", "--out", str(tmp_path / "nope" / "a.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_date_range_feeds_the_counts(tmp_path, capsys):
    full, part = tmp_path / "all.csv", tmp_path / "part.csv"
    assert main(["counts", "--category", "Robbery", "--out", str(full)]) == 0
    assert main(["counts", "--category", "Robbery", "--start", "2025-03", "--end", "2025-05-31", "--out",
                 str(part)]) == 0
    assert "date filter 2025-03 to 2025-05" in capsys.readouterr().err
    a, b = pd.read_csv(full), pd.read_csv(part)
    assert 0 < b["total"].sum() < a["total"].sum()
    assert (b["total"] <= a["total"]).all()
    assert main(["counts", "--start", "March", "--out", str(part)]) == 2
    assert "is not a month" in capsys.readouterr().err

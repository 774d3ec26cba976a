"""``placebased profile``: one profile, a public group, --each, and user errors (exit 2, one line)."""

from __future__ import annotations

import pytest

from placebased.cli import main
from placebased.outputs.report import pdf_text


def test_profile_one_area(tmp_path, capsys):
    out = tmp_path / "p.pdf"
    notes = tmp_path / "notes.csv"
    notes.write_text("area_code,note\nE01026949,Named in the 2025 strategic needs assessment\n", encoding="utf-8")
    assert main(["profile", "--area", "E01026949", "--notes", str(notes), "--out", str(out)]) == 0
    text = pdf_text(out.read_bytes())
    assert "North Northamptonshire 005A" in text and "strategic needs assessment" in text
    assert "wrote" in capsys.readouterr().err
    assert not list(tmp_path.glob(".p.pdf*"))  # no temporary file left behind


def test_profile_group_public_and_each(tmp_path):
    out = tmp_path / "g.pdf"
    each = tmp_path / "each"
    rc = main(["profile", "--area", "E01026949", "--area", "E01026950", "--group-name", "Test ward", "--public",
               "--threshold", "10", "--out", str(out), "--each", str(each)])
    assert rc == 0
    text = pdf_text(out.read_bytes())
    assert "Test ward" in text and "PUBLIC VERSION" in text and "<10" in text
    assert sorted(p.name for p in each.iterdir()) == ["E01026949.pdf", "E01026950.pdf"]


def test_profile_with_an_evaluation(tmp_path, capsys):
    out = tmp_path / "e.pdf"
    assert main(["profile", "--area", "E01026949", "--area", "E01026950", "--area", "E01026951",
                 "--evaluate-start", "2025-06", "--permutations", "99", "--out", str(out)]) == 0
    text = " ".join(pdf_text(out.read_bytes()).split())
    assert "Did it work? Evaluation from 2025-06 (serious violence)" in text and "in the target areas" in text
    assert "evaluated 3 target areas from 2025-06" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["profile", "--area", "E01026949"], "--out FILE.pdf"),
    (["profile", "--out", "x.pdf"], "--area"),
    (["profile", "--area", "E01026949", "--out", "x.txt"], ".pdf"),
    (["profile", "--area", "E01026949", "--threshold", "0", "--out", "x.pdf"], "--threshold"),
    (["profile", "--area", "NOPE", "--out", "x.pdf"], "unknown area code"),
    (["profile", "--each", "d", "--evaluate-start", "2025-06"], "--evaluate-start"),
    (["profile", "--area", "E01026949", "--evaluate-start", "June", "--out", "x.pdf"], "evaluate-start"),
    (["profile", "--area", "E01026949", "--evaluate-category", "robbery", "--out", "x.pdf"], "--evaluate-start"),
])
def test_profile_user_errors(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and message in err and "Traceback" not in err
    assert not (tmp_path / "x.pdf").exists()

"""``placebased saved``: list, export and import the saved work through the CLI."""

from __future__ import annotations

import json

from placebased.cli import main
from placebased.store import Store


def test_export_import_and_list(tmp_path, capsys):
    db, other = tmp_path / "a.db", tmp_path / "b.db"
    with Store(db) as s:
        s.save_selection("Targets", {"E01026949": "youth violence"}, "Ann")
        s.add_comment("E01026949", "<b>lighting</b> is poor", "Bob", session="Workshop 1")
    out = tmp_path / "backup.json"
    assert main(["saved", "--db", str(db), "--export", str(out)]) == 0
    assert json.loads(out.read_text())
    assert main(["saved", "--db", str(other), "--import", str(out)]) == 0
    assert "imported 1 versions and 1 comments" in capsys.readouterr().err
    assert main(["saved", "--db", str(other), "--list"]) == 0
    listing = capsys.readouterr().out
    assert "Targets  (version 1 of 1, Ann" in listing and "comments: 1" in listing
    with Store(other) as s:
        assert s.load_selection("Targets").areas == {"E01026949": "youth violence"}


def test_import_errors_are_one_line(tmp_path, capsys):
    assert main(["saved", "--db", str(tmp_path / "a.db"), "--import", str(tmp_path / "missing.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "missing.json: file not found" in err
    bad = tmp_path / "bad.json"
    bad.write_text("not json")
    assert main(["saved", "--db", str(tmp_path / "a.db"), "--import", str(bad)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1

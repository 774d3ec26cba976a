"""``placebased saved``: list, export and import the saved work through the CLI."""

from __future__ import annotations

import json
import os

import pytest

from placebased.cli import main
from placebased.io.store import Store


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


# --------------------------------------------------------------------------- bad --import files, bad --out


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    return lines[0]


def test_import_of_a_folder(tmp_path, capsys):
    folder = tmp_path / "exports"
    folder.mkdir()
    assert main(["saved", "--db", str(tmp_path / "a.db"), "--import", str(folder)]) == 2
    assert f"{folder}: is a folder, not a file" in _one_line_error(capsys)


def test_import_of_an_unreadable_file(tmp_path, capsys, monkeypatch):
    backup = tmp_path / "backup.json"
    backup.write_text("{}")
    from pathlib import Path

    def refuse(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    assert main(["saved", "--db", str(tmp_path / "a.db"), "--import", str(backup)]) == 2
    assert f"{backup}: cannot read the file (Permission denied)" in _one_line_error(capsys)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read any file")
def test_import_of_an_unreadable_file_for_real(tmp_path, capsys):
    backup = tmp_path / "backup.json"
    backup.write_text("{}")
    os.chmod(backup, 0)
    assert main(["saved", "--db", str(tmp_path / "a.db"), "--import", str(backup)]) == 2
    assert "cannot read the file" in _one_line_error(capsys)


WRONG_SHAPES = {
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00", "not a JSON file"),
    "csv": (b"Crime ID,Month\n1,2025-01\n", "not a JSON file"),
    "list": (b"[1, 2, 3]", "a JSON list without"),
    "other-object": (b'{"type": "FeatureCollection", "features": []}', "an object without"),
    "schema-text": (b'{"format": "placebased-saved-work", "schema_version": "abc"}', "schema_version must be"),
    "schema-list": (b'{"format": "placebased-saved-work", "schema_version": [1]}', "schema_version must be"),
    "versions-text": (b'{"format": "placebased-saved-work", "versions": "all"}', "must be lists"),
    "item-not-object": (b'{"format": "placebased-saved-work", "versions": [7]}', "version item 1 is not an object"),
    "huge-version": (b'{"format": "placebased-saved-work", "versions": [{"kind": "scenario", "name": "a", '
                     b'"version": 1e400, "author": "A", "created_at": "t", "toml": "a = 1"}]}', "version number"),
    "big-int-version": (b'{"format": "placebased-saved-work", "versions": [{"kind": "scenario", "name": "a", '
                        b'"version": 99999999999999999999999, "author": "A", "created_at": "t", "toml": "a = 1"}]}',
                        "version number"),
    "list-reason": (b'{"format": "placebased-saved-work", "versions": [{"kind": "selection", "name": "a", '
                    b'"version": 1, "author": "A", "created_at": "t", "areas": {"E1": [1, 2]}}]}', "reason for E1"),
    "bad-toml": (b'{"format": "placebased-saved-work", "versions": [{"kind": "scenario", "name": "a", '
                 b'"version": 1, "author": "A", "created_at": "t", "toml": "= ="}]}', "not valid TOML"),
    "deep": (b"[" * 100_000 + b"]" * 100_000, "backup.json: "),
    "comment-number": (b'{"format": "placebased-saved-work", "comments": [{"area_code": 5}]}', "area_code"),
}


@pytest.mark.parametrize("case", sorted(WRONG_SHAPES))
def test_import_of_wrong_files_is_one_line_and_imports_nothing(tmp_path, capsys, case):
    data, expected = WRONG_SHAPES[case]
    backup = tmp_path / "backup.json"
    backup.write_bytes(data)
    db = tmp_path / "a.db"
    assert main(["saved", "--db", str(db), "--import", str(backup)]) == 2
    line = _one_line_error(capsys)
    assert line.startswith(f"error: {backup}: ") and expected in line, line
    with Store(db) as s:
        assert not len(s.list("scenario")) and not len(s.list("selection")) and not len(s.comments())


def test_export_to_bad_places(tmp_path, capsys):
    db = tmp_path / "a.db"
    (tmp_path / "file").write_text("x")
    for out, expected in ((tmp_path, "is a folder, not a file"), (tmp_path / "nope" / "b.json", "does not exist"),
                          (tmp_path / "file" / "b.json", "is not a folder")):
        assert main(["saved", "--db", str(db), "--export", str(out)]) == 2
        assert expected in _one_line_error(capsys)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("a.db")) == ["file"]

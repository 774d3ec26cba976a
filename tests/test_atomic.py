"""Output files (``placebased._atomic``): whole or nothing, the user's umask, and one-line errors for bad --out paths.

Edge cases: umask 022 and 077; replacing a file keeps its permissions; ``--out`` that is a folder, in
a missing folder, under a file, in a read-only folder (as root a read-only folder is still writable,
so that case is simulated by a PermissionError from the file system, and tried for real when not
root); a full disk half-way through a write; an error inside the write leaves no temporary file.
"""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import tempfile

import pandas as pd
import pytest

from placebased import _atomic
from placebased.cli import main
from placebased.errors import DataError
from placebased.io.export import write_table


@pytest.fixture
def umask():
    """Set the process umask for one test, then put it back."""
    old = os.umask(0o022)
    os.umask(old)
    yield lambda m: os.umask(m)
    os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_new_files_honour_the_umask(tmp_path, umask, mask, expected):
    umask(mask)
    assert _atomic.current_umask() == mask
    assert _mode(_atomic.write_text(tmp_path / "a.txt", "x")) == expected
    assert _mode(write_table(pd.DataFrame({"a": [1]}), tmp_path / "a.csv")) == expected

    assert _mode(write_table(pd.DataFrame({"a": [1]}), tmp_path / "a.xlsx")) == expected


def test_replacing_a_file_keeps_its_permissions(tmp_path, umask):
    umask(0o022)
    target = tmp_path / "private.csv"
    target.write_text("old")
    os.chmod(target, 0o600)
    _atomic.write_text(target, "new")
    assert target.read_text() == "new" and _mode(target) == 0o600


def test_umask_read_without_proc(monkeypatch, umask):
    umask(0o027)
    real_open = open

    def no_proc(path, *a, **k):
        if str(path).startswith("/proc"):
            raise OSError(errno.ENOENT, "no /proc")
        return real_open(path, *a, **k)

    monkeypatch.setattr("builtins.open", no_proc)
    assert _atomic.current_umask() == 0o027
    assert _atomic.current_umask() == 0o027  # reading it did not change it


def test_cli_writes_with_the_umask(tmp_path):
    out = tmp_path / "saved.json"
    code = ("import os, sys; os.umask(0o022); from placebased.cli import main; "
            f"sys.exit(main(['saved', '--db', {str(tmp_path / 'a.db')!r}, '--export', {str(out)!r}]))")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    assert _mode(out) == 0o644


# ------------------------------------------------------------------------------------ bad --out paths


def test_out_is_a_folder(tmp_path):
    with pytest.raises(DataError, match="is a folder, not a file"):
        _atomic.write_text(tmp_path, "x")
    (tmp_path / "sub").mkdir()
    with pytest.raises(DataError, match="is a folder"):
        write_table(pd.DataFrame({"a": [1]}), tmp_path / "sub")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sub"] and not list((tmp_path / "sub").iterdir())


def test_out_under_a_file(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(DataError, match="is not a folder"):
        _atomic.write_text(tmp_path / "file" / "out.csv", "x")


def test_read_only_folder_simulated(tmp_path, monkeypatch):
    def refuse(*_a, **_k):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(DataError, match="cannot write in the folder .*Permission denied.*folder you can write to"):
        _atomic.write_text(tmp_path / "out.csv", "x")
    assert not list(tmp_path.iterdir())


def test_rename_refused_leaves_no_temporary_file(tmp_path, monkeypatch):
    def refuse(*_a, **_k):
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(DataError, match="cannot write in the folder"):
        _atomic.write_text(tmp_path / "out.csv", "x")
    assert not list(tmp_path.iterdir())


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can write in read-only folders")
def test_read_only_folder_for_real(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    os.chmod(ro, 0o555)
    try:
        with pytest.raises(DataError, match="cannot write in the folder"):
            _atomic.write_text(ro / "out.csv", "x")
    finally:
        os.chmod(ro, 0o755)


def test_disk_full_half_way(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    with pytest.raises(DataError, match="disk is full.*nothing was written"), _atomic.atomic_path(target) as tmp:
        tmp.write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_other_errors_pass_through_and_clean_up(tmp_path):
    with pytest.raises(ZeroDivisionError), _atomic.atomic_path(tmp_path / "o.csv") as tmp:
        tmp.write_text("half")
        1 / 0  # noqa: B018
    assert not list(tmp_path.iterdir())


def _run_cli(*argv):
    res = subprocess.run([sys.executable, "-m", "placebased.cli", *argv], capture_output=True, text=True)
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    return res.returncode, lines, res.stderr


@pytest.mark.parametrize("case", ["folder", "missing", "under_file"])
def test_cli_bad_out_is_one_line(tmp_path, case):
    (tmp_path / "file").write_text("x")
    out = {"folder": tmp_path, "missing": tmp_path / "nope" / "a.json",
           "under_file": tmp_path / "file" / "a.json"}[case]
    before = sorted(p.name for p in tmp_path.iterdir())
    code, lines, err = _run_cli("saved", "--db", str(tmp_path / "a.db"), "--export", str(out))
    assert code == 2 and "Traceback" not in err
    assert len(lines) == 1 and lines[0].startswith("error: ") and str(out) in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("a.db")) == before


def test_cli_table_command_out_is_a_folder(tmp_path, capsys):
    assert main(["areas", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {tmp_path}: is a folder")
    assert not list(tmp_path.iterdir())


def test_cli_read_only_out_simulated(tmp_path, monkeypatch, capsys):
    def refuse(*_a, **_k):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    assert main(["areas", "--out", str(tmp_path / "a.csv")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot write in the folder" in err[0] and not list(tmp_path.iterdir())

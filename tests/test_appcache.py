"""The app's on-disk cache (appcache._disk_cached): a fresh server reads what an earlier one computed for
the same inputs, settings and code; anything else recomputes, errors are never saved, and it can be
turned off. Real shipped areas; a tiny hand-made incidents file for the invalidation."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import appcache  # noqa: E402
from placebased import pipeline as P  # noqa: E402, N812
from placebased.errors import ConfigError  # noqa: E402


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(appcache.DISK_CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_saved_result_is_read_back_by_a_fresh_server(cache):
    src = P.Sources()
    calls = []

    def compute():
        calls.append(1)
        return P.load_areas_for(src)

    first = appcache._disk_cached("areas", compute, src)
    again = appcache._disk_cached("areas", compute, src)  # what a new process does: read the file
    assert len(calls) == 1 and list(cache.glob("areas-*.pickle"))
    assert again.equals(first) and again.attrs == first.attrs and again.crs == first.crs
    assert again is not first


def test_other_inputs_settings_or_files_recompute(tmp_path):
    csv = tmp_path / "incidents.csv"
    csv.write_text("Month,Longitude,Latitude,Crime type\n2025-01,-0.9,52.2,Robbery\n", encoding="utf-8")
    src = P.Sources(incidents=(str(csv),))
    n = []

    def compute():
        n.append(1)
        return len(n)

    assert appcache._disk_cached("t", compute, src, "a") == 1
    assert appcache._disk_cached("t", compute, src, "a") == 1  # read back
    assert appcache._disk_cached("t", compute, src, "b") == 2  # other settings
    csv.write_text(csv.read_text(encoding="utf-8") + "2025-02,-0.9,52.2,Robbery\n", encoding="utf-8")
    assert appcache._disk_cached("t", compute, src, "a") == 3  # the file changed
    assert appcache._disk_cached("t", compute, P.Sources(), "a") == 4  # other sources


def test_errors_are_not_saved_and_a_bad_file_recomputes(cache):
    src = P.Sources()

    def fail():
        raise ConfigError("no")

    with pytest.raises(ConfigError):
        appcache._disk_cached("e", fail, src)
    assert not list(cache.glob("e-*.pickle"))
    assert appcache._disk_cached("e", lambda: "ok", src) == "ok"
    (saved,) = cache.glob("e-*.pickle")
    saved.write_bytes(b"not a pickle")
    assert appcache._disk_cached("e", lambda: "again", src) == "again"
    assert pickle.loads(saved.read_bytes()) == "again"


def test_turned_off(monkeypatch):
    monkeypatch.setenv(appcache.DISK_CACHE_ENV, "off")
    n = []
    for _ in range(2):
        appcache._disk_cached("t", lambda: n.append(1), P.Sources())
    assert len(n) == 2

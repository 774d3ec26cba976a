"""Saved work: round trips, versions, conflicts, a real SIGKILL mid-save, concurrent sessions.

Edge cases covered: a new name saved twice without ``based_on``; a stale ``based_on``; identical
re-save (no new version); invalid TOML; text with HTML and non-ASCII kept exactly; an import
that clashes with local versions (all or nothing); a process killed inside a large write
transaction and one killed at a random moment in a loop of saves; two threads and four processes
saving from the same version at once; a file that is not a database.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from placebased.errors import ConfigError, ConflictError, DataError, PlaceBasedError
from placebased.io.store import Store, default_db

REPO = Path(__file__).resolve().parents[1]
TOML_1 = 'name = "youth focus"\n[weights]\nviolence = 2\n'
TOML_2 = 'name = "youth focus"\n[weights]\nviolence = 3\n'


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "work" / "saved.db"


PG_URL = os.environ.get("PLACEBASED_TEST_PG_URL")  # set by .ci/run, which starts a local PostgreSQL


def _fresh_postgres() -> str:
    """The test PostgreSQL database emptied of placebased's tables (skips without a server, except on CI)."""
    if not PG_URL:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but PLACEBASED_TEST_PG_URL is not set: .ci/run must start PostgreSQL")
        pytest.skip("no PostgreSQL server (set PLACEBASED_TEST_PG_URL)")
    import sqlalchemy as sa

    from placebased.io import store as store_module

    engine = sa.create_engine(PG_URL)
    with engine.begin() as conn:
        store_module._metadata.drop_all(conn)
    engine.dispose()
    return PG_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, db):
    s = Store(db) if request.param == "sqlite" else Store(_fresh_postgres())
    yield s
    s.close()


def _child(code: str, db: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), str(db)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)


# ---------------------------------------------------------------------------------------------
# round trips and versions


def test_scenario_round_trip_and_versions(store):
    assert store.save_scenario("youth focus", TOML_1, author="Sam") == 1
    assert store.save_scenario("youth focus", TOML_2, author="Ali", based_on=1) == 2
    latest = store.load_scenario("youth focus")
    assert (latest.version, latest.author, latest.toml_text, latest.based_on) == (2, "Ali", TOML_2, 1)
    assert latest.parsed()["weights"]["violence"] == 3
    first = store.load_scenario("youth focus", version=1)
    assert first.toml_text == TOML_1 and first.author == "Sam"
    h = store.history("scenario", "youth focus")
    assert h["version"].tolist() == [1, 2] and h["author"].tolist() == ["Sam", "Ali"]
    assert h["created_at"].is_monotonic_increasing
    assert store.list("scenario")[["name", "version", "versions"]].values.tolist() == [["youth focus", 2, 2]]
    # identical text adds no version
    assert store.save_scenario("youth focus", TOML_2, author="Ali", based_on=2) == 2
    assert len(store.history("scenario", "youth focus")) == 2


def test_selection_round_trip_keeps_order_and_text(store):
    areas = {"E01027001": "top 10% score <b>and</b> hot spot", "E01026950": "café & youth club closed",
             "E01026900": None}
    v = store.save_selection("Wellingborough pilot", areas, author="Priya")
    got = store.load_selection("Wellingborough pilot")
    assert v == 1 and got.codes == list(areas)
    assert got.areas["E01027001"] == areas["E01027001"]  # stored as typed; escaped only when shown
    assert got.areas["E01026950"] == "café & youth club closed" and got.areas["E01026900"] == ""
    assert store.history("selection", "Wellingborough pilot")["size"].tolist() == [3]
    assert store.save_selection("codes only", ["E01", "E02"], author="P") == 1
    assert store.load_selection("codes only").areas == {"E01": "", "E02": ""}


def test_comments(store):
    a = store.add_comment("E01027001", "The park is <i>unlit</i> after 6pm", author="Resident 1", session="ws-1")
    b = store.add_comment("E01026950", "Youth club closed in 2024", author="Youth worker")
    c = store.comments()
    assert c["id"].tolist() == [a, b] and list(c.columns) == ["id", "area_code", "text", "author", "session",
                                                               "created_at"]
    assert store.comments("E01027001")["text"].tolist() == ["The park is <i>unlit</i> after 6pm"]
    assert store.comments(session="ws-1")["author"].tolist() == ["Resident 1"]
    assert store.comments("nowhere").empty
    with pytest.raises(DataError, match="empty"):
        store.add_comment("E01027001", "   ", author="x")
    with pytest.raises(DataError, match="author name is empty"):
        store.add_comment("E01027001", "hi", author="")


def test_export_import_round_trip(store, tmp_path):
    store.save_scenario("s", TOML_1, "A")
    store.save_scenario("s", TOML_2, "B", based_on=1)
    store.save_selection("sel", {"E1": "why ✓", "E2": "because"}, "C")
    store.add_comment("E1", "comment \"quoted\"", "D", session="w")
    store.add_comment("E2", "no session", "E")
    text = store.export_json()
    other = Store(tmp_path / "other.db")
    assert other.import_json(text) == {"versions": 3, "comments": 2, "skipped": 0}
    strip = lambda t: {k: v for k, v in json.loads(t).items() if k != "exported_at"}  # noqa: E731
    assert strip(other.export_json()) == strip(text)
    assert other.load_scenario("s", 1).toml_text == TOML_1 and other.load_selection("sel").areas["E1"] == "why ✓"
    # importing again adds nothing
    assert other.import_json(text) == {"versions": 0, "comments": 0, "skipped": 5}
    # import continues the history: a later version from the first store is added after the earlier ones
    store.save_scenario("s", 'x = 3\n', "B", based_on=2)
    assert other.import_json(store.export_json())["versions"] == 1
    assert other.load_scenario("s").version == 3
    other.close()


def test_import_conflict_is_all_or_nothing(store, tmp_path):
    store.save_scenario("s", TOML_1, "A")
    store.save_selection("new", {"E1": ""}, "A")
    other = Store(tmp_path / "other.db")
    other.save_scenario("s", 'different = true\n', "Z")
    with pytest.raises(ConflictError, match="version 1 already exists here"):
        other.import_json(store.export_json())
    assert other.list("selection").empty  # the selection before the clash was rolled back too
    other.close()


@pytest.mark.parametrize("text, match", [
    ("not json", "not a JSON file"),
    ('{"format": "other"}', "not a placebased saved-work export"),
    ('{"format": "placebased-saved-work", "versions": [{"kind": "x"}]}', "version item 1: kind 'x'"),
    ('{"format": "placebased-saved-work", "versions": [{"kind": "scenario", "name": "a", "version": 1, '
     '"author": "a", "created_at": "t", "toml": "= bad"}]}', "not valid TOML"),
])
def test_import_rejects_bad_files(store, text, match):
    with pytest.raises(PlaceBasedError, match=match):
        store.import_json(text)


# ---------------------------------------------------------------------------------------------
# validation and errors


def test_conflicts_and_bad_input(store):
    store.save_scenario("s", TOML_1, "A")
    with pytest.raises(ConflictError, match="already exists") as e:
        store.save_scenario("s", TOML_2, "B")
    assert "\n" not in str(e.value) and isinstance(e.value, PlaceBasedError)
    store.save_scenario("s", TOML_2, "A", based_on=1)
    with pytest.raises(ConflictError, match=r"changed by 'A'.*after you loaded version 1"):
        store.save_scenario("s", 'x = 1\n', "B", based_on=1)
    assert store.save_scenario("s", 'x = 1\n', "B", based_on=1, force=True) == 3  # explicit, still appended
    assert store.load_scenario("s", 2).toml_text == TOML_2
    with pytest.raises(DataError, match="no saved versions"):
        store.save_scenario("fresh", TOML_1, "A", based_on=4)
    with pytest.raises(ConfigError, match="not valid TOML"):
        store.save_scenario("bad", "weights = [1,", "A")
    with pytest.raises(DataError, match=r"no saved scenario 'nope'; saved scenarios: 's'"):
        store.load_scenario("nope")
    with pytest.raises(DataError, match="version 9"):
        store.load_scenario("s", version=9)
    with pytest.raises(DataError, match="no saved selection"):
        store.history("selection", "nope")
    with pytest.raises(ConfigError, match="choose one of: scenario, selection"):
        store.list("comment")
    with pytest.raises(DataError, match="version number"):
        store.save_scenario("s", TOML_1, "A", based_on="3")


def test_paths_urls_and_env(tmp_path, monkeypatch):
    monkeypatch.setenv("PLACEBASED_DB", str(tmp_path / "env" / "pb.db"))
    assert default_db() == tmp_path / "env" / "pb.db"
    s = Store()
    s.save_scenario("a", TOML_1, "A")
    assert (tmp_path / "env" / "pb.db").exists()
    s.close()
    u = Store(f"sqlite:///{tmp_path / 'env' / 'pb.db'}")  # the same file through a SQLAlchemy URL
    assert u.load_scenario("a").toml_text == TOML_1
    u.close()
    monkeypatch.delenv("PLACEBASED_DB")
    assert default_db() == Path("~/.placebased/placebased.db").expanduser()
    m = Store(":memory:")
    m.save_selection("x", {"E1": "r"}, "A")
    assert m.load_selection("x").areas == {"E1": "r"}


def test_not_a_database(tmp_path):
    bad = tmp_path / "crimes.csv"
    bad.write_text("Crime ID,Month\n" * 500)
    with pytest.raises(DataError, match="cannot use the saved-work database"):
        Store(bad)
    with pytest.raises(DataError, match="is a folder"):
        Store(tmp_path)


# ---------------------------------------------------------------------------------------------
# nothing lost: a real SIGKILL in the middle of a save


KILL_IN_TRANSACTION = """
    import json, sys, time
    from placebased.io.store import Store
    s = Store(sys.argv[1])
    def pause():
        print("IN_TRANSACTION", flush=True)
        time.sleep(120)
    s._before_commit = pause
    reason = "x" * 200
    versions = [{"kind": "scenario", "name": "plan", "version": 2, "author": "killer", "created_at": "t",
                 "toml": "v = 2\\n"}]
    for i in range(120):
        versions.append({"kind": "selection", "name": f"bulk {i}", "version": 1, "author": "killer",
                         "created_at": "t", "areas": {f"E{i:04d}{j:05d}": reason for j in range(1000)}})
    doc = {"format": "placebased-saved-work", "schema_version": 1, "versions": versions, "comments": []}
    s.import_json(json.dumps(doc))
    print("COMMITTED", flush=True)
"""


def test_sigkill_mid_transaction_keeps_last_good_state(db):
    s = Store(db)
    s.save_scenario("plan", "v = 1\n", "A")
    s.save_selection("targets", {"E1": "good"}, "A")
    s.close()
    child = _child(KILL_IN_TRANSACTION, db)
    try:
        line = child.stdout.readline()  # blocks until the child is inside its transaction
        assert line.strip() == "IN_TRANSACTION", child.stderr.read()
        wal = Path(str(db) + "-wal")
        assert wal.stat().st_size > 5_000_000  # ~25 MB of uncommitted pages already written to the WAL
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=20) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
        child.stderr.close()
    after = Store(db)
    with after.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    plan = after.load_scenario("plan")
    assert (plan.version, plan.toml_text, plan.author) == (1, "v = 1\n", "A")
    assert after.list("selection")["name"].tolist() == ["targets"]
    assert after.save_scenario("plan", "v = 3\n", "B", based_on=1) == 2  # and it keeps working
    after.close()


KILL_LOOP = """
    import hashlib, sys
    from placebased.io.store import Store
    s = Store(sys.argv[1])
    v = s.load_scenario("loop").version
    while True:
        payload = "x" * (1000 * (v % 50 + 1))
        text = f'n = {v + 1}\\ndigest = "{hashlib.sha256(payload.encode()).hexdigest()}"\\npad = "{payload}"\\n'
        v = s.save_scenario("loop", text, "loop", based_on=v)
        if v == 3:
            print("RUNNING", flush=True)
"""


def test_sigkill_at_a_random_moment_in_a_loop_of_saves(db):
    s = Store(db)
    s.save_scenario("loop", 'n = 1\ndigest = ""\npad = ""\n', "A")
    s.close()
    child = _child(KILL_LOOP, db)
    try:
        assert child.stdout.readline().strip() == "RUNNING", child.stderr.read()
        time.sleep(0.4)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=20)
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
        child.stderr.close()
    after = Store(db)
    h = after.history("scenario", "loop")
    assert h["version"].tolist() == list(range(1, len(h) + 1)) and len(h) > 3
    for v in h["version"].tolist()[1:]:  # every committed version is whole
        d = after.load_scenario("loop", v).parsed()
        assert d["n"] == v and hashlib.sha256(d["pad"].encode()).hexdigest() == d["digest"]
    after.close()


# ---------------------------------------------------------------------------------------------
# concurrent sessions


def test_two_threads_saving_from_the_same_version(db):
    a, b = Store(db), Store(db)  # two sessions, two connection pools
    a.save_scenario("shared", TOML_1, "A")
    base = a.load_scenario("shared").version
    results: dict[str, object] = {}
    inside = threading.Event()

    def slow_commit():  # A holds its write transaction open while B tries to save
        inside.set()
        time.sleep(0.5)

    a._before_commit = slow_commit

    def save(store, who, text):
        try:
            results[who] = store.save_scenario("shared", text, who, based_on=base)
        except ConflictError as e:
            results[who] = e

    ta = threading.Thread(target=save, args=(a, "A", TOML_2))
    ta.start()
    assert inside.wait(10)
    tb = threading.Thread(target=save, args=(b, "B", 'mine = "B"\n'))
    tb.start()
    ta.join(20)
    tb.join(20)
    assert results["A"] == 2
    assert isinstance(results["B"], ConflictError) and "changed by 'A'" in str(results["B"])
    assert b.load_scenario("shared").toml_text == TOML_2
    assert b.history("scenario", "shared")["version"].tolist() == [1, 2]
    a.close()
    b.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_many_threads_race_one_winner_per_round(db, backend):
    target = db if backend == "sqlite" else _fresh_postgres()
    stores = [Store(target) for _ in range(6)]
    stores[0].save_selection("race", {"E0": "start"}, "S")
    for rnd in range(5):
        base = stores[0].load_selection("race").version
        barrier = threading.Barrier(len(stores))
        out: list = []

        def go(i, base=base, barrier=barrier, out=out, rnd=rnd):
            barrier.wait()
            try:
                out.append(stores[i].save_selection("race", {f"E{rnd}": f"by {i}"}, f"user {i}", based_on=base))
            except ConflictError:
                out.append("conflict")

        threads = [threading.Thread(target=go, args=(i,)) for i in range(len(stores))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(out, key=str) == sorted([base + 1] + ["conflict"] * (len(stores) - 1), key=str)
    assert stores[0].history("selection", "race")["version"].tolist() == list(range(1, 7))
    for s in stores:
        s.close()


RACE_PROCESS = """
    import sys, time
    from placebased.io.store import Store, ConflictError
    s = Store(sys.argv[1])
    start = float(sys.argv[2])
    while time.time() < start:
        time.sleep(0.001)
    try:
        print("ok", s.save_scenario("proc", f'who = "{sys.argv[3]}"\\n', sys.argv[3], based_on=1), flush=True)
    except ConflictError as e:
        print("conflict", e, flush=True)
"""


def test_processes_saving_at_once_do_not_overwrite(db):
    s = Store(db)
    s.save_scenario("proc", 'who = "first"\n', "first")
    start = time.time() + 3.0
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    kids = [subprocess.Popen([sys.executable, "-c", textwrap.dedent(RACE_PROCESS), str(db), str(start), f"p{i}"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
            for i in range(4)]
    outs = [k.communicate(timeout=60) for k in kids]
    lines = [o[0].strip() for o in outs]
    assert all(k.returncode == 0 for k in kids), [o[1] for o in outs]
    assert sum(line == "ok 2" for line in lines) == 1, lines
    assert sum(line.startswith("conflict") for line in lines) == 3, lines
    h = s.history("scenario", "proc")
    assert h["version"].tolist() == [1, 2]
    winner = s.load_scenario("proc")
    assert winner.parsed()["who"] == winner.author
    s.close()


# ---------------------------------------------------------------------------------------------
# a database URL is a URL: never a local file, an unreachable server is one line, no password shown

UNREACHABLE = "postgresql+psycopg://u:s3cr%40tpw@127.0.0.1:1/x"  # port 1 refuses at once; password "s3cr@tpw"


def _assert_no_password(text: str) -> None:
    assert "s3cr" not in text and "tpw" not in text, text


def test_url_in_env_stays_a_url(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PLACEBASED_DB", UNREACHABLE)
    assert default_db() == UNREACHABLE
    with pytest.raises(DataError) as err:
        Store()
    msg = str(err.value)
    assert msg.startswith("database postgresql+psycopg://u:***@127.0.0.1:1/x (password hidden): cannot connect (")
    assert "check PLACEBASED_DB" in msg and "\n" not in msg
    _assert_no_password(msg)
    assert not list(tmp_path.iterdir())  # nothing created locally


def test_unreachable_url_given_directly(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError, match=r"cannot connect .*check --db") as err:
        Store(UNREACHABLE)
    _assert_no_password(str(err.value))
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("url", ["postgresql+psycopg://u:s3cr%40tpw@127.0.0.1:notaport/x",
                                 "nosuchdb+driver://u:s3cr%40tpw@127.0.0.1/x"])
def test_bad_urls_are_config_errors_without_password(tmp_path, monkeypatch, url):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as err:
        Store(url)
    _assert_no_password(str(err.value))
    assert not list(tmp_path.iterdir())


def test_cli_unreachable_database_is_one_line(tmp_path):
    env = {**os.environ, "PLACEBASED_DB": UNREACHABLE}
    for args in (["--list"], ["--export", "out.json"]):
        res = subprocess.run([sys.executable, "-m", "placebased.cli", "saved", *args], capture_output=True,
                             text=True, cwd=tmp_path, env=env)
        lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
        assert res.returncode == 2 and len(lines) == 1 and "Traceback" not in res.stderr
        assert lines[0].startswith("error: database postgresql+psycopg://u:***@127.0.0.1:1/x (password hidden): "
                                   "cannot connect (")
        _assert_no_password(res.stderr + res.stdout)
    assert not list(tmp_path.iterdir())


def test_wrong_password_on_a_real_server(tmp_path, monkeypatch):
    import sqlalchemy as sa

    url = sa.engine.make_url(_fresh_postgres()).set(password="s3cr@tpw-wrong")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError, match=r"\(password hidden\): cannot connect \(") as err:
        Store(url.render_as_string(hide_password=False))
    _assert_no_password(str(err.value))
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("page", ["workshop", "priority"])
def test_app_pages_stay_alive_without_the_database(page, monkeypatch):
    """An unreachable PLACEBASED_DB: the page runs, says saved work is unavailable, and disables saving."""
    from streamlit.testing.v1 import AppTest

    import appcache

    monkeypatch.setenv("PLACEBASED_DB", UNREACHABLE)
    appcache.c_store.clear()
    appcache._store_failure.clear()
    try:
        path = REPO / ("views/workshop.py" if page == "workshop" else "app.py")
        at = AppTest.from_file(str(path), default_timeout=300)
        at.run()
        assert not at.exception, at.exception
        warnings = [w.value for w in at.warning]
        assert any("Saved work is unavailable" in w and "cannot connect" in w for w in warnings), warnings
        _assert_no_password(" ".join(warnings))
        if page == "workshop":
            saves = [b for b in at.button if b.label == "Save comment"]
            assert saves and all(b.disabled for b in saves)
        else:
            assert not [b for b in at.button if b.label in ("Save selection", "Save scenario")]
            assert any(b.label == "Download ranked table (CSV)" for b in at.get("download_button"))
    finally:
        appcache.c_store.clear()
        appcache._store_failure.clear()

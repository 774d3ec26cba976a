"""Roles, permissions, how the app is served, and the export log (issue 18).

Edge cases: an exact e-mail beating its domain, case in e-mails and domains, an unquoted dotted key, an
unknown role, a domain written with "@", a listed-twice e-mail, a missing roles file (named or not),
IPv6 and "localhost" loopback addresses, "" (all interfaces), the proxy setting from the environment and
from the file. AppTest seeds ``st.user`` (``AppTest.user``) and ``st.secrets`` (``[auth]``), so the pages'
own checks are tested for every role, including a page file opened directly.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from test_store import _fresh_postgres  # the same empty PostgreSQL test database

from placebased import access
from placebased.access import AccessDeniedError, Identity, parse_roles, permissions, require, serving_mode
from placebased.errors import ConfigError, DataError
from placebased.io.store import Store

ROOT = Path(__file__).resolve().parent.parent
ROLES = """
[emails]
"Ann@Police.example" = "analyst"
"room@council.example" = "workshop"
[domains]
"council.example" = "partner"
"@police.example" = "partner"
"""


# ---------------------------------------------------------------------------------------------- roles file

def test_exact_email_beats_domain_and_case_is_ignored():
    r = parse_roles(ROLES)
    assert r.role_for("ann@police.example") == "analyst"
    assert r.role_for("ANN@POLICE.EXAMPLE ") == "analyst"
    assert r.role_for("bob@police.example") == "partner"
    assert r.role_for("room@council.example") == "workshop"
    assert r.role_for("bob@Council.Example") == "partner"
    assert r.role_for("bob@sub.council.example") is None  # domains match exactly, not their subdomains
    assert r.role_for("eve@elsewhere.org") is None
    assert r.role_for("") is None and r.role_for(None) is None and r.role_for("no-at-sign") is None


@pytest.mark.parametrize(("text", "match"), [
    ('[emails]\n"a@b.org" = "admin"\n', "role 'admin'"),
    ('[emails]\nsam.jones@x.org = "analyst"\n', "TOML|quoted"),
    ('[emails]\n"sam" = "analyst"\n', "not an e-mail address"),
    ('[domains]\n"a@b.org" = "partner"\n', "not an e-mail domain"),
    ('[domains]\n"localhost" = "partner"\n', "not an e-mail domain"),
    ('[emails]\n"A@b.org" = "analyst"\n"a@B.org" = "partner"\n', "listed twice"),
    ('[people]\n"a@b.org" = "analyst"\n', r"unknown section \[people\]"),
    ('[deploy]\ntrust_proxy = "yes"\n', "true or false"),
    ('[deploy]\nproxy_role = "boss"\n', "not a role"),
    ('[deploy]\nopen = true\n', "unknown key 'open'"),
    ('[emails\n', "not valid TOML"),
])
def test_bad_roles_files_are_one_line_errors(text, match):
    with pytest.raises(ConfigError, match=match) as e:
        parse_roles(text, source="roles.toml")
    assert str(e.value).startswith("roles.toml: ") and "\n" not in str(e.value)


def test_roles_file_from_env_and_default(tmp_path, monkeypatch):
    f = tmp_path / "roles.toml"
    f.write_text(ROLES, encoding="utf-8")
    monkeypatch.setenv(access.ROLES_ENV, str(f))
    assert access.load_roles().role_for("ann@police.example") == "analyst"
    monkeypatch.setenv(access.ROLES_ENV, str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match="missing.toml: roles file not found"):
        access.load_roles()
    monkeypatch.delenv(access.ROLES_ENV)
    monkeypatch.chdir(tmp_path)  # no .streamlit/roles.toml here: nobody has a role, no error
    assert access.load_roles() == access.RoleMap()


def test_shipped_example_parses():
    r = access.load_roles(ROOT / ".streamlit" / "roles.example.toml")
    assert r.role_for("sam.jones@northants.police.uk") == "analyst"
    assert r.role_for("someone@northants.police.uk") == "partner"
    assert r.trust_proxy is False


# ---------------------------------------------------------------------------------------------- permissions

def test_permissions_per_role():
    a, p, w = permissions("analyst"), permissions("partner"), permissions("workshop")
    assert a.points and a.exports and a.export_log and a.pages == frozenset(access.PAGES)
    assert not p.points and not p.exports and not p.export_log
    assert p.counts and p.scores and p.provision and p.profiles
    assert p.pages == {"priority", "workshop", "needs", "evaluate"}
    assert w.pages == {"workshop"} and not (w.points or w.exports or w.scores or w.counts)
    assert permissions(None) is None
    with pytest.raises(ConfigError, match="unknown role"):
        permissions("admin")


def test_require_refuses_with_a_clear_message():
    partner = access.signed_in_identity("Bob@Council.example", parse_roles(ROLES))
    assert partner.role == "partner" and partner.author == "bob@council.example"
    require(partner, "scores")
    require(partner, "page:needs")
    with pytest.raises(AccessDeniedError, match=r"bob@council.example \(partner\) may not see points"):
        require(partner, "points")
    with pytest.raises(AccessDeniedError, match="exports"):
        require(partner, "exports")
    with pytest.raises(AccessDeniedError, match="the exports page"):
        require(partner, "page:exports")
    nobody = access.signed_in_identity("eve@x.org", parse_roles(ROLES))
    with pytest.raises(AccessDeniedError, match="eve@x.org has no role"):
        require(nobody, "page:workshop")
    with pytest.raises(ConfigError, match="unknown capability"):
        require(partner, "everything")


def test_local_user_is_an_analyst_without_a_name():
    me = access.local_identity()
    assert me.role == "analyst" and me.author is None and me.who == "local user"
    assert access.allowed(me, "points") and access.allowed(me, "page:exports")


# ---------------------------------------------------------------------------------------------- serving

@pytest.mark.parametrize(("address", "loop"), [
    ("127.0.0.1", True), ("127.0.1.1", True), ("localhost", True), ("::1", True), ("[::1]", True),
    ("", False), (None, False), ("0.0.0.0", False), ("::", False), ("192.168.1.20", False),
    ("svd-map.council.internal", False)])
def test_loopback(address, loop):
    assert access.is_loopback(address) is loop


def test_serving_modes():
    assert serving_mode("127.0.0.1", auth_configured=False, trust_proxy=False) == "local"
    assert serving_mode("", auth_configured=False, trust_proxy=False) == "refused"
    assert serving_mode("0.0.0.0", auth_configured=False, trust_proxy=True) == "proxy"
    assert serving_mode("0.0.0.0", auth_configured=True, trust_proxy=False) == "signin"
    assert serving_mode("127.0.0.1", auth_configured=True, trust_proxy=False) == "signin"
    assert access.trust_proxy({"PLACEBASED_TRUST_PROXY": "1"}) and not access.trust_proxy({})
    assert access.trust_proxy({}, parse_roles("[deploy]\ntrust_proxy = true\n"))
    assert "PLACEBASED_TRUST_PROXY=1" in access.refusal_message("")
    assert access.status_line(access.local_identity(), "127.0.0.1").startswith(
        "Local only: this app listens on 127.0.0.1")
    assert access.status_line(Identity("a@b.org", "partner", True, "signin")) == "Signed in as a@b.org (partner)."


def test_access_module_stays_self_contained():
    """access.py imports nothing from placebased but errors, and no streamlit (the CLI and tests use it)."""
    import ast

    tree = ast.parse((ROOT / "placebased" / "access.py").read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add(("." * node.level) + (node.module or ""))
    assert not any(n.startswith("streamlit") for n in names)
    assert {n for n in names if n.startswith(".") or n.startswith("placebased")} == {"placebased.errors"}


# ---------------------------------------------------------------------------------------------- export log

@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    s = Store(tmp_path / "saved.db") if request.param == "sqlite" else Store(_fresh_postgres())
    yield s
    s.close()


def test_export_log_round_trip(store):
    assert store.exports().empty
    i1 = store.record_export("ann@police.example", "CSV", "priority_scores.csv",
                             {"Scenario": {"name": "youth <b>focus</b>"}, "areas": ["E01027153"]})
    i2 = store.record_export("local user", "pdf", "profile_E01027153.pdf", None)
    log = store.exports()
    assert list(log.columns) == ["id", "who", "created_at", "kind", "file_name", "settings"]
    assert log["id"].tolist() == [i2, i1]  # newest first
    first = log.iloc[1]
    assert first.who == "ann@police.example" and first.kind == "csv" and first.file_name == "priority_scores.csv"
    import json

    assert json.loads(first.settings) == {"Scenario": {"name": "youth <b>focus</b>"}, "areas": ["E01027153"]}
    assert json.loads(log.iloc[0].settings) == {}
    assert first.created_at < log.iloc[0].created_at
    assert len(store.exports(limit=1)) == 1


def test_export_log_bad_input(store):
    with pytest.raises(DataError, match="export user is empty"):
        store.record_export(" ", "csv", "a.csv")
    with pytest.raises(DataError, match="export file name is 500 characters long"):
        store.record_export("a@b.org", "csv", "x" * 500)


# ---------------------------------------------------------------------------------------------- app (AppTest)

AUTH = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "c" * 40, "client_id": "placebased",
        "client_secret": "s", "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}


def _app(tmp_path, monkeypatch, email: str | None, script: str = "app.py") -> AppTest:
    roles = tmp_path / "roles.toml"
    roles.write_text(ROLES, encoding="utf-8")
    monkeypatch.setenv(access.ROLES_ENV, str(roles))
    monkeypatch.setenv("PLACEBASED_DB", str(tmp_path / "saved.db"))
    from appcache import c_store

    c_store.clear()  # the store is cached per process: use this test's database
    at = AppTest.from_file(str(ROOT / script), default_timeout=600)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": email is not None, **({"email": email} if email else {})}
    return at.run()


def _downloads(at) -> list:
    return list(at.get("download_button"))


def test_app_not_signed_in_shows_only_sign_in(tmp_path, monkeypatch):
    at = _app(tmp_path, monkeypatch, None)
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.dataframe and not _downloads(at)


def test_app_unknown_user_gets_a_message_only(tmp_path, monkeypatch):
    at = _app(tmp_path, monkeypatch, "eve@elsewhere.org")
    assert not at.exception
    assert any("has no role" in e.value for e in at.error)
    assert not at.dataframe and not _downloads(at) and [b.label for b in at.button] == ["Sign out"]


def test_app_partner_sees_scores_without_points_or_downloads(tmp_path, monkeypatch):
    at = _app(tmp_path, monkeypatch, "bob@council.example")
    assert not at.exception
    assert at.dataframe  # ranked areas
    assert not _downloads(at)
    labels = [c.label for c in at.checkbox]
    assert not any(lbl.startswith("Incident points") for lbl in labels)
    assert "Profile PDF of this area" not in [b.label for b in at.button]
    assert not any(t.label.startswith("Your name") for t in at.text_input)  # saves carry the account
    assert "Signed in as bob@council.example (partner)." in [t.value for t in at.sidebar.text]


def test_app_workshop_role_opens_the_workshop_page(tmp_path, monkeypatch):
    at = _app(tmp_path, monkeypatch, "room@council.example")
    assert not at.exception
    assert [t.value for t in at.title][:1] == ["Community workshop"]
    assert not _downloads(at)
    assert not any(t.label == "Your name" for t in at.text_input)


def test_app_analyst_has_points_and_downloads(tmp_path, monkeypatch):
    at = _app(tmp_path, monkeypatch, "ann@police.example")
    assert not at.exception
    assert any(c.label.startswith("Incident points") for c in at.checkbox)
    assert {d.proto.label for d in _downloads(at)} >= {"Download scenario (TOML)", "Download ranked table (CSV)"}


@pytest.mark.parametrize(("script", "email"), [
    ("views/priority.py", "room@council.example"), ("views/needs.py", "room@council.example"),
    ("views/evaluate.py", "room@council.example"), ("views/exports.py", "bob@council.example"),
    ("views/workshop.py", "eve@elsewhere.org")])
def test_page_files_refuse_on_their_own(tmp_path, monkeypatch, script, email):
    """A page opened directly (not through app.py's navigation) checks the role itself."""
    at = _app(tmp_path, monkeypatch, email, script)
    assert not at.exception
    assert any("may not see" in e.value or "has no role" in e.value for e in at.error)
    assert not at.dataframe and not _downloads(at) and not at.title


def test_app_refuses_data_on_a_network_address_without_sign_in(monkeypatch):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    import streamlit as st

    old = st.get_option("server.address")
    st.config.set_option("server.address", "0.0.0.0")
    try:
        monkeypatch.delenv(access.TRUST_PROXY_ENV, raising=False)
        at.run()
    finally:
        st.config.set_option("server.address", old)
    assert not at.exception
    assert any("shows no data" in e.value for e in at.error)
    assert not at.dataframe and not _downloads(at) and not at.title


def test_saves_and_comments_carry_the_signed_in_email(tmp_path, monkeypatch):
    at = _app(tmp_path, monkeypatch, "Bob@Council.example")
    next(b for b in at.button if b.label == "Save scenario").click().run()
    assert not at.exception
    store = Store(tmp_path / "saved.db")
    saved = store.list("scenario")
    assert saved["author"].tolist() == ["bob@council.example"]

    ws = _app(tmp_path, monkeypatch, "room@council.example")
    area = next(t for t in ws.text_area if t.label == "Your comment on this area")
    area.input("More lighting by the underpass")
    next(b for b in ws.button if b.label == "Save comment").click().run()
    assert not ws.exception
    comments = store.comments()
    assert comments[["text", "author"]].values.tolist() == [["More lighting by the underpass",
                                                             "room@council.example"]]
    store.close()


def test_download_callback_records_the_export(tmp_path, monkeypatch):
    """export_button's on_click records who, what and the settings (the browser test clicks a real one)."""
    import appauth

    monkeypatch.setenv("PLACEBASED_DB", str(tmp_path / "saved.db"))
    from appcache import c_store

    c_store.clear()
    appauth._log_export("ann@police.example", "csv", "priority_scores.csv",
                        appauth.settings_of(access.local_identity(), areas=("E01027153",)))
    rows = Store(tmp_path / "saved.db").exports()
    assert rows[["who", "kind", "file_name"]].values.tolist() == [["ann@police.example", "csv",
                                                                   "priority_scores.csv"]]
    import json

    assert json.loads(rows.settings[0]) == {"Identity": {"email": None, "role": "analyst", "signed_in": False,
                                                         "mode": "local"}, "areas": ["E01027153"]}
    c_store.clear()

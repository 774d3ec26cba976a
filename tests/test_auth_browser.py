"""Sign-in end to end (issue 18): a local OpenID Connect provider, the real app, Debian's Chromium.

The identity provider is the PyPI package ``oidc-provider-mock`` (requirements-test.txt), started here on
127.0.0.1 on a free port: its authorisation page asks for a subject, and the subject typed becomes the
``email`` claim. Nothing leaves the machine. The app runs with a temporary ``secrets.toml`` (``[auth]``
pointing at that provider, ``--secrets.files``), a temporary roles file and a temporary store.

For each role the test signs in through the provider's page and checks what is shown and what is refused:
the page list, incident points, download buttons, direct URLs of the workshop, needs, evaluate and export-log
pages; an unknown user sees a message only. A second test starts the app exactly as the README does (the
repository's config, no address flag) and checks that it listens on 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from browser_util import ARTIFACTS, ROOT, browser_page, free_port, require_browser, stop_process

from placebased.io.store import Store

PRIORITY = "Target selection (0)"  # shown once the priority page has drawn
START_TIMEOUT = 120  # seconds, bounded waits for a server to answer
ROLES = """
[emails]
"ann@police.example" = "analyst"
"room@council.example" = "workshop"
[domains]
"council.example" = "partner"
"""


def _wait_for(url: str, proc: subprocess.Popen, what: str) -> None:
    deadline = time.time() + START_TIMEOUT
    while time.time() < deadline:
        if proc.poll() is not None:
            out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
            raise RuntimeError(f"{what} exited: {out}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{what} did not answer at {url}")


@contextlib.contextmanager
def _process(cmd: list[str], health: str, what: str, env: dict | None = None):
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env={**os.environ, **(env or {})})
    try:
        _wait_for(health, proc, what)
        yield proc
    finally:
        stop_process(proc)


@contextlib.contextmanager
def oidc_provider():
    """The local OIDC provider's issuer URL: .ci/run's (``PLACEBASED_TEST_OIDC_ISSUER``), else
    oidc-provider-mock started here on 127.0.0.1 (skipped without it, except under CI=true)."""
    issuer = os.environ.get("PLACEBASED_TEST_OIDC_ISSUER", "").rstrip("/")
    if issuer:
        yield issuer
        return
    try:
        import oidc_provider_mock  # noqa: F401
    except ImportError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but oidc-provider-mock is missing: pip install -r requirements-test.txt")
        pytest.skip("oidc-provider-mock not installed (pip install -r requirements-test.txt)")
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    with _process([sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port)],
                  issuer + "/.well-known/openid-configuration", "oidc-provider-mock"):
        yield issuer


@contextlib.contextmanager
def signed_in_app(tmp_path: Path, issuer: str):
    """The app with [auth] pointing at ``issuer``, a roles file and an empty store; yields its URL."""
    port = free_port()
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{"k" * 48}"\n'
        'client_id = "placebased-test"\n'
        'client_secret = "not-a-secret"\n'
        f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n', encoding="utf-8")
    roles = tmp_path / "roles.toml"
    roles.write_text(ROLES, encoding="utf-8")
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.address",
           "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--secrets.files", str(secrets)]
    env = {"PLACEBASED_ROLES": str(roles), "PLACEBASED_DB": str(tmp_path / "saved.db")}
    url = f"http://127.0.0.1:{port}"
    with _process(cmd, url + "/_stcore/health", "streamlit", env):
        yield url


def _sign_in(page, url: str, email: str) -> None:
    page.goto(url)
    page.get_by_role("button", name="Sign in").click(timeout=60000)
    page.wait_for_selector("input[name=sub]", timeout=60000)  # the provider's authorisation page
    page.fill("input[name=sub]", email)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(url + "/**", timeout=60000)
    try:
        page.get_by_text(f"Signed in as {email}").first.wait_for(timeout=90000)
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "auth_browser_sign_in.png"))
        raise


def _open_expander(page, label: str) -> None:
    summaries = page.locator("[data-testid=stExpander] summary")
    summaries.first.wait_for(timeout=60000)
    for summary in summaries.all():  # the text is the icon's name, then the label
        if summary.inner_text().strip().splitlines()[-1].strip() == label:
            summary.click()
            break
    else:
        raise AssertionError(f"no expander {label!r}")
    page.wait_for_timeout(1000)


def _nav(page) -> list[str]:
    return [t.strip() for t in page.locator("[data-testid=stSidebarNav] a").all_inner_texts()]


def _downloads(page) -> int:
    return page.locator("[data-testid=stDownloadButton]").count()


def _open(page, url: str, marker: str) -> str:
    """Go to ``url``, wait until ``marker`` is shown and the run has finished; the main area's text."""
    page.goto(url)
    page.get_by_text(marker).first.wait_for(timeout=180000)
    with contextlib.suppress(Exception):
        page.wait_for_selector("[data-testid=stStatusWidget]", state="detached", timeout=120000)
    page.wait_for_timeout(1000)
    return page.locator("[data-testid=stMain]").inner_text()


@pytest.mark.browser
def test_each_role_sees_only_its_pages_and_exports(tmp_path):
    require_browser()
    with oidc_provider() as issuer, signed_in_app(tmp_path, issuer) as url, browser_page() as page:
        # not signed in: a sign-in button and nothing else
        main = _open(page, url, "Sign in")
        assert "Target selection" not in main and _downloads(page) == 0

        # analyst: every page, points offered, downloads present and recorded in the export log
        _sign_in(page, url, "ann@police.example")
        _open(page, url, PRIORITY)
        assert _nav(page) == ["Priority neighbourhoods", "Workshop", "Needs assessment", "Evaluate", "Export log"]
        _open_expander(page, "Map")
        assert page.get_by_text("Incident points (analyst view, clustered)").count() == 1
        page.get_by_role("button", name="Download ranked table (CSV)").wait_for(timeout=120000)  # the page's end
        assert _downloads(page) >= 2
        with page.expect_download(timeout=60000) as dl:
            page.get_by_role("button", name="Download scenario (TOML)").click()
        assert dl.value.suggested_filename == "scenario.toml"
        page.wait_for_timeout(3000)  # the on_click rerun records the export
        log = _open(page, url + "/exports", "Every download from this app")
        assert "Nothing has been exported yet" not in log
        page.locator("[data-testid=stDataFrame]").first.wait_for(timeout=30000)  # the log (a canvas grid)
        rows = Store(tmp_path / "saved.db").exports()
        assert rows[["who", "kind", "file_name"]].values.tolist() == [["ann@police.example", "toml", "scenario.toml"]]
        assert '"Scenario"' in rows.settings[0]
        page.context.clear_cookies()

        # partner: no export log, no points, no download buttons; direct URL of the log refused
        _sign_in(page, url, "bob@council.example")
        _open(page, url, PRIORITY)
        assert _nav(page) == ["Priority neighbourhoods", "Workshop", "Needs assessment", "Evaluate"]
        _open_expander(page, "Map")
        assert page.get_by_text("Incident points (analyst view, clustered)").count() == 0
        page.get_by_text("Data: police.uk (OGL v3.0)").wait_for(timeout=120000)  # the page's last line
        assert _downloads(page) == 0
        _open(page, url + "/needs", "Downloads are for analysts")
        assert _downloads(page) == 0
        log = _open(page, url + "/exports", PRIORITY)  # not a page for this role: the default page instead
        assert "Every download from this app" not in log and "scenario.toml" not in log and _downloads(page) == 0
        page.context.clear_cookies()

        # workshop: the workshop page only, wherever the URL points
        _sign_in(page, url, "room@council.example")
        for path in ("", "/workshop", "/priority", "/needs", "/evaluate", "/exports"):
            text = _open(page, url + path, "Community workshop")
            assert len(_nav(page)) <= 1, path  # one page: Streamlit shows no page list
            assert "Target selection" not in text and "Every download" not in text and "Did it work" not in text
            assert _downloads(page) == 0, path
            assert page.get_by_text("Incident points").count() == 0, path
        page.context.clear_cookies()

        # someone the roles file does not list: a message, no data, no page
        _sign_in(page, url, "eve@elsewhere.org")
        for path in ("", "/workshop", "/exports"):
            text = _open(page, url + path, "has no role")
            assert "Community workshop" not in text and "Target selection" not in text and _downloads(page) == 0


def _listening_addresses(port: int) -> set[str]:
    """Local addresses of sockets listening on ``port`` (from /proc/net/tcp and tcp6)."""
    found = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(name) as f:
            for line in f.read().splitlines()[1:]:
                parts = line.split()
                local, state = parts[1], parts[3]
                addr, p = local.rsplit(":", 1)
                if state == "0A" and int(p, 16) == port:
                    found.add(addr)
    return found


def _non_loopback_address() -> str | None:
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("10.255.255.255", 1))  # UDP connect sends nothing; it picks the outgoing interface
        ip = s.getsockname()[0]
        return None if ip.startswith("127.") or ip == "0.0.0.0" else ip
    return None


def test_default_start_listens_on_loopback_only(tmp_path):
    """``streamlit run app.py`` with the repository's config and no address flag: 127.0.0.1 only."""
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)]
    env = {"PLACEBASED_DB": str(tmp_path / "saved.db")}
    with _process(cmd, f"http://127.0.0.1:{port}/_stcore/health", "streamlit", env):
        addrs = _listening_addresses(port)
        assert addrs == {"0100007F"}, addrs  # 127.0.0.1 in /proc/net/tcp's byte order, nothing else
        other = _non_loopback_address()
        if other:
            with pytest.raises(OSError), socket.create_connection((other, port), timeout=3):
                pass
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=5) as r:
            assert r.status == 200

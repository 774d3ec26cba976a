"""Sign-in, roles and the export log for the app's pages (Streamlit side of :mod:`placebased.access`).

``app.py`` calls :func:`app_gate` (how the app is served, sign-in, the pages the role may see);
every page file calls :func:`gate` at its top (direct URL access); download buttons go through
:func:`export_button`, which refuses without the ``exports`` permission and records each download in
the store's export log. docs/deploy.md explains the settings.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from placebased import access
from placebased.errors import PlaceBasedError
from placebased.safety import escape_markdown


def auth_configured() -> bool:
    """Whether sign-in is configured: an ``[auth]`` section in ``.streamlit/secrets.toml``."""
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):  # no secrets file at all
        return False


@st.cache_resource(show_spinner=False, max_entries=4)
def _roles_cached(path: str, mtime: float | None, env_set: bool) -> access.RoleMap:  # noqa: ARG001 - cache key
    return access.load_roles(path if env_set else None)


def roles() -> access.RoleMap:
    """The roles file (re-read when it changes)."""
    p = access.roles_path()
    try:
        mtime = p.stat().st_mtime
    except OSError:
        mtime = None
    return _roles_cached(str(p), mtime, bool(os.environ.get(access.ROLES_ENV, "").strip()))


def server_address() -> str:
    return str(st.get_option("server.address") or "")


def current_user() -> access.Identity:
    """Who is using this session, with their role; mode ``refused`` when the app must show no data."""
    rm = roles()
    mode = access.serving_mode(server_address(), auth_configured=auth_configured(),
                               trust_proxy=access.trust_proxy(roles=rm))
    if mode == "local":
        return access.local_identity()
    if mode == "proxy":
        return access.Identity(email=None, role=rm.proxy_role, signed_in=False, mode="proxy")
    if mode == "refused":
        return access.Identity(email=None, role=None, signed_in=False, mode="refused")
    if not st.user.is_logged_in:
        return access.Identity(email=None, role=None, signed_in=False, mode="signin")
    if st.user.get("email_verified") is False:  # the provider says the address is not the user's own
        return access.Identity(email=st.user.get("email"), role=None, signed_in=True, mode="signin")
    return access.signed_in_identity(st.user.get("email"), rm)


def _stop(message: str, *, logout: bool = False) -> None:
    st.error(escape_markdown(message))
    if logout:
        st.button("Sign out", on_click=st.logout, key="pb_logout_refused")
    st.stop()


def _user_or_stop() -> access.Identity:
    try:
        user = current_user()
    except PlaceBasedError as exc:
        _stop(str(exc))
    if user.mode == "refused":
        _stop(access.refusal_message(server_address()))
    if user.mode == "signin" and not user.signed_in:
        st.title("placebased")
        st.info("Sign in with your organisation's account to continue.")
        st.button("Sign in", type="primary", on_click=st.login, key="pb_login")
        st.stop()
    if user.permissions is None:
        st.sidebar.text(access.status_line(user, server_address()))
        try:
            access.require(user, "page:workshop")
        except access.AccessDeniedError as exc:
            _stop(str(exc), logout=user.signed_in)
    return user


def app_gate() -> access.Identity:
    """In ``app.py``: show how the app is served, stop unless the user may see something, return the user."""
    user = _user_or_stop()
    st.sidebar.text(access.status_line(user, server_address()))  # plain text: e-mails shown as they are
    if user.signed_in:
        st.sidebar.button("Sign out", on_click=st.logout, key="pb_logout")
    return user


def allowed_pages(user: access.Identity) -> list[str]:
    """The page keys the user's role may open, in the app's order."""
    return [p for p in access.PAGES if access.allowed(user, f"page:{p}")]


def gate(page: str) -> access.Identity:
    """At the top of each page file: stop with a message unless the user may open ``page``."""
    user = _user_or_stop()
    try:
        access.require(user, f"page:{page}")
    except access.AccessDeniedError as exc:
        _stop(str(exc), logout=user.signed_in)
    return user


def can(user: access.Identity, capability: str) -> bool:
    return access.allowed(user, capability)


def _log_export(who: str, kind: str, file_name: str, settings: dict | None) -> None:
    from appcache import c_store

    try:
        c_store().record_export(who, kind, file_name, settings)
    except PlaceBasedError as exc:
        st.toast(f"This download was not recorded in the export log: {exc}", icon="⚠️")


def export_button(container, label: str, data, file_name: str, mime: str | None = None, *, user=None,
                  kind: str | None = None, settings: dict | None = None, **kwargs):
    """``container.download_button`` for users allowed to export (nothing otherwise; returns False), recording
    each download (who, when, kind, file name, settings) in the export log."""
    user = user or current_user()
    if not access.allowed(user, "exports"):
        return False
    kind = kind or Path(file_name).suffix.lstrip(".").lower() or "file"
    if callable(data):  # build the bytes only for users allowed to have them
        data = data()
    return container.download_button(label, data, file_name, mime, on_click=_log_export,
                                     args=(user.who, kind, file_name, settings or {}), **kwargs)


def settings_of(*parts, **extra) -> dict:
    """The settings recorded with an export: the frozen settings objects given (Sources, Filters,
    StatsSettings, Scenario, ...) by class name, plus ``extra``; values become JSON-friendly text or lists."""
    import dataclasses

    out: dict = {}
    for part in parts:
        if dataclasses.is_dataclass(part):
            out[type(part).__name__] = {f.name: _plain(getattr(part, f.name)) for f in dataclasses.fields(part)}
        elif part is not None:
            out[type(part).__name__] = _plain(part)
    out.update({k: _plain(v) for k, v in extra.items()})
    return out


def _plain(value):
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return str(value)

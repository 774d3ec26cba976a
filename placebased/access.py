"""Who may see what when the app is served to a team: roles, permissions and how the app is served.

No Streamlit here (the app's ``appauth.py`` reads ``st.user`` and the server address and calls this module);
every decision is a plain function the tests call directly. Self-contained: depends only on
:mod:`placebased.errors`.

Roles
-----
A TOML file (``PLACEBASED_ROLES``, default ``.streamlit/roles.toml``; see ``.streamlit/roles.example.toml``)
maps e-mail addresses and e-mail domains to one of three roles::

    [emails]
    "sam.jones@northants.police.uk" = "analyst"

    [domains]
    "northnorthants.gov.uk" = "partner"

    [deploy]
    trust_proxy = false      # true: served behind the partnership's own authenticating proxy, no sign-in here
    proxy_role = "partner"   # the role everyone gets in that case

An exact e-mail beats its domain; matching ignores case; anyone not listed has no role and sees only a
message. ``analyst`` sees everything, including incident points of non-sensitive categories, and may
export; ``partner`` sees aggregated counts, scores, provision and profiles on screen, no points and no
downloads; ``workshop`` sees the workshop page only. With no sign-in configured and the server on
127.0.0.1 (local use) the one local user is an analyst.

Examples
--------
>>> roles = parse_roles('[emails]\\n"Ann@Police.example" = "analyst"\\n[domains]\\n"police.example" = "partner"\\n')
>>> roles.role_for("ann@police.example"), roles.role_for("bob@police.example"), roles.role_for("eve@x.org")
('analyst', 'partner', None)
>>> permissions("partner").points, permissions("analyst").points, permissions("workshop").pages
(False, True, frozenset({'workshop'}))
>>> serving_mode("127.0.0.1", auth_configured=False, trust_proxy=False)
'local'
>>> serving_mode("0.0.0.0", auth_configured=False, trust_proxy=False)
'refused'
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from placebased.errors import ConfigError, PlaceBasedError, file_error

ROLES_ENV = "PLACEBASED_ROLES"
TRUST_PROXY_ENV = "PLACEBASED_TRUST_PROXY"
DEFAULT_ROLES_FILE = Path(".streamlit/roles.toml")
ROLES = ("analyst", "partner", "workshop")
#: every page of the app, by its key (the url path; "priority" is the default page at "/")
PAGES = ("priority", "workshop", "needs", "evaluate", "exports")
#: what a role may be asked for with :func:`require`
CAPABILITIES = ("points", "counts", "scores", "provision", "profiles", "exports", "export_log", "save", "comment")
MAX_EMAIL = 254

__all__ = ["AccessDeniedError", "Identity", "Permissions", "RoleMap", "load_roles", "parse_roles", "permissions",
           "require", "serving_mode", "is_loopback", "trust_proxy", "local_identity", "signed_in_identity",
           "status_line", "refusal_message"]


class AccessDeniedError(PlaceBasedError):
    """The user's role does not allow this page, layer or export (or the user has no role)."""


@dataclass(frozen=True)
class Permissions:
    """What one role may see and do. Pages are keys of :data:`PAGES`."""

    role: str
    pages: frozenset[str]
    points: bool = False  # incident points (non-sensitive categories only; sensitive ones are never drawn)
    counts: bool = False  # aggregated counts by area
    scores: bool = False  # priority scores, ranks, hot spots
    provision: bool = False  # provision sites, reach and gaps
    profiles: bool = False  # area detail and profiles on screen
    exports: bool = False  # download buttons (CSV, PDF, GeoJSON, HTML, ZIP, TOML, JSON)
    export_log: bool = False  # the log of who exported what
    save: bool = False  # save and load scenarios and selections
    comment: bool = True  # workshop comments

    def allows(self, capability: str) -> bool:
        if capability.startswith("page:"):
            return capability[5:] in self.pages
        if capability not in CAPABILITIES:
            raise ConfigError(f"unknown capability '{capability}'; one of: {', '.join(CAPABILITIES)} or page:NAME")
        return bool(getattr(self, capability))


_PERMISSIONS = {
    "analyst": Permissions("analyst", frozenset(PAGES), points=True, counts=True, scores=True, provision=True,
                           profiles=True, exports=True, export_log=True, save=True),
    "partner": Permissions("partner", frozenset({"priority", "workshop", "needs", "evaluate"}), counts=True,
                           scores=True, provision=True, profiles=True, save=True),
    "workshop": Permissions("workshop", frozenset({"workshop"})),
}


def permissions(role: str | None) -> Permissions | None:
    """The permissions of ``role`` (None for no role)."""
    if role is None:
        return None
    if role not in _PERMISSIONS:
        raise ConfigError(f"unknown role '{role}'; one of: {', '.join(ROLES)}")
    return _PERMISSIONS[role]


@dataclass(frozen=True)
class Identity:
    """The person using the app: ``email`` when signed in, ``role`` (None: no role), and how they got it."""

    email: str | None
    role: str | None
    signed_in: bool = False
    mode: str = "local"  # local | signin | proxy

    @property
    def permissions(self) -> Permissions | None:
        return permissions(self.role)

    @property
    def author(self) -> str | None:
        """The name recorded with saves, comments and exports: the e-mail when signed in, else None (ask)."""
        return self.email if self.signed_in else None

    @property
    def who(self) -> str:
        """A name for the export log even without sign-in."""
        return self.email or {"local": "local user", "proxy": "proxy user"}.get(self.mode, "unknown")


def local_identity() -> Identity:
    """The one user of an app listening on 127.0.0.1 with no sign-in configured: an analyst."""
    return Identity(email=None, role="analyst", signed_in=False, mode="local")


def signed_in_identity(email: str | None, roles: RoleMap) -> Identity:
    """A signed-in user with the role the roles file gives their e-mail (None when not listed)."""
    mail = _norm_email(email) if email else None
    return Identity(email=mail, role=roles.role_for(mail) if mail else None, signed_in=True, mode="signin")


def require(user: Identity | None, capability: str) -> Permissions:
    """Raise :class:`AccessDeniedError` unless ``user``'s role allows ``capability`` (e.g. ``"points"``,
    ``"exports"``, ``"page:workshop"``); return the permissions otherwise."""
    perms = None if user is None else user.permissions
    if perms is None:
        raise AccessDeniedError(f"{_who(user)} has no role in this app; ask the partnership's analyst to add you to "
                           "the roles file.")
    if not perms.allows(capability):
        what = f"the {capability[5:]} page" if capability.startswith("page:") else capability.replace("_", " ")
        raise AccessDeniedError(f"{_who(user)} ({perms.role}) may not see {what}; ask the partnership's analyst if "
                           "you need it.")
    return perms


def allowed(user: Identity | None, capability: str) -> bool:
    """Whether :func:`require` would pass."""
    try:
        require(user, capability)
    except AccessDeniedError:
        return False
    return True


def _who(user: Identity | None) -> str:
    return "This user" if user is None or not user.email else user.email


# -- roles file ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleMap:
    """E-mails and e-mail domains (lower case) -> role, plus the deploy settings of the roles file."""

    emails: Mapping[str, str] = field(default_factory=dict)
    domains: Mapping[str, str] = field(default_factory=dict)
    trust_proxy: bool = False
    proxy_role: str = "partner"
    source: str | None = None

    def role_for(self, email: str | None) -> str | None:
        """The role of ``email``: its exact entry, else its domain's, else None."""
        if not email or "@" not in email:
            return None
        mail = _norm_email(email)
        if mail in self.emails:
            return self.emails[mail]
        return self.domains.get(mail.rsplit("@", 1)[1])


def _norm_email(email: str) -> str:
    return str(email).strip().lower()


def roles_path(env: Mapping[str, str] | None = None) -> Path:
    """``PLACEBASED_ROLES`` or ``.streamlit/roles.toml`` (relative to the working directory)."""
    env = os.environ if env is None else env
    value = env.get(ROLES_ENV, "").strip()
    return Path(value).expanduser() if value else DEFAULT_ROLES_FILE


def load_roles(path: str | os.PathLike | None = None, *, env: Mapping[str, str] | None = None) -> RoleMap:
    """Read the roles file; a missing file is an empty map (nobody has a role) unless named explicitly."""
    env = os.environ if env is None else env
    explicit = path is not None or bool(env.get(ROLES_ENV, "").strip())
    p = Path(path) if path is not None else roles_path(env)
    if not p.exists():
        if explicit:
            raise file_error(p, "roles file not found", f"create it (see .streamlit/roles.example.toml) or unset "
                             f"{ROLES_ENV}", ConfigError)
        return RoleMap(source=None)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise file_error(p, f"cannot read the roles file ({type(e).__name__})", "check it is UTF-8 text and "
                         "readable", ConfigError) from None
    return parse_roles(text, source=str(p))


def parse_roles(text: str, *, source: str | None = None) -> RoleMap:
    """Parse a roles TOML text (see the module docstring); every problem is one :class:`ConfigError`."""
    where = source or "roles file"
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise file_error(where, f"not valid TOML ({e})", "fix the line named", ConfigError) from None
    unknown = sorted(set(doc) - {"emails", "domains", "deploy"})
    if unknown:
        raise file_error(where, f"unknown section [{unknown[0]}]", "use [emails], [domains] and [deploy]",
                         ConfigError)
    emails = _role_table(doc.get("emails", {}), "emails", where, domain=False)
    domains = _role_table(doc.get("domains", {}), "domains", where, domain=True)
    deploy = doc.get("deploy", {})
    if not isinstance(deploy, dict):
        raise file_error(where, "[deploy] must be a table", "write [deploy] on its own line", ConfigError)
    extra = sorted(set(deploy) - {"trust_proxy", "proxy_role"})
    if extra:
        raise file_error(where, f"[deploy] has an unknown key '{extra[0]}'", "use trust_proxy and proxy_role",
                         ConfigError)
    tp = deploy.get("trust_proxy", False)
    if not isinstance(tp, bool):
        raise file_error(where, "[deploy] trust_proxy must be true or false", "write trust_proxy = true",
                         ConfigError)
    pr = deploy.get("proxy_role", "partner")
    if pr not in ROLES:
        raise file_error(where, f"[deploy] proxy_role '{pr}' is not a role", f"use one of {', '.join(ROLES)}",
                         ConfigError)
    return RoleMap(emails=emails, domains=domains, trust_proxy=tp, proxy_role=pr, source=source)


def _role_table(table, name: str, where: str, *, domain: bool) -> dict[str, str]:
    if not isinstance(table, dict):
        raise file_error(where, f"[{name}] must be a table of \"key\" = \"role\" lines", f"write [{name}] on its "
                         "own line", ConfigError)
    out: dict[str, str] = {}
    for key, role in table.items():
        k = _norm_email(key)
        if isinstance(role, dict):  # an unquoted dotted key such as sam.jones@x.org = ... becomes a table
            raise file_error(where, f"[{name}] key {key} must be quoted", f'write "{key}" = "analyst"', ConfigError)
        if role not in ROLES:
            raise file_error(where, f"[{name}] \"{key}\" has role '{role}'", f"use one of {', '.join(ROLES)}",
                             ConfigError)
        if domain:
            k = k.lstrip("@")
            if not k or "@" in k or "." not in k:
                raise file_error(where, f"[domains] \"{key}\" is not an e-mail domain", 'write e.g. "council.gov.uk"',
                                 ConfigError)
        elif k.count("@") != 1 or k.startswith("@") or k.endswith("@") or len(k) > MAX_EMAIL:
            raise file_error(where, f"[emails] \"{key}\" is not an e-mail address", "write name@domain, or move "
                             "it to [domains]", ConfigError)
        if k in out and out[k] != role:
            raise file_error(where, f"[{name}] \"{key}\" is listed twice with different roles", "keep one line",
                             ConfigError)
        out[k] = role
    return out


# -- how the app is served -------------------------------------------------------------------------


def is_loopback(address: str | None) -> bool:
    """Whether a server address only accepts connections from this machine ("" means all interfaces)."""
    a = (address or "").strip().strip("[]")
    if a.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(a).is_loopback
    except ValueError:
        return False


def trust_proxy(env: Mapping[str, str] | None = None, roles: RoleMap | None = None) -> bool:
    """The explicit "behind our own authenticating proxy" setting: ``PLACEBASED_TRUST_PROXY=1`` or
    ``[deploy] trust_proxy = true`` in the roles file."""
    env = os.environ if env is None else env
    value = env.get(TRUST_PROXY_ENV, "").strip().lower()
    return value in {"1", "true", "yes"} or bool(roles and roles.trust_proxy)


def serving_mode(address: str | None, *, auth_configured: bool, trust_proxy: bool) -> str:
    """``"signin"`` (OIDC configured), ``"local"`` (loopback, no sign-in), ``"proxy"`` (explicitly behind the
    partnership's own proxy) or ``"refused"`` (reachable from the network with nothing in front: no data)."""
    if auth_configured:
        return "signin"
    if is_loopback(address):
        return "local"
    return "proxy" if trust_proxy else "refused"


def refusal_message(address: str | None) -> str:
    shown = address or "all network interfaces"
    return (f"This app is listening on {shown} with no sign-in configured, so it shows no data. Either serve it "
            "on 127.0.0.1 only (the default in .streamlit/config.toml), or configure sign-in ([auth] in "
            f".streamlit/secrets.toml), or, behind the partnership's own authenticating proxy, set "
            f"{TRUST_PROXY_ENV}=1. See docs/deploy.md.")


def status_line(user: Identity, address: str | None = None) -> str:
    """How the page is served, shown on every page."""
    if user.mode == "local":
        return f"Local only: this app listens on {address or '127.0.0.1'} and is not reachable from the network."
    if user.mode == "proxy":
        return f"Served behind the partnership's proxy; everyone here has the {user.role} role."
    if user.role is None:
        return f"Signed in as {user.email or 'an account with no e-mail'} (no role)."
    return f"Signed in as {user.email} ({user.role})."

"""An area configuration file: the data an area works on, in one TOML file, for the app and the CLI.

``streamlit run app.py -- --config area.toml`` starts the app on it without uploads; ``placebased --config
area.toml COMMAND ...`` runs any command on it. Flags given on the command line win over the file: a file
named there (``--boundaries``, ``--la``/``--force``, ``--incidents``, ``--table``, ``--provision``) replaces the
whole section of the file (its column options too); any other flag replaces just its own key. In the app, an
upload replaces the file's data of the same kind. Example: ``docs/example-area.toml``::

    name = "Northamptonshire (shipped data)"   # shown in the app; optional

    [areas]
    boundaries = "../boundaries/northants_lsoa21_bgc.geojson"   # relative to this file's folder
    id_column = "LSOA21CD"
    name_column = "LSOA21NM"
    vintage = 2025                    # 2025: LSOA 2021 + IoD2025; 2019: LSOA 2011 + IoD2019
    # la = ["Leicester"]              # or: local authorities / force = ["Leicestershire"] (CLI)

    [incidents]
    files = ["../incidents/police_uk"]  # files or folders; a police.uk download zip as it comes
    # x_column, y_column, crs ("wgs84" | "bng"), category_column, date_column, date_format, weight_column,
    # harm_table

    [indicators]
    tables = []                       # your own area-level tables (CSV/Excel: area code + value columns)
    # code_column = "LSOA code"

    [provision]
    file = "../provision/northants_nhs_prescribing_cost_centres_active_epraccur_2025.csv"
    # site_name_column, type_column, postcode_column, x_column, y_column, crs

Every key is optional; a missing one means what the flag's absence means (the shipped data for the shipped
areas). Relative paths are read from the config file's folder. A bad file is a one-line error naming the
file, the key and what to do (:class:`placebased.errors.ConfigError`).

Orchestration layer: :meth:`AreaConfig.sources` builds the pipeline's ``Sources``; reading the file needs
only the standard library, so ``placebased --config FILE --help`` stays as fast as ``--help``.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from placebased.errors import ConfigError

_PATH, _PATHS, _TEXT, _TEXTS, _VINTAGE, _CRS = "path", "paths", "text", "texts", "vintage", "crs"

#: section -> key -> (kind, CLI destination). Kinds: path / paths (resolved against the file's folder and
#: checked to exist), text / texts, vintage (2025 | 2019), crs (wgs84 | bng).
SCHEMA: dict[str, dict[str, tuple[str, str]]] = {
    "areas": {"boundaries": (_PATH, "boundaries"), "id_column": (_TEXT, "id_column"),
              "name_column": (_TEXT, "name_column"), "vintage": (_VINTAGE, "vintage"),
              "la": (_TEXTS, "la"), "force": (_TEXTS, "force")},
    "incidents": {"files": (_PATHS, "incidents"), "x_column": (_TEXT, "x_column"), "y_column": (_TEXT, "y_column"),
                  "crs": (_CRS, "crs"), "category_column": (_TEXT, "category_column"),
                  "date_column": (_TEXT, "date_column"), "date_format": (_TEXT, "date_format"),
                  "weight_column": (_TEXT, "weight_column"), "harm_table": (_PATH, "harm_table")},
    "indicators": {"tables": (_PATHS, "table"), "code_column": (_TEXT, "code_column")},
    "provision": {"file": (_PATH, "provision"), "site_name_column": (_TEXT, "site_name_column"),
                  "type_column": (_TEXT, "type_column"), "postcode_column": (_TEXT, "postcode_column"),
                  "x_column": (_TEXT, "site_x_column"), "y_column": (_TEXT, "site_y_column"),
                  "crs": (_CRS, "site_crs")},
}
TOP_KEYS = {"name": _TEXT, "description": _TEXT}
#: the CLI flags that name a section's data: given on the command line, they replace the whole section
SECTION_SOURCES = {"areas": ("boundaries", "la", "force"), "incidents": ("incidents",), "indicators": ("table",),
                   "provision": ("provision",)}
#: keyword arguments of io.incidents.load_incidents that [incidents] may set (the app's incident_options)
INCIDENT_OPTIONS = ("x_column", "y_column", "crs", "category_column", "date_column", "date_format", "weight_column")
#: provision values that name the shipped example rather than a file
PROVISION_EXAMPLES = ("example", "example-nhs", "example-gp")
EXAMPLE = "docs/example-area.toml"


@dataclass(frozen=True)
class AreaConfig:
    """A parsed area configuration: ``values`` maps section -> CLI destination -> value (only keys the file
    gives; paths absolute). ``AreaConfig()`` is the empty one: the shipped data, as with no file."""

    path: Path | None = None
    name: str = ""
    description: str = ""
    values: dict[str, dict[str, object]] = field(default_factory=dict)

    def get(self, section: str, dest: str, default=None):
        return self.values.get(section, {}).get(dest, default)

    @property
    def label(self) -> str:
        """How the app names the configuration: its ``name``, else the file's name ("" for none)."""
        return self.name or (self.path.name if self.path else "")

    @property
    def vintage(self) -> int:
        return int(self.get("areas", "vintage", 2025))

    def sources(self, vintage: int | None = None, boundaries: str | None = None, id_column: str | None = None,
                incidents=(), incident_options=(), tables=(), provision: str | None = None):
        """The pipeline's ``Sources``: each kind of data given here (an upload) replaces the file's, else
        the file's is used (with its options). ``AreaConfig().sources()`` equals ``Sources()``."""
        from placebased.pipeline import Sources  # the orchestration (pandas, geopandas): only when needed

        if not boundaries:
            boundaries, id_column = self.get("areas", "boundaries"), self.get("areas", "id_column")
        if not incidents:
            incidents = self.get("incidents", "incidents", ())
            incident_options = tuple((k, self.get("incidents", k)) for k in INCIDENT_OPTIONS
                                     if self.get("incidents", k) is not None)
        return Sources(vintage=int(vintage or self.vintage), boundaries=boundaries, id_column=id_column or None,
                       incidents=tuple(incidents), incident_options=tuple(incident_options),
                       tables=tuple(tables or self.get("indicators", "table", ())),
                       provision=provision or self.get("provision", "provision"))

    def check_for_app(self) -> None:
        """The app reads boundary files: a configuration naming areas by ``la``/``force`` is refused with
        what to do; so are options the app has no place for."""
        for key in ("la", "force"):
            if self.get("areas", key):
                raise ConfigError(f"{self.path}: [areas] {key}: the app reads a boundary file; fetch the areas once "
                                  f"with 'placebased fetch-areas --{key} ... --out areas.gpkg' and set "
                                  "boundaries = \"areas.gpkg\" (the CLI takes la/force as they are).")
        prov = self.get("provision", "provision")
        if prov and str(prov).lower() in PROVISION_EXAMPLES:
            raise ConfigError(f"{self.path}: [provision] file = {prov!r}: the app uses the shipped example when no "
                              "provision is given; leave the key out.")


def load(path) -> AreaConfig:
    """Read and check an area configuration file (one-line :class:`ConfigError` on any problem)."""
    path = Path(path).expanduser()
    where = str(path)
    if not path.is_file():
        raise ConfigError(f"{where}: config file not found; check the path (an example: {EXAMPLE}).")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise ConfigError(f"{where}: not a text file; give a TOML file like {EXAMPLE}.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML ({exc}); fix that line (see {EXAMPLE}).") from None
    base = path.resolve().parent
    top: dict[str, str] = {}
    values: dict[str, dict[str, object]] = {}
    for key, value in raw.items():
        if key in SCHEMA:
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: {key} must be a section ([{key}] on a line of its own, then its keys); "
                                  f"see {EXAMPLE}.")
            values[key] = _section(where, base, key, value)
        elif key in TOP_KEYS:
            top[key] = _check(where, f"{key}", _TEXT, value, base)
        else:
            home = next((s for s, keys in SCHEMA.items() if key in keys), None)
            if home:
                raise ConfigError(f"{where}: {key} belongs in a section; write [{home}] on the line above it.")
            raise ConfigError(f"{where}: unknown key {key!r}{_suggest(key, [*SCHEMA, *TOP_KEYS])}; the sections are "
                              f"{', '.join(f'[{s}]' for s in SCHEMA)} (and name, description at the top).")
    return AreaConfig(path=path, name=top.get("name", ""), description=top.get("description", ""), values=values)


def from_argv(argv) -> AreaConfig | None:
    """The configuration named by ``--config FILE`` (or ``--config=FILE``) in ``argv``, else None; other
    arguments are ignored (the app's ``streamlit run app.py -- --config area.toml``)."""
    path = config_path(list(argv))[1]
    return load(path) if path is not None else None


def config_path(argv: list[str]) -> tuple[list[str], str | None]:
    """``argv`` without its ``--config FILE`` and the FILE (None without one; a one-line error when the
    option has no value or is given twice)."""
    rest, found = [], []
    items = iter(argv)
    for arg in items:
        if arg == "--config":
            value = next(items, None)
            if value is None or value.startswith("-"):
                raise ConfigError("--config needs a FILE (an area configuration, e.g. --config area.toml; see "
                                  f"{EXAMPLE}).")
            found.append(value)
        elif arg.startswith("--config="):
            found.append(arg.split("=", 1)[1])
        else:
            rest.append(arg)
    if len(found) > 1:
        raise ConfigError(f"--config given {len(found)} times ({', '.join(found)}); give one file.")
    return rest, (found[0] if found else None)


def _section(where: str, base: Path, section: str, table: dict) -> dict[str, object]:
    schema = SCHEMA[section]
    out: dict[str, object] = {}
    for key, value in table.items():
        if key not in schema:
            raise ConfigError(f"{where}: [{section}] {key}: unknown key{_suggest(key, schema)}; the keys of "
                              f"[{section}] are {', '.join(schema)}.")
        kind, dest = schema[key]
        out[dest] = _check(where, f"[{section}] {key}", kind, value, base)
    return out


def _check(where: str, key: str, kind: str, value, base: Path):
    if kind in (_TEXT, _PATH, _CRS):
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{where}: {key} must be a non-empty text in quotes, e.g. {key.split()[-1]} = \"...\".")
        value = value.strip()
    if kind == _PATH:
        if key == "[provision] file" and value.lower() in PROVISION_EXAMPLES:
            return value
        return _existing(where, key, value, base)
    if kind in (_PATHS, _TEXTS):
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(v, str) and v.strip() for v in items):
            raise ConfigError(f"{where}: {key} must be a list of texts in quotes, e.g. {key.split()[-1]} = "
                              "[\"...\", \"...\"].")
        items = [v.strip() for v in items]
        return tuple(_existing(where, key, v, base) for v in items) if kind == _PATHS else tuple(items)
    if kind == _VINTAGE:
        if isinstance(value, bool) or value not in (2025, 2019):
            raise ConfigError(f"{where}: {key} = {value!r}: write 2025 (LSOA 2021 + IoD2025) or 2019 (LSOA 2011 + "
                              "IoD2019), without quotes.")
        return int(value)
    if kind == _CRS and value.lower() not in ("wgs84", "bng"):
        raise ConfigError(f"{where}: {key} = {value!r}: write \"wgs84\" (longitude/latitude) or \"bng\" "
                          "(British National Grid easting/northing).")
    return value.lower() if kind == _CRS else value


def _existing(where: str, key: str, value: str, base: Path) -> str:
    p = Path(value).expanduser()
    full = (p if p.is_absolute() else base / p).resolve()
    if not full.exists():
        raise ConfigError(f"{where}: {key}: {value!r} not found (looked for {full}); fix the path (relative paths "
                          "are read from the config file's folder).")
    return str(full)


def _suggest(key: str, choices) -> str:
    close = difflib.get_close_matches(key, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


__all__ = ["AreaConfig", "SCHEMA", "SECTION_SOURCES", "config_path", "from_argv", "load"]

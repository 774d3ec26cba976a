"""Scenarios: a named set of weights, normalisation and settings, saved as a small TOML file.

A board paper can cite a scenario exactly: the file holds its name, description, creation date,
the weights (any positive scale; shown normalised to 100%), the normalisation, the missing-value
policy, the priority tiers, the top-N for robustness, and the robustness settings (draws, seed,
Dirichlet concentration, normalisations). :meth:`Scenario.save` writes it atomically with a tiny
TOML writer (Python reads TOML with :mod:`tomllib` but cannot write it).

Example file::

    name = "Balanced"
    description = "Current serious violence, deprivation and young population"
    created = 2025-11-20
    normalisation = "percentile"
    missing = "median"
    tiers = [5.0, 10.0, 20.0]
    top_n = 20

    [robustness]
    draws = 1000
    seed = 12345
    concentration = 100.0
    normalisations = ["percentile", "zscore", "minmax"]

    [weights]
    serious_violence_eb_rate = 30.0
    imd_score = 20.0

    [directions]       # optional: direction of users' own indicators ("higher" or "lower")
    school_attendance = "lower"
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from placebased import _atomic
from placebased.errors import ConfigError, file_error
from placebased.names import MISSING_POLICIES, NORMALISATIONS  # the name lists (one registry each)

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _check_choice(value: str, registry: Mapping[str, str], what: str, source: str | None = None) -> str:
    key = str(value).strip().lower().replace("-", "").replace("_", "")
    for name in registry:
        if key == name.replace("_", ""):
            return name
    msg = f"unknown {what} {value!r}; choose one of {', '.join(registry)}"
    if source:
        raise file_error(source, msg, f"set {what} to one of {', '.join(registry)}", ConfigError)
    raise ConfigError(msg + ".")


@dataclass(frozen=True)
class Scenario:
    """Weights and settings of a priority score (immutable; hashable, so usable as a cache key).

    ``weights`` maps indicator id to a non-negative weight on any scale (normalised to sum to 1 when
    scoring); ``directions`` overrides the catalogue direction of an indicator (users' tables).
    """

    name: str = "Balanced"
    description: str = ""
    created: str = ""
    weights: dict[str, float] = field(default_factory=dict)
    normalisation: str = "percentile"
    missing: str = "median"
    tiers: tuple[float, ...] = (5.0, 10.0, 20.0)
    top_n: int = 20
    draws: int = 1000
    seed: int = 12345
    concentration: float = 100.0
    robust_normalisations: tuple[str, ...] = ("percentile", "zscore", "minmax")
    directions: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "created", str(self.created or _preset_date(self.name, self.weights) or dt.date.today().isoformat()))
        set_(self, "normalisation", _check_choice(self.normalisation, NORMALISATIONS, "normalisation"))
        set_(self, "missing", _check_choice(self.missing, MISSING_POLICIES, "missing policy"))
        set_(self, "robust_normalisations",
             tuple(_check_choice(n, NORMALISATIONS, "normalisation") for n in self.robust_normalisations))
        weights = {}
        for k, v in dict(self.weights).items():
            try:
                w = float(v)
            except (TypeError, ValueError):
                w = math.nan
            if not math.isfinite(w) or w < 0:
                raise ConfigError(f"weight of {k!r} must be a number >= 0 (got {v!r}).")
            weights[str(k)] = w
        if weights and sum(weights.values()) <= 0:
            raise ConfigError("all weights are zero; give at least one indicator a positive weight.")
        set_(self, "weights", weights)
        dirs = {str(k): str(v).strip().lower() for k, v in dict(self.directions).items()}
        bad = {k: v for k, v in dirs.items() if v not in ("higher", "lower")}
        if bad:
            k = next(iter(bad))
            raise ConfigError(f"direction of {k!r} must be 'higher' or 'lower' (got {bad[k]!r}).")
        set_(self, "directions", dirs)
        tiers = tuple(sorted(float(t) for t in self.tiers))
        if any(not 0 < t <= 100 for t in tiers):
            raise ConfigError(f"tiers are percentages between 0 and 100 (got {list(self.tiers)}).")
        set_(self, "tiers", tiers)
        for name, low in (("top_n", 1), ("draws", 0), ("seed", 0)):
            v = getattr(self, name)
            if isinstance(v, bool) or int(v) != v or v < low:
                raise ConfigError(f"{name} must be a whole number >= {low} (got {v!r}).")
            set_(self, name, int(v))
        if not float(self.concentration) > 0:
            raise ConfigError(f"concentration must be > 0 (got {self.concentration!r}); e.g. 100.")
        set_(self, "concentration", float(self.concentration))

    def __hash__(self) -> int:
        return hash((self.name, self.description, self.created, tuple(sorted(self.weights.items())),
                     self.normalisation, self.missing, self.tiers, self.top_n, self.draws, self.seed,
                     self.concentration, self.robust_normalisations, tuple(sorted(self.directions.items()))))

    # -----------------------------------------------------------------------------------------
    @property
    def weights_percent(self) -> dict[str, float]:
        """Positive weights normalised to sum to 100, largest first."""
        total = sum(self.weights.values())
        pos = {k: 100.0 * v / total for k, v in self.weights.items() if v > 0}
        return dict(sorted(pos.items(), key=lambda kv: -kv[1]))

    def replace(self, **changes) -> Scenario:
        """A copy with ``changes`` (e.g. ``weights=...``); validated like a new scenario."""
        return dataclasses.replace(self, **changes)

    def to_toml(self) -> str:
        """The scenario as TOML text (what :meth:`save` writes)."""
        lines = [
            "# placebased scenario: weights and settings of a priority score.",
            "# Cite the name and created date; weights are on any scale and are normalised to 100%.",
            f"name = {_toml_value(self.name)}",
            f"description = {_toml_value(self.description)}",
            f"created = {_toml_date(self.created)}",
            f"normalisation = {_toml_value(self.normalisation)}  # {', '.join(NORMALISATIONS)}",
            f"missing = {_toml_value(self.missing)}  # {', '.join(MISSING_POLICIES)}",
            f"tiers = {_toml_value(list(self.tiers))}  # top x% of ranked areas",
            f"top_n = {self.top_n}",
            "",
            "[robustness]",
            f"draws = {self.draws}",
            f"seed = {self.seed}",
            f"concentration = {_toml_value(self.concentration)}  # Dirichlet: larger = weights vary less",
            f"normalisations = {_toml_value(list(self.robust_normalisations))}",
            "",
            "[weights]",
        ]
        pct = self.weights_percent
        for k, v in self.weights.items():
            comment = f"  # {pct[k]:.1f}%" if k in pct else ""
            lines.append(f"{_toml_key(k)} = {_toml_value(v)}{comment}")
        if self.directions:
            lines += ["", "[directions]"]
            lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in self.directions.items()]
        return "\n".join(lines) + "\n"

    def save(self, path: str | Path) -> Path:
        """Write the scenario as TOML to ``path`` atomically."""
        return _atomic.write_text(path, self.to_toml())

    @classmethod
    def from_dict(cls, data: Mapping, source: str | None = None) -> Scenario:
        """A scenario from parsed TOML (top level, ``[robustness]``, ``[weights]``, ``[directions]``)."""
        top = {"name", "description", "created", "normalisation", "missing", "tiers", "top_n",
               "robustness", "weights", "directions"}
        rob_keys = {"draws", "seed", "concentration", "normalisations"}
        src = source or "scenario"
        unknown = set(data) - top
        if unknown:
            raise file_error(src, f"unknown setting(s) {', '.join(sorted(unknown))}",
                             f"use only {', '.join(sorted(top))}", ConfigError)
        rob = data.get("robustness", {})
        if not isinstance(rob, Mapping) or set(rob) - rob_keys:
            raise file_error(src, f"[robustness] may hold only {', '.join(sorted(rob_keys))}",
                             "remove the other keys", ConfigError)
        weights = data.get("weights", {})
        if not isinstance(weights, Mapping) or not weights:
            raise file_error(src, "no [weights] table", "add [weights] with indicator = weight lines", ConfigError)
        kwargs = {
            "name": str(data.get("name", Path(src).stem)),
            "description": str(data.get("description", "")),
            "created": str(data.get("created", "")),
            "weights": dict(weights),
            "directions": dict(data.get("directions", {})),
        }
        for key in ("normalisation", "missing", "top_n"):
            if key in data:
                kwargs[key] = data[key]
        if "tiers" in data:
            kwargs["tiers"] = tuple(data["tiers"])
        for key in ("draws", "seed", "concentration"):
            if key in rob:
                kwargs[key] = rob[key]
        if "normalisations" in rob:
            kwargs["robust_normalisations"] = tuple(rob["normalisations"])
        try:
            return cls(**kwargs)
        except ConfigError as exc:
            if source:
                raise file_error(source, str(exc), "fix the scenario file", ConfigError) from exc
            raise

    @classmethod
    def load(cls, path: str | Path) -> Scenario:
        """Read a scenario TOML file (errors name the file)."""
        path = Path(path)
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError as exc:
            raise file_error(path, "scenario file not found", "check the path or use --preset", ConfigError) from exc
        except tomllib.TOMLDecodeError as exc:
            raise file_error(path, f"not valid TOML ({exc})", "fix the syntax", ConfigError) from exc
        return cls.from_dict(data, source=str(path))


# ---------------------------------------------------------------------------------------------
# tiny TOML writer (strings, numbers, booleans, lists of those, dates)


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _toml_value(key)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ConfigError(f"cannot write {value!r} to a scenario file; use a finite number.")
        text = repr(value)
        return text if any(ch in text for ch in ".en") else text + ".0"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    text = str(value)
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_date(text: str) -> str:
    try:
        return dt.date.fromisoformat(str(text)).isoformat()
    except ValueError:
        return _toml_value(str(text))


# ---------------------------------------------------------------------------------------------
# presets

_PRESETS: dict[str, dict] = {
    "balanced": {
        "name": "Balanced",
        "description": "Current serious violence (EB rate and Gi* cluster), deprivation, children and young "
        "people's education deprivation, young population and anti-social behaviour, weighted as documented in "
        "indicators/catalogue.toml. Its deprivation and population indicators (IMD score, IoD Children and Young "
        "People sub-domain, under-25 share) exist for every LSOA in England.",
        "weights": {"serious_violence_eb_rate": 30.0, "serious_violence_gi_z": 10.0, "imd_score": 20.0,
                    "cyp_score": 15.0, "under25_share": 15.0, "asb_eb_rate": 10.0},
    },
    "deprivation-led": {
        "name": "Deprivation-led",
        "description": "Mostly underlying need (IMD, child poverty, education, young population); current "
        "violence counts for a quarter.",
        "weights": {"imd_score": 30.0, "idaci_score": 20.0, "cyp_score": 10.0, "under25_share": 15.0,
                    "serious_violence_eb_rate": 25.0},
    },
    "violence-led": {
        "name": "Violence-led",
        "description": "Mostly current serious violence, robbery and weapons (EB rates and Gi* cluster); "
        "deprivation counts for a fifth.",
        "weights": {"serious_violence_eb_rate": 40.0, "serious_violence_gi_z": 15.0, "robbery_eb_rate": 10.0,
                    "weapons_eb_rate": 10.0, "imd_score": 10.0, "idaci_score": 10.0, "under25_share": 5.0},
    },
}
PRESET_DATE = "2025-11-20"


def _preset_date(name, weights) -> str | None:
    """The presets' date when ``name`` and the weights (as shares) are a preset's: one date for
    "Balanced" in the app and the CLI; an edited scenario gets the day it was made."""
    p = next((v for v in _PRESETS.values() if v["name"].lower() == str(name).strip().lower()), None)
    if p is None:
        return None
    try:
        w = {k: float(v) for k, v in dict(weights).items() if float(v) > 0}
    except (TypeError, ValueError):
        return None
    tp, tw = sum(p["weights"].values()), sum(w.values()) or 1.0
    same = set(w) == set(p["weights"]) and all(abs(w[k] / tw - p["weights"][k] / tp) < 1e-9 for k in w)
    return PRESET_DATE if same else None


def preset_names() -> list[str]:
    """Names accepted by :func:`preset` (case and spaces ignored)."""
    return list(_PRESETS)


def preset(name: str) -> Scenario:
    """A shipped preset scenario: ``balanced`` (the default), ``deprivation-led`` or ``violence-led``."""
    key = str(name).strip().lower().replace(" ", "-").replace("_", "-")
    if key not in _PRESETS:
        raise ConfigError(f"unknown preset {name!r}; choose one of {', '.join(_PRESETS)}.")
    return Scenario(created=PRESET_DATE, **_PRESETS[key])


def default_scenario() -> Scenario:
    """The default scenario ("Balanced"; its weights are the catalogue's default weights)."""
    return preset("balanced")


__all__ = ["MISSING_POLICIES", "NORMALISATIONS", "Scenario", "default_scenario", "preset", "preset_names"]

"""Incident categories: police.uk crime types, the partnership's serious-violence groups, sensitivity.

Northamptonshire's Serious Violence Duty definition covers murder, attempted murder, aggravated
burglary, personal and business robbery, GBH (s18/s20), knife and gun crime, rape and other sexual
offences, youth violence (under 25), domestic abuse and night-time-economy violence. police.uk
publishes only broad crime types, so on police.uk data the closest groups are used; partner data
with finer categories are matched by keyword (:func:`group_of`).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import pandas as pd

from placebased.errors import ConfigError, file_error

POLICE_UK_CATEGORIES = (
    "Anti-social behaviour",
    "Bicycle theft",
    "Burglary",
    "Criminal damage and arson",
    "Drugs",
    "Other crime",
    "Other theft",
    "Possession of weapons",
    "Public order",
    "Robbery",
    "Shoplifting",
    "Theft from the person",
    "Vehicle crime",
    "Violence and sexual offences",
)

#: groups offered by the app and CLI (``--category`` accepts a group id or a category name)
GROUPS: dict[str, dict] = {
    "serious_violence": {
        "label": "Serious violence (partnership definition; police.uk proxy)",
        "police_uk": ["Violence and sexual offences", "Robbery", "Possession of weapons"],
        "keywords": [
            r"murder",
            r"homicide",
            r"manslaughter",
            r"attempted murder",
            r"aggravated burglary",
            r"robbery",
            r"\bgbh\b",
            r"grievous",
            r"wounding",
            r"s\.?\s?18\b",
            r"s\.?\s?20\b",
            r"knife",
            r"bladed",
            r"sharp",
            r"gun",
            r"firearm",
            r"weapon",
            r"rape",
            r"sexual",
            r"domestic",
            r"youth violence",
            r"night[- ]time",
            r"\bnte\b",
            r"assault",
            r"violence",
        ],
    },
    "violence_sexual": {
        "label": "Violence and sexual offences",
        "police_uk": ["Violence and sexual offences"],
        "keywords": [r"violence", r"assault", r"sexual", r"rape", r"wounding", r"gbh", r"abh"],
    },
    "robbery": {"label": "Robbery", "police_uk": ["Robbery"], "keywords": [r"robbery"]},
    "weapons": {
        "label": "Possession of weapons",
        "police_uk": ["Possession of weapons"],
        "keywords": [r"weapon", r"knife", r"bladed", r"firearm", r"gun"],
    },
    "asb": {
        "label": "Anti-social behaviour",
        "police_uk": ["Anti-social behaviour"],
        "keywords": [r"anti-?social", r"\basb\b"],
    },
    "public_order": {"label": "Public order", "police_uk": ["Public order"], "keywords": [r"public order"]},
    "drugs": {"label": "Drugs", "police_uk": ["Drugs"], "keywords": [r"drug"]},
    "all": {"label": "All categories", "police_uk": list(POLICE_UK_CATEGORIES), "keywords": [r".*"]},
}

# ---------------------------------------------------------------------------------------------
# sensitive categories: one classifier, rules shipped as data (placebased/data/sensitive_categories.toml)

#: environment variable naming an extra file of sensitive labels (added to the shipped list)
SENSITIVE_FILE_ENV = "PLACEBASED_SENSITIVE_FILE"
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z]{2})")


_IRREGULAR = {"children": "child", "women": "woman", "men": "man", "people": "person"}


def _singular(word: str) -> str:
    """Simple plurals made singular ("offences" -> "offence", "robberies" -> "robbery", "children")."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) <= 3 or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes", "zzes")):
        return word[:-2]
    return word[:-1] if word.endswith("s") else word


def normalise(label) -> tuple[str, ...]:
    """The words of a label as the classifier sees them: camelCase split, lower case, split on
    anything not a letter (underscores, digits, punctuation; "&" reads as "and"), simple plurals
    made singular.

    >>> normalise("Sexual_Offences (DA-flag)")
    ('sexual', 'offence', 'da', 'flag')
    >>> normalise("domesticAbuse"), normalise("Rapes")
    (('domestic', 'abuse'), ('rape',))
    """
    text = _CAMEL.sub(" ", str(label)).replace("&", " and ").lower()
    return tuple(_singular(w) for w in re.split(r"[^a-z]+", text) if w)


def _code_of(label) -> str | None:
    """The Home Office code a label begins with ("19C Rape ...", "HO 17A", "Code: 8Q"), else None."""
    toks = [t for t in re.split(r"[^a-z0-9]+", str(label).lower()) if t]
    while toks and toks[0] in ("ho", "hoc", "hocr", "code", "offence", "offense", "class"):
        toks = toks[1:]
    if toks and re.fullmatch(r"0*\d{1,3}[a-z]?", toks[0]):
        return toks[0].lstrip("0") or "0"
    return None


def _contains(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(words[i:i + n] == phrase for i in range(len(words) - n + 1))


@dataclass(frozen=True)
class SensitiveRules:
    """Which incident categories are sensitive: a frozen, hashable set of rules.

    Build it with :func:`sensitive_rules` (the shipped list, plus extra labels or files); pass it
    to everything that asks :func:`is_sensitive` (disclosure, the point layer, profiles, the
    workshop). Calling the object on a label answers the question, so it can be passed wherever
    a predicate ``label -> bool`` is expected.

    ``phrases``: normalised phrases (tuples of words) that make a label sensitive; ``codes``:
    Home Office codes matched at the start of a label; ``exceptions``: whole normalised labels that
    are not sensitive; ``neutral``: phrases whose words never count; ``added``: the extra labels
    given by the user (kept for reporting).
    """

    phrases: tuple[tuple[str, ...], ...]
    codes: frozenset[str] = frozenset()
    exceptions: frozenset[tuple[str, ...]] = frozenset()
    neutral: tuple[tuple[str, ...], ...] = ()
    added: tuple[str, ...] = ()
    source: str = "shipped list"

    def rule(self, label) -> str | None:
        """The rule that makes ``label`` sensitive (e.g. ``"word 'rape'"``), or None."""
        words = normalise(label)
        if words in self.exceptions:
            return None
        code = _code_of(label)
        if code is not None and code in self.codes:
            return f"Home Office code {code.upper()!r}"
        masked = list(words)
        for ph in self.neutral:
            n = len(ph)
            for i in range(len(masked) - n + 1):
                if tuple(masked[i:i + n]) == ph:
                    masked[i:i + n] = [""] * n
        masked_t = tuple(masked)
        for ph in self.phrases:
            if _contains(masked_t, ph):
                kind = "added label" if " ".join(ph) in self._added_norm else "word"
                return f"{kind} {' '.join(ph)!r}"
        return None

    @property
    def _added_norm(self) -> frozenset[str]:
        return frozenset(" ".join(normalise(a)) for a in self.added)

    def __call__(self, label) -> bool:
        return self.rule(label) is not None

    def with_labels(self, labels: Iterable[str], source: str | None = None) -> SensitiveRules:
        """A copy that also treats ``labels`` (words or phrases, matched like the shipped ones) as sensitive."""
        extra = tuple(str(x).strip() for x in labels if str(x).strip())
        new = tuple(p for p in (normalise(x) for x in extra) if p and p not in self.phrases)
        if not extra:
            return self
        return replace(self, phrases=self.phrases + tuple(dict.fromkeys(new)), added=self.added + extra,
                       source=source or f"{self.source} + {len(extra)} added label(s)")


def _rules_from_toml(data: dict, where: str) -> tuple[list, list, list, list]:
    def strings(section: str, key: str) -> list[str]:
        v = data.get(section, {}).get(key, [])
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise file_error(where, f"[{section}] {key} must be a list of text strings",
                             'write it like words = ["rape", "domestic abuse"]')
        return v

    unknown = set(data) - {"sensitive", "not_sensitive"}
    if unknown:
        raise file_error(where, f"unknown section(s) {', '.join(sorted(unknown))}",
                         "use [sensitive] words/abbreviations/codes and [not_sensitive] labels/phrases")
    return (strings("sensitive", "words") + strings("sensitive", "abbreviations"), strings("sensitive", "codes"),
            strings("not_sensitive", "labels"), strings("not_sensitive", "phrases"))


@lru_cache(maxsize=1)
def shipped_rules() -> SensitiveRules:
    """The rules shipped in ``placebased/data/sensitive_categories.toml``."""
    text = files("placebased").joinpath("data", "sensitive_categories.toml").read_text(encoding="utf-8")
    words, codes, labels, phrases = _rules_from_toml(tomllib.loads(text), "sensitive_categories.toml")
    found = tuple(dict.fromkeys(p for p in (normalise(w) for w in words) if p))
    return SensitiveRules(
        phrases=tuple(sorted(found, key=len, reverse=True)),  # the most specific rule is the one reported
        codes=frozenset(c.lower().lstrip("0") for c in codes),
        exceptions=frozenset(normalise(x) for x in labels),
        neutral=tuple(p for p in (normalise(x) for x in phrases) if p),
    )


def read_sensitive_file(path) -> list[str]:
    """Extra sensitive labels from a file: TOML in the shipped format (its ``[sensitive]`` words,
    abbreviations and codes are added; nothing can be removed), or plain text, one label or word
    per line (``#`` starts a comment). Raises DataError naming the file."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise file_error(p, "sensitive-labels file not found", "check the path") from None
    except (IsADirectoryError, PermissionError, OSError) as exc:
        raise file_error(p, f"cannot read the sensitive-labels file ({exc.strerror or exc})",
                         "give a readable text or TOML file") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise file_error(p, "not UTF-8 text", "save the list of labels as UTF-8 text, one per line") from None
    if p.suffix.lower() == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise file_error(p, f"not valid TOML ({exc})", "fix the file, or give plain text, one label per line") \
                from None
        words, codes, _labels, _phrases = _rules_from_toml(data, str(p))
        if _labels or _phrases:
            raise file_error(p, "[not_sensitive] entries cannot be added from an extra file",
                             "remove them (edit a copy of the shipped list to remove entries)")
        return words + codes
    out = []
    for line in text.splitlines():
        item = line.split("#", 1)[0].strip()
        if item:
            out.append(item)
    return out


def sensitive_rules(extra_labels: Iterable[str] = (), extra_file=None, *, env: bool = True) -> SensitiveRules:
    """The shipped rules plus extra labels: from the file named by ``PLACEBASED_SENSITIVE_FILE``
    (when ``env``), from ``extra_file`` (CLI ``--sensitive-labels``) and from ``extra_labels``
    (the app's sidebar box). Codes in extra files are matched as codes, everything else as words."""
    rules = shipped_rules()
    files_ = [f for f in ((os.environ.get(SENSITIVE_FILE_ENV) if env else None), extra_file) if f]
    for f in files_:
        items = read_sensitive_file(f)
        codes = [i for i in items if re.fullmatch(r"0*\d{1,3}[A-Za-z]?", i.strip())]
        words = [i for i in items if i not in codes]
        rules = rules.with_labels(words, source=f"{rules.source} + {f}")
        if codes:
            rules = replace(rules, codes=rules.codes | {c.strip().lower().lstrip("0") for c in codes})
    return rules.with_labels(list(extra_labels))


def _default_rules() -> SensitiveRules:
    return sensitive_rules() if os.environ.get(SENSITIVE_FILE_ENV) else shipped_rules()


def is_sensitive(category: str, rules: SensitiveRules | None = None) -> bool:
    """True for categories that can identify victims (sexual offences, domestic abuse, stalking,
    harassment, modern slavery, child sexual exploitation, FGM, honour-based abuse...).

    ``rules`` None uses the shipped list (plus ``PLACEBASED_SENSITIVE_FILE``). police.uk's own
    broad "Violence and sexual offences" is already published at map points by police.uk and is
    not sensitive; partner categories naming sexual offences or domestic abuse are.

    >>> is_sensitive("Rapes"), is_sensitive("sexual_offences"), is_sensitive("Burglary")
    (True, True, False)
    >>> is_sensitive("Violence and sexual offences")
    False
    """
    return (rules if rules is not None else _default_rules())(category)


def sensitive_rule(category: str, rules: SensitiveRules | None = None) -> str | None:
    """Why a category is sensitive (the matched rule), or None when it is not."""
    return (rules if rules is not None else _default_rules()).rule(category)


def classify_labels(labels: Iterable[str], rules: SensitiveRules | None = None):
    """The decision for every label: a DataFrame with ``label``, ``sensitive``, ``rule`` (one row
    per distinct label, in the order given; ``rule`` is "" for labels that are not sensitive).

    >>> classify_labels(["Robbery", "Stalking"]).to_dict("list")
    {'label': ['Robbery', 'Stalking'], 'sensitive': [False, True], 'rule': ['', "word 'stalking'"]}
    """
    r = rules if rules is not None else _default_rules()
    labs = list(dict.fromkeys(str(x) for x in labels))
    why = [r.rule(x) for x in labs]
    return pd.DataFrame({"label": pd.Series(labs, dtype=object),  # typed, so no labels still filter as booleans
                         "sensitive": pd.Series([w is not None for w in why], dtype=bool),
                         "rule": pd.Series([w or "" for w in why], dtype=object)})


def sensitive_summary(labels: Iterable[str], rules: SensitiveRules | None = None) -> str:
    """One line for stderr: which labels of the data were treated as sensitive, and why."""
    t = classify_labels(labels, rules)
    hit = t[t["sensitive"]]
    if not len(hit):
        return f"sensitive categories: none of the {len(t)} categories in the data was treated as sensitive."
    items = "; ".join(f"{lab} ({rule})" for lab, rule in zip(hit["label"], hit["rule"]))
    return (f"sensitive categories ({len(hit)} of {len(t)}; hidden below 10 and never drawn as points in "
            f"public outputs): {items}. Add more with --sensitive-labels FILE.")


def group_of(category: str) -> list[str]:
    """The group ids a category belongs to (police.uk names exactly, partner names by keyword)."""
    out = []
    for gid, g in GROUPS.items():
        if category in g["police_uk"] or (
            category not in POLICE_UK_CATEGORIES and any(re.search(k, category.lower()) for k in g["keywords"])
        ):
            out.append(gid)
    return out


def resolve(names: list[str] | None, available: list[str]) -> list[str] | None:
    """Turn ``--category`` values (group ids or category names, any case) into category names.

    Returns None for "all". Raises ConfigError naming the valid choices for unknown names.
    """
    if not names:
        return None
    lower = {c.lower(): c for c in available}
    out: list[str] = []
    for n in names:
        key = n.strip().lower()
        if key in GROUPS:
            out += [c for c in available if key in group_of(c)]
        elif key in lower:
            out.append(lower[key])
        else:
            raise ConfigError(
                f"unknown category {n!r}; choose a group ({', '.join(GROUPS)}) or one of: {', '.join(available)}."
            )
    return sorted(set(out))

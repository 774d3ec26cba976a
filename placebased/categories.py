"""Incident categories: police.uk crime types, the partnership's serious-violence groups, sensitivity.

Northamptonshire's Serious Violence Duty definition covers murder, attempted murder, aggravated
burglary, personal and business robbery, GBH (s18/s20), knife and gun crime, rape and other sexual
offences, youth violence (under 25), domestic abuse and night-time-economy violence. police.uk
publishes only broad crime types, so on police.uk data the closest groups are used; partner data
with finer categories are matched by keyword (:func:`group_of`).
"""

from __future__ import annotations

import re

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

#: categories that are never shown as points in public or workshop outputs, and suppressed at area
#: level below the threshold: rape and other sexual offences, domestic abuse (partner data)
SENSITIVE_PATTERNS = (
    r"\brape\b",
    r"sexual offence",
    r"sexual assault",
    r"domestic",
    r"\bdv\b",
    r"\bvawg\b",
    r"child sexual",
    r"\bcse\b",
)


def is_sensitive(category: str) -> bool:
    """True for categories that can identify victims (rape, other sexual offences, domestic abuse).

    police.uk's own broad "Violence and sexual offences" is already published at map points by
    police.uk and is not treated as sensitive; partner categories naming sexual offences or
    domestic abuse are.
    """
    c = str(category).lower()
    if c == "violence and sexual offences":
        return False
    return any(re.search(p, c) for p in SENSITIVE_PATTERNS)


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
    from .errors import ConfigError

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

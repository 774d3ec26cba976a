"""Colours and fonts shared by the app's maps and the PDF profiles.

One palette, so a hot spot is the same red on screen and on paper. Colours are hex strings
(``"#rrggbb"``); :func:`rgb` turns one into an ``(r, g, b)`` tuple of 0-255 ints for fpdf2.

- :data:`GI_BIN_COLOURS`: Getis-Ord Gi* confidence bins -3..3 (ArcGIS Hot Spot Analysis colours:
  99/95/90 % cold spots in blues, not significant pale, 90/95/99 % hot spots in reds).
- :data:`LISA_COLOURS`: local Moran clusters (HH red, LL blue, HL pink, LH light blue, ns grey).
- :data:`EMERGING_COLOURS` (:func:`emerging_colour`) and :func:`lisa_code`: from :mod:`placebased.names`
  (the statistics need the class names too).
- :data:`TIER_COLOURS`: priority classes from the score (looked up case-insensitively by
  :func:`tier_colour`).
- :data:`BRAND`: the app's brand colours; :data:`FONT_NAME` and :func:`font_path` the font
  (DejaVu Sans, bundled with matplotlib, full Unicode, free to embed).
"""

from __future__ import annotations

from pathlib import Path

from placebased.names import EMERGING_COLOURS, emerging_colour, lisa_code  # noqa: F401  (shared lists, re-exported)
from placebased.outputs.glossary import GI_BINS, LISA

#: Gi* bin -> (colour, label); bins as in ArcGIS: +-3 = 99 %, +-2 = 95 %, +-1 = 90 % confidence
GI_BIN_COLOURS: dict[int, str] = {
    -3: "#4575b5",
    -2: "#849eba",
    -1: "#c0ccbe",
    0: "#f2f2ee",
    1: "#fab984",
    2: "#ed7551",
    3: "#d62f27",
}
GI_BIN_LABELS: dict[int, str] = {k: t.label for k, t in GI_BINS.items()}  # words: placebased.outputs.glossary

#: LISA cluster codes -> colour. Keys accept the short codes and esda's quadrant numbers
#: (1 HH, 2 LH, 3 LL, 4 HL; 0 not significant).
LISA_COLOURS: dict[str, str] = {
    "HH": "#d7191c",
    "LL": "#2c7bb6",
    "HL": "#f4a3c0",
    "LH": "#abd9e9",
    "ns": "#d9d9d9",
}
LISA_LABELS: dict[str, str] = {k: t.label for k, t in LISA.items()}  # words: placebased.outputs.glossary

#: priority classes (tiers) of the score, most urgent first
TIER_COLOURS: dict[str, str] = {
    "very high": "#7f0000",
    "high": "#d7301f",
    "medium": "#fc8d59",
    "low": "#fdd49e",
    "very low": "#fff7ec",
    "top": "#d7301f",
    "other": "#d9d9d9",
}

#: brand colours of the app and the PDF profiles
BRAND: dict[str, str] = {
    "primary": "#1b3a5c",  # dark navy: headers, titles
    "accent": "#0f7c80",  # teal: highlights, the selected area's outline in the app
    "text": "#222222",
    "muted": "#5f6b76",
    "light": "#eef2f6",  # panel backgrounds
    "rule": "#c5ced8",
    "selected": "#111111",  # outline of the profiled area on static maps
    "neighbour": "#8a94a0",
    "county": "#6b4c9a",  # county comparison markers
    "england": "#444444",  # England comparison markers
    "suppressed": "#9aa5b1",
    "provision": "#1a7f37",
}

#: colours for bars of deciles 1 (most deprived) .. 10 (least deprived)
DECILE_COLOURS: dict[int, str] = {
    1: "#7a0177", 2: "#ae017e", 3: "#dd3497", 4: "#f768a1", 5: "#fa9fb5",
    6: "#c6dbef", 7: "#9ecae1", 8: "#6baed6", 9: "#3182bd", 10: "#08519c",
}

FONT_NAME = "DejaVu Sans"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}


def font_path(style: str = "") -> Path:
    """Path of the DejaVu Sans TTF bundled with matplotlib (``style``: "", "B" or "I")."""
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / FONT_FILES[style]


def rgb(colour: str) -> tuple[int, int, int]:
    """``"#rrggbb"`` -> ``(r, g, b)`` with 0-255 ints."""
    c = colour.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def gi_bin_colour(gi_bin) -> str:
    """Colour of a Gi* bin (-3..3); missing or unknown bins get the not-significant colour."""
    try:
        return GI_BIN_COLOURS[int(gi_bin)]
    except (TypeError, ValueError, KeyError):
        return GI_BIN_COLOURS[0]


def lisa_colour(cluster) -> str:
    """Colour of a LISA cluster (see :func:`lisa_code`)."""
    return LISA_COLOURS[lisa_code(cluster)]


def tier_colour(tier) -> str:
    """Colour of a priority class; unknown classes get the neutral grey."""
    return TIER_COLOURS.get(str(tier).strip().lower(), TIER_COLOURS["other"])


# ---------------------------------------------------------------------------------------------
# provision: a colour per family of types and a badge per type (legends a colour-blind reader can
# use: the colours are Okabe-Ito's plus brown and navy, at least CIEDE2000 10 apart under simulated
# protanopia, deuteranopia and tritanopia, tests/test_palette.py; the badge letters differ too)

#: family -> (colour, plain family name)
PROVISION_FAMILIES: dict[str, tuple[str, str]] = {
    "primary": ("#0072B2", "GP and primary care"),
    "urgent": ("#D55E00", "Urgent and out-of-hours care"),
    "community": ("#009E73", "Community health"),
    "public": ("#CC79A7", "Public health"),
    "hospital": ("#56B4E9", "Hospital and hospice"),
    "care": ("#E69F00", "Care homes"),
    "justice": ("#663300", "Prison and custody health"),
    "specialist": ("#000099", "Sexual assault referral"),
    "other": ("#F0E442", "Other NHS services"),
    "youth": ("#000000", "Youth and community provision"),
}
#: provision type -> (badge text, family); types not listed are the partners' own ("youth")
PROVISION_BADGES: dict[str, tuple[str, str]] = {
    "GP practice": ("GP", "primary"),
    "Primary care network hub": ("PCN", "primary"),
    "Pharmacy prescriber pathfinder": ("Rx", "primary"),
    "Urgent and emergency care": ("UEC", "urgent"),
    "Walk-in centre": ("WIC", "urgent"),
    "Out-of-hours service": ("OOH", "urgent"),
    "Walk-in and out-of-hours service": ("WO", "urgent"),
    "Community health service": ("CHS", "community"),
    "Public health service": ("PHS", "public"),
    "Hospital service": ("H", "hospital"),
    "Hospice": ("HSP", "hospital"),
    "Care home or nursing home": ("CR", "care"),
    "Prison health service": ("PR", "justice"),
    "Young offender institution": ("YOI", "justice"),
    "Secure training centre": ("STC", "justice"),
    "Secure children's home": ("SCH", "justice"),
    "Immigration removal centre": ("IRC", "justice"),
    "Border Force": ("BF", "justice"),
    "Court": ("CT", "justice"),
    "Police custody": ("PC", "justice"),
    "Other justice estate": ("JE", "justice"),
    "Sexual assault referral centre": ("SRC", "specialist"),
    "Optometry service": ("OPT", "other"),
    "Other NHS service": ("NHS", "other"),
}


#: the families counted by default when looking for provision gaps: the partnership's question is youth and
#: community provision (care homes, prison health or GP practices are not provision for young people)
YOUTH_COMMUNITY_FAMILIES = ("youth", "community", "public")


def youth_and_community(types) -> list[str]:
    """The provision types of ``types`` in :data:`YOUTH_COMMUNITY_FAMILIES` (the partners' own types,
    community and public health services), in the given order: the app's default gap filter.

    >>> youth_and_community(["GP practice", "Youth club", "Care home or nursing home", "Community health service"])
    ['Youth club', 'Community health service']
    """
    return [t for t in dict.fromkeys(map(str, types))
            if PROVISION_BADGES.get(t, ("", "youth"))[1] in YOUTH_COMMUNITY_FAMILIES]


def text_on(colour: str) -> str:
    """Black or white, whichever reads better on ``colour`` (WCAG relative luminance)."""
    r, g, b = (v / 255 for v in rgb(colour))
    lum = sum(w * (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
              for w, c in zip((0.2126, 0.7152, 0.0722), (r, g, b)))
    return "#111111" if lum > 0.25 else "#ffffff"


def _initials(kind: str) -> str:
    words = [w for w in str(kind).replace("/", " ").split() if w[:1].isalnum()]
    if words and words[0].isupper() and len(words[0]) <= 3:
        return words[0]
    return "".join(w[0].upper() for w in words[:3]) or "?"


def provision_style(types) -> dict[str, dict[str, str]]:
    """Per provision type: ``badge`` (unique within ``types``), ``colour``, ``text`` (badge text
    colour), ``family`` (plain family name). Partners' own types (not NHS ODS settings) are
    "Youth and community provision" in black with their initials."""
    out: dict[str, dict[str, str]] = {}
    used: set[str] = set()
    for t in dict.fromkeys(map(str, types)):
        badge, fam = PROVISION_BADGES.get(t, (_initials(t), "youth"))
        base, n = badge, 2
        while badge in used:
            badge = f"{base}{n}"
            n += 1
        used.add(badge)
        colour, fam_name = PROVISION_FAMILIES[fam]
        out[t] = {"badge": badge, "colour": colour, "text": text_on(colour), "family": fam_name}
    return out

"""Colours and fonts shared by the app's maps and the PDF profiles.

One palette, so a hot spot is the same red on screen and on paper. Colours are hex strings
(``"#rrggbb"``); :func:`rgb` turns one into an ``(r, g, b)`` tuple of 0-255 ints for fpdf2.

- :data:`GI_BIN_COLOURS`: Getis-Ord Gi* confidence bins -3..3 (ArcGIS Hot Spot Analysis colours:
  99/95/90 % cold spots in blues, not significant pale, 90/95/99 % hot spots in reds).
- :data:`LISA_COLOURS`: local Moran clusters (HH red, LL blue, HL pink, LH light blue, ns grey).
- :data:`TIER_COLOURS`: priority classes from the score (looked up case-insensitively by
  :func:`tier_colour`).
- :data:`BRAND`: the app's brand colours; :data:`FONT_NAME` and :func:`font_path` the font
  (DejaVu Sans, bundled with matplotlib, full Unicode, free to embed).
"""

from __future__ import annotations

from pathlib import Path

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
GI_BIN_LABELS: dict[int, str] = {
    -3: "Cold spot, 99% confidence",
    -2: "Cold spot, 95% confidence",
    -1: "Cold spot, 90% confidence",
    0: "Not significant",
    1: "Hot spot, 90% confidence",
    2: "Hot spot, 95% confidence",
    3: "Hot spot, 99% confidence",
}

#: LISA cluster codes -> colour. Keys accept the short codes and esda's quadrant numbers
#: (1 HH, 2 LH, 3 LL, 4 HL; 0 not significant).
LISA_COLOURS: dict[str, str] = {
    "HH": "#d7191c",
    "LL": "#2c7bb6",
    "HL": "#f4a3c0",
    "LH": "#abd9e9",
    "ns": "#d9d9d9",
}
LISA_LABELS: dict[str, str] = {
    "HH": "High-High (high, among high)",
    "LL": "Low-Low (low, among low)",
    "HL": "High-Low (high outlier)",
    "LH": "Low-High (low outlier)",
    "ns": "Not significant",
}
_LISA_QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL", 0: "ns"}

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


def lisa_code(cluster) -> str:
    """Normalise a LISA cluster value (``"HH"``, ``"High-High"``, 1..4, 0, NaN) to HH/LL/HL/LH/ns."""
    if cluster is None:
        return "ns"
    if isinstance(cluster, int | float):
        if cluster != cluster:  # NaN
            return "ns"
        return _LISA_QUADRANTS.get(int(cluster), "ns")
    s = str(cluster).strip()
    short = s.replace("-", "").replace(" ", "").upper()
    for code, long in (("HH", "HIGHHIGH"), ("LL", "LOWLOW"), ("HL", "HIGHLOW"), ("LH", "LOWHIGH")):
        if short in (code, long):
            return code
    return "ns"


def lisa_colour(cluster) -> str:
    """Colour of a LISA cluster (see :func:`lisa_code`)."""
    return LISA_COLOURS[lisa_code(cluster)]


def tier_colour(tier) -> str:
    """Colour of a priority class; unknown classes get the neutral grey."""
    return TIER_COLOURS.get(str(tier).strip().lower(), TIER_COLOURS["other"])

"""Provision colours a colour-blind reader can tell apart, and badges that never repeat.

The colour-vision simulation is Machado, Oliveira & Fernandes (2009), severity 1.0, applied in linear
sRGB (the matrices for protanopia, deuteranopia and tritanopia); colour difference is CIEDE2000
(Sharma, Wu & Dalal 2005), checked against their published test pairs.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from placebased.io.provision import PRESCRIBING_SETTINGS
from placebased.names import EMERGING_COLOURS
from placebased.outputs import style

MIN_DE2000 = 10.0
MACHADO = {
    "protanopia": np.array(
        [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]]
    ),
    "deuteranopia": np.array(
        [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]
    ),
    "tritanopia": np.array(
        [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]]
    ),
}


def hex2rgb(h):
    h = h.lstrip("#")
    return np.array([int(h[i : i + 2], 16) for i in (0, 2, 4)]) / 255.0


def lin(c):
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def delin(c):
    return np.where(c <= 0.0031308, 12.92 * c, 1.055 * np.clip(c, 0, None) ** (1 / 2.4) - 0.055)


def simulate(rgb, kind):
    if kind == "normal":
        return rgb
    return np.clip(delin(np.clip(MACHADO[kind] @ lin(rgb), 0, 1)), 0, 1)


def lab(rgb):
    l = lin(rgb)
    M = np.array(
        [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]]
    )
    xyz = M @ l / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def de2000(l1, l2):
    L1, a1, b1 = l1
    L2, a2, b2 = l2
    C1 = np.hypot(a1, b1)
    C2 = np.hypot(a2, b2)
    Cb = (C1 + C2) / 2
    G = 0.5 * (1 - np.sqrt(Cb**7 / (Cb**7 + 25**7)))
    a1p, a2p = (1 + G) * a1, (1 + G) * a2
    C1p, C2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    dLp = L2 - L1
    dCp = C2p - C1p
    if C1p * C2p == 0:
        dhp = 0
    else:
        dh = h2p - h1p
        dhp = dh if abs(dh) <= 180 else (dh - 360 if dh > 180 else dh + 360)
    dHp = 2 * np.sqrt(C1p * C2p) * np.sin(np.radians(dhp / 2))
    Lbp = (L1 + L2) / 2
    Cbp = (C1p + C2p) / 2
    if C1p * C2p == 0:
        hbp = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        hbp = (h1p + h2p) / 2
    else:
        hbp = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    T = (
        1
        - 0.17 * np.cos(np.radians(hbp - 30))
        + 0.24 * np.cos(np.radians(2 * hbp))
        + 0.32 * np.cos(np.radians(3 * hbp + 6))
        - 0.20 * np.cos(np.radians(4 * hbp - 63))
    )
    dth = 30 * np.exp(-(((hbp - 275) / 25) ** 2))
    Rc = 2 * np.sqrt(Cbp**7 / (Cbp**7 + 25**7))
    Sl = 1 + 0.015 * (Lbp - 50) ** 2 / np.sqrt(20 + (Lbp - 50) ** 2)
    Sc = 1 + 0.045 * Cbp
    Sh = 1 + 0.015 * Cbp * T
    Rt = -np.sin(np.radians(2 * dth)) * Rc
    return float(np.sqrt((dLp / Sl) ** 2 + (dCp / Sc) ** 2 + (dHp / Sh) ** 2 + Rt * (dCp / Sc) * (dHp / Sh)))


def min_dist(cols):
    worst = (1e9, None)
    for kind in ("normal", "protanopia", "deuteranopia", "tritanopia"):
        labs = [lab(simulate(hex2rgb(c), kind)) for c in cols]
        for i in range(len(cols)):
            for j in range(i + 1, len(cols)):
                d = de2000(labs[i], labs[j])
                if d < worst[0]:
                    worst = (d, (kind, cols[i], cols[j]))
    return worst


def test_ciede2000_matches_sharma_test_pairs():
    pairs = [
        ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
        ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
        ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
        ((22.7233, 20.0904, -46.6940), (23.0331, 14.9730, -42.5619), 2.0373),
    ]
    for l1, l2, expected in pairs:
        assert de2000(np.array(l1), np.array(l2)) == pytest.approx(expected, abs=1e-4)


def test_simulation_keeps_greys_and_is_known_for_pure_red():
    grey = hex2rgb("#808080")
    for kind in MACHADO:
        assert np.allclose(simulate(grey, kind), grey, atol=0.01)
    red_d = simulate(hex2rgb("#ff0000"), "deuteranopia")
    assert red_d[0] > red_d[2] and abs(red_d[0] - red_d[1]) < 0.35  # red becomes a dull olive/brown


@pytest.mark.parametrize("kind", ["normal", "protanopia", "deuteranopia", "tritanopia"])
def test_provision_families_are_distinct_under_colour_vision_deficiency(kind):
    colours = [c for c, _ in style.PROVISION_FAMILIES.values()]
    assert len(set(colours)) == len(colours)
    labs = [lab(simulate(hex2rgb(c), kind)) for c in colours]
    worst = min(
        (de2000(labs[i], labs[j]), colours[i], colours[j]) for i, j in itertools.combinations(range(len(colours)), 2)
    )
    assert worst[0] >= MIN_DE2000, worst


def test_issue_pairs_differ_in_colour_and_badge():
    s = style.provision_style(list(PRESCRIBING_SETTINGS.values()) + ["Youth club", "Youth centre"])
    badges = [v["badge"] for v in s.values()]
    assert len(set(badges)) == len(badges)  # "CH" no longer stands for two things
    assert s["Care home or nursing home"]["badge"] != s["Community health service"]["badge"]
    assert s["Prison health service"]["badge"] != s["Public health service"]["badge"]
    assert s["GP practice"]["colour"] != s["Urgent and emergency care"]["colour"]
    assert s["Care home or nursing home"]["colour"] != s["Community health service"]["colour"]
    assert s["Prison health service"]["colour"] != s["Public health service"]["colour"]


def test_badge_text_is_readable_on_its_colour():
    for colour, _ in style.PROVISION_FAMILIES.values():
        text = style.text_on(colour)
        l_bg = lab(hex2rgb(colour))[0]
        l_tx = lab(hex2rgb(text))[0]
        assert abs(l_bg - l_tx) >= 40, (colour, text)


@pytest.mark.parametrize("kind", ["normal", "protanopia", "deuteranopia", "tritanopia"])
def test_new_and_consecutive_emerging_classes_differ(kind):
    for side in ("hot", "cold"):
        a = lab(simulate(hex2rgb(EMERGING_COLOURS[f"new {side} spot"]), kind))
        b = lab(simulate(hex2rgb(EMERGING_COLOURS[f"consecutive {side} spot"]), kind))
        assert de2000(a, b) >= MIN_DE2000, (side, kind)

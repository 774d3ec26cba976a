"""The differencing attack on public outputs (issue 12, item 3).

A reader collects every public output made from the same data — the public profiles of area A,
of area B and of the group A+B (page 1 and the members table on page 2) and the workshop table
and cards for A and B — turns each published text into the range of true counts it allows, and
solves for the hidden values exactly (integer programming over whole, non-negative counts, the
strongest linear attack: it covers "13 - 7 = 6", "total minus shown cells" and every combination
of them). The attacker here is written independently of :mod:`placebased.score.disclosure` and knows
the published rules (counts rounded to the nearest 5, halves up; 1-4 shown as "<5"; sensitive
categories hidden below 10 and never in a total; "*" any value).

The assertion: every hidden value (each "<5", each sensitive "not shown", each hidden total or
month) still has at least two values consistent with everything published. A sanity test shows
the same attacker recovers the hidden counts from the analyst (non-public) outputs, the issue's
example.

Edge cases: two small cells that add up to a rounding boundary (4 + 4 = 8, published "10"),
a sensitive count of 1 in one member only, months that add up to the total, an area with no
incidents, and real shipped data for three pairs of neighbouring areas.
"""

from __future__ import annotations

import math
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.optimize import LinearConstraint, milp

from placebased.categories import is_sensitive
from placebased.outputs.report import pdf_text
from placebased.pipeline import workshop_table
from placebased.profile_record import ProfileContext, profile_figures, render_profile
from placebased.stats.aggregate import count_incidents

T, ST, BASE = 5, 10, 5
INF = math.inf


# ---------------------------------------------------------------------------------------------
# the reader: published text -> range of the true count


def text_range(text: str, sensitive: bool) -> tuple[float, float]:
    t = str(text).strip().replace(",", "")
    if t == "*":
        return 0.0, INF
    if t in ("not shown", f"<{ST}") and sensitive:
        return 0.0, ST - 1.0
    if t == f"<{T}":
        return 1.0, T - 1.0
    r = float(t)
    if r == 0:
        return 0.0, 0.0
    lo = max(r - BASE // 2, ST if sensitive else T)
    return float(lo), r + BASE // 2


class Reader:
    """Collects facts ``sum(terms) in [lo, hi]`` over unknown whole counts and attacks them."""

    def __init__(self):
        self.facts: list[tuple[tuple, float, float]] = []
        self.links: list[tuple[tuple, tuple]] = []
        self.hidden: list[tuple] = []

    def add(self, terms, text, sensitive=False):
        lo, hi = text_range(text, sensitive)
        self.facts.append((tuple(terms), lo, hi))
        if not re.fullmatch(r"[\d,]+", str(text).strip()):
            self.hidden.append(tuple(terms))

    def ranges(self, targets=None) -> dict[tuple, tuple[float, float]]:
        var: dict = {}
        for terms, _, _ in self.facts:
            for v in terms:
                var.setdefault(v, len(var))
        for a, b in self.links:
            for v in (*a, *b):
                var.setdefault(v, len(var))
        n = len(var)
        rows, lb, ub = [], [], []
        for terms, lo, hi in self.facts:
            r = np.zeros(n)
            for v in terms:
                r[var[v]] += 1
            rows.append(r), lb.append(lo), ub.append(hi)
        for a, b in self.links:
            r = np.zeros(n)
            for v in a:
                r[var[v]] += 1
            for v in b:
                r[var[v]] -= 1
            rows.append(r), lb.append(0), ub.append(0)
        cons = LinearConstraint(np.array(rows), lb, ub)
        out = {}
        for tg in dict.fromkeys(targets if targets is not None else self.hidden):
            c = np.zeros(n)
            for v in tg:
                c[var[v]] += 1
            lo = milp(c, constraints=cons, integrality=np.ones(n), bounds=(0, np.inf))
            hi = milp(-c, constraints=cons, integrality=np.ones(n), bounds=(0, np.inf))
            assert lo.status == 0, ("published figures inconsistent with the reader's model", tg, lo.message)
            out[tg] = (round(lo.fun), INF if hi.status == 3 else round(-hi.fun))
        return out


# ---------------------------------------------------------------------------------------------
# reading the public outputs


def read_profile(reader: Reader, figs: dict, codes: list[str], cats: list[str], pdf: str | None = None):
    """Facts from one public profile (figures as drawn; with ``pdf``, checked against its text)."""
    plain = [c for c in cats if not is_sensitive(c)]
    for c in figs["categories"]:
        cat = c["category"]
        reader.add([(a, "cat", cat) for a in codes], c["text"], is_sensitive(cat))
        if c["rate"] is not None:  # rates come from the published (rounded) count, nothing more
            assert c["rate"] * figs["population"] / 1000 == pytest.approx(float(c["text"].replace(",", "")))
        if pdf is not None:
            assert any(ln.startswith(cat) and c["text"] in ln for ln in pdf.splitlines()), (cat, c["text"])
    reader.add([(a, "cat", k) for a in codes for k in plain], figs["total"]["text"])
    if pdf is not None:
        assert re.search(r"Total[^:\n]*: " + re.escape(figs["total"]["text"]) + r"\n", pdf)
    for m in figs["months"]:
        reader.add([(a, "month", m["month"]) for a in codes], m["text"])
    if len(codes) > 1:  # page 2: every member's total, as in its own profile
        for code, (text, _v) in figs["member_totals"].items():
            reader.add([(code, "cat", k) for k in plain], text)


def read_workshop(reader: Reader, table: pd.DataFrame, cats: list[str]):
    plain = [c for c in cats if not is_sensitive(c)]
    for code, row in table.iterrows():
        for c in cats:
            if c in table.columns:
                reader.add([(code, "cat", c)], row[c], is_sensitive(c))
        reader.add([(code, "cat", k) for k in plain], row["total"])


def attack(ctx: ProfileContext, a: str, b: str, pdfs: bool = False) -> tuple[Reader, dict]:
    cats = [c for c in ctx.counts.columns if c != "total"]
    r = Reader()
    shown = {}
    for codes in ([a], [b], [a, b]):
        figs = profile_figures(ctx, codes, public=True)
        text = pdf_text(render_profile(ctx, codes, public=True)) if pdfs else None
        read_profile(r, figs, codes, cats, text)
        shown[tuple(codes)] = figs
    table = workshop_table(ctx.counts, select=[a, b])
    read_workshop(r, table, cats)
    # the workshop shows each area exactly as its own public profile does
    for code in (a, b):
        prof = {c["category"]: c["text"] for c in shown[(code,)]["categories"]}
        for c in cats:
            if c in table.columns and not is_sensitive(c):
                assert table.loc[code, c] == prof[c], (code, c)
        assert table.loc[code, "total"] == shown[(code,)]["total"]["text"]
    # months and categories count the same incidents (the reader knows the sums agree)
    plain = [c for c in cats if not is_sensitive(c)]
    for code in (a, b):
        months = [m["month"] for m in shown[(code,)]["months"]]
        if months:
            r.links.append((tuple((code, "cat", k) for k in plain), tuple((code, "month", m) for m in months)))
    return r, shown


def assert_nothing_recovered(reader: Reader, truth: dict | None = None):
    assert reader.hidden, "the case should hide something"
    for tg, (lo, hi) in reader.ranges().items():
        assert hi - lo >= 1, f"hidden value {tg} recovered exactly: {lo}"
        if truth is not None:
            assert lo <= sum(truth.get(v, 0) for v in tg) <= hi, (tg, lo, hi)


# ---------------------------------------------------------------------------------------------
# the hand-made case of the issue


def _areas(n: int) -> gpd.GeoDataFrame:
    codes = [f"E0100000{i}" for i in range(1, n + 1)]
    geoms = [shapely.box(500000 + 1000 * i, 250000, 501000 + 1000 * i, 251000) for i in range(n)]
    frame = pd.DataFrame({"area_name": [f"Toytown {i:03d}A" for i in range(1, n + 1)], "lad_code": "E06999999",
                          "lad_name": "Toytown", "population": [1000 + 100 * i for i in range(n)]},
                         index=pd.Index(codes, name="area_code"))
    return gpd.GeoDataFrame(frame, geometry=geoms, crs="EPSG:27700")


def _ctx(rows: dict[str, dict[str, int]], months: dict[str, dict[str, dict[str, int]]] | None = None):
    from placebased.outputs.staticmap import MapData

    areas = _areas(len(rows))
    counts = pd.DataFrame.from_dict(rows, orient="index").reindex(areas.index).fillna(0).astype(int)
    counts["total"] = counts.sum(axis=1)
    recs = []
    for code, per in (months or {}).items():
        for month, cats in per.items():
            recs += [{"area_code": code, "month": month, "category": c, "count": float(v)} for c, v in cats.items()]
    monthly = pd.DataFrame(recs, columns=["area_code", "month", "category", "count"])
    return ProfileContext(areas=areas, counts=counts, monthly=monthly if len(monthly) else None,
                          map_data=MapData.build(areas), county_name="Toytown"), counts


ISSUE = {  # B's robbery 6 sits behind a "*" in the analyst profile; B has one sexual-violence record
    "E01000001": {"Robbery": 7, "Burglary": 20, "Drugs": 8, "Sexual violence": 0},
    "E01000002": {"Robbery": 6, "Burglary": 9, "Drugs": 0, "Sexual violence": 1},
    "E01000003": {"Robbery": 30, "Burglary": 40, "Drugs": 12, "Sexual violence": 14},
}
ISSUE_MONTHS = {
    "E01000001": {"2025-01": {"Robbery": 3, "Burglary": 12, "Drugs": 8}, "2025-02": {"Robbery": 4, "Burglary": 8}},
    "E01000002": {"2025-01": {"Robbery": 6, "Burglary": 1, "Sexual violence": 1}, "2025-02": {"Burglary": 8}},
    "E01000003": {"2025-01": {"Robbery": 30, "Burglary": 40, "Drugs": 12, "Sexual violence": 14}},
}


def _truth(counts: pd.DataFrame, ctx: ProfileContext) -> dict:
    out = {(a, "cat", c): float(v) for a, row in counts.drop(columns="total").iterrows() for c, v in row.items()}
    if ctx.monthly is not None:
        m = ctx.monthly[~ctx.monthly["category"].map(is_sensitive)]
        for (a, mo), v in m.groupby(["area_code", "month"])["count"].sum().items():
            out[(a, "month", mo)] = float(v)
    return out


def test_attacker_recovers_hidden_counts_from_analyst_outputs():
    """Sanity: the issue's attack works on the old (non-public) rule, so the attacker is real."""
    ctx, counts = _ctx(ISSUE)
    r = Reader()
    cats = [c for c in counts.columns if c != "total"]
    for codes in (["E01000001"], ["E01000002"], ["E01000001", "E01000002"]):
        figs = profile_figures(ctx, codes)  # analyst profile: exact counts, "<5", "*"
        for c in figs["categories"]:
            t = c["text"]
            lo, hi = (1, 4) if t == "<5" else (5, INF) if t == "*" else (float(t),) * 2
            r.facts.append((tuple((a, "cat", c["category"]) for a in codes), lo, hi))
            if t in ("<5", "*"):
                r.hidden.append(tuple((a, "cat", c["category"]) for a in codes))
        r.facts.append((tuple((a, "cat", k) for a in codes for k in cats), float(figs["total"]["text"]),
                        float(figs["total"]["text"])))
    got = r.ranges()
    assert got[(("E01000002", "cat", "Robbery"),)] == (6, 6)  # 13 - 7
    assert got[(("E01000002", "cat", "Sexual violence"),)] == (1, 1)  # then B's total minus the rest


def test_issue_case_public_outputs_recover_nothing():
    ctx, counts = _ctx(ISSUE, ISSUE_MONTHS)
    r, shown = attack(ctx, "E01000001", "E01000002", pdfs=True)
    assert_nothing_recovered(r, _truth(counts, ctx))
    # what is published: rounded counts, "<5", the sensitive count hidden and out of every total
    a = {c["category"]: c["text"] for c in shown[("E01000001",)]["categories"]}
    b = {c["category"]: c["text"] for c in shown[("E01000002",)]["categories"]}
    g = {c["category"]: c["text"] for c in shown[("E01000001", "E01000002")]["categories"]}
    assert a["Robbery"] == "5" and b["Robbery"] == "5" and g["Robbery"] == "15"
    assert b["Sexual violence"] == "not shown" and g["Sexual violence"] == "not shown"
    assert shown[("E01000002",)]["total"]["text"] == "15"  # 6 + 9 = 15, the 1 left out
    # B's robbery: 15 - 5 leaves 6..12 from the group alone; with B's own "5" still 6 or 7
    lo, hi = r.ranges([(("E01000002", "cat", "Robbery"),)])[(("E01000002", "cat", "Robbery"),)]
    assert (lo, hi) == (6, 7)


@pytest.mark.parametrize("rows", [
    # two small cells at a rounding boundary in one row (row total 8 -> "10")
    {"E01000001": {"Robbery": 4, "Drugs": 4}, "E01000002": {"Robbery": 1, "Drugs": 12}},
    # every cell small, group of two
    {"E01000001": {"Robbery": 1, "Drugs": 2, "Burglary": 3}, "E01000002": {"Robbery": 4, "Drugs": 1, "Burglary": 4}},
    # a sensitive category shown in the group only (4 + 9 = 13 >= 10) and one area with no incidents
    {"E01000001": {"Rape": 4, "Robbery": 7, "Domestic abuse": 12}, "E01000002": {"Rape": 9, "Robbery": 0}},
    {"E01000001": {"Stalking": 10, "Burglary": 23, "Drugs": 3}, "E01000002": {"Stalking": 1, "Burglary": 2}},
    {"E01000001": {"Robbery": 0, "Drugs": 0}, "E01000002": {"Robbery": 3, "Drugs": 8}},
])
def test_hand_made_cases_recover_nothing(rows):
    ctx, counts = _ctx(rows)
    r, _ = attack(ctx, "E01000001", "E01000002")
    assert_nothing_recovered(r, _truth(counts, ctx))


def test_group_cell_withheld_where_it_would_pin_members():
    # A and B each hold 4: the group's 8 would be published "10" and pin both (8 = 4 + 4)
    ctx, _ = _ctx({"E01000001": {"Drugs": 4, "Burglary": 20}, "E01000002": {"Drugs": 4, "Burglary": 9}})
    figs = [profile_figures(ctx, codes, public=True) for codes in (["E01000001"], ["E01000002"],
                                                                   ["E01000001", "E01000002"])]
    drugs = [{c["category"]: c["text"] for c in f["categories"]}["Drugs"] for f in figs]
    assert drugs == ["<5", "<5", "*"]


def test_random_pairs_recover_nothing():
    rng = np.random.default_rng(20251201)
    cats = ["Robbery", "Drugs", "Burglary", "Sexual offences"]
    checked = 0
    for _ in range(12):
        rows = {f"E0100000{i}": {c: int(rng.choice([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 14])) for c in cats}
                for i in (1, 2)}
        months = {code: {"2025-01": {c: v // 2 for c, v in row.items()},
                         "2025-02": {c: v - v // 2 for c, v in row.items()}} for code, row in rows.items()}
        ctx, counts = _ctx(rows, months)
        r, _ = attack(ctx, "E01000001", "E01000002")
        if r.hidden:
            assert_nothing_recovered(r, _truth(counts, ctx))
            checked += 1
    assert checked >= 8


# ---------------------------------------------------------------------------------------------
# real shipped data


@pytest.fixture(scope="module")
def real_ctx(areas, police):
    res = count_incidents(police.points, areas)
    return ProfileContext(areas=areas, counts=res.counts, monthly=res.monthly, county_name="Northamptonshire")


def _neighbour_pairs(areas, counts, n: int = 3) -> list[tuple[str, str]]:
    """Neighbouring areas that both have small cells (the interesting case), chosen deterministically."""
    cats = [c for c in counts.columns if c != "total"]
    small = ((counts[cats] > 0) & (counts[cats] < T)).sum(axis=1)
    busy = small[small >= 4].index
    pairs = []
    sidx = areas.sindex
    for code in sorted(busy):
        for j in sidx.query(areas.geometry[code], predicate="touches"):
            other = areas.index[j]
            if other in busy and other > code and all(code not in p and other not in p for p in pairs):
                pairs.append((code, other))
                break
        if len(pairs) == n:
            break
    return pairs


def test_real_data_pairs_recover_nothing(real_ctx, areas):
    pairs = _neighbour_pairs(areas, real_ctx.counts)
    assert len(pairs) == 3
    for a, b in pairs:
        r, shown = attack(real_ctx, a, b)
        assert len(r.hidden) >= 4
        assert_nothing_recovered(r, _truth(real_ctx.counts.loc[[a, b]], real_ctx))
        # nothing exact is published: every shown count is a multiple of 5
        for figs in shown.values():
            for c in figs["categories"]:
                if c["status"] == "show":
                    assert float(c["text"].replace(",", "")) % BASE == 0

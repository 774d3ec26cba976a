"""The shipped England-wide lookups (LSOA 2021 -> local authority 2024 -> police force area) and
the place names used in comparisons. Edge cases: the best-fit ward oddity (E01027305), London's two
forces, the 2023 unitary authorities, names given loosely, codes of 2011 LSOAs."""

from __future__ import annotations

import pandas as pd

from placebased.io import geography as G  # noqa: N812


def test_every_english_authority_has_exactly_one_force():
    lad = pd.read_csv(G.LAD_PFA_FILE, dtype=str)
    assert len(lad) == 296 and lad["LAD24CD"].is_unique and lad["LAD24CD"].str.startswith("E").all()
    assert lad["PFA_NM"].notna().all() and lad.groupby("LAD24CD")["PFA_NM"].nunique().eq(1).all()
    assert len(G.forces()) == 39  # 37 territorial forces + Metropolitan Police + City of London Police
    by = lad.set_index("LAD24NM")["PFA_NM"]
    for la in ("Leicester", "Rutland", "Charnwood", "Oadby and Wigston", "Melton"):
        assert by[la] == "Leicestershire", la
    assert by["North Northamptonshire"] == by["West Northamptonshire"] == "Northamptonshire"
    assert by["City of London"] == "City of London" and by["Camden"] == "Metropolitan Police"
    assert by["Westmorland and Furness"] == "Cumbria" and by["Somerset"] == "Avon and Somerset"
    assert by["Isle of Wight"] == "Hampshire" and by["Milton Keynes"] == "Thames Valley"
    assert (lad.groupby("PFA_NM").size() >= 1).all()


def test_every_english_lsoa_has_an_authority_and_a_force():
    t = G.lsoa_table()
    assert len(t) == 33_755 and t.index.is_unique
    assert t["LAD24CD"].notna().all() and t["PFA_NM"].notna().all()
    assert t.loc["E01027305", "LAD24NM"] == "West Northamptonshire"  # not the best-fit ward's Cherwell
    assert (t["PFA_NM"] == "Northamptonshire").sum() == 443


def test_resolving_names_and_selecting():
    assert G.resolve_authorities(["leicester", "E06000017", "Leicester"]) == ["E06000016", "E06000017"]
    assert G.resolve_forces(["Leicestershire Police", "Met"]) == ["Leicestershire", "Metropolitan Police"]
    leics = G.select_lsoas(force=["Leicestershire"])
    city = G.select_lsoas(la=["Leicester"])
    assert set(city.index) < set(leics.index) and set(leics["LAD24NM"]) >= {"Leicester", "Rutland", "Blaby"}
    assert "Leicestershire police force area" in G.describe_selection(leics)


def test_areas_of_either_vintage_and_comparisons():
    codes = pd.Index(["E01013648", "E01027305"])  # Leicester, West Northamptonshire
    info = G.area_authorities(pd.DataFrame(index=codes))
    assert list(info["lad_name"]) == ["Leicester", "West Northamptonshire"]
    assert list(info["force"]) == ["Leicestershire", "Northamptonshire"]
    split11 = pd.read_csv(G.LSOA11_LOOKUP_FILE, dtype=str).query("CHGIND == 'S' and LAD22CD == 'E06000016'")
    assert G.lsoa21_codes(split11["LSOA11CD"].iloc[:1]).notna().all()
    comp = G.comparisons(pd.DataFrame(index=["E01013648", "E01013649"]))
    assert [c.label for c in comp] == ["Leicester (local authority)", "Leicestershire (police force area)",
                                       "England"]
    assert len(comp[0].codes) == len(G.select_lsoas(la=["Leicester"])) and len(comp[2].codes) == 33_755

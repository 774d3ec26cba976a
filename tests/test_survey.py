"""Community-voice coverage: locating by postcode, coverage shares, the representativeness index,
outreach areas, unlocated rows (row and reason only) and suppression of published counts.

Edge cases: a partial postcode ("AA1"), a blank one, one not in the directory, one outside the
areas, a directory giving the LSOA directly and one giving only coordinates, ages in years and as
band labels, a band that is not one of the shipped ones, deciles with no residents.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from placebased.cli import main
from placebased.errors import SchemaError
from placebased.outputs.survey_map import outreach_png
from placebased.score.survey import AGE_COLUMNS, DECILE_COLUMNS, age_band, survey_coverage

A, B = "E01027153", "E01027154"  # real LSOA 2021 codes, each exactly one LSOA 2011 (mid-2020 bands by hand)
AGE_RESIDENTS = {"0-9": 266 + 295, "10-17": 322 + 177, "18-24": 560 + 276,
                 "25 and over": (2707 - 266 - 882) + (2051 - 295 - 453)}


def _areas():
    return gpd.GeoDataFrame(
        {"area_name": ["Area A", "Area B"], "lad_name": ["West", "West"], "imd_decile": [1, 10],
         "population": [1000, 3000]},
        geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)],
        index=pd.Index([A, B], name="area_code"), crs="EPSG:27700",
    )


@pytest.fixture()
def directory(tmp_path):
    f = tmp_path / "onspd.csv"
    f.write_text("pcds,oseast1m,osnrth1m,lsoa21cd\n"
                 f"AA1 1AA,,,{A}\n"          # LSOA given
                 "AA1 1AB,1500,500,\n"       # coordinates only: falls in B
                 "AA1 1AC,9000,9000,\n")     # outside both areas
    return f


def _responses():
    return pd.DataFrame({
        "Postcode": ["aa1 1aa", "AA11AA", "AA1 1AA", "AA1 1AB", "AA1", "", "ZZ1 1ZZ", "AA1 1AC"],
        "Age": ["12", "20", "30", "16", "40", "17", "50", "60"],
        "Comment": ["private"] * 8,
    })


def test_coverage_by_hand(directory):
    r = survey_coverage(_responses(), areas=_areas(), postcodes=directory)
    d = r.to_frame(public=False).set_index("imd_decile")
    assert list(r.by_decile.columns) == DECILE_COLUMNS and list(d.index) == list(range(1, 11))
    assert d.loc[1, "responses"] == 3 and d.loc[10, "responses"] == 1 and d["responses"].sum() == 4
    assert d.loc[1, "share_responses"] == pytest.approx(0.75) and d.loc[10, "share_responses"] == pytest.approx(0.25)
    assert d.loc[1, "residents"] == 1000 and d.loc[10, "residents"] == 3000 and d.loc[5, "residents"] == 0
    assert d.loc[1, "share_residents"] == pytest.approx(0.25) and d.loc[10, "share_residents"] == pytest.approx(0.75)
    # D = 1/2 (|0.75 - 0.25| + |0.25 - 0.75|) = 0.5
    assert r.index("decile") == pytest.approx(0.5)
    a = r.age_frame(public=False).set_index("age_band")
    assert list(r.by_age.columns) == AGE_COLUMNS
    assert a["responses"].to_dict() == {"0-9": 0, "10-17": 2, "18-24": 1, "25 and over": 1}
    assert a["residents"].to_dict() == AGE_RESIDENTS
    total = sum(AGE_RESIDENTS.values())
    shares = {k: v / total for k, v in AGE_RESIDENTS.items()}
    assert a["share_residents"].to_dict() == pytest.approx(shares)
    d_age = 0.5 * sum(abs(a.loc[k, "share_responses"] - shares[k]) for k in shares)
    assert r.index("age") == pytest.approx(1 - d_age)
    rep = r.representativeness_frame().set_index("breakdown")
    assert rep.loc["imd_decile", "representativeness_index"] == pytest.approx(0.5)
    assert rep.loc["age_band", "dissimilarity_index"] == pytest.approx(d_age)


def test_unlocated_rows_and_reasons(directory):
    r = survey_coverage(_responses(), areas=_areas(), postcodes=directory)
    u = r.unlocated
    assert list(u.columns) == ["row", "reason"]  # never the postcode or any other answer
    assert u.to_dict("list") == {"row": [6, 7, 8, 9], "reason": [
        "partial or malformed postcode", "no postcode given", "postcode not in the postcode table",
        "postcode outside the areas"]}
    assert r.responses_read == 8 and r.located == 4
    assert any("not located" in n for n in r.notes)


def test_outreach_and_public_tables(directory):
    r = survey_coverage(_responses(), areas=_areas(), postcodes=directory)
    out = r.outreach()
    assert out["area_code"].tolist() == [A] and out["responses"].tolist() == ["<5"]  # decile 1, 3 responses
    pub = r.to_frame().set_index("imd_decile")
    assert pub.loc[1, "responses"] == "<5" and pub.loc[1, "share_responses"] == ""
    assert pub.loc[5, "responses"] == "0"
    big = pd.DataFrame({"postcode": ["AA1 1AA"] * 12 + ["AA1 1AB"] * 3})
    pub2 = survey_coverage(big, areas=_areas(), postcodes=directory).to_frame().set_index("imd_decile")
    # 3 in decile 10 is small; the 12 is published rounded ("10") beside a rounded total of 15, so the
    # difference (1 to 9) no longer pins the hidden 3: it stays shown, with the share of the rounded counts
    assert pub2.loc[10, "responses"] == "<5" and pub2.loc[1, "responses"] == "10"
    assert pub2.loc[1, "share_responses"] == "0.6667" and pub2.loc[10, "share_responses"] == ""
    png = outreach_png(r.outreach_map_data(), _areas())
    assert png[:4] == b"\x89PNG"


def test_age_bands():
    assert age_band(pd.Series(["9", "10", "17", "18", "24", "25", "x", None]), None).tolist() == [
        "0-9", "10-17", "10-17", "18-24", "18-24", "25 and over", pd.NA, pd.NA]
    assert age_band(None, pd.Series(["18 to 24", "25+", "10 - 17", "16-24", "0-9"])).tolist() == [
        "18-24", "25 and over", "10-17", pd.NA, "0-9"]


def test_errors(tmp_path):
    with pytest.raises(SchemaError, match="no postcode column"):
        survey_coverage(pd.DataFrame({"where": ["x"]}), areas=_areas())
    bad = tmp_path / "d.csv"
    bad.write_text("pcds,foo\nAA1 1AA,1\n")
    with pytest.raises(SchemaError, match="needs a postcode column"):
        survey_coverage(_responses(), areas=_areas(), postcodes=bad)
    with pytest.raises(Exception, match="survey responses file not found"):
        survey_coverage(tmp_path / "none.csv", areas=_areas())


def test_shipped_postcodes_real_areas():
    r = survey_coverage(pd.DataFrame({"postcode": ["NN17 1TR", "nn171tr", "NN17 1ZZ"]}))
    d = r.to_frame(public=False)
    assert d["responses"].sum() == 2 and r.per_area.loc["E01026949", "responses"] == 2
    assert d["residents"].sum() == r.per_area["residents"].sum()
    assert np.isclose(d["share_residents"].sum(), 1.0)


def test_cli_survey(tmp_path, capsys):
    from placebased.io.postcodes import postcode_table

    pcs = postcode_table().sample(400, random_state=7)["Postcode"].tolist() + ["NN1", "", "=HYPERLINK(1)"]
    ages = [str(10 + i % 70) for i in range(len(pcs))]
    f = tmp_path / "survey.csv"
    pd.DataFrame({"postcode": pcs, "age": ages, "comment": ["secret"] * len(pcs)}).to_csv(f, index=False)
    out = tmp_path / "cov"
    assert main(["survey", "--responses", str(f), "--out", str(out)]) == 0
    dec = pd.read_csv(out / "coverage_by_decile.csv", dtype=str)
    assert list(dec.columns) == DECILE_COLUMNS and len(dec) == 10
    age = pd.read_csv(out / "coverage_by_age.csv", dtype=str)
    assert list(age.columns) == AGE_COLUMNS
    un = pd.read_csv(out / "unlocated.csv")
    assert list(un.columns) == ["row", "reason"] and len(un) == 3
    text = "".join(p.read_text() for p in out.glob("*.csv"))
    assert "secret" not in text and "HYPERLINK" not in text and "NN1," not in text
    assert (out / "outreach_map.png").read_bytes()[:4] == b"\x89PNG"
    outreach = pd.read_csv(out / "outreach_areas.csv", dtype=str)
    assert set(outreach["imd_decile"]) <= {"1", "2"} and set(outreach["responses"]) <= {"0", "<5"}
    err = capsys.readouterr().err
    assert "Representativeness by deprivation" in err

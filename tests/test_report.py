"""PDF area profiles (placebased.profile_record computes, placebased.outputs.report draws).

Edge cases covered: small counts (primary and secondary suppression), an area with no incidents,
a public profile with a sensitive category, missing optional parts (no hot spots, scores,
provision: the profile says "not available"), a group profile (its table on page 1 when small, on
page 2 when many), unknown codes, the "what this means" sentence, a group's deciles as a distribution,
public profiles without statistic names, the "Did it work?" section, and the real shipped data (names,
codes, figures in the extracted text; pages render).
"""

from __future__ import annotations

import io
import shutil
import subprocess

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pypdf import PdfReader

from placebased.errors import ConfigError, DataError
from placebased.outputs.report import pdf_text
from placebased.outputs.staticmap import MapData
from placebased.profile_record import (
    ProfileContext,
    disclose,
    evaluate_profile,
    profile_figures,
    profile_record,
    render_profile,
    write_profiles_each,
)

CODES = [f"E0100000{i}" for i in range(1, 10)]


def _toy_areas() -> gpd.GeoDataFrame:
    """3 x 3 grid of 1 km squares with hand-made indicators."""
    geoms = [shapely.box(500000 + 1000 * (i % 3), 250000 + 1000 * (i // 3), 501000 + 1000 * (i % 3),
                         251000 + 1000 * (i // 3)) for i in range(9)]
    frame = pd.DataFrame({
        "area_name": [f"Toytown {i:03d}A" for i in range(1, 10)],
        "lad_code": "E06999999", "lad_name": "Toytown",
        "population": [1000, 1500, 1200, 1800, 1600, 1400, 1100, 1300, 1700],
        "aged_10_24": [150.0] * 9,
        "imd_score": np.linspace(40, 5, 9), "imd_rank": np.arange(1, 10) * 3000,
        "imd_decile": [1, 1, 2, 3, 5, 6, 8, 9, 10], "income_decile": [1, 2, 2, 3, 4, 6, 7, 9, 10],
    }, index=pd.Index(CODES, name="area_code"))
    return gpd.GeoDataFrame(frame, geometry=geoms, crs="EPSG:27700")


def _toy_ctx() -> ProfileContext:
    areas = _toy_areas()
    counts = pd.DataFrame(0, index=areas.index, columns=["Robbery", "Drugs", "Violence and sexual offences", "Rape"])
    counts.loc["E01000001"] = [3, 7, 20, 0]
    counts.loc["E01000002"] = [12, 9, 30, 3]
    counts.loc["E01000003"] = [0, 0, 0, 0]  # an area with no incidents
    counts.loc["E01000004":] = [6, 6, 25, 12]
    counts["total"] = counts.sum(axis=1)
    monthly = pd.DataFrame({"area_code": ["E01000001"] * 3 + ["E01000002"] * 2,
                            "month": ["2025-01", "2025-02", "2025-03", "2025-01", "2025-03"],
                            "category": ["Violence and sexual offences", "Violence and sexual offences", "Robbery",
                                         "Rape", "Drugs"],
                            "count": [12.0, 8.0, 3.0, 3.0, 9.0]})
    return ProfileContext(areas=areas, counts=counts, monthly=monthly, map_data=MapData.build(areas),
                          county_name="Toytown", england={"imd_decile": 5.5, "income_decile": 5.5, "n_lsoa": 33755},
                          notes={"E01000001": ["Chosen by the board: youth violence concern"]})


def _lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.splitlines()]


def test_disclose_primary_and_secondary():
    v = pd.Series({"a": 3, "b": 7, "c": 20, "d": 0})
    status, total = disclose(v, 5, total=30)
    assert status.to_dict() == {"a": "primary", "b": "secondary", "c": "show", "d": "show"}
    assert total == "show"
    status, total = disclose(pd.Series({"a": 3, "b": 0}), 5, total=3)
    assert status["a"] == "primary" and total != "show"
    status, _ = disclose(pd.Series({"a": 3, "b": 7}), 10, total=None)
    assert status.tolist() == ["primary", "primary"]
    with pytest.raises(ConfigError):
        disclose(v, 0)


def test_figures_suppress_small_counts_and_rates():
    ctx = _toy_ctx()
    f = profile_figures(ctx, ["E01000001"])
    cats = {c["category"]: c for c in f["categories"]}
    assert cats["Robbery"]["text"] == "<5" and cats["Robbery"]["rate"] is None and cats["Robbery"]["ratio"] is None
    assert cats["Drugs"]["text"] == "*"  # next smallest hidden so total - others does not give Robbery away
    assert cats["Violence and sexual offences"]["text"] == "20"
    assert f["total"]["text"] == "30"
    # the order of the list never ranks hidden values among themselves by their true size
    assert [c["category"] for c in f["categories"]][0] == "Violence and sexual offences"
    months = {m["month"]: m["text"] for m in f["months"]}
    assert months == {"2025-01": "12", "2025-02": "8", "2025-03": "<5"} or "<5" in months.values()


def test_profile_text_holds_names_codes_and_suppression():
    ctx = _toy_ctx()
    data = render_profile(ctx, ["E01000001"])
    assert data[:5] == b"%PDF-"
    text = pdf_text(data)
    for expected in ("Toytown 001A", "E01000001", "Toytown (E06999999)", "1,000", "Robbery", "<5",
                     "Total: 30", "Disclosure control", "Chosen by the board"):
        assert expected in text, expected
    lines = _lines(text)
    assert any(ln.startswith("Robbery") and "<5" in ln for ln in lines)
    assert not any(ln.startswith("Robbery") and " 3" in ln for ln in lines)
    # optional parts missing -> said so, no crash
    assert "Hot spot statistics not available" in text
    assert "Priority score not available" in text
    assert "Provision data not available" in text


def test_pdf_metadata_title_language_and_font():
    import io

    from pypdf import PdfReader

    data = render_profile(_toy_ctx(), ["E01000002"])
    reader = PdfReader(io.BytesIO(data))
    assert reader.metadata.title == "Area profile: Toytown 002A"
    assert b"/Lang (en-GB)" in data or b"/Lang(en-GB)" in data
    fonts = {str(f) for page in reader.pages for f in page["/Resources"]["/Font"].values()}
    assert fonts  # embedded TTF
    assert b"DejaVu" in data
    assert len(reader.pages) == 1


def test_area_without_incidents_is_sensible():
    text = pdf_text(render_profile(_toy_ctx(), ["E01000003"]))
    assert "Toytown 003A" in text and "Total: 0" in text
    assert "<5" not in text.split("Disclosure control")[0]


def test_public_profile_withholds_sensitive_category():
    ctx = _toy_ctx()
    private = pdf_text(render_profile(ctx, ["E01000002"]))
    public = pdf_text(render_profile(ctx, ["E01000002"], public=True))
    assert any(ln.startswith("Rape") for ln in _lines(private))
    assert any(ln.startswith("Rape") and "not shown" in ln for ln in _lines(public))
    # 12 + 9 + 30 = 51, Rape left out; public figures are rounded to base 5 (issue 12: differencing)
    assert "Total (sensitive categories not included): 50" in public and "51" not in public
    assert "PUBLIC VERSION" in public
    # large sensitive counts are shown in public
    f = profile_figures(ctx, ["E01000005"], public=True)
    assert {c["category"]: c["text"] for c in f["categories"]}["Rape"] == "10"  # 12, rounded to base 5


def test_group_profile_has_member_table_and_protects_members():
    ctx = _toy_ctx()
    data = render_profile(ctx, ["E01000001", "E01000002", "E01000003"], group_name="Toy ward")
    text = pdf_text(data)
    assert "Toy ward" in text and "3 areas" in text and "The 3 areas of this profile" in text
    assert "Toytown 003A" in text


def test_small_group_fits_one_page_with_its_table():
    data = render_profile(_toy_ctx(), ["E01000001", "E01000002", "E01000003"], group_name="Toy ward")
    assert len(PdfReader(io.BytesIO(data)).pages) == 1
    assert "The 3 areas of this profile" in pdf_text(data)


def test_what_this_means_sentence():
    ctx = _toy_ctx()
    # decile 1; 30 incidents per 1,000 residents, as the county's 378 per 12,600
    assert profile_record(ctx, ["E01000001"]).meaning == ("Toytown 001A is among England's most deprived 10% of "
                                                          "neighbourhoods and has about Toytown's rate of incidents "
                                                          "per resident.")
    rec = profile_record(ctx, ["E01000002"])  # 54 per 1,500 residents: 36 per 1,000, 1.2 times the county's 30
    assert "has about 1.2 times Toytown's rate of incidents per resident" in rec.meaning
    assert rec.meaning in " ".join(pdf_text(render_profile(ctx, ["E01000002"])).split())
    group = profile_record(ctx, ["E01000001", "E01000002", "E01000004"]).meaning  # IMD deciles 1, 1, 3
    assert group.startswith("2 of these 3 areas are among England's most deprived 20% of neighbourhoods")
    assert "together they have" in group


def test_group_deciles_are_a_distribution_never_averaged():
    ctx = _toy_ctx()
    ctx.england.update({f"imd_score_min_{d}": 45.0 - 5 * d for d in range(1, 11)})  # decile 1 from 40, 2 from 35...
    rec = profile_record(ctx, ["E01000001", "E01000002", "E01000004"])  # IMD deciles 1, 1, 3
    imd = {label: counts for label, counts, _county in rec.decile_counts}["IMD (overall)"]
    assert imd == (2, 0, 1, 0, 0, 0, 0, 0, 0, 0) and rec.deciles == ()
    row = next(r for r in rec.key_rows if r[0].startswith("IMD decile"))
    # the decile of the group's population-weighted IMD score (33.0: from 30 up is decile 3), not a mean decile
    assert row[:2] == ("IMD decile of that score", "3") and "." not in "".join(row[1:])
    # the single-area chart's county marker is the county's median decile, not a mean
    single = profile_record(ctx, ["E01000001"])
    assert {r[0]: r[2] for r in single.deciles}["IMD (overall)"] == 5.0


def test_public_profiles_name_no_statistic(real_ctx):
    codes = ["E01027153", list(real_ctx.areas.index[:6])]
    for c in codes:
        c = c if isinstance(c, list) else [c]
        analyst = pdf_text(render_profile(real_ctx, c))
        public = pdf_text(render_profile(real_ctx, c, public=True))
        assert "LISA" in analyst and "Gi*" in analyst
        for word in ("LISA", "Gi*", "Getis", "Moran", "HH ", "p =", "p \u2264", "z =", "Mann-Kendall", "FDR"):
            assert word not in public, (c, word)
        assert "Hot spot" in public and "cluster of areas" in public


def test_did_it_work_section(real_ctx):
    from dataclasses import replace

    codes = list(real_ctx.areas.index[:6])
    ctx = replace(real_ctx)
    from placebased import _paths
    from placebased.io.incidents import load_incidents

    evaluate_profile(ctx, load_incidents(_paths.default_incident_files()).points, codes, "2025-06")
    text = " ".join(pdf_text(render_profile(ctx, codes, group_name="Six")).split())
    assert "Did it work? Evaluation from 2025-06 (serious violence)" in text
    assert ctx.evaluation.plain_words() in text
    assert "regression to the mean" in text and "Rate ratio" in text
    public = " ".join(pdf_text(render_profile(ctx, codes, group_name="Six", public=True)).split())
    assert "Did it work?" in public and "p =" not in public
    # only the profile of the evaluated areas carries it
    assert "Did it work?" not in pdf_text(render_profile(ctx, codes[:2]))


def test_unknown_code_raises():
    with pytest.raises(DataError, match="unknown area code"):
        render_profile(_toy_ctx(), ["E01999999"])
    with pytest.raises(DataError):
        render_profile(_toy_ctx(), [])


def test_write_each(tmp_path):
    paths = write_profiles_each(_toy_ctx(), None, tmp_path / "out", workers=2)
    assert len(paths) == 9
    assert all(p.endswith(".pdf") for p in paths)
    assert (tmp_path / "out" / "E01000001.pdf").read_bytes()[:5] == b"%PDF-"


# ------------------------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def real_ctx():
    from placebased import _paths
    from placebased.io.areas import load_areas
    from placebased.io.incidents import load_incidents

    areas = load_areas()
    inc = load_incidents(_paths.default_incident_files())
    return ProfileContext.build(areas, inc.points, notes={"E01026949": ["Partnership board choice, 2025"]})


def test_real_profile_text(real_ctx):
    data = render_profile(real_ctx, ["E01026949"])  # speed: benchmarks/bench_profiles.py
    text = pdf_text(data)
    for expected in ("North Northamptonshire 005A", "E01026949", "North Northamptonshire (E06000061)",
                     "1,425", "5,372", "Northamptonshire (443 areas", "Partnership board choice",
                     "Violence and sexual offences", "Jan\u2013Sep 2025", "999 permutations, seed 12345"):
        assert expected in text, expected
    # the area's real counts of 1-4 never appear as numbers
    row = real_ctx.counts.loc["E01026949"]
    for cat, v in row.items():
        if cat != "total" and 0 < v < 5:
            line = next(ln for ln in _lines(text) if ln.startswith(cat))
            assert "<5" in line and str(int(v)) not in line.replace("<5", "")


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm not installed")
def test_pages_render_with_pdftoppm(real_ctx, tmp_path):
    pdf = tmp_path / "p.pdf"
    pdf.write_bytes(render_profile(real_ctx, list(real_ctx.areas.index[:6]), group_name="Six areas"))
    out = subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert len(pngs) == 1 and all(p.stat().st_size > 5000 for p in pngs)  # six areas: their table on page 1
    pdf.write_bytes(render_profile(real_ctx, list(real_ctx.areas.index[:30]), group_name="Thirty areas"))
    assert len(PdfReader(str(pdf)).pages) == 2  # many areas: the table on a page of its own


def test_real_profile_states_trend_and_emerging_class(real_ctx):
    text = " ".join(pdf_text(render_profile(real_ctx, ["E01027153"])).split())
    assert "Trend (Serious violence):" in text and "Incidents by month: Serious violence" in text
    row = real_ctx.trend_table.loc["E01027153"]
    assert row["emerging_class"] in text
    assert len(PdfReader(io.BytesIO(render_profile(real_ctx, ["E01027153"]))).pages) == 1

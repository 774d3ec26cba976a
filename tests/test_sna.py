"""Deprivation and concentration (placebased.score.sna), the ``placebased sna`` CLI and the needs-assessment PDF.

Edge cases: shuffled rows, a county without deciles 1 or 10, zero counts in a decile, areas without a
decile, no incidents at all, ties in the top shares, float error in ceil(p * n).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from placebased.cli import main
from placebased.errors import ConfigError, DataError
from placebased.pipeline import sna_analysis
from placebased.score import sna


def _areas(deciles, pops, lads=None):
    idx = [f"A{i:02d}" for i in range(len(deciles))]
    out = pd.DataFrame({"imd_decile": deciles, "population": pops}, index=pd.Index(idx, name="area_code"))
    if lads is not None:
        out["lad_code"] = lads
        out["lad_name"] = [f"LA {x}" for x in lads]
    return out


# -- by decile -----------------------------------------------------------------------------------


def test_by_decile_known_answer_and_shuffled_rows():
    areas = _areas([1, 1, 2, 10], [1000, 1000, 500, 2000])
    counts = pd.Series([30, 10, 10, 50], index=areas.index)
    t = sna.by_decile(counts, areas).to_frame()
    assert list(t.columns) == list(sna.BY_DECILE_COLUMNS)
    assert t["imd_decile"].tolist() == [1, 2, 10]
    assert t["incidents"].tolist() == [40, 10, 50]
    np.testing.assert_allclose(t["share_incidents"], [0.4, 0.1, 0.5])
    assert t["residents"].tolist() == [2000, 500, 2000]
    np.testing.assert_allclose(t["share_residents"], [2000 / 4500, 500 / 4500, 2000 / 4500])
    np.testing.assert_allclose(t["rate_per_1000"], [20.0, 20.0, 25.0])
    shuffled = sna.by_decile(counts.iloc[::-1], areas.iloc[[2, 0, 3, 1]]).to_frame()
    pd.testing.assert_frame_equal(t, shuffled)


def test_rate_ratio_and_its_poisson_interval():
    r = sna.rate_ratio(100, 1000, 50, 1000)
    se = math.sqrt(1 / 100 + 1 / 50)
    assert r.rr == pytest.approx(2.0)
    assert r.lower == pytest.approx(2 * math.exp(-1.959964 * se), rel=1e-6)
    assert r.upper == pytest.approx(2 * math.exp(1.959964 * se), rel=1e-6)
    assert r.lower == pytest.approx(1.4243, abs=1e-4) and r.upper == pytest.approx(2.8084, abs=1e-4)
    # rates, not counts: 40 per 2,000 against 50 per 2,000
    d = sna.by_decile(pd.Series([30, 10, 10, 50], index=_areas([1, 1, 2, 10], [1] * 4).index),
                      _areas([1, 1, 2, 10], [1000, 1000, 500, 2000]))
    assert d.rate_ratio.rr == pytest.approx(0.8)
    assert (d.rate_ratio.most, d.rate_ratio.least) == (1, 10)
    assert "Poisson" in d.rate_ratio.method


def test_rate_ratio_zero_counts_are_explained():
    r = sna.rate_ratio(0, 1000, 10, 1000)
    assert r.rr == 0 and math.isnan(r.lower) and math.isnan(r.upper)
    assert "no incidents in decile 1" in " ".join(r.notes)
    r = sna.rate_ratio(5, 1000, 0, 1000)
    assert math.isinf(r.rr) and math.isnan(r.lower)
    r = sna.rate_ratio(0, 1000, 0, 1000)
    assert math.isnan(r.rr) and "not defined" in " ".join(r.notes)


def test_missing_deciles_use_the_extremes_present_and_say_so():
    areas = _areas([2, 3, 9, None], [100, 100, 100, 100])
    d = sna.by_decile(pd.Series([4, 2, 1, 7], index=areas.index), areas)
    assert d.table["imd_decile"].tolist() == [2, 3, 9]
    assert (d.rate_ratio.most, d.rate_ratio.least) == (2, 9)
    assert d.rate_ratio.rr == pytest.approx(4.0)
    notes = " ".join(d.rate_ratio.notes)
    assert "no areas in decile 1" in notes and "no areas in decile 10" in notes
    assert d.unassigned_areas == 1 and d.unassigned_incidents == 7
    assert d.table["share_incidents"].sum() == pytest.approx(1.0)  # areas without a decile left out
    assert "left out of the shares" in " ".join(d.notes)


def test_by_decile_needs_the_column():
    with pytest.raises(ConfigError, match="no income_decile"):
        sna.by_decile(pd.Series([1.0]), _areas([1], [10]), "income")
    with pytest.raises(DataError):
        sna.by_decile(pd.Series([1.0]), _areas([None], [10]))


# -- concentration -------------------------------------------------------------------------------


def test_gini_known_answers():
    assert sna.gini([3, 3, 3, 3]) == pytest.approx(0.0)
    for n in (2, 5, 20):
        assert sna.gini([0] * (n - 1) + [7]) == pytest.approx((n - 1) / n)
    assert sna.gini([1, 2, 3, 4]) == pytest.approx(0.25)  # 2*30/(4*10) - 5/4
    assert math.isnan(sna.gini([0, 0, 0]))


def test_lorenz_points_and_gini_from_its_area():
    lz = sna.lorenz([4, 0, 1, 5])
    np.testing.assert_allclose(lz["share_of_areas"], [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(lz["share_of_incidents"], [0, 0, 0.1, 0.5, 1.0])
    x = [4, 0, 1, 5, 9, 2, 2]
    lz = sna.lorenz(x)
    area = np.trapezoid(lz["share_of_incidents"], lz["share_of_areas"])
    assert 1 - 2 * area == pytest.approx(sna.gini(x))


def test_top_shares_by_count_with_ties_and_float_error():
    counts = pd.Series([5, 5, 5, 1] + [0] * 16, index=[f"Z{i:02d}" for i in range(20)])
    c = sna.concentration(counts)
    t = c.top.set_index("top_share_of_areas")
    assert t.loc[0.05, "areas"] == 1 and t.loc[0.10, "areas"] == 2 and t.loc[0.20, "areas"] == 4
    assert t.loc[0.05, "share_of_incidents"] == pytest.approx(5 / 16)
    assert t.loc[0.10, "share_of_incidents"] == pytest.approx(10 / 16)
    assert t.loc[0.20, "share_of_incidents"] == pytest.approx(1.0)
    assert c.top_areas[:3] == ("Z00", "Z01", "Z02")  # ties by code
    assert sna.top_k(30, 0.10) == 3  # 0.1 * 30 = 3.0000000000000004
    assert sna.top_k(443, 0.05) == 23
    f = c.to_frame()
    assert list(f.columns) == ["top_share_of_areas", "share_of_incidents"]
    assert f["top_share_of_areas"].tolist() == ["0.05", "0.10", "0.20", "gini"]
    assert f["share_of_incidents"].iloc[3] == pytest.approx(sna.gini(counts))
    assert c.share_of_areas_with_incidents() == pytest.approx(4 / 20)


def test_no_incidents_gives_blank_figures_with_a_note():
    c = sna.concentration(pd.Series([0, 0, 0]))
    assert math.isnan(c.gini) and c.top["share_of_incidents"].isna().all()
    assert "not defined" in c.notes[0]


# -- the whole analysis on hand-made points --------------------------------------------------


@pytest.fixture
def grid(grid_areas):
    a = grid_areas.copy()
    a["imd_decile"] = [1, 1, 2, 5, 5, 5, 9, 10, 10]
    a["lad_code"] = ["L1"] * 4 + ["L2"] * 5
    a["lad_name"] = ["North"] * 4 + ["South"] * 5
    return a


def _points(areas, per_area: dict[str, int], category="Robbery", month="2025-03"):
    import geopandas as gpd

    rows = []
    for code, n in per_area.items():
        p = areas.geometry[code].representative_point()
        rows += [{"category": category, "month": month, "weight": 1.0, "geometry": p}] * n
    return gpd.GeoDataFrame(rows, crs=areas.crs)


def test_analyse_on_hand_made_points(grid):
    import geopandas as gpd

    pts = pd.concat([_points(grid, {"A1": 6, "A2": 2, "B1": 2}),
                     _points(grid, {"C3": 5}, category="Drugs"),
                     _points(grid, {"A3": 4}, month="2025-09")], ignore_index=True)
    pts = gpd.GeoDataFrame(pts, crs=grid.crs)
    r = sna_analysis(grid, pts, sna.SNASettings(categories=("robbery",), end="2025-06"))
    assert r.categories == ("Robbery",) and r.incidents == 10
    t = r.to_frame().set_index("imd_decile")
    assert t.loc[1, "incidents"] == 8 and t.loc[5, "incidents"] == 2
    assert r.headline()["share_deciles_1_2"] == pytest.approx(0.8)
    assert r.deciles.rate_ratio.most == 1 and r.deciles.rate_ratio.least == 10
    assert r.deciles.rate_ratio.rr == np.inf  # decile 10 has none: no interval, said in the notes
    lad = r.by_lad_frame().set_index("lad_name")
    assert lad.loc["North", "incidents"] == 10 and lad.loc["South", "incidents"] == 0  # A1, A2, A3, B1 are North
    assert lad.loc["North", "gini"] == pytest.approx(sna.gini([6, 2, 0, 2]))
    assert math.isnan(lad.loc["South", "gini"])
    assert lad.loc["All areas", "areas"] == 9


# -- CLI contract and PDF on the shipped areas ------------------------------------------------


def _csv_at(areas, path, spec: dict[str, int]):
    rows = []
    for code, n in spec.items():
        p = areas.geometry[code].representative_point()
        rows += [{"Easting": round(p.x, 1), "Northing": round(p.y, 1), "Crime type": "Robbery",
                  "Month": "2025-04"}] * n
    pd.DataFrame(rows).to_csv(path, index=False)


def test_cli_tables_contract(areas, tmp_path, capsys):
    a = areas
    d1 = a.index[a["imd_decile"] == 1][:2]
    d10 = a.index[a["imd_decile"] == 10][:1]
    d5 = a.index[a["imd_decile"] == 5][:1]
    spec = {d1[0]: 12, d1[1]: 8, d10[0]: 5, d5[0]: 5}
    src = tmp_path / "inc.csv"
    _csv_at(a, src, spec)
    out = tmp_path / "tables"
    rc = main(["sna", "--incidents", str(src), "--x-column", "Easting", "--y-column", "Northing", "--crs", "bng",
               "--category", "Robbery", "--domain", "income", "--tables", str(out)])
    assert rc == 0, capsys.readouterr().err
    bd = pd.read_csv(out / "by_decile.csv")
    assert list(bd.columns) == ["imd_decile", "incidents", "share_incidents", "residents", "share_residents",
                                "rate_per_1000"]
    assert bd["imd_decile"].tolist() == sorted(a["imd_decile"].dropna().astype(int).unique())
    row = bd.set_index("imd_decile")
    pop = a.groupby("imd_decile")["population"].sum()
    assert row.loc[1, "incidents"] == 20 and row.loc[10, "incidents"] == 5 and row.loc[3, "incidents"] == 0
    assert row.loc[1, "share_incidents"] == pytest.approx(20 / 30)
    assert row.loc[1, "residents"] == pop[1]
    assert row.loc[1, "share_residents"] == pytest.approx(pop[1] / pop.sum())
    assert row.loc[1, "rate_per_1000"] == pytest.approx(20 / pop[1] * 1000)
    conc = pd.read_csv(out / "concentration.csv", dtype=str)
    assert list(conc.columns) == ["top_share_of_areas", "share_of_incidents"]
    assert conc["top_share_of_areas"].tolist() == ["0.05", "0.10", "0.20", "gini"]
    assert float(conc["share_of_incidents"].iloc[0]) == pytest.approx(1.0)  # 4 areas, all in the top 23
    counts = pd.Series(0.0, index=a.index)
    for k, v in spec.items():
        counts[k] = v
    assert float(conc["share_of_incidents"].iloc[3]) == pytest.approx(sna.gini(counts))
    for name in ("by_lad.csv", "rate_ratio.csv", "lorenz.csv", "by_domain.csv"):
        assert (out / name).exists()
    rr = pd.read_csv(out / "rate_ratio.csv").iloc[0]
    expect = (20 / pop[1]) / (5 / pop[10])
    assert rr["rate_ratio"] == pytest.approx(expect)
    se = math.sqrt(1 / 20 + 1 / 5)
    assert rr["ci95_lower"] == pytest.approx(expect * math.exp(-1.959964 * se), rel=1e-5)


def test_cli_writes_tables_and_pdf_together(tmp_path, capsys):
    from io import BytesIO

    from pypdf import PdfReader

    rc = main(["sna", "--tables", str(tmp_path / "t"), "--out", str(tmp_path / "sna.pdf"), "--permutations", "99",
               "--no-monitoring", "--start", "2025-07"])
    assert rc == 0, capsys.readouterr().err
    assert (tmp_path / "t" / "by_decile.csv").exists()
    pdf = (tmp_path / "sna.pdf").read_bytes()
    assert len(PdfReader(BytesIO(pdf)).pages) == 7
    assert "Jul\u2013Sep 2025" in PdfReader(BytesIO(pdf)).pages[0].extract_text()


def test_cli_errors_are_one_line(tmp_path, capsys):
    assert main(["sna"]) == 2
    assert "--tables DIR" in capsys.readouterr().err
    assert main(["sna", "--out", str(tmp_path / "x.txt")]) == 2
    assert main(["sna", "--domain", "nonsense", "--tables", str(tmp_path)]) == 2
    assert "choose one of" in capsys.readouterr().err


@pytest.fixture(scope="module")
def shipped_result():
    from placebased import _paths
    from placebased.io.areas import load_areas
    from placebased.io.incidents import load_incidents

    a = load_areas()
    inc = load_incidents(_paths.default_incident_files())
    return a, inc, sna_analysis(a, inc.points, sna.SNASettings(), without_location=inc.report.skipped)


def test_shipped_data_end_to_end(shipped_result):
    _a, _inc, r = shipped_result
    h = r.headline()
    print(f"\nserious violence in IMD deciles 1-2: {h['share_deciles_1_2']:.1%} of incidents, "
          f"{h['residents_deciles_1_2']:.1%} of residents; {r.deciles.rate_ratio.describe()}; "
          f"top 10%: {h['share_top_10pct']:.1%}; Gini {h['gini']:.3f}")
    assert 0.15 < h["share_deciles_1_2"] < 0.6  # the partnership's SNA found 35.5% with its own data
    assert h["share_deciles_1_2"] > h["residents_deciles_1_2"]  # more violence than people in deprived areas
    assert r.deciles.rate_ratio.rr > 1 and r.deciles.rate_ratio.lower > 1
    assert r.to_frame()["share_incidents"].sum() == pytest.approx(1.0)
    assert r.to_frame()["residents"].sum() == pytest.approx(_a["population"].sum())
    assert 0 < h["gini"] < 1 and 0.1 < h["share_top_10pct"] < 0.6
    assert set(r.lad_names.values()) == {"North Northamptonshire", "West Northamptonshire"}


def test_pdf_renders_with_its_headline_figures(shipped_result):
    from placebased.outputs.report import pdf_text
    from placebased.outputs.sna_report import render_report
    from placebased.profile_record import needs_context

    a, inc, r = shipped_result
    ctx = needs_context(a, inc, r, permutations=99)
    data = render_report(ctx)
    from io import BytesIO

    from pypdf import PdfReader

    assert len(PdfReader(BytesIO(data)).pages) == 7
    text = pdf_text(data)
    h = r.headline()
    for needle in (f"{h['share_deciles_1_2'] * 100:.1f}%", f"{r.deciles.rate_ratio.rr:.2f}",
                   f"{h['gini']:.2f}", "Contents", "Lorenz curve", "Methods, disclosure and sources",
                   "Priority neighbourhoods", "North Northamptonshire"):
        assert needle in text, needle
    assert "Traceback" not in text


def test_pdf_includes_the_partner_sections(shipped_result, tmp_path):
    from placebased.outputs.report import pdf_text
    from placebased.outputs.sna_report import render_report
    from placebased.profile_record import needs_context

    a, inc, r = shipped_result
    survey = tmp_path / "survey.csv"
    pd.DataFrame({"postcode": ["NN17 1TR", "NN17 1TR", "NN1 1AA", "XX99 9ZZ"], "age": [16, 34, 22, 40]}).to_csv(
        survey, index=False)
    ae = tmp_path / "ae.csv"
    rows = [("2025-03-15 01:00", "18-24", "NN17 1TR")] * 6 + [("2025-03-14 22:00", "25-34", "NN1")] * 7
    pd.DataFrame(rows, columns=["arrival_datetime", "age_band", "postcode"]).to_csv(ae, index=False)
    harm = tmp_path / "harm.csv"
    pd.DataFrame({"category": ["Robbery", "Violence and sexual offences"], "weight": [365, 150]}).to_csv(
        harm, index=False)
    inputs = {"monitoring": {}, "survey": {"responses": survey}, "partner_times": {"data": ae},
              "harm": {"table": harm}}
    ctx = needs_context(a, inc, r, permutations=99, partner_inputs=inputs)
    assert all("Not included" not in " ".join(sec["lines"]) for sec in ctx.partner.values()), ctx.partner
    text = pdf_text(render_report(ctx))
    for needle in ("Laney u'", "Representativeness", "weekend window", "Weighted by harm", "Total harm"):
        assert needle in text, needle
    assert "XX99" not in text and "NN17 1TR" not in text  # responses and records never shown one by one
    # a missing input is said, not fatal
    ctx = needs_context(a, inc, r, permutations=99, partner_inputs={"survey": {"responses": tmp_path / "none.csv"}})
    assert ctx.partner["survey"]["lines"][0].startswith("Not included:")


def test_pdf_suppresses_small_decile_counts():
    from placebased.profile_record import suppressed_counts

    texts, total = suppressed_counts(pd.Series([3, 40, 50], index=[1, 2, 10]), 5)
    # the public rule: rounded to base 5 (93 -> 95), so the total minus the shown counts (1 to 9) no
    # longer pins the hidden 3 and nothing else needs hiding
    assert texts[1] == "<5" and (texts[2], texts[10], total) == ("40", "50", "95")


def test_needs_page_runs_and_shows_the_headline(shipped_result):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    page = Path(__file__).resolve().parent.parent / "views" / "needs.py"
    at = AppTest.from_file(str(page), default_timeout=180).run()
    assert not at.exception
    h = shipped_result[2].headline()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["In IMD deciles 1–2"] == f"{h['share_deciles_1_2']:.1%}"
    assert metrics["Gini coefficient"] == f"{h['gini']:.2f}"
    at.multiselect(key="sna_domains").set_value(["income"]).run()
    assert not at.exception and len(at.dataframe) == 3
    assert "IMD decile" in at.dataframe[0].value.columns

"""Workshop table and sentences, and the safety helpers (upload checks, escaping).

Edge cases: a sensitive category that no chosen area reaches (left out) and one that one area
reaches (kept, others "<10"); an area name holding HTML; areas without a hot spot or rank; a
chosen code not in the counts; a fixed focus whose count is hidden; ordering without scores
(hidden totals last); months across a year end; uploads that are empty, too large, of the wrong
type or named with a path; formulas in CSV text.
"""

from __future__ import annotations

import pandas as pd
import pytest

from placebased.errors import ConfigError, DataError
from placebased.outputs.workshop import area_sentence, period_label
from placebased.pipeline import workshop_table
from placebased.safety import check_upload, defuse_formulas, escape_frame, escape_text, upload_limit_mb
from placebased.stats.aggregate import count_incidents

CATS = ["Robbery", "Violence and sexual offences", "Domestic abuse", "Rape"]


@pytest.fixture
def tiny():
    counts = pd.DataFrame(
        {"Robbery": [3, 12, 0, 1], "Violence and sexual offences": [48, 20, 6, 2], "Domestic abuse": [4, 15, 0, 0],
         "Rape": [1, 2, 0, 0]},
        index=pd.Index(["E1", "E2", "E3", "E4"], name="area_code"),
    )
    counts["total"] = counts.sum(axis=1)
    hs = pd.DataFrame({"value": [48, 20, 6, 2], "gi_z": [2.5, 0.3, -2.0, 0.0], "gi_p": [0.01, 0.4, 0.03, 0.9],
                       "gi_bin": [2, 0, -2, 0]}, index=counts.index)
    sc = pd.DataFrame({"rank": [1.0, 2.0, 4.0, 3.0], "tier": ["top 10%", "top 25%", "other", "other"]},
                      index=counts.index)
    areas = pd.DataFrame({"area_name": ["Kettering 012B", "<b>Corby</b> 003A", "Daventry 001A", None],
                          "lad_name": ["North Northamptonshire"] * 3 + ["West Northamptonshire"],
                          "imd_decile": [1, 3, 7, 2]}, index=counts.index)
    return counts, hs, sc, areas


def test_table_suppressed_and_sensitive_left_out(tiny):
    counts, hs, sc, areas = tiny
    before = [x.copy() for x in tiny]
    t = workshop_table(counts, hs, sc, areas, period="Jan–Sep 2025", hotspot_label="violence")
    assert t.index.tolist() == ["E1", "E2", "E4", "E3"]  # by priority rank
    assert t.loc["E1", "Robbery"] == "<5" and t.loc["E4", "Robbery"] == "<5"
    # Domestic abuse reaches 10 in E2 only: kept, others "<10"; Rape never does: left out entirely
    assert "Rape" not in t.columns
    assert t["Domestic abuse"].tolist() == ["<10", "15", "<10", "<10"]
    for c in ["Robbery", "Violence and sexual offences", "Domestic abuse", "total"]:
        assert all(isinstance(v, str) for v in t[c])
    # no raw small numbers anywhere in the text columns
    for c in ["Robbery", "Violence and sexual offences", "total", "focus_count"]:
        assert not t[c].dropna().isin(["1", "2", "3", "4"]).any()
    assert "geometry" not in t.columns and "value" not in t.columns and "gi_z" not in t.columns
    assert t.loc["E1", "hotspot"] == "hot spot" and t.loc["E1", "hotspot_confidence"] == 95
    assert t.loc["E3", "hotspot"] == "cold spot" and t.loc["E2", "hotspot"] == "not significant"
    assert t.loc["E2", "tier"] == "top 25%" and t.loc["E1", "priority_rank"] == 1
    for a, b in zip(tiny, before):
        pd.testing.assert_frame_equal(a, b)


def test_sentences(tiny):
    counts, hs, sc, areas = tiny
    t = workshop_table(counts, hs, sc, areas, period="Jan–Sep 2025", hotspot_label="violence")
    # E1: violence 48, published rounded to base 5 as 50, against a mean of 19 (2.6x), hot spot, rank 1 of 4,
    # decile 1 (issue 12: public counts are rounded so that differences between outputs stay uncertain)
    assert t.loc["E1", "focus"] == "Violence and sexual offences"
    assert t.loc["E1", "sentence"] == (
        "Kettering 012B stands out for violence and sexual offences: 50 incidents in Jan–Sep 2025 (2.6 times the "
        "average for an area), a hot spot for violence at 95% confidence (two-sided), ranked 1st of 4 on the "
        "priority score, "
        "and it is among the 10% most deprived areas in England."
    )
    # E2: sensitive counts (2 rapes "<10", 15 domestic abuse shown) are left out of the public total (12 + 20
    # = 32, shown as 30), so robbery (12, shown as 10) need not be hidden to protect the rapes; the
    # sensitive count is never the focus (issue 12: the rule deliberately changed)
    assert t.loc["E2", "Robbery"] == "10" and t.loc["E2", "total"] == "30" and t.loc["E2", "focus"] == "Robbery"
    assert t.loc["E2", "sentence"].startswith("<b>Corby</b> 003A stands out for robbery: 10 incidents in "
                                              "Jan–Sep 2025 (2.5 times the average for an area)")
    assert "ranked 2nd of 4" in t.loc["E2", "sentence"]
    assert "it is among the 30% most deprived" in t.loc["E2", "sentence"]
    # E3: a cold spot is not called a hot spot; decile 7 not mentioned
    assert "hot spot" not in t.loc["E3", "sentence"] and "deprived" not in t.loc["E3", "sentence"]
    # E4: nothing shown stands out; the name falls back to the code, total is hidden
    assert t.loc["E4", "sentence"].startswith("E4: fewer than 5 incidents in Jan–Sep 2025")
    # a fixed focus whose count is hidden
    f = workshop_table(counts, hs, None, areas, focus="Robbery", select=["E1"])
    assert f.loc["E1", "focus_count"] == "<5" and pd.isna(f.loc["E1", "focus_ratio"])
    assert f.loc["E1", "sentence"].startswith("Kettering 012B: ")


def test_area_sentence_variants():
    assert area_sentence({"area_name": "X", "total": "*"}) == "X: a number of incidents withheld to protect privacy."
    assert area_sentence({"area_name": "X"}) == "X: no recorded incidents to report."
    s = area_sentence(pd.Series({"area_name": "Y", "total": "23", "priority_rank": 22, "imd_decile": 2},
                                name="E9"), period="Mar 2025", n_ranked=443)
    assert s == ("Y: 23 incidents in Mar 2025, ranked 22nd of 443 on the priority score, and it is among the 20% "
                 "most deprived areas in England.")
    assert "11th" in area_sentence({"area_name": "Z", "priority_rank": 11})
    assert area_sentence(pd.Series({"total": "7"}, name="E01")) == "E01: 7 incidents."


def test_selection_order_and_errors(tiny):
    counts, hs, _, areas = tiny
    t = workshop_table(counts, hs, None, areas, select=["E4", "E2"])
    assert t.index.tolist() == ["E2", "E4"]  # by shown total, hidden totals last
    with pytest.raises(DataError, match="1 chosen area.*E99"):
        workshop_table(counts, select=["E1", "E99"])
    with pytest.raises(DataError, match="focus 'Burglary'"):
        workshop_table(counts, focus="Burglary")
    with pytest.raises(DataError, match="'total' column"):
        workshop_table(counts.drop(columns="total"))
    with pytest.raises(DataError, match="gi_bin"):
        workshop_table(counts, hotspot_frame=pd.DataFrame({"x": [1]}, index=["E1"]))


def test_period_label():
    assert period_label(pd.Series(["2025-01", "2025-09", "2025-05"])) == "Jan–Sep 2025"
    assert period_label(["2024-11", "2025-02"]) == "Nov 2024–Feb 2025"
    with pytest.raises(DataError, match="YYYY-MM"):
        period_label([])


def test_real_data_workshop(areas, police):
    cr = count_incidents(police.points, areas)
    top = cr.counts["total"].nlargest(30).index.tolist()
    t = workshop_table(cr.counts, None, None, areas, select=top, period=period_label(cr.monthly["month"]),
                       focus=["Violence and sexual offences", "Robbery", "Possession of weapons"])
    assert len(t) == 30 and t["sentence"].str.contains("Jan–Sep 2025").all()
    raw = cr.counts.loc[t.index]
    for c in [c for c in cr.counts.columns if c != "total"]:
        small = (raw[c] > 0) & (raw[c] < 5)
        assert (t.loc[small, c] == "<5").all()
    assert t["focus"].dropna().isin(["Violence and sexual offences", "Robbery", "Possession of weapons"]).all()


# ---------------------------------------------------------------------------------------------
# safety


def test_escape_text_and_frame():
    assert escape_text("<script>alert('x')</script>") == "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"
    assert escape_text('a "b" & c') == "a &quot;b&quot; &amp; c"
    assert escape_text(None) == "" and escape_text(float("nan")) == "" and escape_text(pd.NA) == ""
    assert escape_text(12) == "12" and escape_text("bell\x07") == "bell"
    f = pd.DataFrame({"name": ["<b>Youth club</b>", None], "n": [1, 2], "note": pd.array(["a&b", "ok"], "str")},
                     index=pd.Index(["<i>E1</i>", "E2"], name="area_code"))
    out = escape_frame(f)
    assert out["name"].tolist() == ["&lt;b&gt;Youth club&lt;/b&gt;", ""]
    assert out["note"].tolist() == ["a&amp;b", "ok"] and out["n"].tolist() == [1, 2]
    assert out.index.tolist() == ["&lt;i&gt;E1&lt;/i&gt;", "E2"]
    assert f.loc["<i>E1</i>", "name"] == "<b>Youth club</b>"  # input unchanged
    assert escape_frame(f, columns=["note"])["name"].iloc[0] == "<b>Youth club</b>"
    with pytest.raises(ConfigError, match="no column"):
        escape_frame(f, columns=["nope"])


def test_escape_geodataframe(grid_areas):
    g = grid_areas.copy()
    g.loc["A1", "area_name"] = "<img src=x onerror=alert(1)>"
    out = escape_frame(g)
    assert out.loc["A1", "area_name"] == "&lt;img src=x onerror=alert(1)&gt;"
    assert out.geometry.equals(g.geometry) and out.crs == g.crs


def test_workshop_names_escaped_for_display(tiny):
    counts, hs, sc, areas = tiny
    t = escape_frame(workshop_table(counts, hs, sc, areas))
    assert t.loc["E2", "area_name"] == "&lt;b&gt;Corby&lt;/b&gt; 003A"
    assert "<b>" not in " ".join(t["sentence"])


def test_check_upload(monkeypatch):
    assert check_upload("C:\\Users\\me\\crimes.csv", 10) == "crimes.csv"
    assert check_upload("../../etc/boundaries.GeoJSON", 10) == "boundaries.GeoJSON"
    with pytest.raises(DataError, match=r"crimes.csv: the file is 60.0 MB, larger than the 50 MB limit"):
        check_upload("crimes.csv", 60_000_000)
    assert check_upload("crimes.csv", 60_000_000, limit_mb=100) == "crimes.csv"
    with pytest.raises(DataError, match="empty"):
        check_upload("crimes.csv", 0)
    with pytest.raises(DataError, match="cannot be read; upload one of"):
        check_upload("payload.exe", 10)
    assert check_upload("anything.bin", 10, allowed=None) == "anything.bin"
    monkeypatch.setenv("PLACEBASED_MAX_UPLOAD_MB", "1")
    assert upload_limit_mb() == 1.0
    with pytest.raises(DataError, match="1 MB limit"):
        check_upload("crimes.csv", 2_000_000)
    monkeypatch.setenv("PLACEBASED_MAX_UPLOAD_MB", "lots")
    with pytest.raises(ConfigError, match="not a number"):
        check_upload("crimes.csv", 10)
    with pytest.raises(ConfigError, match="positive"):
        upload_limit_mb(0)


def test_defuse_formulas():
    f = pd.DataFrame({"name": ["=HYPERLINK(\"http://x\")", "+cmd", "-3", "@SUM(A1)", "ok", None], "n": range(6)})
    out = defuse_formulas(f)
    assert out["name"].tolist()[:5] == ["'=HYPERLINK(\"http://x\")", "'+cmd", "-3", "'@SUM(A1)", "ok"]
    assert out["n"].tolist() == list(range(6)) and f["name"].iloc[0].startswith("=")

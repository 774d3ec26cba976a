"""One pipeline, one truth (issue 13): the same inputs and scenario give the same numbers through the CLI
and through the app, and a profile's statements agree with each other.

- scores, hot spots and counts: ``placebased.cli.main`` (score, hotspots, counts) against the results the
  app computed and displayed (AppTest on app.py, then the app's cached pipeline results for the settings it
  stored in ``st.session_state["settings"]``);
- the Gi* z in the score follows the catalogue (queen contiguity) whatever weights the app's hot-spot map uses;
- the profile of the county's top area: Gi* and LISA give the same verdict for the same p at the one
  cut-off it states (two-sided), the trend sentence follows the Mann-Kendall result and the emerging class,
  and the monthly chart is about the categories of the sentence.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader

from placebased.cli import main

APP = str(Path(__file__).resolve().parent.parent / "app.py")
SV = ["Possession of weapons", "Robbery", "Violence and sexual offences"]


def _read(path) -> pd.DataFrame:
    return pd.read_csv(path, comment="#", dtype={"area_code": str}).set_index("area_code")


def _fresh_app(**widgets):
    """The app run once from cold caches (so no test depends on another's cached state)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    for label, value in widgets.items():
        next(s for s in at.selectbox if s.label == label).set_value(value)
        at.run()
    assert not at.exception, at.exception
    return at


def _app_results(at):
    """The app's cached pipeline results for the settings it last used (the tables it displays)."""
    import appcache

    src, filters, stats, scenario = at.session_state["settings"]
    analysis = appcache.c_analysis(src, filters, stats)
    result, _note = appcache.c_score(src, filters, stats, scenario)
    return analysis, result, (src, filters, stats, scenario)


def _cli_scores(tmp_path, scenario) -> pd.DataFrame:
    sc = tmp_path / "app_scenario.toml"
    scenario.save(sc)
    out = tmp_path / "score.csv"
    assert main(["score", "--scenario", str(sc), "--out", str(out)]) == 0
    return _read(out)


def _assert_same_scores(cli: pd.DataFrame, app: pd.DataFrame) -> None:
    cli = cli.reindex(app.index)
    for col in ("score", "rank_p05", "rank_p95", "p_top_n"):
        np.testing.assert_allclose(cli[col].to_numpy(float), app[col].to_numpy(float), rtol=1e-9, atol=1e-9,
                                   err_msg=col)
    assert (cli["rank"].to_numpy(int) == app["rank"].to_numpy(int)).all()
    assert cli["tier"].astype(str).tolist() == app["tier"].astype(str).tolist()


@pytest.mark.slow
def test_cli_and_app_give_the_same_scores_hot_spots_and_counts(tmp_path, capsys):
    at = _fresh_app()
    analysis, result, (src, filters, stats, scenario) = _app_results(at)
    shown = at.dataframe[0].value  # the ranked table on the page
    app_scores = result.to_frame()
    assert list(shown.index[:10]) == list(app_scores.sort_values("rank").index[:10])

    # the same scenario through `placebased score`
    _assert_same_scores(_cli_scores(tmp_path, scenario), app_scores)

    # the same hot spots through `placebased hotspots` (the app's categories, variable and inference)
    assert stats.weights == "queen" and sorted(analysis.selected) == SV
    hs = tmp_path / "hotspots.csv"
    assert main(["hotspots", "--category", "serious_violence", "--variable", stats.variable,
                 "--weights", stats.weights, "--permutations", str(stats.permutations), "--seed", str(stats.seed),
                 "--alpha", str(stats.alpha), "--correction", stats.correction, "--out", str(hs)]) == 0
    cli_hs = _read(hs).reindex(analysis.frame.index)
    app_hs = analysis.frame
    for col in ("gi_z", "gi_p", "lisa_p"):
        np.testing.assert_allclose(cli_hs[col].to_numpy(float), app_hs[col].to_numpy(float), rtol=1e-9,
                                   err_msg=col)
    assert (cli_hs["gi_bin"].to_numpy(int) == app_hs["gi_bin"].to_numpy(int)).all()
    assert cli_hs["lisa_cluster"].astype(str).tolist() == app_hs["lisa_cluster"].astype(str).tolist()

    # the same counts through `placebased counts`, and the same incidents outside the areas
    capsys.readouterr()
    cnt = tmp_path / "counts.csv"
    assert main(["counts", "--out", str(cnt)]) == 0
    err = capsys.readouterr().err
    cli_counts = _read(cnt).reindex(analysis.counts.counts.index)
    app_counts = analysis.counts.counts
    assert (cli_counts[app_counts.columns].to_numpy() == app_counts.to_numpy()).all()
    rep = analysis.counts.report
    assert f"in the areas {rep.in_area:,}, outside the areas {rep.outside:,}" in err
    captions = " ".join(c.value for c in at.caption)  # the app says it in plain words (glossary.incident_summary)
    assert f"{rep.in_area:,} fall inside these areas and are counted; {rep.outside:,} lie outside them" in captions


@pytest.mark.slow
def test_score_does_not_depend_on_the_hot_spot_map_weights(tmp_path):
    """The catalogue defines serious_violence_gi_z on queen contiguity: with rook weights chosen for the
    app's hot-spot map, the score (and its Gi* z column) is still the CLI's."""
    at = _fresh_app(**{"Spatial weights": "rook"})
    analysis, result, (_src, _filters, stats, scenario) = _app_results(at)
    assert stats.weights == "rook"
    assert "serious_violence_gi_z" in scenario.weights
    _assert_same_scores(_cli_scores(tmp_path, scenario), result.to_frame())


def test_counts_and_trends_state_the_same_incidents_outside_the_areas(tmp_path, capsys):
    lines = {}
    for cmd in ("counts", "trends"):
        capsys.readouterr()
        assert main([cmd, "--category", "serious_violence", "--out", str(tmp_path / f"{cmd}.csv")]) == 0
        err = capsys.readouterr().err
        lines[cmd] = re.search(r"read [\d,]+; located [\d,]+;.*without a usable location [\d,]+", err).group(0)
    strip = lambda s: re.sub(r"; undated [\d,]+", "", s)  # noqa: E731 - trends also says how many are undated
    assert strip(lines["counts"]) == strip(lines["trends"])
    assert "outside the areas 315" in lines["counts"]  # serious violence only (all categories: 454)


def _profile_text(tmp_path, code: str) -> str:
    out = tmp_path / f"{code}.pdf"
    assert main(["profile", "--area", code, "--out", str(out)]) == 0
    return " ".join(" ".join(p.extract_text() for p in PdfReader(out).pages).split())


@pytest.mark.slow
def test_profile_of_the_top_area_agrees_with_itself_and_the_cli(tmp_path):
    out = tmp_path / "score.csv"
    assert main(["score", "--draws", "0", "--out", str(out)]) == 0
    top = _read(out)["rank"].idxmin()
    hs = tmp_path / "hs.csv"
    assert main(["hotspots", "--category", "serious_violence", "--variable", "eb_rate", "--out", str(hs)]) == 0
    row = _read(hs).loc[top]
    text = _profile_text(tmp_path, top)

    # Gi* and LISA: two-sided p, one cut-off, the same verdict words for the same rule
    gi = re.search(r"Getis-Ord Gi\*: (.+?) \(z = ([-\d.]+); two-sided p = ([\d.e-]+): (significant|not significant) "
                   r"at p ≤ ([\d.e-]+)\)", text)
    lisa = re.search(r"Local Moran \(LISA\): (.+?) \(two-sided p = ([\d.e-]+): (significant|not significant) "
                     r"at p ≤ ([\d.e-]+)\)", text)
    assert gi and lisa, text[:1500]
    assert gi.group(5) == lisa.group(4)  # one cut-off for both
    cut = float(gi.group(5))
    assert (gi.group(4) == "significant") == (row["gi_p"] <= row["p_cutoff"])
    assert (lisa.group(3) == "significant") == (row["lisa_p"] <= row["p_cutoff"])
    assert f"{row['p_cutoff']:.2g}" == gi.group(5) and cut > 0
    if gi.group(3) == lisa.group(3):
        assert gi.group(4) == lisa.group(3)
    assert ("two-sided" in gi.group(1)) == (int(row["gi_bin"]) != 0)
    assert abs(float(gi.group(2)) - row["gi_z"]) < 0.01
    assert "two-sided p ≤" in text

    # trend sentence: the Mann-Kendall verdict and the emerging class of the trends command
    tr = tmp_path / "trends.csv"
    assert main(["trends", "--category", "serious_violence", "--out", str(tr)]) == 0
    t = _read(tr).loc[top]
    m = re.search(r"Trend \(Serious violence\): (Rising|Falling|No clear trend).*?Mann-Kendall p = ([\d.]+), "
                  r"two-sided, cut-off ([\d.]+)\); emerging hot spot class \(Gi\* z over time\): ([a-z ]+?),", text)
    assert m, text
    p_mk, alpha = float(m.group(2)), float(m.group(3))
    assert abs(p_mk - t["mk_p"]) < 5e-4
    want = ("Rising" if t["sen_slope"] > 0 else "Falling") if t["mk_p"] <= alpha and t["sen_slope"] != 0 \
        else "No clear trend"
    assert m.group(1) == want
    assert m.group(4) == t["emerging_class"]
    assert "no trend" not in text  # the class speaks of hot-spot strength, not of the counts

    # the chart is about the sentence's categories: its bars add up to the area's serious violence
    assert "Incidents by month: Serious violence" in text
    chart = text.split("Incidents by month: Serious violence", 1)[1].split("Trend (", 1)[0]
    bars = [int(v.replace(",", "")) for v in re.findall(r"([\d,]+) [A-Z][a-z]{2} \d\d", chart)]
    counts = tmp_path / "counts.csv"
    assert main(["counts", "--out", str(counts)]) == 0
    c = _read(counts).loc[top]
    assert len(bars) == 9 and sum(bars) == int(sum(c[s] for s in SV))

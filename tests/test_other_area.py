"""Another area than the shipped one (issue 15): Leicester LSOAs, no files of the user's own.

Edge cases: no incidents at all (deprivation-only mode: score, map, profile, app pipeline work on the
IoD and population indicators; hot spots on an area indicator), commands that need incidents say so
in one line, the shipped example provision is never applied to other areas, and the default
scenario uses only indicators that exist for every LSOA in England.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from placebased import _paths
from placebased import pipeline as P  # noqa: N812
from placebased.cli import main
from placebased.io import geography
from placebased.io.areas import iod_table, load_areas
from placebased.io.geography import is_shipped_area
from placebased.score.scenario import default_scenario

LEICESTER = Path(__file__).parent / "data" / "leicester_lsoa21_30.geojson"


@pytest.fixture(scope="module")
def leicester():
    return load_areas(boundaries=LEICESTER)


def test_fixture_is_leicester_not_northamptonshire(leicester, areas):
    assert len(leicester) == 30 and leicester["imd_decile"].notna().all()
    assert set(leicester["lad_name"]) == {"Leicester"}
    assert not is_shipped_area(leicester)
    assert is_shipped_area(areas) and is_shipped_area(areas.iloc[:10])
    assert geography.default_incident_files_for(leicester) == []
    assert geography.default_incident_files_for(None) == _paths.default_incident_files()


def test_default_scenario_uses_england_wide_indicators(leicester):
    england = iod_table(2025, england=True)
    sc = default_scenario()
    area_ids = [k for k in sc.weights if not k.startswith(("serious_violence", "asb"))]
    assert "idaci_score" not in sc.weights and "cyp_score" in sc.weights
    assert "every LSOA in England" in sc.description
    for ind in area_ids:
        if ind in england.columns:
            assert england[ind].notna().all(), ind
        assert leicester[ind].notna().all(), ind


def test_score_without_incidents(tmp_path, capsys):
    out = tmp_path / "score.csv"
    rc = main(["score", "--boundaries", str(LEICESTER), "--draws", "20", "--out", str(out)])
    cap = capsys.readouterr()
    assert rc == 0, cap.err
    assert "not the shipped Northamptonshire ones" in cap.err and "--incidents" in cap.err
    assert "left out for lack of data" in cap.err  # the incident indicators, stated
    assert "weights: imd_score 40.0%, cyp_score 30.0%, under25_share 30.0%" in cap.out
    f = pd.read_csv(out)
    assert len(f) == 30 and set(f["area_code"]) == set(load_areas(boundaries=LEICESTER).index)


@pytest.mark.parametrize("command", ["counts", "hotspots", "trends"])
def test_commands_that_need_incidents_say_so(tmp_path, capsys, command):
    rc = main([command, "--boundaries", str(LEICESTER), "--out", str(tmp_path / "x.csv")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert err[-1].startswith("error: these areas are not the shipped Northamptonshire ones")
    assert "Traceback" not in "\n".join(err)


def test_hotspots_on_an_area_indicator(tmp_path, capsys):
    out = tmp_path / "h.csv"
    rc = main(["hotspots", "--boundaries", str(LEICESTER), "--variable", "imd_score", "--permutations", "99",
               "--out", str(out)])
    assert rc == 0, capsys.readouterr().err
    assert len(pd.read_csv(out)) == 30


def test_example_provision_refused_for_other_areas(tmp_path, capsys):
    rc = main(["gaps", "--boundaries", str(LEICESTER), "--provision", "example", "--imd-tiers",
               "--out", str(tmp_path / "g.csv")])
    err = capsys.readouterr().err
    assert rc == 2 and "Northamptonshire only" in err and "--provision FILE" in err


def test_map_without_incidents(tmp_path, capsys):
    out = tmp_path / "m.html"
    rc = main(["map", "--boundaries", str(LEICESTER), "--permutations", "99", "--out", str(out)])
    cap = capsys.readouterr()
    assert rc == 0, cap.err
    assert "hot spots show clusters of imd_score" in cap.err and out.stat().st_size > 0


def test_pipeline_sources_for_other_areas(leicester):
    src = P.Sources(boundaries=str(LEICESTER))
    inc = P.load_incidents_for(src)
    assert inc.empty and len(inc.points) == 0
    assert P.load_provision_for(src) is None
    assert len(P.load_provision_for(P.Sources())) > 0  # the shipped areas keep the example
    an = P.analyse(leicester, inc, [], P.Filters(), P.StatsSettings(permutations=99))
    assert an.stats.variable == "imd_score" and any("imd_score" in n for n in an.notes)
    assert not any(c.startswith("serious_violence") for c in an.indicators.columns)
    an2 = P.analyse(leicester, inc, [], P.Filters(), P.StatsSettings(variable="income_score", permutations=99))
    assert an2.stats.variable == "income_score"
    result, note = P.score(an, default_scenario())
    assert "serious_violence_eb_rate" in note and len(result.to_frame()) == 30


def app_with_leicester():
    """The app (AppTest) after uploading the Leicester boundaries (id column LSOA21CD)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=240)
    at.run()
    next(u for u in at.file_uploader if u.label.startswith("Boundaries")).set_value(
        ("leicester.geojson", LEICESTER.read_bytes(), "application/geo+json"))
    at.text_input[0].set_value("LSOA21CD")
    at.run()
    return at


def test_app_on_other_areas_without_incidents():
    """The app with Leicester boundaries and nothing else: no error, the missing data named."""
    at = app_with_leicester()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("30 areas" in c.value for c in at.caption)
    shown_text = " ".join(x.value for x in list(at.caption) + list(at.info) + list(at.warning))
    assert "not the shipped Northamptonshire ones" in shown_text
    assert "Northamptonshire Police" not in shown_text
    variable = next(s for s in at.selectbox if s.label == "Variable")  # hot spots on an indicator the user picks
    assert variable.value == "imd_score" and "Income score" in variable.options
    variable.set_value("income_score").run()
    assert not at.exception and not at.error, [e.value for e in at.error]


def test_comparisons_name_the_area_s_own_authority_and_force(tmp_path, capsys):
    """Profiles (and the app's area detail) compare with the local authority, force area and England."""
    from placebased.profile_record import county_label

    assert county_label(load_areas()) == "Northamptonshire"
    assert county_label(load_areas(boundaries=LEICESTER)) == "All areas loaded"  # 30 LSOAs: not all Leicester
    out = tmp_path / "p.pdf"
    rc = main(["profile", "--boundaries", str(LEICESTER), "--area", "E01013761", "--permutations", "99",
               "--out", str(out)])
    assert rc == 0, capsys.readouterr().err
    from placebased.outputs.report import pdf_text

    text = " ".join(pdf_text(out.read_bytes()).split())
    assert "Leicester (local authority)" in text and "Leicestershire (police force area)" in text
    assert "Northamptonshire" not in text


def test_workshop_page_on_other_areas_without_incidents(tmp_path, monkeypatch):
    """The workshop page with the Leicester areas and no incidents: cards on the indicators that exist."""
    from streamlit.testing.v1 import AppTest

    import appcache

    monkeypatch.setenv("PLACEBASED_DB", str(tmp_path / "saved.db"))
    appcache.c_store.clear()
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "views" / "workshop.py"),
                           default_timeout=240)
    at.session_state["settings"] = (P.Sources(boundaries=str(LEICESTER), id_column="LSOA21CD"), P.Filters(),
                                    P.StatsSettings(permutations=99), default_scenario())
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    text = " ".join([m.value for m in at.markdown] + [c.value for c in at.caption])
    assert "Leicester" in text
    appcache.c_store.clear()


def test_boundary_file_with_its_own_population_and_names(tmp_path):
    """A boundary file carrying its own ``population``/``lad_name``/``ward_name`` loads: the file's values win,
    the shipped ones fill only its blanks, and a warning names the kept columns."""
    import geopandas as gpd

    from placebased.io.areas import DataWarning

    g = gpd.read_file(_paths.BOUNDARIES / "northants_lsoa21_bgc.geojson").head(12)
    g["population"] = 1000.0
    g.loc[g.index[0], "population"] = None
    g["lad_name"] = "Own authority"
    g["ward_name"] = "Own ward"
    path = tmp_path / "own.geojson"
    g.to_file(path)
    with pytest.warns(DataWarning, match="kept the file's own lad_name, population"):
        a = load_areas(boundaries=path, id_column="LSOA21CD", name_column="LSOA21NM")
    shipped = load_areas()
    first = g["LSOA21CD"].iloc[0]
    assert a.loc[first, "population"] == shipped.loc[first, "population"]  # blank filled from the shipped
    assert (a["population"].drop(first) == 1000).all()
    assert (a["lad_name"] == "Own authority").all() and (a["ward_name"] == "Own ward").all()
    assert a["imd_decile"].notna().all()

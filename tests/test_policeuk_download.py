"""The police.uk download as it comes (issue 15, part 2): a zip with one folder per month.

Hand-made downloads with known answers: Leicester records (in the 30-LSOA fixture), records of
another force (Northamptonshire, outside), an outcomes file with two outcomes for one crime, a
stop-and-search file. Edge cases: a zip that is not a police.uk download, only outcomes, another
force only (zero kept: an error naming the forces found), a month missing, the same month twice,
LSOA codes of another vintage (matched by location).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from placebased import pipeline as P  # noqa: N812
from placebased.cli import main
from placebased.errors import PlaceBasedError
from placebased.io.policeuk import classify, parse_member

LEICESTER = Path(__file__).parent / "data" / "leicester_lsoa21_30.geojson"
HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
          "Crime type,Last outcome category,Context")
OUT_HEADER = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Outcome type"


def _leicester_points():
    g = gpd.read_file(LEICESTER)
    pts = g.to_crs(27700).representative_point().to_crs(4326)
    return [(code, p.x, p.y) for code, p in zip(g["LSOA21CD"], pts)]


def _street(month: str, force: str, n: int, inside: bool, code_of=None, areas: int = 30) -> str:
    rows = [HEADER]
    if inside:
        pts = _leicester_points()[:areas]
        for i in range(n):
            code, x, y = pts[(i * i) % len(pts)]
            code = code_of(code) if code_of else code
            rows.append(f"{force[:3]}{month}{i},{month},{force},{force},{x:.6f},{y:.6f},On or near X,{code},"
                        f"Leicester 001A,Violence and sexual offences,,")
    else:  # Northampton town centre
        for i in range(n):
            rows.append(f"{force[:3]}{month}{i},{month},{force},{force},-0.8929,52.2363,On or near Y,E01027111,"
                        f"Northampton 018B,Anti-social behaviour,,")
    return "\n".join(rows) + "\n"


def _zip(tmp_path, members: dict[str, str], name="download.zip") -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, text in members.items():
            zf.writestr(n, text)
    return path


@pytest.fixture
def download(tmp_path):
    return _zip(tmp_path, {
        "2025-01/2025-01-leicestershire-street.csv": _street("2025-01", "leicestershire", 12, True),
        "2025-02/2025-02-leicestershire-street.csv": _street("2025-02", "leicestershire", 8, True),
        "2025-01/2025-01-northamptonshire-street.csv": _street("2025-01", "northamptonshire", 5, False),
        "2025-01/2025-01-leicestershire-outcomes.csv":
            OUT_HEADER + "\nlei2025-010,2025-01,l,l,,,,,,Under investigation\n",
        "2025-02/2025-02-leicestershire-outcomes.csv":
            OUT_HEADER + "\nlei2025-010,2025-02,l,l,,,,,,Offender given a caution\n",
        "2025-01/2025-01-leicestershire-stop-and-search.csv": "Type,Date\nPerson search,2025-01-03\n",
    })


def test_member_names():
    m = parse_member("2025-01/2025-01-avon-and-somerset-street.csv")
    assert (m.month, m.force, m.kind) == ("2025-01", "avon-and-somerset", "street")
    assert parse_member("2025-01/2025-02-x-street.csv") is None  # folder and file months differ
    info = classify(["a/2025-03/2025-03-kent-street.csv", "2025-01/2025-01-kent-street.csv", "x.csv"])
    assert info.months == ["2025-01", "2025-03"] and info.forces == ["kent"]
    assert "2025-02" in " ".join(info.notes())


def test_download_through_the_cli(tmp_path, capsys, download):
    out = tmp_path / "counts.csv"
    rc = main(["counts", "--boundaries", str(LEICESTER), "--incidents", str(download), "--out", str(out)])
    cap = capsys.readouterr()
    assert rc == 0, cap.err
    assert "reading police.uk download: 5/5 files" in cap.err
    assert ("police.uk download: 2 months (2025-01 to 2025-02); forces leicestershire, northamptonshire; "
            "street records read 25, kept 20 in the areas, outside 5 (matched by LSOA code)") in cap.err
    counts = pd.read_csv(out)
    assert len(counts) == 30 and counts["total"].sum() == 20


def test_last_outcome_and_notes(download):
    inc = P.load_incidents_for(P.Sources(boundaries=str(LEICESTER), incidents=(str(download),)))
    pts = inc.points.set_index("crime_id")
    assert len(pts) == 20 and set(pts["force"]) == {"leicestershire"}
    assert pts.loc["lei2025-010", "last_outcome"] == "Offender given a caution"
    assert pts.loc["lei2025-010", "last_outcome_month"] == "2025-02"
    notes = " ".join(inc.report.notes)
    assert "last outcome added to 1 of 25 crimes" in notes and "stop-and-search file(s) left out" in notes


def test_progress_callback_for_the_app(download):
    calls = []
    P.load_incidents_for(P.Sources(boundaries=str(LEICESTER), incidents=(str(download),)),
                         progress=lambda d, t, _m: calls.append((d, t)))
    assert calls == [(i, 5) for i in range(1, 6)]


def test_another_force_only_is_a_clear_error(tmp_path, capsys):
    z = _zip(tmp_path, {"2025-01/2025-01-northamptonshire-street.csv": _street("2025-01", "northamptonshire", 5,
                                                                               False)})
    rc = main(["counts", "--boundaries", str(LEICESTER), "--incidents", str(z), "--out", str(tmp_path / "c.csv")])
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert rc == 2 and "northamptonshire" in err and "Leicestershire force area" in err
    assert not (tmp_path / "c.csv").exists()


def test_not_a_download_and_outcomes_only(tmp_path):
    only_outcomes = _zip(tmp_path, {"2025-01/2025-01-kent-outcomes.csv": OUT_HEADER + "\n"}, "o.zip")
    with pytest.raises(PlaceBasedError, match="no street-level crime file"):
        P.load_incidents_for(P.Sources(boundaries=str(LEICESTER), incidents=(str(only_outcomes),)))
    text = _zip(tmp_path, {"readme.txt": "hello"}, "t.zip")
    with pytest.raises(PlaceBasedError, match="no readable incident file"):
        P.load_incidents_for(P.Sources(boundaries=str(LEICESTER), incidents=(str(text),)))
    fake = _zip(tmp_path, {"2025-01/2025-01-kent-street.csv": "a,b\n1,2\n"}, "f.zip")
    with pytest.raises(PlaceBasedError, match="lacks its columns"):
        P.load_incidents_for(P.Sources(boundaries=str(LEICESTER), incidents=(str(fake),)))


def test_mixed_months_and_vintages(tmp_path):
    z = _zip(tmp_path, {
        "2025-01/2025-01-leicestershire-street.csv": _street("2025-01", "leicestershire", 6, True,
                                                             code_of=lambda _c: "E01099999"),
        "2025-03/2025-03-leicestershire-street.csv": _street("2025-03", "leicestershire", 6, True,
                                                             code_of=lambda _c: "E01099999"),
        "b/2025-03/2025-03-leicestershire-street.csv": _street("2025-03", "leicestershire", 6, True,
                                                               code_of=lambda _c: "E01099999"),
    })
    inc = P.load_incidents_for(P.Sources(boundaries=str(LEICESTER), incidents=(str(z),)))
    notes = " ".join(inc.report.notes)
    assert "no street file for 1 month(s) between 2025-01 and 2025-03 (2025-02)" in notes
    assert "more than one street file for 2025-03" in notes and "6 records repeated" in notes
    assert "kept 12 in the areas, outside 0 (matched by location)" in notes  # codes of another vintage


def test_app_accepts_the_download_zip(download):
    from test_other_area import app_with_leicester

    at = app_with_leicester()
    up = next(u for u in at.file_uploader if u.label.startswith("Incidents"))
    assert "zip" in str(up.proto.type)
    up.set_value(("download.zip", download.read_bytes(), "application/zip"))
    at.run()
    assert not at.exception
    captions = " ".join(c.value for c in at.caption)
    assert "kept 20 in the areas, outside 5" in captions  # the police.uk line among the reading notes

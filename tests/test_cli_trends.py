"""CLI contract of ``placebased trends``: columns, options, warnings and errors."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from placebased.cli import main
from placebased.stats.emerging import EMERGING_CLASSES

HEAD = ["area_code", "mk_tau", "mk_p", "sen_slope", "emerging_class"]


@pytest.fixture
def grid_files(tmp_path, grid_areas):
    """Grid boundaries and a partner CSV (easting/northing, date and time) over 14 months."""
    bounds = tmp_path / "grid.geojson"
    grid_areas.reset_index()[["area_code", "geometry"]].to_file(bounds)
    rng = np.random.default_rng(3)
    centres = grid_areas.geometry.centroid
    rows = []
    for m in range(14):
        month = pd.Timestamp("2024-01-01") + pd.DateOffset(months=m)
        for code in grid_areas.index:
            n = rng.poisson(2) + (m if code in ("A1", "A2", "B1") else 0)  # a growing corner
            for _ in range(n):
                day = month + pd.Timedelta(days=int(rng.integers(0, 28)))
                rows.append({"Easting": centres[code].x + rng.uniform(-200, 200),
                             "Northing": centres[code].y + rng.uniform(-200, 200),
                             "Date": day.strftime("%d/%m/%Y") + f" {int(rng.integers(0, 24)):02d}:15",
                             "Offence": "Assault" if rng.random() < 0.7 else "Robbery"})
    data = tmp_path / "partner.csv"
    pd.DataFrame(rows).to_csv(data, index=False)
    return bounds, data


def _base(bounds, data):
    return ["trends", "--incidents", str(data), "--x-column", "Easting", "--y-column", "Northing", "--crs", "bng",
            "--boundaries", str(bounds), "--id-column", "area_code"]


def test_trends_default_shipped_data(tmp_path, capsys):
    out = tmp_path / "trends.csv"
    series = tmp_path / "series.csv"
    cube = tmp_path / "cube.csv"
    assert main(["trends", "--category", "serious_violence", "--out", str(out), "--series", str(series),
                 "--cube", str(cube)]) == 0
    df = pd.read_csv(out)
    assert list(df.columns[:5]) == HEAD
    assert {"n_steps", "first_step", "last_step", "p_cutoff", "correction"} <= set(df.columns)
    assert len(df) == 443 and (df["n_steps"] == 9).all()
    assert set(df["emerging_class"]) <= set(EMERGING_CLASSES)
    err = capsys.readouterr().err
    assert "warning:" in err and "at least 10" in err  # police.uk ships 9 months
    assert "443 areas written" in err
    s = pd.read_csv(series)
    assert list(s.columns) == ["area_code", "step", "category", "count"] and len(s) == 443 * 9 * 3
    c = pd.read_csv(cube)
    assert list(c.columns) == ["area_code", "step", "value", "gi_z", "gi_p", "gi_state"] and len(c) == 443 * 9


def test_trends_partner_data_quarters_and_range(tmp_path, capsys, grid_files):
    bounds, data = grid_files
    out = tmp_path / "t.csv"
    assert main([*_base(bounds, data), "--out", str(out)]) == 0
    df = pd.read_csv(out).set_index("area_code")
    err = capsys.readouterr().err
    assert "at least 10" not in err  # 14 months
    assert (df["n_steps"] == 14).all() and df.loc["A1", "sen_slope"] > 0.5 and df.loc["A1", "mk_p"] < 0.05
    assert df.loc["A1", "first_step"] == "2024-01" and df.loc["A1", "last_step"] == "2025-02"
    q = tmp_path / "q.csv"
    assert main([*_base(bounds, data), "--step", "quarter", "--category", "Assault", "--start", "2024-01",
                 "--end", "2024-12", "--time-window", "0", "--correction", "none", "--out", str(q)]) == 0
    dq = pd.read_csv(q)
    assert (dq["n_steps"] == 4).all() and (dq["first_step"] == "2024-Q1").all()
    assert (dq["correction"] == "none").all() and (dq["time_window"] == 0).all()
    assert "at least 10" in capsys.readouterr().err


def test_trends_errors(tmp_path, capsys, grid_files):
    bounds, data = grid_files
    out = tmp_path / "o.csv"
    assert main([*_base(bounds, data), "--step", "year", "--out", str(out)]) == 2
    assert "at least 3 time steps" in capsys.readouterr().err and not out.exists()
    assert main([*_base(bounds, data), "--start", "2030-01", "--out", str(out)]) == 2
    assert "widen" in capsys.readouterr().err
    assert main([*_base(bounds, data), "--start", "someday", "--out", str(out)]) == 2
    assert "not a date" in capsys.readouterr().err
    assert main(["trends", "--category", "Pickpocketing", "--out", str(out)]) == 2
    assert "unknown category" in capsys.readouterr().err
    assert main([*_base(bounds, data), "--time-window", "-1", "--out", str(out)]) == 2
    assert "--time-window" in capsys.readouterr().err
    assert not out.exists()


def test_trends_reports_gaps(tmp_path, capsys, grid_files):
    bounds, data = grid_files
    df = pd.read_csv(data)
    months = pd.to_datetime(df["Date"], format="%d/%m/%Y %H:%M").dt.strftime("%Y-%m")
    holed = tmp_path / "holed.csv"
    df[months != "2024-05"].to_csv(holed, index=False)
    out = tmp_path / "t.csv"
    assert main([*_base(bounds, holed), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "gap in supply" in err and "2024-05" in err
    assert (pd.read_csv(out)["n_steps"] == 14).all()


def test_help_has_examples(capsys):
    with pytest.raises(SystemExit):
        main(["trends", "--help"])
    out = capsys.readouterr().out
    assert "examples:" in out and "emerging_class" in out


def test_boundaries_fixture_roundtrip(grid_files):
    bounds, _ = grid_files
    assert len(gpd.read_file(bounds)) == 9

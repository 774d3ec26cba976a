"""Monitoring framework: Laney u' limits, rolling totals, baseline change, measure rules, real data.

Edge cases: a baseline with no events (blank limits), a single baseline month (sigma_z = 1),
months with no records (zero-filled), records outside the areas (counted in notes), ages given
as years or bands (a band straddling 25 is unknown), a measure whose columns are missing
(reported as not available), police.uk data (proxy measures only).
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from shapely.geometry import Point, box

from placebased.cli import main
from placebased.errors import ConfigError
from placebased.stats import monitoring as mon

# ---------------------------------------------------------------------------------------------
# statistics by hand


def test_laney_limits_by_hand():
    # u-bar = 45 / 30 = 1.5; sigma_i = sqrt(1.5 / 10); z = -1.29099, 1.29099, 0 (baseline)
    # moving ranges 2.58199, 1.29099 -> mean 1.93649 -> sigma_z = 1.93649 / 1.128 = 1.716748
    r = mon.laney_u_chart([10, 20, 15, 30], [10, 10, 10, 10], np.array([True, True, True, False]))
    s = math.sqrt(0.15)
    z = [(1.0 - 1.5) / s, (2.0 - 1.5) / s, 0.0, (3.0 - 1.5) / s]
    assert_allclose(r["z"], z)
    sigma_z = (abs(z[1] - z[0]) + abs(z[2] - z[1])) / 2 / 1.128
    assert r["u_bar"] == pytest.approx(1.5)
    assert r["sigma_z"] == pytest.approx(sigma_z) and sigma_z == pytest.approx(1.716748, abs=1e-6)
    assert_allclose(r["centre"], [15.0] * 4)
    assert_allclose(r["ucl"], [10 * (1.5 + 3 * s * sigma_z)] * 4)
    assert_allclose(r["ucl"][0], 34.946809, atol=1e-6)
    assert_allclose(r["lcl"], [0.0] * 4)  # 1.5 - 1.99 < 0: floored


def test_laney_unequal_exposure_and_poisson_case():
    # one baseline month: sigma_z = 1, the plain Poisson u-chart
    r = mon.laney_u_chart([31, 56], [31, 28], np.array([True, False]))
    assert r["sigma_z"] == 1.0 and not r["sigma_z_estimated"]
    assert_allclose(r["centre"], [31.0, 28.0])  # u-bar = 1 per day
    assert_allclose(r["ucl"], [31 * (1 + 3 * math.sqrt(1 / 31)), 28 * (1 + 3 * math.sqrt(1 / 28))])
    assert_allclose(r["lcl"], [31 * (1 - 3 * math.sqrt(1 / 31)), 28 * (1 - 3 * math.sqrt(1 / 28))])
    # no events in the baseline: no limits
    empty = mon.laney_u_chart([0, 0, 3], [30, 31, 30], np.array([True, True, False]))
    assert np.isnan(empty["ucl"]).all() and np.isnan(empty["lcl"]).all()


def test_rolling_and_baseline_change_by_hand():
    assert_allclose(mon.rolling_total([1, 2, 3, 4, 5], window=3), [np.nan, np.nan, 6, 9, 12])
    assert np.isnan(mon.rolling_total([1, 2], window=12)).all()
    base, change = mon.baseline_change([2, 4, 6, 6], np.array([True, True, False, False]))
    assert base == 36.0  # (2 + 4) x 12 / 2
    assert_allclose(change, [np.nan, 0.0, 10 * 6 / 36 - 1, 12 * 6 / 36 - 1])
    base0, change0 = mon.baseline_change([0, 0, 3], np.array([True, True, False]))
    assert base0 == 0.0 and np.isnan(change0).all()


def test_under_25():
    got = mon.under_25(pd.Series(["17", "24", "25", "18-24", "20 to 29", "under 18", "25+", "", None, "0-17"]))
    assert got.tolist() == [True, True, False, True, pd.NA, True, False, pd.NA, pd.NA, True]


# ---------------------------------------------------------------------------------------------
# the framework on hand-made records


def _areas():
    return gpd.GeoDataFrame(
        {"area_name": ["A one", "B one", "C two"], "lad_code": ["L1", "L1", "L2"], "lad_name": ["One", "One", "Two"]},
        geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100), box(200, 0, 300, 100)],
        index=pd.Index(["A", "B", "C"], name="area_code"), crs="EPSG:27700",
    )


def _records():
    """24 months in area A: one knife-flagged record a month in 2023, two a month in 2024; noise elsewhere."""
    rows = []
    for month in pd.period_range("2023-01", "2024-12", freq="M"):
        k = 1 if month.year == 2023 else 2
        for i in range(k):
            rows.append(("Assault", str(month), "Y", "19" if i == 0 else "40", Point(50, 50)))
        rows.append(("Assault", str(month), "N", "30", Point(150, 50)))  # not knife
    rows.append(("Wounding with a knife", "2024-12", "", "20-29", Point(250, 50)))  # keyword rule, age unknown
    rows.append(("Assault", "2024-06", "Y", "22", Point(5000, 5000)))  # outside every area
    frame = pd.DataFrame(rows, columns=["category", "month", "raw:knife_flag", "raw:victim_age", "geometry"])
    frame["kind"] = "police"
    return gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:27700")


def test_monitor_records_by_hand():
    measures = [m for m in mon.load_measures() if m.id == "knife_sv"]
    r = mon.monitor_records(_records(), _areas(), measures, levels=("lsoa", "lad", "county"))
    assert r.computed == ("knife_sv", "knife_sv_under25")
    t = r.to_frame()
    assert list(t.columns) == mon.COLUMNS
    a = t[(t.measure == "knife_sv") & (t.level == "lsoa") & (t.area_code == "A")].set_index("month")
    assert len(a) == 24 and a["count"].sum() == 36
    assert a.loc["2023-12", "rolling_12m"] == 12 and a.loc["2024-06", "rolling_12m"] == 18
    assert a.loc["2024-12", "rolling_12m"] == 24 and np.isnan(a.loc["2023-11", "rolling_12m"])
    assert (a["baseline"] == 12).all()  # 24 months: the first 12 are the baseline year
    assert a.loc["2024-06", "change_vs_baseline"] == pytest.approx(0.5)
    assert a.loc["2024-12", "change_vs_baseline"] == pytest.approx(1.0)
    assert a["baseline_period"].iloc[0].startswith("2023-01 to 2023-12 (12 months")
    u_bar = 12 / 365
    assert a.loc["2023-02", "centre"] == pytest.approx(u_bar * 28)
    # C has only the keyword record (Dec 2024): baseline empty -> no limits
    c = t[(t.measure == "knife_sv") & (t.level == "lsoa") & (t.area_code == "C")]
    assert c["count"].sum() == 1 and c["ucl"].isna().all()
    # B's records are not knife-flagged
    assert t[(t.measure == "knife_sv") & (t.area_code == "B")]["count"].sum() == 0
    lad = t[(t.measure == "knife_sv") & (t.level == "lad")].groupby("area_code")["count"].sum()
    assert lad.to_dict() == {"L1": 36, "L2": 1}
    county = t[(t.measure == "knife_sv") & (t.level == "county")]
    assert county["count"].sum() == 37 and set(county["area_name"]) == {"All areas"}
    # under 25: the first record of each month (age 19); the "20-29" band is unknown
    young = t[(t.measure == "knife_sv_under25") & (t.level == "county")]
    assert young["count"].sum() == 24
    assert any("1 records with no usable age" in n for n in r.notes)
    assert any("1 records fall outside" in n for n in r.notes)


def test_signal_flags_a_jump():
    # flat 10 a month for 12 months then 40: far above the limits
    months = pd.period_range("2023-01", "2024-12", freq="M")
    rows = [("Knife assault", str(m), Point(50, 50)) for m in months for _ in range(40 if str(m) == "2024-06" else 10)]
    rec = gpd.GeoDataFrame(pd.DataFrame(rows, columns=["category", "month", "geometry"]).assign(kind="police"),
                           geometry="geometry", crs="EPSG:27700")
    m = mon.Measure(id="k", label="Knife", source="police", keywords=("knife",))
    r = mon.monitor_records(rec, _areas(), [m], levels=("county",))
    sig = r.signals()
    assert sig["month"].tolist() == ["2024-06"] and sig["signal"].tolist() == ["above"]
    assert "outside the control limits" in r.summary_text()


def test_unavailable_measures_are_reported():
    rec = _records().drop(columns=["raw:knife_flag"]).assign(category="All incidents")
    r = mon.monitor_records(rec, _areas(), mon.load_measures(), levels=("county",))
    assert "knife_sv" in r.unavailable and "columns its rules need" in r.unavailable["knife_sv"]
    assert "no hospital extract" in r.unavailable["hospital_knife_assault"]
    assert r.table.empty and "No measure could be computed" in r.summary_text()


def test_measures_file_errors(tmp_path):
    bad = tmp_path / "m.toml"
    bad.write_text('[[measure]]\nid = "x"\nlabel = "X"\nsource = "pub"\nkeywords = ["a"]\n')
    with pytest.raises(ConfigError, match="source 'pub' is not known"):
        mon.load_measures(bad)
    bad.write_text('[[measure]]\nid = "x"\nlabel = "X"\nsource = "police"\n')
    with pytest.raises(ConfigError, match="has no rule"):
        mon.load_measures(bad)
    bad.write_text('[[measure]]\nid = "x"\nlabel = "X"\nsource = "police"\nflag = "knife"\n')
    with pytest.raises(ConfigError, match="flag must look like"):
        mon.load_measures(bad)
    bad.write_text("not toml [")
    with pytest.raises(ConfigError, match="not valid TOML"):
        mon.load_measures(bad)
    with pytest.raises(Exception, match="measures file not found"):
        mon.load_measures(tmp_path / "missing.toml")


def test_shipped_measures_table():
    ms = {m.id: m for m in mon.load_measures()}
    assert {"knife_sv", "homicide", "hospital_knife_assault", "violence_proxy", "weapons_robbery_proxy"} <= set(ms)
    assert ms["violence_proxy"].proxy and "NOT knife crime" in ms["violence_proxy"].note
    assert not ms["knife_sv"].proxy and ms["knife_sv"].flag[0] == "knife_flag"


def test_partner_extract_with_postcodes_and_codes(tmp_path):
    # a hospital extract without coordinates: LSOA codes given; ICD-10 X99 prefix rule
    f = tmp_path / "admissions.csv"
    f.write_text("admission_date,lsoa_code,cause_code,age\n"
                 "2025-01-03,E01027153,X99.1,17\n2025-01-09,E01027153,W01,30\n2025-02-11,E01027154,X99,44\n"
                 "2025-02-12,E99999999,X99.0,12\n")
    r = mon.monitor(incidents=[], hospital=[f], measures=[m for m in mon.load_measures()
                                                          if m.id == "hospital_knife_assault"])
    t = r.to_frame()
    main_series = t[t.measure == "hospital_knife_assault"].set_index("month")["count"]
    assert main_series.to_dict() == {"2025-01": 1, "2025-02": 1}
    assert t[t.measure == "hospital_knife_assault_under25"]["count"].sum() == 1
    assert any("outside the areas" in n for n in r.notes)


# ---------------------------------------------------------------------------------------------
# the shipped police.uk data, library and CLI


@pytest.fixture(scope="module")
def shipped():
    return mon.monitor(levels=("county", "lad"))


def test_shipped_data_proxy_measures(shipped):
    from placebased._paths import default_incident_files
    from placebased.io.areas import load_areas
    from placebased.io.incidents import load_incidents
    from placebased.stats.aggregate import assign_areas

    assert shipped.computed == ("violence_proxy", "weapons_robbery_proxy")
    assert set(shipped.unavailable) == {"knife_sv", "homicide", "hospital_knife_assault"}
    t = shipped.to_frame()
    inc = load_incidents(default_incident_files())
    pts, _ = assign_areas(inc.points, load_areas())
    inside = pts[pts["area_code"].notna() & pts["month"].notna()]
    expected = int((inside["category"] == "Violence and sexual offences").sum())
    county = t[(t.measure == "violence_proxy") & (t.level == "county")]
    assert county["count"].sum() == expected and len(county) == 9
    lad = t[(t.measure == "violence_proxy") & (t.level == "lad")]
    assert lad["count"].sum() == expected and set(lad["area_code"]) == {"E06000061", "E06000062"}
    # 9 months: the baseline period is the first 4; rolling 12-month totals cannot exist yet
    assert county["baseline_period"].iloc[0].startswith("2025-01 to 2025-04 (4 months")
    assert county["rolling_12m"].isna().all()
    assert (county["lcl"] < county["centre"]).all() and (county["centre"] < county["ucl"]).all()
    assert "PROXY" in shipped.summary_text()


def test_cli_monitor(tmp_path, capsys):
    out, png = tmp_path / "m.csv", tmp_path / "m.png"
    assert main(["monitor", "--level", "lad", "--plot", str(png), "--out", str(out)]) == 0
    t = pd.read_csv(out)
    assert list(t.columns) == mon.COLUMNS
    assert set(t["level"]) == {"lad"} and set(t["measure"]) == {"violence_proxy", "weapons_robbery_proxy"}
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    err = capsys.readouterr().err
    assert "not available: knife_sv" in err and "proxy: violence_proxy" in err


def test_cli_monitor_errors(tmp_path, capsys):
    assert main(["monitor", "--out", str(tmp_path / "m.csv"), "--baseline-year", "1999"]) == 2
    assert "baseline year 1999 is not in the data" in capsys.readouterr().err
    assert main(["monitor"]) == 2
    assert not (tmp_path / "m.csv").exists()


def test_cli_force_extract_with_knife_flag_and_codes(tmp_path):
    """A force extract with coordinates: the knife flag, offence codes and victim ages are read from its columns."""
    f = tmp_path / "force.csv"
    rows = ["date,easting,northing,offence,offence_code,knife_flag,victim_age"]
    from placebased.io.postcodes import locate  # every record at the centroid of NN17 1TR (LSOA E01026949)

    x, y = locate(["NN17 1TR"]).loc[0, ["x", "y"]]
    for month in range(1, 13):
        rows.append(f"2024-{month:02d}-10,{x:.0f},{y:.0f},Assault with injury,8N,Y,17")
        rows.append(f"2024-{month:02d}-11,{x:.0f},{y:.0f},Assault with injury,8N,N,30")
    rows.append(f"2024-06-01,{x:.0f},{y:.0f},Murder,1,N,45")
    rows.append(f"2024-07-01,{x:.0f},{y:.0f},Manslaughter,4.1,N,22")
    f.write_text("\n".join(rows) + "\n")
    out = tmp_path / "m.csv"
    assert main(["monitor", "--incidents", str(f), "--level", "county", "lsoa", "--out", str(out)]) == 0
    t = pd.read_csv(out)
    county = t[t.level == "county"].groupby("measure")["count"].sum().to_dict()
    assert county == {"knife_sv": 12, "knife_sv_under25": 12, "homicide": 2, "homicide_under25": 1}
    lsoa = t[(t.level == "lsoa") & (t.measure == "knife_sv")].groupby("area_code")["count"].sum()
    assert lsoa[lsoa > 0].index.tolist() == ["E01026949"]  # NN17 1TR's LSOA
    assert main(["monitor", "--incidents", str(f), "--harm-table", str(f), "--out", str(out)]) == 2

"""The sensitive-category classifier (placebased.categories): shipped list, normalisation, rule for
doubt, extra labels from files and the app, and the exception for police.uk's broad category.

Edge cases: case, punctuation, underscores, camelCase, plurals, Home Office codes at the start of
a label only, abbreviations as whole words only ("da" not in "damage"), neutral phrases
("domestic burglary"), the police.uk category names, injection-looking labels.
"""

from __future__ import annotations

import pytest

from placebased.categories import (
    POLICE_UK_CATEGORIES,
    SENSITIVE_FILE_ENV,
    SensitiveRules,
    classify_labels,
    is_sensitive,
    normalise,
    read_sensitive_file,
    sensitive_rule,
    sensitive_rules,
    sensitive_summary,
    shipped_rules,
)
from placebased.errors import DataError

SENSITIVE = [
    "Rape", "Rapes", "RAPE", "rape of a female aged 16 and over", "Attempted rape", "Sexual violence",
    "sexual_offences", "Sexual Offences", "Other sexual offences", "Sexual assault", "Sexual harassment",
    "Harassment (sexual)", "Stalking", "stalking and harassment", "Harassment", "Malicious harassment",
    "Domestic abuse", "Domestic Abuse - Violence with injury", "Domestic-related", "domestic related flag",
    "DA", "DA flag", "Assault (DA)", "DV", "dv_incident", "VAWG", "vawg-related", "RASO", "RASSO cases",
    "CSE", "CSA", "Child sexual exploitation", "Child Sexual Abuse", "Exploitation", "Child criminal exploitation",
    "Coercive and controlling behaviour", "Controlling or coercive behavior", "Coercive control",
    "Indecent exposure", "Exposure and voyeurism", "Upskirting", "Sexual grooming", "Modern slavery",
    "Human trafficking", "Forced labour", "FGM", "Female genital mutilation", "Honour based abuse",
    "Honour-based violence", "HBA", "HBV", "Forced marriage", "DASH high risk", "MARAC referral", "SOA 2003",
    "Intimate image abuse", "Revenge porn", "domesticAbuse", "SexualOffences", "sexOff", "Abuse of position of trust",
    "19C Rape of a female aged 16 and over", "019C", "HO 17A", "Code 8Q", "8U", "106 Modern slavery",
    "Violence against women and girls", "Cruelty to children", "Child abuse", "Incest or familial sexual offences",
    "Exploitation of prostitution", "Sex offences",
]

NOT_SENSITIVE = [
    *POLICE_UK_CATEGORIES,  # includes "Violence and sexual offences" (police.uk publishes it at points)
    "violence_and_sexual_offences", "VIOLENCE AND SEXUAL OFFENCES", "Violence & sexual offences",
    "burglary", "Robberies", "Vehicle crime", "Drugs", "Public order", "Domestic burglary", "Non-domestic burglary",
    "Drug trafficking", "Trafficking in controlled drugs", "Criminal damage", "Wounding s.20", "GBH s18", "s20 GBH",
    "Section 20 wounding", "Common assault", "Assault with injury", "Knife crime", "Serious violence", "SV",
    "Murder", "Homicide", "Possession of weapons", "Sussex Police", "Essex", "Arson", "Night-time economy",
    "Theft from the person", "Shoplifting", "Robbery of business property", "Homicide 1", "Other crime",
    "Firearms offences", "{{ 7*7 }}", "=HYPERLINK(\"http://x\")", "<script>alert(1)</script>", "", "   ",
]


@pytest.mark.parametrize("label", SENSITIVE)
def test_sensitive_labels(label):
    assert is_sensitive(label), label
    assert sensitive_rule(label)


@pytest.mark.parametrize("label", NOT_SENSITIVE)
def test_not_sensitive_labels(label):
    assert not is_sensitive(label), (label, sensitive_rule(label))


def test_corpus_size():
    assert len(SENSITIVE) + len(NOT_SENSITIVE) >= 60 and len(SENSITIVE) >= 40


@pytest.mark.parametrize("label, words", [
    ("Sexual_Offences (DA-flag)", ("sexual", "offence", "da", "flag")),
    ("domesticAbuse", ("domestic", "abuse")),
    ("RASSOFlag", ("rasso", "flag")),
    ("Robberies", ("robbery",)),
    ("Witnesses", ("witness",)),
    ("Sexes", ("sex",)),
    ("  --  ", ()),
])
def test_normalise(label, words):
    assert normalise(label) == words


def test_rules_are_frozen_hashable_and_callable():
    r = shipped_rules()
    assert isinstance(r, SensitiveRules) and hash(r) == hash(shipped_rules())
    with pytest.raises(AttributeError):
        r.phrases = ()  # frozen
    assert r("Rape") and not r("Burglary")
    r2 = r.with_labels(["Operation Nightingale", "Op Dove"])
    assert r2 != r and hash(r2) != hash(r)
    assert r2("operation_nightingale cases") and not r("operation nightingale")
    assert is_sensitive("OP DOVE", r2) and not is_sensitive("OP DOVE")
    assert sensitive_rule("Op Dove", r2) == "added label 'op dove'"
    assert r.with_labels([]) is r and r.with_labels(["  "]) is r


def test_classify_labels_table():
    t = classify_labels(["Burglary", "Stalking", "Burglary", "Violence and sexual offences", "19C"])
    assert list(t.columns) == ["label", "sensitive", "rule"]
    assert t["label"].tolist() == ["Burglary", "Stalking", "Violence and sexual offences", "19C"]
    assert t["sensitive"].tolist() == [False, True, False, True]
    assert t["rule"].tolist()[0] == "" and "stalking" in t["rule"].iloc[1] and "19C" in t["rule"].iloc[3]
    line = sensitive_summary(["Burglary", "Stalking"])
    assert "Stalking" in line and "Burglary" not in line and "\n" not in line
    assert "none" in sensitive_summary(["Burglary"])


def test_extra_file_text_and_toml(tmp_path, monkeypatch):
    txt = tmp_path / "extra.txt"
    txt.write_text("# our force's codes\nOperation Nightingale\nPROTECT  # flag\n\n77X\n", encoding="utf-8")
    assert read_sensitive_file(txt) == ["Operation Nightingale", "PROTECT", "77X"]
    r = sensitive_rules(extra_file=txt, env=False)
    assert r("Protect flag") and r("77X something") and r("Operation nightingale") and not r("Burglary")
    toml = tmp_path / "extra.toml"
    toml.write_text('[sensitive]\nwords = ["Kingfisher"]\ncodes = ["99Z"]\n', encoding="utf-8")
    r = sensitive_rules(extra_file=toml, env=False)
    assert r("kingfishers") and r("99Z Other") and r("Rape")
    # the environment variable adds to every default decision
    monkeypatch.setenv(SENSITIVE_FILE_ENV, str(txt))
    assert is_sensitive("PROTECT") and is_sensitive("Rape") and not is_sensitive("Burglary")
    monkeypatch.delenv(SENSITIVE_FILE_ENV)
    assert not is_sensitive("PROTECT")
    assert sensitive_rules(["Kestrel"], env=False)("kestrels")


def test_extra_file_errors(tmp_path):
    with pytest.raises(DataError, match="not found"):
        read_sensitive_file(tmp_path / "nope.txt")
    with pytest.raises(DataError, match="cannot read"):
        read_sensitive_file(tmp_path)
    bad = tmp_path / "bad.toml"
    bad.write_text("[sensitive\nwords = 3", encoding="utf-8")
    with pytest.raises(DataError, match="bad.toml: not valid TOML"):
        read_sensitive_file(bad)
    bad.write_text("[sensitive]\nwords = 3\n", encoding="utf-8")
    with pytest.raises(DataError, match="must be a list"):
        read_sensitive_file(bad)
    bad.write_text('[not_sensitive]\nlabels = ["Rape"]\n', encoding="utf-8")
    with pytest.raises(DataError, match="cannot be added"):
        read_sensitive_file(bad)
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Fl\xe9chette\n".encode("latin-1"))
    with pytest.raises(DataError, match="UTF-8"):
        read_sensitive_file(latin)


def test_shipped_list_is_package_data():
    from importlib.resources import files

    assert files("placebased").joinpath("data", "sensitive_categories.toml").is_file()
    r = shipped_rules()
    assert len(r.phrases) > 80 and "19c" in r.codes and ("violence", "and", "sexual", "offence") in r.exceptions


def _partner_csv(path, code="E01026949"):
    """A small police.uk-style file whose categories are partner labels, inside one shipped LSOA."""
    import gzip

    from placebased import _paths

    with gzip.open(_paths.default_incident_files()[0], "rt", encoding="utf-8") as fh:
        lines = [ln for ln in fh.read().splitlines()[1:] if f",{code}," in ln][:1]
    parts = lines[0].split(",")
    lon, lat = parts[4], parts[5]
    labels = ["Stalking"] * 3 + ["Op Kestrel"] * 12 + ["Robbery"] * 9 + ["Burglary"] * 14
    rows = ["Crime ID,Month,Longitude,Latitude,Crime type"]
    rows += [f"x{i},2025-0{1 + i % 3},{lon},{lat},{lab}" for i, lab in enumerate(labels)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return code


def test_cli_profile_reports_and_adds_sensitive_labels(tmp_path, capsys):
    from placebased.cli import main
    from placebased.outputs.report import pdf_text

    inc = tmp_path / "partner.csv"
    code = _partner_csv(inc)
    extra = tmp_path / "ours.txt"
    extra.write_text("Op Kestrel\n", encoding="utf-8")
    out = tmp_path / "p.pdf"
    rc = main(["profile", "--area", code, "--public", "--incidents", str(inc), "--sensitive-labels", str(extra),
               "--permutations", "99", "--out", str(out)])
    assert rc == 0
    err = capsys.readouterr().err
    line = next(ln for ln in err.splitlines() if ln.startswith("sensitive categories"))
    assert "Stalking (word 'stalking')" in line and "Op Kestrel (added label 'op kestrel')" in line
    assert "Robbery" not in line
    text = pdf_text(out.read_bytes())
    lines = [ln.strip() for ln in text.splitlines()]
    assert any(ln.startswith("Stalking") and "not shown" in ln for ln in lines)
    assert any(ln.startswith("Op Kestrel") and "10" in ln for ln in lines)  # 12 >= 10: shown, rounded
    assert "Total (sensitive categories not included): 25" in text  # 9 + 14 = 23, rounded to base 5
    assert "rounded to the nearest 5" in text


def test_cli_bad_sensitive_file_is_one_line(tmp_path, capsys):
    from placebased.cli import main

    bad = tmp_path / "bad.toml"
    bad.write_text("[sensitive\n", encoding="utf-8")
    assert main(["profile", "--area", "E01026949", "--public", "--sensitive-labels", str(bad),
                 "--out", str(tmp_path / "p.pdf")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "bad.toml" in err and "Traceback" not in err
    assert not (tmp_path / "p.pdf").exists()


def test_point_layer_and_clusters_never_draw_sensitive_points():
    import geopandas as gpd

    from placebased.outputs.mapping import cluster_points
    from placebased.pipeline import point_layer

    cats = ["Robbery", "Stalking", "Sexual harassment", "rapes", "Op Kestrel", "Violence and sexual offences"]
    pts = gpd.GeoDataFrame({"category": cats}, geometry=gpd.points_from_xy([480000 + 10 * i for i in range(6)],
                                                                           [260000] * 6), crs="EPSG:27700")
    drawn = point_layer(pts, cats)
    assert drawn["category"].tolist() == ["Robbery", "Op Kestrel", "Violence and sexual offences"]
    rules = sensitive_rules(["Op Kestrel"], env=False)
    assert point_layer(pts, cats, rules)["category"].tolist() == ["Robbery", "Violence and sexual offences"]
    # the cluster layer checks again, whatever it is given
    assert cluster_points(pts)["count"].sum() == 3
    assert cluster_points(pts, rules=rules)["count"].sum() == 2


def test_app_sidebar_adds_sensitive_labels_for_this_session():
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=180)
    at.run()
    assert not at.exception
    box = at.text_area(key="sensitive_extra")
    box.input("Burglary\nbicycle thefts").run()
    assert not at.exception
    assert at.session_state["sensitive_labels"] == ("Burglary", "bicycle thefts")
    from placebased.outputs.glossary import SENSITIVE_TABLE, column_label

    rule, label = column_label("rule"), SENSITIVE_TABLE["label"]  # the table's headings are plain words
    shown = [d.value for d in at.sidebar.dataframe if rule in getattr(d.value, "columns", [])]
    assert shown and set(shown[0][label]) == {"Burglary", "Bicycle theft"}
    assert "added label 'burglary'" in set(shown[0][rule])

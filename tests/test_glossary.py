"""Plain words (placebased.outputs.glossary): no raw column name reaches a displayed table; every class shown
has a plain label; the scenario label says when weights were edited; one date for a preset."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from placebased.io.provision import PRESCRIBING_SETTINGS
from placebased.names import EMERGING_CLASSES, MAP_LAYERS
from placebased.outputs import glossary, style
from placebased.score.scenario import Scenario, preset
from placebased.score.scoring import OUTPUT_COLUMNS
from placebased.score.selection import COLUMNS as SELECTION_COLUMNS

RAW = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")  # snake_case: an analyst's name


def _assert_plain(frame: pd.DataFrame) -> None:
    for c in frame.columns:
        assert not RAW.match(str(c)), f"raw column name {c!r} in a displayed table"
        assert str(c)[:1].isupper() or str(c)[:1].isdigit(), c


def test_display_frames_of_the_app_tables_have_no_raw_names():
    scores = pd.DataFrame({c: [1.0, 2.0] for c in OUTPUT_COLUMNS}, index=pd.Index(["E1", "E2"], name="area_code"))
    scores["tier"] = ["top 5%", "other"]
    scores["drivers"] = ["a", "b"]
    scores["contrib_imd_score"] = [1.0, 2.0]
    scores["imd_decile"] = [1, 7]
    scores["count"] = [3, 4]
    shown = glossary.display_frame(scores)
    _assert_plain(shown)
    assert "Area code" in shown.columns and "Deprivation decile (1 = most deprived 10%)" in shown.columns
    assert shown["Priority group"].tolist() == ["Top 5% of areas", "Not in a priority group"]
    assert "tier other" not in " ".join(map(str, shown.to_numpy().ravel()))
    sel = pd.DataFrame({c: ["x"] for c in SELECTION_COLUMNS})
    _assert_plain(glossary.display_frame(sel, index=False))
    hot = pd.DataFrame({"area_code": ["E1"], "value": [1.0], "gi_z": [2.0], "gi_p": [0.01], "gi_bin": [2],
                        "lisa_i": [0.5], "lisa_p": [0.02], "lisa_cluster": ["HH"], "emerging": ["new hot spot"]})
    shown = glossary.display_frame(hot, index=False)
    _assert_plain(shown)
    assert shown["Cluster type"].iloc[0] == "High among high"
    assert shown["Hot or cold spot"].iloc[0] == "Hot spot (confident)"
    assert shown["Pattern over time"].iloc[0] == "New hot spot"


def test_required_names():
    assert glossary.column_label("area_code") == "Area code"
    assert glossary.column_label("imd_decile") == "Deprivation decile (1 = most deprived 10%)"
    assert glossary.column_label("lad_name") == "Local authority"
    assert glossary.column_label("rank_p05").startswith("Rank")
    assert glossary.column_label("some_partner_indicator") == "Some partner indicator"
    assert glossary.column_label("contrib_imd_score").startswith("Adds to score")


def test_every_class_has_a_plain_label_and_meaning():
    for code in ("HH", "LL", "HL", "LH", "ns"):
        t = glossary.LISA[code]
        assert t.label and t.meaning and code not in t.label
        assert style.LISA_LABELS[code] == t.label
    for b in range(-3, 4):
        t = glossary.GI_BINS[b]
        assert t.label and t.meaning and "Gi" not in t.label
        assert style.GI_BIN_LABELS[b] == t.label
        assert "Fewer incidents" not in glossary.GI_PLAIN[b]
    for cls in EMERGING_CLASSES:
        assert cls.lower() in glossary.EMERGING and glossary.EMERGING[cls.lower()].meaning
    for kind in PRESCRIBING_SETTINGS.values():
        assert kind in glossary.PROVISION_TYPES, kind
    for tier in ("top 5%", "top 10%", "top 20%", "other", "excluded"):
        assert not glossary.tier_label(tier).lower().startswith("tier")
    labels = [glossary.emerging_label(c) for c in EMERGING_CLASSES]
    assert len(set(labels)) == len(labels)


def test_layer_titles_are_plain_and_detail_goes_to_the_method_note():
    for layer in ("priority", "imd", "gi", "lisa", "density", "emerging", "gaps"):
        title = glossary.layer_title(layer)
        for jargon in ("mapclassify", "Gi_Bin", "eb_rate", "docs/", "k=", "LISA"):
            assert jargon not in title, (layer, title)
    assert "mapclassify" in glossary.method_note("priority")
    note = glossary.method_note("gi", {"permutations": 9999, "seed": 12345, "alpha": 0.05, "correction": "fdr"})
    assert "9,999 permutations" in note and "seed 12345" in note and "Benjamini" in note
    assert glossary.variable_label("eb_rate") == "incidents per 1,000 residents (smoothed)"


def test_scenario_label_says_edited_and_presets_have_one_date():
    from placebased.pipeline import scenario_label

    b = preset("balanced")
    same = Scenario(name="Balanced", weights={k: 2 * v for k, v in b.weights.items()})  # same shares
    assert scenario_label(same) == "Balanced"
    assert same.created == b.created == "2025-11-20"  # the app's Balanced is the CLI's Balanced
    w = dict(b.weights)
    w["imd_score"] = 60.0
    edited = Scenario(name="Balanced", weights=w)
    label = scenario_label(edited)
    assert label.startswith("Balanced (edited: ") and "\u2192" in label and "IMD" in label
    assert "imd_score" not in label  # the catalogue's labels, not the ids
    assert edited.created != "2025-11-20"
    assert scenario_label(Scenario(name="Board 2026", weights={"imd_score": 1})) == "Board 2026"
    # the glossary only words it: it is given the preset (no preset: the name as it is)
    assert glossary.scenario_label(edited, preset=b).startswith("Balanced (edited: ")
    assert glossary.scenario_label(edited) == "Balanced"
    w.pop("cyp_score")
    label = glossary.scenario_label(Scenario(name="Balanced", weights=w), {"cyp_score": "Young people"}, b)
    assert "Young people removed" in label


def test_one_registry_per_name_list():
    """The class names and widget choices are defined once (placebased.names) and every layer reads them."""
    from placebased import names
    from placebased.outputs import mapping
    from placebased.score import disclosure, scoring
    from placebased.stats import emerging, weights

    assert emerging.EMERGING_CLASSES is names.EMERGING_CLASSES and style.EMERGING_COLOURS is names.EMERGING_COLOURS
    assert tuple(glossary.EMERGING) == names.EMERGING_CLASSES and tuple(glossary.LISA) == names.LISA_CODES
    assert list(mapping.LAYERS) == list(MAP_LAYERS) and set(glossary.LAYER_NAMES) == set(MAP_LAYERS)
    assert (scoring.EXCLUDED, scoring.OTHER) == (names.TIER_EXCLUDED, names.TIER_OTHER)
    assert disclosure.SECONDARY_MARK == names.SECONDARY_MARK
    for kind in names.WEIGHT_CHOICES:
        weights.parse_weights(kind)  # every offered choice is one the statistics read
        assert glossary.weights_label(kind) != kind
    for layer in MAP_LAYERS:
        assert "Gi" not in mapping.LAYERS[layer] and "LISA" not in mapping.LAYERS[layer]


def test_tables_of_the_other_pages_have_no_raw_names():
    """Needs assessment, evaluation and the export log: headings (and matched-on names) in words."""
    from placebased.score.sna import BY_DECILE_COLUMNS, CONCENTRATION_COLUMNS

    _assert_plain(glossary.display_frame(pd.DataFrame(columns=list(BY_DECILE_COLUMNS)), glossary.NEEDS_TABLE))
    _assert_plain(glossary.display_frame(pd.DataFrame(columns=list(CONCENTRATION_COLUMNS)), glossary.NEEDS_TABLE))
    balance = pd.DataFrame({"mean_targets": [1.0], "mean_pool": [1.0], "mean_matched": [1.0], "smd_before": [0.1],
                            "smd_after": [0.0]}, index=pd.Index(["log_rate_early"], name="covariate"))
    shown = glossary.display_frame(balance)
    _assert_plain(shown)
    assert not RAW.match(glossary.column_label(shown["Matched on"].iloc[0]))
    log = pd.DataFrame({"who": ["ann"], "created_at": ["2026"], "kind": ["csv"], "file_name": ["a.csv"],
                        "settings": [glossary.settings_text('{"Scenario": {"name": "Balanced"}}')]})
    shown = glossary.display_frame(log, glossary.EXPORT_LOG_TABLE, index=False)
    _assert_plain(shown)
    assert shown["Settings"].iloc[0] == "Scenario: (Name: Balanced)"


def test_settings_text_is_not_json():
    txt = glossary.settings_text({"scenario": "Balanced", "public": True, "selection": ["E1", "E2"]})
    assert "{" not in txt and '"' not in txt
    assert txt == "Scenario: Balanced \u00b7 Public: yes \u00b7 Selection: E1, E2"


@pytest.mark.parametrize("types", [["GP practice", "Urgent and emergency care", "Care home or nursing home",
                                    "Community health service", "Prison health service", "Public health service"]])
def test_default_provision_filter_is_youth_and_community(types):
    chosen = glossary.default_provision_types([*types, "Youth club"])
    assert "Care home or nursing home" not in chosen and "Prison health service" not in chosen
    assert "GP practice" in chosen and "Youth club" in chosen

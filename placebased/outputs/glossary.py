"""Plain words: the one place every label, legend, tooltip and PDF takes its wording from.

Analysts' names (``area_code``, ``imd_decile``, ``rank_p05``, ``HH``, ``gi_bin = 2``) are right for
files and code; a commissioner or a resident reads "Area code", "Deprivation decile (1 = most
deprived 10%)", "High among high". This module holds:

- :data:`COLUMNS` and :func:`column_label` / :func:`display_frame`: column names for tables on
  screen and in public outputs (unknown columns get a tidy fallback, never the raw snake_case);
- class labels with a one-line meaning: :data:`TIERS` (:func:`tier_label`), :data:`LISA`,
  :data:`GI_BINS`, :data:`EMERGING`, :data:`PROVISION_TYPES`;
- :data:`LAYERS`: the plain title of each map layer, and :func:`method_note` the analyst detail
  (classification method, inference settings) that goes into a "How this was worked out"
  expander or a PDF footnote (:data:`HOW_WORKED_OUT`);
- :func:`scenario_label`: "Balanced", or "Balanced (edited: ...)" once weights differ from the preset.

No streamlit, no drawing: views, maps and reports import it.

>>> column_label("imd_decile")
'Deprivation decile (1 = most deprived 10%)'
>>> tier_label("other")
'Not in a priority group'
>>> LISA["HH"].label
'High among high'
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from placebased.names import EMERGING_CLASSES, LISA_CODES, MAP_LAYERS, TIER_EXCLUDED, TIER_OTHER, lisa_code

#: heading of the expander (app) or footnote (PDF) holding the analyst detail
HOW_WORKED_OUT = "How this was worked out"


@dataclass(frozen=True)
class Term:
    """A class or value with a short plain label and a one-line meaning."""

    label: str
    meaning: str = ""


# ---------------------------------------------------------------------------------------------
# columns

#: raw column name -> plain heading (tables in the app, CSV previews, public outputs)
COLUMNS: dict[str, str] = {
    "area_code": "Area code",
    "area_name": "Area",
    "place": "Area and ward",
    "ward_name": "Ward",
    "ward_code": "Ward code",
    "lad_name": "Local authority",
    "lad_code": "Local authority code",
    "pfa_name": "Police force area",
    "population": "Residents",
    "aged_10_24": "Residents aged 10\u201324",
    "count": "Incidents",
    "incidents": "Incidents",
    "rate": "Incidents per 1,000 residents",
    "eb_rate": "Incidents per 1,000 residents (smoothed)",
    "value": "Value analysed",
    "score": "Priority score (0\u2013100)",
    "rank": "Rank (1 = highest need)",
    "tier": "Priority group",
    "rank_p05": "Rank, best case (90% range)",
    "rank_p95": "Rank, worst case (90% range)",
    "p_top_n": "Chance of being in the top group",
    "drivers": "Main reasons for the score",
    "reason": "Reason for choosing",
    "remove": "Remove",
    "pick": "Target",
    "imd_score": "Deprivation score (IMD)",
    "imd_rank": "Deprivation rank in England (1 = most deprived)",
    "imd_decile": "Deprivation decile (1 = most deprived 10%)",
    "income_decile": "Income deprivation decile",
    "employment_decile": "Employment deprivation decile",
    "education_decile": "Education and skills deprivation decile",
    "health_decile": "Health deprivation decile",
    "crime_decile": "Crime deprivation decile",
    "barriers_decile": "Housing and services deprivation decile",
    "living_env_decile": "Living environment deprivation decile",
    "idaci_decile": "Children in poverty decile",
    "idaci_score": "Children in poverty score",
    "gi_z": "Hot spot strength (z)",
    "gi_p": "Hot spot chance result (p)",
    "gi_bin": "Hot or cold spot",
    "lisa_i": "Cluster strength",
    "lisa_p": "Cluster chance result (p)",
    "lisa_cluster": "Cluster type",
    "emerging": "Pattern over time",
    "trend": "Trend",
    "label": "Indicator",
    "raw": "Value",
    "normalised": "Compared with other areas (0\u2013100)",
    "weight_pct": "Weight %",
    "contribution": "Adds to score",
    "name": "Name",
    "type": "Type",
    "nearest_m": "Nearest site (metres)",
    "nearest_name": "Nearest site",
    "nearest_type": "Type of nearest site",
    "in_area": "Sites in the area",
    "within_radius": "Sites within reach",
    "gap": "Gap (priority area with no provision in reach)",
    "comment": "Comment",
    "author": "By",
    "created_at": "When",
    "month": "Month",
    "category": "Type of incident",
    "share_gained": "Share of need newly reached",
    "residents_newly_covered": "Residents newly reached",
    "areas_newly_covered": "Areas newly within reach",
    # needs assessment
    "share_incidents": "Share of incidents",
    "residents": "Residents",
    "share_residents": "Share of residents",
    "rate_per_1000": "Incidents per 1,000 residents",
    "areas": "Neighbourhoods",
    "share_top_5pct": "Share in the top 5% of neighbourhoods",
    "share_top_10pct": "Share in the top 10% of neighbourhoods",
    "share_top_20pct": "Share in the top 20% of neighbourhoods",
    "gini": "Gini coefficient (0 = even, 1 = all in one area)",
    "share_areas_with_incidents": "Neighbourhoods with any incident",
    "domain": "Deprivation domain",
    "decile": "Decile (1 = most deprived 10%)",
    # evaluation
    "covariate": "Matched on",
    "mean_targets": "Target areas (mean)",
    "mean_pool": "All other areas (mean)",
    "mean_matched": "Comparison areas (mean)",
    "smd_before": "Difference before matching (standardised)",
    "smd_after": "Difference after matching (standardised)",
    "log_rate_early": "Incident rate, first half before the start (log)",
    "log_rate_late": "Incident rate, second half before the start (log)",
    "log_population": "Residents (log)",
    "role": "Role",
    "matched_to": "Compared with target",
    "relative_month": "Months from the start",
    "coef": "Estimate (log rate ratio)",
    "se": "Standard error",
    "rate_ratio": "Rate ratio (below 1 = fall)",
    # export log and sensitive categories
    "who": "Who",
    "file_name": "File",
    "settings": "Settings",
    "rule": "Why it is treated as sensitive",
}

#: tables that use a column name in a sense of their own: column -> heading there
SENSITIVE_TABLE = {"label": "Category in the data"}
EVALUATION_TABLE = {"distance": "Difference from its target (matching)"}
EXPORT_LOG_TABLE = {"kind": "What was downloaded", "created_at": "When (UTC)"}
#: the needs-assessment page speaks of IMD deciles throughout, so its tables say so briefly
NEEDS_TABLE = {"imd_decile": "IMD decile", "lad_name": "Local authority", "share_top_5pct": "Top 5%",
               "share_top_10pct": "Top 10%", "share_top_20pct": "Top 20%", "gini": "Gini",
               "share_areas_with_incidents": "With any incident", "rate_per_1000": "Rate per 1,000"}

#: the priority page's ranked table: short headings where the column is narrow (the meaning is its tooltip)
RANKED_TABLE = {"rank": "Rank", "place": "Area and ward", "score": "Priority score", "count": "Incidents"}
RANKED_HELP = {"rank": "1 = highest need", "place": "The neighbourhood (LSOA) and the electoral ward it lies in",
               "score": "0\u2013100, higher = more need", "pick": "Tick to add the area to the target selection"}

_ACRONYMS = {"imd": "IMD", "lsoa": "LSOA", "gp": "GP", "nhs": "NHS", "eb": "EB", "asb": "ASB", "la": "LA",
             "idaci": "IDACI", "pcn": "PCN", "id": "ID"}


def column_label(column: str, labels: Mapping[str, str] | None = None) -> str:
    """Plain heading of a column: :data:`COLUMNS`, then ``labels`` (e.g. indicator labels), then
    a tidy form ("serious_violence_count" -> "Serious violence count"), never the raw name."""
    c = str(column)
    if labels and c in labels:
        return str(labels[c])
    if c in COLUMNS:
        return COLUMNS[c]
    if c.startswith("contrib_"):
        inner = c[len("contrib_"):]
        return f"Adds to score: {column_label(inner, labels)[:1].lower()}{column_label(inner, labels)[1:]}"
    words = [w for w in re.split(r"[_\s]+", c) if w]
    if not words:
        return c
    words = [_ACRONYMS.get(w.lower(), w) for w in words]
    first = words[0] if words[0].isupper() else words[0][:1].upper() + words[0][1:]
    return " ".join([first, *words[1:]])


def display_frame(frame: pd.DataFrame, labels: Mapping[str, str] | None = None, index: bool = True,
                  values: bool = True) -> pd.DataFrame:
    """A copy of ``frame`` for showing: columns renamed by :func:`column_label`; the index (area
    codes) becomes the first column when ``index`` is true and it is named; class columns (tier,
    Gi* bin, LISA cluster, emerging class) show their plain labels when ``values`` is true.

    >>> display_frame(pd.DataFrame({"tier": ["top 5%", "other"], "imd_decile": [1, 7]})).columns.tolist()
    ['Priority group', 'Deprivation decile (1 = most deprived 10%)']
    """
    out = frame.copy()
    if index and out.index.name:
        out = out.reset_index()
    if values:
        if "tier" in out:
            out["tier"] = out["tier"].map(lambda v: tier_label(v) if pd.notna(v) else v)
        if "gi_bin" in out:
            out["gi_bin"] = out["gi_bin"].map(gi_bin_label)
        if "lisa_cluster" in out:
            out["lisa_cluster"] = out["lisa_cluster"].map(lisa_label)
        if "emerging" in out:
            out["emerging"] = out["emerging"].map(lambda v: emerging_label(v) if pd.notna(v) else v)
    names = {c: column_label(c, labels) for c in out.columns}
    seen: dict[str, int] = {}
    for c, n in names.items():  # two raw names with one plain name: keep both, numbered
        seen[n] = seen.get(n, 0) + 1
        if seen[n] > 1:
            names[c] = f"{n} ({seen[n]})"
    return out.rename(columns=names)


# ---------------------------------------------------------------------------------------------
# classes


def tier_label(tier) -> str:
    """Plain label of a priority group: "top 5%" -> "Top 5% of areas", "other" -> "Not in a priority group"."""
    t = str(tier).strip()
    low = t.lower()
    if low in (TIER_OTHER, "", "nan", "none"):
        return "Not in a priority group"
    if low == TIER_EXCLUDED:
        return "Not scored (data missing)"
    m = re.fullmatch(r"top\s*([\d.]+)\s*%", low)
    if m:
        return f"Top {m.group(1)}% of areas"
    return t[:1].upper() + t[1:]


TIERS: dict[str, Term] = {
    "top 5%": Term("Top 5% of areas", "among the 5% of areas with the highest priority score"),
    "top 10%": Term("Top 10% of areas", "among the 10% of areas with the highest priority score"),
    "top 20%": Term("Top 20% of areas", "among the 20% of areas with the highest priority score"),
    "other": Term("Not in a priority group", "below the top 20% by priority score"),
    "excluded": Term("Not scored (data missing)", "an indicator the score needs is missing for this area"),
}

#: local Moran (LISA) clusters: label and meaning (the analysis uses rates, not counts)
LISA: dict[str, Term] = {
    "HH": Term("High among high", "a high rate, with neighbours that are high too: part of a cluster"),
    "LL": Term("Low among low", "a low rate, with neighbours that are low too"),
    "HL": Term("High among low", "a high rate standing out among lower neighbours"),
    "LH": Term("Low among high", "a low rate standing out among higher neighbours"),
    "ns": Term("No clear pattern", "not clearly different from what chance would give"),
}
assert tuple(LISA) == LISA_CODES

#: Getis-Ord Gi* bins (-3..3): label and meaning
GI_BINS: dict[int, Term] = {
    3: Term("Hot spot (very confident)",
             "this area and its neighbours together have a high rate; 99% confidence, two-sided"),
    2: Term("Hot spot (confident)",
             "this area and its neighbours together have a high rate; 95% confidence, two-sided"),
    1: Term("Hot spot (fairly confident)",
             "this area and its neighbours together have a high rate; 90% confidence, two-sided"),
    0: Term("Neither hot nor cold", "not clearly different from the rest of the county"),
    -1: Term("Cold spot (fairly confident)", "a low rate among low neighbours; 90% confidence, two-sided"),
    -2: Term("Cold spot (confident)", "a low rate among low neighbours; 95% confidence, two-sided"),
    -3: Term("Cold spot (very confident)", "a low rate among low neighbours; 99% confidence, two-sided"),
}

#: Gi* bins for a community workshop (99 / 95 / 90 % = very likely / likely / possible); the analysis
#: uses rates (incidents per resident), so a cold spot is a low rate among low neighbours
GI_PLAIN: dict[int, str] = {
    3: "Hot spot (very likely)",
    2: "Hot spot (likely)",
    1: "Hot spot (possible)",
    0: "No clear pattern",
    -1: "Cold spot: a low rate among low neighbours (possible)",
    -2: "Cold spot: a low rate among low neighbours (likely)",
    -3: "Cold spot: a low rate among low neighbours (very likely)",
}


#: the workshop page's layers and their map titles
WORKSHOP_LAYERS: dict[str, str] = {"hotspots": "Where incidents cluster (hot spots)", "priority": "Priority areas"}
WORKSHOP_TITLES: dict[str, str] = {"hotspots": "Where incidents cluster", "priority": "Priority areas"}


def workshop_tier_labels(tiers: Iterable[float]) -> dict[str, str]:
    """Priority group -> words for a community room, most urgent first ("top x%" of ranked areas).

    >>> workshop_tier_labels((5, 10))["top 10%"]
    'High priority: top 5\u201310%'
    """
    words = ["Highest priority", "High priority", "Priority"]
    out, prev = {}, None
    for i, t in enumerate(sorted(tiers)):
        word = words[i] if i < len(words) else "Priority"
        span = f"top {t:g}% of areas" if prev is None else f"top {prev:g}\u2013{t:g}%"
        out[f"top {t:g}%"] = f"{word}: {span}"
        prev = t
    out[TIER_OTHER] = "Not a priority area"
    out[TIER_EXCLUDED] = "Not scored (data missing)"
    return out


def gi_bin_label(gi_bin) -> str:
    """Plain label of a Gi* bin; missing or unknown bins are "Neither hot nor cold"."""
    try:
        return GI_BINS[int(gi_bin)].label
    except (TypeError, ValueError, KeyError, OverflowError):
        return GI_BINS[0].label


def lisa_label(cluster) -> str:
    """Plain label of a LISA cluster (``"HH"``, ``"High-High"``, 1..4, 0, NaN)."""
    return LISA[lisa_code(cluster)].label


#: emerging hot spot classes (space-time Gi*): label and meaning
EMERGING: dict[str, Term] = {
    "new hot spot": Term("New hot spot", "hot in the latest month only"),
    "consecutive hot spot": Term("Hot for the last few months", "hot in an unbroken run of recent months, "
                                                                "never before"),
    "intensifying hot spot": Term("Getting hotter", "hot in almost every month, and getting hotter"),
    "persistent hot spot": Term("Hot throughout", "hot in almost every month, with no clear change"),
    "diminishing hot spot": Term("Cooling hot spot", "hot in almost every month, but less so lately"),
    "sporadic hot spot": Term("On-and-off hot spot", "hot now, and on and off before"),
    "oscillating hot spot": Term("Hot now, cold before", "hot in the latest month, cold in some earlier ones"),
    "historical hot spot": Term("Was hot, not now", "hot in most earlier months, not in the latest"),
    "new cold spot": Term("New cold spot", "cold in the latest month only"),
    "consecutive cold spot": Term("Cold for the last few months", "cold in an unbroken run of recent months, "
                                                                  "never before"),
    "intensifying cold spot": Term("Getting colder", "cold in almost every month, and getting colder"),
    "persistent cold spot": Term("Cold throughout", "cold in almost every month, with no clear change"),
    "diminishing cold spot": Term("Warming cold spot", "cold in almost every month, but less so lately"),
    "sporadic cold spot": Term("On-and-off cold spot", "cold now, and on and off before"),
    "oscillating cold spot": Term("Cold now, hot before", "cold in the latest month, hot in some earlier ones"),
    "historical cold spot": Term("Was cold, not now", "cold in most earlier months, not in the latest"),
    "no pattern detected": Term("No pattern over time", "no lasting hot or cold pattern"),
}
assert tuple(EMERGING) == EMERGING_CLASSES


def emerging_label(name) -> str:
    """Plain label of an emerging hot spot class (unknown names are tidied, not dropped)."""
    key = str(name).strip().lower()
    return EMERGING[key].label if key in EMERGING else str(name).strip()[:1].upper() + str(name).strip()[1:]


#: provision types: label and whether it is youth and community provision (the partnership's
#: question: where young people can be reached). Types not listed (a partner's own, e.g.
#: "Youth club") count as youth and community provision.
PROVISION_TYPES: dict[str, Term] = {
    "GP practice": Term("GP practice", "community"),
    "Primary care network hub": Term("GP network hub", "community"),
    "Pharmacy prescriber pathfinder": Term("Pharmacy service", "community"),
    "Walk-in centre": Term("Walk-in centre", "community"),
    "Out-of-hours service": Term("Out-of-hours GP service", "community"),
    "Walk-in and out-of-hours service": Term("Walk-in and out-of-hours service", "community"),
    "Urgent and emergency care": Term("Urgent and emergency care", "community"),
    "Community health service": Term("Community health service", "community"),
    "Public health service": Term("Public health service", "community"),
    "Sexual assault referral centre": Term("Sexual assault referral centre", "community"),
    "Hospital service": Term("Hospital service", "community"),
    "Optometry service": Term("Optician", "other"),
    "Other NHS service": Term("Other NHS service", "other"),
    "Hospice": Term("Hospice", "other"),
    "Care home or nursing home": Term("Care home", "other"),
    "Prison health service": Term("Prison health service", "other"),
    "Young offender institution": Term("Young offender institution", "other"),
    "Secure training centre": Term("Secure training centre", "other"),
    "Secure children's home": Term("Secure children's home", "other"),
    "Immigration removal centre": Term("Immigration removal centre", "other"),
    "Border Force": Term("Border Force", "other"),
    "Court": Term("Court", "other"),
    "Police custody": Term("Police custody", "other"),
    "Other justice estate": Term("Other justice estate", "other"),
}

DEFAULT_PROVISION_NOTE = ("Showing youth and community provision (GP practices, urgent care, community and "
                          "public health services, partners' own youth provision). Care homes, hospices, "
                          "prison and other custody health services are left out: they are not provision "
                          "for young people in the community. Choose 'All provision' to include them.")


def provision_label(kind) -> str:
    """Plain name of a provision type."""
    k = str(kind)
    return PROVISION_TYPES[k].label if k in PROVISION_TYPES else k


def is_community_provision(kind) -> bool:
    """True for youth and community provision (listed as such, or a type not in the NHS list)."""
    k = str(kind)
    return k not in PROVISION_TYPES or PROVISION_TYPES[k].meaning == "community"


def default_provision_types(types: Iterable[str]) -> list[str]:
    """The types of ``types`` that answer the partnership's question (youth and community
    provision), in the given order: the default of a provision filter, with 'all' the wider choice."""
    return [t for t in dict.fromkeys(map(str, types)) if is_community_provision(t)]


# ---------------------------------------------------------------------------------------------
# map layers: plain title + the analyst detail for "How this was worked out"

LAYERS: dict[str, Term] = {
    "priority": Term("Priority score (0\u2013100, higher = more need)",
                     "areas in five equal-sized groups (quantiles, k=5, mapclassify)"),
    "imd": Term("Deprivation (1 = most deprived 10% in England)",
                "English Indices of Deprivation 2025 deciles, one colour per decile"),
    "gi": Term("Hot and cold spots", "Getis-Ord Gi* on the smoothed rate; two-sided confidence bins as ArcGIS Gi_Bin"),
    "lisa": Term("Clusters and outliers", "local Moran's I (LISA) on the smoothed rate"),
    "density": Term("Incidents per km\u00b2", "natural breaks (Jenks, k=5, mapclassify)"),
    "emerging": Term("Patterns over time", "emerging hot spot analysis: space-time Gi* per month with a "
                                           "Mann-Kendall trend (method in the project's documentation)"),
    "gaps": Term("Priority areas with no provision in reach", "priority groups of the score; provision "
                                                             "reach from the area centre"),
    "rate": Term("Incidents per 1,000 residents", "empirical Bayes smoothed rate"),
}
_VARIABLES = {"eb_rate": "incidents per 1,000 residents (smoothed)", "rate": "incidents per 1,000 residents",
              "count": "number of incidents"}


def variable_label(variable: str) -> str:
    """Plain words for an analysed variable ("eb_rate" -> "incidents per 1,000 residents (smoothed)")."""
    v = str(variable)
    return _VARIABLES.get(v, column_label(v).lower())


LAYERS["hotspots"] = LAYERS["gi"]

#: one plain line under a map legend (the analyst detail: :func:`method_note`)
LAYER_HINTS: dict[str, str] = {
    "imd": "Official deprivation ranking of every neighbourhood in England (2025).",
    "gi": "A hot spot is an area that, with its neighbours, has a higher rate of incidents than chance would give.",
    "lisa": "Clusters: areas like their neighbours (high among high, low among low); outliers: areas unlike them.",
    "density": "Incidents per square kilometre, so small busy areas show up.",
    "emerging": "How each area's hot or cold spot has changed month by month.",
    "gaps": "Priority areas where no chosen provision is within reach.",
}


def layer_title(layer: str) -> str:
    """Plain title of a map layer's legend."""
    return LAYERS[layer].label if layer in LAYERS else column_label(layer)


#: the app's layer picker: a short plain name per map layer (placebased.names.MAP_LAYERS)
LAYER_NAMES: dict[str, str] = {
    "priority": "Priority score",
    "imd": "Deprivation",
    "gi": "Hot and cold spots",
    "lisa": "Clusters and outliers",
    "density": "Incident density",
    "emerging": "Patterns over time",
    "gaps": "Provision gaps",
}
assert tuple(LAYER_NAMES) == MAP_LAYERS

#: multiple-testing corrections (placebased.names.CORRECTIONS) in words
CORRECTION_NAMES: dict[str, str] = {"fdr": "false discovery rate (Benjamini-Hochberg)", "bonferroni": "Bonferroni",
                                    "none": "none"}
_CORRECTIONS = CORRECTION_NAMES
#: normalisations (placebased.names.NORMALISATIONS) in words
NORMALISATION_NAMES: dict[str, str] = {"percentile": "Percentile rank (0\u2013100)",
                                       "zscore": "Standard score (z)", "minmax": "Rescaled 0\u2013100 (min\u2013max)"}
#: missing-value policies (placebased.names.MISSING_POLICIES) in words
MISSING_NAMES: dict[str, str] = {"median": "Use the median of other areas", "exclude": "Leave the area out",
                                 "zero": "Count as zero"}


def choice_label(name, words: Mapping[str, str]) -> str:
    """A widget option in words: ``words[name]``, else the name tidied (never blank)."""
    return str(words.get(name, column_label(name)))


def correction_label(correction) -> str:
    """A multiple-testing correction in words ("fdr" -> "false discovery rate (Benjamini-Hochberg)")."""
    return CORRECTION_NAMES.get(str(correction), str(correction))


def weights_label(kind) -> str:
    """Spatial weights in words: "queen" -> "Queen (areas sharing a boundary point)",
    "knn:6" -> "6 nearest areas", "distance:2000" -> "Areas within 2,000 m".

    >>> weights_label("knn:6"), weights_label("distance:2000")
    ('6 nearest areas', 'Areas within 2,000 m')
    """
    k = str(kind).strip().lower()
    name, _, param = k.partition(":")
    if name == "queen":
        return "Queen (areas sharing a boundary point)"
    if name == "rook":
        return "Rook (areas sharing a boundary edge)"
    try:
        if name == "knn" and param:
            return f"{int(param)} nearest areas"
        if name == "distance" and param:
            return f"Areas within {float(param):,.0f} m"
    except ValueError:
        pass
    return str(kind)


def method_note(layer: str | None = None, settings: Mapping | None = None) -> str:
    """The analyst detail of a layer or statistic: method, then the inference settings when given
    (``permutations``, ``seed``, ``alpha``, ``correction``, ``weights``, ``variable``, ``p_cutoff``)."""
    parts = []
    if layer:
        parts.append(LAYERS[layer].meaning if layer in LAYERS else str(layer))
    s = dict(settings or {})
    bits = []
    if s.get("variable"):
        bits.append(f"variable: {variable_label(s['variable'])}")
    if s.get("weights"):
        bits.append(f"neighbours: {weights_label(s['weights']).lower()}")
    if s.get("permutations"):
        try:
            bits.append(f"{int(s['permutations']):,} permutations")
        except (TypeError, ValueError):
            bits.append(f"{s['permutations']} permutations")
    if s.get("seed") is not None and "seed" in s:
        bits.append(f"seed {s['seed']}")
    if s.get("alpha"):
        bits.append(f"alpha {s['alpha']}")
    if s.get("correction"):
        bits.append(f"correction: {_CORRECTIONS.get(str(s['correction']), s['correction'])}")
    if s.get("p_cutoff"):
        bits.append(f"significant when p \u2264 {float(s['p_cutoff']):.3g}")
    if bits:
        parts.append("; ".join(bits))
    return ". ".join(p[:1].upper() + p[1:] for p in parts if p) + ("." if parts else "")


# ---------------------------------------------------------------------------------------------
# scenarios


def scenario_label(scenario, labels: Mapping[str, str] | None = None, preset=None, max_changes: int = 3) -> str:
    """"Balanced" when the weights are the preset's; "Balanced (edited: IMD score 20% → 30%, ...)"
    once they differ (weights compared as shares of 100%). ``preset``: the preset of the same name
    (a scenario or its weights), found by the orchestration (:func:`placebased.pipeline.scenario_label`);
    None for a scenario that is no preset. ``labels``: indicator id -> label (else a tidy form of the id).

    >>> from types import SimpleNamespace as S
    >>> scenario_label(S(name="Balanced", weights={"imd_score": 30, "under25_share": 10}),
    ...                {"imd_score": "IMD score"}, preset={"imd_score": 20, "under25_share": 20})
    'Balanced (edited: IMD score 50% → 75%, Under25 share 50% → 25%)'
    """
    name = str(getattr(scenario, "name", "") or "Scenario")
    base = getattr(preset, "weights", preset)
    if not base:
        return name
    changes = weight_changes(dict(base), dict(getattr(scenario, "weights", {}) or {}))
    if not changes:
        return name
    words = []
    for k, before, after in changes[:max_changes]:
        lab = (labels or {}).get(k) or column_label(k)
        if before == 0:
            words.append(f"{lab} added at {after:.0f}%")
        elif after == 0:
            words.append(f"{lab} removed")
        else:
            words.append(f"{lab} {before:.0f}% \u2192 {after:.0f}%")
    more = len(changes) - max_changes
    return f"{name} (edited: {', '.join(words)}{f' and {more} more' if more > 0 else ''})"


def weight_changes(before: Mapping[str, float], after: Mapping[str, float]) -> list[tuple[str, float, float]]:
    """Indicators whose share of the weights (in %) differs, largest change first:
    ``(id, share before, share after)``."""
    tb = sum(float(v) for v in before.values()) or 1.0
    ta = sum(float(v) for v in after.values()) or 1.0
    out = []
    for k in dict.fromkeys([*before, *after]):
        b = 100 * float(before.get(k, 0)) / tb
        a = 100 * float(after.get(k, 0)) / ta
        if not math.isclose(a, b, abs_tol=0.5):
            out.append((k, b, a))
    return sorted(out, key=lambda t: -abs(t[2] - t[1]))


def incident_summary(rows_read: int, in_area: int, outside: int, no_location: int,
                     start: str | None = None, end: str | None = None) -> str:
    """What happened to the incident records, for a commissioner: how many were read, how many fall
    inside the areas (and so are counted), how many lie outside and how many could not be placed.

    >>> incident_summary(10, 7, 2, 1)  # doctest: +NORMALIZE_WHITESPACE
    '10 incident records read: 7 fall inside these areas and are counted;
     2 lie outside them and 1 has no usable location (both left out).'
    >>> incident_summary(10, 7, 2, 0, start="2025-03").split(": ")[0]
    '10 incident records read. From 2025-03 to the latest month'
    """
    def n(k: int, one: str, many: str) -> str:
        return f"{k:,} {one if k == 1 else many}"

    head = f"{n(rows_read, 'incident record', 'incident records')} read"
    if start or end:
        head += f". From {start or 'the first month'} to {end or 'the latest month'}"
    one = in_area == 1
    body = f"{in_area:,} {'falls' if one else 'fall'} inside these areas and {'is' if one else 'are'} counted"
    left = [f"{outside:,} {'lies' if outside == 1 else 'lie'} outside them"] if outside else []
    if no_location:
        left.append(f"{no_location:,} {'has' if no_location == 1 else 'have'} no usable location")
    tail = ""
    if left:
        tail = "; " + " and ".join(left) + (" (both left out)" if len(left) == 2 else " (left out)")
    return f"{head}: {body}{tail}."


def settings_text(settings: Mapping | str, sep: str = " \u00b7 ") -> str:
    """Settings as a readable line ("Scenario: Balanced · Public: yes"), never raw JSON; nested
    settings (a JSON text, or a dict of dicts as the export log holds) in brackets.

    >>> settings_text('{"Filters": {"categories": ["Robbery"], "hours": null}, "public": false}')
    'Filters: (Categories: Robbery) \u00b7 Public: no'
    """
    if isinstance(settings, str):
        try:
            settings = json.loads(settings)
        except ValueError:
            return settings
        if not isinstance(settings, Mapping):
            return str(settings)
    parts = []
    for k, v in settings.items():
        if v is None or v == "" or v == [] or v == {}:
            continue
        if isinstance(v, bool):
            v = "yes" if v else "no"
        elif isinstance(v, list | tuple):
            v = ", ".join(map(str, v))
        elif isinstance(v, Mapping):
            inner = settings_text(v, sep="; ")
            if not inner:
                continue
            v = f"({inner})"
        parts.append(f"{column_label(k)}: {v}")
    return sep.join(parts)


__all__ = [
    "COLUMNS", "DEFAULT_PROVISION_NOTE", "EMERGING", "GI_BINS", "HOW_WORKED_OUT", "LAYERS", "LISA",
    "PROVISION_TYPES", "TIERS", "Term", "column_label", "default_provision_types", "display_frame",
    "emerging_label", "gi_bin_label", "incident_summary", "is_community_provision", "layer_title", "lisa_label",
    "method_note",
    "provision_label", "scenario_label", "settings_text", "tier_label", "variable_label", "weight_changes",
]

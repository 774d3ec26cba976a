"""Name lists, defined once: the choices the app's widgets offer and the class names every layer shares.

The package root (imports nothing of ``placebased``), so ``io``, ``stats``, ``score``, ``outputs``,
the orchestration and the app's views all read the same list. Lists whose concept a module owns stay
with it and are read from there: spatial weight kinds (:data:`placebased.stats.weights.WEIGHT_KINDS`),
the scenario presets (:func:`placebased.score.scenario.preset_names`), the hot-spot variables of the
loaded data (:func:`placebased.pipeline.hotspot_variables`). Plain words for all of them are in
:mod:`placebased.outputs.glossary`; colours of the classes below are here because the statistics
(legends of the emerging classes) and the maps both need them.

>>> EMERGING_CLASSES[0], EMERGING_CLASSES[-1]
('new hot spot', 'no pattern detected')
>>> lisa_code("High-High"), lisa_code(3), lisa_code(None)
('HH', 'LL', 'ns')
"""

from __future__ import annotations

# ---------------------------------------------------------------------------------------------
# the app's widget choices

#: area sets (vintage -> what it is): LSOA boundaries and the Indices of Deprivation they go with
VINTAGES: dict[int, str] = {2025: "LSOA 2021 \u00b7 IoD2025", 2019: "LSOA 2011 \u00b7 IoD2019"}
#: spatial weights offered in the app (any name :func:`placebased.stats.weights.parse_weights` reads works)
WEIGHT_CHOICES: tuple[str, ...] = ("queen", "rook", "knn:6", "knn:8", "distance:2000", "distance:3000")
#: permutation counts offered for the pseudo p-values (the default, 9,999, is the library's)
PERMUTATION_CHOICES: tuple[int, ...] = (99, 499, 999, 4999, 9999)
#: multiple-testing corrections by name (the statistics apply them, placebased.stats.hotspots re-exports
#: this list; the app's widget and the CLI's --correction offer it)
CORRECTIONS: dict[str, str] = {
    "none": "each area tested at alpha",
    "fdr": "Benjamini-Hochberg false discovery rate (ArcGIS's default for hot spot maps)",
    "bonferroni": "alpha divided by the number of areas",
}
#: normalisation methods of a scenario by name (the methods are in :mod:`placebased.score.scoring`;
#: placebased.score.scenario re-exports this list and checks scenarios against it)
NORMALISATIONS: dict[str, str] = {
    "percentile": "percentile rank among the areas, 0 (least need) to 100 (most need); ties share the average rank",
    "zscore": "standard score (value - mean) / standard deviation",
    "minmax": "rescaled to 0 (least need) - 100 (most need) between the smallest and largest value",
}
#: missing-value policies by name
MISSING_POLICIES: dict[str, str] = {
    "exclude": "areas missing any weighted indicator are not scored or ranked (tier 'excluded')",
    "median": "a missing value is replaced by the median of the other areas' values for that indicator",
    "zero": "a missing value is taken as 0 (e.g. no incidents recorded) before normalisation",
}
#: significance levels offered
ALPHA_CHOICES: tuple[float, ...] = (0.01, 0.05, 0.10)
#: robustness draws (Dirichlet weight perturbations) offered; 0 switches robustness off
DRAW_CHOICES: tuple[int, ...] = (0, 200, 500, 1000)
#: provision reach (metres from the area centre) offered
REACH_CHOICES_M: tuple[int, ...] = (500, 800, 1000, 1500, 2000, 3000)
#: "hide counts below" choices of public outputs (profiles, workshop, needs-assessment PDF)
PUBLIC_THRESHOLDS: tuple[int, ...] = (5, 10)
#: days of the week, Monday first (pandas' dayofweek 0..6)
WEEKDAYS: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: monitoring series levels (level -> plain name)
MONITOR_LEVELS: dict[str, str] = {"county": "All areas", "lad": "Each local authority", "lsoa": "Each area"}

#: upload kind -> file endings the uploader accepts (the readers in placebased.io read them)
UPLOAD_TYPES: dict[str, tuple[str, ...]] = {
    "boundaries": ("geojson", "json", "gpkg", "zip", "parquet"),
    "incidents": ("zip", "csv", "gz", "xlsx", "geojson", "gpkg"),
    "tables": ("csv", "xlsx"),
    "provision": ("csv", "xlsx", "geojson", "gpkg"),
    "scenario": ("toml",),
    "saved_work": ("json",),
}

#: the choropleth layers of the app's map, in the order the app offers them (titles: glossary.LAYERS)
MAP_LAYERS: tuple[str, ...] = ("priority", "imd", "gi", "lisa", "density", "emerging", "gaps")

# ---------------------------------------------------------------------------------------------
# classes shared by the statistics, the scores and the outputs

#: the mark of a count withheld by secondary suppression (placebased.score.disclosure)
SECONDARY_MARK = "*"

#: priority groups of the score that are not a "top x%" group
TIER_OTHER = "other"
TIER_EXCLUDED = "excluded"

#: local Moran (LISA) cluster codes; esda's quadrant numbers 1..4 (0: not significant)
LISA_CODES: tuple[str, ...] = ("HH", "LL", "HL", "LH", "ns")
LISA_QUADRANTS: dict[int, str] = {1: "HH", 2: "LH", 3: "LL", 4: "HL", 0: "ns"}


def lisa_code(cluster) -> str:
    """Normalise a LISA cluster value (``"HH"``, ``"High-High"``, 1..4, 0, NaN) to HH/LL/HL/LH/ns."""
    if cluster is None:
        return "ns"
    if isinstance(cluster, int | float):
        if cluster != cluster:  # NaN
            return "ns"
        return LISA_QUADRANTS.get(int(cluster), "ns")
    short = str(cluster).strip().replace("-", "").replace(" ", "").upper()
    for code, long in (("HH", "HIGHHIGH"), ("LL", "LOWLOW"), ("HL", "HIGHLOW"), ("LH", "LOWHIGH")):
        if short in (code, long):
            return code
    return "ns"


#: emerging hot spot classes (ArcGIS's names): hot spots, cold spots, then "no pattern detected"
NO_PATTERN = "no pattern detected"
_KINDS = ("new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic", "oscillating", "historical")
EMERGING_CLASSES: tuple[str, ...] = (
    *(f"{k} hot spot" for k in _KINDS),
    *(f"{k} cold spot" for k in _KINDS),
    NO_PATTERN,
)
#: class -> colour (reds for hot, blues for cold, stronger for the more lasting patterns)
EMERGING_COLOURS: dict[str, str] = {
    "new hot spot": "#fee08b",  # pale yellow: distinct from "consecutive" (tests/test_palette.py)
    "consecutive hot spot": "#fb6a4a",
    "intensifying hot spot": "#67000d",
    "persistent hot spot": "#cb181d",
    "diminishing hot spot": "#f4a582",
    "sporadic hot spot": "#fdd0a2",
    "oscillating hot spot": "#de77ae",
    "historical hot spot": "#bf9f7a",
    "new cold spot": "#c7eae5",  # pale teal: distinct from "consecutive"
    "consecutive cold spot": "#6baed6",
    "intensifying cold spot": "#08306b",
    "persistent cold spot": "#2171b5",
    "diminishing cold spot": "#92c5de",
    "sporadic cold spot": "#c6dbef",
    "oscillating cold spot": "#9e9ac8",
    "historical cold spot": "#8fa3b3",
    NO_PATTERN: "#f2f2ee",
}


def emerging_colour(name) -> str:
    """Colour of an emerging class (case and spaces ignored); unknown or missing classes get the
    "no pattern" colour."""
    return EMERGING_COLOURS.get(str(name).strip().lower(), EMERGING_COLOURS[NO_PATTERN])


__all__ = [
    "ALPHA_CHOICES", "CORRECTIONS", "DRAW_CHOICES", "EMERGING_CLASSES", "EMERGING_COLOURS", "LISA_CODES",
    "LISA_QUADRANTS", "MAP_LAYERS", "MISSING_POLICIES", "MONITOR_LEVELS", "NORMALISATIONS", "NO_PATTERN",
    "PERMUTATION_CHOICES", "PUBLIC_THRESHOLDS", "REACH_CHOICES_M", "SECONDARY_MARK", "TIER_EXCLUDED", "TIER_OTHER",
    "UPLOAD_TYPES", "VINTAGES", "WEEKDAYS", "WEIGHT_CHOICES", "emerging_colour", "lisa_code",
]

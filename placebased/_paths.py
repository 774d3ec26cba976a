"""Where the shipped data lives (the repository's data folders)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOUNDARIES = ROOT / "boundaries"
INDICATORS = ROOT / "indicators"
INCIDENTS = ROOT / "incidents"
PROVISION = ROOT / "provision"

LSOA21_BOUNDARIES = BOUNDARIES / "northants_lsoa21_bgc.geojson"
LSOA11_BOUNDARIES = BOUNDARIES / "northants_lsoa11_bgc.geojson"
IOD2025_NORTHANTS = INDICATORS / "IoD2025_File7_Northamptonshire_LSOA21_all_columns.csv"
IOD2025_ENGLAND = INDICATORS / "IoD2025_LSOA21_England_scores_ranks_deciles.csv.gz"
IOD2019_ENGLAND = INDICATORS / "IoD2019_LSOA11_England_ranks_deciles_population.csv.gz"
LSOA_LOOKUP = INDICATORS / "LSOA11_LSOA21_LAD22_EW_LU.csv.gz"
CENSUS2021_POP = INDICATORS / "census2021_TS021_usual_residents_by_ethnic_group_LSOA21_EW.csv.gz"
AGE_BANDS_2020 = INDICATORS / "ons_mid2020_age_bands_LSOA11_EW.csv.gz"
CATALOGUE = INDICATORS / "catalogue.toml"
POLICE_UK_DEFAULT = INCIDENTS / "police_uk"
NHS_PROVISION = PROVISION / "northants_nhs_prescribing_cost_centres_active_epraccur_2025.csv"
GP_PROVISION = PROVISION / "northants_gp_practices_epraccur_2025.csv"
POSTCODES = PROVISION / "northants_postcodes_codepoint_open_2025-04.csv.gz"


def default_incident_files() -> list[Path]:
    """The shipped police.uk monthly files, in month order."""
    return sorted(POLICE_UK_DEFAULT.glob("*.csv.gz"))


# ---------------------------------------------------------------------------------------------
# the shipped incidents and example provision describe Northamptonshire only

NO_INCIDENTS_NOTE = ("no incidents given and these areas are not the shipped Northamptonshire ones, so the "
                     "shipped police.uk records are not used: working on the indicators that exist (IoD, "
                     "population, your tables); bring your police.uk download with --incidents FILE.zip")
NO_PROVISION_NOTE = ("no provision given and these areas are not the shipped Northamptonshire ones, so the "
                     "shipped NHS example is not used; bring your own with --provision FILE")


def defaults_apply(areas) -> bool:
    """True when the shipped incidents and example provision may be used for ``areas``: they are the
    shipped Northamptonshire LSOAs (or lie inside them). ``areas`` None = the shipped areas."""
    if areas is None:
        return True
    from placebased.io.geography import is_shipped_area

    return is_shipped_area(areas)


def default_incident_files_for(areas) -> list[Path]:
    """The shipped police.uk files when they describe ``areas``, else an empty list."""
    return default_incident_files() if defaults_apply(areas) else []

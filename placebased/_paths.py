"""Where the shipped data lives, found through ``importlib.resources``.

The data folders stay at the repository's root (``boundaries/``, ``indicators/``, ``incidents/``,
``provision/``, ``scenarios/``, each with its README), where the developers' guide names them. A wheel
(``pip install .``) carries them inside the package as ``placebased/data/<folder>/`` (the mapping is in
``pyproject.toml``), so an installed placebased finds them from any working folder; a source checkout or
an editable install reads them at the root of the checkout.

>>> LSOA21_BOUNDARIES.name, LSOA21_BOUNDARIES.is_file()
('northants_lsoa21_bgc.geojson', True)
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

#: the shipped data folders, in the repository and in the wheel (as placebased/data/<name>/)
DATA_FOLDERS = ("boundaries", "indicators", "incidents", "provision", "scenarios")

PACKAGE_DATA = Path(str(resources.files("placebased") / "data"))  # measures.toml, sensitive_categories.toml
#: the checkout holding the package (the root of the repository when run from source)
ROOT = Path(str(resources.files("placebased"))).resolve().parent


def data_folder(name: str) -> Path:
    """The shipped data folder ``name`` (one of :data:`DATA_FOLDERS`): inside the installed package when
    placebased was installed from a wheel, else in the source checkout.

    >>> data_folder("indicators").joinpath("catalogue.toml").is_file()
    True
    """
    if name not in DATA_FOLDERS:
        raise ValueError(f"{name!r} is not a shipped data folder ({', '.join(DATA_FOLDERS)})")
    installed = PACKAGE_DATA / name
    return installed if installed.is_dir() else ROOT / name


BOUNDARIES = data_folder("boundaries")
INDICATORS = data_folder("indicators")
INCIDENTS = data_folder("incidents")
PROVISION = data_folder("provision")
SCENARIOS = data_folder("scenarios")

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
# (which areas those are: placebased.io.geography.defaults_apply)

NO_INCIDENTS_NOTE = ("no incidents given and these areas are not the shipped Northamptonshire ones, so the "
                     "shipped police.uk records are not used: working on the indicators that exist (IoD, "
                     "population, your tables); bring your police.uk download with --incidents FILE.zip")
NO_PROVISION_NOTE = ("no provision given and these areas are not the shipped Northamptonshire ones, so the "
                     "shipped NHS example is not used; bring your own with --provision FILE")

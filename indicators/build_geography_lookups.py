"""Rebuild indicators/LSOA21_LAD24_EN.csv.gz and indicators/LAD24_PFA_EN.csv (run from the repository root).

Inputs (ONS, Open Government Licence v3.0), from the project's shared data folder:
- LSOA21_WD24_LAD24_EW_LU.csv.gz (LSOA 2021 -> ward 2024 -> LAD 2024 best-fit lookup),
- LSOA11_LSOA21_LAD22_EW_LU.csv.gz (LSOA 2011 -> LSOA 2021 -> LAD 2022), used to correct the one
  best-fit oddity where the ward lookup puts an LSOA in another authority that still exists in 2024,
- la_all_codes_drkane.csv (LAD -> upper-tier authority and region, ONS codes and names).
The police force area of each upper-tier authority is written by hand below (county -> force).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

SHARED = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/lookups")

FORCES: dict[str, list[str]] = {
    "Northumbria": ["Gateshead", "Newcastle upon Tyne", "North Tyneside", "Northumberland", "South Tyneside",
                    "Sunderland"],
    "Durham": ["County Durham", "Darlington"],
    "Cleveland": ["Hartlepool", "Middlesbrough", "Redcar and Cleveland", "Stockton-on-Tees"],
    "Cumbria": ["Cumberland", "Westmorland and Furness"],
    "Lancashire": ["Lancashire", "Blackburn with Darwen", "Blackpool"],
    "Merseyside": ["Knowsley", "Liverpool", "Sefton", "St. Helens", "Wirral"],
    "Greater Manchester": ["Bolton", "Bury", "Manchester", "Oldham", "Rochdale", "Salford", "Stockport", "Tameside",
                           "Trafford", "Wigan"],
    "Cheshire": ["Cheshire East", "Cheshire West and Chester", "Halton", "Warrington"],
    "North Yorkshire": ["North Yorkshire", "York"],
    "West Yorkshire": ["Bradford", "Calderdale", "Kirklees", "Leeds", "Wakefield"],
    "South Yorkshire": ["Barnsley", "Doncaster", "Rotherham", "Sheffield"],
    "Humberside": ["East Riding of Yorkshire", "Kingston upon Hull, City of", "North East Lincolnshire",
                   "North Lincolnshire"],
    "Derbyshire": ["Derby", "Derbyshire"],
    "Nottinghamshire": ["Nottingham", "Nottinghamshire"],
    "Lincolnshire": ["Lincolnshire"],
    "Leicestershire": ["Leicester", "Leicestershire", "Rutland"],
    "Northamptonshire": ["North Northamptonshire", "West Northamptonshire"],
    "West Midlands": ["Birmingham", "Coventry", "Dudley", "Sandwell", "Solihull", "Walsall", "Wolverhampton"],
    "Staffordshire": ["Staffordshire", "Stoke-on-Trent"],
    "West Mercia": ["Herefordshire, County of", "Shropshire", "Telford and Wrekin", "Worcestershire"],
    "Warwickshire": ["Warwickshire"],
    "Bedfordshire": ["Bedford", "Central Bedfordshire", "Luton"],
    "Cambridgeshire": ["Cambridgeshire", "Peterborough"],
    "Essex": ["Essex", "Southend-on-Sea", "Thurrock"],
    "Hertfordshire": ["Hertfordshire"],
    "Norfolk": ["Norfolk"],
    "Suffolk": ["Suffolk"],
    "Thames Valley": ["Buckinghamshire", "Milton Keynes", "Oxfordshire", "Bracknell Forest", "Reading", "Slough",
                      "West Berkshire", "Windsor and Maidenhead", "Wokingham"],
    "Hampshire": ["Hampshire", "Isle of Wight", "Portsmouth", "Southampton"],
    "Kent": ["Kent", "Medway"],
    "Surrey": ["Surrey"],
    "Sussex": ["East Sussex", "West Sussex", "Brighton and Hove"],
    "Avon and Somerset": ["Bath and North East Somerset", "Bristol, City of", "North Somerset",
                          "South Gloucestershire", "Somerset"],
    "Devon and Cornwall": ["Cornwall", "Isles of Scilly", "Devon", "Plymouth", "Torbay"],
    "Dorset": ["Dorset", "Bournemouth, Christchurch and Poole"],
    "Gloucestershire": ["Gloucestershire"],
    "Wiltshire": ["Wiltshire", "Swindon"],
    "City of London": ["City of London"],
    # every other London borough: the Metropolitan Police (by region below)
}
MET = "Metropolitan Police"
SLUGS = {MET: "metropolitan"}


def slug(force: str) -> str:
    return SLUGS.get(force, force.lower().replace(" ", "-"))


def main() -> None:
    ward = pd.read_csv(SHARED / "LSOA21_WD24_LAD24_EW_LU.csv.gz", dtype=str)
    ward = ward[ward["LSOA21CD"].str.startswith("E")]
    lad22 = pd.read_csv(SHARED / "LSOA11_LSOA21_LAD22_EW_LU.csv.gz", dtype=str).drop_duplicates("LSOA21CD")
    m = ward.merge(lad22[["LSOA21CD", "LAD22CD"]], on="LSOA21CD", how="left")
    fix = (m["LAD22CD"] != m["LAD24CD"]) & m["LAD22CD"].isin(set(m["LAD24CD"]))
    m.loc[fix, "LAD24CD"] = m.loc[fix, "LAD22CD"]
    names = ward.drop_duplicates("LAD24CD").set_index("LAD24CD")["LAD24NM"]
    lsoa = m[["LSOA21CD", "LSOA21NM", "LAD24CD"]].sort_values("LSOA21CD")
    lsoa.to_csv("indicators/LSOA21_LAD24_EN.csv.gz", index=False, compression={"method": "gzip", "mtime": 0})

    dk = pd.read_csv(SHARED / "la_all_codes_drkane.csv", dtype=str).drop_duplicates("LADCD").set_index("LADCD")
    county_force = {c: f for f, cs in FORCES.items() for c in cs}
    rows = []
    for code in sorted(names.index):
        utla, region = dk.at[code, "UTLANM"], dk.at[code, "RGNNM"]
        force = county_force.get(utla) or (MET if region == "London" else None)
        if force is None:
            raise SystemExit(f"no force for {code} {names[code]} ({utla})")
        rows.append({"LAD24CD": code, "LAD24NM": names[code], "UTLA_NM": utla, "RGN_NM": region,
                     "PFA_NM": force, "police_uk_force": slug(force)})
    pd.DataFrame(rows).to_csv("indicators/LAD24_PFA_EN.csv", index=False)
    print(f"{len(lsoa):,} LSOAs ({int(fix.sum())} best-fit corrected), {len(rows)} authorities, "
          f"{len({r['PFA_NM'] for r in rows})} forces")


if __name__ == "__main__":
    main()

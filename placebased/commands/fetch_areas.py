"""``placebased fetch-areas``: LSOA 2021 boundaries of named local authorities or a force area, to keep."""

from __future__ import annotations

from placebased.commands._common import add_parser, eprint
from placebased.errors import ConfigError
from placebased.io import export, geography
from placebased.io.ons import DATASET, fetch_lsoas
from placebased.io.policeuk import cli_progress

EXAMPLES = """
  placebased fetch-areas --la Leicester --out leicester_lsoa21.gpkg
  placebased fetch-areas --la E06000016 Rutland Charnwood --out mine.gpkg
  placebased fetch-areas --force Leicestershire --out leicestershire_lsoa21.gpkg
  placebased areas --boundaries leicester_lsoa21.gpkg --id-column LSOA21CD --out areas.csv   # later, offline

Boundaries come from the ONS Open Geography Portal ("LSOA (Dec 2021) Boundaries Generalised Clipped
EW (BGC)", Open Government Licence v3.0), cached in the user's cache folder (a second run needs no
network); PLACEBASED_ONS_URL changes the service address.
"""


def register(sub) -> None:
    p = add_parser(sub, "fetch-areas",
                   "Download LSOA 2021 boundaries of named local authorities or a force area (ONS).", EXAMPLES)
    p.add_argument("--la", nargs="+", metavar="NAME", help="local authorities by name or code (several allowed)")
    p.add_argument("--force", nargs="+", metavar="NAME", help="police force areas by name (e.g. Leicestershire)")
    p.add_argument("--out", required=True, metavar="FILE.gpkg", help="GeoPackage (or .geojson) file to write")
    p.set_defaults(func=run)


def run(args) -> int:
    if not str(args.out).lower().endswith((".gpkg", ".geojson", ".json")):
        raise ConfigError(f"--out {args.out}: write a .gpkg or .geojson file.")
    selected = geography.select_lsoas(la=args.la or (), force=args.force or ())
    eprint(f"areas: {geography.describe_selection(selected)}")
    gdf = fetch_lsoas(selected.index, progress=cli_progress(label="fetching LSOA boundaries from the ONS"))
    gdf = gdf.join(selected[["LAD24CD", "LAD24NM", "PFA_NM"]], on="LSOA21CD").to_crs(27700)
    export.write_layer(gdf, args.out, layer="lsoa21")
    eprint(f"{len(gdf):,} LSOA 2021 boundaries ({DATASET}, ONS, OGL v3.0; EPSG:27700) written to {args.out}")
    return 0

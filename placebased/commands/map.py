"""``placebased map``: the app's map as one self-contained offline HTML file, for briefings."""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

from placebased import pipeline as P  # noqa: N812
from placebased.categories import resolve
from placebased.commands._common import (
    add_boundaries_args,
    add_incidents_args,
    add_parser,
    eprint,
    load_areas_from_args,
    load_incidents_from_args,
)
from placebased.commands.gaps import load_provision_from_args
from placebased.commands.hotspots import add_inference_args
from placebased.commands.score import scenario_from_args
from placebased.errors import ConfigError, file_error
from placebased.io import export
from placebased.io.provision import select_types
from placebased.names import MAP_LAYERS
from placebased.pipeline import gaps, priority_weights, reach, suggest_sites, tiers_up_to

EXAMPLES = """
  placebased map --out priority.html                           # priority score, shipped data, Balanced scenario
  placebased map --layer hotspots --permutations 9999 --seed 1 --out hotspots.html     # Gi* hot/cold spots
  placebased map --layer lisa --category robbery --out robbery_lisa.html
  placebased map --layer gaps --provision example --types "GP practice" --radius 1000 --sites 3 --out gaps.html
  placebased map --boundaries wards.gpkg --id-column WD24CD --incidents partner.xlsx --x-column Easting \\
      --y-column Northing --crs bng --layer density --out wards.html

Layers: priority (score, quantiles), imd (IMD decile), hotspots (Gi* confidence bins), lisa (local
Moran clusters), density (incidents per km2, natural breaks), emerging (space-time Gi* with
Mann-Kendall; docs/emerging_hotspots.md), gaps (priority areas without provision within --radius).
The file holds Leaflet itself (from the installed django-js-lib-leaflet package) and every area: it
opens in a browser with no internet connection and requests nothing from anywhere. No basemap,
no incident points unless --points (clustered; sensitive categories are never drawn). The legend
states the classification and the inference settings. Computed as the app computes its map: the
default categories are the serious-violence group (as the app); --permutations defaults to 9,999
with FDR, as every command and the app.
"""

#: ``--layer`` words -> the app's layer keys (placebased.names.MAP_LAYERS, in its order; "gi" is "hotspots")
LAYER_KEYS = {("hotspots" if key == "gi" else key): key for key in MAP_LAYERS}


def register(sub) -> None:
    p = add_parser(sub, "map", "Write the app's map as one self-contained offline HTML file (for briefings).",
                   EXAMPLES)
    p.add_argument("--layer", default="priority", metavar="LAYER",
                   help=f"what colours the areas: {', '.join(LAYER_KEYS)} (default priority)")
    add_boundaries_args(p)
    add_incidents_args(p)
    p.add_argument("--category", nargs="+", metavar="NAME",
                   help="categories or groups for the counts and hot spots (default serious_violence where "
                        "present, else all)")
    p.add_argument("--variable", default="eb_rate", metavar="VAR",
                   help="variable of the hot spots: eb_rate (default, as the app), rate, count or seb_rate")
    add_inference_args(p)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--scenario", metavar="FILE.toml", help="scoring scenario (default: the Balanced scenario)")
    g.add_argument("--preset", metavar="NAME", help="shipped scenario: balanced, deprivation-led, violence-led")
    p.add_argument("--draws", type=int, metavar="N", help="robustness draws of the score (overrides the scenario)")
    p.add_argument("--table", nargs="+", metavar="FILE", default=[],
                   help="your own indicator tables (CSV/Excel: area code + value columns)")
    p.add_argument("--provision", metavar="FILE",
                   help="provision to draw (and for --layer gaps; default there: 'example', the shipped NHS list)")
    p.add_argument("--site-name-column", metavar="COL", help="column of --provision with site names")
    p.add_argument("--type-column", metavar="COL", help="column of --provision with the provision type")
    p.add_argument("--types", nargs="+", metavar="TYPE", help="provision types for gaps (default: all types)")
    p.add_argument("--radius", type=float, default=1000.0, metavar="M",
                   help="provision reach in metres (default 1000)")
    p.add_argument("--tier", default=None, metavar="TIER",
                   help="priority areas for gaps: a tier such as 'top 10%%' (default: the top tier)")
    p.add_argument("--sites", type=int, default=0, metavar="K",
                   help="with --layer gaps: also suggest K new sites (MCLP, as the app)")
    p.add_argument("--points", action="store_true",
                   help="draw incident points, clustered on a 400 m grid (analyst view; never for public use)")
    p.add_argument("--select", nargs="+", default=[], metavar="CODE", help="area codes to outline as selected")
    p.add_argument("--no-outlines", action="store_true", help="leave out the local authority outlines")
    p.add_argument("--out", required=True, metavar="FILE.html", help="HTML file to write")
    p.set_defaults(func=run, postcode_column=None, site_x_column=None, site_y_column=None, site_crs=None)


def _check_out(out: str) -> None:
    """Fail before computing when ``--out`` cannot be a file (the write itself checks again)."""
    path = Path(out)
    if path.is_dir():
        raise file_error(path, "is a folder, not a file", f"give a file name inside it, e.g. {path / 'map.html'}")
    if not path.parent.is_dir():
        raise file_error(path, f"folder {path.parent} does not exist", "create it or choose another --out path")


def _categories(args, available: list[str]) -> tuple[str, ...] | None:
    if args.category:
        return tuple(resolve(args.category, available) or ()) or None
    default = resolve(["serious_violence"], available)
    return tuple(default) if default else None


def run(args) -> int:
    from placebased.outputs.mapping import authority_outlines, build_map, cluster_points, render_html, web_geometry

    layer_word = (args.layer or "").strip().lower()
    if layer_word not in LAYER_KEYS:
        raise ConfigError(f"--layer {args.layer!r} is not a map layer; choose one of {', '.join(LAYER_KEYS)}.")
    layer = LAYER_KEYS[layer_word]
    if args.sites and layer != "gaps":
        raise ConfigError("--sites needs --layer gaps.")
    if args.sites < 0 or args.radius <= 0:
        raise ConfigError("--sites must be 0 or more and --radius above 0 metres.")
    _check_out(args.out)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        areas = load_areas_from_args(args)
    for w in caught:
        warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    inc = load_incidents_from_args(args, optional=True)
    filters = P.Filters(categories=_categories(args, inc.categories))
    stats = P.StatsSettings(weights=args.weights, variable=args.variable, permutations=args.permutations,
                            alpha=args.alpha, correction=args.correction, seed=args.seed,
                            adaptive=args.adaptive)
    tables = P.load_tables_for(P.Sources(tables=tuple(args.table)), areas.index)
    analysis = P.analyse(areas, inc, tables, filters, stats)
    scenario = scenario_from_args(argparse.Namespace(scenario=args.scenario, preset=args.preset, draws=args.draws))
    result, score_note = P.score(analysis, scenario, names=areas["area_name"], vintage=args.vintage)
    mf = P.map_frame(areas, analysis, result.to_frame())
    for n in analysis.notes + ([score_note] if score_note else []):
        eprint(f"note: {n}")

    provision = sites = None
    if args.provision or layer == "gaps":
        args.provision = args.provision or "example"
        provision = load_provision_from_args(args, areas)
    note = {"gi": analysis.settings_line(), "lisa": analysis.settings_line(),
            "emerging": "Space-time Gi* per month, Mann-Kendall on the Gi* z-series (ArcGIS rules; see "
                        "docs/emerging_hotspots.md)"}.get(layer, "")
    if layer == "priority":
        note = f"Scenario '{scenario.name}': {scenario.normalisation} normalisation, {scenario.draws} robustness draws"
    if layer == "gaps":
        note, sites = _gaps(args, areas, provision, result, scenario, mf)
    if layer == "emerging":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            trend = P.trends(inc.points, areas, categories=list(analysis.selected) or None, graph=analysis.graph,
                             alpha=stats.alpha, correction=stats.correction)
        mf["emerging_class"] = trend.table["emerging_class"]
        for n in trend.notes:
            eprint(f"note: {n}")
    clusters = cluster_points(P.point_layer(inc.points, analysis.selected)) if args.points else None
    unknown = [c for c in args.select if c not in areas.index]
    if unknown:
        raise ConfigError(f"--select: {', '.join(unknown[:5])} not among the areas' codes.")

    m = build_map(web_geometry(areas), mf, layer=layer, selected=args.select, note=note, provision=provision,
                  provision_radius_m=args.radius, sites=sites, point_clusters=clusters,
                  outlines=None if args.no_outlines else authority_outlines(areas),
                  count_label="Incidents (selected categories)", standalone=True)
    m.get_root().title = f"placebased map: {layer_word}"
    export.write_document(render_html(m), args.out)
    eprint(f"{len(areas):,} areas; {analysis.filter_report.kept:,} incidents; {filters.describe()}")
    eprint(f"map ({layer_word}) written to {args.out}: one file, Leaflet inlined, nothing fetched when opened")
    return 0


def _gaps(args, areas, provision, result, scenario, mf):
    """Gaps in provision for the priority tier, and optional new sites: the app's steps (appcache)."""
    tier = result.table["tier"]
    upto = args.tier or f"top {min(scenario.tiers):g}%"  # the app's default: the top tier
    r = reach(areas, provision, radius_m=args.radius, types=args.types)
    gap = gaps(r, tier, areas=areas, priority_tiers=tiers_up_to(tier, upto),
               types_label=", ".join(args.types) if args.types else "provision of any type")
    mf["gap"] = gap.table["gap"]
    mf["in_tier"] = gap.table["priority"]
    eprint(gap.summary_line)
    sites = None
    if args.sites:
        site_result = suggest_sites(areas, priority_weights(result.table["score"], areas["population"]), args.sites,
                                    radius_m=args.radius, existing=select_types(provision, args.types),
                                    population=areas["population"])
        sites = site_result.sites
        eprint(site_result.summary_line())
    return gap.summary_line, sites

"""The survey's outreach map: a static PNG (no tiles) of the deprived areas with few or no responses.

:meth:`placebased.score.survey.SurveyResult.outreach_map_data` says which areas to colour; this module
only draws them (the ``survey`` command and the needs-assessment PDF call it).
"""

from __future__ import annotations

import io

import geopandas as gpd
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from placebased.outputs.staticmap import MapData

__all__ = ["outreach_map", "outreach_png"]


def outreach_png(data, areas: gpd.GeoDataFrame, dpi: int = 150) -> bytes:
    """The outreach map of a survey result's :meth:`~placebased.score.survey.SurveyResult.outreach_map_data`
    (``outreach`` and ``deprived`` area codes, ``title``) over ``areas``, as PNG bytes."""
    return outreach_map(areas, set(data.outreach), set(data.deprived), dpi=dpi, title=data.title)


def outreach_map(areas: gpd.GeoDataFrame, outreach: set, deprived: set, dpi: int = 150, title: str = "") -> bytes:
    """A static PNG map (no tiles) of the outreach areas, using :class:`placebased.outputs.staticmap.MapData`."""
    md = MapData.build(areas)
    xmin, ymin = md.bounds[:, 0].min(), md.bounds[:, 1].min()
    xmax, ymax = md.bounds[:, 2].max(), md.bounds[:, 3].max()
    fig = Figure(figsize=(6.5, 7.0))
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.02, 0.08, 0.96, 0.86))
    ax.set_axis_off()
    ax.set_aspect("equal")
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    colours = {"outreach": "#b2182b", "deprived": "#f4a582", "other": "#eef0f2"}
    kind = ["outreach" if c in outreach else "deprived" if c in deprived else "other" for c in md.codes]
    ax.add_collection(PathCollection(md.paths, facecolors=[colours[k] for k in kind], edgecolors="#ffffff",
                                     linewidths=0.3), autolim=False)
    for g in md.lad_geoms:
        for line in getattr(g, "geoms", [g]):
            if line.geom_type == "LineString" and line.length > 5_000:  # not slivers between generalised edges
                xy = np.asarray(line.coords)
                ax.plot(xy[:, 0], xy[:, 1], color="#555555", lw=0.8, ls=(0, (4, 2)))
    MapData._furniture(ax, xmin, xmax, ymin, ymax)
    ax.set_title(title, fontsize=9, loc="left")
    fig.legend(handles=[Patch(color=colours["outreach"], label="deciles 1-2, few or no responses"),
                        Patch(color=colours["deprived"], label="deciles 1-2, other"),
                        Patch(color=colours["other"], label="deciles 3-10")],
               loc="lower center", ncol=3, fontsize=7, frameon=False)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()

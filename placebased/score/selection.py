"""The target selection: the areas a place-based lead picked, with a reason each.

The selection is the user's decision, not a result: it is a plain mapping ``area code -> reason``
that survives re-scoring. These helpers join it to the current scores for display and export.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from placebased.io.export import geojson_bytes, table_bytes

COLUMNS = ["area_code", "area_name", "lad_name", "score", "rank", "tier", "rank_p05", "rank_p95", "drivers", "reason"]


def selection_frame(selection: dict[str, str], areas: gpd.GeoDataFrame, scores: pd.DataFrame | None) -> pd.DataFrame:
    """One row per selected area (in selection order): name, authority, score, rank, drivers, reason."""
    codes = [c for c in selection if c in areas.index]
    out = pd.DataFrame(index=pd.Index(codes, name="area_code"))
    out["area_name"] = areas.loc[codes, "area_name"].to_numpy() if codes else []
    out["lad_name"] = areas.loc[codes, "lad_name"].to_numpy() if codes and "lad_name" in areas else ""
    for c in ("score", "rank", "tier", "rank_p05", "rank_p95", "drivers"):
        out[c] = scores[c].reindex(codes).to_numpy() if scores is not None and c in scores else pd.NA
    out["reason"] = pd.array([str(selection[c] or "") for c in codes], dtype="string")
    return out


def selection_table(selection: dict[str, str], areas: gpd.GeoDataFrame, scores: pd.DataFrame | None) -> pd.DataFrame:
    """The selection for an editable table: ``area_code`` as a column, plus a ``remove`` tick box."""
    out = selection_frame(selection, areas, scores).reset_index()
    out["remove"] = pd.array([False] * len(out), dtype="boolean")
    return out


def selection_csv(selection: dict[str, str], areas: gpd.GeoDataFrame, scores: pd.DataFrame | None) -> bytes:
    """CSV bytes of the selection (UTF-8 with BOM so Excel shows names correctly; formulas defused)."""
    return table_bytes(selection_frame(selection, areas, scores), "csv")


def selection_geojson(selection: dict[str, str], areas: gpd.GeoDataFrame, scores: pd.DataFrame | None) -> bytes:
    """GeoJSON bytes (WGS84) of the selected areas with their attributes and reasons."""
    frame = selection_frame(selection, areas, scores)
    gdf = gpd.GeoDataFrame(frame, geometry=areas.geometry.reindex(frame.index).to_numpy(), crs=areas.crs)
    return geojson_bytes(gdf.reset_index())

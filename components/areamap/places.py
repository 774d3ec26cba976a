"""Place names for the area map, offline: town and ward labels and each area's "in ... ward" title.

One small JSON file per area set, named by the SHA-256 of its bytes and written next to the geometry
(``static/geo/<sha>.places.json``), so the browser fetches it once, like the geometry:

- ``labels``: :func:`placebased.io.places.label_payload` (towns first, then wards largest first), each
  ``{"text", "lon", "lat", "kind", "min_zoom"}``; the map draws them as canvas text (never HTML),
  towns at the county view, ward names from their zoom on.
- ``titles``: per area, in the geometry file's order, the place people know
  (:func:`placebased.io.places.place_labels`: "West Northamptonshire 032B, in Kingsley ward"), the
  title of the map's tooltip.

Public boundary names only. No streamlit here (the cached wrapper is in ``__init__``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from placebased._atomic import write_bytes

#: the only keys of a places document
PLACES_KEYS = ("v", "labels", "titles")


def places_document(areas, codes: list[str]) -> dict:
    """Labels and per-area titles of ``areas`` (EPSG:27700, indexed by area code) in ``codes`` order.

    Labels are a help: when the lookups cannot be read the document has none (titles fall back to
    the area names)."""
    from placebased.io.places import label_payload, place_labels

    try:
        labels = label_payload(areas)
    except Exception:  # noqa: BLE001 - place names never stop a map being drawn
        labels = []
    sub = areas.reindex(codes)
    if "area_name" in sub:  # an area without a name is called by its code
        names = sub["area_name"].astype(object)
        sub = sub.assign(area_name=names.where(names.notna() & (names.astype(str).str.strip() != ""),
                                               pd.Series(sub.index.astype(str), index=sub.index)))
    try:
        titles = place_labels(sub).reindex(codes)
    except Exception:  # noqa: BLE001
        titles = sub["area_name"] if "area_name" in sub else pd.Series("", index=codes)
    clean = [{"text": str(lb["text"]), "lon": round(float(lb["lon"]), 5), "lat": round(float(lb["lat"]), 5),
              "kind": "town" if lb.get("kind") == "town" else "ward", "min_zoom": int(lb.get("min_zoom", 10))}
             for lb in labels if str(lb.get("text", "")).strip()]
    return {"v": 1, "labels": clean, "titles": ["" if pd.isna(t) else str(t) for t in titles.to_numpy()]}


def write_places(areas, codes: list[str], static_dir: str | Path, *, url_prefix: str = "app/static") -> dict:
    """Write the places file under ``static_dir/geo/`` (once: its name is its content's hash).

    Returns ``{"url", "path", "labels", "bytes"}`` (``url`` relative to the app's base URL)."""
    doc = places_document(areas, codes)
    data = json.dumps(doc, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    name = hashlib.sha256(data).hexdigest()[:32] + ".places.json"
    folder = Path(static_dir) / "geo"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if not path.exists() or path.stat().st_size != len(data):
        write_bytes(path, data)
    return {"url": f"{url_prefix}/geo/{name}", "path": path, "labels": len(doc["labels"]), "bytes": len(data)}

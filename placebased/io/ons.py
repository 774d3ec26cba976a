"""LSOA 2021 boundaries for named areas, from the ONS Open Geography Portal's public query service.

The portal publishes "LSOA (Dec 2021) Boundaries Generalised Clipped EW (BGC)" as an ArcGIS
FeatureServer layer. :func:`fetch_lsoas` asks its ``/query`` endpoint for exactly the LSOAs wanted
(``where=LSOA21CD IN (...)``, ``outFields``, ``f=geojson``), in batches, following
``resultOffset``/``resultRecordCount`` while the answer says ``exceededTransferLimit``. Each LSOA is
cached as its own small GeoJSON file under the user's cache folder, so an interrupted download
resumes where it stopped and a second run needs no network. Offline, the error names the dataset to
download by hand and the flag to pass.

The service address can be changed with the environment variable ``PLACEBASED_ONS_URL`` (the
layer URL, ending ``/FeatureServer/0``); the tests point it at a local server.

Self-contained: standard library (urllib) + geopandas; errors from :mod:`placebased.errors`.
"""

from __future__ import annotations

import hashlib
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path

import geopandas as gpd
import platformdirs

from placebased.errors import DataError

ONS_URL_ENV = "PLACEBASED_ONS_URL"
CACHE_ENV = "PLACEBASED_CACHE"
DEFAULT_URL = ("https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services/"
               "Lower_layer_Super_Output_Areas_December_2021_Boundaries_EW_BGC_V5/FeatureServer/0")
DATASET = "LSOA (Dec 2021) Boundaries Generalised Clipped EW (BGC)"
OFFLINE_FIX = (f'download "{DATASET}" from the ONS Open Geography Portal (geoportal.statistics.gov.uk) by hand '
               "and pass it with --boundaries FILE (add --la/--force to keep your areas)")
BATCH = 100  # codes per request (keeps the where clause short)
PAGE = 1000  # features asked per page (the service may give fewer and say exceededTransferLimit)
TIMEOUT = 60

Progress = Callable[[int, int, str], None]


def service_url() -> str:
    return os.environ.get(ONS_URL_ENV, DEFAULT_URL).rstrip("/")


def cache_dir() -> Path:
    """``$PLACEBASED_CACHE``, else the platform's user cache folder for placebased (``~/.cache/placebased``)."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    try:
        return Path(platformdirs.user_cache_dir("placebased", appauthor=False))
    except ImportError:
        return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "placebased"


def _lsoa_cache() -> Path:
    key = hashlib.sha1(service_url().encode()).hexdigest()[:10]  # another service, another cache
    return cache_dir() / f"lsoa21_bgc_{key}"


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _query(codes: list[str], offset: int) -> dict:
    """One page of the service's answer (a GeoJSON FeatureCollection), or a one-line error."""
    where = "LSOA21CD IN (" + ",".join(f"'{c}'" for c in codes) + ")"
    form = {"where": where, "outFields": "LSOA21CD,LSOA21NM", "returnGeometry": "true", "outSR": "4326",
            "f": "geojson", "resultOffset": str(offset), "resultRecordCount": str(PAGE), "orderByFields": "LSOA21CD"}
    url = service_url() + "/query"
    data = urllib.parse.urlencode(form).encode()
    req = urllib.request.Request(url, data=data, headers={"User-Agent": "placebased",
                                                          "Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:  # noqa: S310 - https/http only (our URL)
            raw = resp.read()
    except urllib.error.HTTPError as exc:
        raise DataError(f"{url}: the ONS boundary service answered HTTP {exc.code} ({exc.reason}); try again "
                        f"later, or {OFFLINE_FIX}.") from None
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DataError(f"{url}: cannot reach the ONS boundary service ({reason}); {OFFLINE_FIX}.") from None
    try:
        answer = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise DataError(f"{url}: the ONS boundary service sent a page that is not GeoJSON (starts "
                        f"{raw[:40]!r}); try again later, or {OFFLINE_FIX}.") from None
    if isinstance(answer, dict) and "error" in answer:
        err = answer["error"] or {}
        msg = str(err.get("message", "unknown error")).replace("\n", " ")[:200]
        raise DataError(f"{url}: the ONS boundary service refused the query (code {err.get('code', '?')}: {msg}); "
                        f"try again later, or {OFFLINE_FIX}.")
    if not isinstance(answer, dict) or not isinstance(answer.get("features"), list):
        raise DataError(f"{url}: the ONS boundary service's answer has no features; {OFFLINE_FIX}.")
    return answer


def _exceeded(answer: dict) -> bool:
    props = answer.get("properties") or {}
    return bool(answer.get("exceededTransferLimit") or props.get("exceededTransferLimit"))


def fetch_lsoas(codes: Iterable[str], progress: Progress | None = None):
    """Boundaries (GeoDataFrame, EPSG:4326: ``LSOA21CD``, ``LSOA21NM``, geometry) of the LSOA 2021 ``codes``,
    from the cache where present, else from the ONS service (batched, paged, cached as they arrive)."""
    codes = sorted(dict.fromkeys(str(c) for c in codes))
    folder = _lsoa_cache()
    missing = [c for c in codes if not (folder / f"{c}.geojson").exists()]
    batches = [missing[i:i + BATCH] for i in range(0, len(missing), BATCH)]
    done = len(codes) - len(missing)
    for batch in batches:
        offset = 0
        while True:
            answer = _query(batch, offset)
            feats = answer["features"]
            for f in feats:
                code = str((f.get("properties") or {}).get("LSOA21CD", ""))
                if code in batch and f.get("geometry"):
                    _write_atomic(folder / f"{code}.geojson", json.dumps(f))
            offset += len(feats)
            if not (_exceeded(answer) and feats):
                break
        done += len(batch)
        if progress:
            progress(done, len(codes), f"LSOA boundaries {done:,}/{len(codes):,}")
    absent = [c for c in codes if not (folder / f"{c}.geojson").exists()]
    if absent:
        raise DataError(f"{service_url()}: the ONS boundary service has no boundary for {len(absent)} of "
                        f"{len(codes)} LSOAs ({', '.join(absent[:5])}{' ...' if len(absent) > 5 else ''}); "
                        f"{OFFLINE_FIX}.")
    feats = [json.loads((folder / f"{c}.geojson").read_text(encoding="utf-8")) for c in codes]
    gdf = gpd.GeoDataFrame.from_features(feats, crs="EPSG:4326")
    return gdf[["LSOA21CD", "LSOA21NM", "geometry"]]


def boundaries_file(codes: Iterable[str], progress: Progress | None = None) -> Path:
    """A GeoJSON file (in the cache) of the LSOA 2021 ``codes``' boundaries, for ``--boundaries``."""
    codes = sorted(dict.fromkeys(str(c) for c in codes))
    key = hashlib.sha1((service_url() + "|" + ",".join(codes)).encode()).hexdigest()[:16]
    path = cache_dir() / "areas" / f"lsoa21_{key}.geojson"
    if not path.exists():
        gdf = fetch_lsoas(codes, progress)
        _write_atomic(path, gdf.to_json())
    return path


__all__ = ["DATASET", "DEFAULT_URL", "ONS_URL_ENV", "boundaries_file", "cache_dir", "fetch_lsoas", "service_url"]

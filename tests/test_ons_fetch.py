"""LSOA boundaries by name from the ONS query service (issue 15, part 3), against a local server.

The server (127.0.0.1, a thread) answers ``/FeatureServer/0/query`` the way the ArcGIS REST service
documents it: ``where=LSOA21CD IN (...)``, ``outFields``, ``f=geojson``, ``resultOffset`` /
``resultRecordCount`` with at most ``MAX_RECORDS`` features a page and ``exceededTransferLimit``
when more remain, ``{"error": {...}}`` for a bad query, and an HTML error page with HTTP 500 on
``/broken``. The 30 Leicester fixture LSOAs get their real polygons; any other code a small square.
Edge cases: paging, cache reuse and resume (a deleted cache file is fetched alone), the service's
error JSON, an HTML error page, no server at all (offline: the dataset and flag are named), an
unknown authority, a Welsh authority.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box, mapping

from placebased.cli import main
from placebased.errors import PlaceBasedError
from placebased.io import ons

FIXTURE = Path(__file__).parent / "data" / "leicester_lsoa21_30.geojson"
MAX_RECORDS = 7


class _Replay(BaseHTTPRequestHandler):
    polygons: dict = {}
    requests: list = []

    def log_message(self, *args):  # quiet
        pass

    def _answer(self, params: dict[str, str]):
        if self.path.startswith("/broken"):
            body = b"<html><body><h1>500 Internal Server Error</h1></body></html>"
            self.send_response(500)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(body)
            return
        type(self).requests.append(params)
        codes = re.findall(r"'([^']+)'", params.get("where", ""))
        if any(c == "E01BADBAD" for c in codes) or params.get("f") != "geojson":
            payload = {"error": {"code": 400, "message": "Unable to complete operation.",
                                 "details": ["Invalid query parameters."]}}
        else:
            offset = int(params.get("resultOffset", 0))
            count = min(int(params.get("resultRecordCount", 1000)), MAX_RECORDS)
            found = sorted(c for c in codes if not c.startswith("E01NONE"))
            page = found[offset:offset + count]
            feats = [{"type": "Feature", "id": i, "geometry": self._geometry(c),
                      "properties": {"LSOA21CD": c, "LSOA21NM": f"Area {c}"}} for i, c in enumerate(page)]
            payload = {"type": "FeatureCollection", "features": feats}
            if offset + count < len(found):
                payload["properties"] = {"exceededTransferLimit": True}
        body = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/geo+json")
        self.end_headers()
        self.wfile.write(body)

    def _geometry(self, code):
        if code in self.polygons:
            return self.polygons[code]
        n = int(re.sub(r"\D", "", code) or 0) % 1000
        x, y = -1.2 + (n % 40) * 0.002, 52.6 + (n // 40) * 0.002
        return mapping(box(x, y, x + 0.0015, y + 0.0015))

    def do_GET(self):  # noqa: N802
        self._answer(dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query)))

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length", 0))
        self._answer(dict(urllib.parse.parse_qsl(self.rfile.read(length).decode())))


@pytest.fixture(scope="module")
def server():
    g = gpd.read_file(FIXTURE)
    _Replay.polygons = {c: mapping(geom) for c, geom in zip(g["LSOA21CD"], g.geometry)}
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Replay)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture
def service(server, tmp_path, monkeypatch):
    monkeypatch.setenv(ons.ONS_URL_ENV, f"{server}/arcgis/rest/services/LSOA21_BGC/FeatureServer/0")
    monkeypatch.setenv(ons.CACHE_ENV, str(tmp_path / "cache"))
    _Replay.requests = []
    return server


@pytest.mark.usefixtures("service")
def test_paging_and_cache():
    codes = sorted(gpd.read_file(FIXTURE)["LSOA21CD"])[:16]
    calls = []
    gdf = ons.fetch_lsoas(codes, progress=lambda d, t, _w: calls.append((d, t)))
    assert list(gdf["LSOA21CD"]) == codes and gdf.crs.to_epsg() == 4326
    offsets = [int(r["resultOffset"]) for r in _Replay.requests]
    assert offsets == [0, 7, 14]  # 16 features, 7 a page
    assert all(r["f"] == "geojson" and r["outFields"] == "LSOA21CD,LSOA21NM" for r in _Replay.requests)
    assert calls[-1] == (16, 16)
    _Replay.requests = []
    again = ons.fetch_lsoas(codes)
    assert _Replay.requests == [] and again.geom_equals(gdf).all()  # from the cache
    cached = next(ons._lsoa_cache().glob(f"{codes[3]}.geojson"))
    cached.unlink()  # an interrupted download: only the missing LSOA is asked again
    ons.fetch_lsoas(codes)
    assert len(_Replay.requests) == 1 and re.findall(r"'([^']+)'", _Replay.requests[0]["where"]) == [codes[3]]


def test_service_errors_are_one_line(service, monkeypatch):
    with pytest.raises(PlaceBasedError, match=r"refused the query \(code 400: Unable to complete operation"):
        ons.fetch_lsoas(["E01BADBAD"])
    with pytest.raises(PlaceBasedError, match="has no boundary for 1 of 2 LSOAs"):
        ons.fetch_lsoas(["E01013648", "E01NONE01"])
    monkeypatch.setenv(ons.ONS_URL_ENV, f"{service}/broken/FeatureServer/0")
    with pytest.raises(PlaceBasedError, match="HTTP 500") as e:
        ons.fetch_lsoas(["E01013648"])
    assert "\n" not in str(e.value) and "--boundaries FILE" in str(e.value)


def test_offline_names_the_dataset_and_the_flag(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(ons.ONS_URL_ENV, "http://127.0.0.1:9/FeatureServer/0")  # nothing listens on port 9
    monkeypatch.setenv(ons.CACHE_ENV, str(tmp_path / "cache"))
    rc = main(["areas", "--la", "Rutland", "--out", str(tmp_path / "a.csv")])
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert rc == 2 and "cannot reach the ONS boundary service" in err
    assert ons.DATASET in err and "--boundaries FILE" in err
    assert not (tmp_path / "a.csv").exists()


@pytest.mark.usefixtures("service")
def test_areas_by_name_through_the_cli(tmp_path, capsys):
    out = tmp_path / "leicester.csv"
    rc = main(["areas", "--la", "Leicester", "--out", str(out)])
    cap = capsys.readouterr()
    assert rc == 0, cap.err
    import pandas as pd

    from placebased.io.geography import select_lsoas

    table = pd.read_csv(out)
    want = select_lsoas(la=["Leicester"])
    assert len(table) == len(want) and set(table["area_code"]) == set(want.index)
    assert table["imd_decile"].notna().all() and "areas: " in cap.err
    gpkg = tmp_path / "leics.gpkg"
    rc = main(["fetch-areas", "--force", "Leicestershire", "--out", str(gpkg)])
    assert rc == 0, capsys.readouterr().err
    got = gpd.read_file(gpkg)
    assert len(got) == len(select_lsoas(force=["Leicestershire"])) and got.crs.to_epsg() == 27700
    assert set(got["PFA_NM"]) == {"Leicestershire"}


def test_offline_route_selects_from_a_file(tmp_path, capsys):
    out = tmp_path / "a.csv"
    rc = main(["areas", "--boundaries", str(FIXTURE), "--la", "Leicester", "--out", str(out)])
    assert rc == 0, capsys.readouterr().err
    rc = main(["areas", "--boundaries", str(FIXTURE), "--la", "Rutland", "--out", str(out)])
    assert rc == 2 and "holds none of the" in capsys.readouterr().err


@pytest.mark.parametrize(("flag", "name", "message"), [
    ("--la", "Leicster", "closest: Leicester"),
    ("--la", "Cardiff", "in Wales, not England"),
    ("--la", "W06000015", "in Wales, not England"),
    ("--force", "Gwent", "not an English police force area"),
    ("--force", "Leics", "closest: Leicestershire"),
])
def test_names_that_are_not_english_areas(tmp_path, capsys, flag, name, message):
    rc = main(["areas", flag, name, "--out", str(tmp_path / "a.csv")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and message in err[0]

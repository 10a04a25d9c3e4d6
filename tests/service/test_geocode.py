"""`zerowaste rules geocode` against a Nominatim server on this machine (nothing reaches the internet):
points only inside the municipality, each with its OpenStreetMap object beside it, written into a
copy of the rules file without touching anything else in it, and the usage policy kept."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from zerowaste.service.rules import read_rules, rules_path

# What the fake server knows, by a piece of the query: one place inside Wuppertal, one in Cologne.
PLACES = {
    "Scheidtstr. 52": {
        "lat": "51.2231",
        "lon": "7.1968",
        "osm_type": "node",
        "osm_id": "123456",
        "display_name": "52, Scheidtstraße, Ronsdorf",
    },
    "Arrenberger Str. 10": {
        "lat": "50.9375",
        "lon": "6.9603",
        "osm_type": "way",
        "osm_id": "42",
        "display_name": "Köln",
    },
}


@pytest.fixture
def nominatim() -> Iterator[tuple[str, list[dict[str, str]]]]:
    asked: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            url = urlparse(self.path)
            q = {k: v[0] for k, v in parse_qs(url.query).items()}
            asked.append({"path": url.path, "user_agent": self.headers.get("User-Agent", ""), **q})
            found = [place for piece, place in PLACES.items() if piece in q.get("q", "")]
            body = json.dumps(found).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", asked
    server.shutdown()


def test_points_inside_the_city_are_written_beside_the_address_and_nothing_else_changes(
    nominatim: tuple[str, list[dict[str, str]]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from zerowaste.cli import main

    url, asked = nominatim
    copy = tmp_path / "wuppertal.yaml"
    original = rules_path("wuppertal").read_text(encoding="utf-8")
    copy.write_text(original, encoding="utf-8")
    without = [o.key for o in read_rules(copy).offers if o.lat is None]

    args = ["rules", "geocode", "--file", str(copy), "--geocoder-url", url, "--interval", "0"]
    assert main([*args, "--user-agent", "zerowaste test (awg@example.org)"]) == 0
    out = capsys.readouterr()
    assert copy.read_text(encoding="utf-8") == original  # without --write only printed
    assert "machbar-reparaturcafe-ronsdorf: 51.2231, 7.1968  https://www.openstreetmap.org/node/123456" in out.out
    assert "arrenbergstatt-reparatur-cafe: no point" in out.err and "outside" in out.err  # Cologne is refused
    assert len(asked) == len(without)  # one request per offer without a point
    assert all(a["user_agent"] == "zerowaste test (awg@example.org)" and a["format"] == "jsonv2" for a in asked)
    assert any(a["q"] == "Scheidtstr. 52, Wuppertal" for a in asked)

    assert main([*args, "--write"]) == 0
    after = read_rules(copy)  # still valid
    ronsdorf = next(o for o in after.offers if o.key == "machbar-reparaturcafe-ronsdorf")
    assert (ronsdorf.lat, ronsdorf.lon) == (51.2231, 7.1968)
    assert ronsdorf.position_source == "https://www.openstreetmap.org/node/123456"
    assert next(o for o in after.offers if o.key == "arrenbergstatt-reparatur-cafe").lat is None
    added = [line for line in copy.read_text(encoding="utf-8").splitlines() if line not in original.splitlines()]
    assert added == [
        "    lat: 51.2231",
        "    lon: 7.1968",
        "    position_source: https://www.openstreetmap.org/node/123456",
    ]
    asked.clear()
    assert main(args) == 0  # the offer with its point is not asked about again
    assert not any("Scheidtstr" in a["q"] for a in asked) and len(asked) == len(without) - 1


def test_requests_keep_nominatims_one_per_second() -> None:
    import httpx

    from zerowaste.service.geocode import Geocoder

    now = [0.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    transport = httpx.MockTransport(lambda _r: httpx.Response(200, json=[]))
    geocoder = Geocoder(httpx.Client(base_url="http://geo", transport=transport), clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        geocoder.search("Mirker Str. 48, Wuppertal")
        now[0] += 0.25  # the caller's own work between requests
    assert slept == [pytest.approx(0.75), pytest.approx(0.75)]


def test_a_point_outside_the_city_or_without_its_partner_is_refused_in_the_file(tmp_path: Path) -> None:
    import yaml
    from pydantic import ValidationError

    data = yaml.safe_load(rules_path("wuppertal").read_text(encoding="utf-8"))
    data["offers"][0].update({"lat": 50.9375, "lon": 6.9603})
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValidationError, match="outside the municipality"):
        read_rules(bad)
    data["offers"][0].pop("lon")
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValidationError, match="lat and lon together"):
        read_rules(bad)

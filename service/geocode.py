"""Points for offers that have none, from OpenStreetMap, with the source beside each point.

`zerowaste rules geocode` asks a Nominatim server (https://nominatim.openstreetmap.org by default: run
it where there is internet, never at service run time) for each offer's address in the municipality.
A point is kept only when the answer lies inside the municipality's bounds; each kept point names the
OpenStreetMap object it comes from (data © OpenStreetMap contributors, ODbL). Without `--write` the
command prints what it found for a person to check; with it, the lines are added to the rules file
beside each offer's address, the rest of the file untouched.

Nominatim's usage policy: an identifying User-Agent and at most one request per second; both are
kept here (`Geocoder.interval_s`, `--user-agent`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from zerowaste.service.rules import MunicipalityRules, OfferRule

NOMINATIM = "https://nominatim.openstreetmap.org"
USER_AGENT = "zerowaste-rules-geocode/0.1 (+https://github.com/zerowaste; AWG Wuppertal pilot)"


class GeocodingError(Exception):
    """The geocoding server could not be asked (network, HTTP error, an answer that is no list)."""


@dataclass(frozen=True)
class Found:
    key: str
    lat: float
    lon: float
    source: str  # the OpenStreetMap object
    found_as: str  # the server's name for it, for the person who checks


@dataclass(frozen=True)
class Miss:
    key: str
    reason: str


class Geocoder:
    def __init__(
        self,
        client: httpx.Client,
        *,
        interval_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client, self.interval_s, self.clock, self.sleep = client, interval_s, clock, sleep
        self._last = float("-inf")

    def search(self, query: str) -> list[dict[str, object]]:
        wait = self._last + self.interval_s - self.clock()
        if wait > 0:
            self.sleep(wait)
        self._last = self.clock()
        try:
            r = self.client.get("/search", params={"q": query, "format": "jsonv2", "limit": 1, "countrycodes": "de"})
            r.raise_for_status()
            found = r.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise GeocodingError(f"{query!r}: {exc}") from exc
        if not isinstance(found, list):
            raise GeocodingError(f"{query!r}: the answer is no list of places")
        return [f for f in found if isinstance(f, dict)]


def client(base_url: str = NOMINATIM, user_agent: str | None = None, timeout_s: float = 20.0) -> httpx.Client:
    return httpx.Client(base_url=base_url, headers={"User-Agent": user_agent or USER_AGENT}, timeout=timeout_s)


def _query(offer: OfferRule, rules: MunicipalityRules) -> str:
    # "Begegnungszentrum, Arrenberger Str. 10" -> the street part is what a geocoder knows
    streetish = [p.strip() for p in offer.address.split(",") if re.search(r"\d|str|weg|platz|allee", p, re.I)]
    return f"{streetish[-1] if streetish else offer.address}, {rules.name}"


def geocode_offers(rules: MunicipalityRules, geocoder: Geocoder) -> list[Found | Miss]:
    """A point or the reason there is none, for every offer without a point."""
    out: list[Found | Miss] = []
    for offer in rules.offers:
        if offer.lat is not None:
            continue
        query = _query(offer, rules)
        try:
            found = geocoder.search(query)
        except GeocodingError as exc:
            out.append(Miss(offer.key, str(exc)))
            continue
        if not found:
            out.append(Miss(offer.key, f"nothing found for {query!r}"))
            continue
        place = found[0]
        try:
            lat, lon = float(str(place["lat"])), float(str(place["lon"]))
            source = f"https://www.openstreetmap.org/{place['osm_type']}/{int(str(place['osm_id']))}"
        except (KeyError, TypeError, ValueError):
            out.append(Miss(offer.key, f"an answer without a point or an OpenStreetMap object for {query!r}"))
            continue
        if rules.bounds is not None and not rules.bounds.contains(lat, lon):
            out.append(Miss(offer.key, f"{query!r} was found at {lat:.5f}, {lon:.5f}, outside {rules.name}"))
            continue
        out.append(Found(offer.key, round(lat, 6), round(lon, 6), source, str(place.get("display_name", ""))))
    return out


def with_positions(text: str, positions: list[Found]) -> str:
    """The rules file's text with `lat`, `lon` and `position_source` after each found offer's address
    line; everything else, comments and layout included, as it was."""
    lines = text.splitlines(keepends=True)
    for p in positions:
        start = next((i for i, line in enumerate(lines) if re.match(rf"\s*- key: {re.escape(p.key)}\s*$", line)), None)
        if start is None:
            raise ValueError(f"offer {p.key} is not in the file")
        head = lines[start]
        indent = head[: len(head) - len(head.lstrip())] + "  "  # the offer's fields sit under its "- "
        end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith(indent)), len(lines))
        address = next((i for i in range(start, end) if lines[i].startswith(f"{indent}address:")), None)
        if address is None:
            raise ValueError(f"offer {p.key} has no address line")
        if any(lines[i].startswith((f"{indent}lat:", f"{indent}lon:")) for i in range(start, end)):
            raise ValueError(f"offer {p.key} has a point already")
        lines[address + 1 : address + 1] = [
            f"{indent}lat: {p.lat}\n",
            f"{indent}lon: {p.lon}\n",
            f"{indent}position_source: {p.source}\n",
        ]
    return "".join(lines)

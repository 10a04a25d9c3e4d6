"""Ranking reuse, repair and lending offers for an item: fit first, then nearness, then open now.

Only offers whose categories meet the item's are shown; offers that take the recognised household
item (a toaster -> repair café) come before those that only fit the material (metal -> scrap), and
among them the kinds that suit the item best (`kinds`, from the item map: a wearable jacket goes to a
second-hand shop before a repair café, a broken toaster the other way round).
Distances are great-circle distances where both the citizen and the offer have coordinates; an
offer without coordinates (most of them: the sources give addresses, and coordinates are never
invented) counts as near when it lies in the citizen's district and as far otherwise.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from zerowaste.service.db.models import Offer
from zerowaste.service.schedule import open_at

KIND_ORDER = {"repair": 0, "lending": 1, "second-hand": 2, "give-away": 3, "book-shelf": 4, "food-sharing": 5}
SAME_DISTRICT_KM = 2.5
ELSEWHERE_KM = 10.0


@dataclass
class RankedOffer:
    offer: Offer
    matches: list[str]
    for_item: bool
    distance_km: float | None
    open_now: bool | None


def shown_to_citizens(o: Offer, now: dt.datetime) -> bool:
    """Active, and not an event that is over (planned places are kept inactive until they open)."""
    return o.active and (o.ends_on is None or o.ends_on >= now.date())


def due_for_check(o: Offer, today: dt.date, max_age_days: int = 365, max_info_years: int = 2) -> list[str]:
    """Why staff should look at an offer again (nothing: it is fresh)."""
    reasons = []
    if o.verified_on is None or (today - o.verified_on).days > max_age_days:
        reasons.append(f"last checked {o.verified_on or 'never'}")
    if o.information_as_of is not None and today.year - o.information_as_of > max_info_years:
        reasons.append(f"its facts are from {o.information_as_of}")
    if o.ends_on is not None and o.ends_on < today:
        reasons.append(f"the event ended on {o.ends_on}: enter the next date or retire it")
    if not o.active:
        reasons.append("not shown (planned or retired): open it when it exists")
    return reasons


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def rank_offers(
    offers: list[Offer],
    categories: list[str],
    *,
    preferred: list[str] | None = None,
    lat: float | None = None,
    lon: float | None = None,
    district: str | None = None,
    zone: ZoneInfo,
    now: dt.datetime | None = None,
    limit: int = 5,
    kinds: list[str] | None = None,
) -> list[RankedOffer]:
    now = now or dt.datetime.now(dt.UTC)
    preferred_set = set(preferred or [])
    wanted = set(categories) | preferred_set
    ranked: list[tuple[tuple[float, ...], RankedOffer]] = []
    for o in offers:
        matches = sorted(wanted & set(o.categories))
        if not shown_to_citizens(o, now) or not matches:
            continue
        distance = None
        if lat is not None and lon is not None and o.lat is not None and o.lon is not None:
            distance = haversine_km(lat, lon, o.lat, o.lon)
        proxy = (
            distance
            if distance is not None
            else (SAME_DISTRICT_KM if district and o.district == district else ELSEWHERE_KM)
        )
        is_open = open_at(o.opening_hours, now, zone)
        for_item = bool(preferred_set & set(matches))
        fit = kinds.index(o.kind) if kinds and o.kind in kinds else len(kinds or ())
        key = (
            0 if for_item else 1,
            fit,
            -len(matches),
            round(proxy, 1),
            0 if is_open else 1,
            KIND_ORDER.get(o.kind, 9),
        )
        ranked.append((key, RankedOffer(o, matches, for_item, distance, is_open)))
    ranked.sort(key=lambda kv: (kv[0], kv[1].offer.key))
    return [r for _, r in ranked[:limit]]


def browse_offers(
    offers: list[Offer],
    *,
    kind: str | None = None,
    category: str | None = None,
    district: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    open_now: bool = False,
    zone: ZoneInfo,
    now: dt.datetime | None = None,
    limit: int = 50,
) -> list[RankedOffer]:
    """Offers without a photo ("Wo kann ich reparieren lassen?"): filtered, nearest first.

    A district filter keeps the offers of that district; a position orders by distance where the offer
    has coordinates and by district otherwise, as for a photo."""
    from zerowaste.service.search_words import skeleton  # district names compare without case and umlaut trouble

    now = now or dt.datetime.now(dt.UTC)
    wanted_district = skeleton(district) if district else None
    ranked: list[tuple[tuple[float, str], RankedOffer]] = []
    for o in offers:
        if not shown_to_citizens(o, now) or (kind and o.kind != kind) or (category and category not in o.categories):
            continue
        if wanted_district and skeleton(o.district or "") != wanted_district:
            continue
        is_open = open_at(o.opening_hours, now, zone)
        if open_now and is_open is not True:
            continue
        distance = None
        if lat is not None and lon is not None and o.lat is not None and o.lon is not None:
            distance = haversine_km(lat, lon, o.lat, o.lon)
        proxy = distance if distance is not None else ELSEWHERE_KM
        matches = [category] if category else []
        ranked.append(((round(proxy, 1), o.name), RankedOffer(o, matches, False, distance, is_open)))
    ranked.sort(key=lambda kv: kv[0])
    return [r for _, r in ranked[:limit]]

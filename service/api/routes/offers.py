from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from zerowaste.service import schemas
from zerowaste.service.api.deps import GuideDep, RulesDep
from zerowaste.service.api.tags import Tags
from zerowaste.service.guidance import offer_public, usable_position
from zerowaste.service.offers import browse_offers
from zerowaste.service.rules import OfferKind

router = APIRouter(tags=[Tags.offers])


@router.get(
    "/offers",
    response_model=schemas.OffersResponse,
    summary="Where can I repair, borrow, pass on or swap things? Offers without a photo",
    description="Filtered by kind, category, district (case and umlauts do not matter) and open now; with "
    "`lat`/`lon` the nearest first where an offer has coordinates (most have an address only).",
)
def list_offers(
    guide: GuideDep,
    rules: RulesDep,
    kind: Annotated[OfferKind | None, Query()] = None,
    category: Annotated[schemas.Category | None, Query(examples=["small-electrical"])] = None,
    district: Annotated[str | None, Query(max_length=100, examples=["Elberfeld"])] = None,
    lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
    lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
    open_now: Annotated[bool, Query()] = False,
    lang: Annotated[schemas.Lang, Query()] = "de",
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> schemas.OffersResponse:
    if (lat is None) != (lon is None):
        raise HTTPException(422, "give both lat and lon, or neither")
    lat, lon, note = usable_position(rules, lat, lon, lang)
    found = browse_offers(
        guide.offers,
        kind=kind,
        category=category,
        district=district,
        lat=lat,
        lon=lon,
        open_now=open_now,
        zone=guide.zone,
        limit=limit,
    )
    return schemas.OffersResponse(offers=[offer_public(o, lang) for o in found], location_note=note)

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from zerowaste.model.items import item_map
from zerowaste.service import schemas
from zerowaste.service.api.tags import Tags
from zerowaste.service.deps import SessionDep, SettingsDep
from zerowaste.service.guidance import Guide, offer_public, stream_public
from zerowaste.service.offers import rank_offers
from zerowaste.service.search import search as search_abc

router = APIRouter(tags=[Tags.search])


@router.get(
    "/search",
    response_model=schemas.SearchResponse,
    summary="Search the Abfall-ABC",
    description="Tolerates case, umlauts written as ue/oe/ae or left out, typos, plurals, German compounds, "
    "synonyms and English names: `Kühlschrank`, `kuehlschrank`, `Kühlshrank` and `fridge` find the same entry; "
    "a query naming a whole stream (`Sperrmüll`, `Gelber Sack`) finds the stream. Hits below a relevance "
    "floor are not shown.",
)
def search(
    session: SessionDep,
    settings: SettingsDep,
    q: Annotated[str, Query(min_length=1, max_length=100, examples=["kuehlschrank"])],
    lang: Annotated[schemas.Lang, Query()] = "de",
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> schemas.SearchResponse:
    guide = Guide(session, settings.municipality)
    results = []
    for h in search_abc(list(guide.items.values()), list(guide.streams.values()), q, limit=limit):
        item, stream = h.target.item, h.target.stream
        if item is not None:
            # the offers a photo of the same thing would get: those that take its categories, the kinds
            # that suit it first
            offers = rank_offers(
                guide.offers,
                [],
                preferred=list(item.categories),
                limit=settings.max_offers,
                kinds=item_map().offer_kinds(list(item.categories)),
            )
            results.append(
                schemas.AbcHit(
                    kind="item",
                    key=item.key,
                    name=item.name_de if lang == "de" else item.name_en,
                    matched=h.matched,
                    score=round(h.score, 1),
                    stream=stream_public(guide.streams[item.stream_key], lang),
                    categories=list(item.categories),
                    note=item.notes.get(lang) if item.notes else None,
                    offers=[offer_public(o, lang) for o in offers],
                )
            )
        elif stream is not None:
            results.append(
                schemas.AbcHit(
                    kind="stream",
                    key=stream.key,
                    name=stream.name[lang],
                    matched=h.matched,
                    score=round(h.score, 1),
                    stream=stream_public(stream, lang),
                    categories=[],
                )
            )
    return schemas.SearchResponse(query=q, lang=lang, results=results)

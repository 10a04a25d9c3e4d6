from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from zerowaste.service import schemas
from zerowaste.service.api.tags import Tags
from zerowaste.service.db.models import AbcItem, Stream
from zerowaste.service.deps import SessionDep, SettingsDep
from zerowaste.service.guidance import stream_public
from zerowaste.service.search import search_items

router = APIRouter(tags=[Tags.search])


@router.get(
    "/search",
    response_model=schemas.SearchResponse,
    summary="Search the Abfall-ABC",
    description="Tolerates case, umlauts written as ue/oe/ae, typos, synonyms and English names: "
    "`Kühlschrank`, `kuehlschrank`, `Kühlshrank` and `fridge` find the same entry.",
)
def search(
    session: SessionDep,
    settings: SettingsDep,
    q: Annotated[str, Query(min_length=1, max_length=100, examples=["kuehlschrank"])],
    lang: Annotated[schemas.Lang, Query()] = "de",
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> schemas.SearchResponse:
    items = list(session.scalars(select(AbcItem).where(AbcItem.municipality == settings.municipality)))
    streams = {s.key: s for s in session.scalars(select(Stream).where(Stream.municipality == settings.municipality))}
    results = [
        schemas.AbcHit(
            key=h.item.key,
            name=h.item.name_de if lang == "de" else h.item.name_en,
            matched=h.matched,
            score=round(h.score, 1),
            stream=stream_public(streams[h.item.stream_key], lang),
            categories=list(h.item.categories),
            note=h.item.notes.get(lang) if h.item.notes else None,
        )
        for h in search_items(items, q, limit=limit)
    ]
    return schemas.SearchResponse(query=q, lang=lang, results=results)

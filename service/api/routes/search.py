from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from zerowaste.service import schemas
from zerowaste.service.api.tags import Tags
from zerowaste.service.db.models import AbcItem, Stream
from zerowaste.service.deps import SessionDep, SettingsDep
from zerowaste.service.guidance import stream_public
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
    items = list(session.scalars(select(AbcItem).where(AbcItem.municipality == settings.municipality)))
    streams = list(session.scalars(select(Stream).where(Stream.municipality == settings.municipality)))
    by_key = {s.key: s for s in streams}
    results = []
    for h in search_abc(items, streams, q, limit=limit):
        item, stream = h.target.item, h.target.stream
        if item is not None:
            results.append(
                schemas.AbcHit(
                    kind="item",
                    key=item.key,
                    name=item.name_de if lang == "de" else item.name_en,
                    matched=h.matched,
                    score=round(h.score, 1),
                    stream=stream_public(by_key[item.stream_key], lang),
                    categories=list(item.categories),
                    note=item.notes.get(lang) if item.notes else None,
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

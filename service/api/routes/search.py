from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from zerowaste.service import schemas
from zerowaste.service.api.deps import GuideDep, SettingsDep
from zerowaste.service.api.tags import Tags
from zerowaste.service.guidance import search_results

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
    guide: GuideDep,
    settings: SettingsDep,
    q: Annotated[str, Query(min_length=1, max_length=100, examples=["kuehlschrank"])],
    lang: Annotated[schemas.Lang, Query()] = "de",
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> schemas.SearchResponse:
    results = search_results(guide, q, lang, limit, settings.max_offers)
    return schemas.SearchResponse(query=q, lang=lang, results=results)

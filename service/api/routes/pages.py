"""The citizen's search and offers as plain HTML forms: they work where JavaScript does not.

The page at / does the same with type-ahead; these answer its form's submit and its offer links when
the browser runs no script, with the same data (`guidance.search_results`, `offers.browse_offers`).
"""

from __future__ import annotations

from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from zerowaste.service import schemas
from zerowaste.service.api.deps import GuideDep, SettingsDep
from zerowaste.service.guidance import Guide, offer_public, search_results
from zerowaste.service.offers import browse_offers
from zerowaste.service.rules import OfferKind

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(resources.files("zerowaste.service") / "templates"))

TEXT: dict[str, dict[str, Any]] = {
    "de": {
        "search": "Was soll weg?",
        "go": "Suchen",
        "offers": "Erst weiterverwenden",
        "where": "Wenn es weg muss",
        "nothing": "Nichts gefunden.",
        "back": "Zur Startseite",
        "kinds": {
            "repair": "Reparieren",
            "second-hand": "Gebraucht abgeben und kaufen",
            "lending": "Ausleihen",
            "give-away": "Verschenken",
            "book-shelf": "Offene Bücherschränke",
            "food-sharing": "Lebensmittel teilen",
        },
    },
    "en": {
        "search": "What do you want to get rid of?",
        "go": "Search",
        "offers": "Reuse first",
        "where": "If it has to go",
        "nothing": "Nothing found.",
        "back": "Back to the start",
        "kinds": {
            "repair": "Repair",
            "second-hand": "Second-hand: give and buy",
            "lending": "Borrow",
            "give-away": "Give away",
            "book-shelf": "Public bookcases",
            "food-sharing": "Food sharing",
        },
    },
}


def _answers(
    request: Request,
    guide: Guide,
    lang: schemas.Lang,
    title: str,
    *,
    q: str = "",
    hits: list[schemas.AbcHit] | None = None,
    offers: list[schemas.OfferPublic] | None = None,
    note: str | None = None,
) -> HTMLResponse:
    """The one template both answer pages fill: search hits or a list of offers."""
    return templates.TemplateResponse(
        request,
        "answers.html",
        {
            "lang": lang,
            "t": TEXT[lang],
            "title": title,
            "municipality": guide.municipality.name,
            "q": q,
            "hits": hits or [],
            "offers": offers,
            "note": note,
        },
    )


@router.get("/suche", response_class=HTMLResponse)
def search_page(
    request: Request,
    guide: GuideDep,
    settings: SettingsDep,
    q: Annotated[str, Query(max_length=100)] = "",
    lang: Annotated[schemas.Lang, Query()] = "de",
) -> HTMLResponse:
    hits = search_results(guide, q, lang, 5, settings.max_offers) if q.strip() else []
    t = TEXT[lang]
    note = t["nothing"] if q.strip() and not hits else None
    return _answers(request, guide, lang, q or t["search"], q=q, hits=hits, note=note)


@router.get("/angebote", response_class=HTMLResponse)
def offers_page(
    request: Request,
    guide: GuideDep,
    kind: Annotated[OfferKind, Query()] = "repair",
    district: Annotated[str | None, Query(max_length=100)] = None,
    lang: Annotated[schemas.Lang, Query()] = "de",
) -> HTMLResponse:
    found = browse_offers(guide.offers, kind=kind, district=district or None, zone=guide.zone)
    return _answers(request, guide, lang, TEXT[lang]["kinds"][kind], offers=[offer_public(o, lang) for o in found])

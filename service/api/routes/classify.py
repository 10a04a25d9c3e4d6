from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile

from zerowaste.model.items import ItemThresholds, item_map, item_sums, recognise
from zerowaste.model.uncertainty import SureRule
from zerowaste.service import schemas
from zerowaste.service.api.responses import Responses
from zerowaste.service.api.tags import Tags
from zerowaste.service.db.models import Classification
from zerowaste.service.deps import BatcherDep, ClassifierDep, GuideDep, RulesDep, SessionDep, SettingsDep
from zerowaste.service.guidance import (
    candidate_labels,
    offer_public,
    top_labels,
    usable_position,
    weigh_item,
)
from zerowaste.service.offers import rank_offers
from zerowaste.service.uploads import read_model_input

router = APIRouter(tags=[Tags.classify])

ERRORS: Responses = {
    413: {"description": "the photo is larger than the configured byte limit"},
    415: {"description": "the bytes are an image, but not JPEG, PNG, WebP or HEIC (the declared type is not asked)"},
    422: {"description": "the bytes are not a decodable photo, or its pixel count is over the limit"},
    503: {"description": "too many photos are waiting for the model; try again after Retry-After seconds"},
}


@router.post(
    "/classify",
    response_model=schemas.ClassifyResponse,
    responses=ERRORS,
    summary="What is it, where does it go, and where can it be reused, repaired or borrowed?",
)
async def classify(
    request: Request,
    session: SessionDep,
    guide: GuideDep,
    classifier: ClassifierDep,
    batcher: BatcherDep,
    settings: SettingsDep,
    rules: RulesDep,
    file: Annotated[UploadFile, File(description="the photo: JPEG, PNG, WebP or HEIC")],
    lang: Annotated[schemas.Lang, Form()] = "de",
    lat: Annotated[float | None, Form(ge=-90, le=90, description="citizen's latitude (WGS84)")] = None,
    lon: Annotated[float | None, Form(ge=-180, le=180, description="citizen's longitude (WGS84)")] = None,
    district: Annotated[str | None, Form(max_length=100, description="Stadtbezirk, e.g. Elberfeld")] = None,
) -> schemas.ClassifyResponse:
    if (lat is None) != (lon is None):
        raise HTTPException(422, "give both lat and lon, or neither")
    lat, lon, location_note = usable_position(rules, lat, lon, lang)
    x = await read_model_input(file, settings, classifier.spec.preprocessing)  # the photo is not kept
    prediction = await batcher.predict(classifier, x)
    probs = prediction.waste[0]

    top = top_labels(classifier, probs, lang)
    # The model file's own rule (its fitted thresholds, item evidence and distance from the training
    # photos); a file without one keeps the configured threshold on the top class.
    rule = SureRule.from_spec(classifier.spec) if classifier.spec.sure else SureRule(settings.decision_threshold)
    decided = bool(rule(probs[None, :], classifier.spec.labels, prediction.distance)[0])
    candidates = candidate_labels(top, decided)
    recognition = recognise(
        prediction.item[0],
        ItemThresholds(settings.item_threshold, settings.item_category_threshold),
        classifier.spec.item_temperature,
    )
    weighed = weigh_item(guide, recognition, top, candidates, decided, settings.item_decisive_threshold, lang)
    sums = item_sums(prediction.item[0])
    item, category = weighed.item, weighed.category

    material = sorted({c for t in candidates for c in guide.categories(t.label)})
    preferred = guide.item_categories(item) if item is not None else [category.key] if category is not None else []
    offers = rank_offers(
        guide.offers,
        material,
        preferred=preferred,
        lat=lat,
        lon=lon,
        district=district,
        limit=settings.max_offers,
        kinds=item_map().offer_kinds(([item.category] if item is not None and item.category else []) + preferred),
    )

    cid = str(uuid.uuid4())
    session.add(
        Classification(
            id=cid,
            municipality=settings.municipality,
            model_sha256=classifier.sha256,
            label=top[0].label,
            confidence=top[0].probability,
            decided=weighed.decided,
            top=[t.model_dump() for t in top],
            item=item.imagenet if item else None,
            item_probability=item.probability if item else None,
            item_category=category.key if category else None,
            item_category_probability=category.probability if category else None,
        )
    )
    session.commit()
    request.app.state.metrics.classifications.labels(top[0].label, str(weighed.decided).lower()).inc()
    return schemas.ClassifyResponse(
        id=cid,
        lang=lang,
        model=schemas.ModelInfo(
            sha256=classifier.sha256,
            taxonomy_version=classifier.spec.taxonomy_version,
            precision=classifier.spec.precision,
        ),
        top=top,
        item=item,
        item_category=category,
        decided=weighed.decided,
        clarify=weighed.clarify,
        guidance=[
            guide.guidance(c.label, lang, weighed.item_stream, sums, settings.item_look_alike_threshold)
            for c in candidates
        ],
        offers=[offer_public(o, lang) for o in offers],
        location_note=location_note,
    )

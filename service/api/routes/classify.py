from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, UploadFile

from zerowaste.service import schemas
from zerowaste.service.answer import Position, answer_photo
from zerowaste.service.api.deps import (
    BatcherDep,
    ClassifierDep,
    GuideDep,
    MetricsDep,
    RulesDep,
    SessionDep,
    SettingsDep,
)
from zerowaste.service.api.responses import Responses
from zerowaste.service.api.tags import Tags
from zerowaste.service.db.models import Classification
from zerowaste.service.guidance import usable_position
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
    session: SessionDep,
    metrics: MetricsDep,
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
    answer = answer_photo(classifier, prediction, guide, settings, lang, Position(lat, lon, district))
    top, item, category = answer.top, answer.item, answer.category

    cid = str(uuid.uuid4())
    session.add(
        Classification(
            id=cid,
            municipality=settings.municipality,
            model_sha256=classifier.sha256,
            label=top[0].label,
            confidence=top[0].probability,
            decided=answer.decided,
            top=[t.model_dump() for t in top],
            item=item.imagenet if item else None,
            item_probability=item.probability if item else None,
            item_category=category.key if category else None,
            item_category_probability=category.probability if category else None,
        )
    )
    session.commit()
    metrics.classifications.labels(top[0].label, str(answer.decided).lower()).inc()
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
        decided=answer.decided,
        clarify=answer.clarify,
        guidance=answer.guidance,
        offers=answer.offers,
        location_note=location_note,
    )

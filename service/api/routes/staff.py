"""Staff endpoints: the feedback review queue, offers and Abfall-ABC edits without a redeploy."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, TypeVar

from fastapi import APIRouter, HTTPException, Query, Response
from sqlalchemy import select

from zerowaste.model import taxonomy
from zerowaste.service import schemas
from zerowaste.service.api.deps import PhotosDep, SessionDep, SettingsDep
from zerowaste.service.api.responses import AUTH
from zerowaste.service.api.security import StaffDep
from zerowaste.service.api.tags import Tags
from zerowaste.service.db.models import AbcItem, Classification, Feedback, Offer, Stream
from zerowaste.service.offers import due_for_check

Keyed = TypeVar("Keyed", Offer, AbcItem, Stream)
NAMES = {"offer": "offer", "abc_item": "Abfall-ABC item", "stream": "stream"}
router = APIRouter(prefix="/staff", tags=[Tags.staff], responses=AUTH)


def _public(fb: Feedback, predicted: str) -> schemas.FeedbackPublic:
    return schemas.FeedbackPublic(
        id=fb.id,
        created_at=fb.created_at.isoformat() if fb.created_at else "",
        classification_id=fb.classification_id,
        predicted=predicted,
        correct=fb.correct,
        label=fb.label,
        comment=fb.comment,
        has_photo=fb.photo_key is not None,
        review_status=fb.review_status,
        reviewed_label=fb.reviewed_label,
    )


@router.get("/feedback", response_model=list[schemas.FeedbackPublic], summary="The review queue")
def list_feedback(
    session: SessionDep,
    _key: StaffDep,
    status: Annotated[str, Query(pattern="^(pending|accepted|relabelled|rejected|withdrawn)$")] = "pending",
    photos_only: bool = True,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[schemas.FeedbackPublic]:
    q = select(Feedback, Classification.label).join(Classification).where(Feedback.review_status == status)
    if photos_only:
        q = q.where(Feedback.photo_key.is_not(None))
    rows = session.execute(q.order_by(Feedback.created_at, Feedback.id).offset(offset).limit(limit)).all()
    return [_public(fb, predicted) for fb, predicted in rows]


@router.get(
    "/feedback/{feedback_id}/photo",
    summary="The donated photo (JPEG)",
    responses={200: {"content": {"image/jpeg": {}}}, 404: {"description": "no photo"}},
)
def feedback_photo(feedback_id: str, photos: PhotosDep, session: SessionDep, _key: StaffDep) -> Response:
    fb = session.get(Feedback, feedback_id)
    if fb is None or fb.photo_key is None:
        raise HTTPException(404, "no donated photo for this feedback")
    return Response(photos.get(fb.photo_key), media_type="image/jpeg")


@router.post(
    "/feedback/{feedback_id}/review",
    response_model=schemas.FeedbackPublic,
    summary="Accept, relabel or reject a donated photo",
)
def review(feedback_id: str, body: schemas.Review, session: SessionDep, key: StaffDep) -> schemas.FeedbackPublic:
    fb = session.get(Feedback, feedback_id)
    if fb is None:
        raise HTTPException(404, f"no feedback {feedback_id!r}")
    if fb.photo_key is None:
        raise HTTPException(409, "this feedback has no (or a withdrawn) photo to review")
    predicted = session.get_one(Classification, fb.classification_id).label
    if body.action == "relabel":
        if body.label not in taxonomy.LABELS:
            raise HTTPException(422, f"relabel needs a label from: {', '.join(taxonomy.LABELS)}")
        fb.reviewed_label, fb.review_status = body.label, "relabelled"
    elif body.action == "accept":
        fb.reviewed_label = fb.label or (predicted if fb.correct else None)
        if fb.reviewed_label is None:
            raise HTTPException(422, "the citizen gave no label and said the prediction was wrong: relabel instead")
        fb.review_status = "accepted"
    else:
        fb.review_status, fb.reviewed_label = "rejected", None
    fb.reviewed_by, fb.reviewed_at = key.name, dt.datetime.now(dt.UTC)
    session.commit()
    return _public(fb, predicted)


@router.post(
    "/offers",
    status_code=201,
    response_model=schemas.OfferIn,
    summary="Add an offer",
    responses={409: {"description": "an offer with this key exists"}},
)
def create_offer(body: schemas.OfferIn, session: SessionDep, settings: SettingsDep, _key: StaffDep) -> schemas.OfferIn:
    exists = session.scalars(
        select(Offer).where(Offer.municipality == settings.municipality, Offer.key == body.key)
    ).first()
    if exists is not None:
        raise HTTPException(409, f"offer {body.key!r} exists; PATCH it instead")
    session.add(
        Offer(
            municipality=settings.municipality,
            key=body.key,
            name=body.name,
            kind=body.kind,
            address=body.address,
            district=body.district,
            lat=body.lat,
            lon=body.lon,
            categories=body.categories,
            schedule={},
            schedule_text={"de": body.schedule_text_de, "en": body.schedule_text_en},
            source=body.source,
            verified_on=dt.date.today(),
            active=True,
        )
    )
    session.commit()
    return body


def _by_key(session: SessionDep, model: type[Keyed], municipality: str, key: str, status: int = 404) -> Keyed:
    """One municipality's row by its key, or an HTTP error that names what was missing."""
    row = session.scalars(select(model).where(model.municipality == municipality, model.key == key)).first()
    if row is None:
        raise HTTPException(status, f"no {NAMES[model.__tablename__]} {key!r}")
    return row


@router.patch("/offers/{key}", summary="Edit an offer (also: active=false retires it)")
def edit_offer(
    key: str, body: schemas.OfferPatch, session: SessionDep, settings: SettingsDep, _key: StaffDep
) -> dict[str, object]:
    offer = _by_key(session, Offer, settings.municipality, key)
    changes = body.model_dump(exclude_unset=True)
    text = dict(offer.schedule_text)
    for lang in ("de", "en"):
        if f"schedule_text_{lang}" in changes:
            text[lang] = changes.pop(f"schedule_text_{lang}")
    offer.schedule_text = text
    for field, value in changes.items():
        setattr(offer, field, value)
    # staff have just checked it: its facts are as of today unless they say otherwise
    offer.verified_on = dt.date.today()
    if "information_as_of" not in changes:
        offer.information_as_of = None
    session.commit()
    return {"key": key, "changed": sorted(body.model_dump(exclude_unset=True))}


@router.get("/offers/due", response_model=list[schemas.OfferDue], summary="Offers due for a check, oldest first")
def offers_due(
    session: SessionDep,
    settings: SettingsDep,
    _key: StaffDep,
    max_age_days: Annotated[int, Query(ge=1, le=3650)] = 365,
    max_info_years: Annotated[int, Query(ge=0, le=50)] = 2,
) -> list[schemas.OfferDue]:
    today = dt.date.today()
    rows = session.scalars(select(Offer).where(Offer.municipality == settings.municipality))
    due = [
        schemas.OfferDue(
            key=o.key,
            name=o.name,
            kind=o.kind,
            checked_on=o.verified_on,
            information_as_of=o.information_as_of,
            ends_on=o.ends_on,
            active=o.active,
            reasons=reasons,
        )
        for o in rows
        if (reasons := due_for_check(o, today, max_age_days, max_info_years))
    ]
    return sorted(due, key=lambda d: (d.information_as_of or 9999, d.checked_on or dt.date.min, d.key))


@router.delete("/offers/{key}", status_code=204, summary="Retire an offer (kept, no longer shown)")
def retire_offer(key: str, session: SessionDep, settings: SettingsDep, _key: StaffDep) -> Response:
    _by_key(session, Offer, settings.municipality, key).active = False
    session.commit()
    return Response(status_code=204)


@router.patch("/items/{key}", summary="Move an Abfall-ABC item to another stream")
def edit_item(
    key: str, body: schemas.ItemStreamPatch, session: SessionDep, settings: SettingsDep, _key: StaffDep
) -> dict[str, str]:
    item = _by_key(session, AbcItem, settings.municipality, key)
    _by_key(session, Stream, settings.municipality, body.stream, status=422)
    item.stream_key = body.stream
    session.commit()
    return {"key": key, "stream": body.stream}


@router.patch("/streams/{key}", summary="Change where a stream goes or its instructions")
def edit_stream(
    key: str, body: schemas.StreamPatch, session: SessionDep, settings: SettingsDep, _key: StaffDep
) -> dict[str, object]:
    stream = _by_key(session, Stream, settings.municipality, key)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    for field in ("where", "instructions"):
        texts = dict(getattr(stream, field))
        for lang in ("de", "en"):
            if f"{field}_{lang}" in changes:
                texts[lang] = changes[f"{field}_{lang}"]
        setattr(stream, field, texts)
    if "source" in changes:
        stream.source = changes["source"]
    session.commit()
    return {"key": key, "changed": sorted(changes)}

from __future__ import annotations

import secrets
import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select

from zerowaste.model import taxonomy
from zerowaste.service import schemas
from zerowaste.service.api.deps import PhotosDep, SessionDep, SettingsDep
from zerowaste.service.api.tags import Tags
from zerowaste.service.db.models import Classification, Feedback
from zerowaste.service.keys import hash_token
from zerowaste.service.uploads import read_photo

router = APIRouter(tags=[Tags.feedback])


@router.post(
    "/feedback",
    response_model=schemas.FeedbackReceipt,
    status_code=201,
    summary="Right or wrong; optionally donate the photo for retraining",
    responses={
        404: {"description": "unknown classification id"},
        409: {"description": "feedback for this classification was given already"},
        422: {"description": "invalid label, photo without consent, or an undecodable photo"},
    },
)
async def give_feedback(
    photos: PhotosDep,
    session: SessionDep,
    settings: SettingsDep,
    classification_id: Annotated[str, Form(max_length=36)],
    correct: Annotated[bool, Form()],
    label: Annotated[str | None, Form(max_length=64, description="the right class, if known")] = None,
    comment: Annotated[str | None, Form(max_length=500)] = None,
    consent: Annotated[bool, Form(description="I donate this photo for retraining")] = False,
    file: Annotated[UploadFile | None, File(description="the same photo, only with consent")] = None,
) -> schemas.FeedbackReceipt:
    if session.get(Classification, classification_id) is None:
        raise HTTPException(404, f"no classification {classification_id!r}")
    # One verdict per answer: a loop re-posting one classification's photo filled the review queue.
    if session.scalar(select(Feedback.id).where(Feedback.classification_id == classification_id).limit(1)):
        raise HTTPException(409, "feedback for this classification was given already")
    if label is not None and label not in taxonomy.LABELS:
        raise HTTPException(422, f"label must be one of {', '.join(taxonomy.LABELS)}; use comment for anything else")
    if file is not None and not consent:
        raise HTTPException(422, "a photo is kept only with consent=true; send it without the photo otherwise")
    photo_key = receipt = None
    if file is not None:
        image = await read_photo(file, settings)
        photo_key = await run_in_threadpool(photos.put_shared, image)
        receipt = secrets.token_urlsafe(24)
    fid = str(uuid.uuid4())
    session.add(
        Feedback(
            id=fid,
            classification_id=classification_id,
            correct=correct,
            label=label,
            comment=comment,
            consent=consent and photo_key is not None,
            photo_key=photo_key,
            receipt_hash=hash_token(receipt) if receipt else None,
        )
    )
    session.commit()
    return schemas.FeedbackReceipt(id=fid, photo_stored=photo_key is not None, receipt=receipt)


@router.delete(
    "/feedback/photo/{receipt}",
    status_code=204,
    summary="Withdraw a donated photo",
    responses={404: {"description": "no photo for this receipt (or already deleted)"}},
)
def delete_photo(receipt: str, photos: PhotosDep, session: SessionDep) -> Response:
    fb = session.scalars(select(Feedback).where(Feedback.receipt_hash == hash_token(receipt))).first()
    if fb is None or fb.photo_key is None:
        raise HTTPException(404, "no donated photo for this receipt")
    key = fb.photo_key
    fb.photo_key, fb.consent, fb.receipt_hash = None, False, None
    session.flush()
    if session.scalar(select(Feedback.id).where(Feedback.photo_key == key).limit(1)) is None:
        photos.delete(key)  # the same photo donated with another answer stays
    if fb.review_status == "pending":
        fb.review_status = "withdrawn"
    session.commit()
    return Response(status_code=204)

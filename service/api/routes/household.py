"""A pilot household's own figures, challenges and the deletion of its data, with its household key."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response
from sqlalchemy import select

from zerowaste.service import schemas
from zerowaste.service.api.deps import PhotosDep, SessionDep, SettingsDep
from zerowaste.service.api.responses import Responses
from zerowaste.service.api.security import HouseholdDep
from zerowaste.service.api.tags import Tags
from zerowaste.service.challenges import progress
from zerowaste.service.db.models import Challenge, ChallengeEnrolment, Neighbourhood
from zerowaste.service.disputes import dispute_public, frame_state, open_dispute
from zerowaste.service.household_summary import challenge_public, current_week, summarise
from zerowaste.service.households import delete_household
from zerowaste.service.weekly import WEEK, household_weeks, stream_figures

AUTH: Responses = {401: {"description": "no or unknown household key"}, 403: {"description": "not a household key"}}
router = APIRouter(prefix="/household", tags=[Tags.household], responses=AUTH)


@router.get("/summary", response_model=schemas.HouseholdSummary, summary="Weekly kg, trend, challenges, points")
def summary(
    session: SessionDep, settings: SettingsDep, household: HouseholdDep, lang: Annotated[schemas.Lang, Query()] = "de"
) -> schemas.HouseholdSummary:
    return summarise(session, household, settings, lang)


@router.post(
    "/challenges/{key}",
    status_code=201,
    response_model=schemas.ChallengePublic,
    summary="Join a challenge; it runs over the complete weeks from next Monday",
    responses={
        404: {"description": "no such challenge"},
        409: {"description": "already joined, or no baseline yet for its stream"},
    },
)
def join_challenge(
    key: str,
    session: SessionDep,
    settings: SettingsDep,
    household: HouseholdDep,
    lang: Annotated[schemas.Lang, Query()] = "de",
) -> schemas.ChallengePublic:
    municipality = session.get_one(Neighbourhood, household.neighbourhood_id).municipality
    challenge = session.scalars(
        select(Challenge).where(Challenge.municipality == municipality, Challenge.key == key)
    ).first()
    if challenge is None:
        raise HTTPException(404, f"no challenge {key!r}")
    if session.get(ChallengeEnrolment, (household.id, challenge.id)) is not None:
        raise HTTPException(409, f"already taking part in {key!r}")
    current = current_week(settings)
    weeks = household_weeks(session, household.id)
    figures = stream_figures(weeks, challenge.stream, current, settings.baseline_weeks)
    if figures.baseline_kg is None:
        raise HTTPException(
            409,
            f"no baseline for {challenge.stream!r} yet: it needs {settings.baseline_weeks} "
            f"complete weeks of weighings (so far {len(figures.baseline_weeks)})",
        )
    enrolment = ChallengeEnrolment(household_id=household.id, challenge_id=challenge.id, started_week=current + WEEK)
    session.add(enrolment)
    session.commit()
    # Only this challenge's progress: the full summary would also compute every week's neighbourhood median.
    return challenge_public(challenge, lang, progress(challenge, enrolment.started_week, weeks, figures, current))


@router.delete("", status_code=204, summary="Delete this household and all its weighings (cannot be undone)")
def delete_me(session: SessionDep, photos: PhotosDep, household: HouseholdDep) -> Response:
    delete_household(session, household.id, photos)
    return Response(status_code=204)


@router.post(
    "/quality/disputes",
    status_code=201,
    response_model=schemas.DisputePublic,
    summary="Dispute a flagged bio-bin event: staff look at it (its donated frame in the labelling queue)",
    responses={
        200: {"description": "disputed before: the first dispute, unchanged"},
        404: {"description": "no such event of this household"},
        409: {"description": "the event is not flagged as contaminated"},
    },
)
def dispute(
    body: schemas.DisputeIn,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    photos: PhotosDep,
    household: HouseholdDep,
) -> schemas.DisputePublic:
    d, weighing, created = open_dispute(
        session, photos, household, body.device, body.event_id, body.reason, settings.quality_queue
    )
    response.status_code = 201 if created else 200
    return dispute_public(d, settings.quality_queue, frame_state(weighing))

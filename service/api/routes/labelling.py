"""The staff labelling queue over HTTP: queues and their progress, batches to label, votes, report, export.

The rules live in service/labelling/; this file parses, calls, and maps its errors to status codes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Path, Query, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse

from zerowaste.service import labelling, schemas
from zerowaste.service.api.deps import PhotosDep, RowId, SessionDep
from zerowaste.service.api.responses import AUTH, Responses
from zerowaste.service.api.security import StaffDep
from zerowaste.service.api.tags import Tags

NOT_FOUND: Responses = {404: {"description": "no such queue (or no such photo in it)"}}
MAX_VOTES = 500
router = APIRouter(prefix="/staff/labelling", tags=[Tags.labelling], responses=AUTH)

Queue = Annotated[str, Path(pattern=labelling.QUEUE_PATTERN, description="the queue's name", examples=["drinks"])]
STATUS = {labelling.UnknownQueue: 404, labelling.UnknownPhoto: 404, labelling.InvalidRequest: 422}


@contextmanager
def _answering() -> Iterator[None]:
    try:
        yield
    except labelling.UnknownLabel as exc:
        # The body's labels are checked against the queue's label set only here, past validation; the
        # answer is the one a bad body gets (FastAPI's 422 list), naming each vote, as before label sets.
        detail = [
            {"type": "value_error", "loc": ["body", i, "label"], "msg": exc.message(label), "input": label}
            for i, label in exc.found
        ]
        raise HTTPException(422, detail) from exc
    except labelling.LabellingError as exc:
        raise HTTPException(STATUS.get(type(exc), 409), str(exc)) from exc


def _progress(p: labelling.QueueProgress) -> schemas.QueueProgressPublic:
    return schemas.QueueProgressPublic(
        queue=p.queue,
        total=p.total,
        pass1_done=p.pass1,
        pass2_done=p.pass2,
        agreed=p.agreed,
        disagreements_open=p.open,
        resolved=p.resolved,
        labelled=p.labelled,
    )


@router.get("", response_model=list[schemas.QueueProgressPublic], summary="Labelling queues and their progress")
def queues(session: SessionDep, _key: StaffDep) -> list[schemas.QueueProgressPublic]:
    return [_progress(p) for p in labelling.list_queues(session)]


@router.get(
    "/{queue}/batch",
    response_model=schemas.LabelBatch,
    summary="The next photos for this labeller, highest priority first",
    responses=NOT_FOUND,
)
def batch(
    queue: Queue,
    session: SessionDep,
    key: StaffDep,
    pass_: Annotated[int, Query(alias="pass", ge=1, le=3, description="1, 2, or 3 to resolve disagreements")] = 1,
    limit: Annotated[int, Query(ge=1, le=labelling.MAX_BATCH)] = 24,
) -> schemas.LabelBatch:
    with _answering():
        photos = labelling.next_batch(session, queue, key.name, pass_, limit)
        progress = labelling.queue_progress(session, queue)
        label_set = labelling.queue_label_set(session, queue).name
    return schemas.LabelBatch(
        queue=queue,
        pass_=pass_,
        labeller=key.name,
        label_set=label_set,
        progress=_progress(progress),
        photos=[
            schemas.LabelBatchPhoto(
                id=p.id,
                priority=p.priority,
                url=f"/v1/staff/labelling/{queue}/photos/{p.id}",
                votes=[schemas.ShownVote(pass_=n, label=label) for n, label in p.votes],
            )
            for p in photos
        ],
    )


@router.get(
    "/{queue}/photos/{photo_id}",
    summary="A photo of the queue (JPEG, re-encoded without EXIF)",
    responses={200: {"content": {"image/jpeg": {}}}, **NOT_FOUND},
)
async def photo(queue: Queue, photo_id: RowId, session: SessionDep, photos: PhotosDep, _key: StaffDep) -> Response:
    with _answering():
        key = labelling.photo_key(session, queue, photo_id)
    try:
        data = await run_in_threadpool(photos.get, key)
    except FileNotFoundError:
        raise HTTPException(404, f"photo {photo_id} of queue {queue!r} is missing from the photo store") from None
    # Photos never change under an id; the page loads each one through fetch with the key.
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=86400"})


@router.post(
    "/{queue}/votes",
    response_model=schemas.VotesAnswer,
    summary="Give labels: each vote is judged by the rules and answered on its own",
    responses={
        **NOT_FOUND,
        422: {"description": "a malformed body or a label not in the queue's label set: nothing was saved"},
    },
)
def votes(
    queue: Queue,
    session: SessionDep,
    key: StaffDep,
    body: Annotated[list[schemas.VoteIn], Body(min_length=1, max_length=MAX_VOTES)],
) -> schemas.VotesAnswer:
    ballots = [labelling.Ballot(v.photo_id, v.pass_, v.label) for v in body]
    with _answering():
        results = labelling.submit_votes(session, queue, key.name, ballots)
        progress = labelling.queue_progress(session, queue)
    answered = [
        schemas.VoteResult(photo_id=r.photo_id, pass_=r.pass_no, label=r.label, status=r.status, detail=r.detail)
        for r in results
    ]
    return schemas.VotesAnswer(
        saved=sum(r.status == "saved" for r in results),
        unchanged=sum(r.status == "unchanged" for r in results),
        rejected=sum(r.status == "rejected" for r in results),
        results=answered,
        progress=_progress(progress),
    )


@router.get(
    "/{queue}/report",
    response_model=schemas.LabellingReport,
    summary="Agreement of the two passes, Cohen's kappa, their confusion table, final labels",
    responses=NOT_FOUND,
)
def report(queue: Queue, session: SessionDep, _key: StaffDep) -> schemas.LabellingReport:
    with _answering():
        r = labelling.report(session, queue)
    return schemas.LabellingReport(
        progress=_progress(r.progress),
        label_set=r.label_set.name,
        allowed_labels=list(r.label_set.allowed),
        compared=r.compared,
        agreement=r.agreement,
        kappa=r.kappa,
        confusion=[schemas.ConfusionCell(pass1=a, pass2=b, photos=n) for (a, b), n in r.confusion.items()],
        final_counts=r.final_counts,
        labellers=[
            schemas.LabellerVotes(labeller=name, pass1=n.get(1, 0), pass2=n.get(2, 0), pass3=n.get(3, 0))
            for name, n in r.labellers.items()
        ],
    )


@router.get(
    "/{queue}/export",
    response_class=PlainTextResponse,
    summary="The labels file (datasets/labels.py format) of every photo with a final label",
    responses={
        200: {"content": {"application/x-ndjson": {}}},
        **NOT_FOUND,
        422: {"description": "a bad version or meta entry"},
    },
)
def export(
    queue: Queue,
    session: SessionDep,
    _key: StaffDep,
    version: Annotated[str, Query(pattern=labelling.VERSION_PATTERN, description="the labels' version, e.g. 1")],
    meta: Annotated[
        list[str], Query(max_length=50, description="header entries key=value, e.g. licence=CC BY 4.0")
    ] = [],  # noqa: B006 - FastAPI copies query defaults
) -> PlainTextResponse:
    with _answering():
        text = labelling.export_text(session, queue, version=version, meta=labelling.parse_meta(meta))
    return PlainTextResponse(
        text,
        media_type="application/x-ndjson",
        headers={"Content-Disposition": f'attachment; filename="{queue}.jsonl"'},
    )

"""Donated bio-bin frames, staff's flagged events and households' disputes, through real HTTP on SQLite and
PostgreSQL (issue 25): a frame is taken only for a counted event of the sending device whose household
consented, once; a dispute puts the event before staff, and its donated frame into the labelling queue,
where staff label it; without a frame it is flagged and disputed, but in no photo queue."""

from __future__ import annotations

import datetime as dt
import io
import uuid

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from tests.conftest import shared_folder
from tests.utils.images import jpeg_bytes
from tests.utils.labelling import staff_key
from tests.utils.pilot import Enrolled, bearer, enrol, event, staff_headers_for, upload
from tests.utils.quality import bio_event
from zerowaste.service.db.models import LabelPhoto, QualityDispute, Weighing
from zerowaste.wire import DONATED_PHOTO_PATH

QUEUE = "biobin-disputes"  # ZEROWASTE_QUALITY_QUEUE's default


@pytest.fixture(scope="module")
def staff(client: TestClient) -> dict[str, str]:
    return staff_headers_for(client)


@pytest.fixture(scope="module")
def frame() -> bytes:
    """A real photo of organic waste, as a lid camera's JPEG."""
    return (shared_folder("garbage12", "biological") / "biological_10.jpg").read_bytes()


def own_frame(frame: bytes) -> bytes:
    """The real frame with one pixel of its own: stored under its own key (the store shares equal photos)."""
    image = Image.open(io.BytesIO(frame)).convert("RGB")
    image.putpixel((0, 0), tuple(uuid.uuid4().bytes[:3]))
    return jpeg_bytes(image, quality=95)


def put_photo(client: TestClient, home: Enrolled, event_id: str, data: bytes, headers: dict | None = None):
    return client.put(
        DONATED_PHOTO_PATH.format(event_id=event_id),
        content=data,
        headers={**(home.device_headers if headers is None else headers), "Content-Type": "image/jpeg"},
    )


def dispute(client: TestClient, home: Enrolled, e: dict, reason: str = "only peelings, no bag"):
    body = {"device": home.device, "event_id": e["id"], "reason": reason}
    return client.post("/v1/household/quality/disputes", json=body, headers=home.household_headers)


def uploaded(client: TestClient, home: Enrolled, *events: dict) -> None:
    assert upload(client, home, list(events)).json()["accepted"] == len(events)


def flagged(client: TestClient, staff: dict[str, str], event_id: str, **params: str) -> dict | None:
    r = client.get("/v1/staff/quality/flagged", params={"limit": 1000, **params}, headers=staff)
    assert r.status_code == 200, r.text
    return next((f for f in r.json() if f["event_id"] == event_id), None)


def test_a_donated_frame_is_taken_once_for_a_consenting_event_of_its_own_device(client, staff, frame) -> None:
    home, other = enrol(client, staff, streams=("bio",)), enrol(client, staff, streams=("bio",))
    donated = bio_event(home, "plastic_bag", donated=True)
    kept = bio_event(home, "plastic_bag")  # the household did not consent
    plain = event(home, "bio")  # no camera at all
    uploaded(client, home, donated, kept, plain)

    assert client.put(DONATED_PHOTO_PATH.format(event_id=donated["id"]), content=frame).status_code == 401
    assert put_photo(client, home, donated["id"], frame, headers=home.household_headers).status_code == 403
    assert put_photo(client, home, donated["id"], frame, headers=staff).status_code == 403
    assert put_photo(client, home, "no-such-event-0001", frame).status_code == 404
    assert put_photo(client, other, donated["id"], frame).status_code == 404  # another device's event
    refused = put_photo(client, home, kept["id"], frame)
    assert refused.status_code == 409 and "photo_donated" in refused.json()["detail"]
    assert put_photo(client, home, plain["id"], frame).status_code == 409
    assert put_photo(client, home, "bad id!", frame).status_code == 422

    r = put_photo(client, home, donated["id"], frame)
    assert r.status_code == 200 and r.json() == {"event_id": donated["id"], "status": "stored", "queued": False}
    photos = client.app.state.photos
    files = sorted(photos.root.iterdir())
    again = put_photo(client, home, donated["id"], frame)
    assert again.status_code == 200 and again.json()["status"] == "unchanged"
    other_bytes = put_photo(client, home, donated["id"], jpeg_bytes(Image.new("RGB", (64, 64), (9, 9, 9))))
    assert other_bytes.json()["status"] == "unchanged"  # one frame per event: the first stays
    assert sorted(photos.root.iterdir()) == files
    with client.app.state.sessionmaker() as session:
        key = session.get(Weighing, (home.device, donated["id"])).photo_key
    stored = Image.open(io.BytesIO(photos.get(key)))
    assert stored.format == "JPEG" and not stored.getexif()  # re-encoded, without EXIF

    shown = flagged(client, staff, donated["id"])
    assert shown["photo_url"] == f"/v1/staff/quality/events/{home.device}/{donated['id']}/photo"
    got = client.get(shown["photo_url"], headers=staff)
    assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg" and got.content == photos.get(key)
    assert client.get(shown["photo_url"], headers=home.household_headers).status_code == 403


def test_a_frame_is_bounded_like_every_upload(client, staff, settings) -> None:
    home = enrol(client, staff, streams=("bio",))
    events = [bio_event(home, "glass", donated=True) for _ in range(5)]
    uploaded(client, home, *events)
    gif, webp = io.BytesIO(), io.BytesIO()
    Image.new("RGB", (32, 32), (0, 128, 0)).save(gif, "GIF")
    Image.new("RGB", (32, 32), (0, 128, 0)).save(webp, "WEBP")
    assert put_photo(client, home, events[0]["id"], gif.getvalue()).status_code == 415
    assert put_photo(client, home, events[0]["id"], webp.getvalue()).status_code == 415  # JPEG or PNG only
    assert put_photo(client, home, events[1]["id"], b"this is no photo").status_code == 422
    assert put_photo(client, home, events[1]["id"], b"").status_code == 422
    over = b"\xff\xd8" + b"\0" * settings.max_upload_bytes
    assert put_photo(client, home, events[2]["id"], over).status_code == 413
    far_over = b"\0" * (settings.max_upload_bytes + 1024 * 1024)
    assert put_photo(client, home, events[2]["id"], far_over).status_code == 413
    png = io.BytesIO()
    Image.new("RGB", (48, 32), (120, 90, 30)).save(png, "PNG")
    assert put_photo(client, home, events[3]["id"], png.getvalue()).json()["status"] == "stored"
    with client.app.state.sessionmaker() as session:  # the refused ones stored nothing
        keys = {e["id"]: session.get(Weighing, (home.device, e["id"])).photo_key for e in events}
    assert keys[events[0]["id"]] is keys[events[1]["id"]] is keys[events[2]["id"]] is None
    assert keys[events[3]["id"]] is not None


def test_a_dispute_puts_the_donated_frame_into_the_labelling_queue(client, staff, frame) -> None:
    home = enrol(client, staff, streams=("bio",))
    e = bio_event(home, "plastic_bag", donated=True)
    uploaded(client, home, e)
    assert put_photo(client, home, e["id"], frame).json()["queued"] is False  # not disputed yet

    assert client.post("/v1/household/quality/disputes", json={}, headers=home.household_headers).status_code == 422
    r = dispute(client, home, e)
    assert r.status_code == 201, r.text
    d = r.json()
    assert d["status"] == "open" and d["in_labelling_queue"] and d["labelling_queue"] == QUEUE
    assert d["reason"] == "only peelings, no bag" and d["not_queued_because"] is None
    again = dispute(client, home, e, reason="again")
    assert again.status_code == 200 and again.json()["id"] == d["id"] and again.json()["reason"] == d["reason"]

    shown = flagged(client, staff, e["id"], disputed="true", status="open")
    assert shown["dispute"]["id"] == d["id"] and shown["dispute"]["label_photo_id"] == d["label_photo_id"]
    assert flagged(client, staff, e["id"], disputed="false") is None
    mine = dispute_of_summary(client, home, e["id"])
    assert mine["dispute"]["status"] == "open" and mine["dispute"]["in_labelling_queue"]

    # Staff label it in the queue like any photo: two passes by two people, with the bio-bin labels.
    anna, anna_h = staff_key(client, "anna")
    _, ben_h = staff_key(client, "ben")
    batch = client.get(f"/v1/staff/labelling/{QUEUE}/batch?pass=1&limit=200", headers=anna_h).json()
    (photo,) = [p for p in batch["photos"] if p["id"] == d["label_photo_id"]]
    img = client.get(photo["url"], headers=anna_h)
    with client.app.state.sessionmaker() as session:
        key = session.get(Weighing, (home.device, e["id"])).photo_key
        row = session.get(LabelPhoto, d["label_photo_id"])
        assert row.photo_key == key and row.signals["source"] == "dispute" and anna
    assert img.status_code == 200 and img.content == client.app.state.photos.get(key)
    for headers, pass_no in ((anna_h, 1), (ben_h, 2)):
        vote = [{"photo_id": photo["id"], "pass": pass_no, "label": "clean"}]
        assert client.post(f"/v1/staff/labelling/{QUEUE}/votes", json=vote, headers=headers).json()["saved"] == 1

    # ... and decide the dispute: clean, so the event no longer counts as contaminated.
    week = dispute_week(client, home)
    assert week["contaminated"] == 1
    resolved = client.post(f"/v1/staff/quality/disputes/{d['id']}/resolve", json={"verdict": "clean"}, headers=staff)
    assert resolved.status_code == 200 and resolved.json()["contaminated"] is False
    assert resolved.json()["dispute"]["status"] == "upheld" and resolved.json()["neighbourhood"] == "arrenberg"
    assert resolved.json()["quality"]["contaminated"] is True  # what the device said stays as sent
    assert dispute_week(client, home) == {"assessed": 1, "contaminated": 0, "rate": 0.0}
    assert dispute_of_summary(client, home, e["id"])["dispute"]["status"] == "upheld"
    assert (
        client.post(f"/v1/staff/quality/disputes/{d['id']}/resolve", json={"verdict": "x"}, headers=staff).status_code
        == 422
    )
    assert (
        client.post("/v1/staff/quality/disputes/999999/resolve", json={"verdict": "clean"}, headers=staff).status_code
        == 404
    )
    assert (
        client.post(
            f"/v1/staff/quality/disputes/{d['id']}/resolve", json={"verdict": "clean"}, headers=home.household_headers
        ).status_code
        == 403
    )


def dispute_of_summary(client: TestClient, home: Enrolled, event_id: str) -> dict:
    findings = client.get("/v1/household/summary", headers=home.household_headers).json()["quality"]["findings"]
    return next(f for f in findings if f["event_id"] == event_id)


def dispute_week(client: TestClient, home: Enrolled) -> dict:
    weeks = client.get("/v1/household/summary", headers=home.household_headers).json()["weeks"]
    return weeks[-1]["contamination"]


def test_a_dispute_without_a_donated_frame_is_seen_by_staff_but_not_queued(client, staff, frame) -> None:
    home, neighbour = enrol(client, staff, streams=("bio",)), enrol(client, staff, streams=("bio",))
    kept = bio_event(home, "metal")  # no consent: the frame stayed on the device
    later = bio_event(home, "glass", donated=True)  # consent, frame not sent yet
    clean = bio_event(home)
    uploaded(client, home, kept, later, clean)

    d = dispute(client, home, kept).json()
    assert not d["in_labelling_queue"] and d["label_photo_id"] is None
    assert "did not donate" in d["not_queued_because"]
    shown = flagged(client, staff, kept["id"], disputed="true")
    assert shown["dispute"]["status"] == "open" and shown["photo_url"] is None
    with client.app.state.sessionmaker() as session:
        queued = session.scalars(select(LabelPhoto.file_name).where(LabelPhoto.queue == QUEUE)).all()
    assert f"{home.device}/{kept['id']}.jpg" not in queued

    waiting = dispute(client, home, later).json()
    assert not waiting["in_labelling_queue"] and "not arrived yet" in waiting["not_queued_because"]
    r = put_photo(client, home, later["id"], frame)  # the frame arrives after the dispute: queued now
    assert r.json() == {"event_id": later["id"], "status": "stored", "queued": True}
    assert flagged(client, staff, later["id"])["dispute"]["in_labelling_queue"]

    assert dispute(client, home, clean).status_code == 409  # nothing flagged to dispute
    assert dispute(client, neighbour, kept).status_code == 404  # not the neighbour's event
    assert client.get("/v1/staff/quality/flagged").status_code == 401
    assert client.get("/v1/staff/quality/flagged", headers=home.household_headers).status_code == 403
    assert client.get("/v1/staff/quality/flagged", headers=home.device_headers).status_code == 403
    assert client.post("/v1/household/quality/disputes", json={"device": "x", "event_id": "y"}).status_code == 401
    token = client.post("/v1/staff/households", json={"neighbourhood": "arrenberg"}, headers=staff).json()["token"]
    stranger = {"device": home.device, "event_id": kept["id"]}
    assert client.post("/v1/household/quality/disputes", json=stranger, headers=bearer(token)).status_code == 404


def test_deleting_a_household_deletes_its_frames_disputes_and_queue_photos(client, staff, frame) -> None:
    home = enrol(client, staff, streams=("bio",))
    e = bio_event(home, "plastic_bag", donated=True, at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=3))
    uploaded(client, home, e)
    put_photo(client, home, e["id"], own_frame(frame))
    d = dispute(client, home, e).json()
    photos = client.app.state.photos
    with client.app.state.sessionmaker() as session:
        key = session.get(Weighing, (home.device, e["id"])).photo_key
    assert photos.exists(key)
    r = client.delete(f"/v1/staff/households/{home.household}", headers=staff)
    assert r.status_code == 200 and r.json()["photos"] == 1
    assert not photos.exists(key)
    with client.app.state.sessionmaker() as session:
        assert session.get(LabelPhoto, d["label_photo_id"]) is None
        assert session.get(QualityDispute, d["id"]) is None


def test_the_retention_purge_deletes_expired_frames_and_disputes(client, staff, frame) -> None:
    from zerowaste.service.households import purge_expired

    home = enrol(client, staff, streams=("bio",))
    old = dt.datetime.now(dt.UTC) - dt.timedelta(weeks=48)
    donated = bio_event(home, "glass", donated=True, at=old)
    disputed = bio_event(home, "metal", at=old + dt.timedelta(hours=1))
    uploaded(client, home, donated, disputed)
    put_photo(client, home, donated["id"], own_frame(frame))
    d = dispute(client, home, disputed).json()
    with client.app.state.sessionmaker() as session:
        key = session.get(Weighing, (home.device, donated["id"])).photo_key
        counts = purge_expired(session, retention_weeks=45, photos=client.app.state.photos)
        assert counts["weighings"] >= 2 and counts["photos"] >= 1
        assert session.get(QualityDispute, d["id"]) is None
    assert not client.app.state.photos.exists(key)

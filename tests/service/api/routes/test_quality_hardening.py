"""Bio-bin quality under attack and at its edges (issue 25 audit), through real HTTP on SQLite and
PostgreSQL: texts a household or staff type in cannot break PostgreSQL; the quarter's rate of the
running week is never shown (each new event would move it: a neighbour's single deposit could be read
off the difference); a voided weighing's donated frame never outlives the household; two frames for one
event at once leave no file behind that nothing names."""

from __future__ import annotations

import datetime as dt
import io
import uuid

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.conftest import shared_folder
from tests.service.api.routes.test_disputes import dispute, own_frame, put_photo, uploaded
from tests.utils.pilot import enrol, staff_headers_for
from tests.utils.quality import bio_event
from zerowaste.service.db.models import LabelPhoto, Neighbourhood, QualityDispute, Weighing
from zerowaste.service.disputes import attach_photo

QUEUE = "biobin-disputes"


@pytest.fixture(scope="module")
def staff(client: TestClient) -> dict[str, str]:
    return staff_headers_for(client)


@pytest.fixture(scope="module")
def frame() -> bytes:
    return (shared_folder("garbage12", "biological") / "biological_10.jpg").read_bytes()


def frame_key(client: TestClient, device: str, event_id: str) -> str | None:
    with client.app.state.sessionmaker() as session:
        w = session.get(Weighing, (device, event_id))
        return None if w is None else w.photo_key


def test_texts_with_control_characters_are_stored_without_them(client, staff) -> None:
    home = enrol(client, staff, streams=("bio",))
    e = bio_event(home, "glass")
    uploaded(client, home, e)
    r = dispute(client, home, e, reason="only\x00 peelings\u202e, no\x1b bag")
    assert r.status_code == 201, r.text  # PostgreSQL takes no NUL in a text: a 500 before
    assert r.json()["reason"] == "only peelings, no bag"
    d = r.json()["id"]
    body = {"verdict": "clean", "note": "looked\x00 at it"}
    resolved = client.post(f"/v1/staff/quality/disputes/{d}/resolve", json=body, headers=staff)
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["dispute"]["note"] == "looked at it"


def test_the_quarters_rate_of_the_running_week_is_never_shown(client, staff, settings) -> None:
    quarter = f"audit-{uuid.uuid4().hex[:8]}"  # a quarter of its own: other tests' weeks stay as they expect
    with client.app.state.sessionmaker() as session:
        session.add(
            Neighbourhood(
                municipality=settings.municipality, key=quarter, name=quarter, district="", lat=51.25, lon=7.15
            )
        )
        session.commit()
    homes = [enrol(client, staff, quarter, streams=("bio",)) for _ in range(5)]
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    for i, home in enumerate(homes):
        uploaded(client, home, bio_event(home, *(["glass"] if i % 2 else []), at=now))
    r = client.get("/v1/household/summary", headers=homes[0].household_headers)
    running = r.json()["weeks"][-1]
    assert running["complete"] is False and running["contamination"] == {"assessed": 1, "contaminated": 0, "rate": 0.0}
    # Five households weighed this week, but the week is not over: a figure that moves with every
    # deposit tells the neighbour who saw one what the camera found in it.
    assert running["neighbourhood_contamination_rate"] is None


def test_a_voided_weighings_frame_does_not_outlive_it(client, staff, frame) -> None:
    home = enrol(client, staff, streams=("bio",))
    at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)
    plain = bio_event(home, "plastic_bag", donated=True, at=at)
    queued = bio_event(home, "glass", donated=True, at=at + dt.timedelta(minutes=1))
    uploaded(client, home, plain, queued)
    for e in (plain, queued):
        assert put_photo(client, home, e["id"], own_frame(frame)).json()["status"] == "stored"
    d = dispute(client, home, queued).json()
    assert d["in_labelling_queue"] is True
    keys = {e["id"]: frame_key(client, home.device, e["id"]) for e in (plain, queued)}
    photos = client.app.state.photos

    for e in (plain, queued):
        r = client.post(f"/v1/staff/weighings/{e['id']}/void", json={"reason": "test weighing"}, headers=staff)
        assert r.status_code == 200, r.text
    assert not photos.exists(keys[plain["id"]])  # no weighing names it any more: gone with it
    assert photos.exists(keys[queued["id"]])  # in the labelling queue, donated for labelling

    r = client.delete(f"/v1/staff/households/{home.household}", headers=staff)
    assert r.status_code == 200 and r.json()["photos"] == 1
    assert not photos.exists(keys[queued["id"]])  # the household's frames go with it, voided or not
    with client.app.state.sessionmaker() as session:
        assert session.get(LabelPhoto, d["label_photo_id"]) is None
        assert session.get(QualityDispute, d["id"]) is None


def test_two_frames_for_one_event_at_once_keep_one_and_leave_no_stray_file(client, staff, frame) -> None:
    home = enrol(client, staff, streams=("bio",))
    e = bio_event(home, "metal", donated=True)
    uploaded(client, home, e)
    photos = client.app.state.photos
    before = set(photos.root.iterdir())
    first, second = (Image.open(io.BytesIO(own_frame(frame))) for _ in range(2))
    maker = client.app.state.sessionmaker
    with maker() as a, maker() as b:  # two requests that both read the event before either stored
        wa, wb = a.get_one(Weighing, (home.device, e["id"])), b.get_one(Weighing, (home.device, e["id"]))
        assert attach_photo(a, photos, wa, first, QUEUE).status == "stored"
        assert attach_photo(b, photos, wb, second, QUEUE).status == "unchanged"
    key = frame_key(client, home.device, e["id"])
    assert key is not None and set(photos.root.iterdir()) - before == {photos.root / f"{key}.jpg"}

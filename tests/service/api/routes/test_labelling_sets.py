"""Label sets per labelling queue, through real HTTP on SQLite and PostgreSQL: a disputed bio-bin frame lands
in a contamination queue, where staff label what the frame shows (clean, or the contaminant seen) and
export it; classifier labels are refused there, and bio-bin labels in a classifier queue."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from tests.conftest import shared_folder
from tests.utils.images import jpeg_bytes
from tests.utils.labelling import drinks_copy, import_into, queue_name, staff_key
from tests.utils.pilot import Enrolled, enrol, staff_headers_for, upload
from tests.utils.quality import bio_event
from zerowaste.datasets.label_sets import CLASSIFIER, CONTAMINATION
from zerowaste.datasets.labels import read_labels
from zerowaste.service.config import Settings
from zerowaste.service.db.models import LabelPhoto, LabelQueue, LabelVote
from zerowaste.service.labelling import LabelSetMismatch, import_folder
from zerowaste.service.main import create_app
from zerowaste.wire import DONATED_PHOTO_PATH

BASE = "/v1/staff/labelling"
QUEUE = "biobin-disputes"  # ZEROWASTE_QUALITY_QUEUE's default


@pytest.fixture(scope="module")
def staff(client: TestClient) -> dict[str, str]:
    return staff_headers_for(client)


def disputed_frame(client: TestClient, staff: dict[str, str], *found: str) -> tuple[Enrolled, int]:
    """A flagged event with a donated frame of real organic waste (one pixel its own, so that its photo is
    new to the queue), disputed by its household: (household, the frame's photo id in the queue)."""
    home = enrol(client, staff, streams=("bio",))
    e = bio_event(home, *found, donated=True)
    assert upload(client, home, [e]).json()["accepted"] == 1
    image = Image.open(shared_folder("garbage12", "biological") / "biological_10.jpg").convert("RGB")
    image.putpixel((0, 0), tuple(uuid.uuid4().bytes[:3]))
    headers = {**home.device_headers, "Content-Type": "image/jpeg"}
    r = client.put(DONATED_PHOTO_PATH.format(event_id=e["id"]), content=jpeg_bytes(image, quality=95), headers=headers)
    assert r.json()["status"] == "stored", r.text
    body = {"device": home.device, "event_id": e["id"], "reason": "nur Schalen"}
    d = client.post("/v1/household/quality/disputes", json=body, headers=home.household_headers).json()
    assert d["in_labelling_queue"] and d["labelling_queue"] == QUEUE
    return home, d["label_photo_id"]


def post_votes(client: TestClient, queue: str, headers: dict[str, str], *votes: tuple[int, int, str]) -> Any:
    body = [{"photo_id": pid, "pass": n, "label": label} for pid, n, label in votes]
    return client.post(f"{BASE}/{queue}/votes", json=body, headers=headers)


def votes_on(client: TestClient, *photo_ids: int) -> list[tuple[int, str]]:
    with client.app.state.sessionmaker() as session:
        q = select(LabelVote.photo_id, LabelVote.label).where(LabelVote.photo_id.in_(photo_ids))
        return [(pid, label) for pid, label in session.execute(q)]


def test_a_disputed_frame_is_labelled_plastic_bag_by_two_people_and_exported_so(
    client: TestClient, staff: dict[str, str], tmp_path: Path
) -> None:
    _, pid = disputed_frame(client, staff, "plastic_bag")
    anna, anna_h = staff_key(client, "anna")
    ben, ben_h = staff_key(client, "ben")

    batch = client.get(f"{BASE}/{QUEUE}/batch", params={"pass": 1, "limit": 200}, headers=anna_h).json()
    assert batch["label_set"] == "contamination" and pid in [p["id"] for p in batch["photos"]]
    assert post_votes(client, QUEUE, anna_h, (pid, 1, "plastic_bag")).json()["saved"] == 1
    second = client.get(f"{BASE}/{QUEUE}/batch", params={"pass": 2, "limit": 200}, headers=ben_h)
    assert pid in [p["id"] for p in second.json()["photos"]] and "plastic_bag" not in second.text
    assert post_votes(client, QUEUE, ben_h, (pid, 2, "plastic_bag")).json()["saved"] == 1

    report = client.get(f"{BASE}/{QUEUE}/report", headers=anna_h).json()
    assert report["label_set"] == "contamination" and report["allowed_labels"] == list(CONTAMINATION.allowed)
    assert report["final_counts"]["plastic_bag"] >= 1

    r = client.get(f"{BASE}/{QUEUE}/export", params={"version": "1", "meta": "licence=CC BY 4.0"}, headers=anna_h)
    assert r.status_code == 200, r.text
    path = tmp_path / f"{QUEUE}.jsonl"
    path.write_text(r.text, encoding="utf-8")
    labels = read_labels(path)
    assert labels.label_set == CONTAMINATION
    assert labels.meta["label_set"] == "contamination" and labels.meta["queue"] == QUEUE
    assert labels.meta["allowed_labels"] == ["clean", "plastic_bag", "plastic_other", "glass", "metal", "other",
                                             "several", "unusable"]  # fmt: skip
    assert "'clean': organic waste only" in labels.meta["description"]
    with client.app.state.sessionmaker() as session:
        sha = session.get_one(LabelPhoto, pid).sha256
    ours = labels.labels[sha]
    assert (ours.label, ours.status) == ("plastic_bag", "agreed")
    assert [(v.by, v.label, v.pass_) for v in ours.votes] == [(anna, "plastic_bag", 1), (ben, "plastic_bag", 2)]
    assert labels.usable()[sha] == "plastic_bag"


def test_a_classifier_label_is_422_in_the_bio_bin_queue_and_saves_nothing(
    client: TestClient, staff: dict[str, str]
) -> None:
    _, pid = disputed_frame(client, staff, "glass")
    _, headers = staff_key(client, "anna")
    r = post_votes(client, QUEUE, headers, (pid, 1, "clean"), (pid, 1, "battery"))
    assert r.status_code == 422, r.text
    (error,) = r.json()["detail"]
    assert error["loc"][-2:] == [1, "label"]  # which vote of the list, as for a malformed one
    assert "'battery'" in error["msg"] and "contamination" in error["msg"]
    assert "clean" in error["msg"] and "plastic_bag" in error["msg"] and "green-glass" not in error["msg"]
    assert votes_on(client, pid) == []
    # "glass", "metal" and "other" are words of both sets: in this queue they are the contaminants.
    assert post_votes(client, QUEUE, headers, (pid, 1, "glass")).json()["saved"] == 1


def test_a_bio_bin_label_is_422_in_a_classifier_queue_and_saves_nothing(client: TestClient, tmp_path: Path) -> None:
    drinks_copy(tmp_path, 3)
    queue = queue_name("classifier")
    assert import_into(client, tmp_path, queue).label_set == "classifier"
    _, headers = staff_key(client, "anna")
    batch = client.get(f"{BASE}/{queue}/batch", params={"pass": 1}, headers=headers).json()
    assert batch["label_set"] == "classifier"
    ids = [p["id"] for p in batch["photos"]]
    r = post_votes(client, queue, headers, (ids[0], 1, "plastic_bag"), (ids[1], 1, "metal"), (ids[2], 1, "clean"))
    assert r.status_code == 422, r.text
    errors = r.json()["detail"]
    assert [e["loc"][-2:] for e in errors] == [[0, "label"], [2, "label"]]
    assert "'plastic_bag'" in errors[0]["msg"] and "green-glass" in errors[0]["msg"] and "'clean'" in errors[1]["msg"]
    assert votes_on(client, *ids) == []
    report = client.get(f"{BASE}/{queue}/report", headers=headers).json()
    assert report["label_set"] == "classifier" and report["allowed_labels"] == list(CLASSIFIER.allowed)


def test_a_queue_keeps_its_label_set(client: TestClient, tmp_path: Path) -> None:
    drinks_copy(tmp_path, 2)
    queue = queue_name("frames")
    photos, model = client.app.state.photos, client.app.state.served.get()
    with client.app.state.sessionmaker() as session:
        made = import_folder(session, photos, model, tmp_path, queue, progress=False, label_set="contamination")
        assert (made.added, made.label_set) == (2, "contamination")
        again = import_folder(session, photos, model, tmp_path, queue, progress=False)  # its own set: fine
        assert (again.already, again.label_set) == (2, "contamination")
        with pytest.raises(LabelSetMismatch, match="contamination label set, not classifier"):
            import_folder(session, photos, model, tmp_path, queue, progress=False, label_set="classifier")
        assert session.get_one(LabelQueue, queue).label_set == "contamination"
        with pytest.raises(LabelSetMismatch):  # the disputes' queue was made a contamination queue at start
            import_folder(session, photos, model, tmp_path, QUEUE, progress=False, label_set="classifier")


def test_the_service_refuses_to_start_on_a_quality_queue_of_classifier_labels(
    client: TestClient, settings: Settings, tmp_path: Path
) -> None:
    drinks_copy(tmp_path, 1)
    queue = queue_name("imported-by-mistake")
    import_into(client, tmp_path, queue)
    app = create_app(settings.model_copy(update={"quality_queue": queue}))
    with pytest.raises(LabelSetMismatch, match=f"ZEROWASTE_QUALITY_QUEUE='{queue}'"), TestClient(app):
        pass


def test_the_staff_page_knows_the_bio_bin_labels_by_their_german_names(client: TestClient) -> None:
    page = client.get("/staff").text
    assert "__LABEL_SETS__" not in page
    assert '{"key": "clean", "de": "sauber (nur Bioabfall)"' in page and '"de": "Plastiktüte"' in page

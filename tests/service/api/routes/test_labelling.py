"""The staff labelling queue over HTTP: real drinks photos, the shipped model, SQLite and PostgreSQL."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from tests.utils.images import jpeg_bytes, write_bad_files
from tests.utils.labelling import drinks_copy, import_into, queue_name, staff_key
from zerowaste.datasets.labels import read_labels
from zerowaste.datasets.manifest import sha256_file
from zerowaste.model.image_io import load_image
from zerowaste.model.uncertainty import signals
from zerowaste.service.db.models import LabelPhoto, LabelVote
from zerowaste.service.keys import create_key

BASE = "/v1/staff/labelling"


@pytest.fixture(scope="module")
def drinks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("drinks")
    drinks_copy(folder, 30)
    return folder


@pytest.fixture(scope="module")
def device_headers(client: TestClient) -> dict[str, str]:
    with client.app.state.sessionmaker() as session:
        token = create_key(session, f"labelling-bin-{id(client)}", "device")
    return {"Authorization": f"Bearer {token}"}


def rows(client: TestClient, queue: str) -> dict[int, LabelPhoto]:
    with client.app.state.sessionmaker() as session:
        return {p.id: p for p in session.scalars(select(LabelPhoto).where(LabelPhoto.queue == queue))}


def stored_votes(client: TestClient, queue: str) -> list[tuple[int, int, str, str]]:
    with client.app.state.sessionmaker() as session:
        q = (
            select(LabelVote.photo_id, LabelVote.pass_no, LabelVote.label, LabelVote.labeller)
            .join(LabelPhoto, LabelPhoto.id == LabelVote.photo_id)
            .where(LabelPhoto.queue == queue)
            .order_by(LabelVote.photo_id, LabelVote.pass_no)
        )
        return [tuple(r) for r in session.execute(q)]  # type: ignore[misc]


def batch(client: TestClient, queue: str, headers: dict[str, str], pass_no: int, limit: int = 24) -> dict[str, Any]:
    r = client.get(f"{BASE}/{queue}/batch", params={"pass": pass_no, "limit": limit}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def vote(client: TestClient, queue: str, headers: dict[str, str], *votes: tuple[int, int, str]) -> dict[str, Any]:
    body = [{"photo_id": pid, "pass": n, "label": label} for pid, n, label in votes]
    r = client.post(f"{BASE}/{queue}/votes", json=body, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_import_adds_each_photo_once_skips_bad_files_and_stores_upright_copies_without_exif(
    client: TestClient, tmp_path: Path
) -> None:
    originals = drinks_copy(tmp_path, 8)
    # A phone photo held sideways: EXIF says "rotate 90°" and names the camera; the store must keep neither.
    sideways = Image.open(originals[0]).crop((0, 0, 320, 200))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the picture is displayed rotated 90° clockwise
    exif[0x010F] = "TestPhone Maker"
    (tmp_path / "sideways.jpg").write_bytes(jpeg_bytes(sideways, exif=exif.tobytes()))
    (tmp_path / "copy-of-first.jpg").write_bytes(originals[1].read_bytes())  # same bytes, another name
    # A 12-megapixel phone photo is shown, not trained on, from the store: kept at most 1600 px a side.
    (tmp_path / "large.jpg").write_bytes(jpeg_bytes(Image.open(originals[2]).resize((4000, 3000))))
    bad = write_bad_files(tmp_path / "bad")
    queue = queue_name("import")

    first = import_into(client, tmp_path, queue)
    unreadable = {f"bad/{name}" for name in bad if name != "really-a-png.jpg"}  # a PNG named .jpg is still a photo
    assert {p.path for p in first.problems} == unreadable
    assert (first.added, first.duplicates, first.already) == (11, 1, 0)
    again = import_into(client, tmp_path, queue)
    assert (again.added, again.duplicates, again.already) == (0, 0, 12)
    assert {p.path for p in again.problems} == unreadable

    stored = rows(client, queue)
    assert len(stored) == 11
    imported = [*originals, tmp_path / "sideways.jpg", tmp_path / "large.jpg"]
    expected = {sha256_file(f): f.relative_to(tmp_path).as_posix() for f in imported}
    assert {p.sha256: p.file_name for p in stored.values()} == {
        **expected,
        sha256_file(tmp_path / "bad" / "really-a-png.jpg"): "bad/really-a-png.jpg",
    }
    _, headers = staff_key(client, "viewer")
    photo = next(p for p in stored.values() if p.file_name == "sideways.jpg")
    r = client.get(f"{BASE}/{queue}/photos/{photo.id}", headers=headers)
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    shown = Image.open(io.BytesIO(r.content))
    assert shown.size == (200, 320)  # turned upright as the EXIF said
    assert len(Image.open(tmp_path / "sideways.jpg").getexif()) == 2 and len(shown.getexif()) == 0
    large = next(p for p in stored.values() if p.file_name == "large.jpg")
    r = client.get(f"{BASE}/{queue}/photos/{large.id}", headers=headers)
    assert Image.open(io.BytesIO(r.content)).size == (1600, 1200)


def test_batches_come_highest_priority_first_as_the_model_scores_them(client: TestClient, drinks: Path) -> None:
    queue = queue_name("priority")
    import_into(client, drinks, queue)
    model = client.app.state.served.get()
    files = sorted(drinks.glob("*.jpg"))
    expected = {
        sha256_file(f): s
        for f, s in zip(files, signals(model.predict_images([load_image(f) for f in files]), model.spec), strict=True)
    }
    stored = rows(client, queue)
    assert {p.sha256 for p in stored.values()} == set(expected)
    for p in stored.values():
        assert p.priority == pytest.approx(expected[p.sha256].priority, abs=1e-6)
        assert p.signals == pytest.approx(expected[p.sha256].to_dict())
        assert p.model_sha256 == model.sha256

    _, headers = staff_key(client, "anna")
    got = batch(client, queue, headers, 1, limit=10)
    assert got["pass"] == 1 and got["progress"]["total"] == len(files) and len(got["photos"]) == 10
    best = sorted((s.priority for s in expected.values()), reverse=True)[:10]
    assert [p["priority"] for p in got["photos"]] == pytest.approx(best, abs=1e-6)
    assert [p["priority"] for p in got["photos"]] == sorted((p["priority"] for p in got["photos"]), reverse=True)
    assert expected[stored[got["photos"][0]["id"]].sha256].priority == pytest.approx(best[0], abs=1e-6)


def test_pass_two_is_someone_elses_and_never_shows_pass_one(client: TestClient, drinks: Path) -> None:
    queue = queue_name("independent")
    import_into(client, drinks, queue)
    anna, anna_h = staff_key(client, "anna")
    ben, ben_h = staff_key(client, "ben")
    first = [p["id"] for p in batch(client, queue, anna_h, 1, limit=6)["photos"]]
    answer = vote(client, queue, anna_h, *((pid, 1, "white-glass") for pid in first))
    assert answer["saved"] == 6 and answer["progress"]["pass1_done"] == 6

    assert batch(client, queue, anna_h, 2)["photos"] == []  # her own are not hers to check
    own = vote(client, queue, anna_h, (first[0], 2, "white-glass"))
    assert own["rejected"] == 1 and "someone other than pass 1" in own["results"][0]["detail"]

    second = client.get(f"{BASE}/{queue}/batch", params={"pass": 2}, headers=ben_h)
    assert sorted(p["id"] for p in second.json()["photos"]) == sorted(first)
    assert all(p["votes"] == [] for p in second.json()["photos"])
    assert "white-glass" not in second.text and anna not in second.text  # no label, no name leaks into pass 2

    untouched = next(pid for pid in rows(client, queue) if pid not in first)
    early = vote(client, queue, ben_h, (untouched, 2, "metal"))
    assert early["rejected"] == 1 and "pass 1 comes first" in early["results"][0]["detail"]
    done = vote(client, queue, ben_h, *((pid, 2, "white-glass") for pid in first))
    assert done["saved"] == 6 and done["progress"]["agreed"] == 6
    assert {(n, who) for _, n, _, who in stored_votes(client, queue)} == {(1, anna), (2, ben)}


def test_disagreements_go_to_a_third_person_who_sees_both_votes(client: TestClient, drinks: Path) -> None:
    queue = queue_name("resolve")
    import_into(client, drinks, queue)
    _, anna_h = staff_key(client, "anna")
    _, ben_h = staff_key(client, "ben")
    cara, cara_h = staff_key(client, "cara")
    ids = [p["id"] for p in batch(client, queue, anna_h, 1, limit=4)["photos"]]
    vote(client, queue, anna_h, *zip(ids, [1] * 4, ["metal", "metal", "plastic", "green-glass"], strict=True))
    vote(client, queue, ben_h, *zip(ids, [2] * 4, ["metal", "plastic", "plastic", "brown-glass"], strict=True))

    assert batch(client, queue, anna_h, 3)["photos"] == [] and batch(client, queue, ben_h, 3)["photos"] == []
    shown = {p["id"]: p["votes"] for p in batch(client, queue, cara_h, 3)["photos"]}
    assert shown == {
        ids[1]: [{"pass": 1, "label": "metal"}, {"pass": 2, "label": "plastic"}],
        ids[3]: [{"pass": 1, "label": "green-glass"}, {"pass": 2, "label": "brown-glass"}],
    }
    refused = vote(client, queue, anna_h, (ids[1], 3, "plastic"))
    assert "third person" in refused["results"][0]["detail"]
    agreed = vote(client, queue, cara_h, (ids[0], 3, "metal"))
    assert agreed["rejected"] == 1 and "nothing to resolve" in agreed["results"][0]["detail"]
    done = vote(client, queue, cara_h, (ids[1], 3, "plastic"), (ids[3], 3, "glass"))
    assert done["saved"] == 2
    assert done["progress"] | {"queue": None} == {
        "queue": None, "total": 30, "pass1_done": 4, "pass2_done": 4, "agreed": 2, "disagreements_open": 0,
        "resolved": 2, "labelled": 4,
    }  # fmt: skip
    assert batch(client, queue, cara_h, 3)["photos"] == []

    report = client.get(f"{BASE}/{queue}/report", headers=cara_h).json()
    assert report["compared"] == 4 and report["agreement"] == pytest.approx(0.5)
    # p_o = 2/4; pass 1 says metal 2, plastic 1, green 1; pass 2 metal 1, plastic 2, brown 1:
    # p_e = (2*1 + 1*2) / 16 = 1/4; kappa = (1/2 - 1/4) / (3/4) = 1/3
    assert report["kappa"] == pytest.approx(1 / 3)
    assert {(c["pass1"], c["pass2"]): c["photos"] for c in report["confusion"]} == {
        ("metal", "metal"): 1, ("metal", "plastic"): 1, ("plastic", "plastic"): 1, ("green-glass", "brown-glass"): 1,
    }  # fmt: skip
    assert report["final_counts"] == {"glass": 1, "metal": 1, "plastic": 2}
    assert {r["labeller"]: (r["pass1"], r["pass2"], r["pass3"]) for r in report["labellers"]}[cara] == (0, 0, 2)


def test_export_is_a_labels_file_of_final_labels_only(client: TestClient, drinks: Path, tmp_path: Path) -> None:
    queue = queue_name("export")
    import_into(client, drinks, queue)
    anna, anna_h = staff_key(client, "anna")
    ben, ben_h = staff_key(client, "ben")
    cara, cara_h = staff_key(client, "cara")
    ids = [p["id"] for p in batch(client, queue, anna_h, 1, limit=5)["photos"]]
    vote(client, queue, anna_h, *zip(ids, [1] * 5, ["metal", "plastic", "other", "paper", "mixed"], strict=True))
    vote(client, queue, ben_h, *zip(ids[:4], [2] * 4, ["metal", "metal", "other", "cardboard"], strict=True))
    vote(client, queue, cara_h, (ids[1], 3, "plastic"))  # ids[3] stays open, ids[4] has one pass: neither is final

    meta = ["licence=CC BY 4.0", "origin=Roboflow, duenng"]
    r = client.get(f"{BASE}/{queue}/export", params={"version": "2026.12-1", "meta": meta}, headers=anna_h)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/x-ndjson")
    assert f'filename="{queue}.jsonl"' in r.headers["content-disposition"]
    path = tmp_path / "labels.jsonl"
    path.write_text(r.text, encoding="utf-8")
    labels = read_labels(path)

    sha = {p.id: p.sha256 for p in rows(client, queue).values()}
    assert (labels.name, labels.version) == (queue, "2026.12-1")
    assert labels.meta["licence"] == "CC BY 4.0" and labels.meta["origin"] == "Roboflow, duenng"
    assert labels.meta["agreement"]["photos_compared"] == 4 and labels.meta["agreement"]["open"] == 1
    assert {s: (p.label, p.status) for s, p in labels.labels.items()} == {
        sha[ids[0]]: ("metal", "agreed"), sha[ids[1]]: ("plastic", "resolved"), sha[ids[2]]: ("other", "agreed"),
    }  # fmt: skip
    assert labels.usable() == {sha[ids[0]]: "metal", sha[ids[1]]: "plastic"}  # "other" is looked at, not trained on
    resolved = labels.labels[sha[ids[1]]].votes
    assert [(v.by, v.label, v.pass_) for v in resolved] == [
        (anna, "plastic", 1),
        (ben, "metal", 2),
        (cara, "plastic", 3),
    ]
    assert all(v.at.endswith("Z") for v in resolved)

    bad_meta = client.get(f"{BASE}/{queue}/export", params={"version": "1", "meta": "format=mine"}, headers=anna_h)
    assert bad_meta.status_code == 422 and "format" in bad_meta.json()["detail"]
    assert client.get(f"{BASE}/{queue}/export", params={"version": "a b"}, headers=anna_h).status_code == 422
    assert client.get(f"{BASE}/{queue}/export", params={"meta": "a=b"}, headers=anna_h).status_code == 422


def test_votes_are_final_and_sending_one_again_changes_nothing(client: TestClient, drinks: Path) -> None:
    queue = queue_name("final")
    import_into(client, drinks, queue)
    anna, anna_h = staff_key(client, "anna")
    _, ben_h = staff_key(client, "ben")
    pid = batch(client, queue, anna_h, 1, limit=1)["photos"][0]["id"]
    assert vote(client, queue, anna_h, (pid, 1, "metal"))["saved"] == 1
    again = vote(client, queue, anna_h, (pid, 1, "metal"), (pid, 1, "plastic"))
    assert [r["status"] for r in again["results"]] == ["unchanged", "rejected"]
    assert "votes are final" in again["results"][1]["detail"]
    taken = vote(client, queue, ben_h, (pid, 1, "plastic"))
    assert taken["rejected"] == 1 and "someone else" in taken["results"][0]["detail"]
    assert "metal" not in taken["results"][0]["detail"]  # refusing a vote must not tell what the other said
    elsewhere = vote(client, queue, anna_h, (2**31 - 1, 1, "metal"))
    assert elsewhere["rejected"] == 1 and "no photo" in elsewhere["results"][0]["detail"]
    assert stored_votes(client, queue) == [(pid, 1, "metal", anna)]


@pytest.mark.parametrize(
    "body",
    [
        {"photo_id": 1, "pass": 1, "label": "metal"},  # not a list
        [],
        [{"photo_id": 1, "pass": 1}],
        [{"photo_id": "first", "pass": 1, "label": "metal"}],
        [{"photo_id": 1, "pass": 4, "label": "metal"}],
        [{"photo_id": 0, "pass": 1, "label": "metal"}],
        [{"photo_id": 1, "pass": 1, "label": "metal", "by": "someone-else"}],
        "metal",
    ],
)
def test_malformed_votes_are_422_and_save_nothing(client: TestClient, drinks: Path, body: object) -> None:
    queue = queue_name("malformed")
    import_into(client, drinks, queue)
    _, headers = staff_key(client, "anna")
    r = client.post(f"{BASE}/{queue}/votes", json=body, headers=headers)
    assert r.status_code == 422, r.text
    broken = client.post(
        f"{BASE}/{queue}/votes", content=b"[{", headers={**headers, "content-type": "application/json"}
    )
    assert broken.status_code == 422
    assert stored_votes(client, queue) == []


def test_an_unknown_label_is_422_names_the_allowed_ones_and_saves_nothing(client: TestClient, drinks: Path) -> None:
    queue = queue_name("badlabel")
    import_into(client, drinks, queue)
    _, headers = staff_key(client, "anna")
    ids = [p["id"] for p in batch(client, queue, headers, 1, limit=2)["photos"]]
    body = [{"photo_id": ids[0], "pass": 1, "label": "metal"}, {"photo_id": ids[1], "pass": 1, "label": "Metall"}]
    r = client.post(f"{BASE}/{queue}/votes", json=body, headers=headers)
    assert r.status_code == 422
    (error,) = r.json()["detail"]
    assert error["loc"][-2:] == [1, "label"]  # which vote of the list
    assert "'Metall'" in error["msg"] and "green-glass" in error["msg"] and "mixed" in error["msg"]
    assert stored_votes(client, queue) == []


def test_queues_list_their_progress_and_unknown_ones_are_404(client: TestClient, drinks: Path) -> None:
    queue = queue_name("listed")
    import_into(client, drinks, queue)
    _, headers = staff_key(client, "anna")
    listed = {q["queue"]: q for q in client.get(BASE, headers=headers).json()}
    assert listed[queue] == {"queue": queue, "total": 30, "pass1_done": 0, "pass2_done": 0, "agreed": 0,
                             "disagreements_open": 0, "resolved": 0, "labelled": 0}  # fmt: skip
    for path in ("/nope-nope/batch", "/nope-nope/report", "/nope-nope/export?version=1", "/nope-nope/photos/1"):
        r = client.get(BASE + path, headers=headers)
        assert r.status_code == 404 and "nope-nope" in r.json()["detail"], path
    other = queue_name("other")
    import_into(client, Path(drinks), other)
    foreign = min(rows(client, other))
    assert client.get(f"{BASE}/{queue}/photos/{foreign}", headers=headers).status_code == 404
    assert client.get(f"{BASE}/Not%20A%20Queue/batch", headers=headers).status_code == 422
    assert client.get(f"{BASE}/{queue}/batch", params={"pass": 4}, headers=headers).status_code == 422
    assert client.get(f"{BASE}/{queue}/batch", params={"limit": 0}, headers=headers).status_code == 422


def test_two_labellers_of_one_pass_get_different_photos(client: TestClient, drinks: Path) -> None:
    queue = queue_name("claims")
    import_into(client, drinks, queue)
    _, anna_h = staff_key(client, "anna")
    _, ben_h = staff_key(client, "ben")
    a = [p["id"] for p in batch(client, queue, anna_h, 1, limit=12)["photos"]]
    b = [p["id"] for p in batch(client, queue, ben_h, 1, limit=12)["photos"]]
    assert len(a) == len(b) == 12 and not set(a) & set(b)
    assert [p["id"] for p in batch(client, queue, anna_h, 1, limit=12)["photos"]] == a  # hers still, same order
    rest = [p["id"] for p in batch(client, queue, ben_h, 1, limit=24)["photos"]]
    assert len(rest) == 18 and not set(rest) & set(a)


def test_labelling_needs_a_staff_key(client: TestClient, drinks: Path, device_headers: dict[str, str]) -> None:
    queue = queue_name("auth")
    import_into(client, drinks, queue)
    pid = min(rows(client, queue))
    calls = [
        ("GET", BASE, None),
        ("GET", f"{BASE}/{queue}/batch", None),
        ("GET", f"{BASE}/{queue}/photos/{pid}", None),
        ("POST", f"{BASE}/{queue}/votes", [{"photo_id": pid, "pass": 1, "label": "metal"}]),
        ("GET", f"{BASE}/{queue}/report", None),
        ("GET", f"{BASE}/{queue}/export?version=1", None),
    ]
    for method, url, body in calls:
        assert client.request(method, url, json=body).status_code == 401, url
        assert client.request(method, url, json=body, headers={"Authorization": "Bearer zw_nope"}).status_code == 401
        assert client.request(method, url, json=body, headers=device_headers).status_code == 403, url
    with client.app.state.sessionmaker() as session:
        assert session.scalar(select(func.count(LabelVote.id)).where(LabelVote.photo_id == pid)) == 0

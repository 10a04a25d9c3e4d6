"""Factories for the weighing pilot: staff keys, enrolled households with devices and bins, events."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from zerowaste.service.keys import create_key


def staff_headers_for(client: Any) -> dict[str, str]:
    with client.app.state.sessionmaker() as session:
        return {"Authorization": f"Bearer {create_key(session, f'staff-{uuid.uuid4().hex[:8]}', 'staff')}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Enrolled:
    household: str
    household_token: str
    device: str
    device_token: str
    bins: dict[str, str] = field(default_factory=dict)  # stream -> bin id

    @property
    def device_headers(self) -> dict[str, str]:
        return bearer(self.device_token)

    @property
    def household_headers(self) -> dict[str, str]:
        return bearer(self.household_token)


def enrol(
    client: httpx.Client,
    staff: dict[str, str],
    neighbourhood: str = "arrenberg",
    streams: tuple[str, ...] = ("restmuell",),
    max_load_kg: float = 60.0,
) -> Enrolled:
    """What AWG staff do for a new pilot household: a device, a household, a bin per stream."""
    suffix = uuid.uuid4().hex[:10]
    r = client.post("/v1/staff/devices", json={"id": f"scale-{suffix}"}, headers=staff)
    assert r.status_code == 201, r.text
    device = r.json()
    r = client.post("/v1/staff/households", json={"neighbourhood": neighbourhood}, headers=staff)
    assert r.status_code == 201, r.text
    household = r.json()
    enrolled = Enrolled(household["id"], household["token"], device["id"], device["token"])
    for stream in streams:
        bin_id = f"bin-{suffix}-{stream}"
        r = client.post(
            "/v1/staff/bins",
            headers=staff,
            json={
                "id": bin_id,
                "household": household["id"],
                "device": device["id"],
                "stream": stream,
                "max_load_kg": max_load_kg,
                # The tests weigh weeks of history: the scales went in a year ago.
                "in_service_from": (dt.datetime.now(dt.UTC) - dt.timedelta(days=365)).isoformat(),
            },
        )
        assert r.status_code == 201, r.text
        enrolled.bins[stream] = bin_id
    return enrolled


def event(
    enrolled: Enrolled, stream: str = "restmuell", *, at: dt.datetime | None = None, **overrides: Any
) -> dict[str, Any]:
    e = {
        "id": str(uuid.uuid4()),
        "device": enrolled.device,
        "bin": enrolled.bins[stream],
        "stream": stream,
        "kind": "deposit",
        "net_kg": 1.25,
        "gross_kg": 6.5,
        "measured_at": (at or dt.datetime.now(dt.UTC)).isoformat(),
        "firmware": "zerowaste-edge test",
        "calibration_version": 2,
    }
    e.update(overrides)
    return e


def upload(
    client: httpx.Client, enrolled: Enrolled, events: list[dict[str, Any]], sent_at: dt.datetime | None = None
) -> httpx.Response:
    return client.post(
        "/v1/weighings/batch",
        headers=enrolled.device_headers,
        json={"sent_at": (sent_at or dt.datetime.now(dt.UTC)).isoformat(), "events": events},
    )

"""The device reads the service's answers with the same models the service writes them with
(zerowaste/wire.py): an answer it cannot read acknowledges nothing, and an offer with a missing or
malformed field is refused before anything is fetched. The service's side is the real app."""

from __future__ import annotations

import json
import math
import uuid
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from zerowaste.edge.model_update import ModelUpdater, UpdateError
from zerowaste.edge.queue import EventQueue
from zerowaste.edge.uploader import Uploader
from zerowaste.wire import WEIGHINGS_PATH, BatchResult, ModelOffer, WeighingEvent


def _event() -> dict[str, object]:
    return {
        "id": str(uuid.uuid4()),
        "device": "scale-1",
        "bin": "bin-1",
        "stream": "restmuell",
        "kind": "deposit",
        "net_kg": 1.0,
        "gross_kg": 5.0,
        "measured_at": "2026-11-30T10:00:00+00:00",
    }


def _answering(body: bytes) -> httpx.Client:
    return httpx.Client(
        base_url="http://service", transport=httpx.MockTransport(lambda _r: httpx.Response(200, content=body))
    )


@pytest.mark.parametrize(
    "body",
    [b"not json", b'{"results": "none"}', json.dumps({"results": [{"id": "x", "status": "kept?"}]}).encode()],
)
def test_an_answer_the_device_cannot_read_acknowledges_nothing(tmp_path: Path, body: bytes) -> None:
    queue = EventQueue(tmp_path / "q.db")
    e = _event()
    queue.put(e)
    outcome = Uploader(queue, _answering(body), donors=frozenset).upload_batch()
    assert outcome.acked == 0 and outcome.error is not None and "unreadable answer" in outcome.error
    assert len(queue) == 1  # sent again later; the service answers a resend "duplicate"


def test_a_well_formed_answer_acknowledges_what_it_names(tmp_path: Path) -> None:
    queue = EventQueue(tmp_path / "q.db")
    e = _event()
    queue.put(e)
    answer = {
        "server_time": "2026-11-30T10:00:01+00:00",
        "clock_offset_s": 0.5,
        "accepted": 1,
        "duplicates": 0,
        "rejected": 0,
        "results": [{"id": e["id"], "status": "accepted"}],
    }
    BatchResult.model_validate(answer)  # what the service sends is this model
    outcome = Uploader(queue, _answering(json.dumps(answer).encode()), donors=frozenset).upload_batch()
    assert outcome.acked == 1 and len(queue) == 0 and outcome.clock_offset_s == 0.5


def test_an_offer_with_a_malformed_field_is_refused_before_any_download(tmp_path: Path) -> None:
    offer = {
        "channel": "stable",
        "model_id": 1,
        "sha256": "not-a-sha",
        "size": 10,
        "precision": "int8",
        "signature": "x",
        "key_id": "k",
        "url": "/v1/models/files/x",
    }
    with pytest.raises(ValidationError):
        ModelOffer.model_validate(offer)
    updater = ModelUpdater(tmp_path / "models", ["AAAA"], client=_answering(json.dumps(offer).encode()))
    with pytest.raises(UpdateError, match="malformed"):
        updater.offer()
    assert not list((tmp_path / "models" / "incoming").iterdir())


def test_the_event_the_service_validates_is_the_one_the_agent_builds() -> None:
    ok = WeighingEvent.model_validate(_event())
    assert ok.model_dump(mode="json")["measured_at"].startswith("2026-11-30T10:00:00")
    with pytest.raises(ValidationError, match="finite"):
        WeighingEvent.model_validate({**_event(), "net_kg": math.nan})
    assert WEIGHINGS_PATH == "/v1/weighings/batch"


def test_the_service_routes_are_the_wire_paths() -> None:
    from zerowaste.service.main import create_app
    from zerowaste.wire import MODEL_OFFER_PATH, MODEL_REPORT_PATH

    paths = create_app().openapi()["paths"]
    assert {WEIGHINGS_PATH, MODEL_OFFER_PATH, MODEL_REPORT_PATH} <= set(paths)

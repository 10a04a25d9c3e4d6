"""The staff retraining loop end to end, with real photos, real training and the real service in a
uvicorn process: a model that never learnt `clothes` serves; citizens donate clothes photos it gets
wrong; staff relabel them in the review queue; `zerowaste dataset export-feedback` writes them out;
`zerowaste train --extra … --upload …` trains on base + feedback and hands the candidate to the
registry, whose gate accepts it. A careless review (shoes relabelled as battery) does not move the
release recipe, whose item evidence knows shoes; trained without that evidence, the same labels yield
a model that forgets shoes, and the gate refuses it."""

from __future__ import annotations

import json
import shutil
import signal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from tests.conftest import shared_folder
from tests.utils.databases import database
from tests.utils.models import gate_manifest, small_train_args
from tests.utils.pilot import bearer
from tests.utils.server import Server

pytest.importorskip("torch")
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]
BASE = ("battery", "shoes", "green-glass")


def donate(srv: Server, staff: dict[str, str], files: list[Path], label: str) -> None:
    """Citizens say the answer was wrong and donate the photo; staff relabel each one as `label`."""
    with httpx.Client(base_url=srv.base, timeout=60) as c:
        ids = []
        for f in files:
            answer = c.post("/v1/classify", files={"file": (f.name, f.read_bytes(), "image/jpeg")}).json()
            r = c.post(
                "/v1/feedback",
                data={"classification_id": answer["id"], "correct": "false", "consent": "true"},
                files={"file": (f.name, f.read_bytes(), "image/jpeg")},
            )
            assert r.status_code == 201 and r.json()["photo_stored"], r.text
            ids.append(r.json()["id"])
        for fid in ids:
            r = c.post(f"/v1/staff/feedback/{fid}/review", json={"action": "relabel", "label": label}, headers=staff)
            assert r.status_code == 200 and r.json()["review_status"] == "relabelled", r.text


def test_feedback_export_retrain_and_the_gate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from zerowaste.cli import main

    g12 = shared_folder("garbage12")
    pick = {c: sorted((g12 / c).glob("*.jpg")) for c in (*BASE, "clothes")}
    base = tmp_path / "base"
    for c in BASE:
        (base / c).mkdir(parents=True)
        for f in pick[c][:36]:
            shutil.copy(f, base / c / f.name)
    manifest = tmp_path / "base.jsonl"
    assert main(["data", "build", "--source", f"garbage12={base}", "--out", str(manifest)]) == 0
    gate = gate_manifest(tmp_path / "gate.jsonl", {c: pick[c][-12:] for c in pick})
    train = small_train_args(manifest, tmp_path / "cache", epochs=4)
    assert main([*train, "--output", str(tmp_path / "run-base")]) == 0

    for url in database("sqlite", tmp_path):
        srv = Server(
            url,
            tmp_path,
            model_path=str(tmp_path / "run-base" / "zerowaste-int8.onnx"),
            gate_testset=str(gate),
            gate_max_recall_drop="0.25",
        )  # one photo of 12 is 8.3 points
        srv.start()
        try:
            token = _staff_key(url)
            monkeypatch.setenv("ZEROWASTE_STAFF_TOKEN", token)
            staff = bearer(token)

            donate(srv, staff, pick["clothes"][20:45], "clothes")
            feedback = tmp_path / "feedback"
            assert main(["dataset", "export-feedback", "--server", srv.base, "--out", str(feedback)]) == 0
            assert json.loads((feedback / "export.json").read_text())["counts"] == {"clothes": 25}

            assert (
                main([*train, "--output", str(tmp_path / "run-better"), "--extra", str(feedback), "--upload", srv.base])
                == 0
            )  # 0: the gate accepted it
            with httpx.Client(base_url=srv.base, headers=staff) as c:
                better = c.get("/v1/staff/models", params={"status": "accepted"}).json()[0]
                report = c.get(f"/v1/staff/models/{better['id']}").json()["report"]
            recall = {k: report[k]["parts"]["garbage12"]["recall"]["clothes"] for k in ("baseline", "candidate")}
            assert recall["baseline"] <= 0.1 < 0.5 <= recall["candidate"], recall
            assert report["candidate"]["all"]["top1"] > report["baseline"]["all"]["top1"]

            donate(srv, staff, pick["shoes"][45:85], "battery")  # a careless afternoon in the review queue
            assert main(["dataset", "export-feedback", "--server", srv.base, "--out", str(feedback)]) == 0
            # The release recipe shrugs it off: the item head knows a shoe, and its evidence, fused in with
            # weights fitted on the validation photos (which the review queue never touches), outvotes
            # the 40 wrong labels.
            assert (
                main(
                    [*train, "--output", str(tmp_path / "run-careless"), "--extra", str(feedback), "--upload", srv.base]
                )
                == 0
            )
            with httpx.Client(base_url=srv.base, headers=staff) as c:
                careless = c.get("/v1/staff/models", params={"status": "accepted"}).json()[0]
                report = c.get(f"/v1/staff/models/{careless['id']}").json()["report"]
            assert report["candidate"]["parts"]["garbage12"]["recall"]["shoes"] >= 0.75, report["candidate"]
            # Without that evidence and with photos weighted as they come, the same labels make a model
            # that forgets shoes: the gate must refuse it.
            assert (
                main(
                    [
                        *train,
                        "--output",
                        str(tmp_path / "run-worse"),
                        "--extra",
                        str(feedback),
                        "--upload",
                        srv.base,
                        "--balance",
                        "none",
                        "--no-fusion",
                    ]
                )
                == 3
            )  # 3: refused
            with httpx.Client(base_url=srv.base, headers=staff) as c:
                worse = c.get("/v1/staff/models", params={"status": "refused"}).json()[0]
            assert any("garbage12/shoes" in r for r in worse["reasons"]), worse["reasons"]
            assert not worse["signed"] and worse["channels"] == []
        finally:
            srv.stop(signal.SIGKILL)


def _staff_key(url: str) -> str:
    from zerowaste.service.keys import create_key

    engine = create_engine(url)
    with Session(engine) as session:
        token = create_key(session, "awg-trainer", "staff")
    engine.dispose()
    return token

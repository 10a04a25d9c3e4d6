"""The model registry through HTTP on SQLite and PostgreSQL: the gate accepts a better model and refuses
worse or broken ones, only signed accepted models reach channels, promote / roll back are audited,
devices get a signed offer and can resume a download with HTTP Range.

The served (bootstrap) model is the shipped FP32 model with `battery` pushed out of reach; the shipped
FP32 model itself is then the better candidate, and one without `shoes` the worse."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import photos
from tests.utils.databases import database
from tests.utils.models import copy_shipped, gate_manifest, suppressed, with_spec
from tests.utils.pilot import bearer, staff_headers_for
from zerowaste.model import signing
from zerowaste.model.spec import file_sha256
from zerowaste.service.config import Settings
from zerowaste.service.main import create_app

pytest.importorskip("onnx")  # the test models are edited with onnx (dev extra)
GATE_CLASSES = ("battery", "shoes", "clothes", "green-glass", "paper")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def registry_settings(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    folder = tmp_path_factory.mktemp(f"registry-{request.param}")
    manifest = gate_manifest(folder / "gate.jsonl", {c: photos("garbage12", c, n=6) for c in GATE_CLASSES})
    weak = suppressed(folder / "weak.onnx", "battery")
    for url in database(request.param, folder):
        yield Settings(
            environment="test",
            database_url=url,
            data_dir=folder / "data",
            model_path=weak,
            gate_testset=manifest,
            max_model_bytes=20 * 1024 * 1024,
            rate_limit="100000/minute",
            model_follow_interval_s=0,
        )


@pytest.fixture(scope="module")
def api(registry_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(registry_settings)) as c:
        yield c


@pytest.fixture(scope="module")
def staff(api: TestClient) -> dict[str, str]:
    return staff_headers_for(api)


@pytest.fixture(scope="module")
def device(api: TestClient, staff: dict[str, str]) -> tuple[str, dict[str, str]]:
    r = api.post("/v1/staff/devices", json={"id": "camera-01"}, headers=staff)
    assert r.status_code == 201, r.text
    return "camera-01", bearer(r.json()["token"])


def served(api: TestClient) -> tuple[str, bool]:
    """The model /v1/classify runs, and whether it calls a battery photo a battery (the weak model cannot)."""
    with photos("garbage12", "battery", n=1)[0].open("rb") as f:
        r = api.post("/v1/classify", files={"file": ("battery.jpg", f, "image/jpeg")}, data={"lang": "en"})
    assert r.status_code == 200, r.text
    return api.get("/v1/ready").json()["model_sha256"], r.json()["top"][0]["label"] == "battery"


def upload(api: TestClient, staff: dict[str, str], path: Path, note: str = "test") -> dict:
    with path.open("rb") as f:
        r = api.post(
            "/v1/staff/models",
            headers=staff,
            data={"note": note},
            files={
                "file": (path.name, f, "application/octet-stream"),
                "card": ("MODEL_CARD.md", b"# card\n", "text/markdown"),
            },
        )
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "validating"
    model_id = r.json()["id"]
    for _ in range(600):  # TestClient runs the background gate before it returns; this only guards
        body = api.get(f"/v1/staff/models/{model_id}", headers=staff).json()
        if body["status"] != "validating":
            return body
        time.sleep(0.1)
    raise AssertionError("the gate never finished")


def test_the_registry_starts_with_the_served_model_on_stable_signed(
    api: TestClient, staff: dict[str, str], registry_settings: Settings
) -> None:
    channels = {c["channel"]: c for c in api.get("/v1/staff/channels", headers=staff).json()}
    assert channels["stable"]["sha256"] == file_sha256(registry_settings.model_path)
    assert channels["stable"]["by"] == "system" and not channels["stable"]["can_roll_back"]
    assert channels["canary"]["model_id"] is None
    key = api.get("/v1/models/signing-key").json()
    (first,) = api.get("/v1/staff/models", headers=staff).json()
    assert first["signed"] and first["status"] == "accepted" and first["channels"] == ["stable"]
    assert key["key_id"] == signing.key_id(key["public_key"])
    assert registry_settings.model_signing_key_path.stat().st_mode & 0o077 == 0  # the private key is private


def test_staff_and_device_endpoints_need_the_right_credentials(api: TestClient, device: tuple[str, dict]) -> None:
    assert api.post("/v1/staff/models", files={"file": ("m.onnx", b"x" * 100)}).status_code == 401
    assert api.get("/v1/staff/models", headers=device[1]).status_code == 403
    assert api.get("/v1/models/current").status_code == 401
    assert api.get("/v1/models/current", headers=bearer("zw_not-a-key")).status_code == 401


def test_the_gate_accepts_a_better_model_and_signs_it(api: TestClient, staff: dict[str, str], tmp_path: Path) -> None:
    body = upload(api, staff, copy_shipped(tmp_path / "better.onnx"), note="battery recognised again")
    assert body["status"] == "accepted", body["reasons"]
    report = body["report"]
    assert report["candidate"]["parts"]["garbage12"]["recall"]["battery"] > 0.5
    assert report["baseline"]["parts"]["garbage12"]["recall"]["battery"] == 0.0
    assert report["candidate"]["all"]["top1"] > report["baseline"]["all"]["top1"]
    assert {c["name"] for c in report["checks"] if c["ok"]} >= {"loads", "labels", "metadata", "top1", "recall"}
    assert body["signed"] and body["metrics"]["test"]
    assert api.get(f"/v1/staff/models/{body['id']}/card", headers=staff).text == "# card\n"


def test_the_gate_refuses_a_model_that_forgets_a_class(api: TestClient, staff: dict[str, str], tmp_path: Path) -> None:
    body = upload(api, staff, suppressed(tmp_path / "no-shoes.onnx", "shoes"))
    assert body["status"] == "refused" and not body["signed"]
    assert any("recall" in r and "garbage12/shoes" in r for r in body["reasons"]), body["reasons"]
    r = api.post(
        f"/v1/staff/models/{body['id']}/promote", json={"channel": "stable", "reason": "try anyway"}, headers=staff
    )
    assert r.status_code == 409 and "refused" in r.json()["detail"]


@pytest.mark.parametrize(
    ("make", "check"),
    [
        (lambda p: with_spec(p, labels=["a"] * 12), "labels"),
        (lambda p: with_spec(p, taxonomy_version="1999.1"), "taxonomy_version"),
        (lambda p: with_spec(p, manifest_sha256=None, metrics=None), "metadata"),
        (lambda p: (p.write_bytes(b"\x08\x07" + b"not an onnx model " * 20), p)[1], "loads"),
    ],
)
def test_the_gate_refuses_broken_files_and_says_why(
    api: TestClient, staff: dict[str, str], tmp_path: Path, make, check: str
) -> None:
    body = upload(api, staff, make(tmp_path / "broken.onnx"))
    assert body["status"] == "refused"
    assert [r for r in body["reasons"] if r.startswith(check + ":")], body["reasons"]


def test_uploads_are_bounded_and_not_registered_twice(api: TestClient, staff: dict[str, str], tmp_path: Path) -> None:
    assert api.post("/v1/staff/models", headers=staff, files={"file": ("m.onnx", b"tiny")}).status_code == 422
    big = tmp_path / "big.onnx"
    big.write_bytes(b"\0" * (21 * 1024 * 1024))
    with big.open("rb") as f:
        assert api.post("/v1/staff/models", headers=staff, files={"file": ("big.onnx", f)}).status_code == 413
    with copy_shipped(tmp_path / "again.onnx").open("rb") as f:
        r = api.post("/v1/staff/models", headers=staff, files={"file": ("again.onnx", f)})
    assert r.status_code == 409 and "accepted" in r.json()["detail"]


def test_channels_promote_canary_then_stable_then_roll_back_with_an_audit_trail(
    api: TestClient, staff: dict[str, str], device: tuple[str, dict[str, str]]
) -> None:
    device_id, device_headers = device
    models = api.get("/v1/staff/models", headers=staff, params={"status": "accepted"}).json()
    better = next(m for m in models if m["channels"] == [])
    weak = next(m for m in models if m["channels"] == ["stable"])

    assert (
        api.post(
            f"/v1/staff/models/{better['id']}/promote",
            json={"channel": "canary", "reason": "try on 1 Pi"},
            headers=staff,
        ).status_code
        == 200
    )
    assert api.get("/v1/models/current", headers=device_headers).json()["sha256"] == weak["sha256"]  # stable device
    r = api.put(f"/v1/staff/devices/{device_id}/channel", json={"channel": "canary"}, headers=staff)
    assert r.status_code == 200
    offer = api.get("/v1/models/current", headers=device_headers).json()
    assert offer["channel"] == "canary" and offer["sha256"] == better["sha256"]
    public = api.get("/v1/models/signing-key").json()["public_key"]
    assert signing.verify([public], offer["sha256"], offer["size"], offer["signature"]) == offer["key_id"]

    assert served(api) == (weak["sha256"], False)  # canary is for devices; the service runs stable
    r = api.post(
        f"/v1/staff/models/{better['id']}/promote", json={"channel": "stable", "reason": "canary fine"}, headers=staff
    )
    assert r.status_code == 200 and r.json()["can_roll_back"]
    assert served(api) == (better["sha256"], True)  # the service follows stable without a restart
    again = api.post(
        f"/v1/staff/models/{better['id']}/promote", json={"channel": "stable", "reason": "twice"}, headers=staff
    )
    assert again.status_code == 409
    r = api.post("/v1/staff/channels/stable/rollback", json={"reason": "complaints from Arrenberg"}, headers=staff)
    assert r.status_code == 200 and r.json()["model_id"] == weak["id"] and not r.json()["can_roll_back"]
    assert served(api) == (weak["sha256"], False)
    assert api.post("/v1/staff/channels/stable/rollback", json={"reason": "again"}, headers=staff).status_code == 409
    assert api.post("/v1/staff/channels/stable/rollback", json={"reason": ""}, headers=staff).status_code == 422

    log = api.get("/v1/staff/models-audit", headers=staff).json()
    trail = [
        (a["action"], a["channel"], a["model_id"]) for a in reversed(log) if a["action"] in ("promote", "rollback")
    ]
    assert trail[-3:] == [
        ("promote", "canary", better["id"]),
        ("promote", "stable", better["id"]),
        ("rollback", "stable", weak["id"]),
    ]
    rollback = log[0]
    assert rollback["reason"] == "complaints from Arrenberg" and rollback["actor"].startswith("staff-")
    assert {"upload", "gate-accepted", "gate-refused", "device-channel"} <= {a["action"] for a in log}


def test_a_device_downloads_in_ranges_and_reports_what_it_runs(
    api: TestClient, staff: dict[str, str], device: tuple[str, dict[str, str]]
) -> None:
    device_id, headers = device
    offer = api.get("/v1/models/current", headers=headers).json()
    head = api.get(offer["url"], headers={**headers, "Range": "bytes=0-99"})
    assert head.status_code == 206 and len(head.content) == 100
    rest = api.get(offer["url"], headers={**headers, "Range": "bytes=100-"})
    assert rest.status_code == 206
    assert hashlib.sha256(head.content + rest.content).hexdigest() == offer["sha256"]
    assert api.get(offer["url"]).status_code == 401
    assert api.get("/v1/models/files/" + "0" * 64, headers=headers).status_code == 404
    r = api.post(
        "/v1/models/report",
        json={"sha256": offer["sha256"], "status": "installed", "detail": "smoke ok"},
        headers=headers,
    )
    assert r.status_code == 204
    me = next(d for d in api.get("/v1/staff/devices", headers=staff).json() if d["id"] == device_id)
    assert me["model_sha256"] == offer["sha256"] and me["model_status"] == "installed: smoke ok"


def test_a_validation_cut_off_by_a_crash_runs_again_at_start_up(
    api: TestClient, staff: dict[str, str], registry_settings: Settings, tmp_path: Path
) -> None:
    from zerowaste.service import registry

    path = suppressed(tmp_path / "interrupted.onnx", "paper")
    sha = file_sha256(path)
    api.app.state.model_store.add_file(path, sha)
    with api.app.state.sessionmaker() as session:  # what an upload leaves before its gate ran
        model_id = registry.register(session, sha, path.stat().st_size, "staff-crash", "", "interrupted").id
    with TestClient(create_app(registry_settings)) as restarted:
        for _ in range(600):
            body = restarted.get(f"/v1/staff/models/{model_id}", headers=staff).json()
            if body["status"] != "validating":
                break
            time.sleep(0.1)
    assert body["status"] == "refused" and any("paper" in r for r in body["reasons"])


def test_the_service_never_serves_a_stable_model_whose_file_is_damaged(
    api: TestClient, staff: dict[str, str], registry_settings: Settings
) -> None:
    models = api.get("/v1/staff/models", headers=staff, params={"status": "accepted"}).json()
    weak = next(m for m in models if "stable" in m["channels"])
    better = next(m for m in models if m["sha256"] != weak["sha256"] and m["note"] == "battery recognised again")
    stored = api.app.state.model_store.path(better["sha256"])
    good = stored.read_bytes()
    stored.write_bytes(good[:-1000] + bytes(1000))  # a disk error after the gate signed it
    try:
        promote = {"channel": "stable", "reason": "again"}
        assert api.post(f"/v1/staff/models/{better['id']}/promote", json=promote, headers=staff).status_code == 200
        assert served(api) == (weak["sha256"], False)
    finally:
        stored.write_bytes(good)
    assert served(api) == (weak["sha256"], False)  # that promotion stays skipped ...
    assert api.post("/v1/staff/channels/stable/rollback", json={"reason": "file"}, headers=staff).status_code == 200
    assert (
        api.post(
            f"/v1/staff/models/{better['id']}/promote", json={"channel": "stable", "reason": "fixed"}, headers=staff
        ).status_code
        == 200
    )
    assert served(api) == (better["sha256"], True)  # ... the next one is tried again
    with TestClient(create_app(registry_settings)) as restarted:  # configured: the weak file; stable wins
        assert restarted.get("/v1/ready").json()["model_sha256"] == better["sha256"]

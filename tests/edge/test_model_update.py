"""Model updates on a device, against the real service in a uvicorn process: the device fetches its
channel's signed model, resumes a cut download with HTTP Range, refuses corrupt and untrusted files
without touching the model in use, follows a rollback, and undoes an install that fails its smoke check."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from tests.conftest import photos
from tests.utils.databases import database
from tests.utils.models import copy_shipped, gate_manifest, suppressed
from tests.utils.pilot import bearer
from tests.utils.server import Server
from zerowaste.edge.model_update import ModelUpdater, UpdateError
from zerowaste.model import signing
from zerowaste.model.runtime import OnnxClassifier
from zerowaste.model.spec import file_sha256
from zerowaste.service.db.migrate import upgrade
from zerowaste.service.keys import create_key

pytest.importorskip("onnx")
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


class CutOnce(httpx.HTTPTransport):
    """A link that drops once, `after` bytes into a model download, and remembers the Range headers sent."""

    def __init__(self, after: int) -> None:
        super().__init__()
        self.after, self.ranges, self.armed = after, [], False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if "/v1/models/files/" not in request.url.path:
            return response
        self.ranges.append(request.headers.get("range"))
        if not self.armed:
            return response
        self.armed = False
        body, after = response.stream, self.after

        class Cut(httpx.SyncByteStream):
            def __iter__(self) -> Iterator[bytes]:
                sent = 0
                for chunk in body:
                    take = chunk[: max(0, after - sent)]
                    sent += len(take)
                    if take:
                        yield take
                    if sent >= after:
                        raise httpx.ReadError("link dropped")

            def close(self) -> None:
                body.close()

        return httpx.Response(response.status_code, headers=response.headers, stream=Cut(), request=request)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, str]]]:
    folder = tmp_path_factory.mktemp("update")
    manifest = gate_manifest(
        folder / "gate.jsonl", {c: photos("garbage12", c, n=4) for c in ("battery", "shoes", "clothes", "paper")}
    )
    weak = suppressed(folder / "weak.onnx", "battery")
    for url in database("sqlite", folder):
        upgrade(url)
        engine = create_engine(url)
        with Session(engine) as session:
            staff = bearer(create_key(session, "awg-staff", "staff"))
        engine.dispose()
        srv = Server(url, folder, model_path=str(weak), gate_testset=str(manifest))
        srv.start()
        try:
            yield srv, staff
        finally:
            srv.stop(signal.SIGKILL)


def promote_better(srv: Server, staff: dict[str, str], tmp: Path, precision: str = "fp32") -> str:
    """Upload a shipped model (better than the served one), wait for the gate, promote it to stable."""
    better = copy_shipped(tmp / f"better-{precision}.onnx", precision)
    sha = file_sha256(better)
    with httpx.Client(base_url=srv.base, headers=staff, timeout=120) as c:
        models = {m["sha256"]: m for m in c.get("/v1/staff/models").json()}
        if sha not in models:
            with better.open("rb") as f:
                assert c.post("/v1/staff/models", files={"file": ("better.onnx", f)}).status_code == 202
        for _ in range(600):
            models = {m["sha256"]: m for m in c.get("/v1/staff/models").json()}
            if models[sha]["status"] != "validating":
                break
            time.sleep(0.2)
        assert models[sha]["status"] == "accepted", models[sha]["reasons"]
        r = c.post(f"/v1/staff/models/{models[sha]['id']}/promote", json={"channel": "stable", "reason": "better"})
        assert r.status_code == 200, r.text
    return sha


def test_a_device_follows_its_channel_safely(service: tuple[Server, dict[str, str]], tmp_path: Path) -> None:
    srv, staff = service
    with httpx.Client(base_url=srv.base, headers=staff) as c:
        token = c.post("/v1/staff/devices", json={"id": "camera-arrenberg"}).json()["token"]
        trusted = [c.get("/v1/models/signing-key").json()["public_key"]]
        served_sha = c.get("/v1/staff/channels").json()[0]["sha256"]
    link = CutOnce(after=3_000_000)
    device = httpx.Client(base_url=srv.base, headers=bearer(token), transport=link, timeout=60)
    folder = tmp_path / "models"
    updater = ModelUpdater(folder, trusted, device, smoke_photos=photos("garbage12", "shoes", n=2))

    # first contact: the served model, verified, installed, smoke-checked, reported
    first = updater.update()
    assert first.action == "installed" and first.sha256 == served_sha
    assert updater.current() == folder / "models" / f"{served_sha}.onnx"
    assert OnnxClassifier(folder / "current.onnx").sha256 == served_sha
    assert updater.update().action == "up-to-date"

    # a better model on stable; the link drops 3 MB into the download
    better_sha = promote_better(srv, staff, tmp_path)
    link.armed = True
    with pytest.raises(UpdateError, match="interrupted"):
        updater.update()
    part = folder / "incoming" / f"{better_sha}.part"
    assert part.stat().st_size == 3_000_000
    assert file_sha256(updater.current()) == served_sha  # the model in use did not move
    resumed = updater.update()
    assert resumed.action == "installed" and resumed.sha256 == better_sha
    assert resumed.resumed_from == 3_000_000 and link.ranges[-1] == "bytes=3000000-"
    assert updater.state().previous == served_sha and not part.exists()
    assert set(resumed.timings_s) == {"download", "verify", "swap", "smoke"}

    # staff roll the channel back: the kept previous model comes back without a download
    with httpx.Client(base_url=srv.base, headers=staff) as c:
        assert c.post("/v1/staff/channels/stable/rollback", json={"reason": "field reports"}).status_code == 200
    n_downloads = len(link.ranges)
    back = updater.update()
    assert back.action == "installed" and back.sha256 == served_sha and len(link.ranges) == n_downloads

    # the shipped INT8 model goes out, but a half-downloaded file on disk is corrupt: refused, deleted
    int8_sha = promote_better(srv, staff, tmp_path, "int8")
    part = folder / "incoming" / f"{int8_sha}.part"
    part.write_bytes(b"\xff" * 1_000_000)
    with pytest.raises(UpdateError, match="sha256"):
        updater.update()
    assert not part.exists() and file_sha256(updater.current()) == served_sha

    # a device that trusts another key refuses the (correctly signed) file
    other_key = signing.public_key_text(signing.Ed25519PrivateKey.generate().public_key())
    stranger = ModelUpdater(tmp_path / "stranger", [other_key], device)
    with pytest.raises(UpdateError, match="no trusted key"):
        stranger.update()
    assert stranger.current() is None and not list((tmp_path / "stranger" / "models").iterdir())
    again = stranger.update()  # remembered: not downloaded again at every interval
    assert again.action == "refused" and stranger.current() is None

    # the next regular check installs it, and staff see what the device runs
    assert updater.update().sha256 == int8_sha
    with httpx.Client(base_url=srv.base, headers=staff) as c:
        me = next(d for d in c.get("/v1/staff/devices").json() if d["id"] == "camera-arrenberg")
        audit = c.get("/v1/staff/models-audit").json()
    actions = [a["action"] for a in audit if a["actor"] == "device:camera-arrenberg"]
    assert me["model_sha256"] == int8_sha and me["model_status"].startswith("installed")
    assert "device-refused" in actions and actions.count("device-installed") >= 4

    # staff on site roll the device back: it stays back, though the service still offers the newer one
    assert updater.rollback().sha256 == served_sha
    assert updater.update().action == "refused" and file_sha256(updater.current()) == served_sha


def test_a_new_model_is_checked_before_it_becomes_current(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A kill -9 during the smoke check must leave the device on the model its state names."""
    from zerowaste.edge import model_update

    updater = ModelUpdater(tmp_path / "models", [])
    first = copy_shipped(tmp_path / "first.onnx", "int8")
    first_sha = file_sha256(first)
    assert updater.install(first_sha, first).action == "installed"
    in_use_during_check = []
    real = model_update.smoke_check

    def watched(path: Path, photos: list[Path] | None = None, timeout_s: float = 120.0) -> tuple[bool, str]:
        in_use_during_check.append((updater.current(), updater.state().current))
        return real(path, photos, timeout_s)

    monkeypatch.setattr(model_update, "smoke_check", watched)
    second = copy_shipped(tmp_path / "second.onnx", "fp32")
    second_sha = file_sha256(second)
    assert updater.install(second_sha, second).action == "installed"
    assert in_use_during_check == [(tmp_path / "models" / "models" / f"{first_sha}.onnx", first_sha)]
    assert updater.current() == tmp_path / "models" / "models" / f"{second_sha}.onnx"


def test_an_install_that_fails_its_smoke_check_is_rolled_back(tmp_path: Path) -> None:
    updater = ModelUpdater(tmp_path / "models", [])
    good = copy_shipped(tmp_path / "good.onnx", "int8")
    good_sha = file_sha256(good)
    assert updater.install(good_sha, good).action == "installed"
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x08\x07" + b"verified, signed, and still not loadable here " * 100)
    bad_sha = file_sha256(bad)
    result = updater.install(bad_sha, bad)
    assert result.action == "rolled-back" and result.sha256 == good_sha and "smoke check failed" in result.detail
    assert updater.current() == tmp_path / "models" / "models" / f"{good_sha}.onnx"
    assert bad_sha in updater.state().refused and not (tmp_path / "models" / "models" / f"{bad_sha}.onnx").exists()

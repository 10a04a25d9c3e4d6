"""The bio-bin camera on the device (issue 25): its config in the agent's YAML, the simulated camera,
the quality carried by the right events, and the weighing unharmed by a camera or model that fails.
The model is always the shipped file; the tests that need it skip while it is absent."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from PIL import Image
from pydantic import ValidationError

from zerowaste.cli import main as cli
from zerowaste.edge import photos
from zerowaste.edge.agent import AgentConfig, ScaleAgent, load_config
from zerowaste.edge.camera import (
    BinCamera,
    CameraError,
    FrameSource,
    SimulatedCamera,
    SimulatedCameraConfig,
    open_camera,
)
from zerowaste.edge.queue import EventQueue
from zerowaste.edge.trace import TraceSpec, generate_trace
from zerowaste.model.contamination import ContaminationModel
from zerowaste.wire import BinQuality

CALIBRATED = {"zero": 8400.0, "factor": -1 / 21000}


def write_frames(folder: Path, n: int, seed: int = 0) -> Path:
    """Frames of coloured noise: the model runs on anything, these tests are about the plumbing."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        pixels = rng.integers(0, 256, size=(96, 128, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"frame-{i:02d}.png")
    return folder


def bin_config(bin_id: str, camera: dict[str, Any] | None, seed: int = 1, days: float = 3) -> dict[str, Any]:
    spec = TraceSpec(seed=seed, days=days, deposits_per_day=2, empty_every_days=1.0, lid_bumps_per_day=0.5)
    b: dict[str, Any] = {
        "id": bin_id,
        "stream": "bio",
        "calibration": CALIBRATED,
        "driver": {"type": "simulated", "generate": spec.model_dump()},
    }
    if camera is not None:
        b["camera"] = camera
    return b


def agent_config(tmp_path: Path, *bins: dict[str, Any], **extra: Any) -> AgentConfig:
    return AgentConfig.model_validate(
        {
            "device_id": "scale-cam",
            "server_url": "http://127.0.0.1:9",
            "queue_path": str(tmp_path / "device" / "queue.db"),
            "bins": list(bins),
            **extra,
        }
    )


def replay(config: AgentConfig, **kwargs: Any) -> tuple[ScaleAgent, list[dict[str, Any]]]:
    agent = ScaleAgent(config, EventQueue(config.queue_path), **kwargs)
    agent.replay_until(float("inf"))
    return agent, agent.queue.peek(10_000)


def test_the_camera_is_configured_per_bin_in_the_agent_yaml(tmp_path: Path) -> None:
    text = f"""
        device_id: scale-1
        server_url: https://zerowaste.example
        contamination: {{model: /opt/zerowaste/contamination-int8.onnx, threads: 2}}
        bins:
          - id: bio-1
            stream: bio
            driver: {{type: hx711, dout_pin: 5, pd_sck_pin: 6}}
            camera: {{kind: opencv, source: "0", role: lid}}
          - id: truck-1
            stream: bio
            driver: {{type: simulated}}
            camera: {{kind: simulated, frames: {tmp_path}, role: truck, order: random, seed: 3, donate_photos: true}}
          - id: rest-1
            stream: restmuell
            driver: {{type: simulated}}
    """
    (tmp_path / "scale.yaml").write_text(text)
    config = load_config(tmp_path / "scale.yaml")
    lid, truck, rest = (b.camera for b in config.bins)
    assert lid is not None and lid.kind == "opencv" and lid.role == "lid"
    assert lid.donate_photos is False  # no consent unless the household gave it
    assert truck is not None and truck.kind == "simulated" and truck.donate_photos and truck.role == "truck"
    assert rest is None
    assert config.contamination.threads == 2
    assert config.photo_dir() == Path("/var/lib/zerowaste/scale-queue-photos")  # beside the queue

    for wrong in (
        {"kind": "opencv", "source": "0", "rol": "lid"},  # a typo stops startup
        {"kind": "webcam", "source": "0"},
        {"kind": "simulated", "frames": str(tmp_path), "role": "roof"},
    ):
        data = yaml.safe_load(text)
        data["bins"][0]["camera"] = wrong
        with pytest.raises(ValidationError):
            AgentConfig.model_validate(data)


def test_the_simulated_camera_shows_its_files_in_order_or_by_a_seeded_choice(tmp_path: Path) -> None:
    folder = write_frames(tmp_path / "frames", 3)
    firsts = [np.asarray(Image.open(p).convert("RGB")) for p in sorted(folder.iterdir())]

    cam = open_camera(SimulatedCameraConfig(kind="simulated", frames=folder))
    assert [np.array_equal(cam.grab(), f) for f in firsts] == [True] * 3
    with pytest.raises(CameraError, match="all 3 frames"):
        cam.grab()  # a camera out of frames is a camera that fails
    looped = SimulatedCamera(SimulatedCameraConfig(kind="simulated", frames=folder, loop=True))
    assert [np.array_equal(looped.grab(), firsts[i % 3]) for i in range(5)] == [True] * 5

    def picks(seed: int) -> list[int]:
        c = SimulatedCamera(SimulatedCameraConfig(kind="simulated", frames=folder, order="random", seed=seed))
        shown = [c.grab() for _ in range(12)]
        return [next(i for i, f in enumerate(firsts) if np.array_equal(g, f)) for g in shown]

    assert picks(7) == picks(7) and len(set(picks(7))) > 1
    with pytest.raises(CameraError, match="no folder"):
        SimulatedCamera(SimulatedCameraConfig(kind="simulated", frames=tmp_path / "missing"))


def test_without_a_model_file_the_scale_weighs_on_without_quality(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    camera = {"kind": "simulated", "frames": str(write_frames(tmp_path / "frames", 2)), "loop": True}
    config = agent_config(
        tmp_path, bin_config("bio-1", camera), contamination={"model": str(tmp_path / "no-such-model.onnx")}
    )
    with caplog.at_level(logging.ERROR):
        agent, events = replay(config)
    assert agent.cameras == {}
    assert [e for e in events if e["kind"] == "deposit"] and all("quality" not in e for e in events)
    assert "cannot be loaded" in caplog.text


def test_lid_sees_deposits_and_truck_sees_emptyings(
    tmp_path: Path, contamination_model: ContaminationModel, caplog: pytest.LogCaptureFixture
) -> None:
    frames = write_frames(tmp_path / "frames", 4)
    lid = {"kind": "simulated", "frames": str(frames), "loop": True}
    truck = {"kind": "simulated", "frames": str(frames), "role": "truck", "order": "random"}
    config = agent_config(tmp_path, bin_config("bio-lid", lid, seed=1), bin_config("bio-truck", truck, seed=2))
    with caplog.at_level(logging.INFO):
        agent = ScaleAgent(config, EventQueue(config.queue_path))
    assert "cannot be loaded" not in caplog.text  # the shipped model loads by default
    agent.replay_until(float("inf"))
    events = agent.queue.peek(10_000)
    agent.queue.close()

    by_bin = {b: [e for e in events if e["bin"] == b] for b in ("bio-lid", "bio-truck")}
    for bin_id, role, kind in (("bio-lid", "lid", "deposit"), ("bio-truck", "truck", "emptying")):
        seen = [e for e in by_bin[bin_id] if e["kind"] == kind]
        assert seen and all(e["quality"]["camera"] == role for e in seen)
        assert all("quality" not in e for e in by_bin[bin_id] if e["kind"] != kind)
        for e in seen:
            q = BinQuality.model_validate(e["quality"])
            assert q.model_sha256 == contamination_model.sha256 and not q.photo_donated
            assert q.captured_at == dt.datetime.fromisoformat(e["measured_at"])  # when the weight settled
    # The quality was queued with its event: a new process reads it back from the queue file.
    reopened = EventQueue(config.queue_path)
    assert reopened.peek(10_000) == events
    assert not config.photo_dir().exists()  # no consent, so no frame was written


class Stuck(FrameSource):
    """A camera that hangs (a stream URL that never answers)."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def grab(self) -> np.ndarray:
        self.release.wait(10)
        raise CameraError("stuck")


def test_a_failing_or_hanging_camera_costs_only_the_quality(
    tmp_path: Path, contamination_model: ContaminationModel, caplog: pytest.LogCaptureFixture
) -> None:
    # One frame and no loop: the first deposit is seen, the camera then has none (fails).
    one = {"kind": "simulated", "frames": str(write_frames(tmp_path / "one", 1))}
    config = agent_config(tmp_path / "a", bin_config("bio-1", one))
    with caplog.at_level(logging.ERROR):
        _, events = replay(config)
    deposits = [e for e in events if e["kind"] == "deposit"]
    truth = generate_trace(TraceSpec.model_validate(config.bins[0].driver.generate.model_dump())).deposits
    assert len(deposits) == len(truth) > 2  # every weighing is there
    assert ["quality" in e for e in deposits] == [True] + [False] * (len(deposits) - 1)
    assert "shown all 1 frames" in caplog.text

    stuck = Stuck()
    hanging = {"kind": "opencv", "source": "rtsp://192.0.2.1/bin", "timeout_s": 0.2}
    config = agent_config(tmp_path / "b", bin_config("bio-1", hanging))
    camera = BinCamera("bio-1", config.bins[0].camera, stuck, contamination_model)  # type: ignore[arg-type]
    agent = ScaleAgent(config, EventQueue(config.queue_path), cameras={"bio-1": camera})
    started = time.monotonic()
    agent.replay_until(float("inf"))
    took = time.monotonic() - started
    stuck.release.set()
    deposits = [e for e in agent.queue.peek(10_000) if e["kind"] == "deposit"]
    assert len(deposits) == len(truth) and all("quality" not in e for e in deposits)
    # One deadline for the first deposit; the rest are not held up while the camera is still stuck.
    assert took < 0.2 + 2.0, took
    assert "no frame within 0.2 s" in caplog.text and "still busy" in caplog.text


def test_a_donated_frame_waits_beside_the_queue_and_strays_are_swept(
    tmp_path: Path, contamination_model: ContaminationModel
) -> None:
    camera = {"kind": "simulated", "frames": str(write_frames(tmp_path / "frames", 3)), "donate_photos": True}
    config = agent_config(tmp_path, bin_config("bio-1", camera))
    agent, events = replay(config)
    seen = [e for e in events if "quality" in e]
    assert seen and all(e["quality"]["photo_donated"] for e in seen)
    kept = agent.queue.photos()
    assert [i for i, _ in kept] == [e["id"] for e in seen]
    for event_id, path in kept:
        assert path.name == f"{event_id}.jpg"
        assert path.parent == config.photo_dir() and path.read_bytes()[:3] == b"\xff\xd8\xff"
        assert path.stat().st_mode & 0o077 == 0  # a view into a home's bin: the agent's user only
    assert agent.queue.photos_ready(10) == []  # not before the service has the event
    agent.queue.close()

    stray = config.photo_dir() / "crashed-before-queueing.jpg"
    stray.write_bytes(b"\xff\xd8\xff")
    ScaleAgent(config, EventQueue(config.queue_path))
    assert not stray.exists() and all(p.exists() for _, p in kept)
    photos.drop(EventQueue(config.queue_path), [kept[0][0]])
    assert not kept[0][1].exists()


def test_camera_check_prints_one_assessment(
    tmp_path: Path, contamination_model: ContaminationModel, capsys: pytest.CaptureFixture[str]
) -> None:
    camera = {"kind": "simulated", "frames": str(write_frames(tmp_path / "frames", 1))}
    path = tmp_path / "scale.yaml"
    data = agent_config(tmp_path, bin_config("rest-1", None), bin_config("bio-1", camera)).model_dump(mode="json")
    path.write_text(yaml.safe_dump(data))
    assert cli(["edge", "camera", "check", "--config", str(path), "--save", str(tmp_path / "seen.jpg")]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["bin"] == "bio-1" and report["role"] == "lid" and report["frame"] == {"width": 128, "height": 96}
    quality = BinQuality.model_validate(report["quality"])
    assert quality.model_sha256 == contamination_model.sha256 and not quality.photo_donated
    assert (tmp_path / "seen.jpg").is_file()
    assert cli(["edge", "camera", "check", "--config", str(path), "--bin", "rest-1"]) == 2
    capsys.readouterr()
    assert cli(["edge", "scale", "status", "--config", str(path)]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["bins"]["bio-1"]["camera"] == {"kind": "simulated", "role": "lid", "donate_photos": False}
    assert status["bins"]["rest-1"]["camera"] is None and status["donated_frames_waiting"] == 0

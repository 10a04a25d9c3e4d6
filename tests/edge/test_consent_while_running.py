"""A household withdraws its photo consent while the agent runs, or while an installer tares its
scale: no restart is needed for the camera to stop keeping frames, and no tool writes the old consent
back.

The real agent (simulated scale and lid camera on real biowaste photos, the shipped contamination
model) runs from its config file, which changes under it as the household's app would save it."""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.utils.donated import bio_bin
from zerowaste.cli import main as cli
from zerowaste.edge.agent import AgentConfig, ScaleAgent, donors_in, load_config
from zerowaste.edge.camera import BinCamera, open_camera
from zerowaste.edge.queue import EventQueue
from zerowaste.model.contamination import ContaminationModel

pytestmark = pytest.mark.timeout(300)
DAY = 86_400
BIN = "bio-1"


def device_config(tmp_path: Path, start: float, days: int) -> dict[str, Any]:
    return {
        "device_id": "scale-1",
        "server_url": "http://127.0.0.1:9",
        "queue_path": str(tmp_path / "device" / "queue.db"),
        "bins": [bio_bin(BIN, start, days, consent=True)],
    }


def with_consent(config: dict[str, Any], consent: bool) -> str:
    config["bins"][0]["camera"]["donate_photos"] = consent
    return yaml.safe_dump(config)


def test_a_running_agent_keeps_no_frame_once_consent_is_withdrawn(
    tmp_path: Path, contamination_model: ContaminationModel, caplog: pytest.LogCaptureFixture
) -> None:
    days = 6
    start = time.time() - days * DAY
    path, config = tmp_path / "scale.yaml", device_config(tmp_path, start, days)
    path.write_text(with_consent(config, True))
    loaded = load_config(path)
    agent = ScaleAgent(loaded, EventQueue(loaded.queue_path), donors=donors_in(path))
    frames = loaded.photo_dir()
    seen: set[str] = set()

    def assessed_until(t: float) -> dict[str, bool]:
        """photo_donated of the events with quality that settled since the last call."""
        agent.replay_until(t)
        new = {e["id"]: e for e in agent.queue.peek(10_000) if e["id"] not in seen}
        seen.update(new)
        return {i: e["quality"]["photo_donated"] for i, e in new.items() if "quality" in e}

    before = assessed_until(start + 2 * DAY)
    assert before and all(before.values())
    kept = {p.name for p in frames.iterdir()}
    assert kept == {f"{i}.jpg" for i in before}

    # Saved by the household's app while the agent runs: from the next frame on, none is written.
    path.write_text(with_consent(config, False))
    after = assessed_until(start + 4 * DAY)
    assert after and not any(after.values())  # the weighings still carry their quality
    assert {p.name for p in frames.iterdir()} == kept
    assert {i for i, _ in agent.queue.photos()} == set(before)

    # Half written at the moment a frame comes: consent unknown, so that frame is not kept either.
    path.write_text("bins: [")
    with caplog.at_level(logging.WARNING, logger="zerowaste.edge.agent"):
        unknown = assessed_until(float("inf"))
    assert unknown and not any(unknown.values())
    assert {p.name for p in frames.iterdir()} == kept
    assert any("photo consent unknown" in r.getMessage() for r in caplog.records)
    agent.queue.close()


def test_a_consent_that_cannot_be_asked_keeps_the_quality_not_the_frame(
    tmp_path: Path, contamination_model: ContaminationModel, caplog: pytest.LogCaptureFixture
) -> None:
    camera_config = AgentConfig.model_validate(device_config(tmp_path, time.time(), 1)).bins[0].camera
    assert camera_config is not None and camera_config.donate_photos

    def donors() -> frozenset[str]:
        raise RuntimeError("the consent store is gone")

    camera = BinCamera(BIN, camera_config, open_camera(camera_config), contamination_model, donors)
    with caplog.at_level(logging.ERROR, logger="zerowaste.edge.camera"):
        seen = camera.observe(dt.datetime.now(dt.UTC))
    camera.close()
    assert seen is not None and seen.jpeg is None and seen.quality.photo_donated is False
    assert any("photo consent unknown" in r.getMessage() and r.exc_info for r in caplog.records)


def test_a_tare_saves_only_its_calibration_over_a_withdrawal_saved_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tare loads the config, waits at Enter while the installer empties the bin, and saves: what
    the household's app wrote into the file during that wait stays."""
    path, config = tmp_path / "scale.yaml", device_config(tmp_path, time.time() - DAY, 1)
    config["upload_interval_s"] = 30.0
    path.write_text(with_consent(config, True))

    def enter(prompt: str) -> str:
        path.write_text(with_consent(config, False))  # the withdrawal, saved while the installer waits
        return ""

    monkeypatch.setattr("builtins.input", enter)
    assert cli(["edge", "scale", "tare", "--config", str(path), "--bin", BIN, "--samples", "5"]) == 0
    saved = yaml.safe_load(path.read_text())
    camera = saved["bins"][0].pop("camera")
    assert camera["donate_photos"] is False
    calibration = saved["bins"][0].pop("calibration")
    assert calibration["version"] == 1 and calibration["zero"] != config["bins"][0]["calibration"]["zero"]
    config["bins"][0].pop("camera"), config["bins"][0].pop("calibration")
    assert saved == config  # everything else as the file had it, not a dump of the loaded model

    # The bin is gone from the file by the time of saving: nothing written, the tare says so.
    renamed = yaml.safe_dump({**config, "bins": [{**config["bins"][0], "id": "bio-2"}]})

    def rename(prompt: str) -> str:
        path.write_text(renamed)
        return ""

    monkeypatch.setattr("builtins.input", rename)
    assert cli(["edge", "scale", "tare", "--config", str(path), "--bin", BIN, "--samples", "5"]) == 1
    assert path.read_text() == renamed

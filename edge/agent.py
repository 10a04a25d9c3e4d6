"""The scale agent: read each bin's scale, detect settled changes, queue them, upload in the background.

Its config is one YAML file (documented in the README), validated with unknown keys refused, and
rewritten atomically when a tare or calibration changes it. The device token is not in that file:
it comes from `token_file` or ZEROWASTE_EDGE_TOKEN, so the config can be shared and versioned.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from zerowaste import __version__, atomic
from zerowaste.edge import photos
from zerowaste.edge.calibration import Calibration
from zerowaste.edge.camera import BinCamera, CameraConfig, ContaminationConfig, open_cameras
from zerowaste.edge.link import ServiceLink
from zerowaste.edge.queue import EventQueue
from zerowaste.edge.scales import DriverConfig, ScaleReader, SimulatedConfig, open_scale
from zerowaste.edge.settle import Change, DetectorConfig, StableWeightDetector
from zerowaste.wire import WeighingEvent

log = logging.getLogger(__name__)
FIRMWARE = f"zerowaste-edge {__version__}"
DRIFT_PERSIST_KG = 0.01  # drift updates are written to the queue's state only in steps this big


class BinConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=64, description="the bin id staff registered")
    stream: str = Field(min_length=1, max_length=64, description="waste stream key, e.g. restmuell")
    driver: DriverConfig
    calibration: Calibration = Calibration()
    camera: CameraConfig | None = Field(default=None, description="a bio-bin camera at this bin (lid or truck)")


class AgentConfig(ServiceLink):
    device_id: str = Field(min_length=1, max_length=64)
    queue_path: Path = Path("/var/lib/zerowaste/scale-queue.db")
    sample_hz: float = Field(default=10.0, gt=0, le=80)
    upload_interval_s: float = Field(default=60.0, gt=0)
    batch_size: int = Field(default=100, ge=1, le=500)
    detector: DetectorConfig = DetectorConfig()
    contamination: ContaminationConfig = ContaminationConfig()
    bins: list[BinConfig] = Field(min_length=1)

    def photo_dir(self) -> Path:
        return self.contamination.photo_dir or photos.default_folder(self.queue_path)

    def donating_bins(self) -> frozenset[str]:
        """The bins whose household consented to donating its camera's frames."""
        return frozenset(b.id for b in self.bins if b.camera is not None and b.camera.donate_photos)

    def bin(self, bin_id: str) -> BinConfig:
        for b in self.bins:
            if b.id == bin_id:
                return b
        raise KeyError(f"no bin {bin_id!r} in this config; bins: {', '.join(b.id for b in self.bins)}")


def load_config(path: Path) -> AgentConfig:
    with path.open(encoding="utf-8") as f:
        return AgentConfig.model_validate(yaml.safe_load(f))


def donors_in(path: Path) -> photos.Donors:
    """The uploader's consent: the config file read each time it is asked, so that a withdrawal saved
    to it stops the next frame even while the running agent still holds the old config."""

    def donors() -> frozenset[str] | None:
        try:
            return load_config(path).donating_bins()
        except (OSError, ValueError, yaml.YAMLError) as exc:
            log.warning("photo consent unknown, no donated frame goes: %s cannot be read (%s)", path, exc)
            return None

    return donors


def save_calibration(path: Path, bin_id: str, calibration: Calibration) -> AgentConfig:
    """One bin's calibration into the file as it is on disk now, everything else left as it is there: a
    tare waits minutes at the installer's Enter, and writing back the config loaded before it would
    undo what the household's app saved meanwhile (a withdrawn photo consent). Atomic: a power cut
    leaves the old file or the new one. Raises (nothing written) when the file no longer reads as a
    config with this bin."""
    with path.open(encoding="utf-8") as f:
        data = yaml.safe_load(f)
    AgentConfig.model_validate(data).bin(bin_id)  # a dict with this bin, before it is looked into
    for b in data["bins"]:
        if b["id"] == bin_id:
            b["calibration"] = calibration.model_dump(mode="json")
    config = AgentConfig.model_validate(data)
    atomic.write_text(path, yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return config


def _iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).isoformat()


class ScaleAgent:
    def __init__(
        self,
        config: AgentConfig,
        queue: EventQueue,
        scales: dict[str, ScaleReader] | None = None,
        cameras: dict[str, BinCamera] | None = None,
        donors: photos.Donors | None = None,
    ) -> None:
        """`donors`: the consent the cameras ask before keeping each frame; `donors_in(config file)`
        where the agent runs from one, so that a withdrawal saved while it runs stops the next frame."""
        self.config, self.queue = config, queue
        self.scales = scales if scales is not None else {b.id: open_scale(b.driver) for b in config.bins}
        if cameras is None:
            cameras = open_cameras([(b.id, b.camera) for b in config.bins], config.contamination, donors=donors)
        self.cameras = cameras
        self.photo_dir = config.photo_dir()
        # Before the uploader can start: frames of a bin whose household withdrew consent never go.
        photos.withdraw(queue, config.donating_bins())
        photos.sweep(self.photo_dir, queue)
        self.detectors: dict[str, StableWeightDetector] = {}
        self.last_t: dict[str, float] = {}  # time of each bin's latest reading
        self._persisted: dict[str, float | None] = {}
        for b in config.bins:
            saved = queue.state(f"bin:{b.id}", {})
            self.detectors[b.id] = StableWeightDetector(
                config.detector, saved.get("reference"), saved.get("lifted", False)
            )
            self._persisted[b.id] = saved.get("reference")
        self._warned_uncalibrated: set[str] = set()

    def step(self, bin_id: str) -> Change | None:
        """One reading of one bin; a settled change is queued (durably) before this returns."""
        b = self.config.bin(bin_id)
        reading = self.scales[bin_id].read()
        self.last_t[bin_id] = reading.t
        det = self.detectors[bin_id]
        change = det.feed(reading.t, b.calibration.kg(reading.raw))
        state = {"reference": det.reference, "lifted": det.lifted}
        if change is not None and not b.calibration.is_set:
            # Raw counts are no kilograms ("8269 kg"): nothing of an uncalibrated bin leaves the device.
            if bin_id not in self._warned_uncalibrated:
                log.error(
                    "%s is not calibrated: run `zerowaste edge scale tare` and `calibrate`; not uploading", bin_id
                )
                self._warned_uncalibrated.add(bin_id)
            return None
        if change is not None:
            fields = self._event(b, change)
            photo = self._look(bin_id, change, fields)
            try:
                # Without a camera the event is what it was before cameras existed (no "quality": null).
                event, problem = WeighingEvent.model_validate(fields).model_dump(mode="json", exclude_none=True), ""
            except ValidationError as exc:
                # A faulty load cell (NaN) makes an event the service would refuse: kept on the
                # device for `edge scale status`, never sent, and the queue behind it keeps moving.
                event, problem = fields, f"not a valid weighing: {exc}"
            self.queue.put(event, {f"bin:{bin_id}": state}, photo)
            if problem:
                self.queue.quarantine([event["id"]], problem)
                log.error("%s: %s", bin_id, problem[:300])
            self._persisted[bin_id] = det.reference
            log.info("%s %s: %+.3f kg (now %.3f kg)", bin_id, change.kind, change.net_kg, change.gross_kg)
        elif det.reference is not None and (
            (persisted := self._persisted[bin_id]) is None or abs(det.reference - persisted) >= DRIFT_PERSIST_KG
        ):
            self.queue.set_state({f"bin:{bin_id}": state})
            self._persisted[bin_id] = det.reference
        return change

    def _look(self, bin_id: str, change: Change, fields: dict[str, Any]) -> Path | None:
        """The camera's quality into the event's fields; the donated frame's file, where one was kept."""
        camera = self.cameras.get(bin_id)
        if camera is None or not camera.wants(change.kind):
            return None
        seen = camera.observe(dt.datetime.fromtimestamp(change.t, dt.UTC))
        if seen is None:
            return None
        quality, path = seen.quality, None
        if seen.jpeg is not None:
            try:
                path = photos.save(self.photo_dir, fields["id"], seen.jpeg)
            except OSError as exc:  # a full card costs the photo, never the weighing
                log.error("%s: donated frame not kept (%s)", bin_id, exc)
                quality = quality.model_copy(update={"photo_donated": False})
        fields["quality"] = quality.model_dump(mode="json")
        found = ", ".join(f.kind for f in quality.findings) or "clean"
        log.info("%s %s camera: %s (%.0f ms)", bin_id, quality.camera, found, seen.ms)
        return path

    def replay_until(self, t: float) -> None:
        """Step every bin until its readings reach time t or its trace ends (replays run as fast as they go)."""
        for b in self.config.bins:
            try:
                while self.last_t.get(b.id, float("-inf")) < t:
                    self.step(b.id)
            except EOFError:
                self.last_t[b.id] = float("inf")

    def _event(self, b: BinConfig, change: Change) -> dict[str, Any]:
        return {
            "id": str(uuid.uuid4()),
            "device": self.config.device_id,
            "bin": b.id,
            "stream": b.stream,
            "kind": change.kind,
            "net_kg": change.net_kg,
            "gross_kg": change.gross_kg,
            "measured_at": _iso(change.t),
            "firmware": FIRMWARE,
            "calibration_version": b.calibration.version,
        }

    def run(self, stop: threading.Event, uploader: Any | None = None) -> None:
        """Sample every bin at sample_hz until stopped (or a replayed trace ends); upload in a thread."""
        thread = None
        if uploader is not None:
            thread = threading.Thread(
                target=uploader.run, args=(stop, self.config.upload_interval_s), name="uploader", daemon=True
            )
            thread.start()
        # A replayed trace that is not paced in real time runs as fast as the CPU allows.
        fast = all(isinstance(b.driver, SimulatedConfig) and not b.driver.realtime for b in self.config.bins)
        period = 0.0 if fast else 1.0 / self.config.sample_hz
        ended: set[str] = set()  # bins whose replayed trace is over; the others go on
        try:
            while not stop.is_set() and len(ended) < len(self.config.bins):
                started = time.monotonic()
                for b in self.config.bins:
                    if b.id in ended:
                        continue
                    try:
                        self.step(b.id)
                    except EOFError:
                        log.info("the simulated trace of %s has ended", b.id)
                        ended.add(b.id)
                stop.wait(max(0.0, period - (time.monotonic() - started)))
        finally:
            for scale in self.scales.values():
                scale.close()
            for camera in self.cameras.values():
                camera.close()
            if thread is not None and uploader is not None:
                stop.set()
                thread.join(timeout=60)
                uploader.drain()  # one last try, so a replay's tail is not left behind needlessly

"""Bin cameras (issue 25): a frame when a deposit settles (lid camera) or a bin is emptied (truck),
the contamination model run on the device, and the result carried by the weighing event.

Cameras sit behind one interface, like the scale drivers: each kind owns its config, the configs form
a union tagged on `kind`, and `open_camera` builds one from a registry. The frame stays in memory
and is dropped after the model has seen it; only with the household's consent (`donate_photos`, asked of
the config file at each frame) is it encoded as a JPEG and handed to the agent, which keeps it beside
the queue until the service has it.

A camera never holds up a weighing: capture and model run in a worker thread with a deadline, and a
camera that fails or is late only means an event without quality (and a line in the log).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import random
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

from zerowaste.edge.photos import Donors
from zerowaste.model.contamination import ContaminationModel, shipped_contamination_path
from zerowaste.model.image_io import load_image
from zerowaste.wire import BinQuality, Camera, EventKind

log = logging.getLogger(__name__)

FRAME_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp")
# The event each role looks at: the lid sees what was just thrown in, the truck what falls out.
ROLE_EVENT: dict[Camera, EventKind] = {"lid": "deposit", "truck": "emptying"}
JPEG_QUALITY = 90


class CameraError(RuntimeError):
    pass


def camera_frames(source: str, every_s: float, limit: int) -> Iterator[tuple[str, np.ndarray]]:
    """RGB frames from a camera index ("0"), a device path, a stream URL or a video file."""
    import cv2

    cap = cv2.VideoCapture(int(source) if source.isdigit() else source)
    if not cap.isOpened():
        raise OSError(f"cannot open camera {source!r}")
    try:
        n, last = 0, -float("inf")
        while limit <= 0 or n < limit:
            ok, frame = cap.read()
            if not ok:
                return
            now = time.monotonic()
            if now - last < every_s:
                continue
            last = now
            yield f"{source}#{n}", cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            n += 1
    finally:
        cap.release()


class _CameraConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Camera = Field(default="lid", description="lid: a frame per settled deposit; truck: per emptying")
    donate_photos: bool = Field(
        default=False, description="the household consented to donating its frames; otherwise none leaves the device"
    )
    timeout_s: float = Field(default=5.0, gt=0, description="longer than this for frame and model: no quality")


class OpenCVCameraConfig(_CameraConfig):
    kind: Literal["opencv"]
    source: str = Field(min_length=1, description="camera index (0), device path or stream URL")
    warmup_frames: int = Field(
        default=5, ge=0, le=100, description="frames read and dropped first, while exposure settles"
    )


class SimulatedCameraConfig(_CameraConfig):
    kind: Literal["simulated"]
    frames: Path = Field(description="folder of frame files (JPEG, PNG)")
    order: Literal["sequential", "random"] = Field(
        default="sequential", description="sequential: by file name; random: a seeded choice each time"
    )
    seed: int = 0
    loop: bool = Field(default=False, description="sequential: start again after the last file (else: no frame)")


CameraConfig = Annotated[OpenCVCameraConfig | SimulatedCameraConfig, Field(discriminator="kind")]


class FrameSource(ABC):
    @abstractmethod
    def grab(self) -> np.ndarray:
        """One RGB frame, (H, W, 3) uint8; raises CameraError when there is none."""

    def close(self) -> None:  # noqa: B027 - most cameras have nothing to release
        pass


class OpenCVCamera(FrameSource):
    """Opened for each frame: a lid camera is needed a few times a day, and a device left open holds
    the USB bandwidth and keeps the sensor warm for nothing."""

    def __init__(self, config: OpenCVCameraConfig) -> None:
        self.config = config

    def grab(self) -> np.ndarray:
        frame = None
        try:
            # The last one: the warm-up frames before it are dark while the exposure settles.
            for _, latest in camera_frames(self.config.source, 0.0, self.config.warmup_frames + 1):
                frame = latest
        except OSError as exc:
            raise CameraError(str(exc)) from exc
        if frame is None:
            raise CameraError(f"camera {self.config.source!r} gave no frame")
        return frame


class SimulatedCamera(FrameSource):
    """Frames from files, as the simulated scale replays a trace."""

    def __init__(self, config: SimulatedCameraConfig) -> None:
        if not config.frames.is_dir():
            raise CameraError(f"no folder {config.frames} for the simulated camera")
        self.files = sorted(p for p in config.frames.iterdir() if p.suffix.lower() in FRAME_SUFFIXES)
        self.config = config
        self._next = 0
        self._rng = random.Random(config.seed)

    def grab(self) -> np.ndarray:
        if not self.files:
            raise CameraError(f"no frame files in {self.config.frames}")
        if self.config.order == "random":
            path = self._rng.choice(self.files)
        else:
            if self._next >= len(self.files) and not self.config.loop:
                raise CameraError(f"the simulated camera has shown all {len(self.files)} frames")
            path = self.files[self._next % len(self.files)]
            self._next += 1
        try:
            return np.asarray(load_image(path))
        except (OSError, ValueError) as exc:
            raise CameraError(f"{path}: {exc}") from exc


CAMERAS: dict[str, Callable[[Any], FrameSource]] = {"opencv": OpenCVCamera, "simulated": SimulatedCamera}


def open_camera(config: OpenCVCameraConfig | SimulatedCameraConfig) -> FrameSource:
    try:
        factory = CAMERAS[config.kind]
    except KeyError:
        raise CameraError(f"unknown camera kind {config.kind!r}; known: {', '.join(CAMERAS)}") from None
    return factory(config)


class ContaminationConfig(BaseModel):
    """The agent's contamination model, loaded once and shared by every bin's camera."""

    model_config = ConfigDict(extra="forbid")

    model: Path | None = Field(default=None, description="ONNX file (default: the shipped INT8 contamination model)")
    threads: int = Field(default=1, ge=0, description="ONNX Runtime threads (0: as many as cores)")
    photo_dir: Path | None = Field(
        default=None, description="where donated frames wait for upload (default: beside the queue)"
    )

    def model_path(self) -> Path:
        return self.model or shipped_contamination_path("int8")


@dataclass
class Observation:
    quality: BinQuality
    jpeg: bytes | None  # the frame, only where the household donates its photos
    ms: float  # frame and model together


def encode_jpeg(frame: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(frame).save(buf, "JPEG", quality=JPEG_QUALITY)
    return buf.getvalue()


class BinCamera:
    """One bin's camera and the shared model: at the right event, one frame becomes a BinQuality."""

    def __init__(
        self,
        bin_id: str,
        config: OpenCVCameraConfig | SimulatedCameraConfig,
        source: FrameSource,
        model: ContaminationModel,
        donors: Donors | None = None,
    ) -> None:
        self.bin_id, self.config, self.source, self.model = bin_id, config, source, model
        # The consent as the config file says now (agent.donors_in); without one, the config given.
        self.donors = donors
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"camera-{bin_id}")
        self._busy: Future[Observation] | None = None

    def wants(self, kind: str) -> bool:
        return ROLE_EVENT[self.config.role] == kind

    def observe(self, at: dt.datetime) -> Observation | None:
        """The quality of the bin now, or None (logged) when the camera gives nothing in time."""
        if self._busy is not None and not self._busy.done():
            # A camera stuck on the last frame gets no second thread: this event goes without.
            log.error("%s: camera still busy with the last frame; event without quality", self.bin_id)
            return None
        self._busy = self._pool.submit(self._observe, at)
        try:
            return self._busy.result(timeout=self.config.timeout_s)
        except FutureTimeout:
            log.error("%s: no frame within %.1f s; event without quality", self.bin_id, self.config.timeout_s)
        except CameraError as exc:
            log.error("%s: camera failed (%s); event without quality", self.bin_id, exc)
        except Exception:  # a model or decoder error must not cost the weighing either
            log.exception("%s: assessing the frame failed; event without quality", self.bin_id)
        return None

    def _observe(self, at: dt.datetime) -> Observation:
        started = time.perf_counter()
        frame = self.source.grab()
        (assessment,) = self.model.assess([frame])
        donated = self._donating()  # asked last, for a withdrawal saved while the frame came
        jpeg = encode_jpeg(frame) if donated else None
        del frame  # without consent this was the only copy, and it was never written anywhere
        quality = assessment.to_wire(self.model.sha256, self.config.role, at, donated)
        return Observation(quality, jpeg, (time.perf_counter() - started) * 1000)

    def _donating(self) -> bool:
        """Whether this frame may be kept. The config this camera was built from is the agent's at its
        start, and a household that withdrew since must not have one more frame written; consent that
        cannot be told now (the file unreadable mid-edit) counts as withdrawn for this frame."""
        if self.donors is None:
            return self.config.donate_photos
        try:
            now = self.donors()
        except Exception:  # the quality is still worth having, only the frame is not kept
            log.exception("%s: photo consent unknown; the frame is not kept", self.bin_id)
            return False
        return now is not None and self.bin_id in now

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.source.close()


def load_model(config: ContaminationConfig) -> ContaminationModel:
    return ContaminationModel(config.model_path(), config.threads)


def open_cameras(
    bins: list[tuple[str, OpenCVCameraConfig | SimulatedCameraConfig | None]],
    config: ContaminationConfig,
    model: ContaminationModel | None = None,
    donors: Donors | None = None,
) -> dict[str, BinCamera]:
    """A BinCamera per bin that has one. What cannot be opened is logged and left out: the scales
    keep weighing without quality rather than the agent refusing to start."""
    wanted = [(b, c) for b, c in bins if c is not None]
    if not wanted:
        return {}
    if model is None:
        try:
            model = load_model(config)
        except Exception:
            log.exception("the contamination model %s cannot be loaded; weighing without quality", config.model_path())
            return {}
    cameras: dict[str, BinCamera] = {}
    for bin_id, cam in wanted:
        try:
            cameras[bin_id] = BinCamera(bin_id, cam, open_camera(cam), model, donors)
        except CameraError as exc:
            log.error("%s: camera not opened (%s); weighing without quality", bin_id, exc)
    return cameras

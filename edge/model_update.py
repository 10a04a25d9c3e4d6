"""Model updates on the device: ask the service for this device's model, download it resumably,
verify size, sha256 and the Ed25519 signature, swap it in atomically, keep the previous one, and roll
back when the new model fails its smoke check.

Layout under the model folder (default /var/lib/zerowaste/models):

    models/<sha256>.onnx   verified files (the current and the previous one are kept)
    current.onnx           symlink to the model in use; replaced with one rename, so a reader sees the
                           old or the new model, never none and never half of one
    incoming/<sha>.part    a download in progress; the next attempt continues it with HTTP Range
    state.json             current, previous, refused (models that failed here are not fetched again)

Nothing unverified is ever loaded: the signature is checked against the public keys provisioned on
the device before a downloaded file leaves incoming/.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml
from pydantic import Field, ValidationError

from zerowaste import atomic
from zerowaste.edge.link import ServiceLink
from zerowaste.model import signing
from zerowaste.model.spec import file_sha256
from zerowaste.wire import MODEL_OFFER_PATH, MODEL_REPORT_PATH, ModelOffer, ModelReport, ModelStatus

log = logging.getLogger(__name__)


class UpdaterConfig(ServiceLink):
    """/etc/zerowaste/models.yaml; unknown keys are refused."""

    folder: Path = Path("/var/lib/zerowaste/models")
    trusted_keys: list[str] = Field(min_length=1, description="base64 Ed25519 public keys (GET /v1/models/signing-key)")
    smoke_photos: Path | None = Field(default=None, description="a folder of photos the smoke check classifies")
    check_interval_s: float = Field(default=3600.0, gt=0)

    def photos(self) -> list[Path]:
        if self.smoke_photos is None:
            return []
        return sorted(p for p in self.smoke_photos.rglob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"})[:8]


def load_updater_config(path: Path) -> UpdaterConfig:
    with path.open(encoding="utf-8") as f:
        config = UpdaterConfig.model_validate(yaml.safe_load(f))
    for key in config.trusted_keys:
        signing.load_public(key)  # a typo in a key is a config error now, not a refused update later
    return config


class UpdateError(RuntimeError):
    """The update did not happen; the model in use is unchanged."""


class UntrustedModel(UpdateError):
    """No trusted key signed the offered file: it is refused for good, not fetched again."""


@dataclass
class State:
    current: str | None = None
    previous: str | None = None
    refused: list[str] = field(default_factory=list)
    # Downloads of a model whose bytes did not match its size or sha256: a cut or a bad disk is worth
    # another try, a server handing out a broken file is not worth one at every interval.
    bad_downloads: dict[str, int] = field(default_factory=dict)


MAX_BAD_DOWNLOADS = 3


@dataclass
class Result:
    action: str  # up-to-date | installed | rolled-back | refused
    sha256: str | None
    detail: str = ""
    timings_s: dict[str, float] = field(default_factory=dict)
    resumed_from: int = 0


def smoke_check(path: Path, photos: list[Path] | None = None, timeout_s: float = 120.0) -> tuple[bool, str]:
    """Load the model and classify in a child process (`zerowaste.edge.smoke_check`): a file that
    crashes ONNX Runtime (an instruction this CPU lacks, a corrupt graph) fails the check instead of
    killing the updater."""
    try:
        run = subprocess.run(
            [sys.executable, "-m", "zerowaste.edge.smoke_check", str(path), *map(str, photos or [])],
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
    except subprocess.TimeoutExpired:
        return False, f"smoke check took longer than {timeout_s:.0f} s"
    if run.returncode != 0:
        last = (run.stderr.strip().splitlines() or [f"exit status {run.returncode}"])[-1]
        return False, f"smoke check failed (exit {run.returncode}): {last}"[:300]
    return True, f"loads and classifies {max(1, len(photos or []))} photo(s): {run.stdout.strip()}"[:300]


class ModelUpdater:
    def __init__(
        self,
        folder: Path,
        trusted_keys: list[str],
        client: httpx.Client | None = None,
        smoke_photos: list[Path] | None = None,
    ) -> None:
        self.folder = folder
        self.trusted_keys = trusted_keys
        self.client = client
        self.smoke_photos = smoke_photos or []
        for sub in ("models", "incoming"):
            (folder / sub).mkdir(parents=True, exist_ok=True)

    # --- local state ------------------------------------------------------------------------------
    @property
    def current_link(self) -> Path:
        return self.folder / "current.onnx"

    def model_path(self, sha256: str) -> Path:
        return self.folder / "models" / f"{sha256}.onnx"

    def state(self) -> State:
        try:
            return State(**json.loads((self.folder / "state.json").read_text()))
        except FileNotFoundError:
            return State()

    def _save(self, state: State) -> None:
        atomic.write_text(self.folder / "state.json", json.dumps(asdict(state)))

    def current(self) -> Path | None:
        """The model in use, or None before the first update (the device then runs the shipped model)."""
        return self.current_link.resolve() if self.current_link.is_symlink() and self.current_link.exists() else None

    def _point_to(self, sha256: str) -> None:
        tmp = self.folder / "current.onnx.new"
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(Path("models") / f"{sha256}.onnx")
        os.replace(tmp, self.current_link)  # rename(2): atomic
        atomic.fsync(self.folder)

    # --- talking to the service -------------------------------------------------------------------
    def _client(self) -> httpx.Client:
        if self.client is None:
            raise UpdateError("no service configured")
        return self.client

    def offer(self) -> ModelOffer:
        try:
            r = self._client().get(MODEL_OFFER_PATH)
        except httpx.TransportError as exc:
            raise UpdateError(f"service unreachable: {exc}") from exc
        if r.status_code != 200:
            raise UpdateError(f"service answered {r.status_code}: {r.text[:200]}")
        try:
            return ModelOffer.model_validate_json(r.content)
        except ValidationError as exc:
            raise UpdateError(f"the service's offer is malformed: {exc}") from exc

    def report(self, sha256: str, status: ModelStatus, detail: str) -> None:
        """Best effort: the service shows staff what each device runs; an outage must not block an update."""
        try:
            report = ModelReport(sha256=sha256, status=status, detail=detail[:500])
            self._client().post(MODEL_REPORT_PATH, json=report.model_dump(mode="json"))
        except (httpx.TransportError, UpdateError) as exc:
            log.warning("could not report %s %s: %s", status, sha256[:12], exc)

    def download(self, offer: ModelOffer) -> tuple[Path, int]:
        """Fetch into incoming/<sha>.part, continuing what an earlier attempt left. Returns the part file
        and the byte it resumed from."""
        part = self.folder / "incoming" / f"{offer.sha256}.part"
        have = part.stat().st_size if part.exists() else 0
        if have > offer.size:
            part.unlink()
            have = 0
        start = have
        if have < offer.size:
            headers = {"Range": f"bytes={have}-"} if have else {}
            try:
                with self._client().stream("GET", offer.url, headers=headers) as r:
                    if r.status_code == 200 and have:
                        have = 0  # the server ignored the range: start over
                    elif r.status_code not in (200, 206):
                        raise UpdateError(f"download answered {r.status_code}")
                    with part.open("r+b" if have else "wb") as f:
                        f.seek(have)
                        f.truncate()
                        for chunk in r.iter_bytes():  # as received: a cut keeps every byte that arrived
                            f.write(chunk)
                        f.flush()
                        os.fsync(f.fileno())
            except httpx.TransportError as exc:
                raise UpdateError(f"download interrupted after {part.stat().st_size} bytes: {exc}") from exc
        return part, start

    def verify(self, offer: ModelOffer, part: Path) -> None:
        """Size, sha256 of the bytes on disk, and a trusted signature; a bad file is deleted."""
        size = part.stat().st_size
        problem, error = None, UpdateError
        if size != offer.size:
            problem = f"size {size} != {offer.size}"
        elif (digest := file_sha256(part)) != offer.sha256:
            problem = f"sha256 {digest[:12]}… != {offer.sha256[:12]}…"
        else:
            try:
                signing.verify(self.trusted_keys, offer.sha256, offer.size, offer.signature)
            except signing.SignatureError as exc:
                problem, error = str(exc), UntrustedModel
        if problem:
            part.unlink(missing_ok=True)
            raise error(f"model {offer.sha256[:12]} refused: {problem}")

    # --- the update ---------------------------------------------------------------------------------
    def install(self, sha256: str, verified: Path) -> Result:
        """Smoke-check a verified file where it will live, then swap it in; a file that fails never
        becomes current. (Checking after the swap left a device killed during the check on an
        unchecked model while its state named the old one.)"""
        timings: dict[str, float] = {}
        os.replace(verified, self.model_path(sha256))
        t = time.perf_counter()
        ok, detail = smoke_check(self.model_path(sha256), self.smoke_photos)
        timings["smoke"] = time.perf_counter() - t
        state = self.state()
        previous = state.current
        if not ok:
            self.model_path(sha256).unlink(missing_ok=True)
            self._refuse(state, sha256)
            return Result("rolled-back", previous, f"{sha256[:12]}: {detail}", timings)
        t = time.perf_counter()
        self._point_to(sha256)
        timings["swap"] = time.perf_counter() - t
        if previous and previous != sha256:
            state.previous = previous
        state.current = sha256
        self._prune(keep={sha256, state.previous})
        self._save(state)
        return Result("installed", sha256, detail, timings)

    def _refuse(self, state: State, sha256: str) -> None:
        """Remember a model that failed here, so that it is not fetched again until another is offered."""
        state.refused = [*[r for r in state.refused if r != sha256], sha256][-20:]
        state.bad_downloads.pop(sha256, None)
        self._save(state)

    def update(self) -> Result:
        offer = self.offer()
        state = self.state()
        if offer.sha256 == state.current and self.current() is not None:
            return Result("up-to-date", offer.sha256)
        if offer.sha256 in state.refused:
            return Result("refused", state.current, f"{offer.sha256[:12]} failed here before; waiting for another")
        if offer.sha256 == state.previous and self.model_path(offer.sha256).exists():
            return self._back_to_previous("the service rolled the channel back")  # no download needed
        t = time.perf_counter()
        part, resumed = self.download(offer)
        download_s = time.perf_counter() - t
        t = time.perf_counter()
        try:
            self.verify(offer, part)
        except UpdateError as exc:
            state = self.state()
            state.bad_downloads[offer.sha256] = state.bad_downloads.get(offer.sha256, 0) + 1
            # A file nobody trusted signed never becomes trustworthy; a corrupt download may come right.
            if isinstance(exc, UntrustedModel) or state.bad_downloads[offer.sha256] >= MAX_BAD_DOWNLOADS:
                self._refuse(state, offer.sha256)
            else:
                self._save(state)
            self.report(offer.sha256, "refused", str(exc))
            raise
        verify_s = time.perf_counter() - t
        result = self.install(offer.sha256, part)
        result.timings_s = {"download": download_s, "verify": verify_s, **result.timings_s}
        result.resumed_from = resumed
        self.report(offer.sha256, "installed" if result.action == "installed" else "rolled-back", result.detail)
        return result

    def _back_to_previous(self, why: str) -> Result:
        state = self.state()
        if not state.previous or not self.model_path(state.previous).exists():
            raise UpdateError("no previous model kept on this device")
        t = time.perf_counter()
        self._point_to(state.previous)
        state.current, state.previous = state.previous, state.current
        self._save(state)
        assert state.current is not None
        self.report(state.current, "installed", why)
        return Result("installed", state.current, why, {"swap": time.perf_counter() - t})

    def rollback(self) -> Result:
        """Staff on site: go back to the previous model at once, and stay there: the model rolled back
        from is refused, so the next update does not install it again while the service still offers it."""
        rolled_back_from = self.state().current
        result = self._back_to_previous("rolled back on the device")
        if rolled_back_from:
            self._refuse(self.state(), rolled_back_from)
        return result

    def _prune(self, keep: set[str | None]) -> None:
        for f in (self.folder / "models").glob("*.onnx"):
            if f.stem not in keep:
                f.unlink()
        for f in (self.folder / "incoming").glob("*.part"):
            if f.stem not in keep:
                f.unlink()


def status(folder: Path) -> dict[str, Any]:
    updater = ModelUpdater(folder, [])
    current = updater.current()
    return {**asdict(updater.state()), "current_path": str(current) if current else None}

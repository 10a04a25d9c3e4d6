"""Store and forward: batches from the queue to the service, with retry and backoff.

The service answers for every event in a batch (accepted, duplicate, or rejected and kept for staff
review); only then does the event leave the queue. A lost answer means the batch is sent again, and
the service's idempotency by event id makes that harmless. Nothing is ever dropped on the device:
a wrong token or a refusing server keeps the queue growing and the log saying why.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import ValidationError

from zerowaste.edge import photos
from zerowaste.edge.queue import EventQueue
from zerowaste.wire import WEIGHINGS_PATH, BatchResult

log = logging.getLogger(__name__)


@dataclass
class Backoff:
    """Exponential backoff with full jitter (so a neighbourhood of agents does not retry in step)."""

    base_s: float = 1.0
    cap_s: float = 900.0
    failures: int = 0
    rng: random.Random | None = None

    def next_delay(self) -> float:
        self.failures += 1
        ceiling = min(self.cap_s, self.base_s * 2 ** min(self.failures, 30))
        return (self.rng or random).uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        self.failures = 0


@dataclass
class Outcome:
    sent: int
    acked: int
    error: str | None = None
    retry_in_s: float = 0.0
    clock_offset_s: float | None = None
    photos: int = 0  # donated frames the service acknowledged

    @property
    def ok(self) -> bool:
        return self.error is None


class Uploader:
    def __init__(
        self,
        queue: EventQueue,
        client: httpx.Client,
        *,
        donors: photos.Donors,
        batch_size: int = 100,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.queue, self.client, self.batch_size = queue, client, batch_size
        self.donors = donors  # asked before each round and each frame: consent may be withdrawn meanwhile
        self._before_isolating: int | None = None  # the batch size to return to once a culprit is found
        self.backoff = backoff or Backoff()
        self.clock = clock

    def upload_batch(self) -> Outcome:
        events = self.queue.peek(self.batch_size)
        if not events:
            return Outcome(0, 0)
        self.queue.mark_attempt([e["id"] for e in events])
        sent_at = dt.datetime.fromtimestamp(self.clock(), dt.UTC).isoformat()
        try:
            # NaN or infinity from a faulty load cell is no JSON: this batch cannot be sent as it is.
            body = json.dumps({"sent_at": sent_at, "events": events}, allow_nan=False)
        except ValueError as exc:
            return self._refused(events, f"not JSON: {exc}")
        try:
            r = self.client.post(WEIGHINGS_PATH, content=body, headers={"Content-Type": "application/json"})
        except httpx.TransportError as exc:
            return self._failed(len(events), f"network: {type(exc).__name__}: {exc}")
        if r.status_code == 413 and self.batch_size > 1:
            self.batch_size = max(1, self.batch_size // 2)
            return self._failed(len(events), f"batch too large; trying {self.batch_size} events per batch")
        if r.status_code in (400, 422):
            return self._refused(events, f"HTTP {r.status_code}: {r.text[:500]}")
        if r.status_code != 200:
            level = logging.ERROR if r.status_code in (401, 403) else logging.WARNING
            log.log(level, "upload refused (%s): %s", r.status_code, r.text[:300])
            return self._failed(len(events), f"HTTP {r.status_code}")
        try:
            answer = BatchResult.model_validate_json(r.content)
        except ValidationError as exc:
            # Nothing is acknowledged from an answer that cannot be read: the events go again, and the
            # service answers a resend "duplicate".
            return self._failed(len(events), f"unreadable answer: {str(exc)[:300]}")
        # Only what this batch asked: an answer naming another queued event (a faulty or hostile
        # service) must not acknowledge it unsent, nor cost it its donated frame.
        asked = {e["id"] for e in events}
        results = [res for res in answer.results if res.id in asked]
        if strays := len(answer.results) - len(results):
            log.warning("the answer names %d events this batch did not send: ignored", strays)
        rejected = [res.id for res in results if res.status == "rejected"]
        for res in results:
            if res.status == "rejected":
                log.warning("event %s rejected, kept for staff review: %s", res.id, "; ".join(res.reasons))
        acked = self.queue.ack([res.id for res in results])
        photos.drop(self.queue, rejected)  # the service keeps no photo for an event it did not take
        self.backoff.reset()
        offset = answer.clock_offset_s
        if abs(offset) > 60:
            log.warning("device clock is %.0f s off the server's; the server corrects event times", offset)
        return Outcome(len(events), acked, clock_offset_s=offset)

    def _refused(self, events: list[dict[str, Any]], reason: str) -> Outcome:
        """The batch as a whole cannot go, so something in it is malformed: halve until the culprit is
        alone, then set it aside, so that it no longer blocks the events behind it."""
        if len(events) > 1:
            if self._before_isolating is None:
                self._before_isolating = self.batch_size
            self.batch_size = max(1, len(events) // 2)
            log.warning("batch refused (%s); trying %d events per batch", reason[:200], self.batch_size)
            return Outcome(len(events), 0)
        self.queue.quarantine([events[0]["id"]], reason)
        if self._before_isolating is not None:
            self.batch_size, self._before_isolating = self._before_isolating, None
        log.error("event %s refused as malformed, quarantined on the device: %s", events[0]["id"], reason[:300])
        return Outcome(1, 0)

    def _failed(self, sent: int, error: str) -> Outcome:
        delay = self.backoff.next_delay()
        log.warning("upload failed (%s); %d queued, retry in %.0f s", error, len(self.queue), delay)
        return Outcome(sent, 0, error=error, retry_in_s=delay)

    def drain(self, max_batches: int = 1_000_000) -> Outcome:
        """Send batches until the queue is empty or one fails; returns the total (and the failure)."""
        # Before the events, so that a queued event whose frame was withdrawn goes marked not donated.
        if (donors := self.donors()) is not None:
            photos.withdraw(self.queue, donors)
        total = Outcome(0, 0)
        for _ in range(max_batches):
            out = self.upload_batch()
            total.sent, total.acked = total.sent + out.sent, total.acked + out.acked
            total.clock_offset_s = out.clock_offset_s or total.clock_offset_s
            if not out.ok:
                total.error, total.retry_in_s = out.error, out.retry_in_s
                return total
            if out.sent == 0:
                break
        # After the events: a frame may go only once the service has its event.
        sent = photos.upload(self.queue, self.client, self.donors)
        total.photos = sent.sent
        if sent.error is not None:
            total.error, total.retry_in_s = sent.error, self.backoff.next_delay()
            log.warning("photo upload failed (%s); retry in %.0f s", sent.error, total.retry_in_s)
        return total

    def run(self, stop: threading.Event, interval_s: float) -> None:
        while not stop.is_set():
            try:
                out = self.drain()
            except Exception:
                # The thread's end would be silent (a daemon) and the weighings would pile up until a
                # restart; a locked queue or an unreadable config is gone by a later round.
                delay = self.backoff.next_delay()
                log.exception("upload round failed; retry in %.0f s", delay)
                stop.wait(delay)
                continue
            stop.wait(out.retry_in_s if not out.ok else interval_s)

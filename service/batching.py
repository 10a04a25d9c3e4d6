"""Micro-batching: concurrent classify requests share one ONNX Runtime run.

One inference thread runs the model; requests queue their preprocessed photo and wait for their row.
While a batch runs, the next requests gather, and the thread takes them all (up to `max_batch`) when it is
free: under load the batches fill by themselves, and a lone request runs at once. An optional window
waits a little longer for company. One thread also means ONNX Runtime's own threads are not
oversubscribed by many runs at once, which on a 2-core host costs more than batching saves.

A full queue is refused (`Overloaded`, 503 with Retry-After) instead of growing without bound: a
request that would wait longer than a client will is better answered now.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from zerowaste.model.runtime import Classifier, Prediction


class Overloaded(Exception):
    """The queue is full; try again after `retry_after_s` seconds."""

    def __init__(self, queued: int, retry_after_s: int) -> None:
        super().__init__(f"{queued} photos are waiting for the model; try again in {retry_after_s} s")
        self.retry_after_s = retry_after_s


@dataclass
class _Job:
    classifier: Classifier
    x: np.ndarray  # (3, H, W) preprocessed
    future: asyncio.Future[Prediction] = field(repr=False)


def _row(p: Prediction, i: int) -> Prediction:
    return Prediction(
        waste=p.waste[i : i + 1], item=p.item[i : i + 1], distance=None if p.distance is None else p.distance[i : i + 1]
    )


class MicroBatcher:
    def __init__(self, max_batch: int = 8, window_ms: float = 0.0, max_queue: int = 64) -> None:
        if max_batch < 1 or max_queue < 1 or window_ms < 0:
            raise ValueError("max_batch and max_queue must be at least 1, window_ms not negative")
        self.max_batch, self.window_s, self.max_queue = max_batch, window_ms / 1000, max_queue
        self._queue: asyncio.Queue[_Job] | None = None
        self._task: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._seconds_per_photo = 0.01  # refined by every batch; sizes Retry-After
        self.taken = 0  # photos taken off the queue
        self.batches = 0
        self.photos = 0  # photos answered

    async def start(self) -> None:
        self._queue = asyncio.Queue()
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="inference")
        self._task = asyncio.get_running_loop().create_task(self._run(), name="micro-batcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        while self._queue is not None and not self._queue.empty():
            job = self._queue.get_nowait()
            if not job.future.done():
                job.future.set_exception(Overloaded(0, 1))
        self._task = self._executor = None

    @property
    def waiting(self) -> int:
        return 0 if self._queue is None else self._queue.qsize()

    async def predict(self, classifier: Classifier, x: np.ndarray) -> Prediction:
        """Both heads' probabilities for one preprocessed photo, computed in a batch with whoever else waits."""
        if self._queue is None or self._task is None or self._task.done():
            raise RuntimeError("the batcher is not running: start() it in the app's lifespan")
        queued = self._queue.qsize()
        if queued >= self.max_queue:
            raise Overloaded(queued, max(1, math.ceil(queued * self._seconds_per_photo)))
        future: asyncio.Future[Prediction] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Job(classifier, x, future))
        return await future

    async def _gather(self) -> list[_Job]:
        assert self._queue is not None
        jobs = [await self._queue.get()]
        self.taken += 1
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.window_s
        while len(jobs) < self.max_batch:
            if not self._queue.empty():
                jobs.append(self._queue.get_nowait())
                self.taken += 1
                continue
            left = deadline - loop.time()
            if left <= 0:
                break
            try:
                jobs.append(await asyncio.wait_for(self._queue.get(), left))
            except TimeoutError:
                break
            self.taken += 1
        return jobs

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            jobs = [j for j in await self._gather() if not j.future.done()]  # the client may have gone
            # A model swap (registry promotion) between requests: each batch runs one file.
            by_model: dict[int, list[_Job]] = {}
            for job in jobs:
                by_model.setdefault(id(job.classifier), []).append(job)
            for group in by_model.values():
                start = loop.time()
                try:
                    batch = np.stack([j.x for j in group])
                    prediction = await loop.run_in_executor(self._executor, group[0].classifier.predict, batch)
                except Exception as exc:  # the requests fail, the batcher goes on
                    for job in group:
                        if not job.future.done():
                            job.future.set_exception(exc)
                    continue
                per_photo = (loop.time() - start) / len(group)
                self._seconds_per_photo = 0.8 * self._seconds_per_photo + 0.2 * per_photo
                self.batches += 1
                self.photos += len(group)
                for i, job in enumerate(group):
                    if not job.future.done():
                        job.future.set_result(_row(prediction, i))

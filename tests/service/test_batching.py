"""Micro-batching with the shipped model: concurrent photos share runs, each gets its own row back, a
full queue is refused with 503 and Retry-After, and nothing waits forever."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.conftest import photos
from zerowaste.model.image_io import load_image
from zerowaste.model.preprocess import preprocess
from zerowaste.model.runtime import OnnxClassifier, shipped_model_path
from zerowaste.service.batching import MicroBatcher, Overloaded
from zerowaste.service.config import Settings
from zerowaste.service.main import create_app


@pytest.fixture(scope="module")
def classifier() -> OnnxClassifier:
    return OnnxClassifier(shipped_model_path("int8"))


def inputs(classifier: OnnxClassifier, n: int) -> list[np.ndarray]:
    files = photos("garbage12", "shoes", n=n // 2) + photos("trashnet", "glass", n=n - n // 2)
    return [preprocess(load_image(f), classifier.spec.preprocessing) for f in files]


def test_concurrent_photos_share_runs_and_each_gets_its_own_answer(classifier: OnnxClassifier) -> None:
    xs = inputs(classifier, 12)
    alone = [classifier.predict(x[None]) for x in xs]

    async def run() -> tuple[list, MicroBatcher]:
        batcher = MicroBatcher(max_batch=4, max_queue=64)
        await batcher.start()
        try:
            return await asyncio.gather(*(batcher.predict(classifier, x) for x in xs)), batcher
        finally:
            await batcher.stop()

    got, batcher = asyncio.run(run())
    assert batcher.photos == 12 and batcher.batches <= 4  # 12 photos in batches of at most 4 (one may run alone)
    assert len({int(a.waste[0].argmax()) for a in alone}) > 1  # the photos are not all answered alike
    for single, batched in zip(alone, got, strict=True):
        assert batched.waste.shape == single.waste.shape and batched.item.shape == single.item.shape
        np.testing.assert_allclose(batched.waste, single.waste, atol=2e-3)
        assert batched.waste[0].argmax() == single.waste[0].argmax()
        assert batched.item[0].argmax() == single.item[0].argmax()


def test_a_full_queue_is_refused_with_a_retry_time(classifier: OnnxClassifier) -> None:
    xs = inputs(classifier, 8)

    async def run() -> list[object]:
        batcher = MicroBatcher(max_batch=2, max_queue=3)
        await batcher.start()
        try:
            # all eight arrive before the batcher takes any: three wait, five are refused at once
            return await asyncio.gather(*(batcher.predict(classifier, x) for x in xs), return_exceptions=True)
        finally:
            await batcher.stop()

    results = asyncio.run(run())
    refused = [r for r in results if isinstance(r, Overloaded)]
    assert len(refused) == 5 and all(r.retry_after_s >= 1 for r in refused)
    assert sum(not isinstance(r, BaseException) for r in results) == 3


def test_a_client_that_gives_up_does_not_stop_the_others(classifier: OnnxClassifier) -> None:
    xs = inputs(classifier, 4)

    async def run() -> list[object]:
        batcher = MicroBatcher(max_batch=8, window_ms=50)
        await batcher.start()
        try:
            tasks = [asyncio.create_task(batcher.predict(classifier, x)) for x in xs]
            await asyncio.sleep(0)
            tasks[1].cancel()
            return await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            await batcher.stop()

    results = asyncio.run(run())
    assert isinstance(results[1], asyncio.CancelledError)
    assert all(not isinstance(r, BaseException) for i, r in enumerate(results) if i != 1)


def test_over_http_a_full_queue_is_a_503_with_retry_after(tmp_path: Path) -> None:
    settings = Settings(
        environment="test",
        database_url=f"sqlite:///{tmp_path / 'z.db'}",
        data_dir=tmp_path,
        rate_limit="100000/minute",
        batch_max=1,
        batch_queue=1,
    )
    photo = photos("garbage12", "shoes", n=1)[0].read_bytes()
    with TestClient(create_app(settings)) as client:
        batcher: MicroBatcher = client.app.state.batcher  # type: ignore[attr-defined]
        # Hold the inference thread: the first photo is taken and waits for it, the second queues, and a
        # third finds the queue full. Each step waits for the one before: the order is forced.
        release = threading.Event()
        assert batcher._executor is not None
        batcher._executor.submit(release.wait, 60)

        def post() -> object:
            return client.post("/v1/classify", files={"file": ("p.jpg", photo, "image/jpeg")})

        def until(condition: Callable[[], bool]) -> None:
            deadline = time.monotonic() + 30
            while not condition():
                assert time.monotonic() < deadline
                time.sleep(0.01)

        try:
            with ThreadPoolExecutor(2) as pool:
                first = pool.submit(post)
                until(lambda: batcher.taken == 1)
                second = pool.submit(post)
                until(lambda: batcher.waiting == 1)
                refused = post()
                assert refused.status_code == 503  # type: ignore[attr-defined]
                assert int(refused.headers["Retry-After"]) >= 1  # type: ignore[attr-defined]
                assert "waiting for the model" in refused.json()["detail"]  # type: ignore[attr-defined]
                release.set()
                for answered in (first.result(60), second.result(60)):
                    assert answered.status_code == 200, answered.text  # type: ignore[attr-defined]
                    assert answered.json()["top"][0]["label"] == "shoes"  # type: ignore[attr-defined]
        finally:
            release.set()

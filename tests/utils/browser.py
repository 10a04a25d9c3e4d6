"""Headless Chromium (Debian's package) for the page tests, and the app served over real HTTP beside it.

.ci/run installs chromium and sets ZEROWASTE_REQUIRE_BROWSER=1, so there the page tests cannot skip.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from tests.utils.server import free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def launch(p: object) -> object:
    return p.chromium.launch(  # type: ignore[attr-defined]
        executable_path=CHROMIUM,
        headless=True,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    )


def wait_until(page: Any, expression: str, timeout: float = 30_000) -> None:
    """Playwright's wait_for_function, without it: that one compiles the predicate with eval inside the
    page, which the service's Content-Security-Policy (rightly) forbids; page.evaluate runs it from
    outside the page's policy."""
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise TimeoutError(f"still false after {timeout / 1000:.0f} s: {expression}")
        time.sleep(0.1)


def csp_violations(page: Any) -> list[str]:
    """A list that fills with every Content-Security-Policy violation the page reports from now on."""
    seen: list[str] = []
    page.on("console", lambda m: seen.append(m.text) if "Content Security Policy" in m.text else None)
    return seen


def need_browser() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("ZEROWASTE_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium is required here (apt-get install chromium)")
        pytest.skip("needs Debian's chromium package")
    pytest.importorskip("playwright")


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """`app` in uvicorn on a free port in a thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started:
        if time.time() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)

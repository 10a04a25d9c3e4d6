"""The citizen's page end to end in headless Chromium (Debian's package) against a real server.

.ci/run installs chromium and sets ZEROWASTE_REQUIRE_BROWSER=1, so there the test cannot skip.
The screenshot lands in test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from tests.conftest import shared_folder
from zerowaste.service.config import Settings
from zerowaste.service.main import create_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


def _need_browser() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("ZEROWASTE_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium is required here (apt-get install chromium)")
        pytest.skip("needs Debian's chromium package")
    pytest.importorskip("playwright")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("web")
    settings = Settings(environment="test", database_url=f"sqlite:///{tmp / 'web.db'}", data_dir=tmp)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started:
        if time.time() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_photo_to_answer_language_switch_and_wrong_feedback(server: str) -> None:
    _need_browser()
    from playwright.sync_api import sync_playwright

    photo = shared_folder("garbage12", "shoes") / "shoes_113.jpg"  # a boot
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        page = browser.new_page(viewport={"width": 420, "height": 1400})
        page.goto(server + "/")
        assert page.locator("#title").inner_text().startswith("Wohin damit?")
        page.set_input_files("#photo", str(photo))
        page.wait_for_selector("#label", timeout=30_000)
        assert page.locator("#item").inner_text().startswith("Stiefel (Schuhe)")
        assert page.locator("#label").inner_text() == "Material: Schuhe"
        assert "Altkleider" in page.locator("#where").inner_text()
        assert page.locator("#offers .offer").count() >= 1
        page.screenshot(path=str(ARTIFACTS / "classify-de.png"), full_page=True)

        page.click("#lang-switch")
        page.wait_for_function("document.getElementById('label').innerText === 'Material: Shoes'", timeout=30_000)
        assert page.locator("#item").inner_text().startswith("boot (shoes)")
        assert "takes: boot" in page.locator("#offers").inner_text()
        assert "Reuse first" in page.locator("#offers-title").inner_text()

        page.click("#wrong")
        assert page.locator("#correct-label option[value=clothes]").inner_text() == "Clothes"
        page.select_option("#correct-label", "clothes")
        page.check("#consent")
        page.click("#send")
        page.wait_for_function("document.getElementById('feedback-status').innerText.includes('Receipt')",
                               timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "feedback-en.png"), full_page=True)
        browser.close()
    assert (ARTIFACTS / "classify-de.png").stat().st_size > 10_000

"""The staff page's labelling tab in headless Chromium: label a page of real drinks photos with the keyboard,
save with Enter, and find the votes in the database; resolve a disagreement seeing both votes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tests.utils.browser import ARTIFACTS, launch, need_browser, wait_until
from tests.utils.labelling import drinks_copy
from zerowaste.model.runtime import OnnxClassifier, shipped_model_path
from zerowaste.service.config import Settings
from zerowaste.service.db.engine import make_engine
from zerowaste.service.db.models import LabelVote
from zerowaste.service.keys import create_key
from zerowaste.service.labelling import Ballot, import_folder, submit_votes
from zerowaste.service.photos import PhotoStore

QUEUE = "drinks"


@pytest.fixture(scope="module")
def engine(server: str, settings: Settings) -> Iterator[Engine]:  # noqa: ARG001 - the server migrated it
    engine = make_engine(settings.sqlalchemy_url)
    yield engine
    engine.dispose()


def votes(engine: Engine, labeller: str) -> dict[int, tuple[int, str]]:
    with Session(engine) as session:
        rows = session.scalars(select(LabelVote).where(LabelVote.labeller == labeller))
        return {v.photo_id: (v.pass_no, v.label) for v in rows}


def tiles(page: Any) -> list[int]:
    return [int(x) for x in page.eval_on_selector_all("#lab-grid .tile", "els => els.map(e => e.dataset.id)")]


def chosen(page: Any) -> list[str]:
    return page.eval_on_selector_all("#lab-grid .tile .chosen", "els => els.map(e => e.dataset.label)")


def sign_in(browser: Any, server: str, token: str) -> Any:
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    page.goto(server + "/staff")
    page.fill("#token", token)
    page.click("#enter")
    page.click("#tab-labelling")
    return page


def wait_for_photos(page: Any, n: int) -> None:
    wait_until(
        page,
        f"document.querySelectorAll('#lab-grid .tile img').length === {n} && "
        "[...document.querySelectorAll('#lab-grid .tile img')].every(i => i.naturalWidth > 0)",
        timeout=30_000,
    )


def test_label_a_page_with_the_keyboard_and_resolve_a_disagreement(
    server: str, settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    need_browser()
    from playwright.sync_api import sync_playwright

    drinks_copy(tmp_path, 40)
    with Session(engine) as session:
        added = import_folder(
            session, PhotoStore(settings.photo_dir), OnnxClassifier(shipped_model_path("int8")), tmp_path, QUEUE,
            progress=False,
        ).added  # fmt: skip
        assert added == 40
        anna, cara = (create_key(session, name, "staff") for name in ("page-anna", "page-cara"))

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = launch(p)  # type: ignore[assignment]
        page = sign_in(browser, server, anna)
        wait_for_photos(page, 24)
        first = tiles(page)
        assert "Labeln" in page.locator("#tab-labelling").inner_text()
        assert (
            "Metall" in page.locator("#lab-legend").inner_text()
            and "Grünglas" in page.locator("#lab-legend").inner_text()
        )

        # One key per photo: the cursor moves on to the next photo without a label.
        page.keyboard.press("1")  # tile 0: metal
        page.keyboard.press("2")  # tile 1: plastic
        page.keyboard.press("ArrowRight")  # tile 2 stays without a label for now
        page.keyboard.press("4")  # tile 3: green glass, then on to tile 4
        page.locator("#lab-grid .tile").nth(7).click(modifiers=["Shift"])  # tiles 4..7
        page.keyboard.press("3")  # white glass
        page.locator("#lab-grid .tile").nth(2).click()
        page.keyboard.press("m")  # tile 2: mixed; the cursor moves on to tile 8, the next without a label
        columns = page.evaluate("labColumns()")
        page.keyboard.press("ArrowDown")  # one row down
        page.keyboard.press("Shift+ArrowRight")  # and the one beside it
        page.keyboard.press("6")  # glass of unknown colour on both
        expected = {0: "metal", 1: "plastic", 2: "mixed", 3: "green-glass", 4: "white-glass", 5: "white-glass",
                    6: "white-glass", 7: "white-glass", 8 + columns: "glass", 9 + columns: "glass"}  # fmt: skip
        assert chosen(page) == [expected.get(i, "") for i in range(24)]
        assert page.locator("#lab-grid .tile").nth(0).locator(".chosen").inner_text() == "Metall"
        page.screenshot(path=str(ARTIFACTS / "labelling-de.png"), full_page=True)

        page.keyboard.press("Enter")
        wait_until(page, "document.getElementById('lab-status').innerText.includes('10 gespeichert')",
                               timeout=30_000)  # fmt: skip
        wait_for_photos(page, 24)
        assert votes(engine, "page-anna") == {first[i]: (1, label) for i, label in expected.items()}
        # The photos left without a label come back first (held for anna, highest priority).
        unlabelled = [pid for i, pid in enumerate(first) if i not in expected]
        assert tiles(page)[: len(unlabelled)] == unlabelled
        assert not set(tiles(page)) & {first[i] for i in expected}

        page.keyboard.press("a")
        page.keyboard.press("o")
        assert chosen(page) == ["other"] * 24
        page.keyboard.press("Enter")
        wait_until(page, "document.getElementById('lab-status').innerText.includes('24 gespeichert')",
                               timeout=30_000)  # fmt: skip
        assert len(votes(engine, "page-anna")) == 34
        assert page.eval_on_selector("#lab-progress", "e => [e.value, e.max]") == [34, 40]
        page.close()

        # ben's second opinion disagrees on two photos; cara, a third person, resolves them on the page.
        with Session(engine) as session:
            results = submit_votes(session, QUEUE, "page-ben", [
                Ballot(first[0], 2, "plastic"), Ballot(first[1], 2, "plastic"), Ballot(first[3], 2, "brown-glass"),
            ])  # fmt: skip
            assert [r.status for r in results] == ["saved"] * 3
        page = sign_in(browser, server, cara)
        page.select_option("#lab-pass", "3")
        wait_for_photos(page, 2)
        assert tiles(page) == [first[0], first[3]]
        shown = page.locator("#lab-grid .tile .votes").all_inner_texts()
        assert shown == ["Stimmen: 1: Metall · 2: Kunststoff", "Stimmen: 1: Grünglas · 2: Braunglas"]
        page.keyboard.press("2")  # tile 0: plastic
        page.keyboard.press("5")  # tile 1: brown glass
        page.click("#lang-switch")  # labels not saved yet survive the language switch
        wait_until(page, "document.getElementById('lab-legend').innerText.includes('Brown glass')",
                               timeout=30_000)  # fmt: skip
        assert page.locator("#tab-labelling").inner_text() == "Labelling"
        assert page.locator("#lab-grid .tile .chosen").all_inner_texts() == ["Plastic", "Brown glass"]
        assert "1: Metal · 2: Plastic" in page.locator("#lab-grid .tile .votes").first.inner_text()
        page.screenshot(path=str(ARTIFACTS / "labelling-resolve-en.png"), full_page=True)
        page.keyboard.press("Enter")
        wait_until(page, "document.getElementById('lab-status').innerText.includes('2 saved')", timeout=30_000)
        assert "Nothing left for you" in page.locator("#lab-status").inner_text()
        browser.close()
    assert votes(engine, "page-cara") == {first[0]: (3, "plastic"), first[3]: (3, "brown-glass")}
    assert votes(engine, "page-ben") == {
        first[0]: (2, "plastic"),
        first[1]: (2, "plastic"),
        first[3]: (2, "brown-glass"),
    }

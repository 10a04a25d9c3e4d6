"""The staff page's labelling tab on the bio-bin disputes' queue, in headless Chromium against a real server:
disputed frames are labelled with the contamination set's own keys and German names, and saved."""

from __future__ import annotations

import uuid

import httpx
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import shared_folder
from tests.utils.browser import ARTIFACTS, csp_violations, launch, need_browser, wait_until
from tests.utils.images import jpeg_bytes
from tests.utils.pilot import bearer, enrol, upload
from tests.utils.quality import bio_event
from zerowaste.service.config import Settings
from zerowaste.service.db.engine import make_engine
from zerowaste.service.db.models import LabelVote
from zerowaste.service.keys import create_key
from zerowaste.wire import DONATED_PHOTO_PATH


def disputed_frames(server: str, staff_token: str, n: int) -> list[int]:
    """`n` flagged bio-bin events of one household with donated frames, each disputed: their photo ids."""
    frame = Image.open(shared_folder("garbage12", "biological") / "biological_10.jpg").convert("RGB")
    ids = []
    with httpx.Client(base_url=server, timeout=30) as client:
        home = enrol(client, bearer(staff_token), streams=("bio",))
        events = [bio_event(home, "plastic_bag", donated=True) for _ in range(n)]
        assert upload(client, home, events).json()["accepted"] == n
        for e in events:
            frame.putpixel((0, 0), tuple(uuid.uuid4().bytes[:3]))  # a frame of its own
            headers = {**home.device_headers, "Content-Type": "image/jpeg"}
            r = client.put(DONATED_PHOTO_PATH.format(event_id=e["id"]), content=jpeg_bytes(frame), headers=headers)
            assert r.json()["status"] == "stored", r.text
            body = {"device": home.device, "event_id": e["id"], "reason": "nur Schalen"}
            d = client.post("/v1/household/quality/disputes", json=body, headers=home.household_headers).json()
            ids.append(d["label_photo_id"])
    return ids


def test_disputed_frames_are_labelled_with_the_bio_bin_labels(server: str, settings: Settings) -> None:
    need_browser()
    from playwright.sync_api import sync_playwright

    engine = make_engine(settings.sqlalchemy_url)
    with Session(engine) as session:
        staff = create_key(session, "biobin-page-staff", "staff")
    photo_ids = disputed_frames(server, staff, 3)

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        violations = csp_violations(page)
        page.goto(server + "/staff")
        page.fill("#token", staff)
        page.click("#enter")
        page.click("#tab-labelling")
        wait_until(page, "document.querySelectorAll('#lab-grid .tile').length === 3", timeout=30_000)
        assert page.locator("#lab-queue").input_value() == "biobin-disputes"
        legend = page.locator("#lab-legend").inner_text()
        for shown in ("1 sauber (nur Bioabfall)", "2 Plastiktüte", "3 Kunststoff", "4 Glas", "5 Metall",
                      "6 Fremdstoff", "7 mehrere Fremdstoffe", "8 nicht beurteilbar"):  # fmt: skip
            assert shown in " ".join(legend.split()), legend
        assert "Grünglas" not in legend and "Batterie" not in legend  # no waste class for a bio-bin frame

        page.keyboard.press("2")  # tile 0: plastic bag, on to tile 1
        page.keyboard.press("1")  # tile 1: clean
        page.keyboard.press("7")  # tile 2: several
        labels = page.eval_on_selector_all("#lab-grid .tile .chosen", "els => els.map(e => e.dataset.label)")
        assert labels == ["plastic_bag", "clean", "several"]
        assert page.locator("#lab-grid .tile .chosen").all_inner_texts() == [
            "Plastiktüte", "sauber (nur Bioabfall)", "mehrere Fremdstoffe",
        ]  # fmt: skip
        page.click("#lang-switch")
        wait_until(page, "document.getElementById('lab-legend').innerText.includes('clean (organic waste only)')")
        assert page.locator("#lab-grid .tile .chosen").first.inner_text() == "plastic bag"
        page.screenshot(path=str(ARTIFACTS / "labelling-biobin-en.png"), full_page=True)
        page.keyboard.press("Enter")
        wait_until(page, "document.getElementById('lab-status').innerText.includes('3 saved')", timeout=30_000)
        assert violations == [], violations
        browser.close()

    with Session(engine) as session:
        saved = {v.photo_id: v.label for v in session.scalars(select(LabelVote).where(LabelVote.pass_no == 1))}
    engine.dispose()
    # Every dispute is worth the same look: the tiles come in the order the frames were queued.
    assert saved == dict(zip(sorted(photo_ids), ["plastic_bag", "clean", "several"], strict=True))

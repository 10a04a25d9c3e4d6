"""The bio-bin quality on the household and staff pages, in headless Chromium against a real server
(issue 25): the household sees its rate and what was found and disputes it; staff see the dispute."""

from __future__ import annotations

import datetime as dt

import httpx
from sqlalchemy.orm import Session

from tests.utils.browser import ARTIFACTS, csp_violations, launch, need_browser, wait_until
from tests.utils.pilot import bearer, enrol, upload
from tests.utils.quality import bio_event
from zerowaste.service.config import Settings
from zerowaste.service.db.engine import make_engine
from zerowaste.service.keys import create_key


def test_household_sees_its_rate_and_findings_and_disputes_one(server: str, settings: Settings) -> None:
    need_browser()
    from playwright.sync_api import sync_playwright

    with Session(make_engine(settings.sqlalchemy_url)) as session:
        staff_token = create_key(session, "quality-page-staff", "staff")
    now = dt.datetime.now(dt.UTC)
    with httpx.Client(base_url=server, timeout=30) as client:
        home = enrol(client, bearer(staff_token), streams=("bio",))
        bag = bio_event(home, "plastic_bag", at=now - dt.timedelta(days=7, hours=1))
        events = [
            bag,
            bio_event(home, at=now - dt.timedelta(days=7, hours=2)),
            bio_event(home, at=now - dt.timedelta(days=14)),
        ]
        assert upload(client, home, events).json()["accepted"] == 3

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 760, "height": 1300})
        violations = csp_violations(page)
        page.goto(server + "/household")
        page.fill("#token", home.household_token)
        page.click("#show")
        page.wait_for_selector("#findings .finding", timeout=30_000)
        assert page.locator("#quality-title").inner_text() == "Sortierqualität Biotonne"
        assert page.locator("#findings .finding").first.inner_text().startswith("Plastiktüte erkannt, ")
        assert page.locator("tr.quality-week").count() >= 2
        page.once("dialog", lambda dialog: dialog.accept("nur Schalen"))
        page.click("button.dispute")
        wait_until(page, "document.getElementById('findings').innerText.includes('Widerspruch liegt der AWG vor')")
        page.screenshot(path=str(ARTIFACTS / "household-quality-de.png"), full_page=True)
        page.click("#lang-switch")
        wait_until(page, "document.getElementById('findings').innerText.includes('Plastic bag found')")

        page.goto(server + "/staff")
        page.fill("#token", staff_token)
        page.click("#enter")
        page.click("#tab-quality")
        page.wait_for_selector("#flagged tr.flagged-event", timeout=30_000)
        assert "nur Schalen" in page.locator("#flagged").inner_text()
        page.click("#flagged button.clean")
        wait_until(page, "!document.querySelector('#flagged button.clean')")
        assert violations == [], violations
        browser.close()
    with httpx.Client(base_url=server, timeout=30) as client:
        s = client.get("/v1/household/summary", headers=home.household_headers).json()
    assert s["quality"]["findings"][0]["dispute"]["status"] == "upheld"

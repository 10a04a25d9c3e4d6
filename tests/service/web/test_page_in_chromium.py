"""The citizen's page end to end in headless Chromium (Debian's package) against a real server.

.ci/run installs chromium and sets ZEROWASTE_REQUIRE_BROWSER=1, so there the test cannot skip
(tests/utils/browser.py). The screenshot lands in test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
from PIL import Image
from sqlalchemy.orm import Session

from tests.conftest import shared_folder
from tests.utils.browser import ARTIFACTS, csp_violations, launch, need_browser, wait_until
from tests.utils.pilot import bearer, enrol, event, upload
from zerowaste.service.config import Settings
from zerowaste.service.db.engine import make_engine
from zerowaste.service.keys import create_key


def test_photo_to_answer_language_switch_and_wrong_feedback(server: str, tmp_path: Path) -> None:
    need_browser()
    from playwright.sync_api import sync_playwright

    photo = shared_folder("garbage12", "shoes") / "shoes_113.jpg"  # a boot
    gif = tmp_path / "animation.gif"
    Image.open(photo).save(gif, "GIF")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 420, "height": 1400})
        violations = csp_violations(page)
        page.goto(server + "/")
        assert page.locator("#title").inner_text().startswith("Wohin damit?")
        # a municipal service says "Sie" (the rules file's form_of_address)
        assert page.locator("#intro").inner_text().startswith("Fotografieren Sie einen Gegenstand. Wir sagen Ihnen")
        page.set_input_files("#photo", str(gif))  # a format the service does not take: said in German
        wait_until(page, "document.getElementById('status').innerText.includes('Bildformat')")
        assert "not accepted" not in page.locator("#status").inner_text()  # no English internals
        page.set_input_files("#photo", str(photo))
        page.wait_for_selector("#label", timeout=30_000)
        assert page.locator("#item").inner_text().startswith("Stiefel (Schuhe)")
        assert page.locator("#label").inner_text() == "Material: Schuhe"
        assert "Altkleider" in page.locator("#where").inner_text()
        assert page.locator("#offers .offer").count() >= 1
        page.screenshot(path=str(ARTIFACTS / "classify-de.png"), full_page=True)

        page.click("#lang-switch")
        wait_until(page, "document.getElementById('label').innerText === 'Material: Shoes'", timeout=30_000)
        assert page.locator("#item").inner_text().startswith("boot (shoes)")
        assert "takes: boot" in page.locator("#offers").inner_text()
        assert "Reuse first" in page.locator("#offers-title").inner_text()

        page.click("#wrong")
        assert page.locator("#correct-label option[value=clothes]").inner_text() == "Clothes"
        page.select_option("#correct-label", "clothes")
        page.check("#consent")
        page.click("#send")
        wait_until(page, "document.getElementById('feedback-status').innerText.includes('Receipt')", timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "feedback-en.png"), full_page=True)
        assert violations == [], violations  # the pages run under the service's CSP
        browser.close()
    assert (ARTIFACTS / "classify-de.png").stat().st_size > 10_000


def test_a_photo_answered_by_its_category_alone(server: str) -> None:
    """A hat no single item is sure of: the page says what kind of thing it probably is."""
    need_browser()
    from playwright.sync_api import sync_playwright

    from zerowaste.model.image_io import load_image
    from zerowaste.model.items import recognise
    from zerowaste.model.runtime import OnnxClassifier, shipped_model_path

    clf = OnnxClassifier(shipped_model_path("int8"))
    hats = sorted(shared_folder("clothing", "hat").glob("*.jpg"))[:12]
    found = [
        recognise(p, temperature=clf.spec.item_temperature)
        for p in clf.predict_images([load_image(h) for h in hats]).item
    ]
    photo = next(h for h, r in zip(hats, found, strict=True) if r is not None and r.item is None)
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 420, "height": 1400})
        violations = csp_violations(page)
        page.goto(server + "/")
        page.set_input_files("#photo", str(photo))
        page.wait_for_selector("#label", timeout=30_000)
        assert page.locator("#item").inner_text().startswith("Vermutlich: Textilien")
        assert "Altkleider" in page.locator("#where").inner_text()
        assert "nimmt: Textilien" in page.locator("#offers").inner_text()
        page.screenshot(path=str(ARTIFACTS / "classify-category-de.png"), full_page=True)
        page.click("#lang-switch")
        wait_until(page, "document.getElementById('item').innerText.startsWith('Probably: textiles')", timeout=30_000)
        browser.close()
    assert violations == []


def test_the_bins_question_is_answered_with_a_button_and_no_empty_offer_card(server: str) -> None:
    """A tin: "is it packaging?" gets Ja / Nein buttons, the answer keeps its bin; no offers, no card."""
    need_browser()
    from playwright.sync_api import sync_playwright

    tins = sorted(shared_folder("garbage12", "metal").glob("*.jpg"))[:20]
    photo = None
    for f in tins:
        body = httpx.post(server + "/v1/classify", files={"file": f.read_bytes()}, timeout=30).json()
        if body["decided"] and body["guidance"][0]["question"] and not body["offers"]:
            photo, answers = f, body["guidance"][0]["question"]["answers"]
            break
    assert photo is not None, "one of these tins should be a sure metal answer that asks about packaging"
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 420, "height": 1200})
        violations = csp_violations(page)
        page.goto(server + "/")
        page.set_input_files("#photo", str(photo))
        page.wait_for_selector("#where button[data-answer=yes]", timeout=30_000)
        assert page.locator("#offers-card").is_hidden()
        yes = page.locator("#where button[data-answer=yes]")
        assert yes.inner_text() == "Ja: " + answers["yes"]["name"]
        assert page.locator("#where button[data-answer=no]").inner_text() == "Nein: " + answers["no"]["name"]
        yes.click()
        wait_until(page, "!document.querySelector('#where button[data-answer]')")
        where = page.locator("#where").inner_text()
        assert answers["yes"]["name"] in where and answers["no"]["name"] not in where
        page.screenshot(path=str(ARTIFACTS / "classify-question-answered-de.png"), full_page=True)
        browser.close()
    assert violations == []


def test_search_on_the_page_gives_the_same_answer_card(server: str, tiles) -> None:
    """Type-ahead: a few letters list entries; choosing one shows offers first, then the bin."""
    need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 420, "height": 1400})
        violations = csp_violations(page)
        page.goto(server + "/")
        assert page.locator("#q-label").inner_text() == "Oder suchen Sie, was weg soll"
        page.fill("#q", "kaputter toaster")
        page.wait_for_selector("#hits button[data-hit]", timeout=10_000)
        page.click("#hits button[data-hit='0']")
        wait_until(page, "!document.getElementById('result').hidden")
        assert page.locator("#item").inner_text() == "Toaster"
        assert "Elektrokleingeräte" in page.locator("#where").inner_text()
        assert page.locator("#offers-card").is_visible() and "Repair" in page.locator("#offers").inner_text()
        assert page.locator("#feedback-card").is_hidden()
        page.screenshot(path=str(ARTIFACTS / "search-de.png"), full_page=True)
        # Enter takes the first hit; a stream named by the query answers with the stream
        page.fill("#q", "Sperrmüll")
        page.press("#q", "Enter")
        wait_until(page, "document.getElementById('item').innerText === 'Sperrmüll'")
        assert page.locator("#offers-card").is_hidden()
        page.click("#lang-switch")
        wait_until(page, "document.getElementById('item').innerText === 'Bulky waste'", timeout=10_000)
        page.fill("#q", "zzqqxx")
        wait_until(page, "document.getElementById('hits').innerText.includes('Nothing found')")
        # offers without a photo: "Where can I get it repaired?"
        page.click("#browse a[data-kind=repair]")
        wait_until(page, "document.getElementById('offers-title').innerText === 'Repair in Wuppertal'")
        assert page.locator("#offers .offer").count() >= 5
        assert page.locator("#what-card").is_hidden() and page.locator("#where-card").is_hidden()
        # the offers with a point on the map, from the configured tile server, each pin to its entry
        with_point = page.evaluate(
            "fetch('/v1/offers?kind=repair').then(r => r.json()).then(b => b.offers.filter(o => o.lat != null).length)"
        )
        assert with_point >= 2 and page.locator("#offers-map").is_visible()
        assert page.locator("#offers-map .pin").count() == with_point
        wait_until(
            page, "[...document.querySelectorAll('#offers-map img')].some(i => i.complete && i.naturalWidth === 256)"
        )
        assert tiles.asked and all(p.endswith(".png") and p.count("/") == 3 for p in tiles.asked)
        pin = page.locator("#offers-map .pin").first
        assert page.locator(pin.get_attribute("href") or "#none").count() == 1  # the pin's entry in the list
        assert "OpenStreetMap" in page.locator("#offers-map small").inner_text()
        page.click("#lang-switch")
        wait_until(page, "document.getElementById('offers-title').innerText === 'Reparieren in Wuppertal'")
        page.screenshot(path=str(ARTIFACTS / "browse-repair-de.png"), full_page=True)
        # a chosen district narrows the list
        assert page.locator("#district option").count() == 11  # "any" and the ten Stadtbezirke
        page.select_option("#district", "Ronsdorf")
        wait_until(page, "document.querySelectorAll('#offers .offer').length < 5")
        assert "Ronsdorf" in page.locator("#offers").inner_text()
        # the position, only when asked for: distances appear
        context = browser.new_context(
            geolocation={"latitude": 51.2667, "longitude": 7.1453}, permissions=["geolocation"]
        )
        located = context.new_page()
        located.goto(server + "/")
        located.click("#locate")
        wait_until(located, "document.getElementById('status').innerText.includes('Standort wird')")
        located.click("#browse a[data-kind=repair]")
        wait_until(located, "document.getElementById('offers').innerText.includes(' km')")
        browser.close()
    assert violations == []


def test_the_pages_pass_axe_core_without_serious_or_critical_violations(server: str) -> None:
    """axe-core (bundled with axe-playwright-python, no network) on every state a citizen or staff sees."""
    need_browser()
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    axe, found = Axe(), {}

    def check(page, state: str) -> None:
        bad = [v for v in axe.run(page).response["violations"] if v["impact"] in ("serious", "critical")]
        found[state] = [(v["id"], v["impact"], len(v["nodes"])) for v in bad]

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 420, "height": 1000})
        for path in ("/", "/household", "/staff"):
            page.goto(server + path)
            check(page, path)
        page.goto(server + "/")
        page.set_input_files("#photo", str(shared_folder("garbage12", "metal") / "metal_109.jpg"))
        page.wait_for_selector("#label", timeout=30_000)
        check(page, "photo answered")
        page.fill("#q", "kaputter toaster")
        page.wait_for_selector("#hits button[data-hit]", timeout=10_000)
        check(page, "search hits")
        page.click("#hits button[data-hit='0']")
        check(page, "search answer")
        page.click("#browse a[data-kind=repair]")
        wait_until(page, "document.getElementById('offers-title').innerText.startsWith('Reparieren')")
        check(page, "offers listed")
        browser.close()
    assert len(found) == 7 and not any(found.values()), found


def test_search_and_offers_work_without_javascript(server: str) -> None:
    """With scripts off the same form and links lead to server-rendered answers."""
    need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_context(java_script_enabled=False).new_page()
        page.goto(server + "/")
        page.fill("#q", "kaputter toaster")
        page.press("#q", "Enter")
        page.wait_for_url("**/suche?**")
        text = page.locator("main").inner_text()
        assert "Toaster" in text and "Elektrokleingeräte" in text and "Reparatur" in text
        page.goto(server + "/")
        assert page.locator("#q-label").inner_text() == "Oder suchen Sie, was weg soll"
        page.click("text=reparieren lassen")
        page.wait_for_url("**/angebote?kind=repair**")
        assert page.locator(".offer").count() >= 5
        assert "<script" not in page.content().split("<body>")[1]
        browser.close()
    with httpx.Client(base_url=server) as c:
        assert "Nichts gefunden" in c.get("/suche", params={"q": "zzqqxx"}).text
        assert "&lt;b&gt;" in c.get("/suche", params={"q": "<b>"}).text  # escaped
        assert c.get("/angebote", params={"kind": "teleport"}).status_code == 422


def test_household_page_shows_weeks_baseline_and_joins_a_challenge(server: str, settings: Settings) -> None:
    need_browser()
    from playwright.sync_api import sync_playwright

    with Session(make_engine(settings.sqlalchemy_url)) as session:
        staff = bearer(create_key(session, "page-staff", "staff"))
    with httpx.Client(base_url=server, timeout=30) as client:
        home = enrol(client, staff, streams=("restmuell", "bio"))
        today = dt.datetime.now(dt.UTC)
        events = [
            event(home, stream, at=today - dt.timedelta(weeks=w, hours=1), net_kg=kg, gross_kg=kg)
            for w, rest, bio in (
                (6, 9.0, 3.0),
                (5, 10.5, 2.5),
                (4, 9.5, 3.5),
                (3, 8.0, 3.0),
                (2, 7.5, 3.2),
                (1, 7.0, 2.8),
            )
            for stream, kg in (("restmuell", rest), ("bio", bio))
        ]
        assert upload(client, home, events).json()["accepted"] == len(events)

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 760, "height": 1300})
        violations = csp_violations(page)
        page.goto(server + "/household")
        assert page.locator("#title").inner_text() == "Mein Haushalt"
        page.fill("#token", home.household_token)
        page.click("#show")
        page.wait_for_selector("#charts svg", timeout=30_000)
        assert page.locator("#charts .card").count() == 2
        assert page.locator("#charts .card").first.locator("rect.bar").count() >= 6
        assert page.locator("#charts .card line.baseline").count() == 2
        assert "Restmüll" in page.locator("#charts").inner_text()
        assert "%" in page.locator("#charts").inner_text()
        page.click("button.join[data-key='restmuell-minus-10']")
        wait_until(page, "document.getElementById('challenges').innerText.includes('läuft')", timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "household-de.png"), full_page=True)
        page.click("#lang-switch")
        wait_until(page, "document.getElementById('challenges').innerText.includes('running')", timeout=30_000)
        assert "Residual waste" in page.locator("#charts").inner_text()

        page.fill("#token", "zw_not-a-key")
        page.click("#show")
        wait_until(page, "document.getElementById('status').innerText.includes('Error')", timeout=30_000)
        assert violations == [], violations  # the pages run under the service's CSP
        browser.close()
    assert (ARTIFACTS / "household-de.png").stat().st_size > 10_000


def test_staff_page_reviews_donated_photos_and_promotes_a_model(server: str, settings: Settings) -> None:
    need_browser()
    from playwright.sync_api import sync_playwright

    with Session(make_engine(settings.sqlalchemy_url)) as session:
        key = create_key(session, "page-reviewer", "staff")
    donated = [
        shared_folder("garbage12", "clothes") / "clothes_10.jpg",
        shared_folder("garbage12", "shoes") / "shoes_113.jpg",
    ]
    with httpx.Client(base_url=server, timeout=60) as client:
        for f in donated:
            answer = client.post("/v1/classify", files={"file": (f.name, f.read_bytes(), "image/jpeg")}).json()
            r = client.post(
                "/v1/feedback",
                data={"classification_id": answer["id"], "correct": "false", "consent": "true", "comment": "Pullover"},
                files={"file": (f.name, f.read_bytes(), "image/jpeg")},
            )
            assert r.status_code == 201

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1100, "height": 1000})
        violations = csp_violations(page)
        page.on("dialog", lambda dialog: dialog.accept("Pilot mit 3 Kameras"))
        page.goto(server + "/staff")
        assert page.locator("#title").inner_text() == "zerowaste – AWG Mitarbeitende"
        page.fill("#token", key)
        page.click("#enter")
        page.wait_for_selector("#queue .photo", timeout=30_000)
        cards = page.locator("#queue .photo")
        assert cards.count() >= 2
        wait_until(
            page, "[...document.querySelectorAll('#queue img')].every(i => i.naturalWidth > 0)", timeout=30_000
        )  # photos come through the staff API with the key
        first = cards.nth(0)
        first.locator("select.relabel-to").select_option("clothes")
        first.locator("button.relabel").click()
        first.locator(".result .good").wait_for(timeout=30_000)
        assert "Kleidung" in first.locator(".result").inner_text()
        cards.nth(1).locator("button.reject").click()
        cards.nth(1).locator(".result .good").wait_for(timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "staff-review-de.png"), full_page=True)

        page.click("#tab-models")
        page.wait_for_selector("#registry tr[data-id]", timeout=30_000)
        assert "stable" in page.locator("#channels").inner_text()
        page.locator("#registry tr[data-id] button.promote[data-channel=canary]").first.click()
        wait_until(page, "document.getElementById('audit').innerText.includes('Pilot mit 3 Kameras')", timeout=30_000)
        page.click("#lang-switch")
        wait_until(page, "document.getElementById('registry-title').innerText === 'Registered models'", timeout=30_000)
        page.wait_for_selector("#audit tr:nth-child(2)", timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "staff-models-en.png"), full_page=True)
        assert violations == [], violations  # the pages run under the service's CSP
        browser.close()
    with httpx.Client(base_url=server, headers=bearer(key)) as client:
        relabelled = client.get("/v1/staff/feedback", params={"status": "relabelled"}).json()
        canary = next(c for c in client.get("/v1/staff/channels").json() if c["channel"] == "canary")
    assert any(fb["reviewed_label"] == "clothes" for fb in relabelled)
    assert canary["model_id"] is not None and canary["by"] == "page-reviewer"
    assert canary["reason"] == "Pilot mit 3 Kameras"


def test_the_api_page_renders_offline_under_the_csp(server: str) -> None:
    """Swagger UI from the service's own files renders every operation, with the browser refusing any
    other host (a depot without uplink) and no Content-Security-Policy violation."""
    need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1100, "height": 1000})
        violations = csp_violations(page)
        foreign: list[str] = []
        page.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(server)
                else (foreign.append(route.request.url), route.abort())
            ),
        )
        page.goto(server + "/docs")
        page.locator(".opblock").first.wait_for(timeout=30_000)  # Swagger UI read the OpenAPI 3.1 schema
        assert page.locator(".opblock").count() > 20
        page.screenshot(path=str(ARTIFACTS / "api-docs.png"))
        assert foreign == [] and violations == [], (foreign, violations)
        browser.close()

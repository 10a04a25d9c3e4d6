"""Bio-bin quality in the weekly figures, through real HTTP on SQLite and PostgreSQL (issue 25): events
carry the camera result exactly as sent; a household's weekly contamination rate beside its kilograms;
its quarter's rate only where at least k = 5 households contribute; points for clean weeks; what was
found, in German and English; the NGSI-LD export's quality properties."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from tests.utils.pilot import Enrolled, enrol, event, staff_headers_for, upload
from tests.utils.quality import MODEL_SHA, bio_event, quality
from zerowaste.service.db.models import Weighing
from zerowaste.service.quality import finding_text
from zerowaste.wire import BinQuality, WeighingEvent

BERLIN = ZoneInfo("Europe/Berlin")
MONTHS_DE = ("Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.", "Dez.")
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def monday(weeks_ago: int) -> dt.date:
    today = dt.datetime.now(BERLIN).date()
    return today - dt.timedelta(days=today.weekday()) - dt.timedelta(weeks=weeks_ago)


def day_in(weeks_ago: int, days: int = 2, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(monday(weeks_ago) + dt.timedelta(days=days), dt.time(hour), BERLIN)


def accepted(client: TestClient, home: Enrolled, events: list[dict]) -> None:
    r = upload(client, home, events)
    assert r.status_code == 200 and r.json()["accepted"] == len(events), r.text


def summary(client: TestClient, home: Enrolled, lang: str = "de") -> dict:
    r = client.get(f"/v1/household/summary?lang={lang}", headers=home.household_headers)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="module")
def staff(client: TestClient) -> dict[str, str]:
    return staff_headers_for(client)


def test_an_events_quality_is_stored_and_read_back_exactly(client, staff) -> None:
    home = enrol(client, staff, "arrenberg", streams=("bio",))
    at = dt.datetime.now(dt.UTC)
    sent = bio_event(home, "plastic_bag", "glass", at=at - dt.timedelta(hours=1))
    sent["quality"]["captured_at"] = (at - dt.timedelta(hours=1)).astimezone(BERLIN).isoformat()  # with an offset
    sent["quality"]["scores"]["metal"] = 0.123456789
    plain = event(home, "bio", at=at - dt.timedelta(hours=2), net_kg=0.5, gross_kg=3.2)  # no camera
    accepted(client, home, [sent, plain])
    assert upload(client, home, [sent]).json()["duplicates"] == 1  # a resend is still a duplicate

    expected = WeighingEvent.model_validate(sent).quality
    with client.app.state.sessionmaker() as session:
        row = session.get(Weighing, (home.device, sent["id"]))
        assert row.contaminated is True and BinQuality.model_validate(row.quality) == expected
        bare = session.get(Weighing, (home.device, plain["id"]))
        assert bare.contaminated is None and bare.quality is None  # not assessed
    flagged = client.get("/v1/staff/quality/flagged?limit=1000", headers=staff).json()
    (mine,) = [f for f in flagged if f["event_id"] == sent["id"]]
    assert BinQuality.model_validate(mine["quality"]) == expected
    assert mine["quality"]["findings"][0] == {"kind": "plastic_bag", "confidence": 0.9, "box": [0.1, 0.2, 0.4, 0.6]}
    assert mine["quality"]["scores"]["metal"] == 0.123456789 and mine["quality"]["model_sha256"] == MODEL_SHA
    assert mine["household"] == home.household and mine["neighbourhood"] == "arrenberg" and mine["photo_url"] is None
    assert not any(f["event_id"] == plain["id"] for f in flagged)


def test_a_malformed_quality_is_rejected_with_its_reason(client, staff) -> None:
    home = enrol(client, staff, "arrenberg", streams=("bio",))
    bad = bio_event(home, "plastic_bag")
    bad["quality"]["scores"]["glass"] = 1.5
    worse = bio_event(home, quality=quality("plastic_bag", model_sha256="not-a-hash"))
    r = upload(client, home, [bad, worse]).json()
    assert r["rejected"] == 2
    assert any("scores" in reason for reason in r["results"][0]["reasons"])
    assert any("model_sha256" in reason for reason in r["results"][1]["reasons"])


def test_weekly_contamination_rate_beside_the_kilograms_and_points_for_clean_weeks(client, staff) -> None:
    home = enrol(client, staff, "arrenberg", streams=("bio",))
    events = [
        # 9 weeks ago: four assessed deposits, one with a plastic bag; one without a camera result and a
        # removal with one, neither of which is assessed
        *(bio_event(home, at=day_in(9, hour=h)) for h in (8, 9, 10)),
        bio_event(home, "plastic_bag", at=day_in(9, hour=11)),
        event(home, "bio", at=day_in(9, hour=12), net_kg=0.4, gross_kg=5.0),
        bio_event(home, "glass", at=day_in(9, hour=13), kind="removal", net_kg=-0.2, gross_kg=4.8),
        # 8, 7, 6 and 5 weeks ago: clean (one of them an emptying seen by the truck camera)
        *(bio_event(home, at=day_in(w)) for w in (8, 7, 6)),
        bio_event(home, at=day_in(5), kind="emptying", net_kg=-4.0, gross_kg=0.1),
        # 4 weeks ago: nothing assessed; this week: clean so far (not complete: no points yet)
        event(home, "bio", at=day_in(4), net_kg=1.0, gross_kg=1.0),
        bio_event(home, at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)),
    ]
    accepted(client, home, events)
    s = summary(client, home)
    weeks = {w["week"]: w for w in s["weeks"]}
    first = weeks[monday(9).isoformat()]
    assert first["kg"] == {"bio": pytest.approx(4 * 0.8 + 0.4 - 0.2)}
    assert first["contamination"] == {"assessed": 4, "contaminated": 1, "rate": 0.25}
    assert weeks[monday(5).isoformat()]["contamination"] == {"assessed": 1, "contaminated": 0, "rate": 0.0}
    assert weeks[monday(4).isoformat()]["contamination"] is None  # weighed, not assessed: no rate
    assert weeks[monday(0).isoformat()]["contamination"] == {"assessed": 1, "contaminated": 0, "rate": 0.0}
    q = s["quality"]
    assert q["clean_weeks"] == 4 and q["last_week"] == {"assessed": 1, "contaminated": 0, "rate": 0.0}
    # Baseline 9-7 weeks ago; the bio weeks after it: 6, 5 below (0.8, -4 kg), 4 not (1 kg > 0.8), 3-1 empty.
    below = 10 * sum(
        weeks[monday(w).isoformat()]["kg"].get("bio", 0.0) < s["streams"][0]["baseline_kg"] for w in range(1, 7)
    )
    assert s["points"] == below + 4 * 10  # 10 points for each clean complete week
    assert "four-clean-weeks" in {b["key"] for b in s["badges"]}
    assert {b["name"] for b in summary(client, home, "en")["badges"]} >= {"4 clean weeks in a row"}


def test_no_clean_week_badge_with_a_contaminated_week_between(client, staff) -> None:
    home = enrol(client, staff, "arrenberg", streams=("bio",))
    accepted(
        client,
        home,
        [bio_event(home, at=day_in(w)) for w in (20, 19, 17, 16)] + [bio_event(home, "metal", at=day_in(18))],
    )
    s = summary(client, home)
    assert s["quality"]["clean_weeks"] == 4 and "four-clean-weeks" not in {b["key"] for b in s["badges"]}
    assert {w["week"]: w["contamination"] for w in s["weeks"]}[monday(18).isoformat()]["rate"] == 1.0


def test_a_household_without_a_camera_has_no_quality(client, staff) -> None:
    home = enrol(client, staff, "arrenberg")
    accepted(client, home, [event(home, at=day_in(2))])
    s = summary(client, home)
    assert s["quality"] is None and all(w["contamination"] is None for w in s["weeks"])


def test_the_quarters_rate_only_from_five_households(client, staff) -> None:
    homes = [enrol(client, staff, "wichlinghausen", streams=("bio",)) for _ in range(5)]
    # 41 weeks ago: households 0-3 with 2 assessed deposits each, household 0's both contaminated, 1's one
    for i, home in enumerate(homes[:4]):
        found = {0: ("plastic_bag", "plastic_bag"), 1: ("glass", "")}.get(i, ("", ""))
        accepted(
            client, home, [bio_event(home, *([f] if f else []), at=day_in(41, hour=9 + h)) for h, f in enumerate(found)]
        )
    # the fifth weighs that week without a camera result: four households contribute, no quarter figure
    accepted(client, homes[4], [event(homes[4], "bio", at=day_in(41), net_kg=1.0, gross_kg=1.0)])

    def quarter_rate(home: Enrolled) -> float | None:
        return {w["week"]: w for w in summary(client, home)["weeks"]}[monday(41).isoformat()][
            "neighbourhood_contamination_rate"
        ]

    assert quarter_rate(homes[0]) is None
    public = client.get("/v1/quality/neighbourhoods?weeks=52").json()
    hood = next(h for h in public if h["neighbourhood"] == "wichlinghausen")
    assert monday(41).isoformat() not in {w["week"] for w in hood["weeks"]}

    accepted(
        client,
        homes[4],
        [bio_event(homes[4], "metal", at=day_in(41, hour=15)), bio_event(homes[4], at=day_in(41, hour=16))],
    )
    # five households, 10 assessed events, 4 contaminated
    assert quarter_rate(homes[0]) == pytest.approx(0.4) and quarter_rate(homes[3]) == pytest.approx(0.4)
    own = {w["week"]: w for w in summary(client, homes[0])["weeks"]}[monday(41).isoformat()]["contamination"]
    assert own == {"assessed": 2, "contaminated": 2, "rate": 1.0}
    public = client.get("/v1/quality/neighbourhoods?weeks=52").json()
    hood = next(h for h in public if h["neighbourhood"] == "wichlinghausen")
    (week,) = [w for w in hood["weeks"] if w["week"] == monday(41).isoformat()]
    assert week == {"week": monday(41).isoformat(), "rate": 0.4, "assessed": 10, "households": 5}


def test_the_household_sees_what_was_found_in_german_and_english(client, staff) -> None:
    home = enrol(client, staff, "arrenberg", streams=("bio",))
    at = day_in(3, days=1, hour=7)
    bag = bio_event(home, "plastic_bag", at=at)
    both = bio_event(home, "glass", "metal", at=day_in(2))
    accepted(client, home, [bag, both, bio_event(home, at=day_in(2, hour=14))])
    d = at.date()
    de = summary(client, home, "de")["quality"]["findings"]
    assert [f["event_id"] for f in de] == [both["id"], bag["id"]]  # newest first; the clean one is no finding
    assert de[1]["text"] == f"Plastiktüte erkannt, {d.day}. {MONTHS_DE[d.month - 1]}"
    assert de[0]["text"].startswith("Glas und Metall erkannt, ")
    assert de[1]["kinds"] == ["plastic_bag"] and de[1]["device"] == home.device and de[1]["dispute"] is None
    en = summary(client, home, "en")["quality"]["findings"]
    assert en[1]["text"] == f"Plastic bag found, {d.day} {MONTHS_EN[d.month - 1]}"
    assert en[0]["text"].startswith("Glass and metal found, ")


def test_finding_texts() -> None:
    nov12 = dt.date(2026, 11, 12)
    assert finding_text(["plastic_bag"], nov12, "de") == "Plastiktüte erkannt, 12. Nov."
    assert finding_text(["plastic_bag"], nov12, "en") == "Plastic bag found, 12 Nov"
    assert (
        finding_text(["glass", "metal", "other"], dt.date(2026, 3, 1), "de")
        == "Glas, Metall und Fremdstoff erkannt, 1. März"
    )
    assert finding_text([], nov12, "en") == "Foreign matter found, 12 Nov"


def test_ngsi_ld_carries_each_containers_quality(client, staff) -> None:
    home = enrol(client, staff, "wichlinghausen", streams=("bio", "restmuell"))
    now = dt.datetime.now(dt.UTC)
    last = bio_event(home, "plastic_bag", "glass", at=now - dt.timedelta(hours=1))
    accepted(
        client,
        home,
        [
            bio_event(home, at=now - dt.timedelta(days=3)),
            bio_event(home, at=now - dt.timedelta(days=2)),
            bio_event(home, "metal", at=now - dt.timedelta(days=40)),  # outside the 28 days of the rate
            last,
            event(home, at=now - dt.timedelta(hours=2)),
        ],
    )
    entities = {e["id"]: e for e in client.get("/v1/staff/exports/ngsi-ld", headers=staff).json()}
    bio = entities[f"urn:ngsi-ld:WasteContainer:wuppertal:{home.bins['bio']}"]
    wq = bio["wasteQuality"]
    assert wq["type"] == "Property" and wq["observedAt"].startswith(last["measured_at"][:16])
    assert wq["value"]["contaminated"] is True and wq["value"]["contaminants"] == ["plastic_bag", "glass"]
    assert wq["value"]["camera"] == "lid" and wq["value"]["modelSha256"] == MODEL_SHA
    assert wq["value"]["scores"]["plastic_bag"] == 0.9
    rate = bio["contaminationRate"]
    assert rate["value"] == pytest.approx(1 / 3, abs=1e-4) and rate["unitCode"] == "C62"
    assert rate["assessedEvents"]["value"] == 3
    rest = entities[f"urn:ngsi-ld:WasteContainer:wuppertal:{home.bins['restmuell']}"]
    assert "wasteQuality" not in rest and "contaminationRate" not in rest

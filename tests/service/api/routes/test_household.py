"""What a pilot household sees, through real HTTP on SQLite and PostgreSQL: weekly kilograms, the
baseline from its first weeks, the trend, the neighbourhood median (only for groups of >= 5),
challenges, points and badges; and that deleting a household deletes its data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tests.utils.pilot import Enrolled, enrol, event, staff_headers_for, upload
from zerowaste.service import weekly
from zerowaste.service.db.models import Challenge, ChallengeEnrolment, Household, NeighbourhoodWeek, Weighing
from zerowaste.service.households import purge_expired

BERLIN = ZoneInfo("Europe/Berlin")


def monday(weeks_ago: int) -> dt.date:
    today = dt.datetime.now(BERLIN).date()
    return today - dt.timedelta(days=today.weekday()) - dt.timedelta(weeks=weeks_ago)


def wednesday_noon(weeks_ago: int) -> dt.datetime:
    return dt.datetime.combine(monday(weeks_ago) + dt.timedelta(days=2), dt.time(12), BERLIN)


def weigh(client: TestClient, home: Enrolled, kg_by_weeks_ago: dict[int, float], stream: str = "restmuell") -> None:
    # Each week's kilograms arrive as two bags, so weekly sums are exercised.
    events = [
        event(home, stream, at=wednesday_noon(w) + dt.timedelta(hours=h), net_kg=kg / 2, gross_kg=kg)
        for w, kg in kg_by_weeks_ago.items()
        for h in (0, 1)
    ]
    assert upload(client, home, events).json()["accepted"] == len(events)


@pytest.fixture(scope="module")
def staff(client: TestClient) -> dict[str, str]:
    return staff_headers_for(client)


@pytest.fixture(scope="module")
def arrenberg(client: TestClient, staff: dict[str, str]) -> list[Enrolled]:
    """Five households in Arrenberg, eight complete weeks of residual waste each."""
    homes = [enrol(client, staff, "arrenberg") for _ in range(5)]
    weigh(client, homes[0], {8: 10, 7: 12, 6: 14, 5: 11, 4: 10, 3: 9, 2: 9, 1: 8})
    for i, home in enumerate(homes[1:], start=1):
        weigh(client, home, dict.fromkeys(range(1, 9), 5.0 + i))
    return homes


def test_weeks_baseline_trend_points_and_neighbourhood_median(client, arrenberg) -> None:
    r = client.get("/v1/household/summary", headers=arrenberg[0].household_headers)
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["neighbourhood"] == "arrenberg" and s["current_week"] == monday(0).isoformat()
    (rest,) = s["streams"]
    assert rest["name"] == "Restmüll" and rest["baseline_kg"] == pytest.approx(12.0)
    assert rest["baseline_weeks"] == [monday(w).isoformat() for w in (8, 7, 6)]
    assert rest["last_week_kg"] == pytest.approx(8.0) and rest["trend_pct"] == pytest.approx(-33.3)
    weeks = {w["week"]: w for w in s["weeks"]}
    assert weeks[monday(7).isoformat()]["kg"] == {"restmuell": pytest.approx(12.0)}
    assert weeks[monday(7).isoformat()]["complete"] and not weeks[monday(0).isoformat()]["complete"]
    # the households weigh 12, 6, 7, 8, 9 kg in that week: median 8
    assert weeks[monday(7).isoformat()]["neighbourhood_median_kg"] == {"restmuell": pytest.approx(8.0)}
    assert s["points"] == 50  # five weeks below the baseline, 10 points each
    assert {b["key"] for b in s["badges"]} == {"first-weighing", "baseline", "four-weeks-below"}


def test_no_neighbourhood_median_below_five_households(client, staff) -> None:
    homes = [enrol(client, staff, "wichlinghausen") for _ in range(4)]
    for i, home in enumerate(homes):
        weigh(client, home, {12: 4.0 + i, 11: 4.0})
    s = client.get("/v1/household/summary", headers=homes[0].household_headers).json()
    assert s["neighbourhood"] == "wichlinghausen"
    assert all(w["neighbourhood_median_kg"] == {} for w in s["weeks"])
    fifth = enrol(client, staff, "wichlinghausen")
    weigh(client, fifth, {12: 9.0})
    s = client.get("/v1/household/summary", headers=homes[0].household_headers).json()
    medians = {w["week"]: w["neighbourhood_median_kg"] for w in s["weeks"]}
    assert medians[monday(12).isoformat()] == {"restmuell": pytest.approx(6.0)}  # 4 5 6 7 9
    assert medians[monday(11).isoformat()] == {}  # still only four households that week


def test_complete_weeks_medians_are_stored_and_follow_late_weighings_and_deletions(client, staff) -> None:
    homes = [enrol(client, staff, "wichlinghausen") for _ in range(6)]
    for i, home in enumerate(homes):
        weigh(client, home, {15: 2.0 + i})

    def median_of(week: dt.date) -> dict[str, float]:
        s = client.get("/v1/household/summary", headers=homes[1].household_headers).json()
        return next(w["neighbourhood_median_kg"] for w in s["weeks"] if w["week"] == week.isoformat())

    assert median_of(monday(15)) == {"restmuell": pytest.approx(4.5)}  # 2 3 4 5 6 7
    with client.app.state.sessionmaker() as session:
        hood = session.get(Household, homes[0].household).neighbourhood_id
        stored = {
            r.week: r
            for r in session.scalars(select(NeighbourhoodWeek).where(NeighbourhoodWeek.neighbourhood_id == hood))
        }
        assert stored[monday(15)].medians == {"restmuell": [4.5, 6]}
        assert stored[monday(14)].medians == {}  # computed, nobody weighed: stored as such
        assert monday(0) not in stored  # the current week is still filling up
        # The summary reads the stored figure (changed here by hand) instead of computing it again.
        stored[monday(15)].medians = {"restmuell": [99.0, 6]}
        session.commit()
    assert median_of(monday(15)) == {"restmuell": pytest.approx(99.0)}

    weigh(client, homes[0], {15: 10.0})  # a late bag: the scale was offline that week
    assert median_of(monday(15)) == {"restmuell": pytest.approx(5.5)}  # 12 3 4 5 6 7
    assert client.delete("/v1/household", headers=homes[5].household_headers).status_code == 204
    assert median_of(monday(15)) == {"restmuell": pytest.approx(5.0)}  # 12 3 4 5 6


def five_weighing_in(client: TestClient, staff: dict[str, str], weeks_ago: int) -> tuple[list[Enrolled], int]:
    """Five Arrenberg households weighing 1, 2, 3, 4 and 5 kg in one week; and their neighbourhood's id."""
    homes = [enrol(client, staff, "arrenberg") for _ in range(5)]
    for i, home in enumerate(homes):
        weigh(client, home, {weeks_ago: 1.0 + i})
    with client.app.state.sessionmaker() as session:
        return homes, session.get(Household, homes[0].household).neighbourhood_id


def once_while_computing(monkeypatch: pytest.MonkeyPatch, meanwhile: Callable[..., object]) -> list[bool]:
    """Run `meanwhile` once, just after the first computation of medians has read the weighings (as
    another request would); the returned list is non-empty once it ran."""
    real, ran = weekly._compute_medians, []

    def computing(session, neighbourhood_id, weeks, min_group):
        result = real(session, neighbourhood_id, weeks, min_group)
        if not ran:
            ran.append(True)
            meanwhile(neighbourhood_id, weeks, min_group)
        return result

    monkeypatch.setattr(weekly, "_compute_medians", computing)
    return ran


def test_two_requests_storing_the_same_weeks_at_once_both_answer(client, staff, monkeypatch) -> None:
    _, hood = five_weighing_in(client, staff, 25)

    def other_request(neighbourhood_id, weeks, min_group):
        with client.app.state.sessionmaker() as other:
            weekly.neighbourhood_medians(
                other, neighbourhood_id, weeks[0], weeks[-1], min_group, complete_before=monday(0)
            )

    raced = once_while_computing(monkeypatch, other_request)
    with client.app.state.sessionmaker() as session:
        got = weekly.neighbourhood_medians(session, hood, monday(25), monday(24), 5, complete_before=monday(0))
        assert raced and got == {(monday(25), "restmuell"): (3.0, 5)}  # 1 2 3 4 5
        rows = session.scalars(
            select(NeighbourhoodWeek).where(
                NeighbourhoodWeek.neighbourhood_id == hood,
                NeighbourhoodWeek.week >= monday(25),
                NeighbourhoodWeek.week <= monday(24),
            )
        ).all()
        assert sorted(r.week for r in rows) == [monday(25), monday(24)]


def test_a_late_weighing_committed_while_its_week_is_computed_is_not_hidden(client, staff, monkeypatch) -> None:
    homes, hood = five_weighing_in(client, staff, 27)
    late = once_while_computing(monkeypatch, lambda *_: weigh(client, homes[0], {27: 10.0}))
    with client.app.state.sessionmaker() as session:
        first = weekly.neighbourhood_medians(session, hood, monday(27), monday(27), 5, complete_before=monday(0))
    assert late and first == {(monday(27), "restmuell"): (3.0, 5)}  # 1 2 3 4 5: stored, but at the old count
    monkeypatch.undo()
    with client.app.state.sessionmaker() as session:
        again = weekly.neighbourhood_medians(session, hood, monday(27), monday(27), 5, complete_before=monday(0))
    assert again == {(monday(27), "restmuell"): (4.0, 5)}  # 11 2 3 4 5


def test_challenge_join_progress_and_completion(client, arrenberg) -> None:
    home = arrenberg[0]
    r = client.post("/v1/household/challenges/restmuell-minus-10?lang=en", headers=home.household_headers)
    assert r.status_code == 201, r.text
    joined = r.json()
    assert joined["name"] == "10 % less residual waste in 4 weeks"
    assert joined["status"] == "running" and joined["weeks_done"] == 0
    assert joined["started_week"] == (monday(0) + dt.timedelta(weeks=1)).isoformat()
    assert joined["target_kg"] == pytest.approx(10.8)
    again = client.post("/v1/household/challenges/restmuell-minus-10", headers=home.household_headers)
    assert again.status_code == 409
    assert client.post("/v1/household/challenges/nope", headers=home.household_headers).status_code == 404

    # Four weeks later (moved back in time here): 10, 9, 9, 8 kg, mean 9 <= 10.8.
    with client.app.state.sessionmaker() as session:
        cid = session.scalars(select(Challenge.id).where(Challenge.key == "restmuell-minus-10")).one()
        session.execute(
            update(ChallengeEnrolment)
            .where(ChallengeEnrolment.household_id == home.household, ChallengeEnrolment.challenge_id == cid)
            .values(started_week=monday(4))
        )
        session.commit()
    s = client.get("/v1/household/summary?lang=en", headers=home.household_headers).json()
    done = next(c for c in s["challenges"] if c["key"] == "restmuell-minus-10")
    assert done["status"] == "completed" and done["weeks_done"] == 4 and done["mean_kg"] == pytest.approx(9.0)
    assert s["points"] == 50 + 50
    assert "10 % less residual waste in 4 weeks" in {b["name"] for b in s["badges"]}


def test_a_challenge_needs_a_baseline_first(client, staff) -> None:
    new = enrol(client, staff)
    weigh(client, new, {1: 3.0})
    r = client.post("/v1/household/challenges/restmuell-minus-10", headers=new.household_headers)
    assert r.status_code == 409 and "3 complete weeks" in r.json()["detail"]


def test_a_weighing_from_a_wrong_clock_is_rejected_and_a_wrong_one_can_be_voided(client, staff) -> None:
    home = enrol(client, staff)
    weigh(client, home, {4: 10.0, 3: 10.0, 2: 10.0, 1: 10.0})
    # A Pi that weighed before it had network time, and sent once it had: 1970 after clock correction.
    epoch = event(home, at=dt.datetime(1970, 1, 1, 0, 5, tzinfo=dt.UTC), net_kg=2.0, gross_kg=2.0)
    r = upload(client, home, [epoch], sent_at=dt.datetime.now(dt.UTC)).json()
    reasons = " ".join(r["results"][0]["reasons"])
    assert r["rejected"] == 1 and "days ago" in reasons and "before bin" in reasons

    def last_week_kg() -> float:
        s = client.get("/v1/household/summary", headers=home.household_headers).json()
        return s["streams"][0]["last_week_kg"]

    assert last_week_kg() == pytest.approx(10.0)
    spike = event(home, at=wednesday_noon(1) + dt.timedelta(hours=3), net_kg=30.0, gross_kg=40.0)  # a child on the lid
    assert upload(client, home, [spike]).json()["accepted"] == 1
    assert last_week_kg() == pytest.approx(40.0)

    body = {"reason": "a child climbed on the bin"}
    assert client.post(f"/v1/staff/weighings/{spike['id']}/void", json=body).status_code == 401
    assert client.post("/v1/staff/weighings/no-such-event/void", json=body, headers=staff).status_code == 404
    r = client.post(f"/v1/staff/weighings/{spike['id']}/void", json=body, headers=staff)
    assert r.status_code == 200, r.text
    assert r.json()["review_status"] == "voided" and "a child climbed on the bin" in r.json()["reasons"][0]
    assert last_week_kg() == pytest.approx(10.0)  # the week is computed again without it
    voided = client.get("/v1/staff/weighings/rejected", params={"status": "voided"}, headers=staff).json()
    assert spike["id"] in {v["event_id"] for v in voided}
    assert client.post(f"/v1/staff/weighings/{spike['id']}/void", json=body, headers=staff).status_code == 404


def test_household_endpoints_need_the_household_key(client, staff, arrenberg) -> None:
    assert client.get("/v1/household/summary").status_code == 401
    assert client.get("/v1/household/summary", headers=arrenberg[1].device_headers).status_code == 403
    assert client.get("/v1/household/summary", headers=staff).status_code == 403


def test_deleting_a_household_deletes_its_data(client, staff) -> None:
    mine, theirs = enrol(client, staff), enrol(client, staff)
    for home in (mine, theirs):
        weigh(client, home, {2: 4.0, 1: 3.0})
    upload(client, mine, [event(mine, net_kg=-1.0)])  # a rejected event naming its bin
    stray = event(mine, device=theirs.device)  # their scale, misconfigured, names my bin: rejected, kept
    assert upload(client, theirs, [stray]).json()["rejected"] == 1
    assert client.delete("/v1/household", headers=mine.household_headers).status_code == 204
    assert client.get("/v1/household/summary", headers=mine.household_headers).status_code == 401
    r = client.delete(f"/v1/staff/households/{theirs.household}", headers=staff)
    assert r.status_code == 200 and r.json()["weighings"] == 4 and r.json()["bins"] == 1
    assert client.delete(f"/v1/staff/households/{theirs.household}", headers=staff).status_code == 404
    with client.app.state.sessionmaker() as session:
        left = session.scalars(select(Weighing).where(Weighing.household_id.in_([mine.household, theirs.household])))
        assert list(left) == []
    rejected = client.get("/v1/staff/weighings/rejected?limit=1000", headers=staff).json()
    assert not [r for r in rejected if r["payload"].get("bin") in mine.bins.values()]


def test_retention_purges_old_weighings_only(client, staff) -> None:
    home = enrol(client, staff)
    weigh(client, home, {30: 5.0, 1: 2.0})
    with client.app.state.sessionmaker() as session:
        counts = purge_expired(session, retention_weeks=20)
        assert counts["weighings"] >= 2
        left = session.scalars(select(Weighing.week).where(Weighing.household_id == home.household)).all()
    assert left and all(w >= monday(20) for w in left)

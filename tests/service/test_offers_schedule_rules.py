from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from pydantic import ValidationError

from zerowaste.model import taxonomy
from zerowaste.service.db.models import Offer
from zerowaste.service.offers import haversine_km, rank_offers
from zerowaste.service.rules import read_rules, rules_path
from zerowaste.service.schedule import Schedule, nth_weekday, open_at

BERLIN = ZoneInfo("Europe/Berlin")  # Wuppertal's, as ZEROWASTE_TIMEZONE gives it
REPAIR_CAFE = Schedule.model_validate({"monthly": [{"nth": 2, "day": "fri", "open": "16:30", "close": "19:30"}]})
LAST_FRIDAY = Schedule.model_validate({"monthly": [{"nth": -1, "day": "fri", "open": "15:00", "close": "17:00"}]})
SHOP = Schedule.model_validate(
    {"weekly": [{"days": ["mon", "tue", "wed", "thu", "fri"], "open": "10:00", "close": "17:00"}]}
)


def at(y: int, m: int, d: int, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=BERLIN)


def test_second_friday_of_the_month() -> None:
    assert open_at(REPAIR_CAFE, at(2026, 11, 13, 17), BERLIN) is True  # 13 Nov 2026 is the 2nd Friday
    assert open_at(REPAIR_CAFE, at(2026, 11, 6, 17), BERLIN) is False  # 1st Friday
    assert open_at(REPAIR_CAFE, at(2026, 11, 13, 19, 30), BERLIN) is False  # closing time is exclusive
    # A UTC moment is compared in Wuppertal's local time (UTC+1 in November).
    assert open_at(REPAIR_CAFE, dt.datetime(2026, 11, 13, 16, 0, tzinfo=dt.UTC), BERLIN) is True
    # Another municipality's time zone: the same moment is 11:00 in New York, before the café opens.
    assert open_at(REPAIR_CAFE, dt.datetime(2026, 11, 13, 16, 0, tzinfo=dt.UTC), ZoneInfo("America/New_York")) is False


def test_last_friday_and_weekly_hours() -> None:
    assert nth_weekday(dt.date(2026, 11, 27)) == (4, True)
    assert open_at(LAST_FRIDAY, at(2026, 11, 27, 16), BERLIN) is True
    assert open_at(LAST_FRIDAY, at(2026, 11, 20, 16), BERLIN) is False
    assert (
        open_at(SHOP, at(2026, 11, 23, 9, 59), BERLIN) is False and open_at(SHOP, at(2026, 11, 23, 10), BERLIN) is True
    )
    assert open_at(SHOP, at(2026, 11, 22, 12), BERLIN) is False  # Sunday
    assert open_at(Schedule(), at(2026, 11, 22, 12), BERLIN) is None


def _offer(key: str, cats: list[str], **kw: object) -> Offer:
    return Offer(
        key=key,
        name=key,
        kind=kw.pop("kind", "repair"),
        categories=cats,
        schedule=kw.pop("schedule", {}),
        active=kw.pop("active", True),
        **kw,
    )


def test_the_kind_of_offer_that_suits_the_thing_comes_first() -> None:
    from zerowaste.model.items import item_map

    repair = _offer("repair-cafe", ["small-electrical", "textile"], district="Elberfeld")
    shop = _offer("second-hand", ["small-electrical", "textile"], kind="second-hand", district="Barmen")
    for category, first in (("textile", "second-hand"), ("small-electrical", "repair-cafe")):
        ranked = rank_offers(
            [repair, shop],
            [],
            preferred=[category],
            district="Elberfeld",
            zone=BERLIN,
            kinds=item_map().offer_kinds([category]),
        )
        # fit beats nearness: the shop in another district comes first for a jacket, not for a toaster
        assert ranked[0].offer.key == first, category
    # without kinds (no item), the nearer one
    assert rank_offers([repair, shop], ["textile"], district="Barmen", zone=BERLIN)[0].offer.key == "second-hand"


def test_ranking_fit_then_distance_then_district() -> None:
    mirke = _offer("mirke", ["bicycle"], lat=51.26667, lon=7.14528, district="Elberfeld")
    far = _offer("far", ["bicycle"], lat=51.18, lon=7.19, district="Ronsdorf")
    nearby_district = _offer("cron", ["bicycle"], district="Cronenberg")
    everything = _offer("all", ["bicycle", "tool"], district="Barmen")
    retired = _offer("old", ["bicycle", "tool"], active=False)
    unrelated = _offer("books", ["book"], kind="book-shelf")
    offers = [far, nearby_district, mirke, everything, retired, unrelated]
    ranked = rank_offers(offers, ["bicycle", "tool"], lat=51.2667, lon=7.1453, district="Cronenberg", zone=BERLIN)
    assert [r.offer.key for r in ranked] == ["all", "mirke", "cron", "far"]
    assert ranked[1].distance_km is not None and ranked[1].distance_km < 0.1
    assert ranked[2].distance_km is None
    assert haversine_km(51.26667, 7.14528, 51.18, 7.19) == pytest.approx(10.2, abs=0.3)


def test_open_offers_rank_before_closed_ones_of_equal_fit() -> None:
    a = _offer("a", ["textile"], schedule=SHOP.model_dump(), kind="second-hand")
    b = _offer("b", ["textile"], schedule=REPAIR_CAFE.model_dump())
    monday_noon = at(2026, 11, 23, 12)
    assert [r.offer.key for r in rank_offers([b, a], ["textile"], now=monday_noon, zone=BERLIN)] == ["a", "b"]


def test_wuppertal_rules_cover_every_class_and_enough_items() -> None:
    rules = read_rules(rules_path("wuppertal"))
    assert set(rules.classes) == set(taxonomy.LABELS)
    assert len(rules.abc) >= 150
    assert len(rules.offers) >= 28
    with_coords = [o for o in rules.offers if o.lat is not None]
    # Only Bahnhof Mirke has sourced coordinates; nothing may be invented.
    assert {o.address for o in with_coords} <= {"Utopiastadt / Bahnhof Mirke, Mirker Str. 48", "Mirker Str. 48"}
    assert all(o.source.startswith("http") for o in rules.offers)


def test_a_broken_rules_file_names_the_problem(tmp_path: Path) -> None:
    data = yaml.safe_load(rules_path("wuppertal").read_text(encoding="utf-8"))
    data["classes"]["battery"]["stream"] = "moon"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValidationError, match="unknown stream 'moon'"):
        read_rules(bad)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c["white-glass"]["look_alike"].update({"items": ["wine-bottle-x"]}), "among its look-alikes"),
        (lambda c: c["white-glass"]["look_alike"].update({"yes": "moon"}), "unknown stream 'moon'"),
        (lambda c: c["metal"].update({"look_alike": c["white-glass"]["look_alike"]}), "one question at a time"),
    ],
)
def test_a_broken_look_alike_is_refused(tmp_path: Path, change, message: str) -> None:
    data = yaml.safe_load(rules_path("wuppertal").read_text(encoding="utf-8"))
    change(data["classes"])
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValidationError, match=message):
        read_rules(bad)


def test_offers_for_the_item_come_before_offers_for_the_material() -> None:
    # A toaster photographed as "metal": the repair café (small electrical) beats the nearer scrap dealer.
    scrap = _offer("scrap", ["tool", "household"], district="Cronenberg")
    repair = _offer("repair", ["small-electrical"], district="Barmen")
    ranked = rank_offers(
        [scrap, repair],
        ["tool", "household"],
        preferred=["small-electrical", "kitchenware"],
        district="Cronenberg",
        zone=BERLIN,
    )
    assert [(r.offer.key, r.for_item) for r in ranked] == [("repair", True), ("scrap", False)]


def _broken(tmp_path: Path, change) -> Path:
    data = yaml.safe_load(rules_path("wuppertal").read_text(encoding="utf-8"))
    change(data)
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return bad


def test_rules_must_define_every_item_the_model_can_name(tmp_path: Path) -> None:
    bad = _broken(tmp_path, lambda d: d.update(abc=[a for a in d["abc"] if a["key"] != "toaster"]))
    with pytest.raises(ValidationError, match=r"item map .* lacks: \['toaster'\]"):
        read_rules(bad)


def test_offer_categories_come_from_the_item_map(tmp_path: Path) -> None:
    bad = _broken(tmp_path, lambda d: d["offers"][0].update(categories=["small-electrical", "electronics"]))
    with pytest.raises(ValidationError, match=r"unknown categories \['electronics'\]"):
        read_rules(bad)


def test_opening_hours_follow_a_new_schedule_on_the_same_row() -> None:
    """Ranking reads a row's hours many times; a staff edit that sets a new schedule is seen at once."""
    offer = _offer("x", ["textile"], schedule=SHOP.model_dump())
    assert offer.opening_hours is offer.opening_hours  # validated once, not per ranking
    assert offer.opening_hours == SHOP
    offer.schedule = REPAIR_CAFE.model_dump()
    assert offer.opening_hours == REPAIR_CAFE

"""Municipality data as data: a YAML file per municipality, validated, then loaded into the database.

Loading inserts what is missing and leaves rows staff have edited alone, so a restart never undoes
their work; `replace=True` (the `zerowaste rules load --replace` path) makes the file win.
"""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from zerowaste.model import taxonomy
from zerowaste.model.items import item_map
from zerowaste.service.config import Settings
from zerowaste.service.db.models import AbcItem, Challenge, Municipality, Neighbourhood, Offer, Stream
from zerowaste.service.schedule import Schedule
from zerowaste.service.schedule import Strict as _Strict

# FIWARE WasteContainer storedWasteKind values (smart-data-models dataModel.WasteManagement).
WasteKind = Literal[
    "organic",
    "inorganic",
    "glass",
    "oil",
    "plastic",
    "metal",
    "paper",
    "batteries",
    "electronics",
    "hazardous",
    "other",
]
OfferKind = Literal["repair", "second-hand", "lending", "book-shelf", "food-sharing", "give-away"]


class Text(_Strict):
    de: str
    en: str


class TextList(_Strict):
    de: list[str] = []
    en: list[str] = []


class StreamRule(_Strict):
    key: str
    name: Text
    where: Text
    instructions: Text
    not_allowed: TextList = TextList()
    source: str
    waste_kind: list[WasteKind] = ["other"]
    synonyms: list[str] = []  # what people search the stream by: "Gelber Sack", "E-Schrott"


class Question(_Strict):
    de: str
    en: str
    yes: str
    no: str


class LookAlike(_Strict):
    """Things that look like the material but do not go its way (a wine glass among glass bottles).

    When the item head gives them together at least the configured probability, however unsure
    (`ZEROWASTE_ITEM_LOOK_ALIKE_THRESHOLD`), the answer asks; "yes" names their stream.
    """

    items: list[str]
    de: str
    en: str
    yes: str


class ClassRule(_Strict):
    stream: str
    items: list[str] = []
    categories: list[str] = []
    container: Text | None = None
    ask: Question | None = None
    look_alike: LookAlike | None = None


class AbcRule(_Strict):
    key: str
    de: str
    en: str
    stream: str
    synonyms: list[str] = []
    categories: list[str] = []
    notes: Text | None = None
    rule: str | None = None  # why the stream: Wuppertal's rule with its source id, or the general rule


class OfferRule(_Strict):
    key: str
    name: str
    kind: OfferKind
    address: str
    district: str | None = None
    quarter: str | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    # Where the point comes from when not from `source` (an OpenStreetMap object, from `zerowaste rules
    # geocode`): a point is never invented.
    position_source: str | None = None
    categories: list[str]
    schedule: Schedule = Schedule()
    schedule_text: Text
    source: str
    active: bool = True
    # The year the source's facts are from where it is older than the file's check ("Stand 2014"):
    # staff see such offers in the list of offers due for a check.
    information_as_of: int | None = Field(default=None, ge=1990, le=2100)
    ends_on: dt.date | None = None  # an event's last known day: from the day after, citizens do not see it


class NeighbourhoodRule(_Strict):
    key: str = Field(pattern=r"^[a-z0-9-]+$")
    name: str
    district: str
    district_no: int | None = None
    quarters: list[str] = []
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    source: str


class ChallengeRule(_Strict):
    key: str = Field(pattern=r"^[a-z0-9-]+$")
    name: Text
    stream: str
    reduction_pct: float = Field(gt=0, lt=100)
    weeks: int = Field(ge=1, le=52)
    points: int = Field(ge=0)


class Bounds(_Strict):
    """The municipality's extent, rounded outward: a position outside it is not used to rank offers."""

    south: float = Field(ge=-90, le=90)
    west: float = Field(ge=-180, le=180)
    north: float = Field(ge=-90, le=90)
    east: float = Field(ge=-180, le=180)
    source: str

    def contains(self, lat: float, lon: float) -> bool:
        return self.south <= lat <= self.north and self.west <= lon <= self.east


class MunicipalityRules(_Strict):
    municipality: str
    name: str
    # How the citizen pages address people in German: a municipal service says "Sie" unless the
    # municipality chooses otherwise.
    form_of_address: Literal["Sie", "du"] = "Sie"
    districts: list[str] = []  # the Stadtbezirke a citizen can choose on the page
    bounds: Bounds | None = None
    operator: str = ""
    verified_on: dt.date
    streams: list[StreamRule]
    classes: dict[str, ClassRule]
    abc: list[AbcRule]
    offers: list[OfferRule]
    neighbourhoods: list[NeighbourhoodRule] = []
    challenges: list[ChallengeRule] = []

    @model_validator(mode="after")
    def _consistent(self) -> MunicipalityRules:
        streams = {s.key for s in self.streams}
        items = {a.key for a in self.abc}
        missing = set(taxonomy.LABELS) - set(self.classes)
        if missing:
            raise ValueError(f"every model class needs a rule; missing: {sorted(missing)}")
        for label, rule in self.classes.items():
            targets = [rule.stream] + ([rule.ask.yes, rule.ask.no] if rule.ask else [])
            for t in targets:
                if t not in streams:
                    raise ValueError(f"class {label}: unknown stream {t!r}")
            for i in rule.items:
                if i not in items:
                    raise ValueError(f"class {label}: unknown Abfall-ABC item {i!r}")
            if rule.ask and rule.look_alike:
                raise ValueError(f"class {label}: one question at a time, `ask` or `look_alike`")
            if rule.look_alike:
                if rule.look_alike.yes not in streams:
                    raise ValueError(f"class {label}: unknown stream {rule.look_alike.yes!r}")
                for i in rule.look_alike.items:
                    if i not in items:
                        raise ValueError(f"class {label}: unknown Abfall-ABC item {i!r} among its look-alikes")
        for a in self.abc:
            if a.stream not in streams:
                raise ValueError(f"Abfall-ABC item {a.key}: unknown stream {a.stream!r}")
        imap = item_map()
        for category, kinds in imap.category_offers.items():
            unknown_kinds = set(kinds) - set(get_args(OfferKind))
            if unknown_kinds:
                raise ValueError(f"item map category {category}: unknown kinds of offer {sorted(unknown_kinds)}")
        unmapped = imap.abc_keys() - items
        if unmapped:
            raise ValueError(
                f"the item map (model/item_map.yaml) names Abfall-ABC items this file lacks: {sorted(unmapped)}"
            )
        for kind, rows in (("Abfall-ABC item", self.abc), ("offer", self.offers)):
            for row in rows:
                unknown = set(row.categories) - set(imap.categories)
                if unknown:
                    raise ValueError(f"{kind} {row.key}: unknown categories {sorted(unknown)}")
        for o in self.offers:
            if (o.lat is None) != (o.lon is None) or (o.position_source and o.lat is None):
                raise ValueError(f"offer {o.key}: give lat and lon together (and position_source only with them)")
            if o.lat is not None and o.lon is not None and self.bounds and not self.bounds.contains(o.lat, o.lon):
                raise ValueError(f"offer {o.key}: {o.lat}, {o.lon} lies outside the municipality's bounds")
        if self.districts:
            unknown_districts = {o.district for o in self.offers if o.district} - set(self.districts)
            if unknown_districts:
                raise ValueError(f"offers name districts the file does not list: {sorted(unknown_districts)}")
        for c in self.challenges:
            if c.stream not in streams:
                raise ValueError(f"challenge {c.key}: unknown stream {c.stream!r}")
        for kind, keys in (
            ("stream", [s.key for s in self.streams]),
            ("item", [a.key for a in self.abc]),
            ("offer", [o.key for o in self.offers]),
            ("neighbourhood", [n.key for n in self.neighbourhoods]),
            ("challenge", [c.key for c in self.challenges]),
        ):
            if len(keys) != len(set(keys)):
                raise ValueError(f"duplicate {kind} keys")
        return self

    def bin_of_class(self) -> dict[str, str]:
        """Where each model class is sent before any question is asked: the stream, and for glass
        the container colour, since a bottle in the wrong colour's container is a wrong answer too."""
        return {
            label: rule.stream + (f"/{rule.container.en}" if rule.container else "")
            for label, rule in self.classes.items()
        }


def rules_path(municipality: str) -> Path:
    return Path(str(resources.files("zerowaste.service") / "rules" / f"{municipality}.yaml"))


class RulesMismatch(ValueError):
    """The rules file is another municipality's than the one the settings name."""


def configured_rules(settings: Settings) -> MunicipalityRules:
    """The rules the settings name: ZEROWASTE_RULES_FILE, or the package's file for the municipality."""
    path = settings.rules_file or rules_path(settings.municipality)
    rules = read_rules(path)
    if rules.municipality != settings.municipality:
        raise RulesMismatch(
            f"{path} holds the rules of {rules.municipality!r}, but ZEROWASTE_MUNICIPALITY is "
            f"{settings.municipality!r}: set both to the same municipality"
        )
    return rules


def read_rules(path: Path) -> MunicipalityRules:
    with path.open(encoding="utf-8") as f:
        data: Any = yaml.safe_load(f)
    return MunicipalityRules.model_validate(data)


def load_rules(session: Session, rules: MunicipalityRules, *, replace: bool = False) -> dict[str, int]:
    """Write the rules into the database; returns how many rows of each kind were written."""
    m = session.get(Municipality, rules.municipality)
    class_map = {k: v.model_dump(exclude_none=True) for k, v in rules.classes.items()}
    if m is None:
        m = Municipality(key=rules.municipality)
        session.add(m)
    m.name, m.operator, m.verified_on, m.class_map = rules.name, rules.operator, rules.verified_on, class_map
    written = {"streams": 0, "abc": 0, "offers": 0}

    def existing(model: type[Any]) -> dict[str, Any]:
        rows = session.scalars(select(model).where(model.municipality == rules.municipality))
        return {r.key: r for r in rows}

    streams = existing(Stream)
    for s in rules.streams:
        if s.key in streams and not replace:
            continue
        row = streams.get(s.key) or Stream(municipality=rules.municipality, key=s.key)
        row.name, row.where, row.instructions = s.name.model_dump(), s.where.model_dump(), s.instructions.model_dump()
        row.not_allowed, row.source, row.waste_kind = s.not_allowed.model_dump(), s.source, list(s.waste_kind)
        row.synonyms = list(s.synonyms)
        session.add(row)
        written["streams"] += 1
    items = existing(AbcItem)
    for a in rules.abc:
        if a.key in items and not replace:
            continue
        row = items.get(a.key) or AbcItem(municipality=rules.municipality, key=a.key)
        row.name_de, row.name_en, row.synonyms, row.stream_key = a.de, a.en, a.synonyms, a.stream
        row.categories, row.notes = a.categories, a.notes.model_dump() if a.notes else {}
        session.add(row)
        written["abc"] += 1
    offers = existing(Offer)
    for o in rules.offers:
        if o.key in offers and not replace:
            continue
        row = offers.get(o.key) or Offer(municipality=rules.municipality, key=o.key)
        for field in (
            "name",
            "kind",
            "address",
            "district",
            "quarter",
            "lat",
            "lon",
            "categories",
            "source",
            "active",
            "information_as_of",
            "ends_on",
        ):
            setattr(row, field, getattr(o, field))
        row.schedule = o.schedule.model_dump()
        row.schedule_text = o.schedule_text.model_dump()
        row.verified_on = rules.verified_on
        session.add(row)
        written["offers"] += 1
    # Neighbourhoods and challenges are reference data staff do not edit: the file always wins.
    hoods = existing(Neighbourhood)
    for n in rules.neighbourhoods:
        row = hoods.get(n.key) or Neighbourhood(municipality=rules.municipality, key=n.key)
        row.name, row.district, row.quarters, row.lat, row.lon, row.source = (
            n.name,
            n.district,
            n.quarters,
            n.lat,
            n.lon,
            n.source,
        )
        session.add(row)
    challenges = existing(Challenge)
    for c in rules.challenges:
        row = challenges.get(c.key) or Challenge(municipality=rules.municipality, key=c.key)
        row.name, row.stream, row.reduction_pct, row.weeks, row.points = (
            c.name.model_dump(),
            c.stream,
            c.reduction_pct,
            c.weeks,
            c.points,
        )
        session.add(row)
    written["neighbourhoods"], written["challenges"] = len(rules.neighbourhoods), len(rules.challenges)
    session.commit()
    return written

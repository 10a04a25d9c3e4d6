"""From probabilities to what a citizen reads: a decision or a question, the item, the stream, the offers.

The waste head says which material; the item head may say which thing. They agree when the item's
stream (from the Abfall-ABC) is one the material allows, its "is it packaging?" answers included;
then the item also answers that question. When they disagree the answer says so and asks.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from zerowaste.model.items import DEFAULT_LOOK_ALIKE_THRESHOLD, CategoryGuess, ItemGuess, Recognition, item_map
from zerowaste.model.runtime import Classifier
from zerowaste.service import schemas
from zerowaste.service.db.models import AbcItem, Municipality, Offer, Stream
from zerowaste.service.offers import RankedOffer, rank_offers
from zerowaste.service.rules import ClassRule, MunicipalityRules
from zerowaste.service.search import SearchIndex

log = logging.getLogger(__name__)


def stream_public(stream: Stream, lang: str) -> schemas.StreamPublic:
    return schemas.StreamPublic(
        key=stream.key,
        name=stream.name[lang],
        where=stream.where[lang],
        instructions=stream.instructions[lang],
        not_allowed=list(stream.not_allowed.get(lang, [])),
        source=stream.source,
    )


def offer_public(r: RankedOffer, lang: str) -> schemas.OfferPublic:
    o = r.offer
    return schemas.OfferPublic(
        key=o.key,
        name=o.name,
        kind=o.kind,
        address=o.address,
        district=o.district,
        lat=o.lat,
        lon=o.lon,
        categories=list(o.categories),
        matches=r.matches,
        for_item=r.for_item,
        distance_km=None if r.distance_km is None else round(r.distance_km, 2),
        open_now=r.open_now,
        schedule=o.schedule_text.get(lang, ""),
        source=o.source,
        checked_on=o.verified_on,
        information_as_of=o.information_as_of,
    )


class Guide:
    """Everything one municipality says: its class map, streams, Abfall-ABC and offers. The service keeps
    one per rules revision (`GuideCache`); its rows are detached and read-only."""

    def __init__(self, session: Session, municipality: str, zone: ZoneInfo) -> None:
        m = session.get(Municipality, municipality)
        if m is None:
            raise LookupError(f"no rules loaded for municipality {municipality!r}")
        self.municipality = m
        self.zone = zone  # the municipality's time zone: offers' opening hours are local times
        # The class map as the rules file's models (the column holds their JSON, validated on load).
        self.classes = {label: ClassRule.model_validate(rule) for label, rule in m.class_map.items()}
        self.streams = {s.key: s for s in session.scalars(select(Stream).where(Stream.municipality == m.key))}
        self.items = {a.key: a for a in session.scalars(select(AbcItem).where(AbcItem.municipality == m.key))}
        self.offers = list(session.scalars(select(Offer).where(Offer.municipality == m.key)))

    @cached_property
    def search_index(self) -> SearchIndex:
        return SearchIndex(list(self.items.values()), list(self.streams.values()))

    def detach(self, session: Session) -> None:
        """Out of the session that read it, so that it can serve later requests and other threads."""
        for row in (self.municipality, *self.streams.values(), *self.items.values(), *self.offers):
            session.expunge(row)

    def allowed_streams(self, label: str) -> set[str]:
        rule = self.classes[label]
        return {rule.stream} | ({rule.ask.yes, rule.ask.no} if rule.ask else set())

    def guidance(
        self,
        label: str,
        lang: str,
        item_stream: str | None = None,
        item_sums: Mapping[str, float] | None = None,
        look_alike_threshold: float = DEFAULT_LOOK_ALIKE_THRESHOLD,
    ) -> schemas.Guidance:
        """The stream for a material; an agreeing item's stream settles the material's question, and
        the item head finding the material's look-alikes (`item_sums`, per Abfall-ABC item) asks one."""
        rule = self.classes[label]
        stream, question = rule.stream, None
        if ask := rule.ask:
            if item_stream in (ask.yes, ask.no):
                stream = item_stream
            else:
                question = schemas.Question(
                    text=ask.en if lang == "en" else ask.de,
                    answers={
                        "yes": stream_public(self.streams[ask.yes], lang),
                        "no": stream_public(self.streams[ask.no], lang),
                    },
                )
        elif (like := rule.look_alike) and item_sums is not None:
            if sum(item_sums.get(k, 0.0) for k in like.items) >= look_alike_threshold:
                question = schemas.Question(
                    text=like.en if lang == "en" else like.de,
                    answers={
                        "yes": stream_public(self.streams[like.yes], lang),
                        "no": stream_public(self.streams[stream], lang),
                    },
                )
        container = (rule.container.en if lang == "en" else rule.container.de) if rule.container else None
        return schemas.Guidance(
            label=label, stream=stream_public(self.streams[stream], lang), container=container, question=question
        )

    def item(self, guess: ItemGuess, candidates: list[str], lang: str) -> schemas.ItemPublic | None:
        abc = self.items.get(guess.item.abc)
        if abc is None:  # rules validation prevents it; a hand-edited database must not break answers
            log.warning(
                "item %s has no Abfall-ABC entry %r in %s", guess.item.imagenet, guess.item.abc, self.municipality.key
            )
            return None
        category = guess.item.category
        note = abc.notes.get(lang) if abc.notes else None
        return schemas.ItemPublic(
            key=abc.key,
            imagenet=guess.item.imagenet,
            name=guess.item.name(lang),
            category=category,
            display=guess.label(lang),
            probability=guess.probability,
            stream=stream_public(self.streams[abc.stream_key], lang),
            note=note,
            agrees=any(abc.stream_key in self.allowed_streams(c) for c in candidates),
        )

    def item_category(self, guess: CategoryGuess, candidates: list[str], lang: str) -> schemas.ItemCategoryPublic:
        abc = self.items.get(guess.abc() or "")
        stream = self.streams[abc.stream_key] if abc is not None else None
        return schemas.ItemCategoryPublic(
            key=guess.key,
            name=guess.name(lang),
            probability=guess.probability,
            stream=stream_public(stream, lang) if stream is not None else None,
            agrees=stream is None or any(stream.key in self.allowed_streams(c) for c in candidates),
        )

    def item_categories(self, item: schemas.ItemPublic) -> list[str]:
        cats = set(self.items[item.key].categories)
        if item.category:
            cats.add(item.category)
        return sorted(cats)

    def categories(self, label: str) -> list[str]:
        rule = self.classes[label]
        cats = list(rule.categories)
        for key in rule.items:
            if key in self.items:
                cats += self.items[key].categories
        return sorted(set(cats))


def usable_position(
    rules: MunicipalityRules, lat: float | None, lon: float | None, lang: str
) -> tuple[float | None, float | None, str | None]:
    """The citizen's position if it lies in the municipality; else none, and a note that says so."""
    if lat is None or lon is None or rules.bounds is None or rules.bounds.contains(lat, lon):
        return lat, lon, None
    if lang == "en":
        note = f"Your position is outside {rules.name}: offers are ordered by district, not by distance."
    elif rules.form_of_address == "du":
        note = f"Dein Standort liegt außerhalb von {rules.name}: die Angebote sind nach Stadtbezirk geordnet."
    else:
        note = f"Ihr Standort liegt außerhalb von {rules.name}: die Angebote sind nach Stadtbezirk geordnet."
    return None, None, note


def top_labels(classifier: Classifier, probs: np.ndarray, lang: str, k: int = 3) -> list[schemas.LabelProbability]:
    order = np.argsort(probs)[::-1][:k]
    spec = classifier.spec
    return [
        schemas.LabelProbability(
            label=spec.labels[i], name=spec.label_names[spec.labels[i]][lang], probability=round(float(probs[i]), 4)
        )
        for i in order
    ]


def candidate_labels(
    top: list[schemas.LabelProbability], decided: bool, min_probability: float = 0.1
) -> list[schemas.LabelProbability]:
    """The decision alone, or, when unsure, every label of at least `min_probability` (never fewer than two)."""
    if decided:
        return top[:1]
    likely = sum(t.probability >= min_probability for t in top)
    return top[: max(2, likely)]


def _in_sentence(name: str) -> str:
    """An English class name inside a sentence ("Residual waste" -> "residual waste"); German nouns keep
    their capital."""
    return name[:1].lower() + name[1:]


def disagreement_question(item: schemas.ItemPublic, material: schemas.LabelProbability, lang: str) -> str:
    if lang == "de":
        return (
            f"Das sieht aus wie {item.display}, das Material wirkt aber wie {material.name}. "
            f"Ist es {item.name} ({item.stream.name}) oder {material.name}?"
        )
    name = _in_sentence(material.name)
    return (
        f"This looks like {item.display}, but the material looks like {name}. "
        f"Is it {item.name} ({item.stream.name}) or {name}?"
    )


@dataclass
class ItemDecision:
    """What the item head adds to an answer, after weighing it against the material."""

    item: schemas.ItemPublic | None
    category: schemas.ItemCategoryPublic | None
    decided: bool
    clarify: str | None
    item_stream: str | None  # an agreeing, decisive item's (or category's) stream: it settles the material's question


ItemRole = Literal["settles", "shown", "asks", "dropped"]


def item_role(
    agrees: bool, probability: float, material_sure: bool, decisive_threshold: float, *, may_ask: bool = True
) -> ItemRole:
    """What an item (or category) answer does to the material's answer.

    - agrees and decisive: it "settles" the material's question (a carrier bag is packaging);
    - agrees: it is "shown";
    - disagrees and decisive: the answer "asks" which of the two it is (only where `may_ask`);
    - disagrees while the waste head is sure: "dropped", since the waste head knows the waste photos
      it was trained on better (at 0.5 the item head calls one tin in twenty a spotlight);
    - disagrees while the waste head is unsure: "shown" as the other possibility. The photo is then
      often of a thing the waste classes do not cover (a phone in a hand is neither metal nor
      plastic), where the item head is the better witness and its category brings the repair offers.
    A category alone may not ask: it must not turn a sure material answer into a question (a battery
    pack that the item head takes for a hard disc stays a battery).
    """
    if agrees:
        return "settles" if probability >= decisive_threshold else "shown"
    if may_ask and probability >= decisive_threshold:
        return "asks"
    return "dropped" if material_sure else "shown"


def weigh_item(
    guide: Guide,
    recognition: Recognition | None,
    top: list[schemas.LabelProbability],
    candidates: list[schemas.LabelProbability],
    decided: bool,
    decisive_threshold: float,
    lang: str,
) -> ItemDecision:
    """Item (or, without a sure item, category) against the material, by `item_role`.

    A dropped item leaves its category to speak for itself (it may agree where the item did not).
    """
    names = [c.label for c in candidates]
    item = guide.item(recognition.item, names, lang) if recognition and recognition.item else None
    category = guide.item_category(recognition.category, names, lang) if recognition and recognition.category else None
    clarify = None if decided else clarifying_question(candidates, lang)
    if item is not None and item_role(item.agrees, item.probability, decided, decisive_threshold) == "dropped":
        item = None
    if (
        item is None
        and category is not None
        and item_role(category.agrees, category.probability, decided, decisive_threshold, may_ask=False) == "dropped"
    ):
        category = None
    thing: schemas.ItemPublic | schemas.ItemCategoryPublic | None = item or category  # the item speaks for its category
    if thing is None:
        return ItemDecision(item=None, category=None, decided=decided, clarify=clarify, item_stream=None)
    role = item_role(thing.agrees, thing.probability, decided, decisive_threshold, may_ask=item is not None)
    if role == "asks" and item is not None:
        decided, clarify = False, disagreement_question(item, top[0], lang)
    item_stream = thing.stream.key if role == "settles" and thing.stream is not None else None
    return ItemDecision(item=item, category=category, decided=decided, clarify=clarify, item_stream=item_stream)


def clarifying_question(candidates: list[schemas.LabelProbability], lang: str) -> str:
    names = [c.name for c in candidates]
    if lang == "de":
        return "Wir sind nicht sicher. Ist es " + ", ".join(names[:-1]) + " oder " + names[-1] + "?"
    names = [_in_sentence(n) for n in names]
    return "We are not sure. Is it " + ", ".join(names[:-1]) + " or " + names[-1] + "?"


class GuideCache:
    """The municipality's rules as of their revision, read and indexed once, not on every request (a
    search used to spend 5 ms reading 465 Abfall-ABC rows and 35 ms scoring every name). Each request
    asks the database only for the revision, so a staff edit in any process is seen by every process
    from its next request."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._kept: dict[str, tuple[str, Guide]] = {}
        self._lock = threading.Lock()

    def get(self, session: Session, municipality: str) -> Guide:
        revision = session.scalar(select(Municipality.revision).where(Municipality.key == municipality))
        if revision is None:
            raise LookupError(f"no rules loaded for municipality {municipality!r}")
        kept = self._kept.get(municipality)
        if kept is not None and kept[0] == revision:
            return kept[1]
        with self._lock:  # concurrent requests after an edit load it once
            kept = self._kept.get(municipality)
            if kept is not None and kept[0] == revision:
                return kept[1]
            guide = Guide(session, municipality, self.zone)
            guide.detach(session)
            _ = guide.search_index
            self._kept[municipality] = (revision, guide)
            return guide


def search_results(guide: Guide, q: str, lang: str, limit: int, max_offers: int) -> list[schemas.AbcHit]:
    """Hits for a query with their streams and the offers a photo of the same thing would get."""
    results = []
    for h in guide.search_index.search(q, limit=limit):
        item, stream = h.target.item, h.target.stream
        if item is not None:
            # the offers a photo of the same thing would get: those that take its categories, the kinds
            # that suit it first
            offers = rank_offers(
                guide.offers,
                [],
                zone=guide.zone,
                preferred=list(item.categories),
                limit=max_offers,
                kinds=item_map().offer_kinds(list(item.categories)),
            )
            results.append(
                schemas.AbcHit(
                    kind="item",
                    key=item.key,
                    name=item.name_de if lang == "de" else item.name_en,
                    matched=h.matched,
                    score=round(h.score, 1),
                    stream=stream_public(guide.streams[item.stream_key], lang),
                    categories=list(item.categories),
                    note=item.notes.get(lang) if item.notes else None,
                    offers=[offer_public(o, lang) for o in offers],
                )
            )
        elif stream is not None:
            results.append(
                schemas.AbcHit(
                    kind="stream",
                    key=stream.key,
                    name=stream.name[lang],
                    matched=h.matched,
                    score=round(h.score, 1),
                    stream=stream_public(stream, lang),
                    categories=[],
                )
            )
    return results

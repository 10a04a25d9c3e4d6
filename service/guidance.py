"""From probabilities to what a citizen reads: a decision or a question, the stream, the offers."""

from __future__ import annotations

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from zerowaste.model.runtime import Classifier
from zerowaste.service import schemas
from zerowaste.service.db.models import AbcItem, Municipality, Offer, Stream
from zerowaste.service.offers import RankedOffer


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
        key=o.key, name=o.name, kind=o.kind, address=o.address, district=o.district, lat=o.lat, lon=o.lon,
        categories=list(o.categories), matches=r.matches,
        distance_km=None if r.distance_km is None else round(r.distance_km, 2),
        open_now=r.open_now, schedule=o.schedule_text.get(lang, ""), source=o.source,
    )


class Guide:
    """Everything one municipality says, read once per request from the database."""

    def __init__(self, session: Session, municipality: str) -> None:
        m = session.get(Municipality, municipality)
        if m is None:
            raise LookupError(f"no rules loaded for municipality {municipality!r}")
        self.municipality = m
        self.streams = {s.key: s for s in session.scalars(select(Stream).where(Stream.municipality == m.key))}
        self.items = {a.key: a for a in session.scalars(select(AbcItem).where(AbcItem.municipality == m.key))}
        self.offers = list(session.scalars(select(Offer).where(Offer.municipality == m.key)))

    def guidance(self, label: str, lang: str) -> schemas.Guidance:
        rule = self.municipality.class_map[label]
        question = None
        if ask := rule.get("ask"):
            question = schemas.Question(
                text=ask[lang],
                answers={a: stream_public(self.streams[ask[a]], lang) for a in ("yes", "no")},
            )
        container = rule.get("container", {}).get(lang)
        return schemas.Guidance(label=label, stream=stream_public(self.streams[rule["stream"]], lang),
                                container=container, question=question)

    def categories(self, label: str) -> list[str]:
        rule = self.municipality.class_map[label]
        cats = list(rule.get("categories", []))
        for key in rule.get("items", []):
            if key in self.items:
                cats += self.items[key].categories
        return sorted(set(cats))


def top_labels(classifier: Classifier, probs: np.ndarray, lang: str, k: int = 3) -> list[schemas.LabelProbability]:
    order = np.argsort(probs)[::-1][:k]
    spec = classifier.spec
    return [
        schemas.LabelProbability(label=spec.labels[i], name=spec.label_names[spec.labels[i]][lang],
                                 probability=round(float(probs[i]), 4))
        for i in order
    ]


def candidate_labels(top: list[schemas.LabelProbability], decided: bool,
                     min_probability: float = 0.1) -> list[schemas.LabelProbability]:
    """The decision alone, or, when unsure, every label of at least `min_probability` (never fewer than two)."""
    if decided:
        return top[:1]
    likely = sum(t.probability >= min_probability for t in top)
    return top[: max(2, likely)]


def clarifying_question(candidates: list[schemas.LabelProbability], lang: str) -> str:
    names = [c.name for c in candidates]
    if lang == "de":
        return "Wir sind nicht sicher. Ist es " + ", ".join(names[:-1]) + " oder " + names[-1] + "?"
    return "We are not sure. Is it " + ", ".join(names[:-1]) + " or " + names[-1] + "?"

"""The answer to a photo: what the model's outputs mean for the citizen under the municipality's rules.

One function, `answer_photo`, holds the policy the classify route used to hold: when the model is
sure (the model file's own rule), whether the household item or its category speaks, when to ask a
question, which streams to explain and which offers come first. It takes the model's outputs, not a
request, so tests call it without HTTP and other front ends (a page, a batch job) give the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from zerowaste.model.items import ItemThresholds, item_map, item_sums, recognise
from zerowaste.model.runtime import Classifier, Prediction
from zerowaste.model.uncertainty import SureRule
from zerowaste.service import schemas
from zerowaste.service.config import Settings
from zerowaste.service.guidance import Guide, candidate_labels, offer_public, top_labels, weigh_item
from zerowaste.service.offers import rank_offers


@dataclass(frozen=True)
class Position:
    """Where the citizen is, as far as the service may use it (see guidance.usable_position)."""

    lat: float | None = None
    lon: float | None = None
    district: str | None = None


@dataclass(frozen=True)
class Answer:
    top: list[schemas.LabelProbability]
    item: schemas.ItemPublic | None
    category: schemas.ItemCategoryPublic | None
    decided: bool
    clarify: str | None
    guidance: list[schemas.Guidance]
    offers: list[schemas.OfferPublic]


def is_sure(classifier: Classifier, prediction: Prediction, settings: Settings) -> bool:
    """The model file's own rule (its fitted thresholds, item evidence and distance from the training
    photos); a file without one keeps the configured threshold on the top class."""
    spec = classifier.spec
    rule = SureRule.from_spec(spec) if spec.sure else SureRule(settings.decision_threshold)
    return bool(rule(prediction.waste[:1], spec.labels, prediction.distance)[0])


def answer_photo(
    classifier: Classifier,
    prediction: Prediction,
    guide: Guide,
    settings: Settings,
    lang: schemas.Lang,
    where: Position | None = None,
) -> Answer:
    """The answer to the first photo of `prediction`, which `classifier` made."""
    where = where or Position()
    top = top_labels(classifier, prediction.waste[0], lang)
    decided = is_sure(classifier, prediction, settings)
    candidates = candidate_labels(top, decided)
    recognition = recognise(
        prediction.item[0],
        ItemThresholds(settings.item_threshold, settings.item_category_threshold),
        classifier.spec.item_temperature,
    )
    weighed = weigh_item(guide, recognition, top, candidates, decided, settings.item_decisive_threshold, lang)
    item, category = weighed.item, weighed.category

    material = sorted({c for t in candidates for c in guide.categories(t.label)})
    preferred = guide.item_categories(item) if item is not None else [category.key] if category is not None else []
    offers = rank_offers(
        guide.offers,
        material,
        preferred=preferred,
        lat=where.lat,
        lon=where.lon,
        district=where.district,
        zone=guide.zone,
        limit=settings.max_offers,
        kinds=item_map().offer_kinds(([item.category] if item is not None and item.category else []) + preferred),
    )
    sums = item_sums(prediction.item[0])
    return Answer(
        top=top,
        item=item,
        category=category,
        decided=weighed.decided,
        clarify=weighed.clarify,
        guidance=[
            guide.guidance(c.label, lang, weighed.item_stream, sums, settings.item_look_alike_threshold)
            for c in candidates
        ],
        offers=[offer_public(o, lang) for o in offers],
    )

"""When is an answer sure enough to give without asking, and how much would a person's label teach?

One rule, `sure`, for every place that answers a citizen: the service (a sure answer needs no
question), `zerowaste classify --json` and the edge (`"sure": true|false`). It reads two things the
model computes in its one pass:

- the probability of the answer a citizen acts on: the summed probability of the top class's *answer
  group*, the classes that go the same way (metal and plastic both go in the yellow bin, paper and
  cardboard in the blue one; glass colours do not share a container). The groups come from the rules
  the thresholds were fitted under and travel in the model file;
- how far the photo lies from everything the model was trained on (`distance`, the model's third
  output): temperature scaling fitted on familiar photos says nothing about a photo unlike any of
  them, where a network is confidently wrong.

The thresholds are fitted on validation photos of both domains by `zerowaste train` and stored in the
file (`spec.sure`). A file without them falls back to the service's old rule: top class >= 0.6.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, TypeGuard

import numpy as np

from zerowaste.model.runtime import Prediction
from zerowaste.model.spec import ModelSpec

# The answer needs no question when the top class has at least this probability (files without a
# fitted rule; the service's ZEROWASTE_DECISION_THRESHOLD defaults to it).
DEFAULT_DECISION_THRESHOLD = 0.6


class SureRuleError(ValueError):
    """A model file whose sure rule cannot be used as it stands."""


def _finite_number(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and bool(np.isfinite(value))


@dataclass(frozen=True)
class SureRule:
    min_confidence: float
    max_distance: float | None = None  # None: the file has no distance output, or the rule ignores it
    groups: tuple[tuple[str, ...], ...] = ()  # answer groups; a class in none is its own group

    @classmethod
    def from_spec(cls, spec: ModelSpec) -> SureRule:
        """The file's rule, checked: a malformed one is refused when the file loads (so the registry's
        gate refuses it and a device's smoke check rolls back), never at a citizen's request."""
        data = spec.sure
        if not data:
            return cls(DEFAULT_DECISION_THRESHOLD)
        if not isinstance(data, dict):
            raise SureRuleError(f"the sure rule must be an object, got {type(data).__name__}")
        confidence = data.get("min_confidence")
        # 1 + a hair: a fitted rule that nothing may pass ("every answer asks") is legitimate.
        if not _finite_number(confidence) or not 0.0 < confidence <= 1.0 + 1e-6:
            raise SureRuleError(f"min_confidence must be a number in (0, 1], got {confidence!r}")
        distance = data.get("max_distance")
        if distance is not None and (not _finite_number(distance) or distance <= 0):
            raise SureRuleError(f"max_distance must be a positive number or null, got {distance!r}")
        groups = data.get("groups", [])
        if not isinstance(groups, list) or not all(isinstance(g, list) and g for g in groups):
            raise SureRuleError(f"groups must be a list of non-empty lists of class labels, got {groups!r}")
        members = [key for g in groups for key in g]
        unknown = sorted({str(k) for k in members} - set(spec.labels))
        if unknown or len(members) != len(set(members)):
            raise SureRuleError(f"groups name unknown classes {unknown} or a class twice: {groups!r}")
        return cls(float(confidence), None if distance is None else float(distance), tuple(tuple(g) for g in groups))

    def to_dict(self) -> dict[str, Any]:
        return {
            "min_confidence": self.min_confidence,
            "max_distance": self.max_distance,
            "groups": [list(g) for g in self.groups],
        }

    def confidence(self, probs: np.ndarray, labels: Sequence[str]) -> np.ndarray:
        """(N,) the summed probability of each photo's top class's answer group."""
        return answer_confidence(probs, labels, self.groups)

    def __call__(self, probs: np.ndarray, labels: Sequence[str], distance: np.ndarray | None = None) -> np.ndarray:
        """(N,) bool: which answers are sure."""
        sure = self.confidence(probs, labels) >= self.min_confidence
        if self.max_distance is not None and distance is not None:
            sure &= np.asarray(distance) <= self.max_distance
        return sure


def group_index(labels: Sequence[str], groups: Sequence[Sequence[str]]) -> np.ndarray:
    """(classes,) the answer group of each class: its group's position, or a group of its own."""
    index = np.arange(len(groups), len(groups) + len(labels))
    for g, members in enumerate(groups):
        for key in members:
            if key in labels:
                index[list(labels).index(key)] = g
    return index


def answer_confidence(probs: np.ndarray, labels: Sequence[str], groups: Sequence[Sequence[str]]) -> np.ndarray:
    probs = np.asarray(probs, dtype=np.float64)
    of = group_index(labels, groups)
    summed = np.zeros((len(probs), int(of.max()) + 1))
    np.add.at(summed.T, of, probs.T)
    return np.asarray(summed[np.arange(len(probs)), of[probs.argmax(axis=1)]])


@dataclass(frozen=True)
class Signals:
    confidence: float  # the answer group's probability (calibrated, item evidence fused in)
    margin: float  # top minus second class probability
    heads_disagree: bool  # the item head's material evidence names another answer group than the waste head
    distance: float | None  # how far the photo lies from the training photos (None: the model cannot say)
    sure: bool
    priority: float  # higher: a person's label teaches the model more

    def to_dict(self) -> dict[str, float | bool | None]:
        return asdict(self)


def signals(pred: Prediction, spec: ModelSpec | None = None) -> list[Signals]:
    """One `Signals` per photo of a prediction batch.

    The labelling queue orders by `priority`: answers that are not sure first, and among them photos
    where the two heads disagree and photos far from the training photos (each adds to the score)."""
    from zerowaste.model.items import item_map

    labels = list(spec.labels) if spec is not None else [f"c{i}" for i in range(pred.waste.shape[1])]
    rule = SureRule.from_spec(spec) if spec is not None else SureRule(DEFAULT_DECISION_THRESHOLD)
    waste = np.asarray(pred.waste, dtype=np.float64)
    ordered = np.sort(waste, axis=1)
    conf = rule.confidence(waste, labels)
    sure = rule(waste, labels, pred.distance)
    of = group_index(labels, rule.groups)
    disagree = np.zeros(len(waste), dtype=bool)
    prior = item_map().material
    if prior.shape == (pred.item.shape[1], waste.shape[1]):
        evidence = np.asarray(pred.item, dtype=np.float64) @ prior
        disagree = (evidence.sum(axis=1) >= 0.5) & (of[evidence.argmax(axis=1)] != of[waste.argmax(axis=1)])
    far = np.zeros(len(waste))
    if pred.distance is not None:
        scale = rule.max_distance or float(np.median(pred.distance)) or 1.0
        far = np.clip(np.asarray(pred.distance) / scale - 1.0, 0.0, 1.0)
    out = []
    for i in range(len(waste)):
        priority = (1.0 - conf[i]) + 0.5 * disagree[i] + 0.5 * far[i] + (0.0 if sure[i] else 1.0)
        out.append(
            Signals(
                confidence=round(float(conf[i]), 6),
                margin=round(float(ordered[i, -1] - ordered[i, -2]), 6),
                heads_disagree=bool(disagree[i]),
                distance=None if pred.distance is None else round(float(pred.distance[i]), 6),
                sure=bool(sure[i]),
                priority=round(float(priority), 6),
            )
        )
    return out

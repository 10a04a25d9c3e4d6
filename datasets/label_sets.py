"""Label sets: which labels a person may give, per labelling queue and per labels file, defined once.

- `classifier`: what the photo classifier learns (the taxonomy's classes and groups), plus `mixed` and
  `other` (looked at, not usable for a single-label material model). Every queue's set unless said.
- `contamination`: what a bio-bin frame shows (`model/contamination.py`): `clean` (organic waste only)
  or the contaminant seen, `several` when more than one is, `unusable` when nobody can judge the frame.

One label per vote in both sets, so that agreement, Cohen's kappa, the confusion table, pass-3
resolution and the labels file work unchanged. A frame with several contaminants is labelled `several`
instead of carrying a list: a vote of several labels would need set-valued agreement, a kappa per
contaminant and a new file format, and a "most important" contaminant would be a ranking two
labellers disagree on. What a dispute needs to know (clean or not) survives: `several` is contaminated.
A labels file without `label_set` in its header was written before there were two: `classifier`.
"""

from __future__ import annotations

from dataclasses import dataclass

from zerowaste.model import taxonomy
from zerowaste.wire import CONTAMINANTS


@dataclass(frozen=True)
class LabelSetSpec:
    name: str
    labels: tuple[str, ...]  # what a model learns and is scored on
    excluded: tuple[str, ...]  # looked at, not usable as one label of a model
    meaning: str  # what the labels mean, for a labels file's header

    @property
    def allowed(self) -> tuple[str, ...]:
        """Every label a person may give, in the order a page lists them."""
        return (*self.labels, *self.excluded)

    def is_allowed(self, label: str) -> bool:
        return label in self.labels or label in self.excluded

    def is_usable(self, label: str) -> bool:
        return label in self.labels


class UnknownLabelSet(ValueError):
    pass


CLEAN = "clean"
SEVERAL = "several"
UNUSABLE = "unusable"

CLASSIFIER = LabelSetSpec(
    name="classifier",
    labels=(*taxonomy.LABELS, *taxonomy.GROUPS),
    excluded=("mixed", "other"),
    meaning="'glass': glass of a colour nobody could tell; 'mixed' and 'other': looked at, not usable for a "
    "single-label model.",
)
CONTAMINATION = LabelSetSpec(
    name="contamination",
    labels=(CLEAN, *CONTAMINANTS),
    excluded=(SEVERAL, UNUSABLE),
    meaning="A bio-bin frame: 'clean': organic waste only; otherwise the contaminant seen ('other': one of no "
    "other label). 'several': more than one contaminant (contaminated, but no single label); 'unusable': "
    "nobody could judge the frame.",
)
LABEL_SETS: dict[str, LabelSetSpec] = {s.name: s for s in (CLASSIFIER, CONTAMINATION)}


def get_label_set(name: str) -> LabelSetSpec:
    try:
        return LABEL_SETS[name]
    except KeyError:
        raise UnknownLabelSet(f"unknown label set {name!r}; known: {', '.join(LABEL_SETS)}") from None


__all__ = [
    "CLASSIFIER",
    "CLEAN",
    "CONTAMINATION",
    "LABEL_SETS",
    "SEVERAL",
    "UNUSABLE",
    "LabelSetSpec",
    "UnknownLabelSet",
    "get_label_set",
]

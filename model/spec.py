"""What an ONNX file says about itself: labels, preprocessing, temperature, data hash, metrics.

The spec travels as JSON in the ONNX metadata (key `zerowaste.spec`), so the edge and the service
need nothing but the file. The file's own sha256 cannot live inside it; `file_sha256` computes it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from zerowaste.model.preprocess import Preprocessing

METADATA_KEY = "zerowaste.spec"
WASTE_OUTPUT = "waste_probs"
ITEM_OUTPUT = "item_probs"
# How far a photo's features lie from the training photos' (model/uncertainty.py reads it).
DISTANCE_OUTPUT = "ood_distance"
INPUT_NAME = "input"


@dataclass
class ModelSpec:
    labels: list[str]
    label_names: dict[str, dict[str, str]]
    item_labels: list[str]
    taxonomy_version: str
    preprocessing: Preprocessing
    temperature: float
    manifest_sha256: str
    precision: str = "fp32"
    architecture: str = "efficientnet-lite0"
    metrics: dict[str, Any] = field(default_factory=dict)
    created: str = ""
    training_command: str = ""
    # How the item head's material evidence is fused into the waste answer (training/fusion.py):
    # {"beta": ..., "lambda": ...}; empty for a file without fusion.
    fusion: dict[str, float] = field(default_factory=dict)
    # The rule that says when an answer needs no question (model/uncertainty.py): thresholds fitted on
    # validation photos; empty for an older file (then every answer below the service's decision
    # threshold asks).
    sure: dict[str, Any] = field(default_factory=dict)
    # The item head's temperature (model/items.py): its probabilities were distilled from the ImageNet
    # model, not calibrated; fitted on labelled photos by training/item_calibration.py. 1: as exported.
    item_temperature: float = 1.0

    def to_json(self) -> str:
        data = asdict(self)
        data["preprocessing"] = self.preprocessing.to_dict()
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ModelSpec:
        data = json.loads(text)
        data["preprocessing"] = Preprocessing.from_dict(data["preprocessing"])
        # A newer release may describe itself with more keys; what this code does not know it cannot use,
        # and refusing the file would leave a device on an older model it could otherwise replace.
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()

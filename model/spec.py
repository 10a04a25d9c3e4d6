"""What an ONNX file says about itself: labels, preprocessing, temperature, data hash, metrics.

The spec travels as JSON in the ONNX metadata (key `zerowaste.spec`), so the edge and the service
need nothing but the file. The file's own sha256 cannot live inside it; `file_sha256` computes it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from zerowaste.model.preprocess import Preprocessing

METADATA_KEY = "zerowaste.spec"
WASTE_OUTPUT = "waste_probs"
ITEM_OUTPUT = "item_probs"
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

    def to_json(self) -> str:
        data = asdict(self)
        data["preprocessing"] = self.preprocessing.to_dict()
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ModelSpec:
        data = json.loads(text)
        data["preprocessing"] = Preprocessing.from_dict(data["preprocessing"])
        return cls(**data)


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()

"""The bio-bin camera's model: which contaminants a view into a bin of organic waste shows, and where.

One ONNX file, one pass: the EfficientNet-Lite trunk and a 1×1 convolution that scores every cell of
its last feature grid for each contaminant (`contaminant_map`); a bin's score per contaminant is the
highest of its cells (`contaminant_probs`). The file describes itself like the classifier does (labels,
names, preprocessing, thresholds, data hash, metrics under `zerowaste.contamination`), so the edge
needs nothing but the file. No torch here: the edge imports this with onnxruntime and numpy.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any, cast

import numpy as np
import onnxruntime as ort
from PIL import Image

from zerowaste.model.preprocess import Preprocessing, preprocess
from zerowaste.model.runtime import session_options
from zerowaste.model.spec import INPUT_NAME, file_sha256
from zerowaste.wire import CONTAMINANTS, BinQuality, Camera, Contaminant, Finding

METADATA_KEY = "zerowaste.contamination"
PROBS_OUTPUT = "contaminant_probs"  # (N, K): the highest cell per contaminant
MAP_OUTPUT = "contaminant_map"  # (N, K, h, w): each cell's probability
SHIPPED_FILES: dict[str, str] = {"int8": "contamination-int8.onnx", "fp32": "contamination-fp32.onnx"}

# What a household reads ("Plastiktüte erkannt, 12. Nov."), and what a model file names its labels.
NAMES: dict[Contaminant, dict[str, str]] = {
    "plastic_bag": {"de": "Plastiktüte", "en": "plastic bag"},
    "plastic_other": {"de": "Kunststoff", "en": "plastic"},
    "glass": {"de": "Glas", "en": "glass"},
    "metal": {"de": "Metall", "en": "metal"},
    "other": {"de": "Fremdstoff", "en": "foreign matter"},
}


class ContaminationModelError(ValueError):
    """A file that is not a contamination model this code can run."""


@dataclass
class ContaminationSpec:
    labels: list[str]
    preprocessing: Preprocessing
    # Per contaminant: the probability above which it counts as found (fitted on validation views for
    # a false-alarm rate on clean views; `training/contamination.py`).
    thresholds: dict[str, float]
    label_names: dict[str, dict[str, str]] = field(default_factory=lambda: {k: dict(v) for k, v in NAMES.items()})
    architecture: str = "efficientnet-lite0"
    precision: str = "fp32"
    data_sha256: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    created: str = ""
    training_command: str = ""

    def to_json(self) -> str:
        data = asdict(self)
        data["preprocessing"] = self.preprocessing.to_dict()
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ContaminationSpec:
        data = json.loads(text)
        data["preprocessing"] = Preprocessing.from_dict(data["preprocessing"])
        known = {f.name for f in fields(cls)}
        spec = cls(**{k: v for k, v in data.items() if k in known})
        unknown = set(spec.labels) - set(CONTAMINANTS)
        if unknown or set(spec.thresholds) != set(spec.labels):
            raise ContaminationModelError(f"labels {spec.labels} do not match this code's contaminants or thresholds")
        return spec


@dataclass(frozen=True)
class Assessment:
    """What the model saw in one frame."""

    scores: dict[Contaminant, float]
    findings: list[Finding]
    heatmap: np.ndarray  # (K, h, w) each cell's probability per contaminant

    @property
    def contaminated(self) -> bool:
        return bool(self.findings)

    def to_wire(self, model_sha256: str, camera: Camera, captured_at: dt.datetime, donated: bool) -> BinQuality:
        return BinQuality(
            contaminated=self.contaminated,
            findings=self.findings,
            scores=self.scores,
            model_sha256=model_sha256,
            camera=camera,
            captured_at=captured_at,
            photo_donated=donated,
        )


def cells_box(cells: np.ndarray) -> tuple[float, float, float, float]:
    """The box around the marked cells of an (h, w) grid, in fractions of the frame."""
    rows, cols = np.flatnonzero(cells.any(axis=1)), np.flatnonzero(cells.any(axis=0))
    h, w = cells.shape
    return (cols[0] / w, rows[0] / h, (cols[-1] + 1) / w, (rows[-1] + 1) / h)


def assess_outputs(
    labels: Sequence[str], thresholds: dict[str, float], probs: np.ndarray, heatmap: np.ndarray
) -> Assessment:
    """One frame's outputs (K,) and (K, h, w) -> scores, findings above each threshold with their box."""
    scores: dict[Contaminant, float] = {}
    findings: list[Finding] = []
    for k, label in enumerate(labels):
        kind = cast(Contaminant, label)
        p = float(probs[k])
        scores[kind] = round(p, 4)
        threshold = thresholds[label]
        if p >= threshold:
            # Where: the cells at least half as sure as the best one and above the threshold's half.
            cells = heatmap[k] >= max(threshold / 2, float(heatmap[k].max()) / 2)
            findings.append(Finding(kind=kind, confidence=round(p, 4), box=cells_box(cells)))
    findings.sort(key=lambda f: -f.confidence)
    return Assessment(scores=scores, findings=findings, heatmap=heatmap)


def read_spec(session: ort.InferenceSession, path: str | Path) -> ContaminationSpec:
    meta = session.get_modelmeta().custom_metadata_map
    if METADATA_KEY not in meta:
        raise ContaminationModelError(f"{path} carries no {METADATA_KEY} metadata: it is no contamination model")
    return ContaminationSpec.from_json(meta[METADATA_KEY])


class ContaminationModel:
    """The ONNX Runtime session of one contamination model file."""

    def __init__(self, path: str | Path, threads: int = 0) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"contamination model {self.path} does not exist")
        self.sha256 = file_sha256(self.path)
        self.session = ort.InferenceSession(
            str(self.path), session_options(threads), providers=["CPUExecutionProvider"]
        )
        self.spec = read_spec(self.session, self.path)
        size = self.spec.preprocessing.crop_size
        self.run(np.zeros((1, 3, size, size), dtype=np.float32))  # warm-up: the first run allocates

    def run(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        probs, heatmap = self.session.run([PROBS_OUTPUT, MAP_OUTPUT], {INPUT_NAME: batch.astype(np.float32)})
        return probs, heatmap

    def assess(self, images: Sequence[Image.Image | np.ndarray]) -> list[Assessment]:
        """RGB frames (PIL images or (H, W, 3) uint8 arrays) -> what each one shows."""
        batch = np.stack([preprocess(im, self.spec.preprocessing) for im in images])
        probs, heatmap = self.run(batch)
        return [
            assess_outputs(self.spec.labels, self.spec.thresholds, p, m) for p, m in zip(probs, heatmap, strict=True)
        ]


def shipped_contamination_path(precision: str = "int8") -> Path:
    """The contamination model that ships inside the package (model/shipped/)."""
    return Path(str(resources.files("zerowaste.model") / "shipped" / SHIPPED_FILES[precision]))

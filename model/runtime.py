"""One inference interface, after Frigate's detector API: a `Classifier` turns a batch into
probabilities; the ONNX Runtime one reads everything it needs from the file's metadata.

No torch here: the edge and `zerowaste classify` import this module with onnxruntime and numpy.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
import onnxruntime as ort
from PIL import Image

from zerowaste.model.preprocess import preprocess
from zerowaste.model.spec import (
    DISTANCE_OUTPUT,
    INPUT_NAME,
    ITEM_OUTPUT,
    METADATA_KEY,
    WASTE_OUTPUT,
    ModelSpec,
    file_sha256,
)

log = logging.getLogger(__name__)

Precision = Literal["int8", "fp32"]
SHIPPED_FILES: dict[str, str] = {"int8": "zerowaste-int8.onnx", "fp32": "zerowaste-fp32.onnx"}


def shipped_model_path(precision: Precision = "int8") -> Path:
    """The model that ships inside the package (model/shipped/)."""
    return Path(str(resources.files("zerowaste.model") / "shipped" / SHIPPED_FILES[precision]))


def session_options(threads: int = 0) -> ort.SessionOptions:
    """The one place that sets ONNX Runtime's threads and graph optimisation (0 threads = ORT's choice)."""
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    return so


@dataclass
class Prediction:
    waste: np.ndarray  # (N, classes) calibrated probabilities
    item: np.ndarray  # (N, 1000) ImageNet item probabilities
    distance: np.ndarray | None = None  # (N,) how far from the training photos; None for files without it


class Classifier(ABC):
    spec: ModelSpec
    sha256: str

    @abstractmethod
    def predict(self, batch: np.ndarray) -> Prediction:
        """A preprocessed batch (N, 3, H, W) float32 -> probabilities of both heads."""

    def predict_images(self, images: Sequence[Image.Image | np.ndarray]) -> Prediction:
        batch = np.stack([preprocess(im, self.spec.preprocessing) for im in images])
        return self.predict(batch)


def spec_of(session: ort.InferenceSession, path: str | Path) -> ModelSpec:
    meta = session.get_modelmeta().custom_metadata_map
    if METADATA_KEY not in meta:
        raise ValueError(f"{path} carries no {METADATA_KEY} metadata; export it with `zerowaste train`")
    return ModelSpec.from_json(meta[METADATA_KEY])


def read_spec(path: str | Path) -> ModelSpec | None:
    """The file's spec without checking it, or None where ONNX Runtime cannot read one."""
    try:
        return spec_of(ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]), path)
    except Exception:  # noqa: BLE001 - any unreadable file has no spec to report on
        return None


class OnnxClassifier(Classifier):
    def __init__(self, path: str | Path, threads: int = 0) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"model file {self.path} does not exist")
        self.sha256 = file_sha256(self.path)
        self.session = ort.InferenceSession(
            str(self.path), session_options(threads), providers=["CPUExecutionProvider"]
        )
        self.spec = spec_of(self.session, self.path)
        from zerowaste.model.uncertainty import SureRule  # imports this module: here, not at the top

        SureRule.from_spec(self.spec)  # a malformed rule fails the load, not every request after it
        # Files from before the out-of-distribution signal have two outputs.
        self.has_distance = DISTANCE_OUTPUT in {o.name for o in self.session.get_outputs()}
        size = self.spec.preprocessing.crop_size
        self.predict(np.zeros((1, 3, size, size), dtype=np.float32))  # warm-up: first run allocates

    def predict(self, batch: np.ndarray) -> Prediction:
        outputs = [WASTE_OUTPUT, ITEM_OUTPUT, *([DISTANCE_OUTPUT] if self.has_distance else [])]
        waste, item, *distance = self.session.run(outputs, {INPUT_NAME: batch.astype(np.float32)})
        return Prediction(waste=waste, item=item, distance=distance[0] if distance else None)


class FakeClassifier(Classifier):
    """For unit tests of the logic around the model only: returns fixed probabilities."""

    def __init__(self, spec: ModelSpec, waste: np.ndarray, item: np.ndarray | None = None) -> None:
        self.spec = spec
        self.sha256 = "0" * 64
        self._waste = waste
        self._item = item if item is not None else np.full(len(spec.item_labels), 1.0 / len(spec.item_labels))

    def predict(self, batch: np.ndarray) -> Prediction:
        n = len(batch)
        return Prediction(np.tile(self._waste, (n, 1)), np.tile(self._item, (n, 1)))


RUNTIMES: dict[str, type[OnnxClassifier]] = {"onnx": OnnxClassifier}


def create_classifier(kind: str, path: str | Path, threads: int = 0) -> Classifier:
    if kind not in RUNTIMES:
        raise ValueError(f"unknown classifier kind {kind!r}; supported: {', '.join(RUNTIMES)}")
    return RUNTIMES[kind](path, threads)

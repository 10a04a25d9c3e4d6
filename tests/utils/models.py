"""Model files for registry tests, made from the shipped FP32 model with onnx (no training):
a class the model can no longer predict, metadata that lies, bytes that are no model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from zerowaste.model import taxonomy
from zerowaste.model.runtime import shipped_model_path
from zerowaste.model.spec import METADATA_KEY


def imagenet_model():  # noqa: ANN201 - torch is imported only by the tests that train
    """EfficientNet-Lite0 with this release's classes on the untouched ImageNet weights, in eval mode."""
    from zerowaste.model.pretrained import pretrained

    return pretrained(len(taxonomy.LABELS)).eval()


def suppressed(dst: Path, *classes: str) -> Path:
    """The shipped FP32 model with `classes` pushed out of reach (their waste-head bias -100)."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(shipped_model_path("fp32")))
    for init in model.graph.initializer:
        if init.name == "model.waste_head.bias":
            bias = numpy_helper.to_array(init).copy()
            for c in classes:
                bias[taxonomy.INDEX[c]] = -100.0
            init.CopyFrom(numpy_helper.from_array(bias, init.name))
    onnx.save(model, str(dst))
    return dst


def with_spec(dst: Path, precision: str = "fp32", **changes: object) -> Path:
    """A shipped model with metadata fields changed (or emptied when the value is None)."""
    import onnx

    model = onnx.load(str(shipped_model_path(precision)))  # type: ignore[arg-type]
    for prop in model.metadata_props:
        if prop.key == METADATA_KEY:
            spec = json.loads(prop.value)
            for key, value in changes.items():
                if value is None:
                    spec[key] = type(spec[key])()
                else:
                    spec[key] = value
            prop.value = json.dumps(spec)
    onnx.save(model, str(dst))
    return dst


def copy_shipped(dst: Path, precision: str = "fp32") -> Path:
    shutil.copyfile(shipped_model_path(precision), dst)  # type: ignore[arg-type]
    return dst


def gate_manifest(dst: Path, photos_by_label: dict[str, list[Path]], source: str = "garbage12") -> Path:
    """A manifest whose test split is these photos: the registry gate's fixed test set in tests."""
    import hashlib

    from PIL import Image

    lines = []
    for label, files in photos_by_label.items():
        for f in files:
            with Image.open(f) as im:
                w, h = im.size
            lines.append(
                json.dumps(
                    {
                        "path": str(f.resolve()),
                        "label": label,
                        "source": source,
                        "sha256": hashlib.sha256(f.read_bytes()).hexdigest(),
                        "size": f.stat().st_size,
                        "width": w,
                        "height": h,
                        "phash": "0" * 16,
                        "group": len(lines),
                        "split": "test",
                    }
                )
            )
    dst.write_text("\n".join(lines) + "\n")
    return dst


def small_train_args(manifest: Path, cache: Path, epochs: int) -> list[str]:
    """`zerowaste train` arguments for a run small enough for a test: few views, epochs and photos."""
    return [
        "train",
        *("--manifest", str(manifest), "--cache-dir", str(cache), "--epochs", str(epochs), "--views", "2"),
        *("--calibration-images", "16", "--workers", "0", "--batch-size", "16"),
    ]

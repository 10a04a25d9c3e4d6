"""`zerowaste train --init model_best.pth`: start from the weights another `zerowaste train` run saved,
e.g. on a GPU machine with `--no-export`, so that the item refit, calibration, INT8 and evaluation run
where the photos and the release live."""

from __future__ import annotations

from pathlib import Path

import torch

from zerowaste.model.architecture import EfficientNetLite
from zerowaste.training.onnx_import import load_exported, other_frozen_blocks, refuse_other_labels


@torch.no_grad()
def load_checkpoint(model: EfficientNetLite, path: Path, *, frozen_blocks: int) -> float:
    """Load `path` (a `model_best.pth`) into `model` and return its temperature.

    As for an exported file, the stem and the first `frozen_blocks` blocks must equal `model`'s own.
    """
    try:
        # The file also records the run's arguments (paths), which the weights-only unpickler refuses.
        ckpt = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # noqa: BLE001 - a truncated or foreign file, named with the reason
        raise SystemExit(f"{path}: not a checkpoint torch can read ({exc})") from exc
    if not isinstance(ckpt, dict) or "model" not in ckpt or "temperature" not in ckpt:
        raise SystemExit(f"{path}: no model weights and temperature; give the model_best.pth `zerowaste train` wrote")
    refuse_other_labels(path, list(ckpt.get("labels") or []))
    state: dict[str, torch.Tensor] = ckpt["model"]
    ours = model.state_dict()
    frozen = ["stem.", *(f"blocks.{i}." for i in range(frozen_blocks))]
    for name, tensor in ours.items():
        if name.startswith(tuple(frozen)) and name in state and not torch.equal(state[name], tensor):
            raise other_frozen_blocks(path, frozen_blocks)
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise SystemExit(f"{path}: weights do not fit EfficientNet-Lite0 ({exc})") from exc
    return float(ckpt["temperature"])


def load_init(model: EfficientNetLite, path: Path, *, frozen_blocks: int) -> float:
    """An exported FP32 ONNX file or a `model_best.pth`, by its suffix."""
    if not path.is_file():
        raise SystemExit(f"--init {path}: no such file")
    if path.suffix == ".pth":
        return load_checkpoint(model, path, frozen_blocks=frozen_blocks)
    return load_exported(model, path, frozen_blocks=frozen_blocks)

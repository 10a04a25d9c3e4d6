"""A frozen PyTorch module run through ONNX Runtime on the CPU, for outputs computed once per photo:
training's feature cache and the data build's duplicate search. ONNX Runtime runs these networks
several times faster than eager PyTorch on a small CPU (README, "Latency per image")."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import onnxruntime as ort
import torch

from zerowaste.model.preprocess import DEFAULT
from zerowaste.model.runtime import session_options
from zerowaste.model.spec import INPUT_NAME


def cpu_session(
    module: torch.nn.Module, output_names: Sequence[str], threads: int = 0, size: int = DEFAULT.crop_size
) -> ort.InferenceSession:
    """Export `module` (input: a batch of preprocessed photos, `size` px square) to a temporary ONNX
    file and open it."""
    batch = {name: {0: "n"} for name in (INPUT_NAME, *output_names)}
    # dynamo=False as in training/export.py: a tenth of the export time, for a file that lives one session.
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "module.onnx"
        torch.onnx.export(
            module.eval(),
            (torch.zeros(1, 3, size, size),),
            str(path),
            input_names=[INPUT_NAME],
            output_names=list(output_names),
            dynamic_axes=batch,
            dynamo=False,
        )
        return ort.InferenceSession(str(path), session_options(threads), providers=["CPUExecutionProvider"])

"""Classifier latency per image (batch 1, 224 px): PyTorch eager vs ONNX Runtime FP32 vs INT8.

Each backend and thread count runs in its own process, so the peak resident memory it reports is
its own. All of them classify the same real photos, after a warm-up. Run:

    python benchmarks/latency.py [--runs 200] [--threads 1 2]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import latency_table, machine, sample_photos, timed  # noqa: E402

BACKENDS = ("pytorch-eager", "onnx-fp32", "onnx-int8")


def measure(backend: str, threads: int, runs: int) -> dict[str, float]:
    from PIL import Image

    from zerowaste.model.preprocess import preprocess

    batch = [preprocess(Image.open(f))[None] for f in sample_photos(24)]
    if backend == "pytorch-eager":
        import torch

        from zerowaste.model.pretrained import pretrained

        torch.set_num_threads(threads)
        # Same architecture and size as the shipped model; the weights do not change the speed.
        model = pretrained(12).eval()

        def run(x: np.ndarray) -> None:
            with torch.inference_mode():
                model(torch.from_numpy(x))
    else:
        from zerowaste.model.runtime import OnnxClassifier, shipped_model_path

        classifier = OnnxClassifier(shipped_model_path("int8" if backend == "onnx-int8" else "fp32"), threads)

        def run(x: np.ndarray) -> None:
            classifier.predict(x)

    return timed(run, batch, runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=200, help="timed runs per backend (default: 200)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="thread counts (default: 1 2)")
    parser.add_argument("--child", nargs=2, metavar=("BACKEND", "THREADS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child[0], int(args.child[1]), args.runs)))
        return

    from zerowaste.model.runtime import OnnxClassifier, shipped_model_path

    print(f"machine: {machine()}")
    for precision in ("fp32", "int8"):
        path = shipped_model_path(precision)
        print(
            f"model {precision}: {path.name}, {path.stat().st_size / 1e6:.2f} MB, "
            f"sha256 {OnnxClassifier(path).sha256[:16]}"
        )
    print(f"batch 1, 224x224, {args.runs} timed runs after 5 warm-up runs, real photos\n")
    latency_table(__file__, BACKENDS, args.threads, ["--runs", str(args.runs)])


if __name__ == "__main__":
    main()

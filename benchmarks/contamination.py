"""The bio-bin camera model: how well it finds contaminants, how fast, how big.

Accuracy on the held-out composite views (test split: objects and backgrounds no training view used)
and, apart, on the real photos people labelled (datasets/labels/contamination/biobin-real.jsonl);
latency per frame (batch 1) for ONNX Runtime INT8 and FP32 and PyTorch eager on the same frames, each
backend in its own process. Run after `zerowaste contamination data`:

    python benchmarks/contamination.py [--runs 200] [--threads 1 2] [--data runs/biobin]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import latency_table, machine, timed  # noqa: E402

BACKENDS = ("pytorch-eager", "onnx-fp32", "onnx-int8")
SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets"


def frames(data: Path, n: int = 24) -> list[Path]:
    folder = data / "test"
    files = sorted(folder.glob("*.jpg"))[:n]
    if not files:
        sys.exit(f"no views in {folder}: run `zerowaste contamination data` first")
    return files


def measure(backend: str, threads: int, runs: int, data: Path) -> dict[str, float]:
    from zerowaste.model.contamination import ContaminationModel, shipped_contamination_path
    from zerowaste.model.image_io import load_image
    from zerowaste.model.preprocess import preprocess

    spec = ContaminationModel(shipped_contamination_path("fp32")).spec
    batch = [preprocess(load_image(f), spec.preprocessing)[None] for f in frames(data)]
    if backend == "pytorch-eager":
        import torch

        from zerowaste.training.contamination_net import build

        torch.set_num_threads(threads)
        net = build(len(spec.labels), spec.architecture).eval()  # same network; weights do not change speed

        def run(x: np.ndarray) -> None:
            with torch.inference_mode():
                net(torch.from_numpy(x))
    else:
        model = ContaminationModel(shipped_contamination_path(backend.split("-")[1]), threads)

        def run(x: np.ndarray) -> None:
            model.run(x)

    return timed(run, batch, runs)


def accuracy(data: Path) -> None:
    from zerowaste.model.contamination import ContaminationModel, shipped_contamination_path
    from zerowaste.training.biobin_data import read_set
    from zerowaste.training.contamination import onnx_scores, real_photo_counts
    from zerowaste.training.contamination_eval import evaluate

    views = read_set(data / "test")
    print(f"held-out composite views: {len(views.files)} ({sum(not p for p in views.present)} clean)\n")
    print("| file | MB | false alarms (clean views) | plastic found | glass | metal | other | plastic at 5 % FA |")
    print("|---|---|---|---|---|---|---|---|")
    real = {}
    for precision in ("fp32", "int8"):
        path = shipped_contamination_path(precision)
        model = ContaminationModel(path)
        m = evaluate(onnx_scores(path, views), views.present, model.spec.labels, model.spec.thresholds)
        g = m["groups"]
        print(
            f"| {precision} | {path.stat().st_size / 1e6:.2f} | {100 * m['false_alarm_rate']:.1f} % | "
            + " | ".join(f"{100 * g[k]['found']:.1f} %" for k in ("plastic", "glass", "metal", "other"))
            + f" | {100 * g['plastic']['found_at_5pct_false_alarms']:.1f} % |"
        )
        real[precision] = real_photo_counts(model, SHARED) if SHARED.is_dir() else None
    print()
    for precision, r in real.items():
        if r:
            print(
                f"real photos ({precision}): {r['photos']} photos; contaminated found {r['found']}/{r['contaminated']},"
                f" clean flagged {r['flagged']}/{r['clean']}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--data", type=Path, default=Path("runs/biobin"))
    parser.add_argument("--child", nargs=2, metavar=("BACKEND", "THREADS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child[0], int(args.child[1]), args.runs, args.data)))
        return
    print(f"machine: {machine()}\n")
    # Latency first: a child process inherits its parent's peak RSS on Linux, and the accuracy run
    # below holds every test view's scores.
    print(f"latency per frame: batch 1, {args.runs} timed runs after 5 warm-up runs, composite views\n")
    latency_table(__file__, BACKENDS, args.threads, ["--runs", str(args.runs), "--data", str(args.data)])
    print()
    accuracy(args.data)


if __name__ == "__main__":
    main()

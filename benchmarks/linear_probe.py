"""What fine-tuning adds: the shipped models against a linear layer on frozen ImageNet features.

    python benchmarks/linear_probe.py [--manifest runs/data/manifest.jsonl]

The classifier issue gives "a linear layer on frozen ImageNet features" as the floor (about 85 % on
TrashNet, 92 % on garbage12). This measures that floor on our de-duplicated split: the untouched
EfficientNet-Lite0's pooled features (the ones `zerowaste data build` caches for duplicate search),
a logistic regression with the recipe's set loss and class weights, its L2 penalty chosen on the
validation photos, and the shipped FP32 and INT8 files scored on the same validation and test photos.
Builds the manifest from ../shared/datasets first if it does not exist. Needs the `train` extra (torch).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, manifest_entries  # noqa: E402

from zerowaste.datasets.build import DEFAULT_CACHE_DIR, DEFAULT_MANIFEST  # noqa: E402

PENALTIES = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2)


def fit_probe(x: np.ndarray, labels: list[str], penalty: float) -> tuple[np.ndarray, np.ndarray]:
    """Weights and bias of a 12-class logistic regression, full-batch L-BFGS (the problem is convex)."""
    import torch

    from zerowaste.model import taxonomy
    from zerowaste.training import utils

    xt = torch.from_numpy(x)
    mask = utils.label_masks(labels)
    weight_of = utils.class_weights(labels)
    weights = torch.tensor([weight_of[label] for label in labels])
    weights = weights / weights.mean()
    w = torch.zeros(x.shape[1], len(taxonomy.LABELS), requires_grad=True)
    b = torch.zeros(len(taxonomy.LABELS), requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=300, history_size=20, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = (utils.set_nll(xt @ w + b, mask) * weights).mean() + penalty * (w**2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return w.detach().numpy(), b.detach().numpy()


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST)
    args = parser.parse_args()

    from zerowaste.datasets.embed import imagenet_embeddings
    from zerowaste.model.runtime import shipped_model_path
    from zerowaste.model.scoring import score
    from zerowaste.training.evaluate import evaluate_model

    print(f"machine: {machine()}")
    manifest = manifest_entries(args.manifest)
    splits = {s: [e for e in manifest if e.split == s] for s in ("train", "val", "test")}
    t = time.perf_counter()
    feats = {s: imagenet_embeddings(entries, DEFAULT_CACHE_DIR) for s, entries in splits.items()}
    mean, std = feats["train"].mean(0), feats["train"].std(0) + 1e-6
    feats = {s: ((f - mean) / std).astype(np.float32) for s, f in feats.items()}
    train_labels = [e.label for e in splits["train"]]

    results: dict[str, dict[str, dict]] = {}
    best = None
    for penalty in PENALTIES:
        w, b = fit_probe(feats["train"], train_labels, penalty)
        val = score(softmax(feats["val"] @ w + b), splits["val"])
        acc = float(val["all"]["top1"])
        print(f"probe, L2 {penalty:g}: validation top-1 {acc:.2%}")
        if best is None or acc > best[0]:
            best = (acc, penalty, w, b, val)
    assert best is not None
    _, penalty, w, b, val = best
    results[f"linear layer on frozen ImageNet Lite0 features (L2 {penalty:g})"] = {
        "val": val,
        "test": score(softmax(feats["test"] @ w + b), splits["test"]),
    }
    probe_seconds = time.perf_counter() - t
    for precision in ("fp32", "int8"):
        results[f"shipped {precision.upper()} (fine-tuned)"] = {
            s: evaluate_model(shipped_model_path(precision), splits[s]) for s in ("val", "test")
        }

    sets = ("trashnet", "garbage12")
    n = {s: {src: sum(e.source == src for e in splits[s]) for src in sets} for s in ("val", "test")}
    print(
        f"\nvalidation {n['val']['trashnet']} TrashNet + {n['val']['garbage12']} garbage12 photos, test "
        f"{n['test']['trashnet']} + {n['test']['garbage12']}; TrashNet in its 6 classes; "
        f"embeddings read and probe fitted in {probe_seconds:.0f} s\n"
    )
    print("| model | validation TrashNet | validation garbage12 | test TrashNet | test garbage12 |")
    print("|---|---|---|---|---|")
    for name, by_split in results.items():
        cells = [f"{by_split[s]['parts'][src]['top1']:.1%}" for s in ("val", "test") for src in sets]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

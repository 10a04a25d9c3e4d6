"""The kept item head: does it still answer like the original ImageNet model, and when is an item shown?

    python benchmarks/items.py [--manifest runs/data/manifest.jsonl] [--fp32 FILE] [--int8 FILE]

Runs the untouched ImageNet EfficientNet-Lite0, the FP32 and the INT8 model on every photo of the
manifest (all splits: the item head was never trained on labels, only distilled) and prints:
1. top-1 agreement of each item head with the original, per set (and on the test split alone, which
   neither distillation nor the item refit saw), and INT8 against FP32;
2. the same for what a citizen sees: the household item at the threshold (or nothing);
3. how the threshold trades items shown against right categories on validation photos whose item
   category the label gives away (garbage12 shoes -> shoes, clothes -> textiles);
4. the items shown most often for each waste class;
5. on the clothing set's test photos (second-hand garments and shoes photographed by their owners,
   never trained on), per kind: the share shown a fitting item (a textile item for a garment, a shoe
   item for shoes).
Item probabilities are cached per model under runs/bench/ so that a second run prints at once.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, manifest_entries  # noqa: E402

from zerowaste.datasets.build import DEFAULT_MANIFEST  # noqa: E402

KNOWN_CATEGORY = {"shoes": "shoes", "clothes": "textile"}  # waste class -> the item category it implies
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def item_probs(path: Path, entries: list, cache: Path) -> np.ndarray:
    from zerowaste.model.runtime import OnnxClassifier
    from zerowaste.model.scoring import predict_entries
    from zerowaste.model.spec import file_sha256

    key = cache / f"items-{file_sha256(path)[:16]}-{len(entries)}.npy"
    if key.exists():
        return np.load(key)
    probs = predict_entries(OnnxClassifier(path), entries)[1].astype(np.float32)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(key, probs)
    return probs


def shown(probs: np.ndarray, threshold: float) -> list[str | None]:
    """The Abfall-ABC key a citizen would see for each photo, or None."""
    from zerowaste.model.items import recognise_item

    answers = []
    for p in probs:
        g = recognise_item(p, threshold)
        answers.append(None if g is None else g.item.abc)
    return answers


def pct(x: float | np.floating) -> str:
    return f"{100 * x:.1f} %"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST)
    parser.add_argument("--fp32", type=Path, default=None, help="default: the shipped FP32 model")
    parser.add_argument("--int8", type=Path, default=None, help="default: the shipped INT8 model")
    parser.add_argument("--cache", type=Path, default=Path("runs/bench"))
    args = parser.parse_args()

    from zerowaste.model.items import DEFAULT_ITEM_THRESHOLD, item_map
    from zerowaste.model.runtime import OnnxClassifier, shipped_model_path
    from zerowaste.training.export import export_original

    entries = manifest_entries(args.manifest)
    fp32 = args.fp32 or shipped_model_path("fp32")
    int8 = args.int8 or shipped_model_path("int8")
    original = args.cache / "original-imagenet.onnx"
    if not original.exists():
        export_original(OnnxClassifier(fp32).spec, original)

    t0 = time.perf_counter()
    probs = {
        name: item_probs(path, entries, args.cache)
        for name, path in (("original", original), ("fp32", fp32), ("int8", int8))
    }
    seconds = time.perf_counter() - t0
    sources = np.array([e.source for e in entries])
    test = np.array([e.split == "test" for e in entries])
    # Training distilled (and the item refit fitted) on the training photos; the test split saw neither.
    parts = (
        {s: sources == s for s in sorted(set(sources))}
        | {"all": np.ones(len(entries), dtype=bool)}
        | {f"{s}, test split": (sources == s) & test for s in sorted(set(sources))}
    )
    imap = item_map()

    print(f"machine: {machine()}")
    print(
        f"photos: {len(entries)} (every split); item map: {len(imap.classes)} ImageNet classes -> "
        f"{len(imap.groups)} Abfall-ABC items in {len(imap.categories)} categories; {seconds:.0f} s\n"
    )

    top1 = {k: v.argmax(1) for k, v in probs.items()}
    print("## 1. Item head top-1 (1000 ImageNet classes): agreement\n")
    print("| set | photos | FP32 vs original | INT8 vs original | INT8 vs FP32 |")
    print("|---|---:|---:|---:|---:|")
    for name, sel in parts.items():
        a = [
            (top1[x][sel] == top1[y][sel]).mean()
            for x, y in (("fp32", "original"), ("int8", "original"), ("int8", "fp32"))
        ]
        print(f"| {name} | {sel.sum()} | {pct(a[0])} | {pct(a[1])} | {pct(a[2])} |")

    seen = {k: np.array(shown(v, DEFAULT_ITEM_THRESHOLD), dtype=object) for k, v in probs.items()}
    print(f"\n## 2. What a citizen sees (household item at threshold {DEFAULT_ITEM_THRESHOLD}, or none): agreement\n")
    print("| set | items shown (original / FP32 / INT8) | FP32 vs original | INT8 vs original | INT8 vs FP32 |")
    print("|---|---:|---:|---:|---:|")
    for name, sel in parts.items():
        rates = " / ".join(pct(np.mean([s is not None for s in seen[k][sel]])) for k in ("original", "fp32", "int8"))
        a = [
            (seen[x][sel] == seen[y][sel]).mean()
            for x, y in (("fp32", "original"), ("int8", "original"), ("int8", "fp32"))
        ]
        print(f"| {name} | {rates} | {pct(a[0])} | {pct(a[1])} | {pct(a[2])} |")

    cat_of = {c.abc: c.category for c in imap.classes}
    val = np.array([e.split == "val" for e in entries])
    labels = np.array([e.label for e in entries])
    known = val & np.isin(labels, list(KNOWN_CATEGORY))
    other = val & ~np.isin(labels, list(KNOWN_CATEGORY))
    print(f"\n## 3. Threshold on validation photos, INT8 ({known.sum()} shoes/clothes photos, {other.sum()} others)\n")
    print(
        "| threshold | shoes/clothes: item shown | of those, right category | others: item shown | "
        "others shown as shoes/textiles |"
    )
    print("|---:|---:|---:|---:|---:|")
    for t in THRESHOLDS:
        s = np.array(shown(probs["int8"][known | other], t), dtype=object)
        ks, os_ = s[known[known | other]], s[other[known | other]]
        wanted = [KNOWN_CATEGORY[lbl] for lbl in labels[known]]
        shown_k = [a is not None for a in ks]
        right = [a is not None and cat_of[a] == w for a, w in zip(ks, wanted, strict=True)]
        wrong_other = [a is not None and cat_of[a] in KNOWN_CATEGORY.values() for a in os_]
        print(
            f"| {t} | {pct(np.mean(shown_k))} | {pct(sum(right) / max(1, sum(shown_k)))} | "
            f"{pct(np.mean([a is not None for a in os_]))} | {pct(np.mean(wrong_other))} |"
        )

    print(f"\n## 4. Items shown most often per waste class (INT8, threshold {DEFAULT_ITEM_THRESHOLD}, all photos)\n")
    print("| class | photos | item shown | most frequent |")
    print("|---|---:|---:|---|")
    for label in sorted(set(labels)):
        sel = labels == label
        counts = Counter(a for a in seen["int8"][sel] if a is not None)
        common = ", ".join(f"{k} {n}" for k, n in counts.most_common(4))
        print(f"| {label} | {sel.sum()} | {pct(sum(counts.values()) / sel.sum())} | {common} |")

    clothing = test & (sources == "clothing")
    if clothing.any():
        kinds = np.array([e.kind for e in entries])
        print(
            f"\n## 5. Garments and shoes photographed by their owners (clothing, test split, {clothing.sum()} "
            f"photos): a fitting item shown at {DEFAULT_ITEM_THRESHOLD}\n"
        )
        print("| kind | photos | original | FP32 | INT8 |")
        print("|---|---:|---:|---:|---:|")
        for kind in [*sorted(set(kinds[clothing])), "all"]:
            sel = clothing & ((kinds == kind) if kind != "all" else True)
            wanted = [KNOWN_CATEGORY[lbl] for lbl in labels[sel]]
            cells = [
                pct(np.mean([a is not None and cat_of[a] == w for a, w in zip(seen[k][sel], wanted, strict=True)]))
                for k in ("original", "fp32", "int8")
            ]
            print(f"| {kind} | {sel.sum()} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

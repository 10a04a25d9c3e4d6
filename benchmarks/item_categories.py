"""Items and categories on real photos: how often a citizen is shown one, and how often it is right.

    python benchmarks/item_categories.py [--manifest runs/data/manifest.jsonl] [--model FILE]

Runs the shipped INT8 model (or --model) on every validation and test photo whose category is known
(training/item_calibration.py says which and why: garments and shoes by their label, glass and
battery photos by looking at each, biowaste and drinks photos have none), and answers each photo
the way the service does: the item when sure, else the category, weighed against the waste head's
answer (service/guidance.weigh_item, on the municipality's rules in an in-memory database). The
baseline is the decision before categories, measured in the same run on the same photos: an item at
its threshold or nothing.

Prints:
1. the item head's temperature fitted on validation photos, and the bucket NLL before and after;
2. per set and true category (test photos): shown, and right, before and now;
3. per category answered (test photos): how many, and the share right;
4. reliability per category (test photos, every answer however unsure);
5. the category threshold's trade-off on validation photos;
6. every test photo, its category known or not (TrashNet, paper, metal, …): how often a category is
   shown, and which;
7. the clothing set's test photos per kind: a fitting item or category shown, before and now.
Also whether the material answer (answered or asked, the streams shown) is the same as without categories.
Model outputs are cached under runs/bench/ so that a second run prints at once.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, manifest_entries, rules_session  # noqa: E402

from zerowaste.datasets.build import DEFAULT_MANIFEST  # noqa: E402


def pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def outputs(path: Path, entries: list, cache: Path) -> dict[str, np.ndarray]:
    """Waste and item probabilities and the sure rule's verdict for `entries`, cached per file and photo set."""
    import hashlib

    from zerowaste.model.runtime import OnnxClassifier
    from zerowaste.model.scoring import predict_all
    from zerowaste.model.spec import file_sha256
    from zerowaste.model.uncertainty import SureRule

    photos = hashlib.sha256("".join(e.sha256 for e in entries).encode()).hexdigest()[:12]
    key = cache / f"item-categories-{file_sha256(path)[:16]}-{photos}.npz"
    if key.exists():
        return dict(np.load(key))
    clf = OnnxClassifier(path)
    pred = predict_all(clf, entries, desc="photos")
    rule = SureRule.from_spec(clf.spec)
    sure = np.asarray(rule(pred.waste, clf.spec.labels, pred.distance), dtype=bool)
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(key, waste=pred.waste, item=pred.item, sure=sure)
    return {"waste": pred.waste, "item": pred.item, "sure": sure}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST)
    parser.add_argument("--model", type=Path, default=None, help="default: the shipped INT8 model")
    parser.add_argument("--cache", type=Path, default=Path("runs/bench"))
    args = parser.parse_args()

    from zerowaste.model.items import (
        DEFAULT_CATEGORY_THRESHOLD,
        DEFAULT_LOOK_ALIKE_THRESHOLD,
        ItemThresholds,
        item_map,
        item_sums,
        recognise,
    )
    from zerowaste.model.runtime import OnnxClassifier, shipped_model_path
    from zerowaste.service.config import Settings
    from zerowaste.service.guidance import Guide, candidate_labels, top_labels, weigh_item
    from zerowaste.training.item_calibration import (
        NONE,
        THRESHOLDS,
        bucket_nll,
        category_truth,
        fit_temperature,
        looked_at_labels,
    )

    model = args.model or shipped_model_path("int8")
    clf = OnnxClassifier(model)
    all_entries = manifest_entries(args.manifest)
    chosen = [(e, t) for e in all_entries if e.split in ("val", "test") and (t := category_truth(e)) is not None]
    entries = [e for e, _ in chosen]
    truth = np.array([t for _, t in chosen], dtype=object)
    split = np.array([e.split for e in entries])
    t0 = time.perf_counter()
    out = outputs(model, entries, args.cache)
    seconds = time.perf_counter() - t0

    guide = Guide(rules_session("wuppertal"), "wuppertal", Settings().zone)  # type: ignore[arg-type]
    imap = item_map()
    spec_t = clf.spec.item_temperature

    material: dict[str, list[tuple[bool, tuple[str, ...]]]] = {"before": [], "now": []}

    def answer(
        i: int, temperature: float, thresholds: ItemThresholds, baseline: bool = False, o: dict | None = None
    ) -> str:
        """The category a citizen is shown for photo i (an item's own, or the category alone), or NONE.

        `baseline`: the decision before categories, which dropped every weak disagreeing item as if the
        waste head were always sure; the material answer (decided, streams) is recorded for both."""
        o = out if o is None else o
        top = top_labels(clf, o["waste"][i], "de")
        sure = bool(o["sure"][i])
        found = recognise(o["item"][i], thresholds, temperature)
        cands = candidate_labels(top, sure)
        weighed = weigh_item(guide, found, top, cands, sure, 0.8, "de")
        if baseline:
            dropping = weigh_item(guide, found, top, cands, True, 0.8, "de")
            weighed.item = weighed.item if dropping.item is not None else None
        streams = tuple(guide.guidance(c.label, "de", weighed.item_stream).stream.key for c in cands)
        material["before" if baseline else "now"].append((weighed.decided, streams))
        if weighed.item is not None:
            return weighed.item.category or NONE
        return weighed.category.key if weighed.category is not None else NONE

    before_rule = ItemThresholds(category=2.0)  # no category answers: the item or nothing, as before
    now_rule = ItemThresholds()
    before = np.array([answer(i, 1.0, before_rule, baseline=True) for i in range(len(entries))], dtype=object)
    now = np.array([answer(i, spec_t, now_rule) for i in range(len(entries))], dtype=object)
    same_decided = np.mean([b[0] == n[0] for b, n in zip(material["before"], material["now"], strict=True)])
    same_streams = np.mean([b[1] == n[1] for b, n in zip(material["before"], material["now"], strict=True)])

    print(f"machine: {machine()}")
    print(
        f"model: {model.name} ({clf.sha256[:12]}…), item temperature in its spec {spec_t}; "
        f"{len(entries)} photos with a known category ({(split == 'val').sum()} validation, "
        f"{(split == 'test').sum()} test; {len(looked_at_labels())} of them looked at one by one); "
        f"model run {seconds:.0f} s (0: cached); item map: {len(imap.classes)} item classes, "
        f"{int((imap.category_of >= 0).sum())} classes with a category, {len(imap.unmapped)} left out with a reason\n"
    )

    val, test = split == "val", split == "test"
    fitted = fit_temperature(out["item"][val], list(truth[val]))
    print("## 1. The item head's temperature (bucket NLL: categories + none)\n")
    print("| photos | T = 1 | T fitted on validation | fitted T |")
    print("|---|---:|---:|---:|")
    for name, sel in (("validation", val), ("test", test)):
        print(
            f"| {name} ({sel.sum()}) | {bucket_nll(out['item'][sel], list(truth[sel]), 1.0):.4f} | "
            f"{bucket_nll(out['item'][sel], list(truth[sel]), fitted):.4f} | {fitted} |"
        )

    def set_name(e: object) -> str:
        source, label = e.source, e.label  # type: ignore[attr-defined]
        if source == "clothing":
            return "clothing (owners' photos)"
        if source == "drinks":
            return "drinks (phone photos)"
        group = "glass" if label.endswith("glass") else label
        return f"garbage12 {group}"

    sets = np.array([set_name(e) for e in entries])
    print(
        f"\n## 2. Shown and right, test photos (category threshold {DEFAULT_CATEGORY_THRESHOLD}, "
        "weighed as the service)\n"
    )
    print(
        "| set | true category | photos | before: shown | before: right | now: shown | now: right | "
        "now: right of shown |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    rows = sorted({(s, t) for s, t in zip(sets[test], truth[test], strict=True)})
    totals: dict[str, Counter[str]] = defaultdict(Counter)
    for s, t in rows:
        sel = test & (sets == s) & (truth == t)
        n = int(sel.sum())
        b_shown, n_shown = before[sel] != NONE, now[sel] != NONE
        b_right, n_right = (before[sel] == t) & b_shown, (now[sel] == t) & n_shown
        kind = "categorised" if t != NONE else "uncategorised"
        for k, v in (("n", n), ("b_shown", b_shown.sum()), ("n_shown", n_shown.sum())):
            totals[kind][k] += int(v)
        for k, v in (("b_right", b_right.sum()), ("n_right", n_right.sum())):
            totals[kind][k] += int(v)
        print(
            f"| {s} | {t} | {n} | {pct(b_shown.mean())} | {pct(b_right.mean())} | {pct(n_shown.mean())} | "
            f"{pct(n_right.mean())} | {pct(n_right.sum() / max(1, n_shown.sum()))} |"
        )
    shown_all = {k: sum(totals[g][f"{k}_shown"] for g in totals) for k in ("b", "n")}
    right_all = {k: sum(totals[g][f"{k}_right"] for g in totals) for k in ("b", "n")}
    c = totals["categorised"]
    print(
        f"\nPhotos of things with a category (test, {c['n']}): shown a category before "
        f"{pct(c['b_shown'] / c['n'])}, right {pct(c['b_right'] / c['n'])}; now shown {pct(c['n_shown'] / c['n'])}, "
        f"right {pct(c['n_right'] / c['n'])}. "
        f"Of every answer shown on the test photos, right: before {pct(right_all['b'] / max(1, shown_all['b']))} "
        f"({shown_all['b']} shown), now {pct(right_all['n'] / max(1, shown_all['n']))} ({shown_all['n']} shown)."
    )

    print("\n## 3. Per category answered, test photos\n")
    print("| category answered | answers | right | most often instead |")
    print("|---|---:|---:|---|")
    for key in sorted(set(now[test]) - {NONE}):
        sel = test & (now == key)
        wrong = Counter(truth[sel & (truth != key)])
        print(
            f"| {key} | {sel.sum()} | {pct((truth[sel] == key).mean())} | "
            + (", ".join(f"{k} {v}" for k, v in wrong.most_common(3)) or "–")
            + " |"
        )

    print(f"\n## 4. Reliability per category, test photos (T = {spec_t}, every answer at any probability)\n")
    print("| category | band of its summed probability | answers | mean probability | right |")
    print("|---|---|---:|---:|---:|")
    anywhere = ItemThresholds(item=2.0, category=1e-9)  # the category with the largest sum, however small
    cats = []
    probs = np.zeros(len(entries))
    for i in range(len(entries)):
        found = recognise(out["item"][i], anywhere, spec_t)
        cats.append(found.category.key if found and found.category else NONE)
        probs[i] = found.category.probability if found and found.category else 0.0
    cats_arr = np.array(cats, dtype=object)
    bands = [(0.0, 0.3), (0.3, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.01)]
    for key in sorted(set(cats_arr[test]) - {NONE}):
        for lo, hi in bands:
            sel = test & (cats_arr == key) & (probs >= lo) & (probs < hi)
            if sel.sum() >= 5:
                print(
                    f"| {key} | {lo:.1f}–{min(hi, 1.0):.1f} | {sel.sum()} | {probs[sel].mean():.2f} | "
                    f"{pct((truth[sel] == key).mean())} |"
                )

    print("\n## 5. Category threshold on validation photos (item threshold 0.5)\n")
    print("| threshold | with a category: shown | right | without one: shown (wrong) | right of shown |")
    print("|---:|---:|---:|---:|---:|")
    has = truth != NONE
    for thr in THRESHOLDS:
        a = np.array([answer(i, spec_t, ItemThresholds(category=thr)) for i in np.flatnonzero(val)], dtype=object)
        t_val, h = truth[val], has[val]
        shown, right = a != NONE, (a == t_val) & (a != NONE)
        print(
            f"| {thr} | {pct(shown[h].mean())} | {pct(right[h].mean())} | {pct(shown[~h].mean())} | "
            f"{pct(right.sum() / max(1, shown.sum()))} |"
        )

    print(
        f"\nThe material answer with categories against without (all {len(entries)} photos): answered or asked "
        f"the same for {pct(same_decided)}, the same stream(s) shown for {pct(same_streams)} (a sure category "
        "may settle the material's packaging question, as a sure item does)."
    )

    print(
        f'\n## Look-alikes: glass photos asked "is it a drinking glass?" before the bottle bank '
        f"(at {DEFAULT_LOOK_ALIKE_THRESHOLD} on the drinking-glass and tableware items)\n"
    )
    print("| split | looked at: shows | glass photos | asked |")
    print("|---|---|---:|---:|")
    for name, sel in (("validation", val), ("test", test)):
        for shows in ("kitchenware", "household", NONE):
            idx = [i for i in np.flatnonzero(sel & (truth == shows)) if entries[i].label.endswith("glass")]
            if not idx:
                continue
            asked = [
                any(
                    guide.guidance(label, "de", None, item_sums(out["item"][i])).question is not None
                    for label in (top_labels(clf, out["waste"][i], "de")[0].label,)
                    if label.endswith("glass")
                )
                for i in idx
            ]
            print(f"| {name} | {shows} | {len(idx)} | {pct(float(np.mean(asked)))} |")

    every = [e for e in all_entries if e.split == "test"]
    every_out = outputs(model, every, args.cache)
    shown_every = [answer(i, spec_t, now_rule, o=every_out) for i in range(len(every))]
    print(
        f"\n## 6. Every test photo ({len(every)}), whether or not its category is known: a category shown "
        "(an item's own or alone), and which\n"
    )
    print("| source | waste label | photos | shown | most often |")
    print("|---|---|---:|---:|---|")
    for source, label in sorted({(e.source, e.label) for e in every}):
        idx = [i for i, e in enumerate(every) if (e.source, e.label) == (source, label)]
        cats = Counter(shown_every[i] for i in idx if shown_every[i] != NONE)
        common = ", ".join(f"{k} {v}" for k, v in cats.most_common(3)) or "–"
        print(f"| {source} | {label} | {len(idx)} | {pct(sum(cats.values()) / len(idx))} | {common} |")

    clothing = test & np.array([e.source == "clothing" for e in entries])
    if clothing.any():
        kinds = np.array([e.kind for e in entries])
        print(
            f"\n## 7. Garments and shoes photographed by their owners (clothing, test split, {clothing.sum()} photos)\n"
        )
        print("| kind | photos | before: fitting item | now: fitting item or category |")
        print("|---|---:|---:|---:|")
        for kind in [*sorted(set(kinds[clothing])), "all"]:
            sel = clothing & ((kinds == kind) if kind != "all" else True)
            print(
                f"| {kind} | {sel.sum()} | {pct((before[sel] == truth[sel]).mean())} | "
                f"{pct((now[sel] == truth[sel]).mean())} |"
            )


if __name__ == "__main__":
    main()

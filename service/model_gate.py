"""The registry's gate: may this ONNX file replace the current model?

A candidate passes only if every check holds:
- it loads in ONNX Runtime through the same wrapper the service and the edge use;
- its labels and taxonomy version are this release's, its item head has the ImageNet classes;
- its metadata is complete (temperature, training-data hash, creation time, test metrics);
- on the fixed test set its probabilities are finite and sum to one;
- its top-1 there is at least the current model's (a configured tolerance, default 0), and no class's
  recall falls by more than a configured margin (default 5 points).
The scores come from `zerowaste.model.scoring`, the functions `zerowaste evaluate` reports with.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from zerowaste.datasets.manifest import Entry, manifest_hash, read_manifest
from zerowaste.model import taxonomy
from zerowaste.model.items import imagenet_labels
from zerowaste.model.runtime import OnnxClassifier, read_spec
from zerowaste.model.scoring import predict_entries, score
from zerowaste.model.spec import ModelSpec

Progress = Callable[[float], None]


@dataclass
class FixedTestSet:
    entries: list[Entry]
    sha256: str  # content hash: scores computed on another set are never compared with these
    source: str

    @classmethod
    def from_manifest(cls, path: Path) -> FixedTestSet:
        """The test split of a `zerowaste data build` manifest (every entry when it has no splits)."""
        entries = read_manifest(path)
        test = [e for e in entries if e.split == "test"] or [e for e in entries if not e.split]
        if not test:
            raise ValueError(f"{path} has no test photos")
        missing = [e.path for e in test if not Path(e.path).is_file()]
        if missing:
            raise ValueError(f"{len(missing)} test photos of {path} are missing, e.g. {missing[0]}")
        return cls(test, manifest_hash(test), str(path))


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class GateReport:
    passed: bool
    checks: list[Check] = field(default_factory=list)
    candidate: dict[str, Any] | None = None
    baseline: dict[str, Any] | None = None
    baseline_sha256: str | None = None
    testset_sha256: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def reasons(self) -> list[str]:
        return [f"{c.name}: {c.detail}" for c in self.checks if not c.ok]


def summary(report: dict[str, Any]) -> dict[str, Any]:
    """What the gate compares and the registry keeps: top-1, ECE and recall per class and part."""
    return {
        "all": report["all"],
        "parts": {k: {m: v[m] for m in ("n", "top1", "macro_f1", "ece", "recall")} for k, v in report["parts"].items()},
    }


def structural_checks(spec: ModelSpec) -> list[Check]:
    checks = [
        Check(
            "labels",
            list(spec.labels) == list(taxonomy.LABELS),
            "the taxonomy's 12 classes in order"
            if list(spec.labels) == list(taxonomy.LABELS)
            else f"labels {spec.labels} differ from the taxonomy's {list(taxonomy.LABELS)}",
        ),
        Check(
            "taxonomy_version",
            spec.taxonomy_version == taxonomy.TAXONOMY_VERSION,
            f"{spec.taxonomy_version} (service: {taxonomy.TAXONOMY_VERSION})",
        ),
        Check(
            "item_labels",
            tuple(spec.item_labels) == imagenet_labels(),
            f"{len(spec.item_labels)} item classes (ImageNet's 1000 expected)",
        ),
        Check("precision", spec.precision in ("fp32", "int8"), f"precision {spec.precision!r}"),
    ]
    missing = [
        name
        for name, ok in (
            ("temperature", spec.temperature > 0),
            ("manifest_sha256", bool(re.fullmatch(r"[0-9a-f]{64}", spec.manifest_sha256 or ""))),
            ("created", bool(spec.created)),
            ("metrics.test", isinstance(spec.metrics, dict) and bool(spec.metrics.get("test"))),
        )
        if not ok
    ]
    checks.append(
        Check("metadata", not missing, "complete" if not missing else f"missing or invalid: {', '.join(missing)}")
    )
    return checks


def score_model(
    clf: OnnxClassifier, testset: FixedTestSet, progress: Progress | None = None, batch_size: int = 32
) -> tuple[dict[str, Any], np.ndarray]:
    parts = []
    entries: Sequence[Entry] = testset.entries
    for start in range(0, len(entries), batch_size):
        waste, _ = predict_entries(clf, entries[start : start + batch_size], batch_size, desc=f"gate {clf.sha256[:8]}")
        parts.append(waste)
        if progress is not None:
            progress(min(1.0, (start + batch_size) / len(entries)))
    probs = np.concatenate(parts)
    return summary(score(probs, entries)), probs


def compare(
    candidate: dict[str, Any], baseline: dict[str, Any], *, top1_tolerance: float, max_recall_drop: float
) -> list[Check]:
    c_top, b_top = candidate["all"]["top1"], baseline["all"]["top1"]
    checks = [
        Check(
            "top1",
            c_top >= b_top - top1_tolerance,
            f"{100 * c_top:.1f} % vs current {100 * b_top:.1f} % ({100 * (c_top - b_top):+.1f} points)",
        )
    ]
    drops = []
    for part, b in baseline["parts"].items():
        c = candidate["parts"].get(part)
        if c is None:
            continue
        for cls, b_recall in b["recall"].items():
            drop = b_recall - c["recall"].get(cls, 0.0)
            if drop > max_recall_drop:
                drops.append(f"{part}/{cls} {100 * b_recall:.0f} % -> {100 * (b_recall - drop):.0f} %")
    checks.append(
        Check(
            "recall",
            not drops,
            f"no class loses more than {100 * max_recall_drop:.0f} points"
            if not drops
            else f"recall drops beyond {100 * max_recall_drop:.0f} points: {'; '.join(drops)}",
        )
    )
    return checks


BaselineScore = Callable[[], tuple[str, dict[str, Any]]]


def run_gate(
    candidate: Path,
    testset: FixedTestSet | None,
    baseline_score: BaselineScore | None,
    *,
    top1_tolerance: float = 0.0,
    max_recall_drop: float = 0.05,
    progress: Progress | None = None,
) -> GateReport:
    """`baseline_score` returns (sha256, score on `testset`) of the current model, computing it if needed."""
    try:
        clf = OnnxClassifier(candidate, threads=0)
    except Exception as exc:  # noqa: BLE001 - any failure to load is the verdict, not a crash
        # A file that ONNX Runtime reads but the wrapper refuses (say, a sure rule naming classes the
        # labels lack) still gets the metadata checks, so the reasons name the root cause too.
        spec = read_spec(candidate)
        return GateReport(
            False,
            [
                Check("loads", False, f"{type(exc).__name__}: {exc}"),
                *(structural_checks(spec) if spec is not None else []),
            ],
        )
    report = GateReport(
        False, [Check("loads", True, f"ONNX Runtime loads it ({clf.spec.precision})"), *structural_checks(clf.spec)]
    )
    if not all(c.ok for c in report.checks):
        return report
    if testset is None:
        report.checks.append(Check("testset", False, "no fixed test set configured (ZEROWASTE_GATE_TESTSET)"))
        return report
    report.testset_sha256 = testset.sha256
    cand, probs = score_model(clf, testset, None if progress is None else (lambda f: progress(0.5 * f)))
    finite = bool(np.isfinite(probs).all()) and bool(np.allclose(probs.sum(1), 1.0, atol=1e-3))
    report.checks.append(
        Check(
            "outputs",
            finite,
            f"probabilities on {len(probs)} test photos are "
            + ("finite and sum to 1" if finite else "not a distribution"),
        )
    )
    report.candidate = cand
    if baseline_score is None:
        report.checks.append(Check("baseline", False, "no current model to compare with"))
        return report
    report.baseline_sha256, report.baseline = baseline_score()
    if progress is not None:
        progress(1.0)
    report.checks += compare(cand, report.baseline, top1_tolerance=top1_tolerance, max_recall_drop=max_recall_drop)
    report.passed = all(c.ok for c in report.checks)
    return report

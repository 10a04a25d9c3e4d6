"""How well the bio-bin camera model finds contaminants: thresholds, detection and false alarms.

The service counts a bin as contaminated when any kind is found, so thresholds are fitted on the
validation views for a false-alarm rate on CLEAN views (a household flagged for a clean bin is the
error that costs trust), and detection is reported per group a person cares about: any plastic (a
bag reported as other plastic is still plastic found), glass, metal, other.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

# The groups the targets name; each is found when any of its kinds is.
GROUPS: dict[str, tuple[str, ...]] = {
    "plastic": ("plastic_bag", "plastic_other"),
    "glass": ("glass",),
    "metal": ("metal",),
    "other": ("other",),
}


def present_matrix(present: Sequence[Sequence[str]], labels: Sequence[str]) -> np.ndarray:
    """(N, K) bool: which kinds each view holds."""
    return np.array([[k in p for k in labels] for p in present], dtype=bool).reshape(len(present), len(labels))


def flagged(probs: np.ndarray, labels: Sequence[str], thresholds: dict[str, float]) -> np.ndarray:
    """(N, K) bool: the kinds found at the thresholds."""
    return probs >= np.array([thresholds[k] for k in labels])[None, :]


def fit_thresholds(
    probs: np.ndarray, present: Sequence[Sequence[str]], labels: Sequence[str], false_alarms: float = 0.04
) -> dict[str, float]:
    """Per-kind thresholds at which about `false_alarms` of the clean views have any kind found.

    Every kind is given the same share of the clean views above its threshold (its quantile), and that
    share is searched so that their union hits the target."""
    clean = probs[~present_matrix(present, labels).any(axis=1)]
    if not len(clean):
        raise ValueError("no clean views to fit thresholds on")

    def at(share: float) -> dict[str, float]:
        return {k: float(np.quantile(clean[:, i], 1 - share)) + 1e-6 for i, k in enumerate(labels)}

    lo, hi = 0.0, false_alarms
    for _ in range(30):
        mid = (lo + hi) / 2
        rate = float(flagged(clean, labels, at(mid)).any(axis=1).mean())
        lo, hi = (mid, hi) if rate <= false_alarms else (lo, mid)
    # Rounded up: a threshold rounded down would let more clean views through than the search allowed.
    return {k: min(max(math.ceil(v * 1e4) / 1e4, 0.05), 0.999) for k, v in at(lo).items()}


def detection_at_false_alarms(group_scores: np.ndarray, has: np.ndarray, clean: np.ndarray, rate: float) -> float:
    """Share of views holding the group found when the threshold lets `rate` of clean views through."""
    if not has.any() or not clean.any():
        return float("nan")
    threshold = np.quantile(group_scores[clean], 1 - rate)
    return float((group_scores[has] > threshold).mean())


def evaluate(
    probs: np.ndarray, present: Sequence[Sequence[str]], labels: Sequence[str], thresholds: dict[str, float]
) -> dict[str, Any]:
    """Detection per group and false alarms at the file's thresholds, and each group's detection at 5 %
    false alarms on this very set (the threshold-free figure the targets name)."""
    truth = present_matrix(present, labels)
    found = flagged(probs, labels, thresholds)
    clean = np.asarray(~truth.any(axis=1))
    out: dict[str, Any] = {
        "views": len(present),
        "clean_views": int(clean.sum()),
        "false_alarm_rate": float(found[clean].any(axis=1).mean()) if clean.any() else float("nan"),
        "contaminated_found": float(found[~clean].any(axis=1).mean()) if (~clean).any() else float("nan"),
        "groups": {},
    }
    for group, kinds in GROUPS.items():
        idx = [labels.index(k) for k in kinds if k in labels]
        if not idx:
            continue
        has = np.asarray(truth[:, idx].any(axis=1))
        group_scores = probs[:, idx].max(axis=1)
        out["groups"][group] = {
            "views": int(has.sum()),
            "found": float(found[has][:, idx].any(axis=1).mean()) if has.any() else float("nan"),
            "found_at_5pct_false_alarms": detection_at_false_alarms(group_scores, has, clean, 0.05),
        }
    # Which kind is reported for each kind present: a bag called "other plastic" is a different
    # message to the household than a bag called glass.
    out["reported_as"] = {
        k: {r: int(found[truth[:, i]][:, j].sum()) for j, r in enumerate(labels)}
        for i, k in enumerate(labels)
        if truth[:, i].any()
    }
    return out


def risk_coverage(
    probs: np.ndarray, present: Sequence[Sequence[str]], labels: Sequence[str], thresholds: dict[str, float]
) -> dict[str, list[float]]:
    """The contaminated/clean verdict's error among the views answered, answering the surest first.

    A view's certainty is how far its most telling score lies from that kind's threshold in log-odds:
    far above (surely contaminated) or every kind far below (surely clean)."""
    truth = present_matrix(present, labels).any(axis=1)
    verdict = flagged(probs, labels, thresholds).any(axis=1)
    t = np.array([thresholds[k] for k in labels])[None, :]
    logit = np.log(np.clip(probs, 1e-6, 1 - 1e-6) / np.clip(1 - probs, 1e-6, 1))
    margin = logit - np.log(t / (1 - t))
    certainty = np.where(verdict, margin.max(axis=1), -margin.max(axis=1))
    order = np.argsort(-certainty)
    wrong = (verdict != truth)[order]
    n = np.arange(1, len(order) + 1)
    steps = np.unique(np.linspace(0, len(order) - 1, min(len(order), 50)).astype(int))
    return {
        "coverage": [float(n[i] / len(order)) for i in steps],
        "risk": [float(np.cumsum(wrong)[i] / n[i]) for i in steps],
    }

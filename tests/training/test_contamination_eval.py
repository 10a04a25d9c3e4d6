"""Thresholds for a false-alarm rate on clean views; detection per group; risk-coverage."""

from __future__ import annotations

import numpy as np

from zerowaste.training.contamination_eval import evaluate, fit_thresholds, flagged, risk_coverage
from zerowaste.wire import CONTAMINANTS

LABELS = list(CONTAMINANTS)


def _scores(rng: np.random.Generator, present: list[list[str]]) -> np.ndarray:
    probs = rng.uniform(0, 0.4, size=(len(present), len(LABELS)))
    for i, kinds in enumerate(present):
        for k in kinds:
            probs[i, LABELS.index(k)] = rng.uniform(0.3, 1.0)
    return probs


def test_thresholds_hold_the_false_alarm_rate_on_clean_views() -> None:
    rng = np.random.default_rng(0)
    present = [[] if i % 2 else [LABELS[i % 5]] for i in range(2000)]
    probs = _scores(rng, present)
    thresholds = fit_thresholds(probs, present, LABELS, false_alarms=0.04)
    clean = np.array([not p for p in present])
    rate = flagged(probs[clean], LABELS, thresholds).any(axis=1).mean()
    assert 0.02 <= rate <= 0.04
    m = evaluate(probs, present, LABELS, thresholds)
    assert abs(m["false_alarm_rate"] - rate) < 1e-9
    assert set(m["groups"]) == {"plastic", "glass", "metal", "other"}
    # Contaminants score 0.3-1.0 against clean 0-0.4: most are found, and more at 5 % false alarms.
    for g in m["groups"].values():
        assert 0.6 < g["found"] <= g["found_at_5pct_false_alarms"] + 0.05


def test_a_bag_reported_as_other_plastic_is_plastic_found() -> None:
    present = [["plastic_bag"], []]
    probs = np.zeros((2, len(LABELS)))
    probs[0, LABELS.index("plastic_other")] = 0.9
    thresholds = dict.fromkeys(LABELS, 0.5)
    m = evaluate(probs, present, LABELS, thresholds)
    assert m["groups"]["plastic"]["found"] == 1.0
    assert m["reported_as"]["plastic_bag"]["plastic_other"] == 1
    assert m["false_alarm_rate"] == 0.0


def test_risk_falls_as_the_surest_views_are_answered_first() -> None:
    rng = np.random.default_rng(1)
    present = [[] if i % 2 else ["metal"] for i in range(400)]
    probs = _scores(rng, present)
    thresholds = fit_thresholds(probs, present, LABELS)
    curve = risk_coverage(probs, present, LABELS, thresholds)
    assert curve["coverage"][-1] == 1.0
    assert curve["risk"][0] <= curve["risk"][-1]

"""Fitting the rule that says when an answer needs no question (training/sure.py), under Wuppertal's bins."""

from __future__ import annotations

import numpy as np
import pytest

from zerowaste.model import taxonomy
from zerowaste.model.uncertainty import SureRule

pytest.importorskip("pydantic")  # the municipality's rules file

from zerowaste.training.sure import (  # noqa: E402
    DEFAULT_MAX_RISK,
    answer_groups,
    fit_sure_rule,
    municipality_bins,
    right_bin,
)

LABELS = taxonomy.LABELS
IDX = taxonomy.INDEX


@pytest.fixture(scope="module")
def bins() -> dict[str, str]:
    return municipality_bins("wuppertal")


def _probs(tops: list[str], confidence: np.ndarray) -> np.ndarray:
    """The top class at `confidence`, the rest spread evenly."""
    p = np.repeat(((1.0 - np.asarray(confidence)) / 11)[:, None], 12, axis=1)
    p[np.arange(len(tops)), [IDX[t] for t in tops]] = confidence
    return p


def test_wuppertal_answer_groups_are_the_shared_bins(bins: dict[str, str]) -> None:
    assert set(bins) == set(LABELS)
    groups = answer_groups(bins)
    assert set(groups) == {("metal", "plastic"), ("cardboard", "paper"), ("clothes", "shoes")}
    assert not any(set(g) & set(taxonomy.GROUPS["glass"]) for g in groups)  # each colour has its container


def test_answer_groups_follow_any_bin_map() -> None:
    one_bin = dict.fromkeys(LABELS, "everything")
    assert answer_groups(one_bin) == (LABELS,)
    assert answer_groups({k: k for k in LABELS}) == ()


def test_right_bin_is_about_the_container_not_the_class(bins: dict[str, str]) -> None:
    probs = _probs(["paper", "green-glass", "plastic", "white-glass", "brown-glass", "trash"], np.full(6, 0.8))
    labels = ["cardboard", "brown-glass", "metal", "glass", "brown-glass", "clothes"]
    assert right_bin(probs, labels, bins).tolist() == [True, False, True, True, True, False]


def _validation(rng: np.random.Generator, n: int, right_from: float) -> tuple[np.ndarray, list[str]]:
    """Photos whose answer is right with a probability that grows from 0 at confidence 0.35 to 1 at
    `right_from`; a wrong answer goes to another bin, a right one is sometimes the label's bin-mate
    (paper for cardboard)."""
    bins = municipality_bins("wuppertal")
    classes = ["metal", "plastic", "paper", "cardboard", "green-glass", "brown-glass", "battery", "shoes"]
    labels = [classes[i] for i in rng.integers(0, len(classes), n)]
    confidence = rng.uniform(0.35, 1.0, n)
    tops = []
    for label, c in zip(labels, confidence, strict=True):
        same = [k for k in LABELS if bins[k] == bins[label]]
        other = [k for k in LABELS if bins[k] != bins[label]]
        pool = same if rng.random() < (c - 0.35) / (right_from - 0.35) else other
        tops.append(pool[int(rng.integers(len(pool)))])
    return _probs(tops, confidence), labels


def _risk_and_coverage(
    rule: SureRule, probs: np.ndarray, labels: list[str], distance: np.ndarray | None, bins: dict[str, str]
) -> tuple[float, float]:
    sure = rule(probs, LABELS, distance)
    right = right_bin(probs, labels, bins)
    return (float((~right[sure]).mean()) if sure.any() else 0.0), float(sure.mean())


def test_the_fitted_rule_keeps_each_domain_within_its_risk(bins: dict[str, str]) -> None:
    rng = np.random.default_rng(0)
    studio, studio_labels = _validation(rng, 400, right_from=0.85)
    phone, phone_labels = _validation(rng, 300, right_from=0.95)  # phone photos: more often wrong
    probs = np.concatenate([studio, phone])
    labels = studio_labels + phone_labels
    domains = ["studio"] * 400 + ["phone"] * 300
    rule, report = fit_sure_rule(probs, labels, domains, None, bins)
    assert rule.groups == answer_groups(bins) and rule.max_distance is None
    assert report["max_risk"] == DEFAULT_MAX_RISK
    for name, p, lbl in (("studio", studio, studio_labels), ("phone", phone, phone_labels)):
        risk, coverage = _risk_and_coverage(rule, p, lbl, None, bins)
        assert risk <= DEFAULT_MAX_RISK[name], name
        assert report[name]["risk"] == pytest.approx(risk) and report[name]["coverage"] == pytest.approx(coverage)
        assert report[name]["n"] == len(lbl)
        assert report[name]["right_bin_all"] == pytest.approx(right_bin(p, lbl, bins).mean())
        assert 0.05 < coverage < 1.0, name  # something is sure, not everything
    # The threshold is as low as the risks allow: one clearly lower threshold breaks a domain's limit.
    looser = SureRule(rule.min_confidence - 0.03, None, rule.groups)
    assert any(
        _risk_and_coverage(looser, p, lbl, None, bins)[0] > DEFAULT_MAX_RISK[name]
        for name, p, lbl in (("studio", studio, studio_labels), ("phone", phone, phone_labels))
    )


def test_a_looser_risk_gives_more_sure_answers(bins: dict[str, str]) -> None:
    rng = np.random.default_rng(1)
    probs, labels = _validation(rng, 400, right_from=0.9)
    domains = ["phone"] * 400
    strict, strict_report = fit_sure_rule(probs, labels, domains, None, bins, {"phone": 0.01})
    loose, loose_report = fit_sure_rule(probs, labels, domains, None, bins, {"phone": 0.1})
    assert loose.min_confidence < strict.min_confidence
    assert loose_report["phone"]["coverage"] > strict_report["phone"]["coverage"]
    assert "studio" not in loose_report  # a domain without validation photos is not reported


def _phone_or_studio_tradeoff() -> tuple[np.ndarray, list[str], list[str], np.ndarray]:
    """Phone photos: the wrong answers are confident and far from the training photos, the right ones
    near. Studio photos: all right and confident, but half of them far. A distance cut makes most phone
    photos sure at the cost of half the studio photos; without it hardly a phone photo is sure."""
    rng = np.random.default_rng(2)
    n = 100
    phone_right = rng.uniform(0.6, 0.9, n)
    phone_wrong = np.full(20, 0.97)
    studio = np.full(n, 0.99)
    probs = np.concatenate(
        [_probs(["metal"] * n, phone_right), _probs(["paper"] * 20, phone_wrong), _probs(["battery"] * n, studio)]
    )
    labels = ["plastic"] * (n + 20) + ["battery"] * n
    domains = ["phone"] * (n + 20) + ["studio"] * n
    distance = np.concatenate([np.full(n, 1.0), np.full(20, 5.0), np.tile([1.0, 5.0], n // 2)])
    return probs, labels, domains, distance


def test_phone_coverage_comes_before_studio_coverage(bins: dict[str, str]) -> None:
    probs, labels, domains, distance = _phone_or_studio_tradeoff()
    rule, report = fit_sure_rule(probs, labels, domains, distance, bins)
    assert rule.max_distance is not None and 1.0 <= rule.max_distance < 5.0
    assert report["phone"]["coverage"] == pytest.approx(100 / 120) and report["phone"]["risk"] == 0.0
    assert report["studio"]["coverage"] == pytest.approx(0.5)
    without_distance, report = fit_sure_rule(probs, labels, domains, None, bins)
    assert report["studio"]["coverage"] == 1.0 and report["phone"]["coverage"] < 0.1


def test_phone_coverage_comes_first_whatever_the_order_of_max_risk(bins: dict[str, str]) -> None:
    probs, labels, domains, distance = _phone_or_studio_tradeoff()
    rule, report = fit_sure_rule(probs, labels, domains, distance, bins, {"phone": 0.03, "studio": 0.01})
    assert report["phone"]["coverage"] == pytest.approx(100 / 120)


def test_nothing_is_sure_when_every_answer_is_wrong(bins: dict[str, str]) -> None:
    rng = np.random.default_rng(3)
    confidence = rng.uniform(0.3, 0.99, 60)
    probs = _probs(["battery"] * 60, confidence)
    labels = ["paper"] * 60
    rule, report = fit_sure_rule(probs, labels, ["phone"] * 30 + ["studio"] * 30, None, bins)
    assert rule.min_confidence > 1.0
    assert not rule(_probs(["battery"], np.array([1.0])), LABELS).any()  # not even a certain-looking answer
    assert report["phone"]["coverage"] == 0.0 and report["studio"]["coverage"] == 0.0
    rule, _ = fit_sure_rule(probs, labels, ["phone"] * 60, rng.uniform(0.5, 3.0, 60), bins)
    assert rule.min_confidence > 1.0


def test_nothing_is_sure_when_every_answer_is_wrong_and_none_is_confident(bins: dict[str, str]) -> None:
    confidence = np.random.default_rng(4).uniform(0.3, 0.85, 60)
    rule, _ = fit_sure_rule(_probs(["battery"] * 60, confidence), ["paper"] * 60, ["phone"] * 60, None, bins)
    assert rule.min_confidence > 1.0


def test_a_photo_further_than_almost_all_validation_photos_is_never_sure(bins: dict[str, str]) -> None:
    rng = np.random.default_rng(3)
    probs, labels = _validation(rng, 500, right_from=0.8)
    domains = ["studio"] * 250 + ["phone"] * 250
    distance = rng.gamma(2.0, 1.0, 500)
    rule, _ = fit_sure_rule(probs, labels, domains, distance, bins)
    # Validation says nothing about the distance here (it is noise), yet the rule caps it at the 99th
    # percentile: beyond the data it was fitted on, confidence is no evidence.
    assert rule.max_distance is not None and rule.max_distance <= np.quantile(distance, 0.99) + 1e-9
    far = np.array([rule.max_distance * 2])
    sure_probs = probs[rule.confidence(probs, LABELS).argmax()][None]
    assert rule(sure_probs, LABELS, np.array([0.0]))[0]
    assert not rule(sure_probs, LABELS, far)[0]

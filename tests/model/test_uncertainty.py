"""When an answer is sure, how the labelling queue ranks photos, and the risk-coverage scores."""

from __future__ import annotations

import math

import numpy as np
import pytest

from zerowaste.model import taxonomy
from zerowaste.model.items import imagenet_labels, item_map
from zerowaste.model.preprocess import DEFAULT
from zerowaste.model.runtime import Prediction
from zerowaste.model.scoring import coverage_at_risk, material_top1, risk_coverage
from zerowaste.model.spec import ModelSpec
from zerowaste.model.uncertainty import (
    DEFAULT_DECISION_THRESHOLD,
    SureRule,
    answer_confidence,
    group_index,
    signals,
)

LABELS = list(taxonomy.LABELS)
IDX = taxonomy.INDEX
YELLOW = ("metal", "plastic")
BLUE = ("cardboard", "paper")


def _spec(sure: dict | None = None) -> ModelSpec:
    return ModelSpec(
        labels=LABELS,
        label_names={},
        item_labels=list(imagenet_labels()),
        taxonomy_version=taxonomy.TAXONOMY_VERSION,
        preprocessing=DEFAULT,
        temperature=1.0,
        manifest_sha256="test",
        sure=sure or {},
    )


def _probs(*rows: dict[str, float]) -> np.ndarray:
    """Waste probabilities from {class: probability}; what is left is spread over the other classes."""
    out = np.zeros((len(rows), len(LABELS)))
    for i, row in enumerate(rows):
        rest = [k for k in LABELS if k not in row]
        left = 1.0 - sum(row.values())
        for k in rest:
            out[i, IDX[k]] = left / len(rest)
        for k, p in row.items():
            out[i, IDX[k]] = p
    return out


def _item(*names: str | None) -> np.ndarray:
    """Item-head probabilities all on one ImageNet class per photo (None: spread evenly)."""
    out = np.full((len(names), 1000), 1.0 / 1000)
    for i, name in enumerate(names):
        if name is not None:
            out[i] = 0.0
            out[i, imagenet_labels().index(name)] = 1.0
    return out


# --- scoring ----------------------------------------------------------------------------------------


def test_risk_coverage_gives_the_error_rate_of_the_surest_answers() -> None:
    score = np.array([0.6, 0.9, 0.7, 0.8])
    correct = np.array([True, True, False, True])  # surest first: right, right, wrong, right
    rc = risk_coverage(score, correct)
    assert rc["at"]["0.50"] == 0.0
    assert rc["at"]["1.00"] == pytest.approx(0.25)
    assert rc["aurc"] == pytest.approx((0 + 0 + 1 / 3 + 1 / 4) / 4)
    assert len(rc["coverage"]) == len(rc["risk"]) == 101
    assert rc["coverage"][0] == pytest.approx(0.25) and rc["coverage"][-1] == 1.0
    assert rc["risk"][0] == 0.0 and rc["risk"][-1] == 0.25
    assert set(rc["at"]) == {"0.50", "0.60", "0.80", "0.85", "0.90", "1.00"}


def test_a_score_that_ranks_the_wrong_answers_first_has_the_larger_area() -> None:
    correct = np.array([True] * 8 + [False] * 2)
    good = risk_coverage(np.linspace(1, 0, 10), correct)["aurc"]
    bad = risk_coverage(np.linspace(0, 1, 10), correct)["aurc"]
    assert good < bad
    assert risk_coverage(np.ones(10), np.ones(10, dtype=bool))["aurc"] == 0.0


def test_risk_coverage_of_no_photos_is_empty() -> None:
    rc = risk_coverage(np.array([]), np.array([], dtype=bool))
    assert rc["coverage"] == [] and rc["at"] == {} and math.isnan(rc["aurc"])


def test_coverage_at_risk_is_the_largest_share_answered_within_the_risk() -> None:
    score = np.array([0.9, 0.8, 0.7, 0.6])
    correct = np.array([True, True, False, True])
    assert coverage_at_risk(score, correct, 0.0) == 0.5
    assert coverage_at_risk(score, correct, 0.25) == 1.0
    assert coverage_at_risk(score, correct, 0.3) == 1.0
    assert coverage_at_risk(score, correct, 0.2) == 0.5  # 1 wrong in 3 is too many, 1 in 4 too
    assert coverage_at_risk(score, ~np.ones(4, dtype=bool), 0.5) == 0.0  # every answer wrong
    assert math.isnan(coverage_at_risk(np.array([]), np.array([], dtype=bool), 0.1))


def test_material_top1_counts_a_class_of_the_same_material_as_right() -> None:
    probs = _probs({"paper": 0.9}, {"green-glass": 0.9}, {"white-glass": 0.9}, {"shoes": 0.9}, {"metal": 0.9})
    labels = ["cardboard", "brown-glass", "glass", "clothes", "plastic"]
    assert material_top1(probs, labels) == pytest.approx(4 / 5)
    assert material_top1(probs[4:], ["metal"]) == 1.0
    assert math.isnan(material_top1(np.zeros((0, 12)), []))


# --- answer groups and the sure rule ------------------------------------------------------------------


def test_group_index_puts_grouped_classes_together_and_every_other_class_alone() -> None:
    of = group_index(LABELS, (YELLOW, BLUE, ("styrofoam", "paper-cups")))
    assert of[IDX["metal"]] == of[IDX["plastic"]] == 0
    assert of[IDX["cardboard"]] == of[IDX["paper"]] == 1
    others = [of[IDX[k]] for k in LABELS if k not in YELLOW + BLUE]
    assert len(set(others)) == len(others) and min(others) >= 3
    assert list(group_index(LABELS, ())) == list(range(len(LABELS)))


def test_answer_confidence_sums_the_top_class_answer_group() -> None:
    probs = _probs({"metal": 0.5, "plastic": 0.4}, {"paper": 0.45, "metal": 0.3, "plastic": 0.25})
    assert answer_confidence(probs, LABELS, ()) == pytest.approx([0.5, 0.45])
    assert answer_confidence(probs, LABELS, (YELLOW,)) == pytest.approx([0.9, 0.45])  # the answer is paper
    assert answer_confidence(probs, LABELS, (YELLOW, BLUE)) == pytest.approx([0.9, 0.45])


def test_a_file_without_a_fitted_rule_falls_back_to_the_decision_threshold() -> None:
    rule = SureRule.from_spec(_spec())
    assert rule == SureRule(DEFAULT_DECISION_THRESHOLD) and DEFAULT_DECISION_THRESHOLD == 0.6
    assert rule.max_distance is None and rule.groups == ()
    probs = _probs({"metal": 0.59, "plastic": 0.4}, {"metal": 0.6})
    assert list(rule(probs, LABELS, np.array([1e9, 1e9]))) == [False, True]  # no distance gate


def test_a_fitted_rule_travels_in_the_spec() -> None:
    fitted = SureRule(0.8, 2.5, (BLUE, YELLOW))
    spec = ModelSpec.from_json(_spec(fitted.to_dict()).to_json())
    assert SureRule.from_spec(spec) == fitted
    no_gate = SureRule.from_spec(_spec({"min_confidence": 0.7, "max_distance": None}))
    assert no_gate == SureRule(0.7, None, ())


def test_the_answer_group_makes_an_answer_sure() -> None:
    probs = _probs({"metal": 0.5, "plastic": 0.4})
    assert not SureRule(0.8)(probs, LABELS)[0]
    assert SureRule(0.8, None, (YELLOW,))(probs, LABELS)[0]


def test_a_photo_far_from_the_training_photos_is_never_sure() -> None:
    rule = SureRule(0.8, 2.0)
    probs = _probs({"metal": 0.95}, {"metal": 0.95}, {"metal": 0.95}, {"metal": 0.5})
    assert list(rule(probs, LABELS, np.array([1.0, 2.0, 2.1, 0.5]))) == [True, True, False, False]
    assert list(rule(probs, LABELS)) == [True, True, True, False]  # a file without the distance output


# --- signals for the labelling queue ------------------------------------------------------------------


def test_an_unsure_photo_ranks_above_any_sure_one() -> None:
    """The surest-looking unsure photo (just under the threshold, heads agree, near) against the
    least sure-looking sure one (just over it, heads disagree, far)."""
    spec = _spec({"min_confidence": 0.6, "max_distance": None, "groups": [list(YELLOW)]})
    waste = _probs({"paper": 0.61}, {"paper": 0.59})
    pred = Prediction(waste, _item("can opener", "envelope"), np.array([100.0, 1.0]))
    sure, unsure = signals(pred, spec)
    assert sure.sure and not unsure.sure
    assert sure.heads_disagree and not unsure.heads_disagree
    assert unsure.priority > sure.priority
    assert sure.confidence == pytest.approx(0.61) and unsure.confidence == pytest.approx(0.59)


def test_priority_grows_with_doubt_disagreement_and_distance() -> None:
    spec = _spec({"min_confidence": 0.9, "max_distance": 2.0, "groups": [list(YELLOW)]})
    waste = _probs({"plastic": 0.5}, {"plastic": 0.5}, {"plastic": 0.5}, {"plastic": 0.7})
    item = _item(None, "beer bottle", None, None)
    out = signals(Prediction(waste, item, np.array([1.0, 1.0, 4.0, 1.0])), spec)
    plain, disagree, far, surer = out
    assert not any(s.sure for s in out)
    assert disagree.priority == pytest.approx(plain.priority + 0.5)
    assert far.priority == pytest.approx(plain.priority + 0.5)  # twice the rule's distance: the full half
    assert surer.confidence > plain.confidence
    assert surer.priority == pytest.approx(plain.priority - (surer.confidence - plain.confidence))
    assert far.distance == 4.0 and plain.distance == 1.0


def test_the_heads_disagree_when_the_item_names_another_answer_group() -> None:
    groups = [list(YELLOW), list(BLUE)]
    spec = _spec({"min_confidence": 0.6, "groups": groups})
    waste = _probs({"plastic": 0.8}, {"plastic": 0.8}, {"paper": 0.8}, {"green-glass": 0.8}, {"plastic": 0.8})
    # a can opener (metal) for plastic: the same bin; for paper: another bin; a beer bottle (mostly brown
    # glass) for green glass: another container; a cat says nothing about the material
    item = _item("can opener", "bucket", "can opener", "beer bottle", "tabby")
    assert item_map().material[imagenet_labels().index("tabby")].sum() == 0
    out = signals(Prediction(waste, item), spec)
    assert [s.heads_disagree for s in out] == [False, False, True, True, False]
    assert all(s.distance is None for s in out)


def test_weak_item_evidence_does_not_disagree() -> None:
    waste = _probs({"paper": 0.8})
    item = _item(None)
    item[0, imagenet_labels().index("can opener")] += 0.4  # 40 % of the item head's belief on a metal thing
    item /= item.sum()
    assert not signals(Prediction(waste, item), _spec())[0].heads_disagree
    item[0] = 0.0
    item[0, imagenet_labels().index("can opener")] = 0.6
    item[0, imagenet_labels().index("tabby")] = 0.4
    assert signals(Prediction(waste, item), _spec())[0].heads_disagree


def test_signals_report_margin_and_serialise() -> None:
    waste = _probs({"metal": 0.7, "plastic": 0.2})
    (s,) = signals(Prediction(waste, _item(None)))  # no spec: the default rule, no groups
    assert s.margin == pytest.approx(0.5) and s.confidence == pytest.approx(0.7) and s.sure
    assert s.to_dict() == {
        "confidence": s.confidence,
        "margin": s.margin,
        "heads_disagree": False,
        "distance": None,
        "sure": True,
        "priority": s.priority,
    }
    assert s.priority == pytest.approx(0.3)


@pytest.mark.parametrize(
    "sure",
    [
        {"min_confidence": "abc"},
        {"max_distance": 3},
        {"min_confidence": float("nan")},
        {"min_confidence": -1.0},
        {"min_confidence": 1.5},
        {"min_confidence": True},
        {"min_confidence": 0.9, "max_distance": -1},
        {"min_confidence": 0.9, "max_distance": float("inf")},
        {"min_confidence": 0.9, "groups": 5},
        {"min_confidence": 0.9, "groups": [["metal", "unobtainium"]]},
        {"min_confidence": 0.9, "groups": [["metal", "plastic"], ["plastic"]]},
        {"min_confidence": 0.9, "groups": [[]]},
        ["x"],
        "yes",
    ],
)
def test_a_malformed_rule_in_a_model_file_is_refused_when_it_loads(sure: object, tmp_path) -> None:
    import onnx

    from zerowaste.model.runtime import OnnxClassifier, shipped_model_path
    from zerowaste.model.spec import METADATA_KEY
    from zerowaste.model.uncertainty import SureRuleError

    model = onnx.load(str(shipped_model_path("int8")))
    entry = next(p for p in model.metadata_props if p.key == METADATA_KEY)
    spec = ModelSpec.from_json(entry.value)
    spec.sure = sure  # type: ignore[assignment]
    entry.value = spec.to_json()
    path = tmp_path / "bad.onnx"
    onnx.save(model, str(path))
    with pytest.raises(SureRuleError):
        OnnxClassifier(path)


def test_a_group_label_a_source_does_not_merge_gets_its_own_row() -> None:
    from zerowaste.model.scoring import part_metrics

    idx = {k: i for i, k in enumerate(LABELS)}
    probs = np.zeros((4, len(LABELS)))
    for i, k in enumerate(("green-glass", "brown-glass", "plastic", "green-glass")):
        probs[i, idx[k]] = 1.0
    labels = ["glass", "green-glass", "glass", "green-glass"]  # colour unknown twice, green twice
    m = part_metrics(probs, labels, ())
    # glass of unknown colour is right as any glass; the green one called brown is wrong
    assert m["top1"] == pytest.approx(0.5)
    assert m["recall"] == {"green-glass": pytest.approx(0.5), "glass": pytest.approx(0.5)}
    assert m["confusion"]["rows"][-1] == "glass" and "glass" not in m["confusion"]["labels"]

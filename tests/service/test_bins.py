"""Scoring by bin: what a citizen is told, under the municipality's own rules."""

import numpy as np
import pytest

from tests.conftest import photos
from zerowaste.model import taxonomy
from zerowaste.model.image_io import load_image
from zerowaste.model.runtime import OnnxClassifier, shipped_model_path
from zerowaste.model.scoring import bin_top1, calibration_view
from zerowaste.service.rules import read_rules, rules_path


@pytest.fixture(scope="module")
def bins() -> dict[str, str]:
    return read_rules(rules_path("wuppertal")).bin_of_class()


def one_hot(key: str) -> np.ndarray:
    p = np.zeros(len(taxonomy.LABELS))
    p[taxonomy.INDEX[key]] = 1.0
    return p


def test_wuppertal_bins_join_what_shares_a_bin_and_keep_glass_colours_apart(bins: dict[str, str]) -> None:
    assert set(bins) == set(taxonomy.LABELS)
    assert bins["paper"] == bins["cardboard"]
    assert bins["metal"] == bins["plastic"]
    assert len({bins["white-glass"], bins["green-glass"], bins["brown-glass"]}) == 3
    assert bins["trash"] != bins["plastic"]


@pytest.mark.parametrize(
    ("label", "predicted", "right"),
    [
        ("cardboard", "paper", True),
        ("glass", "green-glass", True),  # TrashNet's glass has no colour: any container is its own
        ("brown-glass", "green-glass", False),
        ("trash", "plastic", False),
        ("shoes", "shoes", True),
    ],
)
def test_a_prediction_counts_when_it_lands_in_the_labels_bin(
    bins: dict[str, str], label: str, predicted: str, right: bool
) -> None:
    assert bin_top1(one_hot(predicted)[None], [label], bins) == float(right)


def test_on_real_photos_right_bin_is_top1_when_every_class_has_its_own_bin(bins: dict[str, str]) -> None:
    cases = [(p, "cardboard") for p in photos("trashnet", "cardboard", n=6)]
    cases += [(p, "paper") for p in photos("trashnet", "paper", n=6)]
    cases += [(p, "glass") for p in photos("trashnet", "glass", n=6)]
    cases += [(p, "brown-glass") for p in photos("garbage12", "brown-glass", n=6)]
    model = OnnxClassifier(shipped_model_path("int8"))
    probs = model.predict_images([load_image(p) for p, _ in cases]).waste
    labels = [label for _, label in cases]
    _, correct = calibration_view(probs, labels)
    own = {k: k for k in taxonomy.LABELS}
    assert bin_top1(probs, labels, own) == pytest.approx(correct.mean())
    assert bin_top1(probs, labels, bins) >= correct.mean()

"""The item map as data, and the shipped model's item head on real photos whose item the label gives away."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import yaml

from tests.conftest import photos
from zerowaste.model.image_io import load_image
from zerowaste.model.items import (
    DEFAULT_ITEM_THRESHOLD,
    ItemMapError,
    imagenet_labels,
    item_map,
    parse_item_map,
    recognise_item,
)
from zerowaste.model.runtime import OnnxClassifier, shipped_model_path


def test_the_map_covers_at_least_150_household_classes_with_german_names() -> None:
    imap = item_map()
    assert len(imap.classes) >= 150
    assert len({c.index for c in imap.classes}) == len(imap.classes)
    for c in imap.classes:
        assert imagenet_labels()[c.index] == c.imagenet
        assert c.de and c.en and c.abc
    wanted = {
        "toaster",
        "hand blower",
        "iron",
        "vacuum",
        "laptop",
        "cellular telephone",
        "table lamp",
        "folding chair",
        "studio couch",
        "mountain bike",
        "power drill",
        "lawn mower",
        "teddy",
        "jersey",
        "jean",
        "running shoe",
        "backpack",
        "book jacket",
    }
    assert wanted <= {c.imagenet for c in imap.classes}
    # the categories, each with a German and an English name
    for key in (
        "small-electrical",
        "large-appliance",
        "furniture",
        "textile",
        "shoes",
        "toy",
        "book",
        "bicycle",
        "tool",
        "garden-tool",
        "kitchenware",
        "sports",
        "music-instrument",
    ):
        assert imap.categories[key]["de"] and imap.categories[key]["en"]
    assert imap.categories["small-electrical"]["de"] == "Elektrokleingerät"


def test_animals_food_and_landscapes_map_to_nothing() -> None:
    mapped = {c.imagenet for c in item_map().classes}
    assert not mapped & {
        "tabby",
        "golden retriever",
        "pizza",
        "banana",
        "volcano",
        "seashore",
        "airliner",
        "school bus",
        "castle",
        "daisy",
    }


def _raw() -> dict:
    from importlib import resources

    return yaml.safe_load(resources.files("zerowaste.model").joinpath("item_map.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["items"][0].update({"in": 1}), "is not the ImageNet class"),
        (lambda d: d["items"].append(dict(d["items"][0])), "mapped twice"),
        (lambda d: d["items"][0].update({"category": "spaceship"}), "unknown category"),
        (lambda d: d["items"][0].update({"colour": "red"}), "unknown fields"),
        (lambda d: d["items"][0].pop("abc"), "missing"),
        (lambda d: d["categories"].update({"x": {"de": "X"}}), "exactly non-empty"),
    ],
)
def test_a_broken_map_is_refused_naming_the_entry(change, message: str) -> None:
    data = copy.deepcopy(_raw())
    change(data)
    with pytest.raises(ItemMapError, match=message):
        parse_item_map(data, imagenet_labels())


def test_probabilities_of_names_for_the_same_item_add_up() -> None:
    imap = item_map()
    idx = {c.imagenet: c.index for c in imap.classes}
    p = np.zeros(1000, dtype=np.float32)
    p[idx["running shoe"]], p[idx["sandal"]], p[idx["toaster"]] = 0.30, 0.25, 0.40
    guess = recognise_item(p, 0.5)
    assert guess is not None and guess.item.abc == "schuhe" and guess.item.imagenet == "running shoe"
    assert guess.probability == pytest.approx(0.55)
    assert guess.label("de") == "Turnschuh (Schuhe)" and guess.label("en") == "trainer (shoes)"
    assert recognise_item(p, 0.6) is None
    p[:] = 0
    p[imagenet_labels().index("tabby")] = 1.0  # a cat is no household item
    assert recognise_item(p, 0.1) is None


def test_an_item_without_second_life_is_named_without_category() -> None:
    p = np.zeros(1000, dtype=np.float32)
    p[imagenet_labels().index("plastic bag")] = 0.9
    guess = recognise_item(p)
    assert guess is not None and guess.item.category is None and guess.label("de") == "Plastiktüte"


@pytest.fixture(scope="module")
def int8() -> OnnxClassifier:
    return OnnxClassifier(shipped_model_path("int8"))


@pytest.mark.parametrize(("folder", "category"), [("shoes", "shoes"), ("clothes", "textile")])
def test_the_shipped_item_head_names_shoes_and_clothes(int8: OnnxClassifier, folder: str, category: str) -> None:
    files = photos("garbage12", folder, n=24)
    pred = int8.predict_images([load_image(f) for f in files])
    guesses = [recognise_item(p, DEFAULT_ITEM_THRESHOLD) for p in pred.item]
    shown = [g for g in guesses if g is not None]
    assert len(shown) >= len(files) // 3, "the item head should recognise a good share of these photos"
    right = sum(g.item.category == category for g in shown)
    assert right >= 0.8 * len(shown), [(g.item.imagenet, g.probability) for g in shown]

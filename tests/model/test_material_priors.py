"""What an ImageNet class says about the material (item map `materials`), and the sources' domains and groups."""

from __future__ import annotations

import numpy as np
import pytest

from zerowaste.model import taxonomy
from zerowaste.model.items import ItemMapError, imagenet_labels, item_map, parse_materials

IDX = taxonomy.INDEX


def _row(imagenet: str) -> np.ndarray:
    return item_map().material[imagenet_labels().index(imagenet)]


def test_the_prior_matrix_has_a_row_per_imagenet_class_summing_to_one_or_zero() -> None:
    material = item_map().material
    assert material.shape == (1000, len(taxonomy.LABELS)) and material.dtype == np.float32
    assert (material >= 0).all()
    sums = material.sum(axis=1)
    said = np.isclose(sums, 1.0, atol=1e-5)
    assert (said | (sums == 0)).all()
    assert said.sum() >= 50  # the section is not empty
    assert sums[imagenet_labels().index("tabby")] == 0  # a cat says nothing about the material


def test_a_bucket_is_mostly_plastic() -> None:
    bucket = _row("bucket")
    assert bucket[IDX["plastic"]] > bucket[IDX["metal"]] > 0
    assert bucket[IDX["plastic"]] == pytest.approx(0.75)


def test_a_beer_bottle_is_glass_or_plastic_only() -> None:
    bottle = _row("beer bottle")
    glass = sum(bottle[IDX[k]] for k in taxonomy.GROUPS["glass"])
    assert glass + bottle[IDX["plastic"]] == pytest.approx(1.0)
    assert glass > 0.9


def test_a_banana_is_organic_waste() -> None:
    banana = _row("banana")
    assert banana[IDX["biological"]] == pytest.approx(1.0)


def test_a_can_opener_is_metal() -> None:
    assert int(_row("can opener").argmax()) == IDX["metal"]


def _entry(**changes: object) -> dict:
    entry: dict = {"in": 463, "imagenet": "bucket", "material": {"plastic": 3, "metal": 1}}
    entry.update(changes)
    return entry


def test_weights_are_normalised_per_class() -> None:
    matrix = parse_materials(
        {"materials": [_entry(), {"in": 954, "imagenet": "banana", "material": {"biological": 2}}]}, imagenet_labels()
    )
    assert matrix.shape == (1000, 12)
    assert matrix[463, IDX["plastic"]] == pytest.approx(0.75) and matrix[463, IDX["metal"]] == pytest.approx(0.25)
    assert matrix[954, IDX["biological"]] == pytest.approx(1.0)
    assert np.count_nonzero(matrix.sum(axis=1)) == 2


def test_a_map_without_materials_says_nothing() -> None:
    assert not parse_materials({}, imagenet_labels()).any()
    assert not parse_materials({"materials": None}, imagenet_labels()).any()


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([_entry(**{"in": 464})], "index 464 is not the ImageNet class 'bucket'"),
        ([_entry(imagenet="pail")], "index 463 is not the ImageNet class 'pail'"),
        ([_entry(**{"in": 1000})], "index 1000 is not the ImageNet class"),
        ([_entry(**{"in": -1})], "index -1 is not the ImageNet class"),
        ([_entry(), _entry(material={"plastic": 1})], "ImageNet class 463 has two material priors"),
        ([_entry(material={"plastic": 1, "styrofoam": 1})], "'styrofoam' is not a waste class (battery, "),
        ([_entry(material={"glass": 1})], "'glass' is not a waste class"),  # a group is not a class here
        ([_entry(material={"plastic": 0})], "the weight of plastic must be a positive number"),
        ([_entry(material={"plastic": 1, "metal": -0.5})], "the weight of metal must be a positive number"),
        ([_entry(material={"plastic": "lots"})], "the weight of plastic must be a positive number"),
        ([_entry(material={})], "material must map waste classes to weights"),
        ([_entry(material=["plastic"])], "material must map waste classes to weights"),
        ([_entry(colour="red")], "needs exactly the fields in, imagenet, material"),
        ([{"in": 463, "imagenet": "bucket"}], "needs exactly the fields in, imagenet, material"),
    ],
    ids=[
        "wrong-index",
        "wrong-name",
        "index-too-large",
        "negative-index",
        "duplicate-class",
        "unknown-class",
        "group-not-class",
        "zero-weight",
        "negative-weight",
        "text-weight",
        "empty-material",
        "material-not-a-map",
        "extra-field",
        "missing-field",
    ],
)
def test_a_broken_material_prior_is_refused_naming_the_entry(entries: list, message: str) -> None:
    with pytest.raises(ItemMapError) as caught:
        parse_materials({"materials": entries}, imagenet_labels())
    assert message in str(caught.value)
    assert str(caught.value).startswith("material prior {")


def test_a_yes_no_weight_is_refused() -> None:
    with pytest.raises(ItemMapError, match="the weight of plastic must be a positive number"):
        parse_materials({"materials": [_entry(material={"plastic": True})]}, imagenet_labels())


@pytest.mark.parametrize("entry", [_entry(**{"in": "bucket"}), 463], ids=["text-index", "not-a-mapping"])
def test_a_malformed_material_entry_is_refused_naming_the_entry(entry: object) -> None:
    with pytest.raises(ItemMapError, match="material prior"):
        parse_materials({"materials": [entry]}, imagenet_labels())


@pytest.mark.parametrize(
    ("key", "group"),
    [
        ("green-glass", "glass"),
        ("white-glass", "glass"),
        ("glass", "glass"),
        ("paper", "paper-cardboard"),
        ("cardboard", "paper-cardboard"),
        ("shoes", "textiles"),
        ("clothes", "textiles"),
        ("metal", "metal"),
        ("plastic", "plastic"),
        ("battery", "battery"),
    ],
)
def test_material_group_merges_what_a_photo_set_cannot_tell_apart(key: str, group: str) -> None:
    assert taxonomy.material_group(key) == group


def test_every_class_has_exactly_one_material_group() -> None:
    groups = {taxonomy.material_group(k) for k in taxonomy.LABELS}
    assert groups == {"battery", "biological", "glass", "paper-cardboard", "textiles", "metal", "plastic", "trash"}


def test_sources_have_a_domain_and_map_to_known_labels() -> None:
    for name, src in taxonomy.SOURCES.items():
        assert src.domain in taxonomy.DOMAINS, name
        assert set(src.scoring_groups) <= set(taxonomy.GROUPS), name
        assert src.labels is None or all(taxonomy.is_known_label(v) for v in src.labels.values()), name
    assert taxonomy.source("trashnet").domain == "studio" and taxonomy.source("trashnet").scoring_groups == ("glass",)
    assert taxonomy.source("garbage12-more").domain == "studio"
    clothing = taxonomy.source("clothing")
    assert clothing.domain == "phone" and clothing.labels is not None
    assert clothing.labels["hat"] == "clothes" and clothing.labels["shoes"] == "shoes"
    drinks = taxonomy.source("drinks")
    # Drinks are scored on glass colour where the labellers could tell it; "glass" rows accept any colour.
    assert drinks.labels is None and drinks.domain == "phone" and drinks.scoring_groups == ()
    assert drinks.copies_of is not None
    assert "drinks" not in taxonomy.SOURCE_LABELS and "clothing" in taxonomy.SOURCE_LABELS


def test_an_unknown_source_is_phone_photos_in_taxonomy_folders() -> None:
    unknown = taxonomy.source("feedback-2026-12")
    assert unknown is taxonomy.DEFAULT_SOURCE
    assert unknown.domain == "phone"
    assert unknown.labels is not None and unknown.labels["glass"] == "glass" and unknown.labels["metal"] == "metal"
    assert set(unknown.labels) == {*taxonomy.LABELS, *taxonomy.GROUPS}

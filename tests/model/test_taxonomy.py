from zerowaste.model import taxonomy


def test_twelve_classes_with_german_and_english_names() -> None:
    assert len(taxonomy.LABELS) == 12
    assert len(set(taxonomy.LABELS)) == 12
    for c in taxonomy.CLASSES:
        assert c.de and c.en
    assert taxonomy.display_name("white-glass", "de") == "Weißglas"
    assert taxonomy.display_name("white-glass", "en") == "White glass"


def test_trashnet_glass_is_a_group_of_the_three_colours() -> None:
    glass = taxonomy.members("glass")
    assert sorted(taxonomy.LABELS[i] for i in glass) == ["brown-glass", "green-glass", "white-glass"]
    assert taxonomy.members("paper") == (taxonomy.INDEX["paper"],)
    assert taxonomy.merged_key("green-glass", ("glass",)) == "glass"
    assert taxonomy.merged_key("green-glass", ()) == "green-glass"


def test_every_source_folder_maps_to_a_known_label() -> None:
    for mapping in taxonomy.SOURCE_LABELS.values():
        for label in mapping.values():
            assert taxonomy.is_known_label(label)


def test_unknown_label_names_the_known_ones() -> None:
    try:
        taxonomy.members("styrofoam")
    except KeyError as exc:
        assert "battery" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("unknown label accepted")

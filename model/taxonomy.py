"""The waste classes the model predicts, with display names, and how source data sets map onto them.

The order of `CLASSES` is the order of the model's waste head. Folder order of a data set never
decides a label index: importers map folder names through `SOURCE_LABELS`.
"""

from __future__ import annotations

from dataclasses import dataclass

TAXONOMY_VERSION = "2026.11-1"


@dataclass(frozen=True)
class WasteClass:
    key: str
    de: str
    en: str


CLASSES: tuple[WasteClass, ...] = (
    WasteClass("battery", "Batterie", "Battery"),
    WasteClass("biological", "Bioabfall", "Organic waste"),
    WasteClass("brown-glass", "Braunglas", "Brown glass"),
    WasteClass("cardboard", "Pappe", "Cardboard"),
    WasteClass("clothes", "Kleidung", "Clothes"),
    WasteClass("green-glass", "Grünglas", "Green glass"),
    WasteClass("metal", "Metall", "Metal"),
    WasteClass("paper", "Papier", "Paper"),
    WasteClass("plastic", "Kunststoff", "Plastic"),
    WasteClass("shoes", "Schuhe", "Shoes"),
    WasteClass("trash", "Restmüll", "Residual waste"),
    WasteClass("white-glass", "Weißglas", "White glass"),
)

LABELS: tuple[str, ...] = tuple(c.key for c in CLASSES)
INDEX: dict[str, int] = {key: i for i, key in enumerate(LABELS)}

# A label that names a set of classes: the photo is one of them, we do not know which.
# TrashNet's "glass" has no colour; training puts its loss on the summed glass probability.
GROUPS: dict[str, tuple[str, ...]] = {
    "glass": ("brown-glass", "green-glass", "white-glass"),
}

# How the merged material groups read a class: what a citizen's photo set can be scored on when it
# does not tell paper from cardboard, glass colours apart, or clothes from shoes.
MATERIAL_GROUPS: dict[str, tuple[str, ...]] = {
    "glass": GROUPS["glass"],
    "paper-cardboard": ("paper", "cardboard"),
    "textiles": ("clothes", "shoes"),
}

# Where a photo was taken, as far as the model is concerned: "studio" sets show one object on a plain
# background; "phone" photos are what citizens send (hands, tables, floors, several objects).
DOMAINS = ("studio", "phone")

_CLOTHING_KINDS = (
    "blazer",
    "blouse",
    "body",
    "dress",
    "hat",
    "hoodie",
    "longsleeve",
    "outwear",
    "pants",
    "polo",
    "shirt",
    "shorts",
    "skirt",
    "t-shirt",
    "top",
    "undershirt",
)


@dataclass(frozen=True)
class Source:
    """A data set the importers know: how its folders map to labels, its domain, and which label
    groups its scoring merges because the set itself cannot tell them apart."""

    labels: dict[str, str] | None  # folder name -> label (a class or a group); None: a labels file names them
    domain: str
    scoring_groups: tuple[str, ...] = ()
    # A regular expression whose group "original" names the photo a file was made from: copies a data set
    # exported under one original name (rotated, flipped, cropped) are one photo for the split.
    copies_of: str | None = None


SOURCES: dict[str, Source] = {
    "trashnet": Source(
        {k: k for k in ("cardboard", "glass", "metal", "paper", "plastic", "trash")}, "studio", ("glass",)
    ),
    "garbage12": Source({key: key for key in LABELS}, "studio"),
    # The rest of the same Kaggle set: same photographers, same plain backgrounds.
    "garbage12-more": Source({key: key for key in LABELS}, "studio"),
    # Second-hand garments and shoes photographed by their owners (floors, beds, hangers, hands).
    "clothing": Source({**dict.fromkeys(_CLOTHING_KINDS, "clothes"), "shoes": "shoes"}, "phone"),
    # Phone photos of cans and bottles, labelled in the staff labelling queue (datasets/labels/drinks.jsonl);
    # glass whose colour a person could not tell is the group "glass" (scored as any glass; the photos with
    # a colour are scored on it). A Roboflow export: `<original>_jpg.rf.<hash>.jpg` are augmented copies of
    # one photo, rotated, mirrored or cropped beyond what pHash and the feature cosine catch.
    "drinks": Source(None, "phone", (), copies_of=r"^(?P<original>.+)\.rf\.[0-9a-f]+$"),
}
# A set the importers do not know (exported feedback, a municipality's own folder): folders named like
# the taxonomy's labels, and photos taken by citizens.
DEFAULT_SOURCE = Source({k: k for k in (*LABELS, *GROUPS)}, "phone", ("glass",))

# folder name in a source data set -> label (a class key or a group key)
SOURCE_LABELS: dict[str, dict[str, str]] = {name: s.labels for name, s in SOURCES.items() if s.labels is not None}


def source(name: str) -> Source:
    return SOURCES.get(name, DEFAULT_SOURCE)


def material_group(key: str) -> str:
    """The material group of a class or group label ("green-glass" -> "glass", "paper" ->
    "paper-cardboard"); a class outside every group is its own group."""
    for group, members_ in MATERIAL_GROUPS.items():
        if key == group or key in members_:
            return group
    return key


def is_known_label(label: str) -> bool:
    return label in INDEX or label in GROUPS


def members(label: str) -> tuple[int, ...]:
    """Class indices a label stands for: one for a class, several for a group."""
    if label in INDEX:
        return (INDEX[label],)
    if label in GROUPS:
        return tuple(INDEX[k] for k in GROUPS[label])
    raise KeyError(f"unknown label {label!r}; known: {', '.join(LABELS + tuple(GROUPS))}")


def merged_key(key: str, groups: tuple[str, ...]) -> str:
    """The label a class counts as when the listed groups are merged (white-glass -> glass)."""
    for g in groups:
        if key in GROUPS[g]:
            return g
    return key


def display_name(key: str, lang: str = "de") -> str:
    for c in CLASSES:
        if c.key == key:
            return c.de if lang == "de" else c.en
    if key == "glass":
        return "Glas" if lang == "de" else "Glass"
    raise KeyError(key)

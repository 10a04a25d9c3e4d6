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

# folder name in a source data set -> label (a class key or a group key)
SOURCE_LABELS: dict[str, dict[str, str]] = {
    "trashnet": {
        "cardboard": "cardboard",
        "glass": "glass",
        "metal": "metal",
        "paper": "paper",
        "plastic": "plastic",
        "trash": "trash",
    },
    "garbage12": {key: key for key in LABELS},
}


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

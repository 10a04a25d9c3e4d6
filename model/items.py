"""The kept ImageNet item head and what its classes mean to a household (model/item_map.yaml).

One ImageNet class is often one of several names for the same thing (running shoe, sandal, Loafer
are all shoes), so an answer sums the probability of every class that names the same Abfall-ABC
item and shows the item only when that sum reaches the threshold. Unmapped classes never show.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import yaml

from zerowaste.model import taxonomy

# Chosen on validation photos of shoes and clothes (benchmarks/items.py prints the trade-off):
# below it the item head's guesses on packaging and scraps get too wild to show a citizen.
DEFAULT_ITEM_THRESHOLD = 0.5
# From here on an item may change the answer: settle the material's "is it packaging?" question, or
# contradict the material and turn the answer into a question. Below it the waste head, trained on
# waste photos, wins: the item head never saw a labelled waste photo, and at 0.5 it calls one tin in
# twenty a "spotlight" and a milk jug a "tray".
DEFAULT_ITEM_DECISIVE_THRESHOLD = 0.8


@cache
def imagenet_labels() -> tuple[str, ...]:
    text = resources.files("zerowaste.model").joinpath("imagenet_classes.txt").read_text(encoding="utf-8")
    return tuple(text.splitlines())


@dataclass(frozen=True)
class ItemClass:
    index: int  # output index of the item head
    imagenet: str
    abc: str  # Abfall-ABC key; each municipality's rules give its stream
    category: str | None  # what reuse offers accept; None: no second life
    de: str
    en: str

    def name(self, lang: str) -> str:
        return self.de if lang == "de" else self.en


@dataclass(frozen=True, eq=False)
class ItemMap:
    categories: dict[str, dict[str, str]]  # key -> {"de", "en"}
    classes: tuple[ItemClass, ...]
    groups: tuple[str, ...]  # Abfall-ABC keys in first-seen order
    group_of: np.ndarray  # per item-head output: index into groups, -1 where unmapped
    class_at: dict[int, ItemClass]  # item-head output index -> its entry
    # (item-head outputs, waste classes): what each ImageNet class says about the material, rows
    # summing to 1, zero rows for classes that say nothing (the `materials` section)
    material: np.ndarray

    def abc_keys(self) -> set[str]:
        return set(self.groups)

    def category_name(self, key: str, lang: str) -> str:
        return self.categories[key][lang]


class ItemMapError(ValueError):
    pass


def parse_materials(data: Any, labels: tuple[str, ...]) -> np.ndarray:
    """The `materials` section as a (len(labels), waste classes) matrix of row-normalised priors."""
    matrix = np.zeros((len(labels), len(taxonomy.LABELS)), dtype=np.float32)
    seen: set[int] = set()
    for raw in data.get("materials") or []:
        where = f"material prior {raw}"
        if not isinstance(raw, dict) or set(raw) != {"in", "imagenet", "material"}:
            raise ItemMapError(f"{where}: needs exactly the fields in, imagenet, material")
        if isinstance(raw["in"], bool) or not isinstance(raw["in"], int):
            raise ItemMapError(f"{where}: `in` must be the item head's output index (an integer)")
        index = raw["in"]
        if not 0 <= index < len(labels) or labels[index] != str(raw["imagenet"]):
            raise ItemMapError(f"{where}: index {index} is not the ImageNet class {raw['imagenet']!r}")
        if index in seen:
            raise ItemMapError(f"{where}: ImageNet class {index} has two material priors")
        weights = raw["material"]
        if not isinstance(weights, dict) or not weights:
            raise ItemMapError(f"{where}: material must map waste classes to weights")
        for key, w in weights.items():
            if key not in taxonomy.INDEX:
                raise ItemMapError(f"{where}: {key!r} is not a waste class ({', '.join(taxonomy.LABELS)})")
            if isinstance(w, bool) or not isinstance(w, int | float) or w <= 0:  # YAML `yes` is a bool
                raise ItemMapError(f"{where}: the weight of {key} must be a positive number")
            matrix[index, taxonomy.INDEX[key]] = float(w)
        matrix[index] /= matrix[index].sum()
        seen.add(index)
    return matrix


def parse_item_map(data: Any, labels: tuple[str, ...]) -> ItemMap:
    """Validate the YAML structure; every mistake names the entry it is in."""
    categories = data.get("categories") or {}
    for key, names in categories.items():
        if set(names) != {"de", "en"} or not all(names.values()):
            raise ItemMapError(f"category {key}: needs exactly non-empty 'de' and 'en'")
    classes: list[ItemClass] = []
    seen: set[int] = set()
    for raw in data.get("items") or []:
        where = f"item map entry {raw}"
        extra = set(raw) - {"in", "imagenet", "abc", "category", "de", "en"}
        if extra:
            raise ItemMapError(f"{where}: unknown fields {sorted(extra)}")
        try:
            c = ItemClass(
                int(raw["in"]),
                str(raw["imagenet"]),
                str(raw["abc"]),
                raw.get("category"),
                str(raw["de"]),
                str(raw["en"]),
            )
        except KeyError as exc:
            raise ItemMapError(f"{where}: missing {exc}") from None
        if not 0 <= c.index < len(labels) or labels[c.index] != c.imagenet:
            raise ItemMapError(f"{where}: index {c.index} is not the ImageNet class {c.imagenet!r}")
        if c.index in seen:
            raise ItemMapError(f"{where}: ImageNet class {c.index} is mapped twice")
        if c.category is not None and c.category not in categories:
            raise ItemMapError(f"{where}: unknown category {c.category!r}")
        if not (c.de and c.en and c.abc):
            raise ItemMapError(f"{where}: empty name or Abfall-ABC key")
        seen.add(c.index)
        classes.append(c)
    groups = tuple(dict.fromkeys(c.abc for c in classes))
    group_of = np.full(len(labels), -1, dtype=np.int64)
    for c in classes:
        group_of[c.index] = groups.index(c.abc)
    return ItemMap(
        categories=dict(categories),
        classes=tuple(classes),
        groups=groups,
        group_of=group_of,
        class_at={c.index: c for c in classes},
        material=parse_materials(data, labels),
    )


@cache
def item_map() -> ItemMap:
    text = resources.files("zerowaste.model").joinpath("item_map.yaml").read_text(encoding="utf-8")
    return parse_item_map(yaml.safe_load(text), imagenet_labels())


@dataclass(frozen=True)
class ItemGuess:
    item: ItemClass  # the most likely ImageNet class of the winning group: its name is shown
    probability: float  # summed over every class of the group (same Abfall-ABC item)

    def label(self, lang: str, imap: ItemMap | None = None) -> str:
        """ "Toaster (Elektrokleingerät)"; the name alone where the item has no category."""
        imap = imap or item_map()
        name = self.item.name(lang)
        return f"{name} ({imap.category_name(self.item.category, lang)})" if self.item.category else name


def recognise_item(
    item_probs: np.ndarray, threshold: float = DEFAULT_ITEM_THRESHOLD, imap: ItemMap | None = None
) -> ItemGuess | None:
    """The household item in one photo's item-head probabilities, or None when no group is likely enough."""
    imap = imap or item_map()
    mapped = imap.group_of >= 0
    sums = np.bincount(imap.group_of[mapped], weights=item_probs[mapped], minlength=len(imap.groups))
    best = int(sums.argmax())
    if sums[best] < threshold:
        return None
    members = np.flatnonzero(imap.group_of == best)
    top = int(members[item_probs[members].argmax()])
    return ItemGuess(item=imap.class_at[top], probability=round(float(sums[best]), 4))

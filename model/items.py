"""The kept ImageNet item head and what its classes mean to a household (model/item_map.yaml).

One ImageNet class is often one of several names for the same thing (running shoe, sandal, Loafer
are all shoes), and the head spreads a phone photo over `cellular telephone`, `iPod`, `remote
control` and `screen`. So the answer is given at the level that is sure: the probability of every
class naming the same Abfall-ABC item is summed, and the item is shown when that sum reaches its
threshold; else the sum over every class of one category ("Elektrokleingerät") is shown when it
reaches its own; else nothing. Unmapped classes never show. The head's probabilities were distilled,
not calibrated: a temperature fitted on labelled photos (training/item_calibration.py, kept in the
model's spec) comes first.
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
# Without a sure item the category is shown from here on, on the calibrated sums (the model spec's
# item_temperature): the lowest threshold at which 96 % of the answers shown on validation photos were
# right, a point above the 95 % asked for (benchmarks/item_categories.py prints the trade-off).
DEFAULT_CATEGORY_THRESHOLD = 0.6
# A material's look-alikes (a wine glass among bottles: the rules file's `look_alike`) make the answer ask
# from this summed probability on, however unsure the item head is: on validation glass photos 60 % of
# drinking glasses, bowls and jugs reach it and 5 % of bottles and jars (benchmarks/item_categories.py).
DEFAULT_LOOK_ALIKE_THRESHOLD = 0.25


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
    # category -> the Abfall-ABC entry a category answer takes its stream from; absent: the material decides
    category_abc: dict[str, str]
    # category -> the kinds of offer that suit it, best first (repair for a device, second-hand for clothes)
    category_offers: dict[str, tuple[str, ...]]
    classes: tuple[ItemClass, ...]
    groups: tuple[str, ...]  # Abfall-ABC keys in first-seen order
    group_of: np.ndarray  # per item-head output: index into groups, -1 where unmapped
    class_at: dict[int, ItemClass]  # item-head output index -> its entry
    category_keys: tuple[str, ...]  # the categories in the map's order
    category_of: np.ndarray  # per item-head output: index into category_keys, -1 where it names none
    unmapped: dict[int, str]  # item-head output index -> why it names nothing
    # (item-head outputs, waste classes): what each ImageNet class says about the material, rows
    # summing to 1, zero rows for classes that say nothing (the `materials` section)
    material: np.ndarray

    def abc_keys(self) -> set[str]:
        """Every Abfall-ABC entry the map can answer with: its items' and its categories'."""
        return set(self.groups) | set(self.category_abc.values())

    def category_name(self, key: str, lang: str) -> str:
        return self.categories[key][lang]

    def offer_kinds(self, categories: list[str]) -> list[str]:
        """The kinds of offer that suit a thing of these categories, best first (first category first)."""
        return list(dict.fromkeys(k for c in categories for k in self.category_offers.get(c, ())))


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


def _check_class(where: str, index: Any, name: Any, labels: tuple[str, ...]) -> int:
    if isinstance(index, bool) or not isinstance(index, int):
        raise ItemMapError(f"{where}: `in` must be the item head's output index (an integer)")
    if not 0 <= index < len(labels) or labels[index] != str(name):
        raise ItemMapError(f"{where}: index {index} is not the ImageNet class {name!r}")
    return index


def parse_unmapped(data: Any, labels: tuple[str, ...]) -> dict[int, str]:
    """The `unmapped` section: index -> reason, every class named as "N label" or in a range."""
    out: dict[int, str] = {}
    for raw in data.get("unmapped") or []:
        where = f"unmapped group {str(raw)[:80]}"
        if not isinstance(raw, dict) or not str(raw.get("reason") or "").strip():
            raise ItemMapError(f"{where}: every group needs a reason")
        extra = set(raw) - {"reason", "classes", "range"}
        if extra:
            raise ItemMapError(f"{where}: unknown fields {sorted(extra)}")
        indices: list[int] = []
        if "range" in raw:
            lo, hi = raw["range"]
            indices += range(int(lo), int(hi) + 1)
        for entry in raw.get("classes") or []:
            number, _, name = str(entry).partition(" ")
            if not number.isdigit():
                raise ItemMapError(f"{where}: {entry!r} is not 'index ImageNet label'")
            indices.append(_check_class(where, int(number), name, labels))
        for i in indices:
            if i in out:
                raise ItemMapError(f"{where}: ImageNet class {i} ({labels[i]}) is left out twice")
            out[i] = str(raw["reason"])
    return out


def parse_item_map(data: Any, labels: tuple[str, ...], complete: bool = True) -> ItemMap:
    """Validate the YAML structure; every mistake names the entry it is in.

    `complete`: every ImageNet class must be decided exactly once, as an item, a category or left out
    with a reason (the shipped map is; a test may check a fragment).
    """
    categories: dict[str, dict[str, str]] = {}
    category_abc: dict[str, str] = {}
    category_offers: dict[str, tuple[str, ...]] = {}
    for key, names in (data.get("categories") or {}).items():
        if not isinstance(names, dict) or not {"de", "en"} <= set(names) <= {"de", "en", "abc", "offers"}:
            raise ItemMapError(
                f"category {key}: needs exactly non-empty 'de' and 'en' (and may name an 'abc' and 'offers')"
            )
        if not all(names.values()):
            raise ItemMapError(f"category {key}: needs exactly non-empty 'de' and 'en'")
        categories[key] = {"de": str(names["de"]), "en": str(names["en"])}
        if "abc" in names:
            category_abc[key] = str(names["abc"])
        kinds = names.get("offers", [])
        if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
            raise ItemMapError(f"category {key}: `offers` lists kinds of offer (repair, second-hand, …)")
        category_offers[key] = tuple(kinds)
    classes: list[ItemClass] = []
    decided: dict[int, str] = {}  # index -> where it was decided, to name both places of a clash

    def claim(index: int, where: str, clash: str) -> None:
        if index in decided:
            raise ItemMapError(f"{where}: ImageNet class {index} is {clash} ({decided[index]})")
        decided[index] = where

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
        _check_class(where, c.index, c.imagenet, labels)
        claim(c.index, where, "mapped twice")
        if c.category is not None and c.category not in categories:
            raise ItemMapError(f"{where}: unknown category {c.category!r}")
        if not (c.de and c.en and c.abc):
            raise ItemMapError(f"{where}: empty name or Abfall-ABC key")
        classes.append(c)
    groups = tuple(dict.fromkeys(c.abc for c in classes))
    for abc in groups:
        cats = {c.category for c in classes if c.abc == abc}
        if len(cats) > 1:
            raise ItemMapError(f"Abfall-ABC item {abc}: its classes name different categories {sorted(map(str, cats))}")
    group_of = np.full(len(labels), -1, dtype=np.int64)
    for c in classes:
        group_of[c.index] = groups.index(c.abc)

    category_keys = tuple(categories)
    category_of = np.full(len(labels), -1, dtype=np.int64)
    for c in classes:
        if c.category is not None:
            category_of[c.index] = category_keys.index(c.category)
    for raw in data.get("category_only") or []:
        where = f"category-only entry {raw}"
        if not isinstance(raw, dict) or set(raw) != {"in", "imagenet", "category"}:
            raise ItemMapError(f"{where}: needs exactly the fields in, imagenet, category")
        index = _check_class(where, raw["in"], raw["imagenet"], labels)
        claim(index, where, "decided twice")
        if raw["category"] not in categories:
            raise ItemMapError(f"{where}: unknown category {raw['category']!r}")
        category_of[index] = category_keys.index(raw["category"])
    unmapped = parse_unmapped(data, labels)
    for index in unmapped:
        claim(index, f"unmapped group {unmapped[index]!r}", "both mapped and left out")
    if complete:
        missing = [f"{i} {labels[i]}" for i in range(len(labels)) if i not in decided]
        if missing:
            raise ItemMapError(
                f"{len(missing)} ImageNet classes are not decided (map them, or leave them out with a reason): "
                + ", ".join(missing[:10])
            )
    return ItemMap(
        categories=categories,
        category_abc=category_abc,
        category_offers=category_offers,
        classes=tuple(classes),
        groups=groups,
        group_of=group_of,
        class_at={c.index: c for c in classes},
        category_keys=category_keys,
        category_of=category_of,
        unmapped=unmapped,
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


@dataclass(frozen=True)
class CategoryGuess:
    key: str
    probability: float  # summed over every class of the category (its items' and the category-only ones)

    def name(self, lang: str, imap: ItemMap | None = None) -> str:
        return (imap or item_map()).category_name(self.key, lang)

    def abc(self, imap: ItemMap | None = None) -> str | None:
        return (imap or item_map()).category_abc.get(self.key)


@dataclass(frozen=True)
class Recognition:
    """What the item head says, at the level that is sure.

    `item` is the Abfall-ABC item when its summed probability reached the item threshold; `category`
    is that item's category then, or, without a sure item, the category whose sum reached the
    category threshold. At least one of them is set.
    """

    item: ItemGuess | None
    category: CategoryGuess | None


def with_temperature(item_probs: np.ndarray, temperature: float) -> np.ndarray:
    """Softmax probabilities as if the logits had been divided by `temperature` (1: unchanged)."""
    if temperature == 1.0:
        return item_probs
    # log p equals the logits up to a constant per row, which the softmax removes again
    z = np.log(np.maximum(item_probs.astype(np.float64), 1e-30)) / temperature
    z -= z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=-1, keepdims=True), dtype=np.float32)


def _summed(item_probs: np.ndarray, member_of: np.ndarray, n: int) -> np.ndarray:
    """(..., n) probabilities summed over the item-head outputs of each of n groups (-1: in none)."""
    onehot = np.zeros((len(member_of), n), dtype=np.float32)
    mapped = np.flatnonzero(member_of >= 0)
    onehot[mapped, member_of[mapped]] = 1
    return np.asarray(item_probs @ onehot)


def group_sums(item_probs: np.ndarray, imap: ItemMap | None = None) -> np.ndarray:
    """(..., Abfall-ABC items) summed probabilities."""
    imap = imap or item_map()
    return _summed(item_probs, imap.group_of, len(imap.groups))


def category_sums(item_probs: np.ndarray, imap: ItemMap | None = None) -> np.ndarray:
    """(..., categories) summed probabilities."""
    imap = imap or item_map()
    return _summed(item_probs, imap.category_of, len(imap.category_keys))


def item_sums(item_probs: np.ndarray, floor: float = 0.01, imap: ItemMap | None = None) -> dict[str, float]:
    """One photo's summed probability per Abfall-ABC item, those of at least `floor`."""
    imap = imap or item_map()
    sums = group_sums(np.asarray(item_probs, dtype=np.float32), imap)
    return {imap.groups[i]: round(float(s), 4) for i, s in enumerate(sums) if s >= floor}


def recognise_item(
    item_probs: np.ndarray, threshold: float = DEFAULT_ITEM_THRESHOLD, imap: ItemMap | None = None
) -> ItemGuess | None:
    """The household item in one photo's item-head probabilities, or None when no group is likely enough."""
    imap = imap or item_map()
    sums = group_sums(item_probs, imap)
    best = int(sums.argmax())
    if sums[best] < threshold:
        return None
    members = np.flatnonzero(imap.group_of == best)
    top = int(members[item_probs[members].argmax()])
    return ItemGuess(item=imap.class_at[top], probability=round(float(sums[best]), 4))


@dataclass(frozen=True)
class ItemThresholds:
    item: float = DEFAULT_ITEM_THRESHOLD
    category: float = DEFAULT_CATEGORY_THRESHOLD


DEFAULT_THRESHOLDS = ItemThresholds()


def recognise(
    item_probs: np.ndarray,
    thresholds: ItemThresholds = DEFAULT_THRESHOLDS,
    temperature: float = 1.0,
    imap: ItemMap | None = None,
) -> Recognition | None:
    """The item when it is sure, else the category when that is sure, else None (one photo).

    The temperature applies to the category sums only: the item level's thresholds (shown at 0.5,
    decisive at 0.8, where an item may turn an answer into a question) were chosen on the head's own
    probabilities, and a calibration fitted for the category decision must not change them.
    """
    imap = imap or item_map()
    raw = np.asarray(item_probs, dtype=np.float32)
    cats = category_sums(with_temperature(raw, temperature), imap)
    item = recognise_item(raw, thresholds.item, imap)
    if item is not None:
        key = item.item.category
        category = None if key is None else CategoryGuess(key, round(float(cats[imap.category_keys.index(key)]), 4))
        return Recognition(item=item, category=category)
    best = int(cats.argmax())
    if cats[best] < thresholds.category:
        return None
    return Recognition(item=None, category=CategoryGuess(imap.category_keys[best], round(float(cats[best]), 4)))

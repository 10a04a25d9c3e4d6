"""Abfall-ABC search that forgives case, umlauts written as ue/oe/ae, typos, synonyms and English."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from zerowaste.service.db.models import AbcItem

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def normalise(text: str) -> str:
    text = text.casefold().translate(_FOLD)
    # Any other accent (é, ñ) compares without it.
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(text.split())


@dataclass
class Hit:
    item: AbcItem
    score: float
    matched: str


def search_items(items: list[AbcItem], query: str, limit: int = 10, min_score: float = 70.0) -> list[Hit]:
    q = normalise(query)
    if not q:
        return []
    names: list[str] = []
    owners: list[int] = []
    for i, item in enumerate(items):
        for name in (item.name_de, item.name_en, *item.synonyms):
            names.append(name)
            owners.append(i)
    choices = [normalise(n) for n in names]
    best: dict[int, Hit] = {}
    for _, score, idx in process.extract(q, choices, scorer=fuzz.WRatio, limit=limit * 5, score_cutoff=min_score):
        # An exact or prefix match beats a fuzzy one of the same WRatio.
        bonus = 10.0 if choices[idx] == q else (5.0 if choices[idx].startswith(q) else 0.0)
        owner = owners[idx]
        hit = Hit(items[owner], float(score) + bonus, names[idx])
        if owner not in best or hit.score > best[owner].score:
            best[owner] = hit
    return sorted(best.values(), key=lambda h: (-h.score, h.item.name_de))[:limit]

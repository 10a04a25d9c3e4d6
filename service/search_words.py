"""How one typed word compares with one word of a name: the spelling both are compared in (case,
umlauts, accents, hyphens), plural and case endings, typos and the parts of German compound words.

`service/search.py` puts these together into answers for a whole query.
"""

from __future__ import annotations

import os
import re
import unicodedata
from functools import lru_cache

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
# People type Kühlschrank as kuehlschrank, kuhlschrank or kühlschrank: all compare as "kuhlschrank".
# After a vowel (or q) "ue" is no umlaut: Sauer, Feuer, neue, Barbecue keep it, so that "staubsauer"
# stays a typo of Staubsauger and does not become "staubsaur", which ends like Säure.
_SKELETON = re.compile(r"(?<![aeiouq])([aou])e")
_ENDINGS = ("innen", "en", "er", "es", "n", "e", "s")  # plural and case endings, longest first
MIN_PART = 4  # the shortest name that may stand inside a compound word
HEAD = 5  # the shortest head two compounds must share (-flasche, -karton, -dose)
TYPO_LEN = 6  # the shortest word in which one slipped letter is taken for a typo


# Hyphens and dashes of every width are typed for the one in E-Schrott.
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"), "-")


def normalise(text: str) -> str:
    # Compatibility forms first (bold or full-width letters, ligatures), while umlauts are still whole;
    # then away with invisible format characters (soft hyphen, zero-width space) that split a word.
    text = unicodedata.normalize("NFKC", text).translate(_DASHES)
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    text = text.casefold().translate(_FOLD)
    # Any other accent (é, ñ) compares without it.
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(text.split())


@lru_cache(maxsize=16384)  # every name is folded again on every query otherwise
def skeleton(text: str) -> str:
    """Letters and digits only, umlauts in one spelling: the form names and queries are compared in."""
    text = _SKELETON.sub(r"\1", normalise(text))
    # E-Schrott, e-waste, T-Shirt: one word, however the hyphen is typed, and without it ("e zigarette")
    text = re.sub(r"(?<=\w)-(?=\w)", "", text)
    return " ".join(re.findall(r"[a-z0-9]+", re.sub(r"\b([b-hj-z]) (?=[a-z])", r"\1", text)))


@lru_cache(maxsize=16384)
def stem(word: str) -> str:
    """The word without a plural or case ending (Batterien -> batteri, Kartons -> karton, toys -> toy)."""
    for ending in _ENDINGS:
        if len(word) - len(ending) >= 3 and word.endswith(ending):
            return word[: -len(ending)]
    return word


def forms(word: str) -> set[str]:
    return {word, stem(word)}


@lru_cache(maxsize=16384)
def heads(name: str) -> frozenset[str]:
    """What a compound ending in `name` may end with: the name, or, for a name with an ending, its stem
    with any ending (a Bierdose ends in the singular of Dosen; a Schal has no ending, so Schalen are no
    scarves), at least MIN_PART letters long (so that Altenheim holds no Eimer)."""
    if len(name) < MIN_PART:
        return frozenset()
    base = stem(name)
    endings = ("", *_ENDINGS) if base != name else ("",)
    return frozenset(h for h in (name, *(base + e for e in endings)) if len(h) >= MIN_PART)


def one_slip(w: str, n: str) -> bool:
    """One letter wrong, missing, extra or swapped with its neighbour ("laptob", "kable") in a word long
    enough that this rarely makes another word; the first letter is rarely the one mistyped."""
    return min(len(w), len(n)) >= TYPO_LEN and w[0] == n[0] and OSA.distance(w, n, score_cutoff=1) <= 1


@lru_cache(maxsize=65536)  # the search asks twice per name part
def word_match(word: str, name: str) -> tuple[float, str]:
    """How well one query word names one word of a name (0 when not at all), and how: "same", "typo",
    "end" (the name is the compound's head), "start" (its first part), "tail" (a shared head) or
    "both" (a shared head and a shared first part: Babybreigläschen, Babygläschen)."""
    if word == name:
        return 100.0, "same"
    if forms(word) & forms(name):  # Kartons / Karton, Batterien / Batterie
        return 97.0, "same"
    w, n = stem(word), stem(name)
    typo = 0.0
    if min(len(w), len(n)) >= MIN_PART:
        ratio = fuzz.ratio(w, n)
        typo = ratio - 3.0 if ratio >= 85 else 82.0 if one_slip(w, n) or one_slip(word, name) else 0.0
    # a compound: the name at the word's end (its head: a Farbeimer is an Eimer, Werbeprospekte are
    # Prospekte) or its start. Rigipsplatten end in Gipsplatten, which is more than a typo of them.
    for head in sorted(heads(name), key=len, reverse=True):
        if len(word) > len(head) and word.endswith(head):
            end = 85.0 + 10.0 * len(head) / len(word)
            return (end, "end") if end > typo else (typo, "typo")
    if typo:
        return typo, "typo"
    if min(len(w), len(n)) >= MIN_PART:
        for form in sorted(forms(name), key=len, reverse=True):
            if len(form) >= MIN_PART and len(word) > len(form) and word.startswith(form):
                return 82.0 + 10.0 * len(form) / len(word), "start"
        # two compounds with the same head (Duschgelflasche, Plastikflasche): the weakest kind of match
        head = common_suffix(word, name)
        if len(head) >= HEAD and len(head) < min(len(word), len(name)):
            start = os.path.commonprefix([word, name])
            if len(start) >= MIN_PART and len(start) + len(head) <= min(len(word), len(name)):
                return 85.0 + 10.0 * (len(start) + len(head)) / len(word), "both"
            return 80.0 + 5.0 * len(head) / len(word), "tail"
    return 0.0, ""


def word_score(word: str, name: str) -> float:
    return word_match(word, name)[0]


def common_suffix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return a[len(a) - n :]

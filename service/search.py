"""Abfall-ABC search that forgives case, umlauts, typos, plurals, compounds, synonyms and English.

Targets are the Abfall-ABC entries and the streams themselves ("Sperrmüll", "Gelber Sack", "Altglas"),
each under every name and synonym. A query is compared as a whole and word by word:

- the whole query against a name: equal, or the same after a plural ending, or a typo away
  (`fuzz.ratio`) — "Kühlshrank", "Batterien", "sperrmuell";
- each word against a name: the same, a typo away, or a German compound containing it at its end
  ("Farbeimer" is an Eimer, "Elektroschrott" a Schrott) or its start ("Farbreste" are Farben),
  where the part is at least four letters long;
- a target named by more of the query's words ranks higher ("Farbeimer mit Farbresten": Farben twice).

Small words ("mit", "alte", "kaputt", "where", "old") say nothing about the thing and are dropped.
German and English name the thing last ("Grill Asche" is ash, "phone charger" a charger) unless a
preposition follows it ("Eimer mit Farbresten" is a bucket): a target naming that head word wins a tie.
A compound typed as two words ("Grill Asche") is the compound, and so is "Deckel vom Joghurt". A hit
that leaves a query word unexplained is most likely noise and scores below the floor, unless it names
a whole name word for word ("verschimmeltes Brot"): "happy birthday" names half of "birthday card",
"pizza bestellen" names Teller only inside another word. A hit below the relevance floor is not shown, so "a" or
"Wetter morgen" finds nothing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from zerowaste.service.db.models import AbcItem, Stream
from zerowaste.service.search_words import (
    HEAD,
    MIN_PART,
    TYPO_LEN,
    forms,
    heads,
    skeleton,
    stem,
    word_match,
    word_score,
)


def _words(text: str) -> frozenset[str]:
    # in the spelling queries are compared in ("für" is "fur" there, not "fuer")
    return frozenset(skeleton(w) for w in text.split())


# Words that say nothing about the thing: articles, pronouns, "old", "broken", and how people ask.
STOPWORDS = _words(
    """
    a alt alte alten alter altem altes am an auf aus bei das defekt defekte defekten dem den der des die ein
    eine einem einen einer entsorgen entsorgung für gebraucht gebrauchte gebrauchter hin ich im in ist kaputt
    kaputte kaputten kaputter kaputtes kann mein meine mit muss nach oder so von vom was weg wegwerfen wie
    wo wohin zu zum zur und
    mache machen macht tue tun gehört gehören darf dürfen soll sollen sollte kommt kommen werfe werfen
    entsorge entsorgt schmeiße schmeissen wegschmeißen richtig richtige richtigen man
    an and broken bin do dispose for get how i in into is it my of old on put rid the throw to used what
    where which with does goes should recycle away
    """
)
# Words after which the head of a noun phrase has been named ("Eimer mit Farbresten", "box of matches").
PREPOSITIONS = _words("aus für im in mit ohne von vom zum zur for from in into of on with without")
# "X vom Y" names what German writes as the compound YX
OF = _words("von vom")
# Heads that name an amount of something, not a thing: in "paint leftovers" the thing is paint.
LIGHT_HEADS = _words(
    "rest reste resten stück stücke teil teile leftover leftovers remains residue piece pieces part parts"
)
MIN_SCORE = 80.0  # the relevance floor: below it a hit is noise (Mütze for Kühlschrank)
MODIFIER_PENALTY = 10.0  # a hit for the words after a preposition only
HEAD_BONUS = 3.0  # decides between equally good hits for different words of the query
NOISE_PENALTY = 15.0  # an unexplained query word and a half-named name: "ok google" is not Google Home


@dataclass
class Target:
    """Something a search can answer with: an Abfall-ABC entry or a stream."""

    kind: str  # "item" or "stream"
    key: str
    names: list[str]  # as written, for `matched`
    keys: list[str]  # skeletons of the names
    item: AbcItem | None = None
    stream: Stream | None = None


@dataclass
class Hit:
    target: Target
    score: float
    matched: str


def targets(items: Sequence[AbcItem], streams: Sequence[Stream]) -> list[Target]:
    out = []
    for s in streams:
        names = _with_bare([s.name.get("de", ""), s.name.get("en", ""), *(s.synonyms or [])])
        out.append(Target("stream", s.key, names, [skeleton(n) for n in names], stream=s))
    for a in items:
        names = _with_bare([a.name_de, a.name_en, *a.synonyms])
        out.append(Target("item", a.key, names, [skeleton(n) for n in names], item=a))
    return out


_QUALIFIER = re.compile(r"\s*\([^)]*\)")


def _with_bare(names: list[str]) -> list[str]:
    """The names, and each qualified one once more without its qualifier: "Spraydose (leer)" is also
    named by "Spraydose" alone, which would otherwise count as naming only half of it."""
    bare = [b for n in names if (b := _QUALIFIER.sub("", n).strip()) and b != n]
    return names + [b for b in dict.fromkeys(bare) if b not in names]


@dataclass(frozen=True)
class Query:
    """A query's content words, the phrase they form and which of them is the head (the thing named)."""

    words: list[str]
    phrase: str
    head: int
    compound: str | None = None  # "Deckel vom Joghurt" is a Joghurtdeckel
    named: int = 0  # how many words name the thing; those after a preposition only describe it

    @classmethod
    def parse(cls, query: str) -> Query | None:
        raw = skeleton(query).split()
        # "can I recycle …", "where can I …" ask; in "food can" the can is the thing
        raw = [w for i, w in enumerate(raw) if not (w == "can" and raw[i + 1 : i + 2] in (["i"], ["you"], ["we"]))]
        words = [w for w in raw if w not in STOPWORDS and len(w) >= 2]
        if not words:
            return None
        # the head is the last content word before the first preposition that follows one
        before = 0
        for w in raw:
            if w in PREPOSITIONS and before:
                break
            before += w not in STOPWORDS and len(w) >= 2
        head = (before or len(words)) - 1
        if head > 0 and words[head] in LIGHT_HEADS:
            head -= 1
        compound = None
        if len(words) == 2 and before == 1 and any(w in OF for w in raw):
            compound = words[1] + words[0]
        return cls(words, " ".join(words), head, compound, before or len(words))


@dataclass
class _NameScore:
    score: float
    covered: set[int]  # the query words the name accounts for
    whole: bool = False  # all of the name is named
    starts: frozenset[int] = frozenset()  # query words whose first part the name is
    ends: frozenset[int] = frozenset()  # query words whose head the name is
    same: frozenset[int] = frozenset()  # query words the name is, or a typo of
    exact: frozenset[int] = frozenset()  # query words the name is (a form of), no typo


def _score(query: Query, key: str) -> _NameScore:
    """How well one name answers the query."""
    words, phrase = query.words, query.phrase
    if not key:
        return _NameScore(0.0, set())
    if phrase == key or key == query.compound:
        every = frozenset(range(len(words)))
        return _NameScore(110.0, set(every), True, same=every, exact=every)
    parts = _name_parts(key)
    # each query word against the name's best-fitting word; a name only partly named scores less
    matches = [max(word_match(w, p) for p in parts) for w in words]
    per_word = [m[0] for m in matches]
    named = sum(any(word_score(w, p) > 0 for w in words) for p in parts)
    best = max(per_word) - 6.0 * min(2, len(parts) - named)
    covered = {i for i, s in enumerate(per_word) if s > 0}
    starts = frozenset(i for i, m in enumerate(matches) if m[1] == "start")
    ends = frozenset(i for i, m in enumerate(matches) if m[1] in ("end", "tail"))
    same = frozenset(i for i, m in enumerate(matches) if m[1] in ("same", "typo"))
    exact = frozenset(i for i, m in enumerate(matches) if m[1] == "same")
    if len(parts) > 1 and len(phrase) >= MIN_PART:
        ratio = fuzz.token_set_ratio(phrase, key)
        best = max(best, ratio - 2.0 if ratio >= 88 else 0.0)
    elif len(key) >= MIN_PART:  # the whole query against a one-word name: "kuhl schrank"
        joined = phrase.replace(" ", "")
        if len(words) > 1 and joined == key:  # a compound typed in parts: "grill asche"
            every = frozenset(range(len(words)))
            return _NameScore(108.0, set(every), True, same=every, exact=every)
        whole = fuzz.ratio(joined, key)
        if whole >= 85:
            best, covered = max(best, whole - 3.0), set(range(len(words)))
    return _NameScore(best, covered, named == len(parts), starts, ends, same, exact)


def _name_parts(key: str) -> list[str]:
    return [p for p in key.split() if p not in STOPWORDS] or key.split()


@dataclass(frozen=True)
class _Name:
    target: int
    name: str
    key: str


class SearchIndex:
    """The targets' names, indexed once per rules version so that a query scores only the names it can
    match: those sharing a word with it (equal, a typo away, a compound of it, the same head) and those
    the whole query is a typo of. A query then costs a few dictionary lookups and rapidfuzz scans over
    the distinct name words of about its words' lengths instead of scoring all ~5,000 names in Python.
    The answers are exactly
    those of scoring every name (`tests/service/test_search_index.py` holds the exhaustive scoring to
    compare against)."""

    def __init__(self, items: Sequence[AbcItem], streams: Sequence[Stream]) -> None:
        self.targets = targets(items, streams)
        self._names: list[_Name] = []
        self._by_key: dict[str, list[int]] = {}
        by_part: dict[str, set[int]] = {}
        for t, target in enumerate(self.targets):
            for name, key in zip(target.names, target.keys, strict=True):
                if not key:
                    continue
                self._by_key.setdefault(key, []).append(len(self._names))
                for part in _name_parts(key):
                    by_part.setdefault(part, set()).add(len(self._names))
                self._names.append(_Name(t, name, key))
        self._by_part = {p: sorted(ix) for p, ix in by_part.items()}
        self._multi_word = [k for k in self._by_key if len(_name_parts(k)) > 1]
        self._long = [k for k in self._by_key if len(k) >= MIN_PART]
        self._one_word_long = [k for k in self._long if len(_name_parts(k)) == 1]
        # a part under each of its forms (Batterie, batteri), its stem for typos, its last HEAD letters
        self._by_form: dict[str, set[str]] = {}
        self._by_head: dict[str, set[str]] = {}
        self._by_stem: dict[str, set[str]] = {}
        self._by_tail: dict[str, set[str]] = {}
        for part in self._by_part:
            for form in forms(part):
                self._by_form.setdefault(form, set()).add(part)
            for head in heads(part):
                self._by_head.setdefault(head, set()).add(part)
            self._by_stem.setdefault(stem(part), set()).add(part)
            if len(part) >= HEAD:
                self._by_tail.setdefault(part[-HEAD:], set()).add(part)
        # by length: a typo changes the length by little, so a word is only compared with names of about its length
        self._stems_by_len: dict[int, list[str]] = {}
        for s in self._by_stem:
            self._stems_by_len.setdefault(len(s), []).append(s)
        self._parts_by_len: dict[int, list[str]] = {}
        for p in self._by_part:
            self._parts_by_len.setdefault(len(p), []).append(p)

    def _parts_for(self, word: str) -> set[str]:
        """Every name word `word_score` may give more than 0 for `word` (a superset; scored exactly later)."""
        found = set(self._by_form.get(word, ())) | set(self._by_form.get(stem(word), ()))
        w = stem(word)
        if len(w) >= MIN_PART:
            # fuzz.ratio is at most 2·min(a, b) / (a + b): at 85 a length within 0.74 and 1.35 times
            near = _of_lengths(self._stems_by_len, math.ceil(len(w) * 0.85 / 1.15 - 1e-9), len(w) * 115 // 85)
            for s, _score, _i in process.extract(w, near, scorer=fuzz.ratio, score_cutoff=85, limit=None):
                found |= self._by_stem[s]
            # compounds: a name form at the word's start
            for n in range(MIN_PART, len(word)):
                found |= self._by_form.get(word[:n], set())
            found |= self._by_tail.get(word[-HEAD:], set())
        if len(w) >= TYPO_LEN:
            near = _of_lengths(self._stems_by_len, len(w) - 1, len(w) + 1)
            for s, _d, _i in process.extract(w, near, scorer=OSA.distance, score_cutoff=1, limit=None):
                found |= self._by_stem[s]
        if len(word) >= TYPO_LEN:
            near = _of_lengths(self._parts_by_len, len(word) - 1, len(word) + 1)
            for p, _d, _i in process.extract(word, near, scorer=OSA.distance, score_cutoff=1, limit=None):
                found.add(p)
        # compounds: a name at the word's end
        for n in range(MIN_PART, len(word)):
            found |= self._by_head.get(word[-n:], set())
        return found

    def search(self, query: str, limit: int = 10, min_score: float = MIN_SCORE) -> list[Hit]:
        parsed = Query.parse(query)
        if parsed is None:
            return []
        words, phrase = parsed.words, parsed.phrase
        keys = set(self._by_key.get(phrase, ())) | set(self._by_key.get(parsed.compound or "", ()))
        for word in set(words):
            for part in self._parts_for(word):
                if word_score(word, part) > 0:
                    keys.update(self._by_part[part])
        # names the whole query is a typo or a reordering of
        if len(phrase) >= MIN_PART:
            multi = process.extract(phrase, self._multi_word, scorer=fuzz.token_set_ratio, score_cutoff=88, limit=None)
            whole = process.extract(
                phrase.replace(" ", ""), self._one_word_long, scorer=fuzz.ratio, score_cutoff=85, limit=None
            )
        else:
            multi = []
            whole = process.extract(phrase.replace(" ", ""), self._long, scorer=fuzz.ratio, score_cutoff=85, limit=None)
        for key, _score, _i in (*multi, *whole):
            keys.update(self._by_key[key])
        return _rank(self.targets, [self._names[i] for i in sorted(keys)], parsed, limit, min_score)


def _of_lengths(by_len: dict[int, list[str]], low: int, high: int) -> list[str]:
    return [s for n in range(low, high + 1) for s in by_len.get(n, ())]


def _rank(all_targets: list[Target], names: Sequence[_Name], query: Query, limit: int, min_score: float) -> list[Hit]:
    """The hits among `names`: each target by its best name, raised for naming more of the query's words."""
    best: dict[int, tuple[float, str, bool]] = {}
    covered: dict[int, set[int]] = {}
    starts: dict[int, set[int]] = {}
    ends: dict[int, set[int]] = {}
    same: dict[int, set[int]] = {}
    exact: dict[int, set[int]] = {}
    for n in names:
        m = _score(query, n.key)
        covered.setdefault(n.target, set()).update(m.covered)
        starts.setdefault(n.target, set()).update(m.starts)
        ends.setdefault(n.target, set()).update(m.ends)
        same.setdefault(n.target, set()).update(m.same)
        exact.setdefault(n.target, set()).update(m.exact)
        if m.score > best.get(n.target, (0.0, "", False))[0]:
            best[n.target] = (m.score, n.name, m.whole)
    hits = []
    for t, (score, matched, whole) in best.items():
        # a target whose names account for more of the query's words, or for both parts of a compound
        # (Gemüse and Schalen in "Gemüseschalen", where no name is the whole word), is the better answer
        score += 6.0 * max(0, len(covered[t]) - 1) + 3.0 * len((starts[t] & ends[t]) - same[t])
        # a query word left unexplained means noise unless a whole name is named word for word
        # ("verschimmeltes Brot"), not as part of another word ("pizza bestellen" is no Teller) nor
        # through a typo ("Kita Platz Wuppertal" is no plate)
        if not covered[t].issuperset(range(query.named)) and not (whole and exact[t]):
            score -= NOISE_PENALTY
        elif len(query.words) > 1 and query.head in covered[t]:
            score += HEAD_BONUS
        if covered[t].isdisjoint(range(query.named)):
            # it names only what the thing came from: "Fett aus der Pfanne" is no pan
            score -= MODIFIER_PENALTY
        if score >= min_score:
            hits.append(Hit(all_targets[t], score, matched))
    # On a tie the stream goes first: a query naming a stream ("Altglas") asks where that stream goes;
    # then an entry named by its own name before one that lists it among its synonyms ("Rucksack" is the
    # Rucksack entry, and only a synonym of Handtasche).
    hits.sort(key=lambda h: (-h.score, h.target.kind != "stream", h.matched not in h.target.names[:2], h.target.key))
    return hits[:limit]

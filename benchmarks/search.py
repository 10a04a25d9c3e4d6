"""The Abfall-ABC search on queries as people type them: top-1 and top-3, per kind of query, and speed.

    python benchmarks/search.py [--municipality wuppertal]

Reads `datasets/search/<municipality>-dev.jsonl` (the queries the search was tuned on) and
`<municipality>-heldout.jsonl` (written in the same pass, never looked at while tuning): each query with
the answers that are right as the first result (an Abfall-ABC key or `stream:<key>`; none for noise,
where a right answer shows nothing) and the reason. Runs the service's search (service/search.py) on
the municipality's rules in an in-memory database, as the service loads them, and prints per file and
kind of query: queries, top-1, top-3; then the wrong first answers of the dev file, and the time per
query. The baseline is the search before streams, compounds and the relevance floor (WRatio over
names and synonyms, floor 70), measured on the same queries in the same run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

from rapidfuzz import fuzz, process

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, rules_session  # noqa: E402

QUERIES = Path(__file__).resolve().parents[1] / "datasets" / "search"


def read_queries(path: Path) -> list[dict]:
    """One query a line; a line starting with `#` says who wrote the file, when and how."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip() and not line.startswith("#")]


def answers_of(hits: list) -> list[str]:
    return [f"stream:{h.target.key}" if h.target.kind == "stream" else h.target.key for h in hits]


def baseline(items: list, query: str, limit: int = 3) -> list[str]:
    """The search as it was: WRatio over every name and synonym, floor 70, items only."""
    from zerowaste.service.search_words import normalise

    names, owners = [], []
    for item in items:
        for name in (item.name_de, item.name_en, *item.synonyms):
            names.append(normalise(name))
            owners.append(item.key)
    q = normalise(query)
    best: dict[str, float] = {}
    for _, score, idx in process.extract(q, names, scorer=fuzz.WRatio, limit=limit * 5, score_cutoff=70):
        bonus = 10.0 if names[idx] == q else (5.0 if names[idx].startswith(q) else 0.0)
        best[owners[idx]] = max(best.get(owners[idx], 0.0), score + bonus)
    return [k for k, _ in sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))][:limit]


def right(expect: list[str], got: list[str], k: int) -> bool:
    if not expect:  # noise: right when nothing is shown
        return not got
    return bool(set(expect) & set(got[:k]))


def right_bin(expect: list[str], got: list[str], bin_of: dict[str, str]) -> bool:
    """The first answer sends the thing to a bin an expected answer names (entries added after the
    queries were written, such as Eierkocher for "eierkocher", count when their bin is the expected one)."""
    if not expect:
        return not got
    return bool(got) and bin_of.get(got[0]) in {bin_of.get(e) for e in expect}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--municipality", default="wuppertal")
    args = parser.parse_args()

    from sqlalchemy import select

    from zerowaste.service.db.models import AbcItem, Stream
    from zerowaste.service.search import SearchIndex

    session = rules_session(args.municipality)
    items = list(session.scalars(select(AbcItem)))  # type: ignore[attr-defined]
    streams = list(session.scalars(select(Stream)))  # type: ignore[attr-defined]
    print(f"machine: {machine()}")
    t0 = time.perf_counter()
    index = SearchIndex(items, streams)  # the service builds it once per rules revision
    built_ms = 1000 * (time.perf_counter() - t0)
    print(f"Abfall-ABC of {args.municipality}: {len(items)} entries, {len(streams)} streams\n")

    times: list[float] = []
    misses: list[str] = []
    bin_of = {a.key: a.stream_key for a in items} | {f"stream:{s.key}": s.key for s in streams}
    print("| queries | kind | n | top-1 | top-3 | right bin first | baseline top-1 | baseline top-3 |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    paths = sorted(QUERIES.glob(f"{args.municipality}-dev*.jsonl")) + sorted(
        QUERIES.glob(f"{args.municipality}-heldout*.jsonl")
    )
    if not paths:
        print(f"| (no query files for {args.municipality} in {QUERIES}) | | | | | | | |")
    for path in paths:
        part = path.stem.removeprefix(f"{args.municipality}-")
        rows = read_queries(path)
        scores: dict[str, list[tuple[bool, bool, bool, bool, bool]]] = defaultdict(list)
        for r in rows:
            t0 = time.perf_counter()
            got = answers_of(index.search(r["q"], limit=3))
            times.append(time.perf_counter() - t0)
            old = baseline(items, r["q"])
            result = (right(r["expect"], got, 1), right(r["expect"], got, 3), right_bin(r["expect"], got, bin_of))
            result_old = (right(r["expect"], old, 1), right(r["expect"], old, 3))
            scores[r["kind"]].append((*result, *result_old))
            scores["all"].append((*result, *result_old))
            if part.startswith("dev") and not result[0]:
                misses.append(f"- {part} `{r['q']}`: expected {r['expect']}, got {got[:2]}")
        for kind in sorted(scores, key=lambda k: (k == "all", k)):
            s = scores[kind]
            cells = " | ".join(f"{100 * sum(x[i] for x in s) / len(s):.1f} %" for i in range(5))
            label = f"**{kind}**" if kind == "all" else kind
            print(f"| {part} | {label} | {len(s)} | {cells} |")
    if times:
        ms = sorted(1000 * t for t in times)
        print(
            f"\ntime per query: p50 {statistics.median(ms):.2f} ms, p95 {ms[int(0.95 * (len(ms) - 1))]:.2f} ms "
            f"(index built once in {built_ms:.0f} ms)"
        )
    if misses:
        print(f"\nWrong first answers on the dev queries ({len(misses)}):\n")
        print("\n".join(misses))


if __name__ == "__main__":
    main()

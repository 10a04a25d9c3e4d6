"""`zerowaste labels ...`: the staff labelling queue from the command line, on the service's database.

    zerowaste labels import FOLDER --queue NAME [--label-set classifier|contamination] [--model FILE]
    zerowaste labels report --queue NAME [--json]
    zerowaste labels export --queue NAME --out datasets/labels/NAME.jsonl --version V [--meta key=value ...]
    zerowaste labels vote --queue NAME --labeller NAME --pass N --file votes.jsonl

Labelling itself happens on the staff page (/staff, tab "Labeln / Labelling"); `vote` enters labels
decided elsewhere (on paper, on contact sheets) under the same rules the page obeys.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

# The command functions import the service lazily, as zerowaste/cli.py does: the edge installs no service.


def _import(args: argparse.Namespace) -> int:
    from zerowaste.cli_common import database
    from zerowaste.model.runtime import OnnxClassifier, shipped_model_path
    from zerowaste.service.labelling import LabellingError, import_folder
    from zerowaste.service.photos import PhotoStore

    try:
        classifier = OnnxClassifier(args.model or shipped_model_path("int8"), args.threads)
    except (OSError, ValueError) as exc:
        print(f"error: cannot load the model: {exc}", file=sys.stderr)
        return 2
    with database() as (settings, session):
        try:
            result = import_folder(
                session,
                PhotoStore(settings.photo_dir),
                classifier,
                args.folder,
                args.queue,
                batch_size=args.batch_size,
                label_set=args.label_set,
            )
        except LabellingError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    for p in result.problems:
        print(f"  skipped {p.path}: {p.reason}", file=sys.stderr)
    print(
        f"{result.queue}: {result.added} photos added, {result.already} already in the queue, "
        f"{result.duplicates} the same file as another, {len(result.problems)} unreadable "
        f"(of {result.files} files); priorities from model {result.model_sha256[:12]}; "
        f"labelled with the {result.label_set} label set"
    )
    return 0


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f} %"


def _report(args: argparse.Namespace) -> int:
    from zerowaste.cli_common import database
    from zerowaste.service.labelling import LabellingError, report

    with database() as (_settings, session):
        try:
            r = report(session, args.queue)
        except LabellingError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    p = r.progress
    if args.json:
        print(
            json.dumps(
                {
                    "queue": p.queue,
                    "label_set": r.label_set.name,
                    "progress": {
                        "total": p.total,
                        "pass1_done": p.pass1,
                        "pass2_done": p.pass2,
                        "agreed": p.agreed,
                        "disagreements_open": p.open,
                        "resolved": p.resolved,
                        "labelled": p.labelled,
                    },
                    "compared": r.compared,
                    "agreement": r.agreement,
                    "kappa": r.kappa,
                    "confusion": [{"pass1": a, "pass2": b, "photos": n} for (a, b), n in r.confusion.items()],
                    "final_counts": r.final_counts,
                    "labellers": {name: {f"pass{k}": v for k, v in n.items()} for name, n in r.labellers.items()},
                },
                indent=2,
            )
        )
        return 0
    print(f"queue {p.queue}: {p.total} photos, labelled with the {r.label_set.name} label set")
    print(f"  pass 1 done   {p.pass1:6d}")
    print(f"  pass 2 done   {p.pass2:6d}")
    print(f"  agreed        {p.agreed:6d}")
    print(f"  open          {p.open:6d}  (passes disagree, not resolved yet)")
    print(f"  resolved      {p.resolved:6d}")
    print(f"  labelled      {p.labelled:6d}  (agreed + resolved: what an export holds)")
    kappa = "-" if r.kappa is None else f"{r.kappa:.3f}"
    print(f"agreement of passes 1 and 2 on {r.compared} photos: {_pct(r.agreement)}, Cohen's kappa {kappa}")
    disagreements = sorted(((n, a, b) for (a, b), n in r.confusion.items() if a != b), key=lambda t: (-t[0], t[1:]))
    if disagreements:
        print("disagreements (pass 1 -> pass 2: photos):")
        for n, a, b in disagreements:
            print(f"  {a:>12} -> {b:<12} {n:5d}")
    if r.final_counts:
        print("final labels: " + ", ".join(f"{k} {v}" for k, v in r.final_counts.items()))
    if r.labellers:
        print(
            "votes: "
            + "; ".join(
                f"{name} " + ", ".join(f"pass {k}: {v}" for k, v in sorted(n.items()))
                for name, n in r.labellers.items()
            )
        )
    return 0


def _export(args: argparse.Namespace) -> int:
    from zerowaste.cli_common import database
    from zerowaste.service.labelling import LabellingError, export_labels, parse_meta

    out = args.out or Path("datasets/labels") / f"{args.queue}.jsonl"
    with database() as (_settings, session):
        try:
            written = export_labels(session, args.queue, out, version=args.version, meta=parse_meta(args.meta))
        except LabellingError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    counts = ", ".join(f"{k} {v}" for k, v in written.counts().items()) or "none"
    print(f"{out}: {len(written.labels)} photos, version {written.version} ({counts})")
    return 0


def _read_ballots(path: Path, allowed: tuple[str, ...]) -> tuple[list[tuple[int, str, str]], list[str]]:
    """(line number, sha256, label) per line of a votes file, and what is wrong with the file (a label
    not among `allowed`, the queue's label set's)."""
    rows: list[tuple[int, str, str]] = []
    errors: list[str] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw: Any = json.loads(line)
            sha, label = str(raw["sha256"]).lower(), str(raw["label"])
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            errors.append(f'{path}:{n}: not {{"sha256": ..., "label": ...}} ({type(exc).__name__}: {exc})')
            continue
        if label not in allowed:
            errors.append(f"{path}:{n}: unknown label {label!r}; allowed: {', '.join(allowed)}")
            continue
        rows.append((n, sha, label))
    return rows, errors


def _vote(args: argparse.Namespace) -> int:
    from zerowaste.cli_common import database
    from zerowaste.service.labelling import Ballot, LabellingError, photo_ids, queue_label_set, submit_votes

    with database() as (_settings, session):
        rows, errors = _read_ballots(args.file, queue_label_set(session, args.queue).allowed)
        if errors:
            # A file with mistakes is refused whole, before any vote is saved, so that fixing it and running
            # it again is all it takes.
            for e in errors:
                print(e, file=sys.stderr)
            print(f"nothing saved: {len(errors)} bad lines", file=sys.stderr)
            return 2
        try:
            ids = photo_ids(session, args.queue, (sha for _, sha, _ in rows))
            ballots = [(n, Ballot(ids[sha], args.pass_no, label)) for n, sha, label in rows if sha in ids]
            results = submit_votes(session, args.queue, args.labeller, [b for _, b in ballots])
        except LabellingError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    rejected = 0
    for n, sha, _label in rows:
        if sha not in ids:
            rejected += 1
            print(f"{args.file}:{n}: photo {sha[:12]}… is not in queue {args.queue!r}", file=sys.stderr)
    for (n, _), r in zip(ballots, results, strict=True):
        if r.status == "rejected":
            rejected += 1
            print(f"{args.file}:{n}: {r.detail}", file=sys.stderr)
    saved = sum(r.status == "saved" for r in results)
    unchanged = sum(r.status == "unchanged" for r in results)
    print(f"{args.labeller}, pass {args.pass_no}: {saved} saved, {unchanged} unchanged, {rejected} rejected")
    return 1 if rejected else 0


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `zerowaste labels ...` on the console script's sub-commands."""
    from zerowaste.datasets.label_sets import LABEL_SETS  # taxonomy and wire only: light enough for --help

    labels = sub.add_parser("labels", help="the staff labelling queue: import, report, export, enter votes")
    commands = labels.add_subparsers(dest="labels_command", required=True)

    imp = commands.add_parser("import", help="add a folder of unlabelled photos to a queue, ordered by the model")
    imp.add_argument("folder", type=Path, help="folder of photos (sub-folders too)")
    imp.add_argument("--queue", required=True, help="queue name, e.g. drinks (also the labels file's name)")
    imp.add_argument(
        "--label-set",
        choices=sorted(LABEL_SETS),
        default=None,
        help="what its photos are labelled with, for a new queue: classifier (waste classes) or contamination "
        "(bio-bin frames: clean or the contaminant seen); an existing queue keeps its own (default: its own, "
        "classifier for a new queue)",
    )
    imp.add_argument("--model", type=Path, default=None, help="ONNX file for the priorities (default: shipped INT8)")
    imp.add_argument("--threads", type=int, default=0, help="ONNX Runtime threads, 0 = automatic (default: 0)")
    imp.add_argument("--batch-size", type=int, default=32, help="photos scored and committed at once (default: 32)")
    imp.set_defaults(func=_import)

    rep = commands.add_parser("report", help="progress, agreement of the passes, Cohen's kappa, disagreements")
    rep.add_argument("--queue", required=True, help="queue name")
    rep.add_argument("--json", action="store_true", help="one JSON document instead of text")
    rep.set_defaults(func=_report)

    exp = commands.add_parser("export", help="write the final labels (agreed or resolved) as a labels file")
    exp.add_argument("--queue", required=True, help="queue name")
    exp.add_argument("--out", type=Path, default=None, help="labels file (default: datasets/labels/QUEUE.jsonl)")
    exp.add_argument("--version", required=True, help="the labels' version, e.g. 1 or 2026-12-01")
    exp.add_argument(
        "--meta",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="header entry, repeatable: origin, licence, credit ... (default: none)",
    )
    exp.set_defaults(func=_export)

    vote = commands.add_parser("vote", help="enter one labeller's votes from a file of {sha256, label} lines")
    vote.add_argument("--queue", required=True, help="queue name")
    vote.add_argument("--labeller", required=True, help="who decided these labels (recorded with each vote)")
    vote.add_argument(
        "--pass",
        dest="pass_no",
        type=int,
        required=True,
        choices=[1, 2, 3],
        help="1 or 2: independent labels; 3: resolves disagreements",
    )
    vote.add_argument("--file", type=Path, required=True, help='JSON lines: {"sha256": "...", "label": "metal"}')
    vote.set_defaults(func=_vote)

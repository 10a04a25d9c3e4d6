"""Labels kept as data: which photo (by sha256) is what, who decided it and when.

Photos that arrive without labels (a folder of phone photos, citizens' donations) are labelled by
people in the staff labelling queue, two independent passes per photo; the queue exports one
versioned labels file per dataset (`datasets/labels/<name>.jsonl`). The repository keeps these files,
never the photos: `zerowaste data build --source NAME=FOLDER --labels NAME=FILE` joins them again.

The file is JSON lines. The first line is the header (`{"_meta": {...}}`: name, version, what the
labels mean, the photos' origin and licence, counts); every other line is one photo:

    {"sha256": "...", "label": "metal", "status": "agreed",
     "votes": [{"by": "anna", "label": "metal", "pass": 1, "at": "2026-11-30T10:02:11Z"}, ...]}

`label` is one of the header's `label_set` (`datasets/label_sets.py`; `classifier` where the header
names none): for the classifier a taxonomy label (a class, or a group such as "glass" when the colour
could not be told) or one of `EXCLUDED` (looked at, not usable for a single-label model); `status` says
how it was reached: both passes agreed, or a resolver decided a disagreement.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zerowaste import atomic
from zerowaste.datasets.label_sets import CLASSIFIER, LabelSetSpec, UnknownLabelSet, get_label_set

FORMAT = "zerowaste-labels-v1"
# Looked at and not usable for a single-label material model: several materials in one photo, or no
# material a person can tell (a drinking glass, a drink carton the taxonomy has no class for).
EXCLUDED: tuple[str, ...] = CLASSIFIER.excluded
STATUSES = ("agreed", "resolved")


class LabelsError(ValueError):
    """A labels file that cannot be trusted: bad header, unknown label, a photo listed twice."""


def allowed_labels() -> tuple[str, ...]:
    """Every label of the classifier set: the taxonomy's classes and groups, then the exclusions."""
    return CLASSIFIER.allowed


def is_allowed(label: str) -> bool:
    return CLASSIFIER.is_allowed(label)


@dataclass(frozen=True)
class Vote:
    by: str
    label: str
    pass_: int
    at: str

    def to_dict(self) -> dict[str, Any]:
        return {"by": self.by, "label": self.label, "pass": self.pass_, "at": self.at}


@dataclass(frozen=True)
class PhotoLabel:
    sha256: str
    label: str
    status: str
    votes: tuple[Vote, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "label": self.label,
            "status": self.status,
            "votes": [v.to_dict() for v in self.votes],
        }


@dataclass
class LabelSet:
    name: str
    version: str
    meta: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, PhotoLabel] = field(default_factory=dict)  # sha256 -> label
    label_set: LabelSetSpec = CLASSIFIER

    def counts(self) -> dict[str, int]:
        return dict(sorted(Counter(p.label for p in self.labels.values()).items()))

    def usable(self) -> dict[str, str]:
        """sha256 -> label for every photo a model may train or be scored on."""
        return {sha: p.label for sha, p in self.labels.items() if self.label_set.is_usable(p.label)}


def _label_set(name: Any, where: str) -> LabelSetSpec:
    try:
        return get_label_set(str(name))
    except UnknownLabelSet as exc:
        raise LabelsError(f"{where}: {exc}") from None


def _check_photo(raw: dict[str, Any], where: str, spec: LabelSetSpec = CLASSIFIER) -> PhotoLabel:
    try:
        sha, label, status = str(raw["sha256"]), str(raw["label"]), str(raw["status"])
        votes = tuple(Vote(str(v["by"]), str(v["label"]), int(v["pass"]), str(v["at"])) for v in raw.get("votes", []))
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise LabelsError(f"{where}: malformed record ({exc!r})") from None
    if any(v.pass_ not in (1, 2, 3) for v in votes):
        raise LabelsError(f"{where}: a vote's pass must be 1, 2 or 3 (3 resolves a disagreement)")
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise LabelsError(f"{where}: sha256 {sha!r} is not 64 lower-case hex digits")
    if not spec.is_allowed(label):
        raise LabelsError(f"{where}: label {label!r} is not one of {', '.join(spec.allowed)} (label set {spec.name})")
    if status not in STATUSES:
        raise LabelsError(f"{where}: status {status!r} is not one of {', '.join(STATUSES)}")
    for v in votes:
        if not spec.is_allowed(v.label):
            raise LabelsError(f"{where}: a vote by {v.by!r} has the unknown label {v.label!r}")
    return PhotoLabel(sha, label, status, votes)


def read_labels(path: str | Path) -> LabelSet:
    """Read and validate a labels file; every mistake names its line."""
    path = Path(path)
    # Numbered as the file is, blank lines included, so that a message points at the right line.
    lines = [(n, ln) for n, ln in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if ln.strip()]
    if not lines:
        raise LabelsError(f"{path}: empty labels file")
    first, text = lines[0]
    try:
        header = json.loads(text)["_meta"]
    except (json.JSONDecodeError, KeyError, TypeError):
        header = None
    if not isinstance(header, dict):
        raise LabelsError(f'{path}:{first}: the first line must be the header {{"_meta": {{...}}}}')
    if header.get("format") != FORMAT:
        raise LabelsError(f"{path}:{first}: format {header.get('format')!r}, expected {FORMAT!r}")
    result = LabelSet(
        name=str(header.get("name", path.stem)),
        version=str(header.get("version", "")),
        meta=header,
        label_set=_label_set(header.get("label_set", CLASSIFIER.name), f"{path}:{first}"),
    )
    for n, line in lines[1:]:
        where = f"{path}:{n}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LabelsError(f"{where}: not JSON ({exc.msg})") from None
        if not isinstance(raw, dict):
            raise LabelsError(f"{where}: a photo line is a JSON object")
        photo = _check_photo(raw, where, result.label_set)
        if photo.sha256 in result.labels:
            raise LabelsError(f"{where}: photo {photo.sha256[:12]}… is listed twice")
        result.labels[photo.sha256] = photo
    return result


def write_labels(
    path: str | Path,
    name: str,
    version: str,
    photos: Iterable[PhotoLabel],
    meta: dict[str, Any] | None = None,
    *,
    label_set: LabelSetSpec = CLASSIFIER,
) -> LabelSet:
    """Write a labels file (header, then photos sorted by sha256, so a diff shows what changed)."""
    path = Path(path)
    chosen = sorted(photos, key=lambda p: p.sha256)
    result = LabelSet(name=name, version=version, labels={}, label_set=label_set)
    for p in chosen:
        checked = _check_photo(p.to_dict(), f"photo {p.sha256[:12]}", label_set)
        if checked.sha256 in result.labels:
            raise LabelsError(f"photo {p.sha256[:12]}… is listed twice")
        result.labels[checked.sha256] = checked
    header = {
        "format": FORMAT,
        "name": name,
        "version": version,
        **(meta or {}),
        "label_set": label_set.name,
        "counts": result.counts(),
        "photos": len(result.labels),
    }
    result.meta = header
    # a crash mid-write leaves the previous version, never half a file
    with atomic.atomic_path(path) as tmp, tmp.open("w", encoding="utf-8") as f:
        f.write(json.dumps({"_meta": header}, ensure_ascii=False, sort_keys=True) + "\n")
        for p in result.labels.values():
            f.write(json.dumps(p.to_dict(), ensure_ascii=False) + "\n")
    return result


__all__ = [
    "EXCLUDED",
    "FORMAT",
    "LabelSet",
    "LabelsError",
    "PhotoLabel",
    "Vote",
    "allowed_labels",
    "is_allowed",
    "read_labels",
    "write_labels",
]

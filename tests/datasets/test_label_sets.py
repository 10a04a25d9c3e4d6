"""Label sets: a labels file names its set, is checked against it, and only a classifier file builds a data set."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from zerowaste.datasets.build import build_manifest
from zerowaste.datasets.label_sets import CLASSIFIER, CONTAMINATION, get_label_set
from zerowaste.datasets.labels import LabelsError, PhotoLabel, read_labels, write_labels
from zerowaste.model import taxonomy
from zerowaste.wire import CONTAMINANTS


def _sha(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def test_the_sets_are_the_classifier_s_and_the_bio_bin_contaminants() -> None:
    assert CLASSIFIER.allowed == (*taxonomy.LABELS, "glass", "mixed", "other")
    assert CONTAMINATION.allowed == ("clean", *CONTAMINANTS, "several", "unusable")
    with pytest.raises(ValueError, match="unknown label set 'colours'; known: classifier, contamination"):
        get_label_set("colours")


def test_a_contamination_file_names_its_set_and_keeps_its_meaning(tmp_path: Path) -> None:
    photos = [PhotoLabel(_sha(n), label, "agreed") for n, label in
              [("a", "clean"), ("b", "plastic_bag"), ("c", "other"), ("d", "several"), ("e", "unusable")]]  # fmt: skip
    path = tmp_path / "frames.jsonl"
    write_labels(path, "frames", "1", photos, label_set=CONTAMINATION)
    read = read_labels(path)
    assert read.label_set == CONTAMINATION and read.meta["label_set"] == "contamination"
    # 'other' is a contaminant here, not an exclusion; 'several' is contaminated, but names no single one.
    assert read.usable() == {_sha("a"): "clean", _sha("b"): "plastic_bag", _sha("c"): "other"}
    with pytest.raises(LabelsError, match="label 'battery' is not one of clean, plastic_bag"):
        write_labels(path, "frames", "2", [PhotoLabel(_sha("x"), "battery", "agreed")], label_set=CONTAMINATION)
    with pytest.raises(LabelsError, match="label 'clean' is not one of battery"):
        write_labels(tmp_path / "drinks.jsonl", "drinks", "1", [PhotoLabel(_sha("x"), "clean", "agreed")])


def test_a_file_without_a_set_is_the_classifier_s_and_an_unknown_set_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "old.jsonl"
    header = {"_meta": {"format": "zerowaste-labels-v1", "name": "old", "version": "1"}}
    path.write_text(json.dumps(header) + "\n" + json.dumps({"sha256": _sha("a"), "label": "mixed", "status": "agreed"}))
    assert read_labels(path).label_set == CLASSIFIER and read_labels(path).usable() == {}
    header["_meta"]["label_set"] = "colours"
    path.write_text(json.dumps(header) + "\n")
    with pytest.raises(LabelsError, match=r"old.jsonl:1: unknown label set 'colours'"):
        read_labels(path)


def test_bio_bin_labels_build_no_classifier_data_set(tmp_path: Path) -> None:
    labels = tmp_path / "frames.jsonl"
    write_labels(labels, "frames", "1", [PhotoLabel(_sha("a"), "clean", "agreed")], label_set=CONTAMINATION)
    (tmp_path / "frames").mkdir()
    with pytest.raises(ValueError, match="label set 'contamination', a data set takes classifier labels"):
        build_manifest({"frames": tmp_path / "frames"}, labels={"frames": labels}, min_cosine=None)

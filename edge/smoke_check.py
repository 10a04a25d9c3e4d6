"""The smoke check of a new model file, run in a child process by the model updater:

    python -m zerowaste.edge.smoke_check MODEL.onnx [PHOTO ...]

Loads the file and classifies the photos (or a grey frame) and prints the labels as JSON. A file
that crashes ONNX Runtime (an instruction this CPU lacks, a corrupt graph) kills this process, not
the updater; a file that loads but answers nonsense exits non-zero with the reason.
"""

from __future__ import annotations

import json
import sys

import numpy as np
from PIL import Image

from zerowaste.model import taxonomy
from zerowaste.model.image_io import load_image
from zerowaste.model.runtime import OnnxClassifier


class SmokeCheckFailed(Exception):
    pass


def check(model: str, photos: list[str]) -> list[str]:
    """The labels the file gives the photos; SmokeCheckFailed when its answers are not usable."""
    clf = OnnxClassifier(model)
    if list(clf.spec.labels) != list(taxonomy.LABELS):
        raise SmokeCheckFailed("labels differ from this release")
    s = clf.spec.preprocessing.crop_size
    images = [load_image(p) for p in photos] or [Image.new("RGB", (s, s), (128, 128, 128))]
    p = clf.predict_images(images).waste
    if not (np.isfinite(p).all() and np.allclose(p.sum(1), 1, atol=1e-3)):
        raise SmokeCheckFailed("outputs are not probabilities")
    return [taxonomy.LABELS[i] for i in p.argmax(1)]


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)  # noqa: T201
        return 2
    try:
        labels = check(argv[0], argv[1:])
    except SmokeCheckFailed as exc:
        print(f"SmokeCheckFailed: {exc}", file=sys.stderr)  # noqa: T201
        return 1
    print(json.dumps(labels))  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The ImageNet classes of the kept item head, in output order."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def imagenet_labels() -> tuple[str, ...]:
    text = resources.files("zerowaste.model").joinpath("imagenet_classes.txt").read_text(encoding="utf-8")
    return tuple(text.splitlines())

"""Whole-or-nothing files: a writer that fails leaves the previous version and no temporary file."""

from __future__ import annotations

from pathlib import Path

import pytest

from zerowaste import atomic


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "state.json"
    atomic.write_text(target, '{"v": 1}')
    with pytest.raises(RuntimeError), atomic.atomic_path(target) as tmp:
        tmp.write_text('{"v": 2, "half', encoding="utf-8")
        raise RuntimeError("power cut")
    assert target.read_text(encoding="utf-8") == '{"v": 1}'
    assert sorted(p.name for p in target.parent.iterdir()) == ["state.json"]


def test_the_new_version_replaces_the_old_with_the_asked_mode(tmp_path: Path) -> None:
    target = tmp_path / "photo.jpg"
    atomic.write_bytes(target, b"old")
    atomic.write_bytes(target, b"new", mode=0o600)
    assert target.read_bytes() == b"new"
    assert target.stat().st_mode & 0o777 == 0o600
    with atomic.atomic_path(tmp_path / "cache.npz", suffix=".npz", durable=False) as tmp:
        assert tmp.name.endswith(".npz") and tmp.parent == tmp_path  # beside it: the rename stays on one disk
        tmp.write_bytes(b"x")
    assert (tmp_path / "cache.npz").read_bytes() == b"x"

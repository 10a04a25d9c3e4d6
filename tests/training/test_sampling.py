"""Balanced sampling across sources and classes (training/utils.balanced_sampling)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from zerowaste.training.utils import balanced_sampling  # noqa: E402


def _keys(source: str, sizes: dict[str, int]) -> list[tuple[str, str]]:
    return [(source, label) for label, n in sizes.items() for _ in range(n)]


def _share(p: torch.Tensor, keys: list[tuple[str, str]], **match: str) -> float:
    sel = [all(dict(zip(("source", "label"), k, strict=True))[f] == v for f, v in match.items()) for k in keys]
    return float(p[torch.tensor(sel)].sum())


def test_probabilities_sum_to_one_and_are_positive() -> None:
    keys = _keys("garbage12", {"metal": 30, "paper": 7}) + _keys("drinks", {"plastic": 5})
    p = balanced_sampling(keys)
    assert p.shape == (42,) and p.dtype == torch.float32
    assert float(p.sum()) == pytest.approx(1.0, abs=1e-6)
    assert (p > 0).all()
    assert balanced_sampling([]).shape == (0,)


def test_a_sources_share_depends_on_its_class_count_not_its_size() -> None:
    big = _keys("garbage12", {"metal": 900, "paper": 900})
    small = _keys("drinks", {"metal": 20, "plastic": 20})
    keys = big + small
    p = balanced_sampling(keys)
    assert _share(p, keys, source="garbage12") == pytest.approx(0.5, abs=1e-5)
    assert _share(p, keys, source="drinks") == pytest.approx(0.5, abs=1e-5)
    # four classes against one: twice the share (the square root of the class count)
    keys = _keys("trashnet", {"metal": 50, "paper": 50, "glass": 50, "trash": 50}) + _keys("clothing", {"shoes": 10})
    p = balanced_sampling(keys)
    assert _share(p, keys, source="trashnet") == pytest.approx(2 * _share(p, keys, source="clothing"), rel=1e-4)


def test_within_a_source_a_class_share_grows_with_the_square_root_of_its_size() -> None:
    keys = _keys("trashnet", {"paper": 400, "trash": 100})
    p = balanced_sampling(keys)
    assert _share(p, keys, label="paper") == pytest.approx(2 * _share(p, keys, label="trash"), rel=1e-4)
    assert float(p[0]) == pytest.approx(float(p[399]))  # photos of one class alike
    assert float(p[-1]) > float(p[0])  # a trash photo is drawn more often than a paper photo

"""How far a photo's features lie from the training photos' (training/ood.py), on synthetic clusters."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from zerowaste.training.ood import DistanceHead, FeatureDensity, fit_density  # noqa: E402

DIM, K = 32, 16


class Clusters:
    """Three labels, each a Gaussian cloud with one shared, skewed covariance, in 32 dimensions."""

    def __init__(self, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        self.mix = self.rng.normal(size=(DIM, DIM)) / np.sqrt(DIM) * np.linspace(0.2, 3.0, DIM)
        self.means = self.rng.normal(size=(3, DIM)) * 3

    def draw(self, n: int) -> tuple[np.ndarray, list[str]]:
        labels = self.rng.integers(0, 3, n)
        x = self.means[labels] + self.rng.normal(size=(n, DIM)) @ self.mix.T
        return x, [("metal", "paper", "plastic")[i] for i in labels]


@pytest.fixture(scope="module")
def clusters() -> Clusters:
    return Clusters()


@pytest.fixture(scope="module")
def density(clusters: Clusters) -> FeatureDensity:
    x, labels = clusters.draw(900)
    return fit_density(x, labels, k=K)


def test_the_fit_has_a_cluster_per_label_in_a_k_dimensional_subspace(density: FeatureDensity) -> None:
    assert density.center.shape == (DIM,)
    assert density.projection.shape == (K, DIM)
    assert density.means.shape == (3, K)


def test_photos_like_the_training_photos_lie_at_about_one(clusters: Clusters, density: FeatureDensity) -> None:
    x, _ = clusters.draw(400)
    d = density.distance(x)
    assert d.shape == (400,)
    assert np.mean(d) == pytest.approx(1.0, abs=0.15)
    assert np.quantile(d, 0.95) < 2.5


def test_shifted_photos_lie_much_further(clusters: Clusters, density: FeatureDensity) -> None:
    x, _ = clusters.draw(400)
    near = density.distance(x)
    for shift in (5.0, 10.0):  # every feature moved by a few within-cluster spreads
        far = density.distance(x + shift)
        assert far.min() > 4.0 * np.median(near), shift
    between = density.distance(clusters.means.mean(axis=0, keepdims=True))  # between the clusters, in none
    assert between[0] > 5.0


def test_distance_is_to_the_nearest_cluster(clusters: Clusters, density: FeatureDensity) -> None:
    x = clusters.means[:, None, :] + np.zeros((3, 5, DIM))  # each label's own centre
    assert density.distance(x.reshape(-1, DIM)).max() < 0.2


def test_the_graph_head_gives_the_numpy_distance(clusters: Clusters, density: FeatureDensity) -> None:
    x, _ = clusters.draw(64)
    x = np.concatenate([x, x + 10.0])
    head = DistanceHead(density).eval()
    with torch.no_grad():
        graph = head(torch.from_numpy(x).float()).numpy()
    expected = density.distance(x)
    assert graph.shape == (128,)
    np.testing.assert_allclose(graph, expected, rtol=1e-4, atol=1e-4)
    assert {name for name, _ in head.named_buffers()} == {"center", "projection", "means"}


def test_too_few_features_for_the_subspace_are_refused(clusters: Clusters) -> None:
    x, labels = clusters.draw(K)
    with pytest.raises(
        ValueError, match=f"need more than {K} training features to fit a {K}-dimensional density, got {K}"
    ):
        fit_density(x, labels, k=K)
    x, labels = clusters.draw(K + 40)
    assert fit_density(x, labels, k=K).projection.shape == (K, DIM)

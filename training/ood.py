"""How far a photo lies from the photos the model was trained on: the distance output.

A softmax fitted on familiar photos stays confident on a photo unlike any of them. The pooled
features of the training photos form one cluster per label; a photo whose features lie far from
every cluster (in the whitened principal subspace of the training features: a class-conditional
Gaussian with shared covariance, Lee et al. 2018) is one the model has no business being sure about.
The statistics are computed once after training and live in the ONNX graph as constants, so the
distance comes out of the same single pass as both heads.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn


@dataclass(frozen=True)
class FeatureDensity:
    center: np.ndarray  # (features,) mean of the training features
    projection: np.ndarray  # (k, features) principal directions, whitened by the within-class spread
    means: np.ndarray  # (clusters, k) each label's mean in the whitened subspace

    def distance(self, features: np.ndarray) -> np.ndarray:
        """(N,) mean squared whitened distance to the nearest cluster: about 1 inside the training data."""
        z = (np.asarray(features, dtype=np.float64) - self.center) @ self.projection.T
        return np.asarray((((z[:, None, :] - self.means[None]) ** 2).mean(-1)).min(1))


def fit_density(features: np.ndarray, labels: list[str], k: int = 64, ridge: float = 1e-3) -> FeatureDensity:
    """Clusters per label in the top-`k` principal subspace of `features`, whitened by the pooled
    within-cluster covariance (`ridge` keeps near-empty directions finite)."""
    x = np.asarray(features, dtype=np.float64)
    if len(x) <= k:
        raise ValueError(f"need more than {k} training features to fit a {k}-dimensional density, got {len(x)}")
    center = x.mean(0)
    _, _, vt = np.linalg.svd(x - center, full_matrices=False)
    basis = vt[:k]
    z = (x - center) @ basis.T
    names = sorted(set(labels))
    index = np.array([names.index(lbl) for lbl in labels])
    means = np.stack([z[index == i].mean(0) for i in range(len(names))])
    within = z - means[index]
    cov = np.cov(within.T) + ridge * np.eye(k)
    whiten = np.linalg.cholesky(np.linalg.inv(cov))  # z @ whiten has identity within-cluster covariance
    return FeatureDensity(center=center, projection=(basis.T @ whiten).T, means=means @ whiten)


class DistanceHead(nn.Module):
    """`FeatureDensity.distance` as graph operations on the pooled features."""

    center: torch.Tensor
    projection: torch.Tensor
    means: torch.Tensor

    def __init__(self, density: FeatureDensity) -> None:
        super().__init__()
        self.register_buffer("center", torch.from_numpy(density.center).float())
        self.register_buffer("projection", torch.from_numpy(density.projection).float())
        self.register_buffer("means", torch.from_numpy(density.means).float())

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        z = (features - self.center) @ self.projection.T
        return ((z[:, None, :] - self.means[None]) ** 2).mean(-1).min(dim=1).values

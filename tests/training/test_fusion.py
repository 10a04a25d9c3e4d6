"""The item head's material evidence fused into the waste answer, and its calibration (training/fusion.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

torch = pytest.importorskip("torch")

from zerowaste.model import taxonomy  # noqa: E402
from zerowaste.model.items import imagenet_labels, item_map  # noqa: E402
from zerowaste.training.fusion import (  # noqa: E402
    Calibration,
    MaterialFusion,
    domain_weights,
    fit_calibration,
    fused_logits,
    material_prior,
)

PLASTIC, METAL = taxonomy.INDEX["plastic"], taxonomy.INDEX["metal"]
BUCKET, CAN_OPENER = 463, 473


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """These fits are tiny: one thread is faster than several fighting over a busy machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_the_prior_is_the_item_maps_material_matrix() -> None:
    assert imagenet_labels()[BUCKET] == "bucket" and imagenet_labels()[CAN_OPENER] == "can opener"
    prior = material_prior()
    assert prior.shape == (1000, len(taxonomy.LABELS)) and prior.dtype == torch.float32
    assert torch.equal(prior, torch.from_numpy(item_map().material))


def _unmapped_item_logits(n: int) -> torch.Tensor:
    """Item logits with nearly all belief on ImageNet classes that say nothing about the material."""
    silent = (item_map().material.sum(axis=1) == 0).nonzero()[0]
    g = torch.Generator().manual_seed(0)
    logits = torch.zeros(n, 1000)
    picks = torch.from_numpy(silent)[torch.randint(len(silent), (n,), generator=g)]
    logits[torch.arange(n), picks] = 40.0
    return logits


@pytest.mark.parametrize(("beta", "lam"), [(1.0, 0.3), (5.0, 0.01), (0.5, 0.9)])
def test_an_item_that_says_nothing_leaves_the_waste_answer_alone(beta: float, lam: float) -> None:
    g = torch.Generator().manual_seed(1)
    waste = torch.randn(16, 12, generator=g) * 3
    temperature = torch.tensor(1.7)
    fused = fused_logits(
        waste, _unmapped_item_logits(16), material_prior(), temperature, torch.tensor(beta), torch.tensor(lam)
    )
    shift = fused - waste / temperature
    assert torch.allclose(shift, shift[:, :1].expand_as(shift), atol=1e-4)  # one constant per row
    assert torch.allclose(torch.softmax(fused, 1), torch.softmax(waste / temperature, 1), atol=1e-5)


def test_with_beta_zero_the_answer_is_temperature_scaling() -> None:
    g = torch.Generator().manual_seed(2)
    waste, item = torch.randn(8, 12, generator=g), torch.randn(8, 1000, generator=g) * 5
    item[:, BUCKET] = 20.0
    fused = fused_logits(waste, item, material_prior(), torch.tensor(2.0), torch.tensor(0.0), torch.tensor(0.2))
    assert torch.allclose(fused, waste / 2.0, atol=1e-6)


def test_a_bucket_moves_the_answer_from_metal_to_plastic() -> None:
    waste = torch.zeros(1, 12)
    waste[0, METAL], waste[0, PLASTIC] = 2.0, 1.0
    item = torch.zeros(1, 1000)
    item[0, BUCKET] = 20.0
    plain = fused_logits(waste, item, material_prior(), torch.tensor(1.0), torch.tensor(0.0), torch.tensor(0.5))
    fused = MaterialFusion(Calibration(1.0, beta=2.0, lam=0.1))(waste, item)
    assert int(plain.argmax()) == METAL and int(fused.argmax()) == PLASTIC
    assert torch.allclose(
        fused, fused_logits(waste, item, material_prior(), torch.tensor(1.0), torch.tensor(2.0), torch.tensor(0.1))
    )


def test_calibration_serialises_with_the_spec_key_lambda() -> None:
    assert Calibration(1.5).to_dict() == {"temperature": 1.5, "beta": 0.0, "lambda": 1.0}
    assert Calibration(1.5, 0.7, 0.2).to_dict() == {"temperature": 1.5, "beta": 0.7, "lambda": 0.2}


def _one_hot(y: torch.Tensor, classes: int = 12) -> torch.Tensor:
    mask = torch.zeros(len(y), classes, dtype=torch.bool)
    mask[torch.arange(len(y)), y] = True
    return mask


def test_temperature_scaling_recovers_a_known_temperature() -> None:
    g = torch.Generator().manual_seed(0)
    n = 4000
    logits = torch.randn(n, 12, generator=g) * 3
    y = torch.multinomial(torch.softmax(logits / 2.0, 1), 1, generator=g).squeeze(1)
    fitted = fit_calibration(logits, torch.zeros(n, 1000), _one_hot(y), torch.ones(n), fuse=False)
    assert fitted.temperature == pytest.approx(2.0, rel=0.05)
    assert fitted.beta == 0.0 and fitted.lam == 1.0


def _plastic_or_metal(informative: bool, n: int = 400, seed: int = 0) -> tuple[torch.Tensor, ...]:
    """Photos of plastic or metal. The waste head knows it is one of the two, but tells them apart
    badly; the item head sees a bucket (plastic 0.75 / metal 0.25) or a can opener (metal), either
    matching the label or at random."""
    g = torch.Generator().manual_seed(seed)
    y = torch.where(torch.rand(n, generator=g) < 0.5, PLASTIC, METAL)
    waste = torch.full((n, 12), -4.0)
    noisy = torch.randn(n, 2, generator=g)
    waste[:, PLASTIC] = noisy[:, 0] + 0.5 * (y == PLASTIC)
    waste[:, METAL] = noisy[:, 1] + 0.5 * (y == METAL)
    bucket = (y == PLASTIC) if informative else (torch.rand(n, generator=g) < 0.5)
    item = torch.zeros(n, 1000)
    item[bucket, BUCKET] = 12.0
    item[~bucket, CAN_OPENER] = 12.0
    return waste, item, _one_hot(y)


def test_informative_item_evidence_gets_weight_and_random_evidence_none() -> None:
    waste, item, mask = _plastic_or_metal(informative=True)
    told = fit_calibration(waste, item, mask, torch.ones(len(waste)))
    waste, item, mask = _plastic_or_metal(informative=False)
    random = fit_calibration(waste, item, mask, torch.ones(len(waste)))
    assert told.beta > 2.0 and 0.0 < told.lam < 1.0
    assert random.beta < 0.25 and random.beta < 0.05 * told.beta
    assert random.temperature == pytest.approx(1.0, abs=0.15)  # the noise's own scale


def test_fusion_fitted_on_informative_evidence_beats_temperature_scaling() -> None:
    waste, item, mask = _plastic_or_metal(informative=True, seed=1)
    prior = material_prior()

    def nll(c: Calibration) -> float:
        logits = fused_logits(
            waste, item, prior, torch.tensor(c.temperature), torch.tensor(c.beta), torch.tensor(c.lam)
        )
        return float(-(torch.log_softmax(logits, 1)[mask]).mean())

    weights = torch.ones(len(waste))
    assert nll(fit_calibration(waste, item, mask, weights)) < 0.5 * nll(
        fit_calibration(waste, item, mask, weights, fuse=False)
    )


def test_domain_weights_give_each_domain_the_same_total() -> None:
    domains = ["studio"] * 6 + ["phone"] * 2 + ["studio"] * 3
    w = domain_weights(domains)
    assert w.shape == (11,) and w.dtype == torch.float32
    studio = torch.tensor([d == "studio" for d in domains])
    assert float(w[studio].sum()) == pytest.approx(1.0) and float(w[~studio].sum()) == pytest.approx(1.0)
    assert float(w[0]) == pytest.approx(1 / 9) and float(w[6]) == pytest.approx(1 / 2)
    assert torch.equal(domain_weights(["phone"] * 4), torch.full((4,), 0.25))

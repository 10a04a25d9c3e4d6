"""`zerowaste train --init model_best.pth`: the weights another run saved (say, on a GPU machine with
--no-export) come back exactly, and files it cannot start from are refused with a reason."""

from pathlib import Path

import pytest

from tests.utils.models import imagenet_model

torch = pytest.importorskip("torch")


def _fine_tuned(cut: int):  # noqa: ANN202
    """What a run with --cut `cut` leaves: ImageNet weights up to `cut`, other weights after it."""
    model = imagenet_model()
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for block in model.blocks[cut:]:
            for p in block.parameters():
                p.add_(0.01 * torch.randn(p.shape, generator=gen))
        model.waste_head.weight.normal_(generator=gen)
    return model


def _save(path: Path, model, **extra: object) -> Path:  # noqa: ANN001
    from zerowaste.model import taxonomy

    state = {
        "model": model.state_dict(),
        "temperature": 0.8,
        "labels": list(taxonomy.LABELS),
        "args": {"output": Path("runs/train")},
        **extra,
    }
    torch.save(state, path)
    return path


def test_a_checkpoint_comes_back_with_its_weights_and_temperature(tmp_path: Path) -> None:
    from zerowaste.training.checkpoint_import import load_init

    saved = _fine_tuned(cut=2)
    path = _save(tmp_path / "model_best.pth", saved)
    model = imagenet_model()
    assert load_init(model, path, frozen_blocks=2) == pytest.approx(0.8)
    for name, tensor in saved.state_dict().items():
        assert torch.equal(model.state_dict()[name], tensor), name
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert torch.equal(model(x)[0], saved(x)[0])


def test_checkpoints_it_cannot_start_from_are_refused(tmp_path: Path) -> None:
    from zerowaste.training.checkpoint_import import load_init

    path = _save(tmp_path / "model_best.pth", _fine_tuned(cut=2))
    # Blocks 2-10 were fine-tuned: caching them from ImageNet weights would train on other features.
    with pytest.raises(SystemExit, match="--cut"):
        load_init(imagenet_model(), path, frozen_blocks=11)
    with pytest.raises(SystemExit, match="labels"):
        load_init(imagenet_model(), _save(tmp_path / "labels.pth", _fine_tuned(2), labels=["a", "b"]), frozen_blocks=2)
    torch.save({"model": _fine_tuned(2).state_dict()}, tmp_path / "no-temperature.pth")
    with pytest.raises(SystemExit, match="temperature"):
        load_init(imagenet_model(), tmp_path / "no-temperature.pth", frozen_blocks=2)
    (tmp_path / "truncated.pth").write_bytes(path.read_bytes()[:1000])
    with pytest.raises(SystemExit, match="not a checkpoint"):
        load_init(imagenet_model(), tmp_path / "truncated.pth", frozen_blocks=2)
    with pytest.raises(SystemExit, match="no such file"):
        load_init(imagenet_model(), tmp_path / "missing.pth", frozen_blocks=2)

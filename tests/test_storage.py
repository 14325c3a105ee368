"""8-bit storage of weight matrices (explainers/storage.py): the round trip, and damaged scales refused."""

from __future__ import annotations

import pytest
import torch

from explainers.storage import SCALE_SUFFIX, dequantize, int8_storage, stored_parameters


def _tensors() -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return {
        "linear.weight": torch.randn(64, 48, generator=g),
        "conv.weight": torch.randn(16, 8, 3, 3, generator=g),
        "zero.weight": torch.zeros(20, 20),
        "linear.bias": torch.randn(64, generator=g),
        "tiny.weight": torch.randn(4, 4, generator=g),
        "steps": torch.arange(10),
    }


def test_every_weight_comes_back_within_half_a_step_of_its_row() -> None:
    tensors = _tensors()
    stored = int8_storage(tensors)
    assert stored["linear.weight"].dtype == torch.int8 and stored["conv.weight"].dtype == torch.int8
    assert stored["linear.bias"].dtype == torch.float32, "vectors stay as trained"
    assert stored["tiny.weight"].dtype == torch.float32 and torch.equal(stored["steps"], tensors["steps"])
    back = dequantize(stored)
    assert set(back) == set(tensors)
    for name in ("linear.weight", "conv.weight"):
        w = tensors[name]
        step = w.reshape(w.shape[0], -1).abs().amax(dim=1) / 127
        error = (back[name] - w).reshape(w.shape[0], -1).abs().amax(dim=1)
        assert back[name].shape == w.shape and back[name].dtype == torch.float32
        assert torch.all(error <= step / 2 + 1e-7)
    assert torch.equal(back["zero.weight"], tensors["zero.weight"]), "an all-zero row stays exactly zero"
    assert stored_parameters(stored) == sum(t.numel() for t in tensors.values())


def test_storage_takes_about_a_quarter_of_float32() -> None:
    w = {"w": torch.randn(256, 256)}
    stored = int8_storage(w)
    stored_bytes = sum(t.numel() * t.element_size() for t in stored.values())
    assert stored_bytes < 0.27 * w["w"].numel() * 4


@pytest.mark.parametrize(
    "damage",
    [
        lambda s: s.update({"linear.weight" + SCALE_SUFFIX: torch.ones(3)}),  # scales that do not fit
        lambda s: s.update({"gone.weight" + SCALE_SUFFIX: torch.ones(3)}),  # scales without a tensor
        lambda s: s.update({"linear.weight": s["linear.weight"].float()}),  # a float tensor with scales
    ],
)
def test_damaged_scales_are_refused(damage) -> None:
    stored = int8_storage(_tensors())
    damage(stored)
    with pytest.raises(ValueError):
        dequantize(stored)


def test_a_reserved_name_is_refused() -> None:
    with pytest.raises(ValueError):
        int8_storage({"w" + SCALE_SUFFIX: torch.ones(20, 20)})


def test_storing_a_stored_model_again_changes_nothing() -> None:
    """A model measured after its round trip can be stored again from those weights (a fine-tune that starts from a
    shipped model, a model re-stored): the same 8-bit codes, and the same scales to float32 rounding."""
    g = torch.Generator().manual_seed(1)
    for _ in range(20):
        tensors = {"w": torch.randn(300, 200, generator=g) * torch.rand(1, generator=g), **_tensors()}
        once = int8_storage(tensors)
        twice = int8_storage(dequantize(once))
        assert set(once) == set(twice)
        for k in once:
            assert (
                torch.equal(once[k], twice[k])
                if once[k].dtype == torch.int8
                else torch.allclose(once[k], twice[k], rtol=2e-7, atol=0)
            )

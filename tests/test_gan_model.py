"""GAN unit tests on tiny, freshly initialised networks: who gets updated, losses, determinism, caps."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from explainers.gan import (
    DIGITS_ARCH,
    DigitsTraining,
    PointsTraining,
    build_discriminator,
    build_generator,
    coverage_verdict,
    discriminator_loss,
    discriminator_step,
    downsample,
    generator_loss,
    generator_step,
    init_weights_,
    make_optimizer,
    snapshot_schedule,
    to_images,
)
from explainers.gan_points import DATASETS, EXTENT, sample_points

TINY_DIGITS = {**DIGITS_ARCH, "z_dim": 8, "g_hidden": [16], "d_hidden": [16, 8]}


def _params(module: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def _same(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a, b, strict=True))


@pytest.fixture(params=["points", "digits"])
def pair(request):
    arch = (
        {"z_dim": 2, "g_hidden": [8], "d_hidden": [8, 8], "data_dim": 2} if request.param == "points" else TINY_DIGITS
    )
    rng = torch.Generator().manual_seed(0)
    gen, disc = build_generator(arch), build_discriminator(arch)
    init_weights_(gen, rng)
    init_weights_(disc, rng)
    real = torch.randn(16, arch["data_dim"], generator=rng).clamp(-1, 1)
    z = torch.randn(16, arch["z_dim"], generator=rng)
    return gen, disc, real, z


def test_discriminator_step_updates_only_the_discriminator(pair) -> None:
    gen, disc, real, z = pair
    opt_d = make_optimizer(disc, 1e-2)
    g_before, d_before = _params(gen), _params(disc)
    discriminator_step(gen, disc, opt_d, real, z)
    assert _same(_params(gen), g_before), "a detective step must not change the forger"
    assert not _same(_params(disc), d_before), "a detective step must change the detective"
    assert all(p.grad is None for p in gen.parameters()), "no gradient should even reach the forger"


@pytest.mark.parametrize("kind", ["non_saturating", "minimax"])
def test_generator_step_updates_only_the_generator(pair, kind) -> None:
    gen, disc, _, z = pair
    opt_g = make_optimizer(gen, 1e-2)
    g_before, d_before = _params(gen), _params(disc)
    generator_step(gen, disc, opt_g, z, kind)
    assert _same(_params(disc), d_before), "a forger step must not change the detective"
    assert not _same(_params(gen), g_before), "a forger step must change the forger"
    assert all(p.grad is None for p in disc.parameters()), "the detective is frozen during the forger's step"
    assert all(p.requires_grad for p in disc.parameters()), "the detective is unfrozen again afterwards"


def test_losses_at_the_stalemate() -> None:
    zero = torch.zeros(5)  # logit 0 = D says 50/50
    assert discriminator_loss(zero, zero).item() == pytest.approx(2 * math.log(2))
    assert generator_loss(zero, "non_saturating").item() == pytest.approx(math.log(2))
    assert generator_loss(zero, "minimax").item() == pytest.approx(-math.log(2))
    with pytest.raises(ValueError):
        generator_loss(zero, "wasserstein")  # type: ignore[arg-type]


def test_minimax_saturates_when_the_detective_wins() -> None:
    """The reason for the non-saturating loss: at D(G(z)) ~ 0 the minimax gradient almost vanishes."""
    logits = torch.full((4,), -6.0, requires_grad=True)
    (g_mm,) = torch.autograd.grad(generator_loss(logits, "minimax"), logits)
    (g_ns,) = torch.autograd.grad(generator_loss(logits, "non_saturating"), logits)
    assert g_ns.abs().sum() > 50 * g_mm.abs().sum()


@pytest.mark.parametrize("name", list(DATASETS))
def test_point_datasets_are_seeded_and_inside_the_drawn_square(name: str) -> None:
    a, b, c = sample_points(name, 500, seed=1), sample_points(name, 500, seed=1), sample_points(name, 500, seed=2)
    assert a.shape == (500, 2) and a.dtype == np.float32
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert np.abs(a).max() < EXTENT


def test_unknown_dataset_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown point dataset"):
        sample_points("galaxy", 10)


def test_points_training_is_deterministic_from_a_seed() -> None:
    a, b, c = PointsTraining("moons", seed=3), PointsTraining("moons", seed=3), PointsTraining("moons", seed=4)
    for run in (a, b, c):
        run.train(30)
    va, vb, vc = a.view(), b.view(), c.view()
    assert np.array_equal(va.fake, vb.fake) and np.array_equal(va.surface, vb.surface)
    assert np.array_equal(va.d_loss, vb.d_loss)
    assert not np.array_equal(va.fake, vc.fake)


def test_digits_training_is_deterministic_from_a_seed() -> None:
    real = np.random.default_rng(0).random((40, 8, 8)).astype(np.float32)
    runs = [DigitsTraining(real, seed=s, arch=TINY_DIGITS, batch_size=8, max_steps=100, display=6) for s in (5, 5, 6)]
    for run in runs:
        run.train(10)
    assert np.array_equal(runs[0].samples(), runs[1].samples())
    assert not np.array_equal(runs[0].samples(), runs[2].samples())


def test_points_view_shapes_and_ranges() -> None:
    run = PointsTraining("ring", seed=0)
    run.train(5)
    view = run.view(arrows=20)
    assert view.step == 5 and view.surface.shape == (len(view.axis), len(view.axis))
    assert view.surface.min() >= 0 and view.surface.max() <= 1
    assert view.fake.shape[1] == 2 and view.arrows.shape == (20, 2)
    assert np.linalg.norm(view.arrows, axis=1).max() <= 0.35 + 1e-5
    assert 0 <= view.d_real <= 1 and 0 <= view.d_fake <= 1


def test_hard_step_cap() -> None:
    run = PointsTraining("spiral", seed=0, max_steps=12)
    assert run.train(10) == 10
    assert run.train(10) == 2
    assert run.train(10) == 0 and run.finished and run.step == 12


def test_learning_rates_and_loss_change_mid_run() -> None:
    run = PointsTraining("ring", seed=0)
    run.set_hyperparameters(lr_g=0.01, lr_d=0.0003, loss="minimax")
    assert run.opt_g.param_groups[0]["lr"] == 0.01 and run.opt_d.param_groups[0]["lr"] == 0.0003
    assert run.loss == "minimax"
    with pytest.raises(ValueError):
        run.set_hyperparameters(loss="hinge")  # type: ignore[arg-type]


def test_to_images_maps_the_forgers_range_to_unit() -> None:
    images = to_images(torch.tensor([[-1.0] * 32 + [1.0] * 32]))
    assert images.shape == (1, 8, 8) and images.min() == 0 and images.max() == 1


def test_downsample_keeps_the_newest_steps() -> None:
    steps, means = downsample(np.arange(10, dtype=np.float32), 4)
    assert steps[-1] == 10 and len(steps) <= 5
    assert means[0] == pytest.approx(1.0)  # mean of 0, 1, 2
    assert len(downsample(np.zeros(0), 4)[0]) == 0


def test_snapshot_schedule_starts_at_zero_and_ends_at_the_last_step() -> None:
    schedule = snapshot_schedule(40_000, 16)
    assert schedule[0] == 0 and schedule[-1] == 40_000 and schedule == sorted(set(schedule))


@pytest.mark.parametrize(
    ("counts", "kind", "words"),
    [
        ([100] * 10, "healthy", "All ten digits appear: the rarest is 0 (10%)"),
        ([130, 130, 130, 130, 130, 130, 130, 30, 80, 80], "thin", "All ten digits appear, but 7s are rare (2.7%)"),
        ([120] * 8 + [40, 0], "partial_collapse", "Partial mode collapse: the forger never draws 9"),
        ([700, 300] + [0] * 8, "mode_collapse", "Mode collapse: 70% of the fakes are 0s; 8 digits never appear"),
    ],
)
def test_coverage_verdict_names_mode_collapse(counts, kind, words) -> None:
    from figures.gan import coverage_headline  # the verdict's plain words live with the figures

    verdict = coverage_verdict(np.array(counts))
    assert verdict.kind == kind
    if kind == "partial_collapse":
        assert verdict.missing == (9,)
    if kind == "mode_collapse":
        assert verdict.dominant == 0
    assert coverage_headline(verdict) == words
    assert "Untrained" in coverage_headline(verdict, trained=False)

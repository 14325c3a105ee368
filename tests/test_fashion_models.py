"""The generalised image models on tiny random networks (fast): U-Net denoiser, 28x28 judge and VAE, the image GAN,
the shared quality measures, and loading clothes models by name."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from explainers.diffusion import build_denoiser, closeness_to_final, forward_process, load_diffusion, make_model, sample
from explainers.diffusion_scheduler import ScheduleConfig
from explainers.gan_images import FASHION_GAN_ARCH, ImageGanTraining, ShippedImageGan, load_image_gan
from explainers.image_quality import memorization, sample_quality
from explainers.judge import FASHION_ARCHITECTURE, build_judge, judge_features, judge_report
from explainers.storage import int8_storage
from explainers.store import save_model
from explainers.unet import UNet, build_unet
from explainers.vae import FASHION_ARCHITECTURE as VAE_FASHION
from explainers.vae import build_vae, decode_points, encode_images, interpolate, latent_grid, sample_prior

TINY_UNET = {
    "kind": "unet",
    "image_size": 28,
    "channels": [8, 16, 16],
    "down_blocks": [0, 1, 1],
    "up_blocks": [1, 1, 1],
    "time_dim": 16,
    "cond_dim": 16,
    "num_classes": 10,
}


def _tiny_unet_model(seed: int = 0):
    torch.manual_seed(seed)
    net = build_denoiser(TINY_UNET)
    for p in net.parameters():  # the output layer starts at zero; give it something to say
        torch.nn.init.normal_(p, 0, 0.1) if p.ndim > 1 and p.abs().sum() == 0 else None
    return make_model(net, ScheduleConfig(num_train_timesteps=20))


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"down_blocks": (1, 1, 1), "up_blocks": (2, 1, 0)},
        {"image_size": 16, "channels": (8, 16), "down_blocks": (1, 0), "up_blocks": (1, 1)},
    ],
)
def test_unet_keeps_the_picture_shape(kwargs: dict) -> None:
    kwargs = {"channels": (8, 16, 16), "cond_dim": 16, "time_dim": 16, **kwargs}
    net = UNet(**kwargs).eval()
    size = kwargs.get("image_size", 28)
    x = torch.randn(3, 1, size, size)
    t, labels = torch.tensor([0, 5, 19]), torch.tensor([1, 4, 10])
    out = net(x, t, labels)
    assert out.shape == x.shape
    assert torch.equal(out, torch.zeros_like(out))  # zero-initialised output layer: predicts no noise at first
    assert len(net.conditions(t, labels)) == len(net.blocks())


def test_unet_refuses_sizes_it_cannot_halve() -> None:
    with pytest.raises(ValueError, match="cannot be halved"):
        UNet(image_size=30, channels=(8, 16, 16))
    with pytest.raises(ValueError, match="one count per level"):
        UNet(channels=(8, 16), down_blocks=(1, 1, 1))


def test_build_denoiser_dispatches_on_kind() -> None:
    assert isinstance(build_denoiser(TINY_UNET), UNet)
    assert isinstance(build_unet(TINY_UNET), UNet)
    assert not isinstance(build_denoiser(), UNet)  # digits: the MLP, as before


def test_unet_sampling_is_deterministic_and_28_pixels() -> None:
    model = _tiny_unet_model()
    assert model.image_size == 28
    a = sample(model, [0, 9], seed=3, sampler="ddim", steps=5, record=True)
    b = sample(model, [0, 9], seed=3, sampler="ddim", steps=5, record=True)
    assert a.samples.shape == (2, 28, 28) and a.x_t.shape == (5, 2, 28, 28)
    assert np.array_equal(a.samples, b.samples)
    assert not np.array_equal(a.samples, sample(model, [0, 9], seed=4, sampler="ddim", steps=5).samples)
    assert closeness_to_final(a).shape == (5,)
    full = sample(model, [2], seed=1, sampler="ddpm", record=True)
    assert full.x0_pred.shape == (20, 1, 28, 28)
    fp = forward_process(model, torch.zeros(1, 28, 28), [0, 10, 19], seed=0)
    assert fp.images.shape == (3, 28, 28)


def test_clothes_models_load_by_name(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("GLASSBOX_PRETRAINED", str(tmp_path))
    model = _tiny_unet_model()
    arch = {**TINY_UNET, "schedule": model.schedule.to_dict(), "default_guidance": 2.5, "null_class": 10}
    config = {"title": "t", "architecture": arch, "training": {"seed": 0}, "data": {}, "metrics": {}}
    save_model("fashion_diffusion", int8_storage(model.net.state_dict()), config, "card")
    loaded = load_diffusion("fashion_diffusion")
    assert loaded.image_size == 28 and loaded.default_guidance == 2.5
    assert next(loaded.net.parameters()).dtype == torch.float32  # stored in 8 bits, computed in float32
    again = sample(loaded, [5], seed=0, sampler="ddim", steps=3).samples
    assert again.shape == (1, 28, 28)


def test_judge_reads_28_pixel_pictures() -> None:
    torch.manual_seed(0)
    judge = build_judge(FASHION_ARCHITECTURE).eval()
    assert judge.image_size == 28
    x = torch.rand(5, 1, 28, 28)
    report = judge_report(judge, x)
    assert report.probabilities.shape == (5, 10) and report.histogram.sum() == 5
    assert judge_features(judge, x).shape == (5, FASHION_ARCHITECTURE["features"])
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        judge_report(judge, torch.rand(2, 1, 8, 8))


def test_vae_draws_a_28_pixel_map() -> None:
    torch.manual_seed(0)
    vae = build_vae({**VAE_FASHION, "hidden": [32, 16]}).eval()
    grid = latent_grid(vae, 15)
    assert grid.images.shape == (15, 15, 28, 28) and grid.z.shape == (15, 15, 2)
    assert decode_points(vae, [[0.0, 0.0], [1.0, -1.0]]).shape == (2, 28, 28)
    enc = encode_images(vae, torch.rand(3, 1, 28, 28))
    assert enc.reconstruction.shape == (3, 28, 28) and enc.mu.shape == (3, 2)
    path = interpolate(vae, torch.rand(28, 28), torch.rand(1, 28, 28), steps=5)
    assert path.images.shape == (5, 28, 28)
    assert sample_prior(vae, 4, seed=1).shape == (4, 1, 28, 28)


def test_image_gan_trains_deterministically_under_its_cap() -> None:
    real = np.random.default_rng(0).random((40, 28, 28), dtype=np.float32)
    arch = {**FASHION_GAN_ARCH, "g_channels": [8, 8, 4], "d_channels": [4, 8]}
    a = ImageGanTraining(real, seed=1, batch_size=8, max_steps=5, arch=arch, display=6)
    b = ImageGanTraining(real, seed=1, batch_size=8, max_steps=5, arch=arch, display=6)
    assert a.train(3) == 3 and b.train(3) == 3
    assert np.array_equal(a.samples(), b.samples())
    assert a.train(10) == 2 and a.finished and a.train(1) == 0
    view = a.view()
    assert view.images.shape == (6, 28, 28) and 0 <= view.images.min() <= view.images.max() <= 1
    assert view.step == 5 and len(view.d_loss) == len(view.steps)
    with pytest.raises(ValueError):
        ImageGanTraining(real, loss="wasserstein", arch=arch)


def test_shipped_image_gan_round_trip(tmp_path: Path, monkeypatch) -> None:
    real = np.random.default_rng(0).random((40, 28, 28), dtype=np.float32)
    arch = {**FASHION_GAN_ARCH, "g_channels": [8, 8, 4], "d_channels": [4, 8]}
    run = ImageGanTraining(real, seed=2, batch_size=8, max_steps=4, arch=arch, display=6)
    run.train(4)
    tensors = int8_storage(run.state_tensors())
    tensors.update(
        {
            "snapshots.step": torch.tensor([0, 4]),
            "snapshots.images": torch.zeros(2, 6, 28, 28, dtype=torch.uint8),
            "snapshots.noise": run.display_z,
            "history.step": torch.tensor([2, 4]),
            "history.d_loss": torch.tensor([1.0, 0.9]),
            "history.g_loss": torch.tensor([0.7, 0.8]),
        }
    )
    monkeypatch.setenv("GLASSBOX_PRETRAINED", str(tmp_path))
    metrics = {"rarest_class": 3, "min_class_share": 0.05, "frechet_to_heldout": 4.0}
    config = {"title": "t", "architecture": arch, "training": {"seed": 0}, "data": {}, "metrics": metrics}
    save_model("fashion_gan", tensors, config, "card")
    gan = load_image_gan("fashion_gan")
    assert isinstance(gan, ShippedImageGan) and gan.snapshots == 2 and gan.snapshot(5).shape == (6, 28, 28)
    fresh = gan.sample(3, seed=9)
    assert fresh.shape == (3, 28, 28) and np.array_equal(fresh, gan.sample(3, seed=9))
    assert gan.realness(fresh).shape == (3,)


def test_quality_measures_on_known_inputs() -> None:
    torch.manual_seed(0)
    judge = build_judge(FASHION_ARCHITECTURE).eval()
    x = torch.rand(20, 1, 28, 28)
    q = sample_quality(judge, x, requested=np.zeros(20, dtype=int), threshold=0.0)
    assert q.readable_share == 1.0 and q.unreadable_share == 0.0
    assert q.confident_class_shares.sum() == pytest.approx(1.0) and q.class_shares.sum() == pytest.approx(1.0)
    strict = sample_quality(judge, x, threshold=1.01)
    assert strict.readable_share == 0.0 and strict.kinds_at_least(0.01) == 0 and strict.requested_share is None
    train = torch.rand(30, 1, 28, 28)
    copies = memorization(train[:10] + 0.001, train, torch.rand(10, 1, 28, 28))
    assert copies.ratio < 0.05 and list(copies.sample_nearest) == list(range(10))
    fresh = memorization(torch.rand(10, 1, 28, 28), train, torch.rand(10, 1, 28, 28))
    assert 0.8 < fresh.ratio < 1.25


def test_spread_within_kinds() -> None:
    from explainers.image_quality import spread_within_kinds

    same = torch.zeros(4, 1, 28, 28)
    varied = torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    spread = spread_within_kinds(torch.cat([same, varied]), np.array([0] * 4 + [1] * 4), num_classes=3)
    assert spread[0] == pytest.approx(0.0, abs=1e-6) and 0.3 < spread[1] < 0.5 and np.isnan(spread[2])

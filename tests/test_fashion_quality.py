"""Quality bars of the shipped clothes models (issue 14, and issue 16's memorization bar), re-measured on fresh samples.

CI-sized: fewer samples than the training-time measurements recorded in each config.json (which these tests also
check). Everything runs without the Fashion-MNIST package except the full model's memorization re-measurement,
which needs the 60,000 training pictures and is skipped when they are not installed."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from explainers.datasets import get_dataset, load_arrays, real_pictures
from explainers.diffusion import load_diffusion, sample
from explainers.digits import to_unit
from explainers.fashion import DatasetMissingError
from explainers.gan_images import load_image_gan
from explainers.image_quality import CONFIDENT, memorization, sample_quality
from explainers.judge import judge_report, load_judge
from explainers.store import model_dir, read_config
from explainers.vae import FASHION_GRID_SIZE, latent_grid, load_vae

pytestmark = pytest.mark.quality
DATA = get_dataset("fashion")


def _judge():
    return load_judge(DATA.model("judge"))


def test_judge_reads_real_clothes() -> None:
    metrics = read_config(DATA.model("judge"))["metrics"]
    assert metrics["heldout_accuracy"] >= 0.90  # the 10,000 official test pictures, at training time
    real = real_pictures(DATA)
    assert real.images.shape == (2000, 1, 28, 28)
    assert judge_report(_judge(), real.images).accuracy(real.labels) >= 0.90  # fresh, on the shipped sample


def _diffusion_samples(name: str, per_kind: int, seed: int) -> tuple[torch.Tensor, np.ndarray]:
    model = load_diffusion(name)
    labels = np.repeat(np.arange(10), per_kind)
    arch = read_config(name)["architecture"]
    chunks = [
        sample(model, labels[i : i + 50], seed=seed + i, sampler=arch["default_sampler"], steps=arch["default_steps"])
        for i in range(0, len(labels), 50)
    ]
    images = to_unit(torch.from_numpy(np.concatenate([c.samples for c in chunks]))[:, None])  # (N, 1, 28, 28)
    return images, labels


def test_diffusion_draws_the_kind_asked_for_at_the_page_defaults() -> None:
    metrics = read_config(DATA.model("diffusion"))["metrics"]
    assert metrics["conditional_accuracy"] >= 0.95
    images, labels = _diffusion_samples(DATA.model("diffusion"), 10, seed=321)
    quality = sample_quality(_judge(), images, requested=labels)
    assert quality.requested_share >= 0.93  # 100 fresh samples; the bar of 0.95 is measured on 500 in training
    assert metrics["frechet"] >= 0 and metrics["frechet_real_vs_real"] > 0


def test_gan_draws_every_kind_readably() -> None:
    metrics = read_config(DATA.model("gan"))["metrics"]
    assert metrics["min_class_share"] >= 0.03 and metrics["unreadable_share"] <= 0.15
    gan = load_image_gan(DATA.model("gan"))
    fakes = torch.from_numpy(gan.sample(1000, seed=77))[:, None]  # conditional: 100 of each kind asked for
    quality = sample_quality(_judge(), fakes, requested=gan.kinds(1000).numpy())
    assert quality.kinds_at_least(0.025) == 10  # every kind on 1,000 fresh fakes (3% on 2,000 in training)
    assert quality.unreadable_share <= 0.17
    assert quality.requested_share >= 0.85  # and mostly the kind that was asked for


def test_vae_map_shows_most_kinds_confidently() -> None:
    metrics = read_config(DATA.model("vae"))["metrics"]
    assert metrics["grid_classes_confident"] >= 8
    vae = load_vae(DATA.model("vae"))
    tiles = torch.from_numpy(latent_grid(vae, FASHION_GRID_SIZE).images).reshape(-1, 1, 28, 28)  # (225, 1, 28, 28)
    assert len(judge_report(_judge(), tiles).confident_classes(CONFIDENT)) >= 8


def test_tiny_diffusion_memorizes_and_the_full_model_does_not() -> None:
    tiny = DATA.model("diffusion_tiny")
    assert read_config(tiny)["metrics"]["memorization_ratio"] <= 0.3
    assert read_config(DATA.model("diffusion"))["metrics"]["memorization_ratio"] >= 0.8
    train = torch.from_numpy(load_arrays(tiny, "training_pictures.npz")["images"].astype(np.float32) / 255)[:, None]
    images, _ = _diffusion_samples(tiny, 5, seed=654)
    fresh = memorization(images, train, real_pictures(DATA).images)
    assert fresh.ratio <= 0.3


def test_full_diffusion_memorization_fresh() -> None:
    try:
        train = DATA.split().train_images
    except DatasetMissingError:
        pytest.skip("Fashion-MNIST's training pictures are not installed (apt-get install dataset-fashion-mnist)")
    images, _ = _diffusion_samples(DATA.model("diffusion"), 10, seed=987)
    assert memorization(images, train, real_pictures(DATA).images).ratio >= 0.8


def test_clothes_weights_fit_the_budget() -> None:
    names = [DATA.model(role) for role in DATA.models]
    total = sum(f.stat().st_size for name in names for f in model_dir(name).iterdir())
    assert total < 15 * 1024 * 1024, f"clothes models take {total / 1e6:.1f} MB"

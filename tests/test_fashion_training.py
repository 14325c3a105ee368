"""Every clothes trainer runs end to end (train, measure, save, load back) on a tiny fake Fashion-MNIST, in seconds.

The real data is replaced by random uint8 pictures and every budget by a token one, so this checks the plumbing
(recipes, evaluation, files shipped beside the weights, configs the store accepts), not quality: the quality bars
of the shipped models are in tests/test_fashion_quality.py."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

import training.diffusion as tdiff
import training.fashion_gan as tgan
import training.judge as tjudge
import training.vae as tvae
from explainers import fashion
from explainers.datasets import load_arrays, real_pictures
from explainers.diffusion import load_diffusion, sample
from explainers.diffusion_scheduler import ScheduleConfig
from explainers.gan_images import load_image_gan
from explainers.judge import judge_report, load_judge
from explainers.store import read_config
from explainers.vae import latent_grid, load_vae
from training.runner import Trainer, run_trainer

SMALL_UNET = {**tdiff.UNET_ARCHITECTURE, "channels": [8, 8, 8], "time_dim": 8, "cond_dim": 8}


@pytest.fixture()
def fake_fashion(tmp_path: Path, monkeypatch) -> Path:
    rng = np.random.default_rng(0)
    parts = {
        "train": (rng.integers(0, 256, (120, 28, 28), dtype=np.uint8), np.arange(120, dtype=np.uint8) % 10),
        "test": (rng.integers(0, 256, (60, 28, 28), dtype=np.uint8), np.arange(60, dtype=np.uint8) % 10),
    }
    monkeypatch.setattr(fashion, "load_uint8", lambda part, data_dir=None: parts[part])
    monkeypatch.setenv("GLASSBOX_PRETRAINED", str(tmp_path))
    monkeypatch.setattr(tjudge, "REAL_SAMPLE_PER_CLASS", 3)
    for module, names in (
        (tdiff, ("CLOTHES_EVAL_PER_CLASS", "CLOTHES_SWEEP_PER_CLASS", "CLOTHES_DDPM_PER_CLASS")),
        (tvae, ("CLOTHES_SAMPLES",)),
        (tgan, ("EVAL_SAMPLES",)),
    ):
        for name in names:
            monkeypatch.setattr(module, name, {"CLOTHES_SAMPLES": 30, "EVAL_SAMPLES": 30}.get(name, 2))
    from explainers import datasets

    datasets._real_pictures.cache_clear()
    yield tmp_path
    datasets._real_pictures.cache_clear()


def _run(name: str, train, root: Path) -> None:
    run_trainer(Trainer(name=name, title=name, description="test", train=train), seed=0, root=root)


def test_every_clothes_trainer_runs_end_to_end(fake_fashion: Path, monkeypatch) -> None:
    root = fake_fashion
    judge_recipe = replace(tjudge.FASHION_RECIPE, epochs=1, architecture={**tjudge.FASHION_RECIPE.architecture})
    _run("fashion_judge", tjudge.make_train(judge_recipe), root)
    real = real_pictures("fashion")
    assert real.images.shape == (30, 1, 28, 28) and sorted(set(real.labels.tolist())) == list(range(10))
    assert read_config("fashion_judge")["metrics"]["frechet_real_vs_real_500"] >= 0
    judge = load_judge("fashion_judge")
    assert judge.image_size == 28 and judge.dataset_key == "fashion"

    schedule = ScheduleConfig(num_train_timesteps=10)
    small = {"architecture": SMALL_UNET, "schedule": schedule, "batch_size": 4, "steps": 3}
    _run("fashion_diffusion", tdiff.make_train(replace(tdiff.FASHION_RECIPE, guidance_sweep=(1.0,), **small)), root)
    _run("fashion_diffusion_tiny", tdiff.make_train(replace(tdiff.TINY_RECIPE, train_per_class=2, **small)), root)
    for name in ("fashion_diffusion", "fashion_diffusion_tiny"):
        model = load_diffusion(name)
        out = sample(model, [1, 2], seed=0, sampler="ddim", steps=20)
        assert out.samples.shape == (2, 28, 28)
        metrics = read_config(name)["metrics"]
        assert 0 <= metrics["conditional_accuracy"] <= 1 and metrics["memorization_ratio"] > 0
        memo = load_arrays(name, tdiff.MEMORIZATION_FILE)
        assert memo["sample_images"].dtype == np.uint8 and memo["sample_nearest_images"].shape[1:] == (28, 28)
    pictures = load_arrays("fashion_diffusion_tiny", tdiff.TRAINING_PICTURES_FILE)
    assert pictures["images"].shape == (20, 28, 28) and sorted(set(pictures["labels"].tolist())) == list(range(10))
    weights = read_config("fashion_diffusion")["weights"]
    assert weights["bytes"] < 4 * weights["parameters"]  # stored as 16-bit floats

    vae_recipe = replace(tvae.FASHION_RECIPE, epochs=1, architecture={**tvae.FASHION_ARCHITECTURE, "hidden": [16, 8]})
    _run("fashion_vae", tvae.make_train(vae_recipe), root)
    vae = load_vae("fashion_vae")
    tiles = latent_grid(vae, 15).images
    assert tiles.shape == (15, 15, 28, 28)
    assert judge_report(judge, torch.from_numpy(tiles).reshape(-1, 1, 28, 28)).histogram.sum() == 225

    monkeypatch.setattr(tgan, "STEPS", 200)  # snapshots at 0, 100 and 200
    monkeypatch.setattr(tgan, "SNAPSHOTS", 3)
    monkeypatch.setattr(tgan, "SNAPSHOT_SAMPLES", 5)
    monkeypatch.setattr(tgan, "ARCH", {**tgan.ARCH, "g_channels": [8, 8, 4], "d_channels": [4, 8]})
    monkeypatch.setattr(tgan, "BATCH", 4)
    _run("fashion_gan", tgan.train, root)
    gan = load_image_gan("fashion_gan")
    assert gan.snapshot(0).shape == (5, 28, 28) and gan.sample(3, seed=1).shape == (3, 28, 28)
    assert read_config("fashion_gan")["metrics"]["eval_samples"] == 30

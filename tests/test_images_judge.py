"""Digit data, the judge's API, the Fréchet distance, and the shipped judge's quality bar."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from explainers.digits import split, to_signed, to_unit
from explainers.judge import (
    Judge,
    frechet_distance,
    frechet_to_heldout,
    judge_features,
    judge_report,
    load_judge,
)
from explainers.store import load_model


def test_split_is_fixed_stratified_and_in_unit_range() -> None:
    a, b = split(), split()
    assert torch.equal(a.train_images, b.train_images)
    assert a.train_images.shape[1:] == (1, 8, 8)
    assert a.train_images.shape[0] + a.heldout_images.shape[0] == 1797
    assert a.train_images.min() >= 0 and a.train_images.max() <= 1
    assert set(a.heldout_labels.tolist()) == set(range(10))
    counts = np.bincount(a.heldout_labels.numpy(), minlength=10)
    assert counts.min() >= 35


def test_signed_round_trip() -> None:
    x = split().heldout_images[:5]
    assert torch.allclose(to_unit(to_signed(x)), x)
    assert to_unit(torch.full((1, 1, 8, 8), 3.0)).max() == 1.0


def test_judge_shapes_on_random_model() -> None:
    judge = Judge().eval()
    x = torch.rand(7, 1, 8, 8)
    assert judge(x).shape == (7, 10)
    assert judge.features(x).shape == (7, 64)
    report = judge_report(judge, x)
    assert report.predicted.shape == (7,) and report.histogram.sum() == 7
    assert np.allclose(report.probabilities.sum(axis=1), 1.0)
    with pytest.raises(ValueError):
        judge_report(judge, torch.rand(3, 64))


def test_frechet_distance_properties() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(500, 6))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    # Pure mean shift: FD = |shift|^2 exactly when covariances are identical.
    assert frechet_distance(a, a + 2.0) == pytest.approx(6 * 4.0, rel=1e-6)
    # Gaussians N(0, I) vs N(0, 4I) in d dims: FD = d * (1 + 4 - 2*2) = d.
    assert frechet_distance(a, 2 * a) == pytest.approx(
        frechet_distance(a, a) + 6 * np.var(a, axis=0, ddof=1).mean(), rel=0.05
    )
    b = rng.normal(size=(400, 6)) + 1.0
    assert frechet_distance(a, b) == pytest.approx(frechet_distance(b, a), rel=1e-6)


@pytest.mark.quality
def test_shipped_judge_meets_bar() -> None:
    judge = load_judge()
    data = split()
    report = judge_report(judge, data.heldout_images)
    assert report.accuracy(data.heldout_labels) >= 0.97
    assert report.coverage() == 10
    config = load_model("judge").config
    assert config["metrics"]["heldout_accuracy"] >= 0.97
    baseline = config["metrics"]["frechet_real_vs_real"]
    assert frechet_to_heldout(judge, data.train_images) == pytest.approx(baseline, rel=1e-3)
    # Noise is far from real digits; real digits are close.
    noise = torch.rand(300, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    assert frechet_to_heldout(judge, noise) > 10 * baseline
    assert judge_features(judge, data.heldout_images[:3]).shape == (3, 64)

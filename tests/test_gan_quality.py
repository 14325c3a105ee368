"""The shipped digits GAN against its quality bar, re-measured with the judge on fresh samples."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from explainers.gan import ShippedDigitsGan, coverage_verdict, read_fakes, to_images
from explainers.judge import frechet_to_heldout, judge_report, load_judge
from explainers.store import load_model

pytestmark = pytest.mark.quality


@pytest.fixture(scope="module")
def shipped() -> ShippedDigitsGan:
    loaded = load_model("gan_digits")
    return ShippedDigitsGan(loaded.tensors, loaded.config)


@pytest.fixture(scope="module")
def judge():
    return load_judge()


def test_every_digit_makes_up_at_least_4_percent_of_1000_fakes(shipped, judge) -> None:
    images = shipped.sample(1000, seed=7)  # fresh noise, not the seed used for the recorded metric
    report = judge_report(judge, torch.from_numpy(images).unsqueeze(1))
    assert report.fractions.min() >= 0.04, report.histogram.tolist()
    # As the page counts them: only confident readings, the rest unreadable (issue 14's bars: 3% and 15%).
    verdict = coverage_verdict(*read_fakes(report.predicted, report.confidence, 10))
    assert verdict.kind == "healthy" and verdict.good, (verdict.shares.round(3).tolist(), verdict.unreadable)


def test_recorded_metrics_meet_the_bar_and_name_the_baseline(shipped) -> None:
    metrics = shipped.config["metrics"]
    assert metrics["min_class_share"] >= 0.04 and metrics["classes_at_least_4pct"] == 10
    assert metrics["eval_samples"] == 1000
    assert metrics["frechet_real_vs_real"] > 0 and metrics["frechet_to_heldout"] > metrics["frechet_real_vs_real"]


def test_frechet_distance_is_close_to_the_recorded_figure(shipped, judge) -> None:
    fd = frechet_to_heldout(judge, torch.from_numpy(shipped.sample(1000, seed=11)).unsqueeze(1))
    recorded = shipped.config["metrics"]["frechet_to_heldout"]
    assert fd < 2 * recorded + 1, (fd, recorded)
    assert fd < 10 * shipped.config["metrics"]["frechet_real_vs_real"]


def test_snapshots_go_from_noise_to_digits(shipped, judge) -> None:
    """The replay is real: the last snapshot is what the shipped forger draws from the stored noise."""
    assert shipped.snapshot_steps[0] == 0 and np.all(np.diff(shipped.snapshot_steps) > 0)
    with torch.inference_mode():
        regenerated = to_images(shipped.gen(shipped.fixed_z))
    assert np.abs(regenerated - shipped.snapshot(shipped.snapshots - 1)).max() <= 1 / 255 + 1e-6
    first, last = (torch.from_numpy(shipped.snapshot(i)).unsqueeze(1) for i in (0, shipped.snapshots - 1))
    assert judge_report(judge, first).coverage(0.03) <= 2  # untrained: grey blobs, all read as one digit
    assert judge_report(judge, last).coverage(0.03) == 10
    assert frechet_to_heldout(judge, last) < frechet_to_heldout(judge, first) / 5


def test_sampling_is_deterministic_from_a_seed(shipped) -> None:
    assert np.array_equal(shipped.sample(8, seed=3), shipped.sample(8, seed=3))
    assert not np.array_equal(shipped.sample(8, seed=3), shipped.sample(8, seed=4))


def test_shipped_files_are_small() -> None:
    size = load_model("gan_digits").config["weights"]["bytes"]
    assert size < 1_500_000

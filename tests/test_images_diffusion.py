"""Diffusion: the scheduler's maths, sampler agreement, determinism, and the shipped model's quality bar."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from explainers.diffusion import build_denoiser, forward_process, load_diffusion, make_model, sample
from explainers.diffusion_scheduler import DDIMScheduler, DDPMScheduler, NoiseSchedule, ScheduleConfig
from explainers.digits import split, to_signed, to_unit
from explainers.judge import judge_report, load_judge

CONFIGS = [
    ScheduleConfig(num_train_timesteps=50, beta_schedule="cosine"),
    ScheduleConfig(num_train_timesteps=40, beta_schedule="linear", beta_start=1e-3, beta_end=0.2),
]


def _x0(n: int = 3) -> torch.Tensor:
    return to_signed(split().heldout_images[:n]).double()


@pytest.mark.parametrize("config", CONFIGS)
def test_add_noise_matches_closed_form(config: ScheduleConfig) -> None:
    sched = NoiseSchedule(config)
    x0 = _x0()
    noise = torch.randn(x0.shape, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    for t in (0, 7, config.num_train_timesteps - 1):
        ab = float(np.prod([1 - float(b) for b in sched.betas[: t + 1]]))
        expected = math.sqrt(ab) * x0 + math.sqrt(1 - ab) * noise
        assert torch.allclose(sched.add_noise(x0, noise, t), expected, atol=1e-10)
    # Per-image timesteps broadcast over pixels.
    ts = torch.tensor([0, 5, 9])
    per_image = sched.add_noise(x0, noise, ts)
    for i, t in enumerate(ts.tolist()):
        assert torch.allclose(per_image[i], sched.add_noise(x0[i : i + 1], noise[i : i + 1], t)[0])


def test_schedule_is_monotone() -> None:
    sched = NoiseSchedule(ScheduleConfig())
    ab = sched.alphas_cumprod
    assert torch.all(ab[1:] < ab[:-1]) and ab[0] > 0.99 and ab[-1] < 1e-3
    assert torch.all((sched.betas > 0) & (sched.betas < 1))


def _exact_eps(sched: NoiseSchedule, x0: torch.Tensor):
    """A fake network that knows x0: eps = (x_t - sqrt(a_bar) x0) / sqrt(1 - a_bar)."""

    def predict(x_t: torch.Tensor, t: int) -> torch.Tensor:
        ab = float(sched.alpha_bar(t))
        return (x_t - math.sqrt(ab) * x0) / math.sqrt(1 - ab)

    return predict


@pytest.mark.parametrize("config", CONFIGS)
def test_step_recovers_x0_with_exact_noise_predictor(config: ScheduleConfig) -> None:
    x0 = _x0()
    gen = torch.Generator().manual_seed(1)
    ddpm, ddim = DDPMScheduler(config), DDIMScheduler(config)
    # DDPM: every step predicts x0 exactly, and the chain ends exactly on x0.
    predict = _exact_eps(ddpm, x0)
    x = torch.randn(x0.shape, generator=gen, dtype=torch.float64)
    for t in ddpm.timesteps():
        out = ddpm.step(predict(x, t), t, x, generator=gen)
        assert torch.allclose(out.pred_original_sample, x0, atol=1e-6)
        x = out.prev_sample
    assert torch.allclose(x, x0, atol=1e-6)
    # DDIM with few steps lands on x0 too.
    for n_steps in (1, 5, 10):
        ts = ddim.timesteps(n_steps)
        x = torch.randn(x0.shape, generator=gen, dtype=torch.float64)
        for i, t in enumerate(ts):
            prev_t = ts[i + 1] if i + 1 < len(ts) else -1
            x = ddim.step(predict(x, t), t, x, prev_t).prev_sample
        assert torch.allclose(x, x0, atol=1e-6)


@pytest.mark.parametrize("config", CONFIGS)
def test_ddim_eta1_full_steps_equals_ddpm(config: ScheduleConfig) -> None:
    """DDIM paper: with eta = 1 on consecutive timesteps, the DDIM step is the DDPM step."""
    ddpm, ddim = DDPMScheduler(config), DDIMScheduler(config)
    assert ddim.timesteps(config.num_train_timesteps) == ddpm.timesteps()
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(4, 1, 8, 8, generator=gen, dtype=torch.float64) * 0.5
    eps = torch.randn(4, 1, 8, 8, generator=gen, dtype=torch.float64) * 0.3
    z = torch.randn(4, 1, 8, 8, generator=gen, dtype=torch.float64)
    for t in (config.num_train_timesteps - 1, 10, 1, 0):
        a = ddpm.step(eps, t, x, noise=z)
        b = ddim.step(eps, t, x, t - 1, eta=1.0, noise=z)
        assert torch.allclose(a.prev_sample, b.prev_sample, atol=1e-8)
        assert torch.allclose(a.pred_original_sample, b.pred_original_sample)


def test_ddim_timesteps_are_capped_and_end_at_zero() -> None:
    ddim = DDIMScheduler(ScheduleConfig(num_train_timesteps=200))
    for n in (1, 2, 20, 200, 5000):
        ts = ddim.timesteps(n)
        assert ts[0] == 199 and (ts[-1] == 0 or n == 1)
        assert ts == sorted(ts, reverse=True) and len(ts) == min(n, 200)


def test_tiny_model_sampling_is_deterministic_and_shaped() -> None:
    torch.manual_seed(0)
    model = make_model(
        build_denoiser({"pixels": 64, "hidden": 32, "blocks": 1, "time_dim": 16, "num_classes": 10}),
        ScheduleConfig(num_train_timesteps=20),
    )
    a = sample(model, [3, 7], seed=5, sampler="ddpm", record=True)
    b = sample(model, [3, 7], seed=5, sampler="ddpm", record=True)
    c = sample(model, [3, 7], seed=6, sampler="ddpm")
    assert np.array_equal(a.samples, b.samples) and not np.array_equal(a.samples, c.samples)
    assert a.x_t.shape == (20, 2, 8, 8) and a.eps.shape == a.x0_pred.shape == a.x_t.shape
    d = sample(model, [1], seed=5, sampler="ddim", steps=4, record=True)
    assert d.x_t.shape == (4, 1, 8, 8) and list(d.timesteps) == [19, 13, 6, 0]
    with pytest.raises(ValueError):
        sample(model, [12], seed=0)
    fp = forward_process(model, to_signed(split().heldout_images[0]), [0, 10, 19], seed=0)
    assert fp.images.shape == (3, 8, 8) and fp.signal[0] > fp.signal[-1]


@pytest.mark.quality
def test_shipped_diffusion_meets_bar() -> None:
    """CI-sized re-measurement: 10 samples per digit, full DDPM, shipped default guidance."""
    model = load_diffusion()
    judge = load_judge()
    labels = np.repeat(np.arange(10), 10)
    traj = sample(model, labels[:50], seed=123)
    traj2 = sample(model, labels[50:], seed=124)
    fakes = to_unit(torch.from_numpy(np.concatenate([traj.samples, traj2.samples]))[:, None])
    assert judge_report(judge, fakes).accuracy(labels) >= 0.95
    # The fast sampler also makes the requested digits.
    fast = sample(model, labels[::2], seed=7, sampler="ddim", steps=20)
    assert judge_report(judge, to_unit(torch.from_numpy(fast.samples)[:, None])).accuracy(labels[::2]) >= 0.9


def test_precomputed_conditions_match_plain_forward() -> None:
    torch.manual_seed(0)
    net = build_denoiser({"pixels": 64, "hidden": 32, "blocks": 2, "time_dim": 16, "num_classes": 10}).eval()
    x = torch.randn(3, 1, 8, 8)
    labels = torch.tensor([1, 4, 10])
    t = torch.tensor([0, 7, 19])
    assert torch.allclose(net(x, t, labels), net.denoise(x, net.conditions(t, labels)))
    from explainers.diffusion import guided_eps

    plain = guided_eps(net, x, 5, labels[:3].clamp(max=9), 2.5)
    both = torch.cat([labels.clamp(max=9), torch.full((3,), 10)])
    pre = guided_eps(net, x, 5, labels.clamp(max=9), 2.5, conds=net.conditions(torch.full((6,), 5), both))
    assert torch.allclose(plain, pre, atol=1e-6)
    # guidance 1 is plain conditioning; 0 ignores the digit.
    assert torch.allclose(
        guided_eps(net, x, 5, labels.clamp(max=9), 1.0), net(x, torch.full((3,), 5), labels.clamp(max=9)), atol=1e-5
    )


def _tiny_model():
    torch.manual_seed(0)
    return make_model(
        build_denoiser({"pixels": 64, "hidden": 32, "blocks": 1, "time_dim": 16, "num_classes": 10}),
        ScheduleConfig(num_train_timesteps=20),
    )


def test_sample_refuses_more_than_max_batch_instead_of_truncating() -> None:
    from explainers.diffusion import MAX_BATCH

    model = _tiny_model()
    assert sample(model, [1] * MAX_BATCH, seed=0, sampler="ddim", steps=2).samples.shape[0] == MAX_BATCH
    with pytest.raises(ValueError, match="at most 64"):
        sample(model, [1] * (MAX_BATCH + 1), seed=0, sampler="ddim", steps=2)


def test_closeness_to_final_and_schedule_curves() -> None:
    from explainers.diffusion import closeness_to_final, schedule_curves

    model = _tiny_model()
    traj = sample(model, [3, 5], seed=1, sampler="ddpm", record=True)
    close = closeness_to_final(traj)
    assert close.shape == (20,) and np.all((close >= 0) & (close <= 1))
    expected = 1 - np.abs(traj.x0_pred[:, 1] - traj.samples[1][None]).mean(axis=(1, 2)) / 2
    assert np.allclose(closeness_to_final(traj, image=1), expected)
    with pytest.raises(ValueError):
        closeness_to_final(sample(model, [3], seed=1, sampler="ddim", steps=3))
    t, signal, noise = schedule_curves(model)
    assert t.tolist() == list(range(20)) and np.allclose(signal**2 + noise**2, 1.0)
    assert np.all(np.diff(signal) < 0)


@pytest.mark.parametrize("dataset", ["fashion", "digits"])
def test_the_first_clean_guess_is_stark_then_blurry(dataset: str) -> None:
    """What the diffusion page says of the clean guesses: at the first step (almost pure static) undoing the noise
    blows the guess up to black and white; from the next step on it is a blurry average (many greys)."""
    from explainers.datasets import get_dataset

    model = load_diffusion(get_dataset(dataset).model("diffusion"))
    run = sample(model, [7], seed=0, guidance=model.default_guidance, sampler="ddim", steps=20, record=True)
    guesses = to_unit(torch.as_tensor(run.x0_pred[:, 0])).numpy()
    stark = ((guesses <= 0.01) | (guesses >= 0.99)).mean(axis=(1, 2))
    assert stark[0] > 0.9, stark[:3]
    assert stark[1] < 0.75, stark[:3]

"""Train the class-conditional diffusion denoiser (eps-prediction, classifier-free guidance), then judge it.

python -m training diffusion
"""

from __future__ import annotations

import copy
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from explainers.diffusion import DEFAULT_ARCHITECTURE, DEFAULT_GUIDANCE, NULL_CLASS, build_denoiser, make_model, sample
from explainers.diffusion_scheduler import NoiseSchedule, ScheduleConfig
from explainers.digits import SOURCE, split, to_signed, to_unit
from explainers.judge import frechet_to_heldout, judge_report, load_judge
from explainers.store import read_config
from training.judge import single_thread
from training.runner import Trainer, TrainResult, progress

SCHEDULE = ScheduleConfig(num_train_timesteps=200, beta_schedule="cosine")
STEPS = int(os.environ.get("GLASSBOX_DIFFUSION_STEPS", 8000))
BATCH = 128
LR = 2e-3
P_UNCOND = 0.15  # how often the label is hidden, so the same network learns the unconditional model too
EMA_DECAY = 0.999
EVAL_PER_CLASS = 50  # 500 conditional samples for the accuracy bar at the default guidance
SWEEP_PER_CLASS = 20  # 200 samples per guidance value in the sweep
FRECHET_PER_CLASS = 50  # 500 samples for the Fréchet distance
GUIDANCE_SWEEP = (0.0, 1.0, 2.0, 3.0)


def train(seed: int) -> TrainResult:
    with single_thread():  # see training/judge.py: far faster for tiny networks on a shared 2-core machine
        return _train(seed)


def _train(seed: int) -> TrainResult:
    gen = torch.Generator().manual_seed(seed)
    data = split()
    x_all = to_signed(data.train_images)  # the model works in [-1, 1]
    y_all = data.train_labels
    n = x_all.shape[0]
    schedule = NoiseSchedule(SCHEDULE)
    net = build_denoiser(DEFAULT_ARCHITECTURE)
    ema = copy.deepcopy(net).eval()
    opt = torch.optim.AdamW(net.parameters(), lr=LR, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=LR, total_steps=STEPS, pct_start=0.05)
    bar = progress(range(STEPS), desc="diffusion")
    running = None
    losses = []
    for step in bar:
        idx = torch.randint(0, n, (BATCH,), generator=gen)
        x0, y = x_all[idx], y_all[idx].clone()
        y[torch.rand(BATCH, generator=gen) < P_UNCOND] = NULL_CLASS
        t = torch.randint(0, SCHEDULE.num_train_timesteps, (BATCH,), generator=gen)
        noise = torch.randn(x0.shape, generator=gen)
        x_t = schedule.add_noise(x0, noise, t)  # DDPM eq. 4
        loss = F.mse_loss(net(x_t, t, y), noise)  # DDPM eq. 14 ("L_simple")
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        with torch.no_grad():
            for p_ema, p in zip(ema.parameters(), net.parameters(), strict=True):
                p_ema.lerp_(p, 1 - EMA_DECAY)
        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        if step % 100 == 0:
            bar.set_postfix(loss=f"{running:.4f}")
            losses.append(round(running, 5))

    judge = load_judge()
    model = make_model(ema, SCHEDULE, DEFAULT_GUIDANCE)
    labels = np.repeat(np.arange(10), EVAL_PER_CLASS)
    metrics: dict[str, object] = {}
    started = time.perf_counter()
    # The bar: 500 fresh DDPM samples at the default guidance; the same samples give the Fréchet distance.
    fakes = _generate(model, labels, seed + 1, DEFAULT_GUIDANCE, "ddpm")
    report = judge_report(judge, fakes)
    sweep_labels = np.repeat(np.arange(10), SWEEP_PER_CLASS)
    for w in GUIDANCE_SWEEP:
        if w == DEFAULT_GUIDANCE:
            metrics[f"conditional_accuracy_ddpm_w{w:g}"] = round(report.accuracy(labels), 4)
        else:
            metrics[f"conditional_accuracy_ddpm_w{w:g}"] = _accuracy(judge, model, sweep_labels, seed + 2, w, "ddpm")
    metrics["conditional_accuracy"] = round(report.accuracy(labels), 4)
    fast = _generate(model, labels, seed + 3, DEFAULT_GUIDANCE, "ddim", 20)
    metrics["conditional_accuracy_ddim20"] = round(judge_report(judge, fast).accuracy(labels), 4)
    metrics["frechet_ddpm"] = round(frechet_to_heldout(judge, fakes), 3)
    metrics["frechet_ddim20"] = round(frechet_to_heldout(judge, fast), 3)
    judge_metrics = read_config("judge")["metrics"]
    metrics["frechet_real_vs_real"] = float(judge_metrics["frechet_real_vs_real"])
    metrics["frechet_real_vs_real_359"] = float(judge_metrics.get("frechet_real_vs_real_359", 0.0))
    metrics["class_coverage"] = report.coverage()
    metrics["final_loss"] = losses[-1] if losses else None
    eval_seconds = time.perf_counter() - started
    notes = {
        f"conditional_accuracy_ddpm_w{w:g}": f"share judged as the requested digit, DDPM, guidance {w:g} "
        f"({len(labels) if w == DEFAULT_GUIDANCE else 10 * SWEEP_PER_CLASS} samples)"
        for w in GUIDANCE_SWEEP
    }
    notes.update(
        {
            "conditional_accuracy": f"share of {len(labels)} samples the judge reads as the requested digit, at the "
            f"default guidance {DEFAULT_GUIDANCE:g} with the full DDPM sampler (bar: at least 0.95)",
            "conditional_accuracy_ddim20": "same with the fast DDIM sampler, 20 steps",
            "frechet_ddpm": f"Fréchet distance on judge features, the same {len(labels)} DDPM samples vs the 359 "
            "held-out real digits (lower is better)",
            "frechet_ddim20": "same with DDIM, 20 steps",
            "frechet_real_vs_real": "baseline: real training digits vs held-out real digits",
            "class_coverage": "digits present among the DDPM samples (of 10)",
            "frechet_real_vs_real_359": "baseline with 359 real training digits, a sample size like the generators'",
            "final_loss": "noise-prediction error (mean squared) at the end of training",
        }
    )
    return TrainResult(
        tensors=ema.state_dict(),
        architecture={
            **DEFAULT_ARCHITECTURE,
            "schedule": SCHEDULE.to_dict(),
            "default_guidance": DEFAULT_GUIDANCE,
            "prediction": "epsilon",
            "null_class": NULL_CLASS,
        },
        training={
            "steps": STEPS,
            "torch_threads_used": 1,
            "batch_size": BATCH,
            "optimizer": "AdamW",
            "lr": LR,
            "schedule": "one-cycle",
            "p_uncond": P_UNCOND,
            "ema_decay": EMA_DECAY,
            "loss": "MSE on predicted noise (DDPM L_simple)",
            "loss_every_100_steps": losses,
            "evaluation_seconds": round(eval_seconds, 1),
        },
        data={
            "description": "1,438 real 8x8 handwritten digits (training split), pixels scaled to [-1, 1].",
            "source": SOURCE,
        },
        metrics=metrics,
        metric_notes=notes,
        card_notes="The shipped weights are an exponential moving average of the training weights. "
        "The noise schedule and default guidance are in config.json under `architecture`.",
    )


def _generate(model, labels: np.ndarray, seed: int, guidance: float, sampler: str, steps: int = 20) -> torch.Tensor:
    chunks = [
        sample(model, labels[i : i + 64], seed=seed + i, guidance=guidance, sampler=sampler, steps=steps).samples
        for i in range(0, len(labels), 64)
    ]
    return to_unit(torch.from_numpy(np.concatenate(chunks))[:, None])


def _accuracy(judge, model, labels: np.ndarray, seed: int, guidance: float, sampler: str, steps: int = 20) -> float:
    fakes = _generate(model, labels, seed, guidance, sampler, steps)
    return round(judge_report(judge, fakes).accuracy(labels), 4)


TRAINER = Trainer(
    name="diffusion",
    title="Diffusion: a class-conditional denoiser for digits",
    description="A small network that looks at a noisy 8x8 image and guesses the noise in it, told which digit "
    "it should become. Removing that guess step by step turns pure noise into a handwritten digit.",
    train=train,
    default_seed=0,
)

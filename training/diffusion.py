"""Train a class-conditional diffusion denoiser (eps-prediction, classifier-free guidance), then judge it.

python -m training diffusion                # 8x8 digits, MLP denoiser
python -m training fashion_diffusion        # 28x28 clothes, small U-Net (needs dataset-fashion-mnist)
python -m training fashion_diffusion_tiny   # the same U-Net on only 48 pictures: it memorizes them (Limits page)

One training loop serves all three (a recipe sets the network, data and budget); the evaluation differs: the
digits model is measured with the full DDPM sampler, the clothes models at the page defaults (DDIM, 20 steps).
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from explainers.datasets import get_dataset, pack_arrays, real_pictures, to_uint8
from explainers.diffusion import DEFAULT_ARCHITECTURE, DEFAULT_GUIDANCE, NULL_CLASS, build_denoiser, make_model, sample
from explainers.diffusion_scheduler import NoiseSchedule, ScheduleConfig
from explainers.digits import split, to_signed, to_unit
from explainers.fashion import stratified_sample
from explainers.image_quality import CONFIDENT, memorization, sample_quality, spread_within_kinds
from explainers.judge import frechet_to_heldout, judge_report, load_judge
from explainers.storage import INT8_STORAGE
from explainers.store import read_config
from training.judge import frechet_floor
from training.runner import Trainer, TrainResult, float16_storage, on_one_thread, progress, ship_int8

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

# The clothes U-Net: 0.70 M parameters. 96 rather than 128 channels at 7x7: a 16-picture grid (DDIM, 20 steps,
# guidance) measured 1.25 s instead of 1.57 s of one busy core. See explainers/unet.py for why no block runs at
# 28x28 on the way down.
UNET_ARCHITECTURE: dict[str, Any] = {
    "kind": "unet",
    "image_size": 28,
    "channels": [32, 64, 96],
    "down_blocks": [0, 1, 1],
    "up_blocks": [1, 1, 1],
    "time_dim": 64,
    "cond_dim": 128,
    "num_classes": 10,
}
PAGE_SAMPLER = "ddim"  # the Diffusion page's defaults for clothes, where the bars are measured
PAGE_STEPS = 20


@dataclass(frozen=True)
class DiffusionRecipe:
    name: str
    dataset: str
    architecture: dict[str, Any]
    schedule: ScheduleConfig
    default_guidance: float
    steps: int
    batch_size: int
    lr: float
    p_uncond: float = P_UNCOND
    ema_decay: float = EMA_DECAY
    pct_start: float = 0.05
    train_per_class: int | None = None  # only this many training pictures of each kind (the memorizing model)
    train_seed: int = 16
    eval_per_class: int = 50  # samples of each kind for the bar, Fréchet distance and memorization
    bf16: bool = False  # bfloat16 autocast for the network's forward pass (where the CPU supports it)
    guidance_sweep: tuple[float, ...] = field(default=GUIDANCE_SWEEP)


DIGITS_RECIPE = DiffusionRecipe(
    "diffusion", "digits", DEFAULT_ARCHITECTURE, SCHEDULE, DEFAULT_GUIDANCE, STEPS, BATCH, LR
)
FASHION_RECIPE = DiffusionRecipe(
    "fashion_diffusion",
    "fashion",
    UNET_ARCHITECTURE,
    ScheduleConfig(num_train_timesteps=200, beta_schedule="cosine"),
    default_guidance=3.0,
    steps=int(os.environ.get("GLASSBOX_FASHION_DIFFUSION_STEPS", 2000)),
    batch_size=96,
    lr=2e-3,
    ema_decay=0.995,
    bf16=True,
    guidance_sweep=(1.0, 2.0, 3.0, 5.0),
)
TINY_RECIPE = DiffusionRecipe(
    "fashion_diffusion_tiny",
    "fashion",
    UNET_ARCHITECTURE,
    ScheduleConfig(num_train_timesteps=200, beta_schedule="cosine"),
    default_guidance=3.0,
    # Measured: 1,200 steps of 32 left near-copies at 0.41 of the held-out distance; 2,250 of 40 reached 0.19.
    steps=int(os.environ.get("GLASSBOX_TINY_DIFFUSION_STEPS", 2000)),
    batch_size=40,
    lr=2e-3,
    ema_decay=0.99,
    bf16=True,
    train_per_class=4,
    eval_per_class=20,
    guidance_sweep=(),
)


def make_train(recipe: DiffusionRecipe) -> Callable[[int], TrainResult]:
    return on_one_thread(_train, recipe)


def bf16_supported() -> bool:
    """Whether this CPU runs bfloat16 convolutions natively (AVX512-BF16 or AMX); elsewhere autocast would be slow."""
    return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())


def uses_bf16(recipe: DiffusionRecipe) -> bool:
    return recipe.bf16 and bf16_supported()


def fit(recipe: DiffusionRecipe, x_all: torch.Tensor, y_all: torch.Tensor, seed: int):
    """The training loop: returns the EMA network and the loss curve (every 100 steps).

    With recipe.bf16 (and CPU support) the network's forward pass runs under bfloat16 autocast: measured 1.4x to
    1.7x faster per step for the U-Net here; weights, optimiser state and the loss stay float32."""
    gen = torch.Generator().manual_seed(seed)
    n = x_all.shape[0]
    T = recipe.schedule.num_train_timesteps
    schedule = NoiseSchedule(recipe.schedule)
    net = build_denoiser(recipe.architecture)
    ema = copy.deepcopy(net).eval()
    opt = torch.optim.AdamW(net.parameters(), lr=recipe.lr, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=recipe.lr, total_steps=recipe.steps, pct_start=recipe.pct_start
    )
    bar = progress(range(recipe.steps), desc=recipe.name)
    running = None
    losses = []
    for step in bar:
        idx = torch.randint(0, n, (recipe.batch_size,), generator=gen)
        x0, y = x_all[idx], y_all[idx].clone()
        y[torch.rand(recipe.batch_size, generator=gen) < recipe.p_uncond] = NULL_CLASS
        t = torch.randint(0, T, (recipe.batch_size,), generator=gen)
        noise = torch.randn(x0.shape, generator=gen)
        x_t = schedule.add_noise(x0, noise, t)  # DDPM eq. 4
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=uses_bf16(recipe)):
            eps = net(x_t, t, y)
        loss = F.mse_loss(eps.float(), noise)  # DDPM eq. 14 ("L_simple")
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        with torch.no_grad():
            for p_ema, p in zip(ema.parameters(), net.parameters(), strict=True):
                p_ema.lerp_(p, 1 - recipe.ema_decay)
        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        if step % 100 == 0:
            bar.set_postfix(loss=f"{running:.4f}")
            losses.append(round(running, 5))
    return ema, losses


def _train(recipe: DiffusionRecipe, seed: int) -> TrainResult:
    if recipe.dataset == "digits":
        data = split()
        ema, losses = fit(recipe, to_signed(data.train_images), data.train_labels, seed)  # the model works in [-1, 1]
        shipped = ship_int8(ema)  # measured below after the round trip
        return _digits_result(recipe, ema, shipped, losses, seed)
    data = get_dataset(recipe.dataset).split()
    x_train, y_train = data.train_images, data.train_labels
    subset = None
    if recipe.train_per_class:
        subset = stratified_sample(y_train.numpy(), recipe.train_per_class, recipe.train_seed)
        x_train, y_train = x_train[subset], y_train[subset]
    started = time.perf_counter()
    ema, losses = fit(recipe, to_signed(x_train), y_train, seed)
    train_seconds = time.perf_counter() - started
    shipped = float16_storage(ema.state_dict())
    ema.load_state_dict(shipped)  # measure exactly what ships: the weights after rounding to 16 bits
    return _clothes_result(recipe, ema, shipped, losses, seed, data, subset, train_seconds)


# ----------------------------------------------------------------------------- sampling helpers


def generate(model, labels: np.ndarray, seed: int, guidance: float, sampler: str, steps: int = 20) -> torch.Tensor:
    """Samples for many labels, 64 at a time (sample's cap), as (N, 1, S, S) in [0, 1]."""
    chunks = [
        sample(model, labels[i : i + 64], seed=seed + i, guidance=guidance, sampler=sampler, steps=steps).samples
        for i in range(0, len(labels), 64)
    ]
    return to_unit(torch.from_numpy(np.concatenate(chunks))[:, None])  # (N, S, S) -> (N, 1, S, S)


_generate = generate  # the digits evaluation below predates the public name


def _accuracy(judge, model, labels: np.ndarray, seed: int, guidance: float, sampler: str, steps: int = 20) -> float:
    fakes = generate(model, labels, seed, guidance, sampler, steps)
    return round(judge_report(judge, fakes).accuracy(labels), 4)


# ----------------------------------------------------------------------------- digits (unchanged evaluation)


def _digits_result(
    recipe: DiffusionRecipe, ema, shipped: dict[str, torch.Tensor], losses: list[float], seed: int
) -> TrainResult:
    judge = load_judge()
    model = make_model(ema, recipe.schedule, recipe.default_guidance)
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
        tensors=shipped,
        architecture={
            **recipe.architecture,
            "schedule": recipe.schedule.to_dict(),
            "default_guidance": recipe.default_guidance,
            "prediction": "epsilon",
            "null_class": NULL_CLASS,
        },
        training=_training_block(recipe, losses, eval_seconds) | {"weights_storage": INT8_STORAGE},
        data={
            "description": "1,438 real 8x8 handwritten digits (training split), pixels scaled to [-1, 1].",
            "source": get_dataset("digits").source,
        },
        metrics=metrics,
        metric_notes=notes,
        card_notes="The shipped weights are an exponential moving average of the training weights. "
        "The noise schedule and default guidance are in config.json under `architecture`.",
    )


def _training_block(recipe: DiffusionRecipe, losses: list[float], eval_seconds: float) -> dict[str, Any]:
    return {
        "steps": recipe.steps,
        "torch_threads_used": 1,
        "batch_size": recipe.batch_size,
        "optimizer": "AdamW",
        "lr": recipe.lr,
        "schedule": "one-cycle",
        "p_uncond": recipe.p_uncond,
        "ema_decay": recipe.ema_decay,
        "loss": "MSE on predicted noise (DDPM L_simple)",
        "mixed_precision": "bfloat16 autocast (forward pass)" if uses_bf16(recipe) else "none (float32)",
        "loss_every_100_steps": losses,
        "evaluation_seconds": round(eval_seconds, 1),
    }


# ----------------------------------------------------------------------------- clothes

EVAL_SEED = 2024
CLOTHES_EVAL_PER_CLASS = 50  # at most 500 samples at the page defaults: the bar, the Fréchet distance, memorization
CLOTHES_SWEEP_PER_CLASS = 10  # 100 samples per guidance value
CLOTHES_DDPM_PER_CLASS = 5  # 50 samples with the full DDPM sampler (200 network passes each, so few)
MEMORY_EXAMPLES = 20  # pictures saved with their nearest training picture, for the pages
MEMORIZATION_FILE = "memorization.npz"
TRAINING_PICTURES_FILE = "training_pictures.npz"


def _clothes_result(recipe, ema, shipped, losses, seed, data, subset, train_seconds) -> TrainResult:
    dataset = get_dataset(recipe.dataset)
    judge = load_judge(dataset.model("judge"))
    judge_metrics = read_config(dataset.model("judge"))["metrics"]
    model = make_model(ema, recipe.schedule, recipe.default_guidance)
    started = time.perf_counter()
    labels = np.repeat(np.arange(10), min(recipe.eval_per_class, CLOTHES_EVAL_PER_CLASS))
    w = recipe.default_guidance
    fakes = generate(model, labels, seed + EVAL_SEED, w, PAGE_SAMPLER, PAGE_STEPS)  # the page defaults
    quality = sample_quality(judge, fakes, requested=labels)
    metrics: dict[str, Any] = {
        "conditional_accuracy": round(quality.requested_share, 4),
        "readable_share": round(quality.readable_share, 4),
        "rarest_confident_share": round(quality.rarest_confident_share, 4),
        "per_kind_accuracy": {
            name: round(float((judge_report(judge, fakes[labels == k]).predicted == k).mean()), 4)
            for k, name in enumerate(dataset.class_names)
        },
    }
    notes = {
        "conditional_accuracy": f"share of {len(labels)} samples ({len(labels) // 10} of each kind) the judge reads "
        "as the kind asked "
        f"for, at the page defaults: DDIM with {PAGE_STEPS} steps, guidance {w:g} (bar: at least 0.95)",
        "readable_share": f"share of those samples the judge reads with confidence >= {CONFIDENT}",
        "rarest_confident_share": "share of samples confidently read as the rarest kind (every kind is asked for "
        "equally often, so 0.1 would be perfect)",
        "per_kind_accuracy": "share judged as the requested kind, for each kind",
    }
    for g in recipe.guidance_sweep:
        sweep_labels = np.repeat(np.arange(10), CLOTHES_SWEEP_PER_CLASS)
        key = f"conditional_accuracy_ddim20_w{g:g}"
        metrics[key] = _accuracy(judge, model, sweep_labels, seed + EVAL_SEED + 1, g, PAGE_SAMPLER, PAGE_STEPS)
        notes[key] = f"share judged as the requested kind, DDIM 20 steps, guidance {g:g} ({len(sweep_labels)} samples)"
    if recipe.guidance_sweep:
        ddpm_labels = np.repeat(np.arange(10), CLOTHES_DDPM_PER_CLASS)
        metrics["conditional_accuracy_ddpm"] = _accuracy(judge, model, ddpm_labels, seed + EVAL_SEED + 2, w, "ddpm")
        notes["conditional_accuracy_ddpm"] = (
            f"same with the full DDPM sampler ({recipe.schedule.num_train_timesteps} steps), guidance {w:g} "
            f"({len(ddpm_labels)} samples)"
        )
    n = len(labels)
    metrics["frechet"] = round(frechet_to_heldout(judge, fakes), 3)
    metrics["frechet_samples"] = n
    metrics["frechet_real_vs_real"] = frechet_floor(judge_metrics, n)
    notes["frechet"] = (
        f"Fréchet distance on the judge's features, the same {n} samples vs the 2,000 shipped real held-out "
        "pictures (lower is closer to real)"
    )
    notes["frechet_samples"] = "how many samples the Fréchet distance used"
    notes["frechet_real_vs_real"] = f"the floor: {n} real training pictures vs the same 2,000 held-out ones"

    # Memorization: how close each sample sits to its nearest training picture, against real held-out pictures.
    train_pool = data.train_images if subset is None else data.train_images[torch.from_numpy(subset)]
    real = real_pictures(dataset)  # the 2,000 shipped held-out pictures: the same reference for every model
    memo = memorization(fakes, train_pool, real.images)
    spread = spread_within_kinds(fakes, judge_report(judge, fakes).predicted)
    metrics["spread_within_kinds"] = round(float(np.nanmean(spread)), 4)
    metrics["real_spread_within_kinds"] = round(float(np.nanmean(spread_within_kinds(real.images, real.labels))), 4)
    notes["spread_within_kinds"] = (
        "diversity: mean pixel distance (RMS, 0..1) between two samples the judge reads as the same kind, "
        "averaged over kinds"
    )
    notes["real_spread_within_kinds"] = "the same for the 2,000 real held-out pictures (by their true kind)"
    metrics["memorization_ratio"] = round(memo.ratio, 4)
    metrics["median_nearest_training_distance"] = round(float(np.median(memo.sample_distance)), 4)
    metrics["heldout_median_nearest_training_distance"] = round(float(np.median(memo.heldout_distance)), 4)
    pool_words = f"the {len(train_pool):,} training pictures"
    notes["memorization_ratio"] = (
        f"median distance from a sample to its nearest picture among {pool_words}, divided by the same for the "
        "2,000 shipped real held-out pictures: about 1 = as new as an unseen real picture, near 0 = copies"
        + (" (bar: at most 0.3)" if subset is not None else " (bar: at least 0.8)")
    )
    notes["median_nearest_training_distance"] = (
        "median root-mean-square pixel difference (0..1 scale) between a sample and its nearest training picture"
    )
    notes["heldout_median_nearest_training_distance"] = "the same for real held-out pictures"
    eval_seconds = time.perf_counter() - started
    metrics["final_loss"] = losses[-1] if losses else None
    notes["final_loss"] = "noise-prediction error (mean squared) at the end of training"

    examples = np.concatenate([np.flatnonzero(labels == k)[: MEMORY_EXAMPLES // 10] for k in range(10)])
    held_examples = np.concatenate(
        [np.flatnonzero(real.labels.numpy() == k)[: MEMORY_EXAMPLES // 10] for k in range(10)]
    )
    extra = {
        MEMORIZATION_FILE: pack_arrays(
            {
                "sample_images": to_uint8(fakes[examples]),
                "sample_labels": labels[examples],
                "sample_nearest_images": to_uint8(train_pool[memo.sample_nearest[examples]]),
                "sample_nearest_distance": memo.sample_distance[examples].astype(np.float32),
                "heldout_images": to_uint8(real.images[held_examples]),
                "heldout_nearest_images": to_uint8(train_pool[memo.heldout_nearest[held_examples]]),
                "heldout_nearest_distance": memo.heldout_distance[held_examples].astype(np.float32),
                "all_sample_distances": memo.sample_distance.astype(np.float32),
                "all_heldout_distances": memo.heldout_distance.astype(np.float32),
            }
        )
    }
    data_block: dict[str, Any] = {
        "source": dataset.source,
        "licence": dataset.licence,
        "memorization": {
            "file": MEMORIZATION_FILE,
            "description": f"{MEMORY_EXAMPLES} samples (page defaults) and {MEMORY_EXAMPLES} real held-out pictures "
            f"beside their nearest picture among {pool_words}, with distances; plus every measured distance",
        },
    }
    if subset is None:
        data_block["description"] = "the 60,000 Fashion-MNIST training pictures, pixels scaled to [-1, 1]"
        data_block["train_size"] = int(data.train_images.shape[0])
    else:
        data_block["description"] = (
            f"only {len(subset)} Fashion-MNIST training pictures ({recipe.train_per_class} of each kind, seed "
            f"{recipe.train_seed}), pixels scaled to [-1, 1]: few enough for the network to memorize them"
        )
        data_block["train_size"] = int(len(subset))
        data_block["training_pictures"] = {
            "file": TRAINING_PICTURES_FILE,
            "description": "the training pictures themselves (uint8), their labels and training-set indices",
        }
        images_u8 = to_uint8(train_pool)
        extra[TRAINING_PICTURES_FILE] = pack_arrays(
            {"images": images_u8, "labels": data.train_labels.numpy()[subset], "train_index": subset.astype(np.int32)}
        )
    training = _training_block(recipe, losses, eval_seconds)
    training["train_seconds"] = round(train_seconds, 1)
    training["weights_storage"] = "float16"
    architecture = {
        **recipe.architecture,
        "schedule": recipe.schedule.to_dict(),
        "default_guidance": recipe.default_guidance,
        "default_sampler": PAGE_SAMPLER,
        "default_steps": PAGE_STEPS,
        "prediction": "epsilon",
        "null_class": NULL_CLASS,
    }
    card = (
        "The network is a small U-Net (see `explainers/unet.py`): encoder and decoder at 28, 14 and 7 pixels with "
        "32, 64 and 96 channels, skips added rather than concatenated, the timestep and kind fed to every block as "
        "a per-channel scale and shift. The shipped weights are an exponential moving average of the training "
        "weights, stored as 16-bit floats (every measurement above was made after that rounding). Classifier-free "
        "guidance: during training the kind is hidden 15% of the time."
    )
    if subset is not None:
        card += (
            f"\n\n**Why this model exists.** It was trained on only {len(subset)} pictures, so it can reproduce them "
            "almost pixel for pixel: its samples are near-copies of its training pictures (see `memorization_ratio`). "
            "The full model, trained on 60,000 pictures, makes new ones. The Limits page shows both."
        )
    return TrainResult(
        tensors=shipped,
        architecture=architecture,
        training=training,
        data=data_block,
        metrics=metrics,
        metric_notes=notes,
        extra_files=extra,
        card_notes=card,
    )


TRAINER = Trainer(
    name="diffusion",
    title="Diffusion: a class-conditional denoiser for digits",
    description="A small network that looks at a noisy 8x8 image and guesses the noise in it, told which digit "
    "it should become. Removing that guess step by step turns pure noise into a handwritten digit.",
    train=make_train(DIGITS_RECIPE),
    default_seed=0,
)

FASHION_TRAINER = Trainer(
    name="fashion_diffusion",
    title="Diffusion: a class-conditional U-Net for clothes",
    description="A small U-Net that looks at a noisy 28x28 picture and guesses the noise in it, told which kind of "
    "clothing it should become. Removing that guess step by step turns pure noise into a T-shirt, a sneaker or a bag.",
    train=make_train(FASHION_RECIPE),
    default_seed=0,
)

TINY_TRAINER = Trainer(
    name="fashion_diffusion_tiny",
    title="Diffusion on only 40 pictures: a model that memorizes",
    description="The same U-Net as the clothes diffusion model, trained on just 40 pictures (4 of each kind). With so "
    "little to learn from, it learns the pictures themselves: what it draws are near-copies of its training data.",
    train=make_train(TINY_RECIPE),
    default_seed=0,
)

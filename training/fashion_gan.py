"""Train the clothes GAN from scratch: an unconditional convolutional forger against a detective on 28x28 pictures.

As for the digits GAN, saves what the forger drew from one fixed batch of noise during training (uint8 snapshots)
and the loss curves, so the page can replay the run; then measures the fakes with the clothes judge: which kinds
appear (mode coverage), how many are readable, the Fréchet distance and memorization.

    python -m training fashion_gan      # needs: apt-get install dataset-fashion-mnist
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np
import torch

from explainers.datasets import get_dataset, pack_arrays, real_pictures, to_uint8
from explainers.gan import downsample, snapshot_schedule
from explainers.gan_images import FASHION_GAN_ARCH, ImageGanTraining, ShippedImageGan
from explainers.image_quality import CONFIDENT, memorization, sample_quality, spread_within_kinds
from explainers.judge import frechet_to_heldout, judge_report, load_judge
from explainers.store import read_config
from training.judge import frechet_floor, single_thread
from training.runner import Trainer, TrainResult, float16_storage, progress

NAME = "fashion_gan"
ARCH: dict[str, Any] = {**FASHION_GAN_ARCH, "g_channels": [64, 32, 16]}  # measured 2x faster than 128/64/32
STEPS = int(os.environ.get("GLASSBOX_FASHION_GAN_STEPS", 3000))
BATCH = 64
LR = 2e-4  # both players
# The improved recipe (EMA of the forger's weights, learning rates falling to 0, a truncation spread chosen after
# training) is implemented but OFF: a 1,500-step trial with it measured worse than the shipped plain 3,000-step run
# (78% unreadable, 3 kinds at >= 3%), and longer trials could not finish on the shared machine. Switch it on with
# GLASSBOX_FASHION_GAN_EMA=0.999 (and more steps) to try it.
EMA_DECAY: float | None = (
    float(os.environ["GLASSBOX_FASHION_GAN_EMA"]) if "GLASSBOX_FASHION_GAN_EMA" in os.environ else None
)
# Noise spreads tried after training (truncation); the widest that meets both bars on a separate batch of fakes
# (SELECT_SEED, not the measuring seed) is shipped, and 1.0 is also measured so the card shows what it costs.
TRUNCATIONS = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5) if EMA_DECAY is not None else (1.0,)
SELECT_SEED = 7
SNAPSHOTS = 16
SNAPSHOT_SAMPLES = 128  # fakes kept per snapshot: a grid and a rough class histogram per frame
EVAL_SAMPLES = 2_000
EVAL_SEED = 2024
CURVE_POINTS = 400
MIN_KIND_SHARE = 0.03  # bar: every kind makes up at least 3% of the fakes, counting confident verdicts only
MAX_UNREADABLE = 0.15  # bar: at most 15% of the fakes unreadable (judge confidence below CONFIDENT)
MEMORIZATION_FILE = "memorization.npz"


def train(seed: int) -> TrainResult:
    with single_thread():  # see training/judge.py
        return _train(seed)


def _train(seed: int) -> TrainResult:
    dataset = get_dataset("fashion")
    data = dataset.split()
    real = data.train_images[:, 0].numpy()  # (60000, 28, 28) in [0, 1]; labels are never used
    run = ImageGanTraining(
        real,
        seed=seed,
        lr_g=LR,
        lr_d=LR,
        batch_size=BATCH,
        max_steps=STEPS,
        arch=ARCH,
        display=SNAPSHOT_SAMPLES,
        ema_decay=EMA_DECAY,
        lr_decay=EMA_DECAY is not None,
    )
    schedule = snapshot_schedule(STEPS, SNAPSHOTS)
    snapshots: dict[float, list[np.ndarray]] = {psi: [] for psi in TRUNCATIONS}  # one replay per candidate spread
    bar = progress(total=STEPS, desc=NAME)
    started = time.perf_counter()
    for target in schedule:
        while run.step < min(target, STEPS):
            done = run.train(min(100, target - run.step))
            bar.update(done)
            recent = slice(max(0, run.step - 100), run.step)
            bar.set_postfix(loss_d=f"{run.d_loss[recent].mean():.3f}", loss_g=f"{run.g_loss[recent].mean():.3f}")
        for psi in TRUNCATIONS:
            snapshots[psi].append(np.round(run.samples(run.display_z * psi) * 255).astype(np.uint8))  # (n, 28, 28)
    bar.close()
    train_seconds = time.perf_counter() - started

    curve_steps, curve_d = downsample(run.d_loss[: run.step], CURVE_POINTS)
    _, curve_g = downsample(run.g_loss[: run.step], CURVE_POINTS)
    tensors = float16_storage(run.state_tensors())  # half the bytes; measured below after the round trip
    tensors.update(
        {
            "snapshots.step": torch.tensor(schedule, dtype=torch.int64),
            "snapshots.images": torch.from_numpy(np.stack(snapshots[1.0])),  # replaced once the spread is chosen
            "snapshots.noise": run.display_z.clone(),
            "history.step": torch.from_numpy(curve_steps),
            "history.d_loss": torch.from_numpy(curve_d),
            "history.g_loss": torch.from_numpy(curve_g),
        }
    )
    started_eval = time.perf_counter()
    judge = load_judge(dataset.model("judge"))
    candidates = {psi: _bars(ShippedImageGan(tensors, _config(psi)), judge) for psi in TRUNCATIONS}
    truncation = choose_truncation(candidates)
    arch = {**ARCH, "truncation": truncation}
    tensors["snapshots.images"] = torch.from_numpy(np.stack(snapshots[truncation]))  # (K, n, 28, 28) uint8
    tensors["snapshots.noise"] = run.display_z * truncation  # (n, z_dim): the noise the snapshots were drawn from
    shipped = ShippedImageGan(tensors, {"architecture": arch})
    metrics, notes, memo_blob = measure(shipped, dataset, data, seed)
    full = _bars(ShippedImageGan(tensors, _config(1.0)), judge, EVAL_SEED)
    metrics.update(
        {
            "truncation": truncation,
            "unreadable_share_full_spread": full["unreadable_share"],
            "min_class_share_full_spread": full["min_class_share"],
            "kinds_at_least_3pct_full_spread": full["kinds_at_least_3pct"],
        }
    )
    notes.update(
        {
            "truncation": "noise spread the shipped pictures are drawn with (1.0 = the spread the forger trained on; "
            "smaller = more typical pictures, less variety)",
            "unreadable_share_full_spread": "unreadable share of the same fakes drawn with the full spread (1.0)",
            "min_class_share_full_spread": "rarest kind's confident share with the full spread",
            "kinds_at_least_3pct_full_spread": "kinds making up at least 3% of the fakes with the full spread",
        }
    )
    eval_seconds = time.perf_counter() - started_eval

    networks = sum(v.numel() for k, v in tensors.items() if k.startswith(("generator.", "discriminator.")))
    generator = sum(v.numel() for k, v in tensors.items() if k.startswith("generator."))
    card = f"""
**Size.** The networks have {networks:,} parameters (forger {generator:,}, detective {networks - generator:,}),
stored as 16-bit floats (every measurement above was made after that rounding). The "Parameters" figure above
also counts the stored replay data (snapshot pictures, their noise and the loss curves).

**Why unconditional.** The forger is not told which kind of clothing to draw; it must discover all ten by itself.
That is the classic GAN lesson, and it makes *mode collapse* (the forger settling on a few kinds) something the
page can show and name.

{_recipe_text(truncation, candidates)}**How it keeps every kind.** The detective sees one extra number per batch: the average spread of its features
across the batch (*minibatch standard deviation*, Karras et al. 2018). A forger that paints the same picture
again and again produces a batch with little spread, which the detective learns to catch.

**Networks.** Shaped like DCGAN (Radford et al. 2016), small: the forger turns 64 random numbers into a 7x7 map of
64 channels, then doubles it twice with transposed convolutions (32 channels at 14x14, 16 at 28x28) and paints
one grey channel; the detective halves the picture twice with strided convolutions (32 and 64 channels).

**Training.** Non-saturating GAN loss, Adam (lr 2e-4{" falling linearly to 0" if EMA_DECAY else ""}, betas
0.5/0.999) for both players, batch {BATCH}, one detective step per forger step, {STEPS:,} steps, pixels scaled to
[-1, 1] and a tanh output. Labels are never used.

**Judging.** A fake counts as *readable* when the clothes judge gives it probability >= {CONFIDENT}; kinds are
counted from readable fakes only, so a smudge the judge half-reads as a shirt does not count as a shirt.
"""
    return TrainResult(
        tensors=tensors,
        architecture=arch,
        training={
            "steps": STEPS,
            "batch_size": BATCH,
            "optimizer": "Adam",
            "lr_g": LR,
            "lr_d": LR,
            "lr_schedule": "linear decay to 0" if EMA_DECAY is not None else "constant",
            "ema_decay": EMA_DECAY,
            "betas": [0.5, 0.999],
            "generator_loss": "non_saturating",
            "truncation_candidates": {str(psi): bars for psi, bars in candidates.items()},
            "truncation_selection_seed": SELECT_SEED,
            "snapshots": schedule,
            "torch_threads_used": 1,
            "weights_storage": "float16",
            "train_seconds": round(train_seconds, 1),
            "evaluation_seconds": round(eval_seconds, 1),
        },
        data={
            "description": "the 60,000 Fashion-MNIST training pictures; no labels are used",
            "source": dataset.source,
            "licence": dataset.licence,
            "train_size": int(len(real)),
            "memorization": {
                "file": MEMORIZATION_FILE,
                "description": "20 fakes beside their nearest training picture, and every measured distance",
            },
        },
        metrics=metrics,
        metric_notes=notes,
        extra_files={MEMORIZATION_FILE: memo_blob},
        card_notes=card,
    )


def _config(truncation: float) -> dict[str, Any]:
    return {"architecture": {**ARCH, "truncation": truncation}}


def _bars(gan: ShippedImageGan, judge, seed: int = SELECT_SEED) -> dict[str, float]:
    """The two bars on EVAL_SAMPLES fakes drawn with `seed`."""
    quality = sample_quality(judge, torch.from_numpy(gan.sample(EVAL_SAMPLES, seed))[:, None])
    shares = quality.confident_class_shares
    return {
        "unreadable_share": round(quality.unreadable_share, 4),
        "min_class_share": round(float(shares.min()), 4),
        "kinds_at_least_3pct": quality.kinds_at_least(MIN_KIND_SHARE),
    }


def choose_truncation(candidates: dict[float, dict[str, float]]) -> float:
    """The widest spread meeting both bars; if none does, the one closest to its worse bar (ratio to the bar)."""
    passing = [
        psi
        for psi, bars in candidates.items()
        if bars["unreadable_share"] <= MAX_UNREADABLE and bars["min_class_share"] >= MIN_KIND_SHARE
    ]
    if passing:
        return max(passing)

    def worse_ratio(psi: float) -> float:
        bars = candidates[psi]
        return min(MAX_UNREADABLE / max(bars["unreadable_share"], 1e-9), bars["min_class_share"] / MIN_KIND_SHARE)

    return max(candidates, key=worse_ratio)


def _recipe_text(truncation: float, candidates: dict[float, dict[str, float]]) -> str:
    if EMA_DECAY is None:
        return ""
    return (
        "**Cleaner pictures.** Three standard tricks, none of which tells the forger about kinds: the pictures come "
        f"from a running average of the forger's weights (*EMA*, decay {EMA_DECAY}; the forger's own weights jitter "
        "as it chases the detective, the average draws cleaner pictures; its batch-norm statistics are re-measured "
        "on fresh noise); the learning rate falls linearly to zero so the game settles; and "
        + _truncation_text(truncation, candidates)
        + "\n\n"
    )


def _truncation_text(truncation: float, candidates: dict[float, dict[str, float]]) -> str:
    passed = any(
        b["unreadable_share"] <= MAX_UNREADABLE and b["min_class_share"] >= MIN_KIND_SHARE for b in candidates.values()
    )
    tried = "; ".join(
        f"{psi}: {b['unreadable_share']:.1%} unreadable, rarest kind {b['min_class_share']:.1%}"
        for psi, b in candidates.items()
    )
    how = (
        f"the widest of {', '.join(str(p) for p in TRUNCATIONS)} whose fakes met both bars on a separate batch "
        f"(seed {SELECT_SEED})"
        if passed
        else f"none of {', '.join(str(p) for p in TRUNCATIONS)} met both bars on a separate batch (seed {SELECT_SEED}); "
        "this one came closest"
    )
    spread = (
        "the full spread it was trained on" if truncation == 1.0 else f"a smaller spread, {truncation} instead of 1"
    )
    return (
        f"the noise is drawn with {spread} (*truncation*, Brock et al. 2019, BigGAN): {how}. A smaller spread keeps "
        "the forger near the middle of what it learned: more typical, more readable pictures, less variety. The "
        f"replay and every fresh fake use the shipped spread. Spreads tried: {tried}."
    )


def measure(gan: ShippedImageGan, dataset, data, seed: int) -> tuple[dict[str, Any], dict[str, str], bytes]:
    """Judge EVAL_SAMPLES fresh fakes (fixed noise seed): coverage, readability, Fréchet, memorization."""
    judge = load_judge(dataset.model("judge"))
    baseline = read_config(dataset.model("judge"))["metrics"]
    fakes = torch.from_numpy(gan.sample(EVAL_SAMPLES, EVAL_SEED))[:, None]  # (n, 28, 28) -> (n, 1, 28, 28)
    quality = sample_quality(judge, fakes)
    names = dataset.class_names
    shares = quality.confident_class_shares
    heldout = real_pictures(dataset).images  # the 2,000 shipped held-out pictures
    memo = memorization(fakes, data.train_images, heldout)
    real = real_pictures(dataset)
    spread = spread_within_kinds(fakes, judge_report(judge, fakes).predicted)
    n = EVAL_SAMPLES
    metrics: dict[str, Any] = {
        "min_class_share": round(float(shares.min()), 4),
        "rarest_class": int(np.argmin(shares)),
        "rarest_kind": names[int(np.argmin(shares))],
        "max_class_share": round(float(shares.max()), 4),
        "kinds_at_least_3pct": quality.kinds_at_least(MIN_KIND_SHARE),
        "unreadable_share": round(quality.unreadable_share, 4),
        "confident_class_shares": {names[k]: round(float(v), 4) for k, v in enumerate(shares)},
        "judge_mean_confidence": round(quality.mean_confidence, 4),
        "frechet_to_heldout": round(frechet_to_heldout(judge, fakes), 3),
        "frechet_real_vs_real": frechet_floor(baseline, n),
        "spread_within_kinds": round(float(np.nanmean(spread)), 4),
        "real_spread_within_kinds": round(float(np.nanmean(spread_within_kinds(real.images, real.labels))), 4),
        "memorization_ratio": round(memo.ratio, 4),
        "median_nearest_training_distance": round(float(np.median(memo.sample_distance)), 4),
        "heldout_median_nearest_training_distance": round(float(np.median(memo.heldout_distance)), 4),
        "eval_samples": n,
    }
    notes = {
        "min_class_share": f"share of the {n:,} fresh fakes confidently read as the rarest kind (bar: at least "
        f"{MIN_KIND_SHARE})",
        "rarest_class": "which kind that is (label number)",
        "rarest_kind": "which kind that is",
        "max_class_share": "share confidently read as the most common kind (0.1 each would be perfectly even)",
        "kinds_at_least_3pct": f"kinds making up at least {MIN_KIND_SHARE:.0%} of the fakes, confident verdicts only "
        "(bar: 10)",
        "unreadable_share": f"share of fakes the judge cannot read confidently (probability below {CONFIDENT}; bar: "
        f"at most {MAX_UNREADABLE})",
        "confident_class_shares": "share of fakes confidently read as each kind",
        "judge_mean_confidence": "how sure the judge is, on average, of the kind it reads in a fake",
        "frechet_to_heldout": f"Fréchet distance on the judge's features, {n:,} fakes vs the 2,000 shipped real "
        "held-out pictures (lower = closer to real)",
        "frechet_real_vs_real": "the floor: 2,000 real training pictures vs the same 2,000 held-out ones",
        "spread_within_kinds": "diversity: mean pixel distance (RMS, 0..1) between two fakes the judge reads as the "
        "same kind, averaged over kinds",
        "real_spread_within_kinds": "the same for the 2,000 real held-out pictures (by their true kind)",
        "memorization_ratio": "median distance from a fake to its nearest of the 60,000 training pictures, divided by "
        "the same for the 2,000 real held-out pictures (about 1 = new pictures, near 0 = copies)",
        "median_nearest_training_distance": "median root-mean-square pixel difference (0..1) from a fake to its "
        "nearest training picture",
        "heldout_median_nearest_training_distance": "the same for real held-out pictures",
        "eval_samples": f"fakes drawn for these measurements (fresh noise, seed {EVAL_SEED})",
    }
    examples = np.arange(20)
    blob = pack_arrays(
        {
            "sample_images": to_uint8(fakes[examples]),
            "sample_nearest_images": to_uint8(data.train_images[memo.sample_nearest[examples]]),
            "sample_nearest_distance": memo.sample_distance[examples].astype(np.float32),
            "all_sample_distances": memo.sample_distance.astype(np.float32),
            "all_heldout_distances": memo.heldout_distance.astype(np.float32),
        }
    )
    return metrics, notes, blob


TRAINER = Trainer(
    name=NAME,
    title="GAN for clothes: a convolutional forger against a detective",
    description="An unconditional generative adversarial network: the forger turns 64 random numbers into a 28x28 "
    "picture of clothing; the detective scores how real a picture looks. Trained against each other on real "
    "Fashion-MNIST pictures, without ever being told what kind of clothing is which.",
    train=train,
    default_seed=0,
)

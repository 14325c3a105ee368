"""Train the digits GAN from scratch: an unconditional forger (MLP) against a detective (MLP) on 8x8 digits.

Saves, next to the weights, snapshots of what the forger drew from one fixed batch of noise during
training (uint8 images, small) and the loss curves, so the page can replay the run. Measures class
coverage and the Fréchet distance with the judge on fresh samples.

    python -m training gan_digits
"""

from __future__ import annotations

import numpy as np
import torch

from explainers.digits import SOURCE, split
from explainers.gan import DCGAN_BETAS, DIGITS_ARCH, DigitsTraining, snapshot_schedule, to_images
from explainers.judge import frechet_to_heldout, judge_report, load_judge
from explainers.store import read_config
from training.gan_replay import adam_record, replay_tensors, train_with_snapshots
from training.runner import Trainer, TrainResult

STEPS = 30_000
BATCH = 64
LR = 2e-4
SNAPSHOTS = 16
SNAPSHOT_SAMPLES = 200  # fakes saved per snapshot: enough for a readable class histogram
EVAL_SAMPLES = 1_000
EVAL_SEED = 2024  # fresh noise for the quality measurement, unrelated to the training seed
CURVE_POINTS = 400


def measure(run: DigitsTraining, n: int = EVAL_SAMPLES, seed: int = EVAL_SEED) -> dict[str, float | int]:
    """Class coverage and Fréchet distance of `n` fresh fakes, read by the judge."""
    judge = load_judge()
    rng = torch.Generator().manual_seed(seed)
    z = torch.randn(n, run.arch["z_dim"], generator=rng)
    with torch.inference_mode():
        images = torch.from_numpy(to_images(run.gen(z))).unsqueeze(1)  # (n, 1, 8, 8) in [0, 1]
    report = judge_report(judge, images)
    shares = report.fractions
    baseline = read_config("judge")["metrics"]
    return {
        "min_class_share": round(float(shares.min()), 4),
        "rarest_class": int(np.argmin(shares)),
        "max_class_share": round(float(shares.max()), 4),
        "classes_at_least_4pct": int((shares >= 0.04).sum()),
        "judge_mean_confidence": round(float(report.confidence.mean()), 4),
        "frechet_to_heldout": round(frechet_to_heldout(judge, images), 3),
        "frechet_real_vs_real": float(baseline["frechet_real_vs_real"]),
        "frechet_real_vs_real_359": float(baseline["frechet_real_vs_real_359"]),
        "eval_samples": n,
    }


def train(seed: int) -> TrainResult:
    data = split()
    real = data.train_images[:, 0].numpy()  # (1438, 8, 8) in [0, 1]
    run = DigitsTraining(real, seed=seed, lr_g=LR, lr_d=LR, batch_size=BATCH, max_steps=STEPS, display=SNAPSHOT_SAMPLES)
    schedule = snapshot_schedule(STEPS, SNAPSHOTS)
    snapshots = train_with_snapshots(  # (n, 8, 8) uint8 at each schedule step
        run, schedule, lambda: np.round(run.samples() * 255).astype(np.uint8), "gan_digits", chunk=250
    )
    metrics = measure(run)
    tensors = run.state_tensors()
    tensors.update(replay_tensors(run, schedule, np.stack(snapshots), CURVE_POINTS))  # (S, n, 8, 8) uint8
    notes = {
        "min_class_share": f"share of the rarest digit among {EVAL_SAMPLES:,} fresh fakes, read by the judge "
        "(bar: at least 0.04)",
        "rarest_class": "which digit that is",
        "max_class_share": "share of the most common digit (0.1 = perfectly even)",
        "classes_at_least_4pct": "digits making up at least 4% of the fakes (bar: 10)",
        "judge_mean_confidence": "how sure the judge is, on average, of the digit it reads in a fake",
        "frechet_to_heldout": f"Fréchet distance on judge features, {EVAL_SAMPLES:,} fakes vs the 359 held-out real "
        "digits (lower = closer to real)",
        "frechet_real_vs_real": "baseline from the judge: 1,438 real training digits vs the 359 held-out ones",
        "frechet_real_vs_real_359": "baseline with 359 real training digits",
        "eval_samples": "fakes drawn for these measurements (fresh noise, seed 2024)",
    }
    networks = sum(v.numel() for k, v in tensors.items() if k.startswith(("generator.", "discriminator.")))
    generator = sum(v.numel() for k, v in tensors.items() if k.startswith("generator."))
    card = f"""
**Size.** The networks have {networks:,} parameters (forger {generator:,}, detective {networks - generator:,}).
The "Parameters" figure above also counts the stored replay data (snapshot images, their noise and the loss curves).

**Why unconditional.** The forger is not told which digit to draw; it must discover all ten by itself. That is
the classic GAN lesson, and it makes *mode collapse* (the forger settling on a few digits) something the page can
show and name. A conditional GAN would reach coverage by construction and hide that lesson.

**How it keeps all ten digits.** The detective sees one extra number per batch: the average spread of its first-layer
features across the batch (*minibatch standard deviation*, Karras et al. 2018). A forger that paints the same
digit again and again produces a batch with little spread, which the detective learns to catch. Early in training
the replay still shows partial collapse (some digits missing); it recovers as training goes on.

**Training.** Non-saturating GAN loss, Adam (lr 2e-4, betas 0.5/0.999) for both players, batch 64, one detective
step per forger step, pixels scaled to [-1, 1] and a tanh output. Only the fixed training split is used.

**Snapshots.** `snapshots.images` holds what the forger drew from one fixed batch of noise (`snapshots.noise`) at
the steps in `snapshots.step`, stored as 8-bit images; `history.*` holds the loss curves averaged into buckets.
"""
    return TrainResult(
        tensors=tensors,
        architecture=dict(DIGITS_ARCH),
        training=adam_record(run, STEPS, schedule, DCGAN_BETAS),
        data={
            "description": "1,438 real 8x8 handwritten digits (the fixed training split); no labels are used.",
            "source": SOURCE,
            "train_size": int(len(real)),
        },
        metrics=metrics,
        metric_notes=notes,
        card_notes=card,
    )


TRAINER = Trainer(
    name="gan_digits",
    title="GAN for 8x8 digits: an MLP forger against an MLP detective",
    description="An unconditional generative adversarial network: the forger turns 32 random numbers into an "
    "8x8 digit; the detective scores how real a digit looks. Trained against each other on real "
    "handwritten digits.",
    train=train,
    default_seed=0,
)

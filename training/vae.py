"""Train the VAE with a 2-D latent map on the real digits, then score its map with the judge.

python -m training vae
"""

from __future__ import annotations

import numpy as np
import torch

from explainers.digits import SOURCE, split
from explainers.judge import frechet_to_heldout, judge_report, load_judge
from explainers.vae import (
    DEFAULT_ARCHITECTURE,
    GRID_QUANTILES,
    GRID_SIZE,
    build_vae,
    latent_grid,
    loss_terms,
    sample_prior,
)
from training.judge import single_thread
from training.runner import Trainer, TrainResult, progress

EPOCHS = 400
BATCH = 64
LR = 2e-3
BETA = 1.0
FRECHET_SAMPLES = 1000


def train(seed: int) -> TrainResult:
    with single_thread():  # see training/judge.py: far faster for tiny networks on a shared 2-core machine
        return _train(seed)


def _train(seed: int) -> TrainResult:
    gen = torch.Generator().manual_seed(seed)
    data = split()
    vae = build_vae(DEFAULT_ARCHITECTURE)
    opt = torch.optim.Adam(vae.parameters(), lr=LR)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=EPOCHS)
    x_all = data.train_images
    n = x_all.shape[0]
    bar = progress(range(EPOCHS), desc="vae")
    history = []
    for _ in bar:
        order = torch.randperm(n, generator=gen)
        sums = np.zeros(2)
        for start in range(0, n, BATCH):
            x = x_all[order[start : start + BATCH]]
            eps = torch.randn(x.shape[0], 2, generator=gen)
            logits, mu, logvar = vae(x, eps)
            terms = loss_terms(x, logits, mu, logvar)
            loss = (terms.recon + BETA * terms.kl).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sums += [terms.recon.sum().item(), terms.kl.sum().item()]
        sched.step()
        recon, kl = sums / n
        history.append((recon, kl))
        bar.set_postfix(loss=f"{recon + BETA * kl:.2f}", recon=f"{recon:.2f}", kl=f"{kl:.2f}")
    vae.eval()

    judge = load_judge()
    grid = latent_grid(vae)
    report = judge_report(judge, torch.from_numpy(grid.images).view(-1, 1, 8, 8))
    confident = report.confident_classes(0.8)
    with torch.inference_mode():
        xh = data.heldout_images
        logits, mu, logvar = vae(xh, torch.zeros_like(vae.encode(xh)[0]))
        held = loss_terms(xh, logits, mu, logvar)
    fd = frechet_to_heldout(judge, sample_prior(vae, FRECHET_SAMPLES, seed))
    recon_fd = frechet_to_heldout(judge, torch.sigmoid(logits))
    metrics = {
        "grid_classes_confident": len(confident),
        "grid_confident_digits": "".join(str(d) for d in confident),
        "frechet_prior_samples": round(fd, 3),
        "frechet_reconstructions": round(recon_fd, 3),
        "frechet_real_vs_real": _baseline(),
        "heldout_recon_nats": round(float(held.recon.mean()), 3),
        "heldout_kl_nats": round(float(held.kl.mean()), 3),
        "train_recon_nats": round(history[-1][0], 3),
        "train_kl_nats": round(history[-1][1], 3),
    }
    notes = {
        "grid_classes_confident": f"digits the judge finds (confidence >= 0.8) in the {GRID_SIZE}x{GRID_SIZE} decoded "
        "map (bar: at least 9 of 10)",
        "grid_confident_digits": "which digits those are",
        "frechet_prior_samples": f"Fréchet distance on judge features, {FRECHET_SAMPLES} images decoded from random "
        "map points vs held-out real digits (lower is better)",
        "frechet_reconstructions": "same, for reconstructions of the held-out digits",
        "frechet_real_vs_real": "baseline: real training digits vs held-out real digits",
        "heldout_recon_nats": "reconstruction term on held-out digits (nats per image, lower = sharper copy)",
        "heldout_kl_nats": "KL term on held-out digits (nats per image: how much the code says about the image)",
        "train_recon_nats": "reconstruction term, last training epoch",
        "train_kl_nats": "KL term, last training epoch",
    }
    return TrainResult(
        tensors=vae.state_dict(),
        architecture=dict(DEFAULT_ARCHITECTURE),
        training={
            "epochs": EPOCHS,
            "torch_threads_used": 1,
            "batch_size": BATCH,
            "optimizer": "Adam",
            "lr": LR,
            "schedule": "cosine",
            "beta": BETA,
            "likelihood": "Bernoulli (binary cross-entropy)",
            "grid": {"size": GRID_SIZE, "quantiles": list(GRID_QUANTILES)},
        },
        data={
            "description": "1,438 real 8x8 handwritten digits (training split), pixels scaled to [0, 1].",
            "source": SOURCE,
        },
        metrics=metrics,
        metric_notes=notes,
        card_notes="Encoder and decoder are small MLPs (64 -> 256 -> 128 -> 2 and back). The 2-D latent is "
        "deliberately tiny so it can be drawn as a map; that is also why images come out blurry.",
    )


def _baseline() -> float:
    from explainers.store import read_config

    return float(read_config("judge")["metrics"]["frechet_real_vs_real"])


TRAINER = Trainer(
    name="vae",
    title="VAE: a map of handwritten digits (2-D latent)",
    description="A variational autoencoder squeezes each 8x8 digit into just two numbers (a point on a map) "
    "and learns to redraw the digit from that point. Every point on the map decodes to an image.",
    train=train,
    default_seed=0,
)

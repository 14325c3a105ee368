"""Train a VAE with a 2-D latent map, then score its map with the judge of its dataset.

python -m training vae            # 8x8 digits
python -m training fashion_vae    # 28x28 clothes (needs: apt-get install dataset-fashion-mnist)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from explainers.datasets import get_dataset, real_pictures
from explainers.digits import split
from explainers.image_quality import CONFIDENT, memorization, sample_quality, spread_within_kinds
from explainers.judge import frechet_to_heldout, judge_report, load_judge
from explainers.storage import INT8_STORAGE
from explainers.store import read_config
from explainers.vae import (
    DEFAULT_ARCHITECTURE,
    FASHION_ARCHITECTURE,
    FASHION_GRID_SIZE,
    GRID_QUANTILES,
    GRID_SIZE,
    build_vae,
    latent_grid,
    loss_terms,
    sample_prior,
)
from training.common import memorization_file
from training.judge import frechet_floor
from training.runner import Trainer, TrainResult, on_one_thread, progress, ship_int8

EPOCHS = 400
BATCH = 64
LR = 2e-3
BETA = 1.0
FRECHET_SAMPLES = 1000


@dataclass(frozen=True)
class VAERecipe:
    name: str
    dataset: str
    architecture: dict[str, Any]
    epochs: int
    batch_size: int
    lr: float
    beta: float
    grid_size: int


DIGITS_RECIPE = VAERecipe("vae", "digits", DEFAULT_ARCHITECTURE, EPOCHS, BATCH, LR, BETA, GRID_SIZE)
FASHION_RECIPE = VAERecipe("fashion_vae", "fashion", FASHION_ARCHITECTURE, 20, 128, 2e-3, 1.0, FASHION_GRID_SIZE)


def make_train(recipe: VAERecipe) -> Callable[[int], TrainResult]:
    return on_one_thread(_train, recipe)


def fit(recipe: VAERecipe, x_all: torch.Tensor, seed: int):
    """The training loop (Adam, cosine schedule per epoch): the VAE and per-epoch (recon, kl) in nats."""
    gen = torch.Generator().manual_seed(seed)
    vae = build_vae(recipe.architecture)
    opt = torch.optim.Adam(vae.parameters(), lr=recipe.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=recipe.epochs)
    n = x_all.shape[0]
    bar = progress(range(recipe.epochs), desc=recipe.name)
    history = []
    for _ in bar:
        order = torch.randperm(n, generator=gen)
        sums = np.zeros(2)
        for start in range(0, n, recipe.batch_size):
            x = x_all[order[start : start + recipe.batch_size]]
            eps = torch.randn(x.shape[0], 2, generator=gen)
            logits, mu, logvar = vae(x, eps)
            terms = loss_terms(x, logits, mu, logvar)
            loss = (terms.recon + recipe.beta * terms.kl).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sums += [terms.recon.sum().item(), terms.kl.sum().item()]
        sched.step()
        recon, kl = sums / n
        history.append((recon, kl))
        bar.set_postfix(loss=f"{recon + recipe.beta * kl:.2f}", recon=f"{recon:.2f}", kl=f"{kl:.2f}")
    return vae.eval(), history


def _train(recipe: VAERecipe, seed: int) -> TrainResult:
    if recipe.dataset != "digits":
        return _train_clothes(recipe, seed)
    data = split()
    vae, history = fit(recipe, data.train_images, seed)
    shipped = ship_int8(vae)  # measured below after the round trip
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
        tensors=shipped,
        architecture=dict(recipe.architecture),
        training=_training_block(recipe, "Bernoulli (binary cross-entropy)") | {"weights_storage": INT8_STORAGE},
        data={
            "description": "1,438 real 8x8 handwritten digits (training split), pixels scaled to [0, 1].",
            "source": get_dataset("digits").source,
        },
        metrics=metrics,
        metric_notes=notes,
        card_notes="Encoder and decoder are small MLPs (64 -> 256 -> 128 -> 2 and back). The 2-D latent is "
        "deliberately tiny so it can be drawn as a map; that is also why images come out blurry.",
    )


def _training_block(recipe: VAERecipe, likelihood: str) -> dict[str, Any]:
    return {
        "epochs": recipe.epochs,
        "torch_threads_used": 1,
        "batch_size": recipe.batch_size,
        "optimizer": "Adam",
        "lr": recipe.lr,
        "schedule": "cosine",
        "beta": recipe.beta,
        "likelihood": likelihood,
        "grid": {"size": recipe.grid_size, "quantiles": list(GRID_QUANTILES)},
    }


def _baseline() -> float:
    return float(read_config("judge")["metrics"]["frechet_real_vs_real"])


# ----------------------------------------------------------------------------- clothes

CLOTHES_SAMPLES = 1000  # fresh pictures from random map points: readable share, kinds, Fréchet, memorization
MEMORIZATION_FILE = "memorization.npz"


def _train_clothes(recipe: VAERecipe, seed: int) -> TrainResult:
    dataset = get_dataset(recipe.dataset)
    data = dataset.split()
    vae, history = fit(recipe, data.train_images, seed)
    shipped = ship_int8(vae)  # measured below after the round trip
    judge = load_judge(dataset.model("judge"))
    judge_metrics = read_config(dataset.model("judge"))["metrics"]
    grid = latent_grid(vae, recipe.grid_size)
    side = vae.image_size
    tiles = torch.from_numpy(grid.images).reshape(-1, 1, side, side)  # (G, G, S, S) -> (G*G, 1, S, S)
    report = judge_report(judge, tiles)
    confident = report.confident_classes(CONFIDENT)
    samples = sample_prior(vae, CLOTHES_SAMPLES, seed + 2024)
    quality = sample_quality(judge, samples)
    heldout = real_pictures(dataset).images  # the 2,000 shipped held-out pictures: the same reference for every model
    with torch.inference_mode():
        mu, logvar = vae.encode(data.heldout_images)
        logits = vae.decode_logits(mu)
        held = loss_terms(data.heldout_images, logits, mu, logvar)
    memo = memorization(samples, data.train_images, heldout)
    real = real_pictures(dataset)
    spread = spread_within_kinds(samples, judge_report(judge, samples).predicted)
    names = dataset.class_names
    n = CLOTHES_SAMPLES
    metrics: dict[str, Any] = {
        "grid_classes_confident": len(confident),
        "grid_confident_kinds": [names[k] for k in confident],
        "grid_missing_kinds": [names[k] for k in range(dataset.num_classes) if k not in confident],
        "readable_share": round(quality.readable_share, 4),
        "confident_class_shares": {names[k]: round(float(v), 4) for k, v in enumerate(quality.confident_class_shares)},
        "frechet": round(frechet_to_heldout(judge, samples), 3),
        "frechet_samples": n,
        "frechet_real_vs_real": frechet_floor(judge_metrics, n),
        "frechet_reconstructions": round(frechet_to_heldout(judge, torch.sigmoid(logits[:n])), 3),
        "spread_within_kinds": round(float(np.nanmean(spread)), 4),
        "real_spread_within_kinds": round(float(np.nanmean(spread_within_kinds(real.images, real.labels))), 4),
        "memorization_ratio": round(memo.ratio, 4),
        "median_nearest_training_distance": round(float(np.median(memo.sample_distance)), 4),
        "heldout_median_nearest_training_distance": round(float(np.median(memo.heldout_distance)), 4),
        "heldout_recon_nats": round(float(held.recon.mean()), 3),
        "heldout_kl_nats": round(float(held.kl.mean()), 3),
        "train_recon_nats": round(history[-1][0], 3),
        "train_kl_nats": round(history[-1][1], 3),
    }
    g = recipe.grid_size
    notes = {
        "grid_classes_confident": f"kinds the judge reads with confidence >= {CONFIDENT} somewhere in the {g}x{g} "
        "decoded map (bar: at least 8 of 10)",
        "grid_confident_kinds": "which kinds those are",
        "grid_missing_kinds": "kinds never read confidently on the map (they blend into their neighbours)",
        "readable_share": f"share of {n:,} pictures decoded from random map points that the judge reads with "
        f"confidence >= {CONFIDENT}",
        "confident_class_shares": "share of those pictures confidently read as each kind",
        "frechet": f"Fréchet distance on the judge's features, the same {n:,} pictures vs the 2,000 shipped real "
        "held-out pictures (lower is closer to real)",
        "frechet_samples": "how many pictures the Fréchet distance used",
        "frechet_real_vs_real": f"the floor: {n:,} real training pictures vs the same 2,000 held-out ones",
        "frechet_reconstructions": f"same, for redrawings of {n:,} held-out pictures (encode, then decode the centre)",
        "spread_within_kinds": "diversity: mean pixel distance (RMS, 0..1) between two decoded pictures the judge "
        "reads as the same kind, averaged over kinds",
        "real_spread_within_kinds": "the same for the 2,000 real held-out pictures (by their true kind)",
        "memorization_ratio": "median distance from a decoded picture to its nearest of the 60,000 training pictures, "
        "divided by the same for the 2,000 shipped real held-out pictures (about 1 = new, near 0 = copies; a blurry "
        "VAE can sit below 1 because a blur is close to many pictures at once)",
        "median_nearest_training_distance": "median root-mean-square pixel difference (0..1) to the nearest training "
        "picture, decoded pictures",
        "heldout_median_nearest_training_distance": "the same for real held-out pictures",
        "heldout_recon_nats": "reconstruction term on the 10,000 test pictures (nats per picture, lower = sharper)",
        "heldout_kl_nats": "KL term on the test pictures (nats per picture: how much the map point says)",
        "train_recon_nats": "reconstruction term, last training epoch",
        "train_kl_nats": "KL term, last training epoch",
    }
    h1, h2 = recipe.architecture["hidden"]
    return TrainResult(
        tensors=shipped,
        architecture=dict(recipe.architecture),
        training={"weights_storage": INT8_STORAGE}
        | _training_block(recipe, "Bernoulli (binary cross-entropy on grey levels)"),
        data={
            "description": "the 60,000 Fashion-MNIST training pictures, pixels scaled to [0, 1]",
            "source": dataset.source,
            "licence": dataset.licence,
            "train_size": int(data.train_images.shape[0]),
            "memorization": {
                "file": MEMORIZATION_FILE,
                "description": "20 decoded pictures beside their nearest training picture, and every measured "
                "distance (samples and held-out pictures)",
            },
        },
        metrics=metrics,
        metric_notes=notes,
        extra_files={MEMORIZATION_FILE: memorization_file(samples, data.train_images, memo)},
        card_notes=f"Encoder and decoder are small MLPs (784 -> {h1} -> {h2} -> 2 and back), weights stored as "
        "16-bit floats (measured after that rounding). The 2-D latent is "
        "deliberately tiny so it can be drawn as a map; that is also why pictures come out blurry, and why a coat "
        "and a pullover, or a shirt and a T-shirt, share a region of the map.",
    )


TRAINER = Trainer(
    name="vae",
    title="VAE: a map of handwritten digits (2-D latent)",
    description="A variational autoencoder squeezes each 8x8 digit into just two numbers (a point on a map) "
    "and learns to redraw the digit from that point. Every point on the map decodes to an image.",
    train=make_train(DIGITS_RECIPE),
    default_seed=0,
)

FASHION_TRAINER = Trainer(
    name="fashion_vae",
    title="VAE: a map of clothes (2-D latent)",
    description="A variational autoencoder squeezes each 28x28 picture of a piece of clothing into just two "
    "numbers (a point on a map) and learns to redraw the picture from that point. Every point on the map decodes "
    "to a picture: boots, sneakers and sandals in one region, trousers in another, and blends in between.",
    train=make_train(FASHION_RECIPE),
    default_seed=0,
)

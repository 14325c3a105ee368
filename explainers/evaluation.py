"""How good is a generator? The Evaluation page's numbers: GAN, VAE and diffusion on the same pictures, measured
the same way, beside real held-out pictures; the "real or fake?" game; the text models' perplexity.

Where the numbers come from (never typed in):
- Clothes: the models' cards (config.json `metrics`), measured at training time with explainers.image_quality on
  500 to 2,000 fresh samples against the 2,000 shipped real held-out pictures. Those take minutes (the diffusion
  model alone: 500 pictures x 20 steps), and memorization needs the 60,000 training pictures, which the app does
  not ship. tests/test_evaluation_page.py recomputes them and checks they agree.
- Digits: the cards hold only some of these numbers, and the models are tiny (8x8 pictures), so everything is
  measured here, with the same functions, on DIGIT_SAMPLES fresh samples (the digits judge's real-against-real
  floor is recorded for that sample size).
- The real pictures: always measured here (the judge reading 2,000 or 359 real held-out pictures takes ~0.1 s).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from explainers.datasets import ImageDataset, get_dataset, real_pictures
from explainers.image_quality import CONFIDENT, memorization, sample_quality, spread_within_kinds
from explainers.judge import Judge, frechet_distance, heldout_features, judge_features, judge_report
from explainers.store import read_config

ROLES = ("gan", "vae", "diffusion")
ROLE_WORDS = {"gan": "the GAN", "vae": "the VAE", "diffusion": "the diffusion model"}  # inside a sentence
ROLE_NAMES = {"gan": "GAN", "vae": "VAE", "diffusion": "Diffusion", "real": "Real pictures"}
DIGIT_SAMPLES = 359  # as many as the real held-out digits: the judge's floor `frechet_real_vs_real_359`
EVAL_SEED = 2024  # the seed the trainers draw their evaluation samples with
KIND_SHARE = 0.03  # a kind "appears" when it makes up at least this share of the samples (the GAN card's bar)
DIFFUSION_STEPS = 20  # the Diffusion page's default shortcut sampler (DDIM) for samples shown and measured here
GAME_SIZE = 12
GAME_FAKES = (4, 8)  # a round holds between 4 and 8 fakes (inclusive), so counting cannot give the answers away


@dataclass(frozen=True)
class ImageScore:
    """One generator's (or the real pictures') measures, all on the same judge."""

    role: str  # "gan", "vae", "diffusion" or "real"
    name: str  # the shipped model ("" for real pictures)
    samples: int  # pictures measured
    readable: float  # share the judge reads with confidence >= CONFIDENT
    requested: float | None  # conditional models: share read as the kind asked for
    kind_shares: np.ndarray  # (K,) share of all samples confidently read as each kind
    kinds_present: int  # kinds with at least KIND_SHARE of the samples (confident readings)
    spread: float  # mean pixel distance between two pictures of the same kind (RMS, 0..1), averaged over kinds
    frechet: float  # Fréchet distance on judge features to the real held-out pictures (real: the floor)
    floor: float  # real-against-real Fréchet distance at this sample size
    memorization: float  # median nearest-training distance / the held-out pictures' (real: 1 by definition)
    source: str  # "card" (measured at training time) or "measured" (on this server)

    @property
    def label(self) -> str:
        return ROLE_NAMES[self.role]


@dataclass(frozen=True)
class ImageEvaluation:
    dataset: str
    class_names: tuple[str, ...]
    real: ImageScore
    models: tuple[ImageScore, ...]  # gan, vae, diffusion (those that loaded)

    @property
    def rows(self) -> tuple[ImageScore, ...]:
        return (*self.models, self.real)

    def by_role(self, role: str) -> ImageScore | None:
        return next((r for r in self.rows if r.role == role), None)


# ------------------------------------------------------------------------------------------ samples


Draw = Callable[[int, int], tuple[torch.Tensor, "np.ndarray | None"]]


def sampler(data: ImageDataset, role: str) -> Draw:
    """The shipped `role` model of the dataset, loaded once, as `draw(n, seed)`: `n` fresh pictures (n, 1, S, S) in
    [0, 1] and the kinds asked for (diffusion and the clothes GAN: 0, 1, ..., 9, 0, ...; None for the unconditional
    digit GAN and the VAEs).
    Raises ModelLoadError."""
    name = data.model(role)
    if role == "gan":
        from explainers.store import load_model

        loaded = load_model(name)
        if data.key == "digits":
            from explainers.gan import ShippedDigitsGan

            gan = ShippedDigitsGan(loaded.tensors, loaded.config)
        else:
            from explainers.gan_images import ShippedImageGan

            gan = ShippedImageGan(loaded.tensors, loaded.config)

        def draw_gan(n: int, seed: int) -> tuple[torch.Tensor, np.ndarray | None]:
            kinds = gan.kinds(n) if data.key != "digits" else None  # the clothes GAN is conditional: each in turn
            pictures = torch.from_numpy(np.ascontiguousarray(gan.sample(n, seed), np.float32))[:, None]
            return pictures, None if kinds is None else kinds.numpy()

        return draw_gan
    if role == "vae":
        from explainers.vae import load_vae, sample_prior

        vae = load_vae(name)
        return lambda n, seed: (sample_prior(vae, n, seed).float(), None)
    if role == "diffusion":
        from explainers.diffusion import MAX_BATCH, load_diffusion, sample
        from explainers.digits import to_unit

        model = load_diffusion(name)

        def draw(n: int, seed: int) -> tuple[torch.Tensor, np.ndarray]:
            labels = np.arange(n) % data.num_classes
            chunks = [
                sample(model, labels[i : i + MAX_BATCH], seed=seed + i, sampler="ddim", steps=DIFFUSION_STEPS).samples
                for i in range(0, n, MAX_BATCH)
            ]
            return to_unit(torch.from_numpy(np.concatenate(chunks)))[:, None].float(), labels

        return draw
    raise ValueError(f"unknown generator {role!r}; choose one of: {', '.join(ROLES)}")


def generate(data: ImageDataset, role: str, n: int, seed: int) -> tuple[torch.Tensor, np.ndarray | None]:
    """`n` fresh pictures of the shipped `role` model (see `sampler`)."""
    return sampler(data, role)(n, seed)


# ------------------------------------------------------------------------------------------ measures


def _judge_floor(data: ImageDataset, n: int) -> float:
    """The judge's recorded real-against-real Fréchet distance for the sample size nearest to `n`."""
    metrics = read_config(data.model("judge"))["metrics"]
    sizes = {int(k.rsplit("_", 1)[1]): float(v) for k, v in metrics.items() if k.startswith("frechet_real_vs_real_")}
    # The plain key: training pictures against all the shipped held-out ones (2,000 clothes; digits list 359 too).
    sizes.setdefault(len(real_pictures(data).labels), float(metrics["frechet_real_vs_real"]))
    return sizes[min(sizes, key=lambda s: abs(s - n))]


def measure(
    data: ImageDataset,
    judge: Judge,
    role: str,
    images: torch.Tensor,
    requested: np.ndarray | None,
    train: torch.Tensor | None,
) -> ImageScore:
    """Every measure of pictures (N, 1, S, S) in [0, 1], computed now. `train`: the training pictures for the
    memorization ratio (None: not measured, NaN)."""
    real = real_pictures(data)
    quality = sample_quality(judge, images, requested)
    predicted = judge_report(judge, images).predicted if role != "real" else real.labels.numpy()
    spread = float(np.nanmean(spread_within_kinds(images, predicted, data.num_classes)))
    n = images.shape[0]
    floor = _judge_floor(data, n)
    if role == "real":
        fd, memo = floor, 1.0
    else:
        fd = frechet_distance(judge_features(judge, images), heldout_features(judge))
        memo = memorization(images, train, real.images).ratio if train is not None else math.nan
    return ImageScore(
        role=role,
        name="" if role == "real" else data.model(role),
        samples=n,
        readable=quality.readable_share,
        requested=quality.requested_share,
        kind_shares=quality.confident_class_shares,
        kinds_present=quality.kinds_at_least(KIND_SHARE),
        spread=spread,
        frechet=fd,
        floor=floor,
        memorization=memo,
        source="measured",
    )


def from_card(data: ImageDataset, role: str) -> ImageScore | None:
    """A clothes model's measures as its card records them (None when the card lacks one of them)."""
    name = data.model(role)
    m = read_config(name).get("metrics", {})
    names = data.class_names
    try:
        readable = float(m["readable_share"]) if "readable_share" in m else 1 - float(m["unreadable_share"])
        if "confident_class_shares" in m:
            shares = np.array([float(m["confident_class_shares"][k]) for k in names])
        else:  # the conditional diffusion model: every kind asked for equally; the share read as the kind asked
            shares = np.array([float(m["per_kind_accuracy"][k]) for k in names]) / len(names)
        fd = float(m["frechet"] if "frechet" in m else m["frechet_to_heldout"])
        n = int(m.get("frechet_samples", m.get("eval_samples", 0)))
        return ImageScore(
            role=role,
            name=name,
            samples=n,
            readable=readable,
            requested=float(m["conditional_accuracy"]) if "conditional_accuracy" in m else None,
            kind_shares=shares,
            kinds_present=int((shares >= KIND_SHARE).sum()),
            spread=float(m["spread_within_kinds"]),
            frechet=fd,
            floor=float(m["frechet_real_vs_real"]),
            memorization=float(m["memorization_ratio"]),
            source="card",
        )
    except (KeyError, TypeError, ValueError):
        return None


def real_score(data: ImageDataset, judge: Judge) -> ImageScore:
    real = real_pictures(data)
    return measure(data, judge, "real", real.images, real.labels.numpy(), None)


def measure_model(data: ImageDataset, judge: Judge, role: str, n: int, seed: int = EVAL_SEED) -> ImageScore:
    """A fresh measurement of the shipped `role` model on `n` new samples (memorization against the training
    split when the dataset's training pictures are at hand: always for digits, for clothes only at training time)."""
    images, requested = generate(data, role, n, seed)
    train = None
    if data.key == "digits":
        train = data.split().train_images
    return measure(data, judge, role, images, requested, train)


def evaluate_images(data: ImageDataset | str, judge: Judge) -> ImageEvaluation:
    """Every generator of the dataset and the real pictures. Clothes from the cards (measured at training time),
    digits measured now on DIGIT_SAMPLES samples each (about a second). Models that fail to load are left out."""
    from explainers.store import ModelLoadError

    data = get_dataset(data) if isinstance(data, str) else data
    rows = []
    for role in ROLES:
        try:
            row = from_card(data, role) if data.key != "digits" else None
            rows.append(row if row is not None else measure_model(data, judge, role, DIGIT_SAMPLES))
        except ModelLoadError:
            continue
    return ImageEvaluation(data.key, data.class_names, real_score(data, judge), tuple(rows))


# ------------------------------------------------------------------------------------------ the game


@dataclass(frozen=True)
class GameRound:
    seed: int
    is_fake: np.ndarray  # (GAME_SIZE,) bool
    pick: np.ndarray  # (GAME_SIZE,) index into the fake pool where is_fake, else into the real pictures


def deal(seed: int, fake_pool: int, real_pool: int, size: int = GAME_SIZE) -> GameRound:
    """Which of `size` places hold a fake, and which picture each shows, from the seed alone."""
    rng = np.random.default_rng(int(seed))
    fakes = int(rng.integers(GAME_FAKES[0], GAME_FAKES[1] + 1))
    is_fake = np.zeros(size, dtype=bool)
    is_fake[rng.choice(size, fakes, replace=False)] = True
    pick = np.zeros(size, dtype=np.int64)
    pick[is_fake] = rng.choice(fake_pool, fakes, replace=False)
    pick[~is_fake] = rng.choice(real_pool, size - fakes, replace=False)
    return GameRound(int(seed), is_fake, pick)


def judge_calls_fake(judge: Judge, images: torch.Tensor, threshold: float = CONFIDENT) -> np.ndarray:
    """The judge's guess for each picture (N, 1, S, S): fake when it cannot tell with confidence what the picture
    shows. A classifier, not a real-or-fake detector: it catches blurry and muddled fakes, never a clean one."""
    return judge_report(judge, images).confidence < threshold


@dataclass(frozen=True)
class GameResult:
    reader_right: int
    judge_right: int
    size: int
    fakes: int
    caught: int  # fakes the reader marked
    false_alarms: int  # real pictures the reader marked


def score(is_fake: np.ndarray, marked: np.ndarray, judge_fake: np.ndarray) -> GameResult:
    is_fake, marked, judge_fake = (np.asarray(a, dtype=bool) for a in (is_fake, marked, judge_fake))
    return GameResult(
        reader_right=int((marked == is_fake).sum()),
        judge_right=int((judge_fake == is_fake).sum()),
        size=len(is_fake),
        fakes=int(is_fake.sum()),
        caught=int((marked & is_fake).sum()),
        false_alarms=int((marked & ~is_fake).sum()),
    )


# ------------------------------------------------------------------------------------------ pictures to show

POOL = {"gan": 40, "vae": 40, "diffusion": 20}  # fresh samples per model for the grids and the game
POOL_SEED = 7


def sample_pool(draw: Draw, role: str, seed: int = POOL_SEED) -> np.ndarray:
    """The pictures the page shows of a model (grid and game), from its `sampler`: (n, S, S) in [0, 1]. The
    diffusion pool is two of each kind (each picture costs 20 guided steps), the others 40 pictures."""
    images, _ = draw(POOL[role], seed)
    return images[:, 0].numpy()


# ------------------------------------------------------------------------------------------ speed


@dataclass(frozen=True)
class Speed:
    role: str
    ms_per_picture: float  # median of `reps` timed runs, one picture each, the model already loaded
    passes: int  # network passes per picture


def time_one_picture(draw: Draw, role: str, reps: int = 3) -> Speed:
    """Time one picture of a loaded model (`sampler`) drawn as this page draws them (diffusion: the 20-step
    shortcut, each step scoring the picture with and without its kind in one batch): the median of `reps` runs
    after one untimed run (first calls allocate). Run it on one torch thread, as a visitor's request runs."""
    import statistics
    import time

    draw(1, 0)
    times = []
    for i in range(reps):
        started = time.perf_counter()
        draw(1, i + 1)
        times.append((time.perf_counter() - started) * 1000)
    return Speed(role, statistics.median(times), DIFFUSION_STEPS if role == "diffusion" else 1)

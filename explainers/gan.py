"""A GAN, opened up: a forger (the generator) and a detective (the discriminator) trained against each other.

The same small code trains the page's modes:
- 2-D points (ring, moons, spiral): every real point, every fake point and the detective's whole
  decision surface can be drawn, as in GAN Lab; `points_verdict` says when that game is really a stalemate;
- 8x8 handwritten digits: the forger paints 64 pixels from 32 random numbers;
- 28x28 clothes: the same game and updates with convolutional networks (explainers/gan_images.py).
`coverage_verdict` names mode collapse from the judge's confident readings of the fakes.

Reference: Goodfellow et al. 2014, "Generative Adversarial Nets" (eq. 1 is the minimax game).
Nothing here touches global RNG: every random draw comes from a `torch.Generator` built from a seed,
so a seed fixes the whole run. A training run is one visitor's own object; shipped models are
only read (under `torch.inference_mode()`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from explainers.digits import to_signed, to_unit
from explainers.gan_points import EXTENT, sample_points
from explainers.image_quality import CONFIDENT

LossKind = Literal["non_saturating", "minimax", "hinge"]
LOSS_KINDS: tuple[str, ...] = ("non_saturating", "minimax", "hinge")


# ----------------------------------------------------------------------------- networks


class Generator(nn.Module):
    """The forger: noise z (B, z_dim) -> a fake sample (B, out_dim). A plain MLP."""

    def __init__(self, z_dim: int, hidden: list[int], out_dim: int, squash: bool) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = z_dim
        for h in hidden:
            layers += [nn.Linear(width, h), nn.LeakyReLU(0.2)]
            width = h
        layers.append(nn.Linear(width, out_dim))
        self.net = nn.Sequential(*layers)
        self.squash = squash  # digits: tanh keeps pixels in [-1, 1]; points: no limit

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.net(z)  # (B, out_dim)
        return torch.tanh(x) if self.squash else x


class Discriminator(nn.Module):
    """The detective: a sample (B, in_dim) -> one score per sample (B,), a logit; sigmoid(score) = P(real).

    With `minibatch_std`, the detective also sees how varied the whole batch is (Karras et al. 2018,
    "Progressive Growing of GANs", sec. 3): a forger that paints the same digit every time is easy
    to catch, which pushes the forger to cover every class.
    """

    def __init__(self, in_dim: int, hidden: list[int], minibatch_std: bool = False) -> None:
        super().__init__()
        self.minibatch_std = minibatch_std
        self.first = nn.Linear(in_dim, hidden[0])
        layers: list[nn.Module] = []
        width = hidden[0] + (1 if minibatch_std else 0)
        for h in hidden[1:]:
            layers += [nn.Linear(width, h), nn.LeakyReLU(0.2)]
            width = h
        layers.append(nn.Linear(width, 1))
        self.rest = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.leaky_relu(self.first(x), 0.2)  # (B, H)
        if self.minibatch_std:
            spread = h.std(dim=0, unbiased=False).mean()  # one number: how different the batch members are
            h = torch.cat([h, spread.expand(h.shape[0], 1)], dim=1)  # (B, H + 1)
        return self.rest(h).squeeze(1)  # (B,)


def init_weights_(module: nn.Module, generator: torch.Generator) -> None:
    """PyTorch's default initialisation of linear, convolution and embedding layers, but drawn from `generator`
    (no global RNG). Batch-norm layers keep their defaults (scale 1, shift 0)."""
    for layer in module.modules():
        if isinstance(layer, nn.Linear | nn.Conv2d | nn.ConvTranspose2d):
            nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=generator)
            if layer.bias is not None:
                fan_in, _ = nn.init._calculate_fan_in_and_fan_out(layer.weight)
                bound = 1 / math.sqrt(fan_in)
                nn.init.uniform_(layer.bias, -bound, bound, generator=generator)
        elif isinstance(layer, nn.Embedding):
            nn.init.normal_(layer.weight, generator=generator)


def build_generator(arch: dict[str, Any]) -> Generator:
    return Generator(arch["z_dim"], list(arch["g_hidden"]), arch["data_dim"], squash=arch.get("squash", False))


def build_discriminator(arch: dict[str, Any]) -> Discriminator:
    return Discriminator(arch["data_dim"], list(arch["d_hidden"]), minibatch_std=arch.get("minibatch_std", False))


# ----------------------------------------------------------------------------- losses and one training step


def discriminator_loss(
    real_logits: torch.Tensor, fake_logits: torch.Tensor, kind: LossKind = "non_saturating"
) -> torch.Tensor:
    """The detective maximises log D(x) + log(1 - D(G(z))) (Goodfellow et al. 2014, eq. 1); we minimise the negative.

    With D = sigmoid(logit): -log D = softplus(-logit) and -log(1 - D) = softplus(logit).
    hinge (Lim & Ye 2017; Miyato et al. 2018): scores above +1 on real and below -1 on fake cost nothing, so the
    detective stops pushing once it is sure, which keeps the game calmer.
    """
    if kind == "hinge":
        return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def generator_loss(fake_logits: torch.Tensor, kind: LossKind = "non_saturating") -> torch.Tensor:
    """The forger's loss.

    minimax: minimise log(1 - D(G(z))) = -softplus(logit), exactly eq. 1. When the detective wins
    easily early on, D(G(z)) is near 0 where this curve is flat, so the forger gets almost no signal.
    non_saturating: minimise -log D(G(z)) = softplus(-logit) instead (same fixed point, strong
    gradients early; Goodfellow et al. 2014, sec. 3).
    """
    if kind == "minimax":
        return -F.softplus(fake_logits).mean()
    if kind == "non_saturating":
        return F.softplus(-fake_logits).mean()
    if kind == "hinge":  # raise the detective's score of the fakes (its partner in discriminator_loss)
        return -fake_logits.mean()
    raise ValueError(f"unknown generator loss {kind!r}; choose one of {', '.join(LOSS_KINDS)}")


def discriminator_step(
    gen: nn.Module,
    disc: nn.Module,
    opt_d: torch.optim.Optimizer,
    real: torch.Tensor,
    z: torch.Tensor,
    kind: LossKind = "non_saturating",
    real_labels: torch.Tensor | None = None,
    fake_labels: torch.Tensor | None = None,
    kind_weight: float = 0.0,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One update of the detective only. The forger's output is computed without gradients.

    A class-conditional pair (labels given) is told each picture's kind: the forger draws the kind asked for,
    the detective judges a picture together with the kind it claims to be. With `kind_weight`, the detective
    also learns to name the kind of real pictures (an auxiliary classifier, Odena et al. 2017), weighted so."""
    with torch.no_grad():
        fake = gen(z) if fake_labels is None else gen(z, fake_labels)
    aux = torch.zeros(())
    if real_labels is not None and kind_weight:
        real_logits, kind_logits = disc(real, real_labels, with_kinds=True)
        fake_logits = disc(fake, fake_labels)
        aux = kind_weight * F.cross_entropy(kind_logits, real_labels)
    elif real_labels is not None:
        real_logits, fake_logits = disc(real, real_labels), disc(fake, fake_labels)
    elif disc.minibatch_std:  # batch statistics must not mix real and fake samples
        real_logits, fake_logits = disc(real), disc(fake)
    else:  # one pass over both halves is faster for the tiny 2-D nets
        real_logits, fake_logits = disc(torch.cat([real, fake])).split([len(real), len(fake)])
    loss = discriminator_loss(real_logits, fake_logits, kind) + aux
    opt_d.zero_grad(set_to_none=True)
    loss.backward()
    opt_d.step()
    return loss.detach(), torch.sigmoid(real_logits).mean().detach(), torch.sigmoid(fake_logits).mean().detach()


def generator_step(
    gen: nn.Module,
    disc: nn.Module,
    opt_g: torch.optim.Optimizer,
    z: torch.Tensor,
    kind: LossKind,
    labels: torch.Tensor | None = None,
    kind_weight: float = 0.0,
) -> torch.Tensor:
    """One update of the forger only. Gradients flow *through* the frozen detective into the forger.
    With `kind_weight`, the forger is also scored on whether the detective's classifier names the kind asked for."""
    disc.requires_grad_(False)  # the detective is the forger's scoring rule here, not a learner
    try:
        if labels is None:
            loss = generator_loss(disc(gen(z)), kind)
        elif kind_weight:
            logits, kind_logits = disc(gen(z, labels), labels, with_kinds=True)
            loss = generator_loss(logits, kind) + kind_weight * F.cross_entropy(kind_logits, labels)
        else:
            loss = generator_loss(disc(gen(z, labels), labels), kind)
        opt_g.zero_grad(set_to_none=True)
        loss.backward()
        opt_g.step()
    finally:
        disc.requires_grad_(True)
    return loss.detach()


DCGAN_BETAS = (0.5, 0.999)  # beta1 = 0.5 as in DCGAN (Radford et al. 2016): less momentum keeps the game stable


def make_optimizer(module: nn.Module, lr: float, betas: tuple[float, float] = DCGAN_BETAS) -> torch.optim.Adam:
    return torch.optim.Adam(module.parameters(), lr=lr, betas=betas, fused=True)


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr


def downsample(values: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Average a long curve into at most `max_points` buckets; returns (step at bucket end, mean value)."""
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    size = max(1, math.ceil(n / max_points))
    usable = (n // size) * size
    means = values[:usable].reshape(-1, size).mean(axis=1) if usable else np.zeros(0)
    steps = np.arange(1, len(means) + 1) * size
    if usable < n:  # a partial last bucket keeps the newest steps on screen
        means = np.append(means, values[usable:].mean())
        steps = np.append(steps, n)
    return steps.astype(np.int64), means.astype(np.float32)


class _History:
    """Per-step numbers in preallocated arrays (cheap to append, cheap to draw)."""

    def __init__(self, capacity: int) -> None:
        self.d_loss = np.zeros(capacity, dtype=np.float32)
        self.g_loss = np.zeros(capacity, dtype=np.float32)
        self.d_real = np.zeros(capacity, dtype=np.float32)
        self.d_fake = np.zeros(capacity, dtype=np.float32)
        self.n = 0

    def add(self, stats: torch.Tensor) -> None:
        """`stats`: (k, 4) rows of d_loss, g_loss, d_real, d_fake."""
        rows = stats.numpy()
        k = len(rows)
        end = self.n + k
        self.d_loss[self.n : end], self.g_loss[self.n : end] = rows[:, 0], rows[:, 1]
        self.d_real[self.n : end], self.d_fake[self.n : end] = rows[:, 2], rows[:, 3]
        self.n = end

    def curves(self, max_points: int) -> dict[str, np.ndarray]:
        steps, d = downsample(self.d_loss[: self.n], max_points)
        _, g = downsample(self.g_loss[: self.n], max_points)
        return {"steps": steps, "d_loss": d, "g_loss": g}


class _Run:
    """Shared machinery of a live run: two networks, two optimisers, a seeded RNG and a hard step cap.

    With `labels` (one kind per real sample) and an architecture with `num_classes`, the pair is class-conditional:
    every fake is asked to be a kind drawn at random, and the detective sees the kind with each sample."""

    def __init__(
        self,
        arch: dict[str, Any],
        real: torch.Tensor,
        seed: int,
        lr_g: float,
        lr_d: float,
        loss: LossKind,
        batch_size: int,
        max_steps: int,
        display: int,
        labels: torch.Tensor | None = None,
        betas: tuple[float, float] = DCGAN_BETAS,
    ) -> None:
        if loss not in LOSS_KINDS:
            raise ValueError(f"unknown generator loss {loss!r}")
        self.arch = dict(arch)
        self.num_classes = int(self.arch.get("num_classes", 0))
        self.kind_weight = float(self.arch.get("kind_weight", 0.0))  # auxiliary classifier's weight (conditional)
        if self.num_classes and labels is None:
            raise ValueError("a class-conditional GAN needs the kind of every real picture (labels)")
        self.seed = seed
        self.rng = torch.Generator().manual_seed(seed)
        self.gen, self.disc = self._networks()
        self.opt_g = make_optimizer(self.gen, lr_g, betas)
        self.opt_d = make_optimizer(self.disc, lr_d, betas)
        self.lr_g, self.lr_d = lr_g, lr_d
        self.loss: LossKind = loss
        self.real = real  # (N, ...) the pool real batches are drawn from
        self.labels = None if not self.num_classes else torch.as_tensor(labels, dtype=torch.int64)  # (N,)
        self.batch_size = batch_size
        self.max_steps = max_steps
        self.display_z = torch.randn(display, arch["z_dim"], generator=self.rng)  # fixed: the same fakes move over time
        # Conditional: the fixed fakes ask for the kinds in turn (0, 1, ..., 9, 0, ...), equally many of each.
        self.display_labels = balanced_labels(display, self.num_classes) if self.num_classes else None
        self.history = _History(max_steps)

    def _networks(self) -> tuple[nn.Module, nn.Module]:
        """The forger and the detective, initialised from self.rng (the MLPs here; conv nets in gan_images)."""
        gen, disc = build_generator(self.arch), build_discriminator(self.arch)
        init_weights_(gen, self.rng)
        init_weights_(disc, self.rng)
        return gen, disc

    @property
    def step(self) -> int:
        return self.history.n

    @property
    def finished(self) -> bool:
        return self.step >= self.max_steps

    def set_hyperparameters(
        self, lr_g: float | None = None, lr_d: float | None = None, loss: LossKind | None = None
    ) -> None:
        """Change the learning rates or the forger's loss mid-run, as GAN Lab allows."""
        if lr_g is not None:
            self.lr_g = float(lr_g)
            set_lr(self.opt_g, self.lr_g)
        if lr_d is not None:
            self.lr_d = float(lr_d)
            set_lr(self.opt_d, self.lr_d)
        if loss is not None:
            if loss not in LOSS_KINDS:
                raise ValueError(f"unknown generator loss {loss!r}")
            self.loss = loss

    def _kinds(self, n: int) -> torch.Tensor | None:
        """Kinds asked of n fresh fakes (uniform at random), or None for an unconditional pair (no RNG drawn)."""
        return torch.randint(0, self.num_classes, (n,), generator=self.rng) if self.num_classes else None

    def train(self, n_steps: int, d_steps: int = 1, g_steps: int = 1) -> int:
        """Run up to `n_steps` rounds (each: `d_steps` detective updates, then `g_steps` forger updates).

        Never goes past the hard cap. Returns how many rounds ran.
        """
        n = max(0, min(int(n_steps), self.max_steps - self.step))
        if n == 0:
            return 0
        self.gen.train()
        stats = torch.zeros(n, 4)
        z_dim, b = self.arch["z_dim"], self.batch_size
        nan_z = torch.zeros(1)
        for i in range(n):
            d_loss = d_real = d_fake = g_loss = nan_z[0]
            for _ in range(d_steps):
                idx = torch.randint(0, len(self.real), (b,), generator=self.rng)
                z = torch.randn(b, z_dim, generator=self.rng)
                real_kinds = None if self.labels is None else self.labels[idx]
                fake_kinds = self._kinds(b)
                d_loss, d_real, d_fake = discriminator_step(
                    self.gen,
                    self.disc,
                    self.opt_d,
                    self.real[idx],
                    z,
                    self.loss,
                    real_kinds,
                    fake_kinds,
                    self.kind_weight,
                )
            for _ in range(g_steps):
                z = torch.randn(b, z_dim, generator=self.rng)
                kinds = self._kinds(b)
                g_loss = generator_step(self.gen, self.disc, self.opt_g, z, self.loss, kinds, self.kind_weight)
            stats[i, 0], stats[i, 1], stats[i, 2], stats[i, 3] = d_loss, g_loss, d_real, d_fake
            self._after_step(self.step + i + 1)
        self.history.add(stats)
        return n

    def _after_step(self, step: int) -> None:
        """Called after every round with the number of rounds done (the image GAN keeps a weight average here)."""

    def state_tensors(self, prefix_g: str = "generator.", prefix_d: str = "discriminator.") -> dict[str, torch.Tensor]:
        tensors = {prefix_g + k: v.detach().clone() for k, v in self.gen.state_dict().items()}
        tensors.update({prefix_d + k: v.detach().clone() for k, v in self.disc.state_dict().items()})
        return tensors


def balanced_labels(n: int, num_classes: int) -> torch.Tensor:
    """Kinds 0, 1, ..., K-1, 0, 1, ... for n conditional fakes: every kind equally often (n a multiple of K)."""
    return torch.arange(n, dtype=torch.int64) % num_classes


@dataclass(frozen=True)
class PicturesView:
    """A picture run as it is now (digits or clothes)."""

    step: int
    max_steps: int
    images: np.ndarray  # (n, S, S) in [0, 1], from the fixed noise batch
    steps: np.ndarray  # loss curves, averaged into buckets
    d_loss: np.ndarray
    g_loss: np.ndarray


class PicturesRun(_Run):
    """A run on pictures: `samples()` draws the fixed fakes; `view()` is what the page shows."""

    def samples(self) -> np.ndarray:
        raise NotImplementedError

    def view(self, max_curve_points: int = 200) -> PicturesView:
        curves = self.history.curves(max_curve_points)
        return PicturesView(
            step=self.step,
            max_steps=self.max_steps,
            images=self.samples(),
            steps=curves["steps"],
            d_loss=curves["d_loss"],
            g_loss=curves["g_loss"],
        )


# ----------------------------------------------------------------------------- 2-D points

POINTS_ARCH: dict[str, Any] = {"z_dim": 2, "g_hidden": [32, 32], "d_hidden": [32, 32], "data_dim": 2, "squash": False}
POINTS_MAX_STEPS = 20_000  # hard cap per run: at most a minute or so of one core
POINTS_POOL = 4096
POINTS_DISPLAY = 300
GRID = 40  # the decision surface is drawn on a GRID x GRID lattice


# ----------------------------------------------------------------------------- is it a stalemate? (2-D)
# A stalemate needs two things at once: the fakes cover the data, and the detective can only guess. A detective at
# 50/50 alone proves nothing: an untrained detective guesses too, and a forger that parks every fake in one clump
# can fool a weak detective for thousands of steps. So the fakes' coverage is measured on the arena's own points,
# in the spirit of precision and recall for generative models (Sajjadi et al. 2018; Kynkäänniemi et al. 2019),
# with one fixed, visible distance instead of neighbourhood radii.

NEAR = 0.2  # "nearby" on the arena (4.4 units wide): a real point is covered if a fake lies this close, and back
COVERED = 0.9  # a stalemate needs at least this share of the real points covered ...
ON_DATA = 0.85  # ... and at least this share of the fakes on the data
CROWDED = 0.6  # fakes mostly on the data (this share) but covering less than this share of it: mode collapse
CLUMP = 0.25  # fakes spread less than this fraction of the data's spread: they sit in one clump
EARLY_STEPS = 100  # a clump this early is the forger's starting blob, not yet a collapse (pictures: noise)
GUESSING_GAP = 0.08  # the detective rates reals and fakes this close: it is guessing
SPOTS_GAP = 0.3  # this far apart: it spots the fakes easily
HALF_BAND = 0.1  # guessing at a stalemate means both ratings near 50%


@dataclass(frozen=True)
class PointsCoverage:
    """How well the fakes cover the real points, measured on the points the arena draws."""

    real_covered: float  # share of real points with a fake within NEAR
    fakes_on_data: float  # share of fakes with a real point within NEAR
    spread: float  # the fakes' spread divided by the real points' spread (RMS distance from their centre)


def _nearest(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(n,) distance from each point of a (n, 2) to its nearest point of b (m, 2)."""
    return np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)).min(axis=1)  # (n, m) -> (n,)


def _spread(points: np.ndarray) -> float:
    return float(np.sqrt(((points - points.mean(axis=0)) ** 2).sum(axis=1).mean()))


def points_coverage(real: np.ndarray, fake: np.ndarray, near: float = NEAR) -> PointsCoverage:
    """Coverage of real points (n, 2) by fakes (m, 2); NaN-free for any non-empty input."""
    real, fake = np.asarray(real, dtype=np.float64), np.asarray(fake, dtype=np.float64)
    return PointsCoverage(
        real_covered=float((_nearest(real, fake) <= near).mean()),
        fakes_on_data=float((_nearest(fake, real) <= near).mean()),
        spread=_spread(fake) / max(_spread(real), 1e-9),
    )


FakesState = Literal["start", "blob", "clump", "off", "spread_out", "closing_in", "collapse", "covered"]
DetectiveState = Literal["untrained", "spots", "tells", "guessing"]


@dataclass(frozen=True)
class PointsVerdict:
    """One reading of the arena that every headline on the page is worded from (figures.gan), so they agree."""

    step: int
    fakes: FakesState
    detective: DetectiveState
    stalemate: bool  # the fakes cover the data AND the detective is near 50/50 on both
    coverage: PointsCoverage
    d_real: float  # the detective's mean P(real) on real points over the recent steps
    d_fake: float  # ... and on fakes


def points_verdict(step: int, coverage: PointsCoverage, d_real: float, d_fake: float) -> PointsVerdict:
    """Name where the fakes are (a blob, one clump, part of the data, all of it...) and what the detective sees."""
    c = coverage
    if step == 0:
        fakes: FakesState = "start"
    elif c.spread < CLUMP:
        fakes = "blob" if step < EARLY_STEPS else "clump"
    elif c.real_covered >= COVERED and c.fakes_on_data >= ON_DATA:
        fakes = "covered"
    elif c.fakes_on_data >= CROWDED and c.real_covered < CROWDED:
        fakes = "collapse"
    elif c.real_covered >= CROWDED:
        fakes = "closing_in" if c.fakes_on_data >= CROWDED else "spread_out"
    else:
        fakes = "off"
    if step == 0 or not (np.isfinite(d_real) and np.isfinite(d_fake)):
        detective: DetectiveState = "untrained"
    elif d_real - d_fake > SPOTS_GAP:
        detective = "spots"
    elif d_real - d_fake > GUESSING_GAP:
        detective = "tells"
    else:
        detective = "guessing"
    stalemate = (
        fakes == "covered"
        and detective == "guessing"
        and abs(d_real - 0.5) <= HALF_BAND
        and abs(d_fake - 0.5) <= HALF_BAND
    )
    return PointsVerdict(step, fakes, detective, stalemate, coverage, d_real, d_fake)


@dataclass(frozen=True)
class PointsView:
    """Everything the 2-D page draws, as plain numbers."""

    dataset: str
    step: int
    max_steps: int
    real: np.ndarray  # (n, 2) real points
    fake: np.ndarray  # (m, 2) the forger's points for a fixed batch of noise
    arrows: np.ndarray  # (m, 2) where the forger's next update pushes each fake point (unit-ish length)
    axis: np.ndarray  # (GRID,) coordinates of the grid lines on both axes
    surface: np.ndarray  # (GRID, GRID) detective's P(real) at (y, x)
    steps: np.ndarray  # (k,) loss curves, averaged into buckets
    d_loss: np.ndarray
    g_loss: np.ndarray
    d_real: float  # mean P(real) over the recent steps, real points
    d_fake: float  # same for fakes
    verdict: PointsVerdict  # where the fakes are and what the detective sees, in one reading for every headline


class PointsTraining(_Run):
    """One visitor's live 2-D GAN. Each session builds its own; nothing here is shared."""

    def __init__(
        self,
        dataset: str = "ring",
        seed: int = 0,
        lr_g: float = 1e-3,
        lr_d: float = 1e-3,
        loss: LossKind = "non_saturating",
        batch_size: int = 128,
        max_steps: int = POINTS_MAX_STEPS,
    ) -> None:
        real = torch.from_numpy(sample_points(dataset, POINTS_POOL, seed=seed))
        super().__init__(POINTS_ARCH, real, seed, lr_g, lr_d, loss, batch_size, max_steps, POINTS_DISPLAY)
        self.dataset = dataset
        self.shown_real = self.real[:POINTS_DISPLAY].numpy()
        self.axis = np.linspace(-EXTENT, EXTENT, GRID, dtype=np.float32)
        gx, gy = np.meshgrid(self.axis, self.axis)  # (GRID, GRID) each; row = y
        self.grid_points = torch.from_numpy(np.stack([gx.ravel(), gy.ravel()], axis=1))  # (GRID*GRID, 2)

    def view(self, max_curve_points: int = 200, arrows: int = 80) -> PointsView:
        with torch.no_grad():
            fake = self.gen(self.display_z)  # (m, 2)
            surface = torch.sigmoid(self.disc(self.grid_points)).reshape(GRID, GRID)  # (y, x)
        # The forger's gradient at each fake point: the direction its next update will move that point.
        shown = fake[:arrows].clone().requires_grad_(True)
        self.disc.requires_grad_(False)
        try:
            loss = generator_loss(self.disc(shown), self.loss) * len(shown)
            (grad,) = torch.autograd.grad(loss, shown)
        finally:
            self.disc.requires_grad_(True)
        push = -grad  # descent direction
        scale = push.norm(dim=1).max().clamp_min(1e-8)
        push = push / scale * 0.35  # longest arrow 0.35 units, others in proportion
        recent = slice(max(0, self.step - 50), self.step)
        curves = self.history.curves(max_curve_points)
        d_real = float(self.history.d_real[recent].mean()) if self.step else float("nan")
        d_fake = float(self.history.d_fake[recent].mean()) if self.step else float("nan")
        fake_np = fake.numpy()
        return PointsView(
            dataset=self.dataset,
            step=self.step,
            max_steps=self.max_steps,
            real=self.shown_real,
            fake=fake_np,
            arrows=push.numpy(),
            axis=self.axis,
            surface=surface.numpy(),
            steps=curves["steps"],
            d_loss=curves["d_loss"],
            g_loss=curves["g_loss"],
            d_real=d_real,
            d_fake=d_fake,
            verdict=points_verdict(self.step, points_coverage(self.shown_real, fake_np), d_real, d_fake),
        )


# ----------------------------------------------------------------------------- 8x8 digits

DIGITS_ARCH: dict[str, Any] = {
    "z_dim": 32,
    "g_hidden": [128, 256],
    "d_hidden": [256, 128],
    "data_dim": 64,
    "squash": True,
    "minibatch_std": True,
    "image_size": 8,
}
DIGITS_LIVE_MAX_STEPS = 3_000  # hard cap for the live run on the page
DIGITS_DISPLAY = 100


def to_images(x: torch.Tensor | np.ndarray) -> np.ndarray:
    """Forger output in [-1, 1], shape (B, 64) -> images in [0, 1], shape (B, 8, 8)."""
    x = torch.as_tensor(x).detach().float()
    return to_unit(x.reshape(-1, 8, 8)).numpy()  # (B, 8, 8)


def from_images(images: np.ndarray) -> torch.Tensor:
    """Images in [0, 1], any shape (B, ..., 8, 8) -> the forger's pixel scale [-1, 1], shape (B, 64)."""
    return to_signed(torch.as_tensor(np.asarray(images, dtype=np.float32)).reshape(len(images), -1))


class DigitsTraining(PicturesRun):
    """A digits GAN trained from scratch: used live on the page (capped) and by training/gan_digits.py."""

    def __init__(
        self,
        real_images: np.ndarray,
        seed: int = 0,
        lr_g: float = 2e-4,
        lr_d: float = 2e-4,
        loss: LossKind = "non_saturating",
        batch_size: int = 64,
        max_steps: int = DIGITS_LIVE_MAX_STEPS,
        arch: dict[str, Any] | None = None,
        display: int = DIGITS_DISPLAY,
    ) -> None:
        super().__init__(
            arch or DIGITS_ARCH, from_images(real_images), seed, lr_g, lr_d, loss, batch_size, max_steps, display
        )

    def samples(self) -> np.ndarray:
        with torch.no_grad():
            return to_images(self.gen(self.display_z))


class ShippedGan:
    """A GAN we trained and ship (read-only, shared by all sessions): its two networks, the replay's snapshots
    (what the forger drew from one fixed batch of noise as it trained) and its loss curves."""

    def __init__(self, tensors: dict[str, torch.Tensor], config: dict[str, Any], gen: nn.Module, disc: nn.Module):
        self.arch = config["architecture"]
        self.gen, self.disc = gen, disc
        for net, prefix in ((gen, "generator."), (disc, "discriminator.")):
            net.load_state_dict({k.removeprefix(prefix): v for k, v in tensors.items() if k.startswith(prefix)})
            net.eval()
        self.snapshot_steps = tensors["snapshots.step"].numpy().astype(np.int64)  # (K,)
        self.snapshot_images = tensors["snapshots.images"]  # (K, n, S, S) uint8
        self.fixed_z = tensors["snapshots.noise"].float()  # (n, z_dim): the noise every snapshot was drawn from
        self.curve_steps = tensors["history.step"].numpy()
        self.curve_d = tensors["history.d_loss"].float().numpy()
        self.curve_g = tensors["history.g_loss"].float().numpy()
        self.config = config

    @property
    def image_size(self) -> int:
        return int(self.arch["image_size"])

    @property
    def snapshots(self) -> int:
        return len(self.snapshot_steps)

    def snapshot(self, index: int) -> np.ndarray:
        """Pictures (n, S, S) in [0, 1] that the forger drew from the fixed noise at snapshot `index`."""
        index = int(np.clip(index, 0, self.snapshots - 1))
        return self.snapshot_images[index].numpy().astype(np.float32) / 255.0


class ShippedDigitsGan(ShippedGan):
    """The digits GAN we trained."""

    def __init__(self, tensors: dict[str, torch.Tensor], config: dict[str, Any]) -> None:
        arch = config["architecture"]
        super().__init__(tensors, config, build_generator(arch), build_discriminator(arch))

    def sample(self, n: int, seed: int) -> np.ndarray:
        """`n` fresh samples (n, 8, 8) in [0, 1] from noise drawn with `seed`."""
        rng = torch.Generator().manual_seed(int(seed))
        z = torch.randn(n, self.arch["z_dim"], generator=rng)
        with torch.inference_mode():
            return to_images(self.gen(z))

    def realness(self, images: np.ndarray) -> np.ndarray:
        """The detective's P(real) for each image (n,)."""
        with torch.inference_mode():
            return torch.sigmoid(self.disc(from_images(images))).numpy()


def snapshot_schedule(total_steps: int, count: int, first: int = 100) -> list[int]:
    """Steps at which to save a snapshot: 0, then dense early (the picture changes fastest), sparse late."""
    raw = np.unique(np.round(np.geomspace(first, total_steps, count - 1) / 10).astype(int) * 10)
    return [0, *[int(s) for s in raw]]


# ----------------------------------------------------------------------------- naming mode collapse (pictures)
# The judge is a classifier: shown a grey blob it still names a kind, often with confidence. So a fake counts
# towards a kind only when the judge is at least CONFIDENT sure (explainers.image_quality, shared with the model
# cards); the rest are "unreadable", a bar of their own. Bars (issue 14): every kind at least 3% of the fakes,
# counting confident verdicts only, and at most 15% unreadable.

RARE_SHARE = 0.03  # a kind below this share of the fakes is "rare"
MISSING_SHARE = 0.015  # below this it is "never drawn"
MAX_UNREADABLE = 0.15  # more than this share unreadable: the fakes are not good enough yet
MOSTLY_UNREADABLE = 0.5


def read_fakes(
    predicted: np.ndarray, confidence: np.ndarray, num_classes: int, threshold: float = CONFIDENT
) -> tuple[np.ndarray, int]:
    """The judge's verdicts on n fakes -> (counts (K,) of confident readings per kind, how many were unreadable)."""
    predicted, confidence = np.asarray(predicted), np.asarray(confidence)
    sure = confidence >= threshold
    return np.bincount(predicted[sure], minlength=num_classes), int((~sure).sum())


@dataclass(frozen=True)
class CoverageVerdict:
    """What the judge's readings of the fakes show; figures.gan.coverage_headline words it."""

    kind: Literal["unreadable", "mode_collapse", "partial_collapse", "rare", "healthy"]
    shares: np.ndarray  # (K,) share of ALL fakes confidently read as each kind
    unreadable: float  # share of fakes the judge could not read confidently
    missing: tuple[int, ...]  # kinds (almost) never drawn
    dominant: int  # the kind read most often
    n: int  # fakes read

    @property
    def blurry(self) -> bool:
        """More fakes unreadable than the bar allows."""
        return self.unreadable > MAX_UNREADABLE

    @property
    def good(self) -> bool:
        """Every kind appears and few fakes are unreadable: the forger has learned the data."""
        return self.kind == "healthy" and not self.blurry


def coverage_verdict(counts: np.ndarray, unreadable: int = 0) -> CoverageVerdict:
    """Name what the confident readings show. Mode collapse = the forger makes only a few kinds."""
    counts = np.asarray(counts, dtype=np.float64)
    n = int(counts.sum()) + int(unreadable)
    shares = counts / max(n, 1)
    unread = unreadable / max(n, 1)
    missing = tuple(int(c) for c in np.flatnonzero(shares < MISSING_SHARE))
    dominant = int(np.argmax(shares))
    readable = max(1.0 - unread, 1e-9)
    if unread >= MOSTLY_UNREADABLE:
        kind = "unreadable"
    elif len(missing) >= len(counts) // 2 or shares[dominant] / readable >= 0.4:
        kind = "mode_collapse"
    elif missing:
        kind = "partial_collapse"
    elif shares.min() < RARE_SHARE:
        kind = "rare"
    else:
        kind = "healthy"
    return CoverageVerdict(kind=kind, shares=shares, unreadable=unread, missing=missing, dominant=dominant, n=n)

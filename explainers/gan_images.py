"""A small convolutional GAN for 28x28 pictures (clothes): the forger paints with transposed convolutions.

The game, the losses and one update of each player are the ones in explainers/gan.py (Goodfellow et al. 2014);
only the networks differ from the 8x8 digits GAN, because an MLP forger of 784 pixels learns slowly and blurs.
Shaped like DCGAN (Radford et al. 2016), made small enough to train on one CPU core:

    forger:    z (B, 64) -> Linear -> (B, 128, 7, 7) -> ConvT -> (B, 64, 14, 14) -> ConvT -> (B, 32, 28, 28) -> conv -> tanh
    detective: x (B, 1, 28, 28) -> conv/2 -> (B, 32, 14, 14) -> conv/2 -> (B, 64, 7, 7) -> + batch spread -> Linear -> 1

Like the digits detective it sees the minibatch standard deviation (Karras et al. 2018), which keeps the forger
from painting one kind of clothing only. Unconditional: the forger is never told which kind to draw.

The shipped run adds three standard tricks (the page's live run keeps the plain game):
- the pictures come from a running average of the forger's weights (EMA, as in Karras et al. 2018 and BigGAN):
  the forger's weights jitter from step to step as it chases the detective; their average draws cleaner pictures;
- the learning rate falls linearly to zero, so the game settles instead of circling;
- truncation (Brock et al. 2019, BigGAN): noise drawn with a smaller spread than it was trained on (`truncation`,
  a factor on z) gives more typical, more readable pictures at the cost of some variety.

Pictures here are (B, 1, S, S) in [-1, 1] inside the networks; `to_images` gives (B, S, S) in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from explainers.gan import (
    LOSS_KINDS,
    LossKind,
    discriminator_step,
    downsample,
    generator_step,
    make_optimizer,
    set_lr,
)

FASHION_GAN_ARCH: dict[str, Any] = {
    "kind": "conv",
    "z_dim": 64,
    "g_channels": [128, 64, 32],  # at 7x7, 14x14 and 28x28
    "d_channels": [32, 64],  # at 14x14 and 7x7
    "image_size": 28,
    "minibatch_std": True,
}
LIVE_MAX_STEPS = 1_500  # hard cap for a visitor's live run on the page (about a minute of one core)
DISPLAY = 64


def recalibrate_batch_norm_(gen: nn.Module, z_dim: int, seed: int, batches: int = 16, batch_size: int = 256) -> None:
    """Re-measure the forger's batch-norm statistics on fresh noise. An averaged (EMA) forger has different
    activations than the last one whose running statistics it carries; without this its pictures wash out."""
    norms = [m for m in gen.modules() if isinstance(m, nn.BatchNorm2d)]
    saved = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # a plain average over the batches below
    rng = torch.Generator().manual_seed(seed)
    gen.train()
    with torch.no_grad():
        for _ in range(batches):
            gen(torch.randn(batch_size, z_dim, generator=rng))
    for m, momentum in zip(norms, saved, strict=True):
        m.momentum = momentum
    gen.eval()


class ConvGenerator(nn.Module):
    """The forger: noise z (B, z_dim) -> a picture (B, 1, S, S) in [-1, 1]."""

    def __init__(self, z_dim: int, channels: list[int] | tuple[int, ...], image_size: int) -> None:
        super().__init__()
        c0, c1, c2 = channels
        self.start = image_size // 4
        self.fc = nn.Linear(z_dim, c0 * self.start * self.start)
        self.bn0 = nn.BatchNorm2d(c0)
        self.up1 = nn.ConvTranspose2d(c0, c1, 4, stride=2, padding=1)  # doubles the size
        self.bn1 = nn.BatchNorm2d(c1)
        self.up2 = nn.ConvTranspose2d(c1, c2, 4, stride=2, padding=1)
        self.bn2 = nn.BatchNorm2d(c2)
        self.out = nn.Conv2d(c2, 1, 3, padding=1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.fc(z).view(z.shape[0], -1, self.start, self.start)  # (B, c0 * s * s) -> (B, c0, S/4, S/4)
        h = F.relu(self.bn0(h))
        h = F.relu(self.bn1(self.up1(h)))  # (B, c1, S/2, S/2)
        h = F.relu(self.bn2(self.up2(h)))  # (B, c2, S, S)
        return torch.tanh(self.out(h))  # (B, 1, S, S)


class ConvDiscriminator(nn.Module):
    """The detective: a picture (B, 1, S, S) -> one score per picture (B,), a logit; sigmoid(score) = P(real)."""

    def __init__(self, channels: list[int] | tuple[int, ...], image_size: int, minibatch_std: bool = True) -> None:
        super().__init__()
        c1, c2 = channels
        self.minibatch_std = minibatch_std
        self.conv1 = nn.Conv2d(1, c1, 4, stride=2, padding=1)  # halves the size
        self.conv2 = nn.Conv2d(c1, c2, 4, stride=2, padding=1)
        side = image_size // 4
        self.fc = nn.Linear((c2 + (1 if minibatch_std else 0)) * side * side, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.leaky_relu(self.conv1(x), 0.2)  # (B, c1, S/2, S/2)
        h = F.leaky_relu(self.conv2(h), 0.2)  # (B, c2, S/4, S/4)
        if self.minibatch_std:
            spread = h.std(dim=0, unbiased=False).mean()  # one number: how different the batch members are
            h = torch.cat([h, spread.expand(h.shape[0], 1, *h.shape[2:])], dim=1)  # (B, c2 + 1, S/4, S/4)
        return self.fc(h.flatten(1)).squeeze(1)  # (B, (c2 + 1) * S/4 * S/4) -> (B,)


def build_generator(arch: dict[str, Any]) -> ConvGenerator:
    return ConvGenerator(arch["z_dim"], arch["g_channels"], arch["image_size"])


def build_discriminator(arch: dict[str, Any]) -> ConvDiscriminator:
    return ConvDiscriminator(arch["d_channels"], arch["image_size"], arch.get("minibatch_std", True))


def init_weights_(module: nn.Module, generator: torch.Generator) -> None:
    """DCGAN's initialisation (weights ~ N(0, 0.02), batch-norm scales ~ N(1, 0.02)), drawn from `generator`."""
    for layer in module.modules():
        if isinstance(layer, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
            nn.init.normal_(layer.weight, 0.0, 0.02, generator=generator)
            nn.init.zeros_(layer.bias)
        elif isinstance(layer, nn.BatchNorm2d):
            nn.init.normal_(layer.weight, 1.0, 0.02, generator=generator)
            nn.init.zeros_(layer.bias)


def to_images(x: torch.Tensor) -> np.ndarray:
    """Forger output (B, 1, S, S) in [-1, 1] -> pictures (B, S, S) in [0, 1]."""
    return np.clip((x.detach()[:, 0].numpy() + 1) / 2, 0, 1).astype(np.float32)


@dataclass(frozen=True)
class ImageGanView:
    step: int
    max_steps: int
    images: np.ndarray  # (n, S, S) in [0, 1], from the fixed noise batch
    steps: np.ndarray  # loss curves, averaged into buckets
    d_loss: np.ndarray
    g_loss: np.ndarray


class ImageGanTraining:
    """One GAN run on real pictures: a visitor's capped live run on the page, or training/fashion_gan.py.

    Same interface as explainers.gan.DigitsTraining (train, samples, view, set_hyperparameters)."""

    def __init__(
        self,
        real_images: np.ndarray | torch.Tensor,
        seed: int = 0,
        lr_g: float = 2e-4,
        lr_d: float = 2e-4,
        loss: LossKind = "non_saturating",
        batch_size: int = 64,
        max_steps: int = LIVE_MAX_STEPS,
        arch: dict[str, Any] | None = None,
        display: int = DISPLAY,
        ema_decay: float | None = None,
        lr_decay: bool = False,
    ) -> None:
        """`ema_decay`: keep a running average of the forger's weights and draw from it (None: draw from the forger
        itself, as the page's live run does). `lr_decay`: learning rates fall linearly to zero at `max_steps`."""
        if loss not in LOSS_KINDS:
            raise ValueError(f"unknown generator loss {loss!r}")
        self.arch = dict(arch or FASHION_GAN_ARCH)
        self.seed = seed
        self.rng = torch.Generator().manual_seed(seed)
        self.gen = build_generator(self.arch)
        self.disc = build_discriminator(self.arch)
        init_weights_(self.gen, self.rng)
        init_weights_(self.disc, self.rng)
        self.opt_g = make_optimizer(self.gen, lr_g)
        self.opt_d = make_optimizer(self.disc, lr_d)
        self.lr_g, self.lr_d = lr_g, lr_d
        self.loss: LossKind = loss
        real = torch.as_tensor(np.asarray(real_images, dtype=np.float32))
        size = self.arch["image_size"]
        self.real = real.reshape(-1, 1, size, size) * 2 - 1  # [0, 1] pictures -> the forger's scale [-1, 1]
        self.batch_size = batch_size
        self.max_steps = max_steps
        self.display_z = torch.randn(display, self.arch["z_dim"], generator=self.rng)  # the same fakes move over time
        self.d_loss = np.zeros(max_steps, dtype=np.float32)
        self.g_loss = np.zeros(max_steps, dtype=np.float32)
        self.step = 0
        self.ema_decay = ema_decay
        self.lr_decay = lr_decay
        self.ema: ConvGenerator | None = None
        if ema_decay is not None:
            self.ema = build_generator(self.arch)
            self.ema.load_state_dict(self.gen.state_dict())
            self.ema.requires_grad_(False)
        self._ema_calibrated_at = -1

    @property
    def finished(self) -> bool:
        return self.step >= self.max_steps

    def set_hyperparameters(
        self, lr_g: float | None = None, lr_d: float | None = None, loss: LossKind | None = None
    ) -> None:
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

    def train(self, n_steps: int) -> int:
        """Run up to `n_steps` rounds (one detective update, then one forger update); never past the cap."""
        n = max(0, min(int(n_steps), self.max_steps - self.step))
        self.gen.train()
        b, z_dim = self.batch_size, self.arch["z_dim"]
        for _ in range(n):
            if self.lr_decay:
                left = 1 - self.step / self.max_steps
                set_lr(self.opt_g, self.lr_g * left)
                set_lr(self.opt_d, self.lr_d * left)
            idx = torch.randint(0, len(self.real), (b,), generator=self.rng)
            z = torch.randn(b, z_dim, generator=self.rng)
            d_loss, _, _ = discriminator_step(self.gen, self.disc, self.opt_d, self.real[idx], z)
            z = torch.randn(b, z_dim, generator=self.rng)
            g_loss = generator_step(self.gen, self.disc, self.opt_g, z, self.loss)
            self.d_loss[self.step], self.g_loss[self.step] = float(d_loss), float(g_loss)
            self.step += 1
            if self.ema is not None:
                self._update_ema()
        return n

    def _update_ema(self) -> None:
        # Warm-up (as TensorFlow's ExponentialMovingAverage): early on the average follows the forger closely,
        # so the first replay frames are not dominated by the random starting weights.
        decay = min(float(self.ema_decay), (1 + self.step) / (10 + self.step))
        with torch.no_grad():
            for averaged, current in zip(self.ema.parameters(), self.gen.parameters(), strict=True):
                averaged.lerp_(current, 1 - decay)

    @property
    def drawing_generator(self) -> ConvGenerator:
        """The network pictures are drawn from: the weight average (batch norm re-measured) if kept, else the forger."""
        if self.ema is None:
            self.gen.eval()
            return self.gen
        if self._ema_calibrated_at != self.step:
            recalibrate_batch_norm_(self.ema, self.arch["z_dim"], seed=self.seed + 1)
            self._ema_calibrated_at = self.step
        return self.ema

    def samples(self, z: torch.Tensor | None = None) -> np.ndarray:
        """Pictures (n, S, S) in [0, 1] from the fixed display noise (or from `z`), batch norm in eval mode."""
        gen = self.drawing_generator
        with torch.no_grad():
            return to_images(gen(self.display_z if z is None else z))

    def view(self, max_curve_points: int = 200) -> ImageGanView:
        steps, d = downsample(self.d_loss[: self.step], max_curve_points)
        _, g = downsample(self.g_loss[: self.step], max_curve_points)
        return ImageGanView(self.step, self.max_steps, self.samples(), steps, d, g)

    def state_tensors(self) -> dict[str, torch.Tensor]:
        """The drawing forger (the weight average, if kept) and the detective."""
        gen = self.drawing_generator
        tensors = {"generator." + k: v.detach().clone() for k, v in gen.state_dict().items()}
        tensors.update({"discriminator." + k: v.detach().clone() for k, v in self.disc.state_dict().items()})
        return tensors


class ShippedImageGan:
    """The clothes GAN we trained (read-only, shared by all sessions). Same interface as gan.ShippedDigitsGan."""

    def __init__(self, tensors: dict[str, torch.Tensor], config: dict[str, Any]) -> None:
        self.arch = config["architecture"]
        self.gen = build_generator(self.arch)
        self.gen.load_state_dict(
            {k.removeprefix("generator."): v for k, v in tensors.items() if k.startswith("generator.")}
        )
        self.gen.eval()
        self.disc = build_discriminator(self.arch)
        self.disc.load_state_dict(
            {k.removeprefix("discriminator."): v for k, v in tensors.items() if k.startswith("discriminator.")}
        )
        self.disc.eval()
        # Noise spread the pictures are drawn with (truncation, BigGAN); 1.0 = the spread the forger trained on.
        self.truncation = float(self.arch.get("truncation", 1.0))
        self.snapshot_steps = tensors["snapshots.step"].numpy().astype(np.int64)  # (K,)
        self.snapshot_images = tensors["snapshots.images"]  # (K, n, S, S) uint8
        self.fixed_z = tensors["snapshots.noise"].float()  # (n, z_dim): the noise every snapshot was drawn from
        # (already multiplied by the truncation)
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

    def sample(self, n: int, seed: int) -> np.ndarray:
        """`n` fresh pictures (n, S, S) in [0, 1] from noise drawn with `seed` (times the shipped truncation)."""
        rng = torch.Generator().manual_seed(int(seed))
        z = torch.randn(n, self.arch["z_dim"], generator=rng) * self.truncation
        with torch.inference_mode():
            return to_images(self.gen(z))

    def realness(self, images: np.ndarray) -> np.ndarray:
        """The detective's P(real) for each picture (n, S, S) in [0, 1] -> (n,)."""
        size = self.image_size
        x = torch.as_tensor(np.asarray(images, dtype=np.float32)).reshape(-1, 1, size, size) * 2 - 1
        with torch.inference_mode():
            return torch.sigmoid(self.disc(x)).numpy()


def load_image_gan(name: str = "fashion_gan") -> ShippedImageGan:
    """The shipped clothes GAN. Raises explainers.store.ModelLoadError on missing/damaged files."""
    from explainers.store import load_model

    loaded = load_model(name)
    return ShippedImageGan(loaded.tensors, loaded.config)

"""A small convolutional GAN for 28x28 pictures (clothes): the forger paints with transposed convolutions.

The game, the losses and one update of each player are the ones in explainers/gan.py (Goodfellow et al. 2014);
only the networks differ from the 8x8 digits GAN, because an MLP forger of 784 pixels learns slowly and blurs.
Shaped like DCGAN (Radford et al. 2016), made small enough to train on one CPU core:

    forger:    z (B, 64) -> Linear -> (B, c0, 7, 7) -> ConvT -> (B, c1, 14, 14) -> ConvT -> (B, c2, 28, 28) -> conv -> tanh
    detective: x (B, 1, 28, 28) -> conv/2 -> (B, d1, 14, 14) -> conv/2 -> (B, d2, 7, 7) -> Linear -> 1 score

Two versions of the same networks:
- unconditional (`num_classes` 0): the forger is never told which kind to draw, and the detective also sees the
  minibatch standard deviation (Karras et al. 2018), which keeps the forger from painting one kind only;
- class-conditional (`num_classes` 10), the shipped clothes GAN: the forger is asked for a kind. Its noise gets a
  learned vector for that kind (the same as concatenating the kind to the noise before the first layer), and every
  batch norm's scale and shift depend on the kind (conditional batch norm, de Vries et al. 2017; as in Miyato &
  Koyama 2018). The detective is a *projection discriminator* (Miyato & Koyama 2018): its score is a plain
  "looks real" part plus the dot product of its features with a learned vector for the kind claimed, so a good
  T-shirt labelled "trousers" scores low. With `kind_weight`, a second head of the detective names the kind of
  a picture (an auxiliary classifier, Odena et al. 2017), and the forger is also scored on it. While training,
  the detective's scoring weights are divided by their largest singular value (*spectral normalisation*, Miyato
  et al. 2018), which keeps its judgements smooth; the shipped file stores the divided weights.

Pictures here are (B, 1, S, S) in [-1, 1] inside the networks; `to_images` gives (B, S, S) in [0, 1].
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize

from explainers.digits import to_signed, to_unit
from explainers.gan import (
    DCGAN_BETAS,
    LossKind,
    PicturesRun,
    ShippedGan,
    balanced_labels,
    init_weights_,
)

FASHION_GAN_ARCH: dict[str, Any] = {
    "kind": "conv",
    "z_dim": 64,
    "g_channels": [64, 32, 16],  # at 7x7, 14x14 and 28x28
    "d_channels": [32, 64],  # at 14x14 and 7x7
    "image_size": 28,
    "minibatch_std": True,
}
LIVE_MAX_STEPS = 1_500  # hard cap for a visitor's live run on the page (about a minute of one core)
DISPLAY = 60  # live fakes: six of each kind for a conditional forger
KIND_VECTOR = 16  # size of the forger's learned vector per kind


class SpectralNorm(nn.Module):
    """Divides a weight by its largest singular value, estimated by one step of power iteration per training
    forward (Miyato et al. 2018). Registered with torch's parametrize, so `module.weight` is the divided weight.
    Its start vector is drawn from the run's own generator (torch's built-in version draws from the global RNG)."""

    def __init__(self, weight: torch.Tensor, rng: torch.Generator) -> None:
        super().__init__()
        self.register_buffer("u", F.normalize(torch.randn(weight.shape[0], generator=rng), dim=0))

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        matrix = weight.flatten(1)  # (rows, everything else)
        if self.training:
            with torch.no_grad():
                v = F.normalize(matrix.t() @ self.u, dim=0)
                self.u.copy_(F.normalize(matrix @ v, dim=0))
        u = self.u.clone()  # the graph keeps its own copy: the next forward updates self.u in place
        v = F.normalize(matrix.t() @ u, dim=0).detach()
        sigma = u @ matrix @ v  # the largest singular value, estimated
        return weight / sigma


def spectral_norm_(disc: ConvDiscriminator, rng: torch.Generator) -> None:
    """Spectral normalisation on the detective's scoring weights (not on its kind classifier, a plain classifier)."""
    for layer in (disc.conv1, disc.conv2, disc.fc, getattr(disc, "embed", None)):
        if layer is not None:
            parametrize.register_parametrization(layer, "weight", SpectralNorm(layer.weight, rng))


def folded_state(module: nn.Module) -> dict[str, torch.Tensor]:
    """`module`'s state with every spectrally normalised weight stored as it is used (already divided), under its
    plain name: what the shipped file stores, loadable into the same network built without normalisation."""
    training = module.training
    module.eval()  # reading a weight in training mode would take a power-iteration step
    with torch.no_grad():
        state = {k: v.detach().clone() for k, v in module.state_dict().items() if "parametrizations." not in k}
        for name, layer in module.named_modules():
            if parametrize.is_parametrized(layer, "weight"):
                state[f"{name}.weight" if name else "weight"] = layer.weight.detach().clone()
    module.train(training)
    return state


class KindBatchNorm(nn.Module):
    """Batch norm whose scale and shift are looked up for the kind asked for (conditional batch norm)."""

    def __init__(self, channels: int, num_classes: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(channels, affine=False)
        self.scale = nn.Embedding(num_classes, channels)
        self.shift = nn.Embedding(num_classes, channels)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Start as plain batch norm: scale 1, shift 0 for every kind."""
        nn.init.ones_(self.scale.weight)
        nn.init.zeros_(self.shift.weight)

    def forward(self, h: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.norm(h) * self.scale(labels)[:, :, None, None] + self.shift(labels)[:, :, None, None]


class ConvGenerator(nn.Module):
    """The forger: noise z (B, z_dim) [and the kinds asked for (B,)] -> a picture (B, 1, S, S) in [-1, 1]."""

    def __init__(
        self, z_dim: int, channels: list[int] | tuple[int, ...], image_size: int, num_classes: int = 0
    ) -> None:
        super().__init__()
        c0, c1, c2 = channels
        self.start = image_size // 4
        self.conditional = num_classes > 0
        self.fc = nn.Linear(z_dim, c0 * self.start * self.start)
        if self.conditional:
            self.kind = nn.Embedding(num_classes, KIND_VECTOR)
            self.kind_fc = nn.Linear(KIND_VECTOR, c0 * self.start * self.start, bias=False)

        def norm(c: int) -> nn.Module:
            return KindBatchNorm(c, num_classes) if self.conditional else nn.BatchNorm2d(c)

        self.bn0 = norm(c0)
        self.up1 = nn.ConvTranspose2d(c0, c1, 4, stride=2, padding=1)  # doubles the size
        self.bn1 = norm(c1)
        self.up2 = nn.ConvTranspose2d(c1, c2, 4, stride=2, padding=1)
        self.bn2 = norm(c2)
        self.out = nn.Conv2d(c2, 1, 3, padding=1)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        h = self.fc(z)  # (B, c0 * s * s)
        if self.conditional:  # = one linear layer on [z, the kind's vector]
            h = h + self.kind_fc(self.kind(labels))

        def norm(bn: nn.Module, x: torch.Tensor) -> torch.Tensor:
            return bn(x, labels) if self.conditional else bn(x)

        h = F.relu(norm(self.bn0, h.view(z.shape[0], -1, self.start, self.start)))  # (B, c0, S/4, S/4)
        h = F.relu(norm(self.bn1, self.up1(h)))  # (B, c1, S/2, S/2)
        h = F.relu(norm(self.bn2, self.up2(h)))  # (B, c2, S, S)
        return torch.tanh(self.out(h))  # (B, 1, S, S)


class ConvDiscriminator(nn.Module):
    """The detective: a picture (B, 1, S, S) [and the kind it claims to be (B,)] -> one score per picture (B,).
    A logit (sigmoid(score) = P(real)) for the classic losses; for the hinge loss, above 1 = surely real."""

    def __init__(
        self,
        channels: list[int] | tuple[int, ...],
        image_size: int,
        minibatch_std: bool = True,
        num_classes: int = 0,
        classifier: bool = False,
    ) -> None:
        super().__init__()
        c1, c2 = channels
        self.minibatch_std = minibatch_std
        self.conv1 = nn.Conv2d(1, c1, 4, stride=2, padding=1)  # halves the size
        self.conv2 = nn.Conv2d(c1, c2, 4, stride=2, padding=1)
        side = image_size // 4
        features = (c2 + (1 if minibatch_std else 0)) * side * side
        self.fc = nn.Linear(features, 1)
        self.conditional = num_classes > 0
        if self.conditional:  # projection: one learned vector per kind, compared with the picture's features
            self.embed = nn.Embedding(num_classes, features)
        if classifier:  # names the kind of a picture from the same features (auxiliary classifier)
            self.cls = nn.Linear(features, num_classes)

    def forward(
        self, x: torch.Tensor, labels: torch.Tensor | None = None, with_kinds: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        h = F.leaky_relu(self.conv1(x), 0.2)  # (B, c1, S/2, S/2)
        h = F.leaky_relu(self.conv2(h), 0.2)  # (B, c2, S/4, S/4)
        if self.minibatch_std:
            spread = h.std(dim=0, unbiased=False).mean()  # one number: how different the batch members are
            h = torch.cat([h, spread.expand(h.shape[0], 1, *h.shape[2:])], dim=1)  # (B, c2 + 1, S/4, S/4)
        h = h.flatten(1)  # (B, F)
        score = self.fc(h).squeeze(1)  # (B,)
        if self.conditional:
            score = score + (self.embed(labels) * h).sum(1)  # + <the kind's vector, the features>
        return (score, self.cls(h)) if with_kinds else score  # with_kinds: also (B, K) logits of the kinds


def build_generator(arch: dict[str, Any]) -> ConvGenerator:
    return ConvGenerator(arch["z_dim"], arch["g_channels"], arch["image_size"], arch.get("num_classes", 0))


def build_discriminator(arch: dict[str, Any]) -> ConvDiscriminator:
    return ConvDiscriminator(
        arch["d_channels"],
        arch["image_size"],
        arch.get("minibatch_std", True),
        arch.get("num_classes", 0),
        classifier=arch.get("kind_weight", 0) > 0,
    )


def to_images(x: torch.Tensor) -> np.ndarray:
    """Forger output (B, 1, S, S) in [-1, 1] -> pictures (B, S, S) in [0, 1]."""
    return to_unit(x.detach()[:, 0]).numpy().astype(np.float32)


class ImageGanTraining(PicturesRun):
    """One GAN run on real pictures: a visitor's capped live run on the page, or training/fashion_gan.py.

    The game and its bookkeeping are explainers.gan's (as DigitsTraining); only the networks differ. A conditional
    architecture needs `labels`, the kind of every real picture."""

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
        labels: np.ndarray | torch.Tensor | None = None,
        betas: tuple[float, float] = DCGAN_BETAS,
        ema_decay: float | None = None,
    ) -> None:
        """`ema_decay`: keep a running average of the forger's weights and draw pictures from it (None: draw from
        the forger itself, as the page's live run does)."""
        arch = dict(arch or FASHION_GAN_ARCH)
        size = arch["image_size"]
        real = torch.as_tensor(np.asarray(real_images, dtype=np.float32)).reshape(-1, 1, size, size)
        super().__init__(
            arch, to_signed(real), seed, lr_g, lr_d, loss, batch_size, max_steps, display, labels=labels, betas=betas
        )
        self.ema_decay = ema_decay
        self.ema: ConvGenerator | None = None
        if ema_decay is not None:
            self.ema = copy.deepcopy(self.gen).requires_grad_(False)

    def _after_step(self, step: int) -> None:
        if self.ema is None:
            return
        # Warm-up (as TensorFlow's ExponentialMovingAverage): early on the average follows the forger closely,
        # so the first replay frames are not dominated by the random starting weights. Batch-norm statistics are
        # the forger's own (copied, not averaged).
        decay = min(float(self.ema_decay), (1 + step) / (10 + step))
        with torch.no_grad():
            for averaged, current in zip(self.ema.parameters(), self.gen.parameters(), strict=True):
                averaged.lerp_(current, 1 - decay)
            for averaged, current in zip(self.ema.buffers(), self.gen.buffers(), strict=True):
                averaged.copy_(current)

    @property
    def drawing_generator(self) -> ConvGenerator:
        """The network pictures are drawn from (eval mode): the weight average if kept, else the forger."""
        return (self.gen if self.ema is None else self.ema).eval()

    def _networks(self) -> tuple[nn.Module, nn.Module]:
        gen, disc = build_generator(self.arch), build_discriminator(self.arch)
        init_weights_(gen, self.rng)
        init_weights_(disc, self.rng)
        for layer in gen.modules():
            if isinstance(layer, KindBatchNorm):
                layer.reset_parameters()  # init_weights_ drew its tables like any embedding
        if self.arch.get("spectral_norm", False):
            spectral_norm_(disc, self.rng)
        return gen, disc

    def samples(self, z: torch.Tensor | None = None, labels: torch.Tensor | None = None) -> np.ndarray:
        """Pictures (n, S, S) in [0, 1] from the fixed display noise (or from `z` and `labels`), batch norm in
        eval mode."""
        gen = self.drawing_generator
        z, labels = (self.display_z, self.display_labels) if z is None else (z, labels)
        with torch.no_grad():
            return to_images(gen(z) if labels is None else gen(z, labels))

    def state_tensors(self, prefix_g: str = "generator.", prefix_d: str = "discriminator.") -> dict[str, torch.Tensor]:
        """The drawing forger (the weight average, if kept) and the detective, its weights already divided by their
        spectral norm (plain tensors)."""
        tensors = {prefix_g + k: v.detach().clone() for k, v in self.drawing_generator.state_dict().items()}
        tensors.update({prefix_d + k: v for k, v in folded_state(self.disc).items()})
        return tensors


class ShippedImageGan(ShippedGan):
    """The clothes GAN we trained (read-only, shared by all sessions). Same interface as gan.ShippedDigitsGan, plus
    the kinds: a conditional forger draws kinds 0, 1, ..., 9, 0, ... unless told otherwise."""

    def __init__(self, tensors: dict[str, torch.Tensor], config: dict[str, Any]) -> None:
        arch = config["architecture"]
        super().__init__(tensors, config, build_generator(arch), build_discriminator(arch))
        self.num_classes = int(arch.get("num_classes", 0))
        # Noise spread the pictures are drawn with (truncation, BigGAN); 1.0 = the spread the forger trained on.
        self.truncation = float(arch.get("truncation", 1.0))
        # The kinds the snapshots asked for (n,), None for an unconditional forger; fixed_z is already truncated.
        self.fixed_labels = tensors["snapshots.labels"].long() if "snapshots.labels" in tensors else None

    def kinds(self, n: int, labels: np.ndarray | None = None) -> torch.Tensor | None:
        """The kinds n fresh fakes are asked for: `labels`, or every kind in turn; None if unconditional."""
        if not self.num_classes:
            return None
        if labels is None:
            return balanced_labels(n, self.num_classes)
        labels = torch.as_tensor(np.asarray(labels), dtype=torch.int64).reshape(-1)
        if len(labels) != n or labels.min() < 0 or labels.max() >= self.num_classes:
            raise ValueError(f"labels must be {n} kinds between 0 and {self.num_classes - 1}")
        return labels

    def sample(self, n: int, seed: int, labels: np.ndarray | None = None) -> np.ndarray:
        """`n` fresh pictures (n, S, S) in [0, 1] from noise drawn with `seed` (times the shipped truncation).
        A conditional forger draws the kinds in `labels` (default: 0, 1, ..., 9, 0, ...: equally many of each)."""
        rng = torch.Generator().manual_seed(int(seed))
        z = torch.randn(n, self.arch["z_dim"], generator=rng) * self.truncation
        kinds = self.kinds(n, labels)
        with torch.inference_mode():
            return to_images(self.gen(z) if kinds is None else self.gen(z, kinds))

    def replay_frame(self) -> np.ndarray:
        """What the finished forger draws from the snapshots' noise (and kinds): the replay's last frame, redrawn."""
        with torch.inference_mode():
            fakes = self.gen(self.fixed_z) if self.fixed_labels is None else self.gen(self.fixed_z, self.fixed_labels)
        return to_images(fakes)

    def realness(self, images: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
        """The detective's P(real) for each picture (n, S, S) in [0, 1] -> (n,); a conditional detective judges
        each picture as the kind in `labels` (default: every kind in turn)."""
        size = self.image_size
        x = to_signed(torch.as_tensor(np.asarray(images, dtype=np.float32)).reshape(-1, 1, size, size))
        kinds = self.kinds(len(x), labels)
        with torch.inference_mode():
            return torch.sigmoid(self.disc(x) if kinds is None else self.disc(x, kinds)).numpy()


def load_image_gan(name: str = "fashion_gan") -> ShippedImageGan:
    """The shipped clothes GAN. Raises explainers.store.ModelLoadError on missing/damaged files."""
    from explainers.store import load_model

    loaded = load_model(name)
    return ShippedImageGan(loaded.tensors, loaded.config)

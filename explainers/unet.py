"""A small class-conditional U-Net that predicts the noise in a picture (the diffusion model's network).

Shape (Ronneberger et al. 2015; as used by DDPM, Ho et al. 2020, appendix B, made much smaller):

    x_t (N, 1, S, S) -> stem conv -> [ResBlock at each level, then halve the size] ...  middle ResBlock
                      <- [upsample, add the skip from the same level, ResBlock] ...  -> conv -> eps (N, 1, S, S)

Every ResBlock is told the timestep and the requested kind of picture: both are embedded, summed into one
condition vector c, and each block turns c into a per-channel scale and shift of its features (FiLM,
Perez et al. 2018; DDPM++ calls it "scale-shift norm"). Skips are *added*, not concatenated, so the
decoder's blocks stay as cheap as the encoder's: at 28x28 a sampling step must run in milliseconds on one
CPU core. The label index `num_classes` is the "null" label used by classifier-free guidance.

The network knows nothing about noise schedules; explainers/diffusion_scheduler.py does.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F


@functools.lru_cache(maxsize=8)
def _frequencies(half: int) -> torch.Tensor:
    return torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of the timestep (Vaswani et al. 2017, as used in DDPM): (N,) -> (N, dim)."""
    half = dim // 2
    angles = t.float()[:, None] * _frequencies(half)[None, :]  # (N, half)
    return torch.cat([angles.sin(), angles.cos()], dim=-1)


def _groups(channels: int) -> int:
    """GroupNorm groups: 8 channels per group (at least 1 group)."""
    return max(1, channels // 8)


class ResBlock(nn.Module):
    """GroupNorm -> SiLU -> conv, FiLM by the condition, GroupNorm -> SiLU -> conv, plus a (1x1) skip."""

    def __init__(self, c_in: int, c_out: int, cond_dim: int) -> None:
        super().__init__()
        self.norm1 = nn.GroupNorm(_groups(c_in), c_in)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.film = nn.Linear(cond_dim, 2 * c_out)
        self.norm2 = nn.GroupNorm(_groups(c_out), c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor, film: torch.Tensor) -> torch.Tensor:
        """x (N, c_in, H, W); film (N, 2 * c_out, 1, 1) = this block's self.film(c), precomputed by the net."""
        h = self.conv1(F.silu(self.norm1(x)))  # (N, c_out, H, W)
        scale, shift = film.chunk(2, dim=1)  # (N, c_out, 1, 1) each
        h = self.norm2(h) * (1 + scale) + shift
        h = self.conv2(F.silu(h))
        return self.skip(x) + h


class UNet(nn.Module):
    """eps_theta(x_t, t, label) for (N, 1, S, S) pictures; S must be divisible by 2 ** (len(channels) - 1).

    Level i works at size S / 2^i with channels[i]. The encoder runs down_blocks[i] ResBlocks at level i and
    remembers the result; a strided conv halves the size (and widens) between levels. The decoder, deepest level
    first, adds the remembered features of its level (except at the deepest level, where nothing was skipped),
    runs up_blocks[i] ResBlocks, then narrows (1x1 conv) and doubles the size. At 28x28 every full-size conv
    costs as much as a deeper, wider one, so the default spends no block at full size on the way down."""

    def __init__(
        self,
        image_size: int = 28,
        channels: list[int] | tuple[int, ...] = (32, 64, 96),
        down_blocks: list[int] | tuple[int, ...] = (0, 1, 1),
        up_blocks: list[int] | tuple[int, ...] = (1, 1, 1),
        time_dim: int = 64,
        cond_dim: int = 128,
        num_classes: int = 10,
    ) -> None:
        super().__init__()
        levels = len(channels)
        if image_size % (2 ** (levels - 1)):
            raise ValueError(f"image size {image_size} cannot be halved {levels - 1} times")
        if len(down_blocks) != levels or len(up_blocks) != levels:
            raise ValueError("down_blocks and up_blocks need one count per level")
        self.image_size = image_size
        self.time_dim = time_dim
        self.time_mlp = nn.Sequential(nn.Linear(time_dim, cond_dim), nn.SiLU(), nn.Linear(cond_dim, cond_dim))
        self.label_emb = nn.Embedding(num_classes + 1, cond_dim)  # +1: the null label for guidance
        self.stem = nn.Conv2d(1, channels[0], 3, padding=1)
        self.down = nn.ModuleList(
            [
                nn.ModuleList([ResBlock(c, c, cond_dim) for _ in range(n)])
                for c, n in zip(channels, down_blocks, strict=True)
            ]
        )
        self.pool = nn.ModuleList(
            [nn.Conv2d(channels[i], channels[i + 1], 3, stride=2, padding=1) for i in range(levels - 1)]
        )
        self.up = nn.ModuleList(  # deepest level first
            [
                nn.ModuleList([ResBlock(channels[i], channels[i], cond_dim) for _ in range(up_blocks[i])])
                for i in range(levels - 1, -1, -1)
            ]
        )
        self.unpool = nn.ModuleList([nn.Conv2d(channels[i], channels[i - 1], 1) for i in range(levels - 1, 0, -1)])
        self.out_norm = nn.GroupNorm(_groups(channels[0]), channels[0])
        self.out = nn.Conv2d(channels[0], 1, 3, padding=1)
        nn.init.zeros_(self.out.weight)  # start by predicting zero noise: a calm, well-known starting point
        nn.init.zeros_(self.out.bias)

    def blocks(self) -> list[ResBlock]:
        return [block for stage in [*self.down, *self.up] for block in stage]

    def conditions(self, t: torch.Tensor, labels: torch.Tensor) -> list[torch.Tensor]:
        """What the network is told besides the picture (timestep + kind), turned into each block's FiLM
        parameters, each (N, 2 * c, 1, 1). It does not depend on x_t, so a sampler can compute it for every
        step at once."""
        c = F.silu(self.time_mlp(timestep_embedding(t, self.time_dim)) + self.label_emb(labels))  # (N, cond_dim)
        return [block.film(c)[:, :, None, None] for block in self.blocks()]  # (N, 2c) -> (N, 2c, 1, 1)

    def denoise(self, x: torch.Tensor, conds: list[torch.Tensor]) -> torch.Tensor:
        """x (N, 1, S, S) and the per-block conditions from `conditions` -> predicted noise (N, 1, S, S)."""
        films = iter(conds)
        h = self.stem(x)  # (N, c_0, S, S)
        skips = []
        for i, stage in enumerate(self.down):
            for block in stage:
                h = block(h, next(films))  # (N, c_i, S / 2^i, S / 2^i)
            if i < len(self.pool):
                skips.append(h)
                h = self.pool[i](h)  # (N, c_{i+1}, S / 2^(i+1), S / 2^(i+1))
        for j, stage in enumerate(self.up):
            if j > 0:
                h = h + skips.pop()  # the encoder's features at this size
            for block in stage:
                h = block(h, next(films))
            if j < len(self.unpool):
                h = F.interpolate(self.unpool[j](h), scale_factor=2, mode="nearest")  # (N, c_{i-1}, 2H, 2W)
        return self.out(F.silu(self.out_norm(h)))  # (N, 1, S, S)

    def forward(self, x: torch.Tensor, t: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.denoise(x, self.conditions(t, labels))


def build_unet(architecture: dict[str, Any]) -> UNet:
    return UNet(
        image_size=architecture["image_size"],
        channels=architecture["channels"],
        down_blocks=architecture["down_blocks"],
        up_blocks=architecture["up_blocks"],
        time_dim=architecture["time_dim"],
        cond_dim=architecture["cond_dim"],
        num_classes=architecture["num_classes"],
    )

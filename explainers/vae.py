"""A variational autoencoder with a 2-D latent "map" of pictures (8x8 digits or 28x28 clothes).

Shaped like pytorch/examples' VAE: `encode` -> (mu, logvar), `reparameterize`, `decode`.
Images are (N, 1, S, S) floats in [0, 1]; each pixel is treated as the probability of ink
(Bernoulli likelihood), so the reconstruction term is binary cross-entropy.

Loss (Kingma & Welling 2014, "Auto-Encoding Variational Bayes", eq. 10), per image:
    recon = -log p(x | z)            = BCE(decode(z), x) summed over the S*S pixels
    kl    = KL(q(z | x) || N(0, I))  = -1/2 * sum(1 + logvar - mu^2 - exp(logvar))
    loss  = recon + beta * kl
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from explainers.store import load_model

DEFAULT_ARCHITECTURE: dict[str, Any] = {"hidden": [256, 128], "latent": 2, "pixels": 64}
FASHION_ARCHITECTURE: dict[str, Any] = {"hidden": [512, 256], "latent": 2, "pixels": 784}
GRID_SIZE = 12  # the digits map; the clothes map is drawn 15 x 15 (FASHION_GRID_SIZE)
FASHION_GRID_SIZE = 15
# The grid covers the prior N(0, I) from its 2nd to 98th percentile on each axis (as in Kingma & Welling's figure).
GRID_QUANTILES = (0.02, 0.98)


class VAE(nn.Module):
    """MLP encoder (pixels -> h1 -> h2 -> mu, logvar) and decoder (latent -> h2 -> h1 -> pixels)."""

    def __init__(self, hidden: list[int] | tuple[int, ...] = (256, 128), latent: int = 2, pixels: int = 64) -> None:
        super().__init__()
        h1, h2 = hidden
        self.image_size = int(round(pixels**0.5))
        self.latent = latent
        self.enc1 = nn.Linear(pixels, h1)
        self.enc2 = nn.Linear(h1, h2)
        self.fc_mu = nn.Linear(h2, latent)
        self.fc_logvar = nn.Linear(h2, latent)
        self.dec1 = nn.Linear(latent, h2)
        self.dec2 = nn.Linear(h2, h1)
        self.dec3 = nn.Linear(h1, pixels)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(N, 1, S, S) -> mean and log-variance of q(z | x), each (N, 2)."""
        h = F.relu(self.enc1(x.flatten(1)))  # (N, 1, S, S) -> (N, S*S) -> (N, h1)
        h = F.relu(self.enc2(h))
        return self.fc_mu(h), self.fc_logvar(h)

    def reparameterize(self, mu: torch.Tensor, logvar: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        """z = mu + sigma * eps: the randomness sits in eps, so gradients flow through mu and sigma."""
        return mu + torch.exp(0.5 * logvar) * eps

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.dec1(z))
        h = F.relu(self.dec2(h))
        size = self.image_size
        return self.dec3(h).view(-1, 1, size, size)  # (N, S*S) -> (N, 1, S, S)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """(N, 2) latent points -> (N, 1, S, S) images in [0, 1] (the mean of p(x | z))."""
        return torch.sigmoid(self.decode_logits(z))

    def forward(self, x: torch.Tensor, eps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Returns reconstruction logits (N, 1, S, S), mu and logvar. `eps` ~ N(0, I) shaped like mu."""
        mu, logvar = self.encode(x)
        return self.decode_logits(self.reparameterize(mu, logvar, eps)), mu, logvar


@dataclass(frozen=True)
class LossTerms:
    recon: torch.Tensor  # (N,) nats: how badly the image is redrawn
    kl: torch.Tensor  # (N,) nats: how far its cloud strays from the standard normal prior


def loss_terms(x: torch.Tensor, recon_logits: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> LossTerms:
    recon = F.binary_cross_entropy_with_logits(recon_logits, x, reduction="none").flatten(1).sum(1)
    kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)
    return LossTerms(recon=recon, kl=kl)


def build_vae(architecture: dict[str, Any] | None = None) -> VAE:
    arch = architecture or DEFAULT_ARCHITECTURE
    return VAE(hidden=arch["hidden"], latent=arch["latent"], pixels=arch["pixels"])


def load_vae(name: str = "vae") -> VAE:
    """A shipped VAE in eval mode: "vae" (digits) or "fashion_vae" (clothes).
    Raises explainers.store.ModelLoadError on missing/damaged weights."""
    loaded = load_model(name)
    vae = build_vae(loaded.config["architecture"])
    vae.load_state_dict(loaded.tensors)
    vae.eval()
    return vae


# ---------------------------------------------------------------------------- explain functions


def grid_axis(size: int = GRID_SIZE) -> np.ndarray:
    """Latent coordinates of the grid's columns (and rows): evenly spaced prior quantiles."""
    lo, hi = GRID_QUANTILES
    return np.array([NormalDist().inv_cdf(q) for q in np.linspace(lo, hi, size)])


@dataclass(frozen=True)
class LatentGrid:
    axis: np.ndarray  # (S,) latent coordinate of each column / row
    z: np.ndarray  # (S, S, 2) latent point of each tile; row 0 is the TOP row (largest z2)
    images: np.ndarray  # (S, S, H, W) decoded images in [0, 1]


def latent_grid(vae: VAE, size: int = GRID_SIZE) -> LatentGrid:
    """Decode a size x size map of latent points covering the prior (see grid_axis)."""
    axis = grid_axis(size)
    z1, z2 = np.meshgrid(axis, axis[::-1])  # top row = high z2, like a map
    z = np.stack([z1, z2], axis=-1).astype(np.float32)  # (S, S, 2)
    with torch.inference_mode():
        images = vae.decode(torch.from_numpy(z.reshape(-1, 2)))  # (S*S, 1, H, W)
    side = vae.image_size
    return LatentGrid(axis=axis, z=z, images=images.numpy().reshape(size, size, side, side))  # (S, S, H, W)


def decode_points(vae: VAE, z: np.ndarray | list[list[float]]) -> np.ndarray:
    """(N, 2) latent points -> (N, H, W) images in [0, 1]."""
    with torch.inference_mode():
        return vae.decode(torch.as_tensor(np.asarray(z, dtype=np.float32)).view(-1, 2)).numpy()[:, 0]


@dataclass(frozen=True)
class Encoding:
    mu: np.ndarray  # (N, 2) where each image lands (centre of its cloud)
    sigma: np.ndarray  # (N, 2) how spread its cloud is
    reconstruction: np.ndarray  # (N, H, W) decoded from mu
    recon_nats: np.ndarray  # (N,) reconstruction term at z = mu
    kl_nats: np.ndarray  # (N,) KL term


def encode_images(vae: VAE, images: torch.Tensor) -> Encoding:
    """Encode (N, 1, S, S) images in [0, 1]: where they land, their reconstructions and both loss terms."""
    with torch.inference_mode():
        mu, logvar = vae.encode(images.float())
        logits = vae.decode_logits(mu)
        terms = loss_terms(images.float(), logits, mu, logvar)
    return Encoding(
        mu=mu.numpy(),
        sigma=torch.exp(0.5 * logvar).numpy(),
        reconstruction=torch.sigmoid(logits).numpy()[:, 0],
        recon_nats=terms.recon.numpy(),
        kl_nats=terms.kl.numpy(),
    )


@dataclass(frozen=True)
class Interpolation:
    fractions: np.ndarray  # (K,) 0 -> 1
    z: np.ndarray  # (K, 2) straight line in latent space
    images: np.ndarray  # (K, H, W)


def interpolate(vae: VAE, image_a: torch.Tensor, image_b: torch.Tensor, steps: int = 8) -> Interpolation:
    """Walk in a straight line across the map from where image_a lands to where image_b lands."""
    steps = int(np.clip(steps, 2, 32))
    size = vae.image_size
    with torch.inference_mode():
        mu_a, _ = vae.encode(image_a.reshape(1, 1, size, size).float())  # any (S, S)-sized layout -> (1, 1, S, S)
        mu_b, _ = vae.encode(image_b.reshape(1, 1, size, size).float())
    fractions = np.linspace(0.0, 1.0, steps)
    z = (1 - fractions[:, None]) * mu_a.numpy() + fractions[:, None] * mu_b.numpy()  # (K, 2)
    return Interpolation(fractions=fractions, z=z, images=decode_points(vae, z))


def sample_prior(vae: VAE, n: int, seed: int) -> torch.Tensor:
    """n fresh images from z ~ N(0, I): (n, 1, S, S) in [0, 1]."""
    gen = torch.Generator().manual_seed(seed)
    with torch.inference_mode():
        return vae.decode(torch.randn(n, 2, generator=gen))

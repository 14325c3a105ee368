"""Real handwritten digits: scikit-learn's bundled 1,797 8x8 images (nothing is downloaded).

Conventions used by every image model in Glassbox (judge, VAE, diffusion, GAN):

- Images are float32 tensors shaped (N, 1, 8, 8).
- "Unit" range [0, 1] (0 = white paper, 1 = full ink) is the canonical range: `load_digits_tensors`
  and `split` return it, and the judge expects it.
- "Signed" range [-1, 1] is what the diffusion model and the GAN generate; convert with
  `to_signed` / `to_unit` (`to_unit` also clamps, so any generator output is safe to feed the judge).
- The train / held-out split is fixed (stratified per digit, seed `SPLIT_SEED`): 1,438 training
  images and 359 held-out images (about 20% of each digit). Every model trains on `split().train_*` only; the judge's
  accuracy and all Fréchet distances are measured against `split().heldout_*`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

# Uploads are decoded by explainers.uploads (size and memory checks before decoding); re-exported here.
from explainers.uploads import MAX_UPLOAD_BYTES, BadImageError, digit_8x8  # noqa: F401

SPLIT_SEED = 1234
HELDOUT_FRACTION = 0.2
IMAGE_SIZE = 8
NUM_CLASSES = 10
PIXEL_MAX = 16.0  # scikit-learn stores ink as integers 0..16

SOURCE = (
    "scikit-learn's bundled handwritten digits (sklearn.datasets.load_digits; UCI optical digits, 8x8, 1,797 images)"
)


@dataclass(frozen=True)
class ImageSplit:
    """A fixed train / held-out split. Images are (N, 1, S, S) float32 in [0, 1]; labels are int64 (N,)."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    heldout_images: torch.Tensor
    heldout_labels: torch.Tensor


@lru_cache(maxsize=1)
def _load_arrays() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = (bunch.images.astype(np.float32) / PIXEL_MAX)[:, None, :, :]  # (N, 1, 8, 8) in [0, 1]
    return images, bunch.target.astype(np.int64)


def load_digits_tensors() -> tuple[torch.Tensor, torch.Tensor]:
    """All 1,797 digits: images (N, 1, 8, 8) float32 in [0, 1], labels (N,) int64."""
    images, labels = _load_arrays()
    return torch.from_numpy(images.copy()), torch.from_numpy(labels.copy())


@lru_cache(maxsize=1)
def _split_indices() -> tuple[np.ndarray, np.ndarray]:
    _, labels = _load_arrays()
    rng = np.random.default_rng(SPLIT_SEED)
    train, heldout = [], []
    for digit in range(NUM_CLASSES):
        idx = np.flatnonzero(labels == digit)
        rng.shuffle(idx)
        n_held = int(round(HELDOUT_FRACTION * len(idx)))
        heldout.append(idx[:n_held])
        train.append(idx[n_held:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(heldout))


def split() -> ImageSplit:
    """The fixed, stratified, seeded train / held-out split (same on every machine)."""
    images, labels = load_digits_tensors()
    train, heldout = _split_indices()
    return ImageSplit(
        train_images=images[train],
        train_labels=labels[train],
        heldout_images=images[heldout],
        heldout_labels=labels[heldout],
    )


def to_signed(images: torch.Tensor) -> torch.Tensor:
    """[0, 1] -> [-1, 1]."""
    return images * 2.0 - 1.0


def to_unit(images: torch.Tensor) -> torch.Tensor:
    """[-1, 1] -> [0, 1], clamped so any generator output is a valid judge input."""
    return ((images + 1.0) / 2.0).clamp(0.0, 1.0)


def random_shift(images: torch.Tensor, generator: torch.Generator, max_shift: int = 1) -> torch.Tensor:
    """Data augmentation: shift each image (N, 1, S, S) by up to `max_shift` pixels (zero padding keeps the
    background empty)."""
    n, size = images.shape[0], images.shape[-1]
    padded = torch.nn.functional.pad(images, (max_shift,) * 4)  # (N, 1, S+2s, S+2s)
    offsets = torch.randint(0, 2 * max_shift + 1, (n, 2), generator=generator)
    out = torch.empty_like(images)
    for i in range(n):
        dy, dx = int(offsets[i, 0]), int(offsets[i, 1])
        out[i] = padded[i, :, dy : dy + size, dx : dx + size]
    return out


def upscale(images: np.ndarray | torch.Tensor, factor: int = 8) -> np.ndarray:
    """Nearest-neighbour upscaling for display: (..., 8, 8) -> (..., 8*factor, 8*factor) numpy."""
    array = images.detach().cpu().numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
    return array.repeat(factor, axis=-2).repeat(factor, axis=-1)


def image_from_upload(data: bytes) -> torch.Tensor:
    """Turn an uploaded picture of a digit into the dataset's format: (1, 1, 8, 8) float in [0, 1].

    See explainers.uploads.digit_8x8. Raises BadImageError (plain message) on anything unusable."""
    return torch.from_numpy(digit_8x8(data)).view(1, 1, 8, 8)


def image_from_cells(cells: list[list[float]] | np.ndarray) -> torch.Tensor:
    """An 8x8 grid of ink values (a drawing) -> (1, 1, 8, 8) float in [0, 1]. Raises BadImageError if blank."""
    array = np.asarray(cells, dtype=np.float32)
    if array.shape != (8, 8):
        raise BadImageError("A drawing must be 8 by 8 squares.")
    if array.max() <= 0:
        raise BadImageError("The drawing is empty: click some squares to add ink.")
    return torch.from_numpy(np.clip(array, 0, 1)).view(1, 1, 8, 8)

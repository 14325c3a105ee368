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

SPLIT_SEED = 1234
HELDOUT_FRACTION = 0.2
IMAGE_SIZE = 8
NUM_CLASSES = 10
PIXEL_MAX = 16.0  # scikit-learn stores ink as integers 0..16

SOURCE = (
    "scikit-learn's bundled handwritten digits (sklearn.datasets.load_digits; UCI optical digits, 8x8, 1,797 images)"
)


@dataclass(frozen=True)
class DigitSplit:
    """The fixed split. Images are (N, 1, 8, 8) float32 in [0, 1]; labels are int64 (N,)."""

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


def split() -> DigitSplit:
    """The fixed, stratified, seeded train / held-out split (same on every machine)."""
    images, labels = load_digits_tensors()
    train, heldout = _split_indices()
    return DigitSplit(
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
    """Data augmentation: shift each image by up to `max_shift` pixels (zero padding keeps paper white)."""
    n = images.shape[0]
    padded = torch.nn.functional.pad(images, (max_shift,) * 4)  # (N, 1, 8+2s, 8+2s)
    offsets = torch.randint(0, 2 * max_shift + 1, (n, 2), generator=generator)
    out = torch.empty_like(images)
    for i in range(n):
        dy, dx = int(offsets[i, 0]), int(offsets[i, 1])
        out[i] = padded[i, :, dy : dy + IMAGE_SIZE, dx : dx + IMAGE_SIZE]
    return out


def upscale(images: np.ndarray | torch.Tensor, factor: int = 8) -> np.ndarray:
    """Nearest-neighbour upscaling for display: (..., 8, 8) -> (..., 8*factor, 8*factor) numpy."""
    array = images.detach().cpu().numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
    return array.repeat(factor, axis=-2).repeat(factor, axis=-1)


MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_UPLOAD_PIXELS = 4096 * 4096


class BadImageError(ValueError):
    """An uploaded file cannot be used as a digit. `str()` is a plain-words message for the visitor."""


def image_from_upload(data: bytes) -> torch.Tensor:
    """Turn an uploaded picture of a digit into the dataset's format: (1, 1, 8, 8) float in [0, 1].

    Steps: greyscale; make ink bright on a dark background (like the dataset), inverting light-paper photos;
    crop to the ink's bounding box; pad to a square with a margin; shrink to 8x8 by area averaging;
    stretch so the darkest ink is 1. Raises BadImageError (plain message) on anything unusable."""
    from io import BytesIO

    from PIL import Image, UnidentifiedImageError

    if len(data) == 0:
        raise BadImageError("The file is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise BadImageError(f"The file is too large ({len(data) / 1e6:.1f} MB); the limit is 2 MB.")
    try:
        with Image.open(BytesIO(data)) as probe:
            width, height = probe.size
            if width * height > MAX_UPLOAD_PIXELS:
                raise BadImageError(f"The picture is too large ({width}x{height} pixels).")
            picture = probe.convert("L")
    except BadImageError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise BadImageError("That file is not a picture we can read. Please upload a PNG or JPEG image.") from exc
    grey = np.asarray(picture, dtype=np.float32) / 255.0  # (H, W), 1 = white
    # The dataset has bright ink on dark paper after our scaling (1 = ink); photos usually have dark ink on light.
    ink = 1.0 - grey if np.median(grey) > 0.5 else grey
    ink = np.clip(ink - np.median(ink), 0, None)  # remove the paper's own tone
    if ink.max() < 0.1:
        raise BadImageError("The picture looks blank: no digit found. Try a darker pen or a tighter crop.")
    ys, xs = np.nonzero(ink > 0.25 * ink.max())
    crop = ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    # The dataset's digits fill about 6 of 8 pixels vertically: pad the square by a margin of 1/8 each side.
    side = int(max(crop.shape) * 8 / 6) + 1
    canvas = np.zeros((side, side), dtype=np.float32)
    top, left = (side - crop.shape[0]) // 2, (side - crop.shape[1]) // 2
    canvas[top : top + crop.shape[0], left : left + crop.shape[1]] = crop
    small = np.asarray(Image.fromarray(canvas, mode="F").resize((8, 8), Image.Resampling.BOX), dtype=np.float32)
    small = np.clip(small / max(float(small.max()), 1e-6), 0, 1)
    return torch.from_numpy(small).view(1, 1, 8, 8)


def image_from_cells(cells: list[list[float]] | np.ndarray) -> torch.Tensor:
    """An 8x8 grid of ink values (a drawing) -> (1, 1, 8, 8) float in [0, 1]. Raises BadImageError if blank."""
    array = np.asarray(cells, dtype=np.float32)
    if array.shape != (8, 8):
        raise BadImageError("A drawing must be 8 by 8 squares.")
    if array.max() <= 0:
        raise BadImageError("The drawing is empty: click some squares to add ink.")
    return torch.from_numpy(np.clip(array, 0, 1)).view(1, 1, 8, 8)

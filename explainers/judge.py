"""The judge: a small CNN classifier that scores every image generator in Glassbox (one per dataset).

Public API (stable; the GAN, VAE and diffusion tracks code against it):

    from explainers.judge import Judge, load_judge, judge_report, frechet_distance, judge_features
    judge = load_judge()                       # digits judge (pretrained/judge); load_judge("fashion_judge") for clothes
    report = judge_report(judge, images)       # images: (N, 1, S, S) float in [0, 1], S = judge.image_size
    report.predicted, report.confidence, report.histogram, report.coverage(0.04)
    fd = frechet_distance(judge_features(judge, fakes), judge_features(judge, real))
    fd = frechet_to_heldout(judge, fakes)      # against the real held-out pictures of the judge's dataset

Input convention: images fed to the judge are float tensors of shape (N, 1, S, S) with values in
[0, 1] (0 = background, 1 = ink), exactly like `ImageDataset.split()`. Generators that work in
[-1, 1] must convert with `explainers.digits.to_unit` first.

Fréchet distance ("FID", but on this judge's penultimate features instead of Inception's):
    FD = |mu_a - mu_b|^2 + Tr(S_a + S_b - 2 (S_a S_b)^{1/2})
The matrix square root uses a symmetric eigen-decomposition (no scipy): Tr((S_a S_b)^{1/2}) equals
the sum of square roots of the eigenvalues of S_a^{1/2} S_b S_a^{1/2}, which is symmetric PSD.
The number depends on sample size, so always compare against the real-vs-real baseline stored in
the judge's config.json (`metrics.frechet_real_vs_real`), measured with the same held-out set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from explainers.datasets import dataset_of_model, real_pictures
from explainers.digits import NUM_CLASSES
from explainers.store import load_model

DEFAULT_ARCHITECTURE: dict[str, Any] = {"channels": [16, 32, 64], "features": 64, "num_classes": NUM_CLASSES}
# Clothes, 28x28: pooling after every conv keeps each conv cheap (28 -> 14 -> 7 -> 3); batch norm trains fast.
FASHION_ARCHITECTURE: dict[str, Any] = {
    "channels": [32, 64, 128],
    "pool_after": [True, True, True],
    "batch_norm": True,
    "features": 128,
    "num_classes": 10,
    "image_size": 28,
}


class Judge(nn.Module):
    """convs (each optionally followed by 2x2 max-pooling) -> F features -> 10 logits. Input (N, 1, S, S) in [0, 1].

    The digits judge (the defaults) is conv-conv-pool-conv-pool on 8x8. Layers are named conv1, conv2, ...
    (and bn1, ... with batch norm) so shipped weights load by name."""

    def __init__(
        self,
        channels: list[int] | tuple[int, ...] = (16, 32, 64),
        features: int = 64,
        num_classes: int = NUM_CLASSES,
        image_size: int = 8,
        pool_after: list[bool] | tuple[bool, ...] = (False, True, True),
        batch_norm: bool = False,
    ) -> None:
        super().__init__()
        if len(pool_after) != len(channels):
            raise ValueError("pool_after needs one entry per conv")
        self.image_size = image_size
        self.pool_after = tuple(bool(p) for p in pool_after)
        self.batch_norm = batch_norm
        self.dataset_key = "digits"  # set by load_judge: which real pictures the Fréchet distance compares with
        side, c_prev = image_size, 1
        for i, (c, pool) in enumerate(zip(channels, self.pool_after, strict=True)):
            self.add_module(f"conv{i + 1}", nn.Conv2d(c_prev, c, 3, padding=1))
            if batch_norm:
                self.add_module(f"bn{i + 1}", nn.BatchNorm2d(c))
            side, c_prev = (side // 2 if pool else side), c
        self.convs = len(channels)
        self.fc = nn.Linear(c_prev * side * side, features)
        self.head = nn.Linear(features, num_classes)
        self.dropout = nn.Dropout(0.2)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate features (N, F): what the Fréchet distance compares."""
        h = x
        for i in range(1, self.convs + 1):
            h = getattr(self, f"conv{i}")(h)  # (N, c_i, side, side)
            if self.batch_norm:
                h = getattr(self, f"bn{i}")(h)
            h = F.relu(h)
            if self.pool_after[i - 1]:
                h = F.max_pool2d(h, 2)  # (N, c_i, side / 2, side / 2), rounded down
        return F.relu(self.fc(h.flatten(1)))  # (N, c * side * side) -> (N, F)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (N, 10)."""
        return self.head(self.dropout(self.features(x)))


def build_judge(architecture: dict[str, Any] | None = None) -> Judge:
    arch = architecture or DEFAULT_ARCHITECTURE
    return Judge(
        channels=arch["channels"],
        features=arch["features"],
        num_classes=arch["num_classes"],
        image_size=arch.get("image_size", 8),
        pool_after=arch.get("pool_after", (False, True, True)),
        batch_norm=arch.get("batch_norm", False),
    )


def load_judge(name: str = "judge") -> Judge:
    """A shipped judge in eval mode ("judge" reads digits, "fashion_judge" clothes).
    Raises explainers.store.ModelLoadError if weights are missing/damaged."""
    loaded = load_model(name)
    judge = build_judge(loaded.config["architecture"])
    judge.load_state_dict(loaded.tensors)
    judge.dataset_key = dataset_of_model(name).key
    judge.eval()
    return judge


@dataclass(frozen=True)
class JudgeReport:
    """What the judge thinks of a batch of images. All arrays are numpy."""

    predicted: np.ndarray  # (N,) int: the kind (digit, garment) the judge sees
    confidence: np.ndarray  # (N,) float: probability of that kind
    probabilities: np.ndarray  # (N, 10) float
    histogram: np.ndarray  # (10,) int: how many images were judged as each digit

    @property
    def fractions(self) -> np.ndarray:
        """(10,) share of the batch judged as each digit."""
        return self.histogram / max(1, int(self.histogram.sum()))

    def coverage(self, min_fraction: float = 0.0) -> int:
        """How many of the 10 digits make up more than `min_fraction` of the batch (GAN bar: 0.04)."""
        return int((self.fractions > min_fraction).sum()) if min_fraction > 0 else int((self.histogram > 0).sum())

    def accuracy(self, requested: np.ndarray | torch.Tensor | int) -> float:
        """Conditional accuracy: share judged as the requested digit(s)."""
        target = np.asarray(requested.cpu() if isinstance(requested, torch.Tensor) else requested)
        return float(np.mean(self.predicted == target))

    def confident_classes(self, min_confidence: float = 0.8) -> list[int]:
        """Digits that appear at least once with confidence >= min_confidence (VAE bar: 9 of 10 at 0.8)."""
        return sorted({int(p) for p, c in zip(self.predicted, self.confidence, strict=True) if c >= min_confidence})


def _check_images(judge: Judge, images: torch.Tensor) -> torch.Tensor:
    size = judge.image_size
    if images.ndim != 4 or tuple(images.shape[1:]) != (1, size, size):
        raise ValueError(f"judge expects images shaped (N, 1, {size}, {size}), got {tuple(images.shape)}")
    return images.float()


def judge_report(judge: Judge, images: torch.Tensor, batch_size: int = 1024) -> JudgeReport:
    """Classify images (N, 1, S, S) in [0, 1]."""
    images = _check_images(judge, images)
    with torch.inference_mode():
        logits = torch.cat([judge(images[i : i + batch_size]) for i in range(0, images.shape[0], batch_size)])
        probs = F.softmax(logits, dim=-1)
    conf, pred = probs.max(dim=-1)
    pred_np = pred.numpy().astype(np.int64)
    return JudgeReport(
        predicted=pred_np,
        confidence=conf.numpy().astype(np.float64),
        probabilities=probs.numpy().astype(np.float64),
        histogram=np.bincount(pred_np, minlength=probs.shape[1]),
    )


def judge_features(judge: Judge, images: torch.Tensor, batch_size: int = 1024) -> np.ndarray:
    """Penultimate features (N, F) as float64 numpy, for frechet_distance."""
    images = _check_images(judge, images)
    with torch.inference_mode():
        chunks = [judge.features(images[i : i + batch_size]) for i in range(0, images.shape[0], batch_size)]
    return torch.cat(chunks).double().numpy()


def _sqrtm_psd(matrix: np.ndarray) -> np.ndarray:
    """Square root of a symmetric PSD matrix by eigen-decomposition (tiny negative eigenvalues clipped)."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet_distance(feats_a: np.ndarray | torch.Tensor, feats_b: np.ndarray | torch.Tensor) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (N_a, F) and (N_b, F). 0 = identical."""
    a = np.asarray(feats_a, dtype=np.float64)
    b = np.asarray(feats_b, dtype=np.float64)
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root_a = _sqrtm_psd(cov_a)
    middle = root_a @ cov_b @ root_a  # symmetric PSD, same eigenvalues as S_a S_b
    trace_sqrt = float(np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum())
    value = float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2.0 * trace_sqrt)
    return max(value, 0.0)


def heldout_features(judge: Judge) -> np.ndarray:
    """Judge features of the real held-out pictures of its dataset (the Fréchet reference set): the 359 held-out
    digits, or the 2,000 shipped held-out clothes."""
    return judge_features(judge, real_pictures(judge.dataset_key).images)


def frechet_to_heldout(judge: Judge, images: torch.Tensor) -> float:
    """Fréchet distance from generated images (N, 1, S, S) in [0, 1] to the real held-out pictures."""
    return frechet_distance(judge_features(judge, images), heldout_features(judge))

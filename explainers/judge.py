"""The judge: a small CNN digit classifier that scores every image generator in Glassbox.

Public API (stable; the GAN, VAE and diffusion tracks code against it):

    from explainers.judge import Judge, load_judge, judge_report, frechet_distance, judge_features
    judge = load_judge()                       # shipped weights from pretrained/judge (cache it in the UI)
    report = judge_report(judge, images)       # images: (N, 1, 8, 8) float in [0, 1]
    report.predicted, report.confidence, report.histogram, report.coverage(0.04)
    fd = frechet_distance(judge_features(judge, fakes), judge_features(judge, real))
    fd = frechet_to_heldout(judge, fakes)      # against the 359 held-out real digits

Input convention: images fed to the judge are float tensors of shape (N, 1, 8, 8) with values in
[0, 1] (0 = paper, 1 = ink), exactly like `explainers.digits.split()`. Generators that work in
[-1, 1] must convert with `explainers.digits.to_unit` first.

Fréchet distance ("FID", but on this judge's 64-d penultimate features instead of Inception's):
    FD = |mu_a - mu_b|^2 + Tr(S_a + S_b - 2 (S_a S_b)^{1/2})
The matrix square root uses a symmetric eigen-decomposition (no scipy): Tr((S_a S_b)^{1/2}) equals
the sum of square roots of the eigenvalues of S_a^{1/2} S_b S_a^{1/2}, which is symmetric PSD.
The number depends on sample size, so always compare against the real-vs-real baseline stored in
pretrained/judge/config.json (`metrics.frechet_real_vs_real`), measured with the same held-out set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from explainers.digits import NUM_CLASSES, split
from explainers.store import load_model

DEFAULT_ARCHITECTURE: dict[str, Any] = {"channels": [16, 32, 64], "features": 64, "num_classes": NUM_CLASSES}


class Judge(nn.Module):
    """conv-conv-pool-conv-pool -> 64-d features -> 10 logits. Input (N, 1, 8, 8) in [0, 1]."""

    def __init__(
        self, channels: list[int] | tuple[int, ...] = (16, 32, 64), features: int = 64, num_classes: int = NUM_CLASSES
    ) -> None:
        super().__init__()
        c1, c2, c3 = channels
        self.conv1 = nn.Conv2d(1, c1, 3, padding=1)
        self.conv2 = nn.Conv2d(c1, c2, 3, padding=1)
        self.conv3 = nn.Conv2d(c2, c3, 3, padding=1)
        self.fc = nn.Linear(c3 * 2 * 2, features)
        self.head = nn.Linear(features, num_classes)
        self.dropout = nn.Dropout(0.2)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate features (N, F): what the Fréchet distance compares."""
        h = F.relu(self.conv1(x))  # (N, c1, 8, 8)
        h = F.max_pool2d(F.relu(self.conv2(h)), 2)  # (N, c2, 4, 4)
        h = F.max_pool2d(F.relu(self.conv3(h)), 2)  # (N, c3, 2, 2)
        return F.relu(self.fc(h.flatten(1)))  # (N, F)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (N, 10)."""
        return self.head(self.dropout(self.features(x)))


def build_judge(architecture: dict[str, Any] | None = None) -> Judge:
    arch = architecture or DEFAULT_ARCHITECTURE
    return Judge(channels=arch["channels"], features=arch["features"], num_classes=arch["num_classes"])


def load_judge() -> Judge:
    """The shipped judge in eval mode. Raises explainers.store.ModelLoadError if weights are missing/damaged."""
    loaded = load_model("judge")
    judge = build_judge(loaded.config["architecture"])
    judge.load_state_dict(loaded.tensors)
    judge.eval()
    return judge


@dataclass(frozen=True)
class JudgeReport:
    """What the judge thinks of a batch of images. All arrays are numpy."""

    predicted: np.ndarray  # (N,) int: the digit the judge sees
    confidence: np.ndarray  # (N,) float: probability of that digit
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


def _check_images(images: torch.Tensor) -> torch.Tensor:
    if images.ndim != 4 or tuple(images.shape[1:]) != (1, 8, 8):
        raise ValueError(f"judge expects images shaped (N, 1, 8, 8), got {tuple(images.shape)}")
    return images.float()


def judge_report(judge: Judge, images: torch.Tensor) -> JudgeReport:
    """Classify images (N, 1, 8, 8) in [0, 1]."""
    with torch.inference_mode():
        probs = F.softmax(judge(_check_images(images)), dim=-1)
    conf, pred = probs.max(dim=-1)
    pred_np = pred.numpy().astype(np.int64)
    return JudgeReport(
        predicted=pred_np,
        confidence=conf.numpy().astype(np.float64),
        probabilities=probs.numpy().astype(np.float64),
        histogram=np.bincount(pred_np, minlength=NUM_CLASSES),
    )


def judge_features(judge: Judge, images: torch.Tensor, batch_size: int = 1024) -> np.ndarray:
    """Penultimate features (N, F) as float64 numpy, for frechet_distance."""
    images = _check_images(images)
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
    """Judge features of the 359 held-out real digits (the Fréchet reference set)."""
    return judge_features(judge, split().heldout_images)


def frechet_to_heldout(judge: Judge, images: torch.Tensor) -> float:
    """Fréchet distance from generated images (N, 1, 8, 8) in [0, 1] to the held-out real digits."""
    return frechet_distance(judge_features(judge, images), heldout_features(judge))

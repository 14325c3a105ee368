"""How good is a picture generator? The measures every image model's card and the Evaluation page share.

All are computed from pictures (N, 1, S, S) in [0, 1] and the judge of their dataset:
- readable: the share the judge reads with confidence >= CONFIDENT (it is sure what kind of thing it sees);
- requested: for conditional models, the share judged as the kind that was asked for;
- class shares: how the confident readings spread over the kinds (mode coverage: a GAN may drop kinds);
- Fréchet distance on judge features (explainers.judge), always beside the real-against-real floor;
- memorization: each picture's distance to its nearest *training* picture, compared with how far real held-out
  pictures sit from the training set. A ratio near 1 means "as new as a real unseen picture"; near 0, copies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from explainers.datasets import nearest_distances
from explainers.judge import Judge, judge_report

CONFIDENT = 0.8  # a judge verdict counts as "read confidently" at or above this probability


@dataclass(frozen=True)
class SampleQuality:
    n: int
    readable_share: float  # confidence >= CONFIDENT
    unreadable_share: float  # 1 - readable_share
    confident_class_shares: np.ndarray  # (K,) share of ALL samples read confidently as each kind
    class_shares: np.ndarray  # (K,) share of all samples judged as each kind, however unsure
    requested_share: float | None  # share judged as the requested kind (conditional models)
    mean_confidence: float

    @property
    def rarest_confident_share(self) -> float:
        return float(self.confident_class_shares.min())

    def kinds_at_least(self, share: float) -> int:
        """How many kinds make up at least `share` of the samples, counting only confident verdicts."""
        return int((self.confident_class_shares >= share).sum())


def sample_quality(
    judge: Judge, images: torch.Tensor, requested: np.ndarray | None = None, threshold: float = CONFIDENT
) -> SampleQuality:
    """The judge's reading of generated (or real) pictures (N, 1, S, S) in [0, 1]."""
    report = judge_report(judge, images)
    k = report.probabilities.shape[1]
    confident = report.confidence >= threshold
    n = len(report.predicted)
    return SampleQuality(
        n=n,
        readable_share=float(confident.mean()),
        unreadable_share=float(1 - confident.mean()),
        confident_class_shares=np.bincount(report.predicted[confident], minlength=k) / max(n, 1),
        class_shares=report.histogram / max(n, 1),
        requested_share=None if requested is None else report.accuracy(np.asarray(requested)),
        mean_confidence=float(report.confidence.mean()),
    )


@dataclass(frozen=True)
class Memorization:
    sample_distance: np.ndarray  # (N,) RMS pixel distance of each generated picture to its nearest training picture
    sample_nearest: np.ndarray  # (N,) index of that training picture
    heldout_distance: np.ndarray  # (M,) same for real held-out pictures (the reference)
    heldout_nearest: np.ndarray  # (M,)

    @property
    def ratio(self) -> float:
        """median(sample distance) / median(held-out distance): about 1 = new pictures, near 0 = copies."""
        return float(np.median(self.sample_distance) / max(np.median(self.heldout_distance), 1e-12))


def memorization(samples: torch.Tensor, train: torch.Tensor, heldout: torch.Tensor) -> Memorization:
    """Nearest-training-picture distances of samples and of real held-out pictures (all (N, 1, S, S) in [0, 1])."""
    s_idx, s_dist = nearest_distances(samples, train)
    h_idx, h_dist = nearest_distances(heldout, train)
    return Memorization(sample_distance=s_dist, sample_nearest=s_idx, heldout_distance=h_dist, heldout_nearest=h_idx)


def spread_within_kinds(images: torch.Tensor, kinds: np.ndarray, num_classes: int = 10) -> np.ndarray:
    """(K,) diversity within each kind: the mean RMS pixel distance (0..1 scale) between two pictures of the same
    kind (NaN for a kind with fewer than two pictures). Compare a generator's with real pictures': a generator that
    paints one T-shirt over and over has a small spread for T-shirts even if every kind appears."""
    flat = images.flatten(1).float()  # (N, P)
    kinds = np.asarray(kinds)
    spread = np.full(num_classes, np.nan)
    for k in range(num_classes):
        members = flat[torch.from_numpy(np.flatnonzero(kinds == k))]
        m = members.shape[0]
        if m < 2:
            continue
        sq = (members * members).sum(1)
        d2 = (sq[:, None] + sq[None, :] - 2 * members @ members.T).clamp(min=0) / flat.shape[1]  # (m, m)
        spread[k] = float(d2.sqrt().sum() / (m * (m - 1)))  # the diagonal is zero: mean over ordered pairs
    return spread

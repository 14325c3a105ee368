"""Checks every story world must pass (the default world, the doctor worlds, the fact-gap world)."""

from __future__ import annotations

import math

import pytest

from explainers import corpus


def assert_symmetry_shortcut_exact(g: corpus.Grammar) -> None:
    """The exact entropy's symmetry shortcut (names are interchangeable) gives the full recursion's answer."""
    fast = corpus.exact_entropy(g, use_symmetry=True)
    full = corpus.exact_entropy(g, use_symmetry=False)
    assert fast.per_story == pytest.approx(full.per_story, rel=1e-12)


def assert_entropy_matches_samples(g: corpus.Grammar, n: int, seed: int) -> None:
    """Monte Carlo: the mean surprise of `n` sampled stories is within 4 standard errors of the exact entropy."""
    nll = [-s.log_prob for s in corpus.generate_stories(n, seed=seed, g=g)]
    mean = sum(nll) / len(nll)
    sd = math.sqrt(sum((x - mean) ** 2 for x in nll) / (len(nll) - 1))
    assert abs(mean - corpus.exact_entropy(g).per_story) < 4 * sd / math.sqrt(len(nll))

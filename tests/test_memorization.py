"""The copy finder: exactly the characters inside a verbatim stretch of the training text, fast on long texts."""

from __future__ import annotations

import random

import numpy as np
import pytest

from explainers.memorization import LENGTH_LADDER, CopyFinder, window_hashes


def brute_force(text: str, sample: str, length: int) -> np.ndarray:
    copied = np.zeros(len(sample), dtype=bool)
    for i in range(len(sample) - length + 1):
        if sample[i : i + length] in text:
            copied[i : i + length] = True
    return copied


@pytest.mark.parametrize("alphabet", ["ab", "abc😀é字"])
def test_matches_brute_force_on_random_texts(alphabet: str) -> None:
    rng = random.Random(len(alphabet))
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 90)))
        sample = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 50)))
        length = rng.randint(1, 9)
        found = CopyFinder(text).find(sample, length)
        assert np.array_equal(found.copied, brute_force(text, sample, length))
        for (a, b), src in zip(found.spans, found.sources, strict=True):
            assert b - a >= length and found.copied[a:b].all()
            assert text[src : src + length] == sample[a : a + length]


def test_spans_share_and_longest() -> None:
    text = "the quick brown fox jumps over the lazy dog. " * 2
    sample = "I saw the quick brown fox jumps today, over the lazy dog. yes"
    found = CopyFinder(text).find(sample, 20)
    assert [sample[a:b] for a, b in found.spans] == [" the quick brown fox jumps ", " over the lazy dog. "]
    assert found.share == pytest.approx(sum(b - a for a, b in found.spans) / len(sample))
    assert found.longest == len(" the quick brown fox jumps ")


def test_nothing_copied_edge_cases() -> None:
    assert CopyFinder("").find("anything at all, long enough to have windows", 20).share == 0.0
    assert CopyFinder("short").find("", 20).spans == ()
    assert CopyFinder("a" * 50).find("a" * 19, 20).share == 0.0
    assert CopyFinder("a" * 50).find("a" * 20, 20).share == 1.0


def test_window_hashes_are_window_functions() -> None:
    text = "abcabcabcXabc"
    for length in (1, 3, 5, 8, 13):
        h = window_hashes(text, length)
        assert len(h) == len(text) - length + 1
        for i in range(len(h)):
            for j in range(len(h)):
                if text[i : i + length] == text[j : j + length]:
                    assert h[i] == h[j]
    assert len(window_hashes("abc", 4)) == 0


def test_calibration_picks_the_shortest_length_with_a_low_held_out_share() -> None:
    refrain = "and the river runs down to the sea, "
    rng = random.Random(0)
    words = ["stone", "bird", "hill", "cloud", "leaf", "moon", "path", "rain"]

    def verse() -> str:
        return " ".join(rng.choice(words) for _ in range(8)) + ", " + refrain

    train, held = "".join(verse() for _ in range(40)), "".join(verse() for _ in range(5))
    finder = CopyFinder(train)
    length, share = finder.calibrate(held)
    assert length in LENGTH_LADDER and share <= 0.10
    assert length > len(refrain)  # the refrain (36 characters) is the language of this text, not a copy
    k = LENGTH_LADDER.index(length)
    assert k == 0 or finder.share(held, LENGTH_LADDER[k - 1]) > 0.10

"""The doctor worlds (bias demo) leave the default story world bit-identical, and keep their documented skew."""

from __future__ import annotations

import hashlib
import math
import random

import pytest

from explainers import corpus, limits
from tests.corpus_checks import assert_entropy_matches_samples, assert_symmetry_shortcut_exact


def stories_hash(stories: list[corpus.Story]) -> str:
    h = hashlib.sha256()
    for s in stories:
        h.update((" ".join(s.words) + "|" + repr(s.log_prob) + "|" + repr(s.sentence_starts) + "\n").encode())
    return h.hexdigest()


def test_default_world_is_unchanged() -> None:
    # Recorded before the doctor sentence existed: the shipped models' data must not move.
    assert stories_hash(corpus.generate_stories(2000, seed=0)) == (
        "6c1c0eee7347b82868ebc954abcc50712c0a95d6c9dc45b35be1aad660b561c5"
    )
    ent = corpus.exact_entropy()
    assert ent.per_story == 32.799652186152095
    assert ent.words_per_story == 67.53592228587719
    assert not hasattr(corpus, "all_words")


@pytest.mark.parametrize("p_he", [0.8, 0.5])
def test_doctor_world_has_its_documented_split(p_he: float) -> None:
    stories = corpus.generate_stories(3000, seed=1, g=corpus.doctor_world(p_he))
    share, n = limits.data_share_he(p_he, stories)
    assert n > 500
    assert abs(share - p_he) < 4 * math.sqrt(p_he * (1 - p_he) / n)


def test_doctor_world_true_odds_and_entropy() -> None:
    g = corpus.doctor_world(0.8)
    prefix = corpus.parse(
        "Once upon a time, there was a little girl named Mia. She had a friend named Tom. She had a red ball. "
        "Mia met a doctor, and the doctor said that"
    )
    nxt = corpus.next_word_distribution(prefix, g)
    assert nxt is not None and nxt.distribution == pytest.approx({"he": 0.8, "she": 0.2})
    assert corpus.next_word_distribution(prefix) is None  # the default world has no doctors
    # The symmetry shortcut stays exact with the new sentence (it depends on no name).
    small = corpus.Grammar(
        girls=("Mia", "Zoe"), boys=("Tom",), objects=("ball", "kite"), colours=("red", "blue"),
        places=("park",), animals=("dog",), max_middle=2,
        middle_weights=(("played", 1.0), ("doctor", 1.0)), p_doctor_he=0.8,
    )  # fmt: skip
    assert_symmetry_shortcut_exact(small)
    assert_entropy_matches_samples(g, 2000, seed=5)  # Monte Carlo agrees with the doctor world's exact entropy too


def test_sample_sentence_and_opening() -> None:
    story = corpus.generate_stories(1, seed=2)[0]
    words, state = corpus.opening(story)
    assert state.stage == corpus.MIDDLE and state.hero and state.friend and state.toy
    assert words == story.words[: len(words)] and words[-2] == state.toy
    rng = random.Random(0)
    for _ in range(50):
        s = corpus.sample_sentence(state, rng, allow=lambda s: state.friend not in s)
        assert state.friend not in s and s in corpus.sentence_distribution(state)
    with pytest.raises(ValueError):
        corpus.sample_sentence(state, rng, allow=lambda s: False)

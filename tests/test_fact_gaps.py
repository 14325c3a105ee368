"""The fact-gap world (corpus.fact_gap_world) and the model fine-tuned on it (pretrained/fact_gaps): the Limits page's
hallucination demo. The default world stays bit-identical (tests/test_corpus_variants.py hashes it)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from explainers import corpus, limits
from explainers.datasets import load_arrays
from explainers.store import read_config
from tests.corpus_checks import assert_entropy_matches_samples, assert_symmetry_shortcut_exact

GAP = corpus.fact_gap_world(0.25)
SMALL = corpus.Grammar(
    girls=("Mia", "Zoe"), boys=("Tom",), objects=("ball", "kite"), colours=("red", "blue"), places=("park",),
    animals=("dog",), max_middle=2, middle_weights=(("played", 1.0), ("together", 1.0), ("hug", 1.0)),
    p_no_friend=0.3, p_no_toy=0.4,
)  # fmt: skip


def test_default_world_has_no_gaps() -> None:
    assert corpus.GRAMMAR.p_no_friend == 0 and corpus.GRAMMAR.p_no_toy == 0
    for s in corpus.generate_stories(300, seed=4):
        _, state = corpus.opening(s)
        assert state.friend and state.toy and "friend" in s.words


def test_gaps_happen_at_the_documented_rate_and_facts_still_come_back() -> None:
    stories = corpus.generate_stories(3000, seed=1, g=GAP)
    no_friend = [s for s in stories if "friend" not in s.words]
    share = len(no_friend) / len(stories)
    assert abs(share - 0.25) < 4 * math.sqrt(0.25 * 0.75 / len(stories))
    # a friend never introduced is still named later in many of those stories
    named_later = sum(any(w in GAP.names for w in s.words[s.sentence_starts[1] :]) for s in no_friend)
    assert named_later > 0.5 * len(no_friend)


def test_log_probs_agree_with_the_exact_next_word_odds() -> None:
    for s in corpus.generate_stories(200, seed=3, g=GAP):
        logp = sum(math.log(d[w]) for d, w in zip(corpus.story_next_distributions(s.words, GAP), s.words, strict=True))
        assert logp == pytest.approx(s.log_prob, abs=1e-9)


def test_with_the_fact_missing_the_true_odds_are_even() -> None:
    no_friend = corpus.parse(
        "Once upon a time, there was a little girl named Mia. She had a red ball. She went to the park. Mia and"
    )
    nxt = corpus.next_word_distribution(no_friend, GAP)
    assert nxt is not None and set(nxt.distribution) == set(GAP.names) - {"Mia"}
    assert max(nxt.distribution.values()) == pytest.approx(1 / 11)
    assert corpus.next_word_distribution(no_friend) is None  # impossible in the default world
    no_toy = corpus.parse(
        "Once upon a time, there was a little girl named Mia. She had a friend named Tom. She played with the"
    )
    assert corpus.next_word_distribution(no_toy, GAP).distribution == pytest.approx({o: 1 / 8 for o in GAP.objects})
    # once a later sentence names the friend, the world knows it again
    named = corpus.parse(
        "Once upon a time, there was a little girl named Mia. She had a red ball. Mia went to the park with Ben. "
        "Mia and"
    )
    assert corpus.next_word_distribution(named, GAP).distribution == {"Ben": 1.0}


def test_exact_entropy_with_gaps() -> None:
    assert_symmetry_shortcut_exact(SMALL)
    assert_entropy_matches_samples(GAP, 3000, seed=5)


def test_held_out_fact_prompts_are_stories_of_the_gap_world() -> None:
    # The hallucination questions (explainers.limits) cut the fact's sentence: that text is a possible prefix here.
    for s in limits.heldout_stories()[:20]:
        for kind in limits.FACT_KINDS:
            q = limits.recall_prompt(s, kind, limits.FACT_FILLERS, limits.FACT_SEED, cut=True)
            truth = corpus.next_word_distribution(q.words, GAP)
            assert truth is not None and q.answer in truth.distribution
            assert max(truth.distribution.values()) <= 1 / 8 + 1e-9


# --------------------------------------------------------------------------------------- the shipped model


@pytest.mark.quality
def test_fact_gaps_bars_recorded_at_training_time() -> None:
    m = read_config("fact_gaps")["metrics"]
    assert m["heldout_stories"] >= 200
    for kind in limits.FACT_KINDS:
        assert m[f"{kind}_present_mean_p_right"] >= 0.9  # fact stated: the right answer
        assert m[f"{kind}_cut_mean_p_top"] <= 0.5  # fact cut: the odds spread
        assert m[f"{kind}_cut_greedy_names_one"] >= 0.95  # ... yet greedy decoding still names one
        assert m[f"gpt_{kind}_cut_mean_p_top"] >= 0.7  # the base GPT invents confidently (what the page says)
    assert m["fact_calibration_error"] < m["gpt_fact_calibration_error"]


@pytest.mark.quality
def test_fact_gaps_bars_hold_afresh() -> None:
    from explainers.lm import load_lm

    lm = load_lm("fact_gaps")
    arrays = load_arrays("fact_gaps", "hallucination.npz")
    for kind in limits.FACT_KINDS:
        h = limits.measure_hallucination(lm, kind, 200)
        assert h.stories == 200
        assert h.p_right_present.mean() >= 0.9
        assert h.p_top_cut.mean() <= 0.5
        assert h.greedy_names_one_cut.mean() >= 0.95
        # the recorded per-story numbers are this model's (first 200 of the 400 stories)
        assert np.allclose(arrays[f"fact_gaps_{kind}_p_top_cut"][:200], h.p_top_cut, atol=1e-4)

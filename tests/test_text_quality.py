"""Quality bars of issues 16 and 17, re-measured on the SHIPPED text models (marker `quality`).

The numbers the pages read from config.json are recomputed here and must agree."""

from __future__ import annotations

import math

import numpy as np
import pytest

from explainers import corpus, limits, ngram, text_eval
from explainers import lm as lmx
from explainers.lm_quality import heldout_stories
from explainers.long_range import DISTANCE_FILLERS, long_range_curve
from explainers.rnn import load_rnn_lm
from explainers.store import read_config

pytestmark = pytest.mark.quality


@pytest.fixture(scope="module")
def gpt() -> lmx.LM:
    return lmx.load_lm("gpt")


@pytest.fixture(scope="module")
def rnn() -> lmx.LM:
    return load_rnn_lm("rnn")


@pytest.fixture(scope="module")
def held() -> list[corpus.Story]:
    return heldout_stories()


def test_rnn_is_the_gpts_size_and_reads_the_same_tokens(gpt, rnn) -> None:
    n_gpt, n_rnn = gpt.config["weights"]["parameters"], rnn.config["weights"]["parameters"]
    assert abs(n_rnn - n_gpt) / n_gpt < 0.05
    assert rnn.tok.to_str() == gpt.tok.to_str()


def test_per_word_perplexity_transformer_closest_to_the_floor(gpt, rnn, held) -> None:
    m = rnn.config["metrics"]
    rnn_ppl = text_eval.perplexity(text_eval.token_model_word_nats(rnn.model, rnn.tok, held))
    gpt_ppl = text_eval.perplexity(text_eval.token_model_word_nats(gpt.model, gpt.tok, held))
    floor = text_eval.floor(held)
    assert rnn_ppl.perplexity == pytest.approx(m["per_word_perplexity"], abs=2e-4)  # the config is what we measure
    assert floor.perplexity == pytest.approx(m["true_per_word_perplexity_heldout"], abs=1e-4)
    # the GPT's own config measures the same thing per story: the same number
    g = gpt.config["metrics"]
    assert gpt_ppl.perplexity == pytest.approx(
        math.exp(g["model_nats_per_story"] * floor.stories / floor.words), rel=1e-4
    )
    if m["gpt_weights_sha256"] == gpt.config["weights"]["sha256"]:
        assert gpt_ppl.perplexity == pytest.approx(m["gpt_per_word_perplexity"], abs=2e-4)
    grams = ngram.load_ngrams()
    uni = text_eval.perplexity([grams["unigram"].word_nats(s.words) for s in held])
    bi = text_eval.perplexity([grams["bigram"].word_nats(s.words) for s in held])
    counted = read_config("ngram")["metrics"]
    assert uni.perplexity == pytest.approx(counted["unigram_per_word_perplexity"], abs=2e-4)
    assert bi.perplexity == pytest.approx(counted["bigram_per_word_perplexity"], abs=2e-4)
    # the order issue 17 expects: floor < transformer < RNN < bigram < unigram
    assert floor.perplexity < gpt_ppl.perplexity < rnn_ppl.perplexity < bi.perplexity < uni.perplexity


def test_long_range_bar(gpt, rnn) -> None:
    m = rnn.config["metrics"]
    longest = DISTANCE_FILLERS[-1]
    g = long_range_curve(gpt.model, gpt.tok, n_prompts=100, fillers=(DISTANCE_FILLERS[0], longest))
    r = long_range_curve(rnn.model, rnn.tok, n_prompts=100, fillers=(DISTANCE_FILLERS[0], longest))
    assert r.p_right[-1] == pytest.approx(m["long_range_p_right_name"][-1], abs=1e-4)
    assert g.p_right[-1] >= 0.9  # the transformer keeps the name at the longest distance
    # ... the RNN measurably less: lower on average and on most prompts, and its wrong-name odds grow with distance
    assert r.p_right[-1] < g.p_right[-1]
    assert np.mean(r.p_right_each[-1] < g.p_right_each[-1]) > 0.8
    assert (1 - r.p_right[-1]) > 1.5 * (1 - r.p_right[0])
    assert (g.p_right[0] - r.p_right[0]) < (g.p_right[-1] - r.p_right[-1])  # the gap grows with distance
    if m["gpt_weights_sha256"] == gpt.config["weights"]["sha256"]:
        assert g.p_right[-1] == pytest.approx(m["gpt_long_range_p_right_name"][-1], abs=1e-4)


def test_hallucination_with_the_fact_and_without(gpt) -> None:
    for kind in limits.FACT_KINDS:
        h = limits.measure_hallucination(gpt, kind, n=200)
        assert h.stories >= 200
        assert h.p_right_present.mean() >= 0.9  # the fact stated: the right answer gets the odds
        assert h.greedy_names_one_cut.mean() >= 0.95  # the fact cut: greedy decoding still names one ...
        assert h.greedy_right_cut.mean() < 0.4  # ... which is a guess


@pytest.mark.xfail(
    strict=True,
    reason="measured: with the fact cut, the shipped GPT does not spread its odds; it is as sure as before of a "
    "made-up answer (often the hero's own name, or 'ball'), mean top probability 0.85-0.91 (benchmarks/results/"
    "limits.json). It never saw a story without the fact, so it never learned to be unsure there.",
)
def test_hallucination_cut_fact_spreads_the_odds(gpt) -> None:
    for kind in limits.FACT_KINDS:
        assert limits.measure_hallucination(gpt, kind, n=200).p_top_cut.mean() <= 0.5


@pytest.mark.parametrize("name, p_he", [("bias_skewed", 0.8), ("bias_balanced", 0.5)])
def test_bias_bars(name: str, p_he: float) -> None:
    lm = lmx.load_lm(name)
    m = lm.config["metrics"]
    assert m["grammar_share_he"] == p_he and abs(m["data_share_he"] - p_he) < 0.02
    b = limits.measure_bias(lm, limits.doctor_prompts(p_he, 200), samples_per_prompt=5)
    assert b.odds_he == pytest.approx(m["model_odds_he"], abs=1e-4)  # the card's numbers are today's
    assert b.sampled_share_he == pytest.approx(m["sampled_share_he"], abs=1e-4)
    assert abs(b.odds_he - m["data_share_he"]) <= 0.05
    assert abs(b.sampled_share_he - m["data_share_he"]) <= 0.05
    assert b.prompts == 200 and b.samples == 1000
    if p_he > 0.5:
        assert b.greedy_he == 200  # greedy decoding: the majority every time, the minority disappears
    assert m["cross_entropy_ratio"] <= 1.03  # fine-tuning left the story world intact


def test_perplexity_table_and_surprise_from_the_shipped_models(gpt, rnn, held) -> None:
    table = text_eval.perplexity_table(read_config("ngram"), rnn.config, gpt.config)
    assert table.models == ("unigram", "bigram", "rnn", "gpt")
    assert table.floor_heldout < table.perplexity[3] < table.perplexity[2] < table.perplexity[1] < table.perplexity[0]
    gpt_now = text_eval.perplexity(text_eval.token_model_word_nats(gpt.model, gpt.tok, held))
    assert table.perplexity[3] == pytest.approx(gpt_now.perplexity, rel=1e-4)
    story = text_eval.showcase_story()
    s = text_eval.surprise(story, text_eval.scorers(ngram.load_ngrams(), {"rnn": rnn, "gpt": gpt}))
    assert s.models == ("unigram", "bigram", "rnn", "gpt", "grammar") and s.nats.shape == (5, len(story.words))
    assert "".join(s.pieces) == story.text
    assert s.nats[-1].sum() == pytest.approx(-story.log_prob)
    assert s.nats[0].sum() > s.nats[1].sum() > s.nats[2].sum() * 0.9  # the counting models are far more surprised

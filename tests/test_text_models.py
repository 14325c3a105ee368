"""Unit tests on tiny models: n-gram counting, per-word surprise, the RNN, the long-range prompts and the
limits measurements (hallucination, calibration, bias, randomness). No shipped weights needed."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pytest
import torch

from explainers import corpus, limits, long_range, ngram, text_eval
from explainers.gpt import GPT, GPTConfig
from explainers.lm import LM
from explainers.lm_quality import encode_story, heldout_stories
from explainers.rnn import RNNLM, RNNConfig, build_rnn
from explainers.tokenizer import eot_id, train_tokenizer


@lru_cache(maxsize=1)
def tiny_tok():
    return train_tokenizer((s.text for s in corpus.generate_stories(300, seed=1)), 300)


def tiny_gpt() -> GPT:
    torch.manual_seed(0)
    return GPT(GPTConfig(vocab_size=tiny_tok().get_vocab_size(), block_size=256, n_layer=1, n_head=2, n_embd=16)).eval()


def tiny_rnn() -> RNNLM:
    torch.manual_seed(0)
    return RNNLM(RNNConfig(vocab_size=tiny_tok().get_vocab_size(), n_embd=16, n_hidden=24)).eval()


def as_lm(model) -> LM:
    return LM(model, tiny_tok(), eot_id(tiny_tok()), {})


# ---------------------------------------------------------------------------------------------- n-grams


def test_ngram_counts_and_hand_computed_probabilities() -> None:
    c = ngram.count([["a", "b", "a"], ["a", "c"]])
    i = c.index
    assert c.vocab[:3] == (ngram.START, ngram.END, ngram.UNKNOWN)
    assert c.bigrams[i["<s>"], i["a"]] == 2 and c.bigrams[i["a"], i["b"]] == 1 and c.bigrams[i["a"], i["</s>"]] == 1
    uni, bi = ngram.unigram(c), ngram.bigram(c)
    # unigram: counts of predicted words a=3, b=1, c=1, </s>=2, <unk>=0; add one over 5 words -> N + V = 7 + 5
    assert uni.next_word("b")[i["a"]] == pytest.approx(4 / 12)
    assert uni.next_word("b")[i["<unk>"]] == pytest.approx(1 / 12)
    for model in (uni, bi):
        assert np.allclose(model.probs.sum(axis=1), 1.0)
        assert (model.probs[:, i["<s>"]] == 0).all()
    # bigram after "a": c(a)=3, followers {b, </s>, c}=3, d=0.75; p_cont(b)=(1+1)/(sum over words of preceded+1)
    preceded = {"</s>": 2, "<unk>": 0, "a": 2, "b": 1, "c": 1}  # distinct predecessors: a <- {<s>, b}
    total = sum(v + 1 for v in preceded.values())
    expect = (1 - 0.75) / 3 + 0.75 * 3 / 3 * (preceded["b"] + 1) / total
    assert bi.next_word("a")[i["b"]] == pytest.approx(expect)
    nats = bi.word_nats(["a", "b"])
    assert len(nats) == 2
    assert nats.sum() == pytest.approx(
        -math.log(bi.next_word("<s>")[i["a"]])
        - math.log(bi.next_word("a")[i["b"]])
        - math.log(bi.next_word("b")[i["</s>"]])
    )
    assert np.isfinite(bi.word_nats(["zebra"])).all()  # unknown words cost a lot but never infinity


def test_bigram_beats_unigram_on_stories() -> None:
    c = ngram.count(s.words for s in corpus.generate_stories(500, seed=3))
    models = ngram.models_from_counts(c)
    held = [s.words for s in corpus.generate_stories(50, seed=4)]
    uni, _ = ngram.perplexity_of(models["unigram"], held)
    bi, words = ngram.perplexity_of(models["bigram"], held)
    assert words == sum(len(w) for w in held)
    assert bi < uni
    assert bi > corpus.exact_entropy().per_word  # nobody beats the floor by much on 50 stories


# ---------------------------------------------------------------------------------------------- per-word surprise


@pytest.mark.parametrize("make", [tiny_gpt, tiny_rnn])
def test_word_nats_add_up_to_the_story_log_prob(make) -> None:
    model, tok = make(), tiny_tok()
    stories = corpus.generate_stories(5, seed=8)
    per_word = text_eval.token_model_word_nats(model, tok, stories, batch=2)
    for s, nats in zip(stories, per_word, strict=True):
        e = encode_story(tok, s)
        with torch.inference_mode():
            logp = torch.log_softmax(model(torch.tensor([e.ids]))[0][0].double(), -1)
        direct = -sum(float(logp[k, e.ids[k + 1]]) for k in range(len(e.ids) - 1))
        assert len(nats) == len(s.words)
        assert nats.sum() == pytest.approx(direct, rel=1e-4)  # batching with padding changes nothing
    ppl = text_eval.perplexity(per_word)
    assert ppl.words == sum(len(s.words) for s in stories)
    assert ppl.perplexity == pytest.approx(math.exp(sum(a.sum() for a in per_word) / ppl.words))


def test_true_word_nats_and_floor() -> None:
    stories = corpus.generate_stories(20, seed=6)
    for s in stories:
        assert text_eval.true_word_nats(s).sum() == pytest.approx(-s.log_prob)
    f = text_eval.floor(stories)
    assert f.nats_per_word == pytest.approx(-sum(s.log_prob for s in stories) / sum(len(s.words) for s in stories))
    assert text_eval.entropy_floor().nats_per_word == pytest.approx(corpus.exact_entropy().per_word)
    story = text_eval.showcase_story()
    assert story.words[0] == "The" and len(story.sentence_starts) >= 8


# ---------------------------------------------------------------------------------------------- the RNN


def test_rnn_shapes_state_and_step_by_step() -> None:
    model = tiny_rnn()
    x = torch.randint(0, model.cfg.vocab_size, (3, 11))
    logits, h = model(x, return_state=True)
    assert logits.shape == (3, 11, model.cfg.vocab_size) and h.shape == (3, 11, 24)
    assert model(x)[1] is None
    # feeding the text in two parts through `run` gives the same scores: the state carries everything
    a, state = model.run(x[:, :6])
    b, _ = model.run(x[:, 6:], state)
    assert torch.allclose(torch.cat([a, b], 1), logits, atol=1e-5)
    rebuilt = build_rnn(model.cfg.to_dict(), model.state_dict())
    assert torch.allclose(rebuilt(x)[0], logits)
    assert sum(p.numel() for p in RNNLM(RNNConfig(vocab_size=483)).parameters()) == pytest.approx(295_000, rel=0.05)


# ---------------------------------------------------------------------------------------------- long-range prompts


def test_long_range_prompts_are_grammatical_and_grow() -> None:
    shorter = long_range.long_range_prompts(2, 20)
    longer = long_range.long_range_prompts(6, 20)
    for a, b in zip(shorter, longer, strict=True):
        truth = corpus.next_word_distribution(b.words)
        assert truth is not None and truth.distribution == {b.answer: 1.0}  # the grammar demands the name
        assert b.words[: len(a.words) - 2] == a.words[:-2]  # more filler = the same story, longer
        assert b.answer not in b.words[b.words.index("friend") + 3 :]  # the filler never mentions the friend
        assert b.distance > a.distance
        assert b.words[-1] == "and"


@pytest.mark.parametrize("kind", ["friend", "toy"])
def test_fact_prompts_present_and_cut(kind: str) -> None:
    story = heldout_stories()[3]
    present = long_range.recall_prompt(story, kind, 3, seed=1)
    cut = long_range.recall_prompt(story, kind, 3, seed=1, cut=True)
    assert corpus.next_word_distribution(present.words).distribution == {present.answer: 1.0}
    assert present.answer in present.words and present.answer not in cut.words
    assert cut.distance == 0 and len(cut.words) < len(present.words)
    assert corpus.next_word_distribution(cut.words) is None  # without the fact it is no longer a grammar story


def test_word_probabilities_multi_token_words() -> None:
    model, tok = tiny_gpt(), tiny_tok()
    prompts = [("The", "cat", "sat", "on", "the"), ("Once", "upon")]
    words = ["mat", "doctor", "xylophone"]  # one token, and words the tiny tokenizer splits
    probs = long_range.word_probabilities(model, tok, prompts, words, batch=2)
    for i, p in enumerate(prompts):
        for j, w in enumerate(words):
            ids = long_range.prompt_token_ids(tok, p)
            direct = 0.0
            for t in tok.encode(" " + w).ids:
                with torch.inference_mode():
                    logp = torch.log_softmax(model(torch.tensor([ids]))[0][0, -1].double(), -1)
                direct += float(logp[t])
                ids = ids + [t]
            assert probs[i, j] == pytest.approx(math.exp(direct), rel=1e-6)


def test_long_range_curve_shapes() -> None:
    curve = long_range.long_range_curve(tiny_rnn(), tiny_tok(), n_prompts=4, fillers=(0, 3))
    assert curve.p_right.shape == (2,) and curve.p_right_each.shape == (2, 4)
    assert (curve.p_right > 0).all() and (curve.p_right < 1).all()
    assert curve.distance[1] > curve.distance[0]


# ---------------------------------------------------------------------------------------------- limits


def test_hallucination_and_calibration_shapes() -> None:
    lm = as_lm(tiny_gpt())
    h = limits.measure_hallucination(lm, "toy", n=6)
    assert h.stories == 6 and h.p_right_present.shape == (6,) and h.candidates == 8
    assert ((h.p_top_cut >= h.p_right_cut) & (h.p_top_cut <= 1)).all()
    cal = limits.calibration(np.array([0.05, 0.15, 0.95, 0.97]), np.array([0, 1, 1, 1]), bins=10)
    assert cal.count.tolist() == [1, 1, 0, 0, 0, 0, 0, 0, 0, 2]
    assert cal.accuracy[9] == 1.0 and cal.confidence[9] == pytest.approx(0.96)
    assert cal.expected_calibration_error == pytest.approx((0.05 + 0.85 + 2 * 0.04) / 4)
    words = limits.next_word_calibration(lm, n=3)
    assert words.questions == sum(len(s.words) for s in heldout_stories()[:3])


def test_doctor_prompts_and_bias_counts() -> None:
    prompts = limits.doctor_prompts(0.8, 12)
    assert len(prompts) == 12
    g = corpus.doctor_world(0.8)
    for p in prompts:
        assert p[-len(corpus.DOCTOR_CUE) :] == corpus.DOCTOR_CUE
        assert corpus.next_word_distribution(p, g).distribution == pytest.approx({"he": 0.8, "she": 0.2})
    lm = as_lm(tiny_gpt())
    b = limits.measure_bias(lm, prompts, samples_per_prompt=3, seed=1)
    assert b.prompts == 12 and b.samples == 36
    assert b.greedy_he + b.greedy_she <= 12 and b.sampled_he + b.sampled_she <= 36
    again = limits.measure_bias(lm, prompts, samples_per_prompt=3, seed=1)
    assert again.sampled_he == b.sampled_he and np.allclose(again.p_he, b.p_he)
    share, n = limits.data_share_he(0.8, corpus.generate_stories(400, seed=2, g=g))
    assert n > 50 and abs(share - 0.8) < 0.1


def test_randomness_first_words_and_temperature() -> None:
    lm = as_lm(tiny_gpt())
    fw = limits.first_words(lm, "Once upon a time", n=30, seed=3)
    assert fw.counts.sum() == 30 and len(fw.words) == len(fw.counts) > 1
    assert list(fw.counts) == sorted(fw.counts, reverse=True)
    again = limits.first_words(lm, "Once upon a time", n=30, seed=3)
    assert again.words == fw.words and (again.counts == fw.counts).all()
    greedy = limits.first_words(lm, "Once upon a time", n=10, seed=3, temperature=0)
    assert len(greedy.words) == 1 and greedy.counts[0] == 10
    spread = limits.temperature_spread(lm, "Once upon a time", (0.0, 1.0, 3.0), n=20)
    assert spread.entropy_nats[0] == 0 and spread.entropy_nats[1] < spread.entropy_nats[2]
    assert spread.distinct_first_words[0] == 1
    texts = limits.continuations(lm, "Once upon a time", seeds=(1, 2), n_steps=5)
    assert len(texts) == 2 and texts[0] != texts[1]

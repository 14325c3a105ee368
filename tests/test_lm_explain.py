"""Explain functions on a tiny random model: sampling knobs, generation, tokens view, attention, true odds."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from explainers import corpus
from explainers import lm as lmx
from explainers.gpt import GPT, GPTConfig
from explainers.tokenizer import eot_id, train_tokenizer


@pytest.fixture(scope="module")
def lm() -> lmx.LM:
    tok = train_tokenizer((s.text for s in corpus.generate_stories(400, seed=1)), vocab_size=512)
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=tok.get_vocab_size(), block_size=96, n_layer=2, n_head=2, n_embd=32)).eval()
    with torch.no_grad():  # sharpen the random model a bit so sampling has something to do
        model.wte.weight.mul_(3)
    config = {"metrics": {"name_head_layer": 2, "name_head_head": 1, "name_head_mean_weight": 0.5}}
    return lmx.LM(model, tok, eot_id(tok), config)


LOGITS = np.array([2.0, 1.0, 0.5, 0.4, -1.0, -3.0, 0.0, 1.5])


def test_temperature_zero_is_greedy() -> None:
    greedy = lmx.apply_sampling(LOGITS, temperature=0.0)
    assert greedy.greedy and greedy.n_kept == 1 and greedy.probs[0] == 1.0
    cold = lmx.apply_sampling(LOGITS, temperature=0.01)
    assert int(np.argmax(cold.probs)) == 0 and cold.probs[0] > 0.999


def test_temperature_one_is_softmax_and_high_flattens() -> None:
    s = lmx.apply_sampling(LOGITS, 1.0)
    e = np.exp(LOGITS - LOGITS.max())
    assert np.allclose(s.probs, e / e.sum())
    assert lmx.apply_sampling(LOGITS, 5.0).entropy > s.entropy > lmx.apply_sampling(LOGITS, 0.5).entropy


@given(st.integers(1, 8))
def test_top_k_keeps_exactly_k(k: int) -> None:
    s = lmx.apply_sampling(LOGITS, 1.0, top_k=k)
    assert s.n_kept == k == int((s.probs > 0).sum())
    assert set(np.nonzero(s.kept)[0]) == set(np.argsort(-LOGITS)[:k])
    assert s.probs.sum() == pytest.approx(1.0)


@given(st.floats(0.01, 1.0))
@settings(max_examples=60)
def test_top_p_keeps_the_smallest_set_reaching_p(p: float) -> None:
    s = lmx.apply_sampling(LOGITS, 1.0, top_p=p)
    base = np.sort(s.base)[::-1]
    n = s.n_kept
    assert base[:n].sum() >= p - 1e-9  # reaches p
    assert n == 1 or base[: n - 1].sum() < p  # and one fewer would not
    assert s.probs.sum() == pytest.approx(1.0)


def test_knobs_stack_in_order() -> None:
    s = lmx.apply_sampling(LOGITS, 0.7, top_k=3, top_p=0.9)
    assert s.n_kept <= 3
    assert np.all(np.diff(s.cumulative) >= -1e-12) and s.cumulative[-1] == pytest.approx(1.0)


def test_generation_is_reproducible_for_a_seed(lm) -> None:
    a = lmx.generate(lm, "Once upon a time,", 12, seed=3, temperature=1.5)
    b = lmx.generate(lm, "Once upon a time,", 12, seed=3, temperature=1.5)
    c = lmx.generate(lm, "Once upon a time,", 12, seed=4, temperature=1.5)
    assert a.token_ids.tolist() == b.token_ids.tolist()
    assert a.token_ids.tolist() != c.token_ids.tolist()
    short = lmx.generate(lm, "Once upon a time,", 5, seed=3, temperature=1.5)
    assert short.token_ids.tolist() == a.token_ids[: len(short.steps)].tolist()  # "next token" extends the same text


@pytest.mark.parametrize("temperature", [0.0, 1.3])
def test_resuming_a_shorter_generation_equals_generating_from_scratch(lm, temperature: float) -> None:
    scratch = lmx.generate(lm, "Once upon a time,", 15, seed=9, temperature=temperature, overrides={2: 7})
    story = lmx.generate(lm, "Once upon a time,", 0, seed=9, temperature=temperature)
    for n in (1, 2, 3, 9, 15):  # "next token" presses and a "generate N" jump, as the page makes them
        story = lmx.generate(lm, "Once upon a time,", n, 9, temperature, overrides={2: 7}, resume=story)
    assert story.token_ids.tolist() == scratch.token_ids.tolist()
    assert [s.prob for s in story.steps] == [s.prob for s in scratch.steps]


def test_greedy_takes_rank_one_and_branching_keeps_the_past(lm) -> None:
    g = lmx.generate(lm, "The cat", 8, seed=0, temperature=0.0)
    assert all(s.rank == 1 for s in g.steps)
    base = lmx.generate(lm, "The cat", 8, seed=5, temperature=1.2)
    alt = int(base.steps[3].alternatives[1] if base.steps[3].rank == 1 else base.steps[3].alternatives[0])
    branched = lmx.generate(lm, "The cat", 8, seed=5, temperature=1.2, overrides={3: alt})
    assert branched.token_ids[:3].tolist() == base.token_ids[:3].tolist()
    assert branched.steps[3].token == alt and branched.steps[3].forced
    for s in branched.steps:
        assert s.alt_probs.sum() <= 1.0 + 1e-9 and s.rank >= 1


def test_generation_is_capped(lm) -> None:
    g = lmx.generate(lm, "a " * 90, 500, seed=1)
    assert len(g.prompt_ids) + len(g.steps) <= lm.max_tokens


def test_tokens_view_handles_any_text(lm) -> None:
    view = lmx.tokenize(lm, "Zoë ate a crêpe 🥞 and a snorkelwhistle. 猫")
    assert len(view.labels) == len(view.ids) == len(view.spans)
    assert not view.complete.all()  # the emoji / kanji become byte pieces
    assert view.word_tokens.max() > 1
    assert lmx.tokenize(lm, "").ids.size == 0


def test_true_odds_map_words_to_first_tokens(lm) -> None:
    odds = lmx.true_odds(lm, "The cat sat on the")
    assert odds is not None and odds.words[0] == "mat"
    assert odds.token_probs.sum() == pytest.approx(1.0)
    assert odds.token_probs[lm.tok.encode(" mat").ids[0]] == pytest.approx(0.5)
    assert lmx.true_odds(lm, "The cat sat on the ") is None
    assert lmx.true_odds(lm, "Hello there") is None
    first = lmx.true_odds(lm, "")
    assert first is not None and first.token_probs[lm.tok.encode("Once").ids[0]] == pytest.approx(0.8)


def test_attention_view(lm) -> None:
    view = lmx.attention(lm, lmx.DEFAULT_STORY_PROMPT)
    L, H, T, _ = view.attention.shape
    assert (L, H) == (2, 2) and len(view.labels) == T and view.labels[0] == "⟨start⟩"
    assert np.allclose(view.attention.sum(-1), 1, atol=1e-5)
    assert view.mean_over_heads.shape == (L, T, T)
    long = lmx.attention(lm, "Mia " * 300)
    assert long.attention.shape[-1] <= lmx.MAX_ATTENTION_TOKENS
    assert lmx.name_head(lm) == (1, 0, 0.5)


def test_next_token_logits_match_forward(lm) -> None:
    nt = lmx.next_token(lm, "The cat sat")
    with torch.inference_mode():
        logits, _ = lm.model(torch.tensor([nt.ids.tolist()]))
    assert np.allclose(nt.logits, logits[0, -1].double().numpy())
    assert nt.ids[0] == lm.eot


def test_steps_table_has_one_row_per_step(lm) -> None:
    from figures.lm import steps_table

    g = lmx.generate(lm, "The cat", 6, seed=2, temperature=1.0, overrides={2: 5})
    others = [[(lmx.label(lm, t), float(p)) for t, p in zip(s.alternatives, s.alt_probs, strict=True)] for s in g.steps]
    labels = [lmx.label(lm, s.token) for s in g.steps]
    table = steps_table(
        labels, [s.prob for s in g.steps], [s.rank for s in g.steps], [s.forced for s in g.steps], others
    )
    assert all(len(col) == len(g.steps) for col in table.values())
    assert table["token"][2].endswith("✋") and table["rank"] == [s.rank for s in g.steps]


def test_explainers_return_numbers_not_display_strings(lm) -> None:
    s = lmx.apply_sampling(lmx.next_token(lm, "The cat sat").logits, 0.7)
    rows = lmx.score_steps(lm, lmx.next_token(lm, "The cat sat").logits, s, 0.7)
    assert rows.probs.dtype.kind == "f" and rows.logits.dtype.kind == "f" and rows.scaled is not None
    assert np.allclose(rows.scaled, rows.logits / 0.7)
    assert lmx.score_steps(lm, LOGITS, lmx.apply_sampling(LOGITS, 0.0), 0.0).scaled is None


def test_greedy_steps_carry_the_models_own_odds(lm) -> None:
    g = lmx.generate(lm, "Once upon a time,", 6, seed=0, temperature=0.0)
    for i, step in enumerate(g.steps):
        ids = lmx.prompt_ids(lm, "Once upon a time,") + [s.token for s in g.steps[:i]]
        with torch.inference_mode():
            logits, _ = lm.model(torch.tensor([ids]))
        own = torch.softmax(logits[0, -1].double(), -1).numpy()
        assert step.rank == 1 and step.prob == pytest.approx(own[step.token])  # not the one-hot 100%
        assert step.alt_probs[0] == pytest.approx(own.max())


def test_tokens_view_counts_every_token_with_a_word(lm) -> None:
    for text in (
        "Mia met a snorkelwhistle.",
        "The cat sat on the mat.",
        "a  b\n\nc",
        "Zoë 🥞 猫",
        "  lead and trail  ",
    ):
        view = lmx.tokenize(lm, text)
        assert view.word_tokens.sum() + view.n_outside_words == len(view.ids)
        assert (view.n_outside_words > 0) == (text != text.rstrip())  # only trailing spaces belong to no word
        for i, w in enumerate(view.words):
            joined = "".join(view.pieces(i)).replace("␣", " ").replace("⏎", "\n")
            assert w in joined or not view.complete.all()  # byte pieces are ⟨..⟩, not the letters


def test_byte_pieces_use_one_notation(lm) -> None:
    view = lmx.tokenize(lm, "🥞")
    assert all(
        lab.startswith("⟨") and lab.endswith("⟩") for lab, ok in zip(view.labels, view.complete, strict=True) if not ok
    )
    assert not any("<" in lab for lab in view.labels)


def test_story_world(lm) -> None:
    assert lmx.in_story_world("Once upon a time,") and lmx.in_story_world("The cat sat on the ")
    assert not lmx.in_story_world("Bonjour, je m'appelle Marie.")
    assert not lmx.in_story_world("The stock market crashed today")

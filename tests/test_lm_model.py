"""The tokenizer and the GPT on tiny random models: shapes, causality, both attention paths agree."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from explainers import corpus
from explainers.gpt import GPT, GPTConfig, build_gpt
from explainers.lm_quality import encode_story
from explainers.tokenizer import END_OF_TEXT, load_tokenizer, token_bytes, token_label, train_tokenizer


@pytest.fixture(scope="module")
def tok():
    return train_tokenizer((s.text for s in corpus.generate_stories(300, seed=1)), vocab_size=400)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return GPT(GPTConfig(vocab_size=400, block_size=64, n_layer=2, n_head=3, n_embd=24)).eval()


@given(st.text(max_size=80))
@settings(max_examples=200, deadline=None)
def test_tokenizer_round_trips_any_unicode(text: str) -> None:
    tok = _TOK
    ids = tok.encode(text).ids
    assert tok.decode(ids) == text
    assert b"".join(token_bytes(tok, i) for i in ids) == text.encode("utf-8")


_TOK = train_tokenizer((s.text for s in corpus.generate_stories(200, seed=2)), vocab_size=350)


def test_story_words_are_single_tokens_and_pieces_line_up(tok) -> None:
    story = corpus.generate_stories(1, seed=4)[0]
    enc = encode_story(tok, story)
    assert enc.ids[1:-1] == tok.encode(story.text).ids  # word-by-word = whole text
    assert tok.encode(" mat").tokens == ["Ġmat"]
    assert len(tok.encode(" snorkelwhistle").ids) > 1  # an unseen word splits into pieces


def test_token_labels(tok) -> None:
    ids = tok.encode("a 🙂").ids
    labels = [token_label(tok, i) for i in ids]
    assert any(not lab.complete for lab in labels)  # the emoji is cut into byte pieces
    assert token_label(tok, tok.token_to_id(END_OF_TEXT)).text == END_OF_TEXT
    assert load_tokenizer(tok.to_str()).encode("The cat").ids == tok.encode("The cat").ids


def test_attention_shape_rows_and_causality(model) -> None:
    x = torch.randint(0, 400, (2, 17))
    with torch.inference_mode():
        logits, att = model(x, return_attention=True)
    assert logits.shape == (2, 17, 400)
    assert att.shape == (2, 2, 3, 17, 17)  # (B, layers, heads, T, T)
    assert torch.allclose(att.sum(-1), torch.ones(2, 2, 3, 17), atol=1e-5)
    assert torch.all(att.triu(diagonal=1) == 0)


def test_traced_forward_equals_plain_forward(model) -> None:
    x = torch.randint(0, 400, (3, 40))
    with torch.inference_mode():
        plain, none = model(x)
        traced, _ = model(x, return_attention=True)
    assert none is None
    assert torch.allclose(plain, traced, atol=1e-5)


def test_future_tokens_do_not_change_the_past(model) -> None:
    x = torch.randint(0, 400, (1, 20))
    y = x.clone()
    y[0, 12:] = (y[0, 12:] + 1) % 400
    with torch.inference_mode():
        a, _ = model(x)
        b, _ = model(y)
    assert torch.allclose(a[0, :12], b[0, :12], atol=1e-5)


def test_build_from_state_dict(model) -> None:
    arch = {"type": "gpt", **model.cfg.to_dict()}
    clone = build_gpt(arch, {k: v.clone() for k, v in model.state_dict().items()})
    x = torch.randint(0, 400, (1, 9))
    with torch.inference_mode():
        assert torch.equal(clone(x)[0], model(x)[0])
    with pytest.raises(ValueError):
        model(torch.zeros(1, 65, dtype=torch.long))

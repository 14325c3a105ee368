"""Quality bars re-measured on the SHIPPED weights (small held-out samples, a few seconds each)."""

from __future__ import annotations

import json

import pytest

from explainers import corpus
from explainers import lm as lmx
from explainers.lm_quality import heldout_stories, measure_name_head, measure_quality
from explainers.store import model_dir


@pytest.fixture(scope="module")
def lm() -> lmx.LM:
    return lmx.load_lm("gpt")


@pytest.fixture(scope="module")
def stories() -> list[corpus.Story]:
    return heldout_stories()[:80]


def test_cross_entropy_within_3_percent_of_true_entropy(lm, stories) -> None:
    q = measure_quality(lm.model, lm.tok, stories)
    assert q.ratio <= 1.03, f"model {q.model_nats_per_story:.2f} vs true {q.true_nats_per_story:.2f} nats/story"
    assert q.kl_word_boundary <= 0.05


def test_name_head_role(lm, stories) -> None:
    role = measure_name_head(lm.model, lm.tok, stories[:40])
    recorded = lmx.name_head(lm)
    assert recorded is not None
    layer, head, weight = recorded
    assert weight >= 0.3
    assert role.table[layer, head] >= 0.3  # the documented head still does its job on fresh stories


def test_config_and_card_record_the_bars() -> None:
    config = json.loads((model_dir("gpt") / "config.json").read_text())
    m = config["metrics"]
    assert m["cross_entropy_ratio"] <= 1.03
    assert m["kl_true_model_word_boundary"] <= 0.05
    assert m["name_head_mean_weight"] >= 0.3
    assert m["grammar_entropy_nats_per_story"] == pytest.approx(corpus.exact_entropy().per_story, abs=1e-3)
    card = (model_dir("gpt") / "README.md").read_text()
    assert "cross_entropy_ratio" in card and "Name-repeat head" in card
    assert (model_dir("gpt") / "tokenizer.json").is_file()
    assert config["weights"]["bytes"] < 5_000_000


def test_the_cat_sat_on_the_mat(lm) -> None:
    nt = lmx.next_token(lm, "The cat sat on the")
    truth = lmx.true_odds(lm, "The cat sat on the")
    s = lmx.apply_sampling(nt.logits)
    assert lmx.label(lm, int(s.order[0])) == "␣mat"
    assert lmx.kl_divergence(truth.token_probs, s.probs) < 0.05

"""The Evaluation page: the numbers on screen are the model cards' (clothes) or a fresh computation (digits), the
cards agree with a fresh computation, the game scores honestly, settings come back from the URL. AppTest runs on
the shipped models; one page run is shared by the checks that only read it."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from explainers import evaluation as ev
from explainers import fashion, text_eval
from explainers.datasets import get_dataset, real_pictures
from explainers.image_quality import memorization
from explainers.judge import load_judge
from explainers.store import read_config
from tests.conftest import open_page, values

PAGE = "pages/9_Evaluation.py"


def run_page(params: dict[str, str] | None = None) -> AppTest:
    return open_page(PAGE, params, timeout=600)


def chart(at: AppTest, key: str) -> dict:
    for el in at.get("plotly_chart"):
        spec = json.loads(el.proto.spec)
        if key in el.proto.id:
            return spec
    raise AssertionError(f"no chart {key}")


@pytest.fixture(scope="module")
def default_view() -> AppTest:
    return run_page()


def _card(name: str) -> dict:
    return read_config(name)["metrics"]


def test_clothes_measures_on_screen_are_the_cards(default_view) -> None:
    at = default_view
    gan, vae, diff = (_card(get_dataset("fashion").model(r)) for r in ev.ROLES)
    readable = values(chart(at, "eval_quality")["data"][0]["x"])
    assert np.allclose(readable[:3], [1 - gan["unreadable_share"], vae["readable_share"], diff["readable_share"]])
    frechet = chart(at, "eval_frechet")
    assert np.allclose(values(frechet["data"][0]["x"]), [gan["frechet_to_heldout"], vae["frechet"], diff["frechet"]])
    floors = [gan["frechet_real_vs_real"], vae["frechet_real_vs_real"], diff["frechet_real_vs_real"]]
    assert np.allclose(values(frechet["data"][1]["x"]), floors)
    memo = values(chart(at, "eval_memo")["data"][0]["x"])
    assert np.allclose(memo, [gan["memorization_ratio"], vae["memorization_ratio"], diff["memorization_ratio"], 1.0])
    spread = values(chart(at, "eval_spread")["data"][0]["x"])
    assert np.allclose(
        spread[:3], [gan["spread_within_kinds"], vae["spread_within_kinds"], diff["spread_within_kinds"]]
    )
    assert math.isclose(spread[3], gan["real_spread_within_kinds"], abs_tol=1e-3)  # real pictures, measured now
    kinds = chart(at, "eval_kinds")["data"][0]
    shares = values(kinds["z"]) if isinstance(kinds["z"], dict) else np.array(kinds["z"], dtype=float)
    shares = shares.T  # drawn one column per model
    names = get_dataset("fashion").class_names
    assert np.allclose(shares[0], [gan["confident_class_shares"][k] for k in names])
    assert np.allclose(shares[1], [vae["confident_class_shares"][k] for k in names])
    # the headline names the closest model by the same numbers
    best = min(
        ("GAN", gan["frechet_to_heldout"] / floors[0]),
        ("VAE", vae["frechet"] / floors[1]),
        ("diffusion model", diff["frechet"] / floors[2]),
        key=lambda p: p[1],
    )[0]
    assert f"the {best}'s pictures sit closest" in at.subheader[0].value


def test_every_section_is_drawn(default_view) -> None:
    at = default_view
    heads = " ".join(h.value for h in at.header)
    for part in ("Pictures side by side", "Five measures", "Real or fake?", "Text"):
        assert part in heads
    for key in ("eval_quality", "eval_kinds", "eval_spread", "eval_frechet", "eval_memo", "eval_speed", "eval_ppl"):
        chart(at, key)
    assert len(at.table) == 5  # one table per measure
    assert len(at.checkbox) == ev.GAME_SIZE
    speed = values(chart(at, "eval_speed")["data"][0]["x"])
    assert len(speed) == 3 and (speed > 0).all()
    trade = " ".join(m.value for m in at.markdown)
    for word in ("GAN: fast", "VAE: fast", "Diffusion: sharp"):
        assert word in trade


def test_text_bars_are_the_configs_and_the_surprise_a_fresh_computation(default_view) -> None:
    at = default_view
    t = text_eval.perplexity_table(read_config("ngram"), read_config("rnn"), read_config("gpt"))
    ppl = values(chart(at, "eval_ppl")["data"][0]["x"])
    assert np.allclose(ppl, [*t.perplexity, t.floor_heldout])
    caption = next(c.value for c in at.caption if "nats over" in c.value)
    from explainers import lm as lmx
    from explainers.lm_quality import heldout_stories
    from explainers.ngram import load_ngrams
    from explainers.rnn import load_rnn_lm

    story = heldout_stories()[3]
    assert story == text_eval.showcase_story()
    scorers = text_eval.scorers(load_ngrams(), {"rnn": load_rnn_lm(), "gpt": lmx.load_lm("gpt")})
    fresh = text_eval.surprise(story, scorers)
    assert f"{fresh.nats[fresh.models.index('gpt')].sum():.1f} nats over {len(story.words)} words" in caption


def test_the_game_scores_the_reader_and_the_judge() -> None:
    at = run_page({"eval_game_model": "VAE", "eval_round": "7"})
    for i in (0, 1, 2):
        at.checkbox(key=f"eval_mark_fashion_vae_7_{i}").check()
    at.form_submit_button(key="eval_game_check").click().run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    fakes = ev.sample_pool(ev.sampler(get_dataset("fashion"), "vae"), "vae")
    real = real_pictures("fashion").images[:, 0].numpy()
    dealt = ev.deal(7, len(fakes), len(real))
    images = np.where(dealt.is_fake[:, None, None], fakes[dealt.pick.clip(max=len(fakes) - 1)], real[dealt.pick])
    judge_fake = ev.judge_calls_fake(load_judge("fashion_judge"), torch.from_numpy(images.astype(np.float32))[:, None])
    marked = np.zeros(ev.GAME_SIZE, bool)
    marked[:3] = True
    result = ev.score(dealt.is_fake, marked, judge_fake)
    assert metrics["You"] == f"{result.reader_right} of 12 right"
    assert metrics["The judge"] == f"{result.judge_right} of 12 right"
    assert metrics["Fakes in this round"] == str(result.fakes)


def test_deal_is_seeded_and_fair() -> None:
    a, b = ev.deal(3, 20, 2000), ev.deal(3, 20, 2000)
    assert (a.is_fake == b.is_fake).all() and (a.pick == b.pick).all()
    for seed in range(1, 101):
        r = ev.deal(seed, 20, 2000)
        assert ev.GAME_FAKES[0] <= r.is_fake.sum() <= ev.GAME_FAKES[1]
        assert len(set(r.pick[r.is_fake])) == r.is_fake.sum()  # no fake twice
    perfect = ev.score(a.is_fake, a.is_fake, ~a.is_fake)
    assert perfect.reader_right == 12 and perfect.judge_right == 0 and perfect.false_alarms == 0


def test_digits_from_the_url_are_a_fresh_computation() -> None:
    at = run_page({"data": "digits", "eval_game_model": "Diffusion", "eval_round": "5", "eval_text_model": "RNN"})
    assert "On handwritten digits" in at.subheader[0].value
    fresh = ev.evaluate_images("digits", load_judge("judge"))
    readable = values(chart(at, "eval_quality")["data"][0]["x"])
    assert np.allclose(readable, [r.readable for r in fresh.rows])
    assert np.allclose(values(chart(at, "eval_frechet")["data"][0]["x"]), [r.frechet for r in fresh.models])
    assert at.slider(key="eval_round").value == 5
    assert at.segmented_control(key="eval_game_model").value == "Diffusion"
    assert any("RNN (LSTM):" in c.value for c in at.caption)
    # the digit cards that record a measure agree with it (their sample sizes differ: loose)
    diff = fresh.by_role("diffusion")
    assert diff.requested >= _card("diffusion")["conditional_accuracy_ddim20"] - 0.05
    gan = fresh.by_role("gan")
    assert gan.frechet / gan.floor < 3 * _card("gan_digits")["frechet_to_heldout"] / 1.714


@pytest.mark.parametrize(
    "params",
    [{"eval_round": "abc", "eval_game_model": "nobody"}, {"data": "cats", "eval_story": "x" * 5000}],
)
def test_bad_urls_keep_the_page(params) -> None:
    at = run_page(params)
    assert at.subheader[0].value.startswith("On ")


def test_clothes_cards_agree_with_a_fresh_computation() -> None:
    """The GAN and VAE cards recomputed on the same number of fresh samples; the diffusion card on 50 samples
    (its 500 take minutes), loosely. Memorization needs the 60,000 training pictures (the Debian package)."""
    data = get_dataset("fashion")
    judge = load_judge("fashion_judge")
    train = fashion.split().train_images if fashion.DATA_DIR.exists() else None
    for role in ("gan", "vae"):
        card = ev.from_card(data, role)
        draw = ev.sampler(data, role)
        seed = ev.EVAL_SEED if role == "gan" else read_config(data.model(role))["training"]["seed"] + ev.EVAL_SEED
        images, requested = draw(card.samples, seed)
        fresh = ev.measure(data, judge, role, images, requested, None)
        assert math.isclose(fresh.readable, card.readable, abs_tol=0.03), role
        assert math.isclose(fresh.frechet, card.frechet, rel_tol=0.1), role
        assert math.isclose(fresh.spread, card.spread, abs_tol=0.01), role
        assert np.allclose(fresh.kind_shares, card.kind_shares, atol=0.02), role
        if train is not None:
            memo = memorization(images[:300], train, real_pictures(data).images[:300]).ratio
            assert math.isclose(memo, card.memorization, rel_tol=0.15), role
    card = ev.from_card(data, "diffusion")
    images, requested = ev.sampler(data, "diffusion")(50, 11)
    fresh = ev.measure(data, judge, "diffusion", images, requested, None)
    assert fresh.requested >= card.requested - 0.1
    assert fresh.readable >= card.readable - 0.15

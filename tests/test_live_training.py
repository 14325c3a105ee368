"""Live training on a reader's text: it learns, its caps hold, pausing changes nothing, bad text gets plain words."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from explainers.gpt import GPT, GPTConfig
from explainers.live_training import (
    MAX_RUN_BYTES,
    MAX_TEXT_CHARS,
    LiveRun,
    RunError,
    RunSettings,
    TextError,
    TrainingData,
    builtin_training_text,
    data_for,
    encode_bpe,
    overfitting_moment,
    prepare_text,
)
from explainers.lm import LM
from explainers.store import model_dir
from explainers.tokenizer import eot_id, load_tokenizer
from explainers.training_texts import BUILTINS, STORY_SIZES, builtin_text

SMALL = RunSettings(size="small")

MIXED = (
    "Grüße aus Köln! 😀🎉 Les élèves étudient. 我们今天学习机器学习。 مرحبا بالعالم. Привет, мир! "
    "नमस्ते दुनिया। 👩‍👩‍👧 family, ﬁne ligature, e\u0301 combining. " * 4
)


@pytest.fixture(scope="module")
def tiny_base() -> LM:
    """A tiny random GPT with our real tokenizer: stands in for the story model when fine-tuning is tested."""
    tok = load_tokenizer((model_dir("gpt") / "tokenizer.json").read_text())
    cfg = GPTConfig(vocab_size=tok.get_vocab_size(), block_size=256, n_layer=1, n_head=2, n_embd=16)
    torch.manual_seed(0)
    model = GPT(cfg).eval()
    return LM(model, tok, eot_id(tok), {"architecture": {"type": "gpt", **cfg.to_dict()}})


def test_training_lowers_the_loss() -> None:
    run = LiveRun(data_for(builtin="poem"), SMALL, max_steps=80)
    start = run.curves()
    assert start.heldout_loss[0] == pytest.approx(math.log(run.enc.vocab_size), abs=0.3)  # knows nothing yet
    assert run.train(steps=80) == 80
    c = run.curves()
    assert c.train_smooth[-1] < c.train_loss[0] - 0.5
    assert c.heldout_loss.min() < c.heldout_loss[0] - 0.3
    assert len(c.heldout_steps) == 1 + 80 // 10 and c.heldout_steps[-1] == 80


def test_step_cap_and_time_cap_hold() -> None:
    run = LiveRun(data_for(builtin="names"), SMALL, max_steps=25)
    assert run.train(steps=1000) == 25
    assert run.finished and "25 steps" in (run.stop_reason or "")
    assert run.train(steps=10) == 0
    timed = LiveRun(data_for(builtin="names"), SMALL, max_seconds=0.05)
    timed.train(steps=100_000)
    assert timed.finished and timed.step < 100_000 and "seconds" in (timed.stop_reason or "")


def test_pause_and_resume_change_nothing() -> None:
    data = data_for(builtin="recipe")
    once = LiveRun(data, SMALL)
    once.train(steps=30)
    paused = LiveRun(data, SMALL)
    paused.train(steps=7)
    paused.train(steps=23)  # resumed after a pause: nothing happens between calls
    a, b = once.curves(), paused.curves()
    assert np.array_equal(a.train_loss, b.train_loss) and np.array_equal(a.heldout_loss, b.heldout_loss)
    for (k, v), (_, w) in zip(once.model.state_dict().items(), paused.model.state_dict().items(), strict=True):
        assert torch.equal(v, w), k
    assert once.sample(3).text == paused.sample(3).text


def test_a_seconds_budget_returns() -> None:
    run = LiveRun(data_for(builtin="poem"), SMALL)
    done = run.train(seconds=0.01)
    assert done >= 1 and run.step == done and run.steps_per_second is not None


def test_emoji_and_other_scripts_train_and_sample(tiny_base: LM) -> None:
    data = data_for(MIXED)
    run = LiveRun(data, SMALL)
    run.train(steps=5)
    s = run.sample(1, chars=80)
    assert len(s.text) == 80 and set(s.text) <= set(data.text.train) | set(data.text.heldout)
    assert s.copies.copied.shape == (80,)
    tuned = LiveRun(data, RunSettings(mode="finetune"), base=tiny_base)
    tuned.train(steps=3)
    assert tuned.enc.heldout_chars_per_token < 4  # other scripts fall back to bytes: several tokens a character
    assert isinstance(tuned.sample(2, chars=60).text, str)


def test_text_errors_are_plain() -> None:
    for text in ("", "   \n\t ", None):
        with pytest.raises(TextError, match="no text"):
            prepare_text(text)  # type: ignore[arg-type]
    with pytest.raises(TextError, match=f"{MAX_TEXT_CHARS + 1:,} characters; the limit is {MAX_TEXT_CHARS:,}"):
        prepare_text("a" * (MAX_TEXT_CHARS + 1))
    with pytest.raises(TextError, match="at least 100"):
        prepare_text("too short")
    with pytest.raises(TextError, match="single character"):
        prepare_text("x" * 300)
    t = prepare_text("line one of the text\r\n" * 10 + "\x00\x07end")
    assert "\r" not in t.train + t.heldout and "\x00" not in t.train + t.heldout


def test_split_keeps_a_held_out_tail_at_a_line_break() -> None:
    text = "".join(f"line number {i} of a text\n" for i in range(40))
    t = prepare_text(text)
    assert t.train + t.heldout == text
    assert t.train.endswith("\n") and 0.05 < len(t.heldout) / len(text) < 0.2


def test_builtin_texts() -> None:
    for key in BUILTINS:
        t = builtin_training_text(key)
        assert t.train and t.heldout and not set(t.heldout.split("\n")) - {""} <= set(t.train.split("\n"))
    stories = [builtin_text(f"stories{n}") for n in STORY_SIZES]
    assert stories[1].startswith(stories[0]) and stories[2].startswith(stories[1])  # nested
    assert builtin_training_text("stories30").heldout == builtin_training_text("stories3000").heldout
    with pytest.raises(TextError):
        builtin_training_text("nope")


def test_stories_are_separated_by_the_story_boundary_when_fine_tuning(tiny_base: LM) -> None:
    t = builtin_training_text("stories30")
    enc = encode_bpe(t, tiny_base)
    ids = enc.train_ids.tolist()
    assert ids[0] == tiny_base.eot and ids.count(tiny_base.eot) == len(t.documents) + 1
    assert tiny_base.tok.decode(ids[1 : ids.index(tiny_base.eot, 1)]) == t.documents[0]


def test_bad_settings_are_refused() -> None:
    data = data_for(builtin="poem")
    with pytest.raises(RunError, match="learning rate"):
        LiveRun(data, RunSettings(lr=-1.0))
    with pytest.raises(RunError, match="size"):
        LiveRun(data, RunSettings(size="huge"))
    with pytest.raises(RunError, match="story model"):
        LiveRun(data, RunSettings(mode="finetune"))


def test_memory_cap_is_checked_before_work() -> None:
    many = "".join(chr(0x4E00 + i) for i in range(2500)) * 2  # 2,500 different characters
    data = TrainingData(prepare_text(many))
    run = LiveRun(data, RunSettings(size="large"))
    assert run.batch < 16 and run.estimated_bytes() <= MAX_RUN_BYTES  # smaller batches to fit
    with pytest.raises(RunError, match="vocabulary"):
        LiveRun(data, RunSettings(size="large"), max_bytes=1_000_000)
    biggest = LiveRun(data_for("The quick brown fox. " * 238), RunSettings(size="large"))
    assert biggest.estimated_bytes() <= MAX_RUN_BYTES


def test_a_diverging_run_stops_with_a_message() -> None:
    run = LiveRun(data_for(builtin="poem"), RunSettings(size="small", optimizer="sgd", lr=10.0))
    run.train(steps=20)  # clipped gradients keep even this finite for a while
    with torch.no_grad():
        run.model.wte.weight.fill_(float("inf"))  # what a blown-up update leaves behind
    assert run.train(steps=10) == 0
    assert run.finished and "learning rate is too high" in (run.stop_reason or "")


def test_overfitting_moment_on_made_up_curves() -> None:
    steps = np.arange(0, 400, 10)
    train_steps = np.arange(400)
    train = 3.0 * np.exp(-train_steps / 100)  # keeps falling
    u_shape = 2.0 + ((steps - 150) / 150.0) ** 2
    found = overfitting_moment(steps, u_shape, train_steps, train)
    assert found is not None and 130 <= found.step <= 170
    falling = 2.0 + np.exp(-steps / 100.0)
    assert overfitting_moment(steps, falling, train_steps, train) is None
    rng = np.random.default_rng(0)
    flat_noisy = 2.0 + rng.normal(0, 0.005, len(steps))
    assert overfitting_moment(steps, flat_noisy, train_steps, train) is None
    # held-out rises but the training loss rises too: that is not overfitting (the run is just unstable)
    assert overfitting_moment(steps, u_shape, train_steps, train[::-1].copy()) is None


def test_small_text_overfits_and_is_marked() -> None:
    run = LiveRun(data_for(builtin="poem"), SMALL, max_steps=400)
    run.train(steps=400)
    found = run.overfitting()
    assert found is not None and found.latest_heldout > found.best_heldout
    c = run.curves()
    assert c.train_smooth[-1] < c.train_smooth[found.step]


def test_fine_tuning_reads_each_story_from_its_start(tiny_base: LM) -> None:
    """Our story model was trained on one story at a time from position 0; fine-tuning on our stories does the same
    (a window spanning two stories put it far out of its depth: the shipped model lost ~3 nats a token there)."""
    data = data_for(builtin="stories30")
    run = LiveRun(data, RunSettings(mode="finetune"), base=tiny_base)
    enc = run.enc
    assert len(enc.train_docs) == 30 and len(enc.heldout_docs) == len(data.text.heldout.splitlines())
    for a, b in enc.train_docs + enc.heldout_docs:
        ids = enc.train_ids if (a, b) in enc.train_docs else enc.heldout_ids
        assert ids[a] == tiny_base.eot and ids[b - 1] == tiny_base.eot and tiny_base.eot not in ids[a + 1 : b - 1]
    x, y = run._batch()
    assert (x[:, 0] == tiny_base.eot).all()  # every row starts a story
    assert run.block == max(b - a for a, b in enc.train_docs + enc.heldout_docs) - 1
    pasted = LiveRun(data_for(builtin="poem"), RunSettings(mode="finetune"), base=tiny_base)
    x, y = pasted._batch()
    assert (x[:, 0] == tiny_base.eot).all()  # a window of a pasted text starts with the marker too
    assert ((y[:, 0] == -100) | (pasted.enc.train_ids[0] == tiny_base.eot)).all()


@pytest.mark.parametrize("key", ["poem", "recipe", "stories30"])
def test_the_held_out_loss_scores_every_held_out_token_once(key: str, tiny_base: LM) -> None:
    for settings, base in ((SMALL, None), (RunSettings(size="large"), None), (RunSettings(mode="finetune"), tiny_base)):
        run = LiveRun(data_for(builtin=key), settings, base=base)
        ids = run.enc.heldout_ids
        if run.enc.heldout_docs:  # each story predicts all its tokens after its start marker
            assert run.heldout_scored == sum(b - a - 1 for a, b in run.enc.heldout_docs)
        else:
            assert run.heldout_scored == len(ids) - 1

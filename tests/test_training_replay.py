"""The story GPT's training replay: shipped checkpoints and curves load verified, and they tell the real story."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from explainers import lm as lmx
from explainers.store import ModelLoadError, load_model, model_dir
from explainers.training_replay import CHECKPOINT_STEPS, CHECKPOINTS_FILE, load_replay, odds_at, story_at
from training import gpt as trainer


@pytest.fixture(scope="module")
def replay():
    torch.set_num_threads(1)
    return load_replay(lmx.load_lm("gpt"))


def test_checkpoints_and_curves_ship_with_the_model(replay) -> None:
    config = json.loads((model_dir("gpt") / "config.json").read_text())
    assert CHECKPOINTS_FILE in config["files"]  # checksummed by the store like tokenizer.json
    assert replay.steps == (*CHECKPOINT_STEPS, config["training"]["steps"])
    c = replay.curves
    assert len(c.train_loss) == config["training"]["steps"]
    assert c.heldout_loss[0] == pytest.approx(math.log(replay.final.vocab_size), abs=0.1)  # knows nothing
    assert c.floor < c.heldout_loss[-1] < c.floor * 1.05  # ends close to the grammar's own randomness
    assert c.heldout_loss[-1] < c.heldout_loss[len(c.heldout_loss) // 2] < c.heldout_loss[0]
    assert (model_dir("gpt") / CHECKPOINTS_FILE).stat().st_size < 5_000_000


def test_the_final_step_is_the_shipped_model(replay) -> None:
    assert replay.lm_at(replay.steps[-1]) is replay.final
    with pytest.raises(KeyError):
        replay.lm_at(123)


def test_the_model_learns_across_the_replay(replay) -> None:
    first, last = story_at(replay, 0, seed=1), story_at(replay, replay.steps[-1], seed=1)
    assert first.stage == "noise" and last.stage in ("sentences", "stories")
    assert last.real_word_share == 1.0 and last.grammatical_words > first.grammatical_words
    kls = [odds_at(replay, s, "The cat sat on the").kl for s in (0, 200, replay.steps[-1])]
    assert kls[0] > 1.0 > kls[1] and kls[2] < 0.05  # converging to the true odds
    o = odds_at(replay, replay.steps[-1], "The cat sat on the")
    assert o.labels[:4] == ("␣mat", "␣rug", "␣bed", "␣chair") and o.true_probs is not None
    assert np.allclose(o.true_probs[:4], [0.5, 0.25, 0.15, 0.1])
    assert odds_at(replay, 0, "Hello there, robot").true_probs is None  # not a story start: no truth to show


def test_damaged_or_missing_checkpoints_are_a_friendly_error(tmp_path: Path, replay) -> None:
    root = tmp_path / "pretrained"
    shutil.copytree(model_dir("gpt"), root / "gpt")
    path = root / "gpt" / CHECKPOINTS_FILE
    blob = bytearray(path.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    path.write_bytes(bytes(blob))
    with pytest.raises(ModelLoadError, match="checksum"):
        load_replay(replay.final, root=root)
    with pytest.raises(ModelLoadError, match="checksum"):
        load_model("gpt", root=root)  # the store checks it too
    path.unlink()
    with pytest.raises(ModelLoadError, match="missing"):
        load_replay(replay.final, root=root)


def test_recording_the_replay_does_not_change_training() -> None:
    """Measuring held-out loss and copying weights use no randomness: the weights come out bit-identical."""
    s = dict(trainer.SETTINGS, stories=300, tokenizer_vocab=300, n_layer=1, n_embd=16, steps=55, warmup=5)
    with trainer.single_thread():
        torch.manual_seed(0)
        recorded = trainer._fit(0, s, record=True)
        torch.manual_seed(0)
        plain = trainer._fit(0, s, record=False)
    a, b = recorded.model.state_dict(), plain.model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    rec = recorded.recording
    assert rec is not None and sorted(rec.checkpoints) == [0, 50]
    assert rec.heldout_steps == [0, 10, 20, 30, 40, 50, 55] and len(rec.train_loss) == 55
    assert rec.heldout_loss[-1] < rec.heldout_loss[0]

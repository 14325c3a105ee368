"""The training entry point: deterministic from a seed, shows a loss bar, writes metrics to config and card."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import training.__main__ as cli
from explainers.store import load_model
from training.runner import Trainer, TrainResult, progress, run_trainer


def train_tiny(seed: int) -> TrainResult:
    """Fit y = 3x - 1 with a 1-in, 1-out linear layer for a few steps."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(64, 1, generator=generator)
    y = 3 * x - 1
    model = torch.nn.Linear(1, 1)
    with torch.no_grad():
        model.weight.copy_(torch.randn(1, 1, generator=generator))
        model.bias.zero_()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    bar = progress(range(30), desc="tiny")
    for _ in bar:
        loss = torch.nn.functional.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        bar.set_postfix(loss=f"{loss.item():.4f}")
    return TrainResult(
        tensors=dict(model.state_dict()),
        architecture={"kind": "linear", "in": 1, "out": 1},
        training={"steps": 30, "lr": 0.1},
        data={"description": "64 points on the line y = 3x - 1", "source": "generated"},
        metrics={"final_mse": float(loss.item())},
        metric_notes={"final_mse": "mean squared error on the training points"},
    )


TINY = Trainer(name="tiny", title="Tiny line fitter", description="Fits a line.", train=train_tiny)


def test_training_is_deterministic_and_writes_metrics(tmp_path: Path, capsys) -> None:
    run_trainer(TINY, seed=7, root=tmp_path / "a")
    run_trainer(TINY, seed=7, root=tmp_path / "b")
    run_trainer(TINY, seed=8, root=tmp_path / "c")
    a, b, c = (load_model("tiny", root=tmp_path / d) for d in "abc")
    assert a.config["weights"]["sha256"] == b.config["weights"]["sha256"]
    assert a.config["weights"]["sha256"] != c.config["weights"]["sha256"]
    config = json.loads((tmp_path / "a" / "tiny" / "config.json").read_text())
    assert config["metrics"]["final_mse"] < 0.1
    assert config["training"]["seed"] == 7
    card = (tmp_path / "a" / "tiny" / "README.md").read_text()
    assert "final_mse" in card and "python -m training tiny" in card
    assert "loss=" in capsys.readouterr().err  # the progress bar shows the current loss


def test_cli_trains_a_registered_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLASSBOX_PRETRAINED", str(tmp_path))
    monkeypatch.setitem(cli.TRAINERS, "tiny", "tests.test_training_runner")
    monkeypatch.setattr(cli, "get_trainer", lambda name: TINY)
    assert cli.main(["tiny", "--seed", "3"]) == 0
    assert load_model("tiny", root=tmp_path).config["training"]["seed"] == 3
    assert cli.main(["no-such-model"]) == 2


TRAINER = TINY


def test_restoring_in_8_bits_refuses_models_already_stored_so_and_models_it_cannot_restore() -> None:
    from training.restore_int8 import restore

    for name in ("gpt", "bias_skewed", "fact_gaps"):  # shipped in 8 bits: a second restore would change nothing
        with pytest.raises(SystemExit, match="already stored in 8 bits"):
            restore(name)
    with pytest.raises(SystemExit, match="only gpt and"):
        restore("vae")


def test_a_fine_tune_keeps_the_shipped_weights_only_inside_keeping_shipped() -> None:
    from training.common import KEEP_SHIPPED, keeping_shipped

    assert KEEP_SHIPPED.get() is None
    with keeping_shipped("bias_skewed"):
        assert KEEP_SHIPPED.get() == "bias_skewed"
    assert KEEP_SHIPPED.get() is None

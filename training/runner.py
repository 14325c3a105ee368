"""Shared mechanism for training any model: seeding, progress bar, saving, metrics, model card.

A model track provides a `Trainer`: a name, a plain-words description and a `train(seed)`
function that returns a `TrainResult`. The runner seeds everything, times the run and
writes weights, config.json (with measured metrics) and README.md via explainers.store.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch
from tqdm import tqdm

from explainers.storage import dequantize, int8_storage, stored_parameters
from explainers.store import rebuild_command, save_model

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class TrainResult:
    tensors: dict[str, torch.Tensor]
    architecture: dict[str, Any]
    training: dict[str, Any]
    data: dict[str, Any]
    metrics: dict[str, Any]
    # Plain-words descriptions of each metric, used in the model card table.
    metric_notes: dict[str, str] = field(default_factory=dict)
    extra_files: dict[str, bytes] = field(default_factory=dict)
    card_notes: str = ""


@dataclass(frozen=True)
class Trainer:
    name: str
    title: str
    description: str
    train: Callable[[int], TrainResult]
    default_seed: int = 0


def progress(iterable: Iterable[T] | None = None, total: int | None = None, desc: str = "") -> Iterator[T] | tqdm:
    """A tqdm bar; call `.set_postfix(loss=...)` on it to show the current loss."""
    return tqdm(iterable, total=total, desc=desc, dynamic_ncols=True, mininterval=0.5)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@contextmanager
def single_thread() -> Iterator[None]:
    """Train on one torch thread, then restore the previous setting.

    The result is then bit-identical on any machine (a different thread count changes the order of floating-point
    sums, hence the weights), and the small models train faster: measured on the shared 2-core machine under load,
    one judge epoch took ~0.2 s on one thread and ~13 s on two, because the second worker thread keeps waiting for
    a busy core. These networks are too small to gain from two threads even on an idle machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def on_one_thread(train: Callable[[R, int], TrainResult], recipe: R) -> Callable[[int], TrainResult]:
    """A Trainer's `train(seed)` for one recipe of a model track, run on one torch thread."""

    def run(seed: int) -> TrainResult:
        with single_thread():
            return train(recipe, seed)

    return run


def render_card(trainer: Trainer, result: TrainResult, config: dict[str, Any], parameters: int) -> str:
    lines = [
        f"# {trainer.title}",
        "",
        trainer.description.strip(),
        "",
        "## At a glance",
        "",
        f"- Parameters: {parameters:,}",
        f"- Training data: {result.data.get('description', result.data.get('source', 'see config.json'))}",
        f"- Trained on CPU in {_duration(config['training'])} with seed {config['training']['seed']}",
        f"- Rebuild: `{rebuild_command(trainer.name)}`",
        "",
        "## Measured quality",
        "",
        "| metric | value | meaning |",
        "|---|---|---|",
    ]
    for key, value in result.metrics.items():
        lines.append(f"| `{key}` | {_shown(value)} | {result.metric_notes.get(key, '')} |")
    lines += ["", "## Architecture", "", "```json", _json(result.architecture), "```"]
    if result.card_notes.strip():
        lines += ["", "## Notes", "", result.card_notes.strip()]
    return "\n".join(lines) + "\n"


def _shown(value: Any) -> str:
    """A metric as table text: numbers to 4 significant digits, per-kind dicts and lists spelled out."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_shown(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_shown(v) for v in value) or "none"
    return str(value)


def _duration(training: dict[str, Any]) -> str:
    wall = f"{training['wall_seconds']:.0f} s"
    if "cpu_seconds" not in training:
        return wall
    return f"{wall} ({training['cpu_seconds']:.0f} s of CPU time: the machine was shared with other work)"


def _json(obj: Any) -> str:
    import json

    return json.dumps(obj, indent=2)


def run_trainer(trainer: Trainer, seed: int | None = None, root: Path | None = None) -> Path:
    """Train from scratch, then save weights, config with metrics, and model card."""
    seed = trainer.default_seed if seed is None else seed
    seed_everything(seed)
    started, cpu_started = time.perf_counter(), time.process_time()
    result = trainer.train(seed)
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    run = {
        "seed": seed,
        "wall_seconds": round(wall, 1),
        # CPU time of this process: on a shared machine the wall time also counts others' work.
        "cpu_seconds": round(cpu, 1),
        "torch_threads": torch.get_num_threads(),
        "torch_version": torch.__version__,
    }
    return save_result(trainer, result, run, root)


def save_result(trainer: Trainer, result: TrainResult, run: dict[str, Any], root: Path | None = None) -> Path:
    """Save a trainer's result: weights, config with metrics (`run`: the seed, times and torch of the run that
    made it) and model card."""
    config = {
        "title": trainer.title,
        "architecture": result.architecture,
        "training": {**result.training, **run},
        "data": result.data,
        "metrics": result.metrics,
        "metric_notes": result.metric_notes,
    }
    parameters = stored_parameters(result.tensors)
    card = render_card(trainer, result, config, parameters)
    return save_model(trainer.name, result.tensors, config, card, root=root, extra_files=result.extra_files)


def float16_storage(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Float32 tensors as float16 (half the bytes on disk); other tensors unchanged. `load_state_dict` casts them
    back into a float32 network, so a trainer evaluates the network *after* loading these (round trip). Only the
    clothes diffusion models still ship this way; every other trainer uses ship_int8."""
    return {k: v.detach().half() if v.dtype == torch.float32 else v.detach() for k, v in tensors.items()}


def ship_int8(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The module's weights as they ship (8-bit matrices, explainers/storage.py), loaded back into it: everything a
    trainer measures afterwards (the round trip) is then exactly the shipped model's."""
    shipped = int8_storage(module.state_dict())
    module.load_state_dict(dequantize(shipped))
    return shipped

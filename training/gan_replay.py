"""What the GAN trainers (digits and clothes) keep of a training run for the page's replay.

Both train in chunks up to each snapshot step, draw the fixed fakes there, and store the snapshots (uint8 pictures),
the noise (and kinds) they were drawn from and the loss curves averaged into buckets, beside the weights.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import torch

from explainers.gan import downsample
from training.runner import progress

T = TypeVar("T")


def train_with_snapshots(run: Any, schedule: list[int], draw: Callable[[], T], desc: str, chunk: int) -> list[T]:
    """Train `run` (a gan.py run) up to every step of `schedule`, `chunk` rounds at a time with a progress bar of
    the recent losses, and call `draw()` at each of those steps. Returns the draws, one per schedule step."""
    frames: list[T] = []
    bar = progress(total=schedule[-1], desc=desc)
    for target in schedule:
        while run.step < target:
            done = run.train(min(chunk, target - run.step))
            if done == 0:  # the run's own cap came first
                break
            bar.update(done)
            recent = slice(max(0, run.step - chunk), run.step)
            history = run.history
            bar.set_postfix(
                loss_d=f"{history.d_loss[recent].mean():.3f}", loss_g=f"{history.g_loss[recent].mean():.3f}"
            )
        frames.append(draw())
    bar.close()
    return frames


def replay_tensors(
    run: Any, schedule: list[int], images: np.ndarray, curve_points: int, noise: torch.Tensor | None = None
) -> dict[str, torch.Tensor]:
    """The replay's tensors: snapshot steps, pictures (K, n, S, S) uint8, the noise they were drawn from (default:
    the run's fixed noise), the kinds they asked for (conditional runs) and the loss curves."""
    curve_steps, curve_d = downsample(run.history.d_loss[: run.step], curve_points)
    _, curve_g = downsample(run.history.g_loss[: run.step], curve_points)
    tensors = {
        "snapshots.step": torch.tensor(schedule, dtype=torch.int64),
        "snapshots.images": torch.from_numpy(images),  # (K, n, S, S) uint8
        "snapshots.noise": (run.display_z if noise is None else noise).clone(),  # (n, z_dim)
        "history.step": torch.from_numpy(curve_steps),
        "history.d_loss": torch.from_numpy(curve_d),
        "history.g_loss": torch.from_numpy(curve_g),
    }
    if run.display_labels is not None:
        tensors["snapshots.labels"] = run.display_labels.clone()  # (n,) the kind each fixed fake asks for
    return tensors


def adam_record(run: Any, steps: int, schedule: list[int], betas: tuple[float, float]) -> dict[str, Any]:
    """The training section of a GAN's config: how both players were trained."""
    return {
        "steps": steps,
        "batch_size": run.batch_size,
        "optimizer": "Adam",
        "lr_g": run.lr_g,
        "lr_d": run.lr_d,
        "betas": list(betas),
        "generator_loss": run.loss,
        "snapshots": schedule,
    }

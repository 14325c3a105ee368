"""Streamlit side of the diffusion page: the cached model, cached trajectories, and their replay figure.

The model is loaded once per server (`st.cache_resource`) and never mutated. A trajectory is deterministic for a
given digit, guidance, seed, sampler and step count, so each is computed once (`st.cache_data`), inside one of the
server's heavy-work slots. The model works in [-1, 1]; everything handed to the page is in [0, 1] (one pixel
convention, see ui/image_data.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from explainers.diffusion import (
    DiffusionModel,
    Trajectory,
    closeness_to_final,
    forward_process,
    load_diffusion,
    sample,
    schedule_curves,
)
from explainers.digits import to_signed
from figures.diffusion import trajectory_animation
from ui.compute import cache_entries, heavy_slot, heavy_turn, keep_last_good  # also sets one torch thread per request
from ui.image_data import heldout_examples, judge_images, unit_pixels

# The diffusion page's starting settings; the page and the warm-up both read them from here.
DIFFUSION_DEFAULT_DIGIT = 3
DIFFUSION_DEFAULT_SEED = 0
DIFFUSION_DEFAULT_DDIM_STEPS = 20


@st.cache_resource(show_spinner="Loading the diffusion model…")
def get_diffusion() -> DiffusionModel:
    return load_diffusion()


@dataclass(frozen=True)
class TimedTrajectory:
    """A run, how long it took and what the judge read in it. The properties give its pictures in [0, 1]."""

    trajectory: Trajectory
    seconds: float
    judged: int
    confidence: float

    @property
    def samples(self) -> np.ndarray:
        """(N, H, W) the finished pictures."""
        return unit_pixels(self.trajectory.samples)

    @property
    def noisy(self) -> np.ndarray:
        """(S, H, W) the first picture's x_t at each step (recorded runs only)."""
        return unit_pixels(self.trajectory.x_t[:, 0])

    @property
    def clean_guesses(self) -> np.ndarray:
        """(S, H, W) the clean picture each step's noise guess implies."""
        return unit_pixels(self.trajectory.x0_pred[:, 0])

    @property
    def noise_guesses(self) -> np.ndarray:
        """(S, H, W) the noise the model sees at each step (signed)."""
        return self.trajectory.eps[:, 0]


# Cache caps (ui.compute.cache_entries): one recorded run keeps 3 pictures per step (x_t, noise, clean guess) as
# float32, 0.16 MB for an 8x8 digit over 200 steps -> 64 runs in the 10 MB budget. Larger pictures or more steps:
# pass their real size, so the cap stays in bytes. An animation figure of a run holds about 0.7 MB (measured).
RUN_BYTES = 3 * 200 * 8 * 8 * 4
ANIMATION_BYTES = 700_000


@keep_last_good
@st.cache_data(max_entries=cache_entries(RUN_BYTES), show_spinner=False)
def diffusion_trajectory(digit: int, guidance: float, seed: int, sampler: str, steps: int) -> TimedTrajectory:
    """One digit with every intermediate recorded (cached per setting: the measured time is the first run's)."""
    model = get_diffusion()
    with heavy_slot():  # only on a cache miss: a cached view costs no wait
        started = time.perf_counter()
        traj = sample(model, [digit], seed=seed, guidance=guidance, sampler=sampler, steps=steps, record=True)
        seconds = time.perf_counter() - started
    report = judge_images(unit_pixels(traj.samples))
    return TimedTrajectory(traj, seconds, int(report.predicted[0]), float(report.confidence[0]))


@keep_last_good
@st.cache_data(max_entries=32, show_spinner=False)
def diffusion_batch(digit: int, guidance: float, seed: int, sampler: str, steps: int, n: int = 16) -> TimedTrajectory:
    """n samples of one digit (no intermediates), timed; judge's accuracy stored as `judged` (count correct)."""
    model = get_diffusion()
    with heavy_slot():
        started = time.perf_counter()
        traj = sample(model, [digit] * n, seed=seed, guidance=guidance, sampler=sampler, steps=steps)
        seconds = time.perf_counter() - started
    report = judge_images(unit_pixels(traj.samples))
    return TimedTrajectory(traj, seconds, int((report.predicted == digit).sum()), float(report.confidence.mean()))


@st.cache_data(max_entries=64, show_spinner=False)
def diffusion_forward(example: int, seed: int, timesteps: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, int]:
    """Noise held-out example #example to each timestep; returns the pictures (K, H, W) in [0, 1], the signal
    share at each timestep and the example's label."""
    images, labels = heldout_examples()
    fp = forward_process(get_diffusion(), to_signed(images[example]), list(timesteps), seed)
    return unit_pixels(fp.images), fp.signal, int(labels[example])


@keep_last_good
@st.cache_data(max_entries=64, show_spinner=False)
def judge_along_trajectory(
    digit: int, guidance: float, seed: int, sampler: str, steps: int
) -> tuple[np.ndarray, np.ndarray]:
    """(S,) twice: how sure the judge is, at each step, that the guessed clean image shows the requested digit;
    and how closely that guess already matches the final picture (explainers.diffusion.closeness_to_final)."""
    run = diffusion_trajectory(digit, guidance, seed, sampler, steps)
    return judge_images(run.clean_guesses).probabilities[:, digit], closeness_to_final(run.trajectory)


@keep_last_good
@st.cache_resource(max_entries=cache_entries(ANIMATION_BYTES, budget_bytes=24 * 2**20), show_spinner=False)
def trajectory_animation_figure(digit: int, guidance: float, seed: int, sampler: str, steps: int) -> go.Figure:
    """The replay of one trajectory, built once per setting and shared by every session (50 frames took
    about 50 ms to build, on every rerun of the page). st.plotly_chart only reads (copies) it."""
    run = diffusion_trajectory(digit, guidance, seed, sampler, steps)
    title = "Press ▶ Play to replay the run"
    with heavy_turn():  # 150 small PNGs for every fresh run (up to 0.8 s on a loaded server): heavy work too
        return trajectory_animation(run.noisy, run.noise_guesses, run.clean_guesses, run.trajectory.timesteps, title)


def default_diffusion_views() -> None:
    """Compute the views a visitor's first visit to the diffusion page needs (for the warm-up)."""
    model = get_diffusion()
    guidance, T = model.default_guidance, model.schedule.num_train_timesteps
    digit, seed = DIFFUSION_DEFAULT_DIGIT, DIFFUSION_DEFAULT_SEED
    judge_along_trajectory(digit, guidance, seed, "ddpm", T)  # the page starts on DDPM
    trajectory_animation_figure(digit, guidance, seed, "ddpm", T)
    diffusion_batch(digit, guidance, seed, "ddpm", T)
    diffusion_batch(digit, guidance, seed, "ddim", DIFFUSION_DEFAULT_DDIM_STEPS)


def noise_schedule() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Timesteps, signal share and noise share of the shipped model's schedule (explainers.diffusion)."""
    return schedule_curves(get_diffusion())

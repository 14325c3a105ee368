"""Streamlit side of the diffusion page: the cached models, cached runs, the step player's data, and the words
that say what a run did. Everything takes the dataset's key ("fashion" or "digits").

The models are loaded once per server (`st.cache_resource`) and never mutated. A run is deterministic for a given
dataset, kind, guidance, seed, sampler and step count, so each is computed once (`st.cache_data`), inside one of
the server's heavy-work slots, and the step player only reads it. The model works in [-1, 1];
everything handed to the page is in [0, 1] (one pixel convention, see ui/image_data.py).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import streamlit as st

from explainers.datasets import get_dataset
from explainers.diffusion import (
    DiffusionModel,
    closeness_to_final,
    forward_process,
    load_diffusion,
    sample,
    schedule_curves,
)
from explainers.digits import to_signed
from figures.animation import trajectory_gif
from figures.diffusion import step_player_data
from figures.style import percent
from ui.compute import cache_entries, heavy_slot, keep_last_good  # also sets one torch thread per request
from ui.image_data import first_heldout_index, heldout_examples, judge_images, unit_pixels, with_article

# The diffusion page's starting settings; the page and the warm-up both read them from here.
DEFAULT_KINDS = {"fashion": 7, "digits": 3}  # a sneaker, a 3
DIFFUSION_DEFAULT_SEED = 0
DIFFUSION_DEFAULT_SAMPLER = "DDIM"
DIFFUSION_DEFAULT_DDIM_STEPS = 20
# "Many at once": 8 clothes pictures, 16 digits. A 28x28 picture costs 20 network passes of a U-Net (with guidance,
# twice), about 0.09 s of one core: with 16 a fresh seed took 1.7-2.5 s in all, too slow for a public 2-core
# server (benchmarks/bench_fairness.py: a visitor's fresh picture within 2 s); with 8, about 1 s.
GRID_PICTURES = {"fashion": 8, "digits": 16}
DDPM_PICTURES = 4  # full DDPM runs on request: 200 steps for each picture (28x28: about 1 s of CPU per picture)


@st.cache_resource(show_spinner="Loading the diffusion model…")
def get_diffusion(dataset: str) -> DiffusionModel:
    return load_diffusion(get_dataset(dataset).model("diffusion"))


def _ink(images: np.ndarray) -> np.ndarray:
    """Model pixels in [-1, 1] -> uint8 ink 0..255, for compact storage of a run's pictures."""
    return np.round(np.clip(unit_pixels(images), 0, 1) * 255).astype(np.uint8)


@dataclass(frozen=True)
class RecordedRun:
    """One picture made step by step, and what the judge read along the way. Pictures are stored compactly
    (uint8 ink, float16 noise); the properties give them in [0, 1] (the noise signed)."""

    timesteps: np.ndarray  # (S,) training timestep of each step, high to low
    x_t_ink: np.ndarray  # (S, H, W) uint8: the noisy picture at each step, before denoising
    eps_half: np.ndarray  # (S, H, W) float16: the noise the model sees in it
    x0_ink: np.ndarray  # (S, H, W) uint8: the clean picture that guess implies
    final: np.ndarray  # (H, W) float32 in [0, 1]: the finished picture
    seconds: float  # the sampling time, measured when the run was first computed
    read: np.ndarray  # (S,) int: the kind the judge reads in each step's clean guess
    read_final_kind: np.ndarray  # (S,) how sure the judge is that each guess shows the final picture's kind
    read_prompt: np.ndarray  # (S,) how sure the judge is that each guess shows the kind asked for
    closeness: np.ndarray  # (S,) how closely each guess already matches the final picture (1 = identical)
    final_kind: int  # what the judge reads in the finished picture
    final_sure: float

    @property
    def noisy(self) -> np.ndarray:
        return self.x_t_ink.astype(np.float32) / 255

    @property
    def noise_guesses(self) -> np.ndarray:
        return self.eps_half.astype(np.float32)

    @property
    def clean_guesses(self) -> np.ndarray:
        return self.x0_ink.astype(np.float32) / 255

    @property
    def settled_at(self) -> int | None:
        """The first step from which every clean guess reads as the final picture's kind (None: not even the last)."""
        same = self.read == self.final_kind
        if not same[-1]:
            return None
        changed = np.flatnonzero(~same)
        return int(changed[-1] + 1) if len(changed) else 0


@dataclass(frozen=True)
class Batch:
    """Pictures made at once (no intermediates), the sampling time and how many the judge reads as the prompt."""

    samples: np.ndarray  # (N, H, W) in [0, 1]
    seconds: float
    judged: int


# Cache caps (ui.compute.cache_entries): a recorded run keeps 4 bytes per pixel per step (x_t and the clean guess as
# uint8, the noise as float16): 0.63 MB for a 28x28 picture over the 200 DDPM steps.
RUN_BYTES = 200 * 28 * 28 * 4


@keep_last_good
@st.cache_data(max_entries=cache_entries(RUN_BYTES), show_spinner=False)
def recorded_run(dataset: str, kind: int, guidance: float, seed: int, sampler: str, steps: int) -> RecordedRun:
    """One picture with every step recorded and read by the judge (cached per setting: the time is the first run's)."""
    model = get_diffusion(dataset)
    with heavy_slot():  # only on a cache miss: a cached view costs no wait
        started = time.perf_counter()
        traj = sample(model, [kind], seed=seed, guidance=guidance, sampler=sampler, steps=steps, record=True)
        seconds = time.perf_counter() - started
        final = unit_pixels(traj.samples[0])
        guesses = judge_images(unit_pixels(traj.x0_pred[:, 0]), dataset)  # (S,) readings of the clean guesses
        end = judge_images(final[None], dataset)
    final_kind = int(end.predicted[0])
    return RecordedRun(
        timesteps=np.asarray(traj.timesteps),
        x_t_ink=_ink(traj.x_t[:, 0]),
        eps_half=traj.eps[:, 0].astype(np.float16),
        x0_ink=_ink(traj.x0_pred[:, 0]),
        final=final.astype(np.float32),
        seconds=seconds,
        read=guesses.predicted,
        read_final_kind=guesses.probabilities[:, final_kind],
        read_prompt=guesses.probabilities[:, kind],
        closeness=closeness_to_final(traj),
        final_kind=final_kind,
        final_sure=float(end.confidence[0]),
    )


@keep_last_good
@st.cache_data(max_entries=32, show_spinner=False)
def diffusion_batch(dataset: str, kind: int, guidance: float, seed: int, sampler: str, steps: int, n: int) -> Batch:
    """n pictures of one kind (no intermediates), timed; `judged` counts those the judge reads as that kind. The
    first pictures of a larger batch start from the same noise (the seed draws every picture's start in order)."""
    model = get_diffusion(dataset)
    with heavy_slot():
        started = time.perf_counter()
        traj = sample(model, [kind] * n, seed=seed, guidance=guidance, sampler=sampler, steps=steps)
        seconds = time.perf_counter() - started
        samples = unit_pixels(traj.samples)
        report = judge_images(samples, dataset)
    return Batch(samples, seconds, int((report.predicted == kind).sum()))


@st.cache_data(max_entries=64, show_spinner=False)
def diffusion_forward(
    dataset: str, kind: int, seed: int, timesteps: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray, int]:
    """Noise the first real held-out picture of `kind` to each timestep; returns the pictures (K, H, W) in [0, 1],
    the signal share at each timestep and the picture's label."""
    images, labels = heldout_examples(dataset)
    example = first_heldout_index(kind, dataset)
    fp = forward_process(get_diffusion(dataset), to_signed(images[example]), list(timesteps), seed)
    return unit_pixels(fp.images), fp.signal, int(labels[example])


def default_diffusion_views() -> None:
    """Compute the views a visitor's first visit to the diffusion page needs (for the warm-up): clothes first."""
    for dataset in ("fashion", "digits"):
        model = get_diffusion(dataset)
        guidance, kind, seed = model.default_guidance, DEFAULT_KINDS[dataset], DIFFUSION_DEFAULT_SEED
        steps = DIFFUSION_DEFAULT_DDIM_STEPS
        recorded_run(dataset, kind, guidance, seed, "ddim", steps)  # the page starts on DDIM
        diffusion_batch(dataset, kind, guidance, seed, "ddim", steps, GRID_PICTURES[dataset])


# ------------------------------------------------------------------------------- what a run did, in words


def step_player_view(run: RecordedRun, prompt: int, guidance: float, names: Sequence[str]) -> dict:
    """The step player's data for a stored run (figures.diffusion.step_player_data): it opens half way through.
    The run is named by its own pictures, not by the settings asked for: when the server was too busy, the page
    shows the previous run (ui.compute.keep_last_good), and the retry's new run must reset the player."""
    run_id = hashlib.blake2b(run.x_t_ink.tobytes() + run.x0_ink.tobytes(), digest_size=8).hexdigest()
    lines = [(f"judge reads {names[run.final_kind]} in the guess", run.read_final_kind)]
    if run.final_kind != prompt and guidance != 0:
        lines.append((f"judge reads {names[prompt]} (the prompt)", run.read_prompt))
    return step_player_data(
        run.noisy,
        run.noise_guesses,
        run.clean_guesses,
        run.timesteps,
        lines,
        reverse_headline(run, prompt, guidance, names).split("<br>"),
        closeness=run.closeness,
        start=len(run.timesteps) // 2 - 1,
        run_id=run_id,
    )


def run_gif(run: RecordedRun) -> bytes:
    """The run as an animated GIF, for "Save as GIF" (built only when the visitor clicks)."""
    return trajectory_gif(run.noisy, run.noise_guesses, run.clean_guesses, run.timesteps)


def gif_name(kind_name: str, seed: int, sampler: str, steps: int) -> str:
    """The GIF's file name: "glassbox-diffusion-ankle-boot-seed-3-ddim-20"."""
    words = re.sub(r"[^a-z0-9]+", "-", kind_name.lower()).strip("-")
    return f"glassbox-diffusion-{words}-seed-{seed}-{sampler}-{steps}"


def run_explanation(run: RecordedRun, names: Sequence[str]) -> str:
    """What the step player shows, and what the judge read in this run's final picture."""
    return (
        "**The three pictures:** the noisy picture at this step; the noise the model thinks is in it (grey = none, "
        "light/dark = positive/negative); the clean picture that guess implies. At the very first step the "
        "picture is almost pure static, and undoing that much noise blows the guess up to stark black and white; "
        "from the next step on it is a blurry average that sharpens. **The curve:** what the judge reads in each "
        "step's clean guess; the upright line marks this step (tap or drag along the curve to move it).\n\n"
        f"The judge reads the final picture as **{with_article(names[run.final_kind])}** "
        f"({percent(run.final_sure)} sure). Sampling took **{run.seconds:.2f} s** on this server, once: the step "
        "slider and ▶ Play above only read the stored run, in your browser."
    )


def reverse_headline(run: RecordedRun, prompt: int, guidance: float, names: Sequence[str]) -> str:
    """The judge chart's title: what the judge reads in the guesses and in the final picture, never claiming the
    prompt's kind unless the judge reads it in the final picture. At guidance 0 the prompt is ignored, and the
    title says so."""
    final = with_article(names[run.final_kind])
    settled = run.settled_at
    when = f"from t = {int(run.timesteps[settled])} on" if settled is not None else "only at the very end"
    if guidance == 0:
        return f"Guidance 0 ignores the prompt:<br>the guess becomes {final}<br>{when}"
    if run.final_kind != prompt:
        return f"Asked for {with_article(names[prompt])},<br>the judge reads the result<br>as {final}"
    return f"The guess reads as {final}<br>{when}"


def noise_schedule(dataset: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Timesteps, signal share and noise share of the shipped model's schedule (explainers.diffusion)."""
    return schedule_curves(get_diffusion(dataset))

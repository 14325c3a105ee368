"""Streamlit-side helpers for the VAE and diffusion pages: cached loaders and cached computations.

Models are loaded once per server (`st.cache_resource`) and never mutated. Deterministic results
(decoded grids, trajectories for a given digit/seed/guidance) are cached per input with `st.cache_data`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from explainers.diffusion import DiffusionModel, Trajectory, forward_process, load_diffusion, sample
from explainers.digits import load_digits_tensors, split, to_signed
from explainers.judge import Judge, judge_report, load_judge
from explainers.vae import VAE, Encoding, LatentGrid, decode_points, encode_images, latent_grid, load_vae
from figures.images import digit_glyphs_picture, encoded_scatter, scatter_half_width, trajectory_animation
from ui.compute import heavy_slot  # also sets one torch thread per request, before any model runs
from ui.frame import show_chart


@st.cache_resource(show_spinner="Loading the judge…")
def get_judge() -> Judge:
    return load_judge()


@st.cache_resource(show_spinner="Loading the VAE…")
def get_vae() -> VAE:
    return load_vae()


@st.cache_resource(show_spinner="Loading the diffusion model…")
def get_diffusion() -> DiffusionModel:
    return load_diffusion()


@st.cache_resource
def all_digits() -> tuple[torch.Tensor, torch.Tensor]:
    """All 1,797 real digits (N, 1, 8, 8) in [0, 1] and their labels."""
    return load_digits_tensors()


def heldout_examples() -> tuple[torch.Tensor, torch.Tensor]:
    data = split()
    return data.heldout_images, data.heldout_labels


# ----------------------------------------------------------------------------------------------- VAE


@st.cache_data(max_entries=4, show_spinner=False)
def vae_grid() -> LatentGrid:
    return latent_grid(get_vae())


@st.cache_data(max_entries=2, show_spinner=False)
def vae_encoded_dataset() -> Encoding:
    images, _ = all_digits()
    return encode_images(get_vae(), images)


@st.cache_data(max_entries=2, show_spinner=False)
def vae_grid_report() -> tuple[np.ndarray, np.ndarray]:
    grid = vae_grid()
    report = judge_report(get_judge(), torch.from_numpy(grid.images).reshape(-1, 1, 8, 8))
    return report.predicted, report.confidence


# ----------------------------------------------------------------------------------------- diffusion


@dataclass(frozen=True)
class TimedTrajectory:
    trajectory: Trajectory
    seconds: float
    judged: int
    confidence: float


@st.cache_data(max_entries=64, show_spinner=False)
def diffusion_trajectory(digit: int, guidance: float, seed: int, sampler: str, steps: int) -> TimedTrajectory:
    """One digit with every intermediate recorded (cached per setting: the measured time is the first run's)."""
    model = get_diffusion()
    with heavy_slot():  # only on a cache miss: a cached view costs no wait
        started = time.perf_counter()
        traj = sample(model, [digit], seed=seed, guidance=guidance, sampler=sampler, steps=steps, record=True)
        seconds = time.perf_counter() - started
    report = judge_report(get_judge(), ((torch.from_numpy(traj.samples) + 1) / 2).clamp(0, 1)[:, None])
    return TimedTrajectory(traj, seconds, int(report.predicted[0]), float(report.confidence[0]))


@st.cache_data(max_entries=32, show_spinner=False)
def diffusion_batch(digit: int, guidance: float, seed: int, sampler: str, steps: int, n: int = 16) -> TimedTrajectory:
    """n samples of one digit (no intermediates), timed; judge's accuracy stored as `judged` (count correct)."""
    model = get_diffusion()
    with heavy_slot():
        started = time.perf_counter()
        traj = sample(model, [digit] * n, seed=seed, guidance=guidance, sampler=sampler, steps=steps)
        seconds = time.perf_counter() - started
    report = judge_report(get_judge(), ((torch.from_numpy(traj.samples) + 1) / 2).clamp(0, 1)[:, None])
    return TimedTrajectory(traj, seconds, int((report.predicted == digit).sum()), float(report.confidence.mean()))


@st.cache_data(max_entries=64, show_spinner=False)
def diffusion_forward(example: int, seed: int, timesteps: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, int]:
    """Noise held-out example #example to each timestep; returns images, signal share and the digit's label."""
    images, labels = heldout_examples()
    fp = forward_process(get_diffusion(), to_signed(images[example]), list(timesteps), seed)
    return fp.images, fp.signal, int(labels[example])


# ------------------------------------------------------------------------------- VAE input widgets

INPUT_SOURCES = ("Pick a real digit", "Draw one", "Upload a picture")
_CELLS = "vae_cells"


def drawing_cells() -> np.ndarray:
    """The visitor's 8x8 drawing (ink 0..1), kept in this session only."""
    if _CELLS not in st.session_state:
        images, _ = heldout_examples()
        st.session_state[_CELLS] = (images[0, 0].numpy() > 0.4).astype(np.float32)  # start from a real digit
    return st.session_state[_CELLS]


def _clicked_customdata(chart_key: str) -> list[float] | None:
    """customdata of the first clicked point, as a list (the browser may send a list or an index-keyed dict)."""
    try:
        points = st.session_state[chart_key].selection.get("points", [])
        data = points[0].get("customdata") if points else None
        if isinstance(data, dict):
            data = [data[k] for k in sorted(data, key=lambda k: int(k))]
        return [float(v) for v in data] if data is not None else None
    except (KeyError, AttributeError, TypeError, ValueError, IndexError):
        return None  # a malformed click is ignored, never an error page


def toggle_cell(chart_key: str) -> None:
    """on_select callback of the drawing pad: flip the clicked square."""
    data = _clicked_customdata(chart_key)
    if data is not None and len(data) >= 2 and 0 <= data[0] < 8 and 0 <= data[1] < 8:
        r, c = int(data[0]), int(data[1])
        cells = drawing_cells().copy()
        cells[r, c] = 0.0 if cells[r, c] > 0.5 else 1.0
        st.session_state[_CELLS] = cells
        # A fresh chart key clears plotly's selection, so the same square can be clicked again right away.
        st.session_state["pad_n"] = st.session_state.get("pad_n", 0) + 1


def clear_cells() -> None:
    st.session_state[_CELLS] = np.zeros((8, 8), dtype=np.float32)


def set_latent_from_click(chart_key: str, mode: str) -> None:
    """on_select callback of the map (customdata = [z1, z2]) or the scatter (customdata = [index, z1, z2])."""
    data = _clicked_customdata(chart_key)
    if data is None or len(data) < (2 if mode == "map" else 3):
        return
    z1, z2 = (data[0], data[1]) if mode == "map" else (data[1], data[2])
    st.session_state["z1"] = round(float(np.clip(z1, -4, 4)), 2)
    st.session_state["z2"] = round(float(np.clip(z2, -4, 4)), 2)


def example_picker(label: str, key: str, default_digit: int) -> tuple[torch.Tensor, str]:
    """Choose a held-out real digit by class and example number. Returns (1, 1, 8, 8) image and a caption."""
    images, labels = heldout_examples()
    c1, c2 = st.columns(2)
    digit = c1.selectbox(
        label,
        range(10),
        index=default_digit,
        key=f"{key}_digit",
        bind="query-params",
        help="Which digit to take from the real held-out digits (never seen in training).",
    )
    which = np.flatnonzero(labels.numpy() == digit)
    # A slider, not an integer number_input: Streamlit 1.67's integer number_input crashes on a URL value
    # like ?enc_ex=1e309 before the page can validate it; sliders drop bad URL values.
    n = c2.slider(
        "example number",
        1,
        len(which),
        1,
        key=f"{key}_ex",
        bind="query-params",
        help=f"There are {len(which)} held-out examples of each digit.",
    )
    return images[int(which[int(n) - 1])][None], f"a real {digit} (example {int(n)})"


def decode_and_judge(z1: float, z2: float) -> tuple[np.ndarray, int, float]:
    """Decode one map point; returns the (8, 8) image and what the judge reads in it."""
    point = decode_points(get_vae(), np.array([[z1, z2]], dtype=np.float32))[0]
    seen = judge_report(get_judge(), torch.from_numpy(point)[None, None])
    return point, int(seen.predicted[0]), float(seen.confidence[0])


def encode_and_judge(image: torch.Tensor) -> tuple[Encoding, int, float]:
    """Encode one (1, 1, 8, 8) image; also what the judge reads in its reconstruction."""
    enc = encode_images(get_vae(), image)
    seen = judge_report(get_judge(), torch.from_numpy(enc.reconstruction)[:, None])
    return enc, int(seen.predicted[0]), float(seen.confidence[0])


@st.cache_resource(max_entries=16, show_spinner=False)
def encoded_scatter_figure(marks: tuple[tuple[float, float, str], ...]) -> go.Figure:
    """The scatter of 600 real digits, built once per set of marks and shared by every session: it does not
    move with the decoded point, and st.plotly_chart only reads (copies) the figure it is given."""
    mu, labels, extent = _scatter_points()
    title = "Same digits cluster: where 600 of the 1,797<br>real digits land (dashed: the map's area)"
    return encoded_scatter(mu, labels, title, extent, list(marks), glyphs=real_digits_picture())


def _scatter_points() -> tuple[np.ndarray, np.ndarray, float]:
    """Every third real digit (600) and the map's extent. All 1,797 made the scatter crowded and slow."""
    _, labels = all_digits()
    return vae_encoded_dataset().mu[::3], labels.numpy()[::3], grid_extent(vae_grid())


@st.cache_resource(show_spinner=False)
def real_digits_picture() -> str:
    """The scatter's digits as one picture: the same for every set of marks, so drawn once (about 0.1 s)."""
    mu, labels, extent = _scatter_points()
    return digit_glyphs_picture(mu, labels, scatter_half_width(mu, extent))


def grid_extent(grid: LatentGrid) -> float:
    return float(grid.axis[-1] + (grid.axis[1] - grid.axis[0]) / 2)


def confident_digits(min_confidence: float = 0.8) -> list[int]:
    pred, conf = vae_grid_report()
    return sorted({int(p) for p, c in zip(pred, conf, strict=True) if c >= min_confidence})


def digit_source_input() -> tuple[torch.Tensor | None, str]:
    """Radio (bound to the URL) + the chosen input: a held-out digit, a drawing or an upload (validated)."""
    from explainers.digits import MAX_UPLOAD_BYTES, BadImageError, image_from_cells, image_from_upload
    from figures.images import drawing_pad

    source = st.radio(
        "Where the digit comes from",
        INPUT_SOURCES,
        horizontal=True,
        key="src",
        bind="query-params",
        help="Pick one of the real digits the model never trained on, draw one, or upload a photo.",
    )
    if source == INPUT_SOURCES[1]:
        pad_key = f"pad{st.session_state.get('pad_n', 0)}"
        show_chart(
            st,
            drawing_pad(drawing_cells(), "Click a square: ink on/off"),
            key=pad_key,
            on_select=lambda: toggle_cell(pad_key),
            config={"displayModeBar": False},
            selection_mode="points",
            width="stretch",
        )
        st.button("Clear the drawing", on_click=clear_cells)
        try:
            return image_from_cells(drawing_cells()), "your drawing"
        except BadImageError as err:
            st.warning(str(err))
            return None, ""
    if source == INPUT_SOURCES[2]:
        upload = st.file_uploader(
            "A picture of one digit (PNG or JPEG, up to 2 MB)",
            type=["png", "jpg", "jpeg"],
            max_upload_size=2,
            help="Dark ink on light paper works best; crop to one digit.",
        )
        if upload is None:
            st.caption("No picture yet: upload one above.")
            return None, ""
        try:
            return image_from_upload(upload.getvalue()[: MAX_UPLOAD_BYTES + 1]), "your picture"
        except BadImageError as err:
            st.error(f"We could not use that file: {err}")
            return None, ""
    return example_picker("Digit", "enc", 3)


# ----------------------------------------------------------------------------- diffusion page helpers


def first_heldout_index(digit: int) -> int:
    _, labels = heldout_examples()
    return int(np.flatnonzero(labels.numpy() == digit)[0])


@st.cache_data(max_entries=64, show_spinner=False)
def judge_along_trajectory(
    digit: int, guidance: float, seed: int, sampler: str, steps: int
) -> tuple[np.ndarray, np.ndarray]:
    """(S,) twice: how sure the judge is, at each step, that the guessed clean image shows the requested digit;
    and how closely that guess already matches the final picture (1 - mean absolute pixel difference / 2)."""
    traj = diffusion_trajectory(digit, guidance, seed, sampler, steps).trajectory
    x0 = ((torch.from_numpy(traj.x0_pred[:, 0]) + 1) / 2).clamp(0, 1)[:, None]  # (S, 1, 8, 8)
    closeness = 1 - np.abs(traj.x0_pred[:, 0] - traj.samples[0][None]).mean(axis=(1, 2)) / 2
    return judge_report(get_judge(), x0).probabilities[:, digit], closeness


@st.cache_resource(max_entries=32, show_spinner=False)
def trajectory_animation_figure(digit: int, guidance: float, seed: int, sampler: str, steps: int) -> go.Figure:
    """The replay of one trajectory, built once per setting and shared by every session (50 frames took
    about 50 ms to build, on every rerun of the page). st.plotly_chart only reads (copies) it."""
    traj = diffusion_trajectory(digit, guidance, seed, sampler, steps).trajectory
    title = "Press ▶ Play to replay the run"
    return trajectory_animation(traj.x_t[:, 0], traj.eps[:, 0], traj.x0_pred[:, 0], traj.timesteps, title)


# The diffusion page's starting settings; the page and the warm-up both read them from here.
DIFFUSION_DEFAULT_DIGIT = 3
DIFFUSION_DEFAULT_SEED = 0
DIFFUSION_DEFAULT_DDIM_STEPS = 20


def default_diffusion_views() -> None:
    """Compute the views a visitor's first visit to the diffusion page needs (for the warm-up)."""
    model = get_diffusion()
    guidance, T = model.default_guidance, model.schedule.num_train_timesteps
    digit, seed = DIFFUSION_DEFAULT_DIGIT, DIFFUSION_DEFAULT_SEED
    judge_along_trajectory(digit, guidance, seed, "ddpm", T)  # the page starts on DDPM
    trajectory_animation_figure(digit, guidance, seed, "ddpm", T)
    diffusion_batch(digit, guidance, seed, "ddpm", T)
    diffusion_batch(digit, guidance, seed, "ddim", DIFFUSION_DEFAULT_DDIM_STEPS)


def schedule_curves() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Timesteps, sqrt(alpha_bar) (signal) and sqrt(1 - alpha_bar) (noise) of the shipped schedule."""
    ab = get_diffusion().ddpm.alphas_cumprod.numpy()
    return np.arange(len(ab)), np.sqrt(ab), np.sqrt(1 - ab)

"""Streamlit side shared by the image pages (GAN, VAE, diffusion): the judge and the real pictures.

The judge (a small classifier that reads what a picture shows) is loaded once per server and shared by every
session; so are the real pictures. Every image page uses the same fixed train / held-out split.

One pixel convention: pictures are arrays in [0, 1] with 1 = ink, as the figures (figures/pictures.py) and the
judge take them. Models that work in [-1, 1] (diffusion, GAN) are converted here, with `unit_pixels`.

Today this is the 8x8 handwritten digits; the names are the dataset's (`real_images`, not `digits`) so that a
dataset key (explainers.datasets) can be added to these functions when the pages learn to switch datasets.
"""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from explainers.digits import load_digits_tensors, split, to_unit
from explainers.judge import Judge, JudgeReport, judge_report, load_judge
from ui import compute  # noqa: F401 - sets one torch thread per request, before any model runs


@st.cache_resource(show_spinner="Loading the judge…")
def get_judge() -> Judge:
    return load_judge()


def judge_images(images: np.ndarray | torch.Tensor) -> JudgeReport:
    """What the shared judge reads in pictures (N, H, W) or (N, 1, H, W), in [0, 1]."""
    pictures = torch.as_tensor(np.ascontiguousarray(images) if isinstance(images, np.ndarray) else images)
    if pictures.dim() == 3:
        pictures = pictures.unsqueeze(1)  # (N, 1, H, W)
    return judge_report(get_judge(), pictures)


def unit_pixels(images: np.ndarray) -> np.ndarray:
    """A model's pixels in [-1, 1] -> the figures' and the judge's [0, 1] (explainers.digits.to_unit)."""
    return to_unit(torch.from_numpy(np.asarray(images))).numpy()


@st.cache_resource
def real_images() -> tuple[torch.Tensor, torch.Tensor]:
    """Every real picture (N, 1, H, W) in [0, 1] and its label."""
    return load_digits_tensors()


@st.cache_resource(show_spinner=False)
def training_images() -> np.ndarray:
    """(N, H, W) in [0, 1]: the fixed training split every model learns from."""
    return split().train_images[:, 0].numpy()


def heldout_examples() -> tuple[torch.Tensor, torch.Tensor]:
    """The held-out pictures (never trained on), (N, 1, H, W) in [0, 1], and their labels."""
    data = split()
    return data.heldout_images, data.heldout_labels


def first_heldout_index(label: int) -> int:
    _, labels = heldout_examples()
    return int(np.flatnonzero(labels.numpy() == label)[0])


def example_picker(label: str, key: str, default_digit: int) -> tuple[torch.Tensor, str]:
    """Choose a held-out real digit by class and example number. Returns (1, 1, H, W) image and a caption."""
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

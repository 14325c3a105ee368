"""Streamlit side shared by the image pages (GAN, VAE, diffusion): which pictures, the judge, real pictures.

A page asks the reader which pictures to show (`choose_dataset`: clothes, the default, or handwritten digits; the
choice is in the URL) and passes the dataset's key to everything below. The judge (a small classifier that reads
what a picture shows) is loaded once per server and dataset and shared by every session; so are the real pictures.

One pixel convention: pictures are arrays in [0, 1] with 1 = ink, as the figures (figures/pictures.py) and the
judge take them. Models that work in [-1, 1] (diffusion, GAN) are converted here, with `unit_pixels`.

The functions take the dataset key with "digits" as the default: the GAN page's live digits call them without one.
"""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from explainers.datasets import DATASETS, DEFAULT_DATASET, ImageDataset, get_dataset, real_pictures
from explainers.digits import split, to_unit
from explainers.judge import Judge, JudgeReport, judge_report, load_judge
from figures.pictures import data_uri, tile_pngs
from ui import compute  # noqa: F401 - sets one torch thread per request, before any model runs

# The reader's choice of pictures: a short word in the switch and in the URL (?data=digits); clothes by default.
DATASET_WORDS = {"fashion": "clothes", "digits": "digits"}
_DATASET_BY_WORD = {word: key for key, word in DATASET_WORDS.items()}


def choose_dataset(help_text: str) -> ImageDataset:
    """The switch between clothes and digits (bound to the URL as ?data=...). Returns the chosen dataset."""
    word = st.segmented_control(
        "Pictures",
        [DATASET_WORDS[key] for key in DATASETS],
        default=DATASET_WORDS[DEFAULT_DATASET],
        key="data",
        bind="query-params",
        help=help_text,
    )
    return get_dataset(_DATASET_BY_WORD.get(word or "", DEFAULT_DATASET))


def with_article(name: str, adjective: str = "") -> str:
    """'a sneaker', 'an ankle boot', 'trousers', 'a 7', 'an 8', 'a real ankle boot': a kind inside a sentence."""
    words = f"{adjective} {name}".strip()
    if name.endswith("ers"):  # trousers: a plural noun takes no article
        return words
    return f"an {words}" if words[0].lower() in "aeiou8" else f"a {words}"


@st.cache_resource(show_spinner="Loading the judge…")
def get_judge(dataset: str = "digits") -> Judge:
    return load_judge(get_dataset(dataset).model("judge"))


def judge_images(images: np.ndarray | torch.Tensor, dataset: str = "digits") -> JudgeReport:
    """What the dataset's judge reads in pictures (N, H, W) or (N, 1, H, W), in [0, 1]."""
    pictures = torch.as_tensor(np.ascontiguousarray(images) if isinstance(images, np.ndarray) else images)
    if pictures.dim() == 3:
        pictures = pictures.unsqueeze(1)  # (N, 1, H, W)
    return judge_report(get_judge(dataset), pictures)


def unit_pixels(images: np.ndarray) -> np.ndarray:
    """A model's pixels in [-1, 1] -> the figures' and the judge's [0, 1] (explainers.digits.to_unit)."""
    return to_unit(torch.from_numpy(np.asarray(images))).numpy()


@st.cache_resource(show_spinner=False)
def training_images() -> np.ndarray:
    """(N, H, W) in [0, 1]: the fixed training split of the digits every digit model learns from."""
    return split().train_images[:, 0].numpy()


def heldout_examples(dataset: str = "digits") -> tuple[torch.Tensor, torch.Tensor]:
    """Real held-out pictures (never trained on), (N, 1, H, W) in [0, 1], and their labels: the 359 held-out
    digits, or the 2,000 clothes shipped beside the clothes judge (explainers.datasets.real_pictures)."""
    real = real_pictures(dataset)
    return real.images, real.labels


def first_heldout_index(label: int, dataset: str = "digits") -> int:
    _, labels = heldout_examples(dataset)
    return int(np.flatnonzero(labels.numpy() == label)[0])


def example_picker(label: str, key: str, default_kind: int, dataset: ImageDataset) -> tuple[torch.Tensor, int, str]:
    """Choose a held-out real picture by kind and example number. Returns a (1, 1, H, W) image, its kind and a
    caption."""
    images, labels = heldout_examples(dataset.key)
    names = dataset.class_names
    kind = st.selectbox(
        label,
        range(dataset.num_classes),
        index=default_kind,
        format_func=lambda k: names[k],
        key=f"{key}_kind",
        bind="query-params",
        help=f"Which kind of {dataset.item} to take from the real held-out pictures (never seen in training).",
    )
    which = np.flatnonzero(labels.numpy() == kind)
    # A slider, not an integer number_input: Streamlit 1.67's integer number_input crashes on a URL value
    # like ?enc_ex=1e309 before the page can validate it; sliders drop bad URL values.
    n = st.slider(
        "Example number",
        1,
        len(which),
        1,
        key=f"{key}_ex",
        bind="query-params",
        help=f"{len(which)} real held-out examples of {names[kind]} to choose from.",
    )
    caption = f"{with_article(names[kind], 'real')} (example {int(n)} of {len(which)})"
    return images[int(which[int(n) - 1])][None], int(kind), caption


def picture_row(images: np.ndarray, captions: list[str], title: str, signed: bool = False) -> None:
    """A row of pictures (K, H, W) in [0, 1] under a bold title, each with its caption; on a narrow screen the row
    wraps instead of shrinking, so every picture stays big enough to read and no caption runs into another."""
    st.markdown(f"**{title}**")
    # Data URLs, not bytes: Streamlit would re-encode bytes as JPEG (blurred edges) and serve each as a media
    # file that expires; a 28x28 picture upscaled with hard edges is about 1 KB of PNG.
    st.image([data_uri(png) for png in tile_pngs(images, side=104, signed=signed)], caption=captions, width=104)

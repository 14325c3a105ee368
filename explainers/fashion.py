"""Fashion-MNIST: 70,000 greyscale 28x28 pictures of 10 kinds of clothing (Zalando Research, MIT licence).

Read from Debian's `dataset-fashion-mnist` package (IDX files, gzip + numpy; nothing is downloaded). Only
*training* needs the package: the app itself uses the small sample of real held-out pictures shipped beside
the judge (see explainers.datasets.real_pictures).

Same conventions as explainers/digits.py: images are float32 (N, 1, 28, 28) in [0, 1], where 0 is the dark
background and 1 the brightest part of the garment (the dataset stores 0..255). The split is the official one:
the 60,000 training pictures train every model, the 10,000 test pictures are held out for measuring.
"""

from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from explainers.digits import ImageSplit

DATA_DIR = Path("/usr/share/datasets/fashion-mnist")
IMAGE_SIZE = 28
NUM_CLASSES = 10
CLASS_NAMES = (
    "T-shirt",
    "trousers",
    "pullover",
    "dress",
    "coat",
    "sandal",
    "shirt",
    "sneaker",
    "bag",
    "ankle boot",
)
SOURCE = (
    "Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, Zalando Research): 60,000 training and 10,000 test pictures, "
    "28x28 greyscale, 10 kinds of clothing; read from Debian's dataset-fashion-mnist package"
)
LICENCE = "MIT licence, Copyright (c) 2017 Zalando SE"
INSTALL_HINT = "sudo apt-get install dataset-fashion-mnist"
FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


class DatasetMissingError(FileNotFoundError):
    """The Fashion-MNIST files are not installed (only training needs them). `str()` says how to install."""


def _read_idx(path: Path, magic: int, dims: int) -> np.ndarray:
    """An IDX file (LeCun's MNIST format): big-endian magic, `dims` big-endian sizes, then uint8 data."""
    with gzip.open(path, "rb") as handle:
        raw = handle.read()
    header = np.frombuffer(raw[: 4 * (dims + 1)], dtype=">u4")
    if int(header[0]) != magic:
        raise ValueError(f"{path.name} is not an IDX file of the expected kind (magic {int(header[0]):#x})")
    shape = tuple(int(n) for n in header[1:])
    data = np.frombuffer(raw[4 * (dims + 1) :], dtype=np.uint8)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path.name} is truncated ({data.size} of {int(np.prod(shape))} values)")
    return data.reshape(shape)


@lru_cache(maxsize=2)
def load_uint8(part: str, data_dir: Path = DATA_DIR) -> tuple[np.ndarray, np.ndarray]:
    """Official `part` ("train" or "test"): images (N, 28, 28) uint8 and labels (N,) uint8, read-only."""
    image_file, label_file = FILES[part]
    paths = (data_dir / image_file, data_dir / label_file)
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise DatasetMissingError(
            f"Fashion-MNIST is not installed ({', '.join(missing)} not found in {data_dir}). "
            f"Training the clothes models needs it: {INSTALL_HINT}"
        )
    images = _read_idx(paths[0], 0x00000803, 3)  # (N, 28, 28)
    labels = _read_idx(paths[1], 0x00000801, 1)  # (N,)
    if images.shape[0] != labels.shape[0] or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(f"unexpected Fashion-MNIST shapes {images.shape} and {labels.shape}")
    return images, labels


def to_tensors(images: np.ndarray, labels: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 (N, 28, 28) and labels (N,) -> float32 (N, 1, 28, 28) in [0, 1] and int64 (N,)."""
    x = torch.from_numpy(images.astype(np.float32) / 255.0)[:, None]  # (N, 28, 28) -> (N, 1, 28, 28)
    return x, torch.from_numpy(labels.astype(np.int64))


def split(data_dir: Path = DATA_DIR) -> ImageSplit:
    """The official split: 60,000 training pictures and the 10,000 test pictures held out."""
    train_x, train_y = to_tensors(*load_uint8("train", data_dir))
    test_x, test_y = to_tensors(*load_uint8("test", data_dir))
    return ImageSplit(train_images=train_x, train_labels=train_y, heldout_images=test_x, heldout_labels=test_y)


def stratified_sample(labels: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    """Sorted indices of `per_class` random examples of each kind (fixed by `seed`)."""
    rng = np.random.default_rng(seed)
    picks = [rng.choice(np.flatnonzero(labels == k), size=per_class, replace=False) for k in range(NUM_CLASSES)]
    return np.sort(np.concatenate(picks))

"""The picture datasets the image pages can show, and the models we trained on each.

A page takes an `ImageDataset` instead of assuming digits:

    from explainers.datasets import get_dataset, real_pictures
    data = get_dataset("fashion")          # or "digits"; DEFAULT_DATASET is "fashion"
    data.title, data.class_names, data.image_size, data.models["diffusion"]   # "clothes", (...), 28, "fashion_diffusion"
    real = real_pictures(data)             # shipped real held-out pictures: images (N, 1, S, S) in [0, 1], labels

Pixel convention for every dataset: float32 (N, 1, S, S) in [0, 1], 0 = background, 1 = ink. Shown as dark on
light (1 = black), a Fashion-MNIST picture looks like the greyscale product photo it was made from (the dataset
stores the photo's intensities negated), just as a digit looks like pen on paper.

Run time never needs the Debian package: `real_pictures` reads the small sample shipped beside the judge
(checksum verified, like weights). `ImageDataset.split()` reads the full data and is for training only.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType

import numpy as np
import torch

from explainers import digits, fashion
from explainers.digits import ImageSplit
from explainers.store import ModelLoadError, model_dir, read_config, sha256_bytes

DEFAULT_DATASET = "fashion"
MODEL_ROLES = ("judge", "vae", "diffusion", "gan")


@dataclass(frozen=True)
class ImageDataset:
    """One dataset and the names of the models we ship for it (all plain data, safe to share)."""

    key: str  # "fashion" or "digits": used in URLs and cache keys
    title: str  # plain words for a switch: "clothes", "handwritten digits"
    item: str  # one picture, for sentences: "piece of clothing", "digit"
    class_names: tuple[str, ...]  # what each label means, in label order
    image_size: int  # pictures are image_size x image_size
    source: str
    licence: str
    models: Mapping[str, str]  # role ("judge", "vae", "diffusion", "gan", ...) -> shipped model name
    load_split: Callable[[], ImageSplit] = field(repr=False, compare=False)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def model(self, role: str) -> str:
        """The shipped model name for a role; KeyError names the roles this dataset has."""
        if role not in self.models:
            raise KeyError(f"the {self.title} have no {role!r} model (they have: {', '.join(self.models)})")
        return self.models[role]

    def split(self) -> ImageSplit:
        """The full train / held-out split (training time; for clothes it needs the Debian package)."""
        return self.load_split()


DIGITS = ImageDataset(
    key="digits",
    title="handwritten digits",
    item="digit",
    class_names=tuple(str(d) for d in range(10)),
    image_size=digits.IMAGE_SIZE,
    source=digits.SOURCE,
    licence="BSD 3-clause (scikit-learn); the UCI optical digits data is CC BY 4.0",
    models=MappingProxyType({"judge": "judge", "vae": "vae", "diffusion": "diffusion", "gan": "gan_digits"}),
    load_split=digits.split,
)

FASHION = ImageDataset(
    key="fashion",
    title="clothes",
    item="piece of clothing",
    class_names=fashion.CLASS_NAMES,
    image_size=fashion.IMAGE_SIZE,
    source=fashion.SOURCE,
    licence=fashion.LICENCE,
    models=MappingProxyType(
        {
            "judge": "fashion_judge",
            "vae": "fashion_vae",
            "diffusion": "fashion_diffusion",
            "gan": "fashion_gan",
            "diffusion_tiny": "fashion_diffusion_tiny",  # trained on a few dozen pictures: it memorizes (Limits page)
        }
    ),
    load_split=fashion.split,
)

DATASETS: Mapping[str, ImageDataset] = MappingProxyType({"fashion": FASHION, "digits": DIGITS})


def get_dataset(key: str | None = None) -> ImageDataset:
    """The dataset called `key` ("fashion" or "digits"; None gives the default). ValueError on anything else."""
    key = DEFAULT_DATASET if key is None else key
    if key not in DATASETS:
        raise ValueError(f"unknown dataset {key!r}; choose one of: {', '.join(DATASETS)}")
    return DATASETS[key]


def dataset_of_model(name: str) -> ImageDataset:
    """Which dataset a shipped model was trained on (by its name)."""
    for data in DATASETS.values():
        if name in data.models.values():
            return data
    raise ValueError(f"no dataset lists the model {name!r}")


# ---------------------------------------------------------------------------- data files shipped beside a model
# A trainer passes them to the store as extra files; the store records their SHA-256 in config.json `files`.


def pack_arrays(arrays: Mapping[str, np.ndarray]) -> bytes:
    """An .npz (zip of .npy files) with fixed timestamps, so the same arrays always give the same bytes and SHA-256."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            npy = io.BytesIO()
            np.lib.format.write_array(npy, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, npy.getvalue())
    return buffer.getvalue()


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """Pictures (N, 1, S, S) in [0, 1] -> (N, S, S) uint8 (0..255), for compact storage."""
    return np.round(images[:, 0].clamp(0, 1).numpy() * 255).astype(np.uint8)


def load_arrays(model: str, filename: str) -> dict[str, np.ndarray]:
    """Read an .npz shipped beside `model` (saved as one of its extra files, so its SHA-256 is in the config's
    `files`), checking the checksum like weights. Never unpickles. Raises ModelLoadError (plain words)."""
    config = read_config(model)
    entry = config.get("files", {}).get(filename)
    if not isinstance(entry, dict) or "sha256" not in entry:
        raise ModelLoadError(model, f"its config.json does not list the file {filename}")
    path = model_dir(model) / filename
    if path.name != filename or not path.is_file():
        raise ModelLoadError(model, f"its file {filename} is missing")
    blob = path.read_bytes()
    if sha256_bytes(blob) != entry["sha256"]:
        raise ModelLoadError(model, f"its file {filename} is damaged or was changed (checksum mismatch)")
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        raise ModelLoadError(model, f"its file {filename} cannot be read ({exc})") from exc


# ---------------------------------------------------------------------------- real pictures at run time

REAL_SAMPLE_FILE = "real_sample.npz"  # shipped beside the clothes judge


@dataclass(frozen=True)
class RealPictures:
    """Real held-out pictures the app can always show and measure against (never used in training)."""

    images: torch.Tensor  # (N, 1, S, S) float32 in [0, 1]
    labels: torch.Tensor  # (N,) int64
    description: str


def real_pictures(dataset: ImageDataset | str) -> RealPictures:
    """The real held-out pictures available at run time. Digits: the 359 held-out digits (scikit-learn ships
    them). Clothes: 2,000 test pictures (200 of each kind) shipped beside the judge, checksum verified.
    Raises ModelLoadError if the shipped file is missing or damaged. Shared: do not modify the tensors."""
    return _real_pictures(dataset if isinstance(dataset, str) else dataset.key)


@lru_cache(maxsize=4)
def _real_pictures(key: str) -> RealPictures:
    data = get_dataset(key)
    if data.key == "digits":
        split = digits.split()
        return RealPictures(split.heldout_images, split.heldout_labels, "the 359 held-out real digits")
    arrays = load_arrays(data.model("judge"), REAL_SAMPLE_FILE)
    images, labels = arrays.get("images"), arrays.get("labels")
    size = data.image_size
    if images is None or labels is None or images.ndim != 3 or images.shape[1:] != (size, size):
        raise ModelLoadError(data.model("judge"), "its real-picture sample has the wrong shape")
    if images.dtype != np.uint8 or labels.shape != (images.shape[0],) or labels.max(initial=0) >= data.num_classes:
        raise ModelLoadError(data.model("judge"), "its real-picture sample has the wrong contents")
    x = torch.from_numpy(images.astype(np.float32) / 255.0)[:, None]  # (N, S, S) -> (N, 1, S, S)
    y = torch.from_numpy(labels.astype(np.int64))
    return RealPictures(x, y, f"{len(y):,} real held-out pictures ({len(y) // data.num_classes} of each kind)")


def nearest_distances(
    images: torch.Tensor, references: torch.Tensor, batch_size: int = 256
) -> tuple[np.ndarray, np.ndarray]:
    """For each image (N, 1, S, S), the index of the closest reference picture (M, 1, S, S) and the distance to it:
    root-mean-square pixel difference on the [0, 1] scale (0 = identical, 1 = every pixel opposite). Used to
    check for memorization: a copied training picture sits much closer to its original than a new one does."""
    a = images.flatten(1).float()  # (N, P)
    b = references.flatten(1).float()  # (M, P)
    b_sq = (b * b).sum(1)  # (M,)
    index, dist = [], []
    for start in range(0, a.shape[0], batch_size):
        chunk = a[start : start + batch_size]
        sq = (chunk * chunk).sum(1, keepdim=True) - 2 * chunk @ b.T + b_sq  # (n, M) squared Euclidean distances
        best, where = sq.min(dim=1)
        index.append(where)
        dist.append((best.clamp(min=0) / a.shape[1]).sqrt())
    return torch.cat(index).numpy(), torch.cat(dist).numpy()

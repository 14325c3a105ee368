"""The dataset abstraction, the Fashion-MNIST reader and the data files shipped beside models (fast, no package
needed: tiny IDX files are written on the fly)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
import torch

from explainers import fashion
from explainers.datasets import (
    DATASETS,
    DEFAULT_DATASET,
    dataset_of_model,
    get_dataset,
    load_arrays,
    nearest_distances,
    pack_arrays,
    real_pictures,
)
from explainers.store import ModelLoadError, save_model


def test_datasets_describe_themselves() -> None:
    assert DEFAULT_DATASET == "fashion" and set(DATASETS) == {"fashion", "digits"}
    clothes, digits = get_dataset("fashion"), get_dataset("digits")
    assert get_dataset() is clothes
    assert clothes.title == "clothes" and clothes.image_size == 28 and clothes.num_classes == 10
    assert clothes.class_names[0] == "T-shirt" and clothes.class_names[9] == "ankle boot"
    assert digits.image_size == 8 and digits.class_names == tuple("0123456789")
    for role in ("judge", "vae", "diffusion", "gan"):
        assert dataset_of_model(clothes.model(role)) is clothes
        assert dataset_of_model(digits.model(role)) is digits
    assert clothes.model("diffusion_tiny") == "fashion_diffusion_tiny"
    with pytest.raises(KeyError, match="no 'diffusion_tiny'"):
        digits.model("diffusion_tiny")
    with pytest.raises(ValueError, match="unknown dataset"):
        get_dataset("cats")


def test_digits_real_pictures_are_the_heldout_split() -> None:
    real = real_pictures("digits")
    assert real.images.shape == (359, 1, 8, 8) and real.labels.shape == (359,)
    assert real_pictures(get_dataset("digits")) is real  # cached, shared


def _write_idx(path: Path, array: np.ndarray, magic: int) -> None:
    header = np.array([magic, *array.shape], dtype=">u4").tobytes()
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.astype(np.uint8).tobytes())


def test_fashion_reader_on_tiny_idx_files(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    for part, n in (("train", 30), ("test", 20)):
        images = rng.integers(0, 256, size=(n, 28, 28))
        labels = np.arange(n) % 10
        _write_idx(tmp_path / fashion.FILES[part][0], images, 0x803)
        _write_idx(tmp_path / fashion.FILES[part][1], labels, 0x801)
    data = fashion.split(tmp_path)
    assert data.train_images.shape == (30, 1, 28, 28) and data.heldout_images.shape == (20, 1, 28, 28)
    assert data.train_images.dtype == torch.float32 and 0 <= data.train_images.min() <= data.train_images.max() <= 1
    raw, _ = fashion.load_uint8("train", tmp_path)
    assert torch.allclose(data.train_images[3, 0], torch.from_numpy(raw[3] / 255.0).float())
    picks = fashion.stratified_sample(data.heldout_labels.numpy(), 2, seed=1)
    assert len(picks) == 20 and np.array_equal(picks, fashion.stratified_sample(data.heldout_labels.numpy(), 2, 1))


def test_fashion_reader_explains_a_missing_package(tmp_path: Path) -> None:
    with pytest.raises(fashion.DatasetMissingError, match="apt-get install dataset-fashion-mnist"):
        fashion.load_uint8("test", tmp_path / "nowhere")


def test_fashion_reader_refuses_truncated_files(tmp_path: Path) -> None:
    header = np.array([0x803, 5, 28, 28], dtype=">u4").tobytes()
    with gzip.open(tmp_path / fashion.FILES["test"][0], "wb") as handle:
        handle.write(header + bytes(100))
    _write_idx(tmp_path / fashion.FILES["test"][1], np.zeros(5), 0x801)
    with pytest.raises(ValueError, match="truncated"):
        fashion.load_uint8("test", tmp_path)


def test_packed_arrays_are_byte_identical_and_checked_on_load(tmp_path: Path, monkeypatch) -> None:
    arrays = {"images": np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28), "labels": np.array([3, 9])}
    blob = pack_arrays(arrays)
    assert blob == pack_arrays(arrays)  # fixed timestamps: the checksum is reproducible
    monkeypatch.setenv("GLASSBOX_PRETRAINED", str(tmp_path))
    config = {"title": "holder", "architecture": {}, "training": {"seed": 0}, "data": {}, "metrics": {}}
    save_model("holder", {"x": torch.zeros(1)}, config, "card", extra_files={"sample.npz": blob})
    loaded = load_arrays("holder", "sample.npz")
    assert np.array_equal(loaded["images"], arrays["images"]) and loaded["labels"].tolist() == [3, 9]
    with pytest.raises(ModelLoadError, match="does not list"):
        load_arrays("holder", "other.npz")
    path = tmp_path / "holder" / "sample.npz"
    path.write_bytes(blob[:-10])
    with pytest.raises(ModelLoadError, match="checksum"):
        load_arrays("holder", "sample.npz")
    path.unlink()
    with pytest.raises(ModelLoadError, match="missing"):
        load_arrays("holder", "sample.npz")


def test_nearest_distances_find_copies() -> None:
    gen = torch.Generator().manual_seed(0)
    refs = torch.rand(50, 1, 28, 28, generator=gen)
    queries = torch.cat([refs[[7, 21]], torch.rand(3, 1, 28, 28, generator=gen)])
    index, dist = nearest_distances(queries, refs, batch_size=2)
    assert index[:2].tolist() == [7, 21] and np.allclose(dist[:2], 0, atol=1e-3)
    assert np.all(dist[2:] > 0.3)  # independent uniform pictures differ by about 0.41 RMS
    brute = ((queries[2:].flatten(1)[:, None] - refs.flatten(1)[None]) ** 2).mean(-1).sqrt()
    assert np.allclose(dist[2:], brute.min(1).values.numpy(), atol=1e-4)

"""The shipped-model format: round trip, checksum, shapes, missing and truncated files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from explainers.store import ModelLoadError, load_model, read_config, save_model


def make_model(root: Path) -> Path:
    tensors = {"layer.weight": torch.arange(12, dtype=torch.float32).reshape(3, 4), "layer.bias": torch.ones(3)}
    return save_model(
        "toy", tensors, {"architecture": {"kind": "linear"}, "metrics": {"acc": 1.0}}, "# Toy\n", root=root
    )


def test_round_trip_keeps_tensors_and_records_checksum(tmp_path: Path) -> None:
    make_model(tmp_path)
    loaded = load_model("toy", root=tmp_path)
    assert torch.equal(loaded.tensors["layer.weight"], torch.arange(12, dtype=torch.float32).reshape(3, 4))
    config = read_config("toy", root=tmp_path)
    assert len(config["weights"]["sha256"]) == 64
    assert config["weights"]["shapes"] == {"layer.bias": [3], "layer.weight": [3, 4]}
    assert config["weights"]["parameters"] == 15
    assert (tmp_path / "toy" / "README.md").read_text().startswith("# Toy")


def test_truncated_weights_raise_clear_error(tmp_path: Path) -> None:
    directory = make_model(tmp_path)
    blob = (directory / "model.safetensors").read_bytes()
    (directory / "model.safetensors").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(ModelLoadError, match="damaged or incomplete") as info:
        load_model("toy", root=tmp_path)
    assert info.value.command == "python -m training toy"


def test_missing_weights_raise_clear_error(tmp_path: Path) -> None:
    directory = make_model(tmp_path)
    (directory / "model.safetensors").unlink()
    with pytest.raises(ModelLoadError, match="missing"):
        load_model("toy", root=tmp_path)


def test_missing_model_folder_raises_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="missing"):
        load_model("nothing-here", root=tmp_path)


def test_shape_mismatch_is_caught_even_with_matching_checksum(tmp_path: Path) -> None:
    directory = make_model(tmp_path)
    config = json.loads((directory / "config.json").read_text())
    config["weights"]["shapes"]["layer.bias"] = [4]
    (directory / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError, match="shapes"):
        load_model("toy", root=tmp_path)


def test_corrupt_config_raises_clear_error(tmp_path: Path) -> None:
    directory = make_model(tmp_path)
    (directory / "config.json").write_text("{not json")
    with pytest.raises(ModelLoadError, match="not valid JSON"):
        load_model("toy", root=tmp_path)

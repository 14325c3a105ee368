"""The shipped-model format: round trip, checksums (weights, config, extra files), shapes, missing and truncated
files, and the config schema: every kind of damage to a config.json is refused with a plain-words
ModelLoadError before any model code reads a number from it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from explainers import store
from explainers.store import (
    CHECKSUM_KEY,
    SCHEMAS,
    ModelLoadError,
    canonical_sha256,
    load_model,
    read_config,
    reseal,
    save_model,
)

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted(p.parent.name for p in (ROOT / "pretrained").glob("*/config.json"))
TOY_CONFIG = {
    "title": "Toy",
    "architecture": {"kind": "linear"},
    "training": {"seed": 0, "wall_seconds": 0.1},
    "metrics": {"acc": 1.0},
}


def make_model(root: Path, extra_files: dict[str, bytes] | None = None) -> Path:
    tensors = {"layer.weight": torch.arange(12, dtype=torch.float32).reshape(3, 4), "layer.bias": torch.ones(3)}
    return save_model("toy", tensors, TOY_CONFIG, "# Toy\n", root=root, extra_files=extra_files)


def test_round_trip_keeps_tensors_and_records_checksums(tmp_path: Path) -> None:
    make_model(tmp_path, extra_files={"vocab.txt": b"a b c"})
    loaded = load_model("toy", root=tmp_path)
    assert torch.equal(loaded.tensors["layer.weight"], torch.arange(12, dtype=torch.float32).reshape(3, 4))
    config = read_config("toy", root=tmp_path)
    assert len(config["weights"]["sha256"]) == 64
    assert config["weights"]["shapes"] == {"layer.bias": [3], "layer.weight": [3, 4]}
    assert config["weights"]["parameters"] == 15
    assert config["files"]["vocab.txt"]["bytes"] == 5
    assert config[CHECKSUM_KEY] == canonical_sha256(config)
    assert list(config)[-1] == CHECKSUM_KEY  # written last: the file still reads top to bottom
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


def test_an_edited_extra_file_is_caught(tmp_path: Path) -> None:
    directory = make_model(tmp_path, extra_files={"vocab.txt": b"a b c"})
    (directory / "vocab.txt").write_bytes(b"a b d")
    with pytest.raises(ModelLoadError, match="vocab.txt is damaged"):
        load_model("toy", root=tmp_path)


def test_shape_mismatch_is_caught_even_with_a_resealed_config(tmp_path: Path) -> None:
    directory = make_model(tmp_path)
    config = json.loads((directory / "config.json").read_text())
    config["weights"]["shapes"]["layer.bias"] = [4]
    with pytest.raises(ModelLoadError, match="changed after training"):  # hand edit: the checksum catches it
        (directory / "config.json").write_text(json.dumps(config))
        load_model("toy", root=tmp_path)
    (directory / "config.json").write_text(json.dumps(store.seal(config)))  # resealed: the tensors catch it
    with pytest.raises(ModelLoadError, match="shapes"):
        load_model("toy", root=tmp_path)


def test_corrupt_config_raises_clear_error(tmp_path: Path) -> None:
    directory = make_model(tmp_path)
    (directory / "config.json").write_text("{not json")
    with pytest.raises(ModelLoadError, match="not valid JSON"):
        load_model("toy", root=tmp_path)


def test_save_model_refuses_a_config_its_schema_refuses(tmp_path: Path) -> None:
    config = json.loads((ROOT / "pretrained" / "diffusion" / "config.json").read_text())
    config["architecture"]["schedule"]["num_train_timesteps"] = 10**9
    tensors = {"inp.weight": torch.zeros(256, 64)}
    with pytest.raises(ValueError, match="num_train_timesteps"):
        save_model("diffusion", tensors, config, "# card\n", root=tmp_path)
    assert not (tmp_path / "diffusion").exists()  # nothing half-written


# ----------------------------------------------------------------------------- the shipped models


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_model_is_sealed_valid_and_has_a_schema(name: str) -> None:
    assert name in SCHEMAS, (
        f"pretrained/{name} has no config schema: add register_schema({name!r}, ...) at the end of the schema "
        f"section of explainers/store.py (see its docstring)"
    )
    config = read_config(name)  # validates against the schema and checks config_sha256
    assert config[CHECKSUM_KEY] == canonical_sha256(config)
    load_model(name)


# ----------------------------------------------------------------------------- every kind of damage


@pytest.fixture
def shipped_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "pretrained"
    for name in ("gpt", "judge", "vae", "diffusion", "gan_digits"):
        shutil.copytree(ROOT / "pretrained" / name, copy / name)
    return copy


def edit(root: Path, name: str, change: Callable[[dict[str, Any]], None], reseal_after: bool = False) -> None:
    """Change a parsed config and write it back (optionally resealed, as a careless 'fix' would)."""
    path = root / name / "config.json"
    config = json.loads(path.read_text())
    change(config)
    path.write_text(json.dumps(store.seal(config) if reseal_after else config, indent=2))


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(config: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = config
        for key in parents:
            node = node[key]
        node[last] = value

    return change


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def change(config: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = config
        for key in parents:
            node = node[key]
        del node[last]

    return change


# (model, change, resealed, words in the message). Resealed cases show that the schema, not only the checksum,
# refuses them: a config saved by a buggy trainer or "fixed" by hand and resealed is still caught.
DAMAGE = {
    "architecture size, hand edit": ("diffusion", _set("architecture.hidden", 512), False, "does not fit"),
    "architecture size, resealed": ("diffusion", _set("architecture.hidden", 512), True, "does not fit the weights"),
    "absurd num_train_timesteps": (
        "diffusion",
        _set("architecture.schedule.num_train_timesteps", 10**9),
        True,
        "num_train_timesteps is 1000000000, outside",
    ),
    "num_train_timesteps as text": (
        "diffusion",
        _set("architecture.schedule.num_train_timesteps", "200"),
        True,
        "should be a whole number, not text",
    ),
    "unknown beta schedule": ("diffusion", _set("architecture.schedule.beta_schedule", "sigmoid"), True, "one of"),
    "missing metrics key": ("gan_digits", _delete("metrics.rarest_class"), True, "metrics.rarest_class is missing"),
    "missing metrics": ("gan_digits", _delete("metrics"), True, "metrics is missing"),
    "wrong type": ("vae", _set("architecture.latent", True), True, "not true/false"),
    "wrong type, list": ("vae", _set("architecture.hidden", "256,128"), True, "should be a list"),
    "negative size": ("judge", _set("architecture.features", -64), True, "outside the sane range"),
    "fewer channels than weights": ("judge", _set("architecture.channels", [16, 32]), True, "weights hold 3"),
    "gpt heads do not divide the width": ("gpt", _set("architecture.n_head", 5), True, "multiple of n_head"),
    "gpt layers": ("gpt", _set("architecture.n_layer", 3), True, "n_layer"),
    "gpt name head outside the model": ("gpt", _set("metrics.name_head_layer", 9), True, "name_head_layer"),
    "edited title": ("gpt", _set("title", "Huge GPT"), False, "changed after training"),
    "edited metric": ("judge", _set("metrics.heldout_accuracy", 1.0), False, "changed after training"),
    "checksum removed": ("vae", _delete(CHECKSUM_KEY), False, "no checksum"),
    "weights checksum removed": ("vae", _delete("weights.sha256"), True, "weights.sha256 is missing"),
    "wall seconds as text": ("judge", _set("training.wall_seconds", "a minute"), True, "wall_seconds"),
    "unknown weights entry": ("judge", _set("weights.url", "http://example.com/x"), True, "not a known setting"),
    "other model's name": ("vae", _set("name", "judge"), True, "folder"),
}


@pytest.mark.parametrize("case", list(DAMAGE))
def test_each_kind_of_config_damage_is_refused_in_plain_words(shipped_copy: Path, case: str) -> None:
    name, change, reseal_after, words = DAMAGE[case]
    edit(shipped_copy, name, change, reseal_after)
    with pytest.raises(ModelLoadError) as info:
        load_model(name, root=shipped_copy)
    reason = info.value.reason
    assert words in reason, reason
    assert len(reason) < 400 and "Traceback" not in reason


RAW_DAMAGE = {
    "NaN": (lambda text: text.replace('"latent": 2', '"latent": NaN'), "not valid JSON"),
    "infinite float": (lambda text: text.replace('"latent": 2', '"latent": 1e999'), "not valid JSON"),
    "5000-digit integer": (lambda text: text.replace('"latent": 2', '"latent": ' + "9" * 5000), "not valid JSON"),
    "duplicate key": (lambda text: text.replace('"latent": 2', '"latent": 2, "latent": 3'), "not valid JSON"),
    "deep nesting": (lambda text: text.replace('"latent": 2', '"latent": ' + "[" * 100_000 + "]" * 100_000), "JSON"),
    "not an object": (lambda text: "[1, 2, 3]", "the file should be a group of settings"),
    "empty": (lambda text: "", "not valid JSON"),
    "not utf-8": (lambda text: '{"title": "\udcff"}', "not valid JSON"),
    "far too large": (lambda text: text[:-2] + ', "pad": "' + "x" * 2_000_000 + '"}', "far too large"),
}


@pytest.mark.parametrize("case", list(RAW_DAMAGE))
def test_malformed_json_is_refused(shipped_copy: Path, case: str) -> None:
    change, words = RAW_DAMAGE[case]
    path = shipped_copy / "vae" / "config.json"
    path.write_bytes(change(path.read_text()).encode("utf-8", "surrogateescape"))
    with pytest.raises(ModelLoadError, match=words):
        load_model("vae", root=shipped_copy)


def test_an_edited_tokenizer_is_caught(shipped_copy: Path) -> None:
    path = shipped_copy / "gpt" / "tokenizer.json"
    path.write_text(path.read_text().replace('"the"', '"teh"', 1) + " ")
    with pytest.raises(ModelLoadError, match="tokenizer.json is damaged"):
        load_model("gpt", root=shipped_copy)


def test_reseal_accepts_a_deliberate_edit_and_refuses_a_bad_one(shipped_copy: Path) -> None:
    edit(shipped_copy, "judge", _set("metric_notes.heldout_accuracy", "share of held-out digits read correctly"))
    with pytest.raises(ModelLoadError, match="changed after training"):
        load_model("judge", root=shipped_copy)
    reseal("judge", root=shipped_copy)
    assert load_model("judge", root=shipped_copy).config["metric_notes"]["heldout_accuracy"].startswith("share")
    edit(shipped_copy, "judge", _set("architecture.features", 0))
    with pytest.raises(store.SchemaError, match="features"):
        reseal("judge", root=shipped_copy)


def test_a_model_without_a_schema_still_gets_the_common_checks(tmp_path: Path) -> None:
    make_model(tmp_path)
    assert "toy" not in SCHEMAS
    edit(tmp_path, "toy", _set("training.wall_seconds", "slow"), reseal_after=True)
    with pytest.raises(ModelLoadError, match="training.wall_seconds should be a number"):
        load_model("toy", root=tmp_path)

"""Save and load every shipped model: safetensors weights + JSON config + model card.

Loading never unpickles: weights come from safetensors, settings from JSON. Anything wrong raises
ModelLoadError, which the page frame turns into a friendly message with the rebuild command:
- a missing, truncated or altered file (weights, config.json, or a file listed under `files`);
- a config.json that is not strict JSON, breaks its model's schema (a missing key, a wrong type, a size outside
  its sane range, an architecture that does not fit the weights' shapes) or was edited after saving (its
  `config_sha256` covers the whole file).

So a damaged model is refused in milliseconds, before any model code reads a number from it.

Config schemas (how to add one for a new model)
-----------------------------------------------
Every config.json has the common parts (`COMMON`: title, name, training.wall_seconds, data, metrics, ...). The
model-specific parts are a `ModelSchema` in the registry `SCHEMAS`, keyed by the model's name (the folder name
under pretrained/). A new model adds one entry at the end of this file, for example::

    register_schema("fashion_vae", replace(VAE, metrics={"grid_classes_confident": Int(0, 10)}))

reusing a schema of the same kind with `dataclasses.replace`, or building one from `Int`, `Float`, `Bool`,
`Str`, `List`, `Obj` and a `fits(config)` cross-check of architecture against weight shapes. Unknown extra
keys are allowed (checked only for being plain bounded JSON), so a trainer can add a setting without editing
the schema. A model without an entry still gets the common checks and the checksum, and
tests/test_store.py fails until its schema is registered.

Trainers need to do nothing else: `save_model` validates the config against the schema (a trainer bug fails
at save time, not in front of a visitor) and writes `config_sha256`. If you edit a config.json by hand on
purpose, reseal it: `python -m explainers.store --seal <name>` (it validates before sealing).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

REPO_ROOT = Path(__file__).resolve().parent.parent
WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
CARD_FILE = "README.md"
CHECKSUM_KEY = "config_sha256"
MAX_CONFIG_BYTES = 1024 * 1024  # the largest shipped config is about 12 KB


def pretrained_root() -> Path:
    """Where shipped models live; GLASSBOX_PRETRAINED overrides it (tests use this)."""
    return Path(os.environ.get("GLASSBOX_PRETRAINED", REPO_ROOT / "pretrained"))


def rebuild_command(name: str) -> str:
    return f"python -m training {name}"


class ModelLoadError(RuntimeError):
    """A shipped model is missing or damaged. `str()` explains it in plain words."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        self.command = rebuild_command(name)
        super().__init__(f"The '{name}' model could not be loaded: {reason}. Rebuild it with: {self.command}")


@dataclass(frozen=True)
class LoadedModel:
    name: str
    tensors: dict[str, torch.Tensor]
    config: dict[str, Any]
    directory: Path


def model_dir(name: str, root: Path | None = None) -> Path:
    return (root or pretrained_root()) / name


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ----------------------------------------------------------------------------- a small schema language
#
# Hand-written rather than jsonschema: the rules that matter here are ranges and cross-checks against the
# weights (which JSON Schema cannot express), messages must be plain words for the page, and checking a config
# takes well under a millisecond. Each spec checks one value and raises SchemaError with the path to it.


class SchemaError(ValueError):
    """A config value breaks the schema. `str()` names where (e.g. architecture.schedule.num_train_timesteps)."""


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a group of settings"
    return "nothing" if value is None else "an unknown value"


@dataclass(frozen=True)
class Int:
    lo: int
    hi: int

    def check(self, value: Any, path: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SchemaError(f"{path} should be a whole number, not {_kind(value)}")
        if not self.lo <= value <= self.hi:
            shown = str(value) if abs(value) < 10**15 else "a huge number"
            raise SchemaError(f"{path} is {shown}, outside the sane range {self.lo:,} to {self.hi:,}")


@dataclass(frozen=True)
class Float:
    lo: float
    hi: float
    lo_open: bool = False  # True: the value must be strictly above `lo`

    def check(self, value: Any, path: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SchemaError(f"{path} should be a number, not {_kind(value)}")
        if not math.isfinite(value) or not self.lo <= value <= self.hi or (self.lo_open and value == self.lo):
            shown = f"{value:.6g}" if math.isfinite(value) else "not a finite number"
            raise SchemaError(f"{path} is {shown}, outside the sane range {self.lo:g} to {self.hi:g}")


@dataclass(frozen=True)
class Bool:
    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, bool):
            raise SchemaError(f"{path} should be true or false, not {_kind(value)}")


@dataclass(frozen=True)
class Str:
    max_len: int = 2000
    choices: tuple[str, ...] = ()
    pattern: str = ""

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, str):
            raise SchemaError(f"{path} should be text, not {_kind(value)}")
        if len(value) > self.max_len:
            raise SchemaError(f"{path} is {len(value):,} characters long (at most {self.max_len:,})")
        if self.choices and value not in self.choices:
            raise SchemaError(f"{path} should be one of: {', '.join(self.choices)}")
        if self.pattern and not re.fullmatch(self.pattern, value):
            raise SchemaError(f"{path} is not in the expected form")


@dataclass(frozen=True)
class List:
    item: Any
    min_len: int = 0
    max_len: int = 10_000

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, list):
            raise SchemaError(f"{path} should be a list, not {_kind(value)}")
        if not self.min_len <= len(value) <= self.max_len:
            raise SchemaError(f"{path} has {len(value):,} entries (expected {self.min_len} to {self.max_len:,})")
        for i, entry in enumerate(value):
            self.item.check(entry, f"{path}[{i}]")


@dataclass(frozen=True)
class Json:
    """Any plain JSON value, bounded: finite numbers, text up to 5,000 characters, at most 6 levels deep."""

    depth: int = 6

    def check(self, value: Any, path: str) -> None:
        if value is None or isinstance(value, bool | str):
            if isinstance(value, str) and len(value) > 5000:
                raise SchemaError(f"{path} is {len(value):,} characters long (at most 5,000)")
            return
        if isinstance(value, int | float):
            if not math.isfinite(value) or abs(value) > 1e15:
                raise SchemaError(f"{path} is not a sane number")
            return
        if self.depth <= 0:
            raise SchemaError(f"{path} is nested too deeply")
        inner = Json(self.depth - 1)
        if isinstance(value, list):
            if len(value) > 100_000:
                raise SchemaError(f"{path} has too many entries")
            for i, entry in enumerate(value):
                inner.check(entry, f"{path}[{i}]")
            return
        if isinstance(value, dict):
            if len(value) > 10_000:
                raise SchemaError(f"{path} has too many entries")
            for key, entry in value.items():
                inner.check(entry, f"{path}.{key}")
            return
        raise SchemaError(f"{path} is not plain JSON")


@dataclass(frozen=True)
class Obj:
    """A JSON object: `fields` must be present (except those in `optional`); other keys must fit `extra`."""

    fields: Mapping[str, Any] = field(default_factory=dict)
    optional: frozenset[str] = frozenset()
    extra: Any = Json()  # None: unknown keys are refused

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise SchemaError(f"{path or 'the file'} should be {_kind({})}, not {_kind(value)}")
        for key, spec in self.fields.items():
            where = f"{path}.{key}" if path else key
            if key in value:
                spec.check(value[key], where)
            elif key not in self.optional:
                raise SchemaError(f"{where} is missing")
        for key, entry in value.items():
            if key not in self.fields:
                where = f"{path}.{key}" if path else key
                if self.extra is None:
                    raise SchemaError(f"{where} is not a known setting")
                self.extra.check(entry, where)

    def with_fields(self, **fields: Any) -> Obj:
        return replace(self, fields={**self.fields, **fields})


def _optional(**fields: Any) -> Obj:
    return Obj(fields=fields, optional=frozenset(fields))


SHA256 = Str(64, pattern=r"[0-9a-f]{64}")
SIZE = Int(1, 65_536)  # one width, height or channel count of an architecture
LABELS = Int(2, 1000)  # how many classes a model tells apart or draws

# The parts every config has. `metrics` and `architecture` are completed per model by ModelSchema.
COMMON = Obj(
    fields={
        "title": Str(200),
        "name": Str(64, pattern=r"[a-z0-9_]+"),
        "architecture": Obj(),
        "training": _optional(wall_seconds=Float(0, 1e6), seed=Int(0, 2**63 - 1), torch_threads=Int(1, 1024)),
        "data": _optional(description=Str(2000), source=Str(2000)),
        "metrics": Obj(),
        "metric_notes": Obj(extra=Str(2000)),
        "weights": Obj(
            {
                "file": Str(choices=(WEIGHTS_FILE,)),
                "sha256": SHA256,
                "bytes": Int(1, 500 * 1024 * 1024),
                "parameters": Int(1, 100_000_000),
                "shapes": Obj(extra=List(Int(0, 10_000_000), 0, 8)),
            },
            extra=None,
        ),
        "files": Obj(extra=Obj({"sha256": SHA256, "bytes": Int(0, 100 * 1024 * 1024)}, extra=None)),
        CHECKSUM_KEY: SHA256,
    },
    optional=frozenset({"metric_notes", "files", "data"}),
)


@dataclass(frozen=True)
class ModelSchema:
    """What one model's config.json must hold beyond COMMON.

    architecture: its `architecture` object. metrics: metrics the app or the model card reads, with ranges
    (other metrics may be any bounded JSON). fits: cross-check of the config (architecture, metrics and
    weights.shapes together); returns a plain-words problem, or None."""

    architecture: Obj
    metrics: Mapping[str, Any] = field(default_factory=dict)
    fits: Callable[[dict[str, Any]], str | None] | None = None


SCHEMAS: dict[str, ModelSchema] = {}
# (model name, sha256 of the file's bytes) of configs already found valid: checking costs about 1 ms, and the
# model card reads configs on every rerun. The bytes' hash is the key, so any change is checked afresh.
_VALID_CONFIGS: set[tuple[str, str]] = set()


def register_schema(name: str, schema: ModelSchema) -> None:
    """Register (or replace) the schema of the model shipped in pretrained/<name>/."""
    SCHEMAS[name] = schema
    _VALID_CONFIGS.clear()


def schema_for(name: str) -> ModelSchema | None:
    return SCHEMAS.get(name)


def validate_config(name: str, config: Any) -> None:
    """Check a parsed config against COMMON and its model's schema. Raises SchemaError (plain words)."""
    schema = schema_for(name)
    spec = COMMON
    if schema is not None:
        spec = COMMON.with_fields(
            architecture=schema.architecture,
            metrics=Obj(fields=dict(schema.metrics), extra=Json()),
        )
    spec.check(config, "")
    if config["name"] != name:
        raise SchemaError(f"name says {config['name']!r} but the folder is {name!r}")
    if schema is not None and schema.fits is not None:
        problem = schema.fits(config)
        if problem:
            raise SchemaError(problem)


def canonical_sha256(config: dict[str, Any]) -> str:
    """The checksum of a config: sha256 of its canonical JSON (sorted keys, no spaces) without CHECKSUM_KEY."""
    body = {k: v for k, v in config.items() if k != CHECKSUM_KEY}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    return sha256_bytes(text.encode("ascii"))


# ----------------------------------------------------------------------------- cross-checks with the weights


def _shapes(config: dict[str, Any]) -> dict[str, list[int]]:
    return config["weights"]["shapes"]


def _expect(config: dict[str, Any], expected: Mapping[str, list[int]]) -> str | None:
    """None if every named tensor has the expected shape, else a plain-words mismatch."""
    shapes = _shapes(config)
    for tensor, shape in expected.items():
        if shapes.get(tensor) != list(shape):
            found = shapes.get(tensor)
            return f"the architecture does not fit the weights ({tensor}: expected {list(shape)}, found {found})"
    return None


def _count(config: dict[str, Any], prefix: str) -> int:
    """How many numbered sub-layers `prefix.<i>.` the weights hold (e.g. blocks.0., blocks.1.)."""
    pattern = re.compile(re.escape(prefix) + r"\.(\d+)\.")
    return len({int(m.group(1)) for key in _shapes(config) if (m := pattern.match(key))})


def _gpt_fits(config: dict[str, Any]) -> str | None:
    a, m = config["architecture"], config["metrics"]
    if a["n_embd"] % a["n_head"]:
        return f"architecture.n_embd ({a['n_embd']}) is not a multiple of n_head ({a['n_head']})"
    if _count(config, "blocks") != a["n_layer"]:
        return f"architecture.n_layer is {a['n_layer']} but the weights hold {_count(config, 'blocks')} layers"
    if not (m["name_head_layer"] <= a["n_layer"] and m["name_head_head"] <= a["n_head"]):
        return "metrics.name_head_layer / name_head_head point outside the model"
    e = a["n_embd"]
    return _expect(
        config,
        {
            "wte.weight": [a["vocab_size"], e],
            "wpe.weight": [a["block_size"], e],
            "blocks.0.attn.c_attn.weight": [3 * e, e],
            "ln_f.weight": [e],
        },
    )


def _rnn_fits(config: dict[str, Any]) -> str | None:
    a = config["architecture"]
    e, h, last = a["n_embd"], a["n_hidden"], a["n_layer"] - 1
    gates = 4 * h if a.get("cell", "lstm") == "lstm" else 3 * h  # LSTM: 4 gates; GRU: 3
    if f"lstm.weight_hh_l{last + 1}" in _shapes(config):
        return f"architecture.n_layer is {a['n_layer']} but the weights hold more layers"
    return _expect(
        config, {"wte.weight": [a["vocab_size"], e], "proj.weight": [e, h], f"lstm.weight_hh_l{last}": [gates, h]}
    )


def _judge_fits(config: dict[str, Any]) -> str | None:
    a = config["architecture"]
    channels = a["channels"]
    convs = len({key.split(".")[0] for key in _shapes(config) if re.fullmatch(r"conv\d+\.weight", key)})
    if convs != len(channels):
        return f"architecture.channels lists {len(channels)} convolutions but the weights hold {convs}"
    pool_after = a.get("pool_after", [False, True, True])
    if len(pool_after) != len(channels):
        return "architecture.pool_after needs one entry per entry of channels"
    side = a.get("image_size", 8)
    expected: dict[str, list[int]] = {}
    previous = 1
    for i, (c, pool) in enumerate(zip(channels, pool_after, strict=True)):
        expected[f"conv{i + 1}.weight"] = [c, previous, 3, 3]
        previous, side = c, (side // 2 if pool else side)
    if side < 1:
        return "architecture.pool_after shrinks the picture to nothing"
    expected["fc.weight"] = [a["features"], previous * side * side]
    expected["head.weight"] = [a["num_classes"], a["features"]]
    return _expect(config, expected)


def _square_side(pixels: int) -> int | None:
    side = math.isqrt(pixels)
    return side if side * side == pixels else None


def _vae_fits(config: dict[str, Any]) -> str | None:
    a = config["architecture"]
    if _square_side(a["pixels"]) is None:
        return f"architecture.pixels ({a['pixels']}) is not a square picture"
    h1, h2 = a["hidden"]
    return _expect(
        config,
        {
            "enc1.weight": [h1, a["pixels"]],
            "enc2.weight": [h2, h1],
            "fc_mu.weight": [a["latent"], h2],
            "fc_logvar.weight": [a["latent"], h2],
            "dec1.weight": [h2, a["latent"]],
            "dec3.weight": [a["pixels"], h1],
        },
    )


def _diffusion_fits(config: dict[str, Any]) -> str | None:
    a = config["architecture"]
    if _square_side(a["pixels"]) is None:
        return f"architecture.pixels ({a['pixels']}) is not a square picture"
    if a["null_class"] != a["num_classes"]:
        return "architecture.null_class should be the label after the last class (= num_classes)"
    s = a["schedule"]
    if s["beta_schedule"] == "linear" and not s["beta_start"] < s["beta_end"]:
        return "architecture.schedule.beta_start should be below beta_end"
    if _count(config, "blocks") != a["blocks"]:
        return f"architecture.blocks is {a['blocks']} but the weights hold {_count(config, 'blocks')} blocks"
    hidden = a["hidden"]
    return _expect(
        config,
        {
            "inp.weight": [hidden, a["pixels"]],
            "out.weight": [a["pixels"], hidden],
            "label_emb.weight": [a["num_classes"] + 1, hidden],
            "time_mlp.0.weight": [hidden, a["time_dim"]],
            "blocks.0.fc1.weight": [hidden, hidden],
        },
    )


def _gan_fits(config: dict[str, Any]) -> str | None:
    a = config["architecture"]
    if a["image_size"] ** 2 != a["data_dim"]:
        return "architecture.data_dim should be image_size x image_size"
    g, d = a["g_hidden"], a["d_hidden"]
    shapes = _shapes(config)
    snapshot_steps = shapes.get("snapshots.step", [0])[0]
    expected = {
        "generator.net.0.weight": [g[0], a["z_dim"]],
        f"generator.net.{2 * len(g)}.weight": [a["data_dim"], g[-1]],
        "discriminator.first.weight": [d[0], a["data_dim"]],
        "snapshots.images": [snapshot_steps, shapes.get("snapshots.noise", [0])[0], a["image_size"], a["image_size"]],
        "snapshots.noise": [shapes.get("snapshots.noise", [0])[0], a["z_dim"]],
    }
    if not 1 <= snapshot_steps <= 1000:
        return "the weights hold no training snapshots"
    return _expect(config, expected)


def _unet_fits(config: dict[str, Any]) -> str | None:
    a = config["architecture"]
    channels, down, up = a["channels"], a["down_blocks"], a["up_blocks"]
    levels = len(channels)
    if len(down) != levels or len(up) != levels:
        return "architecture.down_blocks and up_blocks need one count per entry of channels"
    if a["image_size"] % (2 ** (levels - 1)):
        return f"architecture.image_size ({a['image_size']}) cannot be halved {levels - 1} times"
    shapes = _shapes(config)
    for stage, counts in (("down", list(down)), ("up", list(reversed(up)))):  # up runs deepest level first
        for i, n in enumerate(counts):
            held = _count(config, f"{stage}.{i}")
            if held != n:
                return f"architecture.{stage}_blocks asks for {n} blocks at level {i}, the weights hold {held}"
    if f"pool.{levels - 1}.weight" in shapes:
        return "the weights hold more levels than architecture.channels lists"
    return _expect(
        config,
        {
            "stem.weight": [channels[0], 1, 3, 3],
            "out.weight": [1, channels[0], 3, 3],
            "label_emb.weight": [a["num_classes"] + 1, a["cond_dim"]],
            "time_mlp.0.weight": [a["cond_dim"], a["time_dim"]],
        },
    )


SCHEDULE = Obj(
    {
        # The page computes the schedule and may run every step: 1,000 is the DDPM paper's length.
        "num_train_timesteps": Int(2, 1000),
        "beta_schedule": Str(choices=("cosine", "linear")),
        "beta_start": Float(0, 0.5, lo_open=True),
        "beta_end": Float(0, 0.999, lo_open=True),
        "cosine_s": Float(0, 1),
        "max_beta": Float(0, 0.999, lo_open=True),
        "clip_sample": Bool(),
    }
)

GPT = ModelSchema(
    architecture=Obj(
        {
            "type": Str(choices=("gpt",)),
            "vocab_size": Int(2, 65_536),
            "block_size": Int(8, 4096),
            "n_layer": Int(1, 24),
            "n_head": Int(1, 32),
            "n_embd": Int(8, 2048),
        },
        optional=frozenset({"type"}),
    ),
    metrics={
        "name_head_layer": Int(1, 24),
        "name_head_head": Int(1, 32),
        "name_head_mean_weight": Float(0, 1),
        "cross_entropy_ratio": Float(0, 100, lo_open=True),
    },
    fits=_gpt_fits,
)

RNN = ModelSchema(
    architecture=Obj(
        {
            "type": Str(choices=("rnn",)),
            "cell": Str(choices=("lstm", "gru")),
            "vocab_size": Int(2, 65_536),
            "n_embd": Int(8, 2048),
            "n_hidden": Int(8, 4096),
            "n_layer": Int(1, 8),
            "block_size": Int(8, 4096),
        },
        optional=frozenset({"type", "cell"}),
    ),
    fits=_rnn_fits,
)

JUDGE = ModelSchema(
    architecture=Obj(
        {
            "channels": List(SIZE, 1, 6),
            "features": Int(1, 4096),
            "num_classes": LABELS,
            "image_size": Int(4, 128),
            "pool_after": List(Bool(), 1, 6),
            "batch_norm": Bool(),
        },
        optional=frozenset({"image_size", "pool_after", "batch_norm"}),
    ),
    metrics={"heldout_accuracy": Float(0, 1), "frechet_real_vs_real": Float(0, 1e6)},
    fits=_judge_fits,
)

VAE = ModelSchema(
    architecture=Obj({"hidden": List(Int(1, 4096), 2, 2), "latent": Int(1, 64), "pixels": Int(4, 16_384)}),
    metrics={"grid_classes_confident": Int(0, 1000)},
    fits=_vae_fits,
)

DIFFUSION = ModelSchema(
    architecture=Obj(
        {
            "pixels": Int(4, 16_384),
            "hidden": Int(8, 4096),
            "blocks": Int(1, 16),
            "time_dim": Int(2, 1024),
            "num_classes": LABELS,
            "null_class": LABELS,
            "schedule": SCHEDULE,
            "default_guidance": Float(0, 20),
            "prediction": Str(choices=("epsilon",)),
        },
        optional=frozenset({"default_guidance", "prediction"}),
    ),
    metrics={"conditional_accuracy": Float(0, 1), "frechet_ddpm": Float(0, 1e6)},
    fits=_diffusion_fits,
)

UNET_DIFFUSION = ModelSchema(  # explainers/unet.py: the clothes' denoiser
    architecture=Obj(
        {
            "kind": Str(choices=("unet",)),
            "image_size": Int(4, 128),
            "channels": List(Int(1, 1024), 1, 5),
            "down_blocks": List(Int(0, 8), 1, 5),
            "up_blocks": List(Int(0, 8), 1, 5),
            "time_dim": Int(2, 1024),
            "cond_dim": Int(2, 4096),
            "num_classes": LABELS,
            "null_class": LABELS,
            "schedule": SCHEDULE,
            "default_guidance": Float(0, 20),
            "prediction": Str(choices=("epsilon",)),
        },
        optional=frozenset({"null_class", "default_guidance", "prediction"}),
    ),
    fits=_unet_fits,
)

GAN_DIGITS = ModelSchema(
    architecture=Obj(
        {
            "z_dim": Int(1, 1024),
            "g_hidden": List(Int(1, 4096), 1, 6),
            "d_hidden": List(Int(1, 4096), 1, 6),
            "data_dim": Int(4, 16_384),
            "squash": Bool(),
            "minibatch_std": Bool(),
            "image_size": Int(2, 128),
        },
        optional=frozenset({"squash", "minibatch_std"}),
    ),
    # pages/5_GAN.py quotes these four under the replay.
    metrics={
        "rarest_class": Int(0, 999),
        "min_class_share": Float(0, 1),
        "frechet_to_heldout": Float(0, 1e6),
        "frechet_real_vs_real": Float(0, 1e6),
    },
    fits=_gan_fits,
)

register_schema("gpt", GPT)
register_schema("rnn", RNN)
register_schema("judge", JUDGE)
register_schema("vae", VAE)
register_schema("diffusion", DIFFUSION)
register_schema("gan_digits", GAN_DIGITS)
# Clothes (issue 14), registered ahead of their first training run; their owners may tighten `metrics`.
register_schema("fashion_judge", JUDGE)
register_schema("fashion_vae", replace(VAE, metrics={}))
register_schema("fashion_diffusion", UNET_DIFFUSION)
register_schema("fashion_diffusion_tiny", UNET_DIFFUSION)


def _conv_gan_fits(config: dict[str, Any]) -> str | None:
    """explainers/gan_images.py: the clothes GAN (transposed-conv forger, strided-conv detective)."""
    a = config["architecture"]
    (c0, c1, c2), (d1, d2), side = a["g_channels"], a["d_channels"], a["image_size"] // 4
    shapes = _shapes(config)
    frames, shown = shapes.get("snapshots.images", [0, 0])[:2]
    if not 1 <= frames <= 1000:
        return "the weights hold no training snapshots"
    extra = 1 if a.get("minibatch_std", True) else 0
    return _expect(
        config,
        {
            "generator.fc.weight": [c0 * side * side, a["z_dim"]],
            "generator.up1.weight": [c0, c1, 4, 4],
            "generator.up2.weight": [c1, c2, 4, 4],
            "generator.out.weight": [1, c2, 3, 3],
            "discriminator.conv1.weight": [d1, 1, 4, 4],
            "discriminator.conv2.weight": [d2, d1, 4, 4],
            "discriminator.fc.weight": [1, (d2 + extra) * side * side],
            "snapshots.images": [frames, shown, a["image_size"], a["image_size"]],
            "snapshots.noise": [shown, a["z_dim"]],
        },
    )


CONV_GAN = ModelSchema(
    architecture=Obj(
        {
            "kind": Str(choices=("conv",)),
            "z_dim": Int(1, 1024),
            "g_channels": List(Int(1, 1024), 3, 3),
            "d_channels": List(Int(1, 1024), 2, 2),
            "image_size": Int(8, 128),
            "minibatch_std": Bool(),
        },
        optional=frozenset({"minibatch_std"}),
    ),
    metrics={"rarest_class": Int(0, 999), "min_class_share": Float(0, 1), "frechet_to_heldout": Float(0, 1e6)},
    fits=_conv_gan_fits,
)
register_schema("fashion_gan", CONV_GAN)
# Text models of issues 16 and 17: the doctor-world GPTs are GPTs; the n-gram model is a table of word-pair counts.
register_schema("bias_skewed", GPT)
register_schema("bias_balanced", GPT)
# The hallucination demo's GPT (Limits page): the page reads these measurements of it and of the base GPT.
register_schema(
    "fact_gaps",
    replace(
        GPT,
        metrics=dict(GPT.metrics)
        | {
            f"{who}{kind}_{m}": Float(0, 1)
            for who in ("", "gpt_")
            for kind in ("friend", "toy")
            for m in ("present_mean_p_right", "cut_mean_p_top", "cut_mean_p_right", "cut_greedy_names_one")
        }
        | {f"{who}{c}_calibration_error": Float(0, 1) for who in ("", "gpt_") for c in ("fact", "next_word")}
        | {"heldout_stories": Int(1, 100_000), "p_gap": Float(0, 1)},
    ),
)
register_schema(
    "ngram",
    ModelSchema(
        architecture=Obj(
            {"type": Str(choices=("ngram",)), "orders": List(Int(1, 5), 1, 5), "vocab": List(Str(100), 4, 5000)}
        ),
        fits=lambda c: _expect(c, {"bigram_counts": [len(c["architecture"]["vocab"])] * 2}),
    ),
)


# ----------------------------------------------------------------------------- reading, saving, loading


class _JsonRuleError(ValueError):
    """Strict-JSON rule broken; `str()` is plain words."""


def _reject_constant(token: str) -> Any:
    raise _JsonRuleError(f"{token} is not a number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _JsonRuleError("a number is too large")
    return value


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _JsonRuleError("a key appears twice")
    return result


def parse_config(text: str) -> Any:
    """Strict JSON: no NaN/Infinity, no overflowing numbers, no repeated keys. Raises ValueError."""
    try:
        return json.loads(
            text,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
            object_pairs_hook=_no_duplicate_keys,
        )
    except RecursionError as exc:  # absurdly deep nesting
        raise _JsonRuleError("it is nested too deeply") from exc


def read_config(name: str, root: Path | None = None) -> dict[str, Any]:
    """Read, validate and checksum-verify a model's config.json. Raises ModelLoadError on any problem.

    Returns a fresh dict on every call (callers may keep or change it)."""
    path = model_dir(name, root) / CONFIG_FILE
    if not path.is_file():
        raise ModelLoadError(name, f"its settings file {path.name} is missing")
    if path.stat().st_size > MAX_CONFIG_BYTES:
        raise ModelLoadError(name, f"its settings file {path.name} is far too large")
    raw = path.read_bytes()
    try:
        config = parse_config(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        # ValueError covers json.JSONDecodeError and Python's limit on digits in an integer.
        if isinstance(exc, json.JSONDecodeError | _JsonRuleError):
            reason = str(exc).splitlines()[0][:120]
        elif isinstance(exc, UnicodeDecodeError):
            reason = "it is not UTF-8 text"
        else:
            reason = "a number has too many digits"  # Python refuses to parse integers over 4,300 digits
        raise ModelLoadError(name, f"its settings file {path.name} is not valid JSON ({reason})") from exc
    key = (name, sha256_bytes(raw))
    if key in _VALID_CONFIGS:
        return config
    if isinstance(config, dict) and CHECKSUM_KEY not in config:
        raise ModelLoadError(
            name,
            f"its settings file {path.name} has no checksum (saved before checksums were added, or the entry "
            f"was deleted). Retrain it, or check it and run: python -m explainers.store --seal {name}",
        )
    try:
        validate_config(name, config)
    except SchemaError as exc:
        raise ModelLoadError(name, f"its settings file {path.name} is damaged: {exc}") from exc
    if config[CHECKSUM_KEY] != canonical_sha256(config):
        raise ModelLoadError(name, f"its settings file {path.name} was changed after training (checksum mismatch)")
    if len(_VALID_CONFIGS) > 256:
        _VALID_CONFIGS.clear()
    _VALID_CONFIGS.add(key)
    return config


def seal(config: dict[str, Any]) -> dict[str, Any]:
    """The config with a fresh `config_sha256` (placed last, so the file still reads top to bottom)."""
    body = {k: v for k, v in config.items() if k != CHECKSUM_KEY}
    return {**body, CHECKSUM_KEY: canonical_sha256(body)}


def _dump(config: dict[str, Any]) -> str:
    return json.dumps(config, indent=2, sort_keys=False, allow_nan=False) + "\n"


def save_model(
    name: str,
    tensors: dict[str, torch.Tensor],
    config: dict[str, Any],
    card: str,
    root: Path | None = None,
    extra_files: dict[str, bytes] | None = None,
) -> Path:
    """Write weights, config (checksums, shapes and the config's own checksum filled in) and model card.

    The config is validated against its schema first: a config the app would refuse is never written."""
    from safetensors.torch import save as save_safetensors_bytes

    from explainers.storage import stored_parameters

    contiguous = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    blob = save_safetensors_bytes(contiguous)
    config = dict(config)
    config["name"] = name
    config["weights"] = {
        "file": WEIGHTS_FILE,
        "sha256": sha256_bytes(blob),
        "bytes": len(blob),
        "parameters": stored_parameters(contiguous),
        "shapes": {k: list(v.shape) for k, v in sorted(contiguous.items())},
    }
    if extra_files:
        config["files"] = {f: {"sha256": sha256_bytes(d), "bytes": len(d)} for f, d in sorted(extra_files.items())}
    config = seal(config)
    try:
        validate_config(name, config)
    except SchemaError as exc:
        raise ValueError(f"refusing to save {name}: its config breaks its schema ({exc})") from exc
    directory = model_dir(name, root)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / WEIGHTS_FILE).write_bytes(blob)
    for filename, data in (extra_files or {}).items():
        (directory / filename).write_bytes(data)
    (directory / CONFIG_FILE).write_text(_dump(config))
    (directory / CARD_FILE).write_text(card)
    return directory


def load_model(name: str, root: Path | None = None) -> LoadedModel:
    """Read and verify a shipped model. Raises ModelLoadError on any problem."""
    directory = model_dir(name, root)
    config = read_config(name, root)
    weights = config["weights"]
    path = directory / weights["file"]
    if not path.is_file():
        raise ModelLoadError(name, f"the weights file {path.name} is missing")
    blob = path.read_bytes()
    if sha256_bytes(blob) != weights["sha256"]:
        raise ModelLoadError(
            name, f"the weights file {path.name} is damaged or incomplete (checksum mismatch, {len(blob):,} bytes)"
        )
    for filename, entry in config.get("files", {}).items():
        extra = directory / filename
        if extra.name != filename or not extra.is_file():
            raise ModelLoadError(name, f"its file {extra.name} is missing")
        if sha256_bytes(extra.read_bytes()) != entry["sha256"]:
            raise ModelLoadError(name, f"its file {extra.name} is damaged or was changed (checksum mismatch)")
    # torch is imported here, not at module level: the landing page reads configs only and starts faster.
    from safetensors import SafetensorError
    from safetensors.torch import load as load_safetensors_bytes

    try:
        tensors = load_safetensors_bytes(blob)
    except (SafetensorError, ValueError) as exc:
        raise ModelLoadError(name, f"the weights file {path.name} cannot be read ({exc})") from exc
    expected = {k: list(v) for k, v in weights["shapes"].items()}
    actual = {k: list(v.shape) for k, v in tensors.items()}
    if expected != actual:
        wrong = sorted(k for k in set(expected) | set(actual) if expected.get(k) != actual.get(k))
        raise ModelLoadError(name, f"tensor shapes do not match its config ({', '.join(wrong[:3])})")
    from explainers.storage import dequantize

    try:
        tensors = dequantize(tensors)  # 8-bit weight matrices back to float32 (explainers/storage.py)
    except ValueError as exc:
        raise ModelLoadError(name, f"the weights file {path.name} cannot be read ({exc})") from exc
    return LoadedModel(name=name, tensors=tensors, config=config, directory=directory)


def count_parameters(module: torch.nn.Module) -> int:
    return int(sum(p.numel() for p in module.parameters()))


def reseal(name: str, root: Path | None = None, record_files: tuple[str, ...] = ()) -> str:
    """Recompute the checksum of an existing config.json (after a deliberate hand edit, or to seal a config
    written before checksums existed), optionally recording extra files' checksums. Validates first; the
    weights' checksum must still match. Returns the new checksum. Never retrains anything."""
    directory = model_dir(name, root)
    path = directory / CONFIG_FILE
    config = parse_config(path.read_text())
    if not isinstance(config, dict):
        raise ValueError(f"{path} does not hold a JSON object")
    files = dict(config.get("files", {}))
    for filename in record_files:
        data = (directory / filename).read_bytes()
        files[filename] = {"sha256": sha256_bytes(data), "bytes": len(data)}
    if files:
        config["files"] = dict(sorted(files.items()))
    config = seal(config)
    validate_config(name, config)
    path.write_text(_dump(config))
    load_model(name, root)  # the weights still match and everything reads back
    return config[CHECKSUM_KEY]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m explainers.store", description="Check or reseal shipped models' config.json files."
    )
    parser.add_argument("names", nargs="*", help="model names (default: every folder under pretrained/)")
    parser.add_argument("--seal", action="store_true", help="recompute config_sha256 after validating")
    parser.add_argument("--record-file", action="append", default=[], help="also record this file's checksum")
    args = parser.parse_args(argv)
    names = args.names or sorted(p.parent.name for p in pretrained_root().glob(f"*/{CONFIG_FILE}"))
    for name in names:
        if args.seal:
            print(f"{name}: sealed {reseal(name, record_files=tuple(args.record_file))}")
        else:
            try:
                load_model(name)
                print(f"{name}: ok" + ("" if name in SCHEMAS else " (no model-specific schema registered)"))
            except ModelLoadError as error:
                print(f"{name}: {error.reason}")


if __name__ == "__main__":
    main()

"""Save and load every shipped model: safetensors weights + JSON config + model card.

Loading never unpickles: weights come from safetensors, settings from JSON. Anything
wrong (missing file, truncated file, checksum or shape mismatch) raises ModelLoadError,
which the page frame turns into a friendly message with the rebuild command.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

REPO_ROOT = Path(__file__).resolve().parent.parent
WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
CARD_FILE = "README.md"


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


def save_model(
    name: str,
    tensors: dict[str, torch.Tensor],
    config: dict[str, Any],
    card: str,
    root: Path | None = None,
    extra_files: dict[str, bytes] | None = None,
) -> Path:
    """Write weights, config (with checksum and shapes filled in) and model card."""
    directory = model_dir(name, root)
    directory.mkdir(parents=True, exist_ok=True)
    from safetensors.torch import save as save_safetensors_bytes

    contiguous = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    blob = save_safetensors_bytes(contiguous)
    (directory / WEIGHTS_FILE).write_bytes(blob)
    config = dict(config)
    config["name"] = name
    config["weights"] = {
        "file": WEIGHTS_FILE,
        "sha256": sha256_bytes(blob),
        "bytes": len(blob),
        "parameters": int(sum(t.numel() for t in contiguous.values())),
        "shapes": {k: list(v.shape) for k, v in sorted(contiguous.items())},
    }
    for filename, data in (extra_files or {}).items():
        (directory / filename).write_bytes(data)
    (directory / CONFIG_FILE).write_text(json.dumps(config, indent=2, sort_keys=False) + "\n")
    (directory / CARD_FILE).write_text(card)
    return directory


def read_config(name: str, root: Path | None = None) -> dict[str, Any]:
    path = model_dir(name, root) / CONFIG_FILE
    if not path.is_file():
        raise ModelLoadError(name, f"its settings file {path.name} is missing")
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelLoadError(name, f"its settings file {path.name} is not valid JSON ({exc})") from exc


def load_model(name: str, root: Path | None = None) -> LoadedModel:
    """Read and verify a shipped model. Raises ModelLoadError on any problem."""
    directory = model_dir(name, root)
    config = read_config(name, root)
    weights = config.get("weights")
    if not isinstance(weights, dict) or "sha256" not in weights or "shapes" not in weights:
        raise ModelLoadError(name, "its config.json has no weights checksum")
    path = directory / weights.get("file", WEIGHTS_FILE)
    if not path.is_file():
        raise ModelLoadError(name, f"the weights file {path.name} is missing")
    blob = path.read_bytes()
    if sha256_bytes(blob) != weights["sha256"]:
        raise ModelLoadError(
            name, f"the weights file {path.name} is damaged or incomplete (checksum mismatch, {len(blob):,} bytes)"
        )
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
    return LoadedModel(name=name, tensors=tensors, config=config, directory=directory)


def count_parameters(module: torch.nn.Module) -> int:
    return int(sum(p.numel() for p in module.parameters()))

"""How shipped weights are stored on disk: 8-bit weight matrices, everything else as trained.

A weight matrix (or convolution kernel) is stored as int8 with one float32 scale per output row, the symmetric
per-channel scheme of LLM.int8() and PyTorch's own per-channel quantization: row r holds round(w / s_r) with
s_r = max|w_r| / 127, so every weight is within s_r / 2 of its trained value. Vectors (biases, norms) and
small tensors stay as they are. On load the matrices are turned back into float32 and the networks run in float32
as before; only the disk (and download) size changes, about 4x for float32 weights.

A trainer stores with `int8_storage` and then measures the network *after* `dequantize` (the round trip), so the
numbers on a model's card are the shipped model's own.
"""

from __future__ import annotations

import torch

SCALE_SUFFIX = ".int8_scale"  # the companion tensor holding a quantized tensor's per-row scales
MIN_ELEMENTS = 256  # smaller tensors gain nothing worth a scale vector
INT8_STORAGE = "int8 weight matrices with float32 per-row scales (explainers/storage.py); other tensors float32"


def quantizable(t: torch.Tensor) -> bool:
    return t.is_floating_point() and t.dim() >= 2 and t.numel() >= MIN_ELEMENTS


def int8_storage(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Weight matrices as int8 plus per-row scales; every other tensor unchanged."""
    stored: dict[str, torch.Tensor] = {}
    for name, t in tensors.items():
        t = t.detach()
        if name.endswith(SCALE_SUFFIX):
            raise ValueError(f"tensor name {name!r} ends with the reserved {SCALE_SUFFIX!r}")
        if not quantizable(t):
            stored[name] = t
            continue
        rows = t.float().reshape(t.shape[0], -1)  # (out, everything else)
        scale = rows.abs().amax(dim=1) / 127.0
        scale = torch.where(scale > 0, scale, torch.ones_like(scale))  # an all-zero row stays exactly zero
        stored[name] = torch.round(rows / scale[:, None]).clamp(-127, 127).to(torch.int8).reshape(t.shape)
        stored[name + SCALE_SUFFIX] = scale
    return stored


def dequantize(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The float32 tensors `int8_storage` stored (other tensors unchanged). Raises ValueError on a scale whose
    tensor is missing or does not fit."""
    out: dict[str, torch.Tensor] = {}
    for name, t in tensors.items():
        if name.endswith(SCALE_SUFFIX):
            continue
        scale = tensors.get(name + SCALE_SUFFIX)
        if scale is None:
            out[name] = t
            continue
        if t.dtype != torch.int8 or scale.dim() != 1 or t.dim() < 2 or scale.shape[0] != t.shape[0]:
            raise ValueError(f"{name}: its int8 scales do not fit it")
        out[name] = (t.float().reshape(t.shape[0], -1) * scale.float()[:, None]).reshape(t.shape)
    orphans = [n for n in tensors if n.endswith(SCALE_SUFFIX) and n[: -len(SCALE_SUFFIX)] not in tensors]
    if orphans:
        raise ValueError(f"{orphans[0]}: scales without their tensor")
    return out


def stored_parameters(tensors: dict[str, torch.Tensor]) -> int:
    """The network's parameter count (scales are not parameters)."""
    return int(sum(t.numel() for n, t in tensors.items() if not n.endswith(SCALE_SUFFIX)))

"""A tiny decoder-only transformer in the nanoGPT/minGPT style, with explicit attention.

`forward(idx, return_attention=True)` returns the logits at every position and every layer's
and head's attention weights, shape (B, n_layer, n_head, T, T). Without it the same weights
run through PyTorch's fused attention (faster for training); a test checks both paths agree.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass(frozen=True)
class GPTConfig:
    vocab_size: int = 512
    block_size: int = 256
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


class CausalSelfAttention(nn.Module):
    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        assert cfg.n_embd % cfg.n_head == 0
        self.n_head = cfg.n_head
        self.c_attn = nn.Linear(cfg.n_embd, 3 * cfg.n_embd)  # query, key, value for all heads at once
        self.c_proj = nn.Linear(cfg.n_embd, cfg.n_embd)

    def forward(self, x: torch.Tensor, explicit: bool) -> tuple[torch.Tensor, torch.Tensor | None]:
        B, T, C = x.shape
        hs = C // self.n_head
        q, k, v = self.c_attn(x).split(C, dim=2)
        q = q.view(B, T, self.n_head, hs).transpose(1, 2)  # (B, nh, T, hs)
        k = k.view(B, T, self.n_head, hs).transpose(1, 2)  # (B, nh, T, hs)
        v = v.view(B, T, self.n_head, hs).transpose(1, 2)  # (B, nh, T, hs)
        if explicit:
            # Scores: how well each query matches each key, scaled so softmax does not saturate.
            att = (q @ k.transpose(-2, -1)) / math.sqrt(hs)  # (B, nh, T, T)
            causal = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
            att = att.masked_fill(~causal, float("-inf"))  # a word may not look at later words
            att = F.softmax(att, dim=-1)  # each row sums to 1
            y = att @ v  # (B, nh, T, hs)
        else:
            att = None
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # (B, nh, T, hs)
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # (B, T, C): heads side by side again
        return self.c_proj(y), att


class Block(nn.Module):
    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(cfg.n_embd)
        self.attn = CausalSelfAttention(cfg)
        self.ln_2 = nn.LayerNorm(cfg.n_embd)
        self.mlp = nn.Sequential(
            nn.Linear(cfg.n_embd, 4 * cfg.n_embd), nn.GELU(), nn.Linear(4 * cfg.n_embd, cfg.n_embd)
        )

    def forward(self, x: torch.Tensor, explicit: bool) -> tuple[torch.Tensor, torch.Tensor | None]:
        a, att = self.attn(self.ln_1(x), explicit)
        x = x + a  # residual stream: each block adds to it
        x = x + self.mlp(self.ln_2(x))
        return x, att


class GPT(nn.Module):
    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.wte = nn.Embedding(cfg.vocab_size, cfg.n_embd)  # token embeddings
        self.wpe = nn.Embedding(cfg.block_size, cfg.n_embd)  # position embeddings
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.ln_f = nn.LayerNorm(cfg.n_embd)
        self.apply(self._init_weights)
        for name, p in self.named_parameters():  # GPT-2: scale residual projections by depth
            if name.endswith("c_proj.weight") or name.endswith("mlp.2.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * cfg.n_layer))

    @staticmethod
    def _init_weights(m: nn.Module) -> None:
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)

    def forward(self, idx: torch.Tensor, return_attention: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
        """idx (B, T) token ids -> logits (B, T, vocab) and, if asked, attention (B, layers, heads, T, T)."""
        B, T = idx.shape
        if self.cfg.block_size < T:
            raise ValueError(f"at most {self.cfg.block_size} tokens, got {T}")
        pos = torch.arange(T, device=idx.device)
        x = self.wte(idx) + self.wpe(pos)  # (B, T, C)
        maps = []
        for block in self.blocks:
            x, att = block(x, explicit=return_attention)
            maps.append(att)
        logits = self.ln_f(x) @ self.wte.weight.T  # (B, T, vocab): output layer shares the embedding
        attention = torch.stack(maps, dim=1) if return_attention else None  # (B, nl, nh, T, T)
        return logits, attention


def build_gpt(architecture: dict, tensors: dict[str, torch.Tensor] | None = None) -> GPT:
    """Build from config["architecture"]; load weights if given. Always in eval mode."""
    keys = GPTConfig.__dataclass_fields__.keys()
    model = GPT(GPTConfig(**{k: int(architecture[k]) for k in keys}))
    if tensors is not None:
        model.load_state_dict(tensors, strict=True)
    return model.eval()

"""The training loop shared by the story models trained after the GPT (the RNN and the bias models).

Any model whose `forward(idx)` returns `(logits, _)` trains here on whole stories: batches of
stories of similar length (little padding), AdamW, warm-up then cosine decay to a tenth, clipped
gradients, one torch thread (bit-identical results on any machine).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from tokenizers import Tokenizer

from explainers.store import ModelLoadError, pretrained_root
from explainers.tokenizer import load_tokenizer
from training.runner import progress


@dataclass(frozen=True)
class LoopSettings:
    steps: int
    lr: float
    warmup: int = 100
    batch_stories: int = 32
    weight_decay: float = 0.1
    clip: float = 1.0


def story_batches(lengths: list[int], batch: int, rng: random.Random) -> Iterator[list[int]]:
    """Endless batches of story indices with similar lengths (little padding)."""
    order = list(range(len(lengths)))
    while True:
        rng.shuffle(order)
        groups = []
        for i in range(0, len(order), batch * 32):
            chunk = sorted(order[i : i + batch * 32], key=lengths.__getitem__)
            groups += [chunk[j : j + batch] for j in range(0, len(chunk), batch)]
        rng.shuffle(groups)
        yield from groups


def learning_rate(step: int, s: LoopSettings) -> float:
    if step < s.warmup:
        return s.lr * (step + 1) / s.warmup
    done = (step - s.warmup) / max(1, s.steps - s.warmup)
    return s.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * done)))


def pad_batch(data: list[list[int]], idx: list[int], pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs (B, T-1) and targets (B, T-1); padding targets are -100 (not scored)."""
    T = max(len(data[i]) for i in idx)
    x = torch.full((len(idx), T - 1), pad, dtype=torch.long)
    y = torch.full((len(idx), T - 1), -100, dtype=torch.long)
    for j, i in enumerate(idx):
        d = torch.tensor(data[i])
        x[j, : len(d) - 1] = d[:-1]
        y[j, : len(d) - 1] = d[1:]
    return x, y


def train_loop(
    model: nn.Module,
    data: list[list[int]],
    pad: int,
    s: LoopSettings,
    seed: int,
    desc: str,
    every: int = 0,
    on_every: Callable[[int], None] | None = None,
) -> dict[str, object]:
    """Train in place; returns tokens seen and the mean loss of every 100 steps (a learning curve)."""
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": s.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=s.lr,
        betas=(0.9, 0.98),
    )
    lengths = [len(d) for d in data]
    batches = story_batches(lengths, s.batch_stories, random.Random(seed))
    tokens_seen, curve, window = 0, [], []
    model.train()
    bar = progress(range(s.steps), total=s.steps, desc=desc)
    for step in bar:
        x, y = pad_batch(data, next(batches), pad)
        for group in opt.param_groups:
            group["lr"] = learning_rate(step, s)
        logits, _ = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=-100)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), s.clip)
        opt.step()
        tokens_seen += int((y != -100).sum())
        window.append(loss.item())
        if step % 10 == 0:
            bar.set_postfix(loss=f"{loss.item():.3f}")
        if len(window) == 100:
            curve.append(round(sum(window) / 100, 4))
            window = []
        if every and on_every is not None and (step + 1) % every == 0:
            model.eval()
            on_every(step + 1)
            model.train()
    model.eval()
    return {"tokens_seen": tokens_seen, "loss_every_100_steps": curve}


def gpt_tokenizer() -> Tokenizer:
    """The shipped story GPT's tokenizer: the models compared with it read text the same way."""
    path = pretrained_root() / "gpt" / "tokenizer.json"
    if not path.is_file():
        raise ModelLoadError("gpt", "its tokenizer file tokenizer.json is missing (train the GPT first)")
    return load_tokenizer(path.read_text())

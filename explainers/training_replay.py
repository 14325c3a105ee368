"""Replay how the story GPT learned: its weights at a handful of training steps, and its loss curves.

The trainer (`training/gpt.py`) keeps half-precision copies of the weights at `CHECKPOINT_STEPS` (shipped with
8-bit weight matrices, explainers/storage.py) and measures
the loss on a fixed held-out batch every few steps; they ship in `pretrained/gpt/checkpoints.safetensors`, whose
sha256 is recorded in config.json (training.checkpoints) and checked on load. The final weights are the shipped
model itself (model.safetensors), so the last step of the replay is exactly the model every other page uses.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from explainers import corpus
from explainers.gpt import build_gpt
from explainers.lm import (
    LM,
    apply_sampling,
    decode,
    generate,
    kl_divergence,
    label,
    next_token,
    true_odds,
)
from explainers.storage import dequantize, int8_storage
from explainers.store import ModelLoadError, model_dir, sha256_bytes

CHECKPOINTS_FILE = "checkpoints.safetensors"
# Weights after this many optimizer steps (0 = freshly initialised). Dense early: the model changes fastest
# there (random bytes, then letters and spaces, then words, then grammar, then whole stories).
CHECKPOINT_STEPS: tuple[int, ...] = (0, 50, 100, 200, 500, 1000, 2000)
CURVE_KEYS = ("curves.train_step", "curves.train_loss", "curves.heldout_step", "curves.heldout_loss")


def heldout_eval_steps(total_steps: int) -> list[int]:
    """When the trainer measures the held-out loss: every 10 steps up to 200 (it falls fast), then every 50,
    and at the end."""
    steps = set(range(0, min(200, total_steps) + 1, 10)) | set(range(200, total_steps + 1, 50)) | {total_steps}
    return sorted(steps)


def checkpoint_key(step: int, name: str) -> str:
    return f"step{step}.{name}"


def pack_checkpoints(
    weights: dict[int, dict[str, torch.Tensor]],
    train_loss: np.ndarray,
    heldout_steps: np.ndarray,
    heldout_loss: np.ndarray,
) -> bytes:
    """One safetensors blob: every checkpoint's weights (weight matrices in 8 bits with per-row scales, the rest
    float16: explainers/storage.py) and the loss curves (float32)."""
    from safetensors.torch import save as save_safetensors_bytes

    halves = {
        checkpoint_key(step, name): t.detach().to(torch.float16)
        for step, state in weights.items()
        for name, t in state.items()
    }
    tensors = {k: t.contiguous() for k, t in int8_storage(halves).items()}
    tensors["curves.train_step"] = torch.arange(len(train_loss), dtype=torch.int64)
    tensors["curves.train_loss"] = torch.as_tensor(np.asarray(train_loss), dtype=torch.float32)
    tensors["curves.heldout_step"] = torch.as_tensor(np.asarray(heldout_steps), dtype=torch.int64)
    tensors["curves.heldout_loss"] = torch.as_tensor(np.asarray(heldout_loss), dtype=torch.float32)
    return save_safetensors_bytes(tensors)


# ---------------------------------------------------------------------------------------------------------
# Loading


@dataclass(frozen=True)
class ReplayCurves:
    train_steps: np.ndarray  # (n,) the batch at each step (weights after that many updates)
    train_loss: np.ndarray  # (n,) nats per token on that batch
    train_smooth: np.ndarray  # (n,) centred mean over 25 batches (a trailing mean would lag behind the fast start)
    heldout_steps: np.ndarray  # (m,)
    heldout_loss: np.ndarray  # (m,) nats per token on the fixed held-out stories
    floor: float  # the grammar's own nats per token on those stories: the best any model can do on average
    start: float  # ln(vocabulary): a model that knows nothing
    heldout_stories: int

    def heldout_at(self, step: int) -> float:
        """Held-out loss at `step` (the nearest measurement at or before it)."""
        k = int(np.searchsorted(self.heldout_steps, step, side="right")) - 1
        return float(self.heldout_loss[max(k, 0)])


class Replay:
    """The story GPT at every kept step. Shared read-only by all sessions; models are built on first use."""

    def __init__(self, final: LM, weights: dict[int, dict[str, torch.Tensor]], curves: ReplayCurves) -> None:
        self.final = final
        self.final_step = int(curves.train_steps[-1]) + 1 if len(curves.train_steps) else 0
        self._weights = weights
        self.steps: tuple[int, ...] = (*sorted(weights), self.final_step)
        self.curves = curves
        self._models: dict[int, LM] = {self.final_step: final}
        self._lock = threading.Lock()

    def lm_at(self, step: int) -> LM:
        """The model after `step` training steps (one of `steps`)."""
        if step not in self.steps:
            raise KeyError(f"no checkpoint at step {step}; kept: {self.steps}")
        with self._lock:
            if step not in self._models:
                tensors = {k: v.float() for k, v in self._weights[step].items()}
                model = build_gpt(self.final.config["architecture"], tensors)
                self._models[step] = LM(model, self.final.tok, self.final.eot, self.final.config)
            return self._models[step]


def load_replay(final: LM, name: str = "gpt", root: Path | None = None) -> Replay:
    """Read and verify checkpoints.safetensors next to the shipped model. Raises ModelLoadError."""
    info = final.config.get("training", {}).get("checkpoints")
    if not isinstance(info, dict) or not isinstance(info.get("sha256"), str):
        raise ModelLoadError(name, "its config.json does not list the training checkpoints")
    path = model_dir(name, root) / str(info.get("file", CHECKPOINTS_FILE))
    if path.name != CHECKPOINTS_FILE or not path.is_file():
        raise ModelLoadError(name, f"the training checkpoints file {CHECKPOINTS_FILE} is missing")
    blob = path.read_bytes()
    if sha256_bytes(blob) != info["sha256"]:
        raise ModelLoadError(name, f"the training checkpoints file {path.name} is damaged (checksum mismatch)")
    from safetensors import SafetensorError
    from safetensors.torch import load as load_safetensors_bytes

    try:
        tensors = dequantize(load_safetensors_bytes(blob))
    except (SafetensorError, ValueError) as exc:
        raise ModelLoadError(name, f"the training checkpoints file cannot be read ({exc})") from exc
    shapes = {k: tuple(v.shape) for k, v in final.model.state_dict().items()}
    weights: dict[int, dict[str, torch.Tensor]] = {}
    for key, t in tensors.items():
        m = re.fullmatch(r"step(\d+)\.(.+)", key)
        if m:
            weights.setdefault(int(m.group(1)), {})[m.group(2)] = t
    bad = [s for s, w in weights.items() if {k: tuple(v.shape) for k, v in w.items()} != shapes]
    if bad or not weights or any(k not in tensors for k in CURVE_KEYS):
        raise ModelLoadError(name, "the training checkpoints do not match the model")
    train_loss = tensors["curves.train_loss"].double().numpy()
    curves = ReplayCurves(
        train_steps=tensors["curves.train_step"].numpy(),
        train_loss=train_loss,
        train_smooth=_centred_mean(train_loss, 12),
        heldout_steps=tensors["curves.heldout_step"].numpy(),
        heldout_loss=tensors["curves.heldout_loss"].double().numpy(),
        floor=float(info.get("heldout_loss_floor", float("nan"))),
        start=math.log(final.vocab_size),
        heldout_stories=int(info.get("heldout_stories", 0)),
    )
    return Replay(final, weights, curves)


def _centred_mean(x: np.ndarray, half: int) -> np.ndarray:
    c = np.cumsum(np.insert(x, 0, 0.0))
    idx = np.arange(len(x))
    lo, hi = np.maximum(idx - half, 0), np.minimum(idx + half + 1, len(x))
    return (c[hi] - c[lo]) / (hi - lo)


# ---------------------------------------------------------------------------------------------------------
# What the model writes at a step


STAGES = (
    (
        "noise",
        "Random pieces",
        "The weights are random: every token is about equally likely, so it strings together bytes and bits of words.",
    ),
    (
        "words",
        "Letters and words",
        "It has learned which pieces are common and how words are spelled, but not how words go together.",
    ),
    ("sentences", "Sentences", "Words come in the right order for a sentence or two, then it loses the thread."),
    (
        "stories",
        "Stories",
        "The whole story is one our grammar could have written: it tracks who is who and ends the story.",
    ),
)


@dataclass(frozen=True)
class StoryAtStep:
    step: int
    text: str  # what it wrote (printable; bytes that are not text shown as \ufffd)
    tokens: int
    finished: bool  # it ended the story by itself
    words: int  # words (punctuation left out)
    real_words: int  # words that exist in our story world
    grammatical_words: int  # words in the longest start of the text our grammar could have written
    stage: str  # a key of STAGES

    @property
    def real_word_share(self) -> float:
        return self.real_words / self.words if self.words else 0.0


_WORDS = re.compile(r"[A-Za-z]+|[.,]")


@lru_cache(maxsize=1)
def story_vocabulary() -> frozenset[str]:
    """Every word our stories use (5,000 stories cover every list and template many times over)."""
    return frozenset(w for s in corpus.generate_stories(5000, 77) for w in s.words)


def grammatical_prefix(words: list[str]) -> int:
    """How many of the first words form the start of a story our grammar can write (binary search: a prefix
    of a valid start is valid)."""
    lo, hi = 0, len(words)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if corpus.next_word_distribution(words[:mid]) is not None:
            lo = mid
        else:
            hi = mid - 1
    return lo


def printable(text: str) -> str:
    return "".join(ch if ch.isprintable() or ch == "\n" else "\ufffd" for ch in text)


def story_at(replay: Replay, step: int, seed: int, prompt: str = "", max_tokens: int = 120) -> StoryAtStep:
    """A story written at `step` with a fixed seed (temperature 1), and how far along it is."""
    lm = replay.lm_at(step)
    gen = generate(lm, prompt, max_tokens, seed)
    text = printable(prompt + decode(lm, gen.token_ids))
    ended = any(s.token == lm.eot for s in gen.steps)
    tokens = [w.strip(".,") for w in text.split()]
    tokens = [w for w in tokens if w]
    vocab = story_vocabulary()
    real = sum(1 for w in tokens if w in vocab)
    parsed = corpus.parse(text) if all(ch.isascii() for ch in text) else None
    words = parsed if parsed is not None else _WORDS.findall(_ascii_prefix(text))
    k = grammatical_prefix(words)
    grammatical = sum(1 for w in words[:k] if w not in corpus.PUNCTUATION)
    share = real / len(tokens) if tokens else 0.0
    first_sentence = words.index(".") + 1 if "." in words else None
    if ended and parsed is not None and k == len(parsed) and corpus.next_word_distribution(parsed) is not None:
        stage = "stories"
    elif first_sentence is not None and k >= first_sentence:
        stage = "sentences"
    elif share >= 0.3:
        stage = "words"
    else:
        stage = "noise"
    return StoryAtStep(step, text, len(gen.steps), ended, len(tokens), real, grammatical, stage)


def _ascii_prefix(text: str) -> str:
    """The start of the text made only of letters, spaces, '.' and ','."""
    m = re.match(r"[A-Za-z .,]*", text)
    return m.group(0) if m else ""


# ---------------------------------------------------------------------------------------------------------
# Next-token odds at a step, beside the truth


@dataclass(frozen=True)
class OddsAtStep:
    step: int
    labels: tuple[str, ...]  # tokens shown: the model's favourites and every token the grammar allows
    model_probs: np.ndarray  # (k,)
    true_probs: np.ndarray | None  # (k,) None when the prompt is not a start our grammar can write
    kl: float | None  # KL(true || model) in nats over the whole vocabulary
    top: str  # the model's favourite


def odds_at(replay: Replay, step: int, prompt: str, n: int = 6) -> OddsAtStep:
    lm = replay.lm_at(step)
    probs = apply_sampling(next_token(lm, prompt).logits).probs
    truth = true_odds(lm, prompt)
    order = [int(t) for t in np.argsort(-probs, kind="stable")[:n]]
    if truth is not None:
        allowed = [int(t) for t in np.argsort(-truth.token_probs, kind="stable") if truth.token_probs[t] > 0]
        order = allowed + [t for t in order if t not in allowed][: max(0, n - len(allowed))]
    return OddsAtStep(
        step,
        tuple(label(lm, t) for t in order),
        probs[order].copy(),
        truth.token_probs[order].copy() if truth is not None else None,
        kl_divergence(truth.token_probs, probs) if truth is not None else None,
        label(lm, int(np.argmax(probs))),
    )

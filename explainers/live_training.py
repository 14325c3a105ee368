"""Train a small GPT live on a reader's text: from scratch on characters, or fine-tuning our story model.

A `LiveRun` holds one visitor's model, optimizer and data. `train(steps=..., seconds=...)` does a capped amount
of work and returns; pausing is simply not calling it. Every run has hard caps decided before any work starts:
the text's length, the number of steps, the seconds of training and the memory the run may hold.

- **From scratch** the model reads characters: the vocabulary is the text's own characters (a few dozen for
  English), so the first loss is ln(vocabulary), a few nats, and you can watch spelling being learned letter by
  letter. A byte-pair vocabulary trained on a 5,000-character text would be tiny and arbitrary.
- **Fine-tuning** starts from our story GPT with its byte-level BPE tokenizer (483 tokens): it already knows
  English-looking stories, so it starts far lower on text like ours and gets there in fewer steps.

Losses are in nats per token (what the model optimizes) and, to compare the two kinds of model, in nats per
character: the total surprise over a text divided by its number of characters.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from explainers.gpt import GPT, GPTConfig, build_gpt
from explainers.lm import LM
from explainers.memorization import BASELINE_SHARE, Copies, CopyFinder
from explainers.training_texts import BUILTINS, builtin_text, heldout_story_texts, story_texts

MAX_TEXT_CHARS = 5_000
MIN_TEXT_CHARS = 100
HELDOUT_SHARE = 0.1  # the last tenth of a pasted text is held out
MIN_HELDOUT_CHARS = 40
MAX_STEPS = 5_000
MAX_SECONDS = 60.0
MAX_RUN_BYTES = 60 * 2**20  # everything one run holds: weights, gradients, optimizer state, activations, data
EVAL_EVERY = 10  # held-out loss every this many steps
SAMPLE_CHARS = 300
FINETUNE_BLOCK = 64  # tokens per training window when fine-tuning (~330 characters of our stories)
FINETUNE_BATCH = 8
FINETUNE_STORIES = 4  # stories per step when fine-tuning on ours: ~1,000 characters, as a small from-scratch step
WEIGHT_DECAY = 0.1

Mode = Literal["scratch", "finetune"]
OptimizerName = Literal["adam", "sgd"]


class TextError(ValueError):
    """The text cannot be trained on; `str()` says why in plain words."""


class RunError(ValueError):
    """The chosen settings cannot run (for example too big for the memory cap); `str()` says why."""


# ---------------------------------------------------------------------------------------------------------
# Texts


@dataclass(frozen=True)
class TrainingText:
    """A text split into the part the model trains on and a held-out part it never trains on."""

    source: str  # a built-in key, or "yours"
    train: str
    heldout: str
    documents: tuple[str, ...] = ()  # separate documents (our stories), else empty: the text is one document

    @property
    def chars(self) -> int:
        return len(self.train) + len(self.heldout)


def clean_text(text: str) -> str:
    """Newlines made uniform, invisible control characters (other than newline and tab) removed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in text if ch in "\n\t" or not (ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0))


def prepare_text(text: str) -> TrainingText:
    """Check a pasted text and split it: the last tenth (cut at a line break or space) is held out."""
    if text is None or not text.strip():
        raise TextError("There is no text to train on yet. Paste some text, or pick one of ours.")
    if len(text) <= 2 * MAX_TEXT_CHARS:  # cleaning a huge text would be work before the check
        text = clean_text(text)
    if len(text) > MAX_TEXT_CHARS:
        raise TextError(
            f"Your text has {len(text):,} characters; the limit is {MAX_TEXT_CHARS:,}, so that training stays "
            "quick and fair on this small shared server. Please shorten it."
        )
    if len(text.strip()) < MIN_TEXT_CHARS:
        raise TextError(
            f"Your text has only {len(text.strip()):,} characters; please give at least {MIN_TEXT_CHARS}, "
            "so there is enough to learn from and a part to hold out."
        )
    if len(set(text)) < 2:
        raise TextError("Your text uses a single character over and over: there is nothing to learn. Try real text.")
    target = len(text) - max(MIN_HELDOUT_CHARS, round(len(text) * HELDOUT_SHARE))
    cut = _cut_near(text, target)
    return TrainingText("yours", text[:cut], text[cut:])


def _cut_near(text: str, target: int) -> int:
    """A cut just after the line break (else the space) closest to `target`, never leaving either side tiny."""
    lo, hi = max(MIN_TEXT_CHARS // 2, target - 200), min(len(text) - MIN_HELDOUT_CHARS // 2, target + 40)
    for sep in ("\n", " "):
        found = [k + 1 for k in range(lo, hi) if text[k] == sep]
        if found:
            return min(found, key=lambda k: abs(k - target))
    return target


def builtin_training_text(key: str) -> TrainingText:
    """Our texts: the poem, recipe and names are split like a pasted text; our stories are held out as a
    fixed set of other stories, the same whatever the size, so their held-out losses can be compared."""
    if key not in BUILTINS:
        raise TextError(f"Unknown text '{key}'.")
    if key.startswith("stories"):
        stories = story_texts(int(key.removeprefix("stories")))
        held = heldout_story_texts()
        return TrainingText(key, builtin_text(key), "\n".join(held) + "\n", stories)
    t = prepare_text(builtin_text(key))
    return TrainingText(key, t.train, t.heldout)


# ---------------------------------------------------------------------------------------------------------
# Encodings: characters (from scratch) or our BPE (fine-tuning)


@dataclass(frozen=True)
class Encoded:
    kind: Mode
    train_ids: torch.Tensor  # (N,) int64
    heldout_ids: torch.Tensor  # (M,) int64
    vocab_size: int
    train_chars_per_token: float
    heldout_chars_per_token: float
    chars: tuple[str, ...] = ()  # the character vocabulary (from scratch only)
    # Separate documents (our stories, fine-tuning only): (start, end) of each in the ids, the start marker at
    # `start` and the closing one at `end - 1`. The story model read every story from position 0, so it does here.
    train_docs: tuple[tuple[int, int], ...] = ()
    heldout_docs: tuple[tuple[int, int], ...] = ()

    @property
    def nbytes(self) -> int:
        return int(self.train_ids.nbytes + self.heldout_ids.nbytes) + 32 * (
            len(self.train_docs) + len(self.heldout_docs)
        )


def encode_chars(t: TrainingText) -> Encoded:
    chars = tuple(sorted(set(t.train) | set(t.heldout)))
    index = {c: i for i, c in enumerate(chars)}

    def ids(s: str) -> torch.Tensor:
        return torch.tensor([index[c] for c in s], dtype=torch.long)

    return Encoded("scratch", ids(t.train), ids(t.heldout), len(chars), 1.0, 1.0, chars)


def encode_bpe(t: TrainingText, lm: LM) -> Encoded:
    """Our tokenizer. Stories are separated by the story boundary token, exactly as the model was trained; a
    pasted text is one document that starts with it (the model's "start of text")."""

    def ids(text: str, docs: tuple[str, ...]) -> tuple[list[int], tuple[tuple[int, int], ...]]:
        if not docs:
            return [lm.eot] + lm.tok.encode(text).ids, ()
        out, spans = [lm.eot], []
        for enc in lm.tok.encode_batch(list(docs)):
            start = len(out) - 1
            out += enc.ids + [lm.eot]
            # a story longer than the model's window keeps its start (none of ours is: at most ~200 tokens)
            spans.append((start, min(len(out), start + lm.max_tokens + 1)))
        return out, tuple(spans)

    held_docs = tuple(t.heldout.rstrip("\n").split("\n")) if t.documents else ()
    (train, train_docs), (held, held_docs_ids) = ids(t.train, t.documents), ids(t.heldout, held_docs)
    return Encoded(
        "finetune",
        torch.tensor(train, dtype=torch.long),
        torch.tensor(held, dtype=torch.long),
        lm.vocab_size,
        len(t.train) / max(len(train) - 1, 1),
        len(t.heldout) / max(len(held) - 1, 1),
        train_docs=train_docs,
        heldout_docs=held_docs_ids,
    )


class TrainingData:
    """A text with its encodings and its copy finder, built on first use. Our built-in texts are shared by every
    visitor (read-only after building); a pasted text belongs to one run."""

    def __init__(self, text: TrainingText) -> None:
        self.text = text
        self._lock = threading.Lock()
        self._bpe: tuple[int, Encoded] | None = None

    @cached_property
    def chars(self) -> Encoded:
        with self._lock:
            return encode_chars(self.text)

    def bpe(self, lm: LM) -> Encoded:
        with self._lock:
            if self._bpe is None or self._bpe[0] != id(lm.tok):
                self._bpe = (id(lm.tok), encode_bpe(self.text, lm))
            return self._bpe[1]

    @cached_property
    def copies(self) -> CopyFinder:
        return CopyFinder(self.text.train)

    @cached_property
    def copy_length(self) -> tuple[int, float]:
        """(length, held-out share): see explainers.memorization."""
        return self.copies.calibrate(self.text.heldout)

    @property
    def nbytes(self) -> int:
        total = 4 * (len(self.text.train) + len(self.text.heldout))
        if "chars" in self.__dict__:
            total += self.chars.nbytes
        if self._bpe is not None:
            total += self._bpe[1].nbytes
        if "copies" in self.__dict__:
            total += self.copies.nbytes
        return total


def data_for(text: str | None = None, builtin: str | None = None) -> TrainingData:
    """A pasted text (validated: raises TextError) or one of ours."""
    if builtin is not None:
        return TrainingData(builtin_training_text(builtin))
    return TrainingData(prepare_text(text or ""))


# ---------------------------------------------------------------------------------------------------------
# Settings


@dataclass(frozen=True)
class Preset:
    key: str
    label: str
    n_layer: int
    n_head: int
    n_embd: int
    block_size: int
    batch: int


PRESETS: dict[str, Preset] = {
    p.key: p
    for p in (
        Preset("small", "Small", 1, 2, 32, 64, 16),
        Preset("medium", "Medium", 2, 4, 64, 128, 16),
        Preset("large", "Large", 3, 4, 96, 128, 16),
    )
}
DEFAULT_PRESET = "small"
LEARNING_RATES: tuple[float, ...] = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
DEFAULT_LR: dict[tuple[Mode, OptimizerName], float] = {
    ("scratch", "adam"): 0.003,
    ("finetune", "adam"): 0.001,
    ("scratch", "sgd"): 0.3,
    ("finetune", "sgd"): 0.03,
}


@dataclass(frozen=True)
class RunSettings:
    mode: Mode = "scratch"
    size: str = DEFAULT_PRESET  # from scratch only: fine-tuning keeps our model's size
    optimizer: OptimizerName = "adam"
    lr: float | None = None  # None: the default for the mode and optimizer
    seed: int = 0

    @property
    def learning_rate(self) -> float:
        return float(self.lr) if self.lr is not None else DEFAULT_LR[(self.mode, self.optimizer)]


# ---------------------------------------------------------------------------------------------------------
# The run


@dataclass(frozen=True)
class Curves:
    train_steps: np.ndarray  # (n,) step of each training batch (weights after that many updates)
    train_loss: np.ndarray  # (n,) nats per token on that batch (noisy)
    train_smooth: np.ndarray  # (n,) the same, centred mean over `smooth` batches (one-sided at the latest point)
    heldout_steps: np.ndarray  # (m,)
    heldout_loss: np.ndarray  # (m,) nats per token on the whole held-out part
    train_chars_per_token: float
    heldout_chars_per_token: float
    start_loss: float  # ln(vocabulary): a model that knows nothing and says so

    @property
    def heldout_per_char(self) -> np.ndarray:
        return self.heldout_loss / self.heldout_chars_per_token

    @property
    def train_smooth_per_char(self) -> np.ndarray:
        return self.train_smooth / self.train_chars_per_token

    @property
    def perplexity(self) -> float | None:
        """exp(latest held-out loss): as unsure as choosing among this many tokens."""
        return float(math.exp(self.heldout_loss[-1])) if len(self.heldout_loss) else None


@dataclass(frozen=True)
class Sample:
    step: int
    seed: int
    text: str
    copies: Copies
    heldout_share: float  # how "copied" the held-out text looks at the same length: the baseline


@dataclass(frozen=True)
class Overfitting:
    step: int  # where the smoothed held-out loss was lowest: after this, the model got worse on new text
    best_heldout: float
    latest_heldout: float


class LiveRun:
    """One visitor's training run. Not shared between sessions; not thread-safe (one session, one run)."""

    def __init__(
        self,
        data: TrainingData,
        settings: RunSettings,
        base: LM | None = None,
        max_steps: int = MAX_STEPS,
        max_seconds: float = MAX_SECONDS,
        max_bytes: int = MAX_RUN_BYTES,
    ) -> None:
        self.data = data
        self.settings = settings
        self.max_steps = int(max_steps)
        self.max_seconds = float(max_seconds)
        lr = settings.learning_rate
        if not (0 < lr <= 10) or not math.isfinite(lr):
            raise RunError("The learning rate must be a positive number (at most 10).")
        gen = torch.Generator().manual_seed(int(settings.seed))
        if settings.mode == "finetune":
            if base is None:
                raise RunError("Fine-tuning needs our story model, which is not available right now.")
            self.enc = data.bpe(base)
            self.model = build_gpt(
                base.config["architecture"], {k: v.clone() for k, v in base.model.state_dict().items()}
            )
            self.block = min(FINETUNE_BLOCK, base.max_tokens)
            self.batch = FINETUNE_BATCH
            if self.enc.train_docs:  # whole stories, each from position 0: as long as the longest one
                self.block = max(b - a for a, b in self.enc.train_docs + self.enc.heldout_docs) - 1
                self.batch = FINETUNE_STORIES
            self.base = base
            # The story model always read a story with its start marker at position 0 (and leans on it: its
            # attention rests there). Every window it reads here starts with that marker too.
            self.anchor: int | None = base.eot
        elif settings.mode == "scratch":
            if settings.size not in PRESETS:
                raise RunError(f"Unknown model size '{settings.size}'.")
            p = PRESETS[settings.size]
            self.enc = data.chars
            self.block = p.block_size
            self.batch = p.batch
            self.base = None
            self.anchor = None
            cfg = GPTConfig(self.enc.vocab_size, p.block_size, p.n_layer, p.n_head, p.n_embd)
            self.model = GPT(cfg)
            init_weights_(self.model, gen)
        else:
            raise RunError(f"Unknown mode '{settings.mode}'.")
        n_train = len(self.enc.train_ids)
        if n_train < 3:
            raise TextError("The training part of this text is too short to learn from.")
        self.block = max(2, min(self.block, n_train - 1))
        # A big vocabulary (a text in a script with thousands of characters) makes each batch's scores big:
        # shrink the batch until the run fits its memory cap, before any work starts.
        while self.batch > 1 and self.estimated_bytes() > max_bytes:
            self.batch //= 2
        if self.estimated_bytes() > max_bytes:
            raise RunError(
                f"This text needs a vocabulary of {self.enc.vocab_size:,} characters, too many for a live run on "
                "this server. Try a smaller model, or a text with fewer different characters."
            )
        self.model.train()
        params = list(self.model.parameters())
        if settings.optimizer == "adam":
            self.opt: torch.optim.Optimizer = torch.optim.AdamW(
                params, lr=lr, betas=(0.9, 0.98), weight_decay=WEIGHT_DECAY
            )
        elif settings.optimizer == "sgd":
            self.opt = torch.optim.SGD(params, lr=lr, momentum=0.9)
        else:
            raise RunError(f"Unknown optimizer '{settings.optimizer}'.")
        self.gen = gen
        self.step = 0
        self.seconds = 0.0
        self.failed: str | None = None
        self._train_steps: list[int] = []
        self._train_loss: list[float] = []
        self._held_steps: list[int] = []
        self._held_loss: list[float] = []
        self._last_rate: float | None = None
        self._evaluate()

    # -- facts ---------------------------------------------------------------------------------------------
    @property
    def parameters(self) -> int:
        return int(sum(p.numel() for p in self.model.parameters()))

    @property
    def finished(self) -> bool:
        return self.failed is not None or self.step >= self.max_steps or self.seconds >= self.max_seconds

    @property
    def stop_reason(self) -> str | None:
        if self.failed:
            return self.failed
        if self.step >= self.max_steps:
            return f"This run reached its cap of {self.max_steps:,} steps."
        if self.seconds >= self.max_seconds:
            return f"This run reached its cap of {self.max_seconds:.0f} seconds of training."
        return None

    @property
    def steps_per_second(self) -> float | None:
        """Measured over the latest call to train()."""
        return self._last_rate

    def estimated_bytes(self) -> int:
        """Weights, gradients and two optimizer buffers (4 floats per parameter), the activations autograd keeps
        for one batch, and this run's own data. Measured RSS stays below it (benchmarks/bench_training.py)."""
        cfg = self.model.cfg
        tokens = self.batch * self.block
        per_layer = tokens * cfg.n_embd * 4 * 16 + self.batch * cfg.n_head * self.block * self.block * 4 * 3
        logits = tokens * cfg.vocab_size * 4 * 4  # scores, softmax, their gradients
        own_data = self.data.nbytes if self.data.text.source == "yours" else 0
        return 16 * self.parameters + cfg.n_layer * per_layer + logits + own_data

    # -- training ------------------------------------------------------------------------------------------
    def _batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        ids = self.enc.train_ids
        if self.enc.train_docs:  # whole stories, as the story model was trained
            picks = torch.randint(0, len(self.enc.train_docs), (self.batch,), generator=self.gen)
            return _padded([ids[slice(*self.enc.train_docs[int(k)])] for k in picks], self.enc_pad, self.block)
        starts = torch.randint(0, len(ids) - self.block, (self.batch,), generator=self.gen)
        rows = starts[:, None] + torch.arange(self.block + 1)  # (B, T+1)
        chunk = ids[rows]
        x, y = chunk[:, :-1].clone(), chunk[:, 1:].clone()
        if self.anchor is not None:  # the marker replaces the first token; what follows it is only scored if the
            y[x[:, 0] != self.anchor, 0] = -100  # window really starts a text (else it would be a blind guess)
            x[:, 0] = self.anchor
        return x, y

    @property
    def enc_pad(self) -> int:
        return self.anchor if self.anchor is not None else 0

    def _evaluate(self) -> None:
        """Loss on the whole held-out part, every token predicted once, each with at least half a window of text
        before it: windows of `block` tokens overlap by half and only their second half is scored (the first
        window scores everything). Without the overlap, a token at the start of a window would be guessed blind."""
        ids = self.enc.heldout_ids
        T, half, n = self.block, max(1, self.block // 2), len(self.enc.heldout_ids)
        rows: list[tuple[torch.Tensor, int]] = []  # (window of up to T+1 ids, index of its first scored target)
        if self.enc.heldout_docs:  # each story on its own, from position 0
            rows = [(ids[a:b], 0) for a, b in self.enc.heldout_docs]
        else:
            a = 0
            while True:
                rows.append((ids[a : a + T + 1], 0 if a == 0 else T - half))
                if a + T >= n - 1:
                    break
                a += half
        total, count = 0.0, 0
        was_training = self.model.training
        self.model.eval()
        with torch.inference_mode():
            for k in range(0, len(rows), 64):
                chunk = [r for r in rows[k : k + 64] if len(r[0]) >= 2]
                if not chunk:
                    continue
                width = T + 1  # one shape for every chunk (see _padded)
                x = torch.full((len(chunk), width - 1), self.enc_pad, dtype=torch.long)
                y = torch.full((len(chunk), width - 1), -100, dtype=torch.long)
                for j, (w, first) in enumerate(chunk):
                    x[j, : len(w) - 1] = w[:-1]
                    y[j, first : len(w) - 1] = w[1 + first :]
                    if self.anchor is not None and first > 0:
                        x[j, 0] = self.anchor  # as in training; only the window's second half is scored
                logits, _ = self.model(x)
                total += float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum"))
                count += int((y != -100).sum())
        self.model.train(was_training)
        self._held_steps.append(self.step)
        self._held_loss.append(total / max(count, 1))
        self.heldout_scored = count

    def train(self, steps: int | None = None, seconds: float | None = None) -> int:
        """Train until `steps` more steps, `seconds` more seconds or a cap, whichever comes first.
        Returns the number of steps done."""
        if steps is None and seconds is None:
            raise ValueError("give steps or seconds")
        started = time.perf_counter()
        done = 0
        while not self.finished and (steps is None or done < steps):
            if seconds is not None and done and time.perf_counter() - started >= seconds:
                break
            t0 = time.perf_counter()
            x, y = self._batch()
            logits, _ = self.model(x)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=-100)
            if not torch.isfinite(loss):
                self.failed = (
                    "The loss blew up (it is no longer a finite number): the learning rate is too high for this "
                    "model. Reset and pick a smaller one."
                )
                break
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
            self.opt.step()
            self._train_steps.append(self.step)
            self._train_loss.append(loss.item())
            self.step += 1
            done += 1
            if self.step % EVAL_EVERY == 0 or self.finished:
                self._evaluate()
            self.seconds += time.perf_counter() - t0
        elapsed = time.perf_counter() - started
        if done:
            self._last_rate = done / max(elapsed, 1e-9)
        return done

    # -- views ---------------------------------------------------------------------------------------------
    def curves(self, smooth: int = 20) -> Curves:
        loss = np.array(self._train_loss, dtype=np.float64)
        return Curves(
            np.array(self._train_steps, dtype=np.int64),
            loss,
            centred_mean(loss, smooth // 2),
            np.array(self._held_steps, dtype=np.int64),
            np.array(self._held_loss, dtype=np.float64),
            self.enc.train_chars_per_token,
            self.enc.heldout_chars_per_token,
            math.log(self.enc.vocab_size),
        )

    def overfitting(self) -> Overfitting | None:
        c = self.curves()
        return overfitting_moment(c.heldout_steps, c.heldout_loss, c.train_steps, c.train_loss)

    def sample(self, seed: int, chars: int = SAMPLE_CHARS) -> Sample:
        """Text written by the model as it is now, starting from the first character (or token) of the training
        text, temperature 1, with what it copied from the training text marked."""
        gen = torch.Generator().manual_seed(int(seed))
        was_training = self.model.training
        self.model.eval()
        with torch.inference_mode():
            if self.enc.kind == "scratch":
                ids = [int(self.enc.train_ids[0])]
                while len(ids) < chars:
                    ids.append(self._next(ids, gen))
                text = "".join(self.enc.chars[i] for i in ids)
            else:
                assert self.base is not None
                ids = [int(t) for t in self.enc.train_ids[:2]]
                pieces: list[list[int]] = [ids[1:]]
                made = 0
                while sum(len(self.base.tok.decode(p)) for p in pieces) + len(pieces) - 1 < chars and made < 200:
                    t = self._next(ids, gen)
                    made += 1
                    if t == self.base.eot:  # a new text starts from the marker at position 0, as in training
                        pieces.append([])
                        ids = [t]
                    else:
                        pieces[-1].append(t)
                        ids.append(t)
                text = "\n".join(self.base.tok.decode(p) for p in pieces)[:chars]
        self.model.train(was_training)
        length, held_share = self.data.copy_length
        return Sample(self.step, int(seed), text, self.data.copies.find(text, length), held_share)

    def _next(self, ids: list[int], gen: torch.Generator) -> int:
        context = ids[-self.block :]
        if self.anchor is not None and len(ids) > self.block:
            context = [self.anchor, *ids[-(self.block - 1) :]]  # the start marker first, as in training
        logits, _ = self.model(torch.tensor([context]))
        probs = torch.softmax(logits[0, -1].double(), -1)
        return int(torch.multinomial(probs, 1, generator=gen))


def _padded(seqs: list[torch.Tensor], pad: int, width: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs and targets (B, width) for sequences of up to width + 1 tokens; padding is never scored. Always the
    same width: batches of changing shapes left the memory allocator holding twice as much (measured)."""
    x = torch.full((len(seqs), width), pad, dtype=torch.long)
    y = torch.full((len(seqs), width), -100, dtype=torch.long)
    for j, q in enumerate(seqs):
        x[j, : len(q) - 1] = q[:-1]
        y[j, : len(q) - 1] = q[1:]
    return x, y


def init_weights_(model: GPT, gen: torch.Generator) -> None:
    """GPT's own initialisation (explainers/gpt.py), drawn from `gen` so a run is the same for the same seed
    and never touches the global random state other visitors' work may use."""
    n_layer = model.cfg.n_layer
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("c_proj.weight") or name.endswith("mlp.2.weight"):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * n_layer), generator=gen)
            elif name.startswith("ln") or ".ln_" in name:
                continue  # LayerNorm: ones and zeros, as built
            elif name.endswith(".bias"):
                nn.init.zeros_(p)
            else:
                nn.init.normal_(p, 0.0, 0.02, generator=gen)


def trailing_mean(x: np.ndarray, window: int) -> np.ndarray:
    """Mean of the last `window` values at each point (fewer at the start)."""
    if len(x) == 0:
        return x.copy()
    c = np.cumsum(np.insert(x, 0, 0.0))
    idx = np.arange(1, len(x) + 1)
    lo = np.maximum(idx - window, 0)
    return (c[idx] - c[lo]) / (idx - lo)


def centred_mean(x: np.ndarray, half: int) -> np.ndarray:
    c = np.cumsum(np.insert(x, 0, 0.0))
    idx = np.arange(len(x))
    lo = np.maximum(idx - half, 0)
    hi = np.minimum(idx + half + 1, len(x))
    return (c[hi] - c[lo]) / (hi - lo)


def overfitting_moment(
    heldout_steps: np.ndarray,
    heldout_loss: np.ndarray,
    train_steps: np.ndarray,
    train_loss: np.ndarray,
    rise: float = 0.03,
    min_rise: float = 0.02,
    after: int = 3,
) -> Overfitting | None:
    """The step after which the model got worse on held-out text while still getting better on its training text.

    Robust to noise: the held-out curve is smoothed (a centred mean over 5 measurements), its lowest point found,
    and overfitting declared only if, at least `after` measurements later, the smoothed held-out loss has risen
    by `rise` of its minimum (and at least `min_rise` nats), while the training loss (mean of the last 50
    batches) is lower than it was at that point."""
    if len(heldout_loss) < after + 3 or len(train_loss) < 20:
        return None
    h = centred_mean(np.asarray(heldout_loss, dtype=np.float64), 2)
    best = int(np.argmin(h))
    if len(h) - 1 - best < after:
        return None
    latest = float(h[-1])
    if latest - h[best] < max(min_rise, rise * h[best]):
        return None
    t = trailing_mean(np.asarray(train_loss, dtype=np.float64), 50)
    k = int(np.searchsorted(train_steps, heldout_steps[best], side="right")) - 1
    if k < 0 or not t[-1] < t[max(k, 0)]:
        return None
    return Overfitting(int(heldout_steps[best]), float(h[best]), latest)


__all__ = [
    "BASELINE_SHARE",
    "Curves",
    "LiveRun",
    "Overfitting",
    "RunError",
    "RunSettings",
    "Sample",
    "TextError",
    "TrainingData",
    "TrainingText",
    "data_for",
    "overfitting_moment",
]

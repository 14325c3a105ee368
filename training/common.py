"""What several trainers share.

For the story models (the GPT, the RNN and the GPTs fine-tuned on other story worlds): the stories as token ids,
the model config and loop settings read from a trainer's SETTINGS, the record of a run, the tokenizer file that ships
beside the weights, and, for a fine-tuned GPT, the start from the shipped one and the measures that say it still
writes the stories it was fine-tuned on and those of the default world. For the picture generators: the file of
examples that shows how close their pictures come to their training pictures.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields
from typing import Any, TypeVar

import numpy as np
import torch
from tokenizers import Tokenizer

from explainers import corpus, limits, text_eval
from explainers.corpus import Grammar, Story
from explainers.datasets import pack_arrays, to_uint8
from explainers.image_quality import Memorization
from explainers.lm import LM, load_lm
from explainers.lm_quality import HeadRole, encode_story, heldout_stories, measure_name_head, measure_quality
from explainers.storage import INT8_STORAGE, int8_storage
from explainers.store import load_model, read_config
from training.runner import TrainResult, ship_int8
from training.story_lm import LoopSettings, train_loop

C = TypeVar("C")
TOKENIZER_FILE = "tokenizer.json"
# Every GPT fine-tuned on another story world takes the same recipe (each sets its own steps): a few hundred steps
# from the shipped weights, on fresh stories of that world.
FINE_TUNING = {"stories": 12_000, "batch_stories": 32, "lr": 1e-3, "warmup": 30, "weight_decay": 0.1, "block_size": 256}


def encode_stories(tok: Tokenizer, stories: list[Story], block_size: int) -> list[list[int]]:
    """Each story's token ids; a story longer than the model's window (plus the last target) is left out."""
    data = [encode_story(tok, st).ids for st in stories]
    return [d for d in data if len(d) <= block_size + 1]


def model_config(cls: type[C], tok: Tokenizer, s: dict[str, Any]) -> C:
    """A model config (GPTConfig, RNNConfig) for this tokenizer, every other field read from the settings."""
    names = [f.name for f in fields(cls) if f.name != "vocab_size"]  # type: ignore[arg-type]
    return cls(vocab_size=tok.get_vocab_size(), **{k: s[k] for k in names})


def loop_settings(s: dict[str, Any]) -> LoopSettings:
    """The story training loop's schedule, from a trainer's SETTINGS (the gradient clip stays at its default)."""
    return LoopSettings(**{k: s[k] for k in ("steps", "lr", "warmup", "batch_stories", "weight_decay")})


def run_record(log: dict[str, Any], train_seconds: float) -> dict[str, Any]:
    """What config.json's training block says about a `train_loop` run."""
    return {
        "tokens_seen": log["tokens_seen"],
        "loss_every_100_steps": log["loss_every_100_steps"],
        "train_seconds": round(train_seconds, 1),
        "optimizer": "AdamW",
    }


def name_head_metrics(role: HeadRole) -> dict[str, Any]:
    """The measured name-repeat head as config.json metrics (1-based, as the pages show it)."""
    return {
        "name_head_layer": role.layer + 1,
        "name_head_head": role.head + 1,
        "name_head_mean_weight": round(role.mean_weight, 3),
    }


def tokenizer_note(tok: Tokenizer) -> str:
    return f"the story GPT's byte-level BPE, {tok.get_vocab_size()} tokens, {TOKENIZER_FILE}"


def tokenizer_files(tok: Tokenizer) -> dict[str, bytes]:
    return {TOKENIZER_FILE: tok.to_str().encode()}


@dataclass
class FineTune:
    """The shipped story GPT and the encoded stories of another world it is about to be fine-tuned on."""

    base: LM
    stories: list[Story]
    data: list[list[int]]
    started: float

    def run(self, s: dict[str, Any], seed: int, desc: str) -> tuple[LM, dict[str, Any]]:
        """Fine-tune the base model in place; the tuned model and its training record. Inside
        `keeping_shipped(name)`, the shipped model `name`'s float weights are kept instead (training.restore_int8)."""
        base = self.base
        kept = KEEP_SHIPPED.get()
        if kept is None:
            log = train_loop(base.model, self.data, base.eot, loop_settings(s), seed, desc)
            record = {
                "base_model": "gpt",
                "base_weights_sha256": base.config["weights"]["sha256"],
                **run_record(log, time.perf_counter() - self.started),
            }
        else:
            old = read_config(kept)
            base.model.load_state_dict(load_model(kept).tensors)
            keys = ("base_model", "base_weights_sha256", "tokens_seen", "loss_every_100_steps", "train_seconds")
            record = {k: old["training"][k] for k in keys} | {"optimizer": "AdamW"}
        ship_int8(base.model)  # everything measured afterwards is the shipped model (fine_tuned_result)
        return LM(base.model, base.tok, base.eot, {}), record


# The name of a shipped fine-tuned GPT whose weights FineTune.run keeps instead of training (training.restore_int8).
KEEP_SHIPPED: ContextVar[str | None] = ContextVar("keep_shipped", default=None)


@contextmanager
def keeping_shipped(name: str) -> Iterator[None]:
    token = KEEP_SHIPPED.set(name)
    try:
        yield
    finally:
        KEEP_SHIPPED.reset(token)


def start_fine_tune(world: Grammar, s: dict[str, Any], seed: int) -> FineTune:
    """Load the shipped story GPT and draw `s["stories"]` training stories of `world` from the seed."""
    started = time.perf_counter()
    base = load_lm("gpt")
    stories = corpus.generate_stories(s["stories"], seed, world)
    return FineTune(base, stories, encode_stories(base.tok, stories, s["block_size"]), started)


def world_measures(lm: LM, world: Grammar, n: int) -> tuple[dict[str, Any], dict[str, str]]:
    """A fine-tuned GPT still writes stories: per-word perplexity on `n` held-out stories of its world (and the
    world's floor), and the base GPT's measures on `n` held-out stories of the default world."""
    model, tok = lm.model, lm.tok
    held = corpus.generate_stories(n, limits.BIAS_HELDOUT_SEED, world)
    ppl = text_eval.perplexity(text_eval.token_model_word_nats(model, tok, held))
    true = text_eval.perplexity([text_eval.true_word_nats(st, world) for st in held])
    default_held = heldout_stories()[:n]
    q = measure_quality(model, tok, default_held)
    role = measure_name_head(model, tok, default_held)
    metrics = {
        "per_word_perplexity": round(ppl.perplexity, 4),
        "true_per_word_perplexity_heldout": round(true.perplexity, 4),
        "cross_entropy_ratio": round(q.ratio, 4),
        "kl_true_model_word_boundary": round(q.kl_word_boundary, 4),
        **name_head_metrics(role),
    }
    notes = {
        "per_word_perplexity": "per-word perplexity on held-out stories of this world (it still writes stories)",
        "true_per_word_perplexity_heldout": "the world's exact per-word perplexity on the same stories: the floor",
        "cross_entropy_ratio": "on held-out stories of the default world: model nats ÷ the grammar's true nats "
        "(the base GPT's measure; fine-tuning must not break the rest)",
        "kl_true_model_word_boundary": "mean KL(true ‖ model) at word boundaries of the same stories",
        "name_head_layer": "layer (1-based) of the head that looks back at a name when it must be repeated",
        "name_head_head": "head (1-based) within that layer",
        "name_head_mean_weight": "that head's mean attention on the earlier mention(s) of the name",
    }
    return metrics, notes


def fine_tuned_result(
    lm: LM,
    s: dict[str, Any],
    measuring: tuple[str, ...],
    training: dict[str, Any],
    data: dict[str, Any],
    measured: tuple[dict[str, Any], dict[str, str]],
    card: str,
    extra_files: dict[str, bytes] | None = None,
) -> TrainResult:
    """A fine-tuned story GPT's result: its settings but the `measuring` ones, then `training` (its own settings
    and the run's record); `data` gains the tokenizer line, and the tokenizer file ships beside the weights."""
    metrics, notes = measured
    return TrainResult(
        # Storing the round-tripped weights again gives the same bytes (explainers/storage.py).
        tensors=int8_storage(lm.model.state_dict()),
        architecture={"type": "gpt", **lm.model.cfg.to_dict()},
        training={k: v for k, v in s.items() if k not in measuring} | training | {"weights_storage": INT8_STORAGE},
        data={"description": data["description"], "source": data["source"], "tokenizer": tokenizer_note(lm.tok)} | data,
        metrics=metrics,
        metric_notes=notes,
        extra_files=tokenizer_files(lm.tok) | (extra_files or {}),
        card_notes=card,
    )


def memorization_file(samples: torch.Tensor, train_pictures: torch.Tensor, memo: Memorization, n: int = 20) -> bytes:
    """The first `n` generated pictures beside their nearest training picture, and every measured distance."""
    examples = np.arange(n)
    return pack_arrays(
        {
            "sample_images": to_uint8(samples[examples]),
            "sample_nearest_images": to_uint8(train_pictures[memo.sample_nearest[examples]]),
            "sample_nearest_distance": memo.sample_distance[examples].astype(np.float32),
            "all_sample_distances": memo.sample_distance.astype(np.float32),
            "all_heldout_distances": memo.heldout_distance.astype(np.float32),
        }
    )

"""Measure the language model against the grammar's exact odds, on held-out stories.

All three quality bars live here so the trainer (which records them) and the tests (which
re-measure them on the shipped weights) use the same code:
- cross-entropy per story vs the grammar's true -ln p(story), both in nats, so the way text is
  cut into tokens does not matter (the model's story probability is the product of its tokens');
- KL(true || model) at word boundaries, each candidate word mapped to its first token;
- the attention head that looks back at a character's earlier mention when the name must be repeated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F
from tokenizers import Tokenizer

from explainers import corpus
from explainers.gpt import GPT
from explainers.tokenizer import eot_id


@dataclass(frozen=True)
class EncodedStory:
    ids: list[int]  # [eot] + story tokens + [eot]
    word_token_start: list[int]  # index into ids of each word's first token
    words: tuple[str, ...]
    log_prob: float


def encode_story(tok: Tokenizer, story: corpus.Story) -> EncodedStory:
    """Tokenize word by word (the byte-level pre-tokenizer splits at the same places), keeping
    where each word starts, so word-level and token-level views line up exactly."""
    ids, starts = [eot_id(tok)], []
    for piece in corpus.word_pieces(story.words):
        starts.append(len(ids))
        ids += _piece_ids(tok, piece)
    ids.append(eot_id(tok))
    return EncodedStory(ids, starts, story.words, story.log_prob)


# Per tokenizer: piece text -> ids. The tokenizer itself is kept in the entry so its id() can never
# be reused by another tokenizer while the cache lives (ids of dead objects get recycled).
_PIECES: dict[int, tuple[Tokenizer, dict[str, list[int]]]] = {}


def _piece_ids(tok: Tokenizer, piece: str) -> list[int]:
    entry = _PIECES.get(id(tok))
    if entry is None or entry[0] is not tok:
        entry = _PIECES[id(tok)] = (tok, {})
    cache = entry[1]
    if piece not in cache:
        cache[piece] = tok.encode(piece).ids
    return cache[piece]


def first_token(tok: Tokenizer, word: str, at_start: bool = False) -> int:
    """The token a word begins with when it follows other text (words carry their leading space)."""
    piece = word if (at_start or word in corpus.PUNCTUATION) else " " + word
    return _piece_ids(tok, piece)[0]


@lru_cache(maxsize=1)
def heldout_stories(n: int = 400, seed: int = 10_000_019) -> list[corpus.Story]:
    """Held-out stories: a seed the trainer never uses for training data."""
    return corpus.generate_stories(n, seed)


def _batched(model: GPT, encoded: Sequence[EncodedStory], attention: bool = False, batch: int = 32):
    """Yield (story, log-probs (T, V), attention (L, H, T, T) or None) one story at a time."""
    for i in range(0, len(encoded), batch):
        chunk = encoded[i : i + batch]
        T = max(len(e.ids) for e in chunk)
        x = torch.full((len(chunk), T), chunk[0].ids[0], dtype=torch.long)
        for j, e in enumerate(chunk):
            x[j, : len(e.ids)] = torch.tensor(e.ids)
        with torch.inference_mode():
            logits, att = model(x, return_attention=attention)
            logp = F.log_softmax(logits.float(), dim=-1)
        for j, e in enumerate(chunk):
            n = len(e.ids)
            yield e, logp[j, :n], (att[j, :, :, :n, :n] if att is not None else None)


@dataclass(frozen=True)
class Quality:
    model_nats_per_story: float
    true_nats_per_story: float
    kl_word_boundary: float  # mean KL(true || model) in nats over word positions
    kl_positions: int
    stories: int

    @property
    def ratio(self) -> float:
        return self.model_nats_per_story / self.true_nats_per_story


def measure_quality(model: GPT, tok: Tokenizer, stories: Sequence[corpus.Story]) -> Quality:
    encoded = [encode_story(tok, s) for s in stories]
    model_nats = true_nats = kl_sum = 0.0
    kl_n = 0
    for e, logp, _ in _batched(model, encoded):
        ids = torch.tensor(e.ids)
        model_nats -= float(logp[:-1].gather(1, ids[1:, None]).sum())  # includes predicting the final eot
        true_nats -= e.log_prob
        for i, dist in enumerate(corpus.story_next_distributions(e.words)):
            pos = e.word_token_start[i] - 1  # the model's guess for this word is made one token earlier
            mapped: dict[int, float] = {}
            for w, p in dist.items():
                t = first_token(tok, w, at_start=(i == 0))
                mapped[t] = mapped.get(t, 0.0) + p
            kl_sum += sum(p * (math.log(p) - float(logp[pos, t])) for t, p in mapped.items() if p > 0)
            kl_n += 1
    n = len(encoded)
    return Quality(model_nats / n, true_nats / n, kl_sum / max(kl_n, 1), kl_n, n)


@dataclass(frozen=True)
class HeadRole:
    layer: int
    head: int
    mean_weight: float  # mean attention on the earlier mention(s) of the name about to be repeated
    sites: int
    table: np.ndarray  # (layers, heads) the same statistic for every head


def name_copy_sites(tok: Tokenizer, e: EncodedStory) -> list[tuple[int, list[int]]]:
    """Positions where the next word is certainly a character's name (p = 1 in the grammar), with
    the token positions of that name's earlier mentions."""
    sites = []
    g = corpus.GRAMMAR
    for i, dist in enumerate(corpus.story_next_distributions(e.words)):
        w = e.words[i]
        if w in g.names and dist.get(w, 0.0) > 0.999:
            target = first_token(tok, w)
            q = e.word_token_start[i] - 1
            earlier = [k for k in range(q + 1) if e.ids[k] == target]
            if earlier:
                sites.append((q, earlier))
    return sites


def measure_name_head(model: GPT, tok: Tokenizer, stories: Sequence[corpus.Story]) -> HeadRole:
    """For every head: mean attention weight, at name-repeat sites, on the earlier mentions of that name."""
    encoded = [encode_story(tok, s) for s in stories]
    total = None
    n = 0
    for e, _, att in _batched(model, encoded, attention=True):
        for q, keys in name_copy_sites(tok, e):
            w = att[:, :, q, keys].sum(-1).numpy()  # (L, H)
            total = w if total is None else total + w
            n += 1
    table = total / max(n, 1)
    layer, head = np.unravel_index(int(np.argmax(table)), table.shape)
    return HeadRole(int(layer), int(head), float(table[layer, head]), n, table)

"""Counting models: the unigram and the bigram, the oldest language models (Shannon 1948).

Word level: a word is a grammar word, with "." and "," words of their own. A story starts after the
start marker <s> and ends with the end marker </s>, which the models must also predict (its surprise
is charged to the story's last word, as for the token models).

- unigram: p(w) = (count(w) + 1) / (N + V)  (add-one smoothing: no word gets probability 0)
- bigram, interpolated Kneser-Ney (Kneser & Ney 1995; Chen & Goodman 1998, eq. 26 with one discount):
    p(w | v) = max(c(v w) - d, 0) / c(v)  +  d * N1+(v •) / c(v) * p_cont(w)
  where p_cont(w) is the share of distinct words that precede w ("how many contexts does w complete?"),
  add-one smoothed so an unseen word keeps a little probability. An unseen previous word uses p_cont alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

START, END, UNKNOWN = "<s>", "</s>", "<unk>"
DISCOUNT = 0.75  # Kneser-Ney's usual absolute discount


@dataclass(frozen=True)
class NGramCounts:
    vocab: tuple[str, ...]  # index 0 is <s>, 1 is </s>, 2 is <unk>, then the words in first-seen order
    bigrams: np.ndarray  # (V, V) counts: row = previous word, column = next word

    @property
    def index(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.vocab)}


def count(stories: Iterable[Sequence[str]]) -> NGramCounts:
    """Bigram counts over stories (each a sequence of words); unigram counts are their column sums."""
    vocab = [START, END, UNKNOWN]
    index = {w: i for i, w in enumerate(vocab)}
    pairs: dict[tuple[int, int], int] = {}
    for words in stories:
        prev = 0
        for w in [*words, END]:
            i = index.get(w)
            if i is None:
                i = index[w] = len(vocab)
                vocab.append(w)
            pairs[prev, i] = pairs.get((prev, i), 0) + 1
            prev = i
    table = np.zeros((len(vocab), len(vocab)))
    for (a, b), n in pairs.items():
        table[a, b] = n
    return NGramCounts(tuple(vocab), table)


@dataclass(frozen=True)
class NGramModel:
    """Next-word probabilities of a fitted unigram or bigram model, as a table over the vocabulary."""

    order: int  # 1 or 2
    vocab: tuple[str, ...]
    probs: np.ndarray  # (V, V): row = previous word (ignored by the unigram: every row is the same)

    def next_word(self, previous: str) -> np.ndarray:
        """(V,) probabilities of every word after `previous` (words outside the vocabulary read as <unk>)."""
        i = self.vocab.index(previous) if previous in self.vocab else self.vocab.index(UNKNOWN)
        return self.probs[i]

    def word_nats(self, words: Sequence[str]) -> np.ndarray:
        """Surprise (nats) at every word of a story, the end marker charged to the last word."""
        index = {w: i for i, w in enumerate(self.vocab)}
        unk = index[UNKNOWN]
        ids = [0] + [index.get(w, unk) for w in words] + [index[END]]
        logp = np.log(self.probs[ids[:-1], ids[1:]])
        nats = -logp[:-1]
        nats[-1] -= logp[-1]
        return nats


def unigram(c: NGramCounts) -> NGramModel:
    counts = c.bigrams.sum(axis=0)  # how often each word comes next, anywhere
    counts[0] = 0.0  # <s> is never predicted
    V = len(c.vocab) - 1  # every word but <s>
    p = (counts + 1.0) / (counts.sum() + V)
    p[0] = 0.0
    return NGramModel(1, c.vocab, np.tile(p, (len(c.vocab), 1)))


def bigram(c: NGramCounts, d: float = DISCOUNT) -> NGramModel:
    table = c.bigrams
    V = len(c.vocab)
    # p_cont(w): distinct predecessors of w over distinct bigram types, add-one smoothed (never <s>).
    preceded = (table > 0).sum(axis=0).astype(float) + 1.0
    preceded[0] = 0.0
    p_cont = preceded / preceded.sum()
    context = table.sum(axis=1, keepdims=True)  # c(v)
    followers = (table > 0).sum(axis=1, keepdims=True)  # N1+(v •)
    with np.errstate(invalid="ignore", divide="ignore"):
        discounted = np.where(context > 0, np.maximum(table - d, 0.0) / context, 0.0)
        backoff = np.where(context > 0, d * followers / context, 1.0)
    probs = discounted + backoff * p_cont[None, :]
    assert probs.shape == (V, V)
    return NGramModel(2, c.vocab, probs)


def models_from_counts(c: NGramCounts) -> dict[str, NGramModel]:
    return {"unigram": unigram(c), "bigram": bigram(c)}


def perplexity_of(model: NGramModel, stories: Iterable[Sequence[str]]) -> tuple[float, int]:
    """(nats per word, words) on the given stories."""
    total, words = 0.0, 0
    for w in stories:
        nats = model.word_nats(w)
        total += float(nats.sum())
        words += len(nats)
    return total / words, words


def counts_to_tensors(c: NGramCounts) -> dict:
    import torch

    return {"bigram_counts": torch.tensor(c.bigrams, dtype=torch.float64)}


def load_ngrams(name: str = "ngram") -> dict[str, NGramModel]:
    """The shipped counts (pretrained/ngram), as the unigram and the bigram model."""
    from explainers.store import ModelLoadError, load_model

    loaded = load_model(name)
    try:
        vocab = tuple(str(w) for w in loaded.config["architecture"]["vocab"])
        table = loaded.tensors["bigram_counts"].double().numpy()
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelLoadError(name, f"its counts do not fit its vocabulary ({type(exc).__name__})") from exc
    if table.shape != (len(vocab), len(vocab)) or vocab[:3] != (START, END, UNKNOWN):
        raise ModelLoadError(name, "its counts do not fit its vocabulary")
    return models_from_counts(NGramCounts(vocab, table))

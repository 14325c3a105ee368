"""How good is a text model? Per-word perplexity and per-word surprise, for any of our story models.

Perplexity is counted per *word* so that models which cut text differently (a word-level n-gram,
token-level RNN and GPT) are measured on the same scale: a token model's surprise at a word is the
sum of its tokens' surprises (-ln p), and the end-of-story marker is charged to the last word. The
grammar's own surprise on the same stories is the floor no model can beat on average: the stories
really are that random.

    perplexity = exp(total nats / total words)   "as unsure as choosing among this many words, every word"
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from tokenizers import Tokenizer

from explainers import corpus
from explainers.lm_quality import EncodedStory, encode_story

# A story model: token ids (B, T) -> (logits (B, T, V), anything). The GPT and the RNN both fit.
TokenModel = Callable[[torch.Tensor], tuple[torch.Tensor, object]]


@dataclass(frozen=True)
class Perplexity:
    nats_per_word: float
    words: int
    stories: int

    @property
    def perplexity(self) -> float:
        return math.exp(self.nats_per_word)


def perplexity(per_story: Sequence[np.ndarray]) -> Perplexity:
    """From per-word nats of each story."""
    words = int(sum(len(a) for a in per_story))
    total = float(sum(float(np.sum(a)) for a in per_story))
    return Perplexity(total / max(words, 1), words, len(per_story))


def token_log_probs(model: TokenModel, encoded: Sequence[EncodedStory], batch: int = 32) -> list[np.ndarray]:
    """For each story, ln p(token i+1 | tokens ..i) for every token after the first, shape (len(ids) - 1,)."""
    out = []
    for i in range(0, len(encoded), batch):
        chunk = encoded[i : i + batch]
        T = max(len(e.ids) for e in chunk)
        x = torch.full((len(chunk), T), chunk[0].ids[0], dtype=torch.long)  # right-padded: causal models ignore it
        for j, e in enumerate(chunk):
            x[j, : len(e.ids)] = torch.tensor(e.ids)
        with torch.inference_mode():
            logits, _ = model(x)
            logp = F.log_softmax(logits.float(), dim=-1)  # (B, T, V)
        for j, e in enumerate(chunk):
            ids = torch.tensor(e.ids)
            out.append(logp[j, : len(e.ids) - 1].gather(1, ids[1:, None])[:, 0].double().numpy())
    return out


def word_nats_from_tokens(e: EncodedStory, token_logp: np.ndarray) -> np.ndarray:
    """Sum token surprises into word surprises. token_logp[k] scores ids[k + 1]; ids[0] is the start marker,
    the last id the end marker (charged to the last word)."""
    bounds = list(e.word_token_start) + [len(e.ids) - 1]
    nats = np.array([-token_logp[a - 1 : b - 1].sum() for a, b in zip(bounds[:-1], bounds[1:], strict=True)])
    nats[-1] -= token_logp[-1]  # the end-of-story marker
    return nats


def token_model_word_nats(
    model: TokenModel, tok: Tokenizer, stories: Sequence[corpus.Story], batch: int = 32
) -> list[np.ndarray]:
    """Per-word surprise (nats) of a token model on each story."""
    encoded = [encode_story(tok, s) for s in stories]
    return [word_nats_from_tokens(e, lp) for e, lp in zip(encoded, token_log_probs(model, encoded, batch), strict=True)]


def true_word_nats(story: corpus.Story, g: corpus.Grammar = corpus.GRAMMAR) -> np.ndarray:
    """The grammar's exact surprise at every word of a story: what an ideal model would pay."""
    dists = corpus.story_next_distributions(story.words, g)
    return np.array([-math.log(d[w]) for d, w in zip(dists, story.words, strict=True)])


def floor(stories: Sequence[corpus.Story]) -> Perplexity:
    """The grammar's own per-word perplexity on these stories (sums to each story's exact -ln p)."""
    return perplexity([true_word_nats(s) for s in stories])


def entropy_floor() -> Perplexity:
    """The grammar's exact entropy per word, over all stories it can write (no sample)."""
    ent = corpus.exact_entropy()
    return Perplexity(ent.per_word, 0, 0)


@dataclass(frozen=True)
class Surprise:
    """Per-word surprise of several models on one story (for a coloured-text view)."""

    words: tuple[str, ...]
    pieces: tuple[str, ...]  # the text each word adds ("".join(pieces) is the story)
    models: tuple[str, ...]
    nats: np.ndarray  # (models, words)


def showcase_story(stories: Sequence[corpus.Story] | None = None) -> corpus.Story:
    """The held-out story the surprise view shows: the first with a cat opener, at least 8 sentences, and
    both a name and the toy coming back, so every kind of difficulty appears once."""
    from explainers.lm_quality import heldout_stories

    for s in stories if stories is not None else heldout_stories():
        w = s.words
        if w[0] != "The" or len(s.sentence_starts) < 8 or "played" not in w:
            continue
        friend = w[w.index("friend") + 2]
        if w.count(friend) >= 2:
            return s
    raise ValueError("no held-out story fits")


# ---------------------------------------------------------------------------------------------
# For the Evaluation page: every model's number from the shipped configs, surprise computed live

Scorer = Callable[[Sequence[corpus.Story]], list[np.ndarray]]


def scorers(ngrams: dict, token_models: dict) -> dict[str, Scorer]:
    """Per-word surprise functions: n-gram models (explainers.ngram) by name, then token models (LM-like objects
    with .model and .tok) by name, in the order given."""
    out: dict[str, Scorer] = {}
    for name, m in ngrams.items():
        out[name] = lambda stories, m=m: [m.word_nats(s.words) for s in stories]
    for name, lm in token_models.items():
        out[name] = lambda stories, lm=lm: token_model_word_nats(lm.model, lm.tok, stories)
    return out


def surprise(story: corpus.Story, score: dict[str, Scorer]) -> Surprise:
    """Every model's surprise at every word of one story, plus the grammar's own (the last row, "grammar")."""
    rows = [score[name]([story])[0] for name in score] + [true_word_nats(story)]
    return Surprise(story.words, tuple(corpus.word_pieces(story.words)), (*score, "grammar"), np.stack(rows))


@dataclass(frozen=True)
class PerplexityTable:
    models: tuple[str, ...]  # "unigram", "bigram", "rnn", "gpt"
    perplexity: np.ndarray  # (M,) per word, on the held-out stories
    floor_heldout: float  # the grammar's per-word perplexity on the same stories
    floor_exact: float  # exp(the grammar's exact entropy per word), over every story it can write
    words: int
    stories: int


def perplexity_table(ngram_config: dict, rnn_config: dict, gpt_config: dict) -> PerplexityTable:
    """The numbers measured at training time (tests/test_text_quality.py recomputes them). The GPT's figure: the
    RNN trainer's measurement while the GPT has the same weights, else the GPT's own record of nats per held-out
    story, which on the same stories is exactly its per-word measure; nan if neither is there."""
    n, r, g = ngram_config["metrics"], rnn_config["metrics"], gpt_config.get("metrics", {})
    words, stories = int(r["heldout_words"]), int(r["heldout_stories"])
    if r.get("gpt_weights_sha256") == gpt_config.get("weights", {}).get("sha256") and "gpt_per_word_perplexity" in r:
        gpt = float(r["gpt_per_word_perplexity"])
    elif "model_nats_per_story" in g:
        gpt = math.exp(float(g["model_nats_per_story"]) * stories / words)
    else:
        gpt = math.nan
    values = [n["unigram_per_word_perplexity"], n["bigram_per_word_perplexity"], r["per_word_perplexity"], gpt]
    return PerplexityTable(
        ("unigram", "bigram", "rnn", "gpt"),
        np.array(values, dtype=float),
        float(r["true_per_word_perplexity_heldout"]),
        entropy_floor().perplexity,
        words,
        stories,
    )

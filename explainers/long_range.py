"""Remembering over a distance: can a model repeat a name it read N words ago?

A held-out story's opening introduces the hero, a friend and a toy ("She had a friend named Tom.").
Then come filler sentences drawn from the story grammar itself (so the text stays the kind the models
were trained on) that never mention the friend, and finally "Mia and", which the grammar always
continues with the friend's name. The probability a model puts on that name, as the filler grows, is
how well it carries a fact across a distance. The same openings and the same filler sequences are
used at every distance: more filler means the same story, longer.

The same builder makes the Limits page's fact questions: "She played with the ___" needs the toy,
"Mia and ___" the friend; `cut=True` leaves out the sentence that states the fact.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch
from tokenizers import Tokenizer

from explainers import corpus
from explainers.lm_quality import heldout_stories
from explainers.text_eval import TokenModel
from explainers.tokenizer import eot_id

# Filler sentences at each tested distance. The grammar allows 15 middle sentences and the last one is
# the sentence that repeats the name, so 14 is the longest in-distribution distance.
DISTANCE_FILLERS = (0, 1, 2, 3, 4, 6, 8, 10, 12, 14)
MAX_FILLERS = 14
FILLER_SEED = 20_240_917  # the filler sentences' own seed (the openings come from the held-out stories)


@dataclass(frozen=True)
class RecallPrompt:
    words: tuple[str, ...]
    answer: str  # the word the grammar says must come next (probability 1)
    candidates: tuple[str, ...]  # every word of the same kind the model could write there
    distance: int  # words from the answer's last mention to the position where it must be written
    fillers: int
    kind: str  # "friend" or "toy"
    cut: bool  # True when the sentence stating the fact was left out


def filler_sentences(state: corpus.State, avoid: str, n: int, rng: random.Random) -> list[corpus.Sentence]:
    """`n` middle sentences with the grammar's odds, none mentioning `avoid` and none ending the story."""
    state = replace(state, middle=1)  # past the first middle sentence: the count only changes the odds of ending

    def allow(s: corpus.Sentence) -> bool:
        return avoid not in s and s != ("The", "end", ".")

    return [corpus.sample_sentence(state, rng, allow=allow) for _ in range(n)]


def recall_prompt(
    story: corpus.Story, kind: str, fillers: int, seed: int, cut: bool = False, filler: Sequence[str] | None = None
) -> RecallPrompt:
    """A question about `story`'s friend ("Mia and ___") or toy ("She played with the ___").

    The filler is the first `fillers` sentences of a sequence fixed by `seed`, or the given `filler` words."""
    words, state = corpus.opening(story)
    g = corpus.GRAMMAR
    if kind == "friend":
        answer, cue, candidates = state.friend, (state.hero, "and"), tuple(n for n in g.names if n != state.hero)
    elif kind == "toy":
        answer, cue, candidates = state.toy, (corpus.pronouns(g, state.hero)[0], "played", "with", "the"), g.objects
    else:
        raise ValueError(f"unknown question kind {kind!r}")
    if filler is None:
        rng = random.Random(seed)
        filler = [w for s in filler_sentences(state, answer, MAX_FILLERS, rng)[:fillers] for w in s]
    if cut:
        words = _drop_sentences_with(words, answer)
    prompt = tuple(words) + tuple(filler) + cue
    mentions = [i for i, w in enumerate(prompt) if w == answer]
    distance = len(prompt) - mentions[-1] if mentions else 0
    return RecallPrompt(prompt, answer, candidates, distance, fillers, kind, cut)


def _drop_sentences_with(words: Sequence[str], word: str) -> tuple[str, ...]:
    """The words without every sentence that contains `word` (in an opening, only the one stating the fact)."""
    out: list[str] = []
    sentence: list[str] = []
    for w in words:
        sentence.append(w)
        if w == ".":
            if word not in sentence:
                out += sentence
            sentence = []
    return tuple(out + sentence)


def long_range_prompts(fillers: int, n: int, kind: str = "friend") -> list[RecallPrompt]:
    """The test's prompts at one distance: the first `n` held-out stories' openings."""
    return [recall_prompt(s, kind, fillers, FILLER_SEED + i) for i, s in enumerate(heldout_stories()[:n])]


def prompt_token_ids(tok: Tokenizer, words: Sequence[str]) -> list[int]:
    """What a model reads for a prompt: the story-start marker, then the text's tokens."""
    return [eot_id(tok)] + tok.encode(corpus.render(words)).ids


def word_probabilities(
    model: TokenModel, tok: Tokenizer, prompts: Sequence[Sequence[str]], candidates: Sequence[str], batch: int = 64
) -> np.ndarray:
    """(len(prompts), len(candidates)): the probability of each whole candidate word coming next (the
    product of its tokens' probabilities; words are written with their leading space)."""
    cand_ids = [tok.encode(" " + c).ids for c in candidates]
    seqs = [prompt_token_ids(tok, p) for p in prompts]
    out = np.zeros((len(prompts), len(candidates)))
    # Each row: one prompt followed by all but the last token of one multi-token candidate (or nothing).
    rows: list[tuple[int, int | None, list[int]]] = [(i, None, s) for i, s in enumerate(seqs)]
    rows += [(i, j, s + c[:-1]) for i, s in enumerate(seqs) for j, c in enumerate(cand_ids) if len(c) > 1]
    for k in range(0, len(rows), batch):
        chunk = rows[k : k + batch]
        T = max(len(r[2]) for r in chunk)
        x = torch.zeros((len(chunk), T), dtype=torch.long)
        for r, (_, _, s) in enumerate(chunk):
            x[r, : len(s)] = torch.tensor(s)
        with torch.inference_mode():
            logits, _ = model(x)
            logp = torch.log_softmax(logits.double(), dim=-1)  # (B, T, V)
        for r, (i, j, _) in enumerate(chunk):
            n = len(seqs[i])
            if j is None:
                for jj, c in enumerate(cand_ids):
                    out[i, jj] += float(logp[r, n - 1, c[0]])
            else:
                c = cand_ids[j]
                out[i, j] += float(sum(logp[r, n + t, c[t + 1]] for t in range(len(c) - 1)))
    return np.exp(out)


@dataclass(frozen=True)
class LongRange:
    fillers: np.ndarray  # (D,) filler sentences
    distance: np.ndarray  # (D,) mean words between the name and where it must be repeated
    p_right: np.ndarray  # (D,) mean probability of the right name
    p_right_each: np.ndarray  # (D, n) per prompt
    top_right: np.ndarray  # (D,) share of prompts where the right name is the model's favourite name
    prompts: int


def long_range_curve(
    model: TokenModel, tok: Tokenizer, n_prompts: int = 100, fillers: Sequence[int] = DISTANCE_FILLERS
) -> LongRange:
    dist, each, top = [], [], []
    for k in fillers:
        prompts = long_range_prompts(k, n_prompts)
        names = corpus.GRAMMAR.names
        probs = word_probabilities(model, tok, [p.words for p in prompts], names)  # (n, names)
        right = np.array([names.index(p.answer) for p in prompts])
        each.append(probs[np.arange(len(prompts)), right])
        masked = probs.copy()
        for i, p in enumerate(prompts):  # the hero cannot be the answer: "Mia and Mia" is not in any story
            masked[i, names.index(p.words[-2])] = -1.0
        top.append(float(np.mean(masked.argmax(1) == right)))
        dist.append(float(np.mean([p.distance for p in prompts])))
    return LongRange(
        np.array(fillers), np.array(dist), np.array([e.mean() for e in each]), np.stack(each), np.array(top), n_prompts
    )

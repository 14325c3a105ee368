"""Open up the story GPT: tokens, next-token odds, sampling knobs, step-wise generation, attention.

Every function takes the shared (read-only) `LM` and plain inputs and returns a frozen dataclass
of numpy arrays. Nothing here keeps per-visitor state; randomness comes from a `seed` argument.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tokenizers import Tokenizer

from explainers import corpus
from explainers.gpt import GPT, build_gpt
from explainers.lm_quality import first_token
from explainers.store import LoadedModel, ModelLoadError, load_model
from explainers.tokenizer import eot_id, load_tokenizer, token_label

MAX_TEXT_CHARS = 600  # the Tokens page (no model run)
MAX_PROMPT_CHARS = 400  # pages that run the model
MAX_GENERATE_STEPS = 120
TOP_ALTERNATIVES = 6


@dataclass(frozen=True)
class LM:
    model: GPT
    tok: Tokenizer
    eot: int
    config: dict

    @property
    def max_tokens(self) -> int:
        return self.model.cfg.block_size

    @property
    def vocab_size(self) -> int:
        return self.model.cfg.vocab_size


def lm_from_loaded(loaded: LoadedModel) -> LM:
    path = loaded.directory / "tokenizer.json"
    if not path.is_file():
        raise ModelLoadError(loaded.name, "its tokenizer file tokenizer.json is missing")
    try:
        tok = load_tokenizer(path.read_text())
    except (ValueError, UnicodeDecodeError, json.JSONDecodeError, Exception) as exc:  # tokenizers raises Exception
        raise ModelLoadError(loaded.name, f"its tokenizer file cannot be read ({type(exc).__name__})") from exc
    try:
        model = build_gpt(loaded.config["architecture"], loaded.tensors)
    except (KeyError, RuntimeError, TypeError, ValueError) as exc:
        raise ModelLoadError(loaded.name, f"its weights do not fit its architecture ({type(exc).__name__})") from exc
    if tok.get_vocab_size() != model.cfg.vocab_size:
        raise ModelLoadError(loaded.name, "its tokenizer does not match its weights")
    return LM(model, tok, eot_id(tok), loaded.config)


def load_lm(name: str = "gpt", root: Path | None = None) -> LM:
    return lm_from_loaded(load_model(name, root))


def name_head(lm: LM) -> tuple[int, int, float] | None:
    """The measured name-repeat head (0-based layer, head) and its statistic, from config.json."""
    m = lm.config.get("metrics", {})
    try:
        return int(m["name_head_layer"]) - 1, int(m["name_head_head"]) - 1, float(m["name_head_mean_weight"])
    except (KeyError, TypeError, ValueError):
        return None


# ---------------------------------------------------------------------------------------------
# Tokens


@dataclass(frozen=True)
class TokenView:
    ids: np.ndarray  # (n,) token ids
    labels: tuple[str, ...]  # printable token text ("␣" for a space, ⟨F0 9F⟩ for part of a character)
    complete: np.ndarray  # (n,) bool: False for byte pieces of a multi-byte character
    spans: np.ndarray  # (n, 2) character offsets into the text
    words: tuple[str, ...]  # whitespace-separated words of the text
    word_tokens: np.ndarray  # (len(words),) how many tokens each word became, its leading space included
    word_first: np.ndarray  # (len(words),) index of each word's first token
    n_chars: int

    @property
    def n_outside_words(self) -> int:
        """Tokens that belong to no word: spaces or line breaks after the last word (the rest are counted
        with the word they are glued to), so sum(word_tokens) + n_outside_words == number of tokens."""
        return len(self.ids) - int(self.word_tokens.sum())

    def pieces(self, word: int) -> tuple[str, ...]:
        """The labels of the tokens word number `word` became."""
        first = int(self.word_first[word])
        return self.labels[first : first + int(self.word_tokens[word])]


def tokenize(lm: LM, text: str) -> TokenView:
    enc = lm.tok.encode(text)
    labels = [token_label(lm.tok, i) for i in enc.ids]
    spans = np.array(enc.offsets, dtype=np.int64).reshape(-1, 2)
    starts = spans[:, 0]
    words, firsts, counts = [], [], []
    pos = 0
    # A space belongs to the token after it ("␣mat"), so word i owns every token that starts after the end of
    # word i-1 and before its own end: a lone "␣" token is counted with the word it is glued to, as the page
    # says, and the bars add up to the token count.
    for w in text.split():
        start = text.index(w, pos)
        end = start + len(w)
        first = int(np.searchsorted(starts, pos, side="left"))  # first token starting at or after the gap
        last = int(np.searchsorted(starts, end, side="left"))  # tokens starting before the word's end
        pos = end
        words.append(w)
        firsts.append(first)
        counts.append(max(0, last - first))
    return TokenView(
        ids=np.array(enc.ids, dtype=np.int64),
        labels=tuple(lab.text for lab in labels),
        complete=np.array([lab.complete for lab in labels], dtype=bool),
        spans=spans,
        words=tuple(words),
        word_tokens=np.array(counts, dtype=np.int64),
        word_first=np.array(firsts, dtype=np.int64),
        n_chars=len(text),
    )


def is_one_token(lm: LM, text: str) -> bool:
    return len(lm.tok.encode(text).ids) == 1


def label(lm: LM, token_id: int) -> str:
    """A token as people should read it; the story boundary gets a name instead of its code."""
    if int(token_id) == lm.eot:
        return END_LABEL
    return token_label(lm.tok, int(token_id)).text


END_LABEL = "⟨end of story⟩"


def prompt_ids(lm: LM, prompt: str) -> list[int]:
    """What the model reads: the story-start marker, then the prompt's tokens (cut to fit)."""
    ids = [lm.eot] + lm.tok.encode(prompt).ids
    return ids[-lm.max_tokens :]


# ---------------------------------------------------------------------------------------------
# Next token


@dataclass(frozen=True)
class NextToken:
    ids: np.ndarray  # (T,) what the model read (first is the story-start marker)
    logits: np.ndarray  # (V,) scores for the next token: cache these, knobs only re-apply softmax


def next_token(lm: LM, prompt: str) -> NextToken:
    ids = prompt_ids(lm, prompt)
    with torch.inference_mode():
        logits, _ = lm.model(torch.tensor([ids]))
    return NextToken(np.array(ids), logits[0, -1].double().numpy().copy())


@dataclass(frozen=True)
class Sampling:
    base: np.ndarray  # (V,) softmax(logits / temperature), before any cut
    probs: np.ndarray  # (V,) the distribution actually sampled from (after top-k / top-p, renormalised)
    kept: np.ndarray  # (V,) bool
    order: np.ndarray  # (V,) token ids sorted by base probability, most likely first
    cumulative: np.ndarray  # (V,) cumulative probability along `order` of what top-p looked at
    entropy: float  # nats, of `probs`
    greedy: bool

    @property
    def n_kept(self) -> int:
        return int(self.kept.sum())

    @property
    def effective_choices(self) -> float:
        """exp(entropy): 'as unsure as choosing among this many equally likely tokens'."""
        return float(math.exp(self.entropy))


def softmax(x: np.ndarray) -> np.ndarray:
    z = x - np.max(x)
    e = np.exp(z)
    return e / e.sum()


def apply_sampling(logits: np.ndarray, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0) -> Sampling:
    """Temperature, then top-k, then top-p (as in common libraries). Temperature 0 means greedy."""
    logits = np.asarray(logits, dtype=np.float64)
    V = logits.shape[0]
    greedy = temperature <= 0
    base = softmax(logits / max(temperature, 1e-6)) if not greedy else softmax(logits)
    order = np.lexsort((np.arange(V), -base))  # ties: lower id first, so results are reproducible
    kept = np.zeros(V, dtype=bool)
    if greedy:
        kept[order[0]] = True
    else:
        k = V if top_k <= 0 else min(int(top_k), V)
        kept[order[:k]] = True
    # top-p works on what survived top-k, renormalised; keep the smallest top set reaching mass p
    masked = np.where(kept, base, 0.0)
    masked = masked / masked.sum()
    cumulative = np.cumsum(masked[order])
    if not greedy and top_p < 1.0:
        n = int(np.searchsorted(cumulative, top_p - 1e-12) + 1)
        cut = np.zeros(V, dtype=bool)
        cut[order[:n]] = True
        kept &= cut
    probs = np.where(kept, base, 0.0)
    probs = probs / probs.sum()
    nz = probs[probs > 0]
    entropy = float(-(nz * np.log(nz)).sum())
    return Sampling(base, probs, kept, order, cumulative, entropy, greedy)


def tokens_to_show(s: Sampling, truth: TrueOdds | None = None, n: int = 10) -> list[int]:
    """The model's top n tokens, plus any token the data says can come next."""
    shown = [int(t) for t in s.order[:n]]
    if truth is not None:
        support = np.argsort(-truth.token_probs, kind="stable")[: int((truth.token_probs > 0).sum())]
        shown += [int(t) for t in support if int(t) not in shown]
    return shown


@dataclass(frozen=True)
class ScoreSteps:
    """Scores -> scores / temperature -> probabilities, for the top tokens (the page writes them as a table)."""

    tokens: tuple[str, ...]
    logits: np.ndarray  # (n,)
    scaled: np.ndarray | None  # (n,) logits / temperature; None at temperature 0 (greedy takes the top)
    probs: np.ndarray  # (n,) after all the knobs


def score_steps(lm: LM, logits: np.ndarray, s: Sampling, temperature: float, n: int = 5) -> ScoreSteps:
    top = s.order[:n]
    scaled = np.asarray(logits[top], dtype=np.float64) / temperature if temperature > 0 else None
    return ScoreSteps(tuple(label(lm, t) for t in top), np.asarray(logits[top], dtype=np.float64), scaled, s.probs[top])


@dataclass(frozen=True)
class TrueOdds:
    """What the data says: the grammar's exact next-word odds, and the same summed by first token."""

    words: tuple[str, ...]
    word_probs: np.ndarray
    token_probs: np.ndarray  # (V,)


def true_odds(lm: LM, prompt: str) -> TrueOdds | None:
    """None when the prompt is not the start of a story our grammar can write."""
    if prompt != prompt.rstrip():
        return None  # a trailing space is not a word boundary the way the model reads text
    words = corpus.parse(prompt)
    if words is None:
        return None
    nxt = corpus.next_word_distribution(words)
    if nxt is None or not nxt.distribution:
        return None
    items = sorted(nxt.distribution.items(), key=lambda kv: -kv[1])
    token_probs = np.zeros(lm.vocab_size)
    for w, p in items:
        token_probs[first_token(lm.tok, w, at_start=not words)] += p
    return TrueOdds(tuple(w for w, _ in items), np.array([p for _, p in items]), token_probs)


def in_story_world(prompt: str) -> bool:
    """True when the text could be the start of one of the stories the model was trained on (the grammar
    can continue it). Outside that tiny world the model has never seen anything like it."""
    words = corpus.parse(prompt.rstrip())
    return words is not None and corpus.next_word_distribution(words) is not None


def kl_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """KL(p || q) in nats over the support of p."""
    m = p > 0
    return float(np.sum(p[m] * (np.log(p[m]) - np.log(np.maximum(q[m], 1e-300)))))


# ---------------------------------------------------------------------------------------------
# Generation, one token at a time, with branching


@dataclass(frozen=True)
class Step:
    token: int
    # Probability of the chosen token in the odds it was chosen from: after temperature, top-k and top-p when
    # sampling; the model's own odds when greedy (greedy takes the largest; its one-hot "100%" would hide them).
    prob: float
    rank: int  # 1 = the model's favourite
    alternatives: np.ndarray  # (A,) ids of the top tokens at this step (chosen one included)
    alt_probs: np.ndarray  # (A,) in the same odds as `prob`
    forced: bool  # True when a visitor picked this token ("what if")


@dataclass(frozen=True)
class Generation:
    prompt_ids: np.ndarray
    steps: tuple[Step, ...]
    finished: bool  # the model ended the story (or there was no room left)

    @property
    def token_ids(self) -> np.ndarray:
        return np.array([s.token for s in self.steps], dtype=np.int64)


def generate(
    lm: LM,
    prompt: str,
    n_steps: int,
    seed: int,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    overrides: Mapping[int, int] | None = None,
    resume: Generation | None = None,
) -> Generation:
    """Generate `n_steps` tokens. One random number is drawn per step whatever happens, so the same
    seed always gives the same text, and `overrides` {step: token} ("what if it had picked this?")
    change only the steps after the branch point.

    `resume`: the result of this same call with fewer steps (same prompt, seed, settings and overrides
    before its end). Its steps are reused and only the new ones run the model: "next token" costs one
    forward pass, not a whole story's worth. The result is identical to generating from scratch."""
    overrides = dict(overrides or {})
    ids = prompt_ids(lm, prompt)
    start = len(ids)
    gen = torch.Generator().manual_seed(int(seed))
    steps: list[Step] = []
    finished = False
    n_steps = max(0, min(int(n_steps), MAX_GENERATE_STEPS))
    if resume is not None and len(resume.steps) <= n_steps and np.array_equal(resume.prompt_ids, ids):
        steps = list(resume.steps)
        ids += [s.token for s in steps]
        for _ in steps:  # replay the draws those steps used, one by one as below, so the stream matches
            torch.rand((), generator=gen, dtype=torch.float64)
        if resume.finished:
            return Generation(np.array(ids[:start]), tuple(steps), True)
    for i in range(len(steps), n_steps):
        if len(ids) >= lm.max_tokens:
            finished = True
            break
        u = float(torch.rand((), generator=gen, dtype=torch.float64))
        with torch.inference_mode():
            logits, _ = lm.model(torch.tensor([ids]))
        s = apply_sampling(logits[0, -1].double().numpy(), temperature, top_k, top_p)
        if i in overrides and 0 <= int(overrides[i]) < lm.vocab_size:
            token, forced = int(overrides[i]), True
        elif s.greedy:
            token, forced = int(s.order[0]), False
        else:
            cdf = np.cumsum(s.probs[s.order])
            token, forced = int(s.order[min(int(np.searchsorted(cdf, u * cdf[-1], side="right")), len(cdf) - 1)]), False
        rank = int(np.nonzero(s.order == token)[0][0]) + 1
        top = s.order[:TOP_ALTERNATIVES]
        if rank > TOP_ALTERNATIVES:  # an unlikely pick: show it beside the favourites it beat
            top = np.append(top, token)
        odds = s.base if s.greedy else s.probs
        steps.append(Step(token, float(odds[token]), rank, top.copy(), odds[top].copy(), forced))
        ids.append(token)
        if token == lm.eot:
            finished = True
            break
    return Generation(np.array(ids[:start]), tuple(steps), finished)


def decode(lm: LM, ids: np.ndarray | list[int]) -> str:
    return lm.tok.decode([int(i) for i in ids if int(i) != lm.eot])


# ---------------------------------------------------------------------------------------------
# Attention


@dataclass(frozen=True)
class AttentionView:
    ids: np.ndarray  # (T,) including the story-start marker at 0
    labels: tuple[str, ...]
    attention: np.ndarray  # (layers, heads, T, T): row = the token looking, column = where it looks
    next_ids: np.ndarray  # (k,) the model's top next tokens after the whole prompt
    next_probs: np.ndarray

    @property
    def mean_over_heads(self) -> np.ndarray:
        return self.attention.mean(axis=1)  # (layers, T, T)


MAX_ATTENTION_TOKENS = 128


def attention(lm: LM, prompt: str) -> AttentionView:
    ids = prompt_ids(lm, prompt)[-MAX_ATTENTION_TOKENS:]
    with torch.inference_mode():
        logits, att = lm.model(torch.tensor([ids]), return_attention=True)
    probs = torch.softmax(logits[0, -1].double(), -1).numpy()
    top = np.argsort(-probs, kind="stable")[:5]
    labels = tuple("⟨start⟩" if k == 0 and i == lm.eot else label(lm, i) for k, i in enumerate(ids))
    return AttentionView(np.array(ids), labels, att[0].float().numpy().copy(), top, probs[top])


@dataclass(frozen=True)
class NameLookback:
    """At the last position: how much the measured head looks at earlier copies of the predicted name."""

    predicted: str
    weight_on_name: float
    positions: np.ndarray


def name_lookback(lm: LM, view: AttentionView, layer: int, head: int) -> NameLookback | None:
    top = int(view.next_ids[0])
    name = label(lm, top).replace("␣", "")
    if name not in corpus.GRAMMAR.names:
        return None
    pos = np.nonzero(view.ids == top)[0]
    if pos.size == 0:
        return None
    return NameLookback(name, float(view.attention[layer, head, -1, pos].sum()), pos)


DEFAULT_STORY_PROMPT = (
    "Once upon a time, there was a little girl named Mia. She had a friend named Tom. "
    "She had a red ball. Mia went to the park with"
)

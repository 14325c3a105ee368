"""What our story models get wrong, measured: made-up facts, calibration, bias, and randomness.

Because we wrote the story world, every question below has a known right answer and known true odds:
- hallucination: a fact the story states (the friend's name, the toy) and the same story with the
  sentence that states it cut. With the fact, the model names it; without, its odds spread over every
  candidate, yet greedy decoding still writes one of them in the same confident tone;
- calibration: over many held-out questions, how often the model's favourite is right, against how
  sure it was;
- bias: a story world where 80% of doctors are "he" (`corpus.doctor_world`), a model trained on it, and
  what its odds, greedy decoding and sampling do with the skew;
- randomness: one prompt, many seeds.
Every function takes a loaded model (`explainers.lm.LM`, or any object with .model, .tok and .eot whose
model maps ids (B, T) to (logits, _)) and returns plain arrays.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from explainers import corpus
from explainers.lm_quality import encode_story, heldout_stories
from explainers.long_range import MAX_FILLERS, RecallPrompt, prompt_token_ids, recall_prompt, word_probabilities

FACT_KINDS = ("friend", "toy")
FACT_FILLERS = 2  # filler sentences between the fact and the question: the fact is a few sentences back
FACT_SEED = 31_337  # the filler sentences' seed (the openings are the held-out stories')


# ---------------------------------------------------------------------------------------------
# Hallucination


def _last_logits(model, ids_list: Sequence[Sequence[int]], batch: int = 64) -> torch.Tensor:
    """(N, V) next-token scores after each token list (right-padded batches: causal models ignore padding)."""
    out = []
    for k in range(0, len(ids_list), batch):
        chunk = ids_list[k : k + batch]
        T = max(len(s) for s in chunk)
        x = torch.zeros((len(chunk), T), dtype=torch.long)
        for r, s in enumerate(chunk):
            x[r, : len(s)] = torch.tensor(list(s))
        with torch.inference_mode():
            logits, _ = model(x)
        last = torch.tensor([len(s) - 1 for s in chunk])
        out.append(logits[torch.arange(len(chunk)), last].double())
    return torch.cat(out)


def _greedy_words(lm, prompts: Sequence[Sequence[str]]) -> list[str]:
    """The word greedy decoding writes next after each prompt (its first token decides the word here:
    every name and toy is one token; longer words are completed greedily)."""
    ids = [prompt_token_ids(lm.tok, p) for p in prompts]
    done = ["" for _ in prompts]
    live = list(range(len(prompts)))
    for _ in range(6):  # a word is at most a few tokens
        if not live:
            break
        top = _last_logits(lm.model, [ids[i] for i in live]).argmax(-1).tolist()
        still = []
        for i, t in zip(live, top, strict=True):
            piece = lm.tok.decode([t]) if t != lm.eot else ""
            starts_word = piece.startswith(" ") or piece in corpus.PUNCTUATION or not piece
            if done[i] and starts_word:
                continue
            done[i] += piece
            ids[i].append(t)
            if piece and piece not in corpus.PUNCTUATION:
                still.append(i)
        live = still
    return [w.strip() for w in done]


@dataclass(frozen=True)
class FactQuestion:
    """One question, with the fact stated and with it cut."""

    present: RecallPrompt
    cut: RecallPrompt
    candidates: tuple[str, ...]
    probs_present: np.ndarray  # (C,) the model's probability of each candidate word next
    probs_cut: np.ndarray  # (C,)
    greedy_present: str  # the word greedy decoding writes next
    greedy_cut: str


def fact_questions(
    lm, stories: Sequence[corpus.Story], kind: str, fillers: int = FACT_FILLERS, seed: int = FACT_SEED
) -> list[FactQuestion]:
    """The same question on each story, with the fact present and cut."""
    present = [recall_prompt(s, kind, fillers, seed + i) for i, s in enumerate(stories)]
    cut = [recall_prompt(s, kind, fillers, seed + i, cut=True) for i, s in enumerate(stories)]
    candidates = present[0].candidates if kind == "toy" else corpus.GRAMMAR.names
    pp = word_probabilities(lm.model, lm.tok, [p.words for p in present], candidates)
    pc = word_probabilities(lm.model, lm.tok, [p.words for p in cut], candidates)
    gp = _greedy_words(lm, [p.words for p in present])
    gc = _greedy_words(lm, [p.words for p in cut])
    return [
        FactQuestion(a, b, tuple(candidates), pp[i], pc[i], gp[i], gc[i])
        for i, (a, b) in enumerate(zip(present, cut, strict=True))
    ]


def fact_question(
    lm, story: corpus.Story, kind: str, fillers: int = FACT_FILLERS, seed: int = FACT_SEED
) -> FactQuestion:
    return fact_questions(lm, [story], kind, fillers, seed)[0]


@dataclass(frozen=True)
class Hallucination:
    kind: str
    stories: int
    p_right_present: np.ndarray  # (n,) probability of the right answer with the fact stated
    p_top_cut: np.ndarray  # (n,) probability of the model's favourite candidate with the fact cut
    p_right_cut: np.ndarray  # (n,) probability of the (no longer knowable) right answer with the fact cut
    greedy_names_one_cut: np.ndarray  # (n,) bool: with the fact cut, greedy decoding still writes a candidate
    greedy_right_present: np.ndarray  # (n,) bool
    greedy_right_cut: np.ndarray  # (n,) bool: ... and it happens to be the right one
    candidates: int


def measure_hallucination(lm, kind: str, n: int = 400) -> Hallucination:
    qs = fact_questions(lm, heldout_stories()[:n], kind)
    idx = [q.candidates.index(q.present.answer) for q in qs]
    return Hallucination(
        kind=kind,
        stories=len(qs),
        p_right_present=np.array([q.probs_present[i] for q, i in zip(qs, idx, strict=True)]),
        p_top_cut=np.array([q.probs_cut.max() for q in qs]),
        p_right_cut=np.array([q.probs_cut[i] for q, i in zip(qs, idx, strict=True)]),
        greedy_names_one_cut=np.array([q.greedy_cut in q.candidates for q in qs]),
        greedy_right_present=np.array([q.greedy_present == q.present.answer for q in qs]),
        greedy_right_cut=np.array([q.greedy_cut == q.present.answer for q in qs]),
        candidates=len(qs[0].candidates) - (1 if kind == "friend" else 0),
    )


# ---------------------------------------------------------------------------------------------
# Calibration


@dataclass(frozen=True)
class Calibration:
    """Reliability diagram: questions binned by the model's confidence (its favourite's probability)."""

    edges: np.ndarray  # (bins + 1,)
    count: np.ndarray  # (bins,) questions in each bin
    confidence: np.ndarray  # (bins,) mean confidence in the bin (nan when empty)
    accuracy: np.ndarray  # (bins,) share of those questions where the favourite was right (nan when empty)
    questions: int

    @property
    def expected_calibration_error(self) -> float:
        """Mean |accuracy - confidence| weighted by bin size (Naeini et al. 2015; Guo et al. 2017)."""
        m = self.count > 0
        return float(np.sum(self.count[m] * np.abs(self.accuracy[m] - self.confidence[m])) / self.count.sum())


def calibration(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> Calibration:
    confidence = np.asarray(confidence, dtype=float)
    correct = np.asarray(correct, dtype=float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    count = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore"):
        conf = np.bincount(which, weights=confidence, minlength=bins) / count
        acc = np.bincount(which, weights=correct, minlength=bins) / count
    return Calibration(edges, count, conf, acc, int(len(confidence)))


def fact_calibration(lm, n: int = 400) -> Calibration:
    """Fact questions (friend and toy, stated and cut, after 0 to 14 filler sentences): confidence = the top
    candidate's share of the candidates' probability, right = that candidate is the answer."""
    conf, right = [], []
    stories = heldout_stories()[:n]
    for kind in FACT_KINDS:
        for fillers in (0, 4, MAX_FILLERS):
            for q in fact_questions(lm, stories, kind, fillers):
                truth = q.candidates.index(q.present.answer)
                for probs in (q.probs_present, q.probs_cut):
                    p = probs / probs.sum()
                    conf.append(float(p.max()))
                    right.append(int(np.argmax(p)) == truth)
    return calibration(np.array(conf), np.array(right))


def next_word_calibration(lm, n: int = 200) -> Calibration:
    """Every next word of held-out stories: confidence = the model's top next-token probability, right = that
    token is how the story really goes on. The stories are random, so a good model is often unsure."""
    conf, right = [], []
    stories = heldout_stories()[:n]
    encoded = [encode_story(lm.tok, s) for s in stories]
    for e in encoded:
        x = torch.tensor([e.ids])
        with torch.inference_mode():
            logits, _ = lm.model(x)
        probs = torch.softmax(logits[0].double(), -1)  # (T, V)
        for i in e.word_token_start:  # the model's guess for each word's first token, made one token earlier
            top = int(probs[i - 1].argmax())
            conf.append(float(probs[i - 1, top]))
            right.append(top == e.ids[i])
    return calibration(np.array(conf), np.array(right))


# ---------------------------------------------------------------------------------------------
# Bias: who is the doctor?

BIAS_HELDOUT_SEED = 10_000_079  # the bias worlds' held-out stories (their models train on seed 0)


def doctor_prompts(p_he: float, n: int = 200) -> list[tuple[str, ...]]:
    """`n` held-out story prefixes of the doctor world that end just before the doctor's pronoun:
    "... Mia met a doctor , and the doctor said that"."""
    g = corpus.doctor_world(p_he)
    rng = random.Random(BIAS_HELDOUT_SEED)
    out: list[tuple[str, ...]] = []
    cue = corpus.DOCTOR_CUE
    while len(out) < n:
        w = corpus.sample_story(rng, g).words
        for i in range(len(w) - len(cue)):
            if w[i : i + len(cue)] == cue:
                out.append(w[: i + len(cue)])
                break
    return out


def data_share_he(p_he: float, stories: Sequence[corpus.Story]) -> tuple[float, int]:
    """(share of "he", doctor sentences) in the given stories of a doctor world."""
    cue = corpus.DOCTOR_CUE
    he = she = 0
    for s in stories:
        w = s.words
        for i in range(len(w) - len(cue)):
            if w[i : i + len(cue)] == cue:
                he += w[i + len(cue)] == "he"
                she += w[i + len(cue)] == "she"
    return he / max(he + she, 1), he + she


@dataclass(frozen=True)
class Bias:
    prompts: int
    p_he: np.ndarray  # (n,) the model's probability of "he" next
    p_she: np.ndarray  # (n,)
    greedy_he: int  # prompts where greedy decoding writes "he"
    greedy_she: int
    samples: int  # draws at temperature 1 (samples_per_prompt per prompt)
    sampled_he: int
    sampled_she: int

    @property
    def odds_he(self) -> float:
        """The model's share of "he" among the two pronouns, averaged over prompts."""
        return float(np.mean(self.p_he / (self.p_he + self.p_she)))

    @property
    def sampled_share_he(self) -> float:
        return self.sampled_he / max(self.samples, 1)


def prompt_logits(lm, prompts: Sequence[Sequence[str]]) -> torch.Tensor:
    """(n, V) next-token scores after each word prompt: compute once, then `bias_from_logits` at any setting."""
    return _last_logits(lm.model, [prompt_token_ids(lm.tok, p) for p in prompts])


def measure_bias(
    lm, prompts: Sequence[Sequence[str]], samples_per_prompt: int = 5, seed: int = 0, temperature: float = 1.0
) -> Bias:
    return bias_from_logits(lm, prompt_logits(lm, prompts), samples_per_prompt, seed, temperature)


def bias_from_logits(
    lm, logits: torch.Tensor, samples_per_prompt: int = 5, seed: int = 0, temperature: float = 1.0
) -> Bias:
    """The bias measures from (n, V) scores after the doctor prompts. `p_he`, `p_she` and greedy decoding use the
    model's own odds; the draws are made at `temperature` (0: greedy, every draw the favourite)."""
    he, she = (lm.tok.encode(" " + w).ids[0] for w in ("he", "she"))
    probs = torch.softmax(logits, -1)
    greedy = probs.argmax(-1)
    gen = torch.Generator().manual_seed(seed)
    if temperature <= 0:
        draws = greedy[:, None].repeat(1, samples_per_prompt)  # (n, s)
    else:
        drawn_from = probs if temperature == 1.0 else torch.softmax(logits / temperature, -1)
        draws = torch.multinomial(drawn_from.float(), samples_per_prompt, replacement=True, generator=gen)  # (n, s)
    return Bias(
        prompts=int(logits.shape[0]),
        p_he=probs[:, he].numpy(),
        p_she=probs[:, she].numpy(),
        greedy_he=int((greedy == he).sum()),
        greedy_she=int((greedy == she).sum()),
        samples=int(draws.numel()),
        sampled_he=int((draws == he).sum()),
        sampled_she=int((draws == she).sum()),
    )


# ---------------------------------------------------------------------------------------------
# Randomness: ask twice, get different answers


@dataclass(frozen=True)
class FirstWords:
    words: tuple[str, ...]  # distinct first words of the continuations, most frequent first
    counts: np.ndarray  # (K,)
    model_probs: np.ndarray  # (K,) the model's probability of each word's first token at this temperature
    samples: int
    temperature: float

    @property
    def entropy_nats(self) -> float:
        p = self.counts / self.counts.sum()
        return float(-(p * np.log(p)).sum())


def _sample_next(logits: torch.Tensor, temperature: float, gen: torch.Generator) -> torch.Tensor:
    """(N,) next tokens; temperature 0 is greedy. One uniform draw per row, always, so seeds line up."""
    u = torch.rand(logits.shape[0], generator=gen, dtype=torch.float64)
    if temperature <= 0:
        return logits.argmax(-1)
    probs = torch.softmax(logits.double() / temperature, -1)
    cdf = probs.cumsum(-1)
    return torch.searchsorted(cdf, (u * cdf[:, -1])[:, None]).clamp_max(logits.shape[-1] - 1)[:, 0]


def first_words(lm, prompt: str, n: int = 100, seed: int = 0, temperature: float = 1.0) -> FirstWords:
    """Continue the prompt `n` times (one seed, `n` draws) until each continuation has finished its first word."""
    base = [lm.eot] + lm.tok.encode(prompt).ids
    base = base[-(lm.max_tokens - 8) :]  # room for the word's tokens
    gen = torch.Generator().manual_seed(int(seed))
    ids = [list(base) for _ in range(n)]
    words = ["" for _ in range(n)]
    live = list(range(n))
    first_probs = None
    for step in range(8):
        if not live:
            break
        logits = _last_logits(lm.model, [ids[i] for i in live])
        if step == 0:
            first_probs = torch.softmax(logits[0] / max(temperature, 1e-6), -1) if temperature > 0 else None
        nxt = _sample_next(logits, temperature, gen).tolist()
        still = []
        for i, t in zip(live, nxt, strict=True):
            piece = "⟨end⟩" if t == lm.eot else lm.tok.decode([t])
            if words[i] and (t == lm.eot or piece.startswith(" ") or piece in corpus.PUNCTUATION):
                continue  # the next word has begun: the first word is complete
            words[i] += piece
            ids[i].append(t)
            if t != lm.eot and piece not in corpus.PUNCTUATION:
                still.append(i)
        live = still
    cleaned = [w.strip() for w in words]
    uniq, counts = np.unique(cleaned, return_counts=True)
    order = np.lexsort((uniq, -counts))
    uniq, counts = uniq[order], counts[order]
    mp = np.zeros(len(uniq))
    if first_probs is not None:
        for k, w in enumerate(uniq):
            piece = w if (w in corpus.PUNCTUATION or w == "⟨end⟩" or not prompt) else " " + w
            ids = [lm.eot] if w == "⟨end⟩" else lm.tok.encode(piece).ids
            mp[k] = float(first_probs[ids[0]]) if ids else 0.0  # a blank "word" (a lone space token) has no id
    else:
        mp[0] = 1.0
    return FirstWords(tuple(str(u) for u in uniq), counts, mp, n, float(temperature))


@dataclass(frozen=True)
class TemperatureSpread:
    temperatures: np.ndarray  # (K,)
    entropy_nats: np.ndarray  # (K,) entropy of the next-token distribution at each temperature
    distinct_first_words: np.ndarray  # (K,) different first words among `samples` continuations
    top_share: np.ndarray  # (K,) share of continuations starting with the most common word
    samples: int


def temperature_spread(
    lm, prompt: str, temperatures: Sequence[float] = (0.0, 0.5, 1.0, 1.5, 2.0), n: int = 100, seed: int = 0
) -> TemperatureSpread:
    ids = ([lm.eot] + lm.tok.encode(prompt).ids)[-lm.max_tokens :]
    logits = _last_logits(lm.model, [ids])[0]
    ent, distinct, top = [], [], []
    for t in temperatures:
        if t <= 0:
            ent.append(0.0)
        else:
            p = torch.softmax(logits / t, -1)
            ent.append(float(-(p * torch.log(p.clamp_min(1e-300))).sum()))
        fw = first_words(lm, prompt, n, seed, t)
        distinct.append(len(fw.words))
        top.append(float(fw.counts[0] / fw.samples))
    return TemperatureSpread(np.array(temperatures, dtype=float), np.array(ent), np.array(distinct), np.array(top), n)


def continuations(
    lm, prompt: str, seeds: Sequence[int] = (1, 2, 3), n_steps: int = 40, temperature: float = 1.0
) -> tuple[str, ...]:
    """Full continuations of one prompt with different seeds (explainers.lm.generate: the Generate page's sampler)."""
    from explainers import lm as lmx

    out = []
    for s in seeds:
        gen = lmx.generate(lm, prompt, n_steps, seed=s, temperature=temperature)
        out.append(lmx.decode(lm, gen.token_ids))
    return tuple(out)

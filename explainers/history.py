"""The History page's computations: an RNN and a transformer of the same size, on the same prompt.

- `long_range`: the probability of the right name against distance for both models. Measured at the
  RNN's training time (config.json of pretrained/rnn, which also records the GPT it was compared with);
  recomputed here only if the GPT has been retrained since.
- `side_by_side`: both models' next-word odds after one prompt, the RNN's hidden state after every token,
  and the transformer's name-copying head looking back from the last token.
- `TIMELINE`: the eras of generative models, with sources and the page that shows each one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from explainers import corpus
from explainers import lm as lmx
from explainers.lm_quality import heldout_stories
from explainers.long_range import DISTANCE_FILLERS, RecallPrompt, long_range_curve, recall_prompt

PICKER_STORIES = 12  # held-out stories the reader can pick from
PICKER_SEED = 4_242  # the filler sentences' seed for the picker's stories
MAX_TEXT_CHARS = 1500  # a typed story: about 300 words, more than the models ever read at once
TOP_WORDS = 6


# ---------------------------------------------------------------------------------------------
# Long range


@dataclass(frozen=True)
class LongRangeCurves:
    fillers: np.ndarray  # (D,)
    distance: np.ndarray  # (D,) mean words between the name and where it must be repeated
    rnn: np.ndarray  # (D,) mean probability of the right name
    gpt: np.ndarray  # (D,)
    prompts: int
    measured_at_training: bool  # False: the GPT was retrained since the RNN's run, so its curve was measured now


def long_range(rnn: lmx.LM, gpt: lmx.LM, n_prompts: int = 100) -> LongRangeCurves:
    """Both curves: the RNN's from its config; the GPT's from the same config while it is the same GPT."""
    m = rnn.config.get("metrics", {})
    rnn_curve = np.array(m["long_range_p_right_name"], dtype=float)
    distance = np.array(m["long_range_distance_words"], dtype=float)
    stored = m.get("gpt_long_range_p_right_name")
    fresh = m.get("gpt_weights_sha256") == gpt.config.get("weights", {}).get("sha256") and stored is not None
    if fresh:
        gpt_curve = np.array(stored, dtype=float)
    else:
        gpt_curve = long_range_curve(gpt.model, gpt.tok, n_prompts=n_prompts).p_right
    return LongRangeCurves(
        np.array(DISTANCE_FILLERS),
        distance,
        rnn_curve,
        gpt_curve,
        int(m.get("long_range_prompts_per_distance", n_prompts)),
        fresh,
    )


def picker_labels() -> list[str]:
    """One line per story the reader can pick: who is in it."""
    out = []
    for s in heldout_stories()[:PICKER_STORIES]:
        _, state = corpus.opening(s)
        out.append(f"{state.hero} and {state.friend} (the {state.toy})")
    return out


def picked_prompt(index: int, fillers: int) -> RecallPrompt:
    """Held-out story `index`'s opening, `fillers` sentences that never mention the friend, then 'Mia and'."""
    index = int(np.clip(index, 0, PICKER_STORIES - 1))
    fillers = int(np.clip(fillers, 0, DISTANCE_FILLERS[-1]))
    return recall_prompt(heldout_stories()[index], "friend", fillers, PICKER_SEED + index)


# ---------------------------------------------------------------------------------------------
# Side by side


@dataclass(frozen=True)
class NextWords:
    labels: tuple[str, ...]  # the model's top next tokens, as people read them
    probs: np.ndarray  # (k,)


@dataclass(frozen=True)
class SideBySide:
    labels: tuple[str, ...]  # the tokens both models read (same tokenizer), the start marker first
    rnn_next: NextWords
    gpt_next: NextWords
    answer: str | None  # the word the story world says must come next, when it is certain
    p_answer_rnn: float | None
    p_answer_gpt: float | None
    states: np.ndarray  # (T, n_hidden) the RNN's hidden state after each token
    attention: np.ndarray  # (T,) the transformer's name head, from the last token back to every token
    head: tuple[int, int]  # (layer, head), 0-based
    truncated: bool  # the text was longer than the models read at once: only its end was read


def _top(lm: lmx.LM, logits: torch.Tensor, k: int = TOP_WORDS) -> NextWords:
    probs = torch.softmax(logits.double(), -1).numpy()
    top = np.argsort(-probs, kind="stable")[:k]
    return NextWords(tuple(lmx.label(lm, int(t)) for t in top), probs[top])


def side_by_side(rnn: lmx.LM, gpt: lmx.LM, text: str) -> SideBySide:
    """Run both models on the same text (the same tokens: they share a tokenizer)."""
    ids = lmx.prompt_ids(gpt, text)
    truncated = len([gpt.eot] + gpt.tok.encode(text).ids) > len(ids)
    x = torch.tensor([ids])
    with torch.inference_mode():
        rnn_logits, states = rnn.model(x, return_state=True)
    # The whole window, not explainers.lm.attention's last 128 tokens: at long distances the name is further back.
    with torch.inference_mode():
        gpt_logits, att = gpt.model(x, return_attention=True)  # att (1, layers, heads, T, T)
    role = lmx.name_head(gpt)
    layer, head = (role[0], role[1]) if role else (gpt.model.cfg.n_layer - 1, 0)
    answer = p_rnn = p_gpt = None
    words = corpus.parse(text) if text == text.rstrip() else None
    truth = corpus.next_word_distribution(words) if words else None
    if truth is not None and truth.distribution:
        best, p = max(truth.distribution.items(), key=lambda kv: kv[1])
        if p > 0.999:
            answer = best
            t = lmx.first_token(gpt.tok, best, at_start=not words)
            p_rnn = float(torch.softmax(rnn_logits[0, -1].double(), -1)[t])
            p_gpt = float(torch.softmax(gpt_logits[0, -1].double(), -1)[t])
    labels = tuple("⟨start⟩" if k == 0 else lmx.label(gpt, i) for k, i in enumerate(ids))
    return SideBySide(
        labels=labels,
        rnn_next=_top(rnn, rnn_logits[0, -1]),
        gpt_next=_top(gpt, gpt_logits[0, -1]),
        answer=answer,
        p_answer_rnn=p_rnn,
        p_answer_gpt=p_gpt,
        states=states[0].numpy().copy(),
        attention=att[0, layer, head, -1].numpy().copy(),
        head=(layer, head),
        truncated=truncated,
    )


def busiest_units(states: np.ndarray, n: int = 48) -> np.ndarray:
    """Indices of the `n` state numbers that move most over this text, most active first."""
    spread = states.std(axis=0)
    return np.argsort(-spread, kind="stable")[:n]


# ---------------------------------------------------------------------------------------------
# Timeline


@dataclass(frozen=True)
class Era:
    year: int
    name: str
    plain: str  # one or two plain sentences
    source: str  # the paper, with year
    page: str | None  # the tour page that shows it (ui.tour key), if any


TIMELINE: tuple[Era, ...] = (
    Era(
        1948,
        "Counting models (n-grams)",
        "Guess the next word from the one or two words before it, by counting how often they came together.",
        "Shannon 1948, A Mathematical Theory of Communication",
        "evaluation",
    ),
    Era(
        1990,
        "Recurrent networks (RNNs)",
        "A network reads one word at a time and carries what it has read in a state, a fixed list of numbers.",
        "Elman 1990, Finding Structure in Time",
        "history",
    ),
    Era(
        1997,
        "LSTMs",
        "An RNN with gates that decide what to keep and what to forget, so it can carry facts much further.",
        "Hochreiter & Schmidhuber 1997, Long Short-Term Memory",
        "history",
    ),
    Era(
        2013,
        "VAEs",
        "Squeeze pictures into a small map and learn to draw them back from any point of it.",
        "Kingma & Welling 2013, Auto-Encoding Variational Bayes",
        "vae",
    ),
    Era(
        2014,
        "GANs",
        "A forger and a detective train against each other until the forgeries pass.",
        "Goodfellow et al. 2014, Generative Adversarial Nets",
        "gan",
    ),
    Era(
        2014,
        "Attention",
        "Instead of squeezing a sentence into one state, let each step look back at every earlier word.",
        "Bahdanau, Cho & Bengio 2014, Neural Machine Translation by Jointly Learning to Align and Translate",
        "attention",
    ),
    Era(
        2017,
        "Transformers",
        "Drop the recurrence: attention alone, over all words at once, which trains fast on parallel chips.",
        "Vaswani et al. 2017, Attention Is All You Need",
        "attention",
    ),
    Era(
        2018,
        "GPT: predict the next token, at scale",
        "A transformer trained only to guess the next token, on ever more text, becomes a general writer.",
        "Radford et al. 2018, Improving Language Understanding by Generative Pre-Training; Brown et al. 2020",
        "generate",
    ),
    Era(
        2020,
        "Diffusion",
        "Learn to remove a little noise; start from pure noise and remove it step by step until a picture remains.",
        "Sohl-Dickstein et al. 2015; Ho, Jain & Abbeel 2020, Denoising Diffusion Probabilistic Models",
        "diffusion",
    ),
)


def gpt_per_word_perplexity(gpt: lmx.LM, rnn: lmx.LM) -> float | None:
    """The GPT's per-word perplexity on the RNN's held-out stories: recorded by the RNN's trainer while it is the
    same GPT, else from the GPT's own config, which records nats per story on the same stories (token surprises
    summed, end marker included: exactly the per-word measure). None if neither is there."""
    m, g = rnn.config.get("metrics", {}), gpt.config.get("metrics", {})
    try:
        if m.get("gpt_weights_sha256") == gpt.config.get("weights", {}).get("sha256"):
            return float(m["gpt_per_word_perplexity"])
        return float(np.exp(float(g["model_nats_per_story"]) * m["heldout_stories"] / m["heldout_words"]))
    except (KeyError, TypeError, ValueError):
        return None


def ngram_perplexities() -> dict[str, float] | None:
    """The unigram's and the bigram's per-word perplexity from pretrained/ngram (None if it is missing)."""
    from explainers.store import ModelLoadError, read_config

    try:
        m = read_config("ngram")["metrics"]
        return {"unigram": float(m["unigram_per_word_perplexity"]), "bigram": float(m["bigram_per_word_perplexity"])}
    except (ModelLoadError, KeyError, TypeError, ValueError):
        return None

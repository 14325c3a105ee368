"""Streamlit glue for the Limits page: the shared models, cached measurements, and each section's controls and views.

Every number the page states comes from a shipped model: measured at training time and stored beside its weights
(the fact-gap GPT's hallucination.npz, the diffusion models' memorization.npz, the doctor models' data split) or
measured here once per server and cached (the doctor prompts' odds, the GAN's kinds, the cost of one output).
Controls keep their settings in the URL; each section is a fragment, so a control reruns only its own section.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st
import torch
from streamlit.logger import get_logger

from explainers import corpus
from explainers import cost as costx
from explainers import limits as lx
from explainers import lm as lmx
from explainers.datasets import get_dataset, load_arrays, real_pictures
from explainers.image_quality import sample_quality
from explainers.store import ModelLoadError, read_config
from figures import limits as figs
from figures.style import percent
from serving.limiter import HEAVY
from ui.classroom import glossary_links
from ui.compute import heavy_slot, heavy_work, keep_last_good, outside_a_page
from ui.frame import go_deeper, presenting, show_chart, show_load_error, timed, what_you_are_seeing
from ui.lm import load_gpt
from ui.presenter import secondary
from ui.tour import live_pages

log = get_logger(__name__)

# ---------------------------------------------------------------------------------------------------- models


@contextmanager
def server_work(wait_s: float = 60.0) -> Iterator[None]:
    """A heavy slot for a measurement made once for the whole server and cached for everyone (the doctor prompts'
    odds, the GAN's kinds, the cost table): it waits its turn in the same line as everyone's heavy work, but it is
    not charged to the visitor who happened to ask first, and after `wait_s` it runs anyway (it runs only once)."""
    ticket = HEAVY.try_acquire(None, timeout=wait_s, idle=outside_a_page())  # the warm-up: after everyone else
    try:
        yield
    finally:
        HEAVY.release(ticket)  # a refused ticket is simply not released


@st.cache_resource(show_spinner="Loading a story model…")
def _load_text_model(name: str) -> lmx.LM:
    """One read-only model per name, shared by every visitor."""
    return lmx.load_lm(name)


def metric(config: dict[str, Any], key: str) -> Any:
    """A measured number from a model's config, or ModelLoadError (plain words) when it is not there."""
    value = config.get("metrics", {}).get(key)
    if value is None:
        raise ModelLoadError(config.get("name", "?"), f"its config.json does not record {key}")
    return value


def about(x: float) -> str:
    """A big ratio for people: two significant figures (237,436 -> 240,000)."""
    if x < 100:
        return f"{x:.0f}"
    digits = len(str(int(x))) - 2
    return f"{round(x, -digits):,.0f}"


def text_model(name: str) -> lmx.LM:
    return load_gpt() if name == "gpt" else _load_text_model(name)  # the GPT is the one every text page shares


def _short(p: float) -> str:
    """A share for a sentence: 84%, 99.9%, 0.5%."""
    if p == 1:
        return "100%"
    if 0.9995 <= p < 1:
        return "over 99.9%"
    if p >= 0.995:
        return f"{p:.1%}"
    return percent(p)


# ---------------------------------------------------------------------------------------------- hallucination

FACT_MODELS = {"Our story GPT": "gpt", "Gap-trained GPT": "fact_gaps"}
QUESTIONS = {"Who is the friend?": "friend", "What is the toy?": "toy"}
CUES = {"friend": "Ben and ___", "toy": "He played with the ___"}
PICKER_STORIES = 24
DEFAULT_STORY = 1  # the GPT is 100% sure of a wrong friend and of a wrong toy here (hallucination.npz)
CONTINUATION_TOKENS = 12  # enough to finish the sentence the cue starts


@dataclass(frozen=True)
class FactRecord:
    """What the fact-gap trainer measured on both models (training/fact_gaps.py): headline numbers and arrays."""

    metrics: dict[str, Any]
    arrays: dict[str, np.ndarray]
    stories: int
    base_sha: str  # the GPT's weights these measurements used

    def p_top_cut(self, model: str, kind: str) -> np.ndarray:
        return self.arrays[f"{model}_{kind}_p_top_cut"]

    def metric(self, model: str, key: str) -> float:
        return float(self.metrics[("gpt_" if model == "gpt" else "") + key])

    def calibration(self, model: str, which: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        a = self.arrays
        return a[f"{model}_{which}_confidence"], a[f"{model}_{which}_accuracy"], a[f"{model}_{which}_count"]


@st.cache_resource(show_spinner=False)
def fact_record() -> FactRecord:
    config = read_config("fact_gaps")
    arrays = load_arrays("fact_gaps", "hallucination.npz")
    return FactRecord(
        config["metrics"],
        arrays,
        int(metric(config, "heldout_stories")),
        str(config["training"].get("base_weights_sha256", "")),
    )


@st.cache_resource(show_spinner=False)
def _picker_stories() -> tuple[corpus.Story, ...]:
    return tuple(lx.heldout_stories()[:PICKER_STORIES])


@st.cache_data(show_spinner=False)
def story_labels() -> list[str]:
    out = []
    for i, s in enumerate(_picker_stories()):
        _, state = corpus.opening(s)
        out.append(f"Story {i + 1}: {state.hero}, {state.friend} and a {state.colour} {state.toy}")
    return out


@dataclass(frozen=True)
class FactView:
    question: lx.FactQuestion
    fact: str  # the sentence that states the fact
    present_next: str  # what greedy decoding writes after the cue, to the end of its sentence
    cut_next: str


def _continue(lm: lmx.LM, words: tuple[str, ...]) -> str:
    """Greedy decoding after the prompt, to the end of the sentence it is in."""
    gen = lmx.generate(lm, corpus.render(words), CONTINUATION_TOKENS, seed=0, temperature=0.0)
    text = lmx.decode(lm, gen.token_ids)
    end = text.find(".")
    return text[: end + 1] if end >= 0 else text


def _fact_sentence(q: lx.FactQuestion) -> str:
    kept = set(_sentences(q.cut.words))
    return next((s for s in _sentences(q.present.words) if s not in kept), "")


def _sentences(words: tuple[str, ...]) -> list[str]:
    out, current = [], []
    for w in words:
        current.append(w)
        if w == ".":
            out.append(corpus.render(current))
            current = []
    return out


@keep_last_good  # a busy server shows this visitor's previous view instead of stopping
@st.cache_data(max_entries=256, ttl=3600, show_spinner=False)
def cached_fact_view(model: str, index: int, kind: str) -> FactView:
    with heavy_slot():  # only on a cache miss: two odds and two short greedy continuations
        lm = text_model(model)
        story = _picker_stories()[index]
        q = lx.fact_question(lm, story, kind, seed=lx.FACT_SEED + index)  # the same prompts as the measured 400
        return FactView(q, _fact_sentence(q), _continue(lm, q.present.words), _continue(lm, q.cut.words))


def hallucination_finding(r: FactRecord) -> str:
    return (
        f"Cut the sentence that names the friend, and our story GPT still names one, "
        f"{_short(r.metric('gpt', 'friend_cut_mean_p_top'))} sure on average, but right only "
        f"{_short(r.metric('gpt', 'friend_cut_greedy_right'))} of the time: about chance (1 in "
        f"{len(corpus.GRAMMAR.names) - 1}). It writes the likely, not the true."
    )


def _pick(where: Any, label: str, options: dict[str, str], key: str, help: str | None = None) -> str | None:
    """One of `options` (their labels), the first by default, always one chosen, kept in the URL under `key`."""
    return where.segmented_control(
        label, list(options), default=next(iter(options)), required=True, key=key, bind="query-params", help=help
    )


def opening(title: str, anchor: str, finding: str, intro: str = "") -> None:
    """A section's start: its header, its measured finding, and what was done (glossary words linked; hidden in
    presenter mode, where the presenter says it)."""
    st.header(title, anchor=anchor)
    st.subheader(finding)
    if intro:
        secondary(f"{anchor}_intro").markdown(glossary_links(intro))


def closing(seeing: str, deeper: str | None) -> None:
    """A section's end: "What you are seeing" (glossary words linked) and, when there are numbers, "Go deeper"."""
    what_you_are_seeing(glossary_links(seeing))
    if deeper is not None:
        go_deeper(deeper)


def _fact_controls() -> tuple[int, str, str, bool]:
    labels = story_labels()
    projector = presenting()
    if projector:  # on a projector: the chosen story stays, its picker goes, the other three share one row
        c2, c3, c4 = st.columns([1.3, 2, 2], vertical_alignment="bottom")
        c1 = secondary("story")
    else:
        c1, c2 = st.columns([3, 2], vertical_alignment="bottom")
    story = c1.selectbox(
        "Story",
        labels,
        index=DEFAULT_STORY,
        key="lim_story",
        bind="query-params",
        help="Held-out stories: the models never saw them while training.",
    )
    cut = c2.toggle(
        "✂️ Cut the fact",  # short: the full wording was cut off beside the story picker at 1280 px
        value=True,
        key="lim_cut",
        bind="query-params",
        help="Cuts the sentence that states the fact from the story. Switch off to restore it. The two charts below "
        "always show both versions.",
    )
    if not projector:
        c3, c4 = st.columns(2)
    question = _pick(c3, "Question", QUESTIONS, key="lim_q")
    model = _pick(
        c4,
        "Model",
        FACT_MODELS,
        key="lim_model",
        help="The gap-trained GPT is our GPT after 300 more steps on stories where the friend or the toy is sometimes "
        "never introduced.",
    )
    index = labels.index(story) if story in labels else DEFAULT_STORY
    return index, QUESTIONS.get(question or "", "friend"), FACT_MODELS.get(model or "", "gpt"), cut


_MARKDOWN_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()<>#+-!|~$:"})


def _md(text: str) -> str:
    """Model-written text shown literally in Markdown (our models write story words, but any token can come out)."""
    return text.replace("\n", " ").translate(_MARKDOWN_SPECIAL)


def _story_markdown(view: FactView, cut: bool) -> str:
    """The prompt as the reader sees it: the fact sentence in bold, or struck through when cut (grammar words only,
    no visitor text), then the model's greedy continuation."""
    q = view.question
    text = corpus.render(q.present.words)
    if view.fact:
        shown = f"~~{view.fact}~~" if cut else f"**{view.fact}**"
        text = text.replace(view.fact, shown, 1)
    nxt = view.cut_next if cut else view.present_next
    return f"> {text} **{_md(nxt.strip())}**"


@st.fragment
def hallucination_explorer(record: FactRecord) -> None:
    """Pick a story, a question and a model; cut or restore the fact. Reruns only this part."""
    index, kind, model, cut = _fact_controls()
    with heavy_work(), timed("odds and continuations with the fact stated and cut"):
        view = cached_fact_view(model, index, kind)
    q = view.question
    name = next(k for k, v in FACT_MODELS.items() if v == model)
    st.markdown(_story_markdown(view, cut))
    said = (view.cut_next if cut else view.present_next).strip()
    word = said.split(" ")[0].strip(".,") if said else "nothing"
    if not cut:
        verdict = "right: the story says so." if word == q.present.answer else "wrong, although the story says."
    elif word == q.present.answer:
        verdict = f"right, by luck: with the sentence cut, the text no longer says (it was {q.present.answer})."
    else:
        verdict = (
            f"a guess, written as if known: with the sentence cut, the text no longer says (it was {q.present.answer})."
        )
    st.caption(f"{name}, always taking its favourite word (greedy decoding), wrote **{_md(word)}**: {verdict}")
    even = 1 / (len(q.candidates) - (1 if kind == "friend" else 0))
    c1, c2 = st.columns(2)
    p_stated, p_cut = q.probs_present, q.probs_cut
    top_s, top_c = q.candidates[int(np.argmax(p_stated))], q.candidates[int(np.argmax(p_cut))]
    stated_title = f"Fact stated: '{top_s}' gets {_short(float(p_stated.max()))}"
    if float(p_cut.max()) > 0.5:
        cut_title = f"Fact cut: still {_short(float(p_cut.max()))} sure, of '{top_c}'"
    else:
        cut_title = f"Fact cut: odds spread; the favourite, '{top_c}', gets {_short(float(p_cut.max()))}"
    show_chart(
        c1, figs.fact_odds(q.candidates, p_stated, q.present.answer, stated_title), key="lim_stated", config=figs.NO_BAR
    )
    show_chart(
        c2,
        figs.fact_odds(q.candidates, p_cut, q.present.answer, cut_title, even),
        key="lim_cutodds",
        config=figs.NO_BAR,
    )
    cue = corpus.render(q.present.words[-(2 if kind == "friend" else 4) :])  # "Ben and", "He played with the"
    c1.caption(f"With the fact, greedy decoding writes: “…{cue} **{_md(view.present_next.strip())}**”")
    c2.caption(f"Without it: “…{cue} **{_md(view.cut_next.strip())}**”")
    gpt, gap = record.p_top_cut("gpt", kind), record.p_top_cut("fact_gaps", kind)
    fact = "friend" if kind == "friend" else "toy"
    title = (
        f"The {fact} cut, {record.stories} stories: our GPT's favourite gets {_short(float(gpt.mean()))} on average, "
        f"the gap-trained GPT's {_short(float(gap.mean()))}"
    )
    series = [("our story GPT", gpt, figs.GPT_COLOUR), ("gap-trained GPT", gap, figs.GAP_COLOUR)]
    show_chart(st, figs.top_odds_histogram(series, even, title), key="lim_tophist", config=figs.NO_BAR)


def calibration_view(record: FactRecord) -> None:
    conf, acc, count = record.calibration("gpt", "fact")
    top = int(np.flatnonzero(count > 0)[-1])
    title = f"When our GPT is {conf[top]:.0%} sure of a fact, it is right {acc[top]:.0%} of the time"
    m = record.metrics
    lines = [
        ("our GPT, fact questions", conf, acc, count, figs.GPT_COLOUR, "solid"),
        ("our GPT, ordinary next words", *record.calibration("gpt", "next_word"), figs.MUTED, "dash"),
        ("gap-trained GPT, fact questions", *record.calibration("fact_gaps", "fact"), figs.GAP_COLOUR, "solid"),
    ]
    show_chart(st, figs.calibration_chart(lines, title), key="lim_calib", config=figs.NO_BAR)
    st.caption(
        f"Each point: questions grouped by how sure the model was. Fact questions: {int(count.sum()):,} (friend and "
        f"toy, stated and cut, after 0, 4 and 14 other sentences). Calibration error (the average gap between "
        f"sureness and being right): our GPT {m['gpt_fact_calibration_error']:.2f} on facts and "
        f"{m['gpt_next_word_calibration_error']:.3f} on next words; the gap-trained GPT "
        f"{m['fact_calibration_error']:.2f} on facts."
    )


def hallucination_numbers(r: FactRecord) -> dict[str, str]:
    m = r.metrics
    gpt_sha = load_gpt().config["weights"]["sha256"]
    numbers = {"n": str(r.stories)}
    for s, kind in (("f", "friend"), ("t", "toy")):  # the same six numbers for each fact
        numbers |= {
            f"gpt_present_{s}": _short(m[f"gpt_{kind}_present_mean_p_right"]),
            f"gpt_cut_{s}": _short(m[f"gpt_{kind}_cut_mean_p_top"]),
            f"gpt_right_{s}": _short(m[f"gpt_{kind}_cut_greedy_right"]),
            f"gap_present_{s}": _short(m[f"{kind}_present_mean_p_right"]),
            f"gap_cut_{s}": _short(m[f"{kind}_cut_mean_p_top"]),
            f"gap_greedy_{s}": _short(m[f"{kind}_cut_greedy_names_one"]),
        }
    return numbers | {
        "p_gap": _short(m["p_gap"]),
        "ece_gpt": f"{m['gpt_fact_calibration_error']:.3f}",
        "ece_gap": f"{m['fact_calibration_error']:.3f}",
        "ece_next": f"{m['gpt_next_word_calibration_error']:.3f}",
        "stale": ""
        if r.base_sha == gpt_sha
        else " (Measured on an earlier version of the story GPT: retrain with `python -m training fact_gaps`.)",
    }


HALLUCINATION_DEEPER = r"""
**The test.** Each of {n} held-out stories is cut after its opening (hero, friend, toy), two other sentences follow,
and then a cue the story world always completes with the fact: "Mia and ___" (the friend) or "She played with the
___" (the toy). The same prompt is asked with the sentence that states the fact, and without it. A word's
probability is the product of its tokens' probabilities.{stale}

**Our story GPT.** Fact stated: the right friend gets {gpt_present_f} of the odds on average, the right toy
{gpt_present_t}. Fact cut: its favourite still gets {gpt_cut_f} (friend) and {gpt_cut_t} (toy), and greedy
decoding is right {gpt_right_f} and {gpt_right_t} of the time: chance is 1 in 11 and 1 in 8. It never read a story
whose friend comes back without being introduced, so nothing taught it to be unsure there: text like this lies
outside everything it saw (*out of distribution*), and it answers anyway.

**The gap-trained GPT.** The same network, fine-tuned for 300 steps on the *fact-gap world* (`corpus.fact_gap_world`):
in {p_gap} of stories the friend's introduction is missing, in another independent {p_gap} the toy's, and later
sentences still name them. Fact stated: {gap_present_f} and {gap_present_t} on the right answer. Fact cut: its
favourite gets {gap_cut_f} and {gap_cut_t} on average, close to the world's true even odds (1/11 = 9%, 1/8 = 12.5%).
Yet greedy decoding still writes a name in {gap_greedy_f} and a toy in {gap_greedy_t} of the cut stories, in the
same fluent sentence: nothing in the text shows that the model did not know.

**Calibration** (Guo et al. 2017, *On Calibration of Modern Neural Networks*): group answers by the model's
confidence and compare with how often they were right. Expected calibration error is the average gap, weighted by
group size: our GPT {ece_gpt} on fact questions but {ece_next} on ordinary next words (where training taught it its
uncertainty); the gap-trained GPT {ece_gap} on fact questions.

**What this does not show.** Large chat models hallucinate for the same basic reason (they write likely text, and
their training rarely rewards saying "I don't know"; Kalai et al. 2025, *Why Language Models Hallucinate*), but
also for reasons our tiny world cannot show: facts seen once, facts that changed, and instructions to sound helpful.
Spreading the odds, as the gap-trained GPT does, is not the same as saying "I am not sure": the words it writes read
just as certain.
"""


# ---------------------------------------------------------------------------------------------- bias

BIAS_MODELS = {"Skewed data (80% 'he')": ("bias_skewed", 0.8), "Balanced data (50/50)": ("bias_balanced", 0.5)}
BIAS_PROMPTS = 200
SAMPLES_PER_PROMPT = 5


@st.cache_resource(show_spinner="Reading 200 doctor stories (once per server)…")
def doctor_logits(name: str, p_he: float) -> torch.Tensor:
    """(200, V) next-token scores after '... the doctor said that' on held-out stories; every setting reuses them."""
    with server_work():
        return lx.prompt_logits(text_model(name), lx.doctor_prompts(p_he, BIAS_PROMPTS))


def bias_finding() -> str:
    try:
        m = {k: metric(read_config("bias_skewed"), k) for k in ("data_share_he", "model_odds_he", "greedy_he")}
        m["bias_prompts"] = metric(read_config("bias_skewed"), "bias_prompts")
    except ModelLoadError:
        return "The doctor-world models are not available on this server, so this section cannot measure bias."
    return (
        f"In the training stories {_short(m['data_share_he'])} of doctors are 'he'. Between 'he' and 'she', the "
        f"model's odds are {_short(m['model_odds_he'])} 'he'. Always picking its favourite word turns that into "
        f"{_short(m['greedy_he'] / m['bias_prompts'])}: the women doctors vanish."
    )


@st.fragment
def bias_explorer() -> None:
    """Both doctor models side by side under the same sampling settings. Reruns only this part."""
    c1, c2 = st.columns([3, 2])
    temperature = c1.slider(
        "Creativity (temperature) when sampling",
        0.0,
        2.0,
        1.0,
        0.1,
        key="lim_btemp",
        bind="query-params",
        help="1 draws with the model's own odds. Below 1 favours the favourite more (0 = always the favourite); "
        "above 1 flattens the odds.",
    )
    seed = c2.slider("Dice seed", 0, 99, 0, key="lim_bseed", bind="query-params", help="Same seed, same draws.")
    for col, (label, (name, p_he)) in zip(st.columns(2), BIAS_MODELS.items(), strict=True):
        with col:
            _pronoun_view(label, name, p_he, float(temperature), int(seed))


def _pronoun_view(label: str, name: str, p_he: float, temperature: float, seed: int) -> None:
    try:
        lm, config = text_model(name), read_config(name)
        data, sentences = float(metric(config, "data_share_he")), int(metric(config, "data_doctor_sentences"))
        with heavy_work():
            logits = doctor_logits(name, p_he)
    except ModelLoadError as error:
        show_load_error(error)
        return
    b = lx.bias_from_logits(lm, logits, SAMPLES_PER_PROMPT, seed, temperature)
    n = b.prompts
    rows = [
        ("Training data", data, 1 - data),
        ("Model's odds", float(b.p_he.mean()), float(b.p_she.mean())),
        ("Favourite (greedy)", b.greedy_he / n, b.greedy_she / n),
        (f"Sampling (T = {temperature:g})", b.sampled_he / b.samples, b.sampled_she / b.samples),
    ]
    if p_he > 0.5:
        title = f"Skewed data: its {_short(data)} 'he' becomes {_short(b.greedy_he / n)} when the model always picks its favourite"
    else:
        title = f"Balanced data: greedy decoding writes both ({b.greedy_he} 'he', {b.greedy_she} 'she')"
    key = "lim_pron_" + ("skewed" if p_he > 0.5 else "balanced")
    show_chart(st, figs.pronoun_bars(rows, title), key=key, config=figs.NO_BAR)
    st.caption(
        f"{label}: {sentences:,} doctor sentences in its training stories. Sampling: {SAMPLES_PER_PROMPT} draws after "
        f"each of {n} held-out prompts ({b.sampled_he} 'he', {b.sampled_she} 'she' in {b.samples:,})."
    )


@dataclass(frozen=True)
class KindShares:
    dataset: str  # "clothes" or "handwritten digits"
    model: str
    kinds: tuple[str, ...]
    real: np.ndarray  # (K,) share of real held-out pictures the judge reads as each kind
    fake: np.ndarray  # (K,) share of the GAN's pictures
    fakes: int
    reals: int


GAN_SAMPLES = 2000


@st.cache_resource(show_spinner="Drawing 2,000 GAN pictures and reading them (once per server)…")
def gan_kind_shares() -> KindShares:
    """The digit GAN's kinds against real digits', both read by the same judge. Only a GAN that is not told which
    kind to draw shows which kinds its forger neglects: the clothes GAN is asked for each kind in turn."""
    from explainers.gan import ShippedDigitsGan
    from explainers.judge import load_judge
    from explainers.store import load_model

    with server_work():
        data = get_dataset("digits")
        loaded = load_model(data.model("gan"))
        gan = ShippedDigitsGan(loaded.tensors, loaded.config)
        judge = load_judge(data.model("judge"))
        real = real_pictures(data)
        fakes = torch.from_numpy(gan.sample(GAN_SAMPLES, seed=0))[:, None]  # (N, S, S) -> (N, 1, S, S)
        return KindShares(
            data.title,
            data.model("gan"),
            data.class_names,
            sample_quality(judge, real.images).class_shares,
            sample_quality(judge, fakes).class_shares,
            GAN_SAMPLES,
            len(real.labels),
        )


def gan_kinds_view() -> None:
    try:
        with heavy_work():
            k = gan_kind_shares()
    except ModelLoadError as error:
        show_load_error(error)
        return
    ratio = k.fake / np.maximum(k.real, 1e-9)
    rare = int(np.argmin(ratio))
    title = (
        f"'{k.kinds[rare]}' is rarer in the GAN's pictures ({_short(float(k.fake[rare]))}) than in real ones "
        f"({_short(float(k.real[rare]))})"
    )
    show_chart(st, figs.kind_shares(k.kinds, k.real, k.fake, title), key="lim_gankinds", config=figs.NO_BAR)
    st.caption(
        f"{k.fakes:,} pictures from the shipped GAN ({k.model}) and {k.reals:,} real held-out {k.dataset}, each read "
        "by the same judge (a classifier we trained), so its own mistakes weigh on both sides alike."
    )


def bias_numbers() -> dict[str, str]:
    out = {}
    for prefix, name in (("s", "bias_skewed"), ("b", "bias_balanced")):
        try:
            config = read_config(name)
            m = {k: metric(config, k) for k in ("data_share_he", "model_odds_he", "greedy_he", "greedy_she")}
            m |= {
                k: metric(config, k) for k in ("bias_prompts", "sampled_share_he", "samples", "data_doctor_sentences")
            }
        except ModelLoadError:
            m = {}
        out |= {
            f"{prefix}_data": _short(m["data_share_he"]) if m else "(not available)",
            f"{prefix}_odds": _short(m["model_odds_he"]) if m else "(not available)",
            f"{prefix}_greedy": f"{m['greedy_he']} of {m['bias_prompts']}" if m else "(not available)",
            f"{prefix}_sampled": _short(m["sampled_share_he"]) if m else "(not available)",
            f"{prefix}_samples": f"{m['samples']:,}" if m else "(not available)",
            f"{prefix}_sentences": f"{m['data_doctor_sentences']:,}" if m else "(not available)",
        }
    return out


BIAS_DEEPER = r"""
**The worlds.** `corpus.doctor_world(p)`: the default story world plus one middle sentence, *"Mia met a doctor, and
the doctor said that he would help."*, whose pronoun is "he" with probability *p* and "she" otherwise. Nothing else
about doctors, or about anyone, differs. Both models are our story GPT fine-tuned for 300 steps on 12,000 stories of
their world (`python -m training bias_skewed bias_balanced`).

**Measured at training time** on 200 held-out prompts that end "... the doctor said that". Skewed world: the
training stories have {s_data} 'he' ({s_sentences} doctor sentences); the model's odds give 'he' {s_odds} of the
two pronouns; greedy decoding writes 'he' {s_greedy} times; sampling at temperature 1 writes 'he' in {s_sampled}
of {s_samples} draws. Balanced world: {b_data} in the data, {b_odds} in the odds, greedy 'he' {b_greedy}, sampled
{b_sampled}. (The chart above measures the same prompts live; its odds bar is the plain mean of P(he), so the
small share the model gives to other words shows in grey.)

**Why greedy amplifies.** Greedy decoding takes the single most likely word. If the model is 79% sure of 'he'
every time, the favourite is 'he' every time: a 79/21 belief becomes a 100/0 output. Temperature $T$ rescales the
odds before drawing, $p_i \propto p_i^{{1/T}}$: below 1 the favourite gains, above 1 the odds flatten.

**The image side.** A GAN's forger is rewarded for fooling the detective, not for covering every kind: when
nobody tells it which kind to draw, it can neglect the kinds that are hardest to fake (*mode collapse*, partial
here, in our digit GAN). The judge reads its pictures and real ones alike, so the comparison is fair even where the
judge itself errs. Telling the forger which kind to draw is one fix: our clothes GAN is asked for every kind in
turn (a *class-conditional* GAN), so no kind can go missing, although some of its pictures stay hard to read.

**What this does not show.** Real bias is rarely one clean sentence: it hides in word choices, in who is
mentioned at all, and in what is missing from the data, and it cannot be fixed by flipping one probability. Our
worlds show the mechanism only: a model reproduces its data's proportions, and choosing the favourite turns a
majority into everyone.
"""


# ---------------------------------------------------------------------------------------------- memorization

MEM_MODELS = {"Trained on 40 pictures": "diffusion_tiny", "Trained on 60,000 pictures": "diffusion"}
DEFAULT_KINDS = ("T-shirt", "trousers", "sneaker", "bag")
MEM_ARRAYS = (
    "sample_images",
    "sample_labels",
    "sample_nearest_images",
    "sample_nearest_distance",
    "all_sample_distances",
    "all_heldout_distances",
)


@dataclass(frozen=True)
class MemRecord:
    name: str
    arrays: dict[str, np.ndarray]
    train_size: int
    ratio: float
    bar: str


@st.cache_resource(show_spinner=False)
def memorization_record(name: str) -> MemRecord:
    config = read_config(name)
    arrays = load_arrays(name, "memorization.npz")
    missing = [k for k in MEM_ARRAYS if k not in arrays]
    if missing or "train_size" not in config.get("data", {}):
        raise ModelLoadError(name, f"its memorization record is incomplete ({', '.join(missing) or 'train_size'})")
    note = config.get("metric_notes", {}).get("memorization_ratio", "")
    bar = note[note.find("(bar:") + len("(bar:") :].strip(" ()") if "(bar:" in note else ""
    ratio = float(metric(config, "memorization_ratio"))
    return MemRecord(name, arrays, int(config["data"]["train_size"]), ratio, bar)


def _mem_or_none(role: str) -> MemRecord | ModelLoadError:
    try:
        return memorization_record(get_dataset("fashion").model(role))
    except ModelLoadError as error:
        return error


def memorization_finding() -> str:
    tiny, full = _mem_or_none("diffusion_tiny"), _mem_or_none("diffusion")
    if isinstance(tiny, ModelLoadError):
        return "The small-data diffusion model is not available, so this section cannot measure copying."
    first = (
        f"Trained on only {tiny.train_size} pictures, our diffusion model draws near-copies of them: its pictures sit "
        f"{tiny.ratio:.2f}× as far from their nearest training picture as real new pictures do."
    )
    if isinstance(full, ModelLoadError):
        return first + " The same network trained on all 60,000 pictures is not available on this server yet."
    return first + f" Trained on {full.train_size:,}, it makes new ones: {full.ratio:.2f}×."


@st.fragment
def memorization_explorer() -> None:
    data = get_dataset("fashion")
    c1, c2 = st.columns([2, 3])
    choice = _pick(c1, "Diffusion model", MEM_MODELS, key="lim_mem")
    kinds = c2.pills(
        "Kinds to show",
        list(data.class_names),
        selection_mode="multi",
        default=list(DEFAULT_KINDS),
        key="lim_kinds",
        bind="query-params",
        help="Two pictures of each kind, drawn by the model when it was measured.",
    )
    record = _mem_or_none(MEM_MODELS.get(choice or "", "diffusion_tiny"))
    if isinstance(record, ModelLoadError):
        show_load_error(record)
        return
    a = record.arrays
    wanted = [data.class_names.index(k) for k in (kinds or DEFAULT_KINDS) if k in data.class_names]
    pick = np.flatnonzero(np.isin(a["sample_labels"], wanted))
    drawn, nearest = a["sample_images"][pick] / 255.0, a["sample_nearest_images"][pick] / 255.0
    dist = a["sample_nearest_distance"][pick]
    held = float(np.median(a["all_heldout_distances"]))
    title = (
        f"Each drawn picture (top) above its nearest of the {record.train_size:,} training pictures: median "
        f"distance {float(np.median(a['all_sample_distances'])):.2f}, real new pictures {held:.2f}"
    )
    show_chart(st, figs.nearest_pairs(drawn, nearest, dist, title), key="lim_pairs", config=figs.NO_BAR)
    st.caption(
        "Distance: the root-mean-square difference of the pixels, on a scale where 0 is identical and 1 is every "
        "pixel opposite. The number under each pair is that picture's distance."
    )
    title = f"Drawn pictures sit {record.ratio:.2f}× as far from the training set as real new pictures"
    fig = figs.distance_histogram(a["all_sample_distances"], a["all_heldout_distances"], "drawn pictures", title)
    show_chart(st, fig, key="lim_dist", config=figs.NO_BAR)
    st.caption(
        f"All {len(a['all_sample_distances'])} pictures the model drew when it was measured, and "
        f"{len(a['all_heldout_distances']):,} real pictures it never saw, each against its nearest training picture."
        + (f" The model's quality bar: {record.bar}." if record.bar else "")
    )


def image_models() -> list[str]:
    data = get_dataset("fashion")
    return [data.model("diffusion_tiny"), data.model("diffusion"), gan_kind_shares_model()]


def gan_kind_shares_model() -> str:
    return get_dataset("digits").model("gan")


def memorization_numbers() -> dict[str, str]:
    out = {}
    for prefix, role in (("t", "diffusion_tiny"), ("f", "diffusion")):
        r = _mem_or_none(role)
        if isinstance(r, ModelLoadError):
            out |= {f"{prefix}_{k}": "(not available)" for k in ("n", "ratio", "drawn", "held", "samples")}
            continue
        a = r.arrays
        out |= {
            f"{prefix}_n": f"{r.train_size:,}",
            f"{prefix}_ratio": f"{r.ratio:.2f}",
            f"{prefix}_drawn": f"{float(np.median(a['all_sample_distances'])):.3f}",
            f"{prefix}_held": f"{float(np.median(a['all_heldout_distances'])):.3f}",
            f"{prefix}_samples": f"{len(a['all_sample_distances']):,}",
        }
    return out


MEMORIZATION_DEEPER = r"""
**The measure.** For each picture, the distance to its nearest training picture: the root-mean-square difference
of the pixels on a 0-1 scale. A picture the model copied sits very close to its original. But even new pictures sit
somewhere near the training set, so each model is compared with real pictures it never saw (2,000 held-out
Fashion-MNIST pictures, 200 of each kind), against the same training set:
ratio = median distance of the drawn pictures ÷ median distance of the real new ones. About 1: as new as unseen
real pictures; near 0: copies.

**Measured when each model was trained** (DDIM, 20 steps, guidance as on the Diffusion page).
Trained on {t_n} pictures: median distance {t_drawn} for {t_samples} drawn pictures against {t_held} for the real
new ones, ratio {t_ratio} (the bar for this model: at most 0.3). Trained on {f_n} pictures: {f_drawn} against
{f_held}, ratio {f_ratio} (bar: at least 0.8). The pictures shown are the ones saved with each model, two of each
kind, each beside its nearest training picture.

**Why small data means copying.** A network with ~700,000 numbers can store 40 pictures of 784 pixels outright;
the training loss is lowest when it reproduces them. With 60,000 pictures that is no longer possible, and it has to
learn what clothing looks like in general. Large image and text models are trained on far more data, yet studies
found they still reproduce some training items, mostly those repeated many times in the data (Carlini et al. 2023,
*Extracting Training Data from Diffusion Models*; Carlini et al. 2021 for text).

**What this does not show.** A nearest picture in pixel distance is a strict test: a copy shifted by a pixel or
mirrored would look far away. Studies of large models use learned similarity measures for that reason.
"""


RANDOMNESS_DEEPER = r"""
**Sampling.** At each step the model gives every token a probability; the sampler draws one with those odds (a
*categorical* draw), so the same prompt can go many ways. The *seed* fixes the dice: the same seed gives the same
answer every time, which is how this page and the Generate page can show an exact story again.

**Temperature** $T$ divides the model's scores before the softmax: $p_i \propto \exp(z_i / T)$. At $T = 1$ the
draws follow the model's odds; as $T \rightarrow 0$ the favourite takes everything (greedy decoding, no randomness left);
above 1 the odds flatten and unlikely words appear more often. Chat services sample too, which is why asking the
same question twice gives different answers.

**What the chart counts.** 100 continuations of the prompt drawn with one seed, each until its first word is
complete (a word can take several tokens). The orange marks are the model's probability of each word's first token
at this temperature, times 100: the counts scatter around them by chance, about ±√(100·p) for a word with odds p.
"""


def training_page_link() -> None:
    """Copying in text: the Training page highlights copied spans, when that page exists."""
    page = next((p for p in live_pages() if p.key == "training"), None)
    words = "Language models copy too: a generated story can repeat a long stretch of its training text word for word."
    if page is None:
        st.markdown(words)
        return
    st.markdown(words + " The Training page highlights every copied stretch:")
    st.page_link(page.path, label="See copied text highlighted on the Training page", icon=page.icon)


# ---------------------------------------------------------------------------------------------- randomness

PROMPTS = {
    "A friend's name": "Once upon a time, there was a little girl named Mia. She had a friend named",
    "Where the cat sat": "The cat sat on the",
    "A story's next sentence": "Once upon a time, there was a brave boy named Leo. He had a friend named Zoe.",
}
OWN = "Your own text"
MAX_PROMPT_CHARS = 300
FIRST_WORD_SAMPLES = 100
STORY_TOKENS = 40


@keep_last_good  # a busy server shows this visitor's previous view instead of stopping
@st.cache_data(max_entries=256, ttl=3600, show_spinner=False)
def cached_first_words(prompt: str, seed: int, temperature: float) -> lx.FirstWords:
    with heavy_slot():
        return lx.first_words(load_gpt(), prompt, FIRST_WORD_SAMPLES, seed, temperature)


@keep_last_good  # a busy server shows this visitor's previous view instead of stopping
@st.cache_data(max_entries=256, ttl=3600, show_spinner=False)
def cached_continuations(prompt: str, seed: int, temperature: float) -> tuple[str, ...]:
    with heavy_slot():
        return lx.continuations(load_gpt(), prompt, (seed, seed + 1, seed + 2), STORY_TOKENS, temperature)


def _ask_again() -> None:
    st.session_state["lim_rseed"] = (int(st.session_state.get("lim_rseed", 0)) + 3) % 1000


@st.fragment
def randomness_explorer() -> None:
    c1, c2, c3 = st.columns([3, 3, 2])
    choice = c1.selectbox("Prompt", [*PROMPTS, OWN], key="lim_prompt", bind="query-params")
    temperature = c2.slider(
        "Creativity (temperature)",
        0.0,
        2.0,
        1.0,
        0.1,
        key="lim_rtemp",
        bind="query-params",
        help="0 always takes the favourite word; 1 draws with the model's odds; above 1 flattens them.",
    )
    seed = c3.slider("Dice seed", 0, 999, 0, key="lim_rseed", bind="query-params", help="Same seed, same answers.")
    st.button("🎲 Ask again", on_click=_ask_again, help="New dice: another 100 continuations and three new stories.")
    prompt = PROMPTS.get(choice or "", next(iter(PROMPTS.values())))
    if choice == OWN:
        prompt = st.text_input(
            "Your text (the model continues it)",
            value="Once upon a time,",
            max_chars=MAX_PROMPT_CHARS,
            key="lim_text",
            bind="query-params",
        )[:MAX_PROMPT_CHARS]
    seed = int(seed)
    with heavy_work(), timed(f"{FIRST_WORD_SAMPLES} continuations and three stories"):
        fw = cached_first_words(prompt, seed, float(temperature))
        stories = cached_continuations(prompt, seed, float(temperature))
    if len(fw.words) == 1:
        title = f"All {fw.samples} continuations start the same: '{fw.words[0]}'"
    else:
        title = (
            f"{fw.samples} continuations, {len(fw.words)} different first words; the most common, "
            f"'{fw.words[0]}', {int(fw.counts[0])} times"
        )
    fig = figs.first_word_bars(fw.words, fw.counts, fw.model_probs, fw.samples, title)
    show_chart(st, fig, key="lim_first", config=figs.NO_BAR)
    st.markdown(f"**Three continuations of the same prompt** (dice {seed}, {seed + 1} and {seed + 2}):")
    for col, text in zip(st.columns(3), stories, strict=True):
        col.code(text.strip() or "(the story ended at once)", language=None, wrap_lines=True)


# ---------------------------------------------------------------------------------------------- cost

SHORT_NAMES = {
    "gpt": "Story GPT",
    "rnn": "Story RNN",
    "diffusion": "Digit diffusion",
    "fashion_diffusion": "Clothes diffusion",
    "fashion_diffusion_tiny": "Clothes diffusion",
    "gan_digits": "Digit GAN",
    "fashion_gan": "Clothes GAN",
    "vae": "Digit VAE",
    "fashion_vae": "Clothes VAE",
}
LARGE_MODELS = {"Llama 2 70B": (70e9, "llama2"), "GPT-3 175B": (175e9, "gpt3")}


@dataclass(frozen=True)
class CostView:
    models: tuple[costx.ModelCost, ...]
    same_network: tuple[tuple[str, str], ...]  # (model, the measured model with the same network)
    flops_per_second: float


def _generators() -> list[str]:
    """Every shipped generator, text first; a model with the same network as one already listed costs the same."""
    names = ["gpt", "rnn"]
    for key in ("digits", "fashion"):
        data = get_dataset(key)
        names += [data.models[r] for r in ("vae", "gan", "diffusion", "diffusion_tiny") if r in data.models]
    return names


@st.cache_resource(show_spinner="Timing one output of every model on this server (once per server)…")
def measured_costs() -> CostView:
    rows, same, seen = [], [], {}
    with server_work(wait_s=120):
        for name in _generators():
            if _exiting.is_set():  # the process is ending: stop between models (see _stop_measuring)
                raise RuntimeError("the server is stopping")
            try:
                config = read_config(name)
            except ModelLoadError:
                continue
            shapes = str(sorted(config["weights"]["shapes"].items()))
            if shapes in seen:
                same.append((name, seen[shapes]))
                continue
            seen[shapes] = name
            slow = "diffusion" in name and config["weights"]["parameters"] > 200_000  # seconds per picture
            table = costx.measure_costs([name], reps=1 if slow else 5)
            rows += table.models
        fps = costx.measured_flops_per_second()
    for name in ("bias_skewed", "bias_balanced", "fact_gaps"):
        same.append((name, "gpt"))
    return CostView(tuple(rows), tuple(same), fps)


_cost_job: dict[str, threading.Thread | None] = {"thread": None}
_cost_lock = threading.Lock()
_exiting = threading.Event()


@atexit.register
def _stop_measuring() -> None:
    """At exit, let a background measurement finish the model it is timing (a few seconds at most) and stop: a
    thread killed inside torch at interpreter shutdown aborts the process ("terminate called ...")."""
    _exiting.set()
    job = _cost_job["thread"]
    if job is not None:
        job.join(timeout=30)


def _measure_in_background() -> None:
    try:
        measured_costs()
    except Exception as error:  # stopping, or an unexpected failure: the page measures again when asked
        if not _exiting.is_set():  # at exit the log stream may already be closed
            log.warning("cost measurement did not finish: %s", error)


def cost_view_or_none(wait_s: float = 1.0) -> CostView | None:
    """The cost table if it has been measured; otherwise start measuring it in the background (about 20 s, once per
    server: no visitor's page waits for it) and return None. The warm-up usually measured it already."""
    with _cost_lock:
        job = _cost_job["thread"]
        if job is None:
            job = threading.Thread(target=_measure_in_background, name="glassbox-limits-costs", daemon=True)
            job.start()
            _cost_job["thread"] = job
    job.join(wait_s)
    return None if job.is_alive() else measured_costs()  # cached by then (or measured here if it failed)


@st.fragment(run_every=2.0)
def cost_waiting() -> None:
    """Shown while the cost table is measured: checks every 2 s and redraws the page when it is ready."""
    if cost_view_or_none(wait_s=0.0) is not None:
        st.rerun()
    st.info(
        "Timing one output of every model on this server (once per server: about 20 seconds when it is quiet)… "
        "This section appears by itself when it is done.",
        icon="⏱️",
    )


def cost_finding(view: CostView) -> str:
    by = {m.name: m for m in view.models}
    diff = by.get("fashion_diffusion") or by.get("fashion_diffusion_tiny") or by.get("diffusion")
    gan = by.get("fashion_gan") or by.get("gan_digits")
    gpt = by.get("gpt")
    parts = []
    if diff and gan:
        parts.append(
            f"A diffusion picture takes {diff.passes_per_output:g} passes of its network, a GAN picture "
            f"{gan.passes_per_output:g}: here {figs.duration(diff.ms_per_output)} against "
            f"{figs.duration(gan.ms_per_output)}."
        )
    if gpt:
        big = costx.large_model_cost(70e9, 500, view.flops_per_second, gpt.parameters)
        parts.append(
            f"A 70-billion-parameter language model does about {about(big.ratio_to_ours)}× our GPT's work per token."
        )
    return " ".join(parts)


def cost_chart(view: CostView) -> None:
    rows = sorted(view.models, key=lambda m: m.ms_per_output)
    labels = [f"{SHORT_NAMES.get(m.name, m.name)}: {'story' if 'story' in m.output else 'picture'}" for m in rows]
    title = "One output: from a single pass (GAN, VAE) to hundreds (diffusion, text)"
    fig = figs.cost_bars(labels, [m.ms_per_output for m in rows], [m.passes_per_output for m in rows], title)
    show_chart(st, fig, key="lim_cost", config=figs.NO_BAR)
    st.dataframe(
        {
            "model": [SHORT_NAMES.get(m.name, m.name) for m in rows],
            "one output": [m.output for m in rows],
            "parameters": [f"{m.parameters:,}" for m in rows],
            "network passes": [m.passes_per_output for m in rows],
            "ms per output": [round(m.ms_per_output, 2) for m in rows],
            "ms per pass": [round(m.ms_per_pass, 3) for m in rows],
            "how the passes were counted": [m.note for m in rows],
        },
        hide_index=True,
    )
    same = ", ".join(f"{a} (as {b})" for a, b in view.same_network)
    st.caption(
        "Measured on this server when it started, one thread, the model already loaded: the median of a few runs "
        f"(a shared server is noisy). Same network, same cost, so not timed again: {same}."
    )


@st.fragment
def large_model_explorer(view: CostView) -> None:
    gpt = next((m for m in view.models if m.name == "gpt"), None)
    ours = gpt.parameters if gpt else int(read_config("gpt")["weights"]["parameters"])
    c1, c2 = st.columns(2)
    choice = c1.selectbox("A large language model", list(LARGE_MODELS), key="lim_large", bind="query-params")
    tokens = c2.slider("Answer length (tokens)", 100, 2000, 500, 100, key="lim_tokens", bind="query-params")
    params, _ = LARGE_MODELS.get(choice or "", next(iter(LARGE_MODELS.values())))
    big = costx.large_model_cost(params, int(tokens), view.flops_per_second, ours)
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Operations per token", figs.big_number(big.flops_per_token), help="≈ 2 × parameters (one multiply and "
              "one add per weight)")  # fmt: skip
    m2.metric("Weights (16-bit)", f"{big.weight_bytes / 1e9:,.0f} GB", help="2 bytes per parameter")
    m3.metric("80 GB GPUs just to hold them", f"{big.gpus_to_hold_weights}")
    m4.metric(
        "One answer on this server",
        f"{big.seconds_per_answer_here / 60:,.0f} min",
        help="At this server's measured speed on one thread, if it could hold the weights at all.",
    )
    labels = ["our story GPT"] + list(LARGE_MODELS)
    flops = [2.0 * ours] + [2.0 * p for p, _ in LARGE_MODELS.values()]
    title = f"{choice} does about {about(big.ratio_to_ours)}× our GPT's work for every token"
    show_chart(st, figs.operations_bars(labels, flops, title), key="lim_ops", config=figs.NO_BAR)
    st.caption(
        f"An answer of {tokens} tokens: {figs.big_number(big.flops_per_answer)} operations. One GPU at its datasheet peak "
        f"would need {big.seconds_per_token_gpu_compute * 1000:.2f} ms per token for the arithmetic, but reading "
        f"every weight once per token takes at least {big.seconds_per_token_gpu_memory * 1000:.0f} ms at its memory "
        "speed: serving many answers at once is how data centres keep those chips busy."
    )


def cost_numbers(view: CostView) -> dict[str, str]:
    return {
        "fps": f"{view.flops_per_second / 1e9:.0f}",
        "sources": "\n".join(f"- {s}" for s in costx.SOURCES.values()),
    }


COST_DEEPER = r"""
**How the passes are counted.** A text model runs its network once per token: our GPT re-reads the whole text each
time (no cache), so later tokens cost more; the RNN reads only the new token and carries a state. A diffusion model
runs its network once per denoising step, for every picture; a GAN or a VAE once per picture. Times are wall-clock
on this server, one thread, the median of a few runs; this server does about {fps} billion floating-point operations
per second on one thread (a 384 × 384 matrix product, timed when the server started).

**The arithmetic for a large model.** A forward pass costs about 2 × parameters floating-point operations per token
(each weight is used once in a multiply and once in an add). Assumptions: one answer at a time; 16-bit weights
(2 bytes per parameter); attention's own cost left out (it grows with the text's length, and is small next to
2 × parameters for short texts); GPU speeds at the datasheet's peak, which real serving reaches only in part.
Reading every weight once per token bounds the time per token from below when answering one request at a time.

**Sources.**
{sources}

**What this does not show.** Training costs far more than answering: about 6 × parameters × training tokens
operations (Kaplan et al. 2020), trillions of tokens for today's large models. Real serving batches many requests,
caches attention keys and values, and uses cheaper number formats, so the cost per answer is lower than one
request at a time would suggest, and the power drawn is a separate question again.
"""


# ---------------------------------------------------------------------------------------------- warm-up


def warm() -> None:
    """For the server's warm-up: the models and every section's default view."""
    fact_record()
    for model in FACT_MODELS.values():
        cached_fact_view(model, DEFAULT_STORY, "friend")
    for name, p_he in BIAS_MODELS.values():
        doctor_logits(name, p_he)
    gan_kind_shares()
    for role in MEM_MODELS.values():
        _mem_or_none(role)
    prompt = next(iter(PROMPTS.values()))
    cached_first_words(prompt, 0, 1.0)
    cached_continuations(prompt, 0, 1.0)
    measured_costs()

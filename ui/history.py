"""Streamlit glue for the History page: the shared RNN, cached results, the page's controls and its timeline."""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go
import streamlit as st

from explainers import corpus
from explainers import history as hx
from explainers import lm as lmx
from explainers.long_range import DISTANCE_FILLERS
from explainers.rnn import load_rnn_lm
from figures import history as figs
from ui.compute import heavy_slot, keep_last_good  # also sets one torch thread per request, before any model runs
from ui.lm import load_gpt
from ui.tour import live_pages

HELD_OUT, OWN = "A held-out story", "Your own text"
DEFAULT_FILLERS = 6
DEFAULT_TEXT = (
    "Once upon a time, there was a little girl named Mia. She had a friend named Tom. She had a red ball. "
    "She went to the park. She felt happy. The cat sat on the mat. Mia and"
)


@st.cache_resource(show_spinner="Loading the story RNN…")
def load_rnn() -> lmx.LM:
    """One read-only RNN shared by every visitor."""
    return load_rnn_lm("rnn")


@st.cache_data(max_entries=1, show_spinner="Measuring the transformer's memory on 1,000 prompts (once per server)…")
def long_range_curves() -> hx.LongRangeCurves:
    # Read from the RNN's config.json; measured afresh only when the GPT was retrained after the RNN.
    with heavy_slot(wait_s=60):
        return hx.long_range(load_rnn(), load_gpt())


@keep_last_good
@st.cache_data(max_entries=128, ttl=3600, show_spinner=False)
def cached_side_by_side(text: str) -> hx.SideBySide:
    with heavy_slot():  # only on a cache miss: two forward passes of ~300k-parameter models
        return hx.side_by_side(load_rnn(), load_gpt(), text)


# Building a Plotly figure validates every property: for this page's five charts that was about half the server's
# work on a slider move. The charts depend only on the text (and the distance marker), so each is built once for
# every visitor and shared read-only (st.cache_resource: no copy per call; show_chart never changes a figure).


@dataclass(frozen=True)
class SideCharts:
    side: hx.SideBySide
    rnn_bars: go.Figure
    gpt_bars: go.Figure
    state: go.Figure
    attention: go.Figure


@keep_last_good
@st.cache_resource(max_entries=64, ttl=3600, show_spinner=False)
def side_charts(text: str) -> SideCharts:
    """Both models' reading of `text` (cached_side_by_side) and the four charts drawn from it."""
    side = cached_side_by_side(text)
    every = max(1, -(-len(side.labels) // 16))  # at most 16 token labels (plus the name): they fit a phone
    head = f"name head (layer {side.head[0] + 1}, head {side.head[1] + 1})"
    return SideCharts(
        side,
        figs.next_word_bars(side.rnn_next.labels, side.rnn_next.probs, side.answer, "RNN", figs.RNN_COLOUR),
        figs.next_word_bars(side.gpt_next.labels, side.gpt_next.probs, side.answer, "Transformer", figs.GPT_COLOUR),
        figs.state_heatmap(side.states, side.labels, hx.busiest_units(side.states), every, side.answer),
        figs.attention_strip(side.attention, side.labels, side.answer, head, every),
    )


@st.cache_resource(max_entries=64, show_spinner=False)
def long_range_chart(selected: int | None, mistakes: bool) -> go.Figure:
    """The long-range curves with the chosen story's distance marked (shared read-only, like side_charts)."""
    curves = long_range_curves()
    return figs.long_range_chart(curves.distance, curves.rnn, curves.gpt, selected, mistakes)


@st.cache_data(show_spinner=False)
def story_labels() -> list[str]:
    return hx.picker_labels()


@dataclass(frozen=True)
class Choice:
    text: str  # what both models read
    prompt: hx.RecallPrompt | None  # the held-out question, when a held-out story is picked
    mistakes: bool  # show the chance of a wrong name on a log axis


def choose() -> Choice:
    """The page's controls (all kept in the URL): a held-out story and a distance, or the reader's own text."""
    c1, c2 = st.columns([3, 2])
    source = c1.radio(
        "Which text do both models read?",
        [HELD_OUT, OWN],
        horizontal=True,
        key="hist_source",
        bind="query-params",
        help="A held-out story (never seen in training) with filler sentences you choose, or anything you type.",
    )
    mistakes = c2.toggle(
        "Zoom in on the mistakes",
        value=True,
        key="hist_mistakes",
        bind="query-params",
        help="Plot the chance of a wrong name on a log scale: both models are right so often that the "
        "difference only shows up close.",
    )
    if source == OWN:
        text = st.text_area(
            "Your text (both models read it and guess the next word)",
            value=DEFAULT_TEXT,
            max_chars=hx.MAX_TEXT_CHARS,
            key="hist_text",
            bind="query-params",
            height=120,
            help="End it where a name must come, like 'Mia and', to test their memory.",
        )[: hx.MAX_TEXT_CHARS]  # a crafted link can carry more than the box allows
        return Choice(text, None, mistakes)
    labels = story_labels()
    s1, s2 = st.columns([2, 3])
    story = s1.selectbox(
        "Story",
        labels,
        key="hist_story",
        bind="query-params",
        help="Held-out stories: the models never saw them while training.",
    )
    fillers = s2.slider(
        "Filler sentences between the friend's name and the question",
        0,
        DISTANCE_FILLERS[-1],
        DEFAULT_FILLERS,
        key="hist_fillers",
        bind="query-params",
        help="Sentences from the same story world that never mention the friend. 14 is the most a story allows.",
    )
    prompt = hx.picked_prompt(labels.index(story) if story in labels else 0, fillers)
    return Choice(corpus.render(prompt.words), prompt, mistakes)


def show_prompt(prompt: hx.RecallPrompt) -> None:
    """The held-out prompt with the friend's name in bold (grammar words only: nothing typed is shown here)."""
    words = [f"**{w}**" if w == prompt.answer else w for w in prompt.words]
    st.markdown(
        f"> {corpus.render(words)} **___**\n\n"
        f"The story world says the next word must be **{prompt.answer}**, last written **{prompt.distance} words** "
        f"earlier, with {prompt.fillers} filler sentence{'s' if prompt.fillers != 1 else ''} in between."
    )


def timeline() -> None:
    """The eras, each with its source and a link to the page that shows it."""
    live = {p.key: p for p in live_pages()}
    for era in hx.TIMELINE:
        c1, c2 = st.columns([5, 2], vertical_alignment="center")
        c1.markdown(f"**{era.year} · {era.name}.** {era.plain}  \n*{era.source}.*")
        target = live.get(era.page or "")
        if target is not None and era.page != "history":
            c2.page_link(target.path, label=f"See it: {target.title}", icon=target.icon)
        elif era.page == "history":
            c2.markdown("⬆️ *This page*")


def deeper_numbers(rnn: lmx.LM, gpt: lmx.LM, curves: hx.LongRangeCurves) -> dict[str, str]:
    """The measured numbers quoted in "Go deeper", read from the shipped models' configs."""
    m = rnn.config["metrics"]
    stories = m["heldout_stories"]
    gpt_ppl = hx.gpt_per_word_perplexity(gpt, rnn)
    grams = hx.ngram_perplexities()
    return {
        "hidden": str(rnn.model.cfg.n_hidden),
        "embd": str(rnn.model.cfg.n_embd),
        "rnn_steps": f"{rnn.config['training']['steps']:,}",
        "gpt_steps": f"{gpt.config['training']['steps']:,}",
        "stories": f"{stories:,}",
        "unigram": f"{grams['unigram']:.1f}" if grams else "(not available)",
        "bigram": f"{grams['bigram']:.2f}" if grams else "(not available)",
        "rnn_ppl": f"{m['per_word_perplexity']:.3f}",
        "gpt_ppl": f"{gpt_ppl:.3f}" if gpt_ppl is not None else "(not measured)",
        "floor": f"{m['true_per_word_perplexity_heldout']:.3f}",
        "far": f"{curves.distance[-1]:.0f}",
        "rnn_far": f"{curves.rnn[-1]:.2%}",
        "gpt_far": f"{curves.gpt[-1]:.2%}",
        "rnn_near": f"{curves.rnn[0]:.2%}",
        "prompts": str(curves.prompts),
    }


GO_DEEPER = r"""
**The LSTM** (Hochreiter & Schmidhuber 1997). After each token $x_t$ it updates a cell $c_t$ and a state $h_t$
through gates, each a sigmoid $\sigma$ of $x_t$ and $h_{{t-1}}$:
$f_t, i_t, o_t = \sigma(\dots)$, $g_t = \tanh(\dots)$, $c_t = f_t \odot c_{{t-1}} + i_t \odot g_t$,
$h_t = o_t \odot \tanh(c_t)$. The forget gate $f_t$ decides what survives. Ours: one layer, a state of {hidden}
numbers, token embeddings of {embd} shared with the output layer, like the GPT.

**Why remembering is hard for an RNN.** A name read 100 tokens ago must survive 100 updates of the state, and
while training, the error signal must travel back through the same 100 steps and tends to fade on the way
(Bengio, Simard & Frasconi 1994). Measured here: trained with PyTorch's default start, the same LSTM learned that
the friend is a boy, but never *which* boy (17% on the right name at every distance). With *chrono
initialisation* (Tallec & Ollivier 2018), which starts each of its numbers with a different memory span of up to
~100 tokens, it learned the names within the same {rnn_steps} steps.

**Why transformers replaced RNNs.** Attention connects any two tokens in one step, whatever the distance
(Vaswani et al. 2017), and all positions of a text are trained at once instead of one after another, which suits
parallel chips. The price: the work per token grows with the length of the text, and the model has a window
(256 tokens here), while an RNN costs the same for every token and can read on forever.

**The measurements.** Per-word perplexity on the same {stories} held-out stories (a word's surprise is the sum of
its tokens', so tokenizers do not matter): unigram {unigram}, bigram {bigram}, RNN {rnn_ppl}, transformer
{gpt_ppl}; the story grammar's own randomness sets the floor at {floor}. The long-range test: the opening of each
held-out story, filler sentences drawn from the grammar that never mention the friend, then "Mia and", which the
grammar always continues with the friend's name; the probability of the whole name, {prompts} stories per
distance. At {far} words: transformer {gpt_far}, RNN {rnn_far} (at the shortest distance the RNN had
{rnn_near}).

**What this does not show.** Our stories are short (at most ~170 tokens) and hold two names, so a good LSTM
copes. On real text, LSTM language models were measured to use only about the last 200 tokens, and the order of
words only among the last ~50 (Khandelwal et al. 2018, *Sharp Nearby, Fuzzy Far Away*). The RNN trained for
{rnn_steps} steps, the GPT for {gpt_steps}: that is what fits our retrain budget, and the card says so.
"""


def warm() -> None:
    """For the server's warm-up: the RNN, both long-range curves and the page's default view."""
    load_rnn()
    prompt = hx.picked_prompt(0, DEFAULT_FILLERS)
    long_range_chart(prompt.distance, True)
    side_charts(corpus.render(prompt.words))

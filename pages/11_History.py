import streamlit as st

from explainers.history import busiest_units
from explainers.long_range import DISTANCE_FILLERS
from figures import history as figs
from ui.compute import heavy_work
from ui.frame import go_deeper, load_or_stop, model_card, show_chart, timed, what_you_are_seeing
from ui.history import (
    GO_DEEPER,
    cached_side_by_side,
    choose,
    deeper_numbers,
    load_rnn,
    long_range_curves,
    show_prompt,
    timeline,
)
from ui.lm import load_gpt
from ui.page_setup import setup_page

setup_page("history")
rnn = load_or_stop("rnn", load_rnn)
gpt = load_or_stop("gpt", load_gpt)
n_rnn, n_gpt = rnn.config["weights"]["parameters"], gpt.config["weights"]["parameters"]
st.markdown(
    f"Two models of the same size (**{n_rnn:,}** and **{n_gpt:,}** numbers), trained on the same stories with the "
    "same tokenizer: an **RNN** (an LSTM), the way language models were built until about 2017, and a "
    "**transformer** (our story GPT), the way they are built now. The test: a friend is named early in a story; "
    "many sentences later the story needs that name again."
)

with heavy_work():
    curves = long_range_curves()


@st.fragment
def compare() -> None:
    """The controls and everything they change: a slider move reruns only this part of the page."""
    choice = choose()
    with heavy_work(), timed("RNN and transformer reading your text"):
        side = cached_side_by_side(choice.text)

    st.subheader("Can it repeat a name it read long ago?")
    selected = choice.prompt.distance if choice.prompt else None
    fig = figs.long_range_chart(curves.distance, curves.rnn, curves.gpt, selected, choice.mistakes)
    show_chart(st, fig, key="hist_curve", width="stretch", config=figs.NO_BAR)
    st.caption(
        f"Each point: the mean over {curves.prompts} held-out stories, with {', '.join(map(str, DISTANCE_FILLERS))} "
        "filler sentences."
        + (" The dotted line is the story below." if choice.prompt else "")
        + ("" if curves.measured_at_training else " The transformer was retrained since: its curve was measured now.")
    )
    if choice.prompt:
        show_prompt(choice.prompt)
    if side.truncated:
        st.warning("Long text: both models read only its last 256 tokens.")

    st.subheader("Same text, both models' guesses for the next word")
    c1, c2 = st.columns(2)
    for col, nxt, who, colour in (
        (c1, side.rnn_next, "RNN", figs.RNN_COLOUR),
        (c2, side.gpt_next, "Transformer", figs.GPT_COLOUR),
    ):
        bars = figs.next_word_bars(nxt.labels, nxt.probs, side.answer, who, colour)
        show_chart(col, bars, key=f"hist_bars_{who}", width="stretch", config=figs.NO_BAR)

    st.subheader("How each one remembers")
    every = max(1, -(-len(side.labels) // 16))  # at most 16 token labels (plus the name): they fit a phone
    units = busiest_units(side.states)
    state_fig = figs.state_heatmap(side.states, side.labels, units, every, side.answer)
    show_chart(st, state_fig, key="hist_state", width="stretch", config=figs.NO_BAR)
    st.caption(
        "Each column is the RNN's state after reading that token; each row is one of its numbers (blue above zero, "
        "red below). To keep the friend's name, the RNN must carry it through every one of these rewrites."
    )
    head = f"name head (layer {side.head[0] + 1}, head {side.head[1] + 1})"
    strip = figs.attention_strip(side.attention, side.labels, side.answer, head, every)
    show_chart(st, strip, key="hist_attention", width="stretch", config=figs.NO_BAR)
    st.caption(
        "The transformer keeps every token it has read. From the last token, this head (found by measurement, see "
        "the Attention page) puts its attention straight on the earlier name, however far back it is."
    )


compare()
st.subheader("A short history of generative models")
timeline()

what_you_are_seeing(
    "The same question put to two models of the same size. **The RNN** reads one token at a time and keeps a "
    "summary, its *state*: the heatmap shows that summary being rewritten at every token. **The transformer** "
    "keeps every token and looks back: the bars show one of its heads jumping straight to the name. Drag the "
    "distance: the RNN's mistakes grow, the transformer's do not (switch the zoom off: both stay near 100%)."
)
go_deeper(GO_DEEPER.format(**deeper_numbers(rnn, gpt, curves)))
model_card("rnn", "gpt")

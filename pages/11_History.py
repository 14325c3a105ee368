import streamlit as st

from explainers.long_range import DISTANCE_FILLERS
from figures import history as figs
from ui.compute import heavy_work
from ui.frame import go_deeper, load_or_stop, model_card, show_chart, timed, what_you_are_seeing
from ui.history import (
    GO_DEEPER,
    choose,
    deeper_numbers,
    load_rnn,
    long_range_chart,
    long_range_curves,
    show_prompt,
    side_charts,
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
        charts = side_charts(choice.text)

    st.subheader("Can it repeat a name it read long ago?")
    selected = choice.prompt.distance if choice.prompt else None
    show_chart(st, long_range_chart(selected, choice.mistakes), key="hist_curve", width="stretch", config=figs.NO_BAR)
    st.caption(
        f"Each point: the mean over {curves.prompts} held-out stories, with {', '.join(map(str, DISTANCE_FILLERS))} "
        "filler sentences."
        + (" The dotted line is the story below." if choice.prompt else "")
        + ("" if curves.measured_at_training else " The transformer was retrained since: its curve was measured now.")
    )
    if choice.prompt:
        show_prompt(choice.prompt)
    if charts.side.truncated:
        st.warning("Long text: both models read only its last 256 tokens.")

    st.subheader("Same text, both models' guesses for the next word")
    c1, c2 = st.columns(2)
    show_chart(c1, charts.rnn_bars, key="hist_bars_RNN", width="stretch", config=figs.NO_BAR)
    show_chart(c2, charts.gpt_bars, key="hist_bars_Transformer", width="stretch", config=figs.NO_BAR)

    st.subheader("How each one remembers")
    show_chart(st, charts.state, key="hist_state", width="stretch", config=figs.NO_BAR)
    st.caption(
        "Each column is the RNN's state after reading that token; each row is one of its numbers (blue above zero, "
        "red below). To keep the friend's name, the RNN must carry it through every one of these rewrites."
    )
    show_chart(st, charts.attention, key="hist_attention", width="stretch", config=figs.NO_BAR)
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

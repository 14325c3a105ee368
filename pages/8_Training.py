"""Training: watch our story model learn (a replay of its checkpoints), then train one yourself, live."""

import streamlit as st

from ui.frame import go_deeper, load_or_stop, model_card, what_you_are_seeing
from ui.page_setup import setup_page

setup_page("training")

from ui import training

view = st.radio(
    "What would you like to see?",
    ["Watch ours learn", "Train one yourself"],
    key="show",
    bind="query-params",
    horizontal=True,
    captions=["a replay of how our story model learned", "live, on our texts or yours"],
)

if view == "Watch ours learn":
    replay = load_or_stop("gpt", training.load_replay)
    st.markdown(training.replay_lead(replay))
    c1, c2, _ = st.columns([2, 2, 3], vertical_alignment="bottom")
    with c1:
        training.replay_controls(replay)
    # A float box shown as a whole number: Streamlit 1.67's integer number_input crashes on a URL value such as
    # ?story_seed=1e309 before the page can check it, while the float one falls back to the default.
    seed = c2.number_input(
        "Story seed",
        0.0,
        9999.0,
        1.0,
        1.0,
        format="%.0f",
        key="story_seed",
        bind="query-params",
        help="Which dice rolls the model uses to write its story. The same seed gives the same story at every "
        "step, so you see the model change, not the luck.",
    )
    training.replay_view(replay, int(seed))
    with st.container(border=True):
        st.markdown(training.loss_in_plain_words(replay))
    what_you_are_seeing(
        "Our story model at one moment of its training. The loss chart: its loss falling step by step, on the "
        "batches it trains on (light blue) and on held-out stories it never sees (vermilion). The odds chart: its "
        "odds for the word after 'The cat sat on the' beside the true odds of our story world (grey). Below them: a story it writes "
        "at this step, always with the same dice rolls. Press play: random pieces, then words, then sentences, "
        "then whole stories."
    )
else:
    st.markdown(training.LIVE_LEAD)
    choice = training.choose()
    if choice.source == "yours":
        st.caption("🔒 Your text is not put in the page's link (the other choices are, so you can share them).")
    run = training.current_run(choice)
    if run is not None:
        training.transport(run)
        training.live_view()
        note = training.comparison_note(run)
        if note:
            st.success(note, icon="⚖️")
        else:
            st.caption(
                "Tip: train the same text from scratch, then fine-tune our story model on it (or the other way "
                "round): the chart then shows both held-out curves."
            )
    with st.container(border=True):
        st.markdown(training.LIVE_IN_PLAIN_WORDS)
    what_you_are_seeing(
        "A model learning your chosen text right now, in your browser session. Light blue: its loss on the text it "
        "trains on. Vermilion: its loss on the held-out last part it never sees. When light blue keeps falling but "
        "vermilion turns up, the model is memorizing instead of learning, and the page marks that moment. Below, "
        "what it writes: highlighted stretches were copied word for word from the training text."
    )

go_deeper(training.GO_DEEPER)
model_card("gpt")

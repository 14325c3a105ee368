"""Limits: where generative models go wrong (made-up facts, bias, copying, randomness, cost), each measured on our
own models. Each section opens with ui.opening (header, finding, what was done) and ends with ui.closing."""

import streamlit as st

from ui import classroom
from ui import limits as ui
from ui.frame import load_or_stop, model_card
from ui.lm import load_gpt
from ui.page_setup import setup_page
from ui.presenter import secondary

setup_page("limits")
load_or_stop("gpt", load_gpt)
record = load_or_stop("fact_gaps", ui.fact_record)
secondary("intro").markdown(  # a presenter says it: the hallucination chart comes up into the first screen
    classroom.glossary_links(  # a word's first appearance on the page links to its Glossary entry
        "The articles about generative AI spend as much time on what it gets wrong as on how it works. Here every "
        "limit is **measured on our own models**: we wrote the stories and chose the pictures they learned from, so we "
        "know the true answer each time, and can change the data to see the cause."
    )
)

ui.opening(
    "1 · Hallucination: fluent, confident, and wrong",
    "hallucination",
    ui.hallucination_finding(record),
    "A story states a fact, such as the name of the hero's friend. Later it needs that fact again. Cut the "
    "sentence that states it and see what the model writes, and how sure it is.",
)
ui.hallucination_explorer(record)
ui.calibration_view(record)
ui.closing(
    "The story as the model reads it, and the word it writes next. **Fact stated**: its odds put nearly "
    "everything on the right answer (green ✓). **Fact cut**: the same text without that sentence. Our story "
    "GPT still bets almost everything on one answer (orange), usually wrong. The gap-trained GPT, which has "
    "read stories with missing facts, spreads its odds near the dotted line of even odds, yet still writes one "
    "name just as fluently. The last chart asks: when the model is this sure, how often is it right? The model "
    "writes the likely, not the true, and does not know what it does not know.",
    ui.HALLUCINATION_DEEPER.format(**ui.hallucination_numbers(record)),
)

ui.opening(
    "2 · Bias: the data's skew, and how decoding amplifies it",
    "bias",
    ui.bias_finding(),
    "We made a copy of our story world with one deliberate, documented skew: a new sentence, *'Mia met a doctor, "
    "and the doctor said that he would help'*, where the doctor is 'he' in 80% of stories. Then we fine-tuned our "
    "GPT on it (the chart *Skewed data*), and another copy on a balanced 50/50 version (*Balanced data*). Each "
    "model finishes 200 held-out stories that end *'… and the doctor said that'*.",
)
ui.bias_explorer()
st.markdown("**The same on the image side.** A generator can make some kinds of picture rarer than its data has them:")
ui.gan_kinds_view()
ui.closing(
    "Four bars for the same question, *who is the doctor?* **Training data** and **model's odds** match: the "
    "model learned the skew faithfully. Always taking its **favourite** word (greedy decoding) writes 'he' every "
    "time: a 20% minority becomes 0%. **Sampling** at temperature (T) 1 gives back about the data's split; lower "
    "temperatures push it towards greedy, higher ones towards 50/50. The balanced model, the same network, "
    "writes both: the skew came from the data.",
    ui.BIAS_DEEPER.format(**ui.bias_numbers()),
)

ui.opening(
    "3 · Memorization: copying the training data",
    "memorization",
    ui.memorization_finding(),
    "The same diffusion network as on the Diffusion page, trained twice on clothes: once on only 40 pictures "
    "(4 of each kind), once on all 60,000. For each picture it drew, we found the closest picture in its training "
    "set, and did the same for real pictures it never saw.",
)
ui.memorization_explorer()
ui.training_page_link()
ui.closing(
    "Each drawn picture above the training picture nearest to it, with how far apart they are (0 = identical). "
    "**Trained on 40 pictures**, the model's drawings sit much closer to a training picture than real new "
    "pictures do: it learned those 40 pictures, not clothing. **Trained on 60,000**, its drawings are about as far "
    "from the training set as real pictures it never saw: they are new.",
    ui.MEMORIZATION_DEEPER.format(**ui.memorization_numbers()),
)

ui.opening(
    "4 · Randomness: ask twice, get different answers",
    "randomness",
    "The model does not pick one answer: it rolls dice with its odds. The same prompt, 100 times, gives many "
    "different first words, and three stories that go three different ways.",
)
ui.randomness_explorer()
ui.closing(
    "Blue bars: how many of 100 continuations started with each word. Orange marks: the model's own odds for that "
    "word, times 100; the bars scatter around them, as dice do. Move the creativity (temperature) to 0: every "
    "continuation is the same. Raise it: more different words, some the model thought unlikely. **Ask again** "
    "rolls new dice.",
    ui.RANDOMNESS_DEEPER,
)

st.header("5 · Cost: why big models need data centres", anchor="cost")
costs = ui.cost_view_or_none()
if costs is None:
    ui.cost_waiting()
else:
    st.subheader(ui.cost_finding(costs))
    ui.cost_chart(costs)
    st.markdown("**Now a large language model**, by arithmetic rather than measurement (we cannot run one here):")
    ui.large_model_explorer(costs)
ui.closing(
    "Every model on this site, timed on this server for one output: a picture or an 80-token story. A GAN draws a "
    "picture in one pass of its network; diffusion needs 200; a text model needs one per token. Then the same "
    "arithmetic for a large language model: each token costs about two operations per parameter, hundreds of "
    "thousands of times our GPT's work, and its weights do not even fit on one graphics card.",
    None if costs is None else ui.COST_DEEPER.format(**ui.cost_numbers(costs)),
)

model_card("gpt", "fact_gaps", "bias_skewed", "bias_balanced", *ui.image_models())

"""Evaluation: how do we know a generator is any good? GAN, VAE and diffusion measured the same way beside real
pictures; a "real or fake?" game; the text models' perplexity against the grammar's floor."""

import streamlit as st

from ui import classroom
from ui import evaluation as ui
from ui.compute import heavy_work
from ui.frame import go_deeper, load_or_stop, model_card, presenting, what_you_are_seeing
from ui.image_data import choose_dataset, get_judge
from ui.page_setup import setup_page
from ui.presenter import secondary

setup_page("evaluation")
data = choose_dataset("Clothes: 28×28 photos of 10 kinds (Fashion-MNIST). Digits: 8×8 handwriting.")
load_or_stop(data.model("judge"), lambda: get_judge(data.key))
with heavy_work():
    evaluation = ui.evaluation(data.key)
    speed = ui.speeds(data.key)
st.subheader(ui.headline(data, evaluation, speed))
intro = (
    f"Three ways to make pictures of {data.title}, trained on the same pictures: a **GAN** (a forger against a "
    "detective), a **VAE** (squeeze each picture to two numbers and redraw it) and **diffusion** (remove noise step "
    "by step). A good generator makes pictures that look real, of every kind, varied, new rather than copied, and "
    "quickly. Each of those is measured below, for all three and for **real pictures** the models never saw."
)
# Each word's first appearance links to its Glossary entry; a presenter says this paragraph aloud.
secondary("intro").markdown(classroom.glossary_links(intro))

projector = presenting()  # on a projector the quality chart comes first, then the pictures it measured
if not projector:
    ui.pictures_section(data, projector)
ui.section_header(2, "Five measures", "measures", projector)
st.caption(ui.source_note(data, evaluation))
ui.quality_section(data, evaluation)
if projector:
    ui.pictures_section(data, projector)
ui.diversity_section(data, evaluation)
ui.distance_section(data, evaluation)
ui.memorization_section(data, evaluation)
ui.speed_section(data, evaluation, speed)
st.subheader("The trade-off, in the numbers above")
st.markdown("\n".join(f"- {line}" for line in ui.tradeoffs(data, evaluation, speed)))

ui.section_header(3, "Real or fake? You be the judge", "game", projector)
with heavy_work():
    ui.game(data)

ui.section_header(4, "Text: how surprised is each model by a new story?", "text", projector)
text_intro = (
    "For text, the measure is **perplexity**: how unsure a model is, on average, about the next word of stories it "
    "never saw, as if choosing among that many equally likely words. Lower is better. Our stories come from a "
    "grammar we wrote, so we also know how random they really are: that is the **floor**, which no model can beat."
)
st.markdown(classroom.glossary_links(text_intro))
table = ui.perplexity_section()
st.markdown("**Where each model goes wrong:** every word coloured by how surprised the model was to read it.")
with heavy_work():
    ui.surprise_view()

seeing = (
    "The same questions put to three picture generators and to real pictures: can a judge read them, do they cover "
    "every kind, how far their cloud sits from the real one, are they copies, and what each costs. Switch to digits "
    "at the top to see whether the ranking holds on a simpler task. In the game, you are the detective. In the text "
    "section, the bars step down from the unigram to the transformer, towards the grammar's floor; the coloured "
    "story shows which words each model still finds surprising."
)
what_you_are_seeing(classroom.glossary_links(seeing))
go_deeper(ui.GO_DEEPER.format(**ui.deeper_numbers(evaluation, table)))
model_card(data.model("judge"), *(data.model(r) for r in ("gan", "vae", "diffusion")), "ngram", "rnn", "gpt")

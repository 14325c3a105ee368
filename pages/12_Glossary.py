"""Glossary: every technical word the pages use, in plain words, with a one-line technical note (content/glossary.toml).
A word's link in any page's text (ui.classroom.glossary_links) opens its entry here: ?term=Softmax."""

import streamlit as st

from ui import classroom
from ui.frame import go_deeper, what_you_are_seeing
from ui.page_setup import setup_page

setup_page("glossary")
terms = classroom.glossary_terms()
st.subheader(f"{len(terms)} words, each in plain words first, then the exact term")
look, find_box = st.columns(2)
with look:
    opened = classroom.open_word(terms)
with find_box:
    find = st.text_input(
        "Find a word",
        key="find",
        bind="query-params",
        max_chars=40,
        placeholder="for example: softmax, latent, DDPM",
        help="Matches the word, its other names and its explanation.",
    )
if opened is not None:
    classroom.opened_card(opened)
shown = classroom.matching_terms(terms, find)
if not shown:
    st.info(f"No word matches '{find}'. Try a shorter piece of it.", icon="🔎")
classroom.letter_index(shown)
for entry in shown:
    classroom.term_card(entry)

what_you_are_seeing(
    "Every technical word used on this tour's pages, in alphabetical order. Each has its meaning in plain words, "
    "then what it means technically, and the other names it goes by. On the other pages, the first time such a word "
    "appears in the text it is a dotted link: point at it (or move to it with the Tab key) to read its meaning, "
    "click it to open its entry here. **📖 Words on this page** lists the words of a page's first screen."
)
go_deeper(classroom.glossary_deeper())

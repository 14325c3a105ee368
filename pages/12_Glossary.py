"""Glossary: every technical word the pages use, in plain words, with a one-line technical note (content/glossary.toml)."""

import streamlit as st

from ui import classroom
from ui.frame import go_deeper, what_you_are_seeing
from ui.page_setup import setup_page

setup_page("glossary")
terms = classroom.glossary_terms()
st.subheader(f"{len(terms)} words, each in plain words first, then the exact term")
find = st.text_input(
    "Find a word",
    key="find",
    bind="query-params",
    max_chars=40,
    placeholder="for example: softmax, latent, DDPM",
    help="Matches the word, its other names and its explanation.",
)
shown = classroom.matching_terms(terms, find)
if not shown:
    st.info(f"No word matches '{find}'. Try a shorter piece of it.", icon="🔎")
classroom.letter_index(shown)
for entry in shown:
    classroom.term_card(entry)

what_you_are_seeing(
    "Every technical word used on this tour's pages, in alphabetical order. Each has its meaning in plain words, "
    "then what it means technically, and the other names it goes by. On every page, **📖 Words on this page** lists "
    "the words of its first screen and links here."
)
go_deeper(classroom.glossary_deeper())

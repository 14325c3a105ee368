import streamlit as st

from explainers import lm as lmx
from figures import lm as figs
from ui.frame import go_deeper, load_or_stop, model_card, show_chart, timed, what_you_are_seeing
from ui.lm import code_span, load_gpt, prompt_box, split_sentence
from ui.page_setup import setup_page

setup_page("tokens")
lm = load_or_stop("gpt", load_gpt)

MAX_CHIPS = 400  # more chips than this is unreadable and slow to send
MAX_WORD_ROWS = 24  # one bar per word; more rows than this make a crammed chart

DEFAULT = "Mia met a snorkelwhistle."
EXAMPLES = {  # each one differs from the default text, so every button visibly changes the page
    "A story sentence": "The cat sat on the mat. Mia had a red ball.",
    "Another made-up word": "Tom found a glimmerquaff in the garden.",
    "Accents and emoji": "Zoë ate a crêpe 🥞 in the café.",
    "Another script": "猫がマットの上に座った",
}


def use_example(text: str) -> None:
    st.session_state["text"] = text


cols = st.columns(len(EXAMPLES))
for col, (name, text) in zip(cols, EXAMPLES.items(), strict=True):
    col.button(name, on_click=use_example, args=(text,), width="stretch")
text = prompt_box("text", DEFAULT, max_chars=lmx.MAX_TEXT_CHARS)

with timed("tokenization"):
    view = lmx.tokenize(lm, text)

if not view.labels:
    st.warning("Type some text above to see its tokens.")
    st.stop()

c1, c2, c3 = st.columns(3)
c1.metric("Characters", f"{view.n_chars:,}")
c2.metric("Words", f"{len(view.words):,}")
c3.metric("Tokens (what the model reads)", f"{len(view.labels):,}")

n = len(view.labels)
shown = min(n, MAX_CHIPS)
fig = figs.text_chips(view.labels[:shown], [int(i) for i in view.ids[:shown]], view.complete[:shown], n)
show_chart(st, fig, key="chips", width="stretch", config={"displayModeBar": False})
if shown < n:
    st.caption(f"Showing the first {shown} of {n:,} tokens, to keep the page quick.")
byte_chip = next((lab for lab, whole in zip(view.labels, view.complete, strict=True) if not whole), None)
st.caption(
    "The model receives only these ID numbers, never the letters. ␣ marks a space: it is glued to the start of "
    "the next word."
    + (
        f" A chip like {code_span(byte_chip)} is **raw bytes**: a computer stores every character as one to four "
        "small numbers (bytes, written here in hexadecimal). For a character it has no piece for (an emoji, an "
        "accent, another script), the tokenizer falls back to those numbers, so one character becomes several tokens."
        if byte_chip is not None
        else ""
    )
)

if any(int(c) > 1 for c in view.word_tokens):
    rows = min(len(view.words), MAX_WORD_ROWS)
    show_chart(
        st,
        figs.word_split_bars(
            view.words[:rows], [int(c) for c in view.word_tokens[:rows]], [view.pieces(i) for i in range(rows)]
        ),
        key="splits",
        width="stretch",
        config={"displayModeBar": False},
    )
    st.caption(figs.word_bars_caption(n, view.n_outside_words, rows, len(view.words)))
    st.markdown(split_sentence(view, view.words[0].isalpha() and lmx.is_one_token(lm, " " + view.words[0])))

with st.expander("The numbers as a table"):
    st.dataframe(
        {
            "#": list(range(1, n + 1)),
            "token": list(view.labels),
            "id": [int(i) for i in view.ids],
            "characters": [f"{a}–{b}" for a, b in view.spans],
        },
        hide_index=True,
        width="stretch",
    )

what_you_are_seeing(
    "A language model never sees letters or words. A **tokenizer** first cuts the text into pieces called "
    "**tokens** and swaps each for a number, its ID. Those numbers are all the model receives. Common words are "
    "one piece; rare words, emoji and other scripts break into several."
)
go_deeper(
    f"""
**Byte-level BPE.** This tokenizer was trained with Hugging Face `tokenizers` on our story corpus. It starts
from the 256 possible bytes (so *any* UTF-8 text can be encoded, with no unknown-token) and repeatedly merges
the most frequent adjacent pair into a new token (Sennrich et al. 2016, *Neural Machine Translation of Rare
Words with Subword Units*; GPT-2 made it byte-level). It stopped at **{lm.tok.get_vocab_size()} tokens**,
because by then every word of the story world was a single token.

**Why pieces and not words?** A whole-word vocabulary can never be complete (names, typos, new words),
and a letter-only one makes texts long and slow to read. Pieces sit between: frequent words stay whole,
rare ones are spelled out from parts, and the vocabulary stays small.

**What this view does not show.** The model also gets a hidden *start-of-story* token (id {lm.eot}) before
your text. A space belongs to the *next* token (`␣mat`), which is why "mat" at the start of a line and
" mat" after a space are different tokens.
"""
)
model_card("gpt")

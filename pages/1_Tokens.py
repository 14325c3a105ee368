import streamlit as st

from explainers import lm as lmx
from figures import lm as figs
from ui.frame import go_deeper, load_or_stop, model_card, show_chart, timed, what_you_are_seeing
from ui.lm import load_gpt, prompt_box
from ui.page_setup import setup_page

setup_page("tokens")
lm = load_or_stop("gpt", load_gpt)

MAX_CHIPS = 400  # more chips than this is unreadable and slow to send

EXAMPLES = {
    "A story sentence": "The cat sat on the mat. Mia had a red ball.",
    "A made-up word": "Mia met a snorkelwhistle.",
    "Accents and emoji": "Zoë ate a crêpe 🥞 in the café.",
    "Another script": "猫がマットの上に座った",
}


def use_example(text: str) -> None:
    st.session_state["text"] = text


cols = st.columns(len(EXAMPLES))
for col, (name, text) in zip(cols, EXAMPLES.items(), strict=True):
    col.button(name, on_click=use_example, args=(text,), width="stretch")
text = prompt_box("text", EXAMPLES["A made-up word"], max_chars=lmx.MAX_TEXT_CHARS)

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
fig = figs.token_chips(
    view.labels[:shown],
    [int(i) for i in view.ids[:shown]],
    f"Your text becomes {n} token{'s' if n != 1 else ''}: the numbers under each chip",
)
show_chart(st, fig, key="chips", width="stretch", config={"displayModeBar": False})
if shown < n:
    st.caption(f"Showing the first {shown} of {n:,} tokens, to keep the page quick.")
broken = int((~view.complete).sum())
st.caption(
    "␣ marks a space: it is glued to the start of the next word. "
    + (f"{broken} chip(s) like ⟨F0 9F⟩ are raw bytes: one character cut into several tokens." if broken else "")
)

split = [(w, int(c)) for w, c in zip(view.words, view.word_tokens, strict=True)]
if any(c > 1 for _, c in split):
    show_chart(
        st,
        figs.word_split_bars([w for w, _ in split[:40]], [c for _, c in split[:40]]),
        key="splits",
        width="stretch",
        config={"displayModeBar": False},
    )
    st.markdown(
        "Words the stories use a lot are **one token each**. A word the tokenizer never saw, like "
        "*snorkelwhistle*, is **cut into smaller pieces** it does know, down to single letters or bytes "
        "if needed. So nothing is ever 'unknown': every text can be read."
    )

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

"""Streamlit-side helpers for the language-model pages: the shared model and cached results."""

from __future__ import annotations

import hashlib
import re
from typing import NamedTuple

import streamlit as st

from explainers import lm as lmx
from figures import lm as figs
from figures.style import percent
from ui.compute import heavy_slot  # also sets one torch thread per request, before any model runs

EXAMPLE_PROMPTS = {
    "The cat sat on the": "The cat sat on the",
    "A story, at a name": lmx.DEFAULT_STORY_PROMPT,
    "A story, at a pronoun": (
        "Once upon a time, there was a brave boy named Leo. He had a friend named Zoe. Leo had a blue kite. "
        "Zoe was sad, so Leo gave"
    ),
    "Not a story": "My favourite recipe needs",
}


@st.cache_resource(show_spinner="Loading the story GPT…")
def load_gpt() -> lmx.LM:
    """One read-only model shared by every visitor."""
    return lmx.load_lm("gpt")


@st.cache_data(max_entries=256, ttl=3600, show_spinner=False)
def cached_next_token(prompt: str) -> lmx.NextToken:
    return lmx.next_token(load_gpt(), prompt)


@st.cache_data(max_entries=256, ttl=3600, show_spinner=False)
def cached_true_odds(prompt: str) -> lmx.TrueOdds | None:
    return lmx.true_odds(load_gpt(), prompt)


@st.cache_data(max_entries=128, ttl=3600, show_spinner=False)
def cached_attention(prompt: str) -> lmx.AttentionView:
    return lmx.attention(load_gpt(), prompt)


class Sampling(NamedTuple):
    """What decides a story besides its length and the visitor's picks: the prompt, the seed and the knobs."""

    prompt: str
    seed: int
    temperature: float
    top_k: int
    top_p: float


@st.cache_data(max_entries=128, ttl=3600, show_spinner=False)
def cached_generation(
    s: Sampling, n_steps: int, overrides: tuple[tuple[int, int], ...], _resume: lmx.Generation | None = None
) -> lmx.Generation:
    # `_resume` is left out of the cache key (leading underscore): it only saves work, never changes the result.
    with heavy_slot():  # only on a cache miss: a story already written costs no wait
        return lmx.generate(
            load_gpt(), s.prompt, n_steps, s.seed, s.temperature, s.top_k, s.top_p, dict(overrides), _resume
        )


_LAST_GENERATION = "_glassbox_last_generation"


def generation(
    prompt: str,
    n_steps: int,
    seed: int,
    temperature: float,
    top_k: int,
    top_p: float,
    overrides: tuple[tuple[int, int], ...],
) -> lmx.Generation:
    """The story for these settings, building on this visitor's previous, shorter one when it matches,
    so pressing "next token" runs the model once instead of once per token so far."""
    settings = Sampling(prompt, seed, temperature, top_k, top_p)
    last = st.session_state.get(_LAST_GENERATION)
    resume = None
    if last is not None and last[0] == settings:
        previous_overrides, previous = last[1], last[2]
        done = len(previous.steps)
        if done <= n_steps and previous_overrides == tuple((k, v) for k, v in overrides if k < done):
            resume = previous
    result = cached_generation(settings, n_steps, overrides, resume)
    kept = tuple((k, v) for k, v in overrides if k < len(result.steps))
    st.session_state[_LAST_GENERATION] = (settings, kept, result)
    return result


def text_key(view: lmx.AttentionView) -> str:
    """A short fingerprint of the tokens a view was made from, for widgets that belong to one text."""
    return hashlib.blake2b(view.ids.tobytes(), digest_size=6).hexdigest()


def prompt_box(
    key: str, default: str, label: str = "Your text", max_chars: int = lmx.MAX_PROMPT_CHARS, height: int = 110
) -> str:
    """A capped text box kept in the URL. Streamlit enforces max_chars; the message says so plainly."""
    text = st.text_area(
        label,
        value=default,
        max_chars=max_chars,
        key=key,
        bind="query-params",
        height=height,
        help=f"Up to {max_chars} characters. Try a name the stories never use, or an emoji.",
    )
    if len(text) > max_chars:  # a shared link can carry more than the box allows
        st.warning(f"Your text is {len(text):,} characters; only the first {max_chars} are used.")
        text = text[:max_chars]
    st.caption(f"{len(text)} / {max_chars} characters")
    return text


# A URL number is read by hand only through this pattern: ASCII digits, a few of them. str.isdigit() accepts
# "²" and int() accepts thousands of digits (and refuses them with an error past 4300), both crashed the page.
_URL_INT = re.compile(r"[0-9]{1,6}")
_PICKS_MAX_CHARS = 400  # 20 picks of "119:482," fit in 160; more is not a link the page wrote


def url_int(raw: object, lo: int, hi: int) -> int | None:
    """A whole number from a URL, or None unless it is 1-6 ASCII digits within [lo, hi]."""
    text = str(raw).strip()
    if not _URL_INT.fullmatch(text):
        return None
    value = int(text)
    return value if lo <= value <= hi else None


def parse_picks(raw: object, limit: int = 20, vocab_size: int = 1_000_000) -> dict[int, int]:
    """'3:412,7:55' from the URL -> {3: 412, 7: 55}; anything malformed, out of range or too long is ignored."""
    text = str(raw)
    if len(text) > _PICKS_MAX_CHARS:
        return {}
    picks: dict[int, int] = {}
    for part in text.split(",")[:limit]:
        step, _, token = part.partition(":")
        s = url_int(step, 0, lmx.MAX_GENERATE_STEPS - 1)
        t = url_int(token, 0, vocab_size - 1)
        if s is not None and t is not None:
            picks[s] = t
    return picks


def code_span(text: str) -> str:
    """Visitor or token text as a Markdown code span: shown literally (no links, emphasis, HTML, maths or :icon:
    shortcodes), on one line. The fence is one backtick longer than any run of backticks inside."""
    text = text.replace("\n", " ").replace("\r", " ")
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def split_sentence(view: lmx.TokenView, first_whole_with_space: bool) -> str:
    """The sentence under the word chart, about the reader's own text: the word cut into the most pieces and
    what they are, then the general rule. `first_whole_with_space`: the text's first word is cut, but with a space
    before it (as everywhere in the stories) it is one token."""
    counts = [int(c) for c in view.word_tokens]
    worst = max(range(len(counts)), key=counts.__getitem__)
    pieces = view.pieces(worst)
    word = code_span(view.words[worst])
    shown = code_span(" · ".join(pieces[:16]) + (" …" if len(pieces) > 16 else ""))
    core = view.words[worst].rstrip(".,!?;:")
    if len(pieces) == 2 and len(view.words[worst]) - len(core) == 1 and pieces[1] == view.words[worst][-1]:
        mark = {".": "full stop", ",": "comma", "!": "exclamation mark", "?": "question mark"}.get(pieces[1], "mark")
        first = f"{word} is two tokens: the word {code_span(pieces[0])} and the {mark} {code_span(pieces[1])}."
    else:
        first = f"{word} is cut into **{len(pieces)} pieces** the tokenizer knows: {shown}."
    if first_whole_with_space and counts[0] > 1:
        first += (
            f" {code_span(view.words[0])} is cut only because it opens the text: with a space before it "
            f"({code_span('␣' + view.words[0])}), as in the stories, it is a single token."
        )
    whole = [w for w, c in zip(view.words, counts, strict=True) if c == 1]
    example = f", like {code_span(whole[0])}" if whole else ""
    return (
        f"{first} Words the stories use a lot are **one token each**{example}. A word the tokenizer never saw is "
        "**cut into smaller pieces** it does know, down to single letters or bytes if needed, so every text can "
        "be read."
    )


def true_odds_note(truth: lmx.TrueOdds | None, kl: float) -> str:
    """What the Next token page knows about the data's own odds for this prompt (`kl`: model vs data, knobs off)."""
    if truth is None:
        return (
            "This prompt is not the start of a story our rules (the grammar) can write, or it ends in a space or "
            "half a word, so there are no true odds to compare with. The model still answers: it has seen only "
            "little stories."
        )
    words = ", ".join(f"'{w}' {percent(float(p))}" for w, p in zip(truth.words[:6], truth.word_probs[:6], strict=True))
    return (
        "**This prompt starts a story the rules that wrote the training stories (our grammar) can write, so we know "
        f"the true odds** (orange): {words}. How far the model is from them, settings off: {kl:.3f} (KL divergence "
        "in nats; 0 means identical)."
    )


def outside_story_world(n_written: int, model_ended: bool) -> str:
    """Why a story that starts outside the model's tiny world goes strange, or ends at once."""
    why = (
        f"That is why it ended the story after just {n_written} token{'s' if n_written != 1 else ''}: "
        "'The end.' is something it knows how to write. "
        if model_ended and n_written <= 12
        else "Expect it to drift back into one of its own stories. "
    )
    return (
        "**This opening is not from the story world the model knows.** It has only ever read tiny stories about "
        "children like Mia and Tom, their toys and pets, so it has never seen text like yours. "
        + why
        + "Try an opening like 'Once upon a time,' or 'The cat sat on the'."
    )


def steps_table(lm: lmx.LM, gen: lmx.Generation) -> dict[str, list]:
    """A generation as a table for people, one row per step."""
    others = [
        [(lmx.label(lm, t), float(p)) for t, p in zip(s.alternatives, s.alt_probs, strict=True) if int(t) != s.token]
        for s in gen.steps
    ]
    return figs.steps_table(
        [lmx.label(lm, s.token) for s in gen.steps],
        [s.prob for s in gen.steps],
        [s.rank for s in gen.steps],
        [s.forced for s in gen.steps],
        others,
    )


# The Generate page's buttons. Callbacks run before the next script run, so they may set widget state.
STORY_OPENING = "Once upon a time,"
_ENDED_AT = "_glassbox_written_ended_at"


def set_picks(new: dict[int, int]) -> None:
    """Keep the visitor's "what if" picks in the URL, so a shared link reopens the same branch."""
    if new:
        st.query_params["picks"] = ",".join(f"{k}:{v}" for k, v in sorted(new.items()))
    elif "picks" in st.query_params:
        del st.query_params["picks"]


def add_steps(n: int) -> None:
    st.session_state["written"] = min(lmx.MAX_GENERATE_STEPS, st.session_state.get("written", 0) + n)
    st.session_state.pop("at_slider", None)  # jump to the newest step


def reset() -> None:
    st.session_state["written"] = 0
    st.session_state.pop("at_slider", None)
    set_picks({})


def story_opening() -> None:
    st.session_state["gen_prompt"] = STORY_OPENING
    reset()


def end_at(n_written: int) -> None:
    """The story ended after `n_written` tokens, fewer than the "written" slider asked for (the model wrote
    ⟨end of story⟩, or the text filled the model's window). A widget's value cannot change once it is drawn, so
    rerun and let `settle_slider` move it to the true count: the slider and the chips then say the same."""
    st.session_state[_ENDED_AT] = n_written
    st.session_state.pop("at_slider", None)  # and show its last step
    st.rerun()


def settle_slider() -> None:
    if _ENDED_AT in st.session_state:
        st.session_state["written"] = st.session_state.pop(_ENDED_AT)

"""Streamlit-side helpers for the language-model pages: the shared model and cached results."""

from __future__ import annotations

import streamlit as st

from explainers import lm as lmx
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


@st.cache_data(max_entries=128, ttl=3600, show_spinner=False)
def cached_generation(
    prompt: str,
    n_steps: int,
    seed: int,
    temperature: float,
    top_k: int,
    top_p: float,
    overrides: tuple[tuple[int, int], ...],
    _resume: lmx.Generation | None = None,
) -> lmx.Generation:
    # `_resume` is left out of the cache key (leading underscore): it only saves work, never changes the result.
    with heavy_slot():  # only on a cache miss: a story already written costs no wait
        return lmx.generate(load_gpt(), prompt, n_steps, seed, temperature, top_k, top_p, dict(overrides), _resume)


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
    settings = (prompt, seed, temperature, top_k, top_p)
    last = st.session_state.get(_LAST_GENERATION)
    resume = None
    if last is not None and last[0] == settings:
        previous_overrides, previous = last[1], last[2]
        done = len(previous.steps)
        if done <= n_steps and previous_overrides == tuple((k, v) for k, v in overrides if k < done):
            resume = previous
    result = cached_generation(prompt, n_steps, seed, temperature, top_k, top_p, overrides, resume)
    kept = tuple((k, v) for k, v in overrides if k < len(result.steps))
    st.session_state[_LAST_GENERATION] = (settings, kept, result)
    return result


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


def parse_picks(raw: str, limit: int = 20) -> dict[int, int]:
    """'3:412,7:55' from the URL -> {3: 412, 7: 55}; anything malformed is ignored."""
    picks: dict[int, int] = {}
    for part in str(raw).split(",")[:limit]:
        step, _, token = part.partition(":")
        if step.strip().isdigit() and token.strip().isdigit():
            picks[int(step)] = int(token)
    return picks

"""Streamlit glue for the Evaluation page: the image measures (cached once per server), the sample grids, the
"real or fake?" game and the text models' perplexity and per-word surprise."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st
import torch

from explainers import evaluation as ev
from explainers import text_eval
from explainers.datasets import ImageDataset, get_dataset, real_pictures
from explainers.history import picker_labels
from explainers.image_quality import CONFIDENT
from explainers.lm_quality import heldout_stories
from explainers.ngram import load_ngrams
from explainers.store import ModelLoadError, read_config
from figures import evaluation as figs
from figures.pictures import data_uri, tile_pngs
from figures.style import percent
from ui.compute import (  # also sets one torch thread per request, before any model runs
    heavy_slot,
    heavy_work,
    keep_last_good,
)
from ui.frame import show_chart, show_load_error
from ui.history import load_rnn
from ui.image_data import get_judge
from ui.limits import server_work  # once-per-server work, not charged to the visitor who asks first
from ui.lm import load_gpt

GRID = 16  # pictures per model in the side-by-side grids
GRID_COLS = 4
SHOWCASE_STORY = 3  # the held-out story text_eval.showcase_story() picks: a name and the toy come back
TEXT_MODELS = {"unigram": "Unigram", "bigram": "Bigram", "rnn": "RNN (LSTM)", "gpt": "Transformer (GPT)"}
SURPRISE_TOP = 4.0  # nats: a word this surprising or more is drawn deep orange


# ---------------------------------------------------------------------------------------------- cached work


@st.cache_data(max_entries=2, show_spinner="Measuring the three generators against real pictures (once per server)…")
def evaluation(key: str) -> ev.ImageEvaluation:
    with server_work():  # clothes: the cards plus the real pictures (~1 s); digits: every measure (~5 s)
        return ev.evaluate_images(key, get_judge(key))


@st.cache_resource(show_spinner="Loading the picture models…")
def draw_fn(key: str, role: str) -> ev.Draw:
    """The shipped model, loaded once per server, as draw(n, seed) (read-only, shared by every visitor)."""
    return ev.sampler(get_dataset(key), role)


@st.cache_data(max_entries=6, show_spinner="Drawing fresh pictures from each model (once per server)…")
def pool(key: str, role: str) -> np.ndarray:
    draw = draw_fn(key, role)
    with server_work():  # the clothes diffusion's 20 pictures: 20 guided steps each, a few seconds
        return ev.sample_pool(draw, role)


@st.cache_data(max_entries=2, show_spinner="Timing one picture of each model on this server (once per server)…")
def speeds(key: str) -> dict[str, ev.Speed]:
    out = {}
    for role in ev.ROLES:
        try:
            draw = draw_fn(key, role)
        except Exception:  # noqa: BLE001 - a missing model is left out of the speed chart, as of the others
            continue
        with server_work():  # slow models are timed once (a diffusion picture: ~0.3 s when the server is quiet)
            out[role] = ev.time_one_picture(draw, role, reps=1 if role == "diffusion" else 5)
    return out


def real_grid(key: str, n: int = GRID) -> np.ndarray:
    """`n` real held-out pictures, the kinds in turn (the first of each kind, then the second...)."""
    real = real_pictures(key)
    labels = real.labels.numpy()
    k = get_dataset(key).num_classes
    order = [int(np.flatnonzero(labels == i % k)[i // k]) for i in range(n)]
    return real.images[order, 0].numpy()


@st.cache_data(max_entries=256, ttl=3600, show_spinner=False)
def game_round(key: str, role: str, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The round's 12 pictures (12, S, S), which are fake, and which the judge calls fake."""
    fakes = pool(key, role)
    real = real_pictures(key).images[:, 0].numpy()
    dealt = ev.deal(seed, len(fakes), len(real))
    images = np.where(dealt.is_fake[:, None, None], fakes[np.minimum(dealt.pick, len(fakes) - 1)], real[dealt.pick])
    judge_fake = ev.judge_calls_fake(get_judge(key), torch.from_numpy(images.astype(np.float32))[:, None])
    return images, dealt.is_fake, judge_fake


@st.cache_resource(show_spinner="Loading the n-gram models…")
def load_ngram_models() -> dict:
    return load_ngrams("ngram")


@st.cache_data(show_spinner=False)
def perplexities() -> text_eval.PerplexityTable:
    return text_eval.perplexity_table(read_config("ngram"), read_config("rnn"), read_config("gpt"))


@keep_last_good
@st.cache_data(max_entries=32, show_spinner=False)
def story_surprise(index: int) -> text_eval.Surprise:
    story = heldout_stories()[int(np.clip(index, 0, len(picker_labels()) - 1))]
    ngrams = load_ngram_models()
    scorers = text_eval.scorers(ngrams, {"rnn": load_rnn(), "gpt": load_gpt()})
    with heavy_slot():  # two small networks read one story: a few milliseconds
        return text_eval.surprise(story, scorers)


# ---------------------------------------------------------------------------------------------- headline


def _by(e: ev.ImageEvaluation) -> dict[str, ev.ImageScore]:
    return {r.role: r for r in e.models}


def headline(data: ImageDataset, e: ev.ImageEvaluation, speed: dict[str, ev.Speed]) -> str:
    """The page's finding, from the numbers: which model's pictures sit closest to real ones, and its price."""
    if not e.models:
        return "No picture model could be loaded: the measures below show the real pictures only."
    closest = min(e.models, key=lambda r: r.frechet / r.floor)
    text = (
        f"On {data.title}, {ev.ROLE_WORDS[closest.role]}'s pictures sit closest to real ones "
        f"(Fréchet distance {closest.frechet:.1f}; real against real: {closest.floor:.1f})"
    )
    fast = [speed[r.role] for r in e.models if r.role in speed]
    if closest.role in speed and fast:
        quickest = min(fast, key=lambda s: s.ms_per_picture)
        mine = speed[closest.role]
        if quickest.role != closest.role:
            text += (
                f", but each takes {mine.passes} network passes ({figs.duration(mine.ms_per_picture)} here), against "
                f"{quickest.passes} pass ({figs.duration(quickest.ms_per_picture)}) for {ev.ROLE_WORDS[quickest.role]}"
            )
    return text + "."


def tradeoffs(data: ImageDataset, e: ev.ImageEvaluation, speed: dict[str, ev.Speed]) -> list[str]:
    """One sentence per model, each quoting the numbers on this page that back it."""
    by, real, names = _by(e), e.real, data.class_names
    k = len(names)
    out = []

    def ms(role: str) -> str:
        s = speed.get(role)
        return (
            f"{s.passes} pass{'es' if s.passes != 1 else ''}, {figs.duration(s.ms_per_picture)} a picture" if s else ""
        )

    def missing(r: ev.ImageScore) -> str:
        rare = [names[i] for i in np.flatnonzero(r.kind_shares < ev.KIND_SHARE)]
        if not rare:
            return f"draws every kind (each at least {ev.KIND_SHARE:.0%} of its pictures)"
        return (
            f"draws only {r.kinds_present} of {k} kinds at {ev.KIND_SHARE:.0%} or more (rarest: "
            + ", ".join(f"{n} {percent(float(r.kind_shares[names.index(n)]))}" for n in rare[:3])
            + ")"
        )

    if "gan" in by:
        g = by["gan"]
        out.append(
            f"**GAN: fast, {'drops kinds' if g.kinds_present < k else 'here it keeps every kind'}.** "
            f"{ms('gan').capitalize()}; "
            f"the judge reads {percent(g.readable)} of its pictures confidently (real: {percent(real.readable)}); "
            f"it {missing(g)}."
        )
    if "vae" in by:
        v = by["vae"]
        blur = "less varied than real ones" if v.spread < real.spread else "as varied as real ones"
        out.append(
            f"**VAE: fast, {'covers every kind' if v.kinds_present == k else 'covers most kinds'}, blurry.** "
            f"{ms('vae').capitalize()}; it {missing(v)}; its pictures of one "
            f"kind are {blur} (spread {v.spread:.2f} against {real.spread:.2f}): blurry averages look alike; "
            f"Fréchet distance {v.frechet:.0f}."
        )
    if "diffusion" in by:
        d = by["diffusion"]
        asked = f"{percent(d.requested)} are the kind asked for; " if d.requested is not None else ""
        out.append(
            f"**Diffusion: {'sharp and complete' if d.kinds_present == k else 'sharp'}, slow.** "
            f"{ms('diffusion').capitalize()}; {asked}the judge reads "
            f"{percent(d.readable)} confidently; it {missing(d)}; Fréchet distance {d.frechet:.1f} (floor "
            f"{d.floor:.1f})."
        )
    return out


# ---------------------------------------------------------------------------------------------- image sections


def section_header(number: int, title: str, anchor: str, presenting: bool) -> None:
    """A section's header, numbered; on a projector without numbers, as the sections come in another order there."""
    st.header(title if presenting else f"{number} · {title}", anchor=anchor)


def pictures_section(data: ImageDataset, presenting: bool) -> None:
    """Section 1, the pictures side by side. On a projector it comes after the quality chart (the page's key chart,
    then on the first screen) as one row of four."""
    section_header(1, "Pictures side by side", "pictures", presenting)
    with heavy_work():
        sample_grids(data, per_row=4 if presenting else 2)


def sample_grids(data: ImageDataset, per_row: int = 2) -> None:
    """Real pictures and each model's, side by side (`per_row` a row on a wide screen, stacked on a phone)."""
    st.html("<style>.st-key-eval_grids img{image-rendering:pixelated}</style>")
    panels = [("real", f"Real held-out {data.title}", real_grid(data.key))]
    for role in ev.ROLES:
        try:
            panels.append((role, ev.ROLE_NAMES[role], pool(data.key, role)[:GRID]))
        except Exception:  # noqa: BLE001 - a model that fails to load is explained in its own section
            continue
    with st.container(key="eval_grids"):
        for i in range(0, len(panels), per_row):
            cols = st.columns(per_row, vertical_alignment="bottom")  # grids line up under a two-line name
            for col, (role, title, images) in zip(cols, panels[i : i + per_row], strict=False):
                note = " (2 of each kind asked for)" if role == "diffusion" else ""
                col.markdown(f"**{title}**{note}")
                col.image(data_uri(figs.sample_grid_png(images, GRID_COLS)), width="stretch")


def _table(rows: dict[str, list], index: list[str]) -> None:
    st.table(pd.DataFrame(rows, index=pd.Index(index)))


def _measure_chart(
    rows: Sequence[ev.ImageScore],
    values: list[float],
    title: str,
    axis: str,
    texts: list[str],
    key: str,
    **options: Any,
) -> None:
    """A measure's bars, one per model and one for real pictures, drawn without a toolbar."""
    labels, roles = [r.label for r in rows], [r.role for r in rows]
    show_chart(
        st,
        figs.measure_bars(labels, values, roles, title, axis, texts, **options),
        key=key,
        width="stretch",
        config=figs.NO_BAR,
    )


def _numbers(rows: Sequence[ev.ImageScore], columns: dict[str, list], caption: str) -> None:
    """A measure's numbers as a table, one row per model, then what they mean."""
    _table(columns, [r.label for r in rows])
    st.caption(caption)


def source_note(data: ImageDataset, e: ev.ImageEvaluation) -> str:
    if all(r.source == "card" for r in e.models):
        sizes = ", ".join(f"{r.label} {r.samples:,}" for r in e.models)
        return (
            f"Model numbers: measured when each model was trained (its model card, below), on fresh samples ({sizes}); "
            f"real pictures: the {e.real.samples:,} shipped held-out ones, measured now."
        )
    return (
        f"Measured on this server when it first needed them: {ev.DIGIT_SAMPLES} fresh samples of each model and the "
        f"{e.real.samples} real held-out {data.title}."
    )


def quality_section(data: ImageDataset, e: ev.ImageEvaluation) -> None:
    rows = e.rows
    st.subheader("Quality: can the judge tell what each picture shows?")
    _measure_chart(
        rows,
        [r.readable for r in rows],
        "Share of pictures the judge reads with confidence",
        "read confidently",
        [percent(r.readable) for r in rows],
        reference=e.real.readable,
        as_share=True,
        key="eval_quality",
    )
    _numbers(
        rows,
        {
            "read confidently": [percent(r.readable) for r in rows],
            "the kind asked for": [percent(r.requested) if r.requested is not None else "—" for r in rows],
            "pictures measured": [f"{r.samples:,}" for r in rows],
        },
        "The judge is a small classifier trained on real pictures. A picture it cannot put in one kind with at least "
        f"{CONFIDENT:.0%} confidence is muddled or blurry. Only diffusion is told which kind to draw; for real "
        "pictures, 'the kind asked for' is their true kind. The dotted line: real pictures.",
    )


def diversity_section(data: ImageDataset, e: ev.ImageEvaluation) -> None:
    rows = e.rows
    st.subheader("Diversity: does it draw every kind, and many different ones of each?")
    fig = figs.kind_map(
        data.class_names, [r.label for r in rows], np.stack([r.kind_shares for r in rows]), "Each kind's share"
    )
    show_chart(st, fig, key="eval_kinds", width="stretch", config=figs.NO_BAR)
    _measure_chart(
        rows,
        [r.spread for r in rows],
        "Spread within a kind: how different two pictures of one kind are",
        "distance (0 to 1)",
        [f"{r.spread:.3f}" for r in rows],
        reference=e.real.spread,
        key="eval_spread",
    )

    def rarest(r: ev.ImageScore) -> str:
        i = int(np.argmin(r.kind_shares))
        return f"{data.class_names[i]} ({percent(float(r.kind_shares[i]))})"

    _numbers(
        rows,
        {
            f"kinds at {ev.KIND_SHARE:.0%} or more": [f"{r.kinds_present} of {data.num_classes}" for r in rows],
            "rarest kind": [rarest(r) for r in rows],
            "spread within a kind": [f"{r.spread:.3f}" for r in rows],
        },
        "Top: the share of each model's pictures the judge reads confidently as each kind (a fair share is "
        f"{1 / data.num_classes:.0%}; the rest it could not read). A pale cell is a kind the model rarely draws: "
        "the known failure of a GAN that is not told which kind to draw, *mode collapse* (see the digits). Diffusion "
        "and the clothes GAN are asked for every kind equally (diffusion's row shows the share read as the kind "
        "asked for). Bottom: a model that draws one T-shirt over and over has a small spread.",
    )


def distance_section(data: ImageDataset, e: ev.ImageEvaluation) -> None:
    rows = e.models
    st.subheader("Distance: how far the cloud of fakes sits from the cloud of real pictures")
    _measure_chart(
        rows,
        [r.frechet for r in rows],
        "Fréchet distance to real pictures: lower is closer (black tick: the floor)",
        "Fréchet distance",
        [f"{r.frechet:.1f} (floor {r.floor:.1f})" for r in rows],
        floors=[r.floor for r in rows],
        key="eval_frechet",
    )
    _numbers(
        rows,
        {
            "Fréchet distance": [f"{r.frechet:.1f}" for r in rows],
            "real against real (floor)": [f"{r.floor:.2f}" for r in rows],
            "times the floor": [f"{r.frechet / r.floor:.1f}×" for r in rows],
            "pictures measured": [f"{r.samples:,}" for r in rows],
        },
        "The judge turns every picture into a list of numbers it uses to tell kinds apart. Picture the real "
        "pictures as a cloud of points, and a model's pictures as another: the Fréchet distance measures how far "
        "apart the two clouds sit and how differently they are shaped. Even two sets of real pictures are not at "
        "zero (the floor, black tick), and fewer pictures give a bigger floor, so each model is compared with "
        "real pictures of the same number.",
    )


def memorization_section(data: ImageDataset, e: ev.ImageEvaluation) -> None:
    rows = e.rows
    st.subheader("Memorization: new pictures, or copies of its training pictures?")
    _measure_chart(
        rows,
        [r.memorization for r in rows],
        "Distance to the nearest training picture, relative to real new pictures",
        "ratio to real pictures",
        [f"{r.memorization:.2f}" + (" (by definition)" if r.role == "real" else "") for r in rows],
        reference=1.0,
        key="eval_memo",
    )
    _numbers(
        rows,
        {
            "ratio": [f"{r.memorization:.2f}" for r in rows],
            "reading": [
                "copies"
                if r.memorization < 0.3
                else ("closer to training pictures than new real ones" if r.memorization < 0.9 else "new pictures")
                for r in rows
            ],
        },
        "For each picture, we find the most similar of the training pictures. Real pictures the models never saw "
        "sit at some typical distance: that is 1 on this scale. Near 0 would mean copies (the Limits page shows a "
        "diffusion model trained on 40 pictures doing just that); well above 1, pictures unlike anything real.",
    )


def speed_section(data: ImageDataset, e: ev.ImageEvaluation, speed: dict[str, ev.Speed]) -> None:
    rows = [speed[r.role] for r in e.models if r.role in speed]
    st.subheader("Speed: what one picture costs on this server")
    if not rows:
        st.info("No model could be timed.", icon="⏱️")
        return
    labels = [ev.ROLE_NAMES[s.role] for s in rows]
    fig = figs.cost_bars(
        labels, [s.ms_per_picture for s in rows], [s.passes for s in rows], "Time for one picture (log scale)"
    )
    show_chart(st, fig, key="eval_speed", width="stretch", config=figs.NO_BAR)
    _table(
        {
            "network passes": [s.passes for s in rows],
            "milliseconds": [f"{s.ms_per_picture:.1f}" for s in rows],
            "ms per pass": [f"{s.ms_per_picture / s.passes:.2f}" for s in rows],
        },
        labels,
    )
    st.caption(
        "Timed on this server when it first needed it, one picture at a time, one processor thread, after one "
        "untimed run: the median of 5 runs (diffusion: one run, each takes a while; a shared server is noisy). "
        f"Diffusion uses the {ev.DIFFUSION_STEPS}-step shortcut (DDIM) of the "
        "Diffusion page; each step scores the picture with and without its kind at once. Its full recipe takes "
        "200 steps (the Limits page times that)."
    )


# ---------------------------------------------------------------------------------------------- the game


def _answered_key(data: ImageDataset, role: str, seed: int) -> str:
    return f"eval_game_done_{data.key}_{role}_{seed}"


def _answer(done_key: str, mark_keys: list[str]) -> None:
    st.session_state[done_key] = [bool(st.session_state.get(k, False)) for k in mark_keys]


def _next_round() -> None:
    st.session_state["eval_round"] = int(st.session_state.get("eval_round", 1)) % 100 + 1


@st.fragment
def game(data: ImageDataset) -> None:
    """Twelve pictures, some real and some from the model the reader picks: mark the fakes, then see the answers,
    the reader's score and the judge's on the same set."""
    c1, c2 = st.columns([3, 2])
    label = c1.segmented_control(
        "Fakes drawn by",
        [ev.ROLE_NAMES[r] for r in ev.ROLES],  # labels as options: the URL reads ?eval_game_model=VAE
        default=ev.ROLE_NAMES["gan"],
        key="eval_game_model",
        bind="query-params",
        help="The model whose pictures hide among the real ones.",
    )
    role = next((r for r in ev.ROLES if ev.ROLE_NAMES[r] == label), "gan")
    seed = c2.slider(
        "Round",
        1,
        100,
        1,
        key="eval_round",
        bind="query-params",
        help="Each round is a different set of pictures; the link keeps the round, so a friend can play it too.",
    )
    try:
        images, is_fake, judge_fake = game_round(data.key, role, int(seed))
    except Exception as error:  # noqa: BLE001 - a missing model: say so, keep the rest of the page
        st.warning(f"The {ev.ROLE_NAMES[role]} is not available right now ({error}).", icon="🧰")
        return
    done_key = _answered_key(data, role, int(seed))
    answered = done_key in st.session_state
    pngs = tile_pngs(images, side=96)
    with st.form(key=f"eval_game_form_{data.key}_{role}_{seed}", border=False):
        st.markdown(f"**Which of these {len(images)} pictures did the {ev.ROLE_NAMES[role]} draw?** Tick the fakes.")
        with st.container(horizontal=True, wrap=True, gap="small", key="eval_game_grid"):
            for i, png in enumerate(pngs):
                with st.container(width=100, gap=None):  # three a row on a 390 px phone
                    st.image(data_uri(png), width=96)
                    # never disabled: a changed parameter makes a new widget, and the reader's ticks would vanish
                    st.checkbox(f"{i + 1}: fake", key=f"eval_mark_{data.key}_{role}_{seed}_{i}")
                    if answered:
                        right = bool(st.session_state[done_key][i]) == bool(is_fake[i])
                        what = "fake" if is_fake[i] else "real"
                        st.markdown(f"{'✅' if right else '❌'} **{what}**")
        st.form_submit_button(
            "Check my answers",
            disabled=answered,
            type="primary",
            key="eval_game_check",
            on_click=_answer,  # before the rerun, so the answers are drawn in the same run
            args=(done_key, [f"eval_mark_{data.key}_{role}_{seed}_{i}" for i in range(len(pngs))]),
        )
    if not answered:
        st.caption(
            f"Some are real {data.title} from the held-out pictures, some the model's (between {ev.GAME_FAKES[0]} and "
            f"{ev.GAME_FAKES[1]} fakes). On a phone, tap a box; with a keyboard, Tab to a box and press Space, then "
            "Tab to the button and press Enter."
        )
        return
    result = ev.score(is_fake, np.array(st.session_state[done_key]), judge_fake)
    m1, m2, m3 = st.columns(3)
    m1.metric("You", f"{result.reader_right} of {result.size} right")
    m2.metric("The judge", f"{result.judge_right} of {result.size} right")
    m3.metric("Fakes in this round", f"{result.fakes}")
    st.markdown(
        f"You caught **{result.caught} of {result.fakes}** fakes and took **{result.false_alarms}** real picture"
        f"{'s' if result.false_alarms != 1 else ''} for fakes. The judge says 'fake' whenever it cannot tell with "
        f"{CONFIDENT:.0%} confidence what a picture shows: it called "
        f"{', '.join(str(i + 1) for i in np.flatnonzero(judge_fake)) or 'none'} fake. People are the oldest measure "
        "of a generator, and telling real from fake is exactly the job of the GAN's detective."
    )
    st.button("Play the next round", on_click=_next_round, key="eval_next_round", icon="🔁")


# ---------------------------------------------------------------------------------------------- text


def perplexity_section() -> text_eval.PerplexityTable | None:
    """The perplexity bars, or (a text model missing or damaged) the friendly message, and the page goes on."""
    try:
        t = perplexities()
    except ModelLoadError as error:
        show_load_error(error)
        return None
    labels = [TEXT_MODELS[m] for m in t.models] + ["Grammar (floor)"]
    values = [*t.perplexity, t.floor_heldout]
    fig = figs.perplexity_bars(labels, values, [*t.models, "grammar"], t.floor_heldout)
    show_chart(st, fig, key="eval_ppl", width="stretch", config=figs.NO_BAR)
    st.caption(
        f"Measured when each model was trained, on the same {t.stories:,} held-out stories ({t.words:,} words). "
        "A word's surprise is the sum of its tokens', so a word-level model and a token-level one are on one scale."
    )
    return t


def _surprise_html(s: text_eval.Surprise, row: int) -> str:
    spans = []
    for piece, word, nats in zip(s.pieces, s.words, s.nats[row], strict=True):
        lead = piece[: len(piece) - len(piece.lstrip())]
        colour = figs.surprise_colour(float(nats), SURPRISE_TOP)
        title = f"{word}: {nats:.2f} nats ({math.exp(-nats):.1%} likely)"
        spans.append(
            f'{escape(lead)}<span title="{escape(title)}" style="background:{colour};border-radius:3px;'
            f'padding:1px 2px">{escape(piece.strip())}</span>'
        )
    return (
        "<div style=\"font-size:1.1rem;line-height:2.1;color:#111418;font-family:'Source Sans',sans-serif\">"
        + "".join(spans)
        + "</div>"
    )


@st.fragment
def surprise_view() -> None:
    labels = picker_labels()
    c1, c2 = st.columns([2, 3])
    story = c1.selectbox(
        "Held-out story",
        labels,
        index=min(SHOWCASE_STORY, len(labels) - 1),
        key="eval_story",
        bind="query-params",
        help="Stories the models never saw while training.",
    )
    names = {**TEXT_MODELS, "grammar": "The grammar (floor)"}
    short = {"unigram": "Unigram", "bigram": "Bigram", "rnn": "RNN", "gpt": "Transformer", "grammar": "Grammar"}
    picked = c2.segmented_control(
        "Whose surprise",
        list(short.values()),  # labels as options: the URL reads ?eval_text_model=RNN
        default=short["gpt"],
        key="eval_text_model",
        bind="query-params",
        help="Colour each word by how surprised this model is to read it (the grammar: the true odds).",
    )
    who = next((m for m, word in short.items() if word == picked), "gpt")
    try:
        with heavy_work():  # a busy server says so in plain words instead of failing the page
            s = story_surprise(labels.index(story) if story in labels else SHOWCASE_STORY)
    except ModelLoadError as error:
        show_load_error(error)
        return
    row = s.models.index(who)
    st.html(_surprise_html(s, row))
    nats = s.nats[row]
    worst = int(np.argmax(nats))
    total = s.nats.sum(axis=1)
    st.caption(
        f"White: no surprise; deep orange: {SURPRISE_TOP:g} nats or more (a word the model gave under "
        f"{math.exp(-SURPRISE_TOP):.0%}). {names[who]}: {nats.sum():.1f} nats over {len(nats)} words, the worst "
        f"'{s.words[worst]}' ({nats[worst]:.1f} nats). On this story: "
        + ", ".join(f"{names[m]} {total[i]:.1f}" for i, m in enumerate(s.models))
        + " nats. Hover (or tap) a word for its number."
    )


def _text_numbers(t: text_eval.PerplexityTable | None) -> dict[str, str]:
    if t is None:  # a text model could not be loaded: the section above says which and how to rebuild it
        return dict.fromkeys(("floor", "floor_exact", "gpt", "rnn", "stories"), "(not available)")
    return {
        "floor": f"{t.floor_heldout:.3f}",
        "floor_exact": f"{t.floor_exact:.3f}",
        "gpt": f"{t.perplexity[list(t.models).index('gpt')]:.3f}",
        "rnn": f"{t.perplexity[list(t.models).index('rnn')]:.3f}",
        "stories": f"{t.stories:,}",
    }


def deeper_numbers(e: ev.ImageEvaluation, t: text_eval.PerplexityTable | None) -> dict[str, str]:
    by = _by(e)
    return {
        "confident": f"{CONFIDENT:.0%}",
        "kind_share": f"{ev.KIND_SHARE:.0%}",
        "real_readable": percent(e.real.readable),
        "real_spread": f"{e.real.spread:.3f}",
        "samples": ", ".join(f"{r.label} {r.samples:,}" for r in e.models),
        **_text_numbers(t),
        "gan_memo": f"{by['gan'].memorization:.2f}" if "gan" in by else "(not loaded)",
    }


GO_DEEPER = r"""
**Quality.** The judge is a small convolutional classifier trained on the real training pictures (its card is
below). A picture counts as *read* when its top kind has probability at least {confident}; real held-out pictures
reach {real_readable}. It is the idea of the Inception Score (Salimans et al. 2016) with our own judge.

**Diversity.** *Mode coverage*: the share of pictures confidently read as each kind; a kind counts when it holds at
least {kind_share}. *Spread*: the mean root-mean-square pixel distance between two pictures read as the same kind
(real pictures: {real_spread}). Blurry averages sit close to each other, so a low spread is also a sign of blur.

**Fréchet distance** (Heusel et al. 2017, "FID", there with Inception features; here the judge's): fit a Gaussian
to each cloud of feature vectors, then $\mathrm{{FD}} = \lVert\mu_r-\mu_g\rVert^2 + \mathrm{{Tr}}(\Sigma_r +
\Sigma_g - 2(\Sigma_r\Sigma_g)^{{1/2}})$. It shrinks as samples grow, so each model is compared with the
real-against-real distance at its own sample size. Samples: {samples}.

**Memorization.** Median root-mean-square pixel distance from each sample to its nearest training picture, divided
by the same for real held-out pictures (the GAN: {gan_memo}). Pixel distance misses a copy shifted by one pixel; it
is a first check, not a proof.

**Text.** Perplexity is $e^{{\text{{nats per word}}}}$, the number of equally likely words a model is as unsure as,
on average. On the same {stories} held-out stories: RNN {rnn}, transformer {gpt}. Our stories come from a known
grammar, so we can compute how random they really are: the grammar's own per-word perplexity on these stories is
{floor} (over every story it can write: {floor_exact}). No model can beat that on average: the remaining surprise
is real randomness (which name, which toy), not ignorance. Real text has no such known floor.

**What this does not show.** One judge, trained by us, decides quality, kinds and distance: a model could fool
it in ways people would not be fooled, which is why the game asks you. Numbers for clothes come from the model
cards (500 to 2,000 samples, measured at training time); the tests recompute them.
"""


def warm() -> None:
    """For the server's warm-up: the default (clothes) view and the game's first round."""
    key = get_dataset(None).key
    evaluation(key)
    for role in ev.ROLES:
        pool(key, role)
    speeds(key)
    game_round(key, "gan", 1)
    perplexities()
    story_surprise(SHOWCASE_STORY)

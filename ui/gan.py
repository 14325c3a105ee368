"""Streamlit side of the GAN page: the shipped model, the visitor's own live training runs, and live fragments.

A live run is a `LiveRun` in `st.session_state`, one per mode (2-D points, digits): it belongs to one visitor and
is freed with the session. Training happens only inside fragment ticks (`st.fragment(run_every=...)`, a timer
kept by the browser) and each tick does a capped amount of work, so a closed tab stops training at once and one
visitor cannot starve the others. Every run also has a hard step cap. Both modes share one tick (`_tick`); a
`LiveMode` says how each one trains, renders and draws.

Live pictures go inline (data: URLs) rather than through Streamlit's media store, which drops an old file as soon
as the next refresh lands, so a browser a little behind would fetch a 404.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import streamlit as st

from explainers.gan import (
    DIGITS_LIVE_MAX_STEPS,
    POINTS_MAX_STEPS,
    DigitsTraining,
    DigitsView,
    PointsTraining,
    PointsView,
    ShippedDigitsGan,
    coverage_verdict,
)
from explainers.gan_points import DATASETS, EXTENT
from explainers.store import load_model
from figures.gan import (
    FAKE_COLOUR,
    REAL_COLOUR,
    arena_finding,
    class_histogram_figure,
    coverage_headline,
    loss_figure,
    loss_finding,
)
from figures.gan_live import LIVE_COLOURS, arena_raster, bars_raster, fakes_grid, lines_raster
from figures.pictures import data_uri, to_png
from ui.compute import live_slot
from ui.frame import show_chart, timed
from ui.image_data import judge_images, training_images

# The browser starts the next fragment run `run_every` seconds after the previous one *finished* (measured on
# Streamlit 1.67: a 0.25 s timer with a 0.15 s run gives 2.4 runs/s, not 4). So the pause is short and the
# work per refresh is what sets the pace: rounds of training per refresh, and the pause after it.
SPEEDS: dict[str, tuple[int, float]] = {"slow motion": (1, 0.5), "normal": (20, 0.02), "fast": (200, 0.02)}
TICK_BUDGET_S = 0.05  # "fast" trains this long per refresh: with the slot's rest after it, ~4-5 refreshes/s
DIGITS_TICK = 0.2
# Live refreshes give way to visitors who asked for something: a refresh takes a heavy-work slot only if one is
# free almost at once; otherwise it keeps its picture and sleeps (no CPU) before the browser asks again.
LIVE_WAIT_S = 0.15  # long enough to outwait the slot's rest after this visitor's own previous refresh
LIVE_BACKOFF_S = 0.5
DIGITS_STEPS_PER_TICK = 40
LEARNING_RATES = ("0.0001", "0.0003", "0.001", "0.003", "0.01")
# Labels double as URL values (bind="query-params" stores the label), so keep them short.
LOSS_BY_LABEL = {"non-saturating": "non_saturating", "minimax": "minimax"}
DATASET_BY_LABEL = {d.label: d.key for d in DATASETS.values()}


@dataclass
class LiveRun:
    """One visitor's live run of one mode, kept in st.session_state: the training, whether it plays, and its
    pictures as rendered at `rendered_step` (so a refresh that does not train this time costs no drawing)."""

    training: PointsTraining | DigitsTraining
    playing: bool = False
    rendered_step: int = -1
    pictures: tuple[Any, ...] = field(default=(), repr=False)


# ----------------------------------------------------------------------------- shared, read-only model


@st.cache_resource(show_spinner=False)
def load_digits_gan() -> ShippedDigitsGan:
    loaded = load_model("gan_digits")
    return ShippedDigitsGan(loaded.tensors, loaded.config)


def judge_counts(images: np.ndarray) -> np.ndarray:
    """Histogram of the digits the judge reads in `images` (n, H, W)."""
    return judge_images(images).histogram


@st.cache_data(max_entries=64, show_spinner=False)
def _snapshot_counts(index: int, _gan: ShippedDigitsGan) -> np.ndarray:
    return judge_counts(_gan.snapshot(index))


# ----------------------------------------------------------------------------- the visitor's runs


def _live(kind: str) -> LiveRun | None:
    return st.session_state.get(f"gan_{kind}_run")


def _start(kind: str, training: PointsTraining | DigitsTraining) -> LiveRun:
    live = LiveRun(training)
    st.session_state[f"gan_{kind}_run"] = live
    return live


def points_run(dataset: str, lr_g: float, lr_d: float, loss: str) -> PointsTraining:
    """The visitor's 2-D run; rebuilt when the dataset changes. Learning rates and loss apply mid-run."""
    live = _live("points")
    if live is None or live.training.dataset != dataset:
        live = _start("points", PointsTraining(dataset, seed=0, lr_g=lr_g, lr_d=lr_d, loss=loss))
    live.training.set_hyperparameters(lr_g=lr_g, lr_d=lr_d, loss=loss)
    return live.training


def digits_run() -> DigitsTraining:
    live = _live("digits")
    if live is None:
        live = _start("digits", DigitsTraining(training_images(), seed=0, max_steps=DIGITS_LIVE_MAX_STEPS, display=100))
    return live.training


@functools.lru_cache(maxsize=1)
def points_model_note() -> str:
    """Plain facts about the 2-D networks, which are trained live and never shipped."""
    from explainers.gan import POINTS_ARCH, build_discriminator, build_generator

    g = sum(p.numel() for p in build_generator(POINTS_ARCH).parameters())
    d = sum(p.numel() for p in build_discriminator(POINTS_ARCH).parameters())
    return (
        f"The 2-D networks are trained live in your browser session, from the same seed every time: a forger "
        f"(2 → 32 → 32 → 2, {g:,} numbers) and a detective (2 → 32 → 32 → 1, {d:,} numbers), Adam, batch 128, at "
        f"most {POINTS_MAX_STEPS:,} steps per run. The model card below is for the digits GAN we trained and ship."
    )


def _toggle(kind: str) -> None:
    live = _live(kind)
    if live is not None:
        live.playing = not live.playing


def _single_step(kind: str) -> None:
    live = _live(kind)
    if live is not None:
        live.playing = False
        live.training.train(1)


def _reset(kind: str) -> None:
    st.session_state.pop(f"gan_{kind}_run", None)


def transport_buttons(kind: str, finished: bool) -> None:
    """Play/pause, one step and reset. They live outside the fragment: pressing one reruns the page."""
    live = _live(kind)
    playing = live is not None and live.playing
    cols = st.columns(3)
    cols[0].button(
        "⏸️ Pause" if playing else "▶️ Play",
        key=f"gan_{kind}_play",
        on_click=_toggle,
        args=(kind,),
        disabled=finished and not playing,
        width="stretch",
        type="primary",
        help="Train continuously. It stops by itself at the step cap.",
    )
    cols[1].button(
        "⏭️ One step",
        key=f"gan_{kind}_step",
        on_click=_single_step,
        args=(kind,),
        disabled=finished,
        width="stretch",
        help="One detective update, then one forger update.",
    )
    cols[2].button(
        "🔄 Reset",
        key=f"gan_{kind}_reset",
        on_click=_reset,
        args=(kind,),
        width="stretch",
        help="Start again from freshly initialised networks (same seed, same start).",
    )


# ----------------------------------------------------------------------------- one live tick for both modes


@dataclass(frozen=True)
class LiveMode:
    """How one mode's live view trains, renders its pictures and draws them."""

    kind: str  # "points" or "digits": the session key and the buttons' keys
    label: str  # the model card's timing line
    train: Callable[[Any, str], object]  # (training, speed): one refresh's worth of training
    render: Callable[[Any], tuple[Any, ...]]  # training -> its pictures as they are now
    draw: Callable[[Any, tuple[Any, ...]], None]  # (training, pictures) -> the elements on the page


def _pictures(live: LiveRun, mode: LiveMode) -> tuple[Any, ...]:
    """The run's pictures as they are now, rendered once per training step count and kept in the session."""
    if live.rendered_step != live.training.step:
        live.pictures = mode.render(live.training)
        live.rendered_step = live.training.step
    return live.pictures


def _tick(mode: LiveMode, speed: str) -> None:
    """Draw the run as it is now, *then* train for this refresh and render the next pictures.

    Drawing first means the elements are replaced at the very start of each fragment run, so Streamlit never
    shows them faded as "stale" while the rest of the run waits for its turn or trains. Training and rendering
    share the server's heavy-work slot: on a busy server a refresh waits its turn (sleeping, using no CPU),
    and if the wait is too long it keeps the last picture and says so.
    """
    live = _live(mode.kind)
    if live is None:
        return
    with timed(mode.label):
        mode.draw(live.training, _pictures(live, mode))
        if live.playing:
            with live_slot(LIVE_WAIT_S) as ticket:
                if ticket:
                    mode.train(live.training, speed)
                    _pictures(live, mode)
                else:  # the picture stays; training resumes on a later refresh
                    st.caption(f"⏳ {ticket.message}")
                    time.sleep(LIVE_BACKOFF_S)
            if live.training.finished:  # hard cap reached: stop the browser's timer with a full rerun
                live.playing = False
                st.rerun(scope="app")


def _live_view(mode: LiveMode, pause: float, speed: str = "") -> None:
    live = _live(mode.kind)
    playing = live is not None and live.playing
    st.fragment(run_every=pause if playing else None)(_tick)(mode, speed)


def heading(finding: str, detail: str) -> None:
    """A live picture's title: the finding, then the numbers behind it."""
    st.markdown(f"**{finding}**  \n:gray[{detail}]")


def losses_picture(steps: np.ndarray, d_loss: np.ndarray, g_loss: np.ndarray) -> bytes:
    curves = [("detective (D)", d_loss, REAL_COLOUR), ("forger (G)", g_loss, FAKE_COLOUR)]
    return to_png(lines_raster(steps, curves), colours=LIVE_COLOURS)


# ----------------------------------------------------------------------------- 2-D points


def _train_points(run: PointsTraining, speed: str) -> int:
    """Train up to SPEEDS[speed] rounds, but stop when this tick's time budget is spent."""
    wanted = SPEEDS.get(speed, SPEEDS["normal"])[0]
    if wanted <= 20:
        return run.train(wanted)
    done, started = 0, time.perf_counter()
    while done < wanted and not run.finished and time.perf_counter() - started < TICK_BUDGET_S:
        done += run.train(min(25, wanted - done))
    return done


def _render_points(run: PointsTraining) -> tuple[PointsView, bytes, bytes]:
    view = run.view()
    arena = to_png(arena_raster(EXTENT, view.surface, view.real, view.fake, view.arrows), colours=LIVE_COLOURS)
    return view, arena, losses_picture(view.steps, view.d_loss, view.g_loss)


def _draw_points(run: PointsTraining, pictures: tuple[PointsView, bytes, bytes]) -> None:
    view, arena, losses = pictures
    left, right = st.columns([3, 2], gap="medium")
    with left:
        heading(*arena_finding(view.step, view.d_real, view.d_fake))
        st.image(data_uri(arena), width="stretch")
    with right:  # few elements per refresh: each one costs the browser a re-render
        st.markdown(f"**Step {view.step:,}** of at most {view.max_steps:,} ({DATASETS[view.dataset].label.lower()}).")
        heading(*loss_finding(float(view.d_loss[-1]) if len(view.d_loss) else None))
        st.image(data_uri(losses), width="stretch")
        if run.finished:
            st.info(f"This run reached the cap of {POINTS_MAX_STEPS:,} steps. Press reset to train again.", icon="🛑")


POINTS = LiveMode("points", "2-D refresh (redraw, then training)", _train_points, _render_points, _draw_points)


def live_points(speed: str) -> None:
    """The live arena and loss curves, refreshed by the browser's timer while playing."""
    _live_view(POINTS, SPEEDS.get(speed, SPEEDS["normal"])[1], speed)
    st.caption(
        "🔵 real data · 🔶 the forger's fakes · ╱ where the forger's next update pushes a fake · "
        "background: blue = the detective says 'real', orange = 'fake', white = 50/50"
    )


# ----------------------------------------------------------------------------- digits: replay of our training


def replay_digits(gan: ShippedDigitsGan, index: int) -> None:
    """Samples from one fixed batch of noise at snapshot `index`, their judge histogram and the loss curves."""
    images = gan.snapshot(index)
    counts = _snapshot_counts(index, gan)
    step = int(gan.snapshot_steps[index])
    shown = images[:100]
    left, right = st.columns([1, 1], gap="medium")
    with left:
        finding = f"The forger's digits after {step:,} training steps" if step else "Before training: grey noise"
        heading(finding, f"the same {len(shown)} noise vectors at every snapshot")
        st.image(data_uri(to_png(fakes_grid(shown))), width="stretch")
    with right:
        show_chart(
            st,
            class_histogram_figure(counts, coverage_headline(coverage_verdict(counts), trained=step > 0)),
            key="gan_snapshot_hist",
            width="stretch",
            config={"displayModeBar": False},
        )
        st.caption(f"The judge read all {len(images)} fakes saved at this snapshot.")
        show_chart(
            st,
            loss_figure(gan.curve_steps, gan.curve_d, gan.curve_g, height=300, marker_step=step),
            key="gan_snapshot_loss",
            width="stretch",
            config={"displayModeBar": False},
        )


# ----------------------------------------------------------------------------- digits: a live run from scratch


def _train_digits(run: DigitsTraining, speed: str) -> int:
    return run.train(DIGITS_STEPS_PER_TICK)


def _render_digits(run: DigitsTraining) -> tuple[DigitsView, np.ndarray, bytes, bytes, bytes]:
    view = run.view()
    counts = judge_counts(view.images)
    grid = to_png(fakes_grid(view.images[:100]))
    bars = to_png(bars_raster(counts), colours=LIVE_COLOURS)
    return view, counts, grid, bars, losses_picture(view.steps, view.d_loss, view.g_loss)


def _draw_digits(run: DigitsTraining, pictures: tuple[DigitsView, np.ndarray, bytes, bytes, bytes]) -> None:
    view, counts, grid, bars, losses = pictures
    verdict = coverage_verdict(counts)
    headline = coverage_headline(verdict, trained=view.step > 0)
    left, right = st.columns([1, 1], gap="medium")
    with left:
        st.markdown(f"**Step {view.step:,}** of at most {view.max_steps:,}.")
        finding = f"Your forger after {view.step:,} steps" if view.step else "Your forger before training: noise"
        heading(finding, "the same 100 noise vectors at every step")
        st.image(data_uri(grid), width="stretch")
        heading(*loss_finding(float(view.d_loss[-1]) if len(view.d_loss) else None))
        st.image(data_uri(losses), width="stretch")
    with right:
        heading(headline, f"what the judge reads in {len(view.images)} fakes")
        st.image(data_uri(bars), width="stretch")
        if view.step and verdict.kind in ("mode_collapse", "partial_collapse"):
            st.warning(
                f"**{headline}.** This is *mode collapse*: the forger found a few digits that fool "
                "the detective and stopped making the others. Keep training and watch whether it recovers.",
                icon="⚠️",
            )
        if run.finished:
            st.info("This run reached its cap. Our shipped GAN trained for much longer: see the replay.", icon="🛑")


DIGITS = LiveMode("digits", "digits refresh (redraw, then training)", _train_digits, _render_digits, _draw_digits)


def live_digits() -> None:
    _live_view(DIGITS, DIGITS_TICK)

"""Streamlit side of the GAN page: the shipped models, the visitor's own live training runs, and live fragments.

Two modes. Points: a 2-D GAN trained live, where every headline is worded from one `PointsVerdict`. Pictures:
clothes (Fashion-MNIST, 28x28) or handwritten digits (8x8), either a replay of the run we trained and ship or a
capped live run from scratch; the judge reads the fakes and a fake counts towards a kind only when the judge is
at least CONFIDENT sure.

A live run is a `LiveRun` in `st.session_state`, one per kind of run (points, digits, clothes): it belongs to one
visitor and is freed with the session. Training happens only inside fragment ticks (`st.fragment(run_every=...)`,
a timer kept by the browser) and each tick does a capped amount of work inside the server's live slot, so a closed
tab stops training at once and one visitor cannot starve the others. Every run also has a hard step cap. All live
views share one tick (`_tick`); a `LiveMode` says how each one trains, renders and draws.

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

from explainers.datasets import ImageDataset, get_dataset, real_pictures
from explainers.gan import (
    DIGITS_LIVE_MAX_STEPS,
    EARLY_STEPS,
    LOSS_KINDS,
    POINTS_MAX_STEPS,
    RARE_SHARE,
    CoverageVerdict,
    DigitsTraining,
    PointsTraining,
    PointsView,
    ShippedDigitsGan,
    coverage_verdict,
    read_fakes,
)
from explainers.gan_images import FASHION_GAN_ARCH, ImageGanTraining, ShippedImageGan
from explainers.gan_images import LIVE_MAX_STEPS as CLOTHES_LIVE_MAX_STEPS
from explainers.gan_points import DATASETS as SHAPES
from explainers.gan_points import EXTENT
from explainers.image_quality import CONFIDENT
from explainers.store import ModelLoadError, load_model, read_config
from figures.animation import frame_indices, gif_bytes
from figures.gan import (
    FAKE_COLOUR,
    GUESSING,
    REAL_COLOUR,
    arena_finding,
    coverage_headline,
    image_loss_finding,
    kinds_figure,
    loss_figure,
    loss_finding,
)
from figures.gan_live import LIVE_COLOURS, arena_raster, bars_raster, fakes_grid, lines_raster
from figures.pictures import data_uri, to_png
from figures.style import percent
from ui.compute import heavy_slot, heavy_work, live_slot, live_wait_s
from ui.frame import gif_button, show_chart, timed
from ui.image_data import DATASET_WORDS, choose_dataset, judge_images, training_images

# The browser starts the next fragment run `run_every` seconds after the previous one *finished* (measured on
# Streamlit 1.67: a 0.25 s timer with a 0.15 s run gives 2.4 runs/s, not 4). So the pause is short and the
# work per refresh is what sets the pace: rounds of training per refresh, and the pause after it.
SPEEDS: dict[str, tuple[int, float]] = {"slow motion": (1, 0.5), "normal": (20, 0.02), "fast": (200, 0.02)}
TICK_BUDGET_S = 0.05  # "fast" trains this long per refresh: with the slot's rest after it, ~4-5 refreshes/s
# Pictures train for a fixed time per refresh, not a fixed number of steps: a digits step costs ~6 ms of one core
# and a clothes step (batch 32) ~50-70 ms, and on a busy server both take longer. Rendering a refresh costs ~20 ms
# (digits) and ~50 ms (clothes: the forger's and the judge's forward passes). With the live slot's rest after the
# work (as long as the work), the pause and the drawing, a refresh comes every ~0.3-0.45 s: at least 2 a second.
PICTURES_TICK = 0.1
PICTURES_BUDGET_S = {"digits": 0.12, "clothes": 0.08}  # a clothes refresh trains one or two steps
CLOTHES_LIVE_BATCH = 32  # half the shipped run's batch: twice the steps a second, so the live page keeps moving
# Live refreshes give way to visitors who asked for something: a refresh takes a heavy-work slot only if one is
# free almost at once; otherwise it keeps its picture and sleeps (no CPU) before the browser asks again.
LIVE_BACKOFF_S = 0.5
LEARNING_RATES = ("0.0001", "0.0003", "0.001", "0.003", "0.01")
# Labels double as URL values (bind="query-params" stores the label), so keep them short.
LOSS_BY_LABEL = {"non-saturating": "non_saturating", "minimax": "minimax"}
SHAPE_BY_LABEL = {d.label: d.key for d in SHAPES.values()}
REPLAY, LIVE = "Replay our training", "Train one yourself"
# The fakes' grid, drawn big: (columns, pictures) on a wide screen and on a phone (where fewer, bigger ones fit).
# The clothes forger is asked for the kinds in turn (0, 1, ..., 9, 0, ...): on a wide screen each column is one
# kind; a phone keeps four big pictures a row, the kinds in the same order, row by row.
SHOWN = {"fashion": ((10, 30), (4, 16)), "digits": ((10, 40), (5, 20))}
NARROW_PX = 640  # below this width the page shows the phone's grid
LIVE_DISPLAY = {"fashion": 60, "digits": 100}  # fakes the judge reads on every live refresh (clothes: 6 per kind)
FRESH_FAKES, FRESH_SEED = 1000, 2024  # the finished forger is measured on this many fresh fakes
RUN_KIND = {"fashion": "clothes", "digits": "digits"}  # session key and button keys of a live picture run
_BY_RUN_KIND = {kind: key for key, kind in RUN_KIND.items()}
JUDGE_RULE = f"a fake counts as a kind when the judge is at least {CONFIDENT:.0%} sure; the rest are unreadable"
# The clothes forger is slow to learn live here (measured with benchmarks/bench_gan.py, one core, half of it for
# live work): about 300 steps a minute, and after a minute the fakes are still grey blobs. So live training starts
# on the 8x8 digits, which show the whole story within a minute, and says so.
CLOTHES_LIVE_NOTE = (
    "Clothes train slowly on this small server: about 5 training steps a second, so after a minute your forger "
    "still paints grey blobs, and it stops at {cap:,} steps. The replay shows our full {shipped:,}-step run. "
    "The 8×8 digits train about 15 times faster and show the whole story within a minute."
)


@dataclass
class LiveRun:
    """One visitor's live run of one kind, kept in st.session_state: the training, whether it plays, and its
    pictures as rendered at `rendered_step` (so a refresh that does not train this time costs no drawing)."""

    training: Any  # PointsTraining, DigitsTraining or ImageGanTraining
    playing: bool = False
    rendered_step: int = -1
    pictures: tuple[Any, ...] = field(default=(), repr=False)
    last_work_s: float | None = None  # how long the previous refresh held the live slot (None: none trained yet)
    missed: int = 0  # refreshes refused in a row (see live_slot)


# ----------------------------------------------------------------------------- shared, read-only models


@st.cache_resource(show_spinner="Loading the GAN…")
def load_gan(dataset: str) -> ShippedDigitsGan | ShippedImageGan:
    """The GAN we trained on `dataset` ("fashion" or "digits"). ModelLoadError if missing or damaged."""
    name = get_dataset(dataset).model("gan")
    loaded = load_model(name)
    if dataset == "digits":
        return ShippedDigitsGan(loaded.tensors, loaded.config)
    return ShippedImageGan(loaded.tensors, loaded.config)


def read_pictures(images: np.ndarray, dataset: str) -> CoverageVerdict:
    """What the dataset's judge reads in pictures (n, S, S), counting only confident verdicts."""
    report = judge_images(images, dataset)
    counts, unreadable = read_fakes(report.predicted, report.confidence, get_dataset(dataset).num_classes)
    return coverage_verdict(counts, unreadable)


@st.cache_data(max_entries=64, show_spinner=False)
def _snapshot_verdict(dataset: str, index: int, _gan: Any) -> CoverageVerdict:
    return read_pictures(_gan.snapshot(index), dataset)


@st.cache_data(max_entries=4, show_spinner=False)
def _fresh_verdict(dataset: str, _gan: Any) -> CoverageVerdict:
    """The finished forger on FRESH_FAKES fresh fakes (a fixed seed): computed once per server."""
    with heavy_slot():
        return read_pictures(_gan.sample(FRESH_FAKES, FRESH_SEED), dataset)


def warm() -> None:
    """The pictures mode's default view (clothes replay at its last step), for the server's warm-up."""
    gan = load_gan("fashion")
    _snapshot_verdict("fashion", gan.snapshots - 1, gan)
    _fresh_verdict("fashion", gan)
    load_gan("digits")


def noun(data: ImageDataset) -> str:
    return "digit" if data.key == "digits" else "kind of clothing"


# ----------------------------------------------------------------------------- the visitor's runs


def _live(kind: str) -> LiveRun | None:
    return st.session_state.get(f"gan_{kind}_run")


def _start(kind: str, training: Any) -> LiveRun:
    live = LiveRun(training)
    st.session_state[f"gan_{kind}_run"] = live
    return live


def points_run(shape: str, lr_g: float, lr_d: float, loss: str) -> PointsTraining:
    """The visitor's 2-D run; rebuilt when the shape changes. Learning rates and loss apply mid-run."""
    live = _live("points")
    if live is None or live.training.dataset != shape:
        live = _start("points", PointsTraining(shape, seed=0, lr_g=lr_g, lr_d=lr_d, loss=loss))
    live.training.set_hyperparameters(lr_g=lr_g, lr_d=lr_d, loss=loss)
    return live.training


def clothes_recipe() -> dict[str, Any]:
    """How a live clothes run is set up: the shipped clothes GAN's networks and game (trained here from scratch),
    or the default unconditional networks if it is not shipped."""
    try:
        config = read_config(get_dataset("fashion").model("gan"))
    except ModelLoadError:
        return {"arch": dict(FASHION_GAN_ARCH)}
    training = config.get("training", {})
    recipe: dict[str, Any] = {"arch": dict(config["architecture"])}
    if training.get("generator_loss") in LOSS_KINDS:
        recipe["loss"] = training["generator_loss"]
    if isinstance(training.get("betas"), list) and len(training["betas"]) == 2:
        recipe["betas"] = tuple(float(b) for b in training["betas"])
    for key in ("lr_g", "lr_d"):
        if isinstance(training.get(key), int | float):
            recipe[key] = float(training[key])
    return recipe


def pictures_run(data: ImageDataset) -> DigitsTraining | ImageGanTraining:
    """The visitor's live run on `data`: digits learn from the 1,438 training digits, clothes from the 2,000 real
    pictures the app ships (the full training set is not shipped), with their kinds."""
    kind = RUN_KIND[data.key]
    live = _live(kind)
    if live is None:
        display = LIVE_DISPLAY[data.key]
        if data.key == "digits":
            run = DigitsTraining(training_images(), seed=0, max_steps=DIGITS_LIVE_MAX_STEPS, display=display)
        else:
            real = real_pictures(data)
            run = ImageGanTraining(
                real.images[:, 0].numpy(),  # (2000, 28, 28)
                seed=0,
                batch_size=CLOTHES_LIVE_BATCH,
                max_steps=CLOTHES_LIVE_MAX_STEPS,
                display=display,
                labels=real.labels,
                **clothes_recipe(),
            )
        live = _start(kind, run)
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
        f"most {POINTS_MAX_STEPS:,} steps per run. The model card below is for the clothes GAN we trained and ship."
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


# ----------------------------------------------------------------------------- one live tick for every mode


@dataclass(frozen=True)
class LiveMode:
    """How one mode's live view trains, renders its pictures and draws them."""

    kind: str  # "points", "digits" or "clothes": the session key and the buttons' keys
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
    share the server's heavy-work slot: a refresh waits its turn (sleeping, using no CPU) for as long as the slot
    rests after this run's own previous refresh, and if another visitor keeps it longer it keeps the last picture
    and says so.
    """
    live = _live(mode.kind)
    if live is None:
        return
    with timed(mode.label):
        mode.draw(live.training, _pictures(live, mode))
        if live.playing:
            # Wait out the slot's rest after this run's own last refresh (sleeping, no CPU): on a slow, busy server
            # that rest is long, and refusing would only show "busy" while nobody else was working.
            with live_slot(live_wait_s(live.last_work_s), live.missed) as ticket:
                if ticket:
                    started = time.perf_counter()
                    mode.train(live.training, speed)
                    _pictures(live, mode)
                    live.last_work_s = time.perf_counter() - started
                    live.missed = 0
                else:  # the picture stays; training resumes on a later refresh, which waits longer in line
                    live.last_work_s = None
                    live.missed += 1
                    st.caption(f"⏳ {_refusal(ticket)}")
                    time.sleep(LIVE_BACKOFF_S)
            if live.training.finished:  # hard cap reached: stop the browser's timer with a full rerun
                live.playing = False
                st.rerun(scope="app")


def _refusal(ticket: Any) -> str:
    """Why this refresh did not train. With nobody else running, the slot is resting after this run's own last
    refresh (live training keeps at most half of it, so other visitors' requests get through)."""
    if ticket.reason == "busy" and ticket.running == 0:
        return "Training pauses for a moment so that other requests get through; it resumes on the next refresh."
    return ticket.message


def _live_view(mode: LiveMode, pause: float, speed: str = "") -> None:
    live = _live(mode.kind)
    playing = live is not None and live.playing
    st.fragment(run_every=pause if playing else None)(_tick)(mode, speed)


def heading(finding: str, detail: str) -> None:
    """A picture's title: the finding, then the numbers behind it (markdown: it wraps on a phone)."""
    st.markdown(f"**{finding}**  \n:gray[{detail}]")


def guessing(loss: str) -> tuple[float, str]:
    """The detective's loss when it can only guess, for the loss a GAN plays with, and how to write it."""
    return (2.0, "hinge: 2") if loss == "hinge" else GUESSING


def _shipped_loss(gan: ShippedDigitsGan | ShippedImageGan) -> str:
    return str(gan.config.get("training", {}).get("discriminator_loss", "non_saturating"))


def losses_picture(steps: np.ndarray, d_loss: np.ndarray, g_loss: np.ndarray, loss: str = "non_saturating") -> bytes:
    curves = [("detective (D)", d_loss, REAL_COLOUR), ("forger (G)", g_loss, FAKE_COLOUR)]
    value, words = guessing(loss)
    return to_png(lines_raster(steps, curves, reference=(value, f"guessing ({words})")), colours=LIVE_COLOURS)


def crisp_pictures() -> None:
    """The fakes' grids are small PNGs the browser scales up: with hard pixel edges, not blurred. A wide screen
    shows the wide grid, a phone the narrow one (fewer pictures per row, so each stays big)."""
    st.html(
        "<style>[class*='st-key-gan_fakes'] img{image-rendering:pixelated}"
        # !important: a container's own generated class sets its display too, with the same specificity
        f"@media (max-width:{NARROW_PX}px){{.st-key-gan_fakes_wide{{display:none !important}}}}"
        f"@media (min-width:{NARROW_PX + 1}px){{.st-key-gan_fakes_narrow{{display:none !important}}}}</style>"
    )


def fakes_picture(uris: tuple[str, str]) -> None:
    """The fakes' grid (wide, narrow): one of the two is hidden by `crisp_pictures`' style."""
    for name, uri in zip(("wide", "narrow"), uris, strict=True):
        with st.container(key=f"gan_fakes_{name}"):
            st.image(uri, width="stretch")


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
    with left:  # both headings come from one verdict (view.verdict), so they never disagree
        heading(*arena_finding(view.verdict))
        st.image(data_uri(arena), width="stretch")
    with right:  # few elements per refresh: each one costs the browser a re-render
        st.markdown(f"**Step {view.step:,}** of at most {view.max_steps:,} ({SHAPES[view.dataset].label.lower()}).")
        heading(*loss_finding(view.verdict, float(view.d_loss[-1]) if len(view.d_loss) else None))
        st.image(data_uri(losses), width="stretch")
        if run.finished:
            st.info(f"This run reached the cap of {POINTS_MAX_STEPS:,} steps. Press reset to train again.", icon="🛑")


POINTS = LiveMode("points", "2-D refresh (redraw, then training)", _train_points, _render_points, _draw_points)


def live_points(speed: str) -> None:
    """The live arena and loss curves, refreshed by the browser's timer while playing."""
    _live_view(POINTS, SPEEDS.get(speed, SPEEDS["normal"])[1], speed)
    st.caption(
        "🔵 real data · 🔶 the forger's fakes · ╱ where the forger's next update pushes a fake · "
        "background: blue = the detective says 'real', orange = 'fake', white = 50/50. "
        "A real point counts as covered when a fake lies within 0.2 of it (a tenth of the ring's radius)."
    )


# ----------------------------------------------------------------------------- pictures: choosing what to show


def choose_pictures(view: str) -> ImageDataset:
    """Clothes or digits. The replay starts on clothes (?data=...), shared with the VAE and Diffusion pages; live
    training starts on digits (?live=...), because clothes learn too slowly here to show much in a minute."""
    if view != LIVE:
        return choose_dataset("Clothes: 28×28 photos of 10 kinds (Fashion-MNIST). Digits: 8×8 handwriting.")
    words = [DATASET_WORDS[key] for key in ("digits", "fashion")]
    word = st.segmented_control(
        "Pictures",
        words,
        default=words[0],
        key="live",
        bind="query-params",
        help="Digits train in about a minute here; clothes take several minutes and stop early. See the note below.",
    )
    by_word = {w: key for key, w in DATASET_WORDS.items()}
    return get_dataset(by_word.get(word or "", "digits"))


def step_slider(gan: ShippedDigitsGan | ShippedImageGan, data: ImageDataset) -> int:
    """The replay's step slider (one per dataset: their steps differ). Returns the snapshot index."""
    steps = [int(s) for s in gan.snapshot_steps]
    step = st.select_slider(
        "Training step of our run",
        steps,
        value=steps[-1],
        key=f"snap_{RUN_KIND[data.key]}",
        bind="query-params",
        help="Snapshots saved while we trained the shipped GAN, from noise to finished pictures.",
    )
    return steps.index(step)


# ----------------------------------------------------------------------------- pictures: replay of our training


def _loss_at(gan: ShippedDigitsGan | ShippedImageGan, step: int) -> float | None:
    """The detective's recorded loss around `step` (the curve is stored averaged into buckets)."""
    if step <= 0 or len(gan.curve_steps) == 0:
        return None
    i = int(np.searchsorted(gan.curve_steps, step, side="left"))
    return float(gan.curve_d[min(i, len(gan.curve_d) - 1)])


def _grid_uris(images: np.ndarray, data: ImageDataset) -> tuple[str, str]:
    """The fakes' grid for a wide screen and for a phone, as data: URLs."""
    (wide_cols, wide_n), (narrow_cols, narrow_n) = SHOWN[data.key]
    wide = data_uri(to_png(fakes_grid(images[:wide_n], cols=wide_cols)))
    return wide, data_uri(to_png(fakes_grid(images[:narrow_n], cols=narrow_cols)))


def _sample_words(n: int) -> str:
    return f"a sample of the {n} fakes; the bar chart counts all of them"


def _fixed_words(conditional: bool) -> str:
    return "the same noise and kinds at every step" if conditional else "the same noise at every step"


def kinds_caption(data: ImageDataset) -> None:
    """Which kind each fake was asked for (a conditional forger draws the kinds in turn)."""
    names = ", ".join(data.class_names)
    st.caption(
        f"👕 This forger is told which kind to draw, each kind in turn: on a wide screen each column asks for one "
        f"kind ({names}, from left to right); on a phone the kinds come in that order, row by row."
    )


def _conditional(gan_or_run: Any) -> bool:
    return getattr(gan_or_run, "fixed_labels", getattr(gan_or_run, "display_labels", None)) is not None


def pictures_seeing(data: ImageDataset) -> str:
    """The "What you are seeing" text of the pictures mode."""
    text = (
        f"Each square is a fake {data.item} painted by the forger from random numbers; the noise stays fixed, so you "
        "see the same fakes change as the forger learns. A separate model, the judge, reads every fake; the bar "
        f"chart counts a fake as a kind only when the judge is at least {CONFIDENT:.0%} sure, and shows the rest "
        "as 'unreadable' (a blob still gets a guess from the judge, just not a confident one). "
    )
    if data.key == "fashion":
        return text + (
            "Our clothes forger is told which kind to draw (a *conditional* GAN), so every kind gets asked for "
            "equally often: every kind gets drawn by construction, and what the chart shows is whether the judge "
            "can read the kind in each fake. The unconditional version of these small networks left more than half "
            "of its fakes unreadable. The digits forger is not told: there, tall bars and missing kinds mean mode "
            "collapse, the forger found a few easy wins and stopped making the rest."
        )
    return text + (
        "Even bars and few unreadable fakes mean every kind gets made. Tall bars and missing kinds mean mode "
        "collapse: the forger found a few easy wins and stopped making the rest."
    )


def training_gif(gan: ShippedDigitsGan | ShippedImageGan, data: ImageDataset) -> bytes:
    """Our training run as a GIF: the same fakes (same noise) at each saved step, captioned with the step."""
    (cols, n), _ = SHOWN[data.key]
    keep = frame_indices(gan.snapshots)  # capped before any picture is drawn
    frames = [fakes_grid(gan.snapshot(int(i))[:n], cols=cols) for i in keep]
    steps = [f"GAN training step {int(gan.snapshot_steps[int(i)]):,}" for i in keep]
    return gif_bytes(frames, steps)


def replay(gan: ShippedDigitsGan | ShippedImageGan, data: ImageDataset, index: int) -> None:
    """One snapshot of our training: the fakes from the fixed noise, what the judge reads in all of them, and the
    losses with the chosen step marked. Every headline describes the chosen step."""
    images = gan.snapshot(index)
    step = int(gan.snapshot_steps[index])
    with heavy_work():
        verdict = _snapshot_verdict(data.key, index, gan)
    finding = f"The forger's {data.title} after {step:,} training steps" if step else "Before training: noise"
    heading(finding, f"{_sample_words(len(images))} · {_fixed_words(_conditional(gan))}")
    fakes_picture(_grid_uris(images, data))
    if _conditional(gan):
        kinds_caption(data)
    gif_button(  # built only when clicked
        st,
        functools.partial(training_gif, gan, data),
        f"glassbox-gan-{data.key}-training",
        f"gan_gif_{data.key}",
        "🎞️ Save the whole training run as an animated GIF",
    )
    left, right = st.columns(2, gap="medium")
    with left:
        heading(
            coverage_headline(verdict, data.class_names, noun(data), trained=step >= EARLY_STEPS),
            f"what the judge reads in the {len(images)} fakes at this step; {JUDGE_RULE}",
        )
        show_chart(
            st,
            kinds_figure(verdict, data.class_names, RARE_SHARE),
            key="gan_replay_kinds",
            width="stretch",
            config={"displayModeBar": False},
        )
    with right:
        reference = guessing(_shipped_loss(gan))
        heading(*image_loss_finding(_loss_at(gan, step), verdict if step >= EARLY_STEPS else None, reference))
        show_chart(
            st,
            loss_figure(gan.curve_steps, gan.curve_d, gan.curve_g, height=400, marker_step=step, guessing=reference),
            key="gan_replay_loss",
            width="stretch",
            config={"displayModeBar": False},
        )
        st.caption(
            f"Dotted line: step {step:,}, the step shown. Orange bars: kinds under {RARE_SHARE:.0%} of the fakes; "
            "dashed line: each kind's fair share of the readable fakes."
        )


def finished_note(gan: ShippedDigitsGan | ShippedImageGan, data: ImageDataset) -> None:
    """The finished forger measured on fresh fakes with the judge, and its recorded Fréchet distance."""
    with heavy_work():
        v = _fresh_verdict(data.key, gan)
    m = gan.config.get("metrics", {})
    rare = int(np.argmin(v.shares))
    fd, floor = m.get("frechet_to_heldout"), m.get("frechet_real_vs_real")
    requested = m.get("requested_share")
    asked = (
        f" Asked for each kind equally often, the judge reads {percent(requested)} of {m.get('eval_samples', 2000):,} "
        "fakes as the kind that was asked for (at training time)."
        if isinstance(requested, int | float)
        else ""
    )
    frechet = (
        f" Fréchet distance to real held-out {data.title}: {fd:.1f} (real against real: {floor:.1f}; lower is closer)."
        if isinstance(fd, int | float) and isinstance(floor, int | float)
        else ""
    )
    st.markdown(
        f"**The finished forger, measured on {FRESH_FAKES:,} fresh fakes:** the judge reads "
        f"{percent(1 - v.unreadable)} of them confidently (bar: at least 85%); the rarest kind is "
        f"{data.class_names[rare]} at {percent(v.shares[rare])} of all fakes (bar: at least {RARE_SHARE:.0%})."
        + asked
        + frechet
    )


# ----------------------------------------------------------------------------- pictures: a live run from scratch


def _train_pictures(run: DigitsTraining | ImageGanTraining, speed: str) -> int:
    """Train for this kind's PICTURES_BUDGET_S (at least one step): the refresh rate stays up whatever a step costs."""
    budget = PICTURES_BUDGET_S["digits" if isinstance(run, DigitsTraining) else "clothes"]
    done, started = 0, time.perf_counter()
    while not run.finished and (done == 0 or time.perf_counter() - started < budget):
        done += run.train(1)
    return done


def _render_pictures(run: DigitsTraining | ImageGanTraining) -> tuple[Any, ...]:
    data = get_dataset("digits" if isinstance(run, DigitsTraining) else "fashion")
    view = run.view()
    verdict = read_pictures(view.images, data.key)
    bars = to_png(bars_raster(verdict.shares, verdict.unreadable, data.class_names, RARE_SHARE), colours=LIVE_COLOURS)
    return (
        data,
        view,
        verdict,
        _grid_uris(view.images, data),
        data_uri(bars),
        data_uri(losses_picture(view.steps, view.d_loss, view.g_loss, run.loss)),
    )


def _draw_pictures(run: DigitsTraining | ImageGanTraining, pictures: tuple[Any, ...]) -> None:
    data, view, verdict, grid, bars, losses = pictures
    trained = view.step >= EARLY_STEPS  # before that the judge's readings of noise mean nothing
    headline = coverage_headline(verdict, data.class_names, noun(data), trained=trained)
    st.markdown(f"**Step {view.step:,}** of at most {view.max_steps:,}.")
    finding = f"Your forger after {view.step:,} steps" if view.step else "Your forger before training: noise"
    heading(finding, f"{_sample_words(len(view.images))} · {_fixed_words(_conditional(run))}")
    fakes_picture(grid)
    if _conditional(run):
        kinds_caption(data)
    left, right = st.columns(2, gap="medium")
    with left:
        heading(headline, f"what the judge reads in the {len(view.images)} fakes; {JUDGE_RULE}")
        st.image(bars, width="stretch")
    with right:
        d_loss = float(view.d_loss[-1]) if len(view.d_loss) else None
        heading(*image_loss_finding(d_loss, verdict if trained else None, guessing(run.loss)))
        st.image(losses, width="stretch")
    if trained and verdict.kind in ("mode_collapse", "partial_collapse"):
        st.warning(
            f"**{headline}.** This is *mode collapse*: the forger found a few kinds that fool the detective and "
            "stopped making the others. Keep training and watch whether it recovers.",
            icon="⚠️",
        )
    if run.finished:
        st.info("This run reached its cap. Our shipped GAN trained for much longer: see the replay.", icon="🛑")


LIVE_MODES = {
    kind: LiveMode(kind, f"{kind} refresh (redraw, then training)", _train_pictures, _render_pictures, _draw_pictures)
    for kind in _BY_RUN_KIND
}


def live_pictures(data: ImageDataset) -> None:
    """The visitor's live run on `data`: fakes, the judge's bars and the losses, refreshed while playing."""
    _live_view(LIVE_MODES[RUN_KIND[data.key]], PICTURES_TICK)
    if data.key == "fashion":
        st.caption("🐢 " + CLOTHES_LIVE_NOTE.format(cap=CLOTHES_LIVE_MAX_STEPS, shipped=_shipped_steps(data)))
    else:
        st.caption(
            f"Your forger learns from the 1,438 real training digits, at most {DIGITS_LIVE_MAX_STEPS:,} steps. "
            "Clothes are in the switch above: they train too slowly here to show much within a minute."
        )


def _shipped_steps(data: ImageDataset) -> int:
    """How many steps our shipped run on `data` trained for (3,000 if it is not shipped)."""
    try:
        return int(read_config(data.model("gan")).get("training", {}).get("steps", 3000))
    except ModelLoadError:
        return 3000


GO_DEEPER = r"""
**The game.** The detective $D$ outputs the probability that a sample is real. The forger $G$ turns noise
$z \sim \mathcal{N}(0, I)$ into samples. Goodfellow et al. (2014, *Generative Adversarial Nets*, eq. 1) pose a minimax
game:

$$\min_G \max_D \; V(D, G) = \mathbb{E}_{x \sim p_\text{data}}[\log D(x)] + \mathbb{E}_{z}[\log(1 - D(G(z)))]$$

For a fixed forger the best detective is $D^*(x) = \frac{p_\text{data}(x)}{p_\text{data}(x) + p_G(x)}$, and then the
game measures the Jensen–Shannon divergence between real and fake: $V = -\log 4 + 2\,\mathrm{JSD}(p_\text{data}\,\|\,p_G)$.
At the optimum $p_G = p_\text{data}$, $D = \tfrac12$ wherever there is data and the detective's loss is
$2\ln 2 \approx 1.39$: the dashed line on the loss charts.

**A loss at 1.39 is not yet a stalemate.** An untrained detective also says 50/50, and a forger that parks every
fake in one clump can fool a weak detective for thousands of steps. So the points view calls a stalemate only when
the fakes also *cover* the data: at least 90% of the real points have a fake within 0.2, and at least 85% of the
fakes lie that close to a real point (the idea of precision and recall for generative models, Sajjadi et al. 2018;
Kynkäänniemi et al. 2019). For pictures, the judge plays that role: every kind must appear and few fakes may be
unreadable.

**Non-saturating loss.** Early on the detective wins easily, $D(G(z)) \approx 0$, and $\log(1 - D(G(z)))$ is flat
there, so the forger learns almost nothing. In practice the forger minimises $-\log D(G(z))$ instead: same fixed
point, strong gradients when it is losing. Switch "Forger's loss" to *minimax* on the points view to compare.

**Training.** Alternate one Adam step on $D$ (with $G$ frozen) and one on $G$ (gradients flow *through* the frozen
$D$); $\beta_1 = 0.5$ as in DCGAN (Radford et al. 2016) for the points and digits. The black ticks on the points
view are exactly $-\nabla_{x} \mathcal{L}_G$ at each fake: where the detective's surface tells the forger to move.

**Mode collapse.** Nothing in the loss asks the forger to cover *every* mode; it only has to fool the current
detective. So it can park on a few kinds or blobs. Our digits detective also sees the batch's spread
(*minibatch standard deviation*, Karras et al. 2018), which makes a low-variety batch easy to catch.

**Telling the forger the kind (clothes).** Our clothes GAN is *class-conditional* (Mirza & Osindero 2014): the
forger gets the kind to draw along with its noise, and the detective judges a picture together with the kind it
claims to be, by comparing its features with a learned vector for that kind (a *projection discriminator*, Miyato &
Koyama 2018). The detective also has a second head that names the kind of real pictures, and the forger is scored on
it too (an *auxiliary classifier*, Odena et al. 2017). Its weights are kept in check by *spectral normalisation*
(Miyato et al. 2018), and both players use the *hinge* loss: the detective is satisfied once it scores real pictures
above +1 and fakes below −1, so pure guessing (score 0) costs it 2, the dashed line on the clothes charts; its
recorded loss also counts its kind classifier's loss, so it sits a little above that line. The unconditional
version of these small networks left more than half of its fakes unreadable, even with longer training; told the
kind, the forger spends its few parameters on drawing each kind well. The pictures come from a running average of
the forger's weights, which draws cleaner pictures than the forger's own jittering weights. The model card below has
the numbers.

**Reading the fakes.** The judge is a classifier: shown a grey blob, it still names a kind, sometimes with high
confidence. Counting only verdicts of at least 80% and showing the rest as "unreadable" keeps blobs from passing as
clothes or digits, but not perfectly: a confident verdict on a strange picture is still possible.

**What this does not show.** Real image GANs (StyleGAN) use deep networks, many tricks for stability and millions of
images. Our clothes networks are small DCGAN-shaped convolutional nets and our digits networks small MLPs; the
Fréchet distance here uses the judge's features, not Inception's, so its numbers are not comparable with published
FID: compare them with the real-against-real floor beside them.
"""

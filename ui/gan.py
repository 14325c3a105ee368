"""Streamlit side of the GAN page: cached loaders, the visitor's own live training runs, and live fragments.

A live run is a plain object in `st.session_state`: it belongs to one visitor and is freed with the
session. Training happens only inside fragment ticks (`st.fragment(run_every=...)`, a timer kept by the
browser) and each tick does a capped number of steps, so a closed tab stops training at once and one
visitor cannot starve the others. Every run also has a hard step cap.
"""

from __future__ import annotations

import base64
import functools
import time

import numpy as np
import streamlit as st
import torch

from explainers.digits import split
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
from explainers.judge import Judge, judge_report
from explainers.store import load_model
from figures.gan import FAKE_COLOUR, REAL_COLOUR, arena_finding, class_histogram_figure, loss_figure, loss_finding
from figures.gan_live import arena_raster, bars_raster, digits_raster, lines_raster, to_png
from ui.compute import live_slot
from ui.frame import show_chart, timed
from ui.images import get_judge

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

_POINTS = "gan_points_run"
_DIGITS = "gan_digits_run"
_PLAY_POINTS = "gan_points_playing"
_PLAY_DIGITS = "gan_digits_playing"
_FRAME_POINTS = "gan_points_frame"
_FRAME_DIGITS = "gan_digits_frame"


GO_DEEPER = r"""
**The game.** The detective $D$ outputs the probability that a sample is real. The forger $G$ turns noise
$z \sim \mathcal{N}(0, I)$ into samples. Goodfellow et al. (2014, *Generative Adversarial Nets*, eq. 1) pose a minimax game:

$$\min_G \max_D \; V(D, G) = \mathbb{E}_{x \sim p_\text{data}}[\log D(x)] + \mathbb{E}_{z}[\log(1 - D(G(z)))]$$

For a fixed forger the best detective is $D^*(x) = \frac{p_\text{data}(x)}{p_\text{data}(x) + p_G(x)}$, and then the
game measures the Jensen–Shannon divergence between real and fake: $V = -\log 4 + 2\,\mathrm{JSD}(p_\text{data}\,\|\,p_G)$.
At the optimum $p_G = p_\text{data}$, $D = \tfrac12$ everywhere and the detective's loss is $2\ln 2 \approx 1.39$: the
dashed line on the loss chart.

**Non-saturating loss.** Early on the detective wins easily, $D(G(z)) \approx 0$, and $\log(1 - D(G(z)))$ is flat
there, so the forger learns almost nothing. In practice the forger minimises $-\log D(G(z))$ instead: same fixed
point, strong gradients when it is losing. Switch "Forger's loss" to *minimax* on the points view to compare.

**Training.** Alternate one Adam step on $D$ (with $G$ frozen) and one on $G$ (gradients flow *through* the frozen
$D$); $\beta_1 = 0.5$ as in DCGAN (Radford et al. 2016). The black ticks on the points view are exactly
$-\nabla_{x} \mathcal{L}_G$ at each fake: where the detective's surface tells the forger to move.

**Mode collapse.** Nothing in the loss asks the forger to cover *every* mode; it only has to fool the current
detective. So it can park on a few digits or blobs. Our digits detective also sees the batch's spread
(*minibatch standard deviation*, Karras et al. 2018), which makes a low-variety batch easy to catch.

**What this does not show.** Real image GANs (StyleGAN) use deep convolutional nets, many tricks for stability,
and millions of images. Our networks are small MLPs; the Fréchet distance here uses the judge's features, not
Inception's, so its numbers are not comparable with published FID.
"""


# ----------------------------------------------------------------------------- shared, read-only models


@st.cache_resource(show_spinner=False)
def load_digits_gan() -> ShippedDigitsGan:
    loaded = load_model("gan_digits")
    return ShippedDigitsGan(loaded.tensors, loaded.config)


def load_gan_judge() -> Judge:
    return get_judge()  # the one judge every image page shares


@st.cache_resource(show_spinner=False)
def real_training_digits() -> np.ndarray:
    """(N, 8, 8) in [0, 1]: the fixed training split every model learns from."""
    return split().train_images[:, 0].numpy()


def judge_counts(judge: Judge, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Histogram of the digits the judge reads in `images` (n, 8, 8), and its per-image answers."""
    report = judge_report(judge, torch.from_numpy(np.ascontiguousarray(images)).unsqueeze(1))
    return report.histogram, report.predicted


@st.cache_data(max_entries=64, show_spinner=False)
def _snapshot_counts(index: int, _gan: ShippedDigitsGan, _judge: Judge) -> tuple[np.ndarray, np.ndarray]:
    return judge_counts(_judge, _gan.snapshot(index))


# ----------------------------------------------------------------------------- 2-D points: controls and state


def points_run(dataset: str, lr_g: float, lr_d: float, loss: str) -> PointsTraining:
    """The visitor's run; rebuilt when the dataset changes. Learning rates and loss apply mid-run."""
    run = st.session_state.get(_POINTS)
    if run is None or run.dataset != dataset:
        run = PointsTraining(dataset, seed=0, lr_g=lr_g, lr_d=lr_d, loss=loss)
        st.session_state[_POINTS] = run
        st.session_state[_PLAY_POINTS] = False
    run.set_hyperparameters(lr_g=lr_g, lr_d=lr_d, loss=loss)
    return run


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


def _toggle(flag: str) -> None:
    st.session_state[flag] = not st.session_state.get(flag, False)


def _single_step(key: str) -> None:
    run = st.session_state.get(key)
    if run is not None:
        st.session_state[_PLAY_POINTS if key == _POINTS else _PLAY_DIGITS] = False
        run.train(1)


def _reset(key: str) -> None:
    st.session_state.pop(key, None)
    st.session_state[_PLAY_POINTS if key == _POINTS else _PLAY_DIGITS] = False


def transport_buttons(kind: str, finished: bool) -> None:
    """Play/pause, one step and reset. They live outside the fragment: pressing one reruns the page."""
    key, flag = (_POINTS, _PLAY_POINTS) if kind == "points" else (_DIGITS, _PLAY_DIGITS)
    playing = st.session_state.get(flag, False)
    cols = st.columns(3)
    cols[0].button(
        "⏸️ Pause" if playing else "▶️ Play",
        key=f"gan_{kind}_play",
        on_click=_toggle,
        args=(flag,),
        disabled=finished and not playing,
        width="stretch",
        type="primary",
        help="Train continuously. It stops by itself at the step cap.",
    )
    cols[1].button(
        "⏭️ One step",
        key=f"gan_{kind}_step",
        on_click=_single_step,
        args=(key,),
        disabled=finished,
        width="stretch",
        help="One detective update, then one forger update.",
    )
    cols[2].button(
        "🔄 Reset",
        key=f"gan_{kind}_reset",
        on_click=_reset,
        args=(key,),
        width="stretch",
        help="Start again from freshly initialised networks (same seed, same start).",
    )


def _train_for_tick(run: PointsTraining, speed: str) -> int:
    """Train up to SPEEDS[speed] rounds, but stop when this tick's time budget is spent."""
    wanted = SPEEDS.get(speed, SPEEDS["normal"])[0]
    if wanted <= 20:
        return run.train(wanted)
    done, started = 0, time.perf_counter()
    while done < wanted and not run.finished and time.perf_counter() - started < TICK_BUDGET_S:
        done += run.train(min(25, wanted - done))
    return done


def live_points(speed: str) -> None:
    """The live arena and loss curves, refreshed by the browser's timer while playing."""
    playing = st.session_state.get(_PLAY_POINTS, False)
    pause = SPEEDS.get(speed, SPEEDS["normal"])[1]
    st.fragment(run_every=pause if playing else None)(_points_tick)(speed)
    st.caption(
        "🔵 real data · 🔶 the forger's fakes · ╱ where the forger's next update pushes a fake · "
        "background: blue = the detective says 'real', orange = 'fake', white = 50/50"
    )


def inline(png: bytes) -> str:
    """A data: URL. Live pictures go inline rather than through Streamlit's media store, which drops an
    old file as soon as the next refresh lands, so a browser a little behind would fetch a 404."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def heading(finding: str, detail: str) -> None:
    """A live picture's title: the finding, then the numbers behind it."""
    st.markdown(f"**{finding}**  \n:gray[{detail}]")


def losses_picture(steps: np.ndarray, d_loss: np.ndarray, g_loss: np.ndarray) -> bytes:
    return to_png(lines_raster(steps, [("detective (D)", d_loss, REAL_COLOUR), ("forger (G)", g_loss, FAKE_COLOUR)]))


def _frame(key: str, run, render):  # noqa: ANN001 - a run and a function of it
    """The run's pictures as they are now, rendered once per training step count and kept in the session,
    so a refresh that may not train this time (server busy) costs no drawing."""
    cached = st.session_state.get(key)
    if cached is not None and cached[0] is run and cached[1] == run.step:
        return cached[2]
    frame = render(run)
    st.session_state[key] = (run, run.step, frame)
    return frame


def _render_points(run: PointsTraining) -> tuple[PointsView, bytes, bytes]:
    view = run.view()
    arena = to_png(arena_raster(EXTENT, view.surface, view.real, view.fake, view.arrows))
    return view, arena, losses_picture(view.steps, view.d_loss, view.g_loss)


def _points_tick(speed: str) -> None:
    """Draw the run as it is now, *then* train for this refresh and render the next pictures.

    Drawing first means the elements are replaced at the very start of each fragment run, so Streamlit never
    shows them faded as "stale" while the rest of the run waits for its turn or trains. Training and rendering
    share the server's heavy-work slot: on a busy server a refresh waits its turn (sleeping, using no CPU),
    and if the wait is too long it keeps the last picture and says so.
    """
    run: PointsTraining | None = st.session_state.get(_POINTS)
    if run is None:
        return
    playing = st.session_state.get(_PLAY_POINTS, False)
    with timed("2-D refresh (redraw, then training)"):
        view, arena, losses = _frame(_FRAME_POINTS, run, _render_points)
        _draw_points(run, view, arena, losses)
        if playing:
            with live_slot(LIVE_WAIT_S) as ticket:
                if ticket:
                    _train_for_tick(run, speed)
                    _frame(_FRAME_POINTS, run, _render_points)
                else:  # the picture stays; training resumes on a later refresh
                    st.caption(f"⏳ {ticket.message}")
                    time.sleep(LIVE_BACKOFF_S)
            if run.finished:  # hard cap reached: stop the browser's timer with a full rerun
                st.session_state[_PLAY_POINTS] = False
                st.rerun(scope="app")


def _draw_points(run: PointsTraining, view: PointsView, arena: bytes, losses: bytes) -> None:
    left, right = st.columns([3, 2], gap="medium")
    with left:
        heading(*arena_finding(view.step, view.d_real, view.d_fake))
        st.image(inline(arena), width="stretch")
    with right:  # few elements per refresh: each one costs the browser a re-render
        st.markdown(f"**Step {view.step:,}** of at most {view.max_steps:,} ({DATASETS[view.dataset].label.lower()}).")
        heading(*loss_finding(float(view.d_loss[-1]) if len(view.d_loss) else None))
        st.image(inline(losses), width="stretch")
        if run.finished:
            st.info(f"This run reached the cap of {POINTS_MAX_STEPS:,} steps. Press reset to train again.", icon="🛑")


# ----------------------------------------------------------------------------- digits: replay of our training


def replay_digits(gan: ShippedDigitsGan, judge: Judge, index: int) -> None:
    """Samples from one fixed batch of noise at snapshot `index`, their judge histogram and the loss curves."""
    images = gan.snapshot(index)
    counts, predicted = _snapshot_counts(index, gan, judge)
    step = int(gan.snapshot_steps[index])
    shown = images[:100]
    left, right = st.columns([1, 1], gap="medium")
    with left:
        finding = f"The forger's digits after {step:,} training steps" if step else "Before training: grey noise"
        heading(finding, f"the same {len(shown)} noise vectors at every snapshot")
        st.image(inline(to_png(digits_raster(shown))), width="stretch")
    with right:
        verdict = coverage_verdict(counts)
        headline = verdict.headline if step else "Untrained: the judge's readings of noise mean nothing yet"
        show_chart(
            st,
            class_histogram_figure(counts, headline),
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


def digits_run() -> DigitsTraining:
    run = st.session_state.get(_DIGITS)
    if run is None:
        run = DigitsTraining(real_training_digits(), seed=0, max_steps=DIGITS_LIVE_MAX_STEPS, display=100)
        st.session_state[_DIGITS] = run
        st.session_state[_PLAY_DIGITS] = False
    return run


def live_digits(judge: Judge) -> None:
    playing = st.session_state.get(_PLAY_DIGITS, False)
    st.fragment(run_every=DIGITS_TICK if playing else None)(_digits_tick)(judge)


def _digits_tick(judge: Judge) -> None:
    """As `_points_tick`: draw the kept pictures, then train and render the next ones in a heavy-work slot."""
    run: DigitsTraining | None = st.session_state.get(_DIGITS)
    if run is None:
        return
    playing = st.session_state.get(_PLAY_DIGITS, False)

    def render(run: DigitsTraining) -> tuple[DigitsView, np.ndarray, bytes, bytes, bytes]:
        view = run.view()
        counts, _ = judge_counts(judge, view.images)
        grid = to_png(digits_raster(view.images[:100]))
        return view, counts, grid, to_png(bars_raster(counts)), losses_picture(view.steps, view.d_loss, view.g_loss)

    with timed("digits refresh (redraw, then training)"):
        view, counts, grid, bars, losses = _frame(_FRAME_DIGITS, run, render)
        _draw_digits(run, view, counts, grid, bars, losses)
        if playing:
            with live_slot(LIVE_WAIT_S) as ticket:
                if ticket:
                    run.train(DIGITS_STEPS_PER_TICK)
                    _frame(_FRAME_DIGITS, run, render)
                else:
                    st.caption(f"⏳ {ticket.message}")
                    time.sleep(LIVE_BACKOFF_S)
            if run.finished:
                st.session_state[_PLAY_DIGITS] = False
                st.rerun(scope="app")


def _draw_digits(
    run: DigitsTraining, view: DigitsView, counts: np.ndarray, grid: bytes, bars: bytes, losses: bytes
) -> None:
    verdict = coverage_verdict(counts)
    left, right = st.columns([1, 1], gap="medium")
    with left:
        st.markdown(f"**Step {view.step:,}** of at most {view.max_steps:,}.")
        finding = f"Your forger after {view.step:,} steps" if view.step else "Your forger before training: noise"
        heading(finding, "the same 100 noise vectors at every step")
        st.image(inline(grid), width="stretch")
        heading(*loss_finding(float(view.d_loss[-1]) if len(view.d_loss) else None))
        st.image(inline(losses), width="stretch")
    with right:
        if view.step:
            heading(verdict.headline, f"what the judge reads in {len(view.images)} fakes")
        else:
            heading(
                "Untrained: the judge's readings of noise mean nothing yet",
                f"what the judge reads in {len(view.images)} fakes",
            )
        st.image(inline(bars), width="stretch")
        if view.step and verdict.kind in ("mode_collapse", "partial_collapse"):
            st.warning(
                f"**{verdict.headline}.** This is *mode collapse*: the forger found a few digits that fool "
                "the detective and stopped making the others. Keep training and watch whether it recovers.",
                icon="⚠️",
            )
        if run.finished:
            st.info("This run reached its cap. Our shipped GAN trained for much longer: see the replay.", icon="🛑")

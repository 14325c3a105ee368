"""Streamlit glue for the Training page: the replay of how our story GPT learned, and live training on a text.

Replay: checkpoints are shared read-only (cached once per server); a story and the odds at each step are cached.
Live: a `LiveRun` is a plain object in `st.session_state`, so it belongs to one visitor and is freed with the
session. Training happens only in fragment ticks (`st.fragment(run_every=...)`, a timer kept by the browser), each
a short, capped slice of work in the shared limiter's live slot: a closed tab stops training at once, and one
trainer cannot starve other visitors. Every run also has hard caps on steps, seconds, text and memory.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st

from explainers import live_training as lt
from explainers import training_replay as tr
from explainers.training_texts import BUILTINS
from figures import training as figs
from figures.style import percent
from ui.compute import (  # also sets one torch thread per request, before any model runs
    heavy_slot,
    heavy_work,
    keep_last_good,
    live_slot,
    live_wait_s,
)
from ui.frame import show_chart, timed
from ui.lm import load_gpt

ODDS_PROMPT = "The cat sat on the"
PLAY_EVERY_S = 1.6  # replay: one checkpoint per 1.6 s while playing

# Live training: the browser asks for the next refresh this long after the previous one finished.
TICK_S = 0.05
TRAIN_S = 0.12  # training per refresh: with drawing and the slot's rest, 2-4 refreshes a second
SAMPLE_EVERY_S = 3.0
SAMPLE_AFTER_S = 1.0  # ... and after at least this much training since the previous sample
LIVE_BACKOFF_S = 0.2  # after a refused refresh (which waited LIVE_WAIT_MAX_S in line), before the next one

YOURS = "Your own text"
SOURCES = {b.label: b.key for b in BUILTINS.values()} | {YOURS: "yours"}
MODES = {"From scratch": "scratch", "Fine-tune our story model": "finetune"}
OPTIMIZERS = {"Adam": "adam", "SGD": "sgd"}
AUTO = "auto"
LR_CHOICES = [AUTO, *(f"{lr:g}" for lr in lt.LEARNING_RATES)]

_RUN = "training_run"
_RUN_KEY = "training_run_choice"  # (fingerprint, text id) of the choices that built the run
_PLAYING = "training_playing"
_SAMPLE = "training_latest_sample"
_HISTORY = "training_history"  # {(text id, mode): (label, steps, held-out per char)}: finished curves to compare
_REPLAY_PLAYING = "training_replay_playing"
_WANT_SAMPLE = "training_want_sample"
_LAST_WORK = "training_last_work_s"  # how long this visitor's previous training refresh worked
_MISSED = "training_missed"  # training refreshes refused in a row (see ui.compute.live_slot)


# ----------------------------------------------------------------------------- shared, read-only


@st.cache_resource(show_spinner="Loading our story model's training checkpoints…")
def load_replay() -> tr.Replay:
    return tr.load_replay(load_gpt())


@keep_last_good
@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def story_view(step: int, seed: int) -> tr.StoryAtStep:
    with heavy_slot():  # only on a cache miss: up to 120 forward passes
        return tr.story_at(load_replay(), step, seed)


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def odds_view(step: int, prompt: str) -> tr.OddsAtStep:
    return tr.odds_at(load_replay(), step, prompt)


@st.cache_resource(show_spinner="Preparing the text (once per server)…", max_entries=len(BUILTINS))
def builtin_data(key: str) -> lt.TrainingData:
    """Our texts are shared by every visitor; their encodings and copy index are built on first use."""
    return lt.data_for(builtin=key)


def warm() -> None:
    """The replay's default view (the last kept step, story seed 1), for the server's warm-up (ui/warmup.py)."""
    replay = load_replay()
    story_view(replay.steps[-1], 1)
    odds_view(replay.steps[-1], ODDS_PROMPT)


# ----------------------------------------------------------------------------- replay


def replay_controls(replay: tr.Replay) -> None:
    playing = st.session_state.get(_REPLAY_PLAYING, False)
    st.button(
        "⏸️ Pause" if playing else "▶️ Play the training",
        key="training_replay_play",
        on_click=_toggle_replay,
        args=(replay.steps,),
        type="primary",
        help="Step through the checkpoints we kept, from the random start to the finished model.",
    )


def _toggle_replay(steps: tuple[int, ...]) -> None:
    playing = not st.session_state.get(_REPLAY_PLAYING, False)
    st.session_state[_REPLAY_PLAYING] = playing
    if playing and st.session_state.get("step") == steps[-1]:
        st.session_state["step"] = steps[0]  # play from the start again


def replay_view(replay: tr.Replay, seed: int) -> None:
    playing = st.session_state.get(_REPLAY_PLAYING, False)
    st.fragment(run_every=PLAY_EVERY_S if playing else None)(_replay_body)(replay, seed)


def _replay_body(replay: tr.Replay, seed: int) -> None:
    steps = list(replay.steps)
    if st.session_state.get(_REPLAY_PLAYING, False):
        current = st.session_state.get("step", steps[-1])
        k = steps.index(current) if current in steps else -1
        if k >= len(steps) - 1:
            st.session_state[_REPLAY_PLAYING] = False
            st.rerun(scope="app")  # stop the browser's timer
        st.session_state["step"] = steps[k + 1]
    step = st.select_slider(
        "Training step of our story model",
        steps,
        value=steps[-1],
        key="step",
        bind="query-params",
        format_func=lambda s: f"{s:,}",
        help="We kept the model's weights at these steps while training it. Each step = one update on 32 stories.",
    )
    c = replay.curves
    with heavy_work(), timed("replay view (a story and the odds at one step)"):
        story = story_view(step, seed)
        odds = odds_view(step, ODDS_PROMPT)
    left, right = st.columns([3, 2], gap="medium")
    with left:
        show_chart(
            st,
            figs.replay_loss_figure(
                c.train_steps, c.train_smooth, c.heldout_steps, c.heldout_loss, step, c.floor, c.start
            ),
            key="training_replay_loss",
            width="stretch",
            config={"displayModeBar": False},
        )
    with right:
        show_chart(
            st,
            figs.odds_figure(odds.labels, odds.model_probs, odds.true_probs, step, ODDS_PROMPT),
            key="training_replay_odds",
            width="stretch",
            config={"displayModeBar": False},
        )
        if odds.kl is not None:
            st.caption(
                f"How far the model's odds are from the truth (KL divergence): **{odds.kl:.3f} nats**. "
                "0 would be a perfect match."
            )
    name, meaning = next((t, m) for k, t, m in tr.STAGES if k == story.stage)
    st.markdown(f"**At step {step:,}: {name}.** {meaning}")
    st.markdown(figs.highlighted_sample(story.text or "(it ended the story at once)", ()), unsafe_allow_html=True)
    ended = "it ended the story by itself" if story.finished else f"stopped after {story.tokens} tokens"
    st.caption(
        f"Written by the model at step {step:,} from the story-start marker, seed {seed}, temperature 1 ({ended}). "
        f"{story.real_words} of {story.words} words are words of our story world; the first "
        f"{story.grammatical_words} words are a story our grammar could have written."
    )


# ----------------------------------------------------------------------------- live: choices and the run


@dataclass(frozen=True)
class Choice:
    source: str  # a built-in key or "yours"
    text: str | None  # the pasted text (never put in the URL)
    settings: lt.RunSettings

    @property
    def text_id(self) -> str:
        if self.text is None:
            return self.source
        return "yours:" + hashlib.sha256(self.text.encode("utf-8", "surrogatepass")).hexdigest()[:16]

    @property
    def fingerprint(self) -> tuple:
        return (self.text_id, self.settings)


def choose() -> Choice:
    """The live controls. All but the pasted text live in the URL."""
    c1, c2 = st.columns([2, 3])
    label = _choice(
        c1.selectbox,
        "Text to learn",
        list(SOURCES),
        "text",
        "Ours: a poem, a recipe and a list of names we wrote, and 30, 300 or 3,000 of our stories "
        "(to see what the amount of text changes). Or paste your own.",
    )
    mode_label = _choice(
        c2.radio,
        "Start from",
        list(MODES),
        "start",
        "From scratch: a new model that reads one character at a time and knows nothing. Fine-tune: our story "
        "model (the one on the other pages), which already knows English-looking stories, trained further on this text.",
        horizontal=True,
    )
    text = None
    if SOURCES[label] == "yours":
        text = st.text_area(
            f"Your text (at most {lt.MAX_TEXT_CHARS:,} characters)",
            key="train_text",
            height=160,
            max_chars=4 * lt.MAX_TEXT_CHARS,  # a hard bound on what the browser sends; the real limit is checked
            placeholder="Paste a poem, a recipe, song lyrics, a list of names, code… Any language, emoji too.",
            help="Your text stays in this browser tab's session: it is not put in the link and is forgotten when "
            "you close the tab. The last tenth is held out: the model never trains on it.",
        )
    mode = MODES[mode_label]
    c3, c4, c5 = st.columns([2, 1, 2])
    size_label = _choice(
        c3.select_slider,
        "Model size (from scratch)",
        [p.label for p in lt.PRESETS.values()],
        "size",
        preset_help(),
        value=lt.PRESETS[lt.DEFAULT_PRESET].label,
        disabled=mode == "finetune",
    )
    opt_label = _choice(
        c4.radio,
        "Optimizer",
        list(OPTIMIZERS),
        "opt",
        "Adam adapts the step size of every number in the model by itself; SGD (with momentum 0.9) takes the "
        "same-sized step everywhere and usually needs a larger learning rate.",
        horizontal=True,
    )
    optimizer = OPTIMIZERS[opt_label]
    auto = lt.DEFAULT_LR[(mode, optimizer)]
    lr = _choice(
        c5.select_slider,
        "Learning rate",
        LR_CHOICES,
        "lr",
        "How big a step each update takes. Too small: slow. Too large: the loss jumps around or blows up. "
        "'auto' picks what works well for this optimizer and starting point.",
        value=AUTO,
        format_func=lambda v: f"auto ({auto:g})" if v == AUTO else v,
    )
    size = next(p.key for p in lt.PRESETS.values() if p.label == size_label)
    settings = lt.RunSettings(mode=mode, size=size, optimizer=optimizer, lr=None if lr == AUTO else float(lr))
    return Choice(SOURCES[label], text, settings)


def _choice(widget: Any, label: str, options: list[str], key: str, help: str, **more: Any) -> Any:
    """One of the live choices: a widget whose value lives in the page's link under `key`."""
    return widget(label, options, key=key, bind="query-params", help=help, **more)


def preset_help() -> str:
    parts = [
        f"{p.label}: {p.n_layer} layer{'s' if p.n_layer > 1 else ''}, {p.n_embd} numbers per character, "
        f"looks back {p.block_size} characters"
        for p in lt.PRESETS.values()
    ]
    return "Only for from-scratch runs (fine-tuning keeps our model's size). " + "; ".join(parts) + "."


def current_run(choice: Choice) -> lt.LiveRun | None:
    """The visitor's run for these choices: kept while they stay the same, replaced when one changes.
    Shows a plain message (and returns None) for a text or setting that cannot be trained."""
    run: lt.LiveRun | None = st.session_state.get(_RUN)
    built = st.session_state.get(_RUN_KEY)
    if run is not None and built is not None and built[0] == choice.fingerprint:
        return run
    _remember()
    st.session_state[_PLAYING] = False
    for key in (_RUN, _RUN_KEY, _SAMPLE):
        st.session_state.pop(key, None)
    try:
        with heavy_work(), heavy_slot():  # building a run is heavy work too (our 3,000 stories: about a second)
            data = builtin_data(choice.source) if choice.text is None else lt.data_for(choice.text or "")
            base = load_gpt() if choice.settings.mode == "finetune" else None
            run = lt.LiveRun(data, choice.settings, base=base)
    except (lt.TextError, lt.RunError) as error:
        st.warning(str(error), icon="✋")
        return None
    st.session_state[_RUN] = run
    st.session_state[_RUN_KEY] = (choice.fingerprint, choice.text_id)
    return run


def _text_id() -> str:
    built = st.session_state.get(_RUN_KEY)
    return built[1] if built else ""


def _remember() -> None:
    """Keep the current run's held-out curve (a few numbers, not the model) to compare a later run with."""
    run: lt.LiveRun | None = st.session_state.get(_RUN)
    if run is None or run.step == 0:
        return
    c = run.curves()
    label = "fine-tuned" if run.settings.mode == "finetune" else "from scratch"
    history = st.session_state.setdefault(_HISTORY, {})
    history[(_text_id(), run.settings.mode)] = (label, c.heldout_steps, c.heldout_per_char)


def _toggle_play() -> None:
    st.session_state[_PLAYING] = not st.session_state.get(_PLAYING, False)


def _reset() -> None:
    _remember()
    for key in (_RUN, _RUN_KEY, _SAMPLE):
        st.session_state.pop(key, None)
    st.session_state[_PLAYING] = False


def _new_sample() -> None:
    st.session_state[_WANT_SAMPLE] = True  # written in this rerun, in the heavy-work line


def transport(run: lt.LiveRun) -> None:
    playing = st.session_state.get(_PLAYING, False)
    cols = st.columns(3)
    label = "⏸️ Pause" if playing else ("▶️ Train" if run.step == 0 else "▶️ Resume")
    cols[0].button(
        label,
        key="training_play",
        on_click=_toggle_play,
        disabled=run.finished and not playing,
        type="primary",
        width="stretch",
        help=f"Train live. A run stops by itself after {lt.MAX_STEPS:,} steps or {lt.MAX_SECONDS:.0f} seconds "
        "of training.",
    )
    for col, (label, key, action, words) in zip(
        cols[1:],
        (
            ("✍️ New sample", "training_sample", _new_sample, "Have the model write a new sample now, with a new seed."),
            (
                "🔄 Reset",
                "training_reset",
                _reset,
                "Throw this model away and start again from step 0 (same settings, same seed).",
            ),
        ),
        strict=True,
    ):
        col.button(label, key=key, on_click=action, width="stretch", help=words)


# ----------------------------------------------------------------------------- live: the refreshing part


def live_view() -> None:
    playing = st.session_state.get(_PLAYING, False)
    st.fragment(run_every=TICK_S if playing else None)(_tick)()


def _take_sample(run: lt.LiveRun) -> None:
    previous = st.session_state.get(_SAMPLE)
    seed = 1 if previous is None else previous[1].seed + 1
    st.session_state[_SAMPLE] = (time.monotonic(), run.sample(seed), run.seconds)


def _tick() -> None:
    """While playing: draw the run as it is now, then train a short slice in the live slot (and now and then write
    a sample); the next refresh shows it. Drawing first replaces the elements at the very start of each refresh,
    so Streamlit never shows them faded as stale while the rest waits its turn or trains.
    Paused: write a sample if the visitor asked for one (their own request, in the heavy-work line), then draw."""
    run: lt.LiveRun | None = st.session_state.get(_RUN)
    if run is None:
        return
    if not st.session_state.get(_PLAYING, False):
        if st.session_state.pop(_WANT_SAMPLE, False):
            with heavy_work(), heavy_slot(), timed("a sample of 300 characters"):
                _take_sample(run)
        _draw(run)
        return
    with timed("live training refresh (drawing, then training)"):
        _draw(run)
        with live_slot(live_wait_s(st.session_state.get(_LAST_WORK)), st.session_state.get(_MISSED, 0)) as ticket:
            if ticket:
                started = time.perf_counter()
                run.train(seconds=TRAIN_S)
                if sample_due(st.session_state.get(_SAMPLE), run) or st.session_state.pop(_WANT_SAMPLE, False):
                    _take_sample(run)
                st.session_state[_LAST_WORK] = time.perf_counter() - started
                st.session_state[_MISSED] = 0
            else:  # the picture stays; training resumes on a later refresh, which waits in line the longest
                st.session_state.pop(_LAST_WORK, None)
                st.session_state[_MISSED] = st.session_state.get(_MISSED, 0) + 1
                st.caption(f"⏳ {refusal(ticket)}")
                time.sleep(LIVE_BACKOFF_S)
        if run.finished:  # a cap reached: stop the browser's timer with a full rerun
            st.session_state[_PLAYING] = False
            st.rerun(scope="app")


def sample_due(taken: tuple[float, lt.Sample, float] | None, run: lt.LiveRun, now: float | None = None) -> bool:
    """Whether a training refresh also writes a sample: when the run ends, else every few seconds and only after a
    good slice of training since the previous one (the first after SAMPLE_AFTER_S of training, not at step 0).
    A sample costs many refreshes' worth of the visitor's share (a large model's: about a second), and would
    otherwise crowd out training; the first refresh of a run must be short, or a newcomer waits longest."""
    if run.finished:
        return True
    if taken is None:
        return run.seconds >= SAMPLE_AFTER_S
    now = time.monotonic() if now is None else now
    return now - taken[0] >= SAMPLE_EVERY_S and run.seconds - taken[2] >= SAMPLE_AFTER_S


def refusal(ticket: Any) -> str:
    """Why this refresh did not train, in words for someone watching their own run (not a request they made)."""
    if ticket.reason == "over_share":
        return (
            "Training rests for a moment: it has used your share of this small shared server for now, so that "
            "other visitors get their turn. It resumes by itself."
        )
    if ticket.reason == "busy" and ticket.running == 0:
        return "Training pauses for a moment so that other requests get through; it resumes by itself."
    if ticket.reason == "busy":
        return "The server is busy with other visitors' requests; training resumes by itself in a moment."
    return ticket.message


def _draw(run: lt.LiveRun) -> None:
    c = run.curves()
    over = run.overfitting()
    per_char = c.heldout_per_char
    latest = float(per_char[-1])
    rate = run.steps_per_second
    speed = f" · {rate:,.1f} steps a second" if rate and rate < 10 else f" · {rate:,.0f} steps a second" if rate else ""
    speed = speed if st.session_state.get(_PLAYING) else ""
    st.markdown(
        f"**Step {run.step:,}** of at most {run.max_steps:,} · {run.seconds:.0f} of {run.max_seconds:.0f} "
        f"seconds used{speed}"
    )
    start = c.start_loss if run.settings.mode == "scratch" else None
    if run.step == 0:
        title = f"Before training: {latest:.2f} nats per character, like a blind guess among {figs.choices(latest)}"
    elif over is not None:
        title = (
            f"Overfitting since step {over.step:,}: held-out loss up from {over.best_heldout / c.heldout_chars_per_token:.2f} "
            f"to {latest:.2f} while the training loss keeps falling"
        )
    else:
        title = (
            f"Held-out loss {latest:.2f} nats per character: as unsure as picking among {figs.choices(latest)} "
            "characters"
        )
    other = "scratch" if run.settings.mode == "finetune" else "finetune"
    earlier = st.session_state.get(_HISTORY, {}).get((_text_id(), other))
    compare = (f"held-out, {earlier[0]} (your earlier run)", earlier[1], earlier[2]) if earlier else None
    show_chart(
        st,
        figs.live_loss_figure(
            c.train_steps,
            c.train_smooth_per_char,
            c.heldout_steps,
            per_char,
            title,
            start=start,
            overfit_step=over.step if over else None,
            compare=compare,
        ),
        key="training_live_loss",
        width="stretch",
        config={"displayModeBar": False},
    )
    if run.stop_reason:
        st.info(f"{run.stop_reason} Press reset to train again, or change a setting to start a new run.", icon="🛑")
    taken = st.session_state.get(_SAMPLE)
    if taken is None:
        st.caption("A sample from the model appears here every few seconds while it trains (or press ✍️ New sample).")
        return
    sample: lt.Sample = taken[1]
    cp = sample.copies
    st.markdown(
        f"**What it writes at step {sample.step:,}** (seed {sample.seed}): "
        f"**{percent(cp.share)} copied** word for word from the training text in stretches of "
        f"{cp.length}+ characters{f', the longest {cp.longest} characters' if cp.spans else ''}."
    )
    st.markdown(figs.highlighted_sample(sample.text, cp.spans), unsafe_allow_html=True)
    st.caption(
        f"Highlighted: stretches found word for word in the training text. New text of the same kind (the held-out "
        f"part) shares {percent(sample.heldout_share)} with it at this length: that much is just the language."
    )


def comparison_note(run: lt.LiveRun) -> str | None:
    """A sentence comparing the current run with the visitor's earlier run of the other kind on the same text."""
    other = "scratch" if run.settings.mode == "finetune" else "finetune"
    earlier = st.session_state.get(_HISTORY, {}).get((_text_id(), other))
    if earlier is None or run.step == 0:
        return None
    label, steps, loss = earlier
    mine = run.curves()
    target = float(loss[-1])
    hit = np.nonzero(mine.heldout_per_char <= target)[0]
    reached = f"reached it at step {int(mine.heldout_steps[hit[0]]):,}" if hit.size else "has not reached it yet"
    return (
        f"Your earlier {label} run ended at {target:.2f} nats per character after {int(steps[-1]):,} steps; "
        f"this one {reached}."
    )


# ----------------------------------------------------------------------------- words


def loss_in_plain_words(replay: tr.Replay) -> str:
    """The replay's introduction, with the real model's numbers."""
    c, lm = replay.curves, replay.final
    params = sum(p.numel() for p in lm.model.parameters())
    return (
        f"**How a model learns.** We trained our story model by showing it stories, 32 at a time, and nudging its "
        f"{params:,} numbers after each batch so the real next token gets a higher probability. The **loss** says "
        "how surprised the model is by the real next token, on average (minus the logarithm of the probability it "
        f"gave that token, in *nats*). A model that knows nothing spreads its bets evenly over all {lm.vocab_size} "
        f"tokens and scores ln {lm.vocab_size} = {c.start:.2f}. No model can score below the randomness of the "
        f"stories themselves: {c.floor:.2f} here, which we know exactly because we wrote the story grammar.\n\n"
        "**Perplexity** is the same number made friendlier: e to the power of the loss is how many tokens the model "
        "is as unsure as if it were choosing fairly among them. A loss of 0.69 is a coin flip between 2 tokens. "
        f"The **held-out set** is {c.heldout_stories} stories the model never trains on. A model can do well on "
        "stories it has seen just by remembering them; only new stories tell whether it learned how stories go."
    )


def replay_lead(replay: tr.Replay) -> str:
    """The replay's headline: what the curves measured, then what to do."""
    c = replay.curves
    early = min((s for s in replay.steps if s >= 200), default=replay.final_step)
    k = int(np.searchsorted(c.heldout_steps, early))
    at_early, first, last = float(c.heldout_loss[k]), float(c.heldout_loss[0]), float(c.heldout_loss[-1])
    vocab = replay.final.vocab_size
    blind = (  # a fresh model is slightly worse than an even guess (its scores are not exactly equal)
        f"no better than a blind guess among all {vocab} tokens"
        if first >= c.start - 0.05
        else f"as unsure as picking among {figs.choices(first)} tokens"
    )
    return (
        f"**Our story model learned most of what it knows in its first {early:,} steps:** its loss on stories it "
        f"never trained on fell from {first:.2f} ({blind}) to "
        f"{at_early:.2f}. After all {replay.final_step:,} steps it is {last:.3f}, "
        f"{'just above' if last > c.floor else 'at'} the best any model can do on our stories ({c.floor:.3f}). "
        f"We kept its weights at {len(replay.steps)} moments: slide through them, or press play, and watch it go "
        "from random pieces to whole stories."
    )


LIVE_LEAD = (
    "Pick a text, choose how the model starts, press **Train**, and watch it learn in your own session. "
    "Try a small text with a bigger model to see it start copying."
)

LIVE_IN_PLAIN_WORDS = f"""
**The loss** is how surprised the model is by the real next character, on average, in *nats* (minus the logarithm
of the probability it gave that character). e to the power of the loss is how many characters it is as unsure as if
it were picking fairly among them: 0.69 nats is a coin flip between 2.

**Characters or word pieces?** **From scratch**, the model reads one character at a time: its vocabulary is just the
characters your text uses (a few dozen for English), so it starts at about ln(that number) and you can watch it learn
which letters follow which, then spelling, then words. (A word-piece vocabulary like our story model's, built from a
text this short, would be tiny and arbitrary.) **Fine-tuning** starts from our story model and its 483 word pieces
instead: it already knows English-looking stories, so it starts lower on text like ours and gets there in fewer
steps. Losses here are per character, so the two compare.

**The held-out part.** The last tenth of a text (for our stories: 12 other stories) is kept aside: the model never
trains on it. Its loss there tells learning the text's patterns from memorizing the text itself.

**Copying is the same problem large models have.** A model is trained to predict its training text. With little
text, or text repeated many times, the easiest way to do that is to store the text itself, and it then writes it
back word for word. Large chatbots do the same with passages that appear often in their training data: researchers
have pulled verbatim articles, code and personal data out of them. More text, and less repetition, make copying
rarer: compare 30 stories with 3,000 on the medium model.

Each run stops by itself after {lt.MAX_STEPS:,} steps or {lt.MAX_SECONDS:.0f} seconds of training.
"""

GO_DEEPER = rf"""
**Loss and perplexity.** For a text $x_1 \dots x_N$ the model's loss is the average cross-entropy
$\mathcal{{L}} = -\frac{{1}}{{N}}\sum_t \ln p_\theta(x_t \mid x_{{<t}})$ in nats (divide by $\ln 2$ for bits).
Perplexity is $e^{{\mathcal{{L}}}}$. An untrained model with near-equal scores has $\mathcal{{L}} \approx \ln V$ for
a vocabulary of $V$ tokens. Training lowers $\mathcal{{L}}$ on batches of the training text by gradient descent; the
held-out loss is the same formula on text the model never trains on, which estimates how it will do on new text.

**Our story model** (replay): 4,000 steps of AdamW (Loshchilov & Hutter 2019; $\beta = (0.9, 0.98)$, weight decay
0.1) on 32 stories each, learning rate warmed up over 100 steps then cosine-decayed to a tenth, gradients clipped at 1.
The training curve is each batch's loss (centred mean over 25 batches); the held-out curve is measured on 64 fixed
stories every 10 steps up to step 200 and every 50 after. Measuring uses no randomness, so the shipped weights are
bit-identical with or without it. The dotted floor is the grammar's exact entropy on those stories per token. The
checkpoints are stored with 8-bit weight matrices (each row scaled to its largest weight): half the bytes of half
precision, and the odds they give move by under 1.3 percentage points at 99 positions in 100 (median under 0.1); the
last step is the shipped model itself.

**Live runs.** From scratch: a GPT of 1-3 layers over the text's characters, 16 random windows of 64-128 characters
per step. Fine-tuning: our story GPT over its byte-level BPE tokens. On our stories it reads {lt.FINETUNE_STORIES}
whole stories per step, each from its start marker at position 0, exactly as it was trained (a window spanning two
stories puts it far outside what it knows: about 3 nats a token worse); on other text, {lt.FINETUNE_BATCH} windows of
{lt.FINETUNE_BLOCK} tokens, each starting with the start marker. Adam (Kingma & Ba 2015, here AdamW with weight decay
{lt.WEIGHT_DECAY}) or SGD with momentum 0.9, a constant learning rate, gradients clipped at 1. The held-out loss is
measured every {lt.EVAL_EVERY} steps on the whole held-out part (windows overlapping by half, only their second half
scored, so every token has context; our stories one by one). Losses are shown per character (a BPE token's loss
divided by the characters it covers), so character and token models compare. Caps: {lt.MAX_TEXT_CHARS:,} characters
of pasted text, {lt.MAX_STEPS:,} steps, {lt.MAX_SECONDS:.0f} s of training and {lt.MAX_RUN_BYTES // 2**20} MB per run,
checked before any work starts (a text with thousands of different characters trains on smaller batches).

**The overfitting moment.** The held-out curve is smoothed (centred mean of 5 measurements); the moment is its lowest
point, marked only once the smoothed held-out loss has risen at least 3% (and 0.02 nats) above it three measurements
later while the training loss (mean of the last 50 batches) is still lower than it was there. Stopping at that point
is called *early stopping*.

**Memorization.** A character counts as copied when it lies in a stretch of at least $L$ characters that appears word
for word in the training text: every $L$-character window of the training text is hashed (a 64-bit polynomial hash,
sorted once), each window of the sample looked up, and matches confirmed character by character. $L$ starts at 20 and
grows until the held-out part (new text of the same kind) looks at most 10% copied: every one of our stories starts
"Once upon a time, there was a", and repeating that is the language, not memory. This is the same problem as a large
model repeating its training data: it is trained to predict its training text, and when a text is small, or
repeated many times, predicting it exactly is the easiest way to lower the loss. Carlini et al. (2021, *Extracting
Training Data from Large Language Models*) recovered verbatim training text, including personal data, from GPT-2;
Carlini et al. (2023, *Quantifying Memorization Across Neural Language Models*) found memorization grows with model
size, with how often a text is duplicated and with the length of the prompt. More data, deduplication and stopping
early all help, as the 30, 300 and 3,000 story texts show here.

**Fine-tuning** (transfer learning: Howard & Ruder 2018, ULMFiT; Radford et al. 2018, *Improving Language
Understanding by Generative Pre-Training*): everything the model learned before is the starting point, so text
like ours needs far fewer steps. It also keeps old habits: fine-tuned briefly on a poem, it may still write
"Once upon a time".

**What this does not show.** Large models train on trillions of tokens on thousands of accelerators for weeks, with
learning-rate schedules, mixed precision and carefully filtered, deduplicated data; their held-out sets are huge.
Our models are tiny and our texts are small, which is exactly what makes overfitting and copying fast to see.
"""

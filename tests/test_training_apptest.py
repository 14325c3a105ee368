"""AppTest on the Training page: the replay (slider, play), live training (start, pause, resume, reset, fine-tune,
a new run on a new setting) and the reader's own text (empty, overlong, emoji and other scripts)."""

from __future__ import annotations

import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from explainers.live_training import MAX_TEXT_CHARS
from tests.conftest import open_script

PAGE = "pages/8_Training.py"


@pytest.fixture(autouse=True)
def _unlimited_share():
    """Every AppTest here is the same visitor to the heavy-work limiter: without this, the training of the tests
    before (charged in wall seconds, long on a busy machine) would use up that visitor's share, and a later test's
    page would say "did not run" (the limiter's own behaviour is tested in test_compute and test_limiter)."""
    import ui.compute  # noqa: F401 - sets the shares
    from serving.limiter import HEAVY

    share = HEAVY.visitor_share
    HEAVY.set_slots(HEAVY.slots, visitor_share=1.0)
    yield
    HEAVY.set_slots(HEAVY.slots, visitor_share=share)


def _open(**state: object) -> AppTest:
    at = open_script(PAGE, timeout=300)
    for key, value in state.items():
        at.session_state[key] = value
    if state:
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _titles(at: AppTest) -> list[str]:
    return [json.loads(el.proto.spec)["layout"]["title"]["text"].replace("<br>", " ") for el in at.get("plotly_chart")]


def _texts(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown]


def _step(at: AppTest) -> int:
    for text in _texts(at):
        m = re.match(r"\*\*Step ([0-9,]+)\*\* of at most", text)
        if m:
            return int(m.group(1).replace(",", ""))
    raise AssertionError("no step counter")


def _live(**state: object) -> AppTest:
    return _open(show="Train one yourself", **state)


def _train_until_step_above(at: AppTest, step: int, refreshes: int = 40) -> int:
    """Rerun (the browser's timer) until training has moved past `step`. A refresh may be refused a slot while
    this visitor's share of heavy work refills (serving/limiter.py); each refused one waits half a second."""
    for _ in range(refreshes):
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        if _step(at) > step:
            return _step(at)
    raise AssertionError(f"no training past step {step} in {refreshes} refreshes")


def _train_until_sample(at: AppTest, refreshes: int = 80) -> None:
    """Rerun until a sample shows: the first comes after a second of training (ui.training.sample_due)."""
    for _ in range(refreshes):
        if any("copied** word for word" in t for t in _texts(at)):
            return
        at.run()
        assert not at.exception, [e.value for e in at.exception]
    raise AssertionError(f"no sample in {refreshes} refreshes")


def test_replay_shows_the_finished_model_by_default() -> None:
    at = _open()
    titles = _titles(at)
    assert any(t.startswith("Step 4,000: held-out loss 0.49") for t in titles), titles
    assert any(t.startswith("Step 4,000, after 'The cat sat on the': 'mat'") and "(truth: 50%)" in t for t in titles), (
        titles
    )
    assert any(t.startswith("**At step 4,000: Stories.**") for t in _texts(at))
    assert any("How a model learns" in t and "Perplexity" in t and "held-out set" in t for t in _texts(at))


def test_replay_at_step_zero_is_random_and_play_advances() -> None:
    at = _open(step=0)
    assert any(t.startswith("**At step 0: Random pieces.**") for t in _texts(at))
    assert any(t.startswith("Step 0: held-out loss 6.20") for t in _titles(at))
    at.button(key="training_replay_play").click().run()
    assert not at.exception
    assert at.button(key="training_replay_play").label.startswith("⏸️")
    at.run()  # the next refresh of the playing replay shows the next checkpoint
    assert at.session_state["step"] > 0


def test_live_start_pause_resume_reset() -> None:
    at = _live()
    assert _step(at) == 0
    assert any(t.startswith("Before training:") for t in _titles(at))
    at.button(key="training_play").click().run()
    assert not at.exception and at.button(key="training_play").label.startswith("⏸️")
    _train_until_step_above(at, 0)
    _train_until_sample(at)
    at.button(key="training_play").click().run()  # pause
    assert at.button(key="training_play").label == "▶️ Resume"
    paused = _step(at)
    at.run()
    assert _step(at) == paused, "paused: a rerun must not train"
    at.button(key="training_play").click().run()  # resume
    _train_until_step_above(at, paused)
    at.button(key="training_reset").click().run()
    assert _step(at) == 0 and at.button(key="training_play").label == "▶️ Train"
    assert not any("copied** word for word" in t for t in _texts(at))
    at.button(key="training_sample").click().run()  # paused: a sample of the untrained model, written at once
    assert any(t.startswith("**What it writes at step 0**") for t in _texts(at))


def test_fine_tune_then_compare_with_from_scratch() -> None:
    at = _live(text="300 stories")
    at.button(key="training_play").click().run()
    _train_until_step_above(at, 0)
    at.radio(key="start").set_value("Fine-tune our story model").run()  # a new run on the same text
    assert not at.exception and _step(at) == 0
    at.button(key="training_play").click().run()
    _train_until_step_above(at, 0)
    assert any(
        "from scratch (your earlier run)" in json.dumps(json.loads(el.proto.spec)) for el in at.get("plotly_chart")
    )
    assert any("Your earlier from scratch run ended at" in s.value for s in at.success)


def test_empty_overlong_and_other_scripts() -> None:
    at = _live(text="Your own text")
    assert any("no text to train on" in w.value for w in at.warning)
    assert not at.get("plotly_chart") or not any(t.startswith("Before training") for t in _titles(at))
    at.text_area(key="train_text").input("x y z " * 1000).run()  # 6,000 characters
    assert any(f"limit is {MAX_TEXT_CHARS:,}" in w.value for w in at.warning)
    assert not at.exception
    mixed = "Grüße! 😀🎉 我们今天学习。 مرحبا بالعالم. Привет, мир! नमस्ते दुनिया। 👩‍👩‍👧 " * 6
    at.text_area(key="train_text").input(mixed).run()
    assert not at.exception and not at.warning
    at.button(key="training_play").click().run()
    _train_until_step_above(at, 0)
    assert any("🔒 Your text is not put in the page's link" in c.value for c in at.caption)


def test_a_new_setting_starts_a_new_run() -> None:
    at = _live()
    at.button(key="training_play").click().run()
    _train_until_step_above(at, 0)
    at.select_slider(key="size").set_value("Medium").run()
    assert not at.exception
    assert _step(at) == 0 and at.button(key="training_play").label == "▶️ Train"


def test_a_refused_live_refresh_says_training_resumes_by_itself() -> None:
    from serving.limiter import Ticket
    from ui.training import refusal

    over = refusal(Ticket(False, "over_share", 1, 0, 1))
    assert "your share" in over and "resumes by itself" in over and "Try again" not in over
    assert "resumes by itself" in refusal(Ticket(False, "busy", 0, 0, 1))
    assert "other visitors" in refusal(Ticket(False, "busy", 1, 2, 1))


def test_a_refused_refresh_waits_longest_next_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """A refresh that has not trained yet, or was refused, waits in line as long as a refresh may: live refreshes
    are served in turn, and a newcomer whose refreshes gave up after 0.15 s never trained while four others kept
    the slot busy (benchmarks/bench_training.py fairness, 2026-12-02). After one that trained, it waits only past
    the slot's rest. The first refresh writes no sample (a large model's takes about a second of the share)."""
    from contextlib import contextmanager

    from serving.limiter import Ticket
    from ui import compute, training

    waits: list[float] = []
    misses: list[int] = []
    refuse = [True]
    real = training.live_slot

    @contextmanager
    def recording_slot(wait_s: float, missed: int = 0):
        waits.append(wait_s)
        misses.append(missed)
        if refuse[0]:  # as if four other trainers kept the slot for longer than this refresh waited
            yield Ticket(False, "busy", 1, 4, 1)
        else:
            with real(wait_s, missed) as ticket:
                yield ticket

    monkeypatch.setattr(training, "live_slot", recording_slot)
    at = _live(size="Large")
    at.button(key="training_play").click().run()  # pressing Train runs the first refresh at once
    assert not at.exception
    assert waits == [compute.LIVE_WAIT_MAX_S]
    assert _step(at) == 0 and any(c.value.startswith("⏳") for c in at.caption)
    at.run()
    assert waits[-1] == compute.LIVE_WAIT_MAX_S  # refused: the next one waits the longest again
    refuse[0] = False
    at.run()
    assert waits[-1] == compute.LIVE_WAIT_MAX_S
    worked = at.session_state[training._LAST_WORK]
    at.run()
    assert _step(at) > 0
    assert waits[-1] == pytest.approx(min(compute.LIVE_WAIT_MAX_S, worked + compute.LIVE_WAIT_S))
    assert misses == [0, 1, 2, 0], "refusals in a row are counted, and a refresh that trained starts again at 0"
    if at.session_state[training._RUN].seconds < training.SAMPLE_AFTER_S:  # (a very slow machine: maybe not)
        assert not any("copied** word for word" in t for t in _texts(at)), "no sample before a second of training"


def test_live_wait_and_sample_timing() -> None:
    from types import SimpleNamespace

    from ui.compute import LIVE_WAIT_MAX_S, LIVE_WAIT_S, live_wait_s
    from ui.training import SAMPLE_AFTER_S, SAMPLE_EVERY_S, sample_due

    assert live_wait_s(None) == LIVE_WAIT_MAX_S
    assert live_wait_s(0.1) == pytest.approx(0.1 + LIVE_WAIT_S)
    assert live_wait_s(30.0) == LIVE_WAIT_MAX_S
    fresh = SimpleNamespace(finished=False, seconds=0.2)
    assert not sample_due(None, fresh)
    assert sample_due(None, SimpleNamespace(finished=False, seconds=SAMPLE_AFTER_S))
    assert sample_due(None, SimpleNamespace(finished=True, seconds=0.1))  # the run's last words
    taken = (100.0, None, 1.0)
    later = SimpleNamespace(finished=False, seconds=1.0 + SAMPLE_AFTER_S)
    assert not sample_due(taken, later, now=100.0 + SAMPLE_EVERY_S - 0.1)
    assert sample_due(taken, later, now=100.0 + SAMPLE_EVERY_S)
    assert not sample_due(taken, SimpleNamespace(finished=False, seconds=1.5), now=200.0)


def test_a_closed_sessions_run_is_freed() -> None:
    """Nothing outside the session (a cache, the limiter, the visitor gate, a fragment, a module) keeps a visitor's
    run: once their session is dropped (as the server drops a closed tab's session when its reconnect window has
    passed), the run (model, optimizer, data, history) is garbage. Until 2026-12-02 the visitor gate's "is this
    page run still going?" callable (ui/visitors.py) held the run's context and so the whole session, for good.
    The real server is checked the same way by benchmarks/bench_training.py browser (benchmarks/server_probe)."""
    import gc
    import weakref

    from ui import training

    at = _live(text="300 stories", start="Fine-tune our story model")
    at.button(key="training_play").click().run()
    _train_until_step_above(at, 0)
    at.button(key="training_play").click().run()  # pause
    run = weakref.ref(at.session_state[training._RUN])
    model = weakref.ref(run().model)
    del at
    gc.collect()
    assert run() is None and model() is None

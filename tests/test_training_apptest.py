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
    _train_until_step_above(at, _step(at))  # the refresh after a sample shows it
    assert any("copied** word for word" in t for t in _texts(at))  # a sample was written
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

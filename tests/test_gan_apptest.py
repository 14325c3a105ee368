"""AppTest interactions on the GAN page: play/pause, one step, reset, the headlines after a step, the pictures'
replay (headlines follow the step slider), the clothes/digits switch, live picture runs, and opening a view from
URL settings (that moving a widget writes the URL is checked in the real browser: tests/browser/test_gan.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
PAGE = "pages/5_GAN.py"


def _open(query: dict[str, str] | None = None, **state: str) -> AppTest:
    # The page frame links back to app.py, so run the app and switch to the page, as a visitor would.
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    at.switch_page(PAGE)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _texts(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown]


def _headings(at: AppTest) -> list[str]:
    """The bold first line of every heading (ui.gan.heading: '**finding**  \\n:gray[detail]')."""
    return [t.split("**")[1] for t in _texts(at) if t.startswith("**") and ":gray[" in t]


def _step_text(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**Step "))


def _charts(at: AppTest) -> dict[str, dict]:
    return {el.proto.id or str(i): json.loads(el.proto.spec) for i, el in enumerate(at.get("plotly_chart"))}


# ----------------------------------------------------------------------------- points


def test_points_mode_draws_the_arena_and_the_losses() -> None:
    at = _open()
    assert len(at.get("image")) == 2  # live pictures: the arena and the loss curves
    assert "The forger starts with a blob of noise" in _headings(at)
    assert any("real data" in c.value and "fakes" in c.value for c in at.caption)
    assert _step_text(at).startswith("**Step 0**")


def test_one_step_is_no_stalemate_and_the_headlines_agree() -> None:
    """Issue 12: after one step the page said 'Stalemate: the detective is guessing' while the fakes were a blob."""
    at = _open()
    at.button(key="gan_points_step").click().run()
    assert not at.exception
    assert _step_text(at).startswith("**Step 1**")
    headings = _headings(at)
    assert not any("Stalemate" in h for h in headings), headings
    assert "The fakes are still one small blob" in headings
    assert any("step 1 ·" in t and "fakes sit on the data" in t for t in _texts(at))


def test_one_step_then_reset() -> None:
    at = _open()
    at.button(key="gan_points_step").click().run()
    at.button(key="gan_points_step").click().run()
    assert _step_text(at).startswith("**Step 2**")
    at.button(key="gan_points_reset").click().run()
    assert _step_text(at).startswith("**Step 0**")


def test_play_trains_and_pause_stops() -> None:
    at = _open(speed="normal")
    at.button(key="gan_points_play").click().run()
    assert not at.exception
    assert at.button(key="gan_points_play").label.startswith("⏸️")
    at.run()  # the next refresh shows what the previous one trained
    steps_playing = int(_step_text(at).split("**")[1].split()[1].replace(",", ""))
    assert steps_playing >= 20  # "normal" speed: 20 rounds per refresh
    at.button(key="gan_points_play").click().run()
    assert at.button(key="gan_points_play").label.startswith("▶️")
    before = _step_text(at)
    at.run()
    assert _step_text(at) == before, "paused: a rerun must not train"


def test_changing_the_shape_starts_a_new_run() -> None:
    at = _open()
    at.button(key="gan_points_step").click().run()
    at.selectbox(key="shape").select("Spiral").run()
    assert not at.exception
    assert "spiral" in _step_text(at) and _step_text(at).startswith("**Step 0**")


def test_learning_rates_and_loss_apply_without_reset() -> None:
    at = _open()
    at.button(key="gan_points_step").click().run()
    at.select_slider(key="lr_g").set_value("0.01").run()
    at.selectbox(key="loss").select("minimax").run()  # label and internal name coincide here
    assert not at.exception
    assert _step_text(at).startswith("**Step 1**")
    run = at.session_state["gan_points_run"].training
    assert run.opt_g.param_groups[0]["lr"] == 0.01 and run.loss == "minimax"


# ----------------------------------------------------------------------------- pictures: replay


@pytest.mark.quality
def test_pictures_open_on_the_clothes_replay_and_count_only_confident_readings() -> None:
    at = _open({"mode": "Pictures"})
    assert at.radio(key="view").value == "Replay our training"
    slider = at.select_slider(key="snap_clothes")
    assert str(slider.value) == slider.options[-1] == "3000"
    headings = _headings(at)
    assert headings[0] == "The forger's clothes after 3,000 training steps"
    texts = " ".join(_texts(at))
    assert "a sample of the 120 fakes; the bar chart counts all of them" in texts
    assert "the same noise and kinds at every step" in texts
    assert any("each column asks for one kind" in c.value for c in at.caption)  # which kind each fake was asked for
    assert "at least 80% sure" in texts  # the rule for counting is on the page
    kinds = next(c for k, c in _charts(at).items() if "gan_replay_kinds" in k)
    assert kinds["data"][0]["y"][-1] == "unreadable" and "ankle boot" in kinds["data"][0]["y"]
    assert "measured on 1,000 fresh fakes" in texts and "Fréchet distance" in texts
    assert "as the kind that was asked for" in texts  # the conditional forger's recorded hit rate


@pytest.mark.quality
def test_the_replay_headlines_follow_the_step_slider() -> None:
    """Issue 12: moving the slider back left the loss headline at the final numbers."""
    at = _open({"mode": "Pictures", "data": "digits"})
    final = _headings(at)
    loss_final = next(t for t in _texts(at) if "detective's loss" in t)
    at.select_slider(key="snap_digits").set_value(0).run()
    assert not at.exception
    start = _headings(at)
    assert start[0] == "Before training: noise"
    assert "Too early: the judge's readings of noise mean nothing yet" in start
    assert "No training yet" in start
    at.select_slider(key="snap_digits").set_value(1150).run()
    middle = _headings(at)
    loss_middle = next(t for t in _texts(at) if "detective's loss" in t)
    assert middle[0] == "The forger's handwritten digits after 1,150 training steps"
    assert loss_middle != loss_final and middle != final
    loss_chart = next(c for k, c in _charts(at).items() if "gan_replay_loss" in k)
    assert loss_chart["layout"]["shapes"][0]["x0"] == 1150  # the chart marks the step shown
    assert any(h.startswith("Every digit appears") for h in final), final  # the shipped GAN covers all ten


@pytest.mark.quality
def test_the_dataset_switch() -> None:
    at = _open({"mode": "Pictures"})
    at.segmented_control(key="data").set_value("digits").run()
    assert not at.exception
    assert _headings(at)[0].startswith("The forger's handwritten digits after 30,000")
    assert at.select_slider(key="snap_digits").value == 30000
    at.segmented_control(key="data").set_value("clothes").run()
    assert _headings(at)[0].startswith("The forger's clothes after 3,000")


@pytest.mark.quality
def test_a_shared_link_reopens_the_exact_view() -> None:
    at = _open({"mode": "Pictures", "data": "digits", "snap_digits": "510"})
    assert at.segmented_control(key="data").value == "digits"
    assert _headings(at)[0] == "The forger's handwritten digits after 510 training steps"


# ----------------------------------------------------------------------------- pictures: live runs


@pytest.mark.quality
def test_live_training_starts_on_digits_and_steps_and_resets() -> None:
    at = _open({"mode": "Pictures", "view": "Train one yourself"})
    assert at.segmented_control(key="live").value == "digits"
    assert any("train too slowly here" in c.value for c in at.caption)
    assert _step_text(at).startswith("**Step 0**")
    at.button(key="gan_digits_step").click().run()
    assert not at.exception and _step_text(at).startswith("**Step 1**")
    headings = _headings(at)
    assert not any("Stalemate" in h for h in headings)
    assert "Too early: the judge's readings of noise mean nothing yet" in headings  # noise read as 8 is no collapse
    assert not at.warning, "no mode-collapse warning after one step"
    at.button(key="gan_digits_play").click().run()
    assert not at.exception and at.button(key="gan_digits_play").label.startswith("⏸️")
    at.button(key="gan_digits_reset").click().run()
    assert _step_text(at).startswith("**Step 0**")


@pytest.mark.quality
def test_live_clothes_say_how_slow_they_are_and_take_a_step() -> None:
    at = _open({"mode": "Pictures", "view": "Train one yourself", "live": "clothes"})
    assert any("Clothes train slowly on this small server" in c.value for c in at.caption)
    assert _step_text(at).startswith("**Step 0** of at most 1,500")
    at.button(key="gan_clothes_step").click().run()
    assert not at.exception and _step_text(at).startswith("**Step 1**")
    run = at.session_state["gan_clothes_run"].training
    assert run.real.shape[1:] == (1, 28, 28) and len(run.real) == 2000  # the shipped real pictures


@pytest.mark.quality
def test_switching_modes_keeps_the_points_run() -> None:
    at = _open()
    at.button(key="gan_points_step").click().run()
    at.radio(key="mode").set_value("Pictures").run()
    assert not at.exception
    assert at.select_slider(key="snap_clothes").value  # the replay of our training is on screen
    at.radio(key="mode").set_value("Points").run()
    assert _step_text(at).startswith("**Step 1**"), "the visitor's 2-D run survives a trip to the pictures"


@pytest.mark.parametrize("work_s", [0.0, 0.02, 0.1, 0.3, 0.7, 1.5, 30.0])
def test_a_live_refresh_waits_out_the_rest_after_its_own_previous_refresh(work_s: float) -> None:
    """On a slow, busy server a refresh works for longer, and the live slot then rests as long (duty cycle): the
    next refresh must wait that rest out, or it shows 'busy' while nobody else is working. It never waits longer
    than the longest rest the limiter gives."""
    from serving.limiter import HeavyWorkLimiter
    from ui import compute, gan
    from ui.compute import HEAVY_DUTY

    rest = min(HeavyWorkLimiter.MAX_REST_S, work_s * (1 / HEAVY_DUTY - 1))
    wait = gan.live_wait_s(work_s)
    assert rest < wait <= HeavyWorkLimiter.MAX_REST_S + 0.1
    assert wait >= compute.LIVE_WAIT_S


def test_a_live_run_that_has_not_trained_yet_waits_longest_in_line() -> None:
    """Before its first refresh that trained, and after a refused one, a live run waits as long as any refresh may:
    with a short wait, a newcomer behind runs that kept the slot busy was refused every time."""
    from ui import compute, gan

    assert gan.live_wait_s(None) == compute.LIVE_WAIT_MAX_S
    assert gan.live_wait_s(0.0) < compute.LIVE_WAIT_MAX_S


def test_a_live_run_refused_again_and_again_queues_with_visitors_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """Live refreshes yield to every visitor's own request; on a server where those never stop (a classroom on a
    slow day) a run never trained (one GAN stayed at step 0 for 30 refreshes in the load test). After
    LIVE_TURN_AFTER_MISSES refusals in a row, a refresh queues like a visitor's own request, waiting longer."""
    import contextlib

    from ui import compute

    asked: list[dict] = []

    class RecordingLimiter:
        def slot(self, **kwargs):
            asked.append(kwargs)
            return contextlib.nullcontext()

    monkeypatch.setattr(compute, "HEAVY", RecordingLimiter())
    monkeypatch.setattr(compute, "visitor_id", lambda: "10.0.0.7")
    for missed in range(compute.LIVE_TURN_AFTER_MISSES + 2):
        compute.live_slot(0.15, missed)
    background = [a.get("background", False) for a in asked]
    turn = compute.LIVE_TURN_AFTER_MISSES
    assert background == [True] * turn + [False] * 2
    assert [a["timeout"] for a in asked] == [0.15] * turn + [compute.LIVE_TURN_WAIT_S] * 2
    assert {a["visitor"] for a in asked} == {"10.0.0.7"}, "still within that visitor's fair share"

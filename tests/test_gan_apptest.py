"""AppTest interactions on the GAN page: play/pause, one step, reset, mode switch, snapshot slider, live digits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
PAGE = "pages/5_GAN.py"


def _open(**state: str) -> AppTest:
    # The page frame links back to app.py, so run the app and switch to the page, as a visitor would.
    # (Settings in the URL are checked in the real browser: tests/browser/test_gan.py.)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page(PAGE)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _charts(at: AppTest) -> dict[str, dict]:
    return {el.proto.id or str(i): json.loads(el.proto.spec) for i, el in enumerate(at.get("plotly_chart"))}


def _titles(at: AppTest) -> list[str]:
    return [spec["layout"]["title"]["text"] for spec in _charts(at).values()]


def _step_text(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**Step "))


def test_points_mode_draws_the_arena_and_the_losses() -> None:
    at = _open()
    assert len(at.get("image")) == 2  # live pictures: the arena and the loss curves
    texts = [m.value for m in at.markdown]
    assert any("The forger starts with a blob of noise" in t for t in texts)
    assert any("real data" in c.value and "fakes" in c.value for c in at.caption)
    assert _step_text(at).startswith("**Step 0**")


def test_one_step_then_reset() -> None:
    at = _open()
    at.button(key="gan_points_step").click().run()
    assert not at.exception
    assert _step_text(at).startswith("**Step 1**")
    assert any("detective" in m.value and "step 1 ·" in m.value for m in at.markdown)
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


def test_changing_the_dataset_starts_a_new_run() -> None:
    at = _open()
    at.button(key="gan_points_step").click().run()
    at.selectbox(key="data").select("Spiral").run()
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


@pytest.mark.quality
def test_digits_replay_slider_moves_through_snapshots() -> None:
    at = _open(mode="Digits")
    slider = at.select_slider(key="snap")
    assert str(slider.value) == slider.options[-1] != "0"
    final_titles = _titles(at)
    at.select_slider(key="snap").set_value(0).run()
    assert not at.exception
    titles = _titles(at)
    assert any("noise" in t.lower() for t in titles), titles
    assert titles != final_titles
    assert any("digits appear" in t for t in final_titles), final_titles  # the shipped GAN covers all ten


@pytest.mark.quality
def test_live_digits_run_steps_and_resets() -> None:
    at = _open(mode="Digits", digits="Train one yourself")
    assert _step_text(at).startswith("**Step 0**")
    at.button(key="gan_digits_step").click().run()
    assert not at.exception and _step_text(at).startswith("**Step 1**")
    at.button(key="gan_digits_play").click().run()
    assert not at.exception and at.button(key="gan_digits_play").label.startswith("⏸️")
    at.button(key="gan_digits_reset").click().run()
    assert _step_text(at).startswith("**Step 0**")


@pytest.mark.quality
def test_switching_modes_keeps_the_points_run() -> None:
    at = _open()
    at.button(key="gan_points_step").click().run()
    at.radio(key="mode").set_value("Digits").run()
    assert not at.exception
    assert at.select_slider(key="snap").value  # the replay of our training is on screen
    at.radio(key="mode").set_value("Points").run()
    assert _step_text(at).startswith("**Step 1**"), "the visitor's 2-D run survives a trip to the digits"

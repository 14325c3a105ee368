"""The shared heavy-work gate as a visitor meets it: plain words when the server is full, never a traceback."""

from __future__ import annotations

import time

from streamlit.testing.v1 import AppTest

from explainers.limiter import HEAVY


def _page() -> None:
    import streamlit as st

    from ui.compute import heavy_work

    with heavy_work(wait_s=0.2):
        st.write("heavy work done")


def _hold_every_slot():
    # Wait out a slot's rest after an earlier test's job (duty cycle), or this can flake.
    return [HEAVY.try_acquire(session=f"other-{i}", timeout=HEAVY.MAX_REST_S + 1) for i in range(HEAVY.slots)]


def test_heavy_work_runs_when_a_slot_is_free() -> None:
    at = AppTest.from_function(_page, default_timeout=30).run()
    assert not at.exception
    assert any("heavy work done" in m.value for m in at.markdown)
    assert HEAVY.running == 0  # the slot was given back


def test_full_server_says_so_in_plain_words() -> None:
    at = AppTest.from_function(_page, default_timeout=30)
    held = _hold_every_slot()
    try:
        assert all(held)
        at.run()
    finally:
        for ticket in held:
            HEAVY.release(ticket)
    assert not at.exception
    assert "very busy" in at.warning[0].value
    assert not any("heavy work done" in m.value for m in at.markdown)
    time.sleep(HEAVY.MAX_REST_S)  # the freed slots rest (duty cycle), then serve the next request
    at.run()  # once others finish, the same visitor's next try runs
    assert any("heavy work done" in m.value for m in at.markdown)


def test_one_core_is_kept_for_light_requests() -> None:
    import ui.compute  # noqa: F401  (sets the slot count)
    from explainers.limiter import available_cores

    assert HEAVY.slots == max(1, available_cores() - 1)

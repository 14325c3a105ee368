"""The shared heavy-work gate as a visitor meets it: plain words when the server is full, never a traceback."""

from __future__ import annotations

import time

from streamlit.testing.v1 import AppTest

from serving.limiter import HEAVY


def _page() -> None:
    import streamlit as st

    from ui.compute import heavy_slot, heavy_work

    def computation() -> str:  # stands for a cached heavy computation
        with heavy_slot(wait_s=0.2):
            return "heavy work done"

    with heavy_work():
        st.write(computation())


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
    from serving.limiter import available_cores

    assert HEAVY.slots == max(1, available_cores() - 1)


def _cached_page() -> None:
    import streamlit as st

    from ui.compute import heavy_slot, heavy_work

    @st.cache_data(show_spinner=False)
    def view(n: int) -> str:
        with heavy_slot(wait_s=0.2):
            return f"view {n} computed"

    with heavy_work():
        st.write(view(7))


def test_a_cached_view_needs_no_slot() -> None:
    at = AppTest.from_function(_cached_page, default_timeout=30).run()
    assert any("view 7 computed" in m.value for m in at.markdown)
    held = _hold_every_slot()
    try:
        assert all(held)
        at.run()  # the server is full, but this view is already cached: no wait, no "busy"
    finally:
        for ticket in held:
            HEAVY.release(ticket)
    assert not at.exception
    assert not at.warning
    assert any("view 7 computed" in m.value for m in at.markdown)

"""The shared heavy-work gate as a visitor meets it: plain words when the server is full, never a traceback."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from serving.limiter import HEAVY, Ticket


@pytest.fixture(autouse=True)
def _no_background_work() -> None:
    """Earlier tests in this process may have left once-per-server work running in a background thread (the Limits
    page measures its cost table for about 20 s, more on a loaded CI machine); it holds a heavy slot meanwhile, and
    these tests count slots. Wait for it, as a visitor arriving after it would."""
    deadline = time.monotonic() + 300
    while (HEAVY.running or HEAVY.queued) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert HEAVY.running == 0, "background work still holds a heavy slot after 300 s"


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
    return [
        HEAVY.try_acquire(visitor=f"other-{i}", timeout=HEAVY.MAX_REST_S + 1)
        for i in range(HEAVY.slots + HEAVY.reserve)
    ]


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


# -- one visitor's allowance, shared by their tabs -------------------------------------------------------------
def _same_address(monkeypatch, address: str) -> None:
    """Every AppTest session appears to come from `address` (as behind our nginx, via X-Forwarded-For)."""
    import ui.visitors

    monkeypatch.setattr(ui.visitors, "session_address", lambda session_id: address)


def _visitor_page() -> None:
    import streamlit as st

    from ui.compute import heavy_slot, heavy_work
    from ui.visitors import visitor_id

    def computation() -> str:
        with heavy_slot(wait_s=0.2):
            return "heavy work done"

    st.caption(f"visitor {visitor_id()}")
    with heavy_work():
        st.write(computation())


def test_tabs_of_one_address_share_one_allowance(monkeypatch) -> None:
    _same_address(monkeypatch, "10.0.0.66")
    other_tab = AppTest.from_function(_visitor_page, default_timeout=30).run()  # a tab of 10.0.0.66
    assert other_tab.caption[0].value == "visitor ip:10.0.0.66"
    slots = HEAVY.slots
    HEAVY.set_slots(slots + 1)  # a free slot for the neighbour below, whatever this machine's core count
    # The visitor's first tab is still computing (its request holds a slot) when their second tab asks.
    first_tab = HEAVY.try_acquire(visitor="ip:10.0.0.66", timeout=HEAVY.MAX_REST_S + 1)
    try:
        assert first_tab
        second_tab = AppTest.from_function(_visitor_page, default_timeout=30).run()
        _same_address(monkeypatch, "10.0.0.7")
        neighbour = AppTest.from_function(_visitor_page, default_timeout=30).run()
    finally:
        HEAVY.release(first_tab)
        HEAVY.set_slots(slots)
    assert not second_tab.exception and not neighbour.exception
    assert "another of yours" in second_tab.warning[0].value and "did not run" in second_tab.warning[0].value
    assert not any("heavy work done" in m.value for m in second_tab.markdown)
    assert any("heavy work done" in m.value for m in neighbour.markdown)  # another visitor is not held up
    _same_address(monkeypatch, "10.0.0.66")
    second_tab.button(key=next(b.key for b in second_tab.button if b.label == "Try again")).click().run()
    assert any("heavy work done" in m.value for m in second_tab.markdown)  # the first tab is done: it runs


def _gated_page() -> None:
    import streamlit as st

    from ui.visitors import take_turn

    take_turn(wait_s=0)
    st.write("the page ran")


def test_a_second_tab_waits_for_the_first_page_run(monkeypatch) -> None:
    from ui.visitors import GATE

    _same_address(monkeypatch, "10.0.0.66")
    first_run_going = [True]
    assert GATE.enter("ip:10.0.0.66", lambda: first_run_going[0], timeout=0)  # the visitor's other tab, running
    at = AppTest.from_function(_gated_page, default_timeout=30).run()
    assert not at.exception
    assert "did not run yet" in at.warning[0].value
    assert not any("the page ran" in m.value for m in at.markdown)
    first_run_going[0] = False  # that run ended
    at.button(key="_glassbox_turn_retry").click().run()
    assert any("the page ran" in m.value for m in at.markdown)
    assert not at.warning


def test_heavy_work_outside_a_page_run_is_background_work(monkeypatch) -> None:
    """The warm-up thread has no page run: its heavy work waits behind visitors and live training (idle work)."""
    from ui import compute

    asked = []

    def record(**kwargs):
        asked.append(kwargs["idle"])
        return Ticket(True, "granted", 1, 0, 1)

    monkeypatch.setattr(compute.HEAVY, "try_acquire", record)
    monkeypatch.setattr(compute.HEAVY, "release", lambda ticket: None)
    with compute.heavy_slot():
        pass
    with compute.heavy_turn():
        pass
    assert asked == [True, True]

"""The background warm-up belongs to a real server: AppTest runs (which also have a runtime) never start it."""

from __future__ import annotations

import gc

from tests.conftest import open_script
from ui import warmup


def test_apptest_runs_do_not_start_the_warm_up() -> None:
    at = open_script("pages/1_Tokens.py")
    assert not at.exception
    assert warmup._started is False  # noqa: SLF001 - the module's own flag is the thing to check


class _FakeSession:
    def __init__(self, session_id: str) -> None:
        self.id = session_id
        self.shut_down = False

    def shutdown(self) -> None:
        self.shut_down = True


def test_closed_tabs_past_their_reconnect_window_are_shut_down_and_dropped() -> None:
    """Streamlit's session store keeps expired closed tabs in memory until it is next written to; the tidy-up
    drops them and shuts them down. A tab still inside its reconnect window stays."""
    from streamlit.runtime.memory_session_storage import MemorySessionStorage
    from streamlit.runtime.session_manager import SessionInfo

    expired_store = MemorySessionStorage(ttl_seconds=0)
    gone = _FakeSession("gone")
    expired_store.save(SessionInfo(client=None, session=gone, script_run_count=1))  # type: ignore[arg-type]
    assert warmup.forget_expired_sessions(expired_store) == 1
    assert gone.shut_down
    assert expired_store._cache._data == {}  # noqa: SLF001 - the memory held is the point

    live_store = MemorySessionStorage(ttl_seconds=60)
    kept = _FakeSession("kept")
    live_store.save(SessionInfo(client=None, session=kept, script_run_count=1))  # type: ignore[arg-type]
    assert warmup.forget_expired_sessions(live_store) == 0
    assert not kept.shut_down
    assert live_store.get("kept") is not None


class _Log:
    """Records what the warm-up logs (Streamlit's loggers do not reach pytest's caplog)."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def warning(self, message: str, *args: object) -> None:
        self.lines.append(("warning", message % args))

    def info(self, message: str, *args: object) -> None:
        self.lines.append(("info", message % args))


def test_a_step_refused_by_a_busy_server_is_tried_again_after_the_others(monkeypatch) -> None:
    """Under load the warm-up waits in line with the visitors; being refused is not a failure (issue 11 §4)."""
    from serving.limiter import Ticket
    from ui.compute import ServerBusy

    log = _Log()
    monkeypatch.setattr(warmup, "log", log)
    calls: list[str] = []
    refusals = [2]

    def busy_twice() -> None:
        calls.append("busy")
        if refusals[0]:
            refusals[0] -= 1
            raise ServerBusy(Ticket(False, "busy", 1, 0, 1))

    def broken() -> None:
        calls.append("broken")
        raise ValueError("damaged weights")

    warmup.run_steps([busy_twice, lambda: calls.append("quick"), broken], rounds=3, pause_s=0)
    assert calls == ["busy", "quick", "broken", "busy", "busy"]  # refused steps go again after the others
    assert log.lines == [("warning", "warm-up step failed: damaged weights")]  # only the real failure

    def always_busy() -> None:
        raise ServerBusy(Ticket(False, "busy", 1, 0, 1))

    log.lines.clear()
    warmup.run_steps([always_busy], rounds=2, pause_s=0)
    assert log.lines == [("info", "Glassbox warm-up left 1 step(s) to the visitors: the server stayed busy")]


def test_the_warm_server_freezes_its_long_lived_objects_out_of_the_collectors_sight() -> None:
    assert gc.get_freeze_count() == 0
    try:
        warmup.freeze_long_lived()
        frozen = gc.get_freeze_count()
        assert frozen > 1000  # the interpreter's and pytest's own objects at least
        gc.collect()  # a full collection now walks only what was made after the freeze
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()

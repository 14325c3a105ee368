"""How the server spends its CPU: one torch thread per request, and a shared gate for heavy work.

Import this module (the ui helpers of every model page do) before any model runs.

One thread per request: measured on the 2-core server under load, 20 GAN training steps took 46-130 ms on
one thread and 0.5-7 s on two, and a full DDPM trajectory 60 ms against 1.1 s, because torch's second worker
waits for a core that another visitor is using. Many small requests share the machine better one thread each.

Fair share per visitor: the limiter is keyed on the visitor (ui/visitors.py: the client address), so all tabs of
one person share one allowance, and a second heavy request of a visitor whose first is still running is refused
at once instead of joining the line.

When a step does not run (the server stayed busy), the page keeps going: a cached view wrapped with
`keep_last_good` hands back the visitor's previous result for it, and `heavy_work()` says so above it with a
"Try again" button. Only a first view, with nothing to show yet, stops the page there.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, TypeVar

import streamlit as st
import torch
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.scriptrunner_utils.script_run_context import in_cached_function

from serving.limiter import HEAVY, Ticket, available_cores
from ui.visitors import visitor_id

TORCH_THREADS = 1
torch.set_num_threads(TORCH_THREADS)
# Heavy jobs may use every core but one, and live training at most half a slot's time (a refresh of d seconds
# is followed by d seconds of rest), so light requests (a prompt, a slider) keep getting through. A Streamlit
# server is one Python process: CPU-bound Python in one thread slows every other thread of it, whatever the
# core count. Visitors' own heavy requests go first and rest nothing: someone is waiting for each of them.
HEAVY_DUTY = 0.5
# One visitor (all their tabs) may start 2 s of heavy work at once, then at most half of a slot's time: enough for
# anyone clicking through settings, while a script asking for fresh pictures back to back leaves half the time to
# everyone else (serving/limiter.py). Measured with benchmarks/bench_fairness.py.
VISITOR_SHARE = 0.5
VISITOR_BURST_S = 2.0
# The last core is kept for light requests, except for one visitor in good standing at a time: a running job
# cannot be stopped, so without it someone's fresh picture waited behind a script's picture (up to 1.7 s at 28x28).
RESERVED_SLOTS = 1
HEAVY.set_slots(
    max(1, available_cores() // TORCH_THREADS - 1),
    duty=HEAVY_DUTY,
    visitor_share=VISITOR_SHARE,
    visitor_burst_s=VISITOR_BURST_S,
    reserve=RESERVED_SLOTS,
)

HEAVY_WAIT_S = 10.0  # longest a visitor's heavy request waits in line before the page says "very busy"

# Cached heavy views are computed once per server and shared by every session (st.cache_data, keyed by their
# inputs). st.cache_data caps a cache by entries, not bytes, so each cache of heavy views takes its entry count
# from a byte budget and its largest entry (`cache_entries`): a diffusion run recorded at every step is 0.16 MB
# for an 8x8 digit over 200 steps, but 12x that for a 28x28 picture.
VIEW_CACHE_BUDGET_BYTES = 10 * 2**20


def cache_entries(entry_bytes: int, budget_bytes: int = VIEW_CACHE_BUDGET_BYTES, most: int = 256) -> int:
    """How many entries of at most `entry_bytes` fit a cache's byte budget (at least 1, at most `most`)."""
    return max(1, min(most, budget_bytes // max(1, int(entry_bytes))))


def session_id() -> str | None:
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else None


class ServerBusy(RuntimeError):
    """A heavy computation did not get a slot: the wait ran out, or the visitor's previous request still runs."""

    def __init__(self, ticket: Ticket) -> None:
        super().__init__(ticket.message)
        self.reason = ticket.reason


_simulated_busy = threading.Event()


@contextmanager
def simulate_busy() -> Iterator[None]:
    """Test hook: while inside, every heavy request that needs a slot is refused as if the wait ran out."""
    _simulated_busy.set()
    try:
        yield
    finally:
        _simulated_busy.clear()


def _wait(wait_s: float | None, run: dict[str, Any]) -> float:
    """How long a heavy request may wait: once one step of this page run was refused, later ones do not wait
    again (a busy page answers within one wait, not one wait per step)."""
    if run.get("refused"):
        return 0.0
    return HEAVY_WAIT_S if wait_s is None else wait_s


def outside_a_page() -> bool:
    """Heavy work asked for outside any page run is the server's own warm-up: it waits behind every visitor's own
    request and every live-training refresh (before, it went first for 30-70 s after a start, and nobody could
    train meanwhile), and never takes the slot reserved for visitors (serving.limiter: idle work)."""
    return get_script_run_ctx() is None


@contextmanager
def heavy_slot(wait_s: float | None = None) -> Iterator[None]:
    """Hold one of the server's heavy-work slots while a cached computation really computes.

    Use it *inside* the `st.cache_data` function, so a view that is already cached costs no wait at all, and
    wrap the call in `heavy_work()`, which talks to the visitor. Shows nothing itself: elements drawn inside a
    cached function would be replayed on every later hit. Raises ServerBusy if the wait runs out, or at once
    if this visitor's previous heavy request (from any of their tabs) is still running."""
    run = _this_run() or {}
    if _simulated_busy.is_set():
        run["refused"] = True
        raise ServerBusy(Ticket(False, "busy", HEAVY.slots, 0, HEAVY.slots))
    ticket = HEAVY.try_acquire(visitor=visitor_id(), timeout=_wait(wait_s, run), idle=outside_a_page())
    if not ticket:
        run["refused"] = True
        raise ServerBusy(ticket)
    try:
        yield
    finally:
        HEAVY.release(ticket)


@contextmanager
def heavy_turn(wait_s: float | None = None) -> Iterator[None]:
    """Like `heavy_slot`, for work a page cannot do without that is drawn outside `heavy_work()` (a figure built
    from a result already computed): it waits its turn in the same line and counts towards the visitor's share,
    but if it gets no slot it runs anyway instead of failing the page."""
    try:
        ticket = HEAVY.try_acquire(
            visitor=visitor_id(), timeout=_wait(wait_s, _this_run() or {}), idle=outside_a_page()
        )
    except Exception:  # the limiter is closing: never fail the page for this
        ticket = Ticket(False, "closed", 0, 0, 1)
    try:
        yield
    finally:
        HEAVY.release(ticket)


# -- the page keeps what it showed ----------------------------------------------------------------------------
_LAST_GOOD_KEY = "_glassbox_last_good"
_run_state = threading.local()  # per script thread: which run, calls per view this run, fallbacks this run
F = TypeVar("F", bound=Callable[..., Any])


def _this_run() -> dict[str, Any] | None:
    ctx = get_script_run_ctx()
    if ctx is None:
        return None
    marker = getattr(ctx, "parallel_coordinator", None)  # a new object for every run (ctx.reset)
    state = getattr(_run_state, "state", None)
    if state is None or state["marker"] is not marker:
        state = {"marker": marker, "calls": {}, "fallbacks": 0}
        _run_state.state = state
    return state


def keep_last_good(view: F) -> F:
    """Wrap a cached heavy view the pages call: on ServerBusy, return this visitor's previous result of the same
    call on the page (the n-th call of `view` in a run; kept in session_state, one per call) instead of losing
    the page, and let the enclosing `heavy_work()` say so. With no previous result, ServerBusy propagates.

    Only at the top level of a page run: inside another cached function the error propagates, so a cache
    entry is never built from a stand-in."""
    name = f"{view.__module__}.{view.__qualname__}"

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        run = _this_run()
        if run is None or in_cached_function.get():
            return view(*args, **kwargs)
        index = run["calls"].get(name, 0)
        run["calls"][name] = index + 1
        key = f"{name}#{index}"
        try:
            result = view(*args, **kwargs)
        except ServerBusy as busy:
            kept = st.session_state.get(_LAST_GOOD_KEY, {})
            if key not in kept:
                raise
            run["fallbacks"] += 1
            run["busy_reason"] = busy.reason
            return kept[key]
        st.session_state.setdefault(_LAST_GOOD_KEY, {})[key] = result
        return result

    for attribute in ("clear",):  # st.cache_data / cache_resource helpers stay reachable (the warm-up clears)
        if hasattr(view, attribute):
            setattr(wrapper, attribute, getattr(view, attribute))
    return wrapper  # type: ignore[return-value]


def _busy_words(reason: str) -> str:
    if reason == "visitor_busy":
        return "Your previous request (in this tab or another of yours) is still running, so this step did not run."
    if reason == "over_share":
        return "You asked for a lot of heavy work in the last few seconds, so this step waited and did not run."
    return "The server is very busy right now, so this step did not run."


def _retry_key() -> str:
    """One key per heavy_work call site on a page (file and line), so several busy steps get their own buttons."""
    frame = inspect.currentframe()
    while frame is not None and frame.f_code.co_filename in (__file__, contextlib.__file__):
        frame = frame.f_back
    where = f"{os.path.basename(frame.f_code.co_filename)}_{frame.f_lineno}" if frame is not None else "page"
    return f"_glassbox_retry_{where}"


@contextmanager
def heavy_work() -> Iterator[None]:
    """Around calls to cached heavy computations (each takes its slot with `heavy_slot`).

    While every slot is taken, the visitor sees "Busy, queued" in plain words as the request waits in line
    (visitors first come, first served). If a step could not run, the page says so in its place with a "Try
    again" button and carries on with the visitor's previous result (views wrapped with `keep_last_good`);
    only when there is no previous result does the page stop there. Never freezes, never a traceback."""
    retry_key = _retry_key()
    busy = HEAVY.busy_ticket()
    notice = st.empty()
    if busy is not None:
        notice.info(busy.message, icon="⏳")
    run = _this_run() or {"fallbacks": 0}
    fallbacks_before = run["fallbacks"]
    try:
        yield
    except ServerBusy as error:
        with notice.container():
            st.warning(f"{_busy_words(error.reason)} Please try again in a few seconds.", icon="⏳")
            st.button("Try again", key=retry_key, icon="🔁")
        st.stop()
    except BaseException:
        notice.empty()
        raise
    if run["fallbacks"] > fallbacks_before:
        with notice.container():
            st.warning(
                f"{_busy_words(run.get('busy_reason', 'busy'))} What you see below is still your previous result, "
                "from your earlier settings. Please try again in a few seconds.",
                icon="⏳",
            )
            st.button("Try again", key=retry_key, icon="🔁")
    else:
        notice.empty()


LIVE_WAIT_S = 0.15  # outwait the slot's rest after this run's own previous refresh ...
LIVE_WAIT_MAX_S = 1.05  # ... which lasts as long as that refresh worked (the limiter caps it at 1 s)


def live_wait_s(last_work_s: float | None) -> float:
    """How long a live-training refresh may wait in line for the slot (sleeping, using no CPU).

    After a refresh that trained: past the rest the limiter gives the slot after it (as long as it worked, capped
    at 1 s), no longer, so a lone trainer keeps refreshing. Before the first, and after a refused one (None): as
    long as a refresh may wait at all. Live refreshes are served first come, first served, and each trainer ahead in
    line works and then rests; a trainer that had not trained yet waited only 0.15 s, was refused every time while
    the others kept the slot busy, and never trained (benchmarks/bench_training.py: with 5 trainers, one made 0
    steps in 20 s; in the 'line' part, one or more of the 5 never trained in 3 rounds of 3)."""
    if last_work_s is None:
        return LIVE_WAIT_MAX_S
    return min(LIVE_WAIT_MAX_S, max(0.0, last_work_s) + LIVE_WAIT_S)


LIVE_TURN_AFTER_MISSES = 3  # refused refreshes in a row, after which a live run queues like a visitor's own request
LIVE_TURN_WAIT_S = 2.0  # ... and waits this long in that line


def live_slot(wait_s: float, missed: int = 0) -> AbstractContextManager[Ticket]:
    """For repeating live work (a training tick): `with live_slot(0.15) as ticket:`, truthy if granted.
    A refused tick shows `ticket.message` and simply tries again on the next refresh. Live work is background
    work: it never takes a slot while a visitor's own request (generation, diffusion) is waiting.

    Except after `missed` refused refreshes in a row: on a server where visitors' own requests never stop (a
    50-visitor classroom on a slow day), background work never got a turn, and one visitor's GAN stayed at step 0
    for 30 refreshes. Such a run then queues, first come first served, with visitors' own requests, still within
    its visitor's fair share, and trains once before it goes back behind them."""
    if missed >= LIVE_TURN_AFTER_MISSES:
        return HEAVY.slot(visitor=visitor_id(), timeout=max(wait_s, LIVE_TURN_WAIT_S))
    return HEAVY.slot(visitor=visitor_id(), timeout=wait_s, background=True)

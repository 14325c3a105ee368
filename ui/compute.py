"""How the server spends its CPU: one torch thread per request, and a shared gate for heavy work.

Import this module (the ui helpers of every model page do) before any model runs.

One thread per request: measured on the 2-core server under load, 20 GAN training steps took 46-130 ms on
one thread and 0.5-7 s on two, and a full DDPM trajectory 60 ms against 1.1 s, because torch's second worker
waits for a core that another visitor is using. Many small requests share the machine better one thread each.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

import streamlit as st
import torch
from streamlit.runtime.scriptrunner import get_script_run_ctx

from serving.limiter import HEAVY, Ticket, available_cores

TORCH_THREADS = 1
torch.set_num_threads(TORCH_THREADS)
# Heavy jobs may use every core but one, and live training at most half a slot's time (a refresh of d seconds
# is followed by d seconds of rest), so light requests (a prompt, a slider) keep getting through. A Streamlit
# server is one Python process: CPU-bound Python in one thread slows every other thread of it, whatever the
# core count. Visitors' own heavy requests go first and rest nothing: someone is waiting for each of them.
HEAVY_DUTY = 0.5
HEAVY.set_slots(max(1, available_cores() // TORCH_THREADS - 1), duty=HEAVY_DUTY)


def session_id() -> str | None:
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else None


HEAVY_WAIT_S = 10.0  # longest a visitor's heavy request waits in line before the page says "very busy"


class ServerBusy(RuntimeError):
    """A heavy computation waited `HEAVY_WAIT_S` without getting a slot."""


@contextmanager
def heavy_slot(wait_s: float = HEAVY_WAIT_S) -> Iterator[None]:
    """Hold one of the server's heavy-work slots while a cached computation really computes.

    Use it *inside* the `st.cache_data` function, so a view that is already cached costs no wait at all, and
    wrap the call in `heavy_work()`, which talks to the visitor. Shows nothing itself: elements drawn inside a
    cached function would be replayed on every later hit. Raises ServerBusy if the wait runs out."""
    ticket = HEAVY.try_acquire(session=session_id(), timeout=wait_s)
    if not ticket:
        raise ServerBusy(ticket.message)
    try:
        yield
    finally:
        HEAVY.release(ticket)


@contextmanager
def heavy_work() -> Iterator[None]:
    """Around calls to cached heavy computations (each takes its slot with `heavy_slot`).

    While every slot is taken, the visitor sees "Busy, queued" in plain words as the request waits in line
    (visitors first come, first served). If it waited too long, the page says so and stops, without freezing
    or showing a traceback."""
    busy = HEAVY.busy_ticket()
    notice = st.empty()
    if busy is not None:
        notice.info(busy.message, icon="⏳")
    try:
        yield
    except ServerBusy:
        notice.empty()
        st.warning(
            "The server is very busy right now, so this step did not run. Please try again in a few seconds.",
            icon="⏳",
        )
        st.stop()
    finally:
        notice.empty()


def live_slot(wait_s: float) -> AbstractContextManager[Ticket]:
    """For repeating live work (a training tick): `with live_slot(0.15) as ticket:`, truthy if granted.
    A refused tick shows `ticket.message` and simply tries again on the next refresh. Live work is background
    work: it never takes a slot while a visitor's own request (generation, diffusion) is waiting."""
    return HEAVY.slot(session=session_id(), timeout=wait_s, background=True)

"""Streamlit side of serving/visitors.py: which visitor this run belongs to, and one page run at a time each.

`visitor_id()` keys the heavy-work limiter (ui/compute.py) and the page-run gate on the client address, so the
tabs of one person (or the sessions of one script) share one person's allowance. `take_turn()` is called by
`ui.page_setup.setup_page`, before a page draws anything: while another page run of the same visitor is still
going, this one sleeps in that visitor's line (no CPU, nobody else delayed), and the browser keeps showing the
page as it was. Measured with 8 sessions of one address asking Diffusion for fresh pictures: without the gate
each session's run built its figures at the same time as the others (py-spy: a fifth of the server's CPU was
figure building outside the heavy-work queue), and the threads fought over the one interpreter lock.

No torch import here: the landing page uses it too.
"""

from __future__ import annotations

import os
import threading
import weakref

import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.scriptrunner_utils.script_run_context import ScriptRunContext, get_run_yield_check

from serving.visitors import VisitorGate, client_address, trust_setting, visitor_key

TRUST = trust_setting()  # GLASSBOX_TRUST_FORWARDED_FOR, see serving/visitors.py
# GLASSBOX_VISITOR_RUNS: page runs one visitor may have going at once. A class behind one school router shares one
# address; their runs then take turns, which costs them little: one process runs one script's Python at a time.
VISITOR_RUNS = max(1, min(16, int(os.environ.get("GLASSBOX_VISITOR_RUNS", "1") or 1)))
TURN_WAIT_S = 10.0  # longest a page run waits for the same visitor's other runs (as long as heavy work waits)
GATE = VisitorGate(runs=VISITOR_RUNS)
_thread = threading.local()  # the run (of this script thread) that already has its turn


def session_address(session_id: str) -> str | None:
    """The visitor's address for a session (serving.visitors.client_address), None when there is no client
    (AppTest) or the connection cannot tell visitors apart."""
    if not runtime.exists():
        return None
    try:
        client = runtime.get_instance().get_client(session_id)
    except Exception:  # the runtime is stopping
        return None
    context = getattr(client, "client_context", None) if client is not None else None
    if context is None:
        return None
    return client_address(context.remote_ip, list(context.headers), TRUST)


def visitor_id(ctx: ScriptRunContext | None = None) -> str | None:
    """ "ip:<address or IPv6 /64>" for a visitor we can tell apart, else "session:<id>"; None outside a page run."""
    ctx = ctx or get_script_run_ctx()
    if ctx is None:
        return None
    key = visitor_key(session_address(ctx.session_id))
    return f"ip:{key}" if key else f"session:{ctx.session_id}"


def _this_run(ctx: ScriptRunContext) -> tuple[object, threading.Thread]:
    # Streamlit gives every run (full or fragment) a new coordinator object in ctx.reset(), and ends the script
    # thread when no rerun is pending, so "same thread, same coordinator" means "this run is still going".
    return getattr(ctx, "parallel_coordinator", None), threading.current_thread()


def take_turn(wait_s: float | None = None) -> None:
    """Wait (sleeping) until fewer than VISITOR_RUNS other page runs of this visitor are going; after `wait_s`,
    say so with a "Try again" button and stop this run. Called once per page run, before anything is drawn."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return
    marker, thread = _this_run(ctx)
    if marker is not None and getattr(_thread, "granted", None) is marker:
        return  # this run already has its turn (setup_page called twice)

    # The gate keeps this probe until the visitor's next page run, which may never come: it must not keep the run
    # alive. The context and its coordinator lead to the session's whole state (a training run, pictures), so the
    # probe holds them weakly; a run whose context is gone is over.
    ctx_ref, thread_ref = weakref.ref(ctx), weakref.ref(thread)
    marker_ref = weakref.ref(marker) if marker is not None else None

    def still_going() -> bool:
        now_ctx, now_thread = ctx_ref(), thread_ref()
        if now_ctx is None or now_thread is None or not now_thread.is_alive():
            return False
        return marker_ref is None or getattr(now_ctx, "parallel_coordinator", None) is marker_ref()

    wait_s = TURN_WAIT_S if wait_s is None else wait_s
    turn = GATE.enter(visitor_id(ctx), still_going, wait_s, interrupt=get_run_yield_check())
    if turn:
        _thread.granted = marker
        return
    st.warning(
        "Your other tabs on this site are still being worked on, so this page did not run yet. "
        "Press Try again when they are done.",
        icon="⏳",
    )
    st.button("Try again", key="_glassbox_turn_retry", icon="🔁")
    st.stop()

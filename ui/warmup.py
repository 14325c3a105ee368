"""Warm the server once, in the background, after the landing page has been shown; then tidy memory.

The landing page needs no model, so it does not import torch and starts fast. The first visitor's
landing page then starts this thread, which loads every shipped model into the shared caches and
computes each page's default view, so the first click on a page does not wait for a model to load.

Afterwards the same thread hands memory back to the system once nobody is connected: it drops cached
views (not the models), collects garbage and asks glibc to return freed memory. Streamlit's collection
after every run is off (.streamlit/config.toml: it cost ~220 ms per run) and glibc keeps freed memory
unless asked, so without this the server would stay at its peak after a class leaves.

It also forgets closed tabs once their reconnect window has passed. Streamlit keeps a closed tab's session
(its page state, a live GAN run...) in a time-limited cache so the tab can reconnect, but that cache only
drops expired entries when it is next written to or counted. After the last visitors of a class left, their
sessions stayed in memory until someone new arrived: 20 of 20 were still there in a load test here.

It also caps glibc's malloc arenas at two. glibc gives a thread that finds the others' arenas busy an arena of
its own (up to eight per core), and Streamlit runs every script run in a new thread, so after a crowd the freed
memory is scattered over many arenas that cannot be handed back. Measured with 30 visitors for 60 s: memory
after they left was 15% above idle with the default, 6% with two arenas.

Once warm, it freezes the long-lived objects out of the garbage collector's sight (`freeze_long_lived`).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from streamlit.logger import get_logger

_lock = threading.Lock()
_started = False
log = get_logger(__name__)
M_ARENA_MAX = -8  # glibc's mallopt() parameter number
MALLOC_ARENAS = 2
PREFORKED = "GLASSBOX_PREFORKED"  # set by deploy/prefork.py in the replicas it forks
BUSY_ROUNDS = 3  # times a warm-up step refused by a busy server is tried (after the other steps each time)
BUSY_PAUSE_S = 5.0


def start_once() -> None:
    """Start the warm-up thread, once per server process. Does nothing under AppTest or with GLASSBOX_WARMUP=0."""
    global _started
    from streamlit import runtime

    # AppTest also creates a runtime; its script runner module is the tell (production never imports it).
    under_apptest = "streamlit.testing.v1.local_script_runner" in sys.modules
    if not runtime.exists() or under_apptest or os.environ.get("GLASSBOX_WARMUP", "1") == "0":
        return
    with _lock:
        if _started:
            return
        _started = True
    _limit_malloc_arenas()
    threading.Thread(target=_warm, name="glassbox-warmup", daemon=True).start()


def warm_steps() -> list[Callable[[], object]]:
    """Every model loaded and each page's default view computed, in the order a first visitor needs them."""
    from explainers import lm as lmx
    from ui import diffusion, evaluation, gan, history, limits, lm, training, vae

    return [
        lm.load_gpt,
        lambda: lm.cached_next_token("The cat sat on the"),
        lambda: lm.cached_true_odds("The cat sat on the"),
        lambda: lm.cached_attention(lmx.DEFAULT_STORY_PROMPT),
        vae.default_vae_views,  # clothes, then digits: judges, models, maps, scatters
        diffusion.default_diffusion_views,
        gan.warm,  # the pictures mode's default view: the clothes replay
        training.warm,  # the replay's default view: the last kept step's story and odds
        history.warm,
        evaluation.warm,  # clothes: the cards, each model's pictures (diffusion: ~5 s), speed, the game's first round
        limits.warm,  # last: it times one output of every model (about 20 s)
    ]


def _warm() -> None:
    # Streamlit logs "missing ScriptRunContext" for cache calls made outside a page run; harmless here.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)
    steps = warm_steps()
    started = time.perf_counter()
    run_steps(steps)
    freeze_long_lived()
    log.info("Glassbox warm-up finished in %.1f s", time.perf_counter() - started)
    _tidy_when_idle()


def freeze_long_lived() -> None:
    """Collect once, then move everything alive (modules, models, torch, plotly's validators: ~260k objects)
    out of the collector's sight with `gc.freeze()`.

    Python's automatic full collection walks every tracked object. With the models loaded that took 260-300 ms
    here, with the interpreter lock held, so any visitor whose page was running then waited that long: it ran
    every few dozen page runs and set the slow tail of every page. Frozen objects are still freed when their
    last reference goes; only a reference cycle among them would be kept, and `_tidy_when_idle` unfreezes and
    collects everything once the visitors have left."""
    gc.collect()
    gc.freeze()


def run_steps(steps: list[Callable[[], object]], rounds: int = BUSY_ROUNDS, pause_s: float = BUSY_PAUSE_S) -> None:
    """Run every step once; a step refused because visitors kept every heavy slot busy (ServerBusy: the warm-up
    waits in the same line as everyone) is tried again after the others, up to `rounds` times. Visitors go
    first: whatever is still not warm then, the first visitor who needs it computes it, as without a warm-up.

    Seen under CPU load with every page opened at once right after start: a warm-up step waited its 10 s in
    line behind the visitors and was logged as failed, although nothing was wrong."""
    from ui.compute import ServerBusy

    for attempt in range(rounds):
        refused = []
        for step in steps:
            try:
                step()
            except ServerBusy:
                refused.append(step)
            except Exception as error:  # a damaged model is explained on its own page; keep warming the rest
                log.warning("warm-up step failed: %s", error)
        if not refused:
            return
        steps = refused
        if attempt + 1 < rounds:
            time.sleep(pause_s)
    log.info("Glassbox warm-up left %d step(s) to the visitors: the server stayed busy", len(steps))


def _limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> None:
    """Like MALLOC_ARENA_MAX=2 in the environment, but set by the app itself, however it was started."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to cap
        ctypes.CDLL("libc.so.6").mallopt(M_ARENA_MAX, arenas)


def _sessions() -> int | None:
    """Sessions the server still holds, including closed tabs not yet expired (disconnectedSessionTTL)."""
    try:
        from streamlit.runtime import Runtime

        return Runtime.instance()._session_mgr.num_sessions()  # no public accessor in 1.67
    except Exception:
        return None


def forget_expired_sessions(storage: Any, lock: threading.Lock | None = None) -> int:
    """Drop stored (closed-tab) sessions whose reconnect window has passed and shut each one down, which also
    releases its uploads, media files and table sources; returns how many there were.

    `storage` is Streamlit's MemorySessionStorage. Its TTL cache reaps expired entries only when written to or
    counted, and Streamlit drops them without shutting them down."""
    expire = getattr(getattr(storage, "_cache", None), "expire", None)
    if expire is None:  # another storage, or a Streamlit without the method: nothing to do
        return 0
    with lock if lock is not None else contextlib.nullcontext():
        expired = expire()
    for _, info in expired:
        with contextlib.suppress(Exception):  # one broken session must not keep the others
            info.session.shutdown()
    return len(expired)


def _forget_expired_sessions_on_event_loop(wait_s: float = 5.0) -> None:
    """Run forget_expired_sessions on Streamlit's event loop thread, where sessions are normally shut down,
    and wait for it, so that the memory it frees is there to hand back."""
    try:
        from streamlit.runtime import Runtime

        runtime = Runtime.instance()
        manager = runtime._session_mgr  # no public accessors in 1.67
        loop = runtime._get_async_objs().eventloop
    except Exception:
        return

    done = threading.Event()

    def forget() -> None:
        try:
            dropped = forget_expired_sessions(manager._session_storage, getattr(manager, "_storage_lock", None))
            if dropped:
                log.info("Glassbox: %d closed tab(s) past their reconnect window were shut down", dropped)
        except Exception as error:  # best effort: tidying must never break the server
            log.warning("could not drop expired sessions: %s", error)
        finally:
            done.set()

    with contextlib.suppress(RuntimeError):  # the loop is closing: the server is stopping anyway
        loop.call_soon_threadsafe(forget)
        done.wait(wait_s)


def _tidy_when_idle(every_s: float = 15.0) -> None:
    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc: the collector alone still frees Python objects
        trim = None
    tidy = False
    while True:
        time.sleep(every_s)
        _forget_expired_sessions_on_event_loop()
        held = _sessions()
        if held:
            tidy = True  # someone was here: tidy up once every session has been freed
        elif held == 0 and tidy:
            import streamlit as st

            st.cache_data.clear()  # computed views; the next visitor recomputes the few they need (models stay)
            from ui import vae

            vae.encoded_scatter_figure.clear()  # shared figures, rebuilt on demand
            if os.environ.get(PREFORKED) != "1":
                # A forked replica never unfreezes: a full collection would write to every object it shares
                # with the other replicas, and so copy every shared page.
                gc.unfreeze()
            freeze_long_lived()
            if trim is not None:
                trim(0)
            tidy = False
            log.info("Glassbox: every session has ended; cached views dropped and memory handed back")

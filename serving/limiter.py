"""One process-wide limiter for heavy work, so a few busy visitors cannot starve everyone else.

Heavy work is anything that keeps a core busy for more than a blink: a live-training tick, a long
generation, a full diffusion trajectory. All sessions of a Streamlit server share one Python process
(and its CPU cores), so they share one limiter:

    from serving.limiter import HEAVY

    with HEAVY.slot(session=session_id, timeout=0.05) as ticket:
        if not ticket:
            show(ticket.message)        # "Busy, queued: ..." in plain words; try again on the next tick
            return
        run.train(steps)                # at most `slots` of these run at the same time

Rules it enforces:
- at most `slots` heavy jobs run at once (default: cores divided by the threads torch uses per job, read at
  first use, so call torch.set_num_threads before the first heavy job);
- waiting is bounded by the caller's `timeout` (0 = do not wait), so a page never freezes;
- waiters are served first come, first served, so nobody waits forever behind newcomers;
- background work (a live-training refresh, which simply tries again next time) only takes a slot when no
  visitor's own request is waiting, and never holds up the line for one;
- one session holds at most `per_session` slots, so one visitor with many tabs or a fast timer
  cannot take every slot (a second request is answered "your previous step is still running").

Pure Python threading and no streamlit import, so it can be tested on its own; ui/compute.py wires it to the pages.
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


def available_cores() -> int:
    """Cores this process may use (respects taskset/cgroup CPU affinity where the OS exposes it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def default_slots() -> int:
    """How many heavy jobs may run together: cores / threads per job (torch's intra-op threads), at least 1."""
    threads = 1
    torch = sys.modules.get("torch")  # only if the app already imported it; the limiter never imports torch
    if torch is not None:
        try:
            threads = max(1, int(torch.get_num_threads()))
        except Exception:  # a stub or a broken build: fall back to one thread per job
            threads = 1
    return max(1, available_cores() // threads)


@dataclass(frozen=True)
class Ticket:
    """The answer to a request for a slot. Truthy when granted."""

    granted: bool
    reason: str  # "granted", "busy" (all slots taken, waited `timeout`), "session_busy", "closed"
    running: int  # heavy jobs running when the answer was given
    queued: int  # other requests waiting at that moment
    slots: int
    waited_s: float = 0.0
    job_id: int = 0
    session: str | None = field(default=None, repr=False)
    granted_at: float = field(default=0.0, repr=False)
    background: bool = field(default=False, repr=False)

    def __bool__(self) -> bool:
        return self.granted

    @property
    def message(self) -> str:
        """Plain words for the visitor; empty when granted."""
        if self.granted:
            return ""
        if self.reason == "session_busy":
            return "Busy: your previous step is still running. This one is queued and starts when it finishes."
        if self.reason == "closed":
            return "The server is shutting down; please reload the page in a moment."
        others = max(self.running, 1)
        people = "visitor is" if others == 1 else "visitors are"
        waiting = f", {self.queued} more waiting" if self.queued else ""
        return (
            f"Busy, queued: {others} other {people} running heavy work on this small server right now{waiting}. "
            "Yours starts as soon as a slot frees up, usually within a second."
        )


class HeavyWorkLimiter:
    """A bounded number of concurrent heavy jobs, fair between sessions, never blocking longer than asked."""

    MAX_REST_S = 1.0  # after a very long job, its slot still rests at most this long

    def __init__(
        self,
        slots: int | None = None,
        per_session: int = 1,
        duty: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if slots is not None and slots < 1:
            raise ValueError("slots must be at least 1")
        if per_session < 1:
            raise ValueError("per_session must be at least 1")
        if not 0 < duty <= 1:
            raise ValueError("duty must be in (0, 1]")
        self._slots = slots  # None: decided at first use, after the app has set torch's thread count
        self._clock = clock  # seconds; tests pass a fake clock to check the duty cycle without waiting
        self.per_session = per_session
        self._cond = threading.Condition()
        self._running = 0
        self._by_session: dict[str, int] = {}
        self._queue: deque[int] = deque()  # waiting request ids, oldest first
        self._background: set[int] = set()  # ids in the queue that yield to every other request
        self._ids = itertools.count(1)
        self._closed = False
        # Duty cycle for background work: a slot whose live refresh took d seconds rests d * (1/duty - 1) before
        # the next job, so repeating work keeps at most `duty` of each slot's time and the rest of the CPU stays
        # free for light requests. A visitor's own request (a one-off the visitor is waiting for) rests nothing.
        self.duty = duty
        self._resting_until: list[float] = []  # one deadline per resting slot

    def set_slots(self, slots: int, duty: float | None = None) -> None:
        """Choose the number of concurrent heavy jobs and their duty cycle (the app does this once at start)."""
        if slots < 1:
            raise ValueError("slots must be at least 1")
        if duty is not None and not 0 < duty <= 1:
            raise ValueError("duty must be in (0, 1]")
        with self._cond:
            self._slots = slots
            if duty is not None:
                self.duty = duty
            self._cond.notify_all()

    def _resting(self, now: float) -> int:
        self._resting_until = [t for t in self._resting_until if t > now]
        return len(self._resting_until)

    @property
    def slots(self) -> int:
        if self._slots is None:
            self._slots = default_slots()
        return self._slots

    # -- state, for a status line -------------------------------------------------------------------------
    @property
    def running(self) -> int:
        with self._cond:
            return self._running

    @property
    def queued(self) -> int:
        with self._cond:
            return len(self._queue)

    def busy_ticket(self) -> Ticket | None:
        """A refused ticket describing the line if a new request would have to wait now, else None."""
        with self._cond:
            ahead = len(self._queue) - len(self._background)  # background waiters would let it pass
            if self._running + self._resting(self._clock()) + ahead < self.slots:
                return None
            return Ticket(False, "busy", self._running, ahead, self.slots)

    def status(self) -> dict[str, int]:
        with self._cond:
            return {"slots": self.slots, "running": self._running, "queued": len(self._queue)}

    # -- acquire / release --------------------------------------------------------------------------------
    def _first_in_line(self, job: int) -> bool:
        """Requests are served oldest first, except that background requests let every other request go first."""
        if job in self._background:  # only when nobody else waits, and then oldest first
            return len(self._background) == len(self._queue) and self._queue[0] == job
        return next(j for j in self._queue if j not in self._background) == job

    def try_acquire(self, session: str | None = None, timeout: float = 0.0, background: bool = False) -> Ticket:
        """Ask for a slot, waiting at most `timeout` seconds (0: answer at once). Never raises for 'busy'.

        `background=True` marks work that can simply try again later (a live-training refresh): it is granted
        only while no other request waits, so it never delays a visitor's own request."""
        timeout = max(0.0, float(timeout))
        started = self._clock()
        with self._cond:
            if self._closed:
                return self._refuse("closed", session, 0.0)
            if session is not None and self._by_session.get(session, 0) >= self.per_session:
                return self._refuse("session_busy", session, 0.0)
            job = next(self._ids)
            self._queue.append(job)
            if background:
                self._background.add(job)
            if session is not None:  # counts waiting and running requests, so a session never blocks the line
                self._by_session[session] = self._by_session.get(session, 0) + 1
            deadline = started + timeout
            granted = False
            try:
                while True:
                    if self._closed:
                        return self._refuse("closed", session, self._clock() - started)
                    # First come, first served: only the oldest waiter may take a free slot (background last).
                    now = self._clock()
                    if self._first_in_line(job) and self._running + self._resting(now) < self.slots:
                        self._queue.remove(job)
                        self._background.discard(job)
                        self._running += 1
                        granted = True
                        waited = now - started
                        # Another slot may still be free for the next waiter in line.
                        self._cond.notify_all()
                        return Ticket(
                            True,
                            "granted",
                            self._running,
                            len(self._queue),
                            self.slots,
                            waited,
                            job,
                            session,
                            now,
                            background,
                        )
                    remaining = deadline - now
                    if remaining <= 0:
                        return self._refuse("busy", session, now - started)
                    if self._resting_until:  # wake when the first resting slot opens again
                        remaining = min(remaining, max(0.001, min(self._resting_until) - now))
                    self._cond.wait(remaining)
            finally:
                if not granted:
                    self._forget_session(session)
                if job in self._queue:  # gave up (timeout or closed): leave the line, let the next one move up
                    self._queue.remove(job)
                    self._background.discard(job)
                    self._cond.notify_all()

    def release(self, ticket: Ticket) -> None:
        """Give back a granted slot. Releasing a refused ticket does nothing."""
        if not ticket.granted:
            return
        with self._cond:
            if self._running <= 0:
                raise RuntimeError("release() without a matching acquire")
            self._running -= 1
            if self.duty < 1 and ticket.granted_at and ticket.background:
                now = self._clock()
                rest = min(self.MAX_REST_S, (now - ticket.granted_at) * (1 / self.duty - 1))
                if rest > 0:
                    self._resting_until.append(now + rest)
            self._forget_session(ticket.session)
            self._cond.notify_all()

    @contextmanager
    def slot(self, session: str | None = None, timeout: float = 0.0, background: bool = False) -> Iterator[Ticket]:
        """`with limiter.slot(...) as ticket:` yields the ticket (check it!) and releases a granted slot on exit."""
        ticket = self.try_acquire(session=session, timeout=timeout, background=background)
        try:
            yield ticket
        finally:
            self.release(ticket)

    def close(self) -> None:
        """Refuse new work and wake every waiter (server shutdown, tests)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    # -- helpers ------------------------------------------------------------------------------------------
    def _forget_session(self, session: str | None) -> None:
        if session is None:
            return
        left = self._by_session.get(session, 0) - 1
        if left > 0:
            self._by_session[session] = left
        else:
            self._by_session.pop(session, None)

    def _refuse(self, reason: str, session: str | None, waited: float) -> Ticket:
        # The caller is still in the queue while we count; report the others only.
        others = max(0, len(self._queue) - 1) if reason == "busy" else len(self._queue)
        return Ticket(False, reason, self._running, others, self.slots, waited, 0, session)


# The one limiter every page shares (all sessions of a server live in one process).
HEAVY = HeavyWorkLimiter()

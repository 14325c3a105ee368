"""One process-wide limiter for heavy work, so a few busy visitors cannot starve everyone else.

Heavy work is anything that keeps a core busy for more than a blink: a live-training tick, a long
generation, a full diffusion trajectory. All sessions of a Streamlit server share one Python process
(and its CPU cores), so they share one limiter:

    from serving.limiter import HEAVY

    with HEAVY.slot(visitor=visitor_key, timeout=0.05) as ticket:
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
- a visitor who has kept a slot busy for a while gets at most `visitor_share` of a slot's time from then on
  (a token bucket: `visitor_burst_s` seconds of heavy work at once, refilled at `visitor_share` seconds per
  second). Their next request rests in line, sleeping, while everyone else's go past it; an occasional
  visitor never notices. Without it, one script asking for fresh pictures back to back kept the one slot and a
  whole interpreter's worth of Python busy, and every other visitor's light requests waited for the GIL;
- a visitor in good standing (at least half their burst left) never waits behind one who is not: `reserve`
  extra slots take only such visitors' own requests, never background work. A job cannot be stopped once it runs,
  so without them one script's 1.7 s picture in the only slot made every other visitor's picture wait for it;
- one visitor holds at most `per_visitor` requests (running or waiting), so one person with many tabs, a script
  with many sessions or a fast timer cannot take every slot or fill the line: their extra request is refused at
  once ("your previous request is still running"). A visitor is whatever key the caller passes: ui/compute.py
  passes the client address (serving/visitors.py), so all tabs of one person share one allowance.

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
    reason: str  # "granted", "busy" (all slots taken, waited `timeout`), "visitor_busy", "over_share", "closed"
    running: int  # heavy jobs running when the answer was given
    queued: int  # other requests waiting at that moment
    slots: int
    waited_s: float = 0.0
    job_id: int = 0
    visitor: str | None = field(default=None, repr=False)
    granted_at: float = field(default=0.0, repr=False)
    background: bool = field(default=False, repr=False)

    def __bool__(self) -> bool:
        return self.granted

    @property
    def message(self) -> str:
        """Plain words for the visitor; empty when granted."""
        if self.granted:
            return ""
        if self.reason == "visitor_busy":
            return (
                "Your previous request (in this tab or another of yours) is still running, so this one did not "
                "start. Try again when it is done."
            )
        if self.reason == "over_share":
            return (
                "You asked for a lot of heavy work in the last few seconds, so this request waited for the others "
                "on this server and did not start. Try again in a few seconds."
            )
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
    """A bounded number of concurrent heavy jobs, fair between visitors, never blocking longer than asked."""

    MAX_REST_S = 1.0  # after a very long job, its slot still rests at most this long

    def __init__(
        self,
        slots: int | None = None,
        per_visitor: int = 1,
        duty: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        visitor_share: float = 1.0,
        visitor_burst_s: float = 2.0,
        reserve: int = 0,
    ) -> None:
        if slots is not None and slots < 1:
            raise ValueError("slots must be at least 1")
        if per_visitor < 1:
            raise ValueError("per_visitor must be at least 1")
        if not 0 < duty <= 1:
            raise ValueError("duty must be in (0, 1]")
        if not 0 < visitor_share <= 1 or visitor_burst_s <= 0:
            raise ValueError("visitor_share must be in (0, 1] and visitor_burst_s positive")
        if reserve < 0:
            raise ValueError("reserve must be at least 0")
        self._slots = slots  # None: decided at first use, after the app has set torch's thread count
        self._clock = clock  # seconds; tests pass a fake clock to check the duty cycle without waiting
        self.per_visitor = per_visitor
        self._cond = threading.Condition()
        self._running = 0
        self._by_visitor: dict[str, int] = {}
        self._queue: deque[int] = deque()  # waiting request ids, oldest first
        self._background: set[int] = set()  # ids in the queue that yield to every other request
        self._idle: set[int] = set()  # background ids that also yield to all other background work (warm-up)
        self._ids = itertools.count(1)
        self._closed = False
        # Duty cycle for background work: a slot whose live refresh took d seconds rests d * (1/duty - 1) before
        # the next job, so repeating work keeps at most `duty` of each slot's time and the rest of the CPU stays
        # free for light requests. A visitor's own request (a one-off the visitor is waiting for) rests nothing.
        self.duty = duty
        self._resting_until: list[float] = []  # one deadline per resting slot
        # Each visitor's share (1.0: no limit): a token bucket of heavy seconds, `visitor_burst_s` deep, refilled
        # at `visitor_share` seconds per second. A job may start while its visitor's balance is positive and is
        # charged its duration when it ends, so back-to-back work settles at `visitor_share` of a slot.
        self.visitor_share = visitor_share
        self.visitor_burst_s = visitor_burst_s
        self._credit: dict[str, tuple[float, float]] = {}  # visitor -> (balance in seconds, when)
        self._job_visitor: dict[int, str | None] = {}  # waiting job id -> its visitor
        self.reserve = reserve  # extra slots for visitors in good standing (their own requests only)

    def set_slots(
        self,
        slots: int,
        duty: float | None = None,
        visitor_share: float | None = None,
        visitor_burst_s: float | None = None,
        reserve: int | None = None,
    ) -> None:
        """Choose the number of concurrent heavy jobs, their duty cycle, each visitor's share and the slots reserved
        for visitors in good standing (the app does this once at start)."""
        if slots < 1:
            raise ValueError("slots must be at least 1")
        if duty is not None and not 0 < duty <= 1:
            raise ValueError("duty must be in (0, 1]")
        if visitor_share is not None and not 0 < visitor_share <= 1:
            raise ValueError("visitor_share must be in (0, 1]")
        if visitor_burst_s is not None and visitor_burst_s <= 0:
            raise ValueError("visitor_burst_s must be positive")
        if reserve is not None and reserve < 0:
            raise ValueError("reserve must be at least 0")
        with self._cond:
            self._slots = slots
            if duty is not None:
                self.duty = duty
            if visitor_share is not None:
                self.visitor_share = visitor_share
            if visitor_burst_s is not None:
                self.visitor_burst_s = visitor_burst_s
            if reserve is not None:
                self.reserve = reserve
            self._cond.notify_all()

    # -- each visitor's share -----------------------------------------------------------------------------
    def balance(self, visitor: str | None, now: float | None = None) -> float:
        """Seconds of heavy work this visitor may still start without resting (inf when shares are off)."""
        if visitor is None or self.visitor_share >= 1:
            return float("inf")
        now = self._clock() if now is None else now
        held, at = self._credit.get(visitor, (self.visitor_burst_s, now))
        return min(self.visitor_burst_s, held + (now - at) * self.visitor_share)

    def _charge(self, visitor: str | None, seconds: float, now: float) -> None:
        if visitor is None or self.visitor_share >= 1:
            return
        left = self.balance(visitor, now) - max(0.0, seconds)
        self._credit[visitor] = (left, now)
        # Forget visitors whose bucket is full again, so the table only holds recent heavy users.
        full = [
            v
            for v, (held, at) in self._credit.items()
            if held + (now - at) * self.visitor_share >= self.visitor_burst_s
        ]
        for v in full:
            del self._credit[v]

    def _eligible(self, job: int, now: float) -> bool:
        return self.balance(self._job_visitor.get(job), now) > 0

    def _in_good_standing(self, job: int, now: float) -> bool:
        """May this waiting job use a reserved slot: a visitor's own request with at least half a burst left."""
        if job in self._background:
            return False
        return self.balance(self._job_visitor.get(job), now) >= self.visitor_burst_s / 2

    def _rest_left(self, job: int, now: float) -> float:
        """Seconds until this job's visitor may start again (0 when it may now)."""
        balance = self.balance(self._job_visitor.get(job), now)
        return 0.0 if balance > 0 else -balance / self.visitor_share + 1e-3

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
    def _first_in_line(self, job: int, now: float) -> bool:
        """Requests are served oldest first, except that background requests let every other request go first,
        and a request whose visitor is resting (over their share) lets everyone else go past."""
        if not self._eligible(job, now):
            return False
        ready = [j for j in self._queue if self._eligible(j, now)]
        foreground = [j for j in ready if j not in self._background]
        if job in self._idle:  # only when no other request at all could go
            return len(ready) == len([j for j in ready if j in self._idle]) and ready[0] == job
        if job in self._background:  # only when no visitor's own request could go, and then oldest first
            return not foreground and [j for j in ready if j not in self._idle][0] == job
        return foreground[0] == job

    def _may_start(self, job: int, now: float) -> bool:
        """A free ordinary slot goes to the first in line; a free reserved slot to the first in good standing."""
        used = self._running + self._resting(now)
        if used < self.slots and self._first_in_line(job, now):
            return True
        if used >= self.slots + self.reserve or not self._in_good_standing(job, now):
            return False
        return next(j for j in self._queue if self._in_good_standing(j, now)) == job

    def try_acquire(
        self, visitor: str | None = None, timeout: float = 0.0, background: bool = False, idle: bool = False
    ) -> Ticket:
        """Ask for a slot, waiting at most `timeout` seconds (0: answer at once). Never raises for 'busy'.

        `background=True` marks work that can simply try again later (a live-training refresh): it is granted
        only while no other request waits, so it never delays a visitor's own request. `idle=True` (implies
        background) is work nobody waits for (the server's warm-up): it also lets every other background request
        go first."""
        background = background or idle
        timeout = max(0.0, float(timeout))
        started = self._clock()
        with self._cond:
            if self._closed:
                return self._refuse("closed", visitor, 0.0)
            if visitor is not None and self._by_visitor.get(visitor, 0) >= self.per_visitor:
                return self._refuse("visitor_busy", visitor, 0.0)
            job = next(self._ids)
            self._queue.append(job)
            self._job_visitor[job] = visitor
            if background:
                self._background.add(job)
            if idle:
                self._idle.add(job)
            if visitor is not None:  # counts waiting and running requests, so a visitor never fills the line
                self._by_visitor[visitor] = self._by_visitor.get(visitor, 0) + 1
            deadline = started + timeout
            granted = False
            try:
                while True:
                    if self._closed:
                        return self._refuse("closed", visitor, self._clock() - started)
                    # First come, first served: only the oldest waiter may take a free slot (background last).
                    now = self._clock()
                    if self._may_start(job, now):
                        self._queue.remove(job)
                        self._background.discard(job)
                        self._idle.discard(job)
                        self._job_visitor.pop(job, None)
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
                            visitor,
                            now,
                            background,
                        )
                    remaining = deadline - now
                    if remaining <= 0:
                        reason = "busy" if self._eligible(job, now) else "over_share"
                        return self._refuse(reason, visitor, now - started)
                    if self._resting_until:  # wake when the first resting slot opens again
                        remaining = min(remaining, max(0.001, min(self._resting_until) - now))
                    rest = self._rest_left(job, now)
                    if rest > 0:  # wake when this visitor's share allows a start again
                        remaining = min(remaining, rest)
                    self._cond.wait(remaining)
            finally:
                if not granted:
                    self._forget_visitor(visitor)
                if job in self._queue:  # gave up (timeout or closed): leave the line, let the next one move up
                    self._queue.remove(job)
                    self._background.discard(job)
                    self._idle.discard(job)
                    self._cond.notify_all()
                self._job_visitor.pop(job, None)

    def release(self, ticket: Ticket) -> None:
        """Give back a granted slot. Releasing a refused ticket does nothing."""
        if not ticket.granted:
            return
        with self._cond:
            if self._running <= 0:
                raise RuntimeError("release() without a matching acquire")
            self._running -= 1
            now = self._clock()
            self._charge(ticket.visitor, now - ticket.granted_at, now)
            if self.duty < 1 and ticket.granted_at and ticket.background:
                rest = min(self.MAX_REST_S, (now - ticket.granted_at) * (1 / self.duty - 1))
                if rest > 0:
                    self._resting_until.append(now + rest)
            self._forget_visitor(ticket.visitor)
            self._cond.notify_all()

    @contextmanager
    def slot(self, visitor: str | None = None, timeout: float = 0.0, background: bool = False) -> Iterator[Ticket]:
        """`with limiter.slot(...) as ticket:` yields the ticket (check it!) and releases a granted slot on exit."""
        ticket = self.try_acquire(visitor=visitor, timeout=timeout, background=background)
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
    def _forget_visitor(self, visitor: str | None) -> None:
        if visitor is None:
            return
        left = self._by_visitor.get(visitor, 0) - 1
        if left > 0:
            self._by_visitor[visitor] = left
        else:
            self._by_visitor.pop(visitor, None)

    def in_flight(self, visitor: str) -> int:
        """This visitor's requests running or waiting now."""
        with self._cond:
            return self._by_visitor.get(visitor, 0)

    def _refuse(self, reason: str, visitor: str | None, waited: float) -> Ticket:
        # The caller is still in the queue while we count; report the others only.
        others = max(0, len(self._queue) - 1) if reason in ("busy", "over_share") else len(self._queue)
        return Ticket(False, reason, self._running, others, self.slots, waited, 0, visitor)


# The one limiter every page shares (all sessions of a server live in one process).
HEAVY = HeavyWorkLimiter()

"""The heavy-work limiter: bounded concurrency, non-blocking answers in plain words, fairness between visitors.

No test asserts on wall-clock time: threads coordinate by waiting for a condition (`wait_until`), the duty
cycle is checked on a fake clock, and timeouts are only generous safety nets.
"""

from __future__ import annotations

import threading

import pytest

from serving.limiter import HEAVY, HeavyWorkLimiter, Ticket, default_slots
from tests.conftest import wait_until

SAFETY = 10.0  # seconds; only hit if something is broken


def test_default_is_at_least_one_slot_and_module_limiter_exists() -> None:
    assert default_slots() >= 1
    assert HEAVY.slots >= 1
    assert HeavyWorkLimiter().slots == default_slots()


def test_rejects_nonsense_configuration() -> None:
    with pytest.raises(ValueError):
        HeavyWorkLimiter(slots=0)
    with pytest.raises(ValueError):
        HeavyWorkLimiter(slots=1, per_visitor=0)


def test_grants_up_to_slots_then_answers_busy_without_blocking() -> None:
    limiter = HeavyWorkLimiter(slots=2)
    first, second = limiter.try_acquire(), limiter.try_acquire()
    assert first and second
    third = limiter.try_acquire(timeout=0)
    assert not third and third.reason == "busy"
    assert third.running == 2
    assert "Busy, queued" in third.message and "2 other visitors" in third.message
    assert "<" not in third.message  # plain words, no markup
    limiter.release(first)
    fourth = limiter.try_acquire()
    assert fourth
    for ticket in (second, fourth):
        limiter.release(ticket)
    assert limiter.status() == {"slots": 2, "running": 0, "queued": 0}


def test_context_manager_releases_even_on_error_and_yields_refusals() -> None:
    limiter = HeavyWorkLimiter(slots=1)
    with pytest.raises(RuntimeError), limiter.slot() as ticket:
        assert ticket
        raise RuntimeError("the heavy job failed")
    assert limiter.running == 0
    with limiter.slot() as held, limiter.slot() as refused:
        assert held and not refused
        assert refused.message
    assert limiter.running == 0


def test_release_of_refused_ticket_is_harmless_and_double_release_is_caught() -> None:
    limiter = HeavyWorkLimiter(slots=1)
    ticket = limiter.try_acquire()
    limiter.release(limiter.try_acquire())  # refused: no-op
    assert limiter.running == 1
    limiter.release(ticket)
    with pytest.raises(RuntimeError):
        limiter.release(ticket)


def test_concurrency_never_exceeds_slots() -> None:
    limiter = HeavyWorkLimiter(slots=2)
    lock = threading.Lock()
    active = 0
    peak = 0
    granted = 0
    start = threading.Barrier(8)

    def worker() -> None:
        nonlocal active, peak, granted
        start.wait(timeout=SAFETY)
        for _ in range(50):
            with limiter.slot(timeout=SAFETY) as ticket:
                if not ticket:
                    continue
                with lock:
                    active += 1
                    granted += 1
                    peak = max(peak, active)
                with lock:
                    active -= 1

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=SAFETY * 3)
    assert not any(t.is_alive() for t in threads)
    assert 1 <= peak <= 2
    assert granted == 8 * 50  # with a generous timeout everyone gets through
    assert limiter.status()["running"] == 0 and limiter.status()["queued"] == 0


def test_a_waiter_gets_the_slot_when_it_frees_up() -> None:
    limiter = HeavyWorkLimiter(slots=1)
    held = limiter.try_acquire()
    result: list[Ticket] = []
    waiting = threading.Thread(target=lambda: result.append(limiter.try_acquire(timeout=SAFETY)))
    waiting.start()
    wait_until(lambda: limiter.queued == 1)
    assert not limiter.try_acquire(timeout=0)  # a newcomer does not jump the line
    limiter.release(held)
    waiting.join(timeout=SAFETY)
    assert result and result[0].granted
    limiter.release(result[0])


def test_waiters_are_served_first_come_first_served() -> None:
    limiter = HeavyWorkLimiter(slots=1)
    held = limiter.try_acquire()
    order: list[int] = []
    order_lock = threading.Lock()
    threads = []
    for index in range(4):

        def wait(i: int = index) -> None:
            ticket = limiter.try_acquire(timeout=SAFETY)
            with order_lock:
                order.append(i)
            limiter.release(ticket)

        thread = threading.Thread(target=wait)
        thread.start()
        threads.append(thread)
        wait_until(lambda n=index + 1: limiter.queued == n)  # enqueue in a known order
    limiter.release(held)
    for thread in threads:
        thread.join(timeout=SAFETY)
    assert order == [0, 1, 2, 3]


def test_timed_out_waiter_leaves_the_line() -> None:
    limiter = HeavyWorkLimiter(slots=1)
    held = limiter.try_acquire()
    ticket = limiter.try_acquire(timeout=0.05)
    assert not ticket and ticket.reason == "busy"
    assert limiter.queued == 0
    limiter.release(held)
    assert limiter.try_acquire()


def test_one_visitor_cannot_take_every_slot() -> None:
    limiter = HeavyWorkLimiter(slots=3, per_visitor=1)
    mine = limiter.try_acquire(visitor="alice")
    assert mine
    again = limiter.try_acquire(visitor="alice", timeout=SAFETY)  # answered at once, not after the timeout
    assert not again and again.reason == "visitor_busy"
    assert "previous request" in again.message
    other = limiter.try_acquire(visitor="bob")
    assert other  # the others still get a slot
    limiter.release(mine)
    assert limiter.try_acquire(visitor="alice")


def test_a_waiting_visitor_does_not_block_other_visitors() -> None:
    limiter = HeavyWorkLimiter(slots=1, per_visitor=1)
    held = limiter.try_acquire(visitor="alice")
    results: dict[str, Ticket] = {}
    bob = threading.Thread(target=lambda: results.setdefault("bob", limiter.try_acquire("bob", timeout=SAFETY)))
    bob.start()
    wait_until(lambda: limiter.queued == 1)
    # alice is already running and waiting would exceed her share: refused at once, bob keeps his place.
    assert limiter.try_acquire("alice", timeout=SAFETY).reason == "visitor_busy"
    limiter.release(held)
    bob.join(timeout=SAFETY)
    assert results["bob"].granted
    limiter.release(results["bob"])


def test_close_wakes_waiters_with_a_clear_answer() -> None:
    limiter = HeavyWorkLimiter(slots=1)
    limiter.try_acquire()
    result: list[Ticket] = []
    waiter = threading.Thread(target=lambda: result.append(limiter.try_acquire(timeout=SAFETY * 3)))
    waiter.start()
    wait_until(lambda: limiter.queued == 1)
    limiter.close()
    waiter.join(timeout=SAFETY)
    assert result and result[0].reason == "closed" and result[0].message
    assert limiter.try_acquire().reason == "closed"


def test_set_slots_changes_capacity_and_rejects_zero() -> None:
    limiter = HeavyWorkLimiter(slots=1)
    first = limiter.try_acquire()
    assert first and not limiter.try_acquire()
    limiter.set_slots(2)
    second = limiter.try_acquire()
    assert second
    limiter.release(first)
    limiter.release(second)
    with pytest.raises(ValueError):
        limiter.set_slots(0)


class FakeClock:
    """Seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_duty_cycle_rests_a_slot_after_each_background_job() -> None:
    clock = FakeClock()
    limiter = HeavyWorkLimiter(slots=1, duty=0.5, clock=clock)
    visitor = limiter.try_acquire()
    clock.now += 0.05
    limiter.release(visitor)
    assert limiter.try_acquire(timeout=0.0)  # a visitor's own request leaves no rest behind
    limiter = HeavyWorkLimiter(slots=1, duty=0.5, clock=clock)
    ticket = limiter.try_acquire(background=True)
    clock.now += 0.05  # a 50 ms live refresh ...
    limiter.release(ticket)
    assert not limiter.try_acquire(timeout=0.0)  # ... leaves the slot resting 50 ms more (duty 0.5)
    assert limiter.busy_ticket() is not None
    clock.now += 0.049
    assert not limiter.try_acquire(timeout=0.0)
    clock.now += 0.002
    again = limiter.try_acquire(timeout=0.0)
    assert again
    limiter.release(again)
    with pytest.raises(ValueError):
        HeavyWorkLimiter(duty=0)


def test_a_long_background_job_rests_at_most_the_cap() -> None:
    clock = FakeClock()
    limiter = HeavyWorkLimiter(slots=1, duty=0.1, clock=clock)
    ticket = limiter.try_acquire(background=True)
    clock.now += 60  # nine minutes of rest by the duty cycle, capped
    limiter.release(ticket)
    clock.now += HeavyWorkLimiter.MAX_REST_S - 0.01
    assert not limiter.try_acquire(timeout=0.0)
    clock.now += 0.02
    assert limiter.try_acquire(timeout=0.0)


def test_background_work_lets_visitors_requests_go_first() -> None:
    limiter = HeavyWorkLimiter(slots=1)
    held = limiter.try_acquire()
    order: list[str] = []

    def ask(name: str, background: bool) -> None:
        ticket = limiter.try_acquire(timeout=SAFETY, background=background)
        order.append(name)
        limiter.release(ticket)

    live = threading.Thread(target=ask, args=("live refresh", True))
    live.start()
    wait_until(lambda: limiter.queued == 1)  # the live refresh is first in line...
    visitor = threading.Thread(target=ask, args=("visitor", False))
    visitor.start()
    wait_until(lambda: limiter.queued == 2)
    limiter.release(held)
    live.join(SAFETY)
    visitor.join(SAFETY)
    assert order == ["visitor", "live refresh"]  # ...but the visitor's request goes first


def test_background_work_runs_when_nobody_else_waits() -> None:
    limiter = HeavyWorkLimiter(slots=1)
    ticket = limiter.try_acquire(background=True)
    assert ticket
    limiter.release(ticket)


def test_a_visitor_over_their_share_rests_while_others_go_past() -> None:
    """Token bucket per visitor: 1 s of heavy work at once, then half a slot's time (fake clock, no waiting)."""
    clock = FakeClock()
    limiter = HeavyWorkLimiter(slots=1, clock=clock, visitor_share=0.5, visitor_burst_s=1.0)
    assert limiter.balance("ip:10.0.0.66") == 1.0 and limiter.balance(None) == float("inf")
    for seconds, left in ((0.4, 0.6), (0.8, 0.2), (0.6, -0.1)):  # left = min(1, before + 0.5 * job) - job
        job = limiter.try_acquire("ip:10.0.0.66")
        assert job
        clock.now += seconds
        limiter.release(job)
        assert limiter.balance("ip:10.0.0.66") == pytest.approx(left)
    refused = limiter.try_acquire("ip:10.0.0.66", timeout=0)  # -0.1 s: rests 0.2 s at half a slot's refill
    assert not refused and refused.reason == "over_share"
    assert "a lot of heavy work" in refused.message
    other = limiter.try_acquire("ip:10.0.0.7", timeout=0)  # another visitor is not held up at all
    assert other
    limiter.release(other)
    clock.now += 0.19
    assert limiter.try_acquire("ip:10.0.0.66", timeout=0).reason == "over_share"
    clock.now += 0.02
    again = limiter.try_acquire("ip:10.0.0.66", timeout=0)
    assert again  # rested enough
    limiter.release(again)
    with pytest.raises(ValueError):
        HeavyWorkLimiter(visitor_share=0)


def test_a_resting_visitor_does_not_block_the_line() -> None:
    clock = FakeClock()
    limiter = HeavyWorkLimiter(slots=1, clock=clock, visitor_share=0.5, visitor_burst_s=0.1)
    held = limiter.try_acquire("ip:10.0.0.7")
    hog = limiter.try_acquire("ip:10.0.0.66")  # refused: slot taken; the bucket is still full
    assert not hog
    limiter.release(held)
    hog = limiter.try_acquire("ip:10.0.0.66")
    clock.now += 5.0  # a long job drains the bucket far below zero: 10 s of rest
    limiter.release(hog)
    results: dict[str, Ticket] = {}
    waiter = threading.Thread(
        target=lambda: results.setdefault("hog", limiter.try_acquire("ip:10.0.0.66", timeout=SAFETY))
    )
    waiter.start()
    wait_until(lambda: limiter.queued == 1)  # first in line, but resting...
    other = limiter.try_acquire("ip:10.0.0.7", timeout=0)
    assert other  # ...so a newcomer from another address goes past it at once
    clock.now += 20.0  # rested; the release below wakes the waiter, which now takes the slot
    limiter.release(other)
    waiter.join(timeout=SAFETY + 1)
    assert results["hog"].granted
    limiter.release(results["hog"])


def test_the_share_table_forgets_visitors_whose_bucket_is_full_again() -> None:
    clock = FakeClock()
    limiter = HeavyWorkLimiter(slots=1, clock=clock, visitor_share=0.5, visitor_burst_s=1.0)
    for i in range(50):
        ticket = limiter.try_acquire(f"ip:10.0.1.{i}")
        clock.now += 0.1
        limiter.release(ticket)
    clock.now += 10.0
    ticket = limiter.try_acquire("ip:10.0.2.1")
    limiter.release(ticket)
    assert len(limiter._credit) <= 1  # noqa: SLF001 - the table itself is what must stay small


def test_tabs_of_one_visitor_share_one_allowance() -> None:
    """Two tabs (sessions) of one address are one visitor: the second tab's request is refused at once."""
    limiter = HeavyWorkLimiter(slots=2, per_visitor=1)
    tab_one = limiter.try_acquire("ip:10.0.0.66", timeout=SAFETY)
    tab_two = limiter.try_acquire("ip:10.0.0.66", timeout=SAFETY)
    assert tab_one and not tab_two and tab_two.reason == "visitor_busy"
    assert "another of yours" in tab_two.message
    neighbour = limiter.try_acquire("ip:10.0.0.7")
    assert neighbour
    for ticket in (tab_one, neighbour):
        limiter.release(ticket)


def test_a_reserved_slot_takes_a_visitor_in_good_standing_past_a_heavy_user() -> None:
    """One script keeps the only ordinary slot busy; a visitor with a full bucket starts at once on the reserve."""
    clock = FakeClock()
    limiter = HeavyWorkLimiter(slots=1, clock=clock, visitor_share=0.5, visitor_burst_s=2.0, reserve=1)
    script = limiter.try_acquire("ip:10.0.0.66")
    assert script
    clock.now += 1.7
    limiter.release(script)  # balance 2 - 1.7 = 0.3: may start again, but below half a burst
    script = limiter.try_acquire("ip:10.0.0.66")
    assert script and limiter.balance("ip:10.0.0.66") < 1.0
    visitor = limiter.try_acquire("ip:10.0.0.7", timeout=0)  # the ordinary slot is taken; the reserve is not
    assert visitor and visitor.running == 2
    third = limiter.try_acquire("ip:10.0.0.8", timeout=0)  # one reserved slot, now in use
    assert not third and third.reason == "busy"
    limiter.release(visitor)
    limiter.release(script)


def test_the_reserve_is_not_for_heavy_users_or_background_work() -> None:
    clock = FakeClock()
    limiter = HeavyWorkLimiter(slots=1, clock=clock, visitor_share=0.5, visitor_burst_s=2.0, reserve=1)
    first = limiter.try_acquire("ip:10.0.0.7")
    clock.now += 1.5
    limiter.release(first)  # 2 - 1.5 = 0.5 left
    held = limiter.try_acquire("ip:10.0.0.9")  # someone else takes the ordinary slot
    clock.now += 0.1
    assert limiter.balance("ip:10.0.0.7") < 1.0
    assert not limiter.try_acquire("ip:10.0.0.7", timeout=0)  # below half a burst: waits for an ordinary slot
    assert not limiter.try_acquire("ip:10.0.0.5", timeout=0, background=True)  # a live-training tick: never
    own = limiter.try_acquire("ip:10.0.0.5", timeout=0)  # that visitor's own request: yes
    assert own
    limiter.release(own)
    limiter.release(held)
    with pytest.raises(ValueError):
        HeavyWorkLimiter(reserve=-1)


def test_a_waiting_heavy_user_does_not_hold_the_reserve_line() -> None:
    """The heavy user waits first in line for the ordinary slot; a newcomer in good standing still takes the
    reserve at once (first in line among those who may use it)."""
    clock = FakeClock()
    limiter = HeavyWorkLimiter(slots=1, clock=clock, visitor_share=0.5, visitor_burst_s=2.0, reserve=1)
    drain = limiter.try_acquire("ip:10.0.0.66")
    clock.now += 1.8
    limiter.release(drain)  # 2 - 1.8 = 0.2 left: may start, not in good standing
    held = limiter.try_acquire("ip:10.0.0.9")
    results: dict[str, Ticket] = {}
    waiter = threading.Thread(
        target=lambda: results.setdefault("hog", limiter.try_acquire("ip:10.0.0.66", timeout=SAFETY))
    )
    waiter.start()
    wait_until(lambda: limiter.queued == 1)
    newcomer = limiter.try_acquire("ip:10.0.0.7", timeout=0)
    assert newcomer and newcomer.running == 2
    limiter.release(newcomer)
    limiter.release(held)  # the ordinary slot frees: the heavy user, first in line, takes it
    waiter.join(timeout=SAFETY + 1)
    assert results["hog"].granted
    limiter.release(results["hog"])


def test_idle_work_lets_every_other_request_go_first() -> None:
    """The warm-up (idle) waits behind live-training refreshes (background) as well as visitors' own requests."""
    limiter = HeavyWorkLimiter(slots=1)
    held = limiter.try_acquire("ip:10.0.0.9")
    order: list[str] = []

    def ask(name: str, **kwargs) -> None:
        ticket = limiter.try_acquire(timeout=SAFETY, **kwargs)
        order.append(name)
        limiter.release(ticket)

    warm = threading.Thread(target=ask, args=("warm-up",), kwargs={"idle": True})
    warm.start()
    wait_until(lambda: limiter.queued == 1)
    live = threading.Thread(target=ask, args=("live",), kwargs={"visitor": "ip:10.0.0.5", "background": True})
    live.start()
    wait_until(lambda: limiter.queued == 2)
    limiter.release(held)
    warm.join(timeout=SAFETY + 1)
    live.join(timeout=SAFETY + 1)
    assert order == ["live", "warm-up"]

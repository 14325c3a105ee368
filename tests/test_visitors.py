"""Who is a visitor (client address, trusting X-Forwarded-For only from our proxy) and one visitor's page runs.

No wall-clock assertions: threads coordinate through events and the gate's own state; timeouts are safety nets.
"""

from __future__ import annotations

import threading

import pytest

from serving.visitors import (
    DEFAULT_TRUST,
    TRUST_SETTING,
    VisitorGate,
    client_address,
    peer_is_trusted,
    trust_setting,
    visitor_key,
)
from tests.conftest import wait_until

SAFETY = 10.0
XFF = "X-Forwarded-For"


def test_behind_our_proxy_the_header_names_the_visitor() -> None:
    # nginx on the same host (loopback) or in a container on a private network; it sets exactly one address.
    assert client_address("127.0.0.1", [(XFF, "203.0.113.9")]) == "203.0.113.9"
    assert client_address("172.18.0.3", [("x-forwarded-for", "203.0.113.9")]) == "203.0.113.9"
    assert client_address("::1", [(XFF, "2001:db8::7")]) == "2001:db8::7"


def test_a_direct_visitor_cannot_claim_another_address() -> None:
    assert client_address("93.184.216.34", [(XFF, "10.0.0.1")]) == "93.184.216.34"
    assert client_address("93.184.216.34", []) == "93.184.216.34"


def test_after_a_chain_of_proxies_the_last_entry_counts() -> None:
    # A client-sent value comes first; the address our proxy saw is appended last.
    assert client_address("127.0.0.1", [(XFF, "6.6.6.6, 203.0.113.9")]) == "203.0.113.9"
    assert client_address("127.0.0.1", [(XFF, "6.6.6.6"), (XFF, "203.0.113.9")]) == "203.0.113.9"


def test_a_local_connection_without_the_header_is_nobody_in_particular() -> None:
    # A developer's browser, a test, or an unknown proxy: None, so each session counts on its own instead of
    # everyone behind it becoming one visitor.
    assert client_address("127.0.0.1", []) is None
    assert client_address("10.1.2.3", [(XFF, "not an address")]) is None
    assert client_address(None, [(XFF, "203.0.113.9")]) is None


def test_trust_setting_narrows_who_may_name_the_visitor() -> None:
    assert trust_setting({}) == DEFAULT_TRUST == "private"
    assert trust_setting({TRUST_SETTING: " Loopback "}) == "loopback"
    assert trust_setting({TRUST_SETTING: "sometimes"}) == "never"  # unknown: the safe choice
    assert peer_is_trusted("127.0.0.1", "loopback") and not peer_is_trusted("172.18.0.3", "loopback")
    assert client_address("172.18.0.3", [(XFF, "203.0.113.9")], "loopback") == "172.18.0.3"
    assert client_address("127.0.0.1", [(XFF, "203.0.113.9")], "never") == "127.0.0.1"
    assert not peer_is_trusted("203.0.113.9", "private")  # a documentation range: not a network of ours
    assert not peer_is_trusted("100.64.0.1", "private")  # carrier-grade NAT: other people's addresses


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("10.0.0.66", "10.0.0.66"),
        ("::ffff:10.0.0.66", "10.0.0.66"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),  # one home or phone: its whole /64
        ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),
        ("[2001:db8::1]:443", "2001:db8::/64"),
        ("fe80::1%eth0", "fe80::/64"),
        ("", None),
        ("x" * 100, None),
        ("999.1.1.1", None),
        (None, None),
    ],
)
def test_visitor_key(address: str | None, key: str | None) -> None:
    assert visitor_key(address) == key


class Run:
    """A page run the test ends by hand."""

    def __init__(self) -> None:
        self.going = True

    def __call__(self) -> bool:
        return self.going


def test_one_run_per_visitor_and_others_are_not_held() -> None:
    gate = VisitorGate(runs=1, poll_s=0.01)
    first = Run()
    assert gate.enter("ip:10.0.0.66", first, timeout=0)
    second = gate.enter("ip:10.0.0.66", Run(), timeout=0)
    assert not second and second.ahead == 1
    assert gate.enter("ip:10.0.0.7", Run(), timeout=0)  # another visitor goes ahead at once
    assert gate.enter(None, Run(), timeout=0)  # unknown visitors are never held
    first.going = False  # the run ended: the gate notices without being told
    assert gate.enter("ip:10.0.0.66", Run(), timeout=0)


def test_a_waiting_run_gets_its_turn_when_the_other_ends() -> None:
    gate = VisitorGate(runs=1, poll_s=0.01)
    first = Run()
    assert gate.enter("ip:10.0.0.66", first, timeout=0)
    answers: list[bool] = []
    entered = threading.Event()

    def second_tab() -> None:
        entered.set()
        answers.append(bool(gate.enter("ip:10.0.0.66", Run(), timeout=SAFETY)))

    waiter = threading.Thread(target=second_tab)
    waiter.start()
    entered.wait(SAFETY)
    assert gate.visitors() == 1 and not answers  # still waiting while the first run goes on
    first.going = False
    waiter.join(SAFETY)
    assert answers == [True]


def test_waiting_tabs_take_turns_in_order() -> None:
    gate = VisitorGate(runs=1, poll_s=0.005)
    runs = {name: Run() for name in ("a", "b", "c")}
    assert gate.enter("ip:10.0.0.66", runs["a"], timeout=0)
    order: list[str] = []

    def tab(name: str) -> None:
        if gate.enter("ip:10.0.0.66", runs[name], timeout=SAFETY):
            order.append(name)

    threads = []
    for name in ("b", "c"):
        thread = threading.Thread(target=tab, args=(name,))
        thread.start()
        threads.append(thread)
        waiting = len(threads)
        wait_until(lambda: len(gate._waiting.get("ip:10.0.0.66", ())) == waiting)  # noqa: SLF001, B023
    runs["a"].going = False
    wait_until(lambda: order == ["b"])
    runs["b"].going = False
    for thread in threads:
        thread.join(SAFETY)
    assert order == ["b", "c"]


def test_two_runs_per_visitor_when_configured_and_nonsense_refused() -> None:
    gate = VisitorGate(runs=2)
    assert gate.enter("ip:10.0.0.66", Run(), timeout=0)
    assert gate.enter("ip:10.0.0.66", Run(), timeout=0)
    assert not gate.enter("ip:10.0.0.66", Run(), timeout=0)
    with pytest.raises(ValueError):
        VisitorGate(runs=0)


def test_a_newer_rerun_request_ends_the_wait() -> None:
    gate = VisitorGate(runs=1, poll_s=0.01)
    assert gate.enter("ip:10.0.0.66", Run(), timeout=0)

    class Rerun(Exception):
        pass

    def interrupt() -> None:
        raise Rerun

    with pytest.raises(Rerun):
        gate.enter("ip:10.0.0.66", Run(), timeout=SAFETY, interrupt=interrupt)
    assert "ip:10.0.0.66" not in gate._waiting  # noqa: SLF001 - it left the line


def test_a_broken_probe_does_not_hold_the_line() -> None:
    gate = VisitorGate(runs=1)

    def broken() -> bool:
        raise RuntimeError("the run is gone")

    assert gate.enter("ip:10.0.0.66", broken, timeout=0)
    assert gate.enter("ip:10.0.0.66", Run(), timeout=0)


def test_a_visitor_who_left_is_forgotten_when_anyone_comes() -> None:
    """The gate must not remember every visitor who ever came: an ended run is dropped at the next anyone's entry."""
    gate = VisitorGate(runs=1, poll_s=0.01)
    gone = Run()
    assert gate.enter("ip:10.0.0.66", gone, timeout=0)
    gone.going = False  # their tab closed; they never come back
    still = Run()
    assert gate.enter("ip:10.0.0.7", still, timeout=0)
    assert gate.visitors() == 1

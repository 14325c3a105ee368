"""Who is a visitor, and one visitor's share of the page runs: many tabs of one person count as one person.

A Streamlit server gives every tab its own session, so a limit per session is a limit per tab: a visitor (or a
script) with 8 tabs got 8 shares. Here a visitor is a client address:

- `client_address(peer, headers, trust)`: the address of the person at the other end. `peer` is the address of the
  socket (Streamlit's `client_context.remote_ip`), `headers` the websocket handshake's headers. Behind our nginx
  every connection comes from the proxy, and nginx *sets* `X-Forwarded-For` to the one address it saw (it never
  appends what the client sent), so the header names the visitor. A client that reaches the app directly could
  write anything in that header, so it is only believed when the socket peer is a proxy we trust:

    GLASSBOX_TRUST_FORWARDED_FOR = "private"   (default) the peer is on this machine or a private network
                                   "loopback"  the peer is on this machine (nginx on the same host)
                                   "never"     always the socket address

  The default fits both deployments in deploy/README.md (nginx on the host talking to 127.0.0.1, or nginx in a
  container on a private Docker network), where visitors can reach the app only through nginx. Expose the app's
  port to the internet directly and anyone on a private network in front of it could claim any address: then
  choose "never". (Streamlit's own server, uvicorn, already applies the header when the peer is loopback, per
  uvicorn's FORWARDED_ALLOW_IPS setting, default "127.0.0.1,::1"; this module makes the same choice for peers
  on a private network, where uvicorn does not.)
  An IPv6 visitor counts by their /64 network: one home or phone gets a whole /64 and may use any address in it.

- `VisitorGate`: at most `runs` page runs of one visitor at a time. Another page run of the same visitor (a
  second tab, a script's eighth session) waits in that visitor's own line, sleeping, so it costs no CPU and
  never delays anyone else, until one of the visitor's runs has finished; after `timeout` it is refused.
  Streamlit offers no hook at the end of a script run, so a run is described by a callable that says whether it
  is still going (ui/visitors.py asks the script thread), and the first waiter in a line looks again every
  `poll_s`.

Pure Python (no streamlit import), so it can be tested on its own; ui/visitors.py wires it to the pages.
"""

from __future__ import annotations

import ipaddress
import itertools
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

TRUST_SETTING = "GLASSBOX_TRUST_FORWARDED_FOR"
TRUST_CHOICES = ("private", "loopback", "never")
DEFAULT_TRUST = "private"
IPV6_VISITOR_PREFIX = 64


def trust_setting(environ: Mapping[str, str] = os.environ) -> str:
    """Which socket peers may tell us the visitor's address (see the module doc); unknown values mean "never"."""
    value = environ.get(TRUST_SETTING, DEFAULT_TRUST).strip().lower()
    return value if value in TRUST_CHOICES else "never"


def _parse(address: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not address or len(address) > 64:
        return None
    text = address.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    text = text.split("%", 1)[0]  # an IPv6 zone ("fe80::1%eth0")
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:  # "::ffff:10.0.0.7"
        return ip.ipv4_mapped
    return ip


# Where a proxy of ours can sit: private networks (RFC 1918, IPv6 unique-local) and the host itself. Spelled
# out, because Python's `is_private` also counts documentation and reserved ranges.
PRIVATE_NETWORKS = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"))


def peer_is_trusted(peer: str | None, trust: str) -> bool:
    """May this socket peer tell us who the visitor is (through X-Forwarded-For)?"""
    ip = _parse(peer)
    if ip is None or trust not in ("loopback", "private"):
        return False
    if ip.is_loopback:
        return True
    return trust == "private" and any(ip in network for network in PRIVATE_NETWORKS)


def visitor_key(address: str | None) -> str | None:
    """The key one visitor's sessions share: the IPv4 address, or the /64 network of an IPv6 address."""
    ip = _parse(address)
    if ip is None:
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network(f"{ip}/{IPV6_VISITOR_PREFIX}", strict=False))
    return str(ip)


def client_address(peer: str | None, headers: Iterable[tuple[str, str]], trust: str = DEFAULT_TRUST) -> str | None:
    """The visitor's address, or None when this connection cannot tell visitors apart.

    From a trusted peer (a proxy, or this machine): the last X-Forwarded-For entry. nginx sets exactly one; a
    chain of proxies that append puts the address the last proxy saw last, the one our proxy can vouch for.
    A trusted peer that sends no usable header is a developer's own browser, a test, or a proxy we do not know:
    None, so the caller counts each session on its own instead of lumping everyone behind it into one visitor.
    From any other peer: the peer's own address (the header is ignored)."""
    if peer_is_trusted(peer, trust):
        forwarded = [value for name, value in headers if name.lower() == "x-forwarded-for"]
        ip = _parse(",".join(forwarded).split(",")[-1].strip()) if forwarded else None
        return str(ip) if ip is not None else None
    ip = _parse(peer)
    return str(ip) if ip is not None else None


@dataclass(frozen=True)
class Turn:
    """The gate's answer: truthy when the run may go ahead."""

    granted: bool
    waited_s: float = 0.0
    ahead: int = 0  # the visitor's other runs still going (when refused)

    def __bool__(self) -> bool:
        return self.granted


class VisitorGate:
    """At most `runs` page runs per visitor at once; a visitor's later runs wait in their own line (FIFO)."""

    def __init__(self, runs: int = 1, poll_s: float = 0.05, clock: Callable[[], float] = time.monotonic) -> None:
        if runs < 1:
            raise ValueError("runs must be at least 1")
        self.runs = runs
        self.poll_s = poll_s
        self._clock = clock
        self._cond = threading.Condition()
        self._running: dict[str, list[Callable[[], bool]]] = {}  # visitor -> "is this run still going?" callables
        self._waiting: dict[str, deque[int]] = {}
        self._ids = itertools.count(1)

    def _prune(self, visitor: str) -> list[Callable[[], bool]]:
        alive = []
        for run in self._running.get(visitor, []):
            try:
                if run():
                    alive.append(run)
            except Exception:  # a broken probe must not hold a visitor's line forever
                continue
        if alive:
            self._running[visitor] = alive
        else:
            self._running.pop(visitor, None)
        return alive

    def running(self, visitor: str) -> int:
        with self._cond:
            return len(self._prune(visitor))

    def enter(
        self,
        visitor: str | None,
        run: Callable[[], bool],
        timeout: float,
        interrupt: Callable[[], None] | None = None,
    ) -> Turn:
        """Let this run go ahead when fewer than `runs` of the visitor's runs are still going, waiting at most
        `timeout` seconds for its turn. `run()` must answer whether this run is still going; the gate forgets
        the run once it answers False. `interrupt()` is called at each look while waiting and may raise to give
        up the wait (Streamlit's check for a newer rerun request). A visitor of None (unknown) is never held."""
        if visitor is None:
            return Turn(True)
        started = self._clock()
        deadline = started + max(0.0, float(timeout))
        with self._cond:
            for other in [v for v in self._running if v != visitor]:  # visitors who left never come back to prune
                self._prune(other)
            ticket = next(self._ids)
            line = self._waiting.setdefault(visitor, deque())
            line.append(ticket)
            try:
                while True:
                    alive = self._prune(visitor)
                    now = self._clock()
                    if line[0] == ticket and len(alive) < self.runs:
                        self._running.setdefault(visitor, []).append(run)
                        return Turn(True, now - started)
                    if now >= deadline:
                        return Turn(False, now - started, len(alive))
                    if interrupt is not None:
                        interrupt()
                    # Runs end without telling us (no hook in Streamlit), so the first in line looks again shortly;
                    # the others sleep until it goes ahead or leaves (notify_all below) or their time is up.
                    self._cond.wait(min(self.poll_s, deadline - now) if line[0] == ticket else deadline - now)
            finally:
                line.remove(ticket)
                if not line:
                    self._waiting.pop(visitor, None)
                self._cond.notify_all()

    def leave(self, visitor: str | None, run: Callable[[], bool]) -> None:
        """Forget a run early (optional: a finished run is forgotten anyway)."""
        if visitor is None:
            return
        with self._cond:
            runs = self._running.get(visitor, [])
            if run in runs:
                runs.remove(run)
                if not runs:
                    self._running.pop(visitor, None)
            self._cond.notify_all()

    def visitors(self) -> int:
        """How many visitors have a run going or waiting (for tests and a status line)."""
        with self._cond:
            return len(set(self._running) | set(self._waiting))

"""Fair share per visitor on a real server: the visitor comes from X-Forwarded-For on the websocket handshake, as
behind our nginx, and two tabs of one address take turns while another address goes ahead.

Runs tests/apps/visitor_probe.py (no models) with `streamlit run`, and talks Streamlit's own websocket protocol
(benchmarks/stclient.py), which lets each session send its own X-Forwarded-For. Assertions are on order, never on
durations.
"""

from __future__ import annotations

import asyncio
import re

import pytest

from benchmarks.harness import ROOT, free_port, start_streamlit, stop, wait_healthy
from benchmarks.stclient import Session, forwarded_for

APP = "tests/apps/visitor_probe.py"


@pytest.fixture(scope="module")
def server_url():
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = ROOT / "artifacts" / "visitor-server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    server = start_streamlit(port, app=APP, log_path=log)
    try:
        wait_healthy(url, server, timeout=120)
        yield url
    finally:
        stop(server)


def _read(result, name: str) -> str:
    for element in result.page:
        match = re.fullmatch(rf"{name}=(.+)", element.text.strip())
        if match:
            return match.group(1)
    raise AssertionError(f"no {name}= on the page: {[e.text for e in result.page]}")


async def _open(url: str, address: str | None) -> tuple[Session, str]:
    session = Session(url, headers=forwarded_for(address) if address else None)
    await session.connect()
    result = await session.rerun()
    return session, _read(result, "visitor")


def test_the_forwarded_address_names_the_visitor(server_url: str) -> None:
    async def scenario() -> list[str]:
        sessions = []
        try:
            seen = []
            for address in ("10.0.0.66", "10.0.0.66", "10.0.0.7", "2001:db8:1:2::5", None):
                session, visitor = await _open(server_url, address)
                sessions.append(session)
                seen.append(visitor)
            return seen
        finally:
            for session in sessions:
                await session.close()

    a, b, c, v6, local = asyncio.run(scenario())
    assert a == b == "ip:10.0.0.66"  # two tabs, one visitor
    assert c == "ip:10.0.0.7"
    assert v6 == "ip:2001:db8:1:2::/64"
    assert local.startswith("session:")  # this machine without the header: each tab on its own


def test_tabs_of_one_address_take_turns_while_another_address_goes_ahead(server_url: str) -> None:
    async def scenario() -> dict[str, float]:
        first, _ = await _open(server_url, "10.0.0.66")
        second, _ = await _open(server_url, "10.0.0.66")
        neighbour, _ = await _open(server_url, "10.0.0.7")
        try:
            hold = first.find("hold")
            slow = asyncio.create_task(first.set_widget(hold, 4.0))  # the first tab's run takes 4 s
            await asyncio.sleep(1.0)  # it has started and holds this visitor's turn
            done = await asyncio.gather(second.rerun(), neighbour.rerun(), slow)
            return {
                name: float(_read(r, "finished"))
                for name, r in zip(("second", "neighbour", "first"), done, strict=True)
            }
        finally:
            for session in (first, second, neighbour):
                await session.close()

    finished = asyncio.run(scenario())
    assert finished["neighbour"] < finished["first"]  # another visitor is not held up by this one
    assert finished["second"] > finished["first"]  # the same visitor's second tab waited for the first

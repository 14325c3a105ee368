"""deploy/prefork.py on a real machine: two replicas forked after one load serve the app, share the pages the parent
loaded (their proportional memory is well under their resident memory added up), and stop together.

Starts the real app (every model, the warm-up in the parent) with `python -m deploy.prefork`, and talks Streamlit's
websocket protocol (benchmarks/stclient.py). No durations are asserted.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from benchmarks.harness import ROOT, wait_healthy
from benchmarks.loadtest import consecutive_free_ports
from benchmarks.stclient import Session, read_rss_mb


def _children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@pytest.fixture(scope="module")
def prefork():
    first = consecutive_free_ports(2)
    log = ROOT / "artifacts" / "prefork-test.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "deploy.prefork", "--replicas", "2", "--port", str(first)]
    command += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    with open(log, "w") as out:
        parent = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    urls = [f"http://127.0.0.1:{first + i}" for i in range(2)]
    try:
        for url in urls:
            wait_healthy(url, parent, timeout=600)
        yield parent, urls
    finally:
        if parent.poll() is None:
            os.killpg(parent.pid, signal.SIGTERM)
            parent.wait(timeout=30)


def test_both_replicas_serve_a_page_that_needs_the_models(prefork) -> None:
    _, urls = prefork

    async def visit(url: str) -> tuple[list[str], list[str]]:
        async with Session(url, open_timeout=60) as session:
            await session.open_page("app.py", timeout=120)
            result = await session.open_page("pages/2_Next_token.py", timeout=120)
            return [e.text for e in result.page if e.text], [e.kind for e in result.page]

    for url in urls:
        texts, kinds = asyncio.run(visit(url))
        assert "plotly_chart" in kinds and not any("not available" in t for t in texts), texts[:5]


def test_the_replicas_share_what_the_parent_loaded(prefork) -> None:
    parent, _ = prefork
    pids = [parent.pid, *_children(parent.pid)]
    assert len(pids) == 3
    resident = sum(read_rss_mb(pid) for pid in pids)
    proportional = sum(read_rss_mb(pid, "Pss") for pid in pids)
    assert proportional < 0.7 * resident, (proportional, resident)  # pages in memory once, not three times


def test_when_one_replica_dies_the_set_stops(prefork) -> None:
    parent, urls = prefork
    os.kill(_children(parent.pid)[0], signal.SIGKILL)
    assert parent.wait(timeout=60) != 0  # a supervisor (or Docker) restarts the whole set
    time.sleep(0.5)
    for url in urls:
        with pytest.raises(OSError):
            urllib.request.urlopen(url + "/_stcore/health", timeout=2)

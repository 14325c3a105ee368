"""Start and stop real `streamlit run` servers for the benchmarks, load test, failover check and browser tests.

`serve()` is the one way to get a running app for a block of code; the browser tests (tests/browser/conftest.py)
use it too, so tests and benchmarks start the app the same way, with the same Chromium flags.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
# Debian's Chromium, driven headless by Playwright (which never downloads a browser here).
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_config() -> dict:
    """The app's own .streamlit/config.toml (what production uses)."""
    path = ROOT / ".streamlit" / "config.toml"
    return tomllib.loads(path.read_text()) if path.exists() else {}


def disconnected_session_ttl() -> float:
    return float(app_config().get("server", {}).get("disconnectedSessionTTL", 120))


# What scripts/start and the Dockerfile set for the server, so benchmarks measure the app as deployed.
SERVER_ENV = {"MALLOC_ARENA_MAX": "2"}


def start_streamlit(
    port: int,
    *,
    app: str = "app.py",
    log_path: Path | None = None,
    extra_args: list[str] | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.Popen:
    """Launch `streamlit run` from the project folder on 127.0.0.1:port (not waiting for it)."""
    command = [
        PYTHON,
        "-m",
        "streamlit",
        "run",
        app,
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        *(extra_args or []),
    ]
    log = open(log_path, "w") if log_path else subprocess.DEVNULL  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**SERVER_ENV, **os.environ, **(env or {})},
        start_new_session=True,  # its own process group, so cleanup never touches anything else
    )


def wait_healthy(url: str, process: subprocess.Popen | None = None, timeout: float = 90) -> float:
    """Poll /_stcore/health until it answers ok; returns seconds waited. Raises on timeout or early exit."""
    started = time.monotonic()
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return time.monotonic() - started
        except OSError:
            pass
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited early with code {process.returncode}")
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"{url} not healthy after {timeout:.0f} s")
        time.sleep(0.2)


def stop(process: subprocess.Popen | None, timeout: float = 10) -> None:
    """Terminate one process we started (and its own process group), then kill it if it lingers."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)


@contextlib.contextmanager
def serve(
    *,
    app: str = "app.py",
    log_path: Path | None = None,
    extra_args: list[str] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 90,
) -> Iterator[str]:
    """`with serve() as url:` a `streamlit run` on a free port of 127.0.0.1, healthy when the block starts,
    stopped (with its process group) when it ends."""
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
    port = free_port()
    process = start_streamlit(port, app=app, log_path=log_path, extra_args=extra_args, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_healthy(url, process, timeout)
        except RuntimeError as error:
            raise RuntimeError(f"{error}; see {log_path}" if log_path else str(error)) from None
        yield url
    finally:
        stop(process)


def machine_note() -> dict:
    """What the figures were measured on, so a reader can judge them."""
    try:
        load = os.getloadavg()
    except OSError:
        load = (0.0, 0.0, 0.0)
    return {
        "cpus": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in load],
        "python": sys.version.split()[0],
        "python_loop_ms": python_loop_ms(),
    }


def python_loop_ms(repeats: int = 3) -> float:
    """The fastest of `repeats` runs of a fixed pure-Python loop (a million multiply-adds), in ms: how fast this
    machine's cores are today. The shared machine we measure on has varied about twofold from day to day, so
    figures from two runs compare only when this does too."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i * i
        best = min(best, time.perf_counter() - start)
    return round(best * 1000, 1)


def ms(seconds: float | None) -> float | None:
    """Seconds -> milliseconds, one decimal, for the results files (None stays None)."""
    return round(seconds * 1000, 1) if seconds is not None else None


# In the page: record (time, step) whenever the bold "Step N" a live page shows changes (polled every 10 ms).
WATCH_STEP_JS = """
() => {
  window.__steps = [];
  const read = () => {
    for (const el of document.querySelectorAll('[data-testid="stMarkdownContainer"] strong')) {
      const m = el.textContent.match(/^Step ([0-9,]+)$/);
      if (m) return parseInt(m[1].replace(/,/g, ''));
    }
    return null;
  };
  let last = read();
  window.__timer = setInterval(() => {
    const now = read();
    if (now !== null && now !== last) { window.__steps.push([performance.now(), now]); last = now; }
  }, 10);
}
"""


WARM_UP_DONE = re.compile(r"Glassbox warm-up (finished|left)")


def wait_for_warm_up(log_path: Path, timeout: float = 600.0) -> float:
    """Seconds until the server's background warm-up (started by the first visit) logged that it is done. Measure
    a warmed server's speed after it: while it runs, it shares the cores with the visitors being measured."""
    started = time.monotonic()
    while not WARM_UP_DONE.search(log_path.read_text() if log_path.exists() else ""):
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"the server's warm-up did not finish in {timeout:.0f} s; see {log_path}")
        time.sleep(0.5)
    return time.monotonic() - started

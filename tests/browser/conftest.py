"""Real-browser fixtures: a `streamlit run` server on a free port and Debian's Chromium via Playwright.

Without /usr/bin/chromium the browser tests are skipped loudly on a developer machine and
fail under CI (environment variable CI set). Playwright never downloads a browser here.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts" / "screenshots"
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
APP_READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'
EXCEPTION = '[data-testid="stException"]'

pytestmark = pytest.mark.browser


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"Browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)."
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {message}")
    print(f"\n!!! SKIPPING BROWSER TESTS: {message}\n", file=sys.stderr)
    pytest.skip(f"SKIPPED LOUDLY: {message}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """A real `streamlit run app.py` on 127.0.0.1, ready once /_stcore/health answers ok."""
    _require_chromium()
    port = _free_port()
    log = (ROOT / "artifacts").joinpath("streamlit-test-server.log")
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as log_file:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
            ],
            cwd=ROOT,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                        if response.read().strip() == b"ok":
                            break
                except OSError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit server did not become healthy; see {log}")
                time.sleep(0.3)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(scope="session")
def browser(server_url: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def _watch(page, origin: str) -> None:
    page.console_errors = []
    page.external_requests = []
    page.failed_urls = []

    def on_console(message) -> None:
        if message.type == "error":
            page.console_errors.append(message.text)

    def on_request(request) -> None:
        parsed = urlparse(request.url)
        if parsed.scheme in ("data", "blob", "about"):
            return
        if f"{parsed.scheme}://{parsed.netloc}" != origin:
            page.external_requests.append(request.url)

    page.on("console", on_console)
    page.on("pageerror", lambda error: page.console_errors.append(f"pageerror: {error}"))
    page.on("request", on_request)
    page.on("response", lambda r: page.failed_urls.append(r.url) if r.status >= 400 else None)


# Streamlit quirk: on a deep link such as /Tokens the frontend first probes
# /Tokens/_stcore/health and /Tokens/_stcore/host-config (404) before it finds the server root.
DEEP_LINK_PROBE = re.compile(r"^https?://[^/]+/[^/?#]+/_stcore/(health|host-config)$")


def real_console_errors(page) -> list[str]:
    """Console errors, minus the two 404s of Streamlit's deep-link probe (only when every failed
    request was such a probe, so a real 404 elsewhere still fails the test)."""
    probes_only = all(DEEP_LINK_PROBE.match(u) for u in page.failed_urls)
    return [e for e in page.console_errors if not (probes_only and "status of 404" in e)]


def new_page(browser, server_url: str, width: int = 1280, height: int = 800):
    """A fresh browser context and page; console errors and off-origin requests are recorded."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    _watch(page, server_url)
    return page


@pytest.fixture
def page(browser, server_url: str):
    page = new_page(browser, server_url)
    yield page
    page.context.close()


def wait_for_app(page, timeout_ms: int = 60_000) -> None:
    """Wait until the script has finished running and the first element has rendered."""
    page.wait_for_selector('[data-testid="stAppViewContainer"]', timeout=timeout_ms)
    page.wait_for_selector(APP_READY, timeout=timeout_ms)
    # A rerun can start right after the first paint; wait for it to settle too.
    page.wait_for_timeout(300)
    page.wait_for_selector(APP_READY, timeout=timeout_ms)


def screenshot(page, name: str, whole_page: bool = False) -> Path:
    """Save what the visitor sees. Streamlit scrolls inside its own container, so a whole-page picture
    needs a viewport as tall as the page: `whole_page` grows it for the picture, then restores it."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    size = page.viewport_size
    if whole_page and size:
        height = page.evaluate(
            """() => Math.max(...Array.from(document.querySelectorAll('[data-testid="stMain"], [data-testid="stAppViewContainer"]'))
                .map(e => e.scrollHeight), document.body.scrollHeight)"""
        )
        page.set_viewport_size({"width": size["width"], "height": min(int(height) + 40, 12_000)})
        page.wait_for_timeout(400)  # charts re-lay out to the new size
    page.screenshot(path=str(path), full_page=True)
    if whole_page and size:
        page.set_viewport_size(size)
    return path

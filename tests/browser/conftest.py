"""Real-browser tests: a `streamlit run app.py` server on a free port and Debian's Chromium via Playwright.

Everything under tests/browser is marked `browser` (tests/conftest.py does it), so the fast loop
`pytest -m "not browser"` runs none of it. Without /usr/bin/chromium these tests are skipped loudly on a
developer machine and fail under CI (environment variable CI set). Playwright never downloads a browser here.

How to write one:

    from tests.browser.conftest import assert_clean, rerun, screenshot

    def test_something(open_page) -> None:
        page = open_page("VAE?src=Draw+one", width=390, height=844)  # opened, ready, charts drawn
        rerun(page, lambda: page.get_by_role("button", name="Clear the drawing").click())
        screenshot(page, "vae-cleared")                              # artifacts/screenshots/vae-cleared.png
        assert_clean(page)                                           # no exception, console error, foreign request

Fixtures (each page and its browser context is closed after the test, whatever happens):
- `open_page(path="", width=1280, height=800)`: a new page at `server_url/path`, after `wait_for_app`.
- `new_page(width=1280, height=800)`: a blank page, for a test that must act before the first load.
- `server_url`, `browser`: one server and one Chromium for all of tests/browser, closed after its last test:
  Playwright's sync API keeps an event loop running, and later tests call `asyncio.run()`.

Every page records `page.console_errors`, `page.external_requests` (anything off the app's origin) and
`page.failed_urls`. Wait on conditions, never on the clock:
- `wait_for_app(page)`: the script finished, nothing is stale, every visible chart is drawn, and the layout has
  stopped moving. Do not call it while a live fragment keeps rerunning (GAN page playing).
- `rerun(page, action)`: do a click, a key press or an upload, wait until the server has answered it, then
  `wait_for_app`. Prefer a specific condition when there is one (`page.wait_for_url(...)`,
  `locator.wait_for()`, `page.wait_for_function(...)`).
"""

from __future__ import annotations

import itertools
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from benchmarks.harness import CHROMIUM, CHROMIUM_ARGS, serve

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "screenshots"
APP_READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'
EXCEPTION = '[data-testid="stException"]'
CHART = '[data-testid="stPlotlyChart"]'
TIMEOUT_MS = 60_000
QUIET_POLLS = 4  # the page counts as settled after this many identical looks, POLL_MS apart
POLL_MS = 100
_tokens = itertools.count()


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"Browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)."
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {message}")
    print(f"\n!!! SKIPPING BROWSER TESTS: {message}\n", file=sys.stderr)
    pytest.skip(f"SKIPPED LOUDLY: {message}")


@pytest.fixture(scope="package")
def server_url() -> Iterator[str]:
    """A real `streamlit run app.py` on 127.0.0.1 (benchmarks.harness.serve), healthy before the first test."""
    _require_chromium()
    with serve(log_path=ROOT / "artifacts" / "streamlit-test-server.log") as url:
        yield url


@pytest.fixture(scope="package")
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
    page.frames_received = 0  # websocket messages from the server: `rerun` waits for the answer to an action

    def on_console(message) -> None:
        if message.type == "error":
            page.console_errors.append(message.text)

    def on_request(request) -> None:
        parsed = urlparse(request.url)
        if parsed.scheme in ("data", "blob", "about"):
            return
        if f"{parsed.scheme}://{parsed.netloc}" != origin:
            page.external_requests.append(request.url)

    def on_frame(_payload) -> None:
        page.frames_received += 1

    page.on("console", on_console)
    page.on("pageerror", lambda error: page.console_errors.append(f"pageerror: {error}"))
    page.on("request", on_request)
    page.on("response", lambda r: page.failed_urls.append(r.url) if r.status >= 400 else None)
    page.on("websocket", lambda ws: ws.on("framereceived", on_frame))


@pytest.fixture
def new_page(browser, server_url: str) -> Iterator[Callable[..., object]]:
    """`new_page(width=1280, height=800)`: a fresh context and page that records console errors and
    requests off the app's origin. Closed after the test."""
    contexts = []

    def make(width: int = 1280, height: int = 800):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        _watch(page, server_url)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def open_page(new_page, server_url: str) -> Callable[..., object]:
    """`open_page(path="", width=1280, height=800)`: a new page opened at `server_url/path` and ready
    (wait_for_app). `path` is Streamlit's URL path with any query string, e.g. "Diffusion?digit=4"."""

    def open_(path: str = "", width: int = 1280, height: int = 800):
        page = new_page(width, height)
        page.goto(f"{server_url}/{path.lstrip('/')}")
        wait_for_app(page)
        return page

    return open_


# Streamlit quirk: on a deep link such as /Tokens the frontend first probes
# /Tokens/_stcore/health and /Tokens/_stcore/host-config (404) before it finds the server root.
DEEP_LINK_PROBE = re.compile(r"^https?://[^/]+/[^/?#]+/_stcore/(health|host-config)$")


def real_console_errors(page) -> list[str]:
    """Console errors, minus the two 404s of Streamlit's deep-link probe (only when every failed
    request was such a probe, so a real 404 elsewhere still fails the test)."""
    probes_only = all(DEEP_LINK_PROBE.match(u) for u in page.failed_urls)
    return [e for e in page.console_errors if not (probes_only and "status of 404" in e)]


def assert_clean(page) -> None:
    """No exception on the page, no console error, no request to another origin."""
    assert page.locator(EXCEPTION).count() == 0, f"{page.url} shows an exception"
    errors = real_console_errors(page)
    assert errors == [], f"{page.url} logged console errors: {errors} (failed requests: {page.failed_urls})"
    assert page.external_requests == [], f"{page.url} contacted other origins: {page.external_requests}"


def wait_stable(page, signature_js: str, timeout_ms: int = TIMEOUT_MS):
    """Wait until the JS function `signature_js` (no arguments) returns the same non-null value
    QUIET_POLLS times in a row, POLL_MS apart; returns that value. null means "not ready yet"."""
    token = f"__glassbox_stable_{next(_tokens)}"
    check = f"""() => {{
        const sig = ({signature_js})();
        const text = sig === null || sig === undefined ? null : JSON.stringify(sig);
        const prev = window["{token}"];
        window["{token}"] = text === null ? null : {{text, n: prev && prev.text === text ? prev.n + 1 : 1}};
        return text !== null && window["{token}"].n >= {QUIET_POLLS} ? sig : null;
    }}"""
    return page.wait_for_function(check, polling=POLL_MS, timeout=timeout_ms).json_value()


# The app is settled when the script has finished, nothing is greyed out as stale or still a loading skeleton, every
# visible chart has been drawn, every picture has loaded, and none of that (nor the page's size) changes between looks.
_APP_SIGNATURE = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return null;
    if (!document.querySelector('[data-testid="stAppViewContainer"]')) return null;
    if (document.querySelector('[data-stale="true"]')) return null;
    // A widget or chart whose code is still loading is drawn as a grey skeleton (Plotly's bundle alone takes seconds
    // to compile on a 2-core machine): until they are gone, sliders and links are not on the page yet.
    if (document.querySelector('[data-testid="stSkeleton"]')) return null;
    const visible = (e) => e.offsetParent !== null;
    const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].filter(visible);
    if (charts.some((c) => !c.querySelector('.main-svg'))) return null;
    if ([...document.images].filter(visible).some((i) => !i.complete)) return null;
    const boxes = charts.map((c) => { const r = c.getBoundingClientRect(); return [r.width, r.height]; });
    const main = document.querySelector('[data-testid="stMain"]');
    return [boxes, main ? main.scrollHeight : 0, document.body.scrollHeight, location.href];
}"""


def wait_for_app(page, timeout_ms: int = TIMEOUT_MS) -> None:
    """Wait until the app has finished running and drawing, and has stayed so for a few looks (a rerun can
    start right after the first paint)."""
    wait_stable(page, _APP_SIGNATURE, timeout_ms)


def query_has(pair: str) -> re.Pattern[str]:
    """A URL pattern for `page.wait_for_url`: the query string holds `pair` ("lesson_step=2") exactly. Not a glob:
    Playwright's "**lesson_step=2**" never matches a URL whose query string holds it, and the wait times out."""
    return re.compile(rf"[?&]{re.escape(pair)}(&|#|$)")


def rerun(page, action: Callable[[], object], timeout_ms: int = TIMEOUT_MS) -> None:
    """Do `action` (which makes the app rerun) and wait until the server has answered and the app has settled."""
    before = page.frames_received
    action()
    deadline = time.monotonic() + timeout_ms / 1000
    while page.frames_received == before:  # the first message of the server's answer
        if time.monotonic() > deadline:
            raise AssertionError("the server never answered the action")
        page.wait_for_timeout(20)  # lets Playwright deliver the websocket events
    wait_for_app(page, timeout_ms)


def plot_area(page, chart: int | str) -> dict[str, float]:
    """The plotting area (x, y, width, height) of a chart, scrolled fully on screen and no longer moving (while
    charts finish drawing the page can still shift: a box read then was 430 px off screen). `chart` is the
    chart's index on the page or a piece of text shown in it (its title)."""
    pick = f"charts[{chart}]" if isinstance(chart, int) else f"charts.find((c) => c.textContent.includes({chart!r}))"
    return wait_stable(
        page,
        f"""() => {{
            const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
            const chart = {pick};
            const area = chart && chart.querySelector('.nsewdrag');
            if (!area) return null;
            const r = area.getBoundingClientRect();
            if (r.top < 0 || r.bottom > window.innerHeight) {{ chart.scrollIntoView({{block: 'center'}}); return null; }}
            return {{x: r.x, y: r.y, width: r.width, height: r.height}};
        }}""",
    )


def screenshot(page, name: str, whole_page: bool = False) -> Path:
    """Save what the visitor sees to artifacts/screenshots/<name>.png. Streamlit scrolls inside its own
    container, so a whole-page picture needs a viewport as tall as the page: `whole_page` grows it for the
    picture (after the charts have re-laid out to the new size), then restores it."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    size = page.viewport_size
    if whole_page and size:
        height = page.evaluate(
            """() => Math.max(...Array.from(document.querySelectorAll('[data-testid="stMain"], [data-testid="stAppViewContainer"]'))
                .map(e => e.scrollHeight), document.body.scrollHeight)"""
        )
        page.set_viewport_size({"width": size["width"], "height": min(int(height) + 40, 12_000)})
        wait_for_app(page)
    page.screenshot(path=str(path), full_page=True)
    if whole_page and size:
        page.set_viewport_size(size)
    return path

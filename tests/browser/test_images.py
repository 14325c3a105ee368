"""VAE and diffusion pages in a real browser: chart clicks (which AppTest cannot do) and in-browser playback."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import APP_READY, EXCEPTION, new_page, screenshot, wait_for_app

pytestmark = pytest.mark.browser
CHART = '[data-testid="stPlotlyChart"]'


def _plot_area(page, index: int):
    """The chart's plotting area, on screen. The page can still shift while charts finish drawing (a box
    read at that moment was seen 430 px above the viewport), so scroll, let it settle, and check."""
    chart = page.locator(CHART).nth(index)
    height = page.viewport_size["height"]
    for _ in range(10):
        chart.scroll_into_view_if_needed()
        page.wait_for_timeout(250)
        box = chart.locator(".nsewdrag").first.bounding_box()
        if box and box["y"] >= 0 and box["y"] + box["height"] <= height:
            return box
    raise AssertionError(f"chart {index} never settled on screen: {box}")


def _wait_rerun(page) -> None:
    page.wait_for_timeout(400)
    page.wait_for_selector(APP_READY, timeout=60_000)
    page.wait_for_timeout(300)


def test_vae_click_on_the_map_decodes_that_point(browser, server_url: str) -> None:
    page = new_page(browser, server_url, 1280, 1000)
    try:
        page.goto(f"{server_url}/VAE")
        wait_for_app(page)
        box = _plot_area(page, 0)  # the latent map comes first
        page.mouse.click(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.2)  # top left: z1 < 0, z2 > 0
        _wait_rerun(page)
        query = dict(re.findall(r"[?&](z[12])=([-\d.]+)", page.url))
        assert float(query["z1"]) < -0.5 and float(query["z2"]) > 0.5, page.url
        # A chart title, drawn by Plotly after the script has finished: wait for it rather than count at once.
        page.get_by_text(re.compile(r"At \(-\d\.\d, \d\.\d\) the judge sees")).first.wait_for(timeout=30_000)
        screenshot(page, "vae-after-map-click")
        assert page.locator(EXCEPTION).count() == 0
        assert page.external_requests == []
    finally:
        page.context.close()


def test_vae_click_on_a_real_digit_decodes_where_it_landed(browser, server_url: str) -> None:
    """The scatter's digits are one picture under invisible points: a click on a digit still picks its point."""
    page = new_page(browser, server_url, 1280, 1000)
    try:
        page.goto(f"{server_url}/VAE")
        wait_for_app(page)
        _plot_area(page, 1)  # the scatter of real digits comes second
        page.get_by_text(re.compile(r"real digits land")).first.wait_for(timeout=30_000)
        # Screen position of the first real 3, from the chart's own axes (Plotly's layout on the element).
        target = page.evaluate(
            """() => {
                const gd = document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')[1];
                const trace = gd._fullData.find(t => t.name === 'digit 3');
                const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
                const points = gd._fullData.filter(t => t.name && t.name.startsWith('digit '))
                    .flatMap(t => Array.from(t.x, (x, i) => [x, t.y[i]]));
                return {x: box.left + xa._offset + xa.l2p(trace.x[0]), y: box.top + ya._offset + ya.l2p(trace.y[0]),
                        z1: trace.x[0], z2: trace.y[0], points: points};
            }"""
        )
        page.mouse.click(target["x"], target["y"])
        _wait_rerun(page)
        query = {k: float(v) for k, v in re.findall(r"[?&](z[12])=([-\d.]+)", page.url)}
        # The click decodes the real digit nearest the pointer: where one of them landed, close to the aim.
        landed = min(target["points"], key=lambda p: abs(p[0] - query["z1"]) + abs(p[1] - query["z2"]))
        assert abs(landed[0] - query["z1"]) < 0.006 and abs(landed[1] - query["z2"]) < 0.006, (page.url, landed)
        assert abs(query["z1"] - target["z1"]) < 0.4 and abs(query["z2"] - target["z2"]) < 0.4, (page.url, target)
        screenshot(page, "vae-after-scatter-click")
        assert page.locator(EXCEPTION).count() == 0
    finally:
        page.context.close()


def test_vae_drawing_pad_toggles_a_square(browser, server_url: str) -> None:
    page = new_page(browser, server_url, 1280, 1000)
    try:
        page.goto(f"{server_url}/VAE?src=Draw+one")
        wait_for_app(page)
        before = page.get_by_text(re.compile("lands at")).first.inner_text()
        pad = page.locator(CHART).filter(has_text="Click a square").first
        pad.scroll_into_view_if_needed()
        box = pad.locator(".nsewdrag").first.bounding_box()
        # Fill a block of squares in the top-left corner (empty in the starting digit).
        for r, c in [(0, 0), (1, 0), (2, 0)]:
            page.mouse.click(box["x"] + box["width"] * (c + 0.5) / 8.2, box["y"] + box["height"] * (r + 0.5) / 8.2)
            _wait_rerun(page)
        after = page.get_by_text(re.compile("lands at")).first.inner_text()
        assert after != before
        screenshot(page, "vae-drawing")
        assert page.locator(EXCEPTION).count() == 0
    finally:
        page.context.close()


def test_diffusion_playback_runs_in_the_browser(browser, server_url: str) -> None:
    page = new_page(browser, server_url, 1280, 1000)
    try:
        page.goto(f"{server_url}/Diffusion?digit=4&sampler=DDIM&steps=20")
        wait_for_app(page)
        anim = page.locator(CHART).filter(has_text="to replay the run").first
        anim.scroll_into_view_if_needed()

        def shown_step() -> int:
            return int(re.search(r"noise step t = (\d+)", anim.inner_text()).group(1))

        assert shown_step() == 199
        anim.locator(".updatemenu-button").filter(has_text="Play").first.click()
        page.wait_for_timeout(2500)
        # The frames advanced without any rerun of the script.
        assert shown_step() < 199
        assert page.locator(APP_READY).count() == 1
        screenshot(page, "diffusion-after-playback")
        assert page.locator(EXCEPTION).count() == 0
        assert page.external_requests == []
    finally:
        page.context.close()


def test_vae_upload_validates_files(browser, server_url: str) -> None:
    from io import BytesIO

    from PIL import Image, ImageDraw

    page = new_page(browser, server_url, 1280, 1000)
    try:
        page.goto(f"{server_url}/VAE?src=Upload+a+picture")
        wait_for_app(page)
        uploader = page.locator('[data-testid="stFileUploaderDropzoneInput"]').first
        uploader.set_input_files({"name": "digit.png", "mimeType": "image/png", "buffer": b"this is not a picture"})
        _wait_rerun(page)
        page.wait_for_timeout(500)
        assert page.get_by_text("not a picture we can read").count() >= 1
        assert page.locator(EXCEPTION).count() == 0
        picture = Image.new("L", (120, 160), 255)
        ImageDraw.Draw(picture).line((60, 20, 60, 140), fill=0, width=14)
        buffer = BytesIO()
        picture.save(buffer, "PNG")
        uploader.set_input_files({"name": "one.png", "mimeType": "image/png", "buffer": buffer.getvalue()})
        _wait_rerun(page)
        page.wait_for_timeout(500)
        assert page.get_by_text(re.compile("Your picture. It lands at")).count() >= 1
        _wait_rerun(page)
        page.get_by_text(re.compile("Your picture. It lands at")).first.scroll_into_view_if_needed()
        screenshot(page, "vae-upload")
        assert page.locator(EXCEPTION).count() == 0
    finally:
        page.context.close()

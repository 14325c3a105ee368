"""VAE and diffusion pages in a real browser: chart clicks (which AppTest cannot do) and in-browser playback."""

from __future__ import annotations

import re
from io import BytesIO

from tests.browser.conftest import APP_READY, CHART, assert_clean, plot_area, rerun, screenshot, wait_for_app


def _latent_in_url(page) -> dict[str, float]:
    return {k: float(v) for k, v in re.findall(r"[?&](z[12])=([-\d.]+)", page.url)}


def test_vae_click_on_the_map_decodes_that_point(open_page) -> None:
    page = open_page("VAE", 1280, 1000)
    box = plot_area(page, 0)  # the latent map comes first
    # top left: z1 < 0, z2 > 0
    rerun(page, lambda: page.mouse.click(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.2))
    query = _latent_in_url(page)
    assert query["z1"] < -0.5 and query["z2"] > 0.5, page.url
    # A chart title, drawn by Plotly after the script has finished: wait for it rather than count at once.
    page.get_by_text(re.compile(r"At \(-\d\.\d, \d\.\d\) the judge sees")).first.wait_for(timeout=30_000)
    screenshot(page, "vae-after-map-click")
    assert_clean(page)


def test_vae_click_on_a_real_digit_decodes_where_it_landed(open_page) -> None:
    """The scatter's digits are one picture under invisible points: a click on a digit still picks its point."""
    page = open_page("VAE", 1280, 1000)
    plot_area(page, 1)  # the scatter of real digits comes second
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
    rerun(page, lambda: page.mouse.click(target["x"], target["y"]))
    query = _latent_in_url(page)
    # The click decodes the real digit nearest the pointer: where one of them landed, close to the aim.
    landed = min(target["points"], key=lambda p: abs(p[0] - query["z1"]) + abs(p[1] - query["z2"]))
    assert abs(landed[0] - query["z1"]) < 0.006 and abs(landed[1] - query["z2"]) < 0.006, (page.url, landed)
    assert abs(query["z1"] - target["z1"]) < 0.4 and abs(query["z2"] - target["z2"]) < 0.4, (page.url, target)
    screenshot(page, "vae-after-scatter-click")
    assert_clean(page)


def test_vae_drawing_pad_toggles_a_square(open_page) -> None:
    page = open_page("VAE?src=Draw+one", 1280, 1000)
    before = page.get_by_text(re.compile("lands at")).first.inner_text()
    # Fill a block of squares in the top-left corner (empty in the starting digit).
    for r, c in [(0, 0), (1, 0), (2, 0)]:
        plot_area(page, "Click a square")  # on screen and still
        # The square's centre on screen, from the chart's own axes (the pad keeps square cells inside its area).
        x, y = page.evaluate(
            f"""() => {{
                const chart = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
                    .find(c => c.textContent.includes('Click a square'));
                const gd = chart.querySelector('.js-plotly-plot'), box = gd.getBoundingClientRect();
                const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
                return [box.left + xa._offset + xa.l2p({c}), box.top + ya._offset + ya.l2p({r})];
            }}"""
        )
        rerun(page, lambda x=x, y=y: page.mouse.click(x, y))
    after = page.get_by_text(re.compile("lands at")).first.inner_text()
    assert after != before
    screenshot(page, "vae-drawing")
    assert_clean(page)


def test_diffusion_playback_runs_in_the_browser(open_page) -> None:
    page = open_page("Diffusion?digit=4&sampler=DDIM&steps=20", 1280, 1000)
    anim = page.locator(CHART).filter(has_text="to replay the run").first
    anim.scroll_into_view_if_needed()
    shown_step = """() => {
        const anim = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
            .find(c => c.textContent.includes('to replay the run'));
        return parseInt(anim.innerText.match(/noise step t = (\\d+)/)[1]);
    }"""
    assert page.evaluate(shown_step) == 199
    anim.locator(".updatemenu-button").filter(has_text="Play").first.click()
    page.wait_for_function(f"() => ({shown_step})() < 199", timeout=30_000)
    # The frames advanced without any rerun of the script.
    assert page.locator(APP_READY).count() == 1
    screenshot(page, "diffusion-after-playback")
    assert_clean(page)


def test_vae_upload_validates_files(open_page) -> None:
    from PIL import Image, ImageDraw

    page = open_page("VAE?src=Upload+a+picture", 1280, 1000)
    uploader = page.locator('[data-testid="stFileUploaderDropzoneInput"]').first
    uploader.set_input_files({"name": "digit.png", "mimeType": "image/png", "buffer": b"this is not a picture"})
    page.get_by_text("not a picture we can read").first.wait_for(timeout=30_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    picture = Image.new("L", (120, 160), 255)
    ImageDraw.Draw(picture).line((60, 20, 60, 140), fill=0, width=14)
    buffer = BytesIO()
    picture.save(buffer, "PNG")
    uploader.set_input_files({"name": "one.png", "mimeType": "image/png", "buffer": buffer.getvalue()})
    landed = page.get_by_text(re.compile("Your picture. It lands at")).first
    landed.wait_for(timeout=30_000)
    wait_for_app(page)
    landed.scroll_into_view_if_needed()
    screenshot(page, "vae-upload")
    assert_clean(page)

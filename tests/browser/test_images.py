"""VAE and diffusion pages in a real browser: chart clicks and taps (which AppTest cannot do), the drawing pad,
in-browser playback, uploads, the dataset switch, and what the headlines and formulas really show."""

from __future__ import annotations

import re
from collections.abc import Iterator
from io import BytesIO

import pytest

from tests.browser.conftest import (
    APP_READY,
    CHART,
    _watch,
    assert_clean,
    plot_area,
    rerun,
    screenshot,
    wait_for_app,
)

PHONE = (390, 844)


def _latent_in_url(page) -> dict[str, float]:
    return {k: float(v) for k, v in re.findall(r"[?&](z[12])=([-\d.]+)", page.url)}


@pytest.fixture
def open_phone(browser, server_url: str) -> Iterator:
    """`open_phone(path)`: a page on a 390 x 844 touch screen (touch events, no mouse), opened and ready."""
    contexts = []

    def open_(path: str):
        context = browser.new_context(viewport={"width": PHONE[0], "height": PHONE[1]}, has_touch=True, is_mobile=True)
        contexts.append(context)
        page = context.new_page()
        _watch(page, server_url)
        page.goto(f"{server_url}/{path}")
        wait_for_app(page)
        return page

    yield open_
    for context in contexts:
        context.close()


def test_vae_click_on_the_map_decodes_that_point(open_page) -> None:
    page = open_page("VAE", 1280, 1000)
    box = plot_area(page, "the judge reads")  # the map
    # top left: z1 < 0, z2 > 0
    rerun(page, lambda: page.mouse.click(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.2))
    query = _latent_in_url(page)
    assert query["z1"] < -0.5 and query["z2"] > 0.5, page.url
    # A chart title, drawn by Plotly after the script has finished: wait for it rather than count at once.
    page.get_by_text(re.compile(r"At \(-\d\.\d, \d\.\d\) the judge sees")).first.wait_for(timeout=30_000)
    screenshot(page, "vae-after-map-click")
    assert_clean(page)


def test_one_tap_on_the_map_decodes_that_point_on_a_phone(open_phone) -> None:
    """Plotly selects from its last hover, and a finger gives none: the first tap used to do nothing and every
    later tap decoded the point tapped before it. Each tap must decode the point under the finger, at once."""
    page = open_phone("VAE")
    for fx, fy, sign in ((0.15, 0.15, (-1, 1)), (0.85, 0.85, (1, -1))):
        box = plot_area(page, "the judge reads")
        rerun(page, lambda fx=fx, fy=fy, box=box: page.tap(f"{CHART} >> nth=0", position=_in(page, box, fx, fy)))
        query = _latent_in_url(page)
        assert query and query["z1"] * sign[0] > 0.5 and query["z2"] * sign[1] > 0.5, (page.url, fx, fy)
    screenshot(page, "vae-phone-after-taps")
    assert_clean(page)


def _in(page, box: dict[str, float], fx: float, fy: float) -> dict[str, float]:
    """A point of the plotting area `box`, relative to the first chart's element (for page.tap's position)."""
    chart = page.locator(CHART).first.bounding_box()
    return {"x": box["x"] - chart["x"] + box["width"] * fx, "y": box["y"] - chart["y"] + box["height"] * fy}


def test_vae_click_on_a_real_picture_decodes_where_it_landed(open_page) -> None:
    """The scatter's pictures are one image under invisible points: a click on one still picks its point."""
    page = open_page("VAE", 1280, 1000)
    plot_area(page, "pictures land")
    # Screen position of the first real sneaker, from the chart's own axes (Plotly's layout on the element).
    target = page.evaluate(
        """() => {
            const chart = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
                .find(c => c.textContent.includes("pictures land"));
            const gd = chart.querySelector('.js-plotly-plot');
            const real = gd._fullData.filter(t => t.customdata && t.x && t.x.length && t.x[0] !== null);
            const trace = real.find(t => t.name === 'sneaker');
            const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
            const points = real.flatMap(t => Array.from(t.x, (x, i) => [x, t.y[i]]));
            return {x: box.left + xa._offset + xa.l2p(trace.x[0]), y: box.top + ya._offset + ya.l2p(trace.y[0]),
                    z1: trace.x[0], z2: trace.y[0], points: points};
        }"""
    )
    rerun(page, lambda: page.mouse.click(target["x"], target["y"]))
    query = _latent_in_url(page)
    # The click decodes the real picture nearest the pointer: where one of them landed, close to the aim.
    landed = min(target["points"], key=lambda p: abs(p[0] - query["z1"]) + abs(p[1] - query["z2"]))
    assert abs(landed[0] - query["z1"]) < 0.006 and abs(landed[1] - query["z2"]) < 0.006, (page.url, landed)
    assert abs(query["z1"] - target["z1"]) < 0.4 and abs(query["z2"] - target["z2"]) < 0.4, (page.url, target)
    assert_clean(page)


PAD = "canvas[role=img]"
_INKED_ROW = """(row) => {
    // The pad is drawn in its component's shadow root: which of the 8 squares of a row are inked, from its pixels.
    const host = [...document.querySelectorAll('*')].find(e => e.shadowRoot && e.shadowRoot.querySelector('canvas'));
    const c = host ? host.shadowRoot.querySelector('canvas') : document.querySelector('canvas[role=img]');
    const ctx = c.getContext('2d'), cell = c.width / 8;
    return [...Array(8).keys()].map(col => {
        const p = ctx.getImageData(Math.floor((col + 0.5) * cell), Math.floor((row + 0.5) * cell), 1, 1).data;
        return p[0] < 128;
    });
}"""


def _pad_cell(page, row: int, col: int) -> tuple[float, float]:
    box = page.locator(PAD).bounding_box()
    return box["x"] + (col + 0.5) * box["width"] / 8, box["y"] + (row + 0.5) * box["height"] / 8


def _landed(page) -> str:
    return page.get_by_text(re.compile("lands at")).first.inner_text()


def test_one_tap_on_the_drawing_pad_inks_a_square_on_a_phone(open_phone) -> None:
    page = open_phone("VAE?data=digits&src=Draw+one")
    page.locator(PAD).scroll_into_view_if_needed()
    rerun(page, lambda: page.get_by_role("button", name="Clear the drawing").tap())
    assert page.evaluate(_INKED_ROW, 0) == [False] * 8
    rerun(page, lambda: page.tap(PAD, position=_relative(page, 3, 3)))  # one square: the pad has a digit again
    before = _landed(page)
    rerun(page, lambda: page.tap(PAD, position=_relative(page, 0, 0)))
    assert page.evaluate(_INKED_ROW, 0)[0] and _landed(page) != before  # one tap: inked and sent
    rerun(page, lambda: page.tap(PAD, position=_relative(page, 0, 0)))
    assert not page.evaluate(_INKED_ROW, 0)[0]  # a second tap on ink removes it
    screenshot(page, "vae-phone-drawing")
    assert_clean(page)


def _relative(page, row: int, col: int) -> dict[str, float]:
    box = page.locator(PAD).bounding_box()
    return {"x": (col + 0.5) * box["width"] / 8, "y": (row + 0.5) * box["height"] / 8}


def test_a_stroke_across_the_pad_inks_every_square_it_crosses_in_one_rerun(open_page) -> None:
    page = open_page("VAE?data=digits&src=Draw+one", 1280, 1000)
    page.locator(PAD).scroll_into_view_if_needed()
    before = _landed(page)
    page.evaluate(
        """() => {
            window.__runs = 0;
            const app = document.querySelector('[data-testid="stApp"]');
            new MutationObserver(() => {
                if (app.getAttribute('data-test-script-state') === 'running') window.__runs += 1;
            }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
        }"""
    )

    def stroke() -> None:
        page.mouse.move(*_pad_cell(page, 0, 0))
        page.mouse.down()
        for col in range(1, 8):
            page.mouse.move(*_pad_cell(page, 0, col), steps=3)
        page.mouse.up()

    rerun(page, stroke)
    assert page.evaluate(_INKED_ROW, 0) == [True] * 8
    assert _landed(page) != before
    runs = page.evaluate("() => window.__runs")
    assert runs == 1, f"{runs} script runs for one stroke"
    screenshot(page, "vae-drawing-stroke")
    assert_clean(page)


def test_the_vae_switches_to_digits(open_page) -> None:
    page = open_page("VAE", 1280, 1000)
    switch = page.locator('[data-testid="stButtonGroup"]').first
    rerun(page, lambda: switch.get_by_text("digits", exact=True).click())
    page.wait_for_url(re.compile(r"data=digits"))
    page.get_by_text(re.compile("digits land")).first.wait_for(timeout=30_000)
    assert page.get_by_text("Draw one").count() == 1
    assert_clean(page)


def test_the_vae_formulas_render(open_page) -> None:
    page = open_page("VAE", 1280, 1000)
    page.get_by_text("Go deeper: the technical version").click()  # opens in the browser, no rerun
    deeper = page.locator('[data-testid="stExpander"]').filter(has_text="Reparameterisation").first
    deeper.locator(".katex").first.wait_for(timeout=30_000)
    assert deeper.locator(".katex").count() >= 8
    assert deeper.locator(".katex-error").count() == 0
    # Outside the rendered formulas, no TeX source is left over (raw "$\\mathcal L = ..." was the bug).
    text = deeper.evaluate(
        "(e) => { const c = e.cloneNode(true); c.querySelectorAll('.katex').forEach(k => k.remove()); "
        "return c.textContent; }"
    )
    assert "\\" not in text and "$" not in text, text[:300]
    assert_clean(page)


def test_the_diffusion_step_player_moves_in_the_browser_alone(open_page) -> None:
    """Keys, a tap on the judge curve and ▶ Play all move the step without asking the server to run the script."""
    page = open_page("Diffusion?kind=bag&sampler=DDIM&steps=20", 1280, 1000)
    runs = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: runs.append(payload)))
    title = page.locator(".player .title")
    slider = page.get_by_role("slider", name="Step", exact=True)
    assert title.inner_text().startswith("Step 10 of 20 (t = ")
    slider.focus()
    page.keyboard.press("ArrowRight")
    assert title.inner_text().startswith("Step 11 of 20")
    assert slider.get_attribute("aria-valuetext") == title.inner_text()
    page.keyboard.press("End")
    assert title.inner_text() == "Step 20 of 20 (t = 0)"
    curve = page.locator(".player .curve").bounding_box()
    page.mouse.click(curve["x"] + 60, curve["y"] + curve["height"] / 2)  # near the left end: the run's start
    assert int(title.inner_text().split()[1]) <= 3
    page.get_by_role("button", name="▶ Play").click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('*')].some(h => h.shadowRoot"
        " && h.shadowRoot.querySelector('.title')?.textContent === 'Step 20 of 20 (t = 0)')",
        timeout=30_000,
    )
    assert page.get_by_role("button", name="▶ Play").count() == 1  # it stopped at the end
    assert page.locator(APP_READY).count() == 1 and not runs  # no rerun, not a single message to the server
    screenshot(page, "diffusion-after-playback")
    assert_clean(page)


def test_diffusion_headline_at_guidance_0_names_no_prompt(open_page) -> None:
    page = open_page("Diffusion?w=0.0&kind=bag", 1280, 1000)
    assert page.get_by_text("2 · Reverse: from static to a picture (guidance 0 ignores the prompt)").count() == 1
    title = page.locator(".player .headline").inner_text().replace("\n", " ")
    assert title.startswith("Guidance 0 ignores the prompt"), title
    final = page.get_by_text(re.compile("The judge reads the final picture as")).first.inner_text()
    read = re.search(r"final picture as (.+?) \(", final).group(1)
    assert read in title, (title, read)  # the headline names what the judge read in the final picture
    if "bag" not in read:
        assert "bag" not in title
    assert_clean(page)


def test_vae_upload_takes_a_photo_of_clothing(open_page) -> None:
    from PIL import Image, ImageDraw

    page = open_page("VAE?src=Upload+a+picture", 1280, 1000)
    uploader = page.locator('[data-testid="stFileUploaderDropzoneInput"]').first
    uploader.set_input_files({"name": "shoe.png", "mimeType": "image/png", "buffer": b"this is not a picture"})
    page.get_by_text("not a picture we can read").first.wait_for(timeout=30_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    photo = Image.new("RGB", (300, 200), "white")  # a dark shoe on a white table
    ImageDraw.Draw(photo).polygon([(30, 150), (270, 150), (270, 110), (160, 60), (30, 110)], fill=(40, 40, 40))
    buffer = BytesIO()
    photo.save(buffer, "PNG")
    uploader.set_input_files({"name": "shoe.png", "mimeType": "image/png", "buffer": buffer.getvalue()})
    landed = page.get_by_text(re.compile("Your picture. It lands at"))
    landed.first.wait_for(timeout=30_000)
    wait_for_app(page)
    landed.first.scroll_into_view_if_needed()
    screenshot(page, "vae-upload")
    assert_clean(page)

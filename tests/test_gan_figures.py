"""GAN figures: findings in the titles, live raster pictures with the right shapes and colours."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from explainers.gan import PointsCoverage, PointsTraining, coverage_verdict, points_verdict
from explainers.gan_points import EXTENT
from figures.gan import (
    FAKE_COLOUR,
    REAL_COLOUR,
    arena_finding,
    image_loss_finding,
    kinds_figure,
    loss_figure,
    loss_finding,
)
from figures.gan_live import LIVE_COLOURS, arena_raster, bars_raster, fakes_grid, lines_raster, surface_colours
from figures.pictures import to_png


def test_surface_colours_go_from_fake_through_white_to_real() -> None:
    fake_side, middle, real_side = surface_colours(np.array([0.0, 0.5, 1.0]))
    assert tuple(middle) == (255, 255, 255)
    assert fake_side[0] > fake_side[2] and real_side[2] > real_side[0]  # orange-ish vs blue-ish


def test_arena_raster_draws_points_where_they_are() -> None:
    run = PointsTraining("ring", seed=0)
    view = run.view()
    picture = arena_raster(EXTENT, view.surface, view.real, view.fake, view.arrows, size=200)
    assert picture.shape == (200, 200, 3) and picture.dtype == np.uint8
    # The first real point is drawn in the real-data blue at its place on the picture.
    x, y = view.real[0]
    col, row = int((x + EXTENT) / (2 * EXTENT) * 200), int((EXTENT - y) / (2 * EXTENT) * 200)
    blue = np.array([int(REAL_COLOUR[i : i + 2], 16) for i in (1, 3, 5)])
    patch = picture[max(row - 2, 0) : row + 3, max(col - 2, 0) : col + 3].reshape(-1, 3)
    assert np.abs(patch.astype(int) - blue).sum(axis=1).min() < 60


def test_live_pictures_encode_to_small_pngs() -> None:
    run = PointsTraining("moons", seed=0)
    run.train(30)
    view = run.view()
    lines = lines_raster(view.steps, [("D", view.d_loss, REAL_COLOUR), ("G", view.g_loss, FAKE_COLOUR)])
    names = ["T-shirt", "trousers", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"]
    bars = bars_raster(np.array([0.05, 0, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.05]), 0.2, names, 0.03)
    grid = fakes_grid(np.random.default_rng(0).random((100, 8, 8)))
    for picture in (lines, bars, grid):
        png = to_png(picture, colours=LIVE_COLOURS)
        assert len(png) < 60_000
        assert Image.open(io.BytesIO(png)).size == (picture.shape[1], picture.shape[0])
    assert grid.shape[0] == grid.shape[1]  # 10 x 10 digits: a square grid


def _verdict(step, real_covered, on_data, spread, d_real, d_fake):
    return points_verdict(step, PointsCoverage(real_covered, on_data, spread), d_real, d_fake)


STATES = [
    _verdict(0, 0, 0, 0.05, float("nan"), float("nan")),
    _verdict(1, 0, 0, 0.06, 0.6, 0.4),
    _verdict(1, 0, 0, 0.06, 0.5, 0.5),
    _verdict(5000, 0.1, 1.0, 0.02, 0.5, 0.5),
    _verdict(5000, 0.0, 0.0, 0.02, 0.5, 0.5),
    _verdict(5000, 0.25, 0.95, 0.4, 0.9, 0.1),
    _verdict(300, 0.85, 0.2, 1.2, 0.5, 0.5),
    _verdict(2000, 0.97, 0.7, 1.0, 0.55, 0.5),
    _verdict(3000, 0.99, 0.9, 1.0, 0.7, 0.3),
    _verdict(3000, 0.99, 0.9, 1.0, 0.51, 0.49),
]


def test_the_arena_and_loss_headlines_never_disagree() -> None:
    """Issue 12: "Stalemate: the detective is guessing" beside "the detective can still tell them apart". Both
    headlines are worded from one verdict: 'Stalemate' in both or in neither, and 'guessing' never beside 'tell'."""
    for v in STATES:
        arena, _ = arena_finding(v)
        loss, _ = loss_finding(v, 1.38 if v.step else None)
        assert ("Stalemate" in arena) == ("Stalemate" in loss) == v.stalemate, (v, arena, loss)
        assert not ("tell them apart" in arena and "guessing" in loss), (arena, loss)
        assert not ("guessing" in arena and "tell" in loss), (arena, loss)


def test_findings_name_the_clump_and_the_early_blob() -> None:
    assert arena_finding(STATES[0])[0] == "The forger starts with a blob of noise"
    assert loss_finding(STATES[0], None)[0] == "No training yet"
    blob_arena, detail = arena_finding(STATES[2])
    assert blob_arena == "The fakes are still one small blob" and "step 1 ·" in detail
    assert (
        loss_finding(STATES[2], 1.39)[0]
        == "The detective is guessing, but it is no stalemate: the fakes are still one small blob"
    )
    assert arena_finding(STATES[3])[0] == "Collapse: every fake sits in one clump, on one part of the data"
    assert arena_finding(STATES[4])[0] == "Collapse: every fake sits in one clump, off the data"
    assert "Mode collapse" in arena_finding(STATES[5])[0] and "winning" in loss_finding(STATES[5], 0.5)[0]
    assert arena_finding(STATES[-1])[0].startswith("Stalemate: the fakes cover the data")
    assert loss_finding(STATES[-1], 1.38)[0] == "Stalemate: the detective is guessing"


def test_image_loss_finding_needs_good_fakes_for_a_stalemate() -> None:
    good = coverage_verdict(np.array([90] * 10), 100)  # 10% unreadable, every kind at 9%
    blobs = coverage_verdict(np.array([5] * 10), 950)
    assert image_loss_finding(1.38, good)[0] == "Stalemate: the detective is guessing"
    assert image_loss_finding(1.38, blobs)[0] == "Loss near guessing, but no stalemate: 95% of the fakes are unreadable"
    assert image_loss_finding(0.7, good)[0] == "The detective is winning"
    assert image_loss_finding(None, None)[0] == "No training yet"


def test_plotly_figures_show_every_kind_and_the_unreadable_bar() -> None:
    verdict = coverage_verdict(np.array([10] * 10), 50)
    names = [str(d) for d in range(10)]
    kinds = kinds_figure(verdict, names, 0.03)
    assert list(kinds.data[0].y) == [*names, "unreadable"]
    assert kinds.data[0].x[-1] == 50 / 150
    assert kinds.layout.title.text is None  # the finding is written above the chart, where it wraps
    losses = loss_figure(np.array([1, 2, 3]), np.array([1.4, 1.3, 1.39]), np.array([0.7, 0.8, 0.7]), marker_step=2)
    assert [t.name for t in losses.data] == ["detective (D)", "forger (G)", "guessing (2 ln 2)"]
    assert losses.layout.xaxis.title.text == "training step"
    assert losses.layout.shapes[0].x0 == 2  # the step shown


def test_the_fakes_grid_keeps_every_picture_and_its_size() -> None:
    images = np.zeros((12, 28, 28), dtype=np.float32)
    images[5, 3, 4] = 1.0  # one ink pixel: row 0, column 5 of the grid
    grid = fakes_grid(images, cols=10)  # one pixel per image pixel: the browser scales it up, pixelated
    gap = 1
    assert grid.shape == (2 * (28 + gap) - gap + 2, 10 * (28 + gap) - gap + 2)
    top, left = 1 + 3, 1 + 5 * (28 + gap) + 4
    assert grid[top, left] == 0.0 and grid[top, left - 1] == 1.0  # ink is black on white paper
    assert grid[0, 0] == grid[-1, -1] == np.float32(235 / 255)  # border and empty places: light grey

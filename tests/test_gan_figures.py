"""GAN figures: findings in the titles, live raster pictures with the right shapes and colours."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from explainers.gan import PointsTraining
from explainers.gan_points import EXTENT
from figures.gan import (
    FAKE_COLOUR,
    REAL_COLOUR,
    arena_finding,
    class_histogram_figure,
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
    bars = bars_raster(np.array([5, 0, 10, 10, 10, 10, 10, 10, 10, 25]))
    grid = fakes_grid(np.random.default_rng(0).random((100, 8, 8)))
    for picture in (lines, bars, grid):
        png = to_png(picture, colours=LIVE_COLOURS)
        assert len(png) < 60_000
        assert Image.open(io.BytesIO(png)).size == (picture.shape[1], picture.shape[0])
    assert grid.shape[0] == grid.shape[1]  # 10 x 10 digits: a square grid


def test_findings_follow_the_numbers() -> None:
    assert "easily spots" in arena_finding(100, 0.9, 0.2)[0]
    assert "barely" in arena_finding(100, 0.51, 0.49)[0]
    assert "winning" in loss_finding(0.5)[0] and "detective" in loss_finding(0.5)[0]
    assert "Stalemate" in loss_finding(1.38)[0]
    assert loss_finding(None)[0] == "No training yet"


def test_plotly_figures_state_their_finding() -> None:
    hist = class_histogram_figure(np.array([10] * 10), "All ten digits appear")
    assert hist.layout.title.text.startswith("All ten digits appear")
    assert list(hist.data[0].x) == [str(d) for d in range(10)]
    losses = loss_figure(np.array([1, 2, 3]), np.array([1.4, 1.3, 1.39]), np.array([0.7, 0.8, 0.7]))
    assert losses.layout.title.text.startswith("Stalemate")
    assert losses.layout.xaxis.title.text == "training step"


def test_the_fakes_grid_keeps_every_picture_and_its_size() -> None:
    images = np.zeros((12, 28, 28), dtype=np.float32)
    images[5, 3, 4] = 1.0  # one ink pixel: row 0, column 5 of the grid
    grid = fakes_grid(images, cols=10)
    scale, gap = 6, 3
    assert grid.shape == (2 * (28 * scale + gap) + gap, 10 * (28 * scale + gap) + gap)
    top, left = gap + 3 * scale, gap + 5 * (28 * scale + gap) + 4 * scale
    assert grid[top, left] == 0.0 and grid[top, left - 1] == 1.0  # ink is black on white paper
    assert grid[0, 0] == grid[-1, -1] == np.float32(235 / 255)  # border and empty places: light grey

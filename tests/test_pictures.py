"""Picture builders (figures/pictures.py, vae.py, diffusion.py): [0, 1] in, any image size, one PNG encoder."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image

from figures.diffusion import PANELS, step_player_data
from figures.pictures import (
    data_uri,
    grid_picture,
    image_grid,
    mosaic,
    paper,
    picture_source,
    scale_for,
    single_image,
    tile_pngs,
    to_png,
)
from figures.vae import Mark, class_glyphs_picture, encoded_scatter, latent_map, map_picture


def _decoded(uri: str) -> np.ndarray:
    assert uri.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))))


def test_ink_is_dark_on_white_paper_and_greys_round_to_the_nearest_level() -> None:
    assert paper(np.array([0.0, 1.0, 2.0])).tolist() == [1.0, 0.0, 0.0]
    greys = np.array([[0.0, 1.0], [0.5, 235 / 255]], dtype=np.float32)
    assert np.asarray(Image.open(io.BytesIO(to_png(greys)))).tolist() == [[0, 255], [128, 235]]


def test_to_png_takes_rgb_and_pil_pictures_and_reduces_the_palette_on_request() -> None:
    rgb = np.random.default_rng(0).integers(0, 256, (40, 30, 3), dtype=np.uint8)
    assert Image.open(io.BytesIO(to_png(rgb))).size == (30, 40)
    reduced = Image.open(io.BytesIO(to_png(Image.fromarray(rgb), colours=16)))
    assert reduced.mode == "P" and len(reduced.getcolors()) <= 16
    assert data_uri(b"\x89PNG") == "data:image/png;base64,iVBORw=="


def test_mosaic_places_tiles_with_gaps_and_a_border() -> None:
    tiles = np.zeros((2, 3, 4, 5), dtype=np.float32)
    canvas = mosaic(tiles, gap=1, scale=2, background=0.5, border=2)
    assert canvas.shape == (2 * 9 - 1 + 4, 3 * 11 - 1 + 4)
    assert canvas[0, 0] == 0.5 and canvas[2, 2] == 0.0 and canvas[2 + 8, 2] == 0.5  # border, tile, gap


@pytest.mark.parametrize("size", [8, 28])
def test_grid_picture_fills_the_last_row_with_background(size: int) -> None:
    images = np.ones((5, size, size), dtype=np.float32)  # all ink
    canvas = grid_picture(images, cols=4, scale=1, gap=0)
    assert canvas.shape == (2 * size, 4 * size)
    assert canvas[:size].max() == 0.0 and canvas[size:, size:].min() == 1.0  # five black tiles, three blank


@pytest.mark.parametrize(("size", "scale"), [(8, 8), (28, 2)])
def test_figure_builders_take_the_image_size_from_the_arrays(size: int, scale: int) -> None:
    assert scale_for(size) == scale
    rng = np.random.default_rng(size)
    images = rng.random((6, size, size)).astype(np.float32)
    assert _decoded(single_image(images[0], "one").data[0].source).shape == (size * scale, size * scale)
    gap = max(2, scale * size // 16)
    grid = _decoded(image_grid(images, "grid", cols=4).data[0].source)
    assert grid.shape == (2 * size * scale + gap, 4 * size * scale + 3 * gap)
    t = np.arange(20)[::-1]
    player = step_player_data(images[:2], rng.standard_normal((2, size, size)), images[2:4], t[:2], [], ["judge"])
    assert player["size"] == [size, size]


@pytest.mark.parametrize("size", [8, 28])
def test_a_row_of_pictures_is_one_crisp_png_each(size: int) -> None:
    images = np.zeros((3, size, size), dtype=np.float32)
    images[:, 0, 0] = 1.0  # one ink pixel in the top-left corner
    pngs = [np.asarray(Image.open(io.BytesIO(p))) for p in tile_pngs(images, side=104)]
    factor = -(-104 // size)
    assert len(pngs) == 3 and pngs[0].shape == (size * factor + 6, size * factor + 6)
    assert pngs[0][3 : 3 + factor, 3 : 3 + factor].max() == 0  # the ink pixel is a solid block, no blur
    assert pngs[0][3 + factor, 3 + factor] == 255 and pngs[0][0, 0] == 255  # paper, and the white frame


def test_the_step_player_carries_every_step_as_display_greys() -> None:
    steps = 200
    ink = np.zeros((steps, 28, 28), dtype=np.float32)
    ink[:, 0, 0] = 1.0  # one ink pixel: black on white paper
    noise = np.zeros((steps, 28, 28), dtype=np.float32)
    noise[:, 0, 0] = 10.0  # far above the grey scale's end: white
    t = np.arange(steps)[::-1]
    lines = [("reads a shirt", np.linspace(0, 1, steps)), ("reads a bag", np.zeros(steps))]
    data = step_player_data(ink, noise, ink, t, lines, ["The guess reads", "as a shirt"], np.ones(steps), start=99)
    pixels = np.frombuffer(base64.b64decode(data["pixels"]), dtype=np.uint8).reshape(steps, 3, 28, 28)
    assert pixels[:, 0, 0, 0].max() == 0 and pixels[:, 0, 1, 1].min() == 255  # ink is black, paper white
    assert pixels[:, 1, 0, 0].min() == 255 and pixels[:, 1, 1, 1].max() == 128  # noise 0 is mid-grey
    assert data["steps"] == steps and data["t"] == t.tolist() and data["start"] == 99
    assert data["panels"] == list(PANELS) and data["headline"] == ["The guess reads", "as a shirt"]
    assert [c["name"] for c in data["curves"]] == ["reads a shirt", "reads a bag", "guess matches the final picture"]
    assert all(len(c["y"]) == steps for c in data["curves"])
    assert data["play_stride"] == 4  # ▶ Play shows a 200-step run in 50 frames
    assert len(json.dumps(data)) < 700_000  # 600 pictures of 28x28 pixels, one byte each, base64
    assert step_player_data(ink[:20], noise[:20], ink[:20], t[:20], [], ["x"], start=50)["start"] == 19


@pytest.mark.parametrize("size", [8, 28])
def test_the_map_is_one_picture_under_one_clickable_point_per_tile(size: int) -> None:
    rng = np.random.default_rng(size)
    grid = rng.random((3, 3, size, size)).astype(np.float32)
    axis = np.array([-1.0, 0.0, 1.0])
    picture = map_picture(grid)
    assert _decoded(picture.source).shape == (picture.pixels, picture.pixels) and picture.pixels >= 800
    fig = latent_map(picture, axis, "map", [Mark(0.2, 0.3, "your picture")], np.array([[0.0, 0.0], [1.0, 1.0]]))
    image, lattice = fig.data[0], fig.data[1]
    assert image.type == "image" and image.x0 - image.dx / 2 == pytest.approx(-1.5)  # the map's edge, in z units
    assert len(lattice.x) == 9 and lattice.customdata.shape == (9, 2)
    assert fig.layout.xaxis.range == (-1.5, 1.5) and not fig.layout.shapes  # everything on the map: no edge drawn
    assert all(not getattr(t, "text", None) for t in fig.data)  # no labels over the tiles: the key is under it


def test_the_map_widens_to_show_a_walk_that_leaves_it() -> None:
    grid = np.zeros((3, 3, 8, 8), dtype=np.float32)
    path = np.array([[0.0, 0.0], [3.0, -2.0]])
    fig = latent_map(map_picture(grid), np.array([-1.0, 0.0, 1.0]), "map", [], path)
    assert fig.layout.xaxis.range[1] >= 3.0 and fig.layout.yaxis.range[0] <= -3.0
    assert fig.layout.shapes[0].x1 == 1.5  # the dashed edge of the map


def test_clothes_land_as_their_own_tinted_pictures_with_a_named_key() -> None:
    rng = np.random.default_rng(1)
    mu, labels = rng.normal(size=(20, 2)), np.arange(20) % 10
    thumbs = rng.random((20, 28, 28)).astype(np.float32)
    glyphs = class_glyphs_picture(mu, labels, 3.0, thumbnails=thumbs, size=200)
    assert _decoded(glyphs).shape[:2] == (200, 200)
    names = [f"kind {k}" for k in range(10)]
    fig = encoded_scatter(mu, labels, names, "where they land", 2.0, glyphs, legend=True)
    assert [t.name for t in fig.data if t.showlegend is not False] == names
    assert sum(len(t.x) for t in fig.data if t.showlegend is False) == 20  # every picture is clickable
    digits = encoded_scatter(mu, labels, names, "t", 2.0, class_glyphs_picture(mu, labels, 3.0, size=200), False)
    assert all(t.showlegend is False for t in digits.data)  # a digit's glyph names itself


def test_picture_source_is_one_png_of_the_canvas() -> None:
    canvas = np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4)
    assert _decoded(picture_source(canvas)).shape == (3, 4)


def test_the_cost_bars_keep_few_upright_ticks_in_a_narrow_column() -> None:
    """Issue 12: in the VAE page's narrow fourth column Plotly stood the cost chart's tick labels on end."""
    from figures.vae import loss_terms_bar

    fig = loss_terms_bar(294.4, 7.0, "Cost of this picture:<br>301 nats")
    assert fig.layout.xaxis.tickangle == 0
    assert fig.layout.xaxis.nticks <= 3

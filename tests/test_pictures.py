"""Picture builders (figures/pictures.py, vae.py, diffusion.py): [0, 1] in, any image size, one PNG encoder."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from figures.diffusion import reverse_step_figure, trajectory_animation
from figures.pictures import (
    data_uri,
    grid_picture,
    image_grid,
    image_strip,
    mosaic,
    paper,
    picture_source,
    single_image,
    to_png,
)
from figures.vae import drawing_pad, latent_map


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


@pytest.mark.parametrize("size", [8, 28])
def test_figure_builders_take_the_image_size_from_the_arrays(size: int) -> None:
    rng = np.random.default_rng(size)
    images = rng.random((6, size, size)).astype(np.float32)
    strip = image_strip(images[:3], ["a", "b", "c"], "strip")
    assert _decoded(strip.data[0].source).shape == (size * 8, 3 * size * 8 + 2 * 8)
    assert strip.layout.annotations[1].x == (size * 8 + 8) + size * 4
    assert _decoded(single_image(images[0], "one").data[0].source).shape == (size * 8, size * 8)
    assert _decoded(image_grid(images, "grid", cols=4).data[0].source).shape == (2 * size * 8 + 4, 4 * size * 8 + 12)
    step = reverse_step_figure(images[0], rng.standard_normal((size, size)), images[1], "step")
    assert [_decoded(t.source).shape for t in step.data] == [(size * 8, size * 8)] * 3
    anim = trajectory_animation(images, images, images, np.arange(6)[::-1], "replay", max_frames=3)
    assert len(anim.frames) == 3
    pad = drawing_pad((images[0] > 0.5).astype(np.float32), "pad")
    assert len(pad.data[0].x) == size * size and pad.layout.xaxis.range[1] == pytest.approx(size - 0.4)
    grid = rng.random((3, 3, size, size)).astype(np.float32)
    assert latent_map(grid, np.array([-1.0, 0.0, 1.0]), "map").data[0].source.startswith("data:image/png")


def test_picture_source_is_one_png_of_the_canvas() -> None:
    canvas = np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4)
    assert _decoded(picture_source(canvas)).shape == (3, 4)

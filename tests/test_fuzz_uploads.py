"""Uploads that are not images, or are hostile images, get a plain-words answer, never a traceback, and cost
little: each file adds at most 50 MB to the process's peak memory (issue 11).

`explainers.uploads` is the one door an uploaded file goes through (`explainers.digits.image_from_upload`
wraps it). For any bytes each converter must either return a finite float32 picture in [0, 1] or raise
BadImageError with a short message. The hostile files and the memory measurement are shared with
benchmarks/bench_uploads.py, which records the times as well.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from benchmarks.bench_uploads import (
    HOSTILE_FILES,
    MEMORY_BAR_MB,
    alpha_only_digit,
    animated_gif,
    digit_picture,
    hostile_file,
    measure,
    palette_png,
    sixteen_bit_png,
    strip_png,
)
from explainers.digits import MAX_UPLOAD_BYTES, BadImageError, image_from_upload
from explainers.uploads import WORK_SIDE, digit_8x8, fashion_28x28, safe_greyscale


def _png(array: np.ndarray, mode: str | None = None) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array, mode=mode).save(buffer, format="PNG")
    return buffer.getvalue()


def _encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims a huge size: a decompression-bomb probe (no pixel data worth decoding)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")
    )


def check(data: bytes) -> None:
    """Both converters give a valid picture or a short plain-words refusal."""
    for convert, shape in ((digit_8x8, (8, 8)), (fashion_28x28, (28, 28))):
        try:
            image = convert(data)
        except BadImageError as error:
            message = str(error)
            assert message and len(message) < 300 and "Traceback" not in message and "<" not in message
            continue
        assert image.shape == shape and image.dtype == np.float32
        assert np.isfinite(image).all() and image.min() >= 0 and image.max() <= 1
    try:
        tensor = image_from_upload(data)
    except BadImageError:
        return
    assert tuple(tensor.shape) == (1, 1, 8, 8)


rng = np.random.default_rng(0)
digit_like = np.full((64, 48), 255, dtype=np.uint8)
digit_like[10:54, 20:28] = 0  # a dark "1" on white paper
CASES = {
    "empty": b"",
    "text file": b"hello, this is not a picture\n" * 10,
    "html": b"<html><script>alert(1)</script></html>",
    "nul bytes": b"\x00" * 1000,
    "png signature only": b"\x89PNG\r\n\x1a\n",
    "jpeg signature only": b"\xff\xd8\xff",
    "truncated png": _png(digit_like)[:60],
    "truncated jpeg": _encoded(Image.fromarray(digit_like), "JPEG")[:300],
    "corrupted png body": _png(digit_like)[:40] + b"\xff" * 200 + _png(digit_like)[240:],
    "bomb header 100000x100000": _png_header_only(100_000, 100_000),
    "bomb header 1x10000000": _png_header_only(1, 10_000_000),
    "bomb header 0x0": _png_header_only(0, 0),
    "1x1 white": _png(np.full((1, 1), 255, dtype=np.uint8)),
    "2x16 strip": _png(np.zeros((2, 16), dtype=np.uint8)),
    "all black": _png(np.zeros((32, 32), dtype=np.uint8)),
    "all white": _png(np.full((32, 32), 255, dtype=np.uint8)),
    "noise": _png(rng.integers(0, 256, (40, 40), dtype=np.uint8)),
    "digit on paper": _png(digit_like),
    "rgba transparent": _png(np.zeros((16, 16, 4), dtype=np.uint8)),
    "16-bit grey": _encoded(Image.fromarray(rng.integers(0, 65535, (20, 20), dtype=np.uint16)), "PNG"),
    "palette gif": _encoded(Image.fromarray(digit_like).convert("P"), "GIF"),
    "cmyk jpeg": _encoded(Image.fromarray(digit_like).convert("CMYK"), "JPEG"),
    "tiny bmp": _encoded(Image.fromarray(digit_like), "BMP"),
    "tiff (not accepted)": _encoded(Image.fromarray(digit_like), "TIFF"),
    "1-bit png": _encoded(Image.fromarray(digit_like).convert("1"), "PNG"),
    "grey png with a transparent grey": _encoded(Image.fromarray(digit_like), "PNG", transparency=255),
    "rgb png with a transparent colour": _encoded(
        Image.fromarray(digit_like).convert("RGB"), "PNG", transparency=(0, 0, 0)
    ),
    "over the size cap": b"\x89PNG\r\n\x1a\n" + b"\x00" * (MAX_UPLOAD_BYTES + 10),
}


@pytest.mark.parametrize("name", list(CASES))
def test_known_bad_and_odd_files(name: str) -> None:
    check(CASES[name])


def test_a_real_looking_digit_is_accepted() -> None:
    image = image_from_upload(CASES["digit on paper"])
    assert tuple(image.shape) == (1, 1, 8, 8) and float(image.max()) == pytest.approx(1.0)


@settings(max_examples=60, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(st.binary(max_size=4096), st.binary(max_size=64).map(lambda b: b"\x89PNG\r\n\x1a\n" + b)))
def test_any_bytes_get_a_clear_answer(data: bytes) -> None:
    check(data)


@settings(max_examples=30, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), cut=st.integers(1, 400))
def test_truncated_and_bit_flipped_pngs(seed: int, cut: int) -> None:
    picture = np.random.default_rng(seed).integers(0, 256, (24, 24), dtype=np.uint8)
    data = bytearray(_png(picture))
    check(bytes(data[: max(1, len(data) - cut)]))
    data[min(len(data) - 1, 8 + cut % 64)] ^= 0xFF
    check(bytes(data))


@settings(max_examples=30, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), position=st.integers(2, 600), value=st.integers(0, 255))
def test_bit_flipped_jpegs(seed: int, position: int, value: int) -> None:
    picture = np.random.default_rng(seed).integers(0, 256, (32, 32), dtype=np.uint8)
    data = bytearray(_encoded(Image.fromarray(picture), "JPEG", progressive=bool(seed % 2)))
    data[min(len(data) - 1, position)] = value
    check(bytes(data))


# ----------------------------------------------------------------------------- hostile sizes, refused early


@pytest.mark.parametrize(
    ("width", "height", "words"),
    [(20000, 1, "too big"), (1, 20000, "too big"), (16_777_216, 1, "too big"), (4000, 100, "thin strip")],
)
def test_long_thin_strips_are_refused_in_plain_words(width: int, height: int, words: str) -> None:
    with pytest.raises(BadImageError, match=words) as info:
        digit_8x8(
            strip_png(width, height) if 1 in (width, height) else _encoded(Image.new("L", (width, height)), "PNG")
        )
    assert f"{width:,}" in str(info.value)  # the visitor is told what we saw


def test_the_decode_budget_refuses_before_decoding() -> None:
    data = _encoded(Image.new("RGBA", (4096, 4096), (255, 255, 255, 255)), "PNG")
    with pytest.raises(BadImageError, match="too many pixels"):
        safe_greyscale(data)
    progressive = _encoded(Image.new("L", (8192, 8192), 255), "JPEG", quality=50, progressive=True)
    with pytest.raises(BadImageError, match="progressive"):
        safe_greyscale(progressive)


def test_large_pictures_are_shrunk_to_the_working_size() -> None:
    grey = safe_greyscale(_encoded(digit_picture(4096), "PNG"))
    assert max(grey.shape) <= WORK_SIDE and grey.dtype == np.uint8
    photo = safe_greyscale(_encoded(Image.new("RGB", (8192, 6144), (250, 250, 250)), "JPEG", quality=40))
    assert photo.shape == (384, 512)  # JPEG decoded at 1/8 scale, then shrunk


# ----------------------------------------------------------------------------- odd formats read correctly


def _plain_digit() -> np.ndarray:
    return digit_8x8(_encoded(digit_picture(300), "PNG"))


def test_a_digit_that_lives_only_in_the_alpha_channel_is_read() -> None:
    # Black everywhere, the strokes opaque and the paper transparent: composited onto white it is a digit.
    np.testing.assert_allclose(digit_8x8(alpha_only_digit(300)), _plain_digit(), atol=0.02)
    with pytest.raises(BadImageError, match="blank"):  # what the old decoder did: it ignored the alpha channel
        digit_8x8(_encoded(Image.open(io.BytesIO(alpha_only_digit(300))).convert("RGB"), "PNG"))


@pytest.mark.parametrize(
    "name",
    ["palette with transparency", "16-bit grey", "grey+alpha", "cmyk jpeg", "animated gif", "webp", "bmp"],
)
def test_odd_formats_read_as_the_same_digit(name: str) -> None:
    data = {
        "palette with transparency": lambda: palette_png(300),
        "16-bit grey": lambda: sixteen_bit_png(300),
        "grey+alpha": lambda: _encoded(digit_picture(300, "LA"), "PNG"),
        "cmyk jpeg": lambda: _encoded(digit_picture(300, "CMYK"), "JPEG", quality=95),
        "animated gif": lambda: animated_gif(300, frames=4),  # the first frame is the upright digit
        "webp": lambda: _encoded(digit_picture(300, "RGB"), "WEBP", quality=90),
        "bmp": lambda: _encoded(digit_picture(300), "BMP"),
    }[name]()
    np.testing.assert_allclose(digit_8x8(data), _plain_digit(), atol=0.08)


def test_jpeg_camera_rotation_is_applied() -> None:
    upright = Image.new("L", (300, 200), 255)
    ImageDraw.Draw(upright).rectangle((20, 20, 120, 60), fill=0)  # a bar in the top-left corner
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # the camera stored it turned; EXIF says turn back
    exif = Image.Exif()
    exif[0x0112] = 6
    grey = safe_greyscale(_encoded(stored, "JPEG", quality=95, exif=exif.tobytes()))
    assert grey.shape == (200, 300)
    assert grey[40, 70] < 64 and grey[150, 250] > 192


# ----------------------------------------------------------------------------- the 28x28 clothing converter


def _shoe_photo(background: int, shoe: int, size: tuple[int, int] = (640, 480)) -> bytes:
    image = Image.new("RGB", size, (background,) * 3)
    ImageDraw.Draw(image).ellipse((120, 200, 520, 330), fill=(shoe,) * 3)  # a wide, low object
    return _encoded(image, "JPEG", quality=92)


def test_a_light_background_photo_becomes_a_light_object_on_black() -> None:
    picture = fashion_28x28(_shoe_photo(background=245, shoe=40))
    assert picture.shape == (28, 28) and picture.dtype == np.float32
    assert picture.max() == pytest.approx(1.0)
    assert picture[0].max() < 0.05 and picture[-1].max() < 0.05  # black above and below the object
    columns = np.flatnonzero(picture.max(axis=0) > 0.3)
    assert columns[0] <= 1 and columns[-1] >= 26  # the longest side fills the picture, as in Fashion-MNIST
    rows = np.flatnonzero(picture.max(axis=1) > 0.3)
    assert abs((rows[0] + rows[-1]) / 2 - 13.5) <= 1  # centred


def test_a_dark_background_photo_is_not_inverted() -> None:
    light_on_dark = fashion_28x28(_shoe_photo(background=10, shoe=220))
    dark_on_light = fashion_28x28(_shoe_photo(background=245, shoe=40))
    np.testing.assert_allclose(light_on_dark, dark_on_light, atol=0.1)


def test_an_empty_photo_is_refused_for_clothing_too() -> None:
    with pytest.raises(BadImageError, match="empty"):
        fashion_28x28(_shoe_photo(background=200, shoe=200))


# ----------------------------------------------------------------------------- the memory bar


@pytest.mark.parametrize("name", list(HOSTILE_FILES))
def test_each_hostile_file_adds_at_most_50_mb(name: str) -> None:
    result = measure(hostile_file(name), "digit_8x8")
    assert result["added_mb"] <= MEMORY_BAR_MB, f"{name}: {result}"
    outcome = str(result["outcome"])
    assert outcome.startswith(("accepted", "refused")), outcome


def test_the_clothing_converter_keeps_the_bar_on_the_largest_accepted_files() -> None:
    for name in ("digit 4096x4096 grey (png)", "digit 2048x2048 rgba (png)", "noisy photo 4096x3072 (jpeg ~1 MB)"):
        result = measure(hostile_file(name), "fashion_28x28")
        assert result["added_mb"] <= MEMORY_BAR_MB and str(result["outcome"]).startswith("accepted"), (name, result)


# ----------------------------------------------------------------------------- the page decodes a file once


def _page_with_an_upload(data: bytes) -> None:
    import hashlib

    import streamlit as st

    from ui.vae import _digit_from_upload

    st.number_input("an unrelated knob", 0, 10, key="knob")
    digit, problem = _digit_from_upload(hashlib.sha256(data).hexdigest(), data)
    st.write("digit" if digit is not None else problem)


def test_an_upload_is_decoded_once_per_file_not_on_every_rerun(monkeypatch: pytest.MonkeyPatch) -> None:
    import streamlit
    from streamlit.testing.v1 import AppTest

    import explainers.uploads as uploads

    calls: list[int] = []
    real = uploads.digit_8x8
    monkeypatch.setattr(uploads, "digit_8x8", lambda data: calls.append(len(data)) or real(data))
    streamlit.cache_data.clear()
    good, bad = _encoded(digit_picture(200), "PNG"), strip_png(20000, 1)
    for data, shown in ((good, "digit"), (bad, "too big")):
        at = AppTest.from_function(_page_with_an_upload, args=(data,), default_timeout=60)
        at.run()
        at.number_input(key="knob").increment().run()  # an unrelated rerun
        at.number_input(key="knob").increment().run()
        assert not at.exception and shown in at.markdown[0].value
        second_tab = AppTest.from_function(_page_with_an_upload, args=(data,), default_timeout=60)
        second_tab.run()  # another visitor with the same file
    assert len(calls) == 2, calls  # once per file, refusals included
    streamlit.cache_data.clear()

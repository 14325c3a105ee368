"""Uploads that are not images (or are hostile images) get a plain-words answer, never a traceback.

`explainers.digits.image_from_upload` is the one door an uploaded file goes through. For any bytes it must
either return a finite (1, 1, 8, 8) tensor in [0, 1] or raise BadImageError with a short message.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from explainers.digits import MAX_UPLOAD_BYTES, BadImageError, image_from_upload


def _png(array: np.ndarray, mode: str | None = None) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array, mode=mode).save(buffer, format="PNG")
    return buffer.getvalue()


def _encoded(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
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
    try:
        image = image_from_upload(data)
    except BadImageError as error:
        message = str(error)
        assert message and len(message) < 300 and "Traceback" not in message and "<" not in message
        return
    assert tuple(image.shape) == (1, 1, 8, 8)
    values = image.numpy()
    assert np.isfinite(values).all() and values.min() >= 0 and values.max() <= 1


rng = np.random.default_rng(0)
digit_like = np.full((64, 48), 255, dtype=np.uint8)
digit_like[10:54, 20:28] = 0  # a dark "1" on white paper
CASES = {
    "empty": b"",
    "text file": b"hello, this is not a picture\n" * 10,
    "html": b"<html><script>alert(1)</script></html>",
    "nul bytes": b"\x00" * 1000,
    "png signature only": b"\x89PNG\r\n\x1a\n",
    "truncated png": _png(digit_like)[:60],
    "corrupted png body": _png(digit_like)[:40] + b"\xff" * 200 + _png(digit_like)[240:],
    "bomb header 100000x100000": _png_header_only(100_000, 100_000),
    "bomb header 1x10000000": _png_header_only(1, 10_000_000),
    "1x1 white": _png(np.full((1, 1), 255, dtype=np.uint8)),
    "all black": _png(np.zeros((32, 32), dtype=np.uint8)),
    "all white": _png(np.full((32, 32), 255, dtype=np.uint8)),
    "noise": _png(rng.integers(0, 256, (40, 40), dtype=np.uint8)),
    "digit on paper": _png(digit_like),
    "rgba transparent": _png(np.zeros((16, 16, 4), dtype=np.uint8)),
    "16-bit grey": _encoded(Image.fromarray(rng.integers(0, 65535, (20, 20), dtype=np.uint16)), "PNG"),
    "palette gif": _encoded(Image.fromarray(digit_like).convert("P"), "GIF"),
    "cmyk jpeg": _encoded(Image.fromarray(digit_like).convert("CMYK"), "JPEG"),
    "tiny bmp": _encoded(Image.fromarray(digit_like), "BMP"),
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

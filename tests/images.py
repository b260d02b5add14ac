"""Real image bytes for tests, made with Pillow (no files shipped)."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image, ImageDraw


def product_photo(
    fmt: str = "JPEG",
    size: tuple[int, int] = (640, 480),
    item: tuple[int, int, int] = (200, 30, 40),
    background: tuple[int, int, int] = (245, 245, 240),
) -> bytes:
    """A plain background with a coloured item in the middle, like a seller's photo."""
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.ellipse((w // 4, h // 4, 3 * w // 4, 3 * h // 4), fill=item)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    body = kind + payload
    return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))


def png_bomb(side: int = 13_000) -> bytes:
    """A one-bit PNG of ``side`` x ``side`` white pixels: about 20 KB that decodes to gigabytes.

    Written chunk by chunk (not with Pillow), so making it costs no more than its rows.
    """
    row = b"\x00" + b"\xff" * ((side + 7) // 8)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )

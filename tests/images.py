"""Real image bytes for tests, made with Pillow (no files shipped)."""

from __future__ import annotations

import io

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

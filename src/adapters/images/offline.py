"""The offline image editor: deterministic background removal for plain backdrops, with Pillow.

It is the embedded default, so a fresh install produces cut-outs without an API key. It
does what a product photo on a plain sheet or wall allows: estimate the backdrop colour from
the border, fade out pixels close to it (a soft threshold, so edges stay smooth), crop to
the item and pad it by 15% on a transparent PNG. A cluttered backdrop is refused with
``ImageEditorError`` instead of producing a ragged cut-out; the pipeline then records the
variant stage as failed and the seller keeps the original.
"""

from __future__ import annotations

import asyncio
import io
from functools import cache
from typing import Final

from PIL import Image, ImageChops, ImageOps, UnidentifiedImageError

from reseller_core.ports import EditedImage, ImageEditorError

DECODABLE_FORMATS: Final = ("JPEG", "MPO", "PNG", "WEBP", "HEIF", "AVIF")
"""Pillow format names accepted as uploads (the Q-M1 allow-list; MPO is a phone JPEG)."""

PADDING: Final = 0.15
"""Transparent margin around the item, as a share of its larger side (spec 30 §10)."""

SAMPLE_SIZE: Final = 64
"""The backdrop is estimated on a copy downscaled to fit this box: cheap and stable."""

ALPHA_VISIBLE: Final = 128
"""Border pixels less opaque than this are already transparent and say nothing."""

MAX_BACKDROP_SPREAD: Final = 30.0
"""Mean channel deviation of the border above which the backdrop is not plain enough."""

FADE_START: Final = 24
FADE_END: Final = 64
"""Channel distance from the backdrop: at or below ``FADE_START`` a pixel is transparent,
at or above ``FADE_END`` opaque, linear in between (anti-aliased edges and JPEG noise)."""

SUBJECT_ALPHA: Final = 32
"""Alpha from which a pixel counts when finding the item's bounding box."""

_FADE_LUT: Final = [
    0
    if value <= FADE_START
    else 255
    if value >= FADE_END
    else round((value - FADE_START) * 255 / (FADE_END - FADE_START))
    for value in range(256)
]
_SUBJECT_LUT: Final = [255 if value >= SUBJECT_ALPHA else 0 for value in range(256)]


@cache
def _open_formats() -> tuple[str, ...]:
    """The allowed formats this Pillow can open (pillow-heif registered when installed).

    Kept apart from the AI adapter's copy on purpose: adapters do not import each other.
    """
    try:
        from pillow_heif import register_heif_opener  # type: ignore[import-not-found]
    except ImportError:
        pass
    else:
        register_heif_opener()
    Image.init()
    return tuple(name for name in DECODABLE_FORMATS if name in Image.OPEN)


def _decode(data: bytes) -> Image.Image:
    """Fully decode ``data`` (``load()`` rejects truncated files), upright, as RGBA."""
    try:
        image = Image.open(io.BytesIO(data), formats=_open_formats())
        image.load()
        return ImageOps.exif_transpose(image).convert("RGBA")
    except Image.DecompressionBombError as exc:
        raise ImageEditorError(f"image is too large to edit safely: {exc}") from exc
    except UnidentifiedImageError as exc:
        raise ImageEditorError("not a JPEG, PNG, WEBP or HEIF image") from exc
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:
        raise ImageEditorError(f"image could not be decoded: {exc}") from exc


def _median(values: list[int]) -> int:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def estimate_backdrop(image: Image.Image) -> tuple[tuple[int, int, int] | None, float]:
    """The backdrop colour (median of the visible border pixels) and how much it varies.

    Returns ``(None, 0.0)`` when the whole border is already transparent (a cut-out).
    """
    sample = image.copy()
    sample.thumbnail((SAMPLE_SIZE, SAMPLE_SIZE), Image.Resampling.BILINEAR)
    width, height = sample.size
    raw = sample.tobytes()
    border: list[tuple[int, int, int]] = []
    for y in range(height):
        xs = range(width) if y in (0, height - 1) else (0, width - 1)
        for x in xs:
            offset = 4 * (y * width + x)
            if raw[offset + 3] >= ALPHA_VISIBLE:
                border.append((raw[offset], raw[offset + 1], raw[offset + 2]))
    if not border:
        return None, 0.0
    backdrop = (
        _median([pixel[0] for pixel in border]),
        _median([pixel[1] for pixel in border]),
        _median([pixel[2] for pixel in border]),
    )
    spread = sum(abs(pixel[c] - backdrop[c]) for pixel in border for c in range(3)) / (
        3 * len(border)
    )
    return backdrop, spread


def remove_background(data: bytes) -> EditedImage:
    """The item cut out of a plain backdrop, cropped and padded, as a transparent PNG."""
    image = _decode(data)
    alpha = image.getchannel("A")
    backdrop, spread = estimate_backdrop(image)
    if backdrop is not None:
        if spread > MAX_BACKDROP_SPREAD:
            raise ImageEditorError(
                "the background is not plain enough for offline background removal"
            )
        difference = ImageChops.difference(
            image.convert("RGB"), Image.new("RGB", image.size, backdrop)
        )
        red, green, blue = difference.split()
        distance = ImageChops.lighter(ImageChops.lighter(red, green), blue)
        alpha = ImageChops.multiply(alpha, distance.point(_FADE_LUT))
    bbox = alpha.point(_SUBJECT_LUT).getbbox()
    if bbox is None:
        raise ImageEditorError("no item distinct from the background was found")
    image.putalpha(alpha)
    subject = image.crop(bbox)
    pad = round(PADDING * max(subject.width, subject.height))
    canvas = Image.new("RGBA", (subject.width + 2 * pad, subject.height + 2 * pad), (0, 0, 0, 0))
    canvas.paste(subject, (pad, pad))
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG")
    return EditedImage(
        data=buffer.getvalue(),
        content_type="image/png",
        width=canvas.width,
        height=canvas.height,
    )


class OfflineImageEditor:
    """``ImageEditor`` that removes plain backdrops locally; no network, deterministic."""

    name = "offline"

    async def remove_background(self, data: bytes, content_type: str) -> EditedImage:
        """Cut the item out (decoding off the event loop).

        ``content_type`` is the client's claim; the decoded format is what is trusted.
        """
        del content_type
        return await asyncio.to_thread(remove_background, data)

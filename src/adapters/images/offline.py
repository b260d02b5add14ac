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
from typing import Final

from PIL import Image, ImageChops

from reseller_adapters.image_decoding import DEFAULT_MAX_IMAGE_PIXELS, ImageRefused, decode_bounded
from reseller_core.ports import EditedImage, ImageEditorError

WORKING_SIDE: Final = 2048
"""Cut-outs are made at most this many pixels on their longer side. Listing photos are shown
far smaller, and the working copies of a 48 Mpx photo at full size would take gigabytes;
at this size a cut-out needs a few tens of megabytes."""

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


def _decode(data: bytes, max_pixels: int) -> Image.Image:
    """Decode ``data`` upright as RGBA, reduced to the working size, within the pixel budget."""
    try:
        decoded = decode_bounded(data, max_pixels=max_pixels, max_side=WORKING_SIDE)
    except ImageRefused as exc:
        raise ImageEditorError(str(exc)) from exc
    image = decoded.image
    if max(image.size) > WORKING_SIDE:
        # Whole-factor reduction stops short of WORKING_SIDE; finish with a real resample.
        image.thumbnail((WORKING_SIDE, WORKING_SIDE), Image.Resampling.LANCZOS)
    return image.convert("RGBA")


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


def remove_background(data: bytes, max_pixels: int = DEFAULT_MAX_IMAGE_PIXELS) -> EditedImage:
    """The item cut out of a plain backdrop, cropped and padded, as a transparent PNG."""
    image = _decode(data, max_pixels)
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
    free = True
    """Its calls reach no paid service: not priced, not counted against a daily ceiling."""

    def __init__(self, *, max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS) -> None:
        self.max_image_pixels = max_image_pixels
        """Images declaring more pixels are refused before they are decoded."""

    async def remove_background(self, data: bytes, content_type: str) -> EditedImage:
        """Cut the item out (decoding off the event loop).

        ``content_type`` is the client's claim; the decoded format is what is trusted.
        """
        del content_type
        return await asyncio.to_thread(remove_background, data, self.max_image_pixels)

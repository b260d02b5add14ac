"""What the offline provider measures from image bytes: dimensions, dominant colour, backdrop.

Images are decoded at a small scale within the pixel budget (``image_decoding``); the
colour statistics run on a thumbnail, so they are cheap and stable.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass
from typing import Any, Final

from PIL import Image

from reseller_adapters.image_decoding import (
    DEFAULT_MAX_IMAGE_PIXELS,
    DecodedImage,
    decode_bounded,
)
from reseller_core.ports import AIProviderError, ImageInput
from reseller_core.ports.ai import INVALID_IMAGE

SAMPLE_SIZE: Final = 64
"""Colour statistics are computed on a copy downscaled to fit this box: cheap and stable."""

DECODE_SIDE: Final = 4 * SAMPLE_SIZE
"""Images are decoded at the smallest scale whose longer side is still at least this: a
48 Mpx JPEG decodes at 1/8 scale, and the sample is then made from that copy."""

ALPHA_VISIBLE: Final = 128
"""Pixels less opaque than this are ignored (the transparent part of a cut-out)."""

BORDER_UNIFORM_SPREAD: Final = 24.0
"""Mean channel deviation of the border below which it is treated as a plain backdrop."""

BACKGROUND_DISTANCE: Final = 40
"""Channel distance from the backdrop colour beyond which a pixel belongs to the item."""

MIN_FOREGROUND_SHARE: Final = 0.05
"""Below this share of item pixels the backdrop is not excluded (the item fills the frame)."""

COLOUR_NAMES: Final = (
    "black",
    "white",
    "gray",
    "beige",
    "brown",
    "red",
    "orange",
    "yellow",
    "green",
    "teal",
    "blue",
    "navy",
    "purple",
    "pink",
)
"""The fixed palette; its order breaks ties between equally common colours."""


@dataclass(frozen=True, slots=True)
class ImageMeasurement:
    """What was measured from one decoded image."""

    image_id: str
    format: str
    width: int
    height: int
    colour: str | None
    rgb: tuple[int, int, int] | None
    colour_share: float
    brightness: float | None
    background_excluded: bool

    @property
    def orientation(self) -> str:
        if self.width == self.height:
            return "square"
        return "landscape" if self.width > self.height else "portrait"

    @property
    def aspect_ratio(self) -> float:
        return round(self.width / self.height, 3)

    def as_observation(self) -> dict[str, Any]:
        return {
            "image_id": self.image_id,
            "format": self.format,
            "width": self.width,
            "height": self.height,
            "orientation": self.orientation,
            "aspect_ratio": self.aspect_ratio,
            "dominant_color": None
            if self.colour is None or self.rgb is None
            else {"name": self.colour, "rgb": list(self.rgb), "share": self.colour_share},
            "brightness": self.brightness,
            "background_excluded": self.background_excluded,
        }


def colour_name(red: int, green: int, blue: int) -> str:
    """Name an sRGB colour from the fixed palette by hue, saturation and value.

    HSV thresholds rather than the nearest palette RGB value, because RGB distance calls
    dark colours "black" and pale ones "gray" far too eagerly.
    """
    hue, saturation, value = colorsys.rgb_to_hsv(red / 255, green / 255, blue / 255)
    degrees = hue * 360
    if value < 0.18:
        return "black"
    if saturation < 0.12:
        if value > 0.85:
            return "white"
        return "gray"
    if saturation < 0.35 and value > 0.7 and 20 <= degrees <= 60:
        return "beige"
    if 10 <= degrees < 45 and value < 0.6:
        return "brown"
    if degrees < 10 or degrees >= 345:
        return "pink" if saturation < 0.5 and value > 0.7 else "red"
    if degrees < 45:
        return "orange"
    if degrees < 70:
        return "yellow"
    if degrees < 165:
        return "green"
    if degrees < 195:
        return "teal"
    if degrees < 255:
        return "navy" if value < 0.45 else "blue"
    if degrees < 315:
        return "purple"
    return "pink"


def _pixels(image: Image.Image) -> list[tuple[int, int, int, int]]:
    """RGBA tuples of ``image`` (via ``tobytes``, which every supported Pillow has)."""
    raw = image.convert("RGBA").tobytes()
    return list(zip(raw[0::4], raw[1::4], raw[2::4], raw[3::4], strict=True))


def _median(values: list[int]) -> int:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def _border_indices(width: int, height: int) -> set[int]:
    """Indices of the pixels on the edge of a ``width`` x ``height`` image, row-major."""
    last_row = width * (height - 1)
    edges = set(range(width)) | set(range(last_row, last_row + width))
    for row_start in range(0, width * height, width):
        edges.add(row_start)
        edges.add(row_start + width - 1)
    return edges


def _measure_colour(
    image: Image.Image,
) -> tuple[str | None, tuple[int, int, int] | None, float, float | None, bool]:
    """Dominant colour (name, mean rgb, share), brightness and whether a backdrop was dropped.

    Runs once per photo on a thumbnail of at most ``SAMPLE_SIZE`` squared pixels; the loops
    are written out per channel (and colour names looked up once per distinct colour)
    because they are the offline provider's hot spot during ingest.
    """
    sample = image.convert("RGBA")
    sample.thumbnail((SAMPLE_SIZE, SAMPLE_SIZE), Image.Resampling.BILINEAR)
    width, height = sample.size
    pixels = _pixels(sample)
    visible = [(r, g, b) for r, g, b, a in pixels if a >= ALPHA_VISIBLE]
    if not visible:
        return None, None, 0.0, None, False
    background_excluded = len(visible) < len(pixels)
    # In no particular order: the median and the integer spread do not depend on it.
    edge = (pixels[index] for index in _border_indices(width, height))
    border = [(r, g, b) for r, g, b, a in edge if a >= ALPHA_VISIBLE]
    subject = visible
    if border:
        backdrop = tuple(_median([pixel[c] for pixel in border]) for c in range(3))
        back_r, back_g, back_b = backdrop
        spread = sum(abs(r - back_r) + abs(g - back_g) + abs(b - back_b) for r, g, b in border) / (
            3 * len(border)
        )
        if spread < BORDER_UNIFORM_SPREAD:
            far = BACKGROUND_DISTANCE
            foreground = [
                (r, g, b)
                for r, g, b in visible
                if abs(r - back_r) > far or abs(g - back_g) > far or abs(b - back_b) > far
            ]
            if len(foreground) >= MIN_FOREGROUND_SHARE * len(visible):
                subject = foreground
                background_excluded = True
    names: dict[tuple[int, int, int], str] = {}
    votes: dict[str, list[tuple[int, int, int]]] = {}
    for pixel in subject:
        name = names.get(pixel)
        if name is None:
            name = names[pixel] = colour_name(*pixel)
        votes.setdefault(name, []).append(pixel)
    winner = max(votes, key=lambda name: (len(votes[name]), -COLOUR_NAMES.index(name)))
    members = votes[winner]
    mean = tuple(round(sum(pixel[c] for pixel in members) / len(members)) for c in range(3))
    luma = sum(0.299 * r + 0.587 * g + 0.114 * b for r, g, b in visible) / len(visible)
    return (
        winner,
        (mean[0], mean[1], mean[2]),
        round(len(members) / len(subject), 3),
        round(luma / 255, 3),
        background_excluded,
    )


def decode_image(data: bytes, *, max_pixels: int = DEFAULT_MAX_IMAGE_PIXELS) -> DecodedImage:
    """Decode ``data`` upright at the small scale colour sampling needs, within the budget.

    The full-resolution size is still reported (read from the header); pixels above
    ``max_pixels`` are refused before decoding. Raises ``ValueError`` with the reason when
    the bytes are not such an image.
    """
    return decode_bounded(data, max_pixels=max_pixels, max_side=DECODE_SIDE)


def measure_image(
    image_input: ImageInput, *, max_pixels: int = DEFAULT_MAX_IMAGE_PIXELS
) -> ImageMeasurement:
    """Decode one input and measure it; ``AIProviderError(INVALID_IMAGE)`` if it is no image."""
    try:
        decoded = decode_image(image_input.data, max_pixels=max_pixels)
    except ValueError as exc:
        raise AIProviderError(
            INVALID_IMAGE,
            f"Image {image_input.image_id} could not be decoded",
            retryable=False,
            details={"image_id": image_input.image_id, "reason": str(exc)},
        ) from exc
    colour, rgb, share, brightness, excluded = _measure_colour(decoded.image)
    return ImageMeasurement(
        image_id=image_input.image_id,
        format=decoded.format,
        width=decoded.width,
        height=decoded.height,
        colour=colour,
        rgb=rgb,
        colour_share=share,
        brightness=brightness,
        background_excluded=excluded,
    )

"""Decoding untrusted image bytes with Pillow inside a pixel budget.

Shared by the image adapters (the offline AI provider and the offline image editor), which
otherwise do not import each other. A 20 KB PNG can declare 13,000 x 13,000 pixels: fully
decoded and converted that is gigabytes. So the declared size is read from the header and
refused above the budget before a single pixel is decoded, and callers that need less than
the full resolution ask for it up front: JPEG decodes straight to 1/2, 1/4 or 1/8 scale
(Pillow's ``draft``) and other formats are box-reduced right after decoding.

Pillow's own ``Image.MAX_IMAGE_PIXELS`` guard (about 179 Mpx before it refuses) stays in
place underneath; the budget here is far lower, sized for phone photos.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from typing import Final

from PIL import Image, ImageOps, UnidentifiedImageError

DEFAULT_MAX_IMAGE_PIXELS: Final = 50_000_000
"""About 50 Mpx: a 48 Mpx phone sensor (8064 x 6048 is 48.8 Mpx) fits; a decompression bomb
that declares hundreds of megapixels does not."""

DECODABLE_FORMATS: Final = ("JPEG", "MPO", "PNG", "WEBP", "HEIF", "AVIF")
"""Pillow format names accepted as uploads (the Q-M1 allow-list; MPO is a phone JPEG; HEIF
only decodes when a HEIF plugin such as pillow-heif is installed)."""

_SWAPPED_ORIENTATIONS: Final = frozenset({5, 6, 7, 8})
"""EXIF orientations that rotate by a quarter turn: the upright size swaps width and height."""

_EXIF_ORIENTATION: Final = 0x0112

_REDUCIBLE_MODES: Final = frozenset({"L", "LA", "RGB", "RGBA", "RGBX", "CMYK", "I", "F"})
"""Modes ``Image.reduce`` works on; others (one-bit, palette, 16-bit) are converted first."""


class ImageRefused(ValueError):
    """The bytes are not an image this server decodes; ``str()`` is the reason, for the seller."""


class ImageTooLarge(ImageRefused):
    """The header declares more pixels than the budget: refused before decoding."""


@dataclass(frozen=True, slots=True)
class DecodedImage:
    """An upright decoded image, possibly reduced, with the size the file really has."""

    image: Image.Image
    format: str
    width: int
    height: int
    """Upright width and height of the full-resolution image (not of the reduced copy)."""


@cache
def decodable_formats() -> tuple[str, ...]:
    """The allowed formats this Pillow can open, registering pillow-heif when installed.

    ``Image.open(formats=...)`` fails on a name whose plugin is not loaded, so the list is
    filtered after ``Image.init()`` has loaded every plugin (once per process).
    """
    try:
        from pillow_heif import register_heif_opener  # type: ignore[import-not-found]
    except ImportError:
        pass
    else:
        register_heif_opener()
    Image.init()
    return tuple(name for name in DECODABLE_FORMATS if name in Image.OPEN)


def check_pixel_budget(width: int, height: int, max_pixels: int) -> None:
    """Raise ``ImageTooLarge`` when ``width x height`` exceeds ``max_pixels``."""
    if width * height > max_pixels:
        raise ImageTooLarge(
            f"image is too large: {width} x {height} pixels "
            f"({width * height / 1e6:.1f} Mpx) exceeds the {max_pixels / 1e6:.1f} Mpx limit"
        )


def _reduce_factor(size: tuple[int, int], max_side: int) -> int:
    """The largest whole factor that keeps the longer side at or above ``max_side``."""
    return max(1, max(size) // max_side)


def decode_bounded(data: bytes, *, max_pixels: int, max_side: int | None = None) -> DecodedImage:
    """Decode ``data`` upright, refusing it above ``max_pixels`` before any pixel is decoded.

    With ``max_side`` the decoded copy is reduced so its longer side is not much above that
    (never below it): JPEG decodes directly at the smaller scale, other formats are
    box-reduced by a whole factor once decoded. ``load()`` is what rejects a truncated file
    (``verify()`` does not). Raises ``ImageRefused`` (``ImageTooLarge`` for the budget) with
    the reason when the bytes are not such an image.
    """
    try:
        image = Image.open(io.BytesIO(data), formats=decodable_formats())
        image_format = image.format or "unknown"
        check_pixel_budget(image.width, image.height, max_pixels)
        width, height = image.size
        if image.getexif().get(_EXIF_ORIENTATION) in _SWAPPED_ORIENTATIONS:
            width, height = height, width
        if max_side is not None and max(image.size) > max_side:
            # JPEG only; a no-op elsewhere. It keeps the longer side >= max_side.
            image.draft(None, (max_side, max_side))
        image.load()
        decoded: Image.Image = image
        if max_side is not None:
            factor = _reduce_factor(decoded.size, max_side)
            if factor > 1:
                if decoded.mode not in _REDUCIBLE_MODES:
                    decoded = decoded.convert("L" if decoded.mode == "1" else "RGBA")
                decoded = decoded.reduce(factor)
                if "exif" in image.info:
                    # exif_transpose reads the orientation from the image it is given.
                    decoded.info["exif"] = image.info["exif"]
        upright = ImageOps.exif_transpose(decoded)
    except ImageRefused:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(f"image is too large to decode safely: {exc}") from exc
    except UnidentifiedImageError as exc:
        # Its message embeds the buffer's memory address; keep the reason deterministic.
        raise ImageRefused("not a JPEG, PNG, WEBP or HEIF image") from exc
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:
        raise ImageRefused(f"not a decodable JPEG, PNG, WEBP or HEIF image: {exc}") from exc
    return DecodedImage(image=upright, format=image_format, width=width, height=height)

"""The default video renderer: a silent H.264 slideshow made locally with ffmpeg (spec 30 §9).

Frames are drawn with Pillow (each image fitted on a blurred, darkened copy of itself, a
slow zoom and drift per slide, a short cross-fade between slides, an optional title card
with the listing title; never a price) and piped raw into the ffmpeg binary that the
``imageio-ffmpeg`` wheel ships, so nothing is downloaded at run time. The MP4 is written to
a temporary file (``+faststart`` needs to seek) and read back.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Iterator, Sequence
from typing import Final

import imageio_ffmpeg
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont

from reseller_adapters.image_decoding import DEFAULT_MAX_IMAGE_PIXELS, ImageRefused, decode_bounded
from reseller_core.ports.media import (
    RenderedVideo,
    SourceImage,
    VideoRenderError,
    VideoRequest,
)

FPS: Final = 24
FADE_S: Final = 0.5
"""Cross-fade between consecutive slides."""
ZOOM: Final = 0.08
"""A slide grows by this share of its size over its time on screen (gentle Ken Burns)."""
TITLE_S: Final = 1.5
"""Seconds the title card holds before the first slide, when a title is given."""


def _backdrop_fit(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """``image`` whole in the frame, on a blurred, darker cover-crop of itself."""
    width, height = size
    cover_scale = max(width / image.width, height / image.height)
    cover = image.resize(
        (
            max(width, round(image.width * cover_scale)),
            max(height, round(image.height * cover_scale)),
        ),
        Image.Resampling.BILINEAR,
    )
    left, top = (cover.width - width) // 2, (cover.height - height) // 2
    backdrop = cover.crop((left, top, left + width, top + height)).filter(
        ImageFilter.GaussianBlur(max(8, width // 40))
    )
    backdrop = ImageEnhance.Brightness(backdrop).enhance(0.6)
    fit_scale = min(width * 0.92 / image.width, height * 0.92 / image.height)
    fitted = image.resize(
        (max(1, round(image.width * fit_scale)), max(1, round(image.height * fit_scale))),
        Image.Resampling.LANCZOS,
    )
    backdrop.paste(fitted, ((width - fitted.width) // 2, (height - fitted.height) // 2))
    return backdrop


def _zoomed(slide: Image.Image, progress: float, drift: int) -> Image.Image:
    """``slide`` zoomed in by ``progress * ZOOM`` about a point drifting sideways."""
    width, height = slide.size
    scale = 1 + ZOOM * progress
    crop_w, crop_h = width / scale, height / scale
    shift = (width - crop_w) / 2 * (1 if drift % 2 == 0 else -1) * 0.5 * progress
    left = (width - crop_w) / 2 + shift
    top = (height - crop_h) / 2
    return slide.resize(
        (width, height), Image.Resampling.BILINEAR, box=(left, top, left + crop_w, top + crop_h)
    )


def _title_card(title: str, first: Image.Image) -> Image.Image:
    width, height = first.size
    card = ImageEnhance.Brightness(first.filter(ImageFilter.GaussianBlur(width // 25))).enhance(
        0.45
    )
    draw = ImageDraw.Draw(card)
    font_size = max(24, width // 16)
    font = ImageFont.load_default(size=font_size)
    words, lines, line = title.split(), [], ""
    for word in words:
        candidate = f"{line} {word}".strip()
        if draw.textlength(candidate, font=font) > width * 0.82 and line:
            lines.append(line)
            line = word
        else:
            line = candidate
    if line:
        lines.append(line)
    lines = lines[:4]
    total = len(lines) * round(font_size * 1.3)
    y = (height - total) // 2
    for text in lines:
        x = (width - draw.textlength(text, font=font)) / 2
        draw.text((x, y), text, font=font, fill=(250, 248, 244))
        y += round(font_size * 1.3)
    return card


def _frames(request: VideoRequest, slides: Sequence[Image.Image]) -> Iterator[bytes]:
    """Raw RGB frames: the title card, then each slide's share of the rest with fades."""
    total = request.duration_seconds * FPS
    title_frames = round(TITLE_S * FPS) if request.title and request.title.strip() else 0
    title = _title_card(request.title or "", slides[0]) if title_frames else None
    per_slide = (total - title_frames) / len(slides)
    fade = min(round(FADE_S * FPS), int(per_slide // 3))
    for frame in range(total):
        if title is not None and frame < title_frames:
            yield title.tobytes()
            continue
        offset = frame - title_frames
        index = min(len(slides) - 1, int(offset // per_slide))
        local = offset - index * per_slide
        image = _zoomed(slides[index], local / per_slide, index)
        if index + 1 < len(slides) and fade and local > per_slide - fade:
            following = _zoomed(slides[index + 1], 0.0, index + 1)
            image = Image.blend(image, following, (local - (per_slide - fade)) / fade)
        elif index == 0 and title is not None and fade and local < fade:
            image = Image.blend(title, image, local / fade)
        yield image.tobytes()


def render_slideshow(request: VideoRequest, max_pixels: int = DEFAULT_MAX_IMAGE_PIXELS) -> bytes:
    """The MP4 bytes of ``request`` (blocking; run it in a thread)."""
    if not request.images:
        raise VideoRenderError("no images to render")
    if request.width % 2 or request.height % 2:
        raise VideoRenderError("frame width and height must be even")
    size = (request.width, request.height)
    slides: list[Image.Image] = []
    for source in request.images:
        slides.append(_backdrop_fit(_decode(source, max_pixels), size))
    with tempfile.TemporaryDirectory(prefix="reseller-video-") as directory:
        path = os.path.join(directory, "video.mp4")
        writer = imageio_ffmpeg.write_frames(
            path,
            size,
            fps=FPS,
            codec="libx264",
            pix_fmt_in="rgb24",
            pix_fmt_out="yuv420p",
            quality=None,
            bitrate=None,
            macro_block_size=2,
            output_params=["-preset", "veryfast", "-crf", "23", "-movflags", "+faststart"],
            ffmpeg_log_level="error",
        )
        try:
            writer.send(None)
            for frame in _frames(request, slides):
                writer.send(frame)
        except (OSError, RuntimeError) as exc:
            raise VideoRenderError(f"ffmpeg failed: {exc}") from exc
        finally:
            writer.close()
        with open(path, "rb") as handle:
            return handle.read()


def _decode(source: SourceImage, max_pixels: int) -> Image.Image:
    try:
        decoded = decode_bounded(source.data, max_pixels=max_pixels, max_side=2048)
    except ImageRefused as exc:
        raise VideoRenderError(f"image {source.image_id} unreadable: {exc}") from exc
    image = decoded.image
    if image.mode in ("RGBA", "LA", "P"):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (246, 244, 240))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


class FfmpegVideoRenderer:
    """``VideoRenderer`` over the ffmpeg binary of the ``imageio-ffmpeg`` wheel."""

    name = "ffmpeg"

    def __init__(self, *, max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS) -> None:
        self.max_image_pixels = max_image_pixels

    async def render(self, request: VideoRequest) -> RenderedVideo:
        data = await asyncio.to_thread(render_slideshow, request, self.max_image_pixels)
        return RenderedVideo(
            data=data,
            content_type="video/mp4",
            width=request.width,
            height=request.height,
            duration_seconds=float(request.duration_seconds),
        )

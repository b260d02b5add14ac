"""Generated media: lifestyle scene images (spec 30 §8) and marketplace videos (§9).

Both are behind ports so a provider can be swapped without touching the runs: the offline
implementations render real files locally (a staged scene composited with Pillow, an
ffmpeg slideshow), hosted ones call an image or video model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import msgspec


class SourceImage(msgspec.Struct, frozen=True, kw_only=True):
    """One of the seller's images handed to a generator, read from storage by the run."""

    image_id: str
    kind: str
    content_type: str
    data: bytes


class SceneRequest(msgspec.Struct, frozen=True, kw_only=True):
    """One lifestyle scene: a separate request per scene isolates failures (spec 30 §8.2)."""

    scene_family: str
    scene_key: str
    variant_index: int
    prompt: str
    aspect_ratio: str
    sources: tuple[SourceImage, ...]


class GeneratedScene(msgspec.Struct, frozen=True, kw_only=True):
    """The first image a scene request returned, and how many came back."""

    data: bytes
    content_type: str
    model: str
    returned_image_count: int
    width: int | None = None
    height: int | None = None
    """The image's size in pixels, when the generator knows it (stored on the image row)."""


class LifestyleGenerationError(Exception):
    """A scene could not be generated; ``reason`` is a short machine-readable cause."""

    def __init__(self, message: str, *, reason: str = "generation_failed") -> None:
        super().__init__(message)
        self.reason = reason


@runtime_checkable
class LifestyleImageGenerator(Protocol):
    name: str
    model: str

    async def generate_scene(self, request: SceneRequest) -> GeneratedScene:
        """One scene image; ``LifestyleGenerationError`` when none could be produced."""
        ...


class VideoRequest(msgspec.Struct, frozen=True, kw_only=True):
    """A marketplace slideshow: frame size from the aspect ratio, images in gallery order."""

    marketplace: str
    width: int
    height: int
    duration_seconds: int
    images: Sequence[SourceImage]
    title: str | None = None


class RenderedVideo(msgspec.Struct, frozen=True, kw_only=True):
    data: bytes
    content_type: str
    width: int
    height: int
    duration_seconds: float


class VideoRenderError(Exception):
    """The renderer could not produce the video."""


@runtime_checkable
class VideoRenderer(Protocol):
    name: str

    async def render(self, request: VideoRequest) -> RenderedVideo:
        """A silent MP4 of ``request``; ``VideoRenderError`` when it cannot be made."""
        ...


VIDEO_FRAME_SIZES: dict[str, tuple[int, int]] = {
    "9:16": (720, 1280),
    "1:1": (1080, 1080),
    "4:5": (864, 1080),
}
"""Frame size per allowed aspect ratio (spec 30 §9): even sides, as H.264 requires."""

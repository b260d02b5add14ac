"""Generated media commands: lifestyle scenes (spec 30 §8.5-8.8) and marketplace videos (§9)."""

from __future__ import annotations

import msgspec


class GenerateLifestyle(msgspec.Struct, frozen=True, kw_only=True):
    """``POST /products/{id}/generate_lifestyle_images``: every scene, or only ``scene_key``."""

    product_id: str
    scene_key: str | None = None


class GeneratedImageRef(msgspec.Struct, frozen=True, kw_only=True):
    """Approve or delete one ``lifestyle_generated`` image of a product."""

    product_id: str
    image_id: str


class GenerateVideo(msgspec.Struct, frozen=True, kw_only=True):
    """``POST /products/{id}/generate_marketplace_video`` (spec 30 §9).

    ``marketplace`` is required; ``duration_seconds`` (5 to 30) and ``aspect_ratio``
    (``9:16``, ``1:1`` or ``4:5``) default to 10 and ``9:16`` when None.
    """

    product_id: str
    marketplace: str | None = None
    duration_seconds: int | None = None
    aspect_ratio: str | None = None


class VideoRef(msgspec.Struct, frozen=True, kw_only=True):
    """One of a product's marketplace videos."""

    product_id: str
    video_id: str

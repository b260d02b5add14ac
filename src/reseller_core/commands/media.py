"""Lifestyle media commands (spec 30 §8.5-8.8)."""

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

"""Image editing done by a provider (background removal)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import msgspec


class EditedImage(msgspec.Struct, frozen=True, kw_only=True):
    data: bytes
    content_type: str
    width: int
    height: int


class ImageEditorError(Exception):
    """The editor could not process this image."""


@runtime_checkable
class ImageEditor(Protocol):
    """Background removal for the variant images (spec 30 §6.9).

    An adapter whose calls cost nothing declares ``free = True`` (see
    ``reseller_core.ports.usage.MeteredProvider``): its calls count against no daily ceiling.
    """

    name: str

    async def remove_background(self, data: bytes, content_type: str) -> EditedImage:
        """A transparent PNG of the item with the background removed (padding 0.15)."""
        ...

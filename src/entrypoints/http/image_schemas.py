"""Request shapes of the image management endpoints (spec 30 §4.2, §4.3), for the OpenAPI
document. The bodies are parsed leniently (``parsing/images.py``); these Structs describe
what the contract accepts."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from reseller_entrypoints.http.schemas import Ulid

StorefrontPosition = Annotated[int, Meta(ge=1, le=2**31 - 1)]


class ImageStorefrontRequestBody(msgspec.Struct, frozen=True, kw_only=True):
    """Both optional; neither changes nothing."""

    storefront_visible: Annotated[
        bool | Literal["true", "false"] | UnsetType,
        Meta(description="Shown in the public gallery."),
    ] = UNSET
    storefront_position: Annotated[
        StorefrontPosition | UnsetType | None,
        Meta(description="Gallery order (1 or more); null clears it."),
    ] = UNSET


class StorefrontOrderRequestBody(msgspec.Struct, frozen=True, kw_only=True):
    image_ids: Annotated[
        list[Ulid],
        Meta(
            description="Images of this product, each once, in gallery order; `[]` changes nothing."
        ),
    ]

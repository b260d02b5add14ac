"""Commands of the image management endpoints (spec 30 §4.1-4.3)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType


class ImageRef(msgspec.Struct, frozen=True, kw_only=True):
    """``DELETE /products/{id}/images/{image_id}``: one image of one product."""

    product_id: str
    image_id: str


class SetImageStorefront(msgspec.Struct, frozen=True, kw_only=True):
    """``PATCH /products/{id}/images/{image_id}/storefront``: only what is given changes."""

    product_id: str
    image_id: str
    storefront_visible: Annotated[
        bool | UnsetType,
        Meta(description='Shown in the public gallery; `"true"`/`"false"` are accepted too.'),
    ] = UNSET
    storefront_position: Annotated[
        int | UnsetType | None,
        Meta(description="Gallery order, 1 or more; null clears it."),
    ] = UNSET


class OrderStorefrontImages(msgspec.Struct, frozen=True, kw_only=True):
    """``PUT /products/{id}/images/storefront_order``: positions 1..N in list order."""

    product_id: str
    image_ids: Annotated[
        tuple[str, ...],
        Meta(description="Image ids of this product, each once; `[]` changes nothing."),
    ] = ()

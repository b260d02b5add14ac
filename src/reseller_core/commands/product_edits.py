"""Commands of the product edit and lifecycle use cases (spec 20 §3.4-3.6).

``product_id`` is the id from the request path as the client sent it (a malformed id is
a 404 decided by the use case).
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from reseller_core.domain.products import SellerFields


class UpdateProduct(msgspec.Struct, frozen=True, kw_only=True):
    """``PATCH /products/{id}``: only the values present change."""

    product_id: str
    fields: SellerFields = SellerFields()
    status: Annotated[
        str | UnsetType,
        Meta(description="A manual status: draft, review, ready, sold or archived."),
    ] = UNSET
    storefront_enabled: Annotated[
        bool | UnsetType, Meta(description="Publish on the storefront (spec 20 §2.3).")
    ] = UNSET
    marketplace_external_urls: Annotated[
        dict[str, str | None] | UnsetType,
        Meta(description='Marketplace id → listing URL (http/https); null or "" clears it.'),
    ] = UNSET


class ProductAction(msgspec.Struct, frozen=True, kw_only=True):
    """``DELETE /products/{id}``, ``mark_sold``, ``archive``, ``unarchive``: the id alone."""

    product_id: str

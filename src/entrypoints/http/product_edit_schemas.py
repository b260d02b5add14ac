"""Request shapes of the product edit endpoints (spec 20 §3.4), for the OpenAPI document.

The bodies are parsed leniently (``parsing/product_edits.py``); these Structs describe
what the contract accepts.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from reseller_core.domain.products import SellerFields

ManualStatus = Annotated[str, Meta(description="`draft`, `review`, `ready`, `sold` or `archived`.")]
ExternalUrls = Annotated[
    dict[str, str | None],
    Meta(description="Marketplace id → listing URL (http/https, ≤ 2000 chars); null clears."),
]


class ProductPatchFields(SellerFields, frozen=True, kw_only=True):
    """The seller fields plus the status, the publish flag and the listing URLs."""

    status: ManualStatus | None = None
    storefront_enabled: bool | None = None
    marketplace_external_urls: ExternalUrls | None = None


class ProductPatchRequestBody(msgspec.Struct, frozen=True, kw_only=True):
    product: ProductPatchFields | None = None
    marketplace_external_urls: ExternalUrls | None = None


class ProductRemovedData(msgspec.Struct, frozen=True, kw_only=True):
    deleted: bool


class ProductRemovedResponse(msgspec.Struct, frozen=True, kw_only=True):
    data: ProductRemovedData

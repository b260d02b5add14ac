"""Commands of the product use cases (spec 20 §2-3, spec 30 §3).

``product_id`` is the id from the request path, as the client sent it: a malformed id is
answered like an unknown or foreign one (404), by the use case.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from reseller_core.domain.products import SellerFields
from reseller_core.domain.uploads import FinalizeItem, UploadIntent


class CreateProduct(msgspec.Struct, frozen=True, kw_only=True):
    """``POST /products``: a draft, or with ``uploads`` an ``uploading`` product."""

    product: SellerFields | None = None
    uploads: Annotated[
        tuple[UploadIntent, ...] | None,
        Meta(description="1 to 10 upload intents; each gets a signed upload instruction."),
    ] = None


class GetProduct(msgspec.Struct, frozen=True, kw_only=True):
    """``GET /products/{id}``."""

    product_id: str


class PrepareUploads(msgspec.Struct, frozen=True, kw_only=True):
    """``POST /products/{id}/prepare_uploads``: more photos for an existing product."""

    product_id: str
    uploads: Annotated[tuple[UploadIntent, ...], Meta(description="1 to 10 upload intents.")]


class FinalizeUploads(msgspec.Struct, frozen=True, kw_only=True):
    """``POST /products/{id}/finalize_uploads``: the photos that have been uploaded."""

    product_id: str
    uploads: Annotated[tuple[FinalizeItem, ...], Meta(description="1 to 10 uploaded images.")]


class Reprocess(msgspec.Struct, frozen=True, kw_only=True):
    """``POST /products/{id}/reprocess``: a new processing run over the uploaded photos."""

    product_id: str

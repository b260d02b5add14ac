"""What the use cases hand back, beside the domain entities themselves."""

from __future__ import annotations

from datetime import datetime

import msgspec

from reseller_core.domain.aggregate import ProductPage, ProductView
from reseller_core.domain.images import ProductImage
from reseller_core.domain.listing_query import ProductListQuery
from reseller_core.domain.runs import ProcessingRun
from reseller_core.domain.users import ApiToken, User


class AuthContext(msgspec.Struct, frozen=True, kw_only=True):
    """The caller of an authenticated request."""

    user: User
    token: ApiToken


class ResendResult(msgspec.Struct, frozen=True, kw_only=True):
    sent: bool
    already_confirmed: bool = False


class UploadInstruction(msgspec.Struct, frozen=True, kw_only=True):
    image_id: str
    storage_key: str
    method: str
    upload_url: str
    headers: dict[str, str]
    expires_at: datetime


class ProductWithUploads(msgspec.Struct, frozen=True, kw_only=True):
    """``POST /products`` and ``prepare_uploads``: the product and one instruction per intent."""

    view: ProductView
    upload_instructions: tuple[UploadInstruction, ...] = ()


class FinalizeResult(msgspec.Struct, frozen=True, kw_only=True):
    view: ProductView
    finalized_images: tuple[ProductImage, ...]
    run: ProcessingRun | None


class ReprocessResult(msgspec.Struct, frozen=True, kw_only=True):
    view: ProductView
    run: ProcessingRun


class ProductListResult(msgspec.Struct, frozen=True, kw_only=True):
    page: ProductPage
    query: ProductListQuery

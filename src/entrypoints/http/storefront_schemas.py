"""Response and request shapes of the storefront and inquiry endpoints (spec 40 §5, §8)."""

from __future__ import annotations

import msgspec

from reseller_core.commands.storefronts import PrepareAsset, SavePage, SaveStorefront
from reseller_core.domain.themes import ThemePreset
from reseller_entrypoints.http.schemas import PaginationBody, Timestamp, Ulid


class AssetBody(msgspec.Struct, frozen=True, kw_only=True):
    id: Ulid
    kind: str
    storage_key: str
    url: str | None
    content_type: str
    original_filename: str
    width: int | None
    height: int | None
    byte_size: int | None
    inserted_at: Timestamp
    updated_at: Timestamp


class PageBody(msgspec.Struct, frozen=True, kw_only=True):
    id: Ulid
    title: str
    slug: str
    menu_label: str
    body: str
    position: int
    published: bool
    inserted_at: Timestamp
    updated_at: Timestamp


class StorefrontBody(msgspec.Struct, frozen=True, kw_only=True):
    """``id``, ``slug``, ``title`` and the timestamps are null before the first save."""

    id: Ulid | None
    slug: str | None
    title: str | None
    tagline: str | None
    description: str | None
    theme_id: str
    currency: str
    enabled: bool
    image_urls: list[str]
    assets: list[AssetBody]
    pages: list[PageBody]
    inserted_at: Timestamp | None
    updated_at: Timestamp | None


class StorefrontData(msgspec.Struct, frozen=True, kw_only=True):
    storefront: StorefrontBody
    themes: list[ThemePreset]


class StorefrontResponse(msgspec.Struct, frozen=True, kw_only=True):
    data: StorefrontData


class PageData(msgspec.Struct, frozen=True, kw_only=True):
    page: PageBody


class PageResponse(msgspec.Struct, frozen=True, kw_only=True):
    data: PageData


class PageListData(msgspec.Struct, frozen=True, kw_only=True):
    pages: list[PageBody]


class PageListResponse(msgspec.Struct, frozen=True, kw_only=True):
    data: PageListData


class AssetUploadBody(msgspec.Struct, frozen=True, kw_only=True):
    method: str
    upload_url: str
    headers: dict[str, str]
    expires_at: Timestamp


class PreparedAssetData(msgspec.Struct, frozen=True, kw_only=True):
    asset: AssetBody
    upload_instruction: AssetUploadBody


class PreparedAssetResponse(msgspec.Struct, frozen=True, kw_only=True):
    data: PreparedAssetData


class InquiryBody(msgspec.Struct, frozen=True, kw_only=True):
    id: Ulid
    full_name: str
    contact: str
    message: str
    source_path: str
    product_id: Ulid | None
    inserted_at: Timestamp


class InquiryListData(msgspec.Struct, frozen=True, kw_only=True):
    inquiries: list[InquiryBody]
    pagination: PaginationBody


class InquiryListResponse(msgspec.Struct, frozen=True, kw_only=True):
    data: InquiryListData


class DeletedData(msgspec.Struct, frozen=True, kw_only=True):
    deleted: bool


class DeletedResponse(msgspec.Struct, frozen=True, kw_only=True):
    data: DeletedData


class StorefrontRequestBody(msgspec.Struct, frozen=True, kw_only=True):
    """The ``PUT /storefront`` body (for the OpenAPI document; parsed leniently)."""

    storefront: SaveStorefront


class PageRequestBody(msgspec.Struct, frozen=True, kw_only=True):
    page: SavePage


class ReorderRequestBody(msgspec.Struct, frozen=True, kw_only=True):
    page_ids: list[Ulid]


class AssetRequestBody(msgspec.Struct, frozen=True, kw_only=True):
    asset: PrepareAsset

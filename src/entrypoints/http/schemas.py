"""Response shapes of the HTTP contract as explicit msgspec Structs.

Handlers return these, so Litestar both serializes and documents them; the OpenAPI
post-processor wraps each success schema with the contract's ``SuccessEnvelope``.
Timestamps are already ISO-8601 strings and money already two-decimal strings here:
the presenters convert domain values at the boundary, because msgspec cannot be told to
encode built-in types differently.

Every field is required (no defaults) unless a response legitimately omits it, so the
schema says exactly what clients always receive: absent optional values are ``null``.
"""

from __future__ import annotations

from typing import Any

import msgspec

# --- shared ------------------------------------------------------------------------------


class MarketplaceOption(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    label: str


# --- accounts ----------------------------------------------------------------------------


class UserBody(msgspec.Struct, frozen=True, kw_only=True):
    """The user object (spec 10 §3.1); internal fields are never part of it."""

    id: str
    email: str
    confirmed_at: str | None
    selected_marketplaces: list[str]
    plan: str
    plan_status: str
    plan_period: str | None
    plan_expires_at: str | None
    trial_ends_at: str | None
    addon_credits: dict[str, int]


class AccountData(msgspec.Struct, frozen=True, kw_only=True):
    user: UserBody
    supported_marketplaces: list[MarketplaceOption]


class AccountResponse(msgspec.Struct, frozen=True, kw_only=True):
    """``GET/PATCH /me`` and ``POST /auth/confirm``."""

    data: AccountData


class TokenData(msgspec.Struct, frozen=True, kw_only=True):
    token: str
    token_type: str
    expires_at: str
    user: UserBody
    supported_marketplaces: list[MarketplaceOption]


class TokenResponse(msgspec.Struct, frozen=True, kw_only=True):
    """Register and login (spec 10 §2.2): the raw token is shown exactly once."""

    data: TokenData


class ResendData(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    sent: bool
    already_confirmed: bool = False
    """Present (``true``) only when nothing was sent because the address is confirmed."""


class ResendResponse(msgspec.Struct, frozen=True, kw_only=True):
    data: ResendData


class RevokeData(msgspec.Struct, frozen=True, kw_only=True):
    revoked: bool


class RevokeResponse(msgspec.Struct, frozen=True, kw_only=True):
    data: RevokeData


# --- products ----------------------------------------------------------------------------


class ProductTabCompact(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    position: int


class ProcessingRunBody(msgspec.Struct, frozen=True, kw_only=True):
    """A processing run (spec 30 §5.1) with its full payload."""

    id: str
    status: str
    step: str
    started_at: str | None
    finished_at: str | None
    error_code: str | None
    error_message: str | None
    inserted_at: str
    updated_at: str
    payload: dict[str, Any]


class DescriptionDraftBody(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    status: str
    provider: str
    model: str | None
    suggested_title: str
    short_description: str
    long_description: str | None
    key_features: list[str]
    seo_keywords: list[str]
    missing_details_warning: str | None
    inserted_at: str
    updated_at: str


class PriceResearchBody(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    status: str
    provider: str
    model: str | None
    currency: str
    suggested_min_price: str | None
    suggested_target_price: str | None
    suggested_max_price: str | None
    suggested_median_price: str | None
    pricing_confidence: float | None
    rationale_summary: str | None
    market_signals: list[str]
    comparable_results: list[dict[str, Any]]
    inserted_at: str
    updated_at: str


class MarketplaceListingBody(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    marketplace: str
    status: str
    generated_title: str | None
    generated_description: str | None
    generated_tags: list[str]
    generated_price_suggestion: str | None
    generation_version: str | None
    compliance_warnings: list[str]
    external_url: str | None
    external_url_added_at: str | None
    last_generated_at: str | None
    inserted_at: str
    updated_at: str


class ImageBody(msgspec.Struct, frozen=True, kw_only=True):
    """A product image (spec 30 §2.1); ``url`` is null without a public base URL."""

    id: str
    kind: str
    position: int
    storage_key: str
    url: str | None
    content_type: str
    width: int | None
    height: int | None
    byte_size: int | None
    checksum: str | None
    background_style: str | None
    processing_status: str
    original_filename: str | None
    lifestyle_generation_run_id: str | None
    scene_key: str | None
    variant_index: int | None
    source_image_ids: list[str]
    seller_approved: bool
    approved_at: str | None
    storefront_visible: bool
    storefront_position: int | None
    inserted_at: str
    updated_at: str


class ProductBody(msgspec.Struct, frozen=True, kw_only=True):
    """The product payload (spec 20 §2.2), identical in every product endpoint."""

    id: str
    status: str
    source: str
    title: str | None
    brand: str | None
    category: str | None
    condition: str | None
    color: str | None
    size: str | None
    material: str | None
    price: str | None
    cost: str | None
    product_tab_id: str | None
    product_tab: ProductTabCompact | None
    sku: str | None
    tags: list[str]
    notes: str | None
    ai_summary: str | None
    ai_confidence: float | None
    sold_at: str | None
    archived_at: str | None
    storefront_enabled: bool
    storefront_published_at: str | None
    inserted_at: str
    updated_at: str
    latest_processing_run: ProcessingRunBody | None
    latest_lifestyle_generation_run: dict[str, Any] | None
    """Always null until lifestyle generation ships; typed as an object for forward compat."""
    description_draft: DescriptionDraftBody | None
    price_research: PriceResearchBody | None
    marketplace_listings: list[MarketplaceListingBody]
    image_urls: list[str]
    images: list[ImageBody]


class UploadInstructionBody(msgspec.Struct, frozen=True, kw_only=True):
    """How to upload one file (spec 30 §3.2): send exactly ``headers`` with the PUT."""

    image_id: str
    storage_key: str
    method: str
    upload_url: str
    headers: dict[str, str]
    expires_at: str


class ProductData(msgspec.Struct, frozen=True, kw_only=True):
    product: ProductBody


class ProductResponse(msgspec.Struct, frozen=True, kw_only=True):
    data: ProductData


class ProductUploadsData(msgspec.Struct, frozen=True, kw_only=True):
    product: ProductBody
    upload_instructions: list[UploadInstructionBody]


class ProductUploadsResponse(msgspec.Struct, frozen=True, kw_only=True):
    """``POST /products`` and ``prepare_uploads``."""

    data: ProductUploadsData


class PaginationBody(msgspec.Struct, frozen=True, kw_only=True):
    page: int
    page_size: int
    total_count: int
    total_pages: int


class ProductFiltersBody(msgspec.Struct, frozen=True, kw_only=True):
    """The filters actually applied (invalid inputs show their fallback value)."""

    status: str
    query: str | None
    product_tab_id: str | None
    updated_from: str | None
    updated_to: str | None
    sort: str
    dir: str


class ProductListData(msgspec.Struct, frozen=True, kw_only=True):
    products: list[ProductBody]
    pagination: PaginationBody
    filters: ProductFiltersBody


class ProductListResponse(msgspec.Struct, frozen=True, kw_only=True):
    data: ProductListData


class FinalizeData(msgspec.Struct, frozen=True, kw_only=True):
    product: ProductBody
    finalized_images: list[ImageBody]
    processing_run: ProcessingRunBody | None


class FinalizeResponse(msgspec.Struct, frozen=True, kw_only=True):
    data: FinalizeData


class ReprocessData(msgspec.Struct, frozen=True, kw_only=True):
    product: ProductBody
    processing_run: ProcessingRunBody


class ReprocessResponse(msgspec.Struct, frozen=True, kw_only=True):
    data: ReprocessData


# --- system ------------------------------------------------------------------------------


class EndpointBody(msgspec.Struct, frozen=True, kw_only=True):
    method: str
    path: str
    description: str


class DiscoveryData(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    version: str
    docs_path: str
    docs_ui_path: str
    openapi_path: str
    endpoints: list[EndpointBody]


class DiscoveryResponse(msgspec.Struct, frozen=True, kw_only=True):
    data: DiscoveryData


class HealthData(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    status: str
    version: str


class HealthResponse(msgspec.Struct, frozen=True, kw_only=True):
    data: HealthData


class ReadinessData(msgspec.Struct, frozen=True, kw_only=True):
    status: str
    dependencies: dict[str, str]


class ReadinessResponse(msgspec.Struct, frozen=True, kw_only=True):
    data: ReadinessData

"""Response shapes of the HTTP contract as explicit msgspec Structs.

Handlers return these and msgspec serializes them; the published OpenAPI document's
response schemas are generated from the same Structs (``msgspec.json.schema_components``),
so what a client is told and what it receives cannot drift apart. Each ``*Response`` is
the success envelope of one or more operations: ``data`` is typed, never a free-form object.

Timestamps are already ISO-8601 strings and money already two-decimal strings here:
the presenters convert domain values at the boundary, because msgspec cannot be told to
encode built-in types differently. The annotated aliases below carry what those strings
look like into the schema (``format: date-time``, a decimal pattern, the ULID alphabet),
and statuses and kinds are the domain's enums, so generated clients get typed values.

Every field is required (no defaults) unless a response legitimately omits it, so the
schema says exactly what clients always receive: absent optional values are ``null``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from reseller_core.domain.artifacts import ArtifactStatus
from reseller_core.domain.images import ImageKind, ImageStatus
from reseller_core.domain.listing_query import SortKey
from reseller_core.domain.products import ProductSource, ProductStatus
from reseller_core.domain.runs import RunStatus, Step
from reseller_core.domain.users import Plan, PlanStatus

ULID_PATTERN = "^[0-7][0-9A-HJKMNP-TV-Z]{25}$"
MONEY_PATTERN = "^[0-9]+[.][0-9]{2}$"
TIMESTAMP_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"


def _names(*values: str, title: str) -> msgspec.Meta:
    """A string limited to ``values``, named ``title`` (a generated client's enum class)."""
    return msgspec.Meta(
        title=title, extra_json_schema={"type": "string", "enum": [str(v) for v in values]}
    )


Ulid = Annotated[str, msgspec.Meta(pattern=ULID_PATTERN, description="A ULID (upper case).")]
Timestamp = Annotated[
    str,
    msgspec.Meta(
        pattern=TIMESTAMP_PATTERN,
        description="UTC, second precision, `Z` suffix.",
        extra_json_schema={"format": "date-time"},
    ),
]
Money = Annotated[
    str, msgspec.Meta(pattern=MONEY_PATTERN, description="A decimal amount, two places.")
]
Day = Annotated[str, msgspec.Meta(extra_json_schema={"format": "date"})]
PlanName = Annotated[str, _names(*Plan, title="Plan")]
PlanStatusName = Annotated[str, _names(*PlanStatus, title="PlanStatus")]
StepName = Annotated[str, _names(*Step, title="ProcessingStep")]
StatusFilter = Annotated[str, _names("all", *ProductStatus, title="ProductStatusFilter")]
SortDirection = Annotated[str, _names("asc", "desc", title="SortDirection")]
UploadMethod = Annotated[str, _names("PUT", title="UploadMethod")]
DependencyState = Literal["ok", "unavailable"]

# --- shared ------------------------------------------------------------------------------


class MarketplaceOption(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    label: str


# --- accounts ----------------------------------------------------------------------------


class UserBody(msgspec.Struct, frozen=True, kw_only=True):
    """The user object (spec 10 §3.1); internal fields are never part of it."""

    id: Ulid
    email: str
    confirmed_at: Timestamp | None
    selected_marketplaces: list[str]
    plan: PlanName
    plan_status: PlanStatusName
    plan_period: str | None
    plan_expires_at: Timestamp | None
    trial_ends_at: Timestamp | None
    addon_credits: dict[str, int]


class AccountData(msgspec.Struct, frozen=True, kw_only=True):
    user: UserBody
    supported_marketplaces: list[MarketplaceOption]


class AccountResponse(msgspec.Struct, frozen=True, kw_only=True):
    """``GET/PATCH /me`` and ``POST /auth/confirm``."""

    data: AccountData


class BucketCounts(msgspec.Struct, frozen=True, kw_only=True):
    """One integer per usage bucket (spec 10 §5.2; ``videos`` per decision Q-M16)."""

    ai_drafts: int
    background_removals: int
    lifestyle: int
    price_research: int
    videos: int


class UsagePeriod(msgspec.Struct, frozen=True, kw_only=True):
    """The calendar month (UTC) the usage counts: ``start`` inclusive, ``end`` exclusive."""

    start: Timestamp
    end: Timestamp


class UsageData(msgspec.Struct, frozen=True, kw_only=True):
    usage: BucketCounts
    limits: BucketCounts
    addon_credits: dict[str, int]
    plan: PlanName
    limits_plan: PlanName
    period: UsagePeriod


class UsageResponse(msgspec.Struct, frozen=True, kw_only=True):
    """``GET /me/usage`` (spec 10 §3.5)."""

    data: UsageData


class TokenData(msgspec.Struct, frozen=True, kw_only=True):
    token: str
    token_type: Literal["Bearer"]
    expires_at: Timestamp
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
    id: Ulid
    name: str
    position: int


class ProcessingRunBody(msgspec.Struct, frozen=True, kw_only=True):
    """A processing run (spec 30 §5.1) with its full payload."""

    id: Ulid
    status: RunStatus
    step: StepName
    started_at: Timestamp | None
    finished_at: Timestamp | None
    error_code: str | None
    error_message: str | None
    inserted_at: Timestamp
    updated_at: Timestamp
    payload: dict[str, Any]


class DescriptionDraftBody(msgspec.Struct, frozen=True, kw_only=True):
    id: Ulid
    status: ArtifactStatus
    provider: str
    model: str | None
    suggested_title: str
    short_description: str
    long_description: str | None
    key_features: list[str]
    seo_keywords: list[str]
    missing_details_warning: str | None
    inserted_at: Timestamp
    updated_at: Timestamp


class PriceResearchBody(msgspec.Struct, frozen=True, kw_only=True):
    id: Ulid
    status: ArtifactStatus
    provider: str
    model: str | None
    currency: str
    suggested_min_price: Money | None
    suggested_target_price: Money | None
    suggested_max_price: Money | None
    suggested_median_price: Money | None
    pricing_confidence: float | None
    rationale_summary: str | None
    market_signals: list[str]
    comparable_results: list[dict[str, Any]]
    inserted_at: Timestamp
    updated_at: Timestamp


class MarketplaceListingBody(msgspec.Struct, frozen=True, kw_only=True):
    id: Ulid
    marketplace: str
    status: ArtifactStatus
    generated_title: str | None
    generated_description: str | None
    generated_tags: list[str]
    generated_price_suggestion: Money | None
    generation_version: str | None
    compliance_warnings: list[str]
    external_url: str | None
    external_url_added_at: Timestamp | None
    last_generated_at: Timestamp | None
    inserted_at: Timestamp
    updated_at: Timestamp


class ImageBody(msgspec.Struct, frozen=True, kw_only=True):
    """A product image (spec 30 §2.1); ``url`` is null without a public base URL."""

    id: Ulid
    kind: ImageKind
    position: int
    storage_key: str
    url: str | None
    content_type: str
    width: int | None
    height: int | None
    byte_size: int | None
    checksum: str | None
    background_style: str | None
    processing_status: ImageStatus
    original_filename: str | None
    lifestyle_generation_run_id: Ulid | None
    scene_key: str | None
    variant_index: int | None
    source_image_ids: list[Ulid]
    seller_approved: bool
    approved_at: Timestamp | None
    storefront_visible: bool
    storefront_position: int | None
    inserted_at: Timestamp
    updated_at: Timestamp


LifestyleStatus = Literal["queued", "running", "completed", "partial", "failed"]


class LifestyleRunBody(msgspec.Struct, frozen=True, kw_only=True):
    """A lifestyle generation run (spec 30 §8.3)."""

    id: Ulid
    status: LifestyleStatus
    step: str
    scene_family: str
    model: str | None
    prompt_version: str
    requested_count: int
    completed_count: int
    error_code: str | None
    error_message: str | None
    started_at: Timestamp | None
    finished_at: Timestamp | None
    inserted_at: Timestamp
    updated_at: Timestamp
    payload: dict[str, Any]


VideoRunStatus = Literal["queued", "running", "completed", "failed"]
AspectRatio = Literal["9:16", "1:1", "4:5"]


class VideoRunBody(msgspec.Struct, frozen=True, kw_only=True):
    """A marketplace video generation run (spec 30 §9)."""

    id: Ulid
    status: VideoRunStatus
    step: str
    marketplace: str
    aspect_ratio: AspectRatio
    duration_seconds: int
    source_image_ids: list[Ulid]
    error_code: str | None
    error_message: str | None
    payload: dict[str, Any]
    started_at: Timestamp | None
    finished_at: Timestamp | None
    inserted_at: Timestamp
    updated_at: Timestamp


class VideoBody(msgspec.Struct, frozen=True, kw_only=True):
    """The product's current video for one marketplace (spec 30 §9): a silent MP4."""

    id: Ulid
    marketplace: str
    video_generation_run_id: Ulid
    storage_key: str
    url: str | None
    content_type: Literal["video/mp4"]
    duration_seconds: float
    width: int
    height: int
    byte_size: int
    source_image_ids: list[Ulid]
    inserted_at: Timestamp
    updated_at: Timestamp


class ProductBody(msgspec.Struct, frozen=True, kw_only=True):
    """The product payload (spec 20 §2.2), identical in every product endpoint."""

    id: Ulid
    status: ProductStatus
    source: ProductSource
    title: str | None
    brand: str | None
    category: str | None
    condition: str | None
    color: str | None
    size: str | None
    material: str | None
    price: Money | None
    cost: Money | None
    product_tab_id: Ulid | None
    product_tab: ProductTabCompact | None
    sku: str | None
    tags: list[str]
    notes: str | None
    ai_summary: str | None
    ai_confidence: float | None
    sold_at: Timestamp | None
    archived_at: Timestamp | None
    storefront_enabled: bool
    storefront_published_at: Timestamp | None
    inserted_at: Timestamp
    updated_at: Timestamp
    latest_processing_run: ProcessingRunBody | None
    latest_lifestyle_generation_run: LifestyleRunBody | None
    """The newest lifestyle generation run, if any."""
    description_draft: DescriptionDraftBody | None
    price_research: PriceResearchBody | None
    marketplace_listings: list[MarketplaceListingBody]
    image_urls: list[str]
    images: list[ImageBody]
    videos: list[VideoBody]
    """One video per marketplace, by marketplace id."""
    latest_video_generation_run: VideoRunBody | None
    """The newest video generation run, if any."""


class UploadInstructionBody(msgspec.Struct, frozen=True, kw_only=True):
    """How to upload one file (spec 30 §3.2): send exactly ``headers`` with the PUT."""

    image_id: Ulid
    storage_key: str
    method: UploadMethod
    upload_url: str
    headers: dict[str, str]
    expires_at: Timestamp


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

    status: StatusFilter
    query: str | None
    product_tab_id: Ulid | None
    updated_from: Day | None
    updated_to: Day | None
    sort: SortKey
    dir: SortDirection


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
    status: Literal["ok"]
    version: str


class HealthResponse(msgspec.Struct, frozen=True, kw_only=True):
    data: HealthData


class ReadinessData(msgspec.Struct, frozen=True, kw_only=True):
    status: Literal["ok"]
    dependencies: dict[str, DependencyState]


class ReadinessResponse(msgspec.Struct, frozen=True, kw_only=True):
    data: ReadinessData

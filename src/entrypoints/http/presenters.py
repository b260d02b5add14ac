"""Pure functions that turn domain objects into the contract's JSON payloads.

The boundary conversions live here and nowhere else: timestamps become ISO-8601 UTC strings
with second precision and a ``Z``, money becomes two-decimal strings, the domain's
``created_at`` is exposed as ``inserted_at``, and storage keys become public URLs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import msgspec

from reseller_core.domain.aggregate import ProductView
from reseller_core.domain.artifacts import (
    DescriptionDraft,
    MarketplaceListing,
    PriceResearch,
    sort_listings,
)
from reseller_core.domain.images import ImageStatus, ProductImage
from reseller_core.domain.listing_query import ProductListQuery
from reseller_core.domain.media_runs import LifestyleRun
from reseller_core.domain.products import ProductTab
from reseller_core.domain.runs import ProcessingRun
from reseller_core.domain.users import IssuedToken, User
from reseller_core.domain.validation import format_money
from reseller_core.domain.videos import ProductVideo, VideoRun
from reseller_core.services.plans import UsageReport
from reseller_core.services.results import (
    FinalizeResult,
    ProductListResult,
    ProductWithUploads,
    ReprocessResult,
    UploadInstruction,
)
from reseller_entrypoints.http.schemas import (
    AccountData,
    AccountResponse,
    BucketCounts,
    DescriptionDraftBody,
    FinalizeData,
    FinalizeResponse,
    ImageBody,
    LifestyleRunBody,
    MarketplaceListingBody,
    MarketplaceOption,
    PaginationBody,
    PriceResearchBody,
    ProcessingRunBody,
    ProductBody,
    ProductData,
    ProductFiltersBody,
    ProductListData,
    ProductListResponse,
    ProductResponse,
    ProductTabCompact,
    ProductUploadsData,
    ProductUploadsResponse,
    ReprocessData,
    ReprocessResponse,
    TokenData,
    TokenResponse,
    UploadInstructionBody,
    UsageData,
    UsagePeriod,
    UsageResponse,
    UserBody,
    VideoBody,
    VideoRunBody,
)

PublicUrl = Callable[[str], str | None]
"""Storage key → public URL (``ObjectStorage.public_url``), None when not configured."""

Marketplaces = Sequence[tuple[str, str]]
"""(id, label) of the supported marketplaces, in catalogue order."""

_UNLISTED_IMAGE_STATUSES = frozenset({ImageStatus.PENDING_UPLOAD, ImageStatus.FAILED})
"""Images whose URL is not in ``image_urls`` (decision Q-P7): not uploaded, or unusable."""


def iso(moment: datetime) -> str:
    """ISO-8601 in UTC, second precision, ``Z`` suffix; naive values are taken as UTC.

    ``isoformat`` is used rather than ``strftime`` (a payload holds dozens of timestamps
    and ``strftime`` is several times slower); below year 1000 the two disagree on the
    year's padding, so those keep ``strftime``'s spelling.
    """
    if moment.tzinfo is not UTC:
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if moment.year < 1000:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.isoformat(timespec="seconds")[:19] + "Z"


def iso_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else iso(moment)


def day_or_none(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


# --- accounts ----------------------------------------------------------------------------


def marketplace_options(marketplaces: Marketplaces) -> list[MarketplaceOption]:
    return [MarketplaceOption(id=mid, label=label) for mid, label in marketplaces]


def user_body(user: User, marketplaces: Marketplaces) -> UserBody:
    """The user object; ``selected_marketplaces`` in catalogue order, supported ids only."""
    selected = set(user.selected_marketplaces)
    return UserBody(
        id=user.id,
        email=user.email,
        confirmed_at=iso_or_none(user.confirmed_at),
        selected_marketplaces=[mid for mid, _ in marketplaces if mid in selected],
        plan=str(user.plan),
        plan_status=str(user.plan_status),
        plan_period=user.plan_period,
        plan_expires_at=iso_or_none(user.plan_expires_at),
        trial_ends_at=iso_or_none(user.trial_ends_at),
        addon_credits=dict(user.addon_credits),
    )


def account_response(user: User, marketplaces: Marketplaces) -> AccountResponse:
    return AccountResponse(
        data=AccountData(
            user=user_body(user, marketplaces),
            supported_marketplaces=marketplace_options(marketplaces),
        )
    )


def usage_response(report: UsageReport) -> UsageResponse:
    return UsageResponse(
        data=UsageData(
            usage=msgspec.convert(report.usage, BucketCounts),
            limits=msgspec.convert(report.limits, BucketCounts),
            addon_credits=dict(report.addon_credits),
            plan=report.plan,
            limits_plan=report.limits_plan,
            period=UsagePeriod(start=iso(report.period_start), end=iso(report.period_end)),
        )
    )


def token_response(issued: IssuedToken, marketplaces: Marketplaces) -> TokenResponse:
    return TokenResponse(
        data=TokenData(
            token=issued.token,
            token_type="Bearer",
            expires_at=iso(issued.expires_at),
            user=user_body(issued.user, marketplaces),
            supported_marketplaces=marketplace_options(marketplaces),
        )
    )


# --- products ----------------------------------------------------------------------------


def tab_compact(tab: ProductTab | None) -> ProductTabCompact | None:
    if tab is None:
        return None
    return ProductTabCompact(id=tab.id, name=tab.name, position=tab.position)


def run_body(run: ProcessingRun) -> ProcessingRunBody:
    return ProcessingRunBody(
        id=run.id,
        status=run.status,
        step=str(run.step),
        started_at=iso_or_none(run.started_at),
        finished_at=iso_or_none(run.finished_at),
        error_code=run.error_code,
        error_message=run.error_message,
        inserted_at=iso(run.created_at),
        updated_at=iso(run.updated_at),
        payload=dict(run.payload),
    )


def run_body_or_none(run: ProcessingRun | None) -> ProcessingRunBody | None:
    return None if run is None else run_body(run)


def draft_body(draft: DescriptionDraft | None) -> DescriptionDraftBody | None:
    if draft is None:
        return None
    return DescriptionDraftBody(
        id=draft.id,
        status=draft.status,
        provider=draft.provider,
        model=draft.model,
        suggested_title=draft.suggested_title,
        short_description=draft.short_description,
        long_description=draft.long_description,
        key_features=list(draft.key_features),
        seo_keywords=list(draft.seo_keywords),
        missing_details_warning=draft.missing_details_warning,
        inserted_at=iso(draft.created_at),
        updated_at=iso(draft.updated_at),
    )


def price_research_body(research: PriceResearch | None) -> PriceResearchBody | None:
    if research is None:
        return None
    return PriceResearchBody(
        id=research.id,
        status=research.status,
        provider=research.provider,
        model=research.model,
        currency=research.currency,
        suggested_min_price=format_money(research.suggested_min_price),
        suggested_target_price=format_money(research.suggested_target_price),
        suggested_max_price=format_money(research.suggested_max_price),
        suggested_median_price=format_money(research.suggested_median_price),
        pricing_confidence=research.pricing_confidence,
        rationale_summary=research.rationale_summary,
        market_signals=list(research.market_signals),
        comparable_results=[dict(item) for item in research.comparable_results],
        inserted_at=iso(research.created_at),
        updated_at=iso(research.updated_at),
    )


def listing_body(listing: MarketplaceListing) -> MarketplaceListingBody:
    return MarketplaceListingBody(
        id=listing.id,
        marketplace=listing.marketplace,
        status=listing.status,
        generated_title=listing.generated_title,
        generated_description=listing.generated_description,
        generated_tags=list(listing.generated_tags),
        generated_price_suggestion=format_money(listing.generated_price_suggestion),
        generation_version=listing.generation_version,
        compliance_warnings=list(listing.compliance_warnings),
        external_url=listing.external_url,
        external_url_added_at=iso_or_none(listing.external_url_added_at),
        last_generated_at=iso_or_none(listing.last_generated_at),
        inserted_at=iso(listing.created_at),
        updated_at=iso(listing.updated_at),
    )


def image_body(image: ProductImage, public_url: PublicUrl) -> ImageBody:
    return ImageBody(
        id=image.id,
        kind=image.kind,
        position=image.position,
        storage_key=image.storage_key,
        url=public_url(image.storage_key),
        content_type=image.content_type,
        width=image.width,
        height=image.height,
        byte_size=image.byte_size,
        checksum=image.checksum,
        background_style=image.background_style,
        processing_status=image.processing_status,
        original_filename=image.original_filename,
        lifestyle_generation_run_id=image.lifestyle_generation_run_id,
        scene_key=image.scene_key,
        variant_index=image.variant_index,
        source_image_ids=list(image.source_image_ids),
        seller_approved=image.seller_approved,
        approved_at=iso_or_none(image.approved_at),
        storefront_visible=image.storefront_visible,
        storefront_position=image.storefront_position,
        inserted_at=iso(image.created_at),
        updated_at=iso(image.updated_at),
    )


def image_bodies(images: Iterable[ProductImage], public_url: PublicUrl) -> list[ImageBody]:
    return [image_body(image, public_url) for image in images]


def product_body(view: ProductView, public_url: PublicUrl) -> ProductBody:
    """The full product payload; images keep the view's order (position, then id)."""
    product = view.product
    images = image_bodies(view.images, public_url)
    image_urls = [
        body.url
        for image, body in zip(view.images, images, strict=True)
        if body.url is not None and image.processing_status not in _UNLISTED_IMAGE_STATUSES
    ]
    return ProductBody(
        id=product.id,
        status=product.status,
        source=product.source,
        title=product.title,
        brand=product.brand,
        category=product.category,
        condition=product.condition,
        color=product.color,
        size=product.size,
        material=product.material,
        price=format_money(product.price),
        cost=format_money(product.cost),
        product_tab_id=product.product_tab_id,
        product_tab=tab_compact(view.tab),
        sku=product.sku,
        tags=list(product.tags),
        notes=product.notes,
        ai_summary=product.ai_summary,
        ai_confidence=product.ai_confidence,
        sold_at=iso_or_none(product.sold_at),
        archived_at=iso_or_none(product.archived_at),
        storefront_enabled=product.storefront_enabled,
        storefront_published_at=iso_or_none(product.storefront_published_at),
        inserted_at=iso(product.created_at),
        updated_at=iso(product.updated_at),
        latest_processing_run=run_body_or_none(view.latest_run),
        latest_lifestyle_generation_run=lifestyle_run_or_none(view.latest_lifestyle_run),
        videos=[video_body(video, public_url) for video in view.videos],
        latest_video_generation_run=video_run_or_none(view.latest_video_run),
        description_draft=draft_body(view.description_draft),
        price_research=price_research_body(view.price_research),
        marketplace_listings=[
            listing_body(listing) for listing in sort_listings(list(view.marketplace_listings))
        ],
        image_urls=image_urls,
        images=images,
    )


def upload_instruction_body(instruction: UploadInstruction) -> UploadInstructionBody:
    return UploadInstructionBody(
        image_id=instruction.image_id,
        storage_key=instruction.storage_key,
        method=instruction.method,
        upload_url=instruction.upload_url,
        headers=dict(instruction.headers),
        expires_at=iso(instruction.expires_at),
    )


def product_response(view: ProductView, public_url: PublicUrl) -> ProductResponse:
    return ProductResponse(data=ProductData(product=product_body(view, public_url)))


def product_uploads_response(
    result: ProductWithUploads, public_url: PublicUrl
) -> ProductUploadsResponse:
    return ProductUploadsResponse(
        data=ProductUploadsData(
            product=product_body(result.view, public_url),
            upload_instructions=[
                upload_instruction_body(item) for item in result.upload_instructions
            ],
        )
    )


def filters_body(query: ProductListQuery) -> ProductFiltersBody:
    return ProductFiltersBody(
        status=query.status,
        query=query.query,
        product_tab_id=query.product_tab_id,
        updated_from=day_or_none(query.updated_from),
        updated_to=day_or_none(query.updated_to),
        sort=query.sort,
        dir=query.dir,
    )


def product_list_response(result: ProductListResult, public_url: PublicUrl) -> ProductListResponse:
    page = result.page
    return ProductListResponse(
        data=ProductListData(
            products=[product_body(view, public_url) for view in page.products],
            pagination=PaginationBody(
                page=page.page,
                page_size=page.page_size,
                total_count=page.total_count,
                total_pages=page.total_pages,
            ),
            filters=filters_body(result.query),
        )
    )


def finalize_response(result: FinalizeResult, public_url: PublicUrl) -> FinalizeResponse:
    return FinalizeResponse(
        data=FinalizeData(
            product=product_body(result.view, public_url),
            finalized_images=image_bodies(result.finalized_images, public_url),
            processing_run=run_body_or_none(result.run),
        )
    )


def reprocess_response(result: ReprocessResult, public_url: PublicUrl) -> ReprocessResponse:
    return ReprocessResponse(
        data=ReprocessData(
            product=product_body(result.view, public_url), processing_run=run_body(result.run)
        )
    )


def error_payload(status: int, code: str, detail: str, extra: dict[str, Any]) -> dict[str, Any]:
    """The error envelope; ``extra`` (fields, limit details…) sits inside ``error``."""
    return {"error": {"code": code, "detail": detail, "status": status, **extra}}


def lifestyle_run_body(run: LifestyleRun) -> LifestyleRunBody:
    payload: dict[str, Any] = {
        "summary": None,
        "scene_keys": [],
        "source_image_ids": [],
        "scene_results": [],
    }
    return LifestyleRunBody(
        id=run.id,
        status=run.status,  # type: ignore[arg-type]
        step=run.step,
        scene_family=run.scene_family,
        model=run.model,
        prompt_version=run.prompt_version,
        requested_count=run.requested_count,
        completed_count=run.completed_count,
        error_code=run.error_code,
        error_message=run.error_message,
        started_at=iso_or_none(run.started_at),
        finished_at=iso_or_none(run.finished_at),
        inserted_at=iso(run.created_at),
        updated_at=iso(run.updated_at),
        payload={**payload, **run.payload},
    )


def lifestyle_run_or_none(run: LifestyleRun | None) -> LifestyleRunBody | None:
    return lifestyle_run_body(run) if run is not None else None


def video_run_body(run: VideoRun) -> VideoRunBody:
    return VideoRunBody(
        id=run.id,
        status=run.status,  # type: ignore[arg-type]
        step=run.step,
        marketplace=run.marketplace,
        aspect_ratio=run.aspect_ratio,  # type: ignore[arg-type]
        duration_seconds=run.duration_seconds,
        source_image_ids=list(run.source_image_ids),
        error_code=run.error_code,
        error_message=run.error_message,
        payload=dict(run.payload),
        started_at=iso_or_none(run.started_at),
        finished_at=iso_or_none(run.finished_at),
        inserted_at=iso(run.created_at),
        updated_at=iso(run.updated_at),
    )


def video_run_or_none(run: VideoRun | None) -> VideoRunBody | None:
    return video_run_body(run) if run is not None else None


def video_body(video: ProductVideo, public_url: PublicUrl) -> VideoBody:
    return VideoBody(
        id=video.id,
        marketplace=video.marketplace,
        video_generation_run_id=video.video_generation_run_id,
        storage_key=video.storage_key,
        url=public_url(video.storage_key),
        content_type="video/mp4",
        duration_seconds=video.duration_seconds,
        width=video.width,
        height=video.height,
        byte_size=video.byte_size,
        source_image_ids=list(video.source_image_ids),
        inserted_at=iso(video.created_at),
        updated_at=iso(video.updated_at),
    )

"""Processing runs: statuses, steps and the failure codes with their retryability (spec 30 §5)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import msgspec


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


ACTIVE_RUN_STATUSES = frozenset({RunStatus.QUEUED, RunStatus.RUNNING})


class Step(StrEnum):
    QUEUED = "queued"
    PREPARE_IMAGES = "prepare_images"
    RECOGNITION_COMPLETED = "recognition_completed"
    DESCRIPTION_GENERATED = "description_generated"
    PRICE_RESEARCHED = "price_researched"
    MARKETPLACE_LISTINGS_GENERATED = "marketplace_listings_generated"
    VARIANTS_GENERATED = "variants_generated"
    VARIANTS_FAILED = "variants_failed"
    LIFESTYLE_GENERATED = "lifestyle_generated"
    LIFESTYLE_PARTIAL = "lifestyle_partial"
    LIFESTYLE_FAILED = "lifestyle_failed"


STEP_ORDER: tuple[Step, ...] = (
    Step.QUEUED,
    Step.PREPARE_IMAGES,
    Step.RECOGNITION_COMPLETED,
    Step.DESCRIPTION_GENERATED,
    Step.PRICE_RESEARCHED,
    Step.MARKETPLACE_LISTINGS_GENERATED,
)


class RunErrorCode(StrEnum):
    AI_QUOTA_EXHAUSTED = "ai_quota_exhausted"
    AI_RATE_LIMITED = "ai_rate_limited"
    AI_MEDIA_FETCH_FAILED = "ai_media_fetch_failed"
    AI_PROVIDER_TIMEOUT = "ai_provider_timeout"
    AI_GROUNDING_REQUEST_INVALID = "ai_grounding_request_invalid"
    MEDIA_UNAVAILABLE = "media_unavailable"
    NO_RECOGNITION_IMAGES = "no_recognition_images"
    SHOPPING_SEARCH_FAILED = "shopping_search_failed"
    MARKETPLACE_LISTING_FAILED = "marketplace_listing_failed"
    LIMIT_EXCEEDED = "limit_exceeded"
    STALLED = "stalled"
    PROCESSOR_ERROR = "processor_error"


SEED_RETRYABLE: frozenset[RunErrorCode] = frozenset(
    {
        RunErrorCode.AI_QUOTA_EXHAUSTED,
        RunErrorCode.AI_RATE_LIMITED,
        RunErrorCode.AI_MEDIA_FETCH_FAILED,
        RunErrorCode.AI_PROVIDER_TIMEOUT,
        RunErrorCode.AI_GROUNDING_REQUEST_INVALID,
    }
)
"""The retryable codes the seed shows to clients."""

RETRYABLE: frozenset[RunErrorCode] = SEED_RETRYABLE | {
    RunErrorCode.LIMIT_EXCEEDED,
    RunErrorCode.STALLED,
}
"""Codes whose failure returns originals to ``uploaded`` so a reprocess can retry them.

``media_unavailable`` is retryable only when the bytes could not be fetched (transient);
the failing stage says so with ``PipelineFailure.retryable``.
"""

ERROR_MESSAGES: dict[RunErrorCode, str] = {
    RunErrorCode.AI_QUOTA_EXHAUSTED: "The AI provider's quota is used up; retry processing once quota recovers.",
    RunErrorCode.AI_RATE_LIMITED: "The AI provider is rate-limiting requests; retry processing shortly.",
    RunErrorCode.AI_MEDIA_FETCH_FAILED: "The AI provider could not fetch the product images; retry processing.",
    RunErrorCode.AI_PROVIDER_TIMEOUT: "The AI provider did not answer in time; retry processing.",
    RunErrorCode.AI_GROUNDING_REQUEST_INVALID: "The AI provider rejected the price-research request; retry processing.",
    RunErrorCode.MEDIA_UNAVAILABLE: "The product images could not be read from storage.",
    RunErrorCode.NO_RECOGNITION_IMAGES: "No usable image was available for recognition.",
    RunErrorCode.SHOPPING_SEARCH_FAILED: "The price search failed.",
    RunErrorCode.MARKETPLACE_LISTING_FAILED: "Marketplace copy could not be generated.",
    RunErrorCode.LIMIT_EXCEEDED: "A daily usage ceiling was reached before processing started.",
    RunErrorCode.STALLED: "The run stalled and was superseded.",
    RunErrorCode.PROCESSOR_ERROR: "Processing failed unexpectedly.",
}


def is_retryable(code: RunErrorCode) -> bool:
    return code in RETRYABLE


class ProcessingRun(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    product_id: str
    user_id: str
    status: RunStatus
    step: str
    marketplaces: tuple[str, ...] = ()
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error_code: str | None = None
    error_message: str | None = None
    payload: dict[str, Any] = msgspec.field(default_factory=dict)
    attempts: int = 0
    heartbeat_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


def is_active(run: ProcessingRun | None) -> bool:
    return run is not None and run.status in ACTIVE_RUN_STATUSES

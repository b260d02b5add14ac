"""What the AI pipeline writes for a product: description draft, price research, listings."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import msgspec


class ArtifactStatus(StrEnum):
    GENERATED = "generated"
    REVIEW = "review"
    FAILED = "failed"
    MANUAL = "manual"


class DescriptionDraft(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    status: ArtifactStatus
    provider: str
    model: str | None
    suggested_title: str
    short_description: str
    long_description: str | None = None
    key_features: tuple[str, ...] = ()
    seo_keywords: tuple[str, ...] = ()
    missing_details_warning: str | None = None
    created_at: datetime
    updated_at: datetime


class PriceResearch(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    status: ArtifactStatus
    provider: str
    model: str | None
    currency: str
    suggested_min_price: Decimal | None = None
    suggested_target_price: Decimal | None = None
    suggested_max_price: Decimal | None = None
    suggested_median_price: Decimal | None = None
    pricing_confidence: float | None = None
    rationale_summary: str | None = None
    market_signals: tuple[str, ...] = ()
    comparable_results: tuple[dict[str, Any], ...] = ()
    created_at: datetime
    updated_at: datetime


class MarketplaceListing(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    marketplace: str
    status: ArtifactStatus
    generated_title: str | None = None
    generated_description: str | None = None
    generated_tags: tuple[str, ...] = ()
    generated_price_suggestion: Decimal | None = None
    generation_version: str | None = None
    compliance_warnings: tuple[str, ...] = ()
    external_url: str | None = None
    external_url_added_at: datetime | None = None
    last_generated_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


def sort_listings(listings: list[MarketplaceListing]) -> list[MarketplaceListing]:
    """Listings in payload order: alphabetical by marketplace id (spec 20 §2.2)."""
    return sorted(listings, key=lambda listing: listing.marketplace)

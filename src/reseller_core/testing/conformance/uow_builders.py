"""Builders of valid domain objects for the unit-of-work suite and adapter authors' tests.

Each ``build_*`` function returns a complete object with fresh ULIDs and timestamps derived
from ``T0``; keyword overrides replace any field.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from ulid import ULID

from reseller_core.domain.artifacts import (
    ArtifactStatus,
    DescriptionDraft,
    MarketplaceListing,
    PriceResearch,
)
from reseller_core.domain.images import ImageKind, ImageStatus, ProductImage
from reseller_core.domain.products import Product, ProductStatus, ProductTab
from reseller_core.domain.runs import ProcessingRun, RunStatus, Step
from reseller_core.domain.users import ApiToken, ConfirmationToken, User
from reseller_core.ports.unit_of_work import (
    ProviderCall,
    UsageEvent,
)

T = TypeVar("T")

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
"""The suite's reference instant; every timestamp is derived from it."""


def new_id() -> str:
    return str(ULID())


def build_user(**overrides: Any) -> User:
    values: dict[str, Any] = {
        "id": new_id(),
        "email": f"{new_id().lower()}@example.test",
        "password_hash": "argon2$fake",
        "confirmed_at": None,
        "selected_marketplaces": ("ebay", "depop"),
        "created_at": T0,
        "updated_at": T0,
    }
    return User(**{**values, **overrides})


def build_token(user: User, **overrides: Any) -> ApiToken:
    values: dict[str, Any] = {
        "id": new_id(),
        "user_id": user.id,
        "token_hash": f"sha256-{new_id()}",
        "context": "mobile",
        "device_name": "Pixel",
        "expires_at": T0 + timedelta(days=60),
        "last_used_at": None,
        "created_at": T0,
    }
    return ApiToken(**{**values, **overrides})


def build_confirmation(user: User, **overrides: Any) -> ConfirmationToken:
    values: dict[str, Any] = {
        "id": new_id(),
        "user_id": user.id,
        "token_hash": f"confirm-{new_id()}",
        "sent_to": user.email,
        "expires_at": T0 + timedelta(days=2),
        "used_at": None,
        "created_at": T0,
    }
    return ConfirmationToken(**{**values, **overrides})


def build_tab(user: User, name: str = "Shoes", position: int = 1, **overrides: Any) -> ProductTab:
    values: dict[str, Any] = {
        "id": new_id(),
        "user_id": user.id,
        "name": name,
        "position": position,
        "created_at": T0,
        "updated_at": T0,
    }
    return ProductTab(**{**values, **overrides})


def build_product(user: User, **overrides: Any) -> Product:
    values: dict[str, Any] = {
        "id": new_id(),
        "user_id": user.id,
        "status": ProductStatus.DRAFT,
        "created_at": T0,
        "updated_at": T0,
    }
    return Product(**{**values, **overrides})


def build_image(product: Product, position: int = 1, **overrides: Any) -> ProductImage:
    image_id = new_id()
    values: dict[str, Any] = {
        "id": image_id,
        "product_id": product.id,
        "kind": ImageKind.ORIGINAL,
        "position": position,
        "storage_key": f"users/{product.user_id}/products/{product.id}/originals/{image_id}.jpg",
        "content_type": "image/jpeg",
        "processing_status": ImageStatus.PENDING_UPLOAD,
        "created_at": T0,
        "updated_at": T0,
    }
    return ProductImage(**{**values, **overrides})


def build_run(product: Product, **overrides: Any) -> ProcessingRun:
    values: dict[str, Any] = {
        "id": new_id(),
        "product_id": product.id,
        "user_id": product.user_id,
        "status": RunStatus.QUEUED,
        "step": Step.QUEUED,
        "marketplaces": ("ebay", "depop"),
        "created_at": T0,
        "updated_at": T0,
    }
    return ProcessingRun(**{**values, **overrides})


def build_draft(**overrides: Any) -> DescriptionDraft:
    values: dict[str, Any] = {
        "id": new_id(),
        "status": ArtifactStatus.GENERATED,
        "provider": "offline",
        "model": "offline-1",
        "suggested_title": "Nike Air Max 90",
        "short_description": "Classic Air Max 90 in white mesh.",
        "long_description": "Long text",
        "key_features": ("Visible air unit", "Mesh upper"),
        "seo_keywords": ("nike air max 90",),
        "created_at": T0 + timedelta(microseconds=123456),
        "updated_at": T0 + timedelta(seconds=1, microseconds=7),
    }
    return DescriptionDraft(**{**values, **overrides})


def build_research(**overrides: Any) -> PriceResearch:
    values: dict[str, Any] = {
        "id": new_id(),
        "status": ArtifactStatus.GENERATED,
        "provider": "offline",
        "model": None,
        "currency": "USD",
        "suggested_min_price": Decimal("110.00"),
        "suggested_target_price": Decimal("125.50"),
        "suggested_max_price": Decimal("9999999999.99"),
        "suggested_median_price": None,
        "pricing_confidence": 0.82,
        "rationale_summary": "Strong demand",
        "market_signals": ("Strong sneaker demand",),
        "comparable_results": ({"title": "Nike Air Max 90", "price": 129.5, "source": "GOAT"},),
        "created_at": T0 + timedelta(microseconds=1),
        "updated_at": T0 + timedelta(minutes=1),
    }
    return PriceResearch(**{**values, **overrides})


def build_listing(marketplace: str, **overrides: Any) -> MarketplaceListing:
    values: dict[str, Any] = {
        "id": new_id(),
        "marketplace": marketplace,
        "status": ArtifactStatus.GENERATED,
        "generated_title": f"Title for {marketplace}",
        "generated_description": "Description",
        "generated_tags": ("nike", "air max 90"),
        "generated_price_suggestion": Decimal("129.00"),
        "generation_version": "offline-1",
        "compliance_warnings": (),
        "external_url": None,
        "external_url_added_at": None,
        "last_generated_at": T0 + timedelta(seconds=30),
        "created_at": T0,
        "updated_at": T0 + timedelta(days=1),
    }
    return MarketplaceListing(**{**values, **overrides})


def build_usage(
    user: User, bucket: str, at: datetime, quantity: int = 1, run_id: str | None = None
) -> UsageEvent:
    return UsageEvent(
        id=new_id(),
        user_id=user.id,
        product_id=None,
        run_id=run_id,
        bucket=bucket,
        quantity=quantity,
        created_at=at,
    )


def build_call(
    user: User, role: str, at: datetime, cost: str = "0", status: str = "success"
) -> ProviderCall:
    return ProviderCall(
        id=new_id(),
        user_id=user.id,
        product_id=None,
        provider={"llm": "gemini", "search": "serp_api", "image_editor": "photoroom"}.get(
            role, "other"
        ),
        role=role,
        operation="description",
        status=status,
        cost_usd=Decimal(cost),
        duration_ms=120,
        error_code=None if status == "success" else "transport_error",
        created_at=at,
    )


def day(text: str, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    """An instant on ``YYYY-MM-DD`` in UTC."""
    parsed = date.fromisoformat(text)
    return datetime(parsed.year, parsed.month, parsed.day, hour, minute, second, tzinfo=UTC)


def assert_utc(value: datetime | None) -> None:
    assert value is not None
    assert value.tzinfo is not None
    assert value.utcoffset() == timedelta(0)

"""The product entity, its statuses and the seller-field rules (spec 20 §2)."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import msgspec

from reseller_core.domain.ids import parse_ulid
from reseller_core.domain.validation import (
    IS_INVALID,
    Errors,
    optional_text,
    parse_money,
    too_many_items,
)


class ProductStatus(StrEnum):
    DRAFT = "draft"
    UPLOADING = "uploading"
    PROCESSING = "processing"
    REVIEW = "review"
    READY = "ready"
    SOLD = "sold"
    ARCHIVED = "archived"


class ProductSource(StrEnum):
    MANUAL = "manual"
    MOBILE = "mobile"
    IMPORT = "import"
    AI = "ai"


CREATE_SOURCES = frozenset({ProductSource.MANUAL, ProductSource.MOBILE})

TEXT_LIMITS: dict[str, int] = {
    "title": 160,
    "brand": 120,
    "category": 120,
    "condition": 80,
    "color": 80,
    "size": 80,
    "material": 120,
    "sku": 120,
    "notes": 10_000,
}
TAGS_MAX = 20
TAG_MAX_CHARS = 40
MONEY_FIELDS = ("price", "cost")


class ProductTab(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    user_id: str
    name: str
    position: int
    created_at: datetime
    updated_at: datetime


class Product(msgspec.Struct, frozen=True, kw_only=True):
    """The seller's product row; AI artifacts and images live beside it (see ProductView)."""

    id: str
    user_id: str
    status: ProductStatus
    source: ProductSource = ProductSource.MANUAL
    title: str | None = None
    brand: str | None = None
    category: str | None = None
    condition: str | None = None
    color: str | None = None
    size: str | None = None
    material: str | None = None
    price: Decimal | None = None
    cost: Decimal | None = None
    sku: str | None = None
    tags: tuple[str, ...] = ()
    notes: str | None = None
    product_tab_id: str | None = None
    storefront_enabled: bool = False
    storefront_published_at: datetime | None = None
    ai_summary: str | None = None
    ai_confidence: float | None = None
    sold_at: datetime | None = None
    archived_at: datetime | None = None
    status_before_archive: ProductStatus | None = None
    latest_run_id: str | None = None
    version: int = 0
    created_at: datetime
    updated_at: datetime


class ProductFields(msgspec.Struct, frozen=True, kw_only=True):
    """Validated seller fields from a create (or patch) body: only the keys present."""

    values: dict[str, Any]


def parse_tags(errors: Errors, value: Any) -> tuple[str, ...]:
    """Tags from a list or one comma/newline separated string (spec 20 §2.1)."""
    if value is None:
        return ()
    if isinstance(value, str):
        items: list[Any] = re.split(r"[,\n]", value)
    elif isinstance(value, list):
        items = value
    else:
        errors.add("tags", IS_INVALID)
        return ()
    tags: list[str] = []
    for item in items:
        if not isinstance(item, str):
            errors.add("tags", IS_INVALID)
            return ()
        tag = item.strip()
        if tag and tag not in tags:
            tags.append(tag)
    if len(tags) > TAGS_MAX:
        errors.add("tags", too_many_items(TAGS_MAX))
    for index, tag in enumerate(tags, start=1):
        if len(tag) > TAG_MAX_CHARS:
            errors.add("tags", f"tag #{index} must be at most {TAG_MAX_CHARS} characters")
    return tuple(tags)


def validate_product_fields(
    errors: Errors, body: dict[str, Any], *, creating: bool
) -> dict[str, Any]:
    """Validate the seller-editable fields present in ``body`` into typed values.

    ``product_tab_id`` is returned as a canonical ULID (or None); the caller checks that the
    tab belongs to the user. Unknown and system-managed keys are ignored.
    """
    values: dict[str, Any] = {}
    for field, limit in TEXT_LIMITS.items():
        if field in body:
            values[field] = optional_text(errors, field, body[field], limit)
    for field in MONEY_FIELDS:
        if field in body:
            values[field] = parse_money(errors, field, body[field])
    if "tags" in body:
        values["tags"] = parse_tags(errors, body["tags"])
    if "product_tab_id" in body:
        raw = body["product_tab_id"]
        if raw is None:
            values["product_tab_id"] = None
        else:
            tab_id = parse_ulid(raw)
            if tab_id is None:
                errors.add("product_tab_id", IS_INVALID)
            values["product_tab_id"] = tab_id
    if creating and "source" in body:
        source = body["source"]
        if source is None:
            values["source"] = ProductSource.MANUAL
        elif isinstance(source, str) and source in CREATE_SOURCES:
            values["source"] = ProductSource(source)
        else:
            errors.add("source", IS_INVALID)
    return values

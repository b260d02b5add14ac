"""The product entity, its statuses and the seller-field rules (spec 20 §2)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, TypeVar

import msgspec
from msgspec import UNSET, Meta, UnsetType

from reseller_core.domain.ids import parse_ulid
from reseller_core.domain.validation import (
    IS_INVALID,
    Errors,
    check_money,
    has_unstorable_characters,
    optional_text,
    too_many_items,
)
from reseller_core.errors import FieldErrors

T = TypeVar("T")


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


Text = str | None | UnsetType
"""A free-text seller field: absent (UNSET), cleared (None) or a value (trimmed, blank → None)."""


class SellerFields(msgspec.Struct, frozen=True, kw_only=True):
    """The seller-editable product fields a request sets; absent fields are left as they are.

    System-managed keys (status, ids, AI fields...) are not fields here: they are ignored.
    """

    title: Annotated[Text, Meta(description="At most 160 characters.")] = UNSET
    brand: Annotated[Text, Meta(description="At most 120 characters.")] = UNSET
    category: Annotated[Text, Meta(description="At most 120 characters.")] = UNSET
    condition: Annotated[Text, Meta(description="At most 80 characters.")] = UNSET
    color: Annotated[Text, Meta(description="At most 80 characters.")] = UNSET
    size: Annotated[Text, Meta(description="At most 80 characters.")] = UNSET
    material: Annotated[Text, Meta(description="At most 120 characters.")] = UNSET
    sku: Annotated[Text, Meta(description="At most 120 characters; unique per seller.")] = UNSET
    notes: Annotated[Text, Meta(description="At most 10000 characters.")] = UNSET
    price: Annotated[
        Decimal | UnsetType | None,
        Meta(description="A JSON number or numeric string; 0 to 9999999999.99, 2 decimals."),
    ] = UNSET
    cost: Annotated[
        Decimal | UnsetType | None,
        Meta(description="A JSON number or numeric string; 0 to 9999999999.99, 2 decimals."),
    ] = UNSET
    tags: Annotated[
        tuple[str, ...] | UnsetType,
        Meta(description="Up to 20 tags of at most 40 characters (or one comma-separated string)."),
    ] = UNSET
    product_tab_id: Annotated[
        str | UnsetType | None, Meta(description="One of the seller's product tabs (ULID).")
    ] = UNSET
    source: Annotated[
        ProductSource | UnsetType | None,
        Meta(description="`manual` (default) or `mobile`; only read at creation."),
    ] = UNSET


def clean_tags(errors: Errors, raw: Sequence[str]) -> tuple[str, ...]:
    """Trimmed, blanks and duplicates dropped (first kept); at most 20 of 40 characters."""
    tags: list[str] = []
    for item in raw:
        tag = item.strip()
        if has_unstorable_characters(tag):
            errors.add("tags", IS_INVALID)
            return ()
        if tag and tag not in tags:
            tags.append(tag)
    if len(tags) > TAGS_MAX:
        errors.add("tags", too_many_items(TAGS_MAX))
    for index, tag in enumerate(tags, start=1):
        if len(tag) > TAG_MAX_CHARS:
            errors.add("tags", f"tag #{index} must be at most {TAG_MAX_CHARS} characters")
    return tuple(tags)


def _text(errors: Errors, unread: FieldErrors, field: str, value: Text) -> Text:
    if errors.carry(field, unread):
        return None
    if isinstance(value, UnsetType):
        return UNSET
    return optional_text(errors, field, value, TEXT_LIMITS[field])


def _money(
    errors: Errors, unread: FieldErrors, field: str, value: Decimal | UnsetType | None
) -> Decimal | UnsetType | None:
    if errors.carry(field, unread):
        return None
    if isinstance(value, UnsetType):
        return UNSET
    return check_money(errors, field, value)


def check_seller_fields(
    errors: Errors, fields: SellerFields, unread: FieldErrors, *, creating: bool
) -> SellerFields:
    """Apply the seller-field rules (spec 20 §2.1); the cleaned fields, errors in ``errors``.

    ``unread`` holds the edge's messages for values it could not read (those fields come
    back None). ``product_tab_id`` comes back canonical (or None when invalid); the caller
    checks that the tab belongs to the seller. ``source`` is read only when ``creating``.
    """
    texts = {field: _text(errors, unread, field, getattr(fields, field)) for field in TEXT_LIMITS}
    price = _money(errors, unread, "price", fields.price)
    cost = _money(errors, unread, "cost", fields.cost)
    tags: tuple[str, ...] | UnsetType = UNSET
    if errors.carry("tags", unread):
        tags = ()
    elif not isinstance(fields.tags, UnsetType):
        tags = clean_tags(errors, fields.tags)
    tab: str | UnsetType | None = fields.product_tab_id
    if errors.carry("product_tab_id", unread):
        tab = None
    elif isinstance(tab, str):
        tab = parse_ulid(tab)
        if tab is None:
            errors.add("product_tab_id", IS_INVALID)
    source: ProductSource | UnsetType | None = UNSET
    if creating and not errors.carry("source", unread):
        if fields.source is None:
            source = ProductSource.MANUAL
        elif isinstance(fields.source, ProductSource) and fields.source in CREATE_SOURCES:
            source = fields.source
        elif not isinstance(fields.source, UnsetType):
            errors.add("source", IS_INVALID)
    return SellerFields(
        title=texts["title"],
        brand=texts["brand"],
        category=texts["category"],
        condition=texts["condition"],
        color=texts["color"],
        size=texts["size"],
        material=texts["material"],
        sku=texts["sku"],
        notes=texts["notes"],
        price=price,
        cost=cost,
        tags=tags,
        product_tab_id=tab,
        source=source,
    )


def _or(value: T | UnsetType, default: T) -> T:
    return default if isinstance(value, UnsetType) else value


def new_product(
    *, id: str, user_id: str, status: ProductStatus, fields: SellerFields, now: datetime
) -> Product:
    """A new product row from checked seller fields (absent ones take their defaults)."""
    return Product(
        id=id,
        user_id=user_id,
        status=status,
        source=_or(fields.source, None) or ProductSource.MANUAL,
        title=_or(fields.title, None),
        brand=_or(fields.brand, None),
        category=_or(fields.category, None),
        condition=_or(fields.condition, None),
        color=_or(fields.color, None),
        size=_or(fields.size, None),
        material=_or(fields.material, None),
        price=_or(fields.price, None),
        cost=_or(fields.cost, None),
        sku=_or(fields.sku, None),
        tags=_or(fields.tags, ()),
        notes=_or(fields.notes, None),
        product_tab_id=_or(fields.product_tab_id, None),
        created_at=now,
        updated_at=now,
    )

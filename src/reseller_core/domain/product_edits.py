"""Rules of a seller's product edit (spec 20 §2.1, §2.3, §3.4; decision Q-P6).

Pure functions over the product, its images and listings: the use case reads the rows,
these decide the new rows and the field errors, the use case writes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from urllib.parse import urlsplit

import msgspec
from msgspec import UnsetType

from reseller_core.domain import state_machine
from reseller_core.domain.artifacts import ArtifactStatus, MarketplaceListing
from reseller_core.domain.images import ImageKind, ImageStatus, ProductImage
from reseller_core.domain.products import Product, ProductStatus, SellerFields
from reseller_core.domain.validation import IS_INVALID, Errors

URL_MAX = 2000
BAD_URL = "must be a valid http or https URL"
NEEDS_TITLE = "requires a product title before it can be published"
NEEDS_IMAGE = "requires at least one finalized original image"
EDITABLE = (
    "title", "brand", "category", "condition", "color", "size", "material", "sku", "notes",
    "price", "cost", "tags", "product_tab_id",
)  # fmt: skip


def apply_fields(product: Product, fields: SellerFields) -> Product:
    """The product with every present (not UNSET) seller field set."""
    changes = {
        name: getattr(fields, name)
        for name in EDITABLE
        if not isinstance(getattr(fields, name), UnsetType)
    }
    return msgspec.structs.replace(product, **changes) if changes else product


def apply_status(errors: Errors, product: Product, status: str, now: datetime) -> Product:
    """M1-M3; a system-only or unknown status is ``fields.status: ["is invalid"]``."""
    target = ProductStatus._value2member_map_.get(status)
    if not isinstance(target, ProductStatus) or target not in state_machine.MANUAL_TARGETS:
        errors.add("status", IS_INVALID)
        return product
    return state_machine.set_status(product, target, now)


def apply_publication(
    errors: Errors,
    *,
    product: Product,
    enabled: bool | UnsetType,
    images: Sequence[ProductImage],
    now: datetime,
) -> Product:
    """Spec 20 §2.3: stamp or clear ``storefront_published_at``; check the published result."""
    if enabled is True:
        product = msgspec.structs.replace(
            product,
            storefront_enabled=True,
            storefront_published_at=product.storefront_published_at or now,
        )
    elif enabled is False:
        product = msgspec.structs.replace(
            product, storefront_enabled=False, storefront_published_at=None
        )
    if product.storefront_enabled:
        if not (product.title or "").strip():
            errors.add("storefront_enabled", NEEDS_TITLE)
        if not any(
            image.kind == ImageKind.ORIGINAL
            and image.processing_status != ImageStatus.PENDING_UPLOAD
            for image in images
        ):
            errors.add("storefront_enabled", NEEDS_IMAGE)
    return product


def valid_url(value: str) -> bool:
    if len(value) > URL_MAX or any(ch.isspace() for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def apply_external_urls(
    errors: Errors,
    *,
    listings: Sequence[MarketplaceListing],
    urls: Mapping[str, object],
    supported: Sequence[str],
    new_id: Callable[[], str],
    now: datetime,
) -> list[MarketplaceListing] | None:
    """The listings after the URL changes, or None when nothing changed (Q-P6).

    A known marketplace without a listing gets a ``manual`` listing holding only the URL;
    an unknown id is an error under ``marketplace_external_urls.<id>``.
    """
    by_market = {listing.marketplace: listing for listing in listings}
    problems: dict[str, list[str]] = {}
    changed = False
    for market, raw in urls.items():
        if market not in supported:
            problems[market] = [IS_INVALID]
            continue
        url = raw.strip() if isinstance(raw, str) else raw
        if url is not None and not isinstance(url, str):
            problems[market] = [BAD_URL]
            continue
        if url and not valid_url(url):
            problems[market] = [BAD_URL]
            continue
        current = by_market.get(market)
        if not url:
            if current is not None and current.external_url is not None:
                by_market[market] = msgspec.structs.replace(
                    current, external_url=None, external_url_added_at=None, updated_at=now
                )
                changed = True
            continue
        if current is None:
            by_market[market] = MarketplaceListing(
                id=new_id(),
                marketplace=market,
                status=ArtifactStatus.MANUAL,
                external_url=url,
                external_url_added_at=now,
                created_at=now,
                updated_at=now,
            )
            changed = True
        elif current.external_url != url:
            by_market[market] = msgspec.structs.replace(
                current,
                external_url=url,
                external_url_added_at=current.external_url_added_at or now,
                updated_at=now,
            )
            changed = True
    if problems:
        errors.put("marketplace_external_urls", problems)
    return list(by_market.values()) if changed else None

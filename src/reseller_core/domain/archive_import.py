"""Reading one manifest product back into domain values (spec 50 §10.4), without I/O.

``read_manifest_product`` applies the normal product rules to an untrusted JSON object and
returns either the typed values to write or the failure reason of spec 50 §10.6. Images
are described by their archive path; the import job reads, sniffs and stores their bytes.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec

from reseller_core.domain.images import ImageKind, ImageStatus
from reseller_core.domain.products import ProductStatus, SellerFields, check_seller_fields
from reseller_core.domain.validation import Errors

IMPORT_STATUSES = {
    "draft": ProductStatus.DRAFT,
    "review": ProductStatus.REVIEW,
    "ready": ProductStatus.READY,
    "sold": ProductStatus.SOLD,
    "archived": ProductStatus.ARCHIVED,
    "uploading": ProductStatus.REVIEW,
    "processing": ProductStatus.REVIEW,
}
ARTIFACT_STATUSES = ("generated", "review", "failed")
CONTENT_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
}
EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp"}


class ImportFailureReason(Exception):
    """The product cannot be imported; ``str(error)`` is the reason of spec 50 §10.6."""


class ImageToImport(msgspec.Struct, frozen=True, kw_only=True):
    source_id: str | None
    path: str
    kind: ImageKind
    position: int
    content_type: str
    extension: str
    byte_size: int | None
    width: int | None
    height: int | None
    checksum: str | None
    background_style: str | None
    processing_status: ImageStatus
    original_filename: str
    scene_key: str | None
    variant_index: int | None
    source_image_ids: tuple[str, ...]
    seller_approved: bool
    approved_at: datetime | None


class ProductToImport(msgspec.Struct, frozen=True, kw_only=True):
    status: ProductStatus
    fields: SellerFields
    ai_summary: str | None
    ai_confidence: float | None
    images: tuple[ImageToImport, ...]
    description_draft: dict[str, Any] | None
    price_research: dict[str, Any] | None
    listings: tuple[dict[str, Any], ...]


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _money(value: object) -> Decimal | str | None:
    """A decimal from a string or number; the marker ``"invalid"`` when unreadable."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return "invalid"
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return "invalid"


def parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _render(errors: Mapping[str, Iterable[object]]) -> str:
    return "; ".join(
        f"{field}: {', '.join(str(message) for message in messages)}"
        for field, messages in errors.items()
    )


def _image(entry: object, errors: Errors, index: int) -> ImageToImport:
    if not isinstance(entry, dict):
        raise ImportFailureReason("Image path is missing from the archive payload")
    path = entry.get("path")
    if not isinstance(path, str) or not path:
        raise ImportFailureReason("Image path is missing from the archive payload")
    extension = posixpath.splitext(path)[1].lower()
    content_type = _str(entry.get("content_type")) or CONTENT_TYPES.get(extension, "image/jpeg")
    if content_type == "image/jpg":
        content_type = "image/jpeg"
    if not content_type.startswith("image/"):
        errors.add(f"images[{index}].content_type", "must be an image type")
    raw_kind = entry.get("kind") or "original"
    kind = ImageKind(raw_kind) if raw_kind in ImageKind._value2member_map_ else None
    if kind is None:
        errors.add(f"images[{index}].kind", "is invalid")
    position = entry.get("position", 1)
    if _int(position) is None or int(position) < 1:
        errors.add(f"images[{index}].position", "must be greater than 0")
        position = 1
    raw_ids = entry.get("source_image_ids")
    status = ImageStatus.FAILED if entry.get("processing_status") == "failed" else ImageStatus.READY
    return ImageToImport(
        source_id=_str(entry.get("id")),
        path=path,
        kind=kind or ImageKind.ORIGINAL,
        position=int(position),
        content_type=content_type,
        extension=extension if extension in CONTENT_TYPES else EXTENSIONS.get(content_type, ".bin"),
        byte_size=_int(entry.get("byte_size")),
        width=_int(entry.get("width")),
        height=_int(entry.get("height")),
        checksum=_str(entry.get("checksum")),
        background_style=_str(entry.get("background_style")),
        processing_status=status,
        original_filename=_str(entry.get("original_filename")) or posixpath.basename(path),
        scene_key=_str(entry.get("scene_key")),
        variant_index=_int(entry.get("variant_index")),
        source_image_ids=tuple(i for i in raw_ids if isinstance(i, str))
        if isinstance(raw_ids, list)
        else (),
        seller_approved=entry.get("seller_approved") is True,
        approved_at=parse_time(entry.get("approved_at")),
    )


def read_manifest_product(entry: object, supported_marketplaces: Iterable[str]) -> ProductToImport:
    """The typed product of a manifest entry; ``ImportFailureReason`` when it cannot be."""
    if not isinstance(entry, dict):
        raise ImportFailureReason("Product entry must be an object")
    errors = Errors()
    unread: dict[str, Any] = {}
    texts: dict[str, Any] = {}
    for name in (
        "title",
        "brand",
        "category",
        "condition",
        "color",
        "size",
        "material",
        "sku",
        "notes",
    ):
        value = entry.get(name)
        if value is not None and not isinstance(value, str):
            unread[name] = ["is invalid"]
        texts[name] = value if isinstance(value, str) else None
    money: dict[str, Any] = {}
    for name in ("price", "cost"):
        amount = _money(entry.get(name))
        if amount == "invalid":
            unread[name] = ["is invalid"]
            amount = None
        money[name] = amount
    raw_tags = entry.get("tags") or []
    if not isinstance(raw_tags, list) or not all(isinstance(t, str) for t in raw_tags):
        unread["tags"] = ["is invalid"]
        raw_tags = []
    fields = check_seller_fields(
        errors,
        SellerFields(**texts, **money, tags=tuple(raw_tags)),
        unread,
        creating=False,
    )
    summary = entry.get("ai_summary")
    confidence = entry.get("ai_confidence")
    if confidence is not None and (
        isinstance(confidence, bool)
        or not isinstance(confidence, (int, float))
        or not 0 <= confidence <= 1
    ):
        errors.add("ai_confidence", "must be between 0 and 1")
        confidence = None
    raw_images = entry.get("images") or []
    if not isinstance(raw_images, list):
        raw_images = []
    images = tuple(_image(image, errors, index) for index, image in enumerate(raw_images))
    slots = [(image.kind, image.position) for image in images]
    if len(set(slots)) != len(slots):
        errors.add("images", "kind and position must be unique per product")
    listings = _listings(entry.get("marketplace_listings"), errors, set(supported_marketplaces))
    if errors.fields:
        raise ImportFailureReason(_render(errors.fields))
    status = IMPORT_STATUSES.get(str(entry.get("status")), ProductStatus.DRAFT)
    draft = entry.get("description_draft")
    research = entry.get("price_research")
    return ProductToImport(
        status=status,
        fields=fields,
        ai_summary=summary if isinstance(summary, str) else None,
        ai_confidence=float(confidence) if confidence is not None else None,
        images=images,
        description_draft=draft if isinstance(draft, dict) else None,
        price_research=research if isinstance(research, dict) else None,
        listings=listings,
    )


def _listings(raw: object, errors: Errors, supported: set[str]) -> tuple[dict[str, Any], ...]:
    if not isinstance(raw, list):
        return ()
    seen: set[str] = set()
    kept: list[dict[str, Any]] = []
    for index, listing in enumerate(raw):
        field = f"marketplace_listings[{index}]"
        if not isinstance(listing, dict):
            errors.add(field, "must be an object")
            continue
        marketplace = listing.get("marketplace")
        if marketplace not in supported:
            errors.add(f"{field}.marketplace", "is not a supported marketplace")
            continue
        if marketplace in seen:
            errors.add(f"{field}.marketplace", "has already been taken")
            continue
        if not _str(listing.get("generated_title")) or not _str(
            listing.get("generated_description")
        ):
            errors.add(field, "generated_title and generated_description can't be blank")
            continue
        seen.add(str(marketplace))
        kept.append(listing)
    return tuple(kept)


def sniff_image(data: bytes) -> str | None:
    """The content type the bytes really are (JPEG, PNG or WebP), or None (spec 50 §10.4)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def artifact_status(value: object) -> str:
    return value if value in ARTIFACT_STATUSES else "generated"


def text_list(value: object) -> tuple[str, ...]:
    """``key_features``, ``seo_keywords``…: a list of strings, a single string wrapped."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(item for item in value if isinstance(item, str))
    return ()

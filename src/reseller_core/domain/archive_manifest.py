"""What an export archive holds (spec 50 §6): manifest entries, image names, sheet rows.

Pure functions from domain objects to JSON-ready values; the ZIP and XLSX encoding is an
adapter's job (``ports.archives.ArchiveWriter``).
"""

from __future__ import annotations

import posixpath
import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from reseller_core.domain.aggregate import ProductView
from reseller_core.domain.images import ImageStatus, ProductImage
from reseller_core.domain.transfers import Export

FORMAT_VERSION = 2
"""Decision Q12: the manifest says which format wrote it."""

EXPORT_COLUMNS = ("Export ID", "Name", "Archive Filename", "Requested At", "Product Count")
PRODUCT_COLUMNS = (
    "Product ID",
    "Title",
    "Status",
    "Brand",
    "Category",
    "Condition",
    "Color",
    "Size",
    "Material",
    "Price",
    "Cost",
    "SKU",
    "Source",
    "Tags",
    "Notes",
    "AI Summary",
    "AI Confidence",
    "Sold At",
    "Archived At",
    "Created At",
    "Updated At",
    "Image Names",
    "Image Paths",
    "Description Title",
    "Description Short",
    "Description Long",
    "Price Currency",
    "Price Target",
    "Price Rationale",
    "Marketplace Count",
)
"""Spec 50 §6.1, in order: the ``Products`` worksheet's header."""

SKIPPED_IMAGE_STATUSES = frozenset({ImageStatus.PENDING_UPLOAD, ImageStatus.FAILED})
"""Decision Q4: images never uploaded, or failed, are left out instead of failing the export."""

_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp"}


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def image_extension(image: ProductImage) -> str:
    ext = posixpath.splitext(image.storage_key)[1]
    if ext and "/" not in ext:
        return ext
    return _EXTENSIONS.get(image.content_type, ".bin")


def image_entry_name(image: ProductImage) -> str:
    """``images/<product>/<position>-<kind>[-<stem>]<ext>`` (spec 50 §6.3)."""
    stem = ""
    if image.original_filename:
        base = posixpath.splitext(image.original_filename)[0].lower()
        stem = re.sub(r"[^a-z0-9]+", "-", base).strip("-")
    name = f"{image.position}-{image.kind.value}" + (f"-{stem}" if stem else "")
    return f"images/{image.product_id}/{name}{image_extension(image)}"


def exported_images(view: ProductView) -> list[ProductImage]:
    return [image for image in view.images if image.processing_status not in SKIPPED_IMAGE_STATUSES]


def manifest_product(view: ProductView) -> dict[str, Any]:
    """One ``products[]`` entry of ``manifest.json``."""
    product = view.product
    draft, research = view.description_draft, view.price_research
    return {
        "id": product.id,
        "status": product.status.value,
        "source": product.source.value,
        "title": product.title,
        "brand": product.brand,
        "category": product.category,
        "condition": product.condition,
        "color": product.color,
        "size": product.size,
        "material": product.material,
        "price": money(product.price),
        "cost": money(product.cost),
        "sku": product.sku,
        "tags": list(product.tags),
        "notes": product.notes,
        "ai_summary": product.ai_summary,
        "ai_confidence": product.ai_confidence,
        "sold_at": iso(product.sold_at),
        "archived_at": iso(product.archived_at),
        "inserted_at": iso(product.created_at),
        "updated_at": iso(product.updated_at),
        "description_draft": None
        if draft is None
        else {
            "status": draft.status.value,
            "provider": draft.provider,
            "model": draft.model,
            "suggested_title": draft.suggested_title,
            "short_description": draft.short_description,
            "long_description": draft.long_description,
            "key_features": list(draft.key_features),
            "seo_keywords": list(draft.seo_keywords),
            "missing_details_warning": draft.missing_details_warning,
            "raw_payload": {},
        },
        "price_research": None
        if research is None
        else {
            "status": research.status.value,
            "provider": research.provider,
            "model": research.model,
            "currency": research.currency,
            "suggested_min_price": money(research.suggested_min_price),
            "suggested_target_price": money(research.suggested_target_price),
            "suggested_max_price": money(research.suggested_max_price),
            "suggested_median_price": money(research.suggested_median_price),
            "pricing_confidence": research.pricing_confidence,
            "rationale_summary": research.rationale_summary,
            "market_signals": list(research.market_signals),
            "comparable_results": {"items": list(research.comparable_results)},
            "raw_payload": {},
        },
        "marketplace_listings": [
            {
                "marketplace": listing.marketplace,
                "status": listing.status.value,
                "generated_title": listing.generated_title,
                "generated_description": listing.generated_description,
                "generated_tags": list(listing.generated_tags),
                "generated_price_suggestion": money(listing.generated_price_suggestion),
                "generation_version": listing.generation_version,
                "compliance_warnings": list(listing.compliance_warnings),
                "raw_payload": {},
                "last_generated_at": iso(listing.last_generated_at),
            }
            for listing in view.marketplace_listings
        ],
        "images": [manifest_image(image) for image in exported_images(view)],
    }


def manifest_image(image: ProductImage) -> dict[str, Any]:
    path = image_entry_name(image)
    return {
        "id": image.id,
        "kind": image.kind.value,
        "position": image.position,
        "filename": posixpath.basename(path),
        "path": path,
        "storage_key": image.storage_key,
        "content_type": image.content_type,
        "width": image.width,
        "height": image.height,
        "byte_size": image.byte_size,
        "checksum": image.checksum,
        "background_style": image.background_style,
        "processing_status": image.processing_status.value,
        "original_filename": image.original_filename,
        "scene_key": image.scene_key,
        "variant_index": image.variant_index,
        "source_image_ids": list(image.source_image_ids),
        "seller_approved": image.seller_approved,
        "approved_at": iso(image.approved_at),
    }


def manifest_export(export: Export, product_count: int) -> dict[str, Any]:
    return {
        "id": export.id,
        "name": export.name,
        "file_name": export.file_name,
        "requested_at": iso(export.requested_at),
        "filter_params": dict(export.filter_params),
        "product_count": product_count,
        "format_version": FORMAT_VERSION,
    }


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def sheet_row(entry: dict[str, Any]) -> tuple[list[str], int]:
    """The ``Products`` row of a manifest entry: 29 text cells and the marketplace count."""
    draft = entry.get("description_draft") or {}
    research = entry.get("price_research") or {}
    images = entry.get("images") or []
    cells = [
        entry["id"],
        entry["title"],
        entry["status"],
        entry["brand"],
        entry["category"],
        entry["condition"],
        entry["color"],
        entry["size"],
        entry["material"],
        entry["price"],
        entry["cost"],
        entry["sku"],
        entry["source"],
        ", ".join(entry["tags"]),
        entry["notes"],
        entry["ai_summary"],
        entry["ai_confidence"],
        entry["sold_at"],
        entry["archived_at"],
        entry["inserted_at"],
        entry["updated_at"],
        ", ".join(image["filename"] for image in images),
        ", ".join(image["path"] for image in images),
        draft.get("suggested_title"),
        draft.get("short_description"),
        draft.get("long_description"),
        research.get("currency"),
        research.get("suggested_target_price"),
        research.get("rationale_summary"),
    ]
    return [_cell(value) for value in cells], len(entry["marketplace_listings"])

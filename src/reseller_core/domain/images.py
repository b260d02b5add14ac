"""Product images: kinds, processing statuses and the image entity (spec 30 §2)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

import msgspec


class ImageKind(StrEnum):
    ORIGINAL = "original"
    BACKGROUND_REMOVED = "background_removed"
    LIFESTYLE_GENERATED = "lifestyle_generated"
    NORMALIZED = "normalized"
    WHITE_BACKGROUND = "white_background"
    OBJECT_CROP = "object_crop"
    THUMBNAIL = "thumbnail"
    BACKGROUND_REPLACED = "background_replaced"


class ImageStatus(StrEnum):
    PENDING_UPLOAD = "pending_upload"
    UPLOADED = "uploaded"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


class ProductImage(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    product_id: str
    kind: ImageKind
    position: int
    storage_key: str
    content_type: str
    width: int | None = None
    height: int | None = None
    byte_size: int | None = None
    checksum: str | None = None
    background_style: str | None = None
    processing_status: ImageStatus
    original_filename: str | None = None
    lifestyle_generation_run_id: str | None = None
    scene_key: str | None = None
    variant_index: int | None = None
    source_image_ids: tuple[str, ...] = ()
    seller_approved: bool = False
    approved_at: datetime | None = None
    storefront_visible: bool = False
    storefront_position: int | None = None
    created_at: datetime
    updated_at: datetime


def sort_images(images: list[ProductImage]) -> list[ProductImage]:
    """Images in payload order: position, then creation order (the ULID breaks ties)."""
    return sorted(images, key=lambda image: (image.position, image.id))


def originals(images: list[ProductImage]) -> list[ProductImage]:
    return [image for image in images if image.kind == ImageKind.ORIGINAL]


def variant_key(user_id: str, product_id: str, source_image_id: str) -> str:
    return (
        f"users/{user_id}/products/{product_id}/variants/{source_image_id}-background_removed.png"
    )


_SAME_PLACE_VARIANTS = (ImageKind.BACKGROUND_REMOVED, ImageKind.WHITE_BACKGROUND)


def deletion_cascade(image: ProductImage, images: Sequence[ProductImage]) -> list[ProductImage]:
    """What deleting ``image`` deletes (spec 30 §4.1): an original takes with it the
    background-removed and white-background variants at its position and every generated
    image made from it; any other image goes alone."""
    if image.kind != ImageKind.ORIGINAL:
        return [image]
    return [image] + [
        other
        for other in images
        if other.id != image.id
        and (
            (other.kind in _SAME_PLACE_VARIANTS and other.position == image.position)
            or (other.kind == ImageKind.LIFESTYLE_GENERATED and image.id in other.source_image_ids)
        )
    ]


_GALLERY_KINDS = ("original", "background_removed", "lifestyle_generated")
_NO_POSITION = 99_999


def public_gallery(images: tuple[ProductImage, ...] | list[ProductImage]) -> list[ProductImage]:
    """Spec 30 §4.4 / 40 §6.7: which images a buyer sees, in order; the first is the
    primary. Marketplace videos use the same selection for their slides."""
    candidates = [
        image
        for image in images
        if image.processing_status == "ready" and image.kind in _GALLERY_KINDS
    ]
    visible = [image for image in candidates if image.storefront_visible]
    if visible:
        return sorted(
            visible,
            key=lambda i: (
                i.storefront_position if i.storefront_position is not None else _NO_POSITION,
                i.position,
                i.id,
            ),
        )
    by_place = sorted(candidates, key=lambda i: (i.position, i.id))
    lifestyle = [i for i in by_place if i.kind == "lifestyle_generated" and i.seller_approved]
    removed = [i for i in by_place if i.kind == "background_removed"]
    if lifestyle or removed:
        return lifestyle + removed
    return [i for i in by_place if i.kind == "original"]

"""The product state machine as a transition table (spec 20 §4).

``allowed(action, status)`` answers "may this action run in this status"; ``apply`` computes
the resulting product for the status-changing actions. Preconditions that depend on images
or runs (spec 20 §4.4 "extra preconditions") are checked by the use cases.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import msgspec

from reseller_core.domain.products import Product, ProductStatus
from reseller_core.errors import InvalidProductState

S = ProductStatus
ALL = frozenset(S)
EDITABLE_IMAGES = frozenset({S.DRAFT, S.REVIEW, S.READY})


class Action(StrEnum):
    PREPARE_UPLOADS = "prepare_uploads"
    FINALIZE_UPLOADS = "finalize_uploads"
    REPROCESS = "reprocess"
    DELETE_IMAGE = "delete_image"
    GENERATE_LIFESTYLE = "generate_lifestyle_images"
    GENERATE_VIDEO = "generate_marketplace_video"
    EDIT_FIELDS = "edit_fields"
    SET_STATUS = "set_status"
    MARK_SOLD = "mark_sold"
    ARCHIVE = "archive"
    UNARCHIVE = "unarchive"
    RUN_FINISHED = "run_finished"


TRANSITIONS: dict[Action, frozenset[ProductStatus]] = {
    Action.PREPARE_UPLOADS: EDITABLE_IMAGES,
    Action.FINALIZE_UPLOADS: frozenset({S.DRAFT, S.UPLOADING, S.REVIEW, S.READY}),
    Action.REPROCESS: frozenset({S.DRAFT, S.REVIEW, S.READY, S.PROCESSING}),
    Action.DELETE_IMAGE: EDITABLE_IMAGES,
    Action.GENERATE_LIFESTYLE: frozenset({S.REVIEW, S.READY, S.SOLD, S.ARCHIVED}),
    Action.GENERATE_VIDEO: frozenset({S.REVIEW, S.READY, S.SOLD, S.ARCHIVED}),
    Action.EDIT_FIELDS: ALL,
    Action.SET_STATUS: ALL,
    Action.MARK_SOLD: ALL,
    Action.ARCHIVE: ALL,
    Action.UNARCHIVE: ALL,
    Action.RUN_FINISHED: frozenset({S.PROCESSING}),
}

DETAILS: dict[Action, str] = {
    Action.PREPARE_UPLOADS: "Images can be changed only while the product is in draft, review, or ready",
    Action.DELETE_IMAGE: "Images can be changed only while the product is in draft, review, or ready",
    Action.FINALIZE_UPLOADS: "Uploads cannot be finalized while the product is processing, sold, or archived",
    Action.REPROCESS: "Processing can be restarted only in draft, review, ready, or a stalled processing state",
    Action.GENERATE_LIFESTYLE: "Lifestyle generation is only available after image processing has finished",
    Action.GENERATE_VIDEO: "Video generation is only available after image processing has finished",
}

MANUAL_TARGETS = frozenset({S.DRAFT, S.REVIEW, S.READY, S.SOLD, S.ARCHIVED})


def allowed(action: Action, status: ProductStatus) -> bool:
    """May ``action`` run while the product is in ``status``?"""
    return status in TRANSITIONS[action]


def require(action: Action, status: ProductStatus) -> None:
    """Raise ``InvalidProductState`` when ``action`` may not run in ``status``."""
    if not allowed(action, status):
        raise InvalidProductState(DETAILS.get(action))


def _changed(product: Product, now: datetime, **changes: object) -> Product:
    return msgspec.structs.replace(product, updated_at=now, **changes)


def set_status(product: Product, target: ProductStatus, now: datetime) -> Product:
    """Manual transitions M1-M3 (PATCH status); the caller validated ``target``."""
    if target not in MANUAL_TARGETS:
        raise ValueError(f"{target} is not a manual target")
    if target == S.SOLD:
        return mark_sold(product, now)
    if target == S.ARCHIVED:
        return archive(product, now)
    return _changed(
        product, now, status=target, sold_at=None, archived_at=None, status_before_archive=None
    )


def mark_sold(product: Product, now: datetime) -> Product:
    """M2/M4: sold; keep an existing ``sold_at``; clear ``archived_at``."""
    return _changed(
        product,
        now,
        status=S.SOLD,
        sold_at=product.sold_at or now,
        archived_at=None,
        status_before_archive=None,
    )


def archive(product: Product, now: datetime) -> Product:
    """M3/M5: archived; keep ``archived_at`` when already archived; remember the status."""
    if product.status == S.ARCHIVED:
        return _changed(product, now, archived_at=product.archived_at or now)
    return _changed(
        product, now, status=S.ARCHIVED, archived_at=now, status_before_archive=product.status
    )


def unarchive(product: Product, now: datetime) -> Product:
    """M6/M7: back to the status held before archiving (Q-P4); no-op when not archived.

    The status restored is never a system-only one: ``uploading``/``processing`` come back as
    ``review`` (the pipeline that owned them is long gone), and a product archived before
    the archive-status was recorded falls back to ``sold`` when sold, else ``ready``.
    """
    if product.status != S.ARCHIVED:
        return product
    previous = product.status_before_archive
    if previous is None or previous == S.ARCHIVED:
        target = S.SOLD if product.sold_at else S.READY
    elif previous in (S.UPLOADING, S.PROCESSING):
        target = S.REVIEW
    else:
        target = previous
    return _changed(product, now, status=target, archived_at=None, status_before_archive=None)


def after_finalize(product: Product, pending_originals: int, now: datetime) -> Product:
    """A3/A4: ``uploading`` while any original is pending, else ``processing``."""
    require(Action.FINALIZE_UPLOADS, product.status)
    target = S.UPLOADING if pending_originals > 0 else S.PROCESSING
    return _changed(product, now, status=target)


def start_reprocess(product: Product, now: datetime) -> Product:
    """A5: back to ``processing`` for a new run."""
    require(Action.REPROCESS, product.status)
    return _changed(product, now, status=S.PROCESSING)


def finish_run(product: Product, *, needs_review: bool, failed: bool, now: datetime) -> Product:
    """A6-A8, compare-and-set: only a product still ``processing`` changes status."""
    if product.status != S.PROCESSING:
        return product
    target = S.REVIEW if (failed or needs_review) else S.READY
    return _changed(product, now, status=target)


def images_removed(product: Product, remaining_originals: int, now: datetime) -> Product:
    """A9: a product left with no original becomes ``draft``."""
    if remaining_originals == 0 and product.status in EDITABLE_IMAGES:
        return _changed(product, now, status=S.DRAFT)
    return product

"""Exports and imports (spec 50): the two job records, their statuses and naming rules.

Pure: times are passed in. The archive format itself lives in ``domain.archive_manifest``
(what goes in) and ``domain.archive_safety`` (what an uploaded archive may contain).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import msgspec

from reseller_core.domain.listing_query import ProductListQuery, parse_list_query


class ExportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    STALLED = "stalled"
    EXPIRED = "expired"


class ImportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


ACTIVE_EXPORT_STATUSES = frozenset({ExportStatus.QUEUED, ExportStatus.RUNNING})
ACTIVE_IMPORT_STATUSES = frozenset({ImportStatus.QUEUED, ImportStatus.RUNNING})
MAX_ACTIVE_JOBS_PER_USER = 2
"""Decision Q6: at most two active exports and two active imports per user."""

NAME_MAX = 160
FILE_STEM_MAX = 80
MESSAGE_MAX = 500


class Export(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    user_id: str
    name: str
    file_name: str
    filter_params: dict[str, str]
    product_count: int
    status: ExportStatus
    storage_key: str | None = None
    expires_at: datetime | None = None
    requested_at: datetime
    completed_at: datetime | None = None
    error_message: str | None = None
    error_code: str | None = None
    heartbeat_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class ImportFailure(msgspec.Struct, frozen=True, kw_only=True):
    """One product that could not be imported (spec 50 §10.6)."""

    index: int
    title: str | None
    sku: str | None
    reason: str


class Import(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    user_id: str
    status: ImportStatus
    source_filename: str
    source_storage_key: str
    requested_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    total_products: int = 0
    imported_products: int = 0
    failed_products: int = 0
    error_message: str | None = None
    error_code: str | None = None
    failures: tuple[ImportFailure, ...] = ()
    created_product_ids: tuple[str, ...] = ()
    next_index: int = 0
    """How many manifest products are done (imported or failed): a redelivered job resumes
    here, so no product is created twice. Advanced in each product's own transaction."""
    heartbeat_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


_FILTER_KEYS = ("status", "query", "product_tab_id", "updated_from", "updated_to", "sort", "dir")


def normalise_filters(raw: Mapping[str, Any]) -> dict[str, str]:
    """Spec 50 §3.2: bad values are dropped, defaults omitted; never a validation error."""
    strings = {key: value for key in _FILTER_KEYS if isinstance(value := raw.get(key), str)}
    query = parse_list_query(strings)
    normalised: dict[str, str] = {}
    if query.status != "all":
        normalised["status"] = query.status
    if query.query:
        normalised["query"] = query.query
    if query.product_tab_id:
        normalised["product_tab_id"] = query.product_tab_id
    if query.updated_from:
        normalised["updated_from"] = query.updated_from.isoformat()
    if query.updated_to:
        normalised["updated_to"] = query.updated_to.isoformat()
    if query.sort.value != "updated_at":
        normalised["sort"] = query.sort.value
    if query.dir != "desc":
        normalised["dir"] = query.dir
    return normalised


def export_query(
    filter_params: Mapping[str, str], *, page: int, page_size: int
) -> ProductListQuery:
    """The product-list query that re-runs an export's saved filters, one page of it."""
    return parse_list_query({**filter_params, "page": str(page), "page_size": str(page_size)})


def export_name(raw: object, now: datetime) -> str:
    """Spec 50 §3.3: a trimmed non-blank name (≤160), else ``Products export <time>``."""
    if isinstance(raw, str) and raw.strip():
        return raw.strip()[:NAME_MAX]
    return f"Products export {now:%Y-%m-%d %H:%M}"


def slugify(text: str) -> str:
    """ASCII slug (decision Q15): accents folded, runs of other characters become ``-``."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


def export_file_name(name: str, now: datetime) -> str:
    stem = slugify(name)[:FILE_STEM_MAX].strip("-") or "products-export"
    return f"{stem}-{now:%Y%m%d-%H%M%S}.zip"


def export_storage_key(user_id: str, export_id: str, file_name: str) -> str:
    return f"users/{user_id}/exports/{export_id}/{file_name}"


def import_storage_key(user_id: str, import_id: str) -> str:
    return f"users/{user_id}/imports/{import_id}/source.zip"


def clip_message(message: str | None, blank: str) -> str:
    """Error texts are at most 500 characters (497 + ``...``); blank ones get ``blank``."""
    text = (message or "").strip()
    if not text:
        return blank
    return text if len(text) <= MESSAGE_MAX else text[: MESSAGE_MAX - 3] + "..."


def stalled_message(status: ExportStatus, stale_after_s: int) -> str:
    minutes = max(stale_after_s // 60, 1)
    if status is ExportStatus.QUEUED:
        return (
            f"Export has been queued for more than {minutes} minutes without starting. "
            "It was marked as stalled."
        )
    return (
        f"Export has been running for more than {minutes} minutes without finishing. "
        "It was marked as stalled."
    )


def is_stale(export: Export, now: datetime, stale_after_s: int) -> bool:
    """Lazy stale detection (spec 50 §2.2): active, unfinished and quiet for the window."""
    last = max(export.updated_at, export.heartbeat_at or export.updated_at)
    return (
        export.status in ACTIVE_EXPORT_STATUSES
        and export.completed_at is None
        and now - last >= timedelta(seconds=stale_after_s)
    )


def import_is_stale(record: Import, now: datetime, stale_after_s: int) -> bool:
    """Decision Q10: the export stale rule applied to imports."""
    last = record.heartbeat_at or record.updated_at
    return record.status in ACTIVE_IMPORT_STATUSES and now - last >= timedelta(
        seconds=stale_after_s
    )


def import_stalled_message(status: ImportStatus, stale_after_s: int) -> str:
    minutes = max(stale_after_s // 60, 1)
    if status is ImportStatus.QUEUED:
        return (
            f"Import has been queued for more than {minutes} minutes without starting. "
            "It was marked as failed."
        )
    return (
        f"Import has been running for more than {minutes} minutes without progress. "
        "It was marked as failed."
    )


def is_expired(export: Export, now: datetime) -> bool:
    """Decision Q1: a completed export past ``expires_at`` reads as ``expired``."""
    return (
        export.status is ExportStatus.COMPLETED
        and export.expires_at is not None
        and now >= export.expires_at
    )

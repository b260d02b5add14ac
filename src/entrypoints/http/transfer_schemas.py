"""Response shapes of the export and import endpoints (spec 50 §2.1, §8.1)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from reseller_core.commands.transfers import RequestExport, RequestImport
from reseller_core.domain.transfers import ExportStatus, ImportStatus
from reseller_entrypoints.http.schemas import PaginationBody, Timestamp, Ulid


class ExportBody(msgspec.Struct, frozen=True, kw_only=True):
    id: Ulid
    name: str
    file_name: str
    filter_params: dict[str, str]
    product_count: int
    status: ExportStatus
    storage_key: str | None
    download_url: Annotated[
        str | None,
        msgspec.Meta(
            description="Computed on every read; valid 15 minutes. Re-read for a new one."
        ),
    ]
    expires_at: Timestamp | None
    requested_at: Timestamp
    completed_at: Timestamp | None
    error_message: str | None
    error_code: str | None
    inserted_at: Timestamp
    updated_at: Timestamp


class ExportData(msgspec.Struct, frozen=True, kw_only=True):
    export: ExportBody


class ExportResponse(msgspec.Struct, frozen=True, kw_only=True):
    data: ExportData


class ExportListData(msgspec.Struct, frozen=True, kw_only=True):
    exports: list[ExportBody]
    pagination: PaginationBody


class ExportListResponse(msgspec.Struct, frozen=True, kw_only=True):
    data: ExportListData


class ImportFailureBody(msgspec.Struct, frozen=True, kw_only=True):
    index: int
    title: str | None
    sku: str | None
    reason: str


class ImportFailureDetails(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    items: list[ImportFailureBody] | None = None


class ImportPayloadBody(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    created_product_ids: list[Ulid] | None = None


class ImportBody(msgspec.Struct, frozen=True, kw_only=True):
    id: Ulid
    status: ImportStatus
    source_filename: str
    source_storage_key: str
    requested_at: Timestamp
    started_at: Timestamp | None
    finished_at: Timestamp | None
    total_products: int
    imported_products: int
    failed_products: int
    error_message: str | None
    error_code: str | None
    failure_details: ImportFailureDetails
    payload: ImportPayloadBody
    inserted_at: Timestamp
    updated_at: Timestamp


class ImportData(msgspec.Struct, frozen=True, kw_only=True):
    import_: ImportBody = msgspec.field(name="import")


class ImportResponse(msgspec.Struct, frozen=True, kw_only=True):
    data: ImportData


class ImportListData(msgspec.Struct, frozen=True, kw_only=True):
    imports: list[ImportBody]
    pagination: PaginationBody


class ImportListResponse(msgspec.Struct, frozen=True, kw_only=True):
    data: ImportListData


class ExportRequestBody(msgspec.Struct, frozen=True, kw_only=True):
    """The ``POST /exports`` body (for the OpenAPI document; parsed leniently)."""

    export: RequestExport | None = None


class ImportRequestBody(msgspec.Struct, frozen=True, kw_only=True):
    """The ``POST /imports`` body (for the OpenAPI document; parsed leniently)."""

    import_: RequestImport = msgspec.field(name="import")

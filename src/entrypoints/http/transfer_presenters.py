"""Export and import records into their response Structs (spec 50 §2.1, §8.1)."""

from __future__ import annotations

from reseller_core.domain.transfers import Import, ImportStatus
from reseller_core.services.transfers.exports import ExportPage, ExportView
from reseller_core.services.transfers.imports import ImportPage
from reseller_entrypoints.http.presenters import iso, iso_or_none
from reseller_entrypoints.http.schemas import PaginationBody
from reseller_entrypoints.http.transfer_schemas import (
    ExportBody,
    ExportData,
    ExportListData,
    ExportListResponse,
    ExportResponse,
    ImportBody,
    ImportData,
    ImportFailureBody,
    ImportFailureDetails,
    ImportListData,
    ImportListResponse,
    ImportPayloadBody,
    ImportResponse,
)


def pagination(page: int, page_size: int, total_count: int) -> PaginationBody:
    return PaginationBody(
        page=page,
        page_size=page_size,
        total_count=total_count,
        total_pages=max(1, -(-total_count // page_size)),
    )


def export_body(view: ExportView) -> ExportBody:
    export = view.export
    return ExportBody(
        id=export.id,
        name=export.name,
        file_name=export.file_name,
        filter_params=dict(export.filter_params),
        product_count=export.product_count,
        status=export.status,
        storage_key=export.storage_key,
        download_url=view.download_url,
        expires_at=iso_or_none(export.expires_at),
        requested_at=iso(export.requested_at),
        completed_at=iso_or_none(export.completed_at),
        error_message=export.error_message,
        error_code=export.error_code,
        inserted_at=iso(export.created_at),
        updated_at=iso(export.updated_at),
    )


def export_response(view: ExportView) -> ExportResponse:
    return ExportResponse(data=ExportData(export=export_body(view)))


def export_list_response(page: ExportPage) -> ExportListResponse:
    return ExportListResponse(
        data=ExportListData(
            exports=[export_body(view) for view in page.exports],
            pagination=pagination(page.page, page.page_size, page.total_count),
        )
    )


def import_body(record: Import) -> ImportBody:
    """``failure_details`` and ``payload`` are ``{}`` until the import completes (§8.1)."""
    done = record.status is ImportStatus.COMPLETED
    return ImportBody(
        id=record.id,
        status=record.status,
        source_filename=record.source_filename,
        source_storage_key=record.source_storage_key,
        requested_at=iso(record.requested_at),
        started_at=iso_or_none(record.started_at),
        finished_at=iso_or_none(record.finished_at),
        total_products=record.total_products,
        imported_products=record.imported_products,
        failed_products=record.failed_products,
        error_message=record.error_message,
        error_code=record.error_code,
        failure_details=ImportFailureDetails(
            items=[
                ImportFailureBody(
                    index=failure.index, title=failure.title, sku=failure.sku, reason=failure.reason
                )
                for failure in record.failures
            ]
        )
        if done
        else ImportFailureDetails(),
        payload=ImportPayloadBody(created_product_ids=list(record.created_product_ids))
        if done
        else ImportPayloadBody(),
        inserted_at=iso(record.created_at),
        updated_at=iso(record.updated_at),
    )


def import_response(record: Import) -> ImportResponse:
    return ImportResponse(data=ImportData(import_=import_body(record)))


def import_list_response(page: ImportPage) -> ImportListResponse:
    return ImportListResponse(
        data=ImportListData(
            imports=[import_body(record) for record in page.imports],
            pagination=pagination(page.page, page.page_size, page.total_count),
        )
    )

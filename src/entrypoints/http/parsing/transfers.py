"""Lenient parsers of the export and import request bodies (spec 50 §3.1, §9.1)."""

from __future__ import annotations

from typing import Any

import msgspec

from reseller_core.commands.problems import InputProblems
from reseller_core.commands.transfers import ExportFilters, RequestExport, RequestImport
from reseller_core.errors import FieldErrors

_FILTER_FIELDS = ExportFilters.__struct_fields__


def parse_request_export(body: Any) -> tuple[RequestExport, InputProblems]:
    """Everything optional; a missing or non-object ``export`` exports everything."""
    if not isinstance(body, dict):
        return RequestExport(), InputProblems(invalid_request="Request body must be a JSON object")
    export = body.get("export")
    if not isinstance(export, dict):
        return RequestExport(), InputProblems()
    name = export.get("name")
    raw_filters = export.get("filters")
    filters = ExportFilters()
    if isinstance(raw_filters, dict):
        # Non-string values are dropped like any other invalid filter value.
        filters = msgspec.convert(
            {
                key: raw_filters[key]
                for key in _FILTER_FIELDS
                if isinstance(raw_filters.get(key), str)
            },
            ExportFilters,
        )
    return (
        RequestExport(name=name if isinstance(name, str) else None, filters=filters),
        InputProblems(),
    )


def parse_request_import(body: Any) -> tuple[RequestImport | None, InputProblems]:
    """A missing or non-object ``import`` is None: 422 ``import_failed`` (the use case says so)."""
    if not isinstance(body, dict):
        return None, InputProblems(invalid_request="Request body must be a JSON object")
    payload = body.get("import")
    if not isinstance(payload, dict):
        return None, InputProblems()
    fields: FieldErrors = {}
    filename = payload.get("filename")
    archive = payload.get("archive_base64")
    if filename is not None and not isinstance(filename, str):
        fields["filename"] = ["is invalid"]
    if archive is not None and not isinstance(archive, str):
        fields["archive_base64"] = ["must be valid base64"]
    return (
        RequestImport(
            filename=filename if isinstance(filename, str) else "",
            archive_base64=archive if isinstance(archive, str) else "",
        ),
        InputProblems(fields=fields),
    )

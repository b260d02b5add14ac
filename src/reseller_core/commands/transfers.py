"""Commands of the export and import use cases (spec 50 §3, §9)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta


class ExportFilters(msgspec.Struct, frozen=True, kw_only=True):
    status: Annotated[str | None, Meta(description="A product status, or `all`.")] = None
    query: Annotated[str | None, Meta(description="Full-text search, as the product list.")] = None
    product_tab_id: Annotated[str | None, Meta(description="A product tab (ULID).")] = None
    updated_from: Annotated[str | None, Meta(description="`YYYY-MM-DD`, inclusive.")] = None
    updated_to: Annotated[str | None, Meta(description="`YYYY-MM-DD`, inclusive.")] = None
    sort: Annotated[
        str | None, Meta(description="`title`, `status`, `price`, `updated_at`, `inserted_at`.")
    ] = None
    dir: Annotated[str | None, Meta(description="`asc` or `desc`.")] = None


class RequestExport(msgspec.Struct, frozen=True, kw_only=True):
    """``POST /exports``: everything optional; bad filter values are dropped, never an error."""

    name: Annotated[
        str | None, Meta(description="At most 160 characters; a dated default when blank.")
    ] = None
    filters: ExportFilters = msgspec.field(default_factory=ExportFilters)


class RequestImport(msgspec.Struct, frozen=True, kw_only=True):
    """``POST /imports``: a ZIP archive in the export format, base64-encoded."""

    filename: Annotated[str, Meta(description="Ends in `.zip`; at most 255 characters.")] = ""
    archive_base64: Annotated[
        str,
        Meta(description="The archive as standard base64 with padding, no whitespace."),
    ] = ""

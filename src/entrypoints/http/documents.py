"""The HTTP side of the product read model: the renderer and the responses.

- ``PayloadRenderer`` makes a product's stored document: the JSON bytes of its payload
  (spec 20 §2.2) exactly as the presenters build it and Litestar would encode it. Its
  fingerprint names the payload format, the payload's schema and the storage's public URL
  scheme, so a new field or a new ``public_base_url`` makes every stored document stale
  (rebuilt, never served).
- ``product_read_response`` and ``product_page_read_response`` answer ``GET /products/:id``
  and ``GET /products``: the service authenticates and reads in one statement, and nothing
  is written while the request is answered.
- The responses splice the stored bytes into the envelope without decoding them; products
  answered from the tables are presented and encoded as before. Rebuilding stale documents
  and stamping the token run as background tasks once the response is sent.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any, Final

import msgspec
from litestar import Request, Response
from litestar.background_tasks import BackgroundTask, BackgroundTasks
from litestar.datastructures import State

from reseller_core.domain.aggregate import ProductView
from reseller_core.domain.listing_query import ProductListQuery
from reseller_core.services.product_reads import (
    Entry,
    ProductDocumentPage,
    ProductReadService,
    ReadAuth,
)
from reseller_entrypoints.http.app_state import container_from
from reseller_entrypoints.http.presenters import PublicUrl, filters_body, product_body
from reseller_entrypoints.http.schemas import PaginationBody, ProductBody

PAYLOAD_FORMAT: Final = "product-payload/2"
"""Change it whenever what the payload holds changes without changing its schema (the
schema of ``ProductBody`` is part of the fingerprint): every stored document becomes stale."""
_PROBE_KEY: Final = "read-model/probe"
_JSON: Final = "application/json"
_encoder = msgspec.json.Encoder()


class PayloadRenderer:
    """``DocumentRenderer``: a product view → its payload's JSON bytes."""

    def __init__(self, public_url: PublicUrl) -> None:
        self._public_url = public_url
        schema = msgspec.json.encode(msgspec.json.schema(ProductBody), order="sorted")
        shaped_by = f"{PAYLOAD_FORMAT}|{public_url(_PROBE_KEY)}|{schema.decode()}"
        self.fingerprint = hashlib.sha256(shaped_by.encode()).hexdigest()[:32]

    def render(self, view: ProductView) -> bytes:
        return _encoder.encode(product_body(view, self._public_url))


def product_reads(state: State) -> ProductReadService:
    """The container's read service (one answering from the tables when none was built)."""
    container = container_from(state)
    reads = container.services.reads
    if reads is None:
        deps = container.deps
        reads = ProductReadService(
            uow=deps.uow,
            reader=deps.reader,
            lookup=deps.lookup,
            clock=deps.clock,
            read_model=None,
            products=container.services.products,
        )
        container.services = replace(container.services, reads=reads)
    return reads


def _entry_bytes(entry: Entry, public_url: PublicUrl) -> bytes:
    if isinstance(entry, bytes):
        return entry
    return _encoder.encode(product_body(entry, public_url))


def _after(
    reads: ProductReadService, auth: ReadAuth, stale: tuple[str, ...]
) -> BackgroundTasks | None:
    """What runs once the answer is out: stale documents rebuilt, the token stamped."""
    tasks = []
    if stale:
        tasks.append(BackgroundTask(reads.repair, stale))
    if auth.stamp_due:
        tasks.append(BackgroundTask(reads.stamp, auth.context))
    return BackgroundTasks(tasks) if tasks else None


async def product_read_response(
    request: Request[Any, Any, Any], state: State, product_id: str, public_url: PublicUrl
) -> Response[Any]:
    """``GET /products/:id``: ``{"data":{"product":<document>}}``, the caller and its
    product read in one lookup, the stored bytes sent as they are."""
    reads = product_reads(state)
    auth, found = await reads.product(request.headers.get("authorization"), product_id)
    body = b'{"data":{"product":' + _entry_bytes(found.entry, public_url) + b"}}"
    return Response(body, media_type=_JSON, background=_after(reads, auth, found.stale))


async def product_page_read_response(
    request: Request[Any, Any, Any], state: State, query: ProductListQuery, public_url: PublicUrl
) -> Response[Any]:
    """``GET /products``: the caller and its page read in one lookup (see ``product_page``)."""
    reads = product_reads(state)
    auth, page = await reads.product_page(request.headers.get("authorization"), query)
    return _page_response(reads, auth, page, public_url)


def _page_response(
    reads: ProductReadService, auth: ReadAuth, page: ProductDocumentPage, public_url: PublicUrl
) -> Response[Any]:
    """The list envelope around the page's documents, joined without decoding them."""
    pagination = PaginationBody(
        page=page.page,
        page_size=page.page_size,
        total_count=page.total_count,
        total_pages=page.total_pages,
    )
    body = b"".join(
        (
            b'{"data":{"products":[',
            b",".join(_entry_bytes(entry, public_url) for entry in page.entries),
            b'],"pagination":',
            _encoder.encode(pagination),
            b',"filters":',
            _encoder.encode(filters_body(page.query)),
            b"}}",
        )
    )
    return Response(body, media_type=_JSON, background=_after(reads, auth, page.stale))

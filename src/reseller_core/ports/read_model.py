"""The product read model: each product's public payload kept as one stored JSON document.

Product reads are the hot path (a seller's app polls its products, a storefront lists them),
and building the payload from the tables costs several statements, hundreds of decoded
values and an encode per product. The read model keeps each product's payload (spec 20
§2.2) as JSON bytes, written by the persistence adapter in the same transaction as every
change that alters it, so a read is one lookup and the bytes go to the response as they are.

A document can still be missing or stale: the rows were written by something that bypassed
the adapter (a restore, a manual fix), or the rendering changed (a new ``public_base_url``
makes other URLs). The adapter reports those as ``None`` bodies, never serves them, and the
use case answers that product from the tables instead (``ProductService``), then has the
document rebuilt.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

import msgspec

from reseller_core.domain.aggregate import ProductView
from reseller_core.domain.listing_query import ProductListQuery
from reseller_core.domain.users import ApiToken, User
from reseller_core.ports.unit_of_work import UnitOfWork


class DocumentRenderer(Protocol):
    """Turns a product into its stored document (the JSON bytes of its public payload)."""

    @property
    def fingerprint(self) -> str:
        """Names everything besides the product that shapes the bytes (format, base URL).

        A stored document made under another fingerprint is stale.
        """
        ...

    def render(self, view: ProductView) -> bytes: ...


class StoredDocument(msgspec.Struct, frozen=True, kw_only=True):
    """One product's document as the read found it."""

    product_id: str
    body: bytes | None
    """The stored JSON; None when it is missing or stale (then build it from the tables)."""


class CallerDocument(msgspec.Struct, frozen=True, kw_only=True):
    """A bearer token's caller and the product document it asked for, read together."""

    token: ApiToken
    user: User
    document: StoredDocument | None
    """None for unknown and foreign ids alike."""


class DocumentPage(msgspec.Struct, frozen=True, kw_only=True):
    """A page of the product list as documents, in list order."""

    documents: tuple[StoredDocument, ...]
    page: int
    page_size: int
    total_count: int
    total_pages: int


class CallerPage(msgspec.Struct, frozen=True, kw_only=True):
    """A bearer token's caller and the page of its product list it asked for, read together."""

    token: ApiToken
    user: User
    page: DocumentPage


@runtime_checkable
class ProductReadModel(Protocol):
    """Reads and rebuilds documents inside a unit of work the caller opened.

    Reads take the caller's (reading) unit of work so a request authenticates and reads in
    one transaction; ``refresh`` takes a writing one and commits with it.
    """

    async def caller_document(
        self, uow: UnitOfWork, token_hash: str, now: datetime, product_id: str
    ) -> CallerDocument | None:
        """The live token with this hash, its user and that user's product's document.

        One statement: ``GET /products/:id`` authenticates and reads in a single lookup.
        None when no live (unrevoked, unexpired) token has this hash.
        """
        ...

    async def caller_page(
        self, uow: UnitOfWork, token_hash: str, now: datetime, query: ProductListQuery
    ) -> CallerPage | None:
        """The live token with this hash, its user and a page of that user's list.

        Filters, sorts and clamping as ``ProductRepository.list`` (past the last page, the
        last page). The token's statement and the page's (with its count), a third only
        past the last page; an adapter may keep pages and skip the page's statement while
        the seller's products are unchanged (never serving a page older than the
        products). None when no live token has this hash.
        """
        ...

    async def views(
        self, uow: UnitOfWork, product_ids: Sequence[str]
    ) -> builtins.list[ProductView]:
        """These products' views built from the tables (any order; unknown ids skipped)."""
        ...

    async def refresh(self, uow: UnitOfWork, product_ids: Sequence[str]) -> int:
        """Rebuild these products' documents from the tables in ``uow``'s transaction.

        Returns how many were written (ids of deleted products are skipped).
        """
        ...

    async def product_ids(
        self, uow: UnitOfWork, after: str | None, limit: int
    ) -> builtins.list[str]:
        """Every product id in id order, ``limit`` at a time (for a full rebuild)."""
        ...

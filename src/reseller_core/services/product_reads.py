"""Product reads from the read model: a request authenticates and reads in one lookup.

``GET /products/:id`` and ``GET /products`` are the API's hot path. Each is one lookup on
the read model, run in a lookup unit of work: the bearer token joined with its user and the
product's stored document (one statement), or the token's statement and the page of
documents with its total count (the adapter may serve a page it kept while the seller's
products are unchanged). Nothing is written while the request is answered:

- a document that is missing or stale comes back as ``None`` from the read model; that
  product is answered from the tables (its ``ProductView``, presented as before), and the
  caller hands the ids to ``repair`` once the answer is out, which rebuilds the documents
  in a writing unit of work;
- the token's ``last_used_at`` stamp (at most once a minute per token, as
  ``AccountService.authenticate`` does) is written by ``stamp``, also after the answer.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Final

import msgspec

from reseller_core.commands import GetProduct
from reseller_core.domain.aggregate import ProductView
from reseller_core.domain.ids import parse_ulid
from reseller_core.domain.listing_query import ProductListQuery
from reseller_core.domain.users import ApiToken, User
from reseller_core.errors import NotFound, Unauthorized
from reseller_core.ports.clock import Clock
from reseller_core.ports.read_model import ProductReadModel, StoredDocument
from reseller_core.ports.unit_of_work import UnitOfWorkFactory
from reseller_core.services._tokens import bearer_digest
from reseller_core.services.accounts import TOKEN_TOUCH_INTERVAL
from reseller_core.services.products import ProductService
from reseller_core.services.results import AuthContext

log = logging.getLogger(__name__)

PRODUCT_NOT_FOUND: Final = "Product not found"
REBUILD_BATCH: Final = 200
"""Products per transaction of a full rebuild."""

Entry = bytes | ProductView
"""A product as the read found it: its stored document, or its view built from the tables."""


class ReadAuth(msgspec.Struct, frozen=True, kw_only=True):
    """The caller, and whether its token's ``last_used_at`` is due for a stamp."""

    context: AuthContext
    stamp_due: bool


class ProductDocument(msgspec.Struct, frozen=True, kw_only=True):
    entry: Entry
    stale: tuple[str, ...]
    """Ids whose documents should be rebuilt (``repair``) once the answer is out."""


class ProductDocumentPage(msgspec.Struct, frozen=True, kw_only=True):
    entries: tuple[Entry, ...]
    page: int
    page_size: int
    total_count: int
    total_pages: int
    query: ProductListQuery
    stale: tuple[str, ...]


class ProductReadService:
    """The read path of products.

    Without a read model (a persistence adapter that keeps none, such as the in-memory
    fake) every read is ``ProductService.get``/``list``, exactly as before.
    """

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        reader: UnitOfWorkFactory,
        lookup: UnitOfWorkFactory,
        clock: Clock,
        read_model: ProductReadModel | None,
        products: ProductService,
    ) -> None:
        self._uow = uow
        self._reader = reader
        self._lookup = lookup
        self._clock = clock
        self._read_model = read_model
        self._products = products

    @property
    def keeps_documents(self) -> bool:
        """Whether reads come from stored documents (else from ``ProductService``)."""
        return self._read_model is not None

    async def _authenticated(self, authorization: str | None) -> ReadAuth:
        """The bearer token's caller, read in a unit of work of its own (no read model)."""
        digest = bearer_digest(authorization)
        now = self._clock.now()
        async with self._reader() as uow:
            found = await uow.tokens.authenticate(digest, now)
        if found is None:
            raise Unauthorized()
        return _read_auth(*found, now)

    async def product(
        self, authorization: str | None, product_id: str
    ) -> tuple[ReadAuth, ProductDocument]:
        """``GET /products/:id`` whole: the caller and its product, one statement when fresh.

        The token lookup and the document read are one statement on the read model, run in
        a ``lookup`` unit of work (no transaction around it). The tables are read, in a
        reading unit of work of their own, only for a document that is missing or stale.
        401 comes before 404. Without a read model the product comes from
        ``ProductService.get``.
        """
        canonical = parse_ulid(product_id)
        if self._read_model is None or canonical is None:
            auth = await self._authenticated(authorization)
            if canonical is None:
                raise NotFound(PRODUCT_NOT_FOUND)
            found = await self._products.get(auth.context.user, GetProduct(product_id=canonical))
            return auth, ProductDocument(entry=found, stale=())
        digest = bearer_digest(authorization)
        now = self._clock.now()
        async with self._lookup() as uow:
            caller = await self._read_model.caller_document(uow, digest, now, canonical)
        if caller is None:
            raise Unauthorized()
        auth = _read_auth(caller.token, caller.user, now)
        if caller.document is None:
            raise NotFound(PRODUCT_NOT_FOUND)
        if caller.document.body is not None:
            return auth, ProductDocument(entry=caller.document.body, stale=())
        async with self._reader() as uow:
            view = await uow.products.view(caller.user.id, canonical)
        if view is None:
            raise NotFound(PRODUCT_NOT_FOUND)
        return auth, ProductDocument(entry=view, stale=(canonical,))

    async def product_page(
        self, authorization: str | None, query: ProductListQuery
    ) -> tuple[ReadAuth, ProductDocumentPage]:
        """``GET /products`` whole: the caller and a page of its list, in one lookup.

        As ``product``: the token lookup and the page with its total count are one lookup
        on the read model, run in a ``lookup`` unit of work; the tables are read,
        in a reading unit of work of their own, only for documents that are missing or
        stale. Without a read model the page comes from ``ProductService.list``.
        """
        if self._read_model is None:
            auth = await self._authenticated(authorization)
            result = await self._products.list(auth.context.user, query)
            listed = result.page
            return auth, ProductDocumentPage(
                entries=listed.products,
                page=listed.page,
                page_size=listed.page_size,
                total_count=listed.total_count,
                total_pages=listed.total_pages,
                query=result.query,
                stale=(),
            )
        digest = bearer_digest(authorization)
        now = self._clock.now()
        async with self._lookup() as uow:
            caller = await self._read_model.caller_page(uow, digest, now, query)
        if caller is None:
            raise Unauthorized()
        found = caller.page
        stale = tuple(doc.product_id for doc in found.documents if doc.body is None)
        views: dict[str, ProductView] = {}
        if stale:
            async with self._reader() as uow:
                built = await self._read_model.views(uow, stale)
            views = {view.product.id: view for view in built}
        return _read_auth(caller.token, caller.user, now), ProductDocumentPage(
            entries=tuple(_entries(found.documents, views)),
            page=found.page,
            page_size=found.page_size,
            total_count=found.total_count,
            total_pages=found.total_pages,
            query=query,
            stale=stale,
        )

    async def repair(self, product_ids: Sequence[str]) -> None:
        """Rebuild these documents now; a failure is logged (the next read tries again)."""
        if self._read_model is None or not product_ids:
            return
        try:
            async with self._uow() as uow:
                await self._read_model.refresh(uow, product_ids)
                await uow.commit()
        except Exception:
            log.exception("rebuilding the documents of %d product(s) failed", len(product_ids))

    async def stamp(self, auth: AuthContext) -> None:
        """Write the token's ``last_used_at`` (after the answer); a failure is only logged."""
        try:
            async with self._uow() as uow:
                await uow.tokens.touch(auth.token.id, self._clock.now())
                await uow.commit()
        except Exception:
            log.warning("stamping a token's last use failed", exc_info=True)

    async def rebuild_all(self, batch: int = REBUILD_BATCH) -> int:
        """Rebuild every product's document (``reseller rebuild-read-models``); the count."""
        if self._read_model is None:
            raise RuntimeError("this persistence adapter keeps no product read model")
        written = 0
        after: str | None = None
        while True:
            async with self._uow() as uow:
                ids = await self._read_model.product_ids(uow, after, batch)
                if not ids:
                    return written
                written += await self._read_model.refresh(uow, ids)
                await uow.commit()
            after = ids[-1]


def _read_auth(token: ApiToken, user: User, now: datetime) -> ReadAuth:
    due = token.last_used_at is None or now - token.last_used_at >= TOKEN_TOUCH_INTERVAL
    return ReadAuth(context=AuthContext(user=user, token=token), stamp_due=due)


def _entries(
    documents: Iterable[StoredDocument], views: Mapping[str, ProductView]
) -> Iterable[Entry]:
    for doc in documents:
        if doc.body is not None:
            yield doc.body
        elif doc.product_id in views:
            yield views[doc.product_id]

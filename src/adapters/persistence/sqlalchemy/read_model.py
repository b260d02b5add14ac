"""The product read model on SQLAlchemy: stored documents, written with the rows they show.

Writers never call this module themselves. The unit of work hands out repositories that
note every product a write touches (``Tracked*Repository`` below); ``commit`` then asks
``SqlProductReadModel.refresh`` to rebuild those products' documents from the tables, in
the same transaction, before it commits. A crash between a write and its document is
impossible (they commit together), and a writer added later gets its documents by writing
through the same repositories.

``refresh`` is three statements whatever the number of products (their views, their
images, one upsert), four on PostgreSQL: there it first locks the product rows
(``SELECT ... FOR UPDATE``, in id order), so two transactions that change the same product
rebuild its document one after the other, the second from the rows the first committed.
Rows the transaction has already inserted or updated are held by it and not locked again
(so a stage that saved its output to the product row rebuilds in three). SQLite runs one
writer at a time anyway.

A document that fails to render is logged and deleted, never a failed write: its product is
then answered from the tables until a later write (or a read) builds it again.
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.expression import Select

from reseller_adapters.persistence.sqlalchemy import mappers as m
from reseller_adapters.persistence.sqlalchemy.list_page_cache import ListPageCache
from reseller_adapters.persistence.sqlalchemy.media_run_repositories import (
    SqlLifestyleRunRepository,
    SqlVideoRunRepository,
)
from reseller_adapters.persistence.sqlalchemy.repositories import (
    _AUTHENTICATE,
    _VIEW_SELECT,
    TOKEN_COLUMNS,
    SqlImageRepository,
    SqlProductRepository,
    SqlRunRepository,
    _total_count,
    _view_from_row,
    by_product_ids,
    images_of,
)
from reseller_adapters.persistence.sqlalchemy.tab_repositories import SqlTabRepository
from reseller_adapters.persistence.sqlalchemy.tables import (
    api_tokens,
    product_documents,
    product_images,
    product_list_versions,
    products,
)
from reseller_core.domain.aggregate import ProductView
from reseller_core.domain.artifacts import DescriptionDraft, MarketplaceListing, PriceResearch
from reseller_core.domain.images import ProductImage
from reseller_core.domain.listing_query import ProductListQuery, total_pages
from reseller_core.domain.products import Product, ProductStatus, ProductTab
from reseller_core.domain.runs import ProcessingRun
from reseller_core.domain.users import ApiToken, User
from reseller_core.domain.videos import ProductVideo
from reseller_core.ports.read_model import (
    CallerDocument,
    CallerPage,
    DocumentPage,
    DocumentRenderer,
    StoredDocument,
)
from reseller_core.ports.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from reseller_adapters.persistence.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork

log = logging.getLogger(__name__)

_FRESH = sa.and_(
    product_documents.c.product_version == products.c.version,
    product_documents.c.fingerprint == sa.bindparam("fingerprint"),
)
_BODY = sa.case((_FRESH, product_documents.c.body), else_=sa.null()).label("body")
"""The stored body when it is fresh, else NULL: staleness is decided in the same statement."""
_DOCUMENTS_FROM = products.outerjoin(
    product_documents, product_documents.c.product_id == products.c.id
)
_CALLER_PRODUCT = sa.and_(
    products.c.id == sa.bindparam("product_id"), products.c.user_id == api_tokens.c.user_id
)
_CALLER_DOCUMENT = _AUTHENTICATE.add_columns(products.c.id.label("product_id"), _BODY).outerjoin(
    _DOCUMENTS_FROM, _CALLER_PRODUCT
)
"""The token joined with its user (as ``_AUTHENTICATE``) and, when the caller owns it, the
product's row and fresh document: a row means the token is live, a NULL product id means
the product is unknown or foreign."""
_VIEWS_OF = _VIEW_SELECT.where(products.c.id.in_(sa.bindparam("product_ids", expanding=True)))
_VIEW_OF = _VIEW_SELECT.where(products.c.id == sa.bindparam("product_id"))
"""``_VIEWS_OF`` for one product: most commits change one, and an expanding ``IN`` list is
rendered anew at every execution."""
_LOCK_PRODUCTS = (
    sa.select(products.c.id)
    .where(products.c.id.in_(sa.bindparam("product_ids", expanding=True)))
    .order_by(products.c.id)
    .with_for_update()
)
_LOCK_PRODUCT = (
    sa.select(products.c.id).where(products.c.id == sa.bindparam("product_id")).with_for_update()
)
_DELETE_DOCUMENTS = sa.delete(product_documents).where(
    product_documents.c.product_id.in_(sa.bindparam("product_ids", expanding=True))
)
_IMAGE_PRODUCTS = sa.select(product_images.c.product_id).where(
    product_images.c.id.in_(sa.bindparam("image_ids", expanding=True))
)


def _upsert(insert: Callable[[sa.Table], Any]) -> Any:
    """The document upsert in ``insert``'s dialect (built once: its ``excluded`` alias
    copies the table's columns whenever it is built)."""
    statement = insert(product_documents)
    return statement.on_conflict_do_update(
        index_elements=[product_documents.c.product_id],
        set_={
            "product_version": statement.excluded.product_version,
            "fingerprint": statement.excluded.fingerprint,
            "body": statement.excluded.body,
        },
    )


_PG_UPSERT = _upsert(postgresql.insert)
_SQLITE_UPSERT = _upsert(sqlite.insert)


_AUTHENTICATE_LISTED = _AUTHENTICATE.add_columns(
    sa.func.coalesce(product_list_versions.c.version, 0)
).outerjoin(product_list_versions, product_list_versions.c.user_id == api_tokens.c.user_id)
"""``_AUTHENTICATE`` with the caller's product list version last (0 before any change):
the key a kept page is checked against (``list_page_cache``)."""

_CALLER_USER_ID = (
    sa.select(api_tokens.c.user_id)
    .where(api_tokens.c.token_hash == sa.bindparam("token_hash"))
    .scalar_subquery()
)
"""The token's user as an expression, so a page can be read in the statement that
authenticates (the token's liveness is checked by ``_AUTHENTICATE`` around it)."""


async def _paged(
    query: ProductListQuery,
    found: builtins.list[Any],
    mirrored: Callable[[], Awaitable[builtins.list[Any]]],
) -> DocumentPage:
    """The page from its (id, body, total count) rows.

    Past the last page (no rows, page > 1) ``mirrored()`` reads the last ``size`` rows in
    mirrored order and that page is answered, as ``ProductRepository.list`` does.
    """
    size = max(1, query.page_size)
    page = max(1, query.page)
    total = int(found[0][2]) if found else 0
    if not found and page > 1:
        tail = await mirrored()
        total = int(tail[0][2]) if tail else 0
        page = total_pages(total, size)
        found = tail[: total - (page - 1) * size][::-1]
    if not found:
        page = 1
    return DocumentPage(
        documents=tuple(StoredDocument(product_id=row[0], body=row[1]) for row in found),
        page=page,
        page_size=size,
        total_count=total,
        total_pages=total_pages(total, size),
    )


class _PageStatements(NamedTuple):
    forward: Select[Any]
    """The page in list order: ``page_limit`` rows from ``page_offset``."""
    mirrored: Select[Any]
    """The same list in mirrored order (for the last page)."""
    key: tuple[Any, ...]
    """The filters and order they read (with the page and size, a kept page's key)."""


_PAGE_STATEMENTS: dict[tuple[Any, ...], _PageStatements] = {}
_PAGE_STATEMENTS_KEPT = 256


def _page_statements(lister: SqlProductRepository, query: ProductListQuery) -> _PageStatements:
    """The page statements of this query's filters and order, built once and reused.

    A statement object that is executed again is compiled and keyed once (SQLAlchemy
    memoises both on the object); building the select, its filters and its count anew for
    every request cost more than reading the page. The caller's user comes from the token
    (``_CALLER_USER_ID``); the page's size and offset are parameters.
    """
    key = (
        lister._uow.dialect,
        query.status,
        query.product_tab_id,
        query.updated_since(),
        query.updated_before(),
        query.query,
        query.sort,
        query.dir,
    )
    found = _PAGE_STATEMENTS.get(key)
    if found is not None:
        return found
    conditions = lister._filters(_CALLER_USER_ID, query)

    def statement(reverse: bool) -> Select[Any]:
        return (
            sa.select(products.c.id, _BODY, _total_count(conditions))
            .select_from(_DOCUMENTS_FROM)
            .where(*conditions)
            .order_by(*lister._order_by(query, reverse=reverse))
            .limit(sa.bindparam("page_limit", type_=sa.Integer()))
            .offset(sa.bindparam("page_offset", type_=sa.Integer()))
        )

    built = _PageStatements(forward=statement(False), mirrored=statement(True), key=key)
    if len(_PAGE_STATEMENTS) >= _PAGE_STATEMENTS_KEPT:
        _PAGE_STATEMENTS.clear()
    _PAGE_STATEMENTS[key] = built
    return built


def _caller(row: Any) -> tuple[ApiToken, User]:
    """The token and user of a row that starts with ``_AUTHENTICATE``'s columns."""
    split = len(TOKEN_COLUMNS)
    return (
        m.from_values(ApiToken, m.TOKEN_FIELDS, row[:split]),
        m.from_values(User, m.USER_FIELDS, row[split : split + len(m.USER_FIELDS)]),
    )


def _sql(uow: object) -> SqlAlchemyUnitOfWork:
    """The SQLAlchemy unit of work behind the port (this read model only works with it)."""
    return cast("SqlAlchemyUnitOfWork", uow)


class SqlProductReadModel:
    """``ProductReadModel`` over the ``product_documents`` table.

    With ``page_cache_bytes`` above 0, pages of the product list are kept in memory under
    the seller's list version (``list_page_cache``) and served again while it is unchanged.
    """

    def __init__(self, renderer: DocumentRenderer, *, page_cache_bytes: int = 0) -> None:
        self._renderer = renderer
        self.page_cache = ListPageCache(page_cache_bytes) if page_cache_bytes > 0 else None

    @property
    def fingerprint(self) -> str:
        return self._renderer.fingerprint

    async def caller_document(
        self, uow: UnitOfWork, token_hash: str, now: datetime, product_id: str
    ) -> CallerDocument | None:
        params = {
            "token_hash": token_hash,
            "now": now,
            "product_id": product_id,
            "fingerprint": self.fingerprint,
        }
        row = (await _sql(uow).execute(_CALLER_DOCUMENT, params)).first()
        if row is None:
            return None
        token, user = _caller(row)
        found_id, body = row[-2], row[-1]
        document = None if found_id is None else StoredDocument(product_id=found_id, body=body)
        return CallerDocument(token=token, user=user, document=document)

    async def caller_page(
        self, uow: UnitOfWork, token_hash: str, now: datetime, query: ProductListQuery
    ) -> CallerPage | None:
        sql = _sql(uow)
        statements = _page_statements(SqlProductRepository(sql), query)
        size = max(1, query.page_size)
        params = {
            "token_hash": token_hash,
            "now": now,
            "fingerprint": self.fingerprint,
            "page_limit": size,
            "page_offset": (max(1, query.page) - 1) * size,
        }

        async def mirrored() -> builtins.list[Any]:
            return list(await sql.execute(statements.mirrored, {**params, "page_offset": 0}))

        cache = self.page_cache
        if cache is None:
            # The token and the page in one call, one connection and one read transaction.
            caller_rows, page_rows = await sql.execute_together(
                [(_AUTHENTICATE, params), (statements.forward, params)]
            )
            caller = caller_rows.first()
            if caller is None:
                return None
            token, user = _caller(caller)
            page = await _paged(query, list(page_rows), mirrored)
            return CallerPage(token=token, user=user, page=page)
        # The token and the list version first: a page kept at that version is current.
        caller = (await sql.execute(_AUTHENTICATE_LISTED, params)).first()
        if caller is None:
            return None
        token, user = _caller(caller)
        version = int(caller[-1])
        key = (user.id, statements.key, max(1, query.page), size)
        kept = cache.get(key, version)
        if kept is not None:
            return CallerPage(token=token, user=user, page=kept)
        rows = list(await sql.execute(statements.forward, params))
        page = await _paged(query, rows, mirrored)
        if all(doc.body is not None for doc in page.documents):
            cache.put(key, version, page)
        return CallerPage(token=token, user=user, page=page)

    async def views(self, uow: UnitOfWork, product_ids: Sequence[str]) -> list[ProductView]:
        """The views of these products (any owner), in no particular order."""
        sql = _sql(uow)
        statement, params = by_product_ids(product_ids, _VIEW_OF, _VIEWS_OF)
        rows = list(await sql.execute(statement, params))
        grouped = await images_of(sql, product_ids) if rows else {}
        return [_view_from_row(row, grouped.get(row[0], ())) for row in rows]

    async def refresh(self, uow: UnitOfWork, product_ids: Sequence[str]) -> int:
        ids = sorted(set(product_ids))
        if not ids:
            return 0
        sql = _sql(uow)
        if sql.dialect == "postgresql":
            # Rows this transaction inserted or updated are held already (an UPDATE's row
            # lock excludes another writer's UPDATE and FOR UPDATE alike).
            unheld = [product_id for product_id in ids if product_id not in sql.rows_held]
            if unheld:
                await sql.execute(*by_product_ids(unheld, _LOCK_PRODUCT, _LOCK_PRODUCTS))
        written: list[dict[str, Any]] = []
        failed: list[str] = []
        for view in await self.views(sql, ids):
            try:
                body = self._renderer.render(view)
            except Exception:
                log.exception("the document of product %s could not be built", view.product.id)
                failed.append(view.product.id)
                continue
            written.append(
                {
                    "product_id": view.product.id,
                    "product_version": view.product.version,
                    "fingerprint": self.fingerprint,
                    "body": body,
                }
            )
        if failed:
            await sql.execute(_DELETE_DOCUMENTS, {"product_ids": failed})
        if written:
            upsert = _PG_UPSERT if sql.dialect == "postgresql" else _SQLITE_UPSERT
            await sql.execute(upsert, written)
        return len(written)

    async def product_ids(
        self, uow: UnitOfWork, after: str | None, limit: int
    ) -> builtins.list[str]:
        statement = sa.select(products.c.id).order_by(products.c.id).limit(limit)
        if after is not None:
            statement = statement.where(products.c.id > after)
        return list((await _sql(uow).execute(statement)).scalars())


# --- the repositories that note what each write touches ----------------------------------


class TrackedProductRepository(SqlProductRepository):
    """``SqlProductRepository`` that marks every product it writes as changed."""

    def _changed(self, product_ids: Iterable[str]) -> None:
        # Every caller has just inserted or updated these rows: this transaction holds them.
        ids = tuple(product_ids)
        uow = _sql(self._uow)
        uow.note_changed(ids)
        uow.note_rows_held(ids)

    async def add(self, product: Product) -> None:
        await super().add(product)
        self._changed((product.id,))

    async def update(self, product: Product, *, expected_version: int) -> Product:
        stored = await super().update(product, expected_version=expected_version)
        self._changed((product.id,))
        return stored

    async def set_status_if(
        self, product_id: str, expected: ProductStatus, target: ProductStatus, now: datetime
    ) -> bool:
        changed = await super().set_status_if(product_id, expected, target, now)
        if changed:
            self._changed((product_id,))
        return changed

    async def save_description_draft(self, product_id: str, draft: DescriptionDraft) -> None:
        await super().save_description_draft(product_id, draft)
        self._changed((product_id,))

    async def save_price_research(self, product_id: str, research: PriceResearch) -> None:
        await super().save_price_research(product_id, research)
        self._changed((product_id,))

    async def save_listings(self, product_id: str, listings: Sequence[MarketplaceListing]) -> None:
        await super().save_listings(product_id, listings)
        self._changed((product_id,))

    async def replace_video(self, product_id: str, video: ProductVideo) -> ProductVideo | None:
        replaced = await super().replace_video(product_id, video)
        self._changed((product_id,))
        return replaced

    async def remove_video(self, product_id: str, video_id: str) -> ProductVideo | None:
        removed = await super().remove_video(product_id, video_id)
        if removed is not None:
            self._changed((product_id,))
        return removed


class TrackedImageRepository(SqlImageRepository):
    """``SqlImageRepository`` that marks the products of the images it writes as changed."""

    async def add_many(self, images: Sequence[ProductImage]) -> None:
        await super().add_many(images)
        _sql(self._uow).note_changed(image.product_id for image in images)

    async def update_many(self, images: Sequence[ProductImage]) -> None:
        await super().update_many(images)
        _sql(self._uow).note_changed(image.product_id for image in images)

    async def delete_many(self, image_ids: Sequence[str]) -> None:
        if image_ids:
            owners = await self._execute(_IMAGE_PRODUCTS, {"image_ids": list(image_ids)})
            _sql(self._uow).note_changed(owners.scalars())
        await super().delete_many(image_ids)


class TrackedTabRepository(SqlTabRepository):
    """``SqlTabRepository`` that marks the products showing a changed tab as changed."""

    async def update(self, tab: ProductTab) -> None:
        await super().update(tab)
        _sql(self._uow).note_changed(await self.product_ids(tab.id))

    async def delete(self, user_id: str, tab_id: str) -> None:
        _sql(self._uow).note_changed(await self.product_ids(tab_id))
        await super().delete(user_id, tab_id)


class TrackedRunRepository(SqlRunRepository):
    """``SqlRunRepository`` that marks the product of each run it writes as changed.

    The heartbeat is left out: it is not part of the payload.
    """

    async def add(self, run: ProcessingRun) -> None:
        await super().add(run)
        _sql(self._uow).note_changed((run.product_id,))

    async def claim(
        self, run_id: str, now: datetime, stale_before: datetime
    ) -> ProcessingRun | None:
        run = await super().claim(run_id, now, stale_before)
        if run is not None:
            _sql(self._uow).note_changed((run.product_id,))
        return run

    async def update(self, run: ProcessingRun) -> None:
        await super().update(run)
        _sql(self._uow).note_changed((run.product_id,))

    async def update_claimed(self, run: ProcessingRun) -> bool:
        written = await super().update_claimed(run)
        if written:
            _sql(self._uow).note_changed((run.product_id,))
        return written


class TrackedLifestyleRunRepository(SqlLifestyleRunRepository):
    """``SqlLifestyleRunRepository`` that marks the product of each run it writes as changed
    (the payload shows the latest run). The heartbeat is left out: it is not shown."""

    def _written(self, product_id: str) -> None:
        _sql(self._uow).note_changed((product_id,))


class TrackedVideoRunRepository(SqlVideoRunRepository):
    """``SqlVideoRunRepository`` that marks the product of each run it writes as changed."""

    def _written(self, product_id: str) -> None:
        _sql(self._uow).note_changed((product_id,))

"""The repositories of the SQLAlchemy unit of work: Core statements, rows mapped to structs.

Every statement goes through the unit of work's ``execute`` (the ``StatementExecutor``
protocol: one connection, one transaction, errors translated). Reads never build ORM
objects: a Core ``select`` returns tuples that the mappers turn into the frozen domain
structs.

Round trips: ``view`` takes 2 statements (the product joined with its tab and latest run,
then its images); ``list`` takes 2, or 3 when the page asked for is past the last one.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Result, Row
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import Executable

from reseller_adapters.persistence.sqlalchemy import mappers as m
from reseller_adapters.persistence.sqlalchemy.column_types import UtcDateTime
from reseller_adapters.persistence.sqlalchemy.executor import StatementExecutor
from reseller_adapters.persistence.sqlalchemy.search import search_condition
from reseller_adapters.persistence.sqlalchemy.tables import (
    api_tokens,
    confirmation_tokens,
    lifestyle_generation_runs,
    processing_runs,
    product_images,
    product_tabs,
    products,
    provider_calls,
    usage_events,
    users,
    video_generation_runs,
)
from reseller_core.domain.aggregate import ProductPage, ProductView
from reseller_core.domain.artifacts import DescriptionDraft, MarketplaceListing, PriceResearch
from reseller_core.domain.images import ProductImage
from reseller_core.domain.listing_query import ProductListQuery, SortKey, total_pages
from reseller_core.domain.media_runs import LifestyleRun
from reseller_core.domain.products import Product, ProductStatus, ProductTab
from reseller_core.domain.runs import ACTIVE_RUN_STATUSES, ProcessingRun, RunStatus
from reseller_core.domain.videos import ProductVideo, VideoRun, sort_videos, with_video
from reseller_core.errors import Conflict


def _columns(table: sa.Table, fields: Sequence[str], prefix: str = "") -> list[sa.Label[Any]]:
    return [table.c[name].label(f"{prefix}{name}") for name in fields]


USER_COLUMNS = _columns(users, m.USER_FIELDS)
TOKEN_COLUMNS = _columns(api_tokens, m.TOKEN_FIELDS, "token_")
CONFIRMATION_COLUMNS = _columns(confirmation_tokens, m.CONFIRMATION_FIELDS)
TAB_COLUMNS = _columns(product_tabs, m.TAB_FIELDS, "tab_")
PRODUCT_COLUMNS = _columns(products, m.PRODUCT_FIELDS)
ARTIFACT_COLUMNS = [sa.cast(products.c[name], sa.Text()).label(name) for name in m.ARTIFACT_COLUMNS]
"""As JSON text (the cast also keeps asyncpg from decoding them), for typed decoding."""
IMAGE_COLUMNS = _columns(product_images, m.IMAGE_FIELDS)
RUN_COLUMNS = _columns(processing_runs, m.RUN_FIELDS, "run_")

# Offsets of each struct inside a row of ``_VIEW_COLUMNS``.
_P_END = len(PRODUCT_COLUMNS)
_A_END = _P_END + len(ARTIFACT_COLUMNS)
_T_END = _A_END + len(TAB_COLUMNS)
_R_END = _T_END + len(RUN_COLUMNS)
_LATEST_LIFESTYLE = lifestyle_generation_runs.alias("latest_lifestyle")
_LIFESTYLE_FIELDS: tuple[str, ...] = LifestyleRun.__struct_fields__
LIFESTYLE_COLUMNS = [
    _LATEST_LIFESTYLE.c[name].label(f"lifestyle_{name}") for name in _LIFESTYLE_FIELDS
]
_LATEST_LIFESTYLE_ID = (
    sa.select(lifestyle_generation_runs.c.id)
    .where(lifestyle_generation_runs.c.product_id == products.c.id)
    .order_by(lifestyle_generation_runs.c.created_at.desc(), lifestyle_generation_runs.c.id.desc())
    .limit(1)
    .correlate(products)
    .scalar_subquery()
)
"""The product's newest lifestyle run, joined in the same statement as the product."""
_LATEST_VIDEO = video_generation_runs.alias("latest_video")
_VIDEO_RUN_FIELDS: tuple[str, ...] = VideoRun.__struct_fields__
VIDEO_RUN_COLUMNS = [_LATEST_VIDEO.c[name].label(f"video_{name}") for name in _VIDEO_RUN_FIELDS]
_LATEST_VIDEO_ID = (
    sa.select(video_generation_runs.c.id)
    .where(video_generation_runs.c.product_id == products.c.id)
    .order_by(video_generation_runs.c.created_at.desc(), video_generation_runs.c.id.desc())
    .limit(1)
    .correlate(products)
    .scalar_subquery()
)
"""The product's newest video run, joined as the newest lifestyle run is."""
VIDEOS_COLUMN = sa.cast(products.c.videos, sa.Text()).label("videos")
_VIEW_COLUMNS = [
    *PRODUCT_COLUMNS, *ARTIFACT_COLUMNS, *TAB_COLUMNS, *RUN_COLUMNS, *LIFESTYLE_COLUMNS,
    *VIDEO_RUN_COLUMNS, VIDEOS_COLUMN,
]  # fmt: skip
_L_END = _R_END + len(LIFESTYLE_COLUMNS)
_V_END = _L_END + len(VIDEO_RUN_COLUMNS)
_VIEW_FROM = (
    products.outerjoin(product_tabs, product_tabs.c.id == products.c.product_tab_id)
    .outerjoin(processing_runs, processing_runs.c.id == products.c.latest_run_id)
    .outerjoin(_LATEST_LIFESTYLE, _LATEST_LIFESTYLE.c.id == _LATEST_LIFESTYLE_ID)
    .outerjoin(_LATEST_VIDEO, _LATEST_VIDEO.c.id == _LATEST_VIDEO_ID)
)
_VIDEOS_FOR_UPDATE = (
    sa.select(VIDEOS_COLUMN).where(products.c.id == sa.bindparam("product_id")).with_for_update()
)
_VIDEOS_JSON = msgspec.json.Decoder(list[ProductVideo])

# The hot statements, reads and writes, are built once, with bound parameters: building a
# statement of this many columns and computing its cache key costs more than running it on
# SQLite, and a prebuilt statement's cache key is memoised. An UPDATE or INSERT built once
# takes its SET or VALUES columns from the parameters of each execution.
_VIEW_SELECT = sa.select(*_VIEW_COLUMNS).select_from(_VIEW_FROM)
_VIEW_BY_ID = _VIEW_SELECT.where(
    products.c.id == sa.bindparam("product_id"), products.c.user_id == sa.bindparam("user_id")
)

_IMAGE_ORDER = (product_images.c.position, product_images.c.id)
_IMAGES_OF_ONE = (
    sa.select(*IMAGE_COLUMNS)
    .where(product_images.c.product_id == sa.bindparam("product_id"))
    .order_by(*_IMAGE_ORDER)
)
_IMAGES_OF_MANY = (
    sa.select(*IMAGE_COLUMNS)
    .where(product_images.c.product_id.in_(sa.bindparam("product_ids", expanding=True)))
    .order_by(*_IMAGE_ORDER)
)


def by_product_ids(
    product_ids: Sequence[str], one: Executable, many: Executable
) -> tuple[Executable, dict[str, Any]]:
    """``one`` (bound ``product_id``) for a single product, else ``many`` (an expanding
    ``product_ids`` list), with its parameters: an expanding ``IN`` list is rendered anew at
    every execution, and most statements name one product."""
    if len(product_ids) == 1:
        return one, {"product_id": product_ids[0]}
    return many, {"product_ids": list(product_ids)}


async def images_of(
    uow: StatementExecutor, product_ids: Sequence[str]
) -> dict[str, list[ProductImage]]:
    """Images of the products, by product, each list in payload order (position, then id)."""
    statement, params = by_product_ids(product_ids, _IMAGES_OF_ONE, _IMAGES_OF_MANY)
    grouped: dict[str, list[ProductImage]] = {}
    for row in await uow.execute(statement, params):
        image = m.from_values(ProductImage, m.IMAGE_FIELDS, row)
        grouped.setdefault(image.product_id, []).append(image)
    return grouped


_AUTHENTICATE = (
    sa.select(*TOKEN_COLUMNS, *USER_COLUMNS)
    .select_from(api_tokens.join(users, users.c.id == api_tokens.c.user_id))
    .where(
        api_tokens.c.token_hash == sa.bindparam("token_hash"),
        api_tokens.c.revoked.is_(False),
        api_tokens.c.expires_at > sa.bindparam("now"),
    )
)
_USER_BY_ID = sa.select(*USER_COLUMNS).where(users.c.id == sa.bindparam("user_id"))
LOCK_USER = sa.select(users.c.id).where(users.c.id == sa.bindparam("user_id")).with_for_update()
"""The user's write lock (``UserRepository.lock``): the row, locked until the transaction
ends (PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already serialises writers)."""


async def lock_user(uow: StatementExecutor, user_id: str) -> None:
    """Take the user's write lock (``LOCK_USER``) once per transaction: a finalize locks the
    user itself and again through its limit check, and the second would be a round trip
    for a lock the transaction holds."""
    if user_id in uow.users_locked:
        return
    await uow.execute(LOCK_USER, {"user_id": user_id})
    uow.users_locked.add(user_id)


_PRODUCT_BY_ID = sa.select(*PRODUCT_COLUMNS).where(products.c.id == sa.bindparam("product_id"))
_PRODUCT_OF_USER = _PRODUCT_BY_ID.where(products.c.user_id == sa.bindparam("user_id"))
_INSERT_PRODUCT = sa.insert(products)
_SET_PRODUCT = sa.update(products).where(products.c.id == sa.bindparam("target_id"))
"""Its ``SET`` columns come from the parameters, as ``_UPDATE_RUN``'s."""
_UPDATE_PRODUCT = (
    _SET_PRODUCT.where(products.c.version == sa.bindparam("expected_version"))
    .values(version=products.c.version + 1)
    .returning(*PRODUCT_COLUMNS)
)
"""An edit under optimistic locking: the other ``SET`` columns come from the parameters."""
_SET_STATUS_IF = _SET_PRODUCT.where(products.c.status == sa.bindparam("expected_status")).values(
    version=products.c.version + 1
)
_INSERT_IMAGES = sa.insert(product_images)
_UPDATE_IMAGE = sa.update(product_images).where(product_images.c.id == sa.bindparam("target_id"))
_INSERT_RUN = sa.insert(processing_runs)
_ARTIFACTS_BY_ID = sa.select(*ARTIFACT_COLUMNS).where(products.c.id == sa.bindparam("product_id"))
_RUN_BY_ID = sa.select(*RUN_COLUMNS).where(processing_runs.c.id == sa.bindparam("run_id"))
_UPDATE_RUN = sa.update(processing_runs).where(processing_runs.c.id == sa.bindparam("target_id"))
"""Its ``SET`` columns come from the parameters (every mutable field of the run)."""
_UPDATE_CLAIMED_RUN = _UPDATE_RUN.where(
    processing_runs.c.status == RunStatus.RUNNING.value,
    processing_runs.c.attempts == sa.bindparam("claimed_attempts"),
)
"""``_UPDATE_RUN`` only while the stored run is ``running`` under the writer's attempt."""
_STAMP_TOKEN = (
    sa.update(api_tokens)
    .where(api_tokens.c.id == sa.bindparam("token_id"))
    .values(last_used_at=sa.bindparam("used_at", type_=UtcDateTime()))
)


def _total_count(conditions: Sequence[ColumnElement[bool]]) -> sa.Label[Any]:
    """The number of matching products as an uncorrelated scalar subquery.

    Both engines evaluate it once per statement, from the ``user_id`` index, whereas a
    ``count(*) OVER ()`` window makes the engine join and buffer every matching row before
    the LIMIT applies.
    """
    counted = sa.select(sa.func.count()).select_from(products).where(*conditions)
    return counted.correlate(None).scalar_subquery().label("total_count")


class _Repository:
    def __init__(self, uow: StatementExecutor) -> None:
        self._uow = uow

    async def _execute(
        self, statement: Executable, params: Any = None, *, conflict: str | None = None
    ) -> Result[*tuple[Any, ...]]:
        return await self._uow.execute(statement, params, conflict=conflict)


def _rowcount(result: Result[*tuple[Any, ...]]) -> int:
    return int(getattr(result, "rowcount", 0))


def _lifestyle(values: Sequence[Any]) -> LifestyleRun | None:
    if values[0] is None:
        return None
    return msgspec.convert(dict(zip(_LIFESTYLE_FIELDS, values, strict=True)), LifestyleRun)


def _video_run(values: Sequence[Any]) -> VideoRun | None:
    if values[0] is None:
        return None
    return msgspec.convert(dict(zip(_VIDEO_RUN_FIELDS, values, strict=True)), VideoRun)


def _videos(text: str | None) -> tuple[ProductVideo, ...]:
    return sort_videos(_VIDEOS_JSON.decode(text)) if text else ()


def _view_from_row(row: Sequence[Any], images: Sequence[ProductImage]) -> ProductView:
    product = m.from_values(Product, m.PRODUCT_FIELDS, row[:_P_END])
    draft, research, listings = m.artifacts_from_values(row[_P_END:_A_END])
    tab_values = row[_A_END:_T_END]
    run_values = row[_T_END:_R_END]
    return ProductView(
        product=product,
        tab=m.from_values(ProductTab, m.TAB_FIELDS, tab_values) if tab_values[0] else None,
        images=tuple(images),
        description_draft=draft,
        price_research=research,
        marketplace_listings=tuple(listings),
        latest_lifestyle_run=_lifestyle(row[_R_END:_L_END]),
        latest_video_run=_video_run(row[_L_END:_V_END]),
        videos=_videos(row[_V_END]),
        latest_run=m.from_values(ProcessingRun, m.RUN_FIELDS, run_values)
        if run_values[0]
        else None,
    )


class SqlProductRepository(_Repository):
    _SKU_TAKEN = "SKU has already been taken"

    async def delete(self, product_id: str) -> None:
        """Owned rows go by their ``CASCADE`` keys; metering rows keep a null product."""
        for table in (usage_events, provider_calls):
            await self._execute(
                sa.update(table).where(table.c.product_id == product_id).values(product_id=None)
            )
        await self._execute(sa.delete(products).where(products.c.id == product_id))

    async def add(self, product: Product) -> None:
        await self._execute(_INSERT_PRODUCT, m.product_values(product), conflict=self._SKU_TAKEN)

    async def _one(self, *conditions: ColumnElement[bool]) -> Product | None:
        row = (await self._execute(sa.select(*PRODUCT_COLUMNS).where(*conditions))).first()
        return m.from_values(Product, m.PRODUCT_FIELDS, row) if row is not None else None

    async def get(self, user_id: str, product_id: str) -> Product | None:
        params = {"product_id": product_id, "user_id": user_id}
        row = (await self._execute(_PRODUCT_OF_USER, params)).first()
        return m.from_values(Product, m.PRODUCT_FIELDS, row) if row is not None else None

    async def find_by_sku(self, user_id: str, sku: str) -> Product | None:
        return await self._one(products.c.user_id == user_id, products.c.sku == sku)

    async def get_by_id(self, product_id: str) -> Product | None:
        row = (await self._execute(_PRODUCT_BY_ID, {"product_id": product_id})).first()
        return m.from_values(Product, m.PRODUCT_FIELDS, row) if row is not None else None

    async def update(self, product: Product, *, expected_version: int) -> Product:
        values = m.to_update_values(product, keep=("user_id", "version"))
        values["search_document"] = m.product_document(product)
        params = {"target_id": product.id, "expected_version": expected_version, **values}
        row = (await self._execute(_UPDATE_PRODUCT, params, conflict=self._SKU_TAKEN)).first()
        if row is None:
            raise Conflict()
        return m.from_values(Product, m.PRODUCT_FIELDS, row)

    async def set_status_if(
        self, product_id: str, expected: ProductStatus, target: ProductStatus, now: datetime
    ) -> bool:
        params = {
            "target_id": product_id,
            "expected_status": expected,
            "status": target,
            "updated_at": now,
        }
        return _rowcount(await self._execute(_SET_STATUS_IF, params)) == 1

    async def view(self, user_id: str, product_id: str) -> ProductView | None:
        params = {"product_id": product_id, "user_id": user_id}
        row = (await self._execute(_VIEW_BY_ID, params)).first()
        if row is None:
            return None
        images = await images_of(self._uow, [product_id])
        return _view_from_row(row, images.get(product_id, ()))

    def _filters(
        self, user_id: str | ColumnElement[str], query: ProductListQuery
    ) -> list[ColumnElement[bool]]:
        """The list's conditions; ``user_id`` may be an expression (the caller's token's)."""
        conditions: list[ColumnElement[bool]] = [products.c.user_id == user_id]
        if query.status != "all":
            conditions.append(products.c.status == query.status)
        if query.product_tab_id is not None:
            conditions.append(products.c.product_tab_id == query.product_tab_id)
        start, end = query.updated_since(), query.updated_before()
        if start is not None:
            conditions.append(products.c.updated_at >= start)
        if end is not None:
            conditions.append(products.c.updated_at < end)
        if query.search is not None:
            conditions.append(search_condition(query.search, self._uow.dialect))
        return conditions

    def _order_by(self, query: ProductListQuery, *, reverse: bool) -> list[ColumnElement[Any]]:
        """The spec 20 §3.1 order (``reverse`` gives its exact mirror image).

        Title and status compare by code point (``COLLATE "C"`` on PostgreSQL), as SQLite
        and the in-memory fake do, whatever the database's locale.
        """
        descending = (query.dir == "desc") != reverse

        def directed(expression: ColumnElement[Any]) -> ColumnElement[Any]:
            return expression.desc() if descending else expression.asc()

        if query.sort == SortKey.PRICE:
            is_null = sa.case((products.c.price.is_(None), 1), else_=0)
            # Nulls last in both directions: the null flag never follows ``dir``.
            null_order = is_null.desc() if reverse else is_null.asc()
            return [null_order, directed(products.c.price), directed(products.c.id)]
        key: ColumnElement[Any]
        if query.sort == SortKey.TITLE:
            key = self._code_point_order(sa.func.lower(sa.func.coalesce(products.c.title, "")))
        elif query.sort == SortKey.STATUS:
            key = self._code_point_order(products.c.status)
        elif query.sort == SortKey.INSERTED_AT:
            key = products.c.created_at
        else:
            key = products.c.updated_at
        return [directed(key), directed(products.c.id)]

    def _code_point_order(self, expression: ColumnElement[Any]) -> ColumnElement[Any]:
        if self._uow.dialect == "postgresql":
            return expression.collate("C")
        return expression

    async def _page(
        self,
        conditions: Sequence[ColumnElement[bool]],
        query: ProductListQuery,
        *,
        offset: int,
        limit: int,
        reverse: bool = False,
    ) -> builtins.list[Row[*tuple[Any, ...]]]:
        statement = (
            _VIEW_SELECT.add_columns(_total_count(conditions))
            .where(*conditions)
            .order_by(*self._order_by(query, reverse=reverse))
            .limit(limit)
            .offset(offset)
        )
        return list(await self._execute(statement))

    async def list(self, user_id: str, query: ProductListQuery) -> ProductPage:
        size = max(1, query.page_size)
        page = max(1, query.page)
        conditions = self._filters(user_id, query)
        rows = await self._page(conditions, query, offset=(page - 1) * size, limit=size)
        total = int(rows[0][-1]) if rows else 0
        if not rows and page > 1:
            # Past the last page: read the last ``size`` rows in mirrored order (with the
            # total), and keep those that make up the last page.
            tail = await self._page(conditions, query, offset=0, limit=size, reverse=True)
            total = int(tail[0][-1]) if tail else 0
            page = total_pages(total, size)
            rows = tail[: total - (page - 1) * size][::-1]
        if not rows:
            page = 1
        images = await images_of(self._uow, [row[0] for row in rows]) if rows else {}
        return ProductPage(
            products=tuple(_view_from_row(row, images.get(row[0], ())) for row in rows),
            page=page,
            page_size=size,
            total_count=total,
            total_pages=total_pages(total, size),
        )

    async def _set(self, product_id: str, **values: Any) -> None:
        await self._execute(_SET_PRODUCT, {"target_id": product_id, **values})

    async def save_description_draft(self, product_id: str, draft: DescriptionDraft) -> None:
        await self._set(product_id, description_draft=m.artifact_json(draft))

    async def save_price_research(self, product_id: str, research: PriceResearch) -> None:
        await self._set(product_id, price_research=m.artifact_json(research))

    async def save_listings(self, product_id: str, listings: Sequence[MarketplaceListing]) -> None:
        await self._set(product_id, marketplace_listings=m.artifact_json(list(listings)))

    async def _locked_videos(self, product_id: str) -> tuple[ProductVideo, ...]:
        """The product's videos, its row locked (PostgreSQL) until the transaction ends."""
        row = (await self._execute(_VIDEOS_FOR_UPDATE, {"product_id": product_id})).first()
        return _videos(row[0]) if row is not None else ()

    async def replace_video(self, product_id: str, video: ProductVideo) -> ProductVideo | None:
        current = await self._locked_videos(product_id)
        replaced = next((v for v in current if v.marketplace == video.marketplace), None)
        await self._set(product_id, videos=m.artifact_json(list(with_video(current, video))))
        return replaced

    async def remove_video(self, product_id: str, video_id: str) -> ProductVideo | None:
        current = await self._locked_videos(product_id)
        removed = next((v for v in current if v.id == video_id), None)
        if removed is not None:
            kept = [v for v in current if v.id != video_id]
            await self._set(product_id, videos=m.artifact_json(kept))
        return removed

    async def artifacts(
        self, product_id: str
    ) -> tuple[DescriptionDraft | None, PriceResearch | None, builtins.list[MarketplaceListing]]:
        row = (await self._execute(_ARTIFACTS_BY_ID, {"product_id": product_id})).first()
        if row is None:
            return None, None, []
        return m.artifacts_from_values(row)


class SqlImageRepository(_Repository):
    async def add_many(self, images: Sequence[ProductImage]) -> None:
        if images:
            await self._execute(_INSERT_IMAGES, [m.to_values(image) for image in images])

    async def for_product(self, product_id: str) -> list[ProductImage]:
        rows = await self._execute(_IMAGES_OF_ONE, {"product_id": product_id})
        return [m.from_values(ProductImage, m.IMAGE_FIELDS, row) for row in rows]

    async def update_many(self, images: Sequence[ProductImage]) -> None:
        if not images:
            return
        params = [
            {"target_id": image.id, **m.to_update_values(image, keep=("product_id",))}
            for image in images
        ]
        await self._execute(_UPDATE_IMAGE, params)

    async def delete_many(self, image_ids: Sequence[str]) -> None:
        if image_ids:
            await self._execute(
                sa.delete(product_images).where(product_images.c.id.in_(list(image_ids)))
            )


def _timestamp(value: datetime) -> ColumnElement[datetime]:
    """A bound timestamp typed ``UtcDateTime`` (SQL functions would otherwise bind it naive)."""
    return sa.literal(value, UtcDateTime())


_last_activity = sa.func.coalesce(processing_runs.c.heartbeat_at, processing_runs.c.updated_at)
"""When a run last showed life: its heartbeat, or its last update before the first one."""
_NOW = sa.bindparam("now", type_=UtcDateTime())
_CLAIM_RUN = (
    _UPDATE_RUN.where(
        sa.or_(
            processing_runs.c.status == RunStatus.QUEUED.value,
            sa.and_(
                processing_runs.c.status == RunStatus.RUNNING.value,
                _last_activity < sa.bindparam("stale_before", type_=UtcDateTime()),
            ),
        ),
    )
    .values(
        status=RunStatus.RUNNING.value,
        heartbeat_at=_NOW,
        started_at=sa.func.coalesce(processing_runs.c.started_at, _NOW),
        attempts=processing_runs.c.attempts + 1,
        updated_at=_NOW,
    )
    .returning(*RUN_COLUMNS)
)
_LATEST_RUN_OF = (
    sa.select(*RUN_COLUMNS)
    .select_from(processing_runs.join(products, products.c.latest_run_id == processing_runs.c.id))
    .where(products.c.id == sa.bindparam("product_id"))
)


class SqlRunRepository(_Repository):
    async def add(self, run: ProcessingRun) -> None:
        # The partial unique index admits one queued or running run per product.
        await self._execute(
            _INSERT_RUN, m.to_values(run), conflict="A processing run is already in progress"
        )
        await self._execute(_SET_PRODUCT, {"target_id": run.product_id, "latest_run_id": run.id})

    async def get(self, run_id: str) -> ProcessingRun | None:
        row = (await self._execute(_RUN_BY_ID, {"run_id": run_id})).first()
        return m.from_values(ProcessingRun, m.RUN_FIELDS, row) if row is not None else None

    async def latest_for_product(self, product_id: str) -> ProcessingRun | None:
        row = (await self._execute(_LATEST_RUN_OF, {"product_id": product_id})).first()
        return m.from_values(ProcessingRun, m.RUN_FIELDS, row) if row is not None else None

    async def claim(
        self, run_id: str, now: datetime, stale_before: datetime
    ) -> ProcessingRun | None:
        """One conditional UPDATE: of two concurrent claimers, exactly one matches a row."""
        params = {"target_id": run_id, "now": now, "stale_before": stale_before}
        row = (await self._execute(_CLAIM_RUN, params)).first()
        return m.from_values(ProcessingRun, m.RUN_FIELDS, row) if row is not None else None

    async def update(self, run: ProcessingRun) -> None:
        values = m.to_update_values(run, keep=("product_id", "user_id"))
        await self._execute(_UPDATE_RUN, {"target_id": run.id, **values})

    async def update_claimed(self, run: ProcessingRun) -> bool:
        values = m.to_update_values(run, keep=("product_id", "user_id"))
        params = {"target_id": run.id, "claimed_attempts": run.attempts, **values}
        return _rowcount(await self._execute(_UPDATE_CLAIMED_RUN, params)) == 1

    async def heartbeat(self, run_id: str, now: datetime) -> None:
        await self._execute(_UPDATE_RUN, {"target_id": run_id, "heartbeat_at": now})

    async def stale(self, stale_before: datetime, limit: int = 100) -> list[ProcessingRun]:
        statement = (
            sa.select(*RUN_COLUMNS)
            .where(
                processing_runs.c.status.in_([status.value for status in ACTIVE_RUN_STATUSES]),
                _last_activity < _timestamp(stale_before),
            )
            .order_by(_last_activity, processing_runs.c.id)
            .limit(limit)
        )
        rows = await self._execute(statement)
        return [m.from_values(ProcessingRun, m.RUN_FIELDS, row) for row in rows]

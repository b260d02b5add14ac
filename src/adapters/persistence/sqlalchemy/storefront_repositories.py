"""Storefronts, assets, pages and inquiries (spec 40 §2) on SQLAlchemy Core."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

import msgspec
import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from reseller_adapters.persistence.sqlalchemy.executor import StatementExecutor
from reseller_adapters.persistence.sqlalchemy.search import LIKE_ESCAPE, escape_like
from reseller_adapters.persistence.sqlalchemy.tables import (
    product_images,
    products,
    storefront_assets,
    storefront_inquiries,
    storefront_pages,
    storefronts,
)
from reseller_core.domain.storefronts import Inquiry, Storefront, StorefrontAsset, StorefrontPage
from reseller_core.ports.storefronts import InquiryQuery, PublicProductQuery

T = TypeVar("T", Storefront, StorefrontAsset, StorefrontPage, Inquiry)

SLUG_TAKEN = "Storefront slug has already been taken"
_PUBLIC_TEXT_COLUMNS = (
    products.c.title,
    products.c.brand,
    products.c.category,
    products.c.condition,
    products.c.color,
    products.c.size,
    products.c.material,
    products.c.ai_summary,
)


def _records(kind: type[T], rows: Iterable[Any]) -> builtins.list[T]:
    fields = kind.__struct_fields__
    return [msgspec.convert(dict(zip(fields, row, strict=True)), kind) for row in rows]


def _columns(table: sa.Table, kind: type[T]) -> builtins.list[sa.Column[Any]]:
    return [table.c[name] for name in kind.__struct_fields__]


def _contains(column: ColumnElement[Any], text: str) -> ColumnElement[bool]:
    pattern = "%" + escape_like(text.lower()) + "%"
    return sa.func.lower(sa.func.coalesce(column, "")).like(pattern, escape=LIKE_ESCAPE)


class SqlStorefrontRepository:
    def __init__(self, uow: StatementExecutor) -> None:
        self._uow = uow

    async def _storefront(self, condition: ColumnElement[bool]) -> Storefront | None:
        statement = sa.select(*_columns(storefronts, Storefront)).where(condition)
        found = _records(Storefront, await self._uow.execute(statement))
        return found[0] if found else None

    async def for_user(self, user_id: str) -> Storefront | None:
        return await self._storefront(storefronts.c.user_id == user_id)

    async def by_slug(self, slug: str) -> Storefront | None:
        return await self._storefront(storefronts.c.slug == slug)

    async def slug_taken(self, slug: str, except_id: str | None) -> bool:
        statement = sa.select(storefronts.c.id).where(storefronts.c.slug == slug)
        if except_id is not None:
            statement = statement.where(storefronts.c.id != except_id)
        return (await self._uow.execute(statement)).first() is not None

    async def add(self, storefront: Storefront) -> None:
        values = msgspec.structs.asdict(storefront)
        await self._uow.execute(sa.insert(storefronts).values(values), conflict=SLUG_TAKEN)

    async def update(self, storefront: Storefront) -> None:
        values = msgspec.structs.asdict(storefront)
        for name in ("id", "user_id", "inserted_at"):
            values.pop(name)
        statement = sa.update(storefronts).where(storefronts.c.id == storefront.id).values(values)
        await self._uow.execute(statement, conflict=SLUG_TAKEN)

    async def assets(self, storefront_id: str) -> builtins.list[StorefrontAsset]:
        statement = (
            sa.select(*_columns(storefront_assets, StorefrontAsset))
            .where(storefront_assets.c.storefront_id == storefront_id)
            .order_by(storefront_assets.c.kind, storefront_assets.c.id)
        )
        return _records(StorefrontAsset, await self._uow.execute(statement))

    async def save_asset(self, asset: StorefrontAsset) -> None:
        await self._uow.execute(
            sa.delete(storefront_assets).where(storefront_assets.c.id == asset.id)
        )
        await self._uow.execute(
            sa.insert(storefront_assets).values(msgspec.structs.asdict(asset)),
            conflict="Storefront asset was changed concurrently",
        )

    async def delete_asset(self, asset_id: str) -> None:
        await self._uow.execute(
            sa.delete(storefront_assets).where(storefront_assets.c.id == asset_id)
        )

    async def pages(self, storefront_id: str) -> builtins.list[StorefrontPage]:
        statement = (
            sa.select(*_columns(storefront_pages, StorefrontPage))
            .where(storefront_pages.c.storefront_id == storefront_id)
            .order_by(storefront_pages.c.position, storefront_pages.c.id)
        )
        return _records(StorefrontPage, await self._uow.execute(statement))

    async def add_page(self, page: StorefrontPage) -> None:
        await self._uow.execute(
            sa.insert(storefront_pages).values(msgspec.structs.asdict(page)),
            conflict="Storefront page slug has already been taken",
        )

    async def update_page(self, page: StorefrontPage) -> None:
        values = msgspec.structs.asdict(page)
        for name in ("id", "storefront_id", "inserted_at"):
            values.pop(name)
        await self._uow.execute(
            sa.update(storefront_pages).where(storefront_pages.c.id == page.id).values(values),
            conflict="Storefront page slug has already been taken",
        )

    async def delete_page(self, page_id: str) -> None:
        await self._uow.execute(sa.delete(storefront_pages).where(storefront_pages.c.id == page_id))

    async def set_positions(self, positions: Mapping[str, int]) -> None:
        for page_id, position in positions.items():
            await self._uow.execute(
                sa.update(storefront_pages)
                .where(storefront_pages.c.id == page_id)
                .values(position=position)
            )

    async def add_inquiry(self, inquiry: Inquiry) -> None:
        await self._uow.execute(
            sa.insert(storefront_inquiries).values(msgspec.structs.asdict(inquiry))
        )

    async def inquiries(
        self, storefront_id: str, query: InquiryQuery
    ) -> tuple[builtins.list[Inquiry], int]:
        conditions: list[ColumnElement[bool]] = [
            storefront_inquiries.c.storefront_id == storefront_id
        ]
        if query.text:
            conditions.append(
                sa.or_(
                    _contains(storefront_inquiries.c.full_name, query.text),
                    _contains(storefront_inquiries.c.contact, query.text),
                    _contains(storefront_inquiries.c.message, query.text),
                )
            )
        statement = (
            sa.select(*_columns(storefront_inquiries, Inquiry))
            .where(*conditions)
            .order_by(storefront_inquiries.c.inserted_at.desc(), storefront_inquiries.c.id.desc())
            .offset(query.offset)
            .limit(query.limit)
        )
        rows = _records(Inquiry, await self._uow.execute(statement))
        total = (
            await self._uow.execute(sa.select(sa.func.count()).where(*conditions))
        ).scalar_one()
        return rows, int(total)

    async def delete_inquiry(self, storefront_id: str, inquiry_id: str) -> bool:
        result = await self._uow.execute(
            sa.delete(storefront_inquiries)
            .where(
                storefront_inquiries.c.id == inquiry_id,
                storefront_inquiries.c.storefront_id == storefront_id,
            )
            .returning(storefront_inquiries.c.id)
        )
        return result.first() is not None

    async def public_products(self, query: PublicProductQuery) -> tuple[Sequence[str], int]:
        has_original = (
            sa.select(product_images.c.id)
            .where(
                product_images.c.product_id == products.c.id,
                product_images.c.kind == "original",
                product_images.c.processing_status != "pending_upload",
            )
            .exists()
        )
        conditions: list[ColumnElement[bool]] = [
            products.c.user_id == query.owner_id,
            products.c.storefront_enabled.is_(True),
            products.c.status == "ready",
            has_original,
        ]
        for term in query.terms:
            columns = [*_PUBLIC_TEXT_COLUMNS, sa.cast(products.c.tags, sa.Text())]
            conditions.append(sa.or_(*(_contains(column, term) for column in columns)))
        statement = (
            sa.select(products.c.id)
            .where(*conditions)
            .order_by(
                products.c.storefront_published_at.desc().nulls_last(),
                products.c.updated_at.desc(),
                products.c.id.desc(),
            )
            .offset(query.offset)
            .limit(query.limit)
        )
        ids = [row[0] for row in await self._uow.execute(statement)]
        total = (
            await self._uow.execute(
                sa.select(sa.func.count()).select_from(products).where(*conditions)
            )
        ).scalar_one()
        return ids, int(total)

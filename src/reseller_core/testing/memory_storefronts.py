"""In-memory storefront repository for ``MemoryUnitOfWork`` (spec 40 §2 records)."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec

from reseller_core.domain.storefronts import Inquiry, Storefront, StorefrontAsset, StorefrontPage
from reseller_core.errors import Conflict
from reseller_core.ports.storefronts import InquiryQuery, PublicProductQuery

_EPOCH = datetime.min.replace(tzinfo=UTC)


@dataclass(slots=True)
class StorefrontTables:
    storefronts: dict[str, Storefront] = field(default_factory=dict)
    assets: dict[str, StorefrontAsset] = field(default_factory=dict)
    pages: dict[str, StorefrontPage] = field(default_factory=dict)
    inquiries: dict[str, Inquiry] = field(default_factory=dict)

    def copy(self) -> StorefrontTables:
        return StorefrontTables(
            storefronts=dict(self.storefronts),
            assets=dict(self.assets),
            pages=dict(self.pages),
            inquiries=dict(self.inquiries),
        )


def _public_text(product: Any) -> str:
    values = [
        product.title, product.brand, product.category, product.condition, product.color,
        product.size, product.material, product.ai_summary, " ".join(product.tags),
    ]  # fmt: skip
    return "\n".join(value for value in values if value).lower()


class MemoryStorefrontRepository:
    def __init__(self, staged: Callable[[], Any]) -> None:
        self._staged = staged

    @property
    def _t(self) -> StorefrontTables:
        tables: StorefrontTables = self._staged().storefronts
        return tables

    async def for_user(self, user_id: str) -> Storefront | None:
        return next((s for s in self._t.storefronts.values() if s.user_id == user_id), None)

    async def by_slug(self, slug: str) -> Storefront | None:
        return next((s for s in self._t.storefronts.values() if s.slug == slug), None)

    async def slug_taken(self, slug: str, except_id: str | None) -> bool:
        found = await self.by_slug(slug)
        return found is not None and found.id != except_id

    async def add(self, storefront: Storefront) -> None:
        if await self.slug_taken(storefront.slug, None) or await self.for_user(storefront.user_id):
            raise Conflict("Storefront slug has already been taken")
        self._t.storefronts[storefront.id] = storefront

    async def update(self, storefront: Storefront) -> None:
        if await self.slug_taken(storefront.slug, storefront.id):
            raise Conflict("Storefront slug has already been taken")
        self._t.storefronts[storefront.id] = storefront

    async def assets(self, storefront_id: str) -> builtins.list[StorefrontAsset]:
        found = [a for a in self._t.assets.values() if a.storefront_id == storefront_id]
        return sorted(found, key=lambda a: (a.kind, a.id))

    async def save_asset(self, asset: StorefrontAsset) -> None:
        self._t.assets[asset.id] = asset

    async def delete_asset(self, asset_id: str) -> None:
        self._t.assets.pop(asset_id, None)

    async def pages(self, storefront_id: str) -> builtins.list[StorefrontPage]:
        found = [p for p in self._t.pages.values() if p.storefront_id == storefront_id]
        return sorted(found, key=lambda p: (p.position, p.id))

    def _slug_clash(self, page: StorefrontPage) -> bool:
        return any(
            other.storefront_id == page.storefront_id
            and other.slug == page.slug
            and other.id != page.id
            for other in self._t.pages.values()
        )

    async def add_page(self, page: StorefrontPage) -> None:
        if self._slug_clash(page):
            raise Conflict("Storefront page slug has already been taken")
        self._t.pages[page.id] = page

    async def update_page(self, page: StorefrontPage) -> None:
        await self.add_page(page)

    async def delete_page(self, page_id: str) -> None:
        self._t.pages.pop(page_id, None)

    async def set_positions(self, positions: Mapping[str, int]) -> None:
        for page_id, position in positions.items():
            page = self._t.pages[page_id]
            self._t.pages[page_id] = msgspec.structs.replace(page, position=position)

    async def add_inquiry(self, inquiry: Inquiry) -> None:
        self._t.inquiries[inquiry.id] = inquiry

    async def inquiries(
        self, storefront_id: str, query: InquiryQuery
    ) -> tuple[builtins.list[Inquiry], int]:
        needle = (query.text or "").lower()
        found = [
            i
            for i in self._t.inquiries.values()
            if i.storefront_id == storefront_id
            and (
                not needle
                or any(needle in value.lower() for value in (i.full_name, i.contact, i.message))
            )
        ]
        found.sort(key=lambda i: (i.inserted_at, i.id), reverse=True)
        return found[query.offset : query.offset + query.limit], len(found)

    async def delete_inquiry(self, storefront_id: str, inquiry_id: str) -> bool:
        found = self._t.inquiries.get(inquiry_id)
        if found is None or found.storefront_id != storefront_id:
            return False
        del self._t.inquiries[inquiry_id]
        return True

    async def public_products(self, query: PublicProductQuery) -> tuple[Sequence[str], int]:
        staged = self._staged()
        with_original = {
            image.product_id
            for image in staged.images.values()
            if image.kind == "original" and image.processing_status != "pending_upload"
        }
        public = []
        for row in staged.products.values():
            product = row.product
            if (
                product.user_id != query.owner_id
                or not product.storefront_enabled
                or product.status != "ready"
                or product.id not in with_original
            ):
                continue
            text = _public_text(product)
            if all(term.lower() in text for term in query.terms):
                public.append(product)
        public.sort(key=lambda p: p.id, reverse=True)
        public.sort(key=lambda p: p.updated_at, reverse=True)
        public.sort(key=lambda p: p.storefront_published_at or _EPOCH, reverse=True)
        ids = [p.id for p in public]
        return ids[query.offset : query.offset + query.limit], len(ids)

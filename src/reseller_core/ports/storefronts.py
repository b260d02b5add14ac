"""Persistence of storefronts, their assets, pages and inquiries (spec 40 §2).

One repository for the four tables: they live and die with one storefront, and every use
case touching one of them reads the storefront first.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Protocol

import msgspec

from reseller_core.domain.storefronts import (
    Inquiry,
    Storefront,
    StorefrontAsset,
    StorefrontPage,
)


class InquiryQuery(msgspec.Struct, frozen=True, kw_only=True):
    """``GET /inquiries``: a literal case-insensitive substring, and a window of rows."""

    text: str | None = None
    offset: int = 0
    limit: int = 20


class PublicProductQuery(msgspec.Struct, frozen=True, kw_only=True):
    """The public catalogue of one owner (spec 40 §6.3, §6.5).

    ``terms``: every term must occur (case-insensitively, literally) in one of the public
    fields: title, brand, category, condition, color, size, material, the AI summary, tags.
    Never ``sku`` or ``notes`` (decision 40-3).
    """

    owner_id: str
    terms: tuple[str, ...] = ()
    offset: int = 0
    limit: int = 48


class StorefrontRepository(Protocol):
    async def for_user(self, user_id: str) -> Storefront | None: ...

    async def by_slug(self, slug: str) -> Storefront | None:
        """Whatever its ``enabled`` flag; the caller decides what is public."""
        ...

    async def slug_taken(self, slug: str, except_id: str | None) -> bool: ...

    async def add(self, storefront: Storefront) -> None:
        """Insert; raises ``Conflict`` when the slug (or the user's storefront) exists."""
        ...

    async def update(self, storefront: Storefront) -> None:
        """Replace; raises ``Conflict`` when the new slug was taken meanwhile."""
        ...

    async def assets(self, storefront_id: str) -> builtins.list[StorefrontAsset]:
        """Ordered by kind, then id."""
        ...

    async def save_asset(self, asset: StorefrontAsset) -> None:
        """Insert, or replace the row with the same id."""
        ...

    async def delete_asset(self, asset_id: str) -> None: ...

    async def pages(self, storefront_id: str) -> builtins.list[StorefrontPage]:
        """Ordered by position, then id."""
        ...

    async def add_page(self, page: StorefrontPage) -> None: ...

    async def update_page(self, page: StorefrontPage) -> None: ...

    async def delete_page(self, page_id: str) -> None: ...

    async def set_positions(self, positions: Mapping[str, int]) -> None: ...

    async def add_inquiry(self, inquiry: Inquiry) -> None: ...

    async def inquiries(
        self, storefront_id: str, query: InquiryQuery
    ) -> tuple[builtins.list[Inquiry], int]:
        """Newest first (``inserted_at``, then id) and the total matching count."""
        ...

    async def delete_inquiry(self, storefront_id: str, inquiry_id: str) -> bool:
        """False when no inquiry of this storefront has the id."""
        ...

    async def public_products(self, query: PublicProductQuery) -> tuple[Sequence[str], int]:
        """Ids of the owner's public products in catalogue order, and their total count.

        Public: ``storefront_enabled``, status ``ready``, and an original image past
        ``pending_upload``. Order: ``storefront_published_at`` desc, ``updated_at`` desc, id desc.
        """
        ...

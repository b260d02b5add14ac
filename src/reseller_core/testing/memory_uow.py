"""An in-memory ``UnitOfWork``: the reference implementation of the persistence contract.

Each unit of work works on a private copy of the tables (every row is a frozen struct, so
copying the dicts is enough) and publishes it on ``commit()``; leaving without a commit
drops the copy. Units of work on one ``MemoryDatabase`` run one at a time (an
``asyncio.Lock`` held from enter to exit), which is the isolation SQLite gives with
``BEGIN IMMEDIATE`` and makes the conditional claims and version checks exact.

Opening a second unit of work inside an open one in the same task raises ``RuntimeError``
instead of waiting forever: on SQLite the same nesting deadlocks until the busy timeout.
"""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self

import msgspec

from reseller_core.domain.aggregate import ProductPage, ProductView
from reseller_core.domain.artifacts import (
    DescriptionDraft,
    MarketplaceListing,
    PriceResearch,
    sort_listings,
)
from reseller_core.domain.images import ProductImage, sort_images
from reseller_core.domain.listing_query import (
    ProductListQuery,
    SortKey,
    matches,
    total_pages,
)
from reseller_core.domain.products import Product, ProductStatus
from reseller_core.domain.runs import ACTIVE_RUN_STATUSES, ProcessingRun, RunStatus
from reseller_core.domain.users import ApiToken, ConfirmationToken, User
from reseller_core.domain.videos import ProductVideo, with_video
from reseller_core.errors import Conflict
from reseller_core.ports.idempotency import IdempotencyRepository
from reseller_core.ports.storefronts import StorefrontRepository
from reseller_core.ports.transfers import ExportRepository, ImportRepository
from reseller_core.ports.unit_of_work import (
    ImageRepository,
    ProductRepository,
    RunRepository,
    TabRepository,
    TokenRepository,
    UnitOfWorkFactory,
    UsageRepository,
    UserRepository,
)
from reseller_core.testing.memory_deletion import delete_product_rows
from reseller_core.testing.memory_idempotency import MemoryIdempotencyRepository
from reseller_core.testing.memory_media_runs import lifestyle_run_repository, video_run_repository
from reseller_core.testing.memory_storefronts import MemoryStorefrontRepository
from reseller_core.testing.memory_tables import (
    MemoryRepo,
    ProductRow,
    Tables,
    TokenRow,
    product_document,
)
from reseller_core.testing.memory_tabs import MemoryTabRepository
from reseller_core.testing.memory_transfers import MemoryExportRepository, MemoryImportRepository
from reseller_core.testing.memory_usage import MemoryUsageRepository

__all__ = [
    "MemoryDatabase",
    "MemoryUnitOfWork",
    "MemoryUsageRepository",
    "memory_uow_factory",
    "product_document",
]


class MemoryDatabase:
    """The committed state shared by every ``MemoryUnitOfWork`` opened on it."""

    def __init__(self) -> None:
        self._tables = Tables()
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[object] | None = None

    def unit_of_work(self) -> MemoryUnitOfWork:
        """A new unit of work; the method itself is a ``UnitOfWorkFactory``."""
        return MemoryUnitOfWork(self)

    def snapshot(self) -> Tables:
        """A copy of the committed tables (for assertions in tests)."""
        return self._tables.copy()


def memory_uow_factory(db: MemoryDatabase) -> UnitOfWorkFactory:
    """The ``UnitOfWorkFactory`` the composition root hands to the services."""
    return db.unit_of_work


class MemoryUserRepository(MemoryRepo):
    async def add(self, user: User) -> None:
        if any(other.email == user.email for other in self._t.users.values()):
            raise Conflict("Email has already been taken")
        self._t.users[user.id] = user

    async def get(self, user_id: str) -> User | None:
        return self._t.users.get(user_id)

    async def get_by_email(self, email: str) -> User | None:
        return next((user for user in self._t.users.values() if user.email == email), None)

    async def update(self, user: User) -> None:
        if user.id not in self._t.users:
            return
        if any(o.email == user.email and o.id != user.id for o in self._t.users.values()):
            raise Conflict("Email has already been taken")
        stored = self._t.users[user.id]
        self._t.users[user.id] = msgspec.structs.replace(user, created_at=stored.created_at)

    async def lock(self, user_id: str) -> None:
        """Nothing to take: a unit of work here holds the database's one lock already."""


class MemoryTokenRepository(MemoryRepo):
    async def add(self, token: ApiToken) -> None:
        if any(row.token.token_hash == token.token_hash for row in self._t.tokens.values()):
            raise Conflict("Token hash collision")
        self._t.tokens[token.id] = TokenRow(token=token)

    async def authenticate(self, token_hash: str, now: datetime) -> tuple[ApiToken, User] | None:
        for row in self._t.tokens.values():
            token = row.token
            if token.token_hash != token_hash or row.revoked or token.expires_at <= now:
                continue
            user = self._t.users.get(token.user_id)
            if user is None:
                return None
            return token, user
        return None

    async def touch(self, token_id: str, now: datetime) -> None:
        row = self._t.tokens.get(token_id)
        if row is not None:
            stamped = msgspec.structs.replace(row.token, last_used_at=now)
            self._t.tokens[token_id] = msgspec.structs.replace(row, token=stamped)

    async def revoke(self, token_id: str) -> None:
        row = self._t.tokens.get(token_id)
        if row is not None:
            self._t.tokens[token_id] = msgspec.structs.replace(row, revoked=True)

    async def add_confirmation(self, token: ConfirmationToken) -> None:
        if any(t.token_hash == token.token_hash for t in self._t.confirmations.values()):
            raise Conflict("Token hash collision")
        self._t.confirmations[token.id] = token

    async def find_confirmation(self, token_hash: str) -> ConfirmationToken | None:
        return next((t for t in self._t.confirmations.values() if t.token_hash == token_hash), None)

    async def use_confirmation(self, token_id: str, now: datetime) -> bool:
        token = self._t.confirmations.get(token_id)
        if token is None or token.used_at is not None:
            return False
        self._t.confirmations[token_id] = msgspec.structs.replace(token, used_at=now)
        return True

    async def invalidate_confirmations(self, user_id: str, now: datetime) -> None:
        for token in list(self._t.confirmations.values()):
            if token.user_id == user_id and token.used_at is None:
                self._t.confirmations[token.id] = msgspec.structs.replace(token, used_at=now)

    async def confirmation_sends_since(self, user_id: str, since: datetime) -> list[datetime]:
        return sorted(
            t.created_at
            for t in self._t.confirmations.values()
            if t.user_id == user_id and t.created_at >= since
        )


_SORT_KEYS: dict[SortKey, Callable[[Product], tuple[Any, str]]] = {
    SortKey.TITLE: lambda p: ((p.title or "").lower(), p.id),
    SortKey.STATUS: lambda p: (str(p.status), p.id),
    SortKey.UPDATED_AT: lambda p: (p.updated_at, p.id),
    SortKey.INSERTED_AT: lambda p: (p.created_at, p.id),
}


def _sorted_products(products: Iterable[Product], sort: SortKey, descending: bool) -> list[Product]:
    """Order as the SQL adapter does (spec 20 §3.1): key, then id, both in ``dir``."""
    items = list(products)
    if sort == SortKey.PRICE:
        # Nulls last in both directions: sort the priced rows, then append the rest.
        priced = [p for p in items if p.price is not None]
        unpriced = [p for p in items if p.price is None]
        priced.sort(key=lambda p: (p.price, p.id), reverse=descending)
        unpriced.sort(key=lambda p: p.id, reverse=descending)
        return priced + unpriced
    return sorted(items, key=_SORT_KEYS[sort], reverse=descending)


class MemoryProductRepository(MemoryRepo):
    def _owned(self, user_id: str, product_id: str) -> ProductRow | None:
        row = self._t.products.get(product_id)
        return row if row is not None and row.product.user_id == user_id else None

    def _check_sku(self, product: Product) -> None:
        if product.sku is None:
            return
        for row in self._t.products.values():
            other = row.product
            if (
                other.user_id == product.user_id
                and other.sku == product.sku
                and other.id != product.id
            ):
                raise Conflict("SKU has already been taken")

    async def add(self, product: Product) -> None:
        self._check_sku(product)
        self._t.products[product.id] = ProductRow(
            product=product, document=product_document(product)
        )

    async def get(self, user_id: str, product_id: str) -> Product | None:
        row = self._owned(user_id, product_id)
        return row.product if row is not None else None

    async def find_by_sku(self, user_id: str, sku: str) -> Product | None:
        for row in self._t.products.values():
            if row.product.user_id == user_id and row.product.sku == sku:
                return row.product
        return None

    async def get_by_id(self, product_id: str) -> Product | None:
        row = self._t.products.get(product_id)
        return row.product if row is not None else None

    async def update(self, product: Product, *, expected_version: int) -> Product:
        row = self._t.products.get(product.id)
        if row is None or row.product.version != expected_version:
            raise Conflict()
        self._check_sku(product)
        stored = msgspec.structs.replace(
            product,
            user_id=row.product.user_id,
            created_at=row.product.created_at,
            version=expected_version + 1,
        )
        self._t.products[product.id] = msgspec.structs.replace(
            row, product=stored, document=product_document(stored)
        )
        return stored

    async def delete(self, product_id: str) -> None:
        delete_product_rows(self._t, product_id)

    async def set_status_if(
        self, product_id: str, expected: ProductStatus, target: ProductStatus, now: datetime
    ) -> bool:
        row = self._t.products.get(product_id)
        if row is None or row.product.status != expected:
            return False
        stored = msgspec.structs.replace(
            row.product, status=target, updated_at=now, version=row.product.version + 1
        )
        self._t.products[product_id] = msgspec.structs.replace(row, product=stored)
        return True

    def _view(self, row: ProductRow) -> ProductView:
        product = row.product
        tab = self._t.tabs.get(product.product_tab_id) if product.product_tab_id else None
        run = self._t.runs.get(product.latest_run_id) if product.latest_run_id else None
        images = [image for image in self._t.images.values() if image.product_id == product.id]
        lifestyle = [r for r in self._t.lifestyle_runs.values() if r.product_id == product.id]
        video_runs = [r for r in self._t.video_runs.values() if r.product_id == product.id]
        return ProductView(
            latest_lifestyle_run=max(lifestyle, key=lambda r: (r.created_at, r.id), default=None),
            latest_video_run=max(video_runs, key=lambda r: (r.created_at, r.id), default=None),
            videos=row.videos,
            product=product,
            tab=tab,
            images=tuple(sort_images(images)),
            description_draft=row.description_draft,
            price_research=row.price_research,
            marketplace_listings=tuple(sort_listings(list(row.listings))),
            latest_run=run,
        )

    async def view(self, user_id: str, product_id: str) -> ProductView | None:
        row = self._owned(user_id, product_id)
        return self._view(row) if row is not None else None

    async def list(self, user_id: str, query: ProductListQuery) -> ProductPage:
        updated_from, updated_before = query.updated_since(), query.updated_before()
        rows = {
            row.product.id: row
            for row in self._t.products.values()
            if row.product.user_id == user_id
            and query.status in ("all", row.product.status)
            and (query.product_tab_id is None or row.product.product_tab_id == query.product_tab_id)
            and (updated_from is None or row.product.updated_at >= updated_from)
            and (updated_before is None or row.product.updated_at < updated_before)
            and (query.search is None or matches(row.document, query.search))
        }
        ordered = _sorted_products(
            (row.product for row in rows.values()), query.sort, query.dir == "desc"
        )
        page_size = max(1, query.page_size)
        pages = total_pages(len(ordered), page_size)
        page = min(max(1, query.page), pages)
        window = ordered[(page - 1) * page_size : page * page_size]
        return ProductPage(
            products=tuple(self._view(rows[product.id]) for product in window),
            page=page,
            page_size=page_size,
            total_count=len(ordered),
            total_pages=pages,
        )

    def _replace_row(self, product_id: str, **changes: object) -> None:
        row = self._t.products.get(product_id)
        if row is not None:
            self._t.products[product_id] = msgspec.structs.replace(row, **changes)

    async def save_description_draft(self, product_id: str, draft: DescriptionDraft) -> None:
        self._replace_row(product_id, description_draft=draft)

    async def save_price_research(self, product_id: str, research: PriceResearch) -> None:
        self._replace_row(product_id, price_research=research)

    async def save_listings(self, product_id: str, listings: Sequence[MarketplaceListing]) -> None:
        self._replace_row(product_id, listings=tuple(sort_listings(list(listings))))

    async def replace_video(self, product_id: str, video: ProductVideo) -> ProductVideo | None:
        row = self._t.products.get(product_id)
        if row is None:
            return None
        replaced = next((v for v in row.videos if v.marketplace == video.marketplace), None)
        self._replace_row(product_id, videos=with_video(row.videos, video))
        return replaced

    async def remove_video(self, product_id: str, video_id: str) -> ProductVideo | None:
        row = self._t.products.get(product_id)
        removed = next((v for v in row.videos if v.id == video_id), None) if row else None
        if row is not None and removed is not None:
            self._replace_row(product_id, videos=tuple(v for v in row.videos if v != removed))
        return removed

    async def artifacts(
        self, product_id: str
    ) -> tuple[DescriptionDraft | None, PriceResearch | None, builtins.list[MarketplaceListing]]:
        row = self._t.products.get(product_id)
        if row is None:
            return None, None, []
        return row.description_draft, row.price_research, sort_listings(list(row.listings))


class MemoryImageRepository(MemoryRepo):
    async def add_many(self, images: Sequence[ProductImage]) -> None:
        for image in images:
            if image.id in self._t.images:
                raise Conflict("Duplicate image id")
            self._t.images[image.id] = image

    async def for_product(self, product_id: str) -> list[ProductImage]:
        return sort_images([i for i in self._t.images.values() if i.product_id == product_id])

    async def update_many(self, images: Sequence[ProductImage]) -> None:
        for image in images:
            stored = self._t.images.get(image.id)
            if stored is not None:
                self._t.images[image.id] = msgspec.structs.replace(
                    image, product_id=stored.product_id, created_at=stored.created_at
                )

    async def delete_many(self, image_ids: Sequence[str]) -> None:
        for image_id in image_ids:
            self._t.images.pop(image_id, None)


def _last_activity(run: ProcessingRun) -> datetime:
    return run.heartbeat_at if run.heartbeat_at is not None else run.updated_at


class MemoryRunRepository(MemoryRepo):
    async def add(self, run: ProcessingRun) -> None:
        if run.status in ACTIVE_RUN_STATUSES and any(
            other.product_id == run.product_id and other.status in ACTIVE_RUN_STATUSES
            for other in self._t.runs.values()
        ):
            raise Conflict("A processing run is already in progress")
        self._t.runs[run.id] = run
        row = self._t.products.get(run.product_id)
        if row is not None:
            product = msgspec.structs.replace(row.product, latest_run_id=run.id)
            self._t.products[run.product_id] = msgspec.structs.replace(row, product=product)

    async def get(self, run_id: str) -> ProcessingRun | None:
        return self._t.runs.get(run_id)

    async def latest_for_product(self, product_id: str) -> ProcessingRun | None:
        row = self._t.products.get(product_id)
        if row is None or row.product.latest_run_id is None:
            return None
        return self._t.runs.get(row.product.latest_run_id)

    async def claim(
        self, run_id: str, now: datetime, stale_before: datetime
    ) -> ProcessingRun | None:
        run = self._t.runs.get(run_id)
        if run is None:
            return None
        claimable = run.status == RunStatus.QUEUED or (
            run.status == RunStatus.RUNNING and _last_activity(run) < stale_before
        )
        if not claimable:
            return None
        claimed = msgspec.structs.replace(
            run,
            status=RunStatus.RUNNING,
            heartbeat_at=now,
            started_at=run.started_at or now,
            attempts=run.attempts + 1,
            updated_at=now,
        )
        self._t.runs[run_id] = claimed
        return claimed

    async def update(self, run: ProcessingRun) -> None:
        stored = self._t.runs.get(run.id)
        if stored is not None:
            self._t.runs[run.id] = msgspec.structs.replace(
                run,
                product_id=stored.product_id,
                user_id=stored.user_id,
                created_at=stored.created_at,
            )

    async def update_claimed(self, run: ProcessingRun) -> bool:
        stored = self._t.runs.get(run.id)
        if stored is None or stored.status != RunStatus.RUNNING or stored.attempts != run.attempts:
            return False
        await self.update(run)
        return True

    async def heartbeat(self, run_id: str, now: datetime) -> None:
        run = self._t.runs.get(run_id)
        if run is not None:
            self._t.runs[run_id] = msgspec.structs.replace(run, heartbeat_at=now)

    async def stale(self, stale_before: datetime, limit: int = 100) -> list[ProcessingRun]:
        runs = [
            run
            for run in self._t.runs.values()
            if run.status in ACTIVE_RUN_STATUSES and _last_activity(run) < stale_before
        ]
        runs.sort(key=lambda run: (_last_activity(run), run.id))
        return runs[:limit]


class MemoryUnitOfWork:
    """One transaction over a ``MemoryDatabase``; see the module docstring for isolation."""

    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db
        self._staged: Tables | None = None
        self.users: UserRepository = MemoryUserRepository(self)
        self.tokens: TokenRepository = MemoryTokenRepository(self)
        self.tabs: TabRepository = MemoryTabRepository(self)
        self.products: ProductRepository = MemoryProductRepository(self)
        self.images: ImageRepository = MemoryImageRepository(self)
        self.runs: RunRepository = MemoryRunRepository(self)
        self.usage: UsageRepository = MemoryUsageRepository(self)
        self.exports: ExportRepository = MemoryExportRepository(lambda: self.staged().exports)
        self.imports: ImportRepository = MemoryImportRepository(lambda: self.staged().imports)
        self.storefronts: StorefrontRepository = MemoryStorefrontRepository(self.staged)
        self.lifestyle_runs = lifestyle_run_repository(lambda: self.staged().lifestyle_runs)
        self.video_runs = video_run_repository(lambda: self.staged().video_runs)
        self.idempotency: IdempotencyRepository = MemoryIdempotencyRepository(
            lambda: self.staged().idempotency
        )

    def staged(self) -> Tables:
        if self._staged is None:
            raise RuntimeError("Use the unit of work inside 'async with'")
        return self._staged

    async def __aenter__(self) -> Self:
        current = asyncio.current_task()
        if current is not None and self._db._owner is current:
            raise RuntimeError(
                "A unit of work is already open in this task; nested units of work deadlock"
            )
        await self._db._lock.acquire()
        self._db._owner = current
        self._staged = self._db._tables.copy()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._staged = None
        self._db._owner = None
        self._db._lock.release()

    async def commit(self) -> None:
        self._db._tables = self.staged()
        self._staged = self._db._tables.copy()

    async def rollback(self) -> None:
        self.staged()
        self._staged = self._db._tables.copy()

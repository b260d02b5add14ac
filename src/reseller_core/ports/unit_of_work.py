"""Persistence: one unit of work per use-case operation, handing out the repositories.

A unit of work is an async context manager. Leaving it without ``commit()`` rolls back, so
a failure anywhere in a use case leaves nothing behind.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from types import TracebackType
from typing import Protocol, Self

import msgspec

from reseller_core.domain.aggregate import ProductPage, ProductView
from reseller_core.domain.artifacts import DescriptionDraft, MarketplaceListing, PriceResearch
from reseller_core.domain.images import ProductImage
from reseller_core.domain.listing_query import ProductListQuery
from reseller_core.domain.plans import DailyUsage
from reseller_core.domain.products import Product, ProductStatus, ProductTab
from reseller_core.domain.runs import ProcessingRun
from reseller_core.domain.users import ApiToken, ConfirmationToken, User
from reseller_core.domain.videos import ProductVideo
from reseller_core.ports.idempotency import IdempotencyRepository
from reseller_core.ports.media_runs import LifestyleRunRepository, VideoRunRepository
from reseller_core.ports.storefronts import StorefrontRepository
from reseller_core.ports.transfers import ExportRepository, ImportRepository


class UsageEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One metered unit the user sees (decision Q-A6): bucket, quantity, when."""

    id: str
    user_id: str
    product_id: str | None
    run_id: str | None
    bucket: str
    quantity: int
    created_at: datetime


class ProviderCall(msgspec.Struct, frozen=True, kw_only=True):
    """One provider call, for the daily safety ceilings and cost tracking (spec 10 §5.1)."""

    id: str
    user_id: str
    product_id: str | None
    provider: str
    role: str
    operation: str
    status: str
    cost_usd: Decimal
    duration_ms: int
    error_code: str | None
    created_at: datetime


class UserRepository(Protocol):
    async def add(self, user: User) -> None:
        """Insert; raises ``Conflict`` when the e-mail is already taken."""
        ...

    async def get(self, user_id: str) -> User | None: ...

    async def get_by_email(self, email: str) -> User | None: ...

    async def update(self, user: User) -> None: ...

    async def lock(self, user_id: str) -> None:
        """Take the user's write lock, held until the unit of work ends.

        Writes of one user that decide from what they read (limits, a repeated finalize,
        an add-on credit spent) take it before reading, so a second one waits for the first
        to commit and then reads what it wrote. So does every write of the whole row
        (``update``) from a read: without the lock it would write back a balance read before
        another writer's commit. SQLite's writers are serialised already; PostgreSQL locks the
        user's row.
        """
        ...


class TokenRepository(Protocol):
    async def add(self, token: ApiToken) -> None: ...

    async def authenticate(self, token_hash: str, now: datetime) -> tuple[ApiToken, User] | None:
        """The live token with this hash and its user, in one round trip; a pure read."""
        ...

    async def touch(self, token_id: str, now: datetime) -> None:
        """Stamp the token's ``last_used_at``."""
        ...

    async def revoke(self, token_id: str) -> None: ...

    async def add_confirmation(self, token: ConfirmationToken) -> None: ...

    async def find_confirmation(self, token_hash: str) -> ConfirmationToken | None: ...

    async def use_confirmation(self, token_id: str, now: datetime) -> bool:
        """Mark used if still unused; False when another request used it first."""
        ...

    async def invalidate_confirmations(self, user_id: str, now: datetime) -> None:
        """Mark every unused confirmation token of the user as used (a resend supersedes)."""
        ...

    async def confirmation_sends_since(self, user_id: str, since: datetime) -> list[datetime]:
        """Creation times of the user's confirmation tokens issued at or after ``since``."""
        ...


class TabRepository(Protocol):
    async def get(self, user_id: str, tab_id: str) -> ProductTab | None: ...

    async def add(self, tab: ProductTab) -> None: ...

    async def list(self, user_id: str) -> builtins.list[ProductTab]:
        """The seller's tabs by position, then creation order (ids are ULIDs)."""
        ...

    async def update(self, tab: ProductTab) -> None:
        """Write the tab; the products in it show its new name and position."""
        ...

    async def delete(self, user_id: str, tab_id: str) -> None:
        """Delete the tab; its products keep existing with ``product_tab_id`` null."""
        ...


class ProductRepository(Protocol):
    async def add(self, product: Product) -> None: ...

    async def get(self, user_id: str, product_id: str) -> Product | None:
        """The caller's product, or None for unknown and foreign ids alike."""
        ...

    async def find_by_sku(self, user_id: str, sku: str) -> Product | None:
        """The user's product with exactly this SKU (SKUs are unique per user)."""
        ...

    async def get_by_id(self, product_id: str) -> Product | None:
        """Any product by id (workers act on behalf of the owner recorded on the run)."""
        ...

    async def update(self, product: Product, *, expected_version: int) -> Product:
        """Write ``product`` if its stored version is still ``expected_version``.

        Returns the stored product (version incremented). Raises ``Conflict`` when another
        writer changed it first: optimistic concurrency that works the same on every engine.
        """
        ...

    async def set_status_if(
        self, product_id: str, expected: ProductStatus, target: ProductStatus, now: datetime
    ) -> bool:
        """Compare-and-set of the status alone; True when the row was still ``expected``."""
        ...

    async def delete(self, product_id: str) -> None:
        """Delete the product and all it owns (images, artifacts, runs, its document).

        Metering rows are kept with ``product_id`` null (spec 20 §3.5).
        """
        ...

    async def view(self, user_id: str, product_id: str) -> ProductView | None:
        """The whole product as the API shows it, in as few round trips as the engine allows."""
        ...

    async def list(self, user_id: str, query: ProductListQuery) -> ProductPage:
        """A page of views; ``page`` is clamped to the last page."""
        ...

    async def save_description_draft(self, product_id: str, draft: DescriptionDraft) -> None: ...

    async def save_price_research(self, product_id: str, research: PriceResearch) -> None: ...

    async def save_listings(self, product_id: str, listings: Sequence[MarketplaceListing]) -> None:
        """Replace the product's listings with ``listings`` (one per marketplace)."""
        ...

    async def replace_video(self, product_id: str, video: ProductVideo) -> ProductVideo | None:
        """Make ``video`` the product's one video for its marketplace; the video it replaced
        (if any) is returned so its object can be deleted. Concurrent writers of one
        product's videos are serialised (the product row is locked for the transaction)."""
        ...

    async def remove_video(self, product_id: str, video_id: str) -> ProductVideo | None:
        """Remove one of the product's videos; the removed video, or None if it has none
        with that id."""
        ...

    async def artifacts(
        self, product_id: str
    ) -> tuple[
        DescriptionDraft | None, PriceResearch | None, builtins.list[MarketplaceListing]
    ]: ...


class ImageRepository(Protocol):
    async def add_many(self, images: Sequence[ProductImage]) -> None: ...

    async def for_product(self, product_id: str) -> list[ProductImage]:
        """All images of the product in payload order (position, then id)."""
        ...

    async def update_many(self, images: Sequence[ProductImage]) -> None: ...

    async def delete_many(self, image_ids: Sequence[str]) -> None: ...


class RunRepository(Protocol):
    async def add(self, run: ProcessingRun) -> None: ...

    async def get(self, run_id: str) -> ProcessingRun | None: ...

    async def latest_for_product(self, product_id: str) -> ProcessingRun | None: ...

    async def claim(
        self, run_id: str, now: datetime, stale_before: datetime
    ) -> ProcessingRun | None:
        """Conditionally move a run to ``running`` and return it, or None if not claimable.

        Claimable: ``queued``, or ``running`` with a heartbeat older than ``stale_before``
        (its worker died). The conditional update makes two workers never both win.
        """
        ...

    async def update(self, run: ProcessingRun) -> None: ...

    async def update_claimed(self, run: ProcessingRun) -> bool:
        """Write the run only while the stored one is ``running`` under ``run.attempts``.

        False (and nothing written) when the claim is lost: another worker claimed the run
        again, it was finished or failed, or it is gone. A worker writes its progress with
        this, so the check and the write are one statement.
        """
        ...

    async def heartbeat(self, run_id: str, now: datetime) -> None: ...

    async def stale(self, stale_before: datetime, limit: int = 100) -> list[ProcessingRun]:
        """Runs still ``queued``/``running`` whose last heartbeat (or update) predates the cutoff."""
        ...


class UsageRepository(Protocol):
    async def record(self, event: UsageEvent) -> None: ...

    async def record_call(self, call: ProviderCall) -> None: ...

    async def monthly_counts(self, user_id: str, start: datetime, end: datetime) -> dict[str, int]:
        """Bucket → quantity of the user's usage events in [start, end)."""
        ...

    async def in_flight(self, user_id: str, since: datetime) -> dict[str, int]:
        """Bucket → units reserved by the user's queued or running runs.

        A processing run created at or after ``since`` holds one unit of each processing
        bucket until it records that bucket's usage event; a lifestyle run holds one
        ``lifestyle`` unit per image it was asked for and has not completed yet; a video run
        holds one ``videos`` unit until it ends (its unit is recorded as it ends). The call
        first takes the user's write lock (held until the unit of work ends), so two
        requests of one user that check their limits run one after the other and the
        second counts the run the first queued.
        """
        ...

    async def daily_usage(self, user_id: str, start: datetime, end: datetime) -> DailyUsage: ...


class UnitOfWork(Protocol):
    users: UserRepository
    tokens: TokenRepository
    tabs: TabRepository
    products: ProductRepository
    images: ImageRepository
    runs: RunRepository
    usage: UsageRepository
    exports: ExportRepository
    imports: ImportRepository
    storefronts: StorefrontRepository
    lifestyle_runs: LifestyleRunRepository
    video_runs: VideoRunRepository
    idempotency: IdempotencyRepository

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed, and release the connection."""
        ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
"""Opens a new unit of work; each use-case operation opens exactly one.

A persistence adapter may also offer a *reading* factory (``Deps.read_uow``) whose units of
work never write: the use cases that only read (a product, a page, a token) use it, so on
an engine with a single writer (SQLite) reads never queue behind the write lock.
"""

"""Conformance suite for the ``UnitOfWork`` port and its repositories.

Subclass :class:`UnitOfWorkConformance` and provide the ``uow_factory`` fixture (a
``UnitOfWorkFactory`` over an empty or shared, migrated database)::

    class TestMyUnitOfWork(UnitOfWorkConformance):
        @pytest.fixture
        def uow_factory(self, my_database) -> UnitOfWorkFactory:
            return my_database.unit_of_work

Every test creates its own user (random ULIDs) and only looks at what it created, so the
database may be shared by all tests of a session without cleaning up between them. The
in-memory fake (``reseller_core.testing.memory_uow``) is the reference: SQL adapters must
answer exactly as it does, including list order and search.

The ``build_*`` functions make valid domain objects for these tests and for adapter authors'
own ones.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, TypeVar

import msgspec
import pytest
from ulid import ULID

from reseller_core.domain.aggregate import ProductPage
from reseller_core.domain.artifacts import (
    ArtifactStatus,
    DescriptionDraft,
    MarketplaceListing,
    PriceResearch,
)
from reseller_core.domain.images import ImageKind, ImageStatus, ProductImage
from reseller_core.domain.listing_query import parse_list_query
from reseller_core.domain.plans import DailyUsage
from reseller_core.domain.products import Product, ProductSource, ProductStatus, ProductTab
from reseller_core.domain.runs import ProcessingRun, RunStatus, Step
from reseller_core.domain.users import ApiToken, ConfirmationToken, User
from reseller_core.errors import Conflict
from reseller_core.ports.unit_of_work import (
    ProviderCall,
    UnitOfWork,
    UnitOfWorkFactory,
    UsageEvent,
)

T = TypeVar("T")

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
"""The suite's reference instant; every timestamp is derived from it."""


def new_id() -> str:
    return str(ULID())


# --- builders ---------------------------------------------------------------------------------


def build_user(**overrides: Any) -> User:
    values: dict[str, Any] = {
        "id": new_id(),
        "email": f"{new_id().lower()}@example.test",
        "password_hash": "argon2$fake",
        "confirmed_at": None,
        "selected_marketplaces": ("ebay", "depop"),
        "created_at": T0,
        "updated_at": T0,
    }
    return User(**{**values, **overrides})


def build_token(user: User, **overrides: Any) -> ApiToken:
    values: dict[str, Any] = {
        "id": new_id(),
        "user_id": user.id,
        "token_hash": f"sha256-{new_id()}",
        "context": "mobile",
        "device_name": "Pixel",
        "expires_at": T0 + timedelta(days=60),
        "last_used_at": None,
        "created_at": T0,
    }
    return ApiToken(**{**values, **overrides})


def build_confirmation(user: User, **overrides: Any) -> ConfirmationToken:
    values: dict[str, Any] = {
        "id": new_id(),
        "user_id": user.id,
        "token_hash": f"confirm-{new_id()}",
        "sent_to": user.email,
        "expires_at": T0 + timedelta(days=2),
        "used_at": None,
        "created_at": T0,
    }
    return ConfirmationToken(**{**values, **overrides})


def build_tab(user: User, name: str = "Shoes", position: int = 1, **overrides: Any) -> ProductTab:
    values: dict[str, Any] = {
        "id": new_id(),
        "user_id": user.id,
        "name": name,
        "position": position,
        "created_at": T0,
        "updated_at": T0,
    }
    return ProductTab(**{**values, **overrides})


def build_product(user: User, **overrides: Any) -> Product:
    values: dict[str, Any] = {
        "id": new_id(),
        "user_id": user.id,
        "status": ProductStatus.DRAFT,
        "created_at": T0,
        "updated_at": T0,
    }
    return Product(**{**values, **overrides})


def build_image(product: Product, position: int = 1, **overrides: Any) -> ProductImage:
    image_id = new_id()
    values: dict[str, Any] = {
        "id": image_id,
        "product_id": product.id,
        "kind": ImageKind.ORIGINAL,
        "position": position,
        "storage_key": f"users/{product.user_id}/products/{product.id}/originals/{image_id}.jpg",
        "content_type": "image/jpeg",
        "processing_status": ImageStatus.PENDING_UPLOAD,
        "created_at": T0,
        "updated_at": T0,
    }
    return ProductImage(**{**values, **overrides})


def build_run(product: Product, **overrides: Any) -> ProcessingRun:
    values: dict[str, Any] = {
        "id": new_id(),
        "product_id": product.id,
        "user_id": product.user_id,
        "status": RunStatus.QUEUED,
        "step": Step.QUEUED,
        "marketplaces": ("ebay", "depop"),
        "created_at": T0,
        "updated_at": T0,
    }
    return ProcessingRun(**{**values, **overrides})


def build_draft(**overrides: Any) -> DescriptionDraft:
    values: dict[str, Any] = {
        "id": new_id(),
        "status": ArtifactStatus.GENERATED,
        "provider": "offline",
        "model": "offline-1",
        "suggested_title": "Nike Air Max 90",
        "short_description": "Classic Air Max 90 in white mesh.",
        "long_description": "Long text",
        "key_features": ("Visible air unit", "Mesh upper"),
        "seo_keywords": ("nike air max 90",),
        "created_at": T0 + timedelta(microseconds=123456),
        "updated_at": T0 + timedelta(seconds=1, microseconds=7),
    }
    return DescriptionDraft(**{**values, **overrides})


def build_research(**overrides: Any) -> PriceResearch:
    values: dict[str, Any] = {
        "id": new_id(),
        "status": ArtifactStatus.GENERATED,
        "provider": "offline",
        "model": None,
        "currency": "USD",
        "suggested_min_price": Decimal("110.00"),
        "suggested_target_price": Decimal("125.50"),
        "suggested_max_price": Decimal("9999999999.99"),
        "suggested_median_price": None,
        "pricing_confidence": 0.82,
        "rationale_summary": "Strong demand",
        "market_signals": ("Strong sneaker demand",),
        "comparable_results": ({"title": "Nike Air Max 90", "price": 129.5, "source": "GOAT"},),
        "created_at": T0 + timedelta(microseconds=1),
        "updated_at": T0 + timedelta(minutes=1),
    }
    return PriceResearch(**{**values, **overrides})


def build_listing(marketplace: str, **overrides: Any) -> MarketplaceListing:
    values: dict[str, Any] = {
        "id": new_id(),
        "marketplace": marketplace,
        "status": ArtifactStatus.GENERATED,
        "generated_title": f"Title for {marketplace}",
        "generated_description": "Description",
        "generated_tags": ("nike", "air max 90"),
        "generated_price_suggestion": Decimal("129.00"),
        "generation_version": "offline-1",
        "compliance_warnings": (),
        "external_url": None,
        "external_url_added_at": None,
        "last_generated_at": T0 + timedelta(seconds=30),
        "created_at": T0,
        "updated_at": T0 + timedelta(days=1),
    }
    return MarketplaceListing(**{**values, **overrides})


def build_usage(user: User, bucket: str, at: datetime, quantity: int = 1) -> UsageEvent:
    return UsageEvent(
        id=new_id(),
        user_id=user.id,
        product_id=None,
        run_id=None,
        bucket=bucket,
        quantity=quantity,
        created_at=at,
    )


def build_call(
    user: User, role: str, at: datetime, cost: str = "0", status: str = "success"
) -> ProviderCall:
    return ProviderCall(
        id=new_id(),
        user_id=user.id,
        product_id=None,
        provider={"llm": "gemini", "search": "serp_api", "image_editor": "photoroom"}.get(
            role, "other"
        ),
        role=role,
        operation="description",
        status=status,
        cost_usd=Decimal(cost),
        duration_ms=120,
        error_code=None if status == "success" else "transport_error",
        created_at=at,
    )


def day(text: str, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    """An instant on ``YYYY-MM-DD`` in UTC."""
    parsed = date.fromisoformat(text)
    return datetime(parsed.year, parsed.month, parsed.day, hour, minute, second, tzinfo=UTC)


def _assert_utc(value: datetime | None) -> None:
    assert value is not None
    assert value.tzinfo is not None
    assert value.utcoffset() == timedelta(0)


class _Catalogue(msgspec.Struct, kw_only=True):
    """Six products of one user (keyed by nickname) plus a foreign product matching all."""

    user: User
    tab: ProductTab
    products: dict[str, Product]
    images: dict[str, list[ProductImage]]

    def ids(self, *names: str) -> list[str]:
        return [self.products[name].id for name in names]

    def by_id(self, *names: str, descending: bool = False) -> list[str]:
        """Nicknames' ids in id order: how ties are broken."""
        return sorted(self.ids(*names), reverse=descending)


# --- the suite --------------------------------------------------------------------------------


class UnitOfWorkConformance:
    """What every ``UnitOfWork`` implementation owes the use cases."""

    pytestmark = pytest.mark.asyncio

    @pytest.fixture
    def uow_factory(self) -> UnitOfWorkFactory:
        raise NotImplementedError("provide a `uow_factory` fixture")

    # -- helpers -------------------------------------------------------------------------------

    async def in_uow(
        self, factory: UnitOfWorkFactory, work: Callable[[UnitOfWork], Awaitable[T]]
    ) -> T:
        """Run ``work`` in a fresh unit of work and commit."""
        async with factory() as uow:
            result = await work(uow)
            await uow.commit()
        return result

    async def read(
        self, factory: UnitOfWorkFactory, work: Callable[[UnitOfWork], Awaitable[T]]
    ) -> T:
        """Run ``work`` in a fresh unit of work that is left without committing."""
        async with factory() as uow:
            return await work(uow)

    async def given_user(self, factory: UnitOfWorkFactory, **overrides: Any) -> User:
        user = build_user(**overrides)
        await self.in_uow(factory, lambda uow: uow.users.add(user))
        return user

    async def given_product(
        self, factory: UnitOfWorkFactory, user: User, **overrides: Any
    ) -> Product:
        product = build_product(user, **overrides)
        await self.in_uow(factory, lambda uow: uow.products.add(product))
        return product

    async def given_catalogue(self, factory: UnitOfWorkFactory) -> _Catalogue:
        user = await self.given_user(factory)
        stranger = await self.given_user(factory)
        tab = build_tab(user, "Favourites")
        foreign_tab = build_tab(stranger, "Favourites")
        specs: dict[str, dict[str, Any]] = {
            "nike": {
                "title": "Nike Air Max 90",
                "brand": "Nike",
                "category": "Sneakers",
                "price": Decimal("119.00"),
                "status": ProductStatus.READY,
                "tags": ("sneakers", "air-max"),
                "product_tab_id": tab.id,
                "created_at": T0 + timedelta(hours=1),
                "updated_at": day("2026-03-11"),
            },
            "laptop": {
                "title": "apple laptop",
                "notes": "barely used",
                "status": ProductStatus.DRAFT,
                "created_at": T0 + timedelta(hours=3),
                "updated_at": day("2026-03-12", 23, 59, 59),
            },
            "top": {
                "price": Decimal("5.00"),
                "status": ProductStatus.READY,
                "tags": ("top",),
                "created_at": T0 + timedelta(hours=4),
                "updated_at": day("2026-03-13", 0),
            },
            "zebra": {
                "title": "Zebra top",
                "color": "White",
                "price": Decimal("50.00"),
                "status": ProductStatus.SOLD,
                "created_at": T0,
                "updated_at": day("2026-03-14"),
            },
            "banana": {
                "title": "banana",
                "status": ProductStatus.REVIEW,
                "product_tab_id": tab.id,
                "created_at": T0 + timedelta(hours=5),
                "updated_at": day("2026-03-15"),
            },
            "banana2": {
                "title": "BANANA",
                "price": Decimal("50.00"),
                "status": ProductStatus.REVIEW,
                "created_at": T0 + timedelta(hours=2),
                "updated_at": day("2026-03-16"),
            },
        }
        products = {name: build_product(user, **spec) for name, spec in specs.items()}
        foreign = build_product(
            stranger,
            title="Nike top laptop banana zebra",
            notes="barely used sneakers air max",
            price=Decimal("1.00"),
            status=ProductStatus.READY,
            tags=("top",),
            product_tab_id=foreign_tab.id,
            updated_at=day("2026-03-13"),
        )
        nike = products["nike"]
        images = {
            "nike": sorted(
                [build_image(nike, 2), build_image(nike, 1), build_image(nike, 1)],
                key=lambda image: (image.position, image.id),
            ),
            "banana": [build_image(products["banana"], 1)],
        }

        async def store(uow: UnitOfWork) -> None:
            await uow.tabs.add(tab)
            await uow.tabs.add(foreign_tab)
            for product in [*products.values(), foreign]:
                await uow.products.add(product)
            await uow.images.add_many([*images["nike"], *images["banana"]])
            await uow.images.add_many([build_image(foreign, 1)])

        await self.in_uow(factory, store)
        return _Catalogue(user=user, tab=tab, products=products, images=images)

    async def page(self, factory: UnitOfWorkFactory, user: User, **params: str) -> ProductPage:
        query = parse_list_query(params)
        return await self.read(factory, lambda uow: uow.products.list(user.id, query))

    async def listed(self, factory: UnitOfWorkFactory, user: User, **params: str) -> list[str]:
        page = await self.page(factory, user, **params)
        return [view.product.id for view in page.products]

    # -- transactions ----------------------------------------------------------------------------

    async def test_commit_persists(self, uow_factory: UnitOfWorkFactory) -> None:
        user = build_user()
        async with uow_factory() as uow:
            await uow.users.add(user)
            await uow.commit()
        assert await self.read(uow_factory, lambda uow: uow.users.get(user.id)) == user

    async def test_exit_without_commit_rolls_back(self, uow_factory: UnitOfWorkFactory) -> None:
        user = build_user()
        async with uow_factory() as uow:
            await uow.users.add(user)
            assert await uow.users.get(user.id) == user  # visible inside its own transaction
        assert await self.read(uow_factory, lambda uow: uow.users.get(user.id)) is None

    async def test_exception_rolls_back(self, uow_factory: UnitOfWorkFactory) -> None:
        user = build_user()

        async def fail() -> None:
            async with uow_factory() as uow:
                await uow.users.add(user)
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            await fail()
        assert await self.read(uow_factory, lambda uow: uow.users.get(user.id)) is None

    async def test_rollback_discards_and_work_continues(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        dropped, kept, uncommitted = build_user(), build_user(), build_user()
        async with uow_factory() as uow:
            await uow.users.add(dropped)
            await uow.rollback()
            await uow.users.add(kept)
            await uow.commit()
            await uow.users.add(uncommitted)  # after a commit: a new transaction, never committed
        assert await self.read(uow_factory, lambda uow: uow.users.get(dropped.id)) is None
        assert await self.read(uow_factory, lambda uow: uow.users.get(kept.id)) == kept
        assert await self.read(uow_factory, lambda uow: uow.users.get(uncommitted.id)) is None

    # -- users and tokens ------------------------------------------------------------------------

    async def test_user_round_trip(self, uow_factory: UnitOfWorkFactory) -> None:
        user = build_user(
            confirmed_at=T0 + timedelta(microseconds=250_001),
            selected_marketplaces=("poshmark", "ebay"),
            plan="starter",
            plan_status="active",
            plan_period="monthly",
            plan_expires_at=T0 + timedelta(days=30),
            trial_ends_at=T0 + timedelta(days=7),
            addon_credits={"ai_drafts": 3, "lifestyle": 10},
        )
        await self.in_uow(uow_factory, lambda uow: uow.users.add(user))
        stored = await self.read(uow_factory, lambda uow: uow.users.get(user.id))
        assert stored == user
        assert stored is not None
        for value in (stored.confirmed_at, stored.created_at, stored.plan_expires_at):
            _assert_utc(value)
        by_email = await self.read(uow_factory, lambda uow: uow.users.get_by_email(user.email))
        assert by_email == user
        assert await self.read(uow_factory, lambda uow: uow.users.get(new_id())) is None

    async def test_offset_timestamps_are_the_same_instant(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        paris = timezone(timedelta(hours=2))
        user = build_user(confirmed_at=datetime(2026, 3, 10, 14, 0, tzinfo=paris))
        await self.in_uow(uow_factory, lambda uow: uow.users.add(user))
        stored = await self.read(uow_factory, lambda uow: uow.users.get(user.id))
        assert stored is not None
        assert stored.confirmed_at == T0

    async def test_user_update(self, uow_factory: UnitOfWorkFactory) -> None:
        user = await self.given_user(uow_factory)
        changed = msgspec.structs.replace(
            user,
            confirmed_at=T0 + timedelta(hours=1),
            plan="pro",
            addon_credits={"videos": 2},
            updated_at=T0 + timedelta(hours=1),
        )
        await self.in_uow(uow_factory, lambda uow: uow.users.update(changed))
        assert await self.read(uow_factory, lambda uow: uow.users.get(user.id)) == changed

    async def test_email_is_unique(self, uow_factory: UnitOfWorkFactory) -> None:
        first = await self.given_user(uow_factory)
        with pytest.raises(Conflict):
            async with uow_factory() as uow:
                await uow.users.add(build_user(email=first.email))

        async def add_twins() -> None:
            async with uow_factory() as uow:
                twin = build_user()
                await uow.users.add(twin)
                await uow.users.add(build_user(email=twin.email))

        with pytest.raises(Conflict):
            await add_twins()
        other = await self.given_user(uow_factory)
        with pytest.raises(Conflict):
            async with uow_factory() as uow:
                await uow.users.update(msgspec.structs.replace(other, email=first.email))
        assert await self.read(uow_factory, lambda uow: uow.users.get(other.id)) == other

    async def test_authenticate_reads_the_live_token_and_touch_stamps_it(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        user = await self.given_user(uow_factory)
        token = build_token(user)
        await self.in_uow(uow_factory, lambda uow: uow.tokens.add(token))
        now = T0 + timedelta(days=1)
        found = await self.in_uow(
            uow_factory, lambda uow: uow.tokens.authenticate(token.token_hash, now)
        )
        assert found is not None
        got_token, got_user = found
        assert got_user == user
        assert got_token == token  # a pure read: nothing stamped
        await self.in_uow(uow_factory, lambda uow: uow.tokens.touch(token.id, now))
        again = await self.read(
            uow_factory, lambda uow: uow.tokens.authenticate(token.token_hash, now)
        )
        assert again is not None
        assert again[0] == msgspec.structs.replace(token, last_used_at=now)

    async def test_authenticate_rejects_expired_revoked_and_unknown(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        user = await self.given_user(uow_factory)
        expired = build_token(user, expires_at=T0)
        revoked = build_token(user)

        async def setup(uow: UnitOfWork) -> None:
            await uow.tokens.add(expired)
            await uow.tokens.add(revoked)
            await uow.tokens.revoke(revoked.id)

        await self.in_uow(uow_factory, setup)
        for token_hash in (expired.token_hash, revoked.token_hash, "unknown-hash"):
            async with uow_factory() as uow:
                assert await uow.tokens.authenticate(token_hash, T0) is None, token_hash
        live_before = await self.read(
            uow_factory,
            lambda uow: uow.tokens.authenticate(expired.token_hash, T0 - timedelta(seconds=1)),
        )
        assert live_before is not None

    async def test_token_hash_is_unique(self, uow_factory: UnitOfWorkFactory) -> None:
        user = await self.given_user(uow_factory)
        token = build_token(user)
        await self.in_uow(uow_factory, lambda uow: uow.tokens.add(token))
        with pytest.raises(Conflict):
            async with uow_factory() as uow:
                await uow.tokens.add(build_token(user, token_hash=token.token_hash))

    async def test_confirmation_tokens(self, uow_factory: UnitOfWorkFactory) -> None:
        user = await self.given_user(uow_factory)
        older = build_confirmation(user, created_at=T0 - timedelta(hours=2))
        first = build_confirmation(user, created_at=T0)
        second = build_confirmation(user, created_at=T0 + timedelta(minutes=5))

        async def setup(uow: UnitOfWork) -> None:
            for token in (older, second, first):
                await uow.tokens.add_confirmation(token)

        await self.in_uow(uow_factory, setup)
        found = await self.read(
            uow_factory, lambda uow: uow.tokens.find_confirmation(first.token_hash)
        )
        assert found == first
        assert await self.read(uow_factory, lambda uow: uow.tokens.find_confirmation("x")) is None
        sends = await self.read(
            uow_factory,
            lambda uow: uow.tokens.confirmation_sends_since(user.id, T0 - timedelta(hours=1)),
        )
        assert sends == [first.created_at, second.created_at]

        used_at = T0 + timedelta(minutes=10)
        assert await self.in_uow(
            uow_factory, lambda uow: uow.tokens.use_confirmation(first.id, used_at)
        )
        assert not await self.in_uow(
            uow_factory, lambda uow: uow.tokens.use_confirmation(first.id, used_at)
        )
        invalidated_at = T0 + timedelta(minutes=20)
        await self.in_uow(
            uow_factory, lambda uow: uow.tokens.invalidate_confirmations(user.id, invalidated_at)
        )
        async with uow_factory() as uow:
            stored = [
                await uow.tokens.find_confirmation(token.token_hash)
                for token in (older, first, second)
            ]
        assert [token.used_at if token else None for token in stored] == [
            invalidated_at,
            used_at,
            invalidated_at,
        ]
        assert not await self.read(
            uow_factory, lambda uow: uow.tokens.use_confirmation(second.id, used_at)
        )

    # -- tabs ------------------------------------------------------------------------------------

    async def test_tabs_are_listed_by_position_then_creation(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        user = await self.given_user(uow_factory)
        stranger = await self.given_user(uow_factory)
        tabs = [build_tab(user, "B", 2), build_tab(user, "A", 1), build_tab(user, "C", 2)]
        foreign = build_tab(stranger, "A", 1)

        async def setup(uow: UnitOfWork) -> None:
            for tab in [*tabs, foreign]:
                await uow.tabs.add(tab)

        await self.in_uow(uow_factory, setup)
        listed = await self.read(uow_factory, lambda uow: uow.tabs.list(user.id))
        assert listed == sorted(tabs, key=lambda tab: (tab.position, tab.id))
        assert (
            await self.read(uow_factory, lambda uow: uow.tabs.get(user.id, tabs[0].id)) == tabs[0]
        )
        assert await self.read(uow_factory, lambda uow: uow.tabs.get(user.id, foreign.id)) is None

    # -- products ----------------------------------------------------------------------------------

    async def test_product_round_trip_and_ownership(self, uow_factory: UnitOfWorkFactory) -> None:
        user = await self.given_user(uow_factory)
        stranger = await self.given_user(uow_factory)
        tab = build_tab(user)
        await self.in_uow(uow_factory, lambda uow: uow.tabs.add(tab))
        product = await self.given_product(
            uow_factory,
            user,
            status=ProductStatus.READY,
            source=ProductSource.MOBILE,
            title="Nike Air Max 90",
            brand="Nike",
            category="Sneakers",
            condition="used_good",
            color="White",
            size="US 9",
            material="Mesh",
            price=Decimal("9999999999.99"),
            cost=Decimal("40.10"),
            sku="NK-AM90-001",
            tags=("nike", "air-max"),
            notes="Measured and cleaned",
            product_tab_id=tab.id,
            storefront_enabled=True,
            storefront_published_at=T0 + timedelta(seconds=5),
            ai_summary="visible air unit",
            ai_confidence=0.91,
            sold_at=None,
            archived_at=T0 + timedelta(hours=1),
            status_before_archive=ProductStatus.REVIEW,
        )
        stored = await self.read(uow_factory, lambda uow: uow.products.get(user.id, product.id))
        assert stored == product
        assert stored is not None
        _assert_utc(stored.storefront_published_at)
        assert (
            await self.read(uow_factory, lambda uow: uow.products.get_by_id(product.id)) == product
        )
        assert (
            await self.read(uow_factory, lambda uow: uow.products.get(stranger.id, product.id))
            is None
        )
        assert await self.read(uow_factory, lambda uow: uow.products.get(user.id, new_id())) is None
        assert (
            await self.read(
                uow_factory, lambda uow: uow.products.find_by_sku(user.id, "NK-AM90-001")
            )
            == product
        )
        assert (
            await self.read(
                uow_factory, lambda uow: uow.products.find_by_sku(stranger.id, "NK-AM90-001")
            )
            is None
        )

    async def test_sku_is_unique_per_user(self, uow_factory: UnitOfWorkFactory) -> None:
        user = await self.given_user(uow_factory)
        stranger = await self.given_user(uow_factory)
        await self.given_product(uow_factory, user, sku="SKU-1")
        await self.given_product(uow_factory, stranger, sku="SKU-1")  # another user: fine
        await self.given_product(uow_factory, user, sku=None)
        await self.given_product(uow_factory, user, sku=None)  # many products without SKU
        with pytest.raises(Conflict):
            async with uow_factory() as uow:
                await uow.products.add(build_product(user, sku="SKU-1"))

    async def test_update_bumps_version_and_rejects_stale_writes(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        user = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, user, title="Old")
        later = T0 + timedelta(hours=1)
        edited = msgspec.structs.replace(
            product, title="New", tags=("a", "b"), price=Decimal("12.30"), updated_at=later
        )
        stored = await self.in_uow(
            uow_factory, lambda uow: uow.products.update(edited, expected_version=0)
        )
        assert stored == msgspec.structs.replace(edited, version=1)
        with pytest.raises(Conflict):
            async with uow_factory() as uow:
                await uow.products.update(
                    msgspec.structs.replace(product, title="Lost"), expected_version=0
                )
        assert (
            await self.read(uow_factory, lambda uow: uow.products.get(user.id, product.id))
            == stored
        )
        again = await self.in_uow(
            uow_factory,
            lambda uow: uow.products.update(
                msgspec.structs.replace(stored, title="Newer"), expected_version=1
            ),
        )
        assert again.version == 2
        assert again.title == "Newer"

    async def test_concurrent_updates_one_wins(self, uow_factory: UnitOfWorkFactory) -> None:
        user = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, user)

        async def edit(title: str) -> str:
            try:
                async with uow_factory() as uow:
                    current = await uow.products.get(user.id, product.id)
                    assert current is not None
                    await uow.products.update(
                        msgspec.structs.replace(product, title=title), expected_version=0
                    )
                    await uow.commit()
            except Conflict:
                return "conflict"
            return "ok"

        outcomes = await asyncio.gather(edit("A"), edit("B"))
        assert sorted(outcomes) == ["conflict", "ok"]
        stored = await self.read(uow_factory, lambda uow: uow.products.get(user.id, product.id))
        assert stored is not None
        assert stored.version == 1

    async def test_set_status_if(self, uow_factory: UnitOfWorkFactory) -> None:
        user = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, user, status=ProductStatus.PROCESSING)
        now = T0 + timedelta(minutes=3)
        assert not await self.in_uow(
            uow_factory,
            lambda uow: uow.products.set_status_if(
                product.id, ProductStatus.DRAFT, ProductStatus.READY, now
            ),
        )
        assert await self.in_uow(
            uow_factory,
            lambda uow: uow.products.set_status_if(
                product.id, ProductStatus.PROCESSING, ProductStatus.REVIEW, now
            ),
        )
        stored = await self.read(uow_factory, lambda uow: uow.products.get(user.id, product.id))
        assert stored == msgspec.structs.replace(
            product, status=ProductStatus.REVIEW, updated_at=now, version=1
        )

    async def test_view_assembles_the_product(self, uow_factory: UnitOfWorkFactory) -> None:
        user = await self.given_user(uow_factory)
        stranger = await self.given_user(uow_factory)
        tab = build_tab(user, "Shoes", 3)
        product = build_product(user, product_tab_id=tab.id, title="Nike", price=Decimal("1.50"))
        images = [build_image(product, 2), build_image(product, 1), build_image(product, 1)]
        draft, research = build_draft(), build_research()
        listings = [
            build_listing("poshmark"),
            build_listing(
                "ebay",
                external_url="https://www.ebay.com/itm/1",
                external_url_added_at=T0 + timedelta(days=2, microseconds=5),
            ),
            build_listing("depop", generated_price_suggestion=None),
        ]
        first_run = build_run(product)
        latest_run = build_run(
            product,
            status=RunStatus.COMPLETED,
            step=Step.MARKETPLACE_LISTINGS_GENERATED,
            started_at=T0 + timedelta(minutes=1),
            finished_at=T0 + timedelta(minutes=2),
            payload={"pipeline_status": "recognized", "review_required": False, "n": [1, 2]},
            attempts=1,
            created_at=T0 + timedelta(minutes=1),
        )

        async def setup(uow: UnitOfWork) -> None:
            await uow.tabs.add(tab)
            await uow.products.add(product)
            await uow.images.add_many(images)
            await uow.products.save_description_draft(product.id, draft)
            await uow.products.save_price_research(product.id, research)
            await uow.products.save_listings(product.id, listings)
            await uow.runs.add(first_run)
            await uow.runs.add(latest_run)

        await self.in_uow(uow_factory, setup)
        view = await self.read(uow_factory, lambda uow: uow.products.view(user.id, product.id))
        assert view is not None
        assert view.product == msgspec.structs.replace(product, latest_run_id=latest_run.id)
        assert view.tab == tab
        assert list(view.images) == sorted(images, key=lambda image: (image.position, image.id))
        assert view.description_draft == draft
        assert view.price_research == research
        assert [listing.marketplace for listing in view.marketplace_listings] == [
            "depop",
            "ebay",
            "poshmark",
        ]
        assert sorted(view.marketplace_listings, key=lambda x: x.id) == sorted(
            listings, key=lambda x: x.id
        )
        assert view.latest_run == latest_run
        assert view.price_research is not None
        assert view.price_research.suggested_max_price == Decimal("9999999999.99")
        _assert_utc(view.price_research.created_at)
        artifacts = await self.read(uow_factory, lambda uow: uow.products.artifacts(product.id))
        assert artifacts == (draft, research, list(view.marketplace_listings))
        assert (
            await self.read(uow_factory, lambda uow: uow.products.view(stranger.id, product.id))
            is None
        )

    async def test_view_of_a_bare_product(self, uow_factory: UnitOfWorkFactory) -> None:
        user = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, user)
        view = await self.read(uow_factory, lambda uow: uow.products.view(user.id, product.id))
        assert view is not None
        assert view.product == product
        assert (view.tab, view.images, view.latest_run) == (None, (), None)
        assert (view.description_draft, view.price_research, view.marketplace_listings) == (
            None,
            None,
            (),
        )
        assert await self.read(uow_factory, lambda uow: uow.products.artifacts(product.id)) == (
            None,
            None,
            [],
        )

    async def test_save_listings_replaces_them(self, uow_factory: UnitOfWorkFactory) -> None:
        user = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, user)
        await self.in_uow(
            uow_factory,
            lambda uow: uow.products.save_listings(
                product.id, [build_listing("ebay"), build_listing("depop")]
            ),
        )
        mercari = build_listing("mercari")
        await self.in_uow(
            uow_factory, lambda uow: uow.products.save_listings(product.id, [mercari])
        )
        _, _, listings = await self.read(
            uow_factory, lambda uow: uow.products.artifacts(product.id)
        )
        assert listings == [mercari]

    # -- product list ------------------------------------------------------------------------------

    async def test_list_only_shows_the_callers_products(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        c = await self.given_catalogue(uow_factory)
        page = await self.page(uow_factory, c.user, sort="updated_at", dir="asc")
        assert [view.product.id for view in page.products] == c.ids(
            "nike", "laptop", "top", "zebra", "banana", "banana2"
        )
        assert (page.page, page.page_size, page.total_count, page.total_pages) == (1, 15, 6, 1)
        nike = page.products[0]
        assert nike.tab == c.tab
        assert list(nike.images) == c.images["nike"]
        assert list(page.products[4].images) == c.images["banana"]
        assert page.products[1].images == ()
        nobody = await self.given_user(uow_factory)
        empty = await self.page(uow_factory, nobody, page="3")
        assert (empty.products, empty.page, empty.total_count, empty.total_pages) == ((), 1, 0, 1)

    async def test_list_filters(self, uow_factory: UnitOfWorkFactory) -> None:
        c = await self.given_catalogue(uow_factory)

        async def ids(**params: str) -> set[str]:
            return set(await self.listed(uow_factory, c.user, **params))

        assert await ids(status="ready") == set(c.ids("nike", "top"))
        assert await ids(status="archived") == set()
        assert await ids(product_tab_id=c.tab.id) == set(c.ids("nike", "banana"))
        assert await ids(product_tab_id=new_id()) == set()
        assert await ids(updated_from="2026-03-13") == set(
            c.ids("top", "zebra", "banana", "banana2")
        )
        assert await ids(updated_to="2026-03-12") == set(c.ids("nike", "laptop"))
        assert await ids(updated_from="2026-03-12", updated_to="2026-03-13") == set(
            c.ids("laptop", "top")
        )
        assert await ids(status="review", product_tab_id=c.tab.id) == set(c.ids("banana"))

    SORT_CASES: dict[str, tuple[str, ...]] = {
        "title": ("top", "laptop", "*banana", "nike", "zebra"),
        "price": ("top", "*zebra", "nike", "~laptop"),
        "status": ("laptop", "*nike", "*banana", "zebra"),
        "updated_at": ("nike", "laptop", "top", "zebra", "banana", "banana2"),
        "inserted_at": ("zebra", "nike", "banana2", "laptop", "top", "banana"),
    }
    """Sort → ascending order of the catalogue. ``*name`` is a tie broken by id (in the same
    direction); ``~name`` is the group of null prices, last in both directions."""

    _TIES: dict[str, tuple[str, ...]] = {
        "*banana": ("banana", "banana2"),
        "*zebra": ("zebra", "banana2"),
        "*nike": ("nike", "top"),
        "~laptop": ("laptop", "banana"),
    }

    def expected_order(self, c: _Catalogue, sort: str, direction: str) -> list[str]:
        """The catalogue's product ids in the order ``sort``/``direction`` must list them."""
        descending = direction == "desc"
        groups = [
            c.by_id(*self._TIES[item], descending=descending) if item in self._TIES else c.ids(item)
            for item in self.SORT_CASES[sort]
        ]
        nulls = [groups.pop()] if sort == "price" else []
        ordered = groups[::-1] if descending else groups
        return [product_id for group in [*ordered, *nulls] for product_id in group]

    async def test_list_sorts(self, uow_factory: UnitOfWorkFactory) -> None:
        c = await self.given_catalogue(uow_factory)
        for sort in self.SORT_CASES:
            for direction in ("asc", "desc"):
                listed = await self.listed(uow_factory, c.user, sort=sort, dir=direction)
                assert listed == self.expected_order(c, sort, direction), (sort, direction)

    async def test_list_pages_and_clamps(self, uow_factory: UnitOfWorkFactory) -> None:
        c = await self.given_catalogue(uow_factory)
        order = c.ids("nike", "laptop", "top", "zebra", "banana", "banana2")

        async def page(
            page: int, size: int, direction: str = "asc", sort: str = "updated_at"
        ) -> tuple[list[str], int, int]:
            result = await self.page(
                uow_factory,
                c.user,
                sort=sort,
                dir=direction,
                page=str(page),
                page_size=str(size),
            )
            assert result.total_count == 6
            assert result.page_size == size
            return [view.product.id for view in result.products], result.page, result.total_pages

        assert await page(1, 4) == (order[:4], 1, 2)
        assert await page(2, 4) == (order[4:], 2, 2)
        assert await page(9, 4) == (order[4:], 2, 2)  # past the end: the (partial) last page
        assert await page(7, 3) == (order[3:], 2, 2)  # past the end: a full last page
        assert await page(99, 2, "desc") == (order[::-1][4:], 3, 3)
        assert await page(2, 6) == (order, 1, 1)
        assert await page(3, 1) == (order[2:3], 3, 6)
        for sort in self.SORT_CASES:  # the clamped last page keeps every sort's order
            for direction in ("asc", "desc"):
                expected = self.expected_order(c, sort, direction)
                assert await page(50, 4, direction, sort) == (expected[4:], 2, 2), (sort, direction)

    SEARCH_CASES: tuple[tuple[str, frozenset[str]], ...] = (
        ("nike", frozenset({"nike"})),
        ("NIKE", frozenset({"nike"})),
        ("nike sneakers", frozenset({"nike"})),
        ("nike banana", frozenset()),
        ('"air max"', frozenset({"nike"})),
        ('"max air"', frozenset()),
        ("air-max", frozenset({"nike"})),
        ("laptop or zebra", frozenset({"laptop", "zebra"})),
        ("top", frozenset({"top", "zebra"})),
        ("ma", frozenset()),
        ("-top", frozenset({"nike", "laptop", "banana", "banana2"})),
        ("banana -nike", frozenset({"banana", "banana2"})),
        ('-"air max"', frozenset({"laptop", "top", "zebra", "banana", "banana2"})),
        ("barely", frozenset({"laptop"})),
        ("white", frozenset({"zebra"})),
        ("90", frozenset({"nike"})),
        ("100% cotton_blend", frozenset()),
    )
    """Query → nicknames of the catalogue products it finds."""

    async def test_list_search(self, uow_factory: UnitOfWorkFactory) -> None:
        """Whole words only (``top`` never matches ``laptop``), AND, phrases, OR, negation."""
        c = await self.given_catalogue(uow_factory)
        names = {product.id: name for name, product in c.products.items()}
        wrong: dict[str, tuple[set[str], set[str]]] = {}
        for query, expected in self.SEARCH_CASES:
            found = {names[i] for i in await self.listed(uow_factory, c.user, query=query)}
            if found != expected:
                wrong[query] = (found, set(expected))
        assert wrong == {}, "query: (found, expected)"

    async def test_list_search_follows_updates(self, uow_factory: UnitOfWorkFactory) -> None:
        user = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, user, title="Red scarf")
        assert await self.listed(uow_factory, user, query="scarf") == [product.id]
        await self.in_uow(
            uow_factory,
            lambda uow: uow.products.update(
                msgspec.structs.replace(product, title="Blue hat", tags=("winter",)),
                expected_version=0,
            ),
        )
        assert await self.listed(uow_factory, user, query="scarf") == []
        assert await self.listed(uow_factory, user, query="winter hat") == [product.id]

    # -- images ----------------------------------------------------------------------------------

    async def test_images_add_update_delete(self, uow_factory: UnitOfWorkFactory) -> None:
        user = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, user)
        other = await self.given_product(uow_factory, user)
        images = [
            build_image(product, 3),
            build_image(product, 1, source_image_ids=("a", "b"), width=800, byte_size=2**33),
            build_image(product, 2),
        ]
        elsewhere = build_image(other, 1)

        async def setup(uow: UnitOfWork) -> None:
            await uow.images.add_many(images)
            await uow.images.add_many([elsewhere])
            await uow.images.add_many([])

        await self.in_uow(uow_factory, setup)
        listed = await self.read(uow_factory, lambda uow: uow.images.for_product(product.id))
        assert listed == [images[1], images[2], images[0]]

        later = T0 + timedelta(hours=1)
        updated = [
            msgspec.structs.replace(
                images[0],
                processing_status=ImageStatus.READY,
                width=640,
                height=480,
                checksum="abc",
                seller_approved=True,
                approved_at=later,
                storefront_visible=True,
                storefront_position=1,
                updated_at=later,
            ),
            msgspec.structs.replace(images[2], position=0, updated_at=later),
        ]

        async def change(uow: UnitOfWork) -> None:
            await uow.images.update_many(updated)
            await uow.images.delete_many([images[1].id])
            await uow.images.update_many([])
            await uow.images.delete_many([])

        await self.in_uow(uow_factory, change)
        listed = await self.read(uow_factory, lambda uow: uow.images.for_product(product.id))
        assert listed == [updated[1], updated[0]]
        assert await self.read(uow_factory, lambda uow: uow.images.for_product(other.id)) == [
            elsewhere
        ]

    # -- processing runs -----------------------------------------------------------------------

    async def test_runs_add_get_update_and_latest(self, uow_factory: UnitOfWorkFactory) -> None:
        user = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, user)
        assert (
            await self.read(uow_factory, lambda uow: uow.runs.latest_for_product(product.id))
            is None
        )
        first, second = build_run(product), build_run(product, created_at=T0 + timedelta(seconds=1))
        await self.in_uow(uow_factory, lambda uow: uow.runs.add(first))
        await self.in_uow(uow_factory, lambda uow: uow.runs.add(second))
        assert await self.read(uow_factory, lambda uow: uow.runs.get(first.id)) == first
        assert (
            await self.read(uow_factory, lambda uow: uow.runs.latest_for_product(product.id))
            == second
        )
        stored = await self.read(uow_factory, lambda uow: uow.products.get(user.id, product.id))
        assert stored is not None
        assert stored.latest_run_id == second.id

        finished = msgspec.structs.replace(
            second,
            status=RunStatus.FAILED,
            step=Step.PRICE_RESEARCHED,
            finished_at=T0 + timedelta(minutes=1),
            error_code="ai_rate_limited",
            error_message="slow down",
            payload={"retryable": True, "detail": {"stage": "price"}},
            updated_at=T0 + timedelta(minutes=1),
        )
        await self.in_uow(uow_factory, lambda uow: uow.runs.update(finished))
        assert await self.read(uow_factory, lambda uow: uow.runs.get(second.id)) == finished
        assert await self.read(uow_factory, lambda uow: uow.runs.get(new_id())) is None

    async def test_claim_queued_run_once(self, uow_factory: UnitOfWorkFactory) -> None:
        user = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, user)
        run = build_run(product)
        await self.in_uow(uow_factory, lambda uow: uow.runs.add(run))
        now = T0 + timedelta(minutes=1)
        stale_before = now - timedelta(minutes=10)
        claimed = await self.in_uow(
            uow_factory, lambda uow: uow.runs.claim(run.id, now, stale_before)
        )
        assert claimed == msgspec.structs.replace(
            run,
            status=RunStatus.RUNNING,
            heartbeat_at=now,
            started_at=now,
            attempts=1,
            updated_at=now,
        )
        assert await self.read(uow_factory, lambda uow: uow.runs.get(run.id)) == claimed
        later = now + timedelta(seconds=5)
        again = await self.in_uow(
            uow_factory, lambda uow: uow.runs.claim(run.id, later, later - timedelta(minutes=10))
        )
        assert again is None
        assert await self.read(uow_factory, lambda uow: uow.runs.claim(new_id(), now, now)) is None

    async def test_claim_reclaims_stale_running_run(self, uow_factory: UnitOfWorkFactory) -> None:
        user = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, user)
        started = T0 + timedelta(minutes=1)
        run = build_run(
            product,
            status=RunStatus.RUNNING,
            started_at=started,
            heartbeat_at=started,
            attempts=1,
            updated_at=started,
        )
        await self.in_uow(uow_factory, lambda uow: uow.runs.add(run))
        now = T0 + timedelta(minutes=30)
        fresh = await self.in_uow(
            uow_factory, lambda uow: uow.runs.claim(run.id, now, started - timedelta(seconds=1))
        )
        assert fresh is None  # its heartbeat is recent enough: the worker is alive
        await self.in_uow(
            uow_factory, lambda uow: uow.runs.heartbeat(run.id, started + timedelta(minutes=5))
        )
        assert (
            await self.in_uow(
                uow_factory,
                lambda uow: uow.runs.claim(run.id, now, started + timedelta(minutes=4)),
            )
            is None
        )
        reclaimed = await self.in_uow(
            uow_factory, lambda uow: uow.runs.claim(run.id, now, now - timedelta(minutes=10))
        )
        assert reclaimed is not None
        assert (reclaimed.status, reclaimed.attempts) == (RunStatus.RUNNING, 2)
        assert (reclaimed.started_at, reclaimed.heartbeat_at, reclaimed.updated_at) == (
            started,
            now,
            now,
        )

    async def test_finished_runs_are_not_claimable(self, uow_factory: UnitOfWorkFactory) -> None:
        user = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, user)
        runs = [
            build_run(product, status=status) for status in (RunStatus.COMPLETED, RunStatus.FAILED)
        ]

        async def setup(uow: UnitOfWork) -> None:
            for run in runs:
                await uow.runs.add(run)

        await self.in_uow(uow_factory, setup)
        far = T0 + timedelta(days=30)
        for run in runs:
            async with uow_factory() as uow:
                assert await uow.runs.claim(run.id, far, far) is None, run.status

    async def test_concurrent_claims_have_one_winner(self, uow_factory: UnitOfWorkFactory) -> None:
        user = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, user)
        run = build_run(product)
        await self.in_uow(uow_factory, lambda uow: uow.runs.add(run))
        now = T0 + timedelta(minutes=1)

        async def claim() -> ProcessingRun | None:
            return await self.in_uow(
                uow_factory, lambda uow: uow.runs.claim(run.id, now, now - timedelta(minutes=5))
            )

        results = await asyncio.gather(*(claim() for _ in range(4)))
        assert sum(result is not None for result in results) == 1
        stored = await self.read(uow_factory, lambda uow: uow.runs.get(run.id))
        assert stored is not None
        assert stored.attempts == 1

    async def test_stale_runs(self, uow_factory: UnitOfWorkFactory) -> None:
        # A base far in the past keeps other tests' runs (on a shared database) out of the way.
        base = datetime(2001, 1, 1, tzinfo=UTC)
        user = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, user)

        def at(minutes: int) -> datetime:
            return base + timedelta(minutes=minutes)

        queued_old = build_run(product, created_at=at(0), updated_at=at(2))
        running_old = build_run(
            product, status=RunStatus.RUNNING, heartbeat_at=at(1), updated_at=at(9)
        )
        running_live = build_run(
            product, status=RunStatus.RUNNING, heartbeat_at=at(20), updated_at=at(1)
        )
        queued_new = build_run(product, updated_at=at(20))
        done_old = build_run(product, status=RunStatus.COMPLETED, updated_at=at(0))
        failed_old = build_run(
            product, status=RunStatus.FAILED, heartbeat_at=at(0), updated_at=at(0)
        )
        runs = [queued_old, running_old, running_live, queued_new, done_old, failed_old]

        async def setup(uow: UnitOfWork) -> None:
            for run in runs:
                await uow.runs.add(run)

        await self.in_uow(uow_factory, setup)
        mine = {run.id for run in runs}
        stale = await self.read(uow_factory, lambda uow: uow.runs.stale(at(10)))
        assert [run.id for run in stale if run.id in mine] == [running_old.id, queued_old.id]
        first = await self.read(uow_factory, lambda uow: uow.runs.stale(at(10), limit=1))
        assert [run.id for run in first] == [running_old.id]

    # -- usage -----------------------------------------------------------------------------------

    async def test_monthly_counts(self, uow_factory: UnitOfWorkFactory) -> None:
        user = await self.given_user(uow_factory)
        stranger = await self.given_user(uow_factory)
        start, end = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
        events = [
            build_usage(user, "ai_drafts", start),
            build_usage(user, "ai_drafts", end - timedelta(microseconds=1), quantity=2),
            build_usage(user, "background_removals", day("2026-03-15"), quantity=4),
            build_usage(user, "ai_drafts", end),
            build_usage(user, "ai_drafts", start - timedelta(seconds=1)),
            build_usage(stranger, "ai_drafts", day("2026-03-15")),
        ]

        async def setup(uow: UnitOfWork) -> None:
            for event in events:
                await uow.usage.record(event)

        await self.in_uow(uow_factory, setup)
        counts = await self.read(
            uow_factory, lambda uow: uow.usage.monthly_counts(user.id, start, end)
        )
        assert counts == {"ai_drafts": 3, "background_removals": 4}
        nobody = await self.read(
            uow_factory, lambda uow: uow.usage.monthly_counts(new_id(), start, end)
        )
        assert nobody == {}

    async def test_daily_usage(self, uow_factory: UnitOfWorkFactory) -> None:
        user = await self.given_user(uow_factory)
        stranger = await self.given_user(uow_factory)
        start = datetime(2026, 3, 10, tzinfo=UTC)
        end = start + timedelta(days=1)
        calls = [
            build_call(user, "llm", start, "0.00125"),
            build_call(user, "llm", start + timedelta(hours=5), "0.5", status="error"),
            build_call(user, "search", start + timedelta(hours=6), "0.01"),
            build_call(user, "image_editor", end - timedelta(microseconds=1), "0.02"),
            build_call(user, "video_renderer", start + timedelta(hours=7), "1"),
            build_call(user, "llm", end, "5"),
            build_call(user, "llm", start - timedelta(seconds=1), "5"),
            build_call(stranger, "llm", start + timedelta(hours=1), "5"),
        ]

        async def setup(uow: UnitOfWork) -> None:
            for call in calls:
                await uow.usage.record_call(call)

        await self.in_uow(uow_factory, setup)
        usage = await self.read(uow_factory, lambda uow: uow.usage.daily_usage(user.id, start, end))
        assert usage == DailyUsage(
            gemini_calls=2,
            serp_api_calls=1,
            photoroom_calls=1,
            cost_usd=Decimal("1.53125"),
        )
        assert (
            await self.read(uow_factory, lambda uow: uow.usage.daily_usage(new_id(), start, end))
            == DailyUsage()
        )


__all__: Sequence[str] = [
    "T0",
    "UnitOfWorkConformance",
    "build_call",
    "build_confirmation",
    "build_draft",
    "build_image",
    "build_listing",
    "build_product",
    "build_research",
    "build_run",
    "build_tab",
    "build_token",
    "build_usage",
    "build_user",
    "day",
    "new_id",
]

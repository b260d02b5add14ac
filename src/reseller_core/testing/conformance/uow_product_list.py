"""Unit-of-work conformance: the product list (filters, sorts, pages, search)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import msgspec

from reseller_core.domain.aggregate import ProductPage
from reseller_core.domain.images import ProductImage
from reseller_core.domain.listing_query import parse_list_query
from reseller_core.domain.products import Product, ProductStatus, ProductTab
from reseller_core.domain.users import User
from reseller_core.ports.unit_of_work import (
    UnitOfWork,
    UnitOfWorkFactory,
)
from reseller_core.testing.conformance.uow_base import UnitOfWorkSuiteBase
from reseller_core.testing.conformance.uow_builders import (
    T0,
    build_image,
    build_product,
    build_tab,
    day,
    new_id,
)


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


class ProductListConformance(UnitOfWorkSuiteBase):
    """The product list answers exactly as the in-memory reference does."""

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

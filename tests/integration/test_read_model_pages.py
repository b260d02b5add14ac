"""``GET /products`` from the read model pages exactly as the product repository lists.

The read model answers a page in one statement: the caller's token joined with the page
(ordered, limited and counted in a subquery) and ordered again outside. Every sort, both
directions, several page sizes, every page and the pages past the last one must give the
ids, order and pagination that ``ProductService.list`` gives (the repository the
conformance suites hold to spec 20 §3.1), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import tempfile
from collections.abc import Callable
from decimal import Decimal

import msgspec
import pytest
from benchmarks.dataset import seller

from reseller_core.commands import SellerFields
from reseller_core.domain.listing_query import parse_list_query
from reseller_entrypoints.embedded import ResellerCore
from tests.integration.conftest import core_on

TITLES = ("denim jacket", "Denim Jacket", "ALPHA", None, "beta", "Émile", "zeta", "Denim", "a")
PRICES = (Decimal("10.00"), None, Decimal("10.00"), Decimal("5.50"), None, Decimal("99.99"))
SORTS = ("updated_at", "inserted_at", "title", "price", "status")
PAGE_SIZES = (1, 2, 4, 100)


def _ids(entries: tuple[object, ...]) -> list[str]:
    ids = []
    for entry in entries:
        assert isinstance(entry, bytes), "every document is fresh here"
        ids.append(msgspec.json.decode(entry)["id"])
    return ids


def test_every_sort_and_page_matches_the_repository_list(
    fx_engine_url: Callable[[str], str],
) -> None:
    async def scenario() -> None:
        async with core_on(fx_engine_url) as core:
            user, token = await seller(core, f"pages-{secrets.token_hex(4)}@example.test")
            created = []
            for n, title in enumerate(TITLES):
                fields = SellerFields(title=title, price=PRICES[n % len(PRICES)])
                created.append((await core.create_product(user, fields)).view.product.id)
            await core.archive(user, created[2])
            await core.update_product(user, created[0], SellerFields(title="denim again"))
            reads = core.container.services.reads
            queries = [
                {"sort": sort, "dir": direction, "page_size": str(size), "page": str(page)}
                for sort, direction, size in itertools.product(SORTS, ("asc", "desc"), PAGE_SIZES)
                for page in range(1, len(TITLES) // size + 3)
            ]
            queries += [
                {"status": "archived"},
                {"status": "draft", "page_size": "3", "page": "9"},
                {"query": "denim", "sort": "title", "dir": "asc", "page_size": "2"},
                {"query": "nothing-matches-this", "page": "4"},
            ]
            read_model = core.container.database.read_model
            cache = read_model.page_cache
            assert cache is not None
            # Read into the page cache, then without it, then from it.
            for kept in (cache, None, cache):
                read_model.page_cache = kept
                for params in queries:
                    expected = await core.products(user, **params)
                    caller, got = await reads.product_page(
                        f"Bearer {token}", parse_list_query(params)
                    )
                    assert caller.context.user.id == user.id
                    listed = expected.page
                    assert _ids(got.entries) == [view.product.id for view in listed.products], (
                        params
                    )
                    assert (got.page, got.page_size, got.total_count, got.total_pages) == (
                        listed.page,
                        listed.page_size,
                        listed.total_count,
                        listed.total_pages,
                    ), params
            assert cache.hits >= len(queries)

    asyncio.run(scenario())


def test_a_page_for_a_bad_token_is_unauthorized_and_an_empty_catalogue_has_one_page(
    tmp_path: object,
) -> None:
    from reseller_core.errors import Unauthorized

    async def scenario() -> None:
        with tempfile.TemporaryDirectory() as data_dir:
            core = await ResellerCore.open(
                f"sqlite+aiosqlite:///{data_dir}/reseller.db", data_dir, run_worker=False
            )
            try:
                _, token = await seller(core, "empty-pages@example.test")
                reads = core.container.services.reads
                for header in (None, "Bearer", "Bearer not-a-token", f"Basic {token}"):
                    with pytest.raises(Unauthorized):
                        await reads.product_page(header, parse_list_query({}))
                _, page = await reads.product_page(
                    f"Bearer {token}", parse_list_query({"page": "5"})
                )
                assert (page.entries, page.page, page.total_count, page.total_pages) == (
                    (),
                    1,
                    0,
                    1,
                )
            finally:
                await core.close()

    asyncio.run(scenario())

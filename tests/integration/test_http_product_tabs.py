"""Product tabs over HTTP (spec 20 §1, decision Q-P9), on the in-memory and SQLite stores."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from reseller_adapters.ai.offline import OfflineAIProvider
from reseller_adapters.images.offline import OfflineImageEditor
from reseller_adapters.marketplaces.builtin import builtin_marketplaces
from reseller_adapters.persistence.sqlalchemy import SqlAlchemyDatabase, upgrade
from reseller_core.testing import PlainPasswordHasher, memory_uow_factory
from reseller_entrypoints.bootstrap import Container, build_container
from reseller_entrypoints.settings import Settings
from tests.integration.conftest import Account, Fakes

Client = AsyncTestClient[Litestar]
TABS = "/api/v1/product_tabs"
UNKNOWN = "01J9ZQ4V7X2M8K3N5P6R7S8T9W"


@pytest.fixture(params=["memory", "sqlite"])
async def fx_container(
    request: pytest.FixtureRequest, fx_settings: Settings, fx_fakes: Fakes, tmp_path: Path
) -> AsyncIterator[Container]:
    ports: dict[str, Any] = {
        "storage": fx_fakes.storage,
        "queue": fx_fakes.queue,
        "ai": OfflineAIProvider(),
        "image_editor": OfflineImageEditor(),
        "rate_limiter": fx_fakes.limiter,
        "mailer": fx_fakes.mailer,
        "hasher": PlainPasswordHasher(),
        "clock": fx_fakes.clock,
        "ids": fx_fakes.ids,
        "marketplaces": builtin_marketplaces(fx_settings.core.supported_marketplaces),
    }
    if request.param == "memory":
        yield await build_container(
            fx_settings,
            database=fx_fakes.database,
            uow=memory_uow_factory(fx_fakes.database.db),
            **ports,
        )
        return
    url = f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    await asyncio.to_thread(upgrade, url)
    database = SqlAlchemyDatabase(url)
    yield await build_container(fx_settings, database=database, uow=database.unit_of_work, **ports)
    await database.dispose()


async def _create(client: Client, account: Account, **fields: object) -> dict[str, Any]:
    response = await client.post(TABS, json={"product_tab": fields}, headers=account.headers)
    assert response.status_code == 201, response.text
    return response.json()["data"]["product_tab"]  # type: ignore[no-any-return]


async def test_create_list_update_delete(fx_client: Client, fx_account: Account) -> None:
    shoes = await _create(fx_client, fx_account, name="  Shoes ")
    assert shoes["name"] == "Shoes" and shoes["position"] == 1
    assert set(shoes) == {"id", "name", "position", "inserted_at", "updated_at"}
    coats = await _create(fx_client, fx_account, name="Coats")
    assert coats["position"] == 2
    first = await _create(fx_client, fx_account, name="Bags", position=1)
    listed = (await fx_client.get(TABS, headers=fx_account.headers)).json()["data"]
    # position asc, then creation order (duplicates allowed)
    assert [t["name"] for t in listed["product_tabs"]] == ["Shoes", "Bags", "Coats"]

    response = await fx_client.patch(
        f"{TABS}/{coats['id']}", json={"product_tab": {"position": 7}}, headers=fx_account.headers
    )
    assert response.status_code == 200
    assert response.json()["data"]["product_tab"] == {
        **coats,
        "position": 7,
        "updated_at": coats["updated_at"],
    }
    response = await fx_client.patch(
        f"{TABS}/{coats['id']}", json={"product_tab": {"name": "COATS"}}, headers=fx_account.headers
    )
    assert response.status_code == 200 and response.json()["data"]["product_tab"]["name"] == "COATS"

    response = await fx_client.delete(f"{TABS}/{first['id']}", headers=fx_account.headers)
    assert response.status_code == 200 and response.json() == {"data": {"deleted": True}}
    listed = (await fx_client.get(TABS, headers=fx_account.headers)).json()["data"]
    assert [t["name"] for t in listed["product_tabs"]] == ["Shoes", "COATS"]


async def test_names_are_unique_ignoring_case(fx_client: Client, fx_account: Account) -> None:
    await _create(fx_client, fx_account, name="Outerwear")
    response = await fx_client.post(
        TABS, json={"product_tab": {"name": " OUTERWEAR "}}, headers=fx_account.headers
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"name": ["has already been taken"]}
    other = await _create(fx_client, fx_account, name="Shoes")
    response = await fx_client.patch(
        f"{TABS}/{other['id']}",
        json={"product_tab": {"name": "outerwear"}},
        headers=fx_account.headers,
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"name": ["has already been taken"]}


async def test_another_seller_may_reuse_a_name(
    fx_client: Client, fx_account: Account, fx_other_account: Account
) -> None:
    mine = await _create(fx_client, fx_account, name="Shoes")
    theirs = await _create(fx_client, fx_other_account, name="shoes")
    assert theirs["position"] == 1
    for method in ("patch", "delete"):
        response = await getattr(fx_client, method)(
            f"{TABS}/{mine['id']}",
            **({"json": {"product_tab": {"name": "x"}}} if method == "patch" else {}),
            headers=fx_other_account.headers,
        )
        assert response.status_code == 404
        assert (
            response.json()["error"]
            == {
                "code": "not_found",
                "detail": "Product tab not found",
                "status": 404,
            }
            or response.json()["error"]["detail"] == "Product tab not found"
        )


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"name": "   "}, {"name": ["can't be blank"]}),
        ({}, {"name": ["can't be blank"]}),
        ({"name": None}, {"name": ["can't be blank"]}),
        ({"name": 5}, {"name": ["is invalid"]}),
        ({"name": "x" * 81}, {"name": ["should be at most 80 character(s)"]}),
        ({"name": "ok", "position": 0}, {"position": ["must be greater than 0"]}),
        ({"name": "ok", "position": "2"}, {"position": ["is invalid"]}),
        ({"name": "ok", "position": True}, {"position": ["is invalid"]}),
        (
            {"name": "", "position": -1},
            {"name": ["can't be blank"], "position": ["must be greater than 0"]},
        ),
    ],
)
async def test_create_validation(
    fx_client: Client, fx_account: Account, body: dict[str, object], fields: dict[str, object]
) -> None:
    response = await fx_client.post(TABS, json={"product_tab": body}, headers=fx_account.headers)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_failed" and error["fields"] == fields
    assert (await fx_client.get(TABS, headers=fx_account.headers)).json()["data"][
        "product_tabs"
    ] == []


@pytest.mark.parametrize(
    "body", [[], "x", {"tab": {}}, {"product_tab": "Shoes"}, {"product_tab": None}]
)
async def test_missing_product_tab_object_is_400(
    fx_client: Client, fx_account: Account, body: object
) -> None:
    tab = await _create(fx_client, fx_account, name="Shoes")
    for method, path in (("post", TABS), ("patch", f"{TABS}/{tab['id']}")):
        response = await getattr(fx_client, method)(path, json=body, headers=fx_account.headers)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "invalid_request"


@pytest.mark.parametrize("tab_id", [UNKNOWN, "nope", UNKNOWN.lower() + "0"])
async def test_unknown_or_malformed_ids_are_404(
    fx_client: Client, fx_account: Account, tab_id: str
) -> None:
    response = await fx_client.patch(
        f"{TABS}/{tab_id}", json={"product_tab": {"name": "x"}}, headers=fx_account.headers
    )
    assert response.status_code == 404
    assert response.json()["error"]["detail"] == "Product tab not found"
    assert (
        await fx_client.delete(f"{TABS}/{tab_id}", headers=fx_account.headers)
    ).status_code == 404


async def test_at_most_fifty_tabs(fx_client: Client, fx_account: Account) -> None:
    for n in range(50):
        await _create(fx_client, fx_account, name=f"Tab {n}")
    response = await fx_client.post(
        TABS, json={"product_tab": {"name": "One more"}}, headers=fx_account.headers
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {
        "product_tabs": ["should have at most 50 item(s)"]
    }


async def test_products_follow_their_tab(fx_client: Client, fx_account: Account) -> None:
    tab = await _create(fx_client, fx_account, name="Shoes")
    created = await fx_client.post(
        "/api/v1/products",
        json={"product": {"title": "Boot", "product_tab_id": tab["id"]}},
        headers=fx_account.headers,
    )
    product_id = created.json()["data"]["product"]["id"]
    path = f"/api/v1/products/{product_id}"
    await fx_client.patch(
        f"{TABS}/{tab['id']}",
        json={"product_tab": {"name": "Boots", "position": 3}},
        headers=fx_account.headers,
    )
    product = (await fx_client.get(path, headers=fx_account.headers)).json()["data"]["product"]
    assert product["product_tab"] == {"id": tab["id"], "name": "Boots", "position": 3}
    await fx_client.delete(f"{TABS}/{tab['id']}", headers=fx_account.headers)
    product = (await fx_client.get(path, headers=fx_account.headers)).json()["data"]["product"]
    assert product["product_tab_id"] is None and product["product_tab"] is None
    assert product["title"] == "Boot"


async def test_tabs_need_a_token(fx_client: Client) -> None:
    assert (await fx_client.get(TABS)).status_code == 401
    assert (await fx_client.post(TABS, json={"product_tab": {"name": "x"}})).status_code == 401


async def test_the_database_refuses_a_second_name_differing_only_in_case(
    fx_container: Container, fx_account: Account
) -> None:
    """The store's unique key backs the service's check: two writes that both passed it
    (two requests checking at the same time) cannot both store the name."""
    from reseller_core.domain.products import ProductTab
    from reseller_core.errors import Conflict

    now = fx_container.deps.clock.now()

    def tab(tab_id: str, name: str) -> ProductTab:
        return ProductTab(
            id=tab_id, user_id=fx_account.user_id, name=name, position=1,
            created_at=now, updated_at=now,
        )  # fmt: skip

    async with fx_container.deps.uow() as uow:
        await uow.tabs.add(tab("01J9ZQ4V7X2M8K3N5P6R7S8T9A", "Shoes"))
        with pytest.raises(Conflict):
            await uow.tabs.add(tab("01J9ZQ4V7X2M8K3N5P6R7S8T9B", " SHOES"))

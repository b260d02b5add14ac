"""The seller's storefront API (spec 40 §5) and the inquiries API (§8) over HTTP."""

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
from reseller_core.domain.themes import THEMES
from reseller_core.testing import PlainPasswordHasher, memory_uow_factory
from reseller_entrypoints.bootstrap import Container, build_container
from reseller_entrypoints.settings import Settings
from tests.integration.conftest import Account, Fakes

Client = AsyncTestClient[Litestar]


@pytest.fixture(params=["memory", "sqlite"])
async def fx_container(
    request: pytest.FixtureRequest, fx_settings: Settings, fx_fakes: Fakes, tmp_path: Path
) -> AsyncIterator[Container]:
    """Every test here runs on the in-memory unit of work and on SQLite's migrated schema."""
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


UNKNOWN = "01J9ZQ4V7X2M8K3N5P6R7S8T9W"


async def _save(client: Client, account: Account, **fields: object) -> dict[str, object]:
    response = await client.put(
        "/api/v1/storefront", json={"storefront": fields}, headers=account.headers
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]["storefront"]  # type: ignore[no-any-return]


async def test_virtual_storefront_then_create_and_merge(
    fx_client: Client, fx_account: Account
) -> None:
    response = await fx_client.get("/api/v1/storefront", headers=fx_account.headers)
    data = response.json()["data"]
    assert data["storefront"]["id"] is None and data["storefront"]["theme_id"] == "desert-clay"
    assert data["storefront"]["enabled"] is False and data["storefront"]["pages"] == []
    assert [t["id"] for t in data["themes"]] == [t.id for t in THEMES] and len(THEMES) == 42
    assert data["themes"][0]["colors"]["hero_overlay"] == "rgba(52, 38, 27, 0.48)"

    created = await _save(fx_client, fx_account, slug="  Café Rétro!! ", title=" My Store ")
    assert created["slug"] == "cafe-retro" and created["title"] == "My Store"
    merged = await _save(fx_client, fx_account, enabled="true", tagline="  ")
    assert merged["enabled"] is True and merged["slug"] == "cafe-retro"
    assert merged["tagline"] is None and merged["id"] == created["id"]


async def test_storefront_validation_fields(
    fx_client: Client, fx_account: Account, fx_other_account: Account
) -> None:
    await _save(fx_client, fx_other_account, slug="shared store", title="Other")
    cases = [
        ({"slug": "!!!", "title": "x"}, "slug", ["can't be blank"]),
        ({"slug": "ab", "title": "x"}, "slug", ["should be at least 3 character(s)"]),
        ({"slug": "магазин", "title": "x"}, "slug", ["has invalid format"]),
        ({"slug": "shared-store", "title": "x"}, "slug", ["has already been taken"]),
        ({"slug": "admin", "title": "x"}, "slug", ["is reserved"]),
        ({"slug": "good-one"}, "title", ["can't be blank"]),
        ({"slug": "good-one", "title": "x", "theme_id": "nope"}, "theme_id", ["is invalid"]),
        ({"slug": "good-one", "title": "x", "enabled": "maybe"}, "enabled", ["is invalid"]),
    ]
    for body, field, messages in cases:
        response = await fx_client.put(
            "/api/v1/storefront", json={"storefront": body}, headers=fx_account.headers
        )
        assert response.status_code == 422, (body, response.text)
        error = response.json()["error"]
        assert error["code"] == "validation_failed" and error["fields"][field] == messages, body
    bad = await fx_client.put("/api/v1/storefront", json={"x": 1}, headers=fx_account.headers)
    assert (
        bad.status_code == 400 and bad.json()["error"]["detail"] == "storefront payload is required"
    )
    unauth = await fx_client.get("/api/v1/storefront")
    assert unauth.status_code == 401


async def test_pages_crud_order_and_ownership(
    fx_client: Client, fx_account: Account, fx_other_account: Account
) -> None:
    early = await fx_client.post(
        "/api/v1/storefront/pages",
        json={"page": {"title": "A", "body": "b"}},
        headers=fx_account.headers,
    )
    assert early.status_code == 422 and early.json()["error"]["code"] == "storefront_not_found"
    await _save(fx_client, fx_account, slug="my-store", title="My Store")
    ids = []
    for title in ("Shipping & Returns", "About us", "Contact"):
        response = await fx_client.post(
            "/api/v1/storefront/pages",
            json={"page": {"title": title, "body": "Text", "published": True}},
            headers=fx_account.headers,
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["data"]["page"]["id"])
    first = (await fx_client.get("/api/v1/storefront/pages", headers=fx_account.headers)).json()
    assert [p["slug"] for p in first["data"]["pages"]] == [
        "shipping-returns",
        "about-us",
        "contact",
    ]
    assert [p["position"] for p in first["data"]["pages"]] == [1, 2, 3]
    dup = await fx_client.post(
        "/api/v1/storefront/pages",
        json={"page": {"title": "x" * 41, "slug": "contact", "body": "b"}},
        headers=fx_account.headers,
    )
    assert dup.json()["error"]["fields"] == {
        "slug": ["has already been taken"],
        "menu_label": ["should be at most 40 character(s)"],
    }
    patched = await fx_client.patch(
        f"/api/v1/storefront/pages/{ids[0].lower()}",
        json={"page": {"title": "Shipping", "menu_label": " "}},
        headers=fx_account.headers,
    )
    page = patched.json()["data"]["page"]
    assert page["menu_label"] == "Shipping" and page["slug"] == "shipping-returns"
    order = await fx_client.put(
        "/api/v1/storefront/pages/order",
        json={"page_ids": [ids[2], ids[0], ids[1]]},
        headers=fx_account.headers,
    )
    assert [p["id"] for p in order.json()["data"]["pages"]] == [ids[2], ids[0], ids[1]]
    for body, status, code in (
        ({"page_ids": "x"}, 400, "invalid_request"),
        ({"page_ids": [ids[0], ids[0], ids[1]]}, 422, "reorder_failed"),
        ({"page_ids": [ids[0]]}, 422, "validation_failed"),
        ({"page_ids": [UNKNOWN, ids[0], ids[1]]}, 422, "validation_failed"),
        ({"page_ids": ["abc"]}, 422, "validation_failed"),
    ):
        response = await fx_client.put(
            "/api/v1/storefront/pages/order", json=body, headers=fx_account.headers
        )
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), body
    for bad_id in (UNKNOWN, "abc", "123", UNKNOWN + "X"):
        for method in ("PATCH", "DELETE"):
            response = await fx_client.request(
                method,
                f"/api/v1/storefront/pages/{bad_id}",
                json={"page": {}},
                headers=fx_account.headers,
            )
            assert response.status_code == 404, (method, bad_id)
    # /pages/order is a known path: a wrong method there is 405 (decision 60-9).
    order_patch = await fx_client.patch(
        "/api/v1/storefront/pages/order", json={}, headers=fx_account.headers
    )
    assert order_patch.status_code == 405
    foreign = await fx_client.delete(
        f"/api/v1/storefront/pages/{ids[0]}", headers=fx_other_account.headers
    )
    assert (
        foreign.status_code == 404
        and foreign.json()["error"]["detail"] == "Storefront page not found"
    )
    deleted = await fx_client.delete(
        f"/api/v1/storefront/pages/{ids[0]}", headers=fx_account.headers
    )
    assert deleted.json() == {"data": {"deleted": True}}


async def test_branding_asset_prepare_and_delete(
    fx_client: Client, fx_account: Account, fx_unconfirmed: Account
) -> None:
    body = {"asset": {"filename": "logo.svg", "content_type": "image/png", "byte_size": 48000}}
    early = await fx_client.post(
        "/api/v1/storefront/assets/logo/prepare_upload", json=body, headers=fx_account.headers
    )
    assert early.json()["error"]["code"] == "storefront_not_found"
    gated = await fx_client.post(
        "/api/v1/storefront/assets/logo/prepare_upload", json=body, headers=fx_unconfirmed.headers
    )
    assert gated.status_code == 403
    await _save(fx_client, fx_account, slug="my-store", title="My Store")
    first = await fx_client.post(
        "/api/v1/storefront/assets/ LOGO /prepare_upload", json=body, headers=fx_account.headers
    )
    assert first.status_code == 200, first.text
    data = first.json()["data"]
    assert (
        data["asset"]["storage_key"].endswith(".png") and "/logo/" in data["asset"]["storage_key"]
    )
    assert data["upload_instruction"]["method"] == "PUT"
    again = await fx_client.post(
        "/api/v1/storefront/assets/logo/prepare_upload", json=body, headers=fx_account.headers
    )
    assert again.json()["data"]["asset"]["id"] == data["asset"]["id"]
    for kind, asset, field in (
        ("banner", body["asset"], "kind"),
        ("logo", {"filename": "x.svg", "content_type": "image/svg+xml"}, "content_type"),
        ("logo", {"filename": "x", "content_type": "text/html"}, "content_type"),
        (
            "logo",
            {"filename": "x", "content_type": "image/png", "byte_size": 10_000_001},
            "byte_size",
        ),
        ("logo", {"filename": "x\u0000.png", "content_type": "image/png"}, "filename"),
        ("logo", {"filename": "x", "content_type": "image/png", "checksum": "a\u0000"}, "checksum"),
    ):
        response = await fx_client.post(
            f"/api/v1/storefront/assets/{kind}/prepare_upload",
            json={"asset": asset},
            headers=fx_account.headers,
        )
        assert response.status_code == 422 and field in response.json()["error"]["fields"], asset
    store = (await fx_client.get("/api/v1/storefront", headers=fx_account.headers)).json()
    assert store["data"]["storefront"]["image_urls"] == [again.json()["data"]["asset"]["url"]]
    assert (
        await fx_client.delete("/api/v1/storefront/assets/logo", headers=fx_account.headers)
    ).status_code == 200
    assert (
        await fx_client.delete("/api/v1/storefront/assets/logo", headers=fx_account.headers)
    ).status_code == 404
    assert (
        await fx_client.delete("/api/v1/storefront/assets/bogus", headers=fx_account.headers)
    ).status_code == 404


async def test_inquiries_empty_and_delete_unknown(fx_client: Client, fx_account: Account) -> None:
    response = await fx_client.get(
        "/api/v1/inquiries?page=x&page_size=500", headers=fx_account.headers
    )
    assert response.json() == {
        "data": {
            "inquiries": [],
            "pagination": {"page": 1, "page_size": 100, "total_count": 0, "total_pages": 1},
        }
    }
    for bad in (UNKNOWN, "abc"):
        gone = await fx_client.delete(f"/api/v1/inquiries/{bad}", headers=fx_account.headers)
        assert gone.status_code == 404 and gone.json()["error"]["detail"] == "Inquiry not found"


async def test_embedding_api_offers_the_storefront_operations(fx_container: Container) -> None:
    from reseller_core.commands.storefronts import SavePage, SaveStorefront
    from reseller_entrypoints.embedded import ResellerCore

    core = ResellerCore(fx_container)
    issued = await core.register("embed@example.com", "correct horse battery")
    user = issued.user
    view = await core.storefronts.save(user, SaveStorefront(slug="Embedded Shop", title="Shop"))
    assert view.storefront is not None and view.storefront.slug == "embedded-shop"
    page = await core.storefronts.create_page(user, SavePage(title="About", body="Hi"))
    assert page.slug == "about" and page.menu_label == "About"

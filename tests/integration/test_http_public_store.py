"""The public storefront pages and the inquiry form over HTTP (spec 40 §6, §7; 60 §9)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from reseller_adapters.ai.offline import OfflineAIProvider
from reseller_adapters.images.offline import OfflineImageEditor
from reseller_adapters.marketplaces.builtin import builtin_marketplaces
from reseller_adapters.persistence.sqlalchemy import SqlAlchemyDatabase, upgrade
from reseller_adapters.persistence.sqlalchemy.read_model import SqlProductReadModel
from reseller_core.domain.products import ProductStatus
from reseller_core.services.storage_cleanup import storage_cleanup_job_handlers
from reseller_core.testing import PlainPasswordHasher, memory_uow_factory
from reseller_entrypoints.bootstrap import Container, build_container
from reseller_entrypoints.http.app_state import PAGE_CACHE
from reseller_entrypoints.http.documents import PayloadRenderer
from reseller_entrypoints.http.page_cache import PageCache
from reseller_entrypoints.settings import Settings
from tests.integration.conftest import Account, Fakes
from tests.storefront.seeding import seed_store

Client = AsyncTestClient[Litestar]


@pytest.fixture(params=["memory", "sqlite"])
async def fx_container(
    request: pytest.FixtureRequest, fx_settings: Settings, fx_fakes: Fakes, tmp_path: Path
) -> AsyncIterator[Container]:
    """In memory (one view at a time) and on SQLite with the read model's batched views."""
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
            fx_settings, database=fx_fakes.database, uow=memory_uow_factory(fx_fakes.database.db),
            **ports,
        )  # fmt: skip
        return
    url = f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    await asyncio.to_thread(upgrade, url)
    database = SqlAlchemyDatabase(url)
    read_model = SqlProductReadModel(PayloadRenderer(fx_fakes.storage.public_url))
    yield await build_container(
        fx_settings, database=database, uow=database.unit_of_work, read_model=read_model, **ports
    )
    await database.dispose()


async def _user(container: Container, account: Account):  # type: ignore[no-untyped-def]
    return await container.services.accounts.confirm_email(account.email)


def _csrf(html: str) -> str:
    found = re.search(r'name="_csrf_token" value="([0-9a-f]+)"', html)
    assert found
    return found.group(1)


async def test_catalogue_product_and_page_render_with_headers(
    fx_client: Client, fx_container: Container, fx_account: Account
) -> None:
    store = await seed_store(fx_container, await _user(fx_container, fx_account))
    response = await fx_client.get("/store/Fresh%20Threads")
    assert response.status_code == 200
    html = response.text
    assert "Fresh Threads" in html and "Levi&#39;s 501 Jeans" in html
    assert "SECRET-SKU" not in html and "private seller note" not in html
    assert (
        "<strong>6</strong> live items" in html
        and ">Shipping<" in html
        and "Draft page" not in html
    )
    headers = response.headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert (
        "unsafe-inline"
        not in headers["content-security-policy"].split("script-src")[1].split(";")[0]
    )
    assert (
        headers["x-frame-options"] == "SAMEORIGIN"
        and headers["x-content-type-options"] == "nosniff"
    )
    assert headers["cache-control"].startswith("public") and headers["etag"]
    again = await fx_client.get("/store/fresh-threads", headers={"if-none-match": headers["etag"]})
    assert again.status_code == 304

    search = await fx_client.get("/store/fresh-threads?q=wool")
    assert "Wool Overcoat" in search.text and "Leather Belt" not in search.text
    secret = await fx_client.get("/store/fresh-threads?q=SECRET-SKU-1")
    assert "No products matched that search." in secret.text

    product = await fx_client.get(f"/store/fresh-threads/products/{store.refs[1]}")
    assert product.status_code == 200
    text = product.text
    assert (
        f'<link rel="canonical" href="http://127.0.0.1:8000/store/fresh-threads/products/{store.refs[1]}">'
        in text
    )
    assert '<meta property="og:title" content="Wool Overcoat">' in text
    assert '"@type":"Product"' in text and '"price":"148.00"' in text and "InStock" in text
    assert "$148.00" in text and product.headers["cache-control"] in (
        "no-store",
        "private, no-cache",
    )
    stale_slug = await fx_client.get(
        f"/store/fresh-threads/products/{store.product_ids[1]}-old-name", follow_redirects=False
    )
    assert stale_slug.status_code == 301  # decision 40-10
    assert stale_slug.headers["location"] == f"/store/fresh-threads/products/{store.refs[1]}"
    bare_id = await fx_client.get(f"/store/fresh-threads/products/{store.product_ids[1]}")
    assert bare_id.status_code == 200 and str(bare_id.url).endswith(store.refs[1])

    page = await fx_client.get("/store/fresh-threads/pages/Shipping")
    assert page.status_code == 200 and "<p>Returns within 14 days.</p>" in page.text


async def test_not_found_kinds(
    fx_client: Client, fx_container: Container, fx_account: Account, fx_other_account: Account
) -> None:
    user = await _user(fx_container, fx_account)
    store = await seed_store(fx_container, user)
    other = await seed_store(
        fx_container, await _user(fx_container, fx_other_account), slug="closed-shop", enabled=False
    )
    for path in (
        "/store/closed-shop",
        "/store/nope",
        "/store/!!!",
        f"/store/closed-shop/products/{other.refs[0]}",
    ):
        response = await fx_client.get(path)
        assert response.status_code == 404 and "<h1>Not Found</h1>" in response.text, path
    for path in ("/store/fresh-threads/products/a/b", "/store/fresh-threads/nope"):
        response = await fx_client.get(path)
        assert response.status_code == 404 and "<h1>Not Found</h1>" in response.text, path
        assert "closed" not in response.text.lower()
    for ref in (
        "garbage",
        "01J9ZQ4V7X2M8K3N5P6R7S8T9W",
        other.refs[0],
        "<script>alert(1)",
        "é",
        "%00",
    ):
        response = await fx_client.get(f"/store/fresh-threads/products/{ref}")
        assert response.status_code == 404, ref
        assert "That product is not available right now." in response.text
        assert "<script>alert" not in response.text
    draft = await fx_client.get("/store/fresh-threads/pages/draft-page")
    assert draft.status_code == 404 and "That page is not available right now." in draft.text
    for status in (ProductStatus.SOLD, ProductStatus.ARCHIVED, ProductStatus.REVIEW):
        hidden = await seed_store_product(fx_container, user, status=status)
        response = await fx_client.get(f"/store/fresh-threads/products/{hidden}")
        assert response.status_code == 404 and "That product is not available" in response.text
    unpublished = await seed_store_product(fx_container, user, storefront_enabled=False)
    assert (await fx_client.get(f"/store/fresh-threads/products/{unpublished}")).status_code == 404
    no_original = await seed_store_product(fx_container, user, images=())
    assert (await fx_client.get(f"/store/fresh-threads/products/{no_original}")).status_code == 404
    assert store.refs


async def seed_store_product(container: Container, user, **kwargs):  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from tests.transfers.seeding import seed_product

    deps = container.deps
    now = deps.clock.now()
    extra = {"storefront_enabled": kwargs.pop("storefront_enabled", True),
             "storefront_published_at": now - timedelta(days=1)}  # fmt: skip
    product = await seed_product(
        deps.uow, deps.storage, deps.ids, now, user.id, extra=extra, **kwargs
    )
    return product.id


async def test_inquiry_flow_csrf_honeypot_limits_and_api(
    fx_client: Client, fx_container: Container, fx_account: Account, fx_fakes: Fakes
) -> None:
    store = await seed_store(fx_container, await _user(fx_container, fx_account))
    path = f"/store/fresh-threads/products/{store.refs[0]}"
    page = await fx_client.get(path)
    token = _csrf(page.text)
    form = {
        "_csrf_token": token,
        "inquiry[full_name]": "Jane Buyer",
        "inquiry[contact]": "jane@example.com",
        "inquiry[message]": "Is this still available?",
        "inquiry[website]": "",
    }
    missing = await fx_client.post(f"{path}/inquiries", data={**form, "_csrf_token": "x"})
    assert missing.status_code == 403
    sent = await fx_client.post(f"{path}/inquiries", data=form, follow_redirects=False)
    assert sent.status_code == 302 and sent.headers["location"] == path
    shown = await fx_client.get(path)
    assert "Your request has been sent. The seller will be in touch soon." in shown.text
    honeypot = await fx_client.post(
        f"{path}/inquiries",
        data={**form, "inquiry[website]": "http://spam"},
        follow_redirects=False,
    )
    assert honeypot.status_code == 302 and honeypot.headers["location"] == path
    assert honeypot.headers.get_list("set-cookie") == sent.headers.get_list("set-cookie")
    assert honeypot.content == sent.content
    invalid = await fx_client.post(
        f"{path}/inquiries", data={**form, "inquiry[full_name]": "  "}, follow_redirects=False
    )
    assert invalid.status_code == 302
    assert (
        "Could not submit request: full_name: can&#39;t be blank"
        in (await fx_client.get(path)).text
    )
    listed = (await fx_client.get("/api/v1/inquiries", headers=fx_account.headers)).json()["data"]
    assert [i["full_name"] for i in listed["inquiries"]] == ["Jane Buyer"]
    assert listed["inquiries"][0]["product_id"] == store.product_ids[0]
    assert listed["inquiries"][0]["source_path"] == path
    mails = [m for m in fx_fakes.mailer.sent if m.tag == "storefront_inquiry"]
    assert len(mails) == 1 and mails[0].subject == "New inquiry on Fresh Threads"
    assert (
        f"Product ID: {store.product_ids[0]}" in mails[0].text
        and "From: Jane Buyer" in mails[0].text
    )
    for _ in range(3):  # 1 stored + 1 invalid counted; 3 more reach the limit of 5
        await fx_client.post(f"{path}/inquiries", data=form)
    limited = await fx_client.post(f"{path}/inquiries", data=form, follow_redirects=False)
    assert limited.status_code == 302
    assert "Too many requests. Please try again later." in (await fx_client.get(path)).text
    oversized = await fx_client.post(
        f"{path}/inquiries", data={**form, "inquiry[message]": "x" * 100_000}
    )
    assert oversized.status_code == 413
    filtered = await fx_client.get("/api/v1/inquiries?q=JANE", headers=fx_account.headers)
    first_id = filtered.json()["data"]["inquiries"][0]["id"]
    assert (
        await fx_client.delete(f"/api/v1/inquiries/{first_id}", headers=fx_account.headers)
    ).status_code == 200


async def test_public_pages_are_reused_for_their_ttl_with_each_visitors_own_csrf_token(
    fx_client: Client, fx_app: Litestar, fx_container: Container, fx_account: Account
) -> None:
    """The page cache: the same bytes until the TTL passes, then the seller's edit shows;
    a cached product page still carries each visitor's own, working CSRF token."""
    now = [1000.0]
    fx_app.state[PAGE_CACHE] = PageCache(5, clock=lambda: now[0])
    store = await seed_store(fx_container, await _user(fx_container, fx_account))
    first = await fx_client.get("/store/fresh-threads")
    assert "Wool Overcoat" in first.text
    edited = await fx_client.patch(
        f"/api/v1/products/{store.product_ids[1]}",
        json={"product": {"title": "Cashmere Overcoat"}},
        headers=fx_account.headers,
    )
    assert edited.status_code == 200, edited.text
    assert (await fx_client.get("/store/fresh-threads")).content == first.content
    now[0] += 5.0
    fresh = await fx_client.get("/store/fresh-threads")
    assert "Cashmere Overcoat" in fresh.text and "Wool Overcoat" not in fresh.text

    path = f"/store/fresh-threads/products/{store.refs[0]}"
    tokens = []
    for _ in range(2):
        fx_client.cookies.clear()
        page = await fx_client.get(path)
        assert page.status_code == 200 and "\x00" not in page.text
        tokens.append(_csrf(page.text))
        form = {
            "_csrf_token": tokens[-1],
            "inquiry[full_name]": "Jane Buyer",
            "inquiry[contact]": "jane@example.com",
            "inquiry[message]": "Is this still available?",
            "inquiry[website]": "",
        }
        sent = await fx_client.post(f"{path}/inquiries", data=form, follow_redirects=False)
        assert sent.status_code == 302
        shown = await fx_client.get(path)
        assert "Your request has been sent." in shown.text
        assert _csrf(shown.text) == tokens[-1]
    assert tokens[0] != tokens[1]


async def test_a_burst_of_visitors_renders_an_expired_page_once(
    fx_client: Client,
    fx_app: Litestar,
    fx_container: Container,
    fx_account: Account,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When a cached page is missing, one request renders it and the others wait for it."""
    fx_app.state[PAGE_CACHE] = PageCache(5)
    store = await seed_store(fx_container, await _user(fx_container, fx_account))
    service = fx_container.services.public_store
    reads: list[str] = []

    def counted(name: str) -> Any:
        original = getattr(service, name)

        async def read(*args: Any) -> Any:
            reads.append(name)
            await asyncio.sleep(0.05)  # a slow database: the others arrive meanwhile
            return await original(*args)

        return read

    for name in ("catalogue", "product"):
        monkeypatch.setattr(service, name, counted(name))
    # Requests side by side on this event loop (the test client sends one at a time).
    transport = httpx.ASGITransport(app=fx_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://store.test") as client:
        for path in ("/store/fresh-threads", f"/store/fresh-threads/products/{store.refs[0]}"):
            answers = await asyncio.gather(*(client.get(path) for _ in range(8)))
            assert {answer.status_code for answer in answers} == {200}
    assert reads == ["catalogue", "product"]


async def test_without_the_page_cache_a_sellers_edit_shows_at_once(
    fx_client: Client, fx_app: Litestar, fx_container: Container, fx_account: Account
) -> None:
    fx_app.state[PAGE_CACHE] = PageCache(0)
    store = await seed_store(fx_container, await _user(fx_container, fx_account))
    assert "Wool Overcoat" in (await fx_client.get("/store/fresh-threads")).text
    await fx_client.patch(
        f"/api/v1/products/{store.product_ids[1]}",
        json={"product": {"title": "Cashmere Overcoat"}},
        headers=fx_account.headers,
    )
    assert "Cashmere Overcoat" in (await fx_client.get("/store/fresh-threads")).text
    assert len(fx_app.state[PAGE_CACHE]) == 0


async def test_a_branding_asset_is_public_only_once_its_upload_is_verified(
    fx_client: Client, fx_app: Litestar, fx_container: Container, fx_account: Account,
    fx_fakes: Fakes,
) -> None:  # fmt: skip
    """Decision 40-4: the seller's re-read after the upload ``HEAD``s the object; only an
    acceptable one reaches the public pages, and replaced or refused objects are deleted."""
    fx_app.state[PAGE_CACHE] = PageCache(0)
    await seed_store(fx_container, await _user(fx_container, fx_account))
    storage = fx_fakes.storage
    for name, handler in storage_cleanup_job_handlers(storage).items():
        fx_fakes.queue.register(name, handler)

    async def prepare(kind: str, size: int) -> dict[str, Any]:
        response = await fx_client.post(
            f"/api/v1/storefront/assets/{kind}/prepare_upload",
            json={"asset": {"filename": "x.png", "content_type": "image/png", "byte_size": size}},
            headers=fx_account.headers,
        )
        assert response.status_code == 200, response.text
        asset: dict[str, Any] = response.json()["data"]["asset"]
        return asset

    async def public_logo() -> bool:
        return 'class="logo"' in (await fx_client.get("/store/fresh-threads")).text

    logo = await prepare("logo", 1000)
    await fx_client.get("/api/v1/storefront", headers=fx_account.headers)
    assert not await public_logo()  # prepared, nothing uploaded yet
    storage.put_object_directly(logo["storage_key"], b"\x89PNG" + b"0" * 996, "image/png")
    assert not await public_logo()  # uploaded, not yet checked
    seller_view = await fx_client.get("/api/v1/storefront", headers=fx_account.headers)
    assert seller_view.status_code == 200
    assert await public_logo()

    replacement = await prepare("logo", 1000)
    assert replacement["id"] == logo["id"]
    await fx_fakes.queue.run_all(raise_errors=True)
    assert logo["storage_key"] not in list(storage.keys())  # the replaced object is gone
    assert not await public_logo()
    storage.put_object_directly(replacement["storage_key"], b"<html>" + b"0" * 10, "text/html")
    await fx_client.get("/api/v1/storefront", headers=fx_account.headers)
    await fx_fakes.queue.run_all(raise_errors=True)
    assert not await public_logo()  # wrong content type: refused, and the object deleted
    assert replacement["storage_key"] not in list(storage.keys())

    header = await prepare("header", 100)
    storage.put_object_directly(header["storage_key"], b"0" * 101, "image/png")
    await fx_client.get("/api/v1/storefront", headers=fx_account.headers)
    await fx_fakes.queue.run_all(raise_errors=True)
    assert header["storage_key"] not in list(storage.keys())  # larger than declared
    deleted = await fx_client.delete("/api/v1/storefront/assets/header", headers=fx_account.headers)
    assert deleted.status_code == 200


async def test_an_inquiry_outlives_its_product_with_no_product_id(
    fx_client: Client, fx_container: Container, fx_account: Account
) -> None:
    """The in-memory store and SQL (``ON DELETE SET NULL``) agree."""
    store = await seed_store(fx_container, await _user(fx_container, fx_account))
    path = f"/store/fresh-threads/products/{store.refs[0]}"
    token = _csrf((await fx_client.get(path)).text)
    form = {
        "_csrf_token": token,
        "inquiry[full_name]": "Jane Buyer",
        "inquiry[contact]": "jane@example.com",
        "inquiry[message]": "Still available?",
        "inquiry[website]": "",
    }
    assert (
        await fx_client.post(f"{path}/inquiries", data=form, follow_redirects=False)
    ).status_code == 302
    deleted = await fx_client.delete(
        f"/api/v1/products/{store.product_ids[0]}", headers=fx_account.headers
    )
    assert deleted.status_code == 200
    listed = (await fx_client.get("/api/v1/inquiries", headers=fx_account.headers)).json()
    (inquiry,) = listed["data"]["inquiries"]
    assert inquiry["full_name"] == "Jane Buyer" and inquiry["product_id"] is None

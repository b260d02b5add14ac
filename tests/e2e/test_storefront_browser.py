"""The public storefront in real headless Chromium (Debian's binary, driven by Playwright).

A real server (uvicorn) runs the app over the in-memory fakes; product photos are served to
the browser by request interception, so nothing leaves the machine. Screenshots of the
catalogue and a product page at 390 px and 1280 px for three themes go to ``tmp_path``.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import socket
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from PIL import Image, ImageDraw
from playwright.async_api import Browser, Page, Route, async_playwright

from reseller_adapters.ai.offline import OfflineAIProvider
from reseller_adapters.images.offline import OfflineImageEditor
from reseller_adapters.marketplaces.builtin import builtin_marketplaces
from reseller_core.commands.accounts import Register
from reseller_core.commands.storefronts import SavePage, SaveStorefront
from reseller_core.domain.users import User
from reseller_core.services.config import CoreConfig
from reseller_core.testing import (
    FixedClock,
    MemoryDatabase,
    MemoryMailer,
    MemoryObjectStorage,
    PlainPasswordHasher,
    RecordingRateLimiter,
    RecordingTaskQueue,
    SequentialIds,
    memory_uow_factory,
)
from reseller_entrypoints.bootstrap import Container, build_container
from reseller_entrypoints.http import create_app
from reseller_entrypoints.settings import Settings
from tests.integration.conftest import MemoryDatabaseHandle
from tests.storefront.seeding import SeededStore, seed_store

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
FILES = "https://files.example.test/"
IP_LIMIT = 3

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium (.ci/run installs it)"
)


def _photo(key: str) -> bytes:
    """A product-like photo per key: a soft gradient and a rounded garment silhouette."""
    digest = hashlib.sha256(key.encode()).digest()
    base = (digest[0] // 2 + 100, digest[1] // 2 + 90, digest[2] // 2 + 80)
    image = Image.new("RGB", (600, 750), base)
    draw = ImageDraw.Draw(image)
    for y in range(750):
        shade = int(40 * y / 750)
        draw.line([(0, y), (600, y)], fill=tuple(max(0, c - shade) for c in base))
    garment = (digest[3], digest[4] // 2, digest[5] // 3)
    draw.rounded_rectangle([170, 170, 430, 600], radius=60, fill=garment)
    draw.ellipse([250, 120, 350, 220], fill=base)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=82)
    return out.getvalue()


async def _serve_photos(route: Route) -> None:
    await route.fulfill(status=200, content_type="image/jpeg", body=_photo(route.request.url))


class World:
    def __init__(self, container: Container, base_url: str, mailer: MemoryMailer) -> None:
        self.container = container
        self.base_url = base_url
        self.mailer = mailer

    async def user(self, email: str) -> tuple[User, str]:
        accounts = self.container.services.accounts
        issued = await accounts.register(Register(email=email, password="correct horse battery"))
        return await accounts.confirm_email(email), issued.token


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def fx_world(tmp_path: Path) -> AsyncIterator[World]:
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    settings = Settings(
        data_dir=str(tmp_path / "data"),
        public_base_url=base_url,
        core=CoreConfig(inquiry_ip_limit=IP_LIMIT),
    )
    clock = FixedClock()
    database, mailer = MemoryDatabaseHandle(MemoryDatabase()), MemoryMailer()
    container = await build_container(
        settings,
        database=database,
        uow=memory_uow_factory(database.db),
        storage=MemoryObjectStorage(public_base_url=FILES.rstrip("/")),
        queue=RecordingTaskQueue(),
        ai=OfflineAIProvider(),
        image_editor=OfflineImageEditor(),
        rate_limiter=RecordingRateLimiter(clock),
        mailer=mailer,
        hasher=PlainPasswordHasher(),
        clock=clock,
        ids=SequentialIds(),
        marketplaces=builtin_marketplaces(settings.core.supported_marketplaces),
    )
    server = uvicorn.Server(
        uvicorn.Config(create_app(container=container), host="127.0.0.1", port=port,
                       log_level="warning", lifespan="on")
    )  # fmt: skip
    task = asyncio.create_task(server.serve())
    for _ in range(500):  # up to 10 s for the socket to listen
        if server.started or task.done():
            break
        await asyncio.sleep(0.02)
    assert server.started, "the test server did not start"
    try:
        yield World(container, base_url, mailer)
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def fx_browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=ARGS, headless=True
        )
        try:
            yield browser
        finally:
            await browser.close()


class Watch:
    """Records every dialog and every console message a page produces."""

    def __init__(self, page: Page) -> None:
        self.dialogs: list[str] = []
        self.console: list[str] = []
        page.on("dialog", self._dialog)
        page.on("console", lambda message: self.console.append(message.text))

    async def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        await dialog.dismiss()


async def _page(browser: Browser, width: int) -> tuple[Page, Watch]:
    context = await browser.new_context(viewport={"width": width, "height": 900})
    page = await context.new_page()
    await page.route(f"{FILES}**", _serve_photos)
    return page, Watch(page)


async def test_browse_search_inquire_and_screenshots(
    fx_world: World, fx_browser: Browser, tmp_path: Path
) -> None:
    stores: list[SeededStore] = []
    for index, theme in enumerate(("desert-clay", "cobalt-paper", "forest-canvas")):
        user, _ = await fx_world.user(f"seller{index}@example.com")
        stores.append(
            await seed_store(
                fx_world.container, user, slug=f"shop-{theme}", title=f"{theme.title()} Goods",
                theme_id=theme, count=6,
            )
        )  # fmt: skip
    page, watch = await _page(fx_browser, 1280)
    first = stores[0]
    response = await page.goto(f"{fx_world.base_url}/store/{first.slug}")
    assert response is not None and response.status == 200
    assert "script-src 'self'" in (await response.all_headers())["content-security-policy"]
    await page.get_by_label("Search this store").fill("overcoat")
    await page.get_by_role("button", name="Search").click()
    await page.wait_for_url("**q=overcoat")
    cards = page.locator(".card")
    assert await cards.count() == 1
    await cards.first.get_by_role("link").click()
    await page.wait_for_url("**/products/**")
    assert await page.get_by_role("heading", level=1).inner_text() == "Wool Overcoat"
    product_url = page.url

    async def send(name: str, honeypot: str = "") -> str:
        await page.get_by_label("Your name").fill(name)
        await page.get_by_label("Email or phone").fill("jane@example.com")
        await page.get_by_label("Message").fill("Is this still available?")
        if honeypot:
            await page.locator("#inquiry-website").fill(honeypot, force=True)
        await page.get_by_role("button", name="Send inquiry").click()
        await page.wait_for_load_state()
        return await page.locator(".flash").inner_text()

    assert (
        await send("Jane Buyer") == "Your request has been sent. The seller will be in touch soon."
    )
    assert page.url == product_url
    assert await send("Spam Bot", honeypot="http://spam.example") == (
        "Your request has been sent. The seller will be in touch soon."
    )
    for _ in range(IP_LIMIT - 1):
        await send("Jane Again")
    assert await send("Jane Over") == "Too many requests. Please try again later."

    _, token = await fx_world.user("reader@example.com")
    async with httpx.AsyncClient(base_url=fx_world.base_url) as client:
        owner_token = (
            await client.post("/api/v1/auth/login",
                              json={"email": "seller0@example.com", "password": "correct horse battery"})
        ).json()["data"]["token"]  # fmt: skip
        listed = (
            await client.get(
                "/api/v1/inquiries", headers={"authorization": f"Bearer {owner_token}"}
            )
        ).json()["data"]["inquiries"]
        foreign = (
            await client.get("/api/v1/inquiries", headers={"authorization": f"Bearer {token}"})
        ).json()["data"]["inquiries"]
    names = [inquiry["full_name"] for inquiry in listed]
    assert "Spam Bot" not in names and "Jane Over" not in names
    assert names.count("Jane Buyer") == 1 and len(names) == IP_LIMIT and foreign == []
    mails = [m for m in fx_world.mailer.sent if m.tag == "storefront_inquiry"]
    assert len(mails) == IP_LIMIT and mails[0].to == "seller0@example.com"
    assert watch.dialogs == []

    out = tmp_path / "screenshots"
    out.mkdir()
    for store in stores:
        for width in (390, 1280):
            shot, shot_watch = await _page(fx_browser, width)
            await shot.goto(f"{fx_world.base_url}/store/{store.slug}")
            await shot.screenshot(
                path=str(out / f"{store.slug}-catalogue-{width}.png"), full_page=True
            )
            await shot.goto(f"{fx_world.base_url}/store/{store.slug}/products/{store.refs[1]}")
            await shot.screenshot(
                path=str(out / f"{store.slug}-product-{width}.png"), full_page=True
            )
            overflow = await shot.evaluate("document.documentElement.scrollWidth > innerWidth")
            assert not overflow, (store.slug, width)
            assert shot_watch.dialogs == []
            await shot.context.close()
    assert len(list(out.glob("*.png"))) == 12


XSS = [
    "<script>window.__xss = 1; alert('script')</script>",
    '"><img src=x onerror="window.__xss=2;alert(2)">',
    "</style><style>body{display:none}</style><script>alert(3)</script>",
    "javascript:alert(4)",
]


async def test_hostile_text_renders_inert(fx_world: World, fx_browser: Browser) -> None:
    user, _ = await fx_world.user("hostile@example.com")
    services = fx_world.container.services
    await services.storefronts.save(
        user,
        SaveStorefront(slug="hostile", title=XSS[1][:120], tagline=XSS[0][:180],
                       description=XSS[2], enabled=True),
    )  # fmt: skip
    await services.storefronts.create_page(
        user, SavePage(title="About <b>us</b>", slug="about", body="\n\n".join(XSS), published=True)
    )
    from tests.transfers.seeding import SeedImage, seed_product

    deps = fx_world.container.deps
    now = deps.clock.now()
    product = await seed_product(
        deps.uow, deps.storage, deps.ids, now, user.id, title=XSS[0][:160],
        brand=XSS[1], price=Decimal("10"), images=(SeedImage(),),
        extra={"storefront_enabled": True, "storefront_published_at": now, "ai_summary": XSS[3]},
    )  # fmt: skip
    from reseller_core.domain.storefronts import product_ref

    ref = product_ref(product.id, product.title)
    page, watch = await _page(fx_browser, 1280)
    for path in (
        "/store/hostile",
        "/store/hostile?q=%3Cscript%3Ealert(5)%3C%2Fscript%3E",
        f"/store/hostile/products/{ref}",
        "/store/hostile/pages/about",
        "/store/hostile/pages/%3Cimg%20src%3Dx%20onerror%3Dalert(6)%3E",
        "/store/hostile/products/%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(7)%3E",
    ):
        response = await page.goto(f"{fx_world.base_url}{path}")
        assert response is not None
        headers = await response.all_headers()
        assert (
            "content-security-policy" in headers
            and "script-src 'self'" in headers["content-security-policy"]
        )
        assert await page.evaluate("window.__xss === undefined"), path
        assert await page.locator("img[src='x']").count() == 0, path
        assert await page.locator("a[href^='javascript:']").count() == 0, path
        assert await page.locator("body").is_visible(), path
    assert watch.dialogs == []

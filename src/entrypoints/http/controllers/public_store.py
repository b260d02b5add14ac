"""The public storefront (spec 40 §6) and the buyer inquiry form (§7): server-rendered HTML.

An entrypoint only: which storefront, product and page are public, and what an inquiry
must pass, is decided by ``PublicStorefrontService``. Not part of the API document.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Final
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie, State
from litestar.enums import MediaType
from litestar.params import FromPath

from reseller_core.commands.storefronts import SubmitInquiry
from reseller_core.domain.storefronts import product_ref
from reseller_core.services.storefront_public import (
    Catalogue,
    InquiryOutcome,
    PublicProduct,
    PublicStorefront,
    PublicStorefrontService,
)
from reseller_entrypoints.http.app_state import PAGE_CACHE, container_from
from reseller_entrypoints.http.dependencies import client_ip
from reseller_entrypoints.http.page_cache import CSRF_PLACEHOLDER, PageCache
from reseller_entrypoints.http.storefront_web import (
    COOKIE_PATH,
    FLASH_COOKIE,
    NO_STORE,
    PRIVATE_CACHE,
    PUBLIC_CACHE,
    SESSION_COOKIE,
    card,
    csrf_token,
    csrf_valid,
    etag_for,
    flash_cookie,
    new_session_id,
    paragraphs,
    product_json_ld,
    read_flash,
    session_id,
    shell,
)

FORM_BODY_LIMIT: Final = 64 * 1024
"""An inquiry is at most ~5 KB of text; anything far larger is refused with 413."""
_FIELDS: Final = ("full_name", "contact", "message", "website")


def _service(state: State) -> PublicStorefrontService:
    return container_from(state).services.public_store


def _secret(state: State) -> bytes:
    key = container_from(state).resources.get("secret_key")
    return key if isinstance(key, bytes) and key else b"reseller-storefront"


def _public_url(state: State) -> Any:
    return container_from(state).deps.storage.public_url


def _base_url(state: State) -> str:
    return container_from(state).settings.public_base_url.rstrip("/")


def _page_cache(state: State) -> PageCache:
    cache: PageCache | None = state.get(PAGE_CACHE)
    return cache if cache is not None else PageCache(0)


def _html(request: Request[Any, Any, Any], template: str, context: dict[str, Any]) -> str:
    engine = request.app.template_engine
    assert engine is not None
    html: str = engine.get_template(template).render(**context)
    return html


def _render(
    request: Request[Any, Any, Any],
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    cache: str = PUBLIC_CACHE,
    cookies: list[Cookie] | None = None,
) -> Response[bytes]:
    html = _html(request, template, context)
    return _respond(request, html, status=status, cache=cache, cookies=cookies)


def _respond(
    request: Request[Any, Any, Any],
    html: str,
    *,
    status: int = 200,
    cache: str = PUBLIC_CACHE,
    cookies: list[Cookie] | None = None,
) -> Response[bytes]:
    body = html.encode()
    headers = {"cache-control": cache if status == 200 else NO_STORE}
    if status == 200:
        etag = etag_for(body)
        headers["etag"] = etag
        if cache != NO_STORE and request.headers.get("if-none-match") == etag:
            return Response(b"", status_code=304, headers=headers, cookies=cookies or [])
    return Response(
        body,
        status_code=status,
        media_type=MediaType.HTML,
        headers=headers,
        cookies=cookies or [],
    )


def generic_not_found(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Unknown or disabled storefront: unbranded, so a disabled one is not revealed."""
    return _render(request, "store/not_found.html", {}, status=404)


def _themed_not_found(
    request: Request[Any, Any, Any], store: PublicStorefront, what: str, requested: str
) -> Response[bytes]:
    context = {
        "shell": shell(store, _public_url(request.app.state)),
        "what": what,
        "requested": requested,
        "base_url": _base_url(request.app.state),
    }
    return _render(request, "store/themed_not_found.html", context, status=404)


class PublicStoreController(Controller):
    path = "/store"
    include_in_schema = False

    @get("/{slug:str}", media_type=MediaType.HTML)
    async def catalogue(
        self, slug: FromPath[str], request: Request[Any, Any, Any], state: State
    ) -> Response[bytes]:
        page_text = request.query_params.get("page", "1")
        page = (
            int(page_text)
            if page_text.isascii() and page_text.isdigit() and len(page_text) < 7
            else 1
        )
        query = request.query_params.get("q")

        async def render() -> str | Response[bytes]:
            result = await _service(state).catalogue(slug, query, page)
            if result is None:
                return generic_not_found(request)
            return _html(request, "store/catalogue.html", self._catalogue_context(result, state))

        html = await _page_cache(state).fill(("catalogue", slug, query, page), render)
        if isinstance(html, Response):
            return html
        return _respond(request, html)

    @staticmethod
    def _catalogue_context(result: Catalogue, state: State) -> dict[str, Any]:
        public_url = _public_url(state)
        frame = shell(result.store, public_url)
        cards = [card(frame.slug, item, frame.currency, public_url) for item in result.products]
        pages = max(1, -(-result.total_count // result.page_size))
        return {
            "shell": frame,
            "cards": cards,
            "query": result.query,
            "page": result.page,
            "pages": pages,
            "total": result.total_count,
            "page_count": len(frame.nav),
            "base_url": _base_url(state),
            "canonical": f"{_base_url(state)}/store/{frame.slug}",
            "q_param": quote(result.query or ""),
        }

    @get("/{slug:str}/products/{ref:str}", media_type=MediaType.HTML)
    async def product(
        self, slug: FromPath[str], ref: FromPath[str], request: Request[Any, Any, Any], state: State
    ) -> Response[bytes]:
        key = _secret(state)
        cookies: list[Cookie] = []
        session = session_id(request.cookies.get(SESSION_COOKIE))
        if session is None:
            session = new_session_id()
            cookies.append(self._cookie(request, SESSION_COOKIE, session))
        flash = read_flash(key, request.cookies.get(FLASH_COOKIE))
        if request.cookies.get(FLASH_COOKIE):
            cookies.append(self._cookie(request, FLASH_COOKIE, "", expire=True))
        cache = NO_STORE if flash or cookies else PRIVATE_CACHE

        def render() -> Awaitable[str | Response[bytes]]:
            return self._render_product(
                request, state, slug=slug, ref=ref, cookies=cookies, flash=flash
            )

        # A page with a flash is the visitor's own: rendered for it, never shared.
        html = await (
            render() if flash else _page_cache(state).fill(("product", slug, ref), render)
        )
        if isinstance(html, Response):
            return html
        html = html.replace(CSRF_PLACEHOLDER, csrf_token(key, session))
        return _respond(request, html, cache=cache, cookies=cookies)

    async def _render_product(
        self,
        request: Request[Any, Any, Any],
        state: State,
        *,
        slug: str,
        ref: str,
        cookies: list[Cookie],
        flash: tuple[str, str] | None,
    ) -> str | Response[bytes]:
        """The product page's HTML (with ``CSRF_PLACEHOLDER``), or the answer instead of it:
        not found, or the redirect to the product's one address."""
        store, item = await _service(state).product(slug, ref)
        if store is None:
            return generic_not_found(request)
        if item is None:
            return _themed_not_found(request, store, "product", ref)
        canonical = product_ref(item.view.product.id, item.view.product.title)
        if ref != canonical:  # decision 40-10: one address per product
            return Response(
                b"",
                status_code=301,
                headers={
                    "location": f"/store/{quote(slug)}/products/{quote(canonical)}",
                    "cache-control": PUBLIC_CACHE,
                },
                cookies=cookies,
            )
        return self._product_html(
            request, state, slug=slug, ref=ref, store=store, item=item, flash=flash
        )

    @staticmethod
    def _product_html(
        request: Request[Any, Any, Any],
        state: State,
        *,
        slug: str,
        ref: str,
        store: PublicStorefront,
        item: PublicProduct,
        flash: tuple[str, str] | None,
    ) -> str:
        """The product page with ``CSRF_PLACEHOLDER`` for the visitor's token."""
        public_url = _public_url(state)
        frame = shell(store, public_url)
        shown = card(frame.slug, item, frame.currency, public_url)
        canonical = f"{_base_url(state)}{shown.path}"
        product = item.view.product
        context = {
            "shell": frame,
            "card": shown,
            "canonical": canonical,
            "json_ld": product_json_ld(shown, canonical, frame.currency, product.price),
            # Seller notes are never public (decision 40-3); the AI summary is shown once.
            "notes": [] if shown.summary == product.ai_summary else paragraphs(product.ai_summary),
            "csrf": CSRF_PLACEHOLDER,
            "flash": flash,
            "action": f"/store/{quote(slug)}/products/{quote(ref)}/inquiries",
            "base_url": _base_url(state),
        }
        return _html(request, "store/product.html", context)

    @get("/{slug:str}/pages/{page_slug:str}", media_type=MediaType.HTML)
    async def seller_page(
        self,
        slug: FromPath[str],
        page_slug: FromPath[str],
        request: Request[Any, Any, Any],
        state: State,
    ) -> Response[bytes]:
        pages = _page_cache(state)
        key = ("page", slug, page_slug)
        html = pages.get(key)
        if html is not None:
            return _respond(request, html)
        store, page = await _service(state).page(slug, page_slug)
        if store is None:
            return generic_not_found(request)
        if page is None:
            return _themed_not_found(request, store, "page", page_slug)
        context = {
            "shell": shell(store, _public_url(state)),
            "page": page,
            "paragraphs": paragraphs(page.body),
            "base_url": _base_url(state),
            "canonical": f"{_base_url(state)}/store/{store.storefront.slug}/pages/{page.slug}",
        }
        html = _html(request, "store/page.html", context)
        pages.put(key, html)
        return _respond(request, html)

    @post(
        "/{slug:str}/products/{ref:str}/inquiries",
        media_type=MediaType.HTML,
        request_max_body_size=FORM_BODY_LIMIT,
    )
    async def submit_inquiry(
        self, slug: FromPath[str], ref: FromPath[str], request: Request[Any, Any, Any], state: State
    ) -> Response[bytes]:
        """Spec 40 §7, in its order: CSRF, storefront, product, honeypot, limits, fields."""
        form = await request.form()
        key = _secret(state)
        session = session_id(request.cookies.get(SESSION_COOKIE))
        if not csrf_valid(key, session, form.get("_csrf_token")):
            return _render(request, "store/forbidden.html", {}, status=403)
        service = _service(state)
        store, item = await service.product(slug, ref)
        if store is None:
            return generic_not_found(request)
        if item is None:
            return _themed_not_found(request, store, "product", ref)
        values = {name: form.get(f"inquiry[{name}]") for name in _FIELDS}
        command = SubmitInquiry(
            **{name: value if isinstance(value, str) else "" for name, value in values.items()},
            requester_ip=client_ip(request, container_from(state).settings.trusted_proxies),
            user_agent=request.headers.get("user-agent", ""),
        )
        product_path = f"/store/{quote(slug)}/products/{quote(ref)}"
        result = await service.submit_inquiry(store, item, command, product_path)
        kind = "info" if result.outcome is InquiryOutcome.SENT else "error"
        return Response(
            b"",
            status_code=302,
            headers={"location": product_path, "cache-control": NO_STORE},
            cookies=[self._cookie(request, FLASH_COOKIE, flash_cookie(key, kind, result.message))],
        )

    @staticmethod
    def _cookie(
        request: Request[Any, Any, Any], name: str, value: str, *, expire: bool = False
    ) -> Cookie:
        secure = container_from(request.app.state).settings.public_base_url.startswith("https")
        return Cookie(
            key=name,
            value=value,
            path=COOKIE_PATH,
            httponly=True,
            samesite="lax",
            secure=secure,
            max_age=0 if expire else None,
        )

"""The public storefront (spec 40 §6) and buyer inquiries (§7), as data for any renderer.

The core decides what is public: which storefront resolves, which products and images a
buyer may see, and how an inquiry is checked, limited, stored and announced. The HTML
entrypoint only renders what these use cases return.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from reseller_core.commands.storefronts import SubmitInquiry
from reseller_core.domain.aggregate import ProductView
from reseller_core.domain.ids import parse_ulid
from reseller_core.domain.images import ProductImage
from reseller_core.domain.images import public_gallery as gallery
from reseller_core.domain.marketplaces import humanise
from reseller_core.domain.storefronts import (
    SLUG_MAX,
    Inquiry,
    Storefront,
    StorefrontAsset,
    StorefrontPage,
    check_text,
    normalise_slug,
    ref_product_id,
)
from reseller_core.domain.validation import Errors
from reseller_core.ports import Clock, EmailMessage, IdFactory, Mailer, RateLimiter
from reseller_core.ports.read_model import ProductReadModel
from reseller_core.ports.storefronts import PublicProductQuery
from reseller_core.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from reseller_core.services.config import CoreConfig

log = logging.getLogger(__name__)

CATALOGUE_PAGE_SIZE = 48
"""Decision 40-6."""
SUCCESS_FLASH = "Your request has been sent. The seller will be in touch soon."
RATE_LIMITED_FLASH = "Too many requests. Please try again later."


@dataclass(frozen=True, slots=True)
class PublicStorefront:
    """An enabled storefront with its assets and its published pages (navigation)."""

    storefront: Storefront
    assets: list[StorefrontAsset]
    pages: list[StorefrontPage]
    owner_email: str


@dataclass(frozen=True, slots=True)
class PublicProduct:
    view: ProductView
    gallery: list[ProductImage]
    links: list[tuple[str, str]]
    """(marketplace label, external URL) of every listing with an http(s) link."""


@dataclass(frozen=True, slots=True)
class Catalogue:
    store: PublicStorefront
    products: list[PublicProduct]
    query: str | None
    page: int
    page_size: int
    total_count: int


class InquiryOutcome(StrEnum):
    SENT = "sent"
    RATE_LIMITED = "rate_limited"
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class InquiryResult:
    outcome: InquiryOutcome
    message: str


def is_public(view: ProductView) -> bool:
    """Spec 40 §6.3 (ownership is the caller's): published, ready, a finalized original."""
    return (
        view.product.storefront_enabled
        and view.product.status == "ready"
        and any(
            image.kind == "original" and image.processing_status != "pending_upload"
            for image in view.images
        )
    )


def price_text(price: Decimal | None, currency: str) -> str:
    """``$148.00`` for USD, ``148.00 EUR`` otherwise; ``Price on request`` without a price."""
    if price is None:
        return "Price on request"
    amount = f"{price.quantize(Decimal('0.01')):,}"
    return f"${amount}" if currency == "USD" else f"{amount} {currency}"


def _links(view: ProductView) -> list[tuple[str, str]]:
    links = []
    for listing in view.marketplace_listings:
        url = (listing.external_url or "").strip()
        if url.lower().startswith(("https://", "http://")):
            links.append((humanise(listing.marketplace), url))
    return links


class PublicStorefrontService:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        reader: UnitOfWorkFactory,
        rate_limiter: RateLimiter,
        mailer: Mailer,
        clock: Clock,
        ids: IdFactory,
        config: CoreConfig,
        read_model: ProductReadModel | None = None,
    ) -> None:
        self._read_model = read_model
        """Builds a page of views in two statements; without it, one view at a time."""
        self._uow = uow
        self._reader = reader
        self._limiter = rate_limiter
        self._mailer = mailer
        self._clock = clock
        self._ids = ids
        self._config = config

    async def _store(self, uow: UnitOfWork, raw_slug: str) -> PublicStorefront | None:
        slug = normalise_slug(raw_slug, SLUG_MAX)
        storefront = await uow.storefronts.by_slug(slug) if slug else None
        if storefront is None or not storefront.enabled:
            return None
        owner = await uow.users.get(storefront.user_id)
        pages = [page for page in await uow.storefronts.pages(storefront.id) if page.published]
        return PublicStorefront(
            storefront=storefront,
            # Decision 40-4: only objects checked after their upload are shown.
            assets=[
                asset
                for asset in await uow.storefronts.assets(storefront.id)
                if asset.verified_at is not None
            ],
            pages=pages,
            owner_email=owner.email if owner else "",
        )

    async def catalogue(self, raw_slug: str, query: str | None, page: int) -> Catalogue | None:
        """None: the generic 404 (unknown or disabled storefront)."""
        text = (query or "").strip() or None
        page = max(page, 1)
        async with self._reader() as uow:
            store = await self._store(uow, raw_slug)
            if store is None:
                return None
            ids, total = await uow.storefronts.public_products(
                PublicProductQuery(
                    owner_id=store.storefront.user_id,
                    terms=tuple(text.split()) if text else (),
                    offset=(page - 1) * CATALOGUE_PAGE_SIZE,
                    limit=CATALOGUE_PAGE_SIZE,
                )
            )
            views = await self._views(uow, store.storefront.user_id, ids)
            products = [
                PublicProduct(view=view, gallery=gallery(view.images), links=_links(view))
                for view in views
            ]
        return Catalogue(
            store=store, products=products, query=text, page=page,
            page_size=CATALOGUE_PAGE_SIZE, total_count=total,
        )  # fmt: skip

    async def _views(self, uow: UnitOfWork, owner_id: str, ids: Sequence[str]) -> list[ProductView]:
        """The views of ``ids`` in that order (the owner's only)."""
        if self._read_model is not None:
            found = {
                view.product.id: view
                for view in await self._read_model.views(uow, ids)
                if view.product.user_id == owner_id
            }
            return [found[product_id] for product_id in ids if product_id in found]
        views = [await uow.products.view(owner_id, product_id) for product_id in ids]
        return [view for view in views if view is not None]

    async def product(
        self, raw_slug: str, ref: str
    ) -> tuple[PublicStorefront | None, PublicProduct | None]:
        """(None, None): generic 404; (store, None): themed 404."""
        async with self._reader() as uow:
            store = await self._store(uow, raw_slug)
            if store is None:
                return None, None
            return store, await self._product(uow, store, ref)

    @staticmethod
    async def _product(uow: UnitOfWork, store: PublicStorefront, ref: str) -> PublicProduct | None:
        product_id = parse_ulid(ref_product_id(ref))
        if product_id is None:
            return None
        view = await uow.products.view(store.storefront.user_id, product_id)
        if view is None or not is_public(view):
            return None
        return PublicProduct(view=view, gallery=gallery(view.images), links=_links(view))

    async def page(
        self, raw_slug: str, page_slug: str
    ) -> tuple[PublicStorefront | None, StorefrontPage | None]:
        async with self._reader() as uow:
            store = await self._store(uow, raw_slug)
        if store is None:
            return None, None
        wanted = normalise_slug(page_slug, SLUG_MAX)
        return store, next((p for p in store.pages if wanted and p.slug == wanted), None)

    async def submit_inquiry(
        self, store: PublicStorefront, product: PublicProduct, command: SubmitInquiry,
        source_path: str,
    ) -> InquiryResult:  # fmt: skip
        """Spec 40 §7 steps 4-9, after the caller resolved the storefront and the product."""
        if command.website.strip():
            return InquiryResult(InquiryOutcome.SENT, SUCCESS_FLASH)
        storefront = store.storefront
        window = self._config.inquiry_window_minutes * 60
        if command.requester_ip:
            ip_key = f"inquiry:ip:{storefront.id}:{command.requester_ip}"
            decision = await self._limiter.hit(ip_key, self._config.inquiry_ip_limit, window)
            if not decision.allowed:
                return InquiryResult(InquiryOutcome.RATE_LIMITED, RATE_LIMITED_FLASH)
        store_key = f"inquiry:store:{storefront.id}"
        decision = await self._limiter.hit(store_key, self._config.inquiry_storefront_limit, window)
        if not decision.allowed:
            return InquiryResult(InquiryOutcome.RATE_LIMITED, RATE_LIMITED_FLASH)
        errors = Errors()
        full_name = check_text(errors, "full_name", command.full_name, 120, required=True)
        contact = check_text(errors, "contact", command.contact, 200, required=True)
        message = check_text(errors, "message", command.message, 5000, required=True)
        if errors or full_name is None or contact is None or message is None:
            problems = "; ".join(
                f"{field}: {', '.join(str(m) for m in messages)}"
                for field, messages in errors.fields.items()
            )
            return InquiryResult(InquiryOutcome.INVALID, f"Could not submit request: {problems}")
        inquiry = Inquiry(
            id=self._ids.new_id(),
            storefront_id=storefront.id,
            product_id=product.view.product.id,
            full_name=full_name,
            contact=contact,
            message=message,
            source_path=source_path[:500],
            requester_ip=(command.requester_ip or None) and command.requester_ip[:64],
            user_agent=command.user_agent[:500],
            inserted_at=self._clock.now(),
        )
        async with self._uow() as uow:
            await uow.storefronts.add_inquiry(inquiry)
            await uow.commit()
        await self._notify(store, inquiry)
        return InquiryResult(InquiryOutcome.SENT, SUCCESS_FLASH)

    async def _notify(self, store: PublicStorefront, inquiry: Inquiry) -> None:
        """Spec 40 §7.1: a plain-text e-mail; a failure is logged, never the buyer's problem."""
        storefront = store.storefront
        if not store.owner_email:
            return
        lines = [
            f"Storefront: {storefront.title or storefront.slug}",
            *([f"Product ID: {inquiry.product_id}"] if inquiry.product_id else []),
            f"From: {inquiry.full_name}",
            f"Contact: {inquiry.contact}",
            "",
            inquiry.message,
            "",
            f"Source: {inquiry.source_path}",
        ]
        try:
            await self._mailer.send(
                EmailMessage(
                    to=store.owner_email,
                    subject=f"New inquiry on {storefront.title or 'your storefront'}",
                    text="\n".join(lines),
                    tag="storefront_inquiry",
                )
            )
        except Exception:
            log.exception("Inquiry notification failed for storefront %s", storefront.id)

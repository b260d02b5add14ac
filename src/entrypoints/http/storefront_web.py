"""The public storefront's browser plumbing: session cookie, CSRF token, flash messages,
CDN caching headers, and the view models the templates render (spec 40 §6, §7).

No JavaScript and no server-side session store:

* the session cookie holds a random id; the CSRF token is an HMAC of it under the
  server's secret key (double submit, bound to the browser), so any server process can
  check it;
* a flash message travels in its own HMAC-signed cookie across the 302 and is cleared by
  the page that shows it. The honeypot and a real success set byte-identical cookies;
* catalogue and seller pages carry no per-visitor content: ``Cache-Control: public`` with
  an ``ETag`` a CDN can revalidate. A product page carries the CSRF token of its visitor,
  so it is ``private, no-cache`` (with an ``ETag``), and ``no-store`` while showing a flash.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from reseller_core.domain.storefronts import product_ref
from reseller_core.domain.themes import ThemePreset, theme_for
from reseller_core.services.storefront_public import (
    PublicProduct,
    PublicStorefront,
    price_text,
)

SESSION_COOKIE: Final = "store_session"
FLASH_COOKIE: Final = "store_flash"
COOKIE_PATH: Final = "/store"
PUBLIC_CACHE: Final = "public, max-age=60, s-maxage=300, stale-while-revalidate=60"
PRIVATE_CACHE: Final = "private, no-cache"
NO_STORE: Final = "no-store"
_SESSION_FORMAT: Final = re.compile(r"[0-9a-f]{32}")
_PARAGRAPHS: Final = re.compile(r"\n\s*\n+")

PublicUrl = Callable[[str], str | None]


def _mac(key: bytes, purpose: str, value: str) -> str:
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def session_id(cookie: str | None) -> str | None:
    """The visitor's session id, when the cookie holds a well-formed one."""
    return cookie if cookie and _SESSION_FORMAT.fullmatch(cookie) else None


def new_session_id() -> str:
    return secrets.token_hex(16)


def csrf_token(key: bytes, session: str) -> str:
    return _mac(key, "csrf", session)


def csrf_valid(key: bytes, session: str | None, token: object) -> bool:
    if session is None or not isinstance(token, str):
        return False
    return hmac.compare_digest(csrf_token(key, session), token)


def flash_cookie(key: bytes, kind: str, message: str) -> str:
    payload = base64.urlsafe_b64encode(json.dumps([kind, message]).encode()).decode()
    return f"{payload}.{_mac(key, 'flash', payload)}"


def read_flash(key: bytes, cookie: str | None) -> tuple[str, str] | None:
    if not cookie or "." not in cookie:
        return None
    payload, mac = cookie.rsplit(".", 1)
    if not hmac.compare_digest(_mac(key, "flash", payload), mac):
        return None
    try:
        kind, message = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except (ValueError, TypeError):
        return None
    return (str(kind), str(message))


def etag_for(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def paragraphs(text: str | None) -> list[str]:
    """Spec 40 §6.8: trimmed, split on blank lines; each is escaped by the template."""
    cleaned = (text or "").strip()
    return [part.strip() for part in _PARAGRAPHS.split(cleaned) if part.strip()] if cleaned else []


def json_ld(data: dict[str, Any]) -> str:
    """JSON for a ``<script type="application/ld+json">`` data block.

    ``<``, ``>`` and ``&`` are escaped as ``\\u003c`` etc., so no text (a title holding
    ``</script>``) can end the block early. Browsers never execute a data block, so the
    strict ``script-src 'self'`` CSP needs no hash or nonce for it.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@dataclass(frozen=True, slots=True)
class Shell:
    """What every branded page shows: theme, branding, navigation, search."""

    slug: str
    title: str
    tagline: str | None
    description: str | None
    theme: ThemePreset
    logo_url: str | None
    header_url: str | None
    nav: list[tuple[str, str]]
    """(menu label, page slug) of the published pages, in order."""
    currency: str


def shell(store: PublicStorefront, public_url: PublicUrl) -> Shell:
    storefront = store.storefront
    urls = {asset.kind: public_url(asset.storage_key) for asset in store.assets}
    return Shell(
        slug=storefront.slug,
        title=storefront.title,
        tagline=storefront.tagline,
        description=storefront.description,
        theme=theme_for(storefront.theme_id),
        logo_url=urls.get("logo"),
        header_url=urls.get("header"),
        nav=[(page.menu_label, page.slug) for page in store.pages],
        currency=storefront.currency,
    )


@dataclass(frozen=True, slots=True)
class Card:
    """One product as the catalogue and the product page show it (never sku or notes)."""

    ref: str
    path: str
    title: str
    eyebrow: str
    price: str
    summary: str | None
    highlights: list[str]
    details: list[tuple[str, str]]
    images: list[tuple[str, str]]
    """(URL, alt text) of the gallery, primary first."""
    links: list[tuple[str, str]]
    link_count_text: str
    available: bool


def card(slug: str, item: PublicProduct, currency: str, public_url: PublicUrl) -> Card:
    product = item.view.product
    draft = item.view.description_draft
    ref = product_ref(product.id, product.title)
    title = product.title or "Untitled product"
    eyebrow = " / ".join(v for v in (product.brand, product.category) if v) or "Public storefront"
    summary = product.ai_summary or (draft.short_description if draft else None)
    fields = (
        ("Brand", product.brand),
        ("Category", product.category),
        ("Condition", product.condition),
        ("Size", product.size),
        ("Material", product.material),
        ("Color", product.color),
    )
    details = [(label, value) for label, value in fields if value and value.strip()]
    images: list[tuple[str, str]] = []
    for index, image in enumerate(item.gallery, start=1):
        url = public_url(image.storage_key)
        if url:
            images.append((url, f"{title}, photo {index} of {len(item.gallery)}"))
    count = len(item.links)
    link_text = (
        "No external marketplace links yet"
        if count == 0
        else "1 marketplace link"
        if count == 1
        else f"{count} marketplace links"
    )
    return Card(
        ref=ref,
        path=f"/store/{slug}/products/{ref}",
        title=title,
        eyebrow=eyebrow,
        price=price_text(product.price, currency),
        summary=summary,
        highlights=[value for _, value in details][:3],
        details=details,
        images=images,
        links=item.links,
        link_count_text=link_text,
        available=True,
    )


def product_json_ld(item: Card, canonical: str, currency: str, price: Any) -> str:
    """schema.org ``Product`` with one ``Offer`` (spec: name, images, price, availability)."""
    offer: dict[str, Any] = {
        "@type": "Offer",
        "url": canonical,
        "availability": "https://schema.org/InStock",
        "priceCurrency": currency,
    }
    if price is not None:
        offer["price"] = f"{price:.2f}"
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": item.title,
        "image": [url for url, _ in item.images],
        "offers": offer,
    }
    if item.summary:
        data["description"] = item.summary
    return json_ld(data)

"""Storefronts, their branding assets, seller pages and buyer inquiries (spec 40 §2, §3).

The rules here are pure: slug normalisation, field validation of a merged record, and the
storage key of a branding asset. The use cases (``services/storefronts.py``) apply them.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Final

import msgspec

from reseller_core.domain.themes import THEMES_BY_ID
from reseller_core.domain.validation import (
    CANT_BE_BLANK,
    IS_INVALID,
    Errors,
    has_unstorable_characters,
    too_long,
    too_short,
)

SLUG_MAX: Final = 80
STOREFRONT_SLUG_MIN: Final = 3
PAGE_SLUG_MIN: Final = 2
TITLE_MAX: Final = 120
TAGLINE_MAX: Final = 180
DESCRIPTION_MAX: Final = 2000
MENU_LABEL_MAX: Final = 40
BODY_MAX: Final = 10_000
CURRENCY_DEFAULT: Final = "USD"
FILENAME_MAX: Final = 255
ASSET_KINDS: Final = ("header", "logo")
"""Branding asset kinds in the order the payload lists them (``kind`` ascending)."""
ASSET_CONTENT_TYPES: Final[dict[str, str]] = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
}
"""Decision 40-Q5: raster images only (no SVG, a script vector); the key's extension comes
from the validated content type, never from the client's file name."""
ASSET_MAX_BYTES: Final = 10_000_000
RESERVED_SLUGS: Final = frozenset(
    {
        "admin", "api", "app", "www", "store", "stores", "static", "assets", "help",
        "support", "docs", "login", "sign-in", "sign-up", "resellerio",
    }
)  # fmt: skip
"""Decision 40-Q1."""

_SLUG_FORMAT: Final = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_SEPARATORS: Final = re.compile(r"[\s_-]+")


class Storefront(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    user_id: str
    slug: str
    title: str
    tagline: str | None = None
    description: str | None = None
    theme_id: str = "desert-clay"
    currency: str = CURRENCY_DEFAULT
    enabled: bool = False
    inserted_at: datetime
    updated_at: datetime


class StorefrontAsset(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    storefront_id: str
    kind: str
    storage_key: str
    content_type: str
    original_filename: str
    width: int | None = None
    height: int | None = None
    byte_size: int | None = None
    checksum: str | None = None
    inserted_at: datetime
    updated_at: datetime
    verified_at: datetime | None = None
    """When a ``HEAD`` found the uploaded object acceptable (decision 40-4); until then the
    public storefront does not show the asset."""


def asset_object_problem(asset: StorefrontAsset, size: int, content_type: str | None) -> str | None:
    """Why the stored object of ``asset`` may not be shown, or None (decision 40-4, 40-5).

    Signed uploads are not enforced by every storage server (size, type), so the object is
    checked once it is there: not empty, at most the declared size and 10 MB, and stored
    with the content type the seller declared.
    """
    if size <= 0:
        return "is empty"
    if size > min(asset.byte_size or ASSET_MAX_BYTES, ASSET_MAX_BYTES):
        return "is larger than declared or than 10000000 bytes"
    if (content_type or "").split(";")[0].strip().lower() != asset.content_type:
        return f"is not stored as {asset.content_type}"
    return None


class StorefrontPage(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    storefront_id: str
    title: str
    slug: str
    menu_label: str
    body: str
    position: int
    published: bool = False
    inserted_at: datetime
    updated_at: datetime


class Inquiry(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    storefront_id: str
    product_id: str | None
    full_name: str
    contact: str
    message: str
    source_path: str
    requester_ip: str | None = None
    user_agent: str | None = None
    inserted_at: datetime


def normalise_slug(value: str | None, max_len: int = SLUG_MAX) -> str | None:
    """Spec 40 §3 with decision 14: the result is re-trimmed of ``-`` after truncation."""
    if not value:
        return None
    decomposed = unicodedata.normalize("NFD", value.lower())
    kept = "".join(
        char
        for char in decomposed
        if char == "-" or char.isspace() or unicodedata.category(char)[0] in "LN"
    )
    slug = _SEPARATORS.sub("-", kept).strip("-")[:max_len].strip("-")
    return slug or None


def slug_problem(slug: str | None, min_len: int) -> str | None:
    """The one message for a normalised slug, or None when it is acceptable."""
    if slug is None:
        return CANT_BE_BLANK
    if len(slug) < min_len:
        return too_short(min_len)
    if not _SLUG_FORMAT.match(slug):
        return "has invalid format"
    return None


def trimmed(value: object) -> str | None:
    """Trim; blank (or not text at all, ``UNSET``) → None (spec 40 §1 text normalisation)."""
    text = value.strip() if isinstance(value, str) else ""
    return text or None


def check_text(
    errors: Errors, field: str, value: str | None, max_len: int, *, required: bool
) -> str | None:
    text = trimmed(value)
    if text is None:
        if required:
            errors.add(field, CANT_BE_BLANK)
        return None
    if has_unstorable_characters(text):
        errors.add(field, IS_INVALID)
    elif len(text) > max_len:
        errors.add(field, too_long(max_len))
    return text


def check_storefront(errors: Errors, storefront: Storefront) -> None:
    """Validate a merged storefront record (spec 40 §2.1); uniqueness is the caller's."""
    problem = slug_problem(storefront.slug or None, STOREFRONT_SLUG_MIN)
    if problem is None and storefront.slug in RESERVED_SLUGS:
        problem = "is reserved"
    if problem is not None:
        errors.add("slug", problem)
    check_text(errors, "title", storefront.title or None, TITLE_MAX, required=True)
    check_text(errors, "tagline", storefront.tagline, TAGLINE_MAX, required=False)
    check_text(errors, "description", storefront.description, DESCRIPTION_MAX, required=False)
    if storefront.theme_id not in THEMES_BY_ID:
        errors.add("theme_id", IS_INVALID)
    if not re.fullmatch(r"[A-Z]{3}", storefront.currency):
        errors.add("currency", IS_INVALID)


def check_page(errors: Errors, page: StorefrontPage) -> None:
    """Validate a merged page (spec 40 §2.3); slug uniqueness is the caller's."""
    check_text(errors, "title", page.title or None, TITLE_MAX, required=True)
    problem = slug_problem(page.slug or None, PAGE_SLUG_MIN)
    if problem is not None:
        errors.add("slug", problem)
    check_text(errors, "menu_label", page.menu_label or None, MENU_LABEL_MAX, required=True)
    check_text(errors, "body", page.body or None, BODY_MAX, required=True)
    if page.position <= 0:
        errors.add("position", "must be greater than 0")


def asset_storage_key(user_id: str, storefront_id: str, kind: str, name: str, ext: str) -> str:
    """``users/<user>/storefronts/<storefront>/<kind>/<random><ext>`` (public ULIDs only)."""
    return f"users/{user_id}/storefronts/{storefront_id}/{kind}/{name}{ext}"


def product_ref(product_id: str, title: str | None) -> str:
    """Spec 40 §6.4: ``<ulid>-<slugified title>``, or the bare ULID for an empty slug."""
    slug = normalise_slug(title)
    return f"{product_id}-{slug}" if slug else product_id


def ref_product_id(ref: str) -> str:
    """The token before the first ``-`` of a ``product_ref`` (parsed as a ULID by the caller)."""
    return ref.split("-", 1)[0].strip()

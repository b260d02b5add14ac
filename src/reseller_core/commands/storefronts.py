"""Commands of the storefront, page, asset and inquiry use cases (spec 40 §5, §7, §8).

Partial updates use ``UNSET`` for a key the request did not carry: only supplied keys are
merged into the stored record, which is then validated whole.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType


class SaveStorefront(msgspec.Struct, frozen=True, kw_only=True):
    """``PUT /storefront``: create-or-update; absent keys keep their stored values."""

    slug: Annotated[str | UnsetType | None, Meta(description="3-80 characters after §3.")] = UNSET
    title: Annotated[str | UnsetType | None, Meta(description="At most 120 characters.")] = UNSET
    tagline: Annotated[str | UnsetType | None, Meta(description="At most 180 characters.")] = UNSET
    description: Annotated[str | UnsetType | None, Meta(description="At most 2000 characters.")] = (
        UNSET
    )
    theme_id: Annotated[
        str | UnsetType | None, Meta(description="A preset id; blank → `desert-clay`.")
    ] = UNSET
    currency: Annotated[
        str | UnsetType | None, Meta(description="ISO 4217 code; blank → `USD`.")
    ] = UNSET
    enabled: bool | UnsetType = UNSET


class SavePage(msgspec.Struct, frozen=True, kw_only=True):
    """``POST``/``PATCH /storefront/pages``: create, or merge into an existing page."""

    title: Annotated[str | UnsetType | None, Meta(description="At most 120 characters.")] = UNSET
    slug: Annotated[
        str | UnsetType | None, Meta(description="2-80 characters; derived from the title.")
    ] = UNSET
    menu_label: Annotated[
        str | UnsetType | None, Meta(description="At most 40 characters; defaults to the title.")
    ] = UNSET
    body: Annotated[
        str | UnsetType | None, Meta(description="Plain text, at most 10000 characters.")
    ] = UNSET
    published: bool | UnsetType = UNSET
    position: Annotated[int | UnsetType, Meta(description="A positive integer.")] = UNSET


class ReorderPages(msgspec.Struct, frozen=True, kw_only=True):
    """``PUT /storefront/pages/order``: every page of the storefront exactly once."""

    page_ids: tuple[str, ...]


class PrepareAsset(msgspec.Struct, frozen=True, kw_only=True):
    """``POST /storefront/assets/{kind}/prepare_upload``."""

    filename: Annotated[str, Meta(description="At most 255 characters.")] = ""
    content_type: Annotated[str, Meta(description="image/jpeg, image/png or image/webp.")] = ""
    byte_size: Annotated[int | None, Meta(description="1 to 10000000 bytes.")] = None
    width: Annotated[int | None, Meta(description="Pixels, positive.")] = None
    height: Annotated[int | None, Meta(description="Pixels, positive.")] = None
    checksum: Annotated[str | None, Meta(description="At most 128 characters.")] = None


class SubmitInquiry(msgspec.Struct, frozen=True, kw_only=True):
    """A buyer's form post (spec 40 §7); ``website`` is the honeypot."""

    full_name: str = ""
    contact: str = ""
    message: str = ""
    website: str = ""
    requester_ip: str | None = None
    user_agent: str = ""


class InquiryFilters(msgspec.Struct, frozen=True, kw_only=True):
    """``GET /inquiries``: already-lenient values (spec 40 §8.1)."""

    page: int = 1
    page_size: int = 20
    q: str | None = None

"""Lenient parsers of the storefront, page, reorder and asset bodies (spec 40 §5)."""

from __future__ import annotations

from typing import Any

from msgspec import UNSET, UnsetType

from reseller_core.commands.storefronts import PrepareAsset, ReorderPages, SavePage, SaveStorefront
from reseller_core.domain.validation import IS_INVALID
from reseller_core.errors import FieldErrors, InvalidRequest
from reseller_entrypoints.http.parsing.values import (
    NOT_AN_OBJECT,
    JsonObject,
    Parsed,
    as_object,
    finish,
)

_BOOL_TEXT = {"true": True, "1": True, "false": False, "0": False}


def _payload(body: Any, key: str) -> tuple[JsonObject, str | None]:
    if as_object(body) is None:
        return {}, NOT_AN_OBJECT
    payload = as_object(body.get(key))
    if payload is None:
        return {}, f"{key} payload is required"
    return payload, None


def _text(payload: JsonObject, name: str, problems: FieldErrors) -> str | UnsetType | None:
    if name not in payload:
        return UNSET
    value = payload[name]
    if value is None or isinstance(value, str):
        return value
    problems[name] = [IS_INVALID]
    return None


def _flag(payload: JsonObject, name: str, problems: FieldErrors) -> bool | UnsetType:
    if name not in payload:
        return UNSET
    value = payload[name]
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _BOOL_TEXT:
        return _BOOL_TEXT[value.strip().lower()]
    problems[name] = [IS_INVALID]
    return UNSET


def _integer(payload: JsonObject, name: str, problems: FieldErrors) -> int | None:
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**31:
        return value
    problems[name] = ["is not a number"] if not isinstance(value, int) else [IS_INVALID]
    return None


def parse_save_storefront(body: Any) -> Parsed[SaveStorefront]:
    payload, invalid = _payload(body, "storefront")
    problems: FieldErrors = {}
    command = SaveStorefront(
        slug=_text(payload, "slug", problems),
        title=_text(payload, "title", problems),
        tagline=_text(payload, "tagline", problems),
        description=_text(payload, "description", problems),
        theme_id=_text(payload, "theme_id", problems),
        currency=_text(payload, "currency", problems),
        enabled=_flag(payload, "enabled", problems),
    )
    return finish(command, problems, invalid)


def parse_save_page(body: Any) -> Parsed[SavePage]:
    payload, invalid = _payload(body, "page")
    problems: FieldErrors = {}
    position: int | UnsetType = UNSET
    if "position" in payload and payload["position"] is not None:
        parsed = _integer(payload, "position", problems)
        position = parsed if parsed is not None else UNSET
    command = SavePage(
        title=_text(payload, "title", problems),
        slug=_text(payload, "slug", problems),
        menu_label=_text(payload, "menu_label", problems),
        body=_text(payload, "body", problems),
        published=_flag(payload, "published", problems),
        position=position,
    )
    return finish(command, problems, invalid)


def parse_reorder(body: Any) -> ReorderPages:
    """Spec 40 §5.8 rule 1 under decision Q-A8: not a list is ``400 invalid_request``."""
    page_ids = body.get("page_ids") if as_object(body) is not None else None
    if not isinstance(page_ids, list):
        raise InvalidRequest("page_ids must be a list")
    return ReorderPages(page_ids=tuple(item if isinstance(item, str) else "" for item in page_ids))


def parse_prepare_asset(body: Any) -> Parsed[PrepareAsset]:
    payload, invalid = _payload(body, "asset")
    problems: FieldErrors = {}
    texts = {}
    for name in ("filename", "content_type", "checksum"):
        value = _text(payload, name, problems)
        texts[name] = value if isinstance(value, str) else None
    command = PrepareAsset(
        filename=texts["filename"] or "asset",
        content_type=texts["content_type"] or "application/octet-stream",
        checksum=texts["checksum"],
        byte_size=_integer(payload, "byte_size", problems),
        width=_integer(payload, "width", problems),
        height=_integer(payload, "height", problems),
    )
    return finish(command, problems, invalid)

"""Lenient parsers of the image management bodies (spec 30 §4.2, §4.3)."""

from __future__ import annotations

from typing import Any, Final

from msgspec import UNSET, UnsetType

from reseller_core.commands.images import OrderStorefrontImages, SetImageStorefront
from reseller_core.domain.validation import IS_INVALID
from reseller_core.errors import FieldErrors
from reseller_entrypoints.http.parsing.values import NOT_AN_OBJECT, Parsed, as_object, finish

IMAGE_IDS_NOT_A_LIST: Final = "image_ids must be a list"
POSITION_LIMIT: Final = 2**63
"""Integers beyond this are refused as ``is invalid`` before any arithmetic."""
_VISIBLE_TEXT: Final = {"true": True, "false": False}


def parse_image_storefront(product_id: str, image_id: str, body: Any) -> Parsed[SetImageStorefront]:
    """``{"storefront_visible"?, "storefront_position"?}`` at the top level."""
    top = as_object(body)
    if top is None:
        empty = SetImageStorefront(product_id=product_id, image_id=image_id)
        return finish(empty, {}, NOT_AN_OBJECT)
    problems: FieldErrors = {}
    visible: bool | UnsetType = UNSET
    if "storefront_visible" in top:
        value = top["storefront_visible"]
        if isinstance(value, bool):
            visible = value
        elif isinstance(value, str) and value.strip().lower() in _VISIBLE_TEXT:
            visible = _VISIBLE_TEXT[value.strip().lower()]
        else:
            problems["storefront_visible"] = [IS_INVALID]
    position: int | UnsetType | None = UNSET
    if "storefront_position" in top:
        value = top["storefront_position"]
        if value is None:
            position = None
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) < POSITION_LIMIT:
            position = value
        else:
            problems["storefront_position"] = [IS_INVALID]
    command = SetImageStorefront(
        product_id=product_id,
        image_id=image_id,
        storefront_visible=visible,
        storefront_position=position,
    )
    return finish(command, problems)


def parse_storefront_order(product_id: str, body: Any) -> Parsed[OrderStorefrontImages]:
    """``{"image_ids": [...]}``; missing or not a list is ``400``."""
    top = as_object(body)
    empty = OrderStorefrontImages(product_id=product_id)
    if top is None:
        return finish(empty, {}, NOT_AN_OBJECT)
    ids = top.get("image_ids")
    if not isinstance(ids, list):
        return finish(empty, {}, IMAGE_IDS_NOT_A_LIST)
    # An item that is not a string names no image of the product: 404 like a foreign id.
    named = tuple(item if isinstance(item, str) else "" for item in ids)
    return finish(OrderStorefrontImages(product_id=product_id, image_ids=named), {})

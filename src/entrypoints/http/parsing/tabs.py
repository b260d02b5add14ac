"""Lenient parser of the product tab bodies (spec 20 §1.2)."""

from __future__ import annotations

from typing import Any

from msgspec import UNSET, UnsetType

from reseller_core.commands.tabs import SaveProductTab
from reseller_core.domain.validation import IS_INVALID
from reseller_core.errors import FieldErrors
from reseller_entrypoints.http.parsing.values import NOT_AN_OBJECT, Parsed, as_object, finish

POSITION_LIMIT = 2**31
"""Positions are stored as 32-bit integers; a larger one is ``is invalid``."""


def parse_save_tab(body: Any) -> Parsed[SaveProductTab]:
    """``{"product_tab": {"name"?, "position"?}}``; a missing object is ``400``."""
    invalid: str | None = None
    payload = as_object(body)
    if payload is None:
        invalid, payload = NOT_AN_OBJECT, {}
    else:
        inner = as_object(payload.get("product_tab"))
        if inner is None:
            invalid = "product_tab payload is required"
        payload = inner or {}
    problems: FieldErrors = {}
    name: str | UnsetType | None = UNSET
    if "name" in payload:
        value = payload["name"]
        if value is None or isinstance(value, str):
            name = value
        else:
            problems["name"] = [IS_INVALID]
    position: int | UnsetType | None = UNSET
    if "position" in payload:
        value = payload["position"]
        if value is None:
            position = None
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) < POSITION_LIMIT:
            position = value
        else:
            problems["position"] = [IS_INVALID]
    return finish(SaveProductTab(name=name, position=position), problems, invalid)

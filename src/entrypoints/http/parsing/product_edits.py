"""Lenient parser of the ``PATCH /products/{id}`` body (spec 20 §2.1, §3.4)."""

from __future__ import annotations

from typing import Any

from msgspec import UNSET, UnsetType

from reseller_core.commands.product_edits import UpdateProduct
from reseller_core.domain.products import SellerFields
from reseller_core.domain.validation import IS_INVALID
from reseller_core.errors import FieldErrors
from reseller_entrypoints.http.parsing.products import PRODUCT_NOT_AN_OBJECT, read_seller_fields
from reseller_entrypoints.http.parsing.values import NOT_AN_OBJECT, Parsed, as_object, finish

_FLAGS = {
    "true": True, "1": True, "on": True, "false": False, "0": False, "off": False,
}  # fmt: skip


def read_flag(value: object) -> bool | UnsetType:
    """``storefront_enabled``: true/false, "true"/"false", 1/0, "1"/"0", "on"/"off";
    anything else is ignored (spec 20 §2.1)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        return _FLAGS.get(value.strip().lower(), UNSET)
    return UNSET


def parse_update_product(product_id: str, body: Any) -> Parsed[UpdateProduct]:
    top = as_object(body)
    if top is None:
        return finish(UpdateProduct(product_id=product_id), {}, NOT_AN_OBJECT)
    invalid: str | None = None
    problems: FieldErrors = {}
    data: dict[str, object] = {}
    if "product" in top and top["product"] is not None:
        inner = as_object(top["product"])
        if inner is None:
            invalid = PRODUCT_NOT_AN_OBJECT
        else:
            data = inner
    fields = read_seller_fields(data, problems, creating=False) if data else SellerFields()
    status: str | UnsetType = UNSET
    if "status" in data:
        if isinstance(data["status"], str):
            status = data["status"]
        else:
            problems["status"] = [IS_INVALID]
    enabled = read_flag(data["storefront_enabled"]) if "storefront_enabled" in data else UNSET
    urls: dict[str, str | None] | UnsetType = UNSET
    raw = top.get("marketplace_external_urls")
    if as_object(raw) is None:
        raw = data.get("marketplace_external_urls")
    if (found := as_object(raw)) is not None:
        urls = {}
        wrong: dict[str, list[str]] = {}
        for market, value in found.items():
            if value is None or isinstance(value, str):
                urls[market] = value
            else:
                wrong[market] = ["must be a valid http or https URL"]
        if wrong:
            problems["marketplace_external_urls"] = wrong
    command = UpdateProduct(
        product_id=product_id,
        fields=fields,
        status=status,
        storefront_enabled=enabled,
        marketplace_external_urls=urls,
    )
    return finish(command, problems, invalid)

"""The field rules applied to JSON values, as a request body reaches them.

The HTTP edge reads a JSON value into typed command fields (recording values of the wrong
type); the core applies the rules to the typed values. These helpers chain the two, so the
rule tests can state the contract in JSON terms ("``5`` as a title is invalid").
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from msgspec import UnsetType

from reseller_core.domain.products import TEXT_LIMITS, SellerFields, check_seller_fields
from reseller_core.domain.uploads import (
    DEFAULT_MAX_ORIGINALS,
    FinalizeItem,
    UploadIntent,
    check_finalize_items,
    check_upload_intents,
)
from reseller_core.domain.validation import IS_INVALID, Errors, check_money
from reseller_core.errors import FieldErrors
from reseller_entrypoints.http.parsing.products import (
    Unreadable,
    read_finalize_items,
    read_money,
    read_seller_fields,
    read_upload_intents,
)

EDITABLE = (*TEXT_LIMITS, "price", "cost", "tags", "product_tab_id", "source")


def validate_product_fields(
    errors: Errors, body: dict[str, Any], *, creating: bool
) -> dict[str, Any]:
    """The checked values of the seller fields present in ``body`` (invalid ones as None)."""
    problems: FieldErrors = {}
    fields = read_seller_fields(body, problems, creating=creating)
    checked = check_seller_fields(errors, fields, problems, creating=creating)
    values: dict[str, Any] = {}
    for field in EDITABLE:
        if field not in body or (field == "source" and not creating):
            continue
        value = getattr(checked, field)
        if isinstance(value, UnsetType):
            continue  # an invalid source is not a value
        values[field] = value
    return values


def parse_tags(errors: Errors, value: Any) -> tuple[str, ...]:
    tags = validate_product_fields(errors, {"tags": value}, creating=False)["tags"]
    assert isinstance(tags, tuple)
    return tags


def clean_text(value: Any) -> tuple[str | None, bool]:
    """A free-text field's value: (trimmed or None, whether it was readable)."""
    errors = Errors()
    title = validate_product_fields(errors, {"notes": value}, creating=False)["notes"]
    return title, errors.fields.get("notes") != [IS_INVALID]


def parse_money(errors: Errors, field: str, value: Any) -> Decimal | None:
    amount = read_money(value)
    if isinstance(amount, Unreadable):
        errors.add(field, IS_INVALID)
        return None
    return check_money(errors, field, amount)


def validate_upload_intents(
    value: Any,
    *,
    existing_originals: int = 0,
    max_originals: int = DEFAULT_MAX_ORIGINALS,
    required: bool = False,
) -> tuple[list[UploadIntent], FieldErrors]:
    problems: FieldErrors = {}
    intents = read_upload_intents(value, problems)
    return check_upload_intents(
        intents,
        problems.get("uploads"),
        existing_originals=existing_originals,
        max_originals=max_originals,
        required=required,
    )


def validate_finalize_items(value: Any) -> tuple[list[FinalizeItem], list[str], FieldErrors]:
    problems: FieldErrors = {}
    items = read_finalize_items(value, problems)
    return check_finalize_items(items, problems.get("uploads"))


__all__ = [
    "SellerFields",
    "clean_text",
    "parse_money",
    "parse_tags",
    "validate_finalize_items",
    "validate_product_fields",
    "validate_upload_intents",
]

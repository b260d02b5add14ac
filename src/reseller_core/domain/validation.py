"""Small building blocks for field validation with the contract's message vocabulary."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from reseller_core.errors import FieldErrors, ValidationFailed

CANT_BE_BLANK = "can't be blank"
IS_INVALID = "is invalid"
TAKEN = "has already been taken"


def too_short(n: int) -> str:
    return f"should be at least {n} character(s)"


def too_long(n: int) -> str:
    return f"should be at most {n} character(s)"


def too_many_items(n: int) -> str:
    return f"should have at most {n} item(s)"


def too_few_items(n: int) -> str:
    return f"should have at least {n} item(s)"


def greater_than(n: int) -> str:
    return f"must be greater than {n}"


def greater_or_equal(n: int) -> str:
    return f"must be greater than or equal to {n}"


def less_or_equal(n: int | str) -> str:
    return f"must be less than or equal to {n}"


class Errors:
    """Collects field errors; ``raise_if_any`` turns them into one ValidationFailed."""

    def __init__(self) -> None:
        self.fields: FieldErrors = {}

    def add(self, field: str, message: str) -> None:
        self.fields.setdefault(field, []).append(message)

    def put(self, field: str, value: Any) -> None:
        """Set a nested structure (an aligned list or a map) for ``field``."""
        self.fields[field] = value

    def __bool__(self) -> bool:
        return bool(self.fields)

    def raise_if_any(self) -> None:
        if self.fields:
            raise ValidationFailed(self.fields)


def clean_text(value: Any) -> tuple[str | None, bool]:
    """Trim a free-text value; blank becomes None. Returns (value, ok)."""
    if value is None:
        return None, True
    if not isinstance(value, str):
        return None, False
    stripped = value.strip()
    return (stripped or None), True


def optional_text(errors: Errors, field: str, value: Any, max_len: int) -> str | None:
    """Validate an optional free-text field: trimmed, blank → None, bounded length."""
    text, ok = clean_text(value)
    if not ok:
        errors.add(field, IS_INVALID)
        return None
    if text is not None and len(text) > max_len:
        errors.add(field, too_long(max_len))
    return text


MAX_MONEY = Decimal("9999999999.99")
_CENTS = Decimal("0.01")
_NUMERIC = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def parse_money(errors: Errors, field: str, value: Any) -> Decimal | None:
    """Parse a decimal amount given as a JSON number or a numeric string (2 decimals)."""
    if value is None:
        return None
    if isinstance(value, bool):
        errors.add(field, IS_INVALID)
        return None
    if isinstance(value, int | float | str):
        text = value.strip() if isinstance(value, str) else repr(value)
        if isinstance(value, str) and not text:
            return None
        if isinstance(value, str) and not _NUMERIC.fullmatch(text):
            errors.add(field, IS_INVALID)  # Decimal() also takes "1_000", "١٢", "NaN"
            return None
        try:
            amount = Decimal(text)
        except InvalidOperation:
            errors.add(field, IS_INVALID)
            return None
        if not amount.is_finite():
            errors.add(field, IS_INVALID)
            return None
        if abs(amount) <= MAX_MONEY + 1:  # quantize raises when the digits exceed the context
            amount = amount.quantize(_CENTS, rounding=ROUND_HALF_UP)
        if amount < 0:
            errors.add(field, greater_or_equal(0))
            return None
        if amount > MAX_MONEY:
            errors.add(field, less_or_equal("9999999999.99"))
            return None
        return amount.copy_abs()  # "-0.001" rounds to -0.00: store and show 0.00
    errors.add(field, IS_INVALID)
    return None


def format_money(amount: Decimal | None) -> str | None:
    """Serialise an amount the contract's way: plain notation, exactly two decimals."""
    if amount is None:
        return None
    return f"{amount.quantize(_CENTS, rounding=ROUND_HALF_UP):f}"


def strict_int(value: Any) -> int | None:
    """Accept a JSON integer (not a bool, not a float with a fraction)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None

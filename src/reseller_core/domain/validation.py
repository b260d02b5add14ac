"""Small building blocks for field validation with the contract's message vocabulary."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import cast

from reseller_core.errors import FieldError, FieldErrors, ValidationFailed

CANT_BE_BLANK = "can't be blank"
IS_INVALID = "is invalid"
TAKEN = "has already been taken"


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
"""NUL and surrogate code points. A Python string holds a surrogate only unpaired (a JSON
pair decodes to one character), and neither can be stored alike everywhere: PostgreSQL
refuses NUL in text, and a lone surrogate has no UTF-8 encoding."""


def has_unstorable_characters(value: str) -> bool:
    """True when ``value`` holds a NUL or an unpaired surrogate (refused as ``is invalid``)."""
    return _UNSTORABLE.search(value) is not None


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
        current = self.fields.get(field)
        messages = cast(list[str], current) if isinstance(current, list) else []
        self.fields[field] = [*messages, message]

    def put(self, field: str, value: FieldError) -> None:
        """Set a nested structure (an aligned list or a map) for ``field``."""
        self.fields[field] = value

    def carry(self, field: str, unread: FieldErrors) -> bool:
        """Take the edge's messages for ``field`` (see ``InputProblems``); True if there were.

        A field the edge could not read gets only those messages: the rules for its value
        are skipped, as the command holds a neutral stand-in for it.
        """
        if field not in unread:
            return False
        self.fields[field] = unread[field]
        return True

    def __bool__(self) -> bool:
        return bool(self.fields)

    def raise_if_any(self) -> None:
        if self.fields:
            raise ValidationFailed(self.fields)


def optional_text(errors: Errors, field: str, value: str | None, max_len: int) -> str | None:
    """An optional free-text value: trimmed, blank → None, at most ``max_len`` characters."""
    text = value.strip() if value is not None else ""
    if has_unstorable_characters(text):
        errors.add(field, IS_INVALID)
        return None
    if len(text) > max_len:
        errors.add(field, too_long(max_len))
    return text or None


MAX_MONEY = Decimal("9999999999.99")
_CENTS = Decimal("0.01")


def check_money(errors: Errors, field: str, amount: Decimal | None) -> Decimal | None:
    """An amount rounded to cents (half up) within 0..MAX_MONEY; None when invalid or unset."""
    if amount is None:
        return None
    if not amount.is_finite():
        errors.add(field, IS_INVALID)
        return None
    # copy_abs, not abs(): abs() rounds to the context and overflows on 1e999999999.
    if amount.copy_abs() <= MAX_MONEY + 1:  # quantize raises when digits exceed the context
        amount = amount.quantize(_CENTS, rounding=ROUND_HALF_UP)
    if amount < 0:
        errors.add(field, greater_or_equal(0))
        return None
    if amount > MAX_MONEY:
        errors.add(field, less_or_equal("9999999999.99"))
        return None
    return amount.copy_abs()  # "-0.001" rounds to -0.00: store and show 0.00


def format_money(amount: Decimal | None) -> str | None:
    """Serialise an amount the contract's way: plain notation, exactly two decimals."""
    if amount is None:
        return None
    return f"{amount.quantize(_CENTS, rounding=ROUND_HALF_UP):f}"

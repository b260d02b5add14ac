"""Field-validation building blocks: money, free text, integers, the error collector."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reseller_core.domain.validation import (
    MAX_MONEY,
    Errors,
    check_money,
    format_money,
    has_unstorable_characters,
    optional_text,
)
from reseller_core.errors import ValidationFailed
from reseller_entrypoints.http.parsing.products import strict_int

from .json_rules import clean_text, parse_money

TOO_BIG = "must be less than or equal to 9999999999.99"
NEGATIVE = "must be greater than or equal to 0"
INVALID = "is invalid"


def money(value: Any) -> tuple[Decimal | None, list[str] | None]:
    errors = Errors()
    amount = parse_money(errors, "price", value)
    return amount, errors.fields.get("price")


# --- money -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "0.00"),
        (12, "12.00"),
        (99.5, "99.50"),
        (12.345, "12.35"),
        (12.344, "12.34"),
        (1.005, "1.01"),
        (0.1 + 0.2, "0.30"),
        ("119", "119.00"),
        ("119.00", "119.00"),
        (" 7.5 ", "7.50"),
        ("1e2", "100.00"),
        (".5", "0.50"),
        ("0.005", "0.01"),
        ("0.004", "0.00"),
        (9999999999.99, "9999999999.99"),
        ("9999999999.994", "9999999999.99"),
        ("-0", "0.00"),
        (-0.0, "0.00"),
        ("-0.001", "0.00"),
    ],
)
def test_money_accepted(value: Any, expected: str) -> None:
    amount, messages = money(value)
    assert messages is None
    assert format_money(amount) == expected
    assert amount == Decimal(expected)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, NEGATIVE),
        (-0.01, NEGATIVE),
        ("-5.00", NEGATIVE),
        (-(10**30), NEGATIVE),
        ("9999999999.995", TOO_BIG),
        (10_000_000_000, TOO_BIG),
        ("1e30", TOO_BIG),
        (1e300, TOO_BIG),
        (10**40, TOO_BIG),
        ("1e400", TOO_BIG),
        (True, INVALID),
        (False, INVALID),
        ("NaN", INVALID),
        ("nan", INVALID),
        ("Infinity", INVALID),
        ("-Infinity", INVALID),
        ("inf", INVALID),
        ("sNaN", INVALID),
        (float("nan"), INVALID),
        (float("inf"), INVALID),
        ("abc", INVALID),
        ("12,50", INVALID),
        ("$12", INVALID),
        ("1_000", INVALID),
        ("١٢", INVALID),
        ("0x10", INVALID),
        ([1], INVALID),
        ({"amount": 1}, INVALID),
    ],
)
def test_money_rejected(value: Any, message: str) -> None:
    amount, messages = money(value)
    assert amount is None
    assert messages == [message]


@pytest.mark.parametrize("value", [None, "", "   "])
def test_money_blank_is_null(value: Any) -> None:
    assert money(value) == (None, None)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    st.decimals(allow_nan=False, allow_infinity=False, min_value=0, max_value=MAX_MONEY, places=2)
)
def test_money_two_decimal_round_trip(amount: Decimal) -> None:
    for raw in (str(amount), format_money(amount)):
        parsed, messages = money(raw)
        assert messages is None
        assert parsed == amount
        assert format_money(parsed) == format_money(amount)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    st.one_of(
        st.integers(min_value=-(10**40), max_value=10**40),
        st.floats(),
        st.text(max_size=30),
        st.decimals().map(str),
        st.booleans(),
        st.none(),
    )
)
def test_money_never_raises_and_stays_in_range(value: Any) -> None:
    amount, messages = money(value)
    if amount is None:
        return
    assert messages is None
    assert Decimal(0) <= amount <= MAX_MONEY
    assert amount == amount.quantize(Decimal("0.01"))
    text = format_money(amount)
    assert text is not None
    assert not text.startswith("-")
    assert text.count(".") == 1
    assert len(text.split(".")[1]) == 2


def test_format_money() -> None:
    assert format_money(None) is None
    assert format_money(Decimal("5")) == "5.00"
    assert format_money(Decimal("1E+3")) == "1000.00"
    assert format_money(Decimal("2.675")) == "2.68"


# --- text --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, (None, True)),
        ("", (None, True)),
        ("  \t\n", (None, True)),
        ("  Nike  ", ("Nike", True)),
        ("a b", ("a b", True)),
        (5, (None, False)),
        (True, (None, False)),
        (["x"], (None, False)),
    ],
)
def test_clean_text(value: Any, expected: tuple[str | None, bool]) -> None:
    assert clean_text(value) == expected


@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=40),
    st.integers(1, 30),
)
def test_optional_text_property(value: str, limit: int) -> None:
    errors = Errors()
    result = optional_text(errors, "title", value, limit)
    stripped = value.strip()
    assert result == (stripped or None)
    if stripped and len(stripped) > limit:
        assert errors.fields == {"title": [f"should be at most {limit} character(s)"]}
    else:
        assert not errors


def test_optional_text_counts_after_trimming() -> None:
    errors = Errors()
    assert optional_text(errors, "title", "  " + "x" * 10 + "  ", 10) == "x" * 10
    assert not errors


def test_optional_text_wrong_type() -> None:
    assert clean_text(42) == (None, False)


# --- integers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, 3),
        (0, 0),
        (-2, -2),
        (4.0, 4),
        (4.5, None),
        (True, None),
        (False, None),
        ("3", None),
        (None, None),
        (float("nan"), None),
        (float("inf"), None),
    ],
)
def test_strict_int(value: Any, expected: int | None) -> None:
    assert strict_int(value) == expected


# --- the collector -----------------------------------------------------------------------


def test_errors_collect_and_raise_once() -> None:
    errors = Errors()
    assert not errors
    errors.raise_if_any()
    errors.add("title", "a")
    errors.add("title", "b")
    errors.put("uploads", [{}, {"byte_size": ["x"]}])
    assert errors
    with pytest.raises(ValidationFailed) as info:
        errors.raise_if_any()
    assert info.value.fields == {"title": ["a", "b"], "uploads": [{}, {"byte_size": ["x"]}]}
    assert info.value.code == "validation_failed"
    assert info.value.detail == "Validation failed"
    assert info.value.extra() == {"fields": info.value.fields}


@pytest.mark.parametrize("value", ["a\x00b", "\x00", "x\ud800", "\udfff"])
def test_text_with_nul_or_a_lone_surrogate_is_invalid(value: str) -> None:
    errors = Errors()
    assert optional_text(errors, "title", value, 160) is None
    assert errors.fields == {"title": ["is invalid"]}
    assert has_unstorable_characters(value)


def test_paired_surrogates_are_one_character_and_fine() -> None:
    assert not has_unstorable_characters("\U0001f600 emoji")


@pytest.mark.parametrize("amount", ["1e999999999", "-1e999999999", "1e400"])
def test_amounts_past_the_decimal_context_are_out_of_range(amount: str) -> None:
    errors = Errors()
    assert check_money(errors, "price", Decimal(amount)) is None
    assert errors.fields["price"] in (
        ["must be less than or equal to 9999999999.99"],
        ["must be greater than or equal to 0"],
    )

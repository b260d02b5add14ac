"""Amounts from providers become stored money: two places, never negative, never "-0.00"."""

from __future__ import annotations

from decimal import Decimal

import pytest

from reseller_core.services.processing.stages.price import money, money_text


@pytest.mark.parametrize("raw", ["-0", "-0.0", "0E-7", Decimal("-0"), -0.0])
def test_a_negative_zero_is_stored_as_plain_zero(raw: object) -> None:
    amount = money(raw)
    assert amount == 0
    assert not amount.is_signed()
    assert money_text(amount) == "0.00"


@pytest.mark.parametrize("raw", ["-0.01", "-5", "NaN", "-Infinity", "abc", None, "1e999999"])
def test_unusable_amounts_are_none(raw: object) -> None:
    assert money(raw) is None


def test_amounts_round_to_cents() -> None:
    assert money_text(money("12.345")) == "12.34"
    assert money_text(money(7)) == "7.00"

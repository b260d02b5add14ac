"""What the plugin adds beyond the suites: its Vinted description limit and its settings."""

from __future__ import annotations

from decimal import Decimal
from importlib.metadata import entry_points

import pytest
from reseller_core.ports import ListingResult

from reseller_example_plugin import ExampleAIProvider, VintedMarketplace
from reseller_example_plugin.factories import (
    CURRENCY_VARIABLE,
    example_ai_provider,
    vinted_marketplace,
)
from reseller_example_plugin.vinted import VINTED

DESCRIPTION_MAX_CHARS = VINTED.rules.description_max_chars


def test_entry_points_name_the_factories() -> None:
    ai = {entry.name: entry.value for entry in entry_points(group="reseller.ai_providers")}
    markets = {entry.name: entry.value for entry in entry_points(group="reseller.marketplaces")}
    assert ai["example"] == "reseller_example_plugin.factories:example_ai_provider"
    assert markets["vinted"] == "reseller_example_plugin.factories:vinted_marketplace"


def test_long_descriptions_are_cut_at_a_word_with_a_warning() -> None:
    words = "Soft canvas upper with a padded collar and a grippy sole. " * 60
    words = words.rstrip()
    shaped = VintedMarketplace().shape(
        ListingResult(
            generated_title="Acme Sneakers",
            generated_description=words,
            generated_price_suggestion=Decimal("20.00"),
        )
    )
    assert DESCRIPTION_MAX_CHARS == 2000
    assert len(shaped.description) <= DESCRIPTION_MAX_CHARS
    assert words.startswith(shaped.description)
    assert words[len(shaped.description)] == " "
    assert shaped.compliance_warnings == (
        f"Description shortened to {DESCRIPTION_MAX_CHARS} characters for Vinted",
    )


def test_factories_build_the_adapters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CURRENCY_VARIABLE, "GBP")
    provider = example_ai_provider(object(), object())  # type: ignore[arg-type]
    assert isinstance(provider, ExampleAIProvider)
    assert provider.currency == "GBP"
    market = vinted_marketplace(object(), object())  # type: ignore[arg-type]
    assert (market.id, market.label) == ("vinted", "Vinted")


@pytest.mark.parametrize("currency", ["eur", "EURO", "", "€"])
def test_a_bad_currency_is_refused_with_a_clear_error(currency: str) -> None:
    with pytest.raises(ValueError, match="3 upper-case letters"):
        ExampleAIProvider(currency=currency)

"""Marketplace adapters: the built-in catalogue; third parties register their own."""

from reseller_adapters.marketplaces.builtin import BuiltinMarketplace, builtin_marketplaces

__all__ = ["BuiltinMarketplace", "builtin_marketplaces"]

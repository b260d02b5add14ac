"""The built-in marketplaces: each one is its catalogue entry plus the shared rule shaper.

The rule enforcement lives in ``reseller_core.domain.listing_rules`` (pure and unit-tested);
this class only binds one catalogue entry to it, so a third-party marketplace with plain
limits can do the same with its own ``Marketplace``.
"""

from __future__ import annotations

from collections.abc import Sequence

from reseller_core.domain.listing_rules import ShapedListing, shape_listing
from reseller_core.domain.marketplaces import Marketplace, MarketplaceRules, get_marketplace
from reseller_core.ports import ListingResult, MarketplaceAdapter


class BuiltinMarketplace:
    """A ``MarketplaceAdapter`` for one catalogue marketplace (spec 30 §7)."""

    def __init__(self, marketplace: Marketplace) -> None:
        self.id: str = marketplace.id
        self.label: str = marketplace.label
        self.rules: MarketplaceRules = marketplace.rules

    def shape(self, draft: ListingResult) -> ShapedListing:
        """Trim and limit ``draft`` to this marketplace's rules; adjustments become warnings."""
        return shape_listing(
            self.id,
            self.label,
            self.rules,
            title=draft.generated_title,
            description=draft.generated_description,
            tags=draft.generated_tags,
        )

    def __repr__(self) -> str:
        return f"BuiltinMarketplace(id={self.id!r})"


def builtin_marketplaces(supported: Sequence[str]) -> dict[str, MarketplaceAdapter]:
    """Adapters for the ``supported`` ids that the built-in catalogue knows, in that order.

    Ids outside the catalogue are skipped: a plugin may provide them. The composition root
    warns about those that neither the catalogue nor a plugin provides.
    """
    adapters: dict[str, MarketplaceAdapter] = {}
    for marketplace_id in supported:
        marketplace = get_marketplace(marketplace_id)
        if marketplace is not None:
            adapters[marketplace_id] = BuiltinMarketplace(marketplace)
    return adapters

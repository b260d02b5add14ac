"""A marketplace adapter for Vinted: its catalogue entry bound to the core's rule shaper.

The limits are illustrative; check Vinted's current listing rules before relying on them.
"""

from __future__ import annotations

from typing import Final

from reseller_core.domain.listing_rules import ShapedListing, shape_listing
from reseller_core.domain.marketplaces import Marketplace, MarketplaceRules
from reseller_core.ports import ListingResult

VINTED: Final = Marketplace(
    id="vinted",
    label="Vinted",
    rules=MarketplaceRules(
        model="peer-to-peer",
        tone="casual and honest; size, condition and flaws stated plainly",
        title_max_chars=100,
        tags_max=0,
        hashtags_in_description=5,
        description_max_chars=2000,
    ),
)


class VintedMarketplace:
    """``MarketplaceAdapter`` for Vinted: title, tag, hashtag and description limits."""

    id: str = VINTED.id
    label: str = VINTED.label
    rules: MarketplaceRules = VINTED.rules

    def shape(self, draft: ListingResult) -> ShapedListing:
        """Fit ``draft`` to Vinted; every change is reported as a compliance warning."""
        return shape_listing(
            self.id,
            self.label,
            self.rules,
            title=draft.generated_title,
            description=draft.generated_description,
            tags=draft.generated_tags,
        )

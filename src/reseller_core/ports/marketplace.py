"""A marketplace adapter shapes generated copy to one marketplace's rules."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from reseller_core.domain.listing_rules import ShapedListing
from reseller_core.domain.marketplaces import MarketplaceRules
from reseller_core.ports.ai import ListingResult

__all__ = ["MarketplaceAdapter", "ShapedListing"]


@runtime_checkable
class MarketplaceAdapter(Protocol):
    id: str
    label: str
    rules: MarketplaceRules

    def shape(self, draft: ListingResult) -> ShapedListing:
        """Enforce the rules on ``draft``; never invent content, only trim and flag.

        ``reseller_core.domain.listing_rules.shape_listing`` does this for rule-based
        marketplaces. The returned warnings are the adapter's own adjustments; the
        pipeline adds ``draft.compliance_warnings`` to them.
        """
        ...

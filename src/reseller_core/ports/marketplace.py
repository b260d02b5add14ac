"""A marketplace adapter shapes generated copy to one marketplace's rules."""

from __future__ import annotations

from typing import Protocol

import msgspec

from reseller_core.domain.marketplaces import MarketplaceRules
from reseller_core.ports.ai import ListingResult


class ShapedListing(msgspec.Struct, frozen=True, kw_only=True):
    """Copy after the marketplace's rules were enforced; each adjustment is a warning."""

    title: str
    description: str
    tags: tuple[str, ...]
    compliance_warnings: tuple[str, ...]


class MarketplaceAdapter(Protocol):
    id: str
    label: str
    rules: MarketplaceRules

    def shape(self, draft: ListingResult) -> ShapedListing:
        """Enforce the rules on ``draft``; never invent content, only trim and flag."""
        ...

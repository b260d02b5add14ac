"""A marketplace adapter for Vinted: the core's rule shaper plus one rule of its own.

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
    ),
)

DESCRIPTION_MAX_CHARS: Final = 2000
"""A limit ``MarketplaceRules`` has no field for, so this adapter enforces it itself."""


def _cut_at_word(text: str, limit: int) -> str:
    """The longest prefix of ``text`` within ``limit`` characters that ends at a word."""
    if len(text) <= limit:
        return text
    head = text[: limit + 1]
    cut = head.rsplit(maxsplit=1)[0] if len(head.split()) > 1 else text[:limit]
    return cut[:limit].rstrip()


class VintedMarketplace:
    """``MarketplaceAdapter`` for Vinted: shared title/tag/hashtag rules, capped descriptions."""

    id: str = VINTED.id
    label: str = VINTED.label
    rules: MarketplaceRules = VINTED.rules

    def shape(self, draft: ListingResult) -> ShapedListing:
        """Fit ``draft`` to Vinted; every change is reported as a compliance warning."""
        shaped = shape_listing(
            self.id,
            self.label,
            self.rules,
            title=draft.generated_title,
            description=draft.generated_description,
            tags=draft.generated_tags,
        )
        if len(shaped.description) <= DESCRIPTION_MAX_CHARS:
            return shaped
        return ShapedListing(
            title=shaped.title,
            description=_cut_at_word(shaped.description, DESCRIPTION_MAX_CHARS),
            tags=shaped.tags,
            compliance_warnings=(
                *shaped.compliance_warnings,
                f"Description shortened to {DESCRIPTION_MAX_CHARS} characters for {self.label}",
            ),
        )

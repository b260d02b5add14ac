"""The offline search provider: the embedded default, which searches nothing.

Without a network there are no visual or shopping matches to report, and inventing some
would ground recognition and prices in nothing. So it answers every query with no
matches: a low-confidence recognition then goes to review (spec 30 §6.5), and price
research proceeds on the seller's facts alone, saying so.
"""

from __future__ import annotations

from reseller_core.ports.search import SearchMatch


class OfflineSearchProvider:
    """``SearchProvider`` that finds nothing, deterministically and without a network."""

    name = "offline"
    free = True
    """Its calls reach no paid service: not priced, not counted against a daily ceiling."""
    offline = True

    async def lens_matches(self, image_url: str) -> tuple[SearchMatch, ...]:
        return ()

    async def shopping_matches(self, query: str) -> tuple[SearchMatch, ...]:
        return ()

"""Visual and shopping search (spec 30 §6.1, §6.4, §6.7): evidence for recognition and pricing."""

from __future__ import annotations

from decimal import Decimal
from typing import Final, Protocol, runtime_checkable

import msgspec

MATCH_TYPES: Final = frozenset({"visual_match", "exact_match", "product"})
"""``SearchMatch.match_type`` values: Lens visual and exact matches, shopping products."""


class SearchMatch(msgspec.Struct, frozen=True, kw_only=True):
    """One normalised search result (spec 30 §6.4).

    ``price`` is the listed amount as an exact Decimal (None when the result states none);
    ``offline`` marks a result that was not fetched from a search service.
    """

    title: str
    match_type: str
    brand: str | None = None
    price: Decimal | None = None
    currency: str | None = None
    source: str | None = None
    source_domain: str | None = None
    url: str | None = None
    thumbnail_url: str | None = None
    offline: bool = False


class SearchProviderError(Exception):
    """A search call failed; ``retryable`` says whether trying again later may help."""

    def __init__(
        self, message: str, *, retryable: bool, details: dict[str, object] | None = None
    ) -> None:
        self.retryable = retryable
        self.details = details or {}
        super().__init__(message)


@runtime_checkable
class SearchProvider(Protocol):
    """Finds the item on the web: by photo (Lens) and by words (Shopping).

    An adapter whose calls cost nothing declares ``free = True`` (see
    ``reseller_core.ports.usage.MeteredProvider``): its calls count against no daily ceiling.
    """

    name: str
    offline: bool

    async def lens_matches(self, image_url: str) -> tuple[SearchMatch, ...]:
        """Visual matches for the image at ``image_url`` (a URL the service can fetch)."""
        ...

    async def shopping_matches(self, query: str) -> tuple[SearchMatch, ...]:
        """Shopping results for ``query``; a blank query returns ``()`` without a call."""
        ...

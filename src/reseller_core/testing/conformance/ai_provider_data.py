"""The inputs the ``AIProvider`` conformance suite feeds a provider, and its small checks.

Kept apart from the suite's tests so the suite stays readable; the suite module re-exports
the inputs a plugin's own tests use (``SELLER_FACTS`` ...), which is where they import them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal

from reseller_core.domain.marketplaces import CATALOG, Marketplace, MarketplaceRules
from reseller_core.domain.runs import RunErrorCode
from reseller_core.ports.ai import ProductFacts
from reseller_core.ports.search import SearchMatch

RUN_ERROR_CODES = frozenset(code.value for code in RunErrorCode)

SELLER_FACTS = ProductFacts(
    product_id="01JCONFORMANCEPRODUCT00000",
    title="Acme Trail Runner Sneakers",
    brand="Acme",
    category="sneakers",
    condition="used - good",
    color="red",
    size="EU 42",
    material="canvas",
    tags=("#running", "trail"),
)
"""What a seller typed (a tag with its hash sign included). The sample photo shows a *blue*
item: copy must still say red."""

UNKNOWN_FACTS = ProductFacts(product_id="01JCONFORMANCEPRODUCT00001")
"""A product the seller said nothing about."""

CONTRADICTED_COLOUR = "blue"

INVENTED_CLAIMS = re.compile(
    r"(?i)\b(brand[- ]new|new with tags|nwt|like new|mint condition|never worn|"
    r"authentic(ated)?|guaranteed|warranty)\b"
)
"""Condition and authenticity claims a "used - good" item with no proof must not get."""

CUSTOM_MARKETPLACE = Marketplace(
    id="conformance_market",
    label="Conformance Market",
    rules=MarketplaceRules(model="custom", tone="factual", title_max_chars=40, tags_max=2),
)
"""A marketplace outside the catalogue, as a plugin would bring."""

CURRENCY = re.compile(r"[A-Z]{3}")
HASHTAG = re.compile(r"(?<![\w&#])#[^\W\d_]\w*")

SEARCH_MATCHES = tuple(
    SearchMatch(
        title=f"Acme Trail Runner sneakers, size {size}",
        match_type="product" if index else "visual_match",
        brand="Acme",
        price=Decimal(price),
        currency="USD",
        source="Example Resale",
        source_domain="resale.example",
        url=f"https://resale.example/listing/{index}",
    )
    for index, (size, price) in enumerate((("41", "38.00"), ("42", "45.50"), ("43", "52.00")))
)
"""What a search found for the seller's item: three listed pairs of the same sneakers."""


def is_fraction(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1


def all_strings(values: object) -> bool:
    return isinstance(values, tuple | list) and all(isinstance(v, str) for v in values)


def joined(parts: Iterable[str | None]) -> str:
    return "\n".join(part for part in parts if part)


def folded(parts: Iterable[str | None]) -> str:
    """The parts joined, case-folded, runs of whitespace as one space."""
    return " ".join(" ".join(part for part in parts if part).split()).casefold()


def restates(value: str | None, seller: str | None) -> bool:
    """True when ``value`` is unknown (None or blank) or restates the seller's value."""
    if value is None or not value.strip() or seller is None:
        return True
    return " ".join(value.split()).casefold() == " ".join(seller.split()).casefold()


RECOGNITION_FIELDS = frozenset(
    {"brand", "category", "possible_model", "color", "material", "logo_text"}
)
"""The fields ``field_confidence`` may rate (spec 30 §6.3)."""

OTHER_BRAND_MATCHES = tuple(
    SearchMatch(
        title=f"Zeta Road Glide running shoes, size {size}",
        match_type="visual_match",
        brand="Zeta",
        source="Example Resale",
        url=f"https://resale.example/zeta/{size}",
    )
    for size in ("41", "42")
)
"""Look-alikes of another brand: never the seller's model family."""

BRAND_FIELD_MATCHES = (
    SearchMatch(
        title="Trail Runner sneakers, size 42",
        match_type="exact_match",
        brand="Acme",
        source="Example Resale",
        url="https://resale.example/listing/brand-field",
    ),
)
"""A match whose brand is only in its ``brand`` field, not in its title."""

RECOGNISED = {
    "brand": "Zeta",
    "category": "boots",
    "material": "leather",
    "color": "green",
}
"""What a recognition stated, none of it the seller's: used where the seller said nothing,
never where the seller did (spec 30 §6.5: seller values always win)."""

ONE_HASHTAG_MARKETPLACE = Marketplace(
    id="one_hashtag_market",
    label="One Hashtag Market",
    rules=MarketplaceRules(
        model="social", tone="casual", hashtags_in_description=1, hashtags_min=1, tags_max=3
    ),
)
"""A plugin marketplace that wants exactly one hashtag in the description."""


COMPARABLE_KEYS = frozenset(
    {"title", "marketplace", "price", "condition", "url", "source_domain", "source"}
)
"""The keys spec 30 §6.7 suggests for a comparable result."""


def says(text: str, value: str) -> bool:
    """True when ``value`` appears in ``text`` as whole words, ignoring case and spacing."""
    return re.search(rf"(?<!\w){re.escape(folded([value]))}(?!\w)", folded([text])) is not None


MARKETPLACES = (*CATALOG, CUSTOM_MARKETPLACE, ONE_HASHTAG_MARKETPLACE)
"""The catalogue and two marketplaces outside it, as plugins would bring: the listing tests
write for each."""

STATED_FACTS = {
    "brand": SELLER_FACTS.brand or "",
    "category": SELLER_FACTS.category or "",
    "color": SELLER_FACTS.color or "",
    "material": SELLER_FACTS.material or "",
    "size": SELLER_FACTS.size or "",
    "condition": SELLER_FACTS.condition or "",
}
"""Each fact of ``SELLER_FACTS`` by its field name, as copy names it."""

"""eBay titles: no ALL CAPS, no emoji (spec 30 §7). Shouted words are recased with a warning;
the offline provider's copy ends up within the same rule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reseller_adapters.ai.offline import OfflineAIProvider
from reseller_adapters.marketplaces import builtin_marketplaces
from reseller_core.domain.listing_rules import LISTING_ACRONYMS, shape_listing
from reseller_core.domain.marketplaces import get_marketplace
from reseller_core.ports import ListingRequest, ProductFacts, Recognition

EBAY = get_marketplace("ebay")
DEPOP = get_marketplace("depop")
assert EBAY is not None and DEPOP is not None
RECASED = "Title recased from ALL CAPS for eBay"


def ebay_title(title: str) -> tuple[str, tuple[str, ...]]:
    assert EBAY is not None
    shaped = shape_listing("ebay", "eBay", EBAY.rules, title=title, description="d", tags=[])
    return shaped.title, shaped.compliance_warnings


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("ACME TRAIL RUNNER SNEAKERS SIZE 10 NWT", "Acme Trail Runner Sneakers Size 10 NWT"),
        ("NIKE'S AIR MAX XL", "Nike's Air Max XL"),
        ("Acme TRAIL Runner sneakers", "Acme Trail Runner sneakers"),
        ("Levi's 501XX Jeans W32", "Levi's 501XX Jeans W32"),
        ("Acme USB LED Desk Lamp", "Acme USB LED Desk Lamp"),
    ],
)
def test_shouted_words_are_recased_acronyms_and_codes_kept(title: str, expected: str) -> None:
    shaped, warnings = ebay_title(title)
    assert shaped == expected
    assert (RECASED in warnings) is (shaped != title)


def test_emoji_are_removed_with_a_warning() -> None:
    shaped, warnings = ebay_title("Acme sneakers 🔥🔥 rare ✨")
    assert shaped == "Acme sneakers rare"
    assert warnings == ("Removed emoji from the title for eBay",)


def test_other_marketplaces_keep_their_capitals() -> None:
    assert DEPOP is not None
    shaped = shape_listing(
        "depop", "Depop", DEPOP.rules, title="ACME TRAIL SNEAKERS", description="d", tags=[]
    )
    assert shaped.title == "ACME TRAIL SNEAKERS" and shaped.compliance_warnings == ()


@given(st.text(alphabet=st.sampled_from("ABCDEFabc XYZ'01🔥"), max_size=60))
def test_a_shaped_ebay_title_has_no_shouted_word_and_is_stable(title: str) -> None:
    shaped, _ = ebay_title(title)
    for word in shaped.split():
        letters = word.replace("'", "")
        if letters.isalpha() and len(letters) >= 4 and word not in LISTING_ACRONYMS:
            assert not word.isupper(), (title, shaped)
    again, warnings = ebay_title(shaped)
    assert again == shaped
    assert not [w for w in warnings if "ALL CAPS" in w or "emoji" in w]


async def test_the_offline_providers_ebay_copy_follows_the_rule() -> None:
    provider = OfflineAIProvider()
    facts = ProductFacts(
        product_id="P", title="ACME TRAIL RUNNER SNEAKERS", brand="ACME", category="sneakers"
    )
    recognition = Recognition(category="sneakers", confidence_score=0.8, needs_review=False)
    description = await provider.describe(facts, recognition)
    adapters = builtin_marketplaces(("ebay", "depop"))
    for marketplace in ("ebay", "depop"):
        adapter = adapters[marketplace]
        draft = await provider.write_listing(
            ListingRequest(
                marketplace=marketplace,
                label=adapter.label,
                rules=adapter.rules,
                facts=facts,
                description=description,
                price=None,
            )
        )
        shaped = adapter.shape(draft)
        if marketplace == "ebay":
            assert shaped.title == "Acme Trail Runner Sneakers"
            assert RECASED in shaped.compliance_warnings, "the seller is told why"
        else:
            assert shaped.title == "ACME TRAIL RUNNER SNEAKERS"

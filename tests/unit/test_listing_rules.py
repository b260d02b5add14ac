"""Marketplace copy rules (spec 30 §7, Q-M11): the shaper only trims, and says so."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reseller_adapters.marketplaces import BuiltinMarketplace, builtin_marketplaces
from reseller_core.domain.listing_rules import ShapedListing, shape_listing
from reseller_core.domain.marketplaces import (
    CATALOG,
    CATALOG_IDS,
    TITLE_HARD_CAP,
    Marketplace,
    MarketplaceRules,
    get_marketplace,
)
from reseller_core.ports import ListingResult, MarketplaceAdapter

words = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
    min_size=1,
    max_size=30,
)
texts = st.lists(words, max_size=40).map(" ".join)
rules_strategy = st.builds(
    MarketplaceRules,
    model=st.just("seller-managed"),
    tone=st.just("factual"),
    title_max_chars=st.integers(min_value=1, max_value=400),
    title_max_words=st.none() | st.integers(min_value=1, max_value=20),
    tags_max=st.integers(min_value=0, max_value=20),
    tags_min=st.integers(min_value=0, max_value=13),
    tag_max_chars=st.integers(min_value=1, max_value=60),
    hashtags_in_description=st.integers(min_value=0, max_value=12),
)
any_rules = st.sampled_from([m.rules for m in CATALOG]) | rules_strategy


def _shape(rules: MarketplaceRules, title: str, description: str, tags: list[str]) -> ShapedListing:
    return shape_listing("any", "Any", rules, title=title, description=description, tags=tags)


@settings(max_examples=300)
@given(rules=any_rules, title=texts, description=texts, tags=st.lists(texts, max_size=30))
def test_shaped_copy_respects_every_limit(
    rules: MarketplaceRules, title: str, description: str, tags: list[str]
) -> None:
    shaped = _shape(rules, title, description, tags)

    assert len(shaped.title) <= min(rules.title_max_chars, TITLE_HARD_CAP)
    if rules.title_max_words is not None:
        assert len(shaped.title.split()) <= rules.title_max_words
    assert shaped.title == shaped.title.strip()
    assert len(shaped.tags) <= rules.tags_max
    for tag in shaped.tags:
        assert tag
        assert tag == tag.strip()
        assert "#" not in tag
        assert len(tag) <= rules.tag_max_chars
    assert len({tag.casefold() for tag in shaped.tags}) == len(shaped.tags)


@settings(max_examples=300)
@given(rules=any_rules, title=texts, tags=st.lists(texts, max_size=30))
def test_shaper_never_adds_words(rules: MarketplaceRules, title: str, tags: list[str]) -> None:
    shaped = _shape(rules, title, "", tags)

    # eBay's plain-title rule recases shouted words, so words are compared without case.
    for word in shaped.title.split():
        assert word.casefold() in title.casefold()
    source_words = " ".join(tags)
    for tag in shaped.tags:
        for word in tag.split():
            assert word in source_words


@settings(max_examples=200)
@given(rules=any_rules, title=texts, description=texts, tags=st.lists(texts, max_size=20))
def test_shaping_is_idempotent(
    rules: MarketplaceRules, title: str, description: str, tags: list[str]
) -> None:
    once = _shape(rules, title, description, tags)
    twice = _shape(rules, once.title, once.description, list(once.tags))

    assert (twice.title, twice.description, twice.tags) == (
        once.title,
        once.description,
        once.tags,
    )


plain_words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12)


@given(title=st.lists(plain_words, min_size=1, max_size=8).map(" ".join))
def test_copy_within_limits_is_untouched_and_gets_no_warning(title: str) -> None:
    rules = MarketplaceRules(model="seller-managed", tone="factual", title_max_chars=160)
    shaped = _shape(rules, title, "A plain description.", ["leather", "boots"])

    assert (shaped.title, shaped.tags) == (title, ("leather", "boots"))
    assert shaped.compliance_warnings == ()


def test_ebay_title_is_cut_at_a_word_boundary_with_a_warning() -> None:
    ebay = get_marketplace("ebay")
    assert ebay is not None
    title = (
        "Vintage Levi's 501 Straight Leg Denim Jeans Mid Wash Blue Made in USA Button Fly Size 32"
    )
    shaped = shape_listing(ebay.id, ebay.label, ebay.rules, title=title, description="x", tags=[])

    assert len(shaped.title) <= 80
    assert title.startswith(shaped.title)
    assert title[len(shaped.title)] == " "
    assert "Title shortened to 80 characters for eBay" in shaped.compliance_warnings


def test_grailed_title_is_limited_to_seven_words() -> None:
    grailed = get_marketplace("grailed")
    assert grailed is not None
    shaped = shape_listing(
        grailed.id,
        grailed.label,
        grailed.rules,
        title="Acne Studios oversized wool coat in camel size 48",
        description="x",
        tags=[],
    )

    assert shaped.title == "Acne Studios oversized wool coat in camel"
    assert "Title shortened to 7 words for Grailed" in shaped.compliance_warnings


def test_contact_details_are_removed_from_the_description() -> None:
    rules = MarketplaceRules(model="seller-managed", tone="factual")
    shaped = _shape(
        rules,
        "Boots",
        "Great boots. Email me at seller@example.com, call +1 415 555 0100 or "
        "(415) 555-0199, or see https://shop.example.com/boots and www.example.org.\n\n"
        "Size 32 x 30, made in 1998, $45.",
        [],
    )

    for leaked in ("seller@example.com", "555", "https://", "www.", "example"):
        assert leaked not in shaped.description
    assert "Size 32 x 30, made in 1998, $45." in shaped.description
    assert any("contact details" in warning for warning in shaped.compliance_warnings)


def test_hashtags_only_where_the_marketplace_allows_them() -> None:
    ebay = get_marketplace("ebay")
    depop = get_marketplace("depop")
    assert ebay is not None
    assert depop is not None
    body = "Cute top.\n\n" + " ".join(f"#tag{i}" for i in range(12))

    on_ebay = shape_listing(ebay.id, ebay.label, ebay.rules, title="Top", description=body, tags=[])
    on_depop = shape_listing(
        depop.id, depop.label, depop.rules, title="Top", description=body, tags=[]
    )

    assert "#" not in on_ebay.description
    assert "Removed hashtags from the description: eBay does not use them" in (
        on_ebay.compliance_warnings
    )
    assert on_depop.description.count("#") == 10
    assert "Kept the first 10 hashtags in the description for Depop" in (
        on_depop.compliance_warnings
    )


def test_tags_are_plain_unique_and_within_limits() -> None:
    etsy = get_marketplace("etsy")
    assert etsy is not None
    shaped = shape_listing(
        etsy.id,
        etsy.label,
        etsy.rules,
        title="Mug",
        description="x",
        tags=["#ceramic", "Ceramic", "  ", "handmade stoneware coffee mug", "x" * 25, "gift"],
    )

    assert shaped.tags == ("ceramic", "handmade stoneware", "gift")
    warnings = " | ".join(shaped.compliance_warnings)
    assert "Shortened 1 tag(s) to 20 characters for Etsy" in warnings
    assert "Dropped 1 tag(s) longer than 20 characters for Etsy" in warnings
    assert "Etsy listings use 13 tags; only 3 were generated" in warnings


def test_tags_removed_where_the_marketplace_has_none() -> None:
    facebook = get_marketplace("facebook_marketplace")
    assert facebook is not None
    shaped = shape_listing(
        facebook.id, facebook.label, facebook.rules, title="Desk", description="x", tags=["desk"]
    )

    assert shaped.tags == ()
    assert "Removed tags: Facebook Marketplace does not use tags" in shaped.compliance_warnings


def test_the_hard_cap_applies_even_with_a_looser_rule() -> None:
    rules = MarketplaceRules(model="custom", tone="factual", title_max_chars=500)
    shaped = _shape(rules, "word " * 100, "x", [])

    assert len(shaped.title) <= TITLE_HARD_CAP


def test_builtin_adapter_shapes_a_draft() -> None:
    adapters = builtin_marketplaces([*CATALOG_IDS, "not_in_catalogue"])
    assert list(adapters) == list(CATALOG_IDS)
    ebay: MarketplaceAdapter = adapters["ebay"]
    assert isinstance(ebay, BuiltinMarketplace)
    assert (ebay.id, ebay.label) == ("ebay", "eBay")
    draft = ListingResult(
        generated_title="  Nike   Air Max 90  ",
        generated_description="Size 10. Text 415-555-0100.",
        generated_price_suggestion=Decimal("45.00"),
        generated_tags=("#nike", "nike", "sneakers"),
    )

    shaped = ebay.shape(draft)

    assert shaped.title == "Nike Air Max 90"
    assert shaped.tags == ("nike", "sneakers")
    assert "415" not in shaped.description


@pytest.mark.parametrize("marketplace", CATALOG, ids=lambda m: m.id)
def test_every_catalogue_marketplace_accepts_empty_copy(marketplace: Marketplace) -> None:
    shaped = shape_listing(
        marketplace.id, marketplace.label, marketplace.rules, title="", description="", tags=[]
    )

    assert shaped.title == ""
    assert any("title is empty" in warning for warning in shaped.compliance_warnings)

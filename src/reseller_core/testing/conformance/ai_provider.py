"""Conformance suite for the ``AIProvider`` port (spec 30 §6.3, §6.6-§6.8).

Subclass :class:`AIProviderConformance` and provide the ``provider`` fixture. The suite
feeds it a hand-built PNG (a blue item on a plain backdrop, see ``sample_image``) and
seller facts, and checks the shape of every output and the rules the core relies on:
seller facts are never contradicted, prices are exact and non-negative, a non-image input
is reported as ``INVALID_IMAGE`` naming that image, and failures carry a run error code.

A provider that can be made to fail on purpose (a fake transport answering 429, an empty
image list) lists the run error codes in ``fault_codes`` and implements
``provoke_failure``. A provider whose output its own code writes (no model behind it)
declares what more it promises with the flags below; the tests of those promises live in
``ai_provider_promises``, the suite's inputs in ``ai_provider_data``.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from reseller_core.domain.listing_rules import shape_listing
from reseller_core.domain.marketplaces import CATALOG, Marketplace
from reseller_core.domain.runs import SEED_RETRYABLE
from reseller_core.ports.ai import (
    INVALID_IMAGE,
    AIProvider,
    AIProviderError,
    DescriptionResult,
    ImageInput,
    ListingRequest,
    ListingResult,
    PriceEvidence,
    PriceResult,
    ProductFacts,
    Recognition,
    Reconciliation,
)
from reseller_core.ports.search import SearchMatch
from reseller_core.testing.conformance.ai_provider_data import (
    COMPARABLE_KEYS,
    CONTRADICTED_COLOUR,
    CURRENCY,
    CUSTOM_MARKETPLACE,
    HASHTAG,
    INVENTED_CLAIMS,
    MARKETPLACES,
    RECOGNITION_FIELDS,
    RUN_ERROR_CODES,
    SEARCH_MATCHES,
    SELLER_FACTS,
    UNKNOWN_FACTS,
    all_strings,
    folded,
    is_fraction,
    joined,
    restates,
    says,
)
from reseller_core.testing.conformance.ai_provider_promises import (
    DeclaredBehaviour,
    sentence_problem,
)
from reseller_core.testing.conformance.image_editor import (
    NOT_AN_IMAGE,
    TRUNCATED_PNG,
    product_png,
)

__all__ = [
    "CONTRADICTED_COLOUR",
    "CUSTOM_MARKETPLACE",
    "INVENTED_CLAIMS",
    "RUN_ERROR_CODES",
    "SEARCH_MATCHES",
    "SELLER_FACTS",
    "UNKNOWN_FACTS",
    "AIProviderConformance",
]


class AIProviderConformance(DeclaredBehaviour):
    """What every ``AIProvider`` owes the core, whatever model sits behind it."""

    pytestmark = pytest.mark.asyncio

    deterministic: bool = False
    """True when the same inputs always give the same outputs (offline providers, fakes)."""

    fault_codes: tuple[str, ...] = ()
    """Run error codes ``provoke_failure`` can produce; empty skips the fault test."""

    follows_marketplace_rules: bool = False
    """True when the provider's own listings already fit every marketplace's rules (spec 30
    §7): the shaper finds nothing to trim, and hashtags meet a marketplace's minimum. Model
    providers leave it False: the core shapes their copy (§6.8)."""

    prices_from_evidence: bool = False
    """True when ``research_price`` prices from the shopping matches it is handed: given
    enough of them, the target lies within the span of their prices and cites them."""

    reconciles_by_brand: bool = False
    """True when reconciliation judges the family by name (it cannot compare photos): a match
    naming the recognised brand, in its title or its brand field, is the same family; other
    brands and an unknown brand never are; a review note always asks for a check."""

    writes_sentences: bool = False
    """True when the provider's own words are written by its code, not a model: its error
    messages, review notes, warnings and price rationales are sentences (a capital letter
    first, a full stop, question or exclamation mark last, no shouted words), its key
    features and the lines of its copy start with a capital letter."""

    states_every_fact: bool = False
    """True when the copy is made from the facts it is handed (template providers): each fact
    the seller stated reaches the short description, a key feature naming it, every listing
    and each consignment intake line; a fact only the recognition stated stands in for one
    the seller left out, and never for one the seller gave; without market data, the
    category the seller stated is the price's basis and makes it more confident."""

    reports_missing_details: bool = False
    """True when the description names the brand, category or condition the seller left out
    in ``missing_details_warning``, and the recognition names the brand and category in
    ``missing_information`` (a provider that cannot see them in the photos must)."""

    @pytest.fixture
    def provider(self) -> AIProvider:
        raise NotImplementedError("provide a `provider` fixture")

    async def provoke_failure(self, provider: AIProvider, code: str) -> None:
        """Make one provider call that must raise ``AIProviderError(code)``."""
        raise NotImplementedError("implement provoke_failure() for the codes in fault_codes")

    def sample_image(
        self, image_id: str = "01JCONFORMANCEIMAGE0000000", position: int = 0
    ) -> ImageInput:
        """The suite's photo: a blue item on an off-white backdrop, as an ``original``.

        An override must still show a blue item: the copy tests expect the seller's "red".
        """
        return ImageInput(
            image_id=image_id,
            kind="original",
            position=position,
            content_type="image/png",
            data=product_png(),
        )

    # helpers

    async def _description(
        self, provider: AIProvider, facts: ProductFacts
    ) -> tuple[Recognition, DescriptionResult]:
        recognition = await provider.recognize([self.sample_image()], facts)
        return recognition, await provider.describe(facts, recognition)

    async def _listing(
        self, provider: AIProvider, marketplace: Marketplace, *, with_price: bool = True
    ) -> ListingResult:
        recognition, description = await self._description(provider, SELLER_FACTS)
        price = await provider.research_price(SELLER_FACTS, recognition) if with_price else None
        return await provider.write_listing(
            ListingRequest.for_marketplace(
                marketplace, facts=SELLER_FACTS, description=description, price=price
            )
        )

    @staticmethod
    def assert_listing_shape(listing: ListingResult, where: str) -> None:
        """§6.8: required copy, plain tags, an exact non-negative price."""
        assert isinstance(listing, ListingResult), where
        assert isinstance(listing.generated_title, str), where
        assert listing.generated_title.strip(), f"{where}: empty generated_title"
        assert isinstance(listing.generated_description, str), where
        assert listing.generated_description.strip(), f"{where}: empty generated_description"
        assert all_strings(listing.generated_tags), where
        assert not any("#" in tag for tag in listing.generated_tags), (
            f"{where}: tags are plain keywords, never hashtags: {listing.generated_tags}"
        )
        assert isinstance(listing.generated_price_suggestion, Decimal), (
            f"{where}: prices are Decimal, never float"
        )
        assert listing.generated_price_suggestion >= 0, where
        assert all_strings(listing.compliance_warnings), where
        assert listing.generation_version is None or (
            isinstance(listing.generation_version, str) and listing.generation_version.strip()
        ), where

    # identity

    async def test_names_itself(self, provider: AIProvider) -> None:
        assert isinstance(provider.name, str) and provider.name.strip()
        assert isinstance(provider.model, str) and provider.model.strip()
        assert isinstance(provider.offline, bool)

    # recognition (§6.3)

    async def test_recognition_has_a_category_and_a_confidence(self, provider: AIProvider) -> None:
        for facts in (SELLER_FACTS, UNKNOWN_FACTS):
            recognition = await provider.recognize([self.sample_image()], facts)
            assert isinstance(recognition, Recognition)
            assert isinstance(recognition.category, str)
            assert is_fraction(recognition.confidence_score), recognition.confidence_score
            assert isinstance(recognition.needs_review, bool)
            if not recognition.category.strip():
                assert recognition.needs_review, "an unknown category must ask for review"
            assert all(is_fraction(value) for value in recognition.field_confidence.values())
            assert set(recognition.field_confidence) <= RECOGNITION_FIELDS, (
                f"field_confidence rates fields of the recognition: {recognition.field_confidence}"
            )
            assert all_strings(recognition.distinguishing_features)
            assert isinstance(recognition.observations, dict), "observations are stored as JSON"
            assert all_strings(recognition.missing_information)
            for value in (
                recognition.brand,
                recognition.possible_model,
                recognition.color,
                recognition.material,
                recognition.logo_text,
            ):
                assert value is None or isinstance(value, str)

    async def test_recognition_keeps_the_sellers_facts(self, provider: AIProvider) -> None:
        recognition = await provider.recognize([self.sample_image()], SELLER_FACTS)
        assert restates(recognition.brand, SELLER_FACTS.brand), recognition.brand
        assert restates(recognition.category, SELLER_FACTS.category), recognition.category
        assert restates(recognition.material, SELLER_FACTS.material), recognition.material

    async def test_recognition_accepts_several_images(self, provider: AIProvider) -> None:
        images = [self.sample_image(f"01JCONFORMANCEIMAGE000000{i}", i) for i in range(3)]
        recognition = await provider.recognize(images, SELLER_FACTS)
        assert is_fraction(recognition.confidence_score)

    @pytest.mark.parametrize(
        "data",
        [pytest.param(NOT_AN_IMAGE, id="text"), pytest.param(TRUNCATED_PNG, id="truncated-png")],
    )
    async def test_non_image_bytes_raise_invalid_image_naming_the_image(
        self, provider: AIProvider, data: bytes
    ) -> None:
        bad = ImageInput(
            image_id="01JCONFORMANCEBADIMAGE0000",
            kind="original",
            position=1,
            content_type="image/png",
            data=data,
        )
        with pytest.raises(AIProviderError) as caught:
            await provider.recognize([self.sample_image(), bad], SELLER_FACTS)
        assert caught.value.code == INVALID_IMAGE
        assert caught.value.details.get("image_id") == bad.image_id
        assert caught.value.retryable is False

    # description (§6.6)

    async def test_description_fits_the_schema(self, provider: AIProvider) -> None:
        for facts in (SELLER_FACTS, UNKNOWN_FACTS):
            _, description = await self._description(provider, facts)
            assert isinstance(description, DescriptionResult)
            assert isinstance(description.suggested_title, str)
            assert description.suggested_title.strip(), "suggested_title is required"
            assert len(description.suggested_title) <= 160
            assert isinstance(description.short_description, str)
            assert description.short_description.strip(), "short_description is required"
            assert len(description.short_description) <= 500
            assert description.long_description is None or isinstance(
                description.long_description, str
            )
            assert all_strings(description.key_features)
            assert all_strings(description.seo_keywords)
            warning = description.missing_details_warning
            assert warning is None or (isinstance(warning, str) and len(warning) <= 500)

    async def test_description_never_contradicts_the_seller(self, provider: AIProvider) -> None:
        _, description = await self._description(provider, SELLER_FACTS)
        text = joined(
            [
                description.suggested_title,
                description.short_description,
                description.long_description,
                *description.key_features,
                *description.seo_keywords,
            ]
        )
        assert not re.search(rf"(?i)\b{CONTRADICTED_COLOUR}\b", text), (
            f"the seller said {SELLER_FACTS.color!r}; the copy says {CONTRADICTED_COLOUR!r}"
        )
        assert not INVENTED_CLAIMS.search(text), INVENTED_CLAIMS.search(text)

    # price research (§6.7)

    @staticmethod
    def assert_price_shape(price: PriceResult) -> None:
        """§6.7: a 3-letter currency, exact ordered prices, a confidence in [0, 1]."""
        assert isinstance(price, PriceResult)
        assert isinstance(price.currency, str) and CURRENCY.fullmatch(price.currency), (
            f"currency must be 3 upper-case letters, got {price.currency!r}"
        )
        assert isinstance(price.suggested_target_price, Decimal)
        assert price.suggested_target_price >= 0
        bounds = (
            price.suggested_min_price,
            price.suggested_max_price,
            price.suggested_median_price,
        )
        for bound in bounds:
            assert bound is None or (isinstance(bound, Decimal) and bound >= 0), bound
        low, high = price.suggested_min_price, price.suggested_max_price
        if low is not None:
            assert low <= price.suggested_target_price
        if high is not None:
            assert price.suggested_target_price <= high
        assert is_fraction(price.pricing_confidence)
        assert price.rationale_summary is None or isinstance(price.rationale_summary, str)
        assert all_strings(price.market_signals)
        assert all(isinstance(item, dict) for item in price.comparable_results)

    async def test_price_research_fits_the_schema(self, provider: AIProvider) -> None:
        for facts in (SELLER_FACTS, UNKNOWN_FACTS):
            recognition = await provider.recognize([self.sample_image()], facts)
            self.assert_price_shape(await provider.research_price(facts, recognition))

    async def test_price_research_takes_search_evidence(self, provider: AIProvider) -> None:
        recognition = await provider.recognize([self.sample_image()], SELLER_FACTS)
        for evidence in (
            PriceEvidence(
                shopping_query="Acme Acme Trail Runner Sneakers sneakers",
                lens_matches=SEARCH_MATCHES[:1],
                shopping_matches=SEARCH_MATCHES[1:],
            ),
            PriceEvidence(shopping_query="Acme sneakers"),
            PriceEvidence(),
        ):
            self.assert_price_shape(
                await provider.research_price(SELLER_FACTS, recognition, evidence)
            )

    async def test_enough_shopping_matches_set_the_price(self, provider: AIProvider) -> None:
        if not self.prices_from_evidence:
            pytest.skip("the provider does not declare prices_from_evidence")
        recognition = await provider.recognize([self.sample_image()], SELLER_FACTS)
        priced = [
            SearchMatch(
                title=f"Acme Trail Runner sneakers #{index}",
                match_type="product",
                price=Decimal(price),
                currency=currency,
                source="Example Resale",
                source_domain="resale.example",
                url=f"https://resale.example/priced/{index}",
            )
            for index, (price, currency) in enumerate(
                (
                    ("70.00", "USD"),
                    ("61.50", None),
                    ("64.00", "usd"),
                    ("75.25", "USD"),
                    ("0.99", "USD"),
                )
            )
        ]
        ignored = [
            SearchMatch(
                match_type="product",
                title="Acme Trail Runner, euro",
                price=Decimal(5),
                currency="EUR",
            ),
            SearchMatch(
                match_type="product",
                title="Acme Trail Runner, free",
                price=Decimal(0),
                currency="USD",
            ),
            SearchMatch(
                match_type="product",
                title="Acme Trail Runner, unpriced",
                price=None,
                currency="USD",
            ),
        ]
        evidence = PriceEvidence(
            shopping_query="Acme sneakers", shopping_matches=(*ignored, *priced)
        )
        price = await provider.research_price(SELLER_FACTS, recognition, evidence)
        self.assert_price_shape(price)
        assert price.currency == "USD"
        assert Decimal("0.99") <= price.suggested_target_price <= Decimal("75.25"), price
        assert price.suggested_min_price == Decimal("0.99"), "the cheapest listed price"
        assert price.suggested_max_price == Decimal("75.25"), "the dearest listed price"
        assert price.suggested_target_price == price.suggested_median_price == Decimal("64.00")
        cited = {str(item.get("url")): item for item in price.comparable_results}
        for match in priced:
            item = cited[str(match.url)]
            assert set(item) <= COMPARABLE_KEYS, f"§6.7 names the keys of a comparable: {item}"
            assert (item.get("title"), item.get("source"), item.get("source_domain")) == (
                match.title,
                match.source,
                match.source_domain,
            ), item
            assert Decimal(str(item.get("price"))) == match.price, item
        assert price.rationale_summary and "Acme sneakers" in price.rationale_summary
        assert any("0.99" in signal and "75.25" in signal for signal in price.market_signals)
        few = PriceEvidence(shopping_query="Acme sneakers", shopping_matches=tuple(priced[:2]))
        fallback = await provider.research_price(SELLER_FACTS, recognition, few)
        self.assert_price_shape(fallback)
        assert fallback.suggested_min_price != Decimal("61.50"), "two prices are no market"

    # reconciliation (§6.4)

    async def test_reconciliation_fits_the_schema(self, provider: AIProvider) -> None:
        recognition = await provider.recognize([self.sample_image()], SELLER_FACTS)
        for matches in (SEARCH_MATCHES, SEARCH_MATCHES[:1]):
            result = await provider.reconcile(recognition, matches)
            assert isinstance(result, Reconciliation)
            assert isinstance(result.same_model_family, bool)
            assert isinstance(result.short_card_description, str)
            assert result.short_card_description.strip(), "short_card_description is required"
            assert result.most_likely_model is None or isinstance(result.most_likely_model, str)
            assert all_strings(result.review_notes)
            assert not INVENTED_CLAIMS.search(result.short_card_description)

    # marketplace listings (§6.8, §7)

    async def test_listing_fits_the_schema_for_every_marketplace(
        self, provider: AIProvider
    ) -> None:
        for marketplace in MARKETPLACES:
            listing = await self._listing(provider, marketplace)
            self.assert_listing_shape(listing, marketplace.id)

    async def test_listing_without_price_research_still_has_a_price(
        self, provider: AIProvider
    ) -> None:
        listing = await self._listing(provider, CATALOG[0], with_price=False)
        self.assert_listing_shape(listing, CATALOG[0].id)

    async def test_listing_never_contradicts_the_seller(self, provider: AIProvider) -> None:
        for marketplace in MARKETPLACES:
            listing = await self._listing(provider, marketplace)
            text = joined(
                [listing.generated_title, listing.generated_description, *listing.generated_tags]
            )
            assert not re.search(rf"(?i)\b{CONTRADICTED_COLOUR}\b", text), marketplace.id
            assert not INVENTED_CLAIMS.search(text), (marketplace.id, INVENTED_CLAIMS.search(text))

    async def test_listing_carries_the_sellers_facts(self, provider: AIProvider) -> None:
        """§6.6/§7: the seller's brand, size and condition are the truth the copy is made of."""
        assert SELLER_FACTS.brand and SELLER_FACTS.size and SELLER_FACTS.condition
        _, description = await self._description(provider, SELLER_FACTS)
        described = folded([description.short_description, description.long_description])
        assert folded([SELLER_FACTS.brand]) in folded([description.suggested_title])
        for fact in (SELLER_FACTS.brand, SELLER_FACTS.size, SELLER_FACTS.condition):
            assert folded([fact]) in described, f"the description leaves out {fact!r}"
        for marketplace in MARKETPLACES:
            listing = await self._listing(provider, marketplace)
            copy = folded([listing.generated_title, listing.generated_description])
            for fact in (SELLER_FACTS.brand, SELLER_FACTS.size, SELLER_FACTS.condition):
                assert folded([fact]) in copy, f"{marketplace.id}: the copy leaves out {fact!r}"

    async def test_listing_price_follows_the_price_research(self, provider: AIProvider) -> None:
        """The listing's price is the researched one: within its range, never zeroed."""
        recognition, description = await self._description(provider, SELLER_FACTS)
        price = await provider.research_price(SELLER_FACTS, recognition)
        assert price.suggested_target_price > 0, "a sneaker with a brand is worth something"
        for marketplace in MARKETPLACES:
            listing = await provider.write_listing(
                ListingRequest.for_marketplace(
                    marketplace, facts=SELLER_FACTS, description=description, price=price
                )
            )
            suggested = listing.generated_price_suggestion
            low = price.suggested_min_price or price.suggested_target_price
            high = price.suggested_max_price or price.suggested_target_price
            assert low <= suggested <= high, (marketplace.id, suggested, price)

    async def test_hashtags_only_where_the_marketplace_allows_them(
        self, provider: AIProvider
    ) -> None:
        for marketplace in MARKETPLACES:
            listing = await self._listing(provider, marketplace)
            hashtags = HASHTAG.findall(listing.generated_description)
            allowed = max(0, marketplace.rules.hashtags_in_description)
            assert len(hashtags) <= allowed, (marketplace.id, hashtags)
            if self.follows_marketplace_rules:
                assert len(hashtags) >= marketplace.rules.hashtags_min, (marketplace.id, hashtags)

    async def test_listing_fits_the_marketplace_rules(self, provider: AIProvider) -> None:
        if not self.follows_marketplace_rules:
            pytest.skip("the core shapes this provider's copy (follows_marketplace_rules)")
        for marketplace in MARKETPLACES:
            listing = await self._listing(provider, marketplace)
            shaped = shape_listing(
                marketplace.id,
                marketplace.label,
                marketplace.rules,
                title=listing.generated_title,
                description=listing.generated_description,
                tags=listing.generated_tags,
            )
            assert shaped.title == listing.generated_title, marketplace.id
            assert shaped.description == listing.generated_description, marketplace.id
            assert shaped.tags == listing.generated_tags, marketplace.id
            if marketplace.rules.flags_eligibility:
                assert listing.compliance_warnings, f"{marketplace.id}: eligibility not flagged"

    async def test_missing_details_are_named(self, provider: AIProvider) -> None:
        if not self.reports_missing_details:
            pytest.skip("the provider does not declare reports_missing_details")
        _, known = await self._description(provider, SELLER_FACTS)
        assert known.missing_details_warning is None, known.missing_details_warning
        _, unknown = await self._description(provider, UNKNOWN_FACTS)
        warning = unknown.missing_details_warning or ""
        for name in ("brand", "category", "condition"):
            assert says(warning, name), f"{name} is not named: {warning}"
        unseen = await provider.recognize([self.sample_image()], UNKNOWN_FACTS)
        assert {"brand", "category"} <= set(unseen.missing_information), (
            f"missing_information names the fields: {unseen.missing_information}"
        )
        partial = ProductFacts(product_id=UNKNOWN_FACTS.product_id, brand="Acme")
        _, some = await self._description(provider, partial)
        assert some.missing_details_warning and "brand" not in some.missing_details_warning
        for name in ("category", "condition"):
            assert says(some.missing_details_warning, name), some.missing_details_warning
        one = ProductFacts(product_id=UNKNOWN_FACTS.product_id, brand="Acme", category="boots")
        _, last = await self._description(provider, one)
        assert last.missing_details_warning and says(last.missing_details_warning, "condition")
        listing = await provider.write_listing(
            ListingRequest.for_marketplace(
                CATALOG[0], facts=UNKNOWN_FACTS, description=unknown, price=None
            )
        )
        assert warning in listing.compliance_warnings, "the listing repeats what is missing"

    async def test_the_sellers_facts_raise_recognition_confidence(
        self, provider: AIProvider
    ) -> None:
        """Facts the seller stated are certain: knowing them never lowers the confidence."""
        told = await provider.recognize([self.sample_image()], SELLER_FACTS)
        untold = await provider.recognize([self.sample_image()], UNKNOWN_FACTS)
        assert told.confidence_score >= untold.confidence_score
        assert told.brand is not None and restates(told.brand, SELLER_FACTS.brand)
        assert told.material is not None and restates(told.material, SELLER_FACTS.material)
        assert restates(told.category, SELLER_FACTS.category) and told.category.strip()
        assert not told.needs_review, "the seller named brand and category"
        assert told.confidence_score >= 0.75, "stated facts need no visual search (§6.4)"

    # determinism and failures

    async def test_same_inputs_give_the_same_outputs(self, provider: AIProvider) -> None:
        if not self.deterministic:
            pytest.skip("the provider does not declare deterministic output")
        first = await self._listing(provider, CATALOG[0])
        second = await self._listing(provider, CATALOG[0])
        assert first == second
        recognitions = [
            await provider.recognize([self.sample_image()], SELLER_FACTS) for _ in range(2)
        ]
        assert recognitions[0] == recognitions[1]

    async def test_failures_carry_a_run_error_code(self, provider: AIProvider) -> None:
        if not self.fault_codes:
            pytest.skip("the provider declares no way to provoke a failure (fault_codes)")
        for code in self.fault_codes:
            assert code in RUN_ERROR_CODES, f"{code!r} is not a run error code (spec 30 §5.4)"
            with pytest.raises(AIProviderError) as caught:
                await self.provoke_failure(provider, code)
            assert caught.value.code == code
            assert isinstance(caught.value.retryable, bool)
            if code != "media_unavailable":  # retryable only when the fetch was transient
                assert caught.value.retryable is (code in SEED_RETRYABLE), (
                    f"{code} is {'' if code in SEED_RETRYABLE else 'not '}retryable (§5.4)"
                )
            assert str(caught.value), "a failure needs a human-readable message"
            if self.writes_sentences:
                assert not sentence_problem(str(caught.value)), str(caught.value)

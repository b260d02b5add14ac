"""The ``AIProvider`` suite's tests of behaviour a provider declares it has.

A model provider's output depends on the model, so the suite cannot hold it to these; a
provider that makes its output from its inputs (the offline provider, a template plugin)
declares the promise and is held to it. Mixed into
:class:`~reseller_core.testing.conformance.ai_provider.AIProviderConformance`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import msgspec
import pytest

from reseller_core.domain.listing_rules import LISTING_ACRONYMS
from reseller_core.domain.marketplaces import Marketplace
from reseller_core.ports.ai import (
    AIProvider,
    DescriptionResult,
    ImageInput,
    ListingRequest,
    ListingResult,
    PriceEvidence,
    PriceResult,
    ProductFacts,
    Recognition,
)
from reseller_core.ports.search import SearchMatch
from reseller_core.testing.conformance.ai_provider_data import (
    BRAND_FIELD_MATCHES,
    MARKETPLACES,
    OTHER_BRAND_MATCHES,
    RECOGNISED,
    SEARCH_MATCHES,
    SELLER_FACTS,
    STATED_FACTS,
    UNKNOWN_FACTS,
    folded,
    says,
)

_WORD = re.compile(r"[^\W\d_]+")


def _shouted(text: str) -> list[str]:
    """Words of four or more letters in capitals that are not listing acronyms."""
    return [
        word
        for word in _WORD.findall(text)
        if len(word) >= 4 and word.isupper() and word not in LISTING_ACRONYMS
    ]


def label_problem(text: str) -> str | None:
    """Why ``text`` is not a label a seller reads (capitalised, not shouted), or None."""
    if re.search(r"\bNone\b", text):
        return f"says None where a value belongs: {text!r}"
    if not text[:1].isupper() and not text[:1].isdigit():
        return f"does not start with a capital letter: {text!r}"
    if _shouted(text):
        return f"shouts {_shouted(text)}: {text!r}"
    return None


def sentence_problem(text: str) -> str | None:
    """Why ``text`` is not a sentence (a label that ends in ``.``, ``!`` or ``?``), or None."""
    text = text.strip()
    if not text.endswith((".", "!", "?")):
        return f"does not end a sentence: {text!r}"
    return label_problem(text)


class DeclaredBehaviour:
    """Tests run only for a provider that sets the matching flag."""

    reconciles_by_brand: bool = False
    states_every_fact: bool = False
    writes_sentences: bool = False

    def sample_image(
        self, image_id: str = "01JCONFORMANCEIMAGE0000000", position: int = 0
    ) -> ImageInput:
        raise NotImplementedError

    async def _recognition(self, provider: AIProvider, facts: ProductFacts) -> Recognition:
        return await provider.recognize([self.sample_image()], facts)

    @staticmethod
    async def _listings(
        provider: AIProvider,
        facts: ProductFacts,
        description: DescriptionResult,
        price: PriceResult | None = None,
    ) -> list[tuple[Marketplace, ListingResult]]:
        """The listing ``provider`` writes for each of the suite's marketplaces."""
        return [
            (
                marketplace,
                await provider.write_listing(
                    ListingRequest.for_marketplace(
                        marketplace, facts=facts, description=description, price=price
                    )
                ),
            )
            for marketplace in MARKETPLACES
        ]

    async def _copy(
        self, provider: AIProvider, facts: ProductFacts, recognition: Recognition
    ) -> list[tuple[str, str]]:
        """(where, folded text) of the description and of the listing for every marketplace."""
        description = await provider.describe(facts, recognition)
        copy = [("description", _description_text(description))]
        for marketplace, listing in await self._listings(provider, facts, description):
            text = folded([listing.generated_title, listing.generated_description])
            copy.append((marketplace.id, text))
        return copy

    async def test_the_family_is_judged_by_the_brand(self, provider: AIProvider) -> None:
        if not self.reconciles_by_brand:
            pytest.skip("the provider does not declare reconciles_by_brand")
        told = await self._recognition(provider, SELLER_FACTS)
        cases: tuple[tuple[Recognition, tuple[SearchMatch, ...], bool], ...] = (
            (told, SEARCH_MATCHES, True),
            (told, BRAND_FIELD_MATCHES, True),
            (told, OTHER_BRAND_MATCHES, False),
            (told, (), False),
            (await self._recognition(provider, UNKNOWN_FACTS), SEARCH_MATCHES, False),
            (msgspec.structs.replace(told, possible_model="Trail Runner 2"), SEARCH_MATCHES, True),
        )
        for recognition, matches, same in cases:
            result = await provider.reconcile(recognition, matches)
            where = (recognition.brand, [match.title for match in matches])
            assert result.same_model_family is same, where
            assert result.review_notes and all(note.strip() for note in result.review_notes), where
            card = folded([result.short_card_description])
            for part in (recognition.brand, recognition.possible_model, recognition.category):
                assert not part or says(card, part), f"the card leaves out {part!r}: {card!r}"
            if recognition.possible_model:
                assert result.most_likely_model == recognition.possible_model, result

    async def test_every_stated_fact_reaches_the_copy(self, provider: AIProvider) -> None:
        if not self.states_every_fact:
            pytest.skip("the provider does not declare states_every_fact")
        told = await self._recognition(provider, SELLER_FACTS)
        for where, text in await self._copy(provider, SELLER_FACTS, told):
            for name, value in STATED_FACTS.items():
                assert says(text, value), f"{where}: the seller's {name} is missing"
        summary = "Red canvas trail runners with white laces"
        summarised = msgspec.structs.replace(SELLER_FACTS, ai_summary=summary)
        description = await provider.describe(summarised, told)
        short = folded([description.short_description])
        assert SELLER_FACTS.title and says(short, SELLER_FACTS.title), short
        for name, value in STATED_FACTS.items():
            assert says(short, value), f"the short description leaves out {name}"
        assert says(_description_text(description), summary), "the AI summary is left out"
        assert _labelled(description.key_features, STATED_FACTS) == [], description.key_features
        # Consignment intake notes (spec 30 §7): one labelled line per fact, the item first.
        item = {"item": description.suggested_title, **STATED_FACTS}
        for marketplace, listing in await self._listings(provider, SELLER_FACTS, description):
            if marketplace.rules.intake_notes:
                lines = listing.generated_description.splitlines()
                assert _labelled(lines, item) == [], f"{marketplace.id}: {lines}"

    async def test_a_stated_category_sets_the_price_basis(self, provider: AIProvider) -> None:
        """Without market data the price rests on the category: the one the seller stated."""
        if not self.states_every_fact:
            pytest.skip("the provider does not declare states_every_fact")
        told = await self._recognition(provider, SELLER_FACTS)
        untold = await self._recognition(provider, UNKNOWN_FACTS)
        known = await provider.research_price(SELLER_FACTS, told)
        unknown = await provider.research_price(UNKNOWN_FACTS, untold)
        assert known.pricing_confidence > unknown.pricing_confidence, (known, unknown)
        assert re.search(r"\bsneaker", known.rationale_summary or ""), known.rationale_summary
        widgets = msgspec.structs.replace(SELLER_FACTS, category="widgets")
        odd = await provider.research_price(widgets, told)
        assert "widgets" in (odd.rationale_summary or ""), odd.rationale_summary
        recognised = msgspec.structs.replace(untold, category=RECOGNISED["category"])
        seller_wins = await provider.research_price(SELLER_FACTS, recognised)
        assert "boot" not in (seller_wins.rationale_summary or ""), seller_wins.rationale_summary
        filled = await provider.research_price(UNKNOWN_FACTS, recognised)
        assert "boot" in (filled.rationale_summary or ""), filled.rationale_summary

    async def test_the_recognition_fills_only_what_the_seller_left_out(
        self, provider: AIProvider
    ) -> None:
        if not self.states_every_fact:
            pytest.skip("the provider does not declare states_every_fact")
        base = await self._recognition(provider, UNKNOWN_FACTS)
        recognised = msgspec.structs.replace(
            base, **RECOGNISED, field_confidence=dict.fromkeys(RECOGNISED, 1.0)
        )
        described = _description_text(await provider.describe(UNKNOWN_FACTS, recognised))
        for name, value in RECOGNISED.items():
            assert says(described, value), f"the recognised {name} is missing: {described}"
        for where, text in await self._copy(provider, SELLER_FACTS, recognised):
            for name, value in RECOGNISED.items():
                assert not says(text, value), f"{where}: the recognised {name} beat the seller's"

    async def test_its_own_words_are_sentences(self, provider: AIProvider) -> None:
        """Notes, warnings and rationales are sentences; features and copy lines are labels."""
        if not self.writes_sentences:
            pytest.skip("the provider does not declare writes_sentences")
        sentences: list[str] = []
        labels: list[str] = []
        partial = ProductFacts(product_id=UNKNOWN_FACTS.product_id, brand="Acme")
        for facts in (SELLER_FACTS, UNKNOWN_FACTS, partial):
            recognition = await self._recognition(provider, facts)
            for matches in (SEARCH_MATCHES, OTHER_BRAND_MATCHES, ()):
                reconciled = await provider.reconcile(recognition, matches)
                sentences.extend(reconciled.review_notes)
                labels.append(reconciled.short_card_description)
            description = await provider.describe(facts, recognition)
            sentences.extend(filter(None, [description.missing_details_warning]))
            labels.extend([description.suggested_title, *description.key_features])
            labels.extend(description.short_description.splitlines())
            for evidence in (None, PriceEvidence(shopping_matches=SEARCH_MATCHES)):
                price = await provider.research_price(facts, recognition, evidence)
                sentences.append(price.rationale_summary or "")
            for _, listing in await self._listings(provider, facts, description, price):
                sentences.extend(listing.compliance_warnings)
                for raw in listing.generated_description.splitlines():
                    line = raw.removeprefix("- ").strip()
                    if line and not line.startswith("#"):
                        labels.append(line)
        problems = [problem for text in sentences if (problem := sentence_problem(text))]
        problems += [problem for text in labels if (problem := label_problem(text))]
        assert not problems, problems


def _labelled(lines: Sequence[str], facts: dict[str, str]) -> list[str]:
    """The names in ``facts`` that no line states with its value (``Brand: Acme``)."""
    return [
        name
        for name, value in facts.items()
        if not any(says(line, name) and says(line, value) for line in lines)
    ]


def _description_text(description: DescriptionResult) -> str:
    return folded(
        [
            description.suggested_title,
            description.short_description,
            description.long_description,
            *description.key_features,
        ]
    )

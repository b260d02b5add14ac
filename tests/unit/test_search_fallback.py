"""The low-confidence fallback (spec 30 §6.4-§6.5) and the shopping evidence of §6.7.

The pipeline runs over the in-memory fakes with the offline AI provider (scripted where a
test needs a particular recognition or reconciliation) and the fake search provider.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from reseller_core.domain.products import ProductStatus
from reseller_core.domain.runs import RunStatus
from reseller_core.ports import (
    AIProviderError,
    PriceEvidence,
    ProductFacts,
    Recognition,
    Reconciliation,
    SearchMatch,
    SearchProviderError,
)
from reseller_core.ports.ai import ImageInput
from reseller_core.testing.fake_search import FakeSearchProvider, sample_matches
from tests.unit.test_pipeline import Env, ScriptedAI

LENS = tuple(
    msgspec.structs.replace(match, match_type="visual_match")
    for match in sample_matches("Acme", "Trail Runner sneakers")
)


class UnsureAI(ScriptedAI):
    """The offline provider, but unsure (score 0.6, not flagged) and with a set reconciliation."""

    def __init__(self, reconciliation: Reconciliation | None = None, score: float = 0.6) -> None:
        super().__init__()
        self.score = score
        self.reconciliation = reconciliation or Reconciliation(
            same_model_family=True,
            short_card_description="Acme Trail Runner 2 sneakers",
            most_likely_model="Trail Runner 2",
        )
        self.reconciled_with: list[tuple[SearchMatch, ...]] = []
        self.evidence: list[PriceEvidence | None] = []

    async def recognize(self, images: Sequence[ImageInput], facts: ProductFacts) -> Recognition:
        recognition = await super().recognize(images, facts)
        return msgspec.structs.replace(
            recognition, confidence_score=self.score, needs_review=False, brand="Acme"
        )

    async def reconcile(
        self, recognition: Recognition, matches: Sequence[SearchMatch]
    ) -> Reconciliation:
        await self._before("reconcile", matches=matches)
        self.reconciled_with.append(tuple(matches))
        return self.reconciliation

    async def research_price(
        self, facts: ProductFacts, recognition: Recognition, evidence: PriceEvidence | None = None
    ) -> Any:
        self.evidence.append(evidence)
        return await super().research_price(facts, recognition, evidence)


def env_with(ai: ScriptedAI, search: FakeSearchProvider | None) -> Env:
    return Env(ai=ai, search=search)


def search_calls(env: Env, run_id: str) -> list[tuple[str, str]]:
    return [
        (call.operation, call.status)
        for call in env.db.snapshot().provider_calls.values()
        if call.role == "search"
    ]


async def test_an_unsure_recognition_is_reconciled_with_lens_matches() -> None:
    ai, search = UnsureAI(), FakeSearchProvider(lens=LENS)
    env = env_with(ai, search)
    run_id = await env.seed(category="sneakers")

    await env.pipeline.process(run_id)

    run = env.run(run_id)
    assert run.status == RunStatus.COMPLETED
    assert run.payload["pipeline_status"] == "reconciled"
    assert run.payload["fallback"] == {"attempted": False}
    final = run.payload["final"]
    assert final["external_match_count"] == 3
    assert final["possible_model"] == "Trail Runner 2"
    assert final["short_card_description"] == "Acme Trail Runner 2 sneakers"
    assert final["needs_review"] is False and run.payload["review_required"] is False
    assert [m["title"] for m in run.payload["search_matches"]] == [m.title for m in LENS]
    assert ai.reconciled_with == [LENS]
    (url,) = [call.arguments[0] for call in search.calls if call.stage == "lens_matches"]
    first = next(i for i in env.images(run_id) if i.position == 1 and i.kind == "original")
    assert first.storage_key in url, "Lens gets a fetchable URL of the first selected photo"
    product = env.product(run_id)
    assert product.title == "Acme Trail Runner 2 sneakers", "the card names a blank title"
    assert product.ai_summary == "Acme Trail Runner 2 sneakers"
    assert product.status == ProductStatus.READY
    assert ("lens", "success") in search_calls(env, run_id)


@pytest.mark.parametrize(
    ("reconciliation", "why"),
    [
        (
            Reconciliation(
                same_model_family=True,
                short_card_description="Acme sneakers",
                review_notes=("Sizes differ between the matches",),
            ),
            "a review note",
        ),
        (
            Reconciliation(same_model_family=False, short_card_description="Acme sneakers"),
            "another model family",
        ),
    ],
)
async def test_reconciliation_doubts_send_the_product_to_review(
    reconciliation: Reconciliation, why: str
) -> None:
    env = env_with(UnsureAI(reconciliation), FakeSearchProvider(lens=LENS))
    run_id = await env.seed(title="Seller's own title", category="sneakers")

    await env.pipeline.process(run_id)

    run = env.run(run_id)
    assert run.payload["pipeline_status"] == "reconciled", why
    assert run.payload["final"]["needs_review"] is True, why
    assert run.payload["final"]["external_match_count"] == 3
    product = env.product(run_id)
    assert product.status == ProductStatus.REVIEW, why
    assert product.title == "Seller's own title", "seller values always win"


async def test_no_lens_matches_leaves_an_unsure_recognition_for_review() -> None:
    ai = UnsureAI()
    env = env_with(ai, FakeSearchProvider(lens=()))
    run_id = await env.seed(category="sneakers")

    await env.pipeline.process(run_id)

    run = env.run(run_id)
    assert run.payload["pipeline_status"] == "recognized"
    assert run.payload["fallback"] == {"attempted": False}
    assert run.payload["final"]["external_match_count"] == 0
    assert run.payload["final"]["needs_review"] is True
    assert ai.reconciled_with == [], "nothing to reconcile"
    assert env.product(run_id).status == ProductStatus.REVIEW


async def test_a_failed_lens_search_keeps_the_recognition_and_says_why() -> None:
    search = FakeSearchProvider(lens=LENS)
    search.fail("lens_matches", SearchProviderError("lens is down", retryable=True))
    env = env_with(UnsureAI(), search)
    run_id = await env.seed(category="sneakers")

    await env.pipeline.process(run_id)

    run = env.run(run_id)
    assert run.status == RunStatus.COMPLETED
    assert run.payload["pipeline_status"] == "recognized"
    assert run.payload["fallback"] == {
        "attempted": True,
        "error": "visual search failed: lens is down",
    }
    assert run.payload["final"]["external_match_count"] == 0
    assert run.payload["final"]["needs_review"] is True
    assert ("lens", "error") in search_calls(env, run_id)


async def test_a_failed_reconciliation_keeps_the_recognition_for_review() -> None:
    ai = UnsureAI()

    async def down(**_: Any) -> None:
        raise AIProviderError("ai_rate_limited", "slow down", retryable=True)

    ai.hooks["reconcile"] = down
    env = env_with(ai, FakeSearchProvider(lens=LENS))
    run_id = await env.seed(category="sneakers")

    await env.pipeline.process(run_id)

    run = env.run(run_id)
    assert run.status == RunStatus.COMPLETED
    assert run.payload["pipeline_status"] == "recognized"
    assert run.payload["fallback"]["attempted"] is True
    assert run.payload["fallback"]["error"].startswith("reconciliation failed")
    assert run.payload["final"]["external_match_count"] == 3
    assert run.payload["final"]["needs_review"] is True


async def test_a_confident_recognition_runs_no_search() -> None:
    search = FakeSearchProvider(lens=LENS)
    env = env_with(UnsureAI(score=0.9), search)
    run_id = await env.seed(category="sneakers")

    await env.pipeline.process(run_id)

    run = env.run(run_id)
    assert run.payload["pipeline_status"] == "recognized"
    assert run.payload["fallback"] == {"attempted": False}
    assert [call.stage for call in search.calls] == ["shopping_matches"]


async def test_price_research_sends_the_shopping_query_and_uses_the_evidence() -> None:
    ai = UnsureAI()
    search = FakeSearchProvider(lens=LENS, shopping=sample_matches("Acme", "sneakers"))
    env = env_with(ai, search)
    run_id = await env.seed(brand="Acme", title="Trail Runner", category="sneakers")

    await env.pipeline.process(run_id)

    assert [c.arguments[0] for c in search.calls if c.stage == "shopping_matches"] == [
        "Acme Trail Runner sneakers"
    ]
    (evidence,) = ai.evidence
    assert evidence is not None
    assert evidence.shopping_query == "Acme Trail Runner sneakers"
    assert evidence.lens_matches == LENS
    assert len(evidence.shopping_matches) == 3
    research = env.row(run_id).price_research
    assert research.suggested_target_price == Decimal("40.00"), "median of 30, 40, 50"
    assert "shopping search" in research.rationale_summary


async def test_the_query_falls_back_to_the_recognised_brand_and_category() -> None:
    search = FakeSearchProvider()
    env = env_with(UnsureAI(score=0.9), search)
    run_id = await env.seed()

    await env.pipeline.process(run_id)

    queries = [c.arguments[0] for c in search.calls if c.stage == "shopping_matches"]
    assert queries == ["Acme"], "brand from recognition; no title and no category known"


async def test_a_failed_shopping_search_degrades_price_research() -> None:
    search = FakeSearchProvider()
    search.fail("shopping_matches", SearchProviderError("shopping is down", retryable=True))
    ai = UnsureAI(score=0.9)
    env = env_with(ai, search)
    run_id = await env.seed(brand="Acme", category="sneakers")

    await env.pipeline.process(run_id)

    run = env.run(run_id)
    assert run.status == RunStatus.COMPLETED
    summary = run.payload["price_research"]
    assert summary["status"] == "review"
    assert summary["search_error"].startswith("shopping_search_failed: ")
    assert "shopping is down" in summary["search_error"]
    assert ai.evidence[0] == PriceEvidence(shopping_query="Acme sneakers")
    assert env.row(run_id).price_research is not None

"""Instructions and inputs of each LLM operation (spec 30 §6.3-§6.8, §7).

Instructions are fixed text per operation; the inputs go in as one JSON document, so a
seller's text is data for the model, never part of its instructions.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

import msgspec

from reseller_core.ports import (
    DescriptionResult,
    ListingRequest,
    PriceEvidence,
    ProductFacts,
    Recognition,
)
from reseller_core.ports.search import SearchMatch

COPY_RULES: Final = (
    "Use the supplied attributes as the only truth. Never invent condition, measurements, "
    "authenticity, provenance, sustainability or warranty claims. Never contradict the "
    "seller's facts (brand, category, colour, material, size, condition): where the photos "
    "seem to disagree, the seller's words win. No unrelated brands, no keyword stuffing. "
    "No URLs, phone numbers or e-mail addresses."
)

RECOGNITION: Final = (
    "You identify second-hand items for resale from the seller's photos. Report only what "
    "the photos show; leave a fact null rather than guess. Give a confidence_score from 0 to "
    "1 and field_confidence per field you filled. Set needs_review when any important fact "
    "is uncertain, and list what is missing in missing_information. The known metadata "
    "comes from the seller: restate it, never replace it."
)

RECONCILIATION: Final = (
    "You check an item's recognition against visual-search matches of its photo. Decide "
    "whether the matches show the same model family, name the most likely model (null when "
    "the matches disagree), write a short factual card description of the item, and add a "
    "review note for anything the seller should check. Matches are leads, not proof."
)

DESCRIPTION: Final = (
    "You write a resale description draft from the product fields and the recognition. "
    f"{COPY_RULES} suggested_title at most 160 characters, short_description at most 500. "
    "If details buyers expect are missing, say which in missing_details_warning."
)

PRICE_GROUNDED: Final = (
    "Research the current secondhand resale price of this item. Search the web for sold and "
    "listed comparable items (eBay sold listings, resale marketplaces). Summarise the price "
    "range you found, the typical price, the condition of the comparables and any signals "
    "(demand, rarity, seasonality). Cite marketplaces by name. Plain text."
)

PRICE: Final = (
    "You suggest a secondhand resale price. Base it on the search results and the grounded "
    "findings when present; without evidence, give a cautious estimate with a low "
    "pricing_confidence. Prices are numbers in the currency you state (default USD), with "
    "suggested_min_price <= suggested_target_price <= suggested_max_price. Explain the "
    "basis in rationale_summary; list comparable results you relied on."
)

LISTING: Final = (
    "You write marketplace listing copy for one marketplace, following its rules and tone. "
    f"{COPY_RULES} generated_tags are plain keywords without '#'. Put hashtags in the "
    "description only when the rules allow them. Respect the title limits. Never write a "
    "title in ALL CAPS. Use the price research's target price as the price suggestion "
    "unless the listing's rules demand otherwise. Report any eligibility or policy concern "
    "in compliance_warnings."
)


def _jsonable(value: Any) -> Any:
    return msgspec.to_builtins(value, enc_hook=str)


def as_json(document: dict[str, Any]) -> str:
    """The input document, compact and stable (sorted keys)."""
    return json.dumps(_jsonable(document), sort_keys=True, ensure_ascii=False)


def facts_document(facts: ProductFacts) -> dict[str, Any]:
    return {
        name: value
        for name, value in msgspec.structs.asdict(facts).items()
        if value not in (None, "", ())
    }


def recognition_document(facts: ProductFacts) -> dict[str, Any]:
    return {
        "product_id": facts.product_id,
        "existing_title": facts.title,
        "existing_brand": facts.brand,
        "existing_category": facts.category,
        "existing_color": facts.color,
        "existing_material": facts.material,
    }


def recognition_summary(recognition: Recognition) -> dict[str, Any]:
    summary = msgspec.structs.asdict(recognition)
    summary.pop("observations", None)
    return {key: value for key, value in summary.items() if value not in (None, "", (), {})}


def match_document(match: SearchMatch) -> dict[str, Any]:
    return {
        key: value
        for key, value in msgspec.structs.asdict(match).items()
        if value not in (None, "") and key != "offline"
    }


def matches_document(matches: Sequence[SearchMatch], limit: int = 20) -> list[dict[str, Any]]:
    return [match_document(match) for match in matches[:limit]]


def price_document(
    facts: ProductFacts,
    recognition: Recognition,
    evidence: PriceEvidence | None,
    grounded_findings: str | None,
) -> dict[str, Any]:
    search: dict[str, Any] = {}
    if evidence is not None:
        search = {
            "shopping_query": evidence.shopping_query,
            "lens_matches": matches_document(evidence.lens_matches),
            "shopping_matches": matches_document(evidence.shopping_matches),
        }
    return {
        "product": {**facts_document(facts), "recognition": recognition_summary(recognition)},
        "search_results": search,
        "grounded_findings": grounded_findings,
    }


def description_summary(description: DescriptionResult) -> dict[str, Any]:
    return msgspec.structs.asdict(description)


def listing_document(request: ListingRequest) -> dict[str, Any]:
    rules = msgspec.structs.asdict(request.rules)
    price: dict[str, Any] | None = None
    if request.price is not None:
        price = {
            key: value
            for key, value in msgspec.structs.asdict(request.price).items()
            if key not in ("comparable_results", "search_error")
        }
    return {
        "marketplace": request.marketplace,
        "marketplace_label": request.label,
        "marketplace_rules": rules,
        "product": facts_document(request.facts),
        "description_draft": description_summary(request.description),
        "price_research": price,
    }

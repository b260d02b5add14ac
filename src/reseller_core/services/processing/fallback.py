"""The low-confidence fallback (spec 30 §6.4-§6.5): Lens visual search, then reconciliation.

A recognition the provider flagged, or scored below the threshold, is checked against what
a visual search finds for the first selected photo; the LLM reconciles the two
(``pipeline_status = "reconciled"``). Any failure here (no fetchable URL, the search or the
reconciliation failing) keeps the recognition alone with ``fallback = {attempted: true,
error}``: the fallback can only add confidence, never fail a run. A search that finds
nothing leaves nothing to reconcile: the recognition stands (``fallback = {attempted:
false}``) and, being unsure and unvouched for, goes to review.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import msgspec

from reseller_core.domain.images import ProductImage
from reseller_core.domain.recognition import reconciled_needs_review
from reseller_core.ports import (
    AIProvider,
    Clock,
    ObjectStorage,
    Recognition,
    SearchProvider,
)
from reseller_core.ports.search import SearchMatch
from reseller_core.services.config import CoreConfig
from reseller_core.services.processing.context import RunContext
from reseller_core.services.processing.progress import FinalRecognition, SearchFallback
from reseller_core.services.processing.usage import UsageMeter

logger = logging.getLogger(__name__)

ERROR_MAX = 300


@dataclass(frozen=True, slots=True)
class FallbackOutcome:
    pipeline_status: str
    final: FinalRecognition
    fallback: SearchFallback
    matches: tuple[dict[str, Any], ...]


def match_payload(match: SearchMatch) -> dict[str, Any]:
    """A match as stored in the run payload (``search_matches``): the §6.4 keys, and
    ``offline: true`` for a match no search service returned."""
    payload: dict[str, Any] = {
        "title": match.title,
        "brand": match.brand,
        "price": None if match.price is None else f"{match.price:.2f}",
        "currency": match.currency,
        "source": match.source,
        "source_domain": match.source_domain,
        "url": match.url,
        "thumbnail_url": match.thumbnail_url,
        "match_type": match.match_type,
    }
    if match.offline:
        payload["offline"] = True
    return payload


def stored_matches(payload: Sequence[dict[str, Any]]) -> tuple[SearchMatch, ...]:
    """The run's stored Lens matches read back (for price research's evidence)."""
    matches: list[SearchMatch] = []
    for item in payload:
        try:
            matches.append(msgspec.convert(item, SearchMatch, strict=False))
        except msgspec.ValidationError:
            logger.warning("ignoring an unreadable stored search match")
    return tuple(matches)


class LensFallback:
    """Runs §6.4 for one low-confidence recognition."""

    def __init__(
        self,
        *,
        usage: UsageMeter,
        storage: ObjectStorage,
        ai: AIProvider,
        search: SearchProvider | None,
        config: CoreConfig,
        clock: Clock,
    ) -> None:
        self._usage = usage
        self._storage = storage
        self._ai = ai
        self._search = search
        self._config = config
        self._clock = clock

    async def _image_url(self, images: Sequence[ProductImage]) -> str | None:
        """A URL the search service can fetch: signed download, else the public URL."""
        for image in images:
            expires = self._clock.now() + timedelta(seconds=self._config.upload_url_ttl_s)
            try:
                return await self._storage.sign_download(image.storage_key, expires_at=expires)
            except Exception:
                logger.warning("could not sign a download URL for image %s", image.id)
            public = self._storage.public_url(image.storage_key)
            if public:
                return public
        return None

    async def run(
        self,
        ctx: RunContext,
        recognition: Recognition,
        final: FinalRecognition,
        selected: Sequence[ProductImage],
    ) -> FallbackOutcome | None:
        """The reconciled (or still recognised) result; None when no search is configured."""
        search = self._search
        if search is None:
            return None
        flagged = bool(recognition.needs_review)

        def recognised(error: str) -> FallbackOutcome:
            fallback = SearchFallback(attempted=True, error=error[:ERROR_MAX])
            return FallbackOutcome("recognized", final, fallback, ())

        url = await self._image_url(selected)
        if url is None:
            return recognised("no image URL the search can fetch")
        try:
            matches = await self._usage.metered(
                ctx,
                search.lens_matches(url),
                provider=search,
                role="search",
                operation="lens",
            )
        except Exception as exc:
            logger.warning("visual search for run %s failed: %s", ctx.run_id, type(exc).__name__)
            return recognised(f"visual search failed: {exc}")
        stored = tuple(match_payload(match) for match in matches)
        if not matches:
            return FallbackOutcome("recognized", final, SearchFallback(attempted=False), stored)
        try:
            reconciled = await self._usage.metered(
                ctx,
                self._ai.reconcile(recognition, matches),
                provider=self._ai,
                role="llm",
                operation="reconciliation",
            )
        except Exception as exc:
            logger.warning("reconciliation for run %s failed: %s", ctx.run_id, type(exc).__name__)
            outcome = recognised(f"reconciliation failed: {exc}")
            counted = msgspec.structs.replace(final, external_match_count=len(matches))
            return FallbackOutcome(outcome.pipeline_status, counted, outcome.fallback, stored)
        review = reconciled_needs_review(
            flagged=flagged,
            low_confidence=True,
            match_count=len(matches),
            same_model_family=reconciled.same_model_family,
            review_notes=reconciled.review_notes,
        )
        merged = msgspec.structs.replace(
            final,
            possible_model=reconciled.most_likely_model or final.possible_model,
            short_card_description=reconciled.short_card_description,
            review_notes=reconciled.review_notes,
            same_model_family=reconciled.same_model_family,
            external_match_count=len(matches),
            needs_review=review,
        )
        return FallbackOutcome("reconciled", merged, SearchFallback(attempted=False), stored)

"""The processing pipeline: one run, every stage of spec 30 §6, durably and idempotently.

How a run survives a dying worker:

- Each stage reads what it needs in a short unit of work, calls the providers with no
  transaction open, then writes its output, the run's new ``step`` and its progress in the
  run ``payload`` (plus the stage's usage event) in **one** unit of work, with a heartbeat.
  The step therefore advances visibly (Q-M7), and "stage done" and "usage recorded" are
  committed together or not at all.
- A run whose worker died stays ``running`` with an old heartbeat; the sweeper re-enqueues
  it, ``claim`` hands it to a new worker, and the pipeline resumes after the last committed
  step, reloading earlier outputs from the payload and the stored artifacts. Stages that
  produce several things (listings, variants) record each one in the payload as it commits
  and skip the ones already there. So a resumed run ends in the same state as an
  uninterrupted one, with no duplicate listing, variant or usage event: usage is recorded
  exactly once per run and bucket because it is committed with the progress marker that
  makes the stage skip on resume.
- ``claim`` increments ``attempts``; every write checks that the run is still ``running``
  under the same attempt, so a worker that was presumed dead and comes back stops instead of
  writing over its successor.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import AsyncIterator, Awaitable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import msgspec

from reseller_core.domain.artifacts import (
    ArtifactStatus,
    DescriptionDraft,
    MarketplaceListing,
    PriceResearch,
)
from reseller_core.domain.images import ImageKind, ImageStatus, ProductImage, variant_key
from reseller_core.domain.plans import (
    PLANS,
    Bucket,
    check_daily,
    credits_to_consume,
    day_window,
    effective_plan,
    month_window,
)
from reseller_core.domain.products import TEXT_LIMITS, Product, ProductStatus
from reseller_core.domain.runs import (
    ERROR_MESSAGES,
    STEP_ORDER,
    ProcessingRun,
    RunErrorCode,
    RunStatus,
    Step,
    is_retryable,
)
from reseller_core.errors import Conflict
from reseller_core.ports import (
    AIProviderError,
    DescriptionResult,
    ImageInput,
    Job,
    ListingRequest,
    PriceResult,
    ProductFacts,
    Recognition,
    StorageError,
    UnitOfWork,
    UsageEvent,
)
from reseller_core.ports.ai import INVALID_IMAGE
from reseller_core.services.deps import Deps
from reseller_core.services.metering import metered

T = TypeVar("T")

logger = logging.getLogger(__name__)

PROCESS_RUN_JOB = "process_run"
"""Job name; its args are ``{"run_id": <ULID>}``."""

MAX_RECOGNITION_IMAGES = 5
PRODUCT_MERGE_ATTEMPTS = 3
"""How often the recognition merge is retried when the seller edits the product meanwhile."""

PRICE_GENERATED_CONFIDENCE = 0.6
DESCRIPTION_TITLE_MAX = 160
DESCRIPTION_TEXT_MAX = 500

RECOGNITION_STATUSES = frozenset({ImageStatus.UPLOADED, ImageStatus.PROCESSING, ImageStatus.READY})
RECOGNITION_EXCLUDED_KINDS = frozenset(
    {ImageKind.LIFESTYLE_GENERATED, ImageKind.BACKGROUND_REPLACED}
)
KIND_PRIORITY: Mapping[ImageKind, int] = {
    ImageKind.OBJECT_CROP: 0,
    ImageKind.BACKGROUND_REMOVED: 1,
    ImageKind.WHITE_BACKGROUND: 2,
    ImageKind.NORMALIZED: 3,
}
"""Recognition input order (spec 30 §6.2); every other kind, originals included, is 4."""

_CENTS = Decimal("0.01")


# --------------------------------------------------------------------------- pure rules


def recognition_candidates(images: Iterable[ProductImage]) -> list[ProductImage]:
    """Images recognition may use (§6.2), in kind-priority then position order.

    AI-generated scenes are excluded so a run never recognises its own earlier output.
    """
    candidates = [
        image
        for image in images
        if image.processing_status in RECOGNITION_STATUSES
        and image.kind not in RECOGNITION_EXCLUDED_KINDS
        and image.content_type
        and image.storage_key
    ]
    return sorted(candidates, key=lambda i: (KIND_PRIORITY.get(i.kind, 4), i.position, i.id))


def select_recognition_images(
    candidates: Sequence[ProductImage], limit: int = MAX_RECOGNITION_IMAGES
) -> list[ProductImage]:
    """At most ``limit`` inputs, always including an original when one exists (§6.2)."""
    ordered = recognition_candidates(candidates)
    chosen = ordered[:limit]
    if chosen and not any(image.kind == ImageKind.ORIGINAL for image in chosen):
        original = next((i for i in ordered if i.kind == ImageKind.ORIGINAL), None)
        if original is not None:
            if len(chosen) < limit:
                chosen.append(original)
            else:
                chosen[-1] = original
    return chosen


def normalise_recognition(recognition: Recognition, threshold: float) -> dict[str, Any]:
    """The run's ``final`` recognition (§6.5), without a visual-search fallback.

    There is no search port yet, so there are never Lens matches: a low-confidence result
    always needs review (``no Lens matches and low confidence``).
    """
    final: dict[str, Any] = msgspec.to_builtins(recognition, enc_hook=str)
    score = recognition.confidence_score
    low = not (isinstance(score, (int, float)) and math.isfinite(score)) or score < threshold
    final["external_match_count"] = 0
    final["needs_review"] = bool(recognition.needs_review or low)
    return final


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    collapsed = " ".join(value.split())
    return collapsed or None


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rstrip()


def apply_recognition(product: Product, final: Mapping[str, Any], now: datetime) -> Product:
    """Fill the product's blank fields from ``final`` (§6.5); seller values always win.

    ``ai_summary`` and ``ai_confidence`` are overwritten whenever a value is derived.
    Returns ``product`` itself when nothing changes, so callers can skip the write.
    """
    brand = _text(final.get("brand"))
    category = _text(final.get("category"))
    model = _text(final.get("possible_model"))
    card = _text(final.get("short_card_description"))
    changes: dict[str, Any] = {}
    if _blank(product.title):
        title = card
        if title is None and brand and model:
            title = f"{brand} {model}"
        if title is None and brand and category:
            title = f"{brand} {category}"
        if title is not None:
            changes["title"] = _clip(title, TEXT_LIMITS["title"])
    for name in ("brand", "category", "color", "material"):
        value = _text(final.get(name))
        if value is not None and _blank(getattr(product, name)):
            changes[name] = _clip(value, TEXT_LIMITS[name])
    raw_features = final.get("distinguishing_features") or []
    features = [f for f in (_text(item) for item in raw_features) if f is not None]
    summary = card or (", ".join(features[:3]) if features else None)
    if summary is None:
        summary = " ".join(part for part in (model, category) if part) or None
    if summary is not None:
        changes["ai_summary"] = summary
    score = final.get("confidence_score")
    if isinstance(score, (int, float)) and not isinstance(score, bool) and math.isfinite(score):
        changes["ai_confidence"] = float(score)
    changes = {name: value for name, value in changes.items() if getattr(product, name) != value}
    if not changes:
        return product
    return msgspec.structs.replace(product, updated_at=now, **changes)


def product_facts(product: Product) -> ProductFacts:
    return ProductFacts(
        product_id=product.id,
        title=product.title,
        brand=product.brand,
        category=product.category,
        condition=product.condition,
        color=product.color,
        size=product.size,
        material=product.material,
        ai_summary=product.ai_summary,
        tags=product.tags,
    )


def _money(value: Any) -> Decimal | None:
    """A provider amount as a non-negative Decimal with 2 places, or None when unusable."""
    try:
        amount = Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None
    if amount is None or not amount.is_finite() or amount < 0:
        return None
    return amount.quantize(_CENTS)


def _money_text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


_STEP_INDEX: Mapping[str, int] = {step.value: index for index, step in enumerate(STEP_ORDER)}


def _step_reached(current: str, step: Step) -> bool:
    """Has a run at ``current`` already committed ``step``? Final steps are past everything."""
    if current not in _STEP_INDEX:
        return bool(current)
    return _STEP_INDEX[current] >= _STEP_INDEX[step.value]


def _dedupe(values: Iterable[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    kept: list[str] = []
    for value in values:
        text = value.strip()
        if text and text not in seen:
            seen.add(text)
            kept.append(text)
    return tuple(kept)


def _jsonable(details: Mapping[str, Any]) -> dict[str, Any]:
    """Provider details as JSON-safe builtins (unknown objects become strings)."""
    converted = msgspec.to_builtins(dict(details), enc_hook=str, str_keys=True)
    return dict(converted) if isinstance(converted, dict) else {}


# --------------------------------------------------------------------------- failures


class PipelineFailure(Exception):
    """A stage failed in a way the run reports with ``code`` (spec 30 §5.4)."""

    def __init__(
        self,
        code: RunErrorCode,
        *,
        retryable: bool | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        self.code = code
        self.retryable = is_retryable(code) if retryable is None else retryable
        self.details = dict(details or {})
        super().__init__(ERROR_MESSAGES[code])


class _LostClaim(Exception):
    """The run is no longer ``running`` under this worker's attempt: stop writing."""


class _ProductGone(Exception):
    """The product was deleted while its run was being processed."""


@dataclass(slots=True)
class _RunContext:
    """What this worker knows about the run it claimed; updated only after each commit."""

    run_id: str
    product_id: str
    user_id: str
    attempts: int
    marketplaces: tuple[str, ...]
    step: str
    payload: dict[str, Any] = field(default_factory=dict)
    product: Product | None = None
    """The product as this run last read or wrote it; after recognition, the facts every
    later stage works from."""
    images: tuple[ProductImage, ...] | None = None
    """The product's images as the claim left them: recognition's candidates."""


# --------------------------------------------------------------------------- the service


class PipelineService:
    """Executes processing runs (spec 30 §5.3, §6) against the ports in ``Deps``."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def process(self, run_id: str) -> None:
        """Claim the run and execute it to ``completed`` or ``failed``.

        Safe to call twice: a run that is not claimable (already finished, or running
        under a live worker) is left alone. Errors never escape into the queue; only
        cancellation does, leaving the run ``running`` for the sweeper to resume.
        """
        try:
            ctx = await self._claim(run_id)
        except Exception:
            logger.exception("processing run %s could not be claimed", run_id)
            return
        if ctx is None:
            return
        try:
            async with self._keepalive(ctx):
                await self._execute(ctx)
        except PipelineFailure as failure:
            logger.info("processing run %s failed: %s", run_id, failure.code)
            await self._fail_safely(ctx, failure)
        except _ProductGone:
            logger.info("product of processing run %s was deleted; stopping", run_id)
            gone = PipelineFailure(
                RunErrorCode.PROCESSOR_ERROR, retryable=False, details={"reason": "product_deleted"}
            )
            await self._fail_safely(ctx, gone)
        except _LostClaim:
            logger.warning("processing run %s is owned by another worker now; stopping", run_id)
        except Exception as exc:
            logger.exception("processing run %s failed unexpectedly", run_id)
            unexpected = PipelineFailure(
                RunErrorCode.PROCESSOR_ERROR,
                retryable=False,
                details={"reason": type(exc).__name__, "detail": str(exc)[:500]},
            )
            await self._fail_safely(ctx, unexpected)

    # ----------------------------------------------------------------- claim and start

    async def _claim(self, run_id: str) -> _RunContext | None:
        """Claim the run, re-check the daily ceilings and start it (one unit of work)."""
        deps = self._deps
        now = deps.clock.now()
        stale_before = now - timedelta(seconds=deps.config.run_heartbeat_timeout_s)
        async with deps.uow() as uow:
            run = await uow.runs.claim(run_id, now, stale_before=stale_before)
            if run is None:
                return None
            ctx = _RunContext(
                run_id=run.id,
                product_id=run.product_id,
                user_id=run.user_id,
                attempts=run.attempts,
                marketplaces=run.marketplaces,
                step=run.step,
                payload=dict(run.payload),
            )
            product = await uow.products.get_by_id(run.product_id)
            if product is None:
                logger.info("processing run %s has no product any more", run_id)
                failure = PipelineFailure(
                    RunErrorCode.PROCESSOR_ERROR,
                    retryable=False,
                    details={"reason": "product_deleted"},
                )
                await self._write_failure(uow, run, failure, now, ctx)
                await uow.commit()
                return None
            day_start, day_end = day_window(now)
            breach = check_daily(
                await uow.usage.daily_usage(run.user_id, day_start, day_end),
                deps.config.daily_ceilings,
            )
            if breach is not None:
                failure = PipelineFailure(
                    RunErrorCode.LIMIT_EXCEEDED,
                    retryable=True,
                    details={
                        "operation": breach.operation,
                        "used": breach.used,
                        "limit": breach.limit,
                    },
                )
                await self._write_failure(uow, run, failure, now, ctx)
                await uow.commit()
                return None
            images = await uow.images.for_product(run.product_id)
            started = [
                msgspec.structs.replace(
                    image, processing_status=ImageStatus.PROCESSING, updated_at=now
                )
                for image in images
                if image.processing_status == ImageStatus.UPLOADED
            ]
            if started:
                await uow.images.update_many(started)
            marked = {image.id: image for image in started}
            step = Step.PREPARE_IMAGES.value if run.step in (Step.QUEUED, "") else run.step
            await uow.runs.update(
                msgspec.structs.replace(
                    run,
                    step=step,
                    started_at=run.started_at or now,
                    heartbeat_at=now,
                    updated_at=now,
                )
            )
            await uow.commit()
        ctx.step = step
        ctx.product = product
        ctx.images = tuple(marked.get(image.id, image) for image in images)
        return ctx

    # ----------------------------------------------------------------- the stages

    async def _execute(self, ctx: _RunContext) -> None:
        recognition = await self._recognition_stage(ctx)
        description = await self._description_stage(ctx, recognition)
        price = await self._price_stage(ctx, recognition)
        await self._listing_stage(ctx, description, price)
        variants_ok = await self._variant_stage(ctx)
        await self._finish(ctx, Step.VARIANTS_GENERATED if variants_ok else Step.VARIANTS_FAILED)

    async def _recognition_stage(self, ctx: _RunContext) -> Recognition:
        """Select inputs, recognise (dropping undecodable images), merge into the product."""
        final = ctx.payload.get("final")
        if _step_reached(ctx.step, Step.RECOGNITION_COMPLETED) and isinstance(final, dict):
            return msgspec.convert(final, Recognition)
        deps = self._deps
        product, images = ctx.product, ctx.images
        if product is None or images is None:
            async with deps.uow() as uow:
                product = await self._product(uow, ctx)
                images = tuple(await uow.images.for_product(ctx.product_id))
        candidates = recognition_candidates(images)
        facts = product_facts(product)
        rejected: list[dict[str, Any]] = list(ctx.payload.get("rejected_images", []))
        cache: dict[str, bytes] = {}
        while True:
            selected = select_recognition_images(candidates)
            if not selected:
                details = {"rejected_images": rejected} if rejected else {}
                raise PipelineFailure(RunErrorCode.NO_RECOGNITION_IMAGES, details=details)
            inputs = [
                ImageInput(
                    image_id=image.id,
                    kind=image.kind.value,
                    position=image.position,
                    content_type=image.content_type,
                    data=await self._image_bytes(image, cache),
                )
                for image in selected
            ]
            try:
                recognition = await self._metered(
                    ctx, deps.ai.recognize(inputs, facts), "llm", "recognition"
                )
                break
            except AIProviderError as exc:
                bad_id = exc.details.get("image_id") if exc.code == INVALID_IMAGE else None
                bad = next((image for image in selected if image.id == bad_id), None)
                if bad is None:
                    raise self._provider_failure(exc) from exc
                reason = str(exc.details.get("reason") or exc)
                rejected.append({"image_id": bad.id, "reason": reason})
                await self._reject_image(ctx, bad, rejected)
                candidates = [image for image in candidates if image.id != bad.id]
        final = normalise_recognition(recognition, deps.config.recognition_confidence_threshold)
        updates = {
            "pipeline_status": "recognized",
            "selected_image_count": len(selected),
            "final": final,
            "fallback": {"attempted": False},
            "search_matches": [],
        }
        for attempt in range(1, PRODUCT_MERGE_ATTEMPTS + 1):
            try:
                async with deps.uow() as uow:
                    run = await self._owned_run(uow, ctx)
                    now = deps.clock.now()
                    stored = await self._product(uow, ctx)
                    merged = apply_recognition(stored, final, now)
                    if merged is not stored:
                        merged = await uow.products.update(merged, expected_version=stored.version)
                    await self._commit_stage(
                        uow, ctx, run, now, step=Step.RECOGNITION_COMPLETED, updates=updates
                    )
                ctx.product = merged
                break
            except Conflict:
                # The seller saved the product meanwhile: re-read and merge again.
                if attempt == PRODUCT_MERGE_ATTEMPTS:
                    raise
                logger.info(
                    "product %s changed during run %s; merging again", ctx.product_id, ctx.run_id
                )
        return recognition

    async def _description_stage(
        self, ctx: _RunContext, recognition: Recognition
    ) -> DescriptionResult:
        done = _step_reached(ctx.step, Step.DESCRIPTION_GENERATED)
        deps = self._deps
        if done:
            async with deps.uow() as uow:
                saved, _, _ = await uow.products.artifacts(ctx.product_id)
            if saved is not None:
                return DescriptionResult(
                    suggested_title=saved.suggested_title,
                    short_description=saved.short_description,
                    long_description=saved.long_description,
                    key_features=saved.key_features,
                    seo_keywords=saved.seo_keywords,
                    missing_details_warning=saved.missing_details_warning,
                )
        product = await self._facts_source(ctx)
        try:
            result = await self._metered(
                ctx, deps.ai.describe(product_facts(product), recognition), "llm", "description"
            )
        except AIProviderError as exc:
            raise self._provider_failure(exc) from exc
        warning = _text(result.missing_details_warning)
        async with deps.uow() as uow:
            run = await self._owned_run(uow, ctx)
            now = deps.clock.now()
            existing, _, _ = await uow.products.artifacts(ctx.product_id)
            draft = DescriptionDraft(
                id=existing.id if existing else deps.ids.new_id(),
                status=ArtifactStatus.REVIEW if warning else ArtifactStatus.GENERATED,
                provider=deps.ai.name,
                model=deps.ai.model,
                suggested_title=_clip(result.suggested_title.strip(), DESCRIPTION_TITLE_MAX),
                short_description=_clip(result.short_description.strip(), DESCRIPTION_TEXT_MAX),
                long_description=result.long_description,
                key_features=_dedupe(result.key_features),
                seo_keywords=_dedupe(result.seo_keywords),
                missing_details_warning=_clip(warning, DESCRIPTION_TEXT_MAX) if warning else None,
                created_at=existing.created_at if existing else now,
                updated_at=now,
            )
            await uow.products.save_description_draft(ctx.product_id, draft)
            if not done:
                await self._record_usage(uow, ctx, Bucket.AI_DRAFTS, now)
            summary = {
                "id": draft.id,
                "status": draft.status.value,
                "suggested_title": draft.suggested_title,
                "short_description": draft.short_description,
            }
            await self._commit_stage(
                uow,
                ctx,
                run,
                now,
                step=None if done else Step.DESCRIPTION_GENERATED,
                updates={"description_draft": summary},
            )
        return result

    async def _price_stage(self, ctx: _RunContext, recognition: Recognition) -> PriceResult | None:
        """Price research; a search failure degrades instead of failing the run (Q-M8)."""
        done = _step_reached(ctx.step, Step.PRICE_RESEARCHED)
        deps = self._deps
        if done:
            progress = ctx.payload.get("price_research")
            if isinstance(progress, dict) and progress.get("status") == "failed":
                return None
            async with deps.uow() as uow:
                _, saved, _ = await uow.products.artifacts(ctx.product_id)
            if saved is not None and saved.suggested_target_price is not None:
                return PriceResult(
                    currency=saved.currency,
                    suggested_target_price=saved.suggested_target_price,
                    pricing_confidence=saved.pricing_confidence or 0.0,
                    suggested_min_price=saved.suggested_min_price,
                    suggested_max_price=saved.suggested_max_price,
                    suggested_median_price=saved.suggested_median_price,
                    rationale_summary=saved.rationale_summary,
                    market_signals=saved.market_signals,
                    comparable_results=saved.comparable_results,
                )
        product = await self._facts_source(ctx)
        try:
            result = await self._metered(
                ctx,
                deps.ai.research_price(product_facts(product), recognition),
                "llm",
                "price_research",
            )
        except AIProviderError as exc:
            if exc.code != RunErrorCode.SHOPPING_SEARCH_FAILED:
                raise self._provider_failure(exc) from exc
            degraded = {
                "status": "failed",
                "error": RunErrorCode.SHOPPING_SEARCH_FAILED.value,
                "search_error": str(exc),
            }
            async with deps.uow() as uow:
                run = await self._owned_run(uow, ctx)
                await self._commit_stage(
                    uow,
                    ctx,
                    run,
                    deps.clock.now(),
                    step=None if done else Step.PRICE_RESEARCHED,
                    updates={"price_research": degraded},
                )
            return None
        await self._save_price(ctx, result, record_usage=not done)
        return result

    async def _save_price(
        self, ctx: _RunContext, result: PriceResult, *, record_usage: bool
    ) -> None:
        deps = self._deps
        currency = (result.currency or "").strip().upper()
        if len(currency) != 3 or not currency.isalpha():
            currency = "USD"
        confidence = result.pricing_confidence
        if not (isinstance(confidence, (int, float)) and math.isfinite(confidence)):
            confidence = 0.0
        confidence = min(1.0, max(0.0, float(confidence)))
        rationale = _text(result.rationale_summary)
        generated = rationale is not None and confidence >= PRICE_GENERATED_CONFIDENCE
        async with deps.uow() as uow:
            run = await self._owned_run(uow, ctx)
            now = deps.clock.now()
            _, existing, _ = await uow.products.artifacts(ctx.product_id)
            research = PriceResearch(
                id=existing.id if existing else deps.ids.new_id(),
                status=ArtifactStatus.GENERATED if generated else ArtifactStatus.REVIEW,
                provider=deps.ai.name,
                model=deps.ai.model,
                currency=currency,
                suggested_min_price=_money(result.suggested_min_price),
                suggested_target_price=_money(result.suggested_target_price),
                suggested_max_price=_money(result.suggested_max_price),
                suggested_median_price=_money(result.suggested_median_price),
                pricing_confidence=confidence,
                rationale_summary=result.rationale_summary,
                market_signals=_dedupe(result.market_signals),
                comparable_results=tuple(_jsonable(item) for item in result.comparable_results),
                created_at=existing.created_at if existing else now,
                updated_at=now,
            )
            await uow.products.save_price_research(ctx.product_id, research)
            if record_usage:
                await self._record_usage(uow, ctx, Bucket.PRICE_RESEARCH, now)
            summary: dict[str, Any] = {
                "id": research.id,
                "status": research.status.value,
                "currency": research.currency,
                "suggested_target_price": _money_text(research.suggested_target_price),
                "suggested_median_price": _money_text(research.suggested_median_price),
                "pricing_confidence": research.pricing_confidence,
            }
            if result.search_error:
                summary["search_error"] = result.search_error
            await self._commit_stage(
                uow,
                ctx,
                run,
                now,
                step=Step.PRICE_RESEARCHED if record_usage else None,
                updates={"price_research": summary},
            )

    async def _listing_stage(
        self, ctx: _RunContext, description: DescriptionResult, price: PriceResult | None
    ) -> None:
        """One listing per selected marketplace; a failure fails only that listing (Q-M9)."""
        if _step_reached(ctx.step, Step.MARKETPLACE_LISTINGS_GENERATED):
            return
        deps = self._deps
        facts = product_facts(await self._facts_source(ctx))
        done = {
            entry.get("marketplace")
            for entry in ctx.payload.get("marketplace_listings", [])
            if isinstance(entry, dict)
        }
        pending = [m for m in dict.fromkeys(ctx.marketplaces) if m not in done]
        for index, marketplace in enumerate(pending):
            # The last listing's unit of work also completes the stage.
            last = index == len(pending) - 1
            await self._one_listing(ctx, marketplace, facts, description, price, last=last)
        if pending:
            return
        async with deps.uow() as uow:
            run = await self._owned_run(uow, ctx)
            await self._commit_stage(
                uow,
                ctx,
                run,
                deps.clock.now(),
                step=Step.MARKETPLACE_LISTINGS_GENERATED,
                updates={"marketplace_listings": list(ctx.payload.get("marketplace_listings", []))},
            )

    async def _one_listing(
        self,
        ctx: _RunContext,
        marketplace: str,
        facts: ProductFacts,
        description: DescriptionResult,
        price: PriceResult | None,
        *,
        last: bool = False,
    ) -> None:
        deps = self._deps
        adapter = deps.marketplaces.get(marketplace)
        label = adapter.label if adapter is not None else marketplace
        error: dict[str, Any] | None = None
        try:
            if adapter is None:
                raise LookupError(f"no marketplace adapter is installed for {marketplace!r}")
            result = await self._metered(
                ctx,
                deps.ai.write_listing(
                    ListingRequest(
                        marketplace=marketplace,
                        label=adapter.label,
                        rules=adapter.rules,
                        facts=facts,
                        description=description,
                        price=price,
                    )
                ),
                "llm",
                "marketplace_listing",
            )
            shaped = adapter.shape(result)
        except AIProviderError as exc:
            logger.warning("listing for %s in run %s failed: %s", marketplace, ctx.run_id, exc)
            error = {"error": exc.code, "detail": str(exc)[:500]}
        except Exception as exc:
            logger.warning(
                "listing for %s in run %s failed", marketplace, ctx.run_id, exc_info=True
            )
            error = {
                "error": RunErrorCode.MARKETPLACE_LISTING_FAILED.value,
                "detail": f"{type(exc).__name__}: {exc}"[:500],
            }
        async with deps.uow() as uow:
            run = await self._owned_run(uow, ctx)
            now = deps.clock.now()
            _, _, listings = await uow.products.artifacts(ctx.product_id)
            existing = next((item for item in listings if item.marketplace == marketplace), None)
            if error is None:
                warnings = _dedupe([*result.compliance_warnings, *shaped.compliance_warnings])
                listing = MarketplaceListing(
                    id=existing.id if existing else deps.ids.new_id(),
                    marketplace=marketplace,
                    status=ArtifactStatus.REVIEW if warnings else ArtifactStatus.GENERATED,
                    generated_title=shaped.title,
                    generated_description=shaped.description,
                    generated_tags=shaped.tags,
                    generated_price_suggestion=_money(result.generated_price_suggestion),
                    generation_version=result.generation_version or deps.ai.model,
                    compliance_warnings=warnings,
                    external_url=existing.external_url if existing else None,
                    external_url_added_at=existing.external_url_added_at if existing else None,
                    last_generated_at=now,
                    created_at=existing.created_at if existing else now,
                    updated_at=now,
                )
            else:
                # Earlier copy stays visible (spec 30 §5.3); the status says it is stale.
                base = existing or MarketplaceListing(
                    id=deps.ids.new_id(),
                    marketplace=marketplace,
                    status=ArtifactStatus.FAILED,
                    created_at=now,
                    updated_at=now,
                )
                listing = msgspec.structs.replace(
                    base,
                    status=ArtifactStatus.FAILED,
                    compliance_warnings=(
                        f"Copy for {label} could not be generated; reprocess to try again.",
                    ),
                    updated_at=now,
                )
            others = [item for item in listings if item.marketplace != marketplace]
            await uow.products.save_listings(ctx.product_id, [*others, listing])
            entry: dict[str, Any] = {
                "id": listing.id,
                "marketplace": marketplace,
                "status": listing.status.value,
                "generated_title": listing.generated_title if error is None else None,
                "generated_price_suggestion": _money_text(listing.generated_price_suggestion)
                if error is None
                else None,
            }
            if error is not None:
                entry.update(error)
            entries = [*ctx.payload.get("marketplace_listings", []), entry]
            await self._commit_stage(
                uow,
                ctx,
                run,
                now,
                step=Step.MARKETPLACE_LISTINGS_GENERATED if last else None,
                updates={"marketplace_listings": entries},
            )

    async def _variant_stage(self, ctx: _RunContext) -> bool:
        """Background-removed variants per original; the first failure stops them (§6.9).

        Returns whether every original got its variant. Never fails the run.
        """
        deps = self._deps
        progress = ctx.payload.get("variant_generation")
        if isinstance(progress, dict) and progress.get("status") in ("generated", "failed"):
            return bool(progress.get("status") == "generated")
        async with deps.uow() as uow:
            await self._product(uow, ctx)
            images = await uow.images.for_product(ctx.product_id)
        originals = sorted(
            (
                image
                for image in images
                if image.kind == ImageKind.ORIGINAL
                and image.processing_status in RECOGNITION_STATUSES
            ),
            key=lambda image: (image.position, image.id),
        )
        state = progress if isinstance(progress, dict) else {}
        variants: list[dict[str, Any]] = list(state.get("variants", []))
        sources: list[str] = list(state.get("source_image_ids", []))
        pending = [original for original in originals if original.id not in sources]
        for index, original in enumerate(pending):
            # The last variant's unit of work also marks the stage generated.
            last = index == len(pending) - 1
            key = variant_key(ctx.user_id, ctx.product_id, original.id)
            try:
                data = await deps.storage.get(original.storage_key)
                edited = await self._metered(
                    ctx,
                    deps.image_editor.remove_background(data, original.content_type),
                    "image_editor",
                    "process_image",
                )
                await deps.storage.put(key, edited.data, content_type=edited.content_type)
            except Exception as exc:
                logger.warning(
                    "background removal for image %s in run %s failed",
                    original.id,
                    ctx.run_id,
                    exc_info=True,
                )
                failed = {
                    "status": "failed",
                    "count": len(variants),
                    "variants": variants,
                    "source_image_ids": sources,
                    "error": "media_unavailable"
                    if isinstance(exc, StorageError)
                    else "background_removal_failed",
                    "error_reason": f"{type(exc).__name__}: {exc}"[:500],
                    "image_id": original.id,
                }
                async with deps.uow() as uow:
                    run = await self._owned_run(uow, ctx)
                    await self._commit_stage(
                        uow,
                        ctx,
                        run,
                        deps.clock.now(),
                        step=None,
                        updates={"variant_generation": failed},
                    )
                return False
            async with deps.uow() as uow:
                run = await self._owned_run(uow, ctx)
                now = deps.clock.now()
                current = await uow.images.for_product(ctx.product_id)
                existing = next(
                    (
                        image
                        for image in current
                        if image.kind == ImageKind.BACKGROUND_REMOVED
                        and image.position == original.position
                    ),
                    None,
                )
                fields: dict[str, Any] = {
                    "storage_key": key,
                    "content_type": edited.content_type,
                    "width": edited.width or original.width,
                    "height": edited.height or original.height,
                    "byte_size": len(edited.data),
                    "checksum": original.checksum,
                    "original_filename": original.original_filename,
                    "background_style": "transparent",
                    "processing_status": ImageStatus.READY,
                    "updated_at": now,
                }
                if existing is not None:
                    variant = msgspec.structs.replace(existing, **fields)
                    await uow.images.update_many([variant])
                else:
                    variant = ProductImage(
                        id=deps.ids.new_id(),
                        product_id=ctx.product_id,
                        kind=ImageKind.BACKGROUND_REMOVED,
                        position=original.position,
                        created_at=now,
                        **fields,
                    )
                    await uow.images.add_many([variant])
                await self._record_usage(uow, ctx, Bucket.BACKGROUND_REMOVALS, now)
                variants = [
                    *variants,
                    {
                        "id": variant.id,
                        "kind": variant.kind.value,
                        "position": variant.position,
                        "background_style": variant.background_style,
                        "processing_status": variant.processing_status.value,
                    },
                ]
                sources = [*sources, original.id]
                progress_now = {
                    "status": "generated" if last else "running",
                    "count": len(variants),
                    "variants": variants,
                    "source_image_ids": sources,
                }
                await self._commit_stage(
                    uow, ctx, run, now, step=None, updates={"variant_generation": progress_now}
                )
        if pending:
            return True
        async with deps.uow() as uow:
            run = await self._owned_run(uow, ctx)
            generated = {
                "status": "generated",
                "count": len(variants),
                "variants": variants,
                "source_image_ids": sources,
            }
            await self._commit_stage(
                uow,
                ctx,
                run,
                deps.clock.now(),
                step=None,
                updates={"variant_generation": generated},
            )
        return True

    async def _finish(self, ctx: _RunContext, final_step: Step) -> None:
        """Images ready, run completed with the §6.11 payload, product ready or review."""
        deps = self._deps
        async with deps.uow() as uow:
            run = await self._owned_run(uow, ctx)
            now = deps.clock.now()
            images = await uow.images.for_product(ctx.product_id)
            ready = [
                msgspec.structs.replace(image, processing_status=ImageStatus.READY, updated_at=now)
                for image in images
                if image.processing_status == ImageStatus.PROCESSING
            ]
            if ready:
                await uow.images.update_many(ready)
            final = ctx.payload.get("final") or {}
            rejected = ctx.payload.get("rejected_images") or []
            # An upload that could not be decoded is something the seller must look at.
            review_required = bool(final.get("needs_review", True)) or bool(rejected)
            target = ProductStatus.REVIEW if review_required else ProductStatus.READY
            await uow.products.set_status_if(ctx.product_id, ProductStatus.PROCESSING, target, now)
            product = await uow.products.get_by_id(ctx.product_id)
            if product is None:
                raise _ProductGone
            payload = {
                **ctx.payload,
                "review_required": review_required,
                "lifestyle_generation": {
                    "status": "skipped",
                    "reason": "disabled",
                    "requested_count": 0,
                    "completed_count": 0,
                    "scene_results": [],
                    "images": [],
                },
                "product": {
                    "id": product.id,
                    "status": product.status.value,
                    "title": product.title,
                    "brand": product.brand,
                    "category": product.category,
                    "color": product.color,
                    "material": product.material,
                    "ai_confidence": product.ai_confidence,
                },
                "provider": deps.ai.name,
                "model": deps.ai.model,
                "offline": deps.ai.offline,
            }
            await uow.runs.update(
                msgspec.structs.replace(
                    run,
                    status=RunStatus.COMPLETED,
                    step=final_step.value,
                    finished_at=now,
                    error_code=None,
                    error_message=None,
                    payload=payload,
                    heartbeat_at=now,
                    updated_at=now,
                )
            )
            await uow.commit()
        ctx.step = final_step.value
        ctx.payload = payload

    # ----------------------------------------------------------------- helpers

    async def _product(self, uow: UnitOfWork, ctx: _RunContext) -> Product:
        product = await uow.products.get_by_id(ctx.product_id)
        if product is None:
            raise _ProductGone
        return product

    async def _facts_source(self, ctx: _RunContext) -> Product:
        """The product the AI stages describe: as recognition left it, read once on resume.

        Every stage after recognition works from this one snapshot, so a run's copy, price
        and listings describe the same facts, and no stage needs a unit of work of its own
        just to read them.
        """
        if ctx.product is None:
            async with self._deps.uow() as uow:
                ctx.product = await self._product(uow, ctx)
        return ctx.product

    async def _owned_run(self, uow: UnitOfWork, ctx: _RunContext) -> ProcessingRun:
        """The run, if this worker still owns it; otherwise ``_LostClaim``."""
        run = await uow.runs.get(ctx.run_id)
        if run is None or run.status != RunStatus.RUNNING or run.attempts != ctx.attempts:
            raise _LostClaim
        return run

    async def _commit_stage(
        self,
        uow: UnitOfWork,
        ctx: _RunContext,
        run: ProcessingRun,
        now: datetime,
        *,
        step: Step | None,
        updates: Mapping[str, Any],
    ) -> None:
        """Write the run's progress with a heartbeat and commit the stage's unit of work.

        ``update`` writes the whole run, heartbeat included, so one statement does both.
        """
        payload = {**ctx.payload, **updates}
        new_step = step.value if step is not None else run.step
        await uow.runs.update(
            msgspec.structs.replace(
                run, step=new_step, payload=payload, heartbeat_at=now, updated_at=now
            )
        )
        await uow.commit()
        ctx.payload = payload
        ctx.step = new_step

    async def _image_bytes(self, image: ProductImage, cache: dict[str, bytes]) -> bytes:
        if image.id not in cache:
            try:
                cache[image.id] = await self._deps.storage.get(image.storage_key)
            except StorageError as exc:
                raise PipelineFailure(
                    RunErrorCode.MEDIA_UNAVAILABLE,
                    retryable=True,
                    details={"provider": "storage", "image_id": image.id, "detail": str(exc)},
                ) from exc
        return cache[image.id]

    async def _reject_image(
        self, ctx: _RunContext, image: ProductImage, rejected: list[dict[str, Any]]
    ) -> None:
        """Mark an undecodable upload ``failed`` at once, so a resumed run skips it too."""
        deps = self._deps
        async with deps.uow() as uow:
            run = await self._owned_run(uow, ctx)
            now = deps.clock.now()
            current = next(
                (i for i in await uow.images.for_product(ctx.product_id) if i.id == image.id),
                None,
            )
            if current is not None:
                await uow.images.update_many(
                    [
                        msgspec.structs.replace(
                            current, processing_status=ImageStatus.FAILED, updated_at=now
                        )
                    ]
                )
            await self._commit_stage(
                uow, ctx, run, now, step=None, updates={"rejected_images": list(rejected)}
            )

    async def _metered(self, ctx: _RunContext, call: Awaitable[T], role: str, operation: str) -> T:
        """One provider call, recorded for the daily safety ceilings (spec 10 §5.4)."""
        provider = self._deps.image_editor.name if role == "image_editor" else self._deps.ai.name
        return await metered(
            self._deps,
            call,
            user_id=ctx.user_id,
            product_id=ctx.product_id,
            provider=provider,
            role=role,
            operation=operation,
        )

    async def _record_usage(
        self, uow: UnitOfWork, ctx: _RunContext, bucket: Bucket, now: datetime
    ) -> None:
        """One usage event (Q-A6), consuming an add-on credit beyond the plan (Q-A7)."""
        deps = self._deps
        user = await uow.users.get(ctx.user_id)
        if user is not None:
            credits = int(user.addon_credits.get(bucket.value, 0))
            if credits > 0:
                start, end = month_window(now)
                monthly = await uow.usage.monthly_counts(user.id, start, end)
                used = int(monthly.get(bucket.value, 0))
                limits = PLANS[effective_plan(user, now, deps.config.trial_limits_plan)]
                consume = credits_to_consume(used, 1, limits.for_bucket(bucket), credits)
                if consume > 0:
                    balance = {**user.addon_credits, bucket.value: credits - consume}
                    await uow.users.update(
                        msgspec.structs.replace(user, addon_credits=balance, updated_at=now)
                    )
        await uow.usage.record(
            UsageEvent(
                id=deps.ids.new_id(),
                user_id=ctx.user_id,
                product_id=ctx.product_id,
                run_id=ctx.run_id,
                bucket=bucket.value,
                quantity=1,
                created_at=now,
            )
        )

    def _provider_failure(self, exc: AIProviderError) -> PipelineFailure:
        """Classify a provider error into a run failure (§5.4); unknown codes are ours."""
        try:
            code = RunErrorCode(exc.code)
        except ValueError:
            code = RunErrorCode.PROCESSOR_ERROR
        retryable = exc.retryable if code == RunErrorCode.MEDIA_UNAVAILABLE else None
        details = {"provider": self._deps.ai.name, "detail": str(exc)[:500], **exc.details}
        if code == RunErrorCode.PROCESSOR_ERROR and exc.code != code:
            details["provider_code"] = exc.code
        return PipelineFailure(code, retryable=retryable, details=_jsonable(details))

    async def _fail_safely(self, ctx: _RunContext, failure: PipelineFailure) -> None:
        try:
            async with self._deps.uow() as uow:
                run = await uow.runs.get(ctx.run_id)
                if run is None or run.status != RunStatus.RUNNING or run.attempts != ctx.attempts:
                    return
                await self._write_failure(uow, run, failure, self._deps.clock.now(), ctx)
                await uow.commit()
        except Exception:
            # The run stays ``running``; the sweeper re-enqueues it once its heartbeat ages.
            logger.exception("could not record the failure of processing run %s", ctx.run_id)

    async def _write_failure(
        self,
        uow: UnitOfWork,
        run: ProcessingRun,
        failure: PipelineFailure,
        now: datetime,
        ctx: _RunContext,
    ) -> None:
        """Run ``failed``; images back to ``uploaded`` (retryable) or ``failed``; product review."""
        images = await uow.images.for_product(run.product_id)
        changed: list[ProductImage] = []
        for image in images:
            if failure.retryable:
                if image.kind == ImageKind.ORIGINAL and image.processing_status in (
                    ImageStatus.PROCESSING,
                    ImageStatus.FAILED,
                ):
                    changed.append(
                        msgspec.structs.replace(
                            image, processing_status=ImageStatus.UPLOADED, updated_at=now
                        )
                    )
            elif image.processing_status == ImageStatus.PROCESSING:
                changed.append(
                    msgspec.structs.replace(
                        image, processing_status=ImageStatus.FAILED, updated_at=now
                    )
                )
        if changed:
            await uow.images.update_many(changed)
        payload: dict[str, Any] = {"provider": self._deps.ai.name, **_jsonable(failure.details)}
        payload["retryable"] = failure.retryable
        payload["offline"] = self._deps.ai.offline
        rejected = ctx.payload.get("rejected_images")
        if rejected and "rejected_images" not in payload:
            payload["rejected_images"] = rejected
        await uow.runs.update(
            msgspec.structs.replace(
                run,
                status=RunStatus.FAILED,
                error_code=failure.code.value,
                error_message=ERROR_MESSAGES[failure.code],
                payload=payload,
                finished_at=now,
                updated_at=now,
            )
        )
        await uow.products.set_status_if(
            run.product_id, ProductStatus.PROCESSING, ProductStatus.REVIEW, now
        )

    @contextlib.asynccontextmanager
    async def _keepalive(self, ctx: _RunContext) -> AsyncIterator[None]:
        """Heartbeat in the background while a stage waits on a slow provider.

        Stage commits heartbeat too, but one provider call (with its retries) can outlast
        ``run_heartbeat_timeout_s``; without this the sweeper would hand a live run to a
        second worker.
        """
        interval = max(1.0, self._deps.config.run_heartbeat_timeout_s / 3)

        async def beat() -> None:
            while True:
                await asyncio.sleep(interval)
                try:
                    async with self._deps.uow() as uow:
                        await uow.runs.heartbeat(ctx.run_id, self._deps.clock.now())
                        await uow.commit()
                except Exception:
                    logger.warning("heartbeat for run %s failed", ctx.run_id, exc_info=True)

        task = asyncio.create_task(beat(), name=f"heartbeat-{ctx.run_id}")
        try:
            yield
        finally:
            task.cancel()
            # ``wait`` does not re-raise the task's cancellation into this task, but a
            # cancellation of this task still propagates.
            await asyncio.wait([task])


class RunSweeper:
    """Re-enqueues runs left ``queued``/``running`` by a crashed worker or a restart."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def sweep(self, stale_before: datetime | None = None) -> int:
        """Enqueue every stale run again; returns how many were enqueued.

        Enqueueing a run that is in fact still live is harmless: ``claim`` refuses it.

        Args:
            stale_before: runs inactive since before this instant are orphans. Defaults to
                now minus ``run_heartbeat_timeout_s``. A later cutoff is the caller's
                statement that no worker owns those runs (an in-process queue at start-up
                passes "now": the previous process is gone). Such runs are also released,
                their heartbeat backdated past the timeout, so that ``claim`` takes them at
                once instead of after the timeout.
        """
        deps = self._deps
        now = deps.clock.now()
        timeout_cutoff = now - timedelta(seconds=deps.config.run_heartbeat_timeout_s)
        cutoff = timeout_cutoff if stale_before is None else stale_before
        async with deps.uow() as uow:
            stale = await uow.runs.stale(cutoff)
            released = [
                run
                for run in stale
                if run.status == RunStatus.RUNNING
                and (run.heartbeat_at or run.updated_at) >= timeout_cutoff
            ]
            for run in released:
                await uow.runs.heartbeat(run.id, timeout_cutoff - timedelta(seconds=1))
            if released:
                await uow.commit()
        count = 0
        for run in stale:
            try:
                await deps.queue.enqueue(Job(PROCESS_RUN_JOB, {"run_id": run.id}))
            except Exception:
                logger.exception("could not re-enqueue processing run %s", run.id)
                continue
            count += 1
        return count

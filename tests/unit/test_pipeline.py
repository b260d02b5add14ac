"""The processing pipeline over the in-memory fakes and the real offline adapters.

The offline AI provider and image editor are deterministic, so they are used as they are;
thin scripted wrappers inject failures and crashes at chosen calls.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from PIL import Image, ImageDraw

from reseller_adapters.ai import OfflineAIProvider
from reseller_adapters.images import OfflineImageEditor
from reseller_adapters.marketplaces import builtin_marketplaces
from reseller_core.domain.artifacts import ArtifactStatus, MarketplaceListing
from reseller_core.domain.images import ImageKind, ImageStatus, ProductImage
from reseller_core.domain.products import Product, ProductStatus
from reseller_core.domain.runs import ProcessingRun, RunStatus
from reseller_core.domain.users import User
from reseller_core.errors import Conflict
from reseller_core.ports import (
    AIProviderError,
    DescriptionResult,
    EditedImage,
    ImageInput,
    ListingRequest,
    ListingResult,
    PriceEvidence,
    PriceResult,
    ProductFacts,
    ProviderCall,
    Recognition,
    Reconciliation,
    SearchMatch,
    SearchProvider,
    StorageError,
    UnitOfWork,
    UsageEvent,
)
from reseller_core.services.config import CoreConfig
from reseller_core.services.deps import Deps
from reseller_core.services.processing import PROCESS_RUN_JOB, PipelineService, RunSweeper
from reseller_core.testing import (
    FixedClock,
    MemoryMailer,
    MemoryObjectStorage,
    PlainPasswordHasher,
    RecordingRateLimiter,
    RecordingTaskQueue,
    SequentialIds,
)
from reseller_core.testing.memory_uow import MemoryDatabase, memory_uow_factory


def product_photo(
    fmt: str = "JPEG",
    item: tuple[int, int, int] = (200, 30, 40),
    background: tuple[int, int, int] = (245, 245, 240),
) -> bytes:
    """A plain backdrop with a coloured ellipse in the middle, like a seller's photo."""
    image = Image.new("RGB", (320, 240), background)
    ImageDraw.Draw(image).ellipse((80, 60, 240, 180), fill=item)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


Hook = Callable[..., Awaitable[None]]


class ScriptedAI:
    """The offline provider with a hook before each call (to fail, crash or observe)."""

    def __init__(self) -> None:
        self._inner = OfflineAIProvider()
        self.name = self._inner.name
        self.model = self._inner.model
        self.offline = self._inner.offline
        self.hooks: dict[str, Hook] = {}
        self.calls: list[str] = []

    async def _before(self, operation: str, **context: Any) -> None:
        self.calls.append(operation)
        hook = self.hooks.get(operation)
        if hook is not None:
            await hook(**context)

    async def recognize(self, images: Sequence[ImageInput], facts: ProductFacts) -> Recognition:
        await self._before("recognize", images=images)
        return await self._inner.recognize(images, facts)

    async def describe(self, facts: ProductFacts, recognition: Recognition) -> DescriptionResult:
        await self._before("describe")
        return await self._inner.describe(facts, recognition)

    async def reconcile(
        self, recognition: Recognition, matches: Sequence[SearchMatch]
    ) -> Reconciliation:
        await self._before("reconcile", matches=matches)
        return await self._inner.reconcile(recognition, matches)

    async def research_price(
        self,
        facts: ProductFacts,
        recognition: Recognition,
        evidence: PriceEvidence | None = None,
    ) -> PriceResult:
        await self._before("research_price", evidence=evidence)
        return await self._inner.research_price(facts, recognition, evidence)

    async def write_listing(self, request: ListingRequest) -> ListingResult:
        await self._before("write_listing", request=request)
        return await self._inner.write_listing(request)


class ScriptedEditor:
    """The offline image editor with a hook before each call."""

    name = "offline"

    def __init__(self) -> None:
        self._inner = OfflineImageEditor()
        self.hook: Hook | None = None
        self.calls = 0

    async def remove_background(self, data: bytes, content_type: str) -> EditedImage:
        self.calls += 1
        if self.hook is not None:
            await self.hook(call=self.calls)
        return await self._inner.remove_background(data, content_type)


@dataclass
class Env:
    db: MemoryDatabase = field(default_factory=MemoryDatabase)
    clock: FixedClock = field(default_factory=FixedClock)
    ids: SequentialIds = field(default_factory=SequentialIds)
    storage: MemoryObjectStorage = field(default_factory=MemoryObjectStorage)
    queue: RecordingTaskQueue = field(default_factory=RecordingTaskQueue)
    ai: ScriptedAI = field(default_factory=ScriptedAI)
    editor: ScriptedEditor = field(default_factory=ScriptedEditor)
    config: CoreConfig = field(default_factory=CoreConfig)
    uow_factory: Callable[[], UnitOfWork] | None = None
    search: SearchProvider | None = None

    @property
    def deps(self) -> Deps:
        return Deps(
            uow=self.uow_factory or memory_uow_factory(self.db),
            storage=self.storage,
            queue=self.queue,
            ai=self.ai,
            image_editor=self.editor,
            rate_limiter=RecordingRateLimiter(self.clock),
            mailer=MemoryMailer(),
            hasher=PlainPasswordHasher(),
            clock=self.clock,
            ids=self.ids,
            marketplaces=builtin_marketplaces(self.config.supported_marketplaces),
            config=self.config,
        )

    @property
    def pipeline(self) -> PipelineService:
        deps = self.deps
        return PipelineService(
            uow=deps.uow,
            storage=deps.storage,
            ai=deps.ai,
            image_editor=deps.image_editor,
            marketplaces=deps.marketplaces,
            clock=deps.clock,
            ids=deps.ids,
            config=deps.config,
            search=self.search,
        )

    @property
    def sweeper(self) -> RunSweeper:
        return RunSweeper(
            uow=self.uow_factory or memory_uow_factory(self.db),
            queue=self.queue,
            clock=self.clock,
            config=self.config,
        )

    async def seed(
        self,
        *,
        photos: Sequence[bytes] = (product_photo(),),
        marketplaces: tuple[str, ...] = ("ebay", "depop"),
        listings: Sequence[MarketplaceListing] = (),
        provider_calls: int = 0,
        **fields: Any,
    ) -> str:
        """A user, a ``processing`` product with uploaded originals and a queued run."""
        now = self.clock.now()
        user_id, product_id, run_id = self.ids.new_id(), self.ids.new_id(), self.ids.new_id()
        images = []
        for position, data in enumerate(photos, start=1):
            key = f"users/{user_id}/products/{product_id}/originals/{position}.jpg"
            self.storage.put_object_directly(key, data, "image/jpeg")
            images.append(
                ProductImage(
                    id=self.ids.new_id(),
                    product_id=product_id,
                    kind=ImageKind.ORIGINAL,
                    position=position,
                    storage_key=key,
                    content_type="image/jpeg",
                    byte_size=len(data),
                    checksum=f"sum-{position}",
                    processing_status=ImageStatus.UPLOADED,
                    original_filename=f"photo-{position}.jpg",
                    created_at=now,
                    updated_at=now,
                )
            )
        async with self.db.unit_of_work() as uow:
            await uow.users.add(
                User(
                    id=user_id,
                    email=f"{user_id.lower()}@example.com",
                    password_hash="x",
                    confirmed_at=now,
                    selected_marketplaces=marketplaces,
                    created_at=now,
                    updated_at=now,
                )
            )
            await uow.products.add(
                Product(
                    id=product_id,
                    user_id=user_id,
                    status=ProductStatus.PROCESSING,
                    created_at=now,
                    updated_at=now,
                    **fields,
                )
            )
            await uow.images.add_many(images)
            if listings:
                await uow.products.save_listings(product_id, listings)
            await uow.runs.add(
                ProcessingRun(
                    id=run_id,
                    product_id=product_id,
                    user_id=user_id,
                    status=RunStatus.QUEUED,
                    step="queued",
                    marketplaces=marketplaces,
                    created_at=now,
                    updated_at=now,
                )
            )
            for _ in range(provider_calls):
                await uow.usage.record_call(
                    ProviderCall(
                        id=self.ids.new_id(),
                        user_id=user_id,
                        product_id=product_id,
                        provider="gemini",
                        role="llm",
                        operation="recognition",
                        status="success",
                        cost_usd=Decimal(0),
                        duration_ms=1,
                        error_code=None,
                        created_at=now,
                    )
                )
            await uow.commit()
        return run_id

    # --- reading state back

    def run(self, run_id: str) -> ProcessingRun:
        return self.db.snapshot().runs[run_id]

    def product(self, run_id: str) -> Product:
        return self.db.snapshot().products[self.run(run_id).product_id].product

    def row(self, run_id: str) -> Any:
        return self.db.snapshot().products[self.run(run_id).product_id]

    def images(self, run_id: str) -> list[ProductImage]:
        product_id = self.run(run_id).product_id
        images = [i for i in self.db.snapshot().images.values() if i.product_id == product_id]
        return sorted(images, key=lambda i: (i.kind.value, i.position))

    def usage(self, run_id: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for event in self.db.snapshot().usage_events.values():
            if event.run_id == run_id:
                counts[event.bucket] = counts.get(event.bucket, 0) + event.quantity
        return counts


@pytest.fixture
def fx_env() -> Env:
    return Env()


def _statuses(images: Sequence[ProductImage], kind: ImageKind) -> list[str]:
    return [i.processing_status.value for i in images if i.kind == kind]


# --- the happy path -----------------------------------------------------------------------


async def test_a_run_completes_every_stage(fx_env: Env) -> None:
    run_id = await fx_env.seed(
        photos=[product_photo(), product_photo(fmt="PNG")],
        brand="Nike",
        category="Sneakers",
        condition="Used - good",
    )

    await fx_env.pipeline.process(run_id)

    run = fx_env.run(run_id)
    assert run.status == RunStatus.COMPLETED
    assert run.step == "variants_generated"
    assert run.error_code is None
    assert run.finished_at == fx_env.clock.now()
    payload = run.payload
    assert payload["offline"] is True
    assert payload["provider"] == "offline"
    assert payload["pipeline_status"] == "recognized"
    assert payload["selected_image_count"] == 2
    assert payload["review_required"] is False
    assert payload["final"]["brand"] == "Nike"
    assert payload["final"]["observations"]["offline"] is True
    assert payload["fallback"] == {"attempted": False}
    assert payload["description_draft"]["status"] == "generated"
    assert payload["price_research"]["status"] == "review"
    assert payload["price_research"]["suggested_target_price"] == "45.00"
    assert [e["marketplace"] for e in payload["marketplace_listings"]] == ["ebay", "depop"]
    assert payload["variant_generation"]["status"] == "generated"
    assert payload["variant_generation"]["count"] == 2
    assert payload["lifestyle_generation"]["status"] == "skipped"
    assert payload["lifestyle_generation"]["reason"] == "disabled"
    assert payload["product"]["status"] == "ready"
    msgspec.json.encode(payload)  # stored as JSON by the real adapters

    product = fx_env.product(run_id)
    assert product.status == ProductStatus.READY
    assert product.title == "Nike Sneakers"
    assert product.color == "red"
    assert product.ai_confidence == pytest.approx(0.8)
    assert product.ai_summary == "Predominantly red in the photos"
    assert product.price is None  # advisory only

    images = fx_env.images(run_id)
    assert _statuses(images, ImageKind.ORIGINAL) == ["ready", "ready"]
    variants = [i for i in images if i.kind == ImageKind.BACKGROUND_REMOVED]
    assert [(v.position, v.processing_status, v.background_style) for v in variants] == [
        (1, ImageStatus.READY, "transparent"),
        (2, ImageStatus.READY, "transparent"),
    ]
    assert variants[0].content_type == "image/png"
    assert variants[0].checksum == "sum-1"
    assert variants[0].original_filename == "photo-1.jpg"
    assert fx_env.storage.objects[variants[0].storage_key].data.startswith(b"\x89PNG")
    assert variants[0].storage_key.endswith("-background_removed.png")

    row = fx_env.row(run_id)
    assert row.description_draft.provider == "offline"
    assert row.price_research.status == ArtifactStatus.REVIEW
    listings = {listing.marketplace: listing for listing in row.listings}
    assert set(listings) == {"ebay", "depop"}
    assert listings["ebay"].generated_price_suggestion == Decimal("45.00")
    assert listings["ebay"].generated_tags
    assert all("#" not in tag for tag in listings["depop"].generated_tags)
    assert listings["depop"].generated_description.count("#") >= 1
    assert fx_env.usage(run_id) == {"ai_drafts": 1, "price_research": 1, "background_removals": 2}


async def test_step_advances_as_each_stage_commits(fx_env: Env) -> None:
    run_id = await fx_env.seed(marketplaces=("ebay",))
    seen: dict[str, str] = {}

    def observer(name: str) -> Hook:
        async def hook(**_: Any) -> None:
            seen.setdefault(name, fx_env.run(run_id).step)

        return hook

    for operation in ("recognize", "describe", "research_price", "write_listing"):
        fx_env.ai.hooks[operation] = observer(operation)

    async def editor_hook(**_: Any) -> None:
        seen.setdefault("remove_background", fx_env.run(run_id).step)

    fx_env.editor.hook = editor_hook

    await fx_env.pipeline.process(run_id)

    assert seen == {
        "recognize": "prepare_images",
        "describe": "recognition_completed",
        "research_price": "description_generated",
        "write_listing": "price_researched",
        "remove_background": "marketplace_listings_generated",
    }


async def test_images_are_processing_while_the_run_works(fx_env: Env) -> None:
    run_id = await fx_env.seed()
    seen: list[list[str]] = []

    async def hook(**_: Any) -> None:
        seen.append(_statuses(fx_env.images(run_id), ImageKind.ORIGINAL))

    fx_env.ai.hooks["recognize"] = hook

    await fx_env.pipeline.process(run_id)

    assert seen == [["processing"]]
    assert fx_env.run(run_id).started_at == fx_env.clock.now()


async def test_seller_values_always_win(fx_env: Env) -> None:
    run_id = await fx_env.seed(title="My old boots", brand="Acme", color="burgundy")

    await fx_env.pipeline.process(run_id)

    product = fx_env.product(run_id)
    assert (product.title, product.brand, product.color) == ("My old boots", "Acme", "burgundy")
    assert product.category is None  # unknown stays unknown
    assert product.material is None
    assert product.status == ProductStatus.REVIEW  # category unknown → needs review
    assert fx_env.run(run_id).payload["review_required"] is True


async def test_existing_artifacts_keep_their_ids_and_external_urls(fx_env: Env) -> None:
    now = fx_env.clock.now()
    listed = MarketplaceListing(
        id=fx_env.ids.new_id(),
        marketplace="ebay",
        status=ArtifactStatus.MANUAL,
        generated_title="Old title",
        external_url="https://www.ebay.com/itm/1",
        external_url_added_at=now,
        created_at=now,
        updated_at=now,
    )
    stale = msgspec.structs.replace(listed, id=fx_env.ids.new_id(), marketplace="grailed")
    run_id = await fx_env.seed(listings=[listed, stale], brand="Nike", category="Sneakers")
    fx_env.clock.advance(minutes=5)

    await fx_env.pipeline.process(run_id)

    listings = {listing.marketplace: listing for listing in fx_env.row(run_id).listings}
    assert set(listings) == {"ebay", "depop", "grailed"}  # unselected ones are kept
    ebay = listings["ebay"]
    assert ebay.id == listed.id
    assert ebay.external_url == "https://www.ebay.com/itm/1"
    assert ebay.external_url_added_at == now
    assert ebay.generated_title != "Old title"
    assert ebay.last_generated_at == fx_env.clock.now()
    assert listings["grailed"] == stale


# --- idempotency and crash recovery --------------------------------------------------------


async def test_processing_twice_changes_nothing(fx_env: Env) -> None:
    run_id = await fx_env.seed()
    await fx_env.pipeline.process(run_id)
    before = fx_env.db.snapshot()

    await fx_env.pipeline.process(run_id)

    after = fx_env.db.snapshot()
    assert after.runs == before.runs
    assert after.images == before.images
    assert after.usage_events == before.usage_events


def _end_state(env: Env, run_id: str) -> dict[str, Any]:
    """What the seller sees after a run, without ids and times."""
    row = env.row(run_id)
    product = row.product
    run = env.run(run_id)
    return {
        "run": (run.status, run.step, run.error_code),
        "product": (product.status, product.title, product.color, product.ai_summary),
        "draft": row.description_draft.suggested_title,
        "price": row.price_research.suggested_target_price,
        "listings": sorted(
            (listing.marketplace, listing.status, listing.generated_title, listing.generated_tags)
            for listing in row.listings
        ),
        "images": [(i.kind, i.position, i.processing_status) for i in env.images(run_id)],
        "usage": env.usage(run_id),
    }


@pytest.mark.parametrize(
    "crash_at",
    ["describe", "research_price", "write_listing:2", "remove_background:2"],
)
async def test_a_run_killed_mid_way_resumes_to_the_same_end_state(crash_at: str) -> None:
    reference = Env()
    reference_run = await reference.seed(photos=[product_photo(), product_photo()], brand="Nike")
    await reference.pipeline.process(reference_run)

    env = Env()
    run_id = await env.seed(photos=[product_photo(), product_photo()], brand="Nike")
    operation, _, nth = crash_at.partition(":")
    calls = {"n": 0}

    async def crash(**_: Any) -> None:
        calls["n"] += 1
        if calls["n"] == int(nth or 1):
            raise asyncio.CancelledError  # the worker is killed here

    if operation == "remove_background":
        env.editor.hook = crash
    else:
        env.ai.hooks[operation] = crash

    with pytest.raises(asyncio.CancelledError):
        await env.pipeline.process(run_id)
    assert env.run(run_id).status == RunStatus.RUNNING
    assert env.product(run_id).status == ProductStatus.PROCESSING

    # A live heartbeat keeps other workers (and the sweeper) away...
    await env.pipeline.process(run_id)
    assert env.run(run_id).status == RunStatus.RUNNING
    assert await env.sweeper.sweep() == 0
    # ...until it is older than the timeout.
    env.clock.advance(seconds=env.config.run_heartbeat_timeout_s + 1)
    assert await env.sweeper.sweep() == 1
    assert env.queue.jobs[-1].name == PROCESS_RUN_JOB
    assert env.queue.jobs[-1].args == {"run_id": run_id}
    env.queue.register(PROCESS_RUN_JOB, lambda args: env.pipeline.process(args["run_id"]))
    await env.queue.run_all(raise_errors=True)

    assert env.run(run_id).attempts == 2
    assert _end_state(env, run_id) == _end_state(reference, reference_run)
    variants = [i for i in env.images(run_id) if i.kind == ImageKind.BACKGROUND_REMOVED]
    assert len(variants) == 2


async def test_a_start_up_sweep_takes_over_orphans_at_once(fx_env: Env) -> None:
    """An in-process queue restarting knows no other worker exists: no waiting for timeouts."""
    run_id = await fx_env.seed()

    async def killed(**_: Any) -> None:
        raise asyncio.CancelledError

    fx_env.ai.hooks["describe"] = killed
    with pytest.raises(asyncio.CancelledError):
        await fx_env.pipeline.process(run_id)
    del fx_env.ai.hooks["describe"]
    fx_env.clock.advance(seconds=2)  # the restart; far less than the heartbeat timeout

    assert await fx_env.sweeper.sweep() == 0
    assert await fx_env.sweeper.sweep(stale_before=fx_env.clock.now()) == 1
    await fx_env.pipeline.process(fx_env.queue.jobs[-1].args["run_id"])

    run = fx_env.run(run_id)
    assert (run.status, run.attempts) == (RunStatus.COMPLETED, 2)
    assert fx_env.usage(run_id)["ai_drafts"] == 1


async def test_a_worker_that_lost_its_claim_stops_writing(fx_env: Env) -> None:
    run_id = await fx_env.seed()

    async def taken_over(**_: Any) -> None:
        # The run looked dead, and another worker claimed it while this one was describing.
        later = fx_env.clock.now() + timedelta(minutes=5)
        async with fx_env.db.unit_of_work() as uow:
            await uow.runs.claim(run_id, later, stale_before=later)
            await uow.commit()

    fx_env.ai.hooks["describe"] = taken_over

    await fx_env.pipeline.process(run_id)

    run = fx_env.run(run_id)
    assert (run.status, run.step, run.attempts) == (RunStatus.RUNNING, "recognition_completed", 2)
    assert fx_env.row(run_id).description_draft is None
    assert fx_env.usage(run_id) == {}


async def test_a_concurrent_seller_edit_is_merged_again(fx_env: Env) -> None:
    run_id = await fx_env.seed(brand="Nike")
    conflicts = {"left": 1}

    def factory() -> UnitOfWork:
        uow = fx_env.db.unit_of_work()
        update = uow.products.update

        async def conflicting(product: Product, *, expected_version: int) -> Product:
            if conflicts["left"]:
                conflicts["left"] -= 1
                raise Conflict
            return await update(product, expected_version=expected_version)

        uow.products.update = conflicting  # type: ignore[method-assign]
        return uow

    fx_env.uow_factory = factory

    await fx_env.pipeline.process(run_id)

    assert conflicts["left"] == 0
    assert fx_env.run(run_id).status == RunStatus.COMPLETED
    assert fx_env.product(run_id).color == "red"


# --- undecodable uploads (Q-M4) ------------------------------------------------------------


async def test_a_non_image_upload_fails_that_image_only(fx_env: Env) -> None:
    run_id = await fx_env.seed(
        photos=[b"this is a text file pretending to be a JPEG" * 20, product_photo()]
    )

    await fx_env.pipeline.process(run_id)

    run = fx_env.run(run_id)
    assert run.status == RunStatus.COMPLETED
    assert run.step == "variants_generated"
    assert run.payload["selected_image_count"] == 1
    [rejected] = run.payload["rejected_images"]
    originals = [i for i in fx_env.images(run_id) if i.kind == ImageKind.ORIGINAL]
    assert rejected["image_id"] == originals[0].id
    assert [i.processing_status for i in originals] == [ImageStatus.FAILED, ImageStatus.READY]
    variants = [i for i in fx_env.images(run_id) if i.kind == ImageKind.BACKGROUND_REMOVED]
    assert [v.position for v in variants] == [2]
    assert fx_env.product(run_id).status == ProductStatus.REVIEW


async def test_only_non_image_uploads_fail_the_run_cleanly(fx_env: Env) -> None:
    run_id = await fx_env.seed(photos=[b"junk" * 100, b"\x89PNG\r\n\x1a\nbroken"])

    await fx_env.pipeline.process(run_id)

    run = fx_env.run(run_id)
    assert run.status == RunStatus.FAILED
    assert run.error_code == "no_recognition_images"
    assert run.error_message == "No usable image was available for recognition."
    assert run.step == "prepare_images"
    assert run.payload["retryable"] is False
    assert len(run.payload["rejected_images"]) == 2
    assert _statuses(fx_env.images(run_id), ImageKind.ORIGINAL) == ["failed", "failed"]
    assert fx_env.product(run_id).status == ProductStatus.REVIEW
    assert fx_env.usage(run_id) == {}


# --- failures (spec 30 §5.4) ---------------------------------------------------------------


async def test_unreadable_storage_is_a_retryable_media_failure(fx_env: Env) -> None:
    run_id = await fx_env.seed()
    fx_env.storage.fail("get", StorageError("connection reset"))

    await fx_env.pipeline.process(run_id)

    run = fx_env.run(run_id)
    assert (run.status, run.error_code) == (RunStatus.FAILED, "media_unavailable")
    assert run.payload["retryable"] is True
    assert run.payload["provider"] == "storage"
    assert _statuses(fx_env.images(run_id), ImageKind.ORIGINAL) == ["uploaded"]
    assert fx_env.product(run_id).status == ProductStatus.REVIEW


async def test_a_classified_provider_error_fails_the_run_with_its_code(fx_env: Env) -> None:
    run_id = await fx_env.seed()

    async def quota(**_: Any) -> None:
        raise AIProviderError(
            "ai_quota_exhausted", "quota", retryable=True, details={"status": "RESOURCE_EXHAUSTED"}
        )

    fx_env.ai.hooks["describe"] = quota

    await fx_env.pipeline.process(run_id)

    run = fx_env.run(run_id)
    assert (run.status, run.step, run.error_code) == (
        RunStatus.FAILED,
        "recognition_completed",
        "ai_quota_exhausted",
    )
    assert run.payload["retryable"] is True
    assert run.payload["status"] == "RESOURCE_EXHAUSTED"
    assert _statuses(fx_env.images(run_id), ImageKind.ORIGINAL) == ["uploaded"]
    assert fx_env.product(run_id).status == ProductStatus.REVIEW


async def test_an_unexpected_error_is_a_processor_error_and_never_escapes(fx_env: Env) -> None:
    run_id = await fx_env.seed()

    async def boom(**_: Any) -> None:
        raise RuntimeError("bug in a provider")

    fx_env.ai.hooks["research_price"] = boom

    await fx_env.pipeline.process(run_id)  # does not raise

    run = fx_env.run(run_id)
    assert (run.status, run.error_code) == (RunStatus.FAILED, "processor_error")
    assert run.payload["retryable"] is False
    assert run.payload["reason"] == "RuntimeError"
    assert _statuses(fx_env.images(run_id), ImageKind.ORIGINAL) == ["failed"]
    assert fx_env.product(run_id).status == ProductStatus.REVIEW


async def test_a_daily_ceiling_fails_the_run_before_any_work(fx_env: Env) -> None:
    run_id = await fx_env.seed(provider_calls=200)

    await fx_env.pipeline.process(run_id)

    run = fx_env.run(run_id)
    assert (run.status, run.error_code) == (RunStatus.FAILED, "limit_exceeded")
    assert run.payload["retryable"] is True
    assert run.payload["operation"] == "daily_gemini_calls"
    assert fx_env.ai.calls == []
    assert _statuses(fx_env.images(run_id), ImageKind.ORIGINAL) == ["uploaded"]
    assert fx_env.product(run_id).status == ProductStatus.REVIEW


async def test_a_deleted_product_ends_the_run_quietly(fx_env: Env) -> None:
    run_id = await fx_env.seed()
    product_id = fx_env.run(run_id).product_id
    # The repositories have no delete yet; reach into the fake's committed tables.
    fx_env.db._tables.products.pop(product_id)

    await fx_env.pipeline.process(run_id)

    run = fx_env.run(run_id)
    assert run.status == RunStatus.FAILED
    assert run.payload["reason"] == "product_deleted"
    assert fx_env.ai.calls == []


# --- degradations that still complete the run ---------------------------------------------


async def test_a_failed_marketplace_marks_only_that_listing(fx_env: Env) -> None:
    run_id = await fx_env.seed(marketplaces=("ebay", "depop", "etsy"))

    async def depop_fails(request: ListingRequest, **_: Any) -> None:
        if request.marketplace == "depop":
            raise AIProviderError("ai_rate_limited", "slow down", retryable=True)

    fx_env.ai.hooks["write_listing"] = depop_fails

    await fx_env.pipeline.process(run_id)

    run = fx_env.run(run_id)
    assert run.status == RunStatus.COMPLETED
    entries = {e["marketplace"]: e for e in run.payload["marketplace_listings"]}
    assert entries["depop"]["status"] == "failed"
    assert entries["depop"]["error"] == "ai_rate_limited"
    assert entries["ebay"]["status"] in ("generated", "review")
    listings = {listing.marketplace: listing for listing in fx_env.row(run_id).listings}
    assert listings["depop"].status == ArtifactStatus.FAILED
    assert listings["depop"].compliance_warnings
    assert listings["etsy"].status == ArtifactStatus.REVIEW  # eligibility warning
    assert any("handmade" in w for w in listings["etsy"].compliance_warnings)


async def test_a_marketplace_without_an_adapter_fails_its_listing(fx_env: Env) -> None:
    run_id = await fx_env.seed(marketplaces=("ebay", "someplace_new"))

    await fx_env.pipeline.process(run_id)

    entries = {e["marketplace"]: e for e in fx_env.run(run_id).payload["marketplace_listings"]}
    assert entries["someplace_new"]["status"] == "failed"
    assert fx_env.run(run_id).status == RunStatus.COMPLETED


async def test_a_search_failure_degrades_price_research(fx_env: Env) -> None:
    run_id = await fx_env.seed()

    async def search_down(**_: Any) -> None:
        raise AIProviderError("shopping_search_failed", "search is down", retryable=False)

    fx_env.ai.hooks["research_price"] = search_down

    await fx_env.pipeline.process(run_id)

    run = fx_env.run(run_id)
    assert run.status == RunStatus.COMPLETED
    assert run.payload["price_research"]["status"] == "failed"
    assert run.payload["price_research"]["search_error"] == "search is down"
    assert fx_env.row(run_id).price_research is None
    assert "price_research" not in fx_env.usage(run_id)
    listings = fx_env.row(run_id).listings
    assert all(listing.generated_price_suggestion == Decimal("0.00") for listing in listings)


async def test_a_background_removal_failure_stops_variants_only(fx_env: Env) -> None:
    run_id = await fx_env.seed(photos=[product_photo(), product_photo(), product_photo()])

    async def second_fails(call: int) -> None:
        if call == 2:
            raise RuntimeError("editor crashed")

    fx_env.editor.hook = second_fails

    await fx_env.pipeline.process(run_id)

    run = fx_env.run(run_id)
    assert (run.status, run.step) == (RunStatus.COMPLETED, "variants_failed")
    variant_generation = run.payload["variant_generation"]
    assert variant_generation["status"] == "failed"
    assert variant_generation["error"] == "background_removal_failed"
    assert variant_generation["count"] == 1
    assert fx_env.editor.calls == 2  # stopped at the first failure
    assert fx_env.usage(run_id)["background_removals"] == 1
    assert _statuses(fx_env.images(run_id), ImageKind.ORIGINAL) == ["ready"] * 3
    assert fx_env.product(run_id).status in (ProductStatus.READY, ProductStatus.REVIEW)


async def test_usage_beyond_the_plan_consumes_addon_credits(fx_env: Env) -> None:
    run_id = await fx_env.seed()
    user_id = fx_env.run(run_id).user_id
    user = fx_env.db.snapshot().users[user_id]
    # A free plan (no trial) with its 5 monthly drafts used up and 2 add-on credits.
    async with fx_env.db.unit_of_work() as uow:
        await uow.users.update(
            msgspec.structs.replace(
                user, plan_status="expired", trial_ends_at=None, addon_credits={"ai_drafts": 2}
            )
        )
        await uow.commit()
    async with fx_env.db.unit_of_work() as uow:
        for _ in range(5):
            await uow.usage.record(
                UsageEvent(
                    id=fx_env.ids.new_id(),
                    user_id=user_id,
                    product_id=None,
                    run_id=None,
                    bucket="ai_drafts",
                    quantity=1,
                    created_at=fx_env.clock.now(),
                )
            )
        await uow.commit()

    await fx_env.pipeline.process(run_id)

    assert fx_env.db.snapshot().users[user_id].addon_credits["ai_drafts"] == 1


# --- the sweeper ---------------------------------------------------------------------------


async def test_the_sweeper_enqueues_only_stale_runs(fx_env: Env) -> None:
    stale_run = await fx_env.seed()
    fx_env.clock.advance(seconds=fx_env.config.run_heartbeat_timeout_s + 1)
    fresh_run = await fx_env.seed()
    done_run = await fx_env.seed()
    await fx_env.pipeline.process(done_run)

    count = await fx_env.sweeper.sweep()

    assert count == 1
    assert [job.args["run_id"] for job in fx_env.queue.jobs] == [stale_run]
    assert fresh_run not in {job.args["run_id"] for job in fx_env.queue.jobs}


# --- the run's log lines ------------------------------------------------------------------


def _run_lines(caplog: pytest.LogCaptureFixture, run_id: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if getattr(r, "run_id", None) == run_id]


async def test_a_run_logs_one_start_and_one_finish_line(
    fx_env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    run_id = await fx_env.seed()
    with caplog.at_level(logging.INFO, logger="reseller_core.services.processing"):
        await fx_env.pipeline.process(run_id)
    started, finished = _run_lines(caplog, run_id)
    product_id = fx_env.run(run_id).product_id
    for record in (started, finished):
        assert (record.product_id, record.attempt) == (product_id, 1)  # type: ignore[attr-defined]
    assert started.getMessage().startswith(f"processing run {run_id} started")
    assert finished.outcome == "completed"  # type: ignore[attr-defined]
    assert isinstance(finished.duration_ms, int) and finished.duration_ms >= 0  # type: ignore[attr-defined]


async def test_a_failed_run_logs_its_code_as_the_outcome(
    fx_env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    run_id = await fx_env.seed()

    async def quota(**_: Any) -> None:
        raise AIProviderError("ai_quota_exhausted", "quota", retryable=True)

    fx_env.ai.hooks["describe"] = quota
    with caplog.at_level(logging.INFO, logger="reseller_core.services.processing"):
        await fx_env.pipeline.process(run_id)
    _, finished = _run_lines(caplog, run_id)
    assert finished.outcome == "failed (ai_quota_exhausted)"  # type: ignore[attr-defined]

"""The product lifecycle through the use cases: every manual and automatic transition.

``tests/unit/test_state_machine.py`` checks the pure transition rules. This machine drives
one product through the embedding API instead (create with uploads, upload, finalize, the
worker's runs, reprocess, status edits, mark sold, archive, unarchive, lifestyle and video runs,
image and video deletion) on the in-memory unit of work, with jobs run only when the ``worker`` rule
says so, so requests land while runs are queued. After every step the invariants check
that the product's status, its images and its runs agree, and every refusal is the
contract's ``invalid_product_state`` exactly when spec 20 §4.4 forbids the action in the
product's status.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from reseller_adapters.ai.offline import OfflineAIProvider
from reseller_adapters.images.offline import OfflineImageEditor
from reseller_adapters.marketplaces.builtin import builtin_marketplaces
from reseller_core.commands import PrepareUploads, SellerFields, UploadIntent
from reseller_core.domain import state_machine as sm
from reseller_core.domain.images import ImageKind, ImageStatus
from reseller_core.domain.products import ProductStatus
from reseller_core.domain.runs import RunStatus
from reseller_core.domain.state_machine import Action
from reseller_core.domain.users import User
from reseller_core.errors import DomainError, InvalidProductState
from reseller_core.services.config import CoreConfig
from reseller_core.services.processing import job_handlers
from reseller_core.services.processing.lifestyle_runs import lifestyle_job_handlers
from reseller_core.services.processing.video_runs import video_job_handlers
from reseller_core.services.results import UploadInstruction
from reseller_core.services.storage_cleanup import storage_cleanup_job_handlers
from reseller_core.testing import (
    FixedClock,
    MemoryDatabase,
    MemoryMailer,
    MemoryObjectStorage,
    PlainPasswordHasher,
    RecordingRateLimiter,
    RecordingTaskQueue,
    RecordingVideoRenderer,
    SequentialIds,
    memory_uow_factory,
)
from reseller_entrypoints.bootstrap import build_container
from reseller_entrypoints.embedded import ResellerCore
from reseller_entrypoints.settings import Settings
from tests.images import product_photo
from tests.integration.conftest import MemoryDatabaseHandle

S = ProductStatus
T = TypeVar("T")
ACTIVE = (RunStatus.QUEUED, RunStatus.RUNNING)
PHOTO = product_photo("JPEG")
EMAIL = "machine@example.com"


class ProductLifecycleThroughServices(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.db = MemoryDatabase()
        self.queue = RecordingTaskQueue()
        self.storage = MemoryObjectStorage()
        self.core = self.run(self._open())
        self.user: User = self.run(self._seller())
        self.product_id = ""
        self.instructions: list[UploadInstruction] = []
        """Upload instructions of images still ``pending_upload``."""
        self.uploaded: set[str] = set()

    @initialize(photos=st.integers(0, 3))
    def create(self, photos: int) -> None:
        """A1/A2: a draft, or ``uploading`` when the create carries upload intents."""
        created = self.run(
            self.core.create_product(
                self.user, SellerFields(title="Denim jacket"), self._intents(photos)
            )
        )
        self.product_id = created.view.product.id
        self.instructions = list(created.upload_instructions)
        assert created.view.product.status == (S.UPLOADING if photos else S.DRAFT)

    @staticmethod
    def _intents(count: int) -> tuple[UploadIntent, ...]:
        return tuple(
            UploadIntent(filename=f"p{n}.jpg", content_type="image/jpeg", byte_size=len(PHOTO))
            for n in range(count)
        )

    def teardown(self) -> None:
        self.run(self.core.close())
        self.loop.close()

    def run(self, awaitable: Awaitable[T]) -> T:
        async def wrapped() -> T:
            return await awaitable

        return self.loop.run_until_complete(wrapped())

    async def _open(self) -> ResellerCore:
        settings = Settings(data_dir="/nonexistent-machine-data", core=CoreConfig())
        container = await build_container(
            settings,
            database=MemoryDatabaseHandle(self.db),
            uow=memory_uow_factory(self.db),
            storage=self.storage,
            queue=self.queue,
            ai=OfflineAIProvider(),
            image_editor=OfflineImageEditor(),
            rate_limiter=RecordingRateLimiter(FixedClock()),
            mailer=MemoryMailer(),
            hasher=PlainPasswordHasher(),
            clock=FixedClock(),
            ids=SequentialIds(),
            marketplaces=builtin_marketplaces(settings.core.supported_marketplaces),
            video_renderer=RecordingVideoRenderer(),
        )
        services = container.services
        for handlers in (
            job_handlers(runs=services.pipeline),
            lifestyle_job_handlers(services.lifestyle_runner),
            video_job_handlers(services.video_runner),
            storage_cleanup_job_handlers(self.storage),
        ):
            for name, handler in handlers.items():
                self.queue.register(name, handler)
        return ResellerCore(container)

    async def _seller(self) -> User:
        await self.core.register(EMAIL, "correct horse battery")
        await self.core.confirm_email(EMAIL)
        return await self.core.set_plan(EMAIL, "pro")

    # -- helpers ---------------------------------------------------------------------------

    def status(self) -> ProductStatus:
        return self.run(self.core.product(self.user, self.product_id)).product.status

    def attempt(self, action: Action | None, call: Callable[[], Awaitable[Any]]) -> Any:
        """Run ``call``; a refusal must be a domain error, and ``invalid_product_state``
        whenever the status forbids ``action`` (other preconditions may refuse too)."""
        before = self.status()
        try:
            result = self.run(call())
        except DomainError as error:
            forbidden = action is not None and not sm.allowed(action, before)
            if forbidden and not isinstance(error, InvalidProductState):
                raise AssertionError(f"{action} in {before} refused with {error!r}") from error
            return error
        if action is not None:
            assert sm.allowed(action, before), f"{action} succeeded in {before}"
        return result

    def videos(self) -> list[Any]:
        return list(self.run(self.core.product(self.user, self.product_id)).videos)

    def images(self) -> list[Any]:
        return [i for i in self.db.snapshot().images.values() if i.product_id == self.product_id]

    # -- automatic transitions and the worker ---------------------------------------------

    @rule(count=st.integers(1, 2))
    def prepare_uploads(self, count: int) -> None:
        """More photos for the product (a create with uploads does the same)."""

        async def prepare() -> Any:
            command = PrepareUploads(product_id=self.product_id, uploads=self._intents(count))
            return await self.core.container.services.products.prepare_uploads(self.user, command)

        result = self.attempt(Action.PREPARE_UPLOADS, prepare)
        if not isinstance(result, DomainError):
            self.instructions.extend(result.upload_instructions)

    @precondition(lambda self: any(i.image_id not in self.uploaded for i in self.instructions))
    @rule(data=st.data())
    def upload(self, data: st.DataObject) -> None:
        waiting = [i for i in self.instructions if i.image_id not in self.uploaded]
        instruction = data.draw(st.sampled_from(waiting))
        self.run(self.core.upload(instruction, PHOTO))
        self.uploaded.add(instruction.image_id)

    @rule(everything=st.booleans())
    def finalize(self, everything: bool) -> None:
        """Finalize what was uploaded (after uploading every pending photo, or not)."""
        if everything:
            for instruction in self.instructions:
                if instruction.image_id not in self.uploaded:
                    self.run(self.core.upload(instruction, PHOTO))
                    self.uploaded.add(instruction.image_id)
        ready = [i.image_id for i in self.instructions if i.image_id in self.uploaded]
        result = self.attempt(
            Action.FINALIZE_UPLOADS,
            lambda: self.core.finalize_uploads(self.user, self.product_id, ready),
        )
        if not isinstance(result, DomainError):
            done = set(ready)
            self.instructions = [i for i in self.instructions if i.image_id not in done]
            pending = [
                i
                for i in self.images()
                if i.kind == ImageKind.ORIGINAL
                and i.processing_status == ImageStatus.PENDING_UPLOAD
            ]
            assert result.view.product.status == (S.UPLOADING if pending else S.PROCESSING)

    @rule()
    def worker(self) -> None:
        """Every queued job runs: runs finish, lifestyle scenes render, objects are deleted."""
        self.run(self.queue.run_all(raise_errors=True))
        tables = self.db.snapshot()
        assert not [r for r in tables.runs.values() if r.status in ACTIVE]
        assert not [r for r in tables.lifestyle_runs.values() if r.status in ACTIVE]
        assert not [r for r in tables.video_runs.values() if r.status in ACTIVE]

    @rule()
    def reprocess(self) -> None:
        self.attempt(Action.REPROCESS, lambda: self.core.reprocess(self.user, self.product_id))

    @rule()
    def generate_lifestyle(self) -> None:
        self.attempt(
            Action.GENERATE_LIFESTYLE,
            lambda: self.core.generate_lifestyle_images(self.user, self.product_id),
        )

    @rule(marketplace=st.sampled_from(["ebay", "depop"]))
    def generate_video(self, marketplace: str) -> None:
        self.attempt(
            Action.GENERATE_VIDEO,
            lambda: self.core.generate_marketplace_video(
                self.user, self.product_id, marketplace, duration_seconds=5
            ),
        )

    @precondition(lambda self: bool(self.videos()))
    @rule(data=st.data())
    def delete_video(self, data: st.DataObject) -> None:
        video = data.draw(st.sampled_from(self.videos()))
        view = self.run(self.core.delete_video(self.user, self.product_id, video.id))
        assert video.id not in {v.id for v in view.videos}
        self.run(self.queue.run_all(raise_errors=True))  # the object deletion
        assert self.run(self.storage.head(video.storage_key)) is None

    # -- manual transitions ----------------------------------------------------------------

    @rule(target_status=st.sampled_from([S.DRAFT, S.REVIEW, S.READY, S.SOLD, S.ARCHIVED]))
    def patch_status(self, target_status: ProductStatus) -> None:
        view = self.attempt(
            Action.SET_STATUS,
            lambda: self.core.update_product(self.user, self.product_id, status=target_status),
        )
        assert not isinstance(view, DomainError), view
        assert view.product.status == target_status

    @rule()
    def mark_sold(self) -> None:
        view = self.attempt(
            Action.MARK_SOLD, lambda: self.core.mark_sold(self.user, self.product_id)
        )
        assert view.product.status == S.SOLD and view.product.sold_at is not None

    @rule()
    def archive(self) -> None:
        before = self.status()
        view = self.attempt(Action.ARCHIVE, lambda: self.core.archive(self.user, self.product_id))
        assert view.product.status == S.ARCHIVED
        if before != S.ARCHIVED:
            assert view.product.status_before_archive == before

    @rule()
    def unarchive(self) -> None:
        before = self.run(self.core.product(self.user, self.product_id)).product
        view = self.attempt(
            Action.UNARCHIVE, lambda: self.core.unarchive(self.user, self.product_id)
        )
        if before.status != S.ARCHIVED:
            assert view.product.status == before.status
        else:
            remembered = before.status_before_archive
            expected = S.REVIEW if remembered in (S.UPLOADING, S.PROCESSING) else remembered
            if remembered is not None:
                assert view.product.status == expected

    @precondition(lambda self: bool(self.images()))
    @rule(data=st.data())
    def delete_image(self, data: st.DataObject) -> None:
        """§4.1: any image; an original takes its variants and generated images with it."""
        image = data.draw(st.sampled_from(sorted(self.images(), key=lambda i: i.id)))
        before = self.images()
        result = self.attempt(
            Action.DELETE_IMAGE,
            lambda: self.core.delete_image(self.user, self.product_id, image.id),
        )
        if isinstance(result, DomainError):
            assert self.images() == before
            return
        remaining = {i.id for i in self.images()}
        assert image.id not in remaining
        if image.kind != ImageKind.ORIGINAL:
            assert remaining == {i.id for i in before} - {image.id}
        self.instructions = [i for i in self.instructions if i.image_id in remaining]
        if not any(i.kind == ImageKind.ORIGINAL for i in self.images()):
            assert result.product.status == S.DRAFT

    # -- invariants ------------------------------------------------------------------------

    @invariant()
    def status_images_and_runs_agree(self) -> None:
        tables = self.db.snapshot()
        product = tables.products[self.product_id].product
        runs = [r for r in tables.runs.values() if r.product_id == self.product_id]
        active = [r for r in runs if r.status in ACTIVE]
        lifestyle_active = [
            r
            for r in tables.lifestyle_runs.values()
            if r.product_id == self.product_id and r.status in ACTIVE
        ]
        images = [i for i in tables.images.values() if i.product_id == self.product_id]
        originals = [i for i in images if i.kind == ImageKind.ORIGINAL]
        assert len(active) <= 1, "at most one active processing run"
        assert len(lifestyle_active) <= 1, "at most one active lifestyle run"
        video_runs = [r for r in tables.video_runs.values() if r.product_id == self.product_id]
        assert len([r for r in video_runs if r.status in ACTIVE]) <= 1, "one active video run"
        row = tables.products[self.product_id]
        marketplaces = [v.marketplace for v in row.videos]
        assert len(marketplaces) == len(set(marketplaces)), "one video per marketplace"
        finished = {r.id for r in video_runs if r.status == RunStatus.COMPLETED}
        assert {v.video_generation_run_id for v in row.videos} <= finished
        units = [e for e in tables.usage_events.values() if e.bucket == "videos"]
        assert len(units) == len(finished), "one videos unit per rendered video"
        if product.status == S.PROCESSING:
            assert active, "processing means a run is queued or running"
            assert any(i.processing_status != ImageStatus.PENDING_UPLOAD for i in originals)
        if product.status == S.UPLOADING:
            assert any(i.processing_status == ImageStatus.PENDING_UPLOAD for i in originals)
        if active:
            latest = max(runs, key=lambda r: (r.created_at, r.id))
            assert latest in active, "the active run is the latest"
        ids = {i.id for i in images}
        for image in images:
            assert set(image.source_image_ids) <= ids, "a variant outlives its source"
        assert (product.sold_at is not None) or product.status != S.SOLD
        assert (product.archived_at is not None) == (product.status == S.ARCHIVED)

    @invariant()
    def the_read_matches_the_tables(self) -> None:
        view = self.run(self.core.product(self.user, self.product_id))
        tables = self.db.snapshot()
        assert view.product.status == tables.products[self.product_id].product.status
        assert {i.id for i in view.images} == {
            i.id for i in tables.images.values() if i.product_id == self.product_id
        }


TestProductLifecycleThroughServices = ProductLifecycleThroughServices.TestCase
TestProductLifecycleThroughServices.settings = settings(
    max_examples=60,
    stateful_step_count=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)

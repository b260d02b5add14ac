"""Products: create (with uploads), list, read, prepare and finalize uploads, reprocess.

Every operation writes in one unit of work, and any failure (validation, storage) leaves
nothing behind. Storage is asked with no write transaction open: the rows are read and
checked, storage is called (upload signing, the finalize ``HEAD``), then the write
transaction reads the rows again, checks them again and writes. Check order follows
spec 10 §1.2: 403 → 400 → 404 → 402 → 422 state → 422 fields → 422 uploads → 502.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

import msgspec

from reseller_core.commands import (
    NO_PROBLEMS,
    CreateProduct,
    FinalizeUploads,
    GetProduct,
    InputProblems,
    PrepareUploads,
    Reprocess,
    SellerFields,
)
from reseller_core.domain import state_machine
from reseller_core.domain.aggregate import ProductView
from reseller_core.domain.ids import parse_ulid
from reseller_core.domain.images import ImageKind, ImageStatus, ProductImage
from reseller_core.domain.listing_query import ProductListQuery
from reseller_core.domain.plans import PROCESSING_BUCKETS
from reseller_core.domain.products import (
    Product,
    ProductStatus,
    check_seller_fields,
    new_product,
)
from reseller_core.domain.runs import (
    ERROR_MESSAGES,
    ProcessingRun,
    RunErrorCode,
    RunStatus,
    Step,
    is_active,
)
from reseller_core.domain.state_machine import Action
from reseller_core.domain.uploads import (
    FinalizeItem,
    UploadIntent,
    check_finalize_items,
    check_upload_intents,
    original_key,
)
from reseller_core.domain.users import User
from reseller_core.domain.validation import IS_INVALID, TAKEN, Errors
from reseller_core.errors import (
    Conflict,
    EmailNotConfirmed,
    FieldErrors,
    InvalidProductState,
    InvalidUploads,
    NotFound,
    ValidationFailed,
)
from reseller_core.ports import (
    Clock,
    IdFactory,
    ObjectStorage,
    TaskQueue,
    UnitOfWork,
    UnitOfWorkFactory,
)
from reseller_core.ports.storage import ObjectInfo, SignedUpload
from reseller_core.services.config import CoreConfig
from reseller_core.services.finalize_repeats import answer_to_repeat
from reseller_core.services.limits import enforce_limits
from reseller_core.services.processing.jobs import process_run_job
from reseller_core.services.results import (
    FinalizeResult,
    ProductListResult,
    ProductWithUploads,
    ReprocessResult,
    UploadInstruction,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
PRODUCT_NOT_FOUND = "Product not found"
CONFLICT_RETRIES = 3


@dataclass(frozen=True, slots=True)
class _SignedIntent:
    """An upload intent with its new image id, storage key and signed upload URL."""

    image_id: str
    key: str
    intent: UploadIntent
    upload: SignedUpload


@dataclass(frozen=True, slots=True)
class _FinalizeChecks:
    """A finalize request after its body's rules, and the time it is decided at."""

    product_id: str
    items: Sequence[FinalizeItem]
    malformed: Sequence[str]
    field_errors: FieldErrors
    now: datetime


@dataclass(frozen=True, slots=True)
class _FinalizePlan:
    """What a finalize will change, decided from the rows read (no storage call yet)."""

    product: Product
    by_id: dict[str, ProductImage]
    pending_after: int
    user: User


class ProductService:
    """The product use cases over the ports they use.

    ``reader`` opens units of work that only read (see ``UnitOfWorkFactory``); it is ``uow``
    where the persistence adapter offers no separate one.
    """

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        reader: UnitOfWorkFactory | None = None,
        storage: ObjectStorage,
        queue: TaskQueue,
        clock: Clock,
        ids: IdFactory,
        config: CoreConfig,
    ) -> None:
        self._uow = uow
        self._reader = reader or uow
        self._storage = storage
        self._queue = queue
        self._clock = clock
        self._ids = ids
        self._config = config

    # -- helpers -------------------------------------------------------------------------

    async def _retrying(self, operation: Callable[[], Awaitable[T]]) -> T:
        """Run an optimistic-concurrency operation again when another writer won the race."""
        for attempt in range(CONFLICT_RETRIES):
            try:
                return await operation()
            except Conflict:
                if attempt == CONFLICT_RETRIES - 1:
                    raise
        raise AssertionError("unreachable")

    async def _owned(self, uow: UnitOfWork, user: User, product_id: str) -> Product:
        canonical = parse_ulid(product_id)
        product = await uow.products.get(user.id, canonical) if canonical else None
        if product is None:
            raise NotFound(PRODUCT_NOT_FOUND)
        return product

    async def _view(self, uow: UnitOfWork, user: User, product_id: str) -> ProductView:
        view = await uow.products.view(user.id, product_id)
        if view is None:
            raise NotFound(PRODUCT_NOT_FOUND)
        return view

    async def _sign(
        self, user: User, product_id: str, intents: Sequence[UploadIntent], now: datetime
    ) -> list[_SignedIntent]:
        """A storage key and a signed upload URL per intent (no transaction may be open)."""
        expires_at = (now + timedelta(seconds=self._config.upload_url_ttl_s)).replace(microsecond=0)
        signed: list[_SignedIntent] = []
        for intent in intents:
            image_id = self._ids.new_id()
            key = original_key(user.id, product_id, self._ids.new_object_name(), intent.filename)
            upload = await self._storage.sign_upload(
                key,
                content_type=intent.content_type,
                max_bytes=self._config.max_upload_bytes,
                expires_at=expires_at,
            )
            signed.append(_SignedIntent(image_id=image_id, key=key, intent=intent, upload=upload))
        return signed

    @staticmethod
    def _placeholders(
        product_id: str, signed: Sequence[_SignedIntent], first_position: int, now: datetime
    ) -> tuple[list[ProductImage], list[UploadInstruction]]:
        """Placeholder images and their upload instructions, in intent order."""
        images: list[ProductImage] = []
        instructions: list[UploadInstruction] = []
        for offset, item in enumerate(signed):
            intent, upload = item.intent, item.upload
            images.append(
                ProductImage(
                    id=item.image_id,
                    product_id=product_id,
                    kind=ImageKind.ORIGINAL,
                    position=first_position + offset,
                    storage_key=item.key,
                    content_type=intent.content_type,
                    width=intent.width,
                    height=intent.height,
                    byte_size=intent.byte_size,
                    checksum=intent.checksum,
                    processing_status=ImageStatus.PENDING_UPLOAD,
                    original_filename=intent.filename,
                    created_at=now,
                    updated_at=now,
                )
            )
            instructions.append(
                UploadInstruction(
                    image_id=item.image_id,
                    storage_key=item.key,
                    method=upload.method,
                    upload_url=upload.url,
                    headers=dict(upload.headers),
                    expires_at=upload.expires_at,
                )
            )
        return images, instructions

    def _new_run(self, product: Product, user: User, now: datetime) -> ProcessingRun:
        supported = self._config.supported_marketplaces
        chosen = set(user.selected_marketplaces)
        return ProcessingRun(
            id=self._ids.new_id(),
            product_id=product.id,
            user_id=user.id,
            status=RunStatus.QUEUED,
            step=Step.QUEUED,
            marketplaces=tuple(m for m in supported if m in chosen),
            created_at=now,
            updated_at=now,
        )

    async def _enqueue(self, run: ProcessingRun) -> None:
        """Hand the run to a worker after commit; if that fails the sweeper retries it.

        The run row is already committed (``queued``), so a queue outage is not the
        request's failure: the caller gets its answer and the sweeper enqueues the run once
        it has waited ``run_heartbeat_timeout_s``.
        """
        try:
            await self._queue.enqueue(process_run_job(run.id))
        except Exception as error:
            log.warning(
                "run %s could not be enqueued now (%s); the sweeper will retry",
                run.id,
                type(error).__name__,
            )

    # -- use cases -------------------------------------------------------------------------

    async def create(
        self, user: User, command: CreateProduct, problems: InputProblems = NO_PROBLEMS
    ) -> ProductWithUploads:
        """``POST /products``: a draft, or an ``uploading`` product with signed upload URLs."""
        self._require_confirmed(user)
        problems.raise_invalid_request()
        errors = Errors()
        fields = check_seller_fields(
            errors, command.product or SellerFields(), problems.fields, creating=True
        )
        intents, upload_errors = check_upload_intents(
            command.uploads or (),
            problems.fields.get("uploads"),
            max_originals=self._config.max_originals_per_product,
        )
        now = self._clock.now()
        product_id: str | None = None
        signed: list[_SignedIntent] = []
        if intents:  # storage is asked with no transaction open: check, sign, then write
            async with self._reader() as uow:
                await self._check_new_product(uow, user, fields, errors, upload_errors)
            product_id = self._ids.new_id()
            signed = await self._sign(user, product_id, intents, now)
        async with self._uow() as uow:
            await self._check_new_product(uow, user, fields, errors, upload_errors)
            product = new_product(
                id=product_id or self._ids.new_id(),
                user_id=user.id,
                status=ProductStatus.UPLOADING if intents else ProductStatus.DRAFT,
                fields=fields,
                now=now,
            )
            images, instructions = self._placeholders(product.id, signed, 1, now)
            await uow.products.add(product)
            if images:
                await uow.images.add_many(images)
            view = await self._view(uow, user, product.id)
            await uow.commit()
        return ProductWithUploads(view=view, upload_instructions=tuple(instructions))

    async def _check_new_product(
        self,
        uow: UnitOfWork,
        user: User,
        fields: SellerFields,
        errors: Errors,
        upload_errors: FieldErrors,
    ) -> None:
        """The create checks that read the database: the tab is the seller's, the SKU free."""
        found = Errors()
        found.fields.update(errors.fields)
        await self._check_tab(uow, user, fields, found)
        found.fields.update(upload_errors)
        found.raise_if_any()
        sku = fields.sku
        if isinstance(sku, str) and await uow.products.find_by_sku(user.id, sku) is not None:
            raise ValidationFailed({"sku": [TAKEN]})

    async def _check_tab(
        self, uow: UnitOfWork, user: User, fields: SellerFields, errors: Errors
    ) -> None:
        tab_id = fields.product_tab_id
        if (
            isinstance(tab_id, str)
            and "product_tab_id" not in errors.fields
            and await uow.tabs.get(user.id, tab_id) is None
        ):
            errors.add("product_tab_id", IS_INVALID)

    async def list(self, user: User, query: ProductListQuery) -> ProductListResult:
        async with self._reader() as uow:
            page = await uow.products.list(user.id, query)
        return ProductListResult(page=page, query=query)

    async def get(self, user: User, command: GetProduct) -> ProductView:
        canonical = parse_ulid(command.product_id)
        if canonical is None:
            raise NotFound(PRODUCT_NOT_FOUND)
        async with self._reader() as uow:
            return await self._view(uow, user, canonical)

    async def prepare_uploads(
        self, user: User, command: PrepareUploads, problems: InputProblems = NO_PROBLEMS
    ) -> ProductWithUploads:
        """Add original placeholders to an existing product; its status does not change."""
        self._require_confirmed(user)
        problems.raise_invalid_request()
        now = self._clock.now()
        async with self._reader() as uow:
            product, _, intents = await self._check_prepare(uow, user, command, problems)
        signed = await self._sign(user, product.id, intents, now)
        async with self._uow() as uow:
            product, first, _ = await self._check_prepare(uow, user, command, problems)
            new_images, instructions = self._placeholders(product.id, signed, first, now)
            await uow.images.add_many(new_images)
            product = await uow.products.update(
                msgspec.structs.replace(product, updated_at=now), expected_version=product.version
            )
            view = await self._view(uow, user, product.id)
            await uow.commit()
        return ProductWithUploads(view=view, upload_instructions=tuple(instructions))

    async def _check_prepare(
        self, uow: UnitOfWork, user: User, command: PrepareUploads, problems: InputProblems
    ) -> tuple[Product, int, Sequence[UploadIntent]]:
        """(product, next image position, checked intents) from the rows ``uow`` reads."""
        product = await self._owned(uow, user, command.product_id)
        state_machine.require(Action.PREPARE_UPLOADS, product.status)
        images = await uow.images.for_product(product.id)
        existing = sum(1 for image in images if image.kind == ImageKind.ORIGINAL)
        intents, upload_errors = check_upload_intents(
            command.uploads,
            problems.fields.get("uploads"),
            existing_originals=existing,
            max_originals=self._config.max_originals_per_product,
            required=True,
        )
        if upload_errors:
            raise ValidationFailed(upload_errors)
        first = max((image.position for image in images), default=0) + 1
        return product, first, intents

    async def finalize_uploads(
        self, user: User, command: FinalizeUploads, problems: InputProblems = NO_PROBLEMS
    ) -> FinalizeResult:
        """Mark uploaded originals; start a processing run once none is pending (A3/A4).

        No transaction is open while storage is asked about the objects: the rows are read
        and checked, the objects checked in storage, then the write transaction reads the
        rows again, applies every check to them (status, pending images, limits) and
        writes with the product version it read.
        """
        self._require_confirmed(user)
        problems.raise_invalid_request()
        items, malformed, field_errors = check_finalize_items(
            command.uploads, problems.fields.get("uploads")
        )

        async def operation() -> tuple[FinalizeResult, ProcessingRun | None]:
            now = self._clock.now()
            checked = _FinalizeChecks(
                product_id=command.product_id,
                items=items,
                malformed=malformed,
                field_errors=field_errors,
                now=now,
            )

            async with self._reader() as uow:
                plan = await self._repeat_or_plan(uow, user, checked)
                if isinstance(plan, FinalizeResult):
                    return plan, None
            heads = await self._verify_objects([plan.by_id[item.id] for item in items])
            async with self._uow() as uow:
                # Checked again under the user's write lock: a concurrent double tap waits
                # here for the first to commit, then reads the run it started.
                await uow.users.lock(user.id)
                plan = await self._repeat_or_plan(uow, user, checked)
                if isinstance(plan, FinalizeResult):
                    return plan, None
                finalized = [
                    self._finalized(plan.by_id[item.id], item, heads[item.id], now)
                    for item in items
                ]
                await uow.images.update_many(finalized)
                product = state_machine.after_finalize(plan.product, plan.pending_after, now)
                run: ProcessingRun | None = None
                if product.status == ProductStatus.PROCESSING:
                    run = self._new_run(product, plan.user, now)
                    product = msgspec.structs.replace(product, latest_run_id=run.id)
                await uow.products.update(product, expected_version=product.version)
                if run is not None:
                    await uow.runs.add(run)
                view = await self._view(uow, user, product.id)
                await uow.commit()
            return FinalizeResult(view=view, finalized_images=tuple(finalized), run=run), run

        result, run = await self._retrying(operation)
        if run is not None:
            await self._enqueue(run)
        return result

    async def _repeat_or_plan(
        self, uow: UnitOfWork, user: User, checks: _FinalizeChecks
    ) -> FinalizeResult | _FinalizePlan:
        """The answer to a repeated finalize, else every finalize check (in the order of
        spec 10 §1.2) on the rows ``uow`` reads, each read once."""
        items, malformed, field_errors, now = (
            checks.items,
            checks.malformed,
            checks.field_errors,
            checks.now,
        )
        product = await self._owned(uow, user, checks.product_id)
        images = await uow.images.for_product(product.id)
        ids = [] if field_errors or malformed else [item.id for item in items]
        repeated = await answer_to_repeat(
            uow, user, product, images, ids, now=now, view_of=self._view
        )
        if repeated is not None:
            return repeated
        by_id = {image.id: image for image in images}
        listed = {item.id for item in items}
        pending_after = sum(
            1
            for image in images
            if image.kind == ImageKind.ORIGINAL
            and image.processing_status == ImageStatus.PENDING_UPLOAD
            and image.id not in listed
        )
        starts_run = (
            not field_errors
            and not pending_after
            and bool(images)
            and state_machine.allowed(Action.FINALIZE_UPLOADS, product.status)
        )
        # Only a run reads the user's settings (its marketplaces), and the limit check
        # reads the user as stored, under the user's lock.
        fresh_user = user
        if starts_run:
            fresh_user = await enforce_limits(uow, user, PROCESSING_BUCKETS, now, self._config)
        if not images:
            raise InvalidProductState("Product has no images to finalize")
        state_machine.require(Action.FINALIZE_UPLOADS, product.status)
        if field_errors:
            raise ValidationFailed(field_errors)
        foreign = [
            item.id
            for item in items
            if item.id not in by_id or by_id[item.id].kind != ImageKind.ORIGINAL
        ]
        if malformed or foreign:
            raise InvalidUploads()
        return _FinalizePlan(
            product=product, by_id=by_id, pending_after=pending_after, user=fresh_user
        )

    @staticmethod
    def _finalized(
        image: ProductImage, item: FinalizeItem, head: ObjectInfo, now: datetime
    ) -> ProductImage:
        return msgspec.structs.replace(
            image,
            processing_status=ImageStatus.UPLOADED,
            byte_size=item.byte_size or head.size,
            width=item.width or image.width,
            height=item.height or image.height,
            checksum=item.checksum if item.checksum is not None else image.checksum,
            updated_at=now,
        )

    async def _verify_objects(self, images: Sequence[ProductImage]) -> dict[str, ObjectInfo]:
        """Decision Q-M4: each object must exist and be within the size limit.

        Storage servers enforce neither size nor type on a signed upload, so this ``HEAD``
        is the check; the results (by image id) are reused rather than fetched again.
        """
        limit = self._config.max_upload_bytes
        heads: dict[str, ObjectInfo] = {}
        for image in images:
            head = await self._storage.head(image.storage_key)
            if head is None:
                raise InvalidUploads(f"Upload {image.id} has not been received by storage")
            if head.size > limit or head.size == 0:
                raise InvalidUploads(f"Upload {image.id} is empty or larger than {limit} bytes")
            heads[image.id] = head
        return heads

    async def reprocess(self, user: User, command: Reprocess) -> ReprocessResult:
        """A5: start a new run over the finalized originals (after any earlier outcome)."""
        self._require_confirmed(user)

        async def operation() -> ReprocessResult:
            now = self._clock.now()
            async with self._uow() as uow:
                product = await self._owned(uow, user, command.product_id)
                fresh_user = await uow.users.get(user.id) or user
                await enforce_limits(uow, fresh_user, PROCESSING_BUCKETS, now, self._config)
                images = await uow.images.for_product(product.id)
                originals = [
                    image
                    for image in images
                    if image.kind == ImageKind.ORIGINAL
                    and image.processing_status != ImageStatus.PENDING_UPLOAD
                ]
                state_machine.require(Action.REPROCESS, product.status)
                if not originals:
                    raise InvalidProductState("Product has no images available for reprocessing")
                latest = await uow.runs.latest_for_product(product.id)
                if is_active(latest):
                    assert latest is not None
                    stale_after = timedelta(seconds=self._config.processing_run_stale_after_s)
                    if latest.created_at > now - stale_after:
                        raise InvalidProductState("A processing run is already in progress")
                    await uow.runs.update(
                        msgspec.structs.replace(
                            latest,
                            status=RunStatus.FAILED,
                            error_code=RunErrorCode.STALLED.value,
                            error_message=ERROR_MESSAGES[RunErrorCode.STALLED],
                            payload={**latest.payload, "retryable": True},
                            finished_at=now,
                            updated_at=now,
                        )
                    )
                reset = [
                    msgspec.structs.replace(
                        image, processing_status=ImageStatus.UPLOADED, updated_at=now
                    )
                    for image in originals
                    if image.processing_status in (ImageStatus.PROCESSING, ImageStatus.FAILED)
                ]
                if reset:
                    await uow.images.update_many(reset)
                run = self._new_run(product, fresh_user, now)
                product = msgspec.structs.replace(
                    state_machine.start_reprocess(product, now), latest_run_id=run.id
                )
                await uow.products.update(product, expected_version=product.version)
                await uow.runs.add(run)
                view = await self._view(uow, user, product.id)
                await uow.commit()
            return ReprocessResult(view=view, run=run)

        result = await self._retrying(operation)
        await self._enqueue(result.run)
        return result

    def _require_confirmed(self, user: User) -> None:
        """The write gate (spec 10 §2.6), checked before anything is looked up."""
        if self._config.require_email_confirmation and user.confirmed_at is None:
            raise EmailNotConfirmed()

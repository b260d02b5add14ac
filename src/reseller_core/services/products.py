"""Products: create (with uploads), list, read, prepare and finalize uploads, reprocess.

Every operation is one unit of work: validation, rows and upload signatures are produced
together, and any failure (validation, storage) leaves nothing behind. Check order follows
spec 10 §1.2: 403 → 400 → 404 → 402 → 422 state → 422 fields → 422 uploads → 502.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

import msgspec

from reseller_core.domain import state_machine
from reseller_core.domain.aggregate import ProductView
from reseller_core.domain.ids import parse_ulid
from reseller_core.domain.images import ImageKind, ImageStatus, ProductImage
from reseller_core.domain.listing_query import parse_list_query
from reseller_core.domain.plans import PROCESSING_BUCKETS
from reseller_core.domain.products import Product, ProductStatus, validate_product_fields
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
    UploadIntent,
    original_key,
    validate_finalize_items,
    validate_upload_intents,
)
from reseller_core.domain.users import User
from reseller_core.domain.validation import IS_INVALID, TAKEN, Errors
from reseller_core.errors import (
    Conflict,
    EmailNotConfirmed,
    InvalidProductState,
    InvalidRequest,
    InvalidUploads,
    NotFound,
    ValidationFailed,
)
from reseller_core.ports import UnitOfWork
from reseller_core.ports.storage import ObjectInfo
from reseller_core.services.deps import Deps
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


def _body_object(body: Any, *, optional: bool = False) -> dict[str, Any]:
    """400 unless the body is a JSON object (an absent body is ``{}`` where allowed)."""
    if body is None and optional:
        return {}
    if not isinstance(body, dict):
        raise InvalidRequest("Request body must be a JSON object")
    return body


class ProductService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

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

    async def _sign_intents(
        self,
        user: User,
        product: Product,
        intents: Sequence[UploadIntent],
        first_position: int,
        now: datetime,
    ) -> tuple[list[ProductImage], list[UploadInstruction]]:
        """Placeholder images and their signed upload URLs, in intent order."""
        expires_at = (now + timedelta(seconds=self._deps.config.upload_url_ttl_s)).replace(
            microsecond=0
        )
        images: list[ProductImage] = []
        instructions: list[UploadInstruction] = []
        for offset, intent in enumerate(intents):
            image_id = self._deps.ids.new_id()
            key = original_key(
                user.id, product.id, self._deps.ids.new_object_name(), intent.filename
            )
            signed = await self._deps.storage.sign_upload(
                key,
                content_type=intent.content_type,
                max_bytes=self._deps.config.max_upload_bytes,
                expires_at=expires_at,
            )
            images.append(
                ProductImage(
                    id=image_id,
                    product_id=product.id,
                    kind=ImageKind.ORIGINAL,
                    position=first_position + offset,
                    storage_key=key,
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
                    image_id=image_id,
                    storage_key=key,
                    method=signed.method,
                    upload_url=signed.url,
                    headers=dict(signed.headers),
                    expires_at=signed.expires_at,
                )
            )
        return images, instructions

    def _new_run(self, product: Product, user: User, now: datetime) -> ProcessingRun:
        supported = self._deps.config.supported_marketplaces
        chosen = set(user.selected_marketplaces)
        return ProcessingRun(
            id=self._deps.ids.new_id(),
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
            await self._deps.queue.enqueue(process_run_job(run.id))
        except Exception as error:
            log.warning(
                "run %s could not be enqueued now (%s); the sweeper will retry",
                run.id,
                type(error).__name__,
            )

    # -- use cases -------------------------------------------------------------------------

    async def create(self, user: User, body: Any) -> ProductWithUploads:
        """``POST /products``: a draft, or an ``uploading`` product with signed upload URLs."""
        self._require_confirmed(user)
        payload = _body_object(body, optional=True)
        fields = payload.get("product")
        if fields is None:
            fields = {}
        if not isinstance(fields, dict):
            raise InvalidRequest("product must be a JSON object")
        errors = Errors()
        values = validate_product_fields(errors, fields, creating=True)
        intents, upload_errors = validate_upload_intents(
            payload.get("uploads"), max_originals=self._deps.config.max_originals_per_product
        )
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            await self._check_tab(uow, user, values, errors)
            errors.fields.update(upload_errors)
            errors.raise_if_any()
            product = Product(
                id=self._deps.ids.new_id(),
                user_id=user.id,
                status=ProductStatus.UPLOADING if intents else ProductStatus.DRAFT,
                created_at=now,
                updated_at=now,
                **values,
            )
            await self._check_sku(uow, user, product)
            images, instructions = await self._sign_intents(user, product, intents, 1, now)
            await uow.products.add(product)
            if images:
                await uow.images.add_many(images)
            view = await self._view(uow, user, product.id)
            await uow.commit()
        return ProductWithUploads(view=view, upload_instructions=tuple(instructions))

    async def _check_tab(
        self, uow: UnitOfWork, user: User, values: dict[str, Any], errors: Errors
    ) -> None:
        tab_id = values.get("product_tab_id")
        if (
            tab_id is not None
            and "product_tab_id" not in errors.fields
            and await uow.tabs.get(user.id, tab_id) is None
        ):
            errors.add("product_tab_id", IS_INVALID)

    async def _check_sku(self, uow: UnitOfWork, user: User, product: Product) -> None:
        """SKUs are unique per user (spec 20 §2.1); checked inside the same transaction."""
        if product.sku is None:
            return
        other = await uow.products.find_by_sku(user.id, product.sku)
        if other is not None and other.id != product.id:
            raise ValidationFailed({"sku": [TAKEN]})

    async def list(self, user: User, params: Mapping[str, str]) -> ProductListResult:
        query = parse_list_query(params)
        async with self._deps.reader() as uow:
            page = await uow.products.list(user.id, query)
        return ProductListResult(page=page, query=query)

    async def get(self, user: User, product_id: str) -> ProductView:
        canonical = parse_ulid(product_id)
        if canonical is None:
            raise NotFound(PRODUCT_NOT_FOUND)
        async with self._deps.reader() as uow:
            return await self._view(uow, user, canonical)

    async def prepare_uploads(self, user: User, product_id: str, body: Any) -> ProductWithUploads:
        """Add original placeholders to an existing product; its status does not change."""
        self._require_confirmed(user)
        payload = _body_object(body)
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            product = await self._owned(uow, user, product_id)
            state_machine.require(Action.PREPARE_UPLOADS, product.status)
            images = await uow.images.for_product(product.id)
            existing = sum(1 for image in images if image.kind == ImageKind.ORIGINAL)
            intents, upload_errors = validate_upload_intents(
                payload.get("uploads"),
                existing_originals=existing,
                max_originals=self._deps.config.max_originals_per_product,
                required=True,
            )
            if upload_errors:
                raise ValidationFailed(upload_errors)
            first = max((image.position for image in images), default=0) + 1
            new_images, instructions = await self._sign_intents(user, product, intents, first, now)
            await uow.images.add_many(new_images)
            product = await uow.products.update(
                msgspec.structs.replace(product, updated_at=now), expected_version=product.version
            )
            view = await self._view(uow, user, product.id)
            await uow.commit()
        return ProductWithUploads(view=view, upload_instructions=tuple(instructions))

    async def finalize_uploads(self, user: User, product_id: str, body: Any) -> FinalizeResult:
        """Mark uploaded originals; start a processing run once none is pending (A3/A4)."""
        self._require_confirmed(user)
        payload = _body_object(body)
        items, malformed, field_errors = validate_finalize_items(payload.get("uploads"))

        async def operation() -> tuple[FinalizeResult, ProcessingRun | None]:
            now = self._deps.clock.now()
            async with self._deps.uow() as uow:
                product = await self._owned(uow, user, product_id)
                images = await uow.images.for_product(product.id)
                by_id = {image.id: image for image in images}
                listed = {item.id for item in items}
                pending_after = [
                    image
                    for image in images
                    if image.kind == ImageKind.ORIGINAL
                    and image.processing_status == ImageStatus.PENDING_UPLOAD
                    and image.id not in listed
                ]
                starts_run = (
                    not field_errors
                    and not pending_after
                    and bool(images)
                    and state_machine.allowed(Action.FINALIZE_UPLOADS, product.status)
                )
                if starts_run:
                    fresh_user = await uow.users.get(user.id) or user
                    await enforce_limits(
                        uow, fresh_user, PROCESSING_BUCKETS, now, self._deps.config
                    )
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
                heads = await self._verify_objects([by_id[item.id] for item in items])
                finalized: list[ProductImage] = []
                for item in items:
                    image = by_id[item.id]
                    head = heads[image.id]
                    finalized.append(
                        msgspec.structs.replace(
                            image,
                            processing_status=ImageStatus.UPLOADED,
                            byte_size=item.byte_size or head.size,
                            width=item.width or image.width,
                            height=item.height or image.height,
                            checksum=item.checksum if item.checksum is not None else image.checksum,
                            updated_at=now,
                        )
                    )
                await uow.images.update_many(finalized)
                product = state_machine.after_finalize(product, len(pending_after), now)
                run: ProcessingRun | None = None
                if product.status == ProductStatus.PROCESSING:
                    fresh_user = await uow.users.get(user.id) or user
                    run = self._new_run(product, fresh_user, now)
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

    async def _verify_objects(self, images: Sequence[ProductImage]) -> dict[str, ObjectInfo]:
        """Decision Q-M4: each object must exist and be within the size limit.

        Storage servers enforce neither size nor type on a signed upload, so this ``HEAD``
        is the check; the results (by image id) are reused rather than fetched again.
        """
        limit = self._deps.config.max_upload_bytes
        heads: dict[str, ObjectInfo] = {}
        for image in images:
            head = await self._deps.storage.head(image.storage_key)
            if head is None:
                raise InvalidUploads(f"Upload {image.id} has not been received by storage")
            if head.size > limit or head.size == 0:
                raise InvalidUploads(f"Upload {image.id} is empty or larger than {limit} bytes")
            heads[image.id] = head
        return heads

    async def reprocess(self, user: User, product_id: str) -> ReprocessResult:
        """A5: start a new run over the finalized originals (after any earlier outcome)."""
        self._require_confirmed(user)

        async def operation() -> ReprocessResult:
            now = self._deps.clock.now()
            async with self._deps.uow() as uow:
                product = await self._owned(uow, user, product_id)
                fresh_user = await uow.users.get(user.id) or user
                await enforce_limits(uow, fresh_user, PROCESSING_BUCKETS, now, self._deps.config)
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
                    stale_after = timedelta(seconds=self._deps.config.processing_run_stale_after_s)
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
        if self._deps.config.require_email_confirmation and user.confirmed_at is None:
            raise EmailNotConfirmed()

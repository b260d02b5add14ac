"""The import job (spec 50 §10): read the archive safely, recreate products one by one.

Each product is its own unit of work, and that unit of work also advances the import's
``next_index`` (and its created ids or failures): a job delivered again after its worker
died resumes at the first product not yet committed, so no product is created twice.
Image bytes are read, sniffed and stored before the product's transaction opens; when the
transaction fails, the objects stored for it are deleted again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import tempfile
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import IO, Any

import msgspec

from reseller_core.domain.archive_import import (
    ImageToImport,
    ImportFailureReason,
    ProductToImport,
    artifact_status,
    parse_time,
    read_manifest_product,
    sniff_image,
    text_list,
)
from reseller_core.domain.archive_safety import ArchiveLimits, ArchiveRejected
from reseller_core.domain.artifacts import (
    ArtifactStatus,
    DescriptionDraft,
    MarketplaceListing,
    PriceResearch,
)
from reseller_core.domain.images import ProductImage
from reseller_core.domain.products import ProductSource, new_product
from reseller_core.domain.transfers import Import, ImportFailure, ImportStatus, clip_message
from reseller_core.domain.validation import TAKEN
from reseller_core.errors import Conflict
from reseller_core.ports import Clock, IdFactory, ObjectStorage
from reseller_core.ports.storage import StorageError
from reseller_core.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from reseller_core.services.config import CoreConfig
from reseller_core.services.transfers.archive_reader import SafeArchive

log = logging.getLogger(__name__)


def archive_limits(config: CoreConfig) -> ArchiveLimits:
    limits = config.transfers
    return ArchiveLimits(
        max_entry_count=limits.max_entry_count,
        max_entry_bytes=limits.max_entry_bytes,
        max_total_uncompressed_bytes=limits.max_total_uncompressed_bytes,
        max_compression_ratio=limits.max_compression_ratio,
    )


def _decimal(value: object) -> Decimal | None:
    if value is None or isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount >= 0 else None


class _Superseded(Exception):
    """Another delivery of the same import committed this product first: stop here."""


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


class ImportJob:
    """Runs one import to its end; see the module docstring."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        storage: ObjectStorage,
        clock: Clock,
        ids: IdFactory,
        config: CoreConfig,
    ) -> None:
        self._uow = uow
        self._storage = storage
        self._clock = clock
        self._ids = ids
        self._config = config
        self._limits = config.transfers

    async def run(self, import_id: str) -> None:
        now = self._clock.now()
        stale_before = now - timedelta(seconds=self._limits.job_heartbeat_timeout_s)
        async with self._uow() as uow:
            record = await uow.imports.claim(import_id, now, stale_before)
            await uow.commit()
        if record is None:
            return
        with tempfile.TemporaryFile(prefix="reseller-import-") as spool:
            try:
                await self._download(record, spool)
            except (StorageError, OSError, ArchiveRejected) as error:
                log.warning("import %s: archive not readable: %s", record.id, error)
                await self._fail(record.id, "archive_download_failed")
                return
            try:
                archive = await asyncio.to_thread(SafeArchive, spool, archive_limits(self._config))
            except ArchiveRejected as error:
                await self._fail(record.id, error.code, error.detail)
                return
            try:
                products = await asyncio.to_thread(self._manifest_products, archive)
                await self._recreate(record, archive, products)
            except ArchiveRejected as error:
                await self._fail(record.id, error.code, error.detail)
            except _Superseded:
                log.info("import %s: another delivery is running it; this one stops", record.id)
            finally:
                archive.close()

    async def _download(self, record: Import, spool: IO[bytes]) -> None:
        size = 0
        async for chunk in self._storage.stream(record.source_storage_key):
            size += len(chunk)
            if size > self._limits.max_archive_bytes:
                raise ArchiveRejected("invalid_zip_archive", "archive is larger than allowed")
            await asyncio.to_thread(spool.write, chunk)
        spool.seek(0)

    def _manifest_products(self, archive: SafeArchive) -> list[Any]:
        if "manifest.json" in archive:
            name, code = "manifest.json", "invalid_manifest_json"
        elif "index.json" in archive:
            name, code = "index.json", "invalid_index_json"
        else:
            raise ArchiveRejected("missing_manifest_json")
        try:
            manifest = json.loads(archive.read(name))
        except (ValueError, RecursionError):
            raise ArchiveRejected(code) from None
        if not isinstance(manifest, dict):
            raise ArchiveRejected(code)
        products = manifest.get("products")
        if not isinstance(products, list):
            raise ArchiveRejected("invalid_products_payload")
        if len(products) > self._limits.max_manifest_products:
            raise ArchiveRejected(
                "invalid_products_payload",
                f"more than {self._limits.max_manifest_products} products",
            )
        return products

    async def _recreate(self, record: Import, archive: SafeArchive, products: list[Any]) -> None:
        for index in range(record.next_index, len(products)):
            entry = products[index]
            stored: list[str] = []
            try:
                planned = read_manifest_product(entry, self._config.supported_marketplaces)
                product_id = self._ids.new_id()
                images = await self._store_images(record, archive, planned, product_id, stored)
                await self._write_product(record.id, index, planned, product_id, images)
            except (ImportFailureReason, Conflict) as failure:
                reason = (
                    str(failure) if isinstance(failure, ImportFailureReason) else f"sku: {TAKEN}"
                )
                await self._delete(stored)
                await self._record_failure(record.id, index, entry, reason)
            except (ArchiveRejected, _Superseded):
                await self._delete(stored)
                raise
            except (StorageError, OSError):
                await self._delete(stored)
                await self._record_failure(record.id, index, entry, "Image could not be stored")
        await self._complete(record.id, len(products))

    async def _store_images(
        self,
        record: Import,
        archive: SafeArchive,
        planned: ProductToImport,
        product_id: str,
        stored: list[str],
    ) -> list[ProductImage]:
        now = self._clock.now()
        new_ids = {image.source_id: self._ids.new_id() for image in planned.images}
        rows: list[ProductImage] = []
        for image in planned.images:
            if image.path not in archive:
                raise ImportFailureReason(f"Missing image entry: {image.path}")
            data = await asyncio.to_thread(archive.read, image.path)
            content_type = sniff_image(data)
            if content_type is None:
                raise ImportFailureReason(f"Image is not a JPEG, PNG or WebP image: {image.path}")
            key = (
                f"users/{record.user_id}/products/{product_id}/imports/"
                f"{image.position}-{image.kind.value}-{self._ids.new_object_name()}"
                f"{image.extension}"
            )
            await self._storage.put(key, data, content_type=content_type)
            stored.append(key)
            rows.append(
                self._image_row(
                    image,
                    new_ids=new_ids,
                    product_id=product_id,
                    key=key,
                    content_type=content_type,
                    data=data,
                    now=now,
                )
            )
        return rows

    def _image_row(
        self,
        image: ImageToImport,
        *,
        new_ids: dict[str | None, str],
        product_id: str,
        key: str,
        content_type: str,
        data: bytes,
        now: datetime,
    ) -> ProductImage:
        return ProductImage(
            id=new_ids[image.source_id],
            product_id=product_id,
            kind=image.kind,
            position=image.position,
            storage_key=key,
            content_type=content_type,
            width=image.width,
            height=image.height,
            byte_size=image.byte_size if image.byte_size is not None else len(data),
            checksum=image.checksum,
            background_style=image.background_style,
            processing_status=image.processing_status,
            original_filename=image.original_filename,
            scene_key=image.scene_key,
            variant_index=image.variant_index,
            # Remapped to the new ids; ids of images not in this archive are dropped.
            source_image_ids=tuple(
                new_ids[source] for source in image.source_image_ids if source in new_ids
            ),
            seller_approved=image.seller_approved,
            approved_at=image.approved_at,
            created_at=now,
            updated_at=now,
        )

    async def _write_product(
        self,
        import_id: str,
        index: int,
        planned: ProductToImport,
        product_id: str,
        images: list[ProductImage],
    ) -> None:
        now = self._clock.now()
        product = msgspec.structs.replace(
            new_product(
                id=product_id,
                user_id="",
                status=planned.status,
                fields=planned.fields,
                now=now,
            ),
            source=ProductSource.IMPORT,
            ai_summary=planned.ai_summary,
            ai_confidence=planned.ai_confidence,
        )
        async with self._uow() as uow:
            record = await uow.imports.get_by_id(import_id)
            if record is None or record.next_index != index or record.status != "running":
                raise _Superseded()
            product = msgspec.structs.replace(product, user_id=record.user_id)
            if product.sku and await uow.products.find_by_sku(record.user_id, product.sku):
                raise ImportFailureReason(f"sku: {TAKEN}")
            await uow.products.add(product)
            if images:
                await uow.images.add_many(images)
            await self._write_artifacts(uow, product_id, planned, now)
            await uow.imports.update(
                msgspec.structs.replace(
                    record,
                    next_index=index + 1,
                    created_product_ids=(*record.created_product_ids, product_id),
                    heartbeat_at=now,
                    updated_at=now,
                )
            )
            await uow.commit()

    async def _write_artifacts(
        self, uow: UnitOfWork, product_id: str, planned: ProductToImport, now: datetime
    ) -> None:
        draft = planned.description_draft
        if draft is not None:
            long = _text(draft.get("long_description"))
            await uow.products.save_description_draft(
                product_id,
                DescriptionDraft(
                    id=self._ids.new_id(),
                    status=ArtifactStatus(artifact_status(draft.get("status"))),
                    provider=_text(draft.get("provider")) or "import",
                    model=_text(draft.get("model")) or "zip-import",
                    suggested_title=_text(draft.get("suggested_title")) or "",
                    short_description=_text(draft.get("short_description")) or long or "",
                    long_description=long,
                    key_features=text_list(draft.get("key_features")),
                    seo_keywords=text_list(draft.get("seo_keywords")),
                    missing_details_warning=_text(draft.get("missing_details_warning")),
                    created_at=now,
                    updated_at=now,
                ),
            )
        research = planned.price_research
        if research is not None:
            comparable = research.get("comparable_results")
            if isinstance(comparable, dict):
                comparable = comparable.get("items", [comparable] if comparable else [])
            confidence = research.get("pricing_confidence")
            await uow.products.save_price_research(
                product_id,
                PriceResearch(
                    id=self._ids.new_id(),
                    status=ArtifactStatus(artifact_status(research.get("status"))),
                    provider=_text(research.get("provider")) or "import",
                    model=_text(research.get("model")) or "zip-import",
                    currency=_text(research.get("currency")) or "USD",
                    suggested_min_price=_decimal(research.get("suggested_min_price")),
                    suggested_target_price=_decimal(research.get("suggested_target_price")),
                    suggested_max_price=_decimal(research.get("suggested_max_price")),
                    suggested_median_price=_decimal(research.get("suggested_median_price")),
                    pricing_confidence=float(confidence)
                    if isinstance(confidence, (int, float)) and not isinstance(confidence, bool)
                    else None,
                    rationale_summary=_text(research.get("rationale_summary")),
                    market_signals=text_list(research.get("market_signals")),
                    comparable_results=tuple(item for item in comparable if isinstance(item, dict))
                    if isinstance(comparable, list)
                    else (),
                    created_at=now,
                    updated_at=now,
                ),
            )
        if planned.listings:
            await uow.products.save_listings(
                product_id,
                [
                    MarketplaceListing(
                        id=self._ids.new_id(),
                        marketplace=str(listing["marketplace"]),
                        status=ArtifactStatus(artifact_status(listing.get("status"))),
                        generated_title=_text(listing.get("generated_title")),
                        generated_description=_text(listing.get("generated_description")),
                        generated_tags=text_list(listing.get("generated_tags")),
                        generated_price_suggestion=_decimal(
                            listing.get("generated_price_suggestion")
                        ),
                        generation_version=_text(listing.get("generation_version")) or "zip-import",
                        compliance_warnings=text_list(listing.get("compliance_warnings")),
                        last_generated_at=parse_time(listing.get("last_generated_at")) or now,
                        created_at=now,
                        updated_at=now,
                    )
                    for listing in planned.listings
                ],
            )

    async def _delete(self, keys: list[str]) -> None:
        for key in keys:
            try:
                await self._storage.delete(key)
            except StorageError:
                log.warning("could not delete an object of a failed imported product")

    async def _record_failure(self, import_id: str, index: int, entry: Any, reason: str) -> None:
        item = entry if isinstance(entry, dict) else {}
        failure = ImportFailure(
            index=index + 1,
            title=_text(item.get("title")),
            sku=_text(item.get("sku")),
            reason=clip_message(reason, "Product could not be imported"),
        )
        now = self._clock.now()
        async with self._uow() as uow:
            record = await uow.imports.get_by_id(import_id)
            if record is None or record.next_index != index:
                return
            await uow.imports.update(
                msgspec.structs.replace(
                    record,
                    next_index=index + 1,
                    failures=(*record.failures, failure),
                    heartbeat_at=now,
                    updated_at=now,
                )
            )
            await uow.commit()

    async def _complete(self, import_id: str, total: int) -> None:
        now = self._clock.now()
        async with self._uow() as uow:
            record = await uow.imports.get_by_id(import_id)
            if record is None or record.status != ImportStatus.RUNNING:
                return
            await uow.imports.update(
                msgspec.structs.replace(
                    record,
                    status=ImportStatus.COMPLETED,
                    finished_at=now,
                    total_products=total,
                    imported_products=len(record.created_product_ids),
                    failed_products=len(record.failures),
                    updated_at=now,
                )
            )
            await uow.commit()

    async def _fail(self, import_id: str, code: str, detail: str = "") -> None:
        now = self._clock.now()
        message = f"Import failed: {code}" + (f": {detail}" if detail else "")
        async with self._uow() as uow:
            record = await uow.imports.get_by_id(import_id)
            if record is None:
                return
            await uow.imports.update(
                msgspec.structs.replace(
                    record,
                    status=ImportStatus.FAILED,
                    finished_at=now,
                    error_message=clip_message(message, "Import failed"),
                    error_code=code,
                    updated_at=now,
                )
            )
            await uow.commit()

"""Seller edits of a product: PATCH, DELETE, mark_sold, archive, unarchive (spec 20 §3.4-3.6).

Each is one unit of work over the product row read with its version; a concurrent writer
makes the version check fail and the operation runs again on the fresh rows. Product
deletion hands the storage keys of its images to a background job after the commit
(storage is never called inside a write transaction), best-effort.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import msgspec
from msgspec import UnsetType

from reseller_core.commands import NO_PROBLEMS, InputProblems
from reseller_core.commands.product_edits import ProductAction, UpdateProduct
from reseller_core.domain import state_machine
from reseller_core.domain.aggregate import ProductView
from reseller_core.domain.ids import parse_ulid
from reseller_core.domain.product_edits import (
    apply_external_urls,
    apply_fields,
    apply_publication,
    apply_status,
)
from reseller_core.domain.products import Product, check_seller_fields
from reseller_core.domain.users import User
from reseller_core.domain.validation import IS_INVALID, TAKEN, Errors
from reseller_core.errors import NotFound
from reseller_core.ports import Clock, IdFactory, TaskQueue, UnitOfWork, UnitOfWorkFactory
from reseller_core.services.config import CoreConfig
from reseller_core.services.conflicts import retrying
from reseller_core.services.storage_cleanup import queue_object_deletion

PRODUCT_NOT_FOUND = "Product not found"
Transition = Callable[[Product, datetime], Product]


async def owned_product(uow: UnitOfWork, user: User, product_id: str) -> Product:
    """The caller's product; unknown, foreign and malformed ids are all 404."""
    canonical = parse_ulid(product_id)
    product = await uow.products.get(user.id, canonical) if canonical else None
    if product is None:
        raise NotFound(PRODUCT_NOT_FOUND)
    return product


async def product_view(uow: UnitOfWork, user: User, product_id: str) -> ProductView:
    view = await uow.products.view(user.id, product_id)
    if view is None:
        raise NotFound(PRODUCT_NOT_FOUND)
    return view


class ProductEditService:
    """The seller's edits; allowed in every status (spec 20 §4.4)."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        queue: TaskQueue,
        clock: Clock,
        ids: IdFactory,
        config: CoreConfig,
    ) -> None:
        self._uow = uow
        self._queue = queue
        self._clock = clock
        self._ids = ids
        self._config = config

    async def update(
        self, user: User, command: UpdateProduct, problems: InputProblems = NO_PROBLEMS
    ) -> ProductView:
        """``PATCH /products/{id}``: fields, status, publication and listing URLs, atomically."""
        problems.raise_invalid_request()

        async def operation() -> ProductView:
            now = self._clock.now()
            async with self._uow() as uow:
                current = await owned_product(uow, user, command.product_id)
                errors = Errors()
                fields = check_seller_fields(
                    errors, command.fields, problems.fields, creating=False
                )
                await self._check_references(
                    uow, user, current, tab_id=fields.product_tab_id, sku=fields.sku, errors=errors
                )
                product = apply_fields(current, fields)
                if not errors.carry("status", problems.fields) and isinstance(command.status, str):
                    product = apply_status(errors, product, command.status, now)
                images = await uow.images.for_product(current.id)
                product = apply_publication(
                    errors,
                    product=product,
                    enabled=command.storefront_enabled,
                    images=images,
                    now=now,
                )
                listings = None
                if not errors.carry(
                    "marketplace_external_urls", problems.fields
                ) and not isinstance(command.marketplace_external_urls, UnsetType):
                    _, _, existing = await uow.products.artifacts(current.id)
                    listings = apply_external_urls(
                        errors,
                        listings=existing,
                        urls=command.marketplace_external_urls,
                        supported=self._config.supported_marketplaces,
                        new_id=self._ids.new_id,
                        now=now,
                    )
                errors.raise_if_any()
                if product != current or listings is not None:
                    product = msgspec.structs.replace(product, updated_at=now)
                    await uow.products.update(product, expected_version=current.version)
                if listings is not None:
                    await uow.products.save_listings(current.id, listings)
                view = await product_view(uow, user, current.id)
                await uow.commit()
            return view

        return await retrying(operation)

    @staticmethod
    async def _check_references(
        uow: UnitOfWork,
        user: User,
        product: Product,
        *,
        tab_id: object,
        sku: object,
        errors: Errors,
    ) -> None:
        """The tab is the seller's; the SKU is no other product's of the seller."""
        if (
            isinstance(tab_id, str)
            and "product_tab_id" not in errors.fields
            and await uow.tabs.get(user.id, tab_id) is None
        ):
            errors.add("product_tab_id", IS_INVALID)
        if isinstance(sku, str) and "sku" not in errors.fields:
            other = await uow.products.find_by_sku(user.id, sku)
            if other is not None and other.id != product.id:
                errors.add("sku", TAKEN)

    async def delete(self, user: User, command: ProductAction) -> None:
        """``DELETE /products/{id}``: the rows now, the storage objects (images, videos) in
        the background."""
        async with self._uow() as uow:
            product = await owned_product(uow, user, command.product_id)
            view = await uow.products.view(user.id, product.id)
            await uow.products.delete(product.id)
            await uow.commit()
        keys: list[str] = []
        if view is not None:
            keys = [i.storage_key for i in view.images] + [v.storage_key for v in view.videos]
        await queue_object_deletion(self._queue, keys)

    async def mark_sold(self, user: User, command: ProductAction) -> ProductView:
        return await self._transition(user, command, state_machine.mark_sold)

    async def archive(self, user: User, command: ProductAction) -> ProductView:
        return await self._transition(user, command, state_machine.archive)

    async def unarchive(self, user: User, command: ProductAction) -> ProductView:
        return await self._transition(user, command, state_machine.unarchive)

    async def _transition(
        self, user: User, command: ProductAction, transition: Transition
    ) -> ProductView:
        async def operation() -> ProductView:
            now = self._clock.now()
            async with self._uow() as uow:
                current = await owned_product(uow, user, command.product_id)
                product = transition(current, now)
                if product != current:
                    await uow.products.update(product, expected_version=current.version)
                view = await product_view(uow, user, current.id)
                await uow.commit()
            return view

        return await retrying(operation)

"""Image management (spec 30 §4.1-4.3): delete with its cascade, storefront flags, order.

Each is one unit of work: the images, the product status a deletion may change (A9) and,
through the unit of work, the product's stored document. A deletion hands the storage keys
of what it removed to a background job after the commit (storage is never called inside a
write transaction), best-effort.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from reseller_core.commands import NO_PROBLEMS, InputProblems
from reseller_core.commands.images import ImageRef, OrderStorefrontImages, SetImageStorefront
from reseller_core.domain import state_machine
from reseller_core.domain.aggregate import ProductView
from reseller_core.domain.ids import parse_ulid
from reseller_core.domain.images import ImageKind, ProductImage, deletion_cascade
from reseller_core.domain.products import Product
from reseller_core.domain.state_machine import Action
from reseller_core.domain.users import User
from reseller_core.domain.validation import Errors, greater_than, less_or_equal
from reseller_core.errors import NotFound, ValidationFailed
from reseller_core.ports import Clock, TaskQueue, UnitOfWork, UnitOfWorkFactory
from reseller_core.services.conflicts import retrying
from reseller_core.services.product_edits import product_view
from reseller_core.services.storage_cleanup import queue_object_deletion

IMAGE_NOT_FOUND = "Product image not found"
PRODUCT_OR_IMAGE_NOT_FOUND = "Product or image not found"
DUPLICATE_IMAGE_IDS = "contains duplicate image ids"
MAX_POSITION = 2**31 - 1
"""The largest position a database integer column holds on every engine."""


async def _owned_images(
    uow: UnitOfWork, user: User, product_id: str, not_found: str
) -> tuple[Product, list[ProductImage]]:
    """The caller's product and its images; an unknown, foreign or malformed id is 404."""
    canonical = parse_ulid(product_id)
    product = await uow.products.get(user.id, canonical) if canonical else None
    if product is None:
        raise NotFound(not_found)
    return product, await uow.images.for_product(product.id)


def _image(images: list[ProductImage], image_id: str, not_found: str) -> ProductImage:
    canonical = parse_ulid(image_id)
    found = next((image for image in images if image.id == canonical), None)
    if found is None:
        raise NotFound(not_found)
    return found


class ProductImageService:
    def __init__(self, *, uow: UnitOfWorkFactory, queue: TaskQueue, clock: Clock) -> None:
        self._uow = uow
        self._queue = queue
        self._clock = clock

    async def delete(self, user: User, command: ImageRef) -> ProductView:
        """§4.1: 404 before the status check; an original takes its variants and the
        generated images made from it; a product left without originals becomes draft."""

        async def operation() -> tuple[ProductView, list[str]]:
            now = self._clock.now()
            async with self._uow() as uow:
                product, images = await _owned_images(
                    uow, user, command.product_id, IMAGE_NOT_FOUND
                )
                image = _image(images, command.image_id, IMAGE_NOT_FOUND)
                state_machine.require(Action.DELETE_IMAGE, product.status)
                doomed = deletion_cascade(image, images)
                gone = {other.id for other in doomed}
                await uow.images.delete_many([other.id for other in doomed])
                remaining = sum(
                    1
                    for other in images
                    if other.kind == ImageKind.ORIGINAL and other.id not in gone
                )
                updated = state_machine.images_removed(product, remaining, now)
                if updated != product:
                    await uow.products.update(updated, expected_version=product.version)
                view = await product_view(uow, user, product.id)
                await uow.commit()
            return view, [other.storage_key for other in doomed]

        view, keys = await retrying(operation)
        await queue_object_deletion(self._queue, keys)
        return view

    async def set_storefront(
        self, user: User, command: SetImageStorefront, problems: InputProblems = NO_PROBLEMS
    ) -> ProductView:
        """§4.2: any status, any kind; neither field given changes nothing."""
        problems.raise_invalid_request()

        def change(images: list[ProductImage]) -> list[ProductImage]:
            image = _image(images, command.image_id, PRODUCT_OR_IMAGE_NOT_FOUND)
            errors = Errors()
            position = command.storefront_position
            unread = errors.carry("storefront_position", problems.fields)
            if not unread and isinstance(position, int) and position <= 0:
                errors.add("storefront_position", greater_than(0))
            elif not unread and isinstance(position, int) and position > MAX_POSITION:
                errors.add("storefront_position", less_or_equal(MAX_POSITION))
            errors.carry("storefront_visible", problems.fields)
            errors.raise_if_any()
            changes: dict[str, object] = {}
            if isinstance(command.storefront_visible, bool):
                changes["storefront_visible"] = command.storefront_visible
            if position is None or isinstance(position, int):
                changes["storefront_position"] = position
            updated = msgspec.structs.replace(image, **changes) if changes else image
            return [updated] if updated != image else []

        return await self._rewrite(user, command.product_id, change)

    async def order_storefront(
        self, user: User, command: OrderStorefrontImages, problems: InputProblems = NO_PROBLEMS
    ) -> ProductView:
        """§4.3: positions 1..N in list order, in one transaction; ``[]`` changes nothing."""
        problems.raise_invalid_request()

        def change(images: list[ProductImage]) -> list[ProductImage]:
            chosen = [
                _image(images, image_id, PRODUCT_OR_IMAGE_NOT_FOUND)
                for image_id in command.image_ids
            ]
            if len({image.id for image in chosen}) != len(chosen):
                raise ValidationFailed({"image_ids": [DUPLICATE_IMAGE_IDS]})
            return [
                msgspec.structs.replace(image, storefront_position=place)
                for place, image in enumerate(chosen, start=1)
                if image.storefront_position != place
            ]

        return await self._rewrite(user, command.product_id, change)

    async def _rewrite(
        self,
        user: User,
        product_id: str,
        change: Callable[[list[ProductImage]], list[ProductImage]],
    ) -> ProductView:
        """One unit of work: the caller's product and images, the images ``change``
        returns written (stamped now), the fresh view; run again on a concurrent write."""

        async def operation() -> ProductView:
            now = self._clock.now()
            async with self._uow() as uow:
                product, images = await _owned_images(
                    uow, user, product_id, PRODUCT_OR_IMAGE_NOT_FOUND
                )
                changed = change(images)
                if changed:
                    await uow.images.update_many(
                        [msgspec.structs.replace(image, updated_at=now) for image in changed]
                    )
                view = await product_view(uow, user, product.id)
                await uow.commit()
            return view

        return await retrying(operation)

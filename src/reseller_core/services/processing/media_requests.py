"""What the generated-media request services share: their ports and the ownership lookups.

Lifestyle (``lifestyle_requests``) and video (``video_requests``) requests both queue a run
on one of the caller's products and answer with the product's view; an unknown, foreign
or malformed product id is a 404 with the service's own detail.
"""

from __future__ import annotations

from reseller_core.domain.aggregate import ProductView
from reseller_core.domain.ids import parse_ulid
from reseller_core.domain.products import Product
from reseller_core.domain.users import User
from reseller_core.errors import NotFound
from reseller_core.ports import Clock, IdFactory, ObjectStorage, TaskQueue, UnitOfWork
from reseller_core.ports.unit_of_work import UnitOfWorkFactory
from reseller_core.services.config import CoreConfig

PRODUCT_NOT_FOUND = "Product not found"


class MediaRequests:
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

    async def _owned(self, uow: UnitOfWork, user: User, product_id: str, detail: str) -> Product:
        canonical = parse_ulid(product_id)
        product = await uow.products.get(user.id, canonical) if canonical else None
        if product is None:
            raise NotFound(detail)
        return product

    async def _view(self, uow: UnitOfWork, user: User, product_id: str) -> ProductView:
        view = await uow.products.view(user.id, product_id)
        if view is None:
            raise NotFound(PRODUCT_NOT_FOUND)
        return view

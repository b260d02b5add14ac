"""The answer to a repeated finalize: the run it already started (see ``repeated_requests``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from reseller_core.domain.aggregate import ProductView
from reseller_core.domain.images import ProductImage
from reseller_core.domain.products import Product
from reseller_core.domain.repeated_requests import repeats_latest_finalize
from reseller_core.domain.users import User
from reseller_core.ports import UnitOfWork
from reseller_core.services.results import FinalizeResult

ProductViewOf = Callable[[UnitOfWork, User, str], Awaitable[ProductView]]


async def answer_to_repeat(
    uow: UnitOfWork,
    user: User,
    product: Product,
    images: Sequence[ProductImage],
    listed: Sequence[str],
    *,
    now: datetime,
    view_of: ProductViewOf,
) -> FinalizeResult | None:
    """The latest run's answer when this finalize only repeats the one that started it.

    ``product`` (the caller's) and its ``images`` are as ``uow`` read them. Nothing is
    written and nothing metered. None when it is not a repeat (the finalize then goes
    through every check as usual; so does one that names no valid photo).
    """
    if not listed:
        return None
    latest = await uow.runs.latest_for_product(product.id)
    if latest is None or not repeats_latest_finalize(listed, images, latest, now):
        return None
    by_id = {image.id: image for image in images}
    view = await view_of(uow, user, product.id)
    return FinalizeResult(
        view=view, finalized_images=tuple(by_id[image_id] for image_id in listed), run=latest
    )

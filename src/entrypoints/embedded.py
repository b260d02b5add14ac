"""The embedding API: the ResellerIO use cases in-process, no HTTP.

    async with await ResellerCore.open("sqlite+aiosqlite:///./var/app.db", "./var") as core:
        issued = await core.register("seller@example.com", "a long password!")
        ...

Domain objects go in and come out (``User``, ``ProductView``, ``ProcessingRun``...); errors
are the :mod:`reseller_core.errors` hierarchy, each carrying its API ``code``.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Mapping, Sequence
from difflib import get_close_matches
from types import TracebackType
from typing import Any, Final, Self

import msgspec
from msgspec import UNSET, UnsetType

from reseller_core.commands import (
    ConfirmEmail,
    CreateProduct,
    FinalizeItem,
    FinalizeUploads,
    GetProduct,
    Login,
    Register,
    Reprocess,
    SellerFields,
    UpdateMe,
)
from reseller_core.commands.images import ImageRef, OrderStorefrontImages, SetImageStorefront
from reseller_core.commands.media import (
    GeneratedImageRef,
    GenerateLifestyle,
    GenerateVideo,
    VideoRef,
)
from reseller_core.commands.product_edits import ProductAction, UpdateProduct
from reseller_core.commands.tabs import SaveProductTab
from reseller_core.commands.transfers import ExportFilters, RequestExport, RequestImport
from reseller_core.domain.aggregate import ProductView
from reseller_core.domain.artifacts import DescriptionDraft, MarketplaceListing, PriceResearch
from reseller_core.domain.images import ProductImage
from reseller_core.domain.listing_query import parse_list_query
from reseller_core.domain.media_runs import LifestyleRun
from reseller_core.domain.products import ProductStatus, ProductTab
from reseller_core.domain.runs import ProcessingRun
from reseller_core.domain.transfers import Import
from reseller_core.domain.uploads import UploadIntent
from reseller_core.domain.users import IssuedToken, User
from reseller_core.domain.videos import ProductVideo, VideoRun
from reseller_core.errors import (
    DependencyUnavailable,
    DomainError,
    EmailNotConfirmed,
    InvalidProductState,
    InvalidUploads,
    LimitExceeded,
    NotFound,
    RateLimited,
    StorageUnavailable,
    Unauthorized,
    UploadSigningFailed,
    ValidationFailed,
)
from reseller_core.services.config import CoreConfig
from reseller_core.services.plans import UsageReport
from reseller_core.services.processing.lifestyle_requests import LifestyleResult
from reseller_core.services.processing.video_requests import VideoResult
from reseller_core.services.results import (
    FinalizeResult,
    ProductListResult,
    ProductWithUploads,
    ReprocessResult,
    ResendResult,
    UploadInstruction,
)
from reseller_core.services.storefront_public import PublicStorefrontService
from reseller_core.services.storefronts import StorefrontService
from reseller_core.services.transfers.exports import ExportPage, ExportView
from reseller_core.services.transfers.imports import ImportPage
from reseller_entrypoints.bootstrap import Container, build_container
from reseller_entrypoints.plugins import AdapterRegistry
from reseller_entrypoints.settings import Settings, load_settings

__all__ = [
    "DependencyUnavailable",
    "DescriptionDraft",
    "DomainError",
    "EmailNotConfirmed",
    "FinalizeResult",
    "InvalidProductState",
    "InvalidUploads",
    "IssuedToken",
    "LimitExceeded",
    "MarketplaceListing",
    "NotFound",
    "PriceResearch",
    "ProcessingRun",
    "ProductImage",
    "ProductListResult",
    "ProductStatus",
    "ProductVideo",
    "ProductView",
    "ProductWithUploads",
    "RateLimited",
    "ReprocessResult",
    "ResellerCore",
    "ResendResult",
    "SellerFields",
    "Settings",
    "StorageUnavailable",
    "Unauthorized",
    "UnknownOption",
    "UploadInstruction",
    "UploadIntent",
    "UploadSigningFailed",
    "UsageReport",
    "User",
    "ValidationFailed",
    "VideoResult",
    "VideoRun",
]
"""Everything an embedding application needs, importable from this one module."""

SETTING_NAMES: Final = frozenset(
    [f.name for f in msgspec.structs.fields(Settings) if f.name != "core"]
    + [f.name for f in msgspec.structs.fields(CoreConfig)]
)
"""What ``ResellerCore.open(**overrides)`` accepts: every setting, by field name."""

LIST_FILTERS: Final = frozenset(
    {"page", "page_size", "status", "query", "sort", "dir", "product_tab_id"}
    | {"updated_from", "updated_to"}
)
"""What ``ResellerCore.products(**filters)`` accepts: ``GET /products``'s query parameters."""


class UnknownOption(TypeError):
    """A keyword the embedding API does not know: a typo would otherwise be ignored."""


def _reject_unknown(kind: str, given: Mapping[str, object], valid: frozenset[str]) -> None:
    unknown = sorted(set(given) - valid)
    if not unknown:
        return
    hints = []
    for name in unknown:
        close = get_close_matches(name, sorted(valid), n=1)
        hints.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    raise UnknownOption(
        f"unknown {kind}{'s' if len(unknown) > 1 else ''} {', '.join(hints)}; "
        f"valid {kind}s: {', '.join(sorted(valid))}"
    )


SETTLED = frozenset(
    {
        ProductStatus.READY,
        ProductStatus.REVIEW,
        ProductStatus.DRAFT,
        ProductStatus.SOLD,
        ProductStatus.ARCHIVED,
    }
)


class ResellerCore:
    """An open ResellerIO core: database, storage, worker, and the use cases over them."""

    def __init__(self, container: Container) -> None:
        self._container = container

    @classmethod
    async def open(
        cls,
        database_url: str | None = None,
        data_dir: str = "./var",
        *,
        run_worker: bool = True,
        registry: AdapterRegistry | None = None,
        settings: Settings | None = None,
        **overrides: Any,
    ) -> Self:
        """Open the core on a database URL and a data directory (storage, outbox, keys).

        Other settings come from ``RESELLER_*`` variables, then ``overrides`` (any Settings
        or CoreConfig field, e.g. ``require_email_confirmation=False``). Migrations run on
        open; with ``run_worker`` the in-process worker processes runs in the background.
        """
        _reject_unknown("option", overrides, SETTING_NAMES)
        if settings is None:
            chosen: dict[str, object] = {"data_dir": data_dir}
            if database_url:
                chosen["database_url"] = database_url
            settings = load_settings(None, **chosen, **overrides)
        container = await build_container(settings, registry=registry)
        await container.start(run_worker=run_worker)
        return cls(container)

    @property
    def container(self) -> Container:
        return self._container

    async def close(self) -> None:
        await self._container.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- accounts ------------------------------------------------------------------------

    async def register(
        self,
        email: str,
        password: str,
        *,
        selected_marketplaces: Sequence[str] | None = None,
        device_name: str | None = None,
    ) -> IssuedToken:
        command = Register(
            email=email,
            password=password,
            device_name=device_name,
            selected_marketplaces=(
                tuple(selected_marketplaces) if selected_marketplaces is not None else None
            ),
        )
        return await self._container.services.accounts.register(command)

    async def login(self, email: str, password: str) -> IssuedToken:
        return await self._container.services.accounts.login(Login(email=email, password=password))

    async def authenticate(self, token: str) -> User:
        """The user a bearer token belongs to (Unauthorized when it is not live)."""
        auth = await self._container.services.accounts.authenticate(f"Bearer {token}")
        return auth.user

    async def confirm(self, token: str) -> User:
        return await self._container.services.accounts.confirm(ConfirmEmail(token=token))

    async def confirm_email(self, email: str) -> User:
        """Confirm an address directly (operator action; no token)."""
        return await self._container.services.accounts.confirm_email(email)

    async def resend_confirmation(self, user: User) -> ResendResult:
        return await self._container.services.accounts.resend_confirmation(user)

    async def user(self, user_id: str) -> User:
        return await self._container.services.accounts.me(user_id)

    async def usage(self, user: User) -> UsageReport:
        """This month's usage, the limits that apply and the add-on credits (``GET /me/usage``)."""
        return await self._container.services.plans.usage(user.id)

    async def set_plan(
        self, email: str, plan: str, *, trial_days: int | None = None, period: str | None = None
    ) -> User:
        """Operator action: put a user on a plan (``reseller users set-plan``)."""
        return await self._container.services.plans.set_plan(
            email, plan, trial_days=trial_days, period=period
        )

    async def add_credits(self, email: str, operation: str, amount: int) -> User:
        """Operator action: grant add-on credits (``reseller users add-credits``)."""
        return await self._container.services.plans.add_credits(email, operation, amount)

    async def set_marketplaces(self, user: User, marketplaces: Sequence[str]) -> User:
        return await self._container.services.accounts.update_me(
            user, UpdateMe(selected_marketplaces=tuple(marketplaces))
        )

    # -- products ------------------------------------------------------------------------

    async def create_product(
        self,
        user: User,
        fields: SellerFields | None = None,
        uploads: Sequence[UploadIntent] = (),
    ) -> ProductWithUploads:
        if fields is not None and not isinstance(fields, SellerFields):
            raise TypeError("fields must be a reseller_core.commands.SellerFields")
        command = CreateProduct(product=fields, uploads=tuple(uploads))
        return await self._container.services.products.create(await self._fresh(user), command)

    async def upload(self, instruction: UploadInstruction, data: bytes) -> None:
        """Store the bytes for an upload instruction directly (no signed URL round trip)."""
        content_type = instruction.headers.get("content-type", "application/octet-stream")
        await self._container.deps.storage.put(
            instruction.storage_key, data, content_type=content_type
        )

    async def finalize_uploads(
        self, user: User, product_id: str, image_ids: Sequence[str]
    ) -> FinalizeResult:
        command = FinalizeUploads(
            product_id=product_id,
            uploads=tuple(FinalizeItem(id=image_id) for image_id in image_ids),
        )
        return await self._container.services.products.finalize_uploads(
            await self._fresh(user), command
        )

    async def reprocess(self, user: User, product_id: str) -> ReprocessResult:
        return await self._container.services.products.reprocess(
            await self._fresh(user), Reprocess(product_id=product_id)
        )

    # -- lifestyle media (spec 30 §8) ----------------------------------------------------

    async def generate_lifestyle_images(
        self, user: User, product_id: str, scene_key: str | None = None
    ) -> LifestyleResult:
        """Queue a lifestyle run (every scene of the family, or only ``scene_key``)."""
        command = GenerateLifestyle(product_id=product_id, scene_key=scene_key)
        return await self._container.services.lifestyle.generate(await self._fresh(user), command)

    async def lifestyle_generation_runs(self, user: User, product_id: str) -> list[LifestyleRun]:
        return await self._container.services.lifestyle.runs(user, product_id)

    async def approve_generated_image(
        self, user: User, product_id: str, image_id: str
    ) -> ProductView:
        ref = GeneratedImageRef(product_id=product_id, image_id=image_id)
        return await self._container.services.lifestyle.approve(user, ref)

    async def delete_generated_image(
        self, user: User, product_id: str, image_id: str
    ) -> ProductView:
        ref = GeneratedImageRef(product_id=product_id, image_id=image_id)
        return await self._container.services.lifestyle.delete(user, ref)

    # -- marketplace videos (spec 30 §9) -------------------------------------------------

    async def generate_marketplace_video(
        self,
        user: User,
        product_id: str,
        marketplace: str,
        *,
        duration_seconds: int | None = None,
        aspect_ratio: str | None = None,
    ) -> VideoResult:
        """Queue a video run for ``marketplace`` (5-30 s, default 10; ``9:16``, ``1:1`` or
        ``4:5``, default ``9:16``); the worker renders it and replaces that marketplace's
        video."""
        command = GenerateVideo(
            product_id=product_id,
            marketplace=marketplace,
            duration_seconds=duration_seconds,
            aspect_ratio=aspect_ratio,
        )
        return await self._container.services.videos.generate(await self._fresh(user), command)

    async def video_generation_runs(self, user: User, product_id: str) -> list[VideoRun]:
        return await self._container.services.videos.runs(user, product_id)

    async def delete_video(self, user: User, product_id: str, video_id: str) -> ProductView:
        ref = VideoRef(product_id=product_id, video_id=video_id)
        return await self._container.services.videos.delete(user, ref)

    async def product(self, user: User, product_id: str) -> ProductView:
        return await self._container.services.products.get(user, GetProduct(product_id=product_id))

    async def products(self, user: User, **filters: str | int) -> ProductListResult:
        """List products; filters are the query parameters of ``GET /products``."""
        _reject_unknown("filter", filters, LIST_FILTERS)
        params = {key: str(value) for key, value in filters.items()}
        return await self._container.services.products.list(user, parse_list_query(params))

    # -- product edits and lifecycle (spec 20 §3.4-3.6) ----------------------------------

    async def update_product(
        self,
        user: User,
        product_id: str,
        fields: SellerFields | None = None,
        *,
        status: str | UnsetType = UNSET,
        storefront_enabled: bool | UnsetType = UNSET,
        marketplace_external_urls: dict[str, str | None] | UnsetType = UNSET,
    ) -> ProductView:
        """``PATCH /products/{id}``: only what is given changes, in one transaction."""
        command = UpdateProduct(
            product_id=product_id,
            fields=fields or SellerFields(),
            status=status,
            storefront_enabled=storefront_enabled,
            marketplace_external_urls=marketplace_external_urls,
        )
        return await self._container.services.edits.update(user, command)

    async def delete_product(self, user: User, product_id: str) -> None:
        await self._container.services.edits.delete(user, ProductAction(product_id=product_id))

    async def mark_sold(self, user: User, product_id: str) -> ProductView:
        return await self._container.services.edits.mark_sold(
            user, ProductAction(product_id=product_id)
        )

    async def archive(self, user: User, product_id: str) -> ProductView:
        return await self._container.services.edits.archive(
            user, ProductAction(product_id=product_id)
        )

    async def unarchive(self, user: User, product_id: str) -> ProductView:
        return await self._container.services.edits.unarchive(
            user, ProductAction(product_id=product_id)
        )

    # -- product images (spec 30 §4.1-4.3) -------------------------------------------------

    async def delete_image(self, user: User, product_id: str, image_id: str) -> ProductView:
        """Delete an image (an original takes its variants and generated images with it)."""
        ref = ImageRef(product_id=product_id, image_id=image_id)
        return await self._container.services.images.delete(user, ref)

    async def set_image_storefront(
        self,
        user: User,
        product_id: str,
        image_id: str,
        *,
        visible: bool | UnsetType = UNSET,
        position: int | UnsetType | None = UNSET,
    ) -> ProductView:
        """An image's public gallery flags; only what is given changes (None clears)."""
        command = SetImageStorefront(
            product_id=product_id,
            image_id=image_id,
            storefront_visible=visible,
            storefront_position=position,
        )
        return await self._container.services.images.set_storefront(user, command)

    async def order_storefront_images(
        self, user: User, product_id: str, image_ids: Sequence[str]
    ) -> ProductView:
        """Gallery positions 1..N in the order of ``image_ids`` (images of this product)."""
        command = OrderStorefrontImages(product_id=product_id, image_ids=tuple(image_ids))
        return await self._container.services.images.order_storefront(user, command)

    # -- product tabs (spec 20 §1) ---------------------------------------------------------

    async def product_tabs(self, user: User) -> list[ProductTab]:
        return await self._container.services.tabs.list(user)

    async def create_product_tab(
        self, user: User, name: str, *, position: int | None = None
    ) -> ProductTab:
        command = SaveProductTab(name=name, position=position)
        return await self._container.services.tabs.create(user, command)

    async def update_product_tab(
        self,
        user: User,
        tab_id: str,
        *,
        name: str | UnsetType = UNSET,
        position: int | UnsetType = UNSET,
    ) -> ProductTab:
        command = SaveProductTab(name=name, position=position)
        return await self._container.services.tabs.update(user, tab_id, command)

    async def delete_product_tab(self, user: User, tab_id: str) -> None:
        """Delete the tab; its products are kept without a tab."""
        await self._container.services.tabs.delete(user, tab_id)

    @property
    def storefronts(self) -> StorefrontService:
        """The seller's storefront, pages, branding assets and inquiries (spec 40 §5, §8):
        the operations behind ``/api/v1/storefront*`` and ``/api/v1/inquiries*``."""
        return self._container.services.storefronts

    @property
    def public_storefront(self) -> PublicStorefrontService:
        """What a buyer sees and sends (spec 40 §6, §7): catalogue, product, page, inquiry."""
        return self._container.services.public_store

    async def wait_until_settled(
        self, user: User, product_id: str, *, timeout: float = 60.0, poll: float = 0.05
    ) -> ProductView:
        """Poll until the product leaves ``uploading``/``processing`` (or time runs out)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            view = await self.product(user, product_id)
            if view.product.status in SETTLED:
                return view
            if loop.time() >= deadline:
                raise TimeoutError(f"product {product_id} still {view.product.status}")
            await asyncio.sleep(poll)

    async def read_image(self, image: ProductImage) -> bytes:
        return await self._container.deps.storage.get(image.storage_key)

    # -- exports and imports (spec 50) ---------------------------------------------------

    async def request_export(
        self, user: User, *, name: str | None = None, **filters: str
    ) -> ExportView:
        """Queue an export; ``filters`` are those of ``POST /exports`` (bad values dropped)."""
        _reject_unknown("filter", filters, frozenset(ExportFilters.__struct_fields__))
        command = RequestExport(name=name, filters=ExportFilters(**filters))
        return await self._container.services.exports.request(user, command)

    async def export(self, user: User, export_id: str) -> ExportView:
        return await self._container.services.exports.get(user, export_id)

    async def exports(self, user: User, *, page: int = 1, page_size: int = 20) -> ExportPage:
        return await self._container.services.exports.list(user, page=page, page_size=page_size)

    def read_export(self, view: ExportView) -> AsyncIterator[bytes]:
        """The completed export's archive, streamed from storage."""
        if view.export.storage_key is None:
            raise NotFound("Export archive not available")
        return self._container.deps.storage.stream(view.export.storage_key)

    async def request_import(self, user: User, filename: str, archive: bytes) -> Import:
        """Queue an import of ``archive`` (the ZIP's bytes); the same checks as the API."""
        command = RequestImport(
            filename=filename, archive_base64=base64.b64encode(archive).decode("ascii")
        )
        return await self._container.services.imports.request(await self._fresh(user), command)

    async def import_record(self, user: User, import_id: str) -> Import:
        return await self._container.services.imports.get(user, import_id)

    async def imports(self, user: User, *, page: int = 1, page_size: int = 20) -> ImportPage:
        return await self._container.services.imports.list(user, page=page, page_size=page_size)

    async def _fresh(self, user: User) -> User:
        """Use cases check the write gate on the current user row, not a stale copy."""
        return await self._container.services.accounts.me(user.id)

"""The seller's storefront (spec 40 §5): settings, pages, their order, branding assets,
and the inquiries buyers left (§8).

Every write is one unit of work. Presigning an asset upload talks to storage, so it happens
after validation and before the unit of work that writes the asset row opens.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import msgspec
from msgspec import UnsetType

from reseller_core.commands.problems import NO_PROBLEMS, InputProblems
from reseller_core.commands.storefronts import (
    InquiryFilters,
    PrepareAsset,
    ReorderPages,
    SavePage,
    SaveStorefront,
)
from reseller_core.domain.ids import parse_ulid
from reseller_core.domain.storefronts import (
    ASSET_CONTENT_TYPES,
    ASSET_KINDS,
    ASSET_MAX_BYTES,
    CURRENCY_DEFAULT,
    FILENAME_MAX,
    PAGE_SLUG_MIN,
    SLUG_MAX,
    Inquiry,
    Storefront,
    StorefrontAsset,
    StorefrontPage,
    asset_object_problem,
    asset_storage_key,
    check_page,
    check_storefront,
    normalise_slug,
    trimmed,
)
from reseller_core.domain.themes import DEFAULT_THEME_ID
from reseller_core.domain.users import User
from reseller_core.domain.validation import (
    IS_INVALID,
    TAKEN,
    Errors,
    greater_than,
    has_unstorable_characters,
    less_or_equal,
    too_long,
)
from reseller_core.errors import (
    Conflict,
    EmailNotConfirmed,
    NotFound,
    ReorderFailed,
    StorefrontNotFound,
    ValidationFailed,
)
from reseller_core.ports import Clock, IdFactory, ObjectStorage, TaskQueue
from reseller_core.ports.storage import SignedUpload
from reseller_core.ports.storefronts import InquiryQuery
from reseller_core.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from reseller_core.services.config import CoreConfig
from reseller_core.services.storage_cleanup import queue_object_deletion

PAGE_NOT_FOUND = "Storefront page not found"
log = logging.getLogger(__name__)

ASSET_NOT_FOUND = "Storefront asset not found"
INQUIRY_NOT_FOUND = "Inquiry not found"
NO_STOREFRONT_FOR_ASSETS = "Save storefront details before uploading branding assets"
MAX_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class StorefrontView:
    """The seller's storefront (None before the first save), its assets and all its pages."""

    storefront: Storefront | None
    assets: list[StorefrontAsset]
    pages: list[StorefrontPage]


@dataclass(frozen=True, slots=True)
class PreparedAsset:
    asset: StorefrontAsset
    upload: SignedUpload


@dataclass(frozen=True, slots=True)
class InquiryPage:
    inquiries: list[Inquiry]
    page: int
    page_size: int
    total_count: int


def _given(value: object) -> bool:
    return not isinstance(value, UnsetType)


class StorefrontService:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        reader: UnitOfWorkFactory,
        storage: ObjectStorage,
        queue: TaskQueue,
        clock: Clock,
        ids: IdFactory,
        config: CoreConfig,
    ) -> None:
        self._uow = uow
        self._reader = reader
        self._storage = storage
        self._queue = queue
        self._clock = clock
        self._ids = ids
        self._config = config

    # --- the storefront ----------------------------------------------------------------

    async def get(self, user: User) -> StorefrontView:
        """The seller's storefront; branding uploads that landed since are verified first.

        The client flow is prepare, ``PUT``, then this read (spec 40 §5.9), so this is where
        an asset's object is checked (decision 40-4) before the public storefront shows it.
        """
        async with self._reader() as uow:
            view = await self._view(uow, user.id)
        if any(asset.verified_at is None for asset in view.assets):
            view = await self._verify_assets(user, view)
        return view

    async def _verify_assets(self, user: User, view: StorefrontView) -> StorefrontView:
        """``HEAD`` each unverified asset's object (outside any transaction), then mark the
        acceptable ones verified; an unacceptable object is deleted in the background."""
        accepted: dict[str, StorefrontAsset] = {}
        rejected: list[str] = []
        now = self._clock.now()
        for asset in view.assets:
            if asset.verified_at is not None:
                continue
            info = await self._storage.head(asset.storage_key)
            if info is None:
                continue  # not uploaded yet
            problem = asset_object_problem(asset, info.size, info.content_type)
            if problem is None:
                accepted[asset.storage_key] = msgspec.structs.replace(
                    asset, byte_size=info.size, verified_at=now
                )
            else:
                log.warning("branding asset %s refused: the uploaded object %s", asset.id, problem)
                rejected.append(asset.storage_key)
        if accepted:
            async with self._uow() as uow:
                storefront = await uow.storefronts.for_user(user.id)
                current = await uow.storefronts.assets(storefront.id) if storefront else []
                for asset in current:  # unless replaced meanwhile (another storage key)
                    if asset.storage_key in accepted:
                        await uow.storefronts.save_asset(accepted[asset.storage_key])
                await uow.commit()
            async with self._reader() as uow:
                view = await self._view(uow, user.id)
        await queue_object_deletion(self._queue, rejected)
        return view

    @staticmethod
    async def _view(uow: UnitOfWork, user_id: str) -> StorefrontView:
        storefront = await uow.storefronts.for_user(user_id)
        if storefront is None:
            return StorefrontView(storefront=None, assets=[], pages=[])
        assets = await uow.storefronts.assets(storefront.id)
        pages = await uow.storefronts.pages(storefront.id)
        return StorefrontView(storefront=storefront, assets=assets, pages=pages)

    async def save(
        self, user: User, command: SaveStorefront, problems: InputProblems = NO_PROBLEMS
    ) -> StorefrontView:
        """Create or merge (spec 40 §5.3); the merged record is validated whole."""
        problems.raise_invalid_request()
        now = self._clock.now()
        async with self._uow() as uow:
            current = await uow.storefronts.for_user(user.id)
            merged = self._merged(user, current, command, now)
            errors = Errors()
            check_storefront(errors, merged)
            for field in problems.fields:  # the edge's message replaces the rule's
                errors.carry(field, problems.fields)
            if "slug" not in errors.fields and await uow.storefronts.slug_taken(
                merged.slug, merged.id
            ):
                errors.add("slug", TAKEN)
            errors.raise_if_any()
            try:
                if current is None:
                    await uow.storefronts.add(merged)
                else:
                    await uow.storefronts.update(merged)
            except Conflict as exc:
                raise ValidationFailed({"slug": [TAKEN]}) from exc
            await uow.commit()
            return await self._view(uow, user.id)

    def _merged(
        self, user: User, current: Storefront | None, command: SaveStorefront, now: datetime
    ) -> Storefront:
        base = current or Storefront(
            id=self._ids.new_id(), user_id=user.id, slug="", title="", inserted_at=now,
            updated_at=now,
        )  # fmt: skip
        changes: dict[str, object] = {"updated_at": now}
        if _given(command.slug):
            changes["slug"] = normalise_slug(command.slug or None, SLUG_MAX) or ""
        for name in ("title", "tagline", "description"):
            value = getattr(command, name)
            if _given(value):
                changes[name] = trimmed(value) or ("" if name == "title" else None)
        if _given(command.theme_id):
            changes["theme_id"] = trimmed(command.theme_id) or DEFAULT_THEME_ID
        if _given(command.currency):
            changes["currency"] = (trimmed(command.currency) or CURRENCY_DEFAULT).upper()
        if _given(command.enabled):
            changes["enabled"] = command.enabled
        return msgspec.structs.replace(base, **changes)

    # --- pages -------------------------------------------------------------------------

    async def pages(self, user: User) -> list[StorefrontPage]:
        return (await self.get(user)).pages

    async def create_page(
        self, user: User, command: SavePage, problems: InputProblems = NO_PROBLEMS
    ) -> StorefrontPage:
        problems.raise_invalid_request()
        now = self._clock.now()
        async with self._uow() as uow:
            storefront = await uow.storefronts.for_user(user.id)
            if storefront is None:
                raise StorefrontNotFound()
            existing = await uow.storefronts.pages(storefront.id)
            title = trimmed(command.title or None) or ""
            slug_source = command.slug if _given(command.slug) and trimmed(command.slug) else title
            label = command.menu_label if _given(command.menu_label) else None
            page = StorefrontPage(
                id=self._ids.new_id(),
                storefront_id=storefront.id,
                title=title,
                slug=normalise_slug(slug_source if isinstance(slug_source, str) else "") or "",
                menu_label=trimmed(label) or title,
                body=trimmed(command.body or None) or "",
                position=(
                    command.position
                    if isinstance(command.position, int)
                    else max((p.position for p in existing), default=0) + 1
                ),
                published=command.published if isinstance(command.published, bool) else False,
                inserted_at=now,
                updated_at=now,
            )
            await self._write_page(uow, page, existing, problems, new=True)
            await uow.commit()
            return page

    async def update_page(
        self, user: User, page_id: str, command: SavePage, problems: InputProblems = NO_PROBLEMS
    ) -> StorefrontPage:
        problems.raise_invalid_request()
        now = self._clock.now()
        async with self._uow() as uow:
            _storefront, existing, current = await self._owned_page(uow, user, page_id)
            changes: dict[str, object] = {"updated_at": now}
            if _given(command.title):
                changes["title"] = trimmed(command.title) or ""
            if _given(command.slug):
                changes["slug"] = normalise_slug(command.slug or None) or ""
            if _given(command.body):
                changes["body"] = trimmed(command.body) or ""
            if isinstance(command.published, bool):
                changes["published"] = command.published
            if isinstance(command.position, int):
                changes["position"] = command.position
            page = msgspec.structs.replace(current, **changes)
            if _given(command.menu_label):
                page = msgspec.structs.replace(
                    page, menu_label=trimmed(command.menu_label) or page.title
                )
            await self._write_page(uow, page, existing, problems, new=False)
            await uow.commit()
            return page

    async def _write_page(
        self,
        uow: UnitOfWork,
        page: StorefrontPage,
        existing: list[StorefrontPage],
        problems: InputProblems,
        *,
        new: bool,
    ) -> None:
        errors = Errors()
        check_page(errors, page)
        for field in problems.fields:
            errors.carry(field, problems.fields)
        if (
            page.slug
            and "slug" not in errors.fields
            and len(page.slug) >= PAGE_SLUG_MIN
            and any(other.slug == page.slug and other.id != page.id for other in existing)
        ):
            errors.add("slug", TAKEN)
        errors.raise_if_any()
        try:
            await (uow.storefronts.add_page(page) if new else uow.storefronts.update_page(page))
        except Conflict as exc:
            raise ValidationFailed({"slug": [TAKEN]}) from exc

    async def _owned_page(
        self, uow: UnitOfWork, user: User, page_id: str
    ) -> tuple[Storefront, list[StorefrontPage], StorefrontPage]:
        wanted = parse_ulid(page_id)
        storefront = await uow.storefronts.for_user(user.id)
        if storefront is None or wanted is None:
            raise NotFound(PAGE_NOT_FOUND)
        existing = await uow.storefronts.pages(storefront.id)
        current = next((page for page in existing if page.id == wanted), None)
        if current is None:
            raise NotFound(PAGE_NOT_FOUND)
        return storefront, existing, current

    async def delete_page(self, user: User, page_id: str) -> None:
        async with self._uow() as uow:
            _, _, page = await self._owned_page(uow, user, page_id)
            await uow.storefronts.delete_page(page.id)
            await uow.commit()

    async def reorder_pages(self, user: User, command: ReorderPages) -> list[StorefrontPage]:
        """Spec 40 §5.8 with decision 13: a non-empty list names every page exactly once."""
        parsed = [parse_ulid(page_id) for page_id in command.page_ids]
        if any(page_id is None for page_id in parsed):
            raise ValidationFailed({"page_ids": ["contains an invalid id"]})
        wanted = [page_id for page_id in parsed if page_id is not None]
        if len(set(wanted)) != len(wanted):
            raise ReorderFailed()
        async with self._uow() as uow:
            storefront = await uow.storefronts.for_user(user.id)
            existing = await uow.storefronts.pages(storefront.id) if storefront else []
            if not wanted:
                return existing
            known = {page.id for page in existing}
            # Decision 40-13: a list naming a page the caller does not own (unknown or
            # foreign alike) does not list every page exactly once: 422, like a partial list.
            if set(wanted) != known:
                raise ValidationFailed({"page_ids": ["must list every page exactly once"]})
            await uow.storefronts.set_positions(
                {page_id: index for index, page_id in enumerate(wanted, start=1)}
            )
            pages = await uow.storefronts.pages(storefront.id) if storefront else []
            await uow.commit()
            return pages

    # --- branding assets ---------------------------------------------------------------

    async def prepare_asset(
        self, user: User, kind: str, command: PrepareAsset, problems: InputProblems = NO_PROBLEMS
    ) -> PreparedAsset:
        """Spec 40 §5.9: validate, then presign, then upsert the row (the id is kept)."""
        if self._config.require_email_confirmation and user.confirmed_at is None:
            raise EmailNotConfirmed()
        problems.raise_invalid_request()
        async with self._reader() as uow:
            storefront = await uow.storefronts.for_user(user.id)
        if storefront is None:
            raise StorefrontNotFound(NO_STOREFRONT_FOR_ASSETS)
        kind = kind.strip().lower()
        content_type = command.content_type.strip().lower()
        content_type = "image/jpeg" if content_type == "image/jpg" else content_type
        self._check_asset(kind, content_type, command, problems)
        now = self._clock.now()
        key = asset_storage_key(
            user.id, storefront.id, kind, uuid.uuid4().hex, ASSET_CONTENT_TYPES[content_type]
        )
        upload = await self._storage.sign_upload(
            key,
            content_type=content_type,
            max_bytes=command.byte_size or ASSET_MAX_BYTES,
            expires_at=now + timedelta(seconds=self._config.upload_url_ttl_s),
        )
        async with self._uow() as uow:
            if await uow.storefronts.for_user(user.id) is None:
                raise StorefrontNotFound(NO_STOREFRONT_FOR_ASSETS)
            current = next(
                (a for a in await uow.storefronts.assets(storefront.id) if a.kind == kind), None
            )
            asset = StorefrontAsset(
                id=current.id if current else self._ids.new_id(),
                storefront_id=storefront.id,
                kind=kind,
                storage_key=key,
                content_type=content_type,
                original_filename=command.filename.strip() or "asset",
                width=command.width,
                height=command.height,
                byte_size=command.byte_size,
                checksum=trimmed(command.checksum),
                inserted_at=current.inserted_at if current else now,
                updated_at=now,
            )
            await uow.storefronts.save_asset(asset)
            await uow.commit()
        if current is not None:  # decision 40-4: the replaced object goes, in the background
            await queue_object_deletion(self._queue, [current.storage_key])
        return PreparedAsset(asset=asset, upload=upload)

    @staticmethod
    def _check_asset(
        kind: str, content_type: str, command: PrepareAsset, problems: InputProblems
    ) -> None:
        errors = Errors()
        if kind not in ASSET_KINDS:
            errors.add("kind", "is invalid")
        if not errors.carry("content_type", problems.fields):
            if not content_type.startswith("image/"):
                errors.add("content_type", "must be an image content type")
            elif content_type not in ASSET_CONTENT_TYPES:
                errors.add("content_type", "must be image/jpeg, image/png or image/webp")
        if not errors.carry("filename", problems.fields):
            if has_unstorable_characters(command.filename):
                errors.add("filename", IS_INVALID)
            elif len(command.filename) > FILENAME_MAX:
                errors.add("filename", too_long(FILENAME_MAX))
        for name, maximum in (
            ("byte_size", ASSET_MAX_BYTES),
            ("width", 65_535),
            ("height", 65_535),
        ):
            if errors.carry(name, problems.fields):
                continue
            value = getattr(command, name)
            if value is not None and value <= 0:
                errors.add(name, greater_than(0))
            elif value is not None and value > maximum:
                errors.add(name, less_or_equal(maximum))
        if not errors.carry("checksum", problems.fields):
            if has_unstorable_characters(command.checksum or ""):
                errors.add("checksum", IS_INVALID)
            elif len(command.checksum or "") > 128:
                errors.add("checksum", too_long(128))
        errors.raise_if_any()

    async def delete_asset(self, user: User, kind: str) -> None:
        async with self._uow() as uow:
            storefront = await uow.storefronts.for_user(user.id)
            wanted = kind.strip().lower()
            assets = await uow.storefronts.assets(storefront.id) if storefront else []
            found = next((asset for asset in assets if asset.kind == wanted), None)
            if found is None:
                raise NotFound(ASSET_NOT_FOUND)
            await uow.storefronts.delete_asset(found.id)
            await uow.commit()
        await queue_object_deletion(self._queue, [found.storage_key])

    # --- inquiries ---------------------------------------------------------------------

    async def inquiries(self, user: User, filters: InquiryFilters) -> InquiryPage:
        page = filters.page if filters.page >= 1 else 1
        size = min(filters.page_size, MAX_PAGE_SIZE) if filters.page_size >= 1 else 20
        async with self._reader() as uow:
            storefront = await uow.storefronts.for_user(user.id)
            if storefront is None:
                return InquiryPage(inquiries=[], page=page, page_size=size, total_count=0)
            rows, total = await uow.storefronts.inquiries(
                storefront.id,
                InquiryQuery(text=trimmed(filters.q), offset=(page - 1) * size, limit=size),
            )
        return InquiryPage(inquiries=rows, page=page, page_size=size, total_count=total)

    async def delete_inquiry(self, user: User, inquiry_id: str) -> None:
        wanted = parse_ulid(inquiry_id)
        async with self._uow() as uow:
            storefront = await uow.storefronts.for_user(user.id)
            if storefront is None or wanted is None:
                raise NotFound(INQUIRY_NOT_FOUND)
            if not await uow.storefronts.delete_inquiry(storefront.id, wanted):
                raise NotFound(INQUIRY_NOT_FOUND)
            await uow.commit()

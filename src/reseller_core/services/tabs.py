"""Product tabs (spec 20 §1, decision Q-P9): list, create, update, delete.

Each write reads the seller's tabs and writes in one unit of work, so the name check
(unique ignoring case) and the 50-tab cap see the same rows the write goes into; the
database's unique index on (user, lower(name)) backs the name rule against a concurrent
create, answered as the same 422.
"""

from __future__ import annotations

from collections.abc import Awaitable

import msgspec
from msgspec import UnsetType

from reseller_core.commands import NO_PROBLEMS, InputProblems
from reseller_core.commands.tabs import SaveProductTab
from reseller_core.domain.ids import parse_ulid
from reseller_core.domain.products import ProductTab
from reseller_core.domain.tabs import (
    MAX_TABS_PER_USER,
    check_position,
    check_tab_name,
    check_unique,
    next_position,
)
from reseller_core.domain.users import User
from reseller_core.domain.validation import TAKEN, Errors, too_many_items
from reseller_core.errors import Conflict, NotFound, ValidationFailed
from reseller_core.ports import Clock, IdFactory, UnitOfWork, UnitOfWorkFactory

TAB_NOT_FOUND = "Product tab not found"


class ProductTabService:
    """The tab use cases; tabs only organise the seller's own list."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        reader: UnitOfWorkFactory | None = None,
        clock: Clock,
        ids: IdFactory,
    ) -> None:
        self._uow = uow
        self._reader = reader or uow
        self._clock = clock
        self._ids = ids

    async def list(self, user: User) -> list[ProductTab]:
        async with self._reader() as uow:
            return await uow.tabs.list(user.id)

    async def create(
        self, user: User, command: SaveProductTab, problems: InputProblems = NO_PROBLEMS
    ) -> ProductTab:
        problems.raise_invalid_request()
        now = self._clock.now()
        async with self._uow() as uow:
            tabs = await uow.tabs.list(user.id)
            errors = Errors()
            name = None
            if not errors.carry("name", problems.fields):
                name = check_tab_name(errors, command.name)
            position = _position(errors, problems, command)
            if name is not None:
                check_unique(errors, name, None, tabs)
            if len(tabs) >= MAX_TABS_PER_USER:
                errors.add("product_tabs", too_many_items(MAX_TABS_PER_USER))
            errors.raise_if_any()
            assert name is not None
            tab = ProductTab(
                id=self._ids.new_id(),
                user_id=user.id,
                name=name,
                position=position if position is not None else next_position(tabs),
                created_at=now,
                updated_at=now,
            )
            await _taken_as_422(uow.tabs.add(tab))
            await uow.commit()
        return tab

    async def update(
        self,
        user: User,
        tab_id: str,
        command: SaveProductTab,
        problems: InputProblems = NO_PROBLEMS,
    ) -> ProductTab:
        problems.raise_invalid_request()
        now = self._clock.now()
        async with self._uow() as uow:
            current = await self._owned(uow, user, tab_id)
            tabs = await uow.tabs.list(user.id)
            errors = Errors()
            changes: dict[str, object] = {}
            if not errors.carry("name", problems.fields) and not isinstance(
                command.name, UnsetType
            ):
                name = check_tab_name(errors, command.name)
                if name is not None:
                    check_unique(errors, name, current.id, tabs)
                    changes["name"] = name
            position = _position(errors, problems, command)
            if position is not None:
                changes["position"] = position
            errors.raise_if_any()
            tab = current
            if changes:
                tab = msgspec.structs.replace(current, **changes, updated_at=now)
                await _taken_as_422(uow.tabs.update(tab))
                await uow.commit()
        return tab

    async def delete(self, user: User, tab_id: str) -> None:
        """Delete the tab; its products stay, unassigned (spec 20 §1.2)."""
        async with self._uow() as uow:
            tab = await self._owned(uow, user, tab_id)
            await uow.tabs.delete(user.id, tab.id)
            await uow.commit()

    @staticmethod
    async def _owned(uow: UnitOfWork, user: User, tab_id: str) -> ProductTab:
        canonical = parse_ulid(tab_id)
        tab = await uow.tabs.get(user.id, canonical) if canonical else None
        if tab is None:
            raise NotFound(TAB_NOT_FOUND)
        return tab


def _position(errors: Errors, problems: InputProblems, command: SaveProductTab) -> int | None:
    """The checked position, or None when absent, null or unreadable (then reported)."""
    if errors.carry("position", problems.fields) or not isinstance(command.position, int):
        return None
    check_position(errors, command.position)
    return command.position


async def _taken_as_422(write: Awaitable[None]) -> None:
    """A concurrent create/rename of the same name loses at the unique index: 422 too."""
    try:
        await write
    except Conflict:
        raise ValidationFailed({"name": [TAKEN]}) from None

"""Product tabs of the in-memory unit of work (the reference of the tab contract)."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING

import msgspec

from reseller_core.domain.products import ProductTab
from reseller_core.domain.tabs import name_key
from reseller_core.errors import Conflict

if TYPE_CHECKING:
    from reseller_core.testing.memory_uow import MemoryUnitOfWork


class MemoryTabRepository:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    async def get(self, user_id: str, tab_id: str) -> ProductTab | None:
        tab = self._uow.staged().tabs.get(tab_id)
        return tab if tab is not None and tab.user_id == user_id else None

    def _refuse_taken(self, tab: ProductTab) -> None:
        """The SQL adapter's unique key on (user, case-folded name), mirrored."""
        key = name_key(tab.name)
        for other in self._uow.staged().tabs.values():
            if other.user_id == tab.user_id and other.id != tab.id and name_key(other.name) == key:
                raise Conflict("Product tab name has already been taken")

    async def add(self, tab: ProductTab) -> None:
        self._refuse_taken(tab)
        self._uow.staged().tabs[tab.id] = tab

    async def list(self, user_id: str) -> builtins.list[ProductTab]:
        tabs = [tab for tab in self._uow.staged().tabs.values() if tab.user_id == user_id]
        return sorted(tabs, key=lambda tab: (tab.position, tab.id))

    async def update(self, tab: ProductTab) -> None:
        tables = self._uow.staged()
        if tab.id in tables.tabs:
            self._refuse_taken(tab)
            tables.tabs[tab.id] = tab

    async def delete(self, user_id: str, tab_id: str) -> None:
        tables = self._uow.staged()
        if (tab := tables.tabs.get(tab_id)) is None or tab.user_id != user_id:
            return
        del tables.tabs[tab_id]
        for product_id, row in list(tables.products.items()):
            product = row.product
            if product.product_tab_id == tab_id:
                unassigned = msgspec.structs.replace(
                    product, product_tab_id=None, version=product.version + 1
                )
                tables.products[product_id] = msgspec.structs.replace(row, product=unassigned)

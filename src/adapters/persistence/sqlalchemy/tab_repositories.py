"""Product tabs in SQL (spec 20 §1): the seller's groupings of their own products.

Deleting a tab unassigns its products in the same transaction (``product_tab_id`` null,
version bumped so a concurrent product write that read the old tab retries) rather than
relying on the foreign key's ``SET NULL``, so every engine behaves the same.
"""

from __future__ import annotations

import builtins
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Result
from sqlalchemy.sql.expression import Executable

from reseller_adapters.persistence.sqlalchemy import mappers as m
from reseller_adapters.persistence.sqlalchemy.executor import StatementExecutor
from reseller_adapters.persistence.sqlalchemy.tables import product_tabs, products
from reseller_core.domain.products import ProductTab
from reseller_core.domain.tabs import name_key

TAB_COLUMNS = [product_tabs.c[name].label(f"tab_{name}") for name in m.TAB_FIELDS]
TAKEN_CONFLICT = "Product tab name has already been taken"


class SqlTabRepository:
    def __init__(self, uow: StatementExecutor) -> None:
        self._uow = uow

    async def _execute(
        self, statement: Executable, params: Any = None, *, conflict: str | None = None
    ) -> Result[*tuple[Any, ...]]:
        return await self._uow.execute(statement, params, conflict=conflict)

    async def get(self, user_id: str, tab_id: str) -> ProductTab | None:
        statement = sa.select(*TAB_COLUMNS).where(
            product_tabs.c.id == tab_id, product_tabs.c.user_id == user_id
        )
        row = (await self._execute(statement)).first()
        return m.from_values(ProductTab, m.TAB_FIELDS, row) if row is not None else None

    async def add(self, tab: ProductTab) -> None:
        values = {**m.to_values(tab), "name_key": name_key(tab.name)}
        await self._execute(sa.insert(product_tabs).values(values), conflict=TAKEN_CONFLICT)

    async def list(self, user_id: str) -> builtins.list[ProductTab]:
        statement = (
            sa.select(*TAB_COLUMNS)
            .where(product_tabs.c.user_id == user_id)
            .order_by(product_tabs.c.position, product_tabs.c.id)
        )
        rows = await self._execute(statement)
        return [m.from_values(ProductTab, m.TAB_FIELDS, row) for row in rows]

    async def update(self, tab: ProductTab) -> None:
        statement = (
            sa.update(product_tabs)
            .where(product_tabs.c.id == tab.id, product_tabs.c.user_id == tab.user_id)
            .values(
                name=tab.name,
                name_key=name_key(tab.name),
                position=tab.position,
                updated_at=tab.updated_at,
            )
        )
        await self._execute(statement, conflict=TAKEN_CONFLICT)

    async def delete(self, user_id: str, tab_id: str) -> None:
        await self._execute(
            sa.update(products)
            .where(products.c.product_tab_id == tab_id, products.c.user_id == user_id)
            .values(product_tab_id=None, version=products.c.version + 1)
        )
        await self._execute(
            sa.delete(product_tabs).where(
                product_tabs.c.id == tab_id, product_tabs.c.user_id == user_id
            )
        )

    async def product_ids(self, tab_id: str) -> builtins.list[str]:
        """The products assigned to the tab (their documents show it)."""
        statement = sa.select(products.c.id).where(products.c.product_tab_id == tab_id)
        return list((await self._execute(statement)).scalars())

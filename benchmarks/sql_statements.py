"""SQL statements per request, counted in-process with a ``before_cursor_execute`` listener.

Lookups (the product read, the list page) run on the database's lookup runner, which does
not go through the engine; the statements handed to it are counted instead, one each.

The app is the one ``reseller serve`` runs, on the benchmark database, driven by Litestar's
test client. Every statement the driver is handed during one request is counted; ``BEGIN``
(SQLite opens its transactions with an explicit ``BEGIN IMMEDIATE``) is counted apart as
transaction control, so both engines report the same queries. ``COMMIT`` and ``ROLLBACK``
go through the driver's own calls, not a cursor, and are not counted on either engine.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event

PAGE_SIZES: tuple[int, ...] = (1, 15, 50, 100)


@dataclass(slots=True)
class StatementCount:
    """The statements of one request."""

    label: str
    queries: int
    transaction_control: int
    texts: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Counter:
    texts: list[str] = field(default_factory=list)

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.texts.append(" ".join(statement.split()))


def _count(label: str, texts: Sequence[str]) -> StatementCount:
    control = [text for text in texts if text.upper().startswith(("BEGIN", "SAVEPOINT"))]
    return StatementCount(
        label=label,
        queries=len(texts) - len(control),
        transaction_control=len(control),
        texts=list(texts),
    )


async def count_statements(
    settings: Any, product_token: str, product_id: str, catalogue_token: str
) -> list[StatementCount]:
    """Count the statements of the product read and of list pages of each page size."""
    from litestar.testing import AsyncTestClient

    from reseller_entrypoints.http import create_app
    from reseller_entrypoints.http.app_state import container_from

    logging.getLogger("httpx").setLevel(logging.WARNING)
    app = create_app(settings)
    counts: list[StatementCount] = []
    async with AsyncTestClient(app=app) as client:
        database = container_from(app.state).database
        engine = database.engine.sync_engine
        counter = _Counter()
        event.listen(engine, "before_cursor_execute", counter)
        runner = database.lookups
        if runner is not None:
            # Lookups bypass the engine: count what is handed to the lookup runner, with the
            # BEGIN it sends before running several statements in one read transaction.
            handed = runner.execute_together

            async def counted(statements: Any) -> Any:
                if len(statements) > 1:
                    counter.texts.append("BEGIN (lookup runner)")
                dialect = database.engine.dialect
                for statement, _ in statements:
                    counter.texts.append(str(statement.compile(dialect=dialect)))
                return await handed(statements)

            runner.execute_together = counted  # type: ignore[method-assign]
        try:
            requests = [(f"/api/v1/products/{product_id}", product_token, "product", False)]
            for size in PAGE_SIZES:
                path = f"/api/v1/products?page_size={size}"
                requests.append((path, catalogue_token, f"list page_size={size}", False))
                requests.append((path, catalogue_token, f"list page_size={size}, not kept", True))
            page_cache = database.read_model.page_cache if database.read_model else None
            for path, token, label, forget in requests:
                headers = {"Authorization": f"Bearer {token}"}
                # Twice: the first read of a page may rebuild stale documents after it answers.
                for _ in range(2):
                    warm = await client.get(path, headers=headers)
                    if warm.status_code != 200:
                        raise RuntimeError(f"GET {path} answered {warm.status_code}: {warm.text}")
                if forget:
                    if page_cache is None:
                        continue
                    page_cache.clear()
                counter.texts.clear()
                await client.get(path, headers=headers)
                counts.append(_count(label, counter.texts))
        finally:
            event.remove(engine, "before_cursor_execute", counter)
    return counts

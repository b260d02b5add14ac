"""The honest floor: a minimal Litestar app that is not ours, for the ratios in the report.

One handler, ``GET /rows/{id}``, does an ORM ``session.get`` of a 15-column row from a
10,000-row SQLite table through aiosqlite and answers it as a msgspec struct. None of our
code runs: no middleware, no unit of work, no authentication. It is served exactly like
the product app (uvicorn, uvloop and httptools, one worker, one core), so the ratio of an
endpoint to this floor says how much of a core our request costs beyond the smallest
useful database read the same stack can do.

``python -m benchmarks.floor_app seed PATH`` makes the database; ``create_floor_app`` is the
uvicorn factory (the database path comes from ``RESELLER_BENCH_FLOOR_DB``).
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Final

import msgspec
import sqlalchemy as sa
from litestar import Litestar, get
from litestar.exceptions import NotFoundException
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ROWS: Final = 10_000
DATABASE_ENV: Final = "RESELLER_BENCH_FLOOR_DB"


class Base(DeclarativeBase):
    pass


class Item(Base):
    """15 columns of the kinds a product row has: ids, text, numbers, a flag, timestamps."""

    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(sa.String(40))
    status: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(160))
    brand: Mapped[str] = mapped_column(sa.String(120))
    category: Mapped[str] = mapped_column(sa.String(120))
    condition: Mapped[str] = mapped_column(sa.String(80))
    color: Mapped[str] = mapped_column(sa.String(80))
    size: Mapped[str] = mapped_column(sa.String(80))
    material: Mapped[str] = mapped_column(sa.String(120))
    price: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    quantity: Mapped[int] = mapped_column()
    published: Mapped[bool] = mapped_column()
    created_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()


class ItemOut(msgspec.Struct):
    id: int
    sku: str
    status: str
    title: str
    brand: str
    category: str
    condition: str
    color: str
    size: str
    material: str
    price: Decimal
    quantity: int
    published: bool
    created_at: datetime
    updated_at: datetime


def _url(path: str) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def seed(path: str, rows: int = ROWS) -> None:
    """Create the table and ``rows`` rows (a fresh file)."""
    engine = create_async_engine(_url(path))
    start = datetime(2026, 1, 1, tzinfo=UTC).replace(tzinfo=None)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
        await connection.execute(
            sa.insert(Item),
            [
                {
                    "id": n,
                    "sku": f"SKU-{n:06d}",
                    "status": ("draft", "ready", "sold")[n % 3],
                    "title": f"Vintage denim jacket number {n}",
                    "brand": "Levi's",
                    "category": "Jackets",
                    "condition": "used_good",
                    "color": "Blue",
                    "size": "M",
                    "material": "Cotton denim",
                    "price": Decimal(n % 500) + Decimal("0.99"),
                    "quantity": 1 + n % 4,
                    "published": n % 2 == 0,
                    "created_at": start + timedelta(minutes=n),
                    "updated_at": start + timedelta(minutes=n, seconds=30),
                }
                for n in range(1, rows + 1)
            ],
        )
    await engine.dispose()


def create_floor_app() -> Litestar:
    """The floor app on the database named by ``RESELLER_BENCH_FLOOR_DB``."""
    engine = create_async_engine(_url(os.environ[DATABASE_ENV]))
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    @get("/rows/{row_id:int}", sync_to_thread=False)
    async def read_row(row_id: int) -> ItemOut:
        session: AsyncSession
        async with sessions() as session:
            item = await session.get(Item, row_id)
        if item is None:
            raise NotFoundException()
        return ItemOut(
            id=item.id,
            sku=item.sku,
            status=item.status,
            title=item.title,
            brand=item.brand,
            category=item.category,
            condition=item.condition,
            color=item.color,
            size=item.size,
            material=item.material,
            price=item.price,
            quantity=item.quantity,
            published=item.published,
            created_at=item.created_at,
            updated_at=item.updated_at,
        )

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    return Litestar([read_row], lifespan=[lifespan], openapi_config=None)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2 or args[0] != "seed":
        print("usage: python -m benchmarks.floor_app seed PATH", file=sys.stderr)
        return 2
    asyncio.run(seed(args[1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

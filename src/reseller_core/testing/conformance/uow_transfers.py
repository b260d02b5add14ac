"""Conformance of the export and import repositories (spec 50 records)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import msgspec

from reseller_core.domain.transfers import (
    Export,
    ExportStatus,
    Import,
    ImportFailure,
    ImportStatus,
)
from reseller_core.domain.users import User
from reseller_core.ports.unit_of_work import UnitOfWorkFactory
from reseller_core.testing.conformance.uow_base import UnitOfWorkSuiteBase
from reseller_core.testing.conformance.uow_builders import T0, new_id


def build_export(user: User, **overrides: Any) -> Export:
    values: dict[str, Any] = {
        "id": new_id(),
        "user_id": user.id,
        "name": "Ready inventory",
        "file_name": "ready-inventory-20260330-011000.zip",
        "filter_params": {"status": "ready"},
        "product_count": 3,
        "status": ExportStatus.QUEUED,
        "requested_at": T0,
        "created_at": T0,
        "updated_at": T0,
    }
    return Export(**{**values, **overrides})


def build_import(user: User, **overrides: Any) -> Import:
    record_id = overrides.pop("id", new_id())
    values: dict[str, Any] = {
        "id": record_id,
        "user_id": user.id,
        "status": ImportStatus.QUEUED,
        "source_filename": "catalog.zip",
        "source_storage_key": f"users/{user.id}/imports/{record_id}/source.zip",
        "requested_at": T0,
        "created_at": T0,
        "updated_at": T0,
    }
    return Import(**{**values, **overrides})


class TransferConformance(UnitOfWorkSuiteBase):
    async def test_export_round_trips_and_is_owned(self, uow_factory: UnitOfWorkFactory) -> None:
        owner = await self.given_user(uow_factory)
        other = await self.given_user(uow_factory)
        export = build_export(owner, filter_params={"query": "ünïcode", "sort": "price"})
        await self.in_uow(uow_factory, lambda uow: uow.exports.add(export))
        assert await self.read(uow_factory, lambda uow: uow.exports.get(owner.id, export.id)) == (
            export
        )
        assert (
            await self.read(uow_factory, lambda uow: uow.exports.get(other.id, export.id)) is None
        )

    async def test_import_progress_round_trips(self, uow_factory: UnitOfWorkFactory) -> None:
        owner = await self.given_user(uow_factory)
        record = build_import(owner)
        await self.in_uow(uow_factory, lambda uow: uow.imports.add(record))
        progressed = msgspec.structs.replace(
            record,
            failures=(ImportFailure(index=2, title=None, sku="A", reason="sku: taken"),),
            created_product_ids=(new_id(),),
            next_index=2,
            updated_at=T0 + timedelta(seconds=1),
        )
        await self.in_uow(uow_factory, lambda uow: uow.imports.update(progressed))
        stored = await self.read(uow_factory, lambda uow: uow.imports.get_by_id(record.id))
        assert stored == progressed

    async def test_claim_admits_one_worker_then_a_stale_one(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        owner = await self.given_user(uow_factory)
        export = build_export(owner)
        await self.in_uow(uow_factory, lambda uow: uow.exports.add(export))
        now = T0 + timedelta(seconds=10)
        first = await self.in_uow(
            uow_factory, lambda uow: uow.exports.claim(export.id, now, now - timedelta(minutes=2))
        )
        assert first is not None and first.status is ExportStatus.RUNNING
        again = await self.in_uow(
            uow_factory, lambda uow: uow.exports.claim(export.id, now, now - timedelta(minutes=2))
        )
        assert again is None
        later = now + timedelta(minutes=5)
        taken_over = await self.in_uow(
            uow_factory,
            lambda uow: uow.exports.claim(export.id, later, later - timedelta(minutes=2)),
        )
        assert taken_over is not None and taken_over.heartbeat_at == later

    async def test_active_count_list_order_and_stale(self, uow_factory: UnitOfWorkFactory) -> None:
        owner = await self.given_user(uow_factory)
        records = [
            build_import(owner, requested_at=T0 + timedelta(seconds=i), status=status)
            for i, status in enumerate(
                (ImportStatus.QUEUED, ImportStatus.RUNNING, ImportStatus.COMPLETED)
            )
        ]
        async with uow_factory() as uow:
            for record in records:
                await uow.imports.add(record)
            await uow.commit()
        assert await self.in_uow(uow_factory, lambda uow: uow.imports.count_active(owner.id)) == 2
        listed = await self.read(
            uow_factory, lambda uow: uow.imports.list(owner.id, offset=0, limit=2)
        )
        assert [r.id for r in listed] == [records[2].id, records[1].id]
        assert await self.read(uow_factory, lambda uow: uow.imports.count(owner.id)) == 3
        stale = await self.read(uow_factory, lambda uow: uow.imports.stale(T0 + timedelta(hours=1)))
        assert {r.id for r in stale} >= {records[0].id, records[1].id}
        assert records[2].id not in {r.id for r in stale}

    async def test_expired_lists_completed_exports_past_their_expiry(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        owner = await self.given_user(uow_factory)
        past = build_export(
            owner, status=ExportStatus.COMPLETED, expires_at=T0 - timedelta(seconds=1)
        )
        future = build_export(
            owner, status=ExportStatus.COMPLETED, expires_at=T0 + timedelta(days=1)
        )
        async with uow_factory() as uow:
            await uow.exports.add(past)
            await uow.exports.add(future)
            await uow.commit()
        found = await self.read(uow_factory, lambda uow: uow.exports.expired(T0))
        assert past.id in {e.id for e in found} and future.id not in {e.id for e in found}

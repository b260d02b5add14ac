"""Conformance suite for the ``UnitOfWork`` port and its repositories.

Subclass :class:`UnitOfWorkConformance` and provide the ``uow_factory`` fixture (a
``UnitOfWorkFactory`` over an empty or shared, migrated database)::

    class TestMyUnitOfWork(UnitOfWorkConformance):
        @pytest.fixture
        def uow_factory(self, my_database) -> UnitOfWorkFactory:
            return my_database.unit_of_work

Every test creates its own user (random ULIDs) and only looks at what it created, so the
database may be shared by all tests of a session without cleaning up between them. The
in-memory fake (``reseller_core.testing.memory_uow``) is the reference: SQL adapters must
answer exactly as it does, including list order and search.

The suite is the sum of one mixin per aggregate (``uow_transactions``, ``uow_accounts``,
``uow_products``, ``uow_product_list``, ``uow_runs``, ``uow_usage``, ``uow_media_runs``,
``uow_videos``), each a
:class:`~reseller_core.testing.conformance.uow_base.UnitOfWorkSuiteBase`; an adapter that
implements only some repositories may combine just those mixins. The ``build_*``
functions (``uow_builders``) make valid domain objects for these tests and for adapter
authors' own ones; they are importable from here too.
"""

from __future__ import annotations

from reseller_core.testing.conformance.uow_accounts import AccountConformance
from reseller_core.testing.conformance.uow_base import UnitOfWorkSuiteBase
from reseller_core.testing.conformance.uow_builders import (
    T0,
    assert_utc,
    build_call,
    build_confirmation,
    build_draft,
    build_image,
    build_listing,
    build_product,
    build_research,
    build_run,
    build_tab,
    build_token,
    build_usage,
    build_user,
    day,
    new_id,
)
from reseller_core.testing.conformance.uow_media_runs import LifestyleRunConformance
from reseller_core.testing.conformance.uow_product_list import ProductListConformance
from reseller_core.testing.conformance.uow_products import ProductConformance
from reseller_core.testing.conformance.uow_runs import RunConformance
from reseller_core.testing.conformance.uow_transactions import TransactionConformance
from reseller_core.testing.conformance.uow_transfers import TransferConformance
from reseller_core.testing.conformance.uow_usage import UsageConformance
from reseller_core.testing.conformance.uow_videos import VideoConformance

__all__ = [
    "T0",
    "AccountConformance",
    "LifestyleRunConformance",
    "ProductConformance",
    "ProductListConformance",
    "RunConformance",
    "TransactionConformance",
    "TransferConformance",
    "UnitOfWorkConformance",
    "UnitOfWorkSuiteBase",
    "UsageConformance",
    "VideoConformance",
    "assert_utc",
    "build_call",
    "build_confirmation",
    "build_draft",
    "build_image",
    "build_listing",
    "build_product",
    "build_research",
    "build_run",
    "build_tab",
    "build_token",
    "build_usage",
    "build_user",
    "day",
    "new_id",
]


class UnitOfWorkConformance(
    TransactionConformance,
    AccountConformance,
    ProductConformance,
    ProductListConformance,
    RunConformance,
    UsageConformance,
    TransferConformance,
    LifestyleRunConformance,
    VideoConformance,
):
    """What every ``UnitOfWork`` implementation owes the use cases."""

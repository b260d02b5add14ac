"""Column types whose Python values mean the same thing on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect


class UtcDateTime(sa.TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware UTC.

    SQLite has no time-zone type: SQLAlchemy writes the wall-clock fields and drops the
    offset, so values are converted to UTC before binding (then they also compare correctly
    as text) and the naive values read back are marked UTC. PostgreSQL stores
    ``timestamptz``. A naive value handed in is taken to be UTC already.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        # The implementation type has already turned the driver's value into a datetime.
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value if value.tzinfo is UTC else value.astimezone(UTC)


def json_column_type() -> sa.types.TypeEngine[Any]:
    """JSON on SQLite, JSONB on PostgreSQL; Python ``None`` is SQL NULL, not JSON ``null``."""
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )


MONEY = sa.Numeric(12, 2, asdecimal=True)
"""Prices and costs: exact to the cent, up to 9 999 999 999.99 (spec 20 §2.1)."""

PROVIDER_COST = sa.Numeric(14, 8, asdecimal=True)
"""Estimated provider cost in USD: fractions of a cent add up over a day (spec 10 §5.1)."""

ULID = sa.String(26)
"""Every public id is a ULID string, and the ULID is the primary key."""

SHORT_TEXT = sa.String(64)
"""Enumerated values (statuses, kinds, buckets, roles)."""

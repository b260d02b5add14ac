"""The real clock and id sources; the core only sees the ``Clock``/``IdFactory`` ports."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime

from ulid import ULID


class SystemClock:
    """Wall-clock time, always timezone-aware UTC (naive datetimes never enter the core)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class UlidIdFactory:
    """ULIDs for entities, UUID4s for object names, 32-byte URL-safe secrets for tokens."""

    def new_id(self) -> str:
        return str(ULID())

    def new_object_name(self) -> str:
        return str(uuid.uuid4())

    def new_secret(self) -> str:
        return secrets.token_urlsafe(32)

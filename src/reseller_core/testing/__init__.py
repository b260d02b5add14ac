"""Test support shipped in the wheel: in-memory fakes of the ports and conformance suites.

Imports only the standard library, msgspec, python-ulid and ``reseller_core`` (the
conformance modules also import pytest), so adapter authors can use it in their own tests.
"""

from reseller_core.testing.fake_ai import FakeAIProvider, FakeImageEditor
from reseller_core.testing.fake_media import RecordingVideoRenderer
from reseller_core.testing.fakes import (
    FixedClock,
    MemoryMailer,
    MemoryObjectStorage,
    PlainPasswordHasher,
    RecordingRateLimiter,
    RecordingTaskQueue,
    SequentialIds,
)
from reseller_core.testing.memory_uow import MemoryDatabase, MemoryUnitOfWork, memory_uow_factory

__all__ = [
    "FakeAIProvider",
    "FakeImageEditor",
    "FixedClock",
    "MemoryDatabase",
    "MemoryMailer",
    "MemoryObjectStorage",
    "MemoryUnitOfWork",
    "PlainPasswordHasher",
    "RecordingRateLimiter",
    "RecordingTaskQueue",
    "RecordingVideoRenderer",
    "SequentialIds",
    "memory_uow_factory",
]

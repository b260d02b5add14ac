"""In-memory fakes of the infrastructure ports, for our tests and for teams embedding the core.

Every fake is deterministic, needs no services and keeps what it saw in plain attributes, so
a test asserts on state instead of on mocks. None of them is fit for production use.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import uuid
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote, urlencode

import msgspec

from reseller_core.domain.object_urls import encode_key_path, public_object_url
from reseller_core.domain.rate_window import SlidingWindowLog
from reseller_core.errors import UploadSigningFailed
from reseller_core.ports.clock import Clock
from reseller_core.ports.mailer import EmailMessage
from reseller_core.ports.queue import Job
from reseller_core.ports.rate_limit import RateDecision
from reseller_core.ports.storage import ObjectInfo, SignedUpload, StorageError

__all__ = [
    "DEFAULT_EPOCH",
    "FixedClock",
    "JobHandler",
    "MemoryMailer",
    "MemoryObjectStorage",
    "PendingUpload",
    "PlainPasswordHasher",
    "RecordingRateLimiter",
    "RecordingTaskQueue",
    "SequentialIds",
]

DEFAULT_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
"""Where fake time starts: a fixed instant, so ids and timestamps repeat from run to run."""

JobHandler = Callable[[Mapping[str, str]], Awaitable[None]]
"""What a queue runs for a job name: an async function of the job's (string) arguments."""

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _aware_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("expected a timezone-aware datetime")
    return value.astimezone(UTC)


# --- time and identity ----------------------------------------------------------------------


class FixedClock:
    """A clock that only moves when told to (``set``/``advance``); always aware UTC."""

    def __init__(self, now: datetime = DEFAULT_EPOCH) -> None:
        self._now = _aware_utc(now)

    def now(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> None:
        """Jump to ``now`` (which must be timezone-aware); going backwards is allowed."""
        self._now = _aware_utc(now)

    def advance(self, delta: timedelta | float = 0.0, /, **parts: float) -> datetime:
        """Move forward by ``delta`` (a timedelta or seconds) plus ``timedelta`` keyword parts.

        ``clock.advance(90)``, ``clock.advance(timedelta(hours=1))`` and
        ``clock.advance(minutes=5)`` all work. Returns the new time.
        """
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        self._now += step + timedelta(**parts)
        return self._now


def _ulid_string(value: int) -> str:
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 0x1F])
        value >>= 5
    return "".join(reversed(chars))


class SequentialIds:
    """Deterministic ids: ULIDs that increase by one, UUID4-shaped names, numbered secrets.

    The ULIDs carry ``epoch`` as their timestamp and a counter as their random part, so they
    are valid (Crockford base 32, first character 0-7), sort in creation order and are the
    same in every run. Create one per test.
    """

    def __init__(self, *, epoch: datetime = DEFAULT_EPOCH, start: int = 1) -> None:
        millis = int(_aware_utc(epoch).timestamp() * 1000)
        if not 0 <= millis < 1 << 48:
            raise ValueError("epoch is outside the ULID timestamp range")
        self._base = millis << 80
        self._next_id = start
        self._next_name = start
        self._next_secret = start

    def new_id(self) -> str:
        value = self._base | (self._next_id & ((1 << 80) - 1))
        self._next_id += 1
        return _ulid_string(value)

    def new_object_name(self) -> str:
        name = uuid.UUID(int=self._next_name, version=4)
        self._next_name += 1
        return str(name)

    def new_secret(self) -> str:
        digest = hashlib.sha256(f"reseller-fake-secret-{self._next_secret}".encode()).digest()
        self._next_secret += 1
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


# --- object storage -------------------------------------------------------------------------


class PendingUpload(msgspec.Struct, frozen=True, kw_only=True):
    """What a fake signed upload promised: the constraints a real storage would enforce."""

    key: str
    content_type: str
    max_bytes: int
    expires_at: datetime


class _StoredObject(msgspec.Struct, frozen=True):
    data: bytes
    content_type: str | None


class MemoryObjectStorage:
    """Objects in a dict; signed URLs are opaque ``memory://`` strings nobody can call.

    A test "uploads" with ``put_object_directly`` (or ``upload(signed, data)``, which honours
    what the signature promised). ``fail(operation, error)`` makes one operation raise until
    ``heal()``, e.g. ``fail("sign_upload", StorageUnavailable("RESELLER_STORAGE_ROOT"))``.
    """

    OPERATIONS = frozenset(
        {"sign_upload", "sign_download", "head", "get", "stream", "put", "delete", "check"}
    )

    def __init__(self, *, public_base_url: str | None = "https://files.example.test") -> None:
        self.public_base_url = public_base_url
        self.objects: dict[str, _StoredObject] = {}
        self.signed_uploads: dict[str, PendingUpload] = {}
        self._failures: dict[str, Exception] = {}

    # fault injection

    def fail(self, operation: str, error: Exception) -> None:
        """Make ``operation`` (a method name) raise ``error`` on every call until healed."""
        if operation not in self.OPERATIONS:
            raise ValueError(f"unknown storage operation {operation!r}")
        self._failures[operation] = error

    def heal(self, operation: str | None = None) -> None:
        """Stop failing ``operation``, or every operation when None."""
        if operation is None:
            self._failures.clear()
        else:
            self._failures.pop(operation, None)

    def _maybe_fail(self, operation: str) -> None:
        error = self._failures.get(operation)
        if error is not None:
            raise error

    # test helpers

    def put_object_directly(self, key: str, data: bytes, content_type: str | None) -> None:
        """Store an object as if the client had uploaded it (no signature needed)."""
        self.objects[key] = _StoredObject(bytes(data), content_type)

    def upload(self, signed: SignedUpload, data: bytes, *, now: datetime | None = None) -> None:
        """Play the client's PUT to a URL from ``sign_upload``, enforcing what it promised.

        Raises ``StorageError`` for an unknown URL, an expired one (when ``now`` is given)
        or a body larger than the signed maximum.
        """
        key = self._key_from_url(signed.url)
        pending = self.signed_uploads.get(key)
        if pending is None:
            raise StorageError("no signed upload for this URL")
        if now is not None and _aware_utc(now) >= pending.expires_at:
            raise StorageError("signed upload URL expired")
        if len(data) > pending.max_bytes:
            raise StorageError("upload larger than the signed maximum")
        self.put_object_directly(key, data, pending.content_type)

    def keys(self) -> list[str]:
        return sorted(self.objects)

    @staticmethod
    def _key_from_url(url: str) -> str:
        prefix = "memory://uploads/"
        if not url.startswith(prefix):
            raise StorageError("not a memory storage upload URL")
        return unquote(url[len(prefix) :].split("?", 1)[0])

    # the port

    async def sign_upload(
        self, key: str, *, content_type: str, max_bytes: int, expires_at: datetime
    ) -> SignedUpload:
        self._maybe_fail("sign_upload")
        if not key or max_bytes < 1:
            raise UploadSigningFailed("invalid key or size limit")
        expires = _aware_utc(expires_at)
        self.signed_uploads[key] = PendingUpload(
            key=key, content_type=content_type, max_bytes=max_bytes, expires_at=expires
        )
        query = urlencode(
            {"ct": content_type, "max": max_bytes, "expires": int(expires.timestamp())}
        )
        return SignedUpload(
            url=f"memory://uploads/{encode_key_path(key)}?{query}",
            method="PUT",
            headers={"content-type": content_type},
            expires_at=expires,
        )

    async def sign_download(self, key: str, *, expires_at: datetime) -> str:
        self._maybe_fail("sign_download")
        expires = int(_aware_utc(expires_at).timestamp())
        return f"memory://files/{encode_key_path(key)}?expires={expires}"

    def public_url(self, key: str) -> str | None:
        return public_object_url(self.public_base_url, key)

    async def head(self, key: str) -> ObjectInfo | None:
        self._maybe_fail("head")
        stored = self.objects.get(key)
        if stored is None:
            return None
        return ObjectInfo(key=key, size=len(stored.data), content_type=stored.content_type)

    async def get(self, key: str) -> bytes:
        self._maybe_fail("get")
        stored = self.objects.get(key)
        if stored is None:
            raise StorageError(f"object not found: {key}")
        return stored.data

    async def stream(self, key: str, chunk_size: int = 65536) -> AsyncIterator[bytes]:
        self._maybe_fail("stream")
        stored = self.objects.get(key)
        if stored is None:
            raise StorageError(f"object not found: {key}")
        for start in range(0, len(stored.data), max(1, chunk_size)):
            yield stored.data[start : start + chunk_size]

    async def put(self, key: str, data: bytes, *, content_type: str) -> None:
        self._maybe_fail("put")
        self.put_object_directly(key, data, content_type)

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes], *, content_type: str) -> int:
        self._maybe_fail("put")
        parts = [chunk async for chunk in chunks]
        data = b"".join(parts)
        self.put_object_directly(key, data, content_type)
        return len(data)

    async def delete(self, key: str) -> None:
        self._maybe_fail("delete")
        self.objects.pop(key, None)

    async def check(self) -> None:
        self._maybe_fail("check")


# --- task queue -----------------------------------------------------------------------------


class RecordingTaskQueue:
    """Records every job; runs them only when the test says so (``run_all``).

    Keeping execution explicit makes a test's order of events obvious: a use case enqueues,
    the test asserts on ``jobs``, then ``await queue.run_all()`` plays the worker.
    """

    def __init__(self, handlers: Mapping[str, JobHandler] | None = None) -> None:
        self.handlers: dict[str, JobHandler] = dict(handlers or {})
        self.jobs: list[Job] = []
        self.pending: deque[Job] = deque()
        self.failures: list[tuple[Job, Exception]] = []

    def register(self, name: str, handler: JobHandler) -> None:
        self.handlers[name] = handler

    def names(self) -> list[str]:
        """Names of every job enqueued so far, in order."""
        return [job.name for job in self.jobs]

    async def enqueue(self, job: Job) -> None:
        self.jobs.append(job)
        self.pending.append(job)

    async def run_all(self, *, raise_errors: bool = False) -> int:
        """Run pending jobs in order, including jobs they enqueue; returns how many ran.

        Like a real worker, a failing job (or a job with no handler) does not stop the
        others: the failure is kept in ``failures``. With ``raise_errors`` the first failure
        of this call is re-raised once the queue is empty.
        """
        ran = 0
        first_error: Exception | None = None
        while self.pending:
            job = self.pending.popleft()
            ran += 1
            handler = self.handlers.get(job.name)
            try:
                if handler is None:
                    raise LookupError(f"no handler for job {job.name!r}")
                await handler(dict(job.args))
            except Exception as error:
                self.failures.append((job, error))
                first_error = first_error or error
        if raise_errors and first_error is not None:
            raise first_error
        return ran


# --- rate limiting --------------------------------------------------------------------------


class RecordingRateLimiter:
    """The real sliding-window rule on a fake clock, plus a record of calls and overrides.

    ``calls`` lists every ``(key, limit, window_s)``; ``deny(key, retry_after_s)`` forces
    rejections for one key, to test a 429 path without sending ``limit`` requests first.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._log = SlidingWindowLog()
        self._lock = threading.Lock()
        self.calls: list[tuple[str, int, int]] = []
        self.denied: dict[str, int] = {}

    def deny(self, key: str, retry_after_s: int = 60) -> None:
        self.denied[key] = max(1, retry_after_s)

    def allow(self, key: str) -> None:
        self.denied.pop(key, None)

    async def hit(self, key: str, limit: int, window_s: int) -> RateDecision:
        self.calls.append((key, limit, window_s))
        if key in self.denied:
            return RateDecision(False, retry_after_s=self.denied[key], remaining=0)
        with self._lock:
            verdict = self._log.hit(
                key, now=self._clock.now().timestamp(), limit=limit, window_s=window_s
            )
        return RateDecision(
            verdict.allowed, retry_after_s=verdict.retry_after_s, remaining=verdict.remaining
        )


# --- mail -----------------------------------------------------------------------------------


class MemoryMailer:
    """Keeps sent messages in ``sent``; ``fail_with`` makes ``send`` raise (outage tests)."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []
        self.fail_with: Exception | None = None

    async def send(self, message: EmailMessage) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append(message)

    def to(self, address: str) -> list[EmailMessage]:
        """Messages sent to ``address`` (case-insensitive), oldest first."""
        wanted = address.casefold()
        return [message for message in self.sent if message.to.casefold() == wanted]

    def clear(self) -> None:
        self.sent.clear()


# --- passwords ------------------------------------------------------------------------------


class PlainPasswordHasher:
    """Salted SHA-256: fast for tests, and NOT a password hash. Never use it in production.

    The ``insecure-sha256$`` prefix makes a leaked fake hash impossible to mistake for a real one.
    """

    PREFIX = "insecure-sha256"

    def __init__(self) -> None:
        self.verifications = 0
        self.dummy_verifications = 0

    @classmethod
    def _digest(cls, salt: str, password: str) -> str:
        return hashlib.sha256(f"{salt}:{password}".encode()).hexdigest()

    async def hash(self, password: str) -> str:
        salt = secrets.token_hex(8)
        return f"{self.PREFIX}${salt}${self._digest(salt, password)}"

    async def verify(self, password_hash: str, password: str) -> bool:
        self.verifications += 1
        parts = password_hash.split("$")
        if len(parts) != 3 or parts[0] != self.PREFIX:
            return False
        return hmac.compare_digest(parts[2], self._digest(parts[1], password))

    async def dummy_verify(self) -> None:
        self.dummy_verifications += 1

"""``Idempotency-Key``: a metered request retried with the same key answers what it answered.

A client that lost the answer to a finalize or a reprocess cannot tell whether the work
was started (and metered). Sending an ``Idempotency-Key`` makes the retry safe: the first
request claims the key for its user and operation (method and path), and its successful
answer is kept for 24 hours; a retry with the same key and the same body gets that answer
again, byte for byte, without running the operation a second time.

The choices the contract leaves open:

* A key is 1 to 255 visible ASCII characters (``!`` to ``~``); anything else is a
  ``validation_failed`` naming the ``Idempotency-Key`` header.
* The body is compared by a SHA-256 digest of its bytes: the same key with another body on
  the same operation is ``idempotency_key_reused`` (422), never a replay of an answer to a
  different request.
* A retry while the first request is still running answers ``idempotency_key_in_use``
  (409) at once rather than waiting: the client retries later and gets the stored answer.
* Only successful (2xx) answers are kept. An error answer did no metered work, so the key
  is released and a retry is decided afresh (after a 402 and an upgrade, say).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Final

from reseller_core.domain.validation import Errors
from reseller_core.errors import IdempotencyKeyInUse, IdempotencyKeyReused
from reseller_core.ports import Clock, UnitOfWorkFactory
from reseller_core.ports.idempotency import StoredAnswer

IDEMPOTENCY_HEADER: Final = "Idempotency-Key"
MAX_KEY_LENGTH: Final = 255
REPLAY_WINDOW: Final = timedelta(hours=24)
MAX_STORED_BODY: Final = 1024 * 1024
"""Answers larger than this are not kept (none of the metered answers comes near it)."""


def check_idempotency_key(key: str) -> str:
    """``key`` as sent, or ``ValidationFailed`` with the header as the field."""
    errors = Errors()
    if not key:
        errors.add(IDEMPOTENCY_HEADER, "can't be blank")
    elif len(key) > MAX_KEY_LENGTH:
        errors.add(IDEMPOTENCY_HEADER, f"is too long (maximum is {MAX_KEY_LENGTH} characters)")
    elif any(not "!" <= char <= "~" for char in key):
        errors.add(IDEMPOTENCY_HEADER, "is invalid")
    errors.raise_if_any()
    return key


def body_fingerprint(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class IdempotencyService:
    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def begin(
        self, user_id: str, key: str, operation: str, body: bytes
    ) -> tuple[StoredAnswer, StoredAnswer | None]:
        """Claim ``key`` for this request: (the claim, None) to run the operation, or
        (the claim, the stored answer) to replay. Raises when the key is busy or reused."""
        now = self._clock.now()
        claim = StoredAnswer(
            user_id=user_id,
            key=check_idempotency_key(key),
            operation=operation,
            fingerprint=body_fingerprint(body),
            created_at=now,
            expires_at=now + REPLAY_WINDOW,
        )
        async with self._uow() as uow:
            held = await uow.idempotency.claim(claim, now)
            await uow.commit()
        if held is None:
            return claim, None
        if held.fingerprint != claim.fingerprint:
            raise IdempotencyKeyReused()
        if held.status is None:
            raise IdempotencyKeyInUse()
        return claim, held

    async def finish(
        self, claim: StoredAnswer, status: int, content_type: str | None, body: bytes
    ) -> None:
        """Keep a successful answer for replay; release the key after any other."""
        async with self._uow() as uow:
            if 200 <= status < 300 and len(body) <= MAX_STORED_BODY:
                await uow.idempotency.complete(claim, status, content_type, body)
            else:
                await uow.idempotency.release(claim)
            await uow.commit()

    async def abandon(self, claim: StoredAnswer) -> None:
        """The request failed without an answer: release the key for a retry."""
        async with self._uow() as uow:
            await uow.idempotency.release(claim)
            await uow.commit()

    async def purge_expired(self) -> int:
        """Delete answers past their 24 hours (the periodic sweeper calls this)."""
        async with self._uow() as uow:
            count = await uow.idempotency.delete_expired(self._clock.now())
            await uow.commit()
        return count

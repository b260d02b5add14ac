"""Token hashing shared by bearer and confirmation tokens: only SHA-256 digests are stored."""

from __future__ import annotations

import hashlib

from reseller_core.errors import Unauthorized


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def parse_bearer(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (scheme case-insensitive)."""
    if not authorization:
        return None
    parts = authorization.strip().split(None, 1)
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return None
    token = parts[1].strip()
    return token or None


def bearer_digest(authorization: str | None) -> str:
    """The digest of the ``Authorization`` header's bearer token; Unauthorized without one."""
    raw = parse_bearer(authorization)
    if raw is None:
        raise Unauthorized()
    return token_digest(raw)

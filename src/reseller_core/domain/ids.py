"""Public identifiers: ULID strings, accepted case-insensitively, emitted upper-case."""

from __future__ import annotations

import re

_ULID = re.compile(r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$")


def parse_ulid(value: object) -> str | None:
    """Return the canonical (upper-case) ULID, or None when ``value`` is not one.

    A malformed id in a path is treated like an unknown id, so callers turn None into 404.
    """
    if not isinstance(value, str):
        return None
    candidate = value.strip().upper()
    return candidate if _ULID.match(candidate) else None


def is_ulid(value: object) -> bool:
    """Tell whether ``value`` is a well-formed ULID string (any case)."""
    return parse_ulid(value) is not None

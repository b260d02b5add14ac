"""Public URLs of stored objects (spec 30 §1): one rule for every storage adapter."""

from __future__ import annotations

from urllib.parse import quote, urlsplit


def encode_key_path(key: str) -> str:
    """Percent-encode each segment of ``key`` (unreserved characters kept), dropping empty ones.

    Dropping empty segments is what collapses duplicate (and leading) slashes.
    """
    return "/".join(quote(segment, safe="") for segment in key.split("/") if segment)


def valid_base_url(base_url: str | None) -> str | None:
    """``base_url`` without its trailing slashes, or None when it is not an absolute URL.

    A base needs a scheme and a host and carries no query or fragment, since the key is
    appended to its path.
    """
    if not base_url or not base_url.strip():
        return None
    candidate = base_url.strip().rstrip("/")
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return None
    if not parts.scheme or not parts.netloc or parts.query or parts.fragment:
        return None
    return candidate


def public_object_url(base_url: str | None, key: str) -> str | None:
    """``{base_url}/{key}`` with the key's segments encoded; None without a valid base URL."""
    base = valid_base_url(base_url)
    if base is None:
        return None
    path = encode_key_path(key)
    return f"{base}/{path}" if path else base

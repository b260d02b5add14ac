"""Object storage for product images and other binaries."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from datetime import datetime
from typing import Protocol, runtime_checkable

import msgspec


class SignedUpload(msgspec.Struct, frozen=True, kw_only=True):
    url: str
    method: str
    headers: dict[str, str]
    expires_at: datetime


class ObjectInfo(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    size: int
    content_type: str | None


class StorageError(Exception):
    """An object could not be read or written (transient or not)."""


@runtime_checkable
class ObjectStorage(Protocol):
    async def sign_upload(
        self, key: str, *, content_type: str, max_bytes: int, expires_at: datetime
    ) -> SignedUpload:
        """A ``PUT`` URL accepting one object of ``content_type`` up to ``max_bytes``.

        Raises ``StorageUnavailable`` when not configured, ``UploadSigningFailed`` otherwise.
        """
        ...

    async def sign_download(self, key: str, *, expires_at: datetime) -> str: ...

    def public_url(self, key: str) -> str | None:
        """The object's public URL, or None when no public base URL is configured."""
        ...

    async def head(self, key: str) -> ObjectInfo | None: ...

    async def get(self, key: str) -> bytes:
        """Read a whole object (images are bounded by the upload limit). StorageError if absent."""
        ...

    def stream(self, key: str, chunk_size: int = 65536) -> AsyncIterator[bytes]: ...

    async def put(self, key: str, data: bytes, *, content_type: str) -> None: ...

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes], *, content_type: str) -> int:
        """Write an object from a stream of chunks without holding it whole; its size.

        The object becomes visible only once complete (a temporary file moved into place,
        an S3 multipart upload completed); a failure part-way leaves no object behind.
        """
        ...

    async def delete(self, key: str) -> None:
        """Delete an object; deleting a missing object is not an error."""
        ...

    async def check(self) -> None:
        """Raise when the storage cannot be reached (readiness probe)."""
        ...

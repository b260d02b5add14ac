"""Conformance suite for the ``ObjectStorage`` port.

Subclass :class:`ObjectStorageConformance`, provide the ``storage`` fixture and implement
``upload_via_signed_url`` (play the client's ``PUT`` to a signed URL: over real HTTP, or by
calling the adapter's own verification). Capability flags turn off what an adapter lacks.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from reseller_core.ports.storage import ObjectStorage, SignedUpload, StorageError

JPEG_BYTES = b"\xff\xd8\xff\xe0" + b"conformance-image" * 64 + b"\xff\xd9"


class ObjectStorageConformance:
    """The behaviour every ``ObjectStorage`` owes the core."""

    pytestmark = pytest.mark.asyncio

    supports_public_url: bool = True
    """False when the adapter never has a public base URL (``public_url`` then returns None)."""

    enforces_upload_limit: bool = True
    """False when a signed upload cannot cap its body (an S3 presigned ``PUT``): the object
    then lands whole and ``head`` must report its true size, which finalize checks."""

    upload_refused: tuple[type[Exception], ...] = (Exception,)
    """What ``upload_via_signed_url`` raises when storage refuses the body."""

    upload_ttl = timedelta(minutes=15)

    @pytest.fixture
    def storage(self) -> ObjectStorage:
        """An empty storage, usable inside the test's event loop."""
        raise NotImplementedError("provide a `storage` fixture")

    async def upload_via_signed_url(
        self, storage: ObjectStorage, signed: SignedUpload, data: bytes
    ) -> None:
        """Send ``data`` to ``signed.url`` with ``signed.method`` and exactly ``signed.headers``."""
        raise NotImplementedError("implement upload_via_signed_url")

    # helpers

    @staticmethod
    def new_key(name: str = "photo.jpg") -> str:
        """A key shaped like the core's, unique per call so tests never see each other."""
        return f"conformance/{uuid.uuid4()}/originals/{name}"

    def expiry(self) -> datetime:
        return datetime.now(UTC) + self.upload_ttl

    # signed uploads

    async def test_signed_upload_lands_with_size_and_type(self, storage: ObjectStorage) -> None:
        key = self.new_key()
        signed = await storage.sign_upload(
            key, content_type="image/jpeg", max_bytes=len(JPEG_BYTES) * 2, expires_at=self.expiry()
        )
        assert signed.method == "PUT"
        assert signed.headers == {"content-type": "image/jpeg"}
        assert signed.url
        assert signed.expires_at.tzinfo is not None
        assert abs((signed.expires_at - self.expiry()).total_seconds()) < 60

        await self.upload_via_signed_url(storage, signed, JPEG_BYTES)

        info = await storage.head(key)
        assert info is not None
        assert info.key == key
        assert info.size == len(JPEG_BYTES)
        assert info.content_type == "image/jpeg"
        assert await storage.get(key) == JPEG_BYTES

    async def test_signed_upload_replaces_an_existing_object(self, storage: ObjectStorage) -> None:
        key = self.new_key()
        await storage.put(key, b"old bytes", content_type="image/png")
        signed = await storage.sign_upload(
            key, content_type="image/jpeg", max_bytes=10_000, expires_at=self.expiry()
        )
        await self.upload_via_signed_url(storage, signed, JPEG_BYTES)
        info = await storage.head(key)
        assert info is not None
        assert (info.size, info.content_type) == (len(JPEG_BYTES), "image/jpeg")

    async def test_signed_upload_over_the_limit(self, storage: ObjectStorage) -> None:
        key = self.new_key()
        limit = len(JPEG_BYTES) // 2
        signed = await storage.sign_upload(
            key, content_type="image/jpeg", max_bytes=limit, expires_at=self.expiry()
        )
        if self.enforces_upload_limit:
            with pytest.raises(self.upload_refused):
                await self.upload_via_signed_url(storage, signed, JPEG_BYTES)
            assert await storage.head(key) is None
            return
        await self.upload_via_signed_url(storage, signed, JPEG_BYTES)
        info = await storage.head(key)
        assert info is not None
        assert info.size == len(JPEG_BYTES) > limit

    async def test_signed_upload_of_a_key_that_needs_encoding(self, storage: ObjectStorage) -> None:
        key = self.new_key("my photo #1 é+%.jpg")
        signed = await storage.sign_upload(
            key, content_type="image/png", max_bytes=10_000, expires_at=self.expiry()
        )
        await self.upload_via_signed_url(storage, signed, JPEG_BYTES)
        info = await storage.head(key)
        assert info is not None
        assert (info.key, info.size, info.content_type) == (key, len(JPEG_BYTES), "image/png")
        assert await storage.get(key) == JPEG_BYTES

    async def test_sign_download_returns_a_url(self, storage: ObjectStorage) -> None:
        key = self.new_key()
        await storage.put(key, JPEG_BYTES, content_type="image/jpeg")
        url = await storage.sign_download(key, expires_at=self.expiry())
        assert isinstance(url, str)
        assert url

    # reads and writes

    async def test_put_get_round_trip(self, storage: ObjectStorage) -> None:
        key = self.new_key("variant.png")
        data = bytes(range(256)) * 10
        await storage.put(key, data, content_type="image/png")
        assert await storage.get(key) == data
        info = await storage.head(key)
        assert info is not None
        assert (info.key, info.size, info.content_type) == (key, len(data), "image/png")

    async def test_put_overwrites(self, storage: ObjectStorage) -> None:
        key = self.new_key()
        await storage.put(key, b"first", content_type="image/jpeg")
        await storage.put(key, b"second!", content_type="image/webp")
        assert await storage.get(key) == b"second!"
        info = await storage.head(key)
        assert info is not None
        assert (info.size, info.content_type) == (7, "image/webp")

    async def test_keys_are_independent(self, storage: ObjectStorage) -> None:
        first, second = self.new_key("a.jpg"), self.new_key("b.jpg")
        await storage.put(first, b"one", content_type="image/jpeg")
        await storage.put(second, b"two", content_type="image/jpeg")
        await storage.delete(first)
        assert await storage.head(first) is None
        assert await storage.get(second) == b"two"

    async def test_head_of_missing_object_is_none(self, storage: ObjectStorage) -> None:
        assert await storage.head(self.new_key()) is None

    async def test_get_of_missing_object_raises(self, storage: ObjectStorage) -> None:
        with pytest.raises(StorageError):
            await storage.get(self.new_key())

    async def test_delete_then_head_is_none(self, storage: ObjectStorage) -> None:
        key = self.new_key()
        await storage.put(key, JPEG_BYTES, content_type="image/jpeg")
        await storage.delete(key)
        assert await storage.head(key) is None
        with pytest.raises(StorageError):
            await storage.get(key)

    async def test_delete_of_missing_object_is_fine(self, storage: ObjectStorage) -> None:
        await storage.delete(self.new_key())

    async def test_stream_yields_bounded_chunks(self, storage: ObjectStorage) -> None:
        key = self.new_key()
        data = bytes(index % 251 for index in range(200_000))
        await storage.put(key, data, content_type="image/jpeg")
        chunks = [chunk async for chunk in storage.stream(key, chunk_size=65536)]
        assert b"".join(chunks) == data
        assert len(chunks) >= 2
        assert all(0 < len(chunk) <= 65536 for chunk in chunks)

    async def test_stream_stopped_early_leaves_the_storage_usable(
        self, storage: ObjectStorage
    ) -> None:
        key = self.new_key()
        data = bytes(index % 241 for index in range(300_000))
        await storage.put(key, data, content_type="image/jpeg")
        for _attempt in range(3):
            chunks = storage.stream(key, chunk_size=1024)
            first = await anext(chunks)
            assert first == data[: len(first)]
            close = getattr(chunks, "aclose", None)
            if close is not None:
                await close()
        assert await storage.get(key) == data

    async def test_stream_of_missing_object_raises(self, storage: ObjectStorage) -> None:
        with pytest.raises(StorageError):
            async for _chunk in storage.stream(self.new_key()):
                pass

    # streamed writes

    async def test_put_stream_writes_the_chunks_in_order(self, storage: ObjectStorage) -> None:
        key = self.new_key("archive.zip")
        # Over two S3 parts (8 MiB each) so a multipart upload really runs.
        block = bytes(index % 253 for index in range(1 << 20))
        chunks = [block[: 1 << 19], *(block for _ in range(17)), b"tail"]

        async def produce() -> AsyncIterator[bytes]:
            for chunk in chunks:
                yield chunk

        size = await storage.put_stream(key, produce(), content_type="application/zip")
        expected = b"".join(chunks)
        assert size == len(expected)
        info = await storage.head(key)
        assert info is not None
        assert (info.size, info.content_type) == (len(expected), "application/zip")
        assert await storage.get(key) == expected

    async def test_put_stream_of_a_small_object(self, storage: ObjectStorage) -> None:
        key = self.new_key("small.zip")

        async def produce() -> AsyncIterator[bytes]:
            yield b"PK"
            yield b"\x05\x06"

        assert await storage.put_stream(key, produce(), content_type="application/zip") == 4
        assert await storage.get(key) == b"PK\x05\x06"

    async def test_put_stream_that_fails_leaves_no_object(self, storage: ObjectStorage) -> None:
        key = self.new_key("broken.zip")

        async def produce() -> AsyncIterator[bytes]:
            yield b"x" * (9 << 20)
            raise RuntimeError("producer failed")

        with pytest.raises(RuntimeError, match="producer failed"):
            await storage.put_stream(key, produce(), content_type="application/zip")
        assert await storage.head(key) is None

    # URLs and health

    async def test_public_url_encodes_the_key(self, storage: ObjectStorage) -> None:
        folder = uuid.uuid4()
        url = storage.public_url(f"conformance/{folder}//originals/my photo.jpg")
        if not self.supports_public_url:
            assert url is None
            return
        assert url is not None
        assert url.endswith(f"conformance/{folder}/originals/my%20photo.jpg")
        assert "//originals" not in url
        assert " " not in url

    async def test_check_passes_when_healthy(self, storage: ObjectStorage) -> None:
        await storage.check()

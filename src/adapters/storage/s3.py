"""Object storage on any S3-compatible service (AWS S3, R2, Tigris, MinIO), through aioboto3.

Clients upload straight to the bucket with a presigned ``PUT`` (SigV4, ``Content-Type``
bound into the signature). A presigned ``PUT`` cannot cap the body size, so the core's
finalize step ``HEAD``-verifies every object (decision Q-M4) and this adapter reports the
stored size faithfully.

One aiobotocore client serves every call: it is created on first use inside the running
event loop and closed by :meth:`S3ObjectStorage.aclose`. Without the required settings the
adapter still constructs, so the server starts and ``/api/v1/health/ready`` reports it; the
operations then raise :class:`S3StorageNotConfigured`, which names the missing settings
(never their values).

Failures map onto the core's errors:

* not configured → :class:`S3StorageNotConfigured` (``StorageUnavailable``, 502
  ``storage_unavailable``; also a ``StorageError`` for the worker);
* a presigning failure → ``UploadSigningFailed`` (502);
* a missing object → ``head`` returns None, ``get`` and ``stream`` raise ``StorageError``;
* any other request failure (unreachable endpoint, timeout, refused credentials, server
  error) → :class:`S3RequestFailed` (``DependencyUnavailable``, 503 ``service_unavailable``;
  also a ``StorageError``, so the worker records ``media_unavailable`` and may retry).

Nothing here logs credentials or presigned URLs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Protocol
from urllib.parse import parse_qs, urlsplit

try:
    import aioboto3
    import aiohttp
    import botocore.exceptions as botocore_errors
    from aiobotocore.config import AioConfig
except ImportError as error:
    raise ImportError("The S3 storage adapter needs aioboto3: install reseller-core[s3]") from error

from reseller_core.domain.object_urls import public_object_url, valid_base_url
from reseller_core.errors import DependencyUnavailable, StorageUnavailable, UploadSigningFailed
from reseller_core.ports.storage import ObjectInfo, SignedUpload, StorageError

log = logging.getLogger(__name__)

MULTIPART_PART_BYTES = 8 * 1024 * 1024
"""Part size of streamed writes: above S3's 5 MiB minimum, and the most one write buffers."""

MAX_KEY_BYTES: Final = 1024
"""S3's limit on the UTF-8 length of an object key."""

MAX_PRESIGN_SECONDS: Final = 7 * 24 * 3600
"""SigV4 presigned URLs live at most seven days; a later expiry is shortened to this."""

DEFAULT_REGION: Final = "us-east-1"
"""What ``auto`` (R2's convention) and an empty region become: every S3-compatible service
accepts it for signing, R2 as an alias of ``auto``."""

_NOT_FOUND_CODES: Final = frozenset({"404", "NoSuchKey", "NotFound"})
_REGION: Final = re.compile(r"^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$")
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")
_CONTENT_TYPE: Final = re.compile(r"^[\x21-\x7e][\x20-\x7e]{0,254}$")
_AMZ_DATE: Final = "%Y%m%dT%H%M%SZ"

_SETTING_NAMES: Final = {
    "bucket": "RESELLER_S3_BUCKET",
    "endpoint_url": "RESELLER_S3_ENDPOINT_URL",
    "region": "RESELLER_S3_REGION",
    "access_key_id": "RESELLER_S3_ACCESS_KEY_ID",
    "secret_access_key": "RESELLER_S3_SECRET_ACCESS_KEY",
}


class S3Settings(Protocol):
    """The deployment settings this adapter reads (``reseller_entrypoints.settings.Settings``)."""

    @property
    def s3_bucket(self) -> str | None: ...
    @property
    def s3_endpoint_url(self) -> str | None: ...
    @property
    def s3_region(self) -> str: ...
    @property
    def s3_access_key_id(self) -> str | None: ...
    @property
    def s3_secret_access_key(self) -> str | None: ...
    @property
    def s3_public_base_url(self) -> str | None: ...


class S3StorageNotConfigured(StorageUnavailable, StorageError):
    """Required settings are missing or invalid.

    The API detail stays generic (decision 60-7: clients learn nothing about the server's
    environment); ``settings`` names the variables, never their values, and the adapter logs
    them once at start-up, so the operator sees exactly what to set.
    """

    def __init__(self, settings: tuple[str, ...], *, signing: bool = False) -> None:
        self.settings = settings
        what = "Storage upload signing" if signing else "Object storage"
        super().__init__(f"{what} is not configured")


class S3RequestFailed(DependencyUnavailable, StorageError):
    """An S3 request failed (unreachable, timed out, refused or a server error); retryable.

    The envelope detail stays generic; ``str()`` adds the operation and a short reason
    (an S3 error code or an exception class name) for logs and run payloads.
    """

    def __init__(self, operation: str, reason: str) -> None:
        self.operation = operation
        self.reason = reason
        super().__init__("storage", "Object storage is unavailable; try again shortly")

    def __str__(self) -> str:
        return f"{self.detail} ({self.operation}: {self.reason})"


class InvalidS3Key(StorageError, ValueError):
    """A key S3 could store but our URLs could not address faithfully (or S3 refuses)."""


def validate_key(key: str) -> str:
    """Return ``key`` when it is non-empty relative plain segments within S3's length limit.

    Empty, ``.`` and ``..`` segments are refused: HTTP clients normalise them away, which
    would break a presigned URL and make the public URL name another object.
    """
    if not isinstance(key, str) or not key:
        raise InvalidS3Key("object key is empty")
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise InvalidS3Key("object key is too long")
    if _CONTROL.search(key):
        raise InvalidS3Key("object key contains a control character")
    if any(segment in ("", ".", "..") for segment in key.split("/")):
        raise InvalidS3Key("object key has an empty, '.' or '..' segment")
    return key


def _clean(value: str | None) -> str | None:
    """A setting's value, or None when unset or blank."""
    if value is None:
        return None
    stripped = value.strip()
    return stripped or None


def _aware_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("expected a timezone-aware datetime")
    return value.astimezone(UTC)


def _reason(error: BaseException) -> str:
    """A short, secret-free description of a botocore failure."""
    if isinstance(error, botocore_errors.ClientError):
        code = str(error.response.get("Error", {}).get("Code") or "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return code or f"HTTP {status}"
    if isinstance(error, botocore_errors.ConnectionError | botocore_errors.HTTPClientError):
        return f"endpoint unreachable ({type(error).__name__})"
    return type(error).__name__


def _is_not_found(error: BaseException) -> bool:
    if not isinstance(error, botocore_errors.ClientError):
        return False
    code = str(error.response.get("Error", {}).get("Code") or "")
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code in _NOT_FOUND_CODES or status == 404


def _expiry_of(url: str, fallback: datetime) -> datetime:
    """When a SigV4 presigned URL stops working: its ``X-Amz-Date`` plus ``X-Amz-Expires``."""
    query = parse_qs(urlsplit(url).query)
    try:
        signed_at = datetime.strptime(query["X-Amz-Date"][0], _AMZ_DATE).replace(tzinfo=UTC)
        return signed_at + timedelta(seconds=int(query["X-Amz-Expires"][0]))
    except (KeyError, IndexError, ValueError):
        return fallback


class S3ObjectStorage:
    """``ObjectStorage`` on one S3 bucket; presigned URLs point at the S3 endpoint itself.

    Args:
        bucket: the bucket holding every object.
        endpoint_url: the S3 API endpoint (None: AWS's own, chosen by region). With an
            endpoint, requests use path-style addressing, which every S3-compatible
            service understands.
        region: the signing region; ``auto`` or empty means ``us-east-1``.
        access_key_id, secret_access_key: static credentials, both or neither; without
            them the default credential chain applies (AWS_* variables, shared config
            files, an instance or task role).
        public_base_url: where objects are publicly readable (a CDN or the bucket's public
            domain); ``public_url`` is None without a valid one.
        connect_timeout_s, read_timeout_s, max_attempts: the client's patience; a request
            is tried ``max_attempts`` times in all before it fails.
    """

    def __init__(
        self,
        *,
        bucket: str | None,
        endpoint_url: str | None = None,
        region: str | None = "auto",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        public_base_url: str | None = None,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 30.0,
        max_attempts: int = 3,
    ) -> None:
        self.bucket = _clean(bucket)
        self.endpoint_url = _clean(endpoint_url)
        raw_region = _clean(region)
        self.region = DEFAULT_REGION if raw_region in (None, "auto") else raw_region
        self.public_base_url = public_base_url
        self._access_key_id = _clean(access_key_id)
        self._secret_access_key = _clean(secret_access_key)
        self._connect_timeout_s = connect_timeout_s
        self._read_timeout_s = read_timeout_s
        self._max_attempts = max(1, max_attempts)
        self.missing_settings = self._missing_settings()
        if self.missing_settings:
            log.warning(
                "S3 storage is not configured (missing or invalid: %s); uploads will fail",
                ", ".join(self.missing_settings),
            )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock: asyncio.Lock | None = None
        self._client: Any = None
        self._exit_stack: contextlib.AsyncExitStack | None = None

    @classmethod
    def from_settings(cls, settings: S3Settings, context: object = None) -> S3ObjectStorage:
        """Build from the ``RESELLER_S3_*`` settings (the registry's ``storage = "s3"``)."""
        return cls(
            bucket=settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
            public_base_url=settings.s3_public_base_url,
        )

    def __repr__(self) -> str:
        return (
            f"S3ObjectStorage(bucket={self.bucket!r}, endpoint_url={self.endpoint_url!r}, "
            f"region={self.region!r})"
        )

    def _missing_settings(self) -> tuple[str, ...]:
        missing: list[str] = []
        if self.bucket is None:
            missing.append(_SETTING_NAMES["bucket"])
        if self.endpoint_url is not None and (
            valid_base_url(self.endpoint_url) is None
            or urlsplit(self.endpoint_url).scheme not in ("http", "https")
        ):
            missing.append(_SETTING_NAMES["endpoint_url"])
        if not _REGION.match(self.region):
            missing.append(_SETTING_NAMES["region"])
        # Without static keys the default credential chain applies (AWS_* variables, shared
        # config files, an instance or task role); half a pair is a mistake to name.
        if self._access_key_id is None and self._secret_access_key is not None:
            missing.append(_SETTING_NAMES["access_key_id"])
        if self._secret_access_key is None and self._access_key_id is not None:
            missing.append(_SETTING_NAMES["secret_access_key"])
        return tuple(missing)

    # --- the client ---------------------------------------------------------------------

    def _require_configured(self, *, signing: bool = False) -> str:
        """The bucket name; ``S3StorageNotConfigured`` when a required setting is missing."""
        if self.missing_settings or self.bucket is None:
            raise S3StorageNotConfigured(self.missing_settings, signing=signing)
        return self.bucket

    async def _s3(self) -> Any:
        """The shared client, created on first use in the running loop.

        A client belongs to the loop it was created in; a call from another loop (a second
        ``asyncio.run``) gets a fresh one, and the old one is dropped. One instance serves one
        event loop at a time.
        """
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop, self._lock = loop, asyncio.Lock()
            self._client, self._exit_stack = None, None
        assert self._lock is not None
        async with self._lock:
            if self._client is None:
                stack = contextlib.AsyncExitStack()
                config = AioConfig(
                    signature_version="s3v4",
                    s3={"addressing_style": "path" if self.endpoint_url else "auto"},
                    retries={"max_attempts": self._max_attempts, "mode": "standard"},
                    connect_timeout=self._connect_timeout_s,
                    read_timeout=self._read_timeout_s,
                    # Checksums only where S3 requires them: a default checksum would be
                    # baked into presigned PUT URLs and refused by some S3-compatible services.
                    request_checksum_calculation="when_required",
                    response_checksum_validation="when_required",
                )
                try:
                    session = aioboto3.Session()
                    self._client = await stack.enter_async_context(
                        session.client(
                            "s3",
                            endpoint_url=self.endpoint_url,
                            region_name=self.region,
                            aws_access_key_id=self._access_key_id,
                            aws_secret_access_key=self._secret_access_key,
                            config=config,
                        )
                    )
                except Exception as error:
                    log.warning("S3 client could not be created: %s", type(error).__name__)
                    raise S3RequestFailed("create_client", type(error).__name__) from error
                self._exit_stack = stack
            return self._client

    async def client(self) -> Any:
        """The shared aiobotocore S3 client (bucket set-up uses it; see ``s3_bucket``)."""
        self._require_configured()
        return await self._s3()

    async def aclose(self) -> None:
        """Close the shared client (idempotent); a later call opens a new one."""
        stack, self._exit_stack, self._client = self._exit_stack, None, None
        if stack is not None and self._loop is asyncio.get_running_loop():
            await stack.aclose()

    @contextlib.contextmanager
    def _failures(self, operation: str) -> Iterator[None]:
        """Turn botocore failures into ``S3RequestFailed``; the core's own errors pass."""
        try:
            yield
        except (StorageError, StorageUnavailable, UploadSigningFailed):
            raise
        except (
            botocore_errors.NoCredentialsError,
            botocore_errors.PartialCredentialsError,
        ) as error:
            raise S3StorageNotConfigured(
                (_SETTING_NAMES["access_key_id"], _SETTING_NAMES["secret_access_key"])
            ) from error
        except (
            botocore_errors.BotoCoreError,
            botocore_errors.ClientError,
            aiohttp.ClientError,
            OSError,
        ) as error:
            reason = _reason(error)
            log.warning("S3 %s on bucket %s failed: %s", operation, self.bucket, reason)
            raise S3RequestFailed(operation, reason) from error

    # --- signing ------------------------------------------------------------------------

    async def sign_upload(
        self, key: str, *, content_type: str, max_bytes: int, expires_at: datetime
    ) -> SignedUpload:
        """A presigned ``PUT`` with ``Content-Type`` among the signed headers.

        S3 cannot cap the body of a presigned ``PUT``: ``max_bytes`` is checked when the
        upload is finalized (its ``HEAD``), not here. The returned ``expires_at`` is the
        URL's own (``X-Amz-Date`` + ``X-Amz-Expires``), at most seven days away.
        """
        bucket = self._require_configured(signing=True)
        try:
            validate_key(key)
        except InvalidS3Key as error:
            raise UploadSigningFailed(f"Upload signing failed: {error}") from error
        if not isinstance(content_type, str) or not _CONTENT_TYPE.match(content_type):
            raise UploadSigningFailed("Upload signing failed: invalid content type")
        if max_bytes < 1:
            raise UploadSigningFailed("Upload signing failed: max_bytes must be positive")
        try:
            expires_in = self._expires_in(expires_at)
        except ValueError as error:
            raise UploadSigningFailed(f"Upload signing failed: {error}") from error
        try:
            client = await self._s3()
            url: str = await client.generate_presigned_url(
                "put_object",
                Params={"Bucket": bucket, "Key": key, "ContentType": content_type},
                ExpiresIn=expires_in,
                HttpMethod="PUT",
            )
        except botocore_errors.NoCredentialsError as error:
            # No static keys and nothing in the default chain either.
            raise S3StorageNotConfigured(
                (_SETTING_NAMES["access_key_id"], _SETTING_NAMES["secret_access_key"]),
                signing=True,
            ) from error
        except Exception as error:
            log.warning("S3 upload signing failed: %s", type(error).__name__)
            raise UploadSigningFailed() from error
        fallback = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=expires_in)
        return SignedUpload(
            url=url,
            method="PUT",
            headers={"content-type": content_type},
            expires_at=_expiry_of(url, fallback),
        )

    async def sign_download(self, key: str, *, expires_at: datetime) -> str:
        """A presigned ``GET`` of a private object, for workers and AI/image providers."""
        bucket = self._require_configured()
        validate_key(key)
        try:
            expires_in = self._expires_in(expires_at)
        except ValueError as error:
            raise StorageError(f"cannot sign a download of {key}: {error}") from error
        try:
            client = await self._s3()
            url: str = await client.generate_presigned_url(
                "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires_in
            )
        except Exception as error:
            log.warning("S3 download signing failed: %s", type(error).__name__)
            raise StorageError(f"cannot sign a download of {key}") from error
        return url

    @staticmethod
    def _expires_in(expires_at: datetime) -> int:
        """Whole seconds from now until ``expires_at``, at most seven days; ValueError if past."""
        seconds = int((_aware_utc(expires_at) - datetime.now(UTC)).total_seconds())
        if seconds < 1:
            raise ValueError("the expiry is not in the future")
        return min(seconds, MAX_PRESIGN_SECONDS)

    def public_url(self, key: str) -> str | None:
        """``{public_base_url}/{key}`` (segments percent-encoded); None without a valid base."""
        return public_object_url(self.public_base_url, key)

    # --- objects ------------------------------------------------------------------------

    async def head(self, key: str) -> ObjectInfo | None:
        """Size and content type from ``HEAD``; None when absent (or the key is unusable)."""
        bucket = self._require_configured()
        try:
            validate_key(key)
        except InvalidS3Key:
            return None
        client = await self._s3()
        with self._failures("head_object"):
            try:
                response = await client.head_object(Bucket=bucket, Key=key)
            except botocore_errors.ClientError as error:
                if _is_not_found(error):
                    return None
                raise
        content_type = response.get("ContentType")
        return ObjectInfo(
            key=key,
            size=int(response.get("ContentLength", 0)),
            content_type=content_type if isinstance(content_type, str) else None,
        )

    async def _open(self, key: str) -> Any:
        """The object's streaming body (``GetObject``); ``StorageError`` when it is absent."""
        bucket = self._require_configured()
        validate_key(key)
        client = await self._s3()
        with self._failures("get_object"):
            try:
                response = await client.get_object(Bucket=bucket, Key=key)
            except botocore_errors.ClientError as error:
                if _is_not_found(error):
                    raise StorageError(f"object not found: {key}") from error
                raise
        return response["Body"]

    async def get(self, key: str) -> bytes:
        """The whole object; ``StorageError`` when it is absent."""
        body = await self._open(key)
        with self._failures("get_object"):
            async with body:
                data: bytes = await body.read()
        return data

    async def stream(self, key: str, chunk_size: int = 65536) -> AsyncIterator[bytes]:
        """Yield the object in chunks of at most ``chunk_size``; ``StorageError`` if absent.

        The body is read from the connection as it is consumed, never held whole; stopping
        early (``aclose``) releases the connection.
        """
        size = max(1, chunk_size)
        body = await self._open(key)
        try:
            while True:
                with self._failures("get_object"):
                    chunk: bytes = await body.read(size)
                if not chunk:
                    break
                yield chunk
        finally:
            body.close()

    async def put(self, key: str, data: bytes, *, content_type: str) -> None:
        """Write a whole object; S3 makes it visible only once complete."""
        bucket = self._require_configured()
        validate_key(key)
        client = await self._s3()
        with self._failures("put_object"):
            await client.put_object(
                Bucket=bucket, Key=key, Body=bytes(data), ContentType=content_type
            )

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes], *, content_type: str) -> int:
        """A multipart upload of parts of ``MULTIPART_PART_BYTES``; aborted on any failure.

        At most one part is buffered, so memory stays flat whatever the object's size. A
        stream shorter than one part is written with a single ``PutObject``.
        """
        bucket = self._require_configured()
        validate_key(key)
        client = await self._s3()
        buffer = bytearray()
        size = 0
        upload_id: str | None = None
        parts: list[dict[str, Any]] = []

        async def flush() -> None:
            nonlocal upload_id
            if upload_id is None:
                with self._failures("create_multipart_upload"):
                    created = await client.create_multipart_upload(
                        Bucket=bucket, Key=key, ContentType=content_type
                    )
                upload_id = str(created["UploadId"])
            number = len(parts) + 1
            with self._failures("upload_part"):
                answer = await client.upload_part(
                    Bucket=bucket,
                    Key=key,
                    UploadId=upload_id,
                    PartNumber=number,
                    Body=bytes(buffer),
                )
            parts.append({"PartNumber": number, "ETag": answer["ETag"]})
            buffer.clear()

        try:
            async for chunk in chunks:
                buffer += chunk
                size += len(chunk)
                if len(buffer) >= MULTIPART_PART_BYTES:
                    await flush()
            if upload_id is None:
                with self._failures("put_object"):
                    await client.put_object(
                        Bucket=bucket, Key=key, Body=bytes(buffer), ContentType=content_type
                    )
                return size
            if buffer:
                await flush()
            with self._failures("complete_multipart_upload"):
                await client.complete_multipart_upload(
                    Bucket=bucket,
                    Key=key,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": parts},
                )
        except BaseException:
            if upload_id is not None:
                with contextlib.suppress(Exception):
                    await client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
            raise
        return size

    async def delete(self, key: str) -> None:
        """Delete an object; S3 answers success for a missing one too."""
        bucket = self._require_configured()
        validate_key(key)
        client = await self._s3()
        with self._failures("delete_object"):
            await client.delete_object(Bucket=bucket, Key=key)

    async def check(self) -> None:
        """Readiness: configured, and the bucket answers a ``HEAD``."""
        bucket = self._require_configured()
        client = await self._s3()
        with self._failures("head_bucket"):
            await client.head_bucket(Bucket=bucket)

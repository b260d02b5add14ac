"""Object storage in a local directory, with HMAC-signed URLs served by the app itself.

The embedded default: no S3, yet the client flow is the production one. ``sign_upload``
returns an expiring ``PUT`` URL on this server; the HTTP routes (``PUT /uploads/{key}``,
``GET /files/{key}``) call back into this class:

* upload route: ``grant = storage.verify_upload(key, query, content_type_header, now)``,
  then ``await storage.receive(grant, body_chunks, content_length)``; a
  :class:`LocalUploadRejected` carries the HTTP ``status``, a stable ``code`` and a
  ``detail`` for the error envelope.
* download route: ``storage.verify_download(key, query, now)`` when the URL is signed, then
  ``await storage.head(key)`` (None → 404, also for an invalid key) and
  ``storage.stream(key)`` for the body.
  Objects under ``/files/`` are also public (keys hold a random UUID), so the route may skip
  the signature check for unsigned requests.

The routes pass ``key`` exactly as the URL path after the prefix, percent-decoded and
*without* a leading slash. An invalid key (``..``, ``.``-segments, absolute, backslash, NUL or
control characters, empty segments) is refused before any file-system access: the verify
methods raise ``LocalUploadRejected(400, "invalid_key")``, ``head`` returns None and the
other operations raise :class:`InvalidObjectKey` (a ``StorageError``).

On disk: ``root/<key>`` holds the bytes; ``root/<dir>/.<name>.meta`` holds the content type
as JSON; ``root/.tmp/`` holds uploads in flight. Keys may not have segments starting with a
dot, so neither can collide with an object. Every write goes to a temporary file first and
is moved into place with ``os.replace``, so a reader never sees a partial object.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import re
import stat
import tempfile
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, TypeVar
from urllib.parse import quote, urlencode

import msgspec

from reseller_core.domain.object_urls import public_object_url, valid_base_url
from reseller_core.errors import StorageUnavailable, UploadSigningFailed
from reseller_core.ports.storage import ObjectInfo, SignedUpload, StorageError

log = logging.getLogger(__name__)
T = TypeVar("T")

UPLOAD_PATH = "/uploads"
DOWNLOAD_PATH = "/files"
MAX_KEY_LENGTH = 512
MAX_SEGMENT_BYTES = 200
"""Leaves room for the ``.<name>.meta`` sidecar within the usual 255-byte file-name limit."""
TEMP_MAX_IDLE_S = 3600.0
"""A temporary file not written to for this long belongs to no live upload: it is swept."""

_SIGNATURE_VERSION = "reseller-local-v1"
_CONTENT_TYPE = re.compile(r"^[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+$")
_UNSIGNED_INT = re.compile(r"^[0-9]{1,15}$")
_HEX_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class LocalUploadRejected(Exception):
    """A request to a local signed URL is refused; the route renders status, code and detail.

    Raised by ``verify_upload``, ``receive`` and ``verify_download``.
    Codes: ``invalid_key`` (400), ``invalid_signature`` (403), ``upload_url_expired`` (403),
    ``download_url_expired`` (403), ``content_type_mismatch`` (415), ``upload_too_large``
    (413), ``empty_upload`` (400), ``incomplete_upload`` (400).
    """

    def __init__(self, status: int, code: str, detail: str) -> None:
        self.status = status
        self.code = code
        self.detail = detail
        super().__init__(f"{status} {code}: {detail}")


class InvalidObjectKey(StorageError, ValueError):
    """A key that could address something outside the storage root (or is otherwise unusable)."""


class UploadGrant(msgspec.Struct, frozen=True, kw_only=True):
    """What a verified upload URL allows: one object at ``key``, of a type, up to a size."""

    key: str
    content_type: str
    max_bytes: int
    expires_at: datetime


def normalise_content_type(value: str) -> str:
    """The media type without parameters, lower-cased: ``Image/JPEG; q=1`` → ``image/jpeg``."""
    return value.split(";", 1)[0].strip().lower()


def validate_key(key: str) -> str:
    """Return ``key`` if it is a safe relative path of plain segments; raise otherwise."""
    if not isinstance(key, str) or not key:
        raise InvalidObjectKey("object key is empty")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidObjectKey("object key is too long")
    if "\\" in key or _CONTROL.search(key):
        raise InvalidObjectKey("object key contains a backslash or a control character")
    if key.startswith("/"):
        raise InvalidObjectKey("object key must be relative")
    for segment in key.split("/"):
        if not segment:
            raise InvalidObjectKey("object key has an empty segment")
        if segment.startswith("."):
            raise InvalidObjectKey("object key segments may not start with a dot")
        if len(segment.encode("utf-8")) > MAX_SEGMENT_BYTES:
            raise InvalidObjectKey("object key segment is too long")
    return key


def _aware_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("expected a timezone-aware datetime")
    return value.astimezone(UTC)


class LocalObjectStorage:
    """``ObjectStorage`` on a directory; signed URLs point at this app's own routes.

    Args:
        root: directory holding the objects (created on first write or ``check``).
        public_base_url: the app's external base URL, e.g. ``http://127.0.0.1:8000``.
        secret: HMAC key for upload and download signatures; keep it stable across
            restarts, or outstanding URLs stop working.
    """

    def __init__(self, root: Path, public_base_url: str, secret: bytes) -> None:
        if not secret:
            raise ValueError("LocalObjectStorage needs a non-empty signing secret")
        if len(secret) < 16:
            log.warning("the local storage signing secret is shorter than 16 bytes")
        self.root = Path(root)
        self._resolved_root = self.root.resolve()
        self._resolved_text = str(self._resolved_root).rstrip("/")
        self.public_base_url = public_base_url
        self._secret = bytes(secret)

    # --- signing ------------------------------------------------------------------------

    def _sign(self, *fields: str | int) -> str:
        # A JSON array keeps field boundaries unambiguous whatever a key contains.
        message = msgspec.json.encode([_SIGNATURE_VERSION, *fields])
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def _base(self) -> str:
        base = valid_base_url(self.public_base_url)
        if base is None:
            # The operator learns which setting is wrong from the log; the client only
            # learns that storage is not configured (decision 60-7).
            log.error("local storage: RESELLER_PUBLIC_BASE_URL is not an absolute URL")
            raise StorageUnavailable()
        return base

    async def sign_upload(
        self, key: str, *, content_type: str, max_bytes: int, expires_at: datetime
    ) -> SignedUpload:
        """A ``PUT`` URL for one object; type and size limit are bound into the signature.

        URL: ``{base}/uploads/{key}?expires=<unix>&ct=<type>&max=<bytes>&sig=<hex>``.
        ``expires_at`` of the result is truncated to whole seconds, as the URL carries it.
        """
        base = self._base()
        try:
            validate_key(key)
        except InvalidObjectKey as error:
            raise UploadSigningFailed(f"Upload signing failed: {error}") from error
        ct = normalise_content_type(content_type)
        if not _CONTENT_TYPE.match(ct):
            raise UploadSigningFailed("Upload signing failed: invalid content type")
        if max_bytes < 1:
            raise UploadSigningFailed("Upload signing failed: max_bytes must be positive")
        expires = int(_aware_utc(expires_at).timestamp())
        signature = self._sign("PUT", key, expires, ct, max_bytes)
        query = urlencode(
            {"expires": expires, "ct": ct, "max": max_bytes, "sig": signature}, quote_via=quote
        )
        url = public_object_url(base + UPLOAD_PATH, key)
        return SignedUpload(
            url=f"{url}?{query}",
            method="PUT",
            headers={"content-type": content_type},
            expires_at=datetime.fromtimestamp(expires, UTC),
        )

    def verify_upload(
        self,
        key: str,
        query: Mapping[str, str],
        content_type_header: str | None,
        now: datetime,
    ) -> UploadGrant:
        """Check a ``PUT /uploads/{key}`` request against its signed query; no I/O.

        Order: key (400 ``invalid_key``), signature (403 ``invalid_signature``, also for
        missing or malformed parameters), expiry (403 ``upload_url_expired``), then the
        ``Content-Type`` header, compared case- and parameter-insensitively with the signed
        type (415 ``content_type_mismatch``, also when absent).
        """
        try:
            validate_key(key)
        except InvalidObjectKey as error:
            raise LocalUploadRejected(400, "invalid_key", str(error)) from error
        expires_raw, ct, max_raw, signature = (
            query.get("expires"),
            query.get("ct"),
            query.get("max"),
            query.get("sig"),
        )
        if (
            expires_raw is None
            or ct is None
            or max_raw is None
            or signature is None
            or not _UNSIGNED_INT.match(expires_raw)
            or not _UNSIGNED_INT.match(max_raw)
            or not _HEX_SHA256.match(signature)
        ):
            raise LocalUploadRejected(403, "invalid_signature", "Missing or malformed signature")
        expires, max_bytes = int(expires_raw), int(max_raw)
        expected = self._sign("PUT", key, expires, ct, max_bytes)
        if not hmac.compare_digest(expected, signature):
            raise LocalUploadRejected(403, "invalid_signature", "Invalid upload signature")
        if _aware_utc(now).timestamp() >= expires:
            raise LocalUploadRejected(
                403, "upload_url_expired", "The upload URL has expired; prepare a new upload"
            )
        if content_type_header is None or normalise_content_type(content_type_header) != ct:
            raise LocalUploadRejected(
                415, "content_type_mismatch", f"Content-Type must be {ct}, as signed"
            )
        return UploadGrant(
            key=key,
            content_type=ct,
            max_bytes=max_bytes,
            expires_at=datetime.fromtimestamp(expires, UTC),
        )

    async def receive(
        self, grant: UploadGrant, chunks: AsyncIterator[bytes], content_length: int | None
    ) -> ObjectInfo:
        """Stream a verified upload into place; nothing is left behind when it is refused.

        Refuses more than ``grant.max_bytes`` (413 ``upload_too_large``, before reading when
        ``content_length`` already says so), an empty body (400 ``empty_upload``) and a body
        shorter or longer than a declared ``content_length`` (400 ``incomplete_upload``).
        Storage failures raise ``StorageError``.
        """
        if content_length is not None and content_length > grant.max_bytes:
            raise _too_large(grant)
        if content_length == 0:
            raise _empty()
        path = self._path(grant.key)
        handle, temp = await _on_disk(grant.key, self._open_temp)
        try:
            total = 0
            async for chunk in chunks:
                if not chunk:
                    continue
                total += len(chunk)
                if total > grant.max_bytes:
                    raise _too_large(grant)
                await _on_disk(grant.key, handle.write, chunk)
            await _on_disk(grant.key, handle.close)
            if total == 0:
                raise _empty()
            if content_length is not None and total != content_length:
                raise LocalUploadRejected(
                    400, "incomplete_upload", "The body does not match Content-Length"
                )
            await _on_disk(grant.key, self._commit, temp, path, grant.content_type)
        except BaseException:
            handle.close()
            temp.unlink(missing_ok=True)
            raise
        return ObjectInfo(key=grant.key, size=total, content_type=grant.content_type)

    async def sign_download(self, key: str, *, expires_at: datetime) -> str:
        """``{base}/files/{key}?expires=<unix>&sig=<hex>``, checked by ``verify_download``."""
        base = self._base()
        validate_key(key)
        expires = int(_aware_utc(expires_at).timestamp())
        query = urlencode({"expires": expires, "sig": self._sign("GET", key, expires)})
        return f"{public_object_url(base + DOWNLOAD_PATH, key)}?{query}"

    def verify_download(self, key: str, query: Mapping[str, str], now: datetime) -> None:
        """Check a signed ``GET /files/{key}``: 400 ``invalid_key``, 403 ``invalid_signature``
        or 403 ``download_url_expired``; returns None when the URL is good.
        """
        try:
            validate_key(key)
        except InvalidObjectKey as error:
            raise LocalUploadRejected(400, "invalid_key", str(error)) from error
        expires_raw, signature = query.get("expires"), query.get("sig")
        if (
            expires_raw is None
            or signature is None
            or not _UNSIGNED_INT.match(expires_raw)
            or not _HEX_SHA256.match(signature)
        ):
            raise LocalUploadRejected(403, "invalid_signature", "Missing or malformed signature")
        expires = int(expires_raw)
        if not hmac.compare_digest(self._sign("GET", key, expires), signature):
            raise LocalUploadRejected(403, "invalid_signature", "Invalid download signature")
        if _aware_utc(now).timestamp() >= expires:
            raise LocalUploadRejected(403, "download_url_expired", "The download URL has expired")

    def public_url(self, key: str) -> str | None:
        """``{base}/files/{key}`` (segments percent-encoded); None without a valid base URL."""
        base = valid_base_url(self.public_base_url)
        return None if base is None else public_object_url(base + DOWNLOAD_PATH, key)

    # --- objects ------------------------------------------------------------------------

    async def head(self, key: str) -> ObjectInfo | None:
        """Size and content type, or None when absent.

        An invalid key is also None (no object can have it), so a ``/files/`` route that
        heads first answers 404 to a path-traversal attempt instead of failing.
        """
        try:
            path = self._path(key)
        except InvalidObjectKey:
            return None
        return await asyncio.to_thread(self._head, key, path)

    async def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as error:
            raise StorageError(f"object not found: {key}") from error
        except OSError as error:
            raise StorageError(f"cannot read object {key}: {error.strerror}") from error

    async def stream(self, key: str, chunk_size: int = 65536) -> AsyncIterator[bytes]:
        """Yield the object in chunks of at most ``chunk_size``; ``StorageError`` if absent.

        The error surfaces on the first iteration, so a route should ``head`` first and
        answer 404 before it starts a response.
        """
        path = self._path(key)
        size = max(1, chunk_size)
        try:
            handle = await asyncio.to_thread(path.open, "rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as error:
            raise StorageError(f"object not found: {key}") from error
        except OSError as error:
            raise StorageError(f"cannot read object {key}: {error.strerror}") from error
        try:
            while chunk := await asyncio.to_thread(handle.read, size):
                yield chunk
        finally:
            handle.close()

    async def put(self, key: str, data: bytes, *, content_type: str) -> None:
        path = self._path(key)

        def write() -> None:
            handle, temp = self._open_temp()
            try:
                with handle:
                    handle.write(data)
                self._commit(temp, path, content_type)
            except BaseException:
                temp.unlink(missing_ok=True)
                raise

        try:
            await asyncio.to_thread(write)
        except OSError as error:
            raise StorageError(f"cannot write object {key}: {error.strerror}") from error

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes], *, content_type: str) -> int:
        """Write chunk by chunk into a temporary file, then move it into place."""
        path = self._path(key)
        try:
            handle, temp = await asyncio.to_thread(self._open_temp)
        except OSError as error:
            raise StorageError(f"cannot write object {key}: {error.strerror}") from error
        size = 0
        try:
            with handle:
                async for chunk in chunks:
                    await asyncio.to_thread(handle.write, chunk)
                    size += len(chunk)
            await asyncio.to_thread(self._commit, temp, path, content_type)
        except OSError as error:
            temp.unlink(missing_ok=True)
            raise StorageError(f"cannot write object {key}: {error.strerror}") from error
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return size

    async def delete(self, key: str) -> None:
        """Remove the object and its metadata; a missing object is fine.

        Empty directories are left in place: removing them would race with a concurrent
        write into the same prefix.
        """
        path = self._path(key)

        def remove() -> None:
            path.unlink(missing_ok=True)
            _meta_path(path).unlink(missing_ok=True)

        try:
            await asyncio.to_thread(remove)
        except IsADirectoryError:
            return
        except OSError as error:
            raise StorageError(f"cannot delete object {key}: {error.strerror}") from error

    async def check(self) -> None:
        """Readiness: the root exists (or can be created) and a file can be written in it."""

        def probe() -> None:
            handle, temp = self._open_temp()
            handle.close()
            temp.unlink()

        try:
            await asyncio.to_thread(probe)
        except OSError as error:
            raise StorageError(f"storage root is not writable: {error.strerror}") from error

    # --- temporary files ----------------------------------------------------------------

    def sweep_temporary(self, *, now: float | None = None) -> int:
        """Delete files under ``.tmp/`` untouched for ``TEMP_MAX_IDLE_S``; how many went.

        An upload in flight writes its file continuously, so only the leftovers of a process
        killed mid-write (or of a client that stalled for that long) are old enough. Run at
        start-up and periodically by the composition root; safe beside other processes.
        """
        temp_dir = self.root / ".tmp"
        cutoff = (time.time() if now is None else now) - TEMP_MAX_IDLE_S
        removed = 0
        try:
            entries = list(os.scandir(temp_dir))
        except FileNotFoundError:
            return 0
        for entry in entries:
            try:
                if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)
                    removed += 1
            except FileNotFoundError:
                continue  # another process swept it first
        if removed:
            log.info("removed %d abandoned temporary upload file(s)", removed)
        return removed

    # --- files --------------------------------------------------------------------------

    def _path(self, key: str) -> Path:
        validate_key(key)
        path = self.root / key
        # Belt and braces after the lexical check: a symlink inside the root must not lead
        # out of it either. The key's segments are plain names (no ``..``), so a path with
        # no symlink among them is inside the root; only one with a symlink is resolved.
        # (``Path.resolve`` examines every directory from ``/``, the root's too, and was
        # the larger part of a small object's write.)
        if self._has_symlink(key) and not path.resolve().is_relative_to(self._resolved_root):
            raise InvalidObjectKey("object key resolves outside the storage root")
        return path

    def _has_symlink(self, key: str) -> bool:
        """Whether a segment of ``key`` under the root is a symlink (missing ones are not)."""
        current = self._resolved_text
        for segment in key.split("/"):
            current = f"{current}/{segment}"
            try:
                if stat.S_ISLNK(os.lstat(current).st_mode):
                    return True
            except (FileNotFoundError, NotADirectoryError):
                return False  # nothing exists below a missing directory or a file
        return False

    def _open_temp(self) -> tuple[BinaryIO, Path]:
        temp_dir = self.root / ".tmp"
        temp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=temp_dir, suffix=".part")
        return os.fdopen(fd, "wb"), Path(name)

    def _commit(self, temp: Path, path: Path, content_type: str) -> None:
        """Move a complete temporary file into place, with its content type beside it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        meta_handle, meta_temp = self._open_temp()
        try:
            with meta_handle:
                meta_handle.write(msgspec.json.encode({"content_type": content_type}))
            os.replace(meta_temp, _meta_path(path))
        except BaseException:
            meta_temp.unlink(missing_ok=True)
            raise
        os.replace(temp, path)

    @staticmethod
    def _head(key: str, path: Path) -> ObjectInfo | None:
        try:
            stat = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as error:
            raise StorageError(f"cannot stat object {key}: {error.strerror}") from error
        if not path.is_file():
            return None
        content_type: str | None = None
        try:
            meta = msgspec.json.decode(_meta_path(path).read_bytes())
            if isinstance(meta, dict) and isinstance(meta.get("content_type"), str):
                content_type = meta["content_type"]
        except (OSError, msgspec.DecodeError):
            content_type = None
        return ObjectInfo(key=key, size=stat.st_size, content_type=content_type)


async def _on_disk(key: str, operation: Callable[..., T], *args: object) -> T:
    """Run a file operation off the event loop; its ``OSError`` becomes a ``StorageError``.

    A full disk (ENOSPC), an exhausted quota or an I/O error is the storage failing, not the
    client: the app answers 503. Errors of the client's own stream are not wrapped.
    """
    try:
        return await asyncio.to_thread(operation, *args)
    except OSError as error:
        raise StorageError(f"cannot store upload {key}: {error.strerror}") from error


def _meta_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.meta")


def _too_large(grant: UploadGrant) -> LocalUploadRejected:
    return LocalUploadRejected(
        413, "upload_too_large", f"The upload exceeds the signed limit of {grant.max_bytes} bytes"
    )


def _empty() -> LocalUploadRejected:
    return LocalUploadRejected(400, "empty_upload", "The upload body is empty")

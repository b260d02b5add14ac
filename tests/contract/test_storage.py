"""ObjectStorage conformance for the in-memory fake and the local-directory adapter,
plus the local adapter's own guarantees: signed-URL rejections and path safety."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest

from reseller_adapters.storage.local import (
    InvalidObjectKey,
    LocalObjectStorage,
    LocalUploadRejected,
    UploadGrant,
)
from reseller_core.errors import StorageUnavailable, UploadSigningFailed
from reseller_core.ports.storage import ObjectStorage, SignedUpload, StorageError
from reseller_core.testing.conformance.storage import ObjectStorageConformance
from reseller_core.testing.fakes import MemoryObjectStorage

SECRET = b"contract-test-secret-0123456789ab"
BASE_URL = "http://testserver"
NOW = datetime(2026, 3, 29, 12, 0, tzinfo=UTC)
KEY = "users/01JQ9A2B3C4D5E6F7G8H9J0KP1/products/01JQ9A2B3C4D5E6F7G8H9J0KP2/originals/a b.jpg"


async def chunked(data: bytes, size: int = 1000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def from_list(chunks: Iterable[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


def split_signed(url: str, prefix: str) -> tuple[str, dict[str, str]]:
    """The key and query a route would see for ``url`` (path decoded, prefix stripped)."""
    parts = urlsplit(url)
    assert parts.path.startswith(prefix)
    return unquote(parts.path[len(prefix) :]), dict(parse_qsl(parts.query))


class TestMemoryObjectStorage(ObjectStorageConformance):
    @pytest.fixture
    def storage(self) -> ObjectStorage:
        return MemoryObjectStorage()

    async def upload_via_signed_url(
        self, storage: ObjectStorage, signed: SignedUpload, data: bytes
    ) -> None:
        assert isinstance(storage, MemoryObjectStorage)
        storage.upload(signed, data)


class TestLocalObjectStorage(ObjectStorageConformance):
    @pytest.fixture
    def storage(self, tmp_path: Path) -> ObjectStorage:
        return LocalObjectStorage(tmp_path / "objects", BASE_URL, SECRET)

    async def upload_via_signed_url(
        self, storage: ObjectStorage, signed: SignedUpload, data: bytes
    ) -> None:
        assert isinstance(storage, LocalObjectStorage)
        assert signed.url.startswith(f"{BASE_URL}/uploads/")
        key, query = split_signed(signed.url, "/uploads/")
        now = signed.expires_at - timedelta(seconds=1)
        grant = storage.verify_upload(key, query, signed.headers["content-type"], now)
        await storage.receive(grant, chunked(data), len(data))


# --- the memory fake's test helpers ------------------------------------------------------


async def test_memory_fake_injects_faults() -> None:
    storage = MemoryObjectStorage()
    storage.fail("sign_upload", StorageUnavailable("RESELLER_STORAGE_ROOT is not set"))
    storage.fail("get", StorageError("injected"))
    with pytest.raises(StorageUnavailable):
        await storage.sign_upload("k", content_type="image/jpeg", max_bytes=1, expires_at=NOW)
    with pytest.raises(StorageError):
        await storage.get("k")
    storage.heal("sign_upload")
    await storage.sign_upload("k", content_type="image/jpeg", max_bytes=1, expires_at=NOW)
    storage.fail("sign_upload", UploadSigningFailed())
    with pytest.raises(UploadSigningFailed):
        await storage.sign_upload("k", content_type="image/jpeg", max_bytes=1, expires_at=NOW)
    storage.heal()
    storage.put_object_directly("k", b"data", "image/png")
    assert await storage.get("k") == b"data"
    with pytest.raises(ValueError, match="unknown storage operation"):
        storage.fail("no_such_method", StorageError())


async def test_memory_fake_upload_enforces_the_signature() -> None:
    storage = MemoryObjectStorage()
    signed = await storage.sign_upload(KEY, content_type="image/jpeg", max_bytes=4, expires_at=NOW)
    assert signed.url.startswith("memory://uploads/")
    with pytest.raises(StorageError):
        storage.upload(signed, b"12345")
    with pytest.raises(StorageError):
        storage.upload(signed, b"1234", now=NOW)
    storage.upload(signed, b"1234", now=NOW - timedelta(seconds=1))
    info = await storage.head(KEY)
    assert info is not None
    assert (info.size, info.content_type) == (4, "image/jpeg")
    assert storage.keys() == [KEY]


def test_memory_fake_public_url_is_none_without_a_base() -> None:
    assert MemoryObjectStorage(public_base_url=None).public_url("a/b") is None
    assert MemoryObjectStorage(public_base_url="not a url").public_url("a/b") is None


# --- the local adapter's signed URLs -----------------------------------------------------


@pytest.fixture
def local(tmp_path: Path) -> LocalObjectStorage:
    return LocalObjectStorage(tmp_path / "objects", BASE_URL, SECRET)


async def sign(
    storage: LocalObjectStorage, key: str = KEY, *, max_bytes: int = 100, ct: str = "image/jpeg"
) -> tuple[str, dict[str, str]]:
    signed = await storage.sign_upload(
        key, content_type=ct, max_bytes=max_bytes, expires_at=NOW + timedelta(minutes=15)
    )
    return split_signed(signed.url, "/uploads/")


def files_under(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


async def test_signed_upload_url_shape(local: LocalObjectStorage) -> None:
    signed = await local.sign_upload(
        KEY, content_type="image/jpeg", max_bytes=100, expires_at=NOW + timedelta(seconds=900.7)
    )
    expires = int((NOW + timedelta(seconds=900)).timestamp())
    assert signed.url.startswith(f"{BASE_URL}/uploads/users/01JQ")
    assert "/originals/a%20b.jpg?" in signed.url
    assert f"expires={expires}&ct=image%2Fjpeg&max=100&sig=" in signed.url
    assert signed.method == "PUT"
    assert signed.headers == {"content-type": "image/jpeg"}
    assert signed.expires_at == NOW + timedelta(seconds=900)


async def test_verify_upload_accepts_a_good_request(local: LocalObjectStorage) -> None:
    key, query = await sign(local)
    grant = local.verify_upload(key, query, "Image/JPEG; charset=binary", NOW)
    assert grant == UploadGrant(
        key=KEY, content_type="image/jpeg", max_bytes=100, expires_at=NOW + timedelta(minutes=15)
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sig", "0" * 64),
        ("sig", "not-hex"),
        ("max", "1000000"),
        ("ct", "image/png"),
        ("expires", "9999999999"),
        ("expires", "-1"),
    ],
)
async def test_tampered_query_is_an_invalid_signature(
    local: LocalObjectStorage, field: str, value: str
) -> None:
    key, query = await sign(local)
    query[field] = value
    with pytest.raises(LocalUploadRejected) as caught:
        local.verify_upload(key, query, "image/jpeg", NOW)
    assert (caught.value.status, caught.value.code) == (403, "invalid_signature")


@pytest.mark.parametrize("missing", ["sig", "expires", "ct", "max"])
async def test_missing_parameter_is_an_invalid_signature(
    local: LocalObjectStorage, missing: str
) -> None:
    key, query = await sign(local)
    del query[missing]
    with pytest.raises(LocalUploadRejected) as caught:
        local.verify_upload(key, query, "image/jpeg", NOW)
    assert (caught.value.status, caught.value.code) == (403, "invalid_signature")


async def test_signature_is_bound_to_the_key_and_the_secret(
    local: LocalObjectStorage, tmp_path: Path
) -> None:
    _key, query = await sign(local)
    with pytest.raises(LocalUploadRejected, match="invalid_signature"):
        local.verify_upload(KEY.replace("a b.jpg", "other.jpg"), query, "image/jpeg", NOW)
    other = LocalObjectStorage(tmp_path / "objects", BASE_URL, b"another-secret-of-enough-length")
    with pytest.raises(LocalUploadRejected, match="invalid_signature"):
        other.verify_upload(KEY, query, "image/jpeg", NOW)


async def test_expired_upload_url(local: LocalObjectStorage) -> None:
    key, query = await sign(local)
    local.verify_upload(key, query, "image/jpeg", NOW + timedelta(minutes=15, seconds=-1))
    with pytest.raises(LocalUploadRejected) as caught:
        local.verify_upload(key, query, "image/jpeg", NOW + timedelta(minutes=15))
    assert (caught.value.status, caught.value.code) == (403, "upload_url_expired")


@pytest.mark.parametrize("header", ["image/png", "image/jpg", "", None, "image/jpeg2"])
async def test_wrong_content_type(local: LocalObjectStorage, header: str | None) -> None:
    key, query = await sign(local)
    with pytest.raises(LocalUploadRejected) as caught:
        local.verify_upload(key, query, header, NOW)
    assert (caught.value.status, caught.value.code) == (415, "content_type_mismatch")


async def test_too_large_upload_leaves_nothing_behind(local: LocalObjectStorage) -> None:
    key, query = await sign(local, max_bytes=100)
    grant = local.verify_upload(key, query, "image/jpeg", NOW)
    with pytest.raises(LocalUploadRejected) as caught:
        await local.receive(grant, chunked(b"x" * 101, size=30), None)
    assert (caught.value.status, caught.value.code) == (413, "upload_too_large")
    assert files_under(local.root) == []
    assert await local.head(KEY) is None


async def test_declared_too_large_upload_is_refused_before_reading(
    local: LocalObjectStorage,
) -> None:
    key, query = await sign(local, max_bytes=100)
    grant = local.verify_upload(key, query, "image/jpeg", NOW)

    class MustNotBeRead:
        def __aiter__(self) -> MustNotBeRead:
            return self

        async def __anext__(self) -> bytes:
            raise AssertionError("the body was read")

    with pytest.raises(LocalUploadRejected, match="upload_too_large"):
        await local.receive(grant, MustNotBeRead(), 101)
    assert files_under(local.root) == []


async def test_upload_of_exactly_max_bytes_is_accepted(local: LocalObjectStorage) -> None:
    key, query = await sign(local, max_bytes=100)
    grant = local.verify_upload(key, query, "image/jpeg", NOW)
    info = await local.receive(grant, chunked(b"y" * 100, size=33), 100)
    assert (info.size, info.content_type) == (100, "image/jpeg")
    assert await local.get(KEY) == b"y" * 100


@pytest.mark.parametrize(
    ("chunks", "length"), [([], None), ([b"", b""], None), ([], 0), ([b"abc"], 0)]
)
async def test_empty_upload_is_refused(
    local: LocalObjectStorage, chunks: list[bytes], length: int | None
) -> None:
    key, query = await sign(local)
    grant = local.verify_upload(key, query, "image/jpeg", NOW)
    with pytest.raises(LocalUploadRejected) as caught:
        await local.receive(grant, from_list(chunks), length)
    assert (caught.value.status, caught.value.code) == (400, "empty_upload")
    assert files_under(local.root) == []


async def test_body_shorter_than_content_length_is_refused(local: LocalObjectStorage) -> None:
    key, query = await sign(local)
    grant = local.verify_upload(key, query, "image/jpeg", NOW)
    with pytest.raises(LocalUploadRejected, match="incomplete_upload"):
        await local.receive(grant, from_list([b"abc"]), 10)
    assert files_under(local.root) == []


async def test_failed_replacement_keeps_the_previous_object(local: LocalObjectStorage) -> None:
    await local.put(KEY, b"previous", content_type="image/png")
    key, query = await sign(local, max_bytes=10)
    grant = local.verify_upload(key, query, "image/jpeg", NOW)
    with pytest.raises(LocalUploadRejected):
        await local.receive(grant, chunked(b"z" * 50, size=5), None)
    assert await local.get(KEY) == b"previous"
    info = await local.head(KEY)
    assert info is not None
    assert info.content_type == "image/png"


async def test_interrupted_upload_leaves_nothing_behind(local: LocalObjectStorage) -> None:
    key, query = await sign(local)
    grant = local.verify_upload(key, query, "image/jpeg", NOW)

    async def disconnects() -> AsyncIterator[bytes]:
        yield b"partial"
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        await local.receive(grant, disconnects(), None)
    assert files_under(local.root) == []


# --- the local adapter's downloads and URLs ----------------------------------------------


async def test_signed_download_round_trip(local: LocalObjectStorage) -> None:
    await local.put(KEY, b"bytes", content_type="image/jpeg")
    url = await local.sign_download(KEY, expires_at=NOW + timedelta(minutes=15))
    assert url.startswith(f"{BASE_URL}/files/users/")
    key, query = split_signed(url, "/files/")
    assert key == KEY
    local.verify_download(key, query, NOW)
    with pytest.raises(LocalUploadRejected) as caught:
        local.verify_download(key, query, NOW + timedelta(minutes=15))
    assert (caught.value.status, caught.value.code) == (403, "download_url_expired")
    with pytest.raises(LocalUploadRejected, match="invalid_signature"):
        local.verify_download(key, {**query, "sig": "f" * 64}, NOW)
    with pytest.raises(LocalUploadRejected, match="invalid_signature"):
        local.verify_download(key, {"expires": query["expires"]}, NOW)


async def test_upload_signature_does_not_open_downloads(local: LocalObjectStorage) -> None:
    key, query = await sign(local)
    with pytest.raises(LocalUploadRejected, match="invalid_signature"):
        local.verify_download(key, query, NOW)


def test_public_url(local: LocalObjectStorage) -> None:
    assert local.public_url("users//u1/products/p1/originals/my photo#1.jpg") == (
        f"{BASE_URL}/files/users/u1/products/p1/originals/my%20photo%231.jpg"
    )
    assert LocalObjectStorage(Path("x"), "", SECRET).public_url("a") is None
    with_slash = LocalObjectStorage(Path("x"), f"{BASE_URL}/", SECRET)
    assert with_slash.public_url("a/b.jpg") == f"{BASE_URL}/files/a/b.jpg"


async def test_sign_upload_without_base_url_is_storage_unavailable(tmp_path: Path) -> None:
    storage = LocalObjectStorage(tmp_path, "", SECRET)
    with pytest.raises(StorageUnavailable):
        await storage.sign_upload(
            KEY, content_type="image/jpeg", max_bytes=1, expires_at=NOW + timedelta(minutes=1)
        )


async def test_sign_upload_rejects_bad_input(local: LocalObjectStorage) -> None:
    expires = NOW + timedelta(minutes=1)
    with pytest.raises(UploadSigningFailed):
        await local.sign_upload("../x", content_type="image/jpeg", max_bytes=1, expires_at=expires)
    with pytest.raises(UploadSigningFailed):
        await local.sign_upload(KEY, content_type="image jpeg", max_bytes=1, expires_at=expires)
    with pytest.raises(UploadSigningFailed):
        await local.sign_upload(KEY, content_type="image/jpeg", max_bytes=0, expires_at=expires)


def test_empty_secret_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="secret"):
        LocalObjectStorage(tmp_path, BASE_URL, b"")


# --- path safety ---------------------------------------------------------------------------

UNSAFE_KEYS = [
    "",
    "../escape.jpg",
    "users/../../escape.jpg",
    "users/..",
    "./here.jpg",
    "/etc/passwd",
    "users\\..\\escape.jpg",
    "users/a\x00.jpg",
    "users/a\n.jpg",
    "users//double.jpg",
    "users/trailing/",
    "users/.hidden",
    "users/.x.jpg.meta",
    "a/" + "b" * 201,
    "k/" * 300,
]


@pytest.mark.parametrize("key", UNSAFE_KEYS)
async def test_unsafe_keys_never_touch_the_file_system(
    local: LocalObjectStorage, tmp_path: Path, key: str
) -> None:
    with pytest.raises(InvalidObjectKey):
        await local.put(key, b"data", content_type="image/jpeg")
    with pytest.raises(StorageError):
        await local.get(key)
    assert await local.head(key) is None
    with pytest.raises(StorageError):
        await local.delete(key)
    with pytest.raises(StorageError):
        async for _chunk in local.stream(key):
            pass
    with pytest.raises(LocalUploadRejected) as caught:
        local.verify_upload(key, {}, "image/jpeg", NOW)
    assert (caught.value.status, caught.value.code) == (400, "invalid_key")
    with pytest.raises(LocalUploadRejected, match="invalid_key"):
        local.verify_download(key, {}, NOW)
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == []


async def test_symlink_out_of_the_root_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "objects"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"secret")
    root.mkdir()
    (root / "users").symlink_to(outside, target_is_directory=True)
    storage = LocalObjectStorage(root, BASE_URL, SECRET)
    with pytest.raises(InvalidObjectKey):
        await storage.get("users/secret.txt")
    assert await storage.head("users/secret.txt") is None
    with pytest.raises(InvalidObjectKey):
        await storage.put("users/new.jpg", b"x", content_type="image/jpeg")
    assert sorted(path.name for path in outside.iterdir()) == ["secret.txt"]


async def test_symlinks_deep_in_a_key_are_checked_where_they_lead(tmp_path: Path) -> None:
    """A symlinked object or a directory below the first segment is followed only when it
    stays inside the root."""
    root = tmp_path / "objects"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"secret")
    storage = LocalObjectStorage(root, BASE_URL, SECRET)
    await storage.put("users/u1/kept.jpg", b"kept", content_type="image/jpeg")
    (root / "users" / "u1" / "leak.jpg").symlink_to(outside / "secret.txt")
    (root / "users" / "u1" / "away").symlink_to(outside, target_is_directory=True)
    (root / "users" / "alias").symlink_to(root / "users" / "u1", target_is_directory=True)
    with pytest.raises(InvalidObjectKey):
        await storage.get("users/u1/leak.jpg")
    with pytest.raises(InvalidObjectKey):
        await storage.put("users/u1/away/new.jpg", b"x", content_type="image/jpeg")
    assert await storage.get("users/alias/kept.jpg") == b"kept"
    assert sorted(path.name for path in outside.iterdir()) == ["secret.txt"]


async def test_object_whose_key_is_a_directory_prefix(local: LocalObjectStorage) -> None:
    await local.put("users/u1/products/p1/originals/a.jpg", b"x", content_type="image/jpeg")
    assert await local.head("users/u1/products") is None
    with pytest.raises(StorageError):
        await local.get("users/u1/products")
    with pytest.raises(StorageError):
        await local.put("users/u1/products/p1/originals/a.jpg/b", b"x", content_type="image/jpeg")


async def test_metadata_sidecar_is_not_an_object(local: LocalObjectStorage) -> None:
    await local.put("a/photo.jpg", b"x", content_type="image/jpeg")
    assert sorted(path.name for path in (local.root / "a").iterdir()) == [
        ".photo.jpg.meta",
        "photo.jpg",
    ]
    await local.delete("a/photo.jpg")
    assert list((local.root / "a").iterdir()) == []


async def test_check_creates_the_root_and_fails_when_unwritable(tmp_path: Path) -> None:
    storage = LocalObjectStorage(tmp_path / "new" / "root", BASE_URL, SECRET)
    await storage.check()
    assert storage.root.is_dir()
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    broken = LocalObjectStorage(blocker / "root", BASE_URL, SECRET)
    with pytest.raises(StorageError):
        await broken.check()

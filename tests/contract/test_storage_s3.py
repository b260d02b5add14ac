"""ObjectStorage conformance for the S3 adapter against moto's S3 server over real HTTP,
plus what is S3-specific: the presigned PUT's signed headers and expiry, missing
configuration, an unreachable endpoint, streaming reads and keeping secrets out of logs."""

from __future__ import annotations

import importlib
import logging
import re
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from reseller_adapters.storage.s3 import (
    MAX_PRESIGN_SECONDS,
    S3ObjectStorage,
    S3RequestFailed,
    S3StorageNotConfigured,
)
from reseller_core.errors import DependencyUnavailable, StorageUnavailable, UploadSigningFailed
from reseller_core.ports.storage import ObjectStorage, SignedUpload, StorageError
from reseller_core.testing.conformance.storage import JPEG_BYTES, ObjectStorageConformance
from reseller_entrypoints.settings import load_settings
from tests.services import MotoServer, free_port

PUBLIC_BASE = "https://cdn.example.test/media"


@pytest.fixture(scope="module")
def fx_bucket(fx_moto: MotoServer) -> str:
    return fx_moto.create_bucket()


def moto_storage(moto: MotoServer, bucket: str, **overrides: object) -> S3ObjectStorage:
    options: dict[str, object] = {
        "bucket": bucket,
        "endpoint_url": moto.endpoint_url,
        "region": moto.region,
        "access_key_id": moto.access_key_id,
        "secret_access_key": moto.secret_access_key,
        "public_base_url": PUBLIC_BASE,
        **overrides,
    }
    return S3ObjectStorage(**options)  # type: ignore[arg-type]


@pytest.fixture
async def fx_s3(fx_moto: MotoServer, fx_bucket: str) -> AsyncIterator[S3ObjectStorage]:
    storage = moto_storage(fx_moto, fx_bucket)
    yield storage
    await storage.aclose()


async def http_upload(signed: SignedUpload, data: bytes) -> httpx.Response:
    """The client's PUT: exactly the returned method, URL and headers, over real HTTP."""
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.request(signed.method, signed.url, content=data, headers=signed.headers)


class TestS3ObjectStorage(ObjectStorageConformance):
    enforces_upload_limit = False

    @pytest.fixture
    def storage(self, fx_s3: S3ObjectStorage) -> ObjectStorage:
        return fx_s3

    async def upload_via_signed_url(
        self, storage: ObjectStorage, signed: SignedUpload, data: bytes
    ) -> None:
        response = await http_upload(signed, data)
        if response.status_code != 200:
            raise StorageError(f"S3 refused the upload: {response.status_code} {response.text}")


def signed_query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def in_minutes(minutes: float) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)


# --- the presigned PUT ---------------------------------------------------------------------


async def test_content_type_is_a_signed_header(fx_s3: S3ObjectStorage, fx_moto: MotoServer) -> None:
    key = "users/u1/products/p1/originals/photo.jpg"
    signed = await fx_s3.sign_upload(
        key, content_type="image/webp", max_bytes=1000, expires_at=in_minutes(15)
    )
    query = signed_query(signed.url)
    assert signed.url.startswith(f"{fx_moto.endpoint_url}/{fx_s3.bucket}/users/u1/")
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert "content-type" in query["X-Amz-SignedHeaders"].split(";")
    assert query["X-Amz-Signature"]
    assert not [name for name in query if name.lower().startswith("x-amz-checksum")]
    assert signed.headers == {"content-type": "image/webp"}


async def test_expires_at_is_the_urls_own_expiry(fx_s3: S3ObjectStorage) -> None:
    wanted = in_minutes(15).replace(microsecond=0)
    signed = await fx_s3.sign_upload(
        "a/b.jpg", content_type="image/jpeg", max_bytes=10, expires_at=wanted
    )
    query = signed_query(signed.url)
    signed_at = datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert signed.expires_at == signed_at + timedelta(seconds=int(query["X-Amz-Expires"]))
    assert abs((signed.expires_at - wanted).total_seconds()) <= 2
    assert 895 <= int(query["X-Amz-Expires"]) <= 900


async def test_expiry_beyond_seven_days_is_shortened(fx_s3: S3ObjectStorage) -> None:
    signed = await fx_s3.sign_upload(
        "a/b.jpg", content_type="image/jpeg", max_bytes=10, expires_at=in_minutes(60 * 24 * 30)
    )
    assert int(signed_query(signed.url)["X-Amz-Expires"]) == MAX_PRESIGN_SECONDS
    url = await fx_s3.sign_download("a/b.jpg", expires_at=in_minutes(60 * 24 * 30))
    assert int(signed_query(url)["X-Amz-Expires"]) == MAX_PRESIGN_SECONDS


@pytest.mark.parametrize(
    ("key", "content_type", "max_bytes", "expires_at"),
    [
        ("../escape.jpg", "image/jpeg", 10, in_minutes(15)),
        ("a//b.jpg", "image/jpeg", 10, in_minutes(15)),
        ("", "image/jpeg", 10, in_minutes(15)),
        ("a/" + "b" * 1100, "image/jpeg", 10, in_minutes(15)),
        ("a/b\n.jpg", "image/jpeg", 10, in_minutes(15)),
        ("a/b.jpg", "image/jpeg\r\nx-amz-acl: public-read", 10, in_minutes(15)),
        ("a/b.jpg", "", 10, in_minutes(15)),
        ("a/b.jpg", "image/jpeg", 0, in_minutes(15)),
        ("a/b.jpg", "image/jpeg", 10, in_minutes(-1)),
        ("a/b.jpg", "image/jpeg", 10, datetime(2030, 1, 1)),  # naive
    ],
)
async def test_bad_signing_input_is_upload_signing_failed(
    fx_s3: S3ObjectStorage, key: str, content_type: str, max_bytes: int, expires_at: datetime
) -> None:
    with pytest.raises(UploadSigningFailed) as caught:
        await fx_s3.sign_upload(
            key, content_type=content_type, max_bytes=max_bytes, expires_at=expires_at
        )
    assert caught.value.code == "upload_signing_failed"


async def test_signed_download_serves_the_object(fx_s3: S3ObjectStorage) -> None:
    key = "users/u1/products/p1/variants/i1-background_removed.png"
    await fx_s3.put(key, b"\x89PNG variant", content_type="image/png")
    url = await fx_s3.sign_download(key, expires_at=in_minutes(15))
    assert "X-Amz-Signature=" in url
    async with httpx.AsyncClient() as client:
        response = await client.get(url)
    assert response.status_code == 200
    assert response.content == b"\x89PNG variant"
    assert response.headers["content-type"] == "image/png"


def test_public_url_uses_the_public_base(fx_s3: S3ObjectStorage) -> None:
    assert fx_s3.public_url("users//u1/a b.jpg") == f"{PUBLIC_BASE}/users/u1/a%20b.jpg"
    assert S3ObjectStorage(bucket="b").public_url("a.jpg") is None
    assert S3ObjectStorage(bucket="b", public_base_url="cdn.example").public_url("a") is None


# --- objects -------------------------------------------------------------------------------


async def test_streaming_reads_in_bounded_chunks(fx_s3: S3ObjectStorage) -> None:
    key = "stream/large.bin"
    data = bytes(index % 253 for index in range(3 * 1024 * 1024 + 17))
    await fx_s3.put(key, data, content_type="application/octet-stream")
    received = bytearray()
    count = 0
    async for chunk in fx_s3.stream(key, chunk_size=64 * 1024):
        assert 0 < len(chunk) <= 64 * 1024
        received += chunk
        count += 1
    assert bytes(received) == data
    assert count >= 48


async def test_invalid_keys_never_reach_s3(fx_s3: S3ObjectStorage) -> None:
    assert await fx_s3.head("a/../b.jpg") is None
    assert await fx_s3.head("") is None
    with pytest.raises(StorageError):
        await fx_s3.put("a//b.jpg", b"x", content_type="image/jpeg")
    with pytest.raises(StorageError):
        await fx_s3.get("./a.jpg")
    with pytest.raises(StorageError):
        await fx_s3.delete("a/\x00.jpg")
    with pytest.raises(StorageError):
        async for _chunk in fx_s3.stream("/absolute.jpg"):
            pass


async def test_one_client_is_reused_and_closed(fx_s3: S3ObjectStorage) -> None:
    await fx_s3.put("reuse/a.txt", b"a", content_type="text/plain")
    first = fx_s3._client
    assert first is not None
    await fx_s3.head("reuse/a.txt")
    await fx_s3.sign_upload(
        "reuse/b.jpg", content_type="image/jpeg", max_bytes=1, expires_at=in_minutes(1)
    )
    assert fx_s3._client is first
    await fx_s3.aclose()
    assert fx_s3._client is None
    await fx_s3.aclose()
    assert await fx_s3.get("reuse/a.txt") == b"a"
    assert fx_s3._client is not None
    assert fx_s3._client is not first


async def test_missing_bucket_fails_the_readiness_check(fx_moto: MotoServer) -> None:
    storage = moto_storage(fx_moto, "no-such-bucket-here")
    try:
        with pytest.raises(S3RequestFailed) as caught:
            await storage.check()
        assert isinstance(caught.value, StorageError)
        with pytest.raises(S3RequestFailed):
            await storage.put("a.jpg", b"x", content_type="image/jpeg")
    finally:
        await storage.aclose()


# --- configuration -------------------------------------------------------------------------


async def test_missing_configuration_is_generic_to_clients_and_named_to_operators() -> None:
    storage = S3ObjectStorage(
        bucket=" ",
        endpoint_url="http://127.0.0.1:9",
        access_key_id="AKIA-visible-id",
        secret_access_key="s3cr3t-value-never-shown",
    )
    with pytest.raises(StorageUnavailable) as caught:
        await storage.sign_upload(
            "a/b.jpg", content_type="image/jpeg", max_bytes=10, expires_at=in_minutes(15)
        )
    assert caught.value.code == "storage_unavailable"
    assert caught.value.detail == "Storage upload signing is not configured"
    assert isinstance(caught.value, S3StorageNotConfigured)
    assert caught.value.settings == ("RESELLER_S3_BUCKET",)
    assert "s3cr3t" not in repr(storage)
    with pytest.raises(S3StorageNotConfigured) as unready:
        await storage.check()
    assert unready.value.settings == ("RESELLER_S3_BUCKET",)
    for operation in (storage.head("a"), storage.get("a"), storage.delete("a")):
        with pytest.raises(StorageError):
            await operation
    with pytest.raises(StorageUnavailable):
        await storage.sign_download("a/b.jpg", expires_at=in_minutes(1))


async def test_from_settings_lists_every_missing_setting() -> None:
    settings = load_settings(environ={}, storage="s3")
    storage = S3ObjectStorage.from_settings(settings, None)
    assert storage.region == "us-east-1"
    with pytest.raises(StorageUnavailable) as caught:
        await storage.sign_upload(
            "a/b.jpg", content_type="image/jpeg", max_bytes=10, expires_at=in_minutes(15)
        )
    assert caught.value.detail == "Storage upload signing is not configured"
    assert isinstance(caught.value, S3StorageNotConfigured)
    # Static keys are optional (the default credential chain applies without them).
    assert caught.value.settings == ("RESELLER_S3_BUCKET",)


def test_half_a_key_pair_is_named() -> None:
    assert S3ObjectStorage(bucket="b", access_key_id="id").missing_settings == (
        "RESELLER_S3_SECRET_ACCESS_KEY",
    )
    assert S3ObjectStorage(bucket="b", secret_access_key="s").missing_settings == (
        "RESELLER_S3_ACCESS_KEY_ID",
    )


async def test_without_static_keys_the_default_credential_chain_signs(
    fx_moto: MotoServer, fx_bucket: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", fx_moto.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", fx_moto.secret_access_key)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    storage = moto_storage(fx_moto, fx_bucket, access_key_id=None, secret_access_key=None)
    try:
        assert storage.missing_settings == ()
        signed = await storage.sign_upload(
            "chain/a.jpg", content_type="image/jpeg", max_bytes=100, expires_at=in_minutes(5)
        )
        assert signed_query(signed.url)["X-Amz-Credential"].startswith(fx_moto.access_key_id)
        assert (await http_upload(signed, JPEG_BYTES)).status_code == 200
        info = await storage.head("chain/a.jpg")
        assert info is not None and info.size == len(JPEG_BYTES)
    finally:
        await storage.aclose()


async def test_without_any_credentials_signing_names_the_variables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    storage = S3ObjectStorage(bucket="b", endpoint_url=f"http://127.0.0.1:{free_port()}")
    try:
        with pytest.raises(S3StorageNotConfigured) as caught:
            await storage.sign_upload(
                "a/b.jpg", content_type="image/jpeg", max_bytes=10, expires_at=in_minutes(5)
            )
        assert caught.value.settings == (
            "RESELLER_S3_ACCESS_KEY_ID",
            "RESELLER_S3_SECRET_ACCESS_KEY",
        )
    finally:
        await storage.aclose()


async def test_an_invalid_endpoint_or_region_is_named() -> None:
    storage = S3ObjectStorage(
        bucket="b",
        endpoint_url="ftp://files.example",
        region="not a region!",
        access_key_id="id",
        secret_access_key="secret",
    )
    assert storage.missing_settings == ("RESELLER_S3_ENDPOINT_URL", "RESELLER_S3_REGION")
    with pytest.raises(S3StorageNotConfigured) as unready:
        await storage.check()
    assert unready.value.settings == ("RESELLER_S3_ENDPOINT_URL", "RESELLER_S3_REGION")


def test_without_the_extra_the_import_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "aioboto3", None)
    monkeypatch.delitem(sys.modules, "reseller_adapters.storage.s3")
    with pytest.raises(ImportError, match=re.escape("install reseller-core[s3]")):
        importlib.import_module("reseller_adapters.storage.s3")


def test_region_auto_is_signable() -> None:
    assert S3ObjectStorage(bucket="b", region="auto").region == "us-east-1"
    assert S3ObjectStorage(bucket="b", region="eu-central-1").region == "eu-central-1"


# --- failures ------------------------------------------------------------------------------


async def test_unreachable_endpoint_is_a_clear_retryable_error() -> None:
    storage = S3ObjectStorage(
        bucket="b",
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        access_key_id="id",
        secret_access_key="secret-value",
        max_attempts=1,
        connect_timeout_s=2,
    )
    try:
        signed = await storage.sign_upload(
            "a/b.jpg", content_type="image/jpeg", max_bytes=10, expires_at=in_minutes(15)
        )
        assert signed.url  # presigning is local: it needs no round trip
        with pytest.raises(S3RequestFailed) as caught:
            await storage.head("a/b.jpg")
        error = caught.value
        assert isinstance(error, StorageError)
        assert isinstance(error, DependencyUnavailable)
        assert error.code == "service_unavailable"
        assert error.detail == "Object storage is unavailable; try again shortly"
        assert "endpoint unreachable" in str(error)
        assert "secret-value" not in str(error)
        with pytest.raises(S3RequestFailed):
            await storage.check()
        with pytest.raises(S3RequestFailed):
            await storage.put("a/b.jpg", JPEG_BYTES, content_type="image/jpeg")
        with pytest.raises(S3RequestFailed):
            async for _chunk in storage.stream("a/b.jpg"):
                pass
    finally:
        await storage.aclose()


async def test_logs_hold_no_credentials_or_signatures(
    fx_moto: MotoServer, fx_bucket: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="reseller_adapters.storage.s3")
    secret = "moto-secret-" + "x" * 20
    good = moto_storage(fx_moto, fx_bucket, secret_access_key=secret)
    down = S3ObjectStorage(
        bucket="b",
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        access_key_id="id",
        secret_access_key=secret,
        max_attempts=1,
    )
    try:
        signed = await good.sign_upload(
            "log/a.jpg", content_type="image/jpeg", max_bytes=10, expires_at=in_minutes(5)
        )
        await good.put("log/a.jpg", b"x", content_type="image/jpeg")
        await good.sign_download("log/a.jpg", expires_at=in_minutes(5))
        with pytest.raises(S3RequestFailed):
            await down.get("log/a.jpg")
        with pytest.raises(UploadSigningFailed):
            await good.sign_upload(
                "log/a.jpg", content_type="image/jpeg", max_bytes=10, expires_at=in_minutes(-5)
            )
    finally:
        await good.aclose()
        await down.aclose()
    assert any(record.name == "reseller_adapters.storage.s3" for record in caplog.records)
    assert secret not in caplog.text
    assert signed_query(signed.url)["X-Amz-Signature"] not in caplog.text
    assert "X-Amz-Signature" not in caplog.text

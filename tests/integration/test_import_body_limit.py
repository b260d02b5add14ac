"""``POST /imports`` has its own body limit, derived from ``max_archive_bytes`` (spec 50 §9.1)."""

from __future__ import annotations

import base64
import io
import os
import zipfile

from litestar import Litestar
from litestar.testing import AsyncTestClient

from reseller_core.services.transfers.imports import request_body_limit
from tests.integration.conftest import Account

Client = AsyncTestClient[Litestar]


async def test_a_34_mb_class_body_is_read_and_a_larger_one_is_413(
    fx_client: Client, fx_account: Account
) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("manifest.json", b'{"products": []}')
        archive.writestr("big.bin", os.urandom(24_900_000))
    data = out.getvalue()
    assert len(data) < 25_000_000
    encoded = base64.b64encode(data).decode()
    body = f'{{"import": {{"filename": "big.zip", "archive_base64": "{encoded}"}}}}'
    assert len(body) > 33_000_000
    read = await fx_client.post(
        "/api/v1/imports",
        content=body,
        headers={**fx_account.headers, "content-type": "application/json"},
    )
    # Read and judged: the entry is over the 15 MB entry limit, not over the body limit.
    assert read.status_code == 422, read.text[:300]
    assert read.json()["error"]["error_code"] == "archive_entry_too_large"

    too_big = " " * (request_body_limit(25_000_000) + 1)
    refused = await fx_client.post(
        "/api/v1/imports",
        content=too_big,
        headers={**fx_account.headers, "content-type": "application/json"},
    )
    assert refused.status_code == 413
    assert refused.json()["error"]["code"] == "request_too_large"
    other_route = await fx_client.post(
        "/api/v1/exports",
        content=" " * (2 * 1024 * 1024),
        headers={**fx_account.headers, "content-type": "application/json"},
    )
    assert other_route.status_code == 413

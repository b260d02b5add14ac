"""Setting up the bucket of ``S3ObjectStorage``: create it, let browsers upload to it.

``reseller storage init`` calls these once per deployment; the server never does (it runs
with credentials that should not be able to create buckets or change their policies).
Browsers upload with a presigned ``PUT`` straight to the bucket, so the bucket's CORS rules
must allow ``PUT`` with a ``Content-Type`` header from the app's origins.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore import exceptions as botocore_errors

from reseller_adapters.storage.s3 import S3ObjectStorage

_MISSING_BUCKET = frozenset({"404", "NoSuchBucket", "NotFound"})
_NO_CORS = frozenset({"NoSuchCORSConfiguration"})


def _code(error: botocore_errors.ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


async def ensure_bucket(storage: S3ObjectStorage) -> bool:
    """Create the bucket when it does not exist; True when it was created."""
    client = await storage.client()
    bucket = storage.bucket
    try:
        await client.head_bucket(Bucket=bucket)
        return False
    except botocore_errors.ClientError as error:
        if _code(error) not in _MISSING_BUCKET:
            raise
    options: dict[str, Any] = {"Bucket": bucket}
    if storage.region != "us-east-1":
        options["CreateBucketConfiguration"] = {"LocationConstraint": storage.region}
    await client.create_bucket(**options)
    return True


def _allows_upload(rule: dict[str, Any], origin: str) -> bool:
    origins = rule.get("AllowedOrigins", [])
    methods = {method.upper() for method in rule.get("AllowedMethods", [])}
    headers = {header.lower() for header in rule.get("AllowedHeaders", [])}
    return (
        (origin in origins or "*" in origins)
        and "PUT" in methods
        and ("*" in headers or "content-type" in headers)
    )


async def origins_without_upload_cors(
    storage: S3ObjectStorage, origins: Sequence[str]
) -> list[str]:
    """The origins whose browser uploads the bucket's CORS rules would refuse."""
    client = await storage.client()
    try:
        response = await client.get_bucket_cors(Bucket=storage.bucket)
    except botocore_errors.ClientError as error:
        if _code(error) not in _NO_CORS:
            raise
        return list(origins)
    rules = response.get("CORSRules", [])
    return [origin for origin in origins if not any(_allows_upload(r, origin) for r in rules)]


async def allow_browser_uploads(storage: S3ObjectStorage, origins: Sequence[str]) -> None:
    """Set CORS rules allowing presigned uploads (PUT) and reads (GET, HEAD) from ``origins``."""
    client = await storage.client()
    await client.put_bucket_cors(
        Bucket=storage.bucket,
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedOrigins": list(origins),
                    "AllowedMethods": ["PUT", "GET", "HEAD"],
                    "AllowedHeaders": ["content-type"],
                    "ExposeHeaders": ["ETag"],
                    "MaxAgeSeconds": 3600,
                }
            ]
        },
    )

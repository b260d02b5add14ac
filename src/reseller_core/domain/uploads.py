"""Upload intents and finalize items: validation and storage keys (spec 30 §3)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from reseller_core.domain.ids import parse_ulid
from reseller_core.domain.validation import (
    CANT_BE_BLANK,
    IS_INVALID,
    greater_than,
    strict_int,
    too_few_items,
    too_long,
    too_many_items,
)
from reseller_core.errors import FieldErrors

ALLOWED_CONTENT_TYPES: frozenset[str] = frozenset(
    {"image/jpeg", "image/jpg", "image/png", "image/webp", "image/heic", "image/heif"}
)
MAX_BYTE_SIZE = 25_000_000
BATCH_MIN = 1
BATCH_MAX = 10
FILENAME_MAX = 255
CHECKSUM_MAX = 255
DEFAULT_MAX_ORIGINALS = 20


class UploadIntent(msgspec.Struct, frozen=True, kw_only=True):
    filename: str
    content_type: str
    byte_size: int
    checksum: str | None = None
    width: int | None = None
    height: int | None = None


class FinalizeItem(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    byte_size: int | None = None
    width: int | None = None
    height: int | None = None
    checksum: str | None = None


def normalise_content_type(content_type: str) -> str:
    lowered = content_type.strip().lower()
    return "image/jpeg" if lowered == "image/jpg" else lowered


def _positive_int(
    item: dict[str, Any], key: str, errs: dict[str, list[str]], required: bool
) -> int | None:
    if key not in item or item[key] is None:
        if required:
            errs.setdefault(key, []).append(CANT_BE_BLANK)
        return None
    number = strict_int(item[key])
    if number is None:
        errs.setdefault(key, []).append(IS_INVALID)
        return None
    if number <= 0:
        errs.setdefault(key, []).append(greater_than(0))
        return None
    return number


def _validate_intent(item: Any) -> tuple[UploadIntent | None, dict[str, list[str]]]:
    errs: dict[str, list[str]] = {}
    if not isinstance(item, dict):
        return None, {"base": [IS_INVALID]}
    filename = item.get("filename")
    if not isinstance(filename, str) or not filename.strip():
        errs.setdefault("filename", []).append(CANT_BE_BLANK)
    elif len(filename) > FILENAME_MAX:
        errs.setdefault("filename", []).append(too_long(FILENAME_MAX))
    content_type = item.get("content_type")
    if not isinstance(content_type, str) or not content_type.strip():
        errs.setdefault("content_type", []).append(CANT_BE_BLANK)
    elif not content_type.strip().lower().startswith("image/"):
        errs.setdefault("content_type", []).append("must be an image content type")
    elif content_type.strip().lower() not in ALLOWED_CONTENT_TYPES:
        errs.setdefault("content_type", []).append("is not a supported image type")
    byte_size = _positive_int(item, "byte_size", errs, required=True)
    if byte_size is not None and byte_size > MAX_BYTE_SIZE:
        errs.setdefault("byte_size", []).append(f"must be less than or equal to {MAX_BYTE_SIZE}")
    width = _positive_int(item, "width", errs, required=False)
    height = _positive_int(item, "height", errs, required=False)
    _positive_int(item, "position", errs, required=False)
    checksum = item.get("checksum")
    if checksum is not None and not isinstance(checksum, str):
        errs.setdefault("checksum", []).append(IS_INVALID)
        checksum = None
    elif isinstance(checksum, str) and len(checksum) > CHECKSUM_MAX:
        errs.setdefault("checksum", []).append(too_long(CHECKSUM_MAX))
    if errs:
        return None, errs
    assert isinstance(filename, str) and isinstance(content_type, str) and byte_size is not None
    return (
        UploadIntent(
            filename=filename,
            content_type=normalise_content_type(content_type),
            byte_size=byte_size,
            checksum=checksum,
            width=width,
            height=height,
        ),
        {},
    )


def validate_upload_intents(
    value: Any,
    *,
    existing_originals: int = 0,
    max_originals: int = DEFAULT_MAX_ORIGINALS,
    required: bool = False,
) -> tuple[list[UploadIntent], FieldErrors]:
    """Validate an ``uploads`` batch; returns (intents, field errors under ``uploads``).

    Errors for entries come back as a list aligned with the input (valid entries as ``{}``);
    batch-level errors as a list of messages.
    """
    if value is None or value == []:
        if required:
            return [], {"uploads": [CANT_BE_BLANK]}
        return [], {}
    if not isinstance(value, list):
        return [], {"uploads": [IS_INVALID]}
    if len(value) < BATCH_MIN:
        return [], {"uploads": [too_few_items(BATCH_MIN)]}
    if len(value) > BATCH_MAX:
        return [], {"uploads": [too_many_items(BATCH_MAX)]}
    intents: list[UploadIntent] = []
    aligned: list[dict[str, list[str]]] = []
    for item in value:
        intent, errs = _validate_intent(item)
        aligned.append(errs)
        if intent is not None:
            intents.append(intent)
    if any(aligned):
        return [], {"uploads": aligned}
    if existing_originals + len(intents) > max_originals:
        return [], {"uploads": [f"would exceed {max_originals} images per product"]}
    return intents, {}


def validate_finalize_items(value: Any) -> tuple[list[FinalizeItem], list[str], FieldErrors]:
    """Validate a finalize ``uploads`` batch.

    Returns (items with well-formed ids, raw ids that are not ULIDs, field errors). Ids that
    are not ULIDs are not a field error: they are reported as ``invalid_uploads`` by the
    caller, like foreign ids.
    """
    if value is None or value == []:
        return [], [], {"uploads": [CANT_BE_BLANK]}
    if not isinstance(value, list):
        return [], [], {"uploads": [IS_INVALID]}
    if len(value) > BATCH_MAX:
        return [], [], {"uploads": [too_many_items(BATCH_MAX)]}
    items: list[FinalizeItem] = []
    malformed: list[str] = []
    aligned: list[dict[str, list[str]]] = []
    seen: set[str] = set()
    duplicate = False
    for entry in value:
        errs: dict[str, list[str]] = {}
        if not isinstance(entry, dict):
            aligned.append({"base": [IS_INVALID]})
            continue
        raw_id = entry.get("id")
        if raw_id is None or (isinstance(raw_id, str) and not raw_id.strip()):
            errs.setdefault("id", []).append(CANT_BE_BLANK)
        elif not isinstance(raw_id, str):
            errs.setdefault("id", []).append(IS_INVALID)
        byte_size = _positive_int(entry, "byte_size", errs, required=False)
        width = _positive_int(entry, "width", errs, required=False)
        height = _positive_int(entry, "height", errs, required=False)
        checksum = entry.get("checksum")
        if checksum is not None and not isinstance(checksum, str):
            errs.setdefault("checksum", []).append(IS_INVALID)
        elif isinstance(checksum, str) and len(checksum) > CHECKSUM_MAX:
            errs.setdefault("checksum", []).append(too_long(CHECKSUM_MAX))
        aligned.append(errs)
        if errs or not isinstance(raw_id, str):
            continue
        image_id = parse_ulid(raw_id)
        key = image_id or raw_id
        if key in seen:
            duplicate = True
        seen.add(key)
        if image_id is None:
            malformed.append(raw_id)
            continue
        items.append(
            FinalizeItem(
                id=image_id,
                byte_size=byte_size,
                width=width,
                height=height,
                checksum=checksum if isinstance(checksum, str) else None,
            )
        )
    if any(aligned):
        return [], [], {"uploads": aligned}
    if duplicate:
        return [], [], {"uploads": ["contains duplicate image ids"]}
    return items, malformed, {}


def file_extension(filename: str) -> str:
    """The client filename's extension including the dot, or ``""`` (spec 30 §1)."""
    base = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    if "." not in base.strip(".") and not base.startswith("."):
        return ""
    ext = "." + base.rsplit(".", 1)[-1]
    return ext if len(ext) > 1 and all(c.isalnum() for c in ext[1:]) and len(ext) <= 10 else ""


def original_key(user_id: str, product_id: str, object_name: str, filename: str) -> str:
    """``users/{user}/products/{product}/originals/{uuid}{ext}``; the caller supplies the uuid."""
    return (
        f"users/{user_id}/products/{product_id}/originals/{object_name}{file_extension(filename)}"
    )


def count_pending(statuses: Sequence[str]) -> int:
    return sum(1 for status in statuses if status == "pending_upload")

"""Upload intents and finalize items: their rules and storage keys (spec 30 §3)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, cast

import msgspec
from msgspec import Meta

from reseller_core.domain.ids import parse_ulid
from reseller_core.domain.validation import (
    CANT_BE_BLANK,
    IS_INVALID,
    greater_than,
    has_unstorable_characters,
    less_or_equal,
    too_long,
    too_many_items,
)
from reseller_core.errors import FieldError, FieldErrors, ItemErrors

ALLOWED_CONTENT_TYPES: frozenset[str] = frozenset(
    {"image/jpeg", "image/jpg", "image/png", "image/webp", "image/heic", "image/heif"}
)
MAX_BYTE_SIZE = 25_000_000
MAX_SIDE = 65_535
"""Largest width or height a client may declare: the most a JPEG can have, far beyond any
camera. Bounding it keeps every declared number inside every engine's integer column."""
BATCH_MIN = 1
BATCH_MAX = 10
FILENAME_MAX = 255
CHECKSUM_MAX = 255
DEFAULT_MAX_ORIGINALS = 20

Pixels = Annotated[int, Meta(ge=1, le=MAX_SIDE, description="Pixels, 1 to 65535.")]
ByteSize = Annotated[int, Meta(ge=1, le=MAX_BYTE_SIZE, description="1 to 25000000 bytes.")]


class UploadIntent(msgspec.Struct, frozen=True, kw_only=True):
    """One photo the client is about to upload (spec 30 §3.1)."""

    filename: Annotated[str, Meta(description="The client's file name (at most 255 characters).")]
    content_type: Annotated[
        str, Meta(description="image/jpeg, image/png, image/webp, image/heic or image/heif.")
    ]
    byte_size: ByteSize
    checksum: Annotated[str | None, Meta(description="At most 255 characters.")] = None
    width: Pixels | None = None
    height: Pixels | None = None


class FinalizeItem(msgspec.Struct, frozen=True, kw_only=True):
    """An uploaded photo, named by the ``image_id`` of its upload instruction."""

    id: Annotated[str, Meta(description="The image id from the upload instruction (ULID).")]
    byte_size: ByteSize | None = None
    width: Pixels | None = None
    height: Pixels | None = None
    checksum: Annotated[str | None, Meta(description="At most 255 characters.")] = None


def normalise_content_type(content_type: str) -> str:
    lowered = content_type.strip().lower()
    return "image/jpeg" if lowered == "image/jpg" else lowered


def _batch_and_items(unread: FieldError | None) -> tuple[list[str], list[ItemErrors]]:
    """Split the edge's ``uploads`` messages: batch messages, or one map per entry."""
    if not isinstance(unread, list) or not unread:
        return [], []
    if all(isinstance(entry, str) for entry in unread):
        return cast(list[str], unread), []
    return [], cast(list[ItemErrors], unread)


def _positive(errs: ItemErrors, key: str, value: int | None, maximum: int = MAX_SIDE) -> None:
    if value is not None and value <= 0:
        errs.setdefault(key, []).append(greater_than(0))
    elif value is not None and value > maximum:
        errs.setdefault(key, []).append(less_or_equal(maximum))


def _checksum(errs: ItemErrors, value: str | None) -> None:
    if value is not None and has_unstorable_characters(value):
        errs.setdefault("checksum", []).append(IS_INVALID)
    elif value is not None and len(value) > CHECKSUM_MAX:
        errs.setdefault("checksum", []).append(too_long(CHECKSUM_MAX))


def _intent_errors(intent: UploadIntent, unread: ItemErrors) -> ItemErrors:
    """One entry's messages, in field order; the edge's messages replace a field's rules."""
    if "base" in unread:
        return dict(unread)
    rules: ItemErrors = {}
    filename = intent.filename
    if not filename.strip():
        rules["filename"] = [CANT_BE_BLANK]
    elif has_unstorable_characters(filename):
        rules["filename"] = [IS_INVALID]
    elif len(filename) > FILENAME_MAX:
        rules["filename"] = [too_long(FILENAME_MAX)]
    content_type = intent.content_type.strip().lower()
    if not content_type:
        rules["content_type"] = [CANT_BE_BLANK]
    elif has_unstorable_characters(content_type):
        rules["content_type"] = [IS_INVALID]
    elif not content_type.startswith("image/"):
        rules["content_type"] = ["must be an image content type"]
    elif content_type not in ALLOWED_CONTENT_TYPES:
        rules["content_type"] = ["is not a supported image type"]
    if intent.byte_size <= 0:
        rules["byte_size"] = [greater_than(0)]
    elif intent.byte_size > MAX_BYTE_SIZE:
        rules["byte_size"] = [f"must be less than or equal to {MAX_BYTE_SIZE}"]
    _positive(rules, "width", intent.width)
    _positive(rules, "height", intent.height)
    _checksum(rules, intent.checksum)
    return _merge(rules, unread, INTENT_FIELDS)


def _merge(rules: ItemErrors, unread: ItemErrors, order: Sequence[str]) -> ItemErrors:
    merged: ItemErrors = {}
    for key in order:
        if key in unread:
            merged[key] = unread[key]
        elif key in rules:
            merged[key] = rules[key]
    return merged


INTENT_FIELDS = ("filename", "content_type", "byte_size", "width", "height", "position", "checksum")
FINALIZE_FIELDS = ("id", "byte_size", "width", "height", "checksum")


def check_upload_intents(
    intents: Sequence[UploadIntent],
    unread: FieldError | None = None,
    *,
    existing_originals: int = 0,
    max_originals: int = DEFAULT_MAX_ORIGINALS,
    required: bool = False,
) -> tuple[list[UploadIntent], FieldErrors]:
    """Apply the ``uploads`` rules; returns (intents, field errors under ``uploads``).

    Errors for entries come back as a list aligned with the input (valid entries as ``{}``);
    batch-level errors as a list of messages. ``unread`` is what the edge could not read
    under ``uploads`` (see ``InputProblems``).
    """
    batch, unread_items = _batch_and_items(unread)
    if batch:
        return [], {"uploads": batch}
    if not intents:
        return [], ({"uploads": [CANT_BE_BLANK]} if required else {})
    if len(intents) > BATCH_MAX:
        return [], {"uploads": [too_many_items(BATCH_MAX)]}
    aligned = [
        _intent_errors(intent, unread_items[index] if index < len(unread_items) else {})
        for index, intent in enumerate(intents)
    ]
    if any(aligned):
        return [], {"uploads": list(aligned)}
    if existing_originals + len(intents) > max_originals:
        return [], {"uploads": [f"would exceed {max_originals} images per product"]}
    return [
        msgspec.structs.replace(intent, content_type=normalise_content_type(intent.content_type))
        for intent in intents
    ], {}


def check_finalize_items(
    items: Sequence[FinalizeItem], unread: FieldError | None = None
) -> tuple[list[FinalizeItem], list[str], FieldErrors]:
    """Apply the finalize ``uploads`` rules.

    Returns (items with canonical ids, raw ids that are not ULIDs, field errors). Ids that
    are not ULIDs are not a field error: they are reported as ``invalid_uploads`` by the
    caller, like foreign ids.
    """
    batch, unread_items = _batch_and_items(unread)
    if batch:
        return [], [], {"uploads": batch}
    if not items:
        return [], [], {"uploads": [CANT_BE_BLANK]}
    if len(items) > BATCH_MAX:
        return [], [], {"uploads": [too_many_items(BATCH_MAX)]}
    valid: list[FinalizeItem] = []
    malformed: list[str] = []
    aligned: list[ItemErrors] = []
    seen: set[str] = set()
    duplicate = False
    for index, item in enumerate(items):
        entry_unread = unread_items[index] if index < len(unread_items) else {}
        if "base" in entry_unread:
            aligned.append(dict(entry_unread))
            continue
        rules: ItemErrors = {}
        if not item.id.strip():
            rules["id"] = [CANT_BE_BLANK]
        _positive(rules, "byte_size", item.byte_size, MAX_BYTE_SIZE)
        _positive(rules, "width", item.width)
        _positive(rules, "height", item.height)
        _checksum(rules, item.checksum)
        errs = _merge(rules, entry_unread, FINALIZE_FIELDS)
        aligned.append(errs)
        if errs:
            continue
        image_id = parse_ulid(item.id)
        key = image_id or item.id
        if key in seen:
            duplicate = True
        seen.add(key)
        if image_id is None:
            malformed.append(item.id)
            continue
        valid.append(msgspec.structs.replace(item, id=image_id))
    if any(aligned):
        return [], [], {"uploads": list(aligned)}
    if duplicate:
        return [], [], {"uploads": ["contains duplicate image ids"]}
    return valid, malformed, {}


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

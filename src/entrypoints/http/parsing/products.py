"""Parsers for the product endpoints' bodies (spec 20 §2.1, spec 30 §3)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Final

from msgspec import UNSET, UnsetType

from reseller_core.commands import CreateProduct, FinalizeUploads, PrepareUploads
from reseller_core.domain.products import MONEY_FIELDS, TEXT_LIMITS, ProductSource, SellerFields
from reseller_core.domain.uploads import FinalizeItem, UploadIntent
from reseller_core.domain.validation import CANT_BE_BLANK, IS_INVALID, greater_than
from reseller_core.errors import FieldErrors, ItemErrors
from reseller_entrypoints.http.parsing.values import (
    NOT_AN_OBJECT,
    JsonObject,
    Parsed,
    as_object,
    finish,
    text_or_empty,
)

PRODUCT_NOT_AN_OBJECT: Final = "product must be a JSON object"
_NUMERIC: Final = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


class Unreadable:
    """A value of the wrong JSON type (its message is recorded by the caller)."""


UNREADABLE: Final = Unreadable()


def strict_int(value: object) -> int | None:
    """A JSON integer (not a bool; a float only when it has no fraction)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def read_money(value: object) -> Decimal | Unreadable | None:
    """A JSON number or numeric string as a Decimal; a blank string is None.

    Only plain decimal notation is a numeric string: ``Decimal()`` alone would also take
    ``"1_000"``, ``"١٢"`` or ``"NaN"``. Ranges and rounding are the use case's rules.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return UNREADABLE
    text = value.strip() if isinstance(value, str) else repr(value)
    if isinstance(value, str):
        if not text:
            return None
        if not _NUMERIC.fullmatch(text):
            return UNREADABLE
    try:
        return Decimal(text)
    except InvalidOperation:
        return UNREADABLE


def read_tags(value: object) -> tuple[str, ...] | Unreadable:
    """A list of strings, or one string of comma- or newline-separated tags."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(re.split(r"[,\n]", value))
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    return UNREADABLE


def read_seller_fields(data: JsonObject, problems: FieldErrors, *, creating: bool) -> SellerFields:
    """The seller fields present in ``data``; wrong JSON types become ``is invalid``."""

    def text(field: str) -> str | UnsetType | None:
        if field not in data:
            return UNSET
        value = data[field]
        if value is None or isinstance(value, str):
            return value
        problems[field] = [IS_INVALID]
        return UNSET

    def money(field: str) -> Decimal | UnsetType | None:
        if field not in data:
            return UNSET
        amount = read_money(data[field])
        if isinstance(amount, Unreadable):
            problems[field] = [IS_INVALID]
            return UNSET
        return amount

    tags: tuple[str, ...] | UnsetType = UNSET
    if "tags" in data:
        read = read_tags(data["tags"])
        if isinstance(read, Unreadable):
            problems["tags"] = [IS_INVALID]
        else:
            tags = read
    tab = text("product_tab_id")
    source: ProductSource | UnsetType | None = UNSET
    if creating and "source" in data:
        raw = data["source"]
        if raw is None:
            source = None
        elif isinstance(raw, str) and raw in ProductSource._value2member_map_:
            source = ProductSource(raw)
        else:
            problems["source"] = [IS_INVALID]
    texts = {field: text(field) for field in TEXT_LIMITS}
    price, cost = (money(field) for field in MONEY_FIELDS)
    return SellerFields(
        title=texts["title"],
        brand=texts["brand"],
        category=texts["category"],
        condition=texts["condition"],
        color=texts["color"],
        size=texts["size"],
        material=texts["material"],
        sku=texts["sku"],
        notes=texts["notes"],
        price=price,
        cost=cost,
        tags=tags,
        product_tab_id=tab,
        source=source,
    )


def _count(entry: JsonObject, key: str, errs: ItemErrors, *, required: bool = False) -> int | None:
    """An optional (or required) integer; 0 stands in for one that could not be read."""
    value = entry.get(key)
    if value is None:
        if required:
            errs[key] = [CANT_BE_BLANK]
            return 0
        return None
    number = strict_int(value)
    if number is None:
        errs[key] = [IS_INVALID]
        return 0 if required else None
    return number


def _checksum(entry: JsonObject, errs: ItemErrors) -> str | None:
    value = entry.get("checksum")
    if value is None or isinstance(value, str):
        return value
    errs["checksum"] = [IS_INVALID]
    return None


def read_upload_intents(value: object, problems: FieldErrors) -> tuple[UploadIntent, ...]:
    """Upload intents aligned with the input; an entry that is not an object is ``base``."""
    if value is None:
        return ()
    if not isinstance(value, list):
        problems["uploads"] = [IS_INVALID]
        return ()
    intents: list[UploadIntent] = []
    aligned: list[ItemErrors] = []
    for item in value:
        errs: ItemErrors = {}
        entry = as_object(item)
        if entry is None:
            aligned.append({"base": [IS_INVALID]})
            intents.append(UploadIntent(filename="", content_type="", byte_size=0))
            continue
        byte_size = _count(entry, "byte_size", errs, required=True)
        width = _count(entry, "width", errs)
        height = _count(entry, "height", errs)
        position = _count(entry, "position", errs)
        if position is not None and position <= 0:
            errs["position"] = [greater_than(0)]  # validated, not kept: the batch order is
        for key in ("filename", "content_type"):
            # Absent or null is blank (the rule's message); another JSON type is invalid.
            if entry.get(key) is not None and not isinstance(entry.get(key), str):
                errs[key] = [IS_INVALID]
        intents.append(
            UploadIntent(
                filename=text_or_empty(entry.get("filename")),
                content_type=text_or_empty(entry.get("content_type")),
                byte_size=byte_size or 0,
                checksum=_checksum(entry, errs),
                width=width,
                height=height,
            )
        )
        aligned.append(errs)
    if any(aligned):
        problems["uploads"] = list(aligned)
    return tuple(intents)


def read_finalize_items(value: object, problems: FieldErrors) -> tuple[FinalizeItem, ...]:
    """Finalize entries aligned with the input; an id that is not a string is ``is invalid``."""
    if value is None:
        return ()
    if not isinstance(value, list):
        problems["uploads"] = [IS_INVALID]
        return ()
    items: list[FinalizeItem] = []
    aligned: list[ItemErrors] = []
    for item in value:
        errs: ItemErrors = {}
        entry = as_object(item)
        if entry is None:
            aligned.append({"base": [IS_INVALID]})
            items.append(FinalizeItem(id=""))
            continue
        raw_id = entry.get("id")
        if raw_id is not None and not isinstance(raw_id, str):
            errs["id"] = [IS_INVALID]
        items.append(
            FinalizeItem(
                id=text_or_empty(raw_id),
                byte_size=_count(entry, "byte_size", errs),
                width=_count(entry, "width", errs),
                height=_count(entry, "height", errs),
                checksum=_checksum(entry, errs),
            )
        )
        aligned.append(errs)
    if any(aligned):
        problems["uploads"] = list(aligned)
    return tuple(items)


def parse_create_product(body: object) -> Parsed[CreateProduct]:
    """The whole body is optional (an empty body reads as ``{}``); so is ``product``. A
    JSON ``null`` body is not an object: 400, like any other non-object body."""
    problems: FieldErrors = {}
    data = as_object(body)
    if data is None:
        return finish(CreateProduct(), problems, NOT_AN_OBJECT)
    raw_product = data.get("product")
    product = {} if raw_product is None else as_object(raw_product)
    if product is None:
        return finish(CreateProduct(), problems, PRODUCT_NOT_AN_OBJECT)
    fields = read_seller_fields(product, problems, creating=True)
    uploads = read_upload_intents(data.get("uploads"), problems)
    return finish(CreateProduct(product=fields, uploads=uploads), problems)


def parse_prepare_uploads(product_id: str, body: object) -> Parsed[PrepareUploads]:
    problems: FieldErrors = {}
    data = as_object(body)
    if data is None:
        return finish(PrepareUploads(product_id=product_id, uploads=()), problems, NOT_AN_OBJECT)
    uploads = read_upload_intents(data.get("uploads"), problems)
    return finish(PrepareUploads(product_id=product_id, uploads=uploads), problems)


def parse_finalize_uploads(product_id: str, body: object) -> Parsed[FinalizeUploads]:
    problems: FieldErrors = {}
    data = as_object(body)
    if data is None:
        return finish(FinalizeUploads(product_id=product_id, uploads=()), problems, NOT_AN_OBJECT)
    uploads = read_finalize_items(data.get("uploads"), problems)
    return finish(FinalizeUploads(product_id=product_id, uploads=uploads), problems)

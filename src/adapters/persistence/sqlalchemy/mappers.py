"""Rows ↔ domain structs, by field name (columns are named like the struct fields).

Reading goes through ``msgspec.convert``: one C-level pass that turns JSON lists into tuples,
strings into enums and ISO strings into ``datetime``. The JSON artifacts are read as JSON
text and decoded straight into their structs (one pass, no intermediate dicts); decimals
inside them are strings, datetimes ISO 8601. Writing uses ``msgspec.to_builtins`` for JSON
columns only, so decimals travel as strings and datetimes as ISO 8601, on either engine.
Timestamps are normalised to aware UTC by the ``UtcDateTime`` column type.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

import msgspec
import sqlalchemy as sa

from reseller_core.domain.artifacts import (
    DescriptionDraft,
    MarketplaceListing,
    PriceResearch,
    sort_listings,
)
from reseller_core.domain.images import ProductImage
from reseller_core.domain.listing_query import SEARCH_FIELDS, search_document
from reseller_core.domain.products import Product, ProductTab
from reseller_core.domain.runs import ProcessingRun
from reseller_core.domain.users import ApiToken, ConfirmationToken, User

S = TypeVar("S", bound=msgspec.Struct)

USER_FIELDS: tuple[str, ...] = User.__struct_fields__
TOKEN_FIELDS: tuple[str, ...] = ApiToken.__struct_fields__
CONFIRMATION_FIELDS: tuple[str, ...] = ConfirmationToken.__struct_fields__
TAB_FIELDS: tuple[str, ...] = ProductTab.__struct_fields__
PRODUCT_FIELDS: tuple[str, ...] = Product.__struct_fields__
IMAGE_FIELDS: tuple[str, ...] = ProductImage.__struct_fields__
RUN_FIELDS: tuple[str, ...] = ProcessingRun.__struct_fields__
ARTIFACT_COLUMNS: tuple[str, ...] = ("description_draft", "price_research", "marketplace_listings")

_JSON_FIELDS: dict[type[msgspec.Struct], frozenset[str]] = {
    User: frozenset({"selected_marketplaces", "addon_credits"}),
    Product: frozenset({"tags"}),
    ProductImage: frozenset({"source_image_ids"}),
    ProcessingRun: frozenset({"marketplaces", "payload"}),
}
"""Fields stored in JSON columns: converted to plain JSON-able builtins on write."""

_IMMUTABLE: frozenset[str] = frozenset({"id", "created_at"})

_DRAFT_JSON = msgspec.json.Decoder(DescriptionDraft)
_RESEARCH_JSON = msgspec.json.Decoder(PriceResearch)
_LISTINGS_JSON = msgspec.json.Decoder(list[MarketplaceListing])


def from_values(kind: type[S], fields: Sequence[str], values: Iterable[Any]) -> S:
    """Build a domain struct from column values in ``fields`` order."""
    return msgspec.convert(dict(zip(fields, values, strict=True)), kind)


def to_values(struct: msgspec.Struct) -> dict[str, Any]:
    """Column values for an INSERT of ``struct``."""
    values = msgspec.structs.asdict(struct)
    for name in _JSON_FIELDS.get(type(struct), ()):
        values[name] = msgspec.to_builtins(values[name])
    return values


def to_update_values(struct: msgspec.Struct, *, keep: Iterable[str] = ()) -> dict[str, Any]:
    """Column values for an UPDATE: everything but the id, creation time and ``keep``."""
    values = to_values(struct)
    for name in (*_IMMUTABLE, *keep):
        values.pop(name, None)
    return values


def product_document(product: Product) -> str:
    """The product's ``search_document`` (fields per ``SEARCH_FIELDS``, tags last)."""
    values: list[str | None] = [getattr(product, name) for name in SEARCH_FIELDS if name != "tags"]
    return search_document(values, product.tags)


def product_values(product: Product) -> dict[str, Any]:
    """Insert values of a new product: the row, empty artifacts and its search document."""
    values = to_values(product)
    values["search_document"] = product_document(product)
    values["description_draft"] = None
    values["price_research"] = None
    values["marketplace_listings"] = []
    return values  # ``videos`` starts as the column's default, ``[]``


def artifact_json(artifact: msgspec.Struct | Sequence[msgspec.Struct] | None) -> Any:
    """An artifact (or the listings) as JSON builtins: decimals as strings, ISO datetimes."""
    return msgspec.to_builtins(artifact)


def artifacts_from_values(
    values: Sequence[str | None],
) -> tuple[DescriptionDraft | None, PriceResearch | None, list[MarketplaceListing]]:
    """Decode the three artifact columns, read as JSON text (in ``ARTIFACT_COLUMNS`` order)."""
    draft, research, listings = values
    return (
        _DRAFT_JSON.decode(draft) if draft is not None else None,
        _RESEARCH_JSON.decode(research) if research is not None else None,
        sort_listings(_LISTINGS_JSON.decode(listings)) if listings else [],
    )


@functools.cache
def columns_of(table: sa.Table, fields: tuple[str, ...]) -> list[sa.Column[Any]]:
    """``table``'s columns named ``fields``, in that order.

    Built once per table and field list: repositories are made with every unit of work,
    which is one per request.
    """
    return [table.c[name] for name in fields]

"""Commands of the product tab use cases (spec 20 §1).

``tab_id`` is the id from the request path as the client sent it: a malformed id is
answered like an unknown or foreign one (404) by the use case.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType


class SaveProductTab(msgspec.Struct, frozen=True, kw_only=True):
    """``POST /product_tabs`` (name required) or ``PATCH /product_tabs/{id}`` (partial)."""

    name: Annotated[
        str | UnsetType | None,
        Meta(description="Trimmed; 1 to 80 characters; unique per seller ignoring case."),
    ] = UNSET
    position: Annotated[
        int | UnsetType | None,
        Meta(description="Greater than 0; on create defaults to the highest position + 1."),
    ] = UNSET

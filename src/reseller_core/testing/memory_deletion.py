"""Deleting a product from the in-memory tables as the SQL schema's keys do (spec 20 §3.5).

Owned rows (images, processing, lifestyle and video runs) go with the product, as by their
``CASCADE`` keys; metering rows stay with ``product_id`` null.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

if TYPE_CHECKING:
    from reseller_core.testing.memory_tables import Tables


def delete_product_rows(tables: Tables, product_id: str) -> None:
    tables.products.pop(product_id, None)
    owned: tuple[dict[str, Any], ...] = (
        tables.images,
        tables.runs,
        tables.lifestyle_runs,
        tables.video_runs,
    )
    for rows in owned:
        for key in [key for key, row in rows.items() if row.product_id == product_id]:
            del rows[key]
    for key, event in list(tables.usage_events.items()):
        if event.product_id == product_id:
            tables.usage_events[key] = msgspec.structs.replace(event, product_id=None)
    for key, call in list(tables.provider_calls.items()):
        if call.product_id == product_id:
            tables.provider_calls[key] = msgspec.structs.replace(call, product_id=None)
    inquiries = tables.storefronts.inquiries
    for key, inquiry in list(inquiries.items()):
        if inquiry.product_id == product_id:  # kept, as SQL's ON DELETE SET NULL keeps it
            inquiries[key] = msgspec.structs.replace(inquiry, product_id=None)

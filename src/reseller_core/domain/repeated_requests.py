"""Recognising a repeated finalize (a double tap) so it returns the run it already started.

A finalize starts a metered processing run. Sent twice in a row (a double tap, a client
retrying after a lost answer), the second would start a second run over the same photos
and be charged again. Within a short window, a finalize that changes nothing (every photo
it names is already uploaded, none is still pending, and no photo was added since the
latest run started) is that repeat: it answers with the latest run instead.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Final

from reseller_core.domain.images import ImageKind, ImageStatus, ProductImage
from reseller_core.domain.runs import ProcessingRun

FINALIZE_REPEAT_WINDOW: Final = timedelta(seconds=30)
"""How long after a run started an unchanged finalize still counts as its repeat."""


def repeats_latest_finalize(
    listed_ids: Collection[str],
    images: Sequence[ProductImage],
    latest_run: ProcessingRun | None,
    now: datetime,
) -> bool:
    """True when a finalize naming ``listed_ids`` would only restart ``latest_run``."""
    if latest_run is None or not listed_ids:
        return False
    if now - latest_run.created_at > FINALIZE_REPEAT_WINDOW:
        return False
    originals = {image.id: image for image in images if image.kind == ImageKind.ORIGINAL}
    if any(image_id not in originals for image_id in listed_ids):
        return False
    return all(
        image.processing_status != ImageStatus.PENDING_UPLOAD
        and image.created_at <= latest_run.created_at
        for image in originals.values()
    )

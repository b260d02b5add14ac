"""Download links for stored archives (spec 50 §5.2)."""

from __future__ import annotations

import logging
from datetime import datetime

from reseller_core.ports import ObjectStorage

log = logging.getLogger(__name__)


async def download_link(
    storage: ObjectStorage, key: str, expires_at: datetime, *, public_fallback: bool
) -> str | None:
    """A presigned GET until ``expires_at``; the public URL only where opted in; else None."""
    try:
        return await storage.sign_download(key, expires_at=expires_at)
    except Exception:
        log.warning("signing a download link failed", exc_info=True)
    return storage.public_url(key) if public_fallback else None

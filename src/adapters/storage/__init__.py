"""Object storage (the ``ObjectStorage`` port)."""

from reseller_adapters.storage.local import (
    InvalidObjectKey,
    LocalObjectStorage,
    LocalUploadRejected,
    UploadGrant,
)

__all__ = ["InvalidObjectKey", "LocalObjectStorage", "LocalUploadRejected", "UploadGrant"]

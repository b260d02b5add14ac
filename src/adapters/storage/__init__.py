"""Object storage (the ``ObjectStorage`` port)."""

from adapters.storage.local import (
    InvalidObjectKey,
    LocalObjectStorage,
    LocalUploadRejected,
    UploadGrant,
)

__all__ = ["InvalidObjectKey", "LocalObjectStorage", "LocalUploadRejected", "UploadGrant"]

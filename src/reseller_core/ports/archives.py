"""Encoding an export archive (spec 50 §6): ``Products.xlsx``, ``manifest.json``, images.

The core decides what goes in (``domain.archive_manifest``); an adapter encodes it as a
ZIP stream without holding the archive, the images or the workbook in memory.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable
from typing import Any, Protocol, runtime_checkable

JsonObject = dict[str, Any]
"""A JSON object of the manifest (values: str, int, float, bool, None, lists, objects)."""


class ArchiveImageFailed(Exception):
    """An image's bytes could not be read; the export fails with ``message``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ArchiveBuildFailed(Exception):
    """The archive could not be assembled (spec 50 §4.1: ``while building the ZIP``)."""


ImageReader = Callable[[JsonObject], AsyncIterator[bytes]]
"""The bytes of one manifest image entry; raises ``ArchiveImageFailed``."""


@runtime_checkable
class ArchiveWriter(Protocol):
    def write(
        self,
        products: AsyncIterable[JsonObject],
        export_entry: Callable[[int], JsonObject],
        read_image: ImageReader,
    ) -> AsyncIterator[bytes]:
        """The ZIP bytes: ``Products.xlsx``, ``manifest.json`` then every product's images.

        ``products`` are manifest entries in archive order; ``export_entry(count)`` is the
        manifest's ``export`` object once the product count is known.
        """
        ...

"""Reading an uploaded archive safely (spec 50 §10.2): checks first, then budgeted inflation.

The archive is a local temporary file whose name is ours. Opening it reads only the
central directory and applies ``check_central_directory``; reading an entry inflates it
in chunks and stops as soon as the actual output passes the entry's budget or the
archive's total budget, so neither a lying declared size nor a bomb costs more memory
than one entry's limit. Nothing is ever written to disk under a name from the archive,
and entries are never opened as archives themselves.
"""

from __future__ import annotations

import zipfile
import zlib
from typing import BinaryIO

from reseller_core.domain.archive_safety import (
    ArchiveLimits,
    ArchiveRejected,
    check_central_directory,
    entry_name,
)

CHUNK_BYTES = 64 * 1024


class SafeArchive:
    """An opened, checked archive; ``read`` returns one entry's bytes within the budgets."""

    def __init__(self, handle: BinaryIO, limits: ArchiveLimits) -> None:
        try:
            self._zip = zipfile.ZipFile(handle)
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as error:
            raise ArchiveRejected("invalid_zip_archive", type(error).__name__) from None
        check_central_directory(infos, limits)
        self._limits = limits
        self._entries = {entry_name(info): info for info in infos}
        self._inflated = 0

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def read(self, name: str) -> bytes:
        """The entry's bytes; ``ArchiveRejected`` when a budget is passed or it is corrupt."""
        info = self._entries[name]
        budget = min(self._limits.max_entry_bytes, info.file_size)
        out = bytearray()
        try:
            with self._zip.open(info) as entry:
                while chunk := entry.read(CHUNK_BYTES):
                    out += chunk
                    self._inflated += len(chunk)
                    if len(out) > budget:
                        raise ArchiveRejected("archive_entry_too_large", repr(name)[:120])
                    if self._inflated > self._limits.max_total_uncompressed_bytes:
                        raise ArchiveRejected("archive_uncompressed_size_exceeded")
        except (
            zipfile.BadZipFile,
            zlib.error,
            EOFError,
            OSError,
            NotImplementedError,
            RuntimeError,
        ) as error:
            # A CRC mismatch (declared sizes that lie), a truncated or encrypted stream.
            raise ArchiveRejected("invalid_zip_archive", type(error).__name__) from None
        return bytes(out)

    def close(self) -> None:
        self._zip.close()

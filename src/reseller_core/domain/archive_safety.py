"""What an uploaded archive may contain (spec 50 §10.2), judged from its central directory.

Pure rules over ``zipfile.ZipInfo`` records: nothing here inflates a byte. The reader
(``services.transfers.archive_reader``) applies them before opening any entry, then
enforces the same byte budgets on the actual inflated output, since declared sizes can lie.
"""

from __future__ import annotations

import re
import stat
import zipfile
from collections.abc import Sequence

import msgspec

_DRIVE = re.compile(r"^[A-Za-z]:")
_UTF8_FLAG = 0x800
_ENCRYPTED_FLAG = 0x1
RATIO_CHECK_FROM_BYTES = 1 << 20
"""Entries smaller than this are not judged by their compression ratio (tiny files of
repeated bytes compress very well without being bombs)."""


class ArchiveLimits(msgspec.Struct, frozen=True, kw_only=True):
    max_entry_count: int
    max_entry_bytes: int
    max_total_uncompressed_bytes: int
    max_compression_ratio: int


class ArchiveRejected(Exception):
    """The archive breaks a rule; ``code`` is the stable token of spec 50 §10.1."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


SYNC_REASONS = {
    "invalid_zip_archive": "archive is not a valid ZIP archive",
    "archive_too_many_entries": "archive contains too many files",
    "invalid_archive_entry_path": "archive contains an invalid file path",
    "unsupported_archive_entry": "archive contains a link or an encrypted file",
    "duplicate_archive_entry": "archive contains the same file name twice",
    "archive_entry_too_large": "archive contains a file that exceeds the allowed size",
    "archive_uncompressed_size_exceeded": "archive is too large after extraction",
    "archive_compression_ratio_exceeded": "archive is too large after extraction",
}
"""Decision Q9: the detail of ``422 import_failed`` (``Could not start import: <reason>``)."""


def entry_name(info: zipfile.ZipInfo) -> str:
    """The entry's name as stored; ``invalid_archive_entry_path`` when it is not UTF-8.

    Without the UTF-8 flag ``zipfile`` decodes names as CP437, which never fails; the
    original bytes are recovered and must decode as UTF-8 (plain ASCII always does).
    """
    name = info.orig_filename
    if info.flag_bits & _UTF8_FLAG:
        return name
    try:
        return name.encode("cp437").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        raise ArchiveRejected("invalid_archive_entry_path", "file name is not UTF-8") from None


def is_safe_name(name: str) -> bool:
    """Zip-slip rules: relative, no backslash, NUL or drive letter, no ``.``/``..`` segment."""
    if not name or name.startswith("/") or "\\" in name or "\x00" in name:
        return False
    if _DRIVE.match(name):
        return False
    return all(segment not in (".", "..") for segment in name.split("/") if segment)


def is_symlink(info: zipfile.ZipInfo) -> bool:
    return info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16)


def _sizes_possible(info: zipfile.ZipInfo) -> bool:
    """Whether the declared sizes can be true: stored data is as long as the file, and
    deflate never grows data by more than a few bytes per 16 KiB block."""
    if info.compress_type == zipfile.ZIP_STORED:
        return info.compress_size == info.file_size
    if info.compress_type == zipfile.ZIP_DEFLATED:
        return info.compress_size <= info.file_size + info.file_size // 1000 + 1024
    return True


def check_central_directory(infos: Sequence[zipfile.ZipInfo], limits: ArchiveLimits) -> None:
    """Spec 50 §10.2 in its order: count, names, per-entry size, total size (+ hardening)."""
    if len(infos) > limits.max_entry_count:
        raise ArchiveRejected(
            "archive_too_many_entries", f"{len(infos)} entries, at most {limits.max_entry_count}"
        )
    seen: set[str] = set()
    for info in infos:
        name = entry_name(info)
        if not is_safe_name(name):
            raise ArchiveRejected("invalid_archive_entry_path", repr(name)[:120])
        if is_symlink(info):
            raise ArchiveRejected("unsupported_archive_entry", "symbolic link")
        if info.flag_bits & _ENCRYPTED_FLAG:
            raise ArchiveRejected("unsupported_archive_entry", "encrypted entry")
        if name in seen:
            raise ArchiveRejected("duplicate_archive_entry", repr(name)[:120])
        seen.add(name)
    for info in infos:
        if not _sizes_possible(info):
            raise ArchiveRejected("invalid_zip_archive", "declared sizes are impossible")
    total = 0
    for info in infos:
        if info.file_size > limits.max_entry_bytes:
            raise ArchiveRejected("archive_entry_too_large", repr(entry_name(info))[:120])
        total += info.file_size
    if total > limits.max_total_uncompressed_bytes:
        raise ArchiveRejected("archive_uncompressed_size_exceeded")
    for info in infos:
        if (
            info.file_size >= RATIO_CHECK_FROM_BYTES
            and info.file_size > limits.max_compression_ratio * max(info.compress_size, 1)
        ):
            raise ArchiveRejected(
                "archive_compression_ratio_exceeded", repr(entry_name(info))[:120]
            )

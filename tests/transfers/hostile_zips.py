"""Hostile ZIP archives built byte by byte (so names, flags and sizes can lie), compactly.

Large contents are deflated in chunks: a 100 MB bomb costs a few hundred kilobytes of
memory to build, never its inflated size.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

CHUNK = 1 << 20


@dataclass(frozen=True)
class RawEntry:
    name: bytes
    data: bytes = b""
    declared_size: int | None = None
    """What the headers claim the inflated size is (None: the truth)."""
    zeros: int = 0
    """Inflated content of this many zero bytes instead of ``data`` (built in chunks)."""
    flags: int = 0x800
    external_attr: int = 0o100644 << 16
    create_system: int = 3


def _deflate(entry: RawEntry) -> tuple[bytes, int, int]:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    crc = 0
    parts: list[bytes] = []
    if entry.zeros:
        block = bytes(CHUNK)
        left = entry.zeros
        while left:
            piece = block[: min(left, CHUNK)]
            crc = zlib.crc32(piece, crc)
            parts.append(compressor.compress(piece))
            left -= len(piece)
        size = entry.zeros
    else:
        crc = zlib.crc32(entry.data)
        parts.append(compressor.compress(entry.data))
        size = len(entry.data)
    parts.append(compressor.flush())
    return b"".join(parts), crc, size


def raw_zip(entries: Iterable[RawEntry]) -> bytes:
    """A ZIP whose every header field comes from ``entries`` (deflate, no ZIP64)."""
    out = io.BytesIO()
    central = []
    for entry in entries:
        body, crc, size = _deflate(entry)
        declared = size if entry.declared_size is None else entry.declared_size
        offset = out.tell()
        out.write(
            struct.pack(
                "<4sHHHHHIIIHH",
                b"PK\x03\x04",
                20,
                entry.flags,
                8,
                0,
                0,
                crc,
                len(body),
                declared,
                len(entry.name),
                0,
            )
        )
        out.write(entry.name)
        out.write(body)
        central.append(
            struct.pack(
                "<4sHHHHHHIIIHHHHHII",
                b"PK\x01\x02",
                (entry.create_system << 8) | 20,
                20,
                entry.flags,
                8,
                0,
                0,
                crc,
                len(body),
                declared,
                len(entry.name),
                0,
                0,
                0,
                0,
                entry.external_attr,
                offset,
            )
            + entry.name
        )
    start = out.tell()
    for record in central:
        out.write(record)
    size = out.tell() - start
    out.write(
        struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(central), len(central), size, start, 0)
    )
    return out.getvalue()


def nested_bomb(layers: int = 2, fan_out: int = 8, leaf_zeros: int = 1 << 20) -> bytes:
    """A 42.zip-style archive: zips of zips whose leaves are megabytes of zeros."""
    payload = raw_zip(
        [RawEntry(name=f"{i}.bin".encode(), zeros=leaf_zeros) for i in range(fan_out)]
    )
    for _ in range(layers - 1):
        payload = raw_zip(
            [RawEntry(name=f"{i}.zip".encode(), data=payload) for i in range(fan_out)]
        )
    return payload


def huge_shared_strings_xlsx(total_bytes: int = 100 * 1024 * 1024) -> bytes:
    """An .xlsx-shaped ZIP whose ``xl/sharedStrings.xml`` inflates to ``total_bytes``."""
    out = io.BytesIO()
    row = b"<si><t>" + b"A" * 48 + b"</t></si>"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        book.writestr("[Content_Types].xml", b"<Types/>")
        with book.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            block = row * (CHUNK // len(row))
            written = 0
            while written < total_bytes:
                part.write(block)
                written += len(block)
    return out.getvalue()

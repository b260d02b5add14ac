"""Hostile archives (spec 50 §10.2, spec 60 §10.3): each one is refused with its code.

Every archive goes two ways: ``POST /imports``'s synchronous check (decision Q9) and the
import job itself (an archive stored by other means must be refused just the same). The
job's peak Python allocation is measured with tracemalloc; nothing may land in storage
besides the source archive, no product may be created, and the temporary directory stays
empty (no entry is ever extracted to disk).
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from reseller_core.commands.transfers import RequestImport
from reseller_core.domain.transfers import ImportStatus
from reseller_core.errors import ImportFailed
from tests.transfers.hostile_zips import (
    RawEntry,
    huge_shared_strings_xlsx,
    nested_bomb,
    raw_zip,
)
from tests.transfers.seeding import image_bytes
from tests.transfers.world import LIMITS, World

PEAK_BUDGET = 3 * LIMITS.max_entry_bytes
"""Python allocations of a whole job: one entry's budget plus headroom, never the bomb."""


def _manifest(*paths: str) -> bytes:
    products = [{"title": "P", "images": [{"path": path}]} for path in paths]
    return json.dumps({"products": products}).encode()


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def _symlink() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("manifest.json", _manifest())
        link = zipfile.ZipInfo("images/link.jpg")
        link.create_system = 3
        link.external_attr = 0o120777 << 16
        archive.writestr(link, "/etc/passwd")
    return out.getvalue()


MANIFEST = RawEntry(name=b"manifest.json", data=_manifest())

WHOLE_ARCHIVE_CASES: dict[str, tuple[bytes, str]] = {
    "dot-dot": (
        raw_zip([MANIFEST, RawEntry(name=b"../images/evil.jpg", data=b"x")]),
        "invalid_archive_entry_path",
    ),
    "absolute": (
        raw_zip([MANIFEST, RawEntry(name=b"/etc/passwd", data=b"x")]),
        "invalid_archive_entry_path",
    ),
    "drive-letter": (
        raw_zip([MANIFEST, RawEntry(name=b"C:/x.jpg", data=b"x")]),
        "invalid_archive_entry_path",
    ),
    "backslash": (
        raw_zip([MANIFEST, RawEntry(name=b"..\\x.jpg", data=b"x")]),
        "invalid_archive_entry_path",
    ),
    "nul": (
        raw_zip([MANIFEST, RawEntry(name=b"a\x00b.jpg", data=b"x")]),
        "invalid_archive_entry_path",
    ),
    "not-utf8": (
        raw_zip([MANIFEST, RawEntry(name=b"\xff\xfe.jpg", data=b"x", flags=0)]),
        "invalid_archive_entry_path",
    ),
    "symlink": (_symlink(), "unsupported_archive_entry"),
    "encrypted": (
        raw_zip([MANIFEST, RawEntry(name=b"a.jpg", data=b"x", flags=0x801)]),
        "unsupported_archive_entry",
    ),
    "duplicate": (raw_zip([MANIFEST, MANIFEST]), "duplicate_archive_entry"),
    "10000-entries": (
        raw_zip([MANIFEST, *(RawEntry(name=f"{i}.txt".encode()) for i in range(10_000))]),
        "archive_too_many_entries",
    ),
    "declared-too-large": (
        raw_zip([MANIFEST, RawEntry(name=b"big.bin", zeros=3_000_000)]),
        "archive_entry_too_large",
    ),
    "total-too-large": (
        raw_zip(
            [
                MANIFEST,
                *(
                    RawEntry(name=f"{i}.bin".encode(), data=bytes(range(256)) * 7000)
                    for i in range(4)
                ),
            ]
        ),
        "archive_uncompressed_size_exceeded",
    ),
    "ratio-bomb": (
        raw_zip([MANIFEST, RawEntry(name=b"zeros.bin", zeros=1_900_000)]),
        "archive_compression_ratio_exceeded",
    ),
    "lying-sizes-bomb": (
        raw_zip([RawEntry(name=b"manifest.json", zeros=100 << 20, declared_size=1000)]),
        "invalid_zip_archive",
    ),
    "lying-sizes-plausible": (
        raw_zip([RawEntry(name=b"manifest.json", zeros=100 << 20, declared_size=1_500_000)]),
        "invalid_zip_archive",
    ),
    "not-a-zip": (b"%PDF-1.7 definitely not a zip", "invalid_zip_archive"),
    "manifest-not-json": (_zip({"manifest.json": b"\x00\x01 binary"}), "invalid_manifest_json"),
}


ONLY_FOUND_BY_THE_JOB = {"lying-sizes-plausible", "manifest-not-json"}
"""Their central directory is plausible: only inflating (budgeted) or parsing tells."""


@pytest.fixture
def fx_tmp_as_tempdir(tmp_path: Path) -> Iterator[Path]:
    previous = tempfile.tempdir
    tempfile.tempdir = str(tmp_path)
    try:
        yield tmp_path
    finally:
        tempfile.tempdir = previous


@pytest.mark.parametrize("case", sorted(WHOLE_ARCHIVE_CASES))
async def test_hostile_archive_fails_the_whole_import(case: str, fx_tmp_as_tempdir: Path) -> None:
    archive, code = WHOLE_ARCHIVE_CASES[case]
    world = World()
    command = RequestImport(filename="x.zip", archive_base64=_b64(archive))
    if case in ONLY_FOUND_BY_THE_JOB:
        await world.service.request(world.user, command)  # the directory looks fine
    else:
        with pytest.raises(ImportFailed) as refused:
            await world.service.request(world.user, command)
        assert refused.value.error_code == code
    record, peak = await world.run_job(archive)
    assert record.status is ImportStatus.FAILED
    assert record.error_code == code
    assert record.error_message is not None and code in record.error_message
    assert record.created_product_ids == ()
    assert world.db.snapshot().products == {}
    stored = world.storage.objects
    assert record.source_storage_key in stored
    assert all("/imports/" in key and key.endswith("source.zip") for key in stored)
    assert list(fx_tmp_as_tempdir.iterdir()) == []
    assert peak < PEAK_BUDGET, f"{case}: peak {peak} bytes"


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode()


async def test_nested_zip_bomb_is_never_opened(fx_tmp_as_tempdir: Path) -> None:
    archive = _zip({"manifest.json": _manifest("bomb.zip"), "bomb.zip": nested_bomb()})
    record, peak = await World().run_job(archive)
    assert record.status is ImportStatus.COMPLETED
    assert [f.reason for f in record.failures] == [
        "Image is not a JPEG, PNG or WebP image: bomb.zip"
    ]
    assert peak < PEAK_BUDGET


async def test_huge_spreadsheet_parts_are_never_parsed(fx_tmp_as_tempdir: Path) -> None:
    """A ``Products.xlsx`` whose shared strings inflate to 100 MB: the import ignores it."""
    world = World()
    archive = _zip(
        {
            "Products.xlsx": huge_shared_strings_xlsx(),
            "manifest.json": _manifest("a.jpg"),
            "a.jpg": image_bytes("JPEG"),
        }
    )
    record, peak = await world.run_job(archive)
    assert record.status is ImportStatus.COMPLETED
    assert len(record.created_product_ids) == 1 and record.failures == ()
    assert peak < PEAK_BUDGET

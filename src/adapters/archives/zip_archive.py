"""The export ZIP as a stream (stream-zip): spooled workbook and manifest, then images.

``Products.xlsx`` and the manifest's product list are spooled to files in a private
temporary directory while the products arrive (their names are ours, never the
archive's); then the ZIP is produced chunk by chunk: the workbook, ``manifest.json``
(header, spooled products, footer) and each image read from storage as it is zipped.
Memory holds one chunk of each and the list of image paths, whatever the catalogue size.
"""

from __future__ import annotations

import asyncio
import json
import stat
import tempfile
from collections.abc import AsyncIterable, AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stream_zip import ZIP_64, ZipError, async_stream_zip

from reseller_adapters.archives.workbook import ProductsWorkbook
from reseller_core.ports.archives import (
    ArchiveBuildFailed,
    ArchiveImageFailed,
    ImageReader,
    JsonObject,
)

CHUNK_BYTES = 64 * 1024
_FILE_MODE = stat.S_IFREG | 0o644

Member = tuple[str, datetime, int, Any, AsyncIterable[bytes]]


async def _file_chunks(path: Path) -> AsyncIterator[bytes]:
    handle = await asyncio.to_thread(path.open, "rb")
    try:
        while chunk := await asyncio.to_thread(handle.read, CHUNK_BYTES):
            yield chunk
    finally:
        handle.close()


def _indented(value: object) -> str:
    return "\n".join(
        "    " + line for line in json.dumps(value, indent=2, ensure_ascii=False).splitlines()
    )


class StreamingZipArchiveWriter:
    """``ArchiveWriter`` over stream-zip and xlsxwriter."""

    def __init__(self, temp_dir: Path | None = None) -> None:
        self._temp_dir = temp_dir

    async def write(
        self,
        products: AsyncIterable[JsonObject],
        export_entry: Callable[[int], JsonObject],
        read_image: ImageReader,
    ) -> AsyncIterator[bytes]:
        with tempfile.TemporaryDirectory(prefix="reseller-export-", dir=self._temp_dir) as tmp:
            folder = Path(tmp)
            now = datetime.now(UTC)
            images, header = await self._spool(folder, products, export_entry)
            members = self._members(folder, now, images, header, read_image)
            try:
                async for chunk in async_stream_zip(members, chunk_size=CHUNK_BYTES):
                    yield chunk
            except ZipError as error:
                raise ArchiveBuildFailed(type(error).__name__) from error

    async def _spool(
        self,
        folder: Path,
        products: AsyncIterable[JsonObject],
        export_entry: Callable[[int], JsonObject],
    ) -> tuple[list[JsonObject], JsonObject]:
        workbook = ProductsWorkbook(folder / "products.xlsx")
        images: list[JsonObject] = []
        count = 0
        with (folder / "products.json").open("w", encoding="utf-8") as spool:
            async for entry in products:
                spool.write((",\n" if count else "") + _indented(entry))
                workbook.add_product(entry)
                images.extend(
                    {"id": image["id"], "path": image["path"], "storage_key": image["storage_key"]}
                    for image in entry["images"]
                )
                count += 1
        header = export_entry(count)
        await asyncio.to_thread(workbook.close, header)
        return images, header

    async def _manifest(self, folder: Path, header: JsonObject) -> AsyncIterator[bytes]:
        export_json = "\n".join(
            ("  " + line if index else line)
            for index, line in enumerate(
                json.dumps(header, indent=2, ensure_ascii=False).splitlines()
            )
        )
        yield f'{{\n  "export": {export_json},\n  "products": [\n'.encode()
        async for chunk in _file_chunks(folder / "products.json"):
            yield chunk
        yield b"\n  ]\n}\n"

    async def _members(
        self,
        folder: Path,
        now: datetime,
        images: list[JsonObject],
        header: JsonObject,
        read_image: ImageReader,
    ) -> AsyncIterator[Member]:
        yield ("Products.xlsx", now, _FILE_MODE, ZIP_64, _file_chunks(folder / "products.xlsx"))
        yield ("manifest.json", now, _FILE_MODE, ZIP_64, self._manifest(folder, header))
        for image in images:
            yield (image["path"], now, _FILE_MODE, ZIP_64, read_image(image))


__all__ = ["ArchiveImageFailed", "StreamingZipArchiveWriter"]

"""``reseller export`` and ``reseller import``: a seller's catalogue to and from a ZIP file.

Both run the same use cases as the API on behalf of the user named by ``--user``. With the
in-process queue the job runs in this process; with taskiq a ``reseller worker`` runs it
and this command waits for it. On a terminal the progress is a bar on standard error;
otherwise (a pipe, a log) it is one plain line per step.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from reseller_core.domain.users import User, normalise_email
from reseller_entrypoints.bootstrap import Container, build_container
from reseller_entrypoints.settings import load_settings

POLL_S = 0.2
BAR_WIDTH = 30


class Progress:
    """A progress bar on a terminal, plain lines elsewhere (never both)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr
        self._tty = self._stream.isatty()
        self._last = ""

    def step(self, text: str) -> None:
        """A new step; repeated identical steps are printed once."""
        if text == self._last:
            return
        self._last = text
        if self._tty:
            self._stream.write(f"\r\x1b[K{text}")
        else:
            self._stream.write(f"{text}\n")
        self._stream.flush()

    def bar(self, label: str, done: int, total: int | None) -> None:
        if not self._tty:
            if total is not None and done >= total:
                self.step(f"{label}: {done} of {total} done")
            return
        if total:
            filled = min(BAR_WIDTH, BAR_WIDTH * done // total)
            self._stream.write(
                f"\r\x1b[K{label} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total}"
            )
        else:
            self._stream.write(f"\r\x1b[K{label} {done}")
        self._stream.flush()

    def count(self, label: str, done: int, elapsed: float) -> None:
        """Work without a known total: products done so far on a terminal, else the step."""
        if self._tty:
            self._stream.write(f"\r\x1b[K{label}: {done} products ({elapsed:.0f} s)")
            self._stream.flush()
        else:
            self.step(label)

    def finish(self, text: str) -> None:
        if self._tty:
            self._stream.write("\r\x1b[K")
        self._stream.write(f"{text}\n")
        self._stream.flush()


async def _open() -> Container:
    settings = load_settings()
    container = await build_container(settings)
    await container.start(run_worker=settings.queue == "inprocess")
    return container


async def _user(container: Container, email: str) -> User:
    async with container.deps.reader() as uow:
        user = await uow.users.get_by_email(normalise_email(email))
    if user is None:
        raise LookupError(f"no user with the e-mail address {email}")
    return user


async def _export(args: argparse.Namespace, progress: Progress) -> int:
    container = await _open()
    try:
        user = await _user(container, args.user)
        exports = container.services.exports
        from reseller_core.commands.transfers import ExportFilters, RequestExport

        command = RequestExport(name=args.name, filters=ExportFilters(status=args.status))
        view = await exports.request(user, command)
        export = view.export
        progress.step(f"export {export.id}: {export.status} ({export.product_count} products)")
        while export.status in ("queued", "running"):
            await asyncio.sleep(POLL_S)
            export = (await exports.get(user, export.id)).export
            progress.step(f"export {export.id}: {export.status}")
        if export.status != "completed" or export.storage_key is None:
            progress.finish(f"export {export.id} {export.status}: {export.error_message}")
            return 1
        storage = container.deps.storage
        info = await storage.head(export.storage_key)
        total = info.size if info is not None else None
        written = 0
        target = Path(args.output)
        partial = target.with_name(f".{target.name}.part")
        with partial.open("wb") as out:
            async for chunk in storage.stream(export.storage_key):
                out.write(chunk)
                written += len(chunk)
                progress.bar("downloading", written, total)
        partial.replace(target)
        progress.finish(f"wrote {written} bytes to {target}")
        return 0
    finally:
        await container.close()


async def _import(args: argparse.Namespace, progress: Progress) -> int:
    archive = Path(args.archive).read_bytes()
    container = await _open()
    try:
        user = await _user(container, args.user)
        imports = container.services.imports
        from reseller_core.commands.transfers import RequestImport

        command = RequestImport(
            filename=Path(args.archive).name,
            archive_base64=base64.b64encode(archive).decode("ascii"),
        )
        record = await imports.request(user, command)
        progress.step(f"import {record.id}: {record.status}")
        started = time.monotonic()
        while record.status in ("queued", "running"):
            await asyncio.sleep(POLL_S)
            record = await imports.get(user, record.id)
            done = len(record.created_product_ids) + len(record.failures)
            progress.count(f"import {record.id}: {record.status}", done, time.monotonic() - started)
        if record.status != "completed":
            progress.finish(f"import {record.id} failed: {record.error_message}")
            return 1
        progress.finish(
            f"import {record.id} completed: {record.imported_products} imported, "
            f"{record.failed_products} failed of {record.total_products}"
        )
        for failure in record.failures:
            print(f"  #{failure.index} {failure.title or ''}: {failure.reason}", file=sys.stderr)
        return 0
    finally:
        await container.close()


def export_command(args: argparse.Namespace) -> int:
    return asyncio.run(_export(args, Progress()))


def import_command(args: argparse.Namespace) -> int:
    return asyncio.run(_import(args, Progress()))


def add_commands(command: Callable[..., argparse.ArgumentParser]) -> None:
    """Register ``export`` and ``import`` through the CLI's sub-command factory."""
    export = command(
        "export",
        "Export a user's products to a ZIP file",
        "Products.xlsx, manifest.json and the images, as `POST /exports` builds them.",
    )
    export.add_argument("--user", required=True, help="the seller's e-mail address")
    export.add_argument("-o", "--output", required=True, help="the ZIP file to write")
    export.add_argument("--name", default=None, help="the export's name")
    export.add_argument("--status", default=None, help="only products in this status")
    export.set_defaults(handler=export_command)
    imported = command(
        "import",
        "Import a ZIP archive into a user's account",
        "The archive format of `reseller export`; the same checks as `POST /imports`.",
    )
    imported.add_argument("--user", required=True, help="the seller's e-mail address")
    imported.add_argument("archive", help="the ZIP file to import")
    imported.set_defaults(handler=import_command)

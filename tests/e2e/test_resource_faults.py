"""A full disk answers 503 ``service_unavailable`` and leaves nothing half-written.

The app runs over its real embedded adapters (SQLite, local storage) behind the HTTP
interface. The storage's disk fills up during an upload (its file writes raise ``ENOSPC``);
the database fills up for real (SQLite's ``max_page_count`` makes it answer ``SQLITE_FULL``
"database or disk is full" as soon as it needs one more page) during product creation; and
registration meets the same SQLite error as its user row is written. Each answers 503, the
row or file is not there afterwards, and the same request succeeds once there is room.
"""

from __future__ import annotations

import contextlib
import errno
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import event

from reseller_entrypoints.bootstrap import Container, build_container
from reseller_entrypoints.http import create_app
from reseller_entrypoints.settings import load_settings
from tests.e2e.server import SECRET_KEY

Client = AsyncTestClient[Litestar]
PASSWORD = "correct horse battery"
SERVICE_UNAVAILABLE = {
    "code": "service_unavailable",
    "detail": "A backing service is unavailable; try again shortly",
    "status": 503,
}


@contextlib.asynccontextmanager
async def serving(tmp_path: Path) -> AsyncIterator[tuple[Client, Container]]:
    settings = load_settings({}, data_dir=str(tmp_path / "var"), secret_key=SECRET_KEY)
    container = await build_container(settings)
    async with AsyncTestClient(app=create_app(container=container)) as client:
        yield client, container


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json() == {"error": SERVICE_UNAVAILABLE}


async def seller(client: Client, container: Container, email: str) -> dict[str, str]:
    registered = await client.post(
        "/api/v1/auth/register", json={"email": email, "password": PASSWORD}
    )
    assert registered.status_code == 200, registered.text
    await container.services.accounts.confirm_email(email)
    return {"Authorization": f"Bearer {registered.json()['data']['token']}"}


def rows(database: Path, sql: str) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(database)) as connection:
        return list(connection.execute(sql))


class FullDisk:
    """A file handle whose writes fail as on a full disk; everything else is the real file."""

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle

    def write(self, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)


async def test_upload_onto_a_full_disk_is_503_and_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with serving(tmp_path) as (client, container):
        auth = await seller(client, container, "full-disk@example.com")
        created = await client.post(
            "/api/v1/products",
            headers=auth,
            json={
                "uploads": [{"filename": "a.jpg", "content_type": "image/jpeg", "byte_size": 11}]
            },
        )
        assert created.status_code == 201, created.text
        instruction = created.json()["data"]["upload_instructions"][0]
        url = urlsplit(instruction["upload_url"])
        storage = container.local_storage
        real_open_temp = storage._open_temp

        def open_on_full_disk() -> tuple[Any, Path]:
            handle, temp = real_open_temp()
            return FullDisk(handle), temp

        monkeypatch.setattr(storage, "_open_temp", open_on_full_disk)
        put = await client.put(
            f"{url.path}?{url.query}", content=b"\xff\xd8jpegbytes", headers=instruction["headers"]
        )
        assert_unavailable(put)
        assert list((storage.root / ".tmp").iterdir()) == []
        assert [path for path in storage.root.rglob("*") if path.is_file()] == []

        monkeypatch.undo()
        again = await client.put(
            f"{url.path}?{url.query}", content=b"\xff\xd8jpegbytes", headers=instruction["headers"]
        )
        assert again.status_code in (200, 201, 204), again.text


async def test_product_creation_on_a_full_database_is_503_and_stores_nothing(
    tmp_path: Path,
) -> None:
    database = tmp_path / "var" / "reseller.db"
    async with serving(tmp_path) as (client, container):
        auth = await seller(client, container, "full-db@example.com")
        engine = container.database.engine.sync_engine

        def no_more_pages(dbapi_connection: Any, record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA page_count")
            (pages,) = cursor.fetchone()
            cursor.execute(f"PRAGMA max_page_count = {pages}")
            cursor.close()

        event.listen(engine, "connect", no_more_pages)
        await container.database.engine.dispose()
        body = {"product": {"title": "Too much", "notes": "long notes " * 900}}
        try:
            full = await client.post("/api/v1/products", headers=auth, json=body)
        finally:
            event.remove(engine, "connect", no_more_pages)
            await container.database.engine.dispose()
        assert_unavailable(full)
        assert rows(database, "SELECT count(*) FROM products") == [(0,)]

        created = await client.post("/api/v1/products", headers=auth, json=body)
        assert created.status_code == 201, created.text
    assert rows(database, "SELECT title FROM products") == [("Too much",)]


async def test_registration_on_a_full_database_is_503_and_stores_nothing(
    tmp_path: Path,
) -> None:
    database = tmp_path / "var" / "reseller.db"
    async with serving(tmp_path) as (client, container):
        engine = container.database.engine.sync_engine

        def disk_full_on_user_insert(
            conn: Any, cursor: Any, statement: str, *args: Any, **kwargs: Any
        ) -> None:
            if statement.lstrip().upper().startswith("INSERT INTO USERS"):
                raise sqlite3.OperationalError("database or disk is full")

        event.listen(engine, "before_cursor_execute", disk_full_on_user_insert)
        try:
            full = await client.post(
                "/api/v1/auth/register", json={"email": "late@example.com", "password": PASSWORD}
            )
        finally:
            event.remove(engine, "before_cursor_execute", disk_full_on_user_insert)
        assert_unavailable(full)
        assert rows(database, "SELECT count(*) FROM users") == [(0,)]
        assert rows(database, "SELECT count(*) FROM api_tokens") == [(0,)]

        registered = await client.post(
            "/api/v1/auth/register", json={"email": "late@example.com", "password": PASSWORD}
        )
        assert registered.status_code == 200, registered.text

"""Hostile input answers the contract's 4xx on both engines, never a 500, and stores nothing.

Each case was found answering 500 (or storing what it should refuse) by an attack review:
deeply nested JSON, bytes that are not UTF-8, list parameters that overflow the engine's
integers or the calendar, amounts that overflow the decimal context, integers no column
holds, non-string upload metadata, NUL characters (PostgreSQL cannot store them) and e-mail
addresses in another Unicode normal form. The app runs over its real adapters (SQLite in a
temporary directory, or the session's PostgreSQL database) behind the HTTP interface.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import unicodedata
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from reseller_entrypoints.bootstrap import Container, build_container
from reseller_entrypoints.http import create_app
from reseller_entrypoints.settings import load_settings
from tests.e2e.conftest import outbox_token
from tests.e2e.server import SECRET_KEY
from tests.images import product_photo
from tests.services import ServiceUnavailable, postgres_database

Client = AsyncTestClient[Litestar]
PASSWORD = "correct horse battery"
DEEP = b"[" * 1000 + b"]" * 1000
"""About 2 KB that nests a thousand arrays: past the decoder's recursion limit."""


@pytest.fixture(scope="module")
def fx_module_postgres_url() -> Iterator[str]:
    """A PostgreSQL database of this module's own: the runs its finalizes leave queued must
    not reach the session database that worker tests sweep."""
    try:
        with postgres_database() as url:
            yield url
    except ServiceUnavailable as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fx_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'hostile.db'}"
    url: str = request.getfixturevalue("fx_module_postgres_url")
    return url


@pytest.fixture
async def fx_served(
    tmp_path: Path, fx_database_url: str
) -> AsyncIterator[tuple[Client, Container]]:
    settings = load_settings(
        {},
        data_dir=str(tmp_path / "var"),
        secret_key=SECRET_KEY,
        database_url=fx_database_url,
        auth_rate_limit=1000,
    )
    container = await build_container(settings)
    async with AsyncTestClient(app=create_app(container=container)) as client:
        yield client, container


def unique_email(prefix: str = "hostile") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"


async def seller(client: Client, container: Container) -> dict[str, str]:
    email = unique_email()
    registered = await client.post(
        "/api/v1/auth/register", json={"email": email, "password": PASSWORD}
    )
    assert registered.status_code == 200, registered.text
    # Confirmed over HTTP: the app's event loop owns the connection pool.
    token = outbox_token(container.settings.data_path, email)
    assert (await client.post("/api/v1/auth/confirm", json={"token": token})).status_code == 200
    return {"Authorization": f"Bearer {registered.json()['data']['token']}"}


def error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["status"] == status
    return error


@contextlib.contextmanager
def no_unhandled_errors(caplog: pytest.LogCaptureFixture) -> Any:
    """Nothing reaches the 500 handler (which logs "Unhandled error" with a traceback)."""
    with caplog.at_level(logging.ERROR):
        yield
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR], [
        record.getMessage() for record in caplog.records
    ]


# --- finding 1: deep nesting -----------------------------------------------------------------


async def test_deeply_nested_json_is_invalid_request_everywhere(
    fx_served: tuple[Client, Container], caplog: pytest.LogCaptureFixture
) -> None:
    client, container = fx_served
    auth = await seller(client, container)
    with no_unhandled_errors(caplog):
        for path in ("/api/v1/auth/login", "/api/v1/auth/register", "/api/v1/auth/confirm"):
            answer = await client.post(path, content=DEEP)
            assert error_of(answer, 400)["code"] == "invalid_request", path
        created = await client.post("/api/v1/products", content=DEEP, headers=auth)
        assert error_of(created, 400)["code"] == "invalid_request"
        patched = await client.patch("/api/v1/me", content=DEEP, headers=auth)
        assert error_of(patched, 400)["code"] == "invalid_request"
        # Seventeen levels is already more than any body of the API has.
        nested: Any = "x"
        for _ in range(17):
            nested = [nested]
        deep_field = await client.post(
            "/api/v1/products", json={"product": {"title": nested}}, headers=auth
        )
        assert error_of(deep_field, 400)["code"] == "invalid_request"


# --- finding 11: bytes that are not UTF-8 ----------------------------------------------------


async def test_invalid_utf8_inside_a_json_body_is_invalid_request(
    fx_served: tuple[Client, Container], caplog: pytest.LogCaptureFixture
) -> None:
    client, container = fx_served
    auth = await seller(client, container)
    with no_unhandled_errors(caplog):
        for body in (b'{"product": {"title": "\xff\xfe"}}', b'{"product": {"\xc0\xaf": 1}}'):
            answer = await client.post(
                "/api/v1/products",
                content=body,
                headers={**auth, "Content-Type": "application/json"},
            )
            assert error_of(answer, 400)["code"] == "invalid_request"
        login = await client.post("/api/v1/auth/login", content=b'{"email": "\xed\xa0\x80"}')
        assert error_of(login, 400)["code"] == "invalid_request"
    listed = await client.get("/api/v1/products", headers=auth)
    assert listed.json()["data"]["pagination"]["total_count"] == 0


# --- finding 4: list parameters -----------------------------------------------------------------


LIST_QUERIES = (
    "page=9223372036854775807",
    "page=99999999999999999999",
    "page=" + "9" * 5000,
    "page_size=99999999999999999999",
    "updated_to=9999-12-31",
    "updated_from=9999-12-31",
    "updated_from=0001-01-01&updated_to=0001-01-01",
    "query=a%00b",
    "query=%00",
    "product_tab_id=%00",
)


async def test_list_parameters_out_of_every_range_answer_a_page(
    fx_served: tuple[Client, Container], caplog: pytest.LogCaptureFixture
) -> None:
    client, container = fx_served
    auth = await seller(client, container)
    assert (
        await client.post("/api/v1/products", json={"product": {"title": "Boots"}}, headers=auth)
    ).status_code == 201
    for query in LIST_QUERIES:
        with no_unhandled_errors(caplog):
            listed = await client.get(f"/api/v1/products?{query}", headers=auth)
        assert listed.status_code == 200, (query, listed.text)
        pagination = listed.json()["data"]["pagination"]
        assert pagination["page"] >= 1
        assert pagination["page_size"] <= 100


async def test_a_huge_page_number_shows_the_last_page(
    fx_served: tuple[Client, Container],
) -> None:
    client, container = fx_served
    auth = await seller(client, container)
    for title in ("One", "Two", "Three"):
        await client.post("/api/v1/products", json={"product": {"title": title}}, headers=auth)
    listed = await client.get("/api/v1/products?page=9223372036854775807&page_size=2", headers=auth)
    assert listed.status_code == 200, listed.text
    data = listed.json()["data"]
    assert data["pagination"]["total_pages"] == 2
    assert len(data["products"]) == 1
    everything = await client.get("/api/v1/products?updated_to=9999-12-31", headers=auth)
    assert everything.json()["data"]["pagination"]["total_count"] == 3


# --- finding 5: amounts past the decimal context -----------------------------------------------


async def test_amounts_past_the_decimal_range_are_validation_errors(
    fx_served: tuple[Client, Container], caplog: pytest.LogCaptureFixture
) -> None:
    client, container = fx_served
    auth = await seller(client, container)
    with no_unhandled_errors(caplog):
        for amount, message in (
            ("1e999999999", "must be less than or equal to 9999999999.99"),
            ("-1e999999999", "must be greater than or equal to 0"),
            (1e300, "must be less than or equal to 9999999999.99"),
        ):
            created = await client.post(
                "/api/v1/products",
                json={"product": {"price": amount, "cost": amount}},
                headers=auth,
            )
            fields = error_of(created, 422)["fields"]
            assert fields == {"price": [message], "cost": [message]}, amount
    listed = await client.get("/api/v1/products", headers=auth)
    assert listed.json()["data"]["pagination"]["total_count"] == 0


# --- finding 4: integers no column holds -------------------------------------------------------


async def test_dimensions_past_every_integer_column_are_validation_errors(
    fx_served: tuple[Client, Container], caplog: pytest.LogCaptureFixture
) -> None:
    client, container = fx_served
    auth = await seller(client, container)
    intent = {"filename": "a.jpg", "content_type": "image/jpeg", "byte_size": 10}
    with no_unhandled_errors(caplog):
        for huge in (10**20, 1e300, 2**63, 2**31):
            created = await client.post(
                "/api/v1/products",
                json={"uploads": [{**intent, "width": huge, "height": huge}]},
                headers=auth,
            )
            fields = error_of(created, 422)["fields"]
            too_big = ["must be less than or equal to 65535"]
            assert fields == {"uploads": [{"width": too_big, "height": too_big}]}, huge
        created = await client.post("/api/v1/products", json={"uploads": [intent]}, headers=auth)
        assert created.status_code == 201, created.text
        data = created.json()["data"]
        product_id, image_id = data["product"]["id"], data["upload_instructions"][0]["image_id"]
        for huge in (10**20, 2**63, 2**31):
            finalized = await client.post(
                f"/api/v1/products/{product_id}/finalize_uploads",
                json={"uploads": [{"id": image_id, "width": huge, "byte_size": huge}]},
                headers=auth,
            )
            fields = error_of(finalized, 422)["fields"]
            assert fields == {
                "uploads": [
                    {
                        "byte_size": ["must be less than or equal to 25000000"],
                        "width": ["must be less than or equal to 65535"],
                    }
                ]
            }, huge
    listed = await client.get("/api/v1/products", headers=auth)
    assert listed.json()["data"]["pagination"]["total_count"] == 1


# --- finding 9: upload metadata of the wrong type ----------------------------------------------


async def test_numbers_as_filename_or_content_type_are_invalid_not_blank(
    fx_served: tuple[Client, Container],
) -> None:
    client, container = fx_served
    auth = await seller(client, container)
    created = await client.post(
        "/api/v1/products",
        json={"uploads": [{"filename": 5, "content_type": 7, "byte_size": 10}]},
        headers=auth,
    )
    fields = error_of(created, 422)["fields"]
    assert fields == {"uploads": [{"filename": ["is invalid"], "content_type": ["is invalid"]}]}


# --- finding 2: NUL characters ----------------------------------------------------------------------


async def test_nul_characters_are_refused_alike_on_both_engines(
    fx_served: tuple[Client, Container], caplog: pytest.LogCaptureFixture
) -> None:
    client, container = fx_served
    auth = await seller(client, container)
    with no_unhandled_errors(caplog):
        registered = await client.post(
            "/api/v1/auth/register",
            json={"email": "nul\x00@example.com", "password": PASSWORD, "device_name": "a\x00b"},
        )
        assert error_of(registered, 422)["fields"] == {
            "email": ["is invalid"],
            "device_name": ["is invalid"],
        }
        for login in (
            {"email": "nul\x00@example.com", "password": PASSWORD},
            {"email": "someone@example.com", "password": "correct\x00horse battery"},
        ):
            answer = await client.post("/api/v1/auth/login", json=login)
            assert error_of(answer, 401)["code"] == "unauthorized"
        confirm = await client.post("/api/v1/auth/confirm", json={"token": "abc\x00def"})
        assert error_of(confirm, 422)["fields"] == {"token": ["is invalid or expired"]}
        created = await client.post(
            "/api/v1/products",
            json={
                "product": {"title": "a\x00b", "notes": "\x00", "tags": ["ok", "t\x00g"]},
                "uploads": [
                    {
                        "filename": "a\x00.jpg",
                        "content_type": "image/jpeg",
                        "byte_size": 10,
                        "checksum": "c\x00",
                    }
                ],
            },
            headers=auth,
        )
        assert error_of(created, 422)["fields"] == {
            "title": ["is invalid"],
            "notes": ["is invalid"],
            "tags": ["is invalid"],
            "uploads": [{"filename": ["is invalid"], "checksum": ["is invalid"]}],
        }
    listed = await client.get("/api/v1/products", headers=auth)
    assert listed.json()["data"]["pagination"]["total_count"] == 0


# --- finding 10: one address, one account ------------------------------------------------------------


async def test_nfc_and_nfd_forms_of_an_address_are_one_account(
    fx_served: tuple[Client, Container],
) -> None:
    client, _ = fx_served
    local = f"jos\u00e9-{uuid.uuid4().hex[:8]}"
    composed = f"{local}@example.com"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    first = await client.post(
        "/api/v1/auth/register", json={"email": decomposed, "password": PASSWORD}
    )
    assert first.status_code == 200, first.text
    assert first.json()["data"]["user"]["email"] == composed
    second = await client.post(
        "/api/v1/auth/register", json={"email": composed.upper(), "password": PASSWORD}
    )
    assert error_of(second, 422)["fields"] == {"email": ["has already been taken"]}
    login = await client.post("/api/v1/auth/login", json={"email": composed, "password": PASSWORD})
    assert login.status_code == 200, login.text


@pytest.mark.parametrize("invisible", ["\u200b", "\u200d", "\ufeff", "\u00ad", "\u202e"])
async def test_addresses_with_invisible_characters_are_refused(
    fx_served: tuple[Client, Container], invisible: str
) -> None:
    client, _ = fx_served
    answer = await client.post(
        "/api/v1/auth/register",
        json={"email": f"seller{invisible}@example.com", "password": PASSWORD},
    )
    assert error_of(answer, 422)["fields"] == {"email": ["is invalid"]}


# --- finding 12: a double-tapped finalize ---------------------------------------------------------


async def test_a_repeated_finalize_returns_the_run_already_started(
    fx_served: tuple[Client, Container],
) -> None:
    client, container = fx_served
    auth = await seller(client, container)
    photo = product_photo("JPEG")
    created = await client.post(
        "/api/v1/products",
        json={
            "uploads": [
                {"filename": "a.jpg", "content_type": "image/jpeg", "byte_size": len(photo)}
            ]
        },
        headers=auth,
    )
    assert created.status_code == 201, created.text
    data = created.json()["data"]
    instruction = data["upload_instructions"][0]
    url = urlsplit(instruction["upload_url"])
    put = await client.put(f"{url.path}?{url.query}", content=photo, headers=instruction["headers"])
    assert put.status_code in (200, 201, 204), put.text
    path = f"/api/v1/products/{data['product']['id']}/finalize_uploads"
    body = {"uploads": [{"id": instruction["image_id"]}]}
    first = await client.post(path, json=body, headers=auth)
    assert first.status_code == 200, first.text
    again = await client.post(path, json=body, headers=auth)
    assert again.status_code == 200, again.text
    run = first.json()["data"]["processing_run"]
    assert again.json()["data"]["processing_run"]["id"] == run["id"]
    for _ in range(300):  # the run finishes in the app's own worker
        product = (
            await client.get(f"/api/v1/products/{data['product']['id']}", headers=auth)
        ).json()["data"]["product"]
        if product["status"] not in ("uploading", "processing"):
            break
        await asyncio.sleep(0.1)
    assert product["status"] == "review", product
    assert product["latest_processing_run"]["id"] == run["id"]

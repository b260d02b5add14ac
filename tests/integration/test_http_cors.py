"""CORS for /api/* (spec 60 §8, tests of §10.2 and §10.3)."""

from __future__ import annotations

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from reseller_entrypoints.bootstrap import Container
from reseller_entrypoints.http import create_app
from reseller_entrypoints.http.cors import merge_vary
from tests.integration.conftest import ALLOWED_ORIGIN

Client = AsyncTestClient[Litestar]

CORS_VARY = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"


def preflight_headers(origin: str | None, request_headers: str | None = None) -> dict[str, str]:
    headers = {"Access-Control-Request-Method": "POST"}
    if origin is not None:
        headers["Origin"] = origin
    if request_headers is not None:
        headers["Access-Control-Request-Headers"] = request_headers
    return headers


@pytest.mark.parametrize(
    "path", ["/api/v1/auth/login", "/api/v1/products/01KDVDNA00000000000000ZZZZ", "/api/v1/nope"]
)
async def test_allowlisted_preflight_is_204_before_routing_and_auth(
    fx_client: Client, path: str
) -> None:
    response = await fx_client.options(
        path, headers=preflight_headers(ALLOWED_ORIGIN, "authorization, content-type")
    )
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert response.headers["access-control-allow-methods"] == (
        "GET, POST, PATCH, PUT, DELETE, OPTIONS"
    )
    assert response.headers["access-control-allow-headers"] == (
        "authorization, content-type, accept"
    )
    assert response.headers["access-control-expose-headers"] == "Retry-After"
    assert response.headers["access-control-max-age"] == "86400"
    assert response.headers["vary"] == CORS_VARY
    assert "access-control-allow-credentials" not in response.headers


async def test_allowed_headers_are_a_fixed_list_not_an_echo(fx_client: Client) -> None:
    """Decision 60-Q5: requested headers are not reflected."""
    response = await fx_client.options(
        "/api/v1/me", headers=preflight_headers(ALLOWED_ORIGIN, "x-evil, authorization")
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-headers"] == (
        "authorization, content-type, accept"
    )


async def test_preflight_without_origin_is_400(fx_client: Client) -> None:
    response = await fx_client.options("/api/v1/auth/login", headers=preflight_headers(None))
    assert response.status_code == 400
    assert response.content == b""
    assert response.headers["vary"] == "Origin"
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "https://app.reseller.test.evil.com",
        "http://app.reseller.test",
        "https://app.reseller.test:8443",
        "https://APP.reseller.test",
        "null",
    ],
)
async def test_preflight_from_other_origins_is_403(fx_client: Client, origin: str) -> None:
    response = await fx_client.options("/api/v1/auth/login", headers=preflight_headers(origin))
    assert response.status_code == 403
    assert response.content == b""
    assert response.headers["vary"] == "Origin"
    assert "access-control-allow-origin" not in response.headers


async def test_cors_headers_reach_error_responses_of_allowed_origins(fx_client: Client) -> None:
    response = await fx_client.post(
        "/api/v1/auth/login",
        json={"email": "someone@example.com"},
        headers={"Origin": ALLOWED_ORIGIN},
    )
    assert response.status_code == 400
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert response.headers["access-control-allow-methods"]
    assert response.headers["access-control-expose-headers"] == "Retry-After"
    assert response.headers["vary"] == CORS_VARY


@pytest.mark.parametrize("path", ["/api/v1/missing", "/api/v1/me"])
async def test_cors_headers_reach_framework_and_auth_errors(fx_client: Client, path: str) -> None:
    response = await fx_client.get(path, headers={"Origin": ALLOWED_ORIGIN})
    assert response.status_code in (401, 404)
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN


async def test_requests_from_other_origins_are_processed_without_cors_headers(
    fx_client: Client,
) -> None:
    response = await fx_client.post(
        "/api/v1/auth/login",
        json={"email": "someone@example.com"},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


async def test_requests_without_origin_get_no_cors_headers(fx_client: Client) -> None:
    response = await fx_client.get("/api/v1/health")
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


async def test_non_api_paths_are_not_cors_enabled(fx_client: Client) -> None:
    response = await fx_client.get("/docs/api", headers={"Origin": ALLOWED_ORIGIN})
    assert "access-control-allow-origin" not in response.headers


async def test_wildcard_echoes_the_concrete_origin(fx_container: Container) -> None:
    fx_container.settings = msgspec.structs.replace(fx_container.settings, allowed_origins=("*",))
    async with AsyncTestClient(app=create_app(container=fx_container)) as client:
        response = await client.options(
            "/api/v1/me", headers=preflight_headers("https://anything.example")
        )
        assert response.status_code == 204
        assert response.headers["access-control-allow-origin"] == "https://anything.example"
        opaque = await client.options("/api/v1/me", headers=preflight_headers("null"))
        assert opaque.status_code == 403


async def test_empty_allowlist_allows_no_browser_origin(fx_container: Container) -> None:
    fx_container.settings = msgspec.structs.replace(fx_container.settings, allowed_origins=())
    async with AsyncTestClient(app=create_app(container=fx_container)) as client:
        response = await client.options("/api/v1/me", headers=preflight_headers(ALLOWED_ORIGIN))
        assert response.status_code == 403


def test_vary_merging_keeps_existing_values_and_drops_duplicates() -> None:
    assert merge_vary("Accept-Encoding, origin", ["Origin", "Access-Control-Request-Method"]) == (
        "Accept-Encoding, origin, Access-Control-Request-Method"
    )
    assert merge_vary(None, ["Origin"]) == "Origin"

"""The public auth rate limit on Redis, as two server processes of one deployment see it.

Two containers are built by the composition root from the same settings (SQLite in a
temporary directory, ``rate_limiter="redis"``, a prefix of this test's own), each under its
own Litestar app; requests alternate between them, so only a count shared in Redis can
reject the 11th. Requests go through httpx's ASGI transport, which lets a test choose the
socket peer address (Litestar's test client always reports ``testclient``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import cycle
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from redis.asyncio import Redis

from reseller_entrypoints.bootstrap import Container, build_container
from reseller_entrypoints.http import create_app
from reseller_entrypoints.http.dependencies import client_ip
from reseller_entrypoints.settings import Settings, load_settings
from tests.integration.conftest import PASSWORD
from tests.integration.test_http_auth import request_from
from tests.services import free_port, unique_prefix

pytestmark = pytest.mark.redis

TRUSTED_PROXY = "10.0.0.1"
REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
RATE_LIMITED = {
    "error": {
        "code": "rate_limited",
        "detail": "Too many requests; try again later",
        "status": 429,
    }
}


def deployment_settings(data_dir: Path, redis_url: str, prefix: str) -> Settings:
    return load_settings(
        {},
        data_dir=str(data_dir),
        rate_limiter="redis",
        redis_url=redis_url,
        redis_prefix=prefix,
        redis_timeout_s=1.0,
        trusted_proxies=(TRUSTED_PROXY,),
    )


async def start_containers(settings: Settings, count: int) -> list[Container]:
    containers: list[Container] = []
    for index in range(count):
        container = await build_container(settings)
        containers.append(container)
        await container.start(run_worker=False, migrate=index == 0)
    return containers


@dataclass
class Servers:
    """Several app instances of one deployment; ``clients(peer)`` alternates between them."""

    apps: Sequence[Litestar]
    opened: list[httpx.AsyncClient] = field(default_factory=list)

    def clients(self, peer: str) -> Iterator[httpx.AsyncClient]:
        """An endless rotation over the apps, every request arriving from ``peer``."""
        clients = [
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app, client=(peer, 4321)),
                base_url="http://reseller.test",
            )
            for app in self.apps
        ]
        self.opened.extend(clients)
        return cycle(clients)

    async def aclose(self) -> None:
        for client in self.opened:
            await client.aclose()


@pytest.fixture
async def fx_servers(tmp_path: Path, fx_redis_url: str) -> AsyncIterator[Servers]:
    prefix = unique_prefix("http-ratelimit")
    settings = deployment_settings(tmp_path, fx_redis_url, prefix)
    containers = await start_containers(settings, 2)
    servers = Servers([create_app(container=container) for container in containers])
    try:
        yield servers
    finally:
        await servers.aclose()
        cleanup = Redis.from_url(fx_redis_url)
        keys = [key async for key in cleanup.scan_iter(match=f"{prefix}:*")]
        if keys:
            await cleanup.delete(*keys)
        await cleanup.aclose()
        for container in containers:
            await container.close()


async def post(
    clients: Iterator[httpx.AsyncClient],
    path: str,
    body: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return await next(clients).post(path, json=body, headers=headers)


def assert_rate_limited(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.json() == RATE_LIMITED
    assert 1 <= int(response.headers["Retry-After"]) <= 60


async def test_the_11th_register_from_one_ip_is_rejected_across_processes(
    fx_servers: Servers,
) -> None:
    clients = fx_servers.clients("203.0.113.7")
    statuses = []
    for number in range(10):
        # Every outcome counts: two sign-ups succeed, the rest fail validation.
        body = (
            {"email": f"seller{number}@example.com", "password": PASSWORD}
            if number < 2
            else {"email": "not-an-address", "password": PASSWORD}
        )
        statuses.append((await post(clients, REGISTER, body)).status_code)
    assert statuses == [200, 200] + [422] * 8
    eleventh = await post(clients, REGISTER, {"email": "late@example.com", "password": PASSWORD})
    assert_rate_limited(eleventh)
    assert_rate_limited(await post(clients, REGISTER, {}))  # on the other process too

    # Login keeps its own bucket, and another address its own budget.
    login = await post(clients, LOGIN, {"email": "seller0@example.com", "password": PASSWORD})
    assert login.status_code == 200, login.text
    other = fx_servers.clients("203.0.113.8")
    assert (
        await post(other, REGISTER, {"email": "b@example.com", "password": PASSWORD})
    ).status_code == 200


async def test_login_is_limited_across_processes_without_touching_register(
    fx_servers: Servers,
) -> None:
    clients = fx_servers.clients("198.51.100.30")
    for _ in range(10):
        assert (await post(clients, LOGIN, {})).status_code == 400
    assert_rate_limited(await post(clients, LOGIN, {}))
    assert (await post(clients, REGISTER, {})).status_code == 422


async def test_spoofed_forwarded_for_from_an_untrusted_peer_does_not_reset_the_count(
    fx_servers: Servers,
) -> None:
    clients = fx_servers.clients("203.0.113.9")
    for number in range(10):
        spoof = {"X-Forwarded-For": f"192.0.2.{number}"}
        assert (await post(clients, LOGIN, {}, spoof)).status_code == 400
    assert_rate_limited(await post(clients, LOGIN, {}, {"X-Forwarded-For": "192.0.2.200"}))
    assert_rate_limited(await post(clients, LOGIN, {}))


async def test_a_trusted_proxy_forwards_each_client_its_own_budget(fx_servers: Servers) -> None:
    proxy = fx_servers.clients(TRUSTED_PROXY)
    client = {"X-Forwarded-For": "198.51.100.20"}
    for _ in range(10):
        assert (await post(proxy, LOGIN, {}, client)).status_code == 400
    assert_rate_limited(await post(proxy, LOGIN, {}, client))
    # Whatever the client prepends, the proxy's own hop names it.
    spoofed = {"X-Forwarded-For": "192.0.2.1, 198.51.100.20"}
    assert_rate_limited(await post(proxy, LOGIN, {}, spoofed))
    neighbour = {"X-Forwarded-For": "198.51.100.21"}
    assert (await post(proxy, LOGIN, {}, neighbour)).status_code == 400
    # The proxy's address is not a client: its own requests have a full budget.
    assert (await post(proxy, LOGIN, {})).status_code == 400


async def test_unreachable_redis_answers_503_and_fails_readiness(tmp_path: Path) -> None:
    settings = deployment_settings(
        tmp_path, f"redis://127.0.0.1:{free_port()}/0", unique_prefix("http-down")
    )
    (container,) = await start_containers(settings, 1)
    servers = Servers([create_app(container=container)])
    try:
        clients = servers.clients("203.0.113.10")
        for path in (REGISTER, LOGIN):
            response = await post(clients, path, {"email": "a@example.com", "password": PASSWORD})
            assert response.status_code == 503, response.text
            error = response.json()["error"]
            assert (error["code"], error["status"]) == ("service_unavailable", 503)
            assert "redis" not in response.text.lower()
        ready = await next(clients).get("/api/v1/health/ready")
        assert ready.status_code == 503
        dependencies = ready.json()["error"]["dependencies"]
        assert dependencies["rate_limiter"] == "unavailable"
        assert dependencies["database"] == "ok"
    finally:
        await servers.aclose()
        await container.close()


async def test_readiness_reports_a_reachable_redis(fx_servers: Servers) -> None:
    ready = await next(fx_servers.clients("203.0.113.11")).get("/api/v1/health/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json()["data"]["dependencies"]["rate_limiter"] == "ok"


# --- one client, one key -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("::ffff:203.0.113.9", [], (), "203.0.113.9"),
        ("::ffff:10.0.0.5", ["1.2.3.4"], ("10.0.0.0/8",), "1.2.3.4"),
        ("10.0.0.5", ["1.2.3.4:51234"], ("10.0.0.0/8",), "1.2.3.4"),
        ("10.0.0.5", ["[2001:db8::1]:443"], ("10.0.0.0/8",), "2001:db8::1"),
        ("10.0.0.5", ["1.2.3.4, 10.0.0.7:8080"], ("10.0.0.0/8",), "1.2.3.4"),
        ("10.0.0.5", ["2001:DB8:0::1"], ("10.0.0.0/8",), "2001:db8::1"),
    ],
)
def test_client_addresses_are_canonical(
    peer: str, forwarded: list[str], trusted: tuple[str, ...], expected: str
) -> None:
    assert client_ip(request_from(peer, forwarded), trusted) == expected


@pytest.mark.parametrize("entry", ["10.0.0.0/33", "proxy.internal", "10.0.0.1;10.0.0.2"])
def test_a_trusted_proxy_entry_that_is_not_an_address_is_refused(entry: str) -> None:
    """Ignored, a typo would put every client behind the proxy into the proxy's bucket."""
    with pytest.raises(ValueError, match=f"trusted_proxies: '{entry}' is not an IP"):
        load_settings({"RESELLER_TRUSTED_PROXIES": f"10.0.0.1,{entry}"})

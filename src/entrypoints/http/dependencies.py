"""Litestar dependencies: the use cases from the container, the caller, the client address.

The container lives on ``app.state`` (built by the app's start-up hook or handed in by a
test), so every provider reads it from there: no module-level globals.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any, Final

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide

from reseller_core.services.accounts import AccountService
from reseller_core.services.plans import PlanService
from reseller_core.services.products import ProductService
from reseller_core.services.results import AuthContext
from reseller_entrypoints.bootstrap import Container
from reseller_entrypoints.http.app_state import container_from
from reseller_entrypoints.http.presenters import PublicUrl


def provide_container(state: State) -> Container:
    return container_from(state)


def provide_accounts(state: State) -> AccountService:
    return container_from(state).services.accounts


def provide_products(state: State) -> ProductService:
    return container_from(state).services.products


def provide_plans(state: State) -> PlanService:
    return container_from(state).services.plans


def provide_public_url(state: State) -> PublicUrl:
    """Storage key → public URL, for the presenters."""
    return container_from(state).deps.storage.public_url


async def provide_auth(
    request: Request[Any, Any, Any], accounts: NamedDependency[AccountService]
) -> AuthContext:
    """Authenticate the bearer token (first ``Authorization`` header) or raise Unauthorized.

    As a dependency it resolves before the handler body reads the request body, so a
    protected route answers 401 before it ever looks at the payload (spec 10 §1.2).
    """
    return await accounts.authenticate(request.headers.get("authorization"))


def provide_client_key(request: Request[Any, Any, Any], state: State) -> str:
    """The client IP, the key of the public auth rate limit."""
    return client_ip(request, container_from(state).settings.trusted_proxies)


def client_ip(request: Request[Any, Any, Any], trusted_proxies: Sequence[str]) -> str:
    """The socket peer, or the right-most untrusted ``X-Forwarded-For`` hop behind our proxies.

    ``X-Forwarded-For`` is read only when the peer itself is a trusted proxy, and then from
    the right: each trusted proxy appends the address it saw, so the first untrusted address
    from the right is the real client; anything left of it may be spoofed. Addresses are
    returned canonical (IPv4-mapped IPv6 as IPv4, no port), so one client is one key.
    """
    peer = request.client.host if request.client else "unknown"
    networks = _networks(trusted_proxies)
    if not networks or not _is_trusted(peer, networks):
        return _canonical(peer)
    hops = [
        hop.strip()
        for header in request.headers.getall("x-forwarded-for", [])
        for hop in header.split(",")
        if hop.strip()
    ]
    for hop in reversed(hops):
        if not _is_trusted(hop, networks):
            return _canonical(hop)
    return _canonical(hops[0] if hops else peer)


def _networks(entries: Sequence[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            continue
    return networks


def _parse_ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address as sockets and proxies write it (``a.b.c.d``, ``a.b.c.d:port``, ``[v6]:port``).

    An IPv4-mapped IPv6 address (a dual-stack listener's view of an IPv4 peer) is the IPv4
    address, so it matches IPv4 proxy networks.
    """
    text = address.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _canonical(address: str) -> str:
    ip = _parse_ip(address)
    return address if ip is None else str(ip)


def _is_trusted(
    address: str, networks: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]
) -> bool:
    ip = _parse_ip(address)
    return ip is not None and any(ip in network for network in networks)


SERVICE_DEPENDENCIES: Final[dict[str, Provide]] = {
    "container": Provide(provide_container, sync_to_thread=False),
    "accounts": Provide(provide_accounts, sync_to_thread=False),
    "products": Provide(provide_products, sync_to_thread=False),
    "plans": Provide(provide_plans, sync_to_thread=False),
    "client_key": Provide(provide_client_key, sync_to_thread=False),
    "public_url": Provide(provide_public_url, sync_to_thread=False),
}
"""App-level dependencies; protected controllers add ``auth`` themselves."""

AUTH_DEPENDENCY: Final[dict[str, Provide]] = {"auth": Provide(provide_auth)}

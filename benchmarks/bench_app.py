"""The product app plus the bare floor endpoint, served by one process for the benchmarks.

The bare floor lives only here, never in the product app: ``GET /_bench/bare/{name}``
returns bytes stored earlier with ``PUT /_bench/bare/{name}`` (the benchmark stores the
exact body of the endpoint it compares), so it measures the server, Litestar, our
middleware and the response size, and nothing else. The floor the targets are measured
against is a separate app (``benchmarks.floor_app``).
"""

from __future__ import annotations

from typing import Any, Final

from litestar import Litestar, Request, Response, get, put
from litestar.datastructures import State
from litestar.exceptions import NotFoundException

from reseller_entrypoints.http.app import create_served_app

BARE_PAYLOADS: Final = "bench_bare_payloads"
MAX_BARE_PAYLOAD = 64 * 1024 * 1024


@put(
    "/_bench/bare/{name:str}",
    include_in_schema=False,
    status_code=204,
    request_max_body_size=MAX_BARE_PAYLOAD,
)
async def store_bare_payload(name: str, request: Request[Any, Any, Any], state: State) -> None:
    """Keep the bytes the bare floor will answer with."""
    state[BARE_PAYLOADS][name] = await request.body()


@get("/_bench/bare/{name:str}", include_in_schema=False, sync_to_thread=False)
def bare_payload(name: str, state: State) -> Response[bytes]:
    """The stored bytes as a JSON response: no database, no model, no encoding."""
    payload = state[BARE_PAYLOADS].get(name)
    if payload is None:
        raise NotFoundException()
    return Response(payload, media_type="application/json")


def create_bench_app() -> Litestar:
    """The app ``reseller serve`` runs (settings from the environment, the served process's
    GC set-up) plus the bare floor."""
    app = create_served_app()
    app.state[BARE_PAYLOADS] = {}
    for handler in (store_bare_payload, bare_payload):
        app.register(handler)
    return app

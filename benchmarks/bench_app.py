"""The product app plus the two floor endpoints, served by one process for the benchmarks.

The floors live only here, never in the product app:

- ``GET /_bench/bare/{name}``: returns bytes stored earlier with ``PUT /_bench/bare/{name}``
  (the benchmark stores the exact body of the endpoint it compares), so it measures the
  server, Litestar and the response size, and nothing else.
- ``GET /_bench/one-row/{id}``: one product row read by primary key through the same
  unit of work (SQLAlchemy session, engine and pool) as the API, as a small JSON object.
"""

from __future__ import annotations

from typing import Any, Final

import sqlalchemy as sa
from litestar import Litestar, Request, Response, get, put
from litestar.datastructures import State
from litestar.exceptions import NotFoundException

from reseller_adapters.persistence.sqlalchemy.tables import products
from reseller_entrypoints.http import create_app
from reseller_entrypoints.http.app_state import container_from

BARE_PAYLOADS: Final = "bench_bare_payloads"
MAX_BARE_PAYLOAD = 64 * 1024 * 1024

_ONE_ROW = sa.select(
    products.c.id, products.c.status, products.c.title, products.c.version, products.c.updated_at
)


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


@get("/_bench/one-row/{product_id:str}", include_in_schema=False)
async def one_row(product_id: str, state: State) -> dict[str, Any]:
    """One row by primary key through the API's own (reading) unit of work."""
    async with container_from(state).database.read_unit_of_work() as uow:
        row = (await uow.execute(_ONE_ROW.where(products.c.id == product_id))).first()
    if row is None:
        raise NotFoundException()
    return {
        "id": row.id,
        "status": row.status,
        "title": row.title,
        "version": row.version,
        "updated_at": row.updated_at.isoformat(),
    }


def create_bench_app() -> Litestar:
    """The app ``reseller serve`` runs (settings from the environment) plus the floors."""
    app = create_app()
    app.state[BARE_PAYLOADS] = {}
    for handler in (store_bare_payload, bare_payload, one_row):
        app.register(handler)
    return app
